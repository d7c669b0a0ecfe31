/*
 * Unit tests of lib/mime: the part tree, ENVELOPE/BODY/BODYSTRUCTURE,
 * sections and the CR LF view, and the limits.
 *
 * Golden files: mime/<case>.eml is a message, mime/<case>.expected what
 * Dovecot 2.3.19 (Debian 12's dovecot-imapd) answers to FETCH
 * (RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE) for it, made by
 * mime/dovecot-expected.sh and checked by hand against the RFC 3501
 * grammar; simple.eml is the message of RFC 3501's 7.4.2 example.  The
 * section contents below were compared with Dovecot's BODY[...] answers
 * the same way and then written here by hand.
 */

#include <sys/types.h>
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "mime.h"
#include "xmalloc.h"
#include "unit.h"

#define DEEP_LEVELS	10000		/* nesting of the deep message */
#define TINY_PARTS	1000000		/* parts of the wide message */
#define BIG_HEADER	(100 * 1024 * 1024)
#define RSS_GROWTH_KB	(32 * 1024)	/* allowed for the 100 MB header */

static const char *const cases[] = {
	"simple", "alternative", "mixed", "rfc822", "rfc2047", "rfc2231",
	"groups", "missing", "badboundary", "noclose", "headercut",
	"prefixboundary", "nestedprefix", "emptyparts", "oddaddresses",
	"global", "rfc822base64", "digest", "humanstrings", "deepnest",
	"deepmessages", "quoting"
};

static void	 fetch_lines(const char *, size_t, struct mime_buf *);
static void	 test_golden(const char *);
static char	*section(const struct mime_msg *, const char *, int *);
static void	 test_sections(void);
static void	 test_section_parse(void);
static void	 test_crlf_view(void);
static void	 test_crlf_pieces(void);
static void	 test_tree(void);
static void	 test_digest(void);
static void	 test_deep(void);
static void	 test_deep_messages(void);
static void	 test_many_parts(void);
static void	 test_big_header(void);
static long	 maxrss_kb(void);
static void	 test_strings(void);
static void	 test_msg_date(void);
static size_t	 count_lf(const char *, size_t);

/* The four lines of a .expected file, as this module writes them. */
static void
fetch_lines(const char *p, size_t len, struct mime_buf *b)
{
	struct mime_msg	m;

	CHECK(mime_parse(&m, p, len) == 0);
	mime_buf_addstr(b, "RFC822.SIZE ");
	mime_buf_addu(b, mime_msg_size(&m));
	mime_buf_addstr(b, "\nENVELOPE ");
	mime_envelope(&m, &m.parts[0], b);
	mime_buf_addstr(b, "\nBODY ");
	mime_bodystructure(&m, 0, b);
	mime_buf_addstr(b, "\nBODYSTRUCTURE ");
	mime_bodystructure(&m, 1, b);
	mime_buf_addc(b, '\n');
	mime_free(&m);
}

/* LF and CR LF input must both give exactly Dovecot's answer. */
static void
test_golden(const char *name)
{
	struct mime_buf	 lf, crlf;
	char		 path[256], *msg, *exp, *msg2;
	size_t		 mlen, elen, m2len;

	snprintf(path, sizeof(path), "mime/%s.eml", name);
	msg = unit_slurp(path, &mlen);
	snprintf(path, sizeof(path), "mime/%s.expected", name);
	exp = unit_slurp(path, &elen);
	mime_buf_init(&lf);
	mime_buf_init(&crlf);
	fetch_lines(msg, mlen, &lf);
	msg2 = unit_crlf(msg, mlen, &m2len);
	fetch_lines(msg2, m2len, &crlf);
	if (lf.len != elen || memcmp(lf.data, exp, elen) != 0)
		fprintf(stderr, "%s: got\n%s", name, lf.data);
	CHECK(lf.len == elen && memcmp(lf.data, exp, elen) == 0);
	CHECK(crlf.len == elen && memcmp(crlf.data, exp, elen) == 0);
	mime_buf_free(&lf);
	mime_buf_free(&crlf);
	free(msg);
	free(msg2);
	free(exp);
}

/*
 * BODY[spec] in the CR LF view as a new string; *r is what
 * mime_section_get returned.
 */
