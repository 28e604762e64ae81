/*
 * log.c: structured one-line logs on stderr.  logfmt quotes a value when
 * it holds a blank, '=' or '"'; JSON escapes as RFC 8259 §7 says.  Control
 * bytes are escaped in both, so a hostile value cannot forge a line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "strbuf.h"

static enum log_level	log_min = LOG_LEVEL_INFO;
static enum log_format	log_fmt = LOG_FORMAT_LOGFMT;

static const char *const log_level_names[] = {
	"debug", "info", "warn", "error"
};
_Static_assert(sizeof(log_level_names) / sizeof(log_level_names[0]) ==
    LOG_LEVEL_COUNT, "level names");

int
log_level_from_name(const char *s)
{
	int	 i;

	for (i = 0; i < LOG_LEVEL_COUNT; i++)
		if (strcasecmp(s, log_level_names[i]) == 0)
			return i;
	return -1;
}

int
log_format_from_name(const char *s)
{
	if (strcasecmp(s, "logfmt") == 0)
		return LOG_FORMAT_LOGFMT;
	if (strcasecmp(s, "json") == 0)
		return LOG_FORMAT_JSON;
	return -1;
}

void
log_setup(enum log_level l, enum log_format f)
{
	log_min = l;
	log_fmt = f;
}

int
log_enabled(enum log_level l)
{
	return l >= log_min;
}

/* Append s escaped for a JSON string or a quoted logfmt value. */
static void
log_escape(struct strbuf *b, const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			strbuf_putc(b, '\\');
			strbuf_putc(b, (char)*p);
		} else if (*p == '\n')
			strbuf_puts(b, "\\n");
		else if (*p < 0x20 || *p == 0x7f)
			strbuf_printf(b, "\\u%04x", *p);
		else
			strbuf_putc(b, (char)*p);
	}
}

static void
log_value(struct strbuf *b, const char *v)
{
	if (log_fmt == LOG_FORMAT_LOGFMT && *v != '\0' &&
	    strpbrk(v, " =\"\\") == NULL) {
		const unsigned char *p;

		for (p = (const unsigned char *)v; *p != '\0'; p++)
			if (*p < 0x20 || *p == 0x7f)
				break;
		if (*p == '\0') {
			strbuf_puts(b, v);
			return;
		}
	}
	strbuf_putc(b, '"');
	log_escape(b, v);
	strbuf_putc(b, '"');
}

static void
log_pair(struct strbuf *b, int first, const char *k, const char *v)
{
	if (log_fmt == LOG_FORMAT_JSON) {
		strbuf_puts(b, first ? "{\"" : ",\"");
		log_escape(b, k);
		strbuf_puts(b, "\":");
		strbuf_putc(b, '"');
		log_escape(b, v);
		strbuf_putc(b, '"');
	} else {
		if (!first)
			strbuf_putc(b, ' ');
		strbuf_puts(b, k);
		strbuf_putc(b, '=');
		log_value(b, v);
	}
}

void
log_msg(enum log_level level, const char *msg, ...)
{
	struct strbuf	 b;
	struct timespec	 ts;
	struct tm	 tm;
	char		 tbuf[64];
	const char	*k, *v;
	va_list		 ap;
	ssize_t		 w;
	size_t		 off;

	if (level < log_min || level >= LOG_LEVEL_COUNT)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(tbuf, sizeof(tbuf), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	strbuf_init(&b);
	log_pair(&b, 1, "ts", tbuf);
	log_pair(&b, 0, "level", log_level_names[level]);
	log_pair(&b, 0, "msg", msg);
	va_start(ap, msg);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		log_pair(&b, 0, k, v != NULL ? v : "");
	}
	va_end(ap);
	if (log_fmt == LOG_FORMAT_JSON)
		strbuf_putc(&b, '}');
	strbuf_putc(&b, '\n');
	if (!b.failed) {
		for (off = 0; off < b.len; off += (size_t)w)
			if ((w = write(STDERR_FILENO, b.data + off,
			    b.len - off)) <= 0)
				break;
	}
	strbuf_free(&b);
}
