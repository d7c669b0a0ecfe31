/*
 * Message structure for IMAP FETCH and SEARCH: RFC 5322 header and
 * RFC 2045/2046 MIME parsed into a tree of offsets into a read-only byte
 * range (the caller mmaps the Maildir file), ENVELOPE, BODY and
 * BODYSTRUCTURE text (RFC 3501 7.4.2), section extraction, and decoding
 * for SEARCH (RFC 2047 words, quoted-printable, base64, iconv(3) to UTF-8,
 * a streaming case-folding matcher, RFC 5322 dates).  Line ends may be LF
 * (Maildir) or CR LF; both give the same tree and the same IMAP text.
 *
 * Dovecot compatibility.  Clients moving from Dovecot must see the same
 * structure, so the parser reads MIME the way Dovecot 2.3 does: a line
 * starting with "--" and a boundary of an open multipart (innermost
 * first, prefix match) is a delimiter; the line end before a delimiter
 * belongs to it unless it already ended a nested close delimiter line;
 * a header without its empty line ends at a delimiter.  ENVELOPE and
 * BODYSTRUCTURE keep the header's case and write strings as Dovecot does;
 * regress/lib/mime/ holds messages with Dovecot's answers for them.
 *
 * Octet counts.  A Maildir stores LF line ends but IMAP sends CR LF, and
 * RFC 3501 wants RFC822.SIZE, BODYSTRUCTURE sizes and the length of
 * BODY[] to agree.  Like courier-imap and Dovecot, every size this module
 * reports is of the "CR LF view": each bare LF counts as two octets, an
 * existing CR LF as two.  mime_crlf_copy() produces that view; a caller
 * applies <partial> to it.  Line counts are LF counts.
 *
 * Memory.  Nothing is copied out of the message while parsing: a part is
 * a pair of ranges plus a few counts (at most MIME_MAX_PARTS of them,
 * about 1 MB), the open boundaries are at most MIME_MAX_DEPTH short
 * strings, a field value copied for parsing is at most MIME_MAX_LINE
 * octets, and SEARCH decodes a body in fixed buffers of a few tens of
 * kilobytes, whatever the size of the message.
 *
 * Limits, and what an IMAP client sees past them:
 *  MIME_MAX_DEPTH	levels of nesting, the message being level 1.  A
 *			multipart or message part on the last level is
 *			not opened: BODYSTRUCTURE shows it as a leaf of
 *			type application/octet-stream with its own
 *			parameters (as Dovecot 2.3 does, so clients offer
 *			it as an attachment instead of rendering raw MIME),
 *			BODY[n...] gives its raw content (the deeper MIME
 *			text), sections below it do not exist, and SEARCH
 *			skips it like any non-text part.
 *  MIME_MAX_PARTS	parts in one message.  When a multipart would get
 *			one part too many, its last kept part's body runs
 *			on to the end of the multipart: the client sees
 *			fewer parts (Dovecot keeps the same ones), no octet
 *			becomes unreachable; a multipart that cannot keep
 *			even one part is not opened, as above.
 *  MIME_MAX_FIELDS	header fields inspected per header when looking a
 *			field up (Content-*, envelope fields, SEARCH,
 *			HEADER.FIELDS): later fields are not seen.
 *  MIME_MAX_LINE	octets of one field value copied for parsing
 *			(Content-Type, addresses, ENVELOPE strings,
 *			SEARCH); longer values are cut there.
 *  MIME_MAX_FIELDS_OUT	octets of a built HEADER.FIELDS(.NOT) result; a
 *			field that does not fit is left out whole.
 *  MIME_MAX_BOUNDARY	length of a multipart boundary (RFC 2046 says 70;
 *			longer ones up to this limit are tolerated).  A
 *			multipart without a usable boundary has no parts:
 *			BODYSTRUCTURE shows one empty text/plain part (as
 *			Dovecot does) and SEARCH reads its body as is.
 */
#ifndef MIME_H
#define MIME_H

#include <sys/types.h>
#include <stddef.h>
#include <time.h>

#define MIME_MAX_DEPTH		100
#define MIME_MAX_PARTS		10000
#define MIME_MAX_FIELDS		1000
#define MIME_MAX_LINE		65536
#define MIME_MAX_FIELDS_OUT	(1024 * 1024)
#define MIME_MAX_BOUNDARY	200
#define MIME_MAX_PARAMS		64	/* Content-Type parameters kept */
#define MIME_MAX_SECTION_FIELDS	64	/* names in HEADER.FIELDS (...) */

/* ---- growable output buffer (always NUL terminated) ---- */

struct mime_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void	mime_buf_init(struct mime_buf *);
void	mime_buf_free(struct mime_buf *);
void	mime_buf_add(struct mime_buf *, const void *, size_t);
void	mime_buf_addstr(struct mime_buf *, const char *);
void	mime_buf_addc(struct mime_buf *, int);
void	mime_buf_addu(struct mime_buf *, unsigned long long);
/*
 * An IMAP string: quoted when it can be, a literal {n} when it holds
 * CR, LF, NUL, 8-bit octets or is long; NIL when p is NULL.  (A local
 * writer until lib/imapcmd's general one is merged in.)
 */
