/*
 * The privilege drop.  As root: a child drops to nobody in a chroot and
 * must end with every uid and gid changed, no way back to root, and no
 * view of the old root.  Not as root: the drop is skipped and succeeds.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"
#include "unit.h"

#define DROP_USER	"nobody"

/* Runs in the child: one bit per check that failed. */
static int
dropped_child(const char *dir, uid_t uid)
{
	int	bad = 0;

	if (privdrop(DROP_USER, dir, NULL) == -1)
		return 1;
	if (getuid() != uid || geteuid() != uid)
		bad |= 2;
	if (setuid(0) != -1 || seteuid(0) != -1)
		bad |= 4;
	if (access("/etc/passwd", F_OK) == 0)	/* outside the chroot */
		bad |= 8;
	if (getgid() == 0 || getegid() == 0)
		bad |= 16;
	return bad;
}

int
main(void)
{
	const char	*tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	struct passwd	*pw;
	pid_t		 pid;
	int		 status;

	log_init("test_privdrop", 1);
	if (!privdrop_needed()) {
		CHECK(privdrop(DROP_USER, NULL, NULL) == 0);
		CHECK(privdrop_ids(getuid(), getgid()) == 0);
		return unit_done();
	}
	if ((pw = getpwnam(DROP_USER)) == NULL) {
		printf("no user %s: skipped\n", DROP_USER);
		return unit_done();
	}
	if ((pid = fork()) == 0)
		_exit(dropped_child(tmp, pw->pw_uid));
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	if (WEXITSTATUS(status) != 0)
		fprintf(stderr, "child checks failed: %#x\n",
		    WEXITSTATUS(status));
	CHECK(WEXITSTATUS(status) == 0);

	/* A chroot others may write into is refused. */
	{
		char	dir[512];

		snprintf(dir, sizeof(dir), "%s/open-jail", tmp);
		CHECK(mkdir(dir, 0777) == 0 && chmod(dir, 0777) == 0);
		if ((pid = fork()) == 0)
			_exit(privdrop(DROP_USER, dir, NULL) == -1 &&
			    getuid() == 0 ? 0 : 1);
		CHECK(waitpid(pid, &status, 0) == pid &&
		    WEXITSTATUS(status) == 0);
		rmdir(dir);
	}

	/* An unknown user, or root itself as the target, is an error. */
	if ((pid = fork()) == 0)
		_exit(privdrop("no-such-user-buzon", NULL, NULL) == -1 ? 0 : 1);
	CHECK(waitpid(pid, &status, 0) == pid && WEXITSTATUS(status) == 0);
	if ((pid = fork()) == 0)
		_exit(privdrop("root", NULL, NULL) == -1 ? 0 : 1);
	CHECK(waitpid(pid, &status, 0) == pid && WEXITSTATUS(status) == 0);
	if ((pid = fork()) == 0)
		_exit(privdrop(DROP_USER, NULL, (const char *[]){
		    "no-such-group-buzon", NULL }) == -1 ? 0 : 1);
	CHECK(waitpid(pid, &status, 0) == pid && WEXITSTATUS(status) == 0);
	return unit_done();
}
