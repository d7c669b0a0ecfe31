/*
 * A folder's keywords: the file "buzon-keywords" (docs/store.md), its
 * lock, and the one-time import of courier-imap's courierimapkeywords/.
 *
 *	buzon-keywords 1
 *	K <keyword>			keyword 0, 1, ... in this order
 *	M <base name> <index> ...	a message's keywords
 *
 * The K lines only grow (a keyword keeps its index while the file
 * lives), so that a session's table is always a prefix of the file's.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "maildir.h"
#include "number.h"
#include "store_int.h"
#include "xmalloc.h"

#define KW_HEADER	"buzon-keywords 1"
#define KW_TMPFILE	"buzon-keywords.tmp"
#define KW_LINE_MAX	4096		/* octets of a line of either file */
#define KW_LOCK_WAIT	10		/* seconds for the lock */
#define KW_RESORT	64		/* unsorted entries before a sort */
#define DOVECOT_LETTERS	26		/* keyword letters a-z */

static int
cmp_kwent(const void *a, const void *b)
{
	return strcmp(((const struct store_kwent *)a)->base,
	    ((const struct store_kwent *)b)->base);
}

static void
kw_sort(struct store_kwfile *kf)
{
	size_t	i, o = 0;

	if (kf->n > 1)
		qsort(kf->e, kf->n, sizeof(*kf->e), cmp_kwent);
	/* store_kw_set() never adds a base twice; this only guards. */
	for (i = 0; i < kf->n; i++) {
		if (o > 0 && strcmp(kf->e[o - 1].base, kf->e[i].base) == 0) {
			free(kf->e[o - 1].base);
			kf->e[o - 1] = kf->e[i];
			continue;
		}
		kf->e[o++] = kf->e[i];
	}
	kf->n = kf->nsorted = o;
}

static struct store_kwent *
kw_find(const struct store_kwfile *kf, const char *base)
{
	struct store_kwent	key, *f;
	size_t			i;

	key.base = (char *)base;
	for (i = kf->n; i > kf->nsorted; i--)
		if (strcmp(kf->e[i - 1].base, base) == 0)
			return &kf->e[i - 1];
	if (kf->nsorted == 0)
		return NULL;
	f = bsearch(&key, kf->e, kf->nsorted, sizeof(*kf->e), cmp_kwent);
	return f;
}

uint64_t
store_kw_mask(const struct store_kwfile *kf, const char *base)
{
	const struct store_kwent	*e = kw_find(kf, base);

	return e != NULL ? e->mask : 0;
}

void
store_kw_set(struct store_kwfile *kf, const char *base, uint64_t mask)
{
	struct store_kwent	*e;

	if ((e = kw_find(kf, base)) != NULL) {
		e->mask = mask;
		return;
	}
	kf->e = xreallocarray(kf->e, kf->n + 1, sizeof(*kf->e));
	kf->e[kf->n].base = xstrdup(base);
	kf->e[kf->n++].mask = mask;
	if (kf->n - kf->nsorted > KW_RESORT)
		kw_sort(kf);
}

void
store_kw_free(struct store_kwfile *kf)
{
	size_t	i;

	for (i = 0; i < kf->tab.n; i++)
		free(kf->tab.name[i]);
	for (i = 0; i < kf->n; i++)
		free(kf->e[i].base);
	free(kf->e);
	memset(kf, 0, sizeof(*kf));
}

int
store_keyword_valid(const char *kw)
{
	const unsigned char	*p = (const unsigned char *)kw;
	size_t			 len = strlen(kw);

	if (len == 0 || len > STORE_KEYWORD_LEN || kw[0] == '\\')
		return -1;
	for (; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("(){%*\"\\]", *p))
			return -1;
	return 0;
}

int
store_kwtab_find(const struct store_kwtab *t, const char *kw)
{
	size_t	i;

	for (i = 0; i < t->n; i++)
		if (strcasecmp(t->name[i], kw) == 0)
			return (int)i;
	return -1;
}

