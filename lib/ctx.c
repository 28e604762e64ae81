/*
 * ctx.c: the shared context: a small, thread-safe cache of client
 * SSL_CTXs, one per trust store (the system's hashed directory, made with
 * the context; a CA file, loaded when the first probe that names it is
 * made).  No probe ever loads a trust store or builds an SSL_CTX of its
 * own, and none pays for it inside its phases.
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
};

struct smtpprobe_ctx *
smtpprobe_ctx_new(char *err, size_t errlen)
{
	struct smtpprobe_ctx	*c;
	char			 terr[160];

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/*
	 * OpenSSL's one-time initialisation (configuration, providers:
	 * ~20 ms) happens here, once per process, rather than inside the
	 * first TLS probe's time budget.
	 */
	if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1) {
		free(c);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "cannot initialise OpenSSL");
		return NULL;
	}
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "cannot create a mutex");
		return NULL;
	}
	/*
	 * The first SSL_CTX of a process costs ~20 ms (OpenSSL fetches its
	 * algorithms); the system store's context is made now so that no
	 * probe's deadline pays for it.  Its trust store is the hashed
	 * directory, read on demand: nothing is loaded yet.  A failure here
	 * is retried on first use.
	 */
	if ((c->entries[0].ssl = tls_ctx_new(NULL, terr,
	    sizeof(terr))) != NULL) {
		c->entries[0].ca_file = NULL;
		c->n = 1;
	}
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
