/*
 * check_resolve.c: the c-ares resolver (lib/resolve.c) against the
 * scripted DNS responder (tests/fake/dns.c) on loopback: A, AAAA, family
 * filter, MX order, null MX, no MX, NXDOMAIN, SERVFAIL, a silent server
 * (TIMEOUT at the deadline, not later), IP literals and bad names answered
 * without a packet, cancellation.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suite.h"
#include "smtpprobe.h"
#include "resolve.h"
#include "timeutil.h"
#include "fake/dns.h"

#define MAXFDS	16
#define SEC	INT64_C(1000000)

struct drv {
	struct resolve	*res;
	struct pollfd	 fds[MAXFDS];
	size_t		 nfds;
};

struct got {
	int				 n;
	struct smtpprobe_lookup_result	 r;
	int64_t				 at;
};

static struct fakedns	*dns;
static struct drv	 drv;

/* The resolver's socket-state callback: keep a pollfd per socket. */
static void
sock_cb(void *arg, int fd, int readable, int writable)
{
	struct drv	*d = arg;
	size_t		 i;

	for (i = 0; i < d->nfds; i++)
		if (d->fds[i].fd == fd)
			break;
	if (!readable && !writable) {
		if (i < d->nfds)
			d->fds[i] = d->fds[--d->nfds];
		return;
	}
	if (i == d->nfds) {
		ck_assert_uint_lt(d->nfds, MAXFDS);
		d->nfds++;
	}
	d->fds[i].fd = fd;
	d->fds[i].events = (short)((readable ? POLLIN : 0) |
	    (writable ? POLLOUT : 0));
}

static void
done_cb(const struct smtpprobe_lookup_result *r, void *arg)
{
	struct got	*g = arg;

	g->n++;
	g->r = *r;
	g->at = smtpprobe_now();
}

/* Drive the resolver as an event loop would, until nothing is pending or
 * limit (monotonic µs) has passed. */
static void
run(int64_t limit)
{
	struct pollfd	fds[MAXFDS];
	size_t		n, i;
	int64_t		now, next;

	while (resolve_pending(drv.res) > 0 && (now = smtpprobe_now()) <
	    limit) {
		next = timeutil_min(resolve_next_timer(drv.res, now), limit);
		n = drv.nfds;
		memcpy(fds, drv.fds, n * sizeof(fds[0]));
		ck_assert_int_ge(poll(fds, n, timeutil_poll_ms(next, now)), 0);
		now = smtpprobe_now();
		for (i = 0; i < n; i++)
			if (fds[i].revents != 0)
				resolve_process_fd(drv.res, fds[i].fd,
				    (fds[i].revents & (POLLIN | POLLERR |
				    POLLHUP)) != 0,
				    (fds[i].revents & POLLOUT) != 0, now);
		resolve_process_timers(drv.res, now);
	}
}

static void
setup(void)
{
	char	err[256];

	dns = fakedns_start(err, sizeof(err));
	ck_assert_msg(dns != NULL, "%s", err);
	ck_assert_int_eq(fakedns_add(dns, "a.fake.test", FAKEDNS_A,
	    "192.0.2.1"), 0);
	ck_assert_int_eq(fakedns_add(dns, "v6.fake.test", FAKEDNS_AAAA,
	    "2001:db8::1"), 0);
	ck_assert_int_eq(fakedns_add(dns, "both.fake.test", FAKEDNS_A,
	    "192.0.2.2"), 0);
	ck_assert_int_eq(fakedns_add(dns, "both.fake.test", FAKEDNS_A,
	    "192.0.2.3"), 0);
	ck_assert_int_eq(fakedns_add(dns, "both.fake.test", FAKEDNS_AAAA,
	    "2001:db8::2"), 0);
	ck_assert_int_eq(fakedns_add(dns, "mx.fake.test", FAKEDNS_MX,
	    "20 b.mx.fake.test"), 0);
	ck_assert_int_eq(fakedns_add(dns, "mx.fake.test", FAKEDNS_MX,
	    "10 a.mx.fake.test"), 0);
	ck_assert_int_eq(fakedns_add(dns, "mx.fake.test", FAKEDNS_MX,
	    "30 c.mx.fake.test"), 0);
	ck_assert_int_eq(fakedns_add(dns, "mx.fake.test", FAKEDNS_MX,
	    "10 a2.mx.fake.test"), 0);
	ck_assert_int_eq(fakedns_add(dns, "nullmx.fake.test", FAKEDNS_MX,
	    "0 ."), 0);
	ck_assert_int_eq(fakedns_add(dns, "nullmx.fake.test", FAKEDNS_A,
	    "192.0.2.9"), 0);
	ck_assert_int_eq(fakedns_add(dns, "nx.fake.test", FAKEDNS_NXDOMAIN,
	    NULL), 0);
	ck_assert_int_eq(fakedns_add(dns, "fail.fake.test", FAKEDNS_SERVFAIL,
	    NULL), 0);
	ck_assert_int_eq(fakedns_add(dns, "silent.fake.test", FAKEDNS_SILENT,
	    NULL), 0);
	ck_assert_int_eq(fakedns_add(dns, "lo.fake.test", FAKEDNS_A,
	    "127.0.0.1"), 0);
	/* A "." among real MX hosts is no null MX (RFC 7505 §3). */
	ck_assert_int_eq(fakedns_add(dns, "mixnull.fake.test", FAKEDNS_MX,
	    "0 ."), 0);
	ck_assert_int_eq(fakedns_add(dns, "mixnull.fake.test", FAKEDNS_MX,
	    "10 real.mx.fake.test"), 0);
	memset(&drv, 0, sizeof(drv));
	drv.res = resolve_new(fakedns_server(dns), sock_cb, &drv, err,
	    sizeof(err));
	ck_assert_msg(drv.res != NULL, "%s", err);
}

