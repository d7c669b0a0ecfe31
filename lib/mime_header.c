/*
 * Header fields: finding a field without copying the header, unfolding
 * one value into a bounded string, and the parameter syntax of
 * Content-Type and Content-Disposition (RFC 2045 5.1, RFC 2183, RFC 2231
 * continuations and extended values).
 */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "xmalloc.h"

/* RFC 2045 tspecials, which end a token. */
#define TSPECIALS	"()<>@,;:\\\"/[]?="

struct rawparam {
	char	*name;
	char	*value;
	int	 done;
};

static const char *skip_cfws(const char *);
static char	*get_token(const char **);
static char	*get_value(const char **);
static void	 add_param(struct mime_ctype *, char *, char *);
static void	 join_params(struct mime_ctype *, struct rawparam *, size_t);
static struct rawparam *find_section(struct rawparam *, size_t, size_t,
		    size_t, int, int *);
static void	 join_one(struct mime_ctype *, struct rawparam *, size_t,
		    size_t);
static int	 section_of(const char *, size_t, int *);

int
mime_field_find(const char *base, size_t off, size_t len, const char *name,
    size_t *voff, size_t *vlen)
{
	const char	*p = base + off, *end = base + off + len, *lf, *colon;
	size_t		 nlen = strlen(name), nfields = 0;
	int		 hit;

	while (p < end && *p != '\n' && !(*p == '\r' && p + 1 < end &&
	    p[1] == '\n') && nfields++ < MIME_MAX_FIELDS) {
		hit = (size_t)(end - p) > nlen &&
		    strncasecmp(p, name, nlen) == 0;
		colon = p + nlen;
		while (hit && colon < end && (*colon == ' ' || *colon == '\t'))
			colon++;
		hit = hit && colon < end && *colon == ':';
		/* The field runs on over lines starting with white space. */
		do {
			lf = memchr(p, '\n', end - p);
			p = lf == NULL ? end : lf + 1;
		} while (p < end && (*p == ' ' || *p == '\t'));
		if (hit) {
			*voff = (size_t)(colon + 1 - base);
			*vlen = (size_t)(p - colon - 1);
			return 1;
		}
	}
	return 0;
}

char *
mime_field_get(const struct mime_msg *m, const struct mime_part *part,
    const char *name)
{
	size_t	 voff, vlen, i, n = 0;
	char	*s;

	if (!mime_field_find(m->base, part->hdr_off, part->hdr_len, name,
	    &voff, &vlen))
		return NULL;
	if (vlen > MIME_MAX_LINE)
		vlen = MIME_MAX_LINE;
	s = xmalloc(vlen + 1);
	for (i = 0; i < vlen; i++) {
		char c = m->base[voff + i];

		if (c == '\r' || c == '\n')
			continue;
		if (n == 0 && (c == ' ' || c == '\t'))
			continue;
		s[n++] = c;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	s[n] = '\0';
	return s;
}

const char *
mime_comment_end(const char *p)
{
	int	depth;

	for (depth = 0; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
	}
	return p;
}

/* Skips white space and (nested) comments. */
static const char *
skip_cfws(const char *p)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '(')
			return p;
		p = mime_comment_end(p);
	}
}

static char *
get_token(const char **pp)
{
	const char	*p = skip_cfws(*pp), *s = p;
	char		*t;

	while (*p != '\0' && (unsigned char)*p > ' ' && *p != 0x7f &&
	    strchr(TSPECIALS, *p) == NULL)
		p++;
	if (p == s)
		return NULL;
	t = xstrndup(s, p - s);
	*pp = skip_cfws(p);
	return t;
}

/* A parameter value: a token (case kept) or a quoted string. */
static char *
get_value(const char **pp)
{
	const char	*p = skip_cfws(*pp), *s = p;
	char		*v;
	size_t		 n = 0;

	if (*p != '"') {
		while (*p != '\0' && *p != ';' && *p != ' ' && *p != '\t' &&
		    *p != '(')
			p++;
		*pp = skip_cfws(p);
		return xstrndup(s, p - s);
	}
	v = xmalloc(strlen(p) + 1);
	for (p++; *p != '\0' && *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		v[n++] = *p;
	}
	v[n] = '\0';
	if (*p == '"')
		p++;
	*pp = skip_cfws(p);
	return v;
}

static void
add_param(struct mime_ctype *ct, char *name, char *value)
{
	ct->params = xreallocarray(ct->params, ct->nparams + 1,
	    sizeof(*ct->params));
	ct->params[ct->nparams].name = name;
	ct->params[ct->nparams].value = value;
	ct->nparams++;
}

/*
 * RFC 2231 section of a raw name "base*N" or "base*N*": its number, -1
 * for "base*", -2 when it is no RFC 2231 name.  *ext says whether it is
 * percent-encoded.
 */
static int
section_of(const char *name, size_t blen, int *ext)
{
	const char	*p = name + blen;
	int		 n = 0;

	*ext = 0;
	if (*p != '*')
		return -2;
	if (p[1] == '\0') {
		*ext = 1;
		return -1;
	}
	for (p++; isdigit((unsigned char)*p) && n < 1000; p++)
		n = n * 10 + (*p - '0');
	if (p == name + blen + 1)
		return -2;
	if (*p == '*') {
		*ext = 1;
		p++;
	}
	return *p == '\0' ? n : -2;
}

