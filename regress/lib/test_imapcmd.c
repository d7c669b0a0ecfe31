/*
 * The IMAP command reader over a socketpair: the grammar, literals of
 * both kinds (the continuation callback plays the client, sending what
 * follows a {n} only when asked, so a reader that read first would time
 * out), every limit just under and just over it, the resync after BAD
 * (always proved by reading the next command), and the ends of input.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imapcmd.h"
#include "iobuf.h"
#include "unit.h"

#define PUT(s)		put((s), sizeof(s) - 1)
#define TIMEOUT_MS	200

static int			 sv[2];
static struct iobuf		*io;
static struct imapcmd_reader	*rd;
static struct imapcmd		*cmd;

/* The client's side of synchronizing literals. */
static struct {
	const char	*next[8];	/* sent at each continuation */
	size_t		 nextlen[8];
	size_t		 sizes[8];	/* n of each continuation */
	int		 calls;
	int		 fail;
} cl;

static void
put(const char *s, size_t len)
{
	if (write(sv[1], s, len) != (ssize_t)len)
		unit_fail++;
}

static int
cont(void *arg, size_t n)
{
	if (cl.fail)
		return -1;
	if (cl.calls < 8) {
		cl.sizes[cl.calls] = n;
		if (cl.next[cl.calls] != NULL)
			put(cl.next[cl.calls], cl.nextlen[cl.calls]);
	}
	cl.calls++;
	return 0;
}

/* After a continuation, the client sends s. */
static void
queue(int i, const char *s, size_t len)
{
	cl.next[i] = s;
	cl.nextlen[i] = len;
}
#define QUEUE(i, s)	queue((i), (s), sizeof(s) - 1)

static void
start(const struct imapcmd_limits *lim)
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		exit(2);
	io = iobuf_new(sv[0], 1024, TIMEOUT_MS);
	rd = imapcmd_reader_new(io, lim, cont, NULL);
	memset(&cl, 0, sizeof(cl));
}

static void
stop(void)
{
	imapcmd_free(cmd);
	cmd = NULL;
	imapcmd_reader_free(rd);
	iobuf_free(io);
	close(sv[0]);
	close(sv[1]);
}

static enum imapcmd_result
rd_next(void)
{
	imapcmd_free(cmd);
	cmd = NULL;
	memset(&cl.sizes, 0, sizeof(cl.sizes));
	return imapcmd_read(rd, &cmd);
}

/* The input is where it should be: the next command reads whole. */
static int
next_is(const char *tag)
{
	PUT("zz NOOP\r\n");
	return rd_next() == IMAPCMD_OK && cmd->tag != NULL &&
	    strcmp(cmd->tag, tag) == 0 && strcmp(cmd->name, "NOOP") == 0 &&
	    cmd->nargs == 0;
}
#define SYNCED()	next_is("zz")

static struct imapcmd_node *
arg(size_t i)
{
	struct imapcmd_node	*n = cmd->args;

	while (n != NULL && i-- > 0)
		n = n->next;
	return n;
}

static struct imapcmd_node *
child(struct imapcmd_node *list, size_t i)
{
	struct imapcmd_node	*n = list != NULL ? list->child : NULL;

	while (n != NULL && i-- > 0)
		n = n->next;
	return n;
}

static int
is(struct imapcmd_node *n, enum imapcmd_type type, const char *str)
{
	return n != NULL && n->type == type && strcmp(n->str, str) == 0 &&
	    n->len == strlen(str);
}

