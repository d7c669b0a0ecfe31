/*
 * Socket helpers: UNIX sockets listening with a mode and group, TCP
 * listeners, connecting with a time limit, peer credentials, descriptor
 * passing, bounded full reads and writes.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "sock.h"

/* Closes fd and returns -1, errno untouched: the end of a failed setup. */
static int
close_fail(int fd)
{
	int	saved = errno;

	close(fd);
	errno = saved;
	return -1;
}

static int
sun_set(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlcpy(sun->sun_path, path, sizeof(sun->sun_path)) >=
	    sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Removes path when it is a socket nobody answers on. */
static int
remove_stale(const char *path)
{
	struct stat	st;
	int		fd;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	if ((fd = sock_connect_unix(path, 1000)) != -1) {
		close(fd);
		errno = EADDRINUSE;
		return -1;
	}
	return unlink(path);
}

int
sock_listen_unix(const char *path, mode_t mode, gid_t gid, int backlog)
{
	struct sockaddr_un	sun;
	mode_t			old;
	int			fd, saved;

	if (sun_set(&sun, path) == -1 || remove_stale(path) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	old = umask(0177);	/* no window with a wider mode */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		goto fail;
	}
	umask(old);
	if ((gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) == -1) ||
	    chmod(path, mode) == -1 || listen(fd, backlog) == -1) {
		saved = errno;
		unlink(path);
		errno = saved;
		goto fail;
	}
	return fd;
fail:
	return close_fail(fd);
}

int
sock_nonblock(int fd, int on)
{
	int	fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1)
		return -1;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl);
}

int
sock_listen_tcp(const struct addrinfo *ai, int backlog)
{
	int	fd, on = 1;

	if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	    ai->ai_protocol)) == -1)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	/* Else "::" would take the IPv4 port that 0.0.0.0 wants too. */
	if (ai->ai_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
		    sizeof(on));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, backlog) == -1 || sock_nonblock(fd, 1) == -1)
		goto fail;
	return fd;
fail:
	return close_fail(fd);
}

int
sock_connect_unix(const char *path, int timeout_ms)
{
	struct sockaddr_un	sun;
	struct pollfd		pfd;
	socklen_t		len = sizeof(int);
	int			fd, err = 0;

	if (sun_set(&sun, path) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (sock_nonblock(fd, 1) == -1)
		goto fail;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno != EINPROGRESS && errno != EAGAIN)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, timeout_ms) != 1) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			goto fail;
		if (err != 0) {
			errno = err;
			goto fail;
		}
	}
	if (sock_nonblock(fd, 0) == -1)
		goto fail;
	return fd;
fail:
	return close_fail(fd);
}

int
sock_peer_cred(int fd, uid_t *uid, gid_t *gid)
{
	return getpeereid(fd, uid, gid);
}

int
sock_send_fd(int sock, int fd, const void *data, size_t len)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	}		 cmsgbuf;
	struct cmsghdr	*cmsg;
	ssize_t		 n;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)data;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd != -1) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = &cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	while ((n = sendmsg(sock, &msg, MSG_NOSIGNAL)) == -1 && errno == EINTR)
		;
	if (n == -1)
		return -1;
	if ((size_t)n != len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

ssize_t
sock_recv_fd(int sock, int *fd, void *data, size_t len)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	}		 cmsgbuf;
	struct cmsghdr	*cmsg;
	ssize_t		 n;

	*fd = -1;
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = data;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = &cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) == -1 &&
	    errno == EINTR)
		;
	if (n == -1)
		return -1;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level == SOL_SOCKET &&
		    cmsg->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(cmsg), sizeof(int));
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		if (*fd != -1)
			close(*fd);
		*fd = -1;
		errno = EMSGSIZE;
		return -1;
	}
	return n;
}

/* Waits for events on fd until the absolute deadline (ms, -1: none). */
static int
wait_until(int fd, short events, long long deadline)
{
	struct pollfd	pfd;
	long long	left;
	int		n;

	for (;;) {
		left = deadline < 0 ? -1 : deadline - daemon_now_ms();
		if (deadline >= 0 && left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		pfd.fd = fd;
		pfd.events = events;
		if ((n = poll(&pfd, 1, (int)left)) > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return -1;
	}
}

ssize_t
sock_read_atleast(int fd, void *buf, size_t min, size_t max, int timeout_ms)
{
	long long	deadline = timeout_ms < 0 ? -1 :
			    daemon_now_ms() + timeout_ms;
	char		*p = buf;
	size_t		 got = 0;
	ssize_t		 n;

	while (got < min) {
		if (wait_until(fd, POLLIN, deadline) == -1)
			return -1;
		n = recv(fd, p + got, max - got, MSG_DONTWAIT);
		if (n == -1 && errno == ENOTSOCK)
			n = read(fd, p + got, max - got);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EPIPE;
			return -1;
		}
		got += n;
	}
	return got;
}

int
sock_read_full(int fd, void *buf, size_t len, int timeout_ms)
{
	return sock_read_atleast(fd, buf, len, len, timeout_ms) == -1 ? -1 : 0;
}

int
sock_write_full(int fd, const void *buf, size_t len, int timeout_ms)
{
	long long	 deadline = timeout_ms < 0 ? -1 :
			    daemon_now_ms() + timeout_ms;
	const char	*p = buf;
	ssize_t		 n;

	/* A socket's buffer nearly always has room: try before waiting. */
	while (len > 0) {
		n = send(fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == -1 && errno == ENOTSOCK) {
			if (wait_until(fd, POLLOUT, deadline) == -1)
				return -1;
			n = write(fd, p, len);
		}
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN ||
			    wait_until(fd, POLLOUT, deadline) == -1)
				return -1;
			continue;
		}
		p += n;
		len -= n;
	}
	return 0;
}
