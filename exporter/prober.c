/*
 * prober.c: worker threads, each driving one smtpprobe_loop.  A job is
 * one target with its ports: it may first need a DNS lookup (an
 * allowlist with CIDR rules, or all_addresses), then one probe per port
 * (per port and address with all_addresses), and completes when the last
 * probe is done.  The loop owns the deadline of every probe, so a job
 * always completes within its timeout; at shutdown the loop is freed,
 * which cancels what still runs.
 */
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "allow.h"
#include "log.h"
#include "prober.h"

struct prober_worker;

struct prober_job_priv {
	struct prober_job	 pub;
	struct prober_job_priv	*next;		/* queue / running list */
	struct prober_job_priv	*prev;
	struct prober_worker	*w;
	struct prober_request	 req;		/* host, ports copied below */
	char			 host[256];
	struct smtpprobe_portspec ports[CONFIG_MAX_PORTS];
	struct smtpprobe	*probes[PROBER_MAX_ITEMS];
	size_t			 nprobes;	/* created */
	size_t			 ndone;
	int			 started;	/* probes created */
	int			 allow_resolve;	/* check addresses */
	int64_t			 deadline;
	int64_t			 lookup_us;	/* -1: no lookup */
	struct prober_item	*items;		/* owned, nitems_cap */
	size_t			 nitems_cap;
};

struct prober_worker {
	struct prober		*p;
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct prober_job_priv	*qhead, *qtail;	/* submitted */
	struct prober_job_priv	*running;	/* started, not done */
	struct smtpprobe_loop	*loop;
	int			 stop;		/* under mu */
	int			 stopping;	/* worker-thread only */
	int			 started;
};

struct prober {
	struct smtpprobe_ctx	*ctx;
	struct prober_worker	 w[PROBER_MAX_WORKERS];
	size_t			 nworkers;
	/*
	 * The resolver the workers w[] were started with (the top-level
	 * dns_server at start; "" for the system's), and one extra worker
	 * per other resolver a job needs: a module's own dns_server, or a
	 * top-level one a reload changed.  A loop has one c-ares channel,
	 * so another resolver needs its own loop.  Started on first use,
	 * under xmu; "" in xdns is the system's resolver.
	 */
	char			 base_dns[512];	/* 8 x "[v6]:port," fits */
	pthread_mutex_t		 xmu;
	struct prober_worker	 x[PROBER_MAX_RESOLVERS];
	char			 xdns[PROBER_MAX_RESOLVERS][512];
	size_t			 nx;
	size_t			 max_active;
	size_t			 next;		/* round robin, atomic */
	size_t			 max_pending;
	int64_t			 pending;	/* limited jobs, atomic */
	int64_t			 inflight;	/* probes, atomic */
	int			 stopped;	/* atomic */
};

static void	prober_job_complete(struct prober_job_priv *);

static void
prober_synth(struct prober_job_priv *j, size_t i,
    const struct smtpprobe_portspec *ps, enum smtpprobe_outcome o,
    enum smtpprobe_phase ph, int64_t us, const char *detail)
{
	struct smtpprobe_result	*r = &j->items[i].res;
	int			 k;

	memset(r, 0, sizeof(*r));
	r->outcome = o;
	r->phase = ph;
	snprintf(r->detail, sizeof(r->detail), "%s", detail);
	snprintf(r->host, sizeof(r->host), "%s", j->host);
	r->port = ps->port;
	r->mode = ps->mode;
	for (k = 0; k < SMTPPROBE_PHASE_COUNT; k++)
		r->phase_us[k] = -1;
	if (us >= 0) {
		r->phase_us[ph] = us;
		r->phase_us[SMTPPROBE_PHASE_TOTAL] = us;
	}
	j->items[i].policy = ps->policy;
}

