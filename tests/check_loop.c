/*
 * check_loop.c: the ready-made event loop (lib/loop.c): many probes at
 * once, done callbacks called exactly once, run with a time limit, wakeup
 * from another thread, free with probes in flight (cancelled), the
 * max_active cap, probes added from a done callback, shared name lookups
 * and caller lookups (IP literals without DNS, a dead resolver bounded by
 * the deadline).  Loopback only.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suite.h"
#include "smtpprobe.h"
#include "ctx.h"
#include "loop.h"
#include "resolve.h"
#include "fake/child.h"

#define SEC	INT64_C(1000000)
#define MS	INT64_C(1000)

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

/* A socket of type on 127.0.0.1, an ephemeral port (in *port). */
static int
listen_on(int type, uint16_t *port)
{
	char	err[128];
	int	fd;

	*port = 0;
	fd = child_listener("127.0.0.1", type, 128, port, err, sizeof(err));
	ck_assert_msg(fd != -1, "%s", err);
	return fd;
}

/* What the done callbacks saw. */
struct tally {
	int	done;
	int	outcomes[SMTPPROBE_OUTCOME_COUNT];
	int	connected;
	int	chain;		/* probes still to add from callbacks */
	struct smtpprobe_loop *loop;
	uint16_t port;
	char	address[64];
	int64_t	resolve_us;
};

static void
on_done(struct smtpprobe *p, void *arg)
{
	struct tally			*t = arg;
	const struct smtpprobe_result	*r = smtpprobe_result(p);

	ck_assert_int_ne(r->outcome, SMTPPROBE_OUTCOME_PENDING);
	t->done++;
	t->outcomes[r->outcome]++;
	t->connected += r->connected;
	snprintf(t->address, sizeof(t->address), "%s", r->address);
	t->resolve_us = r->phase_us[SMTPPROBE_PHASE_RESOLVE];
	smtpprobe_free(p);
}

static struct smtpprobe *
mkprobe_at(const char *host, uint16_t port, int64_t deadline)
{
	struct smtpprobe_params	 pa;
	struct smtpprobe	*p;
	char			 err[160];

	memset(&pa, 0, sizeof(pa));
	pa.host = host;
	pa.port = port;
	pa.mode = SMTPPROBE_MODE_PLAIN;
	pa.family = AF_INET;
	pa.deadline = deadline;
	p = smtpprobe_new(ctx, &pa, err, sizeof(err));
	ck_assert_msg(p != NULL, "smtpprobe_new: %s", err);
	return p;
}

static struct smtpprobe *
mkprobe(const char *host, uint16_t port, int64_t timeout)
{
	return mkprobe_at(host, port, smtpprobe_now() + timeout);
}

static struct smtpprobe_loop *
mkloop(const char *dns, size_t max_active)
{
	struct smtpprobe_loop_params	 lp;
	struct smtpprobe_loop		*l;
	char				 err[160];

	memset(&lp, 0, sizeof(lp));
	lp.dns_servers = dns;
	lp.max_active = max_active;
	l = smtpprobe_loop_new(ctx, &lp, err, sizeof(err));
	ck_assert_msg(l != NULL, "smtpprobe_loop_new: %s", err);
	return l;
}

/* 300 refused probes: each done callback exactly once, nothing left. */
START_TEST(test_many_refused)
{
	struct smtpprobe_loop	*l = mkloop(NULL, 0);
	struct tally		 t;
	uint16_t		 port = child_closed_port();
	int			 i;

	memset(&t, 0, sizeof(t));
	for (i = 0; i < 300; i++)
		ck_assert_int_eq(smtpprobe_loop_add(l,
		    mkprobe("127.0.0.1", port, 5 * SEC), on_done, &t), 0);
	ck_assert_uint_eq(smtpprobe_loop_pending(l), 300);
	ck_assert_int_eq(t.done, 0);	/* callbacks only from run */
	ck_assert_int_eq(smtpprobe_loop_run(l, -1), 0);
	ck_assert_int_eq(t.done, 300);
	ck_assert_int_eq(t.outcomes[SMTPPROBE_OUTCOME_REFUSED], 300);
	ck_assert_uint_eq(smtpprobe_loop_pending(l), 0);
	/* A burst: its memory is given back once the loop is idle. */
	ck_assert_uint_eq(loop_trims(l), 1);
	/* A few probes are no burst. */
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(smtpprobe_loop_add(l,
		    mkprobe("127.0.0.1", port, 5 * SEC), on_done, &t), 0);
	ck_assert_int_eq(smtpprobe_loop_run(l, -1), 0);
	ck_assert_uint_eq(loop_trims(l), 1);
	smtpprobe_loop_free(l);
}
END_TEST

