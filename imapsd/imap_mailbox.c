/*
 * The folder commands of the authenticated and selected states: CREATE,
 * DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, STATUS and NAMESPACE (RFC
 * 3501, 2342), and what every command naming a mailbox shares: the
 * wire name (personal namespace prefix, modified UTF-7, "." separator)
 * to and from the store's UTF-8 name.  LIST and LSUB are in
 * imap_list.c.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapsd.h"
#include "iobuf.h"
#include "maildir.h"
#include "mutf7.h"
#include "store.h"
#include "xmalloc.h"

/* STATUS items (RFC 3501 6.3.10). */
enum status_item {
	STATUS_MESSAGES,
	STATUS_RECENT,
	STATUS_UIDNEXT,
	STATUS_UIDVALIDITY,
	STATUS_UNSEEN,
	STATUS_NITEMS
};
_Static_assert(STATUS_NITEMS == IMAP_STATUS_ITEMS, "IMAP_STATUS_ITEMS");

static const char *const status_names[STATUS_NITEMS] = {
	"MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN"
};

static char	*wire_decode(struct imap *, const char *, int, const char **);
static const char *name_problem(const char *, size_t);
static char	*mailbox_arg(struct imap *, struct imapcmd *,
		    struct imapcmd_node *, int);
static int	is_selected(struct imap *, const char *);
static void	status_selected(struct imap *, struct store_status *);
static uint32_t	status_value(const struct store_status *, int);
static int	imap_create(struct imap *, struct imapcmd *);
static int	imap_delete(struct imap *, struct imapcmd *);
static int	imap_rename(struct imap *, struct imapcmd *);
static int	imap_subscribe(struct imap *, struct imapcmd *);
static int	imap_unsubscribe(struct imap *, struct imapcmd *);
static int	imap_status(struct imap *, struct imapcmd *);
static int	imap_namespace(struct imap *, struct imapcmd *);

const struct imap_command imap_mailbox_commands[] = {
	{ "CREATE", IMAP_AUTH | IMAP_SELECTED, imap_create },
	{ "DELETE", IMAP_AUTH | IMAP_SELECTED, imap_delete },
	{ "RENAME", IMAP_AUTH | IMAP_SELECTED, imap_rename },
	{ "SUBSCRIBE", IMAP_AUTH | IMAP_SELECTED, imap_subscribe },
	{ "UNSUBSCRIBE", IMAP_AUTH | IMAP_SELECTED, imap_unsubscribe },
	{ "LIST", IMAP_AUTH | IMAP_SELECTED, imap_list },
	{ "LSUB", IMAP_AUTH | IMAP_SELECTED, imap_lsub },
	{ "STATUS", IMAP_AUTH | IMAP_SELECTED, imap_status },
	{ "NAMESPACE", IMAP_AUTH | IMAP_SELECTED, imap_namespace },
	{ NULL, 0, NULL }
};

/*
 * Why a decoded name (wirelen octets in modified UTF-7) may not reach
 * the disk, in words; store_name_valid() has the last say.
 */
static const char *
name_problem(const char *name, size_t wirelen)
{
	const unsigned char	*s = (const unsigned char *)name;
	size_t			 len = strlen(name);

	if (len == 0)
		return "empty mailbox name";
	if (len > STORE_NAME_MAX || wirelen + 1 > MAILDIR_FOLDER_MAX)
		return "mailbox name too long";
	if (strchr(name, '/') != NULL)
		return "\"/\" in a mailbox name";
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s == 0x7f)
			return "control character in a mailbox name";
	if (name[0] == '.')
		return "mailbox name starts with the separator";
	if (name[len - 1] == '.')
		return "mailbox name ends with the separator";
	if (strstr(name, "..") != NULL)
		return "empty level in a mailbox name";
	if (!store_name_is_inbox(name) && strncasecmp(name, "INBOX.", 6) == 0)
		return "INBOX holds no folders in this namespace";
	if (store_name_valid(name) == -1)
		return "invalid mailbox name";
	return NULL;
}

/*
 * The wire name (INBOX already upper case) as the store's name.  create
 * allows one trailing separator (RFC 3501 6.3.3) and refuses wildcards.
 */
