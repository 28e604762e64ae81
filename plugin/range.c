/*
 * range.c: Nagios threshold ranges (see range.h for the syntax).
 */
#include <stdio.h>
#include <string.h>

#include "number.h"
#include "range.h"

static int
range_fail(struct range *r, char *err, size_t errlen, const char *s,
    const char *why)
{
	memset(r, 0, sizeof(*r));
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "bad range '%.40s': %s", s, why);
	return -1;
}

int
range_parse(const char *s, struct range *r, char *err, size_t errlen)
{
	const char	*p, *colon;
	size_t		 len;

	memset(r, 0, sizeof(*r));
	if (s == NULL || *s == '\0')
		return range_fail(r, err, errlen, "", "empty");
	len = strlen(s);
	if (len >= RANGE_TEXT_MAX)
		return range_fail(r, err, errlen, s, "too long");
	p = s;
	if (*p == '@') {
		r->inside = 1;
		p++;
	}
	if ((colon = strchr(p, ':')) == NULL) {
		/* "N": 0..N */
		if (number_parse_double(p, strlen(p), &r->end) == -1)
			return range_fail(r, err, errlen, s, "not a number");
		r->start = 0;
	} else {
		if (strchr(colon + 1, ':') != NULL)
			return range_fail(r, err, errlen, s,
			    "more than one ':'");
		if (colon == p && colon[1] == '\0')
			return range_fail(r, err, errlen, s, "no bounds");
		if (colon - p == 1 && *p == '~')
			r->start_inf = 1;
		else if (colon == p)
			r->start = 0;	/* ":N" is "0:N" as in check_* */
		else if (number_parse_double(p, (size_t)(colon - p),
		    &r->start) == -1)
			return range_fail(r, err, errlen, s,
			    "start is not a number or '~'");
		if (colon[1] == '\0')
			r->end_inf = 1;
		else if (number_parse_double(colon + 1, strlen(colon + 1),
		    &r->end) == -1)
			return range_fail(r, err, errlen, s,
			    "end is not a number");
	}
	if (!r->start_inf && !r->end_inf && r->start > r->end)
		return range_fail(r, err, errlen, s, "start is above end");
	memcpy(r->text, s, len + 1);
	r->set = 1;
	return 0;
}

int
range_alert(const struct range *r, double value)
{
	int	 in;

	if (r == NULL || !r->set)
		return 0;
	in = (r->start_inf || value >= r->start) &&
	    (r->end_inf || value <= r->end);
	return r->inside ? in : !in;
}