/* Silent servers: every probe ends at its own deadline, in banner.  The
 * deadlines start at 1 s, not less: on a loaded machine (ASan, CI) the
 * loop's first pass can come a few hundred ms after the probes were
 * made, and a probe whose deadline passed before its connect was looked
 * at times out in connect (seen once with 200 ms: 19 of 20 connected). */
START_TEST(test_deadlines)
{
	struct smtpprobe_loop	*l = mkloop(NULL, 0);
	struct tally		 t;
	uint16_t		 port;
	int			 lfd = listen_on(SOCK_STREAM, &port), i;
	int64_t			 t0 = smtpprobe_now();

	memset(&t, 0, sizeof(t));
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(smtpprobe_loop_add(l,
		    mkprobe("127.0.0.1", port, 1 * SEC + i * 10 * MS),
		    on_done, &t), 0);
	ck_assert_int_eq(smtpprobe_loop_run(l, -1), 0);
	ck_assert_int_eq(t.outcomes[SMTPPROBE_OUTCOME_TIMEOUT], 20);
	ck_assert_int_eq(t.connected, 20);
	ck_assert_int_ge(smtpprobe_now() - t0, 1190 * MS);
	ck_assert_int_lt(smtpprobe_now() - t0, 5 * SEC);
	smtpprobe_loop_free(l);
	close(lfd);
}
END_TEST

/* run(timeout_ms) returns with the count pending; free cancels and
 * calls the done callbacks. */
START_TEST(test_run_limit_and_free)
{
	struct smtpprobe_loop	*l = mkloop(NULL, 0);
	struct tally		 t;
	uint16_t		 port;
	int			 lfd = listen_on(SOCK_STREAM, &port);
	int64_t			 t0 = smtpprobe_now();

	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(smtpprobe_loop_add(l,
	    mkprobe("127.0.0.1", port, 10 * SEC), on_done, &t), 0);
	ck_assert_int_eq(smtpprobe_loop_add(l,
	    mkprobe("127.0.0.1", port, 10 * SEC), on_done, &t), 0);
	ck_assert_int_eq(smtpprobe_loop_run(l, 100), 2);
	ck_assert_int_ge(smtpprobe_now() - t0, 100 * MS);
	ck_assert_int_lt(smtpprobe_now() - t0, 2 * SEC);
	ck_assert_int_eq(t.done, 0);
	smtpprobe_loop_free(l);
	ck_assert_int_eq(t.done, 2);
	ck_assert_int_eq(t.outcomes[SMTPPROBE_OUTCOME_TIMEOUT], 2);
	smtpprobe_loop_free(NULL);
	close(lfd);
}
END_TEST

static void *
waker(void *arg)
{
	usleep(100 * 1000);
	smtpprobe_loop_wakeup(arg);
	return NULL;
}

START_TEST(test_wakeup)
{
	struct smtpprobe_loop	*l = mkloop(NULL, 0);
	struct tally		 t;
	pthread_t		 thr;
	uint16_t		 port;
	int			 lfd = listen_on(SOCK_STREAM, &port);
	int64_t			 t0 = smtpprobe_now();

	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(smtpprobe_loop_add(l,
	    mkprobe("127.0.0.1", port, 10 * SEC), on_done, &t), 0);
	ck_assert_int_eq(pthread_create(&thr, NULL, waker, l), 0);
	ck_assert_int_eq(smtpprobe_loop_run(l, -1), 1);
	ck_assert_int_lt(smtpprobe_now() - t0, 3 * SEC);
	pthread_join(thr, NULL);
	smtpprobe_loop_free(l);
	ck_assert_int_eq(t.done, 1);
	close(lfd);
}
END_TEST

/* max_active 2 against silent servers: only two ever connect; the rest
 * wait for a slot and end at their deadline without a packet. */
