/*
 * imapsd's mailbox store: the user's Maildir++ as IMAP sees it.
 *
 * Folders.  The Maildir root is INBOX; the folder "a.b" is the
 * directory ".a.b" of the root, with its own tmp/ new/ cur/ and an empty
 * "maildirfolder" file, as courier-imap and Dovecot lay them out.  Names
 * given to and returned by the store are UTF-8, without any namespace
 * prefix ("INBOX", "Sent", "Lists.buzon"), '.' separating levels; on
 * disk each name is in modified UTF-7 (RFC 3501 5.1.3), as Dovecot and
 * courier-imap before 5.0 write them.  A directory whose name is UTF-8
 * already (courier-imap 5 after "maildirmake --convutf8") is found and
 * listed as well.  store_name_valid() decides what may reach the
 * filesystem (docs/store.md).
 *
 * A selected folder (struct mbox) holds its messages in UID order: the
 * sequence number of msgs[i] is i + 1.  UIDs, UIDVALIDITY and UIDNEXT
 * come from the folder's uid list (lib/uidlist.h, shared with pop3sd);
 * flags from the Maildir info ":2,<letters>" of each file name
 * (D \Draft, F \Flagged, R \Answered, S \Seen, T \Deleted; other
 * letters, such as P "passed" or Dovecot's a-z, are kept untouched);
 * keywords from the folder's "buzon-keywords" file; sizes, internal
 * dates and the caller's blobs (ENVELOPE, BODYSTRUCTURE) from the
 * folder's "buzon-cache", which is only an accelerator.
 *
 * Other sessions, pop3sd and maildeliver change a folder at any time.
 * store_mbox_sync() rescans and reports what they did; a file renamed
 * away meanwhile is looked for again by its base name, and a message
 * whose file is gone is ENOENT, never a crash.
 *
 * Calls return 0, or -1 with errno set: EINVAL a bad name or argument,
 * ENOENT no such folder or message, EEXIST the folder exists, EPERM not
 * allowed (deleting INBOX), EROFS the folder is open read-only, ENOSPC
 * a limit below was reached, others from the system.
 */
#ifndef STORE_H
#define STORE_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define STORE_NAME_MAX		400	/* octets of a UTF-8 folder name */
#define STORE_DEPTH_MAX		16	/* levels of a folder name */
#define STORE_FOLDERS_MAX	10000	/* folders listed */
#define STORE_KEYWORDS_MAX	64	/* keywords of one folder */
#define STORE_KEYWORD_LEN	64	/* octets of one keyword */
#define STORE_SUBS_MAX		10000	/* subscribed names */
#define STORE_CACHE_SLOTS	4	/* blobs per message in the cache */
#define STORE_CACHE_BLOB_MAX	(4 * 1024 * 1024)	/* octets of one */

#define STORE_KEYWORDS_FILE	"buzon-keywords"
#define STORE_KEYWORDS_LOCK	"buzon-keywords.lock"
#define STORE_CACHE_FILE	"buzon-cache"
#define STORE_SUBS_FILE		"courierimapsubscribed"
#define STORE_COURIER_KW_DIR	"courierimapkeywords"
#define STORE_DOVECOT_KW	"dovecot-keywords"

/* Message flags, as stored (all but STORE_RECENT). */
#define STORE_SEEN		0x01
#define STORE_ANSWERED		0x02
#define STORE_FLAGGED		0x04
#define STORE_DELETED		0x08
#define STORE_DRAFT		0x10
#define STORE_RECENT		0x20	/* this session's, never stored */
#define STORE_FLAGS_STORED	0x1f
#define STORE_M_NEW		0x40	/* internal: the file is in new/ */
#define STORE_M_GONE		0x80	/* internal: expunged, not reported */

/* LIST attributes and SPECIAL-USE. */
#define STORE_LIST_NOSELECT	0x01
#define STORE_LIST_CHILDREN	0x02	/* else \HasNoChildren */

enum store_special {
	STORE_SPECIAL_NONE = 0,
	STORE_SPECIAL_SENT,
	STORE_SPECIAL_TRASH,
	STORE_SPECIAL_DRAFTS,
	STORE_SPECIAL_JUNK,
	STORE_SPECIAL_ARCHIVE
};

struct store {
	int	 rootfd;		/* the Maildir root (INBOX) */
	char	 root[PATH_MAX];
};

struct store_folder {
	char			*name;	/* UTF-8, "INBOX" for the root */
	int			 attrs;	/* STORE_LIST_* */
	enum store_special	 special;
};

struct store_list {
	struct store_folder	*f;	/* INBOX first, then by name */
	size_t			 n;
};

