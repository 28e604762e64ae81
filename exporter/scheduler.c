/*
 * scheduler.c: probes the configured targets every interval on the
 * shared prober, keeps their latest results, per-phase latency
 * histograms and counters, and writes them for /metrics.  One mutex
 * guards the state; a scrape copies nothing from a probe in progress,
 * it reads the last finished results.  A job that finishes after its
 * target was removed by a reload is dropped (targets are found by id).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "html.h"
#include "log.h"
#include "metrics.h"
#include "probe_metrics.h"
#include "scheduler.h"

struct sched_port {
	uint16_t		 port;
	enum smtpprobe_mode	 mode;
	uint64_t		*buckets;	/* [PHASE_COUNT][nbuckets+1] */
	double			 sum[SMTPPROBE_PHASE_COUNT];
	uint64_t		 count[SMTPPROBE_PHASE_COUNT];
	uint64_t		 probes;
	uint64_t		 failures[SMTPPROBE_OUTCOME_COUNT];
};

struct sched_target {
	uint64_t		 id;
	struct config_target	 def;		/* module points into cfg */
	int64_t			 next_due;	/* monotonic µs */
	int			 running;
	int			 have_result;
	struct prober_item	*last;		/* owned, nlast */
	size_t			 nlast;
	int			 last_multi;
	double			 last_time;	/* Unix seconds */
	struct sched_port	 ports[CONFIG_MAX_PORTS];
	size_t			 nbuckets;
};

struct scheduler {
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct prober		*prober;
	struct config		*cfg;		/* reference */
	struct sched_target	*t;		/* owned array */
	size_t			 nt;
	uint64_t		 next_id;
	uint64_t		 rng;
	int			 stop;
};

