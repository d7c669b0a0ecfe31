/*
 * The queue socket protocol: frame header checks, field decoding and
 * encoding (lib/tlv), driven by a field table and a message-type table.
 * Nothing here does I/O.
 */

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "compat.h"
#include "queueproto.h"
#include "tlv.h"

#define OFF(m)		offsetof(struct queueproto_msg, m)

static const struct tlv_field fields[] = {
	{ QT_SENDER,	TLV_TEXT, 0, ADDR_PATH_MAX,	OFF(sender) },
	{ QT_FLAGS,	TLV_U64,  8, 8,			OFF(flags) },
	{ QT_RCPT,	TLV_TEXT, 1, ADDR_PATH_MAX,	OFF(rcpt) },
	{ QT_ID,	TLV_TEXT, 1, QUEUE_ID_MAX,	OFF(id) },
	{ QT_REASON,	TLV_TEXT, 0, QUEUE_REASON_MAX,	OFF(reason) },
	{ QT_CREATED,	TLV_U64,  8, 8,			OFF(created) },
	{ QT_SIZE,	TLV_U64,  8, 8,			OFF(size) },
	{ QT_STATE,	TLV_TEXT, 1, QUEUE_STATE_MAX,	OFF(state) }
};

#define B(tag)	TLV_BIT(tag)
#define MT(type, name, want)	{ type, name, fields, nitems(fields), want }

static const struct tlv_msgtype msgtypes[] = {
	MT(QP_MAIL,	"mail",		B(QT_SENDER) | B(QT_FLAGS)),
	MT(QP_RCPT,	"rcpt",		B(QT_RCPT)),
	MT(QP_DATA,	"data",		0),
	MT(QP_END,	"end",		0),
	MT(QP_ABORT,	"abort",	0),
	MT(QP_LIST,	"list",		0),
	MT(QP_OK,	"ok",		B(QT_ID)),
	MT(QP_FAIL,	"fail",		B(QT_REASON)),
	MT(QP_TEMPFAIL,	"tempfail",	B(QT_REASON)),
	MT(QP_ERROR,	"error",	B(QT_REASON)),
	MT(QP_ENTRY,	"entry",	B(QT_ID) | B(QT_CREATED) |
	    B(QT_SIZE) | B(QT_SENDER) | B(QT_REASON)),
	MT(QP_ENTRY_RCPT, "entry-rcpt",	B(QT_RCPT) | B(QT_STATE) |
	    B(QT_REASON)),
	MT(QP_LISTEND,	"listend",	0)
};

static const struct tlv_proto proto = {
	QUEUEPROTO_VERSION, QUEUEPROTO_HDR_LEN - 2, QUEUEPROTO_FRAME_MAX,
	msgtypes, nitems(msgtypes)
};

const char *
queueproto_type_name(enum queueproto_type type)
{
	return tlv_type_name(&proto, type);
}

long
queueproto_header(const uint8_t *hdr, enum queueproto_type *type,
    const char **why)
{
	unsigned int	t;
	long		len;

	if ((len = tlv_header(&proto, hdr, &t, why)) == -1)
		return -1;
	*type = t;
	return len;
}

int
queueproto_decode(enum queueproto_type type, const uint8_t *payload,
    size_t len, struct queueproto_msg *m, const char **why)
{
	const struct tlv_msgtype	*t;

	memset(m, 0, sizeof(*m));
	m->type = type;
	if ((t = tlv_msgtype_find(&proto, type)) == NULL ||
	    len > QUEUEPROTO_FRAME_MAX) {
		*why = "bad frame";
		return -1;
	}
	if (type == QP_DATA) {
		m->data = payload;
		m->datalen = len;
		return 0;
	}
	return tlv_decode(t, payload, len, m, why);
}

long
queueproto_encode(const struct queueproto_msg *m, uint8_t *buf,
    size_t bufsize)
{
	const struct tlv_msgtype	*t;
	size_t				 off = QUEUEPROTO_HDR_LEN, len;
	long				 n;

	if ((t = tlv_msgtype_find(&proto, m->type)) == NULL ||
	    bufsize < QUEUEPROTO_HDR_LEN)
		return -1;
	if (m->type == QP_DATA) {
		if (m->datalen > QUEUEPROTO_FRAME_MAX ||
		    bufsize - off < m->datalen)
			return -1;
		if (m->datalen > 0)
			memcpy(buf + off, m->data, m->datalen);
		off += m->datalen;
	}
	if ((n = tlv_encode(t, m, buf + off, bufsize - off)) == -1)
		return -1;
	off += n;
	len = off - QUEUEPROTO_HDR_LEN;
	if (len > QUEUEPROTO_FRAME_MAX)
		return -1;
	tlv_header_put(&proto, t->type, len, buf);
	return off;
}
