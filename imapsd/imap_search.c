/*
 * SEARCH and UID SEARCH (RFC 3501 6.4.4): the search program is parsed
 * into a tree of keys, bounded by IMAP_SEARCH_KEYS_MAX, then each
 * message of the selected folder is tested, cheap keys (flags, sizes,
 * dates, sets) before those that read the message.  Keys on header
 * fields read the header alone; BODY and TEXT read the whole message.
 * Text is compared case-insensitively after RFC 2047 and transfer
 * decoding, in UTF-8 (lib/mime).  No EXPUNGE is sent during a search.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "imapsd.h"
#include "log.h"
#include "mime.h"
#include "store.h"
#include "xmalloc.h"

#define IMAP_SEARCH_KEYS_MAX	256	/* keys of one search program */
#define IMAP_SEARCH_HEADER_MAX	(64 * 1024)	/* header octets read */
#define IMAP_SEARCH_CACHE_MAX	4096	/* octets of cached header fields */

/*
 * The fields whose lines are kept in the folder's cache, so that a
 * search on them reads no message file the next time.
 */
static const char *const cached_fields[] = { "from", "to", "cc", "bcc",
	"subject", "date" };

enum skey_type {
	SK_AND,			/* every child */
	SK_OR,			/* either of two children */
	SK_NOT,
	SK_ALL,
	SK_SEQ,			/* a sequence set */
	SK_UID,
	SK_FLAG,		/* flag set (or, with neg, not set) */
	SK_KEYWORD,		/* keyword index kw set, or neg */
	SK_NEW,			/* \Recent and not \Seen */
	SK_OLD,			/* not \Recent */
	SK_LARGER,
	SK_SMALLER,
	SK_BEFORE,		/* internal date, by day */
	SK_ON,
	SK_SINCE,
	SK_SENTBEFORE,		/* Date: header, by day */
	SK_SENTON,
	SK_SENTSINCE,
	SK_HEADER,		/* field name, text */
	SK_BODY,
	SK_TEXT
};

struct skey {
	enum skey_type		 type;
	int			 neg;
	unsigned		 flag;
	int			 kw;		/* -1: no such keyword here */
	uint64_t		 n;
	int			 day;		/* yyyymmdd */
	char			*field;
	struct mime_match	*mm;
	struct imapcmd_seqset	*set;
	struct skey		*child;		/* AND, OR, NOT */
	struct skey		*next;
};

struct sparse {
	struct imap		*p;
	struct imapcmd_node	*n;		/* the next argument */
	size_t			 nkeys;
	const char		*err;
	int			 need_header, need_body;
	int			 uncached;	/* a header key on another field */
};

/* What one message offers the keys, read once when first needed. */
struct smsg {
	struct mbox		*mb;
	uint32_t		 seq;
	int			 fd;
	char			*head;		/* the header read */
	size_t			 headlen;
	char			*map;		/* the whole message */
	size_t			 maplen;
	struct mime_msg		 hm, bm;
	int			 hparsed, bparsed, gone;
	int			 use_cache;	/* cached fields will do */
};

static struct skey *parse_keys(struct sparse *);
static struct skey *parse_one(struct sparse *);
static void	skey_free(struct skey *);
static int	match(struct skey *, struct smsg *);

static const struct {
	const char	*name;
	unsigned	 flag;
	int		 neg;
} flag_keys[] = {
	{ "ANSWERED", STORE_ANSWERED, 0 }, { "UNANSWERED", STORE_ANSWERED, 1 },
	{ "DELETED", STORE_DELETED, 0 }, { "UNDELETED", STORE_DELETED, 1 },
	{ "DRAFT", STORE_DRAFT, 0 }, { "UNDRAFT", STORE_DRAFT, 1 },
	{ "FLAGGED", STORE_FLAGGED, 0 }, { "UNFLAGGED", STORE_FLAGGED, 1 },
	{ "SEEN", STORE_SEEN, 0 }, { "UNSEEN", STORE_SEEN, 1 },
	{ "RECENT", STORE_RECENT, 0 }
};

