/*
 * check_plugin_options.c: argv tables -> config, or the exact one-line
 * UNKNOWN reason (plugin/options.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "suite.h"
#include "options.h"

#define MAXARGS	64

/* Split a blank-separated command line (no quoting) into argv. */
static int
split(const char *line, char *store, size_t storelen, char *argv[])
{
	int	 argc = 0;
	char	*p, *save = NULL;

	snprintf(store, storelen, "check_smtp_ports %s", line);
	for (p = strtok_r(store, " ", &save); p != NULL &&
	    argc < MAXARGS - 1; p = strtok_r(NULL, " ", &save))
		argv[argc++] = p;
	argv[argc] = NULL;
	return argc;
}

static enum options_action
parse(const char *line, struct plugin_config *cfg, char *err, size_t errlen)
{
	static char	 store[1024];
	static char	*argv[MAXARGS + 1];
	int		 argc = split(line, store, sizeof(store), argv);

	return options_parse(argc, argv, cfg, err, errlen);
}

/* Usage errors: the reason must start with the given text. */
static const struct {
	const char	*line;
	const char	*reason;
} errors[] = {
	{ "", "missing -H/--hostname" },
	{ "-P 25", "missing -H/--hostname" },
	{ "-H h --bogus", "unknown option '--bogus'" },
	{ "-H h -Q", "unknown option -Q" },
	{ "-H h -t", "option -t needs an argument" },
	{ "-H h --ports", "option '--ports' needs an argument" },
	{ "-H h -w abc", "bad -w: bad range 'abc'" },
	{ "-H h -c 10:5", "bad -c: bad range '10:5': start is above end" },
	{ "-H h -P 25,25", "bad port list: " },
	{ "-H h -P 0", "bad port list: " },
	{ "-H h -P 70000", "bad port list: " },
	{ "-H h -P 25/foo", "bad port list: " },
	{ "-H h -P 25:maybe", "bad port list: " },
	{ "-H h -P ,", "bad port list: " },
	{ "-H h -t 0", "bad timeout '0'" },
	{ "-H h -t 3601", "bad timeout '3601'" },
	{ "-H h -t ten", "bad timeout 'ten'" },
	{ "-H h -t 5 -t 6", "-t/--timeout given twice" },
	{ "-H h -4 -6", "conflicting -4 and -6" },
	{ "-H h --timeout-state maybe", "bad --timeout-state 'maybe'" },
	{ "-H h --min-tls 1.4", "bad --min-tls '1.4'" },
	{ "-H h --min-tls 3", "bad --min-tls '3'" },
	{ "-H h --cert-days 3,5", "bad --cert-days '3,5': WARN must be >= "
	  "CRIT" },
	{ "-H h --cert-days x", "bad --cert-days 'x'" },
	{ "-H h -D 10,y", "bad --cert-days '10,y'" },
	{ "-H h --cert-days -1", "bad --cert-days '-1'" },
	{ "-H h --warning-phase foo=1", "bad --warning-phase 'foo=1': "
	  "unknown phase" },
	{ "-H h --critical-phase ehlo", "bad --critical-phase 'ehlo': "
	  "expected PHASE=RANGE" },
	{ "-H h --warning-phase ehlo=x", "bad --warning-phase: bad range" },
	{ "-H h --warning-phase =1", "bad --warning-phase '=1'" },
	{ "-H h -P 25 -p 25", "conflicting -P and -p" },
	{ "-H h -P 25 -S", "-S goes with -p" },
	{ "-H h -p 0", "bad port '0'" },
	{ "-H h -p 25 -p 26", "-p given twice" },
	{ "-H h extra", "unexpected argument 'extra'" },
	{ "-H h -H g", "-H given twice" },
	{ "-H a|b", "bad host name 'a?b'" },
	{ "-H h --state-reset", "--state-reset needs --state-file" },
	{ "-H h --output-format xml", "bad --output-format 'xml'" },
	{ "-H h --source-address nothost", "bad --source-address" },
	{ "-H h --ehlo a\tb", "bad EHLO name" },
	{ "-H h --ca-file /nonexistent/ca.pem", "cannot read --ca-file" },
	{ "-H h --verify-name a/b", "bad --verify-name" },
	{ "-H h -P 25 -P 26", "-P/--ports given twice" },
};