static char *
section(const struct mime_msg *m, const char *spec, int *r)
{
	struct mime_section	s;
	struct mime_buf		out;
	size_t			off = 0, len = 0;

	mime_buf_init(&out);
	mime_buf_add(&out, "", 0);
	if (mime_section_parse(spec, &s) == -1) {
		*r = -2;
		return out.data;
	}
	*r = mime_section_get(m, &s, &off, &len, &out);
	if (*r == 0) {
		CHECK(mime_crlf_copy(&out, m->base + off, len, 0, SIZE_MAX) ==
		    mime_crlf_len(m->base + off, len));
	}
	mime_section_free(&s);
	return out.data;
}

#define CHECK_SECTION(m, spec, want, wantr) do {			\
	int	 r_;							\
	char	*got_ = section(m, spec, &r_);				\
	CHECK(r_ == (wantr));						\
	CHECK_STR(got_, want);						\
	free(got_);							\
} while (0)

static void
test_sections(void)
{
	struct mime_msg	 m;
	char		*msg, *crlf, *got;
	size_t		 len, clen;
	int		 pass, r;

	msg = unit_slurp("mime/rfc822.eml", &len);
	crlf = unit_crlf(msg, len, &clen);
	for (pass = 0; pass < 2; pass++) {
		mime_parse(&m, pass ? crlf : msg, pass ? clen : len);
		CHECK_SECTION(&m, "1", "See the attached message.", 0);
		CHECK_SECTION(&m, "1.1", "See the attached message.", 0);
		CHECK_SECTION(&m, "1.MIME",
		    "Content-Type: text/plain\r\n\r\n", 0);
		CHECK_SECTION(&m, "2.1", "inner plain", 0);
		CHECK_SECTION(&m, "2.1.1", "inner plain", 0);
		CHECK_SECTION(&m, "2.2.MIME",
		    "Content-Type: text/html\r\n\r\n", 0);
		CHECK_SECTION(&m, "2.MIME", "Content-Type: message/rfc822\r\n"
		    "Content-Disposition: attachment\r\n\r\n", 0);
		CHECK_SECTION(&m, "HEADER.FIELDS (From TO)",
		    "From: ana@example.com\r\nTo: bob@example.com\r\n\r\n", 1);
		CHECK_SECTION(&m, "2.HEADER.FIELDS (Subject)",
		    "Subject: inner subject\r\n\r\n", 1);
		CHECK_SECTION(&m, "2.HEADER.FIELDS.NOT (From To Date)",
		    "Subject: inner subject\r\n"
		    "Message-ID: <inner@example.com>\r\n"
		    "MIME-Version: 1.0\r\n"
		    "Content-Type: multipart/alternative; boundary=\"m2\""
		    "\r\n\r\n", 1);
		CHECK_SECTION(&m, "3", "", -1);
		CHECK_SECTION(&m, "1.HEADER", "", -1);
		CHECK_SECTION(&m, "1.2", "", -1);
		/* Sizes Dovecot gives: the part keeps "--m2--"'s line end. */
		got = section(&m, "2", &r);
		CHECK(r == 0 && strlen(got) == 345);
		CHECK(strncmp(got, "From: Carl <carl@example.com>\r\n", 31) == 0);
		free(got);
		got = section(&m, "2.HEADER", &r);
		CHECK(r == 0 && strlen(got) == 220);
		free(got);
		got = section(&m, "2.TEXT", &r);
		CHECK(r == 0 && strlen(got) == 125);
		free(got);
		got = section(&m, "TEXT", &r);
		CHECK(r == 0 && strlen(got) == 485);
		free(got);
		got = section(&m, "HEADER", &r);
		CHECK(r == 0 && strlen(got) == 163);
		free(got);
		got = section(&m, "", &r);
		CHECK(r == 0 && strlen(got) == 648 && mime_msg_size(&m) == 648);
		free(got);
		mime_free(&m);
	}
	free(msg);
	free(crlf);
	msg = unit_slurp("mime/mixed.eml", &len);
	mime_parse(&m, msg, len);
	got = section(&m, "1", &r);
	CHECK(r == 0 && strlen(got) == 238);
	CHECK(strlen(got) >= 11 &&
	    strcmp(got + strlen(got) - 11, "--inner--\r\n") == 0);
	free(got);
	CHECK_SECTION(&m, "1.2", "<b>hi</b>", 0);
	CHECK_SECTION(&m, "2", "JVBERi0xLjQKJeLjz9MK", 0);
	CHECK_SECTION(&m, "4", "", -1);
	mime_free(&m);
	free(msg);
}

