/*
 * Unit tests of lib/maildir: folder names, unique names, host escaping,
 * and the tmp/ -> new/ (cur/) protocol in a scratch directory under
 * $TMPDIR.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "maildir.h"
#include "unit.h"

#define UNIQ_COUNT	2000	/* names made in one process */
#define BASE_MAX	512	/* octets of the scratch directory path */

static const char *const good_folders[] = {
	".Spam", ".Lists.buzon", ".a", ".Sent Items", ".caf\xc3\xa9",
	".&AOk-t&AOk-", ".x-y_z"
};
static const char *const bad_folders[] = {
	"", ".", "..", "...", "Spam", "../x", ".a/b", ".a..b", ".a.",
	"..a", "./", ".a\nb", ".a\tb", ".a\x7f", "/etc", ".a/../b"
};

static void	test_folder_names(void);
static void	test_uniq(void);
static void	test_host_escape(void);
static int	count_dir(const char *, const char *);
static void	test_deliver(const char *);
static void	test_abort_and_flags(const char *);
static void	test_folder_create(const char *);
static void	test_secure(const char *);
static void	test_vsize(const char *);
static void	test_read_line(void);

static void
test_folder_names(void)
{
	char	longname[MAILDIR_FOLDER_MAX + 2];
	size_t	i;

	for (i = 0; i < nitems(good_folders); i++)
		CHECK(maildir_folder_valid(good_folders[i]) == 0);
	for (i = 0; i < nitems(bad_folders); i++) {
		errno = 0;
		CHECK(maildir_folder_valid(bad_folders[i]) == -1 &&
		    errno == EINVAL);
	}
	memset(longname, 'x', sizeof(longname) - 1);
	longname[0] = '.';
	longname[sizeof(longname) - 1] = '\0';
	CHECK(maildir_folder_valid(longname) == -1);
	longname[MAILDIR_FOLDER_MAX] = '\0';
	CHECK(maildir_folder_valid(longname) == 0);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_uniq(void)
{
	static char	 names[UNIQ_COUNT][MAILDIR_NAME_MAX + 1];
	char		*sorted[UNIQ_COUNT], pid[32];
	int		 i, dup = 0, shape = 1;

	snprintf(pid, sizeof(pid), "P%ldQ", (long)getpid());
	for (i = 0; i < UNIQ_COUNT; i++) {
		CHECK(maildir_uniq(names[i], sizeof(names[i])) == 0);
		sorted[i] = names[i];
		if (strstr(names[i], ".M") == NULL ||
		    strstr(names[i], pid) == NULL ||
		    strchr(names[i], 'R') == NULL ||
		    strpbrk(names[i], "/:,") != NULL)
			shape = 0;
	}
	CHECK(shape);
	qsort(sorted, UNIQ_COUNT, sizeof(sorted[0]), cmp_str);
	for (i = 1; i < UNIQ_COUNT; i++)
		if (strcmp(sorted[i - 1], sorted[i]) == 0)
			dup++;
	CHECK(dup == 0);
	CHECK(maildir_uniq(names[0], 10) == -1 && errno == ENAMETOOLONG);
}

static void
test_host_escape(void)
{
	char	buf[MAILDIR_HOST_MAX + 1];

	CHECK(maildir_host_escape("mx.example.org", buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "mx.example.org");
	CHECK(maildir_host_escape("a/b:c", buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "a\\057b\\072c");
	CHECK(maildir_host_escape("a,b c", buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "a\\054b\\040c");
	/* Cut at a whole escape, never in the middle of one. */
	CHECK(maildir_host_escape("ab:", buf, 5) == 0);
	CHECK_STR(buf, "ab");
}

static int
count_dir(const char *dir, const char *sub)
{
	char		 path[PATH_MAX];
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
test_deliver(const char *base)
{
	struct maildir		md;
	struct maildir_msg	m;
	struct stat		st;
	char			path[PATH_MAX], name[MAILDIR_NAME_MAX + 8];
	char			size[32];
	static const char	msg[] = "Subject: unit\n\nbody\n";

	snprintf(path, sizeof(path), "%s/Maildir", base);
	CHECK(maildir_create(path) == 0);
	CHECK(maildir_create(path) == 0);	/* an existing one is kept */
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == MAILDIR_MODE);
	CHECK(maildir_open(&md, path) == 0);
	CHECK(maildir_msg_open(&md, &m) == 0);
	CHECK(count_dir(path, "tmp") == 1);
	CHECK(maildir_msg_write(&m, msg, sizeof(msg) - 1) == 0);
	CHECK(count_dir(path, "new") == 0);
	CHECK(maildir_msg_commit(&m, NULL, name, sizeof(name)) == 0);
	CHECK(count_dir(path, "tmp") == 0);
	CHECK(count_dir(path, "new") == 1);
	CHECK(strncmp(name, "new/", 4) == 0);
	snprintf(size, sizeof(size), ",S=%zu", sizeof(msg) - 1);
	CHECK(strlen(name) > strlen(size) &&
	    strcmp(name + strlen(name) - strlen(size), size) == 0);
	snprintf(path, sizeof(path), "%s/Maildir/%s", base, name);
	CHECK(stat(path, &st) == 0 && st.st_size == sizeof(msg) - 1 &&
	    (st.st_mode & 0777) == MAILDIR_FILE_MODE);
	maildir_close(&md);
}

static void
test_abort_and_flags(const char *base)
{
	struct maildir		md;
	struct maildir_msg	m;
	char			path[PATH_MAX], name[MAILDIR_NAME_MAX + 8];

	snprintf(path, sizeof(path), "%s/Maildir", base);
	CHECK(maildir_open(&md, path) == 0);
	CHECK(maildir_msg_open(&md, &m) == 0);
	CHECK(maildir_msg_write(&m, "x", 1) == 0);
	maildir_msg_abort(&m);
	maildir_msg_abort(&m);			/* twice is harmless */
	CHECK(count_dir(path, "tmp") == 0);
	CHECK(count_dir(path, "new") == 1);
	CHECK(maildir_msg_open(&md, &m) == 0);
	CHECK(maildir_msg_commit(&m, "S/", name, sizeof(name)) == -1);
	CHECK(count_dir(path, "tmp") == 0 && count_dir(path, "cur") == 0);
	CHECK(maildir_msg_open(&md, &m) == 0);
	CHECK(maildir_msg_write(&m, "xyz", 3) == 0);
	CHECK(maildir_msg_commit(&m, "RS", name, sizeof(name)) == 0);
	CHECK(strncmp(name, "cur/", 4) == 0 &&
	    strstr(name, ",S=3:2,RS") != NULL);
	CHECK(count_dir(path, "cur") == 1 && count_dir(path, "tmp") == 0);
	maildir_close(&md);
	snprintf(path, sizeof(path), "%s/nonexistent/Maildir", base);
	CHECK(maildir_create(path) == -1 && errno == ENOENT);
	CHECK(maildir_open(&md, path) == -1 && md.fd == -1);
}

static void
test_folder_create(const char *base)
{
	struct maildir	md, f;
	struct stat	st;
	char		path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/Maildir", base);
	CHECK(maildir_open(&md, path) == 0);
	CHECK(maildir_folder_open(&md, ".Spam", &f) == -1 && errno == ENOENT);
	CHECK(maildir_folder_create(&md, "../x") == -1 && errno == EINVAL);
	CHECK(maildir_folder_create(&md, ".Lists.buzon") == 0);
	CHECK(maildir_folder_create(&md, ".Lists.buzon") == 0);
	CHECK(maildir_folder_open(&md, ".Lists.buzon", &f) == 0);
	maildir_close(&f);
	snprintf(path, sizeof(path), "%s/Maildir/.Lists.buzon/%s", base,
	    MAILDIR_FOLDER_MARK);
	CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode));
	snprintf(path, sizeof(path), "%s/Maildir/.Lists.buzon/cur", base);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == MAILDIR_MODE);
	maildir_close(&md);
}

static void
test_secure(const char *base)
{
	struct maildir	md;
	char		path[PATH_MAX], why[256];

	snprintf(path, sizeof(path), "%s/Maildir", base);
	CHECK(maildir_open(&md, path) == 0);
	CHECK(maildir_secure(&md, geteuid(), why, sizeof(why)) == 0);
	CHECK(maildir_secure(&md, geteuid() + 1, why, sizeof(why)) == -1 &&
	    errno == EPERM && strstr(why, "owned by") != NULL);
	CHECK(chmod(path, 0770) == 0);
	CHECK(maildir_secure(&md, geteuid(), why, sizeof(why)) == -1 &&
	    strstr(why, "writable") != NULL);
	CHECK(chmod(path, 0700) == 0);
	snprintf(path, sizeof(path), "%s/Maildir/new", base);
	CHECK(chmod(path, 0703) == 0);
	CHECK(maildir_secure(&md, geteuid(), why, sizeof(why)) == -1 &&
	    strstr(why, "new:") != NULL);
	CHECK(chmod(path, 0700) == 0);
	maildir_close(&md);
}

int
main(void)
{
	const char	*tmpdir = getenv("TMPDIR");
	static char	 base[BASE_MAX];

	snprintf(base, sizeof(base), "%s/maildir-unit-XXXXXX",
	    tmpdir != NULL ? tmpdir : "/tmp");
	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_folder_names();
	test_uniq();
	test_host_escape();
	test_deliver(base);
	test_abort_and_flags(base);
	test_folder_create(base);
	test_secure(base);
	test_vsize(base);
	test_read_line();
	return unit_done();
}

/* CR LF counted for each bare LF, and a last line end added. */
static void
test_vsize(const char *base)
{
	static const struct {
		const char	*data;
		uint64_t	 vsize;
	} cases[] = {
		{ "", 0 },
		{ "a\n", 3 },
		{ "a\r\nb\n", 6 },
		{ "a\nb", 6 },
		{ "a\r", 4 },
	};
	char		 path[PATH_MAX];
	uint64_t	 v;
	size_t		 i;
	int		 fd, dfd;

	CHECK((dfd = open(base, O_RDONLY | O_DIRECTORY)) != -1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "%s/vsize", base);
		CHECK((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) !=
		    -1);
		CHECK(write(fd, cases[i].data, strlen(cases[i].data)) ==
		    (ssize_t)strlen(cases[i].data));
		close(fd);
		CHECK(maildir_vsize(dfd, "vsize", &v) == 0 &&
		    v == cases[i].vsize);
	}
	unlink(path);
	CHECK(maildir_vsize(dfd, "vsize", &v) == -1 && errno == ENOENT);
	close(dfd);
}

