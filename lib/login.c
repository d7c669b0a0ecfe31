/*
 * The login split (see login.h): the monitor, its channel messages,
 * the session spawn and the plaintext relay of the pre-auth process.
 *
 * A channel message is one SOCK_SEQPACKET packet:
 *
 *	u8 version (LOGIN_VERSION)  u8 type  u16 payload length (BE)
 *	AUTH:	 u16 user length, u16 password length, u16 context length,
 *		 then the three byte strings (user and password NUL-free)
 *	RESULT:	 u8 enum login_result, then the reason (text, at most
 *		 AUTH_REASON_MAX octets); LOGIN_OK carries the session's
 *		 socket as SCM_RIGHTS
 */

#include <sys/types.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tls.h>

#include "authclient.h"
#include "iobuf.h"
#include "log.h"
#include "login.h"
#include "privdrop.h"
#include "sock.h"
#include "xmalloc.h"

#define LOGIN_HDR_LEN	4

enum login_msg_type {
	LOGIN_MSG_AUTH = 1,
	LOGIN_MSG_RESULT = 2
};

struct login_cred {
	char		user[AUTH_NAME_MAX + 1];
	char		pass[AUTH_PASS_MAX + 1];
	uint8_t		ctx[LOGIN_CTX_MAX];
	size_t		ctxlen;
};

static __dead void	monitor(const struct login_conf *, int,
			    const struct login_info *);
static int	monitor_loop(const struct login_conf *, int,
		    const struct login_info *);
static int	send_result(int, enum login_result, const char *, int);

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, size_t v)
{
	p[0] = (v >> 8) & 0xff;
	p[1] = v & 0xff;
}

static void
make_id(char *id)
{
	static const char	hex[] = "0123456789abcdef";
	uint8_t			r[LOGIN_ID_LEN / 2];
	size_t			i;

	arc4random_buf(r, sizeof(r));
	for (i = 0; i < sizeof(r); i++) {
		id[2 * i] = hex[r[i] >> 4];
		id[2 * i + 1] = hex[r[i] & 15];
	}
	id[LOGIN_ID_LEN] = '\0';
}

int
login_addr(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t size, int *port)
{
	char	serv[NI_MAXSERV];

	if (getnameinfo(sa, len, buf, size, serv, sizeof(serv),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		errno = EINVAL;
		return -1;
	}
	if (port != NULL)
		*port = (int)strtonum(serv, 0, 65535, NULL);
	return 0;
}

/*
 * Orphans (the pre-auth and session processes once their monitor is
 * gone) are reaped by the master on Linux; elsewhere init reaps them.
 */
int
login_reaper(void)
{
#ifdef PR_SET_CHILD_SUBREAPER
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
#else
	return 0;
#endif
}

pid_t
login_spawn(const struct login_conf *lc, int client,
    const struct sockaddr *peer, socklen_t peerlen, int local_port,
    int *slot)
{
	struct login_info	info;
	pid_t			pid;
	int			p[2];

	memset(&info, 0, sizeof(info));
	make_id(info.id);
	if (login_addr(peer, peerlen, info.addr, sizeof(info.addr),
	    &info.port) == -1)
		strlcpy(info.addr, "unknown", sizeof(info.addr));
	info.local_port = local_port;
	if (pipe(p) == -1)
		return -1;
	if ((pid = fork()) != 0) {
		close(p[1]);
		if (pid == -1)
			close(p[0]);
		else
			*slot = p[0];
		return pid;
	}
	close(p[0]);		/* p[1] stays open in every process below */
	setpgid(0, 0);
	if (lc->child_init != NULL)
		lc->child_init(lc->arg);
	monitor(lc, client, &info);
}

/* Forks the pre-auth process, serves its requests, waits for all. */
static __dead void
monitor(const struct login_conf *lc, int client,
    const struct login_info *info)
{
	int	chan[2];
	pid_t	pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, chan) == -1)
		fatal("%s session=%s event=socketpair", lc->service, info->id);
	if ((pid = fork()) == -1)
		fatal("%s session=%s event=fork", lc->service, info->id);
	if (pid == 0) {
		close(chan[0]);
		if (privdrop(lc->user, lc->chroot, NULL) == -1)
			fatalx("%s session=%s event=privdrop result=fail "
			    "user=%s", lc->service, info->id, lc->user);
		lc->preauth(client, chan[1], info, lc->arg);
		_exit(1);
	}
	close(client);
	close(chan[1]);
	if (monitor_loop(lc, chan[0], info) == 1)
		_exit(0);	/* the session runs: nothing left for root */
	close(chan[0]);
	while (wait(NULL) != -1 || errno == EINTR)
		;
	_exit(0);
}

