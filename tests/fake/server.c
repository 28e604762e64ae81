/*
 * server.c: the fake SMTP server's engine.  One thread, epoll (level
 * triggered), non-blocking sockets, a binary heap of timers.  Each
 * connection runs its scenario's steps (server.h) through one function,
 * conn_run(), which advances as far as it can without blocking and then
 * says what it waits for.  Memory per connection is fixed (about 1 KiB of
 * input; output points into the static scenario text or a generator), so
 * hostile scenarios (endless, 10 MB lines) and 10,000 connections stay
 * bounded.
 */
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "server.h"

#define MAX_LISTENERS	64
#define INBUF		1024		/* longer lines: cut, logged */
/* Bytes written per turn, so one client cannot starve the others. */
#define WRITE_SLICE	(256 * 1024)
/* After our FIN, how long we wait for the client's (ms). */
#define DRAIN_MS	5000
#define LOG_LINE	512
#define BIGLINE		4000		/* SERVER_OP_LINES filler */

enum obj_kind {
	OBJ_LISTENER,
	OBJ_CONN,
	OBJ_EOF_WATCH,
	OBJ_SIGNALS,
	OBJ_COUNT
};

/* What a connection waits for when conn_run() returns. */
enum wait_kind {
	WAIT_NONE,
	WAIT_READ,
	WAIT_WRITE,
	WAIT_TIMER,
	WAIT_HOLD,		/* NOREAD: only the peer's close */
	WAIT_COUNT
};

struct obj {
	enum obj_kind	 kind;
};

struct listener {
	struct obj			 obj;
	int				 fd;
	uint16_t			 port;
	const struct server_scenario	*sc;
	struct server			*srv;
};

struct conn {
	struct obj	 obj;
	int		 fd;
	unsigned	 id;
	struct listener	*l;
	struct server	*srv;
	size_t		 pc;			/* step index */
	SSL		*ssl;
	int		 tls_up;

	/* Output: static text (never copied), a repeat flag or a
	 * generator of filler bytes. */
	const char	*out;
	size_t		 outlen;
	size_t		 outoff;
	int		 repeat;
	uint64_t	 stream_left;
	long		 drip_ms;
	int64_t		 next_write;		/* drip, ms */
	int		 close_after;		/* after flush */

	char		 in[INBUF];
	size_t		 inlen;
	int		 skipping;		/* cut line's rest */

	int		 greeted;
	int		 early_logged;		/* this turn */
	int		 listening;		/* client's turn */
	int		 peer_gone;
	int		 draining;
	int64_t		 delay_until;		/* ms, 0: none */
	long		 lines_done;		/* SERVER_OP_LINES */
	char		*scratch;		/* its line, or NULL */

	int64_t		 timer;			/* ms, 0: none */
	size_t		 heap_idx;
	struct conn	*prev;			/* all connections */
	struct conn	*next;
	uint32_t	 events;		/* registered */
};

struct server {
	int			 ep;
	const struct tlsgen	*tg;
	long			 slow_ms;
	server_log_fn		*log;
	void			*log_arg;
	struct listener		*listeners[MAX_LISTENERS];
	size_t			 nlisteners;
	struct obj		 eof_obj;
	int			 eof_fd;
	struct obj		 sig_obj;
	int			 sig_fd;
	int			 stop;
	int			 nagle;		/* leave Nagle on */
	int			 spare_fd;	/* closed to shed a
						   connection at the
						   fd limit */
	unsigned		 next_id;
	struct conn		*conns;		/* open connections */
	struct conn		**heap;
	size_t			 heaplen;
	size_t			 heapcap;
};

static char		filler_buf[65536];

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- logging ----------------------------------------------------- */

