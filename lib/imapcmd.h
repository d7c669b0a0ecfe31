/*
 * The server side of the IMAP4rev1 command grammar (RFC 3501 section 9,
 * with the non-synchronizing literals of LITERAL+, RFC 7888): reads one
 * whole command over an iobuf into a tree of arguments, and the helpers
 * the command handlers share (numbers, astrings and mailbox names,
 * sequence sets, strings written back in responses).
 *
 * Every read is bounded by a named limit (struct imapcmd_limits); all the
 * memory of one command hangs off its struct imapcmd and goes with one
 * imapcmd_free().  Nothing here writes to the peer: the one thing the
 * reader must say in the middle of a command, the "+" continuation before
 * a synchronizing literal, is the caller's function.
 */
#ifndef IMAPCMD_H
#define IMAPCMD_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

struct iobuf;

/*
 * Defaults.  A command's text is counted over all its lines, each with
 * its CRLF, literal data excluded.  RFC 7162 section 4 asks servers to
 * take lines of at least 8192 octets; long UID sets from mbsync or
 * Thunderbird go far beyond that, so the default is Dovecot's 64 KB.
 */
#define IMAPCMD_LINE_MAX	65536		/* command text, octets */
#define IMAPCMD_LITERAL_MAX	65536		/* literals of one command */
#define IMAPCMD_APPEND_MAX	(50 * 1024 * 1024) /* literals of APPEND */
#define IMAPCMD_LITERALS_MAX	64		/* literals in one command */
#define IMAPCMD_DEPTH_MAX	32		/* parenthesis nesting */
#define IMAPCMD_ARGS_MAX	4096		/* argument nodes, all levels */
#define IMAPCMD_RANGES_MAX	10000		/* ranges of a sequence set */
#define IMAPCMD_PARTS_MAX	100		/* numbers in a section part, as
						   deep as lib/mime nests */
#define IMAPCMD_QUOTED_MAX	1024		/* longest string sent quoted */

struct imapcmd_limits {
	size_t	line_max;	/* command text, every CRLF included */
	size_t	literal_max;	/* literal octets of one command... */
	size_t	append_max;	/* ...or of one APPEND */
	size_t	literals_max;	/* number of literals in one command */
	size_t	depth_max;	/* nesting of parentheses */
	size_t	args_max;	/* nodes of the argument tree */
	size_t	ranges_max;	/* ranges of one sequence set */
};

/*
 * What the caller answers is given for each.  TOOBIG is the response
 * code RFC 4469 defined and RFC 7889 (APPENDLIMIT) uses for a message
 * over the server's limit; a tagged NO in place of the "+" ends the
 * command on both sides (RFC 3501 7.5), so nothing of it is read.  A
 * {n+} over the limit is already on its way: RFC 7888 leaves the server
 * to read and drop it or to close; reading up to 50 MB to throw it away
 * is the worse deal, so the reader says CLOSE.
 */
enum imapcmd_result {
	IMAPCMD_OK,		/* a whole, well-formed command */
	IMAPCMD_BAD,		/* malformed: "tag BAD reason" (or "* BAD"
				   without a tag); resynced */
	IMAPCMD_NO,		/* synchronizing literal over the limit, not
				   read: "tag NO [TOOBIG] reason"; resynced */
	IMAPCMD_CLOSE,		/* cannot resync: "* BYE reason", close */
	IMAPCMD_TIMEOUT,	/* the peer went quiet, mid-command or not */
	IMAPCMD_EOF,		/* the peer closed (a partial command is lost) */
	IMAPCMD_ERROR		/* read error, or the continuation failed */
};

enum imapcmd_type {
	IMAPCMD_ATOM,		/* 1*ATOM-CHAR, "%", "*", "]", leading "\" */
	IMAPCMD_NUMBER,		/* all digits, any length: see imapcmd_u32 */
	IMAPCMD_NIL,		/* the atom NIL, any case */
	IMAPCMD_QUOTED,		/* "..." with its escapes undone */
	IMAPCMD_LITERAL,	/* {n} or {n+} and its n octets */
	IMAPCMD_LIST,		/* ( ... ) */
	IMAPCMD_FETCHATT	/* BODY[section]<partial>, BODY.PEEK[...] */
};

