/*
 * statefile.h: the plugin's memory between runs (--state-file).  Per key
 * (host, port and, with several addresses, address): when STARTTLS was
 * last seen offered and when the port last answered, Unix seconds.
 *
 * Reading never fails the run: a missing file is empty; a corrupt,
 * oversized or unreadable one is reported (err) and treated as empty.
 * Writing merges this run's observations into the file as it is *now*
 * under an flock on "PATH.lock" (so concurrent runs for other hosts or
 * ports do not lose each other's updates), then replaces it atomically:
 * temp file in the same directory, fsync, rename.
 *
 * File format (text, one record a line):
 *	# check_smtp_ports state 1
 *	<key> TAB <last_starttls> TAB <last_answered>
 */
#ifndef PLUGIN_STATEFILE_H
#define PLUGIN_STATEFILE_H

#include <stddef.h>
#include <stdint.h>

#define STATEFILE_KEY_MAX	320
#define STATEFILE_MAX_ENTRIES	4096
#define STATEFILE_MAX_BYTES	(1024 * 1024)
#define STATEFILE_HEADER	"# check_smtp_ports state 1"

struct statefile_entry {
	char	 key[STATEFILE_KEY_MAX];
	int64_t	 last_starttls;		/* 0: never */
	int64_t	 last_answered;		/* 0: never */
};

struct statefile {
	struct statefile_entry	*e;	/* owned */
	size_t			 n;
	size_t			 cap;
};

/* What one run learned about one key. */
struct statefile_update {
	char	 key[STATEFILE_KEY_MAX];
	int	 reset;			/* forget the key first */
	int64_t	 starttls_seen;		/* > 0: STARTTLS offered now */
	int64_t	 answered;		/* > 0: the port answered now */
};

void		 statefile_init(struct statefile *);
void		 statefile_free(struct statefile *);	/* NULL ok */

/*
 * Build a key from host, port and address (NULL or "": none); bytes that
 * could break the format become '_'.  Returns buf.
 */
char		*statefile_key(char *buf, size_t len, const char *host,
		    unsigned port, const char *address);

/*
 * Load path into sf (emptied first).  Returns 0 (also for a missing
 * file), or -1 with a one-line reason in err; sf is empty then.
 */
int		 statefile_load(const char *path, struct statefile *sf,
		    char *err, size_t errlen);
/* Parse a file image (used by statefile_load; tests feed it directly). */
int		 statefile_parse(const char *text, size_t len,
		    struct statefile *sf, char *err, size_t errlen);

const struct statefile_entry *statefile_find(const struct statefile *,
		    const char *key);
/* Apply one update in memory.  Returns 0, or -1 on out of memory. */
int		 statefile_apply(struct statefile *,
		    const struct statefile_update *);

/*
 * Lock, re-read, apply updates, write atomically, unlock.  Waits for the
 * lock no later than deadline (monotonic µs).  A corrupt file on disk is
 * replaced (note set to a reason, else "").  Returns 0, or -1 with a
 * reason in err (the file is then unchanged).
 */
int		 statefile_save(const char *path,
		    const struct statefile_update *, size_t n,
		    int64_t deadline, char *note, size_t notelen,
		    char *err, size_t errlen);

#endif
