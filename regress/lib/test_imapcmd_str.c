/*
 * The helpers around the IMAP command reader: sequence sets against a
 * maximum, modified UTF-7 both ways with its refusals, astring and
 * mailbox extraction, and IMAP strings written into a capped buffer.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imapcmd.h"
#include "mutf7.h"
#include "unit.h"

static struct imapcmd_seqset *
seq(const char *s, size_t maxranges)
{
	const char	*errstr = NULL;

	return imapcmd_seqset_parse(s, strlen(s), maxranges, &errstr);
}

/* The members of s given max, as "1,2,3", through the iterator. */
static const char *
members(const char *s, uint32_t max)
{
	static char		 out[256];
	struct imapcmd_seqset	*set;
	uint32_t		 n = 0;
	size_t			 len = 0;

	if ((set = seq(s, 100)) == NULL)
		return "(refused)";
	out[0] = '\0';
	while (imapcmd_seqset_next(set, max, &n) && len < sizeof(out) - 12)
		len += snprintf(out + len, sizeof(out) - len, "%s%u",
		    len ? "," : "", n);
	imapcmd_seqset_free(set);
	return out;
}

static void
seqsets(void)
{
	static const char *const bad[] = {
		"", ",", "1,", ",1", "1::2", "1:", ":1", "1,,2", "a", "1 2",
		"1:2:3", "**", "-1", "+1", "0", "0:5", "1:0", "01", "1:05",
		"4294967296", "1:4294967296", "99999999999999999999999",
		"1.5", "*:", "$",
	};
	struct imapcmd_seqset	*set;
	const char		*errstr;
	uint32_t		 n;
	size_t			 i;

	CHECK_STR(members("1:5,7,9:*", 10), "1,2,3,4,5,7,9,10");
	CHECK_STR(members("5:1", 10), "1,2,3,4,5");
	CHECK_STR(members("*:3", 6), "3,4,5,6");
	CHECK_STR(members("*", 7), "7");
	CHECK_STR(members("*", 0), "");
	CHECK_STR(members("1:*", 0), "");
	CHECK_STR(members("1:*", 3), "1,2,3");
	/* Overlaps and repeats come out once, in order. */
	CHECK_STR(members("3,1:4,2,10:8,4", 20), "1,2,3,4,8,9,10");
	/* Beyond max: dropped, except that n:* always holds max. */
	CHECK_STR(members("4:9", 5), "4,5");
	CHECK_STR(members("7,8", 5), "");
	CHECK_STR(members("559:*", 500), "500");

	set = seq("1:5,7,9:*", 3);
	CHECK(set != NULL && imapcmd_seqset_nranges(set) == 3);
	CHECK(imapcmd_seqset_range(set, 2)->first == 9 &&
	    imapcmd_seqset_range(set, 2)->last == 0);
	CHECK(imapcmd_seqset_range(set, 3) == NULL);
	CHECK(imapcmd_seqset_highest(set) == 9 &&
	    imapcmd_seqset_has_star(set));
	CHECK(imapcmd_seqset_contains(set, 10, 1) &&
	    imapcmd_seqset_contains(set, 10, 5) &&
	    !imapcmd_seqset_contains(set, 10, 6) &&
	    imapcmd_seqset_contains(set, 10, 7) &&
	    !imapcmd_seqset_contains(set, 10, 8) &&
	    imapcmd_seqset_contains(set, 10, 10) &&
	    !imapcmd_seqset_contains(set, 10, 11) &&
	    !imapcmd_seqset_contains(set, 10, 0));
	CHECK(imapcmd_seqset_count(set, 10) == 8);
	/* The maximum changes: so do the members. */
	CHECK(!imapcmd_seqset_contains(set, 8, 9));
	CHECK(imapcmd_seqset_contains(set, 12, 12));
	CHECK(imapcmd_seqset_count(set, 12) == 10);
	imapcmd_seqset_free(set);

	set = seq("559:*", 1);
	CHECK(set != NULL && imapcmd_seqset_contains(set, 500, 500) &&
	    !imapcmd_seqset_contains(set, 500, 559) &&
	    imapcmd_seqset_count(set, 500) == 1);
	imapcmd_seqset_free(set);

	/* The top of the range: no overflow, no endless iteration. */
	set = seq("4294967295,1:4294967294", 2);
	CHECK(set != NULL && imapcmd_seqset_highest(set) == UINT32_MAX);
	CHECK(imapcmd_seqset_count(set, UINT32_MAX) == UINT32_MAX);
	CHECK(imapcmd_seqset_contains(set, UINT32_MAX, UINT32_MAX));
	n = UINT32_MAX - 1;
	CHECK(imapcmd_seqset_next(set, UINT32_MAX, &n) && n == UINT32_MAX);
	CHECK(!imapcmd_seqset_next(set, UINT32_MAX, &n));
	imapcmd_seqset_free(set);

	/* The range limit: just under, just over. */
	set = seq("1,3,5:6", 3);
	CHECK(set != NULL && !imapcmd_seqset_has_star(set));
	imapcmd_seqset_free(set);
	errstr = NULL;
	CHECK(imapcmd_seqset_parse("1,3,5:6,8", 9, 3, &errstr) == NULL &&
	    errstr != NULL && strstr(errstr, "too many") != NULL);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errstr = NULL;
		set = imapcmd_seqset_parse(bad[i], strlen(bad[i]), 100,
		    &errstr);
		if (set != NULL || errstr == NULL) {
			fprintf(stderr, "sequence set taken: \"%s\"\n",
			    bad[i]);
			unit_fail++;
		} else
			unit_pass++;
		imapcmd_seqset_free(set);
	}
	/* The length given is the set: what follows it is not read. */
	set = imapcmd_seqset_parse("1:2 junk", 3, 10, &errstr);
	CHECK(set != NULL && imapcmd_seqset_count(set, 9) == 2);
	imapcmd_seqset_free(set);
}