/* An AUTH message into c; 0, or -1 with a static reason. */
static int
decode_auth(const uint8_t *m, size_t n, struct login_cred *c,
    const char **why)
{
	size_t	ul, pl, cl;

	*why = "malformed header";
	if (n < LOGIN_HDR_LEN || m[0] != LOGIN_VERSION ||
	    m[1] != LOGIN_MSG_AUTH || get16(m + 2) != n - LOGIN_HDR_LEN)
		return -1;
	*why = "malformed auth";
	if (n < LOGIN_HDR_LEN + 6)
		return -1;
	ul = get16(m + 4);
	pl = get16(m + 6);
	cl = get16(m + 8);
	m += LOGIN_HDR_LEN + 6;
	if (ul == 0 || ul > AUTH_NAME_MAX || pl > AUTH_PASS_MAX ||
	    cl > LOGIN_CTX_MAX || LOGIN_HDR_LEN + 6 + ul + pl + cl != n ||
	    memchr(m, '\0', ul) != NULL || memchr(m + ul, '\0', pl) != NULL)
		return -1;
	memcpy(c->user, m, ul);
	c->user[ul] = '\0';
	memcpy(c->pass, m + ul, pl);
	c->pass[pl] = '\0';
	memcpy(c->ctx, m + ul + pl, cl);
	c->ctxlen = cl;
	return 0;
}

static enum auth_result
ask_authd(const struct login_conf *lc, const struct login_info *info,
    const struct login_cred *c, struct auth_user *u, char *reason,
    size_t reasonlen)
{
	struct authclient	*ac;
	enum auth_result	 r;

	if ((ac = authclient_open(lc->authd_socket,
	    lc->authd_timeout_ms)) == NULL) {
		log_warn("%s session=%s event=authd socket=%s", lc->service,
		    info->id, lc->authd_socket);
		strlcpy(reason, "authentication service unreachable",
		    reasonlen);
		return AUTH_TEMPFAIL;
	}
	r = authclient_auth(ac, lc->service, c->user, c->pass, info->addr, u);
	strlcpy(reason, r == AUTH_OK ? "" : authclient_reason(ac), reasonlen);
	authclient_close(ac);
	return r;
}

/* Forks the session as the mail user; its socket goes to the pre-auth. */
static int
spawn_session(const struct login_conf *lc, int chan,
    const struct login_info *info, const struct login_cred *c,
    const struct auth_user *u)
{
	int	sp[2];
	pid_t	pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1 ||
	    (pid = fork()) == -1) {
		log_warn("%s session=%s event=spawn", lc->service, info->id);
		return -1;
	}
	if (pid == 0) {
		close(chan);
		close(sp[0]);
		if (privdrop_ids(u->uid, u->gid) == -1)
			fatalx("%s session=%s event=privdrop result=fail "
			    "uid=%u", lc->service, info->id, (unsigned)u->uid);
		lc->session(sp[1], u, info, c->ctx, c->ctxlen, lc->arg);
		_exit(1);
	}
	close(sp[1]);
	if (send_result(chan, LOGIN_OK, "", sp[0]) == -1) {
		close(sp[0]);
		return -1;
	}
	close(sp[0]);
	return 0;
}

