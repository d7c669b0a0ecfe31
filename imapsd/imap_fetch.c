/*
 * FETCH and UID FETCH (RFC 3501 6.4.5, 6.4.8, 7.4.2).  The data items
 * are parsed once into a list; each message is then answered in two
 * steps.  First every item is worked out: the text of the response goes
 * into one buffer, and a literal taken from the message file is only
 * recorded there as a segment (where in the text it goes, which range
 * of the mapped file, which window of its CR LF view).  Everything that
 * can fail (open, map, parse, section, sizes) happens in that step, so
 * a message whose file another process removed is left out whole (and
 * the command answered NO [EXPUNGEISSUED], RFC 5530) instead of half
 * written.  Then the text is written with each segment streamed from the
 * mapping in FETCH_CHUNK pieces: a session holds a few hundred kilobytes
 * whatever the size of the message, and the mapping stays valid when
 * the file is removed meanwhile.
 *
 * Files are mapped only when an item needs them; ENVELOPE, BODY and
 * BODYSTRUCTURE go into the store's cache so that the next FETCH of the
 * folder does not parse them again.  Every octet count and literal is
 * of the CR LF view of the message (lib/mime.h), which is what
 * RFC822.SIZE counts.  A literal is CHAR8 (RFC 3501 9): a NUL of the
 * message is sent as 0x80, as Dovecot does, which keeps every count.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imapsd.h"
#include "iobuf.h"
#include "log.h"
#include "mime.h"
#include "store.h"
#include "xmalloc.h"

#define FETCH_FLUSH		(256 * 1024)	/* octets between flushes */
#define FETCH_CHUNK		(64 * 1024)	/* octets streamed at a time */
#define FETCH_NUL		0x80		/* sent in place of a NUL */

enum fetch_kind {
	FETCH_UID,
	FETCH_FLAGS,
	FETCH_INTERNALDATE,
	FETCH_SIZE,
	FETCH_ENVELOPE,
	FETCH_BODY,
	FETCH_BODYSTRUCTURE,
	FETCH_SECTION,		/* BODY[...] and BODY.PEEK[...] */
	FETCH_RFC822,		/* BODY[] */
	FETCH_RFC822_HEADER,	/* BODY.PEEK[HEADER] */
	FETCH_RFC822_TEXT	/* BODY[TEXT] */
};

struct fetch_item {
	enum fetch_kind			 kind;
	const struct imapcmd_section	*sec;	/* FETCH_SECTION */
	struct mime_section		 ms;	/* for mime_section_get() */
};

/* A literal's octets, sent from the mapping after f->out.data[0..at). */
struct fetch_seg {
	size_t	at;
	size_t	off, len;	/* the raw range in the file */
	size_t	from, n;	/* the window of its CR LF view */
};

struct fetch {
	struct imap		*p;
	struct fetch_item	*items;
	size_t			 n;
	int			 uid;		/* UID FETCH */
	int			 seen;		/* an item sets \Seen */
	int			 flags;		/* FLAGS is asked for */
	size_t			 gone;		/* messages left out */
	size_t			 unflushed;
	/* the message of the moment */
	uint32_t		 seq;
	int			 loaded, parsed;
	char			*map;
	size_t			 len;
	struct mime_msg		 msg;
	struct imapcmd_buf	 out;
	struct fetch_seg	*segs;		/* one per item at most */
	size_t			 nsegs;
	char			*chunk;		/* FETCH_CHUNK octets */
};

static const struct {
	const char	*name;
	enum fetch_kind	 kind;
} fetch_words[] = {
	{ "UID", FETCH_UID },
	{ "FLAGS", FETCH_FLAGS },
	{ "INTERNALDATE", FETCH_INTERNALDATE },
	{ "RFC822.SIZE", FETCH_SIZE },
	{ "ENVELOPE", FETCH_ENVELOPE },
	{ "BODY", FETCH_BODY },
	{ "BODYSTRUCTURE", FETCH_BODYSTRUCTURE },
	{ "RFC822", FETCH_RFC822 },
	{ "RFC822.HEADER", FETCH_RFC822_HEADER },
	{ "RFC822.TEXT", FETCH_RFC822_TEXT }
};

