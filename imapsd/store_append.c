/*
 * APPEND: the message goes into the folder's tmp/, is fsynced, gets its
 * internal date as mtime, and is renamed into cur/ with its flags as
 * "<uniq>,S=<size>,W=<vsize>:2,<flags>"; then the uid list numbers it.
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

#define APPEND_OPEN_TRIES	5	/* unique names tried in tmp/ */

struct store_append {
	int		 dirfd;
	int		 fd;
	char		 uniq[MAILDIR_NAME_MAX + 1];
	uint64_t	 size;
	uint64_t	 vsize;
	int		 prev;		/* last octet written */
	int		 failed;
};

int
store_append_begin(struct store *st, const char *folder,
    struct store_append **out)
{
	struct store_append	*a;
	char			 tmp[MAILDIR_NAME_MAX + 8];
	int			 i, dirfd;

	if ((dirfd = store_folder_fd(st, folder)) == -1)
		return -1;
	a = xcalloc(1, sizeof(*a));
	a->dirfd = dirfd;
	a->fd = -1;
	a->prev = '\n';
	for (i = 0; i < APPEND_OPEN_TRIES && a->fd == -1; i++) {
		if (maildir_uniq(a->uniq, sizeof(a->uniq)) == -1)
			break;
		snprintf(tmp, sizeof(tmp), "tmp/%s", a->uniq);
		a->fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, MAILDIR_FILE_MODE);
		if (a->fd == -1 && errno != EEXIST)
			break;
	}
	if (a->fd == -1) {
		close(dirfd);
		free(a);
		return -1;
	}
	*out = a;
	return 0;
}

int
store_append_write(struct store_append *a, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	size_t			 i, off = 0;
	ssize_t			 w;

	for (i = 0; i < len; i++) {
		if (p[i] == '\n' && a->prev != '\r')
			a->vsize++;
		a->prev = p[i];
	}
	a->vsize += len;
	a->size += len;
	while (off < len) {
		if ((w = write(a->fd, p + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			a->failed = 1;
			return -1;
		}
		off += w;
	}
	return 0;
}

void
store_append_abort(struct store_append *a)
{
	char	tmp[MAILDIR_NAME_MAX + 8];

	if (a == NULL)
		return;
	if (a->fd != -1) {
		close(a->fd);
		snprintf(tmp, sizeof(tmp), "tmp/%s", a->uniq);
		unlinkat(a->dirfd, tmp, 0);
	}
	close(a->dirfd);
	free(a);
}

/* The keywords by name into the folder's keyword file. */
static void
append_keywords(int dirfd, const char *base, const char *const *kw,
    size_t n)
{
	struct store_kwfile	kf;
	uint64_t		mask = 0;
	size_t			i;
	int			lock, idx;

	if (n == 0 || (lock = store_kw_lock(dirfd)) == -1)
		return;
	if (store_kw_load(dirfd, &kf) == 0) {
		for (i = 0; i < n; i++)
			if ((idx = store_kw_add(&kf.tab, kw[i])) != -1)
				mask |= (uint64_t)1 << idx;
		store_kw_set(&kf, base, mask);
		if (store_kw_write(dirfd, &kf) == -1)
			log_warn("event=append-keywords");
		store_kw_free(&kf);
	}
	close(lock);
}

/* tmp/ to cur/ under the final name; base gets its base name. */
static int
append_place(struct store_append *a, unsigned flags, time_t idate,
    char *base, size_t basesize)
{
	struct timespec	ts[2];
	char		tmp[MAILDIR_NAME_MAX + 8], to[STORE_FILE_MAX + 8];
	char		let[16];
	int		n;

	if (a->prev != '\n')
		a->vsize += 2;
	ts[0].tv_sec = ts[1].tv_sec = idate == (time_t)-1 ? time(NULL) : idate;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (a->failed || fsync(a->fd) == -1 || futimens(a->fd, ts) == -1 ||
	    close(a->fd) == -1) {
		a->fd = -1;
		return -1;
	}
	a->fd = -1;
	store_flags_letters(flags & STORE_FLAGS_STORED, let, sizeof(let));
	n = snprintf(base, basesize, "%s,S=%" PRIu64 ",W=%" PRIu64, a->uniq,
	    a->size, a->vsize);
	snprintf(tmp, sizeof(tmp), "tmp/%s", a->uniq);
	if (n < 0 || (size_t)n >= basesize || snprintf(to, sizeof(to),
	    "cur/%s:2,%s", base, let) >= (int)sizeof(to)) {
		unlinkat(a->dirfd, tmp, 0);
		errno = ENAMETOOLONG;
		return -1;
	}
	if (renameat(a->dirfd, tmp, a->dirfd, to) == -1) {
		unlinkat(a->dirfd, tmp, 0);
		return -1;
	}
	store_fsync_dir(a->dirfd, "cur");
	return 0;
}

static int
find_uid(int dirfd, const char *base, uint32_t *uidvalidity, uint32_t *uid)
{
	struct store_scan	s;
	struct uidlist		ul;
	size_t			i;

	if (store_scan(dirfd, &s) == -1)
		return -1;
	if (store_sync_uids(dirfd, &s, NULL, NULL, &ul) == -1) {
		store_scan_free(&s);
		return -1;
	}
	*uid = 0;
	for (i = ul.n; i > 0; i--)
		if (strcmp(ul.e[i - 1].name, base) == 0) {
			*uid = ul.e[i - 1].uid;
			break;
		}
	*uidvalidity = ul.uidvalidity;
	uidlist_free(&ul);
	store_scan_free(&s);
	if (*uid == 0) {
		errno = ENOENT;		/* expunged by another already */
		return -1;
	}
	return 0;
}

int
store_append_commit(struct store_append *a, unsigned flags,
    const char *const *keywords, size_t nkeywords, time_t idate,
    uint32_t *uidvalidity, uint32_t *uid)
{
	char	base[STORE_FILE_MAX];
	size_t	i;
	int	rv = -1;

	for (i = 0; i < nkeywords; i++)
		if (store_keyword_valid(keywords[i]) == -1) {
			errno = EINVAL;
			store_append_abort(a);
			return -1;
		}
	if (append_place(a, flags, idate, base, sizeof(base)) == 0) {
		append_keywords(a->dirfd, base, keywords, nkeywords);
		rv = find_uid(a->dirfd, base, uidvalidity, uid);
	}
	store_append_abort(a);
	return rv;
}