static const struct {
	const char	*name;
	enum skey_type	 type;
	const char	*field;
} text_keys[] = {
	{ "FROM", SK_HEADER, "From" }, { "TO", SK_HEADER, "To" },
	{ "CC", SK_HEADER, "Cc" }, { "BCC", SK_HEADER, "Bcc" },
	{ "SUBJECT", SK_HEADER, "Subject" }, { "BODY", SK_BODY, NULL },
	{ "TEXT", SK_TEXT, NULL }
};

static const struct {
	const char	*name;
	enum skey_type	 type;
} date_keys[] = {
	{ "BEFORE", SK_BEFORE }, { "ON", SK_ON }, { "SINCE", SK_SINCE },
	{ "SENTBEFORE", SK_SENTBEFORE }, { "SENTON", SK_SENTON },
	{ "SENTSINCE", SK_SENTSINCE }
};

/* RFC 3501 date: 1*2DIGIT "-" month "-" 4DIGIT, as yyyymmdd. */
static int
parse_date(const char *s, int *day)
{
	int	d = 0, y = 0, m, i;

	for (i = 0; i < 2 && s[i] >= '0' && s[i] <= '9'; i++)
		d = d * 10 + (s[i] - '0');
	if (i == 0 || s[i] != '-' || d < 1 || d > 31)
		return -1;
	s += i + 1;
	if ((m = mime_month(s)) == 0 || s[3] != '-')
		return -1;
	s += 4;
	for (i = 0; i < 4 && s[i] >= '0' && s[i] <= '9'; i++)
		y = y * 10 + (s[i] - '0');
	if (i != 4 || s[4] != '\0' || y < 1900)
		return -1;
	*day = y * 10000 + m * 100 + d;
	return 0;
}

static int
is_cached_field(const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(cached_fields); i++)
		if (strcasecmp(name, cached_fields[i]) == 0)
			return 1;
	return 0;
}

static struct skey *
skey_new(struct sparse *sp, enum skey_type type)
{
	struct skey	*k;

	if (++sp->nkeys > IMAP_SEARCH_KEYS_MAX) {
		sp->err = "search program too large";
		return NULL;
	}
	k = xcalloc(1, sizeof(*k));
	k->type = type;
	k->kw = -1;
	return k;
}

static void
skey_free(struct skey *k)
{
	struct skey	*next;

	for (; k != NULL; k = next) {
		next = k->next;
		skey_free(k->child);
		free(k->field);
		free(k->mm);
		if (k->set != NULL)
			imapcmd_seqset_free(k->set);
		free(k);
	}
}

/* The next argument as a string (astring), or NULL with sp->err. */
static const char *
arg_string(struct sparse *sp, const char *what)
{
	const char	*s;
	size_t		 len;

	if (sp->n == NULL || imapcmd_astring(sp->n, &s, &len) == -1) {
		sp->err = what;
		return NULL;
	}
	sp->n = sp->n->next;
	return s;
}

static struct skey *
text_key(struct sparse *sp, enum skey_type type, const char *field)
{
	struct skey	*k;
	const char	*s;

	if ((s = arg_string(sp, "search text expected")) == NULL ||
	    (k = skey_new(sp, type)) == NULL)
		return NULL;
	k->mm = xmalloc(sizeof(*k->mm));
	if (mime_match_init(k->mm, s) == -1) {
		sp->err = "search text too long";
		skey_free(k);
		return NULL;
	}
	if (field != NULL)
		k->field = xstrdup(field);
	if (type == SK_HEADER) {
		sp->need_header = 1;
		if (!is_cached_field(field))
			sp->uncached = 1;
	} else
		sp->need_body = 1;
	return k;
}

