/*
 * The commit protocol of DESIGN.md, acceptor side, as file states:
 *
 *	tmp/<id>.msg	body being received (written, then fsync'd); like
 *			tmp/<id>.env, a spare file (queue_spare.c) renamed
 *			here and written over, or a new one
 *	tmp/<id>.env	envelope written and fsync'd
 *	msg/<id>	body renamed into place (no envelope yet: garbage)
 *	env/<id>	envelope renamed into place: the commit point
 *	fsync msg/, fsync env/	only now is OK <id> sent
 *
 * A crash before the envelope's rename leaves files that start-up
 * removes; after it, a whole message.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "mailqueue.h"

#define COMMIT_OPEN_TRIES	8	/* id collisions before giving up */

/* "<dir>/<id><suffix>", relative to the queue directory. */
void
queue_path(char *buf, size_t size, const char *dir, const char *id,
    const char *suffix)
{
	(void)snprintf(buf, size, "%s/%s%s", dir, id, suffix);
}

/*
 * A new queue id: the time in seconds (hex, so ids sort by age) and 48
 * random bits.  Uniqueness is checked by O_EXCL in tmp/ and by the
 * rename's target in msg/.
 */
void
queue_new_id(char *id, size_t idsize)
{
	uint32_t	r1 = arc4random(), r2 = arc4random() & 0xffff;

	(void)snprintf(id, idsize, "%09llX%08X%04X",
	    (unsigned long long)time(NULL), r1, r2);
}

int
commit_init(struct commit *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->msgdir = open(QUEUE_DIR_MSG, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	c->envdir = open(QUEUE_DIR_ENV, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->msgdir == -1 || c->envdir == -1)
		return -1;
	return 0;
}

/* A new id and its tmp/<id>.msg. */
int
commit_open(struct commit *c)
{
	char		path[QUEUE_PATH_MAX];
	struct stat	st;
	int		i;

	for (i = 0; i < COMMIT_OPEN_TRIES; i++) {
		queue_new_id(c->id, sizeof(c->id));
		queue_path(path, sizeof(path), QUEUE_DIR_MSG, c->id, "");
		if (stat(path, &st) == 0)
			continue;
		queue_path(path, sizeof(path), QUEUE_DIR_TMP, c->id, ".msg");
		if (lstat(path, &st) == 0)
			continue;
		/* A spare's rename would replace a file: hence the checks. */
		c->fd = spare_open(path);
		if (c->fd != -1) {
			c->size = 0;
			return 0;
		}
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

int
commit_write(struct commit *c, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(c->fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
		c->size += n;
	}
	return 0;
}

int
commit_finish(struct commit *c, const struct envelope *e)
{
	char	tmsg[QUEUE_PATH_MAX], tenv[QUEUE_PATH_MAX];
	char	msg[QUEUE_PATH_MAX], env[QUEUE_PATH_MAX];
	int	fd, saved;

	queue_path(tmsg, sizeof(tmsg), QUEUE_DIR_TMP, c->id, ".msg");
	queue_path(tenv, sizeof(tenv), QUEUE_DIR_TMP, c->id, ".env");
	queue_path(msg, sizeof(msg), QUEUE_DIR_MSG, c->id, "");
	queue_path(env, sizeof(env), QUEUE_DIR_ENV, c->id, "");
	/* A spare's old content past the message goes. */
	if (ftruncate(c->fd, c->size) == -1 || fsync(c->fd) == -1 ||
	    close(c->fd) == -1) {
		c->fd = -1;
		goto fail;
	}
	c->fd = -1;
	if ((fd = spare_open(tenv)) == -1 || env_write_fd(fd, tenv, e) == -1)
		goto fail;
	if (rename(tmsg, msg) == -1)
		goto fail;
	if (rename(tenv, env) == -1)
		goto fail_msg;
	if (fsync(c->msgdir) == -1 || fsync(c->envdir) == -1)
		goto fail_env;
	return 0;
fail_env:
	saved = errno;
	(void)unlink(env);
	errno = saved;
fail_msg:
	saved = errno;
	(void)unlink(msg);
	errno = saved;
fail:
	saved = errno;
	(void)unlink(tmsg);
	(void)unlink(tenv);
	errno = saved;
	return -1;
}

/* Drops the message being received. */
void
commit_abort(struct commit *c)
{
	char	path[QUEUE_PATH_MAX];

	if (c->fd == -1)
		return;
	close(c->fd);
	c->fd = -1;
	queue_path(path, sizeof(path), QUEUE_DIR_TMP, c->id, ".msg");
	(void)unlink(path);
}
