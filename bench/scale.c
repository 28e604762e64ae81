/*
 * scale.c: the benchmark driver for bench/run's scale and TLS-cost figures
 * (issue 6, "Benchmarks"): N concurrent probes of one address through the
 * library's own event loop (struct smtpprobe_loop), the way the exporter's
 * /probe fan-out drives them, measured from inside the process.
 *
 *   scale -p PORT[,PORT...] [-a ADDR] [-m plain|starttls|tls] [-n N]
 *         [-r ROUNDS] [-c CAFILE] [-k] [-t SECONDS] [-H VERIFYNAME]
 *
 * Each round adds N probes at once (ports used round robin, so several
 * listeners spread the 4-tuples) and runs the loop until all are done.
 * Per round it prints one line of key=value figures:
 *
 *   round=1 n=10000 mode=plain wall_ms=812 cpu_ms=640 cpu_us_per_probe=64
 *   rss_kb=21344 maxrss_kb=40520 ok=10000 fail=0 first_fail=-
 *
 * rss_kb is the resident set after the round (all probes freed): with
 * several rounds it shows whether memory stays flat.  Exit status 0 if
 * every probe of every round ended ok, 1 otherwise, 2 on a usage error.
 *
 * Built by bench/run against $SMTPPROBE_BUILD/libsmtpprobe.a; uses only
 * the public header.
 */
#include <sys/resource.h>
#include <sys/time.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smtpprobe.h"

#define SCALE_MAX_PORTS	64

int	main(int, char **);

struct scale_stats {
	size_t			 done;
	size_t			 ok;
	size_t			 by_outcome[SMTPPROBE_OUTCOME_COUNT];
	char			 first_fail[320];
};

static void
usage(void)
{
	fprintf(stderr, "usage: scale -p PORT[,PORT...] [-a ADDR] "
	    "[-m plain|starttls|tls] [-n N] [-r ROUNDS] [-c CAFILE] [-k] "
	    "[-t SECONDS] [-H VERIFYNAME]\n");
	exit(2);
}