static struct skey *
set_key(struct sparse *sp, enum skey_type type, const char *s, size_t len)
{
	struct skey	*k;
	const char	*err;

	if ((k = skey_new(sp, type)) == NULL)
		return NULL;
	if ((k->set = imapcmd_seqset_parse(s, len,
	    imapcmd_reader_limits(sp->p->reader)->ranges_max, &err)) == NULL) {
		sp->err = "bad sequence set";
		free(k);
		return NULL;
	}
	return k;
}

/* One search key at sp->n; NULL with sp->err. */
static struct skey *
parse_one(struct sparse *sp)
{
	struct imapcmd_node	*n = sp->n;
	struct skey		*k, *a, *b;
	const char		*s;
	uint64_t		 v;
	size_t			 i;
	int			 day;

	if (n == NULL) {
		sp->err = "search key expected";
		return NULL;
	}
	if (n->type == IMAPCMD_LIST) {
		sp->n = n->child;
		if (n->child == NULL) {
			sp->err = "empty parenthesised search key";
			return NULL;
		}
		a = parse_keys(sp);
		sp->n = n->next;
		return a;
	}
	if (n->type != IMAPCMD_ATOM && n->type != IMAPCMD_NUMBER) {
		sp->err = "search key expected";
		return NULL;
	}
	sp->n = n->next;
	s = n->str;
	if (n->type == IMAPCMD_NUMBER || strspn(s, "0123456789:,*") ==
	    n->len)
		return set_key(sp, SK_SEQ, s, n->len);
	for (i = 0; i < nitems(flag_keys); i++)
		if (strcasecmp(s, flag_keys[i].name) == 0) {
			if ((k = skey_new(sp, SK_FLAG)) == NULL)
				return NULL;
			k->flag = flag_keys[i].flag;
			k->neg = flag_keys[i].neg;
			return k;
		}
	for (i = 0; i < nitems(text_keys); i++)
		if (strcasecmp(s, text_keys[i].name) == 0)
			return text_key(sp, text_keys[i].type,
			    text_keys[i].field);
	for (i = 0; i < nitems(date_keys); i++)
		if (strcasecmp(s, date_keys[i].name) == 0) {
			if ((s = arg_string(sp, "date expected")) == NULL)
				return NULL;
			if (parse_date(s, &day) == -1) {
				sp->err = "bad date: want dd-Mon-yyyy";
				return NULL;
			}
			if ((k = skey_new(sp, date_keys[i].type)) == NULL)
				return NULL;
			k->day = day;
			if (k->type >= SK_SENTBEFORE)
				sp->need_header = 1;
			return k;
		}
	if (strcasecmp(s, "ALL") == 0)
		return skey_new(sp, SK_ALL);
	if (strcasecmp(s, "NEW") == 0)
		return skey_new(sp, SK_NEW);
	if (strcasecmp(s, "OLD") == 0)
		return skey_new(sp, SK_OLD);
	if (strcasecmp(s, "HEADER") == 0) {
		if ((s = arg_string(sp, "header field name expected")) == NULL)
			return NULL;
		if (*s == '\0' || strpbrk(s, ": \t") != NULL) {
			sp->err = "bad header field name";
			return NULL;
		}
		return text_key(sp, SK_HEADER, s);
	}
	if (strcasecmp(s, "KEYWORD") == 0 || strcasecmp(s, "UNKEYWORD") == 0) {
		i = strcasecmp(s, "UNKEYWORD") == 0;
		if ((s = arg_string(sp, "keyword expected")) == NULL ||
		    (k = skey_new(sp, SK_KEYWORD)) == NULL)
			return NULL;
		k->kw = store_keyword_index(sp->p->mbox, s, 0);
		k->neg = (int)i;
		return k;
	}
	if (strcasecmp(s, "LARGER") == 0 || strcasecmp(s, "SMALLER") == 0) {
		i = strcasecmp(s, "SMALLER") == 0;
		if (sp->n == NULL || imapcmd_u64(sp->n, &v) == -1) {
			sp->err = "number expected";
			return NULL;
		}
		sp->n = sp->n->next;
		if ((k = skey_new(sp, i ? SK_SMALLER : SK_LARGER)) == NULL)
			return NULL;
		k->n = v;
		return k;
	}
	if (strcasecmp(s, "UID") == 0) {
		if (sp->n == NULL || (sp->n->type != IMAPCMD_ATOM &&
		    sp->n->type != IMAPCMD_NUMBER)) {
			sp->err = "sequence set expected";
			return NULL;
		}
		n = sp->n;
		sp->n = n->next;
		return set_key(sp, SK_UID, n->str, n->len);
	}
	if (strcasecmp(s, "NOT") == 0) {
		if ((a = parse_one(sp)) == NULL ||
		    (k = skey_new(sp, SK_NOT)) == NULL) {
			skey_free(a);
			return NULL;
		}
		k->child = a;
		return k;
	}
	if (strcasecmp(s, "OR") == 0) {
		if ((a = parse_one(sp)) == NULL)
			return NULL;
		if ((b = parse_one(sp)) == NULL ||
		    (k = skey_new(sp, SK_OR)) == NULL) {
			skey_free(a);
			skey_free(b);
			return NULL;
		}
		a->next = b;
		k->child = a;
		return k;
	}
	sp->err = "unknown search key";
	return NULL;
}

