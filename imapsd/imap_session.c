/*
 * The session process: the authenticated state as the mail user.  It
 * answers the LOGIN or AUTHENTICATE that the pre-auth process passed on
 * (its tag travels in the login context), then reads commands from the
 * relay until LOGOUT.
 */

#include <sys/types.h>
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "imapsd.h"
#include "iobuf.h"
#include "log.h"
#include "login.h"
#include "maildir.h"
#include "store.h"

/* What the pre-auth process passed on: "<tls> <method> <tag>". */
struct login_ctx {
	int	tls;
	char	method[8];
	char	tag[LOGIN_CTX_MAX];
};

static int	ctx_parse(struct login_ctx *, const char *, size_t);
static int	store_start(struct imap *, struct store *);
static int	user_slot(struct imap *);

static const struct imap_command session_commands[] = {
	{ "CAPABILITY", IMAP_AUTH | IMAP_SELECTED, imap_capability_cmd },
	{ "NOOP", IMAP_AUTH | IMAP_SELECTED, imap_noop },
	{ "LOGOUT", IMAP_AUTH | IMAP_SELECTED, imap_logout },
	{ "ID", IMAP_AUTH | IMAP_SELECTED, imap_id },
	/* Valid only before login (RFC 3501 6.2). */
	{ "STARTTLS", IMAP_NOTAUTH, NULL },
	{ "LOGIN", IMAP_NOTAUTH, NULL },
	{ "AUTHENTICATE", IMAP_NOTAUTH, NULL },
	{ NULL, 0, NULL }
};

static imap_tables session_tables = { session_commands,
    imap_mailbox_commands, imap_select_commands, imap_search_commands,
    imap_idle_commands, imap_write_commands, NULL };

/*
 * The pre-auth process is the one that faced the network: its context
 * is checked as input.  A tag is 1*<ASTRING-CHAR except "+">.
 */
static int
ctx_parse(struct login_ctx *lc, const char *ctx, size_t len)
{
	char	buf[LOGIN_CTX_MAX + 1], *tag, *method;
	size_t	i;

	if (len == 0 || len > LOGIN_CTX_MAX || memchr(ctx, '\0', len) != NULL)
		return -1;
	memcpy(buf, ctx, len);
	buf[len] = '\0';
	if ((buf[0] != '0' && buf[0] != '1') || buf[1] != ' ')
		return -1;
	lc->tls = buf[0] == '1';
	method = buf + 2;
	if ((tag = strchr(method, ' ')) == NULL)
		return -1;
	*tag++ = '\0';
	if (strcmp(method, "login") != 0 && strcmp(method, "plain") != 0)
		return -1;
	if (*tag == '\0')
		return -1;
	for (i = 0; tag[i] != '\0'; i++)
		if (tag[i] <= ' ' || tag[i] >= 0x7f ||
		    strchr("(){%*\"\\+", tag[i]) != NULL)
			return -1;
	strlcpy(lc->method, method, sizeof(lc->method));
	strlcpy(lc->tag, tag, sizeof(lc->tag));
	return 0;
}

/*
 * The user's Maildir: safe (writable by nobody else) and open, or the
 * login is answered NO; a missing Maildir whose parent exists is made.
 */
static int
store_start(struct imap *p, struct store *st)
{
	struct maildir	md;
	char		why[256];

	md.fd = -1;
	if (maildir_open(&md, p->auth->maildir) == -1 &&
	    (errno != ENOENT || maildir_create(p->auth->maildir) == -1 ||
	    maildir_open(&md, p->auth->maildir) == -1)) {
		imap_log(p, "event=store error=\"%s\" path=%s",
		    strerror(errno), p->auth->maildir);
		return -1;
	}
	if (maildir_secure(&md, geteuid(), why, sizeof(why)) == -1) {
		imap_log(p, "event=store error=insecure reason=\"%s\" path=%s",
		    why, p->auth->maildir);
		maildir_close(&md);
		return -1;
	}
	maildir_close(&md);
	if (store_open(st, p->auth->maildir) == -1) {
		imap_log(p, "event=store error=\"%s\" path=%s",
		    strerror(errno), p->auth->maildir);
		return -1;
	}
	p->store = st;
	return 0;
}

