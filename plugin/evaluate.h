/*
 * evaluate.h: judge each probe against its port's policy, the thresholds,
 * certificate days, cleartext AUTH and the state file's memory, then the
 * run as a whole.  Pure: no I/O, "now" passed in.  PRODUCT.md's table:
 *
 *   outcome                                   required optional closed
 *   ok                                        OK       OK       CRITICAL
 *   refused, timeout(connect), unreachable    CRITICAL OK (1)   OK
 *   timeout(later), reset, closed, banner_rejected, protocol_error,
 *   ehlo_rejected, starttls_*, tls_failed,
 *   cert_* (verification on)                  CRITICAL WARNING  CRITICAL
 *   resolve_failed                            CRITICAL CRITICAL UNKNOWN
 *   internal                                  UNKNOWN  UNKNOWN  UNKNOWN
 *
 *   (1) WARNING "became unreachable" if the state file says it answered.
 *
 * --timeout-state, when given, replaces the state of a timeout wherever
 * the table gives a problem state (without it the table stands: a
 * timeout after connect is CRITICAL on a required port, WARNING on an
 * optional one) (a timeout in connect on an optional or closed
 * port stays OK: that is what "not offered" and "closed" look like).
 * Then, for a port that answered (not closed policy): certificate days
 * (on the earliest notAfter of the presented chain; expired is CRITICAL
 * even with --no-verify), -w/-c and per-phase thresholds, AUTH before
 * TLS in starttls mode (WARNING), and "lost STARTTLS" (CRITICAL whatever
 * the policy).  The worst wins.
 */
#ifndef PLUGIN_EVALUATE_H
#define PLUGIN_EVALUATE_H

#include <stdint.h>

#include "config.h"
#include "report.h"

/*
 * Set it->state and it->reasons from it->r, it->spec, the state-file
 * fields it->prev_*, cfg, and wall_now (Unix seconds).
 */
void		 evaluate_item(const struct plugin_config *cfg,
		    struct report_item *it, int64_t wall_now);

/* Evaluate every item, then the hosts and the run (rep->state):
 * worst wins, or with --mx-any OK if one MX host is all OK. */
void		 evaluate_report(const struct plugin_config *cfg,
		    struct report *rep);

/* 1 if nothing answered on the port (refused, unreachable, timeout in
 * connect). */
int		 evaluate_unanswered(const struct smtpprobe_result *);
/* 1 if the plaintext EHLO was read (so STARTTLS presence is known), and
 * *offered says whether STARTTLS was in it. */
int		 evaluate_starttls_seen(const struct smtpprobe_result *,
		    int *offered);
/* 1 if the port answered (TCP connected). */
int		 evaluate_answered(const struct smtpprobe_result *);

#endif
