/*
 * reply.h: incremental SMTP reply parser (RFC 5321 §4.2).  Internal.
 *
 * Bytes are fed as they arrive and judged at once: a byte that cannot be
 * part of "DDD-" / "DDD " at the start of a line fails immediately (TLS
 * records, HTTP, binary), without waiting for a line end.  A reply ends at
 * the first line whose fourth character is a space.  CRLF or a bare LF ends
 * a line.  Bounds: REPLY_MAX_LINE octets per line (excluding the line end),
 * REPLY_MAX_LINES lines per reply, REPLY_MAX_BYTES fed per phase (reset by
 * reply_reset()).  All lines of a multi-line reply must carry the same code.
 */
#ifndef LIB_REPLY_H
#define LIB_REPLY_H

#include <stddef.h>

#define REPLY_MAX_LINE		4096
#define REPLY_MAX_LINES		128
#define REPLY_MAX_BYTES		(64 * 1024)

enum reply_status {
	REPLY_MORE,		/* need more bytes */
	REPLY_DONE,		/* a complete reply; *used says how many bytes
				   of this feed belonged to it */
	REPLY_ERROR,		/* protocol error; reply_error() says why */
	REPLY_STATUS_COUNT
};

/* One parser.  Lines are kept (for capabilities and the text) in a buffer
 * that grows up to REPLY_MAX_LINES * REPLY_MAX_LINE bytes at most. */
struct reply {
	int		 code;		/* 100..599 once the first line is in */
	size_t		 nlines;	/* complete lines so far */
	char		*buf;		/* lines, each NUL-terminated, without
					   code and separator ("STARTTLS") */
	size_t		 buflen, bufcap;
	size_t		*line_off;	/* offset of each line in buf */
	size_t		 line_off_cap;
	/* parsing state */
	char		 head[4];	/* first 4 bytes of the current line */
	size_t		 col;		/* bytes of the current line so far */
	int		 last;		/* current line has ' ' separator */
	int		 cr;		/* saw CR, expecting LF */
	size_t		 fed;		/* bytes fed since reply_reset */
	int		 done;		/* a complete reply is in */
	const char	*error;		/* static text, set on REPLY_ERROR */
};

void		 reply_init(struct reply *);
/* Forget the lines and the byte count: start reading a new phase. */
void		 reply_reset(struct reply *);
void		 reply_free(struct reply *);
/*
 * Feed len bytes.  On REPLY_DONE, *used is the number of bytes consumed
 * (the rest belongs to what follows: e.g. data behind a STARTTLS 220, or
 * pipelined replies); the parser keeps the finished reply until the next
 * reply_reset().  On REPLY_MORE all bytes were consumed.  Feeding after
 * DONE or ERROR returns the same status without consuming anything.
 */
enum reply_status reply_feed(struct reply *, const char *data, size_t len,
		    size_t *used);
/* Line i (0-based) of the reply, without code and separator; "" if i is
 * out of range.  The text may hold a NUL from the wire: reply_line_len()
 * is its true length. */
const char	*reply_line(const struct reply *, size_t i);
size_t		 reply_line_len(const struct reply *, size_t i);
/* All lines joined with " / " and sanitised into dst (smtpprobe_sanitize
 * rules); returns dst. */
char		*reply_text(const struct reply *, char *dst, size_t dstlen);
const char	*reply_error(const struct reply *);

#endif
