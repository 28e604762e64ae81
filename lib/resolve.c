/*
 * resolve.c: asynchronous DNS through c-ares 1.18 for one event loop
 * (A/AAAA through ares_getaddrinfo, which also reads /etc/hosts as the
 * system resolver would; MX through ares_query).  The contract is in
 * resolve.h.
 *
 * c-ares 1.18 traps avoided here:
 *  - it would send a query for an IP literal: literals are detected with
 *    inet_pton() and answered without DNS;
 *  - fd_set based processing breaks past 1,024 descriptors: sockets are
 *    reported through ARES_OPT_SOCK_STATE_CB and processed with
 *    ares_process_fd();
 *  - it cannot cancel one query: a lookup whose deadline passes is
 *    answered TIMEOUT at once and its queries are left "orphaned" until
 *    c-ares finishes them; when only orphans remain, ares_cancel() drops
 *    them all, so no socket or timer outlives the last deadline.
 *  - <sys/select.h> must come before <ares.h> under strict C11.
 *
 * The c-ares channel (which reads /etc/resolv.conf and opens nothing yet)
 * is made by the first lookup that needs DNS: a run with only IP
 * literals never makes one.  A resolver list given by the user is checked
 * at resolve_new() all the same, so a bad one is still a usage error.
 */
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ares.h>

#include "smtpprobe.h"
#include "resolve.h"
#include "timeutil.h"

#define RESOLVE_CLASS_IN	1	/* RFC 1035 §3.2.4 */
#define RESOLVE_TYPE_MX		15	/* RFC 1035 §3.2.2 */
#define RESOLVE_TIMEOUT_MS	1000	/* first try; c-ares doubles it */
#define RESOLVE_TRIES		3
#define RESOLVE_EDNS_SIZE	1232	/* DNS flag day 2020 */
#define RESOLVE_MAX_SERVERS	8

enum lookup_state {
	LOOKUP_RUNNING,		/* queries in flight */
	LOOKUP_FINISHED,	/* result final, callback not yet called */
	LOOKUP_DELIVERED,	/* callback called; waiting for orphans */
	LOOKUP_STATE_COUNT
};

#define HEAP_NONE	SIZE_MAX

struct lookup {
	struct resolve		*res;
	struct lookup		*prev, *next;	/* res->lookups */
	struct lookup		*fnext;		/* res->fhead queue */
	size_t			 hidx;		/* in res->heap, or HEAP_NONE */
	enum lookup_state	 state;
	unsigned		 what;
	int			 family;
	int64_t			 start, deadline;
	int			 outstanding;	/* c-ares queries in flight */
	int			 literal;	/* answered without DNS */
	int			 addr_done, mx_done;
	int			 addr_status, mx_status;	/* ARES_* */
	struct smtpprobe_lookup_result result;
	resolve_done_fn		*done;
	void			*arg;
	char			 name[256];
};

/*
 * Nothing here scans all lookups per event: finished lookups wait in a
 * FIFO, running ones sit in a min-heap by deadline, and the queries in
 * flight are counted, split into those a running lookup waits for (live)
 * and those nobody waits for any more (orphans).
 */
struct resolve {
	ares_channel		 channel;
	int			 have_channel;	/* made on first use */
	int			 have_servers;	/* servers[] is the user's */
	char			 servers[RESOLVE_MAX_SERVERS * 56];
	resolve_sock_fn		*sock;
	void			*sock_arg;
	struct lookup		*lookups;	/* all, any state (for free) */
	struct lookup		*fhead, *ftail;	/* finished, not delivered */
	struct lookup		**heap;		/* running, by deadline */
	size_t			 nheap, heapcap;
	size_t			 qlive, qorphan;
	size_t			 npending;	/* not yet delivered */
	int64_t			 now;		/* of the current call */
	int			 freeing;
};

static pthread_once_t	resolve_once = PTHREAD_ONCE_INIT;
static int		resolve_init_status = ARES_ENOTINITIALIZED;
static _Atomic size_t	resolve_nchannels;	/* made, ever (tests) */