START_TEST(test_options_errors)
{
	struct plugin_config	 cfg;
	char			 err[256];

	memset(err, 0, sizeof(err));
	ck_assert_int_eq(parse(errors[_i].line, &cfg, err, sizeof(err)),
	    OPTIONS_ERROR);
	ck_assert_msg(strncmp(err, errors[_i].reason,
	    strlen(errors[_i].reason)) == 0, "'%s': got '%s', want '%s...'",
	    errors[_i].line, err, errors[_i].reason);
	ck_assert_ptr_null(strchr(err, '\n'));
	ck_assert_ptr_null(strchr(err, '|'));
}
END_TEST

START_TEST(test_options_defaults)
{
	struct plugin_config	 cfg;
	char			 err[256];

	ck_assert_int_eq(parse("-H mail.example.org", &cfg, err, sizeof(err)),
	    OPTIONS_RUN);
	ck_assert_str_eq(cfg.host, "mail.example.org");
	ck_assert_int_eq(cfg.nports, 4);
	ck_assert_int_eq(cfg.ports[0].port, 587);
	ck_assert_int_eq(cfg.ports[0].mode, SMTPPROBE_MODE_STARTTLS);
	ck_assert_int_eq(cfg.ports[0].policy, SMTPPROBE_POLICY_REQUIRED);
	ck_assert_int_eq(cfg.ports[1].port, 465);
	ck_assert_int_eq(cfg.ports[1].mode, SMTPPROBE_MODE_TLS);
	ck_assert_int_eq(cfg.ports[1].policy, SMTPPROBE_POLICY_OPTIONAL);
	ck_assert_int_eq(cfg.ports[2].port, 25);
	ck_assert_int_eq(cfg.ports[2].policy, SMTPPROBE_POLICY_OPTIONAL);
	ck_assert_int_eq(cfg.ports[3].port, 2525);
	ck_assert_double_eq_tol(cfg.timeout, 10.0, 1e-9);
	ck_assert_int_eq(cfg.timeout_state, PLUGIN_CRITICAL);
	ck_assert_int_eq(cfg.timeout_state_set, 0);
	ck_assert_int_eq(cfg.cert_warn_days, 14);
	ck_assert_int_eq(cfg.cert_crit_days, 7);
	ck_assert_int_eq(cfg.family, AF_UNSPEC);
	ck_assert_int_eq(cfg.min_tls, SMTPPROBE_TLS_DEFAULT);
	ck_assert_int_eq(cfg.format, PLUGIN_FORMAT_NAGIOS);
	ck_assert_int_eq(cfg.warn.set, 0);
	ck_assert_int_eq(cfg.crit.set, 0);
	ck_assert_int_eq(cfg.verbose, 0);
}
END_TEST

