/*
 * authd.conf: the keyword table (every default lives here), the
 * "backend" lines, and the names resolved at start-up.  authd.conf(5)
 * documents each keyword.
 */

#include <sys/types.h>

#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authd.h"
#include "compat.h"
#include "log.h"
#include "number.h"
#include "privdrop.h"
#include "xmalloc.h"

#define AUTHD_DEFAULT_BACKEND	"file", "/etc/buzon/passwd"

static int	conf_backend_parse(void *, int, char **, char *, size_t);
static void	conf_backend_print(void *, FILE *);
static int	conf_resolve_uid(const char *, uid_t *);

#define OFF(m)	offsetof(struct authd_conf, m)

static const struct config_keyword authd_keywords[] = {
	{ "socket", CONF_STRING, OFF(socket_path), 0, 0,
	    "/var/run/authd.sock", NULL, NULL },
	{ "socket_mode", CONF_MODE, OFF(socket_mode), 0, 0777, "0660",
	    NULL, NULL },
	{ "socket_group", CONF_STRING, OFF(socket_group), 0, 0, "_authd",
	    NULL, NULL },
	{ "user", CONF_STRING, OFF(user), 0, 0, "_authd", NULL, NULL },
	{ "allow", CONF_LIST, OFF(allow), 0, 0, NULL, NULL, NULL },
	{ "backend", CONF_FUNC, 0, 0, 0, NULL, conf_backend_parse,
	    conf_backend_print },
	{ "workers", CONF_NUMBER, OFF(workers), 1, 64, "4", NULL, NULL },
	{ "max_clients", CONF_NUMBER, OFF(max_clients), 1, 1000, "128",
	    NULL, NULL },
	{ "idle_timeout", CONF_DURATION, OFF(idle_timeout), 1, 3600, "60s",
	    NULL, NULL },
	{ "worker_timeout", CONF_DURATION, OFF(worker_timeout), 1, 600,
	    "30s", NULL, NULL },
	{ "throttle_after", CONF_NUMBER, OFF(throttle_after), 0, 1000, "3",
	    NULL, NULL },
	{ "throttle_base", CONF_DURATION, OFF(throttle_base), 1, 3600, "1s",
	    NULL, NULL },
	{ "throttle_max", CONF_DURATION, OFF(throttle_max), 1, 3600, "30s",
	    NULL, NULL },
	{ "throttle_expire", CONF_DURATION, OFF(throttle_expire), 1, 86400,
	    "15m", NULL, NULL },
	{ "throttle_entries", CONF_NUMBER, OFF(throttle_entries), 16,
	    1000000, "10000", NULL, NULL }
};

static int
conf_backend_parse(void *conf, int argc, char **argv, char *err,
    size_t errlen)
{
	struct authd_conf	*c = conf;

	return backend_chain_add(&c->chain, argc, argv, err, errlen);
}

static void
conf_backend_print(void *conf, FILE *fp)
{
	struct authd_conf	*c = conf;

	backend_chain_print(&c->chain, fp);
}

int
authd_conf_load(struct authd_conf *c, const char *path)
{
	char	 err[CONFIG_ERR_MAX];
	char	*argv[] = { "backend", AUTHD_DEFAULT_BACKEND };

	memset(c, 0, sizeof(*c));
	if (config_defaults(authd_keywords, nitems(authd_keywords), c) == -1 ||
	    config_load(path, authd_keywords, nitems(authd_keywords), c) == -1)
		return -1;
	if (c->throttle_max < c->throttle_base) {
		log_warnx("%s: throttle_max is less than throttle_base", path);
		return -1;
	}
	if (c->chain.n == 0 &&
	    backend_chain_add(&c->chain, nitems(argv), argv, err,
	    sizeof(err)) == -1) {
		log_warnx("%s: default backend: %s", path, err);
		return -1;
	}
	return 0;
}

/* A user name or a number. */
static int
conf_resolve_uid(const char *s, uid_t *uid)
{
	struct passwd	*pw;
	long long	 n;

	if (parse_number(s, 0, UINT32_MAX - 1, &n) == 0) {
		*uid = n;
		return 0;
	}
	if ((pw = getpwnam(s)) == NULL)
		return -1;
	*uid = pw->pw_uid;
	return 0;
}

/* Names to ids, before the privilege drop; 0, or -1 after logging. */
int
authd_conf_resolve(struct authd_conf *c)
{
	struct group	*gr;
	size_t		 i;
	int		 rv = 0;

	c->allow_uids = xreallocarray(NULL, c->allow.n + 1, sizeof(uid_t));
	for (i = 0; i < c->allow.n; i++) {
		if (conf_resolve_uid(c->allow.v[i], &c->allow_uids[i]) == -1) {
			log_warnx("allow: no such user %s", c->allow.v[i]);
			rv = -1;
		}
	}
	c->nallow = c->allow.n;
	c->socket_gid = (gid_t)-1;
	if (c->socket_group[0] != '\0') {
		if ((gr = getgrnam(c->socket_group)) == NULL) {
			log_warnx("socket_group: no such group %s",
			    c->socket_group);
			rv = -1;
		} else
			c->socket_gid = gr->gr_gid;
	}
	if (privdrop_user_check(c->user) == -1)
		rv = -1;
	return rv;
}

void
authd_conf_print(struct authd_conf *c, FILE *fp)
{
	config_print(authd_keywords, nitems(authd_keywords), c, fp);
}

void
authd_conf_free(struct authd_conf *c)
{
	backend_chain_free(&c->chain);
	config_free(authd_keywords, nitems(authd_keywords), c);
	free(c->allow_uids);
	c->allow_uids = NULL;
}
