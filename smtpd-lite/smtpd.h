/*
 * smtpd-lite: the buzon SMTP receiver.  A root master binds the
 * listeners and forks one session process per connection; the session
 * opens its authd and queue connections, drops to its own user in an
 * empty chroot, and only then reads from the network.  See smtpd-lite(8).
 */
#ifndef SMTPD_H
#define SMTPD_H

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdint.h>
#include <stdio.h>

#include "address.h"
#include "authproto.h"
#include "config.h"
#include "netmask.h"

#define SMTPD_CONF		"/etc/buzon/smtpd-lite.conf"
#define SMTPD_LISTEN_MAX	16	/* listen lines */
#define SMTPD_NETWORKS_MAX	256	/* auth_plaintext_networks entries */
#define SMTPD_HOSTNAME_MAX	255
#define SMTPD_ADDR_MAX		64	/* a client address as text */
#define SMTPD_ID_LEN		16	/* hex digits of a session id */
#define SMTPD_DATA_HARDLINE	65536	/* octets iobuf keeps of a data line */
#define SMTPD_RECEIVED_MAX	2048	/* octets of our Received: header */

enum listener_kind {
	LISTEN_SMTP,		/* port 25 style: plain, STARTTLS offered */
	LISTEN_SMTPS,		/* implicit TLS */
	LISTEN_SUBMISSION	/* STARTTLS and AUTH before MAIL */
};

struct listener {
	char			*addr;
	char			*port;
	enum listener_kind	 kind;
	int			 fd;
};

struct smtpd_conf {
	char			*hostname;
	char			*user;
	char			*chroot;
	char			*authd_socket;
	char			*queue_socket;
	char			*local_domains;
	char			*tls_cert;
	char			*tls_key;
	struct config_list	 plain_nets;	/* auth_plaintext_networks */
	long long		 max_sessions;
	long long		 max_sessions_per_addr;
	long long		 backlog;
	long long		 max_line;
	long long		 max_data_line;
	long long		 max_recipients;
	long long		 max_errors;
	long long		 max_message_size;
	long long		 timeout;		/* seconds */
	long long		 data_timeout;		/* seconds */
	long long		 tls_timeout;		/* seconds */
	struct listener		 listeners[SMTPD_LISTEN_MAX];
	size_t			 nlisteners;
	/* Resolved at start-up. */
	struct netmask		*nets;
	size_t			 nnets;
	struct domains		*domains;
};

/* What the master hands a session. */
struct session_ctx {
	struct smtpd_conf	*conf;
	struct tls		*tls_server;	/* NULL: no TLS configured */
	enum listener_kind	 kind;
	int			 fd;
	char			 addr[SMTPD_ADDR_MAX];	/* "192.0.2.1", "::1" */
	int			 family;
};

enum smtp_state {
	SMTP_STATE_CONNECTED,	/* greeted; EHLO or HELO expected */
	SMTP_STATE_HELO,	/* no transaction */
	SMTP_STATE_MAIL,	/* MAIL accepted, no recipient yet */
	SMTP_STATE_RCPT,	/* at least one recipient */
	SMTP_STATE_BODY,	/* reading the message */
	SMTP_STATE_QUIT		/* closing */
};

/* One mail transaction. */
struct smtp_tx {
	char		  sender[ADDR_PATH_MAX + 1];
	int		  body8bit;
	char		**rcpts;
	size_t		  nrcpts;
	long long	  size;		/* octets of the body */
	int		  flags;	/* SMTP_DATA_* */
};

/* Why a message is refused at the end of its data. */
#define SMTP_DATA_BARE		0x01	/* bare CR or LF */
#define SMTP_DATA_NUL		0x02
#define SMTP_DATA_LONGLINE	0x04
#define SMTP_DATA_TOOBIG	0x08
#define SMTP_DATA_QUEUEFAIL	0x10	/* the queue connection failed */

struct smtp_session {
	struct session_ctx	*ctx;
	struct smtpd_conf	*conf;
	char			 id[SMTPD_ID_LEN + 1];
	enum smtp_state		 state;
	struct iobuf		*io;
	struct tls		*tls;		/* the connection's context */
	struct authclient	*auth;
	struct queueclient	*queue;
	char			 helo[SMTPD_HOSTNAME_MAX + 1];
	int			 esmtp;
	char			 user[AUTH_NAME_MAX + 1];	/* once AUTH */
	int			 errors;
	int			 auth_failures;
	unsigned		 messages;	/* accepted */
	unsigned		 rejected;
	unsigned		 txcount;	/* for the Received id */
	const char		*end;		/* why the session ended */
	struct smtp_tx		 tx;
};

/* smtpd_conf.c */
int		 smtpd_conf_load(struct smtpd_conf *, const char *path);
int		 smtpd_conf_resolve(struct smtpd_conf *);
void		 smtpd_conf_print(struct smtpd_conf *, FILE *);
void		 smtpd_conf_free(struct smtpd_conf *);
int		 smtpd_valid_domain(const char *);
const char	*smtpd_kind_name(enum listener_kind);

/* smtp_session.c */
__attribute__((__noreturn__)) void smtp_session_run(struct session_ctx *);
void		 smtp_enter_state(struct smtp_session *, enum smtp_state);
void		 smtp_reply(struct smtp_session *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
void		 smtp_error(struct smtp_session *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
int		 smtp_flush(struct smtp_session *);
void		 smtp_tx_reset(struct smtp_session *);
void		 smtp_close(struct smtp_session *, const char *why);
int		 smtp_is_tls(struct smtp_session *);
int		 smtp_auth_allowed(struct smtp_session *);
const char	*smtp_protocol(struct smtp_session *);

/* smtp_data.c */
void		 smtp_data(struct smtp_session *);

/* smtp_auth.c */
void		 smtp_auth(struct smtp_session *, char *args);

/* smtp_tls.c */
int		 smtp_tls_start(struct smtp_session *);
const char	*smtp_tls_version(struct smtp_session *);
const char	*smtp_tls_cipher(struct smtp_session *);

#endif /* SMTPD_H */
