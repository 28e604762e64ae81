/*
 * reply.c: incremental SMTP reply parser (RFC 5321 §4.2), strictly bounded.
 *
 * The grammar (RFC 5321 §4.2):
 *	Reply-line = *( Reply-code "-" [ textstring ] CRLF )
 *		     Reply-code [ SP textstring ] CRLF
 * so the final line may be a bare code ("250" CRLF).  Every byte is judged
 * as it arrives: the first three bytes of a line must be digits and the
 * fourth '-', ' ' or the line end, so TLS records, HTTP or binary fail on
 * their first byte instead of waiting for a line end that never comes.
 * A bare LF ends a line (lenient read, RFC 5321 §4.1.1.4 asks servers for
 * CRLF but real ones slip); a CR not followed by LF is text.
 */
#include <stdlib.h>
#include <string.h>

#include "smtpprobe.h"
#include "reply.h"
#include "sanitize.h"

#define REPLY_BUF_INIT	256

void
reply_init(struct reply *r)
{
	memset(r, 0, sizeof(*r));
}

void
reply_reset(struct reply *r)
{
	r->code = 0;
	r->nlines = 0;
	r->buflen = 0;
	memset(r->head, 0, sizeof(r->head));
	r->col = 0;
	r->last = 0;
	r->cr = 0;
	r->fed = 0;
	r->done = 0;
	r->error = NULL;
}

void
reply_free(struct reply *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r->line_off);
	reply_init(r);
}

/* Set the error (first one wins) and return REPLY_ERROR. */
static enum reply_status
fail(struct reply *r, const char *why)
{
	if (r->error == NULL)
		r->error = why;
	return REPLY_ERROR;
}

/* Make room for one more byte in buf; -1 on out of memory.  buf never
 * exceeds REPLY_MAX_BYTES plus one NUL per line, since every stored byte
 * was fed. */
static int
buf_reserve(struct reply *r)
{
	size_t	 ncap;
	char	*nbuf;

	if (r->buflen < r->bufcap)
		return 0;
	ncap = r->bufcap == 0 ? REPLY_BUF_INIT : r->bufcap * 2;
	if ((nbuf = realloc(r->buf, ncap)) == NULL)
		return -1;
	r->buf = nbuf;
	r->bufcap = ncap;
	return 0;
}

/* Start line number r->nlines: remember where its text begins. */
static int
line_start(struct reply *r)
{
	size_t	 ncap;
	size_t	*noff;

	if (r->nlines >= r->line_off_cap) {
		ncap = r->line_off_cap == 0 ? 8 : r->line_off_cap * 2;
		if (ncap > REPLY_MAX_LINES)
			ncap = REPLY_MAX_LINES;
		noff = realloc(r->line_off, ncap * sizeof(*noff));
		if (noff == NULL)
			return -1;
		r->line_off = noff;
		r->line_off_cap = ncap;
	}
	r->line_off[r->nlines] = r->buflen;
	return 0;
}

static int
append(struct reply *r, char c)
{
	if (buf_reserve(r) == -1)
		return -1;
	r->buf[r->buflen++] = c;
	return 0;
}

/* The current line ended (at its LF).  Returns DONE if it was the final
 * line of the reply, else MORE. */
static enum reply_status
line_end(struct reply *r)
{
	if (r->col < 3)
		return fail(r, "reply line too short");
	if (r->col == 3)
		r->last = 1;		/* "250" CRLF: a bare final code */
	if (append(r, '\0') == -1)
		return fail(r, "out of memory");
	r->nlines++;
	r->col = 0;
	if (r->last) {
		r->done = 1;
		return REPLY_DONE;
	}
	return REPLY_MORE;
}

