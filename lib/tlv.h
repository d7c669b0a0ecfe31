/*
 * The frames of buzon's internal protocols (lib/authproto,
 * lib/queueproto): a header
 *
 *	u8 version  u8 type  payload length (BE, 2 or 4 octets)
 *
 * and a payload that is a sequence of fields, each
 *
 *	u8 tag  u16 length (BE)  bytes
 *
 * A protocol describes its fields in a table (tag, kind, length bounds,
 * where the value lives in its message structure) and its message types
 * in another: each names its field table and the set of tags it carries
 * as a mask of TLV_BIT(tag).  Decoding refuses a truncated field, a tag
 * not in the set, a duplicate, a missing field, a length out of bounds
 * and NUL in text.  Encoding writes the set's fields in table order.
 * Nothing here does I/O.
 */
#ifndef TLV_H
#define TLV_H

#include <stddef.h>
#include <stdint.h>

#define TLV_HDR_LEN	3		/* tag, u16 length */
#define TLV_TAG_MAX	31		/* tags are bits of an unsigned int */
#define TLV_BIT(tag)	(1U << (tag))

enum tlv_kind {
	TLV_TEXT,	/* char[maxlen + 1]: octets without NUL, stored with one */
	TLV_ID,		/* uint32_t, four octets BE; all ones ("no id") refused */
	TLV_U64		/* uint64_t, eight octets BE */
};

struct tlv_field {
	unsigned int	 tag;		/* 1 to TLV_TAG_MAX */
	enum tlv_kind	 kind;
	size_t		 minlen;
	size_t		 maxlen;
	size_t		 offset;	/* of the value in the message */
};

/* One message type of a protocol and the fields it carries. */
struct tlv_msgtype {
	unsigned int		 type;
	const char		*name;
	const struct tlv_field	*fields;	/* the table they are in */
	size_t			 nfields;
	unsigned int		 want;		/* TLV_BIT(tag) of each */
};

/* A protocol: its header and its message types. */
struct tlv_proto {
	unsigned int			 version;
	size_t				 lenlen;	/* 2 or 4 */
	size_t				 frame_max;	/* of a payload */
	const struct tlv_msgtype	*types;
	size_t				 ntypes;
};

/* The entry of type, or NULL. */
const struct tlv_msgtype *tlv_msgtype_find(const struct tlv_proto *,
	    unsigned int type);
/* The name of type, or "unknown". */
const char *tlv_type_name(const struct tlv_proto *, unsigned int type);
/*
 * Checks the 2 + lenlen octets of a header.  Returns the payload length
 * and the type in *type, or -1 with a static reason in *why (bad
 * version, unknown type, length over frame_max).
 */
long	tlv_header(const struct tlv_proto *, const uint8_t *hdr,
	    unsigned int *type, const char **why);
/* Writes the header of a frame of type with a payload of len octets. */
void	tlv_header_put(const struct tlv_proto *, unsigned int type,
	    size_t len, uint8_t *hdr);
/*
 * Decodes the len octets at payload into msg: every field of the type,
 * each exactly once.  Fields outside the message are left alone.
 * 0, or -1 with a static reason in *why.
 */
int	tlv_decode(const struct tlv_msgtype *, const uint8_t *payload,
	    size_t len, void *msg, const char **why);
/*
 * Encodes the fields of the type from msg into buf, in table order.
 * Returns the octets written, or -1 when a text is out of its bounds or
 * room is too small.
 */
long	tlv_encode(const struct tlv_msgtype *, const void *msg, uint8_t *buf,
	    size_t room);

#endif /* TLV_H */
