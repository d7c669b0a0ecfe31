/*
 * Networks from configuration and the match of a client address.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <string.h>

#include "netmask.h"
#include "number.h"

static int	contains(const struct netmask *, const uint8_t *);

int
netmask_parse(const char *s, struct netmask *n)
{
	char		 buf[INET6_ADDRSTRLEN + 8], *slash;
	long long	 prefix;
	int		 max;

	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -1;
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, buf, n->addr) == 1) {
		n->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
		n->family = AF_INET6;
		max = 128;
	} else
		return -1;
	if (slash == NULL)
		prefix = max;
	else if (parse_number(slash, 0, max, &prefix) == -1)
		return -1;
	n->prefix = (int)prefix;
	return 0;
}

static int
contains(const struct netmask *n, const uint8_t *a)
{
	int	full = n->prefix / 8, rest = n->prefix % 8;
	uint8_t	mask;

	if (memcmp(n->addr, a, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (n->addr[full] & mask) == (a[full] & mask);
}

int
netmask_match(const struct netmask *nets, size_t n, const char *addr)
{
	uint8_t	a[16];
	int	family;
	size_t	i;

	if (inet_pton(AF_INET, addr, a) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, addr, a) == 1) {
		family = AF_INET6;
		if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a)) {
			memmove(a, a + 12, 4);
			family = AF_INET;
		}
	} else
		return 0;
	for (i = 0; i < n; i++)
		if (nets[i].family == family && contains(&nets[i], a))
			return 1;
	return 0;
}
