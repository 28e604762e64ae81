/*
 * evaluate.c: outcome x policy x thresholds x certificate days x
 * cleartext AUTH x state-file memory -> plugin state and reasons (the
 * table is in evaluate.h and PRODUCT.md, "States").
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "evaluate.h"

#define DAY	86400

static void	 evaluate_fmt(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* snprintf that truncates silently: texts are bounded by design. */
static void
evaluate_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* The -t budget in seconds: "10.0s", "8.0s", "0.25s", "1.5s". */
static void
evaluate_budget(char *buf, size_t len, double secs)
{
	size_t	 n;

	evaluate_fmt(buf, len, "%.3f", secs);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0' && n >= 2 && buf[n - 2] != '.')
		buf[--n] = '\0';
	evaluate_fmt(buf + n, len - n, "s");
}

int
evaluate_unanswered(const struct smtpprobe_result *r)
{
	switch (r->outcome) {
	case SMTPPROBE_OUTCOME_REFUSED:
	case SMTPPROBE_OUTCOME_UNREACHABLE:
		return 1;
	case SMTPPROBE_OUTCOME_TIMEOUT:
		return r->phase == SMTPPROBE_PHASE_CONNECT && !r->connected;
	default:
		return 0;
	}
}

int
evaluate_answered(const struct smtpprobe_result *r)
{
	return r->connected;
}

int
evaluate_starttls_seen(const struct smtpprobe_result *r, int *offered)
{
	*offered = 0;
	if (r->mode == SMTPPROBE_MODE_TLS)
		return 0;	/* implicit TLS: no plaintext EHLO */
	if (!r->caps.present && !r->caps.helo)
		return 0;
	*offered = (r->caps.flags & SMTPPROBE_CAP_STARTTLS) != 0;
	return 1;
}

/* The reply whose text explains outcome o, or NULL. */
static const struct smtpprobe_reply *
evaluate_reply(const struct smtpprobe_result *r)
{
	switch (r->outcome) {
	case SMTPPROBE_OUTCOME_BANNER_REJECTED:
		return &r->banner;
	case SMTPPROBE_OUTCOME_EHLO_REJECTED:
		return r->ehlo_tls.code != 0 ? &r->ehlo_tls : &r->ehlo;
	case SMTPPROBE_OUTCOME_STARTTLS_REJECTED:
		return &r->starttls;
	default:
		return NULL;
	}
}

/* The outcome in words, with the facts that explain it. */
static void
evaluate_outcome_text(const struct plugin_config *cfg,
    const struct smtpprobe_result *r, int64_t wall_now, char *buf,
    size_t len)
{
	const struct smtpprobe_reply	*rep;
	char				 dur[32], budget[32];
	const char			*text;
	int64_t				 us, na;

	text = smtpprobe_outcome_text(r->outcome);
	switch (r->outcome) {
	case SMTPPROBE_OUTCOME_TIMEOUT:
		/*
		 * What passed is the run's deadline (-t), shared by every
		 * port and the lookups; the phase's own time only says how
		 * long this probe waited there (less than -t when the
		 * probe started late), so it comes second, and only when
		 * it differs from the budget by more than a tenth.
		 */
		evaluate_budget(budget, sizeof(budget), cfg->timeout);
		us = r->phase < SMTPPROBE_PHASE_COUNT ?
		    r->phase_us[r->phase] : -1;
		if (us >= 0 && (double)us < cfg->timeout * 0.9e6)
			evaluate_fmt(buf, len, "timeout in %s (no answer within "
			    "%s, waited %s in %s)",
			    smtpprobe_phase_name(r->phase), budget,
			    report_duration(dur, sizeof(dur), us),
			    smtpprobe_phase_name(r->phase));
		else
			evaluate_fmt(buf, len, "timeout in %s (no answer within "
			    "%s)", smtpprobe_phase_name(r->phase), budget);
		return;
	case SMTPPROBE_OUTCOME_RESOLVE_FAILED:
		evaluate_fmt(buf, len, "cannot resolve %s%s%s", r->host,
		    r->detail[0] != '\0' ? ": " : "", r->detail);
		return;
	case SMTPPROBE_OUTCOME_CERT_EXPIRED:
		na = report_cert_expiry(&r->cert);
		if (r->cert.present && na != 0 && na <= wall_now) {
			evaluate_fmt(buf, len,
			    "certificate expired %lld days ago",
			    (long long)((wall_now - na) / DAY));
			return;
		}
		break;
	case SMTPPROBE_OUTCOME_CERT_UNTRUSTED:
	case SMTPPROBE_OUTCOME_CERT_NAME_MISMATCH:
	case SMTPPROBE_OUTCOME_CERT_NOT_YET_VALID:
		if (r->cert.verify_text[0] != '\0') {
			evaluate_fmt(buf, len, "%s (%s)", text,
			    r->cert.verify_text);
			return;
		}
		break;
	default:
		break;
	}
	/* A rejection is best told by the server's own words. */
	if ((rep = evaluate_reply(r)) != NULL && rep->code != 0)
		evaluate_fmt(buf, len, "%s: %d %s", text, rep->code, rep->text);
	else if (r->detail[0] != '\0')	/* never repeats text (smtpprobe.h) */
		evaluate_fmt(buf, len, "%s: %s", text, r->detail);
	else
		evaluate_fmt(buf, len, "%s", text);
}

