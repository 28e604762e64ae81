/*
 * config.c: the YAML configuration, read with libyaml's document API so
 * every node carries its line.  The schema is closed: an unknown key, a
 * duplicate key, a wrong type, a duplicate target or an unknown module is
 * an error naming the file, the line and the problem.  Nothing partial is
 * ever returned.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "config.h"
#include "readfile.h"

static const double config_default_buckets[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};

/* Parsing state: the document, the file name for messages, the error. */
struct cfgp {
	yaml_document_t	*doc;
	const char	*file;
	char		*err;
	size_t		 errlen;
	struct config	*cfg;
};

static int	cfg_error(struct cfgp *, const yaml_node_t *, const char *,
		    ...) __attribute__((format(printf, 3, 4)));

static int
cfg_error(struct cfgp *p, const yaml_node_t *n, const char *fmt, ...)
{
	char	 msg[384];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n != NULL)
		snprintf(p->err, p->errlen, "%s:%lu: %s", p->file,
		    (unsigned long)n->start_mark.line + 1, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->file, msg);
	return -1;
}

int
config_parse_duration(const char *s, int64_t *us)
{
	static const struct {
		const char	*unit;
		double		 mult;
	} units[] = {
		{ "us", 1 }, { "ms", 1e3 }, { "s", 1e6 }, { "m", 60e6 },
		{ "h", 3600e6 },
	};
	char	*end;
	double	 v;
	size_t	 i;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || !isfinite(v) || v < 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			v *= units[i].mult;
			if (v > 24.0 * 3600e6)
				return -1;
			*us = (int64_t)(v + 0.5);
			return 0;
		}
	}
	return -1;
}

/* One "ADDR[:PORT]" of a resolver list (len bytes at s). */
static int
config_valid_dns_one(const char *s, size_t len)
{
	char		 buf[128], *end;
	const char	*port = NULL, *rb, *colon;
	unsigned char	 a[16];
	unsigned long	 pv;

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (buf[0] == '[') {
		if ((rb = strchr(buf, ']')) == NULL)
			return 0;
		if (rb[1] == ':')
			port = rb + 2;
		else if (rb[1] != '\0')
			return 0;
		buf[rb - buf] = '\0';
		if (inet_pton(AF_INET6, buf + 1, a) != 1)
			return 0;
	} else if ((colon = strchr(buf, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		port = colon + 1;
		buf[colon - buf] = '\0';
		if (inet_pton(AF_INET, buf, a) != 1)
			return 0;
	} else if (inet_pton(AF_INET, buf, a) != 1 &&
	    inet_pton(AF_INET6, buf, a) != 1)
		return 0;
	if (port != NULL) {
		if (!isdigit((unsigned char)*port))
			return 0;
		errno = 0;
		pv = strtoul(port, &end, 10);
		if (errno != 0 || *end != '\0' || pv == 0 || pv > 65535)
			return 0;
	}
	return 1;
}

int
config_valid_dns_servers(const char *s)
{
	const char	*comma;
	int		 n = 0;

	for (;;) {
		comma = strchr(s, ',');
		if (!config_valid_dns_one(s, comma != NULL ?
		    (size_t)(comma - s) : strlen(s)) || ++n > 8)
			return 0;
		if (comma == NULL)
			return 1;
		s = comma + 1;
	}
}

/* --- node helpers ------------------------------------------------------- */

static yaml_node_t *
cfg_node(struct cfgp *p, int i)
{
	return yaml_document_get_node(p->doc, i);
}

/* The scalar text of n, or NULL (with the error set) if n is not a scalar
 * or holds a NUL byte. */
static const char *
cfg_scalar(struct cfgp *p, yaml_node_t *n, const char *what)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE) {
		cfg_error(p, n, "%s must be a scalar", what);
		return NULL;
	}
	if (strlen((const char *)n->data.scalar.value) !=
	    n->data.scalar.length) {
		cfg_error(p, n, "%s contains a NUL byte", what);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static int
cfg_string(struct cfgp *p, yaml_node_t *n, const char *what, char **out)
{
	const char	*s;

	if ((s = cfg_scalar(p, n, what)) == NULL)
		return -1;
	if (*s == '\0' || strlen(s) > 1024)
		return cfg_error(p, n, "%s must be a non-empty string of at "
		    "most 1024 characters", what);
	free(*out);
	if ((*out = strdup(s)) == NULL)
		return cfg_error(p, n, "out of memory");
	return 0;
}

static int
cfg_bool(struct cfgp *p, yaml_node_t *n, const char *what, int *out)
{
	const char	*s;

	if ((s = cfg_scalar(p, n, what)) == NULL)
		return -1;
	if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0)
		*out = 1;
	else if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0)
		*out = 0;
	else
		return cfg_error(p, n, "%s must be true or false, not \"%.64s\"",
		    what, s);
	return 0;
}

