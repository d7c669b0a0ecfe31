/*
 * Unit tests of lib/mime's SEARCH side: the streaming case-folding
 * matcher, and header/body/text searches over decoded text of the
 * fixtures in mime/ (RFC 2047 subjects, quoted-printable, base64 and
 * ISO-8859-1 parts, an attached message), LF and CR LF alike.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "mime.h"
#include "unit.h"

static int	match(const char *, const char *, size_t);
static void	test_matcher(void);
static int	search(const char *, int, int, const char *, const char *);
static void	test_search(int);

/* 1 when needle is in hay fed step octets at a time (0: all at once). */
static int
match(const char *needle, const char *hay, size_t step)
{
	struct mime_match	mm;
	size_t			i, n, len = strlen(hay);

	if (mime_match_init(&mm, needle) == -1)
		return -1;
	for (i = 0; i < len; i += n) {
		n = step == 0 || len - i < step ? len - i : step;
		mime_match_feed(&mm, hay + i, n);
	}
	return mime_match_end(&mm);
}

static void
test_matcher(void)
{
	static const struct {
		const char	*needle, *hay;
		int		 found;
	} cases[] = {
		{ "hello", "say HeLLo world", 1 },
		{ "", "anything", 1 },
		{ "x", "", 0 },
		{ "aab", "aaab", 1 },
		{ "abab", "abaabab", 1 },
		{ "abc", "ababd", 0 },
		/* Latin-1: É/é, Ü/ü, Æ/æ; ß stays itself (simple folding). */
		{ "\xc3\xa9t\xc3\xa9", "\xc3\x89T\xc3\x89", 1 },
		{ "M\xc3\xbcNCHEN", "m\xc3\x9cnchen", 1 },
		{ "\xc3\xa6", "\xc3\x86", 1 },
		{ "strasse", "STRA\xc3\x9f" "E", 0 },
		{ "\xc3\x9f", "\xc3\x9f", 1 },
		/* Latin Extended-A: Ł/ł, Ő/ő, Ž/ž, Ÿ/ÿ, ſ/s. */
		{ "\xc5\x82\xc3\xb3" "d\xc5\xba", "\xc5\x81\xc3\x93" "D\xc5\xb9",
		    1 },
		{ "\xc5\x91", "\xc5\x90", 1 },
		{ "\xc5\xbe", "\xc5\xbd", 1 },
		{ "\xc3\xbf", "\xc5\xb8", 1 },
		{ "s", "\xc5\xbf", 1 },
		/* Greek and Cyrillic. */
		{ "\xce\xb1\xce\xb2", "\xce\x91\xce\x92", 1 },
		{ "\xd0\xbc\xd0\xb8\xd1\x80", "\xd0\x9c\xd0\x98\xd0\xa0", 1 },
		/* İ (U+0130) has no simple folding: not "i". */
		{ "i", "\xc4\xb0", 0 },
		/* Octets that are not UTF-8 still match as octets. */
		{ "caf\xe9", "CAF\xe9", 1 },
		{ "\xe9", "\xc3\xa9", 0 },
		/* A sequence broken by ASCII does not eat the ASCII. */
		{ "ab", "\xc3" "ab", 1 },
	};
	struct mime_match	mm;
	char			long_needle[MIME_MATCH_MAX + 2];
	size_t			i, step;

	for (i = 0; i < nitems(cases); i++)
		for (step = 0; step <= 3; step++) {
			if (match(cases[i].needle, cases[i].hay, step) !=
			    cases[i].found)
				fprintf(stderr, "case %zu step %zu\n", i, step);
			CHECK(match(cases[i].needle, cases[i].hay, step) ==
			    cases[i].found);
		}
	memset(long_needle, 'a', sizeof(long_needle) - 1);
	long_needle[sizeof(long_needle) - 1] = '\0';
	CHECK(mime_match_init(&mm, long_needle) == -1);
	long_needle[MIME_MATCH_MAX] = '\0';
	CHECK(mime_match_init(&mm, long_needle) == 0);
	/* reset starts over: a match never spans two fields. */
	CHECK(mime_match_init(&mm, "abc") == 0);
	CHECK(mime_match_feed(&mm, "ab", 2) == 0);
	mime_match_reset(&mm);
	CHECK(mime_match_feed(&mm, "c", 1) == 0);
}

enum { S_HEADER, S_BODY, S_TEXT };

