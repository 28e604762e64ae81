/*
 * app.c: the daemon's shared state and the reload path used by SIGHUP
 * and POST /-/reload.  The configuration and web config pointers are
 * swapped together under a mutex; readers take a reference, so a
 * request in progress keeps the configuration (and the password table)
 * it started with, and never sees a half-built one.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "log.h"
#include "selfmetrics.h"

static struct app	 app_state;
static struct config	*app_cfg;
static struct webconfig	*app_wc;	/* NULL: no web config */
static pthread_mutex_t	 app_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t	 app_reload_mu = PTHREAD_MUTEX_INITIALIZER;

void
app_init(const struct app *a, struct config *cfg)
{
	app_state = *a;
	app_state.wc = NULL;
	pthread_mutex_lock(&app_mu);
	app_cfg = cfg;
	app_wc = a->wc;
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

struct webconfig *
app_webconfig(void)
{
	struct webconfig	*wc;

	pthread_mutex_lock(&app_mu);
	wc = webconfig_ref(app_wc);
	pthread_mutex_unlock(&app_mu);
	return wc;
}

/*
 * Load the web config for a reload and fit it to the running listener;
 * cur is the web config in force (stable: reloads are serialised).
 * NULL with the reason in err.
 */
static struct webconfig *
app_load_web(struct webconfig *cur, char *err, size_t errlen)
{
	struct webconfig	*nw;

	if ((nw = webconfig_load(app_state.web_config_path, err,
	    errlen)) == NULL)
		return NULL;
	if (app_state.tls && !webconfig_has_tls(nw)) {
		if (webconfig_keep_tls(nw, cur) == -1) {
			snprintf(err, errlen, "%s: out of memory",
			    app_state.web_config_path);
			webconfig_unref(nw);
			return NULL;
		}
		log_msg(LOG_LEVEL_WARN, "tls_server_config removed: the "
		    "listener serves TLS with the old certificate until the "
		    "next restart", "file", app_state.web_config_path, NULL);
	} else if (!app_state.tls && webconfig_has_tls(nw))
		log_msg(LOG_LEVEL_WARN, "tls_server_config added: the "
		    "listener stays plain HTTP until the next restart", "file",
		    app_state.web_config_path, NULL);
	else if (app_state.tls && !webconfig_same_tls(nw, cur))
		log_msg(LOG_LEVEL_INFO, "TLS certificate or key changed: new "
		    "connections use it", "file", app_state.web_config_path,
		    NULL);
	webconfig_keep_cache(nw, cur);
	return nw;
}

int
app_reload(char *err, size_t errlen)
{
	struct config		*n, *old;
	struct webconfig	*nw = NULL, *oldw;
	char			 nt[32], nu[32];

	pthread_mutex_lock(&app_reload_mu);
	if ((n = config_load(app_state.config_path, err, errlen)) == NULL) {
		selfmetrics_reload(0);
		log_msg(LOG_LEVEL_ERROR, "config reload failed, keeping the "
		    "old configuration and web config", "err", err, NULL);
		pthread_mutex_unlock(&app_reload_mu);
		return -1;
	}
	/* app_wc only changes here, under app_reload_mu */
	if (app_state.web_config_path != NULL &&
	    (nw = app_load_web(app_wc, err, errlen)) == NULL) {
		config_unref(n);
		selfmetrics_reload(0);
		log_msg(LOG_LEVEL_ERROR, "web config reload failed, keeping "
		    "the old configuration and web config", "err", err, NULL);
		pthread_mutex_unlock(&app_reload_mu);
		return -1;
	}
	pthread_mutex_lock(&app_mu);
	old = app_cfg;
	app_cfg = n;
	oldw = app_wc;
	if (app_state.web_config_path != NULL)
		app_wc = nw;
	else
		oldw = NULL;
	pthread_mutex_unlock(&app_mu);
	if ((old->dns_server == NULL) != (n->dns_server == NULL) ||
	    (old->dns_server != NULL &&
	    strcmp(old->dns_server, n->dns_server) != 0))
		log_msg(LOG_LEVEL_INFO, "dns_server changed: new probes use "
		    "it", "dns_server", n->dns_server != NULL ?
		    n->dns_server : "(system)", NULL);
	if (app_state.sched != NULL)
		scheduler_replan(app_state.sched, n);
	config_unref(old);
	webconfig_unref(oldw);
	selfmetrics_reload(1);
	snprintf(nt, sizeof(nt), "%zu", n->ntargets);
	log_msg(LOG_LEVEL_INFO, "config reloaded", "file",
	    app_state.config_path != NULL ? app_state.config_path : "(none)",
	    "targets", nt, NULL);
	if (nw != NULL) {
		snprintf(nu, sizeof(nu), "%zu", webconfig_nusers(nw));
		log_msg(LOG_LEVEL_INFO, "web config reloaded", "file",
		    app_state.web_config_path, "users", nu, "tls",
		    app_state.tls ? "true" : "false", NULL);
	}
	pthread_mutex_unlock(&app_reload_mu);
	return 0;
}

void
app_fini(void)
{
	pthread_mutex_lock(&app_mu);
	config_unref(app_cfg);
	app_cfg = NULL;
	webconfig_unref(app_wc);
	app_wc = NULL;
	pthread_mutex_unlock(&app_mu);
}
