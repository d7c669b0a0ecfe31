/*
 * Socket helpers: UNIX listen with a mode and group, TCP listen, connect
 * with a timeout, peer credentials, descriptor passing, and whole-buffer
 * reads and writes bounded by a timeout.  All return -1 with errno on failure.
 */
#ifndef SOCK_H
#define SOCK_H

#include <sys/types.h>
#include <stddef.h>

struct addrinfo;

/*
 * Binds a stream socket at path with the given mode, and group when gid
 * is not (gid_t)-1.  A stale socket left by a dead process is replaced;
 * one that answers is not (EADDRINUSE); a non-socket is never removed.
 */
int	sock_listen_unix(const char *path, mode_t mode, gid_t gid, int backlog);
int	sock_connect_unix(const char *path, int timeout_ms);
int	sock_peer_cred(int fd, uid_t *uid, gid_t *gid);
int	sock_nonblock(int fd, int on);
/*
 * A non-blocking, close-on-exec stream listener on one address from
 * getaddrinfo(3), with SO_REUSEADDR, and IPV6_V6ONLY for IPv6.
 */
int	sock_listen_tcp(const struct addrinfo *ai, int backlog);

/* Sends len bytes (len >= 1) with fd attached; fd -1 sends none. */
int	sock_send_fd(int sock, int fd, const void *data, size_t len);
/* Returns bytes received (0 at EOF); *fd is -1 when none came. */
ssize_t	sock_recv_fd(int sock, int *fd, void *data, size_t len);

/* Exactly len bytes or failure; timeout_ms < 0 waits forever.  ETIMEDOUT
 * on time-out; EPIPE for EOF before len bytes. */
int	sock_read_full(int fd, void *buf, size_t len, int timeout_ms);
/*
 * At least min and at most max bytes: the number read, or -1 as above.
 * For a client with one answer outstanding, which may take it whole in
 * one read instead of a header and then a payload.
 */
ssize_t	sock_read_atleast(int fd, void *buf, size_t min, size_t max,
	    int timeout_ms);
int	sock_write_full(int fd, const void *buf, size_t len, int timeout_ms);

#endif /* SOCK_H */
