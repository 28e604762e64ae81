/*
 * webconfig.h: --web.config.file in Prometheus exporter-toolkit's format:
 * basic_auth_users (bcrypt hashes, checked with libcrypt) and
 * tls_server_config (cert_file, key_file, handed to libmicrohttpd's
 * GnuTLS per handshake).  A loaded web config is immutable (but for its
 * credential cache) and reference-counted, so that a reload can replace
 * it while HTTP threads still use the old one.
 */
#ifndef EXPORTER_WEBCONFIG_H
#define EXPORTER_WEBCONFIG_H

#include <stddef.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

struct webconfig;

/*
 * Load and validate path (YAML, bcrypt hashes, the certificate chain and
 * key parsed by GnuTLS and matching each other); the result holds one
 * reference.  NULL with "file:line: problem" (or "file: problem") in err.
 */
struct webconfig *webconfig_load(const char *path, char *err, size_t errlen);
/* Take one more reference (NULL ok; returns its argument). */
struct webconfig *webconfig_ref(struct webconfig *);
/* Drop one reference; the last frees (NULL ok). */
void		 webconfig_unref(struct webconfig *);
/* 1 if tls_server_config is set. */
int		 webconfig_has_tls(const struct webconfig *);
/* 1 if both serve the same certificate and key, or both none. */
int		 webconfig_same_tls(const struct webconfig *,
		    const struct webconfig *);
/*
 * Give dst (not yet shared with other threads) src's certificate and key
 * if dst has none: a reload that drops tls_server_config cannot turn a
 * TLS listener into a plain one.  0, or -1 when out of memory.
 */
int		 webconfig_keep_tls(struct webconfig *dst,
		    const struct webconfig *src);
/*
 * Copy src's cache of good credentials into dst (not yet shared).  Safe
 * across any change: an entry is a digest of user, password and hash,
 * so it only ever matches a user whose hash is unchanged.
 */
void		 webconfig_keep_cache(struct webconfig *dst,
		    struct webconfig *src);
/*
 * A fresh copy of the certificate chain and key for one TLS handshake,
 * allocated for GnuTLS to free (GNUTLS_CERT_RETR_DEINIT_ALL): *certs is
 * gnutls_malloc'ed.  0, or -1 (no TLS configured, out of memory).
 */
int		 webconfig_tls_get(const struct webconfig *,
		    gnutls_pcert_st **certs, unsigned *ncerts,
		    gnutls_privkey_t *key);
/* Free what webconfig_tls_get() gave, as GnuTLS does (NULLs ok). */
void		 webconfig_tls_free(gnutls_pcert_st *certs, unsigned ncerts,
		    gnutls_privkey_t key);
/* 1 if basic auth is required; the number of users. */
int		 webconfig_has_users(const struct webconfig *);
size_t		 webconfig_nusers(const struct webconfig *);
/*
 * 1 if user and password match a configured bcrypt hash.  Successful
 * checks are cached (SHA-256 of user, password and hash), so a scraper
 * does not pay bcrypt's cost on every request.  Thread-safe.
 */
int		 webconfig_check(struct webconfig *, const char *user,
		    const char *pass);

#endif
