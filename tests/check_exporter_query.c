/*
 * check_exporter_query.c: the /probe allowlist (table of rules x hosts),
 * query-string parsing (table of odd inputs) and the timeout derived
 * from X-Prometheus-Scrape-Timeout-Seconds.
 */
#include <stdio.h>
#include <string.h>

#include "suite.h"
#include "../exporter/allow.h"
#include "../exporter/query.h"

/* --- allowlist ------------------------------------------------------- */

static const struct {
	const char	*rules;		/* space-separated; "" = loopback */
	const char	*host;
	enum allow_verdict want;
} allow_rows[] = {
	/* no config: loopback only */
	{ "", "127.0.0.1", ALLOW_VERDICT_YES },
	{ "", "127.255.0.9", ALLOW_VERDICT_YES },
	{ "", "::1", ALLOW_VERDICT_YES },
	{ "", "::ffff:127.0.0.1", ALLOW_VERDICT_YES },	/* v4-mapped */
	{ "", "localhost", ALLOW_VERDICT_YES },
	{ "", "LOCALHOST.", ALLOW_VERDICT_YES },
	{ "", "128.0.0.1", ALLOW_VERDICT_NO },
	{ "", "::2", ALLOW_VERDICT_NO },
	{ "", "::ffff:10.0.0.1", ALLOW_VERDICT_NO },
	{ "", "mail.example.org", ALLOW_VERDICT_RESOLVE },
	/* name patterns */
	{ "*.example.org", "mx.example.org", ALLOW_VERDICT_YES },
	{ "*.example.org", "a.b.EXAMPLE.org.", ALLOW_VERDICT_YES },
	{ "*.example.org", "example.org", ALLOW_VERDICT_NO },
	{ "*.example.org", "badexample.org", ALLOW_VERDICT_NO },
	{ "*.example.org", "example.org.evil.net", ALLOW_VERDICT_NO },
	{ "*.example.org", "192.0.2.1", ALLOW_VERDICT_NO },
	{ "mx.example.org", "mx.example.org", ALLOW_VERDICT_YES },
	{ "mx.example.org", "mx2.example.org", ALLOW_VERDICT_NO },
	/* a name-only list never needs DNS to deny */
	{ "*.example.org mx.example.net", "other.test", ALLOW_VERDICT_NO },
	/* CIDRs */
	{ "192.0.2.0/24", "192.0.2.77", ALLOW_VERDICT_YES },
	{ "192.0.2.0/24", "192.0.3.1", ALLOW_VERDICT_NO },
	{ "192.0.2.0/24", "mail.example.org", ALLOW_VERDICT_RESOLVE },
	{ "192.0.2.7", "192.0.2.7", ALLOW_VERDICT_YES },
	{ "192.0.2.7", "192.0.2.8", ALLOW_VERDICT_NO },
	{ "0.0.0.0/0", "203.0.113.9", ALLOW_VERDICT_YES },
	{ "0.0.0.0/0", "2001:db8::1", ALLOW_VERDICT_NO },
	{ "2001:db8::/32", "2001:db8:ffff::25", ALLOW_VERDICT_YES },
	{ "2001:db8::/32", "2001:db9::25", ALLOW_VERDICT_NO },
	{ "2001:db8::/33", "2001:db8:8000::1", ALLOW_VERDICT_NO },
	{ "10.1.2.3/8", "10.200.0.1", ALLOW_VERDICT_YES },	/* masked */
	/* everything */
	{ "*", "anything.example", ALLOW_VERDICT_YES },
	{ "*", "198.51.100.1", ALLOW_VERDICT_YES },
	/* garbage hosts */
	{ "*.example.org", "x..example.org", ALLOW_VERDICT_NO },
	{ "*.example.org", "x/example.org", ALLOW_VERDICT_NO },
};

static void
allow_build(struct allow_list *a, const char *rules)
{
	char	 buf[256], err[128], *p, *sp;

	allow_init(a);
	if (*rules == '\0') {
		ck_assert_int_eq(allow_set_loopback(a), 0);
		return;
	}
	snprintf(buf, sizeof(buf), "%s", rules);
	for (p = buf; p != NULL; p = sp) {
		if ((sp = strchr(p, ' ')) != NULL)
			*sp++ = '\0';
		ck_assert_msg(allow_add(a, p, err, sizeof(err)) == 0,
		    "rule %s: %s", p, err);
	}
}