static int
cfg_duration(struct cfgp *p, yaml_node_t *n, const char *what, int64_t *us)
{
	const char	*s;

	if ((s = cfg_scalar(p, n, what)) == NULL)
		return -1;
	if (config_parse_duration(s, us) == -1)
		return cfg_error(p, n, "bad duration \"%.64s\" for %s (use "
		    "e.g. 500ms, 10s, 1m)", s, what);
	return 0;
}

/* A name for a module or target: [A-Za-z0-9_.-]{1,63}. */
static int
cfg_name(struct cfgp *p, yaml_node_t *n, const char *what, char *out)
{
	const char	*s, *c;

	if ((s = cfg_scalar(p, n, what)) == NULL)
		return -1;
	if (*s == '\0' || strlen(s) >= CONFIG_NAME_MAX)
		return cfg_error(p, n, "%s must be 1..%d characters", what,
		    CONFIG_NAME_MAX - 1);
	for (c = s; *c != '\0'; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' &&
		    *c != '.')
			return cfg_error(p, n, "%s \"%.64s\" may only hold "
			    "letters, digits, '_', '-' and '.'", what, s);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/*
 * A port list: a YAML sequence of items or one comma-separated string,
 * each item in the smtpprobe_portspec_parse() syntax.
 */
static int
cfg_ports(struct cfgp *p, yaml_node_t *n, struct smtpprobe_portspec *out,
    size_t *nout)
{
	char		 list[CONFIG_MAX_PORTS * 32 + 64], perr[160];
	const char	*s;
	yaml_node_item_t *it;
	size_t		 len = 0, l;

	if (n != NULL && n->type == YAML_SEQUENCE_NODE) {
		list[0] = '\0';
		for (it = n->data.sequence.items.start;
		    it < n->data.sequence.items.top; it++) {
			if ((s = cfg_scalar(p, cfg_node(p, *it),
			    "a port")) == NULL)
				return -1;
			l = strlen(s);
			if (len + l + 2 > sizeof(list))
				return cfg_error(p, n, "bad port list: more "
				    "than %d ports", CONFIG_MAX_PORTS);
			if (len > 0)
				list[len++] = ',';
			memcpy(list + len, s, l + 1);
			len += l;
		}
		s = list;
	} else if ((s = cfg_scalar(p, n, "ports")) == NULL)
		return -1;
	if (smtpprobe_portspec_parse(s, out, CONFIG_MAX_PORTS, nout, perr,
	    sizeof(perr)) == -1)
		return cfg_error(p, n, "bad port list: %s", perr);
	return 0;
}

/* Check that every key of mapping n is one of keys[] and none repeats. */
static int
cfg_keys(struct cfgp *p, yaml_node_t *n, const char *what,
    const char *const *keys)
{
	yaml_node_pair_t	*pr, *q;
	const char		*k, *k2;
	size_t			 i;

	if (n == NULL || n->type != YAML_MAPPING_NODE)
		return cfg_error(p, n, "%s must be a mapping", what);
	for (pr = n->data.mapping.pairs.start;
	    pr < n->data.mapping.pairs.top; pr++) {
		if ((k = cfg_scalar(p, cfg_node(p, pr->key), "a key")) == NULL)
			return -1;
		for (i = 0; keys[i] != NULL; i++)
			if (strcmp(keys[i], k) == 0)
				break;
		if (keys[i] == NULL)
			return cfg_error(p, cfg_node(p, pr->key),
			    "unknown key \"%.64s\" in %s", k, what);
		for (q = n->data.mapping.pairs.start; q < pr; q++) {
			k2 = (const char *)cfg_node(p, q->key)->data.scalar.value;
			if (strcmp(k, k2) == 0)
				return cfg_error(p, cfg_node(p, pr->key),
				    "duplicate key \"%.64s\" in %s", k, what);
		}
	}
	return 0;
}

/* --- modules ------------------------------------------------------------ */

static void
config_module_defaults(struct config_module *m, const char *name)
{
	char	 err[64];

	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	(void)smtpprobe_portspec_parse(SMTPPROBE_DEFAULT_PORTS, m->ports,
	    CONFIG_MAX_PORTS, &m->nports, err, sizeof(err));
	m->timeout_us = CONFIG_DEFAULT_TIMEOUT_US;
	m->min_tls = SMTPPROBE_TLS_DEFAULT;
	m->family = AF_UNSPEC;
	m->allow_port_override = 1;
}

static void
config_module_clear(struct config_module *m)
{
	free(m->ehlo);
	free(m->ca_file);
	free(m->verify_name);
	free(m->sni);
	free(m->dns_server);
	m->ehlo = m->ca_file = m->verify_name = m->sni = NULL;
	m->dns_server = NULL;
}

/* A dns_server value (module or top level). */
static int
cfg_dns(struct cfgp *p, yaml_node_t *v, char **out)
{
	if (cfg_string(p, v, "dns_server", out) == -1)
		return -1;
	if (!config_valid_dns_servers(*out))
		return cfg_error(p, v, "bad dns_server \"%.64s\" (numeric "
		    "ADDR[:PORT], several separated by ',', IPv6 as "
		    "[ADDR]:PORT)", *out);
	return 0;
}

static int
cfg_module(struct cfgp *p, yaml_node_t *keyn, yaml_node_t *n,
    struct config_module *m)
{
	static const char *const keys[] = {
		"ports", "timeout", "ehlo", "ca_file", "verify_name", "sni",
		"no_verify", "min_tls", "all_addresses", "ip_family",
		"allow_port_override", "dns_server", NULL
	};
	yaml_node_pair_t	*pr;
	yaml_node_t		*v;
	const char		*k, *s;
	char			 name[CONFIG_NAME_MAX];
	int			 t;

	if (cfg_name(p, keyn, "a module name", name) == -1)
		return -1;
	config_module_defaults(m, name);
	m->line = (int)keyn->start_mark.line + 1;
	if (n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0)
		return 0;	/* "name:" with nothing: all defaults */
	if (cfg_keys(p, n, "a module", keys) == -1)
		return -1;
	for (pr = n->data.mapping.pairs.start;
	    pr < n->data.mapping.pairs.top; pr++) {
		k = (const char *)cfg_node(p, pr->key)->data.scalar.value;
		v = cfg_node(p, pr->value);
		if (strcmp(k, "ports") == 0) {
			if (cfg_ports(p, v, m->ports, &m->nports) == -1)
				return -1;
		} else if (strcmp(k, "timeout") == 0) {
			if (cfg_duration(p, v, "timeout", &m->timeout_us) == -1)
				return -1;
			if (m->timeout_us < 100000 ||
			    m->timeout_us > 300 * 1000000LL)
				return cfg_error(p, v, "timeout must be "
				    "between 100ms and 5m");
		} else if (strcmp(k, "ehlo") == 0) {
			if (cfg_string(p, v, k, &m->ehlo) == -1)
				return -1;
		} else if (strcmp(k, "ca_file") == 0) {
			if (cfg_string(p, v, k, &m->ca_file) == -1)
				return -1;
		} else if (strcmp(k, "verify_name") == 0) {
			if (cfg_string(p, v, k, &m->verify_name) == -1)
				return -1;
		} else if (strcmp(k, "sni") == 0) {
			if (cfg_string(p, v, k, &m->sni) == -1)
				return -1;
		} else if (strcmp(k, "dns_server") == 0) {
			if (cfg_dns(p, v, &m->dns_server) == -1)
				return -1;
		} else if (strcmp(k, "no_verify") == 0) {
			if (cfg_bool(p, v, k, &m->no_verify) == -1)
				return -1;
		} else if (strcmp(k, "all_addresses") == 0) {
			if (cfg_bool(p, v, k, &m->all_addresses) == -1)
				return -1;
		} else if (strcmp(k, "allow_port_override") == 0) {
			if (cfg_bool(p, v, k, &m->allow_port_override) == -1)
				return -1;
		} else if (strcmp(k, "min_tls") == 0) {
			if ((s = cfg_scalar(p, v, k)) == NULL)
				return -1;
			if ((t = smtpprobe_tls_version_from_name(s)) == -1 ||
			    t == SMTPPROBE_TLS_DEFAULT)
				return cfg_error(p, v, "bad min_tls \"%.32s\" "
				    "(use \"1.0\", \"1.1\", \"1.2\" or \"1.3\")",
				    s);
			m->min_tls = (enum smtpprobe_tls_version)t;
		} else if (strcmp(k, "ip_family") == 0) {
			if ((s = cfg_scalar(p, v, k)) == NULL)
				return -1;
			if (strcmp(s, "any") == 0)
				m->family = AF_UNSPEC;
			else if (strcmp(s, "ip4") == 0)
				m->family = AF_INET;
			else if (strcmp(s, "ip6") == 0)
				m->family = AF_INET6;
			else
				return cfg_error(p, v, "bad ip_family "
				    "\"%.32s\" (use any, ip4 or ip6)", s);
		}
	}
	return 0;
}

static int
cfg_modules(struct cfgp *p, yaml_node_t *n)
{
	struct config		*c = p->cfg;
	yaml_node_pair_t	*pr;
	size_t			 cnt, i, j;

	if (n->type != YAML_MAPPING_NODE)
		return cfg_error(p, n, "modules must be a mapping of name to "
		    "module");
	cnt = (size_t)(n->data.mapping.pairs.top -
	    n->data.mapping.pairs.start);
	if (cnt > CONFIG_MAX_MODULES)
		return cfg_error(p, n, "more than %d modules",
		    CONFIG_MAX_MODULES);
	if (cnt == 0)
		return 0;
	if ((c->modules = calloc(cnt + 1, sizeof(*c->modules))) == NULL)
		return cfg_error(p, n, "out of memory");
	for (pr = n->data.mapping.pairs.start, i = 0;
	    pr < n->data.mapping.pairs.top; pr++, i++) {
		c->nmodules = i + 1;
		if (cfg_module(p, cfg_node(p, pr->key),
		    cfg_node(p, pr->value), &c->modules[i]) == -1)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(c->modules[j].name, c->modules[i].name) == 0)
				return cfg_error(p, cfg_node(p, pr->key),
				    "duplicate module \"%s\"",
				    c->modules[i].name);
	}
	return 0;
}

