/*
 * maildeliver: the message copy.  Reads the message once, in order: an
 * optional mbox "From " line (dropped), the header lines (each inspected
 * for a Delivered-To loop), then the body streamed.  A Maildir holds
 * messages with LF line ends, so each CR LF becomes LF on the way (the
 * queue keeps SMTP's CR LF); any other CR is kept.
 */

#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "compat.h"
#include "deliver.h"
#include "log.h"
#include "maildir.h"

#define DELIVERED_TO		"Delivered-To:"
#define MBOX_FROM		"From "
#define MBOX_NULL_SENDER	"MAILER-DAEMON"

struct msg_in {
	int	 fd;
	size_t	 pos;
	size_t	 len;
	char	 buf[DELIVER_BUF_SIZE];
};

/* The header section is gathered here and written in few calls. */
struct msg_out {
	struct maildir_msg	*m;
	size_t			 len;
	int			 held_cr;	/* a CR whose next octet is unread */
	char			 buf[DELIVER_BUF_SIZE + 1];	/* + a held CR */
};

/* One header line, or a DELIVER_LINE_MAX piece of a longer one. */
struct msg_line {
	char	 text[DELIVER_LINE_MAX + 1];
	size_t	 len;
	int	 whole;		/* ends with LF or at the end of input */
};

static int	msg_fill(struct msg_in *);
static int	msg_getline(struct msg_in *, struct msg_line *);
static int	msg_skipline(struct msg_in *, struct msg_line *);
static int	line_is_blank(const struct msg_line *);
static int	line_is_loop(const struct msg_line *, const char *);
static int	mbox_sender(const struct msg_line *, char *, size_t);
static size_t	crlf_to_lf(char *, const char *, size_t, int *);
static int	out_write(struct msg_out *, const void *, size_t);
static int	out_flush(struct msg_out *);
static int	write_top(struct msg_out *, const char *, const char *);
static enum deliver_status copy_headers(struct msg_in *, struct msg_out *,
		    struct msg_line *, int, const char *);
static enum deliver_status copy_body(struct msg_in *, struct msg_out *);
static enum deliver_status write_failed(struct maildir_msg *);

/* 1 with data buffered, 0 at the end of input, -1 on a read error. */
static int
msg_fill(struct msg_in *in)
{
	ssize_t	n;

	if (in->pos < in->len)
		return 1;
	for (;;) {
		n = read(in->fd, in->buf, sizeof(in->buf));
		if (n >= 0)
			break;
		if (errno != EINTR) {
			log_warn("read message");
			return -1;
		}
	}
	in->pos = 0;
	in->len = n;
	return n > 0;
}

/* 1 with a line or piece, 0 at the end of input, -1 on a read error. */
static int
msg_getline(struct msg_in *in, struct msg_line *l)
{
	const char	*nl;
	size_t		 room, n;
	int		 r;

	l->len = 0;
	l->whole = 0;
	while (l->len < DELIVER_LINE_MAX && !l->whole) {
		if ((r = msg_fill(in)) == -1)
			return -1;
		if (r == 0) {
			l->whole = 1;
			break;
		}
		room = DELIVER_LINE_MAX - l->len;
		n = in->len - in->pos < room ? in->len - in->pos : room;
		if ((nl = memchr(in->buf + in->pos, '\n', n)) != NULL) {
			n = nl - (in->buf + in->pos) + 1;
			l->whole = 1;
		}
		memcpy(l->text + l->len, in->buf + in->pos, n);
		l->len += n;
		in->pos += n;
	}
	l->text[l->len] = '\0';
	return l->len > 0;
}

/* Drops the rest of a line whose first piece was l. */
static int
msg_skipline(struct msg_in *in, struct msg_line *l)
{
	while (!l->whole)
		if (msg_getline(in, l) == -1)
			return -1;
	return 0;
}

static int
line_is_blank(const struct msg_line *l)
{
	return strcmp(l->text, "\n") == 0 || strcmp(l->text, "\r\n") == 0;
}

/* "Delivered-To: <recipient>", names and address case-insensitive. */
static int
line_is_loop(const struct msg_line *l, const char *recipient)
{
	const char	*v;
	size_t		 len, rlen = strlen(recipient);

	if (!l->whole || strncasecmp(l->text, DELIVERED_TO,
	    strlen(DELIVERED_TO)) != 0)
		return 0;
	v = l->text + strlen(DELIVERED_TO);
	len = l->len - strlen(DELIVERED_TO);
	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && strchr(" \t\r\n", v[len - 1]) != NULL)
		len--;
	return len == rlen && strncasecmp(v, recipient, rlen) == 0;
}

/* The address of "From sender date...": 0, or -1 when unusable. */
static int
mbox_sender(const struct msg_line *l, char *out, size_t outsize)
{
	char	word[DELIVER_ADDR_MAX + 3];
	size_t	n;

	n = strcspn(l->text + strlen(MBOX_FROM), " \t\r\n");
	if (n == 0 || n >= sizeof(word))
		return -1;
	memcpy(word, l->text + strlen(MBOX_FROM), n);
	word[n] = '\0';
	if (strcasecmp(word, MBOX_NULL_SENDER) == 0)
		word[0] = '\0';
	return deliver_addr_clean(word, out, outsize);
}