static void __attribute__((format(printf, 2, 3)))
conn_log(struct conn *c, const char *fmt, ...)
{
	char	buf[LOG_LINE];
	va_list	ap;

	if (c->srv->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	c->srv->log(c->srv->log_arg, c->id, c->l->port, buf);
}

/* Printable form of untrusted bytes: \xHH for anything but ASCII text. */
static void
printable(char *dst, size_t dstlen, const char *src, size_t len)
{
	size_t	i, o = 0;

	for (i = 0; i < len && o + 5 < dstlen; i++) {
		unsigned char	ch = (unsigned char)src[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			dst[o++] = (char)ch;
		else
			o += (size_t)snprintf(dst + o, dstlen - o, "\\x%02x",
			    ch);
	}
	if (i < len && o + 4 < dstlen) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

/* ---- timers: a binary min-heap on conn->timer -------------------- */

static void
heap_swap(struct server *s, size_t a, size_t b)
{
	struct conn	*t = s->heap[a];

	s->heap[a] = s->heap[b];
	s->heap[b] = t;
	s->heap[a]->heap_idx = a;
	s->heap[b]->heap_idx = b;
}

static void
heap_up(struct server *s, size_t i)
{
	while (i > 0 && s->heap[(i - 1) / 2]->timer > s->heap[i]->timer) {
		heap_swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(struct server *s, size_t i)
{
	for (;;) {
		size_t	l = 2 * i + 1, r = l + 1, m = i;

		if (l < s->heaplen && s->heap[l]->timer < s->heap[m]->timer)
			m = l;
		if (r < s->heaplen && s->heap[r]->timer < s->heap[m]->timer)
			m = r;
		if (m == i)
			return;
		heap_swap(s, i, m);
		i = m;
	}
}

static void
timer_del(struct conn *c)
{
	struct server	*s = c->srv;
	size_t		 i = c->heap_idx;

	if (c->timer == 0)
		return;
	c->timer = 0;
	s->heaplen--;
	if (i != s->heaplen) {
		s->heap[i] = s->heap[s->heaplen];
		s->heap[i]->heap_idx = i;
		heap_down(s, i);
		heap_up(s, i);
	}
}

/* Arm c's timer at ms (monotonic); -1 if out of memory. */
static int
timer_set(struct conn *c, int64_t at)
{
	struct server	*s = c->srv;

	timer_del(c);
	if (s->heaplen == s->heapcap) {
		size_t		 ncap = s->heapcap ? s->heapcap * 2 : 256;
		struct conn	**n = reallocarray(s->heap, ncap,
		    sizeof(*n));

		if (n == NULL)
			return -1;
		s->heap = n;
		s->heapcap = ncap;
	}
	c->timer = at > 0 ? at : 1;
	c->heap_idx = s->heaplen;
	s->heap[s->heaplen++] = c;
	heap_up(s, c->heap_idx);
	return 0;
}

/* ---- connections ------------------------------------------------- */

static void
conn_free(struct conn *c, const char *why)
{
	conn_log(c, "close: %s", why);
	timer_del(c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	if (c->fd != -1)
		close(c->fd);
	free(c->scratch);
	free(c);
}

/* Register the events c waits for (EPOLLRDHUP always: a peer that
 * leaves is noticed even when we do not read). */
static int
conn_want(struct conn *c, uint32_t ev)
{
	struct epoll_event	e;

	ev |= EPOLLRDHUP;
	if (ev == c->events)
		return 0;
	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.ptr = c;
	if (epoll_ctl(c->srv->ep, EPOLL_CTL_MOD, c->fd, &e) == -1)
		return -1;
	c->events = ev;
	return 0;
}

/*
 * Read what is there into c->in.  Returns bytes read (> 0), 0 at EOF, -1
 * on error, -2 when nothing is there yet (*want gets the event).
 */
static ssize_t
conn_read(struct conn *c, uint32_t *want)
{
	size_t	room = sizeof(c->in) - c->inlen;
	ssize_t	n;

	*want = EPOLLIN;
	if (room == 0)
		return -1;
	if (c->ssl != NULL) {
		int	r, e;

		ERR_clear_error();
		r = SSL_read(c->ssl, c->in + c->inlen, (int)room);
		if (r > 0) {
			c->inlen += (size_t)r;
			return r;
		}
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			return -2;
		if (e == SSL_ERROR_WANT_WRITE) {
			*want = EPOLLOUT;
			return -2;
		}
		if (e == SSL_ERROR_ZERO_RETURN)
			return 0;
		if (e == SSL_ERROR_SSL &&
		    ERR_GET_REASON(ERR_peek_error()) ==
		    SSL_R_UNEXPECTED_EOF_WHILE_READING)
			return 0;
		return -1;
	}
	n = recv(c->fd, c->in + c->inlen, room, 0);
	if (n > 0) {
		c->inlen += (size_t)n;
		return n;
	}
	if (n == 0)
		return 0;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return -2;
	return -1;
}

/*
 * Take one line (without its line end) from c->in into line.  A line
 * longer than the buffer is cut, and its rest skipped.  Returns 1 with a
 * line, 0 if none is complete yet.
 */
static int
conn_line(struct conn *c, char *line, size_t linelen, size_t *len)
{
	char	*lf;
	size_t	 n, take;

	for (;;) {
		lf = memchr(c->in, '\n', c->inlen);
		if (c->skipping) {
			if (lf == NULL) {
				c->inlen = 0;
				return 0;
			}
			n = (size_t)(lf - c->in) + 1;
			memmove(c->in, c->in + n, c->inlen - n);
			c->inlen -= n;
			c->skipping = 0;
			continue;
		}
		if (lf == NULL && c->inlen < sizeof(c->in))
			return 0;
		if (lf == NULL) {
			n = c->inlen;
			c->skipping = 1;
		} else
			n = (size_t)(lf - c->in) + 1;
		take = n;
		if (take > 0 && c->in[take - 1] == '\n')
			take--;
		if (take > 0 && c->in[take - 1] == '\r')
			take--;
		if (take >= linelen)
			take = linelen - 1;
		memcpy(line, c->in, take);
		line[take] = '\0';
		*len = take;
		memmove(c->in, c->in + n, c->inlen - n);
		c->inlen -= n;
		return 1;
	}
}

/* Write one chunk through TLS or the socket.  Returns bytes, -2 to wait
 * (*want set), -1 on error. */
static ssize_t
conn_write(struct conn *c, const char *buf, size_t len, uint32_t *want)
{
	ssize_t	n;

	*want = EPOLLOUT;
	if (c->ssl != NULL) {
		int	r, e;

		ERR_clear_error();
		r = SSL_write(c->ssl, buf, (int)(len > INT32_MAX ? INT32_MAX :
		    len));
		if (r > 0)
			return r;
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_WRITE)
			return -2;
		if (e == SSL_ERROR_WANT_READ) {
			*want = EPOLLIN;
			return -2;
		}
		return -1;
	}
	n = send(c->fd, buf, len, MSG_NOSIGNAL);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return -2;
	return -1;
}

/* Results of conn_flush(). */
#define FLUSH_DONE	0
#define FLUSH_WAIT	1	/* *want set */
#define FLUSH_TIMER	2	/* drip: timer armed */
#define FLUSH_ERROR	3

/* Send pending output: text, repeated text, drip or filler stream. */
static int
conn_flush(struct conn *c, int64_t now, uint32_t *want)
{
	size_t	sent = 0;
	ssize_t	n;

	while (c->outoff < c->outlen || c->stream_left > 0) {
		const char	*p;
		size_t		 len;

		if (sent >= WRITE_SLICE) {
			*want = EPOLLOUT;
			return FLUSH_WAIT;
		}
		if (c->outoff < c->outlen) {
			p = c->out + c->outoff;
			len = c->outlen - c->outoff;
			if (c->drip_ms > 0) {
				if (now < c->next_write) {
					if (timer_set(c, c->next_write) == -1)
						return FLUSH_ERROR;
					return FLUSH_TIMER;
				}
				len = 1;
			}
		} else {
			p = filler_buf;
			len = c->stream_left < sizeof(filler_buf) ?
			    (size_t)c->stream_left : sizeof(filler_buf);
		}
		n = conn_write(c, p, len, want);
		if (n == -2)
			return FLUSH_WAIT;
		if (n < 0)
			return FLUSH_ERROR;
		sent += (size_t)n;
		if (c->outoff < c->outlen) {
			c->outoff += (size_t)n;
			if (c->drip_ms > 0)
				c->next_write = now + c->drip_ms;
			if (c->outoff == c->outlen && c->repeat)
				c->outoff = 0;
		} else
			c->stream_left -= (uint64_t)n;
	}
	c->drip_ms = 0;
	return FLUSH_DONE;
}

static void
conn_send(struct conn *c, const char *text, size_t len)
{
	c->out = text;
	c->outlen = len;
	c->outoff = 0;
	c->repeat = 0;
	c->drip_ms = 0;
}

/* Does line start with verb (case-insensitive) followed by end or space? */
static int
verb_is(const char *line, size_t len, const char *verb)
{
	size_t	vl = strlen(verb);

	if (len < vl || strncasecmp(line, verb, vl) != 0)
		return 0;
	return len == vl || line[vl] == ' ';
}

/* Start an orderly close: close_notify, FIN, then read until the
 * client's FIN (so our close never turns into an RST). */
static void
conn_begin_close(struct conn *c, int64_t now)
{
	if (c->ssl != NULL) {
		ERR_clear_error();
		(void)SSL_shutdown(c->ssl);
	}
	(void)shutdown(c->fd, SHUT_WR);
	c->draining = 1;
	c->greeted = 1;
	c->out = NULL;
	c->outlen = c->outoff = 0;
	c->stream_left = 0;
	c->repeat = 0;
	(void)timer_set(c, now + DRAIN_MS);
}

static void
conn_reset(struct conn *c)
{
	struct linger	lg = { 1, 0 };

	(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	conn_free(c, "reset");
}

/*
 * Peek at bytes a client sends while the server has not finished its
 * turn: before the complete greeting (RFC 5321 §4.3.1; postscreen
 * blocklists such talkers) or in the middle of a multi-line reply, and
 * log them once per turn.  Returns -1 if the client has gone.
 */
static int
conn_check_early(struct conn *c)
{
	char	buf[128], pr[LOG_LINE / 2];
	ssize_t	n;

	if (c->listening || c->early_logged)
		return 0;
	if (c->ssl != NULL) {
		int	r;

		ERR_clear_error();
		r = SSL_peek(c->ssl, buf, sizeof(buf));
		if (r > 0)
			n = r;
		else if (SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN)
			n = 0;
		else {
			ERR_clear_error();
			n = -1;
		}
	} else
		n = recv(c->fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (n > 0) {
		printable(pr, sizeof(pr), buf, (size_t)n);
		conn_log(c, "EARLY: %s%s", c->greeted ? "(in a reply) " : "",
		    pr);
		c->early_logged = 1;
	} else if (n == 0)
		return -1;
	return 0;
}

/* Steps at which the server has said all it has to say and listens. */
static int
step_listens(enum server_op op)
{
	return op == SERVER_OP_EXPECT || op == SERVER_OP_WAITDATA ||
	    op == SERVER_OP_END || op == SERVER_OP_NOREAD;
}

/* Log a command line (marked EARLY before the greeting was complete). */
static void
conn_log_line(struct conn *c, const char *line, size_t len, int after_close)
{
	char	pr[LOG_LINE - 32];

	printable(pr, sizeof(pr), line, len);
	conn_log(c, "%s%s: %s", c->greeted ? "" : "EARLY ",
	    after_close ? "C-after-close" : "C", pr);
}

/* TLS step: wait for the ClientHello, then run the handshake. */
static int
conn_tls(struct conn *c, const struct server_step *st, uint32_t *want)
{
	SSL_CTX		*ctx;
	unsigned char	 b;
	ssize_t		 n;
	int		 r, e;

	*want = EPOLLIN;
	if (c->ssl == NULL) {
		if (c->inlen > 0) {
			char	pr[128];

			printable(pr, sizeof(pr), c->in, c->inlen);
			conn_log(c, "TLS: client sent data before the "
			    "handshake: %s", pr);
			return -1;
		}
		n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n == 0) {
			conn_log(c, "TLS: eof before the handshake");
			return -1;
		}
		if (n < 0)
			return (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR) ? 0 : -1;
		if (b != 0x16) {
			char	buf[256], pr[256];

			n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
			printable(pr, sizeof(pr), buf, n > 0 ? (size_t)n : 0);
			conn_log(c, "TLS: not a handshake: %s", pr);
			return -1;
		}
		ctx = c->srv->tg != NULL ? tlsgen_ctx(c->srv->tg,
		    (enum tlsgen_kind)st->n) : NULL;
		if (ctx == NULL) {
			conn_log(c, "TLS: no TLS material");
			return -1;
		}
		if ((c->ssl = SSL_new(ctx)) == NULL ||
		    SSL_set_fd(c->ssl, c->fd) != 1) {
			conn_log(c, "TLS: SSL_new failed");
			return -1;
		}
		SSL_set_accept_state(c->ssl);
	}
	ERR_clear_error();
	r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		const char	*sni = SSL_get_servername(c->ssl,
		    TLSEXT_NAMETYPE_host_name);
		char		 pr[300];

		printable(pr, sizeof(pr), sni != NULL ? sni : "-",
		    sni != NULL ? strlen(sni) : 1);
		c->tls_up = 1;
		conn_log(c, "TLS: ok %s %s sni=%s", SSL_get_version(c->ssl),
		    SSL_get_cipher_name(c->ssl), pr);
		return 1;
	}
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ)
		return 0;
	if (e == SSL_ERROR_WANT_WRITE) {
		*want = EPOLLOUT;
		return 0;
	}
	{
		char		 buf[160];
		unsigned long	 err = ERR_get_error();

		if (err != 0)
			ERR_error_string_n(err, buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "%s",
			    e == SSL_ERROR_SYSCALL ? "eof or socket error" :
			    "unknown");
		conn_log(c, "TLS: failed: %s", buf);
	}
	SSL_free(c->ssl);	/* no close_notify on a broken session */
	c->ssl = NULL;
	return -1;
}

/*
 * The connection state machine: run c's steps as far as possible without
 * blocking, then register what it waits for.  May free c.  The one place
 * that advances c->pc.
 */
static void
conn_run(struct conn *c)
{
	int64_t	now = now_ms();
	char	line[INBUF + 1];
	size_t	len;
	ssize_t	n;
	uint32_t want = 0;

	for (;;) {
		const struct server_step	*st;
		enum wait_kind			 wait = WAIT_NONE;

		/*
		 * A fresh clock for every step: one pass can read a command
		 * that arrived while this process was not scheduled, and a
		 * DELAY counted from a stale instant would end early as the
		 * client measures it (a 150 ms delay seen as 136 ms).
		 */
		now = now_ms();
		if (c->draining) {
			n = conn_read(c, &want);
			if (n == 0) {
				conn_free(c, "server");
				return;
			}
			if (n == -1) {
				conn_free(c, "server (client error)");
				return;
			}
			while (conn_line(c, line, sizeof(line), &len))
				conn_log_line(c, line, len, 1);
			if (n > 0)
				continue;
			if (c->timer != 0 && now >= c->timer) {
				conn_free(c, "server (client never closed)");
				return;
			}
			if (conn_want(c, want) == -1)
				conn_free(c, "error epoll");
			return;
		}
		st = &c->l->sc->steps[c->pc];
		if (c->outoff >= c->outlen && c->stream_left == 0 &&
		    (step_listens(st->op) || st->op == SERVER_OP_CLOSE ||
		    st->op == SERVER_OP_RESET)) {
			/* Done talking (closing counts: a client that
			 * answers the greeting just before our FIN is not
			 * early). */
			if (!c->greeted && step_listens(st->op)) {
				c->greeted = 1;
				conn_log(c, "greeted");
			}
			c->early_logged = 0;	/* its turn to speak */
			c->listening = 1;
		} else if (st->op != SERVER_OP_IDLE)
			c->listening = 0;
		/* The implicit-TLS client speaks first, legitimately. */
		if (st->op != SERVER_OP_TLS && conn_check_early(c) == -1) {
			conn_free(c, "client (before the greeting)");
			return;
		}
		if (c->outoff < c->outlen || c->stream_left > 0) {
			switch (conn_flush(c, now, &want)) {
			case FLUSH_DONE:
				break;
			case FLUSH_WAIT:
				if (!c->listening && !c->early_logged)
					want |= EPOLLIN;
				if (conn_want(c, want) == -1)
					conn_free(c, "error epoll");
				return;
			case FLUSH_TIMER:
				if (c->peer_gone) {
					conn_free(c, "client");
					return;
				}
				(void)conn_want(c, c->listening ||
				    c->early_logged ? 0 : EPOLLIN);
				return;
			default:
				conn_free(c, "error writing");
				return;
			}
			if (c->close_after) {
				conn_begin_close(c, now);
				continue;
			}
			continue;
		}
		switch (st->op) {
		case SERVER_OP_SEND:
			conn_send(c, st->text, strlen(st->text));
			c->pc++;
			continue;
		case SERVER_OP_RAW:
			conn_send(c, st->text, (size_t)st->n);
			c->pc++;
			continue;
		case SERVER_OP_DRIP:
			conn_send(c, st->text, strlen(st->text));
			c->drip_ms = st->n;
			c->next_write = now;
			c->pc++;
			continue;
		case SERVER_OP_ENDLESS:
			conn_send(c, st->text, strlen(st->text));
			c->repeat = 1;
			continue;	/* never leaves this step */
		case SERVER_OP_STREAM:
			c->stream_left = (uint64_t)st->n;
			c->pc++;
			continue;
		case SERVER_OP_LINES:
			if (c->lines_done == st->n) {
				c->lines_done = 0;
				free(c->scratch);
				c->scratch = NULL;
				c->pc++;
				continue;
			}
			if (c->scratch == NULL) {
				size_t	pl = strlen(st->text);

				if ((c->scratch = malloc(pl + BIGLINE + 2)) ==
				    NULL) {
					conn_free(c, "error out of memory");
					return;
				}
				memcpy(c->scratch, st->text, pl);
				memset(c->scratch + pl, 'x', BIGLINE);
				memcpy(c->scratch + pl + BIGLINE, "\r\n", 2);
			}
			conn_send(c, c->scratch, strlen(st->text) + BIGLINE +
			    2);
			c->lines_done++;
			continue;
		case SERVER_OP_DELAY:
			if (c->delay_until == 0) {
				long ms = st->n < 0 ? c->srv->slow_ms : st->n;

				c->delay_until = now + ms;
			}
			if (now >= c->delay_until) {
				c->delay_until = 0;
				timer_del(c);
				c->pc++;
				continue;
			}
			if (timer_set(c, c->delay_until) == -1) {
				conn_free(c, "error out of memory");
				return;
			}
			wait = WAIT_TIMER;
			break;
		case SERVER_OP_TLS:
			switch (conn_tls(c, st, &want)) {
			case 1:
				c->pc++;
				continue;
			case 0:
				wait = want == EPOLLOUT ? WAIT_WRITE :
				    WAIT_READ;
				break;
			default:
				conn_begin_close(c, now);
				continue;
			}
			break;
		case SERVER_OP_CLOSE:
			c->pc++;
			conn_begin_close(c, now);
			continue;
		case SERVER_OP_RESET:
			conn_reset(c);
			return;
		case SERVER_OP_NOREAD:
			if (c->peer_gone) {
				conn_free(c, "client");
				return;
			}
			wait = WAIT_HOLD;
			break;
		case SERVER_OP_WAITDATA:
		case SERVER_OP_EXPECT:
		case SERVER_OP_IDLE:
		case SERVER_OP_END:
			if (st->op == SERVER_OP_WAITDATA && c->inlen > 0) {
				conn_log(c, "DATA: %zu bytes", c->inlen);
				c->inlen = 0;
				c->pc++;
				continue;
			}
			if (st->op != SERVER_OP_WAITDATA &&
			    conn_line(c, line, sizeof(line), &len)) {
				conn_log_line(c, line, len, 0);
				if (st->op == SERVER_OP_IDLE)
					continue;
				if (verb_is(line, len, "QUIT") &&
				    !(st->op == SERVER_OP_EXPECT &&
				    st->n == 1)) {
					conn_send(c, "221 2.0.0 Bye\r\n", 15);
					c->close_after = 1;
					continue;
				}
				if (st->op == SERVER_OP_END) {
					conn_send(c, "250 2.0.0 Ok\r\n", 14);
					continue;
				}
				if (verb_is(line, len, st->text)) {
					c->pc++;
					continue;
				}
				conn_send(c, "503 5.5.1 Error: bad sequence "
				    "of commands\r\n", 42);
				continue;
			}
			n = conn_read(c, &want);
			if (n > 0)
				continue;
			if (n == 0) {
				conn_free(c, "client");
				return;
			}
			if (n == -1) {
				conn_free(c, c->inlen == sizeof(c->in) ?
				    "error input overflow" :
				    "error reading");
				return;
			}
			wait = want == EPOLLOUT ? WAIT_WRITE : WAIT_READ;
			break;
		default:
			conn_free(c, "error bad scenario step");
			return;
		}

		/* Register what we wait for. */
		switch (wait) {
		case WAIT_READ:
			want = EPOLLIN;
			break;
		case WAIT_WRITE:
			want = EPOLLOUT;
			break;
		case WAIT_TIMER:
		case WAIT_HOLD:
			if (c->peer_gone && c->greeted) {
				conn_free(c, "client");
				return;
			}
			want = c->listening || c->early_logged ? 0 : EPOLLIN;
			break;
		default:
			conn_free(c, "error bad wait");
			return;
		}
		if (conn_want(c, want) == -1)
			conn_free(c, "error epoll");
		return;
	}
}

static void
conn_event(struct conn *c, uint32_t ev)
{
	if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->peer_gone = 1;
	conn_run(c);
}

static void
listener_accept(struct listener *l)
{
	struct server		*s = l->srv;
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	int			 fd, i, one = 1;

	for (i = 0; i < 256; i++) {
		struct conn		*c;
		struct epoll_event	 e;
		char			 host[INET6_ADDRSTRLEN] = "?";
		uint16_t		 port = 0;

		sl = sizeof(ss);
		fd = accept4(l->fd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1 && (errno == EMFILE || errno == ENFILE) &&
		    s->spare_fd != -1) {
			/* At the fd limit: shed this connection rather than
			 * spin on a listener that stays readable. */
			close(s->spare_fd);
			fd = accept(l->fd, NULL, NULL);
			if (fd != -1)
				close(fd);
			s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			return;
		}
		if (fd == -1)
			return;		/* EAGAIN */
		if (!s->nagle)
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			return;
		}
		c->obj.kind = OBJ_CONN;
		c->fd = fd;
		c->l = l;
		c->srv = s;
		c->id = ++s->next_id;
		memset(&e, 0, sizeof(e));
		e.events = EPOLLRDHUP;
		e.data.ptr = c;
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &e) == -1) {
			close(fd);
			free(c);
			continue;
		}
		c->events = EPOLLRDHUP;
		c->next = s->conns;
		if (s->conns != NULL)
			s->conns->prev = c;
		s->conns = c;
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
			port = ntohs(sin->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &s6->sin6_addr, host,
			    sizeof(host));
			port = ntohs(s6->sin6_port);
		}
		conn_log(c, "accept %s %u", host, port);
		conn_run(c);
	}
}

