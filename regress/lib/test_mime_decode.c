/*
 * Unit tests of lib/mime's decoding: Content-Type parameters (RFC 2045,
 * RFC 2231), RFC 2047 encoded words, charsets through iconv(3), the
 * streaming quoted-printable/base64 decoder, and RFC 5322 dates.  The
 * expected strings are written by hand from the RFCs' own examples where
 * they have some (RFC 2047 section 8, RFC 2231 sections 3-4, RFC 5322
 * appendix A).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "mime.h"
#include "xmalloc.h"
#include "unit.h"

static void	test_ctype(void);
static void	test_rfc2231(void);
static void	test_words(void);
static void	test_charsets(void);
static void	collect(void *, const char *, size_t);
static char	*decode(const char *, const char *, const char *, size_t);
static void	test_decoder(void);
static void	test_dates(void);

static void
test_ctype(void)
{
	struct mime_ctype	 ct;
	const struct mime_param	*p;

	CHECK(mime_ctype_parse("Text/HTML (a comment) ; Charset=\"utf-8\";"
	    " format = flowed", 1, &ct) == 0);
	CHECK_STR(ct.type, "Text");
	CHECK_STR(ct.subtype, "HTML");
	CHECK(ct.nparams == 2);
	CHECK((p = mime_param_find(&ct, "charset")) != NULL);
	CHECK_STR(p->value, "utf-8");
	CHECK_STR(ct.params[0].name, "Charset");
	CHECK((p = mime_param_find(&ct, "FORMAT")) != NULL);
	CHECK_STR(p->value, "flowed");
	mime_ctype_free(&ct);
	CHECK(mime_ctype_parse("multipart/mixed; boundary=\"a \\\"b\\\" c\"",
	    1, &ct) == 0);
	CHECK_STR(mime_param_find(&ct, "boundary")->value, "a \"b\" c");
	mime_ctype_free(&ct);
	CHECK(mime_ctype_parse("text", 1, &ct) == -1);
	CHECK(mime_ctype_parse("/plain", 1, &ct) == -1);
	CHECK(mime_ctype_parse("", 1, &ct) == -1);
	CHECK(mime_ctype_parse("attachment; filename=a.txt", 0, &ct) == 0);
	CHECK_STR(ct.type, "attachment");
	CHECK(ct.subtype == NULL);
	CHECK_STR(mime_param_find(&ct, "filename")->value, "a.txt");
	mime_ctype_free(&ct);
	/* A broken parameter ends the list; the type still counts. */
	CHECK(mime_ctype_parse("text/plain; charset", 1, &ct) == 0);
	CHECK(ct.nparams == 0);
	mime_ctype_free(&ct);
}

/* RFC 2231 sections 3 and 4, with their examples. */
static void
test_rfc2231(void)
{
	struct mime_ctype	 ct;
	const struct mime_param	*p;
	char			*v;

	CHECK(mime_ctype_parse("message/external-body; access-type=URL;\r\n"
	    " URL*0=\"ftp://\";\r\n URL*1=\"cs.utk.edu/pub/moore/"
	    "bulk-mailer/bulk-mailer.tar\"", 1, &ct) == 0);
	CHECK((p = mime_param_find(&ct, "url")) != NULL);
	CHECK_STR(p->name, "URL");
	CHECK_STR(p->value,
	    "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar");
	mime_ctype_free(&ct);
	CHECK(mime_ctype_parse("application/x-stuff;\r\n title*=us-ascii'en-us'"
	    "This%20is%20%2A%2A%2Afun%2A%2A%2A", 1, &ct) == 0);
	p = mime_param_find(&ct, "title");
	CHECK(p != NULL && strcmp(p->name, "title*") == 0);
	v = mime_param_decode(p);
	CHECK_STR(v, "This is ***fun***");
	free(v);
	mime_ctype_free(&ct);
	/* Sections out of order, mixing encoded and plain ones. */
	CHECK(mime_ctype_parse("application/x-stuff; title*2=\"isn't it!\";"
	    " title*1*=%2A%2A%2Afun%2A%2A%2A%20;"
	    " title*0*=us-ascii'en'This%20is%20even%20more%20", 1, &ct) == 0);
	p = mime_param_find(&ct, "title");
	CHECK(ct.nparams == 1 && p != NULL);
	v = mime_param_decode(p);
	CHECK_STR(v, "This is even more ***fun*** isn't it!");
	free(v);
	mime_ctype_free(&ct);
	/* A charset to convert, and a section without its start. */
	CHECK(mime_ctype_parse("attachment; filename*=iso-8859-1''"
	    "M%FCnchen.txt; name*1=lost", 0, &ct) == 0);
	CHECK(ct.nparams == 1);
	v = mime_param_decode(mime_param_find(&ct, "filename"));
	CHECK_STR(v, "M\xc3\xbc" "nchen.txt");
	free(v);
	mime_ctype_free(&ct);
	/* A plain value may hold RFC 2047 words (as many mailers send). */
	CHECK(mime_ctype_parse("attachment; filename=\"=?UTF-8?Q?caf=C3=A9"
	    ".txt?=\"", 0, &ct) == 0);
	v = mime_param_decode(mime_param_find(&ct, "filename"));
	CHECK_STR(v, "caf\xc3\xa9.txt");
	free(v);
	mime_ctype_free(&ct);
}

