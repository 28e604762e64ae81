/*
 * readfile.h: read a whole configuration file (the exporter's config and
 * web config, the certificate and key it names) safely.
 */
#ifndef READFILE_H
#define READFILE_H

#include <stddef.h>

/*
 * Read the regular file at path, at most max bytes, into a malloc'ed,
 * NUL-terminated string (the caller frees it); its length in *lenp if
 * lenp is not NULL.  Anything but a regular file (a FIFO, a device, a
 * directory) is refused at once, never waited on: the file is opened
 * O_NONBLOCK, because a reload that blocks on a FIFO would also hold up
 * SIGTERM.  On failure NULL, with "PATH: reason" in err.
 */
char	*readfile_regular(const char *path, size_t max, size_t *lenp,
	    char *err, size_t errlen);

#endif
