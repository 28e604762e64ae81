/*
 * webconfig.c: the exporter-toolkit web configuration.  Only what this
 * exporter implements is accepted; any other key is an error, so a user
 * never believes a setting (client certificates, say) is in force when
 * it is not.  Relative file names are taken relative to the config
 * file's directory, as exporter-toolkit does.
 *
 * A loaded web config is immutable apart from its cache of good
 * credentials and is reference-counted: a reload (app.c) swaps in a new
 * one while HTTP threads still check passwords or start TLS handshakes
 * against the old one, which goes when its last user lets go.  The
 * certificate and key are validated with GnuTLS (the library that serves
 * them: parse errors, a key that does not match the certificate) when
 * the file is loaded, and imported afresh for every handshake, so a
 * reload changes the certificate of the next connection.
 */
#include <sys/stat.h>

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <yaml.h>

#include "readfile.h"
#include "webconfig.h"

#define WC_MAX_FILE	(256 * 1024)
#define WC_MAX_USERS	256
#define WC_CACHE	64
#define WC_MAX_CHAIN	16	/* certificates in cert_file */

struct wc_user {
	char	*name;
	char	*hash;
};

struct webconfig {
	unsigned	 refs;		/* __atomic */
	char		*cert_pem;	/* NULL: no TLS */
	char		*key_pem;
	unsigned	 ncerts;	/* certificates in cert_pem */
	struct wc_user	*users;
	size_t		 nusers;
	pthread_mutex_t	 mu;		/* the cache */
	unsigned char	 cache[WC_CACHE][32];
	size_t		 ncache;
	size_t		 cache_next;
};

static int	wc_error(char *, size_t, const char *, const yaml_node_t *,
		    const char *, ...) __attribute__((format(printf, 5, 6)));

static int
wc_error(char *err, size_t errlen, const char *file, const yaml_node_t *n,
    const char *fmt, ...)
{
	char	 msg[256];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n != NULL)
		snprintf(err, errlen, "%s:%lu: %s", file,
		    (unsigned long)n->start_mark.line + 1, msg);
	else
		snprintf(err, errlen, "%s: %s", file, msg);
	return -1;
}

