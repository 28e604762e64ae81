/*
 * options.c: the command line of check_smtp_ports (PRODUCT.md,
 * "check_smtp_ports"), including the short forms of monitoring-plugins'
 * check_smtp that mean the same thing (-H -p -t -w -c -4 -6 -F -D -S).
 * check_smtp's -P (AUTH password) is not accepted: our -P is the port list.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "number.h"
#include "options.h"

/* Long-only options get codes above the byte range. */
enum options_long {
	OPT_TIMEOUT_STATE = 256,
	OPT_WARNING_PHASE,
	OPT_CRITICAL_PHASE,
	OPT_CA_FILE,
	OPT_VERIFY_NAME,
	OPT_SNI,
	OPT_NO_VERIFY,
	OPT_MIN_TLS,
	OPT_SOURCE_ADDRESS,
	OPT_DNS_SERVER,
	OPT_ALL_ADDRESSES,
	OPT_MX,
	OPT_MX_ANY,
	OPT_STATE_FILE,
	OPT_STATE_RESET,
	OPT_OUTPUT_FORMAT,
	OPT_LONG_COUNT
};

static const struct option long_options[] = {
	{ "hostname",		required_argument, NULL, 'H' },
	{ "ports",		required_argument, NULL, 'P' },
	{ "port",		required_argument, NULL, 'p' },
	{ "starttls",		no_argument,	   NULL, 'S' },
	{ "timeout",		required_argument, NULL, 't' },
	{ "timeout-state",	required_argument, NULL, OPT_TIMEOUT_STATE },
	{ "warning",		required_argument, NULL, 'w' },
	{ "critical",		required_argument, NULL, 'c' },
	{ "warning-phase",	required_argument, NULL, OPT_WARNING_PHASE },
	{ "critical-phase",	required_argument, NULL, OPT_CRITICAL_PHASE },
	{ "cert-days",		required_argument, NULL, 'D' },
	{ "ca-file",		required_argument, NULL, OPT_CA_FILE },
	{ "verify-name",	required_argument, NULL, OPT_VERIFY_NAME },
	{ "sni",		required_argument, NULL, OPT_SNI },
	{ "no-verify",		no_argument,	   NULL, OPT_NO_VERIFY },
	{ "min-tls",		required_argument, NULL, OPT_MIN_TLS },
	{ "ehlo",		required_argument, NULL, 'F' },
	{ "source-address",	required_argument, NULL, OPT_SOURCE_ADDRESS },
	{ "dns-server",		required_argument, NULL, OPT_DNS_SERVER },
	{ "ipv4",		no_argument,	   NULL, '4' },
	{ "ipv6",		no_argument,	   NULL, '6' },
	{ "all-addresses",	no_argument,	   NULL, OPT_ALL_ADDRESSES },
	{ "mx",			no_argument,	   NULL, OPT_MX },
	{ "mx-any",		no_argument,	   NULL, OPT_MX_ANY },
	{ "state-file",		required_argument, NULL, OPT_STATE_FILE },
	{ "state-reset",	no_argument,	   NULL, OPT_STATE_RESET },
	{ "output-format",	required_argument, NULL, OPT_OUTPUT_FORMAT },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "help",		no_argument,	   NULL, 'h' },
	{ "version",		no_argument,	   NULL, 'V' },
	{ NULL,			0,		   NULL, 0 }
};

static const char short_options[] = ":H:P:p:St:w:c:D:F:46vhV";

#define HOST_MAX	253

static enum options_action
options_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum options_action
options_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return OPTIONS_ERROR;
}

/*
 * A host name, address literal or EHLO / SNI / verify name: letters,
 * digits and "-._:%" only (so nothing odd reaches DNS, the SMTP dialogue,
 * the output or the state file), 1..253 bytes.  With brackets allowed, an
 * EHLO address literal "[192.0.2.1]" / "[IPv6:...]" (RFC 5321 §4.1.3).
 */
static int
options_name_ok(const char *s, int brackets)
{
	size_t	 i, n = strlen(s);

	if (n == 0 || n > HOST_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == ':' || c == '%')
			continue;
		if (brackets && (c == '[' || c == ']'))
			continue;
		return 0;
	}
	return 1;
}

