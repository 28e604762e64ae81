/*
 * strbuf.h: a growable, NUL-terminated text buffer with a hard size cap,
 * used to build HTTP bodies (metric text, HTML, debug transcripts).
 */
#ifndef EXPORTER_STRBUF_H
#define EXPORTER_STRBUF_H

#include <stddef.h>

/* Nothing the exporter writes legitimately comes near this. */
#define STRBUF_MAX	(64u * 1024 * 1024)

struct strbuf {
	char	*data;		/* owned; NUL-terminated once non-empty */
	size_t	 len;
	size_t	 cap;
	int	 failed;	/* 1 after an allocation failure or the cap */
};

void	 strbuf_init(struct strbuf *);
void	 strbuf_free(struct strbuf *);		/* NULL ok; reusable after */
/* Append; on failure set failed and return -1 (later appends no-op). */
int	 strbuf_append(struct strbuf *, const char *, size_t);
int	 strbuf_puts(struct strbuf *, const char *);
int	 strbuf_putc(struct strbuf *, char);
int	 strbuf_printf(struct strbuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* The text ("" when empty); valid until the next append or free. */
const char *strbuf_str(const struct strbuf *);
/* Take ownership of the text (malloc'ed, never NULL unless failed);
 * the buffer is left empty. */
char	*strbuf_steal(struct strbuf *);

#endif
