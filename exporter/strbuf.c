/*
 * strbuf.c: the growable text buffer behind every HTTP body.  It doubles,
 * is capped at STRBUF_MAX, and remembers a failure so that callers can
 * write a whole document and check once at the end.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

void
strbuf_init(struct strbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void
strbuf_free(struct strbuf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* Make room for need more bytes plus the NUL.  0 or -1 (failed set). */
static int
strbuf_reserve(struct strbuf *b, size_t need)
{
	size_t	 ncap;
	char	*n;

	if (b->failed)
		return -1;
	if (need > STRBUF_MAX || b->len + need + 1 > STRBUF_MAX) {
		b->failed = 1;
		return -1;
	}
	if (b->len + need + 1 <= b->cap)
		return 0;
	ncap = b->cap == 0 ? 256 : b->cap;
	while (ncap < b->len + need + 1)
		ncap *= 2;
	if (ncap > STRBUF_MAX)
		ncap = STRBUF_MAX;
	if ((n = realloc(b->data, ncap)) == NULL) {
		b->failed = 1;
		return -1;
	}
	b->data = n;
	b->cap = ncap;
	return 0;
}

int
strbuf_append(struct strbuf *b, const char *s, size_t n)
{
	if (strbuf_reserve(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
strbuf_puts(struct strbuf *b, const char *s)
{
	return strbuf_append(b, s, strlen(s));
}

int
strbuf_putc(struct strbuf *b, char c)
{
	return strbuf_append(b, &c, 1);
}

int
strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (b->failed)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return -1;
	}
	if (strbuf_reserve(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

const char *
strbuf_str(const struct strbuf *b)
{
	return b->data != NULL ? b->data : "";
}

char *
strbuf_steal(struct strbuf *b)
{
	char	*s;

	if (b->failed)
		return NULL;
	s = b->data != NULL ? b->data : strdup("");
	memset(b, 0, sizeof(*b));
	return s;
}
