/*
 * output.c: the Nagios text of a run (see output.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evaluate.h"
#include "output.h"

#define DAY	86400

void
output_clean(struct buf *out, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;

	for (; *p != '\0'; p++) {
		if (*p == '|')
			buf_putc(out, '/');
		else if (*p < 0x20 || *p == 0x7f)
			buf_putc(out, ' ');
		else
			buf_putc(out, (char)*p);
	}
}

char *
output_seconds(char *buf, size_t len, int64_t us)
{
	size_t	 n;

	if (us < 0)
		us = 0;
	snprintf(buf, len, "%lld.%06lld", (long long)(us / 1000000),
	    (long long)(us % 1000000));
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
	return buf;
}

int64_t
output_days_left(int64_t t, int64_t now)
{
	int64_t	 d = t - now;

	return d >= 0 ? d / DAY : -((-d + DAY - 1) / DAY);
}

/* The "@..." part of labels when several addresses or hosts are probed:
 * the address, else the host name; "" otherwise. */
static const char *
output_suffix(const struct report *rep, const struct report_item *it)
{
	if (!rep->multi)
		return "";
	if (it->r != NULL && it->r->address[0] != '\0')
		return it->r->address;
	if (it->host < rep->nhosts)
		return rep->hosts[it->host].name;
	return "";
}

char *
output_item_name(const struct report *rep, const struct report_item *it,
    char *buf, size_t len)
{
	const char	*sfx = output_suffix(rep, it);
	const char	*mode = smtpprobe_mode_name(it->spec.mode);
	unsigned	 port = it->spec.port;

	/* With --mx, people think in MX host names: "25/starttls@mx1...",
	 * and "@mx1.../192.0.2.1" when it has several addresses. */
	if (rep->multi && rep->mx_done && it->host < rep->nhosts) {
		const struct report_host *h = &rep->hosts[it->host];

		if (h->naddresses > 1 && it->r != NULL &&
		    it->r->address[0] != '\0')
			snprintf(buf, len, "%u/%s@%.200s/%.63s", port, mode,
			    h->name, it->r->address);
		else
			snprintf(buf, len, "%u/%s@%.200s", port, mode,
			    h->name);
		return buf;
	}
	snprintf(buf, len, "%u/%s%s%.200s", port, mode,
	    *sfx != '\0' ? "@" : "", sfx);
	return buf;
}

/* Item indices sorted worst state first, stable. */
static size_t *
output_order(const struct report *rep)
{
	size_t	*ord, i, j, k;

	if ((ord = calloc(rep->nitems + 1, sizeof(*ord))) == NULL)
		return NULL;
	k = 0;
	for (j = 0; j < 4; j++) {
		/* ranks 3 (CRITICAL) down to 0 (OK) */
		for (i = 0; i < rep->nitems; i++)
			if (config_state_rank(rep->items[i].state) ==
			    3 - (int)j)
				ord[k++] = i;
	}
	return ord;
}

/* Short text of one probe for the status line. */
static void
output_short(const struct report *rep, const struct report_item *it,
    struct buf *out)
{
	const struct smtpprobe_result	*r = it->r;
	char				 name[300], dur[32];

	buf_puts(out, output_item_name(rep, it, name, sizeof(name)));
	buf_putc(out, ' ');
	buf_puts(out, config_state_name(it->state));
	if (it->state == PLUGIN_OK && r != NULL &&
	    r->outcome == SMTPPROBE_OUTCOME_OK) {
		buf_printf(out, " %s", report_duration(dur, sizeof(dur),
		    r->phase_us[SMTPPROBE_PHASE_TOTAL]));
		if (r->tls_up && r->tls_version[0] != '\0') {
			buf_putc(out, ' ');
			output_clean(out, r->tls_version);
		}
	} else if (it->nreasons > 0) {
		buf_putc(out, ' ');
		output_clean(out, it->reasons[0]);
		if (it->nreasons > 1)
			buf_printf(out, " (+%zu more)", it->nreasons - 1);
	}
}

void
output_status(const struct plugin_config *cfg, const struct report *rep,
    struct buf *out)
{
	size_t	*ord, i;
	int	 first = 1;

