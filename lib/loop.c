/*
 * loop.c: the ready-made event loop (epoll + c-ares) that drives many
 * probes and DNS lookups in one thread.
 *
 * Costs are kept per event, not per probe: every probe's descriptors are
 * registered in epoll and re-synced only after that probe stepped; its
 * next timer lives in a binary min-heap; probes that wait for the same
 * name and family share one lookup (a hash table of lookups in flight);
 * smtpprobe_loop_wakeup() writes an eventfd.  Probes are stepped and all
 * callbacks run from smtpprobe_loop_run(), never from the add calls.
 *
 * Memory: a burst of probes (2,000 TLS probes are ~100 MB of OpenSSL
 * buffers and probe state) leaves glibc's heap fragmented, and freed
 * chunks below a live one are never given back, so the resident set of
 * a daemon would stay at its worst burst.  When the loop goes idle after
 * a burst (LOOP_TRIM_PEAK probes at once, or LOOP_TRIM_DONE finished
 * since the last trim) it calls malloc_trim(0), which returns the free
 * pages of every arena.  The trade-off: the next burst faults its pages
 * in again (2,000 TLS probes: ~25,000 minor faults, ~0.2 s of system
 * CPU on a 2-core VM, ~+8 % of the burst's CPU) in exchange for an idle
 * resident set of ~8 MB instead of ~110 MB.  Bursts of fewer than
 * LOOP_TRIM_PEAK probes (an exporter's usual scrape) pay nothing but one
 * trim per LOOP_TRIM_DONE probes.
 */
#include <sys/epoll.h>
#include <malloc.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "loop.h"
#include "probe.h"
#include "resolve.h"
#include "timeutil.h"

#define LOOP_MAX_EVENTS		256
#define LOOP_HASH_SIZE		1024	/* buckets of lookups in flight */
#define LOOP_TRIM_PEAK		256	/* probes at once worth a trim */
#define LOOP_TRIM_DONE		4096	/* probes finished worth a trim */

/* epoll tags: a probe is a pointer (malloc'd, so its low bits are 0);
 * everything else has bit 0 set. */
#define LOOP_TAG_WAKEUP		((uint64_t)1)
#define LOOP_TAG_RESOLVER	((uint64_t)3)	/* | fd << 2 */

struct loop_lookup;

struct loop_probe {
	struct smtpprobe_loop	*loop;
	struct smtpprobe	*p;
	smtpprobe_probe_done_fn	*done;
	void			*arg;
	size_t			 heap_idx;	/* SIZE_MAX: not in heap */
	int64_t			 key;		/* next timer */
	struct pollfd		 reg[SMTPPROBE_MAX_POLLFDS]; /* in epoll */
	size_t			 nreg;
	int			 queued;	/* on the run queue */
	int			 waiting;	/* for a max_active slot */
	int			 active;	/* counts against max_active */
	struct loop_probe	*qnext;		/* run queue */
	struct loop_probe	*wprev, *wnext;	/* wait queue */
	struct loop_lookup	*lookup;	/* the lookup it waits for */
	int64_t			 join_time;	/* when it began to wait */
	struct loop_probe	*lprev, *lnext;	/* its waiters */
	struct loop_probe	*prev, *next;	/* all probes */
};

/* A lookup in flight: shared by probes (hashed by name and family) or
 * one caller's (smtpprobe_loop_lookup). */
struct loop_lookup {
	struct smtpprobe_loop	*loop;
	char			*name;
	int			 family;
	int64_t			 start;		/* when it was started */
	int64_t			 deadline;
	int			 shared;	/* in the hash table */
	size_t			 bucket;
	struct loop_lookup	*hprev, *hnext;
	struct loop_probe	*waiters;
	smtpprobe_lookup_done_fn *user_done;
	void			*user_arg;
};

struct loop_rfd {
	int	fd;
	int	events;
};

struct smtpprobe_loop {
	struct smtpprobe_ctx	*ctx;
	int			 epfd;
	int			 evfd;
	struct resolve		*res;
	size_t			 max_active;
	size_t			 nactive;

	struct loop_probe	*all;
	size_t			 nprobes;
	size_t			 nuser_lookups;

	struct loop_probe	**heap;
	size_t			 nheap, heapcap;

