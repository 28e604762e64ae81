/*
 * statefile.c: the plugin's memory between runs (see statefile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "number.h"
#include "smtpprobe.h"
#include "statefile.h"

static void
statefile_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
statefile_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
statefile_init(struct statefile *sf)
{
	memset(sf, 0, sizeof(*sf));
}

void
statefile_free(struct statefile *sf)
{
	if (sf == NULL)
		return;
	free(sf->e);
	memset(sf, 0, sizeof(*sf));
}

static int
statefile_key_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("-._:%@/[]", c) != NULL;
}

char *
statefile_key(char *buf, size_t len, const char *host, unsigned port,
    const char *address)
{
	size_t	 i;

	if (address != NULL && *address != '\0')
		snprintf(buf, len, "%.250s/%u@%.63s", host, port, address);
	else
		snprintf(buf, len, "%.250s/%u", host, port);
	for (i = 0; buf[i] != '\0'; i++)
		if (!statefile_key_char((unsigned char)buf[i]))
			buf[i] = '_';
	return buf;
}

const struct statefile_entry *
statefile_find(const struct statefile *sf, const char *key)
{
	size_t	 i;

	for (i = 0; i < sf->n; i++)
		if (strcmp(sf->e[i].key, key) == 0)
			return &sf->e[i];
	return NULL;
}

/* Append a zeroed entry; NULL on out of memory or over the bound. */
static struct statefile_entry *
statefile_add(struct statefile *sf)
{
	struct statefile_entry	*e;
	size_t			 ncap;

	if (sf->n >= STATEFILE_MAX_ENTRIES)
		return NULL;
	if (sf->n == sf->cap) {
		ncap = sf->cap == 0 ? 16 : sf->cap * 2;
		if ((e = reallocarray(sf->e, ncap, sizeof(*e))) == NULL)
			return NULL;
		sf->e = e;
		sf->cap = ncap;
	}
	e = &sf->e[sf->n++];
	memset(e, 0, sizeof(*e));
	return e;
}

/* Parse one "<key>\t<n>\t<n>" record (len bytes, no line end). */
static int
statefile_record(const char *line, size_t len, struct statefile *sf)
{
	const char		*t1, *t2;
	char			 num[24];
	long			 a, b;
	size_t			 klen, i;
	struct statefile_entry	*e;

	if ((t1 = memchr(line, '\t', len)) == NULL)
		return -1;
	klen = (size_t)(t1 - line);
	if (klen == 0 || klen >= STATEFILE_KEY_MAX)
		return -1;
	for (i = 0; i < klen; i++)
		if (!statefile_key_char((unsigned char)line[i]))
			return -1;
	t1++;
	if ((t2 = memchr(t1, '\t', len - (size_t)(t1 - line))) == NULL)
		return -1;
	if ((size_t)(t2 - t1) >= sizeof(num))
		return -1;
	memcpy(num, t1, (size_t)(t2 - t1));
	num[t2 - t1] = '\0';
	if (number_parse_long(num, 0, LONG_MAX, &a) == -1)
		return -1;
	t2++;
	if ((size_t)(line + len - t2) >= sizeof(num))
		return -1;
	memcpy(num, t2, (size_t)(line + len - t2));
	num[line + len - t2] = '\0';
	if (number_parse_long(num, 0, LONG_MAX, &b) == -1)
		return -1;
	for (i = 0; i < sf->n; i++)
		if (strlen(sf->e[i].key) == klen &&
		    memcmp(sf->e[i].key, line, klen) == 0)
			return -1;	/* duplicate key */
	if ((e = statefile_add(sf)) == NULL)
		return -2;
	memcpy(e->key, line, klen);
	e->key[klen] = '\0';
	e->last_starttls = a;
	e->last_answered = b;
	return 0;
}