static void
resolve_library_init(void)
{
	resolve_init_status = ares_library_init(ARES_LIB_INIT_ALL);
}

static void
set_err(char *err, size_t errlen, const char *what, const char *why)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", what, why);
}

int
resolve_is_ip_literal(const char *s)
{
	struct in6_addr	a6;
	struct in_addr	a4;

	if (s == NULL)
		return 0;
	return inet_pton(AF_INET, s, &a4) == 1 ||
	    inet_pton(AF_INET6, s, &a6) == 1;
}

/*
 * Check a user's resolver list "ADDR[:PORT],..." (IPv6 as "[ADDR]:PORT",
 * "[ADDR]" or a bare "ADDR" without port) and write it in the one form
 * c-ares parses unambiguously, "a.b.c.d:PORT,[v6]:PORT" (port 53 when
 * none was given) into out.  c-ares 1.18 itself would take port 99999
 * (and quietly wrap it) or port 0.  Returns 0, or -1 with a reason.
 */
static int
servers_csv(const char *list, char *out, size_t outlen, const char **why)
{
	char		 item[80], addr[80], *colon;
	const char	*s = list, *e;
	struct in6_addr	 a6;
	unsigned long	 port;
	size_t		 len, n = 0, o = 0;
	char		*end;
	int		 fam, w;

	out[0] = '\0';
	for (;;) {
		e = strchr(s, ',');
		len = e != NULL ? (size_t)(e - s) : strlen(s);
		if (len == 0 || len >= sizeof(item)) {
			*why = len == 0 ? "empty entry" : "entry too long";
			return -1;
		}
		if (++n > RESOLVE_MAX_SERVERS) {
			*why = "too many servers";
			return -1;
		}
		memcpy(item, s, len);
		item[len] = '\0';
		port = 53;
		colon = NULL;
		if (item[0] == '[') {
			if ((end = strchr(item, ']')) == NULL) {
				*why = "missing ']'";
				return -1;
			}
			*end = '\0';
			snprintf(addr, sizeof(addr), "%s", item + 1);
			fam = AF_INET6;
			if (end[1] == ':')
				colon = end + 1;
			else if (end[1] != '\0') {
				*why = "junk after ']'";
				return -1;
			}
		} else if (inet_pton(AF_INET6, item, &a6) == 1) {
			snprintf(addr, sizeof(addr), "%s", item);
			fam = AF_INET6;
		} else {
			if ((colon = strchr(item, ':')) != NULL)
				*colon = '\0';
			snprintf(addr, sizeof(addr), "%s", item);
			fam = AF_INET;
		}
		if (inet_pton(fam, addr, &a6) != 1) {
			*why = "not an IP address";
			return -1;
		}
		if (colon != NULL) {
			errno = 0;
			port = strtoul(colon + 1, &end, 10);
			if (colon[1] < '0' || colon[1] > '9' || *end != '\0' ||
			    errno != 0 || port == 0 || port > 65535) {
				*why = "bad port (1 to 65535)";
				return -1;
			}
		}
		w = snprintf(out + o, outlen - o, fam == AF_INET6 ?
		    "%s[%s]:%lu" : "%s%s:%lu", o > 0 ? "," : "", addr, port);
		if (w < 0 || (size_t)w >= outlen - o) {
			*why = "list too long";
			return -1;
		}
		o += (size_t)w;
		if (e == NULL)
			return 0;
		s = e + 1;
	}
}

/* c-ares' socket-state callback: pass it on to the owner. */
static void
sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct resolve	*res = data;

	if (res->sock != NULL)
		res->sock(res->sock_arg, (int)fd, readable, writable);
}

