/*
 * Unit tests of lib/queueproto and lib/queueclient: round trips of every
 * message type, malformed frames refused, and the client against a fake
 * server on a socketpair-like UNIX socket (chunking, answers, a server
 * that hangs up).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "queueclient.h"
#include "queueproto.h"
#include "sock.h"
#include "unit.h"

#define BIG	(3 * 16384 + 17)	/* spans several DATA frames */

static long	roundtrip(struct queueproto_msg *, struct queueproto_msg *,
		    uint8_t *, size_t);
static int	decode_raw(uint8_t, const uint8_t *, size_t, const char **);
static void	test_roundtrips(void);
static void	test_malformed(void);
static int	read_frame(int, struct queueproto_msg *, uint8_t *);
static void	answer(int, enum queueproto_type, const char *);
static void	fake_server(int);
static void	test_client(const char *);

static long
roundtrip(struct queueproto_msg *in, struct queueproto_msg *out,
    uint8_t *buf, size_t bufsize)
{
	enum queueproto_type	 type;
	const char		*why;
	long			 len, plen;

	if ((len = queueproto_encode(in, buf, bufsize)) == -1)
		return -1;
	if ((plen = queueproto_header(buf, &type, &why)) == -1 ||
	    plen != len - QUEUEPROTO_HDR_LEN || type != in->type)
		return -1;
	if (queueproto_decode(type, buf + QUEUEPROTO_HDR_LEN, plen, out,
	    &why) == -1)
		return -1;
	return len;
}

static int
decode_raw(uint8_t type, const uint8_t *p, size_t len, const char **why)
{
	struct queueproto_msg	m;

	return queueproto_decode(type, p, len, &m, why);
}

static void
test_roundtrips(void)
{
	static uint8_t		 buf[QUEUEPROTO_HDR_LEN + QUEUEPROTO_FRAME_MAX];
	static uint8_t		 data[QUEUEPROTO_FRAME_MAX + 1];
	struct queueproto_msg	 in, out;

	memset(&in, 0, sizeof(in));
	in.type = QP_MAIL;
	strlcpy(in.sender, "ana@example.org", sizeof(in.sender));
	in.flags = QP_F_RECEIVED | QP_F_8BITMIME;
	CHECK(roundtrip(&in, &out, buf, sizeof(buf)) > 0);
	CHECK_STR(out.sender, "ana@example.org");
	CHECK(out.flags == (QP_F_RECEIVED | QP_F_8BITMIME));

	in.sender[0] = '\0';	/* the null path */
	CHECK(roundtrip(&in, &out, buf, sizeof(buf)) > 0);
	CHECK_STR(out.sender, "");

	memset(&in, 0, sizeof(in));
	in.type = QP_ENTRY;
	strlcpy(in.id, "0123456789abcdef", sizeof(in.id));
	in.created = 1790000000ULL;
	in.size = 1ULL << 40;
	CHECK(roundtrip(&in, &out, buf, sizeof(buf)) > 0);
	CHECK_STR(out.id, "0123456789abcdef");
	CHECK(out.created == 1790000000ULL && out.size == (1ULL << 40));

	memset(&in, 0, sizeof(in));
	in.type = QP_ENTRY_RCPT;
	strlcpy(in.rcpt, "bo@example.org", sizeof(in.rcpt));
	strlcpy(in.state, "pending", sizeof(in.state));
	strlcpy(in.reason, "no remote transport yet", sizeof(in.reason));
	CHECK(roundtrip(&in, &out, buf, sizeof(buf)) > 0);
	CHECK_STR(out.state, "pending");
	CHECK_STR(out.reason, "no remote transport yet");

	memset(&in, 0, sizeof(in));
	in.type = QP_DATA;
	memset(data, 'x', sizeof(data));
	in.data = data;
	in.datalen = QUEUEPROTO_FRAME_MAX;
	CHECK(roundtrip(&in, &out, buf, sizeof(buf)) ==
	    QUEUEPROTO_HDR_LEN + QUEUEPROTO_FRAME_MAX);
	CHECK(out.datalen == QUEUEPROTO_FRAME_MAX && out.data[0] == 'x');
	in.datalen = QUEUEPROTO_FRAME_MAX + 1;
	CHECK(queueproto_encode(&in, buf, sizeof(buf)) == -1);

	memset(&in, 0, sizeof(in));
	in.type = QP_RCPT;		/* an empty recipient is no recipient */
	CHECK(queueproto_encode(&in, buf, sizeof(buf)) == -1);
	memset(in.rcpt, 'a', ADDR_PATH_MAX);
	CHECK(queueproto_encode(&in, buf, sizeof(buf)) > 0);
	CHECK(queueproto_encode(&in, buf, 20) == -1);	/* no room */
	CHECK_STR(queueproto_type_name(QP_ENTRY_RCPT), "entry-rcpt");
	CHECK_STR(queueproto_type_name(0x77), "unknown");
}