/* The cache's data of one message (store_cache.c). */
struct store_blobs {
	const char	*p[STORE_CACHE_SLOTS];
	uint32_t	 len[STORE_CACHE_SLOTS];
	unsigned	 owned;		/* bit i: p[i] was allocated */
	int		 has;		/* bit i: slot i holds a value */
};

struct store_msg {
	char			*file;	/* name in cur/ (or new/, M_NEW) */
	uint32_t		 uid;
	uint8_t			 flags;	/* STORE_* */
	uint64_t		 keywords;	/* bit i: mbox keyword i */
	uint64_t		 size;	/* RFC822.SIZE; 0 until known */
	int64_t			 idate;	/* internal date; -1 until known */
	struct store_blobs	*blobs;	/* NULL when none */
};

struct store_cache;

struct store_kwtab {
	char	*name[STORE_KEYWORDS_MAX];
	size_t	 n;
};

struct mbox {
	struct store		*st;
	char			*name;		/* UTF-8 */
	int			 dirfd;		/* the folder's directory */
	int			 readonly;
	uint32_t		 uidvalidity;
	uint32_t		 uidnext;
	struct store_msg	*msgs;		/* by UID: seq = index + 1 */
	size_t			 n;
	size_t			 nrecent;
	struct store_kwtab	 kw;		/* this folder's keywords */
	/* What the last scan saw, to skip scans when nothing changed. */
	struct timespec		 cur_mtime, new_mtime;
	struct timespec		 kw_mtime;
	ino_t			 kw_ino;
	off_t			 kw_size;
	struct store_cache	*cache;		/* the cache file read */
	int			 cache_dirty;
	/*
	 * The uid list file the last full read found, and whether that
	 * read had mtimes old enough to trust later (the cache's snapshot).
	 */
	ino_t			 ul_ino;
	off_t			 ul_size;
	struct timespec		 ul_mtime;
	int			 settled;
};

/* What changed, from store_mbox_sync() and store_expunge(). */
struct store_changes {
	uint32_t	*expunged;	/* old sequence numbers, descending */
	uint32_t	*expunged_uid;	/* their UIDs, same order */
	size_t		 nexpunged;
	uint32_t	*changed;	/* new sequence numbers, ascending,  */
	size_t		 nchanged;	/* whose flags or keywords changed */
	size_t		 added;		/* new messages (EXISTS) */
	size_t		 exists;	/* messages now */
	size_t		 recent;	/* \Recent now */
	int		 keywords;	/* the keyword list grew (FLAGS) */
};

enum store_op {
	STORE_OP_SET,			/* FLAGS */
	STORE_OP_ADD,			/* +FLAGS */
	STORE_OP_REMOVE			/* -FLAGS */
};

/* store_mbox_sync() flags */
#define STORE_SYNC_NOEXPUNGE	0x01	/* keep gone messages, mark them */
#define STORE_SYNC_FORCE	0x02	/* rescan even if nothing changed */

/* --- the store and its folders (store_folder.c, store_name.c) --- */

/* Opens the Maildir root; it must hold tmp/ new/ cur/. */
int	store_open(struct store *, const char *maildir);
void	store_close(struct store *);

/*
 * A folder name fit for the disk: UTF-8, 1..STORE_NAME_MAX octets, at
 * most STORE_DEPTH_MAX levels, no empty level (so no leading, trailing
 * or doubled '.', no ".."), no '/', no control character, no first level
 * "INBOX" other than INBOX itself, and its modified UTF-7 form a valid
 * Maildir++ folder of at most MAILDIR_FOLDER_MAX octets.
 */
int	store_name_valid(const char *name);
int	store_name_is_inbox(const char *name);
enum store_special store_special_use(const char *name);
/* "\\Sent" and so on; NULL for STORE_SPECIAL_NONE. */
const char *store_special_attr(enum store_special);

/* Every folder, with \Noselect entries for missing parents. */
int	store_list(struct store *, struct store_list *);
void	store_list_free(struct store_list *);
/* 1 when the folder exists and is selectable, else 0. */
int	store_exists(struct store *, const char *name);
/* Makes the folder and its missing parents; EEXIST if it exists. */
int	store_create(struct store *, const char *name);
/*
 * Removes the folder and its messages; its children stay (the name
 * becomes \Noselect).  EPERM for INBOX, ENOENT when not selectable.
 */
int	store_delete(struct store *, const char *name);
/*
 * Renames the folder and every folder below it (missing parents of the
 * new name are made).  Renaming INBOX moves its messages into the new
 * folder and leaves INBOX empty.  EEXIST when a target exists, EINVAL
 * when to is below from.
 */
int	store_rename(struct store *, const char *from, const char *to);

/* --- subscriptions (store_subs.c) --- */

