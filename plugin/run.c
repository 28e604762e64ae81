/*
 * run.c: carry out the probes of a run (see run.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

/* What a loop callback needs to find its item or host again: items may
 * move while the list grows, so callbacks hold indices. */
struct run_ref {
	struct report	*rep;
	size_t		 idx;
};

static void
run_probe_done(struct smtpprobe *p, void *arg)
{
	struct run_ref		*ref = arg;
	struct report_item	*it = &ref->rep->items[ref->idx];

	(void)p;
	it->done = 1;
}

static void
run_mx_done(const struct smtpprobe_lookup_result *res, void *arg)
{
	struct report	*rep = arg;

	rep->mx = *res;
	rep->mx_done = 1;
}

static void
run_host_done(const struct smtpprobe_lookup_result *res, void *arg)
{
	struct run_ref		*ref = arg;
	struct report_host	*h = &ref->rep->hosts[ref->idx];

	h->lookup = *res;
	h->looked_up = 1;
}

/* Run the loop until nothing is pending, bounded by deadline + grace. */
static int
run_loop(struct run *run, int64_t deadline, char *err, size_t errlen)
{
	int64_t	 now, ms;
	int	 n;

	for (;;) {
		if (smtpprobe_loop_pending(run->loop) == 0)
			return 0;
		now = smtpprobe_now();
		if (now >= deadline + RUN_GRACE_US)
			return 0;	/* loop_free cancels the rest */
		ms = (deadline + RUN_GRACE_US - now + 999) / 1000;
		n = smtpprobe_loop_run(run->loop, (int)ms);
		if (n < 0) {
			snprintf(err, errlen, "event loop: %s",
			    smtpprobe_loop_error(run->loop));
			return -1;
		}
		if (n == 0)
			return 0;
	}
}

/* A failed lookup as the probe outcome and phase it stands for. */
static void
run_lookup_failure(const struct smtpprobe_lookup_result *lr,
    enum smtpprobe_outcome *o, enum smtpprobe_phase *ph)
{
	*ph = SMTPPROBE_PHASE_RESOLVE;
	switch (lr->outcome) {
	case SMTPPROBE_OUTCOME_TIMEOUT:
	case SMTPPROBE_OUTCOME_INTERNAL:
		*o = lr->outcome;
		break;
	default:
		*o = SMTPPROBE_OUTCOME_RESOLVE_FAILED;
		break;
	}
}

/*
 * Create the probe of item it, with the addresses we resolved ourselves
 * (naddrs 0: let the loop resolve) and the time that took (resolve_us,
 * the probe's resolve phase and part of its total).
 */
static int
run_new_probe(struct run *run, const struct plugin_config *cfg,
    struct report *rep, struct report_item *it, const char *const *addrs,
    size_t naddrs, int64_t resolve_us, int64_t deadline)
{
	struct smtpprobe_params	 pp;
	const char		*host = rep->hosts[it->host].name;
	char			 err[256];

	memset(&pp, 0, sizeof(pp));
	pp.host = host;
	pp.port = it->spec.port;
	pp.mode = it->spec.mode;
	pp.family = cfg->family;
	if (naddrs > 0) {
		pp.addresses = addrs;
		pp.naddresses = naddrs;
		pp.resolve_us = resolve_us > 0 ? resolve_us : 0;
	}
	pp.deadline = deadline;
	pp.ehlo_name = cfg->ehlo;
	pp.verify_name = cfg->verify_name;
	pp.sni = cfg->sni;
	pp.ca_file = cfg->ca_file;
	pp.source_address = cfg->source_address;
	pp.min_tls = cfg->min_tls;
	if (cfg->no_verify)
		pp.flags |= SMTPPROBE_F_INSECURE_NO_VERIFY;
	if (cfg->verbose >= 2)
		pp.flags |= SMTPPROBE_F_TRACE;
	err[0] = '\0';
	if ((it->probe = smtpprobe_new(run->ctx, &pp, err, sizeof(err))) ==
	    NULL)
		return report_synth(it, host, SMTPPROBE_OUTCOME_INTERNAL,
		    SMTPPROBE_PHASE_CONNECT, -1, err[0] != '\0' ? err :
		    "cannot create probe");
	return 0;
}

/* One item per port for host h, with its addresses (see run_new_probe). */
static int
run_add_items(struct run *run, const struct plugin_config *cfg,
    struct report *rep, size_t h, const char *const *addrs, size_t naddrs,
    int64_t deadline)
{
	struct report_item	*it;
	size_t			 i;

	for (i = 0; i < cfg->nports; i++) {
		if ((it = report_add_item(rep)) == NULL)
			return -1;
		it->spec = cfg->ports[i];
		it->host = h;
		if (run_new_probe(run, cfg, rep, it, addrs, naddrs,
		    rep->hosts[h].resolve_us, deadline) == -1)
			return -1;
	}
	return 0;
}

