/*
 * fuzz_range.c: libFuzzer target for the Nagios threshold range parser
 * (plugin/range.c; "10", "10:", "~:10", "10:20", "@10:20").
 *
 * Checked: no crash or undefined behaviour; on failure the range is
 * unset and the reason terminated and non-empty; on success start and
 * end are numbers (never NaN: a NaN bound would make a threshold that
 * silently never alerts), start <= end when both are finite, the text
 * is terminated, and range_alert() agrees with the definition for a few
 * probe values (outside [start, end] alerts, or inside with '@').
 */
#include <math.h>

#include "fuzz_util.h"
#include "plugin/range.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const double	 probes[] = { -1e300, -10, -1, 0, 0.5, 1, 7,
	    10, 10.0001, 20, 1e300 };
	struct range		 r;
	char			*s, err[128];
	double			 v, lo, hi;
	size_t			 i;
	int			 outside, want;

	if (size > 256)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(err, 'X', sizeof(err));
	if (range_parse(s, &r, err, sizeof(err)) == -1) {
		FUZZ_CHECK(r.set == 0, "failed parse left the range set");
		FUZZ_CHECK(fuzz_terminated(err, sizeof(err)) && err[0] != '\0',
		    "failure without a reason");
		free(s);
		return 0;
	}
	FUZZ_CHECK(r.set == 1, "parsed range not set");
	FUZZ_CHECK(fuzz_terminated(r.text, sizeof(r.text)),
	    "text unterminated");
	FUZZ_CHECK(!isnan(r.start) && !isnan(r.end), "NaN bound accepted");
	lo = r.start_inf ? -INFINITY : r.start;
	hi = r.end_inf ? INFINITY : r.end;
	FUZZ_CHECK(lo <= hi, "start > end accepted");
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		v = probes[i];
		outside = v < lo || v > hi;
		want = r.inside ? !outside : outside;
		FUZZ_CHECK(range_alert(&r, v) == want,
		    "range_alert disagrees with the definition");
	}
	free(s);
	return 0;
}
