/*
 * fake.c: the in-process face of the fake SMTP server (fake.h): a forked
 * child runs the event loop of server.c on a listener the parent opened,
 * and writes its event log to a pipe the parent reads.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fake.h"
#include "server.h"
#include "tlsgen.h"

#define LOG_MAX		(8u * 1024 * 1024)

struct fake {
	pid_t		 pid;
	uint16_t	 port;
	int		 logfd;		/* the child's log */
	int		 ctlfd;		/* its EOF stops it */
	char		 dir[64];
	char		 ca_file[128];
	char		*log;
	size_t		 loglen;
	size_t		 logcap;
	size_t		 scanned;	/* bytes counted for closes */
	unsigned	 nclosed;
};

/* The child's logger: one write per line (atomic below PIPE_BUF). */
static void
child_log(void *arg, unsigned conn, uint16_t port, const char *line)
{
	int	fd = *(int *)arg;
	char	buf[640];
	int	n;
	size_t	off = 0;

	(void)port;
	n = snprintf(buf, sizeof(buf), "%u %s\n", conn, line);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) {
		n = sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	while (off < (size_t)n) {
		ssize_t	w = write(fd, buf + off, (size_t)n - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		off += (size_t)w;
	}
}

/*
 * In the child, before anything else: every signal a test framework or a
 * test may have caught gets its default action back (SIGTERM and SIGINT
 * stay blocked until server_watch_signals() takes them over).
 */
static void
child_reset_signals(void)
{
	static const int	sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGALRM,
	    SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD };
	size_t			i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		(void)signal(sigs[i], SIG_DFL);
}

static void __attribute__((noreturn))
child_main(struct tlsgen *tg, const struct server_scenario *sc, int lfd,
    uint16_t port, int logfd, int ctlfd, long slow_ms)
{
	struct server	*s;
	char		 err[256];

	s = server_new(tg, slow_ms, child_log, &logfd, err, sizeof(err));
	if (s == NULL || server_adopt(s, sc, lfd, port, err,
	    sizeof(err)) == -1 || server_watch_eof(s, ctlfd) == -1 ||
	    server_watch_signals(s) == -1) {
		fprintf(stderr, "fake: %s\n", err);
		_exit(1);
	}
	(void)server_run(s);
	_exit(0);
}

static int
open_listener(const struct server_scenario *sc, const char *addr,
    uint16_t *port, char *err, size_t errlen)
{
	struct sockaddr_storage	ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		sl;
	int			fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sl = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sl = sizeof(*sin6);
	} else {
		snprintf(err, errlen, "%s: not a numeric address", addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (sc->rcvbuf > 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sc->rcvbuf,
		    sizeof(sc->rcvbuf));
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1 ||
	    listen(fd, 4096) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		snprintf(err, errlen, "listener on %s: %s", addr,
		    strerror(errno));
		close(fd);
		return -1;
	}
	*port = ntohs(ss.ss_family == AF_INET ? sin->sin_port :
	    sin6->sin6_port);
	return fd;
}

struct fake *
fake_start(const char *scenario, long slow_ms, char *err, size_t errlen)
{
	return fake_start_at(scenario, "127.0.0.1", slow_ms, err, errlen);
}

