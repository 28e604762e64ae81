/*
 * check_names.c: every value of every public enum has a stable machine
 * name that round-trips through *_from_name() (case-insensitively), out of
 * range values give "?", and unknown names give -1.
 */
#include <ctype.h>
#include <string.h>

#include "suite.h"
#include "smtpprobe.h"

struct table {
	const char	*what;
	int		 count;
	const char	*(*name)(int);
	int		 (*from_name)(const char *);
};

/* Adapters: the public functions take their enum type. */
static const char *
mode_name(int v)
{
	return smtpprobe_mode_name(v);
}

static const char *
phase_name(int v)
{
	return smtpprobe_phase_name(v);
}

static const char *
outcome_name(int v)
{
	return smtpprobe_outcome_name(v);
}

static const char *
policy_name(int v)
{
	return smtpprobe_policy_name(v);
}

static const char *
tls_name(int v)
{
	return smtpprobe_tls_version_name(v);
}

static const struct table tables[] = {
	{ "mode", SMTPPROBE_MODE_COUNT, mode_name, smtpprobe_mode_from_name },
	{ "phase", SMTPPROBE_PHASE_COUNT, phase_name,
	    smtpprobe_phase_from_name },
	{ "outcome", SMTPPROBE_OUTCOME_COUNT, outcome_name,
	    smtpprobe_outcome_from_name },
	{ "policy", SMTPPROBE_POLICY_COUNT, policy_name,
	    smtpprobe_policy_from_name },
	{ "tls_version", SMTPPROBE_TLS_COUNT, tls_name,
	    smtpprobe_tls_version_from_name },
};

START_TEST(test_names_round_trip)
{
	const struct table	*t = &tables[_i];
	char			 upper[64];
	const char		*n;
	size_t			 k;
	int			 v, w;

	for (v = 0; v < t->count; v++) {
		n = t->name(v);
		ck_assert_msg(n != NULL && strcmp(n, "?") != 0 && *n != '\0',
		    "%s %d has no name", t->what, v);
		ck_assert_int_eq(t->from_name(n), v);
		ck_assert_uint_lt(strlen(n), sizeof(upper));
		for (k = 0; n[k] != '\0'; k++)
			upper[k] = (char)toupper((unsigned char)n[k]);
		upper[k] = '\0';
		ck_assert_int_eq(t->from_name(upper), v);
		/* Names are unique. */
		for (w = 0; w < v; w++)
			ck_assert_str_ne(t->name(w), n);
	}
	ck_assert_str_eq(t->name(t->count), "?");
	ck_assert_str_eq(t->name(-1), "?");
	ck_assert_int_eq(t->from_name("no-such-name"), -1);
	ck_assert_int_eq(t->from_name(""), -1);
	ck_assert_int_eq(t->from_name("?"), -1);
	ck_assert_int_eq(t->from_name(NULL), -1);
}
END_TEST

/* The machine names are a contract (metrics, JSON): spot-check them. */
START_TEST(test_names_contract)
{
	ck_assert_str_eq(smtpprobe_mode_name(SMTPPROBE_MODE_STARTTLS),
	    "starttls");
	ck_assert_str_eq(smtpprobe_phase_name(SMTPPROBE_PHASE_TLS_HANDSHAKE),
	    "tls_handshake");
	ck_assert_str_eq(smtpprobe_phase_name(SMTPPROBE_PHASE_EHLO_TLS),
	    "ehlo_tls");
	ck_assert_str_eq(smtpprobe_outcome_name(SMTPPROBE_OUTCOME_OK), "ok");
	ck_assert_str_eq(smtpprobe_outcome_name(
	    SMTPPROBE_OUTCOME_STARTTLS_NOT_OFFERED), "starttls_not_offered");
	ck_assert_str_eq(smtpprobe_outcome_name(
	    SMTPPROBE_OUTCOME_CERT_NAME_MISMATCH), "cert_name_mismatch");
	ck_assert_str_eq(smtpprobe_policy_name(SMTPPROBE_POLICY_CLOSED),
	    "closed");
	ck_assert_str_eq(smtpprobe_tls_version_name(SMTPPROBE_TLS_1_2), "1.2");
	ck_assert_int_eq(smtpprobe_tls_version_from_name("1.0"),
	    SMTPPROBE_TLS_1_0);
	ck_assert_int_eq(smtpprobe_tls_version_from_name("1.3"),
	    SMTPPROBE_TLS_1_3);
	ck_assert_int_eq(smtpprobe_tls_version_from_name("1.4"), -1);
	ck_assert_int_eq(smtpprobe_mode_from_name("StartTLS"),
	    SMTPPROBE_MODE_STARTTLS);
}
END_TEST

/* Every outcome has a human text, distinct from its machine name where
 * that helps ("STARTTLS not offered"). */
START_TEST(test_names_outcome_texts)
{
	int		 v, w;
	const char	*t;

	for (v = 0; v < SMTPPROBE_OUTCOME_COUNT; v++) {
		t = smtpprobe_outcome_text(v);
		ck_assert_msg(t != NULL && *t != '\0' && strcmp(t, "?") != 0,
		    "outcome %d has no text", v);
		for (w = 0; w < v; w++)
			ck_assert_str_ne(smtpprobe_outcome_text(w), t);
	}
	ck_assert_str_eq(smtpprobe_outcome_text(
	    SMTPPROBE_OUTCOME_STARTTLS_NOT_OFFERED), "STARTTLS not offered");
	ck_assert_str_eq(smtpprobe_outcome_text(SMTPPROBE_OUTCOME_COUNT), "?");
}
END_TEST

START_TEST(test_names_versions)
{
	ck_assert_str_eq(smtpprobe_version(), SMTPPROBE_VERSION_STRING);
	ck_assert_msg(strncmp(smtpprobe_openssl_version(), "OpenSSL ", 8) ==
	    0, "%s", smtpprobe_openssl_version());
}
END_TEST

static Suite *
names_suite(void)
{
	Suite	*s = suite_create("names");
	TCase	*tc = tcase_create("names");

	tcase_add_loop_test(tc, test_names_round_trip, 0,
	    (int)(sizeof(tables) / sizeof(tables[0])));
	tcase_add_test(tc, test_names_contract);
	tcase_add_test(tc, test_names_outcome_texts);
	tcase_add_test(tc, test_names_versions);
	suite_add_tcase(s, tc);
	return s;
}
CHECK_SUITE(names_suite)