START_TEST(test_max_active)
{
	struct smtpprobe_loop	*l = mkloop(NULL, 2);
	struct tally		 t;
	uint16_t		 port, refused = child_closed_port();
	int			 lfd = listen_on(SOCK_STREAM, &port), i;
	int64_t			 deadline = smtpprobe_now() + 300 * MS;

	/* One deadline for all: when the first two end, so do the rest. */
	memset(&t, 0, sizeof(t));
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(smtpprobe_loop_add(l,
		    mkprobe_at("127.0.0.1", port, deadline), on_done, &t), 0);
	ck_assert_int_eq(smtpprobe_loop_run(l, -1), 0);
	ck_assert_int_eq(t.done, 6);
	ck_assert_int_eq(t.outcomes[SMTPPROBE_OUTCOME_TIMEOUT], 6);
	ck_assert_int_eq(t.connected, 2);
	smtpprobe_loop_free(l);

	/* Slots are given back: a queue of quick probes all run. */
	l = mkloop(NULL, 1);
	memset(&t, 0, sizeof(t));
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(smtpprobe_loop_add(l,
		    mkprobe("127.0.0.1", refused, 5 * SEC), on_done, &t), 0);
	ck_assert_int_eq(smtpprobe_loop_run(l, -1), 0);
	ck_assert_int_eq(t.outcomes[SMTPPROBE_OUTCOME_REFUSED], 10);
	smtpprobe_loop_free(l);
	close(lfd);
}
END_TEST

static void
on_done_chain(struct smtpprobe *p, void *arg)
{
	struct tally	*t = arg;

	on_done(p, arg);
	if (t->chain > 0) {
		t->chain--;
		ck_assert_int_eq(smtpprobe_loop_add(t->loop,
		    mkprobe("127.0.0.1", t->port, 5 * SEC), on_done_chain, t),
		    0);
	}
}

START_TEST(test_add_from_callback)
{
	struct smtpprobe_loop	*l = mkloop(NULL, 0);
	struct tally		 t;

	memset(&t, 0, sizeof(t));
	t.loop = l;
	t.port = child_closed_port();
	t.chain = 5;
	ck_assert_int_eq(smtpprobe_loop_add(l,
	    mkprobe("127.0.0.1", t.port, 5 * SEC), on_done_chain, &t), 0);
	ck_assert_int_eq(smtpprobe_loop_run(l, -1), 0);
	ck_assert_int_eq(t.done, 6);
	smtpprobe_loop_free(l);
}
END_TEST

START_TEST(test_bad_add)
{
	struct smtpprobe_loop	*l = mkloop(NULL, 0);
	struct smtpprobe	*p = mkprobe("127.0.0.1", child_closed_port(),
				    5 * SEC);
	struct tally		 t;

	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(smtpprobe_loop_add(l, NULL, on_done, &t), -1);
	ck_assert_int_eq(smtpprobe_loop_add(NULL, p, on_done, &t), -1);
	smtpprobe_cancel(p, smtpprobe_now());
	ck_assert_int_eq(smtpprobe_loop_add(l, p, on_done, &t), -1);
	ck_assert_str_ne(smtpprobe_loop_error(l), "no error");
	smtpprobe_free(p);
	ck_assert_int_eq(smtpprobe_loop_run(l, -1), 0);
	ck_assert_int_eq(t.done, 0);
	smtpprobe_loop_free(l);
}
END_TEST

/* Probes of a name (localhost, from /etc/hosts) share a lookup and get
 * its addresses. */
START_TEST(test_probe_by_name)
{
	struct smtpprobe_loop	*l = mkloop(NULL, 0);
	struct tally		 t;
	uint16_t		 port = child_closed_port();
	int			 i;

	memset(&t, 0, sizeof(t));
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(smtpprobe_loop_add(l,
		    mkprobe("localhost", port, 5 * SEC), on_done, &t), 0);
	ck_assert_int_eq(smtpprobe_loop_run(l, -1), 0);
	ck_assert_int_eq(t.outcomes[SMTPPROBE_OUTCOME_REFUSED], 5);
	ck_assert_str_eq(t.address, "127.0.0.1");
	ck_assert_int_ge(t.resolve_us, 0);
	smtpprobe_loop_free(l);
}
END_TEST

/* A resolver that never answers (a UDP socket that reads nothing):
 * the probe ends at its deadline in the resolve phase. */
