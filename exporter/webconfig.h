/*
 * webconfig.h: --web.config.file in Prometheus exporter-toolkit's format:
 * basic_auth_users (bcrypt hashes, checked with libcrypt) and
 * tls_server_config (cert_file, key_file, served by libmicrohttpd's TLS).
 */
#ifndef EXPORTER_WEBCONFIG_H
#define EXPORTER_WEBCONFIG_H

#include <stddef.h>

struct webconfig;

/* Load and validate path; NULL with "file:line: problem" in err. */
struct webconfig *webconfig_load(const char *path, char *err, size_t errlen);
void		 webconfig_free(struct webconfig *);	/* NULL ok */
/* The PEM texts for MHD, or NULL when TLS is not configured. */
const char	*webconfig_cert_pem(const struct webconfig *);
const char	*webconfig_key_pem(const struct webconfig *);
/* 1 if basic auth is required. */
int		 webconfig_has_users(const struct webconfig *);
/*
 * 1 if user and password match a configured bcrypt hash.  Successful
 * checks are cached (SHA-256 of user, password and hash), so a scraper
 * does not pay bcrypt's cost on every request.  Thread-safe.
 */
int		 webconfig_check(struct webconfig *, const char *user,
		    const char *pass);

#endif
