/*
 * check_plugin_evaluate.c: PRODUCT.md's state table (outcome x policy),
 * --timeout-state, certificate days, thresholds, cleartext AUTH, the state
 * file latches and the run verdict (plugin/evaluate.c), on synthetic
 * results: no sockets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite.h"
#include "config.h"
#include "evaluate.h"
#include "report.h"

#define NOW	1800000000LL	/* a fixed "now", Unix seconds */
#define DAY	86400LL

static struct smtpprobe_result	 res;
static struct report_item	 item;
static struct plugin_config	 cfg;

/* A result with outcome o in phase ph; connected as the outcome implies. */
static void
setup_result(enum smtpprobe_outcome o, enum smtpprobe_phase ph,
    enum smtpprobe_mode mode)
{
	int	 i;

	memset(&res, 0, sizeof(res));
	res.outcome = o;
	res.phase = ph;
	res.mode = mode;
	res.port = 587;
	snprintf(res.host, sizeof(res.host), "mail.example.org");
	snprintf(res.address, sizeof(res.address), "192.0.2.1");
	for (i = 0; i < SMTPPROBE_PHASE_COUNT; i++)
		res.phase_us[i] = -1;
	res.phase_us[SMTPPROBE_PHASE_RESOLVE] = 1000;
	res.phase_us[SMTPPROBE_PHASE_TOTAL] = 5000;
	switch (o) {
	case SMTPPROBE_OUTCOME_REFUSED:
	case SMTPPROBE_OUTCOME_UNREACHABLE:
	case SMTPPROBE_OUTCOME_RESOLVE_FAILED:
	case SMTPPROBE_OUTCOME_INTERNAL:
		break;
	case SMTPPROBE_OUTCOME_TIMEOUT:
		res.connected = ph != SMTPPROBE_PHASE_CONNECT &&
		    ph != SMTPPROBE_PHASE_RESOLVE;
		break;
	default:
		res.connected = 1;
		res.phase_us[SMTPPROBE_PHASE_CONNECT] = 500;
		break;
	}
	memset(&item, 0, sizeof(item));
	item.r = &res;
	item.spec.port = 587;
	item.spec.mode = mode;
	config_defaults(&cfg);
}

static void
judge(enum smtpprobe_policy policy)
{
	item.spec.policy = policy;
	evaluate_item(&cfg, &item, NOW);
}

/* Does any reason of the item contain s? */
static int
has_reason(const char *s)
{
	size_t	 i;

	for (i = 0; i < item.nreasons; i++)
		if (strstr(item.reasons[i], s) != NULL)
			return 1;
	return 0;
}

#define R	PLUGIN_OK
#define W	PLUGIN_WARNING
#define C	PLUGIN_CRITICAL
#define U	PLUGIN_UNKNOWN

