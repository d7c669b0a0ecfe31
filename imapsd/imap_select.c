/*
 * The selected state (RFC 3501 6.3.1-2, 6.4.1-2, RFC 3691): SELECT and
 * EXAMINE, CLOSE, UNSELECT, CHECK, the UID command, and the untagged
 * updates that tell the client what other processes did to its folder.
 * FETCH is in imap_fetch.c.  Every entry to and exit from the selected
 * state goes through select_enter() and select_leave().
 */

#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "imapsd.h"
#include "log.h"
#include "store.h"
#include "xmalloc.h"

enum select_name_result {
	SELECT_NAME_OK,
	SELECT_NAME_BAD,	/* not an astring: BAD */
	SELECT_NAME_NONE	/* no folder can have that name: NO */
};

static enum select_name_result select_name(struct imap *,
		    struct imapcmd_node *, char **);
static int	select_open(struct imap *, struct imapcmd *, int readonly);
static void	select_enter(struct imap *, struct mbox *, int readonly);
static void	select_leave(struct imap *, int expunge);
static void	select_flag_list(struct imap *, struct imapcmd_buf *, int);
static void	select_flags(struct imap *, int);
static void	select_answer(struct imap *);
static void	select_changed(struct imap *, const struct store_changes *,
		    int);
static int	imap_select(struct imap *, struct imapcmd *);
static int	imap_examine(struct imap *, struct imapcmd *);
static int	imap_close(struct imap *, struct imapcmd *);
static int	imap_unselect(struct imap *, struct imapcmd *);
static int	imap_check(struct imap *, struct imapcmd *);
static int	imap_uid(struct imap *, struct imapcmd *);

const struct imap_command imap_select_commands[] = {
	{ "SELECT", IMAP_AUTH | IMAP_SELECTED, imap_select },
	{ "EXAMINE", IMAP_AUTH | IMAP_SELECTED, imap_examine },
	{ "CLOSE", IMAP_SELECTED, imap_close },
	{ "UNSELECT", IMAP_SELECTED, imap_unselect },
	{ "CHECK", IMAP_SELECTED, imap_check },
	{ "FETCH", IMAP_SELECTED, imap_fetch },
	{ "UID", IMAP_SELECTED, imap_uid },
	{ NULL, 0, NULL }
};

/*
 * The store's name (UTF-8, no namespace prefix) of a mailbox argument,
 * as imap_mailbox_name() reads every name; *out is to free().
 */
static enum select_name_result
select_name(struct imap *p, struct imapcmd_node *n, char **out)
{
	const char	*s, *why;

	*out = NULL;
	if (imapcmd_mailbox(n, '.', &s) == -1)
		return SELECT_NAME_BAD;
	if ((*out = imap_mailbox_name(p, n, &why)) == NULL)
		return SELECT_NAME_NONE;
	return SELECT_NAME_OK;
}

static void
select_enter(struct imap *p, struct mbox *mb, int readonly)
{
	p->mbox = mb;
	p->readonly = readonly;
	p->exists = (uint32_t)mb->n;
	p->recent = (uint32_t)mb->nrecent;
	p->state = IMAP_SELECTED;
	log_debug("imap session=%s event=select folder=%s mode=%s",
	    p->info->id, mb->name, readonly ? "ro" : "rw");
}

/* CLOSE expunges (silently), UNSELECT and SELECT do not. */
static void
select_leave(struct imap *p, int expunge)
{
	struct store_changes	ch;

	if (expunge) {
		if (store_expunge(p->mbox, NULL, 0, &ch) == -1)
			imap_log(p, "event=expunge folder=%s error=\"%s\"",
			    p->mbox->name, strerror(errno));
		store_changes_free(&ch);
	}
	log_debug("imap session=%s event=unselect folder=%s", p->info->id,
	    p->mbox->name);
	store_mbox_close(p->mbox);
	p->mbox = NULL;
	p->readonly = 0;
	p->exists = p->recent = 0;
	p->state = IMAP_AUTH;
}