	(void)cfg;
	buf_printf(out, "SMTP PORTS %s - ", config_state_name(rep->state));
	if (rep->problem[0] != '\0') {
		output_clean(out, rep->problem);
		first = 0;
	}
	if ((ord = output_order(rep)) == NULL) {
		buf_puts(out, first ? "out of memory" : "");
		return;
	}
	for (i = 0; i < rep->nitems; i++) {
		if (!first)
			buf_puts(out, ", ");
		first = 0;
		output_short(rep, &rep->items[ord[i]], out);
	}
	free(ord);
}

/* The facts of a probe that answered: TLS, certificate, AUTH, time. */
static void
output_facts(const struct report *rep, const struct report_item *it,
    struct buf *out)
{
	const struct smtpprobe_result	*r = it->r;
	const struct smtpprobe_caps	*caps;
	char				 dur[32];
	int64_t				 na;

	if (r->phase_us[SMTPPROBE_PHASE_TOTAL] >= 0)
		buf_printf(out, ", %s", report_duration(dur, sizeof(dur),
		    r->phase_us[SMTPPROBE_PHASE_TOTAL]));
	if (r->tls_up) {
		buf_puts(out, ", ");
		output_clean(out, r->tls_version);
		buf_putc(out, ' ');
		output_clean(out, r->tls_cipher);
	}
	if (r->cert.present) {
		buf_puts(out, ", cert ");
		output_clean(out, r->cert.common_name[0] != '\0' ?
		    r->cert.common_name : r->cert.subject);
		na = report_cert_expiry(&r->cert);
		if (na != 0) {
			int64_t d = output_days_left(na, rep->wall_now);

			/* Whole days since expiry, as the status reason
			 * counts them (evaluate.c): 30.2 days ago is "30",
			 * while days left (perfdata) is floor(-30.2) = -31. */
			if (d >= 0)
				buf_printf(out, " valid %lld days",
				    (long long)d);
			else
				buf_printf(out, " expired %lld days ago",
				    (long long)((rep->wall_now - na) / DAY));
		}
		if (!r->cert.verify_checked)
			buf_puts(out, " (not verified)");
		else if (!r->cert.verified)
			buf_puts(out, " (verification failed)");
	}
	caps = r->caps_tls.present ? &r->caps_tls : &r->caps;
	if (caps->present && (caps->flags & SMTPPROBE_CAP_AUTH) != 0) {
		buf_puts(out, ", AUTH ");
		output_clean(out, caps->auth[0] != '\0' ? caps->auth :
		    "(none)");
	}
}

static void
output_caps(const struct smtpprobe_caps *c, struct buf *out)
{
	unsigned	 i;
	int		 any = 0;

	if (c->helo) {
		buf_puts(out, "HELO only (EHLO refused)");
		return;
	}
	for (i = 0; i < SMTPPROBE_CAP_COUNT; i++) {
		if ((c->flags & (1u << i)) == 0)
			continue;
		if (any)
			buf_putc(out, ' ');
		output_clean(out, smtpprobe_cap_name(i));
		if ((1u << i) == SMTPPROBE_CAP_AUTH && c->auth[0] != '\0') {
			buf_putc(out, '=');
			output_clean(out, c->auth);
		}
		if ((1u << i) == SMTPPROBE_CAP_SIZE && c->size != 0)
			buf_printf(out, "=%llu", (unsigned long long)c->size);
		any = 1;
	}
	if (!any)
		buf_puts(out, "(none)");
}

static void
output_reply(const char *what, const struct smtpprobe_reply *rp,
    struct buf *out)
{
	if (rp->code == 0)
		return;
	buf_printf(out, "  %s: %d ", what, rp->code);
	output_clean(out, rp->text);
	buf_putc(out, '\n');
}

/*
 * -v: every connect attempt and how it ended, one line:
 * "  tried 2001:db8::25: timeout in connect after 250ms, 192.0.2.25:
 * connected in 1ms".  Nothing when no attempt was made.
 */
