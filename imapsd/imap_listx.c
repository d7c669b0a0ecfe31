/*
 * The extended LIST (RFC 5258) with the STATUS return option
 * (LIST-STATUS, RFC 5819): every folder and subscription is gathered,
 * matched against each pattern (imap_list.c's matching), selected by
 * the options and answered once, in the store's order.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "imapsd.h"
#include "store.h"
#include "xmalloc.h"

#define LIST_PATTERNS_MAX	32	/* patterns of one extended LIST */
#define LIST_PATTERNS_OCTETS	4096	/* octets of them all, joined */

/*
 * The extended LIST (RFC 5258): selection options before the reference,
 * one pattern or a list of them, RETURN options after.  Selection:
 * SUBSCRIBED, SPECIAL-USE (RFC 6154 2), REMOTE (no remote mailboxes
 * here, so nothing more) and RECURSIVEMATCH, which needs SUBSCRIBED
 * (SPECIAL-USE is no base option: RFC 6154 6).  Return: SUBSCRIBED,
 * CHILDREN, SPECIAL-USE and STATUS (RFC 5819).  An option given twice
 * counts once, the first STATUS list is the one kept (RFC 5258 3).
 */
#define LX_SEL_SUBSCRIBED	0x001
#define LX_SEL_SPECIALUSE	0x002
#define LX_SEL_REMOTE		0x004
#define LX_SEL_RECURSIVE	0x008
#define LX_RET_SUBSCRIBED	0x010
#define LX_RET_CHILDREN		0x020
#define LX_RET_SPECIALUSE	0x040
#define LX_RET_STATUS		0x080

#define LISTX_USAGE	"LIST takes a reference and a mailbox pattern"

struct listx_opt {
	const char	*name;
	int		 bit;
};

static const struct listx_opt listx_select[] = {
	{ "SUBSCRIBED", LX_SEL_SUBSCRIBED },
	{ "SPECIAL-USE", LX_SEL_SPECIALUSE },
	{ "REMOTE", LX_SEL_REMOTE },
	{ "RECURSIVEMATCH", LX_SEL_RECURSIVE },
	{ NULL, 0 }
};

static const struct listx_opt listx_return[] = {
	{ "SUBSCRIBED", LX_RET_SUBSCRIBED },
	{ "CHILDREN", LX_RET_CHILDREN },
	{ "SPECIAL-USE", LX_RET_SPECIALUSE },
	{ "STATUS", LX_RET_STATUS },		/* and its list of items */
	{ NULL, 0 }
};

/* What a name is, and what the command made of it. */
#define LXE_EXISTS	0x01	/* a folder, so selectable */
#define LXE_SUBSCRIBED	0x02
#define LXE_TRIED	0x04	/* matched against the patterns */
#define LXE_MATCHES	0x08	/* a pattern matches it */
#define LXE_MEETS	0x10	/* it meets the selection options */
#define LXE_CHILD	0x20	/* an inferior meets them (RECURSIVEMATCH) */
#define LXE_CHILD_HIDDEN 0x40	/* ...one that no pattern matches */

/* A name the extended LIST may answer with. */
struct listx_entry {
	char			*name;		/* the store's */
	int			 attrs;		/* STORE_LIST_* */
	enum store_special	 special;
	int			 flags;		/* LXE_* */
};

struct listx {
	struct imap		*p;
	int			 opts;		/* LX_* */
	char			*pat[LIST_PATTERNS_MAX]; /* list_pattern()'s */
	size_t			 npat;
	size_t			 octets;	/* of pat[], for the limit */
	struct imap_status_items status;
	struct listx_entry	*e;		/* sorted as the store's list */
	size_t			 n, cap;
};

static int	listx_opts(struct listx *, struct imapcmd_node *,
		    const struct listx_opt *);
static const char *listx_pattern(struct listx *, const char *,
		    struct imapcmd_node *);
static int	listx_parse(struct listx *, struct imapcmd *);
static void	listx_add(struct listx *, const char *, int,
		    enum store_special, int);
static int	listx_cmp(const void *, const void *);
static void	listx_sort(struct listx *);
static struct listx_entry *listx_find(struct listx *, size_t, const char *);
static int	listx_load(struct listx *);
static void	listx_match(struct listx *);
static void	listx_select_all(struct listx *);
static void	listx_recurse(struct listx *);
static void	listx_attr(struct imapcmd_buf *, const char **, const char *);
static void	listx_one(struct listx *, const struct listx_entry *);
static void	listx_free(struct listx *);


