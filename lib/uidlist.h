/*
 * The per-folder uid list: one file in a Maildir folder that gives every
 * message (by its base name, the unique part of its file name before
 * ":2,") a UID, with the folder's UIDVALIDITY and UIDNEXT.  POP3 (UIDL)
 * and IMAP (UID) both number messages from it, so a message keeps its
 * number across sessions, servers and protocols.
 *
 * The file, "buzon-uidlist" in the folder (docs/uidlist.md):
 *
 *	buzon-uidlist 1 <uidvalidity> <uidnext>
 *	<uid> <name> [V<vsize>] [P<uidl>]
 *	...
 *
 * one line per message in ascending UID order; <name> has every octet
 * outside 0x21-0x7e and '%' written as %XX; V<vsize> is the message's
 * size with every line ending in CR LF (RFC 1939 and RFC 3501 sizes);
 * P<uidl> is a unique-id listing kept from courier-pop3d.  Fields with
 * other leading letters are ignored (later versions may add some).
 *
 * Writers take an fcntl(2) lock on "buzon-uidlist.lock", read the file,
 * and replace it whole: write "buzon-uidlist.tmp", fsync, rename, fsync
 * the folder.  Readers without the lock see the old or the new file,
 * never half of one.  Deliveries (maildeliver) never touch it: a message
 * gets its UID from the first reader that sees it.
 *
 * Migration from courier: when the folder has no uid list yet, the first
 * sync adopts courier-imap's "courierimapuiddb" (a line "1 <uidvalidity>
 * <nextuid>", then "<uid> <file name>" lines) and courier-pop3d's
 * "courierpop3dsizelist" (a line "/<version> <nextuid> <uidvalidity>"
 * with version 2 or 3, then "<file name> <size> <uid>:<uidvalidity>"
 * lines, version 3 adding ":<utf8 flag>"; older files have no "/" line).
 * Without courierimapuiddb, Dovecot's "dovecot-uidlist" takes its place:
 * version 1 has courierimapuiddb's format, version 3 a line "3
 * V<uidvalidity> N<nextuid> ...", then "<uid> [W<vsize>] [P<uidl>] ...
 * :<file name>" lines (other fields skipped).
 * UIDs come from courierimapuiddb (or dovecot-uidlist), or from
 * courierpop3dsizelist when it is the only one.  Every message
 * courier-pop3d listed keeps the UIDL courier gave it:
 * "UID<uid>-<uidvalidity>", "UID<uid>" when its uidvalidity was 0, or,
 * when its uid was 0 or the file is of the old format, the base name
 * with octets outside 0x21-0x7e, '\'', '"' and '+' written as +XX.
 *
 * Calls return 0, or -1 with errno set (EINVAL: a malformed uid list,
 * ETIMEDOUT: the lock stayed taken for UIDLIST_LOCK_WAIT_MS).
 */
#ifndef UIDLIST_H
#define UIDLIST_H

#include <stddef.h>
#include <stdint.h>

#define UIDLIST_FILE		"buzon-uidlist"
#define UIDLIST_LOCKFILE	"buzon-uidlist.lock"
#define UIDLIST_TMPFILE		"buzon-uidlist.tmp"
#define UIDLIST_COURIER_IMAP	"courierimapuiddb"
#define UIDLIST_COURIER_POP3	"courierpop3dsizelist"
#define UIDLIST_DOVECOT		"dovecot-uidlist"
#define UIDLIST_VERSION		1
#define UIDLIST_LINE_MAX	4096	/* octets of one line of any of them */
#define UIDLIST_UIDL_MAX	512	/* octets of a kept UIDL */
#define UIDLIST_LOCK_WAIT_MS	10000	/* for the lock, then ETIMEDOUT */

struct uidlist_entry {
	uint32_t	 uid;
	uint64_t	 vsize;		/* 0: not known yet */
	char		*name;		/* base name, before ":2," */
	char		*uidl;		/* kept from courier-pop3d, or NULL */
	size_t		 index;		/* into uidlist_sync()'s names */
};

struct uidlist {
	uint32_t		 uidvalidity;
	uint32_t		 uidnext;
	struct uidlist_entry	*e;	/* by ascending uid */
	size_t			 n;
	int			 migrated;	/* courier data adopted now */
	int			 written;	/* the file was replaced now */
};

/* Computes the vsize of names[index]; 0, or -1 to leave it unknown. */
typedef int	(*uidlist_vsize_fn)(void *arg, size_t index, uint64_t *vsize);

/*
 * Brings the uid list of the folder open as dirfd up to date with the n
 * base names present now, under the lock: entries of names gone are
 * dropped, names without a UID get the next ones in the order given
 * (the caller sorts them by arrival), unknown sizes are asked of
 * vsize_fn (may be NULL).  The file is written when anything changed.
 * On success *ul holds one entry per distinct name, each with its index.
 */
int	uidlist_sync(int dirfd, const char *const *names, size_t n,
	    uidlist_vsize_fn vsize_fn, void *arg, struct uidlist *ul);
/* Reads the file as it is, without the lock (ENOENT when none). */
int	uidlist_read(int dirfd, struct uidlist *ul);
void	uidlist_free(struct uidlist *ul);
/* The entry with uid, or NULL. */
struct uidlist_entry *uidlist_find(const struct uidlist *ul, uint32_t uid);
/*
 * The base name of a Maildir file name: the part before ":2," (or the
 * whole name).  -1 (ENAMETOOLONG) when it does not fit.
 */
int	uidlist_basename(const char *file, char *buf, size_t bufsize);
/*
 * A name as the list (and imapsd's files beside it) writes it: octets
 * outside 0x21-0x7e and '%' as %XX.  -1 (ENAMETOOLONG) when it does not
 * fit; uidlist_unescape() undoes it in place.
 */
int	uidlist_escape(const char *s, char *buf, size_t size);
int	uidlist_unescape(char *s);

#endif /* UIDLIST_H */