static void
basics(void)
{
	start(NULL);
	PUT("a1 NOOP\r\n");
	CHECK(rd_next() == IMAPCMD_OK);
	CHECK_STR(cmd->tag, "a1");
	CHECK_STR(cmd->name, "NOOP");
	CHECK(cmd->nargs == 0 && cmd->args == NULL);
	CHECK(imapcmd_reader_limits(rd)->line_max == IMAPCMD_LINE_MAX &&
	    imapcmd_reader_limits(rd)->append_max == IMAPCMD_APPEND_MAX);
	/* Names come out upper case; a bare LF ends a line too. */
	PUT("a2 noop\n");
	CHECK(rd_next() == IMAPCMD_OK && strcmp(cmd->name, "NOOP") == 0);
	/* "]" is an ASTRING-CHAR, so a tag may hold it. */
	PUT("a]3 Capability\r\n");
	CHECK(rd_next() == IMAPCMD_OK);
	CHECK_STR(cmd->tag, "a]3");
	CHECK_STR(cmd->name, "CAPABILITY");
	/* Pipelined: three commands in one write come out one by one. */
	PUT("p1 CAPABILITY\r\np2 LOGIN {3+}\r\nana x\r\np3 LOGOUT\r\n");
	CHECK(rd_next() == IMAPCMD_OK && strcmp(cmd->tag, "p1") == 0);
	CHECK(rd_next() == IMAPCMD_OK && strcmp(cmd->tag, "p2") == 0 &&
	    is(arg(0), IMAPCMD_LITERAL, "ana") && is(arg(1), IMAPCMD_ATOM,
	    "x"));
	CHECK(rd_next() == IMAPCMD_OK && strcmp(cmd->tag, "p3") == 0 &&
	    strcmp(cmd->name, "LOGOUT") == 0);
	CHECK(cl.calls == 0);
	stop();
}

static void
arguments(void)
{
	uint32_t	u32;
	uint64_t	u64;

	start(NULL);
	PUT("a X atom 123 NIL nil \\Seen 4294967295 4294967296 "
	    "18446744073709551615 18446744073709551616 1:*,7 %a* INBOX\r\n");
	CHECK(rd_next() == IMAPCMD_OK && cmd->nargs == 12);
	CHECK(is(arg(0), IMAPCMD_ATOM, "atom"));
	CHECK(is(arg(1), IMAPCMD_NUMBER, "123"));
	CHECK(is(arg(2), IMAPCMD_NIL, "NIL") && is(arg(3), IMAPCMD_NIL, "nil"));
	CHECK(is(arg(4), IMAPCMD_ATOM, "\\Seen"));
	CHECK(imapcmd_u32(arg(1), &u32) == 0 && u32 == 123);
	CHECK(imapcmd_u32(arg(5), &u32) == 0 && u32 == UINT32_MAX);
	errno = 0;
	CHECK(imapcmd_u32(arg(6), &u32) == -1 && errno == ERANGE);
	CHECK(imapcmd_u64(arg(6), &u64) == 0 && u64 == 4294967296ULL);
	CHECK(imapcmd_u64(arg(7), &u64) == 0 && u64 == UINT64_MAX);
	errno = 0;
	CHECK(imapcmd_u64(arg(8), &u64) == -1 && errno == ERANGE);
	CHECK(is(arg(8), IMAPCMD_NUMBER, "18446744073709551616"));
	errno = 0;
	CHECK(imapcmd_u32(arg(0), &u32) == -1 && errno == EINVAL);
	CHECK(is(arg(9), IMAPCMD_ATOM, "1:*,7"));
	CHECK(is(arg(10), IMAPCMD_ATOM, "%a*"));
	CHECK(imapcmd_atom_is(arg(11), "inbox") && !imapcmd_atom_is(arg(11),
	    "INBOXX"));

	/* Quoted strings with their two escapes. */
	PUT("a LOGIN \"us\\\"er\" \"p\\\\w\" \"\" \"a b(\t)\"\r\n");
	CHECK(rd_next() == IMAPCMD_OK && cmd->nargs == 4);
	CHECK(is(arg(0), IMAPCMD_QUOTED, "us\"er"));
	CHECK(is(arg(1), IMAPCMD_QUOTED, "p\\w"));
	CHECK(is(arg(2), IMAPCMD_QUOTED, ""));
	CHECK(is(arg(3), IMAPCMD_QUOTED, "a b(\t)"));

	/* Lists, nested and empty. */
	PUT("a STORE 1 +FLAGS.SILENT (\\Seen \\Deleted)\r\n");
	CHECK(rd_next() == IMAPCMD_OK && cmd->nargs == 3);
	CHECK(arg(2)->type == IMAPCMD_LIST && arg(2)->nchild == 2);
	CHECK(is(child(arg(2), 1), IMAPCMD_ATOM, "\\Deleted"));
	PUT("a X (1 (2 (3)) ()) ()\r\n");
	CHECK(rd_next() == IMAPCMD_OK && cmd->nargs == 2);
	CHECK(arg(0)->nchild == 3 && child(arg(0), 2)->type == IMAPCMD_LIST &&
	    child(arg(0), 2)->nchild == 0);
	CHECK(is(child(child(child(arg(0), 1), 1), 0), IMAPCMD_NUMBER, "3"));
	CHECK(arg(1)->type == IMAPCMD_LIST && arg(1)->nchild == 0);

	/* APPEND whole: flags, date, message. */
	QUEUE(0, "From: a\r\n\r\nhi\r\n\r\n");
	PUT("A003 APPEND saved-messages (\\Seen) "
	    "\"07-Feb-1994 21:52:25 -0800\" {15}\r\n");
	CHECK(rd_next() == IMAPCMD_OK && cmd->nargs == 4 && cl.calls == 1 &&
	    cl.sizes[0] == 15);
	CHECK(is(arg(3), IMAPCMD_LITERAL, "From: a\r\n\r\nhi\r\n"));
	CHECK(arg(3)->flags == IMAPCMD_NODE_SYNC);
	CHECK(SYNCED());
	stop();
}

