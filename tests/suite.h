/*
 * suite.h: glue for the one Check test binary.  Each tests/check_<module>.c
 * defines a Suite factory and registers it with CHECK_SUITE(); check_main.c
 * runs every registered suite (CK_RUN_SUITE / CK_RUN_CASE select, fork
 * mode, per-case timeouts from CK_DEFAULT_TIMEOUT).
 */
#ifndef TESTS_CHECK_H
#define TESTS_CHECK_H

#include <check.h>

typedef Suite *check_suite_fn(void);

void		 check_register(check_suite_fn *);
/* Absolute path of a built program ("check_smtp_ports") in a static
 * buffer, from $SMTPPROBE_BUILD (set by make check). */
const char	*check_build_path(const char *name);
/* Absolute path of a file in the source tree, from $SMTPPROBE_SRC. */
const char	*check_src_path(const char *rel);

#define CHECK_SUITE(fn)							\
	static void __attribute__((constructor))			\
	fn##_register(void)						\
	{								\
		check_register(fn);					\
	}

#endif