struct fake *
fake_start_at(const char *scenario, const char *addr, long slow_ms,
    char *err, size_t errlen)
{
	const struct server_scenario	*sc;
	struct fake			*f;
	struct tlsgen			*tg = NULL;
	int				 lfd = -1, logp[2] = { -1, -1 };
	int				 ctlp[2] = { -1, -1 };
	pid_t				 parent = getpid();
	sigset_t			 stopsigs, oldmask;

	if ((sc = scenarios_find(scenario)) == NULL) {
		snprintf(err, errlen, "unknown scenario %s", scenario);
		return NULL;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->pid = -1;
	f->logfd = f->ctlfd = -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/fakesmtp.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		snprintf(err, errlen, "mkdtemp: %s", strerror(errno));
		f->dir[0] = '\0';
		goto fail;
	}
	snprintf(f->ca_file, sizeof(f->ca_file), "%s/ca.crt", f->dir);
	if ((tg = tlsgen_new(err, errlen)) == NULL ||
	    tlsgen_write_ca(tg, f->ca_file, err, errlen) == -1)
		goto fail;
	if ((lfd = open_listener(sc, addr, &f->port, err, errlen)) == -1)
		goto fail;
	if (pipe2(logp, O_CLOEXEC) == -1 || pipe2(ctlp, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	/* Room for a busy test's log, so the child rarely blocks on it. */
	(void)fcntl(logp[1], F_SETPIPE_SZ, 1024 * 1024);
	fflush(NULL);
	/*
	 * The child must never run this process's signal handlers: in
	 * Check's fork mode the test process has Check's SIGTERM handler,
	 * which signals the whole process group (the test included).  A
	 * fake_stop() right after fake_start() could deliver SIGTERM before
	 * the child set up its signalfd, and the test died of "signal 15".
	 * So the child is born with SIGTERM and SIGINT blocked (pending
	 * ones are read by server_watch_signals()' signalfd) and resets
	 * every handler it may have inherited before unblocking anything.
	 */
	sigemptyset(&stopsigs);
	sigaddset(&stopsigs, SIGTERM);
	sigaddset(&stopsigs, SIGINT);
	(void)pthread_sigmask(SIG_BLOCK, &stopsigs, &oldmask);
	if ((f->pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		(void)pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
		goto fail;
	}
	if (f->pid == 0) {
		child_reset_signals();
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		close(logp[0]);
		close(ctlp[1]);
		child_main(tg, sc, lfd, f->port, logp[1], ctlp[0],
		    slow_ms > 0 ? slow_ms : 2000);
	}
	(void)pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	close(lfd);
	close(logp[1]);
	close(ctlp[0]);
	f->logfd = logp[0];
	f->ctlfd = ctlp[1];
	(void)fcntl(f->logfd, F_SETFL, fcntl(f->logfd, F_GETFL) | O_NONBLOCK);
	tlsgen_free(tg);
	return f;
fail:
	if (lfd != -1)
		close(lfd);
	if (logp[0] != -1) {
		close(logp[0]);
		close(logp[1]);
	}
	if (ctlp[0] != -1) {
		close(ctlp[0]);
		close(ctlp[1]);
	}
	tlsgen_free(tg);
	if (f->dir[0] != '\0') {
		(void)unlink(f->ca_file);
		(void)rmdir(f->dir);
	}
	free(f);
	return NULL;
}

/* Monotonic clock, ms. */
static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
fake_stop(struct fake *f)
{
	if (f == NULL)
		return;
	/* The log first: a child blocked writing to a full log pipe gets
	 * EPIPE instead of never seeing its SIGTERM. */
	if (f->logfd != -1)
		close(f->logfd);
	if (f->ctlfd != -1)
		close(f->ctlfd);
	if (f->pid > 0) {
		int64_t	end = mono_ms() + 5000;
		pid_t	w;

		/* Our child, not yet reaped: the PID is still ours. */
		(void)kill(f->pid, SIGTERM);
		while ((w = waitpid(f->pid, NULL, WNOHANG)) == 0 &&
		    mono_ms() < end)
			usleep(2000);
		if (w == 0) {		/* stuck: a bounded stop all the same */
			(void)kill(f->pid, SIGKILL);
			while (waitpid(f->pid, NULL, 0) == -1 &&
			    errno == EINTR)
				;
		}
	}
	(void)unlink(f->ca_file);
	(void)rmdir(f->dir);
	free(f->log);
	free(f);
}

uint16_t
fake_port(const struct fake *f)
{
	return f->port;
}

const char *
fake_ca_file(const struct fake *f)
{
	return f->ca_file;
}

pid_t
fake_pid(const struct fake *f)
{
	return f->pid;
}

/* Count "N close:" lines in what arrived since the last count. */
static void
count_closes(struct fake *f)
{
	char	*p, *nl;

	for (;;) {
		p = f->log + f->scanned;
		nl = memchr(p, '\n', f->loglen - f->scanned);
		if (nl == NULL)
			return;
		*nl = '\0';
		if (strstr(p, " close: ") != NULL &&
		    strchr(p, ' ') == strstr(p, " close: "))
			f->nclosed++;
		*nl = '\n';
		f->scanned = (size_t)(nl - f->log) + 1;
	}
}

/* Read what is available; -1 at EOF (the child is gone). */
static int
read_log(struct fake *f)
{
	char	buf[65536];
	ssize_t	n;

	for (;;) {
		n = read(f->logfd, buf, sizeof(buf));
		if (n == 0)
			return -1;
		if (n < 0)
			return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
		if (f->loglen + (size_t)n + 1 > f->logcap) {
			size_t	 ncap = f->logcap ? f->logcap : 65536;
			char	*nl;

			while (ncap < f->loglen + (size_t)n + 1)
				ncap *= 2;
			if (ncap > LOG_MAX + 1)
				continue;	/* drop: bounded */
			if ((nl = realloc(f->log, ncap)) == NULL)
				continue;
			f->log = nl;
			f->logcap = ncap;
		}
		memcpy(f->log + f->loglen, buf, (size_t)n);
		f->loglen += (size_t)n;
		f->log[f->loglen] = '\0';
		count_closes(f);
	}
}


void
fake_poll(struct fake *f)
{
	(void)read_log(f);
}

int
fake_wait(struct fake *f, unsigned nclosed, int timeout_ms)
{
	int64_t		end = mono_ms() + timeout_ms;
	struct pollfd	pfd;

	for (;;) {
		int64_t	left;

		if (read_log(f) == -1)
			return f->nclosed >= nclosed ? 0 : -1;
		if (f->nclosed >= nclosed)
			return 0;
		left = end - mono_ms();
		if (left <= 0)
			return -1;
		pfd.fd = f->logfd;
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, (int)left);
	}
}

const char *
fake_log(const struct fake *f)
{
	return f->log != NULL ? f->log : "";
}

unsigned
fake_nclosed(const struct fake *f)
{
	return f->nclosed;
}

/* Does line (up to end) belong to conn (0: any) and contain needle? */
static int
line_match(const char *line, const char *end, unsigned conn,
    const char *needle)
{
	char	*e;
	size_t	 nl = strlen(needle);
	unsigned long id;

	if (conn != 0) {
		id = strtoul(line, &e, 10);
		if (e == line || id != conn)
			return 0;
	}
	for (; line + nl <= end; line++)
		if (memcmp(line, needle, nl) == 0)
			return 1;
	return 0;
}

long
fake_find(const struct fake *f, unsigned conn, const char *needle,
    long from)
{
	const char	*p = fake_log(f), *nl;
	long		 i = 0;

	for (; *p != '\0'; p = nl + 1, i++) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		if (i >= from && line_match(p, nl, conn, needle))
			return i;
	}
	return -1;
}

size_t
fake_count(const struct fake *f, unsigned conn, const char *needle)
{
	long	i = -1;
	size_t	n = 0;

	while ((i = fake_find(f, conn, needle, i + 1)) != -1)
		n++;
	return n;
}
