/*
 * Unit tests of lib/domains: local-host-names files, good and bad, and
 * case-insensitive matching.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domains.h"
#include "unit.h"

static int	write_file(const char *, const char *);
static void	test_file(const char *);
static void	test_bad(const char *);
static void	test_missing(const char *);

static int
write_file(const char *path, const char *text)
{
	FILE	*fp;

	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	fputs(text, fp);
	return fclose(fp);
}

static void
test_file(const char *path)
{
	struct domains	*d;
	char		 err[256];

	CHECK(write_file(path, "# local-host-names\n\n"
	    "Example.ORG\n  mail.example.org   # the MX\n"
	    "[192.0.2.7]\nexample.org\n") == 0);
	CHECK((d = domains_load(path, err, sizeof(err))) != NULL);
	if (d == NULL)
		return;
	CHECK(domains_count(d) == 3);		/* the repeat is dropped */
	CHECK(domains_match(d, "example.org"));
	CHECK(domains_match(d, "EXAMPLE.org"));
	CHECK(domains_match(d, "example.org."));
	CHECK(domains_match(d, "Mail.Example.Org"));
	CHECK(domains_match(d, "[192.0.2.7]"));
	CHECK(!domains_match(d, "example.com"));
	CHECK(!domains_match(d, "sub.example.org"));
	CHECK(!domains_match(d, ""));
	CHECK_STR(domains_get(d, 0), "[192.0.2.7]");
	CHECK(domains_get(d, 3) == NULL);
	domains_free(d);
}

static void
test_bad(const char *path)
{
	static const struct {
		const char	*text;
		const char	*why;
	} cases[] = {
		{ "a.example b.example\n", ":1: one domain per line" },
		{ "ok.example\nbad..example\n", ":2: not a domain" },
		{ "under_score.example\n", ":1: not a domain" }
	};
	char	err[256];
	size_t	i;

	for (i = 0; i < nitems(cases); i++) {
		CHECK(write_file(path, cases[i].text) == 0);
		CHECK(domains_load(path, err, sizeof(err)) == NULL);
		CHECK(strstr(err, cases[i].why) != NULL);
	}
}

static void
test_missing(const char *dir)
{
	struct domains	*d;
	char		 path[600], err[256], host[256];

	snprintf(path, sizeof(path), "%s/none", dir);
	CHECK((d = domains_load(path, err, sizeof(err))) != NULL);
	if (d == NULL)
		return;
	CHECK(domains_match(d, "localhost"));
	if (gethostname(host, sizeof(host)) == 0)
		CHECK(domains_match(d, host));
	domains_free(d);
	d = domains_new(NULL, 0);
	CHECK(!domains_match(d, "localhost"));
	domains_free(d);
}

int
main(void)
{
	char		 dir[512], path[600];
	const char	*base = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/test_domains.XXXXXX",
	    base != NULL ? base : "/tmp");
	if (mkdtemp(dir) == NULL) {
		CHECK(!"mkdtemp");
		return unit_done();
	}
	snprintf(path, sizeof(path), "%s/local-host-names", dir);
	test_file(path);
	test_bad(path);
	test_missing(dir);
	unlink(path);
	rmdir(dir);
	return unit_done();
}
