/*
 * The shared configuration parser, against golden files: each
 * config/<case>.in is loaded with a table of every type; the effective
 * configuration (or the errors, file:line) must equal <case>.expected.
 */

#include <sys/types.h>

#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "unit.h"

struct testconf {
	char			*name;
	long long		 count;
	long long		 size;
	long long		 wait;
	int			 flag;
	long long		 mode;
	struct config_list	 allow;
	int			 pairs;
	int			 onces;
};

static int
parse_pair(void *c, int argc, char **argv, char *err, size_t errlen)
{
	struct testconf	*t = c;

	if (argc != 3) {
		snprintf(err, errlen, "%s: two values", argv[0]);
		return -1;
	}
	t->pairs++;
	return 0;
}

static void
print_pair(void *c, FILE *fp)
{
	fprintf(fp, "pair count %d\n", ((struct testconf *)c)->pairs);
}

/* A keyword of its own parser that one line only may give. */
static int
parse_once(void *c, int argc, char **argv, char *err, size_t errlen)
{
	((struct testconf *)c)->onces++;
	return 0;
}

static void
print_once(void *c, FILE *fp)
{
	fprintf(fp, "once count %d\n", ((struct testconf *)c)->onces);
}

static const struct config_keyword table[] = {
	{ "name", CONF_STRING, offsetof(struct testconf, name), 0, 0,
	    "default name", NULL, NULL },
	{ "count", CONF_NUMBER, offsetof(struct testconf, count), 1, 100,
	    "10", NULL, NULL },
	{ "size", CONF_SIZE, offsetof(struct testconf, size), 1024,
	    1073741824LL, "10M", NULL, NULL },
	{ "wait", CONF_DURATION, offsetof(struct testconf, wait), 1, 86400,
	    "5m", NULL, NULL },
	{ "flag", CONF_BOOL, offsetof(struct testconf, flag), 0, 0, "no",
	    NULL, NULL },
	{ "mode", CONF_MODE, offsetof(struct testconf, mode), 0, 0, "0660",
	    NULL, NULL },
	{ "allow", CONF_LIST, offsetof(struct testconf, allow), 0, 0,
	    "root", NULL, NULL },
	{ "pair", CONF_FUNC, 0, 0, 0, NULL, parse_pair, print_pair },
	{ "once", CONF_FUNC, 0, 0, 1, NULL, parse_once, print_once },
};

static char *
slurp(const char *path)
{
	FILE	*fp;
	char	*buf;
	long	 len;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	buf = calloc(1, len + 1);
	if (fread(buf, 1, len, fp) != (size_t)len)
		buf[0] = '\0';
	fclose(fp);
	return buf;
}

/* Loads one case; writes its printout or its errors to out. */
static void
run_case(const char *in, const char *out)
{
	struct testconf	 t;
	FILE		*fp;
	int		 fd, saved;

	memset(&t, 0, sizeof(t));
	CHECK(config_defaults(table, nitems(table), &t) == 0);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	saved = dup(2);
	dup2(fd, 2);
	if (config_load(in, table, nitems(table), &t) == 0) {
		fp = fdopen(dup(fd), "w");
		config_print(table, nitems(table), &t, fp);
		fclose(fp);
	} else
		fprintf(stderr, "(failed)\n");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	config_free(table, nitems(table), &t);
}

int
main(void)
{
	DIR		*d;
	struct dirent	*de;
	char		 in[512], exp[512], out[512], *got, *want;
	const char	*tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	size_t		 len;
	int		 cases = 0;

	log_init("test", 1);
	if ((d = opendir("config")) == NULL) {
		perror("config");
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 4 || strcmp(de->d_name + len - 3, ".in") != 0)
			continue;
		snprintf(in, sizeof(in), "config/%s", de->d_name);
		snprintf(exp, sizeof(exp), "config/%.*s.expected",
		    (int)(len - 3), de->d_name);
		snprintf(out, sizeof(out), "%s/%s.out", tmp, de->d_name);
		run_case(in, out);
		got = slurp(out);
		want = slurp(exp);
		CHECK(want != NULL);
		if (got != NULL && want != NULL && strcmp(got, want) != 0)
			fprintf(stderr, "%s:\n--- got\n%s--- want\n%s", in,
			    got, want);
		CHECK(got != NULL && want != NULL && strcmp(got, want) == 0);
		free(got);
		free(want);
		cases++;
	}
	closedir(d);
	CHECK(cases >= 5);
	return unit_done();
}
