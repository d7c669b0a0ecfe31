/*
 * The part tree, built in one pass over the lines the way Dovecot reads
 * them: every line starting with "--" is checked against the boundaries
 * of the open multiparts, innermost first, and a prefix match is enough
 * ("--b" followed by anything is a delimiter of "b").  The line end
 * before a delimiter belongs to the delimiter, except when it already
 * ended the previous delimiter line (a nested close delimiter), which is
 * why a part ending in "--inner--" keeps that line's end.
 *
 * Cost is one look at each line per open multipart, and nesting is
 * limited to MIME_MAX_DEPTH.  Parts live in one array and point at each
 * other by index, so growing the array never leaves a stale pointer.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "xmalloc.h"

/* The boundaries of the open multiparts, outermost first. */
struct bstack {
	char	*b[MIME_MAX_DEPTH + 1];
	size_t	 len[MIME_MAX_DEPTH + 1];
	int	 n;
};

/* Where a scan stopped: a delimiter line, or the end (level -1). */
struct hit {
	size_t	pos;		/* first octet of the line */
	size_t	next;		/* first octet after its line end */
	int	level;		/* index into the stack */
	int	close;		/* "--boundary--" */
};

struct parser {
	struct mime_msg	*m;
	struct bstack	 st;
};

enum kind { K_LEAF, K_MULTI, K_MESSAGE };

static size_t	line_end(const char *, size_t, size_t);
static void	count_lf(const char *, size_t, size_t, size_t *, size_t *);
static void	part_measure(struct mime_msg *, int);
static void	part_end(struct mime_msg *, int, size_t);
static int	part_new(struct mime_msg *, int, int, size_t);
static void	part_extend(struct mime_msg *, int, size_t);
static int	match_line(const struct parser *, size_t, size_t, int *);
static void	scan(const struct parser *, size_t, struct hit *);
static size_t	strip_end(const char *, size_t, const struct hit *);
static int	parse_header(struct parser *, int, struct hit *);
static enum kind classify(struct parser *, int, char **, int *);
static void	parse_part(struct parser *, int, struct hit *);
static void	parse_multipart(struct parser *, int, char *, int,
		    struct hit *);
static void	multipart_end(struct parser *, int, size_t, struct hit *);

/* The offset just past the LF ending the line at pos, or end. */
static size_t
line_end(const char *base, size_t pos, size_t end)
{
	const char	*lf;

	lf = memchr(base + pos, '\n', end - pos);
	return lf == NULL ? end : (size_t)(lf - base) + 1;
}

static void
count_lf(const char *base, size_t off, size_t len, size_t *lf, size_t *bare)
{
	const char	*p = base + off, *end = base + off + len, *q;

	*lf = *bare = 0;
	while (p < end && (q = memchr(p, '\n', end - p)) != NULL) {
		(*lf)++;
		if (q == base + off || q[-1] != '\r')
			(*bare)++;
		p = q + 1;
	}
}

static void
part_measure(struct mime_msg *m, int idx)
{
	struct mime_part	*p = &m->parts[idx];
	size_t			 lf;

	count_lf(m->base, p->hdr_off, p->hdr_len, &lf, &p->hdr_bare);
	count_lf(m->base, p->body_off, p->body_len, &p->body_lines,
	    &p->body_bare);
}

/* Sets where a part's body ends, and counts its lines. */
static void
part_end(struct mime_msg *m, int idx, size_t end)
{
	m->parts[idx].body_len = end - m->parts[idx].body_off;
	part_measure(m, idx);
}

/*
 * Appends a part starting at off as the last child of parent (-1 for
 * the root); returns its index, or -1 at MIME_MAX_PARTS.
 */
static int
part_new(struct mime_msg *m, int parent, int prev, size_t off)
{
	struct mime_part	*p;
	int			 idx;

	if (m->nparts >= MIME_MAX_PARTS) {
		m->limited = 1;
		return -1;
	}
	if (m->nparts == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		if (m->cap > MIME_MAX_PARTS)
			m->cap = MIME_MAX_PARTS;
		m->parts = xreallocarray(m->parts, m->cap, sizeof(*m->parts));
	}
	idx = (int)m->nparts++;
	p = &m->parts[idx];
	memset(p, 0, sizeof(*p));
	p->hdr_off = p->body_off = off;
	p->parent = parent;
	p->child = p->next = -1;
	if (parent >= 0) {
		p->depth = m->parts[parent].depth + 1;
		if (prev >= 0)
			m->parts[prev].next = idx;
		else
			m->parts[parent].child = idx;
	}
	return idx;
}