/* RFC 3501 6.4.5: the macros, each alone in place of a list. */
static const struct {
	const char	*name;
	enum fetch_kind	 kinds[5];
	size_t		 n;
} fetch_macros[] = {
	{ "ALL", { FETCH_FLAGS, FETCH_INTERNALDATE, FETCH_SIZE,
	    FETCH_ENVELOPE }, 4 },
	{ "FAST", { FETCH_FLAGS, FETCH_INTERNALDATE, FETCH_SIZE }, 3 },
	{ "FULL", { FETCH_FLAGS, FETCH_INTERNALDATE, FETCH_SIZE,
	    FETCH_ENVELOPE, FETCH_BODY }, 5 }
};

static void	fetch_section_conv(const struct imapcmd_section *,
		    struct mime_section *);
static void	fetch_add(struct fetch *, enum fetch_kind,
		    const struct imapcmd_section *);
static int	fetch_att(struct fetch *, struct imapcmd_node *,
		    const char **);
static int	fetch_atts(struct fetch *, struct imapcmd_node *,
		    const char **);
static void	fetch_free(struct fetch *);
static int	fetch_load(struct fetch *);
static int	fetch_parsed(struct fetch *);
static void	fetch_unload(struct fetch *);
static void	fetch_date(struct imapcmd_buf *, time_t);
static void	fetch_section_name(struct imapcmd_buf *,
		    const struct imapcmd_section *);
static int	fetch_struct(struct fetch *, const char *, unsigned);
static int	fetch_body(struct fetch *, const struct mime_section *,
		    int partial, uint32_t origin, uint32_t length);
static int	fetch_item(struct fetch *, struct fetch_item *);
static void	fetch_nonul(char *, size_t);
static int	fetch_write(struct fetch *, const void *, size_t);
static int	fetch_stream(struct fetch *, const struct fetch_seg *);
static int	fetch_send(struct fetch *);
static int	fetch_message(struct fetch *, uint32_t);
static uint8_t	*fetch_members(struct fetch *, struct imapcmd_seqset *);

/* The parser's section as lib/mime reads it (sizes checked before). */
static void
fetch_section_conv(const struct imapcmd_section *sec, struct mime_section *ms)
{
	static const enum mime_section_kind kinds[] = {
		[IMAPCMD_SEC_NONE] = MIME_SEC_PART,
		[IMAPCMD_SEC_HEADER] = MIME_SEC_HEADER,
		[IMAPCMD_SEC_FIELDS] = MIME_SEC_FIELDS,
		[IMAPCMD_SEC_FIELDS_NOT] = MIME_SEC_FIELDS_NOT,
		[IMAPCMD_SEC_TEXT] = MIME_SEC_TEXT,
		[IMAPCMD_SEC_MIME] = MIME_SEC_MIME
	};
	struct imapcmd_node	*n;
	const char		*s;
	size_t			 i, len;

	for (i = 0; i < sec->nparts; i++)
		ms->path[i] = sec->part[i];
	ms->npath = sec->nparts;
	ms->kind = kinds[sec->text];
	for (n = sec->fields; n != NULL; n = n->next)
		if (imapcmd_astring(n, &s, &len) == 0)
			ms->fields[ms->nfields++] = xstrndup(s, len);
}

static void
fetch_add(struct fetch *f, enum fetch_kind kind,
    const struct imapcmd_section *sec)
{
	struct fetch_item	*it = &f->items[f->n++];

	it->kind = kind;
	it->sec = sec;
	it->ms.kind = MIME_SEC_PART;
	switch (kind) {
	case FETCH_FLAGS:
		f->flags = 1;
		break;
	case FETCH_RFC822:
		f->seen = 1;
		break;
	case FETCH_RFC822_HEADER:
		it->ms.kind = MIME_SEC_HEADER;
		break;
	case FETCH_RFC822_TEXT:
		it->ms.kind = MIME_SEC_TEXT;
		f->seen = 1;
		break;
	case FETCH_SECTION:
		if (!sec->peek)
			f->seen = 1;
		fetch_section_conv(sec, &it->ms);
		break;
	default:
		break;
	}
}