struct resolve *
resolve_new(const char *dns_servers, resolve_sock_fn *sock, void *sock_arg,
    char *err, size_t errlen)
{
	struct resolve		*res;
	const char		*why = "";

	if ((res = calloc(1, sizeof(*res))) == NULL) {
		set_err(err, errlen, "resolver", strerror(errno));
		return NULL;
	}
	if (dns_servers != NULL && servers_csv(dns_servers, res->servers,
	    sizeof(res->servers), &why) == -1) {
		set_err(err, errlen, "bad DNS server list (want "
		    "ADDR[:PORT],... with [IPv6]:PORT)", why);
		free(res);
		return NULL;
	}
	res->have_servers = dns_servers != NULL;
	res->sock = sock;
	res->sock_arg = sock_arg;
	return res;
}

/*
 * Make the c-ares channel if there is none yet (resolve_prepare(), or the
 * first lookup that needs DNS).  Returns 0, or -1 with a reason in err.
 */
static int
resolve_channel(struct resolve *res, char *err, size_t errlen)
{
	struct ares_options	 opts;
	int			 rc, mask;

	if (res->have_channel)
		return 0;
	pthread_once(&resolve_once, resolve_library_init);
	if (resolve_init_status != ARES_SUCCESS) {
		set_err(err, errlen, "c-ares",
		    ares_strerror(resolve_init_status));
		return -1;
	}
	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = sock_state;
	opts.sock_state_cb_data = res;
	opts.timeout = RESOLVE_TIMEOUT_MS;
	opts.tries = RESOLVE_TRIES;
	/*
	 * NOCHECKRESP: hand SERVFAIL and REFUSED answers to us as such.
	 * Without it c-ares 1.18 retries them and finally reports
	 * ECONNREFUSED, and the user would read "refused" for a SERVFAIL.
	 */
	opts.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_EDNS;
	/*
	 * EDNS (RFC 6891) with the DNS-flag-day size, so that a large MX set
	 * comes over UDP; without it c-ares 1.18 takes any reply over 512
	 * octets for truncated and retries over TCP.  A server that answers
	 * FORMERR to EDNS is asked again without it by c-ares.
	 */
	opts.ednspsz = RESOLVE_EDNS_SIZE;
	mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
	    ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ;
	if ((rc = ares_init_options(&res->channel, &opts, mask)) !=
	    ARES_SUCCESS) {
		set_err(err, errlen, "c-ares", ares_strerror(rc));
		return -1;
	}
	if (res->have_servers && (rc = ares_set_servers_ports_csv(
	    res->channel, res->servers)) != ARES_SUCCESS) {
		set_err(err, errlen, "bad DNS server list", ares_strerror(rc));
		ares_destroy(res->channel);
		return -1;
	}
	res->have_channel = 1;
	resolve_nchannels++;
	return 0;
}

int
resolve_prepare(struct resolve *res, char *err, size_t errlen)
{
	if (res == NULL || res->freeing)
		return -1;
	return resolve_channel(res, err, errlen);
}

size_t
resolve_channels_made(void)
{
	return resolve_nchannels;
}

/* ---- the deadline heap ------------------------------------------------ */

static void
heap_set(struct resolve *res, size_t i, struct lookup *lk)
{
	res->heap[i] = lk;
	lk->hidx = i;
}

static void
heap_up(struct resolve *res, size_t i)
{
	struct lookup	*lk = res->heap[i];
	size_t		 parent;

	while (i > 0) {
		parent = (i - 1) / 2;
		if (res->heap[parent]->deadline <= lk->deadline)
			break;
		heap_set(res, i, res->heap[parent]);
		i = parent;
	}
	heap_set(res, i, lk);
}

static void
heap_down(struct resolve *res, size_t i)
{
	struct lookup	*lk = res->heap[i];
	size_t		 c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= res->nheap)
			break;
		if (c + 1 < res->nheap &&
		    res->heap[c + 1]->deadline < res->heap[c]->deadline)
			c++;
		if (lk->deadline <= res->heap[c]->deadline)
			break;
		heap_set(res, i, res->heap[c]);
		i = c;
	}
	heap_set(res, i, lk);
}

