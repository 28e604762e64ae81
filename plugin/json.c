/*
 * json.c: --output-format json (see json.h; field reference in
 * docs/plugin.md).
 */
#include <stdio.h>
#include <string.h>

#include "evaluate.h"
#include "json.h"
#include "output.h"

/* Length of the valid UTF-8 sequence at p (RFC 3629), 0 if invalid. */
static size_t
json_utf8_len(const unsigned char *p)
{
	size_t	 n, i;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 ||
	    cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void
json_string(struct buf *out, const char *s)
{
	const unsigned char	*p;
	size_t			 n;

	p = (const unsigned char *)(s != NULL ? s : "");
	buf_putc(out, '"');
	while (*p != '\0') {
		if (*p == '"' || *p == '\\') {
			buf_putc(out, '\\');
			buf_putc(out, (char)*p++);
		} else if (*p == '\n' || *p == '\r' || *p == '\t') {
			buf_puts(out, *p == '\n' ? "\\n" : *p == '\r' ?
			    "\\r" : "\\t");
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			buf_printf(out, "\\u%04x", *p++);
		} else if ((n = json_utf8_len(p)) == 0) {
			buf_printf(out, "\\\\x%02X", *p++);
		} else {
			buf_add(out, (const char *)p, n);
			p += n;
		}
	}
	buf_putc(out, '"');
}

static void
json_key(struct buf *out, int *first, const char *key)
{
	if (!*first)
		buf_putc(out, ',');
	*first = 0;
	json_string(out, key);
	buf_putc(out, ':');
}

static void
json_kstr(struct buf *out, int *first, const char *key, const char *v)
{
	json_key(out, first, key);
	if (v == NULL)
		buf_puts(out, "null");
	else
		json_string(out, v);
}

static void
json_kint(struct buf *out, int *first, const char *key, long long v)
{
	json_key(out, first, key);
	buf_printf(out, "%lld", v);
}

static void
json_kbool(struct buf *out, int *first, const char *key, int v)
{
	json_key(out, first, key);
	buf_puts(out, v ? "true" : "false");
}

/* Seconds from µs as a JSON number, null when negative (did not run). */
static void
json_ksecs(struct buf *out, int *first, const char *key, int64_t us)
{
	char	 secs[48];

	json_key(out, first, key);
	if (us < 0)
		buf_puts(out, "null");
	else
		buf_puts(out, output_seconds(secs, sizeof(secs), us));
}

static void
json_reply(struct buf *out, int *first, const char *key,
    const struct smtpprobe_reply *r)
{
	int	 f = 1;

	json_key(out, first, key);
	if (r->code == 0) {
		buf_puts(out, "null");
		return;
	}
	buf_putc(out, '{');
	json_kint(out, &f, "code", r->code);
	json_kstr(out, &f, "text", r->text);
	buf_putc(out, '}');
}

static void
json_caps(struct buf *out, int *first, const char *key,
    const struct smtpprobe_caps *c)
{
	unsigned	 i;
	int		 f = 1, any = 0;

	json_key(out, first, key);
	if (!c->present && !c->helo) {
		buf_puts(out, "null");
		return;
	}
	buf_putc(out, '{');
	json_kbool(out, &f, "helo", c->helo);
	json_key(out, &f, "keywords");
	buf_putc(out, '[');
	for (i = 0; i < SMTPPROBE_CAP_COUNT; i++) {
		if ((c->flags & (1u << i)) == 0)
			continue;
		if (any)
			buf_putc(out, ',');
		json_string(out, smtpprobe_cap_name(i));
		any = 1;
	}
	buf_putc(out, ']');
	json_kstr(out, &f, "auth", c->auth);
	json_kint(out, &f, "size", (long long)c->size);
	buf_putc(out, '}');
}

static void
json_cert(struct buf *out, int *first, const struct report *rep,
    const struct smtpprobe_cert *c)
{
	int	 f = 1, i;
	int64_t	 na;

	json_key(out, first, "certificate");
	if (!c->present) {
		buf_puts(out, "null");
		return;
	}
	na = report_cert_expiry(c);
	buf_putc(out, '{');
	json_kstr(out, &f, "subject", c->subject);
	json_kstr(out, &f, "issuer", c->issuer);
	json_kstr(out, &f, "common_name", c->common_name);
	json_kstr(out, &f, "sans", c->sans);
	json_kstr(out, &f, "serial", c->serial);
	json_kstr(out, &f, "fingerprint_sha256", c->fingerprint_sha256);
	json_kint(out, &f, "not_before", (long long)c->not_before);
	json_kint(out, &f, "not_after", (long long)c->not_after);
	json_kint(out, &f, "chain_earliest_not_after", (long long)na);
	json_kint(out, &f, "days_left",
	    (long long)output_days_left(na, rep->wall_now));
	json_kint(out, &f, "chain_length", c->chain_length);
	json_kbool(out, &f, "verify_checked", c->verify_checked);
	json_kbool(out, &f, "verified", c->verified);
	json_key(out, &f, "verify_findings");
	buf_putc(out, '[');
	{
		static const struct {
			unsigned	 bit;
			const char	*name;
		} v[] = {
			{ SMTPPROBE_VERIFY_EXPIRED, "expired" },
			{ SMTPPROBE_VERIFY_NOT_YET_VALID, "not_yet_valid" },
			{ SMTPPROBE_VERIFY_UNTRUSTED, "untrusted" },
			{ SMTPPROBE_VERIFY_NAME_MISMATCH, "name_mismatch" },
		};
		int	 any = 0;

		for (i = 0; i < (int)(sizeof(v) / sizeof(v[0])); i++) {
			if ((c->verify_flags & v[i].bit) == 0)
				continue;
			if (any)
				buf_putc(out, ',');
			json_string(out, v[i].name);
			any = 1;
		}
	}
	buf_putc(out, ']');
	json_key(out, &f, "verify_errors");
	buf_putc(out, '[');
	for (i = 0; i < c->nverify_errors && i < SMTPPROBE_MAX_VERIFY_ERRORS;
	    i++)
		buf_printf(out, "%s%d", i > 0 ? "," : "", c->verify_errors[i]);
	buf_putc(out, ']');
	json_kstr(out, &f, "verify_text", c->verify_text);
	buf_putc(out, '}');
}

/* "attempts": every connect attempt, in order: address, outcome (its
 * own, in connect terms: "ok" connected, "pending" abandoned), errno and
 * the seconds it took. */
static void
json_attempts(struct buf *out, int *first, const struct smtpprobe_result *r)
{
	const struct smtpprobe_attempt	*a;
	int				 i, n, f;

	n = r->nattempts < SMTPPROBE_MAX_ADDRESSES ? r->nattempts :
	    SMTPPROBE_MAX_ADDRESSES;
	json_key(out, first, "attempts");
	buf_putc(out, '[');
	for (i = 0; i < n; i++) {
		a = &r->attempts[i];
		f = 1;
		if (i > 0)
			buf_putc(out, ',');
		buf_putc(out, '{');
		json_kstr(out, &f, "address", a->address);
		json_kstr(out, &f, "outcome",
		    smtpprobe_outcome_name(a->outcome));
		json_kint(out, &f, "errno", a->sys_errno);
		json_ksecs(out, &f, "connect", a->connect_us);
		buf_putc(out, '}');
	}
	buf_putc(out, ']');
}

static void
json_item(const struct plugin_config *cfg, const struct report *rep,
    const struct report_item *it, struct buf *out)
{
	const struct smtpprobe_result	*r = it->r;
	size_t				 i;
	int				 f = 1, p, pf = 1;

	buf_putc(out, '{');
	json_kint(out, &f, "port", it->spec.port);
	json_kstr(out, &f, "mode", smtpprobe_mode_name(it->spec.mode));
	json_kstr(out, &f, "policy", smtpprobe_policy_name(it->spec.policy));
	json_kstr(out, &f, "host", it->host < rep->nhosts ?
	    rep->hosts[it->host].name : "");
	json_kstr(out, &f, "state", config_state_name(it->state));
	json_key(out, &f, "reasons");
	buf_putc(out, '[');
	for (i = 0; i < it->nreasons; i++) {
		if (i > 0)
			buf_putc(out, ',');
		json_string(out, it->reasons[i]);
	}
	buf_putc(out, ']');
	if (r == NULL) {
		buf_putc(out, '}');
		return;
	}
	json_kstr(out, &f, "address", r->address);
	json_kint(out, &f, "addresses_tried", r->addresses_tried);
	json_attempts(out, &f, r);
	json_kstr(out, &f, "outcome", smtpprobe_outcome_name(r->outcome));
	json_kstr(out, &f, "outcome_text", smtpprobe_outcome_text(r->outcome));
	json_kstr(out, &f, "phase", smtpprobe_phase_name(r->phase));
	json_kstr(out, &f, "detail", r->detail);
	json_kint(out, &f, "errno", r->sys_errno);
	json_kbool(out, &f, "connected", r->connected);
	json_key(out, &f, "phases");
	buf_putc(out, '{');
	for (p = 0; p < SMTPPROBE_PHASE_COUNT; p++) {
		if (r->phase_us[p] < 0)
			continue;
		json_ksecs(out, &pf, smtpprobe_phase_name(
		    (enum smtpprobe_phase)p), r->phase_us[p]);
	}
	buf_putc(out, '}');
	json_reply(out, &f, "banner", &r->banner);
	json_reply(out, &f, "ehlo", &r->ehlo);
	json_reply(out, &f, "starttls", &r->starttls);
	json_reply(out, &f, "ehlo_tls", &r->ehlo_tls);
	json_reply(out, &f, "quit", &r->quit);
	json_caps(out, &f, "capabilities", &r->caps);
	json_caps(out, &f, "capabilities_tls", &r->caps_tls);
	json_kbool(out, &f, "auth_before_tls",
	    r->mode == SMTPPROBE_MODE_STARTTLS && r->caps.present &&
	    (r->caps.flags & SMTPPROBE_CAP_AUTH) != 0);
	json_key(out, &f, "tls");
	if (r->tls_up) {
		int g = 1;

		buf_putc(out, '{');
		json_kstr(out, &g, "version", r->tls_version);
		json_kstr(out, &g, "cipher", r->tls_cipher);
		buf_putc(out, '}');
	} else
		buf_puts(out, "null");
	json_cert(out, &f, rep, &r->cert);
	if (cfg->verbose >= 2)
		json_kstr(out, &f, "transcript", r->transcript);
	buf_putc(out, '}');
}

void
json_report(const struct plugin_config *cfg, const struct report *rep,
    struct buf *out)
{
	struct buf	 status;
	size_t		 i;
	int		 f = 1, g;

	buf_init(&status);
	output_status(cfg, rep, &status);
	buf_putc(out, '{');
	json_kstr(out, &f, "state", config_state_name(rep->state));
	json_kint(out, &f, "exit_code", (long long)rep->state);
	json_kstr(out, &f, "summary", buf_str(&status));
	json_kstr(out, &f, "host", cfg->host);
	json_kbool(out, &f, "mx", cfg->mx);
	json_key(out, &f, "timeout");
	buf_printf(out, "%.3f", cfg->timeout);
	json_ksecs(out, &f, "elapsed", rep->elapsed_us);
	json_kstr(out, &f, "problem", rep->problem[0] != '\0' ?
	    rep->problem : NULL);
	if (rep->mx_done) {
		json_key(out, &f, "mx_lookup");
		g = 1;
		buf_putc(out, '{');
		json_kstr(out, &g, "outcome",
		    smtpprobe_outcome_name(rep->mx.outcome));
		json_kstr(out, &g, "detail", rep->mx.detail);
		json_ksecs(out, &g, "duration", rep->mx.duration_us);
		json_kbool(out, &g, "null_mx", rep->mx.null_mx);
		json_kbool(out, &g, "no_mx", rep->mx.no_mx);
		json_key(out, &g, "hosts");
		buf_putc(out, '[');
		for (i = 0; i < rep->mx.nmx && i < SMTPPROBE_MAX_MX; i++) {
			int h = 1;

			buf_puts(out, i > 0 ? ",{" : "{");
			json_kint(out, &h, "preference",
			    rep->mx.mx[i].preference);
			json_kstr(out, &h, "host", rep->mx.mx[i].host);
			buf_putc(out, '}');
		}
		buf_puts(out, "]}");
	}
	json_key(out, &f, "hosts");
	buf_putc(out, '[');
	for (i = 0; i < rep->nhosts; i++) {
		g = 1;
		buf_puts(out, i > 0 ? ",{" : "{");
		json_kstr(out, &g, "name", rep->hosts[i].name);
		json_ksecs(out, &g, "resolve", rep->hosts[i].resolve_us);
		json_kstr(out, &g, "state",
		    config_state_name(rep->hosts[i].state));
		buf_putc(out, '}');
	}
	buf_putc(out, ']');
	json_key(out, &f, "ports");
	buf_putc(out, '[');
	for (i = 0; i < rep->nitems; i++) {
		if (i > 0)
			buf_putc(out, ',');
		json_item(cfg, rep, &rep->items[i], out);
	}
	buf_putc(out, ']');
	json_key(out, &f, "notes");
	buf_putc(out, '[');
	for (i = 0; i < rep->nnotes; i++) {
		if (i > 0)
			buf_putc(out, ',');
		json_string(out, rep->notes[i]);
	}
	buf_puts(out, "]}\n");
	buf_free(&status);
}
