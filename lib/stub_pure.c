/*
 * stub_pure.c: TEMPORARY stubs so the library links while the pure modules
 * (names, portspec, sanitize, policy, time) are written.  Owned by the
 * "core-pure" work; each function is deleted from here as its real
 * implementation lands, and this file with the last one.
 */
#include <string.h>
#include <time.h>

#include "smtpprobe.h"

const char *smtpprobe_version(void) { return SMTPPROBE_VERSION_STRING; }
const char *smtpprobe_openssl_version(void) { return "?"; }
const char *smtpprobe_mode_name(enum smtpprobe_mode m) { (void)m; return "?"; }
const char *smtpprobe_phase_name(enum smtpprobe_phase p) { (void)p; return "?"; }
const char *smtpprobe_outcome_name(enum smtpprobe_outcome o) { (void)o; return "?"; }
const char *smtpprobe_outcome_text(enum smtpprobe_outcome o) { (void)o; return "?"; }
const char *smtpprobe_policy_name(enum smtpprobe_policy p) { (void)p; return "?"; }
const char *smtpprobe_tls_version_name(enum smtpprobe_tls_version v) { (void)v; return "?"; }
int smtpprobe_mode_from_name(const char *s) { (void)s; return -1; }
int smtpprobe_phase_from_name(const char *s) { (void)s; return -1; }
int smtpprobe_outcome_from_name(const char *s) { (void)s; return -1; }
int smtpprobe_policy_from_name(const char *s) { (void)s; return -1; }
int smtpprobe_tls_version_from_name(const char *s) { (void)s; return -1; }
const char *smtpprobe_cap_name(unsigned i) { (void)i; return "?"; }

int64_t
smtpprobe_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
smtpprobe_portspec_parse(const char *list, struct smtpprobe_portspec *out,
    size_t max, size_t *n, char *err, size_t errlen)
{
	(void)list; (void)out; (void)max; *n = 0;
	if (err != NULL && errlen > 0)
		strncpy(err, "not implemented", errlen - 1);
	return -1;
}

char *
smtpprobe_portspec_format(const struct smtpprobe_portspec *ps, char *buf,
    size_t len)
{
	(void)ps;
	if (len > 0)
		buf[0] = '\0';
	return buf;
}

int smtpprobe_policy_met(enum smtpprobe_policy p, const struct smtpprobe_result *r) { (void)p; (void)r; return 0; }
int smtpprobe_result_unanswered(const struct smtpprobe_result *r) { (void)r; return 0; }

size_t
smtpprobe_sanitize(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	(void)src; (void)srclen;
	if (dstlen > 0)
		dst[0] = '\0';
	return 0;
}