static void
output_attempts(const struct smtpprobe_result *r, struct buf *out)
{
	const struct smtpprobe_attempt	*a;
	char				 dur[32];
	int				 i, n;

	n = r->nattempts < SMTPPROBE_MAX_ADDRESSES ? r->nattempts :
	    SMTPPROBE_MAX_ADDRESSES;
	if (n <= 0)
		return;
	buf_puts(out, "  tried ");
	for (i = 0; i < n; i++) {
		a = &r->attempts[i];
		if (i > 0)
			buf_puts(out, ", ");
		output_clean(out, a->address);
		report_duration(dur, sizeof(dur), a->connect_us);
		switch (a->outcome) {
		case SMTPPROBE_OUTCOME_OK:
			buf_printf(out, ": connected in %s", dur);
			break;
		case SMTPPROBE_OUTCOME_PENDING:
			buf_printf(out, ": still connecting after %s, "
			    "abandoned", dur);
			break;
		case SMTPPROBE_OUTCOME_TIMEOUT:
			buf_printf(out, ": timeout in connect after %s", dur);
			break;
		default:
			buf_printf(out, ": %s after %s",
			    smtpprobe_outcome_text(a->outcome), dur);
			break;
		}
	}
	buf_putc(out, '\n');
}

/* -v: the facts of one probe, one indented line each. */
static void
output_verbose(const struct report *rep, const struct report_item *it,
    struct buf *out)
{
	const struct smtpprobe_result	*r = it->r;
	const struct smtpprobe_cert	*c = &r->cert;
	char				 dur[32], t1[32], t2[32], t3[32];
	int				 p, any = 0;

	buf_puts(out, "  host ");
	output_clean(out, r->host[0] != '\0' ? r->host :
	    (it->host < rep->nhosts ? rep->hosts[it->host].name : "?"));
	buf_printf(out, ", address %s, addresses tried %d, outcome %s in %s",
	    r->address[0] != '\0' ? r->address : "(none)",
	    r->addresses_tried, smtpprobe_outcome_name(r->outcome),
	    smtpprobe_phase_name(r->phase));
	if (r->sys_errno != 0)
		buf_printf(out, " (errno %d)", r->sys_errno);
	buf_putc(out, '\n');
	output_attempts(r, out);
	buf_puts(out, "  phases:");
	for (p = 0; p < SMTPPROBE_PHASE_COUNT; p++) {
		if (r->phase_us[p] < 0)
			continue;
		buf_printf(out, "%s %s %s", any ? "," : "",
		    smtpprobe_phase_name((enum smtpprobe_phase)p),
		    report_duration(dur, sizeof(dur), r->phase_us[p]));
		any = 1;
	}
	buf_putc(out, '\n');
	output_reply("banner", &r->banner, out);
	output_reply("EHLO", &r->ehlo, out);
	if (r->caps.present || r->caps.helo) {
		buf_puts(out, "  capabilities: ");
		output_caps(&r->caps, out);
		buf_putc(out, '\n');
	}
	output_reply("STARTTLS", &r->starttls, out);
	output_reply("EHLO after TLS", &r->ehlo_tls, out);
	if (r->caps_tls.present || r->caps_tls.helo) {
		buf_puts(out, "  capabilities after TLS: ");
		output_caps(&r->caps_tls, out);
		buf_putc(out, '\n');
	}
	output_reply("QUIT", &r->quit, out);
	if (r->tls_up) {
		buf_puts(out, "  TLS: ");
		output_clean(out, r->tls_version);
		buf_putc(out, ' ');
		output_clean(out, r->tls_cipher);
		buf_putc(out, '\n');
	}
	if (!c->present)
		return;
	buf_puts(out, "  certificate: subject ");
	output_clean(out, c->subject);
	buf_puts(out, ", issuer ");
	output_clean(out, c->issuer);
	buf_puts(out, ", SANs ");
	output_clean(out, c->sans[0] != '\0' ? c->sans : "(none)");
	buf_puts(out, "\n  certificate: serial ");
	output_clean(out, c->serial);
	buf_puts(out, ", SHA-256 ");
	output_clean(out, c->fingerprint_sha256);
	buf_printf(out, "\n  certificate: not before %s, not after %s, chain "
	    "earliest not after %s, chain length %d\n",
	    report_time(t1, sizeof(t1), c->not_before),
	    report_time(t2, sizeof(t2), c->not_after),
	    report_time(t3, sizeof(t3), c->chain_earliest_not_after),
	    c->chain_length);
	if (!c->verify_checked)
		buf_puts(out, "  verification: not checked (--no-verify)");
	else if (c->verified)
		buf_puts(out, "  verification: chain and name OK");
	else {
		buf_puts(out, "  verification: failed: ");
		output_clean(out, c->verify_text[0] != '\0' ? c->verify_text :
		    "?");
	}
	buf_putc(out, '\n');
}

