/*
 * The growable output buffer of lib/mime and its IMAP string writer.
 * Growth doubles, so appending n octets costs O(n) amortized; the buffer
 * is always NUL terminated so tests can compare it as a string.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mime.h"
#include "xmalloc.h"

/* Quoted strings longer than this are sent as literals. */
#define MIME_QUOTED_MAX	1024

static void	buf_reserve(struct mime_buf *, size_t);
static int	is_lwsp(int);

void
mime_buf_init(struct mime_buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void
mime_buf_free(struct mime_buf *b)
{
	free(b->data);
	mime_buf_init(b);
}

static void
buf_reserve(struct mime_buf *b, size_t n)
{
	size_t	ncap;

	if (n >= SIZE_MAX / 2 - b->len)
		fatalx("mime_buf: size overflow");
	if (b->len + n + 1 <= b->cap)
		return;
	ncap = b->cap ? b->cap : 256;
	while (ncap < b->len + n + 1)
		ncap *= 2;
	b->data = xreallocarray(b->data, ncap, 1);
	b->cap = ncap;
}

void
mime_buf_add(struct mime_buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
mime_buf_addstr(struct mime_buf *b, const char *s)
{
	mime_buf_add(b, s, strlen(s));
}

void
mime_buf_addc(struct mime_buf *b, int c)
{
	char	ch = (char)c;

	mime_buf_add(b, &ch, 1);
}

void
mime_buf_addu(struct mime_buf *b, unsigned long long u)
{
	char	num[32];
	int	n;

	n = snprintf(num, sizeof(num), "%llu", u);
	mime_buf_add(b, num, (size_t)n);
}

/*
 * RFC 3501 quoted strings are 7-bit TEXT-CHARs without CR and LF; anything
 * else needs a literal, and a literal has no NUL.
 */
void
mime_buf_nstring(struct mime_buf *b, const char *p, size_t len)
{
	size_t	i;
	int	literal = len > MIME_QUOTED_MAX;

	if (p == NULL) {
		mime_buf_addstr(b, "NIL");
		return;
	}
	for (i = 0; i < len && !literal; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\0' || c == '\r' || c == '\n' || c >= 0x80)
			literal = 1;
	}
	if (literal) {
		mime_buf_addc(b, '{');
		mime_buf_addu(b, len);
		mime_buf_addstr(b, "}\r\n");
		/* A literal is CHAR8: a NUL goes as 0x80, as Dovecot sends. */
		for (i = 0; i < len; i++)
			mime_buf_addc(b, p[i] != '\0' ? p[i] : (char)0x80);
		return;
	}
	mime_buf_addc(b, '"');
	for (i = 0; i < len; i++) {
		if (p[i] == '"' || p[i] == '\\')
			mime_buf_addc(b, '\\');
		mime_buf_addc(b, p[i]);
	}
	mime_buf_addc(b, '"');
}

void
mime_buf_nstr(struct mime_buf *b, const char *s)
{
	mime_buf_nstring(b, s, s == NULL ? 0 : strlen(s));
}

static int
is_lwsp(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void
mime_buf_human(struct mime_buf *b, const char *p, size_t len)
{
	struct mime_buf	 t;
	size_t		 i;
	int		 modified = 0, lwsp = 1;

	mime_buf_init(&t);
	mime_buf_add(&t, "", 0);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (is_lwsp(c)) {
			if (c != ' ' || lwsp)
				modified = 1;
			if (!lwsp)
				mime_buf_addc(&t, ' ');
			lwsp = 1;
			continue;
		}
		if (c == '"' || c == '\\' || c >= 0x80 || c == '\0')
			modified = 1;
		mime_buf_addc(&t, c == '\0' ? 0x80 : c);
		lwsp = 0;
	}
	if (lwsp && t.len > 0) {
		t.len--;
		modified = 1;
	}
	if (len > 0 && t.len == 0) {
		mime_buf_addstr(b, "\"\"");
	} else if (!modified && t.len <= MIME_QUOTED_MAX) {
		mime_buf_addc(b, '"');
		mime_buf_add(b, t.data, t.len);
		mime_buf_addc(b, '"');
	} else {
		mime_buf_addc(b, '{');
		mime_buf_addu(b, t.len);
		mime_buf_addstr(b, "}\r\n");
		mime_buf_add(b, t.data, t.len);
	}
	mime_buf_free(&t);
}
