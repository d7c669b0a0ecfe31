/*
 * The configuration parser shared by every program: "keyword args...",
 * '#' comments, double-quoted strings, "include", typed keyword tables
 * with their defaults, errors as file:line.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "number.h"
#include "xmalloc.h"

struct config_ctx {
	const struct config_keyword	*table;
	size_t				 n;
	void				*conf;
	char				*seen;	/* scalars set by a file */
	int				 errors;
};

static int	load_file(struct config_ctx *, const char *, int);
static int	set_value(const struct config_keyword *, void *, int, char **,
		    char *, size_t);
static void	print_string(FILE *, const char *);

/* A list keyword's first line in a file replaces its default. */
static void
list_clear(struct config_list *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
split_quoted(char **pp, char **out, char *err, size_t errlen)
{
	char	*p = *pp + 1, *w = p;

	*out = p;
	for (;;) {
		if (*p == '\0') {
			snprintf(err, errlen, "unterminated quoted string");
			return -1;
		}
		if (*p == '"')
			break;
		if (*p == '\\') {
			if (p[1] != '"' && p[1] != '\\') {
				snprintf(err, errlen, "bad escape \\%c in "
				    "quoted string", p[1] ? p[1] : '0');
				return -1;
			}
			p++;
		}
		*w++ = *p++;
	}
	p++;
	if (*p != '\0' && *p != ' ' && *p != '\t') {
		snprintf(err, errlen, "text right after a quoted string");
		return -1;
	}
	*w = '\0';
	*pp = p;
	return 0;
}

int
config_split(char *line, char **argv, int maxargs, char *err, size_t errlen)
{
	char	*p = line;
	int	 argc = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			return argc;
		if (argc == maxargs) {
			snprintf(err, errlen, "more than %d words", maxargs);
			return -1;
		}
		if (*p == '"') {
			if (split_quoted(&p, &argv[argc++], err, errlen) == -1)
				return -1;
			if (*p != '\0')
				*p++ = '\0';
			continue;
		}
		argv[argc++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t') {
			if (*p == '"') {
				snprintf(err, errlen, "quote inside a word");
				return -1;
			}
			p++;
		}
		if (*p != '\0')
			*p++ = '\0';
	}
}

