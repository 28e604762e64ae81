/*
 * app.h: the daemon's shared state: the current configuration and web
 * config (swapped together, atomically, on reload), the prober and the
 * scheduler, reachable from the HTTP and signal paths.
 */
#ifndef EXPORTER_APP_H
#define EXPORTER_APP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "prober.h"
#include "scheduler.h"
#include "webconfig.h"

struct app {
	const char		*config_path;	/* NULL: built-in config */
	const char		*web_config_path; /* NULL: none, never
						   re-read */
	struct prober		*prober;
	struct scheduler	*sched;
	struct webconfig	*wc;		/* the first web config, NULL:
						   no auth, no TLS; app_init
						   takes the reference and
						   clears this field: use
						   app_webconfig() */
	int			 tls;		/* the listener serves TLS
						   (fixed at start) */
	int64_t			 timeout_offset_us;
};

/* Install the state and the first configuration (the app takes cfg's
 * reference and a->wc's). */
void		 app_init(const struct app *, struct config *cfg);
const struct app *app_get(void);
/* The current configuration with a reference of the caller's own. */
struct config	*app_config(void);
/* The current web config with a reference of the caller's own
 * (webconfig_unref it); NULL when there is none. */
struct webconfig *app_webconfig(void);
/*
 * Reload from the config path and, if one was given, the web config
 * path.  Atomic: both files good replace the configuration and the web
 * config at once (one critical section) and re-plan scheduled targets;
 * either one bad keeps both old ones, logs the reason and sets the
 * reload metric to 0.  TLS cannot be switched on or off on the running
 * listener: that is logged as taking effect at the next restart (a TLS
 * listener keeps its old certificate if the new file has none).
 * Serialised.  0 or -1 with the reason in err.
 */
int		 app_reload(char *err, size_t errlen);
/* Drop the configuration and the web config at exit. */
void		 app_fini(void);

#endif
