/*
 * The per-folder cache "buzon-cache" (docs/store.md): per base name the
 * RFC822.SIZE, the internal date and up to STORE_CACHE_SLOTS blobs of
 * the caller's.  Only an accelerator: a missing, truncated or garbled
 * file is ignored whole (one log line) and written anew.
 *
 *	buzon-cache 1
 *	R <base> <size> <idate> <len0|-> <len1|-> <len2|-> <len3|->
 *	<the blobs' octets, one after another>
 *	...
 *	E <records> <FNV-1a 64 of every octet before this line, hex>
 *
 * The file is mapped; blobs point into the map until the mbox closes.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

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

#define CACHE_HEADER	"buzon-cache 1\n"
#define CACHE_LINE_MAX	1024		/* octets of an R or E line */
#define CACHE_FILE_MAX	((off_t)2 << 30)	/* larger: not read */
#define FNV_OFFSET	0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL

struct cache_ent {
	char		*base;
	uint64_t	 size;
	int64_t		 idate;
	const char	*p[STORE_CACHE_SLOTS];
	uint32_t	 len[STORE_CACHE_SLOTS];
	int		 has;
};

struct store_cache {
	void			*map;
	size_t			 len;
	struct cache_ent	*e;	/* by base */
	size_t			 n;
};

struct cache_writer {
	int		 fd;
	char		*buf;
	size_t		 len;
	uint64_t	 hash;
	int		 err;
};

static uint64_t
fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char	*c = p;
	size_t			 i;

	for (i = 0; i < len; i++) {
		h ^= c[i];
		h *= FNV_PRIME;
	}
	return h;
}

static int
cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct cache_ent *)a)->base,
	    ((const struct cache_ent *)b)->base);
}

