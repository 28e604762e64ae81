/*
 * check_reply.c: the incremental reply parser (lib/reply.c), table-driven.
 * Every row is fed whole, one byte at a time, and split in two at every
 * offset; all three must agree on status, bytes used, code and text, so
 * the parser's judgement cannot depend on how TCP segments the stream.
 */
#include <stdlib.h>
#include <string.h>

#include "suite.h"
#include "smtpprobe.h"
#include "reply.h"

enum gen {
	GEN_NONE,		/* use in/inlen */
	GEN_LINE_MAX,		/* one line of exactly REPLY_MAX_LINE octets */
	GEN_LINE_OVER,		/* one octet more */
	GEN_LINES_MAX,		/* REPLY_MAX_LINES lines */
	GEN_LINES_OVER,		/* one line more */
	GEN_BYTES_OVER,		/* > REPLY_MAX_BYTES in long lines */
	GEN_COUNT
};

struct row {
	const char		*name;
	const char		*in;
	size_t			 inlen;	/* 0: strlen(in) */
	enum gen		 gen;
	enum reply_status	 status;
	size_t			 used;	/* 0: all of it */
	int			 code;
	size_t			 nlines;
	const char		*text;	/* reply_text, NULL: don't check */
	const char		*error;	/* substring of reply_error */
};

#define TLS_HELLO	"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"

