/*
 * Reading a folder's directories: the one readdir of new/ and cur/ a
 * sync costs, the uid list over what it found, sizes from file names,
 * and finding a file again after another process renamed it.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_int.h"
#include "xmalloc.h"

/* The start of the digit run that holds p (p itself when none). */
static const char *
run_start(const char *s, const char *p)
{
	while (p > s && isdigit((unsigned char)p[-1]))
		p--;
	return p;
}

/*
 * Arrival order: names compared with digit runs as numbers, so that
 * "<sec>.M5P1Q2" comes before "<sec>.M12P1Q10" as it was made.  Only
 * the run where the names first differ needs a look: before it they
 * are the same octets.
 */
int
store_arrival_cmp(const char *a, const char *b)
{
	const char	*p = a, *q = b, *ea, *eb;
	size_t		 la, lb;

	while (*p != '\0' && *p == *q) {
		p++;
		q++;
	}
	if (!isdigit((unsigned char)*p) && !isdigit((unsigned char)*q) &&
	    (p == a || !isdigit((unsigned char)p[-1])))
		return (unsigned char)*p - (unsigned char)*q;
	if (!isdigit((unsigned char)*p) || !isdigit((unsigned char)*q)) {
		/* One run ended first: the shorter number is the smaller. */
		if (isdigit((unsigned char)*p) != isdigit((unsigned char)*q))
			return isdigit((unsigned char)*p) ? 1 : -1;
		return (unsigned char)*p - (unsigned char)*q;
	}
	p = run_start(a, p);
	q = run_start(b, q);
	for (ea = p; isdigit((unsigned char)*ea); ea++)
		;
	for (eb = q; isdigit((unsigned char)*eb); eb++)
		;
	while (*p == '0' && p + 1 < ea)
		p++;
	while (*q == '0' && q + 1 < eb)
		q++;
	la = ea - p;
	lb = eb - q;
	if (la != lb)
		return la < lb ? -1 : 1;
	return strncmp(p, q, la);
}

/* One file found: its name, base name and when it was seen. */
struct found {
	char			*file;	/* "new/x" or "cur/x:2,..." */
	char			*base;
	size_t			 pos;	/* later is fresher */
	unsigned long long	 sec;	/* the leading number, parsed once */
};

struct found_list {
	struct found	*v;
	size_t		 n;
	size_t		 cap;
};

static int
cmp_arrival(const void *x, const void *y)
{
	const struct found	*a = x, *b = y;

	if (a->sec != b->sec)
		return a->sec < b->sec ? -1 : 1;
	return store_arrival_cmp(a->file + 4, b->file + 4);
}

/* By base name, the freshest first. */
static int
cmp_base(const void *x, const void *y)
{
	const struct found	*a = x, *b = y;
	int			 c = strcmp(a->base, b->base);

	if (c != 0)
		return c;
	return a->pos > b->pos ? -1 : a->pos < b->pos;
}

static int
scan_dir(int dirfd, const char *sub, struct found_list *l)
{
	char		 base[STORE_FILE_MAX];
	struct dirent	*de;
	struct found	*f;
	DIR		*d;
	int		 fd;

	if ((fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    strlen(de->d_name) >= STORE_FILE_MAX ||
		    uidlist_basename(de->d_name, base, sizeof(base)) == -1)
			continue;
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 256;
			l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
		}
		f = &l->v[l->n];
		xasprintf(&f->file, "%s/%s", sub, de->d_name);
		f->base = xstrdup(base);
		f->sec = strtoull(de->d_name, NULL, 10);
		f->pos = l->n++;
	}
	closedir(d);
	return 0;
}

/* One name per base: the one seen last (cur/ after new/, rescans). */
static void
dedupe(struct found_list *l)
{
	size_t	i, o = 0;

	qsort(l->v, l->n, sizeof(*l->v), cmp_base);
	for (i = 0; i < l->n; i++) {
		if (o > 0 && strcmp(l->v[o - 1].base, l->v[i].base) == 0) {
			free(l->v[i].file);
			free(l->v[i].base);
			continue;
		}
		l->v[o++] = l->v[i];
	}
	l->n = o;
}

static int
cur_mtime(int dirfd, struct timespec *ts)
{
	struct stat	sb;

	if (fstatat(dirfd, "cur", &sb, 0) == -1)
		return -1;
	*ts = sb.st_mtim;
	return 0;
}

