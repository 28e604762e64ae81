/*
 * check_probe_basic.c: the probe object through its raw API, against
 * listeners made here on loopback: parameter checks, connect refused, a
 * silent server (timeout in banner), a fake clock past the deadline,
 * cancel, the resolver hand-over (smtpprobe_set_addresses), the address
 * family filter, several addresses (RFC 8305 style: a dropped first
 * address does not hold up the second), a QUIT that is never answered,
 * and the detail rule over fakesmtp's scenarios.  The rich dialogue tests
 * against fakesmtp are in check_probe.c.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "suite.h"
#include "smtpprobe.h"
#include "sock.h"
#include "fake/child.h"

#define SEC	INT64_C(1000000)
#define MS	INT64_C(1000)

/* ---- helpers ----------------------------------------------------------- */

/* A listening socket on addr:port (0: ephemeral) with the given backlog;
 * the port is returned in *port. */
static int
listener(const char *addr, uint16_t *port, int backlog)
{
	char	err[128];
	int	fd = child_listener(addr, SOCK_STREAM, backlog, port, err,
		    sizeof(err));

	ck_assert_msg(fd != -1, "%s", err);
	return fd;
}

/*
 * A scripted one-connection server: sends greeting, then answers each
 * command line with the next reply (NULL: close; "@hold": answer nothing
 * and wait for the client to go; "@150ms" before a reply: send it 150 ms
 * late).  Records the commands it saw.
 */
struct script {
	int		 lfd;
	const char	*greeting;
	const char	*replies[8];
	char		 seen[1024];
	char		 peer[64];	/* the client's address */
	pthread_t	 thr;
};

static void *
script_main(void *arg)
{
	struct script		*s = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	char			 line[512], c;
	size_t			 n, k = 0;
	ssize_t			 r;
	int			 fd;

	if ((fd = accept(s->lfd, (struct sockaddr *)&ss, &sl)) == -1)
		return NULL;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
		    s->peer, sizeof(s->peer));
	if (s->greeting != NULL)
		(void)send(fd, s->greeting, strlen(s->greeting), MSG_NOSIGNAL);
	for (;;) {
		n = 0;
		while ((r = recv(fd, &c, 1, 0)) == 1 && c != '\n')
			if (c != '\r' && n < sizeof(line) - 1)
				line[n++] = c;
		if (r != 1)
			break;
		line[n] = '\0';
		if (strlen(s->seen) + n + 2 < sizeof(s->seen)) {
			strncat(s->seen, line, n);
			strncat(s->seen, "|", 2);
		}
		if (k >= 8 || s->replies[k] == NULL)
			break;
		if (strcmp(s->replies[k], "@hold") == 0) {
			while (recv(fd, &c, 1, 0) > 0)
				;
			break;
		}
		if (strncmp(s->replies[k], "@150ms", 6) == 0) {
			usleep(150 * 1000);
			(void)send(fd, s->replies[k] + 6,
			    strlen(s->replies[k] + 6), MSG_NOSIGNAL);
			k++;
			continue;
		}
		(void)send(fd, s->replies[k], strlen(s->replies[k]),
		    MSG_NOSIGNAL);
		k++;
	}
	close(fd);
	return NULL;
}

static uint16_t
script_start(struct script *s)
{
	uint16_t	port = 0;

	s->lfd = listener("127.0.0.1", &port, 8);
	s->seen[0] = '\0';
	ck_assert_int_eq(pthread_create(&s->thr, NULL, script_main, s), 0);
	return port;
}

static void
script_end(struct script *s)
{
	pthread_join(s->thr, NULL);
	close(s->lfd);
}

/* The same server on [::1]; returns 0 if there is no IPv6 loopback. */
static uint16_t
script_start6(struct script *s)
{
	struct sockaddr_in6	sin6;
	socklen_t		sl = sizeof(sin6);

	s->lfd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(s->lfd, 0);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	if (bind(s->lfd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1) {
		close(s->lfd);
		return 0;
	}
	ck_assert_int_eq(listen(s->lfd, 8), 0);
	ck_assert_int_eq(getsockname(s->lfd, (struct sockaddr *)&sin6, &sl),
	    0);
	s->seen[0] = '\0';
	ck_assert_int_eq(pthread_create(&s->thr, NULL, script_main, s), 0);
	return ntohs(sin6.sin6_port);
}

static void
params_init(struct smtpprobe_params *pa, const char *host, uint16_t port,
    enum smtpprobe_mode mode, int64_t timeout)
{
	memset(pa, 0, sizeof(*pa));
	pa->host = host;
	pa->port = port;
	pa->mode = mode;
	pa->deadline = smtpprobe_now() + timeout;
	pa->ehlo_name = "probe.test";
}

/* Drive a probe with poll(2) until it is done; returns the result. */
static const struct smtpprobe_result *
drive(struct smtpprobe *p)
{
	struct pollfd	fds[SMTPPROBE_MAX_POLLFDS];
	size_t		n;
	int64_t		now, t;
	int		r;

	for (;;) {
		now = smtpprobe_now();
		r = smtpprobe_step(p, now);
		ck_assert_int_ne(r, SMTPPROBE_ERROR);
		ck_assert_int_ne(r, SMTPPROBE_WANT_RESOLVE);
		if (r == SMTPPROBE_DONE)
			break;
		n = smtpprobe_pollfds(p, fds, SMTPPROBE_MAX_POLLFDS);
		t = smtpprobe_next_timeout(p) - smtpprobe_now();
		(void)poll(fds, n, t <= 0 ? 0 : (int)(t / MS + 1));
	}
	/* Done stays done. */
	ck_assert_int_eq(smtpprobe_step(p, smtpprobe_now()), SMTPPROBE_DONE);
	ck_assert_uint_eq(smtpprobe_pollfds(p, fds, SMTPPROBE_MAX_POLLFDS),
	    0);
	return smtpprobe_result(p);
}

static struct smtpprobe_ctx	*ctx;

static void
setup(void)
{
	ctx = smtpprobe_ctx_new(NULL, 0);
	ck_assert_ptr_nonnull(ctx);
}

static void
teardown(void)
{
	smtpprobe_ctx_free(ctx);
	ctx = NULL;
}

#define EXPECT(r, o, ph) ck_assert_msg((r)->outcome == (o) &&		\
	(r)->phase == (ph), "got %s in %s (%s), want %s in %s",		\
	smtpprobe_outcome_name((r)->outcome),				\
	smtpprobe_phase_name((r)->phase), (r)->detail,			\
	smtpprobe_outcome_name(o), smtpprobe_phase_name(ph))

/* ---- parameters ---------------------------------------------------------- */

static const char *const sixteen_plus_one[SMTPPROBE_MAX_ADDRESSES + 1] = {
	"127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1",
	"127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1",
	"127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1",
	"127.0.0.1", "127.0.0.1",
};
static const char *const not_numeric[] = { "mail.example.org" };
static const char *const null_addr[] = { NULL };