/* Room for one more entry; -1 on out of memory. */
static int
heap_reserve(struct resolve *res)
{
	struct lookup	**nh;
	size_t		  ncap;

	if (res->nheap < res->heapcap)
		return 0;
	ncap = res->heapcap == 0 ? 16 : res->heapcap * 2;
	if ((nh = reallocarray(res->heap, ncap, sizeof(*nh))) == NULL)
		return -1;
	res->heap = nh;
	res->heapcap = ncap;
	return 0;
}

/* Push (room reserved by heap_reserve()). */
static void
heap_push(struct resolve *res, struct lookup *lk)
{
	heap_set(res, res->nheap++, lk);
	heap_up(res, lk->hidx);
}

static void
heap_remove(struct resolve *res, struct lookup *lk)
{
	size_t		 i = lk->hidx;
	struct lookup	*last;

	if (i == HEAP_NONE)
		return;
	lk->hidx = HEAP_NONE;
	last = res->heap[--res->nheap];
	if (last == lk)
		return;
	heap_set(res, i, last);
	heap_up(res, i);
	heap_down(res, last->hidx);
}

/* ---- lookups ------------------------------------------------------------ */

static void
lookup_unlink_free(struct lookup *lk)
{
	struct resolve	*res = lk->res;

	if (lk->prev != NULL)
		lk->prev->next = lk->next;
	else
		res->lookups = lk->next;
	if (lk->next != NULL)
		lk->next->prev = lk->prev;
	free(lk);
}

/* The lookup's result is final (first call wins): it is delivered by the
 * next deliver(). */
static void
lookup_finish(struct lookup *lk, enum smtpprobe_outcome outcome,
    const char *detail)
{
	struct resolve	*res = lk->res;

	if (lk->state != LOOKUP_RUNNING)
		return;
	lk->state = LOOKUP_FINISHED;
	heap_remove(res, lk);
	/* Its queries still in flight are nobody's business now. */
	res->qlive -= (size_t)lk->outstanding;
	res->qorphan += (size_t)lk->outstanding;
	lk->fnext = NULL;
	if (res->ftail != NULL)
		res->ftail->fnext = lk;
	else
		res->fhead = lk;
	res->ftail = lk;
	lk->result.outcome = outcome;
	snprintf(lk->result.detail, sizeof(lk->result.detail), "%s",
	    detail != NULL ? detail : "");
	if (!lk->literal)
		lk->result.duration_us = timeutil_remaining(lk->res->now,
		    lk->start);
}

/*
 * Call the callbacks of finished lookups in the order they finished, one
 * at a time, so that a callback may start new lookups.  A delivered lookup
 * is freed unless c-ares still holds queries of it.
 */
static void
deliver(struct resolve *res)
{
	struct lookup	*lk;

	while ((lk = res->fhead) != NULL) {
		res->fhead = lk->fnext;
		if (res->fhead == NULL)
			res->ftail = NULL;
		lk->state = LOOKUP_DELIVERED;
		res->npending--;
		lk->done(&lk->result, lk->arg);
		if (lk->outstanding == 0)
			lookup_unlink_free(lk);
	}
}

/* A human detail for a c-ares status, per query kind ("A", "AAAA",
 * "address", "MX"). */
static const char *
status_detail(int status, const char *kind, char *buf, size_t len)
{
	switch (status) {
	case ARES_ENOTFOUND:
		return "NXDOMAIN";
	case ARES_ESERVFAIL:
		return "SERVFAIL";
	case ARES_EREFUSED:
		return "REFUSED";
	case ARES_ENODATA:
		snprintf(buf, len, "no %s record", kind);
		return buf;
	case ARES_ETIMEOUT:
		return "DNS timeout";
	case ARES_ECONNREFUSED:
		return "DNS server refused the connection";
	case ARES_EFORMERR:
	case ARES_EBADRESP:
		return "bad DNS response";
	default:
		return ares_strerror(status);
	}
}

static const char *
addr_kind(int family)
{
	switch (family) {
	case AF_INET:
		return "A";
	case AF_INET6:
		return "AAAA";
	default:
		return "A or AAAA";
	}
}

