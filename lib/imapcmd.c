/*
 * The IMAP command reader: lines and literals off an iobuf, within the
 * limits, and the resynchronization after a malformed command.  The
 * grammar itself is in imapcmd_parse.c; it calls back here when it meets
 * a literal, since reading one is I/O (a continuation, the octets, and
 * the line after them).
 */

#include <sys/types.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapcmd.h"
#include "imapcmd_int.h"
#include "iobuf.h"
#include "log.h"
#include "xmalloc.h"

#define IMAPCMD_ARENA_CHUNK	4096	/* smallest arena block */
#define IMAPCMD_READ_CHUNK	65536	/* literal octets per timed read */

struct imapcmd_reader {
	struct iobuf		*io;
	struct imapcmd_limits	 lim;
	imapcmd_cont_fn		 cont;
	void			*arg;
	char			*line;		/* line_max + 1 octets */
};

/* Blocks of one command's memory; data is aligned for any node. */
struct imapcmd_arena {
	struct imapcmd_arena	*next;
	size_t			 used, cap;
	max_align_t		 data[];
};

static int	next_line(struct imapcmd_parse *);
static int	read_octets(struct imapcmd_parse *, char *, size_t);
static int	literal_marker(struct imapcmd_parse *, uint64_t *, int *);
static int	tail_literal(const char *, size_t, uint64_t *, int *);
static void	resync(struct imapcmd_parse *);
static enum imapcmd_result io_result(enum iobuf_result);

void
imapcmd_limits_default(struct imapcmd_limits *lim)
{
	lim->line_max = IMAPCMD_LINE_MAX;
	lim->literal_max = IMAPCMD_LITERAL_MAX;
	lim->append_max = IMAPCMD_APPEND_MAX;
	lim->literals_max = IMAPCMD_LITERALS_MAX;
	lim->depth_max = IMAPCMD_DEPTH_MAX;
	lim->args_max = IMAPCMD_ARGS_MAX;
	lim->ranges_max = IMAPCMD_RANGES_MAX;
}

struct imapcmd_reader *
imapcmd_reader_new(struct iobuf *io, const struct imapcmd_limits *lim,
    imapcmd_cont_fn cont, void *arg)
{
	struct imapcmd_reader	*r = xcalloc(1, sizeof(*r));

	r->io = io;
	if (lim != NULL)
		r->lim = *lim;
	else
		imapcmd_limits_default(&r->lim);
	/* Room for "a X" CRLF at least; a smaller limit reads nothing. */
	if (r->lim.line_max < 8)
		r->lim.line_max = 8;
	r->cont = cont;
	r->arg = arg;
	r->line = xmalloc(r->lim.line_max + 1);
	return r;
}

void
imapcmd_reader_free(struct imapcmd_reader *r)
{
	if (r == NULL)
		return;
	free(r->line);
	free(r);
}

const struct imapcmd_limits *
imapcmd_reader_limits(struct imapcmd_reader *r)
{
	return &r->lim;
}

void
imapcmd_free(struct imapcmd *cmd)
{
	struct imapcmd_arena	*a, *next;

	if (cmd == NULL)
		return;
	for (a = cmd->arena; a != NULL; a = next) {
		next = a->next;
		free(a);
	}
	free(cmd);
}

void *
imapcmd_alloc(struct imapcmd *cmd, size_t size)
{
	struct imapcmd_arena	*a = cmd->arena;
	const size_t		 align = sizeof(max_align_t);
	size_t			 cap;
	char			*p;

	/* Sizes come from the limits; anything near SIZE_MAX is a bug. */
	if (size > SIZE_MAX / 2)
		fatalx("imapcmd_alloc: %zu octets", size);
	size = size == 0 ? align : (size + align - 1) / align * align;
	if (a == NULL || a->cap - a->used < size) {
		cap = size > IMAPCMD_ARENA_CHUNK ? size : IMAPCMD_ARENA_CHUNK;
		a = xmalloc(sizeof(*a) + cap);
		a->used = 0;
		a->cap = cap;
		a->next = cmd->arena;
		cmd->arena = a;
	}
	p = (char *)a->data + a->used;
	a->used += size;
	return p;
}

void *
imapcmd_calloc(struct imapcmd *cmd, size_t size)
{
	void	*p = imapcmd_alloc(cmd, size);

	memset(p, 0, size);
	return p;
}

