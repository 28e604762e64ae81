/*
 * tls.c: OpenSSL 3 client contexts and connections for probes: a socket
 * BIO that never raises SIGPIPE and re-arms TCP_QUICKACK, want-read /
 * want-write mapped onto readiness, a verify callback that collects every
 * error, and protocol-version failures recognised as such.
 *
 * OpenSSL's error strings (~130 KB of heap and hash tables, a plugin's
 * largest avoidable cost) are not loaded when OpenSSL is initialised
 * (tls_init_flags()); tls_err_reason() loads the tables of the libraries
 * that TLS details come from on the first error it has to put into
 * words.  OpenSSL 3 only offers that through its deprecated per-library
 * loaders; a build of OpenSSL without them gets every string at start-up
 * instead.  An application that wants all of OpenSSL's strings
 * initialises OpenSSL itself before smtpprobe_ctx_new(); the default
 * initialisation loads them, and ours then changes nothing.
 */
#define OPENSSL_SUPPRESS_DEPRECATED	/* ERR_load_*_strings() */

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "cert.h"
#include "sock.h"
#include "tls.h"

#if !defined(OPENSSL_NO_DEPRECATED_3_0) && !defined(OPENSSL_NO_ERR)
#define TLS_LAZY_STRINGS	1
#endif

static pthread_once_t	 tls_once = PTHREAD_ONCE_INIT;
static pthread_once_t	 tls_strings_once = PTHREAD_ONCE_INIT;
static BIO_METHOD	*tls_bio_method;
static int		 tls_ex_index = -1;

/* The socket BIO: send(2) with MSG_NOSIGNAL, EAGAIN as a retry. */
static int
bio_write(BIO *b, const char *buf, int len)
{
	struct tls_conn	*tc = BIO_get_data(b);
	ssize_t		 n;

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	n = sock_send(tc->fd, buf, (size_t)len);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			BIO_set_retry_write(b);
		else
			tc->sys_errno = errno;
		return -1;
	}
	return (int)n;
}

/* The socket BIO: recv(2) after re-arming TCP_QUICKACK; EOF and errors
 * are kept in the tls_conn for the diagnosis. */
static int
bio_read(BIO *b, char *buf, int len)
{
	struct tls_conn	*tc = BIO_get_data(b);
	ssize_t		 n;
	size_t		 i;

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	n = sock_recv(tc->fd, buf, (size_t)len, tc->quickack);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			BIO_set_retry_read(b);
		else
			tc->sys_errno = errno;
		return -1;
	}
	if (n == 0) {
		tc->eof = 1;
		return 0;
	}
	/* Keep the first bytes for a better diagnosis of a failure. */
	for (i = 0; i < (size_t)n && tc->nfirst < sizeof(tc->first); i++)
		tc->first[tc->nfirst++] = (unsigned char)buf[i];
	return (int)n;
}

static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	default:
		return 0;
	}
}

static int
bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

/* Record every verification error into the probe's certificate facts;
 * never stop the handshake. */
static int
verify_cb(int ok, X509_STORE_CTX *x)
{
	SSL		*ssl;
	struct tls_conn	*tc;

	ssl = X509_STORE_CTX_get_ex_data(x,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl == NULL)
		return 1;
	tc = SSL_get_ex_data(ssl, tls_ex_index);
	if (!ok && tc != NULL && tc->cert != NULL)
		cert_add_error(tc->cert, X509_STORE_CTX_get_error(x));
	/* Always go on: the facts are wanted even from a bad certificate. */
	return 1;
}

/* Once per process: our SSL ex_data index and the socket BIO method. */
static void
tls_init_once(void)
{
	BIO_METHOD	*m;

	tls_ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
	    "smtpprobe socket");
	if (m == NULL)
		return;
	if (BIO_meth_set_write(m, bio_write) != 1 ||
	    BIO_meth_set_read(m, bio_read) != 1 ||
	    BIO_meth_set_ctrl(m, bio_ctrl) != 1 ||
	    BIO_meth_set_create(m, bio_create) != 1) {
		BIO_meth_free(m);
		return;
	}
	tls_bio_method = m;
}

uint64_t
tls_init_flags(void)
{
#ifdef TLS_LAZY_STRINGS
	return OPENSSL_INIT_NO_LOAD_SSL_STRINGS |
	    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS;
#else
	return OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS;
#endif
}

/* The error tables of the libraries whose errors reach a TLS detail:
 * libssl, certificates and CA files, keys and algorithms, the system. */