START_TEST(test_options_full)
{
	struct plugin_config	 cfg;
	char			 err[256];

	ck_assert_int_eq(parse("--hostname 192.0.2.1 --ports "
	    "25/plain:closed,587,465/tls:optional -t 2.5 --timeout-state "
	    "UNKNOWN -w 1 -c @2:3 --warning-phase tls_handshake=0.5 "
	    "--critical-phase total=4 --cert-days 30,10 --no-verify "
	    "--min-tls 1.3 --ehlo [192.0.2.9] --source-address ::1 "
	    "--dns-server [::1]:5353 -6 --all-addresses --state-file /tmp/s "
	    "--state-reset --output-format json -v -v --sni mail.example.org "
	    "--verify-name mail.example.org", &cfg, err, sizeof(err)),
	    OPTIONS_RUN);
	ck_assert_int_eq(cfg.nports, 3);
	ck_assert_int_eq(cfg.ports[0].port, 25);
	ck_assert_int_eq(cfg.ports[0].mode, SMTPPROBE_MODE_PLAIN);
	ck_assert_int_eq(cfg.ports[0].policy, SMTPPROBE_POLICY_CLOSED);
	ck_assert_int_eq(cfg.ports[1].policy, SMTPPROBE_POLICY_REQUIRED);
	ck_assert_double_eq_tol(cfg.timeout, 2.5, 1e-9);
	ck_assert_int_eq(cfg.timeout_state, PLUGIN_UNKNOWN);
	ck_assert_int_eq(cfg.timeout_state_set, 1);
	ck_assert_str_eq(cfg.warn.text, "1");
	ck_assert_int_eq(cfg.crit.inside, 1);
	ck_assert_str_eq(cfg.phase_warn[SMTPPROBE_PHASE_TLS_HANDSHAKE].text,
	    "0.5");
	ck_assert_str_eq(config_crit_range(&cfg, SMTPPROBE_PHASE_TOTAL)->text,
	    "4");
	ck_assert_str_eq(config_warn_range(&cfg, SMTPPROBE_PHASE_TOTAL)->text,
	    "1");
	ck_assert_int_eq(cfg.cert_warn_days, 30);
	ck_assert_int_eq(cfg.cert_crit_days, 10);
	ck_assert_int_eq(cfg.no_verify, 1);
	ck_assert_int_eq(cfg.min_tls, SMTPPROBE_TLS_1_3);
	ck_assert_str_eq(cfg.ehlo, "[192.0.2.9]");
	ck_assert_str_eq(cfg.source_address, "::1");
	ck_assert_str_eq(cfg.dns_server, "[::1]:5353");
	ck_assert_int_eq(cfg.family, AF_INET6);
	ck_assert_int_eq(cfg.all_addresses, 1);
	ck_assert_str_eq(cfg.state_file, "/tmp/s");
	ck_assert_int_eq(cfg.state_reset, 1);
	ck_assert_int_eq(cfg.format, PLUGIN_FORMAT_JSON);
	ck_assert_int_eq(cfg.verbose, 2);
	ck_assert_str_eq(cfg.sni, "mail.example.org");
}
END_TEST

/* check_smtp's short forms mean what they mean there. */
START_TEST(test_options_check_smtp_forms)
{
	struct plugin_config	 cfg;
	char			 err[256];

	ck_assert_int_eq(parse("-H h -p 25", &cfg, err, sizeof(err)),
	    OPTIONS_RUN);
	ck_assert_int_eq(cfg.nports, 1);
	ck_assert_int_eq(cfg.ports[0].port, 25);
	ck_assert_int_eq(cfg.ports[0].mode, SMTPPROBE_MODE_PLAIN);
	ck_assert_int_eq(cfg.ports[0].policy, SMTPPROBE_POLICY_REQUIRED);

	ck_assert_int_eq(parse("-H h -p 587 -S -F client.example.org -D 20 "
	    "-4 -t 5 -w 2 -c 3", &cfg, err, sizeof(err)), OPTIONS_RUN);
	ck_assert_int_eq(cfg.ports[0].port, 587);
	ck_assert_int_eq(cfg.ports[0].mode, SMTPPROBE_MODE_STARTTLS);
	ck_assert_str_eq(cfg.ehlo, "client.example.org");
	ck_assert_int_eq(cfg.cert_warn_days, 20);
	ck_assert_int_eq(cfg.cert_crit_days, 7);
	ck_assert_int_eq(cfg.family, AF_INET);
	ck_assert_str_eq(cfg.warn.text, "2");
	ck_assert_str_eq(cfg.crit.text, "3");

	/* -S alone: port 25 with STARTTLS, as check_smtp -S. */
	ck_assert_int_eq(parse("-H h -S", &cfg, err, sizeof(err)),
	    OPTIONS_RUN);
	ck_assert_int_eq(cfg.nports, 1);
	ck_assert_int_eq(cfg.ports[0].port, 25);
	ck_assert_int_eq(cfg.ports[0].mode, SMTPPROBE_MODE_STARTTLS);

	/* -p 465 is implicit TLS. */
	ck_assert_int_eq(parse("-H h -p 465", &cfg, err, sizeof(err)),
	    OPTIONS_RUN);
	ck_assert_int_eq(cfg.ports[0].mode, SMTPPROBE_MODE_TLS);

	/* -D 5: CRIT can't exceed WARN. */
	ck_assert_int_eq(parse("-H h -D 5", &cfg, err, sizeof(err)),
	    OPTIONS_RUN);
	ck_assert_int_eq(cfg.cert_warn_days, 5);
	ck_assert_int_eq(cfg.cert_crit_days, 5);
}
END_TEST

