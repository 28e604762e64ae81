/*
 * options.h: argv -> struct plugin_config for check_smtp_ports.  Every
 * usage error yields one line of reason, which main() prints as
 * "SMTP PORTS UNKNOWN - <reason>" (exit 3).
 */
#ifndef PLUGIN_OPTIONS_H
#define PLUGIN_OPTIONS_H

#include <stdio.h>

#include "config.h"

enum options_action {
	OPTIONS_RUN,		/* cfg is complete: probe */
	OPTIONS_HELP,		/* -h: print options_help() */
	OPTIONS_VERSION,	/* -V: print the version */
	OPTIONS_ERROR,		/* usage error: reason in err */
	OPTIONS_ACTION_COUNT
};

/*
 * Parse argv (getopt_long; resets optind, so it can be called again, e.g.
 * by tests).  cfg gets config_defaults() first; its strings point into
 * argv.  err gets a one-line reason on OPTIONS_ERROR.
 */
enum options_action options_parse(int argc, char *const argv[],
		    struct plugin_config *cfg, char *err, size_t errlen);

/* The --help text (fits 80 columns). */
void		 options_help(FILE *);

#endif
