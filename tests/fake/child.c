/*
 * child.c: the fakesmtp program as a child of a test (child.h): fork and
 * exec with a pipe as its stdin, its "SCENARIO PORT" lines read up to
 * "READY" within a bound, a bounded stop; and the loopback listeners the
 * raw-socket tests make.  Used by the Check suites only (libfake.a), so
 * it reports failures as -1 and a reason instead of asserting.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "child.h"

#define CHILD_OUT_MAX	4096	/* what it may print before READY */
#define CHILD_STOP_MS	5000	/* SIGTERM to SIGKILL */

void
child_init(struct child *c)
{
	memset(c, 0, sizeof(*c));
	c->pid = -1;
	c->in = -1;
	c->status = -1;
}

int64_t
child_clock_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * In the forked child, before exec (async-signal-safe calls only: the
 * test may have threads).  Every signal gets its default action back, so
 * neither a handler the test framework installed (Check's SIGTERM
 * handler kills the whole process group) nor an ignored SIGPIPE reaches
 * the program; then the mask the parent had before the fork.
 */
static void
exec_child(char *const argv[], int in, int out, int quiet,
    const sigset_t *mask)
{
	struct sigaction	 dfl;
	int			 sig, null;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &dfl, NULL);
	/* dup2() of an fd onto itself keeps its close-on-exec flag. */
	if (in == STDIN_FILENO)
		(void)fcntl(in, F_SETFD, 0);
	else if (dup2(in, STDIN_FILENO) == -1)
		_exit(127);
	if (out == STDOUT_FILENO)
		(void)fcntl(out, F_SETFD, 0);
	else if (dup2(out, STDOUT_FILENO) == -1)
		_exit(127);
	if (quiet && (null = open("/dev/null", O_WRONLY)) != -1)
		(void)dup2(null, STDERR_FILENO);
	(void)sigprocmask(SIG_SETMASK, mask, NULL);
	execv(argv[0], argv);
	_exit(127);
}

/*
 * Take the complete lines of buf[0..*len) off its front: "NAME PORT"
 * lines into the table, "READY" ends.  1 on READY, 0 for more to read,
 * -1 with a reason on a line that is neither.
 */
static int
parse_lines(struct child *c, char *buf, size_t *len, char *err,
    size_t errlen)
{
	char		*nl, *sp, *end;
	unsigned long	 port;
	size_t		 used;

	while ((nl = memchr(buf, '\n', *len)) != NULL) {
		*nl = '\0';
		if (strcmp(buf, "READY") == 0)
			return 1;
		sp = strchr(buf, ' ');
		errno = 0;
		port = sp != NULL ? strtoul(sp + 1, &end, 10) : 0;
		if (sp == NULL || sp == buf || (size_t)(sp - buf) >=
		    CHILD_NAME_MAX || errno != 0 || end == sp + 1 ||
		    *end != '\0' || port == 0 || port > 65535) {
			snprintf(err, errlen, "not \"NAME PORT\" nor READY: "
			    "\"%.64s\"", buf);
			return -1;
		}
		if (c->nscen == CHILD_SCEN_MAX) {
			snprintf(err, errlen, "more than %d scenarios",
			    CHILD_SCEN_MAX);
			return -1;
		}
		memcpy(c->scen[c->nscen].name, buf, (size_t)(sp - buf));
		c->scen[c->nscen].name[sp - buf] = '\0';
		c->scen[c->nscen++].port = (uint16_t)port;
		used = (size_t)(nl - buf) + 1;
		memmove(buf, nl + 1, *len - used);
		*len -= used;
	}
	return 0;
}

/*
 * Read the child's stdout (fd) until READY, EOF or end (ms).  1 on READY,
 * 0 on EOF, -1 with a reason (a bad line, too much, the deadline).
 */
