/*
 * RFC 5321 mailbox and path syntax (section 4.1.2) with the limits of
 * section 4.5.3.1.  Only US-ASCII is accepted.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "address.h"

#define ADDR_LABEL_MAX	63

static int	is_atext(int);
static size_t	scan_local(const char *);
static size_t	scan_domain(const char *);
static size_t	scan_literal(const char *);

static int
is_atext(int c)
{
	return isascii(c) && (isalnum(c) || strchr("!#$%&'*+-/=?^_`{|}~", c)
	    != NULL) && c != '\0';
}

/* Length of the Local-part at s, 0 when there is none. */
static size_t
scan_local(const char *s)
{
	size_t	i = 0;

	if (s[0] == '"') {
		for (i = 1; s[i] != '"'; i++) {
			if (s[i] == '\\') {
				i++;
				if (s[i] < 32 || s[i] > 126)
					return 0;
			} else if (s[i] < 32 || s[i] > 126)
				return 0;
		}
		return i + 1;
	}
	for (;;) {
		size_t	atom = i;

		while (is_atext((unsigned char)s[i]))
			i++;
		if (i == atom)
			return 0;	/* empty atom: "a..b", ".a", "a." */
		if (s[i] != '.')
			return i;
		i++;
	}
}

/* Length of the Domain at s (sub-domains of letters, digits, hyphens). */
static size_t
scan_domain(const char *s)
{
	size_t	i = 0, label;

	for (;;) {
		label = i;
		while (isascii((unsigned char)s[i]) &&
		    (isalnum((unsigned char)s[i]) || s[i] == '-'))
			i++;
		if (i == label || i - label > ADDR_LABEL_MAX ||
		    s[label] == '-' || s[i - 1] == '-')
			return 0;
		if (s[i] != '.' || !isalnum((unsigned char)s[i + 1]))
			return i;
		i++;
	}
}

/* Length of an address literal "[1.2.3.4]" or "[IPv6:...]" at s. */
static size_t
scan_literal(const char *s)
{
	char		 buf[64];
	const char	*end;
	size_t		 len;
	struct in6_addr	 in6;
	struct in_addr	 in4;

	if (s[0] != '[' || (end = strchr(s, ']')) == NULL)
		return 0;
	len = end - s - 1;
	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, s + 1, len);
	buf[len] = '\0';
	if (strncasecmp(buf, "IPv6:", 5) == 0) {
		if (inet_pton(AF_INET6, buf + 5, &in6) != 1)
			return 0;
	} else if (inet_pton(AF_INET, buf, &in4) != 1)
		return 0;
	return len + 2;
}

/* Parses a Mailbox of exactly len octets at s. */
static int
parse_mailbox(const char *s, size_t len, struct mailaddr *a)
{
	size_t	l, d;

	l = scan_local(s);
	if (l == 0 || l > len || l > ADDR_LOCAL_MAX)
		return -1;
	if (l == len && strncasecmp(s, "postmaster", len) == 0 &&
	    len == strlen("postmaster")) {
		/* RFC 5321 4.5.1: "<Postmaster>" without a domain. */
		memcpy(a->local, s, l);
		a->local[l] = '\0';
		a->domain[0] = '\0';
		return 0;
	}
	if (s[l] != '@')
		return -1;
	s += l + 1;
	len -= l + 1;
	d = s[0] == '[' ? scan_literal(s) : scan_domain(s);
	if (d == 0 || d != len || d > ADDR_DOMAIN_MAX)
		return -1;
	memcpy(a->local, s - l - 1, l);
	a->local[l] = '\0';
	memcpy(a->domain, s, d);
	a->domain[d] = '\0';
	return 0;
}

int
addr_parse(const char *s, struct mailaddr *a)
{
	return parse_mailbox(s, strlen(s), a);
}

int
addr_valid_domain(const char *s)
{
	size_t	len = strlen(s), d;

	d = s[0] == '[' ? scan_literal(s) : scan_domain(s);
	return d != 0 && d == len && d <= ADDR_DOMAIN_MAX;
}

/* Skips a source route "@a,@b:" (RFC 5321 4.1.2 A-d-l); 0 on bad syntax. */
static size_t
skip_route(const char *s)
{
	size_t	i = 0, d;

	if (s[0] != '@')
		return 0;
	for (;;) {
		if (s[i] != '@' || (d = scan_domain(s + i + 1)) == 0)
			return (size_t)-1;
		i += d + 1;
		if (s[i] == ':')
			return i + 1;
		if (s[i] != ',')
			return (size_t)-1;
		i++;
	}
}

int
addr_parse_path(const char *s, struct mailaddr *a, const char **end)
{
	const char	*p, *close;
	size_t		 route, len;

	if (s[0] != '<')
		return -1;
	if (s[1] == '>') {
		a->local[0] = a->domain[0] = '\0';
		*end = s + 2;
		return 0;
	}
	p = s + 1;
	if ((route = skip_route(p)) == (size_t)-1)
		return -1;
	p += route;
	/* The closing '>' cannot be inside a quoted local part. */
	len = scan_local(p);
	if (len == 0 || (close = strchr(p + len, '>')) == NULL)
		return -1;
	if ((size_t)(close - s + 1) > ADDR_PATH_MAX)
		return -1;
	if (parse_mailbox(p, close - p, a) == -1)
		return -1;
	*end = close + 1;
	return 0;
}

int
addr_format(const struct mailaddr *a, char *buf, size_t len)
{
	if (a->local[0] == '\0')
		return snprintf(buf, len, "%s", "");
	if (a->domain[0] == '\0')
		return snprintf(buf, len, "%s", a->local);
	return snprintf(buf, len, "%s@%s", a->local, a->domain);
}
