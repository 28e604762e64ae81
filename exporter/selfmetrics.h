/*
 * selfmetrics.h: the exporter's own metrics: build info, config reload
 * state, probes in flight, HTTP requests by endpoint and code, and the
 * standard process_* metrics from /proc.
 */
#ifndef EXPORTER_SELFMETRICS_H
#define EXPORTER_SELFMETRICS_H

#include <stdint.h>

#include "strbuf.h"

enum selfmetrics_endpoint {
	SELFMETRICS_EP_PROBE,
	SELFMETRICS_EP_METRICS,
	SELFMETRICS_EP_ROOT,
	SELFMETRICS_EP_HEALTHY,
	SELFMETRICS_EP_READY,
	SELFMETRICS_EP_RELOAD,
	SELFMETRICS_EP_OTHER,
	SELFMETRICS_EP_COUNT
};

/* Record the start time (call once, early in main). */
void	 selfmetrics_init(void);
/* Count one answered request (thread-safe). */
void	 selfmetrics_request(enum selfmetrics_endpoint, unsigned code);
/* Record a config (re)load: ok 1 sets the success timestamp too. */
void	 selfmetrics_reload(int ok);
int	 selfmetrics_reload_ok(void);
/* Changes with every selfmetrics_reload() (after the reload took
 * effect): a cached /metrics rendering older than it is stale. */
unsigned selfmetrics_generation(void);
/* Write every self family; inflight is the probes-in-flight gauge. */
void	 selfmetrics_write(struct strbuf *, int64_t inflight);
/* Path of an endpoint ("/probe"); "other" for the catch-all. */
const char *selfmetrics_endpoint_name(enum selfmetrics_endpoint);

#endif
