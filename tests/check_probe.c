/*
 * check_probe.c: probe tests through the public API (smtpprobe_ctx_new,
 * smtpprobe_new, smtpprobe_step / smtpprobe_loop_*) against the scripted
 * fake SMTP server of tests/fake, checking both sides: the probe's result
 * (outcome, phase, replies, capabilities, TLS and certificate facts,
 * phase timings) and what the server saw (the client waited for the whole
 * greeting, sent EHLO again after TLS, sent QUIT, never spoke after
 * injected data, fell back to HELO).
 *
 * Most cases drive one probe with a small poll() loop over
 * smtpprobe_step(), so that a failure points at the probe state machine;
 * the "loop" cases run the same kind of probes through smtpprobe_loop_*,
 * the path the front ends use (many probes at once, DNS).
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509_vfy.h>

#include "suite.h"
#include "smtpprobe.h"
#include "fake/dns.h"
#include "fake/fake.h"

#define MS		1000LL
#define SEC		1000000LL
#define DEFAULT_TIMEOUT	(10 * SEC)
/*
 * "Fails fast": well under the 10 s deadline (half of it), so that a busy
 * 2-core CI machine or a sanitizer build never trips it, while a probe
 * that waits for the deadline still fails it.
 */
#define FAST		(DEFAULT_TIMEOUT / 2)
/*
 * Timeouts end at the deadline: not before it (a fact), and not later
 * than this after it (scheduling delay on a loaded machine; drive_step()
 * and drive_loop() call a probe still running 1 s late a hang).
 */
#define SLACK		(1 * SEC)

/* One probe against one fake server. */
struct run {
	struct fake			*fake;
	struct smtpprobe_ctx		*ctx;
	struct smtpprobe		*p;
	const struct smtpprobe_result	*r;
	int64_t				 elapsed;	/* µs */
	long				 maxrss_kb;	/* growth */
};

struct opts {
	enum smtpprobe_mode		 mode;
	int64_t				 timeout;	/* 0: 10 s */
	long				 slow_ms;
	const char			*host;		/* 127.0.0.1 */
	const char			*verify_name;
	const char			*sni;
	const char			*ehlo_name;
	unsigned			 flags;
	enum smtpprobe_tls_version	 min_tls;
	int				 no_ca;		/* system */
	int				 loop;		/* by loop */
};

static const char *
oname(enum smtpprobe_outcome o)
{
	return smtpprobe_outcome_name(o);
}

static const char *
pname(enum smtpprobe_phase p)
{
	return smtpprobe_phase_name(p);
}

static long
maxrss_kb(void)
{
	struct rusage	ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		return 0;
	return ru.ru_maxrss;
}

/* Start the fake server for scenario (fails the test if it cannot). */
static void
run_fake(struct run *run, const char *scenario, long slow_ms)
{
	char	err[256];

	memset(run, 0, sizeof(*run));
	/* The library must never raise SIGPIPE: keep its default action
	 * (death) so that a SIGPIPE fails the test. */
	signal(SIGPIPE, SIG_DFL);
	run->fake = fake_start(scenario, slow_ms, err, sizeof(err));
	ck_assert_msg(run->fake != NULL, "fake_start %s: %s", scenario, err);
	run->ctx = smtpprobe_ctx_new(err, sizeof(err));
	ck_assert_msg(run->ctx != NULL, "smtpprobe_ctx_new: %s", err);
}

/* Fill params for a probe of the fake server with o. */
static void
make_params(struct smtpprobe_params *pa, const struct run *run,
    const struct opts *o, int64_t now)
{
	memset(pa, 0, sizeof(*pa));
	pa->host = o->host != NULL ? o->host : "127.0.0.1";
	pa->port = fake_port(run->fake);
	pa->mode = o->mode;
	pa->family = AF_UNSPEC;
	pa->deadline = now + (o->timeout > 0 ? o->timeout : DEFAULT_TIMEOUT);
	pa->ehlo_name = o->ehlo_name;
	pa->verify_name = o->verify_name;
	pa->sni = o->sni;
	pa->ca_file = o->no_ca ? NULL : fake_ca_file(run->fake);
	pa->min_tls = o->min_tls;
	pa->flags = o->flags | SMTPPROBE_F_TRACE;
}

/*
 * Drive p with poll() until done; fails the test if it errors, asks for
 * DNS or outlives its deadline by more than a second (a hang).
 */
static void
drive_step(struct smtpprobe *p, int64_t deadline)
{
	for (;;) {
		struct pollfd	fds[SMTPPROBE_MAX_POLLFDS];
		int64_t		now = smtpprobe_now(), next;
		size_t		n;
		int		r, ms;

		r = smtpprobe_step(p, now);
		if (r == SMTPPROBE_DONE)
			return;
		ck_assert_msg(r == SMTPPROBE_WANT_IO, "smtpprobe_step: %d (%s)",
		    r, smtpprobe_error(p) ? smtpprobe_error(p) : "?");
		ck_assert_msg(now < deadline + SEC,
		    "probe still running 1 s after its deadline");
		n = smtpprobe_pollfds(p, fds, SMTPPROBE_MAX_POLLFDS);
		next = smtpprobe_next_timeout(p);
		ms = next <= now ? 0 : (int)((next - now + 999) / 1000);
		if (ms > 200)
			ms = 200;
		if (poll(fds, n, ms) == -1)
			ck_assert_int_eq(errno, EINTR);
	}
}

static void
count_done(struct smtpprobe *p, void *arg)
{
	(void)p;
	(*(int *)arg)++;
}

/* Drive p through a fresh smtpprobe_loop (dns may be NULL). */
static void
drive_loop(struct smtpprobe_ctx *ctx, struct smtpprobe *p, int64_t deadline,
    const char *dns)
{
	struct smtpprobe_loop_params	lp;
	struct smtpprobe_loop		*loop;
	char				err[256];
	int				done = 0, r;

	memset(&lp, 0, sizeof(lp));
	lp.dns_servers = dns;
	loop = smtpprobe_loop_new(ctx, &lp, err, sizeof(err));
	ck_assert_msg(loop != NULL, "smtpprobe_loop_new: %s", err);
	ck_assert_int_eq(smtpprobe_loop_add(loop, p, count_done, &done), 0);
	while (done == 0) {
		r = smtpprobe_loop_run(loop, 200);
		ck_assert_msg(r >= 0, "smtpprobe_loop_run: %s",
		    smtpprobe_loop_error(loop));
		ck_assert_msg(smtpprobe_now() < deadline + SEC,
		    "probe still running 1 s after its deadline");
	}
	ck_assert_int_eq(done, 1);
	smtpprobe_loop_free(loop);
}

/* After a probe: read the server's log until the connection closed, if
 * the client ever connected; else what is there now. */
static void
server_settle(struct run *run)
{
	if (run->r->connected)
		(void)fake_wait(run->fake, 1, 3000);
	else
		fake_poll(run->fake);
}

/* Run one probe of the fake server; the server's log is read until the
 * connection closed (if the server saw one). */
static void
run_probe(struct run *run, const struct opts *o)
{
	struct smtpprobe_params	pa;
	char			err[256];
	int64_t			t0;
	long			rss0;

	/* elapsed counts from the instant the deadline is counted from, so
	 * that "ended at the deadline" is measured on the probe's clock
	 * (smtpprobe_new() can take a while on a loaded machine). */
	t0 = smtpprobe_now();
	make_params(&pa, run, o, t0);
	run->p = smtpprobe_new(run->ctx, &pa, err, sizeof(err));
	ck_assert_msg(run->p != NULL, "smtpprobe_new: %s", err);
	rss0 = maxrss_kb();
	if (o->loop)
		drive_loop(run->ctx, run->p, pa.deadline, NULL);
	else
		drive_step(run->p, pa.deadline);
	run->elapsed = smtpprobe_now() - t0;
	run->maxrss_kb = maxrss_kb() - rss0;
	run->r = smtpprobe_result(run->p);
	ck_assert_ptr_nonnull(run->r);
	server_settle(run);
}

static void
run_end(struct run *run)
{
	smtpprobe_free(run->p);
	smtpprobe_ctx_free(run->ctx);
	fake_stop(run->fake);
}

/* Probe scenario with o (all defaults if NULL). */
static void
probe(struct run *run, const char *scenario, const struct opts *o)
{
	struct opts	def;

	if (o == NULL) {
		memset(&def, 0, sizeof(def));
		def.mode = SMTPPROBE_MODE_STARTTLS;
		o = &def;
	}
	run_fake(run, scenario, o->slow_ms);
	run_probe(run, o);
}

#define EXPECT_OUTCOME(run, o, ph) do {					\
	const struct smtpprobe_result *r_ = (run)->r;			\
	ck_assert_msg(r_->outcome == (o) && r_->phase == (ph),		\
	    "want %s in %s, got %s in %s (%s)\n-- trace:\n%.1500s\n"	\
	    "-- server:\n%.1500s", oname(o), pname(ph),			\
	    oname(r_->outcome), pname(r_->phase), r_->detail,		\
	    r_->transcript ? r_->transcript : "(none)",		\
	    fake_log((run)->fake));					\
} while (0)

#define EXPECT_FAST(run) ck_assert_msg((run)->elapsed < FAST,		\
	"took %lld ms, should fail fast", (long long)(run)->elapsed / 1000)

/* Phases in mask (1 << phase) have a time >= 0; the others are -1. */
static void
expect_phases(const struct smtpprobe_result *r, unsigned mask)
{
	int64_t	sum;
	int	i;

	for (i = 0; i < SMTPPROBE_PHASE_COUNT; i++) {
		if (mask & (1u << i))
			ck_assert_msg(r->phase_us[i] >= 0,
			    "phase %s did not run (%lld)", pname(i),
			    (long long)r->phase_us[i]);
		else
			ck_assert_msg(r->phase_us[i] == -1,
			    "phase %s should not have run (%lld)", pname(i),
			    (long long)r->phase_us[i]);
	}
	ck_assert(r->phase_us[SMTPPROBE_PHASE_TOTAL] >= 0);
	/* The phases follow each other: together no longer than total. */
	for (i = 0, sum = 0; i < SMTPPROBE_PHASE_TOTAL; i++)
		if (r->phase_us[i] > 0)
			sum += r->phase_us[i];
	ck_assert_msg(sum <= r->phase_us[SMTPPROBE_PHASE_TOTAL],
	    "phases add up to %lld us, total %lld us", (long long)sum,
	    (long long)r->phase_us[SMTPPROBE_PHASE_TOTAL]);
	for (i = 0; i < SMTPPROBE_PHASE_TOTAL; i++)
		ck_assert_msg(r->phase_us[i] <=
		    r->phase_us[SMTPPROBE_PHASE_TOTAL],
		    "phase %s longer than total", pname(i));
}

#define PH(x)	(1u << SMTPPROBE_PHASE_##x)
#define PH_STARTTLS_ALL	(PH(RESOLVE) | PH(CONNECT) | PH(BANNER) | \
	PH(EHLO) | PH(STARTTLS) | PH(TLS_HANDSHAKE) | PH(EHLO_TLS) | \
	PH(QUIT) | PH(TOTAL))
#define PH_TLS_ALL	(PH(RESOLVE) | PH(CONNECT) | PH(TLS_HANDSHAKE) | \
	PH(BANNER) | PH(EHLO) | PH(QUIT) | PH(TOTAL))
#define PH_UPTO_BANNER	(PH(RESOLVE) | PH(CONNECT) | PH(BANNER) | \
	PH(TOTAL))
