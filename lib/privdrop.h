/*
 * Privilege drop, the last step of start-up before pledge and the loop:
 * chroot, setgroups, setresgid, setresuid, each verified.  When the
 * process is not root the drop is skipped with one log line (tests and
 * demos run unprivileged); every other code path is the same.  A failed
 * drop returns -1 and the caller must treat it as fatal.
 */
#ifndef PRIVDROP_H
#define PRIVDROP_H

#include <sys/types.h>

struct passwd;

/*
 * Becomes user (by name).  chrootdir, when not NULL, is entered first;
 * it must be a directory owned by root that only root may write.
 * extra_groups (NULL-terminated names, may be NULL) are kept as
 * supplementary groups; a name that does not exist is an error.
 */
int	privdrop(const char *user, const char *chrootdir,
	    const char *const *extra_groups);
/*
 * In a master before it forks: looks user up once, so that a privdrop()
 * to that user in each forked child reads no passwd database.  -1 when
 * a drop is due and user does not exist.
 */
int	privdrop_prepare(const char *user);
/* Becomes uid/gid with no supplementary group but gid (spawner, login). */
int	privdrop_ids(uid_t uid, gid_t gid);
/* 1 when running as root (and so a drop is due). */
int	privdrop_needed(void);
/*
 * For a configuration check: -1 after a "user: no such user" log line
 * when a drop is due and user does not exist, else 0.
 */
int	privdrop_user_check(const char *user);

#endif /* PRIVDROP_H */