static void
test_words(void)
{
	/* RFC 2047 section 8, "encoded-word" column and display. */
	static const char *const cases[][2] = {
		{ "(=?ISO-8859-1?Q?a?=)", "(a)" },
		{ "(=?ISO-8859-1?Q?a?= b)", "(a b)" },
		{ "(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)" },
		{ "(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)" },
		{ "(=?ISO-8859-1?Q?a?=\t=?ISO-8859-1?Q?b?=)", "(ab)" },
		{ "(=?ISO-8859-1?Q?a_b?=)", "(a b)" },
		{ "(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)" },
		{ "=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=",
		    "Keld J\xc3\xb8rn Simonsen" },
		{ "=?ISO-8859-1?Q?Andr=E9?= Pirard", "Andr\xc3\xa9 Pirard" },
		{ "=?US-ASCII?Q?Keith_Moore?=", "Keith Moore" },
		{ "=?UTF-8?B?R3LDvMOfZQ==?= und =?ISO-8859-1?Q?Gr=FC=DFe?=",
		    "Gr\xc3\xbc\xc3\x9f" "e und Gr\xc3\xbc\xc3\x9f" "e" },
		/* A character split over two words of one charset. */
		{ "=?UTF-8?B?w6k=?= =?UTF-8?B?w6nD?= =?UTF-8?B?qQ==?=",
		    "\xc3\xa9\xc3\xa9\xc3\xa9" },
		/* RFC 2231 language in a word. */
		{ "=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore" },
		/* Not words: left as they are. */
		{ "=?utf-8?X?abc?=", "=?utf-8?X?abc?=" },
		{ "=?utf-8?Q?a b?=", "=?utf-8?Q?a b?=" },
		{ "a=?utf-8?Q?x", "a=?utf-8?Q?x" },
		{ "plain text", "plain text" },
		{ "", "" },
		/* Unknown charset: the decoded octets as they are. */
		{ "=?x-unknown?Q?caf=E9?=", "caf\xe9" },
		{ "=?windows-1252?Q?=80_5?=", "\xe2\x82\xac 5" },
	};
	size_t	 i;
	char	*v;

	for (i = 0; i < nitems(cases); i++) {
		v = mime_decode_words(cases[i][0], strlen(cases[i][0]));
		CHECK_STR(v, cases[i][1]);
		free(v);
	}
}

static void
test_charsets(void)
{
	static const char *const cases[][3] = {
		{ "ISO-8859-1", "\xe9t\xe9", "\xc3\xa9t\xc3\xa9" },
		{ "iso-8859-15", "\xa4", "\xe2\x82\xac" },
		{ "ISO-8859-2", "\xb1", "\xc4\x85" },
		{ "ISO-8859-5", "\xb0", "\xd0\x90" },
		{ "windows-1252", "\x93q\x94", "\xe2\x80\x9cq\xe2\x80\x9d" },
		{ "windows-1251", "\xc0", "\xd0\x90" },
		{ "windows-1250", "\x8a", "\xc5\xa0" },
		{ "UTF-8", "\xc3\xa9", "\xc3\xa9" },
		{ "us-ascii", "abc", "abc" },
		{ "no-such-charset", "\xff\xfe", "\xff\xfe" },
		{ NULL, "raw\x80", "raw\x80" },
	};
	size_t	 i;
	char	*v;

	for (i = 0; i < nitems(cases); i++) {
		v = mime_charset_utf8(cases[i][0], cases[i][1],
		    strlen(cases[i][1]));
		CHECK_STR(v, cases[i][2]);
		free(v);
	}
	/* An invalid sequence becomes U+FFFD, the rest still converts. */
	v = mime_charset_utf8("ANSI_X3.4-1968", "a\xff" "b", 3);
	CHECK_STR(v, "a\xef\xbf\xbd" "b");
	free(v);
}

static void
collect(void *arg, const char *p, size_t n)
{
	mime_buf_add(arg, p, n);
}

/* Decodes src fed in pieces of step octets (0: all at once). */
static char *
decode(const char *cte, const char *charset, const char *src, size_t step)
{
	struct mime_decoder	*d;
	struct mime_buf		 b;
	size_t			 i, n, len = strlen(src);

	mime_buf_init(&b);
	mime_buf_add(&b, "", 0);
	d = mime_decoder_new(cte, charset);
	for (i = 0; i < len; i += n) {
		n = step == 0 || len - i < step ? len - i : step;
		mime_decoder_feed(d, src + i, n, collect, &b);
	}
	mime_decoder_end(d, collect, &b);
	mime_decoder_free(d);
	return b.data;
}