/* The index of kw, appended when new; -1 (ENOSPC, EINVAL). */
int
store_kw_add(struct store_kwtab *t, const char *kw)
{
	int	i;

	if ((i = store_kwtab_find(t, kw)) != -1)
		return i;
	if (store_keyword_valid(kw) == -1) {
		errno = EINVAL;
		return -1;
	}
	if (t->n >= STORE_KEYWORDS_MAX) {
		errno = ENOSPC;
		return -1;
	}
	t->name[t->n] = xstrdup(kw);
	return (int)t->n++;
}

/* "M <base> <i> ..." into kf; -1 when malformed. */
static int
parse_m(char *line, struct store_kwfile *kf)
{
	char		*base, *w, *save = NULL;
	long long	 i;
	uint64_t	 mask = 0;

	if ((base = strtok_r(line, " ", &save)) == NULL ||
	    uidlist_unescape(base) == -1)
		return -1;
	while ((w = strtok_r(NULL, " ", &save)) != NULL) {
		if (parse_number(w, 0, STORE_KEYWORDS_MAX - 1, &i) == -1 ||
		    (size_t)i >= kf->tab.n)
			return -1;
		mask |= (uint64_t)1 << i;
	}
	store_kw_set(kf, base, mask);
	return 0;
}

static int
kw_parse(FILE *fp, struct store_kwfile *kf)
{
	char	line[KW_LINE_MAX];
	int	r, bad = 0;

	if (maildir_read_line(fp, line, sizeof(line)) != 1 ||
	    strcmp(line, KW_HEADER) != 0) {
		log_warnx("event=keywords error=malformed file=%s",
		    STORE_KEYWORDS_FILE);
		return 0;
	}
	while ((r = maildir_read_line(fp, line, sizeof(line))) != 0) {
		if (r == 1 && strncmp(line, "K ", 2) == 0 &&
		    store_kwtab_find(&kf->tab, line + 2) == -1 &&
		    store_kw_add(&kf->tab, line + 2) != -1)
			continue;
		if (r == 1 && strncmp(line, "M ", 2) == 0 &&
		    parse_m(line + 2, kf) == 0)
			continue;
		bad++;
	}
	if (bad)
		log_warnx("event=keywords file=%s skipped=%d",
		    STORE_KEYWORDS_FILE, bad);
	return 0;
}

/* --- courier-imap's courierimapkeywords/ --- */

