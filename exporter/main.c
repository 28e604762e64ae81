/*
 * main.c: smtp_ports_exporter, the Prometheus exporter daemon: flags in
 * Prometheus style, start-up (config, web config, file limits, listening
 * socket, prober, scheduler, HTTP), then the signal loop: SIGHUP
 * reloads the config and the web config (app_reload), SIGTERM and
 * SIGINT stop within a second (probes cancelled, suspended connections
 * resumed before libmicrohttpd stops).
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smtpprobe.h"
#include "app.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "prober.h"
#include "scheduler.h"
#include "selfmetrics.h"
#include "webconfig.h"

struct opts {
	const char	*listen;
	const char	*web_config;
	const char	*config;
	int		 check;
	int64_t		 offset_us;
	int		 level;
	int		 format;
	unsigned long	 max_conns;
	unsigned long	 conn_timeout;
	unsigned long	 per_ip;
	unsigned long	 workers;
	unsigned long	 max_active;
	unsigned long	 max_pending;
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: smtp_ports_exporter [flags]\n"
"\n"
"Prometheus exporter for SMTP ports (587, 465, 25, 2525): reachability,\n"
"STARTTLS/TLS, certificates and per-phase latency.\n"
"\n"
"  --web.listen-address=ADDR    address to listen on (default \":9925\";\n"
"                               \"127.0.0.1:0\" picks a free port, logged)\n"
"  --web.config.file=FILE       exporter-toolkit web config (basic auth, TLS)\n"
"  --config.file=FILE           modules, allow_targets, scheduled targets\n"
"                               (default: none: module \"default\", loopback\n"
"                               targets only)\n"
"  --config.check               validate the config files and exit 0 or 1\n"
"  --timeout-offset=SECONDS     subtracted from Prometheus's scrape timeout\n"
"                               (default 0.5)\n"
"  --log.level=LEVEL            debug, info, warn or error (default info)\n"
"  --log.format=FORMAT          logfmt or json (default logfmt)\n"
"  --web.max-connections=N      HTTP connection limit (default 4096)\n"
"  --web.connection-timeout=S   close idle HTTP connections after S seconds\n"
"                               (default 15)\n"
"  --web.max-connections-per-ip=N  per client address (default 0: no limit)\n"
"  --probe.workers=N            probe threads, one event loop each\n"
"                               (default 0: one per CPU)\n"
"  --probe.max-active=N         probes doing I/O at once per thread\n"
"                               (default 0: no limit)\n"
"  --probe.max-pending=N        /probe requests queued or running before\n"
"                               503 (default 2000)\n"
"  --version                    print the version and exit\n"
"  --help                       this text\n");
}

/* Checked unsigned parse. */
static int
parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char		*end;
	unsigned long	 v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
