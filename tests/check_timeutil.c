/*
 * check_timeutil.c: monotonic time and saturating microsecond arithmetic
 * (lib/timeutil.c), and the policy table of smtpprobe_policy_met()
 * (lib/policy.c, PRODUCT.md's state table reduced to met / not met).
 */
#include <stdint.h>
#include <string.h>

#include "suite.h"
#include "smtpprobe.h"
#include "timeutil.h"

struct arith {
	int64_t	a, b, sum, diff;
};

static const struct arith ariths[] = {
	{ 0, 0, 0, 0 },
	{ 1, 2, 3, -1 },
	{ -5, 3, -2, -8 },
	{ INT64_MAX, 1, INT64_MAX, INT64_MAX - 1 },
	{ INT64_MAX, INT64_MAX, INT64_MAX, 0 },
	{ INT64_MIN, -1, INT64_MIN, INT64_MIN + 1 },
	{ INT64_MIN, 1, INT64_MIN + 1, INT64_MIN },
	{ 0, INT64_MIN, INT64_MIN, INT64_MAX },
	{ -1, INT64_MAX, INT64_MAX - 1, INT64_MIN },
	{ 1000000, -2000000, -1000000, 3000000 },
};

START_TEST(test_time_arith)
{
	const struct arith	*t = &ariths[_i];

	ck_assert_msg(timeutil_add(t->a, t->b) == t->sum, "row %d add", _i);
	ck_assert_msg(timeutil_sub(t->a, t->b) == t->diff, "row %d sub", _i);
	ck_assert_int_eq(timeutil_min(t->a, t->b), t->a < t->b ? t->a : t->b);
}
END_TEST

struct pollrow {
	int64_t	when, now;
	int	ms;
};

static const struct pollrow pollrows[] = {
	{ INT64_MAX, 0, -1 },		/* no timer */
	{ 100, 200, 0 },		/* passed */
	{ 200, 200, 0 },		/* now */
	{ 201, 200, 1 },		/* 1 µs: round up, never spin */
	{ 1200, 200, 1 },
	{ 1201, 200, 2 },
	{ 2500000, 0, 2500 },
	{ INT64_MAX - 1, 0, INT32_MAX },	/* clamped */
	{ 0, INT64_MIN, INT32_MAX },	/* difference overflows: saturated */
};

START_TEST(test_time_poll_ms)
{
	const struct pollrow	*t = &pollrows[_i];

	ck_assert_int_eq(timeutil_poll_ms(t->when, t->now), t->ms);
}
END_TEST

START_TEST(test_time_misc)
{
	struct timespec	ts = { 5, 123456789 }, back;
	int64_t		a, b;

	ck_assert_int_eq(timeutil_from_timespec(&ts), 5123456);
	back = timeutil_to_timespec(5123456);
	ck_assert_int_eq(back.tv_sec, 5);
	ck_assert_int_eq(back.tv_nsec, 123456000);
	back = timeutil_to_timespec(-7);
	ck_assert_int_eq(back.tv_sec, 0);
	ck_assert_int_eq(back.tv_nsec, 0);
	ck_assert_int_eq(timeutil_remaining(100, 40), 60);
	ck_assert_int_eq(timeutil_remaining(100, 140), 0);
	ck_assert_int_eq(timeutil_remaining(INT64_MAX, -10), INT64_MAX);
	ck_assert(timeutil_seconds(1500000) == 1.5);
	/* The clock is monotonic and in microseconds (not ns, not ms). */
	a = smtpprobe_now();
	b = smtpprobe_now();
	ck_assert_int_gt(a, 0);
	ck_assert_int_ge(b, a);
	ck_assert_int_lt(b - a, 1000000);
}
END_TEST

/* ---- policy --------------------------------------------------------- */

struct polrow {
	enum smtpprobe_outcome	outcome;
	enum smtpprobe_phase	phase;
	int			unanswered;
	int			required, optional, closed;
};

#define O(x)	SMTPPROBE_OUTCOME_##x
#define P(x)	SMTPPROBE_PHASE_##x