/* ":list": keywords one a line, an empty line, "<base>:<i> <i>..." */
static void
courier_list(int kwdir, struct store_kwfile *kf, int *map)
{
	char		 line[KW_LINE_MAX], *colon, *w, *save = NULL;
	long long	 i;
	uint64_t	 mask;
	size_t		 nnames = 0;
	FILE		*fp;
	int		 fd, r;

	if ((fd = openat(kwdir, ":list", O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || (fp = fdopen(fd, "r")) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	while ((r = maildir_read_line(fp, line, sizeof(line))) != 0 &&
	    line[0] != '\0')
		if (r == 1 && nnames < STORE_KEYWORDS_MAX * 4)
			map[nnames++] = store_kw_add(&kf->tab, line);
	while ((r = maildir_read_line(fp, line, sizeof(line))) != 0) {
		if (r == -1 || (colon = strrchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		mask = 0;
		for (w = strtok_r(colon + 1, " ", &save); w != NULL;
		    w = strtok_r(NULL, " ", &save))
			if (parse_number(w, 0, (long long)nnames - 1,
			    &i) == 0 && map[i] >= 0)
				mask |= (uint64_t)1 << map[i];
		if (line[0] != '\0' && strchr(line, '/') == NULL)
			store_kw_set(kf, line, mask);
	}
	fclose(fp);
}

/* One update file: keyword names one a line. */
static void
courier_update(int kwdir, const char *file, const char *base,
    struct store_kwfile *kf)
{
	char		 line[KW_LINE_MAX];
	uint64_t	 mask = 0;
	FILE		*fp;
	int		 fd, r, i;

	if ((fd = openat(kwdir, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1 || (fp = fdopen(fd, "r")) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	while ((r = maildir_read_line(fp, line, sizeof(line))) != 0)
		if (r == 1 && (i = store_kw_add(&kf->tab, line)) >= 0)
			mask |= (uint64_t)1 << i;
	fclose(fp);
	store_kw_set(kf, base, mask);
}

/* A ".<n>.<base>" update file. */
struct dotted {
	char		*file;
	unsigned long	 n;
};

static int
cmp_dotted(const void *a, const void *b)
{
	const struct dotted	*x = a, *y = b;

	return x->n < y->n ? -1 : x->n > y->n;
}

/*
 * The update files: "<base>", or ".<n>.<base>" of which the highest n
 * counts; a plain "<base>" beats every ".<n>." one.  Applied in that
 * order, the last one of a base wins.
 */
static void
courier_updates(int kwdir, struct store_kwfile *kf)
{
	struct dirent	*de;
	struct dotted	*v = NULL;
	DIR		*d;
	char		*ep;
	size_t		 n = 0, i;
	unsigned long	 num;
	int		 fd;

	if ((fd = dup(kwdir)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' ||
		    !isdigit((unsigned char)de->d_name[1]))
			continue;
		num = strtoul(de->d_name + 1, &ep, 10);
		if (*ep != '.' || ep[1] == '\0')
			continue;
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n].file = xstrdup(de->d_name);
		v[n++].n = num;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_dotted);
	for (i = 0; i < n; i++) {
		courier_update(kwdir, v[i].file, strchr(v[i].file + 1, '.') + 1,
		    kf);
		free(v[i].file);
	}
	free(v);
	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && de->d_name[0] != ':')
			courier_update(kwdir, de->d_name, de->d_name, kf);
	closedir(d);
}

/* 1 when courier's keywords were there and read. */
static int
courier_import(int dirfd, struct store_kwfile *kf)
{
	int	kwdir, map[STORE_KEYWORDS_MAX * 4];

	if ((kwdir = openat(dirfd, STORE_COURIER_KW_DIR, O_RDONLY |
	    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;
	courier_list(kwdir, kf, map);
	courier_updates(kwdir, kf);
	close(kwdir);
	log_info("event=keywords-migrated keywords=%zu messages=%zu",
	    kf->tab.n, kf->n);
	return 1;
}

/* --- Dovecot's dovecot-keywords and keyword letters --- */

/* "<index> <keyword>" lines: letter 'a' + index in the file names. */
static int
dovecot_table(int dirfd, struct store_kwfile *kf, int *map)
{
	char		 line[KW_LINE_MAX], *sp;
	long long	 i;
	FILE		*fp;
	int		 fd, r, any = 0;

	if ((fd = openat(dirfd, STORE_DOVECOT_KW, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || (fp = fdopen(fd, "r")) == NULL) {
		if (fd != -1)
			close(fd);
		return 0;
	}
	while ((r = maildir_read_line(fp, line, sizeof(line))) != 0) {
		if (r == -1 || (sp = strchr(line, ' ')) == NULL)
			continue;
		*sp++ = '\0';
		if (parse_number(line, 0, DOVECOT_LETTERS - 1, &i) == 0 &&
		    (map[i] = store_kw_add(&kf->tab, sp)) != -1)
			any = 1;
	}
	fclose(fp);
	return any;
}

/* The letters of every name in cur/ into masks. */
static void
dovecot_letters(int dirfd, struct store_kwfile *kf, const int *map)
{
	char		 base[STORE_FILE_MAX];
	struct dirent	*de;
	const char	*p;
	uint64_t	 mask;
	DIR		*d;
	int		 fd;

	if ((fd = openat(dirfd, "cur", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if ((p = strstr(de->d_name, ":2,")) == NULL ||
		    uidlist_basename(de->d_name, base, sizeof(base)) == -1)
			continue;
		for (mask = 0, p += 3; *p != '\0'; p++)
			if (*p >= 'a' && *p < 'a' + DOVECOT_LETTERS &&
			    map[*p - 'a'] >= 0)
				mask |= (uint64_t)1 << map[*p - 'a'];
		if (mask != 0)
			store_kw_set(kf, base, mask);
	}
	closedir(d);
}

/* 1 when Dovecot's keywords were there and read. */
static int
dovecot_import(int dirfd, struct store_kwfile *kf)
{
	int	map[DOVECOT_LETTERS], i;

	for (i = 0; i < DOVECOT_LETTERS; i++)
		map[i] = -1;
	if (!dovecot_table(dirfd, kf, map))
		return 0;
	dovecot_letters(dirfd, kf, map);
	log_info("event=keywords-migrated from=%s keywords=%zu messages=%zu",
	    STORE_DOVECOT_KW, kf->tab.n, kf->n);
	return 1;
}

/*
 * The folder's keywords; on first sight of a folder without our file,
 * courier's are imported and written (the caller holds no lock).
 */
int
store_kw_load(int dirfd, struct store_kwfile *kf)
{
	FILE	*fp;
	int	 fd, lock;

	memset(kf, 0, sizeof(*kf));
	if ((fd = openat(dirfd, STORE_KEYWORDS_FILE, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) != -1) {
		if ((fp = fdopen(fd, "r")) == NULL) {
			close(fd);
			return -1;
		}
		kw_parse(fp, kf);
		fclose(fp);
		kw_sort(kf);
		return 0;
	}
	if (errno != ENOENT)
		return -1;
	if (courier_import(dirfd, kf) || dovecot_import(dirfd, kf)) {
		kw_sort(kf);
		if ((lock = store_kw_lock(dirfd)) != -1) {
			if (faccessat(dirfd, STORE_KEYWORDS_FILE, F_OK, 0) ==
			    -1 && errno == ENOENT)
				(void)store_kw_write(dirfd, kf);
			close(lock);
		}
	}
	return 0;
}

/* The exclusive lock of the keyword file: an fd to close, or -1. */
int
store_kw_lock(int dirfd)
{
	struct flock	fl;
	int		fd, i;

	if ((fd = openat(dirfd, STORE_KEYWORDS_LOCK, O_RDWR | O_CREAT |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1)
		return -1;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	for (i = 0; i < KW_LOCK_WAIT * 50; i++) {
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return fd;
		if (errno != EACCES && errno != EAGAIN && errno != EINTR)
			break;
		usleep(20000);
	}
	if (errno == EACCES || errno == EAGAIN)
		errno = ETIMEDOUT;
	close(fd);
	return -1;
}

static void
kw_entries(FILE *fp, const struct store_kwfile *kf)
{
	char	base[STORE_FILE_MAX * 3];
	size_t	i, k;

	fprintf(fp, "%s\n", KW_HEADER);
	for (i = 0; i < kf->tab.n; i++)
		fprintf(fp, "K %s\n", kf->tab.name[i]);
	for (i = 0; i < kf->n; i++) {
		if (kf->e[i].mask == 0)
			continue;
		if (uidlist_escape(kf->e[i].base, base, sizeof(base)) == -1)
			continue;
		fprintf(fp, "M %s", base);
		for (k = 0; k < kf->tab.n; k++)
			if (kf->e[i].mask & ((uint64_t)1 << k))
				fprintf(fp, " %zu", k);
		fputc('\n', fp);
	}
}

/* tmp + fsync + rename, under the caller's lock. */
int
store_kw_write(int dirfd, const struct store_kwfile *kf)
{
	FILE	*fp;
	int	 fd;

	if ((fd = openat(dirfd, KW_TMPFILE, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1)
		return -1;
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		goto fail;
	}
	kw_entries(fp, kf);
	if (fflush(fp) != 0 || ferror(fp) || fsync(fileno(fp)) == -1) {
		fclose(fp);
		goto fail;
	}
	if (fclose(fp) != 0 ||
	    renameat(dirfd, KW_TMPFILE, dirfd, STORE_KEYWORDS_FILE) == -1)
		goto fail;
	return 0;
fail:
	unlinkat(dirfd, KW_TMPFILE, 0);
	return -1;
}