static void
tls_strings_load(void)
{
#ifdef TLS_LAZY_STRINGS
	(void)ERR_load_ERR_strings();
	(void)ERR_load_SSL_strings();
	(void)ERR_load_X509_strings();
	(void)ERR_load_X509V3_strings();
	(void)ERR_load_PEM_strings();
	(void)ERR_load_ASN1_strings();
	(void)ERR_load_BIO_strings();
	(void)ERR_load_BUF_strings();
	(void)ERR_load_EVP_strings();
	(void)ERR_load_EC_strings();
	(void)ERR_load_RSA_strings();
	(void)ERR_load_DH_strings();
	(void)ERR_load_OBJ_strings();
	(void)ERR_load_CRYPTO_strings();
	(void)ERR_load_CONF_strings();
#endif
}

const char *
tls_err_reason(unsigned long e)
{
	const char	*r;

	if (e == 0)
		return NULL;
	if ((r = ERR_reason_error_string(e)) == NULL &&
	    pthread_once(&tls_strings_once, tls_strings_load) == 0)
		r = ERR_reason_error_string(e);
	return r;
}

/* "what: OpenSSL's reason" into err. */
static void
ssl_err_text(char *err, size_t errlen, const char *what)
{
	const char	*r = tls_err_reason(ERR_peek_last_error());

	snprintf(err, errlen, "%s%s%s", what, r != NULL ? ": " : "",
	    r != NULL ? r : "");
}

SSL_CTX *
tls_ctx_new(const char *ca_file, char *err, size_t errlen)
{
	SSL_CTX	*ctx;

	if (pthread_once(&tls_once, tls_init_once) != 0 ||
	    tls_bio_method == NULL || tls_ex_index < 0) {
		snprintf(err, errlen, "cannot initialise OpenSSL");
		return NULL;
	}
	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		ssl_err_text(err, errlen, "SSL_CTX_new");
		return NULL;
	}
	/*
	 * An EOF without close_notify is how many servers end a session; it
	 * is not an error for a probe.  No compression, no session cache
	 * (one handshake per connection is what is measured).
	 */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF |
	    SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	    SSL_MODE_RELEASE_BUFFERS);
	/* Read whole flights, not record header then body: a third of the
	 * recv(2)s (and of the TCP_QUICKACK re-arms before them). */
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
	if (ca_file != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
			const char	*why = tls_err_reason(
					    ERR_peek_last_error());

			if (access(ca_file, R_OK) == -1)
				why = strerror(errno);
			snprintf(err, errlen, "cannot load CA file %s: %s",
			    ca_file, why != NULL ? why : "no certificates");
			SSL_CTX_free(ctx);
			return NULL;
		}
	} else {
		/*
		 * The hashed directory (SSL_CERT_DIR or /usr/lib/ssl/certs,
		 * i.e. /etc/ssl/certs on Debian): certificates are read on
		 * demand, which costs ~2 ms instead of parsing the whole
		 * bundle (~30 ms of CPU).
		 */
		if (SSL_CTX_set_default_verify_dir(ctx) != 1) {
			ssl_err_text(err, errlen,
			    "cannot use the system trust store");
			SSL_CTX_free(ctx);
			return NULL;
		}
	}
	ERR_clear_error();
	return ctx;
}

/* Our minimum version as OpenSSL's (DEFAULT is 1.2, RFC 8996). */
static int
tls_proto(enum smtpprobe_tls_version v)
{
	switch (v) {
	case SMTPPROBE_TLS_1_0:
		return TLS1_VERSION;
	case SMTPPROBE_TLS_1_1:
		return TLS1_1_VERSION;
	case SMTPPROBE_TLS_1_3:
		return TLS1_3_VERSION;
	case SMTPPROBE_TLS_1_2:
	case SMTPPROBE_TLS_DEFAULT:
	default:
		return TLS1_2_VERSION;
	}
}

int
tls_conn_start(struct tls_conn *tc, SSL_CTX *ctx, int fd, const char *sni,
    enum smtpprobe_tls_version min, int quickack,
    struct smtpprobe_cert *cert, char *err, size_t errlen)
{
	BIO	*b;

