/*
 * The queue socket protocol: frame header checks, field decoding and
 * encoding, driven by a field table and a message-type table.  Nothing
 * here does I/O.
 */

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "compat.h"
#include "queueproto.h"

#define FIELD_HDR_LEN	3	/* tag, u16 length */
#define BIT(tag)	(1U << (tag))

enum field_kind {
	FIELD_TEXT,		/* octets without NUL */
	FIELD_U64		/* eight octets, big-endian */
};

struct field {
	enum queueproto_tag	 tag;
	enum field_kind		 kind;
	size_t			 minlen;
	size_t			 maxlen;
	size_t			 offset;	/* into struct queueproto_msg */
};

struct msgtype {
	enum queueproto_type	 type;
	const char		*name;
	unsigned int		 fields;	/* BIT(tag) of each field */
};

#define OFF(m)		offsetof(struct queueproto_msg, m)

static const struct field fields[] = {
	{ QT_SENDER,	FIELD_TEXT, 0, ADDR_PATH_MAX,	 OFF(sender) },
	{ QT_FLAGS,	FIELD_U64,  8, 8,		 OFF(flags) },
	{ QT_RCPT,	FIELD_TEXT, 1, ADDR_PATH_MAX,	 OFF(rcpt) },
	{ QT_ID,	FIELD_TEXT, 1, QUEUE_ID_MAX,	 OFF(id) },
	{ QT_REASON,	FIELD_TEXT, 0, QUEUE_REASON_MAX, OFF(reason) },
	{ QT_CREATED,	FIELD_U64,  8, 8,		 OFF(created) },
	{ QT_SIZE,	FIELD_U64,  8, 8,		 OFF(size) },
	{ QT_STATE,	FIELD_TEXT, 1, QUEUE_STATE_MAX,	 OFF(state) }
};

static const struct msgtype msgtypes[] = {
	{ QP_MAIL,	"mail",		BIT(QT_SENDER) | BIT(QT_FLAGS) },
	{ QP_RCPT,	"rcpt",		BIT(QT_RCPT) },
	{ QP_DATA,	"data",		0 },
	{ QP_END,	"end",		0 },
	{ QP_ABORT,	"abort",	0 },
	{ QP_LIST,	"list",		0 },
	{ QP_OK,	"ok",		BIT(QT_ID) },
	{ QP_FAIL,	"fail",		BIT(QT_REASON) },
	{ QP_TEMPFAIL,	"tempfail",	BIT(QT_REASON) },
	{ QP_ERROR,	"error",	BIT(QT_REASON) },
	{ QP_ENTRY,	"entry",	BIT(QT_ID) | BIT(QT_CREATED) |
	    BIT(QT_SIZE) | BIT(QT_SENDER) | BIT(QT_REASON) },
	{ QP_ENTRY_RCPT, "entry-rcpt",	BIT(QT_RCPT) | BIT(QT_STATE) |
	    BIT(QT_REASON) },
	{ QP_LISTEND,	"listend",	0 }
};

static const struct field	*field_find(unsigned int);
static const struct msgtype	*msgtype_find(unsigned int);
static int	 field_decode(struct queueproto_msg *, const struct field *,
		    const uint8_t *, size_t, const char **);
static long	 field_encode(const struct queueproto_msg *,
		    const struct field *, uint8_t *, size_t);

static const struct field *
field_find(unsigned int tag)
{
	size_t	i;

	for (i = 0; i < nitems(fields); i++)
		if ((unsigned int)fields[i].tag == tag)
			return &fields[i];
	return NULL;
}

static const struct msgtype *
msgtype_find(unsigned int type)
{
	size_t	i;

	for (i = 0; i < nitems(msgtypes); i++)
		if ((unsigned int)msgtypes[i].type == type)
			return &msgtypes[i];
	return NULL;
}

const char *
queueproto_type_name(enum queueproto_type type)
{
	const struct msgtype	*t;

	if ((t = msgtype_find(type)) == NULL)
		return "unknown";
	return t->name;
}

long
queueproto_header(const uint8_t *hdr, enum queueproto_type *type,
    const char **why)
{
	const struct msgtype	*t;
	uint32_t		 len;

	if (hdr[0] != QUEUEPROTO_VERSION) {
		*why = "bad version";
		return -1;
	}
	if ((t = msgtype_find(hdr[1])) == NULL) {
		*why = "unknown type";
		return -1;
	}
	len = ((uint32_t)hdr[2] << 24) | ((uint32_t)hdr[3] << 16) |
	    ((uint32_t)hdr[4] << 8) | hdr[5];
	if (len > QUEUEPROTO_FRAME_MAX) {
		*why = "frame too long";
		return -1;
	}
	*type = t->type;
	return len;
}