parse_flags(int argc, char **argv, struct opts *o)
{
	static const char *const valued[] = {
		"--web.listen-address", "--web.config.file", "--config.file",
		"--timeout-offset", "--log.level", "--log.format",
		"--web.max-connections", "--web.connection-timeout",
		"--web.max-connections-per-ip", "--probe.workers",
		"--probe.max-active", "--probe.max-pending", NULL
	};
	const char	*name, *val, *eq;
	char		 flag[64], *end;
	double		 d;
	size_t		 i;
	int		 k;

	for (k = 1; k < argc; k++) {
		name = argv[k];
		if (strncmp(name, "-", 1) == 0 && strncmp(name, "--", 2) != 0 &&
		    strcmp(name, "-h") != 0) {
			fprintf(stderr, "smtp_ports_exporter: unknown flag %s "
			    "(flags are long: --help)\n", name);
			return -1;
		}
		if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
			usage(stdout);
			exit(0);
		}
		if (strcmp(name, "--version") == 0) {
			printf("smtp_ports_exporter %s (libsmtpprobe %s, %s)\n",
			    SMTPPROBE_VERSION_STRING, smtpprobe_version(),
			    smtpprobe_openssl_version());
			exit(0);
		}
		if (strcmp(name, "--config.check") == 0) {
			o->check = 1;
			continue;
		}
		eq = strchr(name, '=');
		if (eq != NULL && (size_t)(eq - name) < sizeof(flag)) {
			memcpy(flag, name, (size_t)(eq - name));
			flag[eq - name] = '\0';
			val = eq + 1;
		} else {
			snprintf(flag, sizeof(flag), "%s", name);
			val = NULL;
		}
		for (i = 0; valued[i] != NULL; i++)
			if (strcmp(valued[i], flag) == 0)
				break;
		if (valued[i] == NULL) {
			fprintf(stderr, "smtp_ports_exporter: unknown flag %s "
			    "(see --help)\n", name);
			return -1;
		}
		if (val == NULL) {
			if (k + 1 >= argc) {
				fprintf(stderr, "smtp_ports_exporter: %s needs "
				    "a value\n", flag);
				return -1;
			}
			val = argv[++k];
		}
		if (strcmp(flag, "--web.listen-address") == 0)
			o->listen = val;
		else if (strcmp(flag, "--web.config.file") == 0)
			o->web_config = val;
		else if (strcmp(flag, "--config.file") == 0)
			o->config = val;
		else if (strcmp(flag, "--timeout-offset") == 0) {
			errno = 0;
			d = strtod(val, &end);
			if (errno != 0 || end == val || *end != '\0' ||
			    !isfinite(d) || d < 0 || d > 60) {
				fprintf(stderr, "smtp_ports_exporter: bad "
				    "--timeout-offset \"%s\" (seconds, "
				    "0..60)\n", val);
				return -1;
			}
			o->offset_us = (int64_t)(d * 1e6 + 0.5);
		} else if (strcmp(flag, "--log.level") == 0) {
			if ((o->level = log_level_from_name(val)) == -1) {
				fprintf(stderr, "smtp_ports_exporter: bad "
				    "--log.level \"%s\"\n", val);
				return -1;
			}
		} else if (strcmp(flag, "--log.format") == 0) {
			if ((o->format = log_format_from_name(val)) == -1) {
				fprintf(stderr, "smtp_ports_exporter: bad "
				    "--log.format \"%s\" (logfmt or json)\n",
				    val);
				return -1;
			}
		} else {
			unsigned long *dst, max = 1000000;

			if (strcmp(flag, "--web.max-connections") == 0)
				dst = &o->max_conns;
			else if (strcmp(flag, "--web.connection-timeout") == 0)
				dst = &o->conn_timeout;
			else if (strcmp(flag,
			    "--web.max-connections-per-ip") == 0)
				dst = &o->per_ip;
			else if (strcmp(flag, "--probe.workers") == 0) {
				dst = &o->workers;
				max = PROBER_MAX_WORKERS;
			} else if (strcmp(flag, "--probe.max-active") == 0)
				dst = &o->max_active;
			else
				dst = &o->max_pending;
			if (parse_ulong(val, max, dst) == -1) {
				fprintf(stderr, "smtp_ports_exporter: bad %s "
				    "\"%s\" (0..%lu)\n", flag, val, max);
				return -1;
			}
		}
	}
	if (o->max_conns == 0) {
		fprintf(stderr, "smtp_ports_exporter: --web.max-connections "
		    "must be at least 1\n");
		return -1;
	}
	return 0;
}

/*
 * Bind and listen on "HOST:PORT", "[V6]:PORT" or ":PORT" (all addresses,
 * dual-stack where the kernel allows).  Returns the socket, or -1 with a
 * reason in err; bound gets the actual address ("127.0.0.1:34567").
 */
