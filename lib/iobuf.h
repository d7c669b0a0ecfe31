/*
 * Bounded, buffered line I/O over a plain descriptor or a libtls context.
 * Every read and every flush is bounded by a timeout; every line by a hard
 * limit, counted in octets with its terminator.  A line ends at LF; the
 * flags tell how it ended and what it held, so a protocol can refuse bare
 * LF, bare CR or NUL as its RFC says.  libtls writes with write(2), so a
 * program using TLS ignores SIGPIPE.
 */
#ifndef IOBUF_H
#define IOBUF_H

#include <sys/types.h>
#include <stdarg.h>
#include <stddef.h>

struct tls;
struct iobuf;

enum iobuf_result {
	IOBUF_OK,		/* a line (or the bytes asked for) */
	IOBUF_EOF,		/* end of input, nothing pending */
	IOBUF_TIMEOUT,		/* no complete line within the timeout */
	IOBUF_TOOLONG,		/* over the limit; skipped up to its LF */
	IOBUF_ERROR		/* read error or TLS failure; errno set */
};

#define IOBUF_CRLF	0x01	/* the line ended with CR LF */
#define IOBUF_BARELF	0x02	/* the line ended with LF alone */
#define IOBUF_BARECR	0x04	/* a CR not followed by LF inside it */
#define IOBUF_NUL	0x08	/* a NUL byte inside it */
#define IOBUF_PARTIAL	0x10	/* input ended before any LF */

struct iobuf	*iobuf_new(int fd, size_t maxline, int timeout_ms);
void		 iobuf_free(struct iobuf *);	/* does not close fd */
void		 iobuf_set_tls(struct iobuf *, struct tls *);
/*
 * The TLS handshake of the context set with iobuf_set_tls() within
 * timeout_ms: 0, or -1 with errno ETIMEDOUT, or EIO (tls_error() says).
 */
int		 iobuf_handshake(struct iobuf *, int timeout_ms);
void		 iobuf_set_timeout(struct iobuf *, int timeout_ms);
void		 iobuf_set_maxline(struct iobuf *, size_t);
int		 iobuf_fd(struct iobuf *);

/*
 * Reads one line.  *line is NUL-terminated without its terminator and
 * stays valid until the next call; *len excludes the terminator; *flags
 * gets IOBUF_* bits.
 */
enum iobuf_result iobuf_getline(struct iobuf *, char **line, size_t *len,
		    int *flags);
/* Reads exactly n bytes (buffered ones first). */
enum iobuf_result iobuf_read(struct iobuf *, void *buf, size_t n);

/* Bytes already read from the peer but not yet returned. */
size_t		 iobuf_pending(struct iobuf *);
/* Drops them (at STARTTLS: nothing sent in clear survives). */
void		 iobuf_discard(struct iobuf *);

/* Buffered output; 0 or -1.  A flush is bounded by the timeout. */
int		 iobuf_write(struct iobuf *, const void *, size_t);
int		 iobuf_printf(struct iobuf *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
int		 iobuf_vprintf(struct iobuf *, const char *, va_list)
		    __attribute__((__format__(printf, 2, 0)));
int		 iobuf_flush(struct iobuf *);

#endif /* IOBUF_H */
