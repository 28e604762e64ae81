/*
 * tlsgen.c: generates the fake server's TLS material at start-up: a test
 * CA and leaf certificates (good, expired, not yet valid, self-signed,
 * wrong name, expiring soon), EC P-256 keys, and one server SSL_CTX per
 * kind.  Nothing is read from or written to disk except the CA on request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tlsgen.h"

#define GOOD_SANS "DNS:localhost, DNS:mail.fake.test, IP:127.0.0.1"

struct tlsgen {
	EVP_PKEY	*ca_key;
	X509		*ca;
	EVP_PKEY	*inter_key[3];	/* [1] intermediate CA expiring in
					   5 days, [2] one expired 10 days
					   ago ([0] unused) */
	X509		*inter[3];
	SSL_CTX		*ctx[TLSGEN_COUNT];
};

/* One leaf per kind: its names, validity (days from now) and signer. */
struct leafspec {
	const char	*cn;
	const char	*sans;
	long		 from_days;
	long		 to_days;
	int		 self_signed;
	int		 intermediate;	/* 1, 2: under inter[n] */
	int		 no_chain;	/* send the leaf alone */
};

/* cn, sans, from, to, self_signed, intermediate, no_chain */
#define MFT	"mail.fake.test"
static const struct leafspec leafspecs[TLSGEN_COUNT] = {
	[TLSGEN_GOOD] =		{ MFT, GOOD_SANS, -1, 365, 0, 0, 0 },
	[TLSGEN_EXPIRED] =	{ MFT, GOOD_SANS, -90, -30, 0, 0, 0 },
	[TLSGEN_NOTYETVALID] =	{ MFT, GOOD_SANS, 30, 365, 0, 0, 0 },
	[TLSGEN_SELFSIGNED] =	{ MFT, GOOD_SANS, -1, 365, 1, 0, 0 },
	[TLSGEN_WRONGNAME] =	{ "other.fake.test", "DNS:other.fake.test",
				  -1, 365, 0, 0, 0 },
	[TLSGEN_SOON] =		{ MFT, GOOD_SANS, -80, 10, 0, 0, 0 },
	[TLSGEN_SOONCHAIN] =	{ MFT, GOOD_SANS, -1, 365, 0, 1, 0 },
	[TLSGEN_EXPIREDCHAIN] =	{ MFT, GOOD_SANS, -1, 365, 0, 2, 0 },
	[TLSGEN_NOCHAIN] =	{ MFT, GOOD_SANS, -1, 365, 0, 1, 1 },
	[TLSGEN_TLS10] =	{ MFT, GOOD_SANS, -1, 365, 0, 0, 0 },
	[TLSGEN_TLS12] =	{ MFT, GOOD_SANS, -1, 365, 0, 0, 0 },
};

static void
set_err(char *err, size_t errlen, const char *what)
{
	unsigned long	 e = ERR_get_error();
	char		 buf[256];

	if (err == NULL || errlen == 0)
		return;
	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		snprintf(err, errlen, "tlsgen: %s: %s", what, buf);
	} else
		snprintf(err, errlen, "tlsgen: %s", what);
	ERR_clear_error();
}

/* Add one X509v3 extension from its config-string form. */
static int
add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 v3;
	X509_EXTENSION	*ext;
	int		 ok;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (ext == NULL)
		return -1;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/*
 * Make a certificate for key with subject CN=cn, valid from now+from days
 * to now+to days, signed by issuer/ikey (NULL: self-signed).  sans NULL: a
 * CA certificate.
 */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, const char *sans, long from,
    long to, X509 *issuer, EVP_PKEY *ikey)
{
	X509		*c;
	X509_NAME	*name;
	ASN1_INTEGER	*serial;
	unsigned char	 rnd[12];
	BIGNUM		*bn = NULL;

	if ((c = X509_new()) == NULL)
		return NULL;
	if (!X509_set_version(c, 2))
		goto fail;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		goto fail;
	rnd[0] &= 0x7f;
	rnd[0] |= 0x10;
	if ((bn = BN_bin2bn(rnd, sizeof(rnd), NULL)) == NULL)
		goto fail;
	serial = X509_get_serialNumber(c);
	if (BN_to_ASN1_INTEGER(bn, serial) == NULL)
		goto fail;
	BN_free(bn);
	bn = NULL;
	if (X509_time_adj_ex(X509_getm_notBefore(c), (int)from, 0, NULL) ==
	    NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(c), (int)to, 0, NULL) == NULL)
		goto fail;
	if (!X509_set_pubkey(c, key))
		goto fail;
	name = X509_get_subject_name(c);
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	    (const unsigned char *)"smtp-ports fakesmtp", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0))
		goto fail;
	if (issuer == NULL) {
		issuer = c;
		ikey = key;
	}
	if (!X509_set_issuer_name(c, X509_get_subject_name(issuer)))
		goto fail;
	if (sans == NULL) {
		if (add_ext(c, issuer, NID_basic_constraints,
		    "critical,CA:TRUE") == -1 ||
		    add_ext(c, issuer, NID_key_usage,
		    "critical,keyCertSign,cRLSign") == -1 ||
		    add_ext(c, issuer, NID_subject_key_identifier,
		    "hash") == -1)
			goto fail;
	} else {
		if (add_ext(c, issuer, NID_basic_constraints,
		    "critical,CA:FALSE") == -1 ||
		    add_ext(c, issuer, NID_key_usage,
		    "critical,digitalSignature") == -1 ||
		    add_ext(c, issuer, NID_ext_key_usage,
		    "serverAuth") == -1 ||
		    add_ext(c, issuer, NID_subject_alt_name, sans) == -1)
			goto fail;
		if (issuer != c && add_ext(c, issuer,
		    NID_authority_key_identifier, "keyid:always") == -1)
			goto fail;
	}
	if (X509_sign(c, ikey, EVP_sha256()) == 0)
		goto fail;
	return c;
