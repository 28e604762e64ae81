/*
 * check_exporter_web.c: the web config (--web.config.file) and its
 * reload: load errors with file and line, the password table swapped
 * while threads check passwords (in process: run it under ASan), and the
 * built exporter reloading users and certificates (a new password
 * replaces the old, a bad file keeps the old one and fails the reload
 * and the main config with it, auth turned on and off, requests racing
 * reloads, a new certificate seen by the next TLS connection, plain <->
 * TLS left for the next restart).  Certificates are made here with the
 * OpenSSL API; everything runs on loopback.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "suite.h"
#include "smtpprobe.h"
#include "fake/child.h"
#include "../exporter/app.h"
#include "../exporter/selfmetrics.h"
#include "../exporter/webconfig.h"

struct web {
	char		 dir[64];		/* temp dir */
	pid_t		 pid;			/* the exporter, or -1 */
	unsigned	 port;
	int		 tls;			/* talk TLS to it */
	char		 log[PATH_MAX];
};

static struct web	*current_web;

static int64_t
now_ms(void)
{
	return smtpprobe_now() / 1000;
}

static int
rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void
web_fini(struct web *w)
{
	current_web = NULL;
	if (w->pid > 0) {
		kill(w->pid, SIGKILL);
		waitpid(w->pid, NULL, 0);
		w->pid = -1;
	}
	nftw(w->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Check ends a failed test with exit(): clean up then too. */
static void
web_atexit(void)
{
	if (current_web != NULL)
		web_fini(current_web);
}

static void
web_init(struct web *w)
{
	memset(w, 0, sizeof(*w));
	w->pid = -1;
	snprintf(w->dir, sizeof(w->dir), "/tmp/smtpweb.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(w->dir));
	current_web = w;
	atexit(web_atexit);
}

static void	write_file(const struct web *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Write dir/name atomically (rename), as a careful admin does. */
static void
write_file(const struct web *w, const char *name, const char *fmt, ...)
{
	char	 p[PATH_MAX], tmp[PATH_MAX + 8];
	FILE	*f;
	va_list	 ap;

	snprintf(p, sizeof(p), "%s/%s", w->dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	f = fopen(tmp, "w");
	ck_assert_ptr_nonnull(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(rename(tmp, p), 0);
}

/* A bcrypt hash of pass at cost 4 (fast; the format is what counts). */
static const char *
bcrypt(const char *pass, char *out, size_t outlen)
{
	struct crypt_data	 cd;
	char			 salt[64];
	const char		*h;

	memset(&cd, 0, sizeof(cd));
	ck_assert_ptr_nonnull(crypt_gensalt_rn("$2b$", 4, NULL, 0, salt,
	    sizeof(salt)));
	h = crypt_r(pass, salt, &cd);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_lt(snprintf(out, outlen, "%s", h), (int)outlen);
	return out;
}

/* "Authorization: Basic ...\r\n" for user:pass in out. */
static const char *
auth(const char *user, const char *pass, char *out, size_t outlen)
{
	unsigned char	 raw[48], b64[68];
	int		 n;

	n = snprintf((char *)raw, sizeof(raw), "%s:%s", user, pass);
	ck_assert(n > 0 && n < (int)sizeof(raw));
	EVP_EncodeBlock(b64, raw, n);
	ck_assert_int_lt(snprintf(out, outlen, "Authorization: Basic "
	    "%.66s\r\n", b64), (int)outlen);
	return out;
}

/*
 * A self-signed EC P-256 certificate for CN=cn, SAN IP:127.0.0.1, in
 * dir/name.crt and dir/name.key.
 */
static void
make_cert(const struct web *w, const char *name, const char *cn)
{
	EVP_PKEY	*k;
	X509		*x;
	X509_NAME	*nm;
	X509_EXTENSION	*ext;
	X509V3_CTX	 ctx;
	char		 p[PATH_MAX];
	FILE		*f;

	k = EVP_EC_gen("P-256");
	ck_assert_ptr_nonnull(k);
	x = X509_new();
	ck_assert_ptr_nonnull(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)now_ms() & 0xffffff);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	nm = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, nm);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
	    "IP:127.0.0.1");
	ck_assert_ptr_nonnull(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ck_assert_int_gt(X509_sign(x, k, EVP_sha256()), 0);
	snprintf(p, sizeof(p), "%s/%s.crt", w->dir, name);
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	ck_assert_int_eq(PEM_write_X509(f, x), 1);
	fclose(f);
	snprintf(p, sizeof(p), "%s/%s.key", w->dir, name);
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	ck_assert_int_eq(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL,
	    NULL), 1);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* Copy dir/from to dir/to (by rename of a temporary copy). */
static void
copy_file(const struct web *w, const char *from, const char *to)
{
	char	 p[PATH_MAX], buf[16384];
	FILE	*f;
	size_t	 n;

	snprintf(p, sizeof(p), "%s/%s", w->dir, from);
	ck_assert_ptr_nonnull(f = fopen(p, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	write_file(w, to, "%s", buf);
}

/* Start the exporter with --web.config.file=dir/web.yml and extra
 * arguments (NULL-terminated); wait for the "listening" log line. */
static void
start_exporter(struct web *w, ...)
{
	static const char	 tag[] = "msg=listening address=127.0.0.1:";
	char			*argv[16], buf[8192], webarg[PATH_MAX + 32], *p;
	const char		*s;
	va_list			 ap;
	int			 n = 0, fd;
	int64_t			 end;
	ssize_t			 k;

	snprintf(webarg, sizeof(webarg), "--web.config.file=%s/web.yml",
	    w->dir);
	argv[n++] = (char *)(uintptr_t)check_build_path("smtp_ports_exporter");
	argv[n++] = (char *)(uintptr_t)"--web.listen-address=127.0.0.1:0";
	argv[n++] = webarg;
	va_start(ap, w);
	while ((s = va_arg(ap, const char *)) != NULL && n < 14)
		argv[n++] = (char *)(uintptr_t)s;
	va_end(ap);
	argv[n] = NULL;
	snprintf(w->log, sizeof(w->log), "%s/exporter.log", w->dir);
	w->pid = fork();
	ck_assert_int_ne(w->pid, -1);
	if (w->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = open(w->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	end = now_ms() + 10000;
	for (;;) {
		ck_assert_msg(now_ms() < end, "exporter did not start");
		if ((fd = open(w->log, O_RDONLY)) != -1) {
			k = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			buf[k > 0 ? k : 0] = '\0';
			if ((p = strstr(buf, tag)) != NULL) {
				w->port = (unsigned)strtoul(p + strlen(tag),
				    NULL, 10);
				w->tls = strstr(p, " tls=true") != NULL;
				return;
			}
		}
		ck_assert_msg(waitpid(w->pid, NULL, WNOHANG) == 0,
		    "exporter exited at start: %s", buf);
		usleep(10000);
	}
}

/* 1 if the exporter's log holds needle. */
static int
log_has(const struct web *w, const char *needle)
{
	char	 buf[65536];
	ssize_t	 k;
	int	 fd;

	if ((fd = open(w->log, O_RDONLY)) == -1)
		return 0;
	k = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[k > 0 ? k : 0] = '\0';
	return strstr(buf, needle) != NULL;
}

/*
 * One HTTP/1.0 request (child_http(), 10 s at most), over TLS if w->tls
 * (no verification: the test compares the certificate itself, *peer,
 * when peer is not NULL).  Returns the status or -1; the whole answer in
 * *resp (malloc'ed).
 */
static int
request(const struct web *w, const char *method, const char *path,
    const char *headers, char **resp, X509 **peer)
{
	return child_http((uint16_t)w->port, w->tls, method, path, headers,
	    10000, resp, peer);
}

static int
get(const struct web *w, const char *path, const char *headers)
{
	char	*b;
	int	 st = request(w, "GET", path, headers, &b, NULL);

	free(b);
	return st;
}

/* POST /-/reload with headers; the answer's body in out. */
static int
reload(const struct web *w, const char *headers, char *out, size_t outlen)
{
	char		*b;
	const char	*body;
	int		 st = request(w, "POST", "/-/reload", headers, &b, NULL);

	body = b != NULL && strstr(b, "\r\n\r\n") != NULL ?
	    strstr(b, "\r\n\r\n") + 4 : "";
	snprintf(out, outlen, "%s", body);
	free(b);
	return st;
}

/* A small non-negative decimal at s, -1 if none. */
static int
atoi_safe(const char *s)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	return errno != 0 || end == s || v < 0 || v > 1000 ? -1 : (int)v;
}

/* The value of the reload metric, from /metrics (-1: not found). */
static int
reload_ok(const struct web *w, const char *headers)
{
	static const char	 m[] =
	    "\nsmtp_ports_exporter_config_last_reload_successful ";
	char			*b, *p;
	int			 v = -1;

	ck_assert_int_eq(request(w, "GET", "/metrics", headers, &b, NULL),
	    200);
	if ((p = strstr(b, m)) != NULL)
		v = atoi_safe(p + strlen(m));
	free(b);
	return v;
}

/* --- in process ---------------------------------------------------------- */

START_TEST(test_load_errors)
{
	struct web		 w;
	struct webconfig	*wc;
	char			 err[512], h[PATH_MAX], hash[128];

	web_init(&w);
	/* a bad hash: file and line */
	write_file(&w, "web.yml", "basic_auth_users:\n  a: \"%s\"\n"
	    "  b: plaintext\n", bcrypt("x", hash, sizeof(hash)));
	ck_assert_ptr_null(webconfig_load("/nonexistent/web.yml", err,
	    sizeof(err)));
	ck_assert_msg(strstr(err, "No such file") != NULL, "%s", err);
	snprintf(h, sizeof(h), "%s/web.yml", w.dir);
	ck_assert_ptr_null(webconfig_load(h, err, sizeof(err)));
	ck_assert_msg(strstr(err, "web.yml:3: ") != NULL &&
	    strstr(err, "bcrypt") != NULL, "%s", err);
	/* YAML syntax */
	write_file(&w, "web.yml", "basic_auth_users:\n  a: [\n");
	ck_assert_ptr_null(webconfig_load(h, err, sizeof(err)));
	ck_assert_msg(strstr(err, "YAML syntax error") != NULL, "%s", err);
	/* a certificate that is not there */
	write_file(&w, "web.yml", "tls_server_config:\n  cert_file: none.crt\n"
	    "  key_file: none.key\n");
	ck_assert_ptr_null(webconfig_load(h, err, sizeof(err)));
	ck_assert_msg(strstr(err, "none.crt: No such file") != NULL, "%s",
	    err);
	/* a FIFO (nobody writes): refused at once, no hang */
	snprintf(h, sizeof(h), "%s/fifo.crt", w.dir);
	ck_assert_int_eq(mkfifo(h, 0600), 0);
	write_file(&w, "web.yml", "tls_server_config:\n  cert_file: fifo.crt\n"
	    "  key_file: none.key\n");
	snprintf(h, sizeof(h), "%s/web.yml", w.dir);
	ck_assert_ptr_null(webconfig_load(h, err, sizeof(err)));
	ck_assert_msg(strstr(err, "fifo.crt: not a regular file") != NULL,
	    "%s", err);
	/* a key that does not match the certificate */
	make_cert(&w, "a", "a.test");
	make_cert(&w, "b", "b.test");
	write_file(&w, "web.yml", "tls_server_config:\n  cert_file: a.crt\n"
	    "  key_file: b.key\n");
	ck_assert_ptr_null(webconfig_load(h, err, sizeof(err)));
	ck_assert_msg(strstr(err, "do not match") != NULL, "%s", err);
	/* a certificate GnuTLS cannot parse */
	write_file(&w, "bad.crt", "-----BEGIN CERTIFICATE-----\nAAAA\n"
	    "-----END CERTIFICATE-----\n");
	write_file(&w, "web.yml", "tls_server_config:\n  cert_file: bad.crt\n"
	    "  key_file: a.key\n");
	ck_assert_ptr_null(webconfig_load(h, err, sizeof(err)));
	ck_assert_msg(strstr(err, "bad.crt: ") != NULL, "%s", err);
	/* good: TLS and one user */
	write_file(&w, "web.yml", "tls_server_config:\n  cert_file: a.crt\n"
	    "  key_file: a.key\nbasic_auth_users:\n  u: \"%s\"\n",
	    bcrypt("pw", hash, sizeof(hash)));
	wc = webconfig_load(h, err, sizeof(err));
	ck_assert_msg(wc != NULL, "%s", err);
	ck_assert(webconfig_has_tls(wc));
	ck_assert_uint_eq(webconfig_nusers(wc), 1);
	ck_assert(webconfig_check(wc, "u", "pw"));
	ck_assert(!webconfig_check(wc, "u", "pw2"));
	ck_assert(!webconfig_check(wc, "v", "pw"));
	webconfig_unref(wc);
	web_fini(&w);
}
END_TEST

/* Two web configs: keep_tls fills in a missing certificate only. */
START_TEST(test_keep_tls)
{
	struct web		 w;
	struct webconfig	*a, *b, *c;
	gnutls_pcert_st		*pc;
	gnutls_privkey_t	 key;
	char			 err[512], p[PATH_MAX];
	unsigned		 n;

	web_init(&w);
	make_cert(&w, "a", "a.test");
	write_file(&w, "a.yml", "tls_server_config:\n  cert_file: a.crt\n"
	    "  key_file: a.key\n");
	write_file(&w, "b.yml", "basic_auth_users: {}\n");
	snprintf(p, sizeof(p), "%s/a.yml", w.dir);
	ck_assert_ptr_nonnull(a = webconfig_load(p, err, sizeof(err)));
	snprintf(p, sizeof(p), "%s/b.yml", w.dir);
	ck_assert_ptr_nonnull(b = webconfig_load(p, err, sizeof(err)));
	ck_assert(!webconfig_has_tls(b));
	ck_assert(!webconfig_has_users(b));
	ck_assert(!webconfig_same_tls(a, b));
	ck_assert_int_eq(webconfig_tls_get(b, &pc, &n, &key), -1);
	ck_assert_int_eq(webconfig_keep_tls(b, a), 0);
	ck_assert(webconfig_same_tls(a, b));
	/* what a handshake gets, freed as GnuTLS would */
	ck_assert_int_eq(webconfig_tls_get(b, &pc, &n, &key), 0);
	ck_assert_uint_eq(n, 1);
	webconfig_tls_free(pc, n, key);
	/* references: the last unref frees (ASan / valgrind watch) */
	c = webconfig_ref(a);
	ck_assert_ptr_eq(c, a);
	webconfig_unref(a);
	ck_assert(webconfig_has_tls(c));
	webconfig_unref(c);
	webconfig_unref(b);
	web_fini(&w);
}
END_TEST

struct checker {
	pthread_t	 t;
	volatile int	*stop;
	long		 checks;
	long		 wrong;
};

/* Check a good and a bad password against whatever is current. */
static void *
checker_run(void *arg)
{
	struct checker		*c = arg;
	struct webconfig	*wc;

	while (!__atomic_load_n(c->stop, __ATOMIC_RELAXED)) {
		wc = app_webconfig();
		if (wc == NULL || !webconfig_check(wc, "prom", "s3cret") ||
		    webconfig_check(wc, "prom", "wrong"))
			c->wrong++;
		webconfig_unref(wc);
		c->checks++;
	}
	return NULL;
}

/*
 * app_reload() swaps the web config while four threads check passwords:
 * every answer right, every table freed (under ASan a use after free
 * aborts the test).
 */
START_TEST(test_swap_threads)
{
	struct web		 w;
	struct checker		 c[4];
	struct config		*cfg;
	struct webconfig	*wc;
	struct app		 a;
	volatile int		 stop = 0;
	char			 err[512], p[PATH_MAX], h1[128], h2[128], h3[128];
	int			 i, fails = 0;
	long			 total = 0;

	web_init(&w);
	selfmetrics_init();
	/* app_reload() logs every round: keep the test output readable */
	ck_assert_ptr_nonnull(freopen("/dev/null", "w", stderr));
	bcrypt("s3cret", h1, sizeof(h1));
	bcrypt("s3cret", h2, sizeof(h2));	/* another salt */
	bcrypt("other", h3, sizeof(h3));
	write_file(&w, "web.yml", "basic_auth_users:\n  prom: \"%s\"\n", h1);
	snprintf(p, sizeof(p), "%s/web.yml", w.dir);
	ck_assert_ptr_nonnull(wc = webconfig_load(p, err, sizeof(err)));
	ck_assert_ptr_nonnull(cfg = config_load(NULL, err, sizeof(err)));
	memset(&a, 0, sizeof(a));
	a.web_config_path = p;
	a.wc = wc;
	app_init(&a, cfg);
	ck_assert_ptr_null(app_get()->wc);
	for (i = 0; i < 4; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].stop = &stop;
		ck_assert_int_eq(pthread_create(&c[i].t, NULL, checker_run,
		    &c[i]), 0);
	}
	for (i = 0; i < 60; i++) {
		switch (i % 3) {
		case 0:
			write_file(&w, "web.yml", "basic_auth_users:\n"
			    "  prom: \"%s\"\n  other: \"%s\"\n", h2, h3);
			break;
		case 1:
			write_file(&w, "web.yml", "basic_auth_users:\n"
			    "  other: \"%s\"\n  prom: \"%s\"\n", h3, h1);
			break;
		default:
			/* bad: refused, the table in force stays */
			write_file(&w, "web.yml", "basic_auth_users:\n"
			    "  prom: \"%s\"\n  other: nohash\n", h1);
			break;
		}
		if (app_reload(err, sizeof(err)) == -1) {
			ck_assert_msg(i % 3 == 2, "reload %d: %s", i, err);
			ck_assert_msg(strstr(err, "web.yml:3:") != NULL, "%s",
			    err);
			ck_assert(!selfmetrics_reload_ok());
			fails++;
		} else
			ck_assert(selfmetrics_reload_ok());
		usleep(2000);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 4; i++) {
		pthread_join(c[i].t, NULL);
		ck_assert_msg(c[i].wrong == 0, "thread %d: %ld wrong of %ld",
		    i, c[i].wrong, c[i].checks);
		total += c[i].checks;
	}
	ck_assert_int_eq(fails, 20);
	ck_assert_int_gt(total, 60);
	app_fini();
	web_fini(&w);
}
END_TEST

/* --- the exporter program ------------------------------------------------ */

START_TEST(test_reload_password)
{
	struct web	 w;
	char		 h[128], one[128], two[128], three[128], out[512];
	int64_t		 end;

	web_init(&w);
	auth("prom", "one", one, sizeof(one));
	auth("prom", "two", two, sizeof(two));
	auth("prom", "three", three, sizeof(three));
	write_file(&w, "web.yml", "basic_auth_users:\n  prom: \"%s\"\n",
	    bcrypt("one", h, sizeof(h)));
	start_exporter(&w, NULL);
	ck_assert_int_eq(get(&w, "/metrics", one), 200);
	ck_assert_int_eq(get(&w, "/metrics", two), 401);
	/* POST /-/reload (authenticated as the old user) */
	write_file(&w, "web.yml", "basic_auth_users:\n  prom: \"%s\"\n",
	    bcrypt("two", h, sizeof(h)));
	ck_assert_int_eq(reload(&w, one, out, sizeof(out)), 200);
	ck_assert_int_eq(get(&w, "/metrics", one), 401);
	ck_assert_int_eq(get(&w, "/metrics", two), 200);
	ck_assert(log_has(&w, "msg=\"web config reloaded\""));
	/* SIGHUP */
	write_file(&w, "web.yml", "basic_auth_users:\n  prom: \"%s\"\n",
	    bcrypt("three", h, sizeof(h)));
	ck_assert_int_eq(kill(w.pid, SIGHUP), 0);
	end = now_ms() + 5000;
	while (get(&w, "/metrics", three) != 200) {
		ck_assert_msg(now_ms() < end, "SIGHUP: new password refused");
		usleep(10000);
	}
	ck_assert_int_eq(get(&w, "/metrics", two), 401);
	ck_assert_int_eq(reload_ok(&w, three), 1);
	web_fini(&w);
}
END_TEST

/*
 * A bad web config on reload: refused with file:line in the answer, the
 * old password still works, the metric says 0, and the config file's
 * change is not applied either (atomic); then a good pair is.
 */
START_TEST(test_reload_bad)
{
	struct web	 w;
	char		 h[128], one[128], two[128], out[512], cfg[PATH_MAX + 32];
	char		*b;

	web_init(&w);
	auth("prom", "one", one, sizeof(one));
	auth("prom", "two", two, sizeof(two));
	write_file(&w, "web.yml", "basic_auth_users:\n  prom: \"%s\"\n",
	    bcrypt("one", h, sizeof(h)));
	write_file(&w, "config.yml", "modules:\n  first:\n    ports: \"25\"\n");
	snprintf(cfg, sizeof(cfg), "--config.file=%s/config.yml", w.dir);
	start_exporter(&w, cfg, NULL);
	write_file(&w, "config.yml", "modules:\n  first:\n    ports: \"25\"\n"
	    "  second:\n    ports: \"587\"\n");

	/* a bad hash */
	write_file(&w, "web.yml", "basic_auth_users:\n  prom: \"%s\"\n"
	    "  admin: secret\n", bcrypt("two", h, sizeof(h)));
	ck_assert_int_eq(reload(&w, one, out, sizeof(out)), 500);
	ck_assert_msg(strstr(out, "web.yml:3: ") != NULL &&
	    strstr(out, "bcrypt") != NULL, "%s", out);
	ck_assert(log_has(&w, "msg=\"web config reload failed, keeping the "
	    "old configuration and web config\""));
	ck_assert_int_eq(get(&w, "/metrics", one), 200);
	ck_assert_int_eq(get(&w, "/metrics", two), 401);
	ck_assert_int_eq(reload_ok(&w, one), 0);
	ck_assert_int_eq(request(&w, "GET", "/", one, &b, NULL), 200);
	ck_assert_msg(strstr(b, "second") == NULL, "config applied: %s", b);
	ck_assert_ptr_nonnull(strstr(b, "last reload failed"));
	free(b);

	/* YAML broken, then a missing web config file */
	write_file(&w, "web.yml", "basic_auth_users: [\n");
	ck_assert_int_eq(reload(&w, one, out, sizeof(out)), 500);
	ck_assert_msg(strstr(out, "YAML syntax error") != NULL, "%s", out);
	snprintf(h, sizeof(h), "%s/web.yml", w.dir);
	ck_assert_int_eq(unlink(h), 0);
	ck_assert_int_eq(reload(&w, one, out, sizeof(out)), 500);
	ck_assert_msg(strstr(out, "No such file") != NULL, "%s", out);
	ck_assert_int_eq(get(&w, "/metrics", one), 200);

	/* good again: both files apply */
	write_file(&w, "web.yml", "basic_auth_users:\n  prom: \"%s\"\n",
	    bcrypt("two", h, sizeof(h)));
	ck_assert_int_eq(reload(&w, one, out, sizeof(out)), 200);
	ck_assert_int_eq(get(&w, "/metrics", one), 401);
	ck_assert_int_eq(reload_ok(&w, two), 1);
	ck_assert_int_eq(request(&w, "GET", "/", two, &b, NULL), 200);
	ck_assert_ptr_nonnull(strstr(b, "second"));
	free(b);
	web_fini(&w);
}
END_TEST

/* Users added to a server that had none turn auth on; none turns it off. */
START_TEST(test_auth_toggle)
{
	struct web	 w;
	char		 h[128], pw[128], out[512];

	web_init(&w);
	auth("prom", "pw", pw, sizeof(pw));
	write_file(&w, "web.yml", "# nothing yet\n");
	start_exporter(&w, NULL);
	ck_assert_int_eq(get(&w, "/metrics", NULL), 200);
	write_file(&w, "web.yml", "basic_auth_users:\n  prom: \"%s\"\n",
	    bcrypt("pw", h, sizeof(h)));
	ck_assert_int_eq(reload(&w, NULL, out, sizeof(out)), 200);
	ck_assert_int_eq(get(&w, "/metrics", NULL), 401);
	ck_assert_int_eq(get(&w, "/metrics", pw), 200);
	write_file(&w, "web.yml", "basic_auth_users: {}\n");
	ck_assert_int_eq(reload(&w, NULL, out, sizeof(out)), 401);
	ck_assert_int_eq(reload(&w, pw, out, sizeof(out)), 200);
	ck_assert_int_eq(get(&w, "/metrics", NULL), 200);
	web_fini(&w);
}
END_TEST

/*
 * Clients with a good and a bad password while the exporter reloads
 * (SIGHUP) as fast as it can, between tables that all keep the good
 * password (with other salts, other users, and a bad file now and then):
 * every good request 200, every bad one 401, the exporter alive.
 */
START_TEST(test_reload_concurrent)
{
	struct web	 w;
	char		 h1[128], h2[128], h3[128], good[128], bad[128];
	char		 line[64];
	int		 fds[2], i, k, st;
	long		 ok = 0, wrong = 0, n1, n2;
	pid_t		 kids[4];
	FILE		*f;

	web_init(&w);
	auth("prom", "s3cret", good, sizeof(good));
	auth("prom", "wrong", bad, sizeof(bad));
	bcrypt("s3cret", h1, sizeof(h1));
	bcrypt("s3cret", h2, sizeof(h2));
	bcrypt("x", h3, sizeof(h3));
	write_file(&w, "web.yml", "basic_auth_users:\n  prom: \"%s\"\n", h1);
	start_exporter(&w, NULL);
	ck_assert_int_eq(pipe(fds), 0);
	for (k = 0; k < 4; k++) {
		kids[k] = fork();
		ck_assert_int_ne(kids[k], -1);
		if (kids[k] == 0) {
			int64_t end = now_ms() + 2000;
			long	 g = 0, e = 0;
			int	 s;

			close(fds[0]);
			while (now_ms() < end) {
				s = get(&w, k % 2 ? "/-/healthy" : "/metrics",
				    good);
				if (s == 200)
					g++;
				else
					e++;
				if (get(&w, "/-/ready", bad) == 401)
					g++;
				else
					e++;
			}
			snprintf(line, sizeof(line), "%ld %ld\n", g, e);
			(void)write(fds[1], line, strlen(line));
			_exit(0);
		}
	}
	close(fds[1]);
	for (i = 0; i < 200; i++) {
		if (i % 10 == 9)
			write_file(&w, "web.yml", "basic_auth_users: [\n");
		else if (i % 2)
			write_file(&w, "web.yml", "basic_auth_users:\n"
			    "  other: \"%s\"\n  prom: \"%s\"\n", h3, h2);
		else
			write_file(&w, "web.yml", "basic_auth_users:\n"
			    "  prom: \"%s\"\n", h1);
		ck_assert_int_eq(kill(w.pid, SIGHUP), 0);
		usleep(8000);
	}
	ck_assert_ptr_nonnull(f = fdopen(fds[0], "r"));
	for (k = 0; k < 4; k++) {
		ck_assert_int_eq(fscanf(f, "%ld %ld", &n1, &n2), 2);
		ok += n1;
		wrong += n2;
	}
	fclose(f);
	for (k = 0; k < 4; k++)
		waitpid(kids[k], NULL, 0);
	ck_assert_msg(wrong == 0 && ok > 100, "%ld right, %ld wrong", ok,
	    wrong);
	ck_assert_int_eq(waitpid(w.pid, &st, WNOHANG), 0);
	ck_assert_int_eq(get(&w, "/metrics", good), 200);
	web_fini(&w);
}
END_TEST

/* 1 if the certificate a new connection gets is the one in dir/name. */
static int
serves(const struct web *w, const char *name, const char *headers)
{
	char	 p[PATH_MAX], *b;
	X509	*want, *got;
	FILE	*f;
	int	 same, st;

	snprintf(p, sizeof(p), "%s/%s", w->dir, name);
	ck_assert_ptr_nonnull(f = fopen(p, "r"));
	want = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(want);
	st = request(w, "GET", "/-/healthy", headers, &b, &got);
	ck_assert_msg(st == 200, "TLS request: %d", st);
	ck_assert_ptr_nonnull(got);
	same = X509_cmp(want, got) == 0;
	X509_free(want);
	X509_free(got);
	free(b);
	return same;
}

/*
 * A renewed certificate is served to the next connection after a
 * reload; a mismatching key is refused and the old one stays; dropping
 * tls_server_config cannot turn the listener plain (warned).
 */
START_TEST(test_tls_reload)
{
	struct web	 w;
	char		 h[128], pw[128], out[512];

	web_init(&w);
	auth("prom", "pw", pw, sizeof(pw));
	bcrypt("pw", h, sizeof(h));
	make_cert(&w, "a", "a.test");
	make_cert(&w, "b", "b.test");
	copy_file(&w, "a.crt", "web.crt");
	copy_file(&w, "a.key", "web.key");
	write_file(&w, "web.yml", "tls_server_config:\n  cert_file: web.crt\n"
	    "  key_file: web.key\nbasic_auth_users:\n  prom: \"%s\"\n", h);
	start_exporter(&w, NULL);
	ck_assert(w.tls);
	ck_assert(serves(&w, "a.crt", pw));
	/* renewed: cert and key replaced, then a reload */
	copy_file(&w, "b.crt", "web.crt");
	copy_file(&w, "b.key", "web.key");
	ck_assert_int_eq(reload(&w, pw, out, sizeof(out)), 200);
	ck_assert(serves(&w, "b.crt", pw));
	ck_assert(log_has(&w, "TLS certificate or key changed"));
	/* half-renewed: the key does not match; b stays */
	copy_file(&w, "a.crt", "web.crt");
	ck_assert_int_eq(reload(&w, pw, out, sizeof(out)), 500);
	ck_assert_msg(strstr(out, "do not match") != NULL, "%s", out);
	ck_assert(serves(&w, "b.crt", pw));
	ck_assert_int_eq(reload_ok(&w, pw), 0);
	/* no tls_server_config: still TLS with b, until a restart */
	write_file(&w, "web.yml", "basic_auth_users:\n  prom: \"%s\"\n", h);
	ck_assert_int_eq(reload(&w, pw, out, sizeof(out)), 200);
	ck_assert(serves(&w, "b.crt", pw));
	ck_assert(log_has(&w, "tls_server_config removed"));
	web_fini(&w);
}
END_TEST

/* TLS added to a plain listener: warned, still plain until a restart. */
START_TEST(test_tls_added)
{
	struct web	 w;
	char		 out[512];

	web_init(&w);
	make_cert(&w, "a", "a.test");
	write_file(&w, "web.yml", "\n");
	start_exporter(&w, NULL);
	ck_assert(!w.tls);
	write_file(&w, "web.yml", "tls_server_config:\n  cert_file: a.crt\n"
	    "  key_file: a.key\n");
	ck_assert_int_eq(reload(&w, NULL, out, sizeof(out)), 200);
	ck_assert(log_has(&w, "tls_server_config added: the listener stays "
	    "plain HTTP until the next restart"));
	ck_assert_int_eq(get(&w, "/-/healthy", NULL), 200);
	web_fini(&w);
}
END_TEST

static void
add_case(Suite *s, const char *name, const TTest *t)
{
	TCase	*tc = tcase_create(name);

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t);
	suite_add_tcase(s, tc);
}

static Suite *
exporter_web_suite(void)
{
	Suite	*s = suite_create("exporter_web");

	add_case(s, "load_errors", test_load_errors);
	add_case(s, "keep_tls", test_keep_tls);
	add_case(s, "swap_threads", test_swap_threads);
	add_case(s, "reload_password", test_reload_password);
	add_case(s, "reload_bad", test_reload_bad);
	add_case(s, "auth_toggle", test_auth_toggle);
	add_case(s, "reload_concurrent", test_reload_concurrent);
	add_case(s, "tls_reload", test_tls_reload);
	add_case(s, "tls_added", test_tls_added);
	return s;
}
CHECK_SUITE(exporter_web_suite)
