/*
 * IDLE (RFC 2177) and ENABLE (RFC 5161).
 *
 * IDLE answers "+ idling" and then waits for the client's DONE while
 * it watches the selected folder: inotify(7) on new/, cur/ and the
 * folder's directory (the keyword file) on Linux, kqueue(2) EVFILT_VNODE
 * on the same directories on OpenBSD, and a rescan every
 * IMAP_IDLE_POLL_MS where neither is there or either fails.  Each
 * notice (or tick) runs imap_select_update(), which stats the folder
 * and rescans only what changed, and flushes what it said.  The
 * session's timeout runs from the start of the IDLE, as it runs between
 * commands: past it the session ends with BYE (RFC 2177 lets a server
 * end an IDLE after 30 minutes; clients re-issue it well before).
 *
 * The client's line is read through p->io, whose buffer may already
 * hold it (a client may send DONE right behind IDLE): iobuf_pending()
 * is looked at before the descriptor is polled.
 */

#include <sys/types.h>
#ifdef __linux__
#include <sys/inotify.h>
#endif
#ifdef __OpenBSD__
#include <sys/event.h>
#include <sys/time.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "imapsd.h"
#include "iobuf.h"
#include "log.h"
#include "store.h"

#define IDLE_WATCH_DIRS	3	/* new/, cur/, the folder (keywords) */

/* What tells the loop that the folder may have changed. */
struct idle_watch {
	int	fd;			/* inotify, kqueue, or -1: poll */
	int	dirfd[IDLE_WATCH_DIRS];	/* kqueue: the directories */
};

enum idle_end {
	IDLE_DONE,		/* DONE read */
	IDLE_GARBAGE,		/* another line: BAD */
	IDLE_LOGOUT		/* the session ends (timeout, EOF, error) */
};

static int	idle_watch_open(struct idle_watch *, const struct mbox *);
static void	idle_watch_drain(struct idle_watch *);
static void	idle_watch_close(struct idle_watch *);
static long long idle_now_ms(void);
static int	idle_wait(struct imap *, struct idle_watch *, long long);
static enum idle_end idle_line(struct imap *, long long);
static enum idle_end idle_run(struct imap *);
static int	imap_idle(struct imap *, struct imapcmd *);
static int	imap_enable(struct imap *, struct imapcmd *);

const struct imap_command imap_idle_commands[] = {
	{ "IDLE", IMAP_AUTH | IMAP_SELECTED, imap_idle },
	{ "ENABLE", IMAP_AUTH, imap_enable },
	{ NULL, 0, NULL }
};

#ifdef __linux__
/*
 * inotify takes paths: the folder's descriptor is made the working
 * directory for the time it takes to name new/, cur/ and "." relative
 * to it, then the old one is restored (O_PATH needs no read right).
 */