/* An option list into x->opts; -1 on an option it does not know. */
static int
listx_opts(struct listx *x, struct imapcmd_node *list,
    const struct listx_opt *tab)
{
	struct imap_status_items	 si;
	struct imapcmd_node		*a;
	size_t				 i;

	for (a = list->child; a != NULL; a = a->next) {
		for (i = 0; tab[i].name != NULL; i++)
			if (imapcmd_atom_is(a, tab[i].name))
				break;
		if (tab[i].name == NULL)
			return -1;
		if (tab[i].bit == LX_RET_STATUS) {
			if ((a = a->next) == NULL ||
			    imap_status_items(a, &si) == -1)
				return -1;
			if (!(x->opts & LX_RET_STATUS))
				x->status = si;
		}
		x->opts |= tab[i].bit;
	}
	return 0;
}

/* One pattern joined to the reference; "" is none (RFC 5258 3). */
static const char *
listx_pattern(struct listx *x, const char *ref, struct imapcmd_node *n)
{
	const char	*pat;

	if (imap_list_arg(n, &pat) == -1)
		return LISTX_USAGE;
	if (*pat == '\0')
		return NULL;
	if ((x->pat[x->npat] = imap_list_pattern(ref, pat)) == NULL)
		return "LIST: the pattern is too long";
	x->octets += strlen(x->pat[x->npat++]);
	/* each folder is matched against each: bound the work */
	if (x->octets > LIST_PATTERNS_OCTETS)
		return "LIST: the patterns are too long";
	return NULL;
}

/*
 * RFC 5258 6: LIST [SP "(" options ")"] SP mailbox SP (list-mailbox /
 * "(" list-mailbox *(SP list-mailbox) ")") [SP "RETURN" SP "(" options
 * ")"].  The shape first, so that a malformed command gets the usage;
 * 0, or -1 after a BAD.
 */
static int
listx_parse(struct listx *x, struct imapcmd *c)
{
	struct imapcmd_node	*n = c->args, *sel = NULL, *pats, *ret = NULL;
	const char		*ref, *why = NULL;

	if (n != NULL && n->type == IMAPCMD_LIST) {
		sel = n;
		n = n->next;
	}
	if (n == NULL || imap_list_arg(n, &ref) == -1 || (pats = n->next) == NULL)
		return imap_bad(x->p, c, LISTX_USAGE);
	if ((n = pats->next) != NULL && (!imapcmd_atom_is(n, "RETURN") ||
	    (ret = n->next) == NULL || ret->type != IMAPCMD_LIST ||
	    ret->next != NULL))
		return imap_bad(x->p, c, LISTX_USAGE);
	if (pats->type != IMAPCMD_LIST)
		why = listx_pattern(x, ref, pats);
	else if (pats->nchild == 0)
		why = LISTX_USAGE;
	else if (pats->nchild > LIST_PATTERNS_MAX)
		return imap_bad(x->p, c, "LIST takes at most %d patterns",
		    LIST_PATTERNS_MAX);
	for (n = pats->child; why == NULL && n != NULL; n = n->next)
		why = listx_pattern(x, ref, n);
	if (why != NULL)
		return imap_bad(x->p, c, "%s", why);
	if (sel != NULL && listx_opts(x, sel, listx_select) == -1)
		return imap_bad(x->p, c, "LIST: unknown selection option");
	if (ret != NULL && listx_opts(x, ret, listx_return) == -1)
		return imap_bad(x->p, c, "LIST: unknown return option, or "
		    "STATUS without a list of MESSAGES RECENT UIDNEXT "
		    "UIDVALIDITY UNSEEN");
	if ((x->opts & LX_SEL_RECURSIVE) && !(x->opts & LX_SEL_SUBSCRIBED))
		return imap_bad(x->p, c, "LIST: RECURSIVEMATCH needs the "
		    "SUBSCRIBED selection option");
	return 0;
}

static void
listx_add(struct listx *x, const char *name, int attrs,
    enum store_special special, int flags)
{
	struct listx_entry	*e;

	if (x->n == x->cap) {
		x->cap = x->cap == 0 ? 64 : x->cap * 2;
		x->e = xreallocarray(x->e, x->cap, sizeof(*x->e));
	}
	e = &x->e[x->n++];
	e->name = xstrdup(name);
	e->attrs = attrs;
	e->special = special;
	e->flags = flags;
}

