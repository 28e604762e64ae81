/*
 * dns.c: the scripted DNS responder of dns.h.  One UDP socket on
 * 127.0.0.1:0 served by one thread; answers are built from the rule table
 * (RFC 1035 §4.1 message format, names in answers compressed as a pointer
 * to the question).  Tests only: it trusts nothing in a query but answers
 * only well-formed single-question queries.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dns.h"

#define QTYPE_A		1
#define QTYPE_MX	15
#define QTYPE_AAAA	28
#define RCODE_SERVFAIL	2
#define RCODE_NXDOMAIN	3
#define MAX_LOG		1024
#define MSG_MAX		4096

struct rule {
	char			name[256];
	enum fakedns_kind	kind;
	unsigned char		addr[16];
	uint16_t		pref;
	char			host[256];
};

struct logent {
	char		name[256];
	unsigned	qtype;
};

struct fakedns {
	int		 fd;
	int		 stop[2];
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	uint16_t	 port;
	char		 server[32];
	struct rule	 rules[FAKEDNS_MAX_RULES];
	size_t		 nrules;
	struct logent	 log[MAX_LOG];
	size_t		 nlog;
	unsigned	 nqueries;
};

/* Name without a trailing dot into dst; -1 if too long. */
static int
norm_name(char *dst, size_t len, const char *name)
{
	size_t	n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n >= len)
		return -1;
	memcpy(dst, name, n);
	dst[n] = '\0';
	return 0;
}

int
fakedns_add(struct fakedns *d, const char *name, enum fakedns_kind kind,
    const char *data)
{
	struct rule	r;
	unsigned long	pref;
	char		*end;
	int		rc = 0;

	if (d == NULL || name == NULL || kind >= FAKEDNS_KIND_COUNT)
		return -1;
	memset(&r, 0, sizeof(r));
	r.kind = kind;
	if (norm_name(r.name, sizeof(r.name), name) == -1)
		return -1;
	switch (kind) {
	case FAKEDNS_A:
		if (data == NULL || inet_pton(AF_INET, data, r.addr) != 1)
			return -1;
		break;
	case FAKEDNS_AAAA:
		if (data == NULL || inet_pton(AF_INET6, data, r.addr) != 1)
			return -1;
		break;
	case FAKEDNS_MX:
		if (data == NULL)
			return -1;
		errno = 0;
		pref = strtoul(data, &end, 10);
		if (errno != 0 || end == data || *end != ' ' || pref > 65535)
			return -1;
		r.pref = (uint16_t)pref;
		if (strcmp(end + 1, ".") == 0)
			r.host[0] = '\0';	/* the root: null MX */
		else if (norm_name(r.host, sizeof(r.host), end + 1) == -1)
			return -1;
		break;
	default:
		break;
	}
	pthread_mutex_lock(&d->mu);
	if (d->nrules >= FAKEDNS_MAX_RULES)
		rc = -1;
	else
		d->rules[d->nrules++] = r;
	pthread_mutex_unlock(&d->mu);
	return rc;
}

/* Encode a dotted name ("" = the root) as labels at out; returns the
 * length, or 0 if it does not fit. */
static size_t
put_name(unsigned char *out, size_t room, const char *name)
{
	size_t		 o = 0, l;
	const char	*p = name, *dot;

	while (*p != '\0') {
		dot = strchr(p, '.');
		l = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (l == 0 || l > 63 || o + 1 + l >= room)
			return 0;
		out[o++] = (unsigned char)l;
		memcpy(out + o, p, l);
		o += l;
		p += l;
		if (*p == '.')
			p++;
	}
	if (o + 1 > room)
		return 0;
	out[o++] = 0;
	return o;
}

/*
 * Parse the question of a query q[0..len-1] into name/qtype; *qend is the
 * offset after the question.  Returns -1 on anything malformed.
 */