fail:
	BN_free(bn);
	X509_free(c);
	return NULL;
}

/* A server context presenting cert (and chain, may be NULL) with key. */
static SSL_CTX *
make_ctx(X509 *cert, EVP_PKEY *key, X509 *chain, enum tlsgen_kind kind)
{
	SSL_CTX	*ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return NULL;
	if (kind == TLSGEN_TLS10) {
		/* Only TLS 1.0/1.1: OpenSSL 3 needs security level 0 for
		 * their SHA-1 signatures. */
		SSL_CTX_set_security_level(ctx, 0);
		if (!SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0") ||
		    !SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) ||
		    !SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION))
			goto fail;
	} else if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION))
		goto fail;
	if (kind == TLSGEN_TLS12 &&
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION))
		goto fail;
	if (SSL_CTX_use_certificate(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		goto fail;
	if (chain != NULL && SSL_CTX_add1_chain_cert(ctx, chain) != 1)
		goto fail;
	/* Release idle buffers: 2,000 parked TLS sessions stay small. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

struct tlsgen *
tlsgen_new(char *err, size_t errlen)
{
	struct tlsgen	*tg;
	EVP_PKEY	*key = NULL;
	X509		*leaf = NULL;
	int		 k;

	if ((tg = calloc(1, sizeof(*tg))) == NULL) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	if ((tg->ca_key = EVP_EC_gen("P-256")) == NULL) {
		set_err(err, errlen, "CA key");
		goto fail;
	}
	tg->ca = make_cert(tg->ca_key, "fakesmtp test CA", NULL, -1, 3650,
	    NULL, NULL);
	if (tg->ca == NULL) {
		set_err(err, errlen, "CA certificate");
		goto fail;
	}
	for (k = 1; k <= 2; k++) {
		if ((tg->inter_key[k] = EVP_EC_gen("P-256")) == NULL) {
			set_err(err, errlen, "intermediate key");
			goto fail;
		}
		tg->inter[k] = make_cert(tg->inter_key[k], k == 1 ?
		    "fakesmtp intermediate CA" :
		    "fakesmtp expired intermediate CA", NULL,
		    k == 1 ? -1 : -60, k == 1 ? 5 : -10, tg->ca, tg->ca_key);
		if (tg->inter[k] == NULL) {
			set_err(err, errlen, "intermediate certificate");
			goto fail;
		}
	}
	for (k = 0; k < TLSGEN_COUNT; k++) {
		const struct leafspec	*ls = &leafspecs[k];
		X509			*issuer = NULL;
		EVP_PKEY		*ikey = NULL;

		if (ls->intermediate) {
			issuer = tg->inter[ls->intermediate];
			ikey = tg->inter_key[ls->intermediate];
		} else if (!ls->self_signed) {
			issuer = tg->ca;
			ikey = tg->ca_key;
		}
		/* One key per leaf: a fingerprint identifies a kind. */
		if ((key = EVP_EC_gen("P-256")) == NULL) {
			set_err(err, errlen, "leaf key");
			goto fail;
		}
		leaf = make_cert(key, ls->cn, ls->sans, ls->from_days,
		    ls->to_days, issuer, ikey);
		if (leaf == NULL) {
			set_err(err, errlen, "leaf certificate");
			goto fail;
		}
		tg->ctx[k] = make_ctx(leaf, key, ls->no_chain ? NULL : issuer,
		    (enum tlsgen_kind)k);
		if (tg->ctx[k] == NULL) {
			set_err(err, errlen, "server context");
			goto fail;
		}
		X509_free(leaf);
		EVP_PKEY_free(key);
		leaf = NULL;
		key = NULL;
	}
	return tg;
fail:
	X509_free(leaf);
	EVP_PKEY_free(key);
	tlsgen_free(tg);
	return NULL;
}

void
tlsgen_free(struct tlsgen *tg)
{
	int	k;

	if (tg == NULL)
		return;
	for (k = 0; k < TLSGEN_COUNT; k++)
		SSL_CTX_free(tg->ctx[k]);
	for (k = 1; k <= 2; k++) {
		X509_free(tg->inter[k]);
		EVP_PKEY_free(tg->inter_key[k]);
	}
	X509_free(tg->ca);
	EVP_PKEY_free(tg->ca_key);
	free(tg);
}

SSL_CTX *
tlsgen_ctx(const struct tlsgen *tg, enum tlsgen_kind kind)
{
	if (kind < 0 || kind >= TLSGEN_COUNT)
		return NULL;
	return tg->ctx[kind];
}

int
tlsgen_write_ca(const struct tlsgen *tg, const char *path, char *err,
    size_t errlen)
{
	FILE	*f;
	int	 ok;

	if ((f = fopen(path, "w")) == NULL) {
		snprintf(err, errlen, "tlsgen: %s: cannot create", path);
		return -1;
	}
	ok = PEM_write_X509(f, tg->ca);
	if (fclose(f) != 0 || !ok) {
		set_err(err, errlen, "writing the CA");
		return -1;
	}
	return 0;
}