static const char *
wc_scalar(yaml_document_t *d, int idx)
{
	yaml_node_t	*n = yaml_document_get_node(d, idx);

	if (n == NULL || n->type != YAML_SCALAR_NODE ||
	    strlen((const char *)n->data.scalar.value) !=
	    n->data.scalar.length)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* path relative to the directory of cfgpath unless absolute. */
static char *
wc_path(const char *cfgpath, const char *p)
{
	char		 buf[PATH_MAX];
	const char	*slash;

	if (p[0] == '/' || (slash = strrchr(cfgpath, '/')) == NULL)
		return strdup(p);
	if (snprintf(buf, sizeof(buf), "%.*s/%s", (int)(slash - cfgpath),
	    cfgpath, p) >= (int)sizeof(buf))
		return NULL;
	return strdup(buf);
}

/*
 * Validate the PEM texts the way they will be served: GnuTLS must parse
 * the chain (at most WC_MAX_CHAIN certificates) and the unencrypted key,
 * and the key must match the first certificate.  Sets wc->ncerts.
 */
static int
wc_tls_check(struct webconfig *wc, const char *cert, const char *key,
    char *err, size_t errlen)
{
	gnutls_certificate_credentials_t	 cred;
	gnutls_pcert_st				 pc[WC_MAX_CHAIN];
	gnutls_datum_t				 c, k;
	unsigned				 n = WC_MAX_CHAIN, i;
	int					 e;

	c.data = (unsigned char *)wc->cert_pem;
	c.size = (unsigned)strlen(wc->cert_pem);
	k.data = (unsigned char *)wc->key_pem;
	k.size = (unsigned)strlen(wc->key_pem);
	if ((e = gnutls_pcert_list_import_x509_raw(pc, &n, &c,
	    GNUTLS_X509_FMT_PEM, GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED)) < 0) {
		snprintf(err, errlen, "%s: %s%s", cert, gnutls_strerror(e),
		    e == GNUTLS_E_SHORT_MEMORY_BUFFER ? " (more than 16 "
		    "certificates)" : "");
		return -1;
	}
	for (i = 0; i < n; i++)
		gnutls_pcert_deinit(&pc[i]);
	if (n == 0) {
		snprintf(err, errlen, "%s: no certificate", cert);
		return -1;
	}
	wc->ncerts = n;
	if (gnutls_certificate_allocate_credentials(&cred) < 0) {
		snprintf(err, errlen, "%s: out of memory", cert);
		return -1;
	}
	e = gnutls_certificate_set_x509_key_mem2(cred, &c, &k,
	    GNUTLS_X509_FMT_PEM, NULL, 0);
	gnutls_certificate_free_credentials(cred);
	if (e < 0) {
		snprintf(err, errlen, "%s, %s: %s", cert, key,
		    gnutls_strerror(e));
		return -1;
	}
	return 0;
}

static int
wc_tls(struct webconfig *wc, yaml_document_t *d, yaml_node_t *n,
    const char *path, char *err, size_t errlen)
{
	yaml_node_pair_t	*pr;
	const char		*k, *v;
	char			*cert = NULL, *key = NULL, *full;
	int			 rc = -1;

	if (n->type != YAML_MAPPING_NODE)
		return wc_error(err, errlen, path, n, "tls_server_config must "
		    "be a mapping");
	for (pr = n->data.mapping.pairs.start;
	    pr < n->data.mapping.pairs.top; pr++) {
		k = wc_scalar(d, pr->key);
		v = wc_scalar(d, pr->value);
		if (k == NULL || v == NULL) {
			wc_error(err, errlen, path, n, "tls_server_config "
			    "values must be strings");
			goto out;
		}
		if (strcmp(k, "cert_file") == 0 && cert == NULL)
			cert = wc_path(path, v);
		else if (strcmp(k, "key_file") == 0 && key == NULL)
			key = wc_path(path, v);
		else {
			wc_error(err, errlen, path,
			    yaml_document_get_node(d, pr->key), "unsupported "
			    "or repeated key \"%.64s\" in tls_server_config "
			    "(cert_file and key_file are supported)", k);
			goto out;
		}
	}
	if (cert == NULL || key == NULL) {
		wc_error(err, errlen, path, n, "tls_server_config needs "
		    "cert_file and key_file");
		goto out;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES ||
	    MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK2) !=
	    MHD_YES) {
		wc_error(err, errlen, path, n, "this libmicrohttpd has no TLS "
		    "support with GnuTLS 3.6.3 or later");
		goto out;
	}
	full = cert;
	if ((wc->cert_pem = readfile_regular(full, WC_MAX_FILE, NULL, err,
	    errlen)) == NULL)
		goto out;
	full = key;
	if ((wc->key_pem = readfile_regular(full, WC_MAX_FILE, NULL, err,
	    errlen)) == NULL)
		goto out;
	if (strstr(wc->cert_pem, "-----BEGIN CERTIFICATE-----") == NULL) {
		snprintf(err, errlen, "%s: not a PEM certificate", cert);
		goto out;
	}
	if (strstr(wc->key_pem, "PRIVATE KEY-----") == NULL) {
		snprintf(err, errlen, "%s: not a PEM private key", key);
		goto out;
	}
	if (wc_tls_check(wc, cert, key, err, errlen) == -1)
		goto out;
	rc = 0;
out:
	free(cert);
	free(key);
	return rc;
}

static int
wc_users(struct webconfig *wc, yaml_document_t *d, yaml_node_t *n,
    const char *path, char *err, size_t errlen)
{
	yaml_node_pair_t	*pr;
	const char		*k, *v;
	size_t			 cnt, i;

	if (n->type != YAML_MAPPING_NODE)
		return wc_error(err, errlen, path, n, "basic_auth_users must "
		    "be a mapping of user to bcrypt hash");
	cnt = (size_t)(n->data.mapping.pairs.top -
	    n->data.mapping.pairs.start);
	if (cnt > WC_MAX_USERS)
		return wc_error(err, errlen, path, n, "more than %d users",
		    WC_MAX_USERS);
	if (cnt == 0)
		return 0;
	if ((wc->users = calloc(cnt, sizeof(*wc->users))) == NULL)
		return wc_error(err, errlen, path, n, "out of memory");
	for (pr = n->data.mapping.pairs.start;
	    pr < n->data.mapping.pairs.top; pr++) {
		k = wc_scalar(d, pr->key);
		v = wc_scalar(d, pr->value);
		if (k == NULL || v == NULL || *k == '\0' ||
		    strchr(k, ':') != NULL)
			return wc_error(err, errlen, path,
			    yaml_document_get_node(d, pr->key), "a user name "
			    "must be a non-empty string without ':'");
		if ((strncmp(v, "$2y$", 4) != 0 && strncmp(v, "$2b$", 4) != 0 &&
		    strncmp(v, "$2a$", 4) != 0) || strlen(v) != 60)
			return wc_error(err, errlen, path,
			    yaml_document_get_node(d, pr->value), "the "
			    "password of \"%.64s\" must be a bcrypt hash "
			    "($2y$/$2b$, 60 characters)", k);
		for (i = 0; i < wc->nusers; i++)
			if (strcmp(wc->users[i].name, k) == 0)
				return wc_error(err, errlen, path,
				    yaml_document_get_node(d, pr->key),
				    "duplicate user \"%.64s\"", k);
		if ((wc->users[wc->nusers].name = strdup(k)) == NULL ||
		    (wc->users[wc->nusers].hash = strdup(v)) == NULL) {
			free(wc->users[wc->nusers].name);
			return wc_error(err, errlen, path, n, "out of memory");
		}
		wc->nusers++;
	}
	return 0;
}