/* Unlink from the running list and call done(). */
static void
prober_job_complete(struct prober_job_priv *j)
{
	struct prober_worker	*w = j->w;
	struct prober		*p = w->p;
	const struct smtpprobe_result *r;
	size_t			 i;

	if (j->prev != NULL)
		j->prev->next = j->next;
	else if (w->running == j)
		w->running = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	j->next = j->prev = NULL;

	if (j->pub.status == PROBER_STATUS_DONE && j->started) {
		for (i = 0; i < j->nprobes; i++) {
			if (j->probes[i] == NULL ||
			    (r = smtpprobe_result(j->probes[i])) == NULL)
				continue;
			j->items[i].res = *r;
		}
		j->pub.nitems = j->nprobes;
	}
	j->pub.duration_us = smtpprobe_now() - j->pub.start_us;
	j->req.done(&j->pub, j->req.arg);
	for (i = 0; i < j->nprobes; i++)
		smtpprobe_free(j->probes[i]);
	if (j->req.limited)
		__atomic_sub_fetch(&p->pending, 1, __ATOMIC_RELAXED);
	config_unref(j->req.cfg);
	free(j->items);
	free(j);
}

static void
prober_probe_done(struct smtpprobe *probe, void *arg)
{
	struct prober_job_priv	*j = arg;

	(void)probe;
	__atomic_sub_fetch(&j->w->p->inflight, 1, __ATOMIC_RELAXED);
	if (++j->ndone == j->nprobes)
		prober_job_complete(j);
}

/*
 * Create the probes of j: one per port, each with addrs (NULL: the loop
 * resolves host), or, with all_addresses, one per port and address.
 */
static void
prober_create(struct prober_job_priv *j, const char *const *addrs,
    size_t naddrs)
{
	const struct config_module *m = j->req.module;
	struct smtpprobe_params	 pp;
	char			 err[256];
	size_t			 i, a, per, idx;
	int			 all = m->all_addresses && naddrs > 0;

	per = all ? naddrs : 1;
	if (per * j->req.nports > PROBER_MAX_ITEMS)
		per = PROBER_MAX_ITEMS / j->req.nports;
	if (per * j->req.nports > j->nitems_cap) {
		struct prober_item *n;

		/* one result per port and address */
		if ((n = calloc(per * j->req.nports, sizeof(*n))) != NULL) {
			free(j->items);
			j->items = n;
			j->pub.items = n;
			j->nitems_cap = per * j->req.nports;
		} else {
			per = 1;
			all = 0;
		}
	}
	j->pub.multi_address = all && per > 1;
	j->started = 1;
	j->nprobes = 0;
	for (i = 0; i < j->req.nports; i++) {
		for (a = 0; a < per; a++) {
			idx = j->nprobes++;
			memset(&pp, 0, sizeof(pp));
			pp.host = j->host;
			pp.port = j->ports[i].port;
			pp.mode = j->ports[i].mode;
			pp.family = m->family;
			if (all) {
				pp.addresses = addrs + a;
				pp.naddresses = 1;
			} else {
				pp.addresses = addrs;
				pp.naddresses = naddrs;
			}
			/* the lookup we did ourselves is the probe's
			 * resolve phase (and part of its total) */
			if (naddrs > 0 && j->lookup_us > 0)
				pp.resolve_us = j->lookup_us;
			pp.deadline = j->deadline;
			pp.ehlo_name = m->ehlo;
			pp.verify_name = m->verify_name;
			pp.sni = m->sni;
			pp.ca_file = m->ca_file;
			pp.min_tls = m->min_tls;
			pp.flags = (m->no_verify ?
			    SMTPPROBE_F_INSECURE_NO_VERIFY : 0) |
			    (j->req.trace ? SMTPPROBE_F_TRACE : 0);
			j->items[idx].policy = j->ports[i].policy;
			j->probes[idx] = smtpprobe_new(j->w->p->ctx, &pp, err,
			    sizeof(err));
			if (j->probes[idx] == NULL) {
				log_msg(LOG_LEVEL_ERROR, "cannot create probe",
				    "target", j->host, "err", err, NULL);
				prober_synth(j, idx, &j->ports[i],
				    SMTPPROBE_OUTCOME_INTERNAL,
				    SMTPPROBE_PHASE_TOTAL, -1, err);
				j->ndone++;
			}
		}
	}
	for (idx = 0; idx < j->nprobes; idx++) {
		if (j->probes[idx] == NULL)
			continue;
		__atomic_add_fetch(&j->w->p->inflight, 1, __ATOMIC_RELAXED);
		if (smtpprobe_loop_add(j->w->loop, j->probes[idx],
		    prober_probe_done, j) == -1) {
			__atomic_sub_fetch(&j->w->p->inflight, 1,
			    __ATOMIC_RELAXED);
			log_msg(LOG_LEVEL_ERROR, "cannot add probe", "err",
			    smtpprobe_loop_error(j->w->loop), NULL);
			smtpprobe_free(j->probes[idx]);
			j->probes[idx] = NULL;
			prober_synth(j, idx, &j->ports[idx / per],
			    SMTPPROBE_OUTCOME_INTERNAL, SMTPPROBE_PHASE_TOTAL,
			    -1, "could not start the probe");
			j->ndone++;
		}
	}
	/* nothing runs (every probe failed to start): finish now */
	if (j->ndone == j->nprobes)
		prober_job_complete(j);
}

