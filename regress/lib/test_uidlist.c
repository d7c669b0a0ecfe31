/*
 * Unit tests of lib/uidlist: numbering, stability, drops, the file
 * format, the courier migration, malformed files and concurrent syncs.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uidlist.h"
#include "unit.h"

static char	dir[256];
static int	dirfd_;

static void
put(const char *name, const char *text)
{
	int	fd = openat(dirfd_, name, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		perror(name);
	close(fd);
}

static char *
get(const char *name)
{
	static char	buf[8192];
	int		fd = openat(dirfd_, name, O_RDONLY);
	ssize_t		n = fd == -1 ? -1 : read(fd, buf, sizeof(buf) - 1);

	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
fresh(void)
{
	unlinkat(dirfd_, UIDLIST_FILE, 0);
	unlinkat(dirfd_, UIDLIST_COURIER_IMAP, 0);
	unlinkat(dirfd_, UIDLIST_COURIER_POP3, 0);
}

static uint32_t
uid_of(const struct uidlist *ul, const char *name)
{
	size_t	i;

	for (i = 0; i < ul->n; i++)
		if (strcmp(ul->e[i].name, name) == 0)
			return ul->e[i].uid;
	return 0;
}

static const char *
uidl_of(const struct uidlist *ul, const char *name)
{
	size_t	i;

	for (i = 0; i < ul->n; i++)
		if (strcmp(ul->e[i].name, name) == 0)
			return ul->e[i].uidl ? ul->e[i].uidl : "(none)";
	return "(absent)";
}

static int
vsize_len(void *arg, size_t index, uint64_t *v)
{
	const char *const	*names = arg;

	*v = strlen(names[index]) * 10;
	return 0;
}

static void
test_numbering(void)
{
	const char	*a[] = { "1.a.host", "2.b.host", "3.c host%" };
	const char	*b[] = { "2.b.host", "4.d.host", "3.c host%" };
	struct uidlist	 ul, ul2;
	uint32_t	 v;

	fresh();
	CHECK(uidlist_sync(dirfd_, a, 3, vsize_len, a, &ul) == 0);
	CHECK(ul.n == 3 && ul.uidnext == 4 && ul.written && !ul.migrated);
	CHECK(uid_of(&ul, "1.a.host") == 1 && uid_of(&ul, "3.c host%") == 3);
	CHECK(ul.e[2].index == 2 && ul.e[2].vsize == 90);
	v = ul.uidvalidity;
	uidlist_free(&ul);
	CHECK(strstr(get(UIDLIST_FILE), "3 3.c%20host%25 V90\n") != NULL);
	/* unchanged: same numbers, nothing written */
	CHECK(uidlist_sync(dirfd_, a, 3, NULL, NULL, &ul) == 0);
	CHECK(!ul.written && ul.uidvalidity == v && ul.e[2].vsize == 90);
	uidlist_free(&ul);
	/* one gone, one new: the new one gets 4, never a reused number */
	CHECK(uidlist_sync(dirfd_, b, 3, NULL, NULL, &ul) == 0);
	CHECK(ul.n == 3 && uid_of(&ul, "4.d.host") == 4);
	CHECK(uid_of(&ul, "2.b.host") == 2 && uid_of(&ul, "1.a.host") == 0);
	CHECK(ul.e[0].index == 0 && ul.e[2].index == 1);
	CHECK(uidlist_find(&ul, 4) != NULL && uidlist_find(&ul, 1) == NULL);
	CHECK(uidlist_read(dirfd_, &ul2) == 0 && ul2.n == 3 &&
	    ul2.uidnext == 5 && ul2.uidvalidity == v);
	uidlist_free(&ul);
	uidlist_free(&ul2);
	/* an empty folder keeps its list and UIDVALIDITY */
	CHECK(uidlist_sync(dirfd_, NULL, 0, NULL, NULL, &ul) == 0);
	CHECK(ul.n == 0 && ul.uidnext == 5 && ul.uidvalidity == v);
	uidlist_free(&ul);
}

