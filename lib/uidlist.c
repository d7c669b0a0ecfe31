/*
 * The per-folder uid list (see uidlist.h and docs/uidlist.md): reading,
 * the courier migration, the locked sync and the atomic rewrite.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "maildir.h"
#include "number.h"
#include "uidlist.h"
#include "xmalloc.h"

#define UIDLIST_LOCK_STEP_MS	20

/* A name to UIDL pair kept from courierpop3dsizelist. */
struct kept_uidl {
	char	*name;
	char	*uidl;
};

struct kept {
	struct kept_uidl	*v;
	size_t			 n;
};

static int	read_file(int, const char *, struct uidlist *);
static int	parse_header(char *, struct uidlist *);
static int	parse_entry(char *, struct uidlist *);
static int	write_file(int, const struct uidlist *);
static int	migrate(int, struct uidlist *, struct kept *);
static int	courier_imap(FILE *, struct uidlist *);
static int	courier_pop3(FILE *, struct uidlist *, struct kept *);
static void	kept_add(struct kept *, const char *, const char *);
static void	kept_free(struct kept *);

static void
entry_add(struct uidlist *ul, uint32_t uid, const char *name,
    const char *uidl, uint64_t vsize)
{
	struct uidlist_entry	*e;

	ul->e = xreallocarray(ul->e, ul->n + 1, sizeof(*ul->e));
	e = &ul->e[ul->n++];
	e->uid = uid;
	e->vsize = vsize;
	e->name = xstrdup(name);
	e->uidl = uidl != NULL ? xstrdup(uidl) : NULL;
	e->index = (size_t)-1;
}

void
uidlist_free(struct uidlist *ul)
{
	size_t	i;

	for (i = 0; i < ul->n; i++) {
		free(ul->e[i].name);
		free(ul->e[i].uidl);
	}
	free(ul->e);
	memset(ul, 0, sizeof(*ul));
}