/* Printable, bounded text for an error message about argument s. */
static const char *
options_show(const char *s, char *tmp, size_t len)
{
	size_t	 i, o = 0;

	for (i = 0; s[i] != '\0' && o + 1 < len; i++)
		tmp[o++] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '|') ?
		    s[i] : '?';
	tmp[o] = '\0';
	return tmp;
}

/* "WARN[,CRIT]" days; WARN >= CRIT.  CRIT defaults to min(7, WARN). */
static int
options_cert_days(const char *arg, struct plugin_config *cfg, char *err,
    size_t errlen)
{
	char		 tmp[32], show[48];
	const char	*comma;
	long		 w, c;

	options_show(arg, show, sizeof(show));
	if (strlen(arg) >= sizeof(tmp))
		return options_fail(err, errlen, "bad --cert-days '%s'", show),
		    -1;
	memcpy(tmp, arg, strlen(arg) + 1);
	if ((comma = strchr(arg, ',')) != NULL)
		tmp[comma - arg] = '\0';
	if (number_parse_long(tmp, 0, CONFIG_MAX_CERT_DAYS, &w) == -1)
		return options_fail(err, errlen, "bad --cert-days '%s': WARN "
		    "must be a number of days (0..%d)", show,
		    CONFIG_MAX_CERT_DAYS), -1;
	if (comma != NULL) {
		if (number_parse_long(comma + 1, 0, CONFIG_MAX_CERT_DAYS,
		    &c) == -1)
			return options_fail(err, errlen, "bad --cert-days "
			    "'%s': CRIT must be a number of days (0..%d)",
			    show, CONFIG_MAX_CERT_DAYS), -1;
		if (w < c)
			return options_fail(err, errlen, "bad --cert-days "
			    "'%s': WARN must be >= CRIT", show), -1;
	} else
		c = w < CONFIG_CERT_CRIT ? w : CONFIG_CERT_CRIT;
	cfg->cert_warn_days = w;
	cfg->cert_crit_days = c;
	return 0;
}

/* "PHASE=RANGE" into the per-phase table. */
static int
options_phase(const char *arg, struct range *table, const char *opt,
    char *err, size_t errlen)
{
	char		 name[32], show[80], rerr[128];
	const char	*eq;
	int		 p;

	options_show(arg, show, sizeof(show));
	if ((eq = strchr(arg, '=')) == NULL || eq == arg ||
	    (size_t)(eq - arg) >= sizeof(name))
		return options_fail(err, errlen, "bad %s '%s': expected "
		    "PHASE=RANGE", opt, show), -1;
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	if ((p = smtpprobe_phase_from_name(name)) < 0 ||
	    p >= SMTPPROBE_PHASE_COUNT)
		return options_fail(err, errlen, "bad %s '%s': unknown phase "
		    "(resolve, connect, tls_handshake, banner, ehlo, "
		    "starttls, ehlo_tls, quit, total)", opt, show), -1;
	if (range_parse(eq + 1, &table[p], rerr, sizeof(rerr)) == -1)
		return options_fail(err, errlen, "bad %s: %s", opt, rerr), -1;
	return 0;
}

/* The check_smtp -p PORT [-S] form: one port, plain unless -S (implicit
 * TLS for 465, which check_smtp cannot do at all). */
static int
options_one_port(const char *arg, int starttls, struct plugin_config *cfg,
    char *err, size_t errlen)
{
	char	 show[48];
	long	 port;

	if (number_parse_long(arg, 1, 65535, &port) == -1)
		return options_fail(err, errlen, "bad port '%s' (1..65535)",
		    options_show(arg, show, sizeof(show))), -1;
	cfg->ports[0].port = (uint16_t)port;
	if (port == 465)
		cfg->ports[0].mode = SMTPPROBE_MODE_TLS;
	else
		cfg->ports[0].mode = starttls ? SMTPPROBE_MODE_STARTTLS :
		    SMTPPROBE_MODE_PLAIN;
	cfg->ports[0].policy = SMTPPROBE_POLICY_REQUIRED;
	cfg->nports = 1;
	return 0;
}

