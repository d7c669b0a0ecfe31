/*
 * The mailqueue client.  A message is streamed as frames: MAIL, RCPT...,
 * DATA... (QUEUECLIENT_CHUNK octets each), END; only END is answered.
 * Any failure drops the connection, so the next message starts on a
 * clean stream (reconnecting when the socket is reachable, which it is
 * not from inside a chroot: then the answer is a temporary failure).
 */

#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "queueclient.h"
#include "queueproto.h"
#include "sock.h"
#include "xmalloc.h"

#define QUEUECLIENT_CHUNK	16384	/* octets of one DATA frame */
#define QUEUECLIENT_ANSWER_MAX	1024	/* octets of any answer payload */

struct queueclient {
	char	*path;
	int	 fd;
	int	 timeout_ms;
	int	 broken;	/* this message can no longer be committed */
	size_t	 buflen;
	uint8_t	 buf[QUEUEPROTO_HDR_LEN + QUEUECLIENT_CHUNK];
	char	 reason[QUEUE_REASON_MAX + 1];
};

static void	qc_disconnect(struct queueclient *, const char *);
static int	qc_connected(struct queueclient *);
static int	qc_send(struct queueclient *, const struct queueproto_msg *);
static int	qc_flush_data(struct queueclient *);
static int	qc_recv(struct queueclient *, struct queueproto_msg *,
		    uint8_t *, size_t);

struct queueclient *
queueclient_open(const char *path, int timeout_ms)
{
	struct queueclient	*qc;
	int			 fd;

	if ((fd = sock_connect_unix(path, timeout_ms)) == -1)
		return NULL;
	qc = xcalloc(1, sizeof(*qc));
	qc->path = xstrdup(path);
	qc->fd = fd;
	qc->timeout_ms = timeout_ms;
	return qc;
}

void
queueclient_close(struct queueclient *qc)
{
	if (qc == NULL)
		return;
	if (qc->fd != -1)
		close(qc->fd);
	free(qc->path);
	free(qc);
}

const char *
queueclient_reason(struct queueclient *qc)
{
	return qc->reason;
}

static void
qc_disconnect(struct queueclient *qc, const char *why)
{
	if (qc->fd != -1)
		close(qc->fd);
	qc->fd = -1;
	qc->broken = 1;
	qc->buflen = 0;
	if (why != NULL)
		strlcpy(qc->reason, why, sizeof(qc->reason));
}

/*
 * Between messages mailqueue sends nothing unless it ended the
 * connection (idle time-out, restart): anything readable means stale.
 */
