/*
 * The authd wire protocol: frame header checks, field decoding and
 * encoding.  Two tables drive it: the fields (tag, kind, limits, where a
 * value lives in struct authproto_msg) and the message types (which
 * fields each one carries).  Nothing here does I/O.
 */

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "authproto.h"
#include "compat.h"

#define FIELD_HDR_LEN	3	/* tag, u16 length */
#define BIT(tag)	(1U << (tag))

enum field_kind {
	FIELD_TEXT,		/* octets without NUL */
	FIELD_U32		/* four octets, big-endian */
};

struct field {
	enum authproto_tag	 tag;
	enum field_kind		 kind;
	size_t			 minlen;
	size_t			 maxlen;
	size_t			 offset;	/* into struct authproto_msg */
};

struct msgtype {
	enum authproto_type	 type;
	const char		*name;
	unsigned int		 fields;	/* BIT(tag) of each field */
};

#define OFF(m)		offsetof(struct authproto_msg, m)

static const struct field fields[] = {
	{ AP_SERVICE,	FIELD_TEXT, 1, AUTH_SERVICE_MAX, OFF(service) },
	{ AP_USER,	FIELD_TEXT, 1, AUTH_NAME_MAX,	 OFF(user) },
	{ AP_PASSWORD,	FIELD_TEXT, 0, AUTH_PASS_MAX,	 OFF(password) },
	{ AP_ADDR,	FIELD_TEXT, 0, AUTH_ADDR_MAX,	 OFF(addr) },
	{ AP_UID,	FIELD_U32,  4, 4,		 OFF(rec.uid) },
	{ AP_GID,	FIELD_U32,  4, 4,		 OFF(rec.gid) },
	{ AP_HOME,	FIELD_TEXT, 1, AUTH_PATH_MAX,	 OFF(rec.home) },
	{ AP_MAILDIR,	FIELD_TEXT, 0, AUTH_PATH_MAX,	 OFF(rec.maildir) },
	{ AP_QUOTA,	FIELD_TEXT, 0, AUTH_QUOTA_MAX,	 OFF(rec.quota) },
	{ AP_REASON,	FIELD_TEXT, 0, AUTH_REASON_MAX,	 OFF(reason) }
};

static const struct msgtype msgtypes[] = {
	{ AUTHPROTO_AUTH, "auth",
	    BIT(AP_SERVICE) | BIT(AP_USER) | BIT(AP_PASSWORD) | BIT(AP_ADDR) },
	{ AUTHPROTO_LOOKUP, "lookup", BIT(AP_USER) },
	{ AUTHPROTO_OK, "ok", BIT(AP_USER) | BIT(AP_UID) | BIT(AP_GID) |
	    BIT(AP_HOME) | BIT(AP_MAILDIR) | BIT(AP_QUOTA) },
	{ AUTHPROTO_FAIL, "fail", BIT(AP_REASON) },
	{ AUTHPROTO_TEMPFAIL, "tempfail", BIT(AP_REASON) },
	{ AUTHPROTO_ERROR, "error", BIT(AP_REASON) }
};

static const struct field	*field_find(unsigned int);
static const struct msgtype	*msgtype_find(unsigned int);
static void	*field_ptr(struct authproto_msg *, enum authproto_type,
		    const struct field *);
static int	 field_decode(struct authproto_msg *, const struct field *,
		    const uint8_t *, size_t, const char **);
static int	 field_encode(const struct authproto_msg *,
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

/* In an OK answer the user field is the record's name. */
static void *
field_ptr(struct authproto_msg *m, enum authproto_type type,
    const struct field *f)
{
	if (type == AUTHPROTO_OK && f->tag == AP_USER)
		return m->rec.name;
	return (char *)m + f->offset;
}

const char *
authproto_type_name(enum authproto_type type)
{
	const struct msgtype	*t;

	if ((t = msgtype_find(type)) == NULL)
		return "unknown";
	return t->name;
}

int
authproto_header(const uint8_t *hdr, enum authproto_type *type,
    const char **why)
{
	const struct msgtype	*t;
	int			 len;

	if (hdr[0] != AUTHPROTO_VERSION) {
		*why = "bad version";
		return -1;
	}
	if ((t = msgtype_find(hdr[1])) == NULL) {
		*why = "unknown type";
		return -1;
	}
	len = (hdr[2] << 8) | hdr[3];
	if (len > AUTHPROTO_FRAME_MAX) {
		*why = "frame too long";
		return -1;
	}
	*type = t->type;
	return len;
}

static int
field_decode(struct authproto_msg *m, const struct field *f,
    const uint8_t *v, size_t len, const char **why)
{
	uint32_t	 n;
	void		*p = field_ptr(m, m->type, f);

	if (len < f->minlen || len > f->maxlen) {
		*why = "bad field length";
		return -1;
	}
	if (f->kind == FIELD_U32) {
		n = ((uint32_t)v[0] << 24) | ((uint32_t)v[1] << 16) |
		    ((uint32_t)v[2] << 8) | v[3];
		if (n == UINT32_MAX) {
			*why = "bad id";
			return -1;
		}
		if (f->tag == AP_UID)
			*(uid_t *)p = n;
		else
			*(gid_t *)p = n;
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
authproto_decode(enum authproto_type type, const uint8_t *payload,
    size_t len, struct authproto_msg *m, const char **why)
{
	const struct msgtype	*t;
	const struct field	*f;
	unsigned int		 seen = 0;
	size_t			 off = 0, flen;

	memset(m, 0, sizeof(*m));
	m->type = type;
	if ((t = msgtype_find(type)) == NULL || len > AUTHPROTO_FRAME_MAX) {
		*why = "bad frame";
		return -1;
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
static int
field_encode(const struct authproto_msg *m, const struct field *f,
    uint8_t *buf, size_t room)
{
	const void	*p = field_ptr((struct authproto_msg *)m, m->type, f);
	uint32_t	 n;
	size_t		 len;

	if (f->kind == FIELD_U32) {
		n = f->tag == AP_UID ? (uint32_t)*(const uid_t *)p :
		    (uint32_t)*(const gid_t *)p;
		if (room < FIELD_HDR_LEN + 4)
			return -1;
		buf[0] = f->tag;
		buf[1] = 0;
		buf[2] = 4;
		buf[3] = n >> 24;
		buf[4] = n >> 16;
		buf[5] = n >> 8;
		buf[6] = n;
		return FIELD_HDR_LEN + 4;
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

int
authproto_encode(const struct authproto_msg *m, uint8_t *buf, size_t bufsize)
{
	const struct msgtype	*t;
	size_t			 i, off = AUTHPROTO_HDR_LEN, room;
	int			 n;

	if ((t = msgtype_find(m->type)) == NULL || bufsize < AUTHPROTO_HDR_LEN)
		return -1;
	room = bufsize < AUTHPROTO_BUF_MAX ? bufsize : AUTHPROTO_BUF_MAX;
	for (i = 0; i < nitems(fields); i++) {
		if ((t->fields & BIT(fields[i].tag)) == 0)
			continue;
		if ((n = field_encode(m, &fields[i], buf + off,
		    room - off)) == -1)
			return -1;
		off += n;
	}
	buf[0] = AUTHPROTO_VERSION;
	buf[1] = t->type;
	buf[2] = (off - AUTHPROTO_HDR_LEN) >> 8;
	buf[3] = (off - AUTHPROTO_HDR_LEN) & 0xff;
	return off;
}

void
authproto_clear(struct authproto_msg *m)
{
	explicit_bzero(m, sizeof(*m));
}