	struct loop_probe	*runq, *runq_tail;
	struct loop_probe	*waitq, *waitq_tail;

	struct loop_lookup	*hash[LOOP_HASH_SIZE];

	struct loop_rfd		*rfds;		/* resolver sockets */
	size_t			 nrfds, rfdcap;

	size_t			 peak;		/* probes at once, since trim */
	size_t			 ndone;		/* finished since trim */
	size_t			 ntrims;

	int			 freeing;
	char			 error[160];
};

/* ------------------------------------------------------------------ */
/* Timer heap (min-heap on key). */

/* The heap keeps each probe's index in it, so a probe is moved or
 * removed in O(log n) without a search. */
static void
heap_swap(struct smtpprobe_loop *l, size_t a, size_t b)
{
	struct loop_probe	*t = l->heap[a];

	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->heap_idx = a;
	l->heap[b]->heap_idx = b;
}

static void
heap_up(struct smtpprobe_loop *l, size_t i)
{
	while (i > 0 && l->heap[(i - 1) / 2]->key > l->heap[i]->key) {
		heap_swap(l, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(struct smtpprobe_loop *l, size_t i)
{
	size_t	c, m;

	for (;;) {
		m = i;
		c = 2 * i + 1;
		if (c < l->nheap && l->heap[c]->key < l->heap[m]->key)
			m = c;
		if (c + 1 < l->nheap && l->heap[c + 1]->key < l->heap[m]->key)
			m = c + 1;
		if (m == i)
			return;
		heap_swap(l, i, m);
		i = m;
	}
}

static void
heap_remove(struct smtpprobe_loop *l, struct loop_probe *lp)
{
	size_t	i = lp->heap_idx;

	if (i == SIZE_MAX)
		return;
	lp->heap_idx = SIZE_MAX;
	l->nheap--;
	if (i == l->nheap)
		return;
	l->heap[i] = l->heap[l->nheap];
	l->heap[i]->heap_idx = i;
	heap_down(l, i);
	heap_up(l, i);
}

/* Insert or move lp to key; INT64_MAX removes it.  -1 on ENOMEM. */
static int
heap_set(struct smtpprobe_loop *l, struct loop_probe *lp, int64_t key)
{
	struct loop_probe	**n;
	size_t			  cap;

	if (key == INT64_MAX) {
		heap_remove(l, lp);
		return 0;
	}
	if (lp->heap_idx != SIZE_MAX) {
		lp->key = key;
		heap_down(l, lp->heap_idx);
		heap_up(l, lp->heap_idx);
		return 0;
	}
	if (l->nheap == l->heapcap) {
		cap = l->heapcap == 0 ? 64 : l->heapcap * 2;
		if ((n = reallocarray(l->heap, cap, sizeof(*n))) == NULL)
			return -1;
		l->heap = n;
		l->heapcap = cap;
	}
	lp->key = key;
	lp->heap_idx = l->nheap;
	l->heap[l->nheap++] = lp;
	heap_up(l, lp->heap_idx);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Queues. */

static void
runq_push(struct smtpprobe_loop *l, struct loop_probe *lp)
{
	if (lp->queued || lp->waiting)
		return;
	lp->queued = 1;
	lp->qnext = NULL;
	if (l->runq_tail != NULL)
		l->runq_tail->qnext = lp;
	else
		l->runq = lp;
	l->runq_tail = lp;
}

static struct loop_probe *
runq_pop(struct smtpprobe_loop *l)
{
	struct loop_probe	*lp = l->runq;

	if (lp == NULL)
		return NULL;
	l->runq = lp->qnext;
	if (l->runq == NULL)
		l->runq_tail = NULL;
	lp->queued = 0;
	lp->qnext = NULL;
	return lp;
}

static void
waitq_remove(struct smtpprobe_loop *l, struct loop_probe *lp)
{
	if (!lp->waiting)
		return;
	if (lp->wprev != NULL)
		lp->wprev->wnext = lp->wnext;
	else
		l->waitq = lp->wnext;
	if (lp->wnext != NULL)
		lp->wnext->wprev = lp->wprev;
	else
		l->waitq_tail = lp->wprev;
	lp->wprev = lp->wnext = NULL;
	lp->waiting = 0;
}

/* Give free max_active slots to waiting probes, oldest first. */
static void
admit(struct smtpprobe_loop *l)
{
	struct loop_probe	*lp;

	while (l->waitq != NULL &&
	    (l->max_active == 0 || l->nactive < l->max_active)) {
		lp = l->waitq;
		waitq_remove(l, lp);
		lp->active = 1;
		l->nactive++;
		runq_push(l, lp);
	}
}

/* ------------------------------------------------------------------ */
/* epoll registration. */

static uint32_t
ep_events(short ev)
{
	uint32_t	e = 0;

	if (ev & POLLIN)
		e |= EPOLLIN;
	if (ev & POLLOUT)
		e |= EPOLLOUT;
	return e;
}

/*
 * Make epoll watch exactly what the probe asks for now.  Runs right after
 * the probe stepped, before anything else can open a descriptor, so a
 * descriptor number the probe closed and reused is still its own: a
 * closed descriptor has left epoll by itself (ENOENT is expected).
 */
static int
sync_fds(struct smtpprobe_loop *l, struct loop_probe *lp)
{
	struct pollfd		fds[SMTPPROBE_MAX_POLLFDS];
	struct epoll_event	ev;
	size_t			n, i, j;
	int			found;

	n = smtpprobe_pollfds(lp->p, fds, SMTPPROBE_MAX_POLLFDS);
	/* Connected, the probe has one socket till the end: an unchanged
	 * wish needs no system call.  (While connecting, a closed attempt's
	 * number can come back as a new socket, so always re-sync then.) */
	if (n == 1 && lp->nreg == 1 && fds[0].fd == lp->reg[0].fd &&
	    fds[0].events == lp->reg[0].events &&
	    smtpprobe_result(lp->p)->connected)
		return 0;
	for (i = 0; i < lp->nreg; i++) {
		for (found = 0, j = 0; j < n && !found; j++)
			found = fds[j].fd == lp->reg[i].fd;
		if (!found)
			(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, lp->reg[i].fd,
			    NULL);
	}
	for (j = 0; j < n; j++) {
		memset(&ev, 0, sizeof(ev));
		ev.events = ep_events(fds[j].events);
		ev.data.ptr = lp;
		for (found = 0, i = 0; i < lp->nreg && !found; i++)
			found = fds[j].fd == lp->reg[i].fd;
		if (found) {
			if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fds[j].fd,
			    &ev) == 0)
				continue;
			if (errno != ENOENT)
				return -1;
		}
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fds[j].fd, &ev) == -1 &&
		    (errno != EEXIST || epoll_ctl(l->epfd, EPOLL_CTL_MOD,
		    fds[j].fd, &ev) == -1))
			return -1;
	}
	memcpy(lp->reg, fds, n * sizeof(fds[0]));
	lp->nreg = n;
	return 0;
}