/* What follows the section's part numbers. */
enum imapcmd_sectext {
	IMAPCMD_SEC_NONE,	/* BODY[] or BODY[1.2] */
	IMAPCMD_SEC_HEADER,
	IMAPCMD_SEC_FIELDS,	/* HEADER.FIELDS (names) */
	IMAPCMD_SEC_FIELDS_NOT,	/* HEADER.FIELDS.NOT (names) */
	IMAPCMD_SEC_TEXT,
	IMAPCMD_SEC_MIME	/* only after a part number */
};

/*
 * A fetch attribute with a section, parsed whole so that FETCH need not
 * re-parse text: BODY.PEEK[1.2.HEADER.FIELDS (From To)]<0.100> gives
 * peek 1, part {1, 2}, text IMAPCMD_SEC_FIELDS, fields "From" -> "To",
 * partial 1, origin 0, length 100.
 */
struct imapcmd_section {
	int			 peek;
	uint32_t		*part;		/* nparts non-zero numbers */
	size_t			 nparts;
	enum imapcmd_sectext	 text;
	struct imapcmd_node	*fields;	/* header names, a chain */
	size_t			 nfields;
	int			 partial;
	uint32_t		 origin, length;
};

#define IMAPCMD_NODE_NUL	0x01	/* the literal holds a NUL octet */
#define IMAPCMD_NODE_8BIT	0x02	/* the literal holds 8-bit octets */
#define IMAPCMD_NODE_SYNC	0x04	/* a {n} literal, not {n+} */

/*
 * One argument.  str is NUL-terminated, len its length (a literal may
 * hold NUL octets where the reader let them through: see imapcmd_read).
 * A QUOTED has its escapes undone.  A FETCHATT keeps the text as sent
 * ("body.peek[1]<0.9>"), or "" when a literal split it over lines; FETCH
 * reads sec, while a mailbox named body[1] still reads as an astring.
 * A LIST has "".
 */
struct imapcmd_node {
	enum imapcmd_type	 type;
	char			*str;
	size_t			 len;
	int			 flags;
	struct imapcmd_node	*child;		/* LIST: first element */
	size_t			 nchild;
	struct imapcmd_section	*sec;		/* FETCHATT */
	struct imapcmd_node	*next;		/* next sibling */
};

struct imapcmd_arena;

/*
 * One command.  tag is NULL when the line had none that is valid (reply
 * with "*"), name (upper case) NULL when it was not reached; reason says
 * what was wrong for BAD, NO and CLOSE.
 */
struct imapcmd {
	char			*tag;
	char			*name;
	struct imapcmd_node	*args;		/* first argument, a chain */
	size_t			 nargs;
	char			 reason[128];
	struct imapcmd_arena	*arena;
};

struct imapcmd_reader;

/*
 * Sends "+ ..." and flushes before a synchronizing literal of n octets;
 * 0, or -1 to give up (imapcmd_read then returns IMAPCMD_ERROR).
 */
typedef int	(*imapcmd_cont_fn)(void *arg, size_t n);

void		 imapcmd_limits_default(struct imapcmd_limits *);
struct imapcmd_reader *imapcmd_reader_new(struct iobuf *,
		    const struct imapcmd_limits *, imapcmd_cont_fn, void *arg);
void		 imapcmd_reader_free(struct imapcmd_reader *);
const struct imapcmd_limits *imapcmd_reader_limits(struct imapcmd_reader *);

/*
 * Reads one command and sets *cmd, whatever the result, to a command to
 * free with imapcmd_free().  The iobuf's line limit is set before each
 * line the reader reads.
 *
 * After BAD the rest of the command is consumed: the rest of the line,
 * and where that line ends in a {n+} literal, its octets and the lines
 * after it, as long as they stay within the limits (else CLOSE).  A line
 * ending in {n} needs nothing more: the client waits for a "+" that
 * never comes, and takes the tagged BAD as the end of its command.
 *
 * Literals of APPEND (RFC 3501 6.3.11) count against append_max and may
 * hold any octet; those of any other command count against literal_max
 * and a NUL in them is BAD.  imapcmd_astring() refuses NUL anywhere, so
 * only data a handler takes from node->str itself can hold one.
 *
 * A line over the limit is CLOSE, not BAD: iobuf has already skipped it
 * to its LF, so whether it ended in {n+}, and thus whether the octets
 * that follow are a command or literal data, is unknown.
 */
enum imapcmd_result imapcmd_read(struct imapcmd_reader *, struct imapcmd **);
void		 imapcmd_free(struct imapcmd *);