enum options_action
options_parse(int argc, char *const argv[], struct plugin_config *cfg,
    char *err, size_t errlen)
{
	const char	*ports = NULL, *one_port = NULL;
	char		 show[80], rerr[160];
	int		 ch, v, starttls = 0, want4 = 0, want6 = 0, help = 0;
	int		 version = 0, ntimeout = 0;
	double		 d;
	size_t		 n;

	config_defaults(cfg);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	optind = 0;	/* glibc: full re-initialisation */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, short_options, long_options,
	    NULL)) != -1) {
		const char *arg = optarg;

		switch (ch) {
		case 'H':
			if (cfg->host != NULL)
				return options_fail(err, errlen,
				    "-H given twice");
			if (!options_name_ok(arg, 0))
				return options_fail(err, errlen, "bad host "
				    "name '%s'", options_show(arg, show,
				    sizeof(show)));
			cfg->host = arg;
			break;
		case 'P':
			if (ports != NULL)
				return options_fail(err, errlen,
				    "-P/--ports given twice");
			ports = arg;
			break;
		case 'p':
			if (one_port != NULL)
				return options_fail(err, errlen, "-p given "
				    "twice (use -P for several ports)");
			one_port = arg;
			break;
		case 'S':
			starttls = 1;
			break;
		case 't':
			if (ntimeout++ > 0)
				return options_fail(err, errlen,
				    "-t/--timeout given twice");
			if (number_parse_double(arg, strlen(arg), &d) == -1 ||
			    d < CONFIG_MIN_TIMEOUT || d > CONFIG_MAX_TIMEOUT)
				return options_fail(err, errlen, "bad timeout "
				    "'%s': seconds from %.0f to %.0f",
				    options_show(arg, show, sizeof(show)),
				    CONFIG_MIN_TIMEOUT, CONFIG_MAX_TIMEOUT);
			cfg->timeout = d;
			break;
		case OPT_TIMEOUT_STATE:
			if ((v = config_state_from_name(arg)) < 0)
				return options_fail(err, errlen, "bad "
				    "--timeout-state '%s' (ok, warning, "
				    "critical, unknown)", options_show(arg,
				    show, sizeof(show)));
			cfg->timeout_state = (enum plugin_state)v;
			cfg->timeout_state_set = 1;
			break;
		case 'w':
			if (range_parse(arg, &cfg->warn, rerr,
			    sizeof(rerr)) == -1)
				return options_fail(err, errlen, "bad -w: %s",
				    rerr);
			break;
		case 'c':
			if (range_parse(arg, &cfg->crit, rerr,
			    sizeof(rerr)) == -1)
				return options_fail(err, errlen, "bad -c: %s",
				    rerr);
			break;
		case OPT_WARNING_PHASE:
			if (options_phase(arg, cfg->phase_warn,
			    "--warning-phase", err, errlen) == -1)
				return OPTIONS_ERROR;
			break;
		case OPT_CRITICAL_PHASE:
			if (options_phase(arg, cfg->phase_crit,
			    "--critical-phase", err, errlen) == -1)
				return OPTIONS_ERROR;
			break;
		case 'D':
			if (options_cert_days(arg, cfg, err, errlen) == -1)
				return OPTIONS_ERROR;
			break;
		case OPT_CA_FILE:
			if (*arg == '\0' || access(arg, R_OK) == -1)
				return options_fail(err, errlen, "cannot read "
				    "--ca-file '%s'", options_show(arg, show,
				    sizeof(show)));
			cfg->ca_file = arg;
			break;
		case OPT_VERIFY_NAME:
			if (!options_name_ok(arg, 0))
				return options_fail(err, errlen, "bad "
				    "--verify-name '%s'", options_show(arg,
				    show, sizeof(show)));
			cfg->verify_name = arg;
			break;
		case OPT_SNI:
			if (!options_name_ok(arg, 0))
				return options_fail(err, errlen, "bad --sni "
				    "'%s'", options_show(arg, show,
				    sizeof(show)));
			cfg->sni = arg;
			break;
		case OPT_NO_VERIFY:
			cfg->no_verify = 1;
			break;
		case OPT_MIN_TLS:
			v = smtpprobe_tls_version_from_name(arg);
			if (v <= SMTPPROBE_TLS_DEFAULT ||
			    v >= SMTPPROBE_TLS_COUNT)
				return options_fail(err, errlen, "bad "
				    "--min-tls '%s' (1.0, 1.1, 1.2, 1.3)",
				    options_show(arg, show, sizeof(show)));
			cfg->min_tls = (enum smtpprobe_tls_version)v;
			break;
		case 'F':
			if (!options_name_ok(arg, 1))
				return options_fail(err, errlen, "bad EHLO "
				    "name '%s'", options_show(arg, show,
				    sizeof(show)));
			cfg->ehlo = arg;
			break;
		case OPT_SOURCE_ADDRESS: {
			unsigned char	 a[16];

			if (inet_pton(AF_INET, arg, a) != 1 &&
			    inet_pton(AF_INET6, arg, a) != 1)
				return options_fail(err, errlen, "bad "
				    "--source-address '%s': not an IP "
				    "address", options_show(arg, show,
				    sizeof(show)));
			cfg->source_address = arg;
			break;
		}
		case OPT_DNS_SERVER:
			if (!options_name_ok(arg, 1) ||
			    strchr(arg, '%') != NULL)
				return options_fail(err, errlen, "bad "
				    "--dns-server '%s' (ADDR[:PORT], IPv6 as "
				    "[ADDR]:PORT)", options_show(arg, show,
				    sizeof(show)));
			cfg->dns_server = arg;
			break;
		case '4':
			want4 = 1;
			break;
		case '6':
			want6 = 1;
			break;
		case OPT_ALL_ADDRESSES:
			cfg->all_addresses = 1;
			break;
		case OPT_MX:
			cfg->mx = 1;
			break;
		case OPT_MX_ANY:
			cfg->mx = 1;
			cfg->mx_any = 1;
			break;
		case OPT_STATE_FILE:
			if (*arg == '\0' || strlen(arg) > 1024)
				return options_fail(err, errlen,
				    "bad --state-file path");
			cfg->state_file = arg;
			break;
		case OPT_STATE_RESET:
			cfg->state_reset = 1;
			break;
		case OPT_OUTPUT_FORMAT:
			if (strcasecmp(arg, "nagios") == 0)
				cfg->format = PLUGIN_FORMAT_NAGIOS;
			else if (strcasecmp(arg, "json") == 0)
				cfg->format = PLUGIN_FORMAT_JSON;
			else
				return options_fail(err, errlen, "bad "
				    "--output-format '%s' (nagios, json)",
				    options_show(arg, show, sizeof(show)));
			break;
		case 'v':
			if (cfg->verbose < 3)
				cfg->verbose++;
			break;
		case 'h':
			help = 1;
			break;
		case 'V':
			version = 1;
			break;
		case ':':
			if (optopt != 0 && optopt < 256 &&
			    strncmp(argv[optind - 1], "--", 2) != 0)
				return options_fail(err, errlen, "option -%c "
				    "needs an argument", optopt);
			return options_fail(err, errlen, "option '%s' needs "
			    "an argument", options_show(argv[optind - 1],
			    show, sizeof(show)));
		case '?':
		default:
			if (optopt != 0 && optopt < 256 &&
			    strncmp(argv[optind - 1], "--", 2) != 0)
				return options_fail(err, errlen, "unknown "
				    "option -%c", optopt);
			return options_fail(err, errlen, "unknown option "
			    "'%s'", options_show(argv[optind - 1], show,
			    sizeof(show)));
		}
	}
	if (help)
		return OPTIONS_HELP;
	if (version)
		return OPTIONS_VERSION;
	if (optind < argc)
		return options_fail(err, errlen, "unexpected argument '%s'",
		    options_show(argv[optind], show, sizeof(show)));
	if (cfg->host == NULL)
		return options_fail(err, errlen, "missing -H/--hostname");
	if (want4 && want6)
		return options_fail(err, errlen, "conflicting -4 and -6");
	cfg->family = want4 ? AF_INET : want6 ? AF_INET6 : AF_UNSPEC;
	if (ports != NULL && one_port != NULL)
		return options_fail(err, errlen, "conflicting -P and -p");
	if (starttls && ports != NULL)
		return options_fail(err, errlen, "-S goes with -p; with -P "
		    "write PORT/starttls");
	if (cfg->state_reset && cfg->state_file == NULL)
		return options_fail(err, errlen, "--state-reset needs "
		    "--state-file");
	if (one_port != NULL || starttls) {
		/* check_smtp: -S alone means port 25 with STARTTLS. */
		if (options_one_port(one_port != NULL ? one_port : "25",
		    starttls, cfg, err, errlen) == -1)
			return OPTIONS_ERROR;
	} else {
		if (ports == NULL)
			ports = cfg->mx ? SMTPPROBE_MX_DEFAULT_PORTS :
			    SMTPPROBE_DEFAULT_PORTS;
		if (smtpprobe_portspec_parse(ports, cfg->ports,
		    CONFIG_MAX_PORTS, &n, rerr, sizeof(rerr)) == -1)
			return options_fail(err, errlen, "bad port list: %s",
			    rerr);
		cfg->nports = n;
	}
	return OPTIONS_RUN;
}

