/* SASL PLAIN responses: see sasl.h. */

#include <sys/types.h>

#include <string.h>

#include "base64.h"
#include "sasl.h"

int
sasl_plain_decode(const char *b64, char *user, char *pass)
{
	char	 buf[AUTH_NAME_MAX * 2 + AUTH_PASS_MAX + 3];
	char	*authcid, *pw;
	ssize_t	 n;

	if (strcmp(b64, "=") == 0)
		return -1;		/* an empty response holds nothing */
	if ((n = base64_decode(b64, strlen(b64), buf, sizeof(buf) - 1)) < 0)
		return -1;
	buf[n] = '\0';
	if ((authcid = memchr(buf, '\0', n)) == NULL)
		goto fail;
	authcid++;
	if ((pw = memchr(authcid, '\0', n - (authcid - buf))) == NULL)
		goto fail;
	pw++;
	if (memchr(pw, '\0', n - (pw - buf)) != NULL ||
	    strlen(authcid) == 0 || strlen(authcid) > AUTH_NAME_MAX ||
	    strlen(pw) > AUTH_PASS_MAX ||
	    (buf[0] != '\0' && strcmp(buf, authcid) != 0))
		goto fail;
	strlcpy(user, authcid, AUTH_NAME_MAX + 1);
	strlcpy(pass, pw, AUTH_PASS_MAX + 1);
	explicit_bzero(buf, sizeof(buf));
	return 0;
fail:
	explicit_bzero(buf, sizeof(buf));
	return -1;
}
