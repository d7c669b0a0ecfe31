/*
 * smtpd-lite.conf: the keyword table (every default lives here), the
 * "listen" lines, the networks allowed to AUTH without TLS, and what is
 * resolved at start-up.  smtpd-lite.conf(5) documents each keyword.
 */

#include <sys/types.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "domains.h"
#include "log.h"
#include "privdrop.h"
#include "smtpd.h"
#include "xmalloc.h"

static int	conf_listen_parse(void *, int, char **, char *, size_t);
static void	conf_listen_print(void *, FILE *);
static int	conf_check(struct smtpd_conf *, const char *);

#define OFF(m)	offsetof(struct smtpd_conf, m)

static const struct config_keyword smtpd_keywords[] = {
	{ "listen", CONF_FUNC, 0, 0, 0, NULL, conf_listen_parse,
	    conf_listen_print },
	{ "hostname", CONF_STRING, OFF(hostname), 0, 0, "", NULL, NULL },
	{ "user", CONF_STRING, OFF(user), 0, 0, "_smtplite", NULL, NULL },
	{ "chroot", CONF_STRING, OFF(chroot), 0, 0, "/var/empty", NULL,
	    NULL },
	{ "authd_socket", CONF_STRING, OFF(authd_socket), 0, 0,
	    "/var/run/authd.sock", NULL, NULL },
	{ "queue_socket", CONF_STRING, OFF(queue_socket), 0, 0,
	    "/var/run/buzon-queue.sock", NULL, NULL },
	{ "local_domains", CONF_STRING, OFF(local_domains), 0, 0,
	    "/etc/buzon/local-host-names", NULL, NULL },
	{ "tls_cert", CONF_STRING, OFF(tls_cert), 0, 0, "", NULL, NULL },
	{ "tls_key", CONF_STRING, OFF(tls_key), 0, 0, "", NULL, NULL },
	{ "auth_plaintext_networks", CONF_LIST, OFF(plain_nets), 0, 0, NULL,
	    NULL, NULL },
	{ "max_sessions", CONF_NUMBER, OFF(max_sessions), 1, 10000, "100",
	    NULL, NULL },
	{ "max_sessions_per_addr", CONF_NUMBER, OFF(max_sessions_per_addr),
	    1, 10000, "10", NULL, NULL },
	{ "backlog", CONF_NUMBER, OFF(backlog), 1, 65535, "1024", NULL,
	    NULL },
	{ "max_line", CONF_NUMBER, OFF(max_line), 512, 65536, "1000", NULL,
	    NULL },
	{ "max_data_line", CONF_NUMBER, OFF(max_data_line), 1000,
	    SMTPD_DATA_HARDLINE, "1000", NULL, NULL },
	{ "max_recipients", CONF_NUMBER, OFF(max_recipients), 1, 100000,
	    "100", NULL, NULL },
	{ "max_errors", CONF_NUMBER, OFF(max_errors), 1, 1000, "10", NULL,
	    NULL },
	{ "max_message_size", CONF_SIZE, OFF(max_message_size), 1024,
	    2147483647LL, "35M", NULL, NULL },
	{ "timeout", CONF_DURATION, OFF(timeout), 1, 3600, "5m", NULL,
	    NULL },
	{ "data_timeout", CONF_DURATION, OFF(data_timeout), 1, 3600, "10m",
	    NULL, NULL },
	{ "tls_timeout", CONF_DURATION, OFF(tls_timeout), 1, 600, "30s",
	    NULL, NULL }
};

static const char *const kind_names[] = { "smtp", "smtps", "submission" };

const char *
smtpd_kind_name(enum listener_kind k)
{
	return kind_names[k];
}

/* listen ADDR PORT smtp|smtps|submission */
static int
conf_listen_parse(void *conf, int argc, char **argv, char *err,
    size_t errlen)
{
	struct smtpd_conf	*c = conf;
	struct listener		*l;
	int			 k;

	if (c->nlisteners == SMTPD_LISTEN_MAX) {
		snprintf(err, errlen, "listen: more than %d", SMTPD_LISTEN_MAX);
		return -1;
	}
	if ((k = config_listen(argc, argv, kind_names, nitems(kind_names),
	    "listen: takes an address, a port and smtp, smtps or submission",
	    err, errlen)) == -1)
		return -1;
	l = &c->listeners[c->nlisteners++];
	l->addr = xstrdup(argv[1]);
	l->port = xstrdup(argv[2]);
	l->kind = k;
	l->fd = -1;
	return 0;
}