static void
cache_free(struct store_cache *c)
{
	size_t	i;

	for (i = 0; i < c->n; i++)
		free(c->e[i].base);
	free(c->e);
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

/* One "R ..." line and its blobs; -1 when malformed. */
static int
parse_record(struct store_cache *c, char *line, size_t *pos)
{
	struct cache_ent	 e;
	char			*w[4 + STORE_CACHE_SLOTS], *save = NULL;
	char			*ep;
	unsigned long long	 v;
	size_t			 nw = 0, i;

	memset(&e, 0, sizeof(e));
	for (w[nw] = strtok_r(line, " ", &save); w[nw] != NULL &&
	    nw < 3 + STORE_CACHE_SLOTS; w[nw] = strtok_r(NULL, " ", &save))
		nw++;
	if (nw != 3 + STORE_CACHE_SLOTS || strtok_r(NULL, " ", &save) != NULL ||
	    store_unescape(w[0]) == -1)
		return -1;
	errno = 0;
	e.size = strtoull(w[1], &ep, 10);
	if (*ep != '\0' || errno != 0)
		return -1;
	e.idate = strtoll(w[2], &ep, 10);
	if (*ep != '\0' || errno != 0 || e.idate < -1)
		return -1;
	for (i = 0; i < STORE_CACHE_SLOTS; i++) {
		if (strcmp(w[3 + i], "-") == 0)
			continue;
		v = strtoull(w[3 + i], &ep, 10);
		if (*ep != '\0' || errno != 0 || v > STORE_CACHE_BLOB_MAX ||
		    v > c->len - *pos)
			return -1;
		e.p[i] = (const char *)c->map + *pos;
		e.len[i] = (uint32_t)v;
		e.has |= 1 << i;
		*pos += v;
	}
	if (*pos >= c->len || ((const char *)c->map)[(*pos)++] != '\n')
		return -1;
	e.base = xstrdup(w[0]);
	c->e = xreallocarray(c->e, c->n + 1, sizeof(*c->e));
	c->e[c->n++] = e;
	return 0;
}

/* The trailer and its hash, then every record. */
static int
cache_parse(struct store_cache *c)
{
	const char	*map = c->map, *last;
	char		 line[CACHE_LINE_MAX], *ep;
	size_t		 pos = 0, end, records;

	if (c->len < sizeof(CACHE_HEADER) || map[c->len - 1] != '\n')
		return -1;
	for (last = map + c->len - 1; last > map && last[-1] != '\n'; last--)
		;
	end = last - map;
	if (take_line(map, c->len, &end, line, sizeof(line)) == -1 ||
	    strncmp(line, "E ", 2) != 0)
		return -1;
	records = strtoul(line + 2, &ep, 10);
	if (*ep != ' ' || strtoull(ep + 1, &ep, 16) !=
	    fnv(FNV_OFFSET, map, last - map) || *ep != '\0')
		return -1;
	end = last - map;
	if (memcmp(map, CACHE_HEADER, sizeof(CACHE_HEADER) - 1) != 0)
		return -1;
	pos = sizeof(CACHE_HEADER) - 1;
	while (pos < end) {
		if (take_line(map, end, &pos, line, sizeof(line)) == -1 ||
		    strncmp(line, "R ", 2) != 0 ||
		    parse_record(c, line + 2, &pos) == -1 || pos > end)
			return -1;
	}
	return c->n == records ? 0 : -1;
}

void
store_cache_load(struct mbox *mb)
{
	struct store_cache	*c;
	struct stat		 sb;
	int			 fd;

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
	if (cache_parse(c) == -1) {
		log_warnx("event=cache error=garbled folder=%s (ignored)",
		    mb->name);
		cache_free(c);
		mb->cache_dirty = 1;
		return;
	}
	if (c->n > 1)
		qsort(c->e, c->n, sizeof(*c->e), cmp_ent);
	mb->cache = c;
}

void
store_cache_unload(struct mbox *mb)
{
	if (mb->cache != NULL)
		cache_free(mb->cache);
	mb->cache = NULL;
}

static struct cache_ent *
cache_find(struct mbox *mb, const char *base)
{
	struct cache_ent	key;

	if (mb->cache == NULL || mb->cache->n == 0)
		return NULL;
	key.base = (char *)base;
	return bsearch(&key, mb->cache->e, mb->cache->n, sizeof(key), cmp_ent);
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
	size_t			 i;

	if (e == NULL) {
		mb->cache_dirty = 1;
		return;
	}
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
cw_put(struct cache_writer *w, const void *p, size_t len, int hash)
{
	size_t	n;

	if (hash)
		w->hash = fnv(w->hash, p, len);
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

/* One message's record; 0 when it has none to write. */
static int
cw_record(struct cache_writer *w, const struct store_msg *m)
{
	char	 line[CACHE_LINE_MAX], base[STORE_FILE_MAX];
	size_t	 o, i;

	/* Nothing known yet: the next session learns as much. */
	if ((m->size == 0 && m->idate < 0 && m->blobs == NULL) ||
	    uidlist_basename(m->file + 4, base, sizeof(base)) == -1)
		return 0;
	o = strlcpy(line, "R ", sizeof(line));
	if (store_escape(base, line + o, sizeof(line) - o - 128) == -1)
		return 0;
	o += strlen(line + o);
	o += snprintf(line + o, sizeof(line) - o, " %" PRIu64 " %" PRId64,
	    m->size, m->idate < 0 ? (int64_t)-1 : m->idate);
	for (i = 0; i < STORE_CACHE_SLOTS; i++) {
		if (m->blobs != NULL && (m->blobs->has & (1 << i)))
			o += snprintf(line + o, sizeof(line) - o, " %" PRIu32,
			    m->blobs->len[i]);
		else
			o += snprintf(line + o, sizeof(line) - o, " -");
	}
	o += snprintf(line + o, sizeof(line) - o, "\n");
	cw_put(w, line, strlen(line), 1);
	for (i = 0; m->blobs != NULL && i < STORE_CACHE_SLOTS; i++)
		if (m->blobs->has & (1 << i))
			cw_put(w, m->blobs->p[i], m->blobs->len[i], 1);
	cw_put(w, "\n", 1, 1);
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
	cw_put(&w, CACHE_HEADER, strlen(CACHE_HEADER), 1);
	for (i = 0; i < mb->n; i++) {
		if (mb->msgs[i].flags & STORE_M_GONE)
			continue;
		n += cw_record(&w, &mb->msgs[i]);
	}
	snprintf(trailer, sizeof(trailer), "E %zu %016" PRIx64 "\n", n,
	    w.hash);
	cw_put(&w, trailer, strlen(trailer), 0);
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