static void
teardown(void)
{
	resolve_free(drv.res);
	drv.res = NULL;
	fakedns_stop(dns);
	dns = NULL;
}

/* One lookup, run to completion within 5 s; returns its result. */
static struct got
lookup(const char *name, unsigned what, int family, int64_t timeout)
{
	struct got	g;
	int64_t		now = smtpprobe_now();

	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(resolve_lookup(drv.res, name, what, family, now,
	    now + timeout, done_cb, &g), 0);
	ck_assert_int_eq(g.n, 0);	/* never called from resolve_lookup */
	run(now + 5 * SEC);
	ck_assert_int_eq(g.n, 1);
	ck_assert_uint_eq(resolve_pending(drv.res), 0);
	return g;
}

struct row {
	const char		*name;
	unsigned		 what;
	int			 family;
	enum smtpprobe_outcome	 outcome;
	const char		*detail;
	const char		*addrs[4];	/* in order; NULL-ended */
	const char		*mx[5];		/* in order */
	int			 null_mx, no_mx;
};

#define ADDR	SMTPPROBE_LOOKUP_ADDR
#define MX	SMTPPROBE_LOOKUP_MX
#define OK	SMTPPROBE_OUTCOME_OK
#define FAILED	SMTPPROBE_OUTCOME_RESOLVE_FAILED

static const struct row rows[] = {
	{ "a.fake.test", ADDR, AF_INET, OK, "", { "192.0.2.1" }, { NULL },
	    0, 0 },
	{ "a.fake.test", ADDR, AF_UNSPEC, OK, "", { "192.0.2.1" }, { NULL },
	    0, 0 },
	{ "A.FAKE.TEST.", ADDR, AF_INET, OK, "", { "192.0.2.1" }, { NULL },
	    0, 0 },
	{ "a.fake.test", ADDR, AF_INET6, FAILED, "no AAAA record", { NULL },
	    { NULL }, 0, 0 },
	{ "v6.fake.test", ADDR, AF_INET6, OK, "", { "2001:db8::1" }, { NULL },
	    0, 0 },
	{ "v6.fake.test", ADDR, AF_INET, FAILED, "no A record", { NULL },
	    { NULL }, 0, 0 },
	{ "both.fake.test", ADDR, AF_INET, OK, "",
	    { "192.0.2.2", "192.0.2.3" }, { NULL }, 0, 0 },
	{ "both.fake.test", ADDR, AF_INET6, OK, "", { "2001:db8::2" },
	    { NULL }, 0, 0 },
	{ "mx.fake.test", MX, AF_UNSPEC, OK, "", { NULL },
	    { "a.mx.fake.test", "a2.mx.fake.test", "b.mx.fake.test",
	    "c.mx.fake.test" }, 0, 0 },
	{ "mx.fake.test", MX | ADDR, AF_UNSPEC, OK, "", { NULL },
	    { "a.mx.fake.test", "a2.mx.fake.test", "b.mx.fake.test",
	    "c.mx.fake.test" }, 0, 0 },
	{ "nullmx.fake.test", MX, AF_UNSPEC, OK, "null MX", { NULL },
	    { NULL }, 1, 0 },
	{ "mixnull.fake.test", MX, AF_UNSPEC, OK, "", { NULL },
	    { "real.mx.fake.test" }, 0, 0 },
	{ "a.fake.test", MX, AF_UNSPEC, OK, "no MX record", { NULL },
	    { NULL }, 0, 1 },
	{ "a.fake.test", MX | ADDR, AF_INET, OK, "", { "192.0.2.1" },
	    { NULL }, 0, 1 },
	{ "nx.fake.test", ADDR, AF_INET, FAILED, "NXDOMAIN", { NULL },
	    { NULL }, 0, 0 },
	{ "nx.fake.test", MX, AF_UNSPEC, FAILED, "NXDOMAIN", { NULL },
	    { NULL }, 0, 0 },
	{ "unknown.fake.test", ADDR, AF_UNSPEC, FAILED, "NXDOMAIN", { NULL },
	    { NULL }, 0, 0 },
	{ "nx.fake.test", MX | ADDR, AF_UNSPEC, FAILED, "NXDOMAIN", { NULL },
	    { NULL }, 0, 0 },
	{ "fail.fake.test", ADDR, AF_INET, FAILED, "SERVFAIL", { NULL },
	    { NULL }, 0, 0 },
	{ "fail.fake.test", MX, AF_UNSPEC, FAILED, "SERVFAIL", { NULL },
	    { NULL }, 0, 0 },
};

