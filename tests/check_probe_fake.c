/*
 * check_probe_fake.c: tests of the test harness itself, the scripted fake
 * SMTP server (tests/fake): every scenario name of the shared contract
 * exists, the fakesmtp program's command line (READY protocol, --tls-dir,
 * exit on stdin EOF and SIGTERM, usage errors), and that the server's
 * observations the probe tests rely on really detect what they claim (a
 * client that talks early is seen; the hostile scenarios are hostile and
 * the server stays bounded).
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "suite.h"
#include "fake/child.h"
#include "fake/fake.h"
#include "fake/server.h"

/* The names of the common brief: the plugin, exporter, demo, hostile and
 * benchmark scripts use them. */
static const char *const contract[] = {
	"good", "tls", "notls", "deny", "busy", "expired", "notyetvalid",
	"selfsigned", "wrongname", "soon", "expired-tls", "notyetvalid-tls",
	"selfsigned-tls", "wrongname-tls", "soon-tls", "silent", "slow",
	"authplain", "starttls454", "ehlo-reject", "helo", "close", "reset",
	"garbage", "injection", "drip", "endless", "longline", "nul",
	"barelf", "http", "tlsbytes", "plaintext-tls", "tlsalert",
	"tlsgarbage", "noread", "tls5xx", "lastline", "lowercase",
	"multiline", "tls10",
};

START_TEST(test_contract_names)
{
	const struct server_scenario	*sc;
	size_t				 i, n;

	for (i = 0; i < sizeof(contract) / sizeof(contract[0]); i++) {
		sc = scenarios_find(contract[i]);
		ck_assert_msg(sc != NULL, "scenario %s missing", contract[i]);
		ck_assert_str_eq(sc->name, contract[i]);
	}
	/* Every scenario ends with END and has a description. */
	for (n = 0; (sc = scenarios_at(n)) != NULL; n++) {
		size_t	k;

		ck_assert(sc->desc != NULL && sc->desc[0] != '\0');
		for (k = 0; k < 64 && sc->steps[k].op != SERVER_OP_END; k++)
			ck_assert_int_lt(sc->steps[k].op, SERVER_OP_COUNT);
		ck_assert_msg(k < 64, "%s: no END step", sc->name);
		ck_assert_ptr_eq(scenarios_find(sc->name), sc);
	}
	ck_assert_uint_ge(n, sizeof(contract) / sizeof(contract[0]));
	ck_assert_ptr_null(scenarios_find("no-such-scenario"));
}
END_TEST

/* ---- raw clients ------------------------------------------------------- */

