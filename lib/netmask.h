/*
 * Address networks in configuration: "192.0.2.0/24", "2001:db8::/32" or
 * one address, and whether a client address (as text) is inside one of
 * a list of them.  Used for the networks allowed to log in without TLS.
 */
#ifndef NETMASK_H
#define NETMASK_H

#include <stddef.h>
#include <stdint.h>

struct netmask {
	int	family;		/* AF_INET or AF_INET6 */
	uint8_t	addr[16];
	int	prefix;		/* bits that count */
};

/* Parses s into n; 0, or -1 when it is not a network. */
int	netmask_parse(const char *s, struct netmask *n);
/*
 * 1 when addr (numeric text) is inside one of the n networks, else 0.
 * An IPv4-mapped IPv6 address counts as its IPv4 address.
 */
int	netmask_match(const struct netmask *, size_t n, const char *addr);

#endif /* NETMASK_H */