/* ---- the server -------------------------------------------------- */

struct server *
server_new(const struct tlsgen *tg, long slow_ms, server_log_fn *log,
    void *arg, char *err, size_t errlen)
{
	struct server	*s;

	memset(filler_buf, 'x', sizeof(filler_buf));
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->tg = tg;
	s->slow_ms = slow_ms;
	s->log = log;
	s->log_arg = arg;
	s->eof_fd = -1;
	s->sig_fd = -1;
	s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	s->eof_obj.kind = OBJ_EOF_WATCH;
	s->sig_obj.kind = OBJ_SIGNALS;
	if ((s->ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
		if (s->spare_fd != -1)
			close(s->spare_fd);
		free(s);
		return NULL;
	}
	return s;
}

void
server_free(struct server *s)
{
	size_t	i;

	if (s == NULL)
		return;
	while (s->conns != NULL)
		conn_free(s->conns, "server stopped");
	for (i = 0; i < s->nlisteners; i++) {
		close(s->listeners[i]->fd);
		free(s->listeners[i]);
	}
	if (s->sig_fd != -1)
		close(s->sig_fd);
	if (s->spare_fd != -1)
		close(s->spare_fd);
	close(s->ep);
	free(s->heap);
	free(s);
}

int
server_adopt(struct server *s, const struct server_scenario *sc, int fd,
    uint16_t port, char *err, size_t errlen)
{
	struct listener		*l;
	struct epoll_event	 e;

	if (s->nlisteners == MAX_LISTENERS) {
		snprintf(err, errlen, "too many listeners");
		return -1;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	l->obj.kind = OBJ_LISTENER;
	l->fd = fd;
	l->port = port;
	l->sc = sc;
	l->srv = s;
	memset(&e, 0, sizeof(e));
	e.events = EPOLLIN;
	e.data.ptr = l;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
	    epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &e) == -1) {
		snprintf(err, errlen, "listener: %s", strerror(errno));
		free(l);
		return -1;
	}
	s->listeners[s->nlisteners++] = l;
	return 0;
}

