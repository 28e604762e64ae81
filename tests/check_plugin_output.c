/*
 * check_plugin_output.c: the Nagios text and the JSON of a run
 * (plugin/output.c, plugin/json.c) on a synthetic report: status line
 * order, long output, perfdata labels, thresholds and quoting, "@address"
 * labels, sanitised text, JSON validity and escaping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite.h"
#include "buf.h"
#include "config.h"
#include "evaluate.h"
#include "json.h"
#include "output.h"
#include "report.h"

#define NOW	1800000000LL
#define DAY	86400LL

static struct plugin_config	 cfg;
static struct report		 rep;
static struct smtpprobe_result	 res[6];

static void
blank(struct smtpprobe_result *r, unsigned port, enum smtpprobe_mode mode,
    enum smtpprobe_outcome o, enum smtpprobe_phase ph)
{
	int	 i;

	memset(r, 0, sizeof(*r));
	r->port = (uint16_t)port;
	r->mode = mode;
	r->outcome = o;
	r->phase = ph;
	snprintf(r->host, sizeof(r->host), "mail.example.org");
	for (i = 0; i < SMTPPROBE_PHASE_COUNT; i++)
		r->phase_us[i] = -1;
	r->phase_us[SMTPPROBE_PHASE_RESOLVE] = 1000;
}

static void
add(struct smtpprobe_result *r, enum smtpprobe_policy policy)
{
	struct report_item	*it = report_add_item(&rep);

	ck_assert_ptr_nonnull(it);
	it->r = r;
	it->spec.port = r->port;
	it->spec.mode = r->mode;
	it->spec.policy = policy;
	it->host = 0;
}

/* 587 ok with TLS and a certificate; 465 timeout in connect (required);
 * 2525 refused (optional); 25 banner rejected with hostile text. */
