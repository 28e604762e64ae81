/*
 * check_plugin_run.c: the built check_smtp_ports program against the
 * scripted fake SMTP server (fakesmtp, started once per test case group)
 * and the in-process fake DNS server: exit code, key text and perfdata
 * for every outcome, the deadline, usage errors, the state file latches,
 * --mx and --all-addresses.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "suite.h"
#include "smtpprobe.h"
#include "fake/child.h"
#include "fake/dns.h"

#define OUT_MAX		(256 * 1024)

static const char *const scenarios[] = {
	"good", "tls", "notls", "deny", "busy", "expired", "expired-tls",
	"soon", "silent", "authplain", "selfsigned", "wrongname",
	"starttls454", "close", "garbage", "helo", "tlsalert", NULL
};

/* fakesmtp with every scenario above, for the whole suite (unchecked
 * fixture: it is the runner's child, gone when the runner's stdin pipe
 * to it closes). */
static struct child	 fake;
static const char	*ca_file = fake.ca_file;
static unsigned	 refused_port;

/* execv() wants char *const[]; our arguments are string literals. */
static void
exec_args(const char *const *argv)
{
	char	*v[72];
	size_t	 i;

	for (i = 0; argv[i] != NULL && i < 71; i++)
		memcpy(&v[i], &argv[i], sizeof(v[i]));
	v[i] = NULL;
	execv(v[0], v);
}

static unsigned
port_of(const char *name)
{
	uint16_t	 port = child_port(&fake, name);

	ck_assert_msg(port != 0, "no fake scenario %s", name);
	return port;
}

/* Unchecked fixture (runs once, in the runner): start fakesmtp. */
static void
fake_start(void)
{
	char	 err[256];

	if (child_start(&fake, check_build_path("fakesmtp"), scenarios,
	    CHILD_TLS_DIR, 30000, err, sizeof(err)) == -1)
		fprintf(stderr, "check_plugin_run: %s\n", err);
	refused_port = child_closed_port();
}

static void
fake_stop(void)
{
	(void)child_stop(&fake);
}

struct run_result {
	int	 rc;		/* exit code, or -1 if killed */
	double	 secs;		/* wall time to exit */
	double	 secs_out;	/* wall time to the first byte of output (a
				   sanitizer's exit-time work excluded) */
	char	 out[OUT_MAX];
};

static struct run_result	 rr;

