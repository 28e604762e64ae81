/*
 * resolve.h: asynchronous DNS through c-ares 1.18, for one event loop.
 * Internal.
 *
 * The resolver never blocks.  It tells its owner (the loop) which sockets
 * to watch through a callback (c-ares' socket-state callback), the owner
 * calls resolve_process_fd() when one is ready and resolve_process_timers()
 * when resolve_next_timer() has come.  IP literals (inet_pton) are answered
 * without any query.  Every lookup ends by its deadline: c-ares' own
 * retries are bounded by it, and a lookup still running then ends with
 * outcome TIMEOUT.  Completion callbacks run from resolve_process_fd() or
 * resolve_process_timers(), never from inside resolve_lookup(): literals
 * and immediate failures complete at the next resolve_process_timers()
 * (resolve_next_timer() returns "now" for them).
 */
#ifndef LIB_RESOLVE_H
#define LIB_RESOLVE_H

#include <stdint.h>

#include "smtpprobe.h"

struct resolve;

/* Called when the resolver wants fd watched for reading and/or writing
 * (both 0: stop watching it). */
typedef void resolve_sock_fn(void *arg, int fd, int readable, int writable);
typedef void resolve_done_fn(const struct smtpprobe_lookup_result *,
    void *arg);

/* dns_servers: NULL for the system's, else "ADDR[:PORT],..." ("[::1]:53"
 * for IPv6), checked here.  The c-ares channel (and /etc/resolv.conf) is
 * made by the first lookup that needs DNS; if that fails, the lookup
 * ends INTERNAL with c-ares' reason.  NULL on failure with a reason in
 * err. */
struct resolve	*resolve_new(const char *dns_servers, resolve_sock_fn *sock,
		    void *sock_arg, char *err, size_t errlen);
void		 resolve_free(struct resolve *);	/* pending lookups get
							   INTERNAL "cancelled" */
/* what: SMTPPROBE_LOOKUP_ADDR and/or SMTPPROBE_LOOKUP_MX.  Returns 0, or -1
 * on a bad argument / out of memory (no callback then). */
int		 resolve_lookup(struct resolve *, const char *name,
		    unsigned what, int family, int64_t now, int64_t deadline,
		    resolve_done_fn *done, void *arg);
void		 resolve_process_fd(struct resolve *, int fd, int readable,
		    int writable, int64_t now);
/* The next time resolve_process_timers() must run, or INT64_MAX. */
int64_t		 resolve_next_timer(const struct resolve *, int64_t now);
void		 resolve_process_timers(struct resolve *, int64_t now);
size_t		 resolve_pending(const struct resolve *);

/* Make the c-ares channel now if there is none (so that its set-up, with
 * the reading of /etc/resolv.conf, is never inside a lookup's duration);
 * the owner calls it before the clock of what will need DNS starts.
 * Returns 0, or -1 with a reason in err (may be NULL): the lookups that
 * need DNS then end INTERNAL with that reason. */
int		 resolve_prepare(struct resolve *, char *err, size_t errlen);

/* c-ares channels made so far in this process (for tests: a run with
 * only IP literals makes none). */
size_t		 resolve_channels_made(void);

/* 1 if s is an IPv4 or IPv6 literal (brackets not allowed). */
int		 resolve_is_ip_literal(const char *s);

#endif
