/*
 * The configuration pop3sd and imapsd share: listeners, the certificate,
 * plaintext_networks, the pre-auth user and chroot, authd's socket and
 * the session limits.  A daemon's configuration structure starts with a
 * struct login_conf_common, its keyword table holds LOGIN_CONF_KEYWORDS,
 * and its check and free call login_conf_check() and login_conf_free().
 */
#ifndef LOGIN_CONF_H
#define LOGIN_CONF_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "netmask.h"

#define LOGIN_LISTEN_MAX	16	/* listen lines */
#define LOGIN_NETS_MAX		64	/* plaintext_networks entries */

struct login_listen_line {
	char	*addr;
	char	*port;
	int	 kind;		/* index into kinds */
};

struct login_conf_common {
	/* Set by the daemon before loading: "pop3", "pop3s". */
	const char *const	*kinds;
	size_t			 nkinds;
	struct login_listen_line listen[LOGIN_LISTEN_MAX];
	size_t			 nlisten;
	char			*tls_cert;
	char			*tls_key;
	struct config_list	 plaintext_networks;
	char			*user;
	char			*chroot;
	char			*authd_socket;
	long long		 max_sessions;
	long long		 max_sessions_per_addr;
	/* Resolved by login_conf_check(). */
	struct netmask		 nets[LOGIN_NETS_MAX];
	size_t			 nnets;
};

/* CONF_FUNC parse and print of "listen": conf starts with the common. */
int	login_conf_listen_parse(void *conf, int argc, char **argv, char *err,
	    size_t errlen);
void	login_conf_listen_print(void *conf, FILE *);
/* After config_load: listen lines, networks, chroot, user; 0 or -1. */
int	login_conf_check(struct login_conf_common *, const char *path);
void	login_conf_free(struct login_conf_common *);

#define LOGIN_CONF_OFF(type, m)	offsetof(type, common.m)

/* The shared keywords of the table of type; dfl_user: the pre-auth user. */
#define LOGIN_CONF_KEYWORDS(type, dfl_user)					\
	{ "listen", CONF_FUNC, 0, 0, 0, NULL, login_conf_listen_parse,	\
	    login_conf_listen_print },					\
	{ "tls_cert", CONF_STRING, LOGIN_CONF_OFF(type, tls_cert), 0, 0,	\
	    "/etc/ssl/buzon.crt", NULL, NULL },				\
	{ "tls_key", CONF_STRING, LOGIN_CONF_OFF(type, tls_key), 0, 0,	\
	    "/etc/ssl/private/buzon.key", NULL, NULL },			\
	{ "plaintext_networks", CONF_LIST,				\
	    LOGIN_CONF_OFF(type, plaintext_networks), 0, 0, NULL, NULL,	\
	    NULL },							\
	{ "user", CONF_STRING, LOGIN_CONF_OFF(type, user), 0, 0, dfl_user, \
	    NULL, NULL },						\
	{ "chroot", CONF_STRING, LOGIN_CONF_OFF(type, chroot), 0, 0,	\
	    "/var/empty", NULL, NULL },					\
	{ "authd_socket", CONF_STRING,					\
	    LOGIN_CONF_OFF(type, authd_socket), 0, 0,			\
	    "/var/run/authd.sock", NULL, NULL },			\
	{ "max_sessions", CONF_NUMBER,					\
	    LOGIN_CONF_OFF(type, max_sessions), 1, 100000, "500", NULL,	\
	    NULL },							\
	{ "max_sessions_per_addr", CONF_NUMBER,				\
	    LOGIN_CONF_OFF(type, max_sessions_per_addr), 1, 100000, "20",	\
	    NULL, NULL }

#endif /* LOGIN_CONF_H */