static const char *
dec(const char *s, size_t len)
{
	static char	 out[256];
	const char	*errstr = NULL;
	char		*d;

	if ((d = mutf7_decode(s, len, &errstr)) == NULL)
		return errstr != NULL ? "(refused)" : "(no reason)";
	snprintf(out, sizeof(out), "%s", d);
	free(d);
	return out;
}
#define DEC(s)	dec((s), sizeof(s) - 1)

static const char *
enc(const char *s, size_t len)
{
	static char	 out[256];
	const char	*errstr = NULL;
	char		*e;

	if ((e = mutf7_encode(s, len, &errstr)) == NULL)
		return errstr != NULL ? "(refused)" : "(no reason)";
	snprintf(out, sizeof(out), "%s", e);
	free(e);
	return out;
}
#define ENC(s)	enc((s), sizeof(s) - 1)

static void
mutf7(void)
{
	static const struct {
		const char	*mutf7, *utf8;
	} pairs[] = {
		{ "&-", "&" },
		{ "Entw&APw-rfe", "Entw\xc3\xbcrfe" },
		{ "&ZeVnLIqe-", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
		{ "~peter/mail/&U,BTFw-/&ZeVnLIqe-",
		    "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/"
		    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
		{ "INBOX.&AOk-t&AOk-", "INBOX.\xc3\xa9t\xc3\xa9" },
		{ "&AOkA6Q-", "\xc3\xa9\xc3\xa9" },
		{ "&2D3eAA-", "\xf0\x9f\x98\x80" },
		{ "a&2D3eAA-b", "a\xf0\x9f\x98\x80" "b" },
		{ "&AOkA6QDpAOkA6QDpAOkA6QDp-",
		    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		    "\xc3\xa9\xc3\xa9" },
		{ "a&-b&-&-", "a&b&&" },
		{ "", "" },
		{ "plain ~!@#$%^*()_+{}|:\"<>?`-=[]\\;',./",
		    "plain ~!@#$%^*()_+{}|:\"<>?`-=[]\\;',./" },
	};
	static const char *const bad[] = {
		"&",			/* unterminated */
		"a&",
		"&AOk",
		"&AOkA6Q",
		"&AO!-",		/* bad base64 */
		"&AO/-",		/* "/" is "," here */
		"&AO=-",
		"&&-",
		"&AGE-",		/* "a", encoded needlessly */
		"&ACY-",		/* "&" */
		"&ACA-",		/* space */
		"&AAA-",		/* NUL */
		"&AAE-",		/* controls */
		"&AH8-",
		"&AIA-",
		"&2D0-",		/* unpaired surrogates */
		"&3gA-",
		"&2D3YPQ-",
		"&AOl-",		/* non-zero pad bits */
		"&AOkA-",		/* a sextet too many */
		"&A-",
		"&AOk-&AOk-",		/* not canonical: one shift */
		"a\tb",			/* direct controls, 8-bit */
		"a\x7f",
		"\xc3\xa9",
	};
	static const char *const badutf8[] = {
		"\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "\xff", "a\tb",
		"a\x7f", "\xc2\x80", "\xc2\x9f", "\x80",
	};
	const char	*s;
	size_t		 i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		CHECK_STR(dec(pairs[i].mutf7, strlen(pairs[i].mutf7)),
		    pairs[i].utf8);
		CHECK_STR(enc(pairs[i].utf8, strlen(pairs[i].utf8)),
		    pairs[i].mutf7);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_STR(dec(bad[i], strlen(bad[i])), "(refused)");
	CHECK_STR(DEC("a\0b"), "(refused)");
	for (i = 0; i < sizeof(badutf8) / sizeof(badutf8[0]); i++)
		CHECK_STR(enc(badutf8[i], strlen(badutf8[i])), "(refused)");
	CHECK_STR(ENC("a\0b"), "(refused)");
	/* Just inside the bounds: U+00A0, U+FFFD, U+10FFFF. */
	CHECK_STR(ENC("\xc2\xa0"), "&AKA-");
	CHECK_STR(DEC("&AKA-"), "\xc2\xa0");
	s = ENC("\xef\xbf\xbd");
	CHECK_STR(s, "&,,0-");
	CHECK_STR(dec(s, strlen(s)), "\xef\xbf\xbd");
	s = ENC("\xf4\x8f\xbf\xbf");
	CHECK_STR(s, "&2,,f,w-");
	CHECK_STR(dec(s, strlen(s)), "\xf4\x8f\xbf\xbf");
}

static void
strings(void)
{
	struct imapcmd_node	 n;
	char			 box[32];
	const char		*s;
	size_t			 len;

	memset(&n, 0, sizeof(n));
	n.type = IMAPCMD_ATOM;
	n.str = "abc]";
	n.len = 4;
	CHECK(imapcmd_astring(&n, &s, &len) == 0 && len == 4 &&
	    strcmp(s, "abc]") == 0);
	CHECK(imapcmd_string(&n, &s, &len) == -1);
	n.str = "a%b";
	n.len = 3;
	CHECK(imapcmd_astring(&n, &s, &len) == -1);
	n.str = "\\Seen";
	n.len = 5;
	CHECK(imapcmd_astring(&n, &s, &len) == -1);
	n.type = IMAPCMD_NIL;
	n.str = "nil";
	n.len = 3;
	CHECK(imapcmd_astring(&n, &s, &len) == 0 && strcmp(s, "nil") == 0);
	n.type = IMAPCMD_QUOTED;
	n.str = "";
	n.len = 0;
	CHECK(imapcmd_astring(&n, &s, &len) == 0 && len == 0);
	CHECK(imapcmd_string(&n, &s, &len) == 0 && len == 0);
	n.type = IMAPCMD_LITERAL;
	n.str = "a\0b";
	n.len = 3;
	n.flags = IMAPCMD_NODE_NUL;
	CHECK(imapcmd_astring(&n, &s, &len) == -1);
	CHECK(imapcmd_string(&n, &s, &len) == -1);
	n.flags = 0;
	n.str = "a b";
	CHECK(imapcmd_astring(&n, &s, &len) == 0 && len == 3);
	n.type = IMAPCMD_LIST;
	n.str = "";
	n.len = 0;
	CHECK(imapcmd_astring(&n, &s, &len) == -1);
	n.type = IMAPCMD_FETCHATT;
	n.str = "BODY[HEADER.FIELDS (a)]";
	n.len = strlen(n.str);
	CHECK(imapcmd_astring(&n, &s, &len) == -1);
	CHECK(imapcmd_astring(NULL, &s, &len) == -1);

	/* INBOX in any case; below it only with the separator given. */
	n.type = IMAPCMD_ATOM;
	n.str = box;
	strlcpy(box, "inbox", sizeof(box));
	n.len = strlen(box);
	CHECK(imapcmd_mailbox(&n, '.', &s) == 0 && strcmp(s, "INBOX") == 0);
	strlcpy(box, "InBoX.Sent", sizeof(box));
	n.len = strlen(box);
	CHECK(imapcmd_mailbox(&n, 0, &s) == 0 &&
	    strcmp(s, "InBoX.Sent") == 0);
	CHECK(imapcmd_mailbox(&n, '.', &s) == 0 &&
	    strcmp(s, "INBOX.Sent") == 0);
	strlcpy(box, "inboxes", sizeof(box));
	n.len = strlen(box);
	CHECK(imapcmd_mailbox(&n, '.', &s) == 0 &&
	    strcmp(s, "inboxes") == 0);
	strlcpy(box, "inbo", sizeof(box));
	n.len = strlen(box);
	CHECK(imapcmd_mailbox(&n, '.', &s) == 0 && strcmp(s, "inbo") == 0);
	n.type = IMAPCMD_LIST;
	CHECK(imapcmd_mailbox(&n, '.', &s) == -1);
}

static const char *
out(const char *s, size_t len, int flags)
{
	static char		buf[2048];
	struct imapcmd_buf	b;

	imapcmd_buf_init(&b, 0);
	if (imapcmd_put_string(&b, s, len, flags) == -1)
		snprintf(buf, sizeof(buf), "(error)");
	else {
		if (b.len >= sizeof(buf))
			b.len = sizeof(buf) - 1;
		memcpy(buf, b.data, b.len);
		buf[b.len] = '\0';
	}
	imapcmd_buf_free(&b);
	return buf;
}
#define OUT(s, f)	out((s), sizeof(s) - 1, (f))

static void
output(void)
{
	struct imapcmd_buf	 b;
	char			 big[IMAPCMD_QUOTED_MAX + 1], *w;

	CHECK_STR(OUT("abc", IMAPCMD_PUT_ASTRING), "abc");
	CHECK_STR(OUT("abc", 0), "\"abc\"");
	CHECK_STR(OUT("a]b", IMAPCMD_PUT_ASTRING), "a]b");
	CHECK_STR(OUT("NIL", IMAPCMD_PUT_ASTRING), "\"NIL\"");
	CHECK_STR(OUT("nil", IMAPCMD_PUT_ASTRING), "\"nil\"");
	CHECK_STR(OUT("", IMAPCMD_PUT_ASTRING), "\"\"");
	CHECK_STR(OUT("a b", IMAPCMD_PUT_ASTRING), "\"a b\"");
	CHECK_STR(OUT("a%b*", IMAPCMD_PUT_ASTRING), "\"a%b*\"");
	CHECK_STR(OUT("\\Seen", IMAPCMD_PUT_ASTRING), "\"\\\\Seen\"");
	CHECK_STR(OUT("a\"b\\c", 0), "\"a\\\"b\\\\c\"");
	CHECK_STR(OUT("\"", 0), "\"\\\"\"");
	CHECK_STR(OUT("x\r\ny", IMAPCMD_PUT_ASTRING), "{4}\r\nx\r\ny");
	CHECK_STR(OUT("x\ry", 0), "{3}\r\nx\ry");
	CHECK_STR(OUT("\xc3\xa9", IMAPCMD_PUT_ASTRING), "{2}\r\n\xc3\xa9");
	CHECK(memcmp(OUT("a\0b", 0), "{3}\r\na", 7) == 0);
	CHECK_STR(out(NULL, 0, IMAPCMD_PUT_NIL), "NIL");
	CHECK_STR(out(NULL, 0, 0), "(error)");
	/* Quoted up to IMAPCMD_QUOTED_MAX, a literal past it. */
	memset(big, 'a', sizeof(big));
	big[10] = ' ';
	w = (char *)out(big, IMAPCMD_QUOTED_MAX, 0);
	CHECK(w[0] == '"' && strlen(w) == IMAPCMD_QUOTED_MAX + 2);
	w = (char *)out(big, IMAPCMD_QUOTED_MAX + 1, 0);
	CHECK(strncmp(w, "{1025}\r\naaaaaaaaaa ", 19) == 0);

	/* The cap: all or nothing. */
	imapcmd_buf_init(&b, 10);
	CHECK(imapcmd_put_string(&b, "abcdefgh", 8, 0) == 0 && b.len == 10);
	errno = 0;
	CHECK(imapcmd_put_string(&b, "x", 1, IMAPCMD_PUT_ASTRING) == -1 &&
	    errno == EMSGSIZE && b.len == 10);
	imapcmd_buf_free(&b);
	imapcmd_buf_init(&b, 9);
	CHECK(imapcmd_put_string(&b, "a\"b\\c", 5, 0) == 0 && b.len == 9 &&
	    memcmp(b.data, "\"a\\\"b\\\\c\"", 9) == 0);
	imapcmd_buf_free(&b);
	imapcmd_buf_init(&b, 8);
	CHECK(imapcmd_put_string(&b, "x\r\ny", 4, 0) == -1 && b.len == 0);
	CHECK(imapcmd_put_string(&b, "a\"b\\c", 5, 0) == -1 && b.len == 0);
	CHECK(imapcmd_buf_printf(&b, "* %u OK", 3U) == 0 &&
	    strcmp(b.data, "* 3 OK") == 0);
	CHECK(imapcmd_buf_printf(&b, "* %u", 3U) == -1 && b.len == 6);
	imapcmd_buf_free(&b);
}

int
main(void)
{
	seqsets();
	mutf7();
	strings();
	output();
	return unit_done();
}
