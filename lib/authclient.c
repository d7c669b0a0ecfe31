/*
 * The authd client: one connection per handle, opened early and reused.
 * A request is one frame out and one frame in, each bounded by the
 * handle's timeout; the connection is dropped on any doubt so the next
 * request starts on a clean stream.
 */

#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authclient.h"
#include "authproto.h"
#include "compat.h"
#include "sock.h"
#include "xmalloc.h"

struct authclient {
	char	*path;
	int	 fd;
	int	 timeout_ms;
	int	 used;		/* the connection answered before */
	char	 reason[AUTH_REASON_MAX + 1];
};

static void		ac_disconnect(struct authclient *);
static int		ac_stale(struct authclient *);
static int		ac_exchange(struct authclient *, const uint8_t *,
			    size_t, struct authproto_msg *);
static enum auth_result	ac_request(struct authclient *,
			    struct authproto_msg *, struct auth_user *);
static enum auth_result	ac_answer(struct authclient *,
			    const struct authproto_msg *, struct auth_user *);
static enum auth_result	ac_local_fail(struct authclient *, const char *,
			    struct authproto_msg *);

struct authclient *
authclient_open(const char *path, int timeout_ms)
{
	struct authclient	*ac;
	int			 fd;

	if ((fd = sock_connect_unix(path, timeout_ms)) == -1)
		return NULL;
	ac = xcalloc(1, sizeof(*ac));
	ac->path = xstrdup(path);
	ac->fd = fd;
	ac->timeout_ms = timeout_ms;
	return ac;
}

void
authclient_close(struct authclient *ac)
{
	if (ac == NULL)
		return;
	ac_disconnect(ac);
	free(ac->path);
	free(ac);
}

const char *
authclient_reason(struct authclient *ac)
{
	return ac->reason;
}

static void
ac_disconnect(struct authclient *ac)
{
	if (ac->fd != -1)
		close(ac->fd);
	ac->fd = -1;
	ac->used = 0;
}

/*
 * Between requests authd sends nothing, unless it ended an idle
 * connection (an ERROR frame, then EOF): anything to read means stale.
 */
static int
ac_stale(struct authclient *ac)
{
	struct pollfd	pfd;

	pfd.fd = ac->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) != 0;
}

/*
 * Sends one encoded request and reads one answer.  0, or -1 with errno
 * (EPIPE: the peer closed before answering; EPROTO: a bad answer).
 */
static int
ac_exchange(struct authclient *ac, const uint8_t *req, size_t reqlen,
    struct authproto_msg *ans)
{
	uint8_t			 buf[AUTHPROTO_BUF_MAX];
	enum authproto_type	 type;
	const char		*why;
	ssize_t			 got;
	int			 len;

	/* authd sends nothing unasked: the answer may be read whole. */
	if (sock_write_full(ac->fd, req, reqlen, ac->timeout_ms) == -1 ||
	    (got = sock_read_atleast(ac->fd, buf, AUTHPROTO_HDR_LEN,
	    sizeof(buf), ac->timeout_ms)) == -1)
		return -1;
	if ((len = authproto_header(buf, &type, &why)) == -1 ||
	    type == AUTHPROTO_AUTH || type == AUTHPROTO_LOOKUP ||
	    got > AUTHPROTO_HDR_LEN + len) {
		errno = EPROTO;
		return -1;
	}
	if (got < AUTHPROTO_HDR_LEN + len &&
	    sock_read_full(ac->fd, buf + got, AUTHPROTO_HDR_LEN + len - got,
	    ac->timeout_ms) == -1)
		return -1;
	if (authproto_decode(type, buf + AUTHPROTO_HDR_LEN, len, ans,
	    &why) == -1) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

static enum auth_result
ac_request(struct authclient *ac, struct authproto_msg *req,
    struct auth_user *u)
{
	uint8_t			buf[AUTHPROTO_BUF_MAX];
	struct authproto_msg	ans;
	enum auth_result	res;
	int			len, tries, reused, saved, rv = -1;

	ac->reason[0] = '\0';
	if ((len = authproto_encode(req, buf, sizeof(buf))) == -1) {
		res = ac_local_fail(ac, "request fields over their limits",
		    req);
		explicit_bzero(buf, sizeof(buf));
		return res;
	}
	authproto_clear(req);
	for (tries = 0; tries < 2; tries++) {
		if (ac->fd != -1 && ac_stale(ac))
			ac_disconnect(ac);
		if (ac->fd == -1 && (ac->fd = sock_connect_unix(ac->path,
		    ac->timeout_ms)) == -1)
			break;
		reused = ac->used;
		if ((rv = ac_exchange(ac, buf, len, &ans)) == 0)
			break;
		saved = errno;
		ac_disconnect(ac);
		errno = saved;
		/* A reused connection may have been closed while idle. */
		if (!reused || (errno != EPIPE && errno != ECONNRESET))
			break;
	}
	explicit_bzero(buf, sizeof(buf));
	if (rv == -1) {
		saved = errno;
		ac_disconnect(ac);
		strlcpy(ac->reason, saved == ETIMEDOUT ? "authd timed out" :
		    saved == EPROTO ? "bad answer from authd" :
		    "authd unreachable", sizeof(ac->reason));
		return AUTH_TEMPFAIL;
	}
	ac->used = 1;
	res = ac_answer(ac, &ans, u);
	authproto_clear(&ans);
	return res;
}

static enum auth_result
ac_answer(struct authclient *ac, const struct authproto_msg *ans,
    struct auth_user *u)
{
	strlcpy(ac->reason, ans->reason, sizeof(ac->reason));
	switch (ans->type) {
	case AUTHPROTO_OK:
		if (u != NULL)
			*u = ans->rec;
		return AUTH_OK;
	case AUTHPROTO_FAIL:
		return AUTH_FAIL;
	case AUTHPROTO_ERROR:
		ac_disconnect(ac);
		return AUTH_TEMPFAIL;
	default:
		return AUTH_TEMPFAIL;
	}
}

/* A request that cannot be sent names no user that can exist. */
static enum auth_result
ac_local_fail(struct authclient *ac, const char *why, struct authproto_msg *m)
{
	strlcpy(ac->reason, why, sizeof(ac->reason));
	authproto_clear(m);
	return AUTH_FAIL;
}

enum auth_result
authclient_auth(struct authclient *ac, const char *service, const char *user,
    const char *pass, const char *addr, struct auth_user *u)
{
	struct authproto_msg	m;

	memset(&m, 0, sizeof(m));
	m.type = AUTHPROTO_AUTH;
	if (addr == NULL)
		addr = "";
	if (strlcpy(m.service, service, sizeof(m.service)) >=
	    sizeof(m.service) ||
	    strlcpy(m.user, user, sizeof(m.user)) >= sizeof(m.user) ||
	    strlcpy(m.password, pass, sizeof(m.password)) >=
	    sizeof(m.password) ||
	    strlcpy(m.addr, addr, sizeof(m.addr)) >= sizeof(m.addr))
		return ac_local_fail(ac, "request fields over their limits",
		    &m);
	return ac_request(ac, &m, u);
}

enum auth_result
authclient_lookup(struct authclient *ac, const char *user, struct auth_user *u)
{
	struct authproto_msg	m;

	memset(&m, 0, sizeof(m));
	m.type = AUTHPROTO_LOOKUP;
	if (strlcpy(m.user, user, sizeof(m.user)) >= sizeof(m.user))
		return ac_local_fail(ac, "user name too long", &m);
	return ac_request(ac, &m, u);
}
