/*
 * The login split shared by the mail access daemons (pop3sd, imapsd):
 *
 *	master (root)  --fork per connection-->  monitor (root)
 *	monitor  --fork-->  pre-auth (the daemon's user, chroot)
 *	monitor  --fork after authd said yes-->  session (the mail user)
 *
 * The master accepts and calls login_spawn(), which forks the monitor.
 * The monitor never reads the network: it forks the pre-auth process,
 * which drops to the daemon's user in an empty chroot before it reads a
 * byte, then owns the client (TLS, the protocol before login).  The
 * pre-auth process sends credentials to the monitor with login_auth()
 * over a SOCK_SEQPACKET socketpair; messages are typed, versioned and
 * length-checked (a malformed one ends the monitor with a log line).
 * The monitor asks authd (service and client address given); on
 * success it forks the session process, which becomes the mail user
 * (never uid 0), and passes the pre-auth process one end of a new
 * socketpair whose other end the session process owns; then the monitor
 * exits, so no root process stays with a logged-in connection.  The pre-auth
 * process then relays plaintext between the client (TLS or not) and the
 * session with login_relay().  An opaque context (an IMAP tag, the TLS
 * state) travels from the pre-auth process to the session unchanged.
 * The session answers the login itself.
 *
 * When the master does not run as root the same processes run as the
 * invoking user (lib/privdrop logs the skipped drop once).
 */
#ifndef LOGIN_H
#define LOGIN_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>

#include "authproto.h"
#include "compat.h"

#define LOGIN_VERSION		1
#define LOGIN_CTX_MAX		1024	/* octets of the context blob */
#define LOGIN_MSG_MAX		4096	/* octets of one channel message */
#define LOGIN_ID_LEN		16	/* hex digits of a session id */
#define LOGIN_RELAY_BUF		4096	/* octets buffered each way */
#define LOGIN_ANSWER_WAIT_MS	90000	/* pre-auth waits this for authd */
#define LOGIN_RELAY_SLACK_MS	60000	/* relay idle bound over timeout */

enum login_result {
	LOGIN_OK,		/* *fd is the session's end */
	LOGIN_FAIL,		/* wrong user or password */
	LOGIN_TEMPFAIL,		/* authd unreachable or its backend down */
	LOGIN_ERROR		/* the monitor is gone: end the connection */
};

struct login_info {
	char	id[LOGIN_ID_LEN + 1];		/* for every log line */
	char	addr[AUTH_ADDR_MAX + 1];	/* the client's address */
	int	port;				/* its port */
	int	local_port;			/* the port it connected to */
};

struct login_conf {
	const char	*service;	/* authd service: "pop3", "imap" */
	const char	*authd_socket;
	int		 authd_timeout_ms;
	const char	*user;		/* the pre-auth process's user */
	const char	*chroot;	/* its empty root directory */
	int		 max_auth;	/* failed logins the monitor answers */
	/* In the monitor right after the fork: close the listeners, ... */
	void		(*child_init)(void *arg);
	/* The pre-auth process: client and channel descriptors.  No return. */
	void		(*preauth)(int client, int chan,
			    const struct login_info *, void *arg);
	/* The session process as the mail user.  No return. */
	void		(*session)(int fd, const struct auth_user *,
			    const struct login_info *, const void *ctx,
			    size_t ctxlen, void *arg);
	void		*arg;
};

/*
 * In the master, for an accepted client: forks the monitor and returns
 * its pid, which is also the process group of every process of the
 * connection (the master closes client), or -1 with errno.  *slot is the
 * read end of a pipe whose write end every process of the connection
 * holds: it reads EOF once all of them are gone, so the master counts a
 * connection with it after the monitor has exited.
 */
pid_t	login_spawn(const struct login_conf *, int client,
	    const struct sockaddr *peer, socklen_t peerlen, int local_port,
	    int *slot);
/* In the master at start-up: become the reaper of orphaned processes. */
int	login_reaper(void);

/*
 * In the pre-auth process: asks the monitor about user and pass, with
 * ctx for the session.  On LOGIN_OK *fd is the session's socket; else
 * reason (may be NULL) gets authd's reason.
 */
enum login_result login_auth(int chan, const char *user, const char *pass,
	    const void *ctx, size_t ctxlen, int *fd, char *reason,
	    size_t reasonlen);

struct tls;

/*
 * In the pre-auth process after LOGIN_OK: sends pending (bytes already
 * read from the client) to the session first, then copies both ways
 * until the session ends, the client goes, or nothing moves for
 * idle_ms.  Returns 0 when the session ended the connection, -1 else.
 */
int	login_relay(int client, struct tls *tls, int session,
	    const void *pending, size_t npending, int idle_ms);

struct iobuf;

/*
 * The same after a line protocol's reader: io is flushed, what it has
 * read beyond the login command goes to the session first, and io is
 * freed.  Returns as login_relay().
 */
int	login_relay_io(struct iobuf *io, int client, struct tls *tls,
	    int session, int idle_ms);

/*
 * login_relay_io(), idle for at most LOGIN_RELAY_SLACK_MS beyond the
 * session's own timeout_ms, then the session's socket and TLS closed;
 * _exit(0).
 */
__dead void login_relay_exit(struct iobuf *io, int client, struct tls *tls,
	    int session, long long timeout_ms);

/*
 * In the pre-auth process before the greeting: the connect log line of
 * service, then, when the listener has implicit TLS, the handshake
 * within timeout_ms (*tls and io set up).  -1, logged, when it failed:
 * the connection is to end.
 */
int	login_greet_start(const char *service, const struct login_info *,
	    struct tls *implicit, struct tls **tls, struct iobuf *io,
	    int plaintext_ok, int timeout_ms);

/*
 * In the pre-auth process after the protocol's go-ahead went out: the
 * STARTTLS (STLS) handshake within timeout_ms, io reading through *tls
 * after it.  -1, logged, when it failed: the connection is to end.
 */
int	login_starttls(const char *service, const struct login_info *,
	    struct tls *server, struct tls **tls, struct iobuf *io,
	    int timeout_ms);

/*
 * The client's line after a SASL "+ " challenge the caller has sent,
 * of at most max octets (io's limit is restore after): 0 with *line;
 * 1 for a line too long, cut short or holding NUL (the session goes
 * on); -1 when the client timed out or went, *end saying which.
 */
int	login_sasl_line(struct iobuf *io, size_t max, size_t restore,
	    char **line, const char **end);

/*
 * login_auth() for a login command, the failure logged with method
 * ("login", "plain", "user").
 */
enum login_result login_try(const char *service, const struct login_info *,
	    int chan, const char *user, const char *pass, const char *method,
	    const void *ctx, size_t ctxlen, int *fd);

/* The pre-auth process's disconnect log line; TLS closed, _exit(0). */
__dead void login_preauth_exit(const char *service,
	    const struct login_info *, const char *state, const char *end,
	    struct tls *tls);

/* The address of a peer as text ("192.0.2.1", "2001:db8::1"). */
int	login_addr(const struct sockaddr *, socklen_t, char *, size_t,
	    int *port);

#endif /* LOGIN_H */