/* Grows a part (and the message it encapsulates) to end at end. */
static void
part_extend(struct mime_msg *m, int idx, size_t end)
{
	struct mime_part	*p = &m->parts[idx];

	part_end(m, idx, end);
	if ((p->flags & MIME_PART_MESSAGE) && p->child >= 0)
		part_extend(m, p->child, end);
}

/* The stack level whose boundary the line [pos, next) starts, or -1. */
static int
match_line(const struct parser *ps, size_t pos, size_t next, int *close)
{
	const char	*l = ps->m->base + pos;
	size_t		 n = next - pos, bl;
	int		 i;

	if (n < 3 || l[0] != '-' || l[1] != '-')
		return -1;
	for (i = ps->st.n - 1; i >= 0; i--) {
		bl = ps->st.len[i];
		if (n < 2 + bl || memcmp(l + 2, ps->st.b[i], bl) != 0)
			continue;
		*close = n >= 4 + bl && l[2 + bl] == '-' && l[3 + bl] == '-';
		return i;
	}
	return -1;
}

/* The first delimiter line at or after pos (a line start). */
static void
scan(const struct parser *ps, size_t pos, struct hit *h)
{
	size_t	len = ps->m->len, next;

	for (; pos < len && ps->st.n > 0; pos = next) {
		next = line_end(ps->m->base, pos, len);
		if ((h->level = match_line(ps, pos, next, &h->close)) >= 0) {
			h->pos = pos;
			h->next = next;
			return;
		}
	}
	h->pos = h->next = len;
	h->level = -1;
	h->close = 0;
}

/*
 * Where content that began at start ends, given the scan's stop: before
 * the line end preceding a delimiter, unless that line end is not ours
 * (the delimiter is the first line after start).
 */
static size_t
strip_end(const char *base, size_t start, const struct hit *h)
{
	size_t	end = h->pos;

	if (h->level < 0 || end <= start)
		return end;
	if (base[end - 1] == '\n')
		end--;
	if (end > start && base[end - 1] == '\r')
		end--;
	return end;
}

/*
 * The header: up to and including the first empty line.  Without one the
 * header runs to a delimiter or the end and the body is empty (1, with
 * *h set), which is how Dovecot reads a header-only part.
 */
static int
parse_header(struct parser *ps, int idx, struct hit *h)
{
	struct mime_part	*p = &ps->m->parts[idx];
	const char		*base = ps->m->base;
	size_t			 pos = p->hdr_off, next, len = ps->m->len;

	for (; pos < len; pos = next) {
		next = line_end(base, pos, len);
		/*
		 * A part that is one line end then a delimiter is empty: that
		 * line end is the delimiter's.
		 */
		if ((base[pos] == '\n' || (base[pos] == '\r' &&
		    next == pos + 2 && base[pos + 1] == '\n')) &&
		    (pos > p->hdr_off || next >= len || match_line(ps, next,
		    line_end(base, next, len), &h->close) < 0)) {
			p->hdr_len = next - p->hdr_off;
			p->body_off = next;
			return 0;
		}
		if ((h->level = match_line(ps, pos, next, &h->close)) >= 0) {
			h->pos = pos;
			h->next = next;
			break;
		}
	}
	if (pos >= len) {
		h->pos = h->next = len;
		h->level = -1;
	}
	p->hdr_len = strip_end(base, p->hdr_off, h) - p->hdr_off;
	p->body_off = p->hdr_off + p->hdr_len;
	part_end(ps->m, idx, p->body_off);
	return 1;
}

/*
 * What the part is, by its Content-Type (message/rfc822 by default in a
 * digest).  A multipart or message at the last level MIME_MAX_DEPTH
 * allows is a leaf marked MIME_PART_CUT; *b gets the boundary of a
 * multipart, if usable.
 */
static enum kind
classify(struct parser *ps, int idx, char **b, int *digest)
{
	struct mime_part	*p = &ps->m->parts[idx];
	struct mime_ctype	 ct;
	const struct mime_param	*bp;
	enum kind		 k = K_LEAF;
	char			*v;

	*b = NULL;
	*digest = 0;
	if ((v = mime_field_get(ps->m, p, "content-type")) != NULL &&
	    mime_ctype_parse(v, 1, &ct) == 0) {
		if (strcasecmp(ct.type, "multipart") == 0)
			k = K_MULTI;
		else if (strcasecmp(ct.type, "message") == 0 &&
		    (strcasecmp(ct.subtype, "rfc822") == 0 ||
		    strcasecmp(ct.subtype, "global") == 0))
			k = K_MESSAGE;
		*digest = k == K_MULTI && strcasecmp(ct.subtype, "digest") == 0;
		bp = mime_param_find(&ct, "boundary");
		if (k == K_MULTI && bp != NULL && *bp->value != '\0' &&
		    strlen(bp->value) <= MIME_MAX_BOUNDARY)
			*b = xstrdup(bp->value);
		mime_ctype_free(&ct);
	} else if (v == NULL && (p->flags & MIME_PART_DIGEST))
		k = K_MESSAGE;
	free(v);
	/* Depth counts from 0 at the message: levels 1 to MIME_MAX_DEPTH. */
	if (k != K_LEAF && p->depth + 1 >= MIME_MAX_DEPTH) {
		p->flags |= MIME_PART_CUT;
		ps->m->limited = 1;
		k = K_LEAF;
		free(*b);
		*b = NULL;
	}
	return k;
}