/* A line too long is one failure, its rest skipped; no LF at the end. */
static void
test_read_line(void)
{
	static const char	 data[] = "one\n0123456789abcdef\n\nlast";
	char			 buf[8];
	FILE			*fp;

	CHECK((fp = fmemopen((void *)data, sizeof(data) - 1, "r")) != NULL);
	CHECK(maildir_read_line(fp, buf, sizeof(buf)) == 1 &&
	    strcmp(buf, "one") == 0);
	errno = 0;
	CHECK(maildir_read_line(fp, buf, sizeof(buf)) == -1 &&
	    errno == EINVAL);
	CHECK(maildir_read_line(fp, buf, sizeof(buf)) == 1 && buf[0] == '\0');
	CHECK(maildir_read_line(fp, buf, sizeof(buf)) == 1 &&
	    strcmp(buf, "last") == 0);
	CHECK(maildir_read_line(fp, buf, sizeof(buf)) == 0);
	fclose(fp);
	/* The LF counts: seven octets and an LF do not fit in eight. */
	CHECK((fp = fmemopen((void *)"1234567\nx\n", 10, "r")) != NULL);
	CHECK(maildir_read_line(fp, buf, sizeof(buf)) == -1);
	CHECK(maildir_read_line(fp, buf, sizeof(buf)) == 1 &&
	    strcmp(buf, "x") == 0);
	fclose(fp);
}
