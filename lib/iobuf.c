/*
 * Bounded line I/O over a descriptor or a libtls context.  Each call has
 * a deadline (the timeout from its start); each line a hard limit.  With
 * TLS the socket is made non-blocking so that libtls can report what it
 * waits for and poll(2) can bound the wait.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tls.h>

#include "iobuf.h"
#include "xmalloc.h"

#define IOBUF_READ_MIN	4096	/* smallest read buffer */

struct iobuf {
	int		 fd;
	struct tls	*tls;
	size_t		 maxline;
	int		 timeout_ms;
	char		*rbuf;
	size_t		 rcap, rstart, rend;
	char		*wbuf;
	size_t		 wcap, wlen;
};

static int	remaining_ms(const struct timespec *);
static int	wait_fd(int, short, const struct timespec *);
static enum iobuf_result fill(struct iobuf *, const struct timespec *);

struct iobuf *
iobuf_new(int fd, size_t maxline, int timeout_ms)
{
	struct iobuf	*b = xcalloc(1, sizeof(*b));

	b->fd = fd;
	b->timeout_ms = timeout_ms;
	iobuf_set_maxline(b, maxline);
	return b;
}

void
iobuf_free(struct iobuf *b)
{
	if (b == NULL)
		return;
	free(b->rbuf);
	free(b->wbuf);
	free(b);
}

void
iobuf_set_tls(struct iobuf *b, struct tls *tls)
{
	int	fl;

	b->tls = tls;
	if ((fl = fcntl(b->fd, F_GETFL)) != -1)
		(void)fcntl(b->fd, F_SETFL, fl | O_NONBLOCK);
}

void
iobuf_set_timeout(struct iobuf *b, int timeout_ms)
{
	b->timeout_ms = timeout_ms;
}

/* Grows the read buffer so that a whole line of the limit fits. */
void
iobuf_set_maxline(struct iobuf *b, size_t maxline)
{
	size_t	cap = maxline + 1 > IOBUF_READ_MIN ? maxline + 1 :
		    IOBUF_READ_MIN;

	b->maxline = maxline;
	if (cap > b->rcap) {
		b->rbuf = xreallocarray(b->rbuf, cap, 1);
		b->rcap = cap;
	}
}

int
iobuf_fd(struct iobuf *b)
{
	return b->fd;
}

size_t
iobuf_pending(struct iobuf *b)
{
	return b->rend - b->rstart;
}

void
iobuf_discard(struct iobuf *b)
{
	b->rstart = b->rend = 0;
}

static void
deadline_set(struct timespec *dl, int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, dl);
	if (timeout_ms <= 0) {
		dl->tv_sec = 0;		/* no deadline */
		dl->tv_nsec = 0;
		return;
	}
	dl->tv_sec += timeout_ms / 1000;
	dl->tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (dl->tv_nsec >= 1000000000) {
		dl->tv_sec++;
		dl->tv_nsec -= 1000000000;
	}
}