static void
unregister_fds(struct smtpprobe_loop *l, struct loop_probe *lp)
{
	size_t	i;

	for (i = 0; i < lp->nreg; i++)
		(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, lp->reg[i].fd, NULL);
	lp->nreg = 0;
}

/* c-ares' socket-state callback (through resolve.c). */
static void
resolver_sock(void *arg, int fd, int readable, int writable)
{
	struct smtpprobe_loop	*l = arg;
	struct epoll_event	 ev;
	struct loop_rfd		*n;
	size_t			 i;
	int			 events = (readable ? EPOLLIN : 0) |
				    (writable ? EPOLLOUT : 0);

	for (i = 0; i < l->nrfds; i++)
		if (l->rfds[i].fd == fd)
			break;
	memset(&ev, 0, sizeof(ev));
	ev.events = (uint32_t)events;
	ev.data.u64 = LOOP_TAG_RESOLVER | ((uint64_t)fd << 2);
	if (events == 0) {
		if (i < l->nrfds) {
			(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
			l->rfds[i] = l->rfds[--l->nrfds];
		}
		return;
	}
	if (i < l->nrfds) {
		l->rfds[i].events = events;
		if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) == -1)
			(void)epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
		return;
	}
	if (l->nrfds == l->rfdcap) {
		size_t cap = l->rfdcap == 0 ? 8 : l->rfdcap * 2;

		if ((n = reallocarray(l->rfds, cap, sizeof(*n))) == NULL) {
			/* c-ares will time the query out; nothing better. */
			return;
		}
		l->rfds = n;
		l->rfdcap = cap;
	}
	l->rfds[l->nrfds].fd = fd;
	l->rfds[l->nrfds].events = events;
	l->nrfds++;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) == -1 &&
	    errno == EEXIST)
		(void)epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
}

