/*
 * Unit tests of lib/authproto: round trips of every message type, an OK
 * answer at every field's limit, and every malformed frame named in
 * authd(8) refused with its reason.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authclient.h"
#include "authproto.h"
#include "sock.h"
#include "tlv.h"
#include "unit.h"

static int	roundtrip(struct authproto_msg *, struct authproto_msg *);
static int	decode_raw(uint8_t, const uint8_t *, size_t, const char **);
static void	test_roundtrips(void);
static void	test_headers(void);
static void	test_fields(void);
static void	test_limits(void);
static void	test_record_limits(void);
static void	fake_answer(int, enum authproto_type, const char *);
static void	fake_server(int);
static void	test_client_reconnects(void);

/* Encodes then decodes; 0 when both work. */
static int
roundtrip(struct authproto_msg *in, struct authproto_msg *out)
{
	uint8_t			 buf[AUTHPROTO_BUF_MAX];
	enum authproto_type	 type;
	const char		*why;
	int			 len, plen;

	if ((len = authproto_encode(in, buf, sizeof(buf))) == -1)
		return -1;
	if ((plen = authproto_header(buf, &type, &why)) == -1 ||
	    plen != len - AUTHPROTO_HDR_LEN)
		return -1;
	return authproto_decode(type, buf + AUTHPROTO_HDR_LEN, plen, out,
	    &why);
}

static int
decode_raw(uint8_t type, const uint8_t *p, size_t len, const char **why)
{
	struct authproto_msg	m;

	return authproto_decode(type, p, len, &m, why);
}

static void
test_roundtrips(void)
{
	struct authproto_msg	in, out;

	memset(&in, 0, sizeof(in));
	in.type = AUTHPROTO_AUTH;
	strlcpy(in.service, "imap", sizeof(in.service));
	strlcpy(in.user, "ana", sizeof(in.user));
	strlcpy(in.password, "p\xc3\xa4ss:word with spaces",
	    sizeof(in.password));
	strlcpy(in.addr, "2001:db8::1", sizeof(in.addr));
	CHECK(roundtrip(&in, &out) == 0);
	CHECK(out.type == AUTHPROTO_AUTH);
	CHECK_STR(out.service, "imap");
	CHECK_STR(out.user, "ana");
	CHECK_STR(out.password, in.password);
	CHECK_STR(out.addr, "2001:db8::1");

	in.addr[0] = '\0';		/* an empty address is allowed */
	CHECK(roundtrip(&in, &out) == 0 && out.addr[0] == '\0');

	memset(&in, 0, sizeof(in));
	in.type = AUTHPROTO_OK;
	strlcpy(in.rec.name, "bob", sizeof(in.rec.name));
	in.rec.uid = 4000000000U;
	in.rec.gid = 0;
	strlcpy(in.rec.home, "/home/bob", sizeof(in.rec.home));
	strlcpy(in.rec.maildir, "/home/bob/Maildir", sizeof(in.rec.maildir));
	strlcpy(in.rec.quota, "1000S,20C", sizeof(in.rec.quota));
	strlcpy(in.rec.fullname, "Bob Ni\xc3\xb1o", sizeof(in.rec.fullname));
	strlcpy(in.rec.delivery, "| /usr/bin/maildrop -d bob",
	    sizeof(in.rec.delivery));
	CHECK(roundtrip(&in, &out) == 0);
	CHECK_STR(out.rec.name, "bob");
	CHECK(out.rec.uid == 4000000000U && out.rec.gid == 0);
	CHECK_STR(out.rec.home, "/home/bob");
	CHECK_STR(out.rec.maildir, "/home/bob/Maildir");
	CHECK_STR(out.rec.quota, "1000S,20C");
	CHECK_STR(out.rec.fullname, "Bob Ni\xc3\xb1o");
	CHECK_STR(out.rec.delivery, "| /usr/bin/maildrop -d bob");

	/* empty full name and delivery are sent, and come back empty */
	in.rec.fullname[0] = in.rec.delivery[0] = '\0';
	memset(&out, 'x', sizeof(out));
	CHECK(roundtrip(&in, &out) == 0);
	CHECK(out.rec.fullname[0] == '\0' && out.rec.delivery[0] == '\0');

	memset(&in, 0, sizeof(in));
	in.type = AUTHPROTO_LOOKUP;
	strlcpy(in.user, "carol", sizeof(in.user));
	CHECK(roundtrip(&in, &out) == 0 && strcmp(out.user, "carol") == 0);

	memset(&in, 0, sizeof(in));
	in.type = AUTHPROTO_TEMPFAIL;
	strlcpy(in.reason, "backend unavailable", sizeof(in.reason));
	CHECK(roundtrip(&in, &out) == 0 && out.type == AUTHPROTO_TEMPFAIL);
	CHECK_STR(out.reason, "backend unavailable");
	CHECK_STR(authproto_type_name(AUTHPROTO_FAIL), "fail");
	CHECK_STR(authproto_type_name(0x7f), "unknown");
}

