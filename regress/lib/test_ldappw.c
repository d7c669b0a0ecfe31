/*
 * authd's LDAP password schemes against values made by other tools
 * (Python's hashlib for the SHA family, mkpasswd(1) for crypt(3)): right
 * and wrong passwords, scheme names in any case, bare values, cleartext,
 * malformed and unknown values.  The file under test is compiled in.
 */

#include <string.h>

#include "../../authd/backend_ldap_pw.c"
#include "unit.h"

#define PW	"s3cret pw"

static const char *right[] = {
	"{SHA}r+PQ/OnaVl2XSPhlHUY75Onr1SQ=",
	"{SSHA}SE2ofKjhPLPm7CjHw+uVtSbT1gsBAnNhbHR5/w==",
	"{SHA256}jp2xaZG0kpbmfb9Cwu/0osRVeIEqWOABMaD3Cibk0/I=",
	"{SSHA256}e/JCOVklwqj7pM3ocyHtun7XENJ4p+mGPTvBo3vgozABAnNhbHR5/w==",
	"{SHA384}6C5byvYD7hMdjTYxqwDC4q4TNSRZRE1xlDKwlct6KaS54lglGYQ/bb9UFHOJ"
	    "xYpD",
	"{SSHA384}0xLmMJXn4OjlzWwVmtep8uidT7aU6a/vCgdor3qIBxZG5LHouLWp3o1IwVs"
	    "bnu/sAQJzYWx0ef8=",
	"{SHA512}fx0VZOsGSdL/mml0wLtDC5FwJLcLbRqmGCVn8UCTc12mOHVkyLA8ilKADjtQ"
	    "NX3OExotH51BkMTYgtruFu2CLA==",
	"{SSHA512}V2X0Of9jfNpmQ8L87ohya0ypHHi0Cmq3Hb/3DMwCAHIh/vnstRCU1k1ug/CP"
	    "3z9Io38RMWyKoz/XfhVi0jJPeQECc2FsdHn/",
	"{ssha}SE2ofKjhPLPm7CjHw+uVtSbT1gsBAnNhbHR5/w==",
	"{CRYPT}$2b$05$euscKkVPF3TOl5KDUoOHL.roeTXtZITUFjinHj5PcEQo8xzMjDFfC",
	"{crypt}$6$rounds=1000$Rh0aHY5dY2ZDdgez$2cpXcB/7nFMgsD7ENk5urTEXTkTp/"
	    "Dq4HvS20R9tF/R8TWrAb0uMW2JwAeVPVrFQpmmaiOtA3I3px6Frne3DW/",
#ifndef __OpenBSD__
	"{CRYPT}$1$zIk.jPcG$cH1wtB5JHNri1lihlkbe8/",
#endif
	"{CLEARTEXT}" PW,
	"{cleartext}" PW,
};

static const char *malformed[] = {
	"{SHA}r+PQ/OnaVl2XSPhlHUY75Onr1SQ",	/* padding missing */
	"{SHA}SE2ofKjhPLPm7CjHw+uVtSbT1gsBAnNhbHR5/w==",  /* salted, as SHA */
	"{SSHA}r+PQ/OnaVl2XSPhlHUY75Onr1SQ=",	/* no salt */
	"{SSHA}!!!!",
	"{SHA512}r+PQ/OnaVl2XSPhlHUY75Onr1SQ=",	/* a SHA-1 digest */
	"{MD5}X03MO1qnZdYdgyfeuILPmQ==",	/* not a scheme of ours */
	"{PBKDF2}x",
	"{CRYPT}",
	"{CRYPT}*",
	"{CLEARTEXT}",
};

int
main(void)
{
	size_t	i;

	for (i = 0; i < nitems(right); i++) {
		CHECK(ldap_pw_check(PW, right[i], 0) == LDAP_PW_RIGHT);
		CHECK(ldap_pw_check(PW, right[i], 1) == LDAP_PW_RIGHT);
		CHECK(ldap_pw_check(PW "x", right[i], 0) == LDAP_PW_WRONG);
		CHECK(ldap_pw_check("s3cret pW", right[i], 0) ==
		    LDAP_PW_WRONG);
		CHECK(ldap_pw_check("", right[i], 0) == LDAP_PW_WRONG);
	}
	for (i = 0; i < nitems(malformed); i++)
		CHECK(ldap_pw_check(PW, malformed[i], 0) == LDAP_PW_UNKNOWN);
	/* bare: cleartext only from LDAP_CLEARPW, crypt(3) otherwise */
	CHECK(ldap_pw_check(PW, PW, 1) == LDAP_PW_RIGHT);
	CHECK(ldap_pw_check(PW "x", PW, 1) == LDAP_PW_WRONG);
	CHECK(ldap_pw_check(PW, PW, 0) != LDAP_PW_RIGHT);
	CHECK(ldap_pw_check(PW, "$2b$05$euscKkVPF3TOl5KDUoOHL.roeTXtZITUFjinH"
	    "j5PcEQo8xzMjDFfC", 0) == LDAP_PW_RIGHT);
	/* a prefix of the right cleartext is wrong, and vice versa */
	CHECK(ldap_pw_check("s3cret", "{CLEARTEXT}" PW, 0) == LDAP_PW_WRONG);
	CHECK(ldap_pw_check(PW " and more", "{CLEARTEXT}" PW, 0) ==
	    LDAP_PW_WRONG);
	/* what may be cached */
	CHECK(ldap_pw_is_clear("{CLEARTEXT}x", 0));
	CHECK(ldap_pw_is_clear("{cleartext}x", 1));
	CHECK(ldap_pw_is_clear("bare", 1));
	CHECK(!ldap_pw_is_clear("bare", 0));
	CHECK(!ldap_pw_is_clear("{SSHA}x", 1));
	CHECK(!ldap_pw_is_clear("{CRYPT}$2b$x", 1));
	return unit_done();
}