static const struct row rows[] = {
	{ "crlf", "220 mail.example.org ESMTP\r\n", 0, GEN_NONE,
	    REPLY_DONE, 0, 220, 1, "mail.example.org ESMTP", NULL },
	{ "bare_lf", "220 mail.example.org\n", 0, GEN_NONE,
	    REPLY_DONE, 0, 220, 1, "mail.example.org", NULL },
	{ "multi", "250-mx.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n", 0,
	    GEN_NONE, REPLY_DONE, 0, 250, 3,
	    "mx.example / PIPELINING / STARTTLS", NULL },
	{ "multi_lf", "250-a\n250 b\n", 0, GEN_NONE,
	    REPLY_DONE, 0, 250, 2, "a / b", NULL },
	{ "multi_greeting", "220-first\r\n220-second\r\n220 third\r\n", 0,
	    GEN_NONE, REPLY_DONE, 0, 220, 3, "first / second / third", NULL },
	{ "codes_differ", "250-a\r\n251 b\r\n", 0, GEN_NONE,
	    REPLY_ERROR, 10, 250, 1, NULL, "differ" },
	{ "codes_differ_first_digit", "250-a\r\n550 b\r\n", 0, GEN_NONE,
	    REPLY_ERROR, 8, 250, 1, NULL, "differ" },
	{ "bare_code_final", "220\r\n", 0, GEN_NONE,
	    REPLY_DONE, 0, 220, 1, "", NULL },
	{ "bare_code_lf", "250-a\n250\n", 0, GEN_NONE,
	    REPLY_DONE, 0, 250, 2, "a / ", NULL },
	{ "no_separator", "220x\r\n", 0, GEN_NONE,
	    REPLY_ERROR, 4, 220, 0, NULL, "malformed" },
	{ "code_only_pending", "220", 0, GEN_NONE,
	    REPLY_MORE, 0, 220, 0, NULL, NULL },
	{ "cr_after_code_then_junk", "220\rX", 0, GEN_NONE,
	    REPLY_ERROR, 5, 220, 0, NULL, "malformed" },
	{ "empty", "", 0, GEN_NONE, REPLY_MORE, 0, 0, 0, "", NULL },
	{ "partial", "250-abc\r\n250 de", 0, GEN_NONE,
	    REPLY_MORE, 0, 250, 1, NULL, NULL },
	{ "binary_first_byte", "\x01\x02garbage", 0, GEN_NONE,
	    REPLY_ERROR, 1, 0, 0, NULL, "not an SMTP reply" },
	{ "tls_record", TLS_HELLO, sizeof(TLS_HELLO) - 1, GEN_NONE,
	    REPLY_ERROR, 1, 0, 0, NULL, "not an SMTP reply" },
	{ "http", "HTTP/1.1 400 Bad Request\r\n", 0, GEN_NONE,
	    REPLY_ERROR, 1, 0, 0, NULL, "not an SMTP reply" },
	{ "first_digit_zero", "050 x\r\n", 0, GEN_NONE,
	    REPLY_ERROR, 1, 0, 0, NULL, "not an SMTP reply" },
	{ "first_digit_six", "600 x\r\n", 0, GEN_NONE,
	    REPLY_ERROR, 1, 0, 0, NULL, "not an SMTP reply" },
	{ "letter_second", "2x0 x\r\n", 0, GEN_NONE,
	    REPLY_ERROR, 2, 0, 0, NULL, "malformed" },
	{ "short_line", "22\r\n", 0, GEN_NONE,
	    REPLY_ERROR, 3, 0, 0, NULL, "malformed" },
	{ "empty_line", "\r\n", 0, GEN_NONE,
	    REPLY_ERROR, 1, 0, 0, NULL, "not an SMTP reply" },
	{ "empty_lf", "\n", 0, GEN_NONE,
	    REPLY_ERROR, 1, 0, 0, NULL, "too short" },
	{ "space_first", " 220 x\r\n", 0, GEN_NONE,
	    REPLY_ERROR, 1, 0, 0, NULL, "not an SMTP reply" },
	{ "second_line_junk", "250-a\r\nxyz", 0, GEN_NONE,
	    REPLY_ERROR, 8, 250, 1, NULL, "malformed" },
	{ "data_behind", "220 go ahead\r\nINJECTED\r\n", 0, GEN_NONE,
	    REPLY_DONE, 14, 220, 1, "go ahead", NULL },
	{ "pipelined", "250 ok\r\n250 ok\r\n", 0, GEN_NONE,
	    REPLY_DONE, 8, 250, 1, "ok", NULL },
	{ "cr_in_text", "220 a\rb\r\n", 0, GEN_NONE,
	    REPLY_DONE, 0, 220, 1, "a b", NULL },
	{ "crcr_lf", "220 a\r\r\n", 0, GEN_NONE,
	    REPLY_DONE, 0, 220, 1, "a ", NULL },
	{ "nul_in_text", "220 a\0b\r\n", 9, GEN_NONE,
	    REPLY_DONE, 0, 220, 1, "a b", NULL },
	{ "invalid_utf8", "220 \xff\xfe ok\r\n", 0, GEN_NONE,
	    REPLY_DONE, 0, 220, 1, "\\xff\\xfe ok", NULL },
	{ "utf8_kept", "220 gr\xc3\xbc\xc3\x9f dich\r\n", 0, GEN_NONE,
	    REPLY_DONE, 0, 220, 1, "gr\xc3\xbc\xc3\x9f dich", NULL },
	{ "pipe", "554 no|way\r\n", 0, GEN_NONE,
	    REPLY_DONE, 0, 554, 1, "no/way", NULL },
	{ "tab_in_text", "421 busy\ttry later\r\n", 0, GEN_NONE,
	    REPLY_DONE, 0, 421, 1, "busy try later", NULL },
	{ "line_max", NULL, 0, GEN_LINE_MAX,
	    REPLY_DONE, 0, 220, 1, NULL, NULL },
	{ "line_over", NULL, 0, GEN_LINE_OVER,
	    REPLY_ERROR, REPLY_MAX_LINE + 1, 220, 0, NULL, "too long" },
	{ "lines_max", NULL, 0, GEN_LINES_MAX,
	    REPLY_DONE, 0, 250, REPLY_MAX_LINES, NULL, NULL },
	{ "lines_over", NULL, 0, GEN_LINES_OVER,
	    REPLY_ERROR, 0, 250, REPLY_MAX_LINES, NULL, "too many lines" },
	{ "bytes_over", NULL, 0, GEN_BYTES_OVER,
	    REPLY_ERROR, REPLY_MAX_BYTES + 1, 250, 16, NULL, "too large" },
};