static void
test_section_parse(void)
{
	static const char *const good[] = { "", "1", "1.2.3", "HEADER",
	    "text", "1.MIME", "2.HEADER", "3.TEXT", "HEADER.FIELDS (a)",
	    "1.HEADER.FIELDS.NOT (a b-c)", "header.fields (X  Y)" };
	static const char *const bad[] = { "0", "1.0", "1..2", "1.", ".1",
	    "MIME", "HEADER.FIELDS", "HEADER.FIELDS ()", "HEADER.FIELDS (a",
	    "HEADER.FIELDS (a) x", "BODY", "1.HEADERX", "99999999999",
	    "HEADER.FIELDS (a:b)" };
	struct mime_section	s;
	size_t			i;

	for (i = 0; i < nitems(good); i++) {
		CHECK(mime_section_parse(good[i], &s) == 0);
		mime_section_free(&s);
	}
	for (i = 0; i < nitems(bad); i++) {
		if (mime_section_parse(bad[i], &s) == 0)
			fprintf(stderr, "accepted bad section %s\n", bad[i]);
		CHECK(mime_section_parse(bad[i], &s) == -1);
		mime_section_free(&s);
	}
	CHECK(mime_section_parse("1.2.HEADER.FIELDS (From To)", &s) == 0);
	CHECK(s.npath == 2 && s.path[0] == 1 && s.path[1] == 2);
	CHECK(s.kind == MIME_SEC_FIELDS && s.nfields == 2);
	CHECK_STR(s.fields[1], "To");
	mime_section_free(&s);
}

/* Every window of the CR LF view equals the same slice of a copy. */
static void
test_crlf_view(void)
{
	static const char *const inputs[] = { "", "a", "\n", "\r\n", "a\nb",
	    "a\r\nb\n\nc\r\n", "\n\n\r\n\n", "x\ry\n" };
	struct mime_buf	 b;
	char		*full;
	size_t		 i, flen, from, n, len, kept;

	for (i = 0; i < nitems(inputs); i++) {
		len = strlen(inputs[i]);
		full = unit_crlf(inputs[i], len, &flen);
		/* unit_crlf doubles CR LF's CR: build the real view instead. */
		mime_buf_init(&b);
		mime_buf_add(&b, "", 0);
		mime_crlf_copy(&b, inputs[i], len, 0, SIZE_MAX);
		CHECK(b.len == mime_crlf_len(inputs[i], len));
		free(full);
		full = xstrdup(b.data);
		flen = b.len;
		mime_buf_free(&b);
		for (from = 0; from <= flen + 1; from++)
			for (n = 0; n <= flen + 1; n++) {
				mime_buf_init(&b);
				mime_buf_add(&b, "", 0);
				kept = mime_crlf_copy(&b, inputs[i], len, from,
				    n);
				CHECK(kept == (from >= flen ? 0 :
				    (n < flen - from ? n : flen - from)));
				CHECK(b.len == kept && (kept == 0 ||
				    memcmp(b.data, full + from, kept) == 0));
				mime_buf_free(&b);
			}
		free(full);
	}
	CHECK(mime_crlf_len("a\nb\r\nc\n", 7) == 9);
}

/*
 * The cursor read in pieces of 1, 2, 3 and 5 octets after a skip gives
 * the same octets as one copy, across an added CR and its LF.
 */
static void
test_crlf_pieces(void)
{
	static const char *const inputs[] = { "", "\n", "a\nb", "ab\r\ncd\n",
	    "\n\n\r\n\n", "x\ry\nzz\n\n\n" };
	static const size_t sizes[] = { 1, 2, 3, 5 };
	struct mime_crlf c;
	struct mime_buf	 b;
	char		 got[64], piece[8];
	size_t		 i, j, len, from, n, k;

	for (i = 0; i < nitems(inputs); i++) {
		len = strlen(inputs[i]);
		mime_buf_init(&b);
		mime_buf_add(&b, "", 0);
		mime_crlf_copy(&b, inputs[i], len, 0, SIZE_MAX);
		for (j = 0; j < nitems(sizes); j++)
			for (from = 0; from <= b.len + 1; from++) {
				mime_crlf_start(&c, inputs[i], len);
				k = mime_crlf_read(&c, NULL, from);
				CHECK(k == (from < b.len ? from : b.len));
				n = 0;
				while ((k = mime_crlf_read(&c, piece,
				    sizes[j])) > 0) {
					CHECK(n + k <= sizeof(got));
					memcpy(got + n, piece, k);
					n += k;
				}
				CHECK(n == (from < b.len ? b.len - from : 0));
				CHECK(n == 0 || memcmp(got, b.data + from,
				    n) == 0);
			}
		mime_buf_free(&b);
	}
}