/* The table of evaluate.h, before --timeout-state. */
static enum plugin_state
evaluate_table(enum smtpprobe_policy policy,
    const struct smtpprobe_result *r)
{
	switch (r->outcome) {
	case SMTPPROBE_OUTCOME_INTERNAL:
	case SMTPPROBE_OUTCOME_PENDING:
	case SMTPPROBE_OUTCOME_COUNT:
		return PLUGIN_UNKNOWN;
	case SMTPPROBE_OUTCOME_RESOLVE_FAILED:
		return policy == SMTPPROBE_POLICY_CLOSED ? PLUGIN_UNKNOWN :
		    PLUGIN_CRITICAL;
	case SMTPPROBE_OUTCOME_OK:
		return policy == SMTPPROBE_POLICY_CLOSED ? PLUGIN_CRITICAL :
		    PLUGIN_OK;
	default:
		break;
	}
	if (r->outcome == SMTPPROBE_OUTCOME_TIMEOUT &&
	    r->phase == SMTPPROBE_PHASE_RESOLVE)
		return policy == SMTPPROBE_POLICY_CLOSED ? PLUGIN_UNKNOWN :
		    PLUGIN_CRITICAL;
	if (evaluate_unanswered(r))
		return policy == SMTPPROBE_POLICY_REQUIRED ? PLUGIN_CRITICAL :
		    PLUGIN_OK;
	/* It answered, then failed. */
	return policy == SMTPPROBE_POLICY_OPTIONAL ? PLUGIN_WARNING :
	    PLUGIN_CRITICAL;
}

/* Raise the item's state to s; the reasons added since the last call
 * are what s stands for. */
static void
evaluate_raise(struct report_item *it, enum plugin_state s)
{
	size_t	 i;

	for (i = it->ntagged; i < it->nreasons; i++)
		it->reason_states[i] = s;
	it->ntagged = it->nreasons;
	it->state = config_state_worst(it->state, s);
}

/* Sort the reasons worst first, keeping the order among equals. */
static void
evaluate_sort_reasons(struct report_item *it)
{
	char			 tmp[REPORT_REASON_MAX];
	enum plugin_state	 ts;
	size_t			 i, j;

	for (i = it->ntagged; i < it->nreasons; i++)
		it->reason_states[i] = PLUGIN_OK;
	for (i = 1; i < it->nreasons; i++) {
		for (j = i; j > 0 && config_state_rank(it->reason_states[j]) >
		    config_state_rank(it->reason_states[j - 1]); j--) {
			memcpy(tmp, it->reasons[j], sizeof(tmp));
			memcpy(it->reasons[j], it->reasons[j - 1],
			    sizeof(tmp));
			memcpy(it->reasons[j - 1], tmp, sizeof(tmp));
			ts = it->reason_states[j];
			it->reason_states[j] = it->reason_states[j - 1];
			it->reason_states[j - 1] = ts;
		}
	}
}

