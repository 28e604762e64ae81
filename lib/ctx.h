/*
 * ctx.h: the shared context's internal side.  Internal.
 */
#ifndef LIB_CTX_H
#define LIB_CTX_H

#include <openssl/ssl.h>

#include "smtpprobe.h"

/*
 * The client SSL_CTX for ca_file (NULL: the system trust store), built and
 * cached on first use, thread-safe.  The caller gets a reference and
 * releases it with SSL_CTX_free() (SSL_new() takes its own).  NULL with a
 * reason in err.
 */
SSL_CTX		*ctx_ssl(struct smtpprobe_ctx *, const char *ca_file,
		    char *err, size_t errlen);

/* SSL_CTXs this context has built so far (for tests: a plain-only run
 * builds none, a run with a CA file never builds the system store's). */
size_t		 ctx_ssl_built(struct smtpprobe_ctx *);

#endif