static void
test_malformed(void)
{
	const char		*why = NULL;
	enum queueproto_type	 type;
	uint8_t			 h[QUEUEPROTO_HDR_LEN];
	static const uint8_t	 rcpt_nul[] = { QT_RCPT, 0, 3, 'a', 0, 'b' };
	static const uint8_t	 trunc[] = { QT_RCPT, 0, 9, 'a' };
	static const uint8_t	 dup[] = { QT_RCPT, 0, 1, 'a',
				    QT_RCPT, 0, 1, 'b' };
	static const uint8_t	 alien[] = { QT_ID, 0, 1, 'a' };
	static const uint8_t	 shortnum[] = { QT_FLAGS, 0, 2, 0, 0,
				    QT_SENDER, 0, 0 };

	memcpy(h, (uint8_t[]){ 2, QP_MAIL, 0, 0, 0, 0 }, sizeof(h));
	CHECK(queueproto_header(h, &type, &why) == -1);
	CHECK_STR(why, "bad version");
	memcpy(h, (uint8_t[]){ 1, 0x42, 0, 0, 0, 0 }, sizeof(h));
	CHECK(queueproto_header(h, &type, &why) == -1);
	CHECK_STR(why, "unknown type");
	memcpy(h, (uint8_t[]){ 1, QP_DATA, 0, 1, 0, 1 }, sizeof(h));
	CHECK(queueproto_header(h, &type, &why) == -1);
	CHECK_STR(why, "frame too long");
	memcpy(h, (uint8_t[]){ 1, QP_DATA, 0, 1, 0, 0 }, sizeof(h));
	CHECK(queueproto_header(h, &type, &why) == QUEUEPROTO_FRAME_MAX);

	CHECK(decode_raw(QP_RCPT, rcpt_nul, sizeof(rcpt_nul), &why) == -1);
	CHECK_STR(why, "NUL in field");
	CHECK(decode_raw(QP_RCPT, trunc, sizeof(trunc), &why) == -1);
	CHECK_STR(why, "truncated field");
	CHECK(decode_raw(QP_RCPT, dup, sizeof(dup), &why) == -1);
	CHECK_STR(why, "duplicate field");
	CHECK(decode_raw(QP_RCPT, alien, sizeof(alien), &why) == -1);
	CHECK_STR(why, "unexpected field");
	CHECK(decode_raw(QP_RCPT, NULL, 0, &why) == -1);
	CHECK_STR(why, "missing field");
	CHECK(decode_raw(QP_MAIL, shortnum, sizeof(shortnum), &why) == -1);
	CHECK_STR(why, "bad field length");
	CHECK(decode_raw(QP_END, dup, 4, &why) == -1);
}

/* The fake server's side: one frame, 0 or -1 at EOF or on error. */
static int
read_frame(int fd, struct queueproto_msg *m, uint8_t *payload)
{
	uint8_t			 hdr[QUEUEPROTO_HDR_LEN];
	enum queueproto_type	 type;
	const char		*why;
	long			 len;

	if (sock_read_full(fd, hdr, sizeof(hdr), 5000) == -1 ||
	    (len = queueproto_header(hdr, &type, &why)) == -1 ||
	    sock_read_full(fd, payload, len, 5000) == -1)
		return -1;
	return queueproto_decode(type, payload, len, m, &why);
}

static void
answer(int fd, enum queueproto_type type, const char *text)
{
	struct queueproto_msg	m;
	uint8_t			buf[1024];
	long			len;

	memset(&m, 0, sizeof(m));
	m.type = type;
	strlcpy(type == QP_OK ? m.id : m.reason, text, sizeof(m.reason));
	if ((len = queueproto_encode(&m, buf, sizeof(buf))) > 0)
		(void)sock_write_full(fd, buf, len, 5000);
}

