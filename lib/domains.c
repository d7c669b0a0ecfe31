/*
 * Local domains from a local-host-names file, kept sorted in lower case
 * for a binary search.
 */

#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "address.h"
#include "compat.h"
#include "config.h"
#include "domains.h"
#include "log.h"
#include "xmalloc.h"

#define DOMAINS_LINE_MAX	1024	/* octets of one line */

struct domains {
	char	**v;
	size_t	  n;
};

static void	domains_add(struct domains *, const char *);
static void	domains_sort(struct domains *);
static int	domains_cmp(const void *, const void *);
static int	domains_line(struct domains *, char *, const char *, size_t,
		    char *, size_t);

static int
domains_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
domains_add(struct domains *d, const char *name)
{
	char	*s;
	size_t	 i;

	s = xstrdup(name);
	for (i = 0; s[i] != '\0'; i++)
		s[i] = tolower((unsigned char)s[i]);
	d->v = xreallocarray(d->v, d->n + 1, sizeof(*d->v));
	d->v[d->n++] = s;
}

/* Sorts and drops repeated names. */
static void
domains_sort(struct domains *d)
{
	size_t	i, j;

	if (d->n == 0)
		return;
	qsort(d->v, d->n, sizeof(*d->v), domains_cmp);
	for (i = 1, j = 1; i < d->n; i++) {
		if (strcmp(d->v[i], d->v[j - 1]) == 0)
			free(d->v[i]);
		else
			d->v[j++] = d->v[i];
	}
	d->n = j;
}

struct domains *
domains_new(const char *const *names, size_t n)
{
	struct domains	*d;
	size_t		 i;

	d = xcalloc(1, sizeof(*d));
	for (i = 0; i < n; i++)
		domains_add(d, names[i]);
	domains_sort(d);
	return d;
}

void
domains_free(struct domains *d)
{
	size_t	i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
	free(d);
}

/* One line: blank, a comment, or one domain.  0 or -1 with err set. */
static int
domains_line(struct domains *d, char *line, const char *path, size_t lineno,
    char *err, size_t errlen)
{
	char	*p, *end;

	if ((p = strchr(line, '#')) != NULL)
		*p = '\0';
	p = line + strspn(line, " \t\r\n");
	end = p + strcspn(p, " \t\r\n");
	if (*p == '\0')
		return 0;
	if (end[strspn(end, " \t\r\n")] != '\0') {
		snprintf(err, errlen, "%s:%zu: one domain per line", path,
		    lineno);
		return -1;
	}
	*end = '\0';
	if (!addr_valid_domain(p)) {
		snprintf(err, errlen, "%s:%zu: not a domain", path, lineno);
		return -1;
	}
	if (d->n >= DOMAINS_MAX) {
		snprintf(err, errlen, "%s:%zu: more than %d domains", path,
		    lineno, DOMAINS_MAX);
		return -1;
	}
	domains_add(d, p);
	return 0;
}

struct domains *
domains_load(const char *path, char *err, size_t errlen)
{
	struct domains	*d;
	FILE		*fp;
	char		 line[DOMAINS_LINE_MAX + 2];
	char		 host[HOST_NAME_MAX + 1];
	const char	*dflt[2];
	size_t		 lineno = 0;

	err[0] = '\0';
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return NULL;
		}
		if (gethostname(host, sizeof(host)) == -1)
			strlcpy(host, "localhost", sizeof(host));
		dflt[0] = host;
		dflt[1] = "localhost";
		return domains_new(dflt, 2);
	}
	d = xcalloc(1, sizeof(*d));
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			snprintf(err, errlen, "%s:%zu: line too long", path,
			    lineno);
			goto fail;
		}
		if (domains_line(d, line, path, lineno, err, errlen) == -1)
			goto fail;
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	fclose(fp);
	domains_sort(d);
	return d;
fail:
	fclose(fp);
	domains_free(d);
	errno = EINVAL;
	return NULL;
}

int
domains_match(const struct domains *d, const char *domain)
{
	char	 key[ADDR_DOMAIN_MAX + 1];
	char	*k = key;
	size_t	 i;

	for (i = 0; domain[i] != '\0'; i++) {
		if (i >= ADDR_DOMAIN_MAX)
			return 0;
		key[i] = tolower((unsigned char)domain[i]);
	}
	key[i] = '\0';
	if (d->n == 0)
		return 0;
	/* "example.org." names the same domain as "example.org". */
	if (i > 1 && key[i - 1] == '.')
		key[i - 1] = '\0';
	return bsearch(&k, d->v, d->n, sizeof(*d->v), domains_cmp) != NULL;
}

size_t
domains_count(const struct domains *d)
{
	return d->n;
}

const char *
domains_get(const struct domains *d, size_t i)
{
	return i < d->n ? d->v[i] : NULL;
}

struct domains *
domains_load_conf(const char *path)
{
	struct domains	*d;
	char		 err[CONFIG_ERR_MAX];

	err[0] = '\0';
	if ((d = domains_load(path, err, sizeof(err))) != NULL)
		return d;
	if (err[0] != '\0')
		log_warnx("local_domains: %s", err);
	else
		log_warn("local_domains: %s", path);
	return NULL;
}

void
domains_print(const struct domains *d, const char *label, FILE *fp)
{
	size_t	i;

	if (d == NULL)
		return;
	for (i = 0; i < domains_count(d); i++)
		fprintf(fp, "%s%s\n", label, domains_get(d, i));
}
