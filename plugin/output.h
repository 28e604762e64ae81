/*
 * output.h: the Nagios text of a run (Monitoring Plugins Development
 * Guidelines): the status line "SMTP PORTS <STATE> - ...", worst ports
 * first; one long-output line per probe (-v adds the facts, -vv the SMTP
 * dialogue); then perfdata on a last line after '|'.  Text never holds
 * '|', CR or control characters; ',' separates (Nagios turns ';' into
 * ':'); numbers are in the C locale.
 */
#ifndef PLUGIN_OUTPUT_H
#define PLUGIN_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "report.h"

/* The whole text output of a run (evaluated report) into out. */
void		 output_nagios(const struct plugin_config *,
		    const struct report *, struct buf *out);

/* The status line only, without a line end. */
void		 output_status(const struct plugin_config *,
		    const struct report *, struct buf *out);

/* The perfdata only ("'resolve'=0.001s;;;0; ..."), without '|'. */
void		 output_perfdata(const struct plugin_config *,
		    const struct report *, struct buf *out);

/* Seconds from µs, "%.6f" with trailing zeros trimmed: "0.0012". */
char		*output_seconds(char *buf, size_t len, int64_t us);

/* Append s to out with '|' turned into '/' and control characters
 * (CR, LF, TAB...) into spaces. */
void		 output_clean(struct buf *out, const char *s);

/* The name of an item in text: "587/starttls", "587/starttls@::1". */
char		*output_item_name(const struct report *,
		    const struct report_item *, char *buf, size_t len);

/* Whole days from now to t (floor; negative when t is past). */
int64_t		 output_days_left(int64_t t, int64_t now);

#endif