static int
raw_connect(uint16_t port)
{
	struct sockaddr_in	sin;
	int			fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

/* Read until buf holds a line starting "DDD " or timeout; returns bytes. */
static size_t
read_reply(int fd, char *buf, size_t len, int timeout_ms)
{
	size_t	n = 0;
	int64_t	end = child_clock_ms() + timeout_ms;

	for (;;) {
		struct pollfd	pfd = { fd, POLLIN, 0 };
		ssize_t		r;
		char		*line;

		buf[n] = '\0';
		line = n > 0 ? buf : NULL;
		while (line != NULL) {
			char *nl = strchr(line, '\n');

			if (nl == NULL)
				break;
			if (nl - line >= 4 && line[3] == ' ')
				return n;
			line = nl + 1;
		}
		if (child_clock_ms() >= end || n + 1 >= len)
			return n;
		if (poll(&pfd, 1, (int)(end - child_clock_ms())) <= 0)
			return n;
		r = recv(fd, buf + n, len - n - 1, 0);
		if (r <= 0)
			return n;
		n += (size_t)r;
	}
}

static struct fake *
start(const char *scenario, long slow_ms)
{
	struct fake	*f;
	char		 err[256];

	f = fake_start(scenario, slow_ms, err, sizeof(err));
	ck_assert_msg(f != NULL, "%s", err);
	return f;
}

/*
 * A server stopped right after its start (a test that never connects)
 * goes quietly: its SIGTERM never reaches this process.  In fork mode
 * Check's SIGTERM handler, which signals the whole process group, is
 * inherited by the forked server; if it ran there, this test would die
 * of SIGTERM ("Received signal 15" in a random fast probe test).
 */
START_TEST(test_stop_at_once)
{
	int	i;

	for (i = 0; i < 50; i++) {
		struct fake	*f = start("good", 0);

		fake_stop(f);
	}
	/* And when it had time to start. */
	for (i = 0; i < 5; i++) {
		struct fake	*f = start("notls", 0);
		int		 fd = raw_connect(fake_port(f));
		char		 buf[512];

		ck_assert_uint_gt(read_reply(fd, buf, sizeof(buf), 5000), 0);
		close(fd);
		fake_stop(f);
	}
}
END_TEST

/* A client that speaks before the greeting is seen (so POLITE() in the
 * probe tests can fail); one that waits is not. */
START_TEST(test_early_seen)
{
	struct fake	*f = start("slow", 300);
	char		 buf[4096];
	int		 fd;

	fd = raw_connect(fake_port(f));
	ck_assert_int_eq(send(fd, "EHLO early\r\n", 12, 0), 12);
	ck_assert_uint_gt(read_reply(fd, buf, sizeof(buf), 3000), 0);
	ck_assert_msg(strncmp(buf, "220 ", 4) == 0, "%s", buf);
	ck_assert_int_eq(send(fd, "QUIT\r\n", 6, 0), 6);
	(void)read_reply(fd, buf, sizeof(buf), 3000);
	close(fd);
	ck_assert_int_eq(fake_wait(f, 1, 3000), 0);
	ck_assert_msg(fake_find(f, 1, "EARLY: EHLO early", 0) >= 0, "%s",
	    fake_log(f));

	/* Talking in the middle of a multi-line reply is seen too. */
	fake_stop(f);
	f = start("ehlo-multi", 0);
	fd = raw_connect(fake_port(f));
	(void)read_reply(fd, buf, sizeof(buf), 3000);
	ck_assert_int_eq(send(fd, "EHLO x\r\n", 8, 0), 8);
	usleep(50000);		/* the first line is out, 150 ms pause */
	ck_assert_int_eq(send(fd, "STARTTLS\r\n", 10, 0), 10);
	(void)read_reply(fd, buf, sizeof(buf), 3000);
	close(fd);
	ck_assert_int_eq(fake_wait(f, 1, 3000), 0);
	ck_assert_msg(fake_find(f, 1, "EARLY: (in a reply) STARTTLS", 0) >=
	    0, "%s", fake_log(f));
	fake_stop(f);

	/* A polite client: no EARLY. */
	f = start("multiline", 0);
	fd = raw_connect(fake_port(f));
	(void)read_reply(fd, buf, sizeof(buf), 3000);
	ck_assert_msg(strstr(buf, "220 ready") != NULL, "%s", buf);
	ck_assert_int_eq(send(fd, "QUIT\r\n", 6, 0), 6);
	(void)read_reply(fd, buf, sizeof(buf), 3000);
	close(fd);
	ck_assert_int_eq(fake_wait(f, 1, 3000), 0);
	ck_assert_msg(fake_find(f, 0, "EARLY", 0) < 0, "%s", fake_log(f));
	ck_assert_msg(fake_find(f, 1, "C: QUIT", 0) >= 0, "%s", fake_log(f));
	fake_stop(f);
}
END_TEST

/* The drip scenario really drips: the greeting takes > 300 ms. */
START_TEST(test_drip_drips)
{
	struct fake	*f = start("drip", 0);
	char		 buf[256];
	int64_t		 t0 = child_clock_ms();
	int		 fd = raw_connect(fake_port(f));

	ck_assert_uint_gt(read_reply(fd, buf, sizeof(buf), 5000), 30);
	ck_assert_int_ge(child_clock_ms() - t0, 300);
	ck_assert_str_eq(buf, "220 mail.fake.test ESMTP fakesmtp\r\n");
	close(fd);
	fake_stop(f);
}
END_TEST

/*
 * Sanitizers inflate resident memory (shadow memory, redzones, the
 * allocator's quarantine): absolute memory bounds are multiplied by this
 * in such builds; they are judged on the normal build.
 */
#if defined(__SANITIZE_ADDRESS__)
#define MEM_SCALE	4
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEM_SCALE	4
#endif
#endif
#ifndef MEM_SCALE
#define MEM_SCALE	1
#endif

/* A "VmXXX:" figure of a process, KiB; -1 if unknown. */
static long
status_kb(pid_t pid, const char *field)
{
	char	path[64], line[256];
	FILE	*fp;
	long	kb = -1;
	size_t	flen = strlen(field);

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, field, flen) == 0)
			kb = strtol(line + flen, NULL, 10);
	fclose(fp);
	return kb;
}

/* Peak resident memory of a process, KiB (VmHWM). */
static long
peak_kb(pid_t pid)
{
	return status_kb(pid, "VmHWM:");
}

/* longline streams its 10 MB without a line end; endless never stops;
 * the server's own memory stays small meanwhile. */
START_TEST(test_hostile_streams)
{
	static const char *const scen[] = { "longline", "endless" };
	char	buf[65536];
	size_t	i;

	for (i = 0; i < 2; i++) {
		struct fake	*f = start(scen[i], 0);
		/* The forked server starts with this process's pages. */
		long		 base = status_kb(getpid(), "VmRSS:");
		int		 fd = raw_connect(fake_port(f));
		size_t		 total = 0;
		long		 lf = 0, peak;
		ssize_t		 r;

		while (total < 10u * 1024 * 1024) {
			r = recv(fd, buf, sizeof(buf), 0);
			if (r <= 0)
				break;
			total += (size_t)r;
			if (memchr(buf, '\n', (size_t)r) != NULL)
				lf++;
		}
		ck_assert_msg(total >= 10u * 1024 * 1024, "%s: %zu bytes",
		    scen[i], total);
		if (i == 0)
			ck_assert_int_eq(lf, 0);	/* no line end */
		else
			ck_assert_int_gt(lf, 1000);
		/* It streams: its own memory (what it added to what it
		 * inherited) stays well below the 10 MB it sent; and its
		 * total stays small. */
		peak = peak_kb(fake_pid(f));
		ck_assert_int_gt(base, 0);
		ck_assert_msg(peak - base < 8 * 1024,
		    "%s: fake server grew by %ld KiB (peak %ld KiB)",
		    scen[i], peak - base, peak);
		ck_assert_msg(peak < 32 * 1024 * MEM_SCALE,
		    "%s: fake server peak %ld KiB", scen[i], peak);
		close(fd);
		fake_stop(f);
	}
}
END_TEST