/* Run check_smtp_ports with the NULL-terminated argument list. */
static void
plugin_run(const char *first, ...)
{
	const char	*argv[64];
	va_list		 ap;
	size_t		 n = 0, len = 0;
	int		 fds[2], st;
	pid_t		 pid;
	struct timespec	 t0, t1;
	ssize_t		 r;

	argv[n++] = check_build_path("check_smtp_ports");
	va_start(ap, first);
	for (argv[n] = first; argv[n] != NULL && n < 62;
	    argv[++n] = va_arg(ap, const char *))
		;
	va_end(ap);
	argv[n] = NULL;
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		dup2(fds[1], 1);
		exec_args(argv);
		_exit(127);
	}
	close(fds[1]);
	memset(&rr, 0, sizeof(rr));
	while (len < sizeof(rr.out) - 1 &&
	    (r = read(fds[0], rr.out + len, sizeof(rr.out) - 1 - len)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			break;
		if (len == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			rr.secs_out = (double)(t1.tv_sec - t0.tv_sec) +
			    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		}
		len += (size_t)r;
	}
	rr.out[len] = '\0';
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rr.secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	rr.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define P(spec_fmt, ...)	pspec(spec_fmt, __VA_ARGS__)

static const char *pspec(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* A -P value from a printf format (static buffers, rotating). */
static const char *
pspec(const char *fmt, ...)
{
	static char	 bufs[8][256];
	static int	 k;
	char		*b = bufs[k++ % 8];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(b, 256, fmt, ap);
	va_end(ap);
	return b;
}

static void
expect(int rc, const char *needle)
{
	ck_assert_msg(rr.rc == rc, "exit %d, want %d; output:\n%s", rr.rc, rc,
	    rr.out);
	if (needle != NULL)
		ck_assert_msg(strstr(rr.out, needle) != NULL,
		    "'%s' not in output:\n%s", needle, rr.out);
	/* Always: a status line, one '|' at most, no CR. */
	ck_assert_msg(strncmp(rr.out, "SMTP PORTS ", 11) == 0 ||
	    rr.out[0] == '{', "no status line:\n%s", rr.out);
	ck_assert_ptr_null(strchr(rr.out, '\r'));
	if (strchr(rr.out, '|') != NULL)
		ck_assert_ptr_null(strchr(strchr(rr.out, '|') + 1, '|'));
}

START_TEST(test_run_good)
{
	unsigned p = port_of("good");

	plugin_run("-H", "127.0.0.1", "-P", P("%u/starttls:required", p),
	    "--ca-file", ca_file, "-t", "5", NULL);
	expect(0, "SMTP PORTS OK - ");
	ck_assert_ptr_nonnull(strstr(rr.out, pspec("'%u_tls_handshake'=",
	    p)));
	ck_assert_ptr_nonnull(strstr(rr.out, pspec("'%u_ehlo_tls'=", p)));
	ck_assert_ptr_nonnull(strstr(rr.out, pspec("'%u_cert_days'=", p)));
	ck_assert_ptr_nonnull(strstr(rr.out, "\n| 'resolve'=0s;;;0; "));
	ck_assert_ptr_nonnull(strstr(rr.out, "TLSv1."));
}
END_TEST

START_TEST(test_run_tls)
{
	plugin_run("-H", "127.0.0.1", "-P", P("%u/tls:required",
	    port_of("tls")), "--ca-file", ca_file, NULL);
	expect(0, "SMTP PORTS OK - ");
}
END_TEST

START_TEST(test_run_notls)
{
	unsigned p = port_of("notls");

	plugin_run("-H", "127.0.0.1", "-P", P("%u/starttls:required", p),
	    "--ca-file", ca_file, NULL);
	expect(2, "SMTP PORTS CRITICAL - ");
	ck_assert_ptr_nonnull(strstr(rr.out, "STARTTLS not offered"));
	plugin_run("-H", "127.0.0.1", "-P", P("%u/starttls:optional", p),
	    "--ca-file", ca_file, NULL);
	expect(1, "SMTP PORTS WARNING - ");
	/* plain mode just records it */
	plugin_run("-H", "127.0.0.1", "-P", P("%u/plain", p), NULL);
	expect(0, "SMTP PORTS OK - ");
}
END_TEST

START_TEST(test_run_deny_busy)
{
	plugin_run("-H", "127.0.0.1", "-P", P("%u", port_of("deny")), NULL);
	expect(2, "554");
	plugin_run("-H", "127.0.0.1", "-P", P("%u:optional",
	    port_of("busy")), NULL);
	expect(1, "421");
}
END_TEST

START_TEST(test_run_expired)
{
	unsigned p = port_of("expired");

	plugin_run("-H", "127.0.0.1", "-P", P("%u", p), "--ca-file", ca_file,
	    NULL);
	expect(2, "expired");
	/* The fake's certificate expired 30 days (and seconds) ago: the
	 * status reason and the long output count the same whole days. */
	expect(2, "CRITICAL certificate expired 30 days ago");
	expect(2, "cert mail.fake.test expired 30 days ago");
	/* --no-verify: chain not judged, expiry still CRITICAL */
	plugin_run("-H", "127.0.0.1", "-P", P("%u:optional", p), "--ca-file",
	    ca_file, "--no-verify", NULL);
	expect(2, "certificate expired");
	plugin_run("-H", "127.0.0.1", "-P", P("%u/tls",
	    port_of("expired-tls")), "--ca-file", ca_file, "--no-verify",
	    NULL);
	expect(2, "certificate expired");
}
END_TEST

START_TEST(test_run_soon)
{
	unsigned p = port_of("soon");

	plugin_run("-H", "127.0.0.1", "-P", P("%u", p), "--ca-file", ca_file,
	    "--cert-days", "14,7", NULL);
	expect(1, "certificate expires in ");
	/* 10 days from the fake's start: 9 whole days left, or 10 when this
	 * runs within the same second */
	ck_assert_msg(strstr(rr.out, pspec("'%u_cert_days'=9;14:;7:;;", p)) !=
	    NULL || strstr(rr.out, pspec("'%u_cert_days'=10;14:;7:;;", p)) !=
	    NULL, "%s", rr.out);
	plugin_run("-H", "127.0.0.1", "-P", P("%u", p), "--ca-file", ca_file,
	    "-D", "30,20", NULL);
	expect(2, "certificate expires in ");
	plugin_run("-H", "127.0.0.1", "-P", P("%u", p), "--ca-file", ca_file,
	    "-D", "5,2", NULL);
	expect(0, "SMTP PORTS OK");
}
END_TEST

START_TEST(test_run_bad_certs)
{
	plugin_run("-H", "127.0.0.1", "-P", P("%u", port_of("selfsigned")),
	    "--ca-file", ca_file, NULL);
	expect(2, "SMTP PORTS CRITICAL");
	plugin_run("-H", "127.0.0.1", "-P", P("%u", port_of("wrongname")),
	    "--ca-file", ca_file, NULL);
	expect(2, "SMTP PORTS CRITICAL");
	/* with --no-verify a wrong name is reported, not judged */
	plugin_run("-H", "127.0.0.1", "-P", P("%u", port_of("wrongname")),
	    "--ca-file", ca_file, "--no-verify", NULL);
	expect(0, "not verified");
}
END_TEST

START_TEST(test_run_closed_policy)
{
	plugin_run("-H", "127.0.0.1", "-P", P("%u:closed", port_of("good")),
	    "--ca-file", ca_file, NULL);
	expect(2, "answers");
	plugin_run("-H", "127.0.0.1", "-P", P("%u:closed", refused_port),
	    NULL);
	expect(0, "closed as required");
}
END_TEST

START_TEST(test_run_refused)
{
	plugin_run("-H", "127.0.0.1", "-P", P("%u:optional", refused_port),
	    NULL);
	expect(0, "not offered");
	plugin_run("-H", "127.0.0.1", "-P", P("%u:required", refused_port),
	    NULL);
	expect(2, "refused");
}
END_TEST

/* A silent server: CRITICAL at the deadline, not later; UNKNOWN with
 * --timeout-state unknown. */
START_TEST(test_run_silent)
{
	unsigned p = port_of("silent");

	plugin_run("-H", "127.0.0.1", "-P", P("%u", p), "-t", "2", NULL);
	expect(2, "timeout in banner");
	ck_assert_msg(rr.secs_out >= 1.8 && rr.secs_out < 2.3, "took %.3fs",
	    rr.secs_out);
	plugin_run("-H", "127.0.0.1", "-P", P("%u", p), "-t", "1",
	    "--timeout-state", "unknown", NULL);
	expect(3, "SMTP PORTS UNKNOWN");
	ck_assert_msg(rr.secs_out < 1.4, "took %.3fs", rr.secs_out);
	/* optional: the table says WARNING unless told otherwise */
	plugin_run("-H", "127.0.0.1", "-P", P("%u:optional", p), "-t", "1",
	    NULL);
	expect(1, "timeout in banner");
}
END_TEST

/* The watchdog: a plugin frozen (SIGSTOP) past -t still answers with a
 * status line the moment it runs again, in the --timeout-state. */
START_TEST(test_run_watchdog)
{
	const char	*argv[16];
	struct timespec	 ts;
	char		 out[512];
	size_t		 len = 0;
	ssize_t		 r;
	int		 fds[2], st;
	pid_t		 pid;

	argv[0] = check_build_path("check_smtp_ports");
	argv[1] = "-H";
	argv[2] = "127.0.0.1";
	argv[3] = "-P";
	argv[4] = P("%u", port_of("silent"));
	argv[5] = "-t";
	argv[6] = "1";
	argv[7] = "--timeout-state";
	argv[8] = "unknown";
	argv[9] = NULL;
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		dup2(fds[1], 1);
		exec_args(argv);
		_exit(127);
	}
	close(fds[1]);
	ts.tv_sec = 0;
	ts.tv_nsec = 300 * 1000 * 1000;
	nanosleep(&ts, NULL);		/* well inside its -t */
	ck_assert_int_eq(kill(pid, SIGSTOP), 0);
	ts.tv_sec = 1;
	ts.tv_nsec = 0;
	nanosleep(&ts, NULL);		/* -t passes while it is frozen */
	ck_assert_int_eq(kill(pid, SIGCONT), 0);
	while (len < sizeof(out) - 1 &&
	    (r = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)r;
	out[len] = '\0';
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 3);
	ck_assert_msg(strcmp(out, "SMTP PORTS UNKNOWN - check_smtp_ports did "
	    "not finish within 1.0s (watchdog)\n") == 0, "%s", out);
}
END_TEST

START_TEST(test_run_authplain)
{
	plugin_run("-H", "127.0.0.1", "-P", P("%u/starttls",
	    port_of("authplain")), "--ca-file", ca_file, NULL);
	expect(1, "AUTH offered in cleartext");
}
END_TEST

START_TEST(test_run_failures)
{
	plugin_run("-H", "127.0.0.1", "-P", P("%u", port_of("starttls454")),
	    "--ca-file", ca_file, NULL);
	expect(2, "454");
	plugin_run("-H", "127.0.0.1", "-P", P("%u", port_of("close")), NULL);
	expect(2, "SMTP PORTS CRITICAL");
	plugin_run("-H", "127.0.0.1", "-P", P("%u:optional",
	    port_of("garbage")), NULL);
	expect(1, "SMTP PORTS WARNING");
	plugin_run("-H", "127.0.0.1", "-P", P("%u", port_of("tlsalert")),
	    "--ca-file", ca_file, NULL);
	expect(2, "SMTP PORTS CRITICAL");
	plugin_run("-H", "127.0.0.1", "-P", P("%u/plain", port_of("helo")),
	    NULL);
	expect(0, "SMTP PORTS OK");
}
END_TEST

/* Several ports in one run, worst first, all perfdata. */
START_TEST(test_run_many)
{
	plugin_run("-H", "127.0.0.1", "-P", P("%u/starttls,%u/tls:optional,"
	    "%u/starttls:optional,%u/starttls:optional", port_of("good"),
	    port_of("tls"), refused_port, port_of("notls")), "--ca-file",
	    ca_file, "-w", "2", "-c", "4", NULL);
	expect(1, pspec("SMTP PORTS WARNING - %u/starttls WARNING ",
	    port_of("notls")));
	ck_assert_ptr_nonnull(strstr(rr.out, pspec("'%u_total'=",
	    port_of("tls"))));
	ck_assert_ptr_nonnull(strstr(rr.out, ";2;4;0;"));
}
END_TEST

START_TEST(test_run_usage)
{
	plugin_run(NULL);
	expect(3, "SMTP PORTS UNKNOWN - missing -H");
	plugin_run("-H", "127.0.0.1", "-w", "nonsense", NULL);
	expect(3, "SMTP PORTS UNKNOWN - bad -w");
	plugin_run("-H", "127.0.0.1", "-P", "25,25", NULL);
	expect(3, "SMTP PORTS UNKNOWN - bad port list");
	plugin_run("-H", "127.0.0.1", "-t", "0", NULL);
	expect(3, "SMTP PORTS UNKNOWN - bad timeout");
	plugin_run("-H", "127.0.0.1", "--frobnicate", NULL);
	expect(3, "SMTP PORTS UNKNOWN - unknown option");
	plugin_run("-H", "127.0.0.1", "--dns-server", "999.1.1.1", NULL);
	expect(3, "SMTP PORTS UNKNOWN - bad --dns-server '999.1.1.1'");
	/* after the command line is read, UNKNOWN speaks JSON if asked */
	plugin_run("-H", "127.0.0.1", "--dns-server", "999.1.1.1",
	    "--output-format", "json", NULL);
	expect(3, "{\"state\":\"UNKNOWN\",\"exit_code\":3,\"summary\":"
	    "\"SMTP PORTS UNKNOWN - bad --dns-server");
	plugin_run("-V", NULL);
	ck_assert_int_eq(rr.rc, 3);
	ck_assert_ptr_nonnull(strstr(rr.out, "check_smtp_ports "));
	ck_assert_ptr_nonnull(strstr(rr.out, "OpenSSL"));
	plugin_run("--help", NULL);
	ck_assert_int_eq(rr.rc, 3);
	ck_assert_ptr_nonnull(strstr(rr.out, "--ports"));
}
END_TEST

START_TEST(test_run_json)
{
	plugin_run("-H", "127.0.0.1", "-P", P("%u", port_of("good")),
	    "--ca-file", ca_file, "--output-format", "json", NULL);
	expect(0, "\"state\":\"OK\"");
	ck_assert(rr.out[0] == '{');
	ck_assert_ptr_nonnull(strstr(rr.out, "\"outcome\":\"ok\""));
	ck_assert_ptr_nonnull(strstr(rr.out, "\"certificate\":{"));
}
END_TEST

START_TEST(test_run_verbose)
{
	plugin_run("-H", "127.0.0.1", "-P", P("%u", port_of("good")),
	    "--ca-file", ca_file, "-vv", NULL);
	expect(0, "\n  phases: ");
	ck_assert_ptr_nonnull(strstr(rr.out, "EHLO"));
	ck_assert_ptr_nonnull(strstr(rr.out, "\n  certificate: subject "));
	ck_assert_ptr_nonnull(strstr(rr.out, "\n    "));	/* dialogue */
}
END_TEST

/* ---- state file ---- */

static char	 state_dir[64];
static char	 state_path[128];

static void
state_setup(void)
{
	snprintf(state_dir, sizeof(state_dir), "/tmp/check_plugin_st.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(state_dir));
	snprintf(state_path, sizeof(state_path), "%s/state", state_dir);
}

static void
state_teardown(void)
{
	char	 cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", state_dir);
}

/* Rewrite the state file's key for port from onto port to (so that
 * "the same host:port" behaves differently on the next run). */
static void
state_move(unsigned from, unsigned to)
{
	FILE	*fp;
	char	 text[8192], *p, key[64], repl[64], out[8192];
	size_t	 n;

	ck_assert_ptr_nonnull(fp = fopen(state_path, "r"));
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	snprintf(key, sizeof(key), "127.0.0.1/%u\t", from);
	snprintf(repl, sizeof(repl), "127.0.0.1/%u\t", to);
	ck_assert_msg((p = strstr(text, key)) != NULL, "no %s in:\n%s", key,
	    text);
	snprintf(out, sizeof(out), "%.*s%s%s", (int)(p - text), text, repl,
	    p + strlen(key));
	ck_assert_ptr_nonnull(fp = fopen(state_path, "w"));
	fputs(out, fp);
	fclose(fp);
}

START_TEST(test_run_state_lost_starttls)
{
	unsigned good = port_of("good"), notls = port_of("notls");

	state_setup();
	plugin_run("-H", "127.0.0.1", "-P", P("%u/plain:optional", good),
	    "--state-file", state_path, NULL);
	expect(0, "SMTP PORTS OK");
	state_move(good, notls);
	/* STARTTLS was offered "on this port" before: lost, CRITICAL even
	 * for an optional plain port. */
	plugin_run("-H", "127.0.0.1", "-P", P("%u/plain:optional", notls),
	    "--state-file", state_path, NULL);
	expect(2, "lost STARTTLS (last seen ");
	/* latched */
	plugin_run("-H", "127.0.0.1", "-P", P("%u/plain:optional", notls),
	    "--state-file", state_path, NULL);
	expect(2, "lost STARTTLS (last seen ");
	/* --state-reset forgets; the next run has nothing to remember */
	plugin_run("-H", "127.0.0.1", "-P", P("%u/plain:optional", notls),
	    "--state-file", state_path, "--state-reset", NULL);
	expect(0, "SMTP PORTS OK");
	plugin_run("-H", "127.0.0.1", "-P", P("%u/plain:optional", notls),
	    "--state-file", state_path, NULL);
	expect(0, "SMTP PORTS OK");
	state_teardown();
}
END_TEST

START_TEST(test_run_state_unreachable)
{
	unsigned good = port_of("good");

	state_setup();
	plugin_run("-H", "127.0.0.1", "-P", P("%u/plain:optional", good),
	    "--state-file", state_path, NULL);
	expect(0, "SMTP PORTS OK");
	state_move(good, refused_port);
	plugin_run("-H", "127.0.0.1", "-P", P("%u/plain:optional",
	    refused_port), "--state-file", state_path, NULL);
	expect(1, "became unreachable (last answered ");
	plugin_run("-H", "127.0.0.1", "-P", P("%u/plain:optional",
	    refused_port), "--state-file", state_path, NULL);
	expect(1, "became unreachable");
	plugin_run("-H", "127.0.0.1", "-P", P("%u/plain:optional",
	    refused_port), "--state-file", state_path, "--state-reset", NULL);
	expect(0, "not offered");
	state_teardown();
}
END_TEST

/* A corrupt or unwritable state file is reported, never fatal. */
START_TEST(test_run_state_corrupt)
{
	FILE	*fp;

	state_setup();
	ck_assert_ptr_nonnull(fp = fopen(state_path, "w"));
	fputs("garbage\x01\xff\n", fp);
	fclose(fp);
	plugin_run("-H", "127.0.0.1", "-P", P("%u/plain", port_of("good")),
	    "--state-file", state_path, NULL);
	expect(0, "corrupt");
	/* and it was replaced by a good one */
	plugin_run("-H", "127.0.0.1", "-P", P("%u/plain", port_of("good")),
	    "--state-file", state_path, NULL);
	expect(0, NULL);
	ck_assert_ptr_null(strstr(rr.out, "corrupt"));
	plugin_run("-H", "127.0.0.1", "-P", P("%u/plain", port_of("good")),
	    "--state-file", "/nonexistent-dir/state", NULL);
	expect(0, "state file not saved");
	state_teardown();
}
END_TEST

/* ---- DNS through the in-process fake resolver ---- */

/*
 * Every port of a JSON run resolved through the fake DNS by the plugin
 * itself (--all-addresses, --mx): its resolve phase is the lookup's time
 * (not 0) and its total covers it.  Returns the number of ports seen.
 */
static int
json_resolve_counted(void)
{
	const char	*q, *t;
	double		 res, tot;
	int		 n = 0;

	for (q = rr.out; (q = strstr(q, "\"phases\":{\"resolve\":")) != NULL;
	    q++) {
		res = strtod(q + 21, NULL);
		ck_assert_ptr_nonnull(t = strstr(q, "\"total\":"));
		tot = strtod(t + 8, NULL);
		ck_assert_msg(res > 0 && tot > res, "resolve %g total %g:\n%s",
		    res, tot, rr.out);
		n++;
	}
	return n;
}

START_TEST(test_run_dns)
{
	struct fakedns	*dns;
	char		 err[128];
	unsigned	 good = port_of("good");

	ck_assert_ptr_nonnull(dns = fakedns_start(err, sizeof(err)));
	ck_assert_int_eq(fakedns_add(dns, "example.test", FAKEDNS_MX,
	    "10 mx1.example.test"), 0);
	ck_assert_int_eq(fakedns_add(dns, "mx1.example.test", FAKEDNS_A,
	    "127.0.0.1"), 0);
	ck_assert_int_eq(fakedns_add(dns, "two.test", FAKEDNS_MX,
	    "10 mx1.example.test"), 0);
	ck_assert_int_eq(fakedns_add(dns, "two.test", FAKEDNS_MX,
	    "20 gone.example.test"), 0);
	ck_assert_int_eq(fakedns_add(dns, "null.test", FAKEDNS_MX, "0 ."), 0);
	ck_assert_int_eq(fakedns_add(dns, "nomx.test", FAKEDNS_A,
	    "127.0.0.1"), 0);
	ck_assert_int_eq(fakedns_add(dns, "multi.test", FAKEDNS_A,
	    "127.0.0.1"), 0);
	ck_assert_int_eq(fakedns_add(dns, "multi.test", FAKEDNS_AAAA, "::1"),
	    0);
	ck_assert_int_eq(fakedns_add(dns, "dead.test", FAKEDNS_SILENT, NULL),
	    0);
	ck_assert_int_eq(fakedns_add(dns, "refused-first.test", FAKEDNS_A,
	    "127.0.0.2"), 0);
	ck_assert_int_eq(fakedns_add(dns, "refused-first.test", FAKEDNS_A,
	    "127.0.0.1"), 0);

	/* two addresses, the first refuses (fakesmtp listens on 127.0.0.1
	 * only): -v and JSON name every attempt and why it failed */
	plugin_run("-H", "refused-first.test", "-4", "-P",
	    P("%u/plain", good), "--dns-server", fakedns_server(dns), "-v",
	    NULL);
	expect(0, "\n  tried 127.0.0.2: connection refused after ");
	ck_assert_ptr_nonnull(strstr(rr.out, ", 127.0.0.1: connected in "));
	ck_assert_ptr_nonnull(strstr(rr.out, "addresses tried 2,"));
	plugin_run("-H", "refused-first.test", "-4", "-P",
	    P("%u/plain", good), "--dns-server", fakedns_server(dns),
	    "--output-format", "json", NULL);
	expect(0, "\"attempts\":[{\"address\":\"127.0.0.2\",\"outcome\":"
	    "\"refused\",\"errno\":111,\"connect\":");
	ck_assert_ptr_nonnull(strstr(rr.out, "{\"address\":\"127.0.0.1\","
	    "\"outcome\":\"ok\",\"errno\":0,\"connect\":"));

	/* --mx: the MX host is probed, verify name given */
	plugin_run("-H", "example.test", "--mx", "-P", P("%u", good),
	    "--dns-server", fakedns_server(dns), "--ca-file", ca_file,
	    "--verify-name", "mail.fake.test", NULL);
	expect(0, "SMTP PORTS OK");
	ck_assert_ptr_nonnull(strstr(rr.out, "MX mx1.example.test"));
	ck_assert_ptr_nonnull(strstr(rr.out, "'resolve@mx1.example.test'="));

	/* one MX host does not resolve: worst wins; --mx-any: OK */
	plugin_run("-H", "two.test", "--mx", "-P", P("%u", good),
	    "--dns-server", fakedns_server(dns), "--ca-file", ca_file,
	    "--verify-name", "mail.fake.test", NULL);
	expect(2, pspec("%u/starttls@gone.example.test CRITICAL cannot "
	    "resolve gone.example.test", good));
	ck_assert_ptr_nonnull(strstr(rr.out, pspec("%u/starttls@mx1.example."
	    "test OK", good)));
	ck_assert_ptr_nonnull(strstr(rr.out, pspec("'%u_total@127.0.0.1'=",
	    good)));
	plugin_run("-H", "two.test", "--mx-any", "-P", P("%u", good),
	    "--dns-server", fakedns_server(dns), "--ca-file", ca_file,
	    "--verify-name", "mail.fake.test", NULL);
	expect(0, "SMTP PORTS OK");

	/* null MX (RFC 7505) */
	plugin_run("-H", "null.test", "--mx", "-P", P("%u", good),
	    "--dns-server", fakedns_server(dns), NULL);
	expect(2, "domain accepts no mail (null MX)");

	/* no MX: the domain itself (RFC 5321 §5.1) */
	plugin_run("-H", "nomx.test", "--mx", "-P", P("%u", good),
	    "--dns-server", fakedns_server(dns), "--ca-file", ca_file,
	    "--verify-name", "mail.fake.test", NULL);
	expect(0, "SMTP PORTS OK");

	/* --all-addresses: 127.0.0.1 answers, ::1 does not */
	plugin_run("-H", "multi.test", "--all-addresses", "-P",
	    P("%u/plain", good), "--dns-server", fakedns_server(dns), NULL);
	expect(2, pspec("%u/plain@::1 CRITICAL", good));
	ck_assert_ptr_nonnull(strstr(rr.out, pspec("'%u_total@127.0.0.1'=",
	    good)));
	ck_assert_ptr_nonnull(strstr(rr.out, pspec("'%u_total@::1'=", good)));
	plugin_run("-H", "multi.test", "--all-addresses", "-P",
	    P("%u/plain", good), "--dns-server", fakedns_server(dns),
	    "--output-format", "json", NULL);
	expect(2, "\"state\":\"CRITICAL\"");
	ck_assert_int_eq(json_resolve_counted(), 2);

	/* --mx resolves the MX hosts first: their probes say how long */
	plugin_run("-H", "example.test", "--mx", "-P", P("%u/plain", good),
	    "--dns-server", fakedns_server(dns), "--output-format", "json",
	    NULL);
	expect(0, "\"state\":\"OK\"");
	ck_assert_int_eq(json_resolve_counted(), 1);

	/* NXDOMAIN: CRITICAL, fast */
	plugin_run("-H", "nosuch.test", "-P", P("%u", good),
	    "--dns-server", fakedns_server(dns), "-t", "3", NULL);
	expect(2, "cannot resolve");
	ck_assert_msg(rr.secs_out < 1.5, "took %.3fs", rr.secs_out);

	/* a dead resolver: bounded by -t */
	plugin_run("-H", "dead.test", "-P", P("%u", good),
	    "--dns-server", fakedns_server(dns), "-t", "1", NULL);
	expect(2, "resolve");
	ck_assert_msg(rr.secs_out < 1.4, "took %.3fs", rr.secs_out);
	fakedns_stop(dns);
}
END_TEST

static Suite *
plugin_run_suite(void)
{
	Suite	*s = suite_create("plugin_run");
	TCase	*tc = tcase_create("run");

	tcase_add_unchecked_fixture(tc, fake_start, fake_stop);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_run_good);
	tcase_add_test(tc, test_run_tls);
	tcase_add_test(tc, test_run_notls);
	tcase_add_test(tc, test_run_deny_busy);
	tcase_add_test(tc, test_run_expired);
	tcase_add_test(tc, test_run_soon);
	tcase_add_test(tc, test_run_bad_certs);
	tcase_add_test(tc, test_run_closed_policy);
	tcase_add_test(tc, test_run_refused);
	tcase_add_test(tc, test_run_silent);
	tcase_add_test(tc, test_run_authplain);
	tcase_add_test(tc, test_run_watchdog);
	tcase_add_test(tc, test_run_failures);
	tcase_add_test(tc, test_run_many);
	tcase_add_test(tc, test_run_usage);
	tcase_add_test(tc, test_run_json);
	tcase_add_test(tc, test_run_verbose);
	tcase_add_test(tc, test_run_state_lost_starttls);
	tcase_add_test(tc, test_run_state_unreachable);
	tcase_add_test(tc, test_run_state_corrupt);
	tcase_add_test(tc, test_run_dns);
	suite_add_tcase(s, tc);
	return s;
}
CHECK_SUITE(plugin_run_suite)
