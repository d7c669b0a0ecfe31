/*
 * Mail addresses per RFC 5321 section 4.1.2: Mailbox = Local-part "@"
 * ( Domain / address-literal ), Path = "<" [ A-d-l ":" ] Mailbox ">".
 * Limits of section 4.5.3.1.  Only US-ASCII; the local part is kept in its
 * wire form (a quoted string keeps its quotes).
 */
#ifndef ADDRESS_H
#define ADDRESS_H

#include <stddef.h>

#define ADDR_LOCAL_MAX	64	/* octets of a local part */
#define ADDR_DOMAIN_MAX	255	/* octets of a domain */
#define ADDR_PATH_MAX	256	/* octets of a path, brackets included */

struct mailaddr {
	char	local[ADDR_LOCAL_MAX + 1];
	char	domain[ADDR_DOMAIN_MAX + 1];
};

/* "local@domain"; the whole string must be one mailbox.  0 or -1. */
int	addr_parse(const char *, struct mailaddr *);
/*
 * A Path or the null path "<>" at the start of s; a source route is
 * accepted and dropped.  On success *end points past '>'.  For "<>" both
 * parts are empty.  0 or -1.
 */
int	addr_parse_path(const char *s, struct mailaddr *, const char **end);
/* 1 when s is a domain name or address literal alone, else 0. */
int	addr_valid_domain(const char *);
/* "local@domain", "" for the null path; returns snprintf's result. */
int	addr_format(const struct mailaddr *, char *, size_t);

#endif /* ADDRESS_H */
