/*
 * check_exporter_metrics.c: the text exposition writer (HELP/TYPE, label
 * escaping, UTF-8 repair, number formatting, histograms) and the mapping
 * of probe results to PRODUCT.md's families.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "suite.h"
#include "../exporter/metrics.h"
#include "../exporter/probe_metrics.h"
#include "../exporter/html.h"
#include "../exporter/log.h"

static const struct {
	const char	*in;
	const char	*out;
} esc[] = {
	{ "plain", "plain" },
	{ "back\\slash", "back\\\\slash" },
	{ "dq\"uote", "dq\\\"uote" },
	{ "new\nline", "new\\nline" },
	{ "all\\\"\n", "all\\\\\\\"\\n" },
	{ "caf\xc3\xa9", "caf\xc3\xa9" },			/* valid UTF-8 */
	{ "bad\xff", "bad\xef\xbf\xbd" },			/* invalid byte */
	{ "trunc\xc3", "trunc\xef\xbf\xbd" },		/* cut sequence */
	{ "over\xc0\xaf", "over\xef\xbf\xbd\xef\xbf\xbd" },	/* overlong */
	{ "sur\xed\xa0\x80", "sur\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "emoji\xf0\x9f\x98\x80", "emoji\xf0\x9f\x98\x80" },
	{ "", "" },
};

START_TEST(test_escape)
{
	struct strbuf	 b;

	strbuf_init(&b);
	metrics_escape_label(&b, esc[_i].in);
	ck_assert_str_eq(strbuf_str(&b), esc[_i].out);
	strbuf_free(&b);
}
END_TEST

START_TEST(test_sample)
{
	struct strbuf		 b;
	struct metrics_label	 l[2] = {
		{ "port", "587" }, { "subject", "CN=\"x\"\\y\nz" }
	};

	strbuf_init(&b);
	metrics_family(&b, "smtp_port_up", "gauge", "Help with \\ and\nline.");
	metrics_sample_int(&b, "smtp_port_up", l, 2, 1);
	metrics_sample_int(&b, "smtp_port_up", NULL, 0, -5);
	metrics_sample_us(&b, "d_seconds", NULL, 0, 1234567);
	metrics_sample_us(&b, "d_seconds", NULL, 0, 42);
	metrics_sample_double(&b, "x", NULL, 0, 0.25);
	metrics_sample_double(&b, "x", NULL, 0, NAN);
	metrics_sample_double(&b, "x", NULL, 0, INFINITY);
	metrics_sample_double(&b, "x", NULL, 0, 1764000000.5);
	ck_assert_str_eq(strbuf_str(&b),
	    "# HELP smtp_port_up Help with \\\\ and\\nline.\n"
	    "# TYPE smtp_port_up gauge\n"
	    "smtp_port_up{port=\"587\",subject=\"CN=\\\"x\\\"\\\\y\\nz\"} 1\n"
	    "smtp_port_up -5\n"
	    "d_seconds 1.234567\n"
	    "d_seconds 0.000042\n"
	    "x 0.25\n"
	    "x NaN\n"
	    "x +Inf\n"
	    "x 1764000000.5\n");
	strbuf_free(&b);
}
END_TEST

START_TEST(test_histogram)
{
	static const double	 bounds[] = { 0.001, 0.01, 0.1 };
	static const uint64_t	 counts[] = { 1, 0, 2, 3 };
	struct strbuf		 b;
	struct metrics_label	 l[1] = { { "phase", "connect" } };

	strbuf_init(&b);
	metrics_histogram(&b, "h_seconds", l, 1, bounds, 3, counts, 12.5);
	ck_assert_str_eq(strbuf_str(&b),
	    "h_seconds_bucket{phase=\"connect\",le=\"0.001\"} 1\n"
	    "h_seconds_bucket{phase=\"connect\",le=\"0.01\"} 1\n"
	    "h_seconds_bucket{phase=\"connect\",le=\"0.1\"} 3\n"
	    "h_seconds_bucket{phase=\"connect\",le=\"+Inf\"} 6\n"
	    "h_seconds_sum{phase=\"connect\"} 12.5\n"
	    "h_seconds_count{phase=\"connect\"} 6\n");
	strbuf_free(&b);
}
END_TEST

