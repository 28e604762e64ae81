/*
 * sock.h: non-blocking TCP sockets for the probe engine.  Internal.
 *
 * Every socket is SOCK_NONBLOCK | SOCK_CLOEXEC with TCP_NODELAY; sends use
 * MSG_NOSIGNAL so the library never raises SIGPIPE; reads re-arm
 * TCP_QUICKACK first (unless told not to), which keeps the kernel from
 * delaying the ACK of a server's TLS session tickets by ~40 ms and so keeps
 * the measured latencies the server's own (see PRODUCT.md, "Latency
 * figures must be true").
 */
#ifndef LIB_SOCK_H
#define LIB_SOCK_H

#include <sys/types.h>
#include <sys/socket.h>
#include <stddef.h>

#include "smtpprobe.h"

/* A parsed numeric address with its port. */
struct sock_addr {
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			family;
};

/*
 * Parse a numeric IPv4 or IPv6 address (no brackets, no scope) with port
 * into sa.  Returns 0, or -1 if text is not an IP literal.
 */
int		 sock_addr_parse(struct sock_addr *sa, const char *text,
		    uint16_t port);

/*
 * Start a non-blocking connect to sa, bound first to src if src is not
 * NULL.  Returns the descriptor (connect in progress or done), or -1 with
 * errno set.  *bind_failed is set to 1 if the bind to src failed (a local
 * configuration problem, not the server's).
 */
int		 sock_connect(const struct sock_addr *sa,
		    const struct sock_addr *src, int *bind_failed);

/*
 * Non-blocking check of a connecting socket: 1 connected, 0 still in
 * progress, -1 failed (errno set to the connect error).
 */
int		 sock_connect_result(int fd, int ready);

/* send(2) with MSG_NOSIGNAL; returns bytes sent, or -1 with errno
 * (EAGAIN: try again when writable). */
ssize_t		 sock_send(int fd, const void *buf, size_t len);

/* recv(2), re-arming TCP_QUICKACK first when quickack is set; returns
 * bytes, 0 on EOF, -1 with errno. */
ssize_t		 sock_recv(int fd, void *buf, size_t len, int quickack);

/* The outcome a socket errno means once connected (reset, closed,
 * unreachable, timeout) or while connecting (refused, unreachable...). */
enum smtpprobe_outcome sock_errno_outcome(int err, int connected);

/* "[192.0.2.1]" or "[IPv6:2001:db8::1]" for the local end of fd
 * (RFC 5321 §4.1.3), into buf; returns 0, or -1. */
int		 sock_local_literal(int fd, char *buf, size_t len);

#endif
