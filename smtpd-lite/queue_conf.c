/*
 * mailqueue.conf: the keyword table (every default lives here) and the
 * names resolved at start-up.  mailqueue.conf(5) documents each keyword.
 */

#include <sys/types.h>

#include <errno.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "domains.h"
#include "log.h"
#include "mailqueue.h"
#include "number.h"
#include "privdrop.h"
#include "xmalloc.h"

#ifndef PATH_LIBEXEC
#define PATH_LIBEXEC	"/usr/local/libexec"
#endif

#define OFF(m)	offsetof(struct mailqueue_conf, m)

static const struct config_keyword mailqueue_keywords[] = {
	{ "queue_dir", CONF_STRING, OFF(queue_dir), 0, 0, "/var/spool/buzon",
	    NULL, NULL },
	{ "socket", CONF_STRING, OFF(socket_path), 0, 0,
	    "/var/run/buzon-queue.sock", NULL, NULL },
	{ "socket_mode", CONF_MODE, OFF(socket_mode), 0, 0777, "0666",
	    NULL, NULL },
	{ "user", CONF_STRING, OFF(user), 0, 0, "_mailq", NULL, NULL },
	{ "authd_socket", CONF_STRING, OFF(authd_socket), 0, 0,
	    "/var/run/authd.sock", NULL, NULL },
	{ "maildeliver", CONF_STRING, OFF(maildeliver), 0, 0,
	    PATH_LIBEXEC "/maildeliver", NULL, NULL },
	{ "local_domains", CONF_STRING, OFF(local_domains), 0, 0,
	    "/etc/buzon/local-host-names", NULL, NULL },
	{ "trusted_users", CONF_LIST, OFF(trusted_users), 0, 0, "_smtplite",
	    NULL, NULL },
	{ "hostname", CONF_STRING, OFF(hostname), 0, 0, NULL, NULL, NULL },
	{ "max_clients", CONF_NUMBER, OFF(max_clients), 1, 10000, "1000",
	    NULL, NULL },
	{ "acceptor_idle", CONF_DURATION, OFF(acceptor_idle), 1, 3600, "30s",
	    NULL, NULL },
	{ "timeout", CONF_DURATION, OFF(timeout), 1, 3600, "10m", NULL,
	    NULL },
	{ "max_message_size", CONF_SIZE, OFF(max_message_size), 1024,
	    1LL << 31, "35M", NULL, NULL },
	{ "max_recipients", CONF_NUMBER, OFF(max_recipients), 1, 100000,
	    "1000", NULL, NULL },
	{ "delivery_concurrency", CONF_NUMBER, OFF(delivery_concurrency), 1,
	    256, "8", NULL, NULL },
	{ "delivery_idle", CONF_DURATION, OFF(delivery_idle), 0, 3600,
	    "30s", NULL, NULL },
	{ "delivery_timeout", CONF_DURATION, OFF(delivery_timeout), 1, 86400,
	    "1h", NULL, NULL },
	{ "authd_timeout", CONF_DURATION, OFF(authd_timeout), 1, 600, "30s",
	    NULL, NULL },
	{ "retry_min", CONF_DURATION, OFF(retry_min), 1, 86400, "5m", NULL,
	    NULL },
	{ "retry_max", CONF_DURATION, OFF(retry_max), 1, 7 * 86400, "4h",
	    NULL, NULL }
};

int
mailqueue_conf_load(struct mailqueue_conf *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	if (config_defaults(mailqueue_keywords, nitems(mailqueue_keywords),
	    c) == -1 || config_load(path, mailqueue_keywords,
	    nitems(mailqueue_keywords), c) == -1)
		return -1;
	if (c->retry_max < c->retry_min) {
		log_warnx("%s: retry_max is less than retry_min", path);
		return -1;
	}
	if (c->queue_dir[0] != '/' || c->socket_path[0] != '/' ||
	    c->maildeliver[0] != '/' || c->authd_socket[0] != '/') {
		log_warnx("%s: queue_dir, socket, authd_socket and maildeliver "
		    "must be absolute paths", path);
		return -1;
	}
	return 0;
}

static int
resolve_trusted(struct mailqueue_conf *c)
{
	struct passwd	*pw;
	long long	 n;
	size_t		 i;
	int		 rv = 0;

	c->trusted_uids = xreallocarray(NULL, c->trusted_users.n + 1,
	    sizeof(uid_t));
	c->ntrusted = 0;
	for (i = 0; i < c->trusted_users.n; i++) {
		if (c->trusted_users.v[i][0] == '\0')
			continue;
		if (parse_number(c->trusted_users.v[i], 0, UINT32_MAX - 1,
		    &n) == 0)
			c->trusted_uids[c->ntrusted++] = n;
		else if ((pw = getpwnam(c->trusted_users.v[i])) != NULL)
			c->trusted_uids[c->ntrusted++] = pw->pw_uid;
		else
			log_warnx("trusted_users: no such user %s, ignored",
			    c->trusted_users.v[i]);
	}
	return rv;
}

/* Names to ids, the host name and the local domains; before the drop. */
int
mailqueue_conf_resolve(struct mailqueue_conf *c, const char *path)
{
	struct passwd	*pw;
	int		 rv = 0;

	c->uid = getuid();
	c->gid = getgid();
	if (privdrop_needed()) {
		if ((pw = getpwnam(c->user)) == NULL) {
			log_warnx("user: no such user %s", c->user);
			rv = -1;
		} else if (pw->pw_uid == 0) {
			log_warnx("user: %s is root", c->user);
			rv = -1;
		} else {
			c->uid = pw->pw_uid;
			c->gid = pw->pw_gid;
		}
	}
	if (resolve_trusted(c) == -1)
		rv = -1;
	if (c->hostname != NULL) {
		if (strlcpy(c->host, c->hostname, sizeof(c->host)) >=
		    sizeof(c->host) || c->hostname[0] == '\0') {
			log_warnx("%s: hostname: bad name", path);
			rv = -1;
		}
	} else if (gethostname(c->host, sizeof(c->host)) == -1) {
		log_warn("gethostname");
		rv = -1;
	}
	if (mailqueue_conf_domains(c) == -1)
		rv = -1;
	return rv;
}

/* (Re)reads local_domains; the old set stays on failure. */
int
mailqueue_conf_domains(struct mailqueue_conf *c)
{
	struct domains	*d;

	if ((d = domains_load_conf(c->local_domains)) == NULL)
		return -1;
	domains_free(c->domains);
	c->domains = d;
	return 0;
}

void
mailqueue_conf_print(struct mailqueue_conf *c, FILE *fp)
{
	config_print(mailqueue_keywords, nitems(mailqueue_keywords), c, fp);
	domains_print(c->domains, "# local domain ", fp);
}

void
mailqueue_conf_free(struct mailqueue_conf *c)
{
	config_free(mailqueue_keywords, nitems(mailqueue_keywords), c);
	free(c->trusted_uids);
	c->trusted_uids = NULL;
	domains_free(c->domains);
	c->domains = NULL;
}