/* The subscribed names (UTF-8), to free with store_subs_free(). */
int	store_subs(struct store *, char ***names, size_t *n);
void	store_subs_free(char **names, size_t n);
int	store_subscribe(struct store *, const char *name, int on);

/* --- a selected folder (store_mbox.c) --- */

/*
 * Opens and syncs a folder.  Read-write: messages in new/ move to cur/
 * and are \Recent for this session.  Read-only (EXAMINE): new/ stays as
 * it is; its messages are \Recent here and for the next session.
 */
int	store_mbox_open(struct store *, const char *name, int readonly,
	    struct mbox **);
/* Writes the cache when it changed, and frees the mbox. */
void	store_mbox_close(struct mbox *);
/*
 * Rescans: what others expunged (old sequence numbers, removed from
 * msgs unless STORE_SYNC_NOEXPUNGE, which marks them STORE_M_GONE and
 * reports them on a later sync), new messages, flag and keyword changes.
 */
int	store_mbox_sync(struct mbox *, int flags, struct store_changes *);
void	store_changes_free(struct store_changes *);
/* STATUS (and LIST-STATUS) of a folder, without selecting it. */
struct store_status {
	uint32_t	messages;
	uint32_t	recent;		/* what new/ holds: left \Recent */
	uint32_t	unseen;
	uint32_t	uidnext;
	uint32_t	uidvalidity;
};
int	store_status(struct store *, const char *name, struct store_status *);
/* The sequence number of uid, or 0. */
uint32_t store_uid_seq(const struct mbox *, uint32_t uid);
/* Opens a message for reading (O_RDONLY); ENOENT when it is gone. */
int	store_msg_open(struct mbox *, uint32_t seq);
/* RFC822.SIZE and the internal date, from the name, cache or file. */
int	store_msg_size(struct mbox *, uint32_t seq, uint64_t *size);
int	store_msg_idate(struct mbox *, uint32_t seq, time_t *idate);

/* --- flags and keywords (store_flags.c, store_keywords.c) --- */

/* The index of a keyword, added when create is set; -1 when none. */
int	store_keyword_index(struct mbox *, const char *kw, int create);
/* A keyword is an IMAP atom of 1..STORE_KEYWORD_LEN, no '\'. */
int	store_keyword_valid(const char *kw);
/*
 * Changes the flags (STORE_FLAGS_STORED bits) and keywords (mask of
 * store_keyword_index() values) of seqs[0..n): the files are renamed,
 * the keyword file rewritten.
 */
int	store_flags(struct mbox *, const uint32_t *seqs, size_t n,
	    enum store_op op, unsigned flags, uint64_t keywords);
/* The flag letters of a Maildir info part (sorted); and back. */
unsigned store_flags_parse(const char *file);
void	store_flags_letters(unsigned flags, char *buf, size_t size);

/* --- expunge, copy, move, append (store_msg.c, store_append.c) --- */

/*
 * Removes the \Deleted messages (only those of uids[0..nuids) when uids
 * is not NULL: UID EXPUNGE) and reports them in ch.
 */
int	store_expunge(struct mbox *, const uint32_t *uids, size_t nuids,
	    struct store_changes *ch);
/*
 * Copies seqs[0..n) into the folder dest; dest_uids[i] gets the new UID
 * of seqs[i] and *uidvalidity dest's, for COPYUID.  Move also removes
 * the messages from the mbox, reported in ch.
 */
int	store_copy(struct mbox *, const uint32_t *seqs, size_t n,
	    const char *dest, uint32_t *uidvalidity, uint32_t *dest_uids);
int	store_move(struct mbox *, const uint32_t *seqs, size_t n,
	    const char *dest, uint32_t *uidvalidity, uint32_t *dest_uids,
	    struct store_changes *ch);

struct store_append;
/* Starts a message for the folder: written into its tmp/. */
int	store_append_begin(struct store *, const char *folder,
	    struct store_append **);
int	store_append_write(struct store_append *, const void *, size_t);
/*
 * fsync, internal date (idate, or now when -1), into cur/ with flags and
 * keywords; the UID and UIDVALIDITY for APPENDUID.  Frees the append.
 */
int	store_append_commit(struct store_append *, unsigned flags,
	    const char *const *keywords, size_t nkeywords, time_t idate,
	    uint32_t *uidvalidity, uint32_t *uid);
void	store_append_abort(struct store_append *);

/* --- the cache (store_cache.c) --- */

/* A blob the caller stored for the message; ENOENT when none. */
int	store_cache_get(struct mbox *, uint32_t seq, unsigned slot,
	    const char **data, size_t *len);
int	store_cache_put(struct mbox *, uint32_t seq, unsigned slot,
	    const void *data, size_t len);
/* Writes "buzon-cache" atomically when anything changed. */
int	store_cache_write(struct mbox *);

#endif /* STORE_H */
