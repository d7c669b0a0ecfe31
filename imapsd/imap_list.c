/*
 * LIST and LSUB (RFC 3501 6.3.8, 6.3.9) with the CHILDREN (RFC 3348) and
 * SPECIAL-USE (RFC 6154) attributes; any other form of LIST is the
 * extended one (imap_listx.c).  The reference and the pattern are
 * joined and matched against each folder's name as the client sees it
 * (namespace prefix, modified UTF-7): "*" matches anything, "%" anything
 * but the separator "."; INBOX matches in any case.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapsd.h"
#include "iobuf.h"
#include "mutf7.h"
#include "store.h"
#include "xmalloc.h"

#define LIST_PATTERN_MAX	1024	/* octets of reference + pattern */
#define LIST_BARE		0x100	/* list_one: no CHILDREN attribute */

struct list_out {
	struct imap	*p;
	const char	*verb;		/* "LIST" or "LSUB" */
	char		*pattern;	/* reference + pattern, compacted */
	size_t		 sent;
};

static void	list_one(struct list_out *, const char *, int,
		    enum store_special);
static int	list_start(struct imap *, struct imapcmd *, const char *,
		    struct list_out *);
static int	lsub_hidden_child(struct list_out *, char **, size_t,
		    const char *);
static void	lsub_missing(struct list_out *, const struct store_list *,
		    char **, size_t);
static int	imap_list_basic(struct imap *, struct imapcmd *);

void
imap_untagged_buf(struct imap *p, const struct imapcmd_buf *b)
{
	iobuf_write(p->io, "* ", 2);
	iobuf_write(p->io, b->data, b->len);
	iobuf_write(p->io, "\r\n", 2);
}

/*
 * list-mailbox: an astring, or an atom with the wildcards "%" and "*"
 * (the parser lets nothing else into an atom but a leading "\").
 */
int
imap_list_arg(struct imapcmd_node *n, const char **s)
{
	size_t	len;

	if (imapcmd_astring(n, s, &len) == 0)
		return 0;
	if (n == NULL || n->type != IMAPCMD_ATOM || n->len == 0 ||
	    n->str[0] == '\\')
		return -1;
	*s = n->str;
	return 0;
}

/*
 * The reference and the pattern joined; runs of wildcards made one
 * ("%*" is "*", "%%" is "%"), and a leading INBOX in any case upper
 * case.  NULL when too long.
 */
char *
imap_list_pattern(const char *ref, const char *pat)
{
	char	*all, *r, *w;

	if (strlen(ref) + strlen(pat) > LIST_PATTERN_MAX)
		return NULL;
	xasprintf(&all, "%s%s", ref, pat);
	for (r = w = all; *r != '\0'; r++) {
		if ((*r == '*' || *r == '%') && w > all &&
		    (w[-1] == '*' || w[-1] == '%')) {
			if (*r == '*')
				w[-1] = '*';
			continue;
		}
		*w++ = *r;
	}
	*w = '\0';
	if (strncasecmp(all, "INBOX", 5) == 0 && strchr(".*%", all[5]) != NULL)
		memcpy(all, "INBOX", 5);
	return all;
}

/*
 * A dynamic-programming match: no backtracking blow-up.  A compacted
 * pattern with more fixed octets than the name cannot match, so the
 * work is bounded by the name's length squared.
 */
int
imap_list_match(const char *pat, const char *name)
{
	const char	*q;
	size_t		 nn = strlen(name), j, fixed = 0;
	char		*row, *next, *t;
	int		 ok;

	for (q = pat; *q != '\0'; q++)
		if (*q != '*' && *q != '%' && ++fixed > nn)
			return 0;
	row = xcalloc(nn + 1, 1);
	next = xcalloc(nn + 1, 1);
	row[0] = 1;
	for (; *pat != '\0'; pat++) {
		for (j = 0; j <= nn; j++) {
			if (*pat == '*')
				next[j] = row[j] || (j > 0 && next[j - 1]);
			else if (*pat == '%')
				next[j] = row[j] || (j > 0 && next[j - 1] &&
				    name[j - 1] != '.');
			else
				next[j] = j > 0 && row[j - 1] &&
				    name[j - 1] == *pat;
		}
		t = row;
		row = next;
		next = t;
	}
	ok = row[nn];
	free(row);
	free(next);
	return ok;
}

