/*
 * main.c: check_smtp_ports, the Nagios / Icinga / Naemon plugin: parse
 * the command line, probe every port of the host concurrently within -t,
 * judge, print (status line, long output, perfdata, or JSON) and exit
 * 0..3.  Whatever happens it prints a line and exits 0..3 within -t of
 * the start of main(): the probes end a little before that (the reserve
 * is for cleaning up, the state file and the output), and a watchdog
 * timer at -t covers what the deadlines cannot.
 */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "evaluate.h"
#include "json.h"
#include "latch.h"
#include "options.h"
#include "output.h"
#include "report.h"
#include "run.h"
#include "statefile.h"

/* The probes' deadline is this long before -t runs out (µs): the
 * runner's grace, the state file and the output fit in it. */
#define RESERVE_US		80000
/* Longest wait for the state file lock (µs), and how long before -t runs
 * out it gives up. */
#define STATE_LOCK_US		200000
#define STATE_LOCK_MARGIN_US	15000

static char		 watchdog_msg[256];
static size_t		 watchdog_len;
static volatile int	 watchdog_code = PLUGIN_UNKNOWN;

int	 main(int, char *[]);

/* Async-signal-safe: one prepared line, then out. */
static void
watchdog_fire(int sig)
{
	ssize_t	 w;

	(void)sig;
	w = write(STDOUT_FILENO, watchdog_msg, watchdog_len);
	(void)w;
	_exit(watchdog_code);
}