/* Keys up to the end of the list (or of the command): an AND. */
static struct skey *
parse_keys(struct sparse *sp)
{
	struct skey	*k, *head = NULL, **tail = &head, *and;

	while (sp->n != NULL) {
		if ((k = parse_one(sp)) == NULL) {
			skey_free(head);
			return NULL;
		}
		*tail = k;
		tail = &k->next;
	}
	if (head != NULL && head->next == NULL)
		return head;
	/* Keys side by side: their AND is no key of the client's. */
	sp->nkeys--;
	if ((and = skey_new(sp, SK_AND)) == NULL) {
		skey_free(head);
		return NULL;
	}
	and->child = head;
	return and;
}

/* --- evaluation ---------------------------------------------------- */

static int
day_of(time_t t)
{
	struct tm	tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
	    tm.tm_mday;
}

/*
 * The lines of the cached fields in the header h[0..len), continuation
 * lines included, then an empty line; NULL when they would not fit.
 */
static char *
cache_lines(const char *h, size_t len, size_t *outlen)
{
	const char	*p = h, *end = h + len, *f, *lf, *colon;
	char		*out, name[16];
	size_t		 o = 0, n;

	out = xmalloc(IMAP_SEARCH_CACHE_MAX);
	while (p < end && *p != '\n' && !(*p == '\r' && p + 1 < end &&
	    p[1] == '\n')) {
		f = p;
		do {
			lf = memchr(p, '\n', end - p);
			p = lf == NULL ? end : lf + 1;
		} while (p < end && (*p == ' ' || *p == '\t'));
		if ((colon = memchr(f, ':', p - f)) == NULL ||
		    (size_t)(colon - f) >= sizeof(name))
			continue;
		memcpy(name, f, colon - f);
		name[colon - f] = '\0';
		if (!is_cached_field(name))
			continue;
		n = p - f;
		if (o + n + 2 > IMAP_SEARCH_CACHE_MAX) {
			free(out);
			return NULL;
		}
		memcpy(out + o, f, n);
		o += n;
		if (out[o - 1] != '\n')
			out[o++] = '\n';
	}
	out[o++] = '\n';
	*outlen = o;
	return out;
}

/*
 * The header of the message: the cached fields when they will do, else
 * the header read alone (bounded), whose cached fields are then stored.
 * 0, or -1 when the message is gone.
 */