static void
fetch_atts(void)
{
	struct imapcmd_node	*f, *n;
	struct imapcmd_section	*s;
	const char		*name;

	start(NULL);
	PUT("a FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From \"To\")]<0.100> "
	    "BODY[1.2.MIME] BODY[] body[text] BODY[1.2] BODY "
	    "BODY[3.HEADER.FIELDS.NOT (X-A {3+}\r\nX-B)] BODY[1.HEADER]<7.1>)"
	    "\r\n");
	CHECK(rd_next() == IMAPCMD_OK && cmd->nargs == 2);
	f = arg(1);
	CHECK(f != NULL && f->type == IMAPCMD_LIST && f->nchild == 9);
	CHECK(is(child(f, 0), IMAPCMD_ATOM, "FLAGS"));
	n = child(f, 1);
	CHECK(n->type == IMAPCMD_FETCHATT && n->sec != NULL);
	s = n->sec;
	CHECK(s->peek && s->nparts == 0 && s->text == IMAPCMD_SEC_FIELDS &&
	    s->nfields == 2 && s->partial && s->origin == 0 &&
	    s->length == 100);
	CHECK(is(s->fields, IMAPCMD_ATOM, "From"));
	CHECK(is(s->fields->next, IMAPCMD_QUOTED, "To"));
	CHECK_STR(n->str, "BODY.PEEK[HEADER.FIELDS (From \"To\")]<0.100>");
	s = child(f, 2)->sec;
	CHECK(!s->peek && s->nparts == 2 && s->part[0] == 1 &&
	    s->part[1] == 2 && s->text == IMAPCMD_SEC_MIME && !s->partial);
	s = child(f, 3)->sec;
	CHECK(s->nparts == 0 && s->text == IMAPCMD_SEC_NONE);
	s = child(f, 4)->sec;
	CHECK(child(f, 4)->type == IMAPCMD_FETCHATT &&
	    s->text == IMAPCMD_SEC_TEXT && !s->peek);
	s = child(f, 5)->sec;
	CHECK(s->nparts == 2 && s->text == IMAPCMD_SEC_NONE);
	CHECK(is(child(f, 6), IMAPCMD_ATOM, "BODY"));
	n = child(f, 7);
	s = n->sec;
	/* A literal inside: the node has no single text to show. */
	CHECK(s->nparts == 1 && s->part[0] == 3 &&
	    s->text == IMAPCMD_SEC_FIELDS_NOT && s->nfields == 2 &&
	    is(s->fields, IMAPCMD_ATOM, "X-A") &&
	    is(s->fields->next, IMAPCMD_LITERAL, "X-B") && n->len == 0);
	s = child(f, 8)->sec;
	CHECK(s->nparts == 1 && s->text == IMAPCMD_SEC_HEADER &&
	    s->partial && s->origin == 7 && s->length == 1);
	CHECK(cl.calls == 0);

	/* A mailbox that merely looks like one is still an astring. */
	PUT("a SELECT body[1]\r\n");
	CHECK(rd_next() == IMAPCMD_OK && arg(0)->type == IMAPCMD_FETCHATT);
	CHECK(imapcmd_mailbox(arg(0), '.', &name) == 0 &&
	    strcmp(name, "body[1]") == 0);
	/* Other atoms keep their brackets. */
	PUT("a X BINARY[1] a[b]\r\n");
	CHECK(rd_next() == IMAPCMD_OK && is(arg(0), IMAPCMD_ATOM,
	    "BINARY[1]") && is(arg(1), IMAPCMD_ATOM, "a[b]"));

	/* Each one malformed: BAD, and the next command reads whole. */
	PUT("a FETCH 1 BODY[MIME]\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a FETCH 1 BODY[0]\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a FETCH 1 BODY[01]\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a FETCH 1 BODY[1.]\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a FETCH 1 BODY[4294967296]\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a FETCH 1 BODY[HEADER.FIELDS]\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a FETCH 1 BODY[HEADER.FIELDS ()]\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a FETCH 1 BODY[HEADER.FIELDS (a:b)]\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a FETCH 1 BODY[HEADER.FIELDS (a (b))]\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a FETCH 1 BODY[FOO]\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a FETCH 1 BODY[TEXT\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a FETCH 1 (BODY[TEXT)]\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a FETCH 1 BODY[]<1>\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a FETCH 1 BODY[]<1.0>\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a FETCH 1 BODY[]<1.01>\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a FETCH 1 BODY[]<4294967296.1>\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a FETCH 1 BODY[]x\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	/* Just under: origin and length at 2^32 - 1. */
	PUT("a FETCH 1 BODY[]<4294967295.4294967295>\r\n");
	CHECK(rd_next() == IMAPCMD_OK && arg(1)->sec->origin == UINT32_MAX &&
	    arg(1)->sec->length == UINT32_MAX);
	stop();
}

static void
literals(void)
{
	start(NULL);
	/* Synchronizing: a continuation for each, before its octets. */
	QUEUE(0, "user {4}\r\n");
	QUEUE(1, "pa s\r\n");
	PUT("a LOGIN {4}\r\n");
	CHECK(rd_next() == IMAPCMD_OK && cl.calls == 2 && cl.sizes[0] == 4 &&
	    cl.sizes[1] == 4);
	CHECK(is(arg(0), IMAPCMD_LITERAL, "user") &&
	    is(arg(1), IMAPCMD_LITERAL, "pa s"));
	CHECK(arg(0)->flags & IMAPCMD_NODE_SYNC);
	/* Non-synchronizing: never a continuation. */
	memset(&cl, 0, sizeof(cl));
	PUT("a LOGIN {4+}\r\nuser {4+}\r\npass\r\n");
	CHECK(rd_next() == IMAPCMD_OK && cl.calls == 0 &&
	    is(arg(1), IMAPCMD_LITERAL, "pass") && arg(1)->flags == 0);
	/* Both in one command: one continuation. */
	QUEUE(0, "pass\r\n");
	PUT("a LOGIN {4+}\r\nuser {4}\r\n");
	CHECK(rd_next() == IMAPCMD_OK && cl.calls == 1 && cl.sizes[0] == 4);
	/* Octets that would end a line, 8-bit, in a list; {0}. */
	memset(&cl, 0, sizeof(cl));
	QUEUE(0, "\r\n");
	PUT("a X ({6+}\r\nab\r\n\xff\x01 b) {0}\r\n");
	CHECK(rd_next() == IMAPCMD_OK && cmd->nargs == 2 && cl.calls == 1 &&
	    cl.sizes[0] == 0);
	CHECK(child(arg(0), 0)->len == 6 &&
	    memcmp(child(arg(0), 0)->str, "ab\r\n\xff\x01", 6) == 0 &&
	    child(arg(0), 0)->flags == IMAPCMD_NODE_8BIT);
	CHECK(is(arg(1), IMAPCMD_LITERAL, ""));
	/* After a literal: space, ")" or the end, nothing else. */
	PUT("a X {1+}\r\naa\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	/* Malformed markers. */
	PUT("a X {abc}\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a X {+}\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a X {5\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a X {5} x\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a X {5}}\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a X x{5}\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	CHECK(cl.calls == 1);
	/* The continuation fails: the session is over. */
	cl.fail = 1;
	PUT("a X {5}\r\n");
	CHECK(rd_next() == IMAPCMD_ERROR);
	stop();
}

static void
nul_and_8bit(void)
{
	const char	*s;
	size_t		 len;

	start(NULL);
	/* APPEND data may hold anything; astring takes no NUL. */
	PUT("a APPEND INBOX {5+}\r\nab\0cd\r\n");
	CHECK(rd_next() == IMAPCMD_OK && arg(1)->len == 5 &&
	    (arg(1)->flags & IMAPCMD_NODE_NUL) &&
	    memcmp(arg(1)->str, "ab\0cd", 5) == 0);
	CHECK(imapcmd_astring(arg(1), &s, &len) == -1);
	CHECK(imapcmd_astring(arg(0), &s, &len) == 0 && len == 5);
	/* Elsewhere NUL in a literal is BAD; the rest of it is skipped. */
	PUT("a LOGIN {3+}\r\na\0b {1+}\r\nx\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && strstr(cmd->reason, "NUL") != NULL);
	CHECK_STR(cmd->tag, "a");
	CHECK(SYNCED());
	PUT("b NO\0OP\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && strcmp(cmd->tag, "b") == 0);
	CHECK(SYNCED());
	PUT("b NO\rOP\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && strcmp(cmd->tag, "b") == 0 &&
	    strstr(cmd->reason, "CR") != NULL);
	CHECK(SYNCED());
	/* NUL or bare CR in the line after a literal. */
	PUT("b X {1+}\r\nx \0\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("b X {1+}\r\nx a\rb {2+}\r\nxy\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	/* 8-bit and controls outside literals. */
	PUT("b SELECT \xc3\xa9t\xc3\xa9\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && strstr(cmd->reason, "8-bit"));
	CHECK(SYNCED());
	PUT("b SELECT a\xc3\xa9\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("b SELECT \"\xc3\xa9t\xc3\xa9\"\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && strstr(cmd->reason, "8-bit"));
	CHECK(SYNCED());
	PUT("b SELECT a\x01z\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && strstr(cmd->reason, "control"));
	CHECK(SYNCED());
	PUT("b NO\xc3\xa9P\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	stop();
}

static void
malformed(void)
{
	static const char *const bad[] = {
		"a X (a b\r\n",		/* unbalanced */
		"a X a)\r\n",
		"a X ((a)\r\n",
		"a X )\r\n",
		"a X (a))\r\n",
		"a X (a  b)\r\n",	/* spacing */
		"a X ( a)\r\n",
		"a X (a )\r\n",
		"a NOOP \r\n",
		"a X  b\r\n",
		"a X \"abc\r\n",	/* quoted */
		"a X \"a\\qb\"\r\n",
		"a X \"a\\\r\n",
		"a X \"a\"b\r\n",
		"a X a\"b\"\r\n",
		"a X a\\b\r\n",		/* "\" only starts a flag */
		"a X \\\r\n",
		"a X a(b)\r\n",
		"a X a{b\r\n",
		"a  NOOP\r\n",		/* the name */
		"a (NOOP)\r\n",
		"a NO\"OP\r\n",
		"a NO*OP\r\n",
	};
	static const char *const badtag[] = {
		"\r\n",
		" NOOP\r\n",
		"* NOOP\r\n",
		"+ NOOP\r\n",
		"a*b NOOP\r\n",
		"a+b NOOP\r\n",
		"a{ NOOP\r\n",
		"a(b NOOP\r\n",
		"a\"b NOOP\r\n",
		"a%b NOOP\r\n",
		"a\\b NOOP\r\n",
		"\xc3\xa9 NOOP\r\n",
		"a\x01 NOOP\r\n",
	};
	size_t	i;

	start(NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(bad[i], strlen(bad[i]));
		if (rd_next() != IMAPCMD_BAD || cmd->tag == NULL ||
		    strcmp(cmd->tag, "a") != 0 || cmd->reason[0] == '\0') {
			fprintf(stderr, "not BAD with its tag: %s", bad[i]);
			unit_fail++;
		} else
			unit_pass++;
		CHECK(SYNCED());
	}
	for (i = 0; i < sizeof(badtag) / sizeof(badtag[0]); i++) {
		put(badtag[i], strlen(badtag[i]));
		if (rd_next() != IMAPCMD_BAD || cmd->tag != NULL) {
			fprintf(stderr, "not BAD without a tag: %s",
			    badtag[i]);
			unit_fail++;
		} else
			unit_pass++;
		CHECK(SYNCED());
	}
	/* CR and LF cannot be quoted: a bare CR is BAD, an LF ends the line. */
	PUT("a X \"a\rb\"\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && strcmp(cmd->tag, "a") == 0);
	CHECK(SYNCED());
	PUT("a X \"a\nb\"\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && strcmp(cmd->tag, "a") == 0 &&
	    strstr(cmd->reason, "unterminated") != NULL);
	CHECK(rd_next() == IMAPCMD_BAD && cmd->tag == NULL);
	CHECK(SYNCED());
	/* A tag and no name. */
	PUT("a\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && cmd->tag != NULL &&
	    strcmp(cmd->tag, "a") == 0 && cmd->name == NULL);
	PUT("a \r\n");
	CHECK(rd_next() == IMAPCMD_BAD && strcmp(cmd->tag, "a") == 0 &&
	    cmd->name == NULL);
	/* The name is known for a BAD past it. */
	PUT("a FETCH (\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && strcmp(cmd->name, "FETCH") == 0);
	CHECK(SYNCED());
	stop();
}

static void
resyncs(void)
{
	struct imapcmd_limits	lim;

	imapcmd_limits_default(&lim);
	lim.literal_max = 10;
	start(&lim);
	/* BAD, then {n+} literals still coming: skipped, lines and all. */
	PUT("a X ) {3+}\r\nabc more {2+}\r\nxy\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	/* BAD on a later line of the command. */
	PUT("a X {2+}\r\nab ) {1+}\r\nc\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	/* A {n} after BAD: no continuation, nothing more to skip. */
	PUT("a X ) {3}\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && cl.calls == 0 && SYNCED());
	/* No tag, or a bad one: the literal is skipped all the same. */
	PUT("* LOGIN {3+}\r\nabc x\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && cmd->tag == NULL && SYNCED());
	/* APPEND skips up to its own limit. */
	PUT("a APPEND \xff {11+}\r\nyy NOOP\r\nxx\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && strcmp(cmd->name, "APPEND") == 0 &&
	    SYNCED());
	/* A {n+} too large to skip: close. */
	PUT("a X ) {11+}\r\n");
	CHECK(rd_next() == IMAPCMD_CLOSE);
	stop();
	start(&lim);
	/* Skipped octets count against the limit too. */
	PUT("a X ) {6+}\r\nabcdef {5+}\r\n");
	CHECK(rd_next() == IMAPCMD_CLOSE);
	stop();
	start(&lim);
	PUT("a X ) {99999999999999999999999+}\r\n");
	CHECK(rd_next() == IMAPCMD_CLOSE);
	stop();
}

static void
limits(void)
{
	struct imapcmd_limits	lim;
	char			line[200];
	size_t			i;

	imapcmd_limits_default(&lim);
	lim.line_max = 64;
	lim.literal_max = 10;
	lim.append_max = 100;
	lim.literals_max = 2;
	lim.depth_max = 3;
	lim.args_max = 8;
	start(&lim);

	/* Command text: 64 octets with CRLF, then 65. */
	memset(line, 'x', sizeof(line));
	memcpy(line, "a X ", 4);
	memcpy(line + 62, "\r\n", 2);
	put(line, 64);
	CHECK(rd_next() == IMAPCMD_OK && arg(0)->len == 58);
	line[62] = 'x';
	memcpy(line + 63, "\r\n", 2);
	put(line, 65);
	CHECK(rd_next() == IMAPCMD_CLOSE && cmd->tag == NULL);
	stop();
	start(&lim);
	/* ...counted over the lines of one command, literals aside. */
	memcpy(line, "a X {1+}\r\nx ", 12);
	memset(line + 12, 'y', 46);
	memcpy(line + 58, "\r\n", 2);
	put(line, 60);		/* 10 + 1 + 49 = 59 text octets: fits */
	CHECK(rd_next() == IMAPCMD_OK && arg(1)->len == 46);
	memcpy(line, "a X {1+}\r\nx ", 12);
	memset(line + 12, 'y', 52);
	memcpy(line + 64, "\r\n", 2);
	put(line, 66);		/* 10 + 55 = 65 */
	CHECK(rd_next() == IMAPCMD_CLOSE);
	stop();

	start(&lim);
	/* Literal octets of one command: 10, then 11. */
	QUEUE(0, "0123456789\r\n");
	PUT("a X {10}\r\n");
	CHECK(rd_next() == IMAPCMD_OK && cl.calls == 1 && arg(0)->len == 10);
	memset(&cl, 0, sizeof(cl));
	PUT("a X {11}\r\n");
	CHECK(rd_next() == IMAPCMD_NO && cl.calls == 0 && cmd->tag != NULL &&
	    strcmp(cmd->tag, "a") == 0);
	/* Nothing of it was read, and the client sends none of it. */
	CHECK(SYNCED());
	PUT("a X {10+}\r\n0123456789\r\n");
	CHECK(rd_next() == IMAPCMD_OK && cl.calls == 0);
	/* Over two literals: 5 + 5 fits, 5 + 6 does not. */
	PUT("a X {5+}\r\n01234 {5+}\r\n01234\r\n");
	CHECK(rd_next() == IMAPCMD_OK);
	PUT("a X {5+}\r\n01234 {6}\r\n");
	CHECK(rd_next() == IMAPCMD_NO && cl.calls == 0 && SYNCED());
	/* APPEND has its own: 100, then 101. */
	memset(line, 'm', 100);
	PUT("a APPEND INBOX {100+}\r\n");
	put(line, 100);
	PUT("\r\n");
	CHECK(rd_next() == IMAPCMD_OK && arg(1)->len == 100);
	PUT("a APPEND INBOX {101}\r\n");
	CHECK(rd_next() == IMAPCMD_NO && cl.calls == 0 && SYNCED());
	PUT("a APPEND INBOX {101+}\r\n");
	CHECK(rd_next() == IMAPCMD_CLOSE);
	stop();

	start(&lim);
	PUT("a X {11+}\r\n");
	CHECK(rd_next() == IMAPCMD_CLOSE);
	stop();

	start(&lim);
	/* A size no counter can hold is over the limit too. */
	PUT("a X {99999999999999999999999}\r\n");
	CHECK(rd_next() == IMAPCMD_NO && cl.calls == 0 && SYNCED());
	/* Number of literals: 2, then 3 (the third skipped). */
	PUT("a X {1+}\r\na {1+}\r\nb\r\n");
	CHECK(rd_next() == IMAPCMD_OK && cmd->nargs == 2);
	PUT("a X {1+}\r\na {1+}\r\nb {1+}\r\nc\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a X {1+}\r\na {1+}\r\nb {1}\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && cl.calls == 0 && SYNCED());
	/* Nesting: 3, then 4. */
	PUT("a X (((a)))\r\n");
	CHECK(rd_next() == IMAPCMD_OK);
	PUT("a X ((((a))))\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	/* Argument nodes: 8, then 9, lists counted. */
	PUT("a X 1 2 3 4 5 6 7 8\r\n");
	CHECK(rd_next() == IMAPCMD_OK && cmd->nargs == 8);
	PUT("a X 1 2 3 4 5 6 7 8 9\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	PUT("a X (1 2 3 4 5 6 7)\r\n");
	CHECK(rd_next() == IMAPCMD_OK);
	PUT("a X (1 2 3 4 5 6 7 8)\r\n");
	CHECK(rd_next() == IMAPCMD_BAD && SYNCED());
	/* Many small commands do not add up. */
	for (i = 0; i < 50; i++)
		PUT("a X {5+}\r\n01234 (((a))) 1 2 3\r\n");
	for (i = 0; i < 50; i++)
		if (rd_next() != IMAPCMD_OK)
			break;
	CHECK(i == 50);
	stop();
}

static void
ends(void)
{
	start(NULL);
	/* Nothing at all within the timeout. */
	CHECK(rd_next() == IMAPCMD_TIMEOUT);
	/* A literal that stops coming. */
	PUT("a LOGIN {5+}\r\nab");
	CHECK(rd_next() == IMAPCMD_TIMEOUT);
	stop();
	start(NULL);
	/* A synchronizing literal the client never sends. */
	PUT("a LOGIN {5}\r\n");
	CHECK(rd_next() == IMAPCMD_TIMEOUT && cl.calls == 1);
	stop();
	start(NULL);
	PUT("a NOOP\r\nb NOOP");
	shutdown(sv[1], SHUT_WR);
	CHECK(rd_next() == IMAPCMD_OK);
	/* A last line without its LF is lost, not run. */
	CHECK(rd_next() == IMAPCMD_EOF);
	CHECK(rd_next() == IMAPCMD_EOF);
	stop();
	start(NULL);
	PUT("a LOGIN {5+}\r\nab");
	shutdown(sv[1], SHUT_WR);
	CHECK(rd_next() == IMAPCMD_EOF);
	stop();
	start(NULL);
	PUT("a LOGIN {2+}\r\nab");
	shutdown(sv[1], SHUT_WR);
	CHECK(rd_next() == IMAPCMD_EOF);
	stop();
	start(NULL);
	/* BAD, then the end while skipping. */
	PUT("a X ) {5+}\r\nab");
	shutdown(sv[1], SHUT_WR);
	CHECK(rd_next() == IMAPCMD_EOF);
	stop();
}

int
main(void)
{
	basics();
	arguments();
	fetch_atts();
	literals();
	nul_and_8bit();
	malformed();
	resyncs();
	limits();
	ends();
	return unit_done();
}
