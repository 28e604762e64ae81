/*
 * metrics.h: the Prometheus text exposition format (version 0.0.4)
 * writer: HELP/TYPE lines, samples with escaped labels, histograms.
 */
#ifndef EXPORTER_METRICS_H
#define EXPORTER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/* Label values are untrusted: metrics_sample() escapes them and forces
 * valid UTF-8.  Label names are program constants. */
struct metrics_label {
	const char	*name;
	const char	*value;
};

/* "# HELP name help\n# TYPE name type\n"; type is gauge, counter, ...; the
 * help text is escaped (backslash, newline). */
void	 metrics_family(struct strbuf *, const char *name, const char *type,
	    const char *help);

/* One sample line; value is the already formatted number. */
void	 metrics_sample(struct strbuf *, const char *name,
	    const struct metrics_label *, size_t nlabels, const char *value);
void	 metrics_sample_int(struct strbuf *, const char *name,
	    const struct metrics_label *, size_t nlabels, int64_t);
void	 metrics_sample_double(struct strbuf *, const char *name,
	    const struct metrics_label *, size_t nlabels, double);
/* Microseconds written exactly as seconds ("0.001234"). */
void	 metrics_sample_us(struct strbuf *, const char *name,
	    const struct metrics_label *, size_t nlabels, int64_t us);

/*
 * A histogram's samples (no HELP/TYPE): name_bucket{...,le="b"} for each
 * bound (cumulative), le="+Inf", name_sum, name_count.  counts[] holds
 * nbounds + 1 NON-cumulative bucket counts (the last is above every
 * bound).  At most 8 labels besides le.
 */
void	 metrics_histogram(struct strbuf *, const char *name,
	    const struct metrics_label *, size_t nlabels,
	    const double *bounds, size_t nbounds, const uint64_t *counts,
	    double sum);

/* Escape a label value into b: '\\' '"' '\n' escaped, invalid UTF-8 as
 * U+FFFD. */
void	 metrics_escape_label(struct strbuf *, const char *);
/* Shortest text that reads back as d ("0.25", "1e-05", "NaN", "+Inf"). */
void	 metrics_format_double(char *, size_t, double);

#endif