/* Every row of PRODUCT.md's table: required, optional, closed. */
static const struct {
	enum smtpprobe_outcome	 o;
	enum smtpprobe_phase	 ph;
	enum plugin_state	 req, opt, clo;
	const char		*clo_text;	/* in the closed verdict */
} table[] = {
	{ SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL, R, R, C, "answers" },
	{ SMTPPROBE_OUTCOME_REFUSED, SMTPPROBE_PHASE_CONNECT, C, R, R,
	  "closed as required" },
	{ SMTPPROBE_OUTCOME_TIMEOUT, SMTPPROBE_PHASE_CONNECT, C, R, R,
	  "closed as required" },
	{ SMTPPROBE_OUTCOME_UNREACHABLE, SMTPPROBE_PHASE_CONNECT, C, R, R,
	  "closed as required" },
	{ SMTPPROBE_OUTCOME_TIMEOUT, SMTPPROBE_PHASE_BANNER, C, W, C,
	  "answers" },
	{ SMTPPROBE_OUTCOME_TIMEOUT, SMTPPROBE_PHASE_EHLO_TLS, C, W, C,
	  "answers" },
	{ SMTPPROBE_OUTCOME_RESET, SMTPPROBE_PHASE_EHLO, C, W, C, "answers" },
	{ SMTPPROBE_OUTCOME_CLOSED, SMTPPROBE_PHASE_BANNER, C, W, C,
	  "answers" },
	{ SMTPPROBE_OUTCOME_BANNER_REJECTED, SMTPPROBE_PHASE_BANNER, C, W, C,
	  "answers" },
	{ SMTPPROBE_OUTCOME_PROTOCOL_ERROR, SMTPPROBE_PHASE_BANNER, C, W, C,
	  "answers" },
	{ SMTPPROBE_OUTCOME_EHLO_REJECTED, SMTPPROBE_PHASE_EHLO, C, W, C,
	  "answers" },
	{ SMTPPROBE_OUTCOME_STARTTLS_NOT_OFFERED, SMTPPROBE_PHASE_EHLO, C, W, C,
	  "answers" },
	{ SMTPPROBE_OUTCOME_STARTTLS_REJECTED, SMTPPROBE_PHASE_STARTTLS, C, W,
	  C, "answers" },
	{ SMTPPROBE_OUTCOME_TLS_FAILED, SMTPPROBE_PHASE_TLS_HANDSHAKE, C, W, C,
	  "answers" },
	{ SMTPPROBE_OUTCOME_CERT_EXPIRED, SMTPPROBE_PHASE_TLS_HANDSHAKE, C, W,
	  C, "answers" },
	{ SMTPPROBE_OUTCOME_CERT_NOT_YET_VALID, SMTPPROBE_PHASE_TLS_HANDSHAKE,
	  C, W, C, "answers" },
	{ SMTPPROBE_OUTCOME_CERT_UNTRUSTED, SMTPPROBE_PHASE_TLS_HANDSHAKE, C, W,
	  C, "answers" },
	{ SMTPPROBE_OUTCOME_CERT_NAME_MISMATCH, SMTPPROBE_PHASE_TLS_HANDSHAKE,
	  C, W, C, "answers" },
	{ SMTPPROBE_OUTCOME_RESOLVE_FAILED, SMTPPROBE_PHASE_RESOLVE, C, C, U,
	  "cannot resolve" },
	{ SMTPPROBE_OUTCOME_TIMEOUT, SMTPPROBE_PHASE_RESOLVE, C, C, U,
	  "timeout in resolve" },
	{ SMTPPROBE_OUTCOME_INTERNAL, SMTPPROBE_PHASE_CONNECT, U, U, U, "" },
};

START_TEST(test_evaluate_table)
{
	const char	*on = smtpprobe_outcome_name(table[_i].o);

	setup_result(table[_i].o, table[_i].ph, SMTPPROBE_MODE_STARTTLS);
	judge(SMTPPROBE_POLICY_REQUIRED);
	ck_assert_msg(item.state == table[_i].req, "%s required: %d",
	    on, item.state);
	ck_assert_uint_ge(item.nreasons, table[_i].req == R ? 0 : 1);
	judge(SMTPPROBE_POLICY_OPTIONAL);
	ck_assert_msg(item.state == table[_i].opt, "%s optional: %d",
	    on, item.state);
	if (table[_i].opt == R && table[_i].o != SMTPPROBE_OUTCOME_OK)
		ck_assert_msg(has_reason("not offered"), "%s: %s", on,
		    item.reasons[0]);
	judge(SMTPPROBE_POLICY_CLOSED);
	ck_assert_msg(item.state == table[_i].clo, "%s closed: %d",
	    on, item.state);
	ck_assert_msg(has_reason(table[_i].clo_text), "%s closed: '%s'",
	    on, item.nreasons > 0 ? item.reasons[0] : "");
}
END_TEST

/*
 * A timeout's text names the phase and the -t budget that passed, not the
 * phase's own time (a probe that started late, e.g. under valgrind,
 * waited 144 ms in banner of an 8 s budget); the phase's time comes
 * second when it differs from the budget.
 */