int
statefile_parse(const char *text, size_t len, struct statefile *sf,
    char *err, size_t errlen)
{
	size_t		 off = 0, lineno = 0, hlen = strlen(STATEFILE_HEADER);
	const char	*nl;
	int		 rc;

	sf->n = 0;
	if (len == 0)
		return 0;
	while (off < len) {
		size_t	 l;

		nl = memchr(text + off, '\n', len - off);
		l = nl != NULL ? (size_t)(nl - (text + off)) : len - off;
		lineno++;
		if (lineno == 1) {
			if (l != hlen || memcmp(text, STATEFILE_HEADER,
			    hlen) != 0) {
				statefile_err(err, errlen, "no header line");
				sf->n = 0;
				return -1;
			}
		} else if (l == 0 || text[off] == '#')
			;	/* blank or comment */
		else if ((rc = statefile_record(text + off, l, sf)) != 0) {
			if (rc == -2)
				statefile_err(err, errlen, "more than %d "
				    "records", STATEFILE_MAX_ENTRIES);
			else
				statefile_err(err, errlen,
				    "bad record at line %zu", lineno);
			sf->n = 0;
			return -1;
		}
		if (nl == NULL)
			break;
		off += l + 1;
	}
	return 0;
}

/* Read a regular file of at most STATEFILE_MAX_BYTES; *out is malloc'd
 * and NUL-terminated.  1 if missing, 0, or -1 with err. */
