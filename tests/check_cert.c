/*
 * check_cert.c: certificate facts and verdicts (lib/cert.c) on
 * certificates made here with the OpenSSL API (never committed): subject,
 * issuer, CN, SANs, serial, fingerprint, validity, the earliest notAfter
 * of a chain; every verification error collected (a verify callback that
 * always goes on, as the probe's does), the name check (DNS, wildcard,
 * IP SANs), and the verdict's precedence.  Then whole probes in implicit
 * TLS mode against an in-test TLS server: facts recorded when the
 * certificate is bad, SNI only for names, and a minimum TLS version the
 * server cannot meet ("no common TLS version >= 1.2").
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "suite.h"
#include "smtpprobe.h"
#include "cert.h"
#include "ctx.h"

#define DAY	(24 * 3600L)
#define SEC	INT64_C(1000000)

/* ---- making certificates ------------------------------------------------ */

static EVP_PKEY *
mkkey(void)
{
	EVP_PKEY	*k = EVP_EC_gen("P-256");

	ck_assert_ptr_nonnull(k);
	return k;
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 v3;
	X509_EXTENSION	*e;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/*
 * A certificate for key, named cn, valid from now+nb to now+na seconds,
 * signed by (issuer, ikey), or self-signed when issuer is NULL.
 */
static X509 *
mkcert(EVP_PKEY *key, const char *cn, const char *sans, long nb, long na,
    int ca, long serial, X509 *issuer, EVP_PKEY *ikey)
{
	X509		*x = X509_new();
	X509_NAME	*n;
	time_t		 now = time(NULL);

	ck_assert_ptr_nonnull(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	ck_assert_ptr_nonnull(X509_time_adj(X509_getm_notBefore(x), nb,
	    &now));
	ck_assert_ptr_nonnull(X509_time_adj(X509_getm_notAfter(x), na,
	    &now));
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : n);
	X509_set_pubkey(x, key);
	add_ext(x, issuer != NULL ? issuer : x, NID_basic_constraints,
	    ca ? "critical,CA:TRUE" : "CA:FALSE");
	if (sans != NULL)
		add_ext(x, issuer != NULL ? issuer : x,
		    NID_subject_alt_name, sans);
	ck_assert_int_gt(X509_sign(x, ikey != NULL ? ikey : key,
	    EVP_sha256()), 0);
	return x;
}

/* A CA and its key, made once per test process. */
static EVP_PKEY	*ca_key, *leaf_key;
static X509	*ca_cert;

static void
cert_setup(void)
{
	ca_key = mkkey();
	leaf_key = mkkey();
	ca_cert = mkcert(ca_key, "Test CA", NULL, -DAY, 365 * DAY, 1, 1,
	    NULL, NULL);
}

static void
cert_teardown(void)
{
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
}

/* ---- facts ------------------------------------------------------- */

START_TEST(test_extract)
{
	struct smtpprobe_cert	 c;
	X509			*x;
	unsigned char		*der = NULL, md[32];
	char			 hex[65];
	int			 len, i;
	time_t			 now = time(NULL);

	x = mkcert(leaf_key, "mail.test",
	    "DNS:mail.test,DNS:*.wild.test,IP:127.0.0.1,IP:::1", -DAY,
	    30 * DAY, 0, 0x1234abcdL, ca_cert, ca_key);
	memset(&c, 0, sizeof(c));
	cert_extract_leaf(&c, x);
	ck_assert_int_eq(c.present, 1);
	ck_assert_str_eq(c.subject, "CN=mail.test");
	ck_assert_str_eq(c.issuer, "CN=Test CA");
	ck_assert_str_eq(c.common_name, "mail.test");
	ck_assert_str_eq(c.sans,
	    "DNS:mail.test, DNS:*.wild.test, IP:127.0.0.1, IP:::1");
	ck_assert_str_eq(c.serial, "1234ABCD");
	/* The fingerprint is SHA-256 over the DER, upper-case hex. */
	len = i2d_X509(x, &der);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(EVP_Digest(der, (size_t)len, md, NULL, EVP_sha256(),
	    NULL), 1);
	OPENSSL_free(der);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02X", md[i]);
	ck_assert_str_eq(c.fingerprint_sha256, hex);
	ck_assert_int_le(labs((long)(c.not_before - (now - DAY))), 2);
	ck_assert_int_le(labs((long)(c.not_after - (now + 30 * DAY))), 2);
	ck_assert_int_eq(c.chain_earliest_not_after, c.not_after);
	X509_free(x);
}
END_TEST

/* Non-ASCII names stay UTF-8; control characters and '|' do not pass. */
START_TEST(test_extract_hostile_names)
{
	struct smtpprobe_cert	 c;
	X509			*x;

	x = mkcert(leaf_key, "m\xc3\xa4il|x\ty", "DNS:a|b.test", -DAY,
	    DAY, 0, 2, ca_cert, ca_key);
	memset(&c, 0, sizeof(c));
	cert_extract_leaf(&c, x);
	ck_assert_str_eq(c.common_name, "m\xc3\xa4il/x y");
	ck_assert_ptr_null(strchr(c.subject, '|'));
	ck_assert_ptr_null(strchr(c.sans, '|'));
	ck_assert_ptr_nonnull(strstr(c.subject, "m\xc3\xa4il"));
	X509_free(x);
}
END_TEST

START_TEST(test_chain_earliest)
{
	struct smtpprobe_cert	 c;
	STACK_OF(X509)		*chain = sk_X509_new_null();
	EVP_PKEY		*ikey = mkkey();
	X509			*inter, *leaf;

	inter = mkcert(ikey, "Intermediate", NULL, -DAY, 50 * DAY, 1, 3,
	    ca_cert, ca_key);
	leaf = mkcert(leaf_key, "mail.test", "DNS:mail.test", -DAY,
	    100 * DAY, 0, 4, inter, ikey);
	sk_X509_push(chain, leaf);
	sk_X509_push(chain, inter);
	memset(&c, 0, sizeof(c));
	cert_extract_leaf(&c, leaf);
	cert_extract_chain(&c, chain);
	ck_assert_int_eq(c.chain_length, 2);
	ck_assert_int_lt(c.chain_earliest_not_after, c.not_after);
	ck_assert_int_eq(c.chain_earliest_not_after,
	    cert_asn1_time(X509_get0_notAfter(inter)));
	sk_X509_free(chain);
	X509_free(inter);
	X509_free(leaf);
	EVP_PKEY_free(ikey);
}
END_TEST

/* ---- verification ------------------------------------------------ */

static struct smtpprobe_cert	*verify_into;

static int
collect_cb(int ok, X509_STORE_CTX *x)
{
	if (!ok)
		cert_add_error(verify_into, X509_STORE_CTX_get_error(x));
	return 1;
}

/* Verify leaf against a store holding ca_cert (if trust), the way the
 * probe's handshake does, then check the name and judge. */
static enum smtpprobe_outcome
verify(struct smtpprobe_cert *c, X509 *leaf, int trust, const char *name,
    int checked)
{
	X509_STORE	*st = X509_STORE_new();
	X509_STORE_CTX	*sc = X509_STORE_CTX_new();

	memset(c, 0, sizeof(*c));
	if (trust)
		X509_STORE_add_cert(st, ca_cert);
	X509_STORE_set_verify_cb(st, collect_cb);
	verify_into = c;
	ck_assert_int_eq(X509_STORE_CTX_init(sc, st, leaf, NULL), 1);
	/* The callback goes on whatever it finds: the chain "verifies". */
	ck_assert_int_eq(X509_verify_cert(sc), 1);
	X509_STORE_CTX_free(sc);
	X509_STORE_free(st);
	cert_extract_leaf(c, leaf);
	cert_check_name(c, leaf, name);
	return cert_judge(c, checked);
}

static const struct {
	const char		*name;
	long			 nb, na;	/* validity, from now */
	int			 self_signed;
	int			 trust;
	const char		*sans;
	const char		*verify_name;
	int			 checked;
	enum smtpprobe_outcome	 want;
	unsigned		 flags;
} verify_rows[] = {
	{ "good", -DAY, DAY, 0, 1, "DNS:mail.test", "mail.test", 1,
	    SMTPPROBE_OUTCOME_OK, 0 },
	{ "name case-insensitive", -DAY, DAY, 0, 1, "DNS:mail.test",
	    "MAIL.Test", 1, SMTPPROBE_OUTCOME_OK, 0 },
	{ "wildcard", -DAY, DAY, 0, 1, "DNS:*.wild.test", "mx.wild.test", 1,
	    SMTPPROBE_OUTCOME_OK, 0 },
	{ "wildcard one label only", -DAY, DAY, 0, 1, "DNS:*.wild.test",
	    "a.mx.wild.test", 1, SMTPPROBE_OUTCOME_CERT_NAME_MISMATCH,
	    SMTPPROBE_VERIFY_NAME_MISMATCH },
	{ "ip san", -DAY, DAY, 0, 1, "DNS:mail.test,IP:127.0.0.1",
	    "127.0.0.1", 1, SMTPPROBE_OUTCOME_OK, 0 },
	{ "ip not in sans", -DAY, DAY, 0, 1, "DNS:mail.test,IP:127.0.0.1",
	    "127.0.0.2", 1, SMTPPROBE_OUTCOME_CERT_NAME_MISMATCH,
	    SMTPPROBE_VERIFY_NAME_MISMATCH },
	{ "ip name as dns", -DAY, DAY, 0, 1, "DNS:127.0.0.1", "127.0.0.1", 1,
	    SMTPPROBE_OUTCOME_CERT_NAME_MISMATCH,
	    SMTPPROBE_VERIFY_NAME_MISMATCH },
	{ "wrong name", -DAY, DAY, 0, 1, "DNS:other.test", "mail.test", 1,
	    SMTPPROBE_OUTCOME_CERT_NAME_MISMATCH,
	    SMTPPROBE_VERIFY_NAME_MISMATCH },
	{ "expired", -10 * DAY, -DAY, 0, 1, "DNS:mail.test", "mail.test", 1,
	    SMTPPROBE_OUTCOME_CERT_EXPIRED, SMTPPROBE_VERIFY_EXPIRED },
	{ "not yet valid", DAY, 10 * DAY, 0, 1, "DNS:mail.test", "mail.test",
	    1, SMTPPROBE_OUTCOME_CERT_NOT_YET_VALID,
	    SMTPPROBE_VERIFY_NOT_YET_VALID },
	{ "untrusted", -DAY, DAY, 0, 0, "DNS:mail.test", "mail.test", 1,
	    SMTPPROBE_OUTCOME_CERT_UNTRUSTED, SMTPPROBE_VERIFY_UNTRUSTED },
	{ "self-signed", -DAY, DAY, 1, 1, "DNS:mail.test", "mail.test", 1,
	    SMTPPROBE_OUTCOME_CERT_UNTRUSTED, SMTPPROBE_VERIFY_UNTRUSTED },
	/* Precedence: expired, not yet valid, untrusted, name mismatch. */
	{ "expired self-signed wrong name", -10 * DAY, -DAY, 1, 1,
	    "DNS:other.test", "mail.test", 1, SMTPPROBE_OUTCOME_CERT_EXPIRED,
	    SMTPPROBE_VERIFY_EXPIRED | SMTPPROBE_VERIFY_UNTRUSTED |
	    SMTPPROBE_VERIFY_NAME_MISMATCH },
	{ "future untrusted wrong name", DAY, 10 * DAY, 0, 0,
	    "DNS:other.test", "mail.test", 1,
	    SMTPPROBE_OUTCOME_CERT_NOT_YET_VALID,
	    SMTPPROBE_VERIFY_NOT_YET_VALID | SMTPPROBE_VERIFY_UNTRUSTED |
	    SMTPPROBE_VERIFY_NAME_MISMATCH },
	{ "untrusted wrong name", -DAY, DAY, 0, 0, "DNS:other.test",
	    "mail.test", 1, SMTPPROBE_OUTCOME_CERT_UNTRUSTED,
	    SMTPPROBE_VERIFY_UNTRUSTED | SMTPPROBE_VERIFY_NAME_MISMATCH },
	/* Not judged: facts kept, verdict OK. */
	{ "no verify", -10 * DAY, -DAY, 1, 0, "DNS:other.test", "mail.test",
	    0, SMTPPROBE_OUTCOME_OK, SMTPPROBE_VERIFY_EXPIRED |
	    SMTPPROBE_VERIFY_UNTRUSTED | SMTPPROBE_VERIFY_NAME_MISMATCH },
};

START_TEST(test_verify)
{
	struct smtpprobe_cert	 c;
	enum smtpprobe_outcome	 o;
	X509			*x;

	x = mkcert(leaf_key, "mail.test", verify_rows[_i].sans,
	    verify_rows[_i].nb, verify_rows[_i].na, 0, 10 + _i,
	    verify_rows[_i].self_signed ? NULL : ca_cert,
	    verify_rows[_i].self_signed ? NULL : ca_key);
	o = verify(&c, x, verify_rows[_i].trust, verify_rows[_i].verify_name,
	    verify_rows[_i].checked);
	ck_assert_msg(o == verify_rows[_i].want, "%s: %s",
	    verify_rows[_i].name, smtpprobe_outcome_name(o));
	ck_assert_msg(c.verify_flags == verify_rows[_i].flags,
	    "%s: flags %#x, want %#x", verify_rows[_i].name, c.verify_flags,
	    verify_rows[_i].flags);
	ck_assert_int_eq(c.verified, verify_rows[_i].flags == 0);
	ck_assert_int_eq(c.verify_checked, verify_rows[_i].checked);
	ck_assert_int_eq(c.nverify_errors > 0, verify_rows[_i].flags != 0);
	ck_assert_int_eq(c.verify_text[0] != '\0', c.nverify_errors > 0);
	/* The facts are there whatever the verdict. */
	ck_assert_int_eq(c.present, 1);
	ck_assert_str_eq(c.common_name, "mail.test");
	X509_free(x);
}
END_TEST

START_TEST(test_error_bounds)
{
	struct smtpprobe_cert	c;
	int			i;

	memset(&c, 0, sizeof(c));
	for (i = 0; i < 3; i++)
		cert_add_error(&c, X509_V_ERR_CERT_HAS_EXPIRED);
	ck_assert_int_eq(c.nverify_errors, 1);
	for (i = 1; i < 100; i++)
		cert_add_error(&c, 1000 + i);
	ck_assert_int_eq(c.nverify_errors, SMTPPROBE_MAX_VERIFY_ERRORS);
	cert_add_error(&c, X509_V_ERR_HOSTNAME_MISMATCH);
	ck_assert_uint_eq(c.verify_flags, SMTPPROBE_VERIFY_EXPIRED |
	    SMTPPROBE_VERIFY_UNTRUSTED | SMTPPROBE_VERIFY_NAME_MISMATCH);
	cert_add_error(&c, X509_V_OK);
	ck_assert_int_eq(c.nverify_errors, SMTPPROBE_MAX_VERIFY_ERRORS);
}
END_TEST

/* ---- whole probes against an in-test TLS server ------------------ */

struct tserver {
	int		 lfd;
	uint16_t	 port;
	SSL_CTX		*ctx;
	char		 sni[256];
	char		 seen[256];
	pthread_t	 thr;
};

static void *
tserver_main(void *arg)
{
	struct tserver	*t = arg;
	SSL		*ssl;
	const char	*sn;
	char		 buf[512];
	int		 fd, n;

	if ((fd = accept(t->lfd, NULL, NULL)) == -1)
		return NULL;
	ssl = SSL_new(t->ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) == 1) {
		sn = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
		snprintf(t->sni, sizeof(t->sni), "%s", sn != NULL ? sn : "");
		SSL_write(ssl, "220 tls.test ESMTP\r\n", 20);
		while ((n = SSL_read(ssl, buf, sizeof(buf) - 1)) > 0) {
			buf[n] = '\0';
			if (strlen(t->seen) + (size_t)n < sizeof(t->seen))
				memcpy(t->seen + strlen(t->seen), buf,
				    (size_t)n + 1);
			if (strncmp(buf, "QUIT", 4) == 0) {
				SSL_write(ssl, "221 bye\r\n", 9);
				break;
			}
			SSL_write(ssl,
			    "250-tls.test\r\n250 AUTH PLAIN\r\n", 30);
		}
	}
	SSL_free(ssl);
	close(fd);
	return NULL;
}