static void
test_headers(void)
{
	enum authproto_type	 type;
	const char		*why = NULL;
	uint8_t			 h[4];

	memcpy(h, "\x01\x02\x00\x05", 4);
	CHECK(authproto_header(h, &type, &why) == 5 &&
	    type == AUTHPROTO_LOOKUP);
	memcpy(h, "\x02\x02\x00\x05", 4);
	CHECK(authproto_header(h, &type, &why) == -1);
	CHECK_STR(why, "bad version");
	memcpy(h, "\x01\x07\x00\x05", 4);
	CHECK(authproto_header(h, &type, &why) == -1);
	CHECK_STR(why, "unknown type");
	memcpy(h, "\x01\x01\x10\x01", 4);	/* 4097 */
	CHECK(authproto_header(h, &type, &why) == -1);
	CHECK_STR(why, "frame too long");
	memcpy(h, "\x01\x01\x10\x00", 4);	/* 4096: the limit itself */
	CHECK(authproto_header(h, &type, &why) == 4096);
}

static void
test_fields(void)
{
	const char	*why = NULL;

	/* LOOKUP "ana" */
	CHECK(decode_raw(AUTHPROTO_LOOKUP, (const uint8_t *)"\x02\x00\x03"
	    "ana", 6, &why) == 0);
	CHECK(decode_raw(AUTHPROTO_LOOKUP, (const uint8_t *)"\x02\x00\x04"
	    "ana", 6, &why) == -1);
	CHECK_STR(why, "truncated field");
	CHECK(decode_raw(AUTHPROTO_LOOKUP, (const uint8_t *)"\x02\x00", 2,
	    &why) == -1);
	CHECK_STR(why, "truncated field");
	CHECK(decode_raw(AUTHPROTO_LOOKUP, (const uint8_t *)"\x02\x00\x03"
	    "a\0a", 6, &why) == -1);
	CHECK_STR(why, "NUL in field");
	CHECK(decode_raw(AUTHPROTO_LOOKUP, (const uint8_t *)"\x02\x00\x01"
	    "a\x02\x00\x01" "b", 8, &why) == -1);
	CHECK_STR(why, "duplicate field");
	CHECK(decode_raw(AUTHPROTO_LOOKUP, (const uint8_t *)"", 0, &why) ==
	    -1);
	CHECK_STR(why, "missing field");
	CHECK(decode_raw(AUTHPROTO_LOOKUP, (const uint8_t *)"\x02\x00\x00",
	    3, &why) == -1);
	CHECK_STR(why, "bad field length");
	CHECK(decode_raw(AUTHPROTO_LOOKUP, (const uint8_t *)"\x03\x00\x01"
	    "x", 4, &why) == -1);
	CHECK_STR(why, "unexpected field");
	CHECK(decode_raw(AUTHPROTO_LOOKUP, (const uint8_t *)"\x63\x00\x01"
	    "x", 4, &why) == -1);
	CHECK_STR(why, "unexpected field");
	/* an OK whose uid is three octets, then the reserved id */
	CHECK(decode_raw(AUTHPROTO_OK, (const uint8_t *)"\x05\x00\x03" "abc",
	    6, &why) == -1);
	CHECK_STR(why, "bad field length");
	CHECK(decode_raw(AUTHPROTO_OK, (const uint8_t *)"\x05\x00\x04"
	    "\xff\xff\xff\xff", 7, &why) == -1);
	CHECK_STR(why, "bad id");
}

static void
test_limits(void)
{
	struct authproto_msg	in, out;
	uint8_t			buf[AUTHPROTO_BUF_MAX], big[300];
	const char		*why;

	memset(&in, 0, sizeof(in));
	in.type = AUTHPROTO_LOOKUP;
	memset(in.user, 'u', AUTH_NAME_MAX);
	CHECK(roundtrip(&in, &out) == 0 && strlen(out.user) == AUTH_NAME_MAX);
	in.user[0] = '\0';		/* empty user: refused */
	CHECK(authproto_encode(&in, buf, sizeof(buf)) == -1);
	in.user[0] = 'u';
	CHECK(authproto_encode(&in, buf, 10) == -1);	/* short buffer */
	/* a 256-octet user name on the wire */
	big[0] = AP_USER;
	big[1] = 0x01;
	big[2] = 0x00;
	memset(big + 3, 'u', 256);
	CHECK(decode_raw(AUTHPROTO_LOOKUP, big, 259, &why) == -1);
	CHECK_STR(why, "bad field length");
	authproto_clear(&in);
	CHECK(in.user[0] == '\0' && in.type == 0);
}

/*
 * An OK answer with every text field at its limit fits one frame and
 * comes back whole; one octet more in a field is refused both ways.
 */