static int
parse_question(const unsigned char *q, size_t len, char *name, size_t
    namelen, unsigned *qtype, size_t *qend)
{
	size_t	o = 12, n = 0, l;

	if (len < 12 || ((q[4] << 8) | q[5]) != 1 || (q[2] & 0x80))
		return -1;
	while (o < len && q[o] != 0) {
		l = q[o];
		if (l > 63 || o + 1 + l > len || n + l + 2 > namelen)
			return -1;
		if (n > 0)
			name[n++] = '.';
		memcpy(name + n, q + o + 1, l);
		n += l;
		o += 1 + l;
	}
	if (o + 5 > len)
		return -1;
	name[n] = '\0';
	o++;
	*qtype = (unsigned)((q[o] << 8) | q[o + 1]);
	*qend = o + 4;
	return 0;
}

/*
 * The largest UDP answer the client takes: 512 octets (RFC 1035 §4.2.1),
 * or the size an EDNS OPT record right after the question announces
 * (RFC 6891 §6.2.3; its CLASS field).
 */
static size_t
udp_limit(const unsigned char *q, size_t len, size_t qend)
{
	size_t	size;

	if (((q[10] << 8) | q[11]) == 0 || qend + 11 > len || q[qend] != 0 ||
	    ((q[qend + 1] << 8) | q[qend + 2]) != 41)
		return 512;
	size = (size_t)((q[qend + 3] << 8) | q[qend + 4]);
	return size < 512 ? 512 : size;
}

static void
put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* Build the answer to query q into out; returns its length, 0 for no
 * answer (silent). */
static size_t
answer(struct fakedns *d, const unsigned char *q, size_t len,
    unsigned char *out, size_t room)
{
	char		 name[256];
	unsigned	 qtype, rcode = 0, nans = 0;
	size_t		 qend, o, i, n, rdl, limit;
	int		 known = 0, silent = 0, tc = 0;
	const struct rule *r;

	if (parse_question(q, len, name, sizeof(name), &qtype, &qend) == -1)
		return 0;
	if (qend > room)
		return 0;
	if ((limit = udp_limit(q, len, qend)) < room)
		room = limit;
	pthread_mutex_lock(&d->mu);
	d->nqueries++;
	if (d->nlog < MAX_LOG) {
		snprintf(d->log[d->nlog].name, sizeof(d->log[0].name), "%s",
		    name);
		d->log[d->nlog++].qtype = qtype;
	}
	memcpy(out, q, qend);
	o = qend;
	for (i = 0; i < d->nrules; i++) {
		r = &d->rules[i];
		if (strcasecmp(r->name, name) != 0)
			continue;
		known = 1;
		if (r->kind == FAKEDNS_SILENT)
			silent = 1;
		else if (r->kind == FAKEDNS_SERVFAIL)
			rcode = RCODE_SERVFAIL;
		else if (r->kind == FAKEDNS_NXDOMAIN && rcode == 0)
			rcode = RCODE_NXDOMAIN;
	}
	if (!known)
		rcode = RCODE_NXDOMAIN;
	for (i = 0; i < d->nrules && rcode == 0; i++) {
		r = &d->rules[i];
		if (strcasecmp(r->name, name) != 0)
			continue;
		if (!((r->kind == FAKEDNS_A && qtype == QTYPE_A) ||
		    (r->kind == FAKEDNS_AAAA && qtype == QTYPE_AAAA) ||
		    (r->kind == FAKEDNS_MX && qtype == QTYPE_MX)))
			continue;
		/* An answer that does not fit: truncated (RFC 1035 §4.1.1
		 * TC); there is no TCP here, so the client will fail. */
		rdl = r->kind == FAKEDNS_A ? 4 : r->kind == FAKEDNS_AAAA ? 16 :
		    2 + strlen(r->host) + 2;
		if (o + 12 + rdl > room) {
			tc = 1;
			break;
		}
		put16(out + o, 0xc00c);		/* the question's name */
		put16(out + o + 2, qtype);
		put16(out + o + 4, 1);		/* IN */
		put16(out + o + 6, 0);		/* TTL 60 */
		put16(out + o + 8, 60);
		if (r->kind == FAKEDNS_A) {
			rdl = 4;
			memcpy(out + o + 12, r->addr, 4);
		} else if (r->kind == FAKEDNS_AAAA) {
			rdl = 16;
			memcpy(out + o + 12, r->addr, 16);
		} else {
			put16(out + o + 12, r->pref);
			n = put_name(out + o + 14, room - o - 14, r->host);
			if (n == 0)
				break;
			rdl = 2 + n;
		}
		put16(out + o + 10, (unsigned)rdl);
		o += 12 + rdl;
		nans++;
	}
	pthread_mutex_unlock(&d->mu);
	if (silent)
		return 0;
	/* QR, the query's opcode and RD, AA, RA, rcode. */
	out[2] = (unsigned char)(0x80 | (q[2] & 0x79) | 0x04 |
	    (tc ? 0x02 : 0));
	out[3] = (unsigned char)(0x80 | rcode);
	put16(out + 4, 1);
	put16(out + 6, nans);
	put16(out + 8, 0);
	put16(out + 10, 0);
	return o;
}