/* --- targets ------------------------------------------------------------ */

static int
cfg_target(struct cfgp *p, yaml_node_t *n, struct config_target *t)
{
	static const char *const keys[] = {
		"name", "host", "module", "interval", "ports", NULL
	};
	yaml_node_pair_t	*pr;
	yaml_node_t		*v, *modn = NULL;
	const char		*k, *s, *modname = "default";
	int			 have_name = 0, have_host = 0, have_ports = 0;

	if (cfg_keys(p, n, "a target", keys) == -1)
		return -1;
	t->line = (int)n->start_mark.line + 1;
	t->interval_us = 60 * 1000000LL;
	for (pr = n->data.mapping.pairs.start;
	    pr < n->data.mapping.pairs.top; pr++) {
		k = (const char *)cfg_node(p, pr->key)->data.scalar.value;
		v = cfg_node(p, pr->value);
		if (strcmp(k, "name") == 0) {
			if (cfg_name(p, v, "a target name", t->name) == -1)
				return -1;
			have_name = 1;
		} else if (strcmp(k, "host") == 0) {
			if ((s = cfg_scalar(p, v, k)) == NULL)
				return -1;
			if (*s == '\0' || strlen(s) >= sizeof(t->host) ||
			    strspn(s, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:") !=
			    strlen(s))
				return cfg_error(p, v, "bad host \"%.64s\" "
				    "(a host name or an IP address)", s);
			memcpy(t->host, s, strlen(s) + 1);
			have_host = 1;
		} else if (strcmp(k, "module") == 0) {
			if ((modname = cfg_scalar(p, v, k)) == NULL)
				return -1;
			modn = v;
		} else if (strcmp(k, "interval") == 0) {
			if (cfg_duration(p, v, k, &t->interval_us) == -1)
				return -1;
			if (t->interval_us < CONFIG_MIN_INTERVAL_US)
				return cfg_error(p, v, "interval must be at "
				    "least 1s");
		} else if (strcmp(k, "ports") == 0) {
			if (cfg_ports(p, v, t->ports, &t->nports) == -1)
				return -1;
			have_ports = 1;
		}
	}
	if (!have_name)
		return cfg_error(p, n, "a target needs a name");
	if (!have_host)
		return cfg_error(p, n, "target \"%s\" needs a host", t->name);
	if ((t->module = config_module(p->cfg, modname)) == NULL)
		return cfg_error(p, modn != NULL ? modn : n, "target \"%s\" "
		    "uses unknown module \"%.64s\"", t->name, modname);
	if (!have_ports) {
		memcpy(t->ports, t->module->ports, sizeof(t->ports));
		t->nports = t->module->nports;
	}
	return 0;
}

static int
cfg_targets(struct cfgp *p, yaml_node_t *n)
{
	struct config		*c = p->cfg;
	yaml_node_item_t	*it;
	size_t			 cnt, i, j;

	if (n->type != YAML_SEQUENCE_NODE)
		return cfg_error(p, n, "targets must be a list");
	cnt = (size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start);
	if (cnt > CONFIG_MAX_TARGETS)
		return cfg_error(p, n, "more than %d targets",
		    CONFIG_MAX_TARGETS);
	if (cnt == 0)
		return 0;
	if ((c->targets = calloc(cnt, sizeof(*c->targets))) == NULL)
		return cfg_error(p, n, "out of memory");
	for (it = n->data.sequence.items.start, i = 0;
	    it < n->data.sequence.items.top; it++, i++) {
		c->ntargets = i + 1;
		if (cfg_target(p, cfg_node(p, *it), &c->targets[i]) == -1)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(c->targets[j].name, c->targets[i].name) == 0)
				return cfg_error(p, cfg_node(p, *it),
				    "duplicate target name \"%s\" (first on "
				    "line %d)", c->targets[i].name,
				    c->targets[j].line);
	}
	return 0;
}

