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
#include "privdrop.h"
#include "xmalloc.h"

static int	conf_listen_parse(void *, int, char **, char *, size_t);
static void	conf_listen_print(void *, FILE *);

#define OFF(m)	offsetof(struct imapsd_conf, m)

static const struct config_keyword imapsd_keywords[] = {
	{ "listen", CONF_FUNC, 0, 0, 0, NULL, conf_listen_parse,
	    conf_listen_print },
	{ "tls_cert", CONF_STRING, OFF(tls_cert), 0, 0,
	    "/etc/ssl/buzon.crt", NULL, NULL },
	{ "tls_key", CONF_STRING, OFF(tls_key), 0, 0,
	    "/etc/ssl/private/buzon.key", NULL, NULL },
	{ "plaintext_networks", CONF_LIST, OFF(plaintext_networks), 0, 0,
	    NULL, NULL, NULL },
	{ "user", CONF_STRING, OFF(user), 0, 0, "_imapsd", NULL, NULL },
	{ "chroot", CONF_STRING, OFF(chroot), 0, 0, "/var/empty", NULL,
	    NULL },
	{ "authd_socket", CONF_STRING, OFF(authd_socket), 0, 0,
	    "/var/run/authd.sock", NULL, NULL },
	{ "max_sessions", CONF_NUMBER, OFF(max_sessions), 1, 100000, "500",
	    NULL, NULL },
	{ "max_sessions_per_addr", CONF_NUMBER, OFF(max_sessions_per_addr),
	    1, 100000, "20", NULL, NULL },
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
	    NULL }
};

/* By enum imap_listen_kind. */
static const char *const kind_names[] = { "imap", "imaps" };

static int
conf_listen_parse(void *conf, int argc, char **argv, char *err,
    size_t errlen)
{
	struct imapsd_conf	*c = conf;
	struct imap_listen	*l;
	int			 k;

	if (c->nlisten == IMAPSD_LISTEN_MAX) {
		snprintf(err, errlen, "listen: more than %d lines",
		    IMAPSD_LISTEN_MAX);
		return -1;
	}
	if ((k = config_listen(argc, argv, kind_names, nitems(kind_names),
	    "listen: takes ADDR PORT imaps|imap", err, errlen)) == -1)
		return -1;
	l = &c->listen[c->nlisten++];
	l->kind = k;
	l->addr = xstrdup(argv[1]);
	l->port = xstrdup(argv[2]);
	return 0;
}

static void
conf_listen_print(void *conf, FILE *fp)
{
	struct imapsd_conf	*c = conf;
	size_t			 i;

	for (i = 0; i < c->nlisten; i++)
		fprintf(fp, "listen %s %s %s\n", c->listen[i].addr,
		    c->listen[i].port, kind_names[c->listen[i].kind]);
}

static int
conf_check(struct imapsd_conf *c, const char *path)
{
	size_t	i;
	int	rv = 0;

	if (c->nlisten == 0) {
		log_warnx("%s: no listen line", path);
		rv = -1;
	}
	for (i = 0; i < c->plaintext_networks.n; i++) {
		if (c->nnets == IMAPSD_NETS_MAX ||
		    netmask_parse(c->plaintext_networks.v[i],
		    &c->nets[c->nnets]) == -1) {
			log_warnx("%s: plaintext_networks: bad network %s",
			    path, c->plaintext_networks.v[i]);
			rv = -1;
			continue;
		}
		c->nnets++;
	}
	if (c->chroot[0] != '/') {
		log_warnx("%s: chroot: not an absolute path", path);
		rv = -1;
	}
	if (privdrop_user_check(c->user) == -1)
		rv = -1;
	return rv;
}

int
imapsd_conf_load(struct imapsd_conf *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	if (config_defaults(imapsd_keywords, nitems(imapsd_keywords),
	    c) == -1 || config_load(path, imapsd_keywords,
	    nitems(imapsd_keywords), c) == -1)
		return -1;
	return conf_check(c, path);
}

void
imapsd_conf_print(struct imapsd_conf *c, FILE *fp)
{
	config_print(imapsd_keywords, nitems(imapsd_keywords), c, fp);
}

void
imapsd_conf_free(struct imapsd_conf *c)
{
	size_t	i;

	for (i = 0; i < c->nlisten; i++) {
		free(c->listen[i].addr);
		free(c->listen[i].port);
	}
	c->nlisten = 0;
	config_free(imapsd_keywords, nitems(imapsd_keywords), c);
}
