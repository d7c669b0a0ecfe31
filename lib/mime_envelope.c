/*
 * ENVELOPE (RFC 3501 7.4.2) with RFC 5322 address lists: groups,
 * obsolete routes, display names kept raw (RFC 2047 words are not
 * decoded: IMAP wants the header's text).  Parsing is lenient in the way
 * Dovecot is: an address without a domain still comes out, with a
 * placeholder host, because NIL there would mean a group.
 */

#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "xmalloc.h"

#define ADDR_SPECIALS	"()<>@,;:\\\"[]"
#define MISSING_DOMAIN	"MISSING_DOMAIN"
#define MISSING_MAILBOX	"MISSING_MAILBOX"

enum { T_END, T_WORD, T_QUOTED, T_LITERAL, T_SPECIAL };

struct tok {
	int		 type;
	const char	*p;
	size_t		 n;
	int		 c;		/* the special character */
};

struct addr {
	struct mime_buf	 name;		/* phrase, words joined by spaces */
	struct mime_buf	 local;		/* words as written, concatenated */
	struct mime_buf	 adl;
	struct mime_buf	 host;
	struct mime_buf	 comment;
	int		 words;
};

/* The state of one address list being written. */
struct alist {
	struct addr	 a;
	struct mime_buf	*b;
	int		 n;		/* entries written */
	int		 ingroup;
	int		 done;		/* the entry is complete */
};

static const char *skip_comments(const char *, struct mime_buf *);
static const char *next_tok(const char *, struct tok *, struct mime_buf *);
static void	addr_reset(struct addr *);
static void	addr_word(struct mime_buf *, const struct tok *);
static void	write_addr(struct mime_buf *, const char *, const char *,
		    const char *, const char *);
static const char *parse_angle(const char *, struct addr *);
static const char *parse_domain(const char *, struct mime_buf *,
		    struct mime_buf *);
static void	emit_addr(struct mime_buf *, struct addr *, int);
static void	addr_sep(struct alist *, const struct tok *);
static const char *addr_step(struct alist *, const char *,
		    const struct tok *);
static int	addr_list(const char *, struct mime_buf *);
static void	env_addrs(const struct mime_msg *, const struct mime_part *,
		    const char *, struct mime_buf *, const struct mime_buf *);
static char	*env_raw(const struct mime_msg *, const struct mime_part *,
		    const char *, size_t *);
static void	env_string(const struct mime_msg *, const struct mime_part *,
		    const char *, int, struct mime_buf *);

/* Skips white space and comments, keeping the last comment's text. */
static const char *
skip_comments(const char *p, struct mime_buf *comment)
{
	const char	*s;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '(')
			return p;
		comment->len = 0;
		p = mime_comment_end(s = p);
		mime_buf_add(comment, s + 1, p - s - (p[-1] == ')' ? 2 : 1));
	}
}

/* One token; comments are skipped and the last one kept in *comment. */
static const char *
next_tok(const char *p, struct tok *t, struct mime_buf *comment)
{
	const char	*s;

	p = skip_comments(p, comment);
	t->p = p;
	t->c = 0;
	if (*p == '\0') {
		t->type = T_END;
		return p;
	}
	if (*p == '"' || *p == '[') {
		t->type = *p == '"' ? T_QUOTED : T_LITERAL;
		for (s = p + 1; *s != '\0' && *s != (*p == '"' ? '"' : ']');
		    s++)
			if (*s == '\\' && s[1] != '\0')
				s++;
		t->n = s - p + (*s != '\0');
		return p + t->n;
	}
	if (strchr(ADDR_SPECIALS, *p) != NULL) {
		t->type = T_SPECIAL;
		t->c = *p;
		t->n = 1;
		return p + 1;
	}
	for (s = p; *s != '\0' && *s != ' ' && *s != '\t' &&
	    strchr(ADDR_SPECIALS, *s) == NULL; s++)
		;
	t->type = T_WORD;
	t->n = s - p;
	return s;
}

static void
addr_reset(struct addr *a)
{
	a->name.len = a->local.len = a->adl.len = a->host.len = 0;
	a->comment.len = 0;
	a->words = 0;
}

/* A word's text: a quoted string without its quotes and escapes. */
static void
addr_word(struct mime_buf *b, const struct tok *t)
{
	size_t	i, end;

	if (t->type != T_QUOTED) {
		mime_buf_add(b, t->p, t->n);
		return;
	}
	end = t->n > 1 && t->p[t->n - 1] == '"' ? t->n - 1 : t->n;
	for (i = 1; i < end; i++) {
		if (t->p[i] == '\\' && i + 1 < end)
			i++;
		mime_buf_addc(b, t->p[i]);
	}
}

