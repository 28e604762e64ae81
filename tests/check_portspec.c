/*
 * check_portspec.c: the "PORT[/MODE][:POLICY],..." parser and formatter
 * (lib/portspec.c): every valid form with its defaults, every bad form
 * with a reason.
 */
#include <string.h>

#include "suite.h"
#include "smtpprobe.h"

#define MAXP	8

struct good {
	const char			*list;
	size_t				 n;
	struct smtpprobe_portspec	 want[4];
};

#define RQ	SMTPPROBE_POLICY_REQUIRED
#define OP	SMTPPROBE_POLICY_OPTIONAL
#define CL	SMTPPROBE_POLICY_CLOSED
#define PL	SMTPPROBE_MODE_PLAIN
#define ST	SMTPPROBE_MODE_STARTTLS
#define TL	SMTPPROBE_MODE_TLS

static const struct good goods[] = {
	{ "587", 1, { { 587, ST, RQ } } },
	{ "465", 1, { { 465, TL, RQ } } },
	{ "25", 1, { { 25, ST, RQ } } },
	{ "1", 1, { { 1, ST, RQ } } },
	{ "65535", 1, { { 65535, ST, RQ } } },
	{ "00025", 1, { { 25, ST, RQ } } },
	{ "0000000000000025", 1, { { 25, ST, RQ } } },
	{ "25/plain", 1, { { 25, PL, RQ } } },
	{ "465/starttls", 1, { { 465, ST, RQ } } },
	{ "587/tls", 1, { { 587, TL, RQ } } },
	{ "25:optional", 1, { { 25, ST, OP } } },
	{ "465:closed", 1, { { 465, TL, CL } } },
	{ "25/plain:closed", 1, { { 25, PL, CL } } },
	{ "25/STARTTLS:Required", 1, { { 25, ST, RQ } } },
	{ " 25 , 465 ", 2, { { 25, ST, RQ }, { 465, TL, RQ } } },
	{ "\t587/starttls:required,\t465/tls:optional", 2,
	    { { 587, ST, RQ }, { 465, TL, OP } } },
	{ SMTPPROBE_DEFAULT_PORTS, 4, { { 587, ST, RQ }, { 465, TL, OP },
	    { 25, ST, OP }, { 2525, ST, OP } } },
	{ SMTPPROBE_MX_DEFAULT_PORTS, 1, { { 25, ST, RQ } } },
};

struct bad {
	const char	*list;
	const char	*why;		/* substring of the error */
};

static const struct bad bads[] = {
	{ "", "empty port list" },
	{ "   ", "empty port list" },
	{ ",", "empty item" },
	{ "25,", "empty item" },
	{ ",25", "empty item" },
	{ "25,,465", "empty item" },
	{ "25, ,465", "empty item" },
	{ "0", "1 to 65535" },
	{ "65536", "1 to 65535" },
	{ "99999999999999999999", "1 to 65535" },
	{ "-25", "not a number" },
	{ "+25", "not a number" },
	{ "abc", "not a number" },
	{ "25x", "not a number" },
	{ "0x19", "not a number" },
	{ "/tls", "not a number" },
	{ ":optional", "not a number" },
	{ "25/foo", "unknown mode" },
	{ "25/", "unknown mode" },
	{ "25/tls/plain", "unknown mode" },
	{ "25/starttlsstarttls", "unknown mode" },
	{ "25:bar", "unknown policy" },
	{ "25:", "unknown policy" },
	{ "25:optional:closed", "PORT[/MODE][:POLICY]" },
	{ "25:optional/tls", "PORT[/MODE][:POLICY]" },
	{ "25,25", "port 25 listed twice" },
	{ "25/plain,25/tls", "port 25 listed twice" },
	{ "25 /tls", "blank inside" },
	{ "25/ tls", "blank inside" },
	{ "2 5", "blank inside" },
	{ "25;465", "not a number" },
	{ "1,2,3,4,5,6,7,8,9", "too many ports (at most 8)" },
	{ "25\n", "not a number" },
	{ "\xff\xfe|", "\\xff\\xfe/" },	/* the quoted item is sanitised */
};

