/*
 * log.h: one-line structured logs on stderr, logfmt or JSON, the way
 * Prometheus exporters log (ts=... level=... msg=... key=value).
 */
#ifndef EXPORTER_LOG_H
#define EXPORTER_LOG_H

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
	LOG_LEVEL_COUNT
};

enum log_format {
	LOG_FORMAT_LOGFMT,
	LOG_FORMAT_JSON,
	LOG_FORMAT_COUNT
};

/* Parse "debug|info|warn|error" / "logfmt|json"; -1 if unknown. */
int	 log_level_from_name(const char *);
int	 log_format_from_name(const char *);
void	 log_setup(enum log_level, enum log_format);
int	 log_enabled(enum log_level);

/*
 * Log msg with key/value pairs (const char * each), NULL-terminated:
 * log_msg(LOG_LEVEL_INFO, "listening", "address", "[::]:9925", NULL).
 * Values are quoted and escaped as the format needs; one write(2) per
 * line, so lines from different threads never interleave.
 */
void	 log_msg(enum log_level, const char *msg, ...)
	    __attribute__((sentinel));

#endif