/* ------------------------------------------------------------------ */
/* Lookups. */

static size_t
lookup_hash(const char *name, int family)
{
	uint64_t	h = 1469598103934665603ULL;	/* FNV-1a */
	const char	*s;

	for (s = name; *s != '\0'; s++) {
		h ^= (unsigned char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
		h *= 1099511628211ULL;
	}
	h ^= (uint64_t)family;
	h *= 1099511628211ULL;
	return (size_t)(h % LOOP_HASH_SIZE);
}

static void
lookup_unhash(struct smtpprobe_loop *l, struct loop_lookup *lk)
{
	if (!lk->shared)
		return;
	if (lk->hprev != NULL)
		lk->hprev->hnext = lk->hnext;
	else
		l->hash[lk->bucket] = lk->hnext;
	if (lk->hnext != NULL)
		lk->hnext->hprev = lk->hprev;
	lk->shared = 0;
}

static void
lookup_detach(struct loop_probe *lp)
{
	struct loop_lookup	*lk = lp->lookup;

	if (lk == NULL)
		return;
	if (lp->lprev != NULL)
		lp->lprev->lnext = lp->lnext;
	else
		lk->waiters = lp->lnext;
	if (lp->lnext != NULL)
		lp->lnext->lprev = lp->lprev;
	lp->lprev = lp->lnext = NULL;
	lp->lookup = NULL;
}

/*
 * resolve.c's completion: hand the answer to every waiting probe (they
 * are stepped from the run queue), or to the caller.  Each probe records
 * its own resolve time, from when it began to wait to the answer: a probe
 * that joined a lookup in flight did not wait for all of it.
 */
static void
lookup_done(const struct smtpprobe_lookup_result *r, void *arg)
{
	struct loop_lookup	*lk = arg;
	struct smtpprobe_loop	*l = lk->loop;
	struct loop_probe	*lp;
	const char		*addrs[SMTPPROBE_MAX_ADDRESSES];
	size_t			 i, n;
	int64_t			 answer, us;

	lookup_unhash(l, lk);
	if (lk->user_done != NULL) {
		l->nuser_lookups--;
		lk->user_done(r, lk->user_arg);
	}
	n = r->outcome == SMTPPROBE_OUTCOME_OK ? r->naddresses : 0;
	if (n > SMTPPROBE_MAX_ADDRESSES)
		n = SMTPPROBE_MAX_ADDRESSES;
	for (i = 0; i < n; i++)
		addrs[i] = r->addresses[i];
	answer = timeutil_add(lk->start, r->duration_us);
	while ((lp = lk->waiters) != NULL) {
		lookup_detach(lp);
		us = timeutil_remaining(answer, lp->join_time);
		if (us > r->duration_us)
			us = r->duration_us;
		(void)smtpprobe_set_addresses(lp->p, addrs, n, us,
		    r->outcome == SMTPPROBE_OUTCOME_OK ?
		    SMTPPROBE_OUTCOME_RESOLVE_FAILED : r->outcome, r->detail);
		runq_push(l, lp);
	}
	free(lk->name);
	free(lk);
}

/* Start a lookup through resolve.c; shared ones are hashed by name and
 * family so later probes of the same name join it. */
static struct loop_lookup *
lookup_start(struct smtpprobe_loop *l, const char *name, unsigned what,
    int family, int64_t now, int64_t deadline, int shared)
{
	struct loop_lookup	*lk;

	if ((lk = calloc(1, sizeof(*lk))) == NULL ||
	    (lk->name = strdup(name)) == NULL) {
		free(lk);
		snprintf(l->error, sizeof(l->error), "out of memory");
		return NULL;
	}
	lk->loop = l;
	lk->family = family;
	lk->start = now;
	lk->deadline = deadline;
	if (resolve_lookup(l->res, name, what, family, now, deadline,
	    lookup_done, lk) == -1) {
		snprintf(l->error, sizeof(l->error), "cannot start a lookup");
		free(lk->name);
		free(lk);
		return NULL;
	}
	if (shared) {
		lk->shared = 1;
		lk->bucket = lookup_hash(name, family);
		lk->hnext = l->hash[lk->bucket];
		if (lk->hnext != NULL)
			lk->hnext->hprev = lk;
		l->hash[lk->bucket] = lk;
	}
	return lk;
}

/* Attach a probe that wants its host resolved (since now) to a lookup in
 * flight for the same name and family, or start one. */
static int
lookup_join(struct smtpprobe_loop *l, struct loop_probe *lp, int64_t now)
{
	struct loop_lookup	*lk;
	const char		*name = probe_host(lp->p);
	int			 family = probe_family(lp->p);

	if (lp->lookup != NULL)
		return 0;
	/*
	 * Join a lookup that will not give up before this probe does; a
	 * newer one (with a later deadline) is found first, as lookups are
	 * added at the head of their chain.
	 */
	for (lk = l->hash[lookup_hash(name, family)]; lk != NULL;
	    lk = lk->hnext)
		if (lk->family == family &&
		    lk->deadline >= probe_deadline(lp->p) &&
		    strcasecmp(lk->name, name) == 0)
			break;
	if (lk == NULL && (lk = lookup_start(l, name, SMTPPROBE_LOOKUP_ADDR,
	    family, now, probe_deadline(lp->p), 1)) == NULL)
		return -1;
	lp->lookup = lk;
	lp->join_time = now;
	lp->lprev = NULL;
	lp->lnext = lk->waiters;
	if (lk->waiters != NULL)
		lk->waiters->lprev = lp;
	lk->waiters = lp;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Probes. */

/* Take a probe out of every structure of the loop (not freed). */
static void
probe_unlink(struct smtpprobe_loop *l, struct loop_probe *lp)
{
	unregister_fds(l, lp);
	heap_remove(l, lp);
	lookup_detach(lp);
	waitq_remove(l, lp);
	if (lp->active) {
		lp->active = 0;
		l->nactive--;
	}
	if (lp->prev != NULL)
		lp->prev->next = lp->next;
	else
		l->all = lp->next;
	if (lp->next != NULL)
		lp->next->prev = lp->prev;
	l->nprobes--;
}

/* The probe is finished: forget it and tell its owner. */
static void
probe_finished(struct smtpprobe_loop *l, struct loop_probe *lp)
{
	smtpprobe_probe_done_fn	*done = lp->done;
	struct smtpprobe	*p = lp->p;
	void			*arg = lp->arg;

	probe_unlink(l, lp);
	free(lp);
	l->ndone++;
	admit(l);
	if (done != NULL)
		done(p, arg);
}

/* The loop is idle: give a burst's free memory back (see the top). */
static void
trim_if_burst(struct smtpprobe_loop *l)
{
	if (l->peak < LOOP_TRIM_PEAK && l->ndone < LOOP_TRIM_DONE)
		return;
	l->peak = 0;
	l->ndone = 0;
	l->ntrims++;
#ifdef __GLIBC__
	(void)malloc_trim(0);
#endif
}

size_t
loop_trims(const struct smtpprobe_loop *l)
{
	return l->ntrims;
}

/* Step one probe and re-arm what it waits for. */
static void
run_probe(struct smtpprobe_loop *l, struct loop_probe *lp)
{
	int64_t	now = smtpprobe_now();
	int	r;

	r = smtpprobe_step(lp->p, now);
	switch (r) {
	case SMTPPROBE_WANT_IO:
		if (sync_fds(l, lp) == -1 || heap_set(l, lp,
		    smtpprobe_next_timeout(lp->p)) == -1)
			break;
		return;
	case SMTPPROBE_WANT_RESOLVE:
		unregister_fds(l, lp);
		/* Its own deadline still holds while it waits. */
		if (lookup_join(l, lp, now) == -1 ||
		    heap_set(l, lp, probe_deadline(lp->p)) == -1)
			break;
		return;
	case SMTPPROBE_DONE:
		probe_finished(l, lp);
		return;
	default:
		break;
	}
	/* The loop itself failed this probe (out of memory, epoll). */
	snprintf(l->error, sizeof(l->error), "cannot wait for a probe: %s",
	    strerror(errno));
	smtpprobe_cancel(lp->p, smtpprobe_now());
	probe_finished(l, lp);
}

/* ------------------------------------------------------------------ */
/* The public API. */

struct smtpprobe_loop *
smtpprobe_loop_new(struct smtpprobe_ctx *ctx,
    const struct smtpprobe_loop_params *params, char *err, size_t errlen)
{
	struct smtpprobe_loop	*l;
	struct epoll_event	 ev;
	char			 rerr[160];

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->ctx = ctx;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->epfd == -1 || l->evfd == -1) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "epoll/eventfd: %s",
			    strerror(errno));
		goto fail;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = LOOP_TAG_WAKEUP;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->evfd, &ev) == -1) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
		goto fail;
	}
	if (params != NULL)
		l->max_active = params->max_active;
	rerr[0] = '\0';
	l->res = resolve_new(params != NULL ? params->dns_servers : NULL,
	    resolver_sock, l, rerr, sizeof(rerr));
	if (l->res == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s", rerr[0] != '\0' ? rerr :
			    "cannot create the resolver");
		goto fail;
	}
	return l;
