/*
 * probe_metrics.c: turns smtpprobe results into the per-port families of
 * PRODUCT.md.  A family is written only when at least one entry has a
 * sample for it, so HELP/TYPE never stand alone and no family repeats.
 * Certificate facts are written whenever the server presented a
 * certificate, verified or not (a user wants "expired 3 days ago").
 */
#include <stdio.h>
#include <string.h>

#include "probe_metrics.h"

#define PM_MAX_LABELS	8

size_t
probe_metrics_labels(const struct probe_metrics_entry *e,
    struct metrics_label *l, char *portbuf)
{
	size_t	 n = 0;

	if (e->target != NULL) {
		l[n].name = "target";
		l[n++].value = e->target;
	}
	snprintf(portbuf, 8, "%u", (unsigned)e->r->port);
	l[n].name = "port";
	l[n++].value = portbuf;
	l[n].name = "mode";
	l[n++].value = smtpprobe_mode_name(e->r->mode);
	if (e->with_address) {
		l[n].name = "address";
		l[n++].value = e->r->address;
	}
	return n;
}

int
probe_metrics_up(const struct smtpprobe_result *r)
{
	return r->connected && r->banner.code == 220;
}

/* Which gauge a simple family writes, and whether an entry has it. */
enum pm_gauge {
	PM_UP,
	PM_SUCCESS,
	PM_STARTTLS,
	PM_TLS_UP,
	PM_CERT_VERIFIED,
	PM_NOT_AFTER,
	PM_CHAIN_EARLIEST,
	PM_BANNER_CODE,
	PM_AUTH_BEFORE_TLS,
	PM_GAUGE_COUNT
};

static const struct {
	const char	*name;
	const char	*help;
} pm_gauges[] = {
	{ "smtp_port_up", "1 if TCP connected and a 220 greeting arrived." },
	{ "smtp_port_probe_success", "1 if the port met its policy." },
	{ "smtp_port_starttls_offered",
	    "1 if STARTTLS was in the plaintext EHLO reply." },
	{ "smtp_port_tls_up", "1 if the TLS handshake completed." },
	{ "smtp_port_cert_verified",
	    "1 if the certificate chain and name verified." },
	{ "smtp_port_cert_not_after_timestamp_seconds",
	    "notAfter of the leaf certificate, Unix seconds." },
	{ "smtp_port_cert_chain_earliest_expiry_timestamp_seconds",
	    "Earliest notAfter among the presented certificates, Unix "
	    "seconds." },
	{ "smtp_port_banner_code", "Reply code of the SMTP greeting." },
	{ "smtp_port_auth_before_tls",
	    "1 if AUTH was offered before TLS (in cleartext)." },
};
_Static_assert(sizeof(pm_gauges) / sizeof(pm_gauges[0]) == PM_GAUGE_COUNT,
    "gauge table");

/* Sets *v and returns 1 if entry e has a sample for gauge g. */
static int
pm_value(enum pm_gauge g, const struct probe_metrics_entry *e, int64_t *v)
{
	const struct smtpprobe_result	*r = e->r;

	switch (g) {
	case PM_UP:
		*v = probe_metrics_up(r);
		return 1;
	case PM_SUCCESS:
		*v = smtpprobe_policy_met(e->policy, r);
		return 1;
	case PM_STARTTLS:
		if (r->mode == SMTPPROBE_MODE_TLS)
			return 0;
		*v = r->caps.present &&
		    (r->caps.flags & SMTPPROBE_CAP_STARTTLS) != 0;
		return 1;
	case PM_TLS_UP:
		*v = r->tls_up != 0;
		return 1;
	case PM_CERT_VERIFIED:
		*v = r->cert.present && r->cert.verified;
		return 1;
	case PM_NOT_AFTER:
		*v = r->cert.not_after;
		return r->cert.present;
	case PM_CHAIN_EARLIEST:
		*v = r->cert.chain_earliest_not_after;
		return r->cert.present;
	case PM_BANNER_CODE:
		*v = r->banner.code;
		return r->banner.code != 0;
	case PM_AUTH_BEFORE_TLS:
		*v = (r->caps.flags & SMTPPROBE_CAP_AUTH) != 0;
		return r->caps.present;
	case PM_GAUGE_COUNT:
	default:
		return 0;
	}
}

static void
pm_gauge(struct strbuf *b, enum pm_gauge g,
    const struct probe_metrics_entry *e, size_t n)
{
	struct metrics_label	 l[PM_MAX_LABELS];
	char			 port[8];
	int64_t			 v;
	size_t			 i, nl;
	int			 head = 0;

	for (i = 0; i < n; i++) {
		if (!pm_value(g, &e[i], &v))
			continue;
		if (!head++)
			metrics_family(b, pm_gauges[g].name, "gauge",
			    pm_gauges[g].help);
		nl = probe_metrics_labels(&e[i], l, port);
		metrics_sample_int(b, pm_gauges[g].name, l, nl, v);
	}
}