static int
statefile_read_all(const char *path, char **out, size_t *outlen, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		*p;
	size_t		 got = 0;
	ssize_t		 r;
	int		 fd;

	*out = NULL;
	*outlen = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd == -1) {
		if (errno == ENOENT)
			return 1;
		statefile_err(err, errlen, "cannot open: %s",
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		statefile_err(err, errlen, "not a regular file");
		close(fd);
		return -1;
	}
	if (st.st_size > STATEFILE_MAX_BYTES) {
		statefile_err(err, errlen, "larger than %d bytes",
		    STATEFILE_MAX_BYTES);
		close(fd);
		return -1;
	}
	if ((p = malloc((size_t)st.st_size + 1)) == NULL) {
		statefile_err(err, errlen, "out of memory");
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, p + got, (size_t)st.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			statefile_err(err, errlen, "read: %s",
			    strerror(errno));
			free(p);
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	p[got] = '\0';
	*out = p;
	*outlen = got;
	return 0;
}

int
statefile_load(const char *path, struct statefile *sf, char *err,
    size_t errlen)
{
	char	*text, why[160];
	size_t	 len;
	int	 rc;

	sf->n = 0;
	rc = statefile_read_all(path, &text, &len, why, sizeof(why));
	if (rc == 1)
		return 0;
	if (rc == -1) {
		statefile_err(err, errlen, "state file %s unreadable (%s), "
		    "ignored", path, why);
		return -1;
	}
	rc = statefile_parse(text, len, sf, why, sizeof(why));
	free(text);
	if (rc == -1) {
		statefile_err(err, errlen, "state file %s corrupt (%s), "
		    "ignored", path, why);
		return -1;
	}
	return 0;
}

int
statefile_apply(struct statefile *sf, const struct statefile_update *u)
{
	struct statefile_entry	*e = NULL;
	size_t			 i;

	for (i = 0; i < sf->n; i++)
		if (strcmp(sf->e[i].key, u->key) == 0) {
			e = &sf->e[i];
			break;
		}
	if (e != NULL && u->reset)
		e->last_starttls = e->last_answered = 0;
	if (u->starttls_seen <= 0 && u->answered <= 0) {
		if (e != NULL && e->last_starttls == 0 &&
		    e->last_answered == 0) {
			/* Nothing left to remember. */
			sf->e[i] = sf->e[sf->n - 1];
			sf->n--;
		}
		return 0;
	}
	if (e == NULL) {
		if ((e = statefile_add(sf)) == NULL) {
			/* Full: forget the stalest entry to make room. */
			size_t	 k, old = 0;
			int64_t	 t, tmin = INT64_MAX;

			if (sf->n == 0)
				return -1;
			for (k = 0; k < sf->n; k++) {
				t = sf->e[k].last_starttls >
				    sf->e[k].last_answered ?
				    sf->e[k].last_starttls :
				    sf->e[k].last_answered;
				if (t < tmin) {
					tmin = t;
					old = k;
				}
			}
			if (sf->n < STATEFILE_MAX_ENTRIES)
				return -1;	/* out of memory */
			e = &sf->e[old];
			memset(e, 0, sizeof(*e));
		}
		snprintf(e->key, sizeof(e->key), "%s", u->key);
	}
	if (u->starttls_seen > 0)
		e->last_starttls = u->starttls_seen;
	if (u->answered > 0)
		e->last_answered = u->answered;
	return 0;
}

/* Take an exclusive flock on fd, waiting no later than deadline. */
static int
statefile_lock(int fd, int64_t deadline)
{
	struct timespec	 ts = { 0, 5 * 1000 * 1000 };

	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if (smtpprobe_now() >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		nanosleep(&ts, NULL);
	}
}

static int
statefile_write_all(int fd, const char *p, size_t len)
{
	ssize_t	 w;

	while (len > 0) {
		w = write(fd, p, len);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Write sf to path atomically (temp file + fsync + rename). */
static int
statefile_write(const char *path, const struct statefile *sf, char *err,
    size_t errlen)
{
	char	 tmp[PATH_MAX], line[STATEFILE_KEY_MAX + 64];
	char	*text = NULL, *np;
	size_t	 len = 0, cap = 0, i;
	int	 fd, n, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >=
	    (int)sizeof(tmp)) {
		statefile_err(err, errlen, "path too long");
		return -1;
	}
	for (i = 0; i <= sf->n; i++) {
		if (i == 0)
			n = snprintf(line, sizeof(line), "%s\n",
			    STATEFILE_HEADER);
		else
			n = snprintf(line, sizeof(line), "%s\t%lld\t%lld\n",
			    sf->e[i - 1].key,
			    (long long)sf->e[i - 1].last_starttls,
			    (long long)sf->e[i - 1].last_answered);
		if (n < 0 || (size_t)n >= sizeof(line))
			continue;
		if (len + (size_t)n + 1 > cap) {
			cap = (cap + (size_t)n + 1) * 2;
			if ((np = realloc(text, cap)) == NULL) {
				free(text);
				statefile_err(err, errlen, "out of memory");
				return -1;
			}
			text = np;
		}
		memcpy(text + len, line, (size_t)n);
		len += (size_t)n;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		statefile_err(err, errlen, "cannot create %s: %s", tmp,
		    strerror(errno));
		free(text);
		return -1;
	}
	if (statefile_write_all(fd, text, len) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		unlink(tmp);
		free(text);
		statefile_err(err, errlen, "cannot write %s: %s", tmp,
		    strerror(saved));
		return -1;
	}
	free(text);
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		statefile_err(err, errlen, "cannot replace %s: %s", path,
		    strerror(saved));
		return -1;
	}
	return 0;
}

int
statefile_save(const char *path, const struct statefile_update *u,
    size_t n, int64_t deadline, char *note, size_t notelen, char *err,
    size_t errlen)
{
	struct statefile	 sf;
	char			 lock[PATH_MAX], why[256];
	size_t			 i;
	int			 fd, rc = -1;

	if (note != NULL && notelen > 0)
		note[0] = '\0';
	if (snprintf(lock, sizeof(lock), "%s.lock", path) >=
	    (int)sizeof(lock)) {
		statefile_err(err, errlen, "path too long");
		return -1;
	}
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK, 0600);
	if (fd == -1) {
		statefile_err(err, errlen, "cannot open lock %s: %s", lock,
		    strerror(errno));
		return -1;
	}
	if (statefile_lock(fd, deadline) == -1) {
		statefile_err(err, errlen, "cannot lock %s: %s", lock,
		    strerror(errno));
		close(fd);
		return -1;
	}
	statefile_init(&sf);
	if (statefile_load(path, &sf, why, sizeof(why)) == -1)
		statefile_err(note, notelen, "%s; replaced", why);
	for (i = 0; i < n; i++)
		if (statefile_apply(&sf, &u[i]) == -1) {
			statefile_err(err, errlen, "out of memory");
			goto out;
		}
	rc = statefile_write(path, &sf, err, errlen);
out:
	statefile_free(&sf);
	close(fd);	/* releases the lock */
	return rc;
}
