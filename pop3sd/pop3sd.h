/*
 * pop3sd: the POP3 server.  The master (pop3sd.c) listens and forks one
 * monitor per connection through lib/login; the pre-auth process
 * (pop3_auth.c) speaks the AUTHORIZATION state as the daemon's user in
 * a chroot; the session process (pop3_maildrop.c) speaks TRANSACTION and
 * UPDATE as the mail user.  pop3_session.c holds the command table, the
 * states and the line loop both use.  See pop3sd(8).
 */
#ifndef POP3SD_H
#define POP3SD_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>

#include "authproto.h"
#include "config.h"
#include "login.h"
#include "login_conf.h"

#define POP3SD_CONF		"/etc/buzon/pop3sd.conf"
#define POP3_RESP_MAX		512	/* RFC 2449: octets of a response */
#define POP3_ARGS_MAX		4	/* words after the verb we look at */
#define POP3_LOCKFILE		"buzon-pop3.lock"

enum pop3_listen_kind {
	LISTEN_POP3,		/* 110, STLS */
	LISTEN_POP3S		/* 995, implicit TLS */
};

struct pop3sd_conf {
	struct login_conf_common common;	/* first: see login_conf.h */
	long long		 max_line;
	long long		 max_auth_line;
	long long		 login_timeout;		/* seconds */
	long long		 timeout;		/* seconds */
	long long		 max_errors;
	long long		 max_messages;
	char			*greeting;
};

enum pop3_state {
	POP3_AUTHORIZATION = 0x01,	/* pre-auth process */
	POP3_TRANSACTION = 0x02,	/* session process */
	POP3_UPDATE = 0x04,		/* after QUIT in TRANSACTION */
	POP3_CLOSED = 0x08		/* the loop ends */
};

struct iobuf;
struct tls;
struct pop3_msg;

/* One connection, as either process sees it. */
struct pop3 {
	const struct pop3sd_conf *conf;
	const struct login_info	*info;
	enum pop3_state		 state;
	struct iobuf		*io;
	struct tls		*tls;		/* pre-auth only */
	struct tls		*tls_server;	/* pre-auth: for STLS */
	int			 fd;
	int			 chan;		/* pre-auth: to the monitor */
	int			 plaintext_ok;	/* address in plaintext_networks */
	int			 is_tls;
	int			 errors;
	char			*user;		/* USER given, not yet PASS */
	/* session */
	const struct auth_user	*auth;
	int			 dirfd;		/* the Maildir */
	int			 lockfd;
	struct pop3_msg		*msgs;
	size_t			 nmsgs;
	uint32_t		 uidvalidity;
	unsigned long		 retr, top, dele;
	unsigned long long	 bytes_out;
	const char		*end;		/* why the session ended */
	char			 ctx[64];	/* from pre-auth: "tls=yes" */
};

struct pop3_msg {
	char		*file;		/* "cur/<name>" */
	char		*uidl;
	uint64_t	 size;		/* with CRLF line ends */
	int		 deleted;
};

/* args: the rest of the line after the verb and one space, or "". */
typedef int	(*pop3_handler)(struct pop3 *, char *args);

struct pop3_command {
	const char	*verb;
	int		 states;	/* where the verb is allowed */
	pop3_handler	 fn;
};

/* pop3sd_conf.c */
int		 pop3sd_conf_load(struct pop3sd_conf *, const char *path);
void		 pop3sd_conf_print(struct pop3sd_conf *, FILE *);
void		 pop3sd_conf_free(struct pop3sd_conf *);

/* pop3_session.c */
void		 pop3_enter_state(struct pop3 *, enum pop3_state);
void		 pop3_loop(struct pop3 *);
int		 pop3_split(char *, char **, int);
int		 pop3_flush(struct pop3 *);
int		 pop3_reply(struct pop3 *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
int		 pop3_error(struct pop3 *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));

void		 pop3_log(struct pop3 *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));

/* pop3_auth.c: AUTHORIZATION */
int		 pop3_user(struct pop3 *, char *);
int		 pop3_pass(struct pop3 *, char *);
int		 pop3_auth(struct pop3 *, char *);
int		 pop3_stls(struct pop3 *, char *);
__dead void	 pop3_preauth(int client, int chan, const struct login_info *,
		    void *arg);

/* pop3_maildrop.c: TRANSACTION and UPDATE */
int		 pop3_stat(struct pop3 *, char *);
int		 pop3_list(struct pop3 *, char *);
int		 pop3_retr(struct pop3 *, char *);
int		 pop3_top(struct pop3 *, char *);
int		 pop3_dele(struct pop3 *, char *);
int		 pop3_rset(struct pop3 *, char *);
int		 pop3_uidl(struct pop3 *, char *);
int		 pop3_update(struct pop3 *);
__dead void	 pop3_session(int fd, const struct auth_user *,
		    const struct login_info *, const void *ctx, size_t ctxlen,
		    void *arg);

/* pop3sd.c: what the master hands to the processes it forks */
struct pop3sd_ctx {
	struct pop3sd_conf	*conf;
	struct tls		*tls_server;
	int			 kind;		/* pop3_listen_kind of its listener */
};

#endif /* POP3SD_H */
