/*
 * check_smoke.c: the test binary links the library and the version is
 * what the header says.
 */
#include <string.h>

#include "suite.h"
#include "smtpprobe.h"

START_TEST(test_version)
{
	ck_assert_str_eq(smtpprobe_version(), SMTPPROBE_VERSION_STRING);
}
END_TEST

static Suite *
smoke_suite(void)
{
	Suite	*s = suite_create("smoke");
	TCase	*tc = tcase_create("version");

	tcase_add_test(tc, test_version);
	suite_add_tcase(s, tc);
	return s;
}
CHECK_SUITE(smoke_suite)