static enum smtpprobe_outcome
status_outcome(int status)
{
	switch (status) {
	case ARES_ETIMEOUT:
		return SMTPPROBE_OUTCOME_TIMEOUT;
	case ARES_ENOMEM:
		return SMTPPROBE_OUTCOME_INTERNAL;
	default:
		return SMTPPROBE_OUTCOME_RESOLVE_FAILED;
	}
}

/*
 * Decide once every query of the lookup has answered.  With MX asked: an
 * MX failure fails the lookup; MX hosts or a null MX (RFC 7505) are an
 * answer whatever the address query said; no MX record (RFC 5321 §5.1:
 * the domain itself is the mail host) defers to the address query if one
 * was asked.
 */
static void
lookup_decide(struct lookup *lk)
{
	struct smtpprobe_lookup_result	*r = &lk->result;
	char				 buf[64];

	if (lk->state != LOOKUP_RUNNING)
		return;
	if (((lk->what & SMTPPROBE_LOOKUP_ADDR) && !lk->addr_done) ||
	    ((lk->what & SMTPPROBE_LOOKUP_MX) && !lk->mx_done))
		return;
	if (lk->what & SMTPPROBE_LOOKUP_MX) {
		if (lk->mx_status != ARES_SUCCESS &&
		    lk->mx_status != ARES_ENODATA) {
			lookup_finish(lk, status_outcome(lk->mx_status),
			    status_detail(lk->mx_status, "MX", buf,
			    sizeof(buf)));
			return;
		}
		if (r->nmx > 0 || r->null_mx ||
		    !(lk->what & SMTPPROBE_LOOKUP_ADDR)) {
			lookup_finish(lk, SMTPPROBE_OUTCOME_OK, r->null_mx ?
			    "null MX" : r->no_mx ? "no MX record" : "");
			return;
		}
	}
	if (lk->addr_status == ARES_SUCCESS && r->naddresses > 0)
		lookup_finish(lk, SMTPPROBE_OUTCOME_OK, "");
	else
		lookup_finish(lk, status_outcome(lk->addr_status),
		    status_detail(lk->addr_status == ARES_SUCCESS ?
		    ARES_ENODATA : lk->addr_status, addr_kind(lk->family), buf,
		    sizeof(buf)));
}

/* Append a numeric address unless already there or the list is full. */
static void
add_address(struct smtpprobe_lookup_result *r, const char *a)
{
	size_t	i;

	for (i = 0; i < r->naddresses; i++)
		if (strcmp(r->addresses[i], a) == 0)
			return;
	if (r->naddresses >= SMTPPROBE_MAX_ADDRESSES)
		return;
	snprintf(r->addresses[r->naddresses++], sizeof(r->addresses[0]),
	    "%s", a);
}

/* A query of lk came back: one fewer outstanding; free an orphan whose
 * last query this was.  Returns 1 if lk is still to be filled in. */
static int
query_back(struct lookup *lk)
{
	lk->outstanding--;
	if (lk->state == LOOKUP_RUNNING)
		lk->res->qlive--;
	else
		lk->res->qorphan--;
	if (lk->state == LOOKUP_DELIVERED) {
		if (lk->outstanding == 0)
			lookup_unlink_free(lk);
		return 0;
	}
	return lk->state == LOOKUP_RUNNING;
}

/* The address bytes of a getaddrinfo node, or NULL if it is neither a
 * whole IPv4 nor a whole IPv6 socket address. */
static const void *
node_addr(const struct ares_addrinfo_node *n)
{
	const void	*sa = n->ai_addr;

	if (n->ai_family == AF_INET &&
	    n->ai_addrlen >= (ares_socklen_t)sizeof(struct sockaddr_in))
		return &((const struct sockaddr_in *)sa)->sin_addr;
	if (n->ai_family == AF_INET6 &&
	    n->ai_addrlen >= (ares_socklen_t)sizeof(struct sockaddr_in6))
		return &((const struct sockaddr_in6 *)sa)->sin6_addr;
	return NULL;
}