/* Items for a host whose lookup failed: one synthesised result per port. */
static int
run_add_failed(const struct plugin_config *cfg, struct report *rep,
    size_t h, const struct smtpprobe_lookup_result *lr)
{
	struct report_item	*it;
	enum smtpprobe_outcome	 o;
	enum smtpprobe_phase	 ph;
	size_t			 i;

	run_lookup_failure(lr, &o, &ph);
	for (i = 0; i < cfg->nports; i++) {
		if ((it = report_add_item(rep)) == NULL)
			return -1;
		it->spec = cfg->ports[i];
		it->host = h;
		if (report_synth(it, rep->hosts[h].name, o, ph,
		    rep->hosts[h].resolve_us, lr->detail) == -1)
			return -1;
	}
	return 0;
}

/* --mx: look up the MX hosts and make them the report's hosts. */
static int
run_mx(struct run *run, const struct plugin_config *cfg, struct report *rep,
    int64_t deadline, char *err, size_t errlen)
{
	size_t	 i;

	if (smtpprobe_loop_lookup(run->loop, cfg->host, SMTPPROBE_LOOKUP_MX,
	    cfg->family, deadline, run_mx_done, rep) == -1) {
		snprintf(err, errlen, "cannot start MX lookup: %s",
		    smtpprobe_loop_error(run->loop));
		return -1;
	}
	if (run_loop(run, deadline, err, errlen) == -1)
		return -1;
	if (!rep->mx_done) {
		rep->mx.outcome = SMTPPROBE_OUTCOME_TIMEOUT;
		rep->mx_done = 1;
	}
	if (rep->mx.outcome != SMTPPROBE_OUTCOME_OK) {
		snprintf(rep->problem, sizeof(rep->problem), "cannot look up "
		    "MX of %s: %s", cfg->host, rep->mx.detail[0] != '\0' ?
		    rep->mx.detail : smtpprobe_outcome_text(rep->mx.outcome));
		rep->problem_state = rep->mx.outcome ==
		    SMTPPROBE_OUTCOME_TIMEOUT ? cfg->timeout_state :
		    rep->mx.outcome == SMTPPROBE_OUTCOME_INTERNAL ?
		    PLUGIN_UNKNOWN : PLUGIN_CRITICAL;
		return 0;
	}
	if (rep->mx.null_mx) {
		/* RFC 7505: the domain says it accepts no mail. */
		snprintf(rep->problem, sizeof(rep->problem), "%s: domain "
		    "accepts no mail (null MX)", cfg->host);
		rep->problem_state = PLUGIN_CRITICAL;
		return 0;
	}
	if (rep->mx.no_mx || rep->mx.nmx == 0) {
		/* RFC 5321 §5.1: no MX, the domain is its own mail host. */
		if (report_add_host(rep, cfg->host) == NULL)
			return -1;
		return 0;
	}
	for (i = 0; i < rep->mx.nmx && i < SMTPPROBE_MAX_MX; i++) {
		struct report_host *h = report_add_host(rep,
		    rep->mx.mx[i].host);

		if (h == NULL)
			break;
		h->mx_preference = rep->mx.mx[i].preference;
	}
	return 0;
}

int
run_execute(struct run *run, const struct plugin_config *cfg,
    struct report *rep, int64_t deadline, char *err, size_t errlen)
{
	struct smtpprobe_loop_params	 lp;
	struct run_ref			*refs = NULL, *hrefs = NULL;
	const char			*addrs[SMTPPROBE_MAX_ADDRESSES];
	size_t				 i, h, nh, k, na;
	char				 why[256];
	int				 rc = -1;

	memset(run, 0, sizeof(*run));
	if ((run->ctx = smtpprobe_ctx_new(err, errlen)) == NULL)
		return -1;
	memset(&lp, 0, sizeof(lp));
	lp.dns_servers = cfg->dns_server;
	if ((run->loop = smtpprobe_loop_new(run->ctx, &lp, why,
	    sizeof(why))) == NULL) {
		/* Most likely the --dns-server value: a usage error. */
		if (cfg->dns_server != NULL) {
			snprintf(err, errlen, "bad --dns-server '%.64s': %s",
			    cfg->dns_server, why);
			return -2;
		}
		snprintf(err, errlen, "%s", why);
		return -1;
	}

	if (cfg->mx) {
		if (run_mx(run, cfg, rep, deadline, err, errlen) == -1)
			goto out;
	} else if (report_add_host(rep, cfg->host) == NULL)
		goto oom;
	nh = rep->nhosts;