int
server_listen(struct server *s, const struct server_scenario *sc,
    const char *addr, uint16_t port, uint16_t *bound, char *err,
    size_t errlen)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	int			 fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr)
	    == 1) {
		ss.ss_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, addr,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		snprintf(err, errlen, "%s: not a numeric address", addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (sc->rcvbuf > 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sc->rcvbuf,
		    sizeof(sc->rcvbuf));
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1 ||
	    listen(fd, 4096) == -1) {
		snprintf(err, errlen, "%s port %u: %s", addr, port,
		    strerror(errno));
		close(fd);
		return -1;
	}
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		snprintf(err, errlen, "getsockname: %s", strerror(errno));
		close(fd);
		return -1;
	}
	*bound = ntohs(ss.ss_family == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
	if (server_adopt(s, sc, fd, *bound, err, errlen) == -1) {
		close(fd);
		return -1;
	}
	return 0;
}

void
server_set_nagle(struct server *s, int on)
{
	s->nagle = on;
}

int
server_watch_eof(struct server *s, int fd)
{
	struct epoll_event	e;

	memset(&e, 0, sizeof(e));
	e.events = EPOLLIN | EPOLLRDHUP;
	e.data.ptr = &s->eof_obj;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &e) == -1)
		return -1;
	s->eof_fd = fd;
	return 0;
}