static int
listen_on(const char *spec, char *bound, size_t blen, char *err,
    size_t errlen)
{
	struct addrinfo		 hints, *res = NULL, *ai;
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	char			 host[256], port[8], h[INET6_ADDRSTRLEN];
	const char		*colon;
	unsigned long		 pv;
	int			 fd = -1, one = 1, zero = 0, e, wild;

	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');

		if (rb == NULL || rb[1] != ':' ||
		    (size_t)(rb - spec - 1) >= sizeof(host)) {
			snprintf(err, errlen, "bad listen address \"%s\"",
			    spec);
			return -1;
		}
		memcpy(host, spec + 1, (size_t)(rb - spec - 1));
		host[rb - spec - 1] = '\0';
		colon = rb + 1;
	} else {
		if ((colon = strrchr(spec, ':')) == NULL ||
		    (size_t)(colon - spec) >= sizeof(host)) {
			snprintf(err, errlen, "bad listen address \"%s\" (use "
			    "HOST:PORT or :PORT)", spec);
			return -1;
		}
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
	}
	if (parse_ulong(colon + 1, 65535, &pv) == -1) {
		snprintf(err, errlen, "bad port in listen address \"%s\"", spec);
		return -1;
	}
	snprintf(port, sizeof(port), "%lu", pv);
	wild = host[0] == '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	hints.ai_family = wild ? AF_INET6 : AF_UNSPEC;
	if ((e = getaddrinfo(wild ? NULL : host, port, &hints, &res)) != 0 &&
	    wild) {
		hints.ai_family = AF_INET;
		e = getaddrinfo(NULL, port, &hints, &res);
	}
	if (e != 0) {
		snprintf(err, errlen, "listen address \"%s\": %s", spec,
		    gai_strerror(e));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6 && wild)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
			    sizeof(zero));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 1024) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
		errno = e;
	}
	if (fd == -1) {
		snprintf(err, errlen, "cannot listen on \"%s\": %s", spec,
		    strerror(errno));
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &s6->sin6_addr, h, sizeof(h));
			snprintf(bound, blen, "[%s]:%u", h,
			    (unsigned)ntohs(s6->sin6_port));
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &s4->sin_addr, h, sizeof(h));
			snprintf(bound, blen, "%s:%u", h,
			    (unsigned)ntohs(s4->sin_port));
		}
	} else
		snprintf(bound, blen, "%s", spec);
	return fd;
}

/* Soft RLIMIT_NOFILE up to the hard limit: every probe and every HTTP
 * client is a descriptor. */
static void
raise_nofile(void)
{
	struct rlimit	 rl;
	char		 buf[32];

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_msg(LOG_LEVEL_WARN, "cannot raise the file limit",
			    "err", strerror(errno), NULL);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		snprintf(buf, sizeof(buf), "%llu",
		    (unsigned long long)rl.rlim_cur);
		log_msg(LOG_LEVEL_DEBUG, "file limit", "nofile", buf, NULL);
	}
}

/*
 * glibc's allocator, tuned for a long-running daemon (measured with
 * bench/loadtest; figures in docs/benchmarks.md):
 * - M_MMAP_THRESHOLD 16 KiB: when the heap has no free chunk for a
 *   block of 16 KiB or more (the probes' larger buffers), the block is
 *   mapped on its own and goes back to the kernel when freed, instead
 *   of growing the heap.  libmicrohttpd's connection pools are larger
 *   than 32 KiB so that MHD maps them itself (http.c);
 * - M_ARENA_MAX 2: one arena per prober thread grew RSS from 10 to 79
 *   MB under /probe load (with 2: flat at 16-17 MB; CPU per probe
 *   0.48x blackbox_exporter's in bench/run).
 * A user's MALLOC_MMAP_THRESHOLD_ or MALLOC_ARENA_MAX wins.
 */
static void
tune_malloc(void)
{
	if (getenv("MALLOC_MMAP_THRESHOLD_") == NULL)
		(void)mallopt(M_MMAP_THRESHOLD, 16 * 1024);
	if (getenv("MALLOC_ARENA_MAX") == NULL)
		(void)mallopt(M_ARENA_MAX, 2);
}

