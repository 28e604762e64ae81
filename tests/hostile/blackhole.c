/*
 * blackhole.c: loopback sockets that never answer, for the deadline tests
 * of tests/hostile/run (issue 6, "Deadlines").
 *
 *   blackhole [--tcp N] [--udp]
 *
 * --tcp N makes N TCP listeners on 127.0.0.1 whose accept queue is full
 * (listen backlog 0, one connection queued and never accepted): the kernel
 * then drops every further SYN, so a client's connect() hangs exactly as
 * behind a firewall DROP rule, without root or nft.  --udp binds a UDP
 * socket on 127.0.0.1 that reads nothing and answers nothing (a dead DNS
 * server).  It prints "tcp PORT" / "udp PORT" lines, then "READY", and
 * holds everything until its stdin reaches EOF (so a dying test takes it
 * along) or SIGTERM.
 *
 * Built by the test script itself; not part of the product.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLACKHOLE_MAX	64

int	main(int, char **);

/* Bind a socket of type to 127.0.0.1:0; returns the fd and the port. */
static int
bind_loopback(int type, unsigned *port)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd;

	if ((fd = socket(AF_INET, type, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/*
 * Fill the accept queue of the listener on port: with backlog 0 Linux
 * queues one connection (sk_acceptq_is_full() is "queued > backlog"), and
 * drops the SYNs of every later one.  Returns the filler's fd.
 */
static int
fill_queue(unsigned port)
{
	struct sockaddr_in	sin;
	int			fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static long
parse_count(const char *s)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 ||
	    v > BLACKHOLE_MAX)
		return -1;
	return v;
}

int
main(int argc, char **argv)
{
	struct pollfd	pfd;
	long		ntcp = 0;
	int		udp = 0, i, fd;
	unsigned	port;
	char		buf[256];

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--tcp") == 0 && i + 1 < argc) {
			if ((ntcp = parse_count(argv[++i])) < 0) {
				fprintf(stderr, "blackhole: bad count\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--udp") == 0)
			udp = 1;
		else {
			fprintf(stderr, "usage: blackhole [--tcp N] [--udp]\n");
			return 2;
		}
	}
	for (i = 0; i < ntcp; i++) {
		if ((fd = bind_loopback(SOCK_STREAM, &port)) == -1 ||
		    listen(fd, 0) == -1 || fill_queue(port) == -1) {
			perror("blackhole: tcp");
			return 1;
		}
		printf("tcp %u\n", port);
	}
	if (udp) {
		if (bind_loopback(SOCK_DGRAM, &port) == -1) {
			perror("blackhole: udp");
			return 1;
		}
		printf("udp %u\n", port);
	}
	printf("READY\n");
	fflush(stdout);
	/* Hold the sockets until stdin ends. */
	pfd.fd = 0;
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (read(0, buf, sizeof(buf)) <= 0)
			return 0;
	}
}
