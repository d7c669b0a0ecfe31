/*
 * UNIX socket helpers: mode of the listening socket, stale and live
 * sockets, non-sockets left alone, peer credentials, descriptor passing,
 * bounded full reads.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sock.h"
#include "unit.h"

int
main(void)
{
	char		 path[256], other[256], buf[16];
	const char	*tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	struct stat	 st;
	uid_t		 uid;
	gid_t		 gid;
	int		 lfd, cfd, afd, p[2], got, fd;

	snprintf(path, sizeof(path), "%s/unit-%d.sock", tmp, (int)getpid());
	snprintf(other, sizeof(other), "%s/unit-%d.file", tmp, (int)getpid());

	lfd = sock_listen_unix(path, 0620, (gid_t)-1, 8);
	CHECK(lfd != -1);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0620);
	cfd = sock_connect_unix(path, 1000);
	CHECK(cfd != -1);
	afd = accept(lfd, NULL, NULL);
	CHECK(afd != -1);
	/* A second listener on a live socket is refused. */
	CHECK(sock_listen_unix(path, 0600, (gid_t)-1, 8) == -1 &&
	    errno == EADDRINUSE);
	CHECK(sock_peer_cred(afd, &uid, &gid) == 0 && uid == geteuid());

	/* A descriptor and its payload arrive together. */
	CHECK(pipe(p) == 0);
	CHECK(sock_send_fd(cfd, p[1], "X", 1) == 0);
	CHECK(sock_recv_fd(afd, &got, buf, sizeof(buf)) == 1 && buf[0] == 'X');
	CHECK(got != -1 && write(got, "hi", 2) == 2);
	CHECK(read(p[0], buf, 2) == 2 && memcmp(buf, "hi", 2) == 0);
	close(got);
	CHECK(sock_send_fd(cfd, -1, "Y", 1) == 0);
	CHECK(sock_recv_fd(afd, &got, buf, sizeof(buf)) == 1 && got == -1);

	/* Full reads: all bytes, a time-out, an early EOF. */
	CHECK(sock_write_full(cfd, "abcdef", 6, 1000) == 0);
	CHECK(sock_read_full(afd, buf, 6, 1000) == 0 &&
	    memcmp(buf, "abcdef", 6) == 0);
	CHECK(sock_read_full(afd, buf, 1, 100) == -1 && errno == ETIMEDOUT);
	/* At least min, at most max: what is there, never more than max. */
	CHECK(sock_write_full(cfd, "0123456789", 10, 1000) == 0);
	CHECK(sock_read_atleast(afd, buf, 2, 4, 1000) == 4 &&
	    memcmp(buf, "0123", 4) == 0);
	CHECK(sock_read_atleast(afd, buf, 1, sizeof(buf), 1000) == 6 &&
	    memcmp(buf, "456789", 6) == 0);
	CHECK(sock_read_atleast(afd, buf, 1, 8, 100) == -1 &&
	    errno == ETIMEDOUT);
	CHECK(sock_write_full(cfd, "ab", 2, 1000) == 0);
	close(cfd);
	CHECK(sock_read_full(afd, buf, 3, 1000) == -1 && errno == EPIPE);
	close(afd);
	close(lfd);
	close(p[0]);
	close(p[1]);

	/* The socket file is now stale: a new listener replaces it. */
	lfd = sock_listen_unix(path, 0600, (gid_t)-1, 8);
	CHECK(lfd != -1);
	close(lfd);
	unlink(path);
	CHECK(sock_connect_unix(path, 100) == -1);

	/* A regular file in the way is never removed. */
	fd = open(other, O_CREAT | O_WRONLY, 0600);
	close(fd);
	CHECK(sock_listen_unix(other, 0600, (gid_t)-1, 8) == -1 &&
	    errno == EEXIST);
	CHECK(stat(other, &st) == 0 && S_ISREG(st.st_mode));
	unlink(other);
	return unit_done();
}
