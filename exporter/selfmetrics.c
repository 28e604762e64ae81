/*
 * selfmetrics.c: the exporter's own metrics.  Counters are atomics
 * updated from the HTTP thread and read at scrape time; process_* come
 * from /proc/self, as the Prometheus client libraries read them.
 */
#include <sys/resource.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "smtpprobe.h"
#include "metrics.h"
#include "selfmetrics.h"

static const unsigned	sm_codes[] = {
	200, 400, 401, 403, 404, 405, 413, 414, 500, 503
};
#define SM_NCODES	(sizeof(sm_codes) / sizeof(sm_codes[0]))

static const char *const sm_endpoints[] = {
	"/probe", "/metrics", "/", "/-/healthy", "/-/ready", "/-/reload",
	"other"
};
_Static_assert(sizeof(sm_endpoints) / sizeof(sm_endpoints[0]) ==
    SELFMETRICS_EP_COUNT, "endpoint names");

/* [endpoint][code index], the last column for any other code */
static uint64_t	sm_requests[SELFMETRICS_EP_COUNT][SM_NCODES + 1];
static int	sm_reload_ok = 1;
static int64_t	sm_reload_time;		/* Unix seconds */
static double	sm_start_time;
static unsigned	sm_generation;		/* bumped by every reload */

const char *
selfmetrics_endpoint_name(enum selfmetrics_endpoint e)
{
	return e < SELFMETRICS_EP_COUNT ? sm_endpoints[e] : "other";
}

void
selfmetrics_init(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	sm_start_time = (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void
selfmetrics_request(enum selfmetrics_endpoint e, unsigned code)
{
	size_t	 i;

	if (e >= SELFMETRICS_EP_COUNT)
		e = SELFMETRICS_EP_OTHER;
	for (i = 0; i < SM_NCODES; i++)
		if (sm_codes[i] == code)
			break;
	__atomic_add_fetch(&sm_requests[e][i], 1, __ATOMIC_RELAXED);
}

void
selfmetrics_reload(int ok)
{
	__atomic_store_n(&sm_reload_ok, ok, __ATOMIC_RELAXED);
	if (ok)
		__atomic_store_n(&sm_reload_time, (int64_t)time(NULL),
		    __ATOMIC_RELAXED);
	__atomic_add_fetch(&sm_generation, 1, __ATOMIC_RELEASE);
}

unsigned
selfmetrics_generation(void)
{
	return __atomic_load_n(&sm_generation, __ATOMIC_ACQUIRE);
}

int
selfmetrics_reload_ok(void)
{
	return __atomic_load_n(&sm_reload_ok, __ATOMIC_RELAXED);
}

/* CPU seconds, virtual and resident bytes from /proc/self/stat. */
static int
sm_proc_stat(double *cpu, double *vsize, double *rss)
{
	char	 buf[2048], *p;
	FILE	*f;
	unsigned long utime, stime, vs;
	long	 rs, tck, page;
	int	 ok = -1;

	if ((f = fopen("/proc/self/stat", "re")) == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) != NULL &&
	    (p = strrchr(buf, ')')) != NULL &&
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu "
	    "%lu %*d %*d %*d %*d %*d %*d %*u %lu %ld", &utime, &stime, &vs,
	    &rs) == 4) {
		tck = sysconf(_SC_CLK_TCK);
		page = sysconf(_SC_PAGESIZE);
		*cpu = (double)(utime + stime) / (double)(tck > 0 ? tck : 100);
		*vsize = (double)vs;
		*rss = (double)rs * (double)(page > 0 ? page : 4096);
		ok = 0;
	}
	fclose(f);
	return ok;
}

static long
sm_open_fds(void)
{
	DIR		*d;
	struct dirent	*de;
	long		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory stream itself */
}