/* One answer for one AUTH message; 1 when the session was spawned. */
static int
monitor_answer(const struct login_conf *lc, int chan,
    const struct login_info *info, struct login_cred *c)
{
	struct auth_user	 u;
	char			 reason[AUTH_REASON_MAX + 1];
	char			 user[LOG_VIS_MAX];
	enum auth_result	 r;

	memset(&u, 0, sizeof(u));
	r = ask_authd(lc, info, c, &u, reason, sizeof(reason));
	explicit_bzero(c->pass, sizeof(c->pass));
	log_vis(user, sizeof(user), c->user, strlen(c->user));
	if (r == AUTH_OK && u.uid == 0 && privdrop_needed()) {
		log_warnx("%s session=%s event=auth user=%s result=refused "
		    "reason=uid-0", lc->service, info->id, user);
		r = AUTH_FAIL;
		strlcpy(reason, "login refused", sizeof(reason));
	}
	if (r != AUTH_OK) {
		log_info("%s session=%s event=auth user=%s addr=%s "
		    "result=%s", lc->service, info->id, user, info->addr,
		    r == AUTH_FAIL ? "fail" : "tempfail");
		return send_result(chan, r == AUTH_FAIL ? LOGIN_FAIL :
		    LOGIN_TEMPFAIL, reason, -1) == -1 ? -1 : 0;
	}
	log_debug("%s session=%s event=auth user=%s result=ok uid=%u",
	    lc->service, info->id, user, (unsigned)u.uid);
	return spawn_session(lc, chan, info, c, &u) == -1 ? -1 : 1;
}

/* 1 once a session was spawned, 0 when the pre-auth side is done. */
static int
monitor_loop(const struct login_conf *lc, int chan,
    const struct login_info *info)
{
	struct login_cred	 c;
	uint8_t			 buf[LOGIN_MSG_MAX + 1];
	const char		*why;
	ssize_t			 n;
	int			 failures = 0, r;

	for (;;) {
		while ((n = recv(chan, buf, sizeof(buf), 0)) == -1 &&
		    errno == EINTR)
			;
		if (n <= 0)
			return 0;	/* the pre-auth process is gone */
		if ((size_t)n > LOGIN_MSG_MAX ||
		    decode_auth(buf, n, &c, &why) == -1) {
			log_warnx("%s session=%s event=malformed reason=\"%s\"",
			    lc->service, info->id, (size_t)n > LOGIN_MSG_MAX ?
			    "too long" : why);
			explicit_bzero(buf, sizeof(buf));
			return 0;
		}
		explicit_bzero(buf, sizeof(buf));
		r = monitor_answer(lc, chan, info, &c);
		explicit_bzero(&c, sizeof(c));
		if (r != 0)
			return r;	/* 1: a session runs; -1: an error */
		if (++failures >= lc->max_auth) {
			log_info("%s session=%s event=auth-limit failures=%d",
			    lc->service, info->id, failures);
			return 0;
		}
	}
}

static int
send_result(int chan, enum login_result r, const char *reason, int fd)
{
	uint8_t	buf[LOGIN_HDR_LEN + 1 + AUTH_REASON_MAX];
	size_t	len = strnlen(reason, AUTH_REASON_MAX);

	buf[0] = LOGIN_VERSION;
	buf[1] = LOGIN_MSG_RESULT;
	put16(buf + 2, 1 + len);
	buf[4] = (uint8_t)r;
	memcpy(buf + 5, reason, len);
	return sock_send_fd(chan, fd, buf, LOGIN_HDR_LEN + 1 + len);
}

/* --- the pre-auth side --- */

