/*
 * app.c: the daemon's shared state and the reload path used by SIGHUP
 * and POST /-/reload.  The configuration pointer is swapped under a
 * mutex; readers take a reference, so a request in progress keeps the
 * configuration it started with.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "log.h"
#include "selfmetrics.h"

static struct app	 app_state;
static struct config	*app_cfg;
static pthread_mutex_t	 app_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t	 app_reload_mu = PTHREAD_MUTEX_INITIALIZER;

void
app_init(const struct app *a, struct config *cfg)
{
	app_state = *a;
	pthread_mutex_lock(&app_mu);
	app_cfg = cfg;
	pthread_mutex_unlock(&app_mu);
}

const struct app *
app_get(void)
{
	return &app_state;
}

struct config *
app_config(void)
{
	struct config	*c;

	pthread_mutex_lock(&app_mu);
	c = config_ref(app_cfg);
	pthread_mutex_unlock(&app_mu);
	return c;
}

int
app_reload(char *err, size_t errlen)
{
	struct config	*n, *old;
	char		 nt[32];

	pthread_mutex_lock(&app_reload_mu);
	if ((n = config_load(app_state.config_path, err, errlen)) == NULL) {
		selfmetrics_reload(0);
		log_msg(LOG_LEVEL_ERROR, "config reload failed, keeping the "
		    "old configuration", "err", err, NULL);
		pthread_mutex_unlock(&app_reload_mu);
		return -1;
	}
	pthread_mutex_lock(&app_mu);
	old = app_cfg;
	app_cfg = n;
	pthread_mutex_unlock(&app_mu);
	if ((old->dns_server == NULL) != (n->dns_server == NULL) ||
	    (old->dns_server != NULL &&
	    strcmp(old->dns_server, n->dns_server) != 0))
		log_msg(LOG_LEVEL_WARN, "dns_server changed: it takes effect "
		    "at the next restart", NULL);
	if (app_state.sched != NULL)
		scheduler_replan(app_state.sched, n);
	config_unref(old);
	selfmetrics_reload(1);
	snprintf(nt, sizeof(nt), "%zu", n->ntargets);
	log_msg(LOG_LEVEL_INFO, "config reloaded", "file",
	    app_state.config_path != NULL ? app_state.config_path : "(none)",
	    "targets", nt, NULL);
	pthread_mutex_unlock(&app_reload_mu);
	return 0;
}

void
app_fini(void)
{
	pthread_mutex_lock(&app_mu);
	config_unref(app_cfg);
	app_cfg = NULL;
	pthread_mutex_unlock(&app_mu);
}
