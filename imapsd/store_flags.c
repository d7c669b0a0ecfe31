/*
 * Flags in file names (":2,DFRST", other letters kept as they are) and
 * STORE: the renames, and the keyword file's read-modify-write under
 * its lock so that two sessions never lose each other's keywords.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store_int.h"
#include "xmalloc.h"

static const struct {
	char		letter;
	unsigned	flag;
} letters[] = {			/* in ASCII order, as Maildir wants */
	{ 'D', STORE_DRAFT },
	{ 'F', STORE_FLAGGED },
	{ 'R', STORE_ANSWERED },
	{ 'S', STORE_SEEN },
	{ 'T', STORE_DELETED },
};
#define NLETTERS	(sizeof(letters) / sizeof(letters[0]))

static unsigned
letter_flag(int c)
{
	size_t	i;

	for (i = 0; i < NLETTERS; i++)
		if (letters[i].letter == c)
			return letters[i].flag;
	return 0;
}

unsigned
store_flags_parse(const char *file)
{
	const char	*p = strstr(file, ":2,");
	unsigned	 flags = 0;

	if (p == NULL)
		return 0;
	for (p += 3; *p != '\0'; p++)
		flags |= letter_flag((unsigned char)*p);
	return flags;
}

void
store_flags_letters(unsigned flags, char *buf, size_t size)
{
	size_t	i, o = 0;

	for (i = 0; i < NLETTERS && o + 1 < size; i++)
		if (flags & letters[i].flag)
			buf[o++] = letters[i].letter;
	if (size > 0)
		buf[o] = '\0';
}

/*
 * "cur/<base>:2,<letters>" for file ("cur/..." or "new/...") with the
 * stored flags given and every other letter it had kept.
 */
int
store_flags_rename(const char *file, unsigned flags, char *buf, size_t size)
{
	char		 base[STORE_FILE_MAX], info[64];
	const char	*p = strstr(file + 4, ":2,");
	size_t		 o = 0;
	int		 c, n;

	if (uidlist_basename(file + 4, base, sizeof(base)) == -1)
		return -1;
	/* Letters in ASCII order: ours by flag, others as they were. */
	for (c = 0x21; c < 0x7f && o + 1 < sizeof(info); c++) {
		if (letter_flag(c) != 0) {
			if (flags & letter_flag(c))
				info[o++] = (char)c;
		} else if (p != NULL && strchr(p + 3, c) != NULL && c != ',')
			info[o++] = (char)c;
	}
	info[o] = '\0';
	n = snprintf(buf, size, "cur/%s:2,%s", base, info);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* The value after op: flags and keyword masks alike. */
static uint64_t
apply(enum store_op op, uint64_t old, uint64_t val)
{
	switch (op) {
	case STORE_OP_ADD:
		return old | val;
	case STORE_OP_REMOVE:
		return old & ~val;
	default:
		return val;
	}
}

/* One message's file: renamed, after another's rename found again. */
static int
rename_flags(struct mbox *mb, struct store_msg *m, enum store_op op,
    unsigned flags)
{
	char		to[STORE_FILE_MAX + 8];
	unsigned	now;
	int		tries;

	for (tries = 0; tries < 3; tries++) {
		now = (unsigned)apply(op, store_flags_parse(m->file), flags) &
		    STORE_FLAGS_STORED;
		if (store_flags_rename(m->file, now, to, sizeof(to)) == -1)
			return -1;
		if (strcmp(to, m->file) == 0 ||
		    renameat(mb->dirfd, m->file, mb->dirfd, to) == 0) {
			free(m->file);
			m->file = xstrdup(to);
			m->flags = (m->flags & ~(STORE_FLAGS_STORED |
			    STORE_M_NEW)) | now;
			return 0;
		}
		if (errno != ENOENT)
			return -1;
		if (store_relocate(mb->dirfd, &m->file) == -1) {
			m->flags |= STORE_M_GONE;
			return 0;	/* reported by the next sync */
		}
	}
	errno = EAGAIN;
	return -1;
}

/* The keyword masks of seqs, merged into the file under its lock. */
static int
store_keywords(struct mbox *mb, const uint32_t *seqs, size_t n,
    enum store_op op, uint64_t kw)
{
	struct store_kwfile	 kf;
	struct store_msg	*m;
	char			 base[STORE_FILE_MAX];
	size_t			 i;
	int			 lock, rv = -1;

	if ((lock = store_kw_lock(mb->dirfd)) == -1)
		return -1;
	if (store_kw_load(mb->dirfd, &kf) == -1)
		goto done;
	/* Ours is a prefix of the file's table (or the file is new). */
	for (i = 0; i < mb->kw.n; i++)
		store_kw_add(&kf.tab, mb->kw.name[i]);
	for (i = 0; i < n; i++) {
		m = &mb->msgs[seqs[i] - 1];
		if (uidlist_basename(m->file + 4, base, sizeof(base)) == -1)
			continue;
		m->keywords = apply(op, store_kw_mask(&kf, base), kw);
		store_kw_set(&kf, base, m->keywords);
	}
	rv = store_kw_write(mb->dirfd, &kf);
	store_kw_free(&kf);
	mb->kw_mtime.tv_sec = 0;	/* others' changes: next sync reads */
done:
	close(lock);
	return rv;
}

int
store_flags(struct mbox *mb, const uint32_t *seqs, size_t n,
    enum store_op op, unsigned flags, uint64_t keywords)
{
	struct store_msg	*m;
	size_t			 i;
	int			 rv = 0, kwchange;

	if (mb->readonly) {
		errno = EROFS;
		return -1;
	}
	flags &= STORE_FLAGS_STORED;
	for (i = 0; i < n; i++) {
		if (seqs[i] == 0 || seqs[i] > mb->n) {
			errno = EINVAL;
			return -1;
		}
	}
	kwchange = keywords != 0 || op == STORE_OP_SET;
	for (i = 0; i < n; i++) {
		m = &mb->msgs[seqs[i] - 1];
		if (m->flags & STORE_M_GONE)
			continue;
		if (rename_flags(mb, m, op, flags) == -1) {
			log_warn("event=store-flags file=%s", m->file);
			rv = -1;
		}
	}
	if (kwchange && store_keywords(mb, seqs, n, op, keywords) == -1) {
		log_warn("event=store-keywords");
		rv = -1;
	}
	return rv;
}

/* A keyword's index in the folder, added to its file when create. */
int
store_keyword_index(struct mbox *mb, const char *kw, int create)
{
	struct store_kwfile	kf;
	size_t			i;
	int			lock, idx;

	if ((idx = store_kwtab_find(&mb->kw, kw)) != -1 || !create)
		return idx;
	if (store_keyword_valid(kw) == -1) {
		errno = EINVAL;
		return -1;
	}
	if (mb->readonly) {
		errno = EROFS;
		return -1;
	}
	if ((lock = store_kw_lock(mb->dirfd)) == -1)
		return -1;
	if (store_kw_load(mb->dirfd, &kf) == -1) {
		close(lock);
		return -1;
	}
	for (i = 0; i < mb->kw.n; i++)
		store_kw_add(&kf.tab, mb->kw.name[i]);
	if ((idx = store_kw_add(&kf.tab, kw)) != -1 &&
	    store_kw_write(mb->dirfd, &kf) == -1)
		idx = -1;
	for (i = mb->kw.n; idx != -1 && i < kf.tab.n; i++)
		mb->kw.name[mb->kw.n++] = xstrdup(kf.tab.name[i]);
	store_kw_free(&kf);
	close(lock);
	return idx;
}