	/*
	 * --all-addresses and --mx resolve the hosts first (one probe per
	 * address; the MX hosts' addresses), so each probe is told how long
	 * its host's lookup took: that is its resolve phase, and part of its
	 * total.  The domain's MX lookup is reported on its own ('resolve').
	 */
	if ((cfg->all_addresses || cfg->mx) && nh > 0) {
		if ((hrefs = calloc(nh, sizeof(*hrefs))) == NULL)
			goto oom;
		for (h = 0; h < nh; h++) {
			hrefs[h].rep = rep;
			hrefs[h].idx = h;
			if (smtpprobe_loop_lookup(run->loop,
			    rep->hosts[h].name, SMTPPROBE_LOOKUP_ADDR,
			    cfg->family, deadline, run_host_done,
			    &hrefs[h]) == -1) {
				snprintf(err, errlen, "cannot start lookup: "
				    "%s", smtpprobe_loop_error(run->loop));
				goto out;
			}
		}
		if (run_loop(run, deadline, err, errlen) == -1)
			goto out;
		for (h = 0; h < nh; h++) {
			struct report_host *hp = &rep->hosts[h];

			if (!hp->looked_up) {
				hp->lookup.outcome = SMTPPROBE_OUTCOME_TIMEOUT;
				snprintf(hp->lookup.detail,
				    sizeof(hp->lookup.detail), "no answer");
				hp->lookup.duration_us = deadline -
				    rep->started;
			}
			hp->resolve_us = hp->lookup.duration_us;
			if (hp->lookup.outcome != SMTPPROBE_OUTCOME_OK ||
			    hp->lookup.naddresses == 0) {
				if (run_add_failed(cfg, rep, h,
				    &hp->lookup) == -1)
					goto oom;
				continue;
			}
			na = hp->lookup.naddresses < SMTPPROBE_MAX_ADDRESSES ?
			    hp->lookup.naddresses : SMTPPROBE_MAX_ADDRESSES;
			for (k = 0; k < na; k++)
				addrs[k] = hp->lookup.addresses[k];
			if (!cfg->all_addresses) {
				/* tried in order, the first to connect wins */
				if (run_add_items(run, cfg, rep, h, addrs, na,
				    deadline) == -1)
					goto oom;
				continue;
			}
			hp->naddresses = na;
			for (k = 0; k < na; k++)
				if (run_add_items(run, cfg, rep, h, addrs + k,
				    1, deadline) == -1)
					goto oom;
		}
	} else {
		for (h = 0; h < nh; h++)
			if (run_add_items(run, cfg, rep, h, NULL, 0,
			    deadline) == -1)
				goto oom;
	}

	/* Several probes of one port: labels need "@address". */
	for (i = 0; i < rep->nitems && !rep->multi; i++)
		for (k = i + 1; k < rep->nitems; k++)
			if (rep->items[i].spec.port ==
			    rep->items[k].spec.port) {
				rep->multi = 1;
				break;
			}

	/* Now that the list is final, hand the probes to the loop. */
	if (rep->nitems > 0 &&
	    (refs = calloc(rep->nitems, sizeof(*refs))) == NULL)
		goto oom;
	for (i = 0; i < rep->nitems; i++) {
		struct report_item *it = &rep->items[i];

		if (it->probe == NULL)
			continue;
		refs[i].rep = rep;
		refs[i].idx = i;
		if (smtpprobe_loop_add(run->loop, it->probe, run_probe_done,
		    &refs[i]) == -1) {
			smtpprobe_free(it->probe);
			it->probe = NULL;
			if (report_synth(it, rep->hosts[it->host].name,
			    SMTPPROBE_OUTCOME_INTERNAL, SMTPPROBE_PHASE_CONNECT,
			    -1, smtpprobe_loop_error(run->loop)) == -1)
				goto oom;
		}
	}
	if (run_loop(run, deadline, err, errlen) == -1)
		goto out;
	/* Whatever is still running is cancelled (done callbacks run). */
	smtpprobe_loop_free(run->loop);
	run->loop = NULL;

	for (i = 0; i < rep->nitems; i++) {
		struct report_item *it = &rep->items[i];

		if (it->probe != NULL)
			it->r = smtpprobe_result(it->probe);
		if (it->r == NULL &&
		    report_synth(it, rep->hosts[it->host].name,
		    SMTPPROBE_OUTCOME_INTERNAL, SMTPPROBE_PHASE_TOTAL, -1,
		    "probe produced no result") == -1)
			goto oom;
		if (rep->hosts[it->host].resolve_us < 0 &&
		    it->r->phase_us[SMTPPROBE_PHASE_RESOLVE] >= 0)
			rep->hosts[it->host].resolve_us =
			    it->r->phase_us[SMTPPROBE_PHASE_RESOLVE];
	}
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	if (run->loop != NULL) {
		smtpprobe_loop_free(run->loop);
		run->loop = NULL;
	}
	/* Only now: the loop's callbacks may hold these until it is gone. */
	free(refs);
	free(hrefs);
	return rc;
}

void
run_free(struct run *run)
{
	smtpprobe_loop_free(run->loop);
	run->loop = NULL;
	smtpprobe_ctx_free(run->ctx);
	run->ctx = NULL;
}