/* --- the rest ----------------------------------------------------------- */

static int
cfg_allow(struct cfgp *p, yaml_node_t *n)
{
	yaml_node_item_t	*it;
	const char		*s;
	char			 aerr[160];

	if (n->type != YAML_SEQUENCE_NODE)
		return cfg_error(p, n, "allow_targets must be a list");
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		if ((s = cfg_scalar(p, cfg_node(p, *it),
		    "an allow_targets entry")) == NULL)
			return -1;
		if (allow_add(&p->cfg->allow, s, aerr, sizeof(aerr)) == -1)
			return cfg_error(p, cfg_node(p, *it), "%s", aerr);
	}
	return 0;
}

static int
cfg_buckets(struct cfgp *p, yaml_node_t *n)
{
	struct config		*c = p->cfg;
	yaml_node_item_t	*it;
	const char		*s;
	char			*end;
	double			 v;

	if (n->type != YAML_SEQUENCE_NODE)
		return cfg_error(p, n, "buckets must be a list of seconds");
	c->nbuckets = 0;
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		if ((s = cfg_scalar(p, cfg_node(p, *it), "a bucket")) == NULL)
			return -1;
		errno = 0;
		v = strtod(s, &end);
		if (end == s || *end != '\0' || errno != 0 || !isfinite(v) ||
		    v <= 0)
			return cfg_error(p, cfg_node(p, *it), "bad bucket "
			    "\"%.32s\" (a positive number of seconds)", s);
		if (c->nbuckets > 0 && v <= c->buckets[c->nbuckets - 1])
			return cfg_error(p, cfg_node(p, *it), "buckets must "
			    "increase");
		if (c->nbuckets >= CONFIG_MAX_BUCKETS)
			return cfg_error(p, n, "more than %d buckets",
			    CONFIG_MAX_BUCKETS);
		c->buckets[c->nbuckets++] = v;
	}
	if (c->nbuckets == 0)
		return cfg_error(p, n, "buckets must not be empty");
	return 0;
}

