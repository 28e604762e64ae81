/*
 * timeutil.h: monotonic microsecond time and its arithmetic.  Internal.
 *
 * All times in the library are int64_t microseconds on the monotonic clock
 * (smtpprobe_now()).  The helpers saturate instead of overflowing, so a
 * hostile or careless deadline (INT64_MAX, a negative value) can never wrap
 * into "already expired" or "forever" by accident.
 */
#ifndef LIB_TIMEUTIL_H
#define LIB_TIMEUTIL_H

#include <stdint.h>
#include <time.h>

#define TIMEUTIL_US_PER_MS	INT64_C(1000)
#define TIMEUTIL_US_PER_S	INT64_C(1000000)

/* a + b, saturated to [INT64_MIN, INT64_MAX]. */
int64_t		 timeutil_add(int64_t a, int64_t b);
/* a - b, saturated. */
int64_t		 timeutil_sub(int64_t a, int64_t b);
/* Microseconds from now until deadline, 0 if it has passed. */
int64_t		 timeutil_remaining(int64_t deadline, int64_t now);
/*
 * A poll/epoll timeout in milliseconds for waiting from now until when:
 * rounded UP (so a wait never ends just before the deadline and spins),
 * 0 if when has passed, clamped to INT32_MAX ms; -1 if when is INT64_MAX
 * ("no timer").
 */
int		 timeutil_poll_ms(int64_t when, int64_t now);
/* The earlier of two times. */
int64_t		 timeutil_min(int64_t a, int64_t b);
/* A struct timespec as microseconds (saturated), and back (negative
 * values give zero). */
int64_t		 timeutil_from_timespec(const struct timespec *);
struct timespec	 timeutil_to_timespec(int64_t us);
/* Seconds, for output: us / 1e6. */
double		 timeutil_seconds(int64_t us);

#endif
