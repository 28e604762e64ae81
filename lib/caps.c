/*
 * caps.c: EHLO capability parsing (RFC 5321 §4.1.1.1: ehlo-line =
 * ehlo-keyword *( SP ehlo-param ); keywords are case-insensitive).
 * Only the keywords the product reports are recognised; the rest are
 * ignored.  Every line is handled as (pointer, length) and nothing is
 * read past it, so hostile replies (NULs, huge tokens) are harmless.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "smtpprobe.h"
#include "reply.h"
#include "caps.h"

#define SASL_MECH_MAX	20	/* RFC 4422 §3.1: 1*20 characters */

static const struct {
	const char	*keyword;
	unsigned	 flag;
} caps_keywords[] = {
	{ "STARTTLS",		SMTPPROBE_CAP_STARTTLS },	/* RFC 3207 */
	{ "AUTH",		SMTPPROBE_CAP_AUTH },		/* RFC 4954 */
	{ "SIZE",		SMTPPROBE_CAP_SIZE },		/* RFC 1870 */
	{ "PIPELINING",		SMTPPROBE_CAP_PIPELINING },	/* RFC 2920 */
	{ "8BITMIME",		SMTPPROBE_CAP_8BITMIME },	/* RFC 6152 */
	{ "SMTPUTF8",		SMTPPROBE_CAP_SMTPUTF8 },	/* RFC 6531 */
	{ "CHUNKING",		SMTPPROBE_CAP_CHUNKING },	/* RFC 3030 */
	{ "REQUIRETLS",		SMTPPROBE_CAP_REQUIRETLS },	/* RFC 8689 */
	{ "DSN",		SMTPPROBE_CAP_DSN },		/* RFC 3461 */
	{ "ENHANCEDSTATUSCODES", SMTPPROBE_CAP_ENHANCEDSTATUSCODES }, /* 2034 */
};
_Static_assert(sizeof(caps_keywords) / sizeof(caps_keywords[0]) ==
    SMTPPROBE_CAP_COUNT, "caps_keywords out of step with SMTPPROBE_CAP_*");

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* 1 if s[0..len-1] equals the keyword kw, case-insensitively. */
static int
keyword_is(const char *s, size_t len, const char *kw)
{
	return strlen(kw) == len && strncasecmp(s, kw, len) == 0;
}

/* A SASL mechanism name (RFC 4422 §3.1): 1..20 of A-Z 0-9 - _ (any case
 * accepted here, upper-cased when stored). */
static int
sasl_mech_ok(const char *s, size_t len)
{
	size_t	i;
	char	c;

	if (len == 0 || len > SASL_MECH_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/* Add one mechanism to caps->auth: upper-cased, once, whole or not at all
 * (the list never ends in half a name). */
static void
auth_add(struct smtpprobe_caps *caps, const char *s, size_t len)
{
	char	 mech[SASL_MECH_MAX + 1];
	size_t	 i, have = strlen(caps->auth), ml;
	char	*p;

	if (!sasl_mech_ok(s, len))
		return;
	for (i = 0; i < len; i++)
		mech[i] = (s[i] >= 'a' && s[i] <= 'z') ? s[i] - 'a' + 'A' :
		    s[i];
	mech[len] = '\0';
	/* Already listed? Compare whole space-separated words. */
	for (p = caps->auth; *p != '\0'; p += ml) {
		while (*p == ' ')
			p++;
		ml = strcspn(p, " ");
		if (ml == len && memcmp(p, mech, len) == 0)
			return;
	}
	if (have + (have > 0) + len + 1 > sizeof(caps->auth))
		return;
	if (have > 0)
		caps->auth[have++] = ' ';
	memcpy(caps->auth + have, mech, len + 1);
}

/* SIZE's parameter (RFC 1870 §4: the fixed maximum message size in
 * octets; 0 or absent means no fixed limit).  Digits only; a value too big
 * for 64 bits is clamped; anything else counts as 0. */
static uint64_t
size_param(const char *s, size_t len)
{
	uint64_t	v = 0;
	size_t		i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return UINT64_MAX;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v;
}

/* One keyword line s[0..len-1]. */
static void
caps_line(struct smtpprobe_caps *caps, const char *s, size_t len)
{
	const char	*end = s + len, *kw, *tok;
	size_t		 kwlen, i;
	int		 legacy_auth = 0;

	while (s < end && is_blank(*s))
		s++;
	kw = s;
	while (s < end && !is_blank(*s) && *s != '=')
		s++;
	kwlen = (size_t)(s - kw);
	if (kwlen == 0)
		return;
	/* "AUTH=PLAIN LOGIN": the pre-RFC 4954 form some servers still
	 * send beside (or instead of) "AUTH PLAIN LOGIN". */
	if (s < end && *s == '=') {
		if (!keyword_is(kw, kwlen, "AUTH"))
			return;
		legacy_auth = 1;
		s++;
	}
	for (i = 0; i < SMTPPROBE_CAP_COUNT; i++)
		if (keyword_is(kw, kwlen, caps_keywords[i].keyword))
			break;
	if (i == SMTPPROBE_CAP_COUNT)
		return;
	caps->flags |= caps_keywords[i].flag;
	if (caps_keywords[i].flag == SMTPPROBE_CAP_AUTH || legacy_auth) {
		while (s < end) {
			while (s < end && is_blank(*s))
				s++;
			tok = s;
			while (s < end && !is_blank(*s))
				s++;
			if (s > tok)
				auth_add(caps, tok, (size_t)(s - tok));
		}
	} else if (caps_keywords[i].flag == SMTPPROBE_CAP_SIZE) {
		while (s < end && is_blank(*s))
			s++;
		tok = s;
		while (s < end && !is_blank(*s))
			s++;
		caps->size = size_param(tok, (size_t)(s - tok));
	}
}

void
caps_parse(const struct reply *r, struct smtpprobe_caps *caps)
{
	size_t	i;

	memset(caps, 0, sizeof(*caps));
	caps->present = 1;
	/* Line 0 is "domain [greeting]", not a keyword (RFC 5321 §4.1.1.1). */
	for (i = 1; i < r->nlines; i++)
		caps_line(caps, reply_line(r, i), reply_line_len(r, i));
}

/* lines[0..n-1] are keyword lines only (no greeting line). */
void
caps_parse_lines(const char *const *lines, size_t n,
    struct smtpprobe_caps *caps)
{
	size_t	i;

	memset(caps, 0, sizeof(*caps));
	caps->present = 1;
	for (i = 0; i < n; i++)
		if (lines[i] != NULL)
			caps_line(caps, lines[i], strlen(lines[i]));
}
