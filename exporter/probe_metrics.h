/*
 * probe_metrics.h: probe results -> the per-port metric families of
 * PRODUCT.md ("Metrics"), for /probe and for scheduled targets.
 */
#ifndef EXPORTER_PROBE_METRICS_H
#define EXPORTER_PROBE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "smtpprobe.h"
#include "metrics.h"
#include "strbuf.h"

struct probe_metrics_entry {
	const struct smtpprobe_result	*r;		/* borrowed */
	enum smtpprobe_policy		 policy;
	const char			*target;	/* NULL on /probe */
	int				 with_address;	/* address label */
};

/* The labels of an entry: target (if any), port, mode, address (if
 * with_address).  portbuf must hold 8 bytes.  Returns the count (<= 4). */
size_t	 probe_metrics_labels(const struct probe_metrics_entry *,
	    struct metrics_label *, char *portbuf);

/* Every per-port family, family by family over all entries (the text
 * format wants a family's samples together). */
void	 probe_metrics_write(struct strbuf *,
	    const struct probe_metrics_entry *, size_t n);

/* /probe: the families above plus blackbox-compatible probe_success (1 if
 * every port met its policy) and probe_duration_seconds. */
void	 probe_metrics_write_probe(struct strbuf *,
	    const struct probe_metrics_entry *, size_t n, int64_t duration_us);

/* 1 if smtp_port_up would be 1: connected and a 220 greeting. */
int	 probe_metrics_up(const struct smtpprobe_result *);

#endif