static void
addrinfo_done(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct lookup			*lk = arg;
	struct ares_addrinfo_node	*n;
	char				 buf[INET6_ADDRSTRLEN];
	const void			*src;

	(void)timeouts;
	if (query_back(lk) && status != ARES_EDESTRUCTION &&
	    status != ARES_ECANCELLED) {
		lk->addr_done = 1;
		lk->addr_status = status;
		for (n = ai != NULL ? ai->nodes : NULL; n != NULL;
		    n = n->ai_next) {
			src = node_addr(n);
			if (src == NULL)
				continue;
			if (lk->family != AF_UNSPEC &&
			    n->ai_family != lk->family)
				continue;
			if (inet_ntop(n->ai_family, src, buf, sizeof(buf)) !=
			    NULL)
				add_address(&lk->result, buf);
		}
		lookup_decide(lk);
	}
	if (ai != NULL)
		ares_freeaddrinfo(ai);
}

/* Sort MX hosts by preference, stable (equal preferences keep the
 * server's order). */
static void
sort_mx(struct smtpprobe_lookup_result *r)
{
	struct smtpprobe_mx	tmp;
	size_t			i, j;

	for (i = 1; i < r->nmx; i++) {
		tmp = r->mx[i];
		for (j = i; j > 0 && r->mx[j - 1].preference > tmp.preference;
		    j--)
			r->mx[j] = r->mx[j - 1];
		r->mx[j] = tmp;
	}
}

/*
 * Where an MX host of this preference goes: the next free entry, or, when
 * the list is full, the place of the least preferred one if this one is
 * better (so that the best SMTPPROBE_MAX_MX are kept whatever the order
 * of the answer); NULL to drop it.
 */
static struct smtpprobe_mx *
mx_slot(struct smtpprobe_lookup_result *r, uint16_t pref)
{
	size_t	i, worst = 0;

	if (r->nmx < SMTPPROBE_MAX_MX)
		return &r->mx[r->nmx++];
	for (i = 1; i < r->nmx; i++)
		if (r->mx[i].preference >= r->mx[worst].preference)
			worst = i;
	return pref < r->mx[worst].preference ? &r->mx[worst] : NULL;
}

static void
mx_done(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct lookup			*lk = arg;
	struct smtpprobe_lookup_result	*r;
	struct ares_mx_reply		*mx = NULL, *m;
	struct smtpprobe_mx		*slot;
	size_t				 nrec = 0, nroot = 0;

	(void)timeouts;
	if (!query_back(lk) || status == ARES_EDESTRUCTION ||
	    status == ARES_ECANCELLED)
		return;
	r = &lk->result;
	lk->mx_done = 1;
	if (status == ARES_SUCCESS)
		status = ares_parse_mx_reply(abuf, alen, &mx);
	lk->mx_status = status;
	if (status == ARES_SUCCESS) {
		for (m = mx; m != NULL; m = m->next) {
			nrec++;
			/* RFC 7505: the root as exchange ("." expands to
			 * "") is no mail host. */
			if (m->host == NULL || m->host[0] == '\0' ||
			    strcmp(m->host, ".") == 0) {
				nroot++;
				continue;
			}
			if ((slot = mx_slot(r, m->priority)) == NULL)
				continue;
			slot->preference = m->priority;
			smtpprobe_sanitize(slot->host, sizeof(slot->host),
			    m->host, strlen(m->host));
		}
		/* A null MX is the only MX record (RFC 7505 §3); a "."
		 * among real hosts is just skipped. */
		r->null_mx = nroot > 0 && nroot == nrec;
		sort_mx(r);
		ares_free_data(mx);
	} else if (status == ARES_ENODATA) {
		r->no_mx = 1;	/* NOERROR, no MX: RFC 5321 §5.1 */
	}
	lookup_decide(lk);
}

/*
 * A host name we are willing to send to DNS: 1..253 octets (a trailing
 * dot aside), labels of 1..63 letters, digits, '-' or '_' (RFC 1123 §2.1
 * host names, plus the underscore some zones use).  Anything else
 * (control bytes, UTF-8 that is not an A-label, "[192.0.2.1]", "a..b")
 * fails the lookup without a query.
 */