#define PH_UPTO_EHLO	(PH_UPTO_BANNER | PH(EHLO))
#define PH_UPTO_STLS	(PH_UPTO_EHLO | PH(STARTTLS))
#define PH_UPTO_HS	(PH_UPTO_STLS | PH(TLS_HANDSHAKE))
#define PH_PLAIN_ALL	(PH(RESOLVE) | PH(CONNECT) | PH(BANNER) | \
	PH(EHLO) | PH(QUIT) | PH(TOTAL))

/* The server's log has a line of connection 1 containing s. */
#define SAW(run, s) ck_assert_msg(fake_find((run)->fake, 1, (s), 0) >= 0, \
	"server did not see \"%s\":\n%s", (s), fake_log((run)->fake))
#define NOT_SAW(run, s) ck_assert_msg(fake_find((run)->fake, 1, (s), 0) < 0, \
	"server saw \"%s\":\n%s", (s), fake_log((run)->fake))
/* Line with a comes before line with b. */
#define ORDER(run, a, b) do {						\
	long a_ = fake_find((run)->fake, 1, (a), 0);			\
	long b_ = a_ < 0 ? -1 : fake_find((run)->fake, 1, (b), a_ + 1);	\
	ck_assert_msg(a_ >= 0 && b_ > a_, "server log: want \"%s\" "	\
	    "then \"%s\":\n%s", (a), (b), fake_log((run)->fake));	\
} while (0)

/* The client never spoke before the server finished its turn. */
#define POLITE(run) NOT_SAW(run, "EARLY")

static int
is_upper_hex(const char *s, size_t len)
{
	size_t	i;

	if (strlen(s) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

/* Certificate facts that every TLS scenario of the fake reports. */
static void
expect_cert_facts(const struct smtpprobe_result *r, const char *cn)
{
	const struct smtpprobe_cert *c = &r->cert;
	char	want[64];

	ck_assert_int_eq(c->present, 1);
	snprintf(want, sizeof(want), "CN=%s", cn);
	ck_assert_msg(strstr(c->subject, want) != NULL, "subject %s",
	    c->subject);
	ck_assert_str_eq(c->common_name, cn);
	ck_assert_msg(strstr(c->sans, cn) != NULL, "sans %s", c->sans);
	ck_assert_msg(is_upper_hex(c->fingerprint_sha256, 64),
	    "fingerprint %s", c->fingerprint_sha256);
	ck_assert_msg(c->serial[0] != '\0' && is_upper_hex(c->serial,
	    strlen(c->serial)), "serial %s", c->serial);
	ck_assert(c->not_before > 0 && c->not_after > c->not_before);
	ck_assert(c->chain_earliest_not_after > 0 &&
	    c->chain_earliest_not_after <= c->not_after);
	ck_assert_int_ge(c->chain_length, 1);
	ck_assert_int_eq(r->tls_up, 1);
	ck_assert_msg(strncmp(r->tls_version, "TLSv1", 5) == 0, "version %s",
	    r->tls_version);
	ck_assert(r->tls_cipher[0] != '\0');
}

/* ---- the good paths ---------------------------------------------------- */

START_TEST(test_good_starttls)
{
	struct run			 run;
	const struct smtpprobe_result	*r;
	time_t				 now = time(NULL);

	probe(&run, "good", NULL);
	r = run.r;
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_int_eq(r->connected, 1);
	ck_assert_str_eq(r->address, "127.0.0.1");
	ck_assert_int_eq(r->port, fake_port(run.fake));
	ck_assert_int_eq(r->mode, SMTPPROBE_MODE_STARTTLS);
	ck_assert_int_eq(r->banner.code, 220);
	ck_assert_msg(strstr(r->banner.text, "mail.fake.test") != NULL,
	    "banner %s", r->banner.text);
	ck_assert_int_eq(r->ehlo.code, 250);
	ck_assert_int_eq(r->starttls.code, 220);
	ck_assert_int_eq(r->ehlo_tls.code, 250);
	ck_assert_int_eq(r->quit.code, 221);
	/* Capabilities before TLS: STARTTLS, no AUTH (RFC 3207 §4.2). */
	ck_assert_int_eq(r->caps.present, 1);
	ck_assert_int_eq(r->caps.helo, 0);
	ck_assert_uint_eq(r->caps.flags, SMTPPROBE_CAP_STARTTLS |
	    SMTPPROBE_CAP_SIZE | SMTPPROBE_CAP_PIPELINING |
	    SMTPPROBE_CAP_8BITMIME | SMTPPROBE_CAP_SMTPUTF8 |
	    SMTPPROBE_CAP_ENHANCEDSTATUSCODES);
	ck_assert_uint_eq(r->caps.size, 10240000);
	/* After TLS: AUTH, no STARTTLS. */
	ck_assert_int_eq(r->caps_tls.present, 1);
	ck_assert_uint_eq(r->caps_tls.flags, SMTPPROBE_CAP_AUTH |
	    SMTPPROBE_CAP_SIZE | SMTPPROBE_CAP_PIPELINING |
	    SMTPPROBE_CAP_8BITMIME | SMTPPROBE_CAP_SMTPUTF8 |
	    SMTPPROBE_CAP_ENHANCEDSTATUSCODES | SMTPPROBE_CAP_DSN |
	    SMTPPROBE_CAP_CHUNKING);
	ck_assert_str_eq(r->caps_tls.auth, "PLAIN LOGIN");
	expect_cert_facts(r, "mail.fake.test");
	ck_assert_str_eq(r->tls_version, "TLSv1.3");
	ck_assert_msg(strstr(r->cert.sans, "DNS:mail.fake.test") != NULL &&
	    strstr(r->cert.sans, "DNS:localhost") != NULL &&
	    strstr(r->cert.sans, "127.0.0.1") != NULL, "sans %s",
	    r->cert.sans);
	ck_assert_msg(strstr(r->cert.issuer, "fakesmtp test CA") != NULL,
	    "issuer %s", r->cert.issuer);
	ck_assert(r->cert.not_before < now && r->cert.not_after > now);
	/* The fake presents the CA after the leaf. */
	ck_assert_int_eq(r->cert.chain_length, 2);
	ck_assert_int_eq(r->cert.verified, 1);
	ck_assert_int_eq(r->cert.verify_checked, 1);
	ck_assert_uint_eq(r->cert.verify_flags, 0);
	ck_assert_int_eq(r->cert.nverify_errors, 0);
	expect_phases(r, PH_STARTTLS_ALL);
	ck_assert_int_eq(r->phase_us[SMTPPROBE_PHASE_RESOLVE], 0);
	ck_assert_ptr_nonnull(r->transcript);
	ck_assert_msg(strstr(r->transcript, "C: STARTTLS") != NULL &&
	    strstr(r->transcript, "C: QUIT") != NULL &&
	    strstr(r->transcript, "S: 220") != NULL, "transcript:\n%s",
	    r->transcript);

	/* What the server saw. */
	POLITE(&run);
	ORDER(&run, "greeted", "C: EHLO ");
	ORDER(&run, "C: EHLO ", "C: STARTTLS");
	ORDER(&run, "C: STARTTLS", "TLS: ok");
	ORDER(&run, "TLS: ok", "C: EHLO ");	/* RFC 3207 §4.2 */
	ORDER(&run, "TLS: ok", "C: QUIT");
	ck_assert_uint_eq(fake_count(run.fake, 1, "C: EHLO "), 2);
	ck_assert_uint_eq(fake_count(run.fake, 1, "C: "), 4);
	ck_assert_uint_eq(fake_count(run.fake, 0, "accept "), 1);
	run_end(&run);
}
END_TEST

START_TEST(test_good_tls)
{
	struct run			 run;
	struct opts			 o = { .mode = SMTPPROBE_MODE_TLS };
	const struct smtpprobe_result	*r;

	probe(&run, "tls", &o);
	r = run.r;
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_int_eq(r->banner.code, 220);
	ck_assert_int_eq(r->ehlo.code, 250);
	ck_assert_int_eq(r->starttls.code, 0);
	ck_assert_int_eq(r->quit.code, 221);
	/* Implicit TLS: the EHLO reply is the one after TLS. */
	ck_assert_int_eq(r->caps.present, 0);
	ck_assert_int_eq(r->caps_tls.present, 1);
	ck_assert(r->caps_tls.flags & SMTPPROBE_CAP_AUTH);
	ck_assert_str_eq(r->caps_tls.auth, "PLAIN LOGIN");
	expect_cert_facts(r, "mail.fake.test");
	ck_assert_int_eq(r->cert.verified, 1);
	expect_phases(r, PH_TLS_ALL);
	POLITE(&run);
	ORDER(&run, "TLS: ok", "greeted");
	ORDER(&run, "greeted", "C: EHLO ");
	ORDER(&run, "C: EHLO ", "C: QUIT");
	ck_assert_uint_eq(fake_count(run.fake, 1, "C: EHLO "), 1);
	NOT_SAW(&run, "C: STARTTLS");
	run_end(&run);
}
END_TEST

/* Plain mode against a STARTTLS server: records STARTTLS, no TLS. */
START_TEST(test_good_plain)
{
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_PLAIN };

	probe(&run, "good", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert(run.r->caps.flags & SMTPPROBE_CAP_STARTTLS);
	ck_assert_int_eq(run.r->tls_up, 0);
	ck_assert_int_eq(run.r->cert.present, 0);
	ck_assert_int_eq(run.r->caps_tls.present, 0);
	expect_phases(run.r, PH_PLAIN_ALL);
	ORDER(&run, "C: EHLO ", "C: QUIT");
	NOT_SAW(&run, "C: STARTTLS");
	POLITE(&run);
	run_end(&run);
}
END_TEST

/* blackbox_exporter's example hangs here: STARTTLS is the last line. */
START_TEST(test_lastline)
{
	struct run	run;

	probe(&run, "lastline", NULL);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert(run.r->caps.flags & SMTPPROBE_CAP_STARTTLS);
	EXPECT_FAST(&run);
	ORDER(&run, "C: STARTTLS", "TLS: ok");
	run_end(&run);
}
END_TEST

START_TEST(test_lowercase)
{
	struct run			 run;
	const struct smtpprobe_result	*r;

	probe(&run, "lowercase", NULL);
	r = run.r;
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_uint_eq(r->caps.flags, SMTPPROBE_CAP_STARTTLS |
	    SMTPPROBE_CAP_AUTH | SMTPPROBE_CAP_SIZE |
	    SMTPPROBE_CAP_PIPELINING | SMTPPROBE_CAP_8BITMIME);
	ck_assert_str_eq(r->caps.auth, "PLAIN LOGIN");
	ck_assert_uint_eq(r->caps.size, 10240000);
	ck_assert_uint_eq(r->caps_tls.flags, SMTPPROBE_CAP_AUTH |
	    SMTPPROBE_CAP_SIZE | SMTPPROBE_CAP_ENHANCEDSTATUSCODES);
	SAW(&run, "TLS: ok");
	run_end(&run);
}
END_TEST

START_TEST(test_authplain)
{
	struct run	run;

	probe(&run, "authplain", NULL);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert(run.r->caps.flags & SMTPPROBE_CAP_AUTH);
	ck_assert_str_eq(run.r->caps.auth, "PLAIN LOGIN");
	ck_assert(run.r->caps.flags & SMTPPROBE_CAP_STARTTLS);
	run_end(&run);
}
END_TEST

/* The client waits out a three-line greeting with pauses (no talking
 * before the last line: postscreen would blocklist it). */
START_TEST(test_multiline)
{
	struct run	run;

	probe(&run, "multiline", NULL);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_int_eq(run.r->banner.code, 220);
	ck_assert_str_eq(run.r->banner.text, "mail.fake.test ESMTP fakesmtp / "
	    "this greeting has three lines / ready");
	/* Two 150 ms pauses inside the greeting. */
	ck_assert_int_ge(run.r->phase_us[SMTPPROBE_PHASE_BANNER], 290 * MS);
	POLITE(&run);
	ORDER(&run, "greeted", "C: EHLO ");
	run_end(&run);
}
END_TEST

/* A two-line 220 to STARTTLS is a reply, not injected data. */
START_TEST(test_starttls_multi)
{
	struct run	run;

	probe(&run, "starttls-multi", NULL);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_int_eq(run.r->starttls.code, 220);
	ORDER(&run, "C: STARTTLS", "TLS: ok");
	POLITE(&run);
	run_end(&run);
}
END_TEST

/* The EHLO reply arrives in two parts: STARTTLS waits for the end. */
START_TEST(test_ehlo_multi)
{
	struct run	run;

	probe(&run, "ehlo-multi", NULL);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert(run.r->caps.flags & SMTPPROBE_CAP_STARTTLS);
	ck_assert_int_ge(run.r->phase_us[SMTPPROBE_PHASE_EHLO], 140 * MS);
	POLITE(&run);
	run_end(&run);
}
END_TEST

START_TEST(test_slow)
{
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_STARTTLS,
	    .slow_ms = 1200 };

	probe(&run, "slow", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_int_ge(run.r->phase_us[SMTPPROBE_PHASE_BANNER], 1150 * MS);
	ck_assert_int_lt(run.r->phase_us[SMTPPROBE_PHASE_BANNER], 5 * SEC);
	POLITE(&run);
	run_end(&run);
}
END_TEST

START_TEST(test_drip)
{
	struct run	run;

	probe(&run, "drip", NULL);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_str_eq(run.r->banner.text, "mail.fake.test ESMTP fakesmtp");
	/* 35 bytes, 10 ms apart. */
	ck_assert_int_ge(run.r->phase_us[SMTPPROBE_PHASE_BANNER], 300 * MS);
	expect_phases(run.r, PH_STARTTLS_ALL);
	POLITE(&run);
	run_end(&run);
}
END_TEST

START_TEST(test_barelf)
{
	struct run	run;

	probe(&run, "barelf", NULL);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert(run.r->caps.flags & SMTPPROBE_CAP_STARTTLS);
	ck_assert(run.r->caps_tls.flags & SMTPPROBE_CAP_AUTH);
	EXPECT_FAST(&run);
	ORDER(&run, "TLS: ok", "C: EHLO ");
	run_end(&run);
}
END_TEST

/* NUL and invalid UTF-8 in replies: the texts come back sanitised. */
START_TEST(test_nul)
{
	struct run			 run;
	const struct smtpprobe_result	*r;
	const char			*t;

	probe(&run, "nul", NULL);
	r = run.r;
	EXPECT_FAST(&run);
	ck_assert_int_eq(r->banner.code, 220);
	/* Nothing raw: no control characters, no '|'. */
	for (t = r->banner.text; *t != '\0'; t++)
		ck_assert_msg((unsigned char)*t >= 0x20 && *t != 0x7f &&
		    *t != '|', "raw byte 0x%02x in banner", *t);
	if (r->outcome == SMTPPROBE_OUTCOME_OK) {
		/* Text after the NUL is kept, valid UTF-8 too. */
		ck_assert_msg(strstr(r->banner.text, "ESMTP") != NULL &&
		    strstr(r->banner.text, "caf\xc3\xa9") != NULL &&
		    strstr(r->banner.text, "\\x") != NULL, "banner %s",
		    r->banner.text);
		ck_assert(r->caps.flags & SMTPPROBE_CAP_STARTTLS);
	} else
		EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_PROTOCOL_ERROR,
		    SMTPPROBE_PHASE_BANNER);
	run_end(&run);
}
END_TEST

/* A server that closes right after QUIT without 221: still ok. */
START_TEST(test_quitclose)
{
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_PLAIN };

	probe(&run, "quitclose", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	EXPECT_FAST(&run);
	SAW(&run, "C: QUIT");
	run_end(&run);
}
END_TEST

/* A server that never answers QUIT does not turn a finished dialogue
 * into a timeout, nor hold the probe until its deadline. */
START_TEST(test_quitsilent)
{
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_PLAIN };

	probe(&run, "quitsilent", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_int_eq(run.r->quit.code, 0);
	EXPECT_FAST(&run);
	SAW(&run, "C: QUIT");
	run_end(&run);
}
END_TEST

/* ---- rejections -------------------------------------------------------- */

START_TEST(test_deny)
{
	struct run	run;

	probe(&run, "deny", NULL);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_BANNER_REJECTED,
	    SMTPPROBE_PHASE_BANNER);
	ck_assert_int_eq(run.r->banner.code, 554);
	ck_assert_msg(strstr(run.r->banner.text, "no SMTP service") != NULL,
	    "banner %s", run.r->banner.text);
	EXPECT_FAST(&run);
	ck_assert_int_eq(run.r->phase_us[SMTPPROBE_PHASE_EHLO], -1);
	ck_assert_int_eq(run.r->phase_us[SMTPPROBE_PHASE_TLS_HANDSHAKE], -1);
	/* RFC 5321 §3.1: after a 554 greeting the server waits for QUIT. */
	SAW(&run, "C: QUIT");
	NOT_SAW(&run, "C: EHLO");
	expect_phases(run.r, PH(RESOLVE) | PH(CONNECT) | PH(BANNER) |
	    PH(QUIT) | PH(TOTAL));
	run_end(&run);
}
END_TEST

