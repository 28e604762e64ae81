/*
 * app.h: the daemon's shared state: the current configuration (swapped
 * atomically on reload), the prober, the scheduler and the web config,
 * reachable from the HTTP and signal paths.
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
	struct prober		*prober;
	struct scheduler	*sched;
	struct webconfig	*wc;		/* NULL: no auth, no TLS */
	int64_t			 timeout_offset_us;
};

/* Install the state and the first configuration (the app takes cfg's
 * reference). */
void		 app_init(const struct app *, struct config *cfg);
const struct app *app_get(void);
/* The current configuration with a reference of the caller's own. */
struct config	*app_config(void);
/*
 * Reload from the config path: a good file replaces the configuration at
 * once and re-plans scheduled targets; a bad one keeps the old and sets
 * the reload metric to 0.  Serialised.  0 or -1 with the reason in err.
 */
int		 app_reload(char *err, size_t errlen);
/* Drop the configuration at exit. */
void		 app_fini(void);

#endif