int
server_watch_signals(struct server *s)
{
	struct epoll_event	e;
	sigset_t		set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	if ((s->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) ==
	    -1)
		return -1;
	memset(&e, 0, sizeof(e));
	e.events = EPOLLIN;
	e.data.ptr = &s->sig_obj;
	return epoll_ctl(s->ep, EPOLL_CTL_ADD, s->sig_fd, &e);
}

/* Input on the watched fd: discard it; EOF or hang-up stops the server. */
static void
eof_event(struct server *s, uint32_t ev)
{
	char	buf[512];
	ssize_t	n;

	n = read(s->eof_fd, buf, sizeof(buf));
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR) ||
	    (n <= 0 && (ev & (EPOLLHUP | EPOLLERR))))
		s->stop = 1;
}

int
server_run(struct server *s)
{
	struct epoll_event	 evs[256];
	int			 i, n, tmo;

	signal(SIGPIPE, SIG_IGN);
	while (!s->stop) {
		int64_t	now = now_ms();

		while (s->heaplen > 0 && s->heap[0]->timer <= now) {
			struct conn	*c = s->heap[0];

			timer_del(c);
			if (c->draining) {
				conn_free(c, "server (client never closed)");
				continue;
			}
			conn_run(c);
		}
		tmo = -1;
		if (s->heaplen > 0) {
			int64_t	d = s->heap[0]->timer - now;

			tmo = d > 60000 ? 60000 : (int)d;
		}
		n = epoll_wait(s->ep, evs, (int)(sizeof(evs) /
		    sizeof(evs[0])), tmo);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "fakesmtp: epoll_wait: %s\n",
			    strerror(errno));
			return -1;
		}
		for (i = 0; i < n; i++) {
			struct obj	*o = evs[i].data.ptr;

			switch (o->kind) {
			case OBJ_LISTENER:
				listener_accept((struct listener *)o);
				break;
			case OBJ_CONN:
				conn_event((struct conn *)o, evs[i].events);
				break;
			case OBJ_EOF_WATCH:
				eof_event(s, evs[i].events);
				break;
			case OBJ_SIGNALS:
				s->stop = 1;
				break;
			default:
				break;
			}
		}
	}
	return 0;
}