/* The input of a row (malloc'ed for generated rows); *len its length. */
static char *
row_input(const struct row *r, size_t *len)
{
	char	*b;
	size_t	 i, o = 0, n;

	switch (r->gen) {
	case GEN_NONE:
		*len = r->inlen != 0 ? r->inlen : strlen(r->in);
		b = malloc(*len + 1);
		ck_assert_ptr_nonnull(b);
		memcpy(b, r->in, *len);
		return b;
	case GEN_LINE_MAX:
	case GEN_LINE_OVER:
		n = REPLY_MAX_LINE + (r->gen == GEN_LINE_OVER);
		b = malloc(n + 2);
		ck_assert_ptr_nonnull(b);
		memcpy(b, "220 ", 4);
		memset(b + 4, 'a', n - 4);
		memcpy(b + n, "\r\n", 2);
		*len = n + 2;
		return b;
	case GEN_LINES_MAX:
	case GEN_LINES_OVER:
		n = REPLY_MAX_LINES + (r->gen == GEN_LINES_OVER);
		b = malloc(n * 8);
		ck_assert_ptr_nonnull(b);
		for (i = 0; i < n; i++) {
			memcpy(b + o, i + 1 < n ? "250-xx\r\n" : "250 xx\r\n",
			    8);
			o += 8;
		}
		*len = o;
		return b;
	case GEN_BYTES_OVER:
		/* 20 lines of 4000 octets: every line is legal, the sum
		 * is not. */
		b = malloc(20 * 4002);
		ck_assert_ptr_nonnull(b);
		for (i = 0; i < 20; i++) {
			memcpy(b + o, "250-", 4);
			memset(b + o + 4, 'b', 3996);
			memcpy(b + o + 4000, "\r\n", 2);
			o += 4002;
		}
		*len = o;
		return b;
	default:
		ck_abort_msg("bad generator");
		return NULL;
	}
}

/* Feed in[0..len-1] in chunks of chunk bytes (0: whole), and the first
 * chunk of split bytes if split > 0.  Returns the status; *used is the
 * total consumed. */
static enum reply_status
feed(struct reply *rp, const char *in, size_t len, size_t chunk,
    size_t split, size_t *total)
{
	enum reply_status	st = REPLY_MORE;
	size_t			off = 0, n, used;

	*total = 0;
	if (len == 0)
		return reply_feed(rp, in, 0, &used);
	while (off < len) {
		if (split > 0)
			n = off == 0 ? split : len - off;
		else
			n = chunk == 0 ? len - off : chunk;
		if (n > len - off)
			n = len - off;
		st = reply_feed(rp, in + off, n, &used);
		*total += used;
		if (st != REPLY_MORE)
			break;
		ck_assert_uint_eq(used, n);
		off += n;
	}
	return st;
}

static void
check_row(const struct row *r, const char *in, size_t len, size_t chunk,
    size_t split)
{
	struct reply		 rp;
	enum reply_status	 st;
	size_t			 used, want_used;
	char			 text[1024];

	reply_init(&rp);
	st = feed(&rp, in, len, chunk, split, &used);
	want_used = r->used != 0 ? r->used : len;
	if (r->gen == GEN_LINES_OVER)
		want_used = REPLY_MAX_LINES * 8 + 1;
	ck_assert_msg(st == r->status, "%s (chunk %zu split %zu): status %d "
	    "want %d (%s)", r->name, chunk, split, st, r->status,
	    reply_error(&rp));
	ck_assert_msg(used == want_used, "%s (chunk %zu split %zu): used %zu "
	    "want %zu", r->name, chunk, split, used, want_used);
	ck_assert_int_eq(rp.code, r->code);
	ck_assert_uint_eq(rp.nlines, r->nlines);
	if (r->text != NULL && st != REPLY_ERROR) {
		reply_text(&rp, text, sizeof(text));
		ck_assert_str_eq(text, r->text);
	}
	if (r->error != NULL)
		ck_assert_msg(strstr(reply_error(&rp), r->error) != NULL,
		    "%s: error \"%s\" lacks \"%s\"", r->name,
		    reply_error(&rp), r->error);
	else
		ck_assert_str_eq(reply_error(&rp), "");
	/* Done and error are sticky and consume nothing more. */
	if (st != REPLY_MORE) {
		ck_assert_int_eq(reply_feed(&rp, "250 x\r\n", 7, &used), st);
		ck_assert_uint_eq(used, 0);
	}
	reply_free(&rp);
}

