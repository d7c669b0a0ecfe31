/*
 * The commands that change the selected folder's messages in place:
 * STORE (RFC 3501 6.4.6) and EXPUNGE (6.4.3), their UID forms (UID
 * EXPUNGE from UIDPLUS, RFC 4315 2.1), and what every command of
 * imap_write_commands[] shares: sequence sets resolved to sequence
 * numbers, flag names, the untagged EXPUNGE and FLAGS responses.  COPY
 * and MOVE are in imap_copy.c, APPEND in imap_append.c.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapsd.h"
#include "store.h"
#include "xmalloc.h"

/* What STORE was asked for. */
struct store_req {
	enum store_op	 op;
	int		 silent;
	unsigned	 flags;		/* STORE_* system flags */
	uint64_t	 keywords;	/* mask of keyword indexes */
};

static int	store_item(const struct imapcmd_node *, struct store_req *);
static int	store_check(struct imap *, struct imapcmd *,
		    struct imapcmd_node *, size_t, struct store_req *);
static int	store_keywords(struct imap *, struct imapcmd *,
		    struct imapcmd_node *, size_t, struct store_req *);
static void	store_report(struct imap *, const uint32_t *, size_t, int);
static int	imap_store(struct imap *, struct imapcmd *);
static int	imap_expunge(struct imap *, struct imapcmd *);

const struct imap_command imap_write_commands[] = {
	{ "STORE", IMAP_SELECTED, imap_store },
	{ "EXPUNGE", IMAP_SELECTED, imap_expunge },
	{ "COPY", IMAP_SELECTED, imap_copy },
	{ "MOVE", IMAP_SELECTED, imap_move },
	{ "APPEND", IMAP_AUTH | IMAP_SELECTED, imap_append },
	{ NULL, 0, NULL }
};

static const struct {
	const char	*name;
	unsigned	 bit;
} system_flags[] = {
	{ "\\Answered", STORE_ANSWERED },
	{ "\\Flagged", STORE_FLAGGED },
	{ "\\Deleted", STORE_DELETED },
	{ "\\Seen", STORE_SEEN },
	{ "\\Draft", STORE_DRAFT }
};

/*
 * A flag of STORE or APPEND (RFC 3501 "flag"): a system flag sets *bit
 * and gives 1, a valid keyword gives 0, anything else -1 (\Recent is a
 * flag only the server sets).
 */
int
imap_write_flag(const struct imapcmd_node *n, unsigned *bit)
{
	size_t	i;

	*bit = 0;
	if (n->type != IMAPCMD_ATOM && n->type != IMAPCMD_NUMBER &&
	    n->type != IMAPCMD_NIL)
		return -1;
	if (n->str[0] != '\\')
		return store_keyword_valid(n->str) == 0 ? 0 : -1;
	for (i = 0; i < sizeof(system_flags) / sizeof(system_flags[0]); i++)
		if (strcasecmp(n->str, system_flags[i].name) == 0) {
			*bit = system_flags[i].bit;
			return 1;
		}
	return -1;
}

/*
 * The messages a sequence set names (a UID set when uid), as ascending
 * sequence numbers in *seqs (to free; *n may be 0 for a UID set).  A
 * malformed set, or a sequence number above the last message, is
 * answered BAD here: -1.
 */
int
imap_write_seqs(struct imap *p, struct imapcmd *c, struct imapcmd_node *arg,
    int uid, uint32_t **seqs, size_t *n)
{
	const struct mbox		*mb = p->mbox;
	struct imapcmd_seqset		*set;
	const char			*why;
	uint8_t				*mark;
	size_t				 i;

	*seqs = NULL;
	*n = 0;
	if ((arg->type != IMAPCMD_ATOM && arg->type != IMAPCMD_NUMBER) ||
	    (set = imapcmd_seqset_parse(arg->str, arg->len,
	    imapcmd_reader_limits(p->reader)->ranges_max, &why)) == NULL)
		return imap_bad(p, c, "invalid sequence set");
	if ((mark = imap_set_marks(mb, set, uid)) == NULL) {
		imapcmd_seqset_free(set);
		return imap_bad(p, c, "invalid message sequence number");
	}
	imapcmd_seqset_free(set);
	*seqs = xreallocarray(NULL, mb->n + 1, sizeof(uint32_t));
	for (i = 0; i < mb->n; i++)
		if (mark[i])
			(*seqs)[(*n)++] = (uint32_t)(i + 1);
	free(mark);
	return 0;
}

/* 1 when one of seqs was expunged by another process, not yet told. */
int
imap_write_gone(const struct imap *p, const uint32_t *seqs, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (p->mbox->msgs[seqs[i] - 1].flags & STORE_M_GONE)
			return 1;
	return 0;
}