/* The folder's name as the client sees it, unquoted; NULL if none. */
char *
imap_list_wire_name(struct imap *p, const char *name)
{
	const char	*errstr;
	char		*enc, *w;

	if (store_name_is_inbox(name))
		return xstrdup("INBOX");
	if ((enc = mutf7_encode(name, strlen(name), &errstr)) == NULL)
		return NULL;
	xasprintf(&w, "%s%s", p->conf->ns_prefix, enc);
	free(enc);
	return w;
}

/* Under courier's "INBOX." every folder is below INBOX. */
int
imap_list_attrs(struct imap *p, const struct store_list *l, size_t i)
{
	if (store_name_is_inbox(l->f[i].name) && *p->conf->ns_prefix != '\0' &&
	    l->n > 1)
		return l->f[i].attrs | STORE_LIST_CHILDREN;
	return l->f[i].attrs;
}

static void
list_one(struct list_out *o, const char *name, int attrs,
    enum store_special special)
{
	struct imapcmd_buf	 b;
	const char		*sp = "";

	imapcmd_buf_init(&b, 0);
	imapcmd_buf_printf(&b, "%s (", o->verb);
	if (attrs & STORE_LIST_NOSELECT) {
		imapcmd_buf_printf(&b, "\\Noselect");
		sp = " ";
	}
	if (!(attrs & LIST_BARE)) {
		imapcmd_buf_printf(&b, "%s%s", sp, attrs & STORE_LIST_CHILDREN ?
		    "\\HasChildren" : "\\HasNoChildren");
		sp = " ";
	}
	if (special != STORE_SPECIAL_NONE)
		imapcmd_buf_printf(&b, "%s%s", sp, store_special_attr(special));
	imapcmd_buf_add(&b, ") \".\" ", 6);
	if (imap_mailbox_put(o->p, &b, name) == 0) {
		imap_untagged_buf(o->p, &b);
		o->sent++;
	}
	imapcmd_buf_free(&b);
}

/*
 * The two arguments; 1 when the command is answered already (BAD, or
 * the empty pattern's hierarchy delimiter), else 0 with o set up.
 */
static int
list_start(struct imap *p, struct imapcmd *c, const char *verb,
    struct list_out *o)
{
	struct imapcmd_buf	 b;
	const char		*ref, *pat, *dot;

	memset(o, 0, sizeof(*o));
	o->p = p;
	o->verb = verb;
	if (c->nargs != 2 || imap_list_arg(c->args, &ref) == -1 ||
	    imap_list_arg(c->args->next, &pat) == -1) {
		imap_bad(p, c, "%s takes a reference and a mailbox pattern",
		    verb);
		return 1;
	}
	if (*pat == '\0' && strcmp(verb, "LIST") == 0) {
		/* RFC 3501 6.3.8: the delimiter and the reference's root. */
		dot = strchr(ref, '.');
		imapcmd_buf_init(&b, 0);
		imapcmd_buf_printf(&b, "LIST (\\Noselect) \".\" ");
		imapcmd_put_string(&b, ref, dot == NULL ? 0 :
		    (size_t)(dot - ref + 1), 0);
		imap_untagged_buf(p, &b);
		imapcmd_buf_free(&b);
		imap_ok(p, c, "LIST completed");
		return 1;
	}
	if ((o->pattern = imap_list_pattern(ref, pat)) == NULL) {
		imap_bad(p, c, "%s: the pattern is too long", verb);
		return 1;
	}
	return 0;
}

/*
 * RFC 3501 LIST: two arguments, neither a list, answered as it always
 * was; anything else is the extended form (imap_listx(), below).
 */
int
imap_list(struct imap *p, struct imapcmd *c)
{
	if (c->nargs == 2 && c->args->type != IMAPCMD_LIST &&
	    c->args->next->type != IMAPCMD_LIST)
		return imap_list_basic(p, c);
	return imap_list_extended(p, c);
}