START_TEST(test_busy)
{
	struct run	run;

	probe(&run, "busy", NULL);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_BANNER_REJECTED,
	    SMTPPROBE_PHASE_BANNER);
	ck_assert_int_eq(run.r->banner.code, 421);
	EXPECT_FAST(&run);
	NOT_SAW(&run, "C: EHLO");
	run_end(&run);
}
END_TEST

/* EHLO 550: rejected (no HELO fallback is asked for by a 5xx other than
 * 500/502, but none is forbidden either). */
START_TEST(test_ehlo_reject)
{
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_PLAIN };

	probe(&run, "ehlo-reject", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_EHLO_REJECTED,
	    SMTPPROBE_PHASE_EHLO);
	ck_assert_int_eq(run.r->ehlo.code, 550);
	EXPECT_FAST(&run);
	SAW(&run, "C: EHLO ");
	run_end(&run);
}
END_TEST

/* EHLO 500, HELO 550: both refused. */
START_TEST(test_helo_reject)
{
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_PLAIN };

	probe(&run, "helo-reject", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_EHLO_REJECTED,
	    SMTPPROBE_PHASE_EHLO);
	ck_assert_int_eq(run.r->ehlo.code, 550);
	ORDER(&run, "C: EHLO ", "C: HELO ");
	EXPECT_FAST(&run);
	run_end(&run);
}
END_TEST

/* EHLO 502 then HELO 250 (RFC 5321 §4.1.1.1): plain mode is ok. */
START_TEST(test_helo_plain)
{
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_PLAIN };

	probe(&run, "helo", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_int_eq(run.r->caps.helo, 1);
	ck_assert_uint_eq(run.r->caps.flags, 0);
	ck_assert_int_eq(run.r->ehlo.code, 250);
	ORDER(&run, "C: EHLO ", "C: HELO ");
	ORDER(&run, "C: HELO ", "C: QUIT");
	run_end(&run);
}
END_TEST

/* ... and STARTTLS mode: starttls_not_offered, without trying it. */
START_TEST(test_helo_starttls)
{
	struct run	run;

	probe(&run, "helo", NULL);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_STARTTLS_NOT_OFFERED,
	    SMTPPROBE_PHASE_EHLO);
	ck_assert_int_eq(run.r->caps.helo, 1);
	ORDER(&run, "C: EHLO ", "C: HELO ");
	NOT_SAW(&run, "C: STARTTLS");
	EXPECT_FAST(&run);
	run_end(&run);
}
END_TEST

START_TEST(test_notls_starttls)
{
	struct run	run;

	probe(&run, "notls", NULL);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_STARTTLS_NOT_OFFERED,
	    SMTPPROBE_PHASE_EHLO);
	ck_assert_int_eq(run.r->caps.present, 1);
	ck_assert_uint_eq(run.r->caps.flags & SMTPPROBE_CAP_STARTTLS, 0);
	ck_assert_int_eq(run.r->tls_up, 0);
	ck_assert_int_eq(run.r->phase_us[SMTPPROBE_PHASE_STARTTLS], -1);
	EXPECT_FAST(&run);
	NOT_SAW(&run, "C: STARTTLS");
	ORDER(&run, "C: EHLO ", "C: QUIT");
	expect_phases(run.r, PH_PLAIN_ALL);
	run_end(&run);
}
END_TEST

START_TEST(test_notls_plain)
{
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_PLAIN };

	probe(&run, "notls", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_uint_eq(run.r->caps.flags & SMTPPROBE_CAP_STARTTLS, 0);
	run_end(&run);
}
END_TEST

START_TEST(test_starttls454)
{
	struct run	run;

	probe(&run, "starttls454", NULL);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_STARTTLS_REJECTED,
	    SMTPPROBE_PHASE_STARTTLS);
	ck_assert_int_eq(run.r->starttls.code, 454);
	ck_assert_int_eq(run.r->tls_up, 0);
	ck_assert_int_eq(run.r->phase_us[SMTPPROBE_PHASE_TLS_HANDSHAKE], -1);
	EXPECT_FAST(&run);
	ORDER(&run, "C: STARTTLS", "C: QUIT");
	expect_phases(run.r, PH_PLAIN_ALL | PH(STARTTLS));
	run_end(&run);
}
END_TEST

/* EHLO after TLS answered 554. */
START_TEST(test_tls5xx)
{
	struct run	run;

	probe(&run, "tls5xx", NULL);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_EHLO_REJECTED,
	    SMTPPROBE_PHASE_EHLO_TLS);
	ck_assert_int_eq(run.r->ehlo_tls.code, 554);
	ck_assert_int_eq(run.r->tls_up, 1);
	ck_assert_int_eq(run.r->cert.present, 1);
	EXPECT_FAST(&run);
	run_end(&run);
}
END_TEST

/* ---- not SMTP, not TLS ------------------------------------------------- */

/* Bytes that cannot start a reply fail at once, not at the deadline. */
static const struct {
	const char		*scenario;
	enum smtpprobe_mode	 mode;
} notsmtp[] = {
	{ "tlsbytes", SMTPPROBE_MODE_STARTTLS },
	{ "garbage", SMTPPROBE_MODE_STARTTLS },
	{ "http", SMTPPROBE_MODE_STARTTLS },
	{ "tlsbytes", SMTPPROBE_MODE_PLAIN },
};

START_TEST(test_not_smtp)
{
	struct run	run;
	struct opts	o = { .mode = notsmtp[_i].mode };

	probe(&run, notsmtp[_i].scenario, &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_PROTOCOL_ERROR,
	    SMTPPROBE_PHASE_BANNER);
	EXPECT_FAST(&run);
	ck_assert_int_eq(run.r->connected, 1);
	NOT_SAW(&run, "C: EHLO");
	run_end(&run);
}
END_TEST

