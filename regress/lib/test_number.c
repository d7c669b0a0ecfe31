/* Strict number, size, duration and mode parsing. */

#include <errno.h>
#include <limits.h>

#include "number.h"
#include "unit.h"

int
main(void)
{
	long long	v;
	mode_t		m;

	CHECK(parse_number("0", 0, 10, &v) == 0 && v == 0);
	CHECK(parse_number("10", 0, 10, &v) == 0 && v == 10);
	CHECK(parse_number("11", 0, 10, &v) == -1 && errno == ERANGE);
	CHECK(parse_number("-1", 0, 10, &v) == -1);
	CHECK(parse_number("-5", -10, 10, &v) == 0 && v == -5);
	CHECK(parse_number("", 0, 10, &v) == -1 && errno == EINVAL);
	CHECK(parse_number(" 1", 0, 10, &v) == -1 && errno == EINVAL);
	CHECK(parse_number("1 ", 0, 10, &v) == -1 && errno == EINVAL);
	CHECK(parse_number("+1", 0, 10, &v) == -1);
	CHECK(parse_number("0x10", 0, 100, &v) == -1);
	CHECK(parse_number("9223372036854775807", 0, LLONG_MAX, &v) == 0 &&
	    v == LLONG_MAX);
	CHECK(parse_number("9223372036854775808", 0, LLONG_MAX, &v) == -1 &&
	    errno == ERANGE);
	CHECK(parse_number("99999999999999999999999", 0, LLONG_MAX, &v) == -1);

	CHECK(parse_size("512", LLONG_MAX, &v) == 0 && v == 512);
	CHECK(parse_size("2K", LLONG_MAX, &v) == 0 && v == 2048);
	CHECK(parse_size("3m", LLONG_MAX, &v) == 0 && v == 3145728);
	CHECK(parse_size("1G", LLONG_MAX, &v) == 0 && v == 1073741824LL);
	CHECK(parse_size("2G", 1073741824LL, &v) == -1 && errno == ERANGE);
	CHECK(parse_size("K", LLONG_MAX, &v) == -1);
	CHECK(parse_size("1KB", LLONG_MAX, &v) == -1);
	CHECK(parse_size("9223372036854775807K", LLONG_MAX, &v) == -1);

	CHECK(parse_duration("30", 86400, &v) == 0 && v == 30);
	CHECK(parse_duration("30s", 86400, &v) == 0 && v == 30);
	CHECK(parse_duration("5m", 86400, &v) == 0 && v == 300);
	CHECK(parse_duration("2h", 86400, &v) == 0 && v == 7200);
	CHECK(parse_duration("1d", 86400, &v) == 0 && v == 86400);
	CHECK(parse_duration("2d", 86400, &v) == -1);
	CHECK(parse_duration("1w", 86400 * 7, &v) == -1);

	CHECK(parse_mode("0660", &m) == 0 && m == 0660);
	CHECK(parse_mode("755", &m) == 0 && m == 0755);
	CHECK(parse_mode("0800", &m) == -1);
	CHECK(parse_mode("1777", &m) == -1);
	CHECK(parse_mode("", &m) == -1);
	CHECK(hex_digit('0') == 0 && hex_digit('9') == 9);
	CHECK(hex_digit('a') == 10 && hex_digit('F') == 15);
	CHECK(hex_digit('g') == -1 && hex_digit('\0') == -1 &&
	    hex_digit(' ') == -1);
	return unit_done();
}
