/*
 * authd's client connections: accept with the peer check, framing of
 * requests (one at a time per connection), answers, time-outs.  A
 * malformed request or a refused peer gets an ERROR frame, a log line and
 * the end of its connection.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authd.h"
#include "compat.h"
#include "daemon.h"
#include "log.h"
#include "sock.h"
#include "xmalloc.h"

#define CLIENT_ACCEPT_MAX	16	/* accepts per loop turn */
#define CLIENT_DRAIN_MAX	65536	/* octets read and dropped at close */
#define CLIENT_LINGER_MS	2000	/* for the peer to read an ERROR */

static int	client_allowed(struct authd *, uid_t);
static void	client_new(struct authd *, int, uid_t);
static void	client_frame(struct authd *, struct client *);
static void	client_malformed(struct authd *, struct client *,
		    const char *);
static void	client_drain(int);
static void	client_linger(struct authd *, struct client *);

static int
client_allowed(struct authd *d, uid_t uid)
{
	size_t	i;

	if (uid == 0 || uid == geteuid())
		return 1;
	for (i = 0; i < d->conf->nallow; i++)
		if (d->conf->allow_uids[i] == uid)
			return 1;
	return 0;
}

void
client_accept(struct authd *d)
{
	uid_t	uid;
	gid_t	gid;
	int	fd, i;

	for (i = 0; i < CLIENT_ACCEPT_MAX; i++) {
		if ((fd = accept4(d->listen_fd, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("accept");
			return;
		}
		if (sock_peer_cred(fd, &uid, &gid) == -1) {
			log_warn("event=denied peer_uid=unknown");
			close(fd);
			continue;
		}
		client_new(d, fd, uid);
	}
}

static void
client_new(struct authd *d, int fd, uid_t uid)
{
	struct client	*c;

	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->uid = uid;
	c->id = ++d->next_id;
	c->last = daemon_now_ms();
	TAILQ_INSERT_TAIL(&d->clients, c, entry);
	d->nclients++;
	if (!client_allowed(d, uid)) {
		log_warnx("client=%llu event=denied peer_uid=%u", c->id,
		    (unsigned)uid);
		client_error(d, c, "peer not allowed");
		return;
	}
	if (d->nclients > (size_t)d->conf->max_clients) {
		log_warnx("client=%llu event=busy peer_uid=%u clients=%zu",
		    c->id, (unsigned)uid, d->nclients - 1);
		client_error(d, c, "too many clients");
		return;
	}
	log_debug("client=%llu event=connect peer_uid=%u", c->id,
	    (unsigned)uid);
}

/* Reads what is missing of the current frame; acts on a whole one. */
void
client_read(struct authd *d, struct client *c)
{
	enum authproto_type	 type;
	const char		*why;
	size_t			 want = AUTHPROTO_HDR_LEN;
	ssize_t			 n;
	int			 len;

	if (c->state == CLIENT_LINGER) {
		client_linger(d, c);
		return;
	}
	if (c->inlen >= AUTHPROTO_HDR_LEN)
		want += ((size_t)c->in[2] << 8) | c->in[3];
	n = read(c->fd, c->in + c->inlen, want - c->inlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (c->inlen > 0)
			client_malformed(d, c, "truncated frame");
		else {
			log_debug("client=%llu event=close", c->id);
			client_close(d, c);
		}
		return;
	}
	c->inlen += n;
	c->last = daemon_now_ms();
	if (c->inlen == AUTHPROTO_HDR_LEN) {
		if ((len = authproto_header(c->in, &type, &why)) == -1) {
			client_malformed(d, c, why);
			return;
		}
		if (type != AUTHPROTO_AUTH && type != AUTHPROTO_LOOKUP) {
			client_malformed(d, c, "not a request");
			return;
		}
	}
	if (c->inlen >= AUTHPROTO_HDR_LEN && c->inlen == AUTHPROTO_HDR_LEN +
	    (((size_t)c->in[2] << 8) | c->in[3]))
		client_frame(d, c);
}

static void
client_frame(struct authd *d, struct client *c)
{
	struct authproto_msg	 m;
	const char		*why;

	if (authproto_decode(c->in[1], c->in + AUTHPROTO_HDR_LEN,
	    c->inlen - AUTHPROTO_HDR_LEN, &m, &why) == -1) {
		explicit_bzero(c->in, c->inlen);
		c->inlen = 0;
		authproto_clear(&m);
		client_malformed(d, c, why);
		return;
	}
	explicit_bzero(c->in, c->inlen);
	c->inlen = 0;
	authd_request(d, c, &m);
	authproto_clear(&m);
}

static void
client_malformed(struct authd *d, struct client *c, const char *why)
{
	log_warnx("client=%llu event=malformed peer_uid=%u reason=\"%s\"",
	    c->id, (unsigned)c->uid, why);
	explicit_bzero(c->in, sizeof(c->in));
	c->inlen = 0;
	client_error(d, c, why);
}

/* An ERROR frame, then the end of the connection. */
void
client_error(struct authd *d, struct client *c, const char *why)
{
	struct authproto_msg	m;

	memset(&m, 0, sizeof(m));
	m.type = AUTHPROTO_ERROR;
	strlcpy(m.reason, why, sizeof(m.reason));
	c->state = CLIENT_CLOSING;
	client_send(d, c, &m);
}

void
client_send(struct authd *d, struct client *c, struct authproto_msg *m)
{
	int	len;

	if ((len = authproto_encode(m, c->out, sizeof(c->out))) == -1) {
		log_warnx("client=%llu answer does not encode", c->id);
		client_close(d, c);
		return;
	}
	c->outlen = len;
	c->outoff = 0;
	client_write(d, c);
}

void
client_write(struct authd *d, struct client *c)
{
	ssize_t	n;

	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1) {
			log_debug("client=%llu event=close error=\"%s\"",
			    c->id, strerror(errno));
			client_close(d, c);
			return;
		}
		c->outoff += n;
	}
	explicit_bzero(c->out, c->outlen);
	c->outlen = c->outoff = 0;
	c->last = daemon_now_ms();
	if (c->state == CLIENT_CLOSING) {
		/*
		 * The peer may still be writing its request: let it, so
		 * that it reads the ERROR frame rather than EPIPE.
		 */
		c->state = CLIENT_LINGER;
		if (shutdown(c->fd, SHUT_WR) == -1)
			client_close(d, c);
	}
}

