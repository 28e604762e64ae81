/*
 * check_caps.c: EHLO capability parsing (lib/caps.c), table-driven.  Each
 * row is a whole EHLO reply as it comes off the wire, run through the
 * reply parser and then caps_parse(), as the engine does.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "suite.h"
#include "smtpprobe.h"
#include "reply.h"
#include "caps.h"

struct row {
	const char	*name;
	const char	*reply;
	unsigned	 flags;
	const char	*auth;
	uint64_t	 size;
};

#define C_STARTTLS	SMTPPROBE_CAP_STARTTLS
#define C_AUTH		SMTPPROBE_CAP_AUTH
#define C_SIZE		SMTPPROBE_CAP_SIZE
#define C_PIPE		SMTPPROBE_CAP_PIPELINING
#define C_8BIT		SMTPPROBE_CAP_8BITMIME
#define C_UTF8		SMTPPROBE_CAP_SMTPUTF8
#define C_CHUNK		SMTPPROBE_CAP_CHUNKING
#define C_REQTLS	SMTPPROBE_CAP_REQUIRETLS
#define C_DSN		SMTPPROBE_CAP_DSN
#define C_ESC		SMTPPROBE_CAP_ENHANCEDSTATUSCODES

static const struct row rows[] = {
	{ "postfix",
	    "250-mail.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
	    "250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
	    "250-SMTPUTF8\r\n250 CHUNKING\r\n",
	    C_PIPE | C_SIZE | C_STARTTLS | C_ESC | C_8BIT | C_DSN | C_UTF8 |
	    C_CHUNK, "", 10240000 },
	{ "greeting_only", "250 mail.example.org\r\n", 0, "", 0 },
	{ "greeting_is_not_a_keyword", "250 STARTTLS\r\n", 0, "", 0 },
	{ "starttls_last_line", "250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n",
	    C_PIPE | C_STARTTLS, "", 0 },
	{ "lowercase", "250-mx\r\n250-starttls\r\n250-auth plain login\r\n"
	    "250-size 1000\r\n250 pipelining\r\n",
	    C_STARTTLS | C_AUTH | C_SIZE | C_PIPE, "PLAIN LOGIN", 1000 },
	{ "mixed_case", "250-mx\r\n250-StartTLS\r\n250 ReQuIrEtLs\r\n",
	    C_STARTTLS | C_REQTLS, "", 0 },
	{ "auth", "250-mx\r\n250 AUTH PLAIN LOGIN CRAM-MD5\r\n",
	    C_AUTH, "PLAIN LOGIN CRAM-MD5", 0 },
	{ "auth_legacy", "250-mx\r\n250 AUTH=PLAIN LOGIN\r\n",
	    C_AUTH, "PLAIN LOGIN", 0 },
	{ "auth_both_forms_dedup",
	    "250-mx\r\n250-AUTH PLAIN LOGIN\r\n"
	    "250 AUTH=LOGIN PLAIN XOAUTH2\r\n",
	    C_AUTH, "PLAIN LOGIN XOAUTH2", 0 },
	{ "auth_no_mechs", "250-mx\r\n250 AUTH\r\n", C_AUTH, "", 0 },
	{ "auth_bad_mechs",
	    "250-mx\r\n"
	    "250 AUTH PL\xc3\xa4IN THIS-NAME-IS-LONGER-THAN-20 OK\r\n",
	    C_AUTH, "OK", 0 },
	{ "auth_extra_blanks", "250-mx\r\n250 AUTH   plain\t\tlogin  \r\n",
	    C_AUTH, "PLAIN LOGIN", 0 },
	{ "size_none", "250-mx\r\n250 SIZE\r\n", C_SIZE, "", 0 },
	{ "size_zero", "250-mx\r\n250 SIZE 0\r\n", C_SIZE, "", 0 },
	{ "size_garbage", "250-mx\r\n250 SIZE 10M\r\n", C_SIZE, "", 0 },
	{ "size_negative", "250-mx\r\n250 SIZE -5\r\n", C_SIZE, "", 0 },
	{ "size_huge", "250-mx\r\n250 SIZE 99999999999999999999999\r\n",
	    C_SIZE, "", UINT64_MAX },
	{ "size_max", "250-mx\r\n250 SIZE 18446744073709551615\r\n",
	    C_SIZE, "", UINT64_MAX },
	{ "size_big", "250-mx\r\n250 SIZE 52428800000\r\n",
	    C_SIZE, "", 52428800000ULL },
	{ "unknown_keywords",
	    "250-mx\r\n250-VRFY\r\n250-XCLIENT NAME\r\n250-X-EXPS\r\n"
	    "250-STARTTLSX\r\n250-START\r\n250 BINARYMIME\r\n", 0, "", 0 },
	{ "keyword_equals_not_auth", "250-mx\r\n250 SIZE=100\r\n", 0, "", 0 },
	{ "leading_blank", "250-mx\r\n250  STARTTLS\r\n", C_STARTTLS, "", 0 },
	{ "empty_line", "250-mx\r\n250-\r\n250 DSN\r\n", C_DSN, "", 0 },
	{ "all", "250-mx\r\n250-STARTTLS\r\n250-AUTH X\r\n250-SIZE 1\r\n"
	    "250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-CHUNKING\r\n"
	    "250-REQUIRETLS\r\n250-DSN\r\n250 ENHANCEDSTATUSCODES\r\n",
	    (1u << SMTPPROBE_CAP_COUNT) - 1, "X", 1 },
	/* A keyword is alphanumeric (RFC 5321 §4.1.1.1): "STARTTLS\0junk"
	 * is not STARTTLS. */
	{ "nul_in_keyword", "250-mx\r\n250 STARTTLS\0junk\r\n", 0, "", 0 },
};

