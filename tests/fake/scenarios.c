/*
 * scenarios.c: the fake SMTP server's scenarios, as data.  Each is a list
 * of steps executed by server.c; the names are the contract of the common
 * brief (tests, plugin, exporter, demo, hostile suite and benchmarks use
 * them), so a name is never changed, only added.
 */
#include <string.h>
#include <strings.h>

#include "server.h"

#define SEND(t)		{ SERVER_OP_SEND, (t), 0 }
#define RAW(t)		{ SERVER_OP_RAW, (t), (long)sizeof(t) - 1 }
#define EXPECT(v)	{ SERVER_OP_EXPECT, (v), 0 }
#define EXPECT_RAW(v)	{ SERVER_OP_EXPECT, (v), 1 }
#define TLS(k)		{ SERVER_OP_TLS, NULL, (k) }
#define DELAY(ms)	{ SERVER_OP_DELAY, NULL, (ms) }
#define DRIP(t, ms)	{ SERVER_OP_DRIP, (t), (ms) }
#define ENDLESS(t)	{ SERVER_OP_ENDLESS, (t), 0 }
#define STREAM(n)	{ SERVER_OP_STREAM, NULL, (n) }
#define LINES(t, n)	{ SERVER_OP_LINES, (t), (n) }
#define WAITDATA	{ SERVER_OP_WAITDATA, NULL, 0 }
#define NOREAD		{ SERVER_OP_NOREAD, NULL, 0 }
#define IDLE		{ SERVER_OP_IDLE, NULL, 0 }
#define CLOSE		{ SERVER_OP_CLOSE, NULL, 0 }
#define RESET		{ SERVER_OP_RESET, NULL, 0 }
#define END		{ SERVER_OP_END, NULL, 0 }

/* Replies shared by the scenarios (RFC 5321 §4.2, RFC 3207 §4). */
#define GREETING	"220 mail.fake.test ESMTP fakesmtp\r\n"
#define EHLO_STARTTLS	"250-mail.fake.test\r\n250-PIPELINING\r\n" \
			"250-SIZE 10240000\r\n250-STARTTLS\r\n" \
			"250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n" \
			"250 SMTPUTF8\r\n"
#define EHLO_NOTLS	"250-mail.fake.test\r\n250-PIPELINING\r\n" \
			"250-SIZE 10240000\r\n250-ENHANCEDSTATUSCODES\r\n" \
			"250-8BITMIME\r\n250 SMTPUTF8\r\n"
#define EHLO_AUTH_CLEAR	"250-mail.fake.test\r\n250-PIPELINING\r\n" \
			"250-SIZE 10240000\r\n250-AUTH PLAIN LOGIN\r\n" \
			"250-STARTTLS\r\n250 8BITMIME\r\n"
/* After TLS: AUTH, no STARTTLS (RFC 3207 §4.2). */
#define EHLO_TLS	"250-mail.fake.test\r\n250-PIPELINING\r\n" \
			"250-SIZE 10240000\r\n250-AUTH PLAIN LOGIN\r\n" \
			"250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n" \
			"250-DSN\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n"
#define STARTTLS_GO	"220 2.0.0 Ready to start TLS\r\n"
#define TLS_ALERT	"\x15\x03\x03\x00\x02\x02\x28"

/* Greeting, EHLO with STARTTLS, STARTTLS, handshake with kind, EHLO. */
#define STARTTLS_DIALOGUE(kind)						\
	EXPECT("EHLO"), SEND(EHLO_STARTTLS), EXPECT("STARTTLS"),	\
	SEND(STARTTLS_GO), TLS(kind), EXPECT("EHLO"), SEND(EHLO_TLS), END
/* Implicit TLS (RFC 8314): handshake first, then SMTP. */
#define IMPLICIT_DIALOGUE(kind)						\
	TLS(kind), SEND(GREETING), EXPECT("EHLO"), SEND(EHLO_TLS), END