int
deliver_addr_clean(const char *in, char *out, size_t outsize)
{
	size_t	len = strlen(in), i;

	if (len >= 2 && in[0] == '<' && in[len - 1] == '>') {
		in++;
		len -= 2;
	}
	if (len > DELIVER_ADDR_MAX || len >= outsize)
		return -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)in[i] < 0x20 || in[i] == 0x7f)
			return -1;
	memcpy(out, in, len);
	out[len] = '\0';
	return 0;
}

/*
 * Copies src to dst without the CR of each CR LF.  A CR that ends src is
 * held in *held until the next call shows what follows it.  dst has room
 * for len + 1 octets; returns the octets put there.
 */
static size_t
crlf_to_lf(char *dst, const char *src, size_t len, int *held)
{
	size_t	i, n = 0;

	for (i = 0; i < len; i++) {
		if (*held) {
			*held = 0;
			if (src[i] != '\n')
				dst[n++] = '\r';
		}
		if (src[i] == '\r')
			*held = 1;
		else
			dst[n++] = src[i];
	}
	return n;
}

static int
out_flush(struct msg_out *out)
{
	size_t	len = out->len;

	out->len = 0;
	return maildir_msg_write(out->m, out->buf, len);
}

static int
out_write(struct msg_out *out, const void *data, size_t len)
{
	if (len > sizeof(out->buf) - out->len && out_flush(out) == -1)
		return -1;
	if (len >= sizeof(out->buf))
		return maildir_msg_write(out->m, data, len);
	memcpy(out->buf + out->len, data, len);
	out->len += len;
	return 0;
}

static int
write_top(struct msg_out *out, const char *sender, const char *recipient)
{
	char	top[2 * DELIVER_ADDR_MAX + 64];
	int	n;

	n = snprintf(top, sizeof(top), "Return-Path: <%s>\nDelivered-To: %s\n",
	    sender, recipient);
	if (n < 0 || (size_t)n >= sizeof(top)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return out_write(out, top, n);
}

static enum deliver_status
write_failed(struct maildir_msg *m)
{
	char	path[PATH_MAX];
	int	saved = errno;

	if (maildir_msg_tmppath(m, path, sizeof(path)) == -1)
		strlcpy(path, "tmp file", sizeof(path));
	errno = saved;
	log_warn("write %s", path);
	return DELIVER_TEMPFAIL;
}

/* Copies header lines up to and including the blank line, then flushes. */
static enum deliver_status
copy_headers(struct msg_in *in, struct msg_out *out, struct msg_line *l,
    int r, const char *recipient)
{
	char	text[DELIVER_LINE_MAX + 1];
	size_t	n;
	int	midline = 0, end;

	for (; r == 1; r = msg_getline(in, l)) {
		end = !midline && line_is_blank(l);
		if (!midline && line_is_loop(l, recipient)) {
			log_warnx("loop: message already delivered to %s "
			    "(Delivered-To)", recipient);
			return DELIVER_LOOP;
		}
		n = crlf_to_lf(text, l->text, l->len, &out->held_cr);
		if (out_write(out, text, n) == -1)
			return write_failed(out->m);
		if (end)
			break;
		midline = !l->whole;
	}
	if (r == -1)
		return DELIVER_TEMPFAIL;
	return out_flush(out) == -1 ? write_failed(out->m) : DELIVER_OK;
}

/* Streams what is left, buffered bytes first, through out's buffer. */
static enum deliver_status
copy_body(struct msg_in *in, struct msg_out *out)
{
	size_t	n;
	int	r;

	while ((r = msg_fill(in)) == 1) {
		n = crlf_to_lf(out->buf, in->buf + in->pos, in->len - in->pos,
		    &out->held_cr);
		in->pos = in->len;
		if (maildir_msg_write(out->m, out->buf, n) == -1)
			return write_failed(out->m);
	}
	if (r == -1)
		return DELIVER_TEMPFAIL;
	if (out->held_cr && maildir_msg_write(out->m, "\r", 1) == -1)
		return write_failed(out->m);
	return DELIVER_OK;
}

enum deliver_status
deliver_copy(int fd, struct maildir_msg *m, const char *sender,
    const char *recipient)
{
	static struct msg_in	in;
	static struct msg_out	out;
	struct msg_line		l;
	char			from[DELIVER_ADDR_MAX + 1];
	enum deliver_status	st;
	int			r;

	in.fd = fd;
	in.pos = in.len = 0;
	out.m = m;
	out.len = 0;
	out.held_cr = 0;
	if ((r = msg_getline(&in, &l)) == -1)
		return DELIVER_TEMPFAIL;
	if (r == 1 && strncmp(l.text, MBOX_FROM, strlen(MBOX_FROM)) == 0) {
		if (sender == NULL && mbox_sender(&l, from, sizeof(from)) == 0)
			sender = from;
		if (msg_skipline(&in, &l) == -1 ||
		    (r = msg_getline(&in, &l)) == -1)
			return DELIVER_TEMPFAIL;
	}
	if (write_top(&out, sender != NULL ? sender : "", recipient) == -1)
		return write_failed(m);
	if ((st = copy_headers(&in, &out, &l, r, recipient)) != DELIVER_OK)
		return st;
	return copy_body(&in, &out);
}
