/*
 * check_exporter_run.c: the built smtp_ports_exporter program against
 * fakesmtp children and an in-process fake DNS (so nothing leaves
 * loopback): /probe for each outcome, the allowlist (403 with no
 * connection made), bad requests, reload (HTTP and SIGHUP), scheduled
 * targets on /metrics, basic auth, --config.check, SIGTERM, /probe
 * under a flood of /metrics scrapers, and promtool on real output when
 * promtool is installed.
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
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "suite.h"
#include "smtpprobe.h"
#include "fake/child.h"
#include "fake/dns.h"

#define MAX_FAKES	16

struct run {
	char		 dir[64];		/* temp dir */
	struct child	 fake;			/* fakesmtp */
	pid_t		 exp_pid;
	unsigned	 exp_port;
	char		 exp_log[PATH_MAX];
	struct fakedns	*dns;
};

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

static void	run_fini(struct run *);

/* The run of this (forked) test, cleaned up even when an assertion
 * fails: Check ends a failed test with exit(). */
static struct run	*current_run;

static void
run_atexit(void)
{
	if (current_run != NULL)
		run_fini(current_run);
}

static void
run_init(struct run *r)
{
	char	 err[128];

	memset(r, 0, sizeof(*r));
	current_run = r;
	atexit(run_atexit);
	r->exp_pid = -1;
	child_init(&r->fake);
	snprintf(r->dir, sizeof(r->dir), "/tmp/smtpexp.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(r->dir));
	r->dns = fakedns_start(err, sizeof(err));
	ck_assert_msg(r->dns != NULL, "fakedns: %s", err);
	fakedns_add(r->dns, "mail.fake.test", FAKEDNS_A, "127.0.0.1");
	fakedns_add(r->dns, "outside.fake.test", FAKEDNS_A, "192.0.2.1");
	fakedns_add(r->dns, "nx.fake.test", FAKEDNS_NXDOMAIN, NULL);
	fakedns_add(r->dns, "multi.fake.test", FAKEDNS_A, "127.0.0.1");
	fakedns_add(r->dns, "multi.fake.test", FAKEDNS_A, "127.0.0.2");
}

static void
path_in(const struct run *r, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", r->dir, name);
}

static void
write_file(const struct run *r, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
write_file(const struct run *r, const char *name, const char *fmt, ...)
{
	char	 p[PATH_MAX], tmp[PATH_MAX + 8];
	FILE	*f;
	va_list	 ap;

	path_in(r, name, p, sizeof(p));
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	f = fopen(tmp, "w");
	ck_assert_ptr_nonnull(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
	ck_assert_int_eq(rename(tmp, p), 0);
}

/* Start fakesmtp with scenarios (NULL-terminated), wait for READY. */
static void
start_fake(struct run *r, ...)
{
	const char	*args[MAX_FAKES + 3];
	char		 err[256];
	va_list		 ap;
	size_t		 n = 0;

	args[n++] = "--tls-dir";
	args[n++] = r->dir;
	va_start(ap, r);
	while ((args[n] = va_arg(ap, const char *)) != NULL &&
	    n < MAX_FAKES + 2)
		n++;
	va_end(ap);
	args[n] = NULL;
	ck_assert_msg(child_start(&r->fake, check_build_path("fakesmtp"), args,
	    0, 10000, err, sizeof(err)) == 0, "%s", err);
}

static unsigned
fake_port(const struct run *r, const char *name)
{
	uint16_t	 port = child_port(&r->fake, name);

	ck_assert_msg(port != 0, "no fake scenario %s", name);
	return port;
}

/* Start the exporter with extra arguments (NULL-terminated); wait for
 * its "listening" log line and take the port from it. */
static void
start_exporter(struct run *r, ...)
{
	char		*argv[32], buf[8192], *p;
	const char	*s;
	va_list		 ap;
	int		 n = 0, fd;
	int64_t		 end;
	ssize_t		 k;

	argv[n++] = (char *)(uintptr_t)check_build_path("smtp_ports_exporter");
	argv[n++] = (char *)(uintptr_t)"--web.listen-address=127.0.0.1:0";
	argv[n++] = (char *)(uintptr_t)"--log.level=debug";
	va_start(ap, r);
	while ((s = va_arg(ap, const char *)) != NULL && n < 30)
		argv[n++] = (char *)(uintptr_t)s;
	va_end(ap);
	argv[n] = NULL;
	path_in(r, "exporter.log", r->exp_log, sizeof(r->exp_log));
	r->exp_pid = fork();
	ck_assert_int_ne(r->exp_pid, -1);
	if (r->exp_pid == 0) {
		/* never outlive the test */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = open(r->exp_log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	end = now_ms() + 10000;
	for (;;) {
		ck_assert_msg(now_ms() < end, "exporter did not start");
		if ((fd = open(r->exp_log, O_RDONLY)) != -1) {
			k = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			buf[k > 0 ? k : 0] = '\0';
			if ((p = strstr(buf, "msg=listening address=127.0.0.1:"))
			    != NULL) {
				r->exp_port = (unsigned)strtoul(p +
				    strlen("msg=listening address=127.0.0.1:"),
				    NULL, 10);
				return;
			}
		}
		ck_assert_msg(waitpid(r->exp_pid, NULL, WNOHANG) == 0,
		    "exporter exited at start: %s", buf);
		usleep(20000);
	}
}

static void
run_fini(struct run *r)
{
	current_run = NULL;
	if (r->exp_pid > 0) {
		kill(r->exp_pid, SIGKILL);
		waitpid(r->exp_pid, NULL, 0);
	}
	(void)child_stop(&r->fake);
	fakedns_stop(r->dns);
	r->dns = NULL;
	nftw(r->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * One HTTP/1.0 request (child_http(), 15 s at most); returns the status
 * (or -1) and the whole answer, head and body, in *body (malloc'ed,
 * NUL-terminated; tests look at headers too).
 */
static int
http(unsigned port, const char *method, const char *path,
    const char *headers, char **body)
{
	return child_http((uint16_t)port, 0, method, path, headers, 15000,
	    body, NULL);
}

static int
get(const struct run *r, const char *path, char **body)
{
	return http(r->exp_port, "GET", path, NULL, body);
}

/* The module every /probe test uses: trusts fakesmtp's CA. */
static void
write_config(const struct run *r, const char *extra)
{
	write_file(r, "config.yml",
	    "modules:\n"
	    "  fake:\n"
	    "    timeout: 5s\n"
	    "    ca_file: %s/ca.crt\n"
	    "    ehlo: probe.fake.test\n"
	    "allow_targets: [\"127.0.0.0/8\", \"*.fake.test\"]\n"
	    "dns_server: \"%s\"\n%s", r->dir, fakedns_server(r->dns),
	    extra != NULL ? extra : "");
}

static const char *
config_arg(const struct run *r)
{
	static char	 buf[PATH_MAX + 32];

	snprintf(buf, sizeof(buf), "--config.file=%s/config.yml", r->dir);
	return buf;
}

/* Run promtool check metrics on text, if promtool is installed. */
static void
promtool_check(const struct run *r, const char *text, const char *what)
{
	char	 p[PATH_MAX], cmd[PATH_MAX * 2 + 64], out[4096];
	FILE	*f;
	size_t	 n;
	int	 st;

	if (system("command -v promtool >/dev/null 2>&1") != 0) {
		fprintf(stderr, "note: promtool not installed, %s not linted "
		    "(make deps GROUPS=e2e installs it)\n", what);
		return;
	}
	path_in(r, "metrics.txt", p, sizeof(p));
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", p);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	st = pclose(f);
	ck_assert_msg(st == 0 && n == 0, "promtool on %s: %s", what, out);
}

static const char *
body_of(const char *resp)
{
	const char	*p = strstr(resp, "\r\n\r\n");

	return p != NULL ? p + 4 : resp;
}

START_TEST(test_probe_outcomes)
{
	struct run	 r;
	char		 path[512], *b;
	int64_t		 t0;
	int		 st;

	run_init(&r);
	start_fake(&r, "good", "notls", "deny", "silent", "expired", "tls",
	    NULL);
	write_config(&r, NULL);
	start_exporter(&r, config_arg(&r), NULL);

	snprintf(path, sizeof(path), "/probe?module=fake&target=127.0.0.1&"
	    "ports=%u/starttls:required", fake_port(&r, "good"));
	ck_assert_int_eq(get(&r, path, &b), 200);
	ck_assert_ptr_nonnull(strstr(b, "Content-Type: text/plain; "
	    "version=0.0.4; charset=utf-8"));
	ck_assert_ptr_nonnull(strstr(b, "\nsmtp_port_up{port="));
	ck_assert_ptr_nonnull(strstr(b, "mode=\"starttls\"} 1\n"));
	ck_assert_msg(strstr(b, "\nprobe_success 1\n") != NULL, "%s", b);
	ck_assert_ptr_nonnull(strstr(b, "smtp_port_cert_verified{"));
	ck_assert_ptr_nonnull(strstr(b, "result=\"ok\",phase=\"total\"} 1"));
	ck_assert_ptr_nonnull(strstr(b, "version=\"TLSv1."));
	promtool_check(&r, body_of(b), "/probe good");
	free(b);

	/* name target resolved through the fake DNS, allowed by pattern */
	snprintf(path, sizeof(path), "/probe?module=fake&target=mail.fake.test"
	    "&ports=%u/tls", fake_port(&r, "tls"));
	ck_assert_int_eq(get(&r, path, &b), 200);
	ck_assert_msg(strstr(b, "\nprobe_success 1\n") != NULL, "%s", b);
	free(b);

	snprintf(path, sizeof(path), "/probe?module=fake&target=127.0.0.1&"
	    "ports=%u/starttls:required", fake_port(&r, "notls"));
	ck_assert_int_eq(get(&r, path, &b), 200);
	ck_assert_ptr_nonnull(strstr(b, "smtp_port_starttls_offered{"));
	ck_assert_ptr_nonnull(strstr(b, "mode=\"starttls\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(b, "\nprobe_success 0\n"));
	ck_assert_ptr_nonnull(strstr(b, "result=\"starttls_not_offered\""));
	free(b);

	snprintf(path, sizeof(path), "/probe?module=fake&target=127.0.0.1&"
	    "ports=%u", fake_port(&r, "deny"));
	ck_assert_int_eq(get(&r, path, &b), 200);
	ck_assert_ptr_nonnull(strstr(b, "smtp_port_banner_code{"));
	ck_assert_ptr_nonnull(strstr(b, "} 554\n"));
	ck_assert_ptr_nonnull(strstr(b, "result=\"banner_rejected\""));
	free(b);

	snprintf(path, sizeof(path), "/probe?module=fake&target=127.0.0.1&"
	    "ports=%u", fake_port(&r, "expired"));
	ck_assert_int_eq(get(&r, path, &b), 200);
	ck_assert_ptr_nonnull(strstr(b, "smtp_port_cert_verified{"));
	ck_assert_ptr_nonnull(strstr(b, "mode=\"starttls\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(b,
	    "smtp_port_cert_not_after_timestamp_seconds{"));
	ck_assert_ptr_nonnull(strstr(b, "result=\"cert_expired\""));
	promtool_check(&r, body_of(b), "/probe expired");
	free(b);

	/* silent: times out in banner within the scrape timeout */
	snprintf(path, sizeof(path), "/probe?module=fake&target=127.0.0.1&"
	    "ports=%u", fake_port(&r, "silent"));
	t0 = now_ms();
	st = http(r.exp_port, "GET", path,
	    "X-Prometheus-Scrape-Timeout-Seconds: 1.5\r\n", &b);
	ck_assert_int_eq(st, 200);
	ck_assert_msg(now_ms() - t0 < 1500, "silent took %lld ms",
	    (long long)(now_ms() - t0));
	ck_assert_ptr_nonnull(strstr(b,
	    "result=\"timeout\",phase=\"banner\"} 1"));
	free(b);

	/* unresolvable: a normal 200 */
	ck_assert_int_eq(get(&r, "/probe?module=fake&target=nx.fake.test",
	    &b), 200);
	ck_assert_msg(strstr(b, "result=\"resolve_failed\",phase=\"resolve\"")
	    != NULL, "%s", b);
	ck_assert_ptr_nonnull(strstr(b, "\nprobe_success 0\n"));
	free(b);

	/* debug: the dialogue as text */
	snprintf(path, sizeof(path), "/probe?module=fake&target=127.0.0.1&"
	    "ports=%u&debug=true", fake_port(&r, "good"));
	ck_assert_int_eq(get(&r, path, &b), 200);
	ck_assert_ptr_nonnull(strstr(b, "C: EHLO probe.fake.test"));
	ck_assert_ptr_nonnull(strstr(b, "C: STARTTLS"));
	free(b);

	/* a fresh metric set per request: nothing of earlier targets */
	snprintf(path, sizeof(path), "/probe?module=fake&target=127.0.0.1&"
	    "ports=%u", fake_port(&r, "deny"));
	ck_assert_int_eq(get(&r, path, &b), 200);
	ck_assert_ptr_null(strstr(b, "smtp_port_tls_info"));
	ck_assert_ptr_null(strstr(b, "cert_expired"));
	free(b);

	ck_assert_int_eq(get(&r, "/metrics", &b), 200);
	ck_assert_ptr_nonnull(strstr(b, "smtp_ports_exporter_http_requests_"
	    "total{endpoint=\"/probe\",code=\"200\"} 9\n"));
	ck_assert_ptr_nonnull(strstr(b, "\nprocess_open_fds "));
	ck_assert_ptr_nonnull(strstr(b, "smtp_ports_exporter_build_info{"));
	promtool_check(&r, body_of(b), "/metrics");
	free(b);
	run_fini(&r);
}
END_TEST

START_TEST(test_denied)
{
	struct run		 r;
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	struct pollfd		 pfd;
	char			 path[256], *b;
	int			 lfd;

	run_init(&r);
	/* a listener the exporter must never reach */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = inet_addr("127.0.0.3");
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(lfd, 16), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);
	write_file(&r, "config.yml", "allow_targets: [\"127.0.0.2/32\", "
	    "\"*.fake.test\"]\ndns_server: \"%s\"\n", fakedns_server(r.dns));
	start_exporter(&r, config_arg(&r), NULL);

	snprintf(path, sizeof(path), "/probe?target=127.0.0.3&ports=%u",
	    (unsigned)ntohs(sin.sin_port));
	ck_assert_int_eq(get(&r, path, &b), 403);
	free(b);
	snprintf(path, sizeof(path), "/probe?target=::ffff:127.0.0.3&ports=%u",
	    (unsigned)ntohs(sin.sin_port));
	ck_assert_int_eq(get(&r, path, &b), 403);
	free(b);
	/* a name outside the patterns is resolved (a CIDR rule exists); it
	 * has no address, so none is inside the CIDRs */
	ck_assert_int_eq(get(&r, "/probe?target=evil.example.net", &b), 403);
	free(b);
	/* a name matching a pattern is allowed without looking further */
	ck_assert_int_eq(get(&r, "/probe?target=nx.fake.test&ports=25", &b),
	    200);
	free(b);
	pfd.fd = lfd;
	pfd.events = POLLIN;
	ck_assert_msg(poll(&pfd, 1, 200) == 0, "a denied probe connected");
	close(lfd);
	run_fini(&r);
}
END_TEST

/* The value of the first sample of metric whose labels contain label;
 * -1 if there is none. */
static double
sample_value(const char *b, const char *metric, const char *label)
{
	const char	*l, *e, *v;
	size_t		 n = strlen(metric);

	for (l = b; (l = strstr(l, metric)) != NULL; l += n) {
		if ((l != b && l[-1] != '\n') || l[n] != '{')
			continue;
		if ((e = strchr(l, '\n')) == NULL)
			e = l + strlen(l);
		v = strstr(l, label);
		if (v == NULL || v > e || (v = strstr(l, "} ")) == NULL ||
		    v > e)
			continue;
		return strtod(v + 2, NULL);
	}
	return -1;
}

START_TEST(test_cidr_resolve)
{
	struct run	 r;
	char		 path[256], *b;
	double		 res, tot;

	run_init(&r);
	start_fake(&r, "tls", NULL);
	/* CIDR only: names must resolve inside it */
	write_file(&r, "config.yml", "modules:\n  fake:\n    ca_file: "
	    "%s/ca.crt\nallow_targets: [\"127.0.0.0/8\"]\ndns_server: \"%s\"\n",
	    r.dir, fakedns_server(r.dns));
	start_exporter(&r, config_arg(&r), NULL);
	snprintf(path, sizeof(path), "/probe?module=fake&target=mail.fake.test"
	    "&ports=%u/tls", fake_port(&r, "tls"));
	ck_assert_int_eq(get(&r, path, &b), 200);
	ck_assert_msg(strstr(b, "\nprobe_success 1\n") != NULL, "%s", b);
	/* the exporter's own lookup is the probe's resolve phase, and the
	 * total covers it */
	res = sample_value(b, "smtp_port_phase_duration_seconds",
	    "phase=\"resolve\"");
	tot = sample_value(b, "smtp_port_phase_duration_seconds",
	    "phase=\"total\"");
	ck_assert_msg(res > 0 && tot > res, "resolve %g total %g\n%s", res,
	    tot, b);
	free(b);
	/* resolves to 192.0.2.1: denied, and no packet goes there */
	ck_assert_int_eq(get(&r, "/probe?target=outside.fake.test&ports=25",
	    &b), 403);
	free(b);
	run_fini(&r);
}
END_TEST

START_TEST(test_bad_requests)
{
	static const struct {
		const char	*method;
		const char	*path;
		int		 status;
		const char	*text;
	} rows[] = {
		{ "GET", "/probe", 400, "missing target" },
		{ "GET", "/probe?target=127.0.0.1&ports=0", 400, "bad ports" },
		{ "GET", "/probe?target=127.0.0.1&ports=1,2,3,4,5,6,7,8,9,10,"
		    "11,12,13,14,15,16,17", 400, "bad ports" },
		{ "GET", "/probe?target=127.0.0.1&module=nope", 400,
		    "unknown module" },
		{ "GET", "/probe?target=127.0.0.1&module=fixed&ports=25", 400,
		    "does not allow" },
		{ "GET", "/probe?target=a%00b", 400, "percent" },
		{ "GET", "/probe?target=127.0.0.1:25", 400, "ports=" },
		{ "POST", "/probe?target=127.0.0.1", 405, "not allowed" },
		{ "DELETE", "/metrics", 405, "not allowed" },
		{ "GET", "/-/reload", 405, "not allowed" },
		{ "GET", "/nope", 404, "not found" },
		{ "GET", "/-/healthy", 200, "Healthy" },
		{ "GET", "/-/ready", 200, "Ready" },
		{ "GET", "/", 200, "<h1>SMTP Ports Exporter</h1>" },
	};
	struct run	 r;
	char		*b;
	size_t		 i;

	run_init(&r);
	write_file(&r, "config.yml", "modules:\n  fixed:\n    ports: \"25\"\n"
	    "    allow_port_override: false\ndns_server: \"%s\"\n",
	    fakedns_server(r.dns));
	start_exporter(&r, config_arg(&r), NULL);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ck_assert_msg(http(r.exp_port, rows[i].method, rows[i].path,
		    NULL, &b) == rows[i].status, "row %zu: %s", i, b);
		ck_assert_msg(strstr(b, rows[i].text) != NULL, "row %zu: %s",
		    i, b);
		if (rows[i].status == 405)
			ck_assert_ptr_nonnull(strstr(b, "Allow: "));
		free(b);
	}
	/* a bad scrape-timeout header */
	ck_assert_int_eq(http(r.exp_port, "GET", "/probe?target=127.0.0.1",
	    "X-Prometheus-Scrape-Timeout-Seconds: soon\r\n", &b), 400);
	free(b);
	/* a huge URL: MHD's own 414 (or a refusal), never a crash */
	{
		static char	 big[40000];
		int		 st;

		memset(big, 'a', sizeof(big) - 1);
		memcpy(big, "/probe?target=", 14);
		st = get(&r, big, &b);
		ck_assert_msg(st == 414, "%d", st);
		free(b);
	}
	ck_assert_int_eq(get(&r, "/-/healthy", &b), 200);
	free(b);
	run_fini(&r);
}
END_TEST

/* Wait until /metrics contains (want 1) or lacks (want 0) needle. */
static int
wait_metrics(const struct run *r, const char *needle, int want, int ms)
{
	int64_t	 end = now_ms() + ms;
	char	*b;
	int	 has;

	for (;;) {
		ck_assert_int_eq(get(r, "/metrics", &b), 200);
		has = strstr(b, needle) != NULL;
		free(b);
		if (has == want)
			return 1;
		if (now_ms() > end)
			return 0;
		usleep(50000);
	}
}

START_TEST(test_reload)
{
	struct run	 r;
	char		*b;

	run_init(&r);
	write_file(&r, "config.yml", "modules:\n  one:\n    ports: \"25\"\n"
	    "dns_server: \"%s\"\n", fakedns_server(r.dns));
	start_exporter(&r, config_arg(&r), NULL);
	ck_assert_int_eq(get(&r, "/probe?target=127.0.0.1&module=two", &b),
	    400);
	free(b);

	/* bad config over HTTP: 500, metric 0, old config kept */
	write_file(&r, "config.yml", "modules:\n  two:\n    timeout: 5 parsecs\n");
	ck_assert_int_eq(http(r.exp_port, "POST", "/-/reload", NULL, &b), 500);
	ck_assert_ptr_nonnull(strstr(b, "config.yml:3:"));
	free(b);
	ck_assert(wait_metrics(&r,
	    "smtp_ports_exporter_config_last_reload_successful 0\n", 1, 0));
	ck_assert_int_eq(get(&r, "/probe?target=127.0.0.1&module=one&ports=1",
	    &b), 200);
	free(b);

	/* good config by SIGHUP: metric 1, new module, old one gone */
	write_file(&r, "config.yml", "modules:\n  two:\n    ports: \"25\"\n"
	    "dns_server: \"%s\"\n", fakedns_server(r.dns));
	kill(r.exp_pid, SIGHUP);
	ck_assert(wait_metrics(&r,
	    "smtp_ports_exporter_config_last_reload_successful 1\n", 1,
	    5000));
	ck_assert_int_eq(get(&r, "/probe?target=127.0.0.1&module=two&ports=1",
	    &b), 200);
	free(b);
	ck_assert_int_eq(get(&r, "/probe?target=127.0.0.1&module=one", &b),
	    400);
	free(b);

	/* bad by SIGHUP */
	write_file(&r, "config.yml", "nonsense: [\n");
	kill(r.exp_pid, SIGHUP);
	ck_assert(wait_metrics(&r,
	    "smtp_ports_exporter_config_last_reload_successful 0\n", 1,
	    5000));
	ck_assert_int_eq(get(&r, "/probe?target=127.0.0.1&module=two&ports=1",
	    &b), 200);
	free(b);
	run_fini(&r);
}
END_TEST

START_TEST(test_scheduled)
{
	struct run	 r;
	char		 extra[512], *b;

	run_init(&r);
	start_fake(&r, "good", "deny", NULL);
	snprintf(extra, sizeof(extra),
	    "buckets: [0.005, 0.05, 0.5]\n"
	    "targets:\n"
	    "  - name: fake-good\n"
	    "    host: 127.0.0.1\n"
	    "    module: fake\n"
	    "    interval: 1s\n"
	    "    ports: [\"%u/starttls:required\"]\n"
	    "  - name: fake-deny\n"
	    "    host: mail.fake.test\n"
	    "    module: fake\n"
	    "    interval: 1s\n"
	    "    ports: [\"%u/starttls:optional\"]\n",
	    fake_port(&r, "good"), fake_port(&r, "deny"));
	write_config(&r, extra);
	start_exporter(&r, config_arg(&r), NULL);
	ck_assert(wait_metrics(&r, "smtp_port_probes_total{target="
	    "\"fake-deny\"", 1, 5000));
	ck_assert(wait_metrics(&r, "smtp_port_probes_total{target="
	    "\"fake-good\"", 1, 5000));
	ck_assert_int_eq(get(&r, "/metrics", &b), 200);
	ck_assert_ptr_nonnull(strstr(b, "smtp_port_up{target=\"fake-good\","));
	ck_assert_ptr_nonnull(strstr(b, "smtp_port_probe_success{target="
	    "\"fake-good\","));
	ck_assert_ptr_nonnull(strstr(b, "smtp_port_last_probe_timestamp_"
	    "seconds{target=\"fake-good\""));
	ck_assert_ptr_nonnull(strstr(b, "smtp_port_handshake_duration_seconds_"
	    "bucket{target=\"fake-good\","));
	ck_assert_ptr_nonnull(strstr(b, "phase=\"tls_handshake\",le=\"+Inf\"}"));
	ck_assert_ptr_nonnull(strstr(b, "smtp_port_probe_failures_total{"
	    "target=\"fake-deny\","));
	ck_assert_ptr_nonnull(strstr(b, "result=\"banner_rejected\"} "));
	ck_assert_ptr_nonnull(strstr(b, "# TYPE smtp_port_handshake_duration_"
	    "seconds histogram\n"));
	promtool_check(&r, body_of(b), "/metrics with scheduled targets");
	free(b);
	ck_assert_int_eq(get(&r, "/", &b), 200);
	ck_assert_ptr_nonnull(strstr(b, "fake-good"));
	free(b);

	/* a reload without fake-deny: its series go at once */
	snprintf(extra, sizeof(extra),
	    "buckets: [0.005, 0.05, 0.5]\n"
	    "targets:\n"
	    "  - name: fake-good\n"
	    "    host: 127.0.0.1\n"
	    "    module: fake\n"
	    "    interval: 1s\n"
	    "    ports: [\"%u/starttls:required\"]\n",
	    fake_port(&r, "good"));
	write_config(&r, extra);
	ck_assert_int_eq(http(r.exp_port, "POST", "/-/reload", NULL, &b), 200);
	free(b);
	ck_assert_int_eq(get(&r, "/metrics", &b), 200);
	ck_assert_ptr_null(strstr(b, "fake-deny"));
	ck_assert_ptr_nonnull(strstr(b, "target=\"fake-good\""));
	free(b);
	run_fini(&r);
}
END_TEST

START_TEST(test_basic_auth)
{
	struct run		 r;
	struct crypt_data	 cd;
	char			 salt[64], *b;
	const char		*hash;

	run_init(&r);
	memset(&cd, 0, sizeof(cd));
	ck_assert_ptr_nonnull(crypt_gensalt_rn("$2b$", 4, NULL, 0, salt,
	    sizeof(salt)));
	hash = crypt_r("s3cret", salt, &cd);
	ck_assert_ptr_nonnull(hash);
	write_file(&r, "web.yml", "basic_auth_users:\n  prom: \"%s\"\n", hash);
	write_file(&r, "config.yml", "dns_server: \"%s\"\n",
	    fakedns_server(r.dns));
	{
		char arg[PATH_MAX + 32];

		snprintf(arg, sizeof(arg), "--web.config.file=%s/web.yml",
		    r.dir);
		start_exporter(&r, arg, config_arg(&r), NULL);
	}
	ck_assert_int_eq(get(&r, "/metrics", &b), 401);
	ck_assert_ptr_nonnull(strstr(b, "WWW-Authenticate: Basic"));
	free(b);
	/* prom:wrong */
	ck_assert_int_eq(http(r.exp_port, "GET", "/metrics",
	    "Authorization: Basic cHJvbTp3cm9uZw==\r\n", &b), 401);
	free(b);
	/* prom:s3cret, twice (the second from the cache) */
	ck_assert_int_eq(http(r.exp_port, "GET", "/metrics",
	    "Authorization: Basic cHJvbTpzM2NyZXQ=\r\n", &b), 200);
	free(b);
	ck_assert_int_eq(http(r.exp_port, "GET", "/metrics",
	    "Authorization: Basic cHJvbTpzM2NyZXQ=\r\n", &b), 200);
	ck_assert_ptr_nonnull(strstr(b, "code=\"401\"} 2\n"));
	free(b);
	run_fini(&r);
}
END_TEST

/* Run the exporter with args, return its exit status; output in out. */
static int
run_exporter(char *const extra[], char *out, size_t outlen)
{
	char	 cmd[8192];
	size_t	 i, n;
	FILE	*f;
	int	 st;

	snprintf(cmd, sizeof(cmd), "'%s'", check_build_path(
	    "smtp_ports_exporter"));
	for (i = 0; extra[i] != NULL; i++) {
		n = strlen(cmd);
		snprintf(cmd + n, sizeof(cmd) - n, " '%s'", extra[i]);
	}
	n = strlen(cmd);
	snprintf(cmd + n, sizeof(cmd) - n, " 2>&1");
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(out, 1, outlen - 1, f);
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(test_config_check)
{
	struct run	 r;
	char		 arg[PATH_MAX + 32], out[4096];
	char		*argv[3] = { arg, (char *)(uintptr_t)"--config.check",
			    NULL };
	char		*bad[3] = { (char *)(uintptr_t)"--bogus", NULL, NULL };

	run_init(&r);
	snprintf(arg, sizeof(arg), "--config.file=%s/config.yml", r.dir);
	write_file(&r, "config.yml", "modules:\n  a:\n    ports: \"25\"\n");
	ck_assert_int_eq(run_exporter(argv, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "OK"));
	write_file(&r, "config.yml", "modules:\n  a:\n    ports: \"25x\"\n");
	ck_assert_int_eq(run_exporter(argv, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "config.yml:3:") != NULL, "%s", out);
	/* at start-up too: exit 1 with file:line */
	argv[1] = NULL;
	ck_assert_int_eq(run_exporter(argv, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "config.yml:3:") != NULL, "%s", out);
	ck_assert_int_eq(run_exporter(bad, out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "unknown flag"));
	bad[0] = (char *)(uintptr_t)"--version";
	ck_assert_int_eq(run_exporter(bad, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, SMTPPROBE_VERSION_STRING));
	run_fini(&r);
}
END_TEST

START_TEST(test_sigterm)
{
	struct run		 r;
	struct sockaddr_in	 sin;
	char			 req[256], buf[512];
	int			 fd, st;
	int64_t			 t0;
	pid_t			 w;

	run_init(&r);
	start_fake(&r, "silent", NULL);
	write_config(&r, NULL);
	start_exporter(&r, config_arg(&r), NULL);
	/* a probe in flight (5 s module timeout) when the signal comes */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)r.exp_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	snprintf(req, sizeof(req), "GET /probe?module=fake&target=127.0.0.1&"
	    "ports=%u HTTP/1.0\r\n\r\n", fake_port(&r, "silent"));
	ck_assert_int_eq(send(fd, req, strlen(req), MSG_NOSIGNAL),
	    (ssize_t)strlen(req));
	ck_assert(wait_metrics(&r, "smtp_ports_exporter_probes_in_flight 1\n",
	    1, 3000));
	t0 = now_ms();
	kill(r.exp_pid, SIGTERM);
	for (;;) {
		w = waitpid(r.exp_pid, &st, WNOHANG);
		if (w == r.exp_pid)
			break;
		ck_assert_msg(now_ms() - t0 < 3000, "no exit after SIGTERM");
		usleep(10000);
	}
	r.exp_pid = -1;
	ck_assert_msg(now_ms() - t0 < 1000, "exit took %lld ms",
	    (long long)(now_ms() - t0));
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* the suspended request was answered or closed, not left hanging */
	{
		struct pollfd pfd = { fd, POLLIN, 0 };

		ck_assert_int_eq(poll(&pfd, 1, 1000), 1);
		(void)read(fd, buf, sizeof(buf));
	}
	close(fd);
	run_fini(&r);
}
END_TEST

START_TEST(test_all_addresses)
{
	struct run	 r;
	char		 path[256], needle[256], *b;
	unsigned	 port;

	run_init(&r);
	start_fake(&r, "good", NULL);	/* listens on 127.0.0.1 only */
	write_file(&r, "config.yml", "modules:\n  all:\n    ca_file: "
	    "%s/ca.crt\n    all_addresses: true\n    timeout: 3s\n"
	    "allow_targets: [\"*.fake.test\"]\ndns_server: \"%s\"\n", r.dir,
	    fakedns_server(r.dns));
	start_exporter(&r, config_arg(&r), NULL);
	port = fake_port(&r, "good");
	snprintf(path, sizeof(path), "/probe?module=all&target=multi.fake.test"
	    "&ports=%u", port);
	ck_assert_int_eq(get(&r, path, &b), 200);
	/* each address probed and judged, with an address label */
	snprintf(needle, sizeof(needle), "smtp_port_up{port=\"%u\",mode="
	    "\"starttls\",address=\"127.0.0.1\"} 1\n", port);
	ck_assert_msg(strstr(b, needle) != NULL, "%s", b);
	snprintf(needle, sizeof(needle), "smtp_port_up{port=\"%u\",mode="
	    "\"starttls\",address=\"127.0.0.2\"} 0\n", port);
	ck_assert_msg(strstr(b, needle) != NULL, "%s", b);
	ck_assert_ptr_nonnull(strstr(b, "address=\"127.0.0.2\",result="
	    "\"refused\""));
	/* 127.0.0.2 refused a required port: not every port met its policy */
	ck_assert_ptr_nonnull(strstr(b, "\nprobe_success 0\n"));
	promtool_check(&r, body_of(b), "/probe all_addresses");
	free(b);
	run_fini(&r);
}
END_TEST

START_TEST(test_overload)
{
	struct run		 r;
	struct sockaddr_in	 sin;
	char			 req[256], *b;
	int			 fd;

	run_init(&r);
	start_fake(&r, "silent", NULL);
	write_config(&r, NULL);
	start_exporter(&r, config_arg(&r), "--probe.max-pending=1", NULL);
	/* one /probe occupies the only slot ... */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)r.exp_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	snprintf(req, sizeof(req), "GET /probe?module=fake&target=127.0.0.1&"
	    "ports=%u HTTP/1.0\r\n\r\n", fake_port(&r, "silent"));
	ck_assert_int_eq(send(fd, req, strlen(req), MSG_NOSIGNAL),
	    (ssize_t)strlen(req));
	ck_assert(wait_metrics(&r, "smtp_ports_exporter_probes_in_flight 1\n",
	    1, 3000));
	/* ... so the next one is refused at once, and /metrics still works */
	ck_assert_int_eq(get(&r, "/probe?module=fake&target=127.0.0.1&"
	    "ports=25", &b), 503);
	free(b);
	ck_assert_int_eq(http(r.exp_port, "HEAD", "/metrics", NULL, &b), 200);
	ck_assert_ptr_null(strstr(b, "process_open_fds"));	/* no body */
	free(b);
	close(fd);
	run_fini(&r);
}
END_TEST

START_TEST(test_web_tls)
{
	struct run	 r;
	char		 cmd[PATH_MAX * 3], arg[PATH_MAX + 32], out[256];
	FILE		*f;
	size_t		 n;

	if (system("command -v openssl >/dev/null && command -v curl "
	    ">/dev/null") != 0) {
		fprintf(stderr, "note: openssl or curl missing, web TLS not "
		    "tested\n");
		return;
	}
	run_init(&r);
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec -pkeyopt "
	    "ec_paramgen_curve:P-256 -nodes -keyout %s/web.key -out "
	    "%s/web.crt -days 2 -subj /CN=localhost -addext "
	    "subjectAltName=IP:127.0.0.1 >/dev/null 2>&1", r.dir, r.dir);
	ck_assert_int_eq(system(cmd), 0);
	/* relative names: relative to the web config file */
	write_file(&r, "web.yml", "tls_server_config:\n  cert_file: web.crt\n"
	    "  key_file: web.key\n");
	snprintf(arg, sizeof(arg), "--web.config.file=%s/web.yml", r.dir);
	start_exporter(&r, arg, NULL);
	snprintf(cmd, sizeof(cmd), "curl -s --cacert %s/web.crt "
	    "https://127.0.0.1:%u/-/healthy", r.dir, r.exp_port);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	pclose(f);
	ck_assert_str_eq(out, "Healthy\n");
	run_fini(&r);
}
END_TEST

START_TEST(test_module_dns)
{
	struct run	 r;
	char		 path[256], *b;

	run_init(&r);
	start_fake(&r, "tls", NULL);
	/* the process's resolver is dead; the module has its own */
	write_file(&r, "config.yml", "modules:\n  own:\n    ca_file: "
	    "%s/ca.crt\n    timeout: 2s\n    dns_server: \"%s\"\n"
	    "  dead:\n    timeout: 2s\n"
	    "allow_targets: [\"*.fake.test\"]\n"
	    "dns_server: \"127.0.0.1:9\"\n", r.dir, fakedns_server(r.dns));
	start_exporter(&r, config_arg(&r), NULL);
	snprintf(path, sizeof(path), "/probe?module=own&target=mail.fake.test"
	    "&ports=%u/tls", fake_port(&r, "tls"));
	ck_assert_int_eq(get(&r, path, &b), 200);
	ck_assert_msg(strstr(b, "\nprobe_success 1\n") != NULL, "%s", b);
	free(b);
	snprintf(path, sizeof(path), "/probe?module=dead&target=mail.fake.test"
	    "&ports=%u/tls", fake_port(&r, "tls"));
	ck_assert_int_eq(get(&r, path, &b), 200);
	ck_assert_msg(strstr(b, "\nprobe_success 0\n") != NULL, "%s", b);
	ck_assert_ptr_nonnull(strstr(b, "phase=\"resolve\"} 1"));
	free(b);
	run_fini(&r);
}
END_TEST

/*
 * The top-level dns_server changed by a reload applies to the next probe,
 * no restart: first dead (resolve fails), then the fake DNS (success),
 * then dead again (back on the workers the exporter started with).
 */
START_TEST(test_reload_dns)
{
	struct run	 r;
	char		 path[256], *b;
	int		 i;
	static const char *const want[] = {
		"\nprobe_success 0\n", "\nprobe_success 1\n",
		"\nprobe_success 0\n" };

	run_init(&r);
	start_fake(&r, "tls", NULL);
	snprintf(path, sizeof(path), "/probe?target=mail.fake.test&ports=%u/tls",
	    fake_port(&r, "tls"));
	for (i = 0; i < 3; i++) {
		write_file(&r, "config.yml", "modules:\n  default:\n    "
		    "ca_file: %s/ca.crt\n    timeout: 2s\n"
		    "allow_targets: [\"*.fake.test\"]\n"
		    "dns_server: \"%s\"\n", r.dir,
		    i == 1 ? fakedns_server(r.dns) : "127.0.0.1:9");
		if (i == 0)
			start_exporter(&r, config_arg(&r), NULL);
		else {
			ck_assert_int_eq(http(r.exp_port, "POST", "/-/reload",
			    NULL, &b), 200);
			free(b);
		}
		ck_assert_int_eq(get(&r, path, &b), 200);
		ck_assert_msg(strstr(b, want[i]) != NULL, "step %d: %s", i, b);
		if (i != 1)
			ck_assert_ptr_nonnull(strstr(b, "phase=\"resolve\"} 1"));
		free(b);
	}
	run_fini(&r);
}
END_TEST

/*
 * Resolver threads are bounded (PROBER_MAX_RESOLVERS, 8): probes through
 * eight modules with distinct dns_server settings (dead ones; an IP
 * literal never asks them) are answered, the ninth gets a 503 that says
 * why, and the exporter keeps serving the others.
 */
START_TEST(test_resolver_limit)
{
	struct run	 r;
	char		 cfg[2048], path[256], *b;
	size_t		 off = 0;
	unsigned	 port = child_closed_port();
	int		 i;

	run_init(&r);
	off += (size_t)snprintf(cfg + off, sizeof(cfg) - off, "modules:\n");
	for (i = 0; i < 9; i++)
		off += (size_t)snprintf(cfg + off, sizeof(cfg) - off,
		    "  m%d:\n    timeout: 2s\n    dns_server: "
		    "\"127.0.0.1:%d\"\n", i, 9000 + i);
	ck_assert_uint_lt(off, sizeof(cfg));
	write_file(&r, "config.yml", "%s", cfg);
	start_exporter(&r, config_arg(&r), NULL);
	for (i = 0; i < 9; i++) {
		snprintf(path, sizeof(path), "/probe?module=m%d&target="
		    "127.0.0.1&ports=%u/plain", i, port);
		if (i < 8) {
			ck_assert_int_eq(get(&r, path, &b), 200);
			ck_assert_msg(strstr(b, "result=\"refused\"") != NULL,
			    "m%d: %s", i, b);
		} else {
			ck_assert_int_eq(get(&r, path, &b), 503);
			ck_assert_msg(strstr(b, "at most 8 distinct dns_server")
			    != NULL, "%s", b);
		}
		free(b);
	}
	/* the others still work */
	snprintf(path, sizeof(path), "/probe?module=m0&target=127.0.0.1&"
	    "ports=%u/plain", port);
	ck_assert_int_eq(get(&r, path, &b), 200);
	free(b);
	run_fini(&r);
}
END_TEST

/*
 * Scrapers: nconn concurrent HTTP/1.0 connections, each GETting /metrics
 * and reconnecting as soon as an answer is complete, for ms
 * milliseconds.  Runs in a child; writes "answered failed" to fd.
 */
static void
scrapers(unsigned port, int nconn, int ms, int fd)
{
	static const char	 req[] = "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n";
	struct sockaddr_in	 sin;
	struct pollfd		 pfd[128];
	char			 buf[16384], head[128][16], out[64];
	size_t			 hl[128];
	long			 ok = 0, bad = 0;
	int64_t			 end = now_ms() + ms;
	ssize_t			 k, j;
	int			 i, n;

	if (nconn > 128)
		nconn = 128;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < nconn; i++)
		pfd[i].fd = -1;
	while (now_ms() < end) {
		for (i = 0; i < nconn; i++) {
			if (pfd[i].fd != -1)
				continue;
			pfd[i].fd = socket(AF_INET, SOCK_STREAM, 0);
			pfd[i].events = POLLIN;
			hl[i] = 0;
			if (pfd[i].fd == -1 || connect(pfd[i].fd,
			    (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
			    send(pfd[i].fd, req, sizeof(req) - 1,
			    MSG_NOSIGNAL) != (ssize_t)sizeof(req) - 1) {
				bad++;
				if (pfd[i].fd != -1)
					close(pfd[i].fd);
				pfd[i].fd = -1;
			}
		}
		if ((n = poll(pfd, (nfds_t)nconn, 100)) <= 0)
			continue;
		for (i = 0; i < nconn; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			k = read(pfd[i].fd, buf, sizeof(buf));
			if (k > 0) {
				/* keep the status line's start */
				for (j = 0; j < k &&
				    hl[i] < sizeof(head[0]) - 1; j++)
					head[i][hl[i]++] = buf[j];
				continue;
			}
			head[i][hl[i]] = '\0';
			if (k == 0 && strncmp(head[i], "HTTP/1.", 7) == 0 &&
			    strncmp(head[i] + 8, " 200 ", 5) == 0)
				ok++;
			else
				bad++;
			close(pfd[i].fd);
			pfd[i].fd = -1;
		}
	}
	snprintf(out, sizeof(out), "%ld %ld\n", ok, bad);
	(void)write(fd, out, strlen(out));
}

/*
 * Many concurrent /metrics scrapers (with scheduled targets, so each
 * rendering has histograms to write) do not hold up /probe: every probe
 * answers, successful, well within its scrape timeout, and every scrape
 * is answered 200.
 */
START_TEST(test_metrics_flood)
{
	struct run	 r;
	char		 extra[512], path[256], got[64], *b;
	int		 fds[2], i;
	long		 ok = 0, bad = -1;
	int64_t		 t0, took;
	pid_t		 pid;
	ssize_t		 k;

	run_init(&r);
	start_fake(&r, "good", "notls", NULL);
	snprintf(extra, sizeof(extra),
	    "targets:\n"
	    "  - name: sched-a\n"
	    "    host: 127.0.0.1\n"
	    "    module: fake\n"
	    "    interval: 1s\n"
	    "    ports: [\"%u/starttls:required\", \"%u/plain:required\"]\n"
	    "  - name: sched-b\n"
	    "    host: 127.0.0.1\n"
	    "    module: fake\n"
	    "    interval: 1s\n"
	    "    ports: [\"%u/starttls:required\"]\n",
	    fake_port(&r, "good"), fake_port(&r, "notls"),
	    fake_port(&r, "good"));
	write_config(&r, extra);
	start_exporter(&r, config_arg(&r), NULL);
	ck_assert(wait_metrics(&r, "smtp_port_probes_total{target="
	    "\"sched-b\"", 1, 5000));

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		close(fds[0]);
		scrapers(r.exp_port, 100, 3000, fds[1]);
		_exit(0);
	}
	close(fds[1]);
	usleep(300000);		/* the scrapers are at it */
	snprintf(path, sizeof(path), "/probe?module=fake&target=127.0.0.1&"
	    "ports=%u/starttls:required", fake_port(&r, "good"));
	for (i = 0; i < 5; i++) {
		t0 = now_ms();
		ck_assert_int_eq(http(r.exp_port, "GET", path,
		    "X-Prometheus-Scrape-Timeout-Seconds: 2.5\r\n", &b), 200);
		took = now_ms() - t0;
		ck_assert_msg(strstr(b, "\nprobe_success 1\n") != NULL,
		    "probe %d under /metrics load: %s", i, body_of(b));
		free(b);
		/* the probe's budget is 2.5 - 0.5 s; the answer comes in it */
		ck_assert_msg(took < 2000, "probe %d took %lld ms", i,
		    (long long)took);
	}
	k = read(fds[0], got, sizeof(got) - 1);
	close(fds[0]);
	waitpid(pid, NULL, 0);
	ck_assert_int_gt(k, 0);
	got[k] = '\0';
	ck_assert_int_eq(sscanf(got, "%ld %ld", &ok, &bad), 2);
	ck_assert_msg(bad == 0 && ok >= 100, "scrapes: %ld answered 200, "
	    "%ld failed", ok, bad);
	run_fini(&r);
}
END_TEST

/* One case per test, so CK_RUN_CASE can pick one. */
static void
add_case(Suite *s, const char *name, const TTest *t)
{
	TCase	*tc = tcase_create(name);

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t);
	suite_add_tcase(s, tc);
}

static Suite *
exporter_run_suite(void)
{
	Suite	*s = suite_create("exporter_run");

	add_case(s, "probe_outcomes", test_probe_outcomes);
	add_case(s, "denied", test_denied);
	add_case(s, "all_addresses", test_all_addresses);
	add_case(s, "cidr_resolve", test_cidr_resolve);
	add_case(s, "module_dns", test_module_dns);
	add_case(s, "reload_dns", test_reload_dns);
	add_case(s, "resolver_limit", test_resolver_limit);
	add_case(s, "bad_requests", test_bad_requests);
	add_case(s, "reload", test_reload);
	add_case(s, "scheduled", test_scheduled);
	add_case(s, "basic_auth", test_basic_auth);
	add_case(s, "config_check", test_config_check);
	add_case(s, "sigterm", test_sigterm);
	add_case(s, "overload", test_overload);
	add_case(s, "metrics_flood", test_metrics_flood);
	add_case(s, "web_tls", test_web_tls);
	return s;
}
CHECK_SUITE(exporter_run_suite)