/* Numbering: parts[] links follow IMAP's 1, 1.1, 1.2, 2, 3 of mixed. */
static void
test_tree(void)
{
	struct mime_msg	 m;
	char		*msg;
	size_t		 len;
	int		 c1, c2, c3;

	msg = unit_slurp("mime/mixed.eml", &len);
	mime_parse(&m, msg, len);
	CHECK(m.nparts == 6 && !m.limited);
	CHECK(m.parts[0].flags & MIME_PART_MULTIPART);
	c1 = m.parts[0].child;
	CHECK(c1 >= 0 && (m.parts[c1].flags & MIME_PART_MULTIPART));
	c2 = m.parts[c1].next;
	CHECK(c2 >= 0 && m.parts[c2].flags == 0 && m.parts[c2].depth == 1);
	c3 = m.parts[c2].next;
	CHECK(c3 >= 0 && m.parts[c3].next == -1);
	CHECK(m.parts[m.parts[c1].child].depth == 2);
	mime_free(&m);
	free(msg);
}

/* In multipart/digest a part without Content-Type is message/rfc822. */
static void
test_digest(void)
{
	static const char msg[] =
	    "Content-Type: multipart/digest; boundary=d\n\n"
	    "--d\n\n"
	    "From: x@y.z\nSubject: one\n\nfirst\n"
	    "--d\nContent-Type: text/plain\n\nsecond\n--d--\n";
	struct mime_msg	m;
	struct mime_buf	b;

	mime_parse(&m, msg, strlen(msg));
	mime_buf_init(&b);
	mime_bodystructure(&m, 0, &b);
	CHECK_STR(b.data, "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 34 "
	    "(NIL \"one\" ((NIL NIL \"x\" \"y.z\")) ((NIL NIL \"x\" \"y.z\")) "
	    "((NIL NIL \"x\" \"y.z\")) NIL NIL NIL NIL NIL) (\"text\" "
	    "\"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0) 3)"
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	    "6 0) \"digest\")");
	mime_buf_free(&b);
	mime_free(&m);
}

static size_t
count_lf(const char *p, size_t n)
{
	size_t	i, c = 0;

	for (i = 0; i < n; i++)
		c += p[i] == '\n';
	return c;
}

static long
maxrss_kb(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/*
 * 10,000 nested multiparts: bounded by MIME_MAX_DEPTH, and fast.  The
 * boundaries end in "x" so that none is a prefix of another (a prefix
 * is a match, as in Dovecot).
 */
static void
test_deep(void)
{
	struct mime_buf	 msg, out;
	struct mime_msg	 m;
	struct mime_section s;
	char		 spec[4 * MIME_MAX_DEPTH];
	clock_t		 t0;
	size_t		 off, len;
	int		 i, cut = 0;

	mime_buf_init(&msg);
	mime_buf_addstr(&msg, "From: deep@example.com\nSubject: deep\n");
	for (i = 0; i < DEEP_LEVELS; i++) {
		mime_buf_addstr(&msg, "Content-Type: multipart/mixed; "
		    "boundary=\"b");
		mime_buf_addu(&msg, i);
		mime_buf_addstr(&msg, "x\"\n\n--b");
		mime_buf_addu(&msg, i);
		mime_buf_addstr(&msg, "x\n");
	}
	mime_buf_addstr(&msg, "Content-Type: text/plain\n\nleaf\n");
	for (i = DEEP_LEVELS - 1; i >= 0; i--) {
		mime_buf_addstr(&msg, "--b");
		mime_buf_addu(&msg, i);
		mime_buf_addstr(&msg, "x--\n");
	}
	t0 = clock();
	mime_parse(&m, msg.data, msg.len);
	CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0);
	CHECK(m.limited);
	CHECK(m.nparts == MIME_MAX_DEPTH);
	for (i = 0; i < (int)m.nparts; i++)
		if (m.parts[i].flags & MIME_PART_CUT) {
			cut++;
			CHECK(m.parts[i].depth == MIME_MAX_DEPTH - 1);
		}
	CHECK(cut == 1);
	mime_buf_init(&out);
	mime_bodystructure(&m, 1, &out);
	/*
	 * As Dovecot 2.3 answers for the same message: 99 multiparts, the
	 * last holding an application/octet-stream leaf with the unopened
	 * multipart's parameters.
	 */
	CHECK(strstr(out.data, "(\"application\" \"octet-stream\" "
	    "(\"boundary\" \"b99x\") NIL NIL \"7bit\" ") != NULL);
	CHECK(strncmp(out.data, "((((", 4) == 0);
	mime_buf_free(&out);
	/* BODY[1.1....1] reaches the cut part, one more level does not. */
	spec[0] = '\0';
	for (i = 0; i < MIME_MAX_DEPTH - 1; i++)
		strlcat(spec, i ? ".1" : "1", sizeof(spec));
	CHECK(mime_section_parse(spec, &s) == 0);
	CHECK(mime_section_get(&m, &s, &off, &len, NULL) == 0);
	CHECK(len > 0 && strncmp(msg.data + off, "--b99x\n", 7) == 0);
	strlcat(spec, ".2", sizeof(spec));
	CHECK(mime_section_parse(spec, &s) == 0);
	CHECK(mime_section_get(&m, &s, &off, &len, NULL) == -1);
	mime_free(&m);
	mime_buf_free(&msg);
}

