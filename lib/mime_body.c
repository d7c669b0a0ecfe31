/*
 * BODY and BODYSTRUCTURE (RFC 3501 7.4.2), written the way Dovecot writes
 * them so that clients switching servers see the same thing: lower-case
 * defaults ("text" "plain" ("charset" "us-ascii") ... "7bit"), sizes in
 * the CR LF view, and all four extension fields of BODYSTRUCTURE.
 * A part not opened because of a limit (MIME_PART_CUT) is written as
 * application/octet-stream with its own parameters, as Dovecot does.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compat.h"
#include "mime.h"
#include "xmalloc.h"

/* What a multipart without parts shows, as in Dovecot. */
#define EMPTY_BODY	"\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL " \
			"\"7bit\" 0 0"

static void	write_part(const struct mime_msg *, int, int,
		    struct mime_buf *);
static void	write_params(const struct mime_ctype *, struct mime_buf *);
static void	write_ext(const struct mime_msg *, const struct mime_part *,
		    int, struct mime_buf *);
static void	write_field(const struct mime_msg *, const struct mime_part *,
		    const char *, struct mime_buf *);
static void	write_disposition(const struct mime_msg *,
		    const struct mime_part *, struct mime_buf *);
static void	write_language(const struct mime_msg *,
		    const struct mime_part *, struct mime_buf *);
static int	plain_7bit(const struct mime_msg *, const struct mime_part *,
		    const struct mime_ctype *);
static void	leaf_type(const struct mime_msg *, int, struct mime_ctype *);
static void	write_leaf(const struct mime_msg *, int, int,
		    struct mime_buf *);
static void	write_multipart(const struct mime_msg *, int, int,
		    struct mime_buf *);

static void
write_params(const struct mime_ctype *ct, struct mime_buf *b)
{
	size_t	i;

	if (ct->nparams == 0) {
		mime_buf_addstr(b, "NIL");
		return;
	}
	mime_buf_addc(b, '(');
	for (i = 0; i < ct->nparams; i++) {
		if (i > 0)
			mime_buf_addc(b, ' ');
		mime_buf_nstr(b, ct->params[i].name);
		mime_buf_addc(b, ' ');
		mime_buf_nstr(b, ct->params[i].value);
	}
	mime_buf_addc(b, ')');
}

/* An unstructured field's value as a string, NIL when absent. */
static void
write_field(const struct mime_msg *m, const struct mime_part *p,
    const char *name, struct mime_buf *b)
{
	char	*v;

	v = mime_field_get(m, p, name);
	mime_buf_nstr(b, v);
	free(v);
}

static void
write_disposition(const struct mime_msg *m, const struct mime_part *p,
    struct mime_buf *b)
{
	struct mime_ctype	 ct;
	char			*v;

	v = mime_field_get(m, p, "content-disposition");
	if (v == NULL || mime_ctype_parse(v, 0, &ct) == -1) {
		mime_buf_addstr(b, "NIL");
		free(v);
		return;
	}
	mime_buf_addc(b, '(');
	mime_buf_nstr(b, ct.type);
	mime_buf_addc(b, ' ');
	write_params(&ct, b);
	mime_buf_addc(b, ')');
	mime_ctype_free(&ct);
	free(v);
}

/* Content-Language: a list of tags, or NIL. */
static void
write_language(const struct mime_msg *m, const struct mime_part *p,
    struct mime_buf *b)
{
	char	*v, *s, *tag;
	int	 n = 0;

	if ((v = mime_field_get(m, p, "content-language")) == NULL) {
		mime_buf_addstr(b, "NIL");
		return;
	}
	for (s = v; (tag = strsep(&s, ", \t")) != NULL;) {
		if (*tag == '\0')
			continue;
		mime_buf_addstr(b, n++ == 0 ? "(" : " ");
		mime_buf_nstr(b, tag);
	}
	mime_buf_addstr(b, n > 0 ? ")" : "NIL");
	free(v);
}

/* The extension fields after md5 (leaves) or params (multiparts). */
static void
write_ext(const struct mime_msg *m, const struct mime_part *p, int leaf,
    struct mime_buf *b)
{
	if (leaf) {
		mime_buf_addc(b, ' ');
		write_field(m, p, "content-md5", b);
	}
	mime_buf_addc(b, ' ');
	write_disposition(m, p, b);
	mime_buf_addc(b, ' ');
	write_language(m, p, b);
	mime_buf_addc(b, ' ');
	write_field(m, p, "content-location", b);
}

/*
 * Dovecot writes a top-level text/plain us-ascii 7bit part with no other
 * Content-* fields in its default form, whatever case the header used.
 */
static int
plain_7bit(const struct mime_msg *m, const struct mime_part *p,
    const struct mime_ctype *ct)
{
	static const char *other[] = { "content-id", "content-description",
	    "content-disposition", "content-language", "content-location",
	    "content-md5" };
	size_t		 i, voff, vlen;
	char		*cte;
	int		 ok;

	if (strcasecmp(ct->type, "text") != 0 ||
	    strcasecmp(ct->subtype, "plain") != 0 || ct->nparams > 1 ||
	    (ct->nparams == 1 && (strcasecmp(ct->params[0].name,
	    "charset") != 0 || strcasecmp(ct->params[0].value,
	    "us-ascii") != 0)))
		return 0;
	cte = mime_field_get(m, p, "content-transfer-encoding");
	ok = cte == NULL || strcasecmp(cte, "7bit") == 0;
	free(cte);
	for (i = 0; ok && i < nitems(other); i++)
		if (mime_field_find(m->base, p->hdr_off, p->hdr_len, other[i],
		    &voff, &vlen))
			ok = 0;
	return ok;
}