static void
setup(void)
{
	struct smtpprobe_result	*r;

	config_defaults(&cfg);
	cfg.host = "mail.example.org";
	ck_assert_int_eq(range_parse("1", &cfg.warn, NULL, 0), 0);
	ck_assert_int_eq(range_parse("2", &cfg.crit, NULL, 0), 0);
	ck_assert_int_eq(range_parse("0.5",
	    &cfg.phase_warn[SMTPPROBE_PHASE_TLS_HANDSHAKE], NULL, 0), 0);
	report_init(&rep);
	rep.wall_now = NOW;
	ck_assert_ptr_nonnull(report_add_host(&rep, "mail.example.org"));

	r = &res[0];
	blank(r, 587, SMTPPROBE_MODE_STARTTLS, SMTPPROBE_OUTCOME_OK,
	    SMTPPROBE_PHASE_TOTAL);
	r->connected = 1;
	r->tls_up = 1;
	snprintf(r->address, sizeof(r->address), "192.0.2.1");
	snprintf(r->tls_version, sizeof(r->tls_version), "TLSv1.3");
	snprintf(r->tls_cipher, sizeof(r->tls_cipher),
	    "TLS_AES_256_GCM_SHA384");
	r->phase_us[SMTPPROBE_PHASE_CONNECT] = 500;
	/* the first address was dropped, the second connected */
	r->addresses_tried = 2;
	r->nattempts = 2;
	snprintf(r->attempts[0].address, sizeof(r->attempts[0].address),
	    "2001:db8::25");
	r->attempts[0].outcome = SMTPPROBE_OUTCOME_PENDING;
	r->attempts[0].connect_us = 250000;
	snprintf(r->attempts[1].address, sizeof(r->attempts[1].address),
	    "192.0.2.1");
	r->attempts[1].outcome = SMTPPROBE_OUTCOME_OK;
	r->attempts[1].connect_us = 1000;
	r->phase_us[SMTPPROBE_PHASE_BANNER] = 1200;
	r->phase_us[SMTPPROBE_PHASE_EHLO] = 300;
	r->phase_us[SMTPPROBE_PHASE_STARTTLS] = 200;
	r->phase_us[SMTPPROBE_PHASE_TLS_HANDSHAKE] = 1500;
	r->phase_us[SMTPPROBE_PHASE_EHLO_TLS] = 250;
	r->phase_us[SMTPPROBE_PHASE_QUIT] = 50;
	r->phase_us[SMTPPROBE_PHASE_TOTAL] = 4000;
	r->banner.code = 220;
	snprintf(r->banner.text, sizeof(r->banner.text), "mail ESMTP");
	r->caps.present = 1;
	r->caps.flags = SMTPPROBE_CAP_STARTTLS | SMTPPROBE_CAP_PIPELINING;
	r->caps_tls.present = 1;
	r->caps_tls.flags = SMTPPROBE_CAP_AUTH;
	snprintf(r->caps_tls.auth, sizeof(r->caps_tls.auth), "PLAIN LOGIN");
	r->cert.present = 1;
	snprintf(r->cert.subject, sizeof(r->cert.subject),
	    "CN=mail.example.org");
	snprintf(r->cert.common_name, sizeof(r->cert.common_name),
	    "mail.example.org");
	r->cert.not_after = NOW + 61 * DAY + 100;
	r->cert.chain_earliest_not_after = NOW + 61 * DAY + 100;
	r->cert.verify_checked = 1;
	r->cert.verified = 1;
	add(r, SMTPPROBE_POLICY_REQUIRED);

	r = &res[1];
	blank(r, 465, SMTPPROBE_MODE_TLS, SMTPPROBE_OUTCOME_TIMEOUT,
	    SMTPPROBE_PHASE_CONNECT);
	r->phase_us[SMTPPROBE_PHASE_CONNECT] = 9999000;
	r->phase_us[SMTPPROBE_PHASE_TOTAL] = 10000000;
	r->addresses_tried = 1;
	r->nattempts = 1;
	snprintf(r->attempts[0].address, sizeof(r->attempts[0].address),
	    "192.0.2.1");
	r->attempts[0].outcome = SMTPPROBE_OUTCOME_TIMEOUT;
	r->attempts[0].sys_errno = 110;
	r->attempts[0].connect_us = 9999000;
	add(r, SMTPPROBE_POLICY_REQUIRED);

	r = &res[2];
	blank(r, 2525, SMTPPROBE_MODE_STARTTLS, SMTPPROBE_OUTCOME_REFUSED,
	    SMTPPROBE_PHASE_CONNECT);
	r->phase_us[SMTPPROBE_PHASE_CONNECT] = 100;
	r->phase_us[SMTPPROBE_PHASE_TOTAL] = 1100;
	r->addresses_tried = 1;
	r->nattempts = 1;
	snprintf(r->attempts[0].address, sizeof(r->attempts[0].address),
	    "192.0.2.1");
	r->attempts[0].outcome = SMTPPROBE_OUTCOME_REFUSED;
	r->attempts[0].sys_errno = 111;
	r->attempts[0].connect_us = 100;
	add(r, SMTPPROBE_POLICY_OPTIONAL);

	r = &res[3];
	blank(r, 25, SMTPPROBE_MODE_STARTTLS,
	    SMTPPROBE_OUTCOME_BANNER_REJECTED, SMTPPROBE_PHASE_BANNER);
	r->connected = 1;
	r->banner.code = 554;
	/* The library sanitises; the plugin still never prints these. */
	snprintf(r->banner.text, sizeof(r->banner.text),
	    "go|away\r\n\"now\" \\ \x01 caf\xc3\xa9 \xff");
	snprintf(r->detail, sizeof(r->detail), "554 go|away\r\nnext");
	r->phase_us[SMTPPROBE_PHASE_CONNECT] = 100;
	r->phase_us[SMTPPROBE_PHASE_BANNER] = 200;
	r->phase_us[SMTPPROBE_PHASE_TOTAL] = 1300;
	add(r, SMTPPROBE_POLICY_OPTIONAL);
	evaluate_report(&cfg, &rep);
}

static void
teardown(void)
{
	free(rep.items);
	memset(&rep, 0, sizeof(rep));
}

/* The text part (before the perfdata line) of a Nagios output. */
static char *
text_part(const char *out)
{
	const char	*bar = strstr(out, "\n| ");
	size_t		 n = bar != NULL ? (size_t)(bar - out) : strlen(out);
	char		*t = malloc(n + 1);

	ck_assert_ptr_nonnull(t);
	memcpy(t, out, n);
	t[n] = '\0';
	return t;
}

