/*
 * fuzz_caps.c: libFuzzer target for the EHLO capability parser
 * (lib/caps.c, RFC 5321 §4.1.1.1).
 *
 * The input is split at LF into keyword lines (NULs inside a line are
 * kept by the reply route below) and parsed twice: as lines
 * (caps_parse_lines) and, wrapped as "250-" lines of a real EHLO reply,
 * through the reply parser and caps_parse().  Checked: no crash or
 * undefined behaviour; present is set; only known flag bits; the AUTH
 * list is terminated, upper case, made of SASL mechanism characters
 * (RFC 4422 §3.1) separated by single blanks, each mechanism once; AUTH
 * mechanisms imply the AUTH flag; both routes agree when no line held a
 * NUL.
 */
#include <ctype.h>

#include "fuzz_util.h"
#include "smtpprobe.h"
#include "reply.h"
#include "caps.h"

#define FUZZ_MAX_LINES	64

static void
judge(const struct smtpprobe_caps *c)
{
	const char	*p, *q;
	size_t		 len, i;
	char		 tok[32];

	FUZZ_CHECK(c->present == 1, "present not set");
	FUZZ_CHECK((c->flags & ~((1u << SMTPPROBE_CAP_COUNT) - 1)) == 0,
	    "unknown capability bit");
	FUZZ_CHECK(fuzz_terminated(c->auth, sizeof(c->auth)),
	    "auth unterminated");
	len = strlen(c->auth);
	if (len > 0)
		FUZZ_CHECK(c->flags & SMTPPROBE_CAP_AUTH,
		    "mechanisms without the AUTH flag");
	FUZZ_CHECK(len == 0 || (c->auth[0] != ' ' && c->auth[len - 1] != ' '),
	    "auth list has leading/trailing blank");
	FUZZ_CHECK(strstr(c->auth, "  ") == NULL, "double blank in auth");
	for (p = c->auth; *p != '\0'; p++)
		FUZZ_CHECK(isupper((unsigned char)*p) ||
		    isdigit((unsigned char)*p) || *p == '-' || *p == '_' ||
		    *p == ' ', "bad character in auth list");
	/* Each mechanism once. */
	for (p = c->auth; *p != '\0'; p = *q != '\0' ? q + 1 : q) {
		q = strchr(p, ' ');
		if (q == NULL)
			q = p + strlen(p);
		FUZZ_CHECK((size_t)(q - p) < sizeof(tok) - 2,
		    "mechanism longer than RFC 4422 allows");
		tok[0] = ' ';
		memcpy(tok + 1, p, (size_t)(q - p));
		tok[q - p + 1] = ' ';
		tok[q - p + 2] = '\0';
		{
			char	 all[sizeof(c->auth) + 2];
			size_t	 n = 0;
			const char *r;

			all[0] = ' ';
			memcpy(all + 1, c->auth, len);
			all[len + 1] = ' ';
			all[len + 2] = '\0';
			for (r = all; (r = strstr(r, tok)) != NULL; r++)
				n++;
			FUZZ_CHECK(n == 1, "mechanism listed twice");
		}
	}
	(void)i;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtpprobe_caps	 a, b;
	struct reply		 r;
	char			*copy, *lines[FUZZ_MAX_LINES], *wire, *w;
	size_t			 n = 0, i, used, wlen;
	int			 has_nul, has_cr = 0;
	enum reply_status	 st;

	if (size > 16384)
		return 0;
	has_nul = memchr(data, '\0', size) != NULL;
	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (i = 0; i < size; i++)
		if (copy[i] == '\r')
			has_cr = 1;
	/* Lines for caps_parse_lines(). */
	lines[n++] = copy;
	for (i = 0; i < size && n < FUZZ_MAX_LINES; i++)
		if (copy[i] == '\n') {
			copy[i] = '\0';
			lines[n++] = copy + i + 1;
		}
	caps_parse_lines((const char *const *)lines, n, &a);
	judge(&a);

	/* The same lines as an EHLO reply on the wire. */
	wlen = 16 + size + 8 * n;
	if ((wire = malloc(wlen)) == NULL) {
		free(copy);
		return 0;
	}
	w = wire;
	memcpy(w, "250-fuzz.test\r\n", 15);
	w += 15;
	for (i = 0; i < n; i++) {
		size_t l = strlen(lines[i]);

		memcpy(w, i + 1 == n ? "250 " : "250-", 4);
		w += 4;
		memcpy(w, lines[i], l);
		w += l;
		*w++ = '\r';
		*w++ = '\n';
	}
	reply_init(&r);
	st = reply_feed(&r, wire, (size_t)(w - wire), &used);
	if (st == REPLY_DONE) {
		caps_parse(&r, &b);
		judge(&b);
		if (!has_nul && !has_cr && n < FUZZ_MAX_LINES) {
			FUZZ_CHECK(a.flags == b.flags,
			    "lines and reply routes disagree on flags");
			FUZZ_CHECK(strcmp(a.auth, b.auth) == 0,
			    "lines and reply routes disagree on AUTH");
			FUZZ_CHECK(a.size == b.size,
			    "lines and reply routes disagree on SIZE");
		}
	}
	reply_free(&r);
	free(wire);
	free(copy);
	return 0;
}