char *
imapcmd_strndup(struct imapcmd *cmd, const char *s, size_t len)
{
	char	*p = imapcmd_alloc(cmd, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

int
imapcmd_fail(struct imapcmd_parse *p, enum imapcmd_result res,
    const char *fmt, ...)
{
	va_list	ap;

	p->res = res;
	va_start(ap, fmt);
	(void)vsnprintf(p->cmd->reason, sizeof(p->cmd->reason), fmt, ap);
	va_end(ap);
	return -1;
}

enum imapcmd_result
imapcmd_read(struct imapcmd_reader *r, struct imapcmd **cmdp)
{
	struct imapcmd_parse	p;

	memset(&p, 0, sizeof(p));
	p.r = r;
	p.lim = &r->lim;
	p.cmd = *cmdp = xcalloc(1, sizeof(**cmdp));
	p.litmax = r->lim.literal_max;
	p.res = IMAPCMD_OK;
	if (next_line(&p) == -1)
		return p.res;
	if (imapcmd_parse_command(&p) == -1 && p.res == IMAPCMD_BAD)
		resync(&p);
	return p.res;
}

static enum imapcmd_result
io_result(enum iobuf_result ir)
{
	switch (ir) {
	case IOBUF_OK:
		return IMAPCMD_OK;
	case IOBUF_EOF:
		return IMAPCMD_EOF;
	case IOBUF_TIMEOUT:
		return IMAPCMD_TIMEOUT;
	case IOBUF_TOOLONG:
		return IMAPCMD_CLOSE;
	default:
		return IMAPCMD_ERROR;
	}
}

/*
 * The next line of the command, copied out of the iobuf (whose buffer a
 * literal read may move).  What is left of line_max bounds it.
 */
static int
next_line(struct imapcmd_parse *p)
{
	struct imapcmd_reader	*r = p->r;
	enum iobuf_result	 ir;
	char			*line;
	size_t			 len, room;
	int			 flags = 0;

	room = p->lim->line_max - p->text;
	if (room < 2)
		return imapcmd_fail(p, IMAPCMD_CLOSE,
		    "command text over %zu octets", p->lim->line_max);
	iobuf_set_maxline(r->io, room);
	ir = iobuf_getline(r->io, &line, &len, &flags);
	if (ir == IOBUF_TOOLONG)
		return imapcmd_fail(p, IMAPCMD_CLOSE,
		    "command text over %zu octets", p->lim->line_max);
	if (ir == IOBUF_OK && (flags & IOBUF_PARTIAL))
		ir = IOBUF_EOF;
	if (ir != IOBUF_OK)
		return imapcmd_fail(p, io_result(ir), "%s",
		    ir == IOBUF_EOF ? "end of input" : ir == IOBUF_TIMEOUT ?
		    "timeout" : "read error");
	memcpy(r->line, line, len);
	r->line[len] = '\0';
	p->line = r->line;
	p->len = len;
	p->pos = 0;
	p->lineflags = flags;
	p->text += len + ((flags & IOBUF_CRLF) ? 2 : 1);
	p->after_literal = 0;
	return 0;
}

/*
 * NUL and bare CR make a line BAD.  A bare LF ends a line as CRLF does,
 * as in pop3sd: IMAP has no message data outside literals for a lone LF
 * to smuggle anything into, and hand-typed sessions send it.
 */
int
imapcmd_check_line(struct imapcmd_parse *p)
{
	if (p->lineflags & IOBUF_NUL)
		return imapcmd_fail(p, IMAPCMD_BAD, "NUL in command line");
	if (p->lineflags & IOBUF_BARECR)
		return imapcmd_fail(p, IMAPCMD_BAD, "bare CR in command line");
	return 0;
}

/* Reads n octets in timed slices: the timeout is one of no progress. */
static int
read_octets(struct imapcmd_parse *p, char *buf, size_t n)
{
	enum iobuf_result	ir;
	size_t			take;

	while (n > 0) {
		take = n < IMAPCMD_READ_CHUNK ? n : IMAPCMD_READ_CHUNK;
		if ((ir = iobuf_read(p->r->io, buf, take)) != IOBUF_OK)
			return imapcmd_fail(p, io_result(ir), "%s",
			    ir == IOBUF_EOF ? "end of input in a literal" :
			    ir == IOBUF_TIMEOUT ? "timeout in a literal" :
			    "read error");
		buf += take;
		n -= take;
	}
	return 0;
}

/* "{" number ["+"] "}" ending the line; n saturates. */
static int
literal_marker(struct imapcmd_parse *p, uint64_t *n, int *sync)
{
	const char	*s = p->line + p->pos + 1, *end = p->line + p->len;
	const char	*q = s;

	while (q < end && *q >= '0' && *q <= '9')
		q++;
	if (q == s)
		return imapcmd_fail(p, IMAPCMD_BAD, "malformed literal");
	if (imapcmd_parse_u64(s, q - s, UINT64_MAX, n) == -1)
		*n = UINT64_MAX;	/* over any limit */
	*sync = 1;
	if (q < end && *q == '+') {
		*sync = 0;
		q++;
	}
	if (q == end || *q != '}')
		return imapcmd_fail(p, IMAPCMD_BAD, "malformed literal");
	if (q + 1 != end)
		return imapcmd_fail(p, IMAPCMD_BAD,
		    "literal not at the end of the line");
	p->pos = p->len;
	return 0;
}

/*
 * The literal at p->pos, checked against the limits before any octet of
 * it is read; then its octets, and the line after them.
 */
int
imapcmd_literal(struct imapcmd_parse *p, struct imapcmd_node *node)
{
	uint64_t	 n;
	size_t		 i;
	int		 sync = 1;
	char		*data;

	if (literal_marker(p, &n, &sync) == -1)
		return -1;
	if (++p->nlit > p->lim->literals_max)
		return imapcmd_fail(p, IMAPCMD_BAD, "more than %zu literals",
		    p->lim->literals_max);
	if (n > p->litmax - p->litoctets)
		return imapcmd_fail(p, sync ? IMAPCMD_NO : IMAPCMD_CLOSE,
		    "literal over the limit of %zu octets", p->litmax);
	p->litoctets += n;
	if (sync && p->r->cont != NULL && p->r->cont(p->r->arg, n) == -1)
		return imapcmd_fail(p, IMAPCMD_ERROR, "continuation failed");
	data = imapcmd_alloc(p->cmd, n + 1);
	if (read_octets(p, data, n) == -1)
		return -1;
	data[n] = '\0';
	node->str = data;
	node->len = n;
	node->flags = sync ? IMAPCMD_NODE_SYNC : 0;
	for (i = 0; i < n; i++)
		if (data[i] == '\0')
			node->flags |= IMAPCMD_NODE_NUL;
		else if ((unsigned char)data[i] >= 0x80)
			node->flags |= IMAPCMD_NODE_8BIT;
	p->after_literal = 1;
	if ((node->flags & IMAPCMD_NODE_NUL) && !p->bulk)
		return imapcmd_fail(p, IMAPCMD_BAD, "NUL in literal");
	if (next_line(p) == -1)
		return -1;
	return imapcmd_check_line(p);
}

/* Whether line ends in a literal's "{n}" or "{n+}"; n saturates. */
static int
tail_literal(const char *line, size_t len, uint64_t *n, int *sync)
{
	size_t	e, s;

	if (len < 3 || line[len - 1] != '}')
		return 0;
	e = len - 1;
	*sync = line[e - 1] != '+';
	if (!*sync)
		e--;
	for (s = e; s > 0 && line[s - 1] >= '0' && line[s - 1] <= '9'; s--)
		;
	if (s == e || s == 0 || line[s - 1] != '{')
		return 0;
	if (imapcmd_parse_u64(line + s, e - s, UINT64_MAX, n) == -1)
		*n = UINT64_MAX;
	return 1;
}

/*
 * After BAD: the client may still be sending the command's {n+}
 * literals, each followed by more of it.  Skip them within the limits
 * (their octets are read and dropped, never kept), so that the next read
 * starts at the next command.
 */
static void
resync(struct imapcmd_parse *p)
{
	char		buf[4096];
	uint64_t	n;
	size_t		take;
	int		sync;

	if (p->after_literal && next_line(p) == -1)
		return;
	while (tail_literal(p->line, p->len, &n, &sync) && !sync) {
		if (n > p->litmax - p->litoctets) {
			(void)imapcmd_fail(p, IMAPCMD_CLOSE,
			    "literal over the limit of %zu octets", p->litmax);
			return;
		}
		p->litoctets += n;
		for (; n > 0; n -= take) {
			take = n < sizeof(buf) ? n : sizeof(buf);
			if (read_octets(p, buf, take) == -1)
				return;
		}
		if (next_line(p) == -1)
			return;
	}
}