START_TEST(test_output_status)
{
	struct buf	 b;
	const char	*s;

	setup();
	buf_init(&b);
	output_status(&cfg, &rep, &b);
	s = buf_str(&b);
	ck_assert_int_eq(rep.state, PLUGIN_CRITICAL);
	/* worst first: 465 CRITICAL, then 25 WARNING, then the OKs */
	ck_assert_msg(strncmp(s, "SMTP PORTS CRITICAL - 465/tls CRITICAL "
	    "timeout in connect (no answer within 10.0s), 25/starttls "
	    "WARNING ", strlen("SMTP PORTS CRITICAL - 465/tls CRITICAL "
	    "timeout in connect (no answer within 10.0s), 25/starttls "
	    "WARNING ")) == 0, "%s", s);
	ck_assert_ptr_nonnull(strstr(s, ", 587/starttls OK 4ms TLSv1.3, "
	    "2525/starttls OK not offered ("));
	ck_assert_ptr_null(strchr(s, '\n'));
	ck_assert_ptr_null(strchr(s, '|'));
	ck_assert_ptr_null(strchr(s, ';'));
	buf_free(&b);
	teardown();
}
END_TEST

START_TEST(test_output_nagios)
{
	struct buf	 b;
	const char	*s;
	char		*text;
	size_t		 lines = 0;
	const char	*p;

	setup();
	buf_init(&b);
	output_nagios(&cfg, &rep, &b);
	s = buf_str(&b);
	text = text_part(s);
	/* no '|', CR or control characters in the text part */
	ck_assert_msg(strchr(text, '|') == NULL, "%s", text);
	for (p = text; *p != '\0'; p++)
		ck_assert_msg((unsigned char)*p >= 0x20 || *p == '\n',
		    "control 0x%02x in %s", *p, text);
	for (p = text; *p != '\0'; p++)
		lines += *p == '\n';
	ck_assert_uint_eq(lines, 4);	/* status + one line per port - 1 */
	ck_assert_ptr_nonnull(strstr(text, "\n587/starttls OK: STARTTLS ok "
	    "(required, 4ms, TLSv1.3 TLS_AES_256_GCM_SHA384, cert "
	    "mail.example.org valid 61 days, AUTH PLAIN LOGIN, 192.0.2.1)"));
	ck_assert_ptr_nonnull(strstr(text, "\n2525/starttls OK: not offered"));
	ck_assert_ptr_nonnull(strstr(text, "go/away"));
	/* perfdata: the last line, after "| " */
	ck_assert_ptr_nonnull(strstr(s, "\n| 'resolve'=0.001s;;;0; "));
	ck_assert_ptr_nonnull(strstr(s, " '587_connect'=0.0005s;;;0; "));
	ck_assert_ptr_nonnull(strstr(s,
	    " '587_tls_handshake'=0.0015s;0.5;;0; "));
	ck_assert_ptr_nonnull(strstr(s, " '587_total'=0.004s;1;2;0; "));
	ck_assert_ptr_nonnull(strstr(s, " '587_cert_days'=61;14:;7:;; "));
	ck_assert_ptr_nonnull(strstr(s, " '465_total'=10s;1;2;0; "));
	ck_assert_ptr_nonnull(strstr(s, " '25_banner'=0.0002s;;;0; "));
	/* 'resolve' once per host, no '@' with one address */
	ck_assert_ptr_null(strstr(strstr(s, "'resolve'") + 1, "'resolve'"));
	ck_assert_ptr_null(strchr(strstr(s, "\n| "), '@'));
	ck_assert(s[strlen(s) - 1] == '\n');
	free(text);
	buf_free(&b);
	teardown();
}
END_TEST

/* Several addresses: labels gain "@address" and stay unique. */
START_TEST(test_output_multi)
{
	struct buf	 b;
	const char	*s;

	setup();
	res[4] = res[0];
	snprintf(res[4].address, sizeof(res[4].address), "2001:db8::25");
	add(&res[4], SMTPPROBE_POLICY_REQUIRED);
	res[5] = res[0];	/* same address twice: still unique */
	add(&res[5], SMTPPROBE_POLICY_REQUIRED);
	rep.multi = 1;
	evaluate_report(&cfg, &rep);
	buf_init(&b);
	output_nagios(&cfg, &rep, &b);
	s = buf_str(&b);
	ck_assert_ptr_nonnull(strstr(s,
	    " '587_total@192.0.2.1'=0.004s;1;2;0;"));
	ck_assert_ptr_nonnull(strstr(s,
	    " '587_total@2001:db8::25'=0.004s;1;2;0;"));
	ck_assert_ptr_nonnull(strstr(s,
	    " '587_total@192.0.2.1#2'=0.004s;1;2;0;"));
	ck_assert_ptr_nonnull(strstr(s, "'587_cert_days@2001:db8::25'=61;"));
	ck_assert_ptr_nonnull(strstr(s, "\n587/starttls@2001:db8::25 OK: "));
	/* an item with no address: the host name */
	ck_assert_ptr_nonnull(strstr(s, "'465_total@mail.example.org'="));
	buf_free(&b);
	teardown();
}
END_TEST

