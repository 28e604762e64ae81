/*
 * runcmd.c: run a command sequence many times and report medians of wall
 * time, CPU time and peak memory, measured exactly (clock_gettime and
 * wait4's rusage, microseconds), for bench/run's plugin comparison.
 *
 *   runcmd [-n RUNS] [-w WARMUP] [-i] [-r FILE] -- CMD ARGS...
 *          [--- CMD ARGS...]...
 *
 * One iteration runs every command once, one after the other, as a
 * monitoring system would run the separate checks a user needs; its wall
 * and CPU (user + system) are the sums, its max RSS the largest.  After
 * WARMUP unmeasured iterations it measures RUNS and prints one line:
 *
 *   runs=15 wall_ms=4.21 cpu_ms=3.10 maxrss_kb=7420 wall_min_ms=3.95
 *   wall_max_ms=6.02 exit=0,0,2
 *
 * (medians; exit lists each command's exit status in the last run).
 * Standard output and error of the commands go to /dev/null, or with -i
 * stay runcmd's own (tests/hostile/run times one run that way, without a
 * shell's fork and exec in the figure).  -r FILE writes the report line
 * to FILE instead of standard output.  Exit status 0, or 2 on a usage
 * error or when a command cannot be started.
 */
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RUNCMD_MAX_CMDS	16
#define RUNCMD_MAX_RUNS	1000

int	main(int, char **);

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long
number(const char *s, long min, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "runcmd: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * Run argv to completion; add its wall and CPU milliseconds, raise
 * *maxrss; return its exit status (128 + signal if killed), -1 if it
 * could not be started.
 */
static int	runcmd_inherit;

static int
run_one(char **argv, double *wall, double *cpu, long *maxrss)
{
	struct rusage	ru;
	double		t0;
	pid_t		pid;
	int		status, fd;

	t0 = now_ms();
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (!runcmd_inherit && (fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) == -1)
		return -1;
	*wall += now_ms() - t0;
	*cpu += (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	if (ru.ru_maxrss > *maxrss)
		*maxrss = ru.ru_maxrss;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int
main(int argc, char **argv)
{
	char	**cmds[RUNCMD_MAX_CMDS];
	double	 walls[RUNCMD_MAX_RUNS], cpus[RUNCMD_MAX_RUNS];
	double	 rsss[RUNCMD_MAX_RUNS], wmin = 1e18, wmax = 0;
	int	 rcs[RUNCMD_MAX_CMDS];
	long	 runs = 15, warmup = 2, it, maxrss;
	size_t	 ncmds = 0, i;
	int	 c;
	FILE	*rep = stdout;

	while ((c = getopt(argc, argv, "+in:r:w:")) != -1) {
		switch (c) {
		case 'i':
			runcmd_inherit = 1;
			break;
		case 'r':
			if ((rep = fopen(optarg, "w")) == NULL) {
				fprintf(stderr, "runcmd: %s: cannot write\n",
				    optarg);
				return 2;
			}
			break;
		case 'n':
			runs = number(optarg, 1, RUNCMD_MAX_RUNS);
			break;
		case 'w':
			warmup = number(optarg, 0, 100);
			break;
		default:
			return 2;
		}
	}
	/* getopt() swallows the "--" that ends the options. */
	if (optind >= argc) {
		fprintf(stderr, "usage: runcmd [-n RUNS] [-w WARMUP] -- CMD "
		    "ARGS... [--- CMD ARGS...]...\n");
		return 2;
	}
	/* Split argv at "---" in place. */
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		if (i == (size_t)optind || argv[i - 1] == NULL) {
			if (ncmds == RUNCMD_MAX_CMDS)
				return 2;
			cmds[ncmds++] = &argv[i];
		}
		if (strcmp(argv[i], "---") == 0)
			argv[i] = NULL;
	}
	if (ncmds == 0 || cmds[ncmds - 1][0] == NULL)
		return 2;
	for (it = -warmup; it < runs; it++) {
		double	wall = 0, cpu = 0;

		maxrss = 0;
		for (i = 0; i < ncmds; i++)
			if ((rcs[i] = run_one(cmds[i], &wall, &cpu,
			    &maxrss)) == -1 || rcs[i] == 127) {
				fprintf(stderr, "runcmd: cannot run %s\n",
				    cmds[i][0]);
				return 2;
			}
		if (it < 0)
			continue;
		walls[it] = wall;
		cpus[it] = cpu;
		rsss[it] = (double)maxrss;
		if (wall < wmin)
			wmin = wall;
		if (wall > wmax)
			wmax = wall;
	}
	fprintf(rep, "runs=%ld wall_ms=%.2f cpu_ms=%.2f maxrss_kb=%.0f "
	    "wall_min_ms=%.2f wall_max_ms=%.2f exit=", runs,
	    median(walls, (size_t)runs), median(cpus, (size_t)runs),
	    median(rsss, (size_t)runs), wmin, wmax);
	for (i = 0; i < ncmds; i++)
		fprintf(rep, "%s%d", i > 0 ? "," : "", rcs[i]);
	fprintf(rep, "\n");
	if (rep != stdout)
		fclose(rep);
	return 0;
}