static int
need_header(struct smsg *m)
{
	const char	*data;
	ssize_t		 r;
	size_t		 cap = 4096, len;
	char		*eoh, *lines;

	if (m->hparsed)
		return m->gone ? -1 : 0;
	m->hparsed = 1;
	if (m->use_cache && store_cache_get(m->mb, m->seq, IMAP_SLOT_SEARCH,
	    &data, &len) == 0) {
		m->head = xmalloc(len + 1);
		memcpy(m->head, data, len);
		m->headlen = len;
		mime_parse(&m->hm, m->head, m->headlen);
		return 0;
	}
	if (m->fd == -1 && (m->fd = store_msg_open(m->mb, m->seq)) == -1) {
		m->gone = 1;
		return -1;
	}
	m->head = xmalloc(cap);
	for (;;) {
		r = pread(m->fd, m->head + m->headlen, cap - m->headlen,
		    m->headlen);
		if (r <= 0)
			break;
		m->headlen += r;
		if (memmem(m->head, m->headlen, "\n\n", 2) != NULL ||
		    memmem(m->head, m->headlen, "\r\n\r\n", 4) != NULL ||
		    m->headlen >= IMAP_SEARCH_HEADER_MAX)
			break;
		if (m->headlen == cap) {
			cap *= 2;
			m->head = xreallocarray(m->head, cap, 1);
		}
	}
	if ((eoh = memmem(m->head, m->headlen, "\n\n", 2)) != NULL)
		m->headlen = eoh - m->head + 2;
	mime_parse(&m->hm, m->head, m->headlen);
	if ((lines = cache_lines(m->head, m->headlen, &len)) != NULL) {
		store_cache_put(m->mb, m->seq, IMAP_SLOT_SEARCH, lines, len);
		free(lines);
	}
	return 0;
}

/* The whole message, mapped. 0, or -1 if gone. */
static int
need_body(struct smsg *m)
{
	struct stat	st;

	if (m->bparsed)
		return m->gone ? -1 : 0;
	m->bparsed = 1;
	if (m->fd == -1 && (m->fd = store_msg_open(m->mb, m->seq)) == -1) {
		m->gone = 1;
		return -1;
	}
	if (fstat(m->fd, &st) == -1) {
		m->gone = 1;
		return -1;
	}
	m->maplen = st.st_size;
	if (m->maplen > 0 && (m->map = mmap(NULL, m->maplen, PROT_READ,
	    MAP_PRIVATE, m->fd, 0)) == MAP_FAILED) {
		m->map = NULL;
		m->gone = 1;
		return -1;
	}
	mime_parse(&m->bm, m->map != NULL ? m->map : "", m->maplen);
	return 0;
}

static void
smsg_done(struct smsg *m)
{
	if (m->hparsed && m->head != NULL)
		mime_free(&m->hm);
	if (m->bparsed && !m->gone)
		mime_free(&m->bm);
	free(m->head);
	if (m->map != NULL)
		munmap(m->map, m->maplen);
	if (m->fd != -1)
		close(m->fd);
}

static int
match_list(struct skey *k, struct smsg *m)
{
	for (; k != NULL; k = k->next)
		if (!match(k, m))
			return 0;
	return 1;
}

