/*
 * The "passwd" backend: system accounts.  On Linux the hash comes from
 * getspnam(3) (the workers keep the group "shadow" to read /etc/shadow),
 * or from getpwnam(3) when the system keeps hashes there.  On OpenBSD
 * auth_userokay(3) checks the password (group "auth").  The maildir is
 * home/Maildir, the quota and the delivery instruction empty, the full
 * name the GECOS field up to its first comma (empty when that is too
 * long or holds a control character: users may set it with chfn(1),
 * and must not be able to lock themselves out with it).  Accounts with
 * uid 0 never authenticate.
 */

#include <sys/types.h>

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef __OpenBSD__
#include <login_cap.h>
#include <bsd_auth.h>
#else
#include <crypt.h>
#include <shadow.h>
#endif

#include "backend.h"
#include "compat.h"
#include "log.h"
#include "xmalloc.h"

#define PASSWD_SALT_MAX	128	/* octets of a crypt_gensalt(3) setting */

struct passwd_state {
	char	dummy[PASSWD_SALT_MAX];	/* setting for unknown users */
};

static int	passwd_init(struct backend *, int, char **, char *, size_t);
static enum backend_result passwd_auth(struct backend *, const char *,
		    const char *, const char *, struct auth_user *);
static enum backend_result passwd_lookup(struct backend *, const char *,
		    struct auth_user *);
static void	passwd_close(struct backend *);
static int	passwd_unveil(struct backend *);
static enum backend_result passwd_getpw(const char *, struct passwd **);
static int	passwd_check(struct passwd_state *, const struct passwd *,
		    const char *, const char *);
static enum backend_result passwd_record(const struct passwd *,
		    struct auth_user *);
static void	passwd_fullname(const char *, char *, size_t);

const struct backend_ops backend_passwd_ops = {
	.name = "passwd",
	.minargs = 0,
	.maxargs = 0,
#ifdef __OpenBSD__
	.group = "auth",
	.promises = "getpw proc exec",
#else
	.group = "shadow",
	.promises = "getpw",
#endif
	.unveil = passwd_unveil,
	.init = passwd_init,
	.auth = passwd_auth,
	.lookup = passwd_lookup,
	.reopen = NULL,
	.close = passwd_close
};

/*
 * The account databases, and on OpenBSD login.conf and the login_*
 * programs that auth_userokay(3) runs.
 */
static int
passwd_unveil(struct backend *b)
{
	static const char *const	paths[][2] = {
#ifdef __OpenBSD__
		{ "/etc/pwd.db", "r" },
		{ "/etc/group", "r" },
		{ "/etc/login.conf", "r" },
		{ "/etc/login.conf.db", "r" },
		{ "/etc/login.conf.d", "r" },
		{ "/usr/libexec/auth", "x" },
#else
		{ "/etc/passwd", "r" },
		{ "/etc/shadow", "r" },
		{ "/etc/group", "r" },
		{ "/etc/nsswitch.conf", "r" },
#endif
	};
	size_t				i;

	for (i = 0; i < nitems(paths); i++)
		if (unveil(paths[i][0], paths[i][1]) == -1 && errno != ENOENT)
			return -1;
	return 0;
}

static int
passwd_init(struct backend *b, int argc, char **argv, char *err,
    size_t errlen)
{
	struct passwd_state	*ps;

	ps = xcalloc(1, sizeof(*ps));
#ifndef __OpenBSD__
	/* The system's default scheme and cost, as new passwords get. */
	if (crypt_gensalt_rn(NULL, 0, NULL, 0, ps->dummy,
	    sizeof(ps->dummy)) == NULL) {
		snprintf(err, errlen, "backend passwd: crypt_gensalt failed");
		free(ps);
		return -1;
	}
#endif
	b->state = ps;
	return 0;
}

static void
passwd_close(struct backend *b)
{
	free(b->state);
	b->state = NULL;
}

/* Not found is FAIL; a failing name service is TEMPFAIL. */
static enum backend_result
passwd_getpw(const char *user, struct passwd **pw)
{
	errno = 0;
	if ((*pw = getpwnam(user)) != NULL)
		return (*pw)->pw_uid == 0 ? BACKEND_FAIL : BACKEND_OK;
	switch (errno) {
	case EIO:
	case EMFILE:
	case ENFILE:
	case ENOMEM:
	case EAGAIN:
		log_warn("event=backend backend=passwd getpwnam");
		return BACKEND_TEMPFAIL;
	default:
		return BACKEND_FAIL;
	}
}

