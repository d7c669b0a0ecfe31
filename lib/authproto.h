/*
 * The authd wire protocol, shared by authd, its workers and every client.
 *
 * A frame is a 4-octet header and a payload:
 *
 *	u8 version (AUTHPROTO_VERSION)  u8 type  u16 payload length (BE)
 *
 * The payload is a sequence of fields, each "u8 tag, u16 length (BE),
 * bytes".  Text fields hold no NUL and are not terminated; numbers are
 * u32 big-endian.  Each message type has its required fields; an unknown
 * tag, a duplicate, a missing field, a field over its limit or a payload
 * over AUTHPROTO_FRAME_MAX is malformed.  authd(8) documents the format.
 */
#ifndef AUTHPROTO_H
#define AUTHPROTO_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#define AUTHPROTO_VERSION	1
#define AUTHPROTO_HDR_LEN	4	/* version, type, length */
#define AUTHPROTO_FRAME_MAX	4096	/* octets of one payload */
#define AUTHPROTO_BUF_MAX	(AUTHPROTO_HDR_LEN + AUTHPROTO_FRAME_MAX)

#define AUTH_SERVICE_MAX	32	/* "imap", "pop3", "smtp", ... */
#define AUTH_NAME_MAX		255	/* a user name */
#define AUTH_PASS_MAX		1024	/* a password */
#define AUTH_ADDR_MAX		64	/* the client's address, as text */
#define AUTH_PATH_MAX		1024	/* home, maildir, delivery */
#define AUTH_QUOTA_MAX		64	/* a Maildir++ quota: "1000000S,500C" */
#define AUTH_GECOS_MAX		255	/* a full name (GECOS, cn) */
#define AUTH_REASON_MAX		128	/* a short reason for fail or error */

enum authproto_type {
	AUTHPROTO_AUTH = 1,		/* service, user, password, addr */
	AUTHPROTO_LOOKUP = 2,		/* user */
	AUTHPROTO_OK = 0x81,		/* the user record */
	AUTHPROTO_FAIL = 0x82,		/* reason */
	AUTHPROTO_TEMPFAIL = 0x83,	/* reason */
	AUTHPROTO_ERROR = 0x84		/* reason; the connection closes */
};

enum authproto_tag {
	AP_SERVICE = 1,
	AP_USER = 2,
	AP_PASSWORD = 3,
	AP_ADDR = 4,
	AP_UID = 5,
	AP_GID = 6,
	AP_HOME = 7,
	AP_MAILDIR = 8,
	AP_QUOTA = 9,
	AP_REASON = 10,
	AP_FULLNAME = 11,
	AP_DELIVERY = 12
};

/*
 * The user record of an OK answer.  quota, fullname and delivery may be
 * empty; delivery is the account's default delivery instruction
 * (courier's LDAP_DEFAULTDELIVERY) for the delivery spawner.  The
 * backends put no control characters in fullname or delivery.
 */
struct auth_user {
	char	name[AUTH_NAME_MAX + 1];
	uid_t	uid;
	gid_t	gid;
	char	home[AUTH_PATH_MAX + 1];
	char	maildir[AUTH_PATH_MAX + 1];
	char	quota[AUTH_QUOTA_MAX + 1];
	char	fullname[AUTH_GECOS_MAX + 1];
	char	delivery[AUTH_PATH_MAX + 1];
};

/* One decoded message; which fields count depends on type. */
struct authproto_msg {
	enum authproto_type	type;
	char			service[AUTH_SERVICE_MAX + 1];
	char			user[AUTH_NAME_MAX + 1];
	char			password[AUTH_PASS_MAX + 1];
	char			addr[AUTH_ADDR_MAX + 1];
	struct auth_user	rec;
	char			reason[AUTH_REASON_MAX + 1];
};

/*
 * Checks a header.  Returns the payload length, or -1 with a static
 * reason in *why (bad version, unknown type, length over the limit).
 */
int	authproto_header(const uint8_t *hdr, enum authproto_type *type,
	    const char **why);
/*
 * Decodes a payload of len octets for a type accepted by
 * authproto_header().  0, or -1 with a static reason in *why.
 */
int	authproto_decode(enum authproto_type type, const uint8_t *payload,
	    size_t len, struct authproto_msg *, const char **why);
/*
 * Encodes a whole frame (header included) into buf.  Returns its length,
 * or -1 when a field is over its limit or holds NUL-free text too long
 * for the frame.
 */
int	authproto_encode(const struct authproto_msg *, uint8_t *buf,
	    size_t bufsize);
/* Zeroes a message (it may hold a password). */
void	authproto_clear(struct authproto_msg *);
/* "auth", "lookup", "ok", ... or "unknown". */
const char *authproto_type_name(enum authproto_type);

#endif /* AUTHPROTO_H */