/* Checked strtoul into [min, max]; exits with a usage error otherwise. */
static unsigned long
number(const char *s, unsigned long min, unsigned long max)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "scale: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static int64_t
cpu_us(void)
{
	struct rusage	ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		return 0;
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static long
maxrss_kb(void)
{
	struct rusage	ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		return 0;
	return ru.ru_maxrss;
}

/* Current resident set size in KiB, from /proc/self/statm. */
static long
rss_kb(void)
{
	FILE	*f;
	long	 size, res;

	if ((f = fopen("/proc/self/statm", "r")) == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &size, &res) != 2)
		res = 0;
	fclose(f);
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Raise the soft descriptor limit to the hard one: N probes need N fds. */
static void
raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
probe_done(struct smtpprobe *p, void *arg)
{
	struct scale_stats		*st = arg;
	const struct smtpprobe_result	*r = smtpprobe_result(p);
	size_t				 i;

	st->done++;
	if (r != NULL && (unsigned)r->outcome < SMTPPROBE_OUTCOME_COUNT)
		st->by_outcome[r->outcome]++;
	if (r != NULL && r->outcome == SMTPPROBE_OUTCOME_OK)
		st->ok++;
	else if (st->first_fail[0] == '\0')
		snprintf(st->first_fail, sizeof(st->first_fail), "%s/%s:%s",
		    r != NULL ? smtpprobe_outcome_name(r->outcome) : "null",
		    r != NULL ? smtpprobe_phase_name(r->phase) : "-",
		    r != NULL ? r->detail : "-");
	for (i = 0; st->first_fail[i] != '\0'; i++)
		if (st->first_fail[i] == ' ' || st->first_fail[i] == '=')
			st->first_fail[i] = '_';
	smtpprobe_free(p);
}

int
main(int argc, char **argv)
{
	struct smtpprobe_params	 params;
	struct smtpprobe_ctx	*ctx;
	struct smtpprobe_loop	*loop;
	struct smtpprobe	*p;
	struct scale_stats	 st;
	const char		*addr = "127.0.0.1", *ca = NULL, *vname = NULL;
	const char		*portlist = NULL;
	char			 err[256], *list, *tok, *save;
	uint16_t		 ports[SCALE_MAX_PORTS];
	size_t			 nports = 0, n = 1000, i, k;
	unsigned long		 rounds = 1, r, timeout_s = 30;
	int			 mode = SMTPPROBE_MODE_PLAIN, c, all_ok = 1;
	int			 no_verify = 0;
	int64_t			 t0, c0, wall, cpu;

	while ((c = getopt(argc, argv, "a:c:H:km:n:p:r:t:")) != -1) {
		switch (c) {
		case 'a':
			addr = optarg;
			break;
		case 'c':
			ca = optarg;
			break;
		case 'H':
			vname = optarg;
			break;
		case 'k':
			no_verify = 1;
			break;
		case 'm':
			if ((mode = smtpprobe_mode_from_name(optarg)) < 0)
				usage();
			break;
		case 'n':
			n = number(optarg, 1, 1000000);
			break;
		case 'p':
			portlist = optarg;
			break;
		case 'r':
			rounds = number(optarg, 1, 1000);
			break;
		case 't':
			timeout_s = number(optarg, 1, 3600);
			break;
		default:
			usage();
		}
	}
	if (portlist == NULL)
		usage();
	if ((list = strdup(portlist)) == NULL)
		return 1;
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (nports == SCALE_MAX_PORTS)
			usage();
		ports[nports++] = (uint16_t)number(tok, 1, 65535);
	}
	free(list);
	if (nports == 0)
		usage();
	raise_nofile();

	if ((ctx = smtpprobe_ctx_new(err, sizeof(err))) == NULL) {
		fprintf(stderr, "scale: ctx: %s\n", err);
		return 1;
	}
	if ((loop = smtpprobe_loop_new(ctx, NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "scale: loop: %s\n", err);
		return 1;
	}
	for (r = 1; r <= rounds; r++) {
		memset(&st, 0, sizeof(st));
		t0 = smtpprobe_now();
		c0 = cpu_us();
		for (i = 0; i < n; i++) {
			memset(&params, 0, sizeof(params));
			params.host = addr;
			params.port = ports[i % nports];
			params.mode = (enum smtpprobe_mode)mode;
			params.deadline = t0 + (int64_t)timeout_s * 1000000;
			params.ca_file = ca;
			params.verify_name = vname;
			params.ehlo_name = "bench.smtp-ports.test";
			if (no_verify)
				params.flags |= SMTPPROBE_F_INSECURE_NO_VERIFY;
			if ((p = smtpprobe_new(ctx, &params, err,
			    sizeof(err))) == NULL) {
				fprintf(stderr, "scale: probe: %s\n", err);
				return 1;
			}
			if (smtpprobe_loop_add(loop, p, probe_done, &st) == -1) {
				fprintf(stderr, "scale: loop_add: %s\n",
				    smtpprobe_loop_error(loop));
				return 1;
			}
		}
		while (smtpprobe_loop_pending(loop) > 0)
			if (smtpprobe_loop_run(loop, 1000) == -1) {
				fprintf(stderr, "scale: loop: %s\n",
				    smtpprobe_loop_error(loop));
				return 1;
			}
		wall = smtpprobe_now() - t0;
		cpu = cpu_us() - c0;
		printf("round=%lu n=%zu mode=%s wall_ms=%lld cpu_ms=%lld "
		    "cpu_us_per_probe=%lld rss_kb=%ld maxrss_kb=%ld ok=%zu "
		    "fail=%zu", r, n, smtpprobe_mode_name(
		    (enum smtpprobe_mode)mode), (long long)(wall / 1000),
		    (long long)(cpu / 1000), (long long)(cpu / (int64_t)n),
		    rss_kb(), maxrss_kb(), st.ok, n - st.ok);
		for (k = 0; k < SMTPPROBE_OUTCOME_COUNT; k++)
			if (k != SMTPPROBE_OUTCOME_OK && st.by_outcome[k] > 0)
				printf(" %s=%zu", smtpprobe_outcome_name(
				    (enum smtpprobe_outcome)k), st.by_outcome[k]);
		printf(" first_fail=%s\n", st.first_fail[0] != '\0' ?
		    st.first_fail : "-");
		fflush(stdout);
		if (st.ok != n || st.done != n)
			all_ok = 0;
	}
	smtpprobe_loop_free(loop);
	smtpprobe_ctx_free(ctx);
	return all_ok ? 0 : 1;
}