static const struct {
	const char		*name;
	const char		*host;
	uint16_t		 port;
	int			 mode;
	int			 family;
	int			 min_tls;
	int64_t			 deadline;	/* 0: now + 1 s */
	const char *const	*addrs;
	size_t			 naddrs;
	const char		*ehlo;
	const char		*source;
	const char		*err;		/* substring */
} bad_params[] = {
	{ "no host", NULL, 25, 0, AF_UNSPEC, 0, 0, NULL, 0, NULL, NULL,
	    "host" },
	{ "empty host", "", 25, 0, AF_UNSPEC, 0, 0, NULL, 0, NULL, NULL,
	    "host" },
	{ "port 0", "127.0.0.1", 0, 0, AF_UNSPEC, 0, 0, NULL, 0, NULL, NULL,
	    "port" },
	{ "mode", "127.0.0.1", 25, SMTPPROBE_MODE_COUNT, AF_UNSPEC, 0, 0,
	    NULL, 0, NULL, NULL, "mode" },
	{ "negative mode", "127.0.0.1", 25, -1, AF_UNSPEC, 0, 0, NULL, 0,
	    NULL, NULL, "mode" },
	{ "min tls", "127.0.0.1", 25, 0, AF_UNSPEC, SMTPPROBE_TLS_COUNT, 0,
	    NULL, 0, NULL, NULL, "TLS" },
	{ "family", "127.0.0.1", 25, 0, AF_UNIX, 0, 0, NULL, 0, NULL, NULL,
	    "family" },
	{ "no deadline", "127.0.0.1", 25, 0, AF_UNSPEC, 0, -1, NULL, 0, NULL,
	    NULL, "deadline" },
	{ "too many addresses", "x.example", 25, 0, AF_UNSPEC, 0, 0,
	    sixteen_plus_one, SMTPPROBE_MAX_ADDRESSES + 1, NULL, NULL,
	    "addresses" },
	{ "addresses NULL", "x.example", 25, 0, AF_UNSPEC, 0, 0, NULL, 1,
	    NULL, NULL, "addresses" },
	{ "address not numeric", "x.example", 25, 0, AF_UNSPEC, 0, 0,
	    not_numeric, 1, NULL, NULL, "numeric" },
	{ "address NULL", "x.example", 25, 0, AF_UNSPEC, 0, 0, null_addr, 1,
	    NULL, NULL, "numeric" },
	{ "ehlo blank", "127.0.0.1", 25, 0, AF_UNSPEC, 0, 0, NULL, 0,
	    "a b", NULL, "EHLO" },
	{ "ehlo crlf", "127.0.0.1", 25, 0, AF_UNSPEC, 0, 0, NULL, 0,
	    "a\r\nMAIL FROM:<>", NULL, "EHLO" },
	{ "ehlo empty", "127.0.0.1", 25, 0, AF_UNSPEC, 0, 0, NULL, 0, "",
	    NULL, "EHLO" },
	{ "source", "127.0.0.1", 25, 0, AF_UNSPEC, 0, 0, NULL, 0, NULL,
	    "localhost", "source" },
};

START_TEST(test_bad_params)
{
	struct smtpprobe_params	 pa;
	struct smtpprobe	*p;
	char			 err[200];

	memset(&pa, 0, sizeof(pa));
	pa.host = bad_params[_i].host;
	pa.port = bad_params[_i].port;
	pa.mode = (enum smtpprobe_mode)bad_params[_i].mode;
	pa.family = bad_params[_i].family;
	pa.min_tls = (enum smtpprobe_tls_version)bad_params[_i].min_tls;
	pa.deadline = bad_params[_i].deadline == 0 ?
	    smtpprobe_now() + SEC : bad_params[_i].deadline;
	pa.addresses = bad_params[_i].addrs;
	pa.naddresses = bad_params[_i].naddrs;
	pa.ehlo_name = bad_params[_i].ehlo;
	pa.source_address = bad_params[_i].source;
	err[0] = '\0';
	p = smtpprobe_new(ctx, &pa, err, sizeof(err));
	ck_assert_msg(p == NULL, "%s: accepted", bad_params[_i].name);
	ck_assert_msg(strstr(err, bad_params[_i].err) != NULL,
	    "%s: error \"%s\" lacks \"%s\"", bad_params[_i].name, err,
	    bad_params[_i].err);
}
END_TEST

START_TEST(test_null_args)
{
	struct smtpprobe_params	pa;
	char			err[100];

	params_init(&pa, "127.0.0.1", 25, SMTPPROBE_MODE_PLAIN, SEC);
	ck_assert_ptr_null(smtpprobe_new(NULL, &pa, err, sizeof(err)));
	ck_assert_ptr_null(smtpprobe_new(ctx, NULL, NULL, 0));
	smtpprobe_free(NULL);
	smtpprobe_ctx_free(NULL);
	ck_assert_int_eq(smtpprobe_step(NULL, 0), SMTPPROBE_ERROR);
	ck_assert_ptr_null(smtpprobe_result(NULL));
	ck_assert_int_eq(smtpprobe_next_timeout(NULL), INT64_MAX);
	smtpprobe_cancel(NULL, 0);
}
END_TEST

/* ---- connect ----------------------------------------------------------- */

START_TEST(test_refused)
{
	struct smtpprobe_params		 pa;
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	int64_t				 t0 = smtpprobe_now();

	params_init(&pa, "127.0.0.1", child_closed_port(),
	    SMTPPROBE_MODE_STARTTLS, 5 * SEC);
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	r = drive(p);
	EXPECT(r, SMTPPROBE_OUTCOME_REFUSED, SMTPPROBE_PHASE_CONNECT);
	ck_assert_int_eq(r->sys_errno, ECONNREFUSED);
	ck_assert_str_eq(r->address, "127.0.0.1");
	ck_assert_int_eq(r->addresses_tried, 1);
	ck_assert_int_eq(r->connected, 0);
	ck_assert_int_eq(r->phase_us[SMTPPROBE_PHASE_RESOLVE], 0);
	ck_assert_int_ge(r->phase_us[SMTPPROBE_PHASE_CONNECT], 0);
	ck_assert_int_eq(r->phase_us[SMTPPROBE_PHASE_BANNER], -1);
	ck_assert_int_ge(r->phase_us[SMTPPROBE_PHASE_TOTAL],
	    r->phase_us[SMTPPROBE_PHASE_CONNECT]);
	/* Fails fast, not at the deadline. */
	ck_assert_int_lt(smtpprobe_now() - t0, 2 * SEC);
	smtpprobe_free(p);
}
END_TEST

/* A server that accepts and never speaks: timeout in banner, on time. */
START_TEST(test_silent)
{
	struct smtpprobe_params		 pa;
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	uint16_t			 port = 0;
	int				 lfd;
	int64_t				 t0;

	lfd = listener("127.0.0.1", &port, 8);
	/* The clock starts where the deadline is counted from: "on time"
	 * is judged on the probe's clock, smtpprobe_new() included. */
	t0 = smtpprobe_now();
	params_init(&pa, "127.0.0.1", port, SMTPPROBE_MODE_PLAIN, 300 * MS);
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	r = drive(p);
	EXPECT(r, SMTPPROBE_OUTCOME_TIMEOUT, SMTPPROBE_PHASE_BANNER);
	ck_assert_int_eq(r->connected, 1);
	ck_assert_int_ge(r->phase_us[SMTPPROBE_PHASE_BANNER], 0);
	ck_assert_int_ge(smtpprobe_now() - t0, 300 * MS);
	ck_assert_int_lt(smtpprobe_now() - t0, 2 * SEC);
	smtpprobe_free(p);
	close(lfd);
}
END_TEST

/* The caller's clock decides: stepping past the deadline times out in
 * the phase the probe is in, without waiting for anything. */
