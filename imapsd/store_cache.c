/*
 * The per-folder cache "buzon-cache" (docs/store.md): per message its
 * UID, file name, RFC822.SIZE, internal date and up to
 * STORE_CACHE_SLOTS blobs of the caller's, in UID order, and the state
 * of the folder those names were read from.  Only an accelerator: a
 * missing, truncated or garbled file is ignored whole (one log line) and
 * written anew.
 *
 *	buzon-cache 2
 *	S <uidvalidity> <uidnext> <cur/ mtime> <new/ mtime> <uid list
 *	  inode> <its size> <its mtime>		(or "S -")
 *	R <uid> <file> <size> <idate> <len0|-> <len1|-> <len2|-> <len3|->
 *	<the blobs' octets, one after another>
 *	...
 *	E <records> <FNV-1a 64 of every octet before this line, hex>
 *
 * When the S line matches the folder as it is now, the R lines are the
 * folder: it opens without reading its directories or uid list.  The
 * file is mapped; blobs point into the map until the mbox closes.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store_int.h"
#include "xmalloc.h"

#define CACHE_MAGIC	"buzon-cache "
#define CACHE_HEADER	"buzon-cache 2\n"
#define CACHE_LINE_MAX	1024		/* octets of an S, R or E line */
#define CACHE_WORDS	(4 + STORE_CACHE_SLOTS)	/* of an R line */
#define CACHE_FILE_MAX	((off_t)2 << 30)	/* larger: not read */
#define FNV_OFFSET	0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL

struct cache_ent {
	char		*file;	/* NULL once handed to the mbox */
	size_t		 baselen;	/* of file + 4, for lookups by base */
	uint32_t	 uid;
	uint64_t	 size;
	int64_t		 idate;
	const char	*p[STORE_CACHE_SLOTS];
	uint32_t	 len[STORE_CACHE_SLOTS];
	int		 has;
};

struct store_cache {
	void			 *map;
	size_t			  len;
	struct cache_ent	 *e;	/* by uid, as written */
	size_t			  n;
	struct cache_ent	**byname;	/* by base, made when needed */
	struct store_snap	  snap;
	int			  has_snap;
	int			  handed;	/* e[] became the mbox's */
};

struct cache_writer {
	int		 fd;
	char		*buf;
	size_t		 len;
	uint64_t	 hash;
	int		 hashing;	/* what is written goes into hash */
	int		 err;
};

/*
 * FNV-1a 64 taken a little-endian 8-octet word at a time, then octet by
 * octet for the rest: it only has to catch a damaged file, and at 6 MiB
 * for 100,000 messages one multiply per octet would be most of an open.
 */
static uint64_t
fnv_more(uint64_t h, const void *p, size_t len)
{
	const unsigned char	*c = p;
	uint64_t		 w;
	size_t			 i;

	for (; len >= 8; c += 8, len -= 8) {
		memcpy(&w, c, 8);
		h ^= le64toh(w);
		h *= FNV_PRIME;
	}
	for (i = 0; i < len; i++) {
		h ^= c[i];
		h *= FNV_PRIME;
	}
	return h;
}

static uint64_t
fnv(const void *p, size_t len)
{
	return fnv_more(FNV_OFFSET, p, len);
}

/* Base names compared in place: "cur/<base>:2,..." */
static int
cmp_byname(const void *a, const void *b)
{
	const struct cache_ent	*x = *(struct cache_ent *const *)a;
	const struct cache_ent	*y = *(struct cache_ent *const *)b;
	int			 c;

	c = memcmp(x->file + 4, y->file + 4, x->baselen < y->baselen ?
	    x->baselen : y->baselen);
	if (c != 0)
		return c;
	return x->baselen < y->baselen ? -1 : x->baselen > y->baselen;
}

static void
cache_free(struct store_cache *c)
{
	size_t	i;

	for (i = 0; i < c->n; i++)
		free(c->e[i].file);
	free(c->e);
	free(c->byname);
	if (c->map != NULL)
		munmap(c->map, c->len);
	free(c);
}

