/*
 * Unit tests of lib/netmask: networks good and bad, and the match of
 * IPv4, IPv6 and IPv4-mapped client addresses at prefix edges.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include "netmask.h"
#include "unit.h"

static void	test_parse(void);
static void	test_match(void);

static void
test_parse(void)
{
	struct netmask	n;

	CHECK(netmask_parse("192.0.2.0/24", &n) == 0);
	CHECK(n.family == AF_INET && n.prefix == 24);
	CHECK(netmask_parse("192.0.2.7", &n) == 0 && n.prefix == 32);
	CHECK(netmask_parse("2001:db8::/32", &n) == 0);
	CHECK(n.family == AF_INET6 && n.prefix == 32);
	CHECK(netmask_parse("::1", &n) == 0 && n.prefix == 128);
	CHECK(netmask_parse("0.0.0.0/0", &n) == 0 && n.prefix == 0);
	CHECK(netmask_parse("10.0.0.0/33", &n) == -1);
	CHECK(netmask_parse("2001:db8::/129", &n) == -1);
	CHECK(netmask_parse("10.0.0.0/", &n) == -1);
	CHECK(netmask_parse("10.0.0.0/-1", &n) == -1);
	CHECK(netmask_parse("example.org", &n) == -1);
	CHECK(netmask_parse("", &n) == -1);
	CHECK(netmask_parse("1111:2222:3333:4444:5555:6666:7777:8888/128"
	    "0000000000", &n) == -1);
}

static void
test_match(void)
{
	struct netmask	n[3];

	CHECK(netmask_parse("192.0.2.0/25", &n[0]) == 0);
	CHECK(netmask_parse("2001:db8::/33", &n[1]) == 0);
	CHECK(netmask_parse("198.51.100.9", &n[2]) == 0);
	CHECK(netmask_match(n, 3, "192.0.2.0") == 1);
	CHECK(netmask_match(n, 3, "192.0.2.127") == 1);
	CHECK(netmask_match(n, 3, "192.0.2.128") == 0);
	CHECK(netmask_match(n, 3, "198.51.100.9") == 1);
	CHECK(netmask_match(n, 3, "198.51.100.8") == 0);
	CHECK(netmask_match(n, 3, "2001:db8:7fff::1") == 1);
	CHECK(netmask_match(n, 3, "2001:db8:8000::1") == 0);
	CHECK(netmask_match(n, 3, "::ffff:192.0.2.5") == 1);
	CHECK(netmask_match(n, 3, "::ffff:192.0.2.200") == 0);
	CHECK(netmask_match(n, 3, "not an address") == 0);
	CHECK(netmask_match(n, 0, "192.0.2.1") == 0);
	CHECK(netmask_parse("0.0.0.0/0", &n[0]) == 0);
	CHECK(netmask_match(n, 1, "203.0.113.1") == 1);
	CHECK(netmask_match(n, 1, "2001:db8::1") == 0);
}

int
main(void)
{
	test_parse();
	test_match();
	return unit_done();
}
