/*
 * sanitize.h: the engine of smtpprobe_sanitize(), for callers that need to
 * know whether the whole input fit.  Internal.
 */
#ifndef LIB_SANITIZE_H
#define LIB_SANITIZE_H

#include <stddef.h>

/* smtpprobe_sanitize(), and *consumed (may be NULL) gets how many input
 * bytes were written out: srclen unless the output was truncated. */
size_t	sanitize_buf(char *dst, size_t dstlen, const char *src,
	    size_t srclen, size_t *consumed);

#endif
