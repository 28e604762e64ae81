/*
 * allow.c: the /probe allowlist.  Rules are name patterns ("*.example.org"
 * allows any name below example.org and what it resolves to), CIDRs (v4,
 * v6; an IPv4-mapped IPv6 address is judged as IPv4) and "*".  Names are
 * compared case-insensitively without a trailing dot (RFC 4343).
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allow.h"

#define ALLOW_MAX_RULES	4096

void
allow_init(struct allow_list *a)
{
	memset(a, 0, sizeof(*a));
}

void
allow_free(struct allow_list *a)
{
	if (a == NULL)
		return;
	free(a->rules);
	memset(a, 0, sizeof(*a));
}

/*
 * Parse an IP literal into 16 bytes; *family AF_INET (first 4 bytes) or
 * AF_INET6.  A v4-mapped v6 address comes back as AF_INET.  0 or -1.
 */
static int
allow_parse_ip(const char *s, unsigned char out[16], int *family)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		if (memcmp(out, mapped, sizeof(mapped)) == 0) {
			memmove(out, out + 12, 4);
			memset(out + 4, 0, 12);
			*family = AF_INET;
		} else
			*family = AF_INET6;
		return 0;
	}
	return -1;
}

int
allow_is_ip_literal(const char *s)
{
	unsigned char	 a[16];
	int		 f;

	return allow_parse_ip(s, a, &f) == 0;
}

/* Lower-case s into dst without a trailing dot; -1 if not a host name
 * (letters, digits, '-', '_', '.', no empty label, <= 253 octets). */
static int
allow_norm_name(const char *s, char *dst, size_t len)
{
	size_t	 n = strlen(s), i;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > 253 || n >= len)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '-' && c != '_' && c != '.')
			return -1;
		if (c == '.' && (i == 0 || s[i - 1] == '.'))
			return -1;
		dst[i] = (char)tolower(c);
	}
	dst[n] = '\0';
	return 0;
}

static void
allow_mask(unsigned char a[16], int prefix)
{
	int	 i;

	for (i = 0; i < 16; i++) {
		if (prefix >= 8)
			prefix -= 8;
		else {
			a[i] &= (unsigned char)(0xff << (8 - prefix));
			prefix = 0;
		}
	}
}

static int
allow_push(struct allow_list *a, const struct allow_rule *r)
{
	struct allow_rule	*n;

	if (a->n >= ALLOW_MAX_RULES)
		return -1;
	if ((n = realloc(a->rules, (a->n + 1) * sizeof(*n))) == NULL)
		return -1;
	a->rules = n;
	a->rules[a->n++] = *r;
	if (r->kind == ALLOW_CIDR4 || r->kind == ALLOW_CIDR6)
		a->has_cidr = 1;
	if (r->kind == ALLOW_ANY)
		a->any = 1;
	return 0;
}