START_TEST(test_resolve_rows)
{
	const struct row	*t = &rows[_i];
	struct got		 g;
	size_t			 i;

	g = lookup(t->name, t->what, t->family, 4 * SEC);
	ck_assert_msg(g.r.outcome == t->outcome, "%s: outcome %s (%s)",
	    t->name, smtpprobe_outcome_name(g.r.outcome), g.r.detail);
	ck_assert_str_eq(g.r.detail, t->detail);
	for (i = 0; t->addrs[i] != NULL; i++) {
		ck_assert_uint_gt(g.r.naddresses, i);
		ck_assert_str_eq(g.r.addresses[i], t->addrs[i]);
	}
	ck_assert_uint_eq(g.r.naddresses, i);
	for (i = 0; t->mx[i] != NULL; i++) {
		ck_assert_uint_gt(g.r.nmx, i);
		ck_assert_str_eq(g.r.mx[i].host, t->mx[i]);
	}
	ck_assert_uint_eq(g.r.nmx, i);
	ck_assert_int_eq(g.r.null_mx, t->null_mx);
	ck_assert_int_eq(g.r.no_mx, t->no_mx);
	ck_assert_int_gt(g.r.duration_us, 0);
	ck_assert_int_lt(g.r.duration_us, 4 * SEC);
	ck_assert_uint_gt(fakedns_queries(dns, t->name, 0), 0);
}
END_TEST

/* AF_UNSPEC: both families, each address once. */
START_TEST(test_resolve_unspec)
{
	struct got	g;
	size_t		i;
	int		v4 = 0, v6 = 0;

	g = lookup("both.fake.test", ADDR, AF_UNSPEC, 4 * SEC);
	ck_assert_int_eq(g.r.outcome, OK);
	ck_assert_uint_eq(g.r.naddresses, 3);
	for (i = 0; i < g.r.naddresses; i++) {
		v6 += strchr(g.r.addresses[i], ':') != NULL;
		v4 += strchr(g.r.addresses[i], ':') == NULL;
	}
	ck_assert_int_eq(v4, 2);
	ck_assert_int_eq(v6, 1);
	ck_assert_uint_eq(fakedns_queries(dns, "both.fake.test", 1), 1);
	ck_assert_uint_eq(fakedns_queries(dns, "both.fake.test", 28), 1);
}
END_TEST

/* MX preferences come through. */
START_TEST(test_resolve_mx_preference)
{
	struct got	g;

	g = lookup("mx.fake.test", MX, AF_UNSPEC, 4 * SEC);
	ck_assert_uint_eq(g.r.nmx, 4);
	ck_assert_uint_eq(g.r.mx[0].preference, 10);
	ck_assert_uint_eq(g.r.mx[1].preference, 10);
	ck_assert_uint_eq(g.r.mx[2].preference, 20);
	ck_assert_uint_eq(g.r.mx[3].preference, 30);
}
END_TEST

/* More MX hosts than fit: the best SMTPPROBE_MAX_MX are kept, whatever
 * order the answer lists them in. */
START_TEST(test_resolve_mx_many)
{
	char		name[64], host[64];
	struct got	g;
	size_t		i;

	/* Preferences 200, 190, ..., 10: the best come last. */
	for (i = 0; i < 20; i++) {
		snprintf(host, sizeof(host), "%zu mx%02zu.fake.test",
		    (20 - i) * 10, 20 - i);
		ck_assert_int_eq(fakedns_add(dns, "many.fake.test", FAKEDNS_MX,
		    host), 0);
	}
	g = lookup("many.fake.test", MX, AF_UNSPEC, 4 * SEC);
	ck_assert_msg(g.r.outcome == OK, "%s", g.r.detail);
	ck_assert_uint_eq(g.r.nmx, SMTPPROBE_MAX_MX);
	for (i = 0; i < SMTPPROBE_MAX_MX; i++) {
		snprintf(name, sizeof(name), "mx%02zu.fake.test", i + 1);
		ck_assert_uint_eq(g.r.mx[i].preference, (i + 1) * 10);
		ck_assert_str_eq(g.r.mx[i].host, name);
	}
}
END_TEST