void	mime_buf_nstring(struct mime_buf *, const char *p, size_t len);
void	mime_buf_nstr(struct mime_buf *, const char *);
/*
 * Text "for humans" (Subject, display names) the way Dovecot writes it:
 * CR, LF and TAB become spaces, runs of white space one space, leading
 * and trailing white space go; a string so changed, or holding '"', '\\'
 * or 8-bit octets, is sent as a literal.
 */
void	mime_buf_human(struct mime_buf *, const char *, size_t);

/* ---- the part tree ---- */

#define MIME_PART_MULTIPART	0x01	/* children are its body parts */
#define MIME_PART_MESSAGE	0x02	/* child is the encapsulated message */
#define MIME_PART_CUT		0x04	/* limit reached: not opened */
#define MIME_PART_DIGEST	0x08	/* default type is message/rfc822 */

struct mime_part {
	size_t		hdr_off;	/* header, blank line included */
	size_t		hdr_len;
	size_t		body_off;
	size_t		body_len;
	size_t		hdr_bare;	/* LFs without a CR before them */
	size_t		body_bare;
	size_t		body_lines;	/* LF count of the body */
	int		parent;		/* indices into mime_msg.parts, -1 */
	int		child;
	int		next;
	unsigned int	depth;
	unsigned int	flags;
};

struct mime_msg {
	const char		*base;
	size_t			 len;
	struct mime_part	*parts;	/* parts[0] is the whole message */
	size_t			 nparts;
	size_t			 cap;
	int			 limited;	/* a limit above was reached */
};

/* Parses base[0..len); returns 0: any content gives some tree. */
int	mime_parse(struct mime_msg *, const char *base, size_t len);
void	mime_free(struct mime_msg *);

/* ---- header fields ---- */

/*
 * Finds the first field called name (case-insensitive) in base[off..
 * off+len), looking at MIME_MAX_FIELDS fields at most; sets the raw
 * value range (after the colon, folding included).  1 found, 0 not.
 */
int	mime_field_find(const char *base, size_t off, size_t len,
	    const char *name, size_t *voff, size_t *vlen);
/*
 * The unfolded value of a field of part p (CR and LF removed, leading
 * and trailing white space trimmed, cut at MIME_MAX_LINE) as a new
 * string, or NULL when absent.
 */
char	*mime_field_get(const struct mime_msg *, const struct mime_part *,
	    const char *name);

struct mime_param {
	char	*name;		/* as written; "name*" when RFC 2231 */
	char	*value;		/* continuations joined, still encoded */
};

struct mime_ctype {
	char			*type;		/* as written (Dovecot keeps
						   the case too) */
	char			*subtype;	/* NULL for a disposition */
	struct mime_param	*params;
	size_t			 nparams;
};

/*
 * "type/subtype; p=v; ..." (or "disposition; p=v" when subtype is not
 * wanted); comments skipped, RFC 2231 continuations joined.  0, or -1
 * when no valid type is found (*ct is then empty).
 */
int	mime_ctype_parse(const char *, int want_subtype, struct mime_ctype *);
/* Past the (nested, quoted-pair aware) comment at p, or at its NUL. */
const char *mime_comment_end(const char *p);
void	mime_ctype_free(struct mime_ctype *);
/* The raw joined value of parameter name (without '*'), or NULL. */
const struct mime_param *mime_param_find(const struct mime_ctype *,
	    const char *name);
/* A parameter value decoded to UTF-8 (RFC 2231 charset'lang'%XX). */
char	*mime_param_decode(const struct mime_param *);

/* ---- IMAP output ---- */

void	mime_envelope(const struct mime_msg *, const struct mime_part *,
	    struct mime_buf *);
/* BODY (extended 0) or BODYSTRUCTURE (extended 1) of the message. */
void	mime_bodystructure(const struct mime_msg *, int extended,
	    struct mime_buf *);

/* ---- sections ---- */

enum mime_section_kind {
	MIME_SEC_PART,		/* BODY[] or BODY[1.2]: the part's body */
	MIME_SEC_HEADER,
	MIME_SEC_TEXT,
	MIME_SEC_MIME,
	MIME_SEC_FIELDS,
	MIME_SEC_FIELDS_NOT
};

struct mime_section {
	unsigned int		path[MIME_MAX_DEPTH];
	size_t			npath;
	enum mime_section_kind	kind;
	char			*fields[MIME_MAX_SECTION_FIELDS];
	size_t			nfields;
};

/*
 * Parses the text between the brackets of BODY[...]: "", "1.2",
 * "HEADER", "1.TEXT", "2.MIME", "HEADER.FIELDS (From To)".  0 or -1.
 */