static int
cfg_limits(struct cfgp *p, yaml_node_t *n)
{
	static const char *const keys[] = { "max_series", NULL };
	yaml_node_pair_t	*pr;
	const char		*s;
	char			*end;
	unsigned long long	 v;

	if (cfg_keys(p, n, "limits", keys) == -1)
		return -1;
	for (pr = n->data.mapping.pairs.start;
	    pr < n->data.mapping.pairs.top; pr++) {
		if ((s = cfg_scalar(p, cfg_node(p, pr->value),
		    "max_series")) == NULL)
			return -1;
		errno = 0;
		v = strtoull(s, &end, 10);
		if (!isdigit((unsigned char)*s) || *end != '\0' ||
		    errno != 0 || v == 0 || v > 100000000ULL)
			return cfg_error(p, cfg_node(p, pr->value), "bad "
			    "max_series \"%.32s\" (1..100000000)", s);
		p->cfg->max_series = v;
	}
	return 0;
}

/*
 * The series a config can create on /metrics, per scheduled port: a
 * histogram per phase (buckets + +Inf + _sum + _count), a phase gauge per
 * phase, a failure counter per outcome, and about twenty other series.
 * Addresses are counted once (all_addresses multiplies the gauges by the
 * number of addresses the name has).
 */
static int
cfg_check_series(struct cfgp *p)
{
	struct config	*c = p->cfg;
	uint64_t	 per_port, total = 0;
	size_t		 i;

	per_port = (uint64_t)SMTPPROBE_PHASE_COUNT * (c->nbuckets + 3) +
	    SMTPPROBE_PHASE_COUNT + SMTPPROBE_OUTCOME_COUNT + 20;
	for (i = 0; i < c->ntargets; i++)
		total += per_port * c->targets[i].nports;
	c->series = total;
	if (total > c->max_series)
		return cfg_error(p, NULL, "too many series: %zu targets x "
		    "ports x phases x buckets would create about %llu series, "
		    "more than limits.max_series (%llu)", c->ntargets,
		    (unsigned long long)total,
		    (unsigned long long)c->max_series);
	return 0;
}

