/*
 * The authd wire protocol: frame header checks, field decoding and
 * encoding (lib/tlv).  Tables drive it: the fields (tag, kind, limits,
 * where a value lives in struct authproto_msg) and the message types
 * (which fields each one carries).  Nothing here does I/O.
 */

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "authproto.h"
#include "compat.h"
#include "tlv.h"

/* The codec stores ids as uint32_t. */
_Static_assert(sizeof(uid_t) == sizeof(uint32_t), "uid_t is not 32 bits");
_Static_assert(sizeof(gid_t) == sizeof(uint32_t), "gid_t is not 32 bits");

#define OFF(m)		offsetof(struct authproto_msg, m)

/* Requests and the answers with a reason. */
static const struct tlv_field fields[] = {
	{ AP_SERVICE,	TLV_TEXT, 1, AUTH_SERVICE_MAX,	OFF(service) },
	{ AP_USER,	TLV_TEXT, 1, AUTH_NAME_MAX,	OFF(user) },
	{ AP_PASSWORD,	TLV_TEXT, 0, AUTH_PASS_MAX,	OFF(password) },
	{ AP_ADDR,	TLV_TEXT, 0, AUTH_ADDR_MAX,	OFF(addr) },
	{ AP_REASON,	TLV_TEXT, 0, AUTH_REASON_MAX,	OFF(reason) }
};

/* An OK answer is the user record: there the user field is its name. */
static const struct tlv_field rec_fields[] = {
	{ AP_USER,	TLV_TEXT, 1, AUTH_NAME_MAX,	OFF(rec.name) },
	{ AP_UID,	TLV_ID,   4, 4,			OFF(rec.uid) },
	{ AP_GID,	TLV_ID,   4, 4,			OFF(rec.gid) },
	{ AP_HOME,	TLV_TEXT, 1, AUTH_PATH_MAX,	OFF(rec.home) },
	{ AP_MAILDIR,	TLV_TEXT, 0, AUTH_PATH_MAX,	OFF(rec.maildir) },
	{ AP_QUOTA,	TLV_TEXT, 0, AUTH_QUOTA_MAX,	OFF(rec.quota) },
	{ AP_FULLNAME,	TLV_TEXT, 0, AUTH_GECOS_MAX,	OFF(rec.fullname) },
	{ AP_DELIVERY,	TLV_TEXT, 0, AUTH_PATH_MAX,	OFF(rec.delivery) }
};

/* An OK answer with every field at its limit fits one frame. */
#define FIELD(max)	(TLV_HDR_LEN + (max))
_Static_assert(FIELD(AUTH_NAME_MAX) + 2 * FIELD(4) +
    3 * FIELD(AUTH_PATH_MAX) + FIELD(AUTH_QUOTA_MAX) +
    FIELD(AUTH_GECOS_MAX) <= AUTHPROTO_FRAME_MAX,
    "an OK answer at its limits is over AUTHPROTO_FRAME_MAX");
/* So does an AUTH request. */
_Static_assert(FIELD(AUTH_SERVICE_MAX) + FIELD(AUTH_NAME_MAX) +
    FIELD(AUTH_PASS_MAX) + FIELD(AUTH_ADDR_MAX) <= AUTHPROTO_FRAME_MAX,
    "an AUTH request at its limits is over AUTHPROTO_FRAME_MAX");

#define REQ(type, name, want)	{ type, name, fields, nitems(fields), want }

static const struct tlv_msgtype msgtypes[] = {
	REQ(AUTHPROTO_AUTH, "auth", TLV_BIT(AP_SERVICE) | TLV_BIT(AP_USER) |
	    TLV_BIT(AP_PASSWORD) | TLV_BIT(AP_ADDR)),
	REQ(AUTHPROTO_LOOKUP, "lookup", TLV_BIT(AP_USER)),
	{ AUTHPROTO_OK, "ok", rec_fields, nitems(rec_fields),
	    TLV_BIT(AP_USER) | TLV_BIT(AP_UID) | TLV_BIT(AP_GID) |
	    TLV_BIT(AP_HOME) | TLV_BIT(AP_MAILDIR) | TLV_BIT(AP_QUOTA) |
	    TLV_BIT(AP_FULLNAME) | TLV_BIT(AP_DELIVERY) },
	REQ(AUTHPROTO_FAIL, "fail", TLV_BIT(AP_REASON)),
	REQ(AUTHPROTO_TEMPFAIL, "tempfail", TLV_BIT(AP_REASON)),
	REQ(AUTHPROTO_ERROR, "error", TLV_BIT(AP_REASON))
};

static const struct tlv_proto proto = {
	AUTHPROTO_VERSION, AUTHPROTO_HDR_LEN - 2, AUTHPROTO_FRAME_MAX,
	msgtypes, nitems(msgtypes)
};

const char *
authproto_type_name(enum authproto_type type)
{
	return tlv_type_name(&proto, type);
}

int
authproto_header(const uint8_t *hdr, enum authproto_type *type,
    const char **why)
{
	unsigned int	t;
	long		len;

	if ((len = tlv_header(&proto, hdr, &t, why)) == -1)
		return -1;
	*type = t;
	return (int)len;
}

int
authproto_decode(enum authproto_type type, const uint8_t *payload,
    size_t len, struct authproto_msg *m, const char **why)
{
	const struct tlv_msgtype	*t;

	memset(m, 0, sizeof(*m));
	m->type = type;
	if ((t = tlv_msgtype_find(&proto, type)) == NULL ||
	    len > AUTHPROTO_FRAME_MAX) {
		*why = "bad frame";
		return -1;
	}
	return tlv_decode(t, payload, len, m, why);
}

int
authproto_encode(const struct authproto_msg *m, uint8_t *buf, size_t bufsize)
{
	const struct tlv_msgtype	*t;
	size_t				 room;
	long				 n;

	if ((t = tlv_msgtype_find(&proto, m->type)) == NULL ||
	    bufsize < AUTHPROTO_HDR_LEN)
		return -1;
	room = bufsize < AUTHPROTO_BUF_MAX ? bufsize : AUTHPROTO_BUF_MAX;
	if ((n = tlv_encode(t, m, buf + AUTHPROTO_HDR_LEN,
	    room - AUTHPROTO_HDR_LEN)) == -1)
		return -1;
	tlv_header_put(&proto, t->type, n, buf);
	return AUTHPROTO_HDR_LEN + n;
}

void
authproto_clear(struct authproto_msg *m)
{
	explicit_bzero(m, sizeof(*m));
}