/* CVE-2011-0411: data behind the STARTTLS 220 is fatal, and the client
 * neither starts TLS nor sends anything after it. */
START_TEST(test_injection)
{
	struct run	run;

	probe(&run, "injection", NULL);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_PROTOCOL_ERROR,
	    SMTPPROBE_PHASE_STARTTLS);
	ck_assert_int_eq(run.r->tls_up, 0);
	EXPECT_FAST(&run);
	ck_assert_uint_eq(fake_count(run.fake, 1, "C: "), 2);
	ORDER(&run, "C: EHLO ", "C: STARTTLS");
	NOT_SAW(&run, "TLS: ok");
	NOT_SAW(&run, "C: QUIT");
	NOT_SAW(&run, "not a handshake");
	expect_phases(run.r, PH(RESOLVE) | PH(CONNECT) | PH(BANNER) |
	    PH(EHLO) | PH(STARTTLS) | PH(TOTAL));
	run_end(&run);
}
END_TEST

/* Garbage or an alert where the server's handshake should be. */
START_TEST(test_tlsgarbage)
{
	struct run	run;

	probe(&run, "tlsgarbage", NULL);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_TLS_FAILED,
	    SMTPPROBE_PHASE_TLS_HANDSHAKE);
	ck_assert_int_eq(run.r->tls_up, 0);
	EXPECT_FAST(&run);
	SAW(&run, "DATA: ");	/* the ClientHello */
	expect_phases(run.r, PH_UPTO_HS);
	run_end(&run);
}
END_TEST

START_TEST(test_tlsalert)
{
	struct run	run;

	probe(&run, "tlsalert", NULL);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_TLS_FAILED,
	    SMTPPROBE_PHASE_TLS_HANDSHAKE);
	EXPECT_FAST(&run);
	expect_phases(run.r, PH_UPTO_HS);
	run_end(&run);
}
END_TEST

/* A plain greeting where implicit TLS is expected: fails fast. */
START_TEST(test_plaintext_tls)
{
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_TLS };

	probe(&run, "plaintext-tls", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_TLS_FAILED,
	    SMTPPROBE_PHASE_TLS_HANDSHAKE);
	EXPECT_FAST(&run);
	ck_assert_int_eq(run.r->phase_us[SMTPPROBE_PHASE_BANNER], -1);
	run_end(&run);
}
END_TEST

/* ---- bounds: endless reply, 10 MB line --------------------------------- */

START_TEST(test_endless)
{
	struct run	run;

	probe(&run, "endless", NULL);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_PROTOCOL_ERROR,
	    SMTPPROBE_PHASE_BANNER);
	EXPECT_FAST(&run);
	ck_assert_msg(run.maxrss_kb < 8 * 1024, "RSS grew by %ld KiB",
	    run.maxrss_kb);
	NOT_SAW(&run, "C: EHLO");
	/* The trace is bounded too. */
	ck_assert_ptr_nonnull(run.r->transcript);
	ck_assert_uint_le(strlen(run.r->transcript), 64 * 1024);
	run_end(&run);
}
END_TEST

START_TEST(test_longline)
{
	struct run	run;

	probe(&run, "longline", NULL);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_PROTOCOL_ERROR,
	    SMTPPROBE_PHASE_BANNER);
	EXPECT_FAST(&run);
	ck_assert_msg(run.maxrss_kb < 8 * 1024, "RSS grew by %ld KiB",
	    run.maxrss_kb);
	NOT_SAW(&run, "C: EHLO");
	run_end(&run);
}
END_TEST

/* Each line legal, the reply over 64 KiB: bounded, fails fast. */
START_TEST(test_bigreply)
{
	struct run	run;

	probe(&run, "bigreply", NULL);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_PROTOCOL_ERROR,
	    SMTPPROBE_PHASE_BANNER);
	EXPECT_FAST(&run);
	NOT_SAW(&run, "C: EHLO");
	run_end(&run);
}
END_TEST

/* ---- the server goes away ---------------------------------------------- */

/* The phases that ran: up to the one that failed, no QUIT. */
static const struct {
	const char		*scenario;
	enum smtpprobe_mode	 mode;
	enum smtpprobe_phase	 phase;
	unsigned		 ran;
} closes[] = {
	{ "close-banner", SMTPPROBE_MODE_STARTTLS, SMTPPROBE_PHASE_BANNER,
	    PH_UPTO_BANNER },
	{ "close", SMTPPROBE_MODE_STARTTLS, SMTPPROBE_PHASE_EHLO,
	    PH_UPTO_EHLO },
	{ "close-ehlo", SMTPPROBE_MODE_STARTTLS, SMTPPROBE_PHASE_EHLO,
	    PH_UPTO_EHLO },
	{ "close-starttls", SMTPPROBE_MODE_STARTTLS,
	    SMTPPROBE_PHASE_STARTTLS, PH_UPTO_STLS },
	{ "close-handshake", SMTPPROBE_MODE_STARTTLS,
	    SMTPPROBE_PHASE_TLS_HANDSHAKE, PH_UPTO_HS },
	{ "close-ehlo-tls", SMTPPROBE_MODE_STARTTLS,
	    SMTPPROBE_PHASE_EHLO_TLS, PH_UPTO_HS | PH(EHLO_TLS) },
	{ "close-tls-banner", SMTPPROBE_MODE_TLS, SMTPPROBE_PHASE_BANNER,
	    PH_UPTO_BANNER | PH(TLS_HANDSHAKE) },
};

START_TEST(test_close)
{
	struct run	run;
	struct opts	o = { .mode = closes[_i].mode };

	probe(&run, closes[_i].scenario, &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_CLOSED, closes[_i].phase);
	EXPECT_FAST(&run);
	expect_phases(run.r, closes[_i].ran);
	run_end(&run);
}
END_TEST

/* RST during EHLO. */
START_TEST(test_reset)
{
	struct run	run;

	probe(&run, "reset", NULL);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_RESET, SMTPPROBE_PHASE_EHLO);
	EXPECT_FAST(&run);
	run_end(&run);
}
END_TEST

/* RST right after accept: the handshake had completed, so it is a reset
 * (only a RST to the SYN is "refused"), whenever the client notices. */
START_TEST(test_reset_accept)
{
	struct run	run;
	int		i;

	for (i = 0; i < 5; i++) {
		probe(&run, "reset-accept", NULL);
		ck_assert_msg(run.r->outcome == SMTPPROBE_OUTCOME_RESET,
		    "got %s in %s (%s)", oname(run.r->outcome),
		    pname(run.r->phase), run.r->detail);
		/* Even when the RST beats the client's check of the
		 * connect (SO_ERROR is then ECONNRESET): the connect
		 * succeeded, the banner never came. */
		ck_assert_msg(run.r->phase == SMTPPROBE_PHASE_BANNER,
		    "phase %s", pname(run.r->phase));
		ck_assert_int_eq(run.r->connected, 1);
		EXPECT_FAST(&run);
		run_end(&run);
	}
}
END_TEST

/*
 * SIGPIPE is never raised: the server resets right after the greeting
 * (the client's EHLO goes to a reset socket), right after the STARTTLS 220
 * (the ClientHello goes through the TLS BIO), after a partial greeting
 * (the read consumes the error, so a later write gets EPIPE), and inside
 * TLS (a cleanup close_notify would get EPIPE).  SIGPIPE has its default
 * action here, so a raised one kills the test.
 */
static const struct {
	const char		*scenario;
	enum smtpprobe_mode	 mode;
	enum smtpprobe_phase	 phase;
} resets[] = {
	{ "reset-greeting", SMTPPROBE_MODE_STARTTLS, SMTPPROBE_PHASE_COUNT },
	{ "reset-starttls", SMTPPROBE_MODE_STARTTLS, SMTPPROBE_PHASE_COUNT },
	/* banner, even when the RST beats the client's check of the
	 * connect (SO_ERROR is then ECONNRESET) */
	{ "reset-partial", SMTPPROBE_MODE_STARTTLS, SMTPPROBE_PHASE_BANNER },
	{ "reset-ehlo-tls", SMTPPROBE_MODE_STARTTLS,
	    SMTPPROBE_PHASE_EHLO_TLS },
	{ "reset-tls-banner", SMTPPROBE_MODE_TLS, SMTPPROBE_PHASE_BANNER },
};

START_TEST(test_sigpipe)
{
	struct run	run;
	struct opts	o = { .mode = resets[_i].mode };
	int		i;

	for (i = 0; i < 5; i++) {	/* timing varies: a few times */
		probe(&run, resets[_i].scenario, &o);
		ck_assert_msg(run.r->outcome == SMTPPROBE_OUTCOME_RESET,
		    "%s: %s in %s (%s)", resets[_i].scenario,
		    oname(run.r->outcome), pname(run.r->phase),
		    run.r->detail);
		if (resets[_i].phase != SMTPPROBE_PHASE_COUNT)
			ck_assert_msg(run.r->phase == resets[_i].phase,
			    "%s: phase %s", resets[_i].scenario,
			    pname(run.r->phase));
		EXPECT_FAST(&run);
		run_end(&run);
	}
	/* Still alive: no SIGPIPE. */
	ck_assert(signal(SIGPIPE, SIG_DFL) == SIG_DFL);
}
END_TEST

/* A server that never speaks: timeout in banner, at the deadline. */
START_TEST(test_silent)
{
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_STARTTLS,
	    .timeout = 1 * SEC };

	probe(&run, "silent", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_TIMEOUT,
	    SMTPPROBE_PHASE_BANNER);
	ck_assert_msg(run.elapsed >= 950 * MS &&
	    run.elapsed < 1 * SEC + SLACK,
	    "took %lld ms for a 1 s deadline",
	    (long long)run.elapsed / 1000);
	ck_assert_int_ge(run.r->phase_us[SMTPPROBE_PHASE_BANNER], 900 * MS);
	ck_assert_int_eq(run.r->phase_us[SMTPPROBE_PHASE_EHLO], -1);
	/* The client did not talk first. */
	NOT_SAW(&run, "EARLY");
	expect_phases(run.r, PH(RESOLVE) | PH(CONNECT) | PH(BANNER) |
	    PH(TOTAL));
	run_end(&run);
}
END_TEST

/* Silent at a TLS step: timeout in that phase, at the deadline. */
static const struct {
	const char		*scenario;
	enum smtpprobe_mode	 mode;
	enum smtpprobe_phase	 phase;
} silents[] = {
	{ "tlssilent", SMTPPROBE_MODE_STARTTLS,
	    SMTPPROBE_PHASE_TLS_HANDSHAKE },
	{ "tlssilent-tls", SMTPPROBE_MODE_TLS, SMTPPROBE_PHASE_TLS_HANDSHAKE },
	{ "ehlo-tls-silent", SMTPPROBE_MODE_STARTTLS,
	    SMTPPROBE_PHASE_EHLO_TLS },
};

START_TEST(test_silent_tls)
{
	struct run	run;
	struct opts	o = { .mode = silents[_i].mode, .timeout = 1 * SEC };

	probe(&run, silents[_i].scenario, &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_TIMEOUT, silents[_i].phase);
	ck_assert_msg(run.elapsed >= 950 * MS &&
	    run.elapsed < 1 * SEC + SLACK,
	    "took %lld ms for a 1 s deadline",
	    (long long)run.elapsed / 1000);
	ck_assert_int_ge(run.r->phase_us[silents[_i].phase], 0);
	run_end(&run);
}
END_TEST