struct webconfig *
webconfig_load(const char *path, char *err, size_t errlen)
{
	struct webconfig	*wc;
	yaml_parser_t		 parser;
	yaml_document_t		 doc;
	yaml_node_t		*root, *v;
	yaml_node_pair_t	*pr;
	const char		*k;
	char			*text;
	size_t			 len;
	int			 rc = 0;

	if ((text = readfile_regular(path, WC_MAX_FILE, &len, err, errlen)) == NULL)
		return NULL;
	if ((wc = calloc(1, sizeof(*wc))) == NULL) {
		free(text);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	wc->refs = 1;
	pthread_mutex_init(&wc->mu, NULL);
	if (!yaml_parser_initialize(&parser)) {
		free(text);
		webconfig_unref(wc);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%lu: YAML syntax error: %s", path,
		    (unsigned long)parser.problem_mark.line + 1,
		    parser.problem != NULL ? parser.problem : "unknown");
		yaml_parser_delete(&parser);
		free(text);
		webconfig_unref(wc);
		return NULL;
	}
	root = yaml_document_get_root_node(&doc);
	if (root != NULL && root->type == YAML_MAPPING_NODE) {
		for (pr = root->data.mapping.pairs.start;
		    rc == 0 && pr < root->data.mapping.pairs.top; pr++) {
			k = wc_scalar(&doc, pr->key);
			v = yaml_document_get_node(&doc, pr->value);
			if (k != NULL && strcmp(k, "tls_server_config") == 0 &&
			    wc->cert_pem == NULL)
				rc = wc_tls(wc, &doc, v, path, err, errlen);
			else if (k != NULL &&
			    strcmp(k, "basic_auth_users") == 0 &&
			    wc->users == NULL)
				rc = wc_users(wc, &doc, v, path, err, errlen);
			else
				rc = wc_error(err, errlen, path,
				    yaml_document_get_node(&doc, pr->key),
				    "unsupported or repeated key \"%.64s\" "
				    "(tls_server_config and basic_auth_users "
				    "are supported)", k != NULL ? k : "?");
		}
	} else if (root != NULL && !(root->type == YAML_SCALAR_NODE &&
	    root->data.scalar.length == 0))
		rc = wc_error(err, errlen, path, root, "the web config must "
		    "be a mapping");
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	free(text);
	if (rc == -1) {
		webconfig_unref(wc);
		return NULL;
	}
	return wc;
}

struct webconfig *
webconfig_ref(struct webconfig *wc)
{
	if (wc != NULL)
		__atomic_add_fetch(&wc->refs, 1, __ATOMIC_RELAXED);
	return wc;
}

void
webconfig_unref(struct webconfig *wc)
{
	size_t	 i;

	if (wc == NULL || __atomic_sub_fetch(&wc->refs, 1,
	    __ATOMIC_ACQ_REL) != 0)
		return;
	for (i = 0; i < wc->nusers; i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
	}
	free(wc->users);
	if (wc->key_pem != NULL)
		OPENSSL_cleanse(wc->key_pem, strlen(wc->key_pem));
	free(wc->key_pem);
	free(wc->cert_pem);
	pthread_mutex_destroy(&wc->mu);
	free(wc);
}

int
webconfig_has_tls(const struct webconfig *wc)
{
	return wc != NULL && wc->cert_pem != NULL;
}

int
webconfig_same_tls(const struct webconfig *a, const struct webconfig *b)
{
	if (!webconfig_has_tls(a) || !webconfig_has_tls(b))
		return webconfig_has_tls(a) == webconfig_has_tls(b);
	return strcmp(a->cert_pem, b->cert_pem) == 0 &&
	    strcmp(a->key_pem, b->key_pem) == 0;
}

int
webconfig_keep_tls(struct webconfig *dst, const struct webconfig *src)
{
	char	*c, *k;

	if (webconfig_has_tls(dst) || !webconfig_has_tls(src))
		return 0;
	if ((c = strdup(src->cert_pem)) == NULL)
		return -1;
	if ((k = strdup(src->key_pem)) == NULL) {
		free(c);
		return -1;
	}
	dst->cert_pem = c;
	dst->key_pem = k;
	dst->ncerts = src->ncerts;
	return 0;
}

