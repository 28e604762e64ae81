/*
 * server.h: the fake SMTP server's engine and its scenarios.  A scenario
 * is data: a table of steps (send text, expect a command, switch to TLS,
 * delay, drip, stream, close, reset, stop reading ...) that one
 * event-driven connection state machine executes.  One thread, epoll,
 * non-blocking sockets; thousands of connections at once.
 */
#ifndef FAKE_SERVER_H
#define FAKE_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "tlsgen.h"

enum server_op {
	SERVER_OP_SEND,		/* send text (NUL-terminated) */
	SERVER_OP_RAW,		/* send n bytes of text (may hold NULs) */
	SERVER_OP_EXPECT,	/* read one command line; go on if its verb
				   is text, else 503 and wait again; QUIT is
				   answered 221 and closes (unless n == 1) */
	SERVER_OP_TLS,		/* TLS handshake, certificate kind n */
	SERVER_OP_DELAY,	/* wait n ms (-1: the --slow-ms value) */
	SERVER_OP_DRIP,		/* send text one byte every n ms */
	SERVER_OP_ENDLESS,	/* send text again and again, forever */
	SERVER_OP_STREAM,	/* send n bytes of 'x', no line end */
	SERVER_OP_LINES,	/* send n lines: text, 4000 'x', CRLF */
	SERVER_OP_WAITDATA,	/* wait for any bytes from the client, drop
				   them (e.g. a ClientHello) */
	SERVER_OP_NOREAD,	/* never read again (the client's data piles
				   up), keep the connection open */
	SERVER_OP_IDLE,		/* read and log, never answer */
	SERVER_OP_CLOSE,	/* orderly close (close_notify, FIN) */
	SERVER_OP_RESET,	/* abortive close: RST (SO_LINGER 0) */
	SERVER_OP_END,		/* end of script: a plain responder (QUIT:
				   221 and close, anything else 250) */
	SERVER_OP_COUNT
};

struct server_step {
	enum server_op	 op;
	const char	*text;
	long		 n;
};

struct server_scenario {
	const char			*name;
	const char			*desc;
	const struct server_step	*steps;	/* SERVER_OP_END last */
	int				 rcvbuf; /* SO_RCVBUF if > 0 */
};

/* The scenario called name, or NULL. */
const struct server_scenario	*scenarios_find(const char *name);
/* Scenario i (0..), NULL past the end. */
const struct server_scenario	*scenarios_at(size_t i);

/*
 * The event log: one line per event, without a line end, e.g.
 * "accept 127.0.0.1:40000", "C: EHLO x", "EARLY C: EHLO x",
 * "TLS: ok TLSv1.3 TLS_AES_256_GCM_SHA384", "TLS: failed ...",
 * "close: client", "close: server", "close: reset", "close: error ...".
 * conn is the connection number (1, 2, ... per server), port the
 * listener's port.
 */
typedef void server_log_fn(void *arg, unsigned conn, uint16_t port,
    const char *line);

struct server;

/* NULL on failure with a reason in err.  tg may be NULL (no TLS). */
struct server	*server_new(const struct tlsgen *tg, long slow_ms,
		    server_log_fn *log, void *arg, char *err, size_t errlen);
void		 server_free(struct server *);	/* NULL ok */
/*
 * Open a listener for scenario on addr ("127.0.0.1", "::1") and port
 * (0: ephemeral); *bound gets the port.  0 or -1 with err.
 */
int		 server_listen(struct server *,
		    const struct server_scenario *, const char *addr,
		    uint16_t port, uint16_t *bound,
		    char *err, size_t errlen);
/* Adopt a listening socket already bound and listening. */
int		 server_adopt(struct server *,
		    const struct server_scenario *, int fd, uint16_t port,
		    char *err, size_t errlen);
/*
 * on: leave Nagle's algorithm on for accepted connections, as Postfix
 * does (then a TLS 1.3 server's session tickets followed by the greeting
 * wait for the client's delayed ACK: the ~40 ms stall PRODUCT.md tells
 * clients to avoid).  Default off: TCP_NODELAY, fastest for scale tests.
 */
void		 server_set_nagle(struct server *, int on);
/* Stop when fd reports EOF or hang-up (a pipe: the parent is gone). */
int		 server_watch_eof(struct server *, int fd);
/* Stop on SIGTERM or SIGINT (blocks them and uses a signalfd). */
int		 server_watch_signals(struct server *);
/* Serve until stopped.  0, or -1 on a fatal error (message on stderr). */
int		 server_run(struct server *);

#endif