static void *
serve(void *arg)
{
	struct fakedns		*d = arg;
	struct pollfd		 pfd[2];
	unsigned char		 q[MSG_MAX], out[MSG_MAX];
	struct sockaddr_storage	 from;
	socklen_t		 fromlen;
	ssize_t			 n;
	size_t			 alen;

	pfd[0].fd = d->fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = d->stop[0];
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents != 0)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		fromlen = sizeof(from);
		n = recvfrom(d->fd, q, sizeof(q), 0,
		    (struct sockaddr *)&from, &fromlen);
		if (n <= 0)
			continue;
		alen = answer(d, q, (size_t)n, out, sizeof(out));
		if (alen > 0)
			(void)sendto(d->fd, out, alen, 0,
			    (struct sockaddr *)&from, fromlen);
	}
	return NULL;
}

struct fakedns *
fakedns_start(char *err, size_t errlen)
{
	struct fakedns		*d;
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errlen, "fakedns: %s", strerror(errno));
		return NULL;
	}
	d->stop[0] = d->stop[1] = -1;
	pthread_mutex_init(&d->mu, NULL);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((d->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(d->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(d->fd, (struct sockaddr *)&sin, &sl) == -1 ||
	    pipe2(d->stop, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "fakedns: %s", strerror(errno));
		goto fail;
	}
	d->port = ntohs(sin.sin_port);
	snprintf(d->server, sizeof(d->server), "127.0.0.1:%u",
	    (unsigned)d->port);
	if ((errno = pthread_create(&d->thread, NULL, serve, d)) != 0) {
		snprintf(err, errlen, "fakedns: thread: %s", strerror(errno));
		goto fail;
	}
	return d;
fail:
	if (d->fd != -1)
		close(d->fd);
	if (d->stop[0] != -1) {
		close(d->stop[0]);
		close(d->stop[1]);
	}
	pthread_mutex_destroy(&d->mu);
	free(d);
	return NULL;
}

void
fakedns_stop(struct fakedns *d)
{
	ssize_t	w;

	if (d == NULL)
		return;
	/* A pipe with room for one byte: the write cannot fail here. */
	w = write(d->stop[1], "x", 1);
	(void)w;
	pthread_join(d->thread, NULL);
	close(d->fd);
	close(d->stop[0]);
	close(d->stop[1]);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

uint16_t
fakedns_port(const struct fakedns *d)
{
	return d->port;
}

const char *
fakedns_server(const struct fakedns *d)
{
	return d->server;
}

unsigned
fakedns_queries(struct fakedns *d, const char *name, unsigned qtype)
{
	char		n[256];
	unsigned	count = 0;
	size_t		i;

	if (name != NULL && norm_name(n, sizeof(n), name) == -1)
		return 0;
	pthread_mutex_lock(&d->mu);
	for (i = 0; i < d->nlog; i++)
		if ((name == NULL || strcasecmp(d->log[i].name, n) == 0) &&
		    (qtype == 0 || d->log[i].qtype == qtype))
			count++;
	pthread_mutex_unlock(&d->mu);
	return count;
}
