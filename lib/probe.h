/*
 * probe.h: what the event loop needs to know about a probe beyond the
 * public API.  Internal.
 */
#ifndef LIB_PROBE_H
#define LIB_PROBE_H

#include "smtpprobe.h"

/* The host name to resolve and the address family wanted. */
const char	*probe_host(const struct smtpprobe *);
int		 probe_family(const struct smtpprobe *);
/* The probe's deadline (monotonic µs). */
int64_t		 probe_deadline(const struct smtpprobe *);
/* 1 once the probe has returned SMTPPROBE_DONE. */
int		 probe_done(const struct smtpprobe *);

#endif
