/*
 * What command handlers take out of an argument (numbers, astrings,
 * mailbox names) and what responses put back (IMAP strings, into a
 * growable buffer with a cap).
 */

#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapcmd.h"
#include "imapcmd_int.h"
#include "xmalloc.h"

#define IMAPCMD_U64_DIGITS	20	/* 18446744073709551615 */
#define IMAPCMD_BUF_MIN		256	/* first allocation of a buffer */

int
imapcmd_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (len == 0 || len > IMAPCMD_U64_DIGITS) {
		errno = len == 0 ? EINVAL : ERANGE;
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9') {
			errno = EINVAL;
			return -1;
		}
		if (v > (UINT64_MAX - (s[i] - '0')) / 10) {
			errno = ERANGE;
			return -1;
		}
		v = v * 10 + (s[i] - '0');
	}
	if (v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

int
imapcmd_u64(const struct imapcmd_node *n, uint64_t *out)
{
	if (n == NULL || n->type != IMAPCMD_NUMBER) {
		errno = EINVAL;
		return -1;
	}
	return imapcmd_parse_u64(n->str, n->len, UINT64_MAX, out);
}

int
imapcmd_u32(const struct imapcmd_node *n, uint32_t *out)
{
	uint64_t	v;

	if (n == NULL || n->type != IMAPCMD_NUMBER) {
		errno = EINVAL;
		return -1;
	}
	if (imapcmd_parse_u64(n->str, n->len, UINT32_MAX, &v) == -1)
		return -1;
	*out = v;
	return 0;
}

/* nz-number: no zero, and so no leading zero either. */
int
imapcmd_nz32(const struct imapcmd_node *n, uint32_t *out)
{
	if (imapcmd_u32(n, out) == -1)
		return -1;
	if (n->str[0] == '0') {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
imapcmd_atom_is(const struct imapcmd_node *n, const char *word)
{
	if (n == NULL || (n->type != IMAPCMD_ATOM && n->type != IMAPCMD_NIL &&
	    n->type != IMAPCMD_NUMBER))
		return 0;
	return strcasecmp(n->str, word) == 0;
}

int
imapcmd_string(const struct imapcmd_node *n, const char **s, size_t *len)
{
	if (n == NULL || (n->type != IMAPCMD_QUOTED &&
	    n->type != IMAPCMD_LITERAL) || (n->flags & IMAPCMD_NODE_NUL))
		return -1;
	*s = n->str;
	*len = n->len;
	return 0;
}

int
imapcmd_astring(const struct imapcmd_node *n, const char **s, size_t *len)
{
	size_t	i;

	if (imapcmd_string(n, s, len) == 0)
		return 0;
	if (n == NULL || n->type == IMAPCMD_LIST || n->len == 0)
		return -1;
	/* An atom, or text that only looked like a fetch attribute. */
	for (i = 0; i < n->len; i++)
		if (!imapcmd_is_astring_char((unsigned char)n->str[i]))
			return -1;
	*s = n->str;
	*len = n->len;
	return 0;
}

int
imapcmd_mailbox(struct imapcmd_node *n, int sep, const char **name)
{
	const char	*s;
	size_t		 len;

	if (imapcmd_astring(n, &s, &len) == -1)
		return -1;
	if (len >= 5 && strncasecmp(s, "INBOX", 5) == 0 &&
	    (len == 5 || (sep != 0 && s[5] == sep)))
		memcpy(n->str, "INBOX", 5);
	*name = n->str;
	return 0;
}

void
imapcmd_buf_init(struct imapcmd_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max == 0 || max > SIZE_MAX / 2 ? SIZE_MAX / 2 : max;
}

void
imapcmd_buf_free(struct imapcmd_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int
imapcmd_buf_add(struct imapcmd_buf *b, const void *data, size_t len)
{
	size_t	cap;

	if (len > b->max - b->len) {
		errno = EMSGSIZE;
		return -1;
	}
	if (b->len + len + 1 > b->cap) {
		cap = b->cap ? b->cap : IMAPCMD_BUF_MIN;
		while (cap < b->len + len + 1)
			cap *= 2;
		b->data = xreallocarray(b->data, cap, 1);
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';	/* handy for tests and logs */
	return 0;
}

int
imapcmd_buf_printf(struct imapcmd_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n, rv;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n == -1)
		return -1;
	rv = imapcmd_buf_add(b, s, n);
	free(s);
	return rv;
}

/* Quoted if every octet is 7-bit TEXT-CHAR and it is not too long. */
static int
quotable(const char *s, size_t len)
{
	size_t	i;

	if (len > IMAPCMD_QUOTED_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] == '\0' || s[i] == '\r' || s[i] == '\n' ||
		    (unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

static int
put_quoted(struct imapcmd_buf *b, const char *s, size_t len)
{
	size_t	i, run;

	if (imapcmd_buf_add(b, "\"", 1) == -1)
		return -1;
	for (i = 0; i < len; i += run) {
		for (run = 0; i + run < len && s[i + run] != '"' &&
		    s[i + run] != '\\'; run++)
			;
		if (run == 0) {
			if (imapcmd_buf_add(b, "\\", 1) == -1 ||
			    imapcmd_buf_add(b, s + i, 1) == -1)
				return -1;
			run = 1;
		} else if (imapcmd_buf_add(b, s + i, run) == -1)
			return -1;
	}
	return imapcmd_buf_add(b, "\"", 1);
}

int
imapcmd_put_string(struct imapcmd_buf *b, const char *s, size_t len,
    int flags)
{
	size_t	old = b->len, i;
	int	rv;

	if (s == NULL) {
		if (flags & IMAPCMD_PUT_NIL)
			return imapcmd_buf_add(b, "NIL", 3);
		errno = EINVAL;
		return -1;
	}
	if ((flags & IMAPCMD_PUT_ASTRING) && len > 0 &&
	    !(len == 3 && strncasecmp(s, "NIL", 3) == 0)) {
		for (i = 0; i < len; i++)
			if (!imapcmd_is_astring_char((unsigned char)s[i]))
				break;
		if (i == len)
			return imapcmd_buf_add(b, s, len);
	}
	if (quotable(s, len))
		rv = put_quoted(b, s, len);
	else if ((rv = imapcmd_buf_printf(b, "{%zu}\r\n", len)) == 0)
		rv = imapcmd_buf_add(b, s, len);
	if (rv == -1)
		b->len = old;	/* all or nothing */
	return rv;
}
