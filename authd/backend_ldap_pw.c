/*
 * Password values as LDAP directories store them (RFC 2307 and the
 * schemes OpenLDAP's slappasswd and pw-sha2 write):
 *
 *	{CRYPT}hash		crypt(3): bcrypt, sha512-crypt, md5-crypt...
 *	{SHA}b64		SHA-1 of the password
 *	{SSHA}b64		SHA-1 of password + salt, then the salt
 *	{SHA256} {SSHA256} {SHA384} {SSHA384} {SHA512} {SSHA512}
 *	{CLEARTEXT}word		the password itself
 *
 * SHA digests come from the BSD API (<sha1.h>, <sha2.h>): libc on
 * OpenBSD, libmd on Linux.  Digests are compared in constant time, and
 * cleartext is compared as the SHA-512 of both sides, so that neither the
 * place of the first difference nor the length shows in the timing.
 */

#include <sys/types.h>

#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifndef __OpenBSD__
#include <crypt.h>
#endif
#include <sha1.h>
#include <sha2.h>

#include "backend_ldap.h"
#include "base64.h"
#include "compat.h"

#define PW_DIGEST_MAX	SHA512_DIGEST_LENGTH
#define PW_SALT_MAX	64	/* octets of salt after the digest */

typedef void	(*pw_hash_fn)(const char *, const uint8_t *, size_t,
		    uint8_t *);

struct pw_scheme {
	const char	*name;		/* between the braces */
	size_t		 dlen;		/* digest length */
	int		 salted;
	pw_hash_fn	 hash;		/* NULL: crypt or cleartext */
};

static void	pw_sha1(const char *, const uint8_t *, size_t, uint8_t *);
static void	pw_sha256(const char *, const uint8_t *, size_t, uint8_t *);
static void	pw_sha384(const char *, const uint8_t *, size_t, uint8_t *);
static void	pw_sha512(const char *, const uint8_t *, size_t, uint8_t *);
static int	ct_memeq(const void *, const void *, size_t);
static enum ldap_pw_result pw_digest(const struct pw_scheme *,
		    const char *, const char *);
static enum ldap_pw_result pw_crypt(const char *, const char *);
static enum ldap_pw_result pw_clear(const char *, const char *);
static const struct pw_scheme *pw_scheme(const char *, const char **);

static const struct pw_scheme	schemes[] = {
	{ "CRYPT", 0, 0, NULL },
	{ "CLEARTEXT", 0, 0, NULL },
	{ "SHA", SHA1_DIGEST_LENGTH, 0, pw_sha1 },
	{ "SSHA", SHA1_DIGEST_LENGTH, 1, pw_sha1 },
	{ "SHA256", SHA256_DIGEST_LENGTH, 0, pw_sha256 },
	{ "SSHA256", SHA256_DIGEST_LENGTH, 1, pw_sha256 },
	{ "SHA384", SHA384_DIGEST_LENGTH, 0, pw_sha384 },
	{ "SSHA384", SHA384_DIGEST_LENGTH, 1, pw_sha384 },
	{ "SHA512", SHA512_DIGEST_LENGTH, 0, pw_sha512 },
	{ "SSHA512", SHA512_DIGEST_LENGTH, 1, pw_sha512 }
};

static void
pw_sha1(const char *pass, const uint8_t *salt, size_t slen, uint8_t *out)
{
	SHA1_CTX	ctx;

	SHA1Init(&ctx);
	SHA1Update(&ctx, (const uint8_t *)pass, strlen(pass));
	SHA1Update(&ctx, salt, slen);
	SHA1Final(out, &ctx);
	explicit_bzero(&ctx, sizeof(ctx));
}

static void
pw_sha256(const char *pass, const uint8_t *salt, size_t slen, uint8_t *out)
{
	SHA2_CTX	ctx;

	SHA256Init(&ctx);
	SHA256Update(&ctx, (const uint8_t *)pass, strlen(pass));
	SHA256Update(&ctx, salt, slen);
	SHA256Final(out, &ctx);
	explicit_bzero(&ctx, sizeof(ctx));
}

static void
pw_sha384(const char *pass, const uint8_t *salt, size_t slen, uint8_t *out)
{
	SHA2_CTX	ctx;

	SHA384Init(&ctx);
	SHA384Update(&ctx, (const uint8_t *)pass, strlen(pass));
	SHA384Update(&ctx, salt, slen);
	SHA384Final(out, &ctx);
	explicit_bzero(&ctx, sizeof(ctx));
}

