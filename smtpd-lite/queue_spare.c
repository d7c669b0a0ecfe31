/*
 * Spare queue files.  The body and envelope of a message that is done
 * are not unlinked but renamed into spare/, and an acceptor takes a spare
 * (a rename into tmp/, then an open to write over it) before it creates
 * a new file.  Inodes and their blocks are reused instead of being freed and allocated again:
 * on some file systems an allocation is most of a message's cost (ext4
 * without a journal scans past every inode freed in the last 30 seconds).
 *
 * Nothing in spare/ is ever read, so a crash leaves only garbage there,
 * which the next start-up removes.  The main process keeps count of the
 * spares to hold at most SPARE_MAX: it adds one per file it puts there
 * and subtracts what each acceptor reports taking with a new message.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "log.h"
#include "mailqueue.h"

#define SPARE_MAX	1024	/* files kept in spare/ */
#define SPARE_BATCH	256	/* names an acceptor reads from it at once */
#define SPARE_REFILLS	2	/* readings of spare/ for one file */
#define SPARE_NAME_MAX	(QUEUE_ID_MAX + 3)	/* "m.<id>" */

/* The main process's count. */
static size_t	spare_count;

/* An acceptor's batch of names, taken from the back. */
static char	spare_names[SPARE_BATCH][SPARE_NAME_MAX + 1];
static size_t	spare_nnames;
static size_t	spare_taken;	/* since the last spare_taken_reset() */

static int	spare_refill(void);

/* Start-up: spare/ is emptied (what a crash left there is garbage). */
void
spare_clean(void)
{
	struct dirent	*de;
	DIR		*d;
	char		 path[QUEUE_PATH_MAX + 256];

	if ((d = opendir(QUEUE_DIR_SPARE)) == NULL)
		fatal("opendir %s", QUEUE_DIR_SPARE);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", QUEUE_DIR_SPARE,
		    de->d_name);
		if (unlink(path) == -1)
			log_warn("queue event=clean path=%s", path);
	}
	closedir(d);
	spare_count = 0;
}

/*
 * Takes path (env/<id> or msg/<id>) out of the queue: into spare/ while
 * there is room, else unlinked.  kind tells the two apart in spare/.
 */
int
spare_put(const char *path, const char *id, char kind)
{
	char	dst[QUEUE_PATH_MAX];

	if (spare_count < SPARE_MAX) {
		(void)snprintf(dst, sizeof(dst), "%s/%c.%s", QUEUE_DIR_SPARE,
		    kind, id);
		if (rename(path, dst) == 0) {
			spare_count++;
			return 0;
		}
	}
	return unlink(path);
}

/* An acceptor took n spares. */
void
spare_used(size_t n)
{
	spare_count = n < spare_count ? spare_count - n : 0;
}

/*
 * A batch of spare names, shuffled so that acceptors reading at the same
 * moment seldom want the same file first.
 */
static int
spare_refill(void)
{
	struct dirent	*de;
	DIR		*d;
	char		 tmp[SPARE_NAME_MAX + 1];
	size_t		 i, j;

	spare_nnames = 0;
	if ((d = opendir(QUEUE_DIR_SPARE)) == NULL)
		return -1;
	while (spare_nnames < SPARE_BATCH && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    strlen(de->d_name) > SPARE_NAME_MAX)
			continue;
		strlcpy(spare_names[spare_nnames++], de->d_name,
		    sizeof(spare_names[0]));
	}
	closedir(d);
	for (i = spare_nnames; i > 1; i--) {
		j = arc4random_uniform(i);
		memcpy(tmp, spare_names[i - 1], sizeof(tmp));
		memcpy(spare_names[i - 1], spare_names[j], sizeof(tmp));
		memcpy(spare_names[j], tmp, sizeof(tmp));
	}
	return spare_nnames > 0 ? 0 : -1;
}

/*
 * Opens path (in tmp/, not existing) for writing: a spare renamed there
 * when one can be had, else a new file.  A spare keeps its old content:
 * the caller overwrites it and cuts it to what it wrote with
 * ftruncate(2) before fsync(2), so its blocks are reused, not freed and
 * allocated again.  Other acceptors take names from the same batch; a
 * rename that finds its name gone tries the next.
 */
int
spare_open(const char *path)
{
	char	src[QUEUE_PATH_MAX];
	int	fd, refills = 0;

	for (;;) {
		if (spare_nnames == 0 && (refills++ == SPARE_REFILLS ||
		    spare_refill() == -1))
			break;
		(void)snprintf(src, sizeof(src), "%s/%s", QUEUE_DIR_SPARE,
		    spare_names[--spare_nnames]);
		if (rename(src, path) == -1)
			continue;
		spare_taken++;
		fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd != -1)
			return fd;
		(void)unlink(path);
		break;
	}
	return open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
}

/* Spares taken since the last call, to report to the main process. */
size_t
spare_taken_reset(void)
{
	size_t	n = spare_taken;

	spare_taken = 0;
	return n;
}
