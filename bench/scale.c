/*
 * scale.c: the benchmark driver for bench/run's scale and TLS-cost figures
 * (issue 6, "Benchmarks"): N concurrent probes of one address through the
 * library's own event loop (struct smtpprobe_loop), the way the exporter's
 * /probe fan-out drives them, measured from inside the process.
 *
 *   scale -p PORT[,PORT...] [-a ADDR] [-m plain|starttls|tls] [-n N]
 *         [-r ROUNDS] [-j THREADS] [-c CAFILE] [-k] [-t SECONDS]
 *         [-H VERIFYNAME]
 *
 * Each round adds N probes at once (ports used round robin, so several
 * listeners spread the 4-tuples) and runs the loop until all are done.
 * With -j, THREADS threads share one context and each drives its own
 * loop with N / THREADS of the probes (one event loop per core, as the
 * exporter's prober does).
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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smtpprobe.h"

#define SCALE_MAX_PORTS		64
#define SCALE_MAX_THREADS	64

int	main(int, char **);

struct scale_stats {
	size_t			 done;
	size_t			 ok;
	size_t			 by_outcome[SMTPPROBE_OUTCOME_COUNT];
	char			 first_fail[320];
};

/* What every probe of a run shares (read-only while threads run). */
struct scale_opts {
	struct smtpprobe_ctx	*ctx;
	const char		*addr;
	const char		*ca;
	const char		*vname;
	uint16_t		 ports[SCALE_MAX_PORTS];
	size_t			 nports;
	int			 mode;
	int			 no_verify;
	unsigned long		 timeout_s;
};