/* A server that never answers: TIMEOUT when the deadline comes, not
 * c-ares' own (seconds later) timeout. */
START_TEST(test_resolve_silent_deadline)
{
	struct got	g;
	int64_t		start = smtpprobe_now();

	g = lookup("silent.fake.test", ADDR, AF_INET, 300000);
	ck_assert_int_eq(g.r.outcome, SMTPPROBE_OUTCOME_TIMEOUT);
	ck_assert_str_eq(g.r.detail, "DNS timeout");
	ck_assert_int_ge(g.at - start, 300000);
	/* Generous bound: well under c-ares' first retry (1 s). */
	ck_assert_int_lt(g.at - start, 800000);
	ck_assert_int_ge(g.r.duration_us, 300000);
	/* Orphaned queries were cancelled: no socket left to watch. */
	ck_assert_uint_eq(drv.nfds, 0);
	ck_assert_int_eq(resolve_next_timer(drv.res, smtpprobe_now()),
	    INT64_MAX);
}
END_TEST

/* A deadline that has passed already ends the lookup without a query. */
START_TEST(test_resolve_past_deadline)
{
	struct got	g;

	g = lookup("a.fake.test", ADDR, AF_INET, 0);
	ck_assert_int_eq(g.r.outcome, SMTPPROBE_OUTCOME_TIMEOUT);
	ck_assert_uint_eq(fakedns_queries(dns, NULL, 0), 0);
}
END_TEST

struct lit {
	const char		*name;
	int			 family;
	unsigned		 what;
	enum smtpprobe_outcome	 outcome;
	const char		*addr;
};

static const struct lit lits[] = {
	{ "192.0.2.7", AF_UNSPEC, ADDR, OK, "192.0.2.7" },
	{ "192.0.2.7", AF_INET, ADDR | MX, OK, "192.0.2.7" },
	{ "192.0.2.7", AF_INET6, ADDR, FAILED, NULL },
	{ "2001:DB8:0:0::25", AF_UNSPEC, ADDR, OK, "2001:db8::25" },
	{ "::1", AF_INET6, ADDR, OK, "::1" },
	{ "::1", AF_INET, ADDR, FAILED, NULL },
	/* Not names DNS should see: failed without a query. */
	{ "", AF_UNSPEC, ADDR, FAILED, NULL },
	{ "a..b", AF_UNSPEC, ADDR, FAILED, NULL },
	{ ".", AF_UNSPEC, ADDR, FAILED, NULL },
	{ "bad name.test", AF_UNSPEC, ADDR, FAILED, NULL },
	{ "ctl\x01.test", AF_UNSPEC, ADDR, FAILED, NULL },
	{ "m\xc3\xbcller.test", AF_UNSPEC, ADDR, FAILED, NULL },
	{ "[192.0.2.1]", AF_UNSPEC, ADDR, FAILED, NULL },
	{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    ".test", AF_UNSPEC, ADDR, FAILED, NULL },
};

START_TEST(test_resolve_no_packet)
{
	const struct lit	*t = &lits[_i];
	struct got		 g;

	g = lookup(t->name, t->what, t->family, 4 * SEC);
	ck_assert_msg(g.r.outcome == t->outcome, "\"%s\": %s (%s)", t->name,
	    smtpprobe_outcome_name(g.r.outcome), g.r.detail);
	if (t->addr != NULL) {
		ck_assert_uint_eq(g.r.naddresses, 1);
		ck_assert_str_eq(g.r.addresses[0], t->addr);
		ck_assert_int_eq(g.r.duration_us, 0);
	} else {
		ck_assert_uint_eq(g.r.naddresses, 0);
		ck_assert_str_ne(g.r.detail, "");
	}
	ck_assert_uint_eq(fakedns_queries(dns, NULL, 0), 0);
	ck_assert_uint_eq(drv.nfds, 0);
}
END_TEST

/* A long name (254 octets) is refused before DNS. */
START_TEST(test_resolve_long_name)
{
	char		name[300];
	struct got	g;
	size_t		i;

	for (i = 0; i < 254; i++)
		name[i] = (i % 10 == 9) ? '.' : 'a';
	name[254] = '\0';
	g = lookup(name, ADDR, AF_UNSPEC, 4 * SEC);
	ck_assert_int_eq(g.r.outcome, FAILED);
	ck_assert_uint_eq(fakedns_queries(dns, NULL, 0), 0);
}
END_TEST