struct uidlist_entry *
uidlist_find(const struct uidlist *ul, uint32_t uid)
{
	size_t	lo = 0, hi = ul->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ul->e[mid].uid == uid)
			return &ul->e[mid];
		if (ul->e[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int
uidlist_basename(const char *file, char *buf, size_t bufsize)
{
	const char	*p = strstr(file, ":2,");
	size_t		 len = p != NULL ? (size_t)(p - file) : strlen(file);

	if (len + 1 > bufsize) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, file, len);
	buf[len] = '\0';
	return 0;
}

/*
 * The reverse of uidlist_escape(), in place: 0, or -1 for a broken
 * escape, %00 or nothing at all.
 */
int
uidlist_unescape(char *s)
{
	char	*r, *w;
	int	 hi, lo;

	/* Most names have nothing escaped. */
	if ((r = strchr(s, '%')) == NULL)
		return *s == '\0' ? -1 : 0;
	for (w = r; *r != '\0'; r++) {
		if (*r != '%') {
			*w++ = *r;
			continue;
		}
		if ((hi = hex_digit(r[1])) == -1 ||
		    (lo = hex_digit(r[2])) == -1 || (hi | lo) == 0)
			return -1;
		*w++ = (char)(hi << 4 | lo);
		r += 2;
	}
	*w = '\0';
	return w == s ? -1 : 0;
}

int
uidlist_escape(const char *s, char *buf, size_t size)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 o = 0;

	for (; *p != '\0'; p++) {
		if (o + 4 > size) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (*p <= 0x20 || *p >= 0x7f || *p == '%') {
			buf[o++] = '%';
			buf[o++] = hex[*p >> 4];
			buf[o++] = hex[*p & 0xf];
		} else
			buf[o++] = *p;
	}
	if (o >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	buf[o] = '\0';
	return 0;
}

static int
parse_u32(const char *s, uint32_t *v)
{
	long long	n;

	if (parse_number(s, 0, UINT32_MAX, &n) == -1)
		return -1;
	*v = (uint32_t)n;
	return 0;
}

static int
parse_header(char *line, struct uidlist *ul)
{
	char	*w[5], *save = NULL;
	int	 n = 0;
	uint32_t version;

	for (w[n] = strtok_r(line, " ", &save); w[n] != NULL && n < 4;
	    w[n] = strtok_r(NULL, " ", &save))
		n++;
	if (n != 4 || strcmp(w[0], UIDLIST_FILE) != 0 ||
	    parse_u32(w[1], &version) == -1 || version != UIDLIST_VERSION ||
	    parse_u32(w[2], &ul->uidvalidity) == -1 ||
	    parse_u32(w[3], &ul->uidnext) == -1 || ul->uidnext == 0)
		return -1;
	return 0;
}

static int
parse_entry(char *line, struct uidlist *ul)
{
	char		*uidw, *name, *f, *save = NULL, *uidl = NULL;
	uint32_t	 uid;
	long long	 vsize = 0;

	if ((uidw = strtok_r(line, " ", &save)) == NULL ||
	    (name = strtok_r(NULL, " ", &save)) == NULL ||
	    parse_u32(uidw, &uid) == -1 || uid == 0 || uid >= ul->uidnext ||
	    (ul->n > 0 && uid <= ul->e[ul->n - 1].uid) ||
	    uidlist_unescape(name) == -1)
		return -1;
	while ((f = strtok_r(NULL, " ", &save)) != NULL) {
		if (f[0] == 'V' &&
		    parse_number(f + 1, 0, INT64_MAX, &vsize) == -1)
			return -1;
		if (f[0] == 'P') {
			if (f[1] == '\0' || strlen(f + 1) > UIDLIST_UIDL_MAX)
				return -1;
			uidl = f + 1;
		}
	}
	entry_add(ul, uid, name, uidl, (uint64_t)vsize);
	return 0;
}

/* Parses an open uid list; 0, or -1 with EINVAL and a log line. */
static int
read_file(int fd, const char *what, struct uidlist *ul)
{
	FILE	*fp;
	char	*line = xmalloc(UIDLIST_LINE_MAX);
	int	 r, lineno = 1, rv = -1;

	memset(ul, 0, sizeof(*ul));
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		free(line);
		return -1;
	}
	if ((r = maildir_read_line(fp, line, UIDLIST_LINE_MAX)) != 1 ||
	    parse_header(line, ul) == -1)
		goto fail;
	while ((r = maildir_read_line(fp, line, UIDLIST_LINE_MAX)) == 1) {
		lineno++;
		if (parse_entry(line, ul) == -1)
			goto fail;
	}
	if (r == 0 && !ferror(fp))
		rv = 0;
fail:
	if (rv == -1) {
		log_warnx("event=uidlist error=malformed file=%s line=%d",
		    what, lineno);
		uidlist_free(ul);
		errno = EINVAL;
	}
	fclose(fp);
	free(line);
	return rv;
}