static void
prober_lookup_done(const struct smtpprobe_lookup_result *lr, void *arg)
{
	struct prober_job_priv	*j = arg;
	const char		*addrs[SMTPPROBE_MAX_ADDRESSES];
	size_t			 i;

	if (j->w->stopping) {
		j->pub.status = PROBER_STATUS_CANCELLED;
		prober_job_complete(j);
		return;
	}
	j->lookup_us = lr->duration_us;
	if (j->allow_resolve && (lr->outcome != SMTPPROBE_OUTCOME_OK ||
	    lr->naddresses == 0)) {
		/* only CIDR rules could allow this name, and it has no
		 * address to judge: denied */
		j->pub.status = PROBER_STATUS_DENIED;
		prober_job_complete(j);
		return;
	}
	if (lr->outcome != SMTPPROBE_OUTCOME_OK || lr->naddresses == 0) {
		/* nothing is sent to a name that does not resolve */
		for (i = 0; i < j->req.nports; i++)
			prober_synth(j, i, &j->ports[i],
			    lr->outcome == SMTPPROBE_OUTCOME_OK ?
			    SMTPPROBE_OUTCOME_RESOLVE_FAILED : lr->outcome,
			    SMTPPROBE_PHASE_RESOLVE, lr->duration_us,
			    lr->detail);
		j->pub.nitems = j->req.nports;
		prober_job_complete(j);
		return;
	}
	for (i = 0; i < lr->naddresses && i < SMTPPROBE_MAX_ADDRESSES; i++)
		addrs[i] = lr->addresses[i];
	if (j->allow_resolve &&
	    !allow_addresses(&j->req.cfg->allow, addrs, i)) {
		j->pub.status = PROBER_STATUS_DENIED;
		prober_job_complete(j);
		return;
	}
	prober_create(j, addrs, i);
}

/* Start a job on the worker's thread. */
static void
prober_job_start(struct prober_job_priv *j)
{
	struct prober_worker	*w = j->w;
	enum allow_verdict	 v = ALLOW_VERDICT_YES;
	int			 lookup;

	j->next = w->running;
	j->prev = NULL;
	if (w->running != NULL)
		w->running->prev = j;
	w->running = j;
	j->pub.start_us = smtpprobe_now();
	j->deadline = j->pub.start_us + j->req.timeout_us;
	j->lookup_us = -1;
	if (j->req.check_allow)
		v = allow_check(&j->req.cfg->allow, j->host);
	if (v == ALLOW_VERDICT_NO) {
		j->pub.status = PROBER_STATUS_DENIED;
		prober_job_complete(j);
		return;
	}
	j->allow_resolve = v == ALLOW_VERDICT_RESOLVE;
	lookup = j->allow_resolve || (j->req.module->all_addresses &&
	    !allow_is_ip_literal(j->host));
	if (!lookup) {
		prober_create(j, NULL, 0);
		return;
	}
	if (smtpprobe_loop_lookup(w->loop, j->host, SMTPPROBE_LOOKUP_ADDR,
	    j->req.module->family, j->deadline, prober_lookup_done, j) == -1) {
		size_t i;

		for (i = 0; i < j->req.nports; i++)
			prober_synth(j, i, &j->ports[i],
			    SMTPPROBE_OUTCOME_INTERNAL, SMTPPROBE_PHASE_RESOLVE,
			    -1, smtpprobe_loop_error(w->loop));
		j->pub.nitems = j->req.nports;
		prober_job_complete(j);
	}
}

