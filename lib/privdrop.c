/*
 * The privilege drop of every daemon's start-up: chroot, groups, gid,
 * uid, then a check that nothing of root is left.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

#define PRIVDROP_GROUPS_MAX	16	/* supplementary groups kept */

static int	set_ids(uid_t, gid_t, const gid_t *, int);
static int	enter_chroot(const char *);

/* privdrop_prepare()'s user, inherited by the processes forked after it. */
static struct {
	char	name[64];
	uid_t	uid;
	gid_t	gid;
	int	valid;
} prepared;

int
privdrop_needed(void)
{
	return geteuid() == 0;
}

int
privdrop_user_check(const char *user)
{
	if (privdrop_needed() && getpwnam(user) == NULL) {
		log_warnx("user: no such user %s", user);
		return -1;
	}
	return 0;
}

static int
skip(const char *who)
{
	static int	logged;

	if (!logged++)
		log_info("event=privdrop result=skipped reason=not-root "
		    "user=%s", who);
	return 0;
}

/* Sets groups, gid and uid, then verifies all three ids and no way back. */
static int
set_ids(uid_t uid, gid_t gid, const gid_t *groups, int ngroups)
{
	uid_t	ru, eu, su;
	gid_t	rg, eg, sg;

	if (setgroups(ngroups, groups) == -1) {
		log_warn("privdrop: setgroups");
		return -1;
	}
	if (setresgid(gid, gid, gid) == -1 || setresuid(uid, uid, uid) == -1) {
		log_warn("privdrop: setresgid/setresuid %u:%u", uid, gid);
		return -1;
	}
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1 ||
	    ru != uid || eu != uid || su != uid ||
	    rg != gid || eg != gid || sg != gid) {
		log_warnx("privdrop: ids not what was asked for");
		return -1;
	}
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
		log_warnx("privdrop: could regain root");
		return -1;
	}
	return 0;
}

/* A chroot that others could write into would be no jail. */
static int
enter_chroot(const char *dir)
{
	struct stat	st;

	if (stat(dir, &st) == -1) {
		log_warn("privdrop: chroot %s", dir);
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		log_warnx("privdrop: chroot %s: not a directory owned by root "
		    "and writable by root only", dir);
		return -1;
	}
	if (chroot(dir) == -1 || chdir("/") == -1) {
		log_warn("privdrop: chroot %s", dir);
		return -1;
	}
	return 0;
}

int
privdrop_prepare(const char *user)
{
	struct passwd	*pw;

	prepared.valid = 0;
	if (!privdrop_needed())
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_warnx("privdrop: no such user %s", user);
		return -1;
	}
	if (strlcpy(prepared.name, user, sizeof(prepared.name)) >=
	    sizeof(prepared.name))
		return 0;
	prepared.uid = pw->pw_uid;
	prepared.gid = pw->pw_gid;
	prepared.valid = 1;
	return 0;
}

int
privdrop(const char *user, const char *chrootdir,
    const char *const *extra_groups)
{
	gid_t		 groups[PRIVDROP_GROUPS_MAX];
	struct passwd	*pw;
	struct group	*gr;
	uid_t		 uid;
	gid_t		 gid;
	int		 ng = 0;

	if (!privdrop_needed())
		return skip(user);
	if (prepared.valid && strcmp(prepared.name, user) == 0) {
		uid = prepared.uid;
		gid = prepared.gid;
	} else if ((pw = getpwnam(user)) == NULL) {
		log_warnx("privdrop: no such user %s", user);
		return -1;
	} else {
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	groups[ng++] = gid;
	for (; extra_groups != NULL && *extra_groups != NULL; extra_groups++) {
		if ((gr = getgrnam(*extra_groups)) == NULL ||
		    ng == PRIVDROP_GROUPS_MAX) {
			log_warnx("privdrop: cannot keep group %s",
			    *extra_groups);
			return -1;
		}
		groups[ng++] = gr->gr_gid;
	}
	if (uid == 0) {
		log_warnx("privdrop: %s is root", user);
		return -1;
	}
	if (chrootdir != NULL && enter_chroot(chrootdir) == -1)
		return -1;
	return set_ids(uid, gid, groups, ng);
}

int
privdrop_ids(uid_t uid, gid_t gid)
{
	if (!privdrop_needed())
		return skip("(invoking user)");
	if (uid == 0) {
		log_warnx("privdrop: refusing to run as uid 0");
		return -1;
	}
	return set_ids(uid, gid, &gid, 1);
}