static uint64_t
sched_rand(struct scheduler *s)
{
	/* xorshift64: jitter only, no security role */
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

static void
sched_target_clear(struct sched_target *t)
{
	size_t	 i;

	free(t->last);
	for (i = 0; i < CONFIG_MAX_PORTS; i++)
		free(t->ports[i].buckets);
	memset(t, 0, sizeof(*t));
}

static int
sched_target_init(struct scheduler *s, struct sched_target *t,
    const struct config_target *def, const struct config *cfg, int64_t now)
{
	size_t	 i;

	memset(t, 0, sizeof(*t));
	t->id = ++s->next_id;
	t->def = *def;
	t->nbuckets = cfg->nbuckets;
	t->next_due = now + (int64_t)(sched_rand(s) %
	    (uint64_t)def->interval_us);
	for (i = 0; i < def->nports; i++) {
		t->ports[i].port = def->ports[i].port;
		t->ports[i].mode = def->ports[i].mode;
		t->ports[i].buckets = calloc((size_t)SMTPPROBE_PHASE_COUNT *
		    (cfg->nbuckets + 1), sizeof(uint64_t));
		if (t->ports[i].buckets == NULL) {
			sched_target_clear(t);
			return -1;
		}
	}
	return 0;
}

/* 1 if old and new definitions probe the same thing the same way. */
static int
sched_same(const struct sched_target *old, const struct config_target *def,
    const struct config *cfg, const struct config *oldcfg)
{
	size_t	 i;

	if (old->def.nports != def->nports)
		return 0;
	/* field by field: the structs have padding */
	for (i = 0; i < def->nports; i++)
		if (old->def.ports[i].port != def->ports[i].port ||
		    old->def.ports[i].mode != def->ports[i].mode ||
		    old->def.ports[i].policy != def->ports[i].policy)
			return 0;
	return strcmp(old->def.name, def->name) == 0 &&
	    strcmp(old->def.host, def->host) == 0 &&
	    strcmp(old->def.module->name, def->module->name) == 0 &&
	    cfg->nbuckets == oldcfg->nbuckets &&
	    memcmp(cfg->buckets, oldcfg->buckets,
	    cfg->nbuckets * sizeof(double)) == 0;
}

static struct sched_target *
sched_find(struct scheduler *s, uint64_t id)
{
	size_t	 i;

	for (i = 0; i < s->nt; i++)
		if (s->t[i].id == id)
			return &s->t[i];
	return NULL;
}

/* Record a finished job into target t (under s->mu). */
static void
sched_record(struct scheduler *s, struct sched_target *t,
    const struct prober_job *job)
{
	struct timespec		 ts;
	struct prober_item	*items;
	struct sched_port	*sp;
	const double		*bounds = s->cfg->buckets;
	size_t			 i, k, b;
	int			 ph;

	t->running = 0;
	if (job->status != PROBER_STATUS_DONE || job->nitems == 0)
		return;
	if ((items = malloc(job->nitems * sizeof(*items))) == NULL)
		return;
	memcpy(items, job->items, job->nitems * sizeof(*items));
	for (i = 0; i < job->nitems; i++)
		items[i].res.transcript = NULL;
	free(t->last);
	t->last = items;
	t->nlast = job->nitems;
	t->last_multi = job->multi_address;
	t->have_result = 1;
	clock_gettime(CLOCK_REALTIME, &ts);
	t->last_time = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	for (i = 0; i < job->nitems; i++) {
		const struct smtpprobe_result *r = &items[i].res;

		for (k = 0, sp = NULL; k < t->def.nports; k++)
			if (t->ports[k].port == r->port)
				sp = &t->ports[k];
		if (sp == NULL || sp->buckets == NULL)
			continue;
		sp->probes++;
		if (r->outcome != SMTPPROBE_OUTCOME_OK &&
		    r->outcome < SMTPPROBE_OUTCOME_COUNT)
			sp->failures[r->outcome]++;
		for (ph = 0; ph < SMTPPROBE_PHASE_COUNT; ph++) {
			double v;

			if (r->phase_us[ph] < 0)
				continue;
			v = (double)r->phase_us[ph] / 1e6;
			for (b = 0; b < t->nbuckets && v > bounds[b]; b++)
				;
			sp->buckets[(size_t)ph * (t->nbuckets + 1) + b]++;
			sp->sum[ph] += v;
			sp->count[ph]++;
		}
	}
}

static void
sched_done(struct prober_job *job, void *arg)
{
	struct scheduler	*s;
	struct sched_target	*t;
	uint64_t		 id;

	/* arg packs nothing but the id; the scheduler is global to us */
	s = ((struct scheduler **)arg)[0];
	id = (uint64_t)(uintptr_t)((void **)arg)[1];
	free(arg);
	pthread_mutex_lock(&s->mu);
	if ((t = sched_find(s, id)) != NULL)
		sched_record(s, t, job);
	pthread_mutex_unlock(&s->mu);
}

static void
sched_launch(struct scheduler *s, struct sched_target *t, int64_t now)
{
	struct prober_request	 req;
	void			**arg;

	if ((arg = calloc(2, sizeof(void *))) == NULL)
		return;
	arg[0] = s;
	arg[1] = (void *)(uintptr_t)t->id;
	memset(&req, 0, sizeof(req));
	req.cfg = s->cfg;
	req.module = t->def.module;
	req.host = t->def.host;
	req.ports = t->def.ports;
	req.nports = t->def.nports;
	req.timeout_us = t->def.module->timeout_us;
	if (req.timeout_us > t->def.interval_us)
		req.timeout_us = t->def.interval_us;
	req.done = sched_done;
	req.arg = arg;
	t->running = 1;
	if (prober_submit(s->prober, &req) != 0) {
		t->running = 0;
		free(arg);
		log_msg(LOG_LEVEL_WARN, "cannot schedule probe", "target",
		    t->def.name, NULL);
	}
	t->next_due += t->def.interval_us;
	if (t->next_due <= now)
		t->next_due = now + t->def.interval_us;
}

static void *
sched_main(void *arg)
{
	struct scheduler	*s = arg;
	struct timespec		 ts;
	int64_t			 now, next;
	size_t			 i;

	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		now = smtpprobe_now();
		next = now + 3600 * 1000000LL;
		for (i = 0; i < s->nt; i++) {
			struct sched_target *t = &s->t[i];

			if (now >= t->next_due) {
				if (!t->running)
					sched_launch(s, t, now);
				else	/* still running: skip this round */
					t->next_due += t->def.interval_us;
			}
			if (t->next_due < next)
				next = t->next_due;
		}
		if (next <= now)
			continue;
		/* the condition variable runs on CLOCK_MONOTONIC, like
		 * smtpprobe_now() */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (next - now) / 1000000;
		ts.tv_nsec += ((next - now) % 1000000) * 1000;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Build the new target table from cfg (under s->mu). */
static int
sched_plan(struct scheduler *s, struct config *cfg)
{
	struct sched_target	*nt = NULL, *old;
	int64_t			 now = smtpprobe_now();
	size_t			 i, j;

	if (cfg->ntargets > 0 &&
	    (nt = calloc(cfg->ntargets, sizeof(*nt))) == NULL)
		return -1;
	for (i = 0; i < cfg->ntargets; i++) {
		const struct config_target *def = &cfg->targets[i];

		for (j = 0, old = NULL; j < s->nt; j++)
			if (s->t[j].id != 0 && s->cfg != NULL &&
			    sched_same(&s->t[j], def, cfg, s->cfg)) {
				old = &s->t[j];
				break;
			}
		if (old != NULL) {
			nt[i] = *old;
			nt[i].def = *def;
			if (nt[i].next_due > now + def->interval_us)
				nt[i].next_due = now + def->interval_us;
			memset(old, 0, sizeof(*old));	/* moved */
		} else if (sched_target_init(s, &nt[i], def, cfg, now) == -1) {
			for (j = 0; j < i; j++)
				sched_target_clear(&nt[j]);
			free(nt);
			return -1;
		}
	}
	for (j = 0; j < s->nt; j++)
		sched_target_clear(&s->t[j]);
	free(s->t);
	s->t = nt;
	s->nt = cfg->ntargets;
	config_unref(s->cfg);
	s->cfg = config_ref(cfg);
	return 0;
}

struct scheduler *
scheduler_start(struct prober *p, struct config *cfg, char *err,
    size_t errlen)
{
	struct scheduler	*s;
	pthread_condattr_t	 ca;
	struct timespec		 ts;
	int			 e;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->prober = p;
	clock_gettime(CLOCK_REALTIME, &ts);
	s->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^
	    0x9e3779b97f4a7c15ULL;
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (sched_plan(s, cfg) == -1) {
		snprintf(err, errlen, "out of memory");
		s->stop = -1;
		scheduler_free(s);
		return NULL;
	}
	if ((e = pthread_create(&s->thread, NULL, sched_main, s)) != 0) {
		snprintf(err, errlen, "pthread_create: %s", strerror(e));
		scheduler_free(s);
		return NULL;
	}
	return s;
}

void
scheduler_replan(struct scheduler *s, struct config *cfg)
{
	pthread_mutex_lock(&s->mu);
	if (sched_plan(s, cfg) == -1)
		log_msg(LOG_LEVEL_ERROR, "cannot re-plan scheduled targets: "
		    "out of memory", NULL);
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void
scheduler_stop(struct scheduler *s)
{
	int	 joined = 0;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	if (s->stop == 0) {
		s->stop = 1;
		joined = 1;
	}
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (joined)
		pthread_join(s->thread, NULL);
}

void
scheduler_free(struct scheduler *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nt; i++)
		sched_target_clear(&s->t[i]);
	free(s->t);
	config_unref(s->cfg);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

/* --- output ------------------------------------------------------------- */

static void
sched_labels(const struct sched_target *t, const struct sched_port *sp,
    struct metrics_label *l, char *port)
{
	snprintf(port, 8, "%u", (unsigned)sp->port);
	l[0].name = "target";
	l[0].value = t->def.name;
	l[1].name = "port";
	l[1].value = port;
	l[2].name = "mode";
	l[2].value = smtpprobe_mode_name(sp->mode);
}

void
scheduler_write_metrics(struct scheduler *s, struct strbuf *b)
{
	struct probe_metrics_entry	*e;
	struct metrics_label		 l[6];
	char				 port[8];
	size_t				 i, k, n = 0;
	int				 ph, o, head;

	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->nt; i++)
		n += s->t[i].have_result ? s->t[i].nlast : 0;
	if (n > 0 && (e = calloc(n, sizeof(*e))) != NULL) {
		n = 0;
		for (i = 0; i < s->nt; i++) {
			for (k = 0; s->t[i].have_result &&
			    k < s->t[i].nlast; k++, n++) {
				e[n].r = &s->t[i].last[k].res;
				e[n].policy = s->t[i].last[k].policy;
				e[n].target = s->t[i].def.name;
				e[n].with_address = s->t[i].last_multi;
			}
		}
		probe_metrics_write(b, e, n);
		free(e);
	}
	for (i = 0, head = 0; i < s->nt; i++) {
		const struct sched_target *t = &s->t[i];

		if (!t->have_result)
			continue;
		if (!head++)
			metrics_family(b,
			    "smtp_port_last_probe_timestamp_seconds", "gauge",
			    "When the last probe of a scheduled target ended, "
			    "Unix seconds.");
		for (k = 0; k < t->def.nports; k++) {
			sched_labels(t, &t->ports[k], l, port);
			metrics_sample_double(b,
			    "smtp_port_last_probe_timestamp_seconds", l, 3,
			    t->last_time);
		}
	}
	for (i = 0, head = 0; i < s->nt; i++) {
		const struct sched_target *t = &s->t[i];

		for (k = 0; k < t->def.nports; k++) {
			const struct sched_port *sp = &t->ports[k];

			for (ph = 0; ph < SMTPPROBE_PHASE_COUNT; ph++) {
				if (sp->count[ph] == 0)
					continue;
				if (!head++)
					metrics_family(b,
					    "smtp_port_handshake_duration_seconds",
					    "histogram", "Distribution of the "
					    "phase durations of scheduled "
					    "probes, in seconds.");
				sched_labels(t, sp, l, port);
				l[3].name = "phase";
				l[3].value = smtpprobe_phase_name(
				    (enum smtpprobe_phase)ph);
				metrics_histogram(b,
				    "smtp_port_handshake_duration_seconds", l,
				    4, s->cfg->buckets, t->nbuckets,
				    sp->buckets + (size_t)ph *
				    (t->nbuckets + 1), sp->sum[ph]);
			}
		}
	}
	for (i = 0, head = 0; i < s->nt; i++) {
		const struct sched_target *t = &s->t[i];

		for (k = 0; k < t->def.nports; k++) {
			if (t->ports[k].probes == 0)
				continue;
			if (!head++)
				metrics_family(b, "smtp_port_probes_total",
				    "counter", "Probes of scheduled targets.");
			sched_labels(t, &t->ports[k], l, port);
			metrics_sample_int(b, "smtp_port_probes_total", l, 3,
			    (int64_t)t->ports[k].probes);
		}
	}
	for (i = 0, head = 0; i < s->nt; i++) {
		const struct sched_target *t = &s->t[i];

		for (k = 0; k < t->def.nports; k++) {
			for (o = 0; o < SMTPPROBE_OUTCOME_COUNT; o++) {
				if (t->ports[k].failures[o] == 0)
					continue;
				if (!head++)
					metrics_family(b,
					    "smtp_port_probe_failures_total",
					    "counter", "Probes of scheduled "
					    "targets that did not end ok, by "
					    "outcome.");
				sched_labels(t, &t->ports[k], l, port);
				l[3].name = "result";
				l[3].value = smtpprobe_outcome_name(
				    (enum smtpprobe_outcome)o);
				metrics_sample_int(b,
				    "smtp_port_probe_failures_total", l, 4,
				    (int64_t)t->ports[k].failures[o]);
			}
		}
	}
	pthread_mutex_unlock(&s->mu);
}

void
scheduler_write_html(struct scheduler *s, struct strbuf *b)
{
	char	 ps[48];
	size_t	 i, k;

	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->nt; i++) {
		const struct sched_target *t = &s->t[i];

		strbuf_puts(b, "<tr><td>");
		html_escape(b, t->def.name);
		strbuf_puts(b, "</td><td>");
		html_escape(b, t->def.host);
		strbuf_puts(b, "</td><td>");
		html_escape(b, t->def.module->name);
		strbuf_puts(b, "</td><td>");
		if (!t->have_result)
			strbuf_puts(b, "not probed yet");
		for (k = 0; t->have_result && k < t->nlast; k++) {
			const struct smtpprobe_result *r = &t->last[k].res;

			smtpprobe_portspec_format(&(struct smtpprobe_portspec){
			    r->port, r->mode, t->last[k].policy }, ps,
			    sizeof(ps));
			if (k > 0)
				strbuf_puts(b, "<br>");
			html_escape(b, ps);
			strbuf_puts(b, ": ");
			html_escape(b, smtpprobe_outcome_name(r->outcome));
			if (r->outcome != SMTPPROBE_OUTCOME_OK) {
				strbuf_puts(b, " in ");
				html_escape(b, smtpprobe_phase_name(r->phase));
			}
			if (t->last_multi) {
				strbuf_puts(b, " (");
				html_escape(b, r->address);
				strbuf_puts(b, ")");
			}
			if (r->detail[0] != '\0') {
				strbuf_puts(b, " &mdash; ");
				html_escape(b, r->detail);
			}
		}
		strbuf_puts(b, "</td></tr>\n");
	}
	pthread_mutex_unlock(&s->mu);
}