fail:
	if (l->epfd != -1)
		close(l->epfd);
	if (l->evfd != -1)
		close(l->evfd);
	free(l);
	return NULL;
}

void
smtpprobe_loop_free(struct smtpprobe_loop *l)
{
	struct loop_probe	*lp;
	int64_t			 now;

	if (l == NULL)
		return;
	l->freeing = 1;
	now = smtpprobe_now();
	while ((lp = l->all) != NULL) {
		smtpprobe_cancel(lp->p, now);
		probe_finished(l, lp);
	}
	/* Pending lookups are answered "cancelled" from in here. */
	resolve_free(l->res);
	free(l->heap);
	free(l->rfds);
	close(l->epfd);
	close(l->evfd);
	free(l);
}

int
smtpprobe_loop_add(struct smtpprobe_loop *l, struct smtpprobe *p,
    smtpprobe_probe_done_fn *done, void *arg)
{
	struct loop_probe	*lp;

	if (l == NULL || p == NULL || l->freeing) {
		if (l != NULL)
			snprintf(l->error, sizeof(l->error), "bad argument");
		return -1;
	}
	if (probe_done(p)) {
		snprintf(l->error, sizeof(l->error), "probe already finished");
		return -1;
	}
	if ((lp = calloc(1, sizeof(*lp))) == NULL) {
		snprintf(l->error, sizeof(l->error), "out of memory");
		return -1;
	}
	/* A name will need DNS: the resolver is set up now, before the
	 * probe's clock starts (its first step), not in its resolve phase. */
	if (!resolve_is_ip_literal(probe_host(p)))
		(void)resolve_prepare(l->res, NULL, 0);
	lp->loop = l;
	lp->p = p;
	lp->done = done;
	lp->arg = arg;
	lp->heap_idx = SIZE_MAX;
	lp->next = l->all;
	if (l->all != NULL)
		l->all->prev = lp;
	l->all = lp;
	l->nprobes++;
	if (l->nprobes > l->peak)
		l->peak = l->nprobes;
	if (l->max_active != 0 && l->nactive >= l->max_active) {
		/* Waits for a slot; its deadline still runs. */
		if (heap_set(l, lp, probe_deadline(p)) == -1) {
			probe_unlink(l, lp);
			free(lp);
			snprintf(l->error, sizeof(l->error), "out of memory");
			return -1;
		}
		lp->waiting = 1;
		lp->wprev = l->waitq_tail;
		if (l->waitq_tail != NULL)
			l->waitq_tail->wnext = lp;
		else
			l->waitq = lp;
		l->waitq_tail = lp;
		return 0;
	}
	lp->active = 1;
	l->nactive++;
	runq_push(l, lp);
	return 0;
}