static int
send_auth(int chan, const char *user, const char *pass, const void *ctx,
    size_t ctxlen)
{
	uint8_t	buf[LOGIN_MSG_MAX];
	size_t	ul = strlen(user), pl = strlen(pass), n;
	int	rv;

	if (ul == 0 || ul > AUTH_NAME_MAX || pl > AUTH_PASS_MAX ||
	    ctxlen > LOGIN_CTX_MAX) {
		errno = EINVAL;
		return -1;
	}
	n = LOGIN_HDR_LEN + 6 + ul + pl + ctxlen;
	buf[0] = LOGIN_VERSION;
	buf[1] = LOGIN_MSG_AUTH;
	put16(buf + 2, n - LOGIN_HDR_LEN);
	put16(buf + 4, ul);
	put16(buf + 6, pl);
	put16(buf + 8, ctxlen);
	memcpy(buf + 10, user, ul);
	memcpy(buf + 10 + ul, pass, pl);
	if (ctxlen > 0)
		memcpy(buf + 10 + ul + pl, ctx, ctxlen);
	while ((rv = send(chan, buf, n, MSG_NOSIGNAL)) == -1 &&
	    errno == EINTR)
		;
	explicit_bzero(buf, sizeof(buf));
	return rv == (int)n ? 0 : -1;
}

enum login_result
login_auth(int chan, const char *user, const char *pass, const void *ctx,
    size_t ctxlen, int *fd, char *reason, size_t reasonlen)
{
	struct pollfd	pfd;
	uint8_t		buf[LOGIN_HDR_LEN + 1 + AUTH_REASON_MAX + 1];
	ssize_t		n;
	size_t		rl;

	*fd = -1;
	if (reason != NULL && reasonlen > 0)
		reason[0] = '\0';
	if (send_auth(chan, user, pass, ctx, ctxlen) == -1)
		return LOGIN_ERROR;
	pfd.fd = chan;
	pfd.events = POLLIN;
	while ((n = poll(&pfd, 1, LOGIN_ANSWER_WAIT_MS)) == -1 &&
	    errno == EINTR)
		;
	if (n <= 0 || (n = sock_recv_fd(chan, fd, buf, sizeof(buf))) <
	    LOGIN_HDR_LEN + 1 || buf[0] != LOGIN_VERSION ||
	    buf[1] != LOGIN_MSG_RESULT || get16(buf + 2) != n - LOGIN_HDR_LEN ||
	    buf[4] > LOGIN_TEMPFAIL || (buf[4] == LOGIN_OK) != (*fd != -1)) {
		if (*fd != -1)
			close(*fd);
		*fd = -1;
		return LOGIN_ERROR;
	}
	rl = n - LOGIN_HDR_LEN - 1;
	if (reason != NULL && reasonlen > 0) {
		if (rl >= reasonlen)
			rl = reasonlen - 1;
		memcpy(reason, buf + 5, rl);
		reason[rl] = '\0';
	}
	return (enum login_result)buf[4];
}

/* --- the relay --- */

struct relay_dir {
	char	*buf;
	size_t	 off, len;
	int	 eof;
};

/* >0 octets, 0 at EOF, -1 error, -2 want POLLIN, -3 want POLLOUT. */
static ssize_t
client_io(int fd, struct tls *tls, void *buf, size_t len, int wr)
{
	ssize_t	n;

	if (tls != NULL) {
		n = wr ? tls_write(tls, buf, len) : tls_read(tls, buf, len);
		if (n == TLS_WANT_POLLIN)
			return -2;
		if (n == TLS_WANT_POLLOUT)
			return -3;
		return n;
	}
	n = wr ? send(fd, buf, len, MSG_NOSIGNAL) : read(fd, buf, len);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return wr ? -3 : -2;
	return n;
}

static short
want(ssize_t n)
{
	return n == -2 ? POLLIN : n == -3 ? POLLOUT : 0;
}

/* One step of one direction; sets *ev and *moved; -1 on a write error. */
static int
relay_step(struct relay_dir *d, int rfd, struct tls *rtls, int wfd,
    struct tls *wtls, short *rev, short *wev, int *moved)
{
	ssize_t	n;

