/*
 * What the store_*.c files share and the IMAP commands need not see.
 */
#ifndef STORE_INT_H
#define STORE_INT_H

#include <stdint.h>

#include "store.h"
#include "uidlist.h"

#define STORE_DIRNAME_MAX	256	/* octets of ".<mutf7 name>" and NUL */
#define STORE_FILE_MAX		256	/* octets of a message file name */
#define STORE_CHUNK		65536	/* octets copied or read at once */
#define STORE_SCAN_TRIES	3	/* readdirs of a changing cur/ */
#define STORE_RECENT_SECS	2	/* a directory changed this recently
					   is rescanned even if its mtime did
					   not move: mtimes are coarse */

/*
 * A cache's S line: the state of the folder its records were read in
 * (store_cache.c).  store_snap_eq() compares the state, not the UIDs.
 */
struct store_snap {
	uint32_t	 uidvalidity;
	uint32_t	 uidnext;
	struct timespec	 cur, new;	/* mtimes of cur/ and new/ */
	ino_t		 ul_ino;	/* the uid list file */
	off_t		 ul_size;
	struct timespec	 ul_mtime;
};

/* The file names of a folder's new/ and cur/. */
struct store_scan {
	char	**files;	/* "new/x" or "cur/x:2,S" */
	char	**bases;	/* base names, the uid list's keys */
	size_t	  n;
};

/* A folder's keyword file: table and per-message masks by base name. */
struct store_kwent {
	char		*base;
	uint64_t	 mask;
};

struct store_kwfile {
	struct store_kwtab	 tab;
	struct store_kwent	*e;	/* [0, nsorted) sorted by base */
	size_t			 n;
	size_t			 nsorted;
};

/* store_name.c */
int	store_dirname(const char *name, char *buf, size_t size);
int	store_dirname_utf8(const char *name, char *buf, size_t size);
char	*store_name_from_dir(const char *dir);
int	store_folder_fd(struct store *, const char *name);

/* store_scan.c */
int	store_scan(int dirfd, struct store_scan *);
void	store_scan_free(struct store_scan *);
int	store_arrival_cmp(const char *, const char *);
int	store_sync_uids(int dirfd, struct store_scan *, uidlist_vsize_fn,
	    void *, struct uidlist *);
int	store_name_vsize(const char *file, uint64_t *vsize);
void	store_fsync_dir(int dirfd, const char *sub);
int	store_relocate(int dirfd, char **file);

/* store_keywords.c */
int	store_kw_load(int dirfd, struct store_kwfile *);
void	store_kw_free(struct store_kwfile *);
uint64_t store_kw_mask(const struct store_kwfile *, const char *base);
int	store_kw_lock(int dirfd);
int	store_kw_write(int dirfd, const struct store_kwfile *);
void	store_kw_set(struct store_kwfile *, const char *base, uint64_t);
int	store_kw_add(struct store_kwtab *, const char *kw);
int	store_kwtab_find(const struct store_kwtab *, const char *kw);

/* store_flags.c */
int	store_flags_rename(const char *file, unsigned flags, char *buf,
	    size_t size);

/* store_cache.c */
void	store_cache_load(struct mbox *);
void	store_cache_fill(struct mbox *, struct store_msg *,
	    const char *base);
void	store_cache_unload(struct mbox *);
void	store_blobs_free(struct store_blobs *);
int	store_cache_vsize(struct mbox *, const char *base, uint64_t *vsize);
const struct store_snap *store_cache_snap(struct mbox *);
void	store_cache_take(struct mbox *);
int	store_cache_stale(const struct mbox *);
int	store_snap_eq(const struct store_snap *, const struct store_snap *);
void	store_snap_of(const struct mbox *, struct store_snap *);

/* store_mbox.c */
void	store_msg_clear(struct store_msg *);
void	store_changes_expunged(struct store_changes *, uint32_t seq,
	    uint32_t uid);
void	store_changes_finish(struct mbox *, struct store_changes *);

/* store_msg.c */
void	store_remove_msgs(struct mbox *, const char *drop,
	    struct store_changes *);

#endif /* STORE_INT_H */
