/*
 * prober.h: the probe threads.  Each worker thread runs one
 * smtpprobe_loop; jobs (one target, several ports) are handed over
 * through a mutex-protected queue and smtpprobe_loop_wakeup().  A job's
 * done callback runs on the worker thread when every port has a result.
 */
#ifndef EXPORTER_PROBER_H
#define EXPORTER_PROBER_H

#include <stddef.h>
#include <stdint.h>

#include "smtpprobe.h"
#include "config.h"

#define PROBER_MAX_WORKERS	16
#define PROBER_MAX_RESOLVERS	8	/* distinct module dns_server */
#define PROBER_MAX_ITEMS	(CONFIG_MAX_PORTS * SMTPPROBE_MAX_ADDRESSES)

struct prober;
struct prober_job;

typedef void prober_done_fn(struct prober_job *, void *arg);

/* What to probe.  The prober copies it; cfg gets a reference of its own. */
struct prober_request {
	struct config			*cfg;
	const struct config_module	*module;	/* in cfg */
	const char			*host;
	const struct smtpprobe_portspec	*ports;
	size_t				 nports;
	int64_t				 timeout_us;
	int				 trace;		/* debug=true */
	int				 check_allow;	/* /probe: apply
							   cfg->allow */
	int				 limited;	/* counts against
							   max_pending */
	prober_done_fn			*done;		/* required */
	void				*arg;
};

/* One result of a finished job. */
struct prober_item {
	struct smtpprobe_result		 res;	/* copy; res.transcript is
						   valid during done() */
	enum smtpprobe_policy		 policy;
};

enum prober_status {
	PROBER_STATUS_DONE,		/* items hold the results */
	PROBER_STATUS_DENIED,		/* allowlist, after resolving */
	PROBER_STATUS_CANCELLED,	/* shut down before it ran */
	PROBER_STATUS_COUNT
};

/* What done() sees; valid only during the callback. */
struct prober_job {
	enum prober_status	 status;
	char			 host[256];
	struct prober_item	*items;
	size_t			 nitems;
	int			 multi_address;	/* several addresses probed */
	int64_t			 start_us;	/* monotonic */
	int64_t			 duration_us;
	void			*arg;
	/* private */
	struct prober_job_priv	*priv;
};

struct prober_params {
	size_t		 workers;	/* 0: one per online CPU */
	size_t		 max_active;	/* per loop, 0: no cap */
	size_t		 max_pending;	/* limited jobs queued or running */
	const char	*dns_servers;	/* NULL: the system's */
};

/* Start the worker threads.  NULL with a reason on failure. */
struct prober	*prober_start(const struct prober_params *, char *err,
		    size_t errlen);
/* prober_submit()'s refusals. */
#define PROBER_BUSY		(-1)	/* overloaded (max_pending),
					   stopping, bad request */
#define PROBER_NO_RESOLVER	(-2)	/* no loop for the job's resolver
					   (PROBER_MAX_RESOLVERS in use) */
/*
 * Submit a job.  0, or PROBER_BUSY or PROBER_NO_RESOLVER; then done() is
 * never called.  On 0, done() is called exactly once, on a worker
 * thread, possibly before prober_submit() returns to the caller.
 */
int		 prober_submit(struct prober *, const struct prober_request *);
/*
 * Stop: in-flight probes are cancelled (their results say timeout),
 * queued jobs complete as CANCELLED; every done() has been called when
 * this returns.  Later submits fail (the object stays valid).
 * Idempotent.
 */
void		 prober_stop(struct prober *);
/* Stop if needed, then free.  NULL ok. */
void		 prober_free(struct prober *);
/* Probes currently running (for the in-flight gauge). */
int64_t		 prober_inflight(const struct prober *);

#endif