static int
match(struct skey *k, struct smsg *m)
{
	struct store_msg	*sm = &m->mb->msgs[m->seq - 1];
	struct mime_date	 d;
	uint64_t		 size;
	time_t			 idate;
	int			 day = 0;

	switch (k->type) {
	case SK_AND:
		return match_list(k->child, m);
	case SK_OR:
		return match(k->child, m) || match(k->child->next, m);
	case SK_NOT:
		return !match(k->child, m);
	case SK_ALL:
		return 1;
	case SK_SEQ:
		return imapcmd_seqset_contains(k->set, m->mb->n, m->seq);
	case SK_UID:
		return imapcmd_seqset_contains(k->set, m->mb->n > 0 ?
		    m->mb->msgs[m->mb->n - 1].uid : 0, sm->uid);
	case SK_FLAG:
		return ((sm->flags & k->flag) != 0) != k->neg;
	case SK_KEYWORD:
		return (k->kw >= 0 && (sm->keywords >> k->kw & 1)) != k->neg;
	case SK_NEW:
		return (sm->flags & STORE_RECENT) && !(sm->flags & STORE_SEEN);
	case SK_OLD:
		return !(sm->flags & STORE_RECENT);
	case SK_LARGER:
	case SK_SMALLER:
		if (store_msg_size(m->mb, m->seq, &size) == -1)
			return 0;
		return k->type == SK_LARGER ? size > k->n : size < k->n;
	case SK_BEFORE:
	case SK_ON:
	case SK_SINCE:
		if (store_msg_idate(m->mb, m->seq, &idate) == -1)
			return 0;
		day = day_of(idate);
		break;
	case SK_SENTBEFORE:
	case SK_SENTON:
	case SK_SENTSINCE:
		/* Without a usable Date: field, the internal date. */
		if (need_header(m) == -1)
			return 0;
		if (mime_msg_date(&m->hm, &d) == 0)
			day = d.year * 10000 + d.mon * 100 + d.mday;
		else if (store_msg_idate(m->mb, m->seq, &idate) == 0)
			day = day_of(idate);
		else
			return 0;
		break;
	case SK_HEADER:
		if (need_header(m) == -1)
			return 0;
		return mime_search_header(&m->hm, k->field, k->mm);
	case SK_BODY:
		if (need_body(m) == -1)
			return 0;
		return mime_search_body(&m->bm, k->mm);
	case SK_TEXT:
		if (need_body(m) == -1)
			return 0;
		return mime_search_text(&m->bm, k->mm);
	}
	switch (k->type) {
	case SK_BEFORE:
	case SK_SENTBEFORE:
		return day < k->day;
	case SK_ON:
	case SK_SENTON:
		return day == k->day;
	default:
		return day >= k->day;
	}
}

/*
 * SEARCH or UID SEARCH with args the arguments after the command name:
 * [CHARSET name] keys.  Answers the command.
 */
int
imap_search_run(struct imap *p, struct imapcmd *c, struct imapcmd_node *args,
    int uid)
{
	struct sparse	 sp;
	struct skey	*k;
	struct smsg	 m;
	struct imapcmd_buf b;
	const char	*cs;
	size_t		 len, i;

	memset(&sp, 0, sizeof(sp));
	sp.p = p;
	sp.n = args;
	if (sp.n != NULL && imapcmd_atom_is(sp.n, "CHARSET")) {
		sp.n = sp.n->next;
		if (sp.n == NULL || imapcmd_astring(sp.n, &cs, &len) == -1)
			return imap_bad(p, c, "CHARSET needs a name");
		if (strcasecmp(cs, "UTF-8") != 0 &&
		    strcasecmp(cs, "US-ASCII") != 0)
			return imap_no(p, c, "[BADCHARSET (US-ASCII UTF-8)] "
			    "unsupported charset");
		sp.n = sp.n->next;
	}
	if (sp.n == NULL)
		return imap_bad(p, c, "search key expected");
	if ((k = parse_keys(&sp)) == NULL)
		return imap_bad(p, c, "%s", sp.err);
	imapcmd_buf_init(&b, 0);
	imapcmd_buf_add(&b, "SEARCH", 6);
	for (i = 0; i < p->mbox->n; i++) {
		memset(&m, 0, sizeof(m));
		m.mb = p->mbox;
		m.seq = i + 1;
		m.fd = -1;
		m.use_cache = !sp.uncached;
		if (match(k, &m))
			imapcmd_buf_printf(&b, " %u", uid ? p->mbox->msgs[i].uid :
			    (unsigned)(i + 1));
		smsg_done(&m);
	}
	imap_untagged(p, "%s", b.data);
	imapcmd_buf_free(&b);
	skey_free(k);
	imap_select_update(p, STORE_SYNC_NOEXPUNGE |
	    (uid ? IMAP_UPDATE_UID : 0));
	return imap_ok(p, c, "%sSEARCH completed", uid ? "UID " : "");
}

static int
imap_search(struct imap *p, struct imapcmd *c)
{
	return imap_search_run(p, c, c->args, 0);
}

const struct imap_command imap_search_commands[] = {
	{ "SEARCH", IMAP_SELECTED, imap_search },
	{ NULL, 0, NULL }
};