/* SEARCH <what> [field] needle on mime/<name>.eml. */
static int
search(const char *name, int crlf, int what, const char *field,
    const char *needle)
{
	struct mime_msg		 m;
	struct mime_match	 mm;
	char			 path[256], *msg, *c;
	size_t			 len, clen;
	int			 r;

	snprintf(path, sizeof(path), "mime/%s.eml", name);
	msg = unit_slurp(path, &len);
	if (crlf) {
		c = unit_crlf(msg, len, &clen);
		free(msg);
		msg = c;
		len = clen;
	}
	mime_parse(&m, msg, len);
	CHECK(mime_match_init(&mm, needle) == 0);
	if (what == S_HEADER)
		r = mime_search_header(&m, field, &mm);
	else if (what == S_BODY)
		r = mime_search_body(&m, &mm);
	else
		r = mime_search_text(&m, &mm);
	mime_free(&m);
	free(msg);
	return r;
}

static void
test_search(int crlf)
{
	/* RFC 2047 subjects in two charsets, decoded and folded. */
	CHECK(search("rfc2047", crlf, S_HEADER, "subject",
	    "gr\xc3\xbc\xc3\x9f" "e und") == 1);
	CHECK(search("rfc2047", crlf, S_HEADER, "Subject",
	    "GR\xc3\x9c\xc3\x9f" "E AUS K\xc3\x96LN") == 1);
	CHECK(search("rfc2047", crlf, S_HEADER, "subject", "R3LDvMOfZQ") ==
	    0);
	CHECK(search("rfc2047", crlf, S_HEADER, "from",
	    "patrik f\xc3\xa4ltstr\xc3\xb6m") == 1);
	CHECK(search("rfc2047", crlf, S_HEADER, "from", "nada.kth") == 1);
	CHECK(search("rfc2047", crlf, S_HEADER, "to", "J\xc3\x96RG") == 1);
	CHECK(search("rfc2047", crlf, S_HEADER, "cc", "") == 0);
	CHECK(search("rfc2047", crlf, S_HEADER, "to", "") == 1);
	/* windows-1252 quoted-printable body: ß and the euro sign. */
	CHECK(search("rfc2047", crlf, S_BODY, NULL,
	    "STRA\xc3\x9f" "E \xe2\x82\xac") == 1);
	CHECK(search("rfc2047", crlf, S_BODY, NULL, "=DF") == 0);
	/* Soft line breaks of quoted-printable join the words. */
	CHECK(search("alternative", crlf, S_BODY, NULL, "softbreak") == 1);
	CHECK(search("alternative", crlf, S_BODY, NULL, "CR\xc3\x88ME") ==
	    1);
	/* Preamble and epilogue are not text of the message. */
	CHECK(search("alternative", crlf, S_BODY, NULL, "preamble") == 0);
	CHECK(search("alternative", crlf, S_TEXT, NULL, "epilogue") == 0);
	/* ISO-8859-1 inside nested multiparts; base64 non-text skipped. */
	CHECK(search("mixed", crlf, S_BODY, NULL, "m\xc3\xbcnchen") == 1);
	CHECK(search("mixed", crlf, S_BODY, NULL, "%PDF") == 0);
	CHECK(search("mixed", crlf, S_BODY, NULL, "JVBERi0") == 0);
	/* An attached message's header and body are body text. */
	CHECK(search("rfc822", crlf, S_BODY, NULL, "inner subject") == 1);
	CHECK(search("rfc822", crlf, S_BODY, NULL, "INNER HTML") == 1);
	CHECK(search("rfc822", crlf, S_HEADER, "subject", "inner") == 0);
	/* TEXT covers the header too; BODY does not. */
	CHECK(search("simple", crlf, S_TEXT, NULL, "terry gray") == 1);
	CHECK(search("simple", crlf, S_BODY, NULL, "terry gray") == 0);
	CHECK(search("simple", crlf, S_TEXT, NULL, "3:30 TOMORROW") == 1);
	CHECK(search("simple", crlf, S_HEADER, "cc", "john klensin") == 1);
	/* A multipart without its parts is searched as it is. */
	CHECK(search("badboundary", crlf, S_BODY, NULL, "text") == 1);
	CHECK(search("noclose", crlf, S_BODY, NULL, "never closed") == 1);
	CHECK(search("missing", crlf, S_HEADER, "from", "") == 0);
}

int
main(void)
{
	test_matcher();
	test_search(0);
	test_search(1);
	return unit_done();
}