	memset(tc, 0, sizeof(*tc));
	tc->fd = fd;
	tc->quickack = quickack;
	tc->cert = cert;
	ERR_clear_error();
	if ((tc->ssl = SSL_new(ctx)) == NULL) {
		ssl_err_text(err, errlen, "SSL_new");
		return -1;
	}
	if ((b = BIO_new(tls_bio_method)) == NULL) {
		ssl_err_text(err, errlen, "BIO_new");
		goto fail;
	}
	BIO_set_data(b, tc);
	SSL_set_bio(tc->ssl, b, b);
	if (SSL_set_ex_data(tc->ssl, tls_ex_index, tc) != 1 ||
	    SSL_set_min_proto_version(tc->ssl, tls_proto(min)) != 1) {
		ssl_err_text(err, errlen, "SSL setup");
		goto fail;
	}
	if (min == SMTPPROBE_TLS_1_0 || min == SMTPPROBE_TLS_1_1) {
		/*
		 * OpenSSL 3's default security level 1 refuses TLS 1.0/1.1
		 * (SHA-1 handshake signatures); a user who asks for them
		 * wants to reach such a server.
		 */
		SSL_set_security_level(tc->ssl, 0);
		if (SSL_set_cipher_list(tc->ssl, "DEFAULT:@SECLEVEL=0") != 1) {
			ssl_err_text(err, errlen, "SSL cipher list");
			goto fail;
		}
	}
	/* RFC 6066 §3: no SNI for an IP literal (the caller filters). */
	if (sni != NULL && *sni != '\0' &&
	    SSL_ctrl(tc->ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME,
	    TLSEXT_NAMETYPE_host_name, (void *)(uintptr_t)sni) != 1) {
		ssl_err_text(err, errlen, "SNI");
		goto fail;
	}
	SSL_set_connect_state(tc->ssl);
	return 0;
fail:
	SSL_free(tc->ssl);
	tc->ssl = NULL;
	return -1;
}

/* 1 if an OpenSSL reason code means "no common protocol version". */
static int
is_version_reason(int reason)
{
	switch (reason) {
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
	case SSL_R_NO_PROTOCOLS_AVAILABLE:
	case SSL_R_VERSION_TOO_LOW:
	case SSL_R_UNSUPPORTED_SSL_VERSION:
		return 1;
	default:
		return 0;
	}
}

/* Map SSL_get_error() after a call that returned r. */
static enum tls_status
tls_status_of(struct tls_conn *tc, int r, const char *what)
{
	unsigned long	 e;
	const char	*reason;

	switch (SSL_get_error(tc->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return TLS_CLOSED;
	case SSL_ERROR_SYSCALL:
		if (tc->sys_errno != 0)
			return TLS_SYSERR;
		if (tc->eof || ERR_peek_error() == 0)
			return TLS_CLOSED;
		break;
	default:
		break;
	}
	if (tc->sys_errno != 0)
		return TLS_SYSERR;
	e = ERR_peek_last_error();
	if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    is_version_reason(ERR_GET_REASON(e)))
		tc->version_fail = 1;
	if (tc->eof && !tc->version_fail && e != 0 &&
	    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
		return TLS_CLOSED;
	reason = tls_err_reason(e);
	if (tc->nfirst >= 3 && tc->first[0] >= '1' && tc->first[0] <= '5' &&
	    tc->first[1] >= '0' && tc->first[1] <= '9' &&
	    tc->first[2] >= '0' && tc->first[2] <= '9')
		snprintf(tc->err, sizeof(tc->err),
		    "%s failed: the server speaks plain SMTP, not TLS (%s)",
		    what, reason != NULL ? reason : "?");
	else
		snprintf(tc->err, sizeof(tc->err), "%s failed: %s", what,
		    reason != NULL ? reason : "unknown error");
	return TLS_FAILED;
}

enum tls_status
tls_conn_handshake(struct tls_conn *tc)
{
	int	r;

	ERR_clear_error();
	r = SSL_do_handshake(tc->ssl);
	if (r == 1)
		return TLS_OK;
	return tls_status_of(tc, r, "TLS handshake");
}

enum tls_status
tls_conn_read(struct tls_conn *tc, void *buf, size_t len, size_t *n)
{
	int	r;

	ERR_clear_error();
	r = SSL_read_ex(tc->ssl, buf, len, n);
	if (r == 1)
		return TLS_OK;
	return tls_status_of(tc, 0, "TLS read");
}

enum tls_status
tls_conn_write(struct tls_conn *tc, const void *buf, size_t len, size_t *n)
{
	int	r;

	ERR_clear_error();
	r = SSL_write_ex(tc->ssl, buf, len, n);
	if (r == 1)
		return TLS_OK;
	return tls_status_of(tc, 0, "TLS write");
}

void
tls_conn_shutdown(struct tls_conn *tc)
{
	if (tc->ssl == NULL || !SSL_is_init_finished(tc->ssl))
		return;
	ERR_clear_error();
	(void)SSL_shutdown(tc->ssl);
	ERR_clear_error();
}

void
tls_conn_free(struct tls_conn *tc)
{
	SSL_free(tc->ssl);	/* frees the BIO too */
	tc->ssl = NULL;
}

const char *
tls_conn_version(const struct tls_conn *tc)
{
	return tc->ssl != NULL ? SSL_get_version(tc->ssl) : "";
}

const char *
tls_conn_cipher(const struct tls_conn *tc)
{
	const char	*c = NULL;

	if (tc->ssl != NULL)
		c = SSL_CIPHER_get_name(SSL_get_current_cipher(tc->ssl));
	return c != NULL ? c : "";
}
