/*
 * number.c: strict number parsing (see number.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"

#define NUMBER_MAXLEN	32

int
number_parse_double(const char *s, size_t n, double *out)
{
	char	 tmp[NUMBER_MAXLEN + 1];
	size_t	 i = 0, digits = 0;
	double	 d;
	char	*end;

	if (s == NULL || n == 0 || n > NUMBER_MAXLEN)
		return -1;
	if (s[i] == '-' || s[i] == '+')
		i++;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (i < n && s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	}
	if (i != n || digits == 0)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	/* The plugin never calls setlocale(), so strtod's point is '.'. */
	errno = 0;
	d = strtod(tmp, &end);
	if (*end != '\0' || errno == ERANGE)
		return -1;
	if (!isfinite(d))
		return -1;
	*out = d;
	return 0;
}

int
number_parse_long(const char *s, long min, long max, long *out)
{
	long	 v;
	char	*end;
	size_t	 i = 0;

	if (s == NULL || *s == '\0')
		return -1;
	if (s[0] == '-')
		i++;
	if (s[i] == '\0')
		return -1;
	for (; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
