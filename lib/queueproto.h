/*
 * The queue socket protocol: smtpd-lite, sendmail(8) and mailq(1) talk
 * to mailqueue(8) over its UNIX socket.
 *
 * A frame is a 6-octet header and a payload:
 *
 *	u8 version (QUEUEPROTO_VERSION)  u8 type  u32 payload length (BE)
 *
 * A DATA payload is raw message octets.  Every other payload is a
 * sequence of fields, each "u8 tag, u16 length (BE), bytes"; text holds
 * no NUL and is not terminated, numbers are u64 big-endian.  An unknown
 * tag, a duplicate, a missing field, a field over its limit or a payload
 * over QUEUEPROTO_FRAME_MAX is malformed.
 *
 * Submission: MAIL, one or more RCPT, any number of DATA, then END; the
 * server answers END only, with OK (the queue id, sent after the message
 * is committed to disk), FAIL (permanent: too big, too many recipients)
 * or TEMPFAIL.  ABORT drops the message being sent and has no answer.
 * A connection may submit any number of messages in turn.  Listing: LIST,
 * answered by ENTRY frames, each followed by one ENTRY_RCPT per
 * recipient, then LISTEND.  ERROR answers a malformed or out-of-order
 * frame, and the server closes the connection.
 */
#ifndef QUEUEPROTO_H
#define QUEUEPROTO_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "address.h"

#define QUEUEPROTO_VERSION	1
#define QUEUEPROTO_HDR_LEN	6	/* version, type, u32 length */
#define QUEUEPROTO_FRAME_MAX	65536	/* octets of one payload */
#define QUEUE_ID_MAX		32	/* octets of a queue id */
#define QUEUE_REASON_MAX	256	/* a reason or last error */
#define QUEUE_STATE_MAX		16	/* "pending", "done", "failed", ... */

/* MAIL flags */
#define QP_F_RECEIVED	0x01	/* the body starts with the client's own
				   Received: header (trusted peers only) */
#define QP_F_8BITMIME	0x02	/* BODY=8BITMIME was declared */

enum queueproto_type {
	QP_MAIL = 0x01,		/* sender, flags */
	QP_RCPT = 0x02,		/* rcpt */
	QP_DATA = 0x03,		/* raw octets */
	QP_END = 0x04,		/* no fields */
	QP_ABORT = 0x05,	/* no fields */
	QP_LIST = 0x10,		/* no fields */
	QP_OK = 0x81,		/* id */
	QP_FAIL = 0x82,		/* reason */
	QP_TEMPFAIL = 0x83,	/* reason */
	QP_ERROR = 0x84,	/* reason; the connection closes */
	QP_ENTRY = 0x90,	/* id, created, size, sender, reason */
	QP_ENTRY_RCPT = 0x91,	/* rcpt, state, reason */
	QP_LISTEND = 0x92	/* no fields */
};

enum queueproto_tag {
	QT_SENDER = 1,		/* text, may be empty (the null path) */
	QT_FLAGS = 2,		/* u64, QP_F_* */
	QT_RCPT = 3,		/* text, "local@domain" */
	QT_ID = 4,		/* text */
	QT_REASON = 5,		/* text, may be empty */
	QT_CREATED = 6,		/* u64, seconds since the epoch */
	QT_SIZE = 7,		/* u64, octets of the body */
	QT_STATE = 8		/* text */
};

/* One decoded frame; which fields count depends on type. */
struct queueproto_msg {
	enum queueproto_type	 type;
	char			 sender[ADDR_PATH_MAX + 1];
	uint64_t		 flags;
	char			 rcpt[ADDR_PATH_MAX + 1];
	char			 id[QUEUE_ID_MAX + 1];
	char			 reason[QUEUE_REASON_MAX + 1];
	uint64_t		 created;
	uint64_t		 size;
	char			 state[QUEUE_STATE_MAX + 1];
	const uint8_t		*data;		/* QP_DATA: into the payload */
	size_t			 datalen;
};

/*
 * Checks a header.  Returns the payload length, or -1 with a static
 * reason in *why (bad version, unknown type, length over the limit).
 */
long	queueproto_header(const uint8_t *hdr, enum queueproto_type *type,
	    const char **why);
/*
 * Decodes a payload of len octets for a type accepted by
 * queueproto_header().  For QP_DATA, msg->data points into payload.
 * 0, or -1 with a static reason in *why.
 */
int	queueproto_decode(enum queueproto_type type, const uint8_t *payload,
	    size_t len, struct queueproto_msg *, const char **why);
/*
 * Encodes a whole frame (header included) into buf.  Returns its length,
 * or -1 when a field is over its limit or buf is too small.  For QP_DATA
 * the payload is msg->data.
 */
long	queueproto_encode(const struct queueproto_msg *, uint8_t *buf,
	    size_t bufsize);
/* "mail", "rcpt", ... or "unknown". */
const char *queueproto_type_name(enum queueproto_type);

#endif /* QUEUEPROTO_H */
