/*
 * AUTH PLAIN and LOGIN (RFC 4954, RFC 4616), checked by authd with the
 * service name "smtp".  Offered only over TLS, or in clear to the
 * auth_plaintext_networks.  Secrets are zeroed after use and never
 * logged.
 */

#include <sys/types.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "authclient.h"
#include "base64.h"
#include "iobuf.h"
#include "log.h"
#include "smtpd.h"

#define AUTH_BUF_MAX	(AUTH_NAME_MAX + AUTH_PASS_MAX * 2 + 3)

static int	auth_read(struct smtp_session *, const char *, char *, size_t,
		    ssize_t *);
static void	auth_plain(struct smtp_session *, char *);
static void	auth_login(struct smtp_session *, char *);
static void	auth_check(struct smtp_session *, const char *, const char *);

/* Decodes one base64 answer; -1 after a reply. */
static int
auth_decode(struct smtp_session *s, const char *in, char *out, size_t len,
    ssize_t *outlen)
{
	if (strcmp(in, "*") == 0) {
		smtp_error(s, "501 5.0.0 Authentication cancelled");
		return -1;
	}
	if ((*outlen = base64_decode(in, strlen(in), out, len - 1)) == -1) {
		smtp_error(s, "501 5.5.2 Cannot decode response");
		return -1;
	}
	out[*outlen] = '\0';
	return 0;
}

/* Sends the 334 challenge and reads the answer line. */
static int
auth_read(struct smtp_session *s, const char *challenge, char *out,
    size_t len, ssize_t *outlen)
{
	enum iobuf_result	 r;
	char			*line;
	size_t			 n;
	int			 flags;

	smtp_reply(s, "334 %s", challenge);
	if (smtp_flush(s) == -1)
		return -1;
	r = iobuf_getline(s->io, &line, &n, &flags);
	if (r == IOBUF_TOOLONG) {
		smtp_error(s, "500 5.5.2 Line too long");
		return -1;
	}
	if (r == IOBUF_TIMEOUT) {
		smtp_reply(s, "421 4.4.2 %s Timeout, closing connection",
		    s->conf->hostname);
		smtp_close(s, "timeout");
		return -1;
	}
	if (r != IOBUF_OK || (flags & IOBUF_PARTIAL)) {
		smtp_close(s, "eof");
		return -1;
	}
	if (flags & (IOBUF_NUL | IOBUF_BARELF | IOBUF_BARECR)) {
		explicit_bzero(line, n);
		smtp_error(s, "500 5.5.2 Bad characters in response");
		return -1;
	}
	r = auth_decode(s, line, out, len, outlen);
	explicit_bzero(line, n);
	return r == 0 ? 0 : -1;
}

void
smtp_auth(struct smtp_session *s, char *args)
{
	char	*mech, *initial;

	if (!smtp_auth_allowed(s)) {
		smtp_error(s, "538 5.7.11 Encryption required for requested "
		    "authentication mechanism");
		return;
	}
	if (s->user[0] != '\0') {
		smtp_error(s, "503 5.5.1 Already authenticated");
		return;
	}
	mech = args;
	if ((initial = strchr(args, ' ')) != NULL)
		*initial++ = '\0';
	if (strcasecmp(mech, "PLAIN") == 0)
		auth_plain(s, initial);
	else if (strcasecmp(mech, "LOGIN") == 0)
		auth_login(s, initial);
	else
		smtp_error(s, "504 5.5.4 Unrecognized authentication type");
	if (initial != NULL)
		explicit_bzero(initial, strlen(initial));
}

/* authzid NUL authcid NUL passwd (RFC 4616). */
static void
auth_plain(struct smtp_session *s, char *initial)
{
	char		 buf[AUTH_BUF_MAX + 1], *authz, *user, *pass;
	ssize_t		 n;
	int		 rv;

	if (initial != NULL && strcmp(initial, "=") == 0)
		initial = (char *)"";
	if (initial != NULL)
		rv = auth_decode(s, initial, buf, sizeof(buf), &n);
	else
		rv = auth_read(s, "", buf, sizeof(buf), &n);
	if (rv == -1)
		goto done;
	authz = buf;
	if ((user = memchr(buf, '\0', n)) == NULL ||
	    (pass = memchr(user + 1, '\0', n - (user + 1 - buf))) == NULL) {
		smtp_error(s, "501 5.5.2 Malformed PLAIN response");
		goto done;
	}
	user++;
	pass++;
	if (*authz != '\0' && strcmp(authz, user) != 0) {
		smtp_error(s, "535 5.7.8 Authentication credentials invalid");
		goto done;
	}
	auth_check(s, user, pass);
done:
	explicit_bzero(buf, sizeof(buf));
}

static void
auth_login(struct smtp_session *s, char *initial)
{
	char	user[AUTH_NAME_MAX + 2], pass[AUTH_PASS_MAX + 2];
	ssize_t	n;
	int	rv;

	if (initial != NULL)
		rv = auth_decode(s, initial, user, sizeof(user), &n);
	else
		rv = auth_read(s, "VXNlcm5hbWU6", user, sizeof(user), &n);
	if (rv == -1)
		return;
	if (auth_read(s, "UGFzc3dvcmQ6", pass, sizeof(pass), &n) == 0)
		auth_check(s, user, pass);
	explicit_bzero(pass, sizeof(pass));
}

static void
auth_check(struct smtp_session *s, const char *user, const char *pass)
{
	struct auth_user	 u;
	enum auth_result	 r = AUTH_TEMPFAIL;
	char			 vis[LOG_VIS_MAX];
	size_t			 ulen = strlen(user);

	log_vis(vis, sizeof(vis), user, ulen);
	if (ulen == 0 || ulen > AUTH_NAME_MAX || strlen(pass) > AUTH_PASS_MAX)
		r = AUTH_FAIL;
	else if (s->auth != NULL)
		r = authclient_auth(s->auth, "smtp", user, pass, s->ctx->addr,
		    &u);
	log_info("smtp-in session=%s event=auth user=%s result=%s", s->id,
	    vis, r == AUTH_OK ? "ok" : r == AUTH_FAIL ? "fail" : "tempfail");
	if (r == AUTH_OK) {
		strlcpy(s->user, user, sizeof(s->user));
		smtp_reply(s, "235 2.7.0 Authentication successful");
	} else if (r == AUTH_FAIL) {
		s->auth_failures++;
		smtp_error(s, "535 5.7.8 Authentication credentials invalid");
	} else
		smtp_reply(s, "454 4.7.0 Temporary authentication failure");
}
