/*
 * The spawner: forked by mailqueue before it drops privileges, it stays
 * root and does one thing (qmail-lspawn is the model).  For each
 * SPAWN_DELIVER (spawner.h) it asks authd who the recipient is and hands
 * the message to a maildeliver running as that user (never uid 0): one
 * it started earlier for the same user and that is idle, else a new one,
 * forked, changed to the user with an environment built from scratch,
 * and executed as "maildeliver -S" with a socket (mdaproto.h) on its
 * standard input.  The answer, or the way the process ended, becomes a
 * SPAWN_RESULT.  An idle maildeliver is kept delivery_idle seconds, so
 * a stream of mail for one user costs one exec, not one per message.
 * When not started as root, maildeliver runs as the invoking user.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <paths.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "authclient.h"
#include "compat.h"
#include "daemon.h"
#include "log.h"
#include "mailqueue.h"
#include "mdaproto.h"
#include "privdrop.h"
#include "sock.h"
#include "spawner.h"
#include "xmalloc.h"

#define SPAWN_SOCK_FD	3	/* the socket pair, in the spawner */
#define SPAWN_ENV_MAX	8	/* variables of maildeliver's environment */
#define SPAWN_GRACE	30	/* seconds past delivery_timeout: SIGKILL */
#define SPAWN_USES_MAX	10000	/* deliveries of one maildeliver */

/* One maildeliver process, for one user. */
struct mda {
	pid_t		 pid;		/* 0: free slot */
	int		 sock;		/* -1 once closed */
	int		 errfd;		/* its stderr, -1 once at EOF */
	uid_t		 uid;
	gid_t		 gid;
	char		 name[AUTH_NAME_MAX + 1];
	char		 home[AUTH_PATH_MAX + 1];
	uint64_t	 delivery;	/* 0: idle */
	long long	 deadline;	/* ms: killed (busy) or closed (idle) */
	unsigned	 uses;
	char		 out[SPAWN_REASON_READ];	/* stderr kept */
	size_t		 outlen;
};

struct spawner {
	struct mailqueue_conf	*conf;
	int			 sock;
	int			 sigpipe[2];
	struct authclient	*ac;
	struct mda		*mdas;
	size_t			 nmdas;
};

static int	spawn_sigfd = -1;
/* What spawner_signals() changes, for maildeliver to undo. */
static const int	child_signals[] = { SIGCHLD, SIGPIPE, SIGHUP, SIGINT };

static __dead void spawner_main(struct mailqueue_conf *, int);
static void	spawner_sigchld(int);
static void	spawner_signals(struct spawner *);
static int	spawner_poll_timeout(struct spawner *);
static void	spawner_timeouts(struct spawner *);
static void	spawner_request(struct spawner *);
static void	spawner_deliver(struct spawner *, const struct spawn_deliver *,
		    int);
static int	spawner_lookup(struct spawner *, const char *,
		    struct auth_user *, char *, size_t);
static enum delivery_result result_of(int);
static int	target_maildir(const struct auth_user *, char *, size_t,
		    char *, size_t);
static struct mda *mda_get(struct spawner *, const struct auth_user *,
		    char *, size_t);
static struct mda *mda_start(struct spawner *, struct mda *,
		    const struct auth_user *, char *, size_t);
static __dead void mda_exec(struct mailqueue_conf *, const struct auth_user *);
static void	mda_close(struct mda *);
static void	mda_read(struct spawner *, struct mda *);
static void	mda_drain(struct mda *);
static void	mda_exited(struct spawner *, struct mda *, int);
static void	spawner_reap(struct spawner *);
static void	spawner_answer(struct spawner *, uint64_t,
		    enum delivery_result, int, const char *);
static void	reason_clean(char *);

pid_t
spawner_start(struct mailqueue_conf *conf, int *fd)
{
	int	sv[2];
	pid_t	pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		fatal("spawner: socketpair");
	switch ((pid = fork())) {
	case -1:
		fatal("spawner: fork");
	case 0:
		close(sv[0]);
		spawner_main(conf, sv[1]);
	default:
		break;
	}
	close(sv[1]);
	*fd = sv[0];
	return pid;
}