int
smtpprobe_loop_lookup(struct smtpprobe_loop *l, const char *name,
    unsigned what, int family, int64_t deadline,
    smtpprobe_lookup_done_fn *done, void *arg)
{
	struct loop_lookup	*lk;

	if (l == NULL || name == NULL || done == NULL || l->freeing ||
	    (what & (SMTPPROBE_LOOKUP_ADDR | SMTPPROBE_LOOKUP_MX)) == 0) {
		if (l != NULL)
			snprintf(l->error, sizeof(l->error), "bad argument");
		return -1;
	}
	/* Set-up is not part of the lookup's duration. */
	if (!resolve_is_ip_literal(name))
		(void)resolve_prepare(l->res, NULL, 0);
	/* Count it first: resolve.c never calls back from inside
	 * resolve_lookup(), but keep the count right regardless. */
	l->nuser_lookups++;
	if ((lk = lookup_start(l, name, what, family, smtpprobe_now(),
	    deadline, 0)) == NULL) {
		l->nuser_lookups--;
		return -1;
	}
	lk->user_done = done;
	lk->user_arg = arg;
	return 0;
}

/* A probe stepped by a timer: also the way a waiting probe times out. */
static void
expire_timers(struct smtpprobe_loop *l, int64_t now)
{
	struct loop_probe	*lp;

	while (l->nheap > 0 && l->heap[0]->key <= now) {
		lp = l->heap[0];
		heap_remove(l, lp);
		if (lp->waiting) {
			/* Never got a slot: step it once so it ends with a
			 * timeout, without touching the network. */
			waitq_remove(l, lp);
		}
		runq_push(l, lp);
	}
}

