/*
 * The bounded line reader over a socketpair: terminators and their flags,
 * the hard limit, NUL and bare CR, timeouts, partial last lines, exact
 * reads, and buffered writes.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iobuf.h"
#include "unit.h"

static int	sv[2];

static void
put(const char *s, size_t len)
{
	if (write(sv[1], s, len) != (ssize_t)len)
		unit_fail++;
}

static enum iobuf_result
get(struct iobuf *b, char **line, size_t *len, int *flags)
{
	*line = NULL;
	*len = 0;
	*flags = 0;
	return iobuf_getline(b, line, len, flags);
}

static void
lines(struct iobuf *b)
{
	char	*line;
	size_t	 len;
	int	 fl;

	put("EHLO a\r\n", 8);
	CHECK(get(b, &line, &len, &fl) == IOBUF_OK && len == 6 &&
	    fl == IOBUF_CRLF);
	CHECK_STR(line, "EHLO a");
	put("bare\n", 5);
	CHECK(get(b, &line, &len, &fl) == IOBUF_OK && fl == IOBUF_BARELF);
	CHECK_STR(line, "bare");
	put("a\rb\r\n", 5);
	CHECK(get(b, &line, &len, &fl) == IOBUF_OK && len == 3 &&
	    fl == (IOBUF_CRLF | IOBUF_BARECR));
	put("n\0l\r\n", 5);
	CHECK(get(b, &line, &len, &fl) == IOBUF_OK && len == 3 &&
	    (fl & IOBUF_NUL) && memcmp(line, "n\0l", 3) == 0);
	put("\r\n", 2);
	CHECK(get(b, &line, &len, &fl) == IOBUF_OK && len == 0);
	/* Two lines in one write come out one by one. */
	put("one\r\ntwo\r\n", 10);
	CHECK(get(b, &line, &len, &fl) == IOBUF_OK && strcmp(line, "one") == 0);
	CHECK(get(b, &line, &len, &fl) == IOBUF_OK && strcmp(line, "two") == 0);
}

static void
limit(struct iobuf *b)
{
	char	*line, big[100];
	size_t	 len;
	int	 fl;

	/* maxline is 16 octets, terminator included. */
	put("0123456789abcd\r\n", 16);
	CHECK(get(b, &line, &len, &fl) == IOBUF_OK && len == 14);
	put("0123456789abcde\r\nnext\r\n", 23);
	CHECK(get(b, &line, &len, &fl) == IOBUF_TOOLONG);
	CHECK(get(b, &line, &len, &fl) == IOBUF_OK && strcmp(line, "next") ==
	    0);
	/* A long line with no LF in sight is skipped up to its LF. */
	memset(big, 'x', sizeof(big));
	put(big, sizeof(big));
	put(big, sizeof(big));
	put("\r\nafter\r\n", 9);
	CHECK(get(b, &line, &len, &fl) == IOBUF_TOOLONG);
	CHECK(get(b, &line, &len, &fl) == IOBUF_OK && strcmp(line, "after") ==
	    0);
}

static void
timeout(struct iobuf *b)
{
	struct timespec	 t0, t1;
	char		*line;
	size_t		 len;
	int		 fl;
	long		 ms;

	put("no end", 6);	/* and then nothing */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(get(b, &line, &len, &fl) == IOBUF_TIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) /
	    1000000;
	CHECK(ms >= 190 && ms < 2000);
	/* The pending bytes stay and complete with the next input. */
	CHECK(iobuf_pending(b) == 6);
	put("\n", 1);
	CHECK(get(b, &line, &len, &fl) == IOBUF_OK && strcmp(line, "no end") ==
	    0);
}

static void
exact_and_discard(struct iobuf *b)
{
	char	buf[8], *line;
	size_t	len;
	int	fl;

	put("12345678rest\r\n", 14);
	CHECK(iobuf_read(b, buf, 8) == IOBUF_OK && memcmp(buf, "12345678", 8) ==
	    0);
	CHECK(get(b, &line, &len, &fl) == IOBUF_OK && strcmp(line, "rest") ==
	    0);
	put("STARTTLS\r\nINJECTED\r\n", 20);
	CHECK(get(b, &line, &len, &fl) == IOBUF_OK);
	CHECK(iobuf_pending(b) == 10);
	iobuf_discard(b);
	CHECK(iobuf_pending(b) == 0);
}

static void
writes(struct iobuf *b)
{
	char	buf[64];
	ssize_t	n;

	CHECK(iobuf_printf(b, "250 %s\r\n", "ok") == 0);
	CHECK(iobuf_write(b, "354 go\r\n", 8) == 0);
	CHECK(iobuf_flush(b) == 0);
	n = read(sv[1], buf, sizeof(buf));
	CHECK(n == 16 && memcmp(buf, "250 ok\r\n354 go\r\n", 16) == 0);
}

static void
eof(struct iobuf *b)
{
	char	*line;
	size_t	 len;
	int	 fl;

	put("last", 4);
	close(sv[1]);
	CHECK(get(b, &line, &len, &fl) == IOBUF_OK && (fl & IOBUF_PARTIAL) &&
	    strcmp(line, "last") == 0);
	CHECK(get(b, &line, &len, &fl) == IOBUF_EOF);
}

int
main(void)
{
	struct iobuf	*b;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return 2;
	b = iobuf_new(sv[0], 16, 200);
	lines(b);
	limit(b);
	timeout(b);
	exact_and_discard(b);
	writes(b);
	eof(b);
	iobuf_free(b);
	close(sv[0]);
	return unit_done();
}
