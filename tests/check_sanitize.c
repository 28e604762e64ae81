/*
 * check_sanitize.c: smtpprobe_sanitize(), table-driven: valid UTF-8 kept,
 * everything else escaped or replaced, truncation only on boundaries.
 */
#include <string.h>

#include "suite.h"
#include "smtpprobe.h"

struct row {
	const char	*name;
	const char	*in;
	size_t		 inlen;		/* 0: strlen */
	size_t		 dstlen;	/* 0: a big buffer */
	const char	*out;
};

static const struct row rows[] = {
	{ "ascii", "220 mail.example.org ESMTP", 0, 0,
	    "220 mail.example.org ESMTP" },
	{ "empty", "", 0, 0, "" },
	{ "pipe", "a|b||c", 0, 0, "a/b//c" },
	{ "cr_lf_tab", "a\r\nb\tc", 0, 0, "a  b c" },
	{ "del_esc", "a\x7f\x1b[31mb", 0, 0, "a  [31mb" },
	{ "nul", "a\0b", 3, 0, "a b" },
	{ "utf8_2", "gr\xc3\xbc\xc3\x9f", 0, 0, "gr\xc3\xbc\xc3\x9f" },
	{ "utf8_3", "\xe2\x82\xac 5", 0, 0, "\xe2\x82\xac 5" },
	{ "utf8_4", "\xf0\x9f\x93\xa7", 0, 0, "\xf0\x9f\x93\xa7" },
	{ "lone_continuation", "a\x80z", 0, 0, "a\\x80z" },
	{ "invalid_ff", "\xff\xfe", 0, 0, "\\xff\\xfe" },
	{ "overlong_c0", "\xc0\xaf", 0, 0, "\\xc0\\xaf" },
	{ "overlong_e0", "\xe0\x80\xaf", 0, 0, "\\xe0\\x80\\xaf" },
	{ "overlong_f0", "\xf0\x80\x80\xaf", 0, 0, "\\xf0\\x80\\x80\\xaf" },
	{ "surrogate", "\xed\xa0\x80", 0, 0, "\\xed\\xa0\\x80" },
	{ "above_10ffff", "\xf4\x90\x80\x80", 0, 0,
	    "\\xf4\\x90\\x80\\x80" },
	{ "f5", "\xf5\x80\x80\x80", 0, 0, "\\xf5\\x80\\x80\\x80" },
	{ "truncated_seq", "ab\xe2\x82", 0, 0, "ab\\xe2\\x82" },
	{ "truncated_then_ascii", "\xe2\x82z", 0, 0, "\\xe2\\x82z" },
	{ "c1_control", "a\xc2\x85z", 0, 0, "a z" },
	{ "nbsp_kept", "a\xc2\xa0z", 0, 0, "a\xc2\xa0z" },
	{ "max_code_point", "\xf4\x8f\xbf\xbf", 0, 0, "\xf4\x8f\xbf\xbf" },
	/* Truncation: room for dstlen - 1 bytes, whole units only. */
	{ "trunc_ascii", "abcdef", 0, 4, "abc" },
	{ "trunc_utf8", "ab\xc3\xbc", 0, 4, "ab" },
	{ "trunc_utf8_fits", "ab\xc3\xbc", 0, 5, "ab\xc3\xbc" },
	{ "trunc_escape", "ab\xff", 0, 5, "ab" },
	{ "trunc_escape_fits", "ab\xff", 0, 7, "ab\\xff" },
	{ "trunc_4byte", "\xf0\x9f\x93\xa7", 0, 4, "" },
	{ "dst_one", "abc", 0, 1, "" },
	{ "srclen_limits", "abcdef", 3, 0, "abc" },
	{ "srclen_cuts_sequence", "\xc3\xbc", 1, 0, "\\xc3" },
};

START_TEST(test_sanitize_rows)
{
	const struct row	*r = &rows[_i];
	char			 dst[256];
	size_t			 inlen, dstlen, n;

	inlen = r->inlen != 0 ? r->inlen : strlen(r->in);
	dstlen = r->dstlen != 0 ? r->dstlen : sizeof(dst);
	memset(dst, 'Q', sizeof(dst));
	n = smtpprobe_sanitize(dst, dstlen, r->in, inlen);
	ck_assert_msg(strcmp(dst, r->out) == 0, "%s: \"%s\"", r->name, dst);
	ck_assert_uint_eq(n, strlen(r->out));
	/* Nothing written past dstlen. */
	if (dstlen < sizeof(dst))
		ck_assert_int_eq(dst[dstlen], 'Q');
}
END_TEST

/* Whatever the input, the output is valid UTF-8 without controls or '|',
 * for every destination size. */
START_TEST(test_sanitize_all_bytes)
{
	unsigned char	 in[512];
	char		 dst[2100], again[2100];
	size_t		 i, n, len;
	const unsigned char *p;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 7 + (i >> 8));
	for (len = 1; len <= sizeof(dst); len += 37) {
		n = smtpprobe_sanitize(dst, len, (const char *)in, sizeof(in));
		ck_assert_uint_lt(n, len);
		ck_assert_uint_eq(strlen(dst), n);
		for (p = (const unsigned char *)dst; *p != '\0'; p++) {
			ck_assert(*p >= 0x20 && *p != 0x7f && *p != '|');
		}
		/* Valid UTF-8 passes unchanged: sanitising is idempotent. */
		smtpprobe_sanitize(again, sizeof(again), dst, n);
		ck_assert_str_eq(again, dst);
	}
}
END_TEST

START_TEST(test_sanitize_null)
{
	char	dst[4] = "xyz";

	ck_assert_uint_eq(smtpprobe_sanitize(dst, sizeof(dst), NULL, 5), 0);
	ck_assert_str_eq(dst, "");
	ck_assert_uint_eq(smtpprobe_sanitize(NULL, 0, "abc", 3), 0);
	ck_assert_uint_eq(smtpprobe_sanitize(dst, 0, "abc", 3), 0);
}
END_TEST

static Suite *
sanitize_suite(void)
{
	Suite	*s = suite_create("sanitize");
	TCase	*tc = tcase_create("sanitize");

	tcase_add_loop_test(tc, test_sanitize_rows, 0,
	    (int)(sizeof(rows) / sizeof(rows[0])));
	tcase_add_test(tc, test_sanitize_all_bytes);
	tcase_add_test(tc, test_sanitize_null);
	suite_add_tcase(s, tc);
	return s;
}
CHECK_SUITE(sanitize_suite)