static void
write_addr(struct mime_buf *b, const char *name, const char *adl,
    const char *mailbox, const char *host)
{
	mime_buf_addc(b, '(');
	if (name == NULL)
		mime_buf_addstr(b, "NIL");
	else
		mime_buf_human(b, name, strlen(name));
	mime_buf_addc(b, ' ');
	mime_buf_nstr(b, adl);
	mime_buf_addc(b, ' ');
	mime_buf_nstr(b, mailbox);
	mime_buf_addc(b, ' ');
	mime_buf_nstr(b, host);
	mime_buf_addc(b, ')');
}

/*
 * Domain words and literals up to a special other than '.'; a comment
 * after the domain lands in *comment (Dovecot's name for "a@b (Name)").
 */
static const char *
parse_domain(const char *p, struct mime_buf *host, struct mime_buf *comment)
{
	struct tok	t;
	const char	*q;

	for (;;) {
		q = next_tok(p, &t, comment);
		if (t.type != T_WORD && t.type != T_LITERAL)
			break;
		mime_buf_add(host, t.p, t.n);
		p = q;
	}
	return p;
}

/* "<" [route ":"] local "@" domain ">", p just after '<'. */
static const char *
parse_angle(const char *p, struct addr *a)
{
	struct tok	 t;
	const char	*q;

	q = next_tok(p, &t, &a->comment);
	if (t.type == T_SPECIAL && t.c == '@') {
		/* Obsolete route "@a,@b:": kept as the adl. */
		while (t.type != T_END && !(t.type == T_SPECIAL &&
		    (t.c == ':' || t.c == '>'))) {
			mime_buf_add(&a->adl, t.p, t.n);
			p = q;
			q = next_tok(p, &t, &a->comment);
		}
		if (t.type == T_SPECIAL && t.c == ':')
			p = q;
	}
	a->local.len = 0;
	for (;;) {
		q = next_tok(p, &t, &a->comment);
		if (t.type != T_WORD && t.type != T_QUOTED)
			break;
		addr_word(&a->local, &t);
		p = q;
	}
	if (t.type == T_SPECIAL && t.c == '@')
		p = parse_domain(q, &a->host, &a->comment);
	q = next_tok(p, &t, &a->comment);
	return t.type == T_SPECIAL && t.c == '>' ? q : p;
}

/* Writes the address gathered in a; named says whether <> was used. */
static void
emit_addr(struct mime_buf *b, struct addr *a, int named)
{
	const char	*name = NULL;

	mime_buf_add(&a->name, "", 0);
	mime_buf_add(&a->comment, "", 0);
	if (named && a->name.len > 0)
		name = a->name.data;
	else if (!named && a->comment.len > 0)
		name = a->comment.data;
	mime_buf_add(&a->local, "", 0);
	mime_buf_add(&a->adl, "", 0);
	mime_buf_add(&a->host, "", 0);
	write_addr(b, name, a->adl.len ? a->adl.data : NULL,
	    a->local.len ? a->local.data : MISSING_MAILBOX,
	    a->host.len ? a->host.data : MISSING_DOMAIN);
}

/* Ends an entry at ',' ';' or the end: a bare local part is one. */
static void
addr_sep(struct alist *l, const struct tok *t)
{
	if (l->a.words > 0 && !l->done) {
		emit_addr(l->b, &l->a, 0);
		l->n++;
	}
	addr_reset(&l->a);
	l->done = 0;
	if (l->ingroup && (t->type == T_END || t->c == ';')) {
		write_addr(l->b, NULL, NULL, NULL, NULL);
		l->n++;
		l->ingroup = 0;
	}
}

/*
 * One token of an address list.  After an address is complete, the rest
 * up to the next ',' is ignored ("a@b@c" is a@b), as Dovecot does.
 */
static const char *
addr_step(struct alist *l, const char *p, const struct tok *t)
{
	struct addr	*a = &l->a;

	if (t->type == T_END || (t->type == T_SPECIAL && (t->c == ',' ||
	    t->c == ';'))) {
		addr_sep(l, t);
		return p;
	}
	if (l->done)
		return p;
	if (t->type == T_WORD || t->type == T_QUOTED) {
		if (a->name.len > 0)
			mime_buf_addc(&a->name, ' ');
		addr_word(&a->name, t);
		addr_word(&a->local, t);
		a->words++;
	} else if (t->type == T_SPECIAL && t->c == '<') {
		p = parse_angle(p, a);
		emit_addr(l->b, a, 1);
		l->n++;
		l->done = 1;
	} else if (t->type == T_SPECIAL && t->c == '@') {
		a->comment.len = 0;
		p = parse_domain(p, &a->host, &a->comment);
		emit_addr(l->b, a, 0);
		l->n++;
		l->done = 1;
	} else if (t->type == T_SPECIAL && t->c == ':' && !l->ingroup) {
		mime_buf_add(&a->name, "", 0);
		write_addr(l->b, NULL, NULL, a->name.data, NULL);
		l->n++;
		l->ingroup = 1;
		addr_reset(a);
	}
	return p;
}