int
uidlist_read(int dirfd, struct uidlist *ul)
{
	int	fd;

	memset(ul, 0, sizeof(*ul));
	if ((fd = openat(dirfd, UIDLIST_FILE, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	return read_file(fd, UIDLIST_FILE, ul);
}

static int
write_entries(FILE *fp, const struct uidlist *ul)
{
	const struct uidlist_entry	*e;
	char				 esc[3 * UIDLIST_LINE_MAX + 1];
	size_t				 i;

	fprintf(fp, "%s %d %" PRIu32 " %" PRIu32 "\n", UIDLIST_FILE,
	    UIDLIST_VERSION, ul->uidvalidity, ul->uidnext);
	for (i = 0; i < ul->n; i++) {
		e = &ul->e[i];
		if (uidlist_escape(e->name, esc, sizeof(esc)) == -1)
			return -1;
		fprintf(fp, "%" PRIu32 " %s", e->uid, esc);
		if (e->vsize != 0)
			fprintf(fp, " V%" PRIu64, e->vsize);
		if (e->uidl != NULL)
			fprintf(fp, " P%s", e->uidl);
		fputc('\n', fp);
	}
	return fflush(fp) == 0 && !ferror(fp) ? 0 : -1;
}

/* tmp + fsync + rename + fsync of the folder. */
static int
write_file(int dirfd, const struct uidlist *ul)
{
	FILE	*fp;
	int	 fd;

	if ((fd = openat(dirfd, UIDLIST_TMPFILE, O_WRONLY | O_CREAT |
	    O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1)
		return -1;
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		goto fail;
	}
	if (write_entries(fp, ul) == -1 || fsync(fileno(fp)) == -1) {
		fclose(fp);
		goto fail;
	}
	if (fclose(fp) == EOF ||
	    renameat(dirfd, UIDLIST_TMPFILE, dirfd, UIDLIST_FILE) == -1)
		goto fail;
	return fsync(dirfd);
fail:
	unlinkat(dirfd, UIDLIST_TMPFILE, 0);
	return -1;
}

/* The exclusive lock, waited for at most UIDLIST_LOCK_WAIT_MS. */
static int
lock_take(int dirfd)
{
	struct flock	 fl;
	struct timespec	 ts = { 0, UIDLIST_LOCK_STEP_MS * 1000000L };
	int		 fd, waited = 0;

	if ((fd = openat(dirfd, UIDLIST_LOCKFILE, O_RDWR | O_CREAT |
	    O_CLOEXEC | O_NOFOLLOW, 0600)) == -1)
		return -1;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	while (fcntl(fd, F_SETLK, &fl) == -1) {
		if ((errno != EACCES && errno != EAGAIN && errno != EINTR) ||
		    waited >= UIDLIST_LOCK_WAIT_MS) {
			if (errno == EACCES || errno == EAGAIN)
				errno = ETIMEDOUT;
			close(fd);
			return -1;
		}
		nanosleep(&ts, NULL);
		waited += UIDLIST_LOCK_STEP_MS;
	}
	return fd;
}

/* qsort(3) has no argument for its comparison: the names sorted now. */
static const char *const	*sort_names;

static int
cmp_index_name(const void *a, const void *b)
{
	return strcmp(sort_names[*(const size_t *)a],
	    sort_names[*(const size_t *)b]);
}

struct name_index {
	const char *const	*names;
	size_t			*order;		/* indexes sorted by name */
	char			*taken;
	size_t			 n;
	int			 dups;		/* a name is there twice */
};

static size_t
index_find(const struct name_index *ix, const char *name)
{
	size_t	lo = 0, hi = ix->n, mid;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(ix->names[ix->order[mid]], name)) == 0)
			return ix->order[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (size_t)-1;
}

static void
index_build(struct name_index *ix, const char *const *names, size_t n)
{
	size_t	i;

	ix->names = names;
	ix->n = n;
	ix->order = xreallocarray(NULL, n + 1, sizeof(size_t));
	ix->taken = xcalloc(n + 1, 1);
	for (i = 0; i < n; i++)
		ix->order[i] = i;
	sort_names = names;
	qsort(ix->order, n, sizeof(size_t), cmp_index_name);
	sort_names = NULL;
	ix->dups = 0;
	for (i = 1; i < n && !ix->dups; i++)
		ix->dups = strcmp(names[ix->order[i - 1]],
		    names[ix->order[i]]) == 0;
}

/* Keeps the entries whose names are present; 1 when any was dropped. */
static int
drop_gone(struct uidlist *ul, struct name_index *ix)
{
	size_t	i, o = 0, k, hint;
	int	changed = 0;

	for (i = 0, hint = 0; i < ul->n; i++) {
		/*
		 * The folder is read in arrival order, the list is in it;
		 * with a name twice, index_find() alone says which counts.
		 */
		if (!ix->dups && hint < ix->n &&
		    strcmp(ix->names[hint], ul->e[i].name) == 0)
			k = hint;
		else
			k = index_find(ix, ul->e[i].name);
		hint = k + 1;
		if (k == (size_t)-1 || ix->taken[k]) {
			free(ul->e[i].name);
			free(ul->e[i].uidl);
			changed = 1;
			continue;
		}
		ix->taken[k] = 1;
		ul->e[i].index = k;
		ul->e[o++] = ul->e[i];
	}
	ul->n = o;
	return changed;
}

static int
cmp_kept(const void *a, const void *b)
{
	return strcmp(((const struct kept_uidl *)a)->name,
	    ((const struct kept_uidl *)b)->name);
}

/* The kept UIDL of name (k sorted by kept_sort()), or NULL. */
static const char *
kept_find(const struct kept *k, const char *name)
{
	struct kept_uidl	 key, *f;

	if (k->n == 0)
		return NULL;
	key.name = (char *)name;
	f = bsearch(&key, k->v, k->n, sizeof(*k->v), cmp_kept);
	return f != NULL ? f->uidl : NULL;
}

static void
kept_sort(struct kept *k)
{
	if (k->n > 1)
		qsort(k->v, k->n, sizeof(*k->v), cmp_kept);
}

/* New names get the next UIDs; -1 (EOVERFLOW) when UIDs run out. */
static int
add_new(struct uidlist *ul, struct name_index *ix, const struct kept *k)
{
	size_t	i, j;
	int	changed = 0;

	for (i = 0; i < ix->n; i++) {
		if (ix->taken[i])
			continue;
		if ((j = index_find(ix, ix->names[i])) != i && ix->taken[j])
			continue;	/* the same base name twice */
		if (ul->uidnext == UINT32_MAX) {
			errno = EOVERFLOW;
			return -1;
		}
		entry_add(ul, ul->uidnext++, ix->names[i],
		    kept_find(k, ix->names[i]), 0);
		ul->e[ul->n - 1].index = i;
		ix->taken[i] = 1;
		ix->taken[j] = 1;
		changed = 1;
	}
	return changed;
}

static int
fill_sizes(struct uidlist *ul, uidlist_vsize_fn fn, void *arg)
{
	size_t		i;
	uint64_t	v;
	int		changed = 0;

	for (i = 0; fn != NULL && i < ul->n; i++) {
		if (ul->e[i].vsize != 0 || fn(arg, ul->e[i].index, &v) == -1 ||
		    v == 0)
			continue;
		ul->e[i].vsize = v;
		changed = 1;
	}
	return changed;
}

/*
 * The list as it is on disk (0), or adopted from courier or a new one
 * (1: to be written even when no message is there, so that UIDVALIDITY
 * stays), or -1.
 */
static int
load(int dirfd, struct uidlist *ul, struct kept *k)
{
	int	fd;

	if ((fd = openat(dirfd, UIDLIST_FILE, O_RDONLY | O_CLOEXEC)) != -1)
		return read_file(fd, UIDLIST_FILE, ul);
	if (errno != ENOENT)
		return -1;
	return migrate(dirfd, ul, k) == -1 ? -1 : 1;
}

int
uidlist_sync(int dirfd, const char *const *names, size_t n,
    uidlist_vsize_fn vsize_fn, void *arg, struct uidlist *ul)
{
	struct name_index	 ix;
	struct kept		 k = { NULL, 0 };
	int			 lockfd, changed, r, saved;

	memset(ul, 0, sizeof(*ul));
	memset(&ix, 0, sizeof(ix));
	if ((lockfd = lock_take(dirfd)) == -1)
		return -1;
	if ((changed = load(dirfd, ul, &k)) == -1)
		goto fail;
	index_build(&ix, names, n);
	changed |= drop_gone(ul, &ix);
	if ((r = add_new(ul, &ix, &k)) == -1)
		goto fail;
	changed |= r | fill_sizes(ul, vsize_fn, arg);
	if (changed) {
		if (write_file(dirfd, ul) == -1)
			goto fail;
		ul->written = 1;
	}
	free(ix.order);
	free(ix.taken);
	kept_free(&k);
	close(lockfd);
	return 0;
fail:
	saved = errno;
	free(ix.order);
	free(ix.taken);
	kept_free(&k);
	uidlist_free(ul);
	close(lockfd);
	errno = saved;
	return -1;
}

/* --- courier migration --- */

static void
kept_free(struct kept *k)
{
	size_t	i;

	for (i = 0; i < k->n; i++) {
		free(k->v[i].name);
		free(k->v[i].uidl);
	}
	free(k->v);
	k->v = NULL;
	k->n = 0;
}

static FILE *
open_courier(int dirfd, const char *name)
{
	FILE	*fp;
	int	 fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) ==
	    -1)
		return NULL;
	if ((fp = fdopen(fd, "r")) == NULL)
		close(fd);
	return fp;
}

static int
cmp_uid(const void *a, const void *b)
{
	const struct uidlist_entry	*x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static const struct uidlist_entry	*sort_entries;

/* By name, then by position (which is by uid). */
static int
cmp_entry_name(const void *a, const void *b)
{
	size_t	x = *(const size_t *)a, y = *(const size_t *)b;
	int	c = strcmp(sort_entries[x].name, sort_entries[y].name);

	return c != 0 ? c : (x < y ? -1 : x > y);
}

/* Marks in dup every entry whose name an entry of lower uid has. */
static void
mark_dup_names(const struct uidlist *ul, char *dup)
{
	size_t	*order = xreallocarray(NULL, ul->n, sizeof(size_t)), i;

	for (i = 0; i < ul->n; i++)
		order[i] = i;
	sort_entries = ul->e;
	qsort(order, ul->n, sizeof(size_t), cmp_entry_name);
	sort_entries = NULL;
	for (i = 1; i < ul->n; i++)
		if (strcmp(ul->e[order[i]].name, ul->e[order[i - 1]].name) == 0)
			dup[order[i]] = 1;
	free(order);
}

/* Sorts by uid and removes repeated uids and names (first one wins). */
static void
entries_tidy(struct uidlist *ul)
{
	size_t	 i, o = 0;
	char	*dup;

	if (ul->n == 0)
		return;
	qsort(ul->e, ul->n, sizeof(*ul->e), cmp_uid);
	dup = xcalloc(ul->n, 1);
	mark_dup_names(ul, dup);
	for (i = 0; i < ul->n; i++) {
		if (dup[i] || (o > 0 && ul->e[o - 1].uid == ul->e[i].uid)) {
			free(ul->e[i].name);
			free(ul->e[i].uidl);
			continue;
		}
		ul->e[o++] = ul->e[i];
	}
	free(dup);
	ul->n = o;
	if (ul->uidnext <= ul->e[ul->n - 1].uid)
		ul->uidnext = ul->e[ul->n - 1].uid + 1;
}

/* "1 <uidvalidity> <nextuid>", then "<uid> <file name>" lines. */
static int
courier_imap(FILE *fp, struct uidlist *ul)
{
	char		*line = xmalloc(UIDLIST_LINE_MAX), *sp, base[1024];
	uint32_t	 uid;
	int		 r, bad = 0;

	/* Digits and blanks only: sscanf would take a sign. */
	if (maildir_read_line(fp, line, UIDLIST_LINE_MAX) != 1 ||
	    line[strspn(line, "0123456789 ")] != '\0' ||
	    sscanf(line, "1 %" SCNu32 " %" SCNu32, &ul->uidvalidity,
	    &ul->uidnext) != 2) {
		free(line);
		return -1;
	}
	while ((r = maildir_read_line(fp, line, UIDLIST_LINE_MAX)) != 0) {
		if (r == -1 || (sp = strchr(line, ' ')) == NULL) {
			bad++;
			continue;
		}
		*sp++ = '\0';
		if (parse_u32(line, &uid) == -1 || uid == 0 || *sp == '\0' ||
		    uidlist_basename(sp, base, sizeof(base)) == -1 ||
		    base[0] == '\0') {
			bad++;
			continue;
		}
		entry_add(ul, uid, base, NULL, 0);
	}
	if (bad)
		log_warnx("event=uidlist file=%s skipped=%d",
		    UIDLIST_COURIER_IMAP, bad);
	free(line);
	return 0;
}

/* courier-pop3d's version 0 UIDL: the base name, +XX escaped. */
static void
courier_v0_uidl(const char *base, char *buf, size_t size)
{
	const unsigned char	*p = (const unsigned char *)base;
	size_t			 o = 0;

	for (; *p != '\0' && o + 4 < size; p++) {
		if (*p < 0x21 || *p > 0x7e || *p == '\'' || *p == '"' ||
		    *p == '+')
			o += snprintf(buf + o, size - o, "+%02X", *p);
		else
			buf[o++] = *p;
	}
	buf[o] = '\0';
}

static void
kept_add(struct kept *k, const char *name, const char *uidl)
{
	k->v = xreallocarray(k->v, k->n + 1, sizeof(*k->v));
	k->v[k->n].name = xstrdup(name);
	k->v[k->n].uidl = xstrdup(uidl);
	k->n++;
}

/* One "<file> <size> <uid>:<uidv>[:<utf8>]" line; its uid into *uid. */
static int
courier_pop3_line(char *line, int oldfmt, struct kept *k, uint32_t *uid,
    uint32_t *uidv, char *base, size_t basesize)
{
	char		 uidl[UIDLIST_UIDL_MAX + 1], *sp;
	unsigned long	 size, u = 0, v = 0;

	if ((sp = strchr(line, ' ')) != NULL)
		*sp++ = '\0';
	else if (!oldfmt)
		return -1;
	if (uidlist_basename(line, base, basesize) == -1 || base[0] == '\0')
		return -1;
	*uid = *uidv = 0;
	if (!oldfmt) {
		if (sp[strspn(sp, "0123456789 :")] != '\0' ||
		    sscanf(sp, "%lu %lu:%lu", &size, &u, &v) != 3 ||
		    u > UINT32_MAX || v > UINT32_MAX)
			return -1;
		*uid = u;
		*uidv = v;
	}
	if (*uid == 0)
		courier_v0_uidl(base, uidl, sizeof(uidl));
	else if (*uidv != 0)
		snprintf(uidl, sizeof(uidl), "UID%lu-%lu", u, v);
	else
		snprintf(uidl, sizeof(uidl), "UID%lu", u);
	kept_add(k, base, uidl);
	return 0;
}

/*
 * Keeps every UIDL courier-pop3d gave; when courierimapuiddb gave no
 * UIDs (have_imap 0), its own uid numbers of the header's uidvalidity
 * become the UIDs.
 */
static int
courier_pop3(FILE *fp, struct uidlist *ul, struct kept *k)
{
	char		*line = xmalloc(UIDLIST_LINE_MAX), base[1024];
	uint32_t	 nextuid = 0, hv = 0, uid, uidv;
	int		 r, ver, first = 1, oldfmt = 0, bad = 0;
	int		 have_imap = ul->uidnext != 0;

	while ((r = maildir_read_line(fp, line, UIDLIST_LINE_MAX)) != 0) {
		if (first && r == 1 && line[0] == '/') {
			first = 0;
			if (line[1 + strspn(line + 1, "0123456789 ")] != '\0' ||
			    sscanf(line, "/%d %" SCNu32 " %" SCNu32, &ver,
			    &nextuid, &hv) != 3 || (ver != 2 && ver != 3)) {
				log_warnx("event=uidlist file=%s "
				    "error=\"unknown header\"",
				    UIDLIST_COURIER_POP3);
				break;
			}
			if (!have_imap) {
				ul->uidvalidity = hv;
				ul->uidnext = nextuid;
			}
			continue;
		}
		if (first)
			oldfmt = 1;
		first = 0;
		if (r == -1 || courier_pop3_line(line, oldfmt, k, &uid, &uidv,
		    base, sizeof(base)) == -1)
			bad++;
		else if (!have_imap && !oldfmt && uid != 0 && uidv == hv)
			entry_add(ul, uid, base, NULL, 0);
	}
	if (bad)
		log_warnx("event=uidlist file=%s skipped=%d",
		    UIDLIST_COURIER_POP3, bad);
	free(line);
	return 0;
}

/* Entries of ul that courier-pop3d listed get its UIDL. */
static void
attach_uidls(struct uidlist *ul, const struct kept *k)
{
	const char	*u;
	size_t		 i;

	for (i = 0; i < ul->n; i++)
		if (ul->e[i].uidl == NULL &&
		    (u = kept_find(k, ul->e[i].name)) != NULL)
			ul->e[i].uidl = xstrdup(u);
}

/* One "<uid> [<key><value> ...] :<file name>" line of version 3. */
static int
dovecot_line(char *line, struct uidlist *ul, struct kept *k)
{
	char		*name, *w, *save = NULL, base[1024];
	uint32_t	 uid;
	long long	 vsize = 0;
	const char	*uidl = NULL;

	if ((name = strstr(line, " :")) == NULL)
		return -1;
	*name = '\0';
	name += 2;
	if ((w = strtok_r(line, " ", &save)) == NULL ||
	    parse_u32(w, &uid) == -1 || uid == 0 ||
	    uidlist_basename(name, base, sizeof(base)) == -1 ||
	    base[0] == '\0')
		return -1;
	while ((w = strtok_r(NULL, " ", &save)) != NULL) {
		if (w[0] == 'W' && parse_number(w + 1, 1, INT64_MAX,
		    &vsize) == -1)
			vsize = 0;
		/* An empty P: the UIDL is the base name. */
		if (w[0] == 'P' && strlen(w + 1) <= UIDLIST_UIDL_MAX)
			uidl = w + 1;
	}
	if (uidl != NULL && uidl[0] == '\0')
		uidl = base;
	entry_add(ul, uid, base, NULL, (uint64_t)vsize);
	if (uidl != NULL)
		kept_add(k, base, uidl);
	return 0;
}

/*
 * Dovecot's "dovecot-uidlist": version 1 is courierimapuiddb's format;
 * version 3 is "3 V<uidvalidity> N<nextuid> [G<guid>] ...", then
 * "<uid> [W<vsize>] [P<uidl>] [...] :<file name>" lines.
 */
static int
dovecot_uidlist(FILE *fp, struct uidlist *ul, struct kept *k)
{
	char	*line, *w, *save = NULL;
	int	 r, bad = 0;

	if ((r = fgetc(fp)) == '1') {
		ungetc(r, fp);
		return courier_imap(fp, ul);
	}
	line = xmalloc(UIDLIST_LINE_MAX);
	if (r != '3' || maildir_read_line(fp, line, UIDLIST_LINE_MAX) != 1 ||
	    line[0] != ' ') {
		free(line);
		return -1;
	}
	for (w = strtok_r(line, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		if (w[0] == 'V' && parse_u32(w + 1, &ul->uidvalidity) == -1)
			ul->uidvalidity = 0;
		if (w[0] == 'N' && parse_u32(w + 1, &ul->uidnext) == -1)
			ul->uidnext = 0;
	}
	while ((r = maildir_read_line(fp, line, UIDLIST_LINE_MAX)) != 0)
		if (r == -1 || dovecot_line(line, ul, k) == -1)
			bad++;
	if (bad)
		log_warnx("event=uidlist file=%s skipped=%d",
		    UIDLIST_DOVECOT, bad);
	free(line);
	kept_sort(k);
	return ul->uidvalidity != 0 && ul->uidnext != 0 ? 0 : -1;
}

static int
migrate(int dirfd, struct uidlist *ul, struct kept *k)
{
	FILE		*imap, *pop3;
	const char	*what = UIDLIST_COURIER_IMAP;
	int		 r, dovecot = 0;

	memset(ul, 0, sizeof(*ul));
	if ((imap = open_courier(dirfd, UIDLIST_COURIER_IMAP)) == NULL &&
	    (imap = open_courier(dirfd, UIDLIST_DOVECOT)) != NULL) {
		what = UIDLIST_DOVECOT;
		dovecot = 1;
	}
	pop3 = open_courier(dirfd, UIDLIST_COURIER_POP3);
	if (imap != NULL) {
		if (dovecot)
			r = dovecot_uidlist(imap, ul, k);
		else
			r = courier_imap(imap, ul);
		if (r == -1) {
			log_warnx("event=uidlist file=%s error=\"unknown "
			    "header\"", what);
			uidlist_free(ul);
			kept_free(k);
		}
		fclose(imap);
	}
	if (pop3 != NULL) {
		courier_pop3(pop3, ul, k);
		fclose(pop3);
		kept_sort(k);
	}
	ul->migrated = imap != NULL || pop3 != NULL;
	if (ul->uidnext == 0 || ul->uidvalidity == 0) {
		uidlist_free(ul);
		ul->migrated = imap != NULL || pop3 != NULL;
		ul->uidvalidity = (uint32_t)time(NULL);
		ul->uidnext = 1;
	}
	entries_tidy(ul);
	attach_uidls(ul, k);
	if (ul->migrated)
		log_info("event=uidlist-migrated uidvalidity=%" PRIu32
		    " uids=%zu uidls=%zu", ul->uidvalidity, ul->n, k->n);
	return 0;
}
