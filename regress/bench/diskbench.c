/*
 * diskbench: this disk's own limit for Maildir-style commits.  Each
 * operation creates a file in one directory, writes size octets, fsyncs
 * it, renames it into a second directory and fsyncs that directory.
 *
 *	diskbench dir size count
 *
 * Prints "diskbench: <count> ops of <size> bytes in <s> s: <n> ops/s".
 * Everything it makes under dir is removed before it exits.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "log.h"
#include "number.h"

#define DISKBENCH_SIZE_MAX	(64LL * 1024 * 1024)	/* octets per file */
#define DISKBENCH_COUNT_MAX	1000000LL		/* operations */
#define DISKBENCH_CHUNK		65536			/* octets per write */
#define DISKBENCH_NAME_MAX	64			/* of "tmp/<n>" */

struct bench {
	char		 base[PATH_MAX];	/* dir/diskbench.XXXXXX */
	int		 basefd;
	int		 newfd;			/* base/new, kept open */
	long long	 size;
	long long	 count;
	long long	 done;
	char		 chunk[DISKBENCH_CHUNK];
};

static __dead void usage(void);
static int	bench_setup(struct bench *, const char *);
static int	bench_one(struct bench *, long long);
static int	bench_write(int, const char *, long long);
static void	bench_cleanup(struct bench *);
static double	now(void);

static __dead void
usage(void)
{
	fprintf(stderr, "usage: diskbench dir size count\n");
	exit(EX_USAGE);
}

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
bench_setup(struct bench *b, const char *dir)
{
	int	n;

	n = snprintf(b->base, sizeof(b->base), "%s/diskbench.XXXXXX", dir);
	if (n < 0 || (size_t)n >= sizeof(b->base)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mkdtemp(b->base) == NULL)
		return -1;
	if ((b->basefd = open(b->base, O_RDONLY | O_DIRECTORY)) == -1)
		return -1;
	if (mkdirat(b->basefd, "tmp", 0700) == -1 ||
	    mkdirat(b->basefd, "new", 0700) == -1)
		return -1;
	b->newfd = openat(b->basefd, "new", O_RDONLY | O_DIRECTORY);
	memset(b->chunk, 'x', sizeof(b->chunk));
	return b->newfd == -1 ? -1 : 0;
}

static int
bench_write(int fd, const char *chunk, long long size)
{
	ssize_t	n;
	size_t	len;

	while (size > 0) {
		len = size < DISKBENCH_CHUNK ? (size_t)size : DISKBENCH_CHUNK;
		if ((n = write(fd, chunk, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		size -= n;
	}
	return 0;
}

/* One operation: create, write, fsync, rename, fsync the directory. */
static int
bench_one(struct bench *b, long long i)
{
	char	tmp[DISKBENCH_NAME_MAX], final[DISKBENCH_NAME_MAX];
	int	fd;

	snprintf(tmp, sizeof(tmp), "tmp/%lld", i);
	snprintf(final, sizeof(final), "new/%lld", i);
	fd = openat(b->basefd, tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd == -1)
		return -1;
	if (bench_write(fd, b->chunk, b->size) == -1 || fsync(fd) == -1) {
		close(fd);
		return -1;
	}
	if (close(fd) == -1 || renameat(b->basefd, tmp, b->basefd,
	    final) == -1)
		return -1;
	b->done = i + 1;
	return fsync(b->newfd);
}

static void
bench_cleanup(struct bench *b)
{
	char		name[DISKBENCH_NAME_MAX];
	long long	i;

	for (i = 0; i <= b->done && i < b->count; i++) {
		snprintf(name, sizeof(name), "new/%lld", i);
		unlinkat(b->basefd, name, 0);
		snprintf(name, sizeof(name), "tmp/%lld", i);
		unlinkat(b->basefd, name, 0);
	}
	if (b->newfd != -1)
		close(b->newfd);
	if (b->basefd != -1) {
		unlinkat(b->basefd, "new", AT_REMOVEDIR);
		unlinkat(b->basefd, "tmp", AT_REMOVEDIR);
		close(b->basefd);
	}
	rmdir(b->base);
}

int
main(int argc, char *argv[])
{
	static struct bench	b;
	double			start, secs;
	long long		i;
	int			rv = EX_OK;

	log_init("diskbench", 1);
	if (argc != 4)
		usage();
	if (parse_size(argv[2], DISKBENCH_SIZE_MAX, &b.size) == -1 ||
	    parse_number(argv[3], 1, DISKBENCH_COUNT_MAX, &b.count) == -1)
		usage();
	b.basefd = b.newfd = -1;
	if (bench_setup(&b, argv[1]) == -1) {
		log_warn("%s", argv[1]);
		bench_cleanup(&b);
		return EX_CANTCREAT;
	}
	start = now();
	for (i = 0; i < b.count; i++)
		if (bench_one(&b, i) == -1) {
			log_warn("%s: operation %lld", b.base, i);
			rv = EX_IOERR;
			break;
		}
	secs = now() - start;
	bench_cleanup(&b);
	if (rv != EX_OK)
		return rv;
	printf("diskbench: %lld ops of %lld bytes in %.3f s: %.0f ops/s\n",
	    b.count, b.size, secs, secs > 0 ? b.count / secs : 0.0);
	return EX_OK;
}