/* One data item of a list (no macro). */
static int
fetch_att(struct fetch *f, struct imapcmd_node *n, const char **why)
{
	size_t	i;

	if (n->type == IMAPCMD_FETCHATT) {
		if (n->sec->nparts > MIME_MAX_DEPTH ||
		    n->sec->nfields > MIME_MAX_SECTION_FIELDS) {
			*why = "section too deep or with too many fields";
			return -1;
		}
		fetch_add(f, FETCH_SECTION, n->sec);
		return 0;
	}
	if (n->type == IMAPCMD_ATOM)
		for (i = 0; i < sizeof(fetch_words) / sizeof(fetch_words[0]);
		    i++) {
			if (!imapcmd_atom_is(n, fetch_words[i].name))
				continue;
			/* UID FETCH has put UID first already. */
			if (!(f->uid && fetch_words[i].kind == FETCH_UID))
				fetch_add(f, fetch_words[i].kind, NULL);
			return 0;
		}
	*why = "unknown FETCH data item";
	return -1;
}

/* A macro, one item, or a list of items; UID first for UID FETCH. */
static int
fetch_atts(struct fetch *f, struct imapcmd_node *att, const char **why)
{
	struct imapcmd_node	*n;
	size_t			 i, j;

	f->items = xcalloc(att->type == IMAPCMD_LIST ? att->nchild + 6 : 6,
	    sizeof(*f->items));
	if (f->uid)
		fetch_add(f, FETCH_UID, NULL);
	if (att->type == IMAPCMD_ATOM)
		for (i = 0; i < sizeof(fetch_macros) /
		    sizeof(fetch_macros[0]); i++) {
			if (!imapcmd_atom_is(att, fetch_macros[i].name))
				continue;
			for (j = 0; j < fetch_macros[i].n; j++)
				fetch_add(f, fetch_macros[i].kinds[j], NULL);
			return 0;
		}
	if (att->type != IMAPCMD_LIST)
		return fetch_att(f, att, why);
	if (att->nchild == 0) {
		*why = "empty FETCH data item list";
		return -1;
	}
	for (n = att->child; n != NULL; n = n->next)
		if (fetch_att(f, n, why) == -1)
			return -1;
	return 0;
}

static void
fetch_free(struct fetch *f)
{
	size_t	i;

	for (i = 0; i < f->n; i++)
		mime_section_free(&f->items[i].ms);
	free(f->items);
	free(f->segs);
	free(f->chunk);
	imapcmd_buf_free(&f->out);
}

