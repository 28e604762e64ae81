/*
 * caps.h: EHLO capability parsing (RFC 5321 §4.1.1.1, keywords are
 * case-insensitive).  Internal.
 */
#ifndef LIB_CAPS_H
#define LIB_CAPS_H

#include "smtpprobe.h"
#include "reply.h"

/*
 * Fill caps from a complete EHLO reply: line 0 is the greeting line (the
 * server's name), lines 1.. are keywords with parameters.  Recognised:
 * STARTTLS, AUTH (mechanisms upper-cased, deduplicated, also the legacy
 * "AUTH=" form), SIZE [n], PIPELINING, 8BITMIME, SMTPUTF8, CHUNKING,
 * REQUIRETLS, DSN, ENHANCEDSTATUSCODES.  Sets caps->present = 1.
 */
void	caps_parse(const struct reply *, struct smtpprobe_caps *caps);
/* Same, from an array of keyword lines only, without the greeting line
 * (for tests and fuzzing). */
void	caps_parse_lines(const char *const *lines, size_t n,
	    struct smtpprobe_caps *caps);

#endif
