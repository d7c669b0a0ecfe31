/*
 * SEARCH matching: a KMP matcher over case-folded UTF-8, fed in pieces so
 * a body of any size is searched in the memory of one struct, and the
 * walks that feed it decoded header fields and decoded text parts.
 *
 * Folding is Unicode simple case folding (CaseFolding.txt, status C and
 * S) for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic; other
 * code points compare as they are.  Octets that are not UTF-8 pass
 * through, so text in an unknown charset is still found byte for byte.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "xmalloc.h"

static uint32_t	fold_cp(uint32_t);
static void	emit(struct mime_match *, unsigned char, int);
static void	emit_cp(struct mime_match *, uint32_t, int);
static void	feed(struct mime_match *, const unsigned char *, size_t, int);
static int	seq_len(unsigned char);
static void	match_out(void *, const char *, size_t);
static int	search_fields(const struct mime_msg *, const struct mime_part *,
		    const char *, struct mime_match *);
static int	search_leaf(const struct mime_msg *, int, struct mime_match *);
static int	search_raw(const struct mime_msg *, const struct mime_part *,
		    struct mime_match *);
static int	search_part(const struct mime_msg *, int, struct mime_match *);

static uint32_t
fold_cp(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c < 0xb5)
		return c;
	if (c == 0xb5)
		return 0x3bc;
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 32;
	if (c >= 0x100 && c <= 0x17f) {
		if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149)
			return c;
		if (c == 0x178)
			return 0xff;
		if (c == 0x17f)
			return 's';
		if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
			return (c & 1) ? c + 1 : c;
		return (c & 1) ? c : c + 1;
	}
	if (c >= 0x391 && c <= 0x3ab && c != 0x3a2)
		return c + 32;
	if (c == 0x3c2)
		return 0x3c3;		/* final sigma */
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	return c;
}

/* One octet of folded text: into the needle, or through the KMP. */
static void
emit(struct mime_match *mm, unsigned char c, int build)
{
	if (build) {
		if (mm->nlen < MIME_MATCH_MAX)
			mm->needle[mm->nlen] = c;
		mm->nlen++;
		return;
	}
	if (mm->found)
		return;
	while (mm->state > 0 && mm->needle[mm->state] != c)
		mm->state = mm->fail[mm->state - 1];
	if (mm->needle[mm->state] == c)
		mm->state++;
	if (mm->state == mm->nlen)
		mm->found = 1;
}

static void
emit_cp(struct mime_match *mm, uint32_t c, int build)
{
	c = fold_cp(c);
	if (c < 0x80)
		emit(mm, (unsigned char)c, build);
	else if (c < 0x800) {
		emit(mm, 0xc0 | (c >> 6), build);
		emit(mm, 0x80 | (c & 0x3f), build);
	} else if (c < 0x10000) {
		emit(mm, 0xe0 | (c >> 12), build);
		emit(mm, 0x80 | ((c >> 6) & 0x3f), build);
		emit(mm, 0x80 | (c & 0x3f), build);
	} else {
		emit(mm, 0xf0 | (c >> 18), build);
		emit(mm, 0x80 | ((c >> 12) & 0x3f), build);
		emit(mm, 0x80 | ((c >> 6) & 0x3f), build);
		emit(mm, 0x80 | (c & 0x3f), build);
	}
}

