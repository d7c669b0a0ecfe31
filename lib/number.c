/*
 * Strict number parsing for configuration and protocol fields.
 */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"

#define NUMBER_DIGITS_MAX	19	/* a long long has at most 19 */

int
parse_number(const char *s, long long min, long long max, long long *out)
{
	const char	*p = s;
	long long	 v = 0;
	int		 neg = 0, digits = 0;

	if (*p == '-' && min < 0) {
		neg = 1;
		p++;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		if (++digits > NUMBER_DIGITS_MAX ||
		    v > (LLONG_MAX - (*p - '0')) / 10) {
			errno = ERANGE;
			return -1;
		}
		v = v * 10 + (*p - '0');
	}
	if (digits == 0 || *p != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (neg)
		v = -v;
	if (v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

/* Splits "123X" into the number and a one-letter unit from units. */
static int
parse_unit(const char *s, const char *units, const long long *mult,
    long long max, long long *out)
{
	char		 buf[NUMBER_DIGITS_MAX + 2];
	size_t		 len = strlen(s);
	const char	*u;
	long long	 v, m = 1;

	if (len == 0 || len >= sizeof(buf)) {
		errno = len == 0 ? EINVAL : ERANGE;
		return -1;
	}
	memcpy(buf, s, len + 1);
	if ((u = strchr(units, buf[len - 1])) != NULL && buf[len - 1] != '\0') {
		m = mult[u - units];
		buf[len - 1] = '\0';
	}
	if (parse_number(buf, 0, LLONG_MAX, &v) == -1)
		return -1;
	if (v > max / m) {
		errno = ERANGE;
		return -1;
	}
	*out = v * m;
	return 0;
}

int
parse_size(const char *s, long long max, long long *out)
{
	static const long long	mult[] = { 1024, 1024, 1048576, 1048576,
				    1073741824LL, 1073741824LL };

	return parse_unit(s, "kKmMgG", mult, max, out);
}

int
parse_duration(const char *s, long long max, long long *out)
{
	static const long long	mult[] = { 1, 60, 3600, 86400 };

	return parse_unit(s, "smhd", mult, max, out);
}

int
parse_mode(const char *s, mode_t *out)
{
	long long	v = 0;
	const char	*p;

	if (*s == '\0' || strlen(s) > 4) {
		errno = EINVAL;
		return -1;
	}
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '7') {
			errno = EINVAL;
			return -1;
		}
		v = v * 8 + (*p - '0');
	}
	if (v > 0777) {
		errno = ERANGE;
		return -1;
	}
	*out = (mode_t)v;
	return 0;
}

int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}
