/*
 * check_exporter_config.c: the exporter's YAML configuration: a full
 * valid file, the built-in defaults, durations, and one row per kind of
 * invalid input, each checked for the line and the problem it names.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suite.h"
#include "../exporter/config.h"

static const char valid_yaml[] =
"# a complete configuration\n"
"modules:\n"
"  submission:\n"
"    ports: [\"587/starttls:required\", \"465/tls:optional\"]\n"
"    timeout: 5s\n"
"    ehlo: probe.example.org\n"
"    ca_file: /etc/ssl/certs/ca-certificates.crt\n"
"    verify_name: mail.example.org\n"
"    sni: mail.example.org\n"
"    min_tls: \"1.3\"\n"
"    all_addresses: true\n"
"    ip_family: ip6\n"
"    no_verify: false\n"
"    allow_port_override: false\n"
"    dns_server: \"[::1]:5353\"\n"
"  relay:\n"
"    ports: \"25/starttls:optional\"\n"
"allow_targets: [\"*.example.org\", \"192.0.2.0/24\", \"2001:db8::/32\"]\n"
"buckets: [0.01, 0.1, 1]\n"
"limits:\n"
"  max_series: 5000\n"
"dns_server: \"127.0.0.1:5353\"\n"
"targets:\n"
"  - name: mx1\n"
"    host: mx1.example.org\n"
"    module: submission\n"
"    interval: 30s\n"
"  - name: relay1\n"
"    host: 192.0.2.25\n"
"    module: relay\n"
"    ports: [\"25/plain:optional\", \"2525\"]\n";

START_TEST(test_valid)
{
	char				 err[512] = "";
	struct config			*c;
	const struct config_module	*m;

	c = config_parse(valid_yaml, strlen(valid_yaml), "t.yml", err,
	    sizeof(err));
	ck_assert_msg(c != NULL, "parse failed: %s", err);
	ck_assert_uint_eq(c->nmodules, 3);	/* + built-in default */
	m = config_module(c, "submission");
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->nports, 2);
	ck_assert_uint_eq(m->ports[0].port, 587);
	ck_assert_int_eq(m->ports[1].mode, SMTPPROBE_MODE_TLS);
	ck_assert_int_eq(m->timeout_us, 5000000);
	ck_assert_str_eq(m->ehlo, "probe.example.org");
	ck_assert_str_eq(m->verify_name, "mail.example.org");
	ck_assert_int_eq(m->min_tls, SMTPPROBE_TLS_1_3);
	ck_assert_int_eq(m->all_addresses, 1);
	ck_assert_int_eq(m->family, AF_INET6);
	ck_assert_int_eq(m->allow_port_override, 0);
	ck_assert_str_eq(m->dns_server, "[::1]:5353");
	ck_assert_ptr_null(config_module(c, "relay")->dns_server);
	ck_assert_int_eq(m->line, 3);
	ck_assert_ptr_nonnull(config_module(c, "default"));
	ck_assert_uint_eq(config_module(c, "relay")->nports, 1);
	ck_assert_uint_eq(c->ntargets, 2);
	ck_assert_str_eq(c->targets[0].name, "mx1");
	ck_assert_ptr_eq(c->targets[0].module, m);
	ck_assert_int_eq(c->targets[0].interval_us, 30000000);
	ck_assert_uint_eq(c->targets[0].nports, 2);	/* the module's */
	ck_assert_uint_eq(c->targets[1].nports, 2);	/* its own */
	ck_assert_int_eq(c->targets[1].ports[0].mode, SMTPPROBE_MODE_PLAIN);
	ck_assert_uint_eq(c->targets[1].ports[1].port, 2525);
	ck_assert_uint_eq(c->nbuckets, 3);
	ck_assert_uint_eq(c->max_series, 5000);
	ck_assert_str_eq(c->dns_server, "127.0.0.1:5353");
	ck_assert_int_eq(allow_check(&c->allow, "mx9.example.org"),
	    ALLOW_VERDICT_YES);
	ck_assert_int_eq(allow_check(&c->allow, "127.0.0.1"),
	    ALLOW_VERDICT_NO);	/* explicit list: no loopback default */
	config_unref(c);
}
END_TEST

