/*
 * smtpprobe.h: the public API of libsmtpprobe, a non-blocking SMTP port
 * probe engine (connect, banner, EHLO, STARTTLS or implicit TLS,
 * certificate checks), with a timing for every phase and one precise
 * outcome per probe.
 *
 * Shape of the API (see README.md, "The API in brief"):
 *
 *  - struct smtpprobe_ctx: shared, read-only after creation, thread-safe.
 *    Holds what is expensive (OpenSSL contexts, the trust store, loaded
 *    lazily once per process).  One per process is the norm.
 *  - struct smtpprobe: one probe = one connection to one address and port
 *    (with several candidate addresses tried in order).  Created from a
 *    plain parameter struct (the library copies what it needs), driven by
 *    smtpprobe_step() until it returns SMTPPROBE_DONE, read with
 *    smtpprobe_result(), freed with smtpprobe_free().  No callbacks.
 *  - struct smtpprobe_loop: a ready-made epoll event loop (with a c-ares
 *    channel, made when the first name must be resolved), which drives
 *    many probes and DNS lookups at once in one thread.  It is what both
 *    front ends use.
 *
 * Two kinds of failure never mix: a *call* fails (bad argument, out of
 * memory: -1 or NULL and an error string), or the *server* fails the probe
 * (refused, timed out, bad certificate: a normal result with an outcome).
 *
 * Time: all times are microseconds.  Deadlines and "now" are on the
 * monotonic clock (smtpprobe_now()); certificate dates are Unix seconds.
 *
 * Strings in results are NUL-terminated, sanitised (valid UTF-8, no control
 * characters, no '|'; see smtpprobe_sanitize()) and owned by the object
 * they come from.
 *
 * Nothing here prints, exits, aborts, raises SIGPIPE or blocks outside
 * the caller's poll (smtpprobe_loop_run() is the caller's poll).
 */
#ifndef SMTPPROBE_H
#define SMTPPROBE_H

#include <stddef.h>
#include <stdint.h>
#include <poll.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SMTPPROBE_VERSION_MAJOR	0
#define SMTPPROBE_VERSION_MINOR	1
#define SMTPPROBE_VERSION_PATCH	0
#define SMTPPROBE_VERSION_STRING	"0.1.0"

/* The library's version string ("0.1.0") and OpenSSL's ("OpenSSL 3.0.x"). */
const char	*smtpprobe_version(void);
const char	*smtpprobe_openssl_version(void);

/* ------------------------------------------------------------------ */
/* Enumerations, each with a stable machine name (metrics, JSON, tests). */

enum smtpprobe_mode {
	SMTPPROBE_MODE_PLAIN,		/* banner + EHLO (records STARTTLS) */
	SMTPPROBE_MODE_STARTTLS,	/* + STARTTLS, handshake, EHLO again */
	SMTPPROBE_MODE_TLS,		/* implicit TLS (RFC 8314), then SMTP */
	SMTPPROBE_MODE_COUNT
};

enum smtpprobe_phase {
	SMTPPROBE_PHASE_RESOLVE,
	SMTPPROBE_PHASE_CONNECT,
	SMTPPROBE_PHASE_TLS_HANDSHAKE,
	SMTPPROBE_PHASE_BANNER,
	SMTPPROBE_PHASE_EHLO,
	SMTPPROBE_PHASE_STARTTLS,
	SMTPPROBE_PHASE_EHLO_TLS,
	SMTPPROBE_PHASE_QUIT,
	SMTPPROBE_PHASE_TOTAL,
	SMTPPROBE_PHASE_COUNT
};