START_TEST(test_dead_resolver)
{
	struct smtpprobe_loop		*l;
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	char				 dns[64];
	uint16_t			 port;
	int				 ufd = listen_on(SOCK_DGRAM, &port);
	int64_t				 t0 = smtpprobe_now();

	snprintf(dns, sizeof(dns), "127.0.0.1:%u", (unsigned)port);
	l = mkloop(dns, 0);
	p = mkprobe("mail.example.org", 25, 400 * MS);
	ck_assert_int_eq(smtpprobe_loop_add(l, p, NULL, NULL), 0);
	ck_assert_int_eq(smtpprobe_loop_run(l, -1), 0);
	r = smtpprobe_result(p);
	ck_assert_msg(r->outcome == SMTPPROBE_OUTCOME_TIMEOUT &&
	    r->phase == SMTPPROBE_PHASE_RESOLVE, "%s in %s (%s)",
	    smtpprobe_outcome_name(r->outcome),
	    smtpprobe_phase_name(r->phase), r->detail);
	ck_assert_int_eq(r->addresses_tried, 0);
	ck_assert_int_ge(smtpprobe_now() - t0, 390 * MS);
	ck_assert_int_lt(smtpprobe_now() - t0, 3 * SEC);
	smtpprobe_free(p);
	smtpprobe_loop_free(l);
	close(ufd);
}
END_TEST

/* Probes of one name share a lookup only if it lasts as long as they do:
 * a later deadline is not cut short by an earlier probe's. */
static void
on_done_keep(struct smtpprobe *p, void *arg)
{
	(void)p;
	(*(int *)arg)++;
}

START_TEST(test_lookup_deadlines)
{
	struct smtpprobe_loop		*l;
	struct smtpprobe		*early, *late;
	const struct smtpprobe_result	*r;
	char				 dns[64];
	uint16_t			 port;
	int				 ufd, n = 0;

	ufd = listen_on(SOCK_DGRAM, &port);
	snprintf(dns, sizeof(dns), "127.0.0.1:%u", (unsigned)port);
	l = mkloop(dns, 0);
	early = mkprobe("mail.example.org", 25, 200 * MS);
	late = mkprobe("mail.example.org", 25, 700 * MS);
	ck_assert_int_eq(smtpprobe_loop_add(l, early, on_done_keep, &n), 0);
	ck_assert_int_eq(smtpprobe_loop_add(l, late, on_done_keep, &n), 0);
	ck_assert_int_eq(smtpprobe_loop_run(l, -1), 0);
	ck_assert_int_eq(n, 2);
	r = smtpprobe_result(early);
	ck_assert_int_eq(r->outcome, SMTPPROBE_OUTCOME_TIMEOUT);
	ck_assert_int_lt(r->phase_us[SMTPPROBE_PHASE_TOTAL], 600 * MS);
	r = smtpprobe_result(late);
	ck_assert_int_eq(r->outcome, SMTPPROBE_OUTCOME_TIMEOUT);
	ck_assert_int_eq(r->phase, SMTPPROBE_PHASE_RESOLVE);
	ck_assert_int_ge(r->phase_us[SMTPPROBE_PHASE_TOTAL], 650 * MS);
	smtpprobe_free(early);
	smtpprobe_free(late);
	smtpprobe_loop_free(l);
	close(ufd);
}
END_TEST

static void
on_lookup(const struct smtpprobe_lookup_result *r, void *arg)
{
	struct smtpprobe_lookup_result	*out = arg;

	*out = *r;
}

START_TEST(test_lookup_literal)
{
	struct smtpprobe_loop		*l;
	struct smtpprobe_lookup_result	 r;
	uint16_t			 port;
	int				 ufd = listen_on(SOCK_DGRAM, &port);
	char				 dns[64];

	/* The resolver is dead: an answer can only come without DNS. */
	snprintf(dns, sizeof(dns), "127.0.0.1:%u", (unsigned)port);
	l = mkloop(dns, 0);
	memset(&r, 0, sizeof(r));
	r.outcome = SMTPPROBE_OUTCOME_PENDING;
	ck_assert_int_eq(smtpprobe_loop_lookup(l, "192.0.2.25",
	    SMTPPROBE_LOOKUP_ADDR, AF_UNSPEC, smtpprobe_now() + 5 * SEC,
	    on_lookup, &r), 0);
	ck_assert_uint_eq(smtpprobe_loop_pending(l), 1);
	ck_assert_int_eq(r.outcome, SMTPPROBE_OUTCOME_PENDING);
	ck_assert_int_eq(smtpprobe_loop_run(l, 2000), 0);
	ck_assert_int_eq(r.outcome, SMTPPROBE_OUTCOME_OK);
	ck_assert_uint_eq(r.naddresses, 1);
	ck_assert_str_eq(r.addresses[0], "192.0.2.25");
	ck_assert_int_eq(smtpprobe_loop_lookup(l, "x", 0, AF_UNSPEC,
	    smtpprobe_now() + SEC, on_lookup, &r), -1);
	smtpprobe_loop_free(l);
	close(ufd);
}
END_TEST