/* A server that never reads: the probe times out in EHLO, in time. */
START_TEST(test_noread)
{
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_STARTTLS,
	    .timeout = 1 * SEC };

	probe(&run, "noread", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_TIMEOUT, SMTPPROBE_PHASE_EHLO);
	ck_assert_msg(run.elapsed < 1 * SEC + SLACK, "took %lld ms",
	    (long long)run.elapsed / 1000);
	run_end(&run);
}
END_TEST

/* A port nobody listens on (bound, then closed). */
START_TEST(test_refused)
{
	struct smtpprobe_ctx	*ctx;
	struct smtpprobe_params	 pa;
	struct smtpprobe	*p;
	const struct smtpprobe_result *r;
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	char			 err[256];
	int			 fd;
	int64_t			 t0;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	close(fd);

	ctx = smtpprobe_ctx_new(err, sizeof(err));
	ck_assert_ptr_nonnull(ctx);
	memset(&pa, 0, sizeof(pa));
	pa.host = "127.0.0.1";
	pa.port = ntohs(sin.sin_port);
	pa.mode = SMTPPROBE_MODE_STARTTLS;
	t0 = smtpprobe_now();
	pa.deadline = t0 + DEFAULT_TIMEOUT;
	p = smtpprobe_new(ctx, &pa, err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	drive_step(p, pa.deadline);
	r = smtpprobe_result(p);
	ck_assert_msg(r->outcome == SMTPPROBE_OUTCOME_REFUSED &&
	    r->phase == SMTPPROBE_PHASE_CONNECT, "got %s in %s (%s)",
	    oname(r->outcome), pname(r->phase), r->detail);
	ck_assert_int_eq(r->sys_errno, ECONNREFUSED);
	ck_assert_int_eq(r->connected, 0);
	ck_assert_str_eq(r->address, "127.0.0.1");
	expect_phases(r, PH(RESOLVE) | PH(CONNECT) | PH(TOTAL));
	ck_assert(smtpprobe_now() - t0 < FAST);
	ck_assert_int_eq(smtpprobe_result_unanswered(r), 1);
	smtpprobe_free(p);
	smtpprobe_ctx_free(ctx);
}
END_TEST

/* ---- addresses (RFC 5321 §5, RFC 8305) --------------------------------- */

/*
 * A listener on addr:port that never accepts: backlog 0, filled by one
 * connection, so further SYNs are dropped (a firewall's DROP, on
 * loopback).  fds[0] the listener, fds[1..2] the fillers.
 */
static void
drop_listener(const char *addr, uint16_t port, int fds[3])
{
	struct sockaddr_in	sin;
	int			i;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
	fds[0] = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fds[0], 0);
	ck_assert_int_eq(bind(fds[0], (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	ck_assert_int_eq(listen(fds[0], 0), 0);
	for (i = 1; i < 3; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		ck_assert_int_ge(fds[i], 0);
		(void)connect(fds[i], (struct sockaddr *)&sin, sizeof(sin));
	}
	usleep(20000);	/* let the first filler land in the queue */
}

/* Run a probe of run->fake's port with explicit addresses. */
static void
probe_addresses(struct run *run, const char *const *addrs, size_t n,
    int64_t timeout)
{
	struct smtpprobe_params	pa;
	struct opts		o = { .mode = SMTPPROBE_MODE_PLAIN,
	    .timeout = timeout };
	char			err[256];
	int64_t			t0;

	t0 = smtpprobe_now();	/* the deadline's base: see run_probe() */
	make_params(&pa, run, &o, t0);
	pa.addresses = addrs;
	pa.naddresses = n;
	run->p = smtpprobe_new(run->ctx, &pa, err, sizeof(err));
	ck_assert_msg(run->p != NULL, "%s", err);
	drive_step(run->p, pa.deadline);
	run->elapsed = smtpprobe_now() - t0;
	run->r = smtpprobe_result(run->p);
	server_settle(run);
}

/* The first address refuses: the second is tried and wins. */
START_TEST(test_addresses_refused_first)
{
	static const char *const addrs[] = { "127.0.0.2", "127.0.0.1" };
	struct run	run;

	run_fake(&run, "notls", 0);
	probe_addresses(&run, addrs, 2, 0);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_str_eq(run.r->address, "127.0.0.1");
	ck_assert_int_eq(run.r->addresses_tried, 2);
	EXPECT_FAST(&run);
	run_end(&run);
}
END_TEST

/* The first address drops the SYN: after 250 ms the second is tried
 * and wins; the dropped one does not eat the deadline. */
START_TEST(test_addresses_dropped_first)
{
	static const char *const addrs[] = { "127.0.0.3", "127.0.0.1" };
	struct run	run;
	int		fds[3], i;

	run_fake(&run, "notls", 0);
	drop_listener("127.0.0.3", fake_port(run.fake), fds);
	probe_addresses(&run, addrs, 2, 0);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_str_eq(run.r->address, "127.0.0.1");
	ck_assert_int_eq(run.r->addresses_tried, 2);
	ck_assert_int_ge(run.r->phase_us[SMTPPROBE_PHASE_CONNECT], 240 * MS);
	ck_assert_msg(run.elapsed < FAST, "took %lld ms",
	    (long long)run.elapsed / 1000);
	for (i = 0; i < 3; i++)
		close(fds[i]);
	run_end(&run);
}
END_TEST

/* A dropped SYN and nothing else: timeout in connect, at the deadline. */
START_TEST(test_connect_timeout)
{
	static const char *const addrs[] = { "127.0.0.3" };
	struct run	run;
	int		fds[3], i;

	run_fake(&run, "notls", 0);
	drop_listener("127.0.0.3", fake_port(run.fake), fds);
	probe_addresses(&run, addrs, 1, 800 * MS);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_TIMEOUT,
	    SMTPPROBE_PHASE_CONNECT);
	ck_assert_msg(run.elapsed >= 750 * MS &&
	    run.elapsed < 800 * MS + SLACK,
	    "took %lld ms for an 800 ms deadline",
	    (long long)run.elapsed / 1000);
	ck_assert_int_eq(run.r->connected, 0);
	ck_assert_int_eq(smtpprobe_result_unanswered(run.r), 1);
	expect_phases(run.r, PH(RESOLVE) | PH(CONNECT) | PH(TOTAL));
	for (i = 0; i < 3; i++)
		close(fds[i]);
	run_end(&run);
}
END_TEST

/* -6 with only an IPv4 literal: resolve_failed, nothing sent. */
START_TEST(test_family_mismatch)
{
	struct run		 run;
	struct smtpprobe_params	 pa;
	struct opts		 o = { .mode = SMTPPROBE_MODE_PLAIN };
	char			 err[256];

	run_fake(&run, "notls", 0);
	make_params(&pa, &run, &o, smtpprobe_now());
	pa.family = AF_INET6;
	run.p = smtpprobe_new(run.ctx, &pa, err, sizeof(err));
	ck_assert_msg(run.p != NULL, "%s", err);
	drive_step(run.p, pa.deadline);
	run.r = smtpprobe_result(run.p);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_RESOLVE_FAILED,
	    SMTPPROBE_PHASE_RESOLVE);
	ck_assert_int_eq(run.r->phase_us[SMTPPROBE_PHASE_CONNECT], -1);
	fake_poll(run.fake);
	ck_assert_uint_eq(fake_count(run.fake, 0, "accept"), 0);
	run_end(&run);
}
END_TEST

/* IPv6: ::1, and the EHLO literal is [IPv6:::1] (RFC 5321 §4.1.3). */
START_TEST(test_ipv6)
{
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_PLAIN, .host = "::1" };
	char		err[256], hn[256], want[300];

	memset(&run, 0, sizeof(run));
	signal(SIGPIPE, SIG_DFL);
	run.fake = fake_start_at("notls", "::1", 0, err, sizeof(err));
	ck_assert_msg(run.fake != NULL, "%s", err);
	run.ctx = smtpprobe_ctx_new(err, sizeof(err));
	ck_assert_ptr_nonnull(run.ctx);
	run_probe(&run, &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_str_eq(run.r->address, "::1");
	memset(hn, 0, sizeof(hn));
	ck_assert_int_eq(gethostname(hn, sizeof(hn) - 1), 0);
	if (strchr(hn, '.') != NULL)
		snprintf(want, sizeof(want), "C: EHLO %s", hn);
	else
		snprintf(want, sizeof(want), "C: EHLO [IPv6:::1]");
	SAW(&run, want);
	run_end(&run);
}
END_TEST

/* smtpprobe_cancel: timeout in the current phase, now. */
START_TEST(test_cancel)
{
	struct run		 run;
	struct smtpprobe_params	 pa;
	struct opts		 o = { .mode = SMTPPROBE_MODE_STARTTLS };
	char			 err[256];
	int64_t			 now;
	int			 i, r = SMTPPROBE_WANT_IO;

	run_fake(&run, "silent", 0);
	make_params(&pa, &run, &o, smtpprobe_now());
	run.p = smtpprobe_new(run.ctx, &pa, err, sizeof(err));
	ck_assert_msg(run.p != NULL, "%s", err);
	/* Step until connected and waiting for the greeting. */
	for (i = 0; i < 50; i++) {
		struct pollfd	fds[SMTPPROBE_MAX_POLLFDS];
		size_t		n;

		r = smtpprobe_step(run.p, smtpprobe_now());
		ck_assert_int_eq(r, SMTPPROBE_WANT_IO);
		if (smtpprobe_result(run.p)->connected)
			break;
		n = smtpprobe_pollfds(run.p, fds, SMTPPROBE_MAX_POLLFDS);
		(void)poll(fds, n, 20);
	}
	usleep(50000);
	ck_assert_int_eq(smtpprobe_step(run.p, smtpprobe_now()),
	    SMTPPROBE_WANT_IO);
	now = smtpprobe_now();
	smtpprobe_cancel(run.p, now);
	ck_assert_int_eq(smtpprobe_step(run.p, now), SMTPPROBE_DONE);
	run.r = smtpprobe_result(run.p);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_TIMEOUT,
	    SMTPPROBE_PHASE_BANNER);
	ck_assert_int_ge(run.r->phase_us[SMTPPROBE_PHASE_BANNER], 40 * MS);
	ck_assert_int_eq(smtpprobe_step(run.p, smtpprobe_now()),
	    SMTPPROBE_DONE);
	ck_assert_int_eq(fake_wait(run.fake, 1, 2000), 0);
	run_end(&run);
}
END_TEST

/* ---- certificates ------------------------------------------------------ */