/* Up to the STARTTLS command, answered 220. */
#define UP_TO_STARTTLS							\
	SEND(GREETING), EXPECT("EHLO"), SEND(EHLO_STARTTLS),		\
	EXPECT("STARTTLS"), SEND(STARTTLS_GO)

static const struct server_step s_good[] = {
	SEND(GREETING), STARTTLS_DIALOGUE(TLSGEN_GOOD)
};
static const struct server_step s_tls[] = { IMPLICIT_DIALOGUE(TLSGEN_GOOD) };
static const struct server_step s_notls[] = {
	SEND(GREETING), EXPECT("EHLO"), SEND(EHLO_NOTLS), END
};
static const struct server_step s_deny[] = {
	SEND("554 5.7.1 mail.fake.test no SMTP service for you\r\n"), END
};
static const struct server_step s_busy[] = {
	SEND("421 4.3.2 mail.fake.test service not available, "
	    "closing transmission channel\r\n"), END
};
#define CERT_SCENARIO(var, kind)					\
static const struct server_step var[] = {				\
	SEND(GREETING), STARTTLS_DIALOGUE(kind)				\
};									\
static const struct server_step var##_tls[] = {				\
	IMPLICIT_DIALOGUE(kind)						\
}
CERT_SCENARIO(s_expired, TLSGEN_EXPIRED);
CERT_SCENARIO(s_notyetvalid, TLSGEN_NOTYETVALID);
CERT_SCENARIO(s_selfsigned, TLSGEN_SELFSIGNED);
CERT_SCENARIO(s_wrongname, TLSGEN_WRONGNAME);
CERT_SCENARIO(s_soon, TLSGEN_SOON);
CERT_SCENARIO(s_soonchain, TLSGEN_SOONCHAIN);
CERT_SCENARIO(s_expiredchain, TLSGEN_EXPIREDCHAIN);
CERT_SCENARIO(s_nochain, TLSGEN_NOCHAIN);
CERT_SCENARIO(s_tls10, TLSGEN_TLS10);
CERT_SCENARIO(s_tls12, TLSGEN_TLS12);

static const struct server_step s_silent[] = { IDLE, END };
static const struct server_step s_slow[] = {
	DELAY(-1), SEND(GREETING), STARTTLS_DIALOGUE(TLSGEN_GOOD)
};
static const struct server_step s_authplain[] = {
	SEND(GREETING), EXPECT("EHLO"), SEND(EHLO_AUTH_CLEAR),
	EXPECT("STARTTLS"), SEND(STARTTLS_GO), TLS(TLSGEN_GOOD),
	EXPECT("EHLO"), SEND(EHLO_TLS), END
};
static const struct server_step s_starttls454[] = {
	SEND(GREETING), EXPECT("EHLO"), SEND(EHLO_STARTTLS),
	EXPECT("STARTTLS"),
	SEND("454 4.7.0 TLS not available due to temporary reason\r\n"), END
};
static const struct server_step s_ehlo_reject[] = {
	SEND(GREETING), EXPECT("EHLO"), SEND("550 5.7.1 EHLO refused\r\n"),
	EXPECT("HELO"), SEND("550 5.7.1 HELO refused\r\n"), END
};
static const struct server_step s_helo[] = {
	SEND(GREETING), EXPECT("EHLO"),
	SEND("502 5.5.2 Error: command not recognized\r\n"),
	EXPECT("HELO"), SEND("250 mail.fake.test\r\n"), END
};
static const struct server_step s_helo_reject[] = {
	SEND(GREETING), EXPECT("EHLO"),
	SEND("500 5.5.1 Error: command not recognized\r\n"),
	EXPECT("HELO"), SEND("550 5.7.1 HELO refused\r\n"), END
};
/* Orderly closes, one per phase of the dialogue. */
static const struct server_step s_close_banner[] = {
	SEND("220-mail.fake.test ESMTP\r\n"), CLOSE, END
};
static const struct server_step s_close[] = { SEND(GREETING), CLOSE, END };
static const struct server_step s_close_ehlo[] = {
	SEND(GREETING), EXPECT("EHLO"), CLOSE, END
};
static const struct server_step s_close_starttls[] = {
	SEND(GREETING), EXPECT("EHLO"), SEND(EHLO_STARTTLS),
	EXPECT("STARTTLS"), CLOSE, END
};
static const struct server_step s_close_handshake[] = {
	UP_TO_STARTTLS, WAITDATA, CLOSE, END
};
static const struct server_step s_close_ehlo_tls[] = {
	UP_TO_STARTTLS, TLS(TLSGEN_GOOD), EXPECT("EHLO"), CLOSE, END
};
static const struct server_step s_close_tls_banner[] = {
	TLS(TLSGEN_GOOD), CLOSE, END
};
static const struct server_step s_quitclose[] = {
	SEND(GREETING), EXPECT("EHLO"), SEND(EHLO_NOTLS), EXPECT_RAW("QUIT"),
	CLOSE, END
};
static const struct server_step s_quitsilent[] = {
	SEND(GREETING), EXPECT("EHLO"), SEND(EHLO_NOTLS), EXPECT_RAW("QUIT"),
	IDLE, END
};
static const struct server_step s_reset[] = {
	SEND(GREETING), EXPECT("EHLO"), RESET, END
};
static const struct server_step s_reset_accept[] = { RESET, END };
static const struct server_step s_reset_greeting[] = {
	SEND(GREETING), RESET, END
};
static const struct server_step s_reset_starttls[] = {
	UP_TO_STARTTLS, RESET, END
};
/* RST inside TLS: a client that cleans up with SSL_shutdown() writes
 * close_notify to a socket whose error its read already consumed: EPIPE,
 * and SIGPIPE unless the BIO sends with MSG_NOSIGNAL. */