/* -v adds facts, -vv the dialogue, all sanitised. */
START_TEST(test_output_verbose)
{
	struct buf	 b;
	char		*text;

	setup();
	cfg.verbose = 2;
	res[0].transcript = "S: 220 mail ESMTP\nC: EHLO x|y\nS: 250 ok\r\n";
	buf_init(&b);
	output_nagios(&cfg, &rep, &b);
	text = text_part(buf_str(&b));
	ck_assert_ptr_nonnull(strstr(text, "\n  phases: resolve 1ms, connect "
	    "500us, tls_handshake 2ms, banner 1ms, ehlo 300us, starttls "
	    "200us, ehlo_tls 250us, quit 50us, total 4ms\n"));
	ck_assert_ptr_nonnull(strstr(text, "\n  banner: 220 mail ESMTP\n"));
	ck_assert_ptr_nonnull(strstr(text, "\n    C: EHLO x/y\n"));
	/* every connect attempt under its port */
	ck_assert_ptr_nonnull(strstr(text, "\n  tried 2001:db8::25: still "
	    "connecting after 250ms, abandoned, 192.0.2.1: connected in "
	    "1ms\n  phases: "));
	ck_assert_ptr_nonnull(strstr(text, "\n  tried 192.0.2.1: timeout in "
	    "connect after 10.00s\n"));
	ck_assert_ptr_nonnull(strstr(text, "\n  tried 192.0.2.1: connection "
	    "refused after 100us\n"));
	/* no attempt (25 here has none recorded): no line */
	ck_assert_ptr_null(strstr(text, "\n  tried \n"));
	ck_assert_ptr_nonnull(strstr(text, "\n  verification: chain and name "
	    "OK\n"));
	ck_assert_ptr_null(strchr(text, '|'));
	ck_assert_ptr_null(strchr(text, '\r'));
	free(text);
	buf_free(&b);
	teardown();
}
END_TEST

START_TEST(test_output_seconds)
{
	static const struct {
		int64_t		 us;
		const char	*want;
	} t[] = {
		{ 0, "0" }, { 1, "0.000001" }, { 1000, "0.001" },
		{ 1500, "0.0015" }, { 1000000, "1" }, { 10000000, "10" },
		{ 1234567, "1.234567" }, { -5, "0" },
	};
	char	 buf[48];
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_str_eq(output_seconds(buf, sizeof(buf), t[i].us),
		    t[i].want);
	ck_assert_int_eq(output_days_left(NOW + DAY, NOW), 1);
	ck_assert_int_eq(output_days_left(NOW + DAY - 1, NOW), 0);
	ck_assert_int_eq(output_days_left(NOW - 1, NOW), -1);
	ck_assert_int_eq(output_days_left(NOW - DAY - 1, NOW), -2);
}
END_TEST

/* ---- a strict JSON validator (RFC 8259), enough for the tests ---- */

static const char *json_value(const char *p, int depth);

static const char *
json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *
json_str(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				int i;

				for (i = 1; i <= 4; i++)
					if (strchr("0123456789abcdefABCDEF",
					    p[i]) == NULL || p[i] == '\0')
						return NULL;
				p += 5;
				continue;
			}
			if (strchr("\"\\/bfnrt", *p) == NULL || *p == '\0')
				return NULL;
		}
		p++;
	}
	return p + 1;
}

static const char *
json_num(const char *p)
{
	const char *s = p;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return p > s ? p : NULL;
}