START_TEST(test_evaluate_timeout_text)
{
	setup_result(SMTPPROBE_OUTCOME_TIMEOUT, SMTPPROBE_PHASE_BANNER,
	    SMTPPROBE_MODE_STARTTLS);
	cfg.timeout = 8;
	res.phase_us[SMTPPROBE_PHASE_BANNER] = 144000;
	res.phase_us[SMTPPROBE_PHASE_TOTAL] = 150000;
	judge(SMTPPROBE_POLICY_REQUIRED);
	ck_assert_int_eq(item.state, C);
	ck_assert_msg(has_reason("timeout in banner (no answer within 8.0s, "
	    "waited 144ms in banner)"), "%s", item.reasons[0]);

	/* the phase ran (nearly) the whole budget: the budget alone */
	setup_result(SMTPPROBE_OUTCOME_TIMEOUT, SMTPPROBE_PHASE_BANNER,
	    SMTPPROBE_MODE_STARTTLS);
	cfg.timeout = 0.25;
	res.phase_us[SMTPPROBE_PHASE_BANNER] = 249000;
	judge(SMTPPROBE_POLICY_REQUIRED);
	ck_assert_msg(has_reason("timeout in banner (no answer within "
	    "0.25s)"), "%s", item.reasons[0]);

	/* a phase with no time recorded: the budget alone */
	setup_result(SMTPPROBE_OUTCOME_TIMEOUT, SMTPPROBE_PHASE_CONNECT,
	    SMTPPROBE_MODE_STARTTLS);
	judge(SMTPPROBE_POLICY_REQUIRED);
	ck_assert_msg(has_reason("timeout in connect (no answer within "
	    "10.0s)"), "%s", item.reasons[0]);
	ck_assert(!has_reason("waited"));
}
END_TEST

/* --timeout-state replaces every timeout that is a problem. */
START_TEST(test_evaluate_timeout_state)
{
	setup_result(SMTPPROBE_OUTCOME_TIMEOUT, SMTPPROBE_PHASE_BANNER,
	    SMTPPROBE_MODE_STARTTLS);
	cfg.timeout_state = PLUGIN_UNKNOWN;
	cfg.timeout_state_set = 1;
	judge(SMTPPROBE_POLICY_REQUIRED);
	ck_assert_int_eq(item.state, U);
	ck_assert(has_reason("timeout in banner"));
	judge(SMTPPROBE_POLICY_OPTIONAL);
	ck_assert_int_eq(item.state, U);
	judge(SMTPPROBE_POLICY_CLOSED);
	ck_assert_int_eq(item.state, U);

	cfg.timeout_state = PLUGIN_WARNING;
	judge(SMTPPROBE_POLICY_REQUIRED);
	ck_assert_int_eq(item.state, W);

	/* A timeout in connect is "not offered" / "closed": stays OK. */
	setup_result(SMTPPROBE_OUTCOME_TIMEOUT, SMTPPROBE_PHASE_CONNECT,
	    SMTPPROBE_MODE_STARTTLS);
	cfg.timeout_state = PLUGIN_UNKNOWN;
	cfg.timeout_state_set = 1;
	judge(SMTPPROBE_POLICY_REQUIRED);
	ck_assert_int_eq(item.state, U);
	judge(SMTPPROBE_POLICY_OPTIONAL);
	ck_assert_int_eq(item.state, R);
	judge(SMTPPROBE_POLICY_CLOSED);
	ck_assert_int_eq(item.state, R);

	/* ok is never replaced; refused is not a timeout. */
	setup_result(SMTPPROBE_OUTCOME_REFUSED, SMTPPROBE_PHASE_CONNECT,
	    SMTPPROBE_MODE_STARTTLS);
	cfg.timeout_state = PLUGIN_OK;
	cfg.timeout_state_set = 1;
	judge(SMTPPROBE_POLICY_REQUIRED);
	ck_assert_int_eq(item.state, C);
}
END_TEST

/* A TLS result with a certificate whose chain ends at not_after. */
static void
setup_tls(enum smtpprobe_outcome o, int64_t leaf_na, int64_t chain_na)
{
	setup_result(o, o == SMTPPROBE_OUTCOME_OK ? SMTPPROBE_PHASE_TOTAL :
	    SMTPPROBE_PHASE_TLS_HANDSHAKE, SMTPPROBE_MODE_TLS);
	res.tls_up = 1;
	snprintf(res.tls_version, sizeof(res.tls_version), "TLSv1.3");
	res.cert.present = 1;
	res.cert.not_before = NOW - 30 * DAY;
	res.cert.not_after = leaf_na;
	res.cert.chain_earliest_not_after = chain_na;
	res.cert.verify_checked = 1;
	res.cert.verified = o == SMTPPROBE_OUTCOME_OK;
}