static void
test_decoder(void)
{
	static const char *const cases[][4] = {
		{ "quoted-printable", "utf-8", "Caf=C3=A9 cr=C3=A8me, soft=\n"
		    "break here.=\r\nX=3d=\n", "Caf\xc3\xa9 cr\xc3\xa8me, "
		    "softbreak here.X=" },
		{ "Quoted-Printable", "iso-8859-1", "Gr=FC=DFe =ZZ a=3",
		    "Gr\xc3\xbc\xc3\x9f" "e =ZZ a=3" },
		{ "base64", "utf-8", "R3LDvMOf\nZSBhdXMg\r\nS8O2bG4=\n",
		    "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln" },
		{ "BASE64", "iso-8859-1", "R3L8\n3w==", "Gr\xc3\xbc\xc3\x9f" },
		{ "base64", NULL, "!!aGVs*bG8=", "hello" },
		{ "7bit", "windows-1252", "Stra\xdf" "e \x80", "Stra\xc3\x9f"
		    "e \xe2\x82\xac" },
		{ NULL, "x-unknown", "raw \xff", "raw \xff" },
		{ "x-uuencode", NULL, "as is", "as is" },
		{ "base64", "UTF-16LE", "YQBiAA==", "ab" },
	};
	size_t	 i, step;
	char	*v;

	for (i = 0; i < nitems(cases); i++)
		for (step = 0; step <= 3; step++) {
			v = decode(cases[i][0], cases[i][1], cases[i][2],
			    step);
			CHECK_STR(v, cases[i][3]);
			free(v);
		}
	/* A multibyte sequence cut at the end of input becomes U+FFFD. */
	v = decode("base64", "UTF-16LE", "YQBi", 1);
	CHECK_STR(v, "a\xef\xbf\xbd");
	free(v);
}

static void
test_dates(void)
{
	struct mime_date	d;

	CHECK(mime_date_parse("Fri, 21 Nov 1997 09:55:06 -0600", &d) == 0);
	CHECK(d.year == 1997 && d.mon == 11 && d.mday == 21);
	CHECK(d.hour == 9 && d.min == 55 && d.sec == 6 && d.zone == -360);
	CHECK(d.utc == 880127706);
	CHECK(mime_date_parse("1 Jan 1970 00:00:00 +0000", &d) == 0);
	CHECK(d.utc == 0);
	/* RFC 5322 A.5 and A.6.2: comments, obsolete year and zone. */
	CHECK(mime_date_parse("Thu,\r\n 13\r\n   Feb\r\n     1969\r\n"
	    " 23:32\r\n  -0330 (Newfoundland Time)", &d) == 0);
	CHECK(d.year == 1969 && d.mon == 2 && d.mday == 13 && d.sec == 0);
	CHECK(d.zone == -210 && d.utc == -27723480);
	CHECK(mime_date_parse("21 Nov 97 09:55:06 GMT", &d) == 0);
	CHECK(d.year == 1997 && d.zone == 0);
	CHECK(mime_date_parse("5 Jan 23 12:00 EST", &d) == 0);
	CHECK(d.year == 2023 && d.zone == -300 && d.hour == 12);
	CHECK(mime_date_parse("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)", &d) ==
	    0);
	CHECK(d.utc == 837595405);
	CHECK(mime_date_parse("1 Jan 100 00:00:00 +0000", &d) == 0);
	CHECK(d.year == 2000);
	CHECK(mime_date_parse("29 Feb 2024 23:59:60 +1400", &d) == 0);
	CHECK(mime_date_parse("1 January 2024 10:00 +0100", &d) == 0);
	CHECK(d.mon == 1 && d.utc == 1704099600);
	CHECK(mime_date_parse("31 Dec 2023 10:00 XYZ", &d) == 0);
	CHECK(d.zone == 0);
	CHECK(mime_date_parse("", &d) == -1);
	CHECK(mime_date_parse("yesterday", &d) == -1);
	CHECK(mime_date_parse("32 Jan 2024 10:00 +0000", &d) == -1);
	CHECK(mime_date_parse("1 Foo 2024 10:00 +0000", &d) == -1);
	CHECK(mime_date_parse("1 Jan 2024 24:00 +0000", &d) == -1);
	CHECK(mime_date_parse("1 Jan 2024 10:60 +0000", &d) == -1);
	CHECK(mime_date_parse("1 Jan 2024 10:00 +0099", &d) == -1);
	CHECK(mime_date_parse("1 Jan 2024", &d) == -1);
	CHECK(mime_date_parse("1 Jan 12345 10:00 +0000", &d) == -1);
}

int
main(void)
{
	test_ctype();
	test_rfc2231();
	test_words();
	test_charsets();
	test_decoder();
	test_dates();
	return unit_done();
}
