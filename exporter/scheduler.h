/*
 * scheduler.h: scheduled targets (config "targets"): each probed every
 * interval (jittered start) in the background; /metrics shows the latest
 * results, histograms and counters without ever waiting for a probe.
 */
#ifndef EXPORTER_SCHEDULER_H
#define EXPORTER_SCHEDULER_H

#include "config.h"
#include "prober.h"
#include "strbuf.h"

struct scheduler;

/* Start the scheduler thread with cfg's targets.  NULL on failure. */
struct scheduler *scheduler_start(struct prober *, struct config *cfg,
		    char *err, size_t errlen);
/*
 * Re-plan from a new config: targets whose name, host, module, ports and
 * buckets are unchanged keep their results and series; the others start
 * fresh; targets no longer configured disappear from /metrics at once.
 */
void		 scheduler_replan(struct scheduler *, struct config *cfg);
/* Stop the thread (no new probes; call before prober_stop()). */
void		 scheduler_stop(struct scheduler *);
/* Free, once prober_stop() has returned (no job can call back).  NULL ok. */
void		 scheduler_free(struct scheduler *);
/* The scheduled targets' families (metric text). */
void		 scheduler_write_metrics(struct scheduler *, struct strbuf *);
/* HTML table rows (<tr>...) for the landing page, text escaped. */
void		 scheduler_write_html(struct scheduler *, struct strbuf *);

#endif