static void
tserver_start(struct tserver *t, X509 *cert, EVP_PKEY *key, int max_version)
{
	struct sockaddr_in	sin;
	socklen_t		sl = sizeof(sin);

	memset(t, 0, sizeof(*t));
	t->ctx = SSL_CTX_new(TLS_server_method());
	ck_assert_ptr_nonnull(t->ctx);
	ck_assert_int_eq(SSL_CTX_use_certificate(t->ctx, cert), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(t->ctx, key), 1);
	if (max_version != 0) {
		SSL_CTX_set_security_level(t->ctx, 0);
		ck_assert_int_eq(SSL_CTX_set_min_proto_version(t->ctx,
		    TLS1_VERSION), 1);
		ck_assert_int_eq(SSL_CTX_set_max_proto_version(t->ctx,
		    max_version), 1);
		ck_assert_int_eq(SSL_CTX_set_cipher_list(t->ctx,
		    "DEFAULT:@SECLEVEL=0"), 1);
	}
	t->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(t->lfd, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	ck_assert_int_eq(listen(t->lfd, 4), 0);
	ck_assert_int_eq(getsockname(t->lfd, (struct sockaddr *)&sin, &sl),
	    0);
	t->port = ntohs(sin.sin_port);
	ck_assert_int_eq(pthread_create(&t->thr, NULL, tserver_main, t), 0);
}

static void
tserver_end(struct tserver *t)
{
	pthread_join(t->thr, NULL);
	close(t->lfd);
	SSL_CTX_free(t->ctx);
}

/* The CA as a PEM file for the probe's ca_file. */
static char	ca_dir[64], ca_path[128];

static void
write_ca(void)
{
	FILE	*f;

	snprintf(ca_dir, sizeof(ca_dir), "/tmp/check_cert.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(ca_dir));
	snprintf(ca_path, sizeof(ca_path), "%s/ca.crt", ca_dir);
	f = fopen(ca_path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_X509(f, ca_cert), 1);
	fclose(f);
}

static void
remove_ca(void)
{
	unlink(ca_path);
	rmdir(ca_dir);
}

static const struct smtpprobe_result *
run_probe(struct smtpprobe_ctx *ctx, struct smtpprobe **pp, uint16_t port,
    const char *verify_name, enum smtpprobe_tls_version min, unsigned flags)
{
	struct smtpprobe_params	 pa;
	struct pollfd		 fds[SMTPPROBE_MAX_POLLFDS];
	char			 err[160];
	size_t			 n;
	int64_t			 t;

	memset(&pa, 0, sizeof(pa));
	pa.host = "127.0.0.1";
	pa.port = port;
	pa.mode = SMTPPROBE_MODE_TLS;
	pa.deadline = smtpprobe_now() + 10 * SEC;
	pa.verify_name = verify_name;
	pa.ca_file = ca_path;
	pa.min_tls = min;
	pa.flags = flags;
	pa.ehlo_name = "probe.test";
	*pp = smtpprobe_new(ctx, &pa, err, sizeof(err));
	ck_assert_msg(*pp != NULL, "%s", err);
	while (smtpprobe_step(*pp, smtpprobe_now()) == SMTPPROBE_WANT_IO) {
		n = smtpprobe_pollfds(*pp, fds, SMTPPROBE_MAX_POLLFDS);
		t = smtpprobe_next_timeout(*pp) - smtpprobe_now();
		(void)poll(fds, n, t <= 0 ? 0 : (int)(t / 1000 + 1));
	}
	return smtpprobe_result(*pp);
}

static const struct {
	const char		*name;
	long			 nb, na;
	const char		*verify_name;	/* NULL: the IP host */
	enum smtpprobe_tls_version min;
	int			 server_max;	/* 0: default */
	unsigned		 flags;
	enum smtpprobe_outcome	 want;
	enum smtpprobe_phase	 phase;
	const char		*sni;		/* what the server saw */
	const char		*detail;	/* substring */
} tls_rows[] = {
	{ "good by name", -DAY, 30 * DAY, "mail.test", SMTPPROBE_TLS_DEFAULT,
	    0, 0, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL, "mail.test",
	    "" },
	{ "good by ip: no sni", -DAY, 30 * DAY, NULL, SMTPPROBE_TLS_DEFAULT,
	    0, 0, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL, "", "" },
	{ "expired: facts kept", -10 * DAY, -DAY, "mail.test",
	    SMTPPROBE_TLS_DEFAULT, 0, 0, SMTPPROBE_OUTCOME_CERT_EXPIRED,
	    SMTPPROBE_PHASE_TLS_HANDSHAKE, "mail.test", "expired" },
	{ "expired, not judged", -10 * DAY, -DAY, "mail.test",
	    SMTPPROBE_TLS_DEFAULT, 0, SMTPPROBE_F_INSECURE_NO_VERIFY,
	    SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL, "mail.test", "" },
	{ "wrong name", -DAY, 30 * DAY, "other.test", SMTPPROBE_TLS_DEFAULT,
	    0, 0, SMTPPROBE_OUTCOME_CERT_NAME_MISMATCH,
	    SMTPPROBE_PHASE_TLS_HANDSHAKE, "other.test", "mismatch" },
	{ "server 1.1, min default", -DAY, 30 * DAY, "mail.test",
	    SMTPPROBE_TLS_DEFAULT, TLS1_1_VERSION, 0,
	    SMTPPROBE_OUTCOME_TLS_FAILED, SMTPPROBE_PHASE_TLS_HANDSHAKE, NULL,
	    "no common TLS version >= 1.2" },
	{ "server 1.2, min 1.3", -DAY, 30 * DAY, "mail.test",
	    SMTPPROBE_TLS_1_3, TLS1_2_VERSION, 0,
	    SMTPPROBE_OUTCOME_TLS_FAILED, SMTPPROBE_PHASE_TLS_HANDSHAKE, NULL,
	    "no common TLS version >= 1.3" },
	{ "server 1.1, min 1.0", -DAY, 30 * DAY, "mail.test",
	    SMTPPROBE_TLS_1_0, TLS1_1_VERSION, 0, SMTPPROBE_OUTCOME_OK,
	    SMTPPROBE_PHASE_TOTAL, "mail.test", "" },
};

START_TEST(test_tls_probe)
{
	struct smtpprobe_ctx		*ctx = smtpprobe_ctx_new(NULL, 0);
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	struct tserver			 t;
	X509				*x;

	write_ca();
	x = mkcert(leaf_key, "mail.test", "DNS:mail.test,IP:127.0.0.1",
	    tls_rows[_i].nb, tls_rows[_i].na, 0, 77, ca_cert, ca_key);
	tserver_start(&t, x, leaf_key, tls_rows[_i].server_max);
	r = run_probe(ctx, &p, t.port, tls_rows[_i].verify_name,
	    tls_rows[_i].min, tls_rows[_i].flags);
	ck_assert_msg(r->outcome == tls_rows[_i].want &&
	    r->phase == tls_rows[_i].phase, "%s: %s in %s (%s)",
	    tls_rows[_i].name, smtpprobe_outcome_name(r->outcome),
	    smtpprobe_phase_name(r->phase), r->detail);
	ck_assert_msg(strstr(r->detail, tls_rows[_i].detail) != NULL,
	    "%s: detail \"%s\"", tls_rows[_i].name, r->detail);
	if (tls_rows[_i].sni != NULL) {
		/* The handshake completed: facts, and the dialogue went on. */
		ck_assert_int_eq(r->tls_up, 1);
		ck_assert_str_ne(r->tls_version, "");
		ck_assert_str_ne(r->tls_cipher, "");
		ck_assert_int_eq(r->cert.present, 1);
		ck_assert_str_eq(r->cert.common_name, "mail.test");
		ck_assert_str_eq(r->cert.serial, "4D");
		ck_assert_int_eq(r->banner.code, 220);
		ck_assert_int_eq(r->caps_tls.present, 1);
		ck_assert_str_eq(r->caps_tls.auth, "PLAIN");
		ck_assert_int_eq(r->caps.present, 0);
		ck_assert_int_eq(r->cert.verified,
		    tls_rows[_i].want == SMTPPROBE_OUTCOME_OK &&
		    tls_rows[_i].flags == 0);
	} else {
		ck_assert_int_eq(r->tls_up, 0);
		ck_assert_int_eq(r->banner.code, 0);
	}
	smtpprobe_free(p);
	tserver_end(&t);
	if (tls_rows[_i].sni != NULL) {
		ck_assert_str_eq(t.sni, tls_rows[_i].sni);
		ck_assert_ptr_nonnull(strstr(t.seen, "EHLO probe.test\r\n"));
		ck_assert_ptr_nonnull(strstr(t.seen, "QUIT\r\n"));
	}
	X509_free(x);
	smtpprobe_ctx_free(ctx);
	remove_ca();
}
END_TEST

/* A CA file that does not exist: the probe's own failure, said so. */
START_TEST(test_missing_ca_file)
{
	struct smtpprobe_ctx		*ctx = smtpprobe_ctx_new(NULL, 0);
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	struct tserver			 t;
	X509				*x;

	snprintf(ca_path, sizeof(ca_path), "/nonexistent/ca.crt");
	x = mkcert(leaf_key, "mail.test", "DNS:mail.test", -DAY, DAY, 0, 5,
	    ca_cert, ca_key);
	tserver_start(&t, x, leaf_key, 0);
	r = run_probe(ctx, &p, t.port, "mail.test", SMTPPROBE_TLS_DEFAULT, 0);
	ck_assert_int_eq(r->outcome, SMTPPROBE_OUTCOME_INTERNAL);
	ck_assert_ptr_nonnull(strstr(r->detail, "CA file"));
	smtpprobe_free(p);
	/* Unblock the server's accept. */
	shutdown(t.lfd, SHUT_RDWR);
	tserver_end(&t);
	X509_free(x);
	smtpprobe_ctx_free(ctx);
}
END_TEST

/* A plain SMTP server where the probe expects implicit TLS: greets,
 * then drains until the client closes. */
static void *
plainserver_main(void *arg)
{
	struct tserver	*t = arg;
	char		 buf[512];
	int		 fd;

	if ((fd = accept(t->lfd, NULL, NULL)) == -1)
		return NULL;
	(void)write(fd, "220 plain.test ESMTP\r\n", 22);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return NULL;
}

/*
 * OpenSSL's error strings are not loaded up front (a successful run never
 * needs them): the first failure still gets OpenSSL's words.
 */
START_TEST(test_error_strings)
{
	struct smtpprobe_ctx		*ctx = smtpprobe_ctx_new(NULL, 0);
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	struct tserver			 t;
	struct sockaddr_in		 sin;
	socklen_t			 sl = sizeof(sin);

	memset(&t, 0, sizeof(t));
	t.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(t.lfd, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	ck_assert_int_eq(listen(t.lfd, 4), 0);
	ck_assert_int_eq(getsockname(t.lfd, (struct sockaddr *)&sin, &sl),
	    0);
	t.port = ntohs(sin.sin_port);
	ck_assert_int_eq(pthread_create(&t.thr, NULL, plainserver_main, &t),
	    0);
	write_ca();
	r = run_probe(ctx, &p, t.port, "mail.test", SMTPPROBE_TLS_DEFAULT, 0);
	ck_assert_int_eq(r->outcome, SMTPPROBE_OUTCOME_TLS_FAILED);
	ck_assert_msg(strstr(r->detail, "plain SMTP") != NULL &&
	    strstr(r->detail, "wrong version number") != NULL, "detail: %s",
	    r->detail);
	smtpprobe_free(p);
	pthread_join(t.thr, NULL);
	close(t.lfd);
	smtpprobe_ctx_free(ctx);
	remove_ca();
}
END_TEST

/* A probe made with mode and ca_file (NULL: the system store), not run. */
static struct smtpprobe *
new_probe(struct smtpprobe_ctx *ctx, enum smtpprobe_mode mode,
    const char *ca_file)
{
	struct smtpprobe_params	 pa;
	struct smtpprobe	*p;
	char			 err[160];

	memset(&pa, 0, sizeof(pa));
	pa.host = "127.0.0.1";
	pa.port = 25;
	pa.mode = mode;
	pa.deadline = smtpprobe_now() + 10 * SEC;
	pa.ca_file = ca_file;
	p = smtpprobe_new(ctx, &pa, err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	return p;
}

/*
 * SSL_CTXs are built lazily, each by the first probe that needs it, at
 * smtpprobe_new() (outside the probe's phases): none for the context or
 * for plain probes, one per trust store, the system store's never with a
 * CA file.
 */
START_TEST(test_ctx_lazy)
{
	struct smtpprobe_ctx	*ctx = smtpprobe_ctx_new(NULL, 0);
	struct smtpprobe	*p[4];

	ck_assert_ptr_nonnull(ctx);
	ck_assert_uint_eq(ctx_ssl_built(ctx), 0);
	p[0] = new_probe(ctx, SMTPPROBE_MODE_PLAIN, NULL);
	ck_assert_uint_eq(ctx_ssl_built(ctx), 0);
	write_ca();
	p[1] = new_probe(ctx, SMTPPROBE_MODE_STARTTLS, ca_path);
	ck_assert_uint_eq(ctx_ssl_built(ctx), 1);
	p[2] = new_probe(ctx, SMTPPROBE_MODE_TLS, ca_path);
	ck_assert_uint_eq(ctx_ssl_built(ctx), 1);
	/* The system store only when a probe asks for it. */
	p[3] = new_probe(ctx, SMTPPROBE_MODE_TLS, NULL);
	ck_assert_uint_eq(ctx_ssl_built(ctx), 2);
	smtpprobe_free(p[0]);
	smtpprobe_free(p[1]);
	smtpprobe_free(p[2]);
	smtpprobe_free(p[3]);
	smtpprobe_ctx_free(ctx);
	remove_ca();
}
END_TEST

#define NROWS(a)	((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
cert_suite(void)
{
	Suite	*s = suite_create("cert");
	TCase	*tc;

	tc = tcase_create("facts");
	tcase_add_checked_fixture(tc, cert_setup, cert_teardown);
	tcase_add_test(tc, test_extract);
	tcase_add_test(tc, test_extract_hostile_names);
	tcase_add_test(tc, test_chain_earliest);
	tcase_add_loop_test(tc, test_verify, 0, NROWS(verify_rows));
	tcase_add_test(tc, test_error_bounds);
	suite_add_tcase(s, tc);

	tc = tcase_create("tls");
	tcase_add_checked_fixture(tc, cert_setup, cert_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, test_tls_probe, 0, NROWS(tls_rows));
	tcase_add_test(tc, test_missing_ca_file);
	tcase_add_test(tc, test_ctx_lazy);
	tcase_add_test(tc, test_error_strings);
	suite_add_tcase(s, tc);
	return s;
}
CHECK_SUITE(cert_suite)