static char *
wire_decode(struct imap *p, const char *wire, int create, const char **why)
{
	const char	*prefix = p->conf->ns_prefix, *errstr;
	size_t		 plen = strlen(prefix), len;
	char		*copy, *name;

	if (strcmp(wire, "INBOX") == 0 || (create && plen == 0 &&
	    strcmp(wire, "INBOX.") == 0))
		return xstrdup("INBOX");
	if (plen > 0) {
		if (strncmp(wire, prefix, plen) != 0) {
			*why = "name outside the personal namespace \"INBOX.\"";
			return NULL;
		}
		wire += plen;
		if (*wire == '\0' && create)
			return xstrdup("INBOX");
		if (store_name_is_inbox(wire) ||
		    strncasecmp(wire, "INBOX.", 6) == 0) {
			*why = "the name INBOX is reserved";
			return NULL;
		}
	}
	copy = xstrdup(wire);
	len = strlen(copy);
	if (create && len > 1 && copy[len - 1] == '.' && copy[len - 2] != '.')
		copy[len - 1] = '\0';
	if (create && strpbrk(copy, "*%") != NULL) {
		free(copy);
		*why = "wildcard in a mailbox name";
		return NULL;
	}
	len = strlen(copy);
	name = mutf7_decode(copy, len, &errstr);
	free(copy);
	if (name == NULL) {
		*why = errstr;
		return NULL;
	}
	if ((*why = name_problem(name, len)) != NULL) {
		free(name);
		return NULL;
	}
	return name;
}

char *
imap_mailbox_name(struct imap *p, struct imapcmd_node *n, const char **why)
{
	const char	*wire;

	if (imapcmd_mailbox(n, '.', &wire) == -1) {
		*why = "mailbox name is not an astring";
		return NULL;
	}
	return wire_decode(p, wire, 0, why);
}

/* A mailbox argument, or NULL after a BAD or NO. */
static char *
mailbox_arg(struct imap *p, struct imapcmd *c, struct imapcmd_node *n,
    int create)
{
	const char	*wire, *why;
	char		*name;

	if (imapcmd_mailbox(n, '.', &wire) == -1) {
		imap_bad(p, c, "%s: the mailbox name is not an astring",
		    c->name);
		return NULL;
	}
	if ((name = wire_decode(p, wire, create, &why)) == NULL)
		imap_no(p, c, "[CANNOT] %s", why);
	return name;
}

int
imap_mailbox_put(struct imap *p, struct imapcmd_buf *b, const char *name)
{
	const char	*errstr;
	char		*enc, *full;
	int		 rv;

	if (store_name_is_inbox(name))
		return imapcmd_put_string(b, "INBOX", 5, 0);
	if ((enc = mutf7_encode(name, strlen(name), &errstr)) == NULL) {
		errno = EINVAL;
		return -1;
	}
	xasprintf(&full, "%s%s", p->conf->ns_prefix, enc);
	rv = imapcmd_put_string(b, full, strlen(full), 0);
	free(enc);
	free(full);
	return rv;
}

int
imap_mailbox_fail(struct imap *p, struct imapcmd *c, const char *what)
{
	int	e = errno;

	switch (e) {
	case ENOENT:
		return imap_no(p, c, "[NONEXISTENT] %s: no such mailbox",
		    what);
	case EEXIST:
		return imap_no(p, c, "[ALREADYEXISTS] %s: the mailbox "
		    "already exists", what);
	case EINVAL:
	case EPERM:
	case ENAMETOOLONG:
		return imap_no(p, c, "[CANNOT] %s: not allowed", what);
	case EACCES:
		return imap_no(p, c, "[NOPERM] %s: permission denied", what);
	case ENOSPC:
	case EDQUOT:
		return imap_no(p, c, "[LIMIT] %s: a limit was reached", what);
	default:
		imap_log(p, "event=store-error command=%s error=\"%s\"",
		    c->name, strerror(e));
		return imap_no(p, c, "[SERVERBUG] %s: internal error", what);
	}
}