int
main(int argc, char **argv)
{
	struct opts		 o;
	struct config		*cfg;
	struct webconfig	*wc = NULL;
	struct prober_params	 pp;
	struct prober		*prober;
	struct scheduler	*sched;
	struct http_params	 hp;
	struct http		*http;
	struct app		 a;
	sigset_t		 set;
	char			 err[1024], bound[96], nt[32];
	int			 fd, sig;

	tune_malloc();
	selfmetrics_init();
	memset(&o, 0, sizeof(o));
	o.listen = ":9925";
	o.offset_us = 500000;
	o.level = LOG_LEVEL_INFO;
	o.format = LOG_FORMAT_LOGFMT;
	o.max_conns = 4096;
	o.conn_timeout = 15;
	o.max_pending = 2000;
	if (parse_flags(argc, argv, &o) == -1)
		return 1;
	log_setup((enum log_level)o.level, (enum log_format)o.format);

	if ((cfg = config_load(o.config, err, sizeof(err))) == NULL) {
		if (o.check)
			fprintf(stderr, "config error: %s\n", err);
		else
			log_msg(LOG_LEVEL_ERROR, "cannot load config", "err",
			    err, NULL);
		return 1;
	}
	if (o.web_config != NULL &&
	    (wc = webconfig_load(o.web_config, err, sizeof(err))) == NULL) {
		if (o.check)
			fprintf(stderr, "web config error: %s\n", err);
		else
			log_msg(LOG_LEVEL_ERROR, "cannot load web config",
			    "err", err, NULL);
		config_unref(cfg);
		return 1;
	}
	if (o.check) {
		printf("%s: OK: %zu modules, %zu targets, %llu series at most "
		    "(limit %llu)\n", o.config != NULL ? o.config :
		    "(built-in config)", cfg->nmodules, cfg->ntargets,
		    (unsigned long long)cfg->series,
		    (unsigned long long)cfg->max_series);
		if (o.web_config != NULL)
			printf("%s: OK\n", o.web_config);
		config_unref(cfg);
		webconfig_unref(wc);
		return 0;
	}

	/* Signals are taken by sigwait() below; no thread sees them. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	raise_nofile();
	if ((fd = listen_on(o.listen, bound, sizeof(bound), err,
	    sizeof(err))) == -1) {
		log_msg(LOG_LEVEL_ERROR, "cannot listen", "err", err, NULL);
		config_unref(cfg);
		webconfig_unref(wc);
		return 1;
	}
	memset(&pp, 0, sizeof(pp));
	pp.workers = o.workers;
	pp.max_active = o.max_active;
	pp.max_pending = o.max_pending;
	pp.dns_servers = cfg->dns_server;
	if ((prober = prober_start(&pp, err, sizeof(err))) == NULL) {
		log_msg(LOG_LEVEL_ERROR, "cannot start probe threads", "err",
		    err, NULL);
		close(fd);
		config_unref(cfg);
		webconfig_unref(wc);
		return 1;
	}
	if ((sched = scheduler_start(prober, cfg, err, sizeof(err))) == NULL) {
		log_msg(LOG_LEVEL_ERROR, "cannot start the scheduler", "err",
		    err, NULL);
		prober_free(prober);
		close(fd);
		config_unref(cfg);
		webconfig_unref(wc);
		return 1;
	}
	memset(&a, 0, sizeof(a));
	a.config_path = o.config;
	a.prober = prober;
	a.sched = sched;
	a.web_config_path = o.web_config;
	a.wc = wc;		/* the app's reference from now on */
	a.tls = webconfig_has_tls(wc);
	a.timeout_offset_us = o.offset_us;
	app_init(&a, cfg);
	wc = NULL;
	selfmetrics_reload(1);

	memset(&hp, 0, sizeof(hp));
	hp.listen_fd = fd;
	hp.max_connections = (unsigned)o.max_conns;
	hp.connection_timeout = (unsigned)o.conn_timeout;
	hp.per_ip_limit = (unsigned)o.per_ip;
	if ((http = http_start(&hp, err, sizeof(err))) == NULL) {
		log_msg(LOG_LEVEL_ERROR, "cannot start HTTP", "err", err, NULL);
		scheduler_stop(sched);
		prober_free(prober);
		scheduler_free(sched);
		close(fd);
		app_fini();
		return 1;
	}
	snprintf(nt, sizeof(nt), "%zu", cfg->ntargets);
	log_msg(LOG_LEVEL_INFO, "listening", "address", bound, "tls",
	    a.tls ? "true" : "false", "config",
	    o.config != NULL ? o.config : "(built-in)", "targets", nt,
	    "version", SMTPPROBE_VERSION_STRING, NULL);

	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			(void)app_reload(err, sizeof(err));
			continue;
		}
		break;
	}
	log_msg(LOG_LEVEL_INFO, "shutting down", "signal", strsignal(sig),
	    NULL);
	/* order matters: no new scheduled probes, then cancel probes
	 * (which resumes every suspended /probe connection), then stop
	 * MHD, which would panic on a suspended connection */
	scheduler_stop(sched);
	prober_stop(prober);
	http_stop(http);
	prober_free(prober);
	scheduler_free(sched);
	app_fini();
	log_msg(LOG_LEVEL_INFO, "stopped", NULL);
	return 0;
}