START_TEST(test_defaults)
{
	char			 err[256];
	struct config		*c;
	const struct config_module *m;

	/* no file at all */
	c = config_load(NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(c);
	m = config_module(c, "default");
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->nports, 4);
	ck_assert_uint_eq(m->ports[0].port, 587);
	ck_assert_int_eq(m->ports[0].policy, SMTPPROBE_POLICY_REQUIRED);
	ck_assert_uint_eq(m->ports[1].port, 465);
	ck_assert_int_eq(m->ports[1].mode, SMTPPROBE_MODE_TLS);
	ck_assert_int_eq(m->timeout_us, 10000000);
	ck_assert_int_eq(m->allow_port_override, 1);
	ck_assert_uint_eq(c->nbuckets, 13);
	ck_assert_int_eq(allow_check(&c->allow, "127.0.0.1"),
	    ALLOW_VERDICT_YES);
	ck_assert_int_eq(allow_check(&c->allow, "::1"), ALLOW_VERDICT_YES);
	ck_assert_int_eq(allow_check(&c->allow, "localhost"),
	    ALLOW_VERDICT_YES);
	ck_assert_int_eq(allow_check(&c->allow, "192.0.2.1"),
	    ALLOW_VERDICT_NO);
	config_unref(c);

	/* an empty file, and a file without allow_targets: the same */
	c = config_parse("", 0, "e.yml", err, sizeof(err));
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(config_module(c, "default"));
	ck_assert_int_eq(allow_check(&c->allow, "127.0.0.5"),
	    ALLOW_VERDICT_YES);
	config_unref(c);
	c = config_parse("buckets: [1, 2]\n", 16, "b.yml", err, sizeof(err));
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(allow_check(&c->allow, "192.0.2.1"),
	    ALLOW_VERDICT_NO);
	config_unref(c);

	/* a "default" module in the file replaces the built-in one */
	{
		static const char y[] =
		    "modules:\n  default:\n    ports: [\"25\"]\n";

		c = config_parse(y, strlen(y), "d.yml", err, sizeof(err));
	}
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->nmodules, 1);
	ck_assert_uint_eq(config_module(c, "default")->nports, 1);
	config_unref(c);
}
END_TEST