/* Judge one byte that is not a line end.  Returns MORE or ERROR. */
static enum reply_status
byte(struct reply *r, unsigned char c)
{
	if (r->col == 0) {
		if (r->nlines >= REPLY_MAX_LINES)
			return fail(r, "too many lines in reply");
		if (line_start(r) == -1)
			return fail(r, "out of memory");
	}
	if (r->col < 3) {
		/* Codes are 100..599 (RFC 5321 §4.2.1 uses 2xx-5xx; 1xx is
		 * tolerated as the header promises 100..599). */
		if (c < '0' || c > '9' || (r->col == 0 && (c < '1' ||
		    c > '5')))
			return fail(r, r->nlines == 0 && r->col == 0 ?
			    "not an SMTP reply" : "malformed reply line");
		if (r->nlines > 0 && (char)c != r->head[r->col])
			return fail(r, "reply codes differ between lines");
		r->head[r->col++] = (char)c;
		if (r->col == 3 && r->nlines == 0)
			r->code = (r->head[0] - '0') * 100 +
			    (r->head[1] - '0') * 10 + (r->head[2] - '0');
		return REPLY_MORE;
	}
	if (r->col == 3) {
		if (c == '-')
			r->last = 0;
		else if (c == ' ')
			r->last = 1;
		else
			return fail(r, "malformed reply line");
		r->head[3] = (char)c;
		r->col++;
		return REPLY_MORE;
	}
	/* Text.  col counts the whole line (code included, line end not). */
	if (r->col >= REPLY_MAX_LINE)
		return fail(r, "reply line too long");
	if (append(r, (char)c) == -1)
		return fail(r, "out of memory");
	r->col++;
	return REPLY_MORE;
}

enum reply_status
reply_feed(struct reply *r, const char *data, size_t len, size_t *used)
{
	const unsigned char	*p = (const unsigned char *)data;
	enum reply_status	 st = REPLY_MORE;
	size_t			 i;

	if (used != NULL)
		*used = 0;
	if (r->error != NULL)
		return REPLY_ERROR;
	if (r->done)
		return REPLY_DONE;
	for (i = 0; i < len; i++) {
		if (r->fed >= REPLY_MAX_BYTES) {
			st = fail(r, "reply too large");
			i++;
			break;
		}
		r->fed++;
		if (r->cr) {
			r->cr = 0;
			if (p[i] == '\n') {
				if ((st = line_end(r)) != REPLY_MORE) {
					i++;
					break;
				}
				continue;
			}
			/* A CR that is not part of CRLF. */
			if (r->col == 3) {
				st = fail(r, "malformed reply line");
				i++;
				break;
			}
			if ((st = byte(r, '\r')) != REPLY_MORE) {
				i++;
				break;
			}
		}
		if (p[i] == '\n')
			st = line_end(r);
		else if (p[i] == '\r' && r->col >= 3)
			r->cr = 1;
		else
			st = byte(r, p[i]);
		if (st != REPLY_MORE) {
			i++;
			break;
		}
	}
	if (used != NULL)
		*used = i;
	return st;
}

const char *
reply_line(const struct reply *r, size_t i)
{
	if (i >= r->nlines || r->buf == NULL)
		return "";
	return r->buf + r->line_off[i];
}

size_t
reply_line_len(const struct reply *r, size_t i)
{
	size_t	end;

	if (i >= r->nlines || r->buf == NULL)
		return 0;
	end = i + 1 < r->nlines ? r->line_off[i + 1] : r->buflen;
	return end - r->line_off[i] - 1;	/* minus its NUL */
}

char *
reply_text(const struct reply *r, char *dst, size_t dstlen)
{
	size_t	i, o = 0, len, used, sep;

	if (dst == NULL || dstlen == 0)
		return dst;
	dst[0] = '\0';
	for (i = 0; i < r->nlines; i++) {
		sep = o;
		if (i > 0) {
			if (o + 3 >= dstlen)
				break;
			memcpy(dst + o, " / ", 4);
			o += 3;
		}
		len = reply_line_len(r, i);
		o += sanitize_buf(dst + o, dstlen - o, reply_line(r, i), len,
		    &used);
		if (used < len || o + 1 >= dstlen) {
			/* Truncated: nothing after it, and no dangling
			 * separator before nothing. */
			if (used == 0 && len > 0) {
				o = sep;
				dst[o] = '\0';
			}
			break;
		}
	}
	return dst;
}

const char *
reply_error(const struct reply *r)
{
	return r->error != NULL ? r->error : "";
}
