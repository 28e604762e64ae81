/*
 * buf.h: a growable, bounded text buffer for the plugin's output (status
 * line, long output, perfdata, JSON).  Running out of memory or past the
 * bound is sticky: later appends do nothing and buf_failed() says so, so
 * callers format freely and check once at the end.
 */
#ifndef PLUGIN_BUF_H
#define PLUGIN_BUF_H

#include <stddef.h>

/* Hard cap on one buffer: far above any sane plugin output. */
#define BUF_MAX		(4u * 1024 * 1024)

struct buf {
	char	*data;		/* NUL-terminated when len > 0; owned */
	size_t	 len;
	size_t	 cap;
	int	 failed;	/* out of memory or over BUF_MAX */
};

void		 buf_init(struct buf *);
void		 buf_free(struct buf *);		/* NULL ok */
void		 buf_reset(struct buf *);		/* keep memory */
void		 buf_add(struct buf *, const char *, size_t);
void		 buf_puts(struct buf *, const char *);
void		 buf_putc(struct buf *, char);
void		 buf_printf(struct buf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/* The text so far, "" if empty; valid until the next append. */
const char	*buf_str(const struct buf *);
int		 buf_failed(const struct buf *);

#endif