	if (!d->eof && d->len == 0) {
		n = client_io(rfd, rtls, d->buf, LOGIN_RELAY_BUF, 0);
		if (n > 0) {
			d->off = 0;
			d->len = n;
			*moved = 1;
		} else if (n == 0 || n == -1) {
			d->eof = 1;
			*moved = 1;
		} else
			*rev |= want(n);
	}
	if (d->len > 0) {
		n = client_io(wfd, wtls, d->buf + d->off, d->len - d->off, 1);
		if (n > 0) {
			d->off += n;
			if (d->off == d->len)
				d->off = d->len = 0;
			*moved = 1;
		} else if (n == 0 || n == -1)
			return -1;
		else
			*wev |= want(n);
	}
	return 0;
}

static int
relay_loop(int client, struct tls *tls, int session, struct relay_dir *up,
    struct relay_dir *down, int idle_ms)
{
	struct pollfd	pfd[2];
	int		moved, shut = 0, n;

	for (;;) {
		moved = 0;
		pfd[0].fd = client;
		pfd[1].fd = session;
		pfd[0].events = pfd[1].events = 0;
		if (relay_step(up, client, tls, session, NULL, &pfd[0].events,
		    &pfd[1].events, &moved) == -1)
			up->eof = 1, up->len = 0;	/* session gone */
		if (up->eof && up->len == 0 && !shut) {
			shutdown(session, SHUT_WR);
			shut = 1;
		}
		if (relay_step(down, session, NULL, client, tls,
		    &pfd[1].events, &pfd[0].events, &moved) == -1)
			return -1;			/* client gone */
		if (down->eof && down->len == 0)
			return 0;
		if (moved)
			continue;
		if (pfd[0].events == 0)
			pfd[0].fd = -1;		/* no POLLHUP spin at EOF */
		if (pfd[1].events == 0)
			pfd[1].fd = -1;
		while ((n = poll(pfd, 2, idle_ms)) == -1 && errno == EINTR)
			;
		if (n <= 0)
			return -1;
	}
}

int
login_relay(int client, struct tls *tls, int session, const void *pending,
    size_t npending, int idle_ms)
{
	struct relay_dir	up, down;
	int			rv;

	if (npending > 0 &&
	    sock_write_full(session, pending, npending, idle_ms) == -1)
		return -1;
	if (sock_nonblock(client, 1) == -1 || sock_nonblock(session, 1) == -1)
		return -1;
	memset(&up, 0, sizeof(up));
	memset(&down, 0, sizeof(down));
	up.buf = xmalloc(LOGIN_RELAY_BUF);
	down.buf = xmalloc(LOGIN_RELAY_BUF);
	rv = relay_loop(client, tls, session, &up, &down, idle_ms);
	free(up.buf);
	free(down.buf);
	return rv;
}

int
login_relay_io(struct iobuf *io, int client, struct tls *tls, int session,
    int idle_ms)
{
	size_t	 n;
	char	*pending = NULL;
	int	 rv = -1;

	if (iobuf_flush(io) == 0) {
		if ((n = iobuf_pending(io)) > 0) {
			pending = xmalloc(n);
			if (iobuf_read(io, pending, n) != IOBUF_OK)
				n = 0;
		}
		rv = login_relay(client, tls, session, pending, n, idle_ms);
		free(pending);
	}
	iobuf_free(io);		/* the relay has buffers of its own */
	return rv;
}

__dead void
login_relay_exit(struct iobuf *io, int client, struct tls *tls, int session,
    long long timeout_ms)
{
	int	rv;

	rv = login_relay_io(io, client, tls, session,
	    (int)(timeout_ms + LOGIN_RELAY_SLACK_MS));
	close(session);
	if (tls != NULL && rv == 0)
		tls_close(tls);
	_exit(0);
}
