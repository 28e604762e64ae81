/*
 * latch.h: the bridge between a run's report and the state file: what the
 * file remembers about each probed port (before evaluation) and what this
 * run observed (after it).  The "lost STARTTLS" and "became unreachable"
 * alerts latch by themselves: the file keeps the last time STARTTLS was
 * seen or the port answered, so the alert repeats on every run until
 * STARTTLS is back / the port answers, or --state-reset clears the key.
 */
#ifndef PLUGIN_LATCH_H
#define PLUGIN_LATCH_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "report.h"
#include "statefile.h"

/* The state-file key of an item: "host/port", "host/port@address" with
 * --all-addresses. */
char		*latch_key(const struct plugin_config *, const struct report *,
		    const struct report_item *, char *buf, size_t len);

/* Copy what sf remembers into each item's prev_* (0 with --state-reset). */
void		 latch_prepare(const struct plugin_config *, struct report *,
		    const struct statefile *);

/* One update per item (malloc'd, *n set); NULL on out of memory. */
struct statefile_update *latch_updates(const struct plugin_config *,
		    const struct report *, int64_t wall_now, size_t *n);

#endif