void
webconfig_keep_cache(struct webconfig *dst, struct webconfig *src)
{
	if (dst == NULL || src == NULL || dst == src)
		return;
	/* dst is not shared yet; src's cache may be written concurrently */
	pthread_mutex_lock(&src->mu);
	memcpy(dst->cache, src->cache, sizeof(dst->cache));
	dst->ncache = src->ncache;
	dst->cache_next = src->cache_next;
	pthread_mutex_unlock(&src->mu);
}

int
webconfig_tls_get(const struct webconfig *wc, gnutls_pcert_st **certs,
    unsigned *ncerts, gnutls_privkey_t *key)
{
	gnutls_pcert_st	*pc;
	gnutls_privkey_t pk;
	gnutls_datum_t	 c, k;
	unsigned	 n;

	if (!webconfig_has_tls(wc))
		return -1;
	n = wc->ncerts;
	if ((pc = gnutls_malloc(n * sizeof(*pc))) == NULL)
		return -1;
	c.data = (unsigned char *)wc->cert_pem;
	c.size = (unsigned)strlen(wc->cert_pem);
	if (gnutls_pcert_list_import_x509_raw(pc, &n, &c,
	    GNUTLS_X509_FMT_PEM, 0) < 0 || n != wc->ncerts) {
		gnutls_free(pc);
		return -1;
	}
	k.data = (unsigned char *)wc->key_pem;
	k.size = (unsigned)strlen(wc->key_pem);
	pk = NULL;
	if (gnutls_privkey_init(&pk) < 0 ||
	    gnutls_privkey_import_x509_raw(pk, &k, GNUTLS_X509_FMT_PEM,
	    NULL, 0) < 0) {
		webconfig_tls_free(pc, n, pk);
		return -1;
	}
	*certs = pc;
	*ncerts = n;
	*key = pk;
	return 0;
}

void
webconfig_tls_free(gnutls_pcert_st *certs, unsigned ncerts,
    gnutls_privkey_t key)
{
	unsigned	 i;

	for (i = 0; certs != NULL && i < ncerts; i++)
		gnutls_pcert_deinit(&certs[i]);
	if (certs != NULL)
		gnutls_free(certs);
	if (key != NULL)
		gnutls_privkey_deinit(key);
}

int
webconfig_has_users(const struct webconfig *wc)
{
	return wc != NULL && wc->nusers > 0;
}

size_t
webconfig_nusers(const struct webconfig *wc)
{
	return wc != NULL ? wc->nusers : 0;
}

static void
wc_digest(const char *user, const char *pass, const char *hash,
    unsigned char out[32])
{
	EVP_MD_CTX	*c;
	unsigned int	 n = 32;

	memset(out, 0, 32);
	if ((c = EVP_MD_CTX_new()) == NULL)
		return;
	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1) {
		EVP_DigestUpdate(c, user, strlen(user) + 1);
		EVP_DigestUpdate(c, pass, strlen(pass) + 1);
		EVP_DigestUpdate(c, hash, strlen(hash) + 1);
		EVP_DigestFinal_ex(c, out, &n);
	}
	EVP_MD_CTX_free(c);
}

int
webconfig_check(struct webconfig *wc, const char *user, const char *pass)
{
	struct crypt_data	*cd;
	const struct wc_user	*u = NULL;
	unsigned char		 dg[32];
	const char		*h;
	size_t			 i;
	int			 ok = 0;

	if (wc == NULL || user == NULL || pass == NULL)
		return 0;
	for (i = 0; i < wc->nusers; i++)
		if (strcmp(wc->users[i].name, user) == 0)
			u = &wc->users[i];
	if (u == NULL)
		return 0;
	wc_digest(user, pass, u->hash, dg);
	pthread_mutex_lock(&wc->mu);
	for (i = 0; i < wc->ncache; i++)
		if (CRYPTO_memcmp(wc->cache[i], dg, 32) == 0)
			ok = 1;
	pthread_mutex_unlock(&wc->mu);
	if (ok)
		return 1;
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return 0;
	h = crypt_r(pass, u->hash, cd);
	ok = h != NULL && h[0] == '$' && strlen(h) == strlen(u->hash) &&
	    CRYPTO_memcmp(h, u->hash, strlen(u->hash)) == 0;
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
	if (ok) {
		pthread_mutex_lock(&wc->mu);
		memcpy(wc->cache[wc->cache_next], dg, 32);
		wc->cache_next = (wc->cache_next + 1) % WC_CACHE;
		if (wc->ncache < WC_CACHE)
			wc->ncache++;
		pthread_mutex_unlock(&wc->mu);
	}
	return ok;
}
