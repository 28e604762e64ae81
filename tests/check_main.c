/*
 * check_main.c: the one test binary's main().  Runs every suite that a
 * tests/check_*.c registered with CHECK_SUITE(), in fork mode, and prints
 * Check's summary line (what CI reads).  Exit 0 only if all passed.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite.h"

#define MAX_SUITES	128

static check_suite_fn	*suites[MAX_SUITES];
static size_t		 nsuites;

void
check_register(check_suite_fn *fn)
{
	if (nsuites < MAX_SUITES)
		suites[nsuites++] = fn;
	else
		fprintf(stderr, "check_main: too many suites\n");
}

static const char *
env_path(const char *var, const char *fallback, const char *name)
{
	static char	 buf[PATH_MAX];
	const char	*dir = getenv(var);

	if (dir == NULL || *dir == '\0')
		dir = fallback;
	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

const char *
check_build_path(const char *name)
{
	return env_path("SMTPPROBE_BUILD", "build", name);
}

const char *
check_src_path(const char *rel)
{
	return env_path("SMTPPROBE_SRC", ".", rel);
}

int
main(void)
{
	SRunner	*sr;
	size_t	 i;
	int	 failed;

	/* The library must never raise SIGPIPE; the tests check that it
	 * doesn't, so SIGPIPE keeps its default action here. */
	if (nsuites == 0) {
		fprintf(stderr, "check_main: no suites registered\n");
		return 1;
	}
	sr = srunner_create(suites[0]());
	for (i = 1; i < nsuites; i++)
		srunner_add_suite(sr, suites[i]());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