static int
qc_connected(struct queueclient *qc)
{
	struct pollfd	pfd;

	if (qc->fd != -1) {
		pfd.fd = qc->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) == 0)
			return 0;
		close(qc->fd);
		qc->fd = -1;
	}
	if ((qc->fd = sock_connect_unix(qc->path, qc->timeout_ms)) == -1) {
		snprintf(qc->reason, sizeof(qc->reason),
		    "queue unreachable: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
qc_send(struct queueclient *qc, const struct queueproto_msg *m)
{
	uint8_t	frame[QUEUECLIENT_ANSWER_MAX];
	long	len;

	if (qc->broken)
		return -1;
	if ((len = queueproto_encode(m, frame, sizeof(frame))) == -1) {
		qc_disconnect(qc, "field over its limit");
		return -1;
	}
	if (sock_write_full(qc->fd, frame, len, qc->timeout_ms) == -1) {
		qc_disconnect(qc, "queue connection lost");
		return -1;
	}
	return 0;
}

static int
qc_flush_data(struct queueclient *qc)
{
	size_t	len = qc->buflen;

	if (len == 0)
		return 0;
	qc->buf[0] = QUEUEPROTO_VERSION;
	qc->buf[1] = QP_DATA;
	qc->buf[2] = 0;
	qc->buf[3] = len >> 16;
	qc->buf[4] = len >> 8;
	qc->buf[5] = len;
	qc->buflen = 0;
	if (sock_write_full(qc->fd, qc->buf, QUEUEPROTO_HDR_LEN + len,
	    qc->timeout_ms) == -1) {
		qc_disconnect(qc, "queue connection lost");
		return -1;
	}
	return 0;
}

/* One answer frame into m (payload kept in buf).  0 or -1. */
static int
qc_recv(struct queueclient *qc, struct queueproto_msg *m, uint8_t *buf,
    size_t bufsize)
{
	uint8_t			 hdr[QUEUEPROTO_HDR_LEN];
	enum queueproto_type	 type;
	const char		*why;
	long			 len;

	if (sock_read_full(qc->fd, hdr, sizeof(hdr), qc->timeout_ms) == -1) {
		qc_disconnect(qc, errno == ETIMEDOUT ?
		    "queue timed out" : "queue connection lost");
		return -1;
	}
	if ((len = queueproto_header(hdr, &type, &why)) == -1 ||
	    (size_t)len > bufsize || type < QP_OK) {
		qc_disconnect(qc, "bad answer from the queue");
		return -1;
	}
	if (sock_read_full(qc->fd, buf, len, qc->timeout_ms) == -1 ||
	    queueproto_decode(type, buf, len, m, &why) == -1) {
		qc_disconnect(qc, "bad answer from the queue");
		return -1;
	}
	return 0;
}

int
queueclient_begin(struct queueclient *qc, const char *sender,
    uint64_t flags)
{
	struct queueproto_msg	m;

	qc->broken = 0;
	qc->buflen = 0;
	qc->reason[0] = '\0';
	if (qc_connected(qc) == -1) {
		qc->broken = 1;
		return -1;
	}
	memset(&m, 0, sizeof(m));
	m.type = QP_MAIL;
	m.flags = flags;
	if (strlcpy(m.sender, sender, sizeof(m.sender)) >= sizeof(m.sender)) {
		qc_disconnect(qc, "sender too long");
		return -1;
	}
	return qc_send(qc, &m);
}

int
queueclient_rcpt(struct queueclient *qc, const char *rcpt)
{
	struct queueproto_msg	m;

	memset(&m, 0, sizeof(m));
	m.type = QP_RCPT;
	if (strlcpy(m.rcpt, rcpt, sizeof(m.rcpt)) >= sizeof(m.rcpt)) {
		qc_disconnect(qc, "recipient too long");
		return -1;
	}
	return qc_send(qc, &m);
}

int
queueclient_data(struct queueclient *qc, const void *data, size_t len)
{
	const uint8_t	*p = data;
	size_t		 n;

	if (qc->broken)
		return -1;
	while (len > 0) {
		n = QUEUECLIENT_CHUNK - qc->buflen;
		if (n > len)
			n = len;
		memcpy(qc->buf + QUEUEPROTO_HDR_LEN + qc->buflen, p, n);
		qc->buflen += n;
		p += n;
		len -= n;
		if (qc->buflen == QUEUECLIENT_CHUNK && qc_flush_data(qc) == -1)
			return -1;
	}
	return 0;
}

enum queue_result
queueclient_end(struct queueclient *qc, char *id)
{
	struct queueproto_msg	m;
	uint8_t			buf[QUEUECLIENT_ANSWER_MAX];

	if (qc->broken || qc_flush_data(qc) == -1)
		return QUEUE_TEMPFAIL;
	memset(&m, 0, sizeof(m));
	m.type = QP_END;
	if (qc_send(qc, &m) == -1 || qc_recv(qc, &m, buf, sizeof(buf)) == -1)
		return QUEUE_TEMPFAIL;
	switch (m.type) {
	case QP_OK:
		strlcpy(id, m.id, QUEUE_ID_MAX + 1);
		return QUEUE_OK;
	case QP_FAIL:
		strlcpy(qc->reason, m.reason, sizeof(qc->reason));
		return QUEUE_FAIL;
	case QP_TEMPFAIL:
		strlcpy(qc->reason, m.reason, sizeof(qc->reason));
		return QUEUE_TEMPFAIL;
	case QP_ERROR:
		qc_disconnect(qc, m.reason);
		return QUEUE_TEMPFAIL;
	default:
		qc_disconnect(qc, "bad answer from the queue");
		return QUEUE_TEMPFAIL;
	}
}

int
queueclient_abort(struct queueclient *qc)
{
	struct queueproto_msg	m;

	if (qc->broken)
		return 0;
	qc->buflen = 0;
	memset(&m, 0, sizeof(m));
	m.type = QP_ABORT;
	return qc_send(qc, &m);
}

int
queueclient_list(struct queueclient *qc,
    void (*cb_entry)(const struct queue_entry *, void *),
    void (*cb_rcpt)(const struct queue_entry_rcpt *, void *), void *arg)
{
	struct queueproto_msg	 m;
	struct queue_entry	 e;
	struct queue_entry_rcpt	 r;
	uint8_t			 buf[QUEUECLIENT_ANSWER_MAX];

	qc->broken = 0;
	if (qc_connected(qc) == -1)
		return -1;
	memset(&m, 0, sizeof(m));
	m.type = QP_LIST;
	if (qc_send(qc, &m) == -1)
		return -1;
	for (;;) {
		if (qc_recv(qc, &m, buf, sizeof(buf)) == -1)
			return -1;
		switch (m.type) {
		case QP_ENTRY:
			memset(&e, 0, sizeof(e));
			strlcpy(e.id, m.id, sizeof(e.id));
			e.created = m.created;
			e.size = m.size;
			strlcpy(e.sender, m.sender, sizeof(e.sender));
			strlcpy(e.reason, m.reason, sizeof(e.reason));
			cb_entry(&e, arg);
			break;
		case QP_ENTRY_RCPT:
			memset(&r, 0, sizeof(r));
			strlcpy(r.rcpt, m.rcpt, sizeof(r.rcpt));
			strlcpy(r.state, m.state, sizeof(r.state));
			strlcpy(r.reason, m.reason, sizeof(r.reason));
			cb_rcpt(&r, arg);
			break;
		case QP_LISTEND:
			return 0;
		default:
			qc_disconnect(qc, m.type == QP_ERROR || m.type ==
			    QP_TEMPFAIL ? m.reason : "bad answer from the queue");
			return -1;
		}
	}
}