static const struct polrow polrows[] = {
	{ O(OK), P(TOTAL), 0, 1, 1, 0 },
	{ O(REFUSED), P(CONNECT), 1, 0, 1, 1 },
	{ O(UNREACHABLE), P(CONNECT), 1, 0, 1, 1 },
	{ O(TIMEOUT), P(CONNECT), 1, 0, 1, 1 },
	{ O(TIMEOUT), P(BANNER), 0, 0, 0, 0 },
	{ O(TIMEOUT), P(TLS_HANDSHAKE), 0, 0, 0, 0 },
	{ O(TIMEOUT), P(RESOLVE), 0, 0, 0, 0 },
	{ O(RESOLVE_FAILED), P(RESOLVE), 0, 0, 0, 0 },
	{ O(RESET), P(EHLO), 0, 0, 0, 0 },
	{ O(CLOSED), P(BANNER), 0, 0, 0, 0 },
	{ O(BANNER_REJECTED), P(BANNER), 0, 0, 0, 0 },
	{ O(PROTOCOL_ERROR), P(BANNER), 0, 0, 0, 0 },
	{ O(EHLO_REJECTED), P(EHLO), 0, 0, 0, 0 },
	{ O(STARTTLS_NOT_OFFERED), P(EHLO), 0, 0, 0, 0 },
	{ O(STARTTLS_REJECTED), P(STARTTLS), 0, 0, 0, 0 },
	{ O(TLS_FAILED), P(TLS_HANDSHAKE), 0, 0, 0, 0 },
	{ O(CERT_EXPIRED), P(TLS_HANDSHAKE), 0, 0, 0, 0 },
	{ O(CERT_NOT_YET_VALID), P(TLS_HANDSHAKE), 0, 0, 0, 0 },
	{ O(CERT_UNTRUSTED), P(TLS_HANDSHAKE), 0, 0, 0, 0 },
	{ O(CERT_NAME_MISMATCH), P(TLS_HANDSHAKE), 0, 0, 0, 0 },
	{ O(INTERNAL), P(CONNECT), 0, 0, 0, 0 },
	{ O(PENDING), P(CONNECT), 0, 0, 0, 0 },
};

START_TEST(test_policy_table)
{
	const struct polrow	*t = &polrows[_i];
	struct smtpprobe_result	 r;

	memset(&r, 0, sizeof(r));
	r.outcome = t->outcome;
	r.phase = t->phase;
	ck_assert_int_eq(smtpprobe_result_unanswered(&r), t->unanswered);
	ck_assert_int_eq(smtpprobe_policy_met(SMTPPROBE_POLICY_REQUIRED, &r),
	    t->required);
	ck_assert_int_eq(smtpprobe_policy_met(SMTPPROBE_POLICY_OPTIONAL, &r),
	    t->optional);
	ck_assert_int_eq(smtpprobe_policy_met(SMTPPROBE_POLICY_CLOSED, &r),
	    t->closed);
	ck_assert_int_eq(smtpprobe_policy_met(SMTPPROBE_POLICY_COUNT, &r), 0);
}
END_TEST

START_TEST(test_policy_null)
{
	ck_assert_int_eq(smtpprobe_result_unanswered(NULL), 0);
	ck_assert_int_eq(smtpprobe_policy_met(SMTPPROBE_POLICY_OPTIONAL,
	    NULL), 0);
}
END_TEST

static Suite *
timeutil_suite(void)
{
	Suite	*s = suite_create("timeutil");
	TCase	*tc = tcase_create("time");
	TCase	*tp = tcase_create("policy");

	tcase_add_loop_test(tc, test_time_arith, 0,
	    (int)(sizeof(ariths) / sizeof(ariths[0])));
	tcase_add_loop_test(tc, test_time_poll_ms, 0,
	    (int)(sizeof(pollrows) / sizeof(pollrows[0])));
	tcase_add_test(tc, test_time_misc);
	suite_add_tcase(s, tc);
	tcase_add_loop_test(tp, test_policy_table, 0,
	    (int)(sizeof(polrows) / sizeof(polrows[0])));
	tcase_add_test(tp, test_policy_null);
	suite_add_tcase(s, tp);
	return s;
}
CHECK_SUITE(timeutil_suite)
