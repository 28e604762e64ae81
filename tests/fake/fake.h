/*
 * fake.h: the scripted fake SMTP server, in-process, for Check tests.
 * fake_start() forks a child that serves one scenario on 127.0.0.1 (an
 * ephemeral port, already listening when fake_start() returns), with TLS
 * material generated for it; the child's event log (what the client sent,
 * TLS results, closes) is read back with fake_wait() / fake_log().  The
 * child dies with the test (its control pipe reaches EOF).
 *
 * Log lines: "<conn> <event>", conn = 1, 2, ... in accept order; events:
 *   accept ADDR PORT
 *   greeted			the server finished its greeting
 *   EARLY: BYTES		the client spoke before that (once)
 *   C: LINE			a command line from the client
 *   EARLY C: LINE		... read before the greeting was complete
 *   C-after-close: LINE	... after the server closed its side
 *   DATA: N bytes		bytes dropped by a WAITDATA step
 *   TLS: ok VERSION CIPHER sni=NAME	(sni=- when the client sent none)
 *   TLS: failed REASON | TLS: not a handshake ... | TLS: eof ...
 *   close: client | server | reset | error ...
 * Bytes outside printable ASCII are logged as \xHH.
 *
 * The log goes through a 1 MiB pipe and the child blocks when it is full
 * (never drops a line): a test that makes thousands of connections calls
 * fake_poll() or fake_wait() as it goes.
 */
#ifndef FAKE_FAKE_H
#define FAKE_FAKE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct fake;

/*
 * Start scenario (a name of the common brief: "good", "tls", ...).
 * slow_ms: the "slow" scenario's delay (0: 2000).  NULL on failure with a
 * reason in err.
 */
struct fake	*fake_start(const char *scenario, long slow_ms, char *err,
		    size_t errlen);
/* The same on addr ("127.0.0.1", "::1", "127.0.0.2"). */
struct fake	*fake_start_at(const char *scenario, const char *addr,
		    long slow_ms, char *err, size_t errlen);
/* Kill the child, remove the CA file.  NULL ok. */
void		 fake_stop(struct fake *);

uint16_t	 fake_port(const struct fake *);
/* The PEM file of the CA that signed the good certificates. */
const char	*fake_ca_file(const struct fake *);
pid_t		 fake_pid(const struct fake *);

/*
 * Read the log until nclosed connections have closed ("close:" lines) or
 * timeout_ms passed.  0 when reached, -1 on timeout.
 */
int		 fake_wait(struct fake *, unsigned nclosed, int timeout_ms);
/* Read what the log has now, without waiting. */
void		 fake_poll(struct fake *);
/* The log read so far (NUL-terminated; bounded at 8 MiB). */
const char	*fake_log(const struct fake *);
/* Connections closed so far. */
unsigned	 fake_nclosed(const struct fake *);
/* Number of log lines of connection conn (0: any) containing needle. */
size_t		 fake_count(const struct fake *, unsigned conn,
		    const char *needle);
/*
 * Index (0..) of the first log line of connection conn (0: any) at or
 * after line index from that contains needle; -1 if none.
 */
long		 fake_find(const struct fake *, unsigned conn,
		    const char *needle, long from);

#endif