/* A part whose header starts at its hdr_off; *h gets where it stopped. */
static void
parse_part(struct parser *ps, int idx, struct hit *h)
{
	struct mime_part	*p;
	char			*b;
	int			 digest, child;

	if (parse_header(ps, idx, h))
		return;
	switch (classify(ps, idx, &b, &digest)) {
	case K_MULTI:
		/* Without a boundary: a multipart with no parts. */
		ps->m->parts[idx].flags |= MIME_PART_MULTIPART;
		if (b != NULL) {
			parse_multipart(ps, idx, b, digest, h);
			return;
		}
		break;
	case K_MESSAGE:
		p = &ps->m->parts[idx];
		if ((child = part_new(ps->m, idx, -1, p->body_off)) == -1) {
			ps->m->parts[idx].flags |= MIME_PART_CUT;
			break;
		}
		ps->m->parts[idx].flags |= MIME_PART_MESSAGE;
		parse_part(ps, child, h);
		p = &ps->m->parts[child];
		part_end(ps->m, idx, p->body_off + p->body_len);
		return;
	case K_LEAF:
		break;
	}
	scan(ps, ps->m->parts[idx].body_off, h);
	part_end(ps->m, idx, strip_end(ps->m->base,
	    ps->m->parts[idx].body_off, h));
}

/*
 * Pops the multipart's boundary and ends it: after its epilogue (which
 * starts at from) at the next outer delimiter or the end.
 */
static void
multipart_end(struct parser *ps, int idx, size_t from, struct hit *h)
{
	free(ps->st.b[--ps->st.n]);
	scan(ps, from, h);
	part_end(ps->m, idx, strip_end(ps->m->base, from, h));
}

/* The body parts of a multipart; takes b. */
static void
parse_multipart(struct parser *ps, int idx, char *b, int digest,
    struct hit *h)
{
	struct mime_msg	*m = ps->m;
	int		 level = ps->st.n, prev = -1, child;

	ps->st.b[level] = b;
	ps->st.len[level] = strlen(b);
	ps->st.n++;
	scan(ps, m->parts[idx].body_off, h);
	if (h->level != level || h->close) {
		/* No delimiter, or a close one first: no parts. */
		multipart_end(ps, idx, h->level == level ? h->next :
		    m->parts[idx].body_off, h);
		return;
	}
	for (;;) {
		if ((child = part_new(m, idx, prev, h->next)) == -1) {
			/* MIME_MAX_PARTS: the last part takes the rest. */
			multipart_end(ps, idx, h->next, h);
			if (prev >= 0)
				part_extend(m, prev, m->parts[idx].body_off +
				    m->parts[idx].body_len);
			else
				m->parts[idx].flags = (m->parts[idx].flags &
				    ~MIME_PART_MULTIPART) | MIME_PART_CUT;
			return;
		}
		if (digest)
			m->parts[child].flags |= MIME_PART_DIGEST;
		parse_part(ps, child, h);
		prev = child;
		if (h->level == level && !h->close)
			continue;
		if (h->level == level) {
			multipart_end(ps, idx, h->next, h);
			return;
		}
		/* An outer delimiter or the end: no close delimiter. */
		free(ps->st.b[--ps->st.n]);
		part_end(m, idx, m->parts[child].body_off +
		    m->parts[child].body_len);
		return;
	}
}

int
mime_parse(struct mime_msg *m, const char *base, size_t len)
{
	struct parser	ps;
	struct hit	h;

	memset(m, 0, sizeof(*m));
	m->base = base;
	m->len = len;
	memset(&ps, 0, sizeof(ps));
	ps.m = m;
	part_new(m, -1, -1, 0);
	parse_part(&ps, 0, &h);
	return 0;
}

void
mime_free(struct mime_msg *m)
{
	free(m->parts);
	memset(m, 0, sizeof(*m));
}

size_t
mime_msg_size(const struct mime_msg *m)
{
	const struct mime_part	*p = &m->parts[0];

	return p->hdr_len + p->hdr_bare + p->body_len + p->body_bare;
}