static int
field_decode(struct queueproto_msg *m, const struct field *f,
    const uint8_t *v, size_t len, const char **why)
{
	uint64_t	 n = 0;
	size_t		 i;
	void		*p = (char *)m + f->offset;

	if (len < f->minlen || len > f->maxlen) {
		*why = "bad field length";
		return -1;
	}
	if (f->kind == FIELD_U64) {
		for (i = 0; i < 8; i++)
			n = (n << 8) | v[i];
		*(uint64_t *)p = n;
		return 0;
	}
	if (memchr(v, '\0', len) != NULL) {
		*why = "NUL in field";
		return -1;
	}
	memcpy(p, v, len);
	((char *)p)[len] = '\0';
	return 0;
}

int
queueproto_decode(enum queueproto_type type, const uint8_t *payload,
    size_t len, struct queueproto_msg *m, const char **why)
{
	const struct msgtype	*t;
	const struct field	*f;
	unsigned int		 seen = 0;
	size_t			 off = 0, flen;

	memset(m, 0, sizeof(*m));
	m->type = type;
	if ((t = msgtype_find(type)) == NULL || len > QUEUEPROTO_FRAME_MAX) {
		*why = "bad frame";
		return -1;
	}
	if (type == QP_DATA) {
		m->data = payload;
		m->datalen = len;
		return 0;
	}
	while (off < len) {
		if (len - off < FIELD_HDR_LEN) {
			*why = "truncated field";
			return -1;
		}
		flen = ((size_t)payload[off + 1] << 8) | payload[off + 2];
		if (len - off - FIELD_HDR_LEN < flen) {
			*why = "truncated field";
			return -1;
		}
		if ((f = field_find(payload[off])) == NULL ||
		    (t->fields & BIT(f->tag)) == 0) {
			*why = "unexpected field";
			return -1;
		}
		if (seen & BIT(f->tag)) {
			*why = "duplicate field";
			return -1;
		}
		seen |= BIT(f->tag);
		if (field_decode(m, f, payload + off + FIELD_HDR_LEN, flen,
		    why) == -1)
			return -1;
		off += FIELD_HDR_LEN + flen;
	}
	if (seen != t->fields) {
		*why = "missing field";
		return -1;
	}
	return 0;
}

/* Appends one field at buf; returns its encoded length or -1. */
static long
field_encode(const struct queueproto_msg *m, const struct field *f,
    uint8_t *buf, size_t room)
{
	const void	*p = (const char *)m + f->offset;
	uint64_t	 n;
	size_t		 len, i;

	if (f->kind == FIELD_U64) {
		if (room < FIELD_HDR_LEN + 8)
			return -1;
		n = *(const uint64_t *)p;
		buf[0] = f->tag;
		buf[1] = 0;
		buf[2] = 8;
		for (i = 0; i < 8; i++)
			buf[FIELD_HDR_LEN + i] = n >> (56 - 8 * i);
		return FIELD_HDR_LEN + 8;
	}
	len = strnlen(p, f->maxlen + 1);
	if (len < f->minlen || len > f->maxlen || room < FIELD_HDR_LEN + len)
		return -1;
	buf[0] = f->tag;
	buf[1] = len >> 8;
	buf[2] = len & 0xff;
	memcpy(buf + FIELD_HDR_LEN, p, len);
	return FIELD_HDR_LEN + len;
}

long
queueproto_encode(const struct queueproto_msg *m, uint8_t *buf,
    size_t bufsize)
{
	const struct msgtype	*t;
	size_t			 i, off = QUEUEPROTO_HDR_LEN, len;
	long			 n;

	if ((t = msgtype_find(m->type)) == NULL ||
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
	for (i = 0; i < nitems(fields); i++) {
		if ((t->fields & BIT(fields[i].tag)) == 0)
			continue;
		if ((n = field_encode(m, &fields[i], buf + off,
		    bufsize - off)) == -1)
			return -1;
		off += n;
	}
	len = off - QUEUEPROTO_HDR_LEN;
	if (len > QUEUEPROTO_FRAME_MAX)
		return -1;
	buf[0] = QUEUEPROTO_VERSION;
	buf[1] = t->type;
	buf[2] = len >> 24;
	buf[3] = len >> 16;
	buf[4] = len >> 8;
	buf[5] = len;
	return off;
}