static void *
prober_main(void *arg)
{
	struct prober_worker	*w = arg;
	struct prober_job_priv	*q, *j;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		q = w->qhead;
		w->qhead = w->qtail = NULL;
		if (w->stop) {
			/* put back: completed as cancelled below */
			w->qhead = q;
			break;
		}
		pthread_mutex_unlock(&w->mu);
		while ((j = q) != NULL) {
			q = j->next;
			prober_job_start(j);
		}
		if (smtpprobe_loop_pending(w->loop) > 0) {
			if (smtpprobe_loop_run(w->loop, 1000) == -1) {
				log_msg(LOG_LEVEL_ERROR, "probe loop failed",
				    "err", smtpprobe_loop_error(w->loop), NULL);
				usleep(10000);
			}
			pthread_mutex_lock(&w->mu);
		} else {
			pthread_mutex_lock(&w->mu);
			while (!w->stop && w->qhead == NULL)
				pthread_cond_wait(&w->cv, &w->mu);
		}
	}
	q = w->qhead;
	w->qhead = w->qtail = NULL;
	pthread_mutex_unlock(&w->mu);

	w->stopping = 1;
	while ((j = q) != NULL) {
		q = j->next;
		j->pub.status = PROBER_STATUS_CANCELLED;
		j->next = j->prev = NULL;
		j->req.done(&j->pub, j->req.arg);
		if (j->req.limited)
			__atomic_sub_fetch(&w->p->pending, 1, __ATOMIC_RELAXED);
		config_unref(j->req.cfg);
		free(j->items);
		free(j);
	}
	/* cancels every probe and lookup: their callbacks complete jobs */
	smtpprobe_loop_free(w->loop);
	w->loop = NULL;
	/* a job whose lookup callback never came */
	while ((j = w->running) != NULL) {
		size_t i;

		for (i = 0; i < j->nprobes; i++)
			if (j->probes[i] != NULL)
				smtpprobe_cancel(j->probes[i], smtpprobe_now());
		if (!j->started)
			j->pub.status = PROBER_STATUS_CANCELLED;
		prober_job_complete(j);
	}
	return NULL;
}

/* Initialise w and start its thread with a loop on dns (NULL: the
 * system's resolver).  -1 with err; w's mutex and cv exist either way. */
static int
prober_worker_start(struct prober *p, struct prober_worker *w,
    const char *dns, char *err, size_t errlen)
{
	struct smtpprobe_loop_params	 lp;
	int				 e;

	w->p = p;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	memset(&lp, 0, sizeof(lp));
	lp.dns_servers = dns;
	lp.max_active = p->max_active;
	if ((w->loop = smtpprobe_loop_new(p->ctx, &lp, err, errlen)) == NULL)
		return -1;
	if ((e = pthread_create(&w->thread, NULL, prober_main, w)) != 0) {
		snprintf(err, errlen, "pthread_create: %s", strerror(e));
		smtpprobe_loop_free(w->loop);
		w->loop = NULL;
		return -1;
	}
	w->started = 1;
	return 0;
}

