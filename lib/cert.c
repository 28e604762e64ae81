/*
 * cert.c: certificate facts (subject, issuer, CN, SANs, serial, SHA-256
 * fingerprint, validity, earliest notAfter of the presented chain), the
 * collection of every verification error, the name check, and the verdict.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "cert.h"

void
cert_add_error(struct smtpprobe_cert *c, int err)
{
	int	i;

	switch (err) {
	case X509_V_OK:
		return;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		c->verify_flags |= SMTPPROBE_VERIFY_EXPIRED;
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		c->verify_flags |= SMTPPROBE_VERIFY_NOT_YET_VALID;
		break;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
	case X509_V_ERR_EMAIL_MISMATCH:
		c->verify_flags |= SMTPPROBE_VERIFY_NAME_MISMATCH;
		break;
	default:
		/* Everything else breaks the chain of trust. */
		c->verify_flags |= SMTPPROBE_VERIFY_UNTRUSTED;
		break;
	}
	for (i = 0; i < c->nverify_errors; i++)
		if (c->verify_errors[i] == err)
			return;
	if (c->nverify_errors < SMTPPROBE_MAX_VERIFY_ERRORS)
		c->verify_errors[c->nverify_errors++] = err;
}

int64_t
cert_asn1_time(const ASN1_TIME *t)
{
	struct tm	tm;

	if (t == NULL)
		return 0;
	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

/* Print an X509_NAME as RFC 2253 text, UTF-8 kept, then sanitised. */
static void
name_text(char *dst, size_t len, const X509_NAME *name)
{
	BIO	*b;
	char	*p;
	long	 n;

	dst[0] = '\0';
	if (name == NULL || (b = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (X509_NAME_print_ex(b, name, 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		n = BIO_get_mem_data(b, &p);
		if (n > 0)
			smtpprobe_sanitize(dst, len, p, (size_t)n);
	}
	BIO_free(b);
}

/* The first CN of name as UTF-8, sanitised. */
static void
common_name(char *dst, size_t len, const X509_NAME *name)
{
	const X509_NAME_ENTRY	*e;
	unsigned char		*u = NULL;
	int			 i, n;

	dst[0] = '\0';
	if (name == NULL)
		return;
	i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (i < 0 || (e = X509_NAME_get_entry(name, i)) == NULL)
		return;
	n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(e));
	if (n >= 0) {
		smtpprobe_sanitize(dst, len, (char *)u, (size_t)n);
		OPENSSL_free(u);
	}
}

/* Append "sep text" to dst (NUL-terminated, bounded), text sanitised. */
static void
append(char *dst, size_t len, const char *sep, const char *text, size_t tlen)
{
	size_t	used = strlen(dst);

	if (used + 1 >= len)
		return;
	if (used > 0) {
		snprintf(dst + used, len - used, "%s", sep);
		used = strlen(dst);
	}
	if (used + 1 < len)
		smtpprobe_sanitize(dst + used, len - used, text, tlen);
}

/* The subjectAltName entries as "DNS:a, IP:192.0.2.1", sanitised,
 * truncated at len. */
static void
san_text(char *dst, size_t len, X509 *x)
{
	GENERAL_NAMES		*gens;
	const GENERAL_NAME	*g;
	char			 buf[300], a[INET6_ADDRSTRLEN];
	const char		*kind;
	int			 i, type, n;

	dst[0] = '\0';
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (gens == NULL)
		return;
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		kind = NULL;
		buf[0] = '\0';
		switch (g->type) {
		case GEN_DNS:
			kind = "DNS";
			/* FALLTHROUGH */
		case GEN_EMAIL:
			if (kind == NULL)
				kind = "email";
			/* FALLTHROUGH */
		case GEN_URI:
			if (kind == NULL)
				kind = "URI";
			n = ASN1_STRING_length(g->d.ia5);
			if (n < 0 || (size_t)n > sizeof(buf) - 1)
				n = sizeof(buf) - 1;
			snprintf(buf, sizeof(buf), "%s:", kind);
			append(dst, len, ", ", buf, strlen(buf));
			append(dst, len, "",
			    (const char *)ASN1_STRING_get0_data(g->d.ia5),
			    (size_t)n);
			break;
		case GEN_IPADD:
			n = ASN1_STRING_length(g->d.ip);
			type = n == 4 ? AF_INET : n == 16 ? AF_INET6 : 0;
			if (type == 0 || inet_ntop(type,
			    ASN1_STRING_get0_data(g->d.ip), a,
			    sizeof(a)) == NULL)
				snprintf(a, sizeof(a), "?");
			snprintf(buf, sizeof(buf), "IP:%s", a);
			append(dst, len, ", ", buf, strlen(buf));
			break;
		default:
			break;
		}
	}
	GENERAL_NAMES_free(gens);
}

static void
hex_upper(char *dst, size_t len, const unsigned char *p, size_t n)
{
	static const char	hx[] = "0123456789ABCDEF";
	size_t			i;

	if (len == 0)
		return;
	for (i = 0; i < n && 2 * i + 2 < len; i++) {
		dst[2 * i] = hx[p[i] >> 4];
		dst[2 * i + 1] = hx[p[i] & 0xf];
	}
	dst[2 * i] = '\0';
}

void
cert_extract_leaf(struct smtpprobe_cert *c, X509 *x)
{
	const ASN1_INTEGER	*ser;
	BIGNUM			*bn;
	char			*hex;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0;

	if (x == NULL)
		return;
	c->present = 1;
	name_text(c->subject, sizeof(c->subject), X509_get_subject_name(x));
	name_text(c->issuer, sizeof(c->issuer), X509_get_issuer_name(x));
	common_name(c->common_name, sizeof(c->common_name),
	    X509_get_subject_name(x));
	san_text(c->sans, sizeof(c->sans), x);
	c->serial[0] = '\0';
	if ((ser = X509_get0_serialNumber(x)) != NULL &&
	    (bn = ASN1_INTEGER_to_BN(ser, NULL)) != NULL) {
		if ((hex = BN_bn2hex(bn)) != NULL) {
			smtpprobe_sanitize(c->serial, sizeof(c->serial), hex,
			    strlen(hex));
			OPENSSL_free(hex);
		}
		BN_free(bn);
	}
	if (X509_digest(x, EVP_sha256(), md, &mdlen) == 1)
		hex_upper(c->fingerprint_sha256,
		    sizeof(c->fingerprint_sha256), md, mdlen);
	c->not_before = cert_asn1_time(X509_get0_notBefore(x));
	c->not_after = cert_asn1_time(X509_get0_notAfter(x));
	if (c->chain_earliest_not_after == 0 ||
	    (c->not_after != 0 && c->not_after < c->chain_earliest_not_after))
		c->chain_earliest_not_after = c->not_after;
}

void
cert_extract_chain(struct smtpprobe_cert *c, STACK_OF(X509) *chain)
{
	int64_t	t;
	int	i;

	if (chain == NULL)
		return;
	c->chain_length = sk_X509_num(chain);
	for (i = 0; i < c->chain_length; i++) {
		t = cert_asn1_time(X509_get0_notAfter(sk_X509_value(chain,
		    i)));
		if (t != 0 && (c->chain_earliest_not_after == 0 ||
		    t < c->chain_earliest_not_after))
			c->chain_earliest_not_after = t;
	}
}

void
cert_check_name(struct smtpprobe_cert *c, X509 *x, const char *name)
{
	unsigned char	buf[16];

	if (x == NULL || name == NULL || *name == '\0')
		return;
	if (inet_pton(AF_INET, name, buf) == 1 ||
	    inet_pton(AF_INET6, name, buf) == 1) {
		if (X509_check_ip_asc(x, name, 0) != 1)
			cert_add_error(c, X509_V_ERR_IP_ADDRESS_MISMATCH);
	} else {
		if (X509_check_host(x, name, strlen(name),
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) != 1)
			cert_add_error(c, X509_V_ERR_HOSTNAME_MISMATCH);
	}
}

enum smtpprobe_outcome
cert_judge(struct smtpprobe_cert *c, int checked)
{
	const char	*s;

	c->verify_checked = checked;
	if (!c->present)
		cert_add_error(c, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT);
	c->verified = c->verify_flags == 0 && c->nverify_errors == 0;
	c->verify_text[0] = '\0';
	if (c->nverify_errors > 0) {
		s = X509_verify_cert_error_string(c->verify_errors[0]);
		snprintf(c->verify_text, sizeof(c->verify_text), "%s",
		    s != NULL ? s : "?");
	}
	if (!checked || c->verified)
		return SMTPPROBE_OUTCOME_OK;
	/* PRODUCT.md precedence. */
	if (c->verify_flags & SMTPPROBE_VERIFY_EXPIRED)
		return SMTPPROBE_OUTCOME_CERT_EXPIRED;
	if (c->verify_flags & SMTPPROBE_VERIFY_NOT_YET_VALID)
		return SMTPPROBE_OUTCOME_CERT_NOT_YET_VALID;
	if (c->verify_flags & SMTPPROBE_VERIFY_UNTRUSTED)
		return SMTPPROBE_OUTCOME_CERT_UNTRUSTED;
	return SMTPPROBE_OUTCOME_CERT_NAME_MISMATCH;
}