START_TEST(test_caps_rows)
{
	const struct row	*r = &rows[_i];
	struct reply		 rp;
	struct smtpprobe_caps	 caps;
	size_t			 len;

	len = strlen(r->reply);
	if (strcmp(r->name, "nul_in_keyword") == 0)
		len = strlen(r->reply) + 1 + strlen(r->reply +
		    strlen(r->reply) + 1);
	reply_init(&rp);
	ck_assert_msg(reply_feed(&rp, r->reply, len, NULL) == REPLY_DONE,
	    "%s: %s", r->name, reply_error(&rp));
	memset(&caps, 0xa5, sizeof(caps));
	caps_parse(&rp, &caps);
	ck_assert_int_eq(caps.present, 1);
	ck_assert_int_eq(caps.helo, 0);
	ck_assert_msg(caps.flags == r->flags, "%s: flags %#x want %#x",
	    r->name, caps.flags, r->flags);
	ck_assert_str_eq(caps.auth, r->auth);
	ck_assert_msg(caps.size == r->size, "%s: size %llu", r->name,
	    (unsigned long long)caps.size);
	reply_free(&rp);
}
END_TEST

/* caps_parse_lines() takes keyword lines only. */
START_TEST(test_caps_lines)
{
	const char *const	 lines[] = { "STARTTLS", NULL, "auth=login",
				    "SIZE 42" };
	struct smtpprobe_caps	 caps;

	caps_parse_lines(lines, 4, &caps);
	ck_assert_uint_eq(caps.flags, SMTPPROBE_CAP_STARTTLS |
	    SMTPPROBE_CAP_AUTH | SMTPPROBE_CAP_SIZE);
	ck_assert_str_eq(caps.auth, "LOGIN");
	ck_assert_uint_eq(caps.size, 42);
	caps_parse_lines(NULL, 0, &caps);
	ck_assert_int_eq(caps.present, 1);
	ck_assert_uint_eq(caps.flags, 0);
}
END_TEST

/* The AUTH list is bounded and never ends in half a name. */
START_TEST(test_caps_auth_overflow)
{
	char			 line[4096], mech[32];
	const char		*lines[1] = { line };
	struct smtpprobe_caps	 caps;
	size_t			 o, i, len;

	o = (size_t)snprintf(line, sizeof(line), "AUTH");
	for (i = 0; i < 200; i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o,
		    " MECH%03zu", i);
	caps_parse_lines(lines, 1, &caps);
	len = strlen(caps.auth);
	ck_assert_uint_lt(len, sizeof(caps.auth));
	ck_assert_uint_gt(len, sizeof(caps.auth) - 10);
	/* Every word is a whole "MECHnnn". */
	for (o = 0; o < len; o += 8) {
		snprintf(mech, sizeof(mech), "MECH%03zu", o / 8);
		ck_assert(strncmp(caps.auth + o, mech, 7) == 0);
	}
}
END_TEST

/* Capability names follow bit order. */
START_TEST(test_caps_names)
{
	ck_assert_str_eq(smtpprobe_cap_name(0), "STARTTLS");
	ck_assert_str_eq(smtpprobe_cap_name(1), "AUTH");
	ck_assert_str_eq(smtpprobe_cap_name(SMTPPROBE_CAP_COUNT - 1),
	    "ENHANCEDSTATUSCODES");
	ck_assert_str_eq(smtpprobe_cap_name(SMTPPROBE_CAP_COUNT), "?");
	ck_assert_str_eq(smtpprobe_cap_name(~0u), "?");
}
END_TEST

static Suite *
caps_suite(void)
{
	Suite	*s = suite_create("caps");
	TCase	*tc = tcase_create("rows");

	tcase_add_loop_test(tc, test_caps_rows, 0,
	    (int)(sizeof(rows) / sizeof(rows[0])));
	tcase_add_test(tc, test_caps_lines);
	tcase_add_test(tc, test_caps_auth_overflow);
	tcase_add_test(tc, test_caps_names);
	suite_add_tcase(s, tc);
	return s;
}
CHECK_SUITE(caps_suite)