/* -vv: the dialogue, indented. */
static void
output_transcript(const struct smtpprobe_result *r, struct buf *out)
{
	const char	*p = r->transcript, *nl;
	char		 line[1024];
	size_t		 n;

	if (p == NULL)
		return;
	while (*p != '\0') {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		buf_puts(out, "    ");
		output_clean(out, line);
		buf_putc(out, '\n');
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/* One long-output line per probe. */
static void
output_long(const struct plugin_config *cfg, const struct report *rep,
    const struct report_item *it, struct buf *out)
{
	const struct smtpprobe_result	*r = it->r;
	char				 name[300];
	size_t				 i;

	buf_puts(out, output_item_name(rep, it, name, sizeof(name)));
	buf_printf(out, " %s: ", config_state_name(it->state));
	for (i = 0; i < it->nreasons; i++) {
		if (i > 0)
			buf_puts(out, ", ");
		output_clean(out, it->reasons[i]);
	}
	if (r == NULL) {
		buf_putc(out, '\n');
		return;
	}
	if (it->nreasons == 0) {
		/* Nothing to complain about: say what was shown to work. */
		switch (it->spec.mode) {
		case SMTPPROBE_MODE_STARTTLS:
			buf_puts(out, "STARTTLS ok");
			break;
		case SMTPPROBE_MODE_TLS:
			buf_puts(out, "implicit TLS ok");
			break;
		default:
			buf_puts(out, (r->caps.flags & SMTPPROBE_CAP_STARTTLS) ?
			    "SMTP ok, STARTTLS offered" : "SMTP ok");
			break;
		}
	}
	buf_printf(out, " (%s", smtpprobe_policy_name(it->spec.policy));
	if (r->connected || r->tls_up)
		output_facts(rep, it, out);
	if (cfg->mx && it->host < rep->nhosts) {
		buf_puts(out, ", MX ");
		output_clean(out, rep->hosts[it->host].name);
	}
	if (r->address[0] != '\0')
		buf_printf(out, ", %s", r->address);
	buf_puts(out, ")\n");
	if (cfg->verbose >= 1)
		output_verbose(rep, it, out);
	if (cfg->verbose >= 2)
		output_transcript(r, out);
}

/* Perfdata labels: no quote, '=', blank, '|' or control character. */
static void
output_label(struct buf *out, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;

	for (; *p != '\0'; p++)
		buf_putc(out, (*p <= 0x20 || *p == 0x7f || *p == '\'' ||
		    *p == '=' || *p == '|') ? '_' : (char)*p);
}

/* Labels written so far, to keep them unique. */
struct output_labels {
	char	**v;
	size_t	  n;
};

/* Write one "'label'=" making label unique ("#2" ...). */
static void
output_perf_label(struct output_labels *seen, struct buf *out,
    const char *label)
{
	struct buf	 tmp;
	char		**nv;
	size_t		 i, dup = 1;
	int		 again;

	buf_init(&tmp);
	do {
		buf_reset(&tmp);
		output_label(&tmp, label);
		if (dup > 1)
			buf_printf(&tmp, "#%zu", dup);
		again = 0;
		for (i = 0; i < seen->n; i++)
			if (strcmp(seen->v[i], buf_str(&tmp)) == 0) {
				again = 1;
				dup++;
				break;
			}
	} while (again && dup < 1000);
	buf_printf(out, "'%s'=", buf_str(&tmp));
	if ((nv = reallocarray(seen->v, seen->n + 1, sizeof(*nv))) != NULL) {
		seen->v = nv;
		if ((nv[seen->n] = strdup(buf_str(&tmp))) != NULL)
			seen->n++;
	}
	buf_free(&tmp);
}

static void
output_perf_seconds(const struct plugin_config *cfg,
    struct output_labels *seen, struct buf *out, const char *label,
    enum smtpprobe_phase p, int64_t us)
{
	char	 secs[48];

	if (out->len > 0 && buf_str(out)[out->len - 1] != ' ')
		buf_putc(out, ' ');
	output_perf_label(seen, out, label);
	buf_printf(out, "%ss;%s;%s;0;", output_seconds(secs, sizeof(secs), us),
	    config_warn_range(cfg, p)->text, config_crit_range(cfg, p)->text);
}

void
output_perfdata(const struct plugin_config *cfg, const struct report *rep,
    struct buf *out)
{
	struct output_labels	 seen = { NULL, 0 };
	struct buf		 label;
	size_t			 i, h, start = out->len;
	int			 p;

	buf_init(&label);
	/* 'resolve' once per host; with --mx the domain's MX lookup is
	 * 'resolve' and each MX host's is 'resolve@host'. */
	if (rep->mx_done)
		output_perf_seconds(cfg, &seen, out, "resolve",
		    SMTPPROBE_PHASE_RESOLVE, rep->mx.duration_us);
	for (h = 0; h < rep->nhosts; h++) {
		int64_t	 us = rep->hosts[h].resolve_us;

		if (us < 0) {
			for (i = 0; i < rep->nitems; i++)
				if (rep->items[i].host == h &&
				    rep->items[i].r != NULL &&
				    rep->items[i].r->phase_us[
				    SMTPPROBE_PHASE_RESOLVE] >= 0) {
					us = rep->items[i].r->phase_us[
					    SMTPPROBE_PHASE_RESOLVE];
					break;
				}
		}
		if (us < 0)
			continue;
		buf_reset(&label);
		buf_puts(&label, "resolve");
		if (rep->mx_done)
			buf_printf(&label, "@%s", rep->hosts[h].name);
		output_perf_seconds(cfg, &seen, out, buf_str(&label),
		    SMTPPROBE_PHASE_RESOLVE, us);
	}
	for (i = 0; i < rep->nitems; i++) {
		const struct report_item	*it = &rep->items[i];
		const struct smtpprobe_result	*r = it->r;
		const char			*sfx = output_suffix(rep, it);
		int64_t				 na;

		if (r == NULL)
			continue;
		for (p = SMTPPROBE_PHASE_CONNECT; p < SMTPPROBE_PHASE_COUNT;
		    p++) {
			if (r->phase_us[p] < 0)
				continue;
			buf_reset(&label);
			buf_printf(&label, "%u_%s%s%s", (unsigned)it->spec.port,
			    smtpprobe_phase_name((enum smtpprobe_phase)p),
			    *sfx != '\0' ? "@" : "", sfx);
			output_perf_seconds(cfg, &seen, out, buf_str(&label),
			    (enum smtpprobe_phase)p, r->phase_us[p]);
		}
		if (!r->tls_up || !r->cert.present)
			continue;
		na = report_cert_expiry(&r->cert);
		if (na == 0)
			continue;
		buf_reset(&label);
		buf_printf(&label, "%u_cert_days%s%s", (unsigned)it->spec.port,
		    *sfx != '\0' ? "@" : "", sfx);
		if (out->len > start)
			buf_putc(out, ' ');
		output_perf_label(&seen, out, buf_str(&label));
		buf_printf(out, "%lld;%ld:;%ld:;;",
		    (long long)output_days_left(na, rep->wall_now),
		    cfg->cert_warn_days, cfg->cert_crit_days);
	}
	for (i = 0; i < seen.n; i++)
		free(seen.v[i]);
	free(seen.v);
	buf_free(&label);
}

void
output_nagios(const struct plugin_config *cfg, const struct report *rep,
    struct buf *out)
{
	struct buf	 perf;
	size_t		*ord, i;

	output_status(cfg, rep, out);
	buf_putc(out, '\n');
	if ((ord = output_order(rep)) != NULL) {
		for (i = 0; i < rep->nitems; i++)
			output_long(cfg, rep, &rep->items[ord[i]], out);
		free(ord);
	}
	for (i = 0; i < rep->nnotes; i++) {
		buf_puts(out, "note: ");
		output_clean(out, rep->notes[i]);
		buf_putc(out, '\n');
	}
	buf_init(&perf);
	output_perfdata(cfg, rep, &perf);
	if (perf.len > 0)
		buf_printf(out, "| %s\n", buf_str(&perf));
	buf_free(&perf);
}