/* Many lookups at once, mixed answers: each gets its own result. */
START_TEST(test_resolve_many)
{
	static const char *const	 names[] = { "a.fake.test",
					    "nx.fake.test", "v6.fake.test",
					    "192.0.2.5", "mx.fake.test" };
	struct got			 g[50];
	int64_t				 now = smtpprobe_now();
	size_t				 i;

	memset(g, 0, sizeof(g));
	for (i = 0; i < 50; i++)
		ck_assert_int_eq(resolve_lookup(drv.res, names[i % 5],
		    i % 5 == 4 ? MX : ADDR, AF_UNSPEC, now, now + 4 * SEC,
		    done_cb, &g[i]), 0);
	ck_assert_uint_eq(resolve_pending(drv.res), 50);
	run(now + 5 * SEC);
	for (i = 0; i < 50; i++) {
		ck_assert_int_eq(g[i].n, 1);
		ck_assert_int_eq(g[i].r.outcome, i % 5 == 1 ? FAILED : OK);
	}
	ck_assert_uint_eq(g[3].r.naddresses, 1);
	ck_assert_str_eq(g[3].r.addresses[0], "192.0.2.5");
	ck_assert_uint_eq(g[4].r.nmx, 4);
}
END_TEST

/* Many silent lookups with deadlines added out of order: each ends at
 * its own deadline, in deadline order (the heap), none early. */
START_TEST(test_resolve_deadline_order)
{
	struct got	g[20];
	int64_t		dl[20], start = smtpprobe_now();
	size_t		i, j;

	memset(g, 0, sizeof(g));
	for (i = 0; i < 20; i++) {
		dl[i] = start + 100000 + (int64_t)((i * 7) % 20) * 15000;
		ck_assert_int_eq(resolve_lookup(drv.res, i % 2 ?
		    "silent.fake.test" : "silent.fake.test.", ADDR, AF_INET,
		    start, dl[i], done_cb, &g[i]), 0);
	}
	run(start + 5 * SEC);
	for (i = 0; i < 20; i++) {
		ck_assert_int_eq(g[i].n, 1);
		ck_assert_int_eq(g[i].r.outcome, SMTPPROBE_OUTCOME_TIMEOUT);
		ck_assert_int_ge(g[i].at, dl[i]);
		ck_assert_int_lt(g[i].at - dl[i], 500000);
		for (j = 0; j < 20; j++)
			if (dl[i] < dl[j])
				ck_assert_int_le(g[i].at, g[j].at);
	}
	ck_assert_uint_eq(drv.nfds, 0);
}
END_TEST

/*
 * Names in the hosts file are answered from it, as the system resolver
 * would (the lab's and many admins' names live there): no DNS query, a
 * true (non-zero) duration, and still no callback from inside
 * resolve_lookup().  CARES_HOSTS points c-ares at a test file.
 */
START_TEST(test_resolve_hosts_file)
{
	char		 path[] = "/tmp/check_resolve_hostsXXXXXX";
	FILE		*f;
	int		 fd;
	struct got	 g;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "192.0.2.77 hosts.fake.test\n2001:db8::77 hosts.fake.test\n"
	    "192.0.2.1 a.fake.test\n");
	fclose(f);
	ck_assert_int_eq(setenv("CARES_HOSTS", path, 1), 0);
	g = lookup("hosts.fake.test", ADDR, AF_INET, 4 * SEC);
	ck_assert_msg(g.r.outcome == OK, "%s, %u queries", g.r.detail,
	    fakedns_queries(dns, NULL, 0));
	ck_assert_uint_eq(g.r.naddresses, 1);
	ck_assert_str_eq(g.r.addresses[0], "192.0.2.77");
	ck_assert_int_gt(g.r.duration_us, 0);
	g = lookup("hosts.fake.test", ADDR, AF_INET6, 4 * SEC);
	ck_assert_int_eq(g.r.outcome, OK);
	ck_assert_str_eq(g.r.addresses[0], "2001:db8::77");
	ck_assert_uint_eq(fakedns_queries(dns, "hosts.fake.test", 0), 0);
	unlink(path);
}
END_TEST

