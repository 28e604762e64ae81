/*
 * portspec.c: the port-list syntax shared by both front ends,
 * "PORT[/MODE][:POLICY],..." (PRODUCT.md, "-P, --ports LIST"), parsed
 * strictly: anything odd is a clear one-line error, never a guess.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "smtpprobe.h"

#define PORTSPEC_MAX_ITEM	64	/* longest item quoted in an error */

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Cut s back so that it does not end in part of a UTF-8 sequence (what
 * vsnprintf() truncation leaves). */
static void
utf8_trim(char *s)
{
	size_t	len = strlen(s), i, need;

	i = len;
	while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80 &&
	    len - i < 3)
		i--;
	if (i == 0 || (unsigned char)s[i - 1] < 0xc0)
		return;
	i--;		/* the lead byte */
	need = (unsigned char)s[i] >= 0xf0 ? 4 :
	    (unsigned char)s[i] >= 0xe0 ? 3 : 2;
	if (len - i < need)
		s[i] = '\0';
}

/* Write a printf-style reason into err (if any) and return -1.  The item
 * text in it was sanitised by the caller; a truncated reason stays valid
 * UTF-8. */
static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		n = vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		if (n < 0)
			err[0] = '\0';
		else if ((size_t)n >= errlen)
			utf8_trim(err);
	}
	return -1;
}

/* The default mode of a port: implicit TLS on 465 (RFC 8314 §3.3),
 * STARTTLS elsewhere. */
static enum smtpprobe_mode
default_mode(unsigned port)
{
	return port == 465 ? SMTPPROBE_MODE_TLS : SMTPPROBE_MODE_STARTTLS;
}

/*
 * Look up the len bytes at s in a name table through from_name (which
 * wants a NUL-terminated string); -1 if unknown or too long to be a name.
 */
static int
lookup(int (*from_name)(const char *), const char *s, size_t len)
{
	char	name[16];

	if (len == 0 || len >= sizeof(name))
		return -1;
	memcpy(name, s, len);
	name[len] = '\0';
	return from_name(name);
}

/*
 * Parse one item s[0..len-1] (blanks around it already trimmed, len > 0)
 * into *ps.  Returns 0, or -1 with a reason naming the item.
 */
static int
parse_item(const char *s, size_t len, struct smtpprobe_portspec *ps,
    char *err, size_t errlen)
{
	char		 item[PORTSPEC_MAX_ITEM * 4 + 1];
	const char	*mode = NULL, *policy = NULL, *end = s + len, *p;
	size_t		 modelen = 0, policylen = 0, plen = 0;
	unsigned long	 port = 0;
	int		 v;

	smtpprobe_sanitize(item, sizeof(item), s,
	    len > PORTSPEC_MAX_ITEM ? PORTSPEC_MAX_ITEM : len);
	for (p = s; p < end; p++)
		if (is_blank(*p))
			return fail(err, errlen,
			    "blank inside port list item \"%s\"", item);
	for (p = s; p < end && *p >= '0' && *p <= '9'; p++) {
		/* Bounded: stop growing once past 65535. */
		plen++;
		if (port <= 65535)
			port = port * 10 + (unsigned long)(*p - '0');
	}
	if (plen == 0 || (p < end && *p != '/' && *p != ':'))
		return fail(err, errlen, "bad port in \"%s\": not a number",
		    item);
	if (port == 0 || port > 65535)
		return fail(err, errlen,
		    "bad port in \"%s\": must be 1 to 65535", item);
	if (p < end && *p == '/') {
		mode = ++p;
		while (p < end && *p != ':')
			p++;
		modelen = (size_t)(p - mode);
	}
	if (p < end && *p == ':') {
		policy = ++p;
		p = end;
		policylen = (size_t)(p - policy);
		if (memchr(policy, ':', policylen) != NULL ||
		    memchr(policy, '/', policylen) != NULL)
			return fail(err, errlen, "bad port list item \"%s\": "
			    "expected PORT[/MODE][:POLICY]", item);
	}
	ps->port = (uint16_t)port;
	ps->mode = default_mode((unsigned)port);
	ps->policy = SMTPPROBE_POLICY_REQUIRED;
	if (mode != NULL) {
		if ((v = lookup(smtpprobe_mode_from_name, mode, modelen)) < 0)
			return fail(err, errlen, "unknown mode in \"%s\" "
			    "(plain, starttls or tls)", item);
		ps->mode = (enum smtpprobe_mode)v;
	}
	if (policy != NULL) {
		if ((v = lookup(smtpprobe_policy_from_name, policy,
		    policylen)) < 0)
			return fail(err, errlen, "unknown policy in \"%s\" "
			    "(required, optional or closed)", item);
		ps->policy = (enum smtpprobe_policy)v;
	}
	return 0;
}

/* The contract is in smtpprobe.h. */
int
smtpprobe_portspec_parse(const char *list, struct smtpprobe_portspec *out,
    size_t max, size_t *n, char *err, size_t errlen)
{
	struct smtpprobe_portspec	 ps;
	const char			*s, *e, *comma;
	size_t				 count = 0, i;

	if (n != NULL)
		*n = 0;
	if (list == NULL || n == NULL || (out == NULL && max > 0))
		return fail(err, errlen, "no port list");
	for (s = list; is_blank(*s); s++)
		;
	if (*s == '\0')
		return fail(err, errlen, "empty port list");
	s = list;
	for (;;) {
		comma = strchr(s, ',');
		e = comma != NULL ? comma : s + strlen(s);
		while (s < e && is_blank(*s))
			s++;
		while (e > s && is_blank(e[-1]))
			e--;
		if (s == e)
			return fail(err, errlen, "empty item in port list");
		if (parse_item(s, (size_t)(e - s), &ps, err, errlen) == -1)
			return -1;
		for (i = 0; i < count; i++)
			if (out[i].port == ps.port)
				return fail(err, errlen,
				    "port %u listed twice", ps.port);
		if (count >= max)
			return fail(err, errlen,
			    "too many ports (at most %zu)", max);
		out[count++] = ps;
		if (comma == NULL)
			break;
		s = comma + 1;
	}
	*n = count;
	return 0;
}

char *
smtpprobe_portspec_format(const struct smtpprobe_portspec *ps, char *buf,
    size_t len)
{
	if (buf == NULL || len == 0)
		return buf;
	if (ps == NULL) {
		buf[0] = '\0';
		return buf;
	}
	snprintf(buf, len, "%u/%s:%s", (unsigned)ps->port,
	    smtpprobe_mode_name(ps->mode), smtpprobe_policy_name(ps->policy));
	return buf;
}
