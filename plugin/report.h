/*
 * report.h: what one run found, as the evaluation, the text output and
 * the JSON output see it: one item per probe (port x address x MX host),
 * each with its verdict, plus per-host facts (resolve time, MX answer)
 * and notes (state file trouble).
 */
#ifndef PLUGIN_REPORT_H
#define PLUGIN_REPORT_H

#include <stdint.h>

#include "config.h"
#include "smtpprobe.h"

#define REPORT_MAX_REASONS	8
#define REPORT_REASON_MAX	192
#define REPORT_MAX_NOTES	8
#define REPORT_NOTE_MAX		256
#define REPORT_MAX_HOSTS	(SMTPPROBE_MAX_MX + 1)

struct report_item {
	/* Set by the runner. */
	struct smtpprobe		*probe;	/* owns result, or NULL */
	struct smtpprobe_result		*own;	/* synthesised result (ours) */
	const struct smtpprobe_result	*r;	/* one of the two; never NULL
						   once the run is over */
	struct smtpprobe_portspec	 spec;
	size_t				 host;	/* index in report.hosts */
	int				 done;

	/* Set from the state file before evaluation (Unix seconds, 0 =
	 * never); *_now are what this run observed. */
	int64_t				 prev_starttls;
	int64_t				 prev_answered;

	/* Set by evaluate_item(). */
	enum plugin_state		 state;
	size_t				 nreasons;
	char				 reasons[REPORT_MAX_REASONS]
					    [REPORT_REASON_MAX];
	/* The state each reason stands for; reasons are sorted worst
	 * first, so reasons[0] is the one the status line shows. */
	enum plugin_state		 reason_states[REPORT_MAX_REASONS];
	size_t				 ntagged;
};

struct report_host {
	char		 name[256];	/* host probed (an MX host in --mx) */
	int64_t		 resolve_us;	/* -1 if it did not run */
	size_t		 naddresses;	/* with --all-addresses */
	uint16_t	 mx_preference;
	struct smtpprobe_lookup_result lookup;	/* --all-addresses / --mx */
	int		 looked_up;
	enum plugin_state state;	/* worst of its items (--mx-any) */
};

struct report {
	struct report_item	*items;		/* owned */
	size_t			 nitems;
	size_t			 capitems;
	struct report_host	 hosts[REPORT_MAX_HOSTS];
	size_t			 nhosts;

	/* --mx: the domain's MX lookup. */
	int			 mx_done;
	struct smtpprobe_lookup_result mx;

	int			 multi;		/* labels need "@address" */
	int64_t			 started;	/* monotonic µs */
	int64_t			 wall_now;	/* Unix seconds (cert days) */
	int64_t			 elapsed_us;

	/* A finding about the run as a whole (null MX, MX lookup failed),
	 * or "" ; problem_state is its state. */
	char			 problem[REPORT_NOTE_MAX];
	enum plugin_state	 problem_state;

	char			 notes[REPORT_MAX_NOTES][REPORT_NOTE_MAX];
	size_t			 nnotes;

	enum plugin_state	 state;		/* overall */
};

void		 report_init(struct report *);
/* Frees items, their probes and synthesised results.  NULL ok. */
void		 report_free(struct report *);
/* Append a zeroed item; NULL on out of memory. */
struct report_item *report_add_item(struct report *);
/* Append a host; NULL if full. */
struct report_host *report_add_host(struct report *, const char *name);
/* Add a note (state file trouble...), printf-style; dropped if full. */
void		 report_note(struct report *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/*
 * Give item a synthesised result (a probe we could not run: resolve
 * failure, bad parameters): outcome in phase, with detail.  Returns 0 or
 * -1 on out of memory.
 */
int		 report_synth(struct report_item *, const char *host,
		    enum smtpprobe_outcome, enum smtpprobe_phase,
		    int64_t resolve_us, const char *detail);
/* A duration as people read it: "850us", "4ms", "1.25s", "10.0s". */
char		*report_duration(char *buf, size_t len, int64_t us);
/* Unix seconds as "2026-11-29T09:40:00Z" (UTC). */
char		*report_time(char *buf, size_t len, int64_t unix_seconds);
/* The notAfter certificate days are judged on: the earliest among the
 * certificates the server presented, else the leaf's (0 if unknown). */
int64_t		 report_cert_expiry(const struct smtpprobe_cert *);
/* Add a reason to an item (dropped if full). */
void		 report_reason(struct report_item *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

#endif
