/*
 * Base64 (RFC 4648 section 4), strict in what it decodes.
 */

#include <sys/types.h>

#include <stdint.h>

#include "base64.h"

static const char	b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
base64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

ssize_t
base64_encode(const void *src, size_t srclen, char *dst, size_t dstsize)
{
	const unsigned char	*s = src;
	size_t			 i, o = 0;
	unsigned long		 v;

	if (srclen > (SIZE_MAX - 3) / 4 * 3 ||
	    base64_encoded_len(srclen) >= dstsize)
		return -1;
	for (i = 0; i + 2 < srclen; i += 3) {
		v = (unsigned long)s[i] << 16 | s[i + 1] << 8 | s[i + 2];
		dst[o++] = b64[v >> 18 & 63];
		dst[o++] = b64[v >> 12 & 63];
		dst[o++] = b64[v >> 6 & 63];
		dst[o++] = b64[v & 63];
	}
	if (i < srclen) {
		v = (unsigned long)s[i] << 16;
		if (i + 1 < srclen)
			v |= s[i + 1] << 8;
		dst[o++] = b64[v >> 18 & 63];
		dst[o++] = b64[v >> 12 & 63];
		dst[o++] = i + 1 < srclen ? b64[v >> 6 & 63] : '=';
		dst[o++] = '=';
	}
	dst[o] = '\0';
	return o;
}

int
base64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

ssize_t
base64_decode(const char *src, size_t srclen, void *dst, size_t dstsize)
{
	unsigned char	*d = dst;
	size_t		 i, o = 0, pad = 0;
	unsigned long	 v;
	int		 k, c;

	if (srclen % 4 != 0)
		return -1;
	if (srclen > 0 && src[srclen - 1] == '=')
		pad = (srclen > 1 && src[srclen - 2] == '=') ? 2 : 1;
	if (srclen / 4 * 3 - pad > dstsize)
		return -1;
	for (i = 0; i < srclen; i += 4) {
		v = 0;
		for (k = 0; k < 4; k++) {
			if (i + 4 == srclen && k >= 4 - (int)pad)
				c = 0;
			else if ((c = base64_value((unsigned char)
			    src[i + k])) == -1)
				return -1;
			v = v << 6 | c;
		}
		d[o++] = v >> 16 & 0xff;
		if (i + 4 < srclen || pad < 2)
			d[o++] = v >> 8 & 0xff;
		if (i + 4 < srclen || pad < 1)
			d[o++] = v & 0xff;
	}
	/* Pad bits must be zero: "Zh==" and "Zg==" may not mean the same. */
	if ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0))
		return -1;
	return o;
}