static void
pm_phases(struct strbuf *b, const struct probe_metrics_entry *e, size_t n)
{
	static const char	 name[] = "smtp_port_phase_duration_seconds";
	struct metrics_label	 l[PM_MAX_LABELS];
	char			 port[8];
	size_t			 i, nl;
	int			 ph, head = 0;

	for (i = 0; i < n; i++) {
		nl = probe_metrics_labels(&e[i], l, port);
		l[nl].name = "phase";
		for (ph = 0; ph < SMTPPROBE_PHASE_COUNT; ph++) {
			if (e[i].r->phase_us[ph] < 0)
				continue;
			if (!head++)
				metrics_family(b, name, "gauge", "Duration of "
				    "each phase of this probe, in seconds.");
			l[nl].value = smtpprobe_phase_name(
			    (enum smtpprobe_phase)ph);
			metrics_sample_us(b, name, l, nl + 1,
			    e[i].r->phase_us[ph]);
		}
	}
}

static void
pm_infos(struct strbuf *b, const struct probe_metrics_entry *e, size_t n)
{
	struct metrics_label	 l[PM_MAX_LABELS];
	char			 port[8];
	size_t			 i, nl;
	int			 head;

	if (n > 0)
		metrics_family(b, "smtp_port_result_info", "gauge", "Always 1: "
		    "the outcome of the probe and the phase it happened in.");
	for (i = 0; i < n; i++) {
		nl = probe_metrics_labels(&e[i], l, port);
		l[nl].name = "result";
		l[nl].value = smtpprobe_outcome_name(e[i].r->outcome);
		l[nl + 1].name = "phase";
		l[nl + 1].value = smtpprobe_phase_name(e[i].r->phase);
		metrics_sample_int(b, "smtp_port_result_info", l, nl + 2, 1);
	}
	for (i = 0, head = 0; i < n; i++) {
		if (!e[i].r->tls_up)
			continue;
		if (!head++)
			metrics_family(b, "smtp_port_tls_info", "gauge",
			    "Always 1: the negotiated TLS version and cipher.");
		nl = probe_metrics_labels(&e[i], l, port);
		l[nl].name = "version";
		l[nl].value = e[i].r->tls_version;
		l[nl + 1].name = "cipher";
		l[nl + 1].value = e[i].r->tls_cipher;
		metrics_sample_int(b, "smtp_port_tls_info", l, nl + 2, 1);
	}
	for (i = 0, head = 0; i < n; i++) {
		const struct smtpprobe_cert *c = &e[i].r->cert;

		if (!c->present)
			continue;
		if (!head++)
			metrics_family(b, "smtp_port_cert_info", "gauge",
			    "Always 1: the leaf certificate the server "
			    "presented.");
		nl = probe_metrics_labels(&e[i], l, port);
		l[nl].name = "subject";
		l[nl].value = c->subject;
		l[nl + 1].name = "issuer";
		l[nl + 1].value = c->issuer;
		l[nl + 2].name = "serial";
		l[nl + 2].value = c->serial;
		l[nl + 3].name = "fingerprint_sha256";
		l[nl + 3].value = c->fingerprint_sha256;
		metrics_sample_int(b, "smtp_port_cert_info", l, nl + 4, 1);
	}
}

void
probe_metrics_write(struct strbuf *b, const struct probe_metrics_entry *e,
    size_t n)
{
	int	 g;

	for (g = 0; g < PM_GAUGE_COUNT; g++)
		pm_gauge(b, (enum pm_gauge)g, e, n);
	pm_phases(b, e, n);
	pm_infos(b, e, n);
}

void
probe_metrics_write_probe(struct strbuf *b,
    const struct probe_metrics_entry *e, size_t n, int64_t duration_us)
{
	size_t	 i;
	int	 ok = n > 0;

	for (i = 0; i < n; i++)
		if (!smtpprobe_policy_met(e[i].policy, e[i].r))
			ok = 0;
	probe_metrics_write(b, e, n);
	metrics_family(b, "probe_success", "gauge",
	    "1 if every port met its policy.");
	metrics_sample_int(b, "probe_success", NULL, 0, ok);
	metrics_family(b, "probe_duration_seconds", "gauge",
	    "How long the probe took to complete, in seconds.");
	metrics_sample_us(b, "probe_duration_seconds", NULL, 0, duration_us);
}