/* 10,000 nested message/rfc822 parts: the same limit applies. */
static void
test_deep_messages(void)
{
	struct mime_buf	 msg, out;
	struct mime_msg	 m;
	int		 i;

	mime_buf_init(&msg);
	for (i = 0; i < DEEP_LEVELS; i++)
		mime_buf_addstr(&msg, "Subject: level\n"
		    "Content-Type: message/rfc822\n\n");
	mime_buf_addstr(&msg, "Subject: last\n\nbody\n");
	mime_parse(&m, msg.data, msg.len);
	CHECK(m.limited && m.nparts == MIME_MAX_DEPTH);
	mime_buf_init(&out);
	mime_bodystructure(&m, 0, &out);
	CHECK(strncmp(out.data, "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" ",
	    38) == 0);
	CHECK(strstr(out.data, "(\"application\" \"octet-stream\" NIL NIL "
	    "NIL \"7bit\" ") != NULL);
	mime_buf_free(&out);
	mime_free(&m);
	mime_buf_free(&msg);
}

/*
 * 1,000,000 parts: MIME_MAX_PARTS kept, the last one holds the rest
 * (Dovecot 2.3 keeps the same 9,999 parts of such a message).
 */
static void
test_many_parts(void)
{
	struct mime_buf		 msg;
	struct mime_msg		 m;
	const struct mime_part	*last = NULL;
	int			 i, n = 0;

	mime_buf_init(&msg);
	mime_buf_addstr(&msg, "Content-Type: multipart/mixed; boundary=b\n\n");
	for (i = 0; i < TINY_PARTS; i++)
		mime_buf_addstr(&msg, "--b\n\nx\n");
	mime_buf_addstr(&msg, "--b--\n");
	mime_parse(&m, msg.data, msg.len);
	CHECK(m.limited && m.nparts == MIME_MAX_PARTS);
	for (i = m.parts[0].child; i >= 0; i = m.parts[i].next) {
		last = &m.parts[i];
		n++;
	}
	CHECK(n == MIME_MAX_PARTS - 1);
	CHECK(last != NULL && last->body_off + last->body_len == msg.len);
	CHECK(m.parts[m.parts[0].child].body_len == 1);
	mime_free(&m);
	mime_buf_free(&msg);
}

/*
 * A 100 MB header: parsing, ENVELOPE, BODYSTRUCTURE and SEARCH must not
 * grow the process by more than a bounded amount.
 */