/* Input after an ERROR frame is dropped until the peer closes. */
static void
client_linger(struct authd *d, struct client *c)
{
	char	buf[4096];
	ssize_t	n;

	if ((n = read(c->fd, buf, sizeof(buf))) == -1 &&
	    (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		client_close(d, c);
}

/*
 * Unread input at close would reset the connection on some systems and
 * hide the ERROR frame from the peer: read it first.
 */
static void
client_drain(int fd)
{
	char	buf[4096];
	size_t	total = 0;
	ssize_t	n;

	while (total < CLIENT_DRAIN_MAX &&
	    (n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
}

/* Ends a connection; the structure is freed after this loop turn. */
void
client_close(struct authd *d, struct client *c)
{
	struct job	*j;

	if ((j = c->job) != NULL) {
		c->job = NULL;
		if (j->state == JOB_WORKER)
			j->client = NULL;	/* the answer is dropped */
		else {
			TAILQ_REMOVE(j->state == JOB_HELD ? &d->held :
			    &d->ready, j, entry);
			authproto_clear(&j->req);
			free(j);
		}
	}
	client_drain(c->fd);
	close(c->fd);
	c->fd = -1;
	explicit_bzero(c->in, sizeof(c->in));
	explicit_bzero(c->out, sizeof(c->out));
	TAILQ_REMOVE(&d->clients, c, entry);
	TAILQ_INSERT_TAIL(&d->dead, c, entry);
	d->nclients--;
}

/* Idle connections and half-sent frames end after idle_timeout. */
void
client_timeouts(struct authd *d, long long now)
{
	struct client	*c, *next;
	long long	 limit = d->conf->idle_timeout * 1000;

	for (c = TAILQ_FIRST(&d->clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->state == CLIENT_LINGER) {
			if (now - c->last >= CLIENT_LINGER_MS)
				client_close(d, c);
			continue;
		}
		if (c->job != NULL || now - c->last < limit)
			continue;
		log_info("client=%llu event=timeout peer_uid=%u partial=%zu",
		    c->id, (unsigned)c->uid, c->inlen);
		if (c->state == CLIENT_CLOSING)
			client_close(d, c);
		else
			client_error(d, c, "idle timeout");
	}
}

long long
client_next_timeout(struct authd *d)
{
	struct client	*c;
	long long	 next = -1, t;

	TAILQ_FOREACH(c, &d->clients, entry) {
		if (c->state == CLIENT_LINGER)
			t = c->last + CLIENT_LINGER_MS;
		else if (c->job != NULL)
			continue;
		else
			t = c->last + d->conf->idle_timeout * 1000;
		if (next == -1 || t < next)
			next = t;
	}
	return next;
}