enum smtpprobe_outcome {
	SMTPPROBE_OUTCOME_PENDING,	/* "pending": not finished (yet) */
	SMTPPROBE_OUTCOME_OK,
	SMTPPROBE_OUTCOME_RESOLVE_FAILED,
	SMTPPROBE_OUTCOME_REFUSED,
	SMTPPROBE_OUTCOME_TIMEOUT,
	SMTPPROBE_OUTCOME_UNREACHABLE,
	SMTPPROBE_OUTCOME_RESET,
	SMTPPROBE_OUTCOME_CLOSED,
	SMTPPROBE_OUTCOME_BANNER_REJECTED,
	SMTPPROBE_OUTCOME_PROTOCOL_ERROR,
	SMTPPROBE_OUTCOME_EHLO_REJECTED,
	SMTPPROBE_OUTCOME_STARTTLS_NOT_OFFERED,
	SMTPPROBE_OUTCOME_STARTTLS_REJECTED,
	SMTPPROBE_OUTCOME_TLS_FAILED,
	SMTPPROBE_OUTCOME_CERT_EXPIRED,
	SMTPPROBE_OUTCOME_CERT_NOT_YET_VALID,
	SMTPPROBE_OUTCOME_CERT_UNTRUSTED,
	SMTPPROBE_OUTCOME_CERT_NAME_MISMATCH,
	SMTPPROBE_OUTCOME_INTERNAL,
	SMTPPROBE_OUTCOME_COUNT
};

/* What a port must do (front-end policy; see smtpprobe_policy_met()). */
enum smtpprobe_policy {
	SMTPPROBE_POLICY_REQUIRED,	/* must answer and complete the mode */
	SMTPPROBE_POLICY_OPTIONAL,	/* may be absent; if it answers, judged */
	SMTPPROBE_POLICY_CLOSED,	/* must NOT accept a connection */
	SMTPPROBE_POLICY_COUNT
};

/* Minimum TLS protocol version. */
enum smtpprobe_tls_version {
	SMTPPROBE_TLS_DEFAULT,		/* = 1.2 (RFC 8996) */
	SMTPPROBE_TLS_1_0,
	SMTPPROBE_TLS_1_1,
	SMTPPROBE_TLS_1_2,
	SMTPPROBE_TLS_1_3,
	SMTPPROBE_TLS_COUNT
};

/*
 * Names.  *_name() returns the stable machine name ("starttls_not_offered",
 * "tls_handshake", "starttls", "required", "1.2"), or "?" out of range.
 * smtpprobe_outcome_text() returns a short human text ("STARTTLS not
 * offered").  *_from_name() returns the value, or -1 if the name (compared
 * case-insensitively) is unknown.
 */
const char	*smtpprobe_mode_name(enum smtpprobe_mode);
const char	*smtpprobe_phase_name(enum smtpprobe_phase);
const char	*smtpprobe_outcome_name(enum smtpprobe_outcome);
const char	*smtpprobe_outcome_text(enum smtpprobe_outcome);
const char	*smtpprobe_policy_name(enum smtpprobe_policy);
const char	*smtpprobe_tls_version_name(enum smtpprobe_tls_version);
int		 smtpprobe_mode_from_name(const char *);
int		 smtpprobe_phase_from_name(const char *);
int		 smtpprobe_outcome_from_name(const char *);
int		 smtpprobe_policy_from_name(const char *);
int		 smtpprobe_tls_version_from_name(const char *); /* "1.0".."1.3" */

/* ------------------------------------------------------------------ */
/* Time. */

/* Now on the monotonic clock, microseconds. */
int64_t		 smtpprobe_now(void);

/* ------------------------------------------------------------------ */
/* Port lists: "PORT[/MODE][:POLICY],..." shared by both front ends. */

struct smtpprobe_portspec {
	uint16_t		port;
	enum smtpprobe_mode	mode;	/* default: tls for 465, else starttls */
	enum smtpprobe_policy	policy;	/* default: required */
};

/* The default list of PRODUCT.md. */
#define SMTPPROBE_DEFAULT_PORTS \
	"587/starttls:required,465/tls:optional,25/starttls:optional," \
	"2525/starttls:optional"
#define SMTPPROBE_MX_DEFAULT_PORTS	"25/starttls:required"