static int
name_ok(const char *s)
{
	size_t	len = strlen(s), label = 0, i;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '_'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0;
}

/* Answer an IP literal without DNS (header: RESOLVE is 0 for it). */
static void
answer_literal(struct lookup *lk)
{
	struct in6_addr	a6;
	char		buf[INET6_ADDRSTRLEN];
	int		fam;

	fam = inet_pton(AF_INET, lk->name, &a6) == 1 ? AF_INET : AF_INET6;
	if (inet_pton(fam, lk->name, &a6) != 1 ||
	    inet_ntop(fam, &a6, buf, sizeof(buf)) == NULL) {
		lookup_finish(lk, SMTPPROBE_OUTCOME_INTERNAL, "bad literal");
		return;
	}
	if (lk->family != AF_UNSPEC && lk->family != fam) {
		lookup_finish(lk, SMTPPROBE_OUTCOME_RESOLVE_FAILED,
		    fam == AF_INET ? "IPv4 literal, IPv6 wanted" :
		    "IPv6 literal, IPv4 wanted");
		return;
	}
	add_address(&lk->result, buf);
	/* An address has no MX; it is its own mail host. */
	if (lk->what & SMTPPROBE_LOOKUP_MX)
		lk->result.no_mx = 1;
	lookup_finish(lk, SMTPPROBE_OUTCOME_OK, "");
}

int
resolve_lookup(struct resolve *res, const char *name, unsigned what,
    int family, int64_t now, int64_t deadline, resolve_done_fn *done,
    void *arg)
{
	struct ares_addrinfo_hints	 hints;
	struct lookup			*lk;
	char				 why[128];

	if (res == NULL || res->freeing || name == NULL || done == NULL ||
	    (what & (SMTPPROBE_LOOKUP_ADDR | SMTPPROBE_LOOKUP_MX)) == 0 ||
	    (what & ~(SMTPPROBE_LOOKUP_ADDR | SMTPPROBE_LOOKUP_MX)) != 0 ||
	    (family != AF_UNSPEC && family != AF_INET && family != AF_INET6))
		return -1;
	if (heap_reserve(res) == -1 || (lk = calloc(1, sizeof(*lk))) == NULL)
		return -1;
	lk->res = res;
	lk->hidx = HEAP_NONE;
	lk->what = what;
	lk->family = family;
	lk->start = now;
	lk->deadline = deadline;
	lk->done = done;
	lk->arg = arg;
	lk->state = LOOKUP_RUNNING;
	lk->result.outcome = SMTPPROBE_OUTCOME_PENDING;
	/* Too long a name is invalid anyway: a truncated copy is never
	 * queried (name_ok() sees the original). */
	snprintf(lk->name, sizeof(lk->name), "%s", name);
	lk->next = res->lookups;
	if (res->lookups != NULL)
		res->lookups->prev = lk;
	res->lookups = lk;
	res->npending++;
	res->now = now;

	if (resolve_is_ip_literal(name)) {
		lk->literal = 1;	/* duration stays 0 */
		answer_literal(lk);
		return 0;
	}
	if (!name_ok(name)) {
		lookup_finish(lk, SMTPPROBE_OUTCOME_RESOLVE_FAILED,
		    "invalid host name");
		return 0;
	}
	if (deadline <= now) {
		lookup_finish(lk, SMTPPROBE_OUTCOME_TIMEOUT, "DNS timeout");
		return 0;
	}
	if (resolve_channel(res, why, sizeof(why)) == -1) {
		lookup_finish(lk, SMTPPROBE_OUTCOME_INTERNAL, why);
		return 0;
	}
	/* Both queries are started before either can call back (c-ares may
	 * answer from /etc/hosts inside ares_getaddrinfo()). */
	heap_push(res, lk);
	lk->outstanding = ((what & SMTPPROBE_LOOKUP_ADDR) != 0) +
	    ((what & SMTPPROBE_LOOKUP_MX) != 0);
	res->qlive += (size_t)lk->outstanding;
	if (what & SMTPPROBE_LOOKUP_MX)
		ares_query(res->channel, lk->name, RESOLVE_CLASS_IN,
		    RESOLVE_TYPE_MX, mx_done, lk);
	if (what & SMTPPROBE_LOOKUP_ADDR) {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = family;
		hints.ai_socktype = SOCK_STREAM;
		/* c-ares' documented CARES_HOSTS override of /etc/hosts is
		 * honoured (tests use it). */
		hints.ai_flags = ARES_AI_ENVHOSTS;
		ares_getaddrinfo(res->channel, lk->name, NULL, &hints,
		    addrinfo_done, lk);
	}
	/* Answered inside c-ares (from /etc/hosts): "now" was read before
	 * the file was, so read the clock once more for a true duration. */
	if (lk->state == LOOKUP_FINISHED)
		lk->result.duration_us = timeutil_remaining(smtpprobe_now(),
		    now);
	return 0;
}

