/*
 * sock.c: non-blocking TCP sockets for the probe engine: connect with an
 * optional source address, connect completion, MSG_NOSIGNAL sends,
 * TCP_QUICKACK re-armed before reads, errno -> outcome mapping.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sock.h"

int
sock_addr_parse(struct sock_addr *sa, const char *text, uint16_t port)
{
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;

	memset(sa, 0, sizeof(*sa));
	sin = (struct sockaddr_in *)&sa->ss;
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sa->len = sizeof(*sin);
		sa->family = AF_INET;
		return 0;
	}
	sin6 = (struct sockaddr_in6 *)&sa->ss;
	if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sa->len = sizeof(*sin6);
		sa->family = AF_INET6;
		return 0;
	}
	return -1;
}

int
sock_connect(const struct sock_addr *sa, const struct sock_addr *src,
    int *bind_failed)
{
	int	fd, on = 1, saved;

	*bind_failed = 0;
	fd = socket(sa->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_TCP);
	if (fd == -1)
		return -1;
	/* Small writes of a dialogue must leave at once (no Nagle). */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
		goto fail;
	if (src != NULL) {
		if (bind(fd, (const struct sockaddr *)&src->ss,
		    src->len) == -1) {
			*bind_failed = 1;
			goto fail;
		}
	}
	if (connect(fd, (const struct sockaddr *)&sa->ss, sa->len) == -1 &&
	    errno != EINPROGRESS)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
sock_connect_result(int fd, int ready)
{
	struct pollfd	pfd;
	int		err = 0;
	socklen_t	len = sizeof(err);

	if (!ready) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) == -1)
			return -1;
		if (pfd.revents == 0)
			return 0;
	}
	/* Finishing a non-blocking connect: SO_ERROR says how it went. */
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return -1;
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 1;
}

ssize_t
sock_send(int fd, const void *buf, size_t len)
{
	ssize_t	n;

	do {
		n = send(fd, buf, len, MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	return n;
}

ssize_t
sock_recv(int fd, void *buf, size_t len, int quickack)
{
	ssize_t	n;
	int	on = 1;

	/*
	 * TCP_QUICKACK is not sticky: the kernel drops back to delayed
	 * ACKs on its own, so it is re-armed before every read.  A failure
	 * only costs latency accuracy, never correctness.
	 */
	if (quickack)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on,
		    sizeof(on));
	do {
		n = recv(fd, buf, len, 0);
	} while (n == -1 && errno == EINTR);
	return n;
}

enum smtpprobe_outcome
sock_errno_outcome(int err, int connected)
{
	switch (err) {
	case ECONNREFUSED:
		return connected ? SMTPPROBE_OUTCOME_RESET :
		    SMTPPROBE_OUTCOME_REFUSED;
	case ECONNRESET:
	case ECONNABORTED:
		/* Only a RST to the SYN is "refused" (ECONNREFUSED); this
		 * one came after the handshake, even if connect() had not
		 * been seen to complete yet. */
		return SMTPPROBE_OUTCOME_RESET;
	case EPIPE:
		return SMTPPROBE_OUTCOME_CLOSED;
	case ETIMEDOUT:
		return SMTPPROBE_OUTCOME_TIMEOUT;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case EACCES:
	case EPERM:
	case EADDRNOTAVAIL:
	case EAFNOSUPPORT:
		return SMTPPROBE_OUTCOME_UNREACHABLE;
	case ENOMEM:
	case ENOBUFS:
	case EMFILE:
	case ENFILE:
		return SMTPPROBE_OUTCOME_INTERNAL;
	default:
		return connected ? SMTPPROBE_OUTCOME_RESET :
		    SMTPPROBE_OUTCOME_UNREACHABLE;
	}
}

int
sock_local_literal(int fd, char *buf, size_t len)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	char			 a[INET6_ADDRSTRLEN];
	const void		*src;
	int			 n;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		return -1;
	if (ss.ss_family == AF_INET)
		src = &((struct sockaddr_in *)&ss)->sin_addr;
	else if (ss.ss_family == AF_INET6)
		src = &((struct sockaddr_in6 *)&ss)->sin6_addr;
	else
		return -1;
	if (inet_ntop(ss.ss_family, src, a, sizeof(a)) == NULL)
		return -1;
	/* RFC 5321 §4.1.3 address literals. */
	n = snprintf(buf, len, ss.ss_family == AF_INET ? "[%s]" : "[IPv6:%s]",
	    a);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}