static const struct {
	const char		*scenario;
	enum smtpprobe_mode	 mode;
	enum smtpprobe_outcome	 outcome;
	unsigned		 flags;		/* SMTPPROBE_VERIFY_* */
	const char		*cn;
	int			 verr;		/* an X509_V_ERR_* */
} certs[] = {
	{ "expired", SMTPPROBE_MODE_STARTTLS, SMTPPROBE_OUTCOME_CERT_EXPIRED,
	    SMTPPROBE_VERIFY_EXPIRED, "mail.fake.test",
	    X509_V_ERR_CERT_HAS_EXPIRED },
	{ "expired-tls", SMTPPROBE_MODE_TLS, SMTPPROBE_OUTCOME_CERT_EXPIRED,
	    SMTPPROBE_VERIFY_EXPIRED, "mail.fake.test",
	    X509_V_ERR_CERT_HAS_EXPIRED },
	{ "notyetvalid", SMTPPROBE_MODE_STARTTLS,
	    SMTPPROBE_OUTCOME_CERT_NOT_YET_VALID,
	    SMTPPROBE_VERIFY_NOT_YET_VALID, "mail.fake.test",
	    X509_V_ERR_CERT_NOT_YET_VALID },
	{ "notyetvalid-tls", SMTPPROBE_MODE_TLS,
	    SMTPPROBE_OUTCOME_CERT_NOT_YET_VALID,
	    SMTPPROBE_VERIFY_NOT_YET_VALID, "mail.fake.test",
	    X509_V_ERR_CERT_NOT_YET_VALID },
	{ "selfsigned", SMTPPROBE_MODE_STARTTLS,
	    SMTPPROBE_OUTCOME_CERT_UNTRUSTED, SMTPPROBE_VERIFY_UNTRUSTED,
	    "mail.fake.test", X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT },
	{ "selfsigned-tls", SMTPPROBE_MODE_TLS,
	    SMTPPROBE_OUTCOME_CERT_UNTRUSTED, SMTPPROBE_VERIFY_UNTRUSTED,
	    "mail.fake.test", X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT },
	/* The verify name is the IP literal: an IP SAN mismatch. */
	{ "wrongname", SMTPPROBE_MODE_STARTTLS,
	    SMTPPROBE_OUTCOME_CERT_NAME_MISMATCH,
	    SMTPPROBE_VERIFY_NAME_MISMATCH, "other.fake.test",
	    X509_V_ERR_IP_ADDRESS_MISMATCH },
	{ "wrongname-tls", SMTPPROBE_MODE_TLS,
	    SMTPPROBE_OUTCOME_CERT_NAME_MISMATCH,
	    SMTPPROBE_VERIFY_NAME_MISMATCH, "other.fake.test",
	    X509_V_ERR_IP_ADDRESS_MISMATCH },
};

/* Is err among the recorded verification errors? */
static int
has_verify_error(const struct smtpprobe_cert *c, int err)
{
	int	i;

	for (i = 0; i < c->nverify_errors && i < SMTPPROBE_MAX_VERIFY_ERRORS;
	    i++)
		if (c->verify_errors[i] == err)
			return 1;
	return 0;
}

/* The handshake completes, every fact is reported, the verdict is the
 * certificate's; the verify name is the IP literal (IP SAN). */
START_TEST(test_cert)
{
	struct run			 run;
	struct opts			 o = { .mode = certs[_i].mode };
	const struct smtpprobe_result	*r;
	time_t				 now = time(NULL);

	probe(&run, certs[_i].scenario, &o);
	r = run.r;
	EXPECT_OUTCOME(&run, certs[_i].outcome,
	    SMTPPROBE_PHASE_TLS_HANDSHAKE);
	expect_cert_facts(r, certs[_i].cn);
	ck_assert_int_eq(r->cert.verified, 0);
	ck_assert_int_eq(r->cert.verify_checked, 1);
	ck_assert_msg(r->cert.verify_flags == certs[_i].flags,
	    "verify flags 0x%x, want 0x%x", r->cert.verify_flags,
	    certs[_i].flags);
	ck_assert_int_ge(r->cert.nverify_errors, 1);
	ck_assert_msg(has_verify_error(&r->cert, certs[_i].verr),
	    "X509_V_ERR %d not recorded (first %d, %d errors)",
	    certs[_i].verr, r->cert.verify_errors[0],
	    r->cert.nverify_errors);
	ck_assert(r->cert.verify_text[0] != '\0');
	if (certs[_i].flags == SMTPPROBE_VERIFY_EXPIRED)
		ck_assert(r->cert.not_after < now - 29 * 86400);
	if (certs[_i].flags == SMTPPROBE_VERIFY_NOT_YET_VALID)
		ck_assert(r->cert.not_before > now + 29 * 86400);
	if (certs[_i].flags == SMTPPROBE_VERIFY_UNTRUSTED) {
		ck_assert_int_eq(r->cert.chain_length, 1);
		ck_assert_str_eq(r->cert.issuer, r->cert.subject);
	}
	if (certs[_i].flags == SMTPPROBE_VERIFY_NAME_MISMATCH)
		ck_assert_msg(strstr(r->cert.sans, "DNS:other.fake.test") !=
		    NULL && strstr(r->cert.sans, "mail.fake.test") == NULL,
		    "sans %s", r->cert.sans);
	SAW(&run, "TLS: ok");
	EXPECT_FAST(&run);
	run_end(&run);
}
END_TEST

/* Several findings at once are all recorded; the outcome is the first
 * of expired, not yet valid, untrusted, name mismatch. */
START_TEST(test_cert_precedence)
{
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_STARTTLS,
	    .verify_name = "nomatch.example.org" };

	probe(&run, "expired", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_CERT_EXPIRED,
	    SMTPPROBE_PHASE_TLS_HANDSHAKE);
	ck_assert_uint_eq(run.r->cert.verify_flags, SMTPPROBE_VERIFY_EXPIRED |
	    SMTPPROBE_VERIFY_NAME_MISMATCH);
	ck_assert_int_ge(run.r->cert.nverify_errors, 2);
	ck_assert(has_verify_error(&run.r->cert,
	    X509_V_ERR_CERT_HAS_EXPIRED));
	ck_assert(has_verify_error(&run.r->cert,
	    X509_V_ERR_HOSTNAME_MISMATCH));
	run_end(&run);

	probe(&run, "selfsigned", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_CERT_UNTRUSTED,
	    SMTPPROBE_PHASE_TLS_HANDSHAKE);
	ck_assert_uint_eq(run.r->cert.verify_flags,
	    SMTPPROBE_VERIFY_UNTRUSTED | SMTPPROBE_VERIFY_NAME_MISMATCH);
	run_end(&run);
}
END_TEST

/* A name verify name matches a DNS SAN; a wrong one does not. */
START_TEST(test_verify_name)
{
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_STARTTLS,
	    .verify_name = "mail.fake.test" };

	probe(&run, "good", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_int_eq(run.r->cert.verified, 1);
	run_end(&run);

	o.verify_name = "other.fake.test";
	probe(&run, "good", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_CERT_NAME_MISMATCH,
	    SMTPPROBE_PHASE_TLS_HANDSHAKE);
	ck_assert_uint_eq(run.r->cert.verify_flags,
	    SMTPPROBE_VERIFY_NAME_MISMATCH);
	run_end(&run);
}
END_TEST

/* SNI (RFC 6066 §3) is the verify name, never an IP literal; an explicit
 * SNI overrides it.  Checked on the server's side. */
START_TEST(test_sni)
{
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_STARTTLS };

	probe(&run, "good", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	SAW(&run, "TLS: ok");
	SAW(&run, " sni=-");
	run_end(&run);

	o.verify_name = "mail.fake.test";
	probe(&run, "good", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	SAW(&run, " sni=mail.fake.test");
	run_end(&run);

	o.mode = SMTPPROBE_MODE_TLS;
	o.sni = "sni.fake.test";
	probe(&run, "tls", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	SAW(&run, " sni=sni.fake.test");
	ck_assert_int_eq(run.r->cert.verified, 1);	/* by verify name */
	run_end(&run);
}
END_TEST

/* An intermediate that expires before the leaf: the chain's earliest
 * notAfter is the intermediate's (the plugin's --cert-days judges it). */
START_TEST(test_cert_chain_earliest)
{
	static const char *const scen[] = { "soonchain", "soonchain-tls" };
	struct run	run;
	struct opts	o;
	time_t		now = time(NULL);

	memset(&o, 0, sizeof(o));
	o.mode = _i == 0 ? SMTPPROBE_MODE_STARTTLS : SMTPPROBE_MODE_TLS;
	probe(&run, scen[_i], &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_int_eq(run.r->cert.verified, 1);
	ck_assert_int_eq(run.r->cert.chain_length, 2);
	ck_assert(run.r->cert.not_after > now + 360 * 86400);
	ck_assert_msg(run.r->cert.chain_earliest_not_after > now + 4 * 86400 &&
	    run.r->cert.chain_earliest_not_after < now + 6 * 86400,
	    "chain earliest %lld, now %lld",
	    (long long)run.r->cert.chain_earliest_not_after, (long long)now);
	ck_assert_msg(strstr(run.r->cert.issuer, "intermediate") != NULL,
	    "issuer %s", run.r->cert.issuer);
	run_end(&run);
}
END_TEST

/* An expired intermediate: cert_expired although the leaf is valid; the
 * chain's earliest notAfter is in the past. */
START_TEST(test_cert_expired_chain)
{
	static const char *const scen[] = { "expiredchain",
	    "expiredchain-tls" };
	struct run	run;
	struct opts	o;
	time_t		now = time(NULL);

	memset(&o, 0, sizeof(o));
	o.mode = _i == 0 ? SMTPPROBE_MODE_STARTTLS : SMTPPROBE_MODE_TLS;
	probe(&run, scen[_i], &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_CERT_EXPIRED,
	    SMTPPROBE_PHASE_TLS_HANDSHAKE);
	ck_assert(run.r->cert.verify_flags & SMTPPROBE_VERIFY_EXPIRED);
	ck_assert(has_verify_error(&run.r->cert,
	    X509_V_ERR_CERT_HAS_EXPIRED));
	ck_assert(run.r->cert.not_after > now + 360 * 86400);
	ck_assert(run.r->cert.chain_earliest_not_after < now - 9 * 86400);
	ck_assert_int_eq(run.r->cert.chain_length, 2);
	run_end(&run);
}
END_TEST

/* The classic missing intermediate: untrusted, facts still there. */
START_TEST(test_cert_no_chain)
{
	static const char *const scen[] = { "nochain", "nochain-tls" };
	struct run	run;
	struct opts	o;

	memset(&o, 0, sizeof(o));
	o.mode = _i == 0 ? SMTPPROBE_MODE_STARTTLS : SMTPPROBE_MODE_TLS;
	probe(&run, scen[_i], &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_CERT_UNTRUSTED,
	    SMTPPROBE_PHASE_TLS_HANDSHAKE);
	ck_assert_uint_eq(run.r->cert.verify_flags,
	    SMTPPROBE_VERIFY_UNTRUSTED);
	ck_assert(has_verify_error(&run.r->cert,
	    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY));
	ck_assert_int_eq(run.r->cert.chain_length, 1);
	expect_cert_facts(run.r, "mail.fake.test");
	run_end(&run);
}
END_TEST

/* The system trust store does not know the fake's CA. */
START_TEST(test_untrusted_system_store)
{
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_TLS, .no_ca = 1 };

	probe(&run, "tls", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_CERT_UNTRUSTED,
	    SMTPPROBE_PHASE_TLS_HANDSHAKE);
	ck_assert(run.r->cert.verify_flags & SMTPPROBE_VERIFY_UNTRUSTED);
	run_end(&run);
}
END_TEST

/* 10 days left: ok, and the dates say so. */
START_TEST(test_cert_soon)
{
	struct run	run;
	time_t		now = time(NULL);

	probe(&run, "soon", NULL);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_int_eq(run.r->cert.verified, 1);
	ck_assert(run.r->cert.not_after > now + 9 * 86400 &&
	    run.r->cert.not_after < now + 11 * 86400);
	ck_assert_int_eq(run.r->cert.chain_earliest_not_after,
	    run.r->cert.not_after);
	run_end(&run);
}
END_TEST

/* --no-verify: ok, and the facts are still there. */
START_TEST(test_insecure)
{
	static const char *const scen[] = { "expired", "selfsigned",
	    "wrongname", "expired-tls" };
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_STARTTLS,
	    .flags = SMTPPROBE_F_INSECURE_NO_VERIFY };
	size_t		i;

	for (i = 0; i < sizeof(scen) / sizeof(scen[0]); i++) {
		o.mode = strstr(scen[i], "-tls") ? SMTPPROBE_MODE_TLS :
		    SMTPPROBE_MODE_STARTTLS;
		probe(&run, scen[i], &o);
		EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK,
		    SMTPPROBE_PHASE_TOTAL);
		ck_assert_int_eq(run.r->cert.present, 1);
		ck_assert_int_eq(run.r->cert.verify_checked, 0);
		ck_assert(run.r->cert.fingerprint_sha256[0] != '\0');
		ck_assert(run.r->cert.not_after > 0);
		ck_assert_int_eq(run.r->ehlo_tls.code,
		    o.mode == SMTPPROBE_MODE_STARTTLS ? 250 : 0);
		run_end(&run);
	}
}
END_TEST

