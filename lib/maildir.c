/*
 * Maildir and Maildir++ folders: create, check, and write one message
 * with the tmp/ -> new/ protocol of maildir(5).
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "maildir.h"

#define MAILDIR_UNIQ_MAX	200	/* leaves room for ",S=" and ":2," */
#define MAILDIR_RANDOM_BYTES	8	/* of the R part, printed in hex */
#define MAILDIR_OPEN_TRIES	8	/* unique names tried in tmp/ */

static const char *const maildir_subdirs[] = { "tmp", "new", "cur" };

static unsigned long	maildir_seq;
static char		maildir_host[MAILDIR_HOST_MAX + 1];

static int	maildir_mkdir(int, const char *);
static int	maildir_mksubdirs(int);
static int	maildir_fsync_at(int, const char *);
static int	maildir_fsync_parent(const char *);
static int	maildir_check_dir(int, const char *, uid_t, char *, size_t);
static int	maildir_check_above(const char *, uid_t, char *, size_t);
static int	maildir_flags_valid(const char *);
static int	maildir_link(int, const char *, const char *);
static int	maildir_msg_sync(struct maildir_msg *, off_t *);
static int	maildir_final_name(const struct maildir_msg *, const char *,
		    off_t, char *, size_t);

/* Makes one directory with exactly MAILDIR_MODE, or accepts one. */
static int
maildir_mkdir(int dirfd, const char *name)
{
	struct stat	st;

	if (mkdirat(dirfd, name, MAILDIR_MODE) == 0)
		return fchmodat(dirfd, name, MAILDIR_MODE, 0);
	if (errno != EEXIST)
		return -1;
	if (fstatat(dirfd, name, &st, 0) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

static int
maildir_mksubdirs(int fd)
{
	size_t	i;

	for (i = 0; i < nitems(maildir_subdirs); i++)
		if (maildir_mkdir(fd, maildir_subdirs[i]) == -1)
			return -1;
	return fsync(fd) == -1 && errno != EINVAL ? -1 : 0;
}

/* fsync of a directory; EINVAL means the filesystem cannot, not failure. */
static int
maildir_fsync_at(int dirfd, const char *name)
{
	int	fd, rv, saved;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	rv = fsync(fd);
	if (rv == -1 && errno == EINVAL)
		rv = 0;
	saved = errno;
	close(fd);
	errno = saved;
	return rv;
}

static int
maildir_fsync_parent(const char *path)
{
	char	copy[PATH_MAX];

	if (strlcpy(copy, path, sizeof(copy)) >= sizeof(copy)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return maildir_fsync_at(AT_FDCWD, dirname(copy));
}

int
maildir_create(const char *path)
{
	int	fd, rv, saved;

	if (maildir_mkdir(AT_FDCWD, path) == -1)
		return -1;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	rv = maildir_mksubdirs(fd);
	saved = errno;
	close(fd);
	if (rv == 0)
		return maildir_fsync_parent(path);
	errno = saved;
	return -1;
}

int
maildir_open(struct maildir *md, const char *path)
{
	struct stat	st;
	size_t		i;

	md->fd = -1;
	if (strlcpy(md->path, path, sizeof(md->path)) >= sizeof(md->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	md->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (md->fd == -1)
		return -1;
	for (i = 0; i < nitems(maildir_subdirs); i++) {
		if (fstatat(md->fd, maildir_subdirs[i], &st, 0) == -1)
			goto fail;
		if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			goto fail;
		}
	}
	return 0;
fail:
	maildir_close(md);
	return -1;
}

void
maildir_close(struct maildir *md)
{
	int	saved = errno;

	if (md->fd != -1)
		close(md->fd);
	md->fd = -1;
	errno = saved;
}

/* One directory of the Maildir itself: ours alone. */
static int
maildir_check_dir(int dirfd, const char *name, uid_t uid, char *why,
    size_t whylen)
{
	struct stat	st;

	if (fstatat(dirfd, name, &st, 0) == -1) {
		snprintf(why, whylen, "%s: %s", name, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "%s: not a directory", name);
		errno = ENOTDIR;
		return -1;
	}
	if (st.st_uid != uid) {
		snprintf(why, whylen, "%s: owned by uid %lu, not %lu", name,
		    (unsigned long)st.st_uid, (unsigned long)uid);
		errno = EPERM;
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, whylen, "%s: group or world writable (mode %03o)",
		    name, (unsigned int)(st.st_mode & 0777));
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* Every directory above: root's or ours, writable by others only if +t. */
static int
maildir_check_above(const char *path, uid_t uid, char *why, size_t whylen)
{
	char		 real[PATH_MAX], *p;
	struct stat	 st;

	if (realpath(path, real) == NULL) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((p = strrchr(real, '/')) != NULL) {
		p[p == real ? 1 : 0] = '\0';
		if (stat(real, &st) == -1) {
			snprintf(why, whylen, "%s: %s", real, strerror(errno));
			return -1;
		}
		if ((st.st_uid != 0 && st.st_uid != uid) ||
		    ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
		    !(st.st_mode & S_ISVTX))) {
			snprintf(why, whylen, "%s: unsafe owner or mode (uid "
			    "%lu, mode %03o)", real, (unsigned long)st.st_uid,
			    (unsigned int)(st.st_mode & 0777));
			errno = EPERM;
			return -1;
		}
		if (p == real)
			break;
	}
	return 0;
}

int
maildir_secure(const struct maildir *md, uid_t uid, char *why, size_t whylen)
{
	size_t	i;

	if (whylen > 0)
		why[0] = '\0';
	if (maildir_check_dir(md->fd, ".", uid, why, whylen) == -1)
		return -1;
	for (i = 0; i < nitems(maildir_subdirs); i++)
		if (maildir_check_dir(md->fd, maildir_subdirs[i], uid, why,
		    whylen) == -1)
			return -1;
	return maildir_check_above(md->path, uid, why, whylen);
}

int
maildir_folder_valid(const char *folder)
{
	size_t		len, i;
	unsigned char	c;

	len = strlen(folder);
	if (len < 2 || len > MAILDIR_FOLDER_MAX || folder[0] != '.')
		goto bad;
	for (i = 1; i < len; i++) {
		c = folder[i];
		if (c == '/' || c < 0x20 || c == 0x7f)
			goto bad;
		if (c == '.' && folder[i - 1] == '.')
			goto bad;
	}
	if (folder[len - 1] == '.')
		goto bad;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

int
maildir_folder_create(struct maildir *md, const char *folder)
{
	int	fd = -1, mark, saved;

	if (maildir_folder_valid(folder) == -1)
		return -1;
	if (maildir_mkdir(md->fd, folder) == -1)
		return -1;
	fd = openat(md->fd, folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (maildir_mksubdirs(fd) == -1)
		goto fail;
	mark = openat(fd, MAILDIR_FOLDER_MARK, O_WRONLY | O_CREAT |
	    O_NOFOLLOW | O_CLOEXEC, MAILDIR_FILE_MODE);
	if (mark == -1)
		goto fail;
	close(mark);
	if (fsync(fd) == -1 && errno != EINVAL)
		goto fail;
	close(fd);
	return fsync(md->fd) == -1 && errno != EINVAL ? -1 : 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
maildir_folder_open(struct maildir *md, const char *folder,
    struct maildir *out)
{
	char	path[PATH_MAX];
	int	n;

	out->fd = -1;
	if (maildir_folder_valid(folder) == -1)
		return -1;
	n = snprintf(path, sizeof(path), "%s/%s", md->path, folder);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return maildir_open(out, path);
}

int
maildir_host_escape(const char *host, char *buf, size_t bufsize)
{
	size_t		o = 0;
	unsigned char	c;

	if (bufsize == 0) {
		errno = EINVAL;
		return -1;
	}
	for (; (c = *host) != '\0'; host++) {
		if (c > ' ' && c < 0x7f && c != '/' && c != ':' &&
		    c != ',' && c != '\\') {
			if (o + 1 >= bufsize)
				break;
			buf[o++] = c;
		} else {
			if (o + 4 >= bufsize)
				break;
			snprintf(buf + o, bufsize - o, "\\%03o", c);
			o += 4;
		}
	}
	buf[o] = '\0';
	return 0;
}

int
maildir_uniq(char *buf, size_t bufsize)
{
	char		 host[HOST_NAME_MAX + 1];
	char		 hex[MAILDIR_RANDOM_BYTES * 2 + 1];
	unsigned char	 rnd[MAILDIR_RANDOM_BYTES];
	struct timeval	 tv;
	size_t		 i;
	int		 n;

	if (maildir_host[0] == '\0') {
		if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
			strlcpy(host, "localhost", sizeof(host));
		host[sizeof(host) - 1] = '\0';
		maildir_host_escape(host, maildir_host, sizeof(maildir_host));
	}
	gettimeofday(&tv, NULL);
	arc4random_buf(rnd, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(hex + 2 * i, sizeof(hex) - 2 * i, "%02x", rnd[i]);
	n = snprintf(buf, bufsize, "%lld.M%ldP%ldQ%luR%s.%s",
	    (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
	    ++maildir_seq, hex, maildir_host);
	if (n < 0 || (size_t)n >= bufsize || n > MAILDIR_UNIQ_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
maildir_msg_open(struct maildir *md, struct maildir_msg *m)
{
	char	path[MAILDIR_NAME_MAX + 8];
	int	i;

	m->md = md;
	m->fd = -1;
	m->size = 0;
	for (i = 0; i < MAILDIR_OPEN_TRIES; i++) {
		if (maildir_uniq(m->uniq, sizeof(m->uniq)) == -1)
			break;
		snprintf(path, sizeof(path), "tmp/%s", m->uniq);
		m->fd = openat(md->fd, path, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, MAILDIR_FILE_MODE);
		if (m->fd != -1)
			return 0;
		if (errno != EEXIST)
			break;
	}
	m->uniq[0] = '\0';
	return -1;
}

int
maildir_msg_write(struct maildir_msg *m, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(m->fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
		m->size += n;
	}
	return 0;
}

static int
maildir_flags_valid(const char *flags)
{
	size_t	i;

	if (strlen(flags) > MAILDIR_FLAGS_MAX)
		goto bad;
	for (i = 0; flags[i] != '\0'; i++)
		if (!((flags[i] >= 'A' && flags[i] <= 'Z') ||
		    (flags[i] >= 'a' && flags[i] <= 'z')))
			goto bad;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

static int
maildir_final_name(const struct maildir_msg *m, const char *flags,
    off_t size, char *buf, size_t bufsize)
{
	int	n;

	if (flags == NULL)
		n = snprintf(buf, bufsize, "new/%s,S=%lld", m->uniq,
		    (long long)size);
	else
		n = snprintf(buf, bufsize, "cur/%s,S=%lld:2,%s", m->uniq,
		    (long long)size, flags);
	if (n < 0 || (size_t)n >= bufsize) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* link(2) keeps an existing name safe; rename(2) where links do not exist. */
static int
maildir_link(int dirfd, const char *from, const char *to)
{
	if (linkat(dirfd, from, dirfd, to, 0) == 0)
		return 0;
	switch (errno) {
	case EPERM:
	case EOPNOTSUPP:
	case ENOSYS:
	case EMLINK:
		return renameat(dirfd, from, dirfd, to);
	default:
		return -1;
	}
}

/* fsync and close the tmp/ file; its final size goes to *size. */
static int
maildir_msg_sync(struct maildir_msg *m, off_t *size)
{
	struct stat	st;
	int		fd = m->fd, rv;

	m->fd = -1;
	if (fsync(fd) == -1 || fstat(fd, &st) == -1) {
		rv = errno;
		close(fd);
		errno = rv;
		return -1;
	}
	*size = st.st_size;
	return close(fd);
}

int
maildir_msg_commit(struct maildir_msg *m, const char *flags, char *name,
    size_t namesize)
{
	char	tmp[MAILDIR_NAME_MAX + 8], final[MAILDIR_NAME_MAX + 8];
	off_t	size;
	int	saved;

	if (m->fd == -1 || m->uniq[0] == '\0') {
		errno = EBADF;
		goto fail;
	}
	if ((flags != NULL && maildir_flags_valid(flags) == -1) ||
	    maildir_msg_sync(m, &size) == -1)
		goto fail;
	snprintf(tmp, sizeof(tmp), "tmp/%s", m->uniq);
	if (maildir_final_name(m, flags, size, final, sizeof(final)) == -1 ||
	    maildir_link(m->md->fd, tmp, final) == -1)
		goto fail;
	if (maildir_fsync_at(m->md->fd, flags == NULL ? "new" : "cur") == -1) {
		saved = errno;
		unlinkat(m->md->fd, final, 0);
		errno = saved;
		goto fail;
	}
	unlinkat(m->md->fd, tmp, 0);
	m->uniq[0] = '\0';
	if (name != NULL && strlcpy(name, final, namesize) >= namesize)
		name[0] = '\0';
	return 0;
fail:
	maildir_msg_abort(m);
	return -1;
}

void
maildir_msg_abort(struct maildir_msg *m)
{
	char	tmp[MAILDIR_NAME_MAX + 8];
	int	saved = errno;

	if (m->fd != -1)
		close(m->fd);
	m->fd = -1;
	if (m->uniq[0] != '\0') {
		snprintf(tmp, sizeof(tmp), "tmp/%s", m->uniq);
		unlinkat(m->md->fd, tmp, 0);
	}
	m->uniq[0] = '\0';
	errno = saved;
}

int
maildir_msg_tmppath(const struct maildir_msg *m, char *buf, size_t bufsize)
{
	int	n;

	n = snprintf(buf, bufsize, "%s/tmp/%s", m->md->path, m->uniq);
	if (n < 0 || (size_t)n >= bufsize) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
maildir_vsize(int dirfd, const char *path, uint64_t *vsize)
{
	char		 buf[8192];
	uint64_t	 n = 0;
	ssize_t		 r, i;
	int		 fd, prev = '\n';

	if ((fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1)
		return -1;
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < r; i++) {
			if (buf[i] == '\n' && prev != '\r')
				n++;
			prev = (unsigned char)buf[i];
		}
		n += r;
	}
	close(fd);
	if (r == -1)
		return -1;
	*vsize = n + (prev != '\n' ? 2 : 0);
	return 0;
}

int
maildir_read_line(FILE *fp, char *buf, size_t size)
{
	size_t	len;

	if (fgets(buf, size, fp) == NULL)
		return 0;
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n') {
		buf[len - 1] = '\0';
		return 1;
	}
	if (feof(fp))
		return 1;
	while (fgets(buf, size, fp) != NULL && strchr(buf, '\n') == NULL)
		;
	errno = EINVAL;
	return -1;
}