static const struct server_step s_reset_ehlo_tls[] = {
	UP_TO_STARTTLS, TLS(TLSGEN_GOOD), EXPECT("EHLO"), RESET, END
};
static const struct server_step s_reset_tls_banner[] = {
	TLS(TLSGEN_GOOD), RESET, END
};
/* Part of a greeting, then RST: the read after the data consumes the
 * error, so any later write gets EPIPE. */
static const struct server_step s_reset_partial[] = {
	SEND("220-mail.fake.test ESMTP\r\n"), RESET, END
};
static const struct server_step s_garbage[] = {
	RAW("\x8f\x03garbage \x00\x01\x02 this is not SMTP\r\n"), IDLE, END
};
/* CVE-2011-0411 from the server side: data behind the STARTTLS 220. */
static const struct server_step s_injection[] = {
	SEND(GREETING), EXPECT("EHLO"), SEND(EHLO_STARTTLS),
	EXPECT("STARTTLS"),
	SEND(STARTTLS_GO "250-mail.fake.test injected\r\n250 AUTH PLAIN\r\n"),
	TLS(TLSGEN_GOOD), EXPECT("EHLO"), SEND(EHLO_TLS), END
};
static const struct server_step s_drip[] = {
	DRIP(GREETING, 10), STARTTLS_DIALOGUE(TLSGEN_GOOD)
};
static const struct server_step s_endless[] = {
	ENDLESS("220-mail.fake.test this greeting never ends\r\n"), END
};
static const struct server_step s_longline[] = {
	SEND("220 "), STREAM(10L * 1024 * 1024), IDLE, END
};
/* 20 lines of 4 KB: each line legal, the reply over 64 KiB. */
static const struct server_step s_bigreply[] = {
	LINES("220-", 20), SEND(GREETING), IDLE, END
};
static const struct server_step s_nul[] = {
	RAW("220 mail.fake.test\x00 ESMTP \xff\xfe caf\xc3\xa9 \xc3\x28\r\n"),
	EXPECT("EHLO"),
	RAW("250-mail.fake.test\x00hello\r\n250-PIPELINING\r\n"
	    "250-STARTTLS\r\n250 8BIT\xff" "MIME\r\n"),
	EXPECT("STARTTLS"), SEND(STARTTLS_GO), TLS(TLSGEN_GOOD),
	EXPECT("EHLO"), RAW("250-mail.fake.test\x01\x7f\r\n250 AUTH PLAIN\r\n"),
	END
};
static const struct server_step s_barelf[] = {
	SEND("220 mail.fake.test ESMTP bare LF\n"), EXPECT("EHLO"),
	SEND("250-mail.fake.test\n250-PIPELINING\n250-STARTTLS\n"
	    "250 8BITMIME\n"),
	EXPECT("STARTTLS"), SEND("220 2.0.0 go ahead\n"), TLS(TLSGEN_GOOD),
	EXPECT("EHLO"), SEND("250-mail.fake.test\n250 AUTH PLAIN LOGIN\n"),
	END
};
static const struct server_step s_http[] = {
	SEND("HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n"
	    "Content-Type: text/html\r\nContent-Length: 0\r\n"
	    "Connection: close\r\n\r\n"), IDLE, END
};
static const struct server_step s_tlsbytes[] = { RAW(TLS_ALERT), IDLE, END };
static const struct server_step s_plaintext_tls[] = {
	SEND(GREETING), IDLE, END
};
static const struct server_step s_tlsalert[] = {
	UP_TO_STARTTLS, WAITDATA, RAW(TLS_ALERT), IDLE, END
};
static const struct server_step s_tlsgarbage[] = {
	UP_TO_STARTTLS, WAITDATA,
	RAW("this is not TLS \x00\x01\x02\xff\r\n"), IDLE, END
};
static const struct server_step s_starttls_multi[] = {
	SEND(GREETING), EXPECT("EHLO"), SEND(EHLO_STARTTLS),
	EXPECT("STARTTLS"), SEND("220-2.0.0 Ready\r\n220 2.0.0 go ahead\r\n"),
	TLS(TLSGEN_GOOD), EXPECT("EHLO"), SEND(EHLO_TLS), END
};
/* Silent at each TLS step: the deadline must end them. */
static const struct server_step s_tlssilent[] = {
	UP_TO_STARTTLS, WAITDATA, IDLE, END
};
static const struct server_step s_tlssilent_tls[] = { WAITDATA, IDLE, END };
static const struct server_step s_ehlo_tls_silent[] = {
	UP_TO_STARTTLS, TLS(TLSGEN_GOOD), EXPECT("EHLO"), IDLE, END
};
static const struct server_step s_noread[] = { SEND(GREETING), NOREAD, END };
static const struct server_step s_tls5xx[] = {
	UP_TO_STARTTLS, TLS(TLSGEN_GOOD), EXPECT("EHLO"),
	SEND("554 5.7.1 mail.fake.test go away\r\n"), END
};
static const struct server_step s_lastline[] = {
	SEND(GREETING), EXPECT("EHLO"),
	SEND("250-mail.fake.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
	    "250 STARTTLS\r\n"),
	EXPECT("STARTTLS"), SEND(STARTTLS_GO), TLS(TLSGEN_GOOD),
	EXPECT("EHLO"), SEND(EHLO_TLS), END
};
static const struct server_step s_lowercase[] = {
	SEND("220 mail.fake.test esmtp\r\n"), EXPECT("EHLO"),
	SEND("250-mail.fake.test\r\n250-pipelining\r\n250-size 10240000\r\n"
	    "250-auth plain login\r\n250-8bitmime\r\n250 starttls\r\n"),
	EXPECT("STARTTLS"), SEND("220 2.0.0 ready\r\n"), TLS(TLSGEN_GOOD),
	EXPECT("EHLO"),
	SEND("250-mail.fake.test\r\n250-auth plain login\r\n"
	    "250-enhancedstatuscodes\r\n250 size 10240000\r\n"), END
};
static const struct server_step s_multiline[] = {
	SEND("220-mail.fake.test ESMTP fakesmtp\r\n"), DELAY(150),
	SEND("220-this greeting has three lines\r\n"), DELAY(150),
	SEND("220 ready\r\n"), STARTTLS_DIALOGUE(TLSGEN_GOOD)
};
static const struct server_step s_ehlo_multi_tls[] = {
	SEND(GREETING), EXPECT("EHLO"),
	SEND("250-mail.fake.test\r\n"), DELAY(150),
	SEND("250-PIPELINING\r\n250 STARTTLS\r\n"), EXPECT("STARTTLS"),
	SEND(STARTTLS_GO), TLS(TLSGEN_GOOD), EXPECT("EHLO"), SEND(EHLO_TLS),
	END
};