static struct config *
config_new(const char *path)
{
	struct config	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->refs = 1;
	allow_init(&c->allow);
	memcpy(c->buckets, config_default_buckets,
	    sizeof(config_default_buckets));
	c->nbuckets = sizeof(config_default_buckets) /
	    sizeof(config_default_buckets[0]);
	c->max_series = CONFIG_DEFAULT_MAX_SERIES;
	if (path != NULL && (c->path = strdup(path)) == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

/* Add the built-in "default" module when the config has none. */
static int
config_add_default(struct config *c)
{
	struct config_module	*m;

	if (config_module(c, "default") != NULL)
		return 0;
	if ((m = realloc(c->modules, (c->nmodules + 1) * sizeof(*m))) == NULL)
		return -1;
	c->modules = m;
	config_module_defaults(&c->modules[c->nmodules++], "default");
	return 0;
}

static int
cfg_root(struct cfgp *p, yaml_node_t *root, int *have_allow)
{
	static const char *const keys[] = {
		"modules", "allow_targets", "targets", "buckets", "limits",
		"dns_server", NULL
	};
	yaml_node_pair_t	*pr;
	yaml_node_t		*v, *targets = NULL;
	const char		*k;

	if (cfg_keys(p, root, "the top level", keys) == -1)
		return -1;
	/* modules first: targets refer to them wherever they appear */
	for (pr = root->data.mapping.pairs.start;
	    pr < root->data.mapping.pairs.top; pr++) {
		k = (const char *)cfg_node(p, pr->key)->data.scalar.value;
		v = cfg_node(p, pr->value);
		if (strcmp(k, "modules") == 0 && cfg_modules(p, v) == -1)
			return -1;
	}
	if (config_add_default(p->cfg) == -1)
		return cfg_error(p, NULL, "out of memory");
	for (pr = root->data.mapping.pairs.start;
	    pr < root->data.mapping.pairs.top; pr++) {
		k = (const char *)cfg_node(p, pr->key)->data.scalar.value;
		v = cfg_node(p, pr->value);
		if (strcmp(k, "allow_targets") == 0) {
			*have_allow = 1;
			if (cfg_allow(p, v) == -1)
				return -1;
		} else if (strcmp(k, "targets") == 0)
			targets = v;
		else if (strcmp(k, "buckets") == 0) {
			if (cfg_buckets(p, v) == -1)
				return -1;
		} else if (strcmp(k, "limits") == 0) {
			if (cfg_limits(p, v) == -1)
				return -1;
		} else if (strcmp(k, "dns_server") == 0) {
			if (cfg_dns(p, v, &p->cfg->dns_server) == -1)
				return -1;
		}
	}
	if (targets != NULL && cfg_targets(p, targets) == -1)
		return -1;
	return 0;
}

struct config *
config_parse(const char *text, size_t len, const char *name, char *err,
    size_t errlen)
{
	yaml_parser_t	 parser;
	yaml_document_t	 doc;
	yaml_node_t	*root;
	struct cfgp	 p;
	struct config	*c;
	int		 ok = -1, have_allow = 0;

	if ((c = config_new(name)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	memset(&p, 0, sizeof(p));
	p.file = name;
	p.err = err;
	p.errlen = errlen;
	p.cfg = c;
	p.doc = &doc;
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "%s: out of memory", name);
		config_unref(c);
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%lu: YAML syntax error: %s%s%s", name,
		    (unsigned long)parser.problem_mark.line + 1,
		    parser.problem != NULL ? parser.problem : "unknown",
		    parser.context != NULL ? " " : "",
		    parser.context != NULL ? parser.context : "");
		yaml_parser_delete(&parser);
		config_unref(c);
		return NULL;
	}
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || (root->type == YAML_SCALAR_NODE &&
	    root->data.scalar.length == 0)) {
		/* an empty file: every default */
		ok = config_add_default(c) == -1 ?
		    cfg_error(&p, NULL, "out of memory") : 0;
	} else
		ok = cfg_root(&p, root, &have_allow);
	if (ok == 0 && !have_allow && allow_set_loopback(&c->allow) == -1)
		ok = cfg_error(&p, NULL, "out of memory");
	if (ok == 0)
		ok = cfg_check_series(&p);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (ok == -1) {
		config_unref(c);
		return NULL;
	}
	return c;
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	struct config	*c;
	char		*text;
	size_t		 off = 0;

	if (path == NULL) {
		if ((c = config_new(NULL)) == NULL ||
		    config_add_default(c) == -1 ||
		    allow_set_loopback(&c->allow) == -1) {
			snprintf(err, errlen, "out of memory");
			config_unref(c);
			return NULL;
		}
		return c;
	}
	if ((text = readfile_regular(path, CONFIG_MAX_FILE, &off, err,
	    errlen)) == NULL)
		return NULL;
	c = config_parse(text, off, path, err, errlen);
	free(text);
	return c;
}

struct config *
config_ref(struct config *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	return c;
}

void
config_unref(struct config *c)
{
	size_t	 i;

	if (c == NULL || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (i = 0; i < c->nmodules; i++)
		config_module_clear(&c->modules[i]);
	free(c->modules);
	free(c->targets);
	allow_free(&c->allow);
	free(c->dns_server);
	free(c->path);
	free(c);
}

const struct config_module *
config_module(const struct config *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < c->nmodules; i++)
		if (strcmp(c->modules[i].name, name) == 0)
			return &c->modules[i];
	return NULL;
}