/* Numbers: -1 with errno EINVAL (not a NUMBER) or ERANGE (too large). */
int		 imapcmd_u32(const struct imapcmd_node *, uint32_t *);
int		 imapcmd_u64(const struct imapcmd_node *, uint64_t *);
int		 imapcmd_nz32(const struct imapcmd_node *, uint32_t *);
/* An ATOM (or NIL, NUMBER) equal to word, case-insensitively. */
int		 imapcmd_atom_is(const struct imapcmd_node *, const char *word);

/*
 * The value of an astring (RFC 3501: an atom of ASTRING-CHARs, NIL read
 * as the mailbox "NIL", a quoted string or a literal); -1 for anything
 * else, or a string holding NUL.  imapcmd_string takes no atom.
 */
int		 imapcmd_astring(const struct imapcmd_node *, const char **,
		    size_t *);
int		 imapcmd_string(const struct imapcmd_node *, const char **,
		    size_t *);
/*
 * A mailbox name: an astring in which INBOX, in any case, and INBOX
 * followed by the hierarchy separator sep (0: none) become upper case,
 * rewritten in the node itself.  The name stays modified UTF-7: see
 * mutf7.h.
 */
int		 imapcmd_mailbox(struct imapcmd_node *, int sep,
		    const char **);

/*
 * A bounded decimal: 1 to 20 digits, no sign, value at most max; 0 or -1
 * with errno.
 */
int		 imapcmd_parse_u64(const char *, size_t, uint64_t max,
		    uint64_t *);

/*
 * Sequence sets (RFC 3501: 1:5,7,9:*).  A range is kept as sent; 0
 * stands for "*".  Membership and iteration take the current maximum
 * (the message count, or UIDNEXT-1 for UIDs): "*" is that maximum, a
 * range n:m is the same as m:n, members are 1..max, so that 559:* holds
 * the last UID even when 559 is above it (RFC 3501 6.4.8).
 */
struct imapcmd_range {
	uint32_t	first, last;
};
struct imapcmd_seqset;

/* NULL with *errstr set on bad syntax, 0, overflow or too many ranges. */
struct imapcmd_seqset *imapcmd_seqset_parse(const char *, size_t,
		    size_t maxranges, const char **errstr);
void		 imapcmd_seqset_free(struct imapcmd_seqset *);
size_t		 imapcmd_seqset_nranges(const struct imapcmd_seqset *);
const struct imapcmd_range *imapcmd_seqset_range(
		    const struct imapcmd_seqset *, size_t);
/* The largest number written out ("*" aside): a message handler's check. */
uint32_t	 imapcmd_seqset_highest(const struct imapcmd_seqset *);
int		 imapcmd_seqset_has_star(const struct imapcmd_seqset *);
int		 imapcmd_seqset_contains(struct imapcmd_seqset *, uint32_t max,
		    uint32_t n);
/* Members in ascending order, once each: start with *n = 0; 1 or 0. */
int		 imapcmd_seqset_next(struct imapcmd_seqset *, uint32_t max,
		    uint32_t *n);
/* How many members, given max. */
uint64_t	 imapcmd_seqset_count(struct imapcmd_seqset *, uint32_t max);

/*
 * A growable output buffer, capped at max octets (0: SIZE_MAX / 2).
 * Appends return 0, or -1 with errno EMSGSIZE over the cap (the buffer
 * then keeps what it had).
 */
struct imapcmd_buf {
	char	*data;
	size_t	 len, cap, max;
};

void		 imapcmd_buf_init(struct imapcmd_buf *, size_t max);
void		 imapcmd_buf_free(struct imapcmd_buf *);
int		 imapcmd_buf_add(struct imapcmd_buf *, const void *, size_t);
int		 imapcmd_buf_printf(struct imapcmd_buf *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));

#define IMAPCMD_PUT_ASTRING	0x01	/* an atom will do where it can */
#define IMAPCMD_PUT_NIL		0x02	/* s == NULL is written NIL */

/*
 * Writes s as an IMAP string: an atom (with IMAPCMD_PUT_ASTRING, when
 * every octet is an ASTRING-CHAR and it is not NIL), quoted (7-bit text
 * up to IMAPCMD_QUOTED_MAX octets, no CR, LF or NUL), else a literal
 * {n} CRLF data.  A NUL goes in a literal: callers keep it out of
 * anything but message data.
 */
int		 imapcmd_put_string(struct imapcmd_buf *, const char *s,
		    size_t len, int flags);

#endif /* IMAPCMD_H */
