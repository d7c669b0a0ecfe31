/*
 * Strict parsing of numbers from configuration and protocols: the whole
 * string must be a number within [min, max]; no sign surprises, no
 * trailing garbage.  All return 0, or -1 with errno EINVAL or ERANGE.
 */
#ifndef NUMBER_H
#define NUMBER_H

#include <sys/types.h>

/* Decimal digits only (an optional leading '-' when min < 0). */
int	parse_number(const char *, long long min, long long max, long long *);
/* A byte count with an optional K, M or G suffix (powers of 1024). */
int	parse_size(const char *, long long max, long long *);
/* Seconds with an optional s, m, h or d suffix. */
int	parse_duration(const char *, long long max, long long *);
/* The value of a hexadecimal digit (either case), or -1. */
int	hex_digit(int c);
/* An octal file mode, at most 0777. */
int	parse_mode(const char *, mode_t *);

#endif /* NUMBER_H */
