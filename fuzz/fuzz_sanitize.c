/*
 * fuzz_sanitize.c: libFuzzer target for smtpprobe_sanitize()
 * (lib/sanitize.c), the one gate between server or certificate text and
 * what a user, a log or a metric label sees.
 *
 * The first byte picks the destination size (0..255, or "big enough"),
 * the rest is the untrusted text.  Checked: no write outside dst (ASan,
 * plus a canary byte); the result is NUL-terminated, its length is the
 * return value and < dstlen; it is valid UTF-8 with no C0 or C1 control
 * character, no DEL and no '|'; a big-enough buffer keeps every valid,
 * printable input unchanged; a smaller buffer yields a prefix of the
 * big-buffer result (truncation on a character boundary).
 */
#include "fuzz_util.h"
#include "smtpprobe.h"

/* 1 if s holds a C1 control (U+0080..U+009F, encoded C2 80..C2 9F). */
static int
has_c1(const unsigned char *s)
{
	for (; *s != '\0'; s++)
		if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*big, *dst;
	size_t	 dstlen, biglen, n, nbig;
	int	 printable;
	size_t	 i;

	if (size < 1 || size > 65536)
		return 0;
	dstlen = data[0];
	data++;
	size--;
	biglen = 4 * size + 1;
	if ((big = malloc(biglen)) == NULL)
		return 0;
	if ((dst = malloc(dstlen + 1)) == NULL) {
		free(big);
		return 0;
	}
	nbig = smtpprobe_sanitize(big, biglen, (const char *)data, size);
	FUZZ_CHECK(nbig < biglen && big[nbig] == '\0' && strlen(big) == nbig,
	    "length/termination (big buffer)");
	FUZZ_CHECK(fuzz_text_clean(big), "output not sanitised");
	FUZZ_CHECK(!has_c1((const unsigned char *)big), "C1 control kept");

	/* Valid, printable input must come through unchanged. */
	printable = fuzz_utf8_valid(data, size);
	for (i = 0; printable && i < size; i++)
		if (data[i] < 0x20 || data[i] == 0x7f || data[i] == '|' ||
		    data[i] == '\\' ||
		    (data[i] == 0xc2 && i + 1 < size && data[i + 1] <= 0x9f))
			printable = 0;
	if (printable)
		FUZZ_CHECK(nbig == size && memcmp(big, data, size) == 0,
		    "clean input changed");

	dst[dstlen] = 0x5a;		/* canary */
	n = smtpprobe_sanitize(dst, dstlen, (const char *)data, size);
	FUZZ_CHECK(dst[dstlen] == 0x5a, "wrote past dstlen");
	if (dstlen == 0) {
		FUZZ_CHECK(n == 0, "dstlen 0 wrote something");
	} else {
		FUZZ_CHECK(n < dstlen && dst[n] == '\0' && strlen(dst) == n,
		    "length/termination");
		FUZZ_CHECK(fuzz_text_clean(dst), "truncated output not clean");
		FUZZ_CHECK(n <= nbig && memcmp(dst, big, n) == 0,
		    "truncated output is not a prefix of the full one");
	}
	free(dst);
	free(big);
	return 0;
}
