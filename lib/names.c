/*
 * names.c: the stable machine names and human texts of every public
 * enumeration (used in metrics, JSON, tests and output), their reverse
 * look-ups, and the library's version strings.  Each table is checked
 * against its enum's _COUNT sentinel at compile time.
 */
#include <stddef.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "smtpprobe.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const mode_names[] = {
	[SMTPPROBE_MODE_PLAIN] = "plain",
	[SMTPPROBE_MODE_STARTTLS] = "starttls",
	[SMTPPROBE_MODE_TLS] = "tls",
};
_Static_assert(NELEM(mode_names) == SMTPPROBE_MODE_COUNT,
    "mode_names out of step with enum smtpprobe_mode");

static const char *const phase_names[] = {
	[SMTPPROBE_PHASE_RESOLVE] = "resolve",
	[SMTPPROBE_PHASE_CONNECT] = "connect",
	[SMTPPROBE_PHASE_TLS_HANDSHAKE] = "tls_handshake",
	[SMTPPROBE_PHASE_BANNER] = "banner",
	[SMTPPROBE_PHASE_EHLO] = "ehlo",
	[SMTPPROBE_PHASE_STARTTLS] = "starttls",
	[SMTPPROBE_PHASE_EHLO_TLS] = "ehlo_tls",
	[SMTPPROBE_PHASE_QUIT] = "quit",
	[SMTPPROBE_PHASE_TOTAL] = "total",
};
_Static_assert(NELEM(phase_names) == SMTPPROBE_PHASE_COUNT,
    "phase_names out of step with enum smtpprobe_phase");

static const char *const outcome_names[] = {
	[SMTPPROBE_OUTCOME_PENDING] = "pending",
	[SMTPPROBE_OUTCOME_OK] = "ok",
	[SMTPPROBE_OUTCOME_RESOLVE_FAILED] = "resolve_failed",
	[SMTPPROBE_OUTCOME_REFUSED] = "refused",
	[SMTPPROBE_OUTCOME_TIMEOUT] = "timeout",
	[SMTPPROBE_OUTCOME_UNREACHABLE] = "unreachable",
	[SMTPPROBE_OUTCOME_RESET] = "reset",
	[SMTPPROBE_OUTCOME_CLOSED] = "closed",
	[SMTPPROBE_OUTCOME_BANNER_REJECTED] = "banner_rejected",
	[SMTPPROBE_OUTCOME_PROTOCOL_ERROR] = "protocol_error",
	[SMTPPROBE_OUTCOME_EHLO_REJECTED] = "ehlo_rejected",
	[SMTPPROBE_OUTCOME_STARTTLS_NOT_OFFERED] = "starttls_not_offered",
	[SMTPPROBE_OUTCOME_STARTTLS_REJECTED] = "starttls_rejected",
	[SMTPPROBE_OUTCOME_TLS_FAILED] = "tls_failed",
	[SMTPPROBE_OUTCOME_CERT_EXPIRED] = "cert_expired",
	[SMTPPROBE_OUTCOME_CERT_NOT_YET_VALID] = "cert_not_yet_valid",
	[SMTPPROBE_OUTCOME_CERT_UNTRUSTED] = "cert_untrusted",
	[SMTPPROBE_OUTCOME_CERT_NAME_MISMATCH] = "cert_name_mismatch",
	[SMTPPROBE_OUTCOME_INTERNAL] = "internal",
};
_Static_assert(NELEM(outcome_names) == SMTPPROBE_OUTCOME_COUNT,
    "outcome_names out of step with enum smtpprobe_outcome");

static const char *const outcome_texts[] = {
	[SMTPPROBE_OUTCOME_PENDING] = "not finished",
	[SMTPPROBE_OUTCOME_OK] = "OK",
	[SMTPPROBE_OUTCOME_RESOLVE_FAILED] = "name did not resolve",
	[SMTPPROBE_OUTCOME_REFUSED] = "connection refused",
	[SMTPPROBE_OUTCOME_TIMEOUT] = "timed out",
	[SMTPPROBE_OUTCOME_UNREACHABLE] = "host or network unreachable",
	[SMTPPROBE_OUTCOME_RESET] = "connection reset",
	[SMTPPROBE_OUTCOME_CLOSED] = "connection closed early",
	[SMTPPROBE_OUTCOME_BANNER_REJECTED] = "greeting rejected",
	[SMTPPROBE_OUTCOME_PROTOCOL_ERROR] = "protocol error",
	[SMTPPROBE_OUTCOME_EHLO_REJECTED] = "EHLO rejected",
	[SMTPPROBE_OUTCOME_STARTTLS_NOT_OFFERED] = "STARTTLS not offered",
	[SMTPPROBE_OUTCOME_STARTTLS_REJECTED] = "STARTTLS rejected",
	[SMTPPROBE_OUTCOME_TLS_FAILED] = "TLS handshake failed",
	[SMTPPROBE_OUTCOME_CERT_EXPIRED] = "certificate expired",
	[SMTPPROBE_OUTCOME_CERT_NOT_YET_VALID] = "certificate not yet valid",
	[SMTPPROBE_OUTCOME_CERT_UNTRUSTED] = "certificate not trusted",
	[SMTPPROBE_OUTCOME_CERT_NAME_MISMATCH] =
	    "certificate name mismatch",
	[SMTPPROBE_OUTCOME_INTERNAL] = "internal error",
};
_Static_assert(NELEM(outcome_texts) == SMTPPROBE_OUTCOME_COUNT,
    "outcome_texts out of step with enum smtpprobe_outcome");