/*
 * The part's Content-Type as BODYSTRUCTURE shows it: the defaults
 * (text/plain, or message/rfc822 in a digest) when absent or invalid,
 * and a text part always has a charset.
 */
static void
leaf_type(const struct mime_msg *m, int idx, struct mime_ctype *ct)
{
	const struct mime_part	*p = &m->parts[idx];
	char			*v;

	v = mime_field_get(m, p, "content-type");
	if (v == NULL || mime_ctype_parse(v, 1, ct) == -1)
		mime_ctype_parse((p->flags & MIME_PART_DIGEST) ?
		    "message/rfc822" : "text/plain; charset=us-ascii", 1, ct);
	else if (idx == 0 && plain_7bit(m, p, ct)) {
		mime_ctype_free(ct);
		mime_ctype_parse("text/plain; charset=us-ascii", 1, ct);
	}
	free(v);
	if (p->flags & MIME_PART_CUT) {
		/* Not opened: an attachment to the client, as in Dovecot. */
		free(ct->type);
		free(ct->subtype);
		ct->type = xstrdup("application");
		ct->subtype = xstrdup("octet-stream");
	}
	if (strcasecmp(ct->type, "text") == 0 &&
	    mime_param_find(ct, "charset") == NULL) {
		ct->params = xreallocarray(ct->params, ct->nparams + 1,
		    sizeof(*ct->params));
		ct->params[ct->nparams].name = xstrdup("charset");
		ct->params[ct->nparams++].value = xstrdup("us-ascii");
	}
}

static void
write_leaf(const struct mime_msg *m, int idx, int ext, struct mime_buf *b)
{
	const struct mime_part	*p = &m->parts[idx];
	struct mime_ctype	 ct;
	char			*cte;
	int			 text, msg;

	leaf_type(m, idx, &ct);
	text = strcasecmp(ct.type, "text") == 0;
	/*
	 * message/global is parsed (for sections and SEARCH) but written as
	 * a basic part: RFC 3501's grammar has envelope fields for
	 * MESSAGE/RFC822 only, and Dovecot 2.3 does the same.
	 */
	msg = (p->flags & MIME_PART_MESSAGE) &&
	    strcasecmp(ct.subtype, "rfc822") == 0;
	mime_buf_nstr(b, ct.type);
	mime_buf_addc(b, ' ');
	mime_buf_nstr(b, ct.subtype);
	mime_buf_addc(b, ' ');
	write_params(&ct, b);
	mime_ctype_free(&ct);
	mime_buf_addc(b, ' ');
	write_field(m, p, "content-id", b);
	mime_buf_addc(b, ' ');
	write_field(m, p, "content-description", b);
	mime_buf_addc(b, ' ');
	cte = mime_field_get(m, p, "content-transfer-encoding");
	mime_buf_nstr(b, cte != NULL && *cte != '\0' ? cte : "7bit");
	free(cte);
	mime_buf_addc(b, ' ');
	mime_buf_addu(b, p->body_len + p->body_bare);
	if (msg) {
		mime_buf_addc(b, ' ');
		mime_envelope(m, &m->parts[p->child], b);
		mime_buf_addc(b, ' ');
		write_part(m, p->child, ext, b);
	}
	if (msg || text) {
		mime_buf_addc(b, ' ');
		mime_buf_addu(b, p->body_lines);
	}
	if (ext)
		write_ext(m, p, 1, b);
}

static void
write_multipart(const struct mime_msg *m, int idx, int ext,
    struct mime_buf *b)
{
	const struct mime_part	*p = &m->parts[idx];
	struct mime_ctype	 ct;
	char			*v;
	int			 c;

	for (c = p->child; c >= 0; c = m->parts[c].next)
		write_part(m, c, ext, b);
	if (p->child < 0)
		mime_buf_addstr(b, ext ? "(" EMPTY_BODY " NIL NIL NIL NIL)" :
		    "(" EMPTY_BODY ")");
	v = mime_field_get(m, p, "content-type");
	mime_ctype_parse(v, 1, &ct);
	free(v);
	mime_buf_addc(b, ' ');
	mime_buf_nstr(b, ct.subtype);
	if (ext) {
		mime_buf_addc(b, ' ');
		write_params(&ct, b);
		write_ext(m, p, 0, b);
	}
	mime_ctype_free(&ct);
}

static void
write_part(const struct mime_msg *m, int idx, int ext, struct mime_buf *b)
{
	const struct mime_part	*p = &m->parts[idx];

	/* An encapsulated message is written as its body. */
	mime_buf_addc(b, '(');
	if (p->flags & MIME_PART_MULTIPART)
		write_multipart(m, idx, ext, b);
	else
		write_leaf(m, idx, ext, b);
	mime_buf_addc(b, ')');
}

void
mime_bodystructure(const struct mime_msg *m, int extended,
    struct mime_buf *b)
{
	write_part(m, 0, extended, b);
}
