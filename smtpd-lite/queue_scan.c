/*
 * The queue directory at start-up: made (as root, given to the queue
 * user) when missing, then cleaned of what a crash can leave behind:
 * every file of tmp/, and bodies in msg/ that have no envelope (their
 * commit never reached the envelope's rename).
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "log.h"
#include "mailqueue.h"
#include "privdrop.h"

#define QUEUE_DIR_MODE	0700

static int	dir_setup(const char *, struct mailqueue_conf *);

/* One directory: made when missing, owned by the queue user, 0700. */
static int
dir_setup(const char *path, struct mailqueue_conf *c)
{
	struct stat	st;

	if (mkdir(path, QUEUE_DIR_MODE) == -1 && errno != EEXIST) {
		log_warn("queue_dir: mkdir %s", path);
		return -1;
	}
	if (lstat(path, &st) == -1 || !S_ISDIR(st.st_mode)) {
		log_warnx("queue_dir: %s is not a directory", path);
		return -1;
	}
	if (privdrop_needed() && (st.st_uid != c->uid ||
	    (st.st_mode & 07777) != QUEUE_DIR_MODE) &&
	    (lchown(path, c->uid, c->gid) == -1 ||
	    chmod(path, QUEUE_DIR_MODE) == -1)) {
		log_warn("queue_dir: chown %s", path);
		return -1;
	}
	return 0;
}

/* Makes queue_dir and its tmp/ msg/ env/ spare/, then enters it. */
int
queue_dirs_setup(struct mailqueue_conf *c)
{
	const char	*sub[] = { QUEUE_DIR_TMP, QUEUE_DIR_MSG, QUEUE_DIR_ENV,
			    QUEUE_DIR_SPARE };
	size_t		 i;

	if (dir_setup(c->queue_dir, c) == -1)
		return -1;
	if (chdir(c->queue_dir) == -1) {
		log_warn("queue_dir: chdir %s", c->queue_dir);
		return -1;
	}
	for (i = 0; i < nitems(sub); i++)
		if (dir_setup(sub[i], c) == -1)
			return -1;
	return 0;
}

/* Removes stale tmp/ files and bodies without an envelope. */
void
queue_clean(void)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		 path[QUEUE_PATH_MAX + 256];
	int		 ntmp = 0, nmsg = 0;

	if ((d = opendir(QUEUE_DIR_TMP)) == NULL)
		fatal("opendir %s", QUEUE_DIR_TMP);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", QUEUE_DIR_TMP, de->d_name);
		if (unlink(path) == 0)
			ntmp++;
		else
			log_warn("queue event=clean path=%s", path);
	}
	closedir(d);
	if ((d = opendir(QUEUE_DIR_MSG)) == NULL)
		fatal("opendir %s", QUEUE_DIR_MSG);
	while ((de = readdir(d)) != NULL) {
		if (!env_valid_id(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", QUEUE_DIR_ENV, de->d_name);
		if (lstat(path, &st) == 0 || errno != ENOENT)
			continue;
		snprintf(path, sizeof(path), "%s/%s", QUEUE_DIR_MSG, de->d_name);
		if (unlink(path) == 0)
			nmsg++;
	}
	closedir(d);
	spare_clean();
	log_info("queue event=clean tmp_removed=%d msg_removed=%d", ntmp, nmsg);
}
