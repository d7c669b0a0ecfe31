/*
 * The backend table, the chain of backends from authd.conf, and the
 * helpers every backend shares (password check, default maildir).
 */

#include <sys/types.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "compat.h"
#include "xmalloc.h"

/* Every backend authd knows. */
static const struct backend_ops *const backends[] = {
	&backend_file_ops,
	&backend_passwd_ops,
	&backend_ldap_ops
};

static const struct backend_ops	*backend_find(const char *);
static int	ct_equal(const char *, const char *);

static const struct backend_ops *
backend_find(const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(backends); i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

/* argv[0] is the keyword "backend", argv[1] the backend's name. */
int
backend_chain_add(struct backend_chain *c, int argc, char **argv, char *err,
    size_t errlen)
{
	const struct backend_ops	*ops;
	struct backend			*b;
	int				 i, nargs = argc - 2;

	if (argc < 2) {
		snprintf(err, errlen, "backend: needs a name");
		return -1;
	}
	if ((ops = backend_find(argv[1])) == NULL) {
		snprintf(err, errlen, "backend: unknown backend %s", argv[1]);
		return -1;
	}
	if (nargs < ops->minargs || nargs > ops->maxargs) {
		snprintf(err, errlen, "backend %s: takes %d to %d arguments",
		    ops->name, ops->minargs, ops->maxargs);
		return -1;
	}
	if (c->n == BACKEND_CHAIN_MAX) {
		snprintf(err, errlen, "backend: more than %d backends",
		    BACKEND_CHAIN_MAX);
		return -1;
	}
	b = xcalloc(1, sizeof(*b));
	b->ops = ops;
	for (i = 0; i < nargs; i++)
		b->argv[b->argc++] = xstrdup(argv[i + 2]);
	if (ops->init(b, b->argc, b->argv, err, errlen) == -1) {
		for (i = 0; i < b->argc; i++)
			free(b->argv[i]);
		free(b);
		return -1;
	}
	c->b[c->n++] = b;
	return 0;
}

void
backend_chain_print(struct backend_chain *c, FILE *fp)
{
	size_t	i;
	int	j;

	for (i = 0; i < c->n; i++) {
		fprintf(fp, "backend %s", c->b[i]->ops->name);
		for (j = 0; j < c->b[i]->argc; j++)
			fprintf(fp, " \"%s\"", c->b[i]->argv[j]);
		fputc('\n', fp);
		if (c->b[i]->ops->print != NULL)
			c->b[i]->ops->print(c->b[i], fp);
	}
}

void
backend_chain_reopen(struct backend_chain *c)
{
	size_t	i;

	for (i = 0; i < c->n; i++)
		if (c->b[i]->ops->reopen != NULL)
			c->b[i]->ops->reopen(c->b[i]);
}

void
backend_chain_free(struct backend_chain *c)
{
	size_t	i;
	int	j;

	for (i = 0; i < c->n; i++) {
		c->b[i]->ops->close(c->b[i]);
		for (j = 0; j < c->b[i]->argc; j++)
			free(c->b[i]->argv[j]);
		free(c->b[i]);
		c->b[i] = NULL;
	}
	c->n = 0;
}

void
backend_chain_groups(struct backend_chain *c, const char **groups, size_t n)
{
	size_t	i, j, k = 0;

	for (i = 0; i < c->n && k + 1 < n; i++) {
		if (c->b[i]->ops->group == NULL)
			continue;
		for (j = 0; j < k; j++)
			if (strcmp(groups[j], c->b[i]->ops->group) == 0)
				break;
		if (j == k)
			groups[k++] = c->b[i]->ops->group;
	}
	groups[k] = NULL;
}

void
backend_chain_promises(struct backend_chain *c, char *buf, size_t len)
{
	size_t	i;

	buf[0] = '\0';
	for (i = 0; i < c->n; i++) {
		if (c->b[i]->ops->promises == NULL ||
		    strstr(buf, c->b[i]->ops->promises) != NULL)
			continue;
		strlcat(buf, " ", len);
		strlcat(buf, c->b[i]->ops->promises, len);
	}
}

int
backend_chain_unveil(struct backend_chain *c)
{
	size_t	i;

	for (i = 0; i < c->n; i++)
		if (c->b[i]->ops->unveil(c->b[i]) == -1)
			return -1;
	return 0;
}

/* OK wins; else TEMPFAIL if any backend could not tell; else FAIL. */
enum backend_result
backend_chain_auth(struct backend_chain *c, const char *service,
    const char *user, const char *pass, struct auth_user *u)
{
	enum backend_result	r, res = BACKEND_FAIL;
	size_t			i;

	for (i = 0; i < c->n; i++) {
		memset(u, 0, sizeof(*u));
		r = c->b[i]->ops->auth(c->b[i], service, user, pass, u);
		if (r == BACKEND_OK)
			return BACKEND_OK;
		if (r == BACKEND_TEMPFAIL)
			res = BACKEND_TEMPFAIL;
	}
	return res;
}

enum backend_result
backend_chain_lookup(struct backend_chain *c, const char *user,
    struct auth_user *u)
{
	enum backend_result	r, res = BACKEND_FAIL;
	size_t			i;

	for (i = 0; i < c->n; i++) {
		memset(u, 0, sizeof(*u));
		r = c->b[i]->ops->lookup(c->b[i], user, u);
		if (r == BACKEND_OK)
			return BACKEND_OK;
		if (r == BACKEND_TEMPFAIL)
			res = BACKEND_TEMPFAIL;
	}
	return res;
}

/* Hash lengths are public; their contents are compared in constant time. */
static int
ct_equal(const char *a, const char *b)
{
	size_t		 i, len = strlen(a);
	unsigned char	 d = 0;

	if (len != strlen(b))
		return 0;
	for (i = 0; i < len; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return d == 0;
}

/*
 * crypt(3) is not reentrant, and needs not be: a worker handles one
 * request at a time.
 */
int
backend_checkpass(const char *pass, const char *hash)
{
	const char	*res;

	if ((res = crypt(pass, hash)) == NULL || res[0] == '*' ||
	    res[0] == '\0')
		return -1;
	return ct_equal(res, hash);
}

int
backend_default_maildir(struct auth_user *u)
{
	int	n;

	if (u->maildir[0] != '\0')
		return 0;
	if (u->home[0] == '\0')
		return -1;
	n = snprintf(u->maildir, sizeof(u->maildir), "%s%sMaildir", u->home,
	    u->home[strlen(u->home) - 1] == '/' ? "" : "/");
	return (n < 0 || (size_t)n >= sizeof(u->maildir)) ? -1 : 0;
}
