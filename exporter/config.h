/*
 * config.h: the exporter's YAML configuration (modules, allow_targets,
 * scheduled targets, histogram buckets, limits), parsed and validated in
 * full before it replaces the running one.  Immutable once loaded and
 * reference-counted, so a reload can swap it while probes still use the
 * old one.
 */
#ifndef EXPORTER_CONFIG_H
#define EXPORTER_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "smtpprobe.h"
#include "allow.h"

#define CONFIG_MAX_PORTS	16	/* per module, target, or ports= */
#define CONFIG_MAX_BUCKETS	64
#define CONFIG_MAX_MODULES	256
#define CONFIG_MAX_TARGETS	10000
#define CONFIG_MAX_FILE		(1024 * 1024)
#define CONFIG_NAME_MAX		64
#define CONFIG_DEFAULT_MAX_SERIES	100000
#define CONFIG_DEFAULT_TIMEOUT_US	(10 * 1000000LL)
#define CONFIG_MIN_INTERVAL_US		(1000000LL)

struct config_module {
	char			 name[CONFIG_NAME_MAX];
	struct smtpprobe_portspec ports[CONFIG_MAX_PORTS];
	size_t			 nports;
	int64_t			 timeout_us;
	char			*ehlo;		/* owned; NULL: library default */
	char			*ca_file;	/* owned; NULL: system store */
	char			*verify_name;	/* owned; NULL: the target */
	char			*sni;		/* owned; NULL: verify name */
	char			*dns_server;	/* owned; NULL: the process's
					   resolver (top-level dns_server) */
	int			 no_verify;	/* insecure: report, don't judge */
	enum smtpprobe_tls_version min_tls;
	int			 all_addresses;
	int			 family;	/* AF_UNSPEC, AF_INET, AF_INET6 */
	int			 allow_port_override;	/* ports= allowed */
	int			 line;		/* 0 for the built-in default */
};

struct config_target {
	char			 name[CONFIG_NAME_MAX];
	char			 host[256];
	const struct config_module *module;	/* into config.modules */
	int64_t			 interval_us;
	struct smtpprobe_portspec ports[CONFIG_MAX_PORTS];
	size_t			 nports;	/* effective list (module's
						   unless the target has one) */
	int			 line;
};

struct config {
	int			 refs;		/* atomic */
	char			*path;		/* owned; NULL: no file */
	struct config_module	*modules;	/* owned */
	size_t			 nmodules;
	struct config_target	*targets;	/* owned */
	size_t			 ntargets;
	struct allow_list	 allow;
	double			 buckets[CONFIG_MAX_BUCKETS];	/* seconds,
							   increasing */
	size_t			 nbuckets;
	uint64_t		 max_series;
	uint64_t		 series;	/* estimate for the targets */
	char			*dns_server;	/* owned; NULL: system's */
};

/*
 * Load path (NULL: the built-in configuration: a "default" module and a
 * loopback-only allowlist).  NULL on error with "file:line: problem" in
 * err.
 */
struct config	*config_load(const char *path, char *err, size_t errlen);
/* The same from memory; name is used in messages. */
struct config	*config_parse(const char *text, size_t len, const char *name,
		    char *err, size_t errlen);
struct config	*config_ref(struct config *);
void		 config_unref(struct config *);		/* NULL ok */
/* The module called name, or NULL. */
const struct config_module *config_module(const struct config *,
		    const char *name);

/*
 * Parse a duration: a decimal number with a unit, "500ms", "10s", "1.5s",
 * "2m", "1h" (also "us").  0 or -1 (malformed, negative, > 24 h).
 */
int		 config_parse_duration(const char *, int64_t *us);

/*
 * 1 if s is a resolver list as smtpprobe_loop_params.dns_servers takes
 * it: "ADDR[:PORT][,ADDR[:PORT]...]", IPv6 as "[2001:db8::53]:53" or
 * bare, numeric addresses only, ports 1..65535, at most 8 entries.
 */
int		 config_valid_dns_servers(const char *);

#endif