/* noread never reads: the client's sends stop at the socket buffers. */
START_TEST(test_noread_fills)
{
	struct fake	*f = start("noread", 0);
	char		 buf[65536];
	size_t		 total = 0;
	int		 fd = raw_connect(fake_port(f));
	ssize_t		 r;

	(void)read_reply(fd, buf, sizeof(buf), 3000);
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	memset(buf, 'x', sizeof(buf));
	for (;;) {
		r = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);
		if (r < 0) {
			ck_assert(errno == EAGAIN || errno == EWOULDBLOCK);
			usleep(20000);
			r = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);
			if (r < 0)
				break;
		}
		total += (size_t)r;
		ck_assert_msg(total < 64u * 1024 * 1024, "server reads");
	}
	ck_assert_uint_gt(total, 0);
	close(fd);
	fake_stop(f);
}
END_TEST

/* ---- the fakesmtp program ---------------------------------------------- */

/* Start the program with args; its stderr (usage errors) is not shown. */
static int
prog_start(struct child *c, const char *const *args, int timeout_ms,
    char *err, size_t errlen)
{
	return child_start(c, check_build_path("fakesmtp"), args,
	    CHILD_QUIET, timeout_ms, err, errlen);
}

START_TEST(test_program)
{
	struct child	 c;
	char		 dir[] = "/tmp/fakesmtp-test.XXXXXX", ca[64];
	const char	*args[] = { "--tls-dir", dir, "good", "tls@0",
	    "notls", NULL };
	const char	*names[] = { "good", "tls", "notls" };
	char		 err[256], buf[512];
	size_t		 i;
	int		 fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* Only "NAME PORT" lines, then "READY": child_start() insists. */
	ck_assert_msg(prog_start(&c, args, 20000, err, sizeof(err)) == 0, "%s",
	    err);
	ck_assert_uint_eq(c.nscen, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_str_eq(c.scen[i].name, names[i]);
		ck_assert_uint_gt(c.scen[i].port, 0);
	}
	snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
	ck_assert_int_eq(access(ca, R_OK), 0);

	/* It serves: the notls greeting. */
	fd = raw_connect(c.scen[2].port);
	ck_assert_uint_gt(read_reply(fd, buf, sizeof(buf), 3000), 0);
	ck_assert_str_eq(buf, "220 mail.fake.test ESMTP fakesmtp\r\n");
	close(fd);

	/* EOF on stdin ends it. */
	close(c.in);
	c.in = -1;
	ck_assert_int_eq(child_wait(&c, 2000), 0);
	unlink(ca);
	rmdir(dir);
}
END_TEST

START_TEST(test_program_sigterm)
{
	struct child	 c;
	const char	*args[] = { "silent", NULL };
	char		 err[256];

	ck_assert_msg(prog_start(&c, args, 20000, err, sizeof(err)) == 0, "%s",
	    err);
	ck_assert_uint_eq(c.nscen, 1);
	kill(c.pid, SIGTERM);
	ck_assert_int_eq(child_wait(&c, 2000), 0);
	(void)child_stop(&c);
}
END_TEST

START_TEST(test_program_usage)
{
	static const char *const bad[][4] = {
		{ "no-such-scenario", NULL },
		{ "good@0x19", NULL },
		{ "good@70000", NULL },
		{ "--slow-ms", "-5", "slow", NULL },
		{ "--bogus", "good", NULL },
		{ NULL },			/* no scenario */
	};
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct child	c;
		char		err[256];

		/* It exits with status 2 within 2 s, never READY. */
		ck_assert_msg(prog_start(&c, bad[i], 2000, err,
		    sizeof(err)) == -1, "case %zu", i);
		ck_assert_msg(c.status == 2, "case %zu: %s", i, err);
	}
}
END_TEST

static Suite *
probe_fake_suite(void)
{
	Suite	*s = suite_create("fake");
	TCase	*tc = tcase_create("server");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_contract_names);
	tcase_add_test(tc, test_stop_at_once);
	tcase_add_test(tc, test_early_seen);
	tcase_add_test(tc, test_drip_drips);
	tcase_add_test(tc, test_hostile_streams);
	tcase_add_test(tc, test_noread_fills);
	suite_add_tcase(s, tc);
	tc = tcase_create("program");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_program);
	tcase_add_test(tc, test_program_sigterm);
	tcase_add_test(tc, test_program_usage);
	suite_add_tcase(s, tc);
	return s;
}
CHECK_SUITE(probe_fake_suite)