static void
conf_listen_print(void *conf, FILE *fp)
{
	struct smtpd_conf	*c = conf;
	size_t			 i;

	for (i = 0; i < c->nlisteners; i++)
		fprintf(fp, "listen %s %s %s\n", c->listeners[i].addr,
		    c->listeners[i].port, kind_names[c->listeners[i].kind]);
}

/* 1 when s is a domain name or an address literal (RFC 5321 4.1.2). */
int
smtpd_valid_domain(const char *s)
{
	struct mailaddr	a;
	char		buf[ADDR_DOMAIN_MAX + 3];

	if ((size_t)snprintf(buf, sizeof(buf), "x@%s", s) >= sizeof(buf))
		return 0;
	return addr_parse(buf, &a) == 0 && strlen(a.domain) == strlen(s);
}

static int
conf_check(struct smtpd_conf *c, const char *path)
{
	char	*argv[] = { "listen", "0.0.0.0", "25", "smtp" };
	char	 err[CONFIG_ERR_MAX];
	int	 rv = 0, tls = c->tls_cert[0] != '\0';
	size_t	 i;

	if (c->nlisteners == 0 &&
	    conf_listen_parse(c, nitems(argv), argv, err, sizeof(err)) == -1)
		return -1;
	if ((c->tls_cert[0] != '\0') != (c->tls_key[0] != '\0')) {
		log_warnx("%s: tls_cert and tls_key go together", path);
		rv = -1;
	}
	for (i = 0; i < c->nlisteners; i++) {
		if (c->listeners[i].kind != LISTEN_SMTP && !tls) {
			log_warnx("%s: listen %s %s %s needs tls_cert and "
			    "tls_key", path, c->listeners[i].addr,
			    c->listeners[i].port,
			    kind_names[c->listeners[i].kind]);
			rv = -1;
		}
	}
	if (c->chroot[0] != '/') {
		log_warnx("%s: chroot must be an absolute path", path);
		rv = -1;
	}
	return rv;
}

int
smtpd_conf_load(struct smtpd_conf *c, const char *path)
{
	char	host[SMTPD_HOSTNAME_MAX + 1];

	memset(c, 0, sizeof(*c));
	if (config_defaults(smtpd_keywords, nitems(smtpd_keywords), c) == -1 ||
	    config_load(path, smtpd_keywords, nitems(smtpd_keywords), c) == -1)
		return -1;
	if (c->hostname[0] == '\0') {
		if (gethostname(host, sizeof(host)) == -1)
			strlcpy(host, "localhost", sizeof(host));
		host[sizeof(host) - 1] = '\0';
		free(c->hostname);
		c->hostname = xstrdup(host);
	}
	if (!smtpd_valid_domain(c->hostname)) {
		log_warnx("%s: hostname %s is not a domain name", path,
		    c->hostname);
		return -1;
	}
	return conf_check(c, path);
}

/* Networks, the local domains and the user, before the privilege drop. */
int
smtpd_conf_resolve(struct smtpd_conf *c)
{
	size_t	i;
	int	rv = 0;

	c->nets = xreallocarray(NULL, c->plain_nets.n + 1, sizeof(*c->nets));
	for (i = 0; i < c->plain_nets.n; i++) {
		if (netmask_parse(c->plain_nets.v[i], &c->nets[i]) == -1) {
			log_warnx("auth_plaintext_networks: bad network %s",
			    c->plain_nets.v[i]);
			rv = -1;
		}
	}
	c->nnets = c->plain_nets.n;
	if (c->nnets > SMTPD_NETWORKS_MAX) {
		log_warnx("auth_plaintext_networks: more than %d",
		    SMTPD_NETWORKS_MAX);
		rv = -1;
	}
	if ((c->domains = domains_load_conf(c->local_domains)) == NULL)
		rv = -1;
	if (privdrop_user_check(c->user) == -1)
		rv = -1;
	return rv;
}

void
smtpd_conf_print(struct smtpd_conf *c, FILE *fp)
{
	config_print(smtpd_keywords, nitems(smtpd_keywords), c, fp);
	domains_print(c->domains, "# local_domains: ", fp);
}

void
smtpd_conf_free(struct smtpd_conf *c)
{
	size_t	i;

	for (i = 0; i < c->nlisteners; i++) {
		free(c->listeners[i].addr);
		free(c->listeners[i].port);
	}
	c->nlisteners = 0;
	config_free(smtpd_keywords, nitems(smtpd_keywords), c);
	free(c->nets);
	c->nets = NULL;
	domains_free(c->domains);
	c->domains = NULL;
}