static const struct server_scenario scenarios[] = {
	{ "good", "STARTTLS offered, EHLO after TLS, AUTH only after TLS",
	    s_good, 0 },
	{ "tls", "implicit TLS, good certificate", s_tls, 0 },
	{ "notls", "no STARTTLS", s_notls, 0 },
	{ "deny", "554 greeting", s_deny, 0 },
	{ "busy", "421 greeting", s_busy, 0 },
	{ "expired", "STARTTLS, certificate expired 30 days ago",
	    s_expired, 0 },
	{ "notyetvalid", "STARTTLS, certificate valid in 30 days",
	    s_notyetvalid, 0 },
	{ "selfsigned", "STARTTLS, self-signed certificate", s_selfsigned, 0 },
	{ "wrongname", "STARTTLS, SAN DNS:other.fake.test only",
	    s_wrongname, 0 },
	{ "soon", "STARTTLS, certificate expires in 10 days", s_soon, 0 },
	{ "soonchain", "STARTTLS, leaf +365 d, intermediate expires in 5 "
	    "days", s_soonchain, 0 },
	{ "expiredchain", "STARTTLS, intermediate expired 10 days ago",
	    s_expiredchain, 0 },
	{ "nochain", "STARTTLS, leaf without its intermediate", s_nochain, 0 },
	{ "tls10", "STARTTLS, TLS 1.0/1.1 only", s_tls10, 0 },
	{ "expired-tls", "implicit TLS, expired certificate",
	    s_expired_tls, 0 },
	{ "notyetvalid-tls", "implicit TLS, not yet valid certificate",
	    s_notyetvalid_tls, 0 },
	{ "selfsigned-tls", "implicit TLS, self-signed certificate",
	    s_selfsigned_tls, 0 },
	{ "wrongname-tls", "implicit TLS, wrong name", s_wrongname_tls, 0 },
	{ "soon-tls", "implicit TLS, expires in 10 days", s_soon_tls, 0 },
	{ "soonchain-tls", "implicit TLS, intermediate expires in 5 days",
	    s_soonchain_tls, 0 },
	{ "expiredchain-tls", "implicit TLS, intermediate expired",
	    s_expiredchain_tls, 0 },
	{ "nochain-tls", "implicit TLS, leaf without its intermediate",
	    s_nochain_tls, 0 },
	{ "tls10-tls", "implicit TLS, TLS 1.0/1.1 only", s_tls10_tls, 0 },
	{ "tls12", "STARTTLS, TLS 1.2 only", s_tls12, 0 },
	{ "tls12-tls", "implicit TLS, TLS 1.2 only", s_tls12_tls, 0 },
	{ "silent", "accepts, never speaks", s_silent, 0 },
	{ "slow", "greeting after --slow-ms (default 2000)", s_slow, 0 },
	{ "authplain", "AUTH PLAIN LOGIN before TLS", s_authplain, 0 },
	{ "starttls454", "STARTTLS answered 454", s_starttls454, 0 },
	{ "ehlo-reject", "EHLO and HELO answered 550", s_ehlo_reject, 0 },
	{ "helo", "EHLO answered 502, HELO 250", s_helo, 0 },
	{ "helo-reject", "EHLO answered 500, HELO 550", s_helo_reject, 0 },
	{ "close", "closes after the greeting", s_close, 0 },
	{ "close-banner", "closes in the middle of the greeting",
	    s_close_banner, 0 },
	{ "close-ehlo", "closes when EHLO arrives", s_close_ehlo, 0 },
	{ "close-starttls", "closes when STARTTLS arrives",
	    s_close_starttls, 0 },
	{ "close-handshake", "closes when the ClientHello arrives",
	    s_close_handshake, 0 },
	{ "close-ehlo-tls", "closes when EHLO arrives after TLS",
	    s_close_ehlo_tls, 0 },
	{ "close-tls-banner", "implicit TLS, closes after the handshake",
	    s_close_tls_banner, 0 },
	{ "quitclose", "closes on QUIT without a 221 (no STARTTLS)",
	    s_quitclose, 0 },
	{ "quitsilent", "never answers QUIT, keeps the connection",
	    s_quitsilent, 0 },
	{ "reset", "RST when EHLO arrives", s_reset, 0 },
	{ "reset-accept", "RST right after accept, before any byte",
	    s_reset_accept, 0 },
	{ "reset-greeting", "RST right after the greeting",
	    s_reset_greeting, 0 },
	{ "reset-starttls", "RST right after the STARTTLS 220",
	    s_reset_starttls, 0 },
	{ "reset-ehlo-tls", "RST when EHLO arrives after TLS",
	    s_reset_ehlo_tls, 0 },
	{ "reset-tls-banner", "implicit TLS, RST after the handshake",
	    s_reset_tls_banner, 0 },
	{ "reset-partial", "first greeting line, then RST",
	    s_reset_partial, 0 },
	{ "garbage", "non-SMTP bytes instead of a greeting", s_garbage, 0 },
	{ "injection", "data behind the STARTTLS 220 (CVE-2011-0411)",
	    s_injection, 0 },
	{ "drip", "greeting one byte every 10 ms", s_drip, 0 },
	{ "endless", "endless 220- lines", s_endless, 0 },
	{ "longline", "10 MB without a line end", s_longline, 0 },
	{ "bigreply", "greeting of 20 lines of 4 KB (80 KB)", s_bigreply, 0 },
	{ "nul", "NUL and invalid UTF-8 in replies", s_nul, 0 },
	{ "barelf", "LF line ends", s_barelf, 0 },
	{ "http", "an HTTP server (answers 400 at once)", s_http, 0 },
	{ "tlsbytes", "a TLS alert record instead of a greeting",
	    s_tlsbytes, 0 },
	{ "plaintext-tls", "plain SMTP where implicit TLS is expected",
	    s_plaintext_tls, 0 },
	{ "tlsalert", "TLS alert after STARTTLS", s_tlsalert, 0 },
	{ "tlsgarbage", "garbage after STARTTLS", s_tlsgarbage, 0 },
	{ "noread", "greets, then never reads", s_noread, 4096 },
	{ "starttls-multi", "STARTTLS answered with a two-line 220",
	    s_starttls_multi, 0 },
	{ "tlssilent", "STARTTLS 220, then silent in the handshake",
	    s_tlssilent, 0 },
	{ "tlssilent-tls", "implicit TLS, silent in the handshake",
	    s_tlssilent_tls, 0 },
	{ "ehlo-tls-silent", "after TLS, EHLO is never answered",
	    s_ehlo_tls_silent, 0 },
	{ "tls5xx", "EHLO after TLS answered 554", s_tls5xx, 0 },
	{ "lastline", "250 STARTTLS as the last EHLO line", s_lastline, 0 },
	{ "lowercase", "lowercase capabilities", s_lowercase, 0 },
	{ "multiline", "three-line greeting, 150 ms between lines",
	    s_multiline, 0 },
	{ "ehlo-multi", "EHLO reply split with 150 ms in the middle",
	    s_ehlo_multi_tls, 0 },
};

const struct server_scenario *
scenarios_find(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (strcasecmp(scenarios[i].name, name) == 0)
			return &scenarios[i];
	return NULL;
}

const struct server_scenario *
scenarios_at(size_t i)
{
	if (i >= sizeof(scenarios) / sizeof(scenarios[0]))
		return NULL;
	return &scenarios[i];
}
