/*
 * timeutil.c: the monotonic clock (smtpprobe_now()) and saturating
 * microsecond arithmetic for deadlines and poll timeouts.
 */
#include <stdint.h>
#include <time.h>

#include "smtpprobe.h"
#include "timeutil.h"

/*
 * Now on CLOCK_MONOTONIC in microseconds.  The monotonic clock never jumps
 * with the wall clock (NTP steps, an admin's date command), so phase
 * timings and deadlines stay true.  clock_gettime(CLOCK_MONOTONIC) cannot
 * fail on Linux; if it ever did, 0 is returned rather than garbage.
 */
int64_t
smtpprobe_now(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return timeutil_from_timespec(&ts);
}

int64_t
timeutil_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

int64_t
timeutil_sub(int64_t a, int64_t b)
{
	if (b < 0 && a > INT64_MAX + b)
		return INT64_MAX;
	if (b > 0 && a < INT64_MIN + b)
		return INT64_MIN;
	return a - b;
}

int64_t
timeutil_remaining(int64_t deadline, int64_t now)
{
	if (deadline <= now)
		return 0;
	return timeutil_sub(deadline, now);
}

int
timeutil_poll_ms(int64_t when, int64_t now)
{
	int64_t	us, ms;

	if (when == INT64_MAX)
		return -1;
	us = timeutil_remaining(when, now);
	if (us == 0)
		return 0;
	/* Round up: waking 0.4 ms early would make the caller spin. */
	ms = us / TIMEUTIL_US_PER_MS + (us % TIMEUTIL_US_PER_MS != 0);
	if (ms > INT32_MAX)
		return INT32_MAX;
	return (int)ms;
}

int64_t
timeutil_min(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

int64_t
timeutil_from_timespec(const struct timespec *ts)
{
	int64_t	sec = (int64_t)ts->tv_sec;

	if (sec > INT64_MAX / TIMEUTIL_US_PER_S - 1)
		return INT64_MAX;
	if (sec < INT64_MIN / TIMEUTIL_US_PER_S + 1)
		return INT64_MIN;
	return sec * TIMEUTIL_US_PER_S + (int64_t)ts->tv_nsec / 1000;
}

struct timespec
timeutil_to_timespec(int64_t us)
{
	struct timespec	ts;

	if (us < 0)
		us = 0;
	ts.tv_sec = (time_t)(us / TIMEUTIL_US_PER_S);
	ts.tv_nsec = (long)(us % TIMEUTIL_US_PER_S) * 1000;
	return ts;
}

double
timeutil_seconds(int64_t us)
{
	return (double)us / 1e6;
}