static void
test_big_header(void)
{
	struct mime_msg		 m;
	struct mime_buf		 out;
	struct mime_match	 mm;
	char			*msg;
	size_t			 n = 0;
	long			 before;
	static const char	 line[] = "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n";

	msg = xmalloc(BIG_HEADER + 256);
	n += snprintf(msg, 256, "From: big@example.com\nSubject: big\n");
	while (n + sizeof(line) < BIG_HEADER) {
		memcpy(msg + n, line, sizeof(line) - 1);
		n += sizeof(line) - 1;
	}
	n += snprintf(msg + n, 256, "Subject: too late\n\nbody\n");
	before = maxrss_kb();
	mime_parse(&m, msg, n);
	CHECK(m.nparts == 1 && m.parts[0].body_len == 5);
	mime_buf_init(&out);
	mime_envelope(&m, &m.parts[0], &out);
	CHECK(strncmp(out.data, "(NIL \"big\" ((NIL NIL \"big\"", 26) == 0);
	mime_bodystructure(&m, 1, &out);
	mime_buf_free(&out);
	CHECK(mime_match_init(&mm, "too late") == 0);
	/* Past MIME_MAX_FIELDS fields nothing is inspected. */
	CHECK(mime_search_header(&m, "subject", &mm) == 0);
	CHECK(mime_search_text(&m, &mm) == 0);
	CHECK(mime_msg_size(&m) == n + count_lf(msg, n));
	CHECK(maxrss_kb() - before < RSS_GROWTH_KB);
	mime_free(&m);
	/* One 100 MB field: its value is cut at MIME_MAX_LINE. */
	memset(msg, 'a', n);
	memcpy(msg, "Subject: ", 9);
	msg[n - 2] = '\n';
	msg[n - 1] = '\n';
	before = maxrss_kb();
	mime_parse(&m, msg, n);
	mime_buf_init(&out);
	mime_envelope(&m, &m.parts[0], &out);
	CHECK(out.len > MIME_MAX_LINE && out.len < MIME_MAX_LINE + 100);
	mime_buf_free(&out);
	CHECK(maxrss_kb() - before < RSS_GROWTH_KB);
	mime_free(&m);
	free(msg);
}

/* IMAP strings: quoted, literal, NIL, and Dovecot's text for humans. */
static void
test_strings(void)
{
	static const char *const quoted[][2] = {
		{ "plain", "\"plain\"" },
		{ "", "\"\"" },
		{ "a \"q\" \\", "\"a \\\"q\\\" \\\\\"" },
		{ "caf\xc3\xa9", "{5}\r\ncaf\xc3\xa9" },
		{ "two\r\nlines", "{10}\r\ntwo\r\nlines" },
	};
	static const char *const human[][2] = {
		{ "plain words", "\"plain words\"" },
		{ "  lead and trail  ", "{14}\r\nlead and trail" },
		{ "folded\r\n\tline", "{11}\r\nfolded line" },
		{ "say \"hi\"", "{8}\r\nsay \"hi\"" },
		{ "   ", "\"\"" },
		{ "", "\"\"" },
	};
	struct mime_buf	b;
	size_t		i;

	for (i = 0; i < nitems(quoted); i++) {
		mime_buf_init(&b);
		mime_buf_nstr(&b, quoted[i][0]);
		CHECK_STR(b.data, quoted[i][1]);
		mime_buf_free(&b);
	}
	/* A NUL takes a literal, and goes in it as 0x80 (CHAR8). */
	mime_buf_init(&b);
	mime_buf_nstring(&b, "<a\0b@x>", 7);
	CHECK(b.len == 12 && memcmp(b.data, "{7}\r\n<a\x80" "b@x>", 12) == 0);
	mime_buf_free(&b);
	for (i = 0; i < nitems(human); i++) {
		mime_buf_init(&b);
		mime_buf_human(&b, human[i][0], strlen(human[i][0]));
		CHECK_STR(b.data, human[i][1]);
		mime_buf_free(&b);
	}
	mime_buf_init(&b);
	mime_buf_nstr(&b, NULL);
	mime_buf_addc(&b, ' ');
	mime_buf_nstring(&b, "a\0b", 3);
	CHECK(b.len == 12 && memcmp(b.data, "NIL {3}\r\na\x80" "b", 12) == 0);
	mime_buf_free(&b);
}

static void
test_msg_date(void)
{
	struct mime_msg		 m;
	struct mime_date	 d;
	char			*msg;
	size_t			 len;

	msg = unit_slurp("mime/simple.eml", &len);
	mime_parse(&m, msg, len);
	CHECK(mime_msg_date(&m, &d) == 0);
	CHECK(d.year == 1996 && d.mon == 7 && d.mday == 17 && d.zone == -420);
	mime_free(&m);
	free(msg);
	msg = unit_slurp("mime/missing.eml", &len);
	mime_parse(&m, msg, len);
	CHECK(mime_msg_date(&m, &d) == -1);
	mime_free(&m);
	free(msg);
}

int
main(void)
{
	size_t	i;

	for (i = 0; i < nitems(cases); i++)
		test_golden(cases[i]);
	test_sections();
	test_section_parse();
	test_crlf_view();
	test_crlf_pieces();
	test_tree();
	test_digest();
	test_deep();
	test_deep_messages();
	test_many_parts();
	test_big_header();
	test_strings();
	test_msg_date();
	return unit_done();
}
