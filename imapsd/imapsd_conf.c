/*
 * imapsd.conf: the keyword table (every default lives here), "listen"
 * lines and the CIDR list of plaintext_networks.  imapsd.conf(5)
 * documents each keyword.
 */

#include <sys/types.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "log.h"
#include "imapsd.h"
#include "xmalloc.h"

#define OFF(m)	offsetof(struct imapsd_conf, m)

#define NS_COURIER	"INBOX."	/* courier-imap's personal namespace */
#define NS_DOVECOT	""		/* Dovecot's */

static int	conf_namespace_parse(void *, int, char **, char *, size_t);
static void	conf_namespace_print(void *, FILE *);

static const struct config_keyword imapsd_keywords[] = {
	LOGIN_CONF_KEYWORDS(struct imapsd_conf, "_imapsd"),
	{ "max_line", CONF_SIZE, OFF(max_line), 1024, 1 << 20, "64K", NULL,
	    NULL },
	{ "max_literal", CONF_SIZE, OFF(max_literal), 1024, 1 << 24, "64K",
	    NULL, NULL },
	{ "max_append", CONF_SIZE, OFF(max_append), 1024, 1LL << 31, "50M",
	    NULL, NULL },
	{ "max_auth_line", CONF_NUMBER, OFF(max_auth_line), 255, 16384,
	    "2048", NULL, NULL },
	{ "login_timeout", CONF_DURATION, OFF(login_timeout), 1, 3600,
	    "60s", NULL, NULL },
	{ "timeout", CONF_DURATION, OFF(timeout), 1, 86400, "30m", NULL,
	    NULL },
	{ "max_errors", CONF_NUMBER, OFF(max_errors), 1, 1000, "10", NULL,
	    NULL },
	{ "max_sessions_per_user", CONF_NUMBER, OFF(max_sessions_per_user), 1,
	    1000, "20", NULL, NULL },
	{ "namespace", CONF_FUNC, 0, 0, 1, NULL, conf_namespace_parse,
	    conf_namespace_print }
};

/* By enum imap_listen_kind. */
static const char *const kind_names[] = { "imap", "imaps" };

/* "namespace courier" (INBOX.) or "namespace dovecot" (no prefix). */
static int
conf_namespace_parse(void *conf, int argc, char **argv, char *err,
    size_t errlen)
{
	struct imapsd_conf	*c = conf;

	if (argc == 2 && strcmp(argv[1], "courier") == 0)
		c->ns_prefix = NS_COURIER;
	else if (argc == 2 && strcmp(argv[1], "dovecot") == 0)
		c->ns_prefix = NS_DOVECOT;
	else {
		snprintf(err, errlen, "namespace: courier or dovecot");
		return -1;
	}
	return 0;
}

static void
conf_namespace_print(void *conf, FILE *fp)
{
	struct imapsd_conf	*c = conf;

	fprintf(fp, "namespace %s\n", *c->ns_prefix == '\0' ? "dovecot" :
	    "courier");
}

int
imapsd_conf_load(struct imapsd_conf *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	c->common.kinds = kind_names;
	c->common.nkinds = nitems(kind_names);
	c->ns_prefix = NS_COURIER;
	if (config_defaults(imapsd_keywords, nitems(imapsd_keywords),
	    c) == -1 || config_load(path, imapsd_keywords,
	    nitems(imapsd_keywords), c) == -1)
		return -1;
	return login_conf_check(&c->common, path);
}

void
imapsd_conf_print(struct imapsd_conf *c, FILE *fp)
{
	config_print(imapsd_keywords, nitems(imapsd_keywords), c, fp);
}

void
imapsd_conf_free(struct imapsd_conf *c)
{
	login_conf_free(&c->common);
	config_free(imapsd_keywords, nitems(imapsd_keywords), c);
}