void
selfmetrics_write(struct strbuf *b, int64_t inflight)
{
	struct metrics_label	 l[2];
	struct rlimit		 rl;
	char			 code[16];
	double			 cpu, vs, rss;
	uint64_t		 v;
	size_t			 e, i;
	long			 fds;

	metrics_family(b, "smtp_ports_exporter_build_info", "gauge",
	    "Always 1: the exporter's version and the OpenSSL it runs with.");
	l[0].name = "version";
	l[0].value = smtpprobe_version();
	l[1].name = "openssl";
	l[1].value = smtpprobe_openssl_version();
	metrics_sample_int(b, "smtp_ports_exporter_build_info", l, 2, 1);

	metrics_family(b, "smtp_ports_exporter_config_last_reload_successful",
	    "gauge", "1 if the last configuration (re)load succeeded.");
	metrics_sample_int(b,
	    "smtp_ports_exporter_config_last_reload_successful", NULL, 0,
	    __atomic_load_n(&sm_reload_ok, __ATOMIC_RELAXED));
	metrics_family(b,
	    "smtp_ports_exporter_config_last_reload_success_timestamp_seconds",
	    "gauge", "When the configuration was last loaded successfully, "
	    "Unix seconds.");
	metrics_sample_int(b,
	    "smtp_ports_exporter_config_last_reload_success_timestamp_seconds",
	    NULL, 0, __atomic_load_n(&sm_reload_time, __ATOMIC_RELAXED));

	metrics_family(b, "smtp_ports_exporter_probes_in_flight", "gauge",
	    "Port probes running now.");
	metrics_sample_int(b, "smtp_ports_exporter_probes_in_flight", NULL, 0,
	    inflight);

	metrics_family(b, "smtp_ports_exporter_http_requests_total", "counter",
	    "HTTP requests answered, by endpoint and status code.");
	for (e = 0; e < SELFMETRICS_EP_COUNT; e++) {
		for (i = 0; i <= SM_NCODES; i++) {
			v = __atomic_load_n(&sm_requests[e][i],
			    __ATOMIC_RELAXED);
			if (v == 0)
				continue;
			if (i < SM_NCODES)
				snprintf(code, sizeof(code), "%u", sm_codes[i]);
			else
				snprintf(code, sizeof(code), "other");
			l[0].name = "endpoint";
			l[0].value = sm_endpoints[e];
			l[1].name = "code";
			l[1].value = code;
			metrics_sample_int(b,
			    "smtp_ports_exporter_http_requests_total", l, 2,
			    (int64_t)v);
		}
	}

	if (sm_proc_stat(&cpu, &vs, &rss) == 0) {
		metrics_family(b, "process_cpu_seconds_total", "counter",
		    "Total user and system CPU time spent in seconds.");
		metrics_sample_double(b, "process_cpu_seconds_total", NULL, 0,
		    cpu);
		metrics_family(b, "process_virtual_memory_bytes", "gauge",
		    "Virtual memory size in bytes.");
		metrics_sample_double(b, "process_virtual_memory_bytes", NULL,
		    0, vs);
		metrics_family(b, "process_resident_memory_bytes", "gauge",
		    "Resident memory size in bytes.");
		metrics_sample_double(b, "process_resident_memory_bytes", NULL,
		    0, rss);
	}
	if ((fds = sm_open_fds()) >= 0) {
		metrics_family(b, "process_open_fds", "gauge",
		    "Number of open file descriptors.");
		metrics_sample_int(b, "process_open_fds", NULL, 0, fds);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		metrics_family(b, "process_max_fds", "gauge",
		    "Maximum number of open file descriptors.");
		metrics_sample_double(b, "process_max_fds", NULL, 0,
		    rl.rlim_cur == RLIM_INFINITY ? -1 : (double)rl.rlim_cur);
	}
	metrics_family(b, "process_start_time_seconds", "gauge",
	    "Start time of the process since unix epoch in seconds.");
	metrics_sample_double(b, "process_start_time_seconds", NULL, 0,
	    sm_start_time);
}