/* Freeing the resolver answers pending lookups INTERNAL "cancelled". */
START_TEST(test_resolve_free_pending)
{
	struct got	g, h;
	int64_t		now = smtpprobe_now();

	memset(&g, 0, sizeof(g));
	memset(&h, 0, sizeof(h));
	ck_assert_int_eq(resolve_lookup(drv.res, "silent.fake.test", ADDR,
	    AF_INET, now, now + 4 * SEC, done_cb, &g), 0);
	ck_assert_int_eq(resolve_lookup(drv.res, "192.0.2.1", ADDR,
	    AF_INET, now, now + 4 * SEC, done_cb, &h), 0);
	resolve_free(drv.res);
	drv.res = NULL;
	ck_assert_int_eq(g.n, 1);
	ck_assert_int_eq(g.r.outcome, SMTPPROBE_OUTCOME_INTERNAL);
	ck_assert_str_eq(g.r.detail, "cancelled");
	/* A literal already answered keeps its answer. */
	ck_assert_int_eq(h.n, 1);
	ck_assert_int_eq(h.r.outcome, OK);
}
END_TEST

START_TEST(test_resolve_bad_args)
{
	struct got	 g;

	ck_assert_int_eq(resolve_lookup(drv.res, NULL, ADDR, AF_UNSPEC, 0, 1,
	    done_cb, &g), -1);
	ck_assert_int_eq(resolve_lookup(drv.res, "a.test", 0, AF_UNSPEC, 0, 1,
	    done_cb, &g), -1);
	ck_assert_int_eq(resolve_lookup(drv.res, "a.test", 0x80, AF_UNSPEC,
	    0, 1, done_cb, &g), -1);
	ck_assert_int_eq(resolve_lookup(drv.res, "a.test", ADDR, 12345, 0, 1,
	    done_cb, &g), -1);
	ck_assert_int_eq(resolve_lookup(drv.res, "a.test", ADDR, AF_UNSPEC, 0,
	    1, NULL, &g), -1);
	ck_assert_uint_eq(resolve_pending(drv.res), 0);
	resolve_free(NULL);
	ck_assert_int_eq(resolve_is_ip_literal("192.0.2.1"), 1);
	ck_assert_int_eq(resolve_is_ip_literal("::ffff:192.0.2.1"), 1);
	ck_assert_int_eq(resolve_is_ip_literal("[::1]"), 0);
	ck_assert_int_eq(resolve_is_ip_literal("192.0.2"), 0);
	ck_assert_int_eq(resolve_is_ip_literal("example.org"), 0);
	ck_assert_int_eq(resolve_is_ip_literal(NULL), 0);
}
END_TEST

/* The resolver list (--dns-server): what is accepted and what not. */
struct srv {
	const char	*list;
	int		 ok;
};

static const struct srv srvs[] = {
	{ "127.0.0.1", 1 },
	{ "127.0.0.1:5353", 1 },
	{ "::1", 1 },
	{ "[::1]", 1 },
	{ "[::1]:5353", 1 },
	{ "[2001:db8::53]:53,192.0.2.53,192.0.2.54:5300", 1 },
	{ "", 0 },
	{ ",", 0 },
	{ "127.0.0.1,", 0 },
	{ "127.0.0.1,,::1", 0 },
	{ "not-an-address", 0 },
	{ "dns.example.org:53", 0 },
	{ "127.0.0.1:0", 0 },
	{ "127.0.0.1:65536", 0 },
	{ "127.0.0.1:99999", 0 },
	{ "127.0.0.1:-1", 0 },
	{ "127.0.0.1:+53", 0 },
	{ "127.0.0.1:", 0 },
	{ "127.0.0.1:53x", 0 },
	{ " 127.0.0.1", 0 },
	{ "[::1", 0 },
	{ "[::1]x", 0 },
	{ "[127.0.0.1]:53", 0 },
	{ "::1:53", 1 },	/* a valid IPv6 address, not a port */
	{ "1,2,3,4,5,6,7,8,9", 0 },
	{ "1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6,1.1.1.7,1.1.1.8",
	    1 },
	{ "1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6,1.1.1.7,1.1.1.8,"
	    "1.1.1.9", 0 },
};

START_TEST(test_resolve_servers)
{
	const struct srv	*t = &srvs[_i];
	struct resolve		*r;
	char			 err[256] = "";

	r = resolve_new(t->list, NULL, NULL, err, sizeof(err));
	ck_assert_msg((r != NULL) == t->ok, "\"%s\": %s", t->list, err);
	if (r == NULL)
		ck_assert_msg(strstr(err, "DNS server") != NULL, "%s", err);
	resolve_free(r);
}
END_TEST

/* ---- through the public loop: the resolver as the front ends use it --- */

struct probe_got {
	int			 n;
	struct smtpprobe_result	 r;
	int64_t			 at;
};

static void
probe_done(struct smtpprobe *p, void *arg)
{
	struct probe_got	*g = arg;

	g->n++;
	g->r = *smtpprobe_result(p);
	g->at = smtpprobe_now();
	smtpprobe_free(p);
}

