/*
 * query.h: the /probe request: query-string parsing with percent-decoding
 * and validation, and the probe timeout derived from Prometheus's
 * X-Prometheus-Scrape-Timeout-Seconds header.
 */
#ifndef EXPORTER_QUERY_H
#define EXPORTER_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "smtpprobe.h"

#define QUERY_MAX_LEN		4096
#define QUERY_MAX_PORTS		16
#define QUERY_MIN_TIMEOUT_US	(100 * 1000LL)
#define QUERY_DEFAULT_OFFSET_US	(500 * 1000LL)

struct query {
	char			 target[256];	/* host name or IP literal
						   (IPv6 brackets removed) */
	char			 module[64];	/* "default" if not given */
	int			 have_ports;
	struct smtpprobe_portspec ports[QUERY_MAX_PORTS];
	size_t			 nports;
	int			 debug;
};

/*
 * Parse a raw query string ("target=x&ports=587" without the '?'; NULL or
 * "" is an empty query).  Known keys: target (required), ports, module,
 * debug; a known key given twice is an error; unknown keys are ignored
 * (Prometheus relabelling may add parameters).  0, or -1 with a one-line
 * reason for a 400 in err.
 */
int	 query_parse(const char *qs, struct query *, char *err, size_t errlen);

/*
 * Percent-decode src[0..len) into dst (dstlen including the NUL), '+' as
 * a blank (application/x-www-form-urlencoded).  -1 on a bad escape, a
 * decoded NUL, or overflow.
 */
int	 query_decode(const char *src, size_t len, char *dst, size_t dstlen);

/*
 * The probe timeout: the scrape timeout from the header (NULL: absent)
 * minus offset_us, never above module_us and never below
 * QUERY_MIN_TIMEOUT_US (nor above module_us even then).  A header that is
 * not a positive finite number of seconds is an error (-1 and err).
 */
int	 query_timeout(const char *header, int64_t offset_us,
	    int64_t module_us, int64_t *out_us, char *err, size_t errlen);

#endif