/* Milliseconds to the deadline: -1 when there is none, 0 when passed. */
static int
remaining_ms(const struct timespec *dl)
{
	struct timespec	now;
	long long	ms;

	if (dl->tv_sec == 0 && dl->tv_nsec == 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(dl->tv_sec - now.tv_sec) * 1000 +
	    (dl->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (int)ms : 0;
}

/* 0 when fd is ready, -1 with errno ETIMEDOUT or poll's error. */
static int
wait_fd(int fd, short events, const struct timespec *dl)
{
	struct pollfd	pfd;
	int		ms, n;

	for (;;) {
		if ((ms = remaining_ms(dl)) == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		pfd.fd = fd;
		pfd.events = events;
		if ((n = poll(&pfd, 1, ms)) > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return -1;
	}
}

int
iobuf_handshake(struct iobuf *b, int timeout_ms)
{
	struct timespec	dl;
	int		r;

	deadline_set(&dl, timeout_ms);
	for (;;) {
		if ((r = tls_handshake(b->tls)) == 0)
			return 0;
		if (r != TLS_WANT_POLLIN && r != TLS_WANT_POLLOUT) {
			errno = EIO;
			return -1;
		}
		if (wait_fd(b->fd, r == TLS_WANT_POLLIN ? POLLIN : POLLOUT,
		    &dl) == -1)
			return -1;
	}
}

/* Reads what is available into the buffer's free tail. */
static enum iobuf_result
fill(struct iobuf *b, const struct timespec *dl)
{
	ssize_t	n;

	if (b->rstart > 0 && b->rend == b->rcap) {
		memmove(b->rbuf, b->rbuf + b->rstart, b->rend - b->rstart);
		b->rend -= b->rstart;
		b->rstart = 0;
	}
	for (;;) {
		if (b->tls != NULL) {
			n = tls_read(b->tls, b->rbuf + b->rend,
			    b->rcap - b->rend);
			if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT) {
				if (wait_fd(b->fd, n == TLS_WANT_POLLIN ?
				    POLLIN : POLLOUT, dl) == -1)
					break;
				continue;
			}
			if (n == -1)
				errno = EIO;
		} else {
			if (wait_fd(b->fd, POLLIN, dl) == -1)
				break;
			n = read(b->fd, b->rbuf + b->rend, b->rcap - b->rend);
			if (n == -1 && (errno == EINTR || errno == EAGAIN))
				continue;
		}
		if (n == -1)
			return IOBUF_ERROR;
		if (n == 0)
			return IOBUF_EOF;
		b->rend += n;
		return IOBUF_OK;
	}
	return errno == ETIMEDOUT ? IOBUF_TIMEOUT : IOBUF_ERROR;
}

/* Flags of the line at p (len octets, LF excluded); cuts its CR. */
static int
line_flags(char *p, size_t *len, int ended)
{
	int	flags = 0;
	size_t	i;

	if (!ended)
		flags |= IOBUF_PARTIAL;
	else if (*len > 0 && p[*len - 1] == '\r') {
		flags |= IOBUF_CRLF;
		(*len)--;
	} else
		flags |= IOBUF_BARELF;
	for (i = 0; i < *len; i++) {
		if (p[i] == '\r')
			flags |= IOBUF_BARECR;
		else if (p[i] == '\0')
			flags |= IOBUF_NUL;
	}
	p[*len] = '\0';
	return flags;
}

/* Skips the rest of an overlong line, up to its LF, within the deadline. */
static enum iobuf_result
skip_line(struct iobuf *b, const struct timespec *dl)
{
	enum iobuf_result	 r;
	char			*lf;

	for (;;) {
		lf = memchr(b->rbuf + b->rstart, '\n', b->rend - b->rstart);
		if (lf != NULL) {
			b->rstart = lf - b->rbuf + 1;
			return IOBUF_TOOLONG;
		}
		b->rstart = b->rend = 0;
		if ((r = fill(b, dl)) != IOBUF_OK)
			return r == IOBUF_EOF ? IOBUF_TOOLONG : r;
	}
}

enum iobuf_result
iobuf_getline(struct iobuf *b, char **line, size_t *len, int *flags)
{
	struct timespec		 dl;
	enum iobuf_result	 r;
	char			*start, *lf;
	size_t			 avail;

	deadline_set(&dl, b->timeout_ms);
	for (;;) {
		start = b->rbuf + b->rstart;
		avail = b->rend - b->rstart;
		if ((lf = memchr(start, '\n', avail)) != NULL) {
			if ((size_t)(lf - start) + 1 > b->maxline) {
				b->rstart = lf - b->rbuf + 1;
				return IOBUF_TOOLONG;
			}
			*len = lf - start;
			b->rstart = lf - b->rbuf + 1;
			break;
		}
		if (avail >= b->maxline)
			return skip_line(b, &dl);
		if ((r = fill(b, &dl)) == IOBUF_OK)
			continue;
		if (r != IOBUF_EOF || avail == 0)
			return r;
		/* The last line lacks its LF: hand it over as such. */
		*len = avail;
		b->rstart = b->rend;
		*flags = line_flags(start, len, 0);
		*line = start;
		return IOBUF_OK;
	}
	*flags = line_flags(start, len, 1);
	*line = start;
	return IOBUF_OK;
}

enum iobuf_result
iobuf_read(struct iobuf *b, void *buf, size_t n)
{
	struct timespec		 dl;
	enum iobuf_result	 r;
	char			*d = buf;
	size_t			 take;

	deadline_set(&dl, b->timeout_ms);
	while (n > 0) {
		if (b->rend == b->rstart) {
			b->rstart = b->rend = 0;
			if ((r = fill(b, &dl)) != IOBUF_OK)
				return r;
		}
		take = b->rend - b->rstart < n ? b->rend - b->rstart : n;
		memcpy(d, b->rbuf + b->rstart, take);
		b->rstart += take;
		d += take;
		n -= take;
	}
	return IOBUF_OK;
}

int
iobuf_write(struct iobuf *b, const void *data, size_t len)
{
	size_t	cap;

	if (len > SIZE_MAX / 2 - b->wlen) {
		errno = ENOMEM;
		return -1;
	}
	if (b->wlen + len > b->wcap) {
		cap = b->wcap ? b->wcap : IOBUF_READ_MIN;
		while (cap < b->wlen + len)
			cap *= 2;
		b->wbuf = xreallocarray(b->wbuf, cap, 1);
		b->wcap = cap;
	}
	memcpy(b->wbuf + b->wlen, data, len);
	b->wlen += len;
	return 0;
}

int
iobuf_vprintf(struct iobuf *b, const char *fmt, va_list ap)
{
	char	*s;
	int	 n, rv;

	if ((n = vasprintf(&s, fmt, ap)) == -1)
		return -1;
	rv = iobuf_write(b, s, n);
	free(s);
	return rv;
}

int
iobuf_printf(struct iobuf *b, const char *fmt, ...)
{
	va_list	ap;
	int	rv;

	va_start(ap, fmt);
	rv = iobuf_vprintf(b, fmt, ap);
	va_end(ap);
	return rv;
}

/* One write of what the descriptor takes now, without blocking. */
static ssize_t
write_some(struct iobuf *b, const char *p, size_t len)
{
	ssize_t	n;

	if (b->tls != NULL) {
		n = tls_write(b->tls, p, len);
		if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT)
			return n == TLS_WANT_POLLIN ? -2 : -3;
		if (n == -1)
			errno = EIO;
		return n;
	}
	n = send(b->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == -1 && errno == ENOTSOCK)
		n = write(b->fd, p, len);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return -3;
	return n;
}

int
iobuf_flush(struct iobuf *b)
{
	struct timespec	dl;
	size_t		off = 0;
	ssize_t		n;

	deadline_set(&dl, b->timeout_ms);
	while (off < b->wlen) {
		n = write_some(b, b->wbuf + off, b->wlen - off);
		if (n == -2 || n == -3) {
			if (wait_fd(b->fd, n == -2 ? POLLIN : POLLOUT,
			    &dl) == -1)
				goto fail;
			continue;
		}
		if (n <= 0)
			goto fail;
		off += n;
	}
	b->wlen = 0;
	return 0;
fail:
	memmove(b->wbuf, b->wbuf + off, b->wlen - off);
	b->wlen -= off;
	return -1;
}
