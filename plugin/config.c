/*
 * config.c: defaults of a run and the plugin state helpers (see config.h).
 */
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "config.h"

static const char *const state_names[PLUGIN_STATE_COUNT] = {
	[PLUGIN_OK] = "OK",
	[PLUGIN_WARNING] = "WARNING",
	[PLUGIN_CRITICAL] = "CRITICAL",
	[PLUGIN_UNKNOWN] = "UNKNOWN",
};

static const int state_ranks[PLUGIN_STATE_COUNT] = {
	[PLUGIN_OK] = 0,
	[PLUGIN_WARNING] = 1,
	[PLUGIN_UNKNOWN] = 2,
	[PLUGIN_CRITICAL] = 3,
};

/* Returned for a phase out of range: never alerts. */
static const struct range range_unset;

void
config_defaults(struct plugin_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->family = AF_UNSPEC;
	cfg->timeout = CONFIG_DEFAULT_TIMEOUT;
	cfg->timeout_state = PLUGIN_CRITICAL;
	cfg->cert_warn_days = CONFIG_CERT_WARN;
	cfg->cert_crit_days = CONFIG_CERT_CRIT;
	cfg->min_tls = SMTPPROBE_TLS_DEFAULT;
	cfg->format = PLUGIN_FORMAT_NAGIOS;
}

const char *
config_state_name(enum plugin_state s)
{
	if ((unsigned)s >= PLUGIN_STATE_COUNT)
		return "UNKNOWN";
	return state_names[s];
}

int
config_state_from_name(const char *s)
{
	int	 i;

	if (s == NULL)
		return -1;
	for (i = 0; i < PLUGIN_STATE_COUNT; i++)
		if (strcasecmp(s, state_names[i]) == 0)
			return i;
	return -1;
}

int
config_state_rank(enum plugin_state s)
{
	if ((unsigned)s >= PLUGIN_STATE_COUNT)
		return state_ranks[PLUGIN_UNKNOWN];
	return state_ranks[s];
}

enum plugin_state
config_state_worst(enum plugin_state a, enum plugin_state b)
{
	return config_state_rank(a) >= config_state_rank(b) ? a : b;
}

const struct range *
config_warn_range(const struct plugin_config *cfg, enum smtpprobe_phase p)
{
	if ((unsigned)p >= SMTPPROBE_PHASE_COUNT)
		return &range_unset;
	if (p == SMTPPROBE_PHASE_TOTAL && !cfg->phase_warn[p].set)
		return &cfg->warn;
	return &cfg->phase_warn[p];
}

const struct range *
config_crit_range(const struct plugin_config *cfg, enum smtpprobe_phase p)
{
	if ((unsigned)p >= SMTPPROBE_PHASE_COUNT)
		return &range_unset;
	if (p == SMTPPROBE_PHASE_TOTAL && !cfg->phase_crit[p].set)
		return &cfg->crit;
	return &cfg->phase_crit[p];
}