START_TEST(test_fake_clock_deadline)
{
	struct smtpprobe_params		 pa;
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	uint16_t			 port = 0;
	int				 lfd;

	lfd = listener("127.0.0.1", &port, 8);
	memset(&pa, 0, sizeof(pa));
	pa.host = "127.0.0.1";
	pa.port = port;
	pa.mode = SMTPPROBE_MODE_PLAIN;
	pa.deadline = 1000 * SEC;
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(smtpprobe_step(p, 1 * SEC), SMTPPROBE_WANT_IO);
	ck_assert_int_eq(smtpprobe_next_timeout(p), 1000 * SEC);
	ck_assert_int_eq(smtpprobe_step(p, 1000 * SEC), SMTPPROBE_DONE);
	r = smtpprobe_result(p);
	ck_assert_int_eq(r->outcome, SMTPPROBE_OUTCOME_TIMEOUT);
	ck_assert_msg(r->phase == SMTPPROBE_PHASE_CONNECT ||
	    r->phase == SMTPPROBE_PHASE_BANNER, "phase %s",
	    smtpprobe_phase_name(r->phase));
	/* The time is the caller's: 999 s, give or take the step's own. */
	ck_assert_int_ge(r->phase_us[SMTPPROBE_PHASE_TOTAL], 999 * SEC);
	ck_assert_int_lt(r->phase_us[SMTPPROBE_PHASE_TOTAL], 1000 * SEC);
	smtpprobe_free(p);
	close(lfd);
}
END_TEST

/*
 * The server accepts and resets before the client has looked at its
 * connect: SO_ERROR then says ECONNRESET, not ECONNREFUSED.  The
 * handshake completed, so the connect succeeded and the reset belongs to
 * the banner (PRODUCT.md: "reset: connection reset after it was
 * established"), in either mode.
 */
START_TEST(test_reset_before_look)
{
	static const enum smtpprobe_mode	 modes[] = {
		SMTPPROBE_MODE_PLAIN, SMTPPROBE_MODE_TLS };
	static const enum smtpprobe_phase	 want[] = {
		SMTPPROBE_PHASE_BANNER, SMTPPROBE_PHASE_TLS_HANDSHAKE };
	struct smtpprobe_params		 pa;
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	struct linger			 lg = { 1, 0 };
	uint16_t			 port = 0;
	int				 lfd, cfd;

	lfd = listener("127.0.0.1", &port, 8);
	memset(&pa, 0, sizeof(pa));
	pa.host = "127.0.0.1";
	pa.port = port;
	pa.mode = modes[_i];
	pa.deadline = smtpprobe_now() + 5 * SEC;
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(smtpprobe_step(p, smtpprobe_now()),
	    SMTPPROBE_WANT_IO);
	/* The kernel completes the handshake without the client's help;
	 * accept it and reset it before the probe steps again. */
	cfd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(cfd, 0);
	ck_assert_int_eq(setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg,
	    sizeof(lg)), 0);
	close(cfd);
	usleep(20000);
	while (smtpprobe_step(p, smtpprobe_now()) != SMTPPROBE_DONE)
		ck_assert_int_lt(smtpprobe_now(), pa.deadline);
	r = smtpprobe_result(p);
	ck_assert_msg(r->outcome == SMTPPROBE_OUTCOME_RESET &&
	    r->phase == want[_i], "got %s in %s (%s)",
	    smtpprobe_outcome_name(r->outcome),
	    smtpprobe_phase_name(r->phase), r->detail);
	ck_assert_int_eq(r->connected, 1);
	ck_assert_int_eq(r->sys_errno, ECONNRESET);
	ck_assert_int_ge(r->phase_us[SMTPPROBE_PHASE_CONNECT], 0);
	ck_assert_int_eq(r->nattempts, 1);
	ck_assert_int_eq(r->attempts[0].outcome, SMTPPROBE_OUTCOME_OK);
	smtpprobe_free(p);
	close(lfd);
}
END_TEST

START_TEST(test_cancel)
{
	struct smtpprobe_params		 pa;
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	uint16_t			 port = 0;
	int				 lfd;

	lfd = listener("127.0.0.1", &port, 8);
	params_init(&pa, "127.0.0.1", port, SMTPPROBE_MODE_PLAIN, 10 * SEC);
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(smtpprobe_step(p, smtpprobe_now()),
	    SMTPPROBE_WANT_IO);
	smtpprobe_cancel(p, smtpprobe_now());
	r = smtpprobe_result(p);
	ck_assert_int_eq(r->outcome, SMTPPROBE_OUTCOME_TIMEOUT);
	ck_assert_str_eq(r->detail, "cancelled");
	ck_assert_int_eq(smtpprobe_step(p, smtpprobe_now()), SMTPPROBE_DONE);
	smtpprobe_cancel(p, smtpprobe_now());	/* harmless */
	ck_assert_int_eq(r->outcome, SMTPPROBE_OUTCOME_TIMEOUT);
	smtpprobe_free(p);
	close(lfd);
}
END_TEST

/* ---- addresses ---------------------------------------------------- */

START_TEST(test_want_resolve)
{
	struct smtpprobe_params		 pa;
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	const char			*addrs[2];
	uint16_t			 port = child_closed_port();

	params_init(&pa, "mail.example.invalid", port, SMTPPROBE_MODE_PLAIN,
	    5 * SEC);
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(smtpprobe_step(p, smtpprobe_now()),
	    SMTPPROBE_WANT_RESOLVE);
	/* Spurious steps keep asking. */
	ck_assert_int_eq(smtpprobe_step(p, smtpprobe_now()),
	    SMTPPROBE_WANT_RESOLVE);
	addrs[0] = "not-an-address";
	addrs[1] = "127.0.0.1";
	ck_assert_int_eq(smtpprobe_set_addresses(p, addrs, 2, 1234,
	    SMTPPROBE_OUTCOME_RESOLVE_FAILED, NULL), 0);
	/* Only once. */
	ck_assert_int_eq(smtpprobe_set_addresses(p, addrs, 2, 1,
	    SMTPPROBE_OUTCOME_RESOLVE_FAILED, NULL), -1);
	r = drive(p);
	EXPECT(r, SMTPPROBE_OUTCOME_REFUSED, SMTPPROBE_PHASE_CONNECT);
	ck_assert_int_eq(r->phase_us[SMTPPROBE_PHASE_RESOLVE], 1234);
	ck_assert_str_eq(r->address, "127.0.0.1");
	ck_assert_str_eq(r->host, "mail.example.invalid");
	smtpprobe_free(p);
}
END_TEST

static const struct {
	const char		*name;
	int			 family;
	const char		*addr;		/* NULL: none */
	enum smtpprobe_outcome	 fail;
	const char		*detail;
	enum smtpprobe_outcome	 want;
	const char		*want_detail;
} resolve_rows[] = {
	{ "nxdomain", AF_UNSPEC, NULL, SMTPPROBE_OUTCOME_RESOLVE_FAILED,
	    "NXDOMAIN", SMTPPROBE_OUTCOME_RESOLVE_FAILED, "NXDOMAIN" },
	{ "dns timeout", AF_UNSPEC, NULL, SMTPPROBE_OUTCOME_TIMEOUT,
	    "no answer", SMTPPROBE_OUTCOME_TIMEOUT, "no answer" },
	{ "bad failure outcome", AF_UNSPEC, NULL, SMTPPROBE_OUTCOME_OK,
	    NULL, SMTPPROBE_OUTCOME_RESOLVE_FAILED, "no address" },
	{ "only v6 for -4", AF_INET, "::1", SMTPPROBE_OUTCOME_RESOLVE_FAILED,
	    NULL, SMTPPROBE_OUTCOME_RESOLVE_FAILED, "IPv4" },
	{ "only v4 for -6", AF_INET6, "127.0.0.1",
	    SMTPPROBE_OUTCOME_RESOLVE_FAILED, NULL,
	    SMTPPROBE_OUTCOME_RESOLVE_FAILED, "IPv6" },
};

