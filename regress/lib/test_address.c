/*
 * RFC 5321 paths against a golden file: each line of address/paths.in is
 * parsed as a Path; the results, one per line, must equal
 * address/paths.expected.  Plus the limits of section 4.5.3.1.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "unit.h"

static void
golden(void)
{
	FILE		*in, *exp;
	char		 line[1024], want[1024], got[1100];
	const char	*end;
	struct mailaddr	 a;
	int		 n = 0;

	in = fopen("address/paths.in", "r");
	exp = fopen("address/paths.expected", "r");
	CHECK(in != NULL && exp != NULL);
	if (in == NULL || exp == NULL)
		return;
	while (fgets(line, sizeof(line), in) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (addr_parse_path(line, &a, &end) == -1)
			snprintf(got, sizeof(got), "error");
		else
			snprintf(got, sizeof(got), "ok local=%s domain=%s "
			    "rest=%s", a.local, a.domain, end);
		if (fgets(want, sizeof(want), exp) == NULL)
			want[0] = '\0';
		want[strcspn(want, "\n")] = '\0';
		if (strcmp(got, want) != 0)
			fprintf(stderr, "%s\n  got  %s\n  want %s\n", line, got,
			    want);
		CHECK(strcmp(got, want) == 0);
		n++;
	}
	CHECK(n > 30);
	fclose(in);
	fclose(exp);
}

static void
limits(void)
{
	struct mailaddr	 a;
	const char	*end;
	char		 buf[600];

	/* Local part: 64 octets pass, 65 do not. */
	snprintf(buf, sizeof(buf), "<%.*s@example.org>", 64,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	CHECK(addr_parse_path(buf, &a, &end) == 0);
	snprintf(buf, sizeof(buf), "<%.*s@example.org>", 65,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	CHECK(addr_parse_path(buf, &a, &end) == -1);
	/* A label of 64 octets is too long. */
	snprintf(buf, sizeof(buf), "<a@%.*s.org>", 64,
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	CHECK(addr_parse_path(buf, &a, &end) == -1);
	/* A path over 256 octets. */
	memset(buf, 0, sizeof(buf));
	strlcpy(buf, "<a@", sizeof(buf));
	while (strlen(buf) < 260)
		strlcat(buf, "ccccccccc.", sizeof(buf));
	strlcat(buf, "org>", sizeof(buf));
	CHECK(addr_parse_path(buf, &a, &end) == -1);

	CHECK(addr_parse("user@example.org", &a) == 0);
	CHECK_STR(a.local, "user");
	CHECK(addr_parse("user@example.org ", &a) == -1);
	CHECK(addr_parse("@example.org", &a) == -1);
	CHECK(addr_valid_domain("mx.example.org") == 1);
	CHECK(addr_valid_domain("[192.0.2.1]") == 1);
	CHECK(addr_valid_domain("-bad.example") == 0);
	CHECK(addr_valid_domain("") == 0);
	a.local[0] = '\0';
	CHECK(addr_format(&a, buf, sizeof(buf)) == 0 && buf[0] == '\0');
	strlcpy(a.local, "x", sizeof(a.local));
	strlcpy(a.domain, "y.z", sizeof(a.domain));
	addr_format(&a, buf, sizeof(buf));
	CHECK_STR(buf, "x@y.z");
}

int
main(void)
{
	golden();
	limits();
	return unit_done();
}
