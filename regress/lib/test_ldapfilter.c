/*
 * authd's LDAP login and filter escaping (RFC 4515): the logins of the
 * injection tests, NUL, octets outside printable ASCII, lengths at and
 * over the limits, LDAP_DOMAIN, and the LDAP_FILTER balance check.
 * The file under test is authd's own, compiled in.
 */

#include <string.h>

#include "../../authd/backend_ldap_filter.c"
#include "unit.h"

static const char *escapes[][2] = {
	{ "ana@example.org", "ana@example.org" },
	{ "*", "\\2a" },
	{ "a*", "a\\2a" },
	{ "x)(uid=*", "x\\29\\28uid=\\2a" },
	{ "\\00", "\\5c00" },
	{ "(|(mail=*))", "\\28|\\28mail=\\2a\\29\\29" },
	{ "sp ace", "sp\\20ace" },
	{ "tab\there", "tab\\09here" },
	{ "del\x7f", "del\\7f" },
	{ "\xc3\xb1" "and\xc3\xba", "\\c3\\b1and\\c3\\ba" },
	{ "", "" },
};

static void
test_escape(void)
{
	char	out[64], big[3 * LDAP_LOGIN_MAX + 1], in[LDAP_LOGIN_MAX];
	size_t	i;

	for (i = 0; i < nitems(escapes); i++) {
		CHECK(ldap_filter_escape(escapes[i][0], strlen(escapes[i][0]),
		    out, sizeof(out)) == (ssize_t)strlen(escapes[i][1]));
		CHECK_STR(out, escapes[i][1]);
	}
	/* NUL is refused wherever it stands */
	CHECK(ldap_filter_escape("a\0b", 3, out, sizeof(out)) == -1);
	CHECK(ldap_filter_escape("\0", 1, out, sizeof(out)) == -1);
	/* the output never overruns, and says so */
	CHECK(ldap_filter_escape("abc", 3, out, 3) == -1);
	CHECK(ldap_filter_escape("abc", 3, out, 4) == 3);
	CHECK(ldap_filter_escape("*", 1, out, 3) == -1);
	CHECK(ldap_filter_escape("*", 1, out, 4) == 3);
	/* the worst case of a longest login fits LDAP_FILTER_MAX's part */
	memset(in, '*', sizeof(in));
	CHECK(ldap_filter_escape(in, sizeof(in), big, sizeof(big)) ==
	    3 * LDAP_LOGIN_MAX);
}

static void
test_login(void)
{
	char	out[LDAP_LOGIN_MAX + 1], in[LDAP_LOGIN_MAX + 2];

	CHECK(ldap_login_make("ana", 3, "example.org", out, sizeof(out)) == 0);
	CHECK_STR(out, "ana@example.org");
	CHECK(ldap_login_make("ana@other.org", 13, "example.org", out,
	    sizeof(out)) == 0);
	CHECK_STR(out, "ana@other.org");
	CHECK(ldap_login_make("ana", 3, "", out, sizeof(out)) == 0);
	CHECK_STR(out, "ana");
	CHECK(ldap_login_make("ana", 3, NULL, out, sizeof(out)) == 0);
	CHECK(ldap_login_make("", 0, "example.org", out, sizeof(out)) == -1);
	CHECK(ldap_login_make("a\0b", 3, NULL, out, sizeof(out)) == -1);
	memset(in, 'a', sizeof(in));
	in[sizeof(in) - 1] = '\0';
	/* 255 octets pass, 256 do not; nor 250 + "@" + a domain */
	CHECK(ldap_login_make(in, LDAP_LOGIN_MAX, NULL, out,
	    sizeof(out)) == 0);
	CHECK(strlen(out) == LDAP_LOGIN_MAX);
	CHECK(ldap_login_make(in, LDAP_LOGIN_MAX + 1, NULL, out,
	    sizeof(out)) == -1);
	CHECK(ldap_login_make(in, 250, "example.org", out, sizeof(out)) == -1);
	CHECK(ldap_login_make(in, 243, "example.org", out, sizeof(out)) == 0);
}

static void
test_build(void)
{
	char	out[LDAP_FILTER_MAX];

	CHECK(ldap_filter_build("mail", "ana@example.org", "(!(quota=-1))",
	    out, sizeof(out)) == 0);
	CHECK_STR(out, "(&(mail=ana@example.org)(!(quota=-1)))");
	CHECK(ldap_filter_build("mail", "x)(uid=*", NULL, out,
	    sizeof(out)) == 0);
	CHECK_STR(out, "(mail=x\\29\\28uid=\\2a)");
	CHECK(ldap_filter_build("mail", "a", "", out, sizeof(out)) == 0);
	CHECK_STR(out, "(mail=a)");
	CHECK(ldap_filter_build("mail", "abc", NULL, out, 8) == -1);
}

static void
test_balanced(void)
{
	CHECK(ldap_filter_balanced("(!(quota=-1))"));
	CHECK(ldap_filter_balanced("(objectClass=CourierMailAccount)"));
	CHECK(ldap_filter_balanced("(a=1)(b=2)"));
	CHECK(ldap_filter_balanced("(cn=a\\29b)"));
	CHECK(!ldap_filter_balanced("(a=1"));
	CHECK(!ldap_filter_balanced("(a=1))"));
	CHECK(!ldap_filter_balanced("a=1"));
	CHECK(!ldap_filter_balanced("(a=1)x"));
	CHECK(!ldap_filter_balanced("(a=1\\"));
	CHECK(!ldap_filter_balanced(""));
}

int
main(void)
{
	test_escape();
	test_login();
	test_build();
	test_balanced();
	return unit_done();
}
