/*
 * smtpd-lite.conf: the keyword table (every default lives here), the
 * "listen" lines, the networks allowed to AUTH without TLS, and what is
 * resolved at start-up.  smtpd-lite.conf(5) documents each keyword.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "domains.h"
#include "log.h"
#include "number.h"
#include "privdrop.h"
#include "smtpd.h"
#include "xmalloc.h"

static int	conf_listen_parse(void *, int, char **, char *, size_t);
static void	conf_listen_print(void *, FILE *);
static int	conf_net_parse(const char *, struct netmask *);
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
	long long		 port;
	size_t			 k;

	if (argc != 4) {
		snprintf(err, errlen, "listen: takes an address, a port and "
		    "smtp, smtps or submission");
		return -1;
	}
	if (c->nlisteners == SMTPD_LISTEN_MAX) {
		snprintf(err, errlen, "listen: more than %d", SMTPD_LISTEN_MAX);
		return -1;
	}
	if (parse_number(argv[2], 1, 65535, &port) == -1) {
		snprintf(err, errlen, "listen: bad port %s", argv[2]);
		return -1;
	}
	for (k = 0; k < nitems(kind_names); k++)
		if (strcmp(argv[3], kind_names[k]) == 0)
			break;
	if (k == nitems(kind_names)) {
		snprintf(err, errlen, "listen: unknown kind %s", argv[3]);
		return -1;
	}
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

/* "192.0.2.0/24", "2001:db8::/32" or a single address. */
static int
conf_net_parse(const char *s, struct netmask *n)
{
	char		 buf[INET6_ADDRSTRLEN + 5], *slash;
	long long	 prefix;
	int		 max;

	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -1;
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, buf, n->addr) == 1) {
		n->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
		n->family = AF_INET6;
		max = 128;
	} else
		return -1;
	if (slash == NULL)
		prefix = max;
	else if (parse_number(slash, 0, max, &prefix) == -1)
		return -1;
	n->prefix = prefix;
	return 0;
}

static int
net_contains(const struct netmask *n, const uint8_t *a)
{
	int	full = n->prefix / 8, rest = n->prefix % 8;
	uint8_t	mask;

	if (memcmp(n->addr, a, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (n->addr[full] & mask) == (a[full] & mask);
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

/* 1 when addr (text) is in auth_plaintext_networks. */
int
smtpd_net_match(const struct smtpd_conf *c, const char *addr)
{
	uint8_t	a[16];
	int	family;
	size_t	i;

	if (inet_pton(AF_INET, addr, a) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, addr, a) == 1)
		family = AF_INET6;
	else
		return 0;
	for (i = 0; i < c->nnets; i++)
		if (c->nets[i].family == family &&
		    net_contains(&c->nets[i], a))
			return 1;
	return 0;
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
	char	err[CONFIG_ERR_MAX];
	size_t	i;
	int	rv = 0;

	c->nets = xreallocarray(NULL, c->plain_nets.n + 1, sizeof(*c->nets));
	for (i = 0; i < c->plain_nets.n; i++) {
		if (conf_net_parse(c->plain_nets.v[i], &c->nets[i]) == -1) {
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
	err[0] = '\0';
	if ((c->domains = domains_load(c->local_domains, err,
	    sizeof(err))) == NULL) {
		if (err[0] != '\0')
			log_warnx("local_domains: %s", err);
		else
			log_warn("local_domains: %s", c->local_domains);
		rv = -1;
	}
	if (privdrop_needed() && getpwnam(c->user) == NULL) {
		log_warnx("user: no such user %s", c->user);
		rv = -1;
	}
	return rv;
}

void
smtpd_conf_print(struct smtpd_conf *c, FILE *fp)
{
	size_t	i;

	config_print(smtpd_keywords, nitems(smtpd_keywords), c, fp);
	if (c->domains == NULL)
		return;
	for (i = 0; i < domains_count(c->domains); i++)
		fprintf(fp, "# local_domains: %s\n",
		    domains_get(c->domains, i));
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
