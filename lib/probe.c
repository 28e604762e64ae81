/*
 * probe.c: one SMTP port probe as an explicit state machine: connect
 * (several addresses, RFC 8305 style), implicit TLS (RFC 8314), banner,
 * EHLO (HELO fallback), STARTTLS (RFC 3207), EHLO again, QUIT.
 *
 * One enum of states with a name table and a phase table kept in step by
 * _Static_assert; one function (set_state) changes state and stamps the
 * phase timings; handlers return again / wait / done; time comes from the
 * caller ("now" of each step, so tests can fake it), plus the real time
 * the step itself has taken when a transition is stamped (probe_clock()).
 * The result starts PENDING;
 * the first failure wins; only the final transition of a completed
 * dialogue writes OK.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "caps.h"
#include "cert.h"
#include "ctx.h"
#include "probe.h"
#include "reply.h"
#include "sock.h"
#include "timeutil.h"
#include "tls.h"

/* RFC 8305 §5: the next address is tried when the previous one has not
 * connected within this delay. */
#define PROBE_ATTEMPT_DELAY_US	(250 * TIMEUTIL_US_PER_MS)
/* QUIT is best effort: a server that does not answer it must not hold an
 * otherwise finished probe until its deadline. */
#define PROBE_QUIT_GRACE_US	(1000 * TIMEUTIL_US_PER_MS)
#define PROBE_TRACE_MAX		(64 * 1024)
#define PROBE_MAX_STEPS		256

enum probe_state {
	PROBE_INIT,
	PROBE_RESOLVE,
	PROBE_CONNECT,
	PROBE_TLS_IMPLICIT,	/* RFC 8314: TLS before any SMTP */
	PROBE_BANNER,
	PROBE_EHLO,
	PROBE_HELO,		/* EHLO answered 500/502 */
	PROBE_STARTTLS,
	PROBE_TLS_STARTTLS,	/* handshake after the STARTTLS 220 */
	PROBE_EHLO_TLS,		/* RFC 3207 §4.2: EHLO again */
	PROBE_QUIT,
	PROBE_DONE,
	PROBE_STATE_COUNT
};

static const char *const state_names[] = {
	[PROBE_INIT] = "init",
	[PROBE_RESOLVE] = "resolve",
	[PROBE_CONNECT] = "connect",
	[PROBE_TLS_IMPLICIT] = "tls_implicit",
	[PROBE_BANNER] = "banner",
	[PROBE_EHLO] = "ehlo",
	[PROBE_HELO] = "helo",
	[PROBE_STARTTLS] = "starttls",
	[PROBE_TLS_STARTTLS] = "tls_starttls",
	[PROBE_EHLO_TLS] = "ehlo_tls",
	[PROBE_QUIT] = "quit",
	[PROBE_DONE] = "done",
};
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) ==
    PROBE_STATE_COUNT, "state_names out of step with enum probe_state");

/* The phase each state's time is counted in (TOTAL: not a phase). */
static const enum smtpprobe_phase state_phase[] = {
	[PROBE_INIT] = SMTPPROBE_PHASE_TOTAL,
	[PROBE_RESOLVE] = SMTPPROBE_PHASE_RESOLVE,
	[PROBE_CONNECT] = SMTPPROBE_PHASE_CONNECT,
	[PROBE_TLS_IMPLICIT] = SMTPPROBE_PHASE_TLS_HANDSHAKE,
	[PROBE_BANNER] = SMTPPROBE_PHASE_BANNER,
	[PROBE_EHLO] = SMTPPROBE_PHASE_EHLO,
	[PROBE_HELO] = SMTPPROBE_PHASE_EHLO,
	[PROBE_STARTTLS] = SMTPPROBE_PHASE_STARTTLS,
	[PROBE_TLS_STARTTLS] = SMTPPROBE_PHASE_TLS_HANDSHAKE,
	[PROBE_EHLO_TLS] = SMTPPROBE_PHASE_EHLO_TLS,
	[PROBE_QUIT] = SMTPPROBE_PHASE_QUIT,
	[PROBE_DONE] = SMTPPROBE_PHASE_TOTAL,
};
_Static_assert(sizeof(state_phase) / sizeof(state_phase[0]) ==
    PROBE_STATE_COUNT, "state_phase out of step with enum probe_state");

/* What a handler tells the stepping loop. */
enum probe_next {
	NEXT_AGAIN,		/* state changed: run the next handler */
	NEXT_WAIT,		/* wait for p->want on the socket or a timer */
	NEXT_RESOLVE,		/* wait for smtpprobe_set_addresses() */
	NEXT_DONE,
	NEXT_COUNT
};

/* Result of moving bytes. */
enum probe_io {
	IO_DONE,		/* all sent / a complete reply read */
	IO_WAIT,		/* p->want set */
	IO_FAILED,		/* the probe failed (outcome recorded) */
	IO_COUNT
};

struct probe_attempt {
	int		fd;
	size_t		addr;		/* index into addrs */
	int		rec;		/* index into res.attempts */
	int64_t		start;
};

struct smtpprobe {
	struct smtpprobe_ctx	*ctx;
	struct smtpprobe_result	 res;
	enum probe_state	 state;
	int			 started;
	int			 complete;	/* the mode's dialogue done */
	int64_t			 t0;		/* first step */
	int64_t			 step_now;	/* the current step's "now" */
	int64_t			 step_real;	/* and the real clock then */
	int64_t			 phase_start;
	int64_t			 deadline;
	int64_t			 quit_deadline;
	int64_t			 pre_resolve_us; /* resolved by the caller */

	char			*host;
	char			*verify_name;
	char			*sni;		/* NULL: none */
	char			*ca_file;	/* NULL: system store */
	char			*ehlo_name;	/* NULL: address literal */
	char			 ehlo_literal[80];
	int			 has_source;
	struct sock_addr	 source;
	int			 family;
	unsigned		 flags;
	enum smtpprobe_tls_version min_tls;

	/* Addresses, tried in order. */
	char			 addrs[SMTPPROBE_MAX_ADDRESSES][64];
	size_t			 naddrs, next_addr;
	struct probe_attempt	 att[SMTPPROBE_MAX_POLLFDS];
	size_t			 natt;
	int64_t			 last_attempt;
	int			 last_errno;
	int			 resolved;	/* set_addresses() called */
	enum smtpprobe_outcome	 resolve_outcome;
	char			 resolve_detail[128];

	/* The connection. */
	int			 fd;
	short			 want;		/* POLLIN / POLLOUT on fd */
	int			 tls_on;
	struct tls_conn		 tls;
	struct reply		 reply;
	/* One command ("EHLO " + 255 + CRLF); replies are read in small
	 * pieces, which keeps 10,000 probes cheap. */
	char			 out[300];
	size_t			 outlen, outoff;
	char			 in[1024];
	size_t			 inlen, inoff;

	/* The shared SSL_CTX (a reference), taken when the probe is made
	 * so that loading a trust store is never counted as a phase. */
	SSL_CTX			*ssl_ctx;
	char			 ssl_err[160];

	char			*trace;
	size_t			 tracelen, tracecap;
	char			 error[160];
};

static enum probe_next	 finish(struct smtpprobe *);
static void		 queue_hello(struct smtpprobe *, const char *);

/* ------------------------------------------------------------------ */
/* Small helpers. */

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static char *
dup_or_null(const char *s, int *fail)
{
	char	*d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*fail = 1;
	return d;
}

