/*
 * dns.h: a tiny scripted DNS responder on a loopback UDP port, for tests
 * of the resolver (and of front ends' --dns-server).  It runs in a thread
 * of the calling process, so a Check test starts it in-process, points
 * the resolver at fakedns_server(), and afterwards asks what it was asked.
 *
 * Rules map a name to answers: A, AAAA and MX records (MX "0 ." is a
 * null MX, RFC 7505), or NXDOMAIN, SERVFAIL, or silence (never answer)
 * for every query type.  A name with rules but none of the asked type gets
 * NOERROR with no answer (NODATA); a name without rules gets NXDOMAIN.
 * Names compare case-insensitively, a trailing dot ignored.  UDP only:
 * an answer larger than the query allows (512 octets, or its EDNS size)
 * is sent truncated (TC), and the client's TCP retry is refused.
 */
#ifndef TESTS_FAKE_DNS_H
#define TESTS_FAKE_DNS_H

#include <stddef.h>
#include <stdint.h>

enum fakedns_kind {
	FAKEDNS_A,		/* data: "192.0.2.1" */
	FAKEDNS_AAAA,		/* data: "2001:db8::1" */
	FAKEDNS_MX,		/* data: "10 mx.example.test" or "0 ." */
	FAKEDNS_NXDOMAIN,	/* data: NULL; every query type */
	FAKEDNS_SERVFAIL,	/* data: NULL; every query type */
	FAKEDNS_SILENT,		/* data: NULL; queries are never answered */
	FAKEDNS_KIND_COUNT
};

#define FAKEDNS_MAX_RULES	128

struct fakedns;

/* Start on 127.0.0.1, an ephemeral port.  NULL with a reason in err. */
struct fakedns	*fakedns_start(char *err, size_t errlen);
/* Stop the thread, close the socket, free.  NULL ok. */
void		 fakedns_stop(struct fakedns *);
/* Add a rule (thread-safe; normally before the first query).  Returns 0,
 * or -1 on a bad argument or a full table. */
int		 fakedns_add(struct fakedns *, const char *name,
		    enum fakedns_kind, const char *data);
uint16_t	 fakedns_port(const struct fakedns *);
/* "127.0.0.1:PORT", for dns_servers / --dns-server. */
const char	*fakedns_server(const struct fakedns *);
/* Queries received for name and qtype (1 A, 28 AAAA, 15 MX; 0 any); name
 * NULL: for any name. */
unsigned	 fakedns_queries(struct fakedns *, const char *name,
		    unsigned qtype);

#endif
