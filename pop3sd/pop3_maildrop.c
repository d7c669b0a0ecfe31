/*
 * The session process, as the mail user: the maildrop lock, new/ to
 * cur/, the scan and the uid list (lib/uidlist), the TRANSACTION
 * commands and the deletions of the UPDATE state.
 */

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iobuf.h"
#include "log.h"
#include "maildir.h"
#include "number.h"
#include "pop3sd.h"
#include "uidlist.h"
#include "xmalloc.h"

#define POP3_CHUNK	4096	/* octets read from a message at once */

/* What a scan of cur/ found: file names and their base names. */
struct scan {
	char	**files;
	char	**bases;
	size_t	  n;
	int	  dirfd;
};

static int	maildrop_open(struct pop3 *);

/* Moves what is in new/ to cur/ with an empty info part. */
static void
move_new(int dirfd)
{
	char		 to[MAXNAMLEN + 16];
	struct dirent	*de;
	DIR		*d;
	int		 fd;

	if ((fd = openat(dirfd, "new", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(to, sizeof(to), "cur/%s%s", de->d_name,
		    strchr(de->d_name, ':') ? "" : ":2,");
		if (renameat(fd, de->d_name, dirfd, to) == -1 &&
		    errno != ENOENT)
			log_warn("event=move-new file=%s", de->d_name);
	}
	closedir(d);
}

/* The "<seconds>." prefix of a Maildir name orders by arrival. */
static int
cmp_arrival(const void *a, const void *b)
{
	const char	*x = *(char *const *)a, *y = *(char *const *)b;
	unsigned long	 tx = strtoul(x, NULL, 10), ty = strtoul(y, NULL, 10);

	if (tx != ty)
		return tx < ty ? -1 : 1;
	return strcmp(x, y);
}

static void
scan_free(struct scan *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++) {
		free(s->files[i]);
		free(s->bases[i]);
	}
	free(s->files);
	free(s->bases);
}

static int
scan_cur(int dirfd, struct scan *s)
{
	struct dirent	*de;
	DIR		*d;
	size_t		 cap = 0, i;
	char		 base[MAXNAMLEN + 1];
	int		 fd;

	memset(s, 0, sizeof(*s));
	s->dirfd = dirfd;
	if ((fd = openat(dirfd, "cur", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (s->n == cap) {
			cap = cap ? cap * 2 : 64;
			s->files = xreallocarray(s->files, cap, sizeof(char *));
		}
		s->files[s->n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (s->n > 1)
		qsort(s->files, s->n, sizeof(char *), cmp_arrival);
	s->bases = xreallocarray(NULL, s->n + 1, sizeof(char *));
	for (i = 0; i < s->n; i++) {
		uidlist_basename(s->files[i], base, sizeof(base));
		s->bases[i] = xstrdup(base);
	}
	return 0;
}

static int
scan_vsize(void *arg, size_t index, uint64_t *vsize)
{
	struct scan	*s = arg;
	char		 path[MAXNAMLEN + 8];

	snprintf(path, sizeof(path), "cur/%s", s->files[index]);
	return maildir_vsize(s->dirfd, path, vsize);
}

/* The messages of the uid list, oldest first, at most max_messages. */
static void
build_msgs(struct pop3 *p, struct scan *s, struct uidlist *ul)
{
	struct uidlist_entry	*e;
	struct pop3_msg		*m;
	size_t			 i;

	p->uidvalidity = ul->uidvalidity;
	p->nmsgs = ul->n < (size_t)p->conf->max_messages ? ul->n :
	    (size_t)p->conf->max_messages;
	p->msgs = xcalloc(p->nmsgs + 1, sizeof(*p->msgs));
	for (i = 0; i < p->nmsgs; i++) {
		e = &ul->e[i];
		m = &p->msgs[i];
		xasprintf(&m->file, "cur/%s", s->files[e->index]);
		if (e->uidl != NULL)
			m->uidl = xstrdup(e->uidl);
		else
			xasprintf(&m->uidl, "%" PRIu32 "-%" PRIu32,
			    ul->uidvalidity, e->uid);
		m->size = e->vsize;
		if (m->size == 0 &&
		    maildir_vsize(p->dirfd, m->file, &m->size) == -1)
			m->size = 0;
	}
}

/* The lock of the maildrop, held while the process lives. */
static int
maildrop_lock(struct pop3 *p)
{
	if ((p->lockfd = openat(p->dirfd, POP3_LOCKFILE, O_RDWR | O_CREAT |
	    O_CLOEXEC | O_NOFOLLOW, 0600)) == -1)
		return -1;
	if (flock(p->lockfd, LOCK_EX | LOCK_NB) == -1)
		return -1;
	return 0;
}

static int
maildrop_open(struct pop3 *p)
{
	struct scan	s;
	struct uidlist	ul;
	struct maildir	md;
	char		why[256];

	if (maildir_open(&md, p->auth->maildir) == -1) {
		pop3_log(p, "event=maildrop error=\"%s\" path=%s",
		    strerror(errno), p->auth->maildir);
		pop3_error(p, "[SYS/TEMP] cannot open the maildrop");
		return -1;
	}
	p->dirfd = md.fd;
	if (maildir_secure(&md, geteuid(), why, sizeof(why)) == -1) {
		pop3_log(p, "event=maildrop error=insecure reason=\"%s\" "
		    "path=%s", why, p->auth->maildir);
		pop3_error(p, "[SYS/PERM] the maildrop is not safe to use");
		return -1;
	}
	if (maildrop_lock(p) == -1) {
		if (errno == EWOULDBLOCK) {
			pop3_log(p, "event=in-use user=%s", p->auth->name);
			pop3_error(p, "[IN-USE] maildrop in use by another "
			    "session");
		} else
			pop3_error(p, "[SYS/TEMP] cannot lock the maildrop");
		return -1;
	}
	move_new(p->dirfd);
	if (scan_cur(p->dirfd, &s) == -1 ||
	    uidlist_sync(p->dirfd, (const char *const *)s.bases, s.n,
	    scan_vsize, &s, &ul) == -1) {
		pop3_log(p, "event=maildrop error=\"%s\"", strerror(errno));
		pop3_error(p, "[SYS/TEMP] cannot read the maildrop");
		scan_free(&s);
		return -1;
	}
	build_msgs(p, &s, &ul);
	uidlist_free(&ul);
	scan_free(&s);
	return 0;
}

/*
 * Finds m's file again after another client renamed it inside cur/ (a
 * flag change) since the scan: the same base name, other flags.
 */
static int
msg_relocate(struct pop3 *p, struct pop3_msg *m)
{
	char		 base[MAXNAMLEN + 1], other[MAXNAMLEN + 1];
	struct dirent	*de;
	DIR		*d;
	int		 fd, found = 0;

	if (uidlist_basename(m->file + 4, base, sizeof(base)) == -1 ||
	    (fd = openat(p->dirfd, "cur", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while (!found && (de = readdir(d)) != NULL) {
		if (uidlist_basename(de->d_name, other, sizeof(other)) == 0 &&
		    strcmp(base, other) == 0) {
			free(m->file);
			xasprintf(&m->file, "cur/%s", de->d_name);
			found = 1;
		}
	}
	closedir(d);
	return found ? 0 : -1;
}

static int
msg_open(struct pop3 *p, struct pop3_msg *m)
{
	int	fd;

	if ((fd = openat(p->dirfd, m->file, O_RDONLY | O_CLOEXEC)) == -1 &&
	    errno == ENOENT && msg_relocate(p, m) == 0)
		fd = openat(p->dirfd, m->file, O_RDONLY | O_CLOEXEC);
	return fd;
}

static int
msg_unlink(struct pop3 *p, struct pop3_msg *m)
{
	if (unlinkat(p->dirfd, m->file, 0) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	if (msg_relocate(p, m) == -1)
		return 0;		/* gone already */
	return unlinkat(p->dirfd, m->file, 0) == -1 && errno != ENOENT ?
	    -1 : 0;
}

/* The message a number argument names, or NULL after an -ERR. */
static struct pop3_msg *
msg_arg(struct pop3 *p, const char *arg)
{
	long long	n;

	if (parse_number(arg, 1, (long long)p->nmsgs, &n) == -1) {
		pop3_error(p, "no such message");
		return NULL;
	}
	if (p->msgs[n - 1].deleted) {
		pop3_error(p, "message %lld is deleted", n);
		return NULL;
	}
	return &p->msgs[n - 1];
}

/* 0..max words of args; -1 after an -ERR when out of [min, max]. */
static int
args_count(struct pop3 *p, char *args, char **argv, int min, int max)
{
	int	n = pop3_split(args, argv, max);

	if (n < min) {
		pop3_error(p, "wrong number of arguments");
		return -1;
	}
	return n;
}

int
pop3_stat(struct pop3 *p, char *args)
{
	uint64_t	total = 0;
	size_t		i, n = 0;
	char		*argv[1];

	if (args_count(p, args, argv, 0, 0) == -1)
		return -1;
	for (i = 0; i < p->nmsgs; i++)
		if (!p->msgs[i].deleted) {
			n++;
			total += p->msgs[i].size;
		}
	return pop3_reply(p, "%zu %" PRIu64, n, total);
}

/* LIST and UIDL: one message, or all that are not deleted. */
static int
listing(struct pop3 *p, char *args, int uidl)
{
	struct pop3_msg	*m;
	char		*argv[1];
	size_t		 i;
	int		 n;

	if ((n = args_count(p, args, argv, 0, 1)) == -1)
		return -1;
	if (n == 1) {
		if ((m = msg_arg(p, argv[0])) == NULL)
			return -1;
		if (uidl)
			return pop3_reply(p, "%zu %s", (size_t)(m - p->msgs) +
			    1, m->uidl);
		return pop3_reply(p, "%zu %" PRIu64, (size_t)(m - p->msgs) +
		    1, m->size);
	}
	pop3_reply(p, "%s follows", uidl ? "unique-id listing" : "scan listing");
	for (i = 0; i < p->nmsgs; i++) {
		if (p->msgs[i].deleted)
			continue;
		if (uidl)
			iobuf_printf(p->io, "%zu %s\r\n", i + 1,
			    p->msgs[i].uidl);
		else
			iobuf_printf(p->io, "%zu %" PRIu64 "\r\n", i + 1,
			    p->msgs[i].size);
	}
	return iobuf_write(p->io, ".\r\n", 3);
}

int
pop3_list(struct pop3 *p, char *args)
{
	return listing(p, args, 0);
}

int
pop3_uidl(struct pop3 *p, char *args)
{
	return listing(p, args, 1);
}

/* Output state of one message: line ends to CRLF, dot-stuffing, TOP. */
struct sendstate {
	int		 prev;		/* last octet of the file sent */
	size_t		 linelen;	/* octets of this line but CR */
	int		 in_body;	/* the empty line has been sent */
	long long	 lines;		/* body lines still wanted; -1 all */
	int		 done;
};

/* Sends buf[0..n) transformed; stops when TOP has its lines. */
static int
send_chunk(struct pop3 *p, struct sendstate *st, const char *buf, size_t n)
{
	size_t	i;

	for (i = 0; i < n && !st->done; i++) {
		if (st->prev == '\n') {
			if (st->in_body && st->lines >= 0 && st->lines-- == 0) {
				st->done = 1;
				break;
			}
			if (buf[i] == '.')
				iobuf_write(p->io, ".", 1);
		}
		if (buf[i] == '\n') {
			if (st->linelen == 0)
				st->in_body = 1;
			st->linelen = 0;
		} else if (buf[i] != '\r')
			st->linelen++;
		if (buf[i] == '\n' && st->prev != '\r')
			iobuf_write(p->io, "\r\n", 2);
		else
			iobuf_write(p->io, buf + i, 1);
		st->prev = (unsigned char)buf[i];
	}
	return iobuf_flush(p->io);
}

static int
send_message(struct pop3 *p, struct pop3_msg *m, long long lines)
{
	struct sendstate	 st = { '\n', 0, 0, lines, 0 };
	char			*buf;
	ssize_t			 r;
	int			 fd;

	if ((fd = msg_open(p, m)) == -1) {
		pop3_log(p, "event=retr error=\"%s\" file=%s", strerror(errno),
		    m->file);
		pop3_error(p, "[SYS/TEMP] message is gone");
		return 0;
	}
	buf = xmalloc(POP3_CHUNK);
	pop3_reply(p, "%" PRIu64 " octets follow", m->size);
	while (!st.done && (r = read(fd, buf, POP3_CHUNK)) > 0)
		if (send_chunk(p, &st, buf, r) == -1)
			break;
	close(fd);
	free(buf);
	if (st.prev != '\n' && !st.done)
		iobuf_write(p->io, "\r\n", 2);
	p->bytes_out += m->size;
	return iobuf_write(p->io, ".\r\n", 3);
}

int
pop3_retr(struct pop3 *p, char *args)
{
	struct pop3_msg	*m;
	char		*argv[1];

	if (args_count(p, args, argv, 1, 1) == -1 ||
	    (m = msg_arg(p, argv[0])) == NULL)
		return -1;
	p->retr++;
	return send_message(p, m, -1);
}

int
pop3_top(struct pop3 *p, char *args)
{
	struct pop3_msg	*m;
	char		*argv[2];
	long long	 lines;

	if (args_count(p, args, argv, 2, 2) == -1 ||
	    (m = msg_arg(p, argv[0])) == NULL)
		return -1;
	if (parse_number(argv[1], 0, LLONG_MAX, &lines) == -1) {
		pop3_error(p, "bad line count");
		return -1;
	}
	p->top++;
	return send_message(p, m, lines);
}

int
pop3_dele(struct pop3 *p, char *args)
{
	struct pop3_msg	*m;
	char		*argv[1];

	if (args_count(p, args, argv, 1, 1) == -1 ||
	    (m = msg_arg(p, argv[0])) == NULL)
		return -1;
	m->deleted = 1;
	p->dele++;
	return pop3_reply(p, "message %zu deleted", (size_t)(m - p->msgs) + 1);
}

int
pop3_rset(struct pop3 *p, char *args)
{
	char	*argv[1];
	size_t	 i;

	if (args_count(p, args, argv, 0, 0) == -1)
		return -1;
	for (i = 0; i < p->nmsgs; i++)
		p->msgs[i].deleted = 0;
	p->dele = 0;
	return pop3_reply(p, "maildrop has %zu messages", p->nmsgs);
}

/* QUIT in TRANSACTION: remove what was deleted, then reply. */
int
pop3_update(struct pop3 *p)
{
	size_t	i, removed = 0, failed = 0;
	int	curfd;

	for (i = 0; i < p->nmsgs; i++) {
		if (!p->msgs[i].deleted)
			continue;
		if (msg_unlink(p, &p->msgs[i]) == -1) {
			log_warn("pop3 session=%s event=dele file=%s",
			    p->info->id, p->msgs[i].file);
			failed++;
		} else
			removed++;
	}
	if ((curfd = openat(p->dirfd, "cur", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) != -1) {
		if (removed > 0 && fsync(curfd) == -1)
			failed++;
		close(curfd);
	}
	p->dele = removed;
	if (failed > 0)
		return pop3_error(p, "[SYS/TEMP] %zu messages not removed",
		    failed);
	return pop3_reply(p, "bye, %zu messages removed", removed);
}

static void
session_free(struct pop3 *p)
{
	size_t	i;

	for (i = 0; i < p->nmsgs; i++) {
		free(p->msgs[i].file);
		free(p->msgs[i].uidl);
	}
	free(p->msgs);
	iobuf_free(p->io);
}

/* The pre-auth's context ("tls=yes method=plain") if it is only that. */
static void
ctx_copy(char *dst, size_t size, const char *ctx, size_t len)
{
	size_t	i;

	if (len >= size || len == 0)
		goto bad;
	for (i = 0; i < len; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz= ", ctx[i]) == NULL ||
		    ctx[i] == '\0')
			goto bad;
	memcpy(dst, ctx, len);
	dst[len] = '\0';
	return;
bad:
	strlcpy(dst, "ctx=invalid", size);
}

/* lib/login's session entry, as the mail user. */
void
pop3_session(int fd, const struct auth_user *u, const struct login_info *info,
    const void *ctx, size_t ctxlen, void *arg)
{
	struct pop3sd_ctx	*x = arg;
	struct pop3		 p;
	uint64_t		 total = 0;
	size_t			 i;

	memset(&p, 0, sizeof(p));
	p.conf = x->conf;
	p.info = info;
	p.auth = u;
	p.fd = fd;
	p.dirfd = p.lockfd = -1;
	p.state = POP3_AUTHORIZATION;
	ctx_copy(p.ctx, sizeof(p.ctx), ctx, ctxlen);
	p.io = iobuf_new(fd, x->conf->max_line, (int)x->conf->timeout * 1000);
	if (maildrop_open(&p) == -1) {
		pop3_flush(&p);
		session_free(&p);
		_exit(0);
	}
	if (unveil(u->maildir, "rwc") == -1 || unveil(NULL, NULL) == -1 ||
	    pledge("stdio rpath wpath cpath flock", NULL) == -1)
		fatal("pop3 session=%s event=pledge", info->id);
	for (i = 0; i < p.nmsgs; i++)
		total += p.msgs[i].size;
	pop3_reply(&p, "%s has %zu messages (%" PRIu64 " octets)", u->name,
	    p.nmsgs, total);
	pop3_log(&p, "event=login user=%s addr=%s %s messages=%zu octets=%"
	    PRIu64, u->name, info->addr, p.ctx, p.nmsgs, total);
	pop3_enter_state(&p, POP3_TRANSACTION);
	pop3_loop(&p);
	pop3_log(&p, "event=logout user=%s addr=%s %s result=%s retr=%lu "
	    "top=%lu dele=%lu bytes=%llu", u->name, info->addr, p.ctx,
	    p.end ? p.end : "closed", p.retr,
	    p.top, p.end != NULL && strcmp(p.end, "quit") == 0 ? p.dele : 0,
	    p.bytes_out);
	session_free(&p);
	_exit(0);
}