/* "* n EXPUNGE", highest first, for what this session removed. */
void
imap_write_expunged(struct imap *p, const struct store_changes *ch)
{
	size_t	i;

	for (i = 0; i < ch->nexpunged; i++)
		imap_untagged(p, "%u EXPUNGE", ch->expunged[i]);
	p->exists = ch->nexpunged > p->exists ? 0 :
	    p->exists - (uint32_t)ch->nexpunged;
	p->recent = (uint32_t)ch->recent;
}

/* FLAGS and PERMANENTFLAGS again: this session made new keywords. */
static void
store_flags_changed(struct imap *p)
{
	const struct store_kwtab	*kw = &p->mbox->kw;
	struct imapcmd_buf		 b;
	size_t				 i;

	imapcmd_buf_init(&b, 0);
	imapcmd_buf_printf(&b, "\\Answered \\Flagged \\Deleted \\Seen "
	    "\\Draft");
	for (i = 0; i < kw->n; i++)
		imapcmd_buf_printf(&b, " %s", kw->name[i]);
	imap_untagged(p, "FLAGS (%.*s)", (int)b.len, b.data);
	imap_untagged(p, "OK [PERMANENTFLAGS (%.*s%s)] Flags permitted.",
	    (int)b.len, b.data, kw->n < STORE_KEYWORDS_MAX ? " \\*" : "");
	imapcmd_buf_free(&b);
}

/* FLAGS, +FLAGS, -FLAGS, each with .SILENT or not. */
static int
store_item(const struct imapcmd_node *n, struct store_req *req)
{
	const char	*s = n->str;

	if (n->type != IMAPCMD_ATOM)
		return -1;
	req->op = STORE_OP_SET;
	if (*s == '+' || *s == '-')
		req->op = *s++ == '+' ? STORE_OP_ADD : STORE_OP_REMOVE;
	if (strncasecmp(s, "FLAGS", 5) != 0)
		return -1;
	s += 5;
	req->silent = strcasecmp(s, ".SILENT") == 0;
	return *s == '\0' || req->silent ? 0 : -1;
}

/* The flag arguments: a list, or flags one by one; BAD: -1. */
static int
store_check(struct imap *p, struct imapcmd *c, struct imapcmd_node *n,
    size_t count, struct store_req *req)
{
	unsigned	bit;
	size_t		i;

	for (i = 0; i < count && n != NULL; i++, n = n->next) {
		if (imap_write_flag(n, &bit) == -1) {
			if (n->type == IMAPCMD_ATOM &&
			    strcasecmp(n->str, "\\Recent") == 0)
				return imap_bad(p, c, "\\Recent cannot be "
				    "stored");
			return imap_bad(p, c, "invalid flag %s",
			    n->type == IMAPCMD_ATOM && n->str[0] == '\\' &&
			    strlen(n->str) < 32 ? n->str : "name");
		}
		req->flags |= bit;
	}
	return 0;
}

/* Keyword names to indexes, made for FLAGS and +FLAGS; NO: -1. */
static int
store_keywords(struct imap *p, struct imapcmd *c, struct imapcmd_node *n,
    size_t count, struct store_req *req)
{
	size_t	i, had = p->mbox->kw.n;
	int	idx, e = 0;

	for (i = 0; i < count && n != NULL && e == 0; i++, n = n->next) {
		if (n->str[0] == '\\')
			continue;
		idx = store_keyword_index(p->mbox, n->str,
		    req->op != STORE_OP_REMOVE);
		if (idx >= 0 && idx < 64)
			req->keywords |= (uint64_t)1 << idx;
		else if (idx == -1 && req->op != STORE_OP_REMOVE)
			e = errno != 0 ? errno : EIO;
	}
	/* Those made before a failure exist all the same. */
	if (p->mbox->kw.n != had)
		store_flags_changed(p);
	if (e == 0)
		return 0;
	errno = e;
	if (e == ENOSPC)
		imap_no(p, c, "[LIMIT] STORE: at most %d keywords per mailbox",
		    STORE_KEYWORDS_MAX);
	else
		imap_mailbox_fail(p, c, "STORE");
	return -1;
}

/* "* n FETCH (FLAGS (...))" for each message STORE changed. */
static void
store_report(struct imap *p, const uint32_t *seqs, size_t n, int uid)
{
	struct imapcmd_buf	b;
	size_t			i;

	imapcmd_buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		if (p->mbox->msgs[seqs[i] - 1].flags & STORE_M_GONE)
			continue;
		b.len = 0;
		imap_select_msgflags(p, seqs[i], &b);
		if (uid)
			imap_untagged(p, "%u FETCH (FLAGS %.*s UID %u)",
			    seqs[i], (int)b.len, b.data,
			    p->mbox->msgs[seqs[i] - 1].uid);
		else
			imap_untagged(p, "%u FETCH (FLAGS %.*s)", seqs[i],
			    (int)b.len, b.data);
	}
	imapcmd_buf_free(&b);
}