/* The system flags and the folder's keywords, \* when more may come. */
static void
select_flag_list(struct imap *p, struct imapcmd_buf *b, int perm)
{
	const struct store_kwtab	*kw = &p->mbox->kw;
	size_t				 i;

	imapcmd_buf_printf(b, "(\\Answered \\Flagged \\Deleted \\Seen "
	    "\\Draft");
	for (i = 0; i < kw->n; i++)
		imapcmd_buf_printf(b, " %s", kw->name[i]);
	if (perm && kw->n < STORE_KEYWORDS_MAX)
		imapcmd_buf_printf(b, " \\*");
	imapcmd_buf_add(b, ")", 1);
}

/* The FLAGS response, and PERMANENTFLAGS after it when asked. */
static void
select_flags(struct imap *p, int permanent)
{
	struct imapcmd_buf	b;

	imapcmd_buf_init(&b, 0);
	select_flag_list(p, &b, 0);
	imap_untagged(p, "FLAGS %.*s", (int)b.len, b.data);
	if (permanent && p->readonly)
		imap_untagged(p, "OK [PERMANENTFLAGS ()] Read-only mailbox.");
	else if (permanent) {
		b.len = 0;
		select_flag_list(p, &b, 1);
		imap_untagged(p, "OK [PERMANENTFLAGS %.*s] Flags permitted.",
		    (int)b.len, b.data);
	}
	imapcmd_buf_free(&b);
}

/* What SELECT and EXAMINE say of the folder, as Dovecot orders it. */
static void
select_answer(struct imap *p)
{
	const struct mbox	*mb = p->mbox;
	size_t			 i;

	select_flags(p, 1);
	imap_untagged(p, "%zu EXISTS", mb->n);
	imap_untagged(p, "%zu RECENT", mb->nrecent);
	for (i = 0; i < mb->n; i++)
		if (!(mb->msgs[i].flags & STORE_SEEN)) {
			imap_untagged(p, "OK [UNSEEN %zu] First unseen.",
			    i + 1);
			break;
		}
	imap_untagged(p, "OK [UIDVALIDITY %u] UIDs valid", mb->uidvalidity);
	imap_untagged(p, "OK [UIDNEXT %u] Predicted next UID", mb->uidnext);
}

static int
select_open(struct imap *p, struct imapcmd *c, int readonly)
{
	const char	*verb = readonly ? "EXAMINE" : "SELECT";
	struct mbox	*mb;
	char		*name;

	if (c->nargs != 1)
		return imap_bad(p, c, "%s takes one mailbox name", verb);
	if (select_name(p, c->args, &name) == SELECT_NAME_BAD)
		return imap_bad(p, c, "invalid mailbox name");
	if (p->mbox != NULL) {
		select_leave(p, 0);
		imap_untagged(p, "OK [CLOSED] Previous mailbox closed.");
	}
	if (name == NULL)
		return imap_no(p, c, "[NONEXISTENT] Mailbox doesn't exist");
	if (store_mbox_open(p->store, name, readonly, &mb) == -1) {
		if (errno == ENOENT || errno == EINVAL) {
			free(name);
			return imap_no(p, c, "[NONEXISTENT] Mailbox doesn't "
			    "exist");
		}
		imap_log(p, "event=select folder=%s error=\"%s\"", name,
		    strerror(errno));
		free(name);
		return imap_no(p, c, "[UNAVAILABLE] %s failed: the mailbox "
		    "cannot be opened", verb);
	}
	free(name);
	select_enter(p, mb, readonly);
	select_answer(p);
	return imap_ok(p, c, "[%s] %s completed", readonly ? "READ-ONLY" :
	    "READ-WRITE", verb);
}

static int
imap_select(struct imap *p, struct imapcmd *c)
{
	return select_open(p, c, 0);
}

static int
imap_examine(struct imap *p, struct imapcmd *c)
{
	return select_open(p, c, 1);
}

static int
imap_close(struct imap *p, struct imapcmd *c)
{
	if (c->nargs != 0)
		return imap_bad(p, c, "CLOSE takes no argument");
	select_leave(p, !p->readonly);
	return imap_ok(p, c, "CLOSE completed");
}

