/*
 * ctx.c: the shared context: a small, thread-safe cache of client
 * SSL_CTXs, one per trust store (the system's hashed directory, or a CA
 * file), each built when the first probe that needs it is made
 * (smtpprobe_new()).  Creating the context costs nothing: a run with only
 * plain probes never initialises OpenSSL's TLS side nor builds an
 * SSL_CTX, and a run with --ca-file never builds the system store's.  No
 * probe ever loads a trust store or builds an SSL_CTX of its own, and
 * none pays for it inside its phases (smtpprobe_new() is outside them).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "tls.h"

/* Beyond this many distinct CA files a context is built per probe (still
 * correct, only slower); real configurations have a handful. */
#define CTX_MAX_CACHED	32

struct ctx_entry {
	char		*ca_file;	/* NULL: system store */
	SSL_CTX		*ssl;
};

struct smtpprobe_ctx {
	pthread_mutex_t		 lock;
	struct ctx_entry	 entries[CTX_MAX_CACHED];
	size_t			 n;
	size_t			 built;		/* SSL_CTXs made (tests) */
};

static pthread_once_t	ctx_ossl_once = PTHREAD_ONCE_INIT;
static int		ctx_ossl_ok;

/*
 * OpenSSL's one-time initialisation, on the first SSL_CTX of the process.
 * Only what a TLS client needs: libssl and its algorithms, and the
 * configuration file (openssl.cnf), which is kept because that is where
 * an administrator sets providers (FIPS) and system-wide TLS policy that
 * a monitor should honour (on Debian it costs nothing measurable).  The
 * error strings are loaded by tls.c on the first error it reports
 * (tls_init_flags()): ~130 KB that a successful run never needs.
 */
static void
ctx_ossl_init(void)
{
	ctx_ossl_ok = OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG |
	    tls_init_flags(), NULL) == 1;
}

struct smtpprobe_ctx *
smtpprobe_ctx_new(char *err, size_t errlen)
{
	struct smtpprobe_ctx	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "cannot create a mutex");
		return NULL;
	}
	/*
	 * Nothing else now: OpenSSL and the SSL_CTXs are made by ctx_ssl()
	 * when smtpprobe_new() makes the first probe that needs each one.
	 * That is outside every probe's phases, but inside the time to a
	 * deadline the caller computed before smtpprobe_new() (~20 ms once
	 * per process, ~100 ms under AddressSanitizer).
	 */
	return c;
}

void
smtpprobe_ctx_free(struct smtpprobe_ctx *c)
{
	size_t	i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		SSL_CTX_free(c->entries[i].ssl);
		free(c->entries[i].ca_file);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int
same_file(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

SSL_CTX *
ctx_ssl(struct smtpprobe_ctx *c, const char *ca_file, char *err,
    size_t errlen)
{
	SSL_CTX		*ssl = NULL;
	char		*copy = NULL;
	size_t		 i;

	if (pthread_once(&ctx_ossl_once, ctx_ossl_init) != 0 ||
	    !ctx_ossl_ok) {
		snprintf(err, errlen, "cannot initialise OpenSSL");
		return NULL;
	}
	if (pthread_mutex_lock(&c->lock) != 0) {
		snprintf(err, errlen, "cannot lock the context");
		return NULL;
	}
	for (i = 0; i < c->n; i++) {
		if (same_file(c->entries[i].ca_file, ca_file)) {
			ssl = c->entries[i].ssl;
			SSL_CTX_up_ref(ssl);
			goto out;
		}
	}
	/* Built under the lock: concurrent first probes wait for one load
	 * instead of each loading the trust store. */
	if ((ssl = tls_ctx_new(ca_file, err, errlen)) == NULL)
		goto out;
	c->built++;
	if (c->n < CTX_MAX_CACHED &&
	    (ca_file == NULL || (copy = strdup(ca_file)) != NULL)) {
		c->entries[c->n].ca_file = copy;
		c->entries[c->n].ssl = ssl;
		c->n++;
		SSL_CTX_up_ref(ssl);
	}
out:
	pthread_mutex_unlock(&c->lock);
	return ssl;
}

size_t
ctx_ssl_built(struct smtpprobe_ctx *c)
{
	size_t	n;

	if (pthread_mutex_lock(&c->lock) != 0)
		return 0;
	n = c->built;
	pthread_mutex_unlock(&c->lock);
	return n;
}