/* An address-list into b; returns how many entries were written. */
static int
addr_list(const char *p, struct mime_buf *b)
{
	struct alist	l;
	struct tok	t;

	memset(&l, 0, sizeof(l));
	l.b = b;
	do {
		p = next_tok(p, &t, &l.a.comment);
		p = addr_step(&l, p, &t);
	} while (t.type != T_END);
	mime_buf_free(&l.a.name);
	mime_buf_free(&l.a.local);
	mime_buf_free(&l.a.adl);
	mime_buf_free(&l.a.host);
	mime_buf_free(&l.a.comment);
	return l.n;
}

/* An address field as "(...)" or NIL; dflt replaces an absent one. */
static void
env_addrs(const struct mime_msg *m, const struct mime_part *part,
    const char *name, struct mime_buf *b, const struct mime_buf *dflt)
{
	struct mime_buf	 list;
	char		*v;

	mime_buf_init(&list);
	if ((v = mime_field_get(m, part, name)) != NULL &&
	    addr_list(v, &list) > 0) {
		mime_buf_addc(b, '(');
		mime_buf_add(b, list.data, list.len);
		mime_buf_addc(b, ')');
	} else if (dflt != NULL)
		mime_buf_add(b, dflt->data, dflt->len);
	else
		mime_buf_addstr(b, "NIL");
	free(v);
	mime_buf_free(&list);
}

/*
 * A field's value as Dovecot hands it to its writers: white space after
 * the colon skipped, the rest (folding included) as is, cut at
 * MIME_MAX_LINE.  NULL when absent.
 */
static char *
env_raw(const struct mime_msg *m, const struct mime_part *part,
    const char *name, size_t *len)
{
	size_t	 voff, vlen;
	char	*v;

	if (!mime_field_find(m->base, part->hdr_off, part->hdr_len, name,
	    &voff, &vlen))
		return NULL;
	while (vlen > 0 && (m->base[voff] == ' ' || m->base[voff] == '\t')) {
		voff++;
		vlen--;
	}
	/* The line end closing the field is not part of its value. */
	if (vlen > 0 && m->base[voff + vlen - 1] == '\n')
		vlen--;
	if (vlen > 0 && m->base[voff + vlen - 1] == '\r')
		vlen--;
	if (vlen > MIME_MAX_LINE)
		vlen = MIME_MAX_LINE;
	*len = vlen;
	/* Not strndup: a NUL in the header must not shorten the copy. */
	v = xmalloc(vlen + 1);
	memcpy(v, m->base + voff, vlen);
	v[vlen] = '\0';
	return v;
}

/*
 * Date, In-Reply-To and Message-ID lose their CR and LF only; Subject is
 * text "for humans" (mime_buf_human).
 */
static void
env_string(const struct mime_msg *m, const struct mime_part *part,
    const char *name, int human, struct mime_buf *b)
{
	char	*v;
	size_t	 len, i, n = 0;

	if ((v = env_raw(m, part, name, &len)) == NULL) {
		mime_buf_addstr(b, "NIL");
		return;
	}
	if (human)
		mime_buf_human(b, v, len);
	else {
		for (i = 0; i < len; i++)
			if (v[i] != '\r' && v[i] != '\n')
				v[n++] = v[i];
		mime_buf_nstring(b, v, n);
	}
	free(v);
}

/*
 * RFC 3501: sender and reply-to absent (or empty) take from's value.
 * The header is that of part, which for a message/rfc822 part is its
 * child, the encapsulated message.
 */
void
mime_envelope(const struct mime_msg *m, const struct mime_part *part,
    struct mime_buf *b)
{
	struct mime_buf	from;

	mime_buf_init(&from);
	env_addrs(m, part, "from", &from, NULL);
	mime_buf_addc(b, '(');
	env_string(m, part, "date", 0, b);
	mime_buf_addc(b, ' ');
	env_string(m, part, "subject", 1, b);
	mime_buf_addc(b, ' ');
	mime_buf_add(b, from.data, from.len);
	mime_buf_addc(b, ' ');
	env_addrs(m, part, "sender", b, &from);
	mime_buf_addc(b, ' ');
	env_addrs(m, part, "reply-to", b, &from);
	mime_buf_addc(b, ' ');
	env_addrs(m, part, "to", b, NULL);
	mime_buf_addc(b, ' ');
	env_addrs(m, part, "cc", b, NULL);
	mime_buf_addc(b, ' ');
	env_addrs(m, part, "bcc", b, NULL);
	mime_buf_addc(b, ' ');
	env_string(m, part, "in-reply-to", 0, b);
	mime_buf_addc(b, ' ');
	env_string(m, part, "message-id", 0, b);
	mime_buf_addc(b, ')');
	mime_buf_free(&from);
}