START_TEST(test_portspec_good)
{
	const struct good		*g = &goods[_i];
	struct smtpprobe_portspec	 out[MAXP];
	char				 err[256] = "", buf[64], again[64];
	size_t				 n = 99, i, n2;

	ck_assert_msg(smtpprobe_portspec_parse(g->list, out, MAXP, &n, err,
	    sizeof(err)) == 0, "\"%s\": %s", g->list, err);
	ck_assert_uint_eq(n, g->n);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(out[i].port, g->want[i].port);
		ck_assert_int_eq(out[i].mode, g->want[i].mode);
		ck_assert_int_eq(out[i].policy, g->want[i].policy);
		/* format, then parse again: the same spec. */
		smtpprobe_portspec_format(&out[i], buf, sizeof(buf));
		ck_assert_int_eq(smtpprobe_portspec_parse(buf, out + MAXP - 1,
		    1, &n2, err, sizeof(err)), 0);
		ck_assert_uint_eq(out[MAXP - 1].port, out[i].port);
		ck_assert_int_eq(out[MAXP - 1].mode, out[i].mode);
		ck_assert_int_eq(out[MAXP - 1].policy, out[i].policy);
		smtpprobe_portspec_format(&out[MAXP - 1], again, sizeof(again));
		ck_assert_str_eq(buf, again);
	}
}
END_TEST

START_TEST(test_portspec_bad)
{
	const struct bad		*b = &bads[_i];
	struct smtpprobe_portspec	 out[MAXP];
	char				 err[256] = "";
	size_t				 n = 99;

	ck_assert_msg(smtpprobe_portspec_parse(b->list, out, MAXP, &n, err,
	    sizeof(err)) == -1, "\"%s\" accepted", b->list);
	ck_assert_uint_eq(n, 0);
	ck_assert_msg(strstr(err, b->why) != NULL, "\"%s\": \"%s\" lacks "
	    "\"%s\"", b->list, err, b->why);
	ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

START_TEST(test_portspec_edges)
{
	struct smtpprobe_portspec	 out[MAXP], ps = { 587, ST, RQ };
	char				 err[8], buf[32];
	size_t				 n;

	/* NULL arguments are errors, not crashes; a short err truncates. */
	ck_assert_int_eq(smtpprobe_portspec_parse(NULL, out, MAXP, &n, err,
	    sizeof(err)), -1);
	ck_assert_uint_lt(strlen(err), sizeof(err));
	ck_assert_int_eq(smtpprobe_portspec_parse("25", out, MAXP, NULL, NULL,
	    0), -1);
	ck_assert_int_eq(smtpprobe_portspec_parse("25", out, 0, &n, NULL, 0),
	    -1);
	ck_assert_int_eq(smtpprobe_portspec_parse("25/foo", out, MAXP, &n,
	    NULL, 0), -1);
	/* Exactly max items is fine. */
	ck_assert_int_eq(smtpprobe_portspec_parse("1,2", out, 2, &n, NULL, 0),
	    0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(smtpprobe_portspec_format(&ps, buf, sizeof(buf)),
	    "587/starttls:required");
	smtpprobe_portspec_format(&ps, buf, 5);
	ck_assert_str_eq(buf, "587/");
}
END_TEST

/* A reason truncated by a small err buffer never ends in half a UTF-8
 * character (the item is quoted in it). */
START_TEST(test_portspec_err_truncation)
{
	struct smtpprobe_portspec	 out[MAXP];
	char				 err[64], again[128];
	size_t				 n, len, k;

	for (len = 1; len <= sizeof(err); len++) {
		ck_assert_int_eq(smtpprobe_portspec_parse("25/\xc3\xbc\xc3\xbc"
		    "\xc3\xbc\xc3\xbc\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
		    "\xf0\x9f\x93\xa7\xf0\x9f\x93\xa7", out, MAXP, &n, err,
		    len), -1);
		k = strlen(err);
		ck_assert_uint_lt(k, len);
		/* Valid UTF-8 without controls passes sanitising unchanged. */
		ck_assert_uint_eq(smtpprobe_sanitize(again, sizeof(again), err,
		    k), k);
		ck_assert_msg(strcmp(again, err) == 0, "len %zu: \"%s\"", len,
		    err);
	}
}
END_TEST

static Suite *
portspec_suite(void)
{
	Suite	*s = suite_create("portspec");
	TCase	*tc = tcase_create("portspec");

	tcase_add_loop_test(tc, test_portspec_good, 0,
	    (int)(sizeof(goods) / sizeof(goods[0])));
	tcase_add_loop_test(tc, test_portspec_bad, 0,
	    (int)(sizeof(bads) / sizeof(bads[0])));
	tcase_add_test(tc, test_portspec_edges);
	tcase_add_test(tc, test_portspec_err_truncation);
	suite_add_tcase(s, tc);
	return s;
}
CHECK_SUITE(portspec_suite)
