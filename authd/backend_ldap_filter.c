/*
 * The login a client sends, made into an LDAP filter.  Every octet that
 * could change the meaning of a filter is escaped as RFC 4515 says, so a
 * login of "*", "a*" or "x)(uid=*" matches only an entry whose mail is
 * literally that; a NUL is refused before any LDAP traffic.
 */

#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "backend_ldap.h"

int
ldap_login_make(const char *user, size_t len, const char *domain,
    char *dst, size_t dstsize)
{
	int	n;

	if (len == 0 || memchr(user, '\0', len) != NULL ||
	    len > LDAP_LOGIN_MAX)
		return -1;
	if (domain != NULL && domain[0] != '\0' &&
	    memchr(user, '@', len) == NULL)
		n = snprintf(dst, dstsize, "%.*s@%s", (int)len, user, domain);
	else
		n = snprintf(dst, dstsize, "%.*s", (int)len, user);
	if (n < 0 || (size_t)n >= dstsize || n > LDAP_LOGIN_MAX)
		return -1;
	return 0;
}

ssize_t
ldap_filter_escape(const char *src, size_t len, char *dst, size_t dstsize)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*s = (const unsigned char *)src;
	size_t			 i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\0')
			return -1;
		if (s[i] > ' ' && s[i] < 0x7f && s[i] != '*' &&
		    s[i] != '(' && s[i] != ')' && s[i] != '\\') {
			if (o + 1 >= dstsize)
				return -1;
			dst[o++] = s[i];
			continue;
		}
		if (o + 3 >= dstsize)
			return -1;
		dst[o++] = '\\';
		dst[o++] = hex[s[i] >> 4];
		dst[o++] = hex[s[i] & 0xf];
	}
	if (o >= dstsize)
		return -1;
	dst[o] = '\0';
	return o;
}

int
ldap_filter_build(const char *attr, const char *login, const char *extra,
    char *dst, size_t dstsize)
{
	char	esc[3 * LDAP_LOGIN_MAX + 1];
	int	n;

	if (ldap_filter_escape(login, strlen(login), esc, sizeof(esc)) == -1)
		return -1;
	if (extra != NULL && extra[0] != '\0')
		n = snprintf(dst, dstsize, "(&(%s=%s)%s)", attr, esc, extra);
	else
		n = snprintf(dst, dstsize, "(%s=%s)", attr, esc);
	return (n < 0 || (size_t)n >= dstsize) ? -1 : 0;
}

/* A sanity check of LDAP_FILTER at start-up; slapd judges the rest. */
int
ldap_filter_balanced(const char *f)
{
	int	depth = 0;

	if (f[0] != '(')
		return 0;
	for (; *f != '\0'; f++) {
		if (*f == '(')
			depth++;
		else if (*f == ')') {
			if (--depth < 0)
				return 0;
		} else if (depth == 0)
			return 0;	/* text outside the parentheses */
		else if (*f == '\\' && *++f == '\0')
			return 0;
	}
	return depth == 0;
}