START_TEST(test_strbuf_cap)
{
	struct strbuf	 b;

	strbuf_init(&b);
	ck_assert_int_eq(strbuf_puts(&b, "abc"), 0);
	ck_assert_int_eq(strbuf_append(&b, "x", STRBUF_MAX), -1);
	ck_assert_int_eq(b.failed, 1);
	ck_assert_int_eq(strbuf_puts(&b, "more"), -1);	/* sticky */
	ck_assert_ptr_null(strbuf_steal(&b));
	strbuf_free(&b);
}
END_TEST

static void
result_init(struct smtpprobe_result *r, uint16_t port,
    enum smtpprobe_mode mode)
{
	int	 i;

	memset(r, 0, sizeof(*r));
	r->port = port;
	r->mode = mode;
	snprintf(r->address, sizeof(r->address), "192.0.2.1");
	for (i = 0; i < SMTPPROBE_PHASE_COUNT; i++)
		r->phase_us[i] = -1;
}

/* Count lines of text that start with prefix. */
static int
count_lines(const char *text, const char *prefix)
{
	const char	*p = text;
	int		 n = 0;
	size_t		 pl = strlen(prefix);

	while (p != NULL && *p != '\0') {
		if (strncmp(p, prefix, pl) == 0)
			n++;
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return n;
}

START_TEST(test_probe_ok)
{
	struct smtpprobe_result		 r;
	struct probe_metrics_entry	 e;
	struct strbuf			 b;
	const char			*t;

	result_init(&r, 587, SMTPPROBE_MODE_STARTTLS);
	r.outcome = SMTPPROBE_OUTCOME_OK;
	r.phase = SMTPPROBE_PHASE_TOTAL;
	r.connected = 1;
	r.banner.code = 220;
	r.caps.present = 1;
	r.caps.flags = SMTPPROBE_CAP_STARTTLS | SMTPPROBE_CAP_AUTH;
	r.tls_up = 1;
	snprintf(r.tls_version, sizeof(r.tls_version), "TLSv1.3");
	snprintf(r.tls_cipher, sizeof(r.tls_cipher), "TLS_AES_256_GCM_SHA384");
	r.cert.present = 1;
	r.cert.verified = 1;
	r.cert.not_after = 1800000000;
	r.cert.chain_earliest_not_after = 1790000000;
	snprintf(r.cert.subject, sizeof(r.cert.subject), "CN=mail \"x\"");
	r.phase_us[SMTPPROBE_PHASE_CONNECT] = 1500;
	r.phase_us[SMTPPROBE_PHASE_TOTAL] = 9000;
	e.r = &r;
	e.policy = SMTPPROBE_POLICY_REQUIRED;
	e.target = NULL;
	e.with_address = 0;
	strbuf_init(&b);
	probe_metrics_write_probe(&b, &e, 1, 10000);
	t = strbuf_str(&b);
	ck_assert_ptr_nonnull(strstr(t,
	    "smtp_port_up{port=\"587\",mode=\"starttls\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t,
	    "smtp_port_probe_success{port=\"587\",mode=\"starttls\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t,
	    "smtp_port_starttls_offered{port=\"587\",mode=\"starttls\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t,
	    "smtp_port_auth_before_tls{port=\"587\",mode=\"starttls\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "smtp_port_cert_not_after_timestamp_"
	    "seconds{port=\"587\",mode=\"starttls\"} 1800000000\n"));
	ck_assert_ptr_nonnull(strstr(t, "smtp_port_cert_chain_earliest_expiry_"
	    "timestamp_seconds{port=\"587\",mode=\"starttls\"} 1790000000\n"));
	ck_assert_ptr_nonnull(strstr(t, "smtp_port_phase_duration_seconds{"
	    "port=\"587\",mode=\"starttls\",phase=\"connect\"} 0.001500\n"));
	ck_assert_ptr_nonnull(strstr(t, "smtp_port_result_info{port=\"587\","
	    "mode=\"starttls\",result=\"ok\",phase=\"total\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "smtp_port_tls_info{port=\"587\","
	    "mode=\"starttls\",version=\"TLSv1.3\",cipher="
	    "\"TLS_AES_256_GCM_SHA384\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "subject=\"CN=mail \\\"x\\\"\""));
	ck_assert_ptr_nonnull(strstr(t, "\nprobe_success 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "\nprobe_duration_seconds 0.010000\n"));
	/* phases that did not run have no series */
	ck_assert_ptr_null(strstr(t, "phase=\"ehlo_tls\"} "));
	/* every family declared once */
	ck_assert_int_eq(count_lines(t, "# TYPE smtp_port_up "), 1);
	ck_assert_int_eq(count_lines(t, "# HELP "), count_lines(t, "# TYPE "));
	strbuf_free(&b);
}
END_TEST

START_TEST(test_probe_failures)
{
	struct smtpprobe_result		 r[3];
	struct probe_metrics_entry	 e[3];
	struct strbuf			 b;
	const char			*t;
	int				 i;

	/* required 587: STARTTLS not offered */
	result_init(&r[0], 587, SMTPPROBE_MODE_STARTTLS);
	r[0].outcome = SMTPPROBE_OUTCOME_STARTTLS_NOT_OFFERED;
	r[0].phase = SMTPPROBE_PHASE_EHLO;
	r[0].connected = 1;
	r[0].banner.code = 220;
	r[0].caps.present = 1;
	/* optional 465: refused (nothing answered: policy met) */
	result_init(&r[1], 465, SMTPPROBE_MODE_TLS);
	r[1].outcome = SMTPPROBE_OUTCOME_REFUSED;
	r[1].phase = SMTPPROBE_PHASE_CONNECT;
	/* optional 25: 554 greeting; an expired certificate would be here
	 * too: cert facts without verification */
	result_init(&r[2], 25, SMTPPROBE_MODE_STARTTLS);
	r[2].outcome = SMTPPROBE_OUTCOME_BANNER_REJECTED;
	r[2].phase = SMTPPROBE_PHASE_BANNER;
	r[2].connected = 1;
	r[2].banner.code = 554;
	for (i = 0; i < 3; i++) {
		e[i].r = &r[i];
		e[i].policy = i == 0 ? SMTPPROBE_POLICY_REQUIRED :
		    SMTPPROBE_POLICY_OPTIONAL;
		e[i].target = "mx1";
		e[i].with_address = 1;
	}
	strbuf_init(&b);
	probe_metrics_write_probe(&b, e, 3, 5);
	t = strbuf_str(&b);
	ck_assert_ptr_nonnull(strstr(t, "smtp_port_starttls_offered{target="
	    "\"mx1\",port=\"587\",mode=\"starttls\",address=\"192.0.2.1\"} "
	    "0\n"));
	ck_assert_ptr_nonnull(strstr(t, "smtp_port_probe_success{target="
	    "\"mx1\",port=\"587\",mode=\"starttls\",address=\"192.0.2.1\"} "
	    "0\n"));
	ck_assert_ptr_nonnull(strstr(t, "smtp_port_probe_success{target="
	    "\"mx1\",port=\"465\",mode=\"tls\",address=\"192.0.2.1\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "smtp_port_up{target=\"mx1\",port="
	    "\"465\",mode=\"tls\",address=\"192.0.2.1\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(t, "smtp_port_banner_code{target=\"mx1\","
	    "port=\"25\",mode=\"starttls\",address=\"192.0.2.1\"} 554\n"));
	ck_assert_ptr_nonnull(strstr(t, "result=\"starttls_not_offered\","
	    "phase=\"ehlo\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "result=\"refused\",phase=\"connect\""));
	ck_assert_ptr_nonnull(strstr(t, "\nprobe_success 0\n"));
	/* no TLS, no certificate: those families are absent entirely */
	ck_assert_ptr_null(strstr(t, "smtp_port_tls_info"));
	ck_assert_ptr_null(strstr(t, "smtp_port_cert_info"));
	/* STARTTLS is meaningless for implicit TLS */
	ck_assert_ptr_null(strstr(t, "smtp_port_starttls_offered{target="
	    "\"mx1\",port=\"465\""));
	strbuf_free(&b);
}
END_TEST

START_TEST(test_probe_cert_unverified)
{
	struct smtpprobe_result		 r;
	struct probe_metrics_entry	 e = { &r, SMTPPROBE_POLICY_REQUIRED,
					       NULL, 0 };
	struct strbuf			 b;
	const char			*t;

	result_init(&r, 465, SMTPPROBE_MODE_TLS);
	r.outcome = SMTPPROBE_OUTCOME_CERT_EXPIRED;
	r.phase = SMTPPROBE_PHASE_TLS_HANDSHAKE;
	r.connected = 1;
	r.tls_up = 1;
	r.cert.present = 1;
	r.cert.verified = 0;
	r.cert.not_after = 1600000000;
	strbuf_init(&b);
	probe_metrics_write_probe(&b, &e, 1, 5);
	t = strbuf_str(&b);
	ck_assert_ptr_nonnull(strstr(t, "smtp_port_cert_verified{port=\"465\","
	    "mode=\"tls\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(t, "smtp_port_cert_not_after_timestamp_"
	    "seconds{port=\"465\",mode=\"tls\"} 1600000000\n"));
	ck_assert_ptr_nonnull(strstr(t, "smtp_port_cert_info{"));
	strbuf_free(&b);
}
END_TEST

START_TEST(test_html_escape)
{
	struct strbuf	 b;

	strbuf_init(&b);
	html_escape(&b, "<script>alert('x&y')</script>\"");
	ck_assert_str_eq(strbuf_str(&b), "&lt;script&gt;alert(&#39;x&amp;y"
	    "&#39;)&lt;/script&gt;&quot;");
	strbuf_free(&b);
}
END_TEST

/* Run log_msg with stderr on a pipe and return what it wrote. */
static const char *
capture_log(enum log_format f, const char *msg, const char *k,
    const char *v)
{
	static char	 buf[1024];
	int		 p[2], saved;
	ssize_t		 n;

	ck_assert_int_eq(pipe(p), 0);
	saved = dup(2);
	dup2(p[1], 2);
	log_setup(LOG_LEVEL_INFO, f);
	log_msg(LOG_LEVEL_INFO, msg, k, v, NULL);
	log_msg(LOG_LEVEL_DEBUG, "hidden", NULL);	/* below the level */
	dup2(saved, 2);
	close(saved);
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

START_TEST(test_log_format)
{
	const char	*l;

	l = capture_log(LOG_FORMAT_LOGFMT, "probe done", "target",
	    "mx.example.org");
	ck_assert_ptr_nonnull(strstr(l, " level=info msg=\"probe done\" "
	    "target=mx.example.org\n"));
	ck_assert_int_eq(strncmp(l, "ts=", 3), 0);
	ck_assert_ptr_null(strstr(l, "hidden"));
	/* a hostile value cannot forge a second line or a key */
	l = capture_log(LOG_FORMAT_LOGFMT, "m", "err", "a\nlevel=error \"x\"");
	ck_assert_ptr_nonnull(strstr(l, "err=\"a\\nlevel=error \\\"x\\\"\"\n"));
	ck_assert_ptr_eq(strchr(l, '\n'), l + strlen(l) - 1);
	l = capture_log(LOG_FORMAT_JSON, "m", "err", "q\"\x01");
	ck_assert_int_eq(strncmp(l, "{\"ts\":\"", 7), 0);
	ck_assert_ptr_nonnull(strstr(l, "\"level\":\"info\",\"msg\":\"m\","
	    "\"err\":\"q\\\"\\u0001\"}\n"));
	ck_assert_int_eq(log_level_from_name("WARN"), LOG_LEVEL_WARN);
	ck_assert_int_eq(log_level_from_name("trace"), -1);
	ck_assert_int_eq(log_format_from_name("json"), LOG_FORMAT_JSON);
	ck_assert_int_eq(log_format_from_name("xml"), -1);
}
END_TEST

static Suite *
exporter_metrics_suite(void)
{
	Suite	*s = suite_create("exporter_metrics");
	TCase	*tc = tcase_create("text");

	tcase_add_loop_test(tc, test_escape, 0, sizeof(esc) / sizeof(esc[0]));
	tcase_add_test(tc, test_sample);
	tcase_add_test(tc, test_histogram);
	tcase_add_test(tc, test_strbuf_cap);
	suite_add_tcase(s, tc);
	tc = tcase_create("probe");
	tcase_add_test(tc, test_probe_ok);
	tcase_add_test(tc, test_probe_failures);
	tcase_add_test(tc, test_probe_cert_unverified);
	suite_add_tcase(s, tc);
	tc = tcase_create("html_log");
	tcase_add_test(tc, test_html_escape);
	tcase_add_test(tc, test_log_format);
	suite_add_tcase(s, tc);
	return s;
}
CHECK_SUITE(exporter_metrics_suite)