/* Maps the message's file, once. */
static int
fetch_load(struct fetch *f)
{
	struct stat	sb;
	int		fd, saved;

	if (f->loaded)
		return 0;
	if ((fd = store_msg_open(f->p->mbox, f->seq)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1)
		goto fail;
	f->len = (size_t)sb.st_size;
	f->map = NULL;
	if (f->len > 0 && (f->map = mmap(NULL, f->len, PROT_READ,
	    MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		f->map = NULL;
		goto fail;
	}
	close(fd);
	f->loaded = 1;
	return 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static int
fetch_parsed(struct fetch *f)
{
	if (fetch_load(f) == -1)
		return -1;
	if (!f->parsed) {
		mime_parse(&f->msg, f->map != NULL ? f->map : "", f->len);
		f->parsed = 1;
	}
	return 0;
}

static void
fetch_unload(struct fetch *f)
{
	if (f->parsed)
		mime_free(&f->msg);
	if (f->map != NULL)
		munmap(f->map, f->len);
	f->map = NULL;
	f->len = 0;
	f->loaded = f->parsed = 0;
}

/* RFC 3501 date-time: "17-Jul-1996 02:44:25 -0700", local time. */
static void
fetch_date(struct imapcmd_buf *b, time_t t)
{
	struct tm	tm;
	long		off;

	if (localtime_r(&t, &tm) == NULL)
		gmtime_r(&t, &tm);
	off = tm.tm_gmtoff / 60;
	imapcmd_buf_printf(b, "INTERNALDATE \"%02d-%s-%04d %02d:%02d:%02d "
	    "%c%02ld%02ld\"", tm.tm_mday, mime_months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
	    labs(off) / 60, labs(off) % 60);
}

/* "BODY[1.2.HEADER.FIELDS (From To)]<0>" for the response. */
static void
fetch_section_name(struct imapcmd_buf *b, const struct imapcmd_section *sec)
{
	static const char *const text[] = {
		[IMAPCMD_SEC_NONE] = "",
		[IMAPCMD_SEC_HEADER] = "HEADER",
		[IMAPCMD_SEC_FIELDS] = "HEADER.FIELDS",
		[IMAPCMD_SEC_FIELDS_NOT] = "HEADER.FIELDS.NOT",
		[IMAPCMD_SEC_TEXT] = "TEXT",
		[IMAPCMD_SEC_MIME] = "MIME"
	};
	struct imapcmd_node	*n;
	const char		*s;
	size_t			 i, len;

	imapcmd_buf_add(b, "BODY[", 5);
	for (i = 0; i < sec->nparts; i++)
		imapcmd_buf_printf(b, "%s%u", i > 0 ? "." : "", sec->part[i]);
	if (sec->nparts > 0 && sec->text != IMAPCMD_SEC_NONE)
		imapcmd_buf_add(b, ".", 1);
	imapcmd_buf_printf(b, "%s", text[sec->text]);
	if (sec->fields != NULL) {
		imapcmd_buf_add(b, " (", 2);
		for (n = sec->fields; n != NULL; n = n->next) {
			if (imapcmd_astring(n, &s, &len) == -1)
				continue;
			if (n != sec->fields)
				imapcmd_buf_add(b, " ", 1);
			imapcmd_put_string(b, s, len, IMAPCMD_PUT_ASTRING);
		}
		imapcmd_buf_add(b, ")", 1);
	}
	imapcmd_buf_add(b, "]", 1);
	if (sec->partial)
		imapcmd_buf_printf(b, "<%u>", sec->origin);
}

/* ENVELOPE, BODY or BODYSTRUCTURE: from the cache, else parsed and kept. */
static int
fetch_struct(struct fetch *f, const char *name, unsigned slot)
{
	struct mbox	*mb = f->p->mbox;
	struct mime_buf	 b;
	const char	*data;
	size_t		 len;

	imapcmd_buf_printf(&f->out, "%s ", name);
	if (store_cache_get(mb, f->seq, slot, &data, &len) == 0)
		return imapcmd_buf_add(&f->out, data, len);
	if (fetch_parsed(f) == -1)
		return -1;
	mime_buf_init(&b);
	if (slot == IMAP_SLOT_ENVELOPE)
		mime_envelope(&f->msg, &f->msg.parts[0], &b);
	else
		mime_bodystructure(&f->msg, slot == IMAP_SLOT_BODYSTRUCTURE,
		    &b);
	if (b.len <= STORE_CACHE_BLOB_MAX)
		store_cache_put(mb, f->seq, slot, b.data, b.len);
	imapcmd_buf_add(&f->out, b.data, b.len);
	mime_buf_free(&b);
	return 0;
}

/*
 * " {n}" and the octets of a section in the CR LF view, cut to its
 * <partial>; "" when that is empty or the part does not exist (as
 * Dovecot answers).  The whole message ends in a line end, as
 * RFC822.SIZE counts it.  Octets of the file are not copied here: the
 * window becomes a segment that fetch_send() streams.
 */
static int
fetch_body(struct fetch *f, const struct mime_section *ms, int partial,
    uint32_t origin, uint32_t length)
{
	struct mime_buf	 built;
	struct fetch_seg *sg;
	size_t		 off = 0, len = 0, total = 0, from, n;
	int		 r = 0, whole = ms->npath == 0 &&
			    ms->kind == MIME_SEC_PART;

	mime_buf_init(&built);
	if (whole) {
		if (fetch_load(f) == -1)
			return -1;
		len = f->len;
	} else {
		if (fetch_parsed(f) == -1)
			return -1;
		r = mime_section_get(&f->msg, ms, &off, &len, &built);
	}
	if (r == 0 && len > 0)
		total = mime_crlf_len(f->map + off, len) +
		    (whole && f->map[len - 1] != '\n' ? 2 : 0);
	else if (r == 1)
		total = built.len;
	from = partial ? origin : 0;
	n = partial ? length : total;
	if (from >= total)
		n = 0;
	else if (n > total - from)
		n = total - from;
	if (n == 0) {
		imapcmd_buf_add(&f->out, " \"\"", 3);
		goto done;
	}
	imapcmd_buf_printf(&f->out, " {%zu}\r\n", n);
	if (r == 1) {
		fetch_nonul(built.data + from, n);
		imapcmd_buf_add(&f->out, built.data + from, n);
		goto done;
	}
	sg = &f->segs[f->nsegs++];
	sg->at = f->out.len;
	sg->off = off;
	sg->len = len;
	sg->from = from;
	sg->n = n;
done:
	mime_buf_free(&built);
	return 0;
}

static int
fetch_item(struct fetch *f, struct fetch_item *it)
{
	struct mbox	*mb = f->p->mbox;
	uint64_t	 size;
	time_t		 t;

	switch (it->kind) {
	case FETCH_UID:
		return imapcmd_buf_printf(&f->out, "UID %u",
		    mb->msgs[f->seq - 1].uid);
	case FETCH_FLAGS:
		imapcmd_buf_add(&f->out, "FLAGS ", 6);
		imap_select_msgflags(f->p, f->seq, &f->out);
		return 0;
	case FETCH_INTERNALDATE:
		if (store_msg_idate(mb, f->seq, &t) == -1)
			return -1;
		fetch_date(&f->out, t);
		return 0;
	case FETCH_SIZE:
		if (store_msg_size(mb, f->seq, &size) == -1)
			return -1;
		return imapcmd_buf_printf(&f->out, "RFC822.SIZE %llu",
		    (unsigned long long)size);
	case FETCH_ENVELOPE:
		return fetch_struct(f, "ENVELOPE", IMAP_SLOT_ENVELOPE);
	case FETCH_BODY:
		return fetch_struct(f, "BODY", IMAP_SLOT_BODY);
	case FETCH_BODYSTRUCTURE:
		return fetch_struct(f, "BODYSTRUCTURE",
		    IMAP_SLOT_BODYSTRUCTURE);
	case FETCH_SECTION:
		fetch_section_name(&f->out, it->sec);
		return fetch_body(f, &it->ms, it->sec->partial,
		    it->sec->origin, it->sec->length);
	case FETCH_RFC822:
	case FETCH_RFC822_HEADER:
	case FETCH_RFC822_TEXT:
		imapcmd_buf_printf(&f->out, "%s", it->kind == FETCH_RFC822 ?
		    "RFC822" : it->kind == FETCH_RFC822_HEADER ?
		    "RFC822.HEADER" : "RFC822.TEXT");
		return fetch_body(f, &it->ms, 0, 0, 0);
	}
	return 0;
}

static void
fetch_nonul(char *p, size_t n)
{
	char	*end = p + n;

	while ((p = memchr(p, '\0', end - p)) != NULL)
		*p++ = (char)FETCH_NUL;
}

/* Buffered, flushed every FETCH_FLUSH octets. */
static int
fetch_write(struct fetch *f, const void *p, size_t n)
{
	if (n > 0 && iobuf_write(f->p->io, p, n) == -1)
		return -1;
	if ((f->unflushed += n) < FETCH_FLUSH)
		return 0;
	f->unflushed = 0;
	return imap_flush(f->p);
}

/*
 * A segment's window, FETCH_CHUNK octets at a time.  What the file does
 * not give is the line end added after a last line without one; skip
 * is how far into it the window starts (at its LF, or at its CR with n
 * cutting before the LF).
 */
static int
fetch_stream(struct fetch *f, const struct fetch_seg *sg)
{
	struct mime_crlf	 c;
	size_t			 left = sg->n, k, skip;

	if (f->chunk == NULL)
		f->chunk = xmalloc(FETCH_CHUNK);
	mime_crlf_start(&c, f->map + sg->off, sg->len);
	skip = sg->from - mime_crlf_read(&c, NULL, sg->from);
	while (left > 0 && (k = mime_crlf_read(&c, f->chunk,
	    left < FETCH_CHUNK ? left : FETCH_CHUNK)) > 0) {
		fetch_nonul(f->chunk, k);
		if (fetch_write(f, f->chunk, k) == -1)
			return -1;
		left -= k;
	}
	return fetch_write(f, &"\r\n"[skip], left);
}

/* The text of the response with its segments in their places. */
static int
fetch_send(struct fetch *f)
{
	size_t	i, at = 0;

	for (i = 0; i < f->nsegs; i++) {
		if (fetch_write(f, f->out.data + at, f->segs[i].at - at) ==
		    -1 || fetch_stream(f, &f->segs[i]) == -1)
			return -1;
		at = f->segs[i].at;
	}
	return fetch_write(f, f->out.data + at, f->out.len - at);
}

/*
 * One "* n FETCH (...)": \Seen set first where an item asks for it (and
 * FLAGS added when not asked for); a message gone meanwhile is left out.
 */
static int
fetch_message(struct fetch *f, uint32_t seq)
{
	struct imap	*p = f->p;
	struct mbox	*mb = p->mbox;
	size_t		 i;
	int		 addflags = 0, rv;

	if (mb->msgs[seq - 1].flags & STORE_M_GONE) {
		f->gone++;
		return 0;
	}
	f->seq = seq;
	f->out.len = 0;
	f->nsegs = 0;
	if (f->seen && !mb->readonly &&
	    !(mb->msgs[seq - 1].flags & STORE_SEEN)) {
		if (store_flags(mb, &seq, 1, STORE_OP_ADD, STORE_SEEN, 0) == -1)
			goto fail;
		addflags = !f->flags;
	}
	imapcmd_buf_printf(&f->out, "* %u FETCH (", seq);
	for (i = 0; i < f->n; i++) {
		if (i > 0)
			imapcmd_buf_add(&f->out, " ", 1);
		if (fetch_item(f, &f->items[i]) == -1)
			goto fail;
	}
	if (addflags) {
		imapcmd_buf_add(&f->out, " FLAGS ", 7);
		imap_select_msgflags(p, seq, &f->out);
	}
	imapcmd_buf_add(&f->out, ")\r\n", 3);
	/* From here on only the connection can fail. */
	rv = fetch_send(f);
	fetch_unload(f);
	return rv;
fail:
	fetch_unload(f);
	if (errno == ENOENT) {
		f->gone++;
		return 0;
	}
	imap_log(p, "event=fetch folder=%s uid=%u error=\"%s\"", mb->name,
	    mb->msgs[seq - 1].uid, strerror(errno));
	return -1;
}

/* The messages a set names: see imap_set_marks(). */
static uint8_t *
fetch_members(struct fetch *f, struct imapcmd_seqset *set)
{
	return imap_set_marks(f->p->mbox, set, f->uid);
}

int
imap_fetch(struct imap *p, struct imapcmd *c)
{
	return imap_fetch_run(p, c, c->args, c->nargs, 0);
}

int
imap_fetch_run(struct imap *p, struct imapcmd *c, struct imapcmd_node *args,
    size_t nargs, int uid)
{
	const char		*verb = uid ? "UID FETCH" : "FETCH";
	const char		*why;
	struct imapcmd_seqset	*set;
	struct fetch		 f;
	uint8_t			*mark = NULL;
	size_t			 i;
	int			 rv, failed = 0;

	if (nargs != 2)
		return imap_bad(p, c, "%s takes a sequence set and data items",
		    verb);
	if ((args->type != IMAPCMD_ATOM && args->type != IMAPCMD_NUMBER) ||
	    (set = imapcmd_seqset_parse(args->str, args->len,
	    imapcmd_reader_limits(p->reader)->ranges_max, &why)) == NULL)
		return imap_bad(p, c, "invalid sequence set");
	memset(&f, 0, sizeof(f));
	f.p = p;
	f.uid = uid;
	imapcmd_buf_init(&f.out, 0);
	if (fetch_atts(&f, args->next, &why) == -1) {
		rv = imap_bad(p, c, "%s", why);
		goto done;
	}
	f.segs = xcalloc(f.n, sizeof(*f.segs));
	if ((mark = fetch_members(&f, set)) == NULL) {
		rv = imap_bad(p, c, "invalid message sequence number");
		goto done;
	}
	for (i = 0; i < p->mbox->n && !failed; i++)
		if (mark[i] && fetch_message(&f, (uint32_t)(i + 1)) == -1)
			failed = 1;
	imap_select_update(p, STORE_SYNC_NOEXPUNGE |
	    (uid ? IMAP_UPDATE_UID : 0));
	if (failed)
		rv = imap_no(p, c, "[SERVERBUG] %s failed", verb);
	else if (f.gone > 0)
		rv = imap_no(p, c, "[EXPUNGEISSUED] Some of the requested "
		    "messages no longer exist");
	else
		rv = imap_ok(p, c, "%s completed", verb);
done:
	free(mark);
	fetch_free(&f);
	imapcmd_seqset_free(set);
	return rv;
}