/*
 * Joins continuations: "title*0*=us-ascii'en'This%20is; title*1=x" gives
 * one "title*" parameter holding "us-ascii'en'This%20isx".  The value
 * stays encoded, which is what Dovecot puts in BODYSTRUCTURE.
 */
static void
join_params(struct mime_ctype *ct, struct rawparam *raw, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (raw[i].done)
			continue;
		if (strchr(raw[i].name, '*') == NULL)
			add_param(ct, xstrdup(raw[i].name),
			    xstrdup(raw[i].value));
		else
			join_one(ct, raw, n, i);
	}
}

/*
 * The raw parameter, among raw[from..n), that is section want of the
 * RFC 2231 parameter whose base name is raw[from]'s first blen octets.
 */
static struct rawparam *
find_section(struct rawparam *raw, size_t n, size_t from, size_t blen,
    int want, int *ext)
{
	size_t	j;

	for (j = from; j < n; j++)
		if (!raw[j].done && strncasecmp(raw[j].name, raw[from].name,
		    blen) == 0 && section_of(raw[j].name, blen, ext) == want)
			return &raw[j];
	return NULL;
}

/* One RFC 2231 parameter: "name*" alone, or sections 0, 1, ... */
static void
join_one(struct mime_ctype *ct, struct rawparam *raw, size_t n, size_t i)
{
	struct rawparam	*r;
	struct mime_buf	 v;
	size_t		 blen = strchr(raw[i].name, '*') - raw[i].name;
	int		 want, ext, anyext = 0;
	char		*name;

	mime_buf_init(&v);
	mime_buf_add(&v, "", 0);
	for (want = -1; want < (int)n; want++) {
		if ((r = find_section(raw, n, i, blen, want, &ext)) == NULL) {
			if (want >= 0)
				break;
			continue;
		}
		mime_buf_addstr(&v, r->value);
		anyext |= ext;
		r->done = 1;
		if (want == -1)
			break;
	}
	if (!raw[i].done) {
		/* A stray section without its start: dropped. */
		raw[i].done = 1;
		mime_buf_free(&v);
		return;
	}
	name = xstrndup(raw[i].name, blen + 1);
	if (!anyext)
		name[blen] = '\0';
	add_param(ct, name, xstrdup(v.data));
	mime_buf_free(&v);
}

int
mime_ctype_parse(const char *s, int want_subtype, struct mime_ctype *ct)
{
	struct rawparam	 raw[MIME_MAX_PARAMS];
	const char	*p = s;
	char		*name;
	size_t		 n = 0, i;

	memset(ct, 0, sizeof(*ct));
	if ((ct->type = get_token(&p)) == NULL)
		return -1;
	if (want_subtype) {
		if (*p != '/')
			goto fail;
		p++;
		if ((ct->subtype = get_token(&p)) == NULL)
			goto fail;
	}
	while (*p == ';' && n < MIME_MAX_PARAMS) {
		p++;
		if ((name = get_token(&p)) == NULL)
			break;
		if (*p != '=') {
			free(name);
			break;
		}
		p++;
		raw[n].name = name;
		raw[n].value = get_value(&p);
		raw[n++].done = 0;
	}
	join_params(ct, raw, n);
	for (i = 0; i < n; i++) {
		free(raw[i].name);
		free(raw[i].value);
	}
	return 0;
fail:
	mime_ctype_free(ct);
	return -1;
}

void
mime_ctype_free(struct mime_ctype *ct)
{
	size_t	i;

	for (i = 0; i < ct->nparams; i++) {
		free(ct->params[i].name);
		free(ct->params[i].value);
	}
	free(ct->params);
	free(ct->type);
	free(ct->subtype);
	memset(ct, 0, sizeof(*ct));
}

const struct mime_param *
mime_param_find(const struct mime_ctype *ct, const char *name)
{
	size_t	i, n = strlen(name);

	for (i = 0; i < ct->nparams; i++)
		if (strncasecmp(ct->params[i].name, name, n) == 0 &&
		    (ct->params[i].name[n] == '\0' ||
		    strcmp(ct->params[i].name + n, "*") == 0))
			return &ct->params[i];
	return NULL;
}

/* RFC 2231: charset'language'%XX... to UTF-8; else RFC 2047 words. */
char *
mime_param_decode(const struct mime_param *pm)
{
	const char	*v = pm->value, *q1, *q2;
	char		*cs, *oct, *out;
	size_t		 n = 0;
	int		 hi, lo;

	if (pm->name[strlen(pm->name) - 1] != '*' ||
	    (q1 = strchr(v, '\'')) == NULL || (q2 = strchr(q1 + 1, '\'')) ==
	    NULL)
		return mime_decode_words(v, strlen(v));
	cs = xstrndup(v, q1 - v);
	oct = xmalloc(strlen(q2) + 1);
	for (v = q2 + 1; *v != '\0'; v++) {
		if (*v == '%' && isxdigit((unsigned char)v[1]) &&
		    isxdigit((unsigned char)v[2])) {
			hi = isdigit((unsigned char)v[1]) ? v[1] - '0' :
			    (tolower((unsigned char)v[1]) - 'a' + 10);
			lo = isdigit((unsigned char)v[2]) ? v[2] - '0' :
			    (tolower((unsigned char)v[2]) - 'a' + 10);
			oct[n++] = (char)(hi * 16 + lo);
			v += 2;
		} else
			oct[n++] = *v;
	}
	out = mime_charset_utf8(cs, oct, n);
	free(cs);
	free(oct);
	return out;
}
