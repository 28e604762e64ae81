/*
 * fuzz_util.h: helpers shared by the libFuzzer targets in fuzz/: a check
 * that aborts (so libFuzzer records the input as a crash) and the output
 * rules of smtpprobe_sanitize() (valid UTF-8, no C0 control character,
 * no DEL, no '|'), which every text that reaches a user must obey.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Abort with a message: libFuzzer keeps the input as a crash. */
#define FUZZ_CHECK(cond, what) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz check failed: %s (%s:%d)\n",	\
		    (what), __FILE__, __LINE__);			\
		abort();						\
	}								\
} while (0)

/*
 * 1 if s[0..len-1] is valid UTF-8 (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF).
 */
static inline int
fuzz_utf8_valid(const unsigned char *s, size_t len)
{
	size_t		i = 0, n, k;
	uint32_t	cp, min;

	while (i < len) {
		unsigned char c = s[i];

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1; cp = c & 0x1f; min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2; cp = c & 0x0f; min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3; cp = c & 0x07; min = 0x10000;
		} else
			return 0;
		if (len - i < n + 1)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/* 1 if the NUL-terminated s obeys the sanitised-text rules. */
static inline int
fuzz_text_clean(const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '|')
			return 0;
	return fuzz_utf8_valid((const unsigned char *)s, strlen(s));
}

/* 1 if buf[0..size-1] holds a NUL (a fixed-size string field ends). */
static inline int
fuzz_terminated(const char *buf, size_t size)
{
	return memchr(buf, '\0', size) != NULL;
}

#endif
