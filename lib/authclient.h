/*
 * The authd client used by every daemon: open the socket once (before a
 * chroot), then ask any number of questions over it.  A broken connection
 * is reopened once per request.  Every read and write is bounded by the
 * handle's timeout; a time-out, a broken socket or an ERROR answer is
 * AUTH_TEMPFAIL, never AUTH_FAIL.
 */
#ifndef AUTHCLIENT_H
#define AUTHCLIENT_H

#include "authproto.h"

#define AUTHCLIENT_TIMEOUT	30000	/* ms, a good default for callers */

enum auth_result {
	AUTH_OK,		/* the password is right / the user exists */
	AUTH_FAIL,		/* wrong password / no such user */
	AUTH_TEMPFAIL		/* authd or its backend unavailable: retry */
};

struct authclient;

/*
 * Connects to path.  Returns NULL with errno when the socket cannot be
 * reached now; a handle that later loses its connection reconnects.
 */
struct authclient *authclient_open(const char *path, int timeout_ms);
/* Is pass right for user?  On AUTH_OK *u (if not NULL) gets the record. */
enum auth_result authclient_auth(struct authclient *, const char *service,
		    const char *user, const char *pass, const char *addr,
		    struct auth_user *u);
/* Who is user?  On AUTH_OK *u gets the record. */
enum auth_result authclient_lookup(struct authclient *, const char *user,
		    struct auth_user *u);
/* The reason authd (or the client) gave for the last non-OK answer. */
const char	*authclient_reason(struct authclient *);
void		 authclient_close(struct authclient *);

#endif /* AUTHCLIENT_H */
