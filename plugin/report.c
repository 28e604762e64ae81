/*
 * report.c: the findings of one run (see report.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "report.h"

void
report_init(struct report *rep)
{
	/*
	 * Everything but hosts[]: report_add_host() clears each entry it
	 * hands out.  hosts[] is ~95 KB of the plugin's stack; zeroing it
	 * all made every run touch those pages (max RSS above check_smtp's,
	 * the figure issue 3 asks to stay under).
	 */
	memset(rep, 0, offsetof(struct report, hosts));
	memset((char *)rep + offsetof(struct report, nhosts), 0,
	    sizeof(*rep) - offsetof(struct report, nhosts));
}

void
report_free(struct report *rep)
{
	size_t	 i;

	if (rep == NULL)
		return;
	for (i = 0; i < rep->nitems; i++) {
		smtpprobe_free(rep->items[i].probe);
		free(rep->items[i].own);
	}
	free(rep->items);
	rep->items = NULL;
	rep->nitems = rep->capitems = 0;
}

struct report_item *
report_add_item(struct report *rep)
{
	struct report_item	*it;
	size_t			 ncap;

	if (rep->nitems == rep->capitems) {
		ncap = rep->capitems == 0 ? 8 : rep->capitems * 2;
		it = reallocarray(rep->items, ncap, sizeof(*it));
		if (it == NULL)
			return NULL;
		rep->items = it;
		rep->capitems = ncap;
	}
	it = &rep->items[rep->nitems++];
	memset(it, 0, sizeof(*it));
	return it;
}

struct report_host *
report_add_host(struct report *rep, const char *name)
{
	struct report_host	*h;

	if (rep->nhosts >= REPORT_MAX_HOSTS)
		return NULL;
	h = &rep->hosts[rep->nhosts++];
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->resolve_us = -1;
	return h;
}

void
report_note(struct report *rep, const char *fmt, ...)
{
	va_list	 ap;

	if (rep->nnotes >= REPORT_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(rep->notes[rep->nnotes++], REPORT_NOTE_MAX, fmt, ap);
	va_end(ap);
}

int
report_synth(struct report_item *it, const char *host,
    enum smtpprobe_outcome outcome, enum smtpprobe_phase phase,
    int64_t resolve_us, const char *detail)
{
	struct smtpprobe_result	*r;
	int			 i;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	r->outcome = outcome;
	r->phase = phase;
	snprintf(r->detail, sizeof(r->detail), "%s",
	    detail != NULL ? detail : "");
	snprintf(r->host, sizeof(r->host), "%s", host);
	r->port = it->spec.port;
	r->mode = it->spec.mode;
	for (i = 0; i < SMTPPROBE_PHASE_COUNT; i++)
		r->phase_us[i] = -1;
	if (resolve_us >= 0) {
		r->phase_us[SMTPPROBE_PHASE_RESOLVE] = resolve_us;
		r->phase_us[SMTPPROBE_PHASE_TOTAL] = resolve_us;
	}
	free(it->own);
	it->own = r;
	it->r = r;
	it->done = 1;
	return 0;
}

void
report_reason(struct report_item *it, const char *fmt, ...)
{
	va_list	 ap;

	if (it->nreasons >= REPORT_MAX_REASONS)
		return;
	va_start(ap, fmt);
	vsnprintf(it->reasons[it->nreasons++], REPORT_REASON_MAX, fmt, ap);
	va_end(ap);
}

char *
report_duration(char *buf, size_t len, int64_t us)
{
	if (us < 0)
		snprintf(buf, len, "-");
	else if (us < 1000)
		snprintf(buf, len, "%lldus", (long long)us);
	else if (us < 1000000)
		snprintf(buf, len, "%lldms", (long long)((us + 500) / 1000));
	else if (us < 10000000)
		snprintf(buf, len, "%.2fs", (double)us / 1e6);
	else
		snprintf(buf, len, "%.1fs", (double)us / 1e6);
	return buf;
}

char *
report_time(char *buf, size_t len, int64_t unix_seconds)
{
	struct tm	 tm;
	time_t		 t = (time_t)unix_seconds;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "@%lld", (long long)unix_seconds);
	return buf;
}

int64_t
report_cert_expiry(const struct smtpprobe_cert *c)
{
	return c->chain_earliest_not_after != 0 ?
	    c->chain_earliest_not_after : c->not_after;
}