/*
 * One of the user's max_sessions_per_user slots, held until the process
 * ends: an flock(2) on a file in the Maildir, so sessions of every
 * address and every imapsd count.  -1 with errno EUSERS when all are
 * held.
 */
static int
user_slot(struct imap *p)
{
	char		name[64];
	long long	i;
	int		fd;

	for (i = 0; i < p->conf->max_sessions_per_user; i++) {
		snprintf(name, sizeof(name), "buzon-imap.%lld.lock", i);
		if ((fd = openat(p->store->rootfd, name, O_RDWR | O_CREAT |
		    O_CLOEXEC | O_NOFOLLOW, 0600)) == -1)
			return -1;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			p->slotfd = fd;
			return 0;
		}
		close(fd);
	}
	errno = EUSERS;
	return -1;
}

/* lib/login's session entry, as the mail user. */
void
imap_session(int fd, const struct auth_user *u, const struct login_info *info,
    const void *ctx, size_t ctxlen, void *arg)
{
	struct imapsd_ctx	*x = arg;
	struct imap		 p;
	struct login_ctx	 lc;
	struct store		 st;
	const char		*cmd;
	int			 full;

	memset(&p, 0, sizeof(p));
	p.conf = x->conf;
	p.info = info;
	p.auth = u;
	p.fd = fd;
	p.state = IMAP_AUTH;
	if (ctx_parse(&lc, ctx, ctxlen) == -1)
		fatalx("imap session=%s event=bad-context", info->id);
	p.is_tls = lc.tls;
	p.io = iobuf_new(fd, x->conf->max_line, (int)x->conf->timeout * 1000);
	imap_start(&p, x->conf->timeout);
	if (pledge("stdio rpath wpath cpath fattr flock", NULL) == -1)
		fatal("imap session=%s event=pledge", info->id);
	cmd = strcmp(lc.method, "login") == 0 ? "LOGIN" : "AUTHENTICATE";
	p.slotfd = -1;
	if (store_start(&p, &st) == 0 && user_slot(&p) == -1) {
		full = errno == EUSERS;
		if (full)
			imap_log(&p, "event=refused user=%s reason="
			    "max_sessions_per_user", u->name);
		else
			imap_log(&p, "event=store error=\"%s\" path=%s",
			    strerror(errno), u->maildir);
		iobuf_printf(p.io, "%s NO [%s] %s: %s\r\n", lc.tag,
		    full ? "LIMIT" : "UNAVAILABLE", cmd, full ?
		    "too many sessions of this user" :
		    "the mailbox cannot be opened");
		imap_flush(&p);
		_exit(0);
	}
	if (p.store == NULL) {
		iobuf_printf(p.io, "%s NO [UNAVAILABLE] %s: the mailbox "
		    "cannot be opened\r\n", lc.tag, cmd);
		imap_flush(&p);
		iobuf_free(p.io);
		imapcmd_reader_free(p.reader);
		_exit(0);
	}
	iobuf_printf(p.io, "%s OK [CAPABILITY %s] %s completed\r\n", lc.tag,
	    imap_capability(&p), cmd);
	imap_log(&p, "event=login user=%s addr=%s tls=%s method=%s", u->name,
	    info->addr, lc.tls ? "yes" : "no", lc.method);
	if (imap_flush(&p) == 0)
		imap_loop(&p, session_tables);
	if (p.mbox != NULL)
		store_mbox_close(p.mbox);
	store_close(p.store);
	imap_log(&p, "event=logout user=%s result=%s", u->name,
	    p.end ? p.end : "closed");
	imapcmd_reader_free(p.reader);
	iobuf_free(p.io);
	_exit(0);
}