int	mime_section_parse(const char *, struct mime_section *);
void	mime_section_free(struct mime_section *);
/*
 * Resolves a section.  Returns 0 with the raw range in *off, *len (use
 * the mime_crlf_* functions on it), 1 with the CR LF content built into
 * *out (HEADER.FIELDS), or -1 when the part does not exist (the caller
 * answers with an empty string, as Dovecot does).
 */
int	mime_section_get(const struct mime_msg *, const struct mime_section *,
	    size_t *off, size_t *len, struct mime_buf *out);

/* Size of p[0..len) with every bare LF counted as CR LF. */
size_t	mime_crlf_len(const char *p, size_t len);
/* Appends octets [from, from + n) of that view to out; returns n kept. */
size_t	mime_crlf_copy(struct mime_buf *out, const char *p, size_t len,
	    size_t from, size_t n);

/*
 * The same view read in pieces, for a caller that sends a large range
 * without holding it: the cursor remembers where it is (a CR it added
 * may be given at the end of one piece and its LF at the start of the
 * next), so reading a range piece by piece costs what one pass does.
 */
struct mime_crlf {
	const char	*p;
	size_t		 len;
	size_t		 i;	/* octets of p[] consumed */
	int		 cr;	/* the CR before p[i] (a bare LF) is given */
};

void	mime_crlf_start(struct mime_crlf *, const char *p, size_t len);
/*
 * Gives the next octets of the view, up to n, into dst, or skips them
 * when dst is NULL; returns how many, less than n only at the end.
 */
size_t	mime_crlf_read(struct mime_crlf *, char *dst, size_t n);

/* RFC822.SIZE: the whole message in the CR LF view. */
size_t	mime_msg_size(const struct mime_msg *);

/* ---- decoding ---- */

/* Octets in charset as a new UTF-8 string; unknown charsets copied. */
char	*mime_charset_utf8(const char *charset, const char *, size_t);
/* RFC 2047 words of an unfolded header value decoded to UTF-8. */
char	*mime_decode_words(const char *, size_t);

/*
 * A streaming decoder: transfer encoding (base64, quoted-printable or
 * identity) then charset to UTF-8 with iconv(3).  An unknown charset
 * passes the octets through.  Memory is the struct only.
 */
struct mime_decoder;
struct mime_decoder *mime_decoder_new(const char *cte, const char *charset);
/* Feeds input; calls out(arg, utf8, n) zero or more times. */
void	mime_decoder_feed(struct mime_decoder *, const char *, size_t,
	    void (*out)(void *, const char *, size_t), void *arg);
void	mime_decoder_end(struct mime_decoder *,
	    void (*out)(void *, const char *, size_t), void *arg);
void	mime_decoder_free(struct mime_decoder *);

/* ---- search ---- */

#define MIME_MATCH_MAX	1024	/* octets of a folded needle */

/*
 * Case-insensitive substring search over UTF-8 text fed in pieces: ASCII,
 * Latin-1, Latin Extended-A, Greek and Cyrillic simple case folding.
 */
struct mime_match {
	unsigned char	needle[MIME_MATCH_MAX];
	size_t		nlen;
	size_t		fail[MIME_MATCH_MAX];
	size_t		state;		/* KMP: octets of needle matched */
	unsigned char	pend[4];	/* an incomplete UTF-8 sequence */
	size_t		npend;
	int		found;
};

/* 0, or -1 when the folded needle is longer than MIME_MATCH_MAX. */
int	mime_match_init(struct mime_match *, const char *needle);
void	mime_match_reset(struct mime_match *);
/* Returns 1 once the needle has been seen. */
int	mime_match_feed(struct mime_match *, const char *, size_t);
/* Ends one text: octets of an incomplete UTF-8 sequence count as such. */
int	mime_match_end(struct mime_match *);

/* SEARCH HEADER name / FROM / SUBJECT ...: decoded value of each field. */
int	mime_search_header(const struct mime_msg *, const char *name,
	    struct mime_match *);
/* SEARCH BODY: decoded text of every leaf part of the message. */
int	mime_search_body(const struct mime_msg *, struct mime_match *);
/* SEARCH TEXT: decoded header fields, then the body. */
int	mime_search_text(const struct mime_msg *, struct mime_match *);

/* ---- dates ---- */

struct mime_date {
	int	year, mon, mday;	/* as written: SENTON and friends */
	int	hour, min, sec;
	int	zone;			/* minutes east of UTC */
	time_t	utc;
};

/* "Jan" .. "Dec", as IMAP and RFC 5322 write them. */
extern const char *const mime_months[12];
/* The month (1..12) whose three letters start p, any case; 0 for none. */
int	mime_month(const char *p);
/* RFC 5322 date-time (obsolete forms included).  0 or -1. */
int	mime_date_parse(const char *, struct mime_date *);
/*
 * The message's Date field parsed; -1 when absent or unparsable (RFC
 * 3501 then has SENTBEFORE and friends use the internal date).
 */
int	mime_msg_date(const struct mime_msg *, struct mime_date *);

#endif /* MIME_H */