#ifdef __OpenBSD__
/* bsd_auth spends the same time on unknown users itself. */
static int
passwd_check(struct passwd_state *ps, const struct passwd *pw,
    const char *user, const char *pass)
{
	char	name[AUTH_NAME_MAX + 1], word[AUTH_PASS_MAX + 1];
	int	ok;

	strlcpy(name, user, sizeof(name));
	strlcpy(word, pass, sizeof(word));
	ok = auth_userokay(name, NULL, NULL, word);
	explicit_bzero(word, sizeof(word));
	return ok && pw != NULL ? 1 : 0;
}
#else
/* 1 right, 0 wrong, -1 shadow unreadable. */
static int
passwd_check(struct passwd_state *ps, const struct passwd *pw,
    const char *user, const char *pass)
{
	struct spwd	*sp = NULL;
	const char	*hash = ps->dummy;
	int		 ok;

	if (pw != NULL) {
		errno = 0;
		if ((sp = getspnam(user)) == NULL && errno == EACCES) {
			log_warn("event=backend backend=passwd getspnam");
			return -1;
		}
		hash = sp != NULL ? sp->sp_pwdp : pw->pw_passwd;
		if (sp != NULL && sp->sp_expire > 0 &&
		    time(NULL) / 86400 >= sp->sp_expire)
			hash = "!expired";
	}
	if ((ok = backend_checkpass(pass, hash)) == -1)
		(void)backend_checkpass(pass, ps->dummy);
	return pw != NULL && ok == 1;
}
#endif

/*
 * The GECOS field's first comma-separated part; empty when it is over
 * AUTH_GECOS_MAX octets or holds a control character.
 */
static void
passwd_fullname(const char *gecos, char *dst, size_t dstsize)
{
	size_t	i, len;

	dst[0] = '\0';
	if (gecos == NULL)
		return;
	if ((len = strcspn(gecos, ",")) >= dstsize)
		return;
	for (i = 0; i < len; i++)
		if ((unsigned char)gecos[i] < ' ' ||
		    (unsigned char)gecos[i] == 0x7f)
			return;
	memcpy(dst, gecos, len);
	dst[len] = '\0';
}

static enum backend_result
passwd_record(const struct passwd *pw, struct auth_user *u)
{
	if (strlcpy(u->name, pw->pw_name, sizeof(u->name)) >= sizeof(u->name) ||
	    strlcpy(u->home, pw->pw_dir, sizeof(u->home)) >= sizeof(u->home) ||
	    u->home[0] != '/')
		return BACKEND_FAIL;
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	u->quota[0] = '\0';
	u->maildir[0] = '\0';
	u->delivery[0] = '\0';
	passwd_fullname(pw->pw_gecos, u->fullname, sizeof(u->fullname));
	return backend_default_maildir(u) == 0 ? BACKEND_OK : BACKEND_FAIL;
}

static enum backend_result
passwd_auth(struct backend *b, const char *service, const char *user,
    const char *pass, struct auth_user *u)
{
	struct passwd		*pw;
	enum backend_result	 r;
	int			 ok;

	if ((r = passwd_getpw(user, &pw)) == BACKEND_TEMPFAIL)
		return r;
	if ((ok = passwd_check(b->state, r == BACKEND_OK ? pw : NULL, user,
	    pass)) == -1)
		return BACKEND_TEMPFAIL;
	if (r != BACKEND_OK || ok != 1)
		return BACKEND_FAIL;
	/* getspnam() may have reused getpwnam()'s storage: ask again. */
	if ((r = passwd_getpw(user, &pw)) != BACKEND_OK)
		return r;
	return passwd_record(pw, u);
}

static enum backend_result
passwd_lookup(struct backend *b, const char *user, struct auth_user *u)
{
	struct passwd		*pw;
	enum backend_result	 r;

	if ((r = passwd_getpw(user, &pw)) != BACKEND_OK)
		return r;
	return passwd_record(pw, u);
}