static int
is_ip_literal(const char *s)
{
	struct sock_addr	sa;

	return s != NULL && sock_addr_parse(&sa, s, 0) == 0;
}

/* An EHLO/HELO argument: 1..255 printable ASCII characters, no blanks. */
static int
valid_ehlo_name(const char *s)
{
	size_t	i, n = strlen(s);

	if (n == 0 || n > 255)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* Append one line to the transcript (with SMTPPROBE_F_TRACE), sanitised,
 * bounded to PROBE_TRACE_MAX. */
static void
trace_add(struct smtpprobe *p, const char *prefix, const char *text,
    size_t len)
{
	size_t	 need, plen = strlen(prefix);
	char	*n;

	if (!(p->flags & SMTPPROBE_F_TRACE))
		return;
	/* Sanitising can expand a byte to "\xHH": reserve 4x. */
	need = plen + 4 * len + 2;
	if (p->tracelen + need + 1 > PROBE_TRACE_MAX)
		return;
	if (p->tracelen + need + 1 > p->tracecap) {
		size_t cap = p->tracecap == 0 ? 1024 : p->tracecap;

		while (cap < p->tracelen + need + 1)
			cap *= 2;
		if (cap > PROBE_TRACE_MAX)
			cap = PROBE_TRACE_MAX;
		if ((n = realloc(p->trace, cap)) == NULL)
			return;
		p->trace = n;
		p->tracecap = cap;
	}
	memcpy(p->trace + p->tracelen, prefix, plen);
	p->tracelen += plen;
	p->tracelen += smtpprobe_sanitize(p->trace + p->tracelen,
	    p->tracecap - p->tracelen, text, len);
	p->trace[p->tracelen++] = '\n';
	p->trace[p->tracelen] = '\0';
	p->res.transcript = p->trace;
}

static void
tracef(struct smtpprobe *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
tracef(struct smtpprobe *p, const char *fmt, ...)
{
	char	buf[512];
	va_list	ap;
	int	n;

	if (!(p->flags & SMTPPROBE_F_TRACE))
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	trace_add(p, "* ", buf, strlen(buf));
}

/* ------------------------------------------------------------------ */
/* State, timing, outcome. */

/* Add the time since phase_start to phase ph (set_state's helper). */
static void
stamp(struct smtpprobe *p, enum smtpprobe_phase ph, int64_t now)
{
	int64_t	d;

	if (ph == SMTPPROBE_PHASE_TOTAL)
		return;
	/* The resolve phase is measured by whoever resolved. */
	if (ph == SMTPPROBE_PHASE_RESOLVE && p->res.phase_us[ph] >= 0)
		return;
	d = timeutil_sub(now, p->phase_start);
	if (d < 0)
		d = 0;
	if (p->res.phase_us[ph] < 0)
		p->res.phase_us[ph] = d;
	else
		p->res.phase_us[ph] = timeutil_add(p->res.phase_us[ph], d);
}

/*
 * The time of a transition: the "now" the step was called with, plus the
 * real time spent in the step so far.  A fast server can carry a whole
 * dialogue through one step, and a reply is often read long after the
 * step began (handshake CPU, the process being descheduled): a phase ends
 * when its reply was seen, not when the step started.  With a fake clock
 * the caller's time stays the base.
 */
static int64_t
probe_clock(const struct smtpprobe *p)
{
	return timeutil_add(p->step_now, timeutil_sub(smtpprobe_now(),
	    p->step_real));
}

/*
 * The only way to change state: stamps the time of the phase being left
 * (when the phase changes) and starts the next one, and starts a new reply
 * (every state reads at most one).
 */
static void
set_state(struct smtpprobe *p, enum probe_state next)
{
	enum smtpprobe_phase	from = state_phase[p->state];
	int64_t			now = probe_clock(p);

	if (from != state_phase[next] || p->state == PROBE_INIT) {
		stamp(p, from, now);
		p->phase_start = now;
	}
	p->state = next;
	reply_reset(&p->reply);
}

/*
 * The detail rule (smtpprobe.h, struct smtpprobe_result): the specific
 * reason only, never the outcome's own text again.  A detail that starts
 * with it (case-insensitively: "Connection refused" for refused) loses
 * that start and the separator after it; what is left may be "".
 */
static void
detail_strip(char *d, enum smtpprobe_outcome o)
{
	const char	*text = smtpprobe_outcome_text(o);
	size_t		 n = strlen(text), k;

	if (strncasecmp(d, text, n) != 0)
		return;
	k = n;
	while (d[k] == ':' || d[k] == ',' || d[k] == ';' || d[k] == ' ' ||
	    d[k] == '-')
		k++;
	memmove(d, d + k, strlen(d + k) + 1);
}

/* strerror(err) as a detail for outcome o: "" when the system's words
 * only repeat the outcome ("Connection refused" for refused). */
static const char *
errno_detail(int err, enum smtpprobe_outcome o)
{
	const char	*e = strerror(err);
	const char	*text = smtpprobe_outcome_text(o);

	return strncasecmp(e, text, strlen(text)) == 0 ? "" : e;
}

/*
 * Record a failure (the first one wins) in the current phase, without
 * changing state; detail is printf-style (see detail_strip()).
 */
static void
outcome(struct smtpprobe *p, enum smtpprobe_outcome o, int err,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
outcome(struct smtpprobe *p, enum smtpprobe_outcome o, int err,
    const char *fmt, ...)
{
	char	buf[sizeof(p->res.detail)];
	va_list	ap;

	if (p->res.outcome != SMTPPROBE_OUTCOME_PENDING)
		return;
	p->res.outcome = o;
	p->res.phase = state_phase[p->state];
	if (p->res.phase == SMTPPROBE_PHASE_TOTAL)
		p->res.phase = p->naddrs == 0 ? SMTPPROBE_PHASE_RESOLVE :
		    SMTPPROBE_PHASE_CONNECT;
	p->res.sys_errno = err;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	detail_strip(buf, o);
	smtpprobe_sanitize(p->res.detail, sizeof(p->res.detail), buf,
	    strlen(buf));
	tracef(p, "%s in %s: %s", smtpprobe_outcome_name(o),
	    smtpprobe_phase_name(p->res.phase), p->res.detail);
}

/* Record how connect attempt record rec ended (struct smtpprobe_attempt);
 * start is when it began. */
static void
attempt_end(struct smtpprobe *p, int rec, int64_t start,
    enum smtpprobe_outcome o, int err)
{
	struct smtpprobe_attempt	*a;
	int64_t				 d;

	if (rec < 0 || rec >= p->res.nattempts)
		return;
	a = &p->res.attempts[rec];
	a->outcome = o;
	a->sys_errno = err;
	d = timeutil_sub(probe_clock(p), start);
	a->connect_us = d < 0 ? 0 : d;
}

/*
 * Close every connect attempt's socket but keep (-1: all).  The attempts
 * closed were still connecting: abandoned (PENDING), or TIMEOUT if the
 * probe ends because its deadline came (or it was cancelled).
 */
static void
close_attempts(struct smtpprobe *p, int keep)
{
	int	timedout = p->res.outcome == SMTPPROBE_OUTCOME_TIMEOUT;
	size_t	i;

	for (i = 0; i < p->natt; i++)
		if (p->att[i].fd != keep && p->att[i].fd != -1) {
			close(p->att[i].fd);
			attempt_end(p, p->att[i].rec, p->att[i].start,
			    timedout ? SMTPPROBE_OUTCOME_TIMEOUT :
			    SMTPPROBE_OUTCOME_PENDING,
			    timedout ? p->res.sys_errno : 0);
		}
	p->natt = 0;
}

/* Say close_notify if TLS is up (never waits), close everything. */
static void
close_conn(struct smtpprobe *p)
{
	if (p->tls.ssl != NULL) {
		if (p->tls_on)
			tls_conn_shutdown(&p->tls);
		tls_conn_free(&p->tls);
	}
	p->tls_on = 0;
	if (p->fd != -1) {
		close(p->fd);
		p->fd = -1;
	}
	close_attempts(p, -1);
}

/* The last transition: only here can OK be written, and only for a
 * completed dialogue. */
static enum probe_next
finish(struct smtpprobe *p)
{
	if (p->state == PROBE_DONE)
		return NEXT_DONE;
	set_state(p, PROBE_DONE);
	p->res.phase_us[SMTPPROBE_PHASE_TOTAL] = timeutil_add(timeutil_sub(
	    p->phase_start, p->t0), p->pre_resolve_us);
	close_conn(p);
	if (p->res.outcome == SMTPPROBE_OUTCOME_PENDING) {
		if (p->complete) {
			p->res.outcome = SMTPPROBE_OUTCOME_OK;
			p->res.phase = SMTPPROBE_PHASE_TOTAL;
		} else {
			p->res.outcome = SMTPPROBE_OUTCOME_INTERNAL;
			p->res.phase = SMTPPROBE_PHASE_TOTAL;
			snprintf(p->res.detail, sizeof(p->res.detail),
			    "probe ended without an outcome");
		}
	}
	p->want = 0;
	return NEXT_DONE;
}

/* Queue one command line (CRLF added) and trace it. */
static void
queue_cmd(struct smtpprobe *p, const char *cmd)
{
	size_t	n = strlen(cmd);

	if (n + 2 > sizeof(p->out))
		n = sizeof(p->out) - 2;
	memcpy(p->out, cmd, n);
	memcpy(p->out + n, "\r\n", 2);
	p->outlen = n + 2;
	p->outoff = 0;
	trace_add(p, "C: ", cmd, n);
}

/*
 * Go to QUIT: send it (the dialogue got far enough that a polite client
 * says goodbye), read its reply on a short leash.  Failures there are
 * never the probe's outcome.
 */
static enum probe_next
enter_quit(struct smtpprobe *p, int64_t now)
{
	queue_cmd(p, "QUIT");
	set_state(p, PROBE_QUIT);
	p->quit_deadline = timeutil_min(p->deadline,
	    timeutil_add(now, PROBE_QUIT_GRACE_US));
	return NEXT_AGAIN;
}

/* Fail and close at once (nothing sensible can be said any more). */
static enum probe_next
fail_close(struct smtpprobe *p, enum smtpprobe_outcome o, int err,
    const char *detail)
{
	outcome(p, o, err, "%s", detail);
	return finish(p);
}

/* Fail, then say QUIT (the server is speaking SMTP). */
static enum probe_next
fail_quit(struct smtpprobe *p, int64_t now, enum smtpprobe_outcome o,
    const char *detail)
{
	outcome(p, o, 0, "%s", detail);
	return enter_quit(p, now);
}

/* ------------------------------------------------------------------ */
/* I/O on the established connection (plain or TLS). */

/* A socket or TLS failure while talking: the outcome it means. */
/*
 * OpenSSL's reason for a failed TLS call (tls.c words it "TLS handshake
 * failed: <reason>"; the outcome text already says that much): the
 * reason alone for the handshake, "on TLS read: <reason>" after it.
 */
static void
tls_reason(const struct smtpprobe *p, char *buf, size_t len)
{
	static const char *const pre[] = { "TLS handshake failed: ",
	    "TLS read failed: ", "TLS write failed: " };
	static const char *const ctx[] = { "", "on TLS read: ",
	    "on TLS write: " };
	const char	*e = p->tls.err;
	size_t		 i;

	if (*e == '\0') {
		snprintf(buf, len, "unknown TLS error");
		return;
	}
	for (i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
		if (strncmp(e, pre[i], strlen(pre[i])) == 0) {
			snprintf(buf, len, "%s%s", ctx[i], e + strlen(pre[i]));
			return;
		}
	snprintf(buf, len, "%s", e);
}

static enum probe_io
io_failed(struct smtpprobe *p, enum tls_status st, int err)
{
	enum smtpprobe_outcome	o;
	char			buf[200];

	if (p->state == PROBE_QUIT) {
		/* An early close after QUIT is not an error. */
		finish(p);
		return IO_FAILED;
	}
	switch (st) {
	case TLS_CLOSED:
		fail_close(p, SMTPPROBE_OUTCOME_CLOSED, 0,
		    "EOF from the server");
		break;
	case TLS_SYSERR:
		o = sock_errno_outcome(err, 1);
		fail_close(p, o, err, errno_detail(err, o));
		break;
	case TLS_FAILED:
	default:
		tls_reason(p, buf, sizeof(buf));
		fail_close(p, SMTPPROBE_OUTCOME_TLS_FAILED, 0, buf);
		break;
	}
	return IO_FAILED;
}

/* Send what is queued in p->out. */
static enum probe_io
flush_out(struct smtpprobe *p)
{
	enum tls_status	st;
	ssize_t		r;
	size_t		n;

	while (p->outoff < p->outlen) {
		if (p->tls_on) {
			st = tls_conn_write(&p->tls, p->out + p->outoff,
			    p->outlen - p->outoff, &n);
			if (st == TLS_WANT_READ || st == TLS_WANT_WRITE) {
				p->want = st == TLS_WANT_READ ? POLLIN :
				    POLLOUT;
				return IO_WAIT;
			}
			if (st != TLS_OK)
				return io_failed(p, st,
				    p->tls.sys_errno);
		} else {
			r = sock_send(p->fd, p->out + p->outoff,
			    p->outlen - p->outoff);
			if (r == -1) {
				if (errno == EAGAIN || errno == EWOULDBLOCK) {
					p->want = POLLOUT;
					return IO_WAIT;
				}
				return io_failed(p, TLS_SYSERR, errno);
			}
			n = (size_t)r;
		}
		p->outoff += n;
	}
	return IO_DONE;
}

/* Read once from the connection into p->in. */
static enum probe_io
fill_in(struct smtpprobe *p)
{
	enum tls_status	st;
	ssize_t		r;
	size_t		n;

	p->inoff = p->inlen = 0;
	if (p->tls_on) {
		st = tls_conn_read(&p->tls, p->in, sizeof(p->in), &n);
		if (st == TLS_WANT_READ || st == TLS_WANT_WRITE) {
			p->want = st == TLS_WANT_READ ? POLLIN : POLLOUT;
			return IO_WAIT;
		}
		if (st != TLS_OK)
			return io_failed(p, st, p->tls.sys_errno);
	} else {
		r = sock_recv(p->fd, p->in, sizeof(p->in),
		    !(p->flags & SMTPPROBE_F_NO_QUICKACK));
		if (r == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				p->want = POLLIN;
				return IO_WAIT;
			}
			return io_failed(p, TLS_SYSERR, errno);
		}
		if (r == 0)
			return io_failed(p, TLS_CLOSED, 0);
		n = (size_t)r;
	}
	p->inlen = n;
	return IO_DONE;
}

/* The reply just read, line by line, into the transcript. */
static void
trace_reply(struct smtpprobe *p)
{
	char	head[8];
	size_t	i;
	const char *l;

	if (!(p->flags & SMTPPROBE_F_TRACE))
		return;
	for (i = 0; i < p->reply.nlines; i++) {
		l = reply_line(&p->reply, i);
		snprintf(head, sizeof(head), "S: %03d%c", p->reply.code,
		    i + 1 < p->reply.nlines ? '-' : ' ');
		trace_add(p, head, l != NULL ? l : "", l != NULL ?
		    strlen(l) : 0);
	}
}

/*
 * Send the queued command, then read one complete reply (RFC 5321 §4.2),
 * judging bytes as they arrive: leftover input from an earlier read is
 * fed first.  On IO_DONE the reply is in p->reply.
 */
static enum probe_io
exchange(struct smtpprobe *p)
{
	enum reply_status	rs;
	enum probe_io		io;
	size_t			used;

	if ((io = flush_out(p)) != IO_DONE)
		return io;
	for (;;) {
		if (p->inoff < p->inlen) {
			rs = reply_feed(&p->reply, p->in + p->inoff,
			    p->inlen - p->inoff, &used);
			if (rs == REPLY_DONE) {
				p->inoff += used;
				trace_reply(p);
				return IO_DONE;
			}
			if (rs == REPLY_ERROR) {
				if (p->state == PROBE_QUIT) {
					finish(p);
					return IO_FAILED;
				}
				fail_close(p,
				    SMTPPROBE_OUTCOME_PROTOCOL_ERROR, 0,
				    reply_error(&p->reply) != NULL ?
				    reply_error(&p->reply) : "bad reply");
				return IO_FAILED;
			}
			p->inoff = p->inlen;
		}
		if ((io = fill_in(p)) != IO_DONE)
			return io;
	}
}

/* Copy the reply just read (code, sanitised text) into the result. */
static void
store_reply(struct smtpprobe *p, struct smtpprobe_reply *r)
{
	r->code = p->reply.code;
	reply_text(&p->reply, r->text, sizeof(r->text));
}

/* ------------------------------------------------------------------ */
/* Handlers, one per state. */

/*
 * Start connecting to the next address.  Returns 0 (the attempt is in
 * flight, or failed at once: last_errno), or -1 if binding to the source
 * address failed (a local problem: the probe fails as internal).
 */
static int
start_attempt(struct smtpprobe *p, int64_t now)
{
	struct sock_addr	 sa;
	struct smtpprobe_attempt *a;
	size_t			 i = p->next_addr++;
	int			 fd, bind_failed, rec;
	int64_t			 start = probe_clock(p);

	snprintf(p->res.address, sizeof(p->res.address), "%s", p->addrs[i]);
	p->res.addresses_tried++;
	p->last_attempt = now;
	/* One record per attempt (at most one per address). */
	rec = p->res.nattempts;
	if (rec < SMTPPROBE_MAX_ADDRESSES) {
		a = &p->res.attempts[rec];
		_Static_assert(sizeof(a->address) == sizeof(p->addrs[0]),
		    "attempt address and candidate address sizes differ");
		memcpy(a->address, p->addrs[i], sizeof(a->address));
		a->outcome = SMTPPROBE_OUTCOME_PENDING;
		a->sys_errno = 0;
		a->connect_us = 0;
		p->res.nattempts++;
	} else
		rec = -1;
	if (sock_addr_parse(&sa, p->addrs[i], p->res.port) == -1) {
		p->last_errno = EINVAL;
		attempt_end(p, rec, start, SMTPPROBE_OUTCOME_INTERNAL, EINVAL);
		return 0;
	}
	fd = sock_connect(&sa, p->has_source ? &p->source : NULL,
	    &bind_failed);
	tracef(p, "connecting to %s port %u%s", p->addrs[i],
	    (unsigned)p->res.port, fd == -1 ? " failed" : "");
	if (fd == -1) {
		p->last_errno = errno;
		attempt_end(p, rec, start, bind_failed ?
		    SMTPPROBE_OUTCOME_INTERNAL :
		    sock_errno_outcome(p->last_errno, 0), p->last_errno);
		return bind_failed ? -1 : 0;
	}
	p->att[p->natt].fd = fd;
	p->att[p->natt].addr = i;
	p->att[p->natt].rec = rec;
	p->att[p->natt].start = start;
	p->natt++;
	return 0;
}

/* Enter a handshake state (next) with a fresh TLS connection on p->fd. */
static enum probe_next
start_tls(struct smtpprobe *p, enum probe_state next)
{
	char	 err[200];

	set_state(p, next);
	if (p->ssl_ctx == NULL)
		return fail_close(p, SMTPPROBE_OUTCOME_INTERNAL, 0,
		    p->ssl_err);
	if (tls_conn_start(&p->tls, p->ssl_ctx, p->fd, p->sni, p->min_tls,
	    !(p->flags & SMTPPROBE_F_NO_QUICKACK), &p->res.cert, err,
	    sizeof(err)) == -1)
		return fail_close(p, SMTPPROBE_OUTCOME_INTERNAL, 0, err);
	return NEXT_AGAIN;
}

/* Attempt k connected: it wins, the others are closed; on to TLS (RFC
 * 8314) or the banner. */
static enum probe_next
connected(struct smtpprobe *p, size_t k)
{
	p->fd = p->att[k].fd;
	snprintf(p->res.address, sizeof(p->res.address), "%s",
	    p->addrs[p->att[k].addr]);
	attempt_end(p, p->att[k].rec, p->att[k].start, SMTPPROBE_OUTCOME_OK,
	    0);
	close_attempts(p, p->fd);
	p->res.connected = 1;
	tracef(p, "connected to %s port %u", p->res.address,
	    (unsigned)p->res.port);
	if (p->ehlo_name == NULL &&
	    sock_local_literal(p->fd, p->ehlo_literal,
	    sizeof(p->ehlo_literal)) == -1)
		snprintf(p->ehlo_literal, sizeof(p->ehlo_literal),
		    "localhost");
	if (p->res.mode == SMTPPROBE_MODE_TLS)
		return start_tls(p, PROBE_TLS_IMPLICIT);
	set_state(p, PROBE_BANNER);
	return NEXT_AGAIN;
}

/*
 * CONNECT: finish attempts in flight, start the next address when nothing
 * is in flight or the last attempt has had PROBE_ATTEMPT_DELAY_US (RFC
 * 8305 §5), fail with the last error when no address is left.
 */
static enum probe_next
h_connect(struct smtpprobe *p, int64_t now)
{
	enum smtpprobe_outcome	o;
	char			buf[160];
	size_t			i;
	int			r;

	/* Attempts in flight: did one connect, or fail? */
	for (i = 0; i < p->natt; ) {
		r = sock_connect_result(p->att[i].fd, 0);
		if (r == 1)
			return connected(p, i);
		if (r == -1 && (errno == ECONNRESET ||
		    errno == ECONNABORTED)) {
			/* Only a RST to the SYN is ECONNREFUSED: this one
			 * came after the handshake completed, before we
			 * looked.  The connect succeeded; the reset belongs
			 * to the phase after it (PRODUCT.md: "reset after it
			 * was established"). */
			int	e = errno;
			enum probe_next	n = connected(p, i);

			if (p->state == PROBE_DONE)
				return n;
			tracef(p, "connection reset by the server");
			return fail_close(p, SMTPPROBE_OUTCOME_RESET, e,
			    errno_detail(e, SMTPPROBE_OUTCOME_RESET));
		}
		if (r == -1) {
			p->last_errno = errno;
			snprintf(p->res.address, sizeof(p->res.address), "%s",
			    p->addrs[p->att[i].addr]);
			tracef(p, "connect to %s: %s",
			    p->addrs[p->att[i].addr], strerror(p->last_errno));
			attempt_end(p, p->att[i].rec, p->att[i].start,
			    sock_errno_outcome(p->last_errno, 0),
			    p->last_errno);
			close(p->att[i].fd);
			p->att[i] = p->att[--p->natt];
			continue;
		}
		i++;
	}
	/* Start the next address now if nothing is in flight, or if the
	 * last attempt has had its 250 ms. */
	while (p->next_addr < p->naddrs && p->natt < SMTPPROBE_MAX_POLLFDS &&
	    (p->natt == 0 || now >= timeutil_add(p->last_attempt,
	    PROBE_ATTEMPT_DELAY_US))) {
		if (start_attempt(p, now) == -1) {
			snprintf(buf, sizeof(buf),
			    "cannot bind to the source address: %s",
			    strerror(p->last_errno));
			return fail_close(p, SMTPPROBE_OUTCOME_INTERNAL,
			    p->last_errno, buf);
		}
	}
	if (p->natt == 0) {
		o = sock_errno_outcome(p->last_errno, 0);
		return fail_close(p, o, p->last_errno,
		    errno_detail(p->last_errno, o));
	}
	p->want = POLLOUT;
	return NEXT_WAIT;
}

static const char *
min_tls_text(const struct smtpprobe *p)
{
	return p->min_tls == SMTPPROBE_TLS_DEFAULT ? "1.2" :
	    smtpprobe_tls_version_name(p->min_tls);
}

/* After a completed handshake: on to the banner (implicit TLS) or to
 * EHLO again (STARTTLS). */
static enum probe_next
after_tls(struct smtpprobe *p)
{
	if (p->state == PROBE_TLS_IMPLICIT) {
		set_state(p, PROBE_BANNER);
		return NEXT_AGAIN;
	}
	/* RFC 3207 §4.2: forget what was learned, EHLO again. */
	queue_hello(p, "EHLO");
	set_state(p, PROBE_EHLO_TLS);
	return NEXT_AGAIN;
}

/*
 * TLS_IMPLICIT / TLS_STARTTLS: drive the handshake; when it completes,
 * record version, cipher and the certificate facts, apply the verdict
 * (unless told not to judge), and go on in the next turn.
 */
static enum probe_next
h_tls(struct smtpprobe *p)
{
	enum smtpprobe_outcome	 o;
	enum tls_status		 st;
	char			 buf[200];
	X509			*leaf;

	if (p->tls_on)
		return after_tls(p);
	st = tls_conn_handshake(&p->tls);
	switch (st) {
	case TLS_OK:
		break;
	case TLS_WANT_READ:
	case TLS_WANT_WRITE:
		p->want = st == TLS_WANT_READ ? POLLIN : POLLOUT;
		return NEXT_WAIT;
	case TLS_CLOSED:
		return fail_close(p, SMTPPROBE_OUTCOME_CLOSED, 0,
		    "EOF during the TLS handshake");
	case TLS_SYSERR:
		snprintf(buf, sizeof(buf), "TLS handshake: %s",
		    strerror(p->tls.sys_errno));
		return fail_close(p,
		    sock_errno_outcome(p->tls.sys_errno, 1),
		    p->tls.sys_errno, buf);
	case TLS_FAILED:
	default:
		if (p->tls.version_fail) {
			snprintf(buf, sizeof(buf),
			    "no common TLS version >= %s", min_tls_text(p));
			return fail_close(p, SMTPPROBE_OUTCOME_TLS_FAILED,
			    0, buf);
		}
		tls_reason(p, buf, sizeof(buf));
		return fail_close(p, SMTPPROBE_OUTCOME_TLS_FAILED, 0, buf);
	}
	p->tls_on = 1;
	p->res.tls_up = 1;
	snprintf(p->res.tls_version, sizeof(p->res.tls_version), "%s",
	    tls_conn_version(&p->tls));
	snprintf(p->res.tls_cipher, sizeof(p->res.tls_cipher), "%s",
	    tls_conn_cipher(&p->tls));
	tracef(p, "TLS handshake done %s %s", p->res.tls_version,
	    p->res.tls_cipher);
	/* The facts first, whatever the verdict. */
	leaf = SSL_get0_peer_certificate(p->tls.ssl);
	cert_extract_leaf(&p->res.cert, leaf);
	cert_extract_chain(&p->res.cert, SSL_get_peer_cert_chain(p->tls.ssl));
	cert_check_name(&p->res.cert, leaf, p->verify_name);
	o = cert_judge(&p->res.cert,
	    !(p->flags & SMTPPROBE_F_INSECURE_NO_VERIFY));
	if (o != SMTPPROBE_OUTCOME_OK) {
		/*
		 * The verdict is recorded now (phase tls_handshake) and the
		 * dialogue goes on to learn the rest (banner, capabilities);
		 * nothing secret is ever sent.
		 */
		outcome(p, o, 0, "%s", p->res.cert.verify_text);
	} else if (p->res.cert.nverify_errors > 0)
		tracef(p, "certificate not verified (not judged): %s",
		    p->res.cert.verify_text);
	/*
	 * The next phase starts in the next turn of the step loop, with the
	 * clock read again: the CPU spent on the server's flight (key
	 * exchange, chain verification) belongs to the handshake.
	 */
	return NEXT_AGAIN;
}

static void
queue_hello(struct smtpprobe *p, const char *verb)
{
	char	buf[300];

	snprintf(buf, sizeof(buf), "%s %s", verb, p->ehlo_name != NULL ?
	    p->ehlo_name : p->ehlo_literal);
	queue_cmd(p, buf);
}

/* What a handler returns when exchange() did not produce a reply. */
static enum probe_next
wait_or_stop(struct smtpprobe *p, enum probe_io io)
{
	return io == IO_WAIT ? NEXT_WAIT :
	    p->state == PROBE_DONE ? NEXT_DONE : NEXT_AGAIN;
}

/* BANNER: wait out the whole greeting (never speak early); 220 -> EHLO,
 * 4xx/5xx -> banner_rejected (then QUIT), anything else -> not SMTP. */
static enum probe_next
h_banner(struct smtpprobe *p, int64_t now)
{
	enum probe_io	io;
	char		buf[80];
	int		code;

	if ((io = exchange(p)) != IO_DONE)
		return wait_or_stop(p, io);
	store_reply(p, &p->res.banner);
	code = p->reply.code;
	if (code == 220) {
		queue_hello(p, "EHLO");
		set_state(p, PROBE_EHLO);
		return NEXT_AGAIN;
	}
	snprintf(buf, sizeof(buf), "code %d", code);
	if (code >= 400 && code <= 599)
		return fail_quit(p, now, SMTPPROBE_OUTCOME_BANNER_REJECTED,
		    buf);
	snprintf(buf, sizeof(buf), "unexpected greeting code %d", code);
	return fail_close(p, SMTPPROBE_OUTCOME_PROTOCOL_ERROR, 0, buf);
}

/* The mode's dialogue after a successful EHLO/HELO before TLS. */
static enum probe_next
after_hello(struct smtpprobe *p, int64_t now, int helo)
{
	switch (p->res.mode) {
	case SMTPPROBE_MODE_PLAIN:
	case SMTPPROBE_MODE_TLS:
		p->complete = 1;
		return enter_quit(p, now);
	case SMTPPROBE_MODE_STARTTLS:
		if (helo)
			return fail_quit(p, now,
			    SMTPPROBE_OUTCOME_STARTTLS_NOT_OFFERED,
			    "EHLO not supported (HELO only), no STARTTLS");
		if (!(p->res.caps.flags & SMTPPROBE_CAP_STARTTLS))
			return fail_quit(p, now,
			    SMTPPROBE_OUTCOME_STARTTLS_NOT_OFFERED,
			    "not in the EHLO reply");
		queue_cmd(p, "STARTTLS");
		set_state(p, PROBE_STARTTLS);
		return NEXT_AGAIN;
	case SMTPPROBE_MODE_COUNT:
	default:
		return fail_close(p, SMTPPROBE_OUTCOME_INTERNAL, 0,
		    "bad mode");
	}
}

/* Where the first EHLO's capabilities go. */
static struct smtpprobe_caps *
hello_caps(struct smtpprobe *p)
{
	/* In implicit TLS mode the first EHLO is already inside TLS. */
	return p->res.mode == SMTPPROBE_MODE_TLS ? &p->res.caps_tls :
	    &p->res.caps;
}

/* EHLO: 250 -> capabilities; 500/502 -> HELO; else ehlo_rejected. */
static enum probe_next
h_ehlo(struct smtpprobe *p, int64_t now)
{
	enum probe_io	io;
	char		buf[80];
	int		code;

	if ((io = exchange(p)) != IO_DONE)
		return wait_or_stop(p, io);
	store_reply(p, &p->res.ehlo);
	code = p->reply.code;
	if (code == 250) {
		caps_parse(&p->reply, hello_caps(p));
		return after_hello(p, now, 0);
	}
	if (code == 500 || code == 502) {
		/* RFC 5321 §4.1.1.1, §3.2: an old server; try HELO. */
		queue_hello(p, "HELO");
		set_state(p, PROBE_HELO);
		return NEXT_AGAIN;
	}
	snprintf(buf, sizeof(buf), "EHLO answered %d", code);
	return fail_quit(p, now, SMTPPROBE_OUTCOME_EHLO_REJECTED, buf);
}

/* HELO (after EHLO 500/502): 250 is enough for plain and tls modes, not
 * for starttls (no EHLO, no STARTTLS); else ehlo_rejected. */
static enum probe_next
h_helo(struct smtpprobe *p, int64_t now)
{
	struct smtpprobe_caps	*c;
	enum probe_io		 io;
	char			 buf[80];
	int			 code;

	if ((io = exchange(p)) != IO_DONE)
		return wait_or_stop(p, io);
	store_reply(p, &p->res.ehlo);
	code = p->reply.code;
	if (code == 250) {
		c = hello_caps(p);
		memset(c, 0, sizeof(*c));
		c->helo = 1;
		return after_hello(p, now, 1);
	}
	snprintf(buf, sizeof(buf), "HELO refused too (answered %d)", code);
	return fail_quit(p, now, SMTPPROBE_OUTCOME_EHLO_REJECTED, buf);
}

/* STARTTLS: 220 and nothing after it -> handshake; another code ->
 * starttls_rejected (then QUIT); trailing data -> protocol_error. */
static enum probe_next
h_starttls(struct smtpprobe *p, int64_t now)
{
	enum probe_io	io;
	char		buf[80], extra[64];
	ssize_t		r;

	if ((io = exchange(p)) != IO_DONE)
		return wait_or_stop(p, io);
	store_reply(p, &p->res.starttls);
	if (p->reply.code != 220) {
		snprintf(buf, sizeof(buf), "STARTTLS answered %d",
		    p->reply.code);
		return fail_quit(p, now, SMTPPROBE_OUTCOME_STARTTLS_REJECTED,
		    buf);
	}
	/*
	 * CVE-2011-0411: anything the server sent after its 220 and before
	 * the handshake would be read as if it came through TLS.  Look at
	 * what was read with the 220 and at what is already waiting.
	 */
	r = p->inoff < p->inlen ? 1 : sock_recv(p->fd, extra, sizeof(extra),
	    0);
	if (r > 0)
		return fail_close(p, SMTPPROBE_OUTCOME_PROTOCOL_ERROR, 0,
		    "data after the STARTTLS 220 reply (command injection)");
	if (r == 0)
		return fail_close(p, SMTPPROBE_OUTCOME_CLOSED, 0,
		    "EOF after the STARTTLS 220 reply");
	if (errno != EAGAIN && errno != EWOULDBLOCK) {
		int e = errno;

		return fail_close(p, sock_errno_outcome(e, 1), e,
		    errno_detail(e, sock_errno_outcome(e, 1)));
	}
	p->inoff = p->inlen = 0;
	return start_tls(p, PROBE_TLS_STARTTLS);
}

/* EHLO_TLS: the second EHLO completes the starttls dialogue. */
static enum probe_next
h_ehlo_tls(struct smtpprobe *p, int64_t now)
{
	enum probe_io	io;
	char		buf[80];

	if ((io = exchange(p)) != IO_DONE)
		return wait_or_stop(p, io);
	store_reply(p, &p->res.ehlo_tls);
	if (p->reply.code == 250) {
		caps_parse(&p->reply, &p->res.caps_tls);
		p->complete = 1;
		return enter_quit(p, now);
	}
	/* No HELO fallback after TLS: a server that spoke ESMTP before it
	 * must do so after (RFC 3207 §4.2). */
	snprintf(buf, sizeof(buf), "EHLO after STARTTLS answered %d",
	    p->reply.code);
	return fail_quit(p, now, SMTPPROBE_OUTCOME_EHLO_REJECTED, buf);
}

/* QUIT: any reply, or none, ends the probe (best effort). */
static enum probe_next
h_quit(struct smtpprobe *p)
{
	enum probe_io	io;

	if ((io = exchange(p)) != IO_DONE)
		return wait_or_stop(p, io);
	store_reply(p, &p->res.quit);
	return finish(p);
}

/* ------------------------------------------------------------------ */
/* The public API. */

struct smtpprobe *
smtpprobe_new(struct smtpprobe_ctx *ctx, const struct smtpprobe_params *pa,
    char *err, size_t errlen)
{
	struct smtpprobe	*p;
	struct sock_addr	 sa;
	char			 hn[256];
	const char		*vn, *a;
	size_t			 i;
	int			 fail = 0;

	if (ctx == NULL || pa == NULL) {
		set_err(err, errlen, "no context or parameters");
		return NULL;
	}
	if (pa->host == NULL || *pa->host == '\0' ||
	    strlen(pa->host) >= sizeof(p->res.host)) {
		set_err(err, errlen, "missing or too long host");
		return NULL;
	}
	if (pa->port == 0) {
		set_err(err, errlen, "port must be 1..65535");
		return NULL;
	}
	if ((unsigned)pa->mode >= SMTPPROBE_MODE_COUNT ||
	    (unsigned)pa->min_tls >= SMTPPROBE_TLS_COUNT) {
		set_err(err, errlen, "bad mode or minimum TLS version");
		return NULL;
	}
	if (pa->family != AF_UNSPEC && pa->family != AF_INET &&
	    pa->family != AF_INET6) {
		set_err(err, errlen, "bad address family");
		return NULL;
	}
	if (pa->deadline <= 0) {
		set_err(err, errlen, "missing deadline");
		return NULL;
	}
	if (pa->naddresses > SMTPPROBE_MAX_ADDRESSES ||
	    (pa->naddresses > 0 && pa->addresses == NULL)) {
		set_err(err, errlen, "at most %d addresses",
		    SMTPPROBE_MAX_ADDRESSES);
		return NULL;
	}
	for (i = 0; i < pa->naddresses; i++) {
		a = pa->addresses[i];
		if (a == NULL || strlen(a) >= sizeof(p->addrs[0]) ||
		    sock_addr_parse(&sa, a, 0) == -1) {
			set_err(err, errlen, "address %zu is not numeric", i);
			return NULL;
		}
	}
	if (pa->ehlo_name != NULL && !valid_ehlo_name(pa->ehlo_name)) {
		set_err(err, errlen, "bad EHLO name");
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	p->ctx = ctx;
	p->fd = -1;
	p->state = PROBE_INIT;
	p->deadline = pa->deadline;
	p->family = pa->family;
	p->flags = pa->flags;
	p->min_tls = pa->min_tls;
	reply_init(&p->reply);
	for (i = 0; i < SMTPPROBE_PHASE_COUNT; i++)
		p->res.phase_us[i] = -1;
	p->res.outcome = SMTPPROBE_OUTCOME_PENDING;
	p->res.phase = SMTPPROBE_PHASE_TOTAL;
	p->res.port = pa->port;
	p->res.mode = pa->mode;
	smtpprobe_sanitize(p->res.host, sizeof(p->res.host), pa->host,
	    strlen(pa->host));

	if (pa->source_address != NULL) {
		if (sock_addr_parse(&p->source, pa->source_address, 0) == -1) {
			set_err(err, errlen, "source address is not numeric");
			goto fail;
		}
		p->has_source = 1;
	}
	p->host = dup_or_null(pa->host, &fail);
	vn = pa->verify_name != NULL && *pa->verify_name != '\0' ?
	    pa->verify_name : pa->host;
	p->verify_name = dup_or_null(vn, &fail);
	/* RFC 6066 §3: SNI carries a host name, never an IP literal. */
	if (pa->sni != NULL && *pa->sni != '\0')
		vn = pa->sni;
	if (!is_ip_literal(vn))
		p->sni = dup_or_null(vn, &fail);
	p->ca_file = dup_or_null(pa->ca_file != NULL && *pa->ca_file != '\0' ?
	    pa->ca_file : NULL, &fail);
	if (pa->ehlo_name != NULL)
		p->ehlo_name = dup_or_null(pa->ehlo_name, &fail);
	else if (gethostname(hn, sizeof(hn)) == 0 &&
	    (hn[sizeof(hn) - 1] = '\0', strchr(hn, '.') != NULL) &&
	    valid_ehlo_name(hn))
		p->ehlo_name = dup_or_null(hn, &fail);
	if (fail) {
		set_err(err, errlen, "out of memory");
		goto fail;
	}
	if (pa->mode != SMTPPROBE_MODE_PLAIN)
		p->ssl_ctx = ctx_ssl(ctx, p->ca_file, p->ssl_err,
		    sizeof(p->ssl_err));

	if (pa->naddresses > 0) {
		for (i = 0; i < pa->naddresses; i++)
			snprintf(p->addrs[i], sizeof(p->addrs[i]), "%s",
			    pa->addresses[i]);
		p->naddrs = pa->naddresses;
		/* Resolved by the caller: its time is this probe's resolve
		 * phase, and TOTAL covers it (finish()). */
		p->pre_resolve_us = pa->resolve_us > 0 ? pa->resolve_us : 0;
		p->res.phase_us[SMTPPROBE_PHASE_RESOLVE] = p->pre_resolve_us;
	} else if (is_ip_literal(pa->host)) {
		if (strlen(pa->host) >= sizeof(p->addrs[0])) {
			set_err(err, errlen, "bad address");
			goto fail;
		}
		snprintf(p->addrs[0], sizeof(p->addrs[0]), "%s", pa->host);
		p->naddrs = 1;
		/* An IP literal never goes to DNS. */
		p->res.phase_us[SMTPPROBE_PHASE_RESOLVE] = 0;
	}
	return p;
fail:
	smtpprobe_free(p);
	return NULL;
}

void
smtpprobe_free(struct smtpprobe *p)
{
	if (p == NULL)
		return;
	close_conn(p);
	SSL_CTX_free(p->ssl_ctx);
	reply_free(&p->reply);
	free(p->host);
	free(p->verify_name);
	free(p->sni);
	free(p->ca_file);
	free(p->ehlo_name);
	free(p->trace);
	free(p);
}

/* Keep only the addresses of the wanted family (and of the source
 * address's family, if one is set). */
static void
filter_family(struct smtpprobe *p)
{
	struct sock_addr	sa;
	size_t			i, n = 0;

	for (i = 0; i < p->naddrs; i++) {
		if (sock_addr_parse(&sa, p->addrs[i], 0) == -1)
			continue;
		if (p->family != AF_UNSPEC && sa.family != p->family)
			continue;
		if (p->has_source && sa.family != p->source.family)
			continue;
		if (n != i)
			memcpy(p->addrs[n], p->addrs[i], sizeof(p->addrs[n]));
		n++;
	}
	p->naddrs = n;
}

/* The first step, or the step after the resolver answered: go on to
 * connecting, or fail in the resolve phase. */
static enum probe_next
h_resolve(struct smtpprobe *p)
{
	if (p->naddrs == 0 && !p->resolved)
		return NEXT_RESOLVE;
	if (p->resolved && p->naddrs == 0) {
		return fail_close(p, p->resolve_outcome, 0,
		    p->resolve_detail);
	}
	filter_family(p);
	if (p->naddrs == 0)
		return fail_close(p, SMTPPROBE_OUTCOME_RESOLVE_FAILED, 0,
		    p->family == AF_INET ? "no IPv4 address" :
		    p->family == AF_INET6 ? "no IPv6 address" :
		    "no usable address");
	set_state(p, PROBE_CONNECT);
	return NEXT_AGAIN;
}

/* Run the handler of the current state; default is an internal error. */
static enum probe_next
dispatch(struct smtpprobe *p, int64_t now)
{
	switch (p->state) {
	case PROBE_INIT:
		set_state(p, PROBE_RESOLVE);
		return NEXT_AGAIN;
	case PROBE_RESOLVE:
		return h_resolve(p);
	case PROBE_CONNECT:
		return h_connect(p, now);
	case PROBE_TLS_IMPLICIT:
	case PROBE_TLS_STARTTLS:
		return h_tls(p);
	case PROBE_BANNER:
		return h_banner(p, now);
	case PROBE_EHLO:
		return h_ehlo(p, now);
	case PROBE_HELO:
		return h_helo(p, now);
	case PROBE_STARTTLS:
		return h_starttls(p, now);
	case PROBE_EHLO_TLS:
		return h_ehlo_tls(p, now);
	case PROBE_QUIT:
		return h_quit(p);
	case PROBE_DONE:
		return NEXT_DONE;
	case PROBE_STATE_COUNT:
	default:
		return fail_close(p, SMTPPROBE_OUTCOME_INTERNAL, 0,
		    "bad probe state");
	}
}

int
smtpprobe_step(struct smtpprobe *p, int64_t now)
{
	enum probe_next	n;
	int		i;
	char		buf[120];

	if (p == NULL)
		return SMTPPROBE_ERROR;
	if (p->state == PROBE_DONE)
		return SMTPPROBE_DONE;
	if (!p->started) {
		p->started = 1;
		p->t0 = now;
		p->phase_start = now;
	}
	p->step_now = now;
	p->step_real = smtpprobe_now();
	for (i = 0; i < PROBE_MAX_STEPS; i++) {
		/* Decisions too use the step's time plus what it has taken
		 * (see probe_clock()). */
		if (i > 0)
			now = probe_clock(p);
		/* No phase outlives the deadline. */
		if (now >= p->deadline || (p->state == PROBE_QUIT &&
		    now >= p->quit_deadline)) {
			if (p->state == PROBE_QUIT) {
				finish(p);
				return SMTPPROBE_DONE;
			}
			if (p->state == PROBE_INIT)
				set_state(p, PROBE_RESOLVE);
			if (p->state == PROBE_RESOLVE && p->naddrs > 0)
				set_state(p, PROBE_CONNECT);
			snprintf(buf, sizeof(buf), "no answer in %s",
			    smtpprobe_phase_name(state_phase[p->state]));
			fail_close(p, SMTPPROBE_OUTCOME_TIMEOUT,
			    ETIMEDOUT, buf);
			return SMTPPROBE_DONE;
		}
		n = dispatch(p, now);
		switch (n) {
		case NEXT_AGAIN:
			if (p->state == PROBE_DONE)
				return SMTPPROBE_DONE;
			continue;
		case NEXT_WAIT:
			return SMTPPROBE_WANT_IO;
		case NEXT_RESOLVE:
			return SMTPPROBE_WANT_RESOLVE;
		case NEXT_DONE:
			return SMTPPROBE_DONE;
		case NEXT_COUNT:
		default:
			break;
		}
		break;
	}
	snprintf(buf, sizeof(buf), "probe state machine did not settle (%s)",
	    state_names[p->state]);
	fail_close(p, SMTPPROBE_OUTCOME_INTERNAL, 0, buf);
	return SMTPPROBE_DONE;
}

size_t
smtpprobe_pollfds(const struct smtpprobe *p, struct pollfd *fds, size_t nfds)
{
	size_t	i, n = 0;

	if (p == NULL || fds == NULL)
		return 0;
	switch (p->state) {
	case PROBE_CONNECT:
		for (i = 0; i < p->natt && n < nfds; i++) {
			fds[n].fd = p->att[i].fd;
			fds[n].events = POLLOUT;
			fds[n].revents = 0;
			n++;
		}
		return n;
	case PROBE_INIT:
	case PROBE_RESOLVE:
	case PROBE_DONE:
	case PROBE_STATE_COUNT:
		return 0;
	default:
		if (p->fd == -1 || nfds == 0 || p->want == 0)
			return 0;
		fds[0].fd = p->fd;
		fds[0].events = p->want;
		fds[0].revents = 0;
		return 1;
	}
}

int64_t
smtpprobe_next_timeout(const struct smtpprobe *p)
{
	int64_t	t;

	if (p == NULL || p->state == PROBE_DONE)
		return INT64_MAX;
	t = p->deadline;
	if (p->state == PROBE_CONNECT && p->next_addr < p->naddrs &&
	    p->natt < SMTPPROBE_MAX_POLLFDS)
		t = timeutil_min(t, timeutil_add(p->last_attempt,
		    PROBE_ATTEMPT_DELAY_US));
	if (p->state == PROBE_QUIT)
		t = timeutil_min(t, p->quit_deadline);
	return t;
}

int
smtpprobe_set_addresses(struct smtpprobe *p, const char *const *addresses,
    size_t naddresses, int64_t resolve_us,
    enum smtpprobe_outcome failure_outcome, const char *detail)
{
	struct sock_addr	sa;
	size_t			i;

	if (p == NULL || p->state != PROBE_RESOLVE || p->resolved ||
	    (naddresses > 0 && addresses == NULL)) {
		if (p != NULL)
			snprintf(p->error, sizeof(p->error),
			    "probe is not waiting for addresses");
		return -1;
	}
	p->resolved = 1;
	p->res.phase_us[SMTPPROBE_PHASE_RESOLVE] = resolve_us < 0 ? 0 :
	    resolve_us;
	p->naddrs = 0;
	for (i = 0; i < naddresses && p->naddrs < SMTPPROBE_MAX_ADDRESSES;
	    i++) {
		if (addresses[i] == NULL ||
		    strlen(addresses[i]) >= sizeof(p->addrs[0]) ||
		    sock_addr_parse(&sa, addresses[i], 0) == -1)
			continue;
		snprintf(p->addrs[p->naddrs++], sizeof(p->addrs[0]), "%s",
		    addresses[i]);
	}
	switch (failure_outcome) {
	case SMTPPROBE_OUTCOME_TIMEOUT:
	case SMTPPROBE_OUTCOME_INTERNAL:
	case SMTPPROBE_OUTCOME_RESOLVE_FAILED:
		p->resolve_outcome = failure_outcome;
		break;
	default:
		p->resolve_outcome = SMTPPROBE_OUTCOME_RESOLVE_FAILED;
		break;
	}
	snprintf(p->resolve_detail, sizeof(p->resolve_detail), "%s",
	    detail != NULL && *detail != '\0' ? detail :
	    naddresses > 0 ? "no usable address" : "no address");
	return 0;
}

void
smtpprobe_cancel(struct smtpprobe *p, int64_t now)
{
	if (p == NULL || p->state == PROBE_DONE)
		return;
	if (!p->started) {
		p->started = 1;
		p->t0 = now;
		p->phase_start = now;
	}
	p->step_now = now;
	p->step_real = smtpprobe_now();
	if (p->state == PROBE_INIT)
		set_state(p, PROBE_RESOLVE);
	if (p->state == PROBE_QUIT) {
		finish(p);
		return;
	}
	fail_close(p, SMTPPROBE_OUTCOME_TIMEOUT, ECANCELED, "cancelled");
}

const struct smtpprobe_result *
smtpprobe_result(const struct smtpprobe *p)
{
	return p != NULL ? &p->res : NULL;
}

const char *
smtpprobe_error(const struct smtpprobe *p)
{
	if (p == NULL)
		return "no probe";
	return p->error[0] != '\0' ? p->error : "no error";
}

const char *
probe_host(const struct smtpprobe *p)
{
	return p->host;
}

int
probe_family(const struct smtpprobe *p)
{
	return p->family;
}

int64_t
probe_deadline(const struct smtpprobe *p)
{
	return p->deadline;
}

int
probe_done(const struct smtpprobe *p)
{
	return p->state == PROBE_DONE;
}