START_TEST(test_reply_rows)
{
	const struct row	*r = &rows[_i];
	char			*in;
	size_t			 len, split;

	in = row_input(r, &len);
	check_row(r, in, len, 0, 0);
	check_row(r, in, len, 1, 0);
	check_row(r, in, len, 7, 0);
	/* Every two-way split (sampled for the big generated inputs). */
	for (split = 1; split < len; split += len > 600 ? 97 : 1)
		check_row(r, in, len, 0, split);
	free(in);
}
END_TEST

/* reply_reset() starts a new phase: lines and the byte budget are fresh,
 * the buffer is reused. */
START_TEST(test_reply_reset)
{
	struct reply	rp;
	size_t		used;
	char		text[64];

	reply_init(&rp);
	ck_assert_int_eq(reply_feed(&rp, "220 a\r\n", 7, &used), REPLY_DONE);
	reply_reset(&rp);
	ck_assert_int_eq(rp.code, 0);
	ck_assert_uint_eq(rp.nlines, 0);
	ck_assert_str_eq(reply_line(&rp, 0), "");
	ck_assert_int_eq(reply_feed(&rp, "250-x\r\n250 y\r\n", 14, &used),
	    REPLY_DONE);
	ck_assert_int_eq(rp.code, 250);
	ck_assert_str_eq(reply_line(&rp, 0), "x");
	ck_assert_str_eq(reply_line(&rp, 1), "y");
	ck_assert_uint_eq(reply_line_len(&rp, 1), 1);
	ck_assert_str_eq(reply_text(&rp, text, sizeof(text)), "x / y");
	/* An error is forgotten by a reset too. */
	reply_reset(&rp);
	ck_assert_int_eq(reply_feed(&rp, "\x16", 1, &used), REPLY_ERROR);
	reply_reset(&rp);
	ck_assert_int_eq(reply_feed(&rp, "220 z\n", 6, NULL), REPLY_DONE);
	reply_free(&rp);
	reply_free(&rp);	/* twice is harmless */
}
END_TEST

/* reply_text() truncates on a boundary and always terminates. */
START_TEST(test_reply_text_truncation)
{
	static const char	 in[] = "250-abcdef\r\n250-\xc3\xa9\xc3\xa9\r\n"
				    "250 zz\r\n";
	struct reply		 rp;
	char			 text[64];
	size_t			 n;

	reply_init(&rp);
	ck_assert_int_eq(reply_feed(&rp, in, sizeof(in) - 1, NULL),
	    REPLY_DONE);
	for (n = 1; n < sizeof(text); n++) {
		memset(text, 'Q', sizeof(text));
		reply_text(&rp, text, n);
		ck_assert_msg(memchr(text, '\0', n) != NULL, "n=%zu", n);
		ck_assert_uint_lt(strlen(text), n);
		ck_assert_msg(strncmp(text, "abcdef / \xc3\xa9\xc3\xa9 / zz",
		    strlen(text)) == 0, "n=%zu: \"%s\"", n, text);
		/* Never half a UTF-8 character. */
		if (strlen(text) > 0)
			ck_assert((unsigned char)text[strlen(text) - 1] !=
			    0xc3);
	}
	reply_free(&rp);
	/* A line cut short is the last thing in the text: no " / " after
	 * half a line. */
	reply_init(&rp);
	ck_assert_int_eq(reply_feed(&rp, "250-\xff\xff\r\n250 z\r\n", 15,
	    NULL), REPLY_DONE);
	ck_assert_str_eq(reply_text(&rp, text, 8), "\\xff");
	ck_assert_str_eq(reply_text(&rp, text, 12), "\\xff\\xff");
	ck_assert_str_eq(reply_text(&rp, text, 13), "\\xff\\xff / z");
	reply_free(&rp);
}
END_TEST

static Suite *
reply_suite(void)
{
	Suite	*s = suite_create("reply");
	TCase	*tc = tcase_create("rows");

	tcase_add_loop_test(tc, test_reply_rows, 0,
	    (int)(sizeof(rows) / sizeof(rows[0])));
	tcase_add_test(tc, test_reply_reset);
	tcase_add_test(tc, test_reply_text_truncation);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}
CHECK_SUITE(reply_suite)