static const struct config_keyword *
lookup(const struct config_keyword *t, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

static int
set_scalar(const struct config_keyword *k, void *conf, const char *arg,
    char *err, size_t errlen)
{
	long long	*ll = (long long *)((char *)conf + k->offset);
	long long	 v;
	mode_t		 m;
	int		 rv = -1;

	switch (k->type) {
	case CONF_NUMBER:
		rv = parse_number(arg, k->min, k->max, &v);
		break;
	case CONF_SIZE:
		if ((rv = parse_size(arg, k->max, &v)) == 0 && v < k->min)
			rv = -1, errno = ERANGE;
		break;
	case CONF_DURATION:
		if ((rv = parse_duration(arg, k->max, &v)) == 0 && v < k->min)
			rv = -1, errno = ERANGE;
		break;
	case CONF_MODE:
		if ((rv = parse_mode(arg, &m)) == 0)
			v = m;
		break;
	default:
		errno = EINVAL;
		break;
	}
	if (rv == -1) {
		if (errno == ERANGE)
			snprintf(err, errlen, "%s: %s out of range [%lld, %lld]",
			    k->name, arg, k->min, k->max);
		else
			snprintf(err, errlen, "%s: bad value %s", k->name, arg);
		return -1;
	}
	*ll = v;
	return 0;
}

static int
set_value(const struct config_keyword *k, void *conf, int argc, char **argv,
    char *err, size_t errlen)
{
	char			**sp = (char **)((char *)conf + k->offset);
	int			 *bp = (int *)((char *)conf + k->offset);
	struct config_list	 *lp = (struct config_list *)((char *)conf +
				    k->offset);
	int			  i;

	if (k->type == CONF_FUNC)
		return k->parse(conf, argc, argv, err, errlen);
	if (k->type == CONF_LIST) {
		if (argc < 2) {
			snprintf(err, errlen, "%s: needs a value", k->name);
			return -1;
		}
		lp->v = xreallocarray(lp->v, lp->n + argc, sizeof(char *));
		for (i = 1; i < argc; i++)
			lp->v[lp->n++] = xstrdup(argv[i]);
		lp->v[lp->n] = NULL;
		return 0;
	}
	if (argc != 2) {
		snprintf(err, errlen, "%s: takes exactly one value", k->name);
		return -1;
	}
	if (k->type == CONF_STRING) {
		free(*sp);
		*sp = xstrdup(argv[1]);
		return 0;
	}
	if (k->type == CONF_BOOL) {
		if (strcmp(argv[1], "yes") != 0 && strcmp(argv[1], "no") != 0) {
			snprintf(err, errlen, "%s: yes or no, not %s", k->name,
			    argv[1]);
			return -1;
		}
		*bp = strcmp(argv[1], "yes") == 0;
		return 0;
	}
	return set_scalar(k, conf, argv[1], err, errlen);
}

int
config_defaults(const struct config_keyword *t, size_t n, void *conf)
{
	char	 line[CONFIG_LINE_MAX], err[CONFIG_ERR_MAX];
	char	*argv[CONFIG_ARGS_MAX];
	size_t	 i;
	int	 argc;

	for (i = 0; i < n; i++) {
		if (t[i].dflt == NULL)
			continue;
		snprintf(line, sizeof(line), "%s %s", t[i].name, t[i].dflt);
		if (t[i].type == CONF_STRING) {
			/* A string default is one value, spaces and all. */
			argv[0] = (char *)t[i].name;
			argv[1] = (char *)t[i].dflt;
			argc = 2;
		} else if ((argc = config_split(line, argv, CONFIG_ARGS_MAX,
		    err, sizeof(err))) == -1) {
			log_warnx("default of %s: %s", t[i].name, err);
			return -1;
		}
		if (set_value(&t[i], conf, argc, argv, err, sizeof(err)) == -1) {
			log_warnx("default of %s: %s", t[i].name, err);
			return -1;
		}
	}
	return 0;
}

static void
config_error(struct config_ctx *c, const char *file, int line, const char *msg)
{
	log_warnx("%s:%d: %s", file, line, msg);
	c->errors++;
}

static char *
include_path(const char *file, const char *arg)
{
	const char	*slash;
	char		*p;

	if (arg[0] == '/' || (slash = strrchr(file, '/')) == NULL)
		return xstrdup(arg);
	xasprintf(&p, "%.*s/%s", (int)(slash - file), file, arg);
	return p;
}

/* One line of a file: dispatches the keyword. */
static void
parse_line(struct config_ctx *c, const char *file, int lineno, char *line,
    int depth)
{
	char				 err[CONFIG_ERR_MAX], *argv[CONFIG_ARGS_MAX];
	char				*path, *seen;
	const struct config_keyword	*k;
	int				 argc;

	if ((argc = config_split(line, argv, CONFIG_ARGS_MAX, err,
	    sizeof(err))) == -1) {
		config_error(c, file, lineno, err);
		return;
	}
	if (argc == 0)
		return;
	if (strcmp(argv[0], "include") == 0) {
		if (argc != 2) {
			config_error(c, file, lineno, "include: one file name");
			return;
		}
		path = include_path(file, argv[1]);
		if (load_file(c, path, depth + 1) == -1)
			config_error(c, file, lineno, "include failed");
		free(path);
		return;
	}
	if ((k = lookup(c->table, c->n, argv[0])) == NULL) {
		snprintf(err, sizeof(err), "unknown keyword %s", argv[0]);
		config_error(c, file, lineno, err);
		return;
	}
	seen = &c->seen[k - c->table];
	if (k->type == CONF_LIST && !*seen)
		list_clear((struct config_list *)((char *)c->conf + k->offset));
	else if (*seen && k->type != CONF_LIST &&
	    (k->type != CONF_FUNC || k->max == 1)) {
		snprintf(err, sizeof(err), "%s given twice", k->name);
		config_error(c, file, lineno, err);
		return;
	}
	if (set_value(k, c->conf, argc, argv, err, sizeof(err)) == -1)
		config_error(c, file, lineno, err);
	else
		*seen = 1;
}

static int
load_file(struct config_ctx *c, const char *path, int depth)
{
	FILE	*fp;
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 len;
	int	 lineno = 0;

	if (depth > CONFIG_INCLUDE_DEPTH) {
		log_warnx("%s: includes nested deeper than %d", path,
		    CONFIG_INCLUDE_DEPTH);
		return -1;
	}
	if ((fp = fopen(path, "r")) == NULL) {
		log_warn("%s", path);
		return -1;
	}
	while ((len = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len >= CONFIG_LINE_MAX)
			config_error(c, path, lineno, "line too long");
		else if (strlen(line) != (size_t)len)
			config_error(c, path, lineno, "NUL byte in line");
		else
			parse_line(c, path, lineno, line, depth);
	}
	if (ferror(fp)) {
		log_warn("%s", path);
		c->errors++;
	}
	free(line);
	fclose(fp);
	return 0;
}

int
config_load(const char *path, const struct config_keyword *t, size_t n,
    void *conf)
{
	struct config_ctx	c;
	int			rv;

	memset(&c, 0, sizeof(c));
	c.table = t;
	c.n = n;
	c.conf = conf;
	c.seen = xcalloc(n + 1, 1);
	rv = load_file(&c, path, 0);
	free(c.seen);
	return (rv == -1 || c.errors > 0) ? -1 : 0;
}

static void
print_string(FILE *fp, const char *s)
{
	if (s[0] != '\0' && strpbrk(s, " \t#\"\\") == NULL) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

static void
print_one(const struct config_keyword *k, void *conf, FILE *fp)
{
	void				*v = (char *)conf + k->offset;
	const struct config_list	*l = v;
	size_t				 i;

	switch (k->type) {
	case CONF_STRING:
		if (*(char **)v == NULL) {
			fprintf(fp, "# %s (not set)\n", k->name);
			return;
		}
		fprintf(fp, "%s ", k->name);
		print_string(fp, *(char **)v);
		break;
	case CONF_NUMBER:
	case CONF_SIZE:
		fprintf(fp, "%s %lld", k->name, *(long long *)v);
		break;
	case CONF_DURATION:
		fprintf(fp, "%s %llds", k->name, *(long long *)v);
		break;
	case CONF_MODE:
		fprintf(fp, "%s %04llo", k->name, *(long long *)v);
		break;
	case CONF_BOOL:
		fprintf(fp, "%s %s", k->name, *(int *)v ? "yes" : "no");
		break;
	case CONF_LIST:
		if (l->n == 0) {
			fprintf(fp, "# %s (not set)\n", k->name);
			return;
		}
		fprintf(fp, "%s", k->name);
		for (i = 0; i < l->n; i++) {
			fputc(' ', fp);
			print_string(fp, l->v[i]);
		}
		break;
	case CONF_FUNC:
		if (k->print == NULL)
			fprintf(fp, "# %s", k->name);
		else {
			k->print(conf, fp);	/* whole lines */
			return;
		}
		break;
	}
	fputc('\n', fp);
}

void
config_print(const struct config_keyword *t, size_t n, void *conf, FILE *fp)
{
	size_t	i;

	for (i = 0; i < n; i++)
		print_one(&t[i], conf, fp);
}

void
config_free(const struct config_keyword *t, size_t n, void *conf)
{
	char	**sp;
	size_t	  i;

	for (i = 0; i < n; i++) {
		if (t[i].type == CONF_STRING) {
			sp = (char **)((char *)conf + t[i].offset);
			free(*sp);
			*sp = NULL;
		} else if (t[i].type == CONF_LIST)
			list_clear((struct config_list *)((char *)conf +
			    t[i].offset));
	}
}

int
config_listen(int argc, char **argv, const char *const *kinds, size_t n,
    const char *usage, char *err, size_t errlen)
{
	long long	port;
	size_t		k;

	if (argc != 4) {
		snprintf(err, errlen, "%s", usage);
		return -1;
	}
	if (parse_number(argv[2], 1, 65535, &port) == -1) {
		snprintf(err, errlen, "listen: bad port %s", argv[2]);
		return -1;
	}
	for (k = 0; k < n; k++)
		if (strcmp(argv[3], kinds[k]) == 0)
			return (int)k;
	snprintf(err, errlen, "listen: unknown kind %s", argv[3]);
	return -1;
}
