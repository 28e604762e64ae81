/*
 * number.h: strict, locale-independent number parsing for command-line
 * input (the house ban on atoi/atof: every number is checked whole).
 */
#ifndef PLUGIN_NUMBER_H
#define PLUGIN_NUMBER_H

#include <stddef.h>

/*
 * Parse the n bytes at s as a decimal number: optional sign, digits,
 * optional '.' and digits (at least one digit in all), nothing else (no
 * blanks, exponents, hex, "inf" or "nan"), at most 32 bytes.  The C
 * locale's '.' is the decimal point whatever LC_NUMERIC says.  Returns 0
 * and *out, or -1.
 */
int	 number_parse_double(const char *s, size_t n, double *out);

/* Parse all of s as a decimal integer (optional '-') within [min, max].
 * Returns 0 and *out, or -1. */
int	 number_parse_long(const char *s, long min, long max, long *out);

#endif
