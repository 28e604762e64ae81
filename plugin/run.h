/*
 * run.h: carry out the probes of a run through the library's event loop:
 * with --mx look up the MX hosts first (null MX and "no MX" handled), with
 * --all-addresses look up each host's addresses and probe every one, else
 * one probe per port and host (the loop resolves, one query per name).
 * Everything, DNS included, ends by one absolute deadline.
 */
#ifndef PLUGIN_RUN_H
#define PLUGIN_RUN_H

#include <stdint.h>

#include "config.h"
#include "report.h"

struct run {
	struct smtpprobe_ctx	*ctx;	/* must outlive the report's probes */
	struct smtpprobe_loop	*loop;
};

/*
 * Fill rep (report_init'ed) with one finished item per probe, the hosts
 * and the MX answer, by deadline (monotonic µs).  Returns 0; -1 with a
 * reason in err when the run could not start at all (no context, no
 * loop, no memory); -2 when the configuration was refused (a bad
 * --dns-server).  The caller reports UNKNOWN either way.
 */
int		 run_execute(struct run *, const struct plugin_config *,
		    struct report *rep, int64_t deadline, char *err,
		    size_t errlen);

/* Free what run_execute() made; after report_free().  NULL-safe fields. */
void		 run_free(struct run *);

/* How long after the deadline the runner still waits for the library to
 * finish its probes before cancelling them (µs). */
#define RUN_GRACE_US	40000

#endif
