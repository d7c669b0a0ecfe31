/* The configuration pop3sd and imapsd share: see login_conf.h. */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "login_conf.h"
#include "privdrop.h"
#include "xmalloc.h"

int
login_conf_listen_parse(void *conf, int argc, char **argv, char *err,
    size_t errlen)
{
	struct login_conf_common	*c = conf;
	struct login_listen_line	*l;
	char				 usage[64];
	int				 k;

	if (c->nlisten == LOGIN_LISTEN_MAX) {
		snprintf(err, errlen, "listen: more than %d lines",
		    LOGIN_LISTEN_MAX);
		return -1;
	}
	snprintf(usage, sizeof(usage), "listen: takes ADDR PORT %s|%s",
	    c->kinds[1], c->kinds[0]);
	if ((k = config_listen(argc, argv, c->kinds, c->nkinds, usage, err,
	    errlen)) == -1)
		return -1;
	l = &c->listen[c->nlisten++];
	l->kind = k;
	l->addr = xstrdup(argv[1]);
	l->port = xstrdup(argv[2]);
	return 0;
}

void
login_conf_listen_print(void *conf, FILE *fp)
{
	struct login_conf_common	*c = conf;
	size_t				 i;

	for (i = 0; i < c->nlisten; i++)
		fprintf(fp, "listen %s %s %s\n", c->listen[i].addr,
		    c->listen[i].port, c->kinds[c->listen[i].kind]);
}

int
login_conf_check(struct login_conf_common *c, const char *path)
{
	size_t	i;
	int	rv = 0;

	if (c->nlisten == 0) {
		log_warnx("%s: no listen line", path);
		rv = -1;
	}
	for (i = 0; i < c->plaintext_networks.n; i++) {
		if (c->nnets == LOGIN_NETS_MAX ||
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

void
login_conf_free(struct login_conf_common *c)
{
	size_t	i;

	for (i = 0; i < c->nlisten; i++) {
		free(c->listen[i].addr);
		free(c->listen[i].port);
	}
	c->nlisten = 0;
}