static int
read_ready(struct child *c, int fd, int64_t end, char *err, size_t errlen)
{
	char	 buf[CHILD_OUT_MAX];
	size_t	 len = 0;
	ssize_t	 n;
	int	 r;

	for (;;) {
		struct pollfd	pfd = { fd, POLLIN, 0 };
		int64_t		left = end - child_clock_ms();

		if (left <= 0) {
			snprintf(err, errlen, "no READY within the deadline "
			    "(%zu scenarios read)", c->nscen);
			return -1;
		}
		r = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
		if (r == -1 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return -1;
		}
		if (r <= 0)
			continue;
		if (len == sizeof(buf) - 1) {
			snprintf(err, errlen, "a line longer than %zu bytes",
			    sizeof(buf) - 1);
			return -1;
		}
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1) {
			snprintf(err, errlen, "read: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		len += (size_t)n;
		if ((r = parse_lines(c, buf, &len, err, errlen)) != 0)
			return r;
	}
}

/* Remove the CHILD_TLS_DIR and what fakesmtp writes there (ca.crt). */
static void
remove_tls_dir(struct child *c)
{
	if (c->tls_dir[0] == '\0')
		return;
	(void)unlink(c->ca_file);
	(void)rmdir(c->tls_dir);
	c->tls_dir[0] = '\0';
	c->ca_file[0] = '\0';
}

/* Everything child_start() needs before the fork: argv, the TLS dir. */
static int
make_argv(struct child *c, char **argv, const char *prog,
    const char *const args[], int flags, char *err, size_t errlen)
{
	size_t	 n = 0, i;

	/* execv() takes char *const[] and changes none of them. */
	memcpy(&argv[n++], &prog, sizeof(argv[0]));
	if (flags & CHILD_TLS_DIR) {
		snprintf(c->tls_dir, sizeof(c->tls_dir),
		    "/tmp/fakesmtp-child.XXXXXX");
		if (mkdtemp(c->tls_dir) == NULL) {
			snprintf(err, errlen, "mkdtemp: %s", strerror(errno));
			c->tls_dir[0] = '\0';
			return -1;
		}
		snprintf(c->ca_file, sizeof(c->ca_file), "%s/ca.crt",
		    c->tls_dir);
		argv[n++] = (char *)(uintptr_t)"--tls-dir";
		argv[n++] = c->tls_dir;
	}
	for (i = 0; args != NULL && args[i] != NULL; i++) {
		if (i == CHILD_ARGS_MAX) {
			snprintf(err, errlen, "more than %d arguments",
			    CHILD_ARGS_MAX);
			remove_tls_dir(c);
			return -1;
		}
		memcpy(&argv[n++], &args[i], sizeof(argv[0]));
	}
	argv[n] = NULL;
	return 0;
}

int
child_start(struct child *c, const char *prog, const char *const args[],
    int flags, int timeout_ms, char *err, size_t errlen)
{
	char		*argv[CHILD_ARGS_MAX + 4];
	int		 in[2], out[2], r, st;
	sigset_t	 all, old;
	int64_t		 end = child_clock_ms() + timeout_ms;
	char		 why[192];

	child_init(c);
	if (make_argv(c, argv, prog, args, flags, err, errlen) == -1)
		return -1;
	if (pipe2(in, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		remove_tls_dir(c);
		return -1;
	}
	if (pipe2(out, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		remove_tls_dir(c);
		return -1;
	}
	fflush(NULL);
	/* No signal is handled in the child until it has reset them all. */
	sigfillset(&all);
	(void)pthread_sigmask(SIG_BLOCK, &all, &old);
	if ((c->pid = fork()) == 0)
		exec_child(argv, in[0], out[1], flags & CHILD_QUIET, &old);
	st = errno;
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(in[0]);
	close(out[1]);
	if (c->pid == -1) {
		snprintf(err, errlen, "fork: %s", strerror(st));
		close(in[1]);
		close(out[0]);
		remove_tls_dir(c);
		return -1;
	}
	c->in = in[1];
	r = read_ready(c, out[0], end, why, sizeof(why));
	close(out[0]);
	if (r == 1)
		return 0;
	if (r == 0) {
		/* It closed its stdout: it is exiting; collect its status. */
		st = child_wait(c, (int)(end - child_clock_ms() > 1000 ?
		    end - child_clock_ms() : 1000));
		snprintf(err, errlen, "%s exited (status %d) before READY",
		    prog, st);
	} else {
		snprintf(err, errlen, "%s: %s", prog, why);
		if (c->pid > 0)
			(void)kill(c->pid, SIGKILL);
	}
	(void)child_stop(c);
	return -1;
}

uint16_t
child_port(const struct child *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < c->nscen; i++)
		if (strcmp(c->scen[i].name, name) == 0)
			return c->scen[i].port;
	return 0;
}

int
child_wait(struct child *c, int timeout_ms)
{
	int64_t	 end = child_clock_ms() + timeout_ms;
	int	 st, delay_us = 1000;
	pid_t	 r;

	if (c->pid <= 0)
		return c->status;
	for (;;) {
		r = waitpid(c->pid, &st, WNOHANG);
		if (r == c->pid)
			break;
		if (r == -1 && errno != EINTR) {
			/* Not ours to wait for (reaped elsewhere). */
			c->pid = -1;
			return c->status = -1;
		}
		if (child_clock_ms() >= end) {
			(void)kill(c->pid, SIGKILL);
			(void)waitpid(c->pid, NULL, 0);
			c->pid = -1;
			return c->status = -1;
		}
		/* 1 ms first (a quick exit is seen at once), then 20 ms. */
		usleep((useconds_t)delay_us);
		if (delay_us < 20000)
			delay_us *= 2;
	}
	c->pid = -1;
	if (WIFEXITED(st))
		c->status = WEXITSTATUS(st);
	else
		c->status = 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return c->status;
}

int
child_stop(struct child *c)
{
	if (c->pid > 0)
		(void)kill(c->pid, SIGTERM);
	if (c->in != -1) {
		close(c->in);
		c->in = -1;
	}
	(void)child_wait(c, CHILD_STOP_MS);
	remove_tls_dir(c);
	return c->status;
}

int
child_listener(const char *addr, int type, int backlog, uint16_t *port,
    char *err, size_t errlen)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	int			 fd, on = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(*port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		snprintf(err, errlen, "not an IPv4 address: %s", addr);
		return -1;
	}
	if ((fd = socket(AF_INET, type | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* TCP only: on UDP it would let two sockets share a port. */
	if (type == SOCK_STREAM)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    (type == SOCK_STREAM && listen(fd, backlog) == -1) ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == -1) {
		snprintf(err, errlen, "%s:%u: %s", addr, (unsigned)*port,
		    strerror(errno));
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

uint16_t
child_closed_port(void)
{
	char		 err[128];
	uint16_t	 port = 0;
	int		 fd;

	fd = child_listener("127.0.0.1", SOCK_STREAM, 1, &port, err,
	    sizeof(err));
	if (fd == -1)
		return 0;
	close(fd);
	return port;
}

int
child_http(uint16_t port, int tls, const char *method, const char *path,
    const char *headers, int timeout_ms, char **resp, X509 **peer)
{
	struct sockaddr_in	 sin;
	SSL_CTX			*ctx = NULL;
	SSL			*ssl = NULL;
	char			*req = NULL, *buf = NULL;
	size_t			 len = 0, cap = 65536, rl;
	int64_t			 end = child_clock_ms() + timeout_ms;
	int			 fd, n, status = -1;

	*resp = NULL;
	if (peer != NULL)
		*peer = NULL;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		goto out;
	if (headers == NULL)
		headers = "";
	rl = strlen(method) + strlen(path) + strlen(headers) + 64;
	if ((req = malloc(rl)) == NULL)
		goto out;
	snprintf(req, rl, "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%s\r\n",
	    method, path, headers);
	rl = strlen(req);
	if (tls) {
		/* the handshake, bounded like the reads */
		struct timeval tv = { timeout_ms / 1000,
		    (timeout_ms % 1000) * 1000 };

		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
		    (ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
		    SSL_connect(ssl) != 1)
			goto out;
		if (peer != NULL)
			*peer = SSL_get1_peer_certificate(ssl);
		if (SSL_write(ssl, req, (int)rl) != (int)rl)
			goto out;
	} else if (send(fd, req, rl, MSG_NOSIGNAL) != (ssize_t)rl)
		goto out;
	if ((buf = malloc(cap)) == NULL)
		goto out;
	for (;;) {
		struct pollfd	pfd = { fd, POLLIN, 0 };

		if (child_clock_ms() > end)
			break;
		if ((ssl == NULL || SSL_pending(ssl) == 0) &&
		    poll(&pfd, 1, 100) <= 0)
			continue;
		if (len + 4096 + 1 > cap) {
			char	*nb = realloc(buf, cap * 2);

			if (nb == NULL)
				break;
			buf = nb;
			cap *= 2;
		}
		n = ssl != NULL ? SSL_read(ssl, buf + len, 4096) :
		    (int)read(fd, buf + len, 4096);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		status = -1;
	*resp = buf;
	buf = NULL;
out:
	free(buf);
	free(req);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return status;
}