/*
 * End lookups whose deadline has come; if then no running lookup has a
 * query in flight, drop the orphans' queries (ares_cancel), so c-ares
 * holds no socket and no timer for answers nobody waits for.
 */
static void
expire(struct resolve *res, int64_t now)
{
	while (res->nheap > 0 && res->heap[0]->deadline <= now)
		lookup_finish(res->heap[0], SMTPPROBE_OUTCOME_TIMEOUT,
		    "DNS timeout");
	if (res->qorphan > 0 && res->qlive == 0 && res->have_channel)
		ares_cancel(res->channel);
}

void
resolve_process_fd(struct resolve *res, int fd, int readable, int writable,
    int64_t now)
{
	if (res == NULL)
		return;
	res->now = now;
	if (res->have_channel)
		ares_process_fd(res->channel,
		    readable ? (ares_socket_t)fd : ARES_SOCKET_BAD,
		    writable ? (ares_socket_t)fd : ARES_SOCKET_BAD);
	expire(res, now);
	deliver(res);
}

int64_t
resolve_next_timer(const struct resolve *res, int64_t now)
{
	struct timeval		 tv, *tvp;
	int64_t			 next = INT64_MAX;

	if (res == NULL)
		return INT64_MAX;
	if (res->fhead != NULL)
		return now;
	if (res->nheap > 0)
		next = res->heap[0]->deadline;
	if (res->qlive + res->qorphan > 0 && res->have_channel &&
	    (tvp = ares_timeout(res->channel, NULL, &tv)) != NULL)
		next = timeutil_min(next, timeutil_add(now,
		    (int64_t)tvp->tv_sec * TIMEUTIL_US_PER_S + tvp->tv_usec));
	return next;
}

void
resolve_process_timers(struct resolve *res, int64_t now)
{
	if (res == NULL)
		return;
	res->now = now;
	/* Both ARES_SOCKET_BAD: only c-ares' own timeouts and retries. */
	if (res->have_channel)
		ares_process_fd(res->channel, ARES_SOCKET_BAD,
		    ARES_SOCKET_BAD);
	expire(res, now);
	deliver(res);
}

size_t
resolve_pending(const struct resolve *res)
{
	return res != NULL ? res->npending : 0;
}

void
resolve_free(struct resolve *res)
{
	struct lookup	*lk, *next;

	if (res == NULL)
		return;
	res->freeing = 1;
	for (lk = res->lookups; lk != NULL; lk = lk->next)
		lookup_finish(lk, SMTPPROBE_OUTCOME_INTERNAL, "cancelled");
	deliver(res);
	/* Remaining queries come back with ARES_EDESTRUCTION and free their
	 * orphaned lookups. */
	if (res->have_channel)
		ares_destroy(res->channel);
	for (lk = res->lookups; lk != NULL; lk = next) {
		next = lk->next;
		free(lk);
	}
	free(res->heap);
	free(res);
}