static int
idle_watch_open(struct idle_watch *w, const struct mbox *mb)
{
	static const char *const dirs[] = { "new", "cur", "." };
	const uint32_t	mask = IN_CREATE | IN_DELETE | IN_MOVED_FROM |
			    IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR;
	size_t		i;
	int		cwd, ok = 0;

	if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		return -1;
	if ((cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		goto fail;
	if (fchdir(mb->dirfd) == 0) {
		ok = 1;
		for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
			if (inotify_add_watch(w->fd, dirs[i], mask) == -1)
				ok = 0;
	}
	if (fchdir(cwd) == -1)
		fatal("imap event=idle fchdir");
	close(cwd);
	if (ok)
		return 0;
 fail:
	close(w->fd);
	w->fd = -1;
	return -1;
}

static void
idle_watch_drain(struct idle_watch *w)
{
	char	buf[4096];		/* events, never parsed: any notice */

	while (read(w->fd, buf, sizeof(buf)) > 0)
		continue;
}
#elif defined(__OpenBSD__)
/* kqueue: a vnode filter on each directory, for writes to it. */
static int
idle_watch_open(struct idle_watch *w, const struct mbox *mb)
{
	static const char *const dirs[] = { "new", "cur", "." };
	struct kevent	ev[IDLE_WATCH_DIRS];
	size_t		i;

	if ((w->fd = kqueue()) == -1)
		return -1;
	for (i = 0; i < IDLE_WATCH_DIRS; i++) {
		w->dirfd[i] = openat(mb->dirfd, dirs[i],
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (w->dirfd[i] == -1)
			goto fail;
		EV_SET(&ev[i], w->dirfd[i], EVFILT_VNODE, EV_ADD | EV_CLEAR,
		    NOTE_WRITE | NOTE_DELETE | NOTE_RENAME, 0, NULL);
	}
	if (kevent(w->fd, ev, IDLE_WATCH_DIRS, NULL, 0, NULL) == -1)
		goto fail;
	return 0;
 fail:
	idle_watch_close(w);
	return -1;
}

static void
idle_watch_drain(struct idle_watch *w)
{
	struct kevent		ev[IDLE_WATCH_DIRS];
	const struct timespec	zero = { 0, 0 };

	while (kevent(w->fd, NULL, 0, ev, IDLE_WATCH_DIRS, &zero) > 0)
		continue;
}
#else
static int
idle_watch_open(struct idle_watch *w, const struct mbox *mb)
{
	(void)mb;
	w->fd = -1;
	errno = ENOTSUP;
	return -1;
}

static void
idle_watch_drain(struct idle_watch *w)
{
	(void)w;
}
#endif

static void
idle_watch_close(struct idle_watch *w)
{
	size_t	i;

	for (i = 0; i < IDLE_WATCH_DIRS; i++) {
		if (w->dirfd[i] != -1)
			close(w->dirfd[i]);
		w->dirfd[i] = -1;
	}
	if (w->fd != -1)
		close(w->fd);
	w->fd = -1;
}

static long long
idle_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Waits until the client sent something (1), the folder may have
 * changed (0), or the deadline passed (-1, errno ETIMEDOUT).
 */
static int
idle_wait(struct imap *p, struct idle_watch *w, long long deadline)
{
	struct pollfd	pfd[2];
	long long	left;
	int		n, nfd = 1, ms;

	if (iobuf_pending(p->io) > 0)
		return 1;
	if ((left = deadline - idle_now_ms()) <= 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	pfd[0].fd = iobuf_fd(p->io);
	pfd[0].events = POLLIN;
	ms = left > INT32_MAX ? INT32_MAX : (int)left;
	if (p->mbox != NULL && w->fd != -1) {
		pfd[1].fd = w->fd;
		pfd[1].events = POLLIN;
		nfd = 2;
	} else if (p->mbox != NULL && ms > IMAP_IDLE_POLL_MS)
		ms = IMAP_IDLE_POLL_MS;
	if ((n = poll(pfd, nfd, ms)) == -1)
		return errno == EINTR ? 0 : -1;
	if (n > 0 && pfd[0].revents != 0)
		return 1;
	if (nfd == 2 && pfd[1].revents != 0)
		idle_watch_drain(w);
	return 0;
}

/*
 * The client's line, DONE or not, under IMAP_IDLE_LINE_MAX and what is
 * left of the timeout; the command line limit is put back after it.
 */
static enum idle_end
idle_line(struct imap *p, long long deadline)
{
	enum iobuf_result	 r;
	char			*line;
	size_t			 len;
	long long		 left = deadline - idle_now_ms();
	int			 flags;

	iobuf_set_maxline(p->io, IMAP_IDLE_LINE_MAX);
	iobuf_set_timeout(p->io, left < 1 ? 1 : left > INT32_MAX ?
	    INT32_MAX : (int)left);
	r = iobuf_getline(p->io, &line, &len, &flags);
	iobuf_set_maxline(p->io, p->conf->max_line);
	iobuf_set_timeout(p->io, (int)(p->conf->timeout * 1000));
	switch (r) {
	case IOBUF_OK:
		if (!(flags & (IOBUF_NUL | IOBUF_BARECR)) && len == 4 &&
		    strncasecmp(line, "DONE", 4) == 0)
			return IDLE_DONE;
		return IDLE_GARBAGE;
	case IOBUF_TOOLONG:
		return IDLE_GARBAGE;
	case IOBUF_TIMEOUT:
		imap_bye(p, "autologout; idle for too long", "timeout");
		return IDLE_LOGOUT;
	case IOBUF_EOF:
		p->end = "dropped";
		break;
	case IOBUF_ERROR:
		p->end = "read-error";
		break;
	}
	p->state = IMAP_LOGOUT;
	return IDLE_LOGOUT;
}

/* Reports changes of the selected folder until the client's line. */
static enum idle_end
idle_run(struct imap *p)
{
	struct idle_watch	w;
	long long		deadline;
	int			r;

	memset(&w, 0, sizeof(w));
	w.fd = w.dirfd[0] = w.dirfd[1] = w.dirfd[2] = -1;
	if (p->mbox != NULL && idle_watch_open(&w, p->mbox) == -1)
		log_debug("imap session=%s event=idle watch=poll "
		    "error=\"%s\"", p->info->id, strerror(errno));
	deadline = idle_now_ms() + p->conf->timeout * 1000;
	/* What changed before the watch began, or was held back. */
	imap_select_update(p, 0);
	if (imap_flush(p) == -1 || p->state == IMAP_LOGOUT) {
		idle_watch_close(&w);
		return IDLE_LOGOUT;
	}
	for (;;) {
		if ((r = idle_wait(p, &w, deadline)) == 1)
			break;
		if (r == -1 && errno == ETIMEDOUT) {
			idle_watch_close(&w);
			imap_bye(p, "autologout; idle for too long",
			    "timeout");
			return IDLE_LOGOUT;
		}
		if (r == -1) {
			imap_log(p, "event=idle error=\"%s\"",
			    strerror(errno));
			idle_watch_close(&w);
			p->end = "poll-error";
			p->state = IMAP_LOGOUT;
			return IDLE_LOGOUT;
		}
		imap_select_update(p, 0);
		if (imap_flush(p) == -1 || p->state == IMAP_LOGOUT) {
			idle_watch_close(&w);
			return IDLE_LOGOUT;
		}
	}
	idle_watch_close(&w);
	return idle_line(p, deadline);
}

static int
imap_idle(struct imap *p, struct imapcmd *c)
{
	if (c->nargs != 0)
		return imap_bad(p, c, "IDLE takes no argument");
	iobuf_write(p->io, "+ idling\r\n", 10);
	if (imap_flush(p) == -1)
		return 0;
	switch (idle_run(p)) {
	case IDLE_DONE:
		imap_select_update(p, 0);
		return imap_ok(p, c, "IDLE terminated");
	case IDLE_GARBAGE:
		imap_select_update(p, 0);
		return imap_bad(p, c, "expected DONE; IDLE terminated");
	case IDLE_LOGOUT:
		break;
	}
	return 0;
}

/*
 * RFC 5161: nothing this server has can be enabled yet (no CONDSTORE,
 * QRESYNC or UTF8=ACCEPT), so every name is ignored, as the RFC asks of
 * unknown ones, and the ENABLED response lists none.
 */
static int
imap_enable(struct imap *p, struct imapcmd *c)
{
	struct imapcmd_node	*n;

	if (c->nargs == 0)
		return imap_bad(p, c, "ENABLE needs a capability name");
	for (n = c->args; n != NULL; n = n->next)
		if (n->type != IMAPCMD_ATOM)
			return imap_bad(p, c, "ENABLE takes capability names");
	imap_untagged(p, "ENABLED");
	return imap_ok(p, c, "ENABLE completed");
}