/* Certificate days left on the earliest notAfter of the chain. */
static void
evaluate_cert_days(const struct plugin_config *cfg, struct report_item *it,
    int64_t wall_now)
{
	const struct smtpprobe_result	*r = it->r;
	int64_t				 na, days;

	if (!r->tls_up || !r->cert.present)
		return;
	na = report_cert_expiry(&r->cert);
	if (na == 0)
		return;
	if (na <= wall_now) {
		/* Expired is CRITICAL whatever --cert-days says, and even
		 * with --no-verify. */
		if (r->outcome != SMTPPROBE_OUTCOME_CERT_EXPIRED)
			report_reason(it, "certificate expired %lld days ago",
			    (long long)((wall_now - na) / DAY));
		evaluate_raise(it, PLUGIN_CRITICAL);
		return;
	}
	days = (na - wall_now) / DAY;
	if (days < cfg->cert_crit_days) {
		report_reason(it, "certificate expires in %lld days (< %ld)",
		    (long long)days, cfg->cert_crit_days);
		evaluate_raise(it, PLUGIN_CRITICAL);
	} else if (days < cfg->cert_warn_days) {
		report_reason(it, "certificate expires in %lld days (< %ld)",
		    (long long)days, cfg->cert_warn_days);
		evaluate_raise(it, PLUGIN_WARNING);
	}
}

/* -w / -c on total and the per-phase thresholds, on every phase that
 * ran. */
static void
evaluate_thresholds(const struct plugin_config *cfg, struct report_item *it)
{
	const struct smtpprobe_result	*r = it->r;
	const struct range		*w, *c;
	char				 dur[32];
	double				 s;
	int				 p;

	for (p = 0; p < SMTPPROBE_PHASE_COUNT; p++) {
		if (r->phase_us[p] < 0)
			continue;
		s = (double)r->phase_us[p] / 1e6;
		w = config_warn_range(cfg, (enum smtpprobe_phase)p);
		c = config_crit_range(cfg, (enum smtpprobe_phase)p);
		if (range_alert(c, s)) {
			report_reason(it, "%s %s outside critical range %s",
			    smtpprobe_phase_name((enum smtpprobe_phase)p),
			    report_duration(dur, sizeof(dur), r->phase_us[p]),
			    c->text);
			evaluate_raise(it, PLUGIN_CRITICAL);
		} else if (range_alert(w, s)) {
			report_reason(it, "%s %s outside warning range %s",
			    smtpprobe_phase_name((enum smtpprobe_phase)p),
			    report_duration(dur, sizeof(dur), r->phase_us[p]),
			    w->text);
			evaluate_raise(it, PLUGIN_WARNING);
		}
	}
}

static void	 evaluate_judge(const struct plugin_config *,
		    struct report_item *, int64_t);

void
evaluate_item(const struct plugin_config *cfg, struct report_item *it,
    int64_t wall_now)
{
	it->state = PLUGIN_OK;
	it->nreasons = 0;
	it->ntagged = 0;
	evaluate_judge(cfg, it, wall_now);
	evaluate_sort_reasons(it);
}

