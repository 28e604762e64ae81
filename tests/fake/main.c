/*
 * main.c: fakesmtp, the scripted fake SMTP server program used by the
 * end-to-end, hostile-server, demo and benchmark scripts.
 *
 *   fakesmtp [--listen ADDR] [--tls-dir DIR] [--slow-ms N] [--nagle] [-v]
 *            SCENARIO[@PORT]...
 *   fakesmtp --list
 *
 * Each SCENARIO gets its own listener on ADDR (default 127.0.0.1), on
 * PORT or an ephemeral port.  When all listen it prints "SCENARIO PORT"
 * per listener, then "READY" (flushed), and serves until SIGTERM/SIGINT or
 * until its stdin, if that is a pipe or a socket, reaches EOF (so a test
 * that dies takes it along; a terminal or /dev/null stdin is not watched,
 * so "fakesmtp good &" in a script keeps serving).  -v logs every event
 * to stderr as "PORT CONN EVENT".  --nagle leaves Nagle's algorithm on
 * like Postfix (no TCP_NODELAY), so that the delayed-ACK stall after TLS
 * 1.3 session tickets can be reproduced; by default it is off.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"
#include "tlsgen.h"

#define MAX_SCENARIOS	64

static void
usage(FILE *f)
{
	fprintf(f, "usage: fakesmtp [--listen ADDR] [--tls-dir DIR] "
	    "[--slow-ms N] [--nagle] [-v] SCENARIO[@PORT]...\n"
	    "       fakesmtp --list\n");
}

static void
verbose_log(void *arg, unsigned conn, uint16_t port, const char *line)
{
	(void)arg;
	fprintf(stderr, "%u %u %s\n", port, conn, line);
}

/* Checked decimal in [min, max]; -1 if not. */
static long
number(const char *s, long min, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	return v;
}

static void
raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char **argv)
{
	const char	*listen_addr = "127.0.0.1", *tls_dir = NULL;
	long		 slow_ms = 2000;
	int		 verbose = 0, nagle = 0, i, nsc = 0;
	const struct server_scenario *sc[MAX_SCENARIOS];
	long		 ports[MAX_SCENARIOS];
	uint16_t	 bound[MAX_SCENARIOS];
	struct tlsgen	*tg;
	struct server	*srv;
	struct stat	 st;
	char		 err[256];

	for (i = 1; i < argc; i++) {
		const char	*a = argv[i];

		if (strcmp(a, "--listen") == 0 && i + 1 < argc)
			listen_addr = argv[++i];
		else if (strcmp(a, "--tls-dir") == 0 && i + 1 < argc)
			tls_dir = argv[++i];
		else if (strcmp(a, "--slow-ms") == 0 && i + 1 < argc) {
			if ((slow_ms = number(argv[++i], 0, 3600000)) == -1) {
				fprintf(stderr, "fakesmtp: bad --slow-ms\n");
				return 2;
			}
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
			verbose = 1;
		else if (strcmp(a, "--nagle") == 0)
			nagle = 1;
		else if (strcmp(a, "--list") == 0) {
			const struct server_scenario *s;
			size_t	 k;

			for (k = 0; (s = scenarios_at(k)) != NULL; k++)
				printf("%-18s %s\n", s->name, s->desc);
			return 0;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (a[0] == '-') {
			usage(stderr);
			return 2;
		} else {
			char		 name[64];
			const char	*at = strchr(a, '@');
			size_t		 len;

			len = at ? (size_t)(at - a) : strlen(a);

			if (nsc == MAX_SCENARIOS || len >= sizeof(name)) {
				fprintf(stderr, "fakesmtp: too many "
				    "scenarios or name too long\n");
				return 2;
			}
			memcpy(name, a, len);
			name[len] = '\0';
			if ((sc[nsc] = scenarios_find(name)) == NULL) {
				fprintf(stderr, "fakesmtp: unknown scenario "
				    "%s (--list shows them)\n", name);
				return 2;
			}
			ports[nsc] = 0;
			if (at != NULL &&
			    (ports[nsc] = number(at + 1, 0, 65535)) == -1) {
				fprintf(stderr, "fakesmtp: bad port in %s\n",
				    a);
				return 2;
			}
			nsc++;
		}
	}
	if (nsc == 0) {
		usage(stderr);
		return 2;
	}
	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	if ((tg = tlsgen_new(err, sizeof(err))) == NULL) {
		fprintf(stderr, "fakesmtp: %s\n", err);
		return 1;
	}
	if (tls_dir != NULL) {
		char	path[PATH_MAX];

		/* Created if missing (its parent must exist). */
		if (mkdir(tls_dir, 0755) == -1 && errno != EEXIST) {
			fprintf(stderr, "fakesmtp: %s: %s\n", tls_dir,
			    strerror(errno));
			return 1;
		}
		snprintf(path, sizeof(path), "%s/ca.crt", tls_dir);
		if (tlsgen_write_ca(tg, path, err, sizeof(err)) == -1) {
			fprintf(stderr, "fakesmtp: %s\n", err);
			return 1;
		}
	}
	srv = server_new(tg, slow_ms, verbose ? verbose_log : NULL, NULL, err,
	    sizeof(err));
	if (srv == NULL) {
		fprintf(stderr, "fakesmtp: %s\n", err);
		return 1;
	}
	server_set_nagle(srv, nagle);
	for (i = 0; i < nsc; i++)
		if (server_listen(srv, sc[i], listen_addr, (uint16_t)ports[i],
		    &bound[i], err, sizeof(err)) == -1) {
			fprintf(stderr, "fakesmtp: %s: %s\n", sc[i]->name,
			    err);
			return 1;
		}
	if (server_watch_signals(srv) == -1) {
		fprintf(stderr, "fakesmtp: signals: %s\n", strerror(errno));
		return 1;
	}
	if (fstat(STDIN_FILENO, &st) == 0 &&
	    (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) &&
	    server_watch_eof(srv, STDIN_FILENO) == -1) {
		fprintf(stderr, "fakesmtp: stdin: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < nsc; i++)
		printf("%s %u\n", sc[i]->name, bound[i]);
	printf("READY\n");
	fflush(stdout);
	i = server_run(srv);
	server_free(srv);
	tlsgen_free(tg);
	return i == 0 ? 0 : 1;
}