static const struct {
	int64_t			 leaf_days, chain_days;
	long			 warn, crit;
	enum smtpprobe_policy	 policy;
	enum plugin_state	 want;
	const char		*text;
} certs[] = {
	{ 61, 61, 14, 7, SMTPPROBE_POLICY_REQUIRED, R, NULL },
	{ 14, 14, 14, 7, SMTPPROBE_POLICY_REQUIRED, R, NULL },
	{ 13, 13, 14, 7, SMTPPROBE_POLICY_REQUIRED, W, "expires in 13 days" },
	{ 7, 7, 14, 7, SMTPPROBE_POLICY_REQUIRED, W, "expires in 7 days" },
	{ 6, 6, 14, 7, SMTPPROBE_POLICY_REQUIRED, C, "expires in 6 days" },
	{ 10, 10, 14, 7, SMTPPROBE_POLICY_OPTIONAL, W, "(< 14)" },
	{ 3, 3, 14, 7, SMTPPROBE_POLICY_OPTIONAL, C, "(< 7)" },
	/* the chain's earliest notAfter is what counts */
	{ 300, 5, 14, 7, SMTPPROBE_POLICY_REQUIRED, C, "expires in 5 days" },
	/* --cert-days 0,0: only expiry matters */
	{ 1, 1, 0, 0, SMTPPROBE_POLICY_REQUIRED, R, NULL },
	{ -1, -1, 0, 0, SMTPPROBE_POLICY_REQUIRED, C, "expired" },
	/* an expired certificate on an optional port is still CRITICAL */
	{ -3, -3, 14, 7, SMTPPROBE_POLICY_OPTIONAL, C, "expired 3 days ago" },
};

/* With --no-verify the outcome is ok; days still judge. */
START_TEST(test_evaluate_cert_days)
{
	setup_tls(SMTPPROBE_OUTCOME_OK, NOW + certs[_i].leaf_days * DAY + 60,
	    NOW + certs[_i].chain_days * DAY + 60);
	if (certs[_i].chain_days < 0) {
		res.cert.not_after -= 120;
		res.cert.chain_earliest_not_after -= 120;
	}
	res.cert.verify_checked = 0;
	cfg.cert_warn_days = certs[_i].warn;
	cfg.cert_crit_days = certs[_i].crit;
	judge(certs[_i].policy);
	ck_assert_msg(item.state == certs[_i].want, "row %d: state %d", _i,
	    item.state);
	if (certs[_i].text != NULL)
		ck_assert_msg(has_reason(certs[_i].text), "row %d: '%s'", _i,
		    item.nreasons > 0 ? item.reasons[0] : "");
	else
		ck_assert_uint_eq(item.nreasons, 0);
}
END_TEST

/* Verification on: cert_expired on an optional port is CRITICAL (the
 * table says WARNING for cert_*, expiry overrides). */
START_TEST(test_evaluate_cert_expired_verified)
{
	setup_tls(SMTPPROBE_OUTCOME_CERT_EXPIRED, NOW - 3 * DAY - 10,
	    NOW - 3 * DAY - 10);
	judge(SMTPPROBE_POLICY_OPTIONAL);
	ck_assert_int_eq(item.state, C);
	ck_assert(has_reason("certificate expired 3 days ago"));
	ck_assert_uint_eq(item.nreasons, 1);	/* said once */

	setup_tls(SMTPPROBE_OUTCOME_CERT_UNTRUSTED, NOW + 100 * DAY,
	    NOW + 100 * DAY);
	snprintf(res.cert.verify_text, sizeof(res.cert.verify_text),
	    "self-signed certificate");
	judge(SMTPPROBE_POLICY_OPTIONAL);
	ck_assert_int_eq(item.state, W);
	ck_assert(has_reason("self-signed certificate"));
}
END_TEST

