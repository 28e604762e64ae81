/*
 * policy.c: does a probe's result satisfy its port's policy?  The rules
 * are PRODUCT.md's state table reduced to yes/no; the front ends add
 * WARNING/CRITICAL nuances, thresholds and certificate days on top.
 */
#include <stddef.h>

#include "smtpprobe.h"

/*
 * "Nothing answered on this port": the SYN was refused, the network said
 * unreachable, or the deadline passed while still connecting (a dropped
 * SYN).  A timeout in any later phase means something did answer.
 */
int
smtpprobe_result_unanswered(const struct smtpprobe_result *r)
{
	if (r == NULL)
		return 0;
	switch (r->outcome) {
	case SMTPPROBE_OUTCOME_REFUSED:
	case SMTPPROBE_OUTCOME_UNREACHABLE:
		return 1;
	case SMTPPROBE_OUTCOME_TIMEOUT:
		return r->phase == SMTPPROBE_PHASE_CONNECT;
	default:
		return 0;
	}
}

/*
 * required: the dialogue completed (ok).  optional: ok, or nothing
 * answered.  closed: nothing answered (ok means the port is open, which is
 * exactly what it must not be).  A pending result never meets a policy, nor
 * does a resolve failure (we cannot tell what the port does).
 */
int
smtpprobe_policy_met(enum smtpprobe_policy policy,
    const struct smtpprobe_result *r)
{
	if (r == NULL)
		return 0;
	switch (policy) {
	case SMTPPROBE_POLICY_REQUIRED:
		return r->outcome == SMTPPROBE_OUTCOME_OK;
	case SMTPPROBE_POLICY_OPTIONAL:
		return r->outcome == SMTPPROBE_OUTCOME_OK ||
		    smtpprobe_result_unanswered(r);
	case SMTPPROBE_POLICY_CLOSED:
		return smtpprobe_result_unanswered(r);
	default:
		return 0;
	}
}