/* The line at *pos (without LF) into buf; -1 when none fits. */
static int
take_line(const char *map, size_t len, size_t *pos, char *buf, size_t size)
{
	const char	*nl;
	size_t		 l;

	if (*pos >= len || (nl = memchr(map + *pos, '\n', len - *pos)) ==
	    NULL || (l = nl - (map + *pos)) >= size)
		return -1;
	memcpy(buf, map + *pos, l);
	buf[l] = '\0';
	if (memchr(buf, '\0', l) != NULL)
		return -1;
	*pos += l + 1;
	return 0;
}

/* Splits line at single spaces into w[0..max); the count, or -1. */
static int
words(char *line, char **w, size_t max)
{
	size_t	n = 0;
	char	*sp;

	for (;;) {
		if (n == max || *line == '\0' || *line == ' ')
			return -1;
		w[n++] = line;
		if ((sp = strchr(line, ' ')) == NULL)
			return (int)n;
		*sp = '\0';
		line = sp + 1;
	}
}

/* Digits only, at most max. */
static int
num(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t	x = 0;

	if (*s == '\0')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (x > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	if (*s != '\0')
		return -1;
	*v = x;
	return 0;
}

/* "<seconds>.<nanoseconds>" */
static int
num_ts(char *s, struct timespec *ts)
{
	uint64_t	 sec, nsec;
	char		*dot;

	if ((dot = strchr(s, '.')) == NULL)
		return -1;
	*dot = '\0';
	if (num(s, INT64_MAX, &sec) == -1 ||
	    num(dot + 1, 999999999, &nsec) == -1)
		return -1;
	ts->tv_sec = (time_t)sec;
	ts->tv_nsec = (long)nsec;
	return 0;
}

/* The S line after "S ": "-", or the state the records were read in. */
static int
parse_snap(struct store_cache *c, char *line)
{
	struct store_snap	*s = &c->snap;
	char			*w[7];
	uint64_t		 v, ino, size;

	if (strcmp(line, "-") == 0)
		return 0;
	if (words(line, w, 7) != 7 ||
	    num(w[0], UINT32_MAX, &v) == -1 || (s->uidvalidity = v) == 0 ||
	    num(w[1], UINT32_MAX, &v) == -1 || (s->uidnext = v) == 0 ||
	    num_ts(w[2], &s->cur) == -1 || num_ts(w[3], &s->new) == -1 ||
	    num(w[4], UINT64_MAX, &ino) == -1 ||
	    num(w[5], INT64_MAX, &size) == -1 ||
	    num_ts(w[6], &s->ul_mtime) == -1)
		return -1;
	s->ul_ino = (ino_t)ino;
	s->ul_size = (off_t)size;
	c->has_snap = 1;
	return 0;
}

/* "cur/<name>" or "new/<name>", a name the uid list can key. */
static int
valid_file(const char *f)
{
	return (strncmp(f, "cur/", 4) == 0 || strncmp(f, "new/", 4) == 0) &&
	    f[4] != '.' && strncmp(f + 4, ":2,", 3) != 0 &&
	    strchr(f + 4, '/') == NULL && strlen(f + 4) < STORE_FILE_MAX;
}

/* One "R ..." line (after "R ") and its blobs; -1 when malformed. */
static int
parse_record(struct store_cache *c, char *line, size_t *pos, size_t end)
{
	struct cache_ent	*e = &c->e[c->n];
	char			*w[CACHE_WORDS];
	uint64_t		 v;
	size_t			 i;

	memset(e, 0, sizeof(*e));
	if (words(line, w, CACHE_WORDS) != CACHE_WORDS ||
	    num(w[0], UINT32_MAX, &v) == -1 || v == 0 ||
	    (c->n > 0 && v <= c->e[c->n - 1].uid))
		return -1;
	e->uid = (uint32_t)v;
	if (uidlist_unescape(w[1]) == -1 || !valid_file(w[1]) ||
	    num(w[2], INT64_MAX, &e->size) == -1)
		return -1;
	if (strcmp(w[3], "-1") == 0)
		e->idate = -1;
	else if (num(w[3], INT64_MAX, &v) == 0)
		e->idate = (int64_t)v;
	else
		return -1;
	for (i = 0; i < STORE_CACHE_SLOTS; i++) {
		if (strcmp(w[4 + i], "-") == 0)
			continue;
		if (num(w[4 + i], STORE_CACHE_BLOB_MAX, &v) == -1 ||
		    v > end - *pos)
			return -1;
		e->p[i] = (const char *)c->map + *pos;
		e->len[i] = (uint32_t)v;
		e->has |= 1 << i;
		*pos += v;
	}
	if (*pos >= end || ((const char *)c->map)[(*pos)++] != '\n')
		return -1;
	e->file = xstrdup(w[1]);
	c->n++;
	return 0;
}

/*
 * The trailer and its hash, then every line.  1 for a file of another
 * version (not garbled: rewritten in silence), 0, -1 when garbled.
 */
static int
cache_parse(struct store_cache *c)
{
	const char	*map = c->map, *last;
	char		 line[CACHE_LINE_MAX];
	uint64_t	 records, hash;
	size_t		 pos = 0, end, cap = 0;
	char		*w[3];

	if (c->len > sizeof(CACHE_MAGIC) &&
	    memcmp(map, CACHE_MAGIC, sizeof(CACHE_MAGIC) - 1) == 0 &&
	    memcmp(map, CACHE_HEADER, sizeof(CACHE_HEADER) - 1) != 0 &&
	    map[sizeof(CACHE_MAGIC) - 1] >= '0' &&
	    map[sizeof(CACHE_MAGIC) - 1] < CACHE_HEADER[sizeof(CACHE_MAGIC) - 1])
		return 1;
	if (c->len < sizeof(CACHE_HEADER) || map[c->len - 1] != '\n')
		return -1;
	for (last = map + c->len - 1; last > map && last[-1] != '\n'; last--)
		;
	end = last - map;
	if (take_line(map, c->len, &end, line, sizeof(line)) == -1 ||
	    words(line, w, 3) != 3 || strcmp(w[0], "E") != 0 ||
	    num(w[1], c->len, &records) == -1 || strlen(w[2]) != 16 ||
	    strspn(w[2], "0123456789abcdef") != 16)
		return -1;
	hash = strtoull(w[2], NULL, 16);
	end = last - map;
	if (hash != fnv(map, end) ||
	    memcmp(map, CACHE_HEADER, sizeof(CACHE_HEADER) - 1) != 0)
		return -1;
	pos = sizeof(CACHE_HEADER) - 1;
	if (take_line(map, end, &pos, line, sizeof(line)) == -1 ||
	    strncmp(line, "S ", 2) != 0 || parse_snap(c, line + 2) == -1)
		return -1;
	while (pos < end) {
		if (c->n == cap) {
			cap = cap ? cap * 2 : 256;
			c->e = xreallocarray(c->e, cap, sizeof(*c->e));
		}
		if (c->n == records ||
		    take_line(map, end, &pos, line, sizeof(line)) == -1 ||
		    strncmp(line, "R ", 2) != 0 ||
		    parse_record(c, line + 2, &pos, end) == -1)
			return -1;
	}
	return c->n == records ? 0 : -1;
}

void
store_cache_load(struct mbox *mb)
{
	struct store_cache	*c;
	struct stat		 sb;
	int			 fd, r;

	if ((fd = openat(mb->dirfd, STORE_CACHE_FILE, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) || sb.st_size == 0 ||
	    sb.st_size > CACHE_FILE_MAX) {
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->len = (size_t)sb.st_size;
	c->map = mmap(NULL, c->len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (c->map == MAP_FAILED) {
		c->map = NULL;
		cache_free(c);
		return;
	}
	if ((r = cache_parse(c)) != 0) {
		if (r == -1)
			log_warnx("event=cache error=garbled folder=%s "
			    "(ignored)", mb->name);
		cache_free(c);
		mb->cache_dirty = 1;
		return;
	}
	mb->cache = c;
}

void
store_cache_unload(struct mbox *mb)
{
	if (mb->cache != NULL)
		cache_free(mb->cache);
	mb->cache = NULL;
}

/* The state the records were read in; NULL when the file has none. */
const struct store_snap *
store_cache_snap(struct mbox *mb)
{
	size_t	i;

	if (mb->cache == NULL || !mb->cache->has_snap || mb->cache->handed)
		return NULL;
	for (i = 0; i < mb->cache->n; i++)
		if (strncmp(mb->cache->e[i].file, "cur/", 4) != 0)
			return NULL;
	return &mb->cache->snap;
}

static void
fill(struct store_msg *m, const struct cache_ent *e)
{
	size_t	i;

	if (m->size == 0)
		m->size = e->size;
	m->idate = e->idate;
	if (e->has == 0)
		return;
	m->blobs = xcalloc(1, sizeof(*m->blobs));
	for (i = 0; i < STORE_CACHE_SLOTS; i++) {
		m->blobs->p[i] = e->p[i];
		m->blobs->len[i] = e->len[i];
	}
	m->blobs->has = e->has;
}

/*
 * The records become mb->msgs, file names and all; the cache then knows
 * no message by name (any found later is new to it).
 */
void
store_cache_take(struct mbox *mb)
{
	struct store_cache	*c = mb->cache;
	struct store_msg	*m;
	size_t			 i;

	mb->msgs = xcalloc(c->n + 1, sizeof(*mb->msgs));
	for (i = 0; i < c->n; i++) {
		m = &mb->msgs[i];
		m->file = c->e[i].file;
		c->e[i].file = NULL;
		m->uid = c->e[i].uid;
		m->flags = store_flags_parse(m->file);
		fill(m, &c->e[i]);
	}
	mb->n = c->n;
	c->handed = 1;
}

static struct cache_ent *
cache_find(struct mbox *mb, const char *base)
{
	struct store_cache	*c = mb->cache;
	struct cache_ent	 key, *kp = &key, **f;
	char			 kfile[4 + STORE_FILE_MAX];
	const char		*p;
	size_t			 i;

	if (c == NULL || c->n == 0 || c->handed ||
	    strnlen(base, STORE_FILE_MAX) == STORE_FILE_MAX)
		return NULL;
	if (c->byname == NULL) {
		c->byname = xreallocarray(NULL, c->n, sizeof(*c->byname));
		for (i = 0; i < c->n; i++) {
			p = strstr(c->e[i].file + 4, ":2,");
			c->e[i].baselen = p != NULL ?
			    (size_t)(p - (c->e[i].file + 4)) :
			    strlen(c->e[i].file + 4);
			c->byname[i] = &c->e[i];
		}
		qsort(c->byname, c->n, sizeof(*c->byname), cmp_byname);
	}
	key.baselen = strlen(base);
	memcpy(kfile, "cur/", 4);
	memcpy(kfile + 4, base, key.baselen + 1);
	key.file = kfile;
	f = bsearch(&kp, c->byname, c->n, sizeof(*c->byname), cmp_byname);
	return f != NULL ? *f : NULL;
}

int
store_cache_vsize(struct mbox *mb, const char *base, uint64_t *vsize)
{
	struct cache_ent	*e = cache_find(mb, base);

	if (e == NULL || e->size == 0)
		return -1;
	*vsize = e->size;
	return 0;
}

/* A new message of the folder gets what the cache knows of it. */
void
store_cache_fill(struct mbox *mb, struct store_msg *m, const char *base)
{
	struct cache_ent	*e = cache_find(mb, base);

	if (e == NULL) {
		mb->cache_dirty = 1;
		return;
	}
	fill(m, e);
}

void
store_blobs_free(struct store_blobs *b)
{
	size_t	i;

	for (i = 0; i < STORE_CACHE_SLOTS; i++)
		if (b->owned & (1U << i))
			free((void *)b->p[i]);
	memset(b, 0, sizeof(*b));
}

int
store_cache_get(struct mbox *mb, uint32_t seq, unsigned slot,
    const char **data, size_t *len)
{
	struct store_msg	*m;

	if (seq == 0 || seq > mb->n || slot >= STORE_CACHE_SLOTS) {
		errno = EINVAL;
		return -1;
	}
	m = &mb->msgs[seq - 1];
	if (m->blobs == NULL || !(m->blobs->has & (1 << slot))) {
		errno = ENOENT;
		return -1;
	}
	*data = m->blobs->p[slot];
	*len = m->blobs->len[slot];
	return 0;
}

int
store_cache_put(struct mbox *mb, uint32_t seq, unsigned slot,
    const void *data, size_t len)
{
	struct store_msg	*m;
	char			*copy;

	if (seq == 0 || seq > mb->n || slot >= STORE_CACHE_SLOTS ||
	    len > STORE_CACHE_BLOB_MAX) {
		errno = EINVAL;
		return -1;
	}
	m = &mb->msgs[seq - 1];
	if (m->blobs == NULL)
		m->blobs = xcalloc(1, sizeof(*m->blobs));
	if (m->blobs->owned & (1U << slot))
		free((void *)m->blobs->p[slot]);
	copy = xmalloc(len + 1);
	memcpy(copy, data, len);
	copy[len] = '\0';
	m->blobs->p[slot] = copy;
	m->blobs->len[slot] = (uint32_t)len;
	m->blobs->owned |= 1U << slot;
	m->blobs->has |= 1 << slot;
	mb->cache_dirty = 1;
	return 0;
}

/* --- writing --- */

static void
cw_flush(struct cache_writer *w)
{
	size_t	off = 0;
	ssize_t	r;

	/* Whole chunks until the last: the words stay aligned. */
	if (w->hashing)
		w->hash = fnv_more(w->hash, w->buf, w->len);
	while (!w->err && off < w->len) {
		if ((r = write(w->fd, w->buf + off, w->len - off)) == -1) {
			if (errno != EINTR)
				w->err = errno;
			continue;
		}
		off += r;
	}
	w->len = 0;
}

static void
cw_put(struct cache_writer *w, const void *p, size_t len)
{
	size_t	n;

	while (len > 0 && !w->err) {
		if (w->len == STORE_CHUNK)
			cw_flush(w);
		n = STORE_CHUNK - w->len < len ? STORE_CHUNK - w->len : len;
		memcpy(w->buf + w->len, p, n);
		w->len += n;
		p = (const char *)p + n;
		len -= n;
	}
}

static int
ts_eq(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

int
store_snap_eq(const struct store_snap *a, const struct store_snap *b)
{
	return ts_eq(&a->cur, &b->cur) &&
	    ts_eq(&a->new, &b->new) && a->ul_ino == b->ul_ino &&
	    a->ul_size == b->ul_size && ts_eq(&a->ul_mtime, &b->ul_mtime);
}

void
store_snap_of(const struct mbox *mb, struct store_snap *s)
{
	s->uidvalidity = mb->uidvalidity;
	s->uidnext = mb->uidnext;
	s->cur = mb->cur_mtime;
	s->new = mb->new_mtime;
	s->ul_ino = mb->ul_ino;
	s->ul_size = mb->ul_size;
	s->ul_mtime = mb->ul_mtime;
}

/* The S line: the state the messages were read in, if trusted. */
static void
cw_snap(struct cache_writer *w, const struct mbox *mb)
{
	struct store_snap	 snap, *s = &snap;
	char			 line[CACHE_LINE_MAX];
	size_t			 i;
	int			 ok = mb->settled;

	/* Only a folder all in cur/ and all written can open from it. */
	for (i = 0; ok && i < mb->n; i++)
		if ((mb->msgs[i].flags & (STORE_M_NEW | STORE_M_GONE)) ||
		    strlen(mb->msgs[i].file) >= 4 + STORE_FILE_MAX)
			ok = 0;
	if (!ok) {
		cw_put(w, "S -\n", 4);
		return;
	}
	store_snap_of(mb, s);
	snprintf(line, sizeof(line), "S %" PRIu32 " %" PRIu32
	    " %lld.%09ld %lld.%09ld %llu %lld %lld.%09ld\n", s->uidvalidity,
	    s->uidnext, (long long)s->cur.tv_sec, (long)s->cur.tv_nsec,
	    (long long)s->new.tv_sec, (long)s->new.tv_nsec,
	    (unsigned long long)s->ul_ino, (long long)s->ul_size,
	    (long long)s->ul_mtime.tv_sec, (long)s->ul_mtime.tv_nsec);
	cw_put(w, line, strlen(line));
}

/* 1 when the file no longer says what the mbox would write. */
int
store_cache_stale(const struct mbox *mb)
{
	const struct store_cache	*c = mb->cache;
	struct store_snap		 s;

	if (mb->cache_dirty)
		return 1;
	if (!mb->settled)
		return 0;	/* the file's S line is no worse than none */
	store_snap_of(mb, &s);
	return c == NULL || !c->has_snap || !store_snap_eq(&c->snap, &s) ||
	    c->snap.uidvalidity != s.uidvalidity ||
	    c->snap.uidnext != s.uidnext;
}

/* v in decimal at o; where it ends.  (snprintf was most of a write.) */
static char *
put_u64(char *o, uint64_t v)
{
	char	tmp[20];
	size_t	n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*o++ = tmp[--n];
	return o;
}

/* One message's record. */
static int
cw_record(struct cache_writer *w, const struct store_msg *m)
{
	char	 line[CACHE_LINE_MAX], *o;
	size_t	 i;

	o = line;
	*o++ = 'R';
	*o++ = ' ';
	o = put_u64(o, m->uid);
	*o++ = ' ';
	memcpy(o, m->file, 4);
	o += 4;
	/* Room left for the numbers after the name. */
	if (uidlist_escape(m->file + 4, o, sizeof(line) - (o - line) - 128) ==
	    -1)
		return 0;
	o += strlen(o);
	*o++ = ' ';
	o = put_u64(o, m->size);
	*o++ = ' ';
	if (m->idate < 0) {
		memcpy(o, "-1", 2);
		o += 2;
	} else
		o = put_u64(o, (uint64_t)m->idate);
	for (i = 0; i < STORE_CACHE_SLOTS; i++) {
		*o++ = ' ';
		if (m->blobs != NULL && (m->blobs->has & (1 << i)))
			o = put_u64(o, m->blobs->len[i]);
		else
			*o++ = '-';
	}
	*o++ = '\n';
	cw_put(w, line, o - line);
	for (i = 0; m->blobs != NULL && i < STORE_CACHE_SLOTS; i++)
		if (m->blobs->has & (1 << i))
			cw_put(w, m->blobs->p[i], m->blobs->len[i]);
	cw_put(w, "\n", 1);
	return 1;
}

int
store_cache_write(struct mbox *mb)
{
	struct cache_writer	w;
	char			tmp[64], trailer[64];
	size_t			i, n = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", STORE_CACHE_FILE,
	    (long)getpid());
	memset(&w, 0, sizeof(w));
	if ((w.fd = openat(mb->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1)
		return -1;
	w.buf = xmalloc(STORE_CHUNK);
	w.hash = FNV_OFFSET;
	w.hashing = 1;
	cw_put(&w, CACHE_HEADER, strlen(CACHE_HEADER));
	cw_snap(&w, mb);
	for (i = 0; i < mb->n; i++) {
		if (mb->msgs[i].flags & STORE_M_GONE)
			continue;
		n += cw_record(&w, &mb->msgs[i]);
	}
	cw_flush(&w);
	w.hashing = 0;
	snprintf(trailer, sizeof(trailer), "E %zu %016" PRIx64 "\n", n,
	    w.hash);
	cw_put(&w, trailer, strlen(trailer));
	cw_flush(&w);
	free(w.buf);
	if (w.err || fsync(w.fd) == -1) {
		close(w.fd);
		goto fail;
	}
	if (close(w.fd) == -1 ||
	    renameat(mb->dirfd, tmp, mb->dirfd, STORE_CACHE_FILE) == -1)
		goto fail;
	mb->cache_dirty = 0;
	return 0;
fail:
	unlinkat(mb->dirfd, tmp, 0);
	return -1;
}