/*
 * Parse a comma-separated port list into out[0..max-1]; *n gets the count.
 * Rejects: empty list or item, port 0 or > 65535, non-digits, unknown mode
 * or policy, a port listed twice, more than max items, blanks inside an
 * item (blanks around items are allowed).  Returns 0, or -1 with a one-line
 * reason in err.
 */
int		 smtpprobe_portspec_parse(const char *list,
		    struct smtpprobe_portspec *out, size_t max, size_t *n,
		    char *err, size_t errlen);
/* Format one spec as "587/starttls:required" into buf; returns buf. */
char		*smtpprobe_portspec_format(const struct smtpprobe_portspec *,
		    char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Results: plain data, owned by the probe, valid until smtpprobe_free(). */

/* Candidate addresses of one probe (params.addresses, or the resolver's
 * answer), at most. */
#define SMTPPROBE_MAX_ADDRESSES		16

/* Capability bits (EHLO keywords, RFC 5321 §4.1.1.1, case-insensitive). */
#define SMTPPROBE_CAP_STARTTLS			0x0001u
#define SMTPPROBE_CAP_AUTH			0x0002u
#define SMTPPROBE_CAP_SIZE			0x0004u
#define SMTPPROBE_CAP_PIPELINING		0x0008u
#define SMTPPROBE_CAP_8BITMIME			0x0010u
#define SMTPPROBE_CAP_SMTPUTF8			0x0020u
#define SMTPPROBE_CAP_CHUNKING			0x0040u
#define SMTPPROBE_CAP_REQUIRETLS		0x0080u
#define SMTPPROBE_CAP_DSN			0x0100u
#define SMTPPROBE_CAP_ENHANCEDSTATUSCODES	0x0200u
#define SMTPPROBE_CAP_COUNT			10

/* Name of capability bit index i (0..SMTPPROBE_CAP_COUNT-1): "STARTTLS". */
const char	*smtpprobe_cap_name(unsigned i);

struct smtpprobe_caps {
	int		present;	/* 1 if this EHLO reply was parsed */
	unsigned	flags;		/* SMTPPROBE_CAP_* */
	char		auth[256];	/* AUTH mechanisms, upper case, space
					   separated: "PLAIN LOGIN" */
	uint64_t	size;		/* SIZE argument, 0 if none/unlimited */
	int		helo;		/* 1 if EHLO was refused and HELO used */
};

struct smtpprobe_reply {
	int		code;		/* 0 if no reply was read */
	char		text[512];	/* sanitised; lines joined by " / " */
};

/* Certificate verification findings (several may apply). */
#define SMTPPROBE_VERIFY_EXPIRED	0x01u
#define SMTPPROBE_VERIFY_NOT_YET_VALID	0x02u
#define SMTPPROBE_VERIFY_UNTRUSTED	0x04u
#define SMTPPROBE_VERIFY_NAME_MISMATCH	0x08u

#define SMTPPROBE_MAX_VERIFY_ERRORS	8

struct smtpprobe_cert {
	int		present;	/* 1 if the server sent a certificate */
	char		subject[256];	/* leaf, RFC 2253 ("CN=mail.example.org") */
	char		issuer[256];
	char		common_name[128];
	char		sans[1024];	/* "DNS:a.example, IP:192.0.2.1", truncated */
	char		serial[96];	/* hex, upper case */
	char		fingerprint_sha256[96];	/* hex, upper case, ':'-less */
	int64_t		not_before;	/* Unix seconds, leaf */
	int64_t		not_after;	/* Unix seconds, leaf */
	int64_t		chain_earliest_not_after; /* over all presented */
	int		chain_length;	/* certificates the server presented */
	int		verified;	/* 1 if chain and name verified */
	int		verify_checked;	/* 0 with SMTPPROBE_F_INSECURE_NO_VERIFY */
	unsigned	verify_flags;	/* SMTPPROBE_VERIFY_* found */
	int		verify_errors[SMTPPROBE_MAX_VERIFY_ERRORS]; /* X509_V_ERR */
	int		nverify_errors;
	char		verify_text[256];	/* first error, OpenSSL's words */
};

/*
 * One TCP connect attempt of a probe (RFC 8305 style, see
 * smtpprobe_params.addresses), in the order they were started.
 * outcome is the attempt's own, in connect terms: OK for the one that
 * connected (the probe's outcome may still be anything); REFUSED,
 * UNREACHABLE, TIMEOUT (the probe's deadline came, or it was cancelled:
 * sys_errno ECANCELED), INTERNAL (a local failure: bind, bad address) for
 * one that failed; PENDING for one abandoned, still connecting, because
 * another address connected first or the probe ended for another reason.
 * connect_us: from the attempt's start to its end (connected, failed or
 * abandoned).
 */
struct smtpprobe_attempt {
	char			address[64];	/* numeric */
	enum smtpprobe_outcome	outcome;
	int			sys_errno;	/* 0, or the connect errno */
	int64_t			connect_us;
};

struct smtpprobe_result {
	enum smtpprobe_outcome	outcome;	/* PENDING until done */
	enum smtpprobe_phase	phase;		/* where it happened; TOTAL
						   for ok */
	int			sys_errno;	/* errno for socket outcomes */
	/*
	 * The specific reason of the outcome, "" for ok: "Connection
	 * refused", "no common TLS version >= 1.2", "greeting 554", OpenSSL's
	 * words for a failed handshake.  Rule: it never repeats the
	 * outcome's own text (smtpprobe_outcome_text()), so a front end can
	 * print "<outcome text>: <detail>" without saying a thing twice.
	 */
	char			detail[256];

	char			host[256];	/* as given */
	char			address[64];	/* numeric address used (the one
						   that connected, else the last
						   tried); "" if none */
	uint16_t		port;
	enum smtpprobe_mode	mode;
	int			addresses_tried;

	/*
	 * Per-phase durations in microseconds, -1 for a phase that did not
	 * run.  The failing phase is timed too.  RESOLVE is 0 for an IP
	 * literal.  TOTAL covers everything, resolve included.
	 */
	int64_t			phase_us[SMTPPROBE_PHASE_COUNT];

	struct smtpprobe_reply	banner;		/* greeting */
	struct smtpprobe_reply	ehlo;		/* EHLO (or HELO) reply */
	struct smtpprobe_reply	starttls;	/* reply to STARTTLS */
	struct smtpprobe_reply	ehlo_tls;	/* EHLO after TLS */
	struct smtpprobe_reply	quit;
	struct smtpprobe_caps	caps;		/* before TLS (plain/starttls) */
	struct smtpprobe_caps	caps_tls;	/* after TLS (starttls, tls) */

	int			connected;	/* TCP connect completed */
	int			tls_up;		/* handshake completed */
	char			tls_version[16];/* "TLSv1.3" */
	char			tls_cipher[64];	/* "TLS_AES_256_GCM_SHA384" */
	struct smtpprobe_cert	cert;

	/*
	 * With SMTPPROBE_F_TRACE: the dialogue as text, one line per event
	 * ("C: EHLO x", "S: 250-...", "* TLS handshake done TLSv1.3 ...";
	 * sanitised, bounded to 64 KiB).  NULL otherwise.
	 */
	const char		*transcript;

	/* Every connect attempt (see struct smtpprobe_attempt); nattempts
	 * equals addresses_tried. */
	struct smtpprobe_attempt attempts[SMTPPROBE_MAX_ADDRESSES];
	int			nattempts;
};

/* ------------------------------------------------------------------ */
/* The shared context. */

struct smtpprobe_ctx;

/*
 * Create the shared context.  Cheap: nothing expensive happens here.
 * OpenSSL is initialised, and each client SSL_CTX (one per trust store:
 * the system's, or a CA file) is built, by the first smtpprobe_new() of a
 * probe that needs it, once per process and outside every probe's phase
 * timers (~20 ms for the system store).  A run of plain-mode probes builds
 * no SSL_CTX at all.  Certificates of the system store (the hashed
 * directory /etc/ssl/certs) are read on demand.  OpenSSL's error strings
 * are loaded on the first error that needs wording: a program that uses
 * OpenSSL itself and wants its own error texts should initialise OpenSSL
 * before calling this.  Thread-safe once created.  NULL on failure, with a
 * reason in err (may be NULL).  Probes may outlive it.
 */
struct smtpprobe_ctx	*smtpprobe_ctx_new(char *err, size_t errlen);
void			 smtpprobe_ctx_free(struct smtpprobe_ctx *); /* NULL ok */

/* ------------------------------------------------------------------ */
/* One probe. */

#define SMTPPROBE_F_INSECURE_NO_VERIFY	0x01u	/* report chain and name,
						   don't judge them */
#define SMTPPROBE_F_TRACE		0x02u	/* record the dialogue */
#define SMTPPROBE_F_NO_QUICKACK		0x04u	/* don't re-arm TCP_QUICKACK
						   (benchmarks only) */

struct smtpprobe_params {
	const char		*host;		/* required: name or IP literal;
						   the default verify name */
	uint16_t		 port;		/* required */
	enum smtpprobe_mode	 mode;
	int			 family;	/* AF_UNSPEC, AF_INET, AF_INET6 */
	/*
	 * Addresses to connect to, numeric strings, tried in order (RFC 5321
	 * §5; a new attempt starts every 250 ms while earlier ones are still
	 * connecting, RFC 8305 style; the first to connect wins).  If
	 * naddresses is 0 and host is an IP literal, that is the address;
	 * if host is a name, smtpprobe_step() returns SMTPPROBE_WANT_RESOLVE
	 * (the loop does that for you).  At most SMTPPROBE_MAX_ADDRESSES.
	 */
	const char *const	*addresses;
	size_t			 naddresses;
	int64_t			 deadline;	/* required: monotonic µs; no
						   phase outlives it */
	const char		*ehlo_name;	/* NULL: host name if it has a
						   dot, else address literal */
	const char		*verify_name;	/* NULL: host */
	const char		*sni;		/* NULL: verify name, never an IP
						   literal (RFC 6066 §3) */
	const char		*ca_file;	/* NULL: system trust store */
	const char		*source_address;/* NULL: kernel's choice */
	enum smtpprobe_tls_version min_tls;	/* DEFAULT = 1.2; below 1.2
						   also lowers the security
						   level so old servers work */
	unsigned		 flags;		/* SMTPPROBE_F_* */
	/*
	 * For a caller that resolved host itself and passes the answer in
	 * addresses: how long that took (µs).  With naddresses > 0 and
	 * resolve_us > 0 the result's RESOLVE phase is resolve_us and TOTAL
	 * includes it; 0 (or no addresses) means none (RESOLVE 0 with
	 * addresses given, else measured by whoever resolves).
	 */
	int64_t			 resolve_us;
};

struct smtpprobe;

/*
 * Create a probe.  The library copies everything it needs from params.
 * Returns NULL on a bad parameter or out of memory, with a reason in err.
 * The probe's clock starts at its first smtpprobe_step().  A starttls or
 * tls probe takes the context's SSL_CTX here (the first one in a process
 * builds it and opens the trust store), so that one-time cost is never
 * counted as a phase; a CA file that cannot be loaded is reported as the
 * probe's outcome (internal, "cannot load CA file ...") when TLS starts.
 *
 * Dialogue notes: after a certificate verdict other than ok the outcome
 * (phase tls_handshake) is kept and the dialogue goes on (banner, EHLO,
 * QUIT; nothing secret is ever sent), so the result still holds the
 * banner and capabilities.  QUIT's reply is waited for at most 1 s (and
 * never past the deadline); a missing reply or an early close there never
 * changes the outcome.
 */
struct smtpprobe	*smtpprobe_new(struct smtpprobe_ctx *,
			    const struct smtpprobe_params *, char *err,
			    size_t errlen);
void			 smtpprobe_free(struct smtpprobe *);	/* NULL ok */

/* Return values of smtpprobe_step(). */
#define SMTPPROBE_DONE		0	/* result final */
#define SMTPPROBE_WANT_IO	1	/* wait on smtpprobe_pollfds() or the
					   deadline, then step again */
#define SMTPPROBE_WANT_RESOLVE	2	/* needs smtpprobe_set_addresses() */
#define SMTPPROBE_ERROR		(-1)	/* call failed: smtpprobe_error() */

/*
 * Advance the probe as far as it can go without blocking.  now is
 * smtpprobe_now() (tests pass any value; it must not go backwards).
 * Call it again when a descriptor from smtpprobe_pollfds() is ready or the
 * time from smtpprobe_next_timeout() has come.  Spurious calls are
 * harmless.  Once it returned SMTPPROBE_DONE it keeps returning it.
 * A fast server can carry several phases through one call; the real time
 * spent inside the call (handshake CPU, replies already waiting) is added
 * to now for the phases that end in it, so phase times stay true.
 */
int			 smtpprobe_step(struct smtpprobe *, int64_t now);

/* Up to SMTPPROBE_MAX_POLLFDS descriptors with events; returns the count. */
#define SMTPPROBE_MAX_POLLFDS	4
size_t			 smtpprobe_pollfds(const struct smtpprobe *,
			    struct pollfd *fds, size_t nfds);

/* The next time (monotonic µs) the probe must be stepped without I/O:
 * the deadline, or an earlier internal timer (next connect attempt). */
int64_t			 smtpprobe_next_timeout(const struct smtpprobe *);

/*
 * Hand the resolver's answer to a probe that returned WANT_RESOLVE.
 * addresses: numeric strings, in the resolver's order.  naddresses == 0
 * means the name did not resolve: outcome is set from failure_outcome
 * (RESOLVE_FAILED or TIMEOUT) with detail as its text.  resolve_us is
 * the duration to record as the resolve phase.  Then step the probe again
 * (it connects, or finishes in the resolve phase).  Addresses that are not
 * numeric, or not of params.family, are skipped.  -1 if the probe is not
 * waiting for addresses.
 */
int			 smtpprobe_set_addresses(struct smtpprobe *,
			    const char *const *addresses, size_t naddresses,
			    int64_t resolve_us,
			    enum smtpprobe_outcome failure_outcome,
			    const char *detail);

/* Finish the probe now with outcome TIMEOUT in its current phase (used
 * when the caller gives up, e.g. a shutting-down daemon). */
void			 smtpprobe_cancel(struct smtpprobe *, int64_t now);

const struct smtpprobe_result *smtpprobe_result(const struct smtpprobe *);
const char		*smtpprobe_error(const struct smtpprobe *);

/* ------------------------------------------------------------------ */
/* Policy: does this result satisfy the port's policy?  (1 or 0)
 * required: ok; optional: ok, or nothing answered (refused, timeout in
 * connect, unreachable); closed: nothing answered. */
int		 smtpprobe_policy_met(enum smtpprobe_policy,
		    const struct smtpprobe_result *);
/* 1 if the outcome means "nothing answered on this port" (refused,
 * unreachable, timeout in connect). */
int		 smtpprobe_result_unanswered(const struct smtpprobe_result *);

/* ------------------------------------------------------------------ */
/* DNS lookups (c-ares, through a loop). */

#define SMTPPROBE_MAX_MX	16

#define SMTPPROBE_LOOKUP_ADDR	0x1u	/* A and/or AAAA per family */
#define SMTPPROBE_LOOKUP_MX	0x2u

struct smtpprobe_mx {
	uint16_t	preference;
	char		host[256];
};

struct smtpprobe_lookup_result {
	enum smtpprobe_outcome	outcome;	/* OK, RESOLVE_FAILED, TIMEOUT,
						   INTERNAL */
	char			detail[128];	/* "NXDOMAIN", "no AAAA record" */
	int64_t			duration_us;
	size_t			naddresses;
	char			addresses[SMTPPROBE_MAX_ADDRESSES][64];
	size_t			nmx;		/* sorted by preference */
	struct smtpprobe_mx	mx[SMTPPROBE_MAX_MX];
	int			null_mx;	/* RFC 7505 "MX 0 ." */
	int			no_mx;		/* no MX record: use the domain
						   itself (RFC 5321 §5.1) */
};

/* ------------------------------------------------------------------ */
/* The ready-made event loop (epoll + c-ares).  One thread drives it. */

struct smtpprobe_loop;

struct smtpprobe_loop_params {
	/* Resolver override: "ADDR[:PORT][,ADDR[:PORT]...]", IPv6 as
	 * "[::1]:53".  NULL: the system's (/etc/resolv.conf). */
	const char	*dns_servers;
	/* Cap on probes doing I/O at once; 0 = no cap (beyond fd limits). */
	size_t		 max_active;
};

typedef void smtpprobe_probe_done_fn(struct smtpprobe *, void *arg);
typedef void smtpprobe_lookup_done_fn(const struct smtpprobe_lookup_result *,
    void *arg);

/*
 * params may be NULL.  A bad dns_servers is rejected here.  The c-ares
 * channel is made when a probe of a name is added or a lookup of a name
 * starts (never inside a probe's resolve phase); a run of IP literals
 * never reads /etc/resolv.conf.  NULL on failure with a reason in err.
 */
struct smtpprobe_loop	*smtpprobe_loop_new(struct smtpprobe_ctx *,
			    const struct smtpprobe_loop_params *, char *err,
			    size_t errlen);
/* Frees the loop; probes still in it are cancelled and their done
 * callbacks called (they own their probes).  NULL ok. */
void			 smtpprobe_loop_free(struct smtpprobe_loop *);

/*
 * Add a probe; the loop steps it (resolving names through c-ares, one
 * query per name and family shared by all probes added in the same
 * iteration) and calls done(probe, arg) once, from smtpprobe_loop_run(),
 * when it is finished.  The caller still owns the probe and frees it
 * (within done, or later).  Only from the loop's thread.
 */
int			 smtpprobe_loop_add(struct smtpprobe_loop *,
			    struct smtpprobe *, smtpprobe_probe_done_fn *done,
			    void *arg);

/*
 * Start a DNS lookup of name (SMTPPROBE_LOOKUP_ADDR and/or _MX; family
 * AF_UNSPEC, AF_INET or AF_INET6) that ends by deadline; done is called
 * once from smtpprobe_loop_run().  An IP literal is answered without DNS.
 */
int			 smtpprobe_loop_lookup(struct smtpprobe_loop *,
			    const char *name, unsigned what, int family,
			    int64_t deadline, smtpprobe_lookup_done_fn *done,
			    void *arg);

/*
 * Run the loop: wait for I/O and timers, step probes, call callbacks.
 * Returns when nothing is pending, when timeout_ms has passed (-1: no
 * limit), or when smtpprobe_loop_wakeup() was called.  Returns the number
 * of probes and lookups still pending, or -1 on a call failure.
 */
int			 smtpprobe_loop_run(struct smtpprobe_loop *,
			    int timeout_ms);
/* Thread-safe and async-signal-safe: make smtpprobe_loop_run() return. */
void			 smtpprobe_loop_wakeup(struct smtpprobe_loop *);
/* Probes and lookups pending in the loop. */
size_t			 smtpprobe_loop_pending(const struct smtpprobe_loop *);
const char		*smtpprobe_loop_error(const struct smtpprobe_loop *);

/* ------------------------------------------------------------------ */
/* Text helpers. */

/*
 * Copy srclen bytes of untrusted text into dst (always NUL-terminated,
 * truncated on a character boundary): valid UTF-8 is kept, bytes that
 * are not valid UTF-8 become "\xHH", control characters (including CR,
 * LF, TAB, DEL) become a space, and '|' becomes '/'.  Returns the length
 * written.
 */
size_t		 smtpprobe_sanitize(char *dst, size_t dstlen,
		    const char *src, size_t srclen);

#ifdef __cplusplus
}
#endif

#endif /* SMTPPROBE_H */