static int
imap_unselect(struct imap *p, struct imapcmd *c)
{
	if (c->nargs != 0)
		return imap_bad(p, c, "UNSELECT takes no argument");
	select_leave(p, 0);
	return imap_ok(p, c, "UNSELECT completed");
}

/* RFC 3501 6.4.1: a checkpoint; for a Maildir, the cache written. */
static int
imap_check(struct imap *p, struct imapcmd *c)
{
	if (c->nargs != 0)
		return imap_bad(p, c, "CHECK takes no argument");
	if (p->mbox->cache_dirty && store_cache_write(p->mbox) == -1)
		imap_log(p, "event=cache-write folder=%s error=\"%s\"",
		    p->mbox->name, strerror(errno));
	imap_select_update(p, 0);
	return imap_ok(p, c, "CHECK completed");
}

/* UID FETCH, UID SEARCH (imap_search.c), and the others as they come. */
static int
imap_uid(struct imap *p, struct imapcmd *c)
{
	if (c->nargs < 1 || c->args->type != IMAPCMD_ATOM)
		return imap_bad(p, c, "UID needs a command");
	if (imapcmd_atom_is(c->args, "FETCH"))
		return imap_fetch_run(p, c, c->args->next, c->nargs - 1, 1);
	if (imapcmd_atom_is(c->args, "SEARCH"))
		return imap_search_run(p, c, c->args->next, 1);
	/* imap_store.c, imap_copy.c */
	if (imapcmd_atom_is(c->args, "STORE"))
		return imap_store_run(p, c, c->args->next, c->nargs - 1, 1);
	if (imapcmd_atom_is(c->args, "EXPUNGE"))
		return imap_expunge_run(p, c, c->args->next, c->nargs - 1, 1);
	if (imapcmd_atom_is(c->args, "COPY"))
		return imap_copy_run(p, c, c->args->next, c->nargs - 1, 1, 0);
	if (imapcmd_atom_is(c->args, "MOVE"))
		return imap_copy_run(p, c, c->args->next, c->nargs - 1, 1, 1);
	return imap_bad(p, c, "unknown UID command");
}

/* The flags of message seq as a parenthesized list, for FETCH FLAGS. */
void
imap_select_msgflags(struct imap *p, uint32_t seq, struct imapcmd_buf *b)
{
	static const struct {
		unsigned	 bit;
		const char	*name;
	} flags[] = {
		{ STORE_ANSWERED, "\\Answered" },
		{ STORE_FLAGGED, "\\Flagged" },
		{ STORE_DELETED, "\\Deleted" },
		{ STORE_SEEN, "\\Seen" },
		{ STORE_DRAFT, "\\Draft" },
		{ STORE_RECENT, "\\Recent" }
	};
	const struct store_msg	*m = &p->mbox->msgs[seq - 1];
	const char		*sep = "";
	size_t			 i;

	imapcmd_buf_add(b, "(", 1);
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (m->flags & flags[i].bit) {
			imapcmd_buf_printf(b, "%s%s", sep, flags[i].name);
			sep = " ";
		}
	for (i = 0; i < p->mbox->kw.n && i < 64; i++)
		if (m->keywords & ((uint64_t)1 << i)) {
			imapcmd_buf_printf(b, "%s%s", sep, p->mbox->kw.name[i]);
			sep = " ";
		}
	imapcmd_buf_add(b, ")", 1);
}

/* "* n FETCH (FLAGS (...))" for messages others changed. */
static void
select_changed(struct imap *p, const struct store_changes *ch, int uid)
{
	struct imapcmd_buf	b;
	uint32_t		seq;
	size_t			i;

	imapcmd_buf_init(&b, 0);
	for (i = 0; i < ch->nchanged; i++) {
		seq = ch->changed[i];
		if (seq == 0 || seq > p->mbox->n ||
		    (p->mbox->msgs[seq - 1].flags & STORE_M_GONE))
			continue;
		b.len = 0;
		imap_select_msgflags(p, seq, &b);
		if (uid)
			imap_untagged(p, "%u FETCH (UID %u FLAGS %.*s)", seq,
			    p->mbox->msgs[seq - 1].uid, (int)b.len, b.data);
		else
			imap_untagged(p, "%u FETCH (FLAGS %.*s)", seq,
			    (int)b.len, b.data);
	}
	imapcmd_buf_free(&b);
}