static const char *
json_value(const char *p, int depth)
{
	if (depth > 32)
		return NULL;
	p = json_ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		int obj = *p == '{';

		p = json_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				if ((p = json_str(json_ws(p))) == NULL)
					return NULL;
				p = json_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			if ((p = json_value(p, depth + 1)) == NULL)
				return NULL;
			p = json_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '"')
		return json_str(p);
	if (strncmp(p, "true", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	if (strncmp(p, "null", 4) == 0)
		return p + 4;
	return json_num(p);
}

static int
json_valid(const char *s)
{
	const char *p = json_value(s, 0);

	return p != NULL && *json_ws(p) == '\0';
}

START_TEST(test_json_validator_sanity)
{
	ck_assert(json_valid("{\"a\":[1,2.5,-0.1,true,null,\"x\\n\"]}"));
	ck_assert(!json_valid("{\"a\":1,}"));
	ck_assert(!json_valid("{\"a\":\"\x01\"}"));
	ck_assert(!json_valid("[1 2]"));
	ck_assert(!json_valid("{\"a\":01}"));
}
END_TEST

START_TEST(test_json_report)
{
	struct buf	 b;
	const char	*s;

	setup();
	cfg.verbose = 2;
	res[0].transcript = "S: 220 \"hi\"\nC: QUIT";
	buf_init(&b);
	json_report(&cfg, &rep, &b);
	s = buf_str(&b);
	ck_assert_msg(json_valid(s), "invalid JSON: %s", s);
	ck_assert_ptr_nonnull(strstr(s, "\"state\":\"CRITICAL\""));
	ck_assert_ptr_nonnull(strstr(s, "\"exit_code\":2"));
	ck_assert_ptr_nonnull(strstr(s, "\"port\":587,\"mode\":\"starttls\","
	    "\"policy\":\"required\""));
	ck_assert_ptr_nonnull(strstr(s, "\"tls\":{\"version\":\"TLSv1.3\","
	    "\"cipher\":\"TLS_AES_256_GCM_SHA384\"}"));
	ck_assert_ptr_nonnull(strstr(s, "\"days_left\":61"));
	ck_assert_ptr_nonnull(strstr(s, "\"total\":0.004"));
	ck_assert_ptr_nonnull(strstr(s, "\"addresses_tried\":2,\"attempts\":["
	    "{\"address\":\"2001:db8::25\",\"outcome\":\"pending\","
	    "\"errno\":0,\"connect\":0.25},{\"address\":\"192.0.2.1\","
	    "\"outcome\":\"ok\",\"errno\":0,\"connect\":0.001}],"));
	ck_assert_ptr_nonnull(strstr(s, "\"attempts\":[{\"address\":"
	    "\"192.0.2.1\",\"outcome\":\"refused\",\"errno\":111,"
	    "\"connect\":0.0001}]"));
	ck_assert_ptr_nonnull(strstr(s, "\"addresses_tried\":0,"
	    "\"attempts\":[],"));
	ck_assert_ptr_nonnull(strstr(s, "\"transcript\":\"S: 220 \\\"hi\\\"\\n"
	    "C: QUIT\""));
	/* hostile bytes: escaped, invalid UTF-8 as the text \xFF */
	ck_assert_ptr_nonnull(strstr(s, "\\r\\n\\\"now\\\" \\\\ \\u0001 "
	    "caf\xc3\xa9 \\\\xFF"));
	ck_assert(s[strlen(s) - 1] == '\n');
	buf_free(&b);
	teardown();
}
END_TEST

START_TEST(test_json_string)
{
	struct buf	 b;

	buf_init(&b);
	json_string(&b, "a\"b\\c\td\x7f\xe2\x82\xac\xed\xa0\x80\xc0\xaf");
	ck_assert_str_eq(buf_str(&b), "\"a\\\"b\\\\c\\td\\u007f\xe2\x82\xac"
	    "\\\\xED\\\\xA0\\\\x80\\\\xC0\\\\xAF\"");
	ck_assert(json_valid(buf_str(&b)));
	buf_free(&b);
}
END_TEST

static Suite *
plugin_output_suite(void)
{
	Suite	*s = suite_create("plugin_output");
	TCase	*tc = tcase_create("output");

	tcase_add_test(tc, test_output_status);
	tcase_add_test(tc, test_output_nagios);
	tcase_add_test(tc, test_output_multi);
	tcase_add_test(tc, test_output_verbose);
	tcase_add_test(tc, test_output_seconds);
	tcase_add_test(tc, test_json_validator_sanity);
	tcase_add_test(tc, test_json_report);
	tcase_add_test(tc, test_json_string);
	suite_add_tcase(s, tc);
	return s;
}
CHECK_SUITE(plugin_output_suite)
