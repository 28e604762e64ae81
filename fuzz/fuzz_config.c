/*
 * fuzz_config.c: libFuzzer target for the exporter's YAML configuration
 * parser (exporter/config.c, libyaml underneath), fed as the text of a
 * config file, the way --config.file and every reload read it.
 *
 * Checked: no crash, leak (the config is unreferenced) or undefined
 * behaviour; on failure a terminated, non-empty reason; on success the
 * limits of config.h hold: 1..CONFIG_MAX_MODULES modules, each with
 * 1..CONFIG_MAX_PORTS valid unique ports and a positive timeout, names
 * terminated; targets point into the module table, have a host, an
 * interval of at least CONFIG_MIN_INTERVAL_US and valid ports; buckets
 * strictly increasing and positive; the series estimate within the
 * guard; the "default" module can be looked up.  config_parse_duration()
 * gets each line too.
 */
#include <math.h>

#include "fuzz_util.h"
#include "exporter/config.h"

static void
judge_ports(const struct smtpprobe_portspec *p, size_t n)
{
	size_t	i, j;

	FUZZ_CHECK(n <= CONFIG_MAX_PORTS, "too many ports");
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(p[i].port >= 1, "port 0");
		FUZZ_CHECK((unsigned)p[i].mode < SMTPPROBE_MODE_COUNT,
		    "mode out of range");
		FUZZ_CHECK((unsigned)p[i].policy < SMTPPROBE_POLICY_COUNT,
		    "policy out of range");
		for (j = 0; j < i; j++)
			FUZZ_CHECK(p[i].port != p[j].port, "duplicate port");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config		*c;
	const struct config_module *m;
	char			 err[256], line[64];
	const char		*p, *e;
	int64_t			 us;
	size_t			 i, len;

	if (size > 65536)
		return 0;
	memset(err, 'X', sizeof(err));
	c = config_parse((const char *)data, size, "fuzz.yml", err,
	    sizeof(err));
	if (c == NULL) {
		FUZZ_CHECK(fuzz_terminated(err, sizeof(err)) && err[0] != '\0',
		    "failure without a reason");
	} else {
		FUZZ_CHECK(c->nmodules >= 1 &&
		    c->nmodules <= CONFIG_MAX_MODULES, "module count");
		for (i = 0; i < c->nmodules; i++) {
			m = &c->modules[i];
			FUZZ_CHECK(fuzz_terminated(m->name, sizeof(m->name)) &&
			    m->name[0] != '\0', "module name");
			FUZZ_CHECK(m->nports >= 1, "module without ports");
			judge_ports(m->ports, m->nports);
			FUZZ_CHECK(m->timeout_us > 0, "module timeout <= 0");
			FUZZ_CHECK((unsigned)m->min_tls < SMTPPROBE_TLS_COUNT,
			    "min_tls out of range");
			FUZZ_CHECK(config_module(c, m->name) != NULL,
			    "module cannot be looked up by name");
		}
		FUZZ_CHECK(config_module(c, "default") != NULL,
		    "no default module");
		FUZZ_CHECK(c->ntargets <= CONFIG_MAX_TARGETS, "target count");
		for (i = 0; i < c->ntargets; i++) {
			const struct config_target *t = &c->targets[i];

			FUZZ_CHECK(fuzz_terminated(t->name, sizeof(t->name)),
			    "target name");
			FUZZ_CHECK(fuzz_terminated(t->host, sizeof(t->host)) &&
			    t->host[0] != '\0', "target host");
			FUZZ_CHECK(t->module >= c->modules &&
			    t->module < c->modules + c->nmodules,
			    "target module outside the table");
			FUZZ_CHECK(t->interval_us >= CONFIG_MIN_INTERVAL_US,
			    "interval below the minimum");
			FUZZ_CHECK(t->nports >= 1, "target without ports");
			judge_ports(t->ports, t->nports);
		}
		FUZZ_CHECK(c->nbuckets <= CONFIG_MAX_BUCKETS, "bucket count");
		for (i = 0; i < c->nbuckets; i++) {
			FUZZ_CHECK(isfinite(c->buckets[i]) &&
			    c->buckets[i] > 0, "bucket not a positive number");
			if (i > 0)
				FUZZ_CHECK(c->buckets[i] > c->buckets[i - 1],
				    "buckets not increasing");
		}
		FUZZ_CHECK(c->series <= c->max_series,
		    "series estimate beyond the guard");
		config_unref(c);
	}
	/* Every line as a duration. */
	for (p = (const char *)data; p < (const char *)data + size; p = e + 1) {
		e = memchr(p, '\n', (size_t)((const char *)data + size - p));
		if (e == NULL)
			e = (const char *)data + size;
		len = (size_t)(e - p);
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		us = 12345;
		if (config_parse_duration(line, &us) == 0)
			FUZZ_CHECK(us >= 0 && us <= 24LL * 3600 * 1000000,
			    "duration out of range accepted");
	}
	return 0;
}