START_TEST(test_allow)
{
	struct allow_list	 a;

	allow_build(&a, allow_rows[_i].rules);
	ck_assert_msg(allow_check(&a, allow_rows[_i].host) ==
	    allow_rows[_i].want, "row %d: %s vs %s", _i, allow_rows[_i].rules,
	    allow_rows[_i].host);
	allow_free(&a);
}
END_TEST

START_TEST(test_allow_addresses)
{
	struct allow_list	 a;
	const char		*in[] = { "192.0.2.1", "2001:db8::1" };
	const char		*out[] = { "192.0.2.1", "198.51.100.1" };

	allow_build(&a, "192.0.2.0/24 2001:db8::/32 *.example.org");
	ck_assert_int_eq(allow_addresses(&a, in, 2), 1);
	/* one address outside is enough to deny */
	ck_assert_int_eq(allow_addresses(&a, out, 2), 0);
	ck_assert_int_eq(allow_addresses(&a, in, 0), 0);
	allow_free(&a);
}
END_TEST

START_TEST(test_allow_bad)
{
	static const char *const bad[] = {
		"192.0.2.0/33", "192.0.2.0/", "192.0.2.0/-1", "1.2.3/8",
		"::ffff:1.2.3.4/104", "2001:db8::/200", "*.", "a*b.example",
		"**.example", "", "exa mple", "host:25",
	};
	struct allow_list	 a;
	char			 err[128];
	size_t			 i;

	allow_init(&a);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(allow_add(&a, bad[i], err, sizeof(err)) == -1,
		    "\"%s\" accepted", bad[i]);
		ck_assert_msg(err[0] != '\0', "no reason for %s", bad[i]);
	}
	ck_assert_uint_eq(a.n, 0);
	allow_free(&a);
}
END_TEST

/* --- query ----------------------------------------------------------- */

static const struct {
	const char	*qs;
	const char	*target;	/* NULL: must fail */
	const char	*module;
	int		 nports;	/* -1: no ports= */
	int		 debug;
	const char	*why;		/* substring of the error */
} q_rows[] = {
	{ "target=mx.example.org", "mx.example.org", "default", -1, 0, NULL },
	{ "target=127.0.0.1&ports=587,465/tls:optional&module=sub&debug=true",
	    "127.0.0.1", "sub", 2, 1, NULL },
	{ "target=%5B2001%3Adb8%3A%3A1%5D", "2001:db8::1", "default", -1, 0,
	    NULL },
	{ "target=2001:db8::1", "2001:db8::1", "default", -1, 0, NULL },
	{ "ports=25&target=a.example&x=1&&", "a.example", "default", 1, 0,
	    NULL },
	{ "target=a.example&ports=25%2F", NULL, NULL, 0, 0, "bad ports" },
	{ "target=a.example&debug=0", "a.example", "default", -1, 0, NULL },
	{ "", NULL, NULL, 0, 0, "missing target" },
	{ "module=x", NULL, NULL, 0, 0, "missing target" },
	{ "target=", NULL, NULL, 0, 0, "empty target" },
	{ "target=a&target=b", NULL, NULL, 0, 0, "twice" },
	{ "target=a.example:25", NULL, NULL, 0, 0, "ports=" },
	{ "target=a%20b", NULL, NULL, 0, 0, "bad target" },
	{ "target=a%00b", NULL, NULL, 0, 0, "percent" },
	{ "target=a%zz", NULL, NULL, 0, 0, "percent" },
	{ "target=a%4", NULL, NULL, 0, 0, "percent" },
	{ "target=%3Cscript%3E", NULL, NULL, 0, 0, "bad target" },
	{ "target=-rf", NULL, NULL, 0, 0, "bad target" },
	{ "target=[1.2.3.4]", NULL, NULL, 0, 0, "IPv6" },
	{ "target=[::1", NULL, NULL, 0, 0, "bad target" },
	{ "target=a&ports=0", NULL, NULL, 0, 0, "bad ports" },
	{ "target=a&ports=", NULL, NULL, 0, 0, "bad ports" },
	{ "target=a&ports=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", NULL,
	    NULL, 0, 0, "bad ports" },
	{ "target=a&ports=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", "a",
	    "default", 16, 0, NULL },
	{ "target=a&ports=25&ports=26", NULL, NULL, 0, 0, "twice" },
	{ "target=a&debug=yesplease", NULL, NULL, 0, 0, "debug" },
	{ "target=a&module=", NULL, NULL, 0, 0, "module" },
};