static int
imap_create(struct imap *p, struct imapcmd *c)
{
	char	*name;

	if (c->nargs != 1)
		return imap_bad(p, c, "CREATE takes a mailbox name");
	if ((name = mailbox_arg(p, c, c->args, 1)) == NULL)
		return 0;
	if (store_name_is_inbox(name)) {
		free(name);
		return imap_no(p, c, "[ALREADYEXISTS] CREATE: INBOX always "
		    "exists");
	}
	if (store_create(p->store, name) == -1)
		imap_mailbox_fail(p, c, "CREATE");
	else
		imap_ok(p, c, "CREATE completed");
	free(name);
	return 0;
}

/*
 * RFC 3501 6.3.4: a name with inferiors may be deleted (its messages
 * go, the name stays \Noselect), unless it is \Noselect already.
 */
static int
imap_delete(struct imap *p, struct imapcmd *c)
{
	struct store_list	 l;
	size_t			 i;
	char			*name;
	int			 noselect_parent = 0;

	if (c->nargs != 1)
		return imap_bad(p, c, "DELETE takes a mailbox name");
	if ((name = mailbox_arg(p, c, c->args, 0)) == NULL)
		return 0;
	if (store_name_is_inbox(name)) {
		free(name);
		return imap_no(p, c, "[CANNOT] DELETE: INBOX cannot be "
		    "deleted");
	}
	if (!store_exists(p->store, name) && store_list(p->store, &l) == 0) {
		for (i = 0; i < l.n; i++)
			if (strcmp(l.f[i].name, name) == 0 &&
			    (l.f[i].attrs & STORE_LIST_CHILDREN))
				noselect_parent = 1;
		store_list_free(&l);
	}
	if (noselect_parent)
		imap_no(p, c, "[CANNOT] DELETE: the name is \\Noselect and has "
		    "inferior names");
	else if (store_delete(p->store, name) == -1)
		imap_mailbox_fail(p, c, "DELETE");
	else
		imap_ok(p, c, "DELETE completed");
	free(name);
	return 0;
}

static int
imap_rename(struct imap *p, struct imapcmd *c)
{
	char	*from, *to = NULL;

	if (c->nargs != 2)
		return imap_bad(p, c, "RENAME takes two mailbox names");
	if ((from = mailbox_arg(p, c, c->args, 0)) == NULL)
		return 0;
	if ((to = mailbox_arg(p, c, c->args->next, 1)) == NULL)
		goto done;
	if (!store_name_is_inbox(from) && !store_exists(p->store, from)) {
		errno = ENOENT;
		imap_mailbox_fail(p, c, "RENAME");
	} else if (store_name_is_inbox(to)) {
		imap_no(p, c, "[ALREADYEXISTS] RENAME: INBOX always exists");
	} else if (store_rename(p->store, from, to) == -1) {
		if (errno == EINVAL)
			imap_no(p, c, "[CANNOT] RENAME: a mailbox cannot move "
			    "below itself");
		else
			imap_mailbox_fail(p, c, "RENAME");
	} else
		imap_ok(p, c, "RENAME completed");
done:
	free(from);
	free(to);
	return 0;
}

/* RFC 3501 6.3.6: any valid name, existing or not. */
static int
imap_subscribe(struct imap *p, struct imapcmd *c)
{
	char	*name;

	if (c->nargs != 1)
		return imap_bad(p, c, "SUBSCRIBE takes a mailbox name");
	if ((name = mailbox_arg(p, c, c->args, 0)) == NULL)
		return 0;
	if (store_subscribe(p->store, name, 1) == -1)
		imap_mailbox_fail(p, c, "SUBSCRIBE");
	else
		imap_ok(p, c, "SUBSCRIBE completed");
	free(name);
	return 0;
}

static int
imap_unsubscribe(struct imap *p, struct imapcmd *c)
{
	char	*name;

	if (c->nargs != 1)
		return imap_bad(p, c, "UNSUBSCRIBE takes a mailbox name");
	if ((name = mailbox_arg(p, c, c->args, 0)) == NULL)
		return 0;
	if (store_subscribe(p->store, name, 0) == -1)
		imap_mailbox_fail(p, c, "UNSUBSCRIBE");
	else
		imap_ok(p, c, "UNSUBSCRIBE completed");
	free(name);
	return 0;
}

