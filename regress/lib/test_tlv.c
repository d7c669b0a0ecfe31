/*
 * Unit tests of lib/tlv on a made-up protocol: headers, the exact octets
 * of an encoding, decoding in any field order, and every malformed
 * header and payload refused with its reason.
 */

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tlv.h"
#include "unit.h"

struct msg {
	char		name[8 + 1];
	uint32_t	id;
	uint64_t	size;
	char		note[4 + 1];
};

#define OFF(m)	offsetof(struct msg, m)

static const struct tlv_field fields[] = {
	{ 1, TLV_TEXT, 1, 8, OFF(name) },
	{ 2, TLV_ID,   4, 4, OFF(id) },
	{ 3, TLV_U64,  8, 8, OFF(size) },
	{ 4, TLV_TEXT, 0, 4, OFF(note) }
};

static const struct tlv_msgtype types[] = {
	{ 7, "all", fields, nitems(fields),
	    TLV_BIT(1) | TLV_BIT(2) | TLV_BIT(3) | TLV_BIT(4) },
	{ 8, "name", fields, nitems(fields), TLV_BIT(1) }
};

static const struct tlv_proto proto = { 3, 2, 64, types, nitems(types) };
static const struct tlv_proto proto4 = { 1, 4, 70000, types, nitems(types) };

static const uint8_t wire[] = {
	1, 0, 3, 'a', 'n', 'a',
	2, 0, 4, 0x00, 0x01, 0x02, 0x03,
	3, 0, 8, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	4, 0, 0
};

static void	test_find(void);
static void	test_header(void);
static void	test_encode(void);
static void	test_decode(void);
static int	bad(unsigned int, const uint8_t *, size_t, const char *);
static void	test_malformed(void);

static void
test_find(void)
{
	CHECK(tlv_msgtype_find(&proto, 8) == &types[1]);
	CHECK(tlv_msgtype_find(&proto, 9) == NULL);
	CHECK_STR(tlv_type_name(&proto, 7), "all");
	CHECK_STR(tlv_type_name(&proto, 9), "unknown");
}

static void
test_header(void)
{
	static const uint8_t	good[] = { 3, 8, 0, 64 };
	static const uint8_t	version[] = { 4, 8, 0, 1 };
	static const uint8_t	type[] = { 3, 9, 0, 1 };
	static const uint8_t	toolong[] = { 3, 8, 0, 65 };
	static const uint8_t	good4[] = { 1, 7, 0, 1, 0x11, 0x70 };
	uint8_t			hdr[6];
	unsigned int		t = 0;
	const char		*why = NULL;

	CHECK(tlv_header(&proto, good, &t, &why) == 64 && t == 8);
	CHECK(tlv_header(&proto, version, &t, &why) == -1);
	CHECK_STR(why, "bad version");
	CHECK(tlv_header(&proto, type, &t, &why) == -1);
	CHECK_STR(why, "unknown type");
	CHECK(tlv_header(&proto, toolong, &t, &why) == -1);
	CHECK_STR(why, "frame too long");
	CHECK(tlv_header(&proto4, good4, &t, &why) == 70000 && t == 7);
	tlv_header_put(&proto, 8, 64, hdr);
	CHECK(memcmp(hdr, good, sizeof(good)) == 0);
	tlv_header_put(&proto4, 7, 70000, hdr);
	CHECK(memcmp(hdr, good4, sizeof(good4)) == 0);
}

static void
test_encode(void)
{
	struct msg	m;
	uint8_t		buf[64];

	memset(&m, 0, sizeof(m));
	strlcpy(m.name, "ana", sizeof(m.name));
	m.id = 0x00010203;
	m.size = 0x0102030405060708ULL;
	CHECK(tlv_encode(&types[0], &m, buf, sizeof(buf)) ==
	    (long)sizeof(wire));
	CHECK(memcmp(buf, wire, sizeof(wire)) == 0);
	CHECK(tlv_encode(&types[1], &m, buf, sizeof(buf)) == 6);
	CHECK(tlv_encode(&types[0], &m, buf, sizeof(wire) - 1) == -1);
	strlcpy(m.note, "long", sizeof(m.note));
	CHECK(tlv_encode(&types[0], &m, buf, sizeof(buf)) ==
	    (long)sizeof(wire) + 4);
	m.name[0] = '\0';
	CHECK(tlv_encode(&types[0], &m, buf, sizeof(buf)) == -1);
}

static void
test_decode(void)
{
	static const uint8_t	reordered[] = {
		4, 0, 2, 'h', 'i',
		3, 0, 8, 0, 0, 0, 0, 0, 0, 0, 9,
		2, 0, 4, 0xff, 0xff, 0xff, 0xfe,
		1, 0, 8, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'
	};
	struct msg	m;
	const char	*why = NULL;

	memset(&m, 0, sizeof(m));
	CHECK(tlv_decode(&types[0], wire, sizeof(wire), &m, &why) == 0);
	CHECK_STR(m.name, "ana");
	CHECK(m.id == 0x00010203 && m.size == 0x0102030405060708ULL);
	CHECK_STR(m.note, "");
	CHECK(tlv_decode(&types[0], reordered, sizeof(reordered), &m,
	    &why) == 0);
	CHECK_STR(m.name, "abcdefgh");
	CHECK_STR(m.note, "hi");
	CHECK(m.id == 0xfffffffeU && m.size == 9);
}

static int
bad(unsigned int type, const uint8_t *p, size_t len, const char *want)
{
	struct msg	 m;
	const char	*why = NULL;

	if (tlv_decode(tlv_msgtype_find(&proto, type), p, len,
	    &m, &why) != -1 || why == NULL)
		return 0;
	return strcmp(why, want) == 0;
}

static void
test_malformed(void)
{
	static const uint8_t	allones[] = {
		1, 0, 1, 'a', 2, 0, 4, 0xff, 0xff, 0xff, 0xff
	};
	static const uint8_t	nul[] = { 1, 0, 2, 'a', '\0' };
	static const uint8_t	dup[] = { 1, 0, 1, 'a', 1, 0, 1, 'b' };
	static const uint8_t	other[] = { 1, 0, 1, 'a', 4, 0, 0 };
	static const uint8_t	unknown[] = { 1, 0, 1, 'a', 9, 0, 0 };
	static const uint8_t	shortid[] = { 2, 0, 3, 0, 0, 1 };
	static const uint8_t	empty[] = { 1, 0, 0 };

	CHECK(bad(8, wire, 2, "truncated field"));
	CHECK(bad(8, wire, 5, "truncated field"));
	CHECK(bad(7, allones, sizeof(allones), "bad id"));
	CHECK(bad(8, nul, sizeof(nul), "NUL in field"));
	CHECK(bad(8, dup, sizeof(dup), "duplicate field"));
	CHECK(bad(8, other, sizeof(other), "unexpected field"));
	CHECK(bad(8, unknown, sizeof(unknown), "unexpected field"));
	CHECK(bad(7, shortid, sizeof(shortid), "bad field length"));
	CHECK(bad(8, empty, sizeof(empty), "bad field length"));
	CHECK(bad(8, wire, 0, "missing field"));
	CHECK(bad(7, wire, 6, "missing field"));
}

int
main(void)
{
	test_find();
	test_header();
	test_encode();
	test_decode();
	test_malformed();
	return unit_done();
}