START_TEST(test_resolve_failures)
{
	struct smtpprobe_params		 pa;
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	const char			*addrs[1];

	params_init(&pa, "mail.example.invalid", 25, SMTPPROBE_MODE_PLAIN,
	    5 * SEC);
	pa.family = resolve_rows[_i].family;
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(smtpprobe_step(p, smtpprobe_now()),
	    SMTPPROBE_WANT_RESOLVE);
	addrs[0] = resolve_rows[_i].addr;
	ck_assert_int_eq(smtpprobe_set_addresses(p, addrs,
	    resolve_rows[_i].addr != NULL ? 1 : 0, 10, resolve_rows[_i].fail,
	    resolve_rows[_i].detail), 0);
	ck_assert_int_eq(smtpprobe_step(p, smtpprobe_now()), SMTPPROBE_DONE);
	r = smtpprobe_result(p);
	EXPECT(r, resolve_rows[_i].want, SMTPPROBE_PHASE_RESOLVE);
	ck_assert_msg(strstr(r->detail, resolve_rows[_i].want_detail) != NULL,
	    "%s: detail \"%s\"", resolve_rows[_i].name, r->detail);
	ck_assert_int_eq(r->phase_us[SMTPPROBE_PHASE_RESOLVE], 10);
	ck_assert_int_eq(r->phase_us[SMTPPROBE_PHASE_CONNECT], -1);
	ck_assert_int_eq(r->addresses_tried, 0);
	smtpprobe_free(p);
}
END_TEST

/* A literal of the wrong family never reaches the network. */
START_TEST(test_literal_family)
{
	struct smtpprobe_params		 pa;
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;

	params_init(&pa, "127.0.0.1", 25, SMTPPROBE_MODE_PLAIN, 5 * SEC);
	pa.family = AF_INET6;
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(smtpprobe_step(p, smtpprobe_now()), SMTPPROBE_DONE);
	r = smtpprobe_result(p);
	EXPECT(r, SMTPPROBE_OUTCOME_RESOLVE_FAILED, SMTPPROBE_PHASE_RESOLVE);
	smtpprobe_free(p);
}
END_TEST