static void
watchdog_arm(const struct plugin_config *cfg, int64_t us)
{
	struct sigaction	 sa;
	struct itimerval	 it;

	if (cfg->format == PLUGIN_FORMAT_JSON)
		snprintf(watchdog_msg, sizeof(watchdog_msg), "{\"state\":"
		    "\"%s\",\"exit_code\":%d,\"summary\":\"SMTP PORTS %s - "
		    "check_smtp_ports did not finish within %.1fs "
		    "(watchdog)\",\"problem\":\"watchdog\",\"ports\":[]}\n",
		    config_state_name(cfg->timeout_state), cfg->timeout_state,
		    config_state_name(cfg->timeout_state), cfg->timeout);
	else
		snprintf(watchdog_msg, sizeof(watchdog_msg), "SMTP PORTS %s - "
		    "check_smtp_ports did not finish within %.1fs "
		    "(watchdog)\n", config_state_name(cfg->timeout_state),
		    cfg->timeout);
	watchdog_len = strlen(watchdog_msg);
	watchdog_code = cfg->timeout_state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watchdog_fire;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	memset(&it, 0, sizeof(it));
	if (us < 1000)
		us = 1000;
	it.it_value.tv_sec = us / 1000000;
	it.it_value.tv_usec = us % 1000000;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void
watchdog_disarm(void)
{
	struct itimerval	 it;

	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
}

static int
emit(const char *text)
{
	fputs(text, stdout);
	return fflush(stdout) == 0 ? 0 : -1;
}

/* UNKNOWN with a reason, in the format asked for. */
static int
unknown(const struct plugin_config *cfg, const char *why)
{
	struct buf	 b, s;

	if (cfg->format != PLUGIN_FORMAT_JSON) {
		printf("SMTP PORTS UNKNOWN - %s\n", why);
		fflush(stdout);
		return PLUGIN_UNKNOWN;
	}
	buf_init(&b);
	buf_init(&s);
	buf_printf(&s, "SMTP PORTS UNKNOWN - %s", why);
	buf_puts(&b, "{\"state\":\"UNKNOWN\",\"exit_code\":3,\"summary\":");
	json_string(&b, buf_str(&s));
	buf_puts(&b, ",\"problem\":");
	json_string(&b, why);
	buf_puts(&b, ",\"ports\":[]}\n");
	if (buf_failed(&b) || buf_failed(&s))
		printf("SMTP PORTS UNKNOWN - %s\n", why);
	else
		fputs(buf_str(&b), stdout);
	fflush(stdout);
	buf_free(&s);
	buf_free(&b);
	return PLUGIN_UNKNOWN;
}

/* Read the state file into the items, evaluate, save what we saw. */
static void
state_and_evaluate(const struct plugin_config *cfg, struct report *rep,
    int64_t hard)
{
	struct statefile	 sf;
	struct statefile_update	*ups;
	char			 err[512], note[512];
	size_t			 n;
	int64_t			 lock_by;

	if (cfg->state_file == NULL) {
		evaluate_report(cfg, rep);
		return;
	}
	statefile_init(&sf);
	if (statefile_load(cfg->state_file, &sf, err, sizeof(err)) == -1)
		report_note(rep, "%s", err);
	latch_prepare(cfg, rep, &sf);
	statefile_free(&sf);
	evaluate_report(cfg, rep);
	if ((ups = latch_updates(cfg, rep, rep->wall_now, &n)) == NULL) {
		report_note(rep, "state file not saved: out of memory");
		return;
	}
	lock_by = smtpprobe_now() + STATE_LOCK_US;
	if (lock_by > hard - STATE_LOCK_MARGIN_US)
		lock_by = hard - STATE_LOCK_MARGIN_US;	/* one try at least */
	if (statefile_save(cfg->state_file, ups, n, lock_by, note,
	    sizeof(note), err, sizeof(err)) == -1)
		report_note(rep, "state file not saved: %s", err);
	else if (note[0] != '\0')
		report_note(rep, "%s", note);
	free(ups);
}

int
main(int argc, char *argv[])
{
	struct plugin_config	 cfg;
	struct report		 rep;
	struct run		 run;
	struct buf		 out;
	char			 err[512];
	int64_t			 start, hard, deadline;
	int			 rc;

	start = smtpprobe_now();
	signal(SIGPIPE, SIG_IGN);
	setlocale(LC_ALL, "C");

	switch (options_parse(argc, argv, &cfg, err, sizeof(err))) {
	case OPTIONS_RUN:
		break;
	case OPTIONS_HELP:
		options_help(stdout);
		fflush(stdout);
		return PLUGIN_UNKNOWN;
	case OPTIONS_VERSION:
		printf("check_smtp_ports %s (libsmtpprobe %s, %s)\n",
		    SMTPPROBE_VERSION_STRING, smtpprobe_version(),
		    smtpprobe_openssl_version());
		fflush(stdout);
		return PLUGIN_UNKNOWN;
	default:
		printf("SMTP PORTS UNKNOWN - %s\n"
		    "Usage: check_smtp_ports -H HOST [-P LIST] [options]; "
		    "see --help\n", err[0] != '\0' ? err : "usage error");
		fflush(stdout);
		return PLUGIN_UNKNOWN;
	}

	hard = start + (int64_t)(cfg.timeout * 1e6);
	deadline = hard - RESERVE_US;
	watchdog_arm(&cfg, hard - smtpprobe_now());

	report_init(&rep);
	rep.started = start;
	memset(&run, 0, sizeof(run));
	if ((rc = run_execute(&run, &cfg, &rep, deadline, err,
	    sizeof(err))) < 0) {
		char why[600];

		watchdog_disarm();
		snprintf(why, sizeof(why), "%s%s", rc == -1 ?
		    "internal error: " : "", err);
		report_free(&rep);
		run_free(&run);
		return unknown(&cfg, why);
	}
	rep.wall_now = (int64_t)time(NULL);
	state_and_evaluate(&cfg, &rep, hard);
	rep.elapsed_us = smtpprobe_now() - start;

	buf_init(&out);
	if (cfg.format == PLUGIN_FORMAT_JSON)
		json_report(&cfg, &rep, &out);
	else
		output_nagios(&cfg, &rep, &out);
	watchdog_disarm();
	if (buf_failed(&out))
		rc = unknown(&cfg, "out of memory formatting the output");
	else {
		emit(buf_str(&out));
		rc = rep.state;
	}
	buf_free(&out);
	report_free(&rep);
	run_free(&run);
	if (rc < PLUGIN_OK || rc > PLUGIN_UNKNOWN)
		rc = PLUGIN_UNKNOWN;
	return rc;
}