static const char *const policy_names[] = {
	[SMTPPROBE_POLICY_REQUIRED] = "required",
	[SMTPPROBE_POLICY_OPTIONAL] = "optional",
	[SMTPPROBE_POLICY_CLOSED] = "closed",
};
_Static_assert(NELEM(policy_names) == SMTPPROBE_POLICY_COUNT,
    "policy_names out of step with enum smtpprobe_policy");

/* "default" is a name for DEFAULT so that the table round-trips; the
 * documented names are "1.0".."1.3". */
static const char *const tls_version_names[] = {
	[SMTPPROBE_TLS_DEFAULT] = "default",
	[SMTPPROBE_TLS_1_0] = "1.0",
	[SMTPPROBE_TLS_1_1] = "1.1",
	[SMTPPROBE_TLS_1_2] = "1.2",
	[SMTPPROBE_TLS_1_3] = "1.3",
};
_Static_assert(NELEM(tls_version_names) == SMTPPROBE_TLS_COUNT,
    "tls_version_names out of step with enum smtpprobe_tls_version");

/* Indexed by bit position: SMTPPROBE_CAP_STARTTLS is bit 0. */
static const char *const cap_names[] = {
	"STARTTLS", "AUTH", "SIZE", "PIPELINING", "8BITMIME", "SMTPUTF8",
	"CHUNKING", "REQUIRETLS", "DSN", "ENHANCEDSTATUSCODES",
};
_Static_assert(NELEM(cap_names) == SMTPPROBE_CAP_COUNT,
    "cap_names out of step with SMTPPROBE_CAP_COUNT");
_Static_assert(SMTPPROBE_CAP_ENHANCEDSTATUSCODES ==
    1u << (SMTPPROBE_CAP_COUNT - 1), "capability bits are not contiguous");

/* Entry i of a table of n, or "?" when i is out of range (an enum value
 * from a careless caller must not index past the table). */
static const char *
name_at(const char *const *tab, size_t n, long i)
{
	if (i < 0 || (unsigned long)i >= n || tab[i] == NULL)
		return "?";
	return tab[i];
}

/* Index of s in tab (case-insensitive), or -1.  NULL s is unknown. */
static int
name_find(const char *const *tab, size_t n, const char *s)
{
	size_t	i;

	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (tab[i] != NULL && strcasecmp(tab[i], s) == 0)
			return (int)i;
	return -1;
}

const char *
smtpprobe_mode_name(enum smtpprobe_mode m)
{
	return name_at(mode_names, NELEM(mode_names), (long)m);
}

const char *
smtpprobe_phase_name(enum smtpprobe_phase p)
{
	return name_at(phase_names, NELEM(phase_names), (long)p);
}

const char *
smtpprobe_outcome_name(enum smtpprobe_outcome o)
{
	return name_at(outcome_names, NELEM(outcome_names), (long)o);
}

const char *
smtpprobe_outcome_text(enum smtpprobe_outcome o)
{
	return name_at(outcome_texts, NELEM(outcome_texts), (long)o);
}

const char *
smtpprobe_policy_name(enum smtpprobe_policy p)
{
	return name_at(policy_names, NELEM(policy_names), (long)p);
}

const char *
smtpprobe_tls_version_name(enum smtpprobe_tls_version v)
{
	return name_at(tls_version_names, NELEM(tls_version_names), (long)v);
}

const char *
smtpprobe_cap_name(unsigned i)
{
	return name_at(cap_names, NELEM(cap_names), (long)i);
}

int
smtpprobe_mode_from_name(const char *s)
{
	return name_find(mode_names, NELEM(mode_names), s);
}

int
smtpprobe_phase_from_name(const char *s)
{
	return name_find(phase_names, NELEM(phase_names), s);
}

int
smtpprobe_outcome_from_name(const char *s)
{
	return name_find(outcome_names, NELEM(outcome_names), s);
}

int
smtpprobe_policy_from_name(const char *s)
{
	return name_find(policy_names, NELEM(policy_names), s);
}

int
smtpprobe_tls_version_from_name(const char *s)
{
	return name_find(tls_version_names, NELEM(tls_version_names), s);
}

const char *
smtpprobe_version(void)
{
	return SMTPPROBE_VERSION_STRING;
}

/* OpenSSL's run-time version ("OpenSSL 3.0.x ..."), not the headers'. */
const char *
smtpprobe_openssl_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}