/* The store's order: INBOX first, then by name. */
static int
listx_cmp(const void *a, const void *b)
{
	const struct listx_entry *x = a, *y = b;

	if (store_name_is_inbox(x->name) != store_name_is_inbox(y->name))
		return store_name_is_inbox(x->name) ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Sorts the entries and makes those of one name one. */
static void
listx_sort(struct listx *x)
{
	struct listx_entry	*e;
	size_t			 i, o;

	qsort(x->e, x->n, sizeof(*x->e), listx_cmp);
	for (i = o = 0; i < x->n; i++) {
		e = &x->e[i];
		if (o > 0 && listx_cmp(&x->e[o - 1], e) == 0) {
			x->e[o - 1].attrs |= e->attrs;
			x->e[o - 1].flags |= e->flags;
			free(e->name);
			continue;
		}
		x->e[o++] = *e;
	}
	x->n = o;
}

/* The entry of name among the first nsorted, sorted ones. */
static struct listx_entry *
listx_find(struct listx *x, size_t nsorted, const char *name)
{
	struct listx_entry	key;

	if (nsorted == 0)
		return NULL;
	key.name = (char *)name;
	return bsearch(&key, x->e, nsorted, sizeof(key), listx_cmp);
}

/*
 * The store's folders (a missing parent is no folder), and the
 * subscribed names: marked, and added as names of their own when they
 * select (SUBSCRIBED); a return option adds no name (RFC 5258 3).
 */
static int
listx_load(struct listx *x)
{
	struct store_list	 l;
	struct listx_entry	*e;
	char			**subs;
	const char		*name;
	size_t			 nsubs, nstore, i;

	if (store_list(x->p->store, &l) == -1)
		return -1;
	for (i = 0; i < l.n; i++)
		listx_add(x, l.f[i].name, imap_list_attrs(x->p, &l, i),
		    l.f[i].special, (l.f[i].attrs & STORE_LIST_NOSELECT) ?
		    0 : LXE_EXISTS);
	store_list_free(&l);
	if (!(x->opts & (LX_SEL_SUBSCRIBED | LX_RET_SUBSCRIBED)))
		return 0;
	if (store_subs(x->p->store, &subs, &nsubs) == -1)
		return -1;
	nstore = x->n;
	for (i = 0; i < nsubs; i++) {
		name = store_name_is_inbox(subs[i]) ? "INBOX" : subs[i];
		if ((e = listx_find(x, nstore, name)) != NULL)
			e->flags |= LXE_SUBSCRIBED;
		else if (x->opts & LX_SEL_SUBSCRIBED)
			listx_add(x, name, 0, STORE_SPECIAL_NONE,
			    LXE_SUBSCRIBED);
	}
	store_subs_free(subs, nsubs);
	listx_sort(x);
	return 0;
}

/* Each entry not tried yet against the patterns. */
static void
listx_match(struct listx *x)
{
	struct listx_entry	*e;
	size_t			 i, k;
	char			*w;

	for (i = 0; i < x->n; i++) {
		e = &x->e[i];
		if (e->flags & LXE_TRIED)
			continue;
		e->flags |= LXE_TRIED;
		if ((w = imap_list_wire_name(x->p, e->name)) == NULL)
			continue;
		for (k = 0; k < x->npat; k++)
			if (imap_list_match(x->pat[k], w)) {
				e->flags |= LXE_MATCHES;
				break;
			}
		free(w);
	}
}

/*
 * Every selection option must hold (RFC 5258 3).  With none, every name
 * of the store does, a missing parent too (\NonExistent \HasChildren:
 * RFC 5258 3.5).
 */
static void
listx_select_all(struct listx *x)
{
	struct listx_entry	*e;
	size_t			 i;

	for (i = 0; i < x->n; i++) {
		e = &x->e[i];
		if ((x->opts & LX_SEL_SUBSCRIBED) &&
		    !(e->flags & LXE_SUBSCRIBED))
			continue;
		if ((x->opts & LX_SEL_SPECIALUSE) &&
		    (!(e->flags & LXE_EXISTS) ||
		    e->special == STORE_SPECIAL_NONE))
			continue;
		e->flags |= LXE_MEETS;
	}
}

/*
 * RECURSIVEMATCH (RFC 5258 3.5): every parent of a name that meets the
 * options learns it has such an inferior, and whether the patterns
 * leave that one out; a parent that is neither a folder nor subscribed
 * ("a" of a subscribed "a.b" with no folder "a") comes in as a name of
 * its own.  Under courier's "INBOX." INBOX is every folder's parent.
 */
static void
listx_recurse(struct listx *x)
{
	struct listx_entry	*up;
	size_t			 i, nsorted = x->n;
	char			*name, *dot;
	int			 mark, courier = *x->p->conf->ns_prefix != '\0';

	for (i = 0; i < nsorted; i++) {
		if (!(x->e[i].flags & LXE_MEETS))
			continue;
		mark = LXE_CHILD | ((x->e[i].flags & LXE_MATCHES) ? 0 :
		    LXE_CHILD_HIDDEN);
		name = xstrdup(x->e[i].name);
		if (courier && !store_name_is_inbox(name) &&
		    (up = listx_find(x, nsorted, "INBOX")) != NULL)
			up->flags |= mark;
		while ((dot = strrchr(name, '.')) != NULL) {
			*dot = '\0';
			if ((up = listx_find(x, nsorted, name)) != NULL)
				up->flags |= mark;
			else
				listx_add(x, name, 0, STORE_SPECIAL_NONE, mark);
		}
		free(name);
	}
	if (x->n > nsorted) {
		listx_sort(x);
		listx_match(x);
	}
}

static void
listx_attr(struct imapcmd_buf *b, const char **sp, const char *attr)
{
	imapcmd_buf_printf(b, "%s%s", *sp, attr);
	*sp = " ";
}

/*
 * One LIST line, and the STATUS after it for a folder that meets the
 * options (RFC 5819 2): looked up first, so that a folder gone
 * meanwhile is listed \Noselect without one; a STATUS the store cannot
 * give for another reason is left out, and logged.
 */
static void
listx_one(struct listx *x, const struct listx_entry *e)
{
	struct store_status	 s;
	struct imapcmd_buf	 b;
	const char		*sp = "";
	int			 exists = e->flags & LXE_EXISTS, status = 0;

	if ((x->opts & LX_RET_STATUS) && exists && (e->flags & LXE_MEETS)) {
		if (imap_status_get(x->p, e->name, &s) == 0)
			status = 1;
		else if (errno == ENOENT)
			exists = 0;
		else
			imap_log(x->p, "event=store-error command=LIST "
			    "error=\"%s\"", strerror(errno));
	}
	imapcmd_buf_init(&b, 0);
	imapcmd_buf_add(&b, "LIST (", 6);
	if (!(e->flags & LXE_EXISTS))
		listx_attr(&b, &sp, "\\NonExistent");
	else if (!exists)
		listx_attr(&b, &sp, "\\Noselect");
	if ((x->opts & LX_RET_CHILDREN) ||
	    (!(e->flags & LXE_EXISTS) && (e->attrs & STORE_LIST_CHILDREN)))
		listx_attr(&b, &sp, (e->attrs & STORE_LIST_CHILDREN) ?
		    "\\HasChildren" : "\\HasNoChildren");
	if ((x->opts & (LX_SEL_SUBSCRIBED | LX_RET_SUBSCRIBED)) &&
	    (e->flags & LXE_SUBSCRIBED))
		listx_attr(&b, &sp, "\\Subscribed");
	if ((x->opts & (LX_SEL_SPECIALUSE | LX_RET_SPECIALUSE)) && exists &&
	    e->special != STORE_SPECIAL_NONE)
		listx_attr(&b, &sp, store_special_attr(e->special));
	imapcmd_buf_add(&b, ") \".\" ", 6);
	if (imap_mailbox_put(x->p, &b, e->name) == 0) {
		if (e->flags & LXE_CHILD)
			imapcmd_buf_printf(&b, " (\"CHILDINFO\" "
			    "(\"SUBSCRIBED\"))");
		imap_untagged_buf(x->p, &b);
		if (status)
			imap_status_send(x->p, e->name, &x->status, &s);
	}
	imapcmd_buf_free(&b);
}

static void
listx_free(struct listx *x)
{
	size_t	i;

	for (i = 0; i < x->npat; i++)
		free(x->pat[i]);
	for (i = 0; i < x->n; i++)
		free(x->e[i].name);
	free(x->e);
}

/*
 * A name is answered when a pattern matches it and it meets the
 * selection options, or (RECURSIVEMATCH) when an inferior meeting them
 * is one the patterns leave out; a parent whose inferiors are all
 * answered anyway is left out (RFC 5258 3.5).  Nothing else (the
 * return options) adds a name.
 */
int
imap_list_extended(struct imap *p, struct imapcmd *c)
{
	struct listx		 x;
	const struct listx_entry *e;
	size_t			 i;
	int			 e_errno;

	memset(&x, 0, sizeof(x));
	x.p = p;
	if (listx_parse(&x, c) == -1) {
		listx_free(&x);
		return -1;
	}
	if (x.npat > 0 && listx_load(&x) == -1) {
		e_errno = errno;
		listx_free(&x);
		errno = e_errno;
		return imap_mailbox_fail(p, c, "LIST");
	}
	listx_match(&x);
	listx_select_all(&x);
	if (x.opts & LX_SEL_RECURSIVE)
		listx_recurse(&x);
	for (i = 0; i < x.n; i++) {
		e = &x.e[i];
		if ((e->flags & LXE_MATCHES) &&
		    (e->flags & (LXE_MEETS | LXE_CHILD_HIDDEN)))
			listx_one(&x, e);
	}
	listx_free(&x);
	return imap_ok(p, c, "LIST completed");
}
