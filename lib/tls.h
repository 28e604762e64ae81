/*
 * tls.h: the TLS side of a probe, on OpenSSL 3.  Internal.
 *
 * One SSL_CTX per trust store (built by tls_ctx_new(), cached by ctx.c);
 * one struct tls_conn per connection.  The connection talks to its socket
 * through a small custom BIO that sends with MSG_NOSIGNAL (never SIGPIPE)
 * and re-arms TCP_QUICKACK before every read.  OpenSSL's want-read /
 * want-write are returned as TLS_WANT_READ / TLS_WANT_WRITE so the caller
 * owns the waiting.  The verify callback records every verification error
 * into the probe's certificate facts and always returns 1, so the
 * handshake completes and the verdict is applied afterwards.
 */
#ifndef LIB_TLS_H
#define LIB_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "smtpprobe.h"

enum tls_status {
	TLS_OK,			/* done (handshake) or n bytes moved */
	TLS_WANT_READ,
	TLS_WANT_WRITE,
	TLS_CLOSED,		/* the peer closed (EOF or close_notify) */
	TLS_SYSERR,		/* socket error: sys_errno */
	TLS_FAILED,		/* TLS protocol failure: err */
	TLS_STATUS_COUNT
};

struct tls_conn {
	SSL			*ssl;		/* owned */
	int			 fd;		/* not owned */
	int			 quickack;
	int			 eof;		/* the socket read EOF */
	int			 sys_errno;	/* last socket error */
	int			 version_fail;	/* no common protocol version */
	unsigned char		 first[4];	/* first bytes received */
	size_t			 nfirst;
	struct smtpprobe_cert	*cert;		/* verify errors go here */
	char			 err[160];	/* TLS_FAILED: why */
};

/* The string flags for OPENSSL_init_ssl(): none are loaded up front when
 * tls_err_reason() can load them on demand. */
uint64_t	 tls_init_flags(void);

/* OpenSSL's reason text for error e (0: NULL), loading the error strings
 * on first need; NULL if there is none. */
const char	*tls_err_reason(unsigned long e);

/*
 * A client SSL_CTX verifying against ca_file, or the system's hashed
 * certificate directory when ca_file is NULL (~2 ms, against ~30 ms for
 * the bundle in OpenSSL 3.0).  NULL with a reason in err.
 */
SSL_CTX		*tls_ctx_new(const char *ca_file, char *err, size_t errlen);

/*
 * Prepare tc for a client handshake on fd.  sni may be NULL (no SNI: IP
 * literals never get one, RFC 6066 §3).  min is the lowest protocol
 * version; below 1.2 the security level is lowered too, so that old
 * servers can be reached at all.  Returns 0, or -1 with a reason in err.
 */
int		 tls_conn_start(struct tls_conn *tc, SSL_CTX *ctx, int fd,
		    const char *sni, enum smtpprobe_tls_version min,
		    int quickack, struct smtpprobe_cert *cert, char *err,
		    size_t errlen);
enum tls_status	 tls_conn_handshake(struct tls_conn *);
/* Read or write up to len bytes; *n gets the count on TLS_OK. */
enum tls_status	 tls_conn_read(struct tls_conn *, void *buf, size_t len,
		    size_t *n);
enum tls_status	 tls_conn_write(struct tls_conn *, const void *buf,
		    size_t len, size_t *n);
/* Send close_notify if it can go at once; never waits. */
void		 tls_conn_shutdown(struct tls_conn *);
void		 tls_conn_free(struct tls_conn *);	/* frees tc->ssl */
/* "TLSv1.3", the cipher name, and the OpenSSL verdict on the chain after a
 * handshake.  The peer's leaf and chain as OpenSSL holds them. */
const char	*tls_conn_version(const struct tls_conn *);
const char	*tls_conn_cipher(const struct tls_conn *);

#endif
