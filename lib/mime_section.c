/*
 * BODY[section] (RFC 3501 6.4.5): resolving a part path, the HEADER,
 * TEXT, MIME and HEADER.FIELDS(.NOT) specifiers, and the CR LF view of a
 * range with which a caller computes sizes and applies <partial>.
 *
 * Part numbers follow Dovecot's reading of the RFC: in a non-multipart
 * message or encapsulated message the body is part 1; a number after a
 * message/rfc822 part descends into the encapsulated message.
 */

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "xmalloc.h"

#define MIME_CRLF_PIECE	4096	/* octets mime_crlf_copy() reads at once */

static int	resolve(const struct mime_msg *, const struct mime_section *);
static int	parse_fields(const char *, struct mime_section *);
static int	field_listed(const struct mime_section *, const char *,
		    size_t);
static void	build_fields(const struct mime_msg *, const struct mime_part *,
		    const struct mime_section *, struct mime_buf *);

static int
parse_fields(const char *p, struct mime_section *s)
{
	const char	*e;

	while (*p == ' ')
		p++;
	if (*p++ != '(')
		return -1;
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == ')')
			return p[1] == '\0' && s->nfields > 0 ? 0 : -1;
		for (e = p; *e > ' ' && *e < 0x7f && *e != ':' && *e != '(' &&
		    *e != ')'; e++)
			;
		if (e == p || s->nfields == MIME_MAX_SECTION_FIELDS)
			return -1;
		s->fields[s->nfields++] = xstrndup(p, e - p);
		p = e;
	}
}

int
mime_section_parse(const char *spec, struct mime_section *s)
{
	const char	*p = spec;
	unsigned long	 n;
	char		*end;

	memset(s, 0, sizeof(*s));
	s->kind = MIME_SEC_PART;
	while (isdigit((unsigned char)*p)) {
		errno = 0;
		n = strtoul(p, &end, 10);
		if (n == 0 || n > INT_MAX || errno != 0 ||
		    s->npath == MIME_MAX_DEPTH)
			return -1;
		s->path[s->npath++] = (unsigned int)n;
		p = end;
		if (*p == '\0')
			return 0;
		if (*p++ != '.')
			return -1;
	}
	if (*p == '\0' && s->npath == 0)
		return 0;
	if (strcasecmp(p, "HEADER") == 0)
		s->kind = MIME_SEC_HEADER;
	else if (strcasecmp(p, "TEXT") == 0)
		s->kind = MIME_SEC_TEXT;
	else if (strcasecmp(p, "MIME") == 0 && s->npath > 0)
		s->kind = MIME_SEC_MIME;
	else if (strncasecmp(p, "HEADER.FIELDS", 13) == 0) {
		s->kind = MIME_SEC_FIELDS;
		p += 13;
		if (strncasecmp(p, ".NOT", 4) == 0) {
			s->kind = MIME_SEC_FIELDS_NOT;
			p += 4;
		}
		if (*p != ' ' || parse_fields(p, s) == -1) {
			mime_section_free(s);
			return -1;
		}
	} else
		return -1;
	return 0;
}

void
mime_section_free(struct mime_section *s)
{
	size_t	i;

	for (i = 0; i < s->nfields; i++)
		free(s->fields[i]);
	s->nfields = 0;
}

/*
 * The index of the part a path names, or -1.  As in Dovecot, a number 1
 * on a part that is not a multipart names that part itself, once: "1"
 * of a one-part message is its body, and "1.1" of it does not exist.
 */
static int
resolve(const struct mime_msg *m, const struct mime_section *s)
{
	const struct mime_part	*p;
	size_t			 i;
	unsigned int		 k;
	int			 idx = 0, self = 0;

	for (i = 0; i < s->npath; i++) {
		p = &m->parts[idx];
		if (i > 0 && (p->flags & MIME_PART_MESSAGE)) {
			idx = p->child;
			p = &m->parts[idx];
		}
		if (p->flags & MIME_PART_MULTIPART) {
			for (idx = p->child, k = 1; idx >= 0 &&
			    k < s->path[i]; k++)
				idx = m->parts[idx].next;
			if (idx < 0)
				return -1;
		} else if (s->path[i] != 1 || self++)
			return -1;
	}
	return idx;
}

static int
field_listed(const struct mime_section *s, const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < s->nfields; i++)
		if (strlen(s->fields[i]) == n &&
		    strncasecmp(s->fields[i], p, n) == 0)
			return 1;
	return 0;
}

/*
 * The listed (or unlisted) fields, each whole with its continuation
 * lines, then the blank line, all in CR LF.
 */