/*
 * new/ and cur/ in arrival order, with their base names.  readdir(3)
 * may miss a file another process renames meanwhile (a flag change):
 * when cur/ changed during the scan it is read again, up to
 * STORE_SCAN_TRIES times, and what any scan saw counts, so that a
 * numbered message is not taken for expunged.
 */
int
store_scan(int dirfd, struct store_scan *s)
{
	struct found_list	l;
	struct timespec		before, after;
	size_t			i, mark, tries;
	int			anynew = 0;

	memset(s, 0, sizeof(*s));
	memset(&l, 0, sizeof(l));
	for (tries = 0; tries < STORE_SCAN_TRIES; tries++) {
		mark = l.n;
		if (cur_mtime(dirfd, &before) == -1 ||
		    scan_dir(dirfd, "new", &l) == -1)
			goto fail;
		anynew |= l.n > mark;
		if (scan_dir(dirfd, "cur", &l) == -1 ||
		    cur_mtime(dirfd, &after) == -1)
			goto fail;
		if (before.tv_sec == after.tv_sec &&
		    before.tv_nsec == after.tv_nsec)
			break;
	}
	/* Within one clean scan a base is twice only via new/ to cur/. */
	if (tries > 0 || anynew)
		dedupe(&l);
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), cmp_arrival);
	s->files = xreallocarray(NULL, l.n + 1, sizeof(char *));
	s->bases = xreallocarray(NULL, l.n + 1, sizeof(char *));
	for (i = 0; i < l.n; i++) {
		s->files[i] = l.v[i].file;
		s->bases[i] = l.v[i].base;
	}
	s->n = l.n;
	free(l.v);
	return 0;
fail:
	for (i = 0; i < l.n; i++) {
		free(l.v[i].file);
		free(l.v[i].base);
	}
	free(l.v);
	return -1;
}

void
store_scan_free(struct store_scan *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++) {
		free(s->files[i]);
		if (s->bases != NULL)
			free(s->bases[i]);
	}
	free(s->files);
	free(s->bases);
	memset(s, 0, sizeof(*s));
}

int
store_sync_uids(int dirfd, struct store_scan *s, uidlist_vsize_fn fn,
    void *arg, struct uidlist *ul)
{
	return uidlist_sync(dirfd, (const char *const *)s->bases, s->n, fn,
	    arg, ul);
}

/* ",W=<vsize>" among the name's fields before ":2,". */
int
store_name_vsize(const char *file, uint64_t *vsize)
{
	const char		*p = file, *end = strstr(file, ":2,");
	unsigned long long	 v;
	char			*ep;

	if (end == NULL)
		end = file + strlen(file);
	while ((p = strchr(p, ',')) != NULL && p < end) {
		p++;
		if (strncmp(p, "W=", 2) != 0 || !isdigit((unsigned char)p[2]))
			continue;
		errno = 0;
		v = strtoull(p + 2, &ep, 10);
		if (errno == 0 && ep <= end && (*ep == ',' || ep == end) &&
		    v > 0) {
			*vsize = v;
			return 0;
		}
	}
	return -1;
}

void
store_fsync_dir(int dirfd, const char *sub)
{
	int	fd;

	if ((fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return;
	(void)fsync(fd);
	close(fd);
}

/* Looks for base in sub/; 1 with *file replaced when found. */
static int
relocate_in(int dirfd, const char *sub, const char *base, char **file)
{
	char		 other[STORE_FILE_MAX];
	struct dirent	*de;
	DIR		*d;
	int		 fd, found = 0;

	if ((fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while (!found && (de = readdir(d)) != NULL) {
		if (uidlist_basename(de->d_name, other, sizeof(other)) == 0 &&
		    strcmp(base, other) == 0) {
			free(*file);
			xasprintf(file, "%s/%s", sub, de->d_name);
			found = 1;
		}
	}
	closedir(d);
	return found;
}

/*
 * Finds *file ("cur/x:2,S" or "new/x") again after another process
 * renamed it (new flags, or new/ to cur/): 0, or -1 (ENOENT) when it is
 * gone from the folder.
 */
int
store_relocate(int dirfd, char **file)
{
	char	base[STORE_FILE_MAX];

	if (uidlist_basename(*file + 4, base, sizeof(base)) == -1)
		return -1;
	if (relocate_in(dirfd, "cur", base, file) ||
	    relocate_in(dirfd, "new", base, file))
		return 0;
	errno = ENOENT;
	return -1;
}
