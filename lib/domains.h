/*
 * The local domains of this host, read from a file in sendmail's
 * local-host-names format: one domain per line, "#" comments, blank
 * lines ignored.  Matching is case-insensitive; an address literal such
 * as "[127.0.0.1]" is matched as written.  smtpd-lite decides with it
 * which recipients to check with authd, mailqueue which to deliver
 * locally.
 */
#ifndef DOMAINS_H
#define DOMAINS_H

#include <stddef.h>
#include <stdio.h>

#define DOMAINS_MAX	10000	/* entries in one file */

struct domains;

/*
 * Reads path.  A missing file gives the set of the host's own name and
 * "localhost".  NULL with errno on other errors, with a "file:line:
 * reason" message in err when the file is malformed.
 */
struct domains	*domains_load(const char *path, char *err, size_t errlen);
/*
 * domains_load() for a program's local_domains setting: NULL after a
 * "local_domains: ..." log line saying why.
 */
struct domains	*domains_load_conf(const char *path);
/* A set of the given names (tests, defaults). */
struct domains	*domains_new(const char *const *names, size_t n);
void		 domains_free(struct domains *);
/* 1 when domain (without the '@') is local. */
int		 domains_match(const struct domains *, const char *domain);
size_t		 domains_count(const struct domains *);
/* The nth entry, for -n -v printing. */
const char	*domains_get(const struct domains *, size_t);
/* For -n -v: one line per entry, label then the name; none for NULL. */
void		 domains_print(const struct domains *, const char *label,
		    FILE *);

#endif /* DOMAINS_H */