static void
spawner_sigchld(int sig)
{
	int	saved = errno;
	ssize_t	n;

	/* A full pipe is fine: a wake-up is pending anyway. */
	n = write(spawn_sigfd, "c", 1);
	(void)n;
	errno = saved;
}

/* Signals: SIGCHLD wakes the loop through a pipe; the rest ignored. */
static void
spawner_signals(struct spawner *s)
{
	struct sigaction	sa;

	if (pipe2(s->sigpipe, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("spawner: pipe");
	spawn_sigfd = s->sigpipe[1];
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = spawner_sigchld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigprocmask(SIG_SETMASK, &sa.sa_mask, NULL);
}

static __dead void
spawner_main(struct mailqueue_conf *conf, int sock)
{
	struct spawner		 s;
	struct pollfd		*pfd;
	struct mda		*m;
	size_t			 i, np;

	log_procname("mailqueue-spawner");
	if (sock != SPAWN_SOCK_FD && (dup2(sock, SPAWN_SOCK_FD) == -1 ||
	    close(sock) == -1))
		fatal("spawner: dup2");
	closefrom(SPAWN_SOCK_FD + 1);
	if (chdir("/") == -1)
		fatal("spawner: chdir /");
	memset(&s, 0, sizeof(s));
	s.conf = conf;
	s.sock = SPAWN_SOCK_FD;
	s.nmdas = conf->delivery_concurrency;
	s.mdas = xcalloc(s.nmdas, sizeof(*s.mdas));
	spawner_signals(&s);
	if (pledge("stdio rpath proc exec id unix recvfd sendfd", NULL) == -1)
		fatal("pledge");
	log_debug("queue event=spawner-start uid=%u", (unsigned)geteuid());
	pfd = xcalloc(2 * s.nmdas + 2, sizeof(*pfd));
	for (;;) {
		pfd[0].fd = s.sock;
		pfd[0].events = POLLIN;
		pfd[1].fd = s.sigpipe[0];
		pfd[1].events = POLLIN;
		np = 2;
		for (i = 0; i < s.nmdas; i++) {
			m = &s.mdas[i];
			pfd[np].fd = m->pid > 0 ? m->sock : -1;
			pfd[np++].events = POLLIN;
			pfd[np].fd = m->pid > 0 ? m->errfd : -1;
			pfd[np++].events = POLLIN;
		}
		if (poll(pfd, np, spawner_poll_timeout(&s)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("spawner: poll");
		}
		for (i = 0; i < s.nmdas; i++) {
			if (pfd[2 + 2 * i + 1].revents != 0)
				mda_drain(&s.mdas[i]);
			if (pfd[2 + 2 * i].revents != 0)
				mda_read(&s, &s.mdas[i]);
		}
		if (pfd[1].revents != 0)
			spawner_reap(&s);
		spawner_timeouts(&s);
		if (pfd[0].revents != 0)
			spawner_request(&s);
	}
}

/* Milliseconds until the next deadline of a maildeliver, -1 for none. */
static int
spawner_poll_timeout(struct spawner *s)
{
	long long	now = daemon_now_ms(), next = -1;
	size_t		i;

	for (i = 0; i < s->nmdas; i++) {
		if (s->mdas[i].pid <= 0 || s->mdas[i].sock == -1)
			continue;
		if (next == -1 || s->mdas[i].deadline < next)
			next = s->mdas[i].deadline;
	}
	if (next == -1)
		return -1;
	return next <= now ? 0 : next - now > 60000 ? 60000 : (int)(next - now);
}

/* Idle past delivery_idle: closed; busy past the time limit: killed. */
static void
spawner_timeouts(struct spawner *s)
{
	long long	 now = daemon_now_ms();
	struct mda	*m;
	size_t		 i;

	for (i = 0; i < s->nmdas; i++) {
		m = &s->mdas[i];
		if (m->pid <= 0 || m->sock == -1 || m->deadline > now)
			continue;
		if (m->delivery == 0)
			mda_close(m);
		else {
			log_warnx("queue event=delivery-timeout pid=%ld",
			    (long)m->pid);
			kill(m->pid, SIGKILL);
			m->deadline = now + 60000;
		}
	}
}

/* One request; mailqueue gone or a malformed packet ends the spawner. */
static void
spawner_request(struct spawner *s)
{
	struct spawn_deliver	 req;
	uint8_t			 buf[sizeof(req) + 1];
	ssize_t			 n;
	int			 fd;

	n = sock_recv_fd(s->sock, &fd, buf, sizeof(buf));
	if (n == 0) {
		log_debug("queue event=spawner-stop");
		_exit(0);
	}
	if (n == -1 && errno == EINTR)
		return;
	if (n == -1)
		fatal("spawner: read");
	memcpy(&req, buf, n < (ssize_t)sizeof(req) ? (size_t)n : sizeof(req));
	if ((size_t)n != sizeof(req) || req.version != SPAWN_VERSION ||
	    req.type != SPAWN_DELIVER || fd == -1 || req.delivery == 0 ||
	    memchr(req.id, '\0', sizeof(req.id)) == NULL ||
	    memchr(req.rcpt, '\0', sizeof(req.rcpt)) == NULL ||
	    memchr(req.sender, '\0', sizeof(req.sender)) == NULL)
		fatalx("spawner: malformed request");
	spawner_deliver(s, &req, fd);
	close(fd);
}

static void
spawner_deliver(struct spawner *s, const struct spawn_deliver *req, int fd)
{
	struct mda_deliver	 d;
	struct auth_user	 u;
	struct mda		*m;
	char			 why[SPAWN_REASON_READ];
	int			 code;

	if ((code = spawner_lookup(s, req->rcpt, &u, why, sizeof(why))) !=
	    EX_OK) {
		spawner_answer(s, req->delivery, result_of(code), code, why);
		return;
	}
	memset(&d, 0, sizeof(d));
	d.version = MDA_VERSION;
	d.type = MDA_DELIVER;
	d.delivery = req->delivery;
	strlcpy(d.sender, req->sender, sizeof(d.sender));
	strlcpy(d.rcpt, req->rcpt, sizeof(d.rcpt));
	if (target_maildir(&u, d.maildir, sizeof(d.maildir), why,
	    sizeof(why)) == -1) {
		spawner_answer(s, req->delivery, DELIVERY_TEMPFAIL,
		    EX_TEMPFAIL, why);
		return;
	}
	if ((m = mda_get(s, &u, why, sizeof(why))) == NULL) {
		spawner_answer(s, req->delivery, DELIVERY_TEMPFAIL,
		    EX_TEMPFAIL, why);
		return;
	}
	if (sock_send_fd(m->sock, fd, &d, sizeof(d)) == -1) {
		/* It died between two deliveries: its exit is not news. */
		mda_close(m);
		spawner_answer(s, req->delivery, DELIVERY_TEMPFAIL,
		    EX_TEMPFAIL, "maildeliver gone");
		return;
	}
	m->delivery = req->delivery;
	m->deadline = daemon_now_ms() +
	    (s->conf->delivery_timeout + SPAWN_GRACE) * 1000;
	m->uses++;
	m->outlen = 0;
}

/* The full address first, then its local part: a sysexits(3) code. */
static int
spawner_lookup(struct spawner *s, const char *rcpt, struct auth_user *u,
    char *why, size_t whylen)
{
	enum auth_result	 res;
	char			 local[ADDR_PATH_MAX + 1];
	const char		*at;

	if (s->ac == NULL && (s->ac = authclient_open(s->conf->authd_socket,
	    s->conf->authd_timeout * 1000)) == NULL) {
		snprintf(why, whylen, "cannot reach authd: %s",
		    strerror(errno));
		return EX_TEMPFAIL;
	}
	res = authclient_lookup(s->ac, rcpt, u);
	if (res == AUTH_FAIL && (at = strrchr(rcpt, '@')) != NULL) {
		strlcpy(local, rcpt, sizeof(local));
		local[at - rcpt] = '\0';
		res = authclient_lookup(s->ac, local, u);
	}
	if (res == AUTH_FAIL) {
		snprintf(why, whylen, "no such user: %s", rcpt);
		return EX_NOUSER;
	}
	if (res != AUTH_OK) {
		snprintf(why, whylen, "authd: %s", authclient_reason(s->ac));
		return EX_TEMPFAIL;
	}
	if (privdrop_needed() && u->uid == 0) {
		snprintf(why, whylen, "refusing to deliver as uid 0 for %s",
		    rcpt);
		return EX_NOPERM;
	}
	return EX_OK;
}

/*
 * The Maildir to deliver into: the user's default delivery when it names
 * one, else the maildir, else home/Maildir; relative paths are under the
 * home directory, as courier has them.  A default delivery of another
 * kind (a pipe, an mbox) is not done yet: the mail waits, with the reason.
 */
static int
target_maildir(const struct auth_user *u, char *out, size_t outlen,
    char *why, size_t whylen)
{
	const char	*md = u->maildir[0] != '\0' ? u->maildir : "Maildir";
	size_t		 n = strlen(u->delivery);
	int		 len;

	if (n > 0) {
		/* qmail's and courier's mark of a Maildir: a trailing slash. */
		if (u->delivery[n - 1] != '/' || strchr("|&!", u->delivery[0])) {
			snprintf(why, whylen, "default delivery \"%.200s\" is not "
			    "a Maildir (a path ending in /)", u->delivery);
			return -1;
		}
		md = u->delivery;
	}
	if (md[0] == '/')
		len = snprintf(out, outlen, "%s", md);
	else
		len = snprintf(out, outlen, "%s/%s", u->home, md);
	if (len < 0 || (size_t)len >= outlen || out[0] != '/') {
		snprintf(why, whylen, "maildir is not an absolute path");
		return -1;
	}
	return 0;
}

/* 0 delivered, 75 try again later, anything else permanent. */
static enum delivery_result
result_of(int code)
{
	return code == EX_OK ? DELIVERY_OK : code == EX_TEMPFAIL ?
	    DELIVERY_TEMPFAIL : DELIVERY_PERMFAIL;
}

/*
 * An idle maildeliver of user u, else a new one in a free slot, else in
 * the slot of an idle one of another user.  NULL with why when none.
 */
static struct mda *
mda_get(struct spawner *s, const struct auth_user *u, char *why,
    size_t whylen)
{
	struct mda	*m, *free_slot = NULL, *other = NULL;
	size_t		 i;

	for (i = 0; i < s->nmdas; i++) {
		m = &s->mdas[i];
		if (m->pid == 0) {
			if (free_slot == NULL)
				free_slot = m;
			continue;
		}
		if (m->sock == -1 || m->delivery != 0)
			continue;
		if (m->uid == u->uid && m->gid == u->gid &&
		    strcmp(m->name, u->name) == 0 &&
		    strcmp(m->home, u->home) == 0)
			return m;
		if (other == NULL || m->deadline < other->deadline)
			other = m;
	}
	if (free_slot == NULL && other != NULL) {
		/* Its slot is free once reaped; until then, a spare one. */
		mda_close(other);
		other->pid = 0;
		free_slot = other;
	}
	if (free_slot == NULL) {
		snprintf(why, whylen, "spawner busy");
		return NULL;
	}
	return mda_start(s, free_slot, u, why, whylen);
}

static struct mda *
mda_start(struct spawner *s, struct mda *m, const struct auth_user *u,
    char *why, size_t whylen)
{
	int	sv[2], p[2];
	pid_t	pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		snprintf(why, whylen, "spawner: socketpair: %s",
		    strerror(errno));
		return NULL;
	}
	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(why, whylen, "spawner: pipe: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return NULL;
	}
	if ((pid = fork()) == -1) {
		snprintf(why, whylen, "spawner: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		close(p[0]);
		close(p[1]);
		return NULL;
	}
	if (pid == 0) {
		if (dup2(sv[1], STDIN_FILENO) == -1 ||
		    dup2(p[1], STDOUT_FILENO) == -1 ||
		    dup2(p[1], STDERR_FILENO) == -1)
			_exit(EX_OSERR);
		closefrom(STDERR_FILENO + 1);
		mda_exec(s->conf, u);
	}
	close(sv[1]);
	close(p[1]);
	(void)sock_nonblock(p[0], 1);
	memset(m, 0, sizeof(*m));
	m->pid = pid;
	m->sock = sv[0];
	m->errfd = p[0];
	m->uid = u->uid;
	m->gid = u->gid;
	strlcpy(m->name, u->name, sizeof(m->name));
	strlcpy(m->home, u->home, sizeof(m->home));
	return m;
}

/* In the child: the user, the environment from scratch, maildeliver -S. */
static __dead void
mda_exec(struct mailqueue_conf *conf, const struct auth_user *u)
{
	char	*env[SPAWN_ENV_MAX + 1], tmo[24];
	char	*argv[] = { "maildeliver", "-S", "-t", tmo, NULL };
	int	 n = 0;

	/* maildeliver gets default signals, as the spawner's mask: none. */
	daemon_signals_reset(child_signals, nitems(child_signals));
	/* Not root: maildeliver runs as the invoking user, silently. */
	if (privdrop_needed() && privdrop_ids(u->uid, u->gid) == -1) {
		dprintf(STDERR_FILENO, "cannot become uid %u\n",
		    (unsigned)u->uid);
		_exit(EX_TEMPFAIL);
	}
	if (chdir(u->home) == -1 && chdir("/") == -1) {
		dprintf(STDERR_FILENO, "chdir: %s\n", strerror(errno));
		_exit(EX_TEMPFAIL);
	}
	snprintf(tmo, sizeof(tmo), "%lld", conf->delivery_timeout);
	xasprintf(&env[n++], "HOME=%s", u->home);
	xasprintf(&env[n++], "USER=%s", u->name);
	xasprintf(&env[n++], "LOGNAME=%s", u->name);
	xasprintf(&env[n++], "SHELL=%s", _PATH_BSHELL);
	xasprintf(&env[n++], "PATH=%s", _PATH_STDPATH);
	env[n] = NULL;
	execve(conf->maildeliver, argv, env);
	dprintf(STDERR_FILENO, "exec %s: %s\n", conf->maildeliver,
	    strerror(errno));
	_exit(EX_TEMPFAIL);
}

/* No more deliveries: maildeliver reads EOF and exits; reaped later. */
static void
mda_close(struct mda *m)
{
	if (m->sock != -1)
		close(m->sock);
	if (m->errfd != -1)
		close(m->errfd);
	m->sock = m->errfd = -1;
}

/* A result, or EOF: maildeliver has ended, its status comes by SIGCHLD. */
static void
mda_read(struct spawner *s, struct mda *m)
{
	struct mda_result	 res;
	uint8_t			 buf[sizeof(res) + 1];
	char			 why[QUEUE_REASON_MAX + 16];
	ssize_t			 n;
	int			 fd;

	n = sock_recv_fd(m->sock, &fd, buf, sizeof(buf));
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (fd != -1)
		close(fd);
	memcpy(&res, buf, n > 0 && (size_t)n < sizeof(res) ? (size_t)n :
	    n > 0 ? sizeof(res) : 0);
	if (n <= 0 || (size_t)n != sizeof(res) ||
	    res.version != MDA_VERSION || res.type != MDA_RESULT ||
	    m->delivery == 0 || res.delivery != m->delivery ||
	    memchr(res.reason, '\0', sizeof(res.reason)) == NULL) {
		if (n > 0)
			log_warnx("queue event=spawner reason=\"malformed "
			    "result from maildeliver pid %ld\"", (long)m->pid);
		/* Stops the polling; the exit tells the rest. */
		if (m->sock != -1)
			close(m->sock);
		m->sock = -1;
		if (n > 0)
			kill(m->pid, SIGKILL);
		return;
	}
	reason_clean(res.reason);
	if (res.status != EX_OK)
		snprintf(why, sizeof(why), "maildeliver: %s", res.reason[0] !=
		    '\0' ? res.reason : "failed");
	else
		why[0] = '\0';
	spawner_answer(s, m->delivery, result_of(res.status), res.status,
	    why);
	m->delivery = 0;
	m->deadline = daemon_now_ms() + s->conf->delivery_idle * 1000;
	if (s->conf->delivery_idle == 0 || m->uses >= SPAWN_USES_MAX)
		mda_close(m);
}

/* What maildeliver wrote on stderr; kept up to SPAWN_REASON_READ octets. */
static void
mda_drain(struct mda *m)
{
	char	buf[512];
	ssize_t	n;
	size_t	room;

	while (m->errfd != -1) {
		n = read(m->errfd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(m->errfd);
			m->errfd = -1;
			return;
		}
		room = sizeof(m->out) - 1 - m->outlen;
		if ((size_t)n > room)
			n = room;
		memcpy(m->out + m->outlen, buf, n);
		m->outlen += n;
	}
}

static void
spawner_reap(struct spawner *s)
{
	char	c[64];
	pid_t	pid;
	size_t	i;
	int	status;

	while (read(s->sigpipe[0], c, sizeof(c)) > 0)
		;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < s->nmdas; i++)
			if (s->mdas[i].pid == pid)
				mda_exited(s, &s->mdas[i], status);
	}
}

/* maildeliver has ended; a delivery it had not answered fails with it. */
static void
mda_exited(struct spawner *s, struct mda *m, int status)
{
	enum delivery_result	 r = DELIVERY_TEMPFAIL;
	int			 code = -1;

	mda_drain(m);
	mda_close(m);
	if (m->delivery != 0) {
		m->out[m->outlen] = '\0';
		reason_clean(m->out);
		/* Exiting is no answer: 0 here is not "delivered". */
		if (WIFEXITED(status)) {
			code = WEXITSTATUS(status);
			if (code != EX_OK)
				r = result_of(code);
			if (m->out[0] == '\0')
				snprintf(m->out, sizeof(m->out), "maildeliver "
				    "exited %d", code);
		} else if (m->out[0] == '\0')
			snprintf(m->out, sizeof(m->out), "maildeliver killed "
			    "by signal %d", WIFSIGNALED(status) ?
			    WTERMSIG(status) : 0);
		spawner_answer(s, m->delivery, r, code, m->out);
	}
	memset(m, 0, sizeof(*m));
	m->sock = m->errfd = -1;
}

static void
spawner_answer(struct spawner *s, uint64_t delivery, enum delivery_result r,
    int status, const char *reason)
{
	struct spawn_result	res;

	memset(&res, 0, sizeof(res));
	res.version = SPAWN_VERSION;
	res.type = SPAWN_RESULT;
	res.delivery = delivery;
	res.result = r;
	res.status = status;
	strlcpy(res.reason, reason, sizeof(res.reason));
	if (sock_send_fd(s->sock, -1, &res, sizeof(res)) == -1)
		fatal("spawner: send");
}

/* One line: trailing space gone, line breaks and tabs made spaces. */
static void
reason_clean(char *r)
{
	size_t	len = strlen(r);
	char	*p;

	while (len > 0 && strchr(" \t\r\n", r[len - 1]) != NULL)
		r[--len] = '\0';
	for (p = r; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
}