void
options_help(FILE *fp)
{
	fputs(
"check_smtp_ports " SMTPPROBE_VERSION_STRING
" - probe the SMTP ports of a host in one run\n"
"\n"
"Usage: check_smtp_ports -H HOST [-P LIST] [-t SECONDS] [-w RANGE] [-c RANGE]\n"
"       [--cert-days WARN[,CRIT]] [options]\n"
"\n"
"Target\n"
"  -H, --hostname HOST     host name or IP address (required)\n"
"  -P, --ports LIST        PORT[/MODE][:POLICY],... MODE plain|starttls|tls,\n"
"                          POLICY required|optional|closed; default\n"
"                          587/starttls:required,465/tls:optional,\n"
"                          25/starttls:optional,2525/starttls:optional\n"
"  -p, --port PORT         one port, plain SMTP (check_smtp form)\n"
"  -S, --starttls          with -p: STARTTLS (alone: port 25 STARTTLS)\n"
"  -4, -6                  IPv4 or IPv6 only\n"
"      --all-addresses     probe every address of HOST\n"
"      --mx                HOST is a mail domain: probe its MX hosts\n"
"                          (default ports 25/starttls:required)\n"
"      --mx-any            with --mx: OK if one MX host is OK\n"
"      --dns-server A[:P]  ask this resolver ([IPv6]:PORT)\n"
"      --source-address A  connect from this local address\n"
"Thresholds\n"
"  -t, --timeout SECONDS   whole run, DNS included (default 10, 1..3600)\n"
"      --timeout-state S   ok|warning|critical|unknown for a port whose\n"
"                          timeout the state table counts as a problem\n"
"                          (default: the table; a timeout in connect on\n"
"                          an optional or closed port stays OK)\n"
"  -w, --warning RANGE     total seconds per port (Nagios range)\n"
"  -c, --critical RANGE    total seconds per port (Nagios range)\n"
"      --warning-phase PHASE=RANGE, --critical-phase PHASE=RANGE\n"
"                          per phase, repeatable (tls_handshake=0.5)\n"
"  -D, --cert-days W[,C]   certificate days left (default 14,7)\n"
"TLS and SMTP\n"
"      --ca-file FILE      trust these CAs instead of the system store\n"
"      --verify-name NAME  name the certificate must match (default HOST)\n"
"      --sni NAME          TLS server name (default the verify name)\n"
"      --no-verify         report chain and name, do not judge them\n"
"      --min-tls V         1.0|1.1|1.2|1.3 (default 1.2)\n"
"  -F, --ehlo NAME         EHLO name\n"
"State and output\n"
"      --state-file PATH   remember STARTTLS and reachability per port\n"
"      --state-reset       forget what the state file remembers\n"
"      --output-format F   nagios|json (default nagios)\n"
"  -v, --verbose           -v per-address detail (addresses tried, phases,\n"
"                          replies, certificate), -vv SMTP dialogue\n"
"  -h, --help              this text\n"
"  -V, --version           version and OpenSSL version\n"
"\n"
"Exit: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.  See check_smtp_ports(1).\n",
	    fp);
}