static void
build_fields(const struct mime_msg *m, const struct mime_part *hp,
    const struct mime_section *s, struct mime_buf *out)
{
	const char	*p = m->base + hp->hdr_off, *end = p + hp->hdr_len;
	const char	*f, *lf, *colon;
	size_t		 nfields = 0, flen;
	int		 listed;

	mime_buf_add(out, "", 0);
	while (p < end && *p != '\n' && !(*p == '\r' && p + 1 < end &&
	    p[1] == '\n') && nfields++ < MIME_MAX_FIELDS) {
		f = p;
		do {
			lf = memchr(p, '\n', end - p);
			p = lf == NULL ? end : lf + 1;
		} while (p < end && (*p == ' ' || *p == '\t'));
		for (colon = f; colon < p && *colon != ':' && *colon != ' ' &&
		    *colon != '\t'; colon++)
			;
		listed = field_listed(s, f, colon - f);
		if (listed != (s->kind == MIME_SEC_FIELDS))
			continue;
		flen = mime_crlf_len(f, p - f);
		if (p[-1] != '\n')
			flen += 2;
		if (out->len + flen + 2 > MIME_MAX_FIELDS_OUT)
			continue;
		mime_crlf_copy(out, f, p - f, 0, flen);
		if (p[-1] != '\n')
			mime_buf_add(out, "\r\n", 2);
	}
	mime_buf_add(out, "\r\n", 2);
}

int
mime_section_get(const struct mime_msg *m, const struct mime_section *s,
    size_t *off, size_t *len, struct mime_buf *out)
{
	const struct mime_part	*p;
	int			 idx;

	if ((idx = resolve(m, s)) < 0)
		return -1;
	p = &m->parts[idx];
	if (s->kind == MIME_SEC_PART && s->npath == 0) {
		*off = 0;
		*len = m->len;
		return 0;
	}
	if (s->kind == MIME_SEC_PART || s->kind == MIME_SEC_MIME) {
		*off = s->kind == MIME_SEC_PART ? p->body_off : p->hdr_off;
		*len = s->kind == MIME_SEC_PART ? p->body_len : p->hdr_len;
		return 0;
	}
	/* HEADER, TEXT and fields: of an encapsulated message only. */
	if (s->npath > 0) {
		if (!(p->flags & MIME_PART_MESSAGE))
			return -1;
		p = &m->parts[p->child];
	}
	if (s->kind == MIME_SEC_HEADER || s->kind == MIME_SEC_TEXT) {
		*off = s->kind == MIME_SEC_HEADER ? p->hdr_off : p->body_off;
		*len = s->kind == MIME_SEC_HEADER ? p->hdr_len : p->body_len;
		return 0;
	}
	build_fields(m, p, s, out);
	return 1;
}

size_t
mime_crlf_len(const char *p, size_t len)
{
	const char	*end = p + len, *q, *s = p;
	size_t		 n = len;

	while (p < end && (q = memchr(p, '\n', end - p)) != NULL) {
		if (q == s || q[-1] != '\r')
			n++;
		p = q + 1;
	}
	return n;
}

void
mime_crlf_start(struct mime_crlf *c, const char *p, size_t len)
{
	c->p = p;
	c->len = len;
	c->i = 0;
	c->cr = 0;
}

/*
 * A run of plain octets is looked for at most n - k octets ahead, so a
 * long line read in small pieces is still scanned once.
 */
size_t
mime_crlf_read(struct mime_crlf *c, char *dst, size_t n)
{
	const char	*lf;
	size_t		 k = 0, run;

	while (k < n && c->i < c->len) {
		if (c->p[c->i] == '\n') {
			if (!c->cr && (c->i == 0 || c->p[c->i - 1] != '\r')) {
				if (dst != NULL)
					dst[k] = '\r';
				k++;
				c->cr = 1;
				continue;
			}
			if (dst != NULL)
				dst[k] = '\n';
			k++;
			c->i++;
			c->cr = 0;
			continue;
		}
		run = c->len - c->i < n - k ? c->len - c->i : n - k;
		if ((lf = memchr(c->p + c->i, '\n', run)) != NULL)
			run = (size_t)(lf - (c->p + c->i));
		if (dst != NULL)
			memcpy(dst + k, c->p + c->i, run);
		k += run;
		c->i += run;
	}
	return k;
}

/*
 * A window of the CR LF view without building the whole view; it may
 * start or end between an added CR and its LF.
 */
size_t
mime_crlf_copy(struct mime_buf *out, const char *p, size_t len, size_t from,
    size_t n)
{
	struct mime_crlf	 c;
	char			 piece[MIME_CRLF_PIECE];
	size_t			 kept = 0, k;

	mime_crlf_start(&c, p, len);
	if (mime_crlf_read(&c, NULL, from) < from)
		return 0;
	while (kept < n && (k = mime_crlf_read(&c, piece,
	    n - kept < sizeof(piece) ? n - kept : sizeof(piece))) > 0) {
		mime_buf_add(out, piece, k);
		kept += k;
	}
	return kept;
}