/* One thread's share of a round. */
struct scale_job {
	const struct scale_opts	*o;
	size_t			 first;		/* index of its first probe */
	size_t			 count;
	int64_t			 t0;
	struct scale_stats	 st;
	int			 failed;	/* a call failed: err */
	char			 err[256];
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

/*
 * Drive job->count probes to completion in a loop of this thread's own.
 * Sets job->failed and job->err if a library call fails.
 */
static void *
scale_thread(void *arg)
{
	struct scale_job	*job = arg;
	const struct scale_opts	*o = job->o;
	struct smtpprobe_params	 params;
	struct smtpprobe_loop	*loop;
	struct smtpprobe	*p;
	size_t			 i;

	if ((loop = smtpprobe_loop_new(o->ctx, NULL, job->err,
	    sizeof(job->err))) == NULL) {
		job->failed = 1;
		return NULL;
	}
	for (i = job->first; i < job->first + job->count; i++) {
		memset(&params, 0, sizeof(params));
		params.host = o->addr;
		params.port = o->ports[i % o->nports];
		params.mode = (enum smtpprobe_mode)o->mode;
		params.deadline = job->t0 + (int64_t)o->timeout_s * 1000000;
		params.ca_file = o->ca;
		params.verify_name = o->vname;
		params.ehlo_name = "bench.smtp-ports.test";
		if (o->no_verify)
			params.flags |= SMTPPROBE_F_INSECURE_NO_VERIFY;
		if ((p = smtpprobe_new(o->ctx, &params, job->err,
		    sizeof(job->err))) == NULL) {
			job->failed = 1;
			break;
		}
		if (smtpprobe_loop_add(loop, p, probe_done, &job->st) == -1) {
			snprintf(job->err, sizeof(job->err), "loop_add: %s",
			    smtpprobe_loop_error(loop));
			smtpprobe_free(p);
			job->failed = 1;
			break;
		}
	}
	while (smtpprobe_loop_pending(loop) > 0)
		if (smtpprobe_loop_run(loop, 1000) == -1) {
			snprintf(job->err, sizeof(job->err), "loop: %s",
			    smtpprobe_loop_error(loop));
			job->failed = 1;
			break;
		}
	smtpprobe_loop_free(loop);
	return NULL;
}

int
main(int argc, char **argv)
{
	static struct scale_job	 jobs[SCALE_MAX_THREADS];
	pthread_t		 tids[SCALE_MAX_THREADS];
	struct scale_opts	 o;
	struct scale_stats	 st;
	const char		*portlist = NULL;
	char			 err[256], *list, *tok, *save;
	size_t			 n = 1000, i, k, nthreads = 1;
	unsigned long		 rounds = 1, r;
	int			 c, all_ok = 1;
	int64_t			 t0, c0, wall, cpu;

	memset(&o, 0, sizeof(o));
	o.addr = "127.0.0.1";
	o.mode = SMTPPROBE_MODE_PLAIN;
	o.timeout_s = 30;
	while ((c = getopt(argc, argv, "a:c:H:j:km:n:p:r:t:")) != -1) {
		switch (c) {
		case 'a':
			o.addr = optarg;
			break;
		case 'c':
			o.ca = optarg;
			break;
		case 'H':
			o.vname = optarg;
			break;
		case 'j':
			nthreads = number(optarg, 1, SCALE_MAX_THREADS);
			break;
		case 'k':
			o.no_verify = 1;
			break;
		case 'm':
			if ((o.mode = smtpprobe_mode_from_name(optarg)) < 0)
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
			o.timeout_s = number(optarg, 1, 3600);
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
		if (o.nports == SCALE_MAX_PORTS)
			usage();
		o.ports[o.nports++] = (uint16_t)number(tok, 1, 65535);
	}
	free(list);
	if (o.nports == 0 || nthreads > n)
		usage();
	raise_nofile();

	if ((o.ctx = smtpprobe_ctx_new(err, sizeof(err))) == NULL) {
		fprintf(stderr, "scale: ctx: %s\n", err);
		return 1;
	}
	for (r = 1; r <= rounds; r++) {
		memset(&st, 0, sizeof(st));
		t0 = smtpprobe_now();
		c0 = cpu_us();
		for (i = 0; i < nthreads; i++) {
			memset(&jobs[i], 0, sizeof(jobs[i]));
			jobs[i].o = &o;
			jobs[i].first = n * i / nthreads;
			jobs[i].count = n * (i + 1) / nthreads - jobs[i].first;
			jobs[i].t0 = t0;
		}
		if (nthreads == 1)
			scale_thread(&jobs[0]);
		else {
			for (i = 0; i < nthreads; i++)
				if (pthread_create(&tids[i], NULL, scale_thread,
				    &jobs[i]) != 0) {
					fprintf(stderr, "scale: thread\n");
					return 1;
				}
			for (i = 0; i < nthreads; i++)
				pthread_join(tids[i], NULL);
		}
		wall = smtpprobe_now() - t0;
		cpu = cpu_us() - c0;
		for (i = 0; i < nthreads; i++) {
			if (jobs[i].failed) {
				fprintf(stderr, "scale: %s\n", jobs[i].err);
				return 1;
			}
			st.done += jobs[i].st.done;
			st.ok += jobs[i].st.ok;
			for (k = 0; k < SMTPPROBE_OUTCOME_COUNT; k++)
				st.by_outcome[k] += jobs[i].st.by_outcome[k];
			if (st.first_fail[0] == '\0')
				memcpy(st.first_fail, jobs[i].st.first_fail,
				    sizeof(st.first_fail));
		}
		printf("round=%lu n=%zu mode=%s threads=%zu wall_ms=%lld "
		    "cpu_ms=%lld cpu_us_per_probe=%lld rss_kb=%ld maxrss_kb=%ld "
		    "ok=%zu fail=%zu", r, n, smtpprobe_mode_name(
		    (enum smtpprobe_mode)o.mode), nthreads,
		    (long long)(wall / 1000), (long long)(cpu / 1000),
		    (long long)(cpu / (int64_t)n), rss_kb(), maxrss_kb(), st.ok,
		    n - st.ok);
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
	smtpprobe_ctx_free(o.ctx);
	return all_ok ? 0 : 1;
}