static void
test_basename(void)
{
	char	buf[64];

	CHECK(uidlist_basename("1.x.h,S=5:2,RS", buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "1.x.h,S=5");
	CHECK(uidlist_basename("1.x.h", buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "1.x.h");
	CHECK(uidlist_basename("1.x.h", buf, 3) == -1 &&
	    errno == ENAMETOOLONG);
	/* escapes: blanks, controls, 8-bit and '%' as %XX, and back */
	CHECK(uidlist_escape("a b%\x01\xe9:2,S", buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "a%20b%25%01%E9:2,S");
	CHECK(uidlist_unescape(buf) == 0);
	CHECK_STR(buf, "a b%\x01\xe9:2,S");
	CHECK(uidlist_escape("a b", buf, 4) == -1 && errno == ENAMETOOLONG);
	strlcpy(buf, "plain", sizeof(buf));
	CHECK(uidlist_unescape(buf) == 0);
	CHECK_STR(buf, "plain");
	strlcpy(buf, "%e9", sizeof(buf));	/* either case */
	CHECK(uidlist_unescape(buf) == 0 && buf[0] == '\xe9');
	strlcpy(buf, "a%00b", sizeof(buf));
	CHECK(uidlist_unescape(buf) == -1);
	strlcpy(buf, "a%4", sizeof(buf));
	CHECK(uidlist_unescape(buf) == -1);
	buf[0] = '\0';
	CHECK(uidlist_unescape(buf) == -1);
}

static void
test_malformed(void)
{
	static const char *bad[] = {
		"",
		"buzon-uidlist 2 5 5\n",
		"buzon-uidlist 1 5 0\n",
		"buzon-uidlist 1 5 5\n3 a\n2 b\n",
		"buzon-uidlist 1 5 5\n5 a\n",
		"buzon-uidlist 1 5 5\n0 a\n",
		"buzon-uidlist 1 5 5\n1 a%2\n",
		"buzon-uidlist 1 5 5\n1 a Vx\n",
		"buzon-uidlist 1 5 5\n1\n",
	};
	const char	*a[] = { "a" };
	struct uidlist	 ul;
	size_t		 i;

	for (i = 0; i < nitems(bad); i++) {
		fresh();
		put(UIDLIST_FILE, bad[i]);
		CHECK(uidlist_sync(dirfd_, a, 1, NULL, NULL, &ul) == -1 &&
		    errno == EINVAL);
		CHECK(strcmp(get(UIDLIST_FILE), bad[i]) == 0);
	}
	fresh();
	put(UIDLIST_FILE, "buzon-uidlist 1 7 9\n2 a X-later Pkept\n");
	CHECK(uidlist_sync(dirfd_, a, 1, NULL, NULL, &ul) == 0);
	CHECK(ul.n == 1 && ul.e[0].uid == 2 && ul.uidvalidity == 7);
	CHECK_STR(ul.e[0].uidl, "kept");
	uidlist_free(&ul);
}

static void
test_courier(void)
{
	const char	*names[] = { "100.AAA.h,S=10", "101.BBB.h", "102.CCC.h",
			    "103.DDD.h", "104.E+\"E.h" };
	static char	 longline[UIDLIST_LINE_MAX + 64];
	struct uidlist	 ul;

	fresh();
	put(UIDLIST_COURIER_IMAP, "1 1234 60\n"
	    "50 100.AAA.h,S=10:2,S\n51 101.BBB.h:2,\n52 102.CCC.h\n"
	    "garbage\n53 gone.h:2,\n");
	put(UIDLIST_COURIER_POP3, "/3 58 1234\n"
	    "100.AAA.h,S=10:2,S 10 50:1234:0\n"
	    "101.BBB.h:2, 20 7:999:0\n"
	    "104.E+\"E.h 30 0:1234:0\n");
	CHECK(uidlist_sync(dirfd_, names, 5, NULL, NULL, &ul) == 0);
	CHECK(ul.migrated && ul.written && ul.uidvalidity == 1234);
	CHECK(uid_of(&ul, "100.AAA.h,S=10") == 50);
	CHECK(uid_of(&ul, "102.CCC.h") == 52);
	CHECK(uid_of(&ul, "103.DDD.h") == 60);
	CHECK(uid_of(&ul, "104.E+\"E.h") == 61);
	CHECK_STR(uidl_of(&ul, "100.AAA.h,S=10"), "UID50-1234");
	CHECK_STR(uidl_of(&ul, "101.BBB.h"), "UID7-999");
	CHECK_STR(uidl_of(&ul, "102.CCC.h"), "(none)");
	CHECK_STR(uidl_of(&ul, "104.E+\"E.h"), "104.E+2B+22E.h");
	CHECK(ul.uidnext == 62);
	uidlist_free(&ul);
	/* the courier files are read once only */
	unlinkat(dirfd_, UIDLIST_COURIER_IMAP, 0);
	CHECK(uidlist_sync(dirfd_, names, 5, NULL, NULL, &ul) == 0);
	CHECK(!ul.migrated && !ul.written && uid_of(&ul, "101.BBB.h") == 51);
	CHECK_STR(uidl_of(&ul, "101.BBB.h"), "UID7-999");
	uidlist_free(&ul);

	/* a line too long is passed over whole, not read from its cut */
	fresh();
	memset(longline, 'x', sizeof(longline));
	memcpy(longline, "1 1234 60\n52 ", 13);
	/* fgets() cuts the second line where a line could start */
	memcpy(longline + 10 + UIDLIST_LINE_MAX - 1, "54 103.DDD.h\n", 14);
	put(UIDLIST_COURIER_IMAP, longline);
	CHECK(uidlist_sync(dirfd_, names, 4, NULL, NULL, &ul) == 0);
	CHECK(ul.migrated && uid_of(&ul, "103.DDD.h") == 63);
	uidlist_free(&ul);

	/* courierpop3dsizelist alone: its UIDs, version 2 lines */
	fresh();
	put(UIDLIST_COURIER_POP3, "/2 9 77\n"
	    "100.AAA.h,S=10:2,S 10 3:77\n101.BBB.h 20 4:0\n");
	CHECK(uidlist_sync(dirfd_, names, 3, NULL, NULL, &ul) == 0);
	CHECK(ul.uidvalidity == 77 && uid_of(&ul, "100.AAA.h,S=10") == 3);
	CHECK(uid_of(&ul, "101.BBB.h") == 9 && uid_of(&ul, "102.CCC.h") == 10);
	CHECK_STR(uidl_of(&ul, "101.BBB.h"), "UID4");
	CHECK_STR(uidl_of(&ul, "100.AAA.h,S=10"), "UID3-77");
	uidlist_free(&ul);

	/* the old format without a "/" line: file names are the UIDLs */
	fresh();
	put(UIDLIST_COURIER_POP3, "100.AAA.h,S=10:2,S 10\n101.BBB.h 20\n");
	CHECK(uidlist_sync(dirfd_, names, 2, NULL, NULL, &ul) == 0);
	CHECK(ul.migrated && ul.uidnext == 3);
	CHECK_STR(uidl_of(&ul, "100.AAA.h,S=10"), "100.AAA.h,S=10");
	CHECK_STR(uidl_of(&ul, "101.BBB.h"), "101.BBB.h");
	uidlist_free(&ul);

	/* A sign where a number belongs: the line (or file) is not taken. */
	fresh();
	put(UIDLIST_COURIER_POP3, "/2 9 77\n"
	    "100.AAA.h,S=10:2,S 10 -3:77\n101.BBB.h 20 4:0\n");
	CHECK(uidlist_sync(dirfd_, names, 2, NULL, NULL, &ul) == 0);
	CHECK(ul.uidvalidity == 77 && uid_of(&ul, "100.AAA.h,S=10") == 9);
	CHECK(uid_of(&ul, "101.BBB.h") == 10);
	uidlist_free(&ul);
	fresh();
	put(UIDLIST_COURIER_IMAP, "1 -5 60\n7 100.AAA.h,S=10\n");
	CHECK(uidlist_sync(dirfd_, names, 2, NULL, NULL, &ul) == 0);
	CHECK(ul.uidvalidity != (uint32_t)-5 && uid_of(&ul, "100.AAA.h,S=10")
	    != 7);
	uidlist_free(&ul);
}

/* Writers in parallel: the file stays whole, no UID is given twice. */
static void
test_concurrent(void)
{
	struct uidlist	 ul;
	const char	*all[8 * 40];
	char		 store[8 * 40][32];
	int		 w, i, st, ok = 1;
	pid_t		 pid[8];

	fresh();
	for (w = 0; w < 8; w++) {
		if ((pid[w] = fork()) == 0) {
			for (i = 0; i < 40; i++) {
				snprintf(store[i], sizeof(store[i]), "%d.n%d",
				    i, w % 2);
				all[i] = store[i];
			}
			for (i = 1; i <= 40; i++) {
				if (uidlist_sync(dirfd_, all, i, NULL, NULL,
				    &ul) == -1)
					_exit(1);
				uidlist_free(&ul);
			}
			_exit(0);
		}
	}
	for (w = 0; w < 8; w++)
		ok &= waitpid(pid[w], &st, 0) == pid[w] && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0;
	CHECK(ok);
	CHECK(uidlist_read(dirfd_, &ul) == 0);
	/* two name sets fight; the last writer's 40 survive */
	CHECK(ul.n == 40 && ul.uidnext >= 41);
	for (i = 1; i < (int)ul.n; i++)
		CHECK(ul.e[i].uid > ul.e[i - 1].uid);
	uidlist_free(&ul);
}

int
main(void)
{
	const char	*tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/uidlist.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL || (dirfd_ = open(dir, O_RDONLY)) == -1) {
		perror(dir);
		return 1;
	}
	test_numbering();
	test_basename();
	test_malformed();
	test_courier();
	test_concurrent();
	fresh();
	unlinkat(dirfd_, UIDLIST_LOCKFILE, 0);
	unlinkat(dirfd_, UIDLIST_TMPFILE, 0);
	close(dirfd_);
	rmdir(dir);
	return unit_done();
}
