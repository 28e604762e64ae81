/*
 * check_plugin_range.c: the Nagios range parser and the alert decision
 * (plugin/range.c, plugin/number.c): every form, every bad form, the
 * boundaries.
 */
#include <math.h>
#include <string.h>

#include "suite.h"
#include "number.h"
#include "range.h"

static const struct {
	const char	*s;
	int		 start_inf, end_inf, inside;
	double		 start, end;
} good[] = {
	{ "10",		0, 0, 0, 0, 10 },
	{ "10:",	0, 1, 0, 10, 0 },
	{ "~:10",	1, 0, 0, 0, 10 },
	{ "10:20",	0, 0, 0, 10, 20 },
	{ "@10:20",	0, 0, 1, 10, 20 },
	{ "@10",	0, 0, 1, 0, 10 },
	{ "0.5",	0, 0, 0, 0, 0.5 },
	{ ".5",		0, 0, 0, 0, 0.5 },
	{ "5.",		0, 0, 0, 0, 5 },
	{ "-5:-1",	0, 0, 0, -5, -1 },
	{ "-1:",	0, 1, 0, -1, 0 },
	{ "~:",		1, 1, 0, 0, 0 },
	{ "@~:0.25",	1, 0, 1, 0, 0.25 },
	{ "0:0",	0, 0, 0, 0, 0 },
	{ ":3",		0, 0, 0, 0, 3 },
	{ "+2:+4",	0, 0, 0, 2, 4 },
};

START_TEST(test_range_good)
{
	struct range	 r;
	char		 err[128];

	ck_assert_int_eq(range_parse(good[_i].s, &r, err, sizeof(err)), 0);
	ck_assert_int_eq(r.set, 1);
	ck_assert_int_eq(r.start_inf, good[_i].start_inf);
	ck_assert_int_eq(r.end_inf, good[_i].end_inf);
	ck_assert_int_eq(r.inside, good[_i].inside);
	if (!r.start_inf)
		ck_assert_double_eq_tol(r.start, good[_i].start, 1e-9);
	if (!r.end_inf)
		ck_assert_double_eq_tol(r.end, good[_i].end, 1e-9);
	ck_assert_str_eq(r.text, good[_i].s);
}
END_TEST

static const char *const bad[] = {
	"", "abc", "10:5", "@", ":", "1:2:3", "~", "~:~", "10:~", "1e3",
	"0x10", "inf", "nan", "1,5", " 10", "10 ", "--1", "1..2", ".", "-",
	"@@1", "~1:2", "12345678901234567890123456789012345",
	"1:abc", "5:-5",
	"0123456789012345678901234567890123456789012345678901234567890123",
};

START_TEST(test_range_bad)
{
	struct range	 r;
	char		 err[128];

	memset(&r, 0x55, sizeof(r));
	err[0] = '\0';
	ck_assert_int_eq(range_parse(bad[_i], &r, err, sizeof(err)), -1);
	ck_assert_int_eq(r.set, 0);
	ck_assert_msg(strncmp(err, "bad range", 9) == 0, "reason: %s", err);
	ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

static const struct {
	const char	*s;
	double		 v;
	int		 alert;
} alerts[] = {
	/* "10": alert if < 0 or > 10 */
	{ "10", 10, 0 }, { "10", 10.000001, 1 }, { "10", 0, 0 },
	{ "10", -0.000001, 1 }, { "10", 5, 0 },
	/* "10:": alert if < 10 */
	{ "10:", 9.999, 1 }, { "10:", 10, 0 }, { "10:", 1e9, 0 },
	/* "~:10": alert if > 10 */
	{ "~:10", -1e9, 0 }, { "~:10", 10, 0 }, { "~:10", 10.5, 1 },
	/* "10:20": outside */
	{ "10:20", 9, 1 }, { "10:20", 10, 0 }, { "10:20", 20, 0 },
	{ "10:20", 21, 1 },
	/* "@10:20": inside, bounds included */
	{ "@10:20", 9.99, 0 }, { "@10:20", 10, 1 }, { "@10:20", 15, 1 },
	{ "@10:20", 20, 1 }, { "@10:20", 20.01, 0 },
	/* decimals as the plugin uses them (seconds) */
	{ "0.5", 0.5, 0 }, { "0.5", 0.500001, 1 },
	{ "~:", 1e300, 0 }, { "@~:", 0, 1 },
	{ "-5:-1", -3, 0 }, { "-5:-1", 0, 1 },
};

START_TEST(test_range_alert)
{
	struct range	 r;

	ck_assert_int_eq(range_parse(alerts[_i].s, &r, NULL, 0), 0);
	ck_assert_msg(range_alert(&r, alerts[_i].v) == alerts[_i].alert,
	    "range %s value %g: want alert %d", alerts[_i].s, alerts[_i].v,
	    alerts[_i].alert);
}
END_TEST

START_TEST(test_range_unset)
{
	struct range	 r;

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(range_alert(&r, 1e300), 0);
	ck_assert_int_eq(range_alert(NULL, 1), 0);
}
END_TEST

START_TEST(test_number)
{
	double	 d;
	long	 l;

	ck_assert_int_eq(number_parse_double("2.5", 3, &d), 0);
	ck_assert_double_eq_tol(d, 2.5, 1e-12);
	ck_assert_int_eq(number_parse_double("2.5x", 3, &d), 0);
	ck_assert_int_eq(number_parse_double("2.5x", 4, &d), -1);
	ck_assert_int_eq(number_parse_double("1e5", 3, &d), -1);
	ck_assert_int_eq(number_parse_double("", 0, &d), -1);
	ck_assert_int_eq(number_parse_long("42", 0, 100, &l), 0);
	ck_assert_int_eq(l, 42);
	ck_assert_int_eq(number_parse_long("101", 0, 100, &l), -1);
	ck_assert_int_eq(number_parse_long("-1", 0, 100, &l), -1);
	ck_assert_int_eq(number_parse_long("4 2", 0, 100, &l), -1);
	ck_assert_int_eq(number_parse_long("+4", 0, 100, &l), -1);
	ck_assert_int_eq(number_parse_long("99999999999999999999", 0,
	    100, &l), -1);
	ck_assert_int_eq(number_parse_long("", 0, 100, &l), -1);
	ck_assert_int_eq(number_parse_long("-", -5, 100, &l), -1);
}
END_TEST

static Suite *
plugin_range_suite(void)
{
	Suite	*s = suite_create("plugin_range");
	TCase	*tc = tcase_create("range");

	tcase_add_loop_test(tc, test_range_good, 0,
	    (int)(sizeof(good) / sizeof(good[0])));
	tcase_add_loop_test(tc, test_range_bad, 0,
	    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_loop_test(tc, test_range_alert, 0,
	    (int)(sizeof(alerts) / sizeof(alerts[0])));
	tcase_add_test(tc, test_range_unset);
	tcase_add_test(tc, test_number);
	suite_add_tcase(s, tc);
	return s;
}
CHECK_SUITE(plugin_range_suite)
