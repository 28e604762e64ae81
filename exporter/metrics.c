/*
 * metrics.c: writes the Prometheus text exposition format 0.0.4.  Every
 * label value is escaped ('\\', '"', newline) and made valid UTF-8, even
 * though the library already sanitises what it returns: this file is the
 * last line of defence for promtool and for Prometheus's parser.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

#define METRICS_MAX_LABELS	16

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid
 * (RFC 3629 §4: no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t
metrics_utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (s[0] == 0xe0 && s[1] < 0xa0)
			return 0;
		if (s[0] == 0xed && s[1] >= 0xa0)
			return 0;
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (s[0] == 0xf0 && s[1] < 0x90)
			return 0;
		if (s[0] == 0xf4 && s[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

void
metrics_escape_label(struct strbuf *b, const char *v)
{
	const unsigned char	*p = (const unsigned char *)v;
	size_t			 n;

	while (*p != '\0') {
		if (*p == '\\')
			strbuf_puts(b, "\\\\");
		else if (*p == '"')
			strbuf_puts(b, "\\\"");
		else if (*p == '\n')
			strbuf_puts(b, "\\n");
		else if ((n = metrics_utf8_len(p)) == 0)
			strbuf_puts(b, "\xef\xbf\xbd");	/* U+FFFD */
		else {
			strbuf_append(b, (const char *)p, n);
			p += n;
			continue;
		}
		p++;
	}
}

/* HELP text escaping: only backslash and newline. */
static void
metrics_escape_help(struct strbuf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			strbuf_puts(b, "\\\\");
		else if (*s == '\n')
			strbuf_puts(b, "\\n");
		else
			strbuf_putc(b, *s);
	}
}

void
metrics_family(struct strbuf *b, const char *name, const char *type,
    const char *help)
{
	strbuf_printf(b, "# HELP %s ", name);
	metrics_escape_help(b, help);
	strbuf_printf(b, "\n# TYPE %s %s\n", name, type);
}

void
metrics_format_double(char *buf, size_t len, double d)
{
	int	 prec;

	if (isnan(d)) {
		snprintf(buf, len, "NaN");
		return;
	}
	if (isinf(d)) {
		snprintf(buf, len, "%s", d > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (prec = 6; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
}

void
metrics_sample(struct strbuf *b, const char *name,
    const struct metrics_label *l, size_t n, const char *value)
{
	size_t	 i;

	strbuf_puts(b, name);
	if (n > 0) {
		strbuf_putc(b, '{');
		for (i = 0; i < n; i++) {
			if (i > 0)
				strbuf_putc(b, ',');
			strbuf_puts(b, l[i].name);
			strbuf_puts(b, "=\"");
			metrics_escape_label(b, l[i].value != NULL ?
			    l[i].value : "");
			strbuf_putc(b, '"');
		}
		strbuf_putc(b, '}');
	}
	strbuf_putc(b, ' ');
	strbuf_puts(b, value);
	strbuf_putc(b, '\n');
}

void
metrics_sample_int(struct strbuf *b, const char *name,
    const struct metrics_label *l, size_t n, int64_t v)
{
	char	 buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	metrics_sample(b, name, l, n, buf);
}

void
metrics_sample_double(struct strbuf *b, const char *name,
    const struct metrics_label *l, size_t n, double v)
{
	char	 buf[64];

	metrics_format_double(buf, sizeof(buf), v);
	metrics_sample(b, name, l, n, buf);
}

void
metrics_sample_us(struct strbuf *b, const char *name,
    const struct metrics_label *l, size_t n, int64_t us)
{
	char	 buf[48];

	if (us < 0)
		us = 0;
	snprintf(buf, sizeof(buf), "%" PRId64 ".%06" PRId64,
	    us / 1000000, us % 1000000);
	metrics_sample(b, name, l, n, buf);
}

void
metrics_histogram(struct strbuf *b, const char *name,
    const struct metrics_label *l, size_t n, const double *bounds,
    size_t nbounds, const uint64_t *counts, double sum)
{
	struct metrics_label	 ll[METRICS_MAX_LABELS + 1];
	char			 fname[256], le[64];
	uint64_t		 cum = 0;
	size_t			 i;

	if (n > METRICS_MAX_LABELS)
		n = METRICS_MAX_LABELS;
	memcpy(ll, l, n * sizeof(*l));
	ll[n].name = "le";
	snprintf(fname, sizeof(fname), "%s_bucket", name);
	for (i = 0; i <= nbounds; i++) {
		cum += counts[i];
		if (i < nbounds)
			metrics_format_double(le, sizeof(le), bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		ll[n].value = le;
		metrics_sample_int(b, fname, ll, n + 1, (int64_t)cum);
	}
	snprintf(fname, sizeof(fname), "%s_sum", name);
	metrics_sample_double(b, fname, l, n, sum);
	snprintf(fname, sizeof(fname), "%s_count", name);
	metrics_sample_int(b, fname, l, n, (int64_t)cum);
}