struct prober *
prober_start(const struct prober_params *pp, char *err, size_t errlen)
{
	struct prober			*p;
	long				 ncpu;
	size_t				 i;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&p->xmu, NULL);
	if ((p->ctx = smtpprobe_ctx_new(err, errlen)) == NULL) {
		pthread_mutex_destroy(&p->xmu);
		free(p);
		return NULL;
	}
	p->nworkers = pp->workers;
	if (p->nworkers == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		p->nworkers = ncpu > 0 ? (size_t)ncpu : 1;
	}
	if (p->nworkers > PROBER_MAX_WORKERS)
		p->nworkers = PROBER_MAX_WORKERS;
	p->max_pending = pp->max_pending;
	p->max_active = pp->max_active;
	if (pp->dns_servers != NULL && strlen(pp->dns_servers) >=
	    sizeof(p->base_dns)) {
		snprintf(err, errlen, "dns_server: too long");
		p->nworkers = 0;
		prober_free(p);
		return NULL;
	}
	snprintf(p->base_dns, sizeof(p->base_dns), "%s",
	    pp->dns_servers != NULL ? pp->dns_servers : "");
	for (i = 0; i < p->nworkers; i++) {
		if (prober_worker_start(p, &p->w[i], pp->dns_servers, err,
		    errlen) == -1) {
			p->nworkers = i + 1;	/* initialised, not started */
			prober_free(p);
			return NULL;
		}
	}
	return p;
}

/*
 * The worker for another resolver than the main workers' (dns: "" for
 * the system's), started on first use; NULL if stopping, or if
 * PROBER_MAX_RESOLVERS are in use or it cannot start.
 */
static struct prober_worker *
prober_resolver_worker(struct prober *p, const char *dns)
{
	struct prober_worker	*w = NULL;
	char			 err[256];
	size_t			 i;

	pthread_mutex_lock(&p->xmu);
	if (__atomic_load_n(&p->stopped, __ATOMIC_ACQUIRE))
		goto out;
	for (i = 0; i < p->nx; i++)
		if (strcmp(p->xdns[i], dns) == 0) {
			w = &p->x[i];
			goto out;
		}
	if (p->nx == PROBER_MAX_RESOLVERS || strlen(dns) >= sizeof(p->xdns[0])) {
		log_msg(LOG_LEVEL_ERROR, "too many distinct dns_server "
		    "settings", "dns_server", dns, NULL);
		goto out;
	}
	w = &p->x[p->nx];
	if (prober_worker_start(p, w, dns[0] != '\0' ? dns : NULL, err,
	    sizeof(err)) == -1) {
		log_msg(LOG_LEVEL_ERROR, "cannot start a probe loop for a "
		    "resolver", "dns_server", dns, "err", err, NULL);
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		memset(w, 0, sizeof(*w));
		w = NULL;
		goto out;
	}
	memcpy(p->xdns[p->nx], dns, strlen(dns) + 1);
	p->nx++;
out:
	pthread_mutex_unlock(&p->xmu);
	return w;
}