int
allow_add(struct allow_list *a, const char *pat, char *err, size_t errlen)
{
	struct allow_rule	 r;
	char			 ip[64], *end;
	const char		*slash;
	unsigned char		 norm[16];
	long			 prefix;
	int			 family, maxp;

	memset(&r, 0, sizeof(r));
	if (strcmp(pat, "*") == 0) {
		r.kind = ALLOW_ANY;
	} else if ((slash = strchr(pat, '/')) != NULL ||
	    strchr(pat, ':') != NULL || allow_is_ip_literal(pat)) {
		size_t iplen = slash != NULL ? (size_t)(slash - pat) :
		    strlen(pat);

		if (iplen == 0 || iplen >= sizeof(ip)) {
			snprintf(err, errlen, "bad CIDR \"%.64s\"", pat);
			return -1;
		}
		memcpy(ip, pat, iplen);
		ip[iplen] = '\0';
		if (allow_parse_ip(ip, norm, &family) == -1 ||
		    (family == AF_INET && strchr(ip, ':') != NULL)) {
			/* a v4-mapped network would change the prefix */
			snprintf(err, errlen, "bad CIDR \"%.64s\": not an IP "
			    "address", pat);
			return -1;
		}
		maxp = family == AF_INET ? 32 : 128;
		prefix = maxp;
		if (slash != NULL) {
			errno = 0;
			prefix = strtol(slash + 1, &end, 10);
			if (slash[1] == '\0' || *end != '\0' || errno != 0 ||
			    !isdigit((unsigned char)slash[1]) || prefix < 0 ||
			    prefix > maxp) {
				snprintf(err, errlen, "bad CIDR \"%.64s\": "
				    "prefix length must be 0..%d", pat, maxp);
				return -1;
			}
		}
		r.kind = family == AF_INET ? ALLOW_CIDR4 : ALLOW_CIDR6;
		r.prefix = (int)prefix;
		memcpy(r.addr, norm, 16);
		allow_mask(r.addr, r.prefix);
	} else if (strncmp(pat, "*.", 2) == 0) {
		r.kind = ALLOW_SUFFIX;
		r.name[0] = '.';
		if (allow_norm_name(pat + 2, r.name + 1,
		    sizeof(r.name) - 1) == -1) {
			snprintf(err, errlen, "bad name pattern \"%.64s\"", pat);
			return -1;
		}
	} else {
		r.kind = ALLOW_NAME;
		if (strchr(pat, '*') != NULL ||
		    allow_norm_name(pat, r.name, sizeof(r.name)) == -1) {
			snprintf(err, errlen, "bad name pattern \"%.64s\" "
			    "(use \"*.example.org\", a name, a CIDR or \"*\")",
			    pat);
			return -1;
		}
	}
	if (allow_push(a, &r) == -1) {
		snprintf(err, errlen, "too many allow_targets rules");
		return -1;
	}
	return 0;
}

int
allow_set_loopback(struct allow_list *a)
{
	char	 err[128];

	if (allow_add(a, "127.0.0.0/8", err, sizeof(err)) == -1 ||
	    allow_add(a, "::1/128", err, sizeof(err)) == -1 ||
	    allow_add(a, "localhost", err, sizeof(err)) == -1)
		return -1;
	return 0;
}

/* 1 if the parsed address is inside a CIDR rule. */
static int
allow_addr_in(const struct allow_list *a, const unsigned char ad[16],
    int family)
{
	unsigned char	 m[16];
	size_t		 i;

	for (i = 0; i < a->n; i++) {
		const struct allow_rule *r = &a->rules[i];

		if ((r->kind == ALLOW_CIDR4 && family == AF_INET) ||
		    (r->kind == ALLOW_CIDR6 && family == AF_INET6)) {
			memcpy(m, ad, 16);
			allow_mask(m, r->prefix);
			if (memcmp(m, r->addr, 16) == 0)
				return 1;
		}
	}
	return 0;
}

enum allow_verdict
allow_check(const struct allow_list *a, const char *host)
{
	unsigned char	 ad[16];
	char		 name[256];
	size_t		 i, nl, sl;
	int		 family;

	if (a->any)
		return ALLOW_VERDICT_YES;
	if (allow_parse_ip(host, ad, &family) == 0)
		return allow_addr_in(a, ad, family) ? ALLOW_VERDICT_YES :
		    ALLOW_VERDICT_NO;
	if (allow_norm_name(host, name, sizeof(name)) == -1)
		return ALLOW_VERDICT_NO;
	nl = strlen(name);
	for (i = 0; i < a->n; i++) {
		const struct allow_rule *r = &a->rules[i];

		if (r->kind == ALLOW_NAME && strcmp(r->name, name) == 0)
			return ALLOW_VERDICT_YES;
		if (r->kind == ALLOW_SUFFIX) {
			sl = strlen(r->name);
			if (nl > sl && strcmp(name + nl - sl, r->name) == 0)
				return ALLOW_VERDICT_YES;
		}
	}
	return a->has_cidr ? ALLOW_VERDICT_RESOLVE : ALLOW_VERDICT_NO;
}

int
allow_addresses(const struct allow_list *a, const char *const *addrs,
    size_t n)
{
	unsigned char	 ad[16];
	size_t		 i;
	int		 family;

	if (a->any)
		return 1;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (allow_parse_ip(addrs[i], ad, &family) == -1 ||
		    !allow_addr_in(a, ad, family))
			return 0;
	return 1;
}
