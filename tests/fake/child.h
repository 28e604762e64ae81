/*
 * child.h: the fakesmtp program as a child of a test, and loopback
 * sockets for tests.  child_start() runs the program with a pipe as its
 * stdin (fakesmtp stops at EOF there, so a test that dies takes it
 * along), reads its "SCENARIO PORT" lines up to "READY" into a table
 * within a bound, and child_stop() ends it within a bound.  No Check in
 * here: failures are -1 and a reason, for the caller to assert on.
 */
#ifndef TESTS_FAKE_CHILD_H
#define TESTS_FAKE_CHILD_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define CHILD_SCEN_MAX	48	/* scenarios one child may serve */
#define CHILD_NAME_MAX	32	/* a scenario name, with its NUL */
#define CHILD_ARGS_MAX	64	/* arguments after the program path */

/* child_start() flags */
#define CHILD_QUIET	0x01	/* its stderr goes to /dev/null */
#define CHILD_TLS_DIR	0x02	/* a fresh "--tls-dir DIR" goes first;
				   child_stop() removes DIR */

struct child_scenario {
	char		 name[CHILD_NAME_MAX];
	uint16_t	 port;
};

struct child {
	pid_t		 pid;		/* -1: not running (reaped) */
	int		 in;		/* its stdin (ours); -1: closed */
	int		 status;	/* what child_wait() said last */
	char		 tls_dir[64];	/* CHILD_TLS_DIR, or "" */
	char		 ca_file[96];	/* its ca.crt */
	size_t		 nscen;
	/* What it printed, in its order. */
	struct child_scenario scen[CHILD_SCEN_MAX];
};

/* The monotonic clock in ms, on which the bounds here are counted. */
int64_t		 child_clock_ms(void);
/* Not running, nothing to close: what child_stop() may be given before
 * (or without) a child_start(). */
void		 child_init(struct child *c);
/*
 * Run prog (an absolute path) with args (NULL-terminated, at most
 * CHILD_ARGS_MAX; NULL: none) and wait up to timeout_ms for "READY".
 * The child runs none of this process's signal handlers (Check's SIGTERM
 * handler signals the whole process group) and starts with every signal
 * at its default action.  Every line before READY must be "NAME PORT".
 * 0 when ready; -1 with a reason in err otherwise: the child is then
 * reaped (c->status: its exit status as child_wait() gives it, 128 + 9
 * if it had to be killed) and any CHILD_TLS_DIR removed.
 */
int		 child_start(struct child *c, const char *prog,
		    const char *const args[], int flags, int timeout_ms,
		    char *err, size_t errlen);
/* The port printed for scenario name; 0 if there is none. */
uint16_t	 child_port(const struct child *c, const char *name);
/*
 * Wait up to timeout_ms for the child to exit by itself.  Its exit code,
 * 128 + the signal that ended it, or -1 on timeout (it is then killed
 * with SIGKILL and reaped).  Also stored in c->status; c->pid becomes -1.
 */
int		 child_wait(struct child *c, int timeout_ms);
/*
 * SIGTERM and EOF on its stdin, then child_wait() for up to 5 s (SIGKILL
 * after that); removes a CHILD_TLS_DIR.  Returns child_wait()'s value (or
 * c->status if it was reaped already).  An initialised or stopped child
 * is left as it is.
 */
int		 child_stop(struct child *c);

/*
 * A socket of type (SOCK_STREAM, listening with backlog; SOCK_DGRAM)
 * bound to the IPv4 literal addr, port *port (0: ephemeral), close-on-
 * exec; the bound port is returned in *port.  -1 with a reason in err.
 */
int		 child_listener(const char *addr, int type, int backlog,
		    uint16_t *port, char *err, size_t errlen);
/* A port on 127.0.0.1 that nobody listens on (bound, then closed); 0 if
 * no socket could be made. */
uint16_t	 child_closed_port(void);

struct x509_st;
/*
 * One HTTP/1.0 request to 127.0.0.1:port, over TLS if tls (no
 * verification; the server's certificate in *peer when peer is not
 * NULL, X509_free it), headers (NULL or CRLF-terminated lines) added.
 * Reads until the server closes or timeout_ms has passed.  The status
 * (or -1), and the whole answer, head and body, in *resp (malloc'ed,
 * NUL-terminated; NULL when nothing could be sent).
 */
int		 child_http(uint16_t port, int tls, const char *method,
		    const char *path, const char *headers, int timeout_ms,
		    char **resp, struct x509_st **peer);

#endif