START_TEST(test_query)
{
	struct query	 q;
	char		 err[256] = "";
	int		 rc;

	rc = query_parse(q_rows[_i].qs, &q, err, sizeof(err));
	if (q_rows[_i].target == NULL) {
		ck_assert_msg(rc == -1, "row %d accepted", _i);
		ck_assert_msg(strstr(err, q_rows[_i].why) != NULL,
		    "row %d: \"%s\" lacks \"%s\"", _i, err, q_rows[_i].why);
		ck_assert_ptr_null(strchr(err, '\n'));
		return;
	}
	ck_assert_msg(rc == 0, "row %d: %s", _i, err);
	ck_assert_str_eq(q.target, q_rows[_i].target);
	ck_assert_str_eq(q.module, q_rows[_i].module);
	ck_assert_int_eq(q.have_ports, q_rows[_i].nports >= 0);
	if (q_rows[_i].nports >= 0)
		ck_assert_int_eq((int)q.nports, q_rows[_i].nports);
	ck_assert_int_eq(q.debug, q_rows[_i].debug);
}
END_TEST

START_TEST(test_query_long)
{
	static char	 qs[QUERY_MAX_LEN + 64];
	struct query	 q;
	char		 err[256];

	memset(qs, 'a', sizeof(qs) - 1);
	memcpy(qs, "target=", 7);
	ck_assert_int_eq(query_parse(qs, &q, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "longer"));
	ck_assert_int_eq(query_parse(NULL, &q, err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_decode)
{
	char	 out[16];

	ck_assert_int_eq(query_decode("a+b%41", 6, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a bA");
	ck_assert_int_eq(query_decode("%", 1, out, sizeof(out)), -1);
	ck_assert_int_eq(query_decode("%4", 2, out, sizeof(out)), -1);
	ck_assert_int_eq(query_decode("%00", 3, out, sizeof(out)), -1);
	ck_assert_int_eq(query_decode("0123456789abcdef", 16, out,
	    sizeof(out)), -1);	/* no room for the NUL */
}
END_TEST

/* --- timeout --------------------------------------------------------- */

static const struct {
	const char	*hdr;
	int64_t		 offset, module, want;	/* want -1: error */
} t_rows[] = {
	{ NULL, 500000, 10000000, 10000000 },		/* module's */
	{ "10", 500000, 10000000, 9500000 },		/* minus offset */
	{ "4.5", 500000, 10000000, 4000000 },
	{ "30", 500000, 10000000, 10000000 },		/* capped */
	{ "0.55", 500000, 10000000, 100000 },		/* floor */
	{ "0.2", 500000, 10000000, 100000 },
	{ "1", 0, 10000000, 1000000 },
	{ " 2 ", 500000, 10000000, 1500000 },
	{ "5", 500000, 200000, 200000 },		/* module < all */
	{ "abc", 500000, 10000000, -1 },
	{ "", 500000, 10000000, -1 },
	{ "-1", 500000, 10000000, -1 },
	{ "0", 500000, 10000000, -1 },
	{ "nan", 500000, 10000000, -1 },
	{ "inf", 500000, 10000000, -1 },
	{ "1e999", 500000, 10000000, -1 },
	{ "5s", 500000, 10000000, -1 },
};

START_TEST(test_timeout)
{
	int64_t	 out = -42;
	char	 err[128];
	int	 rc;

	rc = query_timeout(t_rows[_i].hdr, t_rows[_i].offset,
	    t_rows[_i].module, &out, err, sizeof(err));
	if (t_rows[_i].want == -1) {
		ck_assert_msg(rc == -1, "row %d accepted", _i);
		ck_assert_ptr_nonnull(strstr(err, "X-Prometheus"));
	} else {
		ck_assert_msg(rc == 0, "row %d: %s", _i, err);
		ck_assert_int_eq(out, t_rows[_i].want);
	}
}
END_TEST

static Suite *
exporter_query_suite(void)
{
	Suite	*s = suite_create("exporter_query");
	TCase	*tc = tcase_create("allow");

	tcase_add_loop_test(tc, test_allow, 0,
	    sizeof(allow_rows) / sizeof(allow_rows[0]));
	tcase_add_test(tc, test_allow_addresses);
	tcase_add_test(tc, test_allow_bad);
	suite_add_tcase(s, tc);
	tc = tcase_create("query");
	tcase_add_loop_test(tc, test_query, 0, sizeof(q_rows) / sizeof(q_rows[0]));
	tcase_add_test(tc, test_query_long);
	tcase_add_test(tc, test_decode);
	tcase_add_loop_test(tc, test_timeout, 0,
	    sizeof(t_rows) / sizeof(t_rows[0]));
	suite_add_tcase(s, tc);
	return s;
}
CHECK_SUITE(exporter_query_suite)