/*
 * Syncs the selected folder and tells the client: EXPUNGE (highest
 * first; never with STORE_SYNC_NOEXPUNGE, which FETCH, STORE and SEARCH
 * pass), FLAGS when the keywords grew, EXISTS, RECENT, and FETCH FLAGS
 * of messages others changed.  IMAP_UPDATE_UID adds UID to those (UID
 * commands).  A folder whose UIDVALIDITY changed ends the session.
 */
int
imap_select_update(struct imap *p, int flags)
{
	struct store_changes	ch;
	size_t			i;

	if (p->mbox == NULL || p->state != IMAP_SELECTED)
		return 0;
	if (store_mbox_sync(p->mbox, flags & ~IMAP_UPDATE_UID, &ch) == -1) {
		if (errno == ESTALE) {
			/* No code: [UIDVALIDITY] must carry a number. */
			imap_bye(p, "the mailbox's UIDVALIDITY changed; "
			    "select it again", "uidvalidity");
			return -1;
		}
		imap_log(p, "event=sync folder=%s error=\"%s\"",
		    p->mbox->name, strerror(errno));
		return -1;
	}
	for (i = 0; i < ch.nexpunged; i++)
		imap_untagged(p, "%u EXPUNGE", ch.expunged[i]);
	p->exists = ch.nexpunged > p->exists ? 0 :
	    p->exists - (uint32_t)ch.nexpunged;
	if (ch.keywords)
		select_flags(p, 1);
	if (ch.exists != p->exists) {
		imap_untagged(p, "%zu EXISTS", ch.exists);
		p->exists = (uint32_t)ch.exists;
		p->recent = UINT32_MAX;
	}
	if (ch.recent != p->recent) {
		imap_untagged(p, "%zu RECENT", ch.recent);
		p->recent = (uint32_t)ch.recent;
	}
	select_changed(p, &ch, flags & IMAP_UPDATE_UID);
	store_changes_free(&ch);
	return 0;
}

/*
 * The messages a set names, as a mark per message (mb->n + 1 octets):
 * sequence numbers, or UIDs (UID commands: * is the highest UID, and
 * UIDs that no message has are skipped).  NULL when a sequence number
 * does not exist.
 */
uint8_t *
imap_set_marks(const struct mbox *mb, struct imapcmd_seqset *set, int uid)
{
	const struct imapcmd_range	*r;
	uint8_t				*mark;
	uint32_t			 lo, hi, t, max;
	size_t				 i, j, a, b, mid;

	max = uid ? (mb->n > 0 ? mb->msgs[mb->n - 1].uid : 0) :
	    (uint32_t)mb->n;
	if (!uid && (max == 0 || imapcmd_seqset_highest(set) > max))
		return NULL;
	mark = xcalloc(mb->n + 1, 1);
	for (i = 0; i < imapcmd_seqset_nranges(set); i++) {
		r = imapcmd_seqset_range(set, i);
		lo = r->first == 0 ? max : r->first;
		hi = r->last == 0 ? max : r->last;
		if (lo > hi) {
			t = lo;
			lo = hi;
			hi = t;
		}
		if (!uid) {
			for (j = lo; j <= hi && j > 0; j++)
				mark[j - 1] = 1;
			continue;
		}
		for (a = 0, b = mb->n; a < b;) {
			mid = a + (b - a) / 2;
			if (mb->msgs[mid].uid < lo)
				a = mid + 1;
			else
				b = mid;
		}
		for (j = a; j < mb->n && mb->msgs[j].uid <= hi; j++)
			mark[j] = 1;
	}
	return mark;
}
