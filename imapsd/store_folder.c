/*
 * The folders of a Maildir++: LIST (with the parents a flat layout does
 * not hold as \Noselect), CREATE, DELETE and RENAME.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "maildir.h"
#include "store_int.h"
#include "xmalloc.h"

#define DELETE_DEPTH	3	/* directory levels a deleted folder has */

int
store_open(struct store *st, const char *maildir)
{
	if (strlcpy(st->root, maildir, sizeof(st->root)) >= sizeof(st->root)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((st->rootfd = open(maildir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return -1;
	if (faccessat(st->rootfd, "cur", F_OK, 0) == -1 ||
	    faccessat(st->rootfd, "new", F_OK, 0) == -1 ||
	    faccessat(st->rootfd, "tmp", F_OK, 0) == -1) {
		close(st->rootfd);
		st->rootfd = -1;
		errno = ENOENT;
		return -1;
	}
	return 0;
}

void
store_close(struct store *st)
{
	if (st->rootfd != -1)
		close(st->rootfd);
	st->rootfd = -1;
}

static int
cmp_folder(const void *a, const void *b)
{
	const struct store_folder *x = a, *y = b;

	if (store_name_is_inbox(x->name) != store_name_is_inbox(y->name))
		return store_name_is_inbox(x->name) ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void
list_add(struct store_list *l, char *name, int attrs)
{
	const char	*dot = strchr(name, '.');

	l->f = xreallocarray(l->f, l->n + 1, sizeof(*l->f));
	l->f[l->n].name = name;
	l->f[l->n].attrs = attrs;
	l->f[l->n].special = dot == NULL ? store_special_use(name) :
	    STORE_SPECIAL_NONE;
	l->n++;
}

/* The entry of name: sorted up to nsorted, the rest looked through. */
static struct store_folder *
list_find(struct store_list *l, size_t nsorted, const char *name)
{
	struct store_folder	key, *f;
	size_t			i;

	key.name = (char *)name;
	if (nsorted > 0 && (f = bsearch(&key, l->f, nsorted, sizeof(key),
	    cmp_folder)) != NULL)
		return f;
	for (i = nsorted; i < l->n; i++)
		if (strcmp(l->f[i].name, name) == 0)
			return &l->f[i];
	return NULL;
}

/*
 * Every folder's parents: missing ones become \Noselect entries, and
 * each parent is marked \HasChildren.
 */
static void
add_parents(struct store_list *l)
{
	struct store_folder	*f;
	size_t			 i, n = l->n;
	char			*p, *dot;

	for (i = 0; i < n; i++) {
		p = xstrdup(l->f[i].name);
		while ((dot = strrchr(p, '.')) != NULL) {
			*dot = '\0';
			if ((f = list_find(l, n, p)) == NULL) {
				list_add(l, xstrdup(p), STORE_LIST_NOSELECT);
				f = &l->f[l->n - 1];
			}
			f->attrs |= STORE_LIST_CHILDREN;
		}
		free(p);
	}
	qsort(l->f, l->n, sizeof(*l->f), cmp_folder);
}

int
store_list(struct store *st, struct store_list *l)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	char		*name;
	int		 fd;

	memset(l, 0, sizeof(*l));
	list_add(l, xstrdup("INBOX"), 0);
	if ((fd = dup(st->rootfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		store_list_free(l);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (l->n >= STORE_FOLDERS_MAX) {
			log_warnx("event=list error=\"over %d folders\" "
			    "path=%s", STORE_FOLDERS_MAX, st->root);
			break;
		}
		if (de->d_name[0] != '.' ||
		    (name = store_name_from_dir(de->d_name)) == NULL)
			continue;
		if (fstatat(st->rootfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) ==
		    -1 || !S_ISDIR(sb.st_mode)) {
			free(name);
			continue;
		}
		list_add(l, name, 0);
	}
	closedir(d);
	qsort(l->f, l->n, sizeof(*l->f), cmp_folder);
	add_parents(l);
	return 0;
}

void
store_list_free(struct store_list *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->f[i].name);
	free(l->f);
	memset(l, 0, sizeof(*l));
}

int
store_exists(struct store *st, const char *name)
{
	int	fd, ok;

	if ((fd = store_folder_fd(st, name)) == -1)
		return 0;
	ok = faccessat(fd, "cur", F_OK, 0) == 0;
	close(fd);
	return ok;
}

/* One folder by its checked name; what exists is kept. */
static int
create_one(struct store *st, const char *name)
{
	struct maildir	md;
	char		dir[STORE_DIRNAME_MAX];

	if (store_dirname(name, dir, sizeof(dir)) == -1)
		return -1;
	md.fd = st->rootfd;
	strlcpy(md.path, st->root, sizeof(md.path));
	return maildir_folder_create(&md, dir);
}

int
store_create(struct store *st, const char *name)
{
	char	*p, *dot;
	int	 rv = 0;

	if (store_name_valid(name) == -1)
		return -1;
	if (store_name_is_inbox(name) || store_exists(st, name)) {
		errno = EEXIST;
		return -1;
	}
	p = xstrdup(name);
	for (dot = strchr(p, '.'); rv == 0 && dot != NULL;
	    dot = strchr(dot + 1, '.')) {
		*dot = '\0';
		if (!store_exists(st, p))
			rv = create_one(st, p);
		*dot = '.';
	}
	free(p);
	return rv == 0 ? create_one(st, name) : -1;
}

/* Removes what a folder directory holds, DELETE_DEPTH levels down. */
static int
remove_tree(int parent, const char *name, int depth)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd, rv = 0;

	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (depth == 0 || (fd = openat(parent, name, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    remove_tree(fd, de->d_name, depth - 1) == -1)
			rv = -1;
	closedir(d);
	if (unlinkat(parent, name, AT_REMOVEDIR) == -1)
		rv = -1;
	return rv;
}

/* The on-disk directory name of an existing folder. */
static int
existing_dir(struct store *st, const char *name, char *dir, size_t size)
{
	struct stat	sb;

	if (store_dirname(name, dir, size) == -1)
		return -1;
	if (fstatat(st->rootfd, dir, &sb, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (store_dirname_utf8(name, dir, size) == 0 &&
	    fstatat(st->rootfd, dir, &sb, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	errno = ENOENT;
	return -1;
}

/*
 * The folder is first renamed into the root's tmp/ (gone at once for
 * everyone), then emptied there.
 */
int
store_delete(struct store *st, const char *name)
{
	static unsigned	ndeleted;
	char		dir[STORE_DIRNAME_MAX], trash[128];

	if (store_name_valid(name) == -1)
		return -1;
	if (store_name_is_inbox(name)) {
		errno = EPERM;
		return -1;
	}
	if (!store_exists(st, name) ||
	    existing_dir(st, name, dir, sizeof(dir)) == -1) {
		errno = ENOENT;
		return -1;
	}
	snprintf(trash, sizeof(trash), "tmp/buzon-deleted.%lld.%ld.%u",
	    (long long)time(NULL), (long)getpid(), ndeleted++);
	if (renameat(st->rootfd, dir, st->rootfd, trash) == -1)
		return -1;
	if (remove_tree(st->rootfd, trash, DELETE_DEPTH) == -1)
		log_warn("event=delete-folder left=%s", trash);
	return 0;
}