/*
 * Accepts one client.  First message: checks the envelope and the data
 * and answers OK.  Second: FAIL.  Third: ABORT then nothing more until a
 * fourth, which it answers by hanging up.
 */
static void
fake_server(int lfd)
{
	static uint8_t		 payload[QUEUEPROTO_FRAME_MAX];
	struct queueproto_msg	 m;
	size_t			 total = 0, frames = 0;
	int			 fd, msg = 0, ok = 1;

	if ((fd = accept(lfd, NULL, NULL)) == -1)
		_exit(2);
	while (read_frame(fd, &m, payload) == 0) {
		if (m.type == QP_MAIL && msg == 0)
			ok &= strcmp(m.sender, "ana@example.org") == 0 &&
			    m.flags == QP_F_RECEIVED;
		if (m.type == QP_RCPT && msg == 0)
			ok &= strcmp(m.rcpt, "bo@example.org") == 0;
		if (m.type == QP_DATA) {
			total += m.datalen;
			frames++;
			ok &= m.data[0] == 'y';
		}
		if (m.type == QP_ABORT)
			msg++;
		if (m.type != QP_END)
			continue;
		if (msg == 0)
			answer(fd, ok && total == BIG && frames == 4 ?
			    QP_OK : QP_TEMPFAIL, "00000000cafef00d");
		else if (msg == 1)
			answer(fd, QP_FAIL, "552 too big");
		else
			break;
		msg++;
	}
	close(fd);
	_exit(0);
}

static void
test_client(const char *dir)
{
	static char		 data[BIG];
	struct queueclient	*qc;
	char			 path[512], id[QUEUE_ID_MAX + 1];
	pid_t			 pid;
	int			 lfd, status;

	snprintf(path, sizeof(path), "%s/q.sock", dir);
	if ((lfd = sock_listen_unix(path, 0600, (gid_t)-1, 4)) == -1) {
		CHECK(!"listen");
		return;
	}
	if ((pid = fork()) == 0)
		fake_server(lfd);
	close(lfd);
	CHECK((qc = queueclient_open(path, 5000)) != NULL);
	if (qc == NULL)
		return;
	memset(data, 'y', sizeof(data));
	CHECK(queueclient_begin(qc, "ana@example.org", QP_F_RECEIVED) == 0);
	CHECK(queueclient_rcpt(qc, "bo@example.org") == 0);
	CHECK(queueclient_data(qc, data, 100) == 0);
	CHECK(queueclient_data(qc, data, BIG - 100) == 0);
	CHECK(queueclient_end(qc, id) == QUEUE_OK);
	CHECK_STR(id, "00000000cafef00d");

	CHECK(queueclient_begin(qc, "", 0) == 0);
	CHECK(queueclient_rcpt(qc, "bo@example.org") == 0);
	CHECK(queueclient_end(qc, id) == QUEUE_FAIL);
	CHECK_STR(queueclient_reason(qc), "552 too big");

	CHECK(queueclient_begin(qc, "", 0) == 0);
	CHECK(queueclient_abort(qc) == 0);
	CHECK(queueclient_begin(qc, "", 0) == 0);
	CHECK(queueclient_rcpt(qc, "bo@example.org") == 0);
	CHECK(queueclient_end(qc, id) == QUEUE_TEMPFAIL);
	CHECK_STR(queueclient_reason(qc), "queue connection lost");
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* The server is gone and its socket file with it: tempfail. */
	unlink(path);
	CHECK(queueclient_begin(qc, "", 0) == -1);
	CHECK(queueclient_rcpt(qc, "bo@example.org") == -1);
	CHECK(queueclient_end(qc, id) == QUEUE_TEMPFAIL);
	queueclient_close(qc);
}

int
main(void)
{
	char		 dir[512];
	char		*tmp;
	const char	*base = getenv("TMPDIR");

	signal(SIGPIPE, SIG_IGN);
	test_roundtrips();
	test_malformed();
	snprintf(dir, sizeof(dir), "%s/test_queueproto.XXXXXX",
	    base != NULL ? base : "/tmp");
	if ((tmp = mkdtemp(dir)) == NULL) {
		CHECK(!"mkdtemp");
		return unit_done();
	}
	test_client(tmp);
	rmdir(tmp);
	return unit_done();
}
