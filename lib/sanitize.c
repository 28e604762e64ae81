/*
 * sanitize.c: make untrusted bytes (server replies, certificate fields,
 * user input echoed in errors) safe to print, to put in Nagios output and
 * to use as a Prometheus label value: valid UTF-8 only, no control
 * characters, no '|' (Nagios' performance-data separator).
 */
#include <stddef.h>
#include <stdint.h>

#include "smtpprobe.h"
#include "sanitize.h"

/*
 * Length (2..4) of the well-formed UTF-8 sequence at s[0..n-1] and its code
 * point in *cp, or 0 if it is not well-formed.  Well-formed per RFC 3629 §4:
 * no overlong forms, no surrogates (U+D800..U+DFFF), nothing above
 * U+10FFFF.  Reads at most n bytes.
 */
static size_t
utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t	c, min;
	size_t		len, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2; c = s[0] & 0x1f; min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3; c = s[0] & 0x0f; min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4; c = s[0] & 0x07; min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/*
 * The contract is in smtpprobe.h.  Every output unit (a byte, a whole UTF-8
 * sequence, a four-byte "\xHH") is written only if it fits with the NUL,
 * so truncation never splits a character or an escape.  C1 controls
 * (U+0080..U+009F) are control characters too and become a space.
 */
size_t
sanitize_buf(char *dst, size_t dstlen, const char *src, size_t srclen,
    size_t *consumed)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*s = (const unsigned char *)src;
	size_t			 i = 0, o = 0, len, k;
	uint32_t		 cp;

	if (consumed != NULL)
		*consumed = 0;
	if (dst == NULL || dstlen == 0)
		return 0;
	if (src == NULL)
		srclen = 0;
	while (i < srclen) {
		if (s[i] < 0x80) {
			if (o + 1 >= dstlen)
				break;
			if (s[i] < 0x20 || s[i] == 0x7f)
				dst[o++] = ' ';
			else if (s[i] == '|')
				dst[o++] = '/';
			else
				dst[o++] = (char)s[i];
			i++;
			continue;
		}
		len = utf8_seq(s + i, srclen - i, &cp);
		if (len == 0) {
			if (o + 4 >= dstlen)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[s[i] >> 4];
			dst[o++] = hex[s[i] & 0xf];
			i++;
			continue;
		}
		if (cp <= 0x9f) {
			if (o + 1 >= dstlen)
				break;
			dst[o++] = ' ';
			i += len;
			continue;
		}
		if (o + len >= dstlen)
			break;
		for (k = 0; k < len; k++)
			dst[o++] = (char)s[i + k];
		i += len;
	}
	dst[o] = '\0';
	if (consumed != NULL)
		*consumed = i;
	return o;
}

size_t
smtpprobe_sanitize(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	return sanitize_buf(dst, dstlen, src, srclen, NULL);
}
