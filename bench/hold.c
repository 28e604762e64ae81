/*
 * hold.c: hostile HTTP clients for bench/loadtest (issue 6, "Load and
 * faults on the exporter").
 *
 *   hold -p PORT [-a ADDR] idle N	open N connections, send half a
 *					request, hold them (reopening what
 *					the server closes) until stdin EOF
 *   hold -p PORT [-a ADDR] malformed SECONDS
 *					send a rotation of malformed requests
 *					for SECONDS, one connection each; print
 *					how many got an answer, were closed,
 *					or hung (no byte within 2 s), and
 *					how many got a 5xx (but 505)
 *
 * Output is one line of key=value figures.  Loopback only by intent: the
 * address defaults to 127.0.0.1.  Built by bench/loadtest.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int	main(int, char **);

static struct sockaddr_in	hold_sin;

static int
dial(void)
{
	int	fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&hold_sin, sizeof(hold_sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
send_all(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static long
number(const char *s, long min, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "hold: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

/*
 * Idle clients: a request line and one header, never finished.  A
 * connection the server closes (its idle timeout) is opened again, so N
 * stay open the whole time; the count of such reopenings is reported.
 * Runs until stdin ends.
 */
static int
idle(long n)
{
	static const char	 half[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
	struct pollfd		*fds;
	struct rlimit		 rl;
	long			 i, open_ok = 0, reopened = 0, failed = 0;
	char			 buf[512];
	ssize_t			 r;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* fds[0] is stdin, fds[1..n] the connections. */
	if ((fds = calloc((size_t)n + 1, sizeof(*fds))) == NULL)
		return 1;
	fds[0].fd = 0;
	fds[0].events = POLLIN;
	for (i = 1; i <= n; i++) {
		fds[i].fd = dial();
		fds[i].events = POLLIN;
		if (fds[i].fd != -1 &&
		    send_all(fds[i].fd, half, sizeof(half) - 1) == 0)
			open_ok++;
	}
	printf("opened=%ld\n", open_ok);
	fflush(stdout);
	for (;;) {
		long	before = reopened;

		if (poll(fds, (nfds_t)n + 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[0].revents != 0) {
			if (read(0, buf, sizeof(buf)) <= 0)
				break;
		}
		for (i = 1; i <= n; i++) {
			if (fds[i].fd == -1 || fds[i].revents == 0)
				continue;
			r = recv(fds[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (r > 0 || (r < 0 && errno == EAGAIN))
				continue;	/* an error page: wait for close */
			close(fds[i].fd);
			reopened++;
			fds[i].fd = dial();
			if (fds[i].fd == -1 ||
			    send_all(fds[i].fd, half, sizeof(half) - 1) == -1)
				failed++;
		}
		if (reopened > before)
			usleep(10000);	/* no reconnect storm */
	}
	for (i = 1; i <= n; i++)
		if (fds[i].fd != -1)
			close(fds[i].fd);
	printf("opened=%ld reopened=%ld reopen_failed=%ld\n", open_ok,
	    reopened, failed);
	free(fds);
	return 0;
}

/* Malformed requests, in rotation. */
static int
malformed(long seconds)
{
#define R(s)	{ s, sizeof(s) - 1 }
	static const struct {
		const char	*s;
		size_t		 len;
	} reqs[] = {
		R("GARBAGE\r\n\r\n"),
		R("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"),
		R("GET /probe?target=%ZZ%00 HTTP/1.1\r\nHost: x\r\n\r\n"),
		R("GET /probe?target=127.0.0.1&ports=99999 HTTP/1.1\r\n\r\n"),
		R("GET /probe?target=127.0.0.1&module=nope HTTP/1.1\r\n\r\n"),
		R("GET /probe HTTP/1.1\r\nHost: x\r\n\r\n"),
		R("GET /probe?target=192.0.2.1 HTTP/1.1\r\nHost: x\r\n\r\n"),
		R("GET /probe?target=127.0.0.1&ports=1,2,3,4,5,6,7,8,9,10,11,12,"
		    "13,14,15,16,17 HTTP/1.1\r\n\r\n"),
		R("DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
		R("GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n"),
		R("GET /metrics HTTP/1.1\r\nNoColonHeader\r\n\r\n"),
		R("GET /metrics HTTP/1.1\r\nHost: x\0y\r\n\r\n"),
		R("POST /-/reload HTTP/1.1\r\nContent-Length: 99999999\r\n\r\nab"),
		R("GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "zz\r\n"),
		R("GET /%s%n%x HTTP/1.1\r\nHost: x\r\n\r\n"),
	};
#undef R
	const size_t	 nreqs = sizeof(reqs) / sizeof(reqs[0]);
	char		*big, buf[4096];
	struct pollfd	 pfd;
	time_t		 end = time(NULL) + seconds;
	long		 sent = 0, answered = 0, closed = 0, hung = 0;
	long		 refused = 0, c5xx = 0;
	size_t		 i = 0, len;
	ssize_t		 r;
	int		 fd;

	/* Oversized request line and header (MHD answers 414 / 431). */
	if ((big = malloc(70000)) == NULL)
		return 1;
	while (time(NULL) < end) {
		const char *req;

		if ((fd = dial()) == -1) {
			refused++;
			usleep(10000);
			continue;
		}
		if (i % (nreqs + 2) < nreqs) {
			req = reqs[i % (nreqs + 2)].s;
			len = reqs[i % (nreqs + 2)].len;
		} else if (i % (nreqs + 2) == nreqs) {
			memcpy(big, "GET /", 5);
			memset(big + 5, 'A', 65000);
			memcpy(big + 65005, " HTTP/1.1\r\n\r\n", 14);
			req = big;
			len = 65005 + 13;
		} else {
			memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
			memset(big + 19, 'B', 65000);
			memcpy(big + 65019, "\r\n\r\n", 5);
			req = big;
			len = 65019 + 4;
		}
		i++;
		sent++;
		(void)send_all(fd, req, len);
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 2000) <= 0) {
			hung++;
		} else {
			r = recv(fd, buf, sizeof(buf) - 1, 0);
			if (r > 0) {
				answered++;
				buf[r] = '\0';
				/* 505 is the right answer to HTTP/9.9. */
				if (strncmp(buf, "HTTP/1.", 7) == 0 &&
				    buf[9] == '5' && strncmp(buf + 9, "505", 3) != 0)
					c5xx++;
			} else
				closed++;
		}
		close(fd);
	}
	free(big);
	printf("sent=%ld answered=%ld closed=%ld hung=%ld refused=%ld "
	    "http_5xx=%ld\n", sent, answered, closed, hung, refused, c5xx);
	return 0;
}

int
main(int argc, char **argv)
{
	const char	*addr = "127.0.0.1";
	long		 port = 0;
	int		 c;

	while ((c = getopt(argc, argv, "a:p:")) != -1) {
		switch (c) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = number(optarg, 1, 65535);
			break;
		default:
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	memset(&hold_sin, 0, sizeof(hold_sin));
	hold_sin.sin_family = AF_INET;
	hold_sin.sin_port = htons((uint16_t)port);
	if (port == 0 || argc != 2 ||
	    inet_pton(AF_INET, addr, &hold_sin.sin_addr) != 1) {
		fprintf(stderr, "usage: hold -p PORT [-a ADDR] "
		    "idle N | malformed SECONDS\n");
		return 2;
	}
	if (strcmp(argv[0], "idle") == 0)
		return idle(number(argv[1], 1, 100000));
	if (strcmp(argv[0], "malformed") == 0)
		return malformed(number(argv[1], 1, 3600));
	fprintf(stderr, "hold: unknown mode '%s'\n", argv[0]);
	return 2;
}