static void
pw_sha512(const char *pass, const uint8_t *salt, size_t slen, uint8_t *out)
{
	SHA2_CTX	ctx;

	SHA512Init(&ctx);
	SHA512Update(&ctx, (const uint8_t *)pass, strlen(pass));
	SHA512Update(&ctx, salt, slen);
	SHA512Final(out, &ctx);
	explicit_bzero(&ctx, sizeof(ctx));
}

/* Every octet is looked at, whatever the first difference. */
static int
ct_memeq(const void *a, const void *b, size_t len)
{
	const unsigned char	*x = a, *y = b;
	unsigned char		 d = 0;
	size_t			 i;

	for (i = 0; i < len; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

/* The scheme of "{NAME}rest" and where rest starts; NULL: no braces. */
static const struct pw_scheme *
pw_scheme(const char *value, const char **rest)
{
	static const struct pw_scheme	unknown = { "?", 0, 0, NULL };
	const char			*end;
	size_t				 i, len;

	if (value[0] != '{' || (end = strchr(value, '}')) == NULL)
		return NULL;
	*rest = end + 1;
	len = end - value - 1;
	for (i = 0; i < nitems(schemes); i++)
		if (strlen(schemes[i].name) == len &&
		    strncasecmp(schemes[i].name, value + 1, len) == 0)
			return &schemes[i];
	return &unknown;
}

static enum ldap_pw_result
pw_digest(const struct pw_scheme *s, const char *pass, const char *b64)
{
	uint8_t		raw[PW_DIGEST_MAX + PW_SALT_MAX], mine[PW_DIGEST_MAX];
	ssize_t		n;
	int		ok;

	n = base64_decode(b64, strlen(b64), raw, sizeof(raw));
	if (n == -1 || (size_t)n < s->dlen || (!s->salted &&
	    (size_t)n != s->dlen) || (s->salted && (size_t)n == s->dlen))
		return LDAP_PW_UNKNOWN;
	s->hash(pass, raw + s->dlen, n - s->dlen, mine);
	ok = ct_memeq(raw, mine, s->dlen);
	explicit_bzero(mine, sizeof(mine));
	return ok ? LDAP_PW_RIGHT : LDAP_PW_WRONG;
}

/* crypt(3) needs not be reentrant: a worker answers one request. */
static enum ldap_pw_result
pw_crypt(const char *pass, const char *hash)
{
	const char	*res;

	if (hash[0] == '\0' || (res = crypt(pass, hash)) == NULL ||
	    res[0] == '*' || res[0] == '\0')
		return LDAP_PW_UNKNOWN;
	if (strlen(res) != strlen(hash))
		return LDAP_PW_WRONG;
	return ct_memeq(res, hash, strlen(hash)) ? LDAP_PW_RIGHT :
	    LDAP_PW_WRONG;
}

static enum ldap_pw_result
pw_clear(const char *pass, const char *word)
{
	uint8_t	a[SHA512_DIGEST_LENGTH], b[SHA512_DIGEST_LENGTH];
	int	ok;

	if (word[0] == '\0')
		return LDAP_PW_UNKNOWN;
	pw_sha512(pass, NULL, 0, a);
	pw_sha512(word, NULL, 0, b);
	ok = ct_memeq(a, b, sizeof(a));
	explicit_bzero(a, sizeof(a));
	explicit_bzero(b, sizeof(b));
	return ok ? LDAP_PW_RIGHT : LDAP_PW_WRONG;
}

enum ldap_pw_result
ldap_pw_check(const char *pass, const char *value, int bare_clear)
{
	const struct pw_scheme	*s;
	const char		*rest;

	if ((s = pw_scheme(value, &rest)) == NULL)
		return bare_clear ? pw_clear(pass, value) :
		    pw_crypt(pass, value);
	if (s->hash != NULL)
		return pw_digest(s, pass, rest);
	if (strcmp(s->name, "CRYPT") == 0)
		return pw_crypt(pass, rest);
	if (strcmp(s->name, "CLEARTEXT") == 0)
		return pw_clear(pass, rest);
	return LDAP_PW_UNKNOWN;
}

int
ldap_pw_is_clear(const char *value, int bare_clear)
{
	const struct pw_scheme	*s;
	const char		*rest;

	if ((s = pw_scheme(value, &rest)) == NULL)
		return bare_clear;
	return strcmp(s->name, "CLEARTEXT") == 0;
}