int
smtpprobe_loop_run(struct smtpprobe_loop *l, int timeout_ms)
{
	struct epoll_event	 evs[LOOP_MAX_EVENTS];
	struct loop_probe	*lp;
	uint64_t		 tag, v;
	int64_t			 now, end, next;
	int			 n, i, woken = 0, fd;

	if (l == NULL || l->freeing)
		return -1;
	now = smtpprobe_now();
	end = timeout_ms < 0 ? INT64_MAX :
	    timeutil_add(now, (int64_t)timeout_ms * TIMEUTIL_US_PER_MS);
	for (;;) {
		while ((lp = runq_pop(l)) != NULL)
			run_probe(l, lp);
		if (l->nprobes == 0 && l->nuser_lookups == 0) {
			trim_if_burst(l);
			return 0;
		}
		now = smtpprobe_now();
		if (woken || now >= end)
			break;
		next = end;
		if (l->nheap > 0)
			next = timeutil_min(next, l->heap[0]->key);
		next = timeutil_min(next, resolve_next_timer(l->res, now));
		n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS,
		    timeutil_poll_ms(next, now));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			snprintf(l->error, sizeof(l->error), "epoll_wait: %s",
			    strerror(errno));
			return -1;
		}
		now = smtpprobe_now();
		for (i = 0; i < n; i++) {
			tag = evs[i].data.u64;
			if (tag == LOOP_TAG_WAKEUP) {
				while (read(l->evfd, &v, sizeof(v)) > 0)
					;
				woken = 1;
			} else if ((tag & 3) == LOOP_TAG_RESOLVER) {
				fd = (int)(tag >> 2);
				resolve_process_fd(l->res, fd,
				    (evs[i].events & (EPOLLIN | EPOLLERR |
				    EPOLLHUP)) != 0,
				    (evs[i].events & EPOLLOUT) != 0, now);
			} else
				runq_push(l, evs[i].data.ptr);
		}
		if (resolve_next_timer(l->res, now) <= now)
			resolve_process_timers(l->res, now);
		expire_timers(l, now);
	}
	return (int)(l->nprobes + l->nuser_lookups);
}

void
smtpprobe_loop_wakeup(struct smtpprobe_loop *l)
{
	uint64_t	one = 1;
	ssize_t		r;

	if (l == NULL)
		return;
	/* write(2) is async-signal-safe; a full counter is still a wakeup. */
	r = write(l->evfd, &one, sizeof(one));
	(void)r;
}

size_t
smtpprobe_loop_pending(const struct smtpprobe_loop *l)
{
	return l != NULL ? l->nprobes + l->nuser_lookups : 0;
}

const char *
smtpprobe_loop_error(const struct smtpprobe_loop *l)
{
	if (l == NULL)
		return "no loop";
	return l->error[0] != '\0' ? l->error : "no error";
}