static const struct {
	const char		*warn, *crit;	/* -w, -c on total */
	const char		*pw, *pc;	/* tls_handshake phase */
	int64_t			 total_us, hs_us;
	enum plugin_state	 want;
} thresholds[] = {
	{ NULL, NULL, NULL, NULL, 5000000, 100000, R },
	{ "1", "2", NULL, NULL, 500000, 100000, R },
	{ "1", "2", NULL, NULL, 1000000, 100000, R },	/* boundary */
	{ "1", "2", NULL, NULL, 1000001, 100000, W },
	{ "1", "2", NULL, NULL, 2500000, 100000, C },
	{ NULL, NULL, "0.05", NULL, 500000, 100000, W },
	{ NULL, NULL, "0.05", "0.09", 500000, 100000, C },
	{ NULL, NULL, "0.5", "0.9", 500000, 100000, R },
	{ "@0:1", NULL, NULL, NULL, 500000, 100000, W },	/* inside */
	{ "~:0.1", "10:", NULL, NULL, 500000, 100000, C },
};

START_TEST(test_evaluate_thresholds)
{
	struct range	*r;

	setup_tls(SMTPPROBE_OUTCOME_OK, NOW + 100 * DAY, NOW + 100 * DAY);
	res.phase_us[SMTPPROBE_PHASE_TOTAL] = thresholds[_i].total_us;
	res.phase_us[SMTPPROBE_PHASE_TLS_HANDSHAKE] = thresholds[_i].hs_us;
	if (thresholds[_i].warn != NULL)
		ck_assert_int_eq(range_parse(thresholds[_i].warn, &cfg.warn,
		    NULL, 0), 0);
	if (thresholds[_i].crit != NULL)
		ck_assert_int_eq(range_parse(thresholds[_i].crit, &cfg.crit,
		    NULL, 0), 0);
	r = &cfg.phase_warn[SMTPPROBE_PHASE_TLS_HANDSHAKE];
	if (thresholds[_i].pw != NULL)
		ck_assert_int_eq(range_parse(thresholds[_i].pw, r, NULL, 0),
		    0);
	r = &cfg.phase_crit[SMTPPROBE_PHASE_TLS_HANDSHAKE];
	if (thresholds[_i].pc != NULL)
		ck_assert_int_eq(range_parse(thresholds[_i].pc, r, NULL, 0),
		    0);
	judge(SMTPPROBE_POLICY_REQUIRED);
	ck_assert_msg(item.state == thresholds[_i].want, "row %d: %d", _i,
	    item.state);
	if (thresholds[_i].want != R)
		ck_assert(has_reason("outside"));
}
END_TEST

/* The worst reason comes first (it is what the status line shows). */
START_TEST(test_evaluate_reason_order)
{
	setup_tls(SMTPPROBE_OUTCOME_OK, NOW + 10 * DAY + 60,
	    NOW + 10 * DAY + 60);
	res.phase_us[SMTPPROBE_PHASE_TOTAL] = 3000000;
	res.phase_us[SMTPPROBE_PHASE_EHLO] = 17000;
	ck_assert_int_eq(range_parse("0.0001",
	    &cfg.phase_warn[SMTPPROBE_PHASE_EHLO], NULL, 0), 0);
	ck_assert_int_eq(range_parse("2", &cfg.crit, NULL, 0), 0);
	judge(SMTPPROBE_POLICY_REQUIRED);
	ck_assert_int_eq(item.state, C);
	ck_assert_uint_eq(item.nreasons, 3);
	ck_assert_msg(strstr(item.reasons[0], "total") != NULL &&
	    strstr(item.reasons[0], "critical") != NULL, "%s",
	    item.reasons[0]);
	/* equals keep their order: cert days, then the ehlo threshold */
	ck_assert_ptr_nonnull(strstr(item.reasons[1], "expires in 10 days"));
	ck_assert_ptr_nonnull(strstr(item.reasons[2], "ehlo"));
}
END_TEST

/* Thresholds never turn "not offered" or "closed" into a problem. */
START_TEST(test_evaluate_thresholds_unanswered)
{
	setup_result(SMTPPROBE_OUTCOME_TIMEOUT, SMTPPROBE_PHASE_CONNECT,
	    SMTPPROBE_MODE_STARTTLS);
	res.phase_us[SMTPPROBE_PHASE_TOTAL] = 10000000;
	res.phase_us[SMTPPROBE_PHASE_CONNECT] = 10000000;
	ck_assert_int_eq(range_parse("1", &cfg.crit, NULL, 0), 0);
	judge(SMTPPROBE_POLICY_OPTIONAL);
	ck_assert_int_eq(item.state, R);
	judge(SMTPPROBE_POLICY_CLOSED);
	ck_assert_int_eq(item.state, R);
}
END_TEST