/*
 * Nothing expensive is made before it is needed: a run of plain probes
 * of IP literals and a lookup of a literal make no c-ares channel (so
 * /etc/resolv.conf is not read) and no SSL_CTX; the first name does make
 * the channel.
 */
START_TEST(test_lazy_resolver)
{
	struct smtpprobe_loop		*l = mkloop(NULL, 0);
	struct smtpprobe_lookup_result	 r;
	struct tally			 t;
	uint16_t			 port = child_closed_port();
	size_t				 c0 = resolve_channels_made();

	memset(&t, 0, sizeof(t));
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(smtpprobe_loop_add(l, mkprobe("127.0.0.1", port,
	    5 * SEC), on_done, &t), 0);
	ck_assert_int_eq(smtpprobe_loop_lookup(l, "192.0.2.25",
	    SMTPPROBE_LOOKUP_ADDR | SMTPPROBE_LOOKUP_MX, AF_UNSPEC,
	    smtpprobe_now() + 5 * SEC, on_lookup, &r), 0);
	ck_assert_int_eq(smtpprobe_loop_run(l, -1), 0);
	ck_assert_int_eq(t.outcomes[SMTPPROBE_OUTCOME_REFUSED], 1);
	ck_assert_int_eq(r.outcome, SMTPPROBE_OUTCOME_OK);
	ck_assert_uint_eq(resolve_channels_made(), c0);
	ck_assert_uint_eq(ctx_ssl_built(ctx), 0);

	/* Made when the probe is added, before its clock starts. */
	ck_assert_int_eq(smtpprobe_loop_add(l, mkprobe("localhost", port,
	    5 * SEC), on_done, &t), 0);
	ck_assert_uint_eq(resolve_channels_made(), c0 + 1);
	ck_assert_int_eq(smtpprobe_loop_run(l, -1), 0);
	ck_assert_int_eq(t.outcomes[SMTPPROBE_OUTCOME_REFUSED], 2);
	ck_assert_uint_eq(resolve_channels_made(), c0 + 1);
	smtpprobe_loop_free(l);
}
END_TEST

/* A DNS server on a UDP socket that answers one A query with 127.0.0.1
 * after delay_ms (RFC 1035 §4.1: the question echoed, one answer). */
struct dnsfake {
	int		fd;
	int		delay_ms;
	pthread_t	thr;
};

