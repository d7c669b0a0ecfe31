/*
 * The frame codec shared by the internal protocols: one header check,
 * one table-driven decode loop and one encoder, so that authd's and the
 * queue's frames keep the same rules.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tlv.h"

static const struct tlv_field	*field_find(const struct tlv_field *, size_t,
				    unsigned int);
static int	field_decode(const struct tlv_field *, const uint8_t *, size_t,
		    void *, const char **);
static long	field_encode(const struct tlv_field *, const void *, uint8_t *,
		    size_t);
static size_t	num_len(enum tlv_kind);

const struct tlv_msgtype *
tlv_msgtype_find(const struct tlv_proto *p, unsigned int type)
{
	size_t	i;

	for (i = 0; i < p->ntypes; i++)
		if (p->types[i].type == type)
			return &p->types[i];
	return NULL;
}

const char *
tlv_type_name(const struct tlv_proto *p, unsigned int type)
{
	const struct tlv_msgtype	*t;

	if ((t = tlv_msgtype_find(p, type)) == NULL)
		return "unknown";
	return t->name;
}

long
tlv_header(const struct tlv_proto *p, const uint8_t *hdr,
    unsigned int *type, const char **why)
{
	size_t	len = 0, i;

	if (hdr[0] != p->version) {
		*why = "bad version";
		return -1;
	}
	if (tlv_msgtype_find(p, hdr[1]) == NULL) {
		*why = "unknown type";
		return -1;
	}
	for (i = 0; i < p->lenlen; i++)
		len = (len << 8) | hdr[2 + i];
	if (len > p->frame_max) {
		*why = "frame too long";
		return -1;
	}
	*type = hdr[1];
	return (long)len;
}

void
tlv_header_put(const struct tlv_proto *p, unsigned int type, size_t len,
    uint8_t *hdr)
{
	size_t	i;

	hdr[0] = p->version;
	hdr[1] = type;
	for (i = 0; i < p->lenlen; i++)
		hdr[2 + i] = len >> (8 * (p->lenlen - 1 - i));
}

static const struct tlv_field *
field_find(const struct tlv_field *fields, size_t n, unsigned int tag)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (fields[i].tag == tag)
			return &fields[i];
	return NULL;
}

/* Octets of a number on the wire. */
static size_t
num_len(enum tlv_kind kind)
{
	return kind == TLV_ID ? 4 : 8;
}

static int
field_decode(const struct tlv_field *f, const uint8_t *v, size_t len,
    void *msg, const char **why)
{
	uint64_t	 n = 0;
	uint32_t	 id;
	size_t		 i;
	char		*p = (char *)msg + f->offset;

	if (len < f->minlen || len > f->maxlen) {
		*why = "bad field length";
		return -1;
	}
	if (f->kind != TLV_TEXT) {
		for (i = 0; i < num_len(f->kind); i++)
			n = (n << 8) | v[i];
		if (f->kind == TLV_U64) {
			memcpy(p, &n, sizeof(n));
			return 0;
		}
		if (n == UINT32_MAX) {
			*why = "bad id";
			return -1;
		}
		id = (uint32_t)n;
		memcpy(p, &id, sizeof(id));
		return 0;
	}
	if (memchr(v, '\0', len) != NULL) {
		*why = "NUL in field";
		return -1;
	}
	memcpy(p, v, len);
	p[len] = '\0';
	return 0;
}

int
tlv_decode(const struct tlv_msgtype *t, const uint8_t *payload, size_t len,
    void *msg, const char **why)
{
	const struct tlv_field	*f;
	unsigned int		 seen = 0;
	size_t			 off = 0, flen;

	while (off < len) {
		if (len - off < TLV_HDR_LEN) {
			*why = "truncated field";
			return -1;
		}
		flen = ((size_t)payload[off + 1] << 8) | payload[off + 2];
		if (len - off - TLV_HDR_LEN < flen) {
			*why = "truncated field";
			return -1;
		}
		if ((f = field_find(t->fields, t->nfields,
		    payload[off])) == NULL || (t->want & TLV_BIT(f->tag)) == 0) {
			*why = "unexpected field";
			return -1;
		}
		if (seen & TLV_BIT(f->tag)) {
			*why = "duplicate field";
			return -1;
		}
		seen |= TLV_BIT(f->tag);
		if (field_decode(f, payload + off + TLV_HDR_LEN, flen, msg,
		    why) == -1)
			return -1;
		off += TLV_HDR_LEN + flen;
	}
	if (seen != t->want) {
		*why = "missing field";
		return -1;
	}
	return 0;
}

/* Appends one field at buf; returns its encoded length or -1. */
static long
field_encode(const struct tlv_field *f, const void *msg, uint8_t *buf,
    size_t room)
{
	const char	*p = (const char *)msg + f->offset;
	uint64_t	 n;
	uint32_t	 id;
	size_t		 len, i;

	if (f->kind != TLV_TEXT) {
		len = num_len(f->kind);
		if (f->kind == TLV_ID) {
			memcpy(&id, p, sizeof(id));
			n = id;
		} else
			memcpy(&n, p, sizeof(n));
		if (room < TLV_HDR_LEN + len)
			return -1;
		for (i = 0; i < len; i++)
			buf[TLV_HDR_LEN + i] = n >> (8 * (len - 1 - i));
	} else {
		len = strnlen(p, f->maxlen + 1);
		if (len < f->minlen || len > f->maxlen ||
		    room < TLV_HDR_LEN + len)
			return -1;
		memcpy(buf + TLV_HDR_LEN, p, len);
	}
	buf[0] = f->tag;
	buf[1] = len >> 8;
	buf[2] = len & 0xff;
	return TLV_HDR_LEN + len;
}

long
tlv_encode(const struct tlv_msgtype *t, const void *msg, uint8_t *buf,
    size_t room)
{
	size_t	i, off = 0;
	long	n;

	for (i = 0; i < t->nfields; i++) {
		if ((t->want & TLV_BIT(t->fields[i].tag)) == 0)
			continue;
		if ((n = field_encode(&t->fields[i], msg, buf + off,
		    room - off)) == -1)
			return -1;
		off += n;
	}
	return off;
}