/* A TLS 1.0/1.1-only server: below the default minimum 1.2 ... */
START_TEST(test_min_tls_default)
{
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_STARTTLS };

	probe(&run, "tls10", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_TLS_FAILED,
	    SMTPPROBE_PHASE_TLS_HANDSHAKE);
	ck_assert_msg(strstr(run.r->detail, "no common TLS version >= 1.2")
	    != NULL, "detail %s", run.r->detail);
	EXPECT_FAST(&run);
	run_end(&run);

	o.mode = SMTPPROBE_MODE_TLS;
	probe(&run, "tls10-tls", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_TLS_FAILED,
	    SMTPPROBE_PHASE_TLS_HANDSHAKE);
	ck_assert_msg(strstr(run.r->detail, "no common TLS version >= 1.2")
	    != NULL, "detail %s", run.r->detail);
	run_end(&run);
}
END_TEST

/* ... and with the minimum lowered to 1.0 the handshake happens. */
START_TEST(test_min_tls_10)
{
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_STARTTLS,
	    .min_tls = SMTPPROBE_TLS_1_0 };

	probe(&run, "tls10", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_msg(strcmp(run.r->tls_version, "TLSv1.1") == 0 ||
	    strcmp(run.r->tls_version, "TLSv1") == 0, "version %s",
	    run.r->tls_version);
	ck_assert_int_eq(run.r->cert.verified, 1);
	run_end(&run);
}
END_TEST

/* A TLS 1.2-only server: ok by default (TLSv1.2); min 1.3 refuses it. */
START_TEST(test_min_tls_13)
{
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_TLS };

	probe(&run, "tls12-tls", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_str_eq(run.r->tls_version, "TLSv1.2");
	ck_assert_int_eq(run.r->cert.verified, 1);
	run_end(&run);

	o.min_tls = SMTPPROBE_TLS_1_3;
	o.mode = SMTPPROBE_MODE_STARTTLS;
	probe(&run, "tls12", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_TLS_FAILED,
	    SMTPPROBE_PHASE_TLS_HANDSHAKE);
	ck_assert_msg(strstr(run.r->detail, "no common TLS version >= 1.3")
	    != NULL, "detail %s", run.r->detail);
	EXPECT_FAST(&run);
	run_end(&run);
}
END_TEST

/* A CA file that does not exist is our failure (a call error or
 * internal), never a silent fallback or a certificate verdict. */
START_TEST(test_missing_ca_file)
{
	struct run		 run;
	struct smtpprobe_params	 pa;
	struct opts		 o = { .mode = SMTPPROBE_MODE_TLS };
	char			 err[256];

	run_fake(&run, "tls", 0);
	make_params(&pa, &run, &o, smtpprobe_now());
	pa.ca_file = "/nonexistent/fakesmtp/ca.crt";
	run.p = smtpprobe_new(run.ctx, &pa, err, sizeof(err));
	if (run.p != NULL) {
		drive_step(run.p, pa.deadline);
		run.r = smtpprobe_result(run.p);
		EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_INTERNAL,
		    SMTPPROBE_PHASE_TLS_HANDSHAKE);
		/* A clear error: the file, or why it cannot be read. */
		ck_assert_msg(strstr(run.r->detail, "ca.crt") != NULL ||
		    strstr(run.r->detail, "No such file") != NULL,
		    "unclear detail: %s", run.r->detail);
	} else
		ck_assert_msg(strstr(err, "ca.crt") != NULL, "err %s", err);
	smtpprobe_free(run.p);
	smtpprobe_ctx_free(run.ctx);
	fake_stop(run.fake);
}
END_TEST

/* ---- EHLO name (RFC 5321 §4.1.3) --------------------------------------- */

START_TEST(test_ehlo_name_given)
{
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_STARTTLS,
	    .ehlo_name = "probe.example.org" };

	probe(&run, "good", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_uint_eq(fake_count(run.fake, 1,
	    "C: EHLO probe.example.org"), 2);
	run_end(&run);
}
END_TEST

/* An EHLO name that would inject commands or break the line is a bad
 * parameter, refused before any packet. */
START_TEST(test_ehlo_name_bad)
{
	static const char *const bad[] = { "x\r\nQUIT", "a b", "x\n",
	    "-\x01-", "x\x7f" };
	struct smtpprobe_ctx	*ctx;
	struct smtpprobe_params	 pa;
	struct smtpprobe	*p;
	char			 err[256];
	size_t			 i;

	ctx = smtpprobe_ctx_new(err, sizeof(err));
	ck_assert_ptr_nonnull(ctx);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&pa, 0, sizeof(pa));
		pa.host = "127.0.0.1";
		pa.port = 25;
		pa.deadline = smtpprobe_now() + SEC;
		pa.ehlo_name = bad[i];
		err[0] = '\0';
		p = smtpprobe_new(ctx, &pa, err, sizeof(err));
		ck_assert_msg(p == NULL, "EHLO name #%zu accepted", i);
		ck_assert(err[0] != '\0');
	}
	smtpprobe_ctx_free(ctx);
}
END_TEST

/* No name: the machine's name if it has a dot, else [127.0.0.1]. */
START_TEST(test_ehlo_name_default)
{
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_PLAIN };
	char		hn[256], want[300];

	probe(&run, "helo", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	memset(hn, 0, sizeof(hn));
	ck_assert_int_eq(gethostname(hn, sizeof(hn) - 1), 0);
	if (strchr(hn, '.') != NULL)
		snprintf(want, sizeof(want), "C: EHLO %s", hn);
	else
		snprintf(want, sizeof(want), "C: EHLO [127.0.0.1]");
	SAW(&run, want);
	/* The HELO fallback uses the same name. */
	want[3] = 'H';
	want[4] = 'E';
	SAW(&run, want);
	run_end(&run);
}
END_TEST

/* ---- the raw step API and the loop ------------------------------------- */

/* A probe of a name without addresses asks for them. */
START_TEST(test_want_resolve)
{
	struct run		 run;
	struct smtpprobe_params	 pa;
	struct opts		 o = { .mode = SMTPPROBE_MODE_STARTTLS,
	    .host = "mail.fake.test", .verify_name = NULL };
	const char		*addrs[] = { "127.0.0.1" };
	char			 err[256];
	int64_t			 now;

	run_fake(&run, "good", 0);
	now = smtpprobe_now();
	make_params(&pa, &run, &o, now);
	run.p = smtpprobe_new(run.ctx, &pa, err, sizeof(err));
	ck_assert_msg(run.p != NULL, "%s", err);
	ck_assert_int_eq(smtpprobe_step(run.p, now), SMTPPROBE_WANT_RESOLVE);
	ck_assert_int_eq(smtpprobe_set_addresses(run.p, addrs, 1, 1234,
	    SMTPPROBE_OUTCOME_RESOLVE_FAILED, NULL), 0);
	drive_step(run.p, pa.deadline);
	run.r = smtpprobe_result(run.p);
	(void)fake_wait(run.fake, 1, 3000);
	/* Verified against the DNS SAN; SNI is the name. */
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_int_eq(run.r->phase_us[SMTPPROBE_PHASE_RESOLVE], 1234);
	ck_assert_str_eq(run.r->host, "mail.fake.test");
	ck_assert_str_eq(run.r->address, "127.0.0.1");
	run_end(&run);
}
END_TEST

START_TEST(test_loop_one)
{
	static const char *const scen[] = { "good", "tls", "deny" };
	static const enum smtpprobe_outcome want[] = {
	    SMTPPROBE_OUTCOME_OK, SMTPPROBE_OUTCOME_OK,
	    SMTPPROBE_OUTCOME_BANNER_REJECTED };
	struct run	run;
	struct opts	o = { .loop = 1 };

	o.mode = _i == 1 ? SMTPPROBE_MODE_TLS : SMTPPROBE_MODE_STARTTLS;
	probe(&run, scen[_i], &o);
	ck_assert_msg(run.r->outcome == want[_i], "%s: %s in %s (%s)",
	    scen[_i], oname(run.r->outcome), pname(run.r->phase),
	    run.r->detail);
	EXPECT_FAST(&run);
	SAW(&run, want[_i] == SMTPPROBE_OUTCOME_OK ? "C: EHLO" : "C: QUIT");
	run_end(&run);
}
END_TEST

START_TEST(test_loop_timeout)
{
	struct run	run;
	struct opts	o = { .mode = SMTPPROBE_MODE_STARTTLS,
	    .timeout = 700 * MS, .loop = 1 };

	probe(&run, "silent", &o);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_TIMEOUT,
	    SMTPPROBE_PHASE_BANNER);
	ck_assert_msg(run.elapsed >= 650 * MS &&
	    run.elapsed < 700 * MS + SLACK,
	    "took %lld ms for a 700 ms deadline",
	    (long long)run.elapsed / 1000);
	run_end(&run);
}
END_TEST

#define MANY	200

struct many {
	int	done;
	int	ok;
	char	first_bad[320];
};

static void
many_done(struct smtpprobe *p, void *arg)
{
	struct many			*m = arg;
	const struct smtpprobe_result	*r = smtpprobe_result(p);

	m->done++;
	if (r->outcome == SMTPPROBE_OUTCOME_OK && r->tls_up &&
	    r->cert.verified)
		m->ok++;
	else if (m->first_bad[0] == '\0')
		snprintf(m->first_bad, sizeof(m->first_bad), "%s in %s (%s)",
		    oname(r->outcome), pname(r->phase), r->detail);
	smtpprobe_free(p);
}