START_TEST(test_options_mx)
{
	struct plugin_config	 cfg;
	char			 err[256];

	ck_assert_int_eq(parse("-H example.org --mx", &cfg, err, sizeof(err)),
	    OPTIONS_RUN);
	ck_assert_int_eq(cfg.mx, 1);
	ck_assert_int_eq(cfg.mx_any, 0);
	ck_assert_int_eq(cfg.nports, 1);
	ck_assert_int_eq(cfg.ports[0].port, 25);
	ck_assert_int_eq(cfg.ports[0].mode, SMTPPROBE_MODE_STARTTLS);
	ck_assert_int_eq(cfg.ports[0].policy, SMTPPROBE_POLICY_REQUIRED);

	ck_assert_int_eq(parse("-H example.org --mx-any -P 25,587", &cfg, err,
	    sizeof(err)), OPTIONS_RUN);
	ck_assert_int_eq(cfg.mx, 1);
	ck_assert_int_eq(cfg.mx_any, 1);
	ck_assert_int_eq(cfg.nports, 2);
}
END_TEST

/* Hostile lengths: a clear, bounded reason, never a crash. */
START_TEST(test_options_long_args)
{
	struct plugin_config	 cfg;
	char			 err[256], big[5000], *argv[4];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	argv[0] = (char *)(uintptr_t)"check_smtp_ports";
	argv[1] = (char *)(uintptr_t)"-H";
	argv[2] = big;
	argv[3] = NULL;
	ck_assert_int_eq(options_parse(3, argv, &cfg, err, sizeof(err)),
	    OPTIONS_ERROR);
	ck_assert_ptr_nonnull(strstr(err, "bad host name"));
	ck_assert_uint_lt(strlen(err), 120);
	argv[1] = (char *)(uintptr_t)"-w";
	ck_assert_int_eq(options_parse(3, argv, &cfg, err, sizeof(err)),
	    OPTIONS_ERROR);
	ck_assert_ptr_nonnull(strstr(err, "too long"));
	argv[1] = (char *)(uintptr_t)"-P";
	ck_assert_int_eq(options_parse(3, argv, &cfg, err, sizeof(err)),
	    OPTIONS_ERROR);
	argv[1] = (char *)(uintptr_t)"--ehlo";
	ck_assert_int_eq(options_parse(3, argv, &cfg, err, sizeof(err)),
	    OPTIONS_ERROR);
}
END_TEST

START_TEST(test_options_help_version)
{
	struct plugin_config	 cfg;
	char			 err[256];

	ck_assert_int_eq(parse("-h", &cfg, err, sizeof(err)), OPTIONS_HELP);
	ck_assert_int_eq(parse("--help -H x", &cfg, err, sizeof(err)),
	    OPTIONS_HELP);
	ck_assert_int_eq(parse("-V", &cfg, err, sizeof(err)),
	    OPTIONS_VERSION);
	ck_assert_int_eq(parse("--version", &cfg, err, sizeof(err)),
	    OPTIONS_VERSION);
}
END_TEST

/* --help fits an 80-column terminal. */
START_TEST(test_options_help_width)
{
	char	*text = NULL, *line, *save = NULL;
	size_t	 len = 0;
	FILE	*fp = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(fp);
	options_help(fp);
	fclose(fp);
	ck_assert_uint_gt(len, 200);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		ck_assert_msg(strlen(line) <= 79, "too wide: %s", line);
	free(text);
}
END_TEST

static Suite *
plugin_options_suite(void)
{
	Suite	*s = suite_create("plugin_options");
	TCase	*tc = tcase_create("options");

	tcase_add_loop_test(tc, test_options_errors, 0,
	    (int)(sizeof(errors) / sizeof(errors[0])));
	tcase_add_test(tc, test_options_defaults);
	tcase_add_test(tc, test_options_full);
	tcase_add_test(tc, test_options_check_smtp_forms);
	tcase_add_test(tc, test_options_mx);
	tcase_add_test(tc, test_options_help_version);
	tcase_add_test(tc, test_options_long_args);
	tcase_add_test(tc, test_options_help_width);
	suite_add_tcase(s, tc);
	return s;
}
CHECK_SUITE(plugin_options_suite)
