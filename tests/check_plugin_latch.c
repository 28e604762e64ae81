/*
 * check_plugin_latch.c: the bridge between a run and the state file
 * (plugin/latch.c): keys, what is remembered before evaluation, what is
 * recorded after it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite.h"
#include "config.h"
#include "latch.h"
#include "report.h"
#include "statefile.h"

static struct smtpprobe_result	 res[3];

static void
make(struct report *rep, struct plugin_config *cfg)
{
	struct report_item	*it;
	int			 i, k;

	config_defaults(cfg);
	cfg->host = "mail.example.org";
	report_init(rep);
	ck_assert_ptr_nonnull(report_add_host(rep, "mail.example.org"));
	for (i = 0; i < 3; i++) {
		memset(&res[i], 0, sizeof(res[i]));
		for (k = 0; k < SMTPPROBE_PHASE_COUNT; k++)
			res[i].phase_us[k] = -1;
		snprintf(res[i].address, sizeof(res[i].address),
		    "192.0.2.%d", i + 1);
		ck_assert_ptr_nonnull(it = report_add_item(rep));
		it->r = &res[i];
		it->spec.port = (uint16_t)(i == 0 ? 587 : i == 1 ? 25 : 465);
		it->spec.mode = i == 2 ? SMTPPROBE_MODE_TLS :
		    SMTPPROBE_MODE_STARTTLS;
		res[i].mode = it->spec.mode;
	}
	/* 587: answered with STARTTLS; 25: answered without; 465: refused */
	res[0].connected = 1;
	res[0].caps.present = 1;
	res[0].caps.flags = SMTPPROBE_CAP_STARTTLS;
	res[1].connected = 1;
	res[1].caps.present = 1;
	res[2].outcome = SMTPPROBE_OUTCOME_REFUSED;
}

START_TEST(test_latch_updates)
{
	struct plugin_config	 cfg;
	struct report		 rep;
	struct statefile_update	*u;
	size_t			 n;

	make(&rep, &cfg);
	ck_assert_ptr_nonnull(u = latch_updates(&cfg, &rep, 5000, &n));
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(u[0].key, "mail.example.org/587");
	ck_assert_int_eq(u[0].starttls_seen, 5000);
	ck_assert_int_eq(u[0].answered, 5000);
	ck_assert_int_eq(u[1].starttls_seen, 0);
	ck_assert_int_eq(u[1].answered, 5000);
	ck_assert_int_eq(u[2].starttls_seen, 0);
	ck_assert_int_eq(u[2].answered, 0);
	ck_assert_int_eq(u[2].reset, 0);
	free(u);

	/* --all-addresses: the address is part of the key */
	cfg.all_addresses = 1;
	cfg.state_reset = 1;
	ck_assert_ptr_nonnull(u = latch_updates(&cfg, &rep, 5000, &n));
	ck_assert_str_eq(u[1].key, "mail.example.org/25@192.0.2.2");
	ck_assert_int_eq(u[1].reset, 1);
	free(u);
	free(rep.items);
}
END_TEST

START_TEST(test_latch_prepare)
{
	static const char text[] = STATEFILE_HEADER "\n"
	    "mail.example.org/587\t100\t200\n"
	    "mail.example.org/25\t300\t400\n";
	struct plugin_config	 cfg;
	struct report		 rep;
	struct statefile	 sf;

	make(&rep, &cfg);
	statefile_init(&sf);
	ck_assert_int_eq(statefile_parse(text, sizeof(text) - 1, &sf, NULL, 0),
	    0);
	latch_prepare(&cfg, &rep, &sf);
	ck_assert_int_eq(rep.items[0].prev_starttls, 100);
	ck_assert_int_eq(rep.items[0].prev_answered, 200);
	ck_assert_int_eq(rep.items[1].prev_starttls, 300);
	ck_assert_int_eq(rep.items[2].prev_starttls, 0);
	ck_assert_int_eq(rep.items[2].prev_answered, 0);
	/* --state-reset: nothing remembered */
	cfg.state_reset = 1;
	latch_prepare(&cfg, &rep, &sf);
	ck_assert_int_eq(rep.items[0].prev_starttls, 0);
	ck_assert_int_eq(rep.items[1].prev_answered, 0);
	statefile_free(&sf);
	free(rep.items);
}
END_TEST

static Suite *
plugin_latch_suite(void)
{
	Suite	*s = suite_create("plugin_latch");
	TCase	*tc = tcase_create("latch");

	tcase_add_test(tc, test_latch_updates);
	tcase_add_test(tc, test_latch_prepare);
	suite_add_tcase(s, tc);
	return s;
}
CHECK_SUITE(plugin_latch_suite)