static int
imap_list_basic(struct imap *p, struct imapcmd *c)
{
	struct list_out	 o;
	struct store_list l;
	size_t		 i;
	char		*w;
	int		 attrs;

	if (list_start(p, c, "LIST", &o) != 0)
		return 0;
	if (store_list(p->store, &l) == -1) {
		free(o.pattern);
		return imap_mailbox_fail(p, c, "LIST");
	}
	for (i = 0; i < l.n; i++) {
		if ((w = imap_list_wire_name(p, l.f[i].name)) == NULL)
			continue;
		attrs = imap_list_attrs(p, &l, i);
		if (imap_list_match(o.pattern, w))
			list_one(&o, l.f[i].name, attrs, l.f[i].special);
		free(w);
	}
	store_list_free(&l);
	free(o.pattern);
	return imap_ok(p, c, "LIST completed");
}

int
imap_list_subscribed(char **subs, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(subs[i], name) == 0 ||
		    (store_name_is_inbox(name) && store_name_is_inbox(subs[i])))
			return 1;
	return 0;
}

/*
 * RFC 3501 6.3.9: a name not subscribed whose subscribed inferior the
 * "%" wildcard left out is listed \Noselect.
 */
static int
lsub_hidden_child(struct list_out *o, char **subs, size_t n,
    const char *name)
{
	size_t	 i, len = strlen(name);
	char	*w;
	int	 hidden = 0;

	for (i = 0; i < n && !hidden; i++) {
		if (strncmp(subs[i], name, len) != 0 || subs[i][len] != '.')
			continue;
		if ((w = imap_list_wire_name(o->p, subs[i])) == NULL)
			continue;
		hidden = !imap_list_match(o->pattern, w);
		free(w);
	}
	return hidden;
}

/* Subscribed names that do not exist (RFC 3501 6.3.6): \Noselect. */
static void
lsub_missing(struct list_out *o, const struct store_list *l, char **subs,
    size_t nsubs)
{
	size_t	 i, k;
	char	*w;

	for (i = 0; i < nsubs; i++) {
		for (k = 0; k < l->n; k++)
			if (strcmp(l->f[k].name, subs[i]) == 0 ||
			    (store_name_is_inbox(subs[i]) &&
			    store_name_is_inbox(l->f[k].name)))
				break;
		if (k < l->n || (w = imap_list_wire_name(o->p, subs[i])) == NULL)
			continue;
		if (imap_list_match(o->pattern, w))
			list_one(o, subs[i], STORE_LIST_NOSELECT | LIST_BARE,
			    0);
		free(w);
	}
}

int
imap_lsub(struct imap *p, struct imapcmd *c)
{
	struct list_out	 o;
	struct store_list l;
	char		**subs, *w;
	size_t		 nsubs, i;
	int		 attrs;

	if (list_start(p, c, "LSUB", &o) != 0)
		return 0;
	if (store_subs(p->store, &subs, &nsubs) == -1) {
		free(o.pattern);
		return imap_mailbox_fail(p, c, "LSUB");
	}
	if (store_list(p->store, &l) == -1)
		memset(&l, 0, sizeof(l));
	for (i = 0; i < l.n; i++) {
		if ((w = imap_list_wire_name(p, l.f[i].name)) == NULL)
			continue;
		attrs = imap_list_attrs(p, &l, i);
		if (imap_list_subscribed(subs, nsubs, l.f[i].name)) {
			if (imap_list_match(o.pattern, w))
				list_one(&o, l.f[i].name, attrs,
				    l.f[i].special);
		} else if ((attrs & STORE_LIST_CHILDREN) &&
		    imap_list_match(o.pattern, w) &&
		    lsub_hidden_child(&o, subs, nsubs, l.f[i].name))
			list_one(&o, l.f[i].name, STORE_LIST_NOSELECT |
			    LIST_BARE, 0);
		free(w);
	}
	lsub_missing(&o, &l, subs, nsubs);
	store_list_free(&l);
	store_subs_free(subs, nsubs);
	free(o.pattern);
	return imap_ok(p, c, "LSUB completed");
}