/* Queue j on w; -1 if w is stopping. */
static int
prober_enqueue(struct prober_worker *w, struct prober_job_priv *j)
{
	pthread_mutex_lock(&w->mu);
	if (w->stop || !w->started) {
		pthread_mutex_unlock(&w->mu);
		return -1;
	}
	j->w = w;
	if (w->qtail != NULL)
		w->qtail->next = j;
	else
		w->qhead = j;
	w->qtail = j;
	pthread_cond_signal(&w->cv);
	smtpprobe_loop_wakeup(w->loop);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

int
prober_submit(struct prober *p, const struct prober_request *req)
{
	struct prober_job_priv	*j;
	struct prober_worker	*w;
	const char		*dns;
	size_t			 i, n;
	int			 rc = PROBER_BUSY;

	if (req->nports == 0 || req->nports > CONFIG_MAX_PORTS ||
	    strlen(req->host) >= sizeof(j->host))
		return -1;
	if (__atomic_load_n(&p->stopped, __ATOMIC_ACQUIRE))
		return -1;
	if (req->limited && p->max_pending > 0 &&
	    __atomic_add_fetch(&p->pending, 1, __ATOMIC_RELAXED) >
	    (int64_t)p->max_pending) {
		__atomic_sub_fetch(&p->pending, 1, __ATOMIC_RELAXED);
		return -1;
	} else if (req->limited && p->max_pending == 0)
		__atomic_add_fetch(&p->pending, 1, __ATOMIC_RELAXED);
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->items = calloc(req->nports, sizeof(*j->items))) == NULL) {
		free(j);
		if (req->limited)
			__atomic_sub_fetch(&p->pending, 1, __ATOMIC_RELAXED);
		return -1;
	}
	j->nitems_cap = req->nports;
	j->req = *req;
	memcpy(j->host, req->host, strlen(req->host) + 1);
	memcpy(j->ports, req->ports, req->nports * sizeof(*req->ports));
	j->req.host = j->host;
	j->req.ports = j->ports;
	config_ref(j->req.cfg);
	j->pub.status = PROBER_STATUS_DONE;
	memcpy(j->pub.host, j->host, sizeof(j->host));
	j->pub.items = j->items;
	j->pub.arg = req->arg;
	j->pub.priv = j;

	/* The module's resolver, else the configuration's (a reload may
	 * have changed it since the main workers started). */
	dns = req->module->dns_server != NULL ? req->module->dns_server :
	    req->cfg->dns_server != NULL ? req->cfg->dns_server : "";
	if (strcmp(dns, p->base_dns) != 0) {
		if ((w = prober_resolver_worker(p, dns)) == NULL)
			rc = PROBER_NO_RESOLVER;
		else if (prober_enqueue(w, j) == 0)
			return 0;
	} else {
		n = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
		for (i = 0; i < p->nworkers; i++)
			if (prober_enqueue(&p->w[(n + i) % p->nworkers],
			    j) == 0)
				return 0;
	}
	if (req->limited)
		__atomic_sub_fetch(&p->pending, 1, __ATOMIC_RELAXED);
	config_unref(j->req.cfg);
	free(j->items);
	free(j);
	return rc;
}

/* Tell one worker to stop. */
static void
prober_worker_signal(struct prober_worker *w)
{
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	if (w->loop != NULL)
		smtpprobe_loop_wakeup(w->loop);
	pthread_mutex_unlock(&w->mu);
}

/* Wait for one worker (or free the loop of one that never started). */
static void
prober_worker_join(struct prober_worker *w)
{
	if (w->started)
		pthread_join(w->thread, NULL);
	else {
		smtpprobe_loop_free(w->loop);
		w->loop = NULL;
	}
	w->started = 0;
}

void
prober_stop(struct prober *p)
{
	size_t	 i, nx;

	if (p == NULL)
		return;
	/* under xmu: no resolver worker starts after this */
	pthread_mutex_lock(&p->xmu);
	__atomic_store_n(&p->stopped, 1, __ATOMIC_RELEASE);
	nx = p->nx;
	pthread_mutex_unlock(&p->xmu);
	for (i = 0; i < p->nworkers; i++)
		prober_worker_signal(&p->w[i]);
	for (i = 0; i < nx; i++)
		prober_worker_signal(&p->x[i]);
	for (i = 0; i < p->nworkers; i++)
		prober_worker_join(&p->w[i]);
	for (i = 0; i < nx; i++)
		prober_worker_join(&p->x[i]);
}

void
prober_free(struct prober *p)
{
	size_t	 i;

	if (p == NULL)
		return;
	prober_stop(p);
	for (i = 0; i < p->nworkers; i++) {
		pthread_mutex_destroy(&p->w[i].mu);
		pthread_cond_destroy(&p->w[i].cv);
	}
	for (i = 0; i < p->nx; i++) {
		pthread_mutex_destroy(&p->x[i].mu);
		pthread_cond_destroy(&p->x[i].cv);
	}
	pthread_mutex_destroy(&p->xmu);
	smtpprobe_ctx_free(p->ctx);
	free(p);
}

int64_t
prober_inflight(const struct prober *p)
{
	return __atomic_load_n(&p->inflight, __ATOMIC_RELAXED);
}