/* The body of evaluate_item(): state and reasons, in finding order. */
static void
evaluate_judge(const struct plugin_config *cfg, struct report_item *it,
    int64_t wall_now)
{
	const struct smtpprobe_result	*r = it->r;
	enum smtpprobe_policy		 policy = it->spec.policy;
	enum plugin_state		 table;
	char				 text[REPORT_REASON_MAX], when[32];
	int				 offered, seen;

	if (r == NULL) {
		report_reason(it, "internal error: probe did not finish");
		evaluate_raise(it, PLUGIN_UNKNOWN);
		return;
	}

	/* The state file's memory first: it is the news. */
	seen = evaluate_starttls_seen(r, &offered);
	if (it->prev_starttls > 0 && seen && !offered) {
		report_reason(it, "lost STARTTLS (last seen %s)",
		    report_time(when, sizeof(when), it->prev_starttls));
		evaluate_raise(it, PLUGIN_CRITICAL);
	}
	if (policy == SMTPPROBE_POLICY_OPTIONAL && it->prev_answered > 0 &&
	    evaluate_unanswered(r)) {
		report_reason(it, "became unreachable (last answered %s)",
		    report_time(when, sizeof(when), it->prev_answered));
		evaluate_raise(it, PLUGIN_WARNING);
	}

	table = evaluate_table(policy, r);
	if (r->outcome == SMTPPROBE_OUTCOME_TIMEOUT && table != PLUGIN_OK &&
	    cfg->timeout_state_set)
		table = cfg->timeout_state;
	evaluate_outcome_text(cfg, r, wall_now, text, sizeof(text));
	if (r->outcome == SMTPPROBE_OUTCOME_OK) {
		if (policy == SMTPPROBE_POLICY_CLOSED)
			report_reason(it, "answers (policy closed)");
	} else if (evaluate_unanswered(r) && table == PLUGIN_OK) {
		if (policy == SMTPPROBE_POLICY_CLOSED)
			report_reason(it, "closed as required (%s)", text);
		else
			report_reason(it, "not offered (%s)", text);
	} else if (policy == SMTPPROBE_POLICY_CLOSED &&
	    !evaluate_unanswered(r) &&
	    r->outcome != SMTPPROBE_OUTCOME_INTERNAL &&
	    r->outcome != SMTPPROBE_OUTCOME_RESOLVE_FAILED &&
	    !(r->outcome == SMTPPROBE_OUTCOME_TIMEOUT &&
	    r->phase == SMTPPROBE_PHASE_RESOLVE))
		report_reason(it, "answers (policy closed): %s", text);
	else
		report_reason(it, "%s", text);
	evaluate_raise(it, table);

	if (policy == SMTPPROBE_POLICY_CLOSED || !evaluate_answered(r))
		return;
	evaluate_cert_days(cfg, it, wall_now);
	evaluate_thresholds(cfg, it);
	if (r->mode == SMTPPROBE_MODE_STARTTLS && r->caps.present &&
	    (r->caps.flags & SMTPPROBE_CAP_AUTH) != 0) {
		if (r->caps.auth[0] != '\0')
			report_reason(it, "AUTH offered in cleartext (%s)",
			    r->caps.auth);
		else
			report_reason(it, "AUTH offered in cleartext");
		evaluate_raise(it, PLUGIN_WARNING);
	}
}

void
evaluate_report(const struct plugin_config *cfg, struct report *rep)
{
	enum plugin_state	 worst = PLUGIN_OK, best = PLUGIN_STATE_COUNT;
	size_t			 i;
	int			 any = 0;

	for (i = 0; i < rep->nhosts; i++)
		rep->hosts[i].state = PLUGIN_OK;
	for (i = 0; i < rep->nitems; i++) {
		struct report_item *it = &rep->items[i];

		evaluate_item(cfg, it, rep->wall_now);
		if (it->host < rep->nhosts)
			rep->hosts[it->host].state = config_state_worst(
			    rep->hosts[it->host].state, it->state);
		worst = config_state_worst(worst, it->state);
		any = 1;
	}
	if (cfg->mx_any && any) {
		/* OK if one MX host is OK: the best host state wins. */
		for (i = 0; i < rep->nhosts; i++) {
			size_t	 k;
			int	 has = 0;

			for (k = 0; k < rep->nitems; k++)
				if (rep->items[k].host == i)
					has = 1;
			if (!has)
				continue;
			if (best == PLUGIN_STATE_COUNT ||
			    config_state_rank(rep->hosts[i].state) <
			    config_state_rank(best))
				best = rep->hosts[i].state;
		}
		if (best != PLUGIN_STATE_COUNT)
			worst = best;
	}
	if (rep->problem[0] != '\0')
		worst = config_state_worst(worst, rep->problem_state);
	else if (!any) {
		worst = PLUGIN_UNKNOWN;
		snprintf(rep->problem, sizeof(rep->problem),
		    "nothing was probed");
		rep->problem_state = PLUGIN_UNKNOWN;
	}
	rep->state = worst;
}