static int
imap_store(struct imap *p, struct imapcmd *c)
{
	return imap_store_run(p, c, c->args, c->nargs, 0);
}

int
imap_store_run(struct imap *p, struct imapcmd *c, struct imapcmd_node *args,
    size_t nargs, int uid)
{
	const char		*verb = uid ? "UID STORE" : "STORE";
	struct imapcmd_node	*fl;
	struct store_req	 req;
	uint32_t		*seqs;
	size_t			 n, count;
	int			 gone, failed = 0;

	memset(&req, 0, sizeof(req));
	if (nargs < 3)
		return imap_bad(p, c, "%s takes a sequence set, a data item "
		    "and flags", verb);
	if (store_item(args->next, &req) == -1)
		return imap_bad(p, c, "%s: the data item is FLAGS, +FLAGS or "
		    "-FLAGS, with or without .SILENT", verb);
	fl = args->next->next;
	count = nargs - 2;
	if (fl->type == IMAPCMD_LIST) {
		if (count != 1)
			return imap_bad(p, c, "%s: one list of flags", verb);
		count = fl->nchild;
		fl = fl->child;
	}
	if (store_check(p, c, fl, count, &req) == -1)
		return -1;
	if (imap_write_seqs(p, c, args, uid, &seqs, &n) == -1)
		return -1;
	if (p->readonly) {
		free(seqs);
		return imap_no(p, c, "[READ-ONLY] %s: the mailbox is "
		    "read-only", verb);
	}
	if (store_keywords(p, c, fl, count, &req) == -1) {
		free(seqs);
		return 0;
	}
	gone = imap_write_gone(p, seqs, n);
	if (n > 0 && store_flags(p->mbox, seqs, n, req.op, req.flags,
	    req.keywords) == -1)
		failed = 1;
	if (!req.silent)
		store_report(p, seqs, n, uid);
	free(seqs);
	imap_select_update(p, STORE_SYNC_NOEXPUNGE |
	    (uid ? IMAP_UPDATE_UID : 0));
	if (failed)
		return imap_no(p, c, "[SERVERBUG] %s failed", verb);
	if (gone)
		return imap_no(p, c, "[EXPUNGEISSUED] Some of the requested "
		    "messages no longer exist");
	return imap_ok(p, c, "%s completed", verb);
}

static int
imap_expunge(struct imap *p, struct imapcmd *c)
{
	if (c->nargs != 0)
		return imap_bad(p, c, "EXPUNGE takes no argument");
	return imap_expunge_run(p, c, NULL, 0, 0);
}

/*
 * EXPUNGE, or UID EXPUNGE of a UID set.  What others set \Deleted
 * counts too: the folder is synced first.
 */
int
imap_expunge_run(struct imap *p, struct imapcmd *c, struct imapcmd_node *args,
    size_t nargs, int uid)
{
	const char		*verb = uid ? "UID EXPUNGE" : "EXPUNGE";
	struct store_changes	 ch;
	uint32_t		*seqs = NULL, *uids = NULL;
	size_t			 i, n = 0;
	int			 rv, e;

	if (uid && nargs != 1)
		return imap_bad(p, c, "UID EXPUNGE takes a UID set");
	if (uid && imap_write_seqs(p, c, args, 1, &seqs, &n) == -1)
		return -1;
	if (p->readonly) {
		free(seqs);
		return imap_no(p, c, "[READ-ONLY] %s: the mailbox is "
		    "read-only", verb);
	}
	if (uid) {
		uids = xreallocarray(NULL, n + 1, sizeof(uint32_t));
		for (i = 0; i < n; i++)
			uids[i] = p->mbox->msgs[seqs[i] - 1].uid;
		free(seqs);
	}
	imap_select_update(p, uid ? IMAP_UPDATE_UID : 0);
	if (p->state != IMAP_SELECTED) {
		free(uids);
		return 0;
	}
	rv = store_expunge(p->mbox, uids, n, &ch);
	e = errno;
	free(uids);
	imap_write_expunged(p, &ch);
	store_changes_free(&ch);
	imap_select_update(p, uid ? IMAP_UPDATE_UID : 0);
	if (rv == -1) {
		errno = e;
		return imap_mailbox_fail(p, c, verb);
	}
	return imap_ok(p, c, "%s completed", verb);
}
