/*
 * config.h: what one run of check_smtp_ports was asked to do (filled from
 * argv by options.c), and the plugin states.
 */
#ifndef PLUGIN_CONFIG_H
#define PLUGIN_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "smtpprobe.h"
#include "range.h"

/* Plugin states; the values are the exit codes (Monitoring Plugins
 * Development Guidelines, "Plugin Return Codes"). */
enum plugin_state {
	PLUGIN_OK = 0,
	PLUGIN_WARNING = 1,
	PLUGIN_CRITICAL = 2,
	PLUGIN_UNKNOWN = 3,
	PLUGIN_STATE_COUNT
};

enum plugin_format {
	PLUGIN_FORMAT_NAGIOS,
	PLUGIN_FORMAT_JSON,
	PLUGIN_FORMAT_COUNT
};

#define CONFIG_MAX_PORTS	32
#define CONFIG_DEFAULT_TIMEOUT	10.0	/* seconds */
#define CONFIG_MIN_TIMEOUT	1.0
#define CONFIG_MAX_TIMEOUT	3600.0
#define CONFIG_CERT_WARN	14
#define CONFIG_CERT_CRIT	7
#define CONFIG_MAX_CERT_DAYS	36500

/* Strings point into argv (never freed); NULL when not given. */
struct plugin_config {
	const char		*host;
	int			 family;	/* AF_UNSPEC, AF_INET(6) */
	int			 all_addresses;
	int			 mx;
	int			 mx_any;

	struct smtpprobe_portspec ports[CONFIG_MAX_PORTS];
	size_t			 nports;

	double			 timeout;	/* seconds */
	enum plugin_state	 timeout_state;	/* default CRITICAL */
	int			 timeout_state_set; /* --timeout-state given:
						   replaces the table's
						   state of timeouts */

	struct range		 warn;		/* -w: total */
	struct range		 crit;		/* -c: total */
	struct range		 phase_warn[SMTPPROBE_PHASE_COUNT];
	struct range		 phase_crit[SMTPPROBE_PHASE_COUNT];

	long			 cert_warn_days;
	long			 cert_crit_days;

	const char		*ca_file;
	const char		*verify_name;
	const char		*sni;
	int			 no_verify;
	enum smtpprobe_tls_version min_tls;

	const char		*ehlo;
	const char		*source_address;
	const char		*dns_server;
	const char		*state_file;
	int			 state_reset;
	enum plugin_format	 format;
	int			 verbose;
};

/* Fill cfg with the defaults of PRODUCT.md (no host, default ports). */
void		 config_defaults(struct plugin_config *cfg);

/* "OK", "WARNING", "CRITICAL", "UNKNOWN" ("UNKNOWN" out of range). */
const char	*config_state_name(enum plugin_state);
/* Parse "ok|warning|critical|unknown" (any case); -1 if unknown. */
int		 config_state_from_name(const char *);
/*
 * Severity order used for "worst wins": OK < WARNING < UNKNOWN <
 * CRITICAL (monitoring-plugins' max_state_alt: a CRITICAL is never
 * hidden behind an UNKNOWN).
 */
int		 config_state_rank(enum plugin_state);
enum plugin_state config_state_worst(enum plugin_state, enum plugin_state);

/* The thresholds that apply to phase p (for total: --*-phase total=,
 * else -w / -c).  Never NULL (an unset range). */
const struct range *config_warn_range(const struct plugin_config *,
		    enum smtpprobe_phase p);
const struct range *config_crit_range(const struct plugin_config *,
		    enum smtpprobe_phase p);

#endif
