/*
 * A selected folder: open, the sync that merges what is on disk now
 * (new/ claimed into cur/, the uid list, flags from names, keywords)
 * with what the session has, and reading a message.
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
#include "maildir.h"
#include "store_int.h"
#include "xmalloc.h"

/* The names this session moved from new/ to cur/: \Recent for it. */
struct claimed {
	char	**base;
	size_t	  n;
};

struct sync_ctx {
	struct mbox		*mb;
	struct store_scan	*s;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Moves new/ into cur/ with an empty info part; what moved is ours. */
static void
claim_new(struct mbox *mb, struct claimed *c)
{
	struct dirent	*de;
	DIR		*d;
	char		 from[STORE_FILE_MAX + 8], to[STORE_FILE_MAX + 8];
	char		 base[STORE_FILE_MAX];
	size_t		 cap = 0;
	int		 fd;

	memset(c, 0, sizeof(*c));
	if ((fd = openat(mb->dirfd, "new", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    strlen(de->d_name) >= STORE_FILE_MAX ||
		    uidlist_basename(de->d_name, base, sizeof(base)) == -1)
			continue;
		snprintf(from, sizeof(from), "new/%s", de->d_name);
		snprintf(to, sizeof(to), "cur/%s%s", de->d_name,
		    strstr(de->d_name, ":2,") ? "" : ":2,");
		if (renameat(mb->dirfd, from, mb->dirfd, to) == -1) {
			if (errno != ENOENT)
				log_warn("event=move-new file=%s", from);
			continue;
		}
		if (c->n == cap) {
			cap = cap ? cap * 2 : 16;
			c->base = xreallocarray(c->base, cap, sizeof(char *));
		}
		c->base[c->n++] = xstrdup(base);
	}
	closedir(d);
	if (c->n > 0)
		store_fsync_dir(mb->dirfd, "cur");
	if (c->n > 1)
		qsort(c->base, c->n, sizeof(char *), cmp_str);
}

static int
claimed_has(const struct claimed *c, const char *base)
{
	return c->n > 0 && bsearch(&base, c->base, c->n, sizeof(char *),
	    cmp_str) != NULL;
}

static void
claimed_free(struct claimed *c)
{
	size_t	i;

	for (i = 0; i < c->n; i++)
		free(c->base[i]);
	free(c->base);
}

/* Sizes the uid list lacks: from ",W=" or the cache, never a read. */
static int
sync_vsize(void *arg, size_t index, uint64_t *vsize)
{
	struct sync_ctx	*x = arg;

	if (store_name_vsize(x->s->files[index], vsize) == 0)
		return 0;
	return store_cache_vsize(x->mb, x->s->bases[index], vsize);
}

void
store_msg_clear(struct store_msg *m)
{
	free(m->file);
	if (m->blobs != NULL) {
		store_blobs_free(m->blobs);
		free(m->blobs);
	}
	memset(m, 0, sizeof(*m));
}

static void
changes_add(uint32_t **v, size_t *n, uint32_t x)
{
	*v = xreallocarray(*v, *n + 1, sizeof(uint32_t));
	(*v)[(*n)++] = x;
}

/* One message gone, by its old sequence number, into ch. */
void
store_changes_expunged(struct store_changes *ch, uint32_t seq, uint32_t uid)
{
	changes_add(&ch->expunged, &ch->nexpunged, seq);
	ch->expunged_uid = xreallocarray(ch->expunged_uid, ch->nexpunged,
	    sizeof(uint32_t));
	ch->expunged_uid[ch->nexpunged - 1] = uid;
}

/* An old message the disk no longer has. */
static void
gone(struct mbox *mb, struct store_msg *m, uint32_t oldseq, int flags,
    struct store_changes *ch, struct store_msg *out, size_t *o)
{
	if (flags & STORE_SYNC_NOEXPUNGE) {
		m->flags |= STORE_M_GONE;
		out[(*o)++] = *m;
		return;
	}
	store_changes_expunged(ch, oldseq, m->uid);
	store_msg_clear(m);
	mb->cache_dirty = 1;
}

/* The message's keywords the session's table knows. */
static uint64_t
kw_mask(const struct mbox *mb, const struct store_kwfile *kf,
    const char *base)
{
	return store_kw_mask(kf, base) & (mb->kw.n >= 64 ? ~(uint64_t)0 :
	    (((uint64_t)1 << mb->kw.n) - 1));
}

/* A message of the uid list: its file now, its flags and keywords. */
static void
update(struct mbox *mb, struct store_msg *m, const char *file,
    const char *base, const struct store_kwfile *kf, int newmsg,
    const struct claimed *c)
{
	free(m->file);
	m->file = xstrdup(file);
	m->flags = (m->flags & STORE_RECENT) | store_flags_parse(file);
	if (strncmp(file, "new/", 4) == 0) {
		m->flags |= STORE_M_NEW;
		if (newmsg)
			m->flags |= STORE_RECENT;
	}
	if (newmsg && claimed_has(c, base))
		m->flags |= STORE_RECENT;
	if (kf != NULL)
		m->keywords = kw_mask(mb, kf, base);
	if (newmsg)
		store_cache_fill(mb, m, base);
}

/* Merges ul (by uid) into mb->msgs (by uid), reporting in ch. */
static void
merge(struct mbox *mb, struct uidlist *ul, struct store_scan *s,
    const struct store_kwfile *kf, const struct claimed *c, int flags,
    struct store_changes *ch)
{
	struct store_msg	*out, *m, old;
	struct uidlist_entry	*e;
	size_t			 i = 0, j = 0, o = 0;

	out = xcalloc(mb->n + ul->n + 1, sizeof(*out));
	while (i < mb->n || j < ul->n) {
		e = j < ul->n ? &ul->e[j] : NULL;
		if (i < mb->n && (e == NULL || mb->msgs[i].uid < e->uid)) {
			gone(mb, &mb->msgs[i], (uint32_t)(i + 1), flags, ch,
			    out, &o);
			i++;
			continue;
		}
		m = &out[o++];
		if (i < mb->n && mb->msgs[i].uid == e->uid) {
			*m = mb->msgs[i++];
			old = *m;
			update(mb, m, s->files[e->index], e->name, kf, 0, c);
			if ((old.flags & STORE_FLAGS_STORED) !=
			    (m->flags & STORE_FLAGS_STORED) ||
			    old.keywords != m->keywords)
				changes_add(&ch->changed, &ch->nchanged,
				    (uint32_t)o);
		} else {
			memset(m, 0, sizeof(*m));
			m->uid = e->uid;
			m->idate = -1;
			update(mb, m, s->files[e->index], e->name, kf, 1, c);
			ch->added++;
		}
		if (m->size == 0)
			m->size = e->vsize;
		j++;
	}
	free(mb->msgs);
	mb->msgs = out;
	mb->n = o;
}

/*
 * The counts after a change; expunged (gathered lowest first) turned
 * highest first, so that each EXPUNGE can be sent as it is.
 */
void
store_changes_finish(struct mbox *mb, struct store_changes *ch)
{
	size_t	i, lo, hi;
	uint32_t t;

	mb->nrecent = 0;
	for (i = 0; i < mb->n; i++)
		if (mb->msgs[i].flags & STORE_RECENT)
			mb->nrecent++;
	ch->exists = mb->n;
	ch->recent = mb->nrecent;
	for (lo = 0, hi = ch->nexpunged; hi > lo + 1; lo++, hi--) {
		t = ch->expunged[lo];
		ch->expunged[lo] = ch->expunged[hi - 1];
		ch->expunged[hi - 1] = t;
		t = ch->expunged_uid[lo];
		ch->expunged_uid[lo] = ch->expunged_uid[hi - 1];
		ch->expunged_uid[hi - 1] = t;
	}
}

static int
ts_recent(const struct timespec *t)
{
	return t->tv_sec >= time(NULL) - STORE_RECENT_SECS;
}

/* 1 when new/, cur/ or the keyword file may have changed since. */
static int
dirs_changed(struct mbox *mb, struct timespec *cur, struct timespec *new,
    struct stat *kw)
{
	struct stat	sb;
	int		changed = 0;

	if (fstatat(mb->dirfd, "cur", &sb, 0) == -1)
		return 1;
	*cur = sb.st_mtim;
	if (fstatat(mb->dirfd, "new", &sb, 0) == -1)
		return 1;
	*new = sb.st_mtim;
	if (fstatat(mb->dirfd, STORE_KEYWORDS_FILE, kw, 0) == -1)
		memset(kw, 0, sizeof(*kw));
	if (cur->tv_sec != mb->cur_mtime.tv_sec ||
	    cur->tv_nsec != mb->cur_mtime.tv_nsec ||
	    new->tv_sec != mb->new_mtime.tv_sec ||
	    new->tv_nsec != mb->new_mtime.tv_nsec ||
	    ts_recent(cur) || ts_recent(new))
		changed = 1;
	if (kw->st_ino != mb->kw_ino || kw->st_size != mb->kw_size ||
	    kw->st_mtim.tv_sec != mb->kw_mtime.tv_sec ||
	    kw->st_mtim.tv_nsec != mb->kw_mtime.tv_nsec ||
	    ts_recent(&kw->st_mtim))
		changed |= 2;
	return changed;
}

static int
uidlist_stat(struct mbox *mb)
{
	struct stat	sb;

	if (fstatat(mb->dirfd, UIDLIST_FILE, &sb, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	mb->ul_ino = sb.st_ino;
	mb->ul_size = sb.st_size;
	mb->ul_mtime = sb.st_mtim;
	return 0;
}

/* The file's keyword table, appended to ours; 1 when it grew. */
static int
kw_table(struct mbox *mb, const struct store_kwfile *kf)
{
	size_t	i;
	int	grew = 0;

	for (i = 0; i < kf->tab.n; i++)
		if (store_kwtab_find(&mb->kw, kf->tab.name[i]) == -1 &&
		    store_kw_add(&mb->kw, kf->tab.name[i]) != -1)
			grew = 1;
	return grew;
}

int
store_mbox_sync(struct mbox *mb, int flags, struct store_changes *ch)
{
	struct store_scan	 s;
	struct store_kwfile	 kf, *kfp;
	struct claimed		 c;
	struct uidlist		 ul;
	struct sync_ctx		 x;
	struct timespec		 cur, new;
	struct stat		 kw;
	int			 what;

	memset(ch, 0, sizeof(*ch));
	what = dirs_changed(mb, &cur, &new, &kw);
	if (!(flags & STORE_SYNC_FORCE) && what == 0) {
		/* What a sync kept numbered while it could not tell. */
		if (!(flags & STORE_SYNC_NOEXPUNGE))
			store_remove_msgs(mb, NULL, ch);
		store_changes_finish(mb, ch);
		return 0;
	}
	memset(&c, 0, sizeof(c));
	if (!mb->readonly)
		claim_new(mb, &c);
	x.mb = mb;
	x.s = &s;
	if (store_scan(mb->dirfd, &s) == -1 ||
	    store_sync_uids(mb->dirfd, &s, sync_vsize, &x, &ul) == -1) {
		store_scan_free(&s);
		claimed_free(&c);
		return -1;
	}
	if (mb->uidvalidity != 0 && ul.uidvalidity != mb->uidvalidity) {
		log_warnx("event=uidvalidity-changed folder=%s", mb->name);
		uidlist_free(&ul);
		store_scan_free(&s);
		claimed_free(&c);
		errno = ESTALE;
		return -1;
	}
	mb->uidvalidity = ul.uidvalidity;
	mb->uidnext = ul.uidnext;
	/* What a later open may trust: mtimes older than their tick. */
	mb->settled = !ts_recent(&cur) && !ts_recent(&new) && c.n == 0 &&
	    uidlist_stat(mb) == 0;
	/* Keywords only when their file moved (or first): it can be big. */
	kfp = NULL;
	if (((what & 2) || (flags & STORE_SYNC_FORCE)) &&
	    store_kw_load(mb->dirfd, &kf) == 0) {
		kfp = &kf;
		ch->keywords = kw_table(mb, &kf);
	}
	merge(mb, &ul, &s, kfp, &c, flags, ch);
	if (kfp != NULL)
		store_kw_free(&kf);
	mb->cur_mtime = cur;
	mb->new_mtime = new;
	mb->kw_mtime = kw.st_mtim;
	mb->kw_ino = kw.st_ino;
	mb->kw_size = kw.st_size;
	uidlist_free(&ul);
	store_scan_free(&s);
	claimed_free(&c);
	store_changes_finish(mb, ch);
	return 0;
}

void
store_changes_free(struct store_changes *ch)
{
	free(ch->expunged);
	free(ch->expunged_uid);
	free(ch->changed);
	memset(ch, 0, sizeof(*ch));
}

/*
 * A folder nobody changed since a session read it opens from the
 * cache's record of that read: no readdir, no uid list, no sort.
 */
static int
open_snapshot(struct mbox *mb)
{
	const struct store_snap	*s;
	struct store_snap	 now;
	struct store_kwfile	 kf;
	struct stat		 sb, kw;
	char			 base[STORE_FILE_MAX];
	size_t			 i;

	/* Whatever this leaves in mb, a failed open's full read resets. */
	if ((s = store_cache_snap(mb)) == NULL ||
	    fstatat(mb->dirfd, "cur", &sb, 0) == -1)
		return -1;
	mb->cur_mtime = sb.st_mtim;
	if (fstatat(mb->dirfd, "new", &sb, 0) == -1 || uidlist_stat(mb) == -1)
		return -1;
	mb->new_mtime = sb.st_mtim;
	store_snap_of(mb, &now);
	if (ts_recent(&now.cur) || ts_recent(&now.new) ||
	    !store_snap_eq(s, &now))
		return -1;
	if (fstatat(mb->dirfd, STORE_KEYWORDS_FILE, &kw, 0) == -1)
		memset(&kw, 0, sizeof(kw));
	store_cache_take(mb);
	if (store_kw_load(mb->dirfd, &kf) == 0) {
		kw_table(mb, &kf);
		for (i = 0; kf.n > 0 && i < mb->n; i++)
			if (uidlist_basename(mb->msgs[i].file + 4, base,
			    sizeof(base)) == 0)
				mb->msgs[i].keywords = kw_mask(mb, &kf, base);
		store_kw_free(&kf);
	}
	mb->uidvalidity = s->uidvalidity;
	mb->uidnext = s->uidnext;
	mb->kw_mtime = kw.st_mtim;
	mb->kw_ino = kw.st_ino;
	mb->kw_size = kw.st_size;
	mb->settled = 1;
	mb->nrecent = 0;
	return 0;
}

int
store_mbox_open(struct store *st, const char *name, int readonly,
    struct mbox **out)
{
	struct store_changes	 ch;
	struct mbox		*mb;
	int			 fd, saved;

	if ((fd = store_folder_fd(st, name)) == -1)
		return -1;
	if (faccessat(fd, "cur", F_OK, 0) == -1) {
		close(fd);
		errno = ENOENT;
		return -1;
	}
	mb = xcalloc(1, sizeof(*mb));
	mb->st = st;
	mb->name = xstrdup(store_name_is_inbox(name) ? "INBOX" : name);
	mb->dirfd = fd;
	mb->readonly = readonly;
	store_cache_load(mb);
	if (open_snapshot(mb) == 0) {
		*out = mb;
		return 0;
	}
	if (store_mbox_sync(mb, STORE_SYNC_FORCE, &ch) == -1) {
		saved = errno;
		store_mbox_close(mb);
		errno = saved;
		return -1;
	}
	store_changes_free(&ch);
	*out = mb;
	return 0;
}

void
store_mbox_close(struct mbox *mb)
{
	size_t	i;

	if (mb == NULL)
		return;
	if (store_cache_stale(mb) && store_cache_write(mb) == -1)
		log_warn("event=cache-write folder=%s", mb->name);
	for (i = 0; i < mb->n; i++)
		store_msg_clear(&mb->msgs[i]);
	free(mb->msgs);
	for (i = 0; i < mb->kw.n; i++)
		free(mb->kw.name[i]);
	store_cache_unload(mb);
	close(mb->dirfd);
	free(mb->name);
	free(mb);
}

/*
 * A read-only open (it leaves new/ and so \Recent alone, and numbers
 * new messages as any sync does), counted, closed.
 */
int
store_status(struct store *st, const char *name, struct store_status *s)
{
	struct mbox	*mb;
	size_t		 i;

	if (store_mbox_open(st, name, 1, &mb) == -1)
		return -1;
	memset(s, 0, sizeof(*s));
	s->messages = (uint32_t)mb->n;
	s->recent = (uint32_t)mb->nrecent;
	s->uidnext = mb->uidnext;
	s->uidvalidity = mb->uidvalidity;
	for (i = 0; i < mb->n; i++)
		if (!(mb->msgs[i].flags & STORE_SEEN))
			s->unseen++;
	store_mbox_close(mb);
	return 0;
}

uint32_t
store_uid_seq(const struct mbox *mb, uint32_t uid)
{
	size_t	lo = 0, hi = mb->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (mb->msgs[mid].uid == uid)
			return (uint32_t)(mid + 1);
		if (mb->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static struct store_msg *
msg_at(struct mbox *mb, uint32_t seq)
{
	if (seq == 0 || seq > mb->n) {
		errno = EINVAL;
		return NULL;
	}
	if (mb->msgs[seq - 1].flags & STORE_M_GONE) {
		errno = ENOENT;
		return NULL;
	}
	return &mb->msgs[seq - 1];
}

int
store_msg_open(struct mbox *mb, uint32_t seq)
{
	struct store_msg	*m;
	int			 fd;

	if ((m = msg_at(mb, seq)) == NULL)
		return -1;
	fd = openat(mb->dirfd, m->file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		if (store_relocate(mb->dirfd, &m->file) == -1) {
			m->flags |= STORE_M_GONE;
			return -1;
		}
		fd = openat(mb->dirfd, m->file, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC);
	}
	return fd;
}

int
store_msg_size(struct mbox *mb, uint32_t seq, uint64_t *size)
{
	struct store_msg	*m;

	if ((m = msg_at(mb, seq)) == NULL)
		return -1;
	if (m->size == 0 && store_name_vsize(m->file, &m->size) == -1) {
		if (maildir_vsize(mb->dirfd, m->file, &m->size) == -1) {
			if (errno != ENOENT ||
			    store_relocate(mb->dirfd, &m->file) == -1 ||
			    maildir_vsize(mb->dirfd, m->file,
			    &m->size) == -1)
				return -1;
		}
		mb->cache_dirty = 1;
	}
	*size = m->size;
	return 0;
}

int
store_msg_idate(struct mbox *mb, uint32_t seq, time_t *idate)
{
	struct store_msg	*m;
	struct stat		 sb;

	if ((m = msg_at(mb, seq)) == NULL)
		return -1;
	if (m->idate < 0) {
		if (fstatat(mb->dirfd, m->file, &sb, AT_SYMLINK_NOFOLLOW) ==
		    -1) {
			if (errno != ENOENT ||
			    store_relocate(mb->dirfd, &m->file) == -1 ||
			    fstatat(mb->dirfd, m->file, &sb,
			    AT_SYMLINK_NOFOLLOW) == -1)
				return -1;
		}
		m->idate = sb.st_mtime;
		mb->cache_dirty = 1;
	}
	*idate = (time_t)m->idate;
	return 0;
}