static int
seq_len(unsigned char c)
{
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

/* UTF-8 decoding that carries an incomplete sequence between pieces. */
static void
feed(struct mime_match *mm, const unsigned char *p, size_t n, int build)
{
	size_t		i, k;
	uint32_t	c;
	int		need;

	for (i = 0; i < n; i++) {
		if (mm->npend == 0) {
			if (p[i] < 0x80 || seq_len(p[i]) == 0) {
				emit(mm, p[i] < 0x80 ? (unsigned char)
				    fold_cp(p[i]) : p[i], build);
				continue;
			}
			mm->pend[mm->npend++] = p[i];
			continue;
		}
		need = seq_len(mm->pend[0]);
		if ((p[i] & 0xc0) != 0x80) {
			/* Broken sequence: its octets go through as such. */
			for (k = 0; k < mm->npend; k++)
				emit(mm, mm->pend[k], build);
			mm->npend = 0;
			i--;
			continue;
		}
		mm->pend[mm->npend++] = p[i];
		if ((int)mm->npend < need)
			continue;
		c = mm->pend[0] & (0xff >> (need + 1));
		for (k = 1; k < mm->npend; k++)
			c = (c << 6) | (mm->pend[k] & 0x3f);
		mm->npend = 0;
		emit_cp(mm, c, build);
	}
}

int
mime_match_init(struct mime_match *mm, const char *needle)
{
	size_t	i, k;

	memset(mm, 0, sizeof(*mm));
	feed(mm, (const unsigned char *)needle, strlen(needle), 1);
	for (i = 0; i < mm->npend; i++)
		emit(mm, mm->pend[i], 1);
	mm->npend = 0;
	if (mm->nlen > MIME_MATCH_MAX)
		return -1;
	for (i = 1, k = 0; i < mm->nlen; i++) {
		while (k > 0 && mm->needle[i] != mm->needle[k])
			k = mm->fail[k - 1];
		if (mm->needle[i] == mm->needle[k])
			k++;
		mm->fail[i] = k;
	}
	mime_match_reset(mm);
	return 0;
}

void
mime_match_reset(struct mime_match *mm)
{
	mm->state = 0;
	mm->npend = 0;
	mm->found = mm->nlen == 0;
}

int
mime_match_feed(struct mime_match *mm, const char *p, size_t n)
{
	if (!mm->found)
		feed(mm, (const unsigned char *)p, n, 0);
	return mm->found;
}

int
mime_match_end(struct mime_match *mm)
{
	size_t	i;

	for (i = 0; i < mm->npend; i++)
		emit(mm, mm->pend[i], 0);
	mm->npend = 0;
	return mm->found;
}

static void
match_out(void *arg, const char *p, size_t n)
{
	mime_match_feed(arg, p, n);
}

/*
 * Each field called name (every field when name is NULL, fed as "Name:
 * value") with its RFC 2047 words decoded.  A match never spans two
 * fields.  1 when found; for an empty needle, when such a field exists.
 */
static int
search_fields(const struct mime_msg *m, const struct mime_part *part,
    const char *name, struct mime_match *mm)
{
	const char	*p = m->base + part->hdr_off, *end = p + part->hdr_len;
	const char	*f, *lf, *colon, *v;
	size_t		 nfields = 0, nlen = name ? strlen(name) : 0, vlen, i;
	char		*val, *dec;
	int		 found = 0;

	while (!found && p < end && *p != '\n' && !(*p == '\r' &&
	    p + 1 < end && p[1] == '\n') && nfields++ < MIME_MAX_FIELDS) {
		f = p;
		do {
			lf = memchr(p, '\n', end - p);
			p = lf == NULL ? end : lf + 1;
		} while (p < end && (*p == ' ' || *p == '\t'));
		if ((colon = memchr(f, ':', p - f)) == NULL)
			continue;
		if (name != NULL && ((size_t)(colon - f) != nlen ||
		    strncasecmp(f, name, nlen) != 0))
			continue;
		v = name ? colon + 1 : f;
		vlen = p - v < MIME_MAX_LINE ? (size_t)(p - v) : MIME_MAX_LINE;
		val = xmalloc(vlen + 1);
		for (i = 0; vlen > 0 && i < vlen; i++)
			val[i] = (v[i] == '\r' || v[i] == '\n') ? ' ' : v[i];
		val[vlen] = '\0';
		dec = mime_decode_words(val, vlen);
		mime_match_reset(mm);
		mime_match_feed(mm, dec, strlen(dec));
		found = mime_match_end(mm);
		free(val);
		free(dec);
	}
	return found;
}

int
mime_search_header(const struct mime_msg *m, const char *name,
    struct mime_match *mm)
{
	return search_fields(m, &m->parts[0], name, mm);
}

/*
 * A text part (or one without a type), decoded.  A part not opened for a
 * limit is application/octet-stream to the client and skipped here too.
 */
static int
search_leaf(const struct mime_msg *m, int idx, struct mime_match *mm)
{
	const struct mime_part	*p = &m->parts[idx];
	const struct mime_param	*cs;
	struct mime_ctype	 ct;
	struct mime_decoder	*d;
	char			*v, *cte = NULL, *charset = NULL;
	int			 text = !(p->flags & MIME_PART_CUT);

	memset(&ct, 0, sizeof(ct));
	if (!(p->flags & MIME_PART_CUT) &&
	    (v = mime_field_get(m, p, "content-type")) != NULL) {
		if (mime_ctype_parse(v, 1, &ct) == 0) {
			text = strcasecmp(ct.type, "text") == 0;
			if ((cs = mime_param_find(&ct, "charset")) != NULL)
				charset = xstrdup(cs->value);
		}
		free(v);
		mime_ctype_free(&ct);
	}
	if (!(p->flags & MIME_PART_CUT))
		cte = mime_field_get(m, p, "content-transfer-encoding");
	if (text) {
		mime_match_reset(mm);
		d = mime_decoder_new(cte, charset);
		mime_decoder_feed(d, m->base + p->body_off, p->body_len,
		    match_out, mm);
		mime_decoder_end(d, match_out, mm);
		mime_decoder_free(d);
		mime_match_end(mm);
	}
	free(cte);
	free(charset);
	return text && mm->found;
}

/* A multipart whose parts were not found: its body as it is. */
static int
search_raw(const struct mime_msg *m, const struct mime_part *p,
    struct mime_match *mm)
{
	mime_match_reset(mm);
	mime_match_feed(mm, m->base + p->body_off, p->body_len);
	return mime_match_end(mm);
}

static int
search_part(const struct mime_msg *m, int idx, struct mime_match *mm)
{
	const struct mime_part	*p = &m->parts[idx];
	int			 c;

	if ((p->flags & MIME_PART_MULTIPART) && p->child < 0)
		return search_raw(m, p, mm);
	if (p->flags & MIME_PART_MULTIPART) {
		for (c = p->child; c >= 0; c = m->parts[c].next)
			if (search_part(m, c, mm))
				return 1;
		return 0;
	}
	if (p->flags & MIME_PART_MESSAGE) {
		/* An attached message's header is text of the body. */
		return search_fields(m, &m->parts[p->child], NULL, mm) ||
		    search_part(m, p->child, mm);
	}
	return search_leaf(m, idx, mm);
}

int
mime_search_body(const struct mime_msg *m, struct mime_match *mm)
{
	return search_part(m, 0, mm);
}

int
mime_search_text(const struct mime_msg *m, struct mime_match *mm)
{
	return search_fields(m, &m->parts[0], NULL, mm) ||
	    search_part(m, 0, mm);
}
