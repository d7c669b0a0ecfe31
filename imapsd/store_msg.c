/*
 * EXPUNGE, COPY and MOVE.  A copy is a hard link (a copy of the data
 * where links fail) under a new unique name, a move a rename under a new
 * name: a base name is never seen twice by one folder's uid list, so a
 * UID is never given again to a message that left and came back.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "maildir.h"
#include "store_int.h"
#include "xmalloc.h"

/* Copies srcfile's octets and mtime into tmp/uniq of dst. */
static int
copy_data(int dstfd, int srcfd, const char *srcfile, const char *tmp)
{
	struct timespec	 ts[2];
	struct stat	 sb;
	char		*buf = NULL;
	ssize_t		 r, w, off;
	int		 in, out = -1, rv = -1;

	if ((in = openat(srcfd, srcfile, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	if (fstat(in, &sb) == -1 || (out = openat(dstfd, tmp, O_WRONLY |
	    O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, MAILDIR_FILE_MODE)) ==
	    -1)
		goto done;
	buf = xmalloc(STORE_CHUNK);
	while ((r = read(in, buf, STORE_CHUNK)) > 0)
		for (off = 0; off < r; off += w)
			if ((w = write(out, buf + off, r - off)) == -1)
				goto done;
	ts[0] = sb.st_atim;
	ts[1] = sb.st_mtim;
	if (r == 0 && fsync(out) == 0 && futimens(out, ts) == 0)
		rv = 0;
done:
	free(buf);
	close(in);
	if (out != -1 && close(out) == -1)
		rv = -1;
	if (rv == -1 && out != -1)
		unlinkat(dstfd, tmp, 0);
	return rv;
}

/*
 * Puts srcfile (of the folder srcfd) into cur/ of dstfd under a new
 * name, to: "cur/<uniq>,S=<size>[,W=<vsize>]:2,<flags>"; linked, or
 * renamed when move, copied where neither works.
 */
static int
deliver_file(int dstfd, int srcfd, const char *srcfile, unsigned flags,
    uint64_t vsize, int move, char *to, size_t tosize)
{
	char		 uniq[MAILDIR_NAME_MAX + 1];
	char		 tmp[MAILDIR_NAME_MAX + 8], let[16], w[32];
	struct stat	 sb;
	int		 n;

	if (fstatat(srcfd, srcfile, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
	    maildir_uniq(uniq, sizeof(uniq)) == -1)
		return -1;
	store_flags_letters(flags, let, sizeof(let));
	w[0] = '\0';
	if (vsize != 0)
		snprintf(w, sizeof(w), ",W=%" PRIu64, vsize);
	n = snprintf(to, tosize, "cur/%s,S=%lld%s:2,%s", uniq,
	    (long long)sb.st_size, w, let);
	if (n < 0 || (size_t)n >= tosize) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (move && renameat(srcfd, srcfile, dstfd, to) == 0)
		return 0;
	if (!move && linkat(srcfd, srcfile, dstfd, to, 0) == 0)
		return 0;
	if (errno == ENOENT)
		return -1;
	snprintf(tmp, sizeof(tmp), "tmp/%s", uniq);
	if (copy_data(dstfd, srcfd, srcfile, tmp) == -1)
		return -1;
	if (renameat(dstfd, tmp, dstfd, to) == -1) {
		unlinkat(dstfd, tmp, 0);
		return -1;
	}
	if (move && unlinkat(srcfd, srcfile, 0) == -1 && errno != ENOENT)
		log_warn("event=move-unlink file=%s", srcfile);
	return 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Takes the messages marked in drop (those marked STORE_M_GONE when drop
 * is NULL) out of mb, reporting them in ch by their old numbers.
 */
void
store_remove_msgs(struct mbox *mb, const char *drop,
    struct store_changes *ch)
{
	size_t	i, o = 0;

	for (i = 0; i < mb->n; i++) {
		if (drop != NULL ? !drop[i] :
		    !(mb->msgs[i].flags & STORE_M_GONE)) {
			mb->msgs[o++] = mb->msgs[i];
			continue;
		}
		store_changes_expunged(ch, (uint32_t)(i + 1),
		    mb->msgs[i].uid);
		store_msg_clear(&mb->msgs[i]);
		mb->cache_dirty = 1;
	}
	mb->n = o;
}

/* Unlinks m's file, found again if renamed, only while it is \Deleted. */
static int
unlink_deleted(struct mbox *mb, struct store_msg *m)
{
	if (unlinkat(mb->dirfd, m->file, 0) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	if (store_relocate(mb->dirfd, &m->file) == -1)
		return 0;			/* gone already */
	if (!(store_flags_parse(m->file) & STORE_DELETED)) {
		m->flags = (m->flags & ~STORE_FLAGS_STORED) |
		    store_flags_parse(m->file);
		errno = EAGAIN;			/* undeleted meanwhile */
		return 1;
	}
	return unlinkat(mb->dirfd, m->file, 0) == -1 && errno != ENOENT ?
	    -1 : 0;
}

int
store_expunge(struct mbox *mb, const uint32_t *uids, size_t nuids,
    struct store_changes *ch)
{
	uint32_t	*sorted = NULL;
	char		*drop;
	size_t		 i;
	int		 r, rv = 0;

	memset(ch, 0, sizeof(*ch));
	if (mb->readonly) {
		errno = EROFS;
		return -1;
	}
	if (uids != NULL) {
		sorted = xreallocarray(NULL, nuids + 1, sizeof(uint32_t));
		memcpy(sorted, uids, nuids * sizeof(uint32_t));
		qsort(sorted, nuids, sizeof(uint32_t), cmp_u32);
	}
	drop = xcalloc(mb->n + 1, 1);
	for (i = 0; i < mb->n; i++) {
		if (!(mb->msgs[i].flags & STORE_DELETED) ||
		    (mb->msgs[i].flags & STORE_M_GONE) ||
		    (sorted != NULL && bsearch(&mb->msgs[i].uid, sorted, nuids,
		    sizeof(uint32_t), cmp_u32) == NULL))
			continue;
		if ((r = unlink_deleted(mb, &mb->msgs[i])) == -1) {
			log_warn("event=expunge file=%s", mb->msgs[i].file);
			rv = -1;
		} else if (r == 0)
			drop[i] = 1;
	}
	store_fsync_dir(mb->dirfd, "cur");
	store_remove_msgs(mb, drop, ch);
	store_changes_finish(mb, ch);
	free(drop);
	free(sorted);
	return rv;
}

/* Sizes of a destination's new names come from their ",W=". */
static int
name_vsize(void *arg, size_t index, uint64_t *vsize)
{
	struct store_scan	*s = arg;

	return store_name_vsize(s->files[index], vsize);
}

/* qsort(3) has no argument: the names being sorted now. */
static char	**sort_names;

static int
cmp_index(const void *a, const void *b)
{
	return strcmp(sort_names[*(const size_t *)a],
	    sort_names[*(const size_t *)b]);
}

/* Numbers the new files of dstfd: uids[i] for names[i] (NULL: none). */
static int
dest_uids(int dstfd, char **names, size_t n, uint32_t *uidvalidity,
    uint32_t *uids)
{
	struct store_scan	 s;
	struct uidlist		 ul;
	size_t			*order, i, k = 0, lo, hi, mid;
	int			 c;

	if (store_scan(dstfd, &s) == -1)
		return -1;
	if (store_sync_uids(dstfd, &s, name_vsize, &s, &ul) == -1) {
		store_scan_free(&s);
		return -1;
	}
	order = xreallocarray(NULL, n + 1, sizeof(size_t));
	for (i = 0; i < n; i++)
		if (names[i] != NULL)
			order[k++] = i;
	sort_names = names;
	qsort(order, k, sizeof(size_t), cmp_index);
	sort_names = NULL;
	for (i = 0; i < ul.n; i++) {
		for (lo = 0, hi = k; lo < hi; ) {
			mid = lo + (hi - lo) / 2;
			c = strcmp(names[order[mid]], ul.e[i].name);
			if (c == 0) {
				uids[order[mid]] = ul.e[i].uid;
				break;
			}
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	*uidvalidity = ul.uidvalidity;
	free(order);
	uidlist_free(&ul);
	store_scan_free(&s);
	return 0;
}

/* Keywords of the copied messages into dest's keyword file. */
static void
dest_keywords(struct mbox *mb, int dstfd, const uint32_t *seqs, size_t n,
    char **names)
{
	struct store_kwfile	 kf;
	struct store_msg	*m;
	uint64_t		 mask;
	size_t			 i, k;
	int			 lock, idx, any = 0;

	for (i = 0; i < n; i++)
		any |= names[i] != NULL && mb->msgs[seqs[i] - 1].keywords != 0;
	if (!any || (lock = store_kw_lock(dstfd)) == -1)
		return;
	if (store_kw_load(dstfd, &kf) == 0) {
		for (i = 0; i < n; i++) {
			m = &mb->msgs[seqs[i] - 1];
			if (names[i] == NULL || m->keywords == 0)
				continue;
			for (mask = 0, k = 0; k < mb->kw.n; k++)
				if ((m->keywords & ((uint64_t)1 << k)) &&
				    (idx = store_kw_add(&kf.tab,
				    mb->kw.name[k])) != -1)
					mask |= (uint64_t)1 << idx;
			store_kw_set(&kf, names[i], mask);
		}
		if (store_kw_write(dstfd, &kf) == -1)
			log_warn("event=copy-keywords");
		store_kw_free(&kf);
	}
	close(lock);
}

/*
 * A failed COPY or MOVE leaves dest as it was (RFC 3501 6.4.7): the
 * copies go, the moved files go back where they were.
 */
static void
rollback(struct mbox *mb, int dstfd, const uint32_t *seqs, size_t n,
    char **to, int move, char *done)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (to[i] == NULL)
			continue;
		/* A moved message that cannot go back stays in dest. */
		if (move ? renameat(dstfd, to[i], mb->dirfd,
		    mb->msgs[seqs[i] - 1].file) == -1 :
		    unlinkat(dstfd, to[i], 0) == -1)
			log_warn("event=copy-rollback file=%s", to[i]);
		free(to[i]);
		to[i] = NULL;
		done[seqs[i] - 1] = 0;
	}
}

/* One message into dest, found again if renamed; 1 when it is gone. */
static int
transfer_one(struct mbox *mb, struct store_msg *m, int dstfd, int move,
    char *to, size_t tosize)
{
	int	tries;

	for (tries = 0; tries < 3; tries++) {
		if (deliver_file(dstfd, mb->dirfd, m->file, m->flags &
		    STORE_FLAGS_STORED, m->size, move, to, tosize) == 0)
			return 0;
		if (errno != ENOENT)
			return -1;
		if (store_relocate(mb->dirfd, &m->file) == -1) {
			m->flags |= STORE_M_GONE;
			return 1;
		}
	}
	return -1;
}

/*
 * COPY and MOVE: each message into dest; done[seq - 1] for those that
 * went.  A message expunged meanwhile is left out (its uid 0).
 */
static int
transfer(struct mbox *mb, const uint32_t *seqs, size_t n, const char *dest,
    int move, uint32_t *uidvalidity, uint32_t *uids, char *done)
{
	char	**to, **names, path[STORE_FILE_MAX + 8];
	size_t	  i;
	int	  dstfd, r, rv = -1;

	*uidvalidity = 0;
	for (i = 0; i < n; i++) {
		uids[i] = 0;
		if (seqs[i] == 0 || seqs[i] > mb->n) {
			errno = EINVAL;
			return -1;
		}
	}
	if ((dstfd = store_folder_fd(mb->st, dest)) == -1)
		return -1;
	to = xcalloc(n + 1, sizeof(char *));
	names = xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		if (mb->msgs[seqs[i] - 1].flags & STORE_M_GONE)
			continue;
		if ((r = transfer_one(mb, &mb->msgs[seqs[i] - 1], dstfd, move,
		    path, sizeof(path))) == -1) {
			log_warn("event=copy file=%s",
			    mb->msgs[seqs[i] - 1].file);
			rollback(mb, dstfd, seqs, n, to, move, done);
			goto done;
		}
		if (r == 1)
			continue;
		to[i] = xstrdup(path);
		done[seqs[i] - 1] = 1;
	}
	store_fsync_dir(dstfd, "cur");
	for (i = 0; i < n; i++)
		if (to[i] != NULL) {
			uidlist_basename(to[i] + 4, path, sizeof(path));
			names[i] = xstrdup(path);
		}
	dest_keywords(mb, dstfd, seqs, n, names);
	rv = dest_uids(dstfd, names, n, uidvalidity, uids);
done:
	for (i = 0; i < n; i++) {
		free(to[i]);
		free(names[i]);
	}
	free(to);
	free(names);
	close(dstfd);
	return rv;
}

int
store_copy(struct mbox *mb, const uint32_t *seqs, size_t n,
    const char *dest, uint32_t *uidvalidity, uint32_t *dest_uids)
{
	char	*done = xcalloc(mb->n + 1, 1);
	int	 rv;

	rv = transfer(mb, seqs, n, dest, 0, uidvalidity, dest_uids, done);
	free(done);
	return rv;
}

int
store_move(struct mbox *mb, const uint32_t *seqs, size_t n,
    const char *dest, uint32_t *uidvalidity, uint32_t *dest_uids,
    struct store_changes *ch)
{
	char	*done;
	int	 rv;

	memset(ch, 0, sizeof(*ch));
	if (mb->readonly) {
		errno = EROFS;
		return -1;
	}
	done = xcalloc(mb->n + 1, 1);
	rv = transfer(mb, seqs, n, dest, 1, uidvalidity, dest_uids, done);
	store_fsync_dir(mb->dirfd, "cur");
	store_remove_msgs(mb, done, ch);
	store_changes_finish(mb, ch);
	free(done);
	return rv;
}