START_TEST(test_missing_file)
{
	char	 err[256];

	ck_assert_ptr_null(config_load("/nonexistent/x.yml", err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.yml"));
}
END_TEST

/* A FIFO (nobody writes) or a directory named as the config: refused at
 * once (a reload blocked on a FIFO would hold up SIGTERM too). */
START_TEST(test_not_regular)
{
	char	 dir[] = "/tmp/exporter-config-test.XXXXXX", path[64];
	char	 err[256];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo.yml", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_ptr_null(config_load(path, err, sizeof(err)));
	ck_assert_msg(strstr(err, "fifo.yml: not a regular file") != NULL,
	    "%s", err);
	ck_assert_ptr_null(config_load(dir, err, sizeof(err)));
	ck_assert_msg(strstr(err, "not a regular file") != NULL, "%s", err);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static const struct {
	const char	*yaml;
	const char	*want;		/* substring of the message */
	const char	*where;		/* "file:line" prefix */
} bad[] = {
	{ "modules: [\n", "YAML syntax error", "bad.yml:" },
	{ "modules:\n  a:\n    timeout: 5s\n    colour: blue\n",
	    "unknown key \"colour\"", "bad.yml:4:" },
	{ "bogus: 1\n", "unknown key \"bogus\"", "bad.yml:1:" },
	{ "modules:\n  a:\n    timeout: 5 seconds\n", "bad duration",
	    "bad.yml:3:" },
	{ "modules:\n  a:\n    timeout: 10\n", "bad duration",
	    "bad.yml:3:" },
	{ "modules:\n  a:\n    timeout: -1s\n", "bad duration",
	    "bad.yml:3:" },
	{ "modules:\n  a:\n    timeout: 1h\n", "between 100ms and 5m",
	    "bad.yml:3:" },
	{ "modules:\n  a:\n    ports: [\"587/starttls:required\", \"99999\"]\n",
	    "bad port list", "bad.yml:3:" },
	{ "modules:\n  a:\n    ports: \"587/smoke\"\n", "bad port list",
	    "bad.yml:3:" },
	{ "modules:\n  a:\n    ports: \"587,587\"\n", "bad port list",
	    "bad.yml:3:" },
	{ "targets:\n  - name: x\n    host: mx.example.org\n"
	    "    module: nope\n", "unknown module \"nope\"", "bad.yml:4:" },
	{ "targets:\n  - name: x\n    host: a.example\n"
	    "  - name: x\n    host: b.example\n", "duplicate target name",
	    "bad.yml:4:" },
	{ "targets:\n  - host: a.example\n", "needs a name", "bad.yml:2:" },
	{ "targets:\n  - name: x\n", "needs a host", "bad.yml:2:" },
	{ "targets:\n  - name: x\n    host: \"a b\"\n", "bad host",
	    "bad.yml:3:" },
	{ "targets:\n  - name: x\n    host: a.example\n    interval: 10ms\n",
	    "at least 1s", "bad.yml:4:" },
	{ "limits:\n  max_series: 100\n"
	    "targets:\n  - name: x\n    host: a.example\n",
	    "too many series", "bad.yml:" },
	{ "allow_targets: [\"192.0.2.0/33\"]\n", "bad CIDR", "bad.yml:1:" },
	{ "allow_targets: [\"192.0.2.0/x\"]\n", "bad CIDR", "bad.yml:1:" },
	{ "allow_targets: [\"300.0.0.0/8\"]\n", "bad CIDR", "bad.yml:1:" },
	{ "allow_targets: [\"2001:db8::/129\"]\n", "bad CIDR",
	    "bad.yml:1:" },
	{ "allow_targets: [\"mail.*.org\"]\n", "bad name pattern",
	    "bad.yml:1:" },
	{ "modules:\n  a:\n    min_tls: \"1.4\"\n", "bad min_tls",
	    "bad.yml:3:" },
	{ "modules:\n  a:\n    min_tls: \"SSLv3\"\n", "bad min_tls",
	    "bad.yml:3:" },
	{ "modules:\n  a:\n    ip_family: ip5\n", "bad ip_family",
	    "bad.yml:3:" },
	{ "modules:\n  a:\n    no_verify: maybe\n", "true or false",
	    "bad.yml:3:" },
	{ "modules:\n  a:\n    ehlo: x\n    ehlo: y\n", "duplicate key",
	    "bad.yml:4:" },
	{ "modules:\n  \"a b\":\n    ehlo: x\n", "module name",
	    "bad.yml:2:" },
	{ "modules: 3\n", "must be a mapping", "bad.yml:1:" },
	{ "targets: {}\n", "must be a list", "bad.yml:1:" },
	{ "buckets: [1, 0.5]\n", "buckets must increase", "bad.yml:1:" },
	{ "buckets: [abc]\n", "bad bucket", "bad.yml:1:" },
	{ "buckets: []\n", "must not be empty", "bad.yml:1:" },
	{ "limits:\n  max_series: 0\n", "bad max_series", "bad.yml:2:" },
	{ "dns_server: \"ns.example.org\"\n", "bad dns_server", "bad.yml:1:" },
	{ "modules:\n  a:\n    dns_server: \"127.0.0.1:0\"\n",
	    "bad dns_server", "bad.yml:3:" },
	{ "- just\n- a list\n", "must be a mapping", "bad.yml:1:" },
};

START_TEST(test_invalid)
{
	char		 err[512] = "";
	struct config	*c;

	c = config_parse(bad[_i].yaml, strlen(bad[_i].yaml), "bad.yml", err,
	    sizeof(err));
	ck_assert_msg(c == NULL, "row %d accepted", _i);
	ck_assert_msg(strstr(err, bad[_i].want) != NULL,
	    "row %d: \"%s\" lacks \"%s\"", _i, err, bad[_i].want);
	ck_assert_msg(strncmp(err, bad[_i].where, strlen(bad[_i].where)) == 0,
	    "row %d: \"%s\" does not start with \"%s\"", _i, err,
	    bad[_i].where);
}
END_TEST

START_TEST(test_nul_in_yaml)
{
	static const char	 y[] = "modules:\n  a:\n    ehlo: \"x\\0y\"\n";
	char			 err[256];

	ck_assert_ptr_null(config_parse(y, sizeof(y) - 1, "n.yml", err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "NUL"));
}
END_TEST

static const struct {
	const char	*s;
	int64_t		 us;	/* -1: invalid */
} durations[] = {
	{ "10s", 10000000 }, { "500ms", 500000 }, { "1m", 60000000 },
	{ "1.5s", 1500000 }, { "250us", 250 }, { "2h", 7200000000LL },
	{ "0s", 0 }, { "10", -1 }, { "s", -1 }, { "", -1 }, { "-1s", -1 },
	{ "1d", -1 }, { "25h", -1 }, { "1e3s", 1000000000 }, { "nans", -1 },
	{ "infs", -1 }, { " 1s", -1 }, { "1s ", -1 },
};

START_TEST(test_duration)
{
	int64_t	 us = -42;
	int	 rc;

	rc = config_parse_duration(durations[_i].s, &us);
	if (durations[_i].us == -1)
		ck_assert_msg(rc == -1, "\"%s\" accepted", durations[_i].s);
	else {
		ck_assert_msg(rc == 0, "\"%s\" rejected", durations[_i].s);
		ck_assert_int_eq(us, durations[_i].us);
	}
}
END_TEST

static const struct {
	const char	*s;
	int		 ok;
} dns[] = {
	{ "127.0.0.1", 1 }, { "127.0.0.1:5353", 1 }, { "::1", 1 },
	{ "[::1]:53", 1 }, { "[2001:db8::53]", 1 },
	{ "192.0.2.1,192.0.2.2:54,[::1]:55", 1 },
	{ "", 0 }, { "ns.example.org", 0 }, { "127.0.0.1:", 0 },
	{ "127.0.0.1:0", 0 }, { "127.0.0.1:65536", 0 }, { "[::1]x", 0 },
	{ "[::1", 0 }, { "1.2.3.4,", 0 }, { ",1.2.3.4", 0 },
	{ "1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,"
	    "1.1.1.1", 0 },
	{ "127.0.0.1:+53", 0 },
};

START_TEST(test_dns_servers)
{
	ck_assert_msg(config_valid_dns_servers(dns[_i].s) == dns[_i].ok,
	    "\"%s\"", dns[_i].s);
}
END_TEST

static Suite *
exporter_config_suite(void)
{
	Suite	*s = suite_create("exporter_config");
	TCase	*tc = tcase_create("config");

	tcase_add_test(tc, test_valid);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_not_regular);
	tcase_add_loop_test(tc, test_invalid, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_nul_in_yaml);
	tcase_add_loop_test(tc, test_duration, 0,
	    sizeof(durations) / sizeof(durations[0]));
	tcase_add_loop_test(tc, test_dns_servers, 0, sizeof(dns) / sizeof(dns[0]));
	suite_add_tcase(s, tc);
	return s;
}
CHECK_SUITE(exporter_config_suite)
