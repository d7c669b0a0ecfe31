/*
 * Modified UTF-7 (RFC 3501 section 5.1.3): printable US-ASCII stands for
 * itself but "&", written "&-"; anything else is UTF-16 in a base64 with
 * "," for "/", no padding, between "&" and "-".
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mutf7.h"
#include "xmalloc.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* An open base64 run of the encoder and its bits not yet written. */
struct shift {
	uint32_t	bits;
	int		nbits;
	int		open;
};

static int	b64_value(int);
static int	is_control(uint32_t);
static size_t	put_utf8(char *, uint32_t);
static int	get_utf8(const unsigned char *, size_t, size_t *, uint32_t *);
static size_t	shift_unit(char *, struct shift *, uint32_t);
static size_t	shift_close(char *, struct shift *);
static int	decode_unit(uint32_t, uint32_t *, char **, const char **);
static int	decode_run(const char *, size_t, size_t *, char **,
		    const char **);

static int
b64_value(int c)
{
	const char	*p;

	if (c == '\0' || (p = strchr(b64, c)) == NULL)
		return -1;
	return p - b64;
}

/* C0, DEL and C1: never part of a mailbox name. */
static int
is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

static size_t
put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = 0xc0 | cp >> 6;
		o[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = 0xe0 | cp >> 12;
		o[1] = 0x80 | ((cp >> 6) & 0x3f);
		o[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	o[0] = 0xf0 | cp >> 18;
	o[1] = 0x80 | ((cp >> 12) & 0x3f);
	o[2] = 0x80 | ((cp >> 6) & 0x3f);
	o[3] = 0x80 | (cp & 0x3f);
	return 4;
}

/* One UTF-8 character at s[*i]: no overlong form, surrogate or >10FFFF. */
static int
get_utf8(const unsigned char *s, size_t len, size_t *i, uint32_t *cp)
{
	static const uint32_t	 min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	unsigned char		 c = s[*i];
	size_t			 n, k;
	uint32_t		 v;

	if (c < 0x80)
		n = 1, v = c;
	else if (c >= 0xc2 && c <= 0xdf)
		n = 2, v = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, v = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, v = c & 0x07;
	else
		return -1;
	if (n > len - *i)
		return -1;
	for (k = 1; k < n; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return -1;
		v = v << 6 | (s[*i + k] & 0x3f);
	}
	if (v < min[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return -1;
	*i += n;
	*cp = v;
	return 0;
}

static size_t
shift_unit(char *o, struct shift *sh, uint32_t unit)
{
	size_t	n = 0;

	if (!sh->open) {
		o[n++] = '&';
		sh->open = 1;
	}
	sh->bits = sh->bits << 16 | unit;
	sh->nbits += 16;
	while (sh->nbits >= 6) {
		sh->nbits -= 6;
		o[n++] = b64[(sh->bits >> sh->nbits) & 0x3f];
	}
	sh->bits &= (1U << sh->nbits) - 1;
	return n;
}

static size_t
shift_close(char *o, struct shift *sh)
{
	size_t	n = 0;

	if (!sh->open)
		return 0;
	if (sh->nbits > 0)
		o[n++] = b64[(sh->bits << (6 - sh->nbits)) & 0x3f];
	o[n++] = '-';
	memset(sh, 0, sizeof(*sh));
	return n;
}

char *
mutf7_encode(const char *in, size_t len, const char **errstr)
{
	const unsigned char	*s = (const unsigned char *)in;
	struct shift		 sh;
	char			*out, *o;
	size_t			 i = 0;
	uint32_t		 cp;

	/* At worst "&" becomes 2 and one 2-octet character 5 ("&AOk-"). */
	if (len > SIZE_MAX / 4) {
		*errstr = "name too long";
		return NULL;
	}
	o = out = xmalloc(3 * len + 1);
	memset(&sh, 0, sizeof(sh));
	while (i < len) {
		if (get_utf8(s, len, &i, &cp) == -1) {
			*errstr = "invalid UTF-8";
			goto fail;
		}
		if (is_control(cp)) {
			*errstr = "control character in a name";
			goto fail;
		}
		if (cp < 0x7f) {
			o += shift_close(o, &sh);
			*o++ = cp;
			if (cp == '&')
				*o++ = '-';
		} else if (cp >= 0x10000) {
			cp -= 0x10000;
			o += shift_unit(o, &sh, 0xd800 | cp >> 10);
			o += shift_unit(o, &sh, 0xdc00 | (cp & 0x3ff));
		} else
			o += shift_unit(o, &sh, cp);
	}
	o += shift_close(o, &sh);
	*o = '\0';
	return out;
fail:
	free(out);
	return NULL;
}

/*
 * One UTF-16 unit of a shifted run: a high surrogate waits in *hi for its
 * low half; what comes out must be neither printable ASCII nor control.
 */
static int
decode_unit(uint32_t unit, uint32_t *hi, char **o, const char **errstr)
{
	uint32_t	cp;

	if (*hi != 0) {
		if (unit < 0xdc00 || unit > 0xdfff)
			goto surrogate;
		cp = 0x10000 + ((*hi - 0xd800) << 10) + (unit - 0xdc00);
		*hi = 0;
	} else if (unit >= 0xd800 && unit <= 0xdbff) {
		*hi = unit;
		return 0;
	} else if (unit >= 0xdc00 && unit <= 0xdfff)
		goto surrogate;
	else
		cp = unit;
	if (cp < 0x7f || is_control(cp)) {
		*errstr = cp >= 0x20 && cp < 0x7f ?
		    "printable ASCII encoded in a name" :
		    "control character in a name";
		return -1;
	}
	*o += put_utf8(*o, cp);
	return 0;
surrogate:
	*errstr = "unpaired surrogate in a name";
	return -1;
}

/*
 * One shifted run, s[*i] just past "&" and not at "-": the base64 up to
 * and past the closing "-", whose left-over bits must be fewer than a
 * sextet and zero.
 */
static int
decode_run(const char *s, size_t len, size_t *i, char **o,
    const char **errstr)
{
	uint32_t	bits = 0, hi = 0;
	int		nbits = 0, v;

	for (; *i < len && s[*i] != '-'; (*i)++) {
		if ((v = b64_value(s[*i])) == -1) {
			*errstr = "invalid base64 in a name";
			return -1;
		}
		bits = (bits << 6 | v) & 0x3fffff;
		if ((nbits += 6) < 16)
			continue;
		nbits -= 16;
		if (decode_unit((bits >> nbits) & 0xffff, &hi, o, errstr) == -1)
			return -1;
	}
	if (*i == len) {
		*errstr = "unterminated base64 in a name";
		return -1;
	}
	(*i)++;
	if (hi != 0) {
		*errstr = "unpaired surrogate in a name";
		return -1;
	}
	if (nbits >= 6 || (bits & ((1U << nbits) - 1)) != 0) {
		*errstr = "invalid base64 in a name";
		return -1;
	}
	return 0;
}

char *
mutf7_decode(const char *s, size_t len, const char **errstr)
{
	char	*out, *o, *again;
	size_t	 i = 0;
	int	 c;

	/*
	 * 8 base64 octets are 3 UTF-16 units, up to 9 octets of UTF-8: a
	 * long run grows by an eighth, never to twice the input.
	 */
	if (len > SIZE_MAX / 2 - 1) {
		*errstr = "name too long";
		return NULL;
	}
	o = out = xmalloc(2 * len + 1);
	while (i < len) {
		c = (unsigned char)s[i++];
		if (c < 0x20 || c >= 0x7f) {
			*errstr = "control or 8-bit octet in a name";
			goto fail;
		}
		if (c != '&')
			*o++ = c;
		else if (i < len && s[i] == '-') {
			*o++ = '&';
			i++;
		} else if (decode_run(s, len, &i, &o, errstr) == -1)
			goto fail;
	}
	*o = '\0';
	/* Two shifts in a row, say, decode but are not how it is written. */
	if ((again = mutf7_encode(out, o - out, errstr)) == NULL)
		goto fail;
	c = strlen(again) != len || memcmp(again, s, len) != 0;
	free(again);
	if (c) {
		*errstr = "name not in canonical modified UTF-7";
		goto fail;
	}
	return out;
fail:
	free(out);
	return NULL;
}