START_TEST(test_evaluate_auth_cleartext)
{
	setup_result(SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL,
	    SMTPPROBE_MODE_STARTTLS);
	res.caps.present = 1;
	res.caps.flags = SMTPPROBE_CAP_STARTTLS | SMTPPROBE_CAP_AUTH;
	snprintf(res.caps.auth, sizeof(res.caps.auth), "PLAIN LOGIN");
	judge(SMTPPROBE_POLICY_REQUIRED);
	ck_assert_int_eq(item.state, W);
	ck_assert(has_reason("AUTH offered in cleartext (PLAIN LOGIN)"));

	/* Only AUTH after TLS: fine. */
	res.caps.flags = SMTPPROBE_CAP_STARTTLS;
	res.caps_tls.present = 1;
	res.caps_tls.flags = SMTPPROBE_CAP_AUTH;
	judge(SMTPPROBE_POLICY_REQUIRED);
	ck_assert_int_eq(item.state, R);

	/* plain mode: AUTH in clear is what the user asked to see. */
	setup_result(SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL,
	    SMTPPROBE_MODE_PLAIN);
	res.caps.present = 1;
	res.caps.flags = SMTPPROBE_CAP_AUTH;
	judge(SMTPPROBE_POLICY_REQUIRED);
	ck_assert_int_eq(item.state, R);
}
END_TEST

/* State file latches: lost STARTTLS, became unreachable, recovery. */
START_TEST(test_evaluate_latches)
{
	/* Lost STARTTLS: CRITICAL whatever the policy. */
	setup_result(SMTPPROBE_OUTCOME_OK, SMTPPROBE_PHASE_TOTAL,
	    SMTPPROBE_MODE_PLAIN);
	res.caps.present = 1;
	res.caps.flags = SMTPPROBE_CAP_PIPELINING;
	item.prev_starttls = NOW - 3600;
	judge(SMTPPROBE_POLICY_OPTIONAL);
	ck_assert_int_eq(item.state, C);
	ck_assert(has_reason("lost STARTTLS (last seen "));
	ck_assert_str_eq(item.reasons[0],
	    "lost STARTTLS (last seen 2027-01-15T07:00:00Z)");

	/* starttls mode: starttls_not_offered, lost says why. */
	setup_result(SMTPPROBE_OUTCOME_STARTTLS_NOT_OFFERED,
	    SMTPPROBE_PHASE_EHLO, SMTPPROBE_MODE_STARTTLS);
	res.caps.present = 1;
	item.prev_starttls = NOW - 60;
	judge(SMTPPROBE_POLICY_OPTIONAL);
	ck_assert_int_eq(item.state, C);
	ck_assert(has_reason("lost STARTTLS"));
	ck_assert(has_reason("STARTTLS not offered") ||
	    has_reason(smtpprobe_outcome_text(
	    SMTPPROBE_OUTCOME_STARTTLS_NOT_OFFERED)));

	/* Recovered: STARTTLS back, no alert. */
	res.outcome = SMTPPROBE_OUTCOME_OK;
	res.caps.flags = SMTPPROBE_CAP_STARTTLS;
	judge(SMTPPROBE_POLICY_REQUIRED);
	ck_assert_int_eq(item.state, R);
	ck_assert(!has_reason("lost"));

	/* Unanswered now: "lost STARTTLS" cannot be judged; optional port
	 * that answered before: became unreachable. */
	setup_result(SMTPPROBE_OUTCOME_REFUSED, SMTPPROBE_PHASE_CONNECT,
	    SMTPPROBE_MODE_STARTTLS);
	item.prev_starttls = NOW - 60;
	item.prev_answered = NOW - 60;
	judge(SMTPPROBE_POLICY_OPTIONAL);
	ck_assert_int_eq(item.state, W);
	ck_assert(has_reason("became unreachable (last answered "));
	ck_assert(!has_reason("lost"));
	/* Required: CRITICAL anyway (no extra latch). */
	judge(SMTPPROBE_POLICY_REQUIRED);
	ck_assert_int_eq(item.state, C);
	ck_assert(!has_reason("became unreachable"));
	/* Closed: no memory of answering matters. */
	judge(SMTPPROBE_POLICY_CLOSED);
	ck_assert_int_eq(item.state, R);

	/* Never answered before: not offered, OK. */
	item.prev_answered = 0;
	judge(SMTPPROBE_POLICY_OPTIONAL);
	ck_assert_int_eq(item.state, R);

	/* Implicit TLS ports have no STARTTLS to lose. */
	setup_tls(SMTPPROBE_OUTCOME_OK, NOW + 100 * DAY, NOW + 100 * DAY);
	item.prev_starttls = NOW - 60;
	judge(SMTPPROBE_POLICY_REQUIRED);
	ck_assert_int_eq(item.state, R);
}
END_TEST