static int
is_selected(struct imap *p, const char *name)
{
	if (p->mbox == NULL || p->mbox->name == NULL)
		return 0;
	if (store_name_is_inbox(name))
		return store_name_is_inbox(p->mbox->name);
	return strcmp(p->mbox->name, name) == 0;
}

/*
 * RFC 3501 6.3.10 note: STATUS of the selected mailbox answers what
 * this session sees, as LIST RETURN (STATUS) must (RFC 5819): the last
 * EXISTS and RECENT sent, its \Recent messages that left new/ when it
 * selected, and the messages others expunged that it has not been told
 * of yet (STORE_M_GONE, still numbered).
 */
static void
status_selected(struct imap *p, struct store_status *s)
{
	const struct mbox	*mb = p->mbox;
	size_t			 i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < mb->n; i++) {
		s->messages++;
		if (!(mb->msgs[i].flags & STORE_SEEN))
			s->unseen++;
		if (mb->msgs[i].flags & STORE_RECENT)
			s->recent++;
	}
	s->uidnext = mb->uidnext;
	s->uidvalidity = mb->uidvalidity;
}

int
imap_status_items(struct imapcmd_node *list, struct imap_status_items *si)
{
	struct imapcmd_node	*a;
	size_t			 i;

	si->n = 0;
	if (list == NULL || list->type != IMAPCMD_LIST || list->nchild == 0)
		return -1;
	for (a = list->child; a != NULL; a = a->next) {
		for (i = 0; i < STATUS_NITEMS; i++)
			if (imapcmd_atom_is(a, status_names[i]))
				break;
		if (i == STATUS_NITEMS || si->n >= IMAP_STATUS_ITEMS)
			return -1;
		si->item[si->n++] = (int)i;
	}
	return 0;
}

static uint32_t
status_value(const struct store_status *s, int item)
{
	switch (item) {
	case STATUS_MESSAGES:
		return s->messages;
	case STATUS_RECENT:
		return s->recent;
	case STATUS_UIDNEXT:
		return s->uidnext;
	case STATUS_UIDVALIDITY:
		return s->uidvalidity;
	default:
		return s->unseen;
	}
}

int
imap_status_get(struct imap *p, const char *name, struct store_status *s)
{
	if (is_selected(p, name)) {
		status_selected(p, s);
		return 0;
	}
	return store_status(p->store, name, s);
}

void
imap_status_send(struct imap *p, const char *name,
    const struct imap_status_items *si, const struct store_status *s)
{
	struct imapcmd_buf	 b;
	size_t			 i;

	imapcmd_buf_init(&b, 0);
	imapcmd_buf_add(&b, "STATUS ", 7);
	if (imap_mailbox_put(p, &b, name) == 0) {
		for (i = 0; i < si->n; i++)
			imapcmd_buf_printf(&b, "%s%s %u", i == 0 ? " (" : " ",
			    status_names[si->item[i]],
			    status_value(s, si->item[i]));
		imapcmd_buf_add(&b, ")", 1);
		imap_untagged_buf(p, &b);
	}
	imapcmd_buf_free(&b);
}

static int
imap_status(struct imap *p, struct imapcmd *c)
{
	struct imap_status_items si;
	struct store_status	 s;
	char			*name;

	if (c->nargs != 2 || imap_status_items(c->args->next, &si) == -1)
		return imap_bad(p, c, "STATUS takes a mailbox name and a list "
		    "of MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN");
	if ((name = mailbox_arg(p, c, c->args, 0)) == NULL)
		return 0;
	if (imap_status_get(p, name, &s) == -1) {
		imap_mailbox_fail(p, c, "STATUS");
		free(name);
		return 0;
	}
	imap_status_send(p, name, &si, &s);
	free(name);
	return imap_ok(p, c, "STATUS completed");
}

/* RFC 2342: one personal namespace, no other users', no shared. */
static int
imap_namespace(struct imap *p, struct imapcmd *c)
{
	if (c->nargs != 0)
		return imap_bad(p, c, "NAMESPACE takes no argument");
	imap_untagged(p, "NAMESPACE ((\"%s\" \".\")) NIL NIL",
	    p->conf->ns_prefix);
	return imap_ok(p, c, "NAMESPACE completed");
}
