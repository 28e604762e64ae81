/*
 * tlsgen.h: TLS material for the fake SMTP server, generated at start-up
 * with the OpenSSL 3 API (never committed, no openssl(1) needed): a CA, an
 * intermediate CA, and one leaf per certificate kind, EC P-256 keys for
 * speed.  Servers send the leaf and its issuer (none for self-signed).
 */
#ifndef FAKE_TLSGEN_H
#define FAKE_TLSGEN_H

#include <openssl/ssl.h>

/* Which certificate a TLS scenario presents. */
enum tlsgen_kind {
	TLSGEN_GOOD,		/* CA-signed, SANs localhost,
				   mail.fake.test, 127.0.0.1;
				   valid -1 d .. +365 d */
	TLSGEN_EXPIRED,		/* notAfter 30 days ago */
	TLSGEN_NOTYETVALID,	/* notBefore in 30 days */
	TLSGEN_SELFSIGNED,	/* good names, signed by itself */
	TLSGEN_WRONGNAME,	/* SAN DNS:other.fake.test only */
	TLSGEN_SOON,		/* expires in 10 days */
	TLSGEN_SOONCHAIN,	/* good leaf (+365 d) under an intermediate
				   CA that expires in 5 days; both sent */
	TLSGEN_EXPIREDCHAIN,	/* good leaf under an intermediate that
				   expired 10 days ago; both sent */
	TLSGEN_NOCHAIN,		/* good leaf under the intermediate, sent
				   alone (the classic missing chain) */
	TLSGEN_TLS10,		/* good certificate, TLS 1.0/1.1 only */
	TLSGEN_TLS12,		/* the good certificate, TLS 1.2 only */
	TLSGEN_COUNT
};

struct tlsgen;

/*
 * Generate the CA and every leaf, and build one server SSL_CTX per kind.
 * NULL on failure with a reason in err.
 */
struct tlsgen	*tlsgen_new(char *err, size_t errlen);
void		 tlsgen_free(struct tlsgen *);		/* NULL ok */
/* The server context for kind (owned by tg). */
SSL_CTX		*tlsgen_ctx(const struct tlsgen *, enum tlsgen_kind);
/* Write the CA certificate (PEM) to path (mode 0644). 0 or -1 with err. */
int		 tlsgen_write_ca(const struct tlsgen *, const char *path,
		    char *err, size_t errlen);

#endif
