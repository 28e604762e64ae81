/*
 * allow.h: the /probe target allowlist (PRODUCT.md "Allowlist"): which
 * hosts the exporter may send packets to on a client's behalf.
 */
#ifndef EXPORTER_ALLOW_H
#define EXPORTER_ALLOW_H

#include <stddef.h>

enum allow_kind {
	ALLOW_ANY,		/* "*" */
	ALLOW_NAME,		/* "mx.example.org": that name exactly */
	ALLOW_SUFFIX,		/* "*.example.org": any name below it */
	ALLOW_CIDR4,		/* "192.0.2.0/24", "192.0.2.7" */
	ALLOW_CIDR6,		/* "2001:db8::/32", "::1" */
	ALLOW_KIND_COUNT
};

struct allow_rule {
	enum allow_kind	 kind;
	char		 name[256];	/* lower case, no trailing dot; for
					   SUFFIX with the leading '.' */
	unsigned char	 addr[16];	/* network, masked */
	int		 prefix;
};

struct allow_list {
	struct allow_rule	*rules;	/* owned */
	size_t			 n;
	int			 has_cidr;	/* a CIDR rule exists */
	int			 any;		/* "*" present */
};

enum allow_verdict {
	ALLOW_VERDICT_YES,
	ALLOW_VERDICT_NO,
	ALLOW_VERDICT_RESOLVE,	/* a name only CIDR rules could allow:
				   resolve it, then allow_addresses() */
	ALLOW_VERDICT_COUNT
};

void	 allow_init(struct allow_list *);
void	 allow_free(struct allow_list *);
/* Add one rule; -1 with a reason in err for a malformed pattern. */
int	 allow_add(struct allow_list *, const char *pattern, char *err,
	    size_t errlen);
/* The list used without a config file: 127.0.0.0/8, ::1, localhost. */
int	 allow_set_loopback(struct allow_list *);

/*
 * Judge host (a name or an IP literal, as the client gave it).  A name
 * matched by a name rule is allowed with whatever it resolves to; an IP
 * literal is allowed if a CIDR rule holds it; a name no name rule matches
 * needs resolving when CIDR rules exist, else it is denied (so a
 * name-pattern-only list never needs DNS to deny).
 */
enum allow_verdict allow_check(const struct allow_list *, const char *host);
/* 1 if naddrs > 0 and every numeric address is inside some CIDR rule. */
int	 allow_addresses(const struct allow_list *, const char *const *addrs,
	    size_t naddrs);
/* 1 if s is an IPv4 or IPv6 literal. */
int	 allow_is_ip_literal(const char *s);

#endif
