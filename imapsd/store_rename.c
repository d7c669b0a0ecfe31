/*
 * RENAME: a folder and everything below it (Maildir++ keeps each level
 * as a directory of its own, so each one is renamed); RENAME INBOX
 * moves INBOX's messages into a new folder (RFC 3501 6.3.5).
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store_int.h"
#include "xmalloc.h"

/* A directory to rename: from and to names on disk. */
struct move {
	char	*from;
	char	*to;
};

/* Moves every file of sub/ of the root into sub/ of dstfd. */
static int
move_files(int rootfd, int dstfd, const char *sub)
{
	struct dirent	*de;
	DIR		*d;
	char		 from[STORE_FILE_MAX + 8];
	int		 fd, rv = 0;

	if ((fd = openat(rootfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(from, sizeof(from), "%s/%s", sub, de->d_name);
		if (renameat(rootfd, from, dstfd, from) == -1 &&
		    errno != ENOENT)
			rv = -1;
	}
	closedir(d);
	store_fsync_dir(dstfd, sub);
	return rv;
}

static int
rename_inbox(struct store *st, const char *to)
{
	int	dstfd, rv;

	if (store_create(st, to) == -1 || (dstfd = store_folder_fd(st, to)) ==
	    -1)
		return -1;
	/* Keywords and cache name messages by base name: they go along. */
	(void)renameat(st->rootfd, STORE_KEYWORDS_FILE, dstfd,
	    STORE_KEYWORDS_FILE);
	(void)renameat(st->rootfd, STORE_CACHE_FILE, dstfd, STORE_CACHE_FILE);
	rv = move_files(st->rootfd, dstfd, "new");
	if (move_files(st->rootfd, dstfd, "cur") == -1)
		rv = -1;
	close(dstfd);
	return rv;
}

/* Every directory of from and below it, with its new name. */
static int
collect(struct store *st, const char *from, const char *to,
    struct move **mv, size_t *n)
{
	struct dirent	*de;
	DIR		*d;
	char		*name, *newname, dir[STORE_DIRNAME_MAX];
	size_t		 len = strlen(from);
	int		 fd, rv = 0;

	if ((fd = dup(st->rootfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while (rv == 0 && (de = readdir(d)) != NULL) {
		if ((name = store_name_from_dir(de->d_name)) == NULL)
			continue;
		if (strncmp(name, from, len) == 0 &&
		    (name[len] == '\0' || name[len] == '.')) {
			xasprintf(&newname, "%s%s", to, name + len);
			if (store_name_valid(newname) == -1 ||
			    store_dirname(newname, dir, sizeof(dir)) == -1)
				rv = -1;
			else {
				*mv = xreallocarray(*mv, *n + 1, sizeof(**mv));
				(*mv)[*n].from = xstrdup(de->d_name);
				(*mv)[(*n)++].to = xstrdup(dir);
			}
			free(newname);
		}
		free(name);
	}
	closedir(d);
	return rv;
}

static int
rename_tree(struct store *st, const char *from, const char *to)
{
	struct move	*mv = NULL;
	struct stat	 sb;
	size_t		 n = 0, i;
	char		*parent, *dot;
	int		 rv = -1;

	if (collect(st, from, to, &mv, &n) == -1)
		goto done;
	if (n == 0 || !store_exists(st, from)) {
		errno = ENOENT;
		goto done;
	}
	for (i = 0; i < n; i++)
		if (fstatat(st->rootfd, mv[i].to, &sb, AT_SYMLINK_NOFOLLOW) ==
		    0) {
			errno = EEXIST;
			goto done;
		}
	for (i = 0; i < n; i++)
		if (renameat(st->rootfd, mv[i].from, st->rootfd, mv[i].to) ==
		    -1) {
			log_warn("event=rename-folder from=%s", mv[i].from);
			goto done;
		}
	rv = 0;
	/* The new name's parents, as CREATE makes them. */
	parent = xstrdup(to);
	if ((dot = strrchr(parent, '.')) != NULL) {
		*dot = '\0';
		if (!store_exists(st, parent) && store_create(st, parent) == -1)
			rv = -1;
	}
	free(parent);
done:
	for (i = 0; i < n; i++) {
		free(mv[i].from);
		free(mv[i].to);
	}
	free(mv);
	return rv;
}

int
store_rename(struct store *st, const char *from, const char *to)
{
	size_t	len = strlen(from);

	if (store_name_valid(from) == -1 || store_name_valid(to) == -1)
		return -1;
	if (store_name_is_inbox(to) || store_exists(st, to)) {
		errno = EEXIST;
		return -1;
	}
	if (store_name_is_inbox(from))
		return rename_inbox(st, to);
	if (strncmp(to, from, len) == 0 && to[len] == '.') {
		errno = EINVAL;
		return -1;
	}
	return rename_tree(st, from, to);
}