static void *
dnsfake_main(void *arg)
{
	static const unsigned char	 ans[] = { 0xc0, 0x0c, 0, 1, 0, 1,
					    0, 0, 0, 60, 0, 4, 127, 0, 0, 1 };
	struct dnsfake			*d = arg;
	struct sockaddr_in		 from;
	socklen_t			 fl = sizeof(from);
	unsigned char			 q[512], r[600];
	ssize_t				 n;
	size_t				 o = 12;

	n = recvfrom(d->fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
	if (n < 12)
		return NULL;
	while (o < (size_t)n && q[o] != 0)
		o += (size_t)q[o] + 1;
	o += 5;				/* root label, QTYPE, QCLASS */
	if (o > (size_t)n)
		return NULL;
	usleep((useconds_t)d->delay_ms * 1000);
	memcpy(r, q, o);
	r[2] = 0x81;			/* QR, RD */
	r[3] = 0x80;			/* RA, NOERROR */
	r[4] = 0, r[5] = 1;		/* QDCOUNT */
	r[6] = 0, r[7] = 1;		/* ANCOUNT */
	memset(r + 8, 0, 4);		/* NSCOUNT, ARCOUNT */
	memcpy(r + o, ans, sizeof(ans));
	(void)sendto(d->fd, r, o + sizeof(ans), 0, (struct sockaddr *)&from,
	    fl);
	return NULL;
}

/*
 * A probe that joins a lookup in flight records its own resolve time,
 * from when it began to wait to the answer, not the whole lookup's.
 */
START_TEST(test_joined_resolve_time)
{
	struct smtpprobe_loop		*l;
	struct smtpprobe		*first, *joined;
	const struct smtpprobe_result	*ra, *rb;
	struct dnsfake			 d;
	char				 dns[64];
	uint16_t			 dport, port = child_closed_port();
	int				 n = 0;

	memset(&d, 0, sizeof(d));
	d.fd = listen_on(SOCK_DGRAM, &dport);
	d.delay_ms = 400;
	ck_assert_int_eq(pthread_create(&d.thr, NULL, dnsfake_main, &d), 0);
	snprintf(dns, sizeof(dns), "127.0.0.1:%u", (unsigned)dport);
	l = mkloop(dns, 0);
	first = mkprobe("join.smtpprobe.test", port, 5 * SEC);
	ck_assert_int_eq(smtpprobe_loop_add(l, first, on_done_keep, &n), 0);
	ck_assert_int_eq(smtpprobe_loop_run(l, 200), 1);
	/* An earlier deadline, so it joins the lookup in flight. */
	joined = mkprobe("join.smtpprobe.test", port, 4 * SEC);
	ck_assert_int_eq(smtpprobe_loop_add(l, joined, on_done_keep, &n), 0);
	ck_assert_int_eq(smtpprobe_loop_run(l, -1), 0);
	ck_assert_int_eq(n, 2);
	ra = smtpprobe_result(first);
	rb = smtpprobe_result(joined);
	ck_assert_int_eq(ra->outcome, SMTPPROBE_OUTCOME_REFUSED);
	ck_assert_int_eq(rb->outcome, SMTPPROBE_OUTCOME_REFUSED);
	ck_assert_str_eq(rb->address, "127.0.0.1");
	ck_assert_int_ge(ra->phase_us[SMTPPROBE_PHASE_RESOLVE], 390 * MS);
	ck_assert_msg(rb->phase_us[SMTPPROBE_PHASE_RESOLVE] <
	    ra->phase_us[SMTPPROBE_PHASE_RESOLVE] - 150 * MS,
	    "joined %lld us, first %lld us",
	    (long long)rb->phase_us[SMTPPROBE_PHASE_RESOLVE],
	    (long long)ra->phase_us[SMTPPROBE_PHASE_RESOLVE]);
	ck_assert_int_gt(rb->phase_us[SMTPPROBE_PHASE_RESOLVE], 0);
	ck_assert_int_le(rb->phase_us[SMTPPROBE_PHASE_RESOLVE],
	    rb->phase_us[SMTPPROBE_PHASE_TOTAL]);
	smtpprobe_free(first);
	smtpprobe_free(joined);
	smtpprobe_loop_free(l);
	pthread_join(d.thr, NULL);
	close(d.fd);
}
END_TEST

START_TEST(test_bad_dns_servers)
{
	struct smtpprobe_loop_params	lp;
	char				err[160];

	memset(&lp, 0, sizeof(lp));
	lp.dns_servers = "not an address";
	err[0] = '\0';
	ck_assert_ptr_null(smtpprobe_loop_new(ctx, &lp, err, sizeof(err)));
	ck_assert_str_ne(err, "");
}
END_TEST

static Suite *
loop_suite(void)
{
	Suite	*s = suite_create("loop");
	TCase	*tc;

	tc = tcase_create("probes");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_many_refused);
	tcase_add_test(tc, test_deadlines);
	tcase_add_test(tc, test_run_limit_and_free);
	tcase_add_test(tc, test_wakeup);
	tcase_add_test(tc, test_max_active);
	tcase_add_test(tc, test_add_from_callback);
	tcase_add_test(tc, test_bad_add);
	suite_add_tcase(s, tc);

	tc = tcase_create("lookups");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_probe_by_name);
	tcase_add_test(tc, test_dead_resolver);
	tcase_add_test(tc, test_lookup_deadlines);
	tcase_add_test(tc, test_lookup_literal);
	tcase_add_test(tc, test_bad_dns_servers);
	tcase_add_test(tc, test_lazy_resolver);
	tcase_add_test(tc, test_joined_resolve_time);
	suite_add_tcase(s, tc);
	return s;
}
CHECK_SUITE(loop_suite)