static void
test_record_limits(void)
{
	struct authproto_msg	in, out;
	uint8_t			buf[AUTHPROTO_BUF_MAX], *p;
	const char		*why = NULL;
	int			len;

	memset(&in, 0, sizeof(in));
	in.type = AUTHPROTO_OK;
	memset(in.rec.name, 'n', AUTH_NAME_MAX);
	in.rec.uid = in.rec.gid = 1;
	memset(in.rec.home, 'h', AUTH_PATH_MAX);
	memset(in.rec.maildir, 'm', AUTH_PATH_MAX);
	memset(in.rec.quota, 'q', AUTH_QUOTA_MAX);
	memset(in.rec.fullname, 'f', AUTH_GECOS_MAX);
	memset(in.rec.delivery, 'd', AUTH_PATH_MAX);
	len = authproto_encode(&in, buf, sizeof(buf));
	CHECK(len == AUTHPROTO_HDR_LEN + 3678);	/* as authd(8) says */
	CHECK(roundtrip(&in, &out) == 0);
	CHECK(memcmp(&in.rec, &out.rec, sizeof(in.rec)) == 0);
	CHECK(strlen(out.rec.fullname) == AUTH_GECOS_MAX &&
	    strlen(out.rec.delivery) == AUTH_PATH_MAX);

	/* the last field written is delivery: make it one octet longer */
	if (len > 0) {
		p = buf + len - AUTH_PATH_MAX - TLV_HDR_LEN;
		CHECK(p[0] == AP_DELIVERY);
		p[1] = (AUTH_PATH_MAX + 1) >> 8;
		p[2] = (AUTH_PATH_MAX + 1) & 0xff;
		buf[len] = 'd';
		CHECK(authproto_decode(AUTHPROTO_OK, buf + AUTHPROTO_HDR_LEN,
		    len + 1 - AUTHPROTO_HDR_LEN, &out, &why) == -1);
		CHECK_STR(why, "bad field length");
		/* and without it: an OK lacking delivery is malformed */
		CHECK(authproto_decode(AUTHPROTO_OK, buf + AUTHPROTO_HDR_LEN,
		    p - buf - AUTHPROTO_HDR_LEN, &out, &why) == -1);
		CHECK_STR(why, "missing field");
	}
	in.rec.fullname[AUTH_GECOS_MAX] = 'f';	/* 256 octets */
	CHECK(authproto_encode(&in, buf, sizeof(buf)) == -1);
	in.rec.fullname[AUTH_GECOS_MAX] = '\0';
	in.rec.delivery[AUTH_PATH_MAX] = 'd';
	CHECK(authproto_encode(&in, buf, sizeof(buf)) == -1);
	authproto_clear(&in);
}

static void
fake_answer(int fd, enum authproto_type type, const char *reason)
{
	struct authproto_msg	m;
	uint8_t			buf[AUTHPROTO_BUF_MAX];
	int			len;

	memset(&m, 0, sizeof(m));
	m.type = type;
	strlcpy(m.reason, reason, sizeof(m.reason));
	strlcpy(m.rec.name, "ana", sizeof(m.rec.name));
	strlcpy(m.rec.home, "/home/ana", sizeof(m.rec.home));
	strlcpy(m.rec.fullname, "Ana", sizeof(m.rec.fullname));
	strlcpy(m.rec.delivery, "./Maildir/", sizeof(m.rec.delivery));
	m.rec.uid = 2001;
	len = authproto_encode(&m, buf, sizeof(buf));
	sock_write_full(fd, buf, len, 1000);
}

/* Ends the first connection as an idle one; answers OK on the second. */
static void
fake_server(int lfd)
{
	uint8_t	buf[AUTHPROTO_BUF_MAX];
	int	fd;

	fd = accept(lfd, NULL, NULL);
	fake_answer(fd, AUTHPROTO_ERROR, "idle timeout");
	close(fd);
	fd = accept(lfd, NULL, NULL);
	if (sock_read_full(fd, buf, AUTHPROTO_HDR_LEN + 6, 2000) == 0)
		fake_answer(fd, AUTHPROTO_OK, "");
	close(fd);
	_exit(0);
}

static void
test_client_reconnects(void)
{
	struct authclient	*ac;
	struct auth_user	 u;
	char			 path[256];
	const char		*tmp = getenv("TMPDIR");
	pid_t			 pid;
	int			 lfd, status;

	snprintf(path, sizeof(path), "%s/authproto-%d.sock",
	    tmp ? tmp : "/tmp", (int)getpid());
	CHECK((lfd = sock_listen_unix(path, 0600, (gid_t)-1, 4)) != -1);
	if (lfd == -1 || (pid = fork()) == -1)
		return;
	if (pid == 0)
		fake_server(lfd);
	close(lfd);
	CHECK((ac = authclient_open(path, 2000)) != NULL);
	if (ac != NULL) {
		usleep(200000);		/* the idle ERROR is waiting */
		memset(&u, 0, sizeof(u));
		CHECK(authclient_lookup(ac, "ana", &u) == AUTH_OK);
		CHECK(u.uid == 2001 && strcmp(u.home, "/home/ana") == 0);
		CHECK_STR(u.fullname, "Ana");
		CHECK_STR(u.delivery, "./Maildir/");
		authclient_close(ac);
	}
	waitpid(pid, &status, 0);
	unlink(path);
}

int
main(void)
{
	test_roundtrips();
	test_headers();
	test_fields();
	test_limits();
	test_record_limits();
	test_client_reconnects();
	return unit_done();
}