/* Worst wins; --mx-any: OK if one MX host is all OK; problems count. */
START_TEST(test_evaluate_report)
{
	struct report			 rep;
	struct report_item		*it;
	static struct smtpprobe_result	 ok, bad;
	int				 i;

	config_defaults(&cfg);
	memset(&ok, 0, sizeof(ok));
	memset(&bad, 0, sizeof(bad));
	for (i = 0; i < SMTPPROBE_PHASE_COUNT; i++)
		ok.phase_us[i] = bad.phase_us[i] = -1;
	ok.outcome = SMTPPROBE_OUTCOME_OK;
	ok.connected = 1;
	bad.outcome = SMTPPROBE_OUTCOME_REFUSED;
	bad.phase = SMTPPROBE_PHASE_CONNECT;

	report_init(&rep);
	rep.wall_now = NOW;
	ck_assert_ptr_nonnull(report_add_host(&rep, "mx1.example.org"));
	ck_assert_ptr_nonnull(report_add_host(&rep, "mx2.example.org"));
	it = report_add_item(&rep);
	it->r = &ok;
	it->host = 0;
	it = report_add_item(&rep);
	it->r = &bad;
	it->host = 1;
	evaluate_report(&cfg, &rep);
	ck_assert_int_eq(rep.state, C);
	ck_assert_int_eq(rep.hosts[0].state, R);
	ck_assert_int_eq(rep.hosts[1].state, C);

	cfg.mx = cfg.mx_any = 1;
	evaluate_report(&cfg, &rep);
	ck_assert_int_eq(rep.state, R);

	/* A run-level problem (null MX) is counted. */
	snprintf(rep.problem, sizeof(rep.problem), "null MX");
	rep.problem_state = C;
	evaluate_report(&cfg, &rep);
	ck_assert_int_eq(rep.state, C);

	/* Nothing probed: UNKNOWN. */
	free(rep.items);
	rep.items = NULL;
	rep.nitems = rep.capitems = 0;
	rep.problem[0] = '\0';
	evaluate_report(&cfg, &rep);
	ck_assert_int_eq(rep.state, U);

	/* UNKNOWN does not hide CRITICAL. */
	ck_assert_int_eq(config_state_worst(U, C), C);
	ck_assert_int_eq(config_state_worst(W, U), U);
	ck_assert_int_eq(config_state_worst(R, W), W);
}
END_TEST

static Suite *
plugin_evaluate_suite(void)
{
	Suite	*s = suite_create("plugin_evaluate");
	TCase	*tc = tcase_create("evaluate");

	tcase_add_loop_test(tc, test_evaluate_table, 0,
	    (int)(sizeof(table) / sizeof(table[0])));
	tcase_add_test(tc, test_evaluate_timeout_state);
	tcase_add_test(tc, test_evaluate_timeout_text);
	tcase_add_loop_test(tc, test_evaluate_cert_days, 0,
	    (int)(sizeof(certs) / sizeof(certs[0])));
	tcase_add_test(tc, test_evaluate_cert_expired_verified);
	tcase_add_loop_test(tc, test_evaluate_thresholds, 0,
	    (int)(sizeof(thresholds) / sizeof(thresholds[0])));
	tcase_add_test(tc, test_evaluate_thresholds_unanswered);
	tcase_add_test(tc, test_evaluate_reason_order);
	tcase_add_test(tc, test_evaluate_auth_cleartext);
	tcase_add_test(tc, test_evaluate_latches);
	tcase_add_test(tc, test_evaluate_report);
	suite_add_tcase(s, tc);
	return s;
}
CHECK_SUITE(plugin_evaluate_suite)
