/*
 * COPY (RFC 3501 6.4.7) and MOVE (RFC 6851), and their UID forms, with
 * UIDPLUS's COPYUID (RFC 4315 3): the source and destination UIDs
 * written as two sets in corresponding order, runs as ranges.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "imapsd.h"
#include "store.h"
#include "xmalloc.h"

static int	copy_dest(struct imap *, struct imapcmd *,
		    struct imapcmd_node *, const char *, char **);
static void	copy_uidset(struct imapcmd_buf *, const uint32_t *, size_t);
static int	copy_uids(const uint32_t *, size_t, const uint32_t *,
		    uint32_t, struct imapcmd_buf *);
static void	copy_do(struct imap *, struct imapcmd *, const uint32_t *,
		    size_t, const char *, const char *, int, int);

int
imap_copy(struct imap *p, struct imapcmd *c)
{
	return imap_copy_run(p, c, c->args, c->nargs, 0, 0);
}

int
imap_move(struct imap *p, struct imapcmd *c)
{
	return imap_copy_run(p, c, c->args, c->nargs, 0, 1);
}

/*
 * The destination's store name in *out, or a BAD (-1) or NO (0, *out
 * NULL) sent: TRYCREATE when the folder could be created (RFC 3501).
 */
static int
copy_dest(struct imap *p, struct imapcmd *c, struct imapcmd_node *n,
    const char *verb, char **out)
{
	const char	*wire, *why;

	*out = NULL;
	if (imapcmd_mailbox(n, '.', &wire) == -1)
		return imap_bad(p, c, "%s: the mailbox name is not an astring",
		    verb);
	if ((*out = imap_mailbox_name(p, n, &why)) == NULL)
		return imap_no(p, c, "[CANNOT] %s: %s", verb, why);
	if (!store_exists(p->store, *out)) {
		free(*out);
		*out = NULL;
		return imap_no(p, c, "[TRYCREATE] Mailbox doesn't exist");
	}
	return 0;
}

/*
 * One of COPYUID's sets: the UIDs in the order given, each run going up
 * by one written as a range, which expands back to the same order.
 */
static void
copy_uidset(struct imapcmd_buf *out, const uint32_t *a, size_t n)
{
	size_t	i, j;

	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && a[j] == a[j - 1] + 1; j++)
			;
		imapcmd_buf_printf(out, "%s%u", i > 0 ? "," : "", a[i]);
		if (j - i > 1)
			imapcmd_buf_printf(out, ":%u", a[j - 1]);
	}
}

/* "COPYUID v src dst" of the messages that went; 0 when none did. */
static int
copy_uids(const uint32_t *from, size_t n, const uint32_t *dst,
    uint32_t uidvalidity, struct imapcmd_buf *out)
{
	uint32_t	*src, *got;
	size_t		 i, k = 0;

	src = xreallocarray(NULL, n + 1, sizeof(uint32_t));
	got = xreallocarray(NULL, n + 1, sizeof(uint32_t));
	for (i = 0; i < n; i++)
		if (dst[i] != 0) {
			src[k] = from[i];
			got[k++] = dst[i];
		}
	if (k > 0) {
		imapcmd_buf_printf(out, "COPYUID %u ", uidvalidity);
		copy_uidset(out, src, k);
		imapcmd_buf_add(out, " ", 1);
		copy_uidset(out, got, k);
	}
	free(src);
	free(got);
	return k > 0;
}

/*
 * The copy or move itself, then the answer: COPYUID (untagged for
 * MOVE, before its EXPUNGEs), what others did, the tagged reply.
 */
static void
copy_do(struct imap *p, struct imapcmd *c, const uint32_t *seqs, size_t n,
    const char *dest, const char *verb, int uid, int move)
{
	struct store_changes	 ch;
	struct imapcmd_buf	 b;
	uint32_t		*src, *dst, uidvalidity;
	size_t			 i;
	int			 rv, e;

	/* MOVE takes them out of p->mbox: their UIDs first. */
	dst = xreallocarray(NULL, n, sizeof(uint32_t));
	src = xreallocarray(NULL, n, sizeof(uint32_t));
	for (i = 0; i < n; i++)
		src[i] = p->mbox->msgs[seqs[i] - 1].uid;
	memset(&ch, 0, sizeof(ch));
	imapcmd_buf_init(&b, 0);
	rv = move ? store_move(p->mbox, seqs, n, dest, &uidvalidity, dst,
	    &ch) : store_copy(p->mbox, seqs, n, dest, &uidvalidity, dst);
	e = errno;
	if (rv == 0 && copy_uids(src, n, dst, uidvalidity, &b) && move)
		imap_untagged(p, "OK [%.*s] Moved UIDs.", (int)b.len, b.data);
	if (move)
		imap_write_expunged(p, &ch);
	store_changes_free(&ch);
	imap_select_update(p, uid ? IMAP_UPDATE_UID : 0);
	errno = e;
	if (rv == -1 && errno == ENOENT)
		imap_no(p, c, "[TRYCREATE] Mailbox doesn't exist");
	else if (rv == -1)
		imap_mailbox_fail(p, c, verb);
	else if (move)
		imap_ok(p, c, "Move completed.");
	else if (b.len > 0)
		imap_ok(p, c, "[%.*s] Copy completed.", (int)b.len, b.data);
	else
		imap_ok(p, c, "Copy completed.");
	imapcmd_buf_free(&b);
	free(src);
	free(dst);
}

int
imap_copy_run(struct imap *p, struct imapcmd *c, struct imapcmd_node *args,
    size_t nargs, int uid, int move)
{
	const char	*verb;
	uint32_t	*seqs;
	size_t		 n;
	char		*dest = NULL;

	verb = move ? (uid ? "UID MOVE" : "MOVE") : (uid ? "UID COPY" : "COPY");
	if (nargs != 2)
		return imap_bad(p, c, "%s takes a sequence set and a mailbox "
		    "name", verb);
	if (imap_write_seqs(p, c, args, uid, &seqs, &n) == -1)
		return -1;
	if (copy_dest(p, c, args->next, verb, &dest) == -1 || dest == NULL) {
		free(seqs);
		return 0;
	}
	if (move && p->readonly)
		imap_no(p, c, "[READ-ONLY] %s: the mailbox is read-only",
		    verb);
	else if (imap_write_gone(p, seqs, n) || n == 0) {
		imap_select_update(p, uid ? IMAP_UPDATE_UID : 0);
		if (n > 0)
			imap_no(p, c, "[EXPUNGEISSUED] Some of the requested "
			    "messages no longer exist");
		else
			imap_ok(p, c, "No messages found.");
	} else
		copy_do(p, c, seqs, n, dest, verb, uid, move);
	free(seqs);
	free(dest);
	return 0;
}