/* 200 STARTTLS probes at once through one loop against one server. */
START_TEST(test_loop_many)
{
	struct run			 run;
	struct opts			 o = {
	    .mode = SMTPPROBE_MODE_STARTTLS };
	struct smtpprobe_params		 pa;
	struct smtpprobe_loop		*loop;
	struct many			 m;
	char				 err[256];
	int				 i;

	memset(&m, 0, sizeof(m));
	run_fake(&run, "good", 0);
	loop = smtpprobe_loop_new(run.ctx, NULL, err, sizeof(err));
	ck_assert_msg(loop != NULL, "smtpprobe_loop_new: %s", err);
	make_params(&pa, &run, &o, smtpprobe_now());
	pa.deadline = smtpprobe_now() + 15 * SEC;
	pa.flags &= ~SMTPPROBE_F_TRACE;
	for (i = 0; i < MANY; i++) {
		struct smtpprobe *p = smtpprobe_new(run.ctx, &pa, err,
		    sizeof(err));

		ck_assert_msg(p != NULL, "%s", err);
		ck_assert_int_eq(smtpprobe_loop_add(loop, p, many_done, &m),
		    0);
	}
	ck_assert_uint_eq(smtpprobe_loop_pending(loop), MANY);
	while (m.done < MANY) {
		int r = smtpprobe_loop_run(loop, 500);

		ck_assert_msg(r >= 0, "%s", smtpprobe_loop_error(loop));
		ck_assert(smtpprobe_now() < pa.deadline + SEC);
	}
	ck_assert_msg(m.ok == MANY, "%d of %d ok; first failure: %s", m.ok,
	    MANY, m.first_bad);
	ck_assert_uint_eq(smtpprobe_loop_pending(loop), 0);
	smtpprobe_loop_free(loop);
	ck_assert_int_eq(fake_wait(run.fake, MANY, 5000), 0);
	ck_assert_uint_eq(fake_count(run.fake, 0, "TLS: ok"), MANY);
	ck_assert_uint_eq(fake_count(run.fake, 0, "C: QUIT"), MANY);
	ck_assert_uint_eq(fake_count(run.fake, 0, "EARLY"), 0);
	smtpprobe_ctx_free(run.ctx);
	fake_stop(run.fake);
}
END_TEST

/* Probe host through a loop whose resolver is the fake DNS server. */
static void
probe_via_dns(struct run *run, struct fakedns *dns, const char *host,
    int64_t timeout)
{
	struct smtpprobe_params	pa;
	struct opts		o = { .mode = SMTPPROBE_MODE_STARTTLS,
	    .host = host, .timeout = timeout };
	char			err[256];
	int64_t			t0;

	t0 = smtpprobe_now();	/* the deadline's base: see run_probe() */
	make_params(&pa, run, &o, t0);
	run->p = smtpprobe_new(run->ctx, &pa, err, sizeof(err));
	ck_assert_msg(run->p != NULL, "%s", err);
	drive_loop(run->ctx, run->p, pa.deadline, fakedns_server(dns));
	run->elapsed = smtpprobe_now() - t0;
	run->r = smtpprobe_result(run->p);
	server_settle(run);
}

static struct fakedns *
dns_start(void)
{
	struct fakedns	*dns;
	char		 err[256];

	dns = fakedns_start(err, sizeof(err));
	ck_assert_msg(dns != NULL, "fakedns_start: %s", err);
	ck_assert_int_eq(fakedns_add(dns, "mail.fake.test", FAKEDNS_A,
	    "127.0.0.1"), 0);
	ck_assert_int_eq(fakedns_add(dns, "servfail.fake.test",
	    FAKEDNS_SERVFAIL, NULL), 0);
	ck_assert_int_eq(fakedns_add(dns, "dead.fake.test", FAKEDNS_SILENT,
	    NULL), 0);
	return dns;
}

/* A name that does not exist: resolve_failed, in resolve, no connect. */
START_TEST(test_loop_dns_nxdomain)
{
	struct run	 run;
	struct fakedns	*dns = dns_start();

	run_fake(&run, "good", 0);
	probe_via_dns(&run, dns, "no-such-host.invalid", 5 * SEC);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_RESOLVE_FAILED,
	    SMTPPROBE_PHASE_RESOLVE);
	ck_assert_uint_ge(fakedns_queries(dns, "no-such-host.invalid", 0), 1);
	expect_phases(run.r, PH(RESOLVE) | PH(TOTAL));
	ck_assert_int_eq(run.r->connected, 0);
	EXPECT_FAST(&run);
	ck_assert_uint_eq(fake_count(run.fake, 0, "accept"), 0);
	run_end(&run);
	fakedns_stop(dns);
}
END_TEST

START_TEST(test_loop_dns_servfail)
{
	struct run	 run;
	struct fakedns	*dns = dns_start();

	run_fake(&run, "good", 0);
	probe_via_dns(&run, dns, "servfail.fake.test", 5 * SEC);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_RESOLVE_FAILED,
	    SMTPPROBE_PHASE_RESOLVE);
	EXPECT_FAST(&run);
	run_end(&run);
	fakedns_stop(dns);
}
END_TEST

/* A resolver that never answers: timeout in resolve, at the deadline. */
START_TEST(test_loop_dns_silent)
{
	struct run	 run;
	struct fakedns	*dns = dns_start();

	run_fake(&run, "good", 0);
	probe_via_dns(&run, dns, "dead.fake.test", 1 * SEC);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_TIMEOUT,
	    SMTPPROBE_PHASE_RESOLVE);
	ck_assert_msg(run.elapsed >= 950 * MS &&
	    run.elapsed < 1 * SEC + SLACK,
	    "took %lld ms for a 1 s deadline",
	    (long long)run.elapsed / 1000);
	run_end(&run);
	fakedns_stop(dns);
}
END_TEST

/* A name that resolves to the fake: ok, verified against the DNS SAN
 * (the verify name is the host name). */
START_TEST(test_loop_dns_ok)
{
	struct run	 run;
	struct fakedns	*dns = dns_start();

	run_fake(&run, "good", 0);
	probe_via_dns(&run, dns, "mail.fake.test", 5 * SEC);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_str_eq(run.r->address, "127.0.0.1");
	ck_assert_int_ge(run.r->phase_us[SMTPPROBE_PHASE_RESOLVE], 0);
	ck_assert_int_eq(run.r->cert.verified, 1);
	ck_assert_uint_ge(fakedns_queries(dns, "mail.fake.test", 1), 1);
	ORDER(&run, "TLS: ok", "C: QUIT");
	SAW(&run, " sni=mail.fake.test");
	run_end(&run);
	fakedns_stop(dns);
}
END_TEST

/* An IP literal never goes to DNS. */
START_TEST(test_loop_dns_literal)
{
	struct run	 run;
	struct fakedns	*dns = dns_start();

	run_fake(&run, "good", 0);
	probe_via_dns(&run, dns, "127.0.0.1", 5 * SEC);
	EXPECT_OUTCOME(&run, SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL);
	ck_assert_int_eq(run.r->phase_us[SMTPPROBE_PHASE_RESOLVE], 0);
	ck_assert_uint_eq(fakedns_queries(dns, NULL, 0), 0);
	run_end(&run);
	fakedns_stop(dns);
}
END_TEST

static Suite *
probe_suite(void)
{
	Suite	*s = suite_create("probe");
	TCase	*tc;

/*
 * Check's per-test timeouts only catch a hang the test's own bounds do not
 * (drive_step() fails a probe 1 s after its deadline): generous, so that
 * fake start-up, TLS and teardown on a busy 2-core machine never reach
 * them.  Scaled by CK_TIMEOUT_MULTIPLIER (sanitizer builds).
 */
#define HANG		30
#define HANG_LOOP	45	/* test_loop_many: 200 probes, 15 s deadline */
#define CASE(name, timeout) do {					\
	tc = tcase_create(name);					\
	tcase_set_timeout(tc, (timeout));				\
	suite_add_tcase(s, tc);						\
} while (0)

	CASE("good", HANG);
	tcase_add_test(tc, test_good_starttls);
	tcase_add_test(tc, test_good_tls);
	tcase_add_test(tc, test_good_plain);
	tcase_add_test(tc, test_lastline);
	tcase_add_test(tc, test_lowercase);
	tcase_add_test(tc, test_authplain);
	tcase_add_test(tc, test_multiline);
	tcase_add_test(tc, test_ehlo_multi);
	tcase_add_test(tc, test_starttls_multi);
	tcase_add_test(tc, test_slow);
	tcase_add_test(tc, test_drip);
	tcase_add_test(tc, test_barelf);
	tcase_add_test(tc, test_nul);
	tcase_add_test(tc, test_quitclose);
	tcase_add_test(tc, test_quitsilent);

	CASE("rejected", HANG);
	tcase_add_test(tc, test_deny);
	tcase_add_test(tc, test_busy);
	tcase_add_test(tc, test_ehlo_reject);
	tcase_add_test(tc, test_helo_reject);
	tcase_add_test(tc, test_helo_plain);
	tcase_add_test(tc, test_helo_starttls);
	tcase_add_test(tc, test_notls_starttls);
	tcase_add_test(tc, test_notls_plain);
	tcase_add_test(tc, test_starttls454);
	tcase_add_test(tc, test_tls5xx);

	CASE("hostile", HANG);
	tcase_add_loop_test(tc, test_not_smtp, 0,
	    (int)(sizeof(notsmtp) / sizeof(notsmtp[0])));
	tcase_add_test(tc, test_injection);
	tcase_add_test(tc, test_tlsgarbage);
	tcase_add_test(tc, test_tlsalert);
	tcase_add_test(tc, test_plaintext_tls);
	tcase_add_test(tc, test_endless);
	tcase_add_test(tc, test_longline);
	tcase_add_test(tc, test_bigreply);

	CASE("gone", HANG);
	tcase_add_loop_test(tc, test_close, 0,
	    (int)(sizeof(closes) / sizeof(closes[0])));
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_reset_accept);
	tcase_add_loop_test(tc, test_sigpipe, 0,
	    (int)(sizeof(resets) / sizeof(resets[0])));
	tcase_add_test(tc, test_silent);
	tcase_add_test(tc, test_noread);
	tcase_add_loop_test(tc, test_silent_tls, 0,
	    (int)(sizeof(silents) / sizeof(silents[0])));
	tcase_add_test(tc, test_refused);

	CASE("cert", HANG);
	tcase_add_loop_test(tc, test_cert, 0,
	    (int)(sizeof(certs) / sizeof(certs[0])));
	tcase_add_test(tc, test_cert_precedence);
	tcase_add_test(tc, test_verify_name);
	tcase_add_test(tc, test_untrusted_system_store);
	tcase_add_test(tc, test_sni);
	tcase_add_loop_test(tc, test_cert_chain_earliest, 0, 2);
	tcase_add_loop_test(tc, test_cert_expired_chain, 0, 2);
	tcase_add_loop_test(tc, test_cert_no_chain, 0, 2);
	tcase_add_test(tc, test_cert_soon);
	tcase_add_test(tc, test_insecure);
	tcase_add_test(tc, test_min_tls_default);
	tcase_add_test(tc, test_min_tls_10);
	tcase_add_test(tc, test_min_tls_13);
	tcase_add_test(tc, test_missing_ca_file);

	CASE("addresses", HANG);
	tcase_add_test(tc, test_addresses_refused_first);
	tcase_add_test(tc, test_addresses_dropped_first);
	tcase_add_test(tc, test_connect_timeout);
	tcase_add_test(tc, test_family_mismatch);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_cancel);

	CASE("ehlo_name", HANG);
	tcase_add_test(tc, test_ehlo_name_given);
	tcase_add_test(tc, test_ehlo_name_default);
	tcase_add_test(tc, test_ehlo_name_bad);

	CASE("loop", HANG_LOOP);
	tcase_add_test(tc, test_want_resolve);
	tcase_add_loop_test(tc, test_loop_one, 0, 3);
	tcase_add_test(tc, test_loop_timeout);
	tcase_add_test(tc, test_loop_many);
	tcase_add_test(tc, test_loop_dns_nxdomain);
	tcase_add_test(tc, test_loop_dns_servfail);
	tcase_add_test(tc, test_loop_dns_silent);
	tcase_add_test(tc, test_loop_dns_ok);
	tcase_add_test(tc, test_loop_dns_literal);
#undef CASE
	return s;
}
CHECK_SUITE(probe_suite)
