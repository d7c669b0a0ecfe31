/*
 * The master of a mail access daemon (pop3sd, imapsd) around lib/login:
 * it binds the listeners, accepts, enforces max_sessions and
 * max_sessions_per_addr, forks one monitor per connection with
 * login_spawn(), counts a connection until every process of it is gone,
 * and at SIGTERM or SIGINT tells every connection to end and reaps it.
 * It stays root and never reads a byte from a client: a client over a
 * limit on a plaintext listener gets the daemon's one busy line, a TLS
 * one is just closed.
 */
#ifndef LOGIN_MASTER_H
#define LOGIN_MASTER_H

#include <stddef.h>

#include "login.h"
#include "login_conf.h"

#define LOGIN_MASTER_BACKLOG	128	/* listen(2) backlog */
#define LOGIN_MASTER_SOCKS_MAX	(LOGIN_LISTEN_MAX * 4) /* bound sockets */

struct login_conf_common;
struct tls;

struct login_master_conf {
	/* authd_socket, user and chroot are filled from common. */
	struct login_conf		*lc;
	const struct login_conf_common	*common;
	int				 plaintext_kind; /* starts in clear */
	const char			*busy;	/* "-ERR ...\r\n" */
	/* Set to the accepting listener's kind before each login_spawn(). */
	int				*kind;
};

/*
 * The rest of a daemon's main once its configuration is loaded: the TLS
 * context of tls_cert and tls_key into *tls, the listeners, the detach
 * (unless debug), the loop until SIGTERM, then the context freed.
 * Start-up failures are fatal.
 */
void	login_master_run(struct login_master_conf *, struct tls **tls,
	    int debug);

#endif /* LOGIN_MASTER_H */
