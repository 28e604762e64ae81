/*
 * query.c: parses /probe's query string.  Every value is percent-decoded,
 * bounded and validated here, so the HTTP layer either has a clean
 * struct query or a one-line reason for a 400.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query.h"

static int
query_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
query_decode(const char *s, size_t len, char *dst, size_t dstlen)
{
	size_t	 i, o = 0;
	int	 h, l, c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (i + 2 >= len)
				return -1;
			if ((h = query_hex((unsigned char)s[i + 1])) == -1 ||
			    (l = query_hex((unsigned char)s[i + 2])) == -1)
				return -1;
			c = h * 16 + l;
			i += 2;
		}
		if (c == 0 || o + 1 >= dstlen)
			return -1;
		dst[o++] = (char)c;
	}
	if (o >= dstlen)
		return -1;
	dst[o] = '\0';
	return 0;
}

/* A host as /probe accepts it: letters, digits, '.', '-', '_', ':'. */
static int
query_valid_host(const char *s)
{
	size_t	 n = strlen(s);

	return n > 0 && n <= 253 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:") == n && *s != '-' &&
	    *s != '.';
}

static int
query_target(const char *v, struct query *q, char *err, size_t errlen)
{
	size_t	 n = strlen(v);

	if (n == 0) {
		snprintf(err, errlen, "empty target");
		return -1;
	}
	if (v[0] == '[') {
		/* "[2001:db8::1]" as in a URL */
		if (n < 3 || v[n - 1] != ']' || n - 2 >= sizeof(q->target)) {
			snprintf(err, errlen, "bad target: unbalanced '['");
			return -1;
		}
		memcpy(q->target, v + 1, n - 2);
		q->target[n - 2] = '\0';
		if (strchr(q->target, ':') == NULL) {
			snprintf(err, errlen, "bad target: brackets are for "
			    "IPv6 addresses");
			return -1;
		}
	} else {
		if (n >= sizeof(q->target)) {
			snprintf(err, errlen, "bad target: longer than 253 "
			    "characters");
			return -1;
		}
		memcpy(q->target, v, n + 1);
		/* one ':' is host:port, which is not how ports are given */
		if (strchr(v, ':') != NULL &&
		    strchr(v, ':') == strrchr(v, ':')) {
			snprintf(err, errlen, "bad target: give ports with "
			    "ports=, not host:port");
			return -1;
		}
	}
	if (!query_valid_host(q->target)) {
		snprintf(err, errlen, "bad target: not a host name or IP "
		    "address");
		return -1;
	}
	return 0;
}

int
query_parse(const char *qs, struct query *q, char *err, size_t errlen)
{
	char		 key[32], val[QUERY_MAX_LEN + 1], perr[160];
	const char	*p, *amp, *eq;
	size_t		 klen, vlen;
	int		 seen_target = 0, seen_module = 0, seen_debug = 0;

	memset(q, 0, sizeof(*q));
	snprintf(q->module, sizeof(q->module), "default");
	if (qs == NULL)
		qs = "";
	if (strlen(qs) > QUERY_MAX_LEN) {
		snprintf(err, errlen, "query string longer than %d bytes",
		    QUERY_MAX_LEN);
		return -1;
	}
	for (p = qs; *p != '\0'; p = *amp != '\0' ? amp + 1 : amp) {
		if ((amp = strchr(p, '&')) == NULL)
			amp = p + strlen(p);
		if (amp == p)
			continue;
		eq = memchr(p, '=', (size_t)(amp - p));
		klen = (size_t)((eq != NULL ? eq : amp) - p);
		vlen = eq != NULL ? (size_t)(amp - eq - 1) : 0;
		if (query_decode(p, klen, key, sizeof(key)) == -1)
			continue;	/* not a key we know */
		if (query_decode(eq != NULL ? eq + 1 : amp, vlen, val,
		    sizeof(val)) == -1) {
			snprintf(err, errlen, "bad percent-encoding in "
			    "parameter \"%.31s\"", key);
			return -1;
		}
		if (strcmp(key, "target") == 0) {
			if (seen_target++) {
				snprintf(err, errlen, "target given twice");
				return -1;
			}
			if (query_target(val, q, err, errlen) == -1)
				return -1;
		} else if (strcmp(key, "module") == 0) {
			if (seen_module++) {
				snprintf(err, errlen, "module given twice");
				return -1;
			}
			if (*val == '\0' || strlen(val) >= sizeof(q->module)) {
				snprintf(err, errlen, "bad module name");
				return -1;
			}
			memcpy(q->module, val, strlen(val) + 1);
		} else if (strcmp(key, "ports") == 0) {
			if (q->have_ports++) {
				snprintf(err, errlen, "ports given twice");
				return -1;
			}
			if (smtpprobe_portspec_parse(val, q->ports,
			    QUERY_MAX_PORTS, &q->nports, perr,
			    sizeof(perr)) == -1) {
				snprintf(err, errlen, "bad ports: %s", perr);
				return -1;
			}
		} else if (strcmp(key, "debug") == 0) {
			if (seen_debug++) {
				snprintf(err, errlen, "debug given twice");
				return -1;
			}
			if (strcasecmp(val, "true") == 0 ||
			    strcmp(val, "1") == 0)
				q->debug = 1;
			else if (strcasecmp(val, "false") == 0 ||
			    strcmp(val, "0") == 0)
				q->debug = 0;
			else {
				snprintf(err, errlen, "debug must be true or "
				    "false");
				return -1;
			}
		}
	}
	if (!seen_target) {
		snprintf(err, errlen, "missing target parameter");
		return -1;
	}
	return 0;
}

int
query_timeout(const char *header, int64_t offset_us, int64_t module_us,
    int64_t *out_us, char *err, size_t errlen)
{
	double	 secs;
	char	*end;
	int64_t	 t;

	if (header == NULL) {
		*out_us = module_us;
		return 0;
	}
	while (*header == ' ' || *header == '\t')
		header++;
	errno = 0;
	secs = strtod(header, &end);
	while (*end == ' ' || *end == '\t')
		end++;
	if (end == header || *end != '\0' || errno != 0 || !isfinite(secs) ||
	    secs <= 0 || !isdigit((unsigned char)*header)) {
		snprintf(err, errlen, "bad X-Prometheus-Scrape-Timeout-Seconds "
		    "header");
		return -1;
	}
	if (secs > 86400)
		secs = 86400;
	t = (int64_t)(secs * 1e6) - offset_us;
	if (t < QUERY_MIN_TIMEOUT_US)
		t = QUERY_MIN_TIMEOUT_US;
	if (t > module_us)
		t = module_us;
	*out_us = t;
	return 0;
}