/* Refused first address, then one that answers: the second wins. */
START_TEST(test_second_address)
{
	struct smtpprobe_params		 pa;
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	struct script			 s = { .greeting = "220 ok\r\n",
	    .replies = { "250 hi\r\n", "221 bye\r\n" } };
	const char			*addrs[2] = { "127.0.0.2",
					     "127.0.0.1" };
	uint16_t			 port;

	port = script_start(&s);	/* listens on 127.0.0.1 only */
	params_init(&pa, "mx.example", port, SMTPPROBE_MODE_PLAIN, 5 * SEC);
	pa.addresses = addrs;
	pa.naddresses = 2;
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	r = drive(p);
	EXPECT(r, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_str_eq(r->address, "127.0.0.1");
	ck_assert_int_eq(r->addresses_tried, 2);
	/* every attempt, and why the first failed */
	ck_assert_int_eq(r->nattempts, 2);
	ck_assert_str_eq(r->attempts[0].address, "127.0.0.2");
	ck_assert_int_eq(r->attempts[0].outcome, SMTPPROBE_OUTCOME_REFUSED);
	ck_assert_int_eq(r->attempts[0].sys_errno, ECONNREFUSED);
	ck_assert_int_ge(r->attempts[0].connect_us, 0);
	ck_assert_str_eq(r->attempts[1].address, "127.0.0.1");
	ck_assert_int_eq(r->attempts[1].outcome, SMTPPROBE_OUTCOME_OK);
	ck_assert_int_eq(r->attempts[1].sys_errno, 0);
	ck_assert_int_le(r->attempts[1].connect_us,
	    r->phase_us[SMTPPROBE_PHASE_CONNECT]);
	smtpprobe_free(p);
	script_end(&s);
	ck_assert_str_eq(s.seen, "EHLO probe.test|QUIT|");
}
END_TEST

/* A caller that resolved the name itself says how long it took: that is
 * the resolve phase, and the total covers it; without addresses (an IP
 * literal) the value is ignored. */
START_TEST(test_caller_resolve_us)
{
	struct smtpprobe_params		 pa;
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	struct script			 s = { .greeting = "220 ok\r\n",
	    .replies = { "250 hi\r\n", "221 bye\r\n" } };
	const char			*addrs[1] = { "127.0.0.1" };
	const int64_t			*ph;
	int64_t				 sum = 0;
	uint16_t			 port;
	int				 i;

	port = script_start(&s);
	params_init(&pa, "mx.example", port, SMTPPROBE_MODE_PLAIN, 5 * SEC);
	pa.addresses = addrs;
	pa.naddresses = 1;
	pa.resolve_us = 1234567;
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	r = drive(p);
	EXPECT(r, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ph = r->phase_us;
	ck_assert_int_eq(ph[SMTPPROBE_PHASE_RESOLVE], 1234567);
	for (i = SMTPPROBE_PHASE_RESOLVE; i < SMTPPROBE_PHASE_TOTAL; i++)
		if (ph[i] > 0)
			sum += ph[i];
	ck_assert_int_ge(ph[SMTPPROBE_PHASE_TOTAL], sum);
	/* the total is the caller's lookup plus this probe's run time */
	ck_assert_int_lt(ph[SMTPPROBE_PHASE_TOTAL], 1234567 + 2 * SEC);
	smtpprobe_free(p);
	script_end(&s);

	/* the refused path too (a failure keeps the caller's time) */
	params_init(&pa, "mx.example", child_closed_port(),
	    SMTPPROBE_MODE_PLAIN, 5 * SEC);
	pa.addresses = addrs;
	pa.naddresses = 1;
	pa.resolve_us = 2 * SEC;
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	r = drive(p);
	EXPECT(r, SMTPPROBE_OUTCOME_REFUSED, SMTPPROBE_PHASE_CONNECT);
	ck_assert_int_eq(r->phase_us[SMTPPROBE_PHASE_RESOLVE], 2 * SEC);
	ck_assert_int_ge(r->phase_us[SMTPPROBE_PHASE_TOTAL], 2 * SEC +
	    r->phase_us[SMTPPROBE_PHASE_CONNECT]);
	smtpprobe_free(p);

	/* no addresses given: an IP literal never goes to DNS, 0 stays */
	params_init(&pa, "127.0.0.1", child_closed_port(), SMTPPROBE_MODE_PLAIN,
	    5 * SEC);
	pa.resolve_us = 2 * SEC;
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	r = drive(p);
	ck_assert_int_eq(r->phase_us[SMTPPROBE_PHASE_RESOLVE], 0);
	ck_assert_int_lt(r->phase_us[SMTPPROBE_PHASE_TOTAL], SEC);
	smtpprobe_free(p);
}
END_TEST

/*
 * RFC 8305 style: the first address drops the SYN (a listener whose
 * accept queue is full), the second answers.  The second attempt starts
 * after 250 ms, long before the first attempt's SYN retry (1 s).
 */
START_TEST(test_dropped_first_address)
{
	struct smtpprobe_params		 pa;
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	struct script			 s = { .greeting = "220 ok\r\n",
	    .replies = { "250 hi\r\n", "221 bye\r\n" } };
	const char			*addrs[2] = { "127.0.0.3",
					     "127.0.0.1" };
	struct sockaddr_in		 sin;
	uint16_t			 port;
	int				 full, fill[3], i;

	port = script_start(&s);
	full = listener("127.0.0.3", &port, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	inet_pton(AF_INET, "127.0.0.3", &sin.sin_addr);
	for (i = 0; i < 3; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		(void)connect(fill[i], (struct sockaddr *)&sin, sizeof(sin));
	}
	usleep(50 * 1000);
	params_init(&pa, "mx.example", port, SMTPPROBE_MODE_PLAIN, 5 * SEC);
	pa.addresses = addrs;
	pa.naddresses = 2;
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	r = drive(p);
	EXPECT(r, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_str_eq(r->address, "127.0.0.1");
	ck_assert_int_eq(r->addresses_tried, 2);
	ck_assert_int_ge(r->phase_us[SMTPPROBE_PHASE_CONNECT], 250 * MS);
	ck_assert_int_lt(r->phase_us[SMTPPROBE_PHASE_CONNECT], 900 * MS);
	/* the first was abandoned, still connecting, when the second won */
	ck_assert_int_eq(r->nattempts, 2);
	ck_assert_str_eq(r->attempts[0].address, "127.0.0.3");
	ck_assert_int_eq(r->attempts[0].outcome, SMTPPROBE_OUTCOME_PENDING);
	ck_assert_int_eq(r->attempts[0].sys_errno, 0);
	ck_assert_int_ge(r->attempts[0].connect_us, 250 * MS);
	ck_assert_str_eq(r->attempts[1].address, "127.0.0.1");
	ck_assert_int_eq(r->attempts[1].outcome, SMTPPROBE_OUTCOME_OK);
	ck_assert_int_lt(r->attempts[1].connect_us,
	    r->attempts[0].connect_us);
	smtpprobe_free(p);
	script_end(&s);

	/* the dropped address alone: its attempt times out with the probe */
	params_init(&pa, "mx.example", port, SMTPPROBE_MODE_PLAIN, 300 * MS);
	pa.addresses = addrs;
	pa.naddresses = 1;
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	r = drive(p);
	EXPECT(r, SMTPPROBE_OUTCOME_TIMEOUT, SMTPPROBE_PHASE_CONNECT);
	ck_assert_int_eq(r->nattempts, 1);
	ck_assert_str_eq(r->attempts[0].address, "127.0.0.3");
	ck_assert_int_eq(r->attempts[0].outcome, SMTPPROBE_OUTCOME_TIMEOUT);
	ck_assert_int_eq(r->attempts[0].sys_errno, ETIMEDOUT);
	ck_assert_int_ge(r->attempts[0].connect_us, 250 * MS);
	smtpprobe_free(p);
	for (i = 0; i < 3; i++)
		close(fill[i]);
	close(full);
}
END_TEST

/* ---- a few dialogue rules against a scripted server ----------------- */

/* QUIT never answered: the probe is still ok, and ends within the QUIT
 * grace, long before the deadline. */
START_TEST(test_quit_unanswered)
{
	struct smtpprobe_params		 pa;
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	struct script			 s = { .greeting = "220 ok\r\n",
	    .replies = { "250-hi\r\n250 SIZE 1000\r\n", "@hold" } };
	int64_t				 t0;

	params_init(&pa, "127.0.0.1", script_start(&s), SMTPPROBE_MODE_PLAIN,
	    20 * SEC);
	t0 = smtpprobe_now();
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	r = drive(p);
	EXPECT(r, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_int_eq(r->quit.code, 0);
	ck_assert_int_eq(r->caps.present, 1);
	ck_assert_uint_eq(r->caps.size, 1000);
	ck_assert_int_ge(r->phase_us[SMTPPROBE_PHASE_QUIT], 0);
	ck_assert_int_lt(smtpprobe_now() - t0, 5 * SEC);
	smtpprobe_free(p);
	script_end(&s);
}
END_TEST

/* Close right after QUIT, without a reply: not an error. */
START_TEST(test_quit_closed)
{
	struct smtpprobe_params		 pa;
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	struct script			 s = { .greeting = "220 ok\r\n",
	    .replies = { "250 hi\r\n", NULL } };

	params_init(&pa, "127.0.0.1", script_start(&s), SMTPPROBE_MODE_PLAIN,
	    5 * SEC);
	pa.flags = SMTPPROBE_F_TRACE;
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	r = drive(p);
	EXPECT(r, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_ptr_nonnull(r->transcript);
	ck_assert_ptr_nonnull(strstr(r->transcript, "C: EHLO probe.test\n"));
	ck_assert_ptr_nonnull(strstr(r->transcript, "S: 220 ok\n"));
	ck_assert_ptr_nonnull(strstr(r->transcript, "C: QUIT\n"));
	smtpprobe_free(p);
	script_end(&s);
}
END_TEST

/*
 * IPv6, and the default EHLO name: the host name if it has a dot, else
 * the local address literal (RFC 5321 §4.1.3: "[IPv6:::1]").
 */
START_TEST(test_ipv6_ehlo_literal)
{
	struct smtpprobe_params		 pa;
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	struct script			 s = { .greeting = "220 ok\r\n",
	    .replies = { "250 hi\r\n", "221 bye\r\n" } };
	char				 hn[256], want[300];
	uint16_t			 port;

	if ((port = script_start6(&s)) == 0)
		return;		/* no IPv6 loopback here */
	params_init(&pa, "::1", port, SMTPPROBE_MODE_PLAIN, 5 * SEC);
	pa.ehlo_name = NULL;
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	r = drive(p);
	EXPECT(r, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_str_eq(r->address, "::1");
	smtpprobe_free(p);
	script_end(&s);
	memset(hn, 0, sizeof(hn));
	ck_assert_int_eq(gethostname(hn, sizeof(hn) - 1), 0);
	snprintf(want, sizeof(want), "EHLO %s|QUIT|",
	    strchr(hn, '.') != NULL ? hn : "[IPv6:::1]");
	ck_assert_str_eq(s.seen, want);
}
END_TEST

/*
 * Phase times: a reply 150 ms late is counted in its own phase only, and
 * the phases add up to the total (each transition ends one phase and
 * starts the next).
 */
START_TEST(test_phase_times)
{
	struct smtpprobe_params		 pa;
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	struct script			 s = { .greeting = "220 ok\r\n",
	    .replies = { "@150ms250 hi\r\n", "221 bye\r\n" } };
	int64_t				 sum = 0;
	int				 i;

	params_init(&pa, "127.0.0.1", script_start(&s), SMTPPROBE_MODE_PLAIN,
	    5 * SEC);
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	r = drive(p);
	EXPECT(r, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_int_ge(r->phase_us[SMTPPROBE_PHASE_EHLO], 150 * MS);
	ck_assert_int_lt(r->phase_us[SMTPPROBE_PHASE_EHLO], 1 * SEC);
	ck_assert_int_lt(r->phase_us[SMTPPROBE_PHASE_BANNER], 140 * MS);
	ck_assert_int_lt(r->phase_us[SMTPPROBE_PHASE_QUIT], 140 * MS);
	ck_assert_int_eq(r->phase_us[SMTPPROBE_PHASE_TLS_HANDSHAKE], -1);
	ck_assert_int_eq(r->phase_us[SMTPPROBE_PHASE_STARTTLS], -1);
	ck_assert_int_eq(r->phase_us[SMTPPROBE_PHASE_EHLO_TLS], -1);
	for (i = SMTPPROBE_PHASE_CONNECT; i < SMTPPROBE_PHASE_TOTAL; i++)
		if (r->phase_us[i] > 0)
			sum += r->phase_us[i];
	ck_assert_int_le(sum, r->phase_us[SMTPPROBE_PHASE_TOTAL]);
	ck_assert_int_lt(r->phase_us[SMTPPROBE_PHASE_TOTAL] - sum, 1 * MS);
	smtpprobe_free(p);
	script_end(&s);
}
END_TEST

/* The source address is bound before connecting; one of the other
 * family leaves no usable address. */
START_TEST(test_source_address)
{
	struct smtpprobe_params		 pa;
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	struct script			 s = { .greeting = "220 ok\r\n",
	    .replies = { "250 hi\r\n", "221 bye\r\n" } };

	params_init(&pa, "127.0.0.1", script_start(&s), SMTPPROBE_MODE_PLAIN,
	    5 * SEC);
	pa.source_address = "127.0.0.2";
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	r = drive(p);
	EXPECT(r, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	smtpprobe_free(p);
	script_end(&s);
	ck_assert_str_eq(s.peer, "127.0.0.2");

	pa.source_address = "::1";
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(smtpprobe_step(p, smtpprobe_now()), SMTPPROBE_DONE);
	r = smtpprobe_result(p);
	EXPECT(r, SMTPPROBE_OUTCOME_RESOLVE_FAILED, SMTPPROBE_PHASE_RESOLVE);
	smtpprobe_free(p);

	/* Not an address of this machine: our problem, not the server's. */
	pa.source_address = "192.0.2.77";
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	r = drive(p);
	EXPECT(r, SMTPPROBE_OUTCOME_INTERNAL, SMTPPROBE_PHASE_CONNECT);
	ck_assert_ptr_nonnull(strstr(r->detail, "source address"));
	smtpprobe_free(p);
}
END_TEST

/* The transcript is bounded (64 KiB) even when every byte of a large
 * reply has to be escaped; the reply itself is within the parser's
 * bounds, so the probe is ok. */
START_TEST(test_trace_bounded)
{
	struct smtpprobe_params		 pa;
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	struct script			 s;
	static char			 big[127 * 405 + 16];
	size_t				 i, n = 0;

	memset(&s, 0, sizeof(s));
	for (i = 0; i < 127; i++) {
		memcpy(big + n, i + 1 < 127 ? "250-" : "250 ", 4);
		memset(big + n + 4, 0xff, 399);
		memcpy(big + n + 403, "\r\n", 2);
		n += 405;
	}
	big[n] = '\0';
	s.greeting = "220 ok\r\n";
	s.replies[0] = big;
	s.replies[1] = "221 bye\r\n";
	params_init(&pa, "127.0.0.1", script_start(&s), SMTPPROBE_MODE_PLAIN,
	    5 * SEC);
	pa.flags = SMTPPROBE_F_TRACE;
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	r = drive(p);
	EXPECT(r, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_ptr_nonnull(r->transcript);
	ck_assert_uint_le(strlen(r->transcript), 64 * 1024);
	ck_assert_ptr_nonnull(strcasestr(r->transcript, "S: 250-\\xff"));
	/* The reply text is sanitised too. */
	ck_assert_ptr_nonnull(strcasestr(r->ehlo.text, "\\xff"));
	ck_assert_ptr_null(strchr(r->ehlo.text, '\xff'));
	smtpprobe_free(p);
	script_end(&s);
}
END_TEST

/* Scripted dialogues: one row each. */
static const struct {
	const char		*name;
	int			 mode;
	const char		*greeting;
	const char		*replies[4];
	enum smtpprobe_outcome	 outcome;
	enum smtpprobe_phase	 phase;
	const char		*seen;
} dialogues[] = {
	{ "plain ok", SMTPPROBE_MODE_PLAIN, "220 ok\r\n",
	    { "250-x\r\n250 STARTTLS\r\n", "221 bye\r\n" },
	    SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL,
	    "EHLO probe.test|QUIT|" },
	{ "554 greeting gets QUIT", SMTPPROBE_MODE_STARTTLS, "554 go away\r\n",
	    { "221 bye\r\n" },
	    SMTPPROBE_OUTCOME_BANNER_REJECTED, SMTPPROBE_PHASE_BANNER,
	    "QUIT|" },
	{ "helo fallback plain", SMTPPROBE_MODE_PLAIN, "220 ok\r\n",
	    { "502 no\r\n", "250 hi\r\n", "221 bye\r\n" },
	    SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL,
	    "EHLO probe.test|HELO probe.test|QUIT|" },
	{ "helo fallback starttls", SMTPPROBE_MODE_STARTTLS, "220 ok\r\n",
	    { "500 what\r\n", "250 hi\r\n", "221 bye\r\n" },
	    SMTPPROBE_OUTCOME_STARTTLS_NOT_OFFERED, SMTPPROBE_PHASE_EHLO,
	    "EHLO probe.test|HELO probe.test|QUIT|" },
	{ "ehlo and helo refused", SMTPPROBE_MODE_PLAIN, "220 ok\r\n",
	    { "502 no\r\n", "550 no\r\n", "221 bye\r\n" },
	    SMTPPROBE_OUTCOME_EHLO_REJECTED, SMTPPROBE_PHASE_EHLO,
	    "EHLO probe.test|HELO probe.test|QUIT|" },
	{ "ehlo 554: no helo", SMTPPROBE_MODE_PLAIN, "220 ok\r\n",
	    { "554 no\r\n", "221 bye\r\n" },
	    SMTPPROBE_OUTCOME_EHLO_REJECTED, SMTPPROBE_PHASE_EHLO,
	    "EHLO probe.test|QUIT|" },
	{ "no starttls", SMTPPROBE_MODE_STARTTLS, "220 ok\r\n",
	    { "250-x\r\n250 AUTH PLAIN\r\n", "221 bye\r\n" },
	    SMTPPROBE_OUTCOME_STARTTLS_NOT_OFFERED, SMTPPROBE_PHASE_EHLO,
	    "EHLO probe.test|QUIT|" },
	{ "starttls 454", SMTPPROBE_MODE_STARTTLS, "220 ok\r\n",
	    { "250-x\r\n250 starttls\r\n", "454 not now\r\n", "221 bye\r\n" },
	    SMTPPROBE_OUTCOME_STARTTLS_REJECTED, SMTPPROBE_PHASE_STARTTLS,
	    "EHLO probe.test|STARTTLS|QUIT|" },
	{ "injection", SMTPPROBE_MODE_STARTTLS, "220 ok\r\n",
	    { "250-x\r\n250 STARTTLS\r\n", "220 go\r\n250 injected\r\n" },
	    SMTPPROBE_OUTCOME_PROTOCOL_ERROR, SMTPPROBE_PHASE_STARTTLS,
	    "EHLO probe.test|STARTTLS|" },
	{ "tls record greeting", SMTPPROBE_MODE_PLAIN, "\x16\x03\x01\x00",
	    { NULL }, SMTPPROBE_OUTCOME_PROTOCOL_ERROR, SMTPPROBE_PHASE_BANNER,
	    "" },
	{ "plain on implicit tls", SMTPPROBE_MODE_TLS, "220 ok\r\n",
	    { NULL }, SMTPPROBE_OUTCOME_TLS_FAILED,
	    SMTPPROBE_PHASE_TLS_HANDSHAKE, NULL },
	{ "close after greeting", SMTPPROBE_MODE_PLAIN, "220 ok\r\n",
	    { NULL }, SMTPPROBE_OUTCOME_CLOSED, SMTPPROBE_PHASE_EHLO,
	    "EHLO probe.test|" },
	{ "greeting 250", SMTPPROBE_MODE_PLAIN, "250 odd\r\n",
	    { NULL }, SMTPPROBE_OUTCOME_PROTOCOL_ERROR, SMTPPROBE_PHASE_BANNER,
	    "" },
	{ "bare lf", SMTPPROBE_MODE_PLAIN, "220-a\n220 b\n",
	    { "250 hi\n", "221 bye\n" },
	    SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL,
	    "EHLO probe.test|QUIT|" },
};

START_TEST(test_dialogue)
{
	struct smtpprobe_params		 pa;
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	struct script			 s;
	int64_t				 t0;
	int				 i;

	memset(&s, 0, sizeof(s));
	s.greeting = dialogues[_i].greeting;
	for (i = 0; i < 4; i++)
		s.replies[i] = dialogues[_i].replies[i];
	params_init(&pa, "127.0.0.1", script_start(&s), dialogues[_i].mode,
	    10 * SEC);
	t0 = smtpprobe_now();
	p = smtpprobe_new(ctx, &pa, NULL, 0);
	ck_assert_ptr_nonnull(p);
	r = drive(p);
	ck_assert_msg(r->outcome == dialogues[_i].outcome &&
	    r->phase == dialogues[_i].phase, "%s: got %s in %s (%s)",
	    dialogues[_i].name, smtpprobe_outcome_name(r->outcome),
	    smtpprobe_phase_name(r->phase), r->detail);
	/* Every one of these is decided well before the deadline (under
	 * half of it, whatever the machine's load). */
	ck_assert_int_lt(smtpprobe_now() - t0, 5 * SEC);
	ck_assert_int_ge(r->phase_us[r->phase], 0);
	smtpprobe_free(p);
	script_end(&s);
	if (dialogues[_i].seen != NULL)
		ck_assert_msg(strcmp(s.seen, dialogues[_i].seen) == 0,
		    "%s: server saw \"%s\"", dialogues[_i].name, s.seen);
}
END_TEST

/* ---- socket helpers (lib/sock.c) ------------------------------------ */

static const struct {
	int			 err;
	int			 connected;
	enum smtpprobe_outcome	 want;
} errno_rows[] = {
	{ ECONNREFUSED, 0, SMTPPROBE_OUTCOME_REFUSED },
	{ ECONNRESET, 0, SMTPPROBE_OUTCOME_RESET },
	{ ECONNRESET, 1, SMTPPROBE_OUTCOME_RESET },
	{ EPIPE, 1, SMTPPROBE_OUTCOME_CLOSED },
	{ ETIMEDOUT, 0, SMTPPROBE_OUTCOME_TIMEOUT },
	{ EHOSTUNREACH, 0, SMTPPROBE_OUTCOME_UNREACHABLE },
	{ ENETUNREACH, 0, SMTPPROBE_OUTCOME_UNREACHABLE },
	{ EHOSTUNREACH, 1, SMTPPROBE_OUTCOME_UNREACHABLE },
	{ EACCES, 0, SMTPPROBE_OUTCOME_UNREACHABLE },
	{ EMFILE, 0, SMTPPROBE_OUTCOME_INTERNAL },
	{ ENOBUFS, 1, SMTPPROBE_OUTCOME_INTERNAL },
};

START_TEST(test_errno_outcome)
{
	ck_assert_msg(sock_errno_outcome(errno_rows[_i].err,
	    errno_rows[_i].connected) == errno_rows[_i].want,
	    "errno %d (%s), connected %d: %s", errno_rows[_i].err,
	    strerror(errno_rows[_i].err), errno_rows[_i].connected,
	    smtpprobe_outcome_name(sock_errno_outcome(errno_rows[_i].err,
	    errno_rows[_i].connected)));
}
END_TEST

static const struct {
	const char	*text;
	int		 family;	/* 0: rejected */
} addr_rows[] = {
	{ "127.0.0.1", AF_INET },
	{ "192.0.2.25", AF_INET },
	{ "::1", AF_INET6 },
	{ "2001:db8::25", AF_INET6 },
	{ "::ffff:192.0.2.1", AF_INET6 },
	{ "[::1]", 0 },
	{ "::1%lo", 0 },
	{ "127.1", 0 },
	{ "1.2.3.256", 0 },
	{ "", 0 },
	{ " 127.0.0.1", 0 },
	{ "mail.example.org", 0 },
};

START_TEST(test_addr_parse)
{
	struct sock_addr	sa;
	int			r;

	r = sock_addr_parse(&sa, addr_rows[_i].text, 25);
	if (addr_rows[_i].family == 0) {
		ck_assert_msg(r == -1, "\"%s\" accepted", addr_rows[_i].text);
		return;
	}
	ck_assert_msg(r == 0, "\"%s\" rejected", addr_rows[_i].text);
	ck_assert_int_eq(sa.family, addr_rows[_i].family);
	ck_assert_int_eq(sa.ss.ss_family, addr_rows[_i].family);
	ck_assert_uint_eq(sa.len, addr_rows[_i].family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
}
END_TEST

#define NROWS(a)	((int)(sizeof(a) / sizeof((a)[0])))

/* ---- the detail rule, over fakesmtp's scenarios ------------------------ */

/*
 * smtpprobe.h: detail is the specific reason only; it never repeats the
 * outcome's text (a front end prints "<text>: <detail>").  One row per
 * scenario, each a different way to fail; want checks the row really
 * exercises that outcome.
 */
static const struct {
	const char		*scen;		/* NULL: a closed port */
	enum smtpprobe_mode	 mode;
	enum smtpprobe_outcome	 want;
} detail_rows[] = {
	{ "good", SMTPPROBE_MODE_STARTTLS, SMTPPROBE_OUTCOME_OK },
	{ "tls", SMTPPROBE_MODE_TLS, SMTPPROBE_OUTCOME_OK },
	{ NULL, SMTPPROBE_MODE_STARTTLS, SMTPPROBE_OUTCOME_REFUSED },
	{ "silent", SMTPPROBE_MODE_STARTTLS, SMTPPROBE_OUTCOME_TIMEOUT },
	{ "notls", SMTPPROBE_MODE_STARTTLS,
	    SMTPPROBE_OUTCOME_STARTTLS_NOT_OFFERED },
	{ "helo", SMTPPROBE_MODE_STARTTLS,
	    SMTPPROBE_OUTCOME_STARTTLS_NOT_OFFERED },
	{ "deny", SMTPPROBE_MODE_STARTTLS, SMTPPROBE_OUTCOME_BANNER_REJECTED },
	{ "busy", SMTPPROBE_MODE_STARTTLS, SMTPPROBE_OUTCOME_BANNER_REJECTED },
	{ "starttls454", SMTPPROBE_MODE_STARTTLS,
	    SMTPPROBE_OUTCOME_STARTTLS_REJECTED },
	{ "ehlo-reject", SMTPPROBE_MODE_STARTTLS,
	    SMTPPROBE_OUTCOME_EHLO_REJECTED },
	{ "tls5xx", SMTPPROBE_MODE_STARTTLS, SMTPPROBE_OUTCOME_EHLO_REJECTED },
	{ "close", SMTPPROBE_MODE_STARTTLS, SMTPPROBE_OUTCOME_CLOSED },
	{ "reset", SMTPPROBE_MODE_STARTTLS, SMTPPROBE_OUTCOME_RESET },
	{ "garbage", SMTPPROBE_MODE_STARTTLS,
	    SMTPPROBE_OUTCOME_PROTOCOL_ERROR },
	{ "http", SMTPPROBE_MODE_STARTTLS, SMTPPROBE_OUTCOME_PROTOCOL_ERROR },
	{ "longline", SMTPPROBE_MODE_STARTTLS,
	    SMTPPROBE_OUTCOME_PROTOCOL_ERROR },
	{ "injection", SMTPPROBE_MODE_STARTTLS,
	    SMTPPROBE_OUTCOME_PROTOCOL_ERROR },
	{ "tlsbytes", SMTPPROBE_MODE_STARTTLS,
	    SMTPPROBE_OUTCOME_PROTOCOL_ERROR },
	{ "plaintext-tls", SMTPPROBE_MODE_TLS, SMTPPROBE_OUTCOME_TLS_FAILED },
	{ "tlsalert", SMTPPROBE_MODE_STARTTLS, SMTPPROBE_OUTCOME_TLS_FAILED },
	{ "tlsgarbage", SMTPPROBE_MODE_STARTTLS,
	    SMTPPROBE_OUTCOME_TLS_FAILED },
	{ "expired", SMTPPROBE_MODE_STARTTLS, SMTPPROBE_OUTCOME_CERT_EXPIRED },
	{ "expired-tls", SMTPPROBE_MODE_TLS, SMTPPROBE_OUTCOME_CERT_EXPIRED },
	{ "notyetvalid", SMTPPROBE_MODE_STARTTLS,
	    SMTPPROBE_OUTCOME_CERT_NOT_YET_VALID },
	{ "selfsigned", SMTPPROBE_MODE_STARTTLS,
	    SMTPPROBE_OUTCOME_CERT_UNTRUSTED },
	{ "wrongname", SMTPPROBE_MODE_STARTTLS,
	    SMTPPROBE_OUTCOME_CERT_NAME_MISMATCH },
};

/* Unchecked fixture (the runner, once): fakesmtp with every scenario of
 * detail_rows; its stdin is ours, so it goes when the runner does. */
static struct child	 dfake;

static void
dfake_start(void)
{
	const char	*args[NROWS(detail_rows) + 1];
	char		 err[256];
	size_t		 n = 0, i;

	for (i = 0; i < (size_t)NROWS(detail_rows); i++)
		if (detail_rows[i].scen != NULL)
			args[n++] = detail_rows[i].scen;
	args[n] = NULL;
	if (child_start(&dfake, check_build_path("fakesmtp"), args,
	    CHILD_TLS_DIR, 30000, err, sizeof(err)) == -1)
		fprintf(stderr, "check_probe_basic: %s\n", err);
}

static void
dfake_stop(void)
{
	(void)child_stop(&dfake);
}

START_TEST(test_detail_rule)
{
	struct smtpprobe_params		 pa;
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	const char			*text;
	uint16_t			 port;

	if (detail_rows[_i].scen == NULL)
		port = child_closed_port();
	else
		port = child_port(&dfake, detail_rows[_i].scen);
	ck_assert_msg(port != 0, "fakesmtp has no %s", detail_rows[_i].scen);
	params_init(&pa, "127.0.0.1", port, detail_rows[_i].mode, 1 * SEC);
	pa.ca_file = dfake.ca_file;
	ck_assert_ptr_nonnull(p = smtpprobe_new(ctx, &pa, NULL, 0));
	r = drive(p);
	text = smtpprobe_outcome_text(r->outcome);
	ck_assert_msg(r->outcome == detail_rows[_i].want, "%s: got %s (%s)",
	    detail_rows[_i].scen != NULL ? detail_rows[_i].scen : "refused",
	    smtpprobe_outcome_name(r->outcome), r->detail);
	ck_assert_msg(strncasecmp(r->detail, text, strlen(text)) != 0,
	    "%s: detail \"%s\" repeats \"%s\"", smtpprobe_outcome_name(
	    r->outcome), r->detail, text);
	/* nor says it again further on ("X failed: X failed: ...") */
	ck_assert_msg(strcasestr(r->detail, text) == NULL,
	    "%s: detail \"%s\" contains \"%s\"", smtpprobe_outcome_name(
	    r->outcome), r->detail, text);
	if (r->outcome == SMTPPROBE_OUTCOME_OK)
		ck_assert_str_eq(r->detail, "");
	smtpprobe_free(p);
}
END_TEST

static Suite *
probe_basic_suite(void)
{
	Suite	*s = suite_create("probe_basic");
	TCase	*tc;

	tc = tcase_create("detail");
	tcase_add_unchecked_fixture(tc, dfake_start, dfake_stop);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_detail_rule, 0, NROWS(detail_rows));
	suite_add_tcase(s, tc);

	tc = tcase_create("params");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_bad_params, 0, NROWS(bad_params));
	tcase_add_test(tc, test_null_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("sock");
	tcase_add_loop_test(tc, test_errno_outcome, 0, NROWS(errno_rows));
	tcase_add_loop_test(tc, test_addr_parse, 0, NROWS(addr_rows));
	suite_add_tcase(s, tc);

	tc = tcase_create("connect");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_silent);
	tcase_add_test(tc, test_fake_clock_deadline);
	tcase_add_test(tc, test_cancel);
	tcase_add_loop_test(tc, test_reset_before_look, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("addresses");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_want_resolve);
	tcase_add_loop_test(tc, test_resolve_failures, 0, NROWS(resolve_rows));
	tcase_add_test(tc, test_literal_family);
	tcase_add_test(tc, test_second_address);
	tcase_add_test(tc, test_caller_resolve_us);
	tcase_add_test(tc, test_dropped_first_address);
	tcase_add_test(tc, test_source_address);
	suite_add_tcase(s, tc);

	tc = tcase_create("dialogue");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_quit_unanswered);
	tcase_add_test(tc, test_quit_closed);
	tcase_add_test(tc, test_ipv6_ehlo_literal);
	tcase_add_test(tc, test_phase_times);
	tcase_add_test(tc, test_trace_bounded);
	tcase_add_loop_test(tc, test_dialogue, 0, NROWS(dialogues));
	suite_add_tcase(s, tc);
	return s;
}
CHECK_SUITE(probe_basic_suite)