/* A TCP socket on 127.0.0.1:0, listening (backlog accepts, nobody
 * speaks) or just bound (connects are refused); its port in *port. */
static int
tcp_socket(int do_listen, uint16_t *port)
{
	struct sockaddr_in	sin;
	socklen_t		sl = sizeof(sin);
	int			fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	if (do_listen)
		ck_assert_int_eq(listen(fd, 8), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* One probe of host:port through a loop that asks the fake DNS. */
static struct probe_got
loop_probe(const char *host, uint16_t port, int64_t timeout)
{
	struct smtpprobe_loop_params	 lp;
	struct smtpprobe_params		 pp;
	struct smtpprobe_ctx		*ctx;
	struct smtpprobe_loop		*l;
	struct smtpprobe		*p;
	struct probe_got		 g;
	char				 err[256];
	int				 i;

	memset(&g, 0, sizeof(g));
	ctx = smtpprobe_ctx_new(err, sizeof(err));
	ck_assert_msg(ctx != NULL, "%s", err);
	memset(&lp, 0, sizeof(lp));
	lp.dns_servers = fakedns_server(dns);
	l = smtpprobe_loop_new(ctx, &lp, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	memset(&pp, 0, sizeof(pp));
	pp.host = host;
	pp.port = port;
	pp.mode = SMTPPROBE_MODE_PLAIN;
	pp.family = AF_INET;
	pp.deadline = smtpprobe_now() + timeout;
	p = smtpprobe_new(ctx, &pp, err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	ck_assert_int_eq(smtpprobe_loop_add(l, p, probe_done, &g), 0);
	for (i = 0; i < 100 && smtpprobe_loop_pending(l) > 0; i++)
		ck_assert_int_ge(smtpprobe_loop_run(l, 5000), 0);
	ck_assert_int_eq(g.n, 1);
	smtpprobe_loop_free(l);
	smtpprobe_ctx_free(ctx);
	return g;
}

START_TEST(test_loop_nxdomain)
{
	struct probe_got	g;

	g = loop_probe("nx.fake.test", 25, 4 * SEC);
	ck_assert_int_eq(g.r.outcome, SMTPPROBE_OUTCOME_RESOLVE_FAILED);
	ck_assert_int_eq(g.r.phase, SMTPPROBE_PHASE_RESOLVE);
	ck_assert_msg(strstr(g.r.detail, "NXDOMAIN") != NULL, "%s",
	    g.r.detail);
	ck_assert_int_gt(g.r.phase_us[SMTPPROBE_PHASE_RESOLVE], 0);
	ck_assert_int_eq(g.r.phase_us[SMTPPROBE_PHASE_CONNECT], -1);
	ck_assert_int_eq(g.r.connected, 0);
}
END_TEST

/* A dead resolver costs the probe its deadline, not c-ares' retries. */
START_TEST(test_loop_dns_timeout)
{
	struct probe_got	g;
	int64_t			start = smtpprobe_now();

	g = loop_probe("silent.fake.test", 25, 300000);
	ck_assert_int_eq(g.r.outcome, SMTPPROBE_OUTCOME_TIMEOUT);
	ck_assert_int_eq(g.r.phase, SMTPPROBE_PHASE_RESOLVE);
	ck_assert_int_ge(g.at - start, 300000);
	ck_assert_int_lt(g.at - start, 800000);
	ck_assert_int_ge(g.r.phase_us[SMTPPROBE_PHASE_RESOLVE], 250000);
}
END_TEST

/* Resolved through DNS, then refused by the port: both phases timed and
 * the address named. */
START_TEST(test_loop_refused)
{
	struct probe_got	g;
	uint16_t		port;
	int			fd;

	fd = tcp_socket(0, &port);
	g = loop_probe("lo.fake.test", port, 4 * SEC);
	close(fd);
	ck_assert_int_eq(g.r.outcome, SMTPPROBE_OUTCOME_REFUSED);
	ck_assert_int_eq(g.r.phase, SMTPPROBE_PHASE_CONNECT);
	ck_assert_str_eq(g.r.address, "127.0.0.1");
	ck_assert_int_gt(g.r.phase_us[SMTPPROBE_PHASE_RESOLVE], 0);
	ck_assert_int_ge(g.r.phase_us[SMTPPROBE_PHASE_CONNECT], 0);
	ck_assert_int_eq(smtpprobe_result_unanswered(&g.r), 1);
	ck_assert_uint_eq(fakedns_queries(dns, "lo.fake.test", 1), 1);
}
END_TEST

/* A listener nobody serves: connect succeeds, the banner never comes. */
START_TEST(test_loop_banner_timeout)
{
	struct probe_got	g;
	uint16_t		port;
	int			fd;
	int64_t			start = smtpprobe_now();

	fd = tcp_socket(1, &port);
	g = loop_probe("lo.fake.test", port, 400000);
	close(fd);
	ck_assert_int_eq(g.r.outcome, SMTPPROBE_OUTCOME_TIMEOUT);
	ck_assert_int_eq(g.r.phase, SMTPPROBE_PHASE_BANNER);
	ck_assert_int_eq(g.r.connected, 1);
	ck_assert_int_ge(g.r.phase_us[SMTPPROBE_PHASE_BANNER], 0);
	ck_assert_int_ge(g.at - start, 400000);
	ck_assert_int_lt(g.at - start, 2 * SEC);
	ck_assert_int_eq(smtpprobe_result_unanswered(&g.r), 0);
}
END_TEST

static void
user_lookup_done(const struct smtpprobe_lookup_result *r, void *arg)
{
	done_cb(r, arg);
}

/* smtpprobe_loop_lookup(): MX through the public API. */
START_TEST(test_loop_lookup_mx)
{
	struct smtpprobe_loop_params	 lp;
	struct smtpprobe_ctx		*ctx;
	struct smtpprobe_loop		*l;
	struct got			 g, h;
	char				 err[256];

	memset(&g, 0, sizeof(g));
	memset(&h, 0, sizeof(h));
	memset(&lp, 0, sizeof(lp));
	lp.dns_servers = fakedns_server(dns);
	ctx = smtpprobe_ctx_new(err, sizeof(err));
	ck_assert_msg(ctx != NULL, "%s", err);
	l = smtpprobe_loop_new(ctx, &lp, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	ck_assert_int_eq(smtpprobe_loop_lookup(l, "mx.fake.test",
	    SMTPPROBE_LOOKUP_MX, AF_UNSPEC, smtpprobe_now() + 4 * SEC,
	    user_lookup_done, &g), 0);
	ck_assert_int_eq(smtpprobe_loop_lookup(l, "nullmx.fake.test",
	    SMTPPROBE_LOOKUP_MX | SMTPPROBE_LOOKUP_ADDR, AF_UNSPEC,
	    smtpprobe_now() + 4 * SEC, user_lookup_done, &h), 0);
	while (smtpprobe_loop_pending(l) > 0)
		ck_assert_int_ge(smtpprobe_loop_run(l, 5000), 0);
	ck_assert_int_eq(g.n, 1);
	ck_assert_int_eq(g.r.outcome, OK);
	ck_assert_uint_eq(g.r.nmx, 4);
	ck_assert_str_eq(g.r.mx[0].host, "a.mx.fake.test");
	ck_assert_str_eq(g.r.mx[3].host, "c.mx.fake.test");
	ck_assert_int_eq(h.n, 1);
	ck_assert_int_eq(h.r.null_mx, 1);
	ck_assert_uint_eq(h.r.nmx, 0);
	smtpprobe_loop_free(l);
	smtpprobe_ctx_free(ctx);
}
END_TEST

static Suite *
resolve_suite(void)
{
	Suite	*s = suite_create("resolve");
	TCase	*tc = tcase_create("resolve");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_resolve_rows, 0,
	    (int)(sizeof(rows) / sizeof(rows[0])));
	tcase_add_test(tc, test_resolve_unspec);
	tcase_add_test(tc, test_resolve_mx_preference);
	tcase_add_test(tc, test_resolve_mx_many);
	tcase_add_test(tc, test_resolve_silent_deadline);
	tcase_add_test(tc, test_resolve_past_deadline);
	tcase_add_loop_test(tc, test_resolve_no_packet, 0,
	    (int)(sizeof(lits) / sizeof(lits[0])));
	tcase_add_test(tc, test_resolve_long_name);
	tcase_add_test(tc, test_resolve_many);
	tcase_add_test(tc, test_resolve_deadline_order);
	tcase_add_test(tc, test_resolve_hosts_file);
	tcase_add_test(tc, test_resolve_free_pending);
	tcase_add_test(tc, test_resolve_bad_args);
	tcase_add_loop_test(tc, test_resolve_servers, 0,
	    (int)(sizeof(srvs) / sizeof(srvs[0])));
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);

	tc = tcase_create("loop");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_loop_nxdomain);
	tcase_add_test(tc, test_loop_dns_timeout);
	tcase_add_test(tc, test_loop_refused);
	tcase_add_test(tc, test_loop_banner_timeout);
	tcase_add_test(tc, test_loop_lookup_mx);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	return s;
}
CHECK_SUITE(resolve_suite)
