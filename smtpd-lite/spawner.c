/*
 * The spawner: forked by mailqueue before it drops privileges, it stays
 * root and does one thing (qmail-lspawn is the model).  For each
 * SPAWN_DELIVER (spawner.h) it forks a child that asks authd who the
 * recipient is, becomes that user (never uid 0), builds an environment
 * from scratch and executes maildeliver with the message on standard
 * input; the child's standard error is read back as the reason, and its
 * exit status becomes a SPAWN_RESULT.  When not started as root, the
 * child runs maildeliver as the invoking user.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <paths.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
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
#include "privdrop.h"
#include "sock.h"
#include "spawner.h"
#include "xmalloc.h"

#define SPAWN_SOCK_FD	3	/* the socket pair, in the spawner */
#define SPAWN_ENV_MAX	8	/* variables of maildeliver's environment */
#define SPAWN_GRACE	30	/* seconds past delivery_timeout: SIGALRM */

struct spawn_job {
	pid_t		 pid;		/* 0: free */
	uint64_t	 delivery;
	int		 errfd;		/* the child's stderr, -1 when read */
	char		 out[SPAWN_REASON_READ];
	size_t		 outlen;
};

struct spawner {
	struct mailqueue_conf	*conf;
	int			 sock;
	int			 sigpipe[2];
	struct spawn_job	*jobs;
	size_t			 njobs;
};

static int	spawn_sigfd = -1;
/* What spawner_signals() changes, for a delivery child to undo. */
static const int	child_signals[] = { SIGCHLD, SIGPIPE, SIGHUP, SIGINT };

static __dead void spawner_main(struct mailqueue_conf *, int);
static void	spawner_sigchld(int);
static void	spawner_signals(struct spawner *);
static void	spawner_request(struct spawner *);
static void	spawner_start_job(struct spawner *, struct spawn_job *,
		    const struct spawn_deliver *, int);
static void	spawner_reap(struct spawner *);
static void	spawner_drain(struct spawn_job *);
static void	spawner_answer(struct spawner *, uint64_t,
		    enum delivery_result, int, const char *);
static void	spawner_finish(struct spawner *, struct spawn_job *, int);
static __dead void child_run(struct mailqueue_conf *,
		    const struct spawn_deliver *);
static __dead void child_fail(int, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
static void	child_lookup(struct mailqueue_conf *, const char *,
		    struct auth_user *);
static void	child_env(char **, const struct auth_user *,
		    const struct spawn_deliver *);

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
	size_t			 i;

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
	s.njobs = conf->delivery_concurrency;
	s.jobs = xcalloc(s.njobs, sizeof(*s.jobs));
	spawner_signals(&s);
	if (pledge("stdio rpath proc exec id unix recvfd sendfd", NULL) == -1)
		fatal("pledge");
	log_debug("queue event=spawner-start uid=%u", (unsigned)geteuid());
	pfd = xcalloc(s.njobs + 2, sizeof(*pfd));
	for (;;) {
		pfd[0].fd = s.sock;
		pfd[0].events = POLLIN;
		pfd[1].fd = s.sigpipe[0];
		pfd[1].events = POLLIN;
		for (i = 0; i < s.njobs; i++) {
			pfd[i + 2].fd = s.jobs[i].errfd > 0 ? s.jobs[i].errfd : -1;
			pfd[i + 2].events = POLLIN;
		}
		if (poll(pfd, s.njobs + 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("spawner: poll");
		}
		for (i = 0; i < s.njobs; i++)
			if (pfd[i + 2].revents != 0)
				spawner_drain(&s.jobs[i]);
		if (pfd[1].revents != 0)
			spawner_reap(&s);
		if (pfd[0].revents != 0)
			spawner_request(&s);
	}
}

/* One request; mailqueue gone or a malformed packet ends the spawner. */
static void
spawner_request(struct spawner *s)
{
	struct spawn_deliver	 req;
	uint8_t			 buf[sizeof(req) + 1];
	ssize_t			 n;
	size_t			 i;
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
	for (i = 0; i < s->njobs; i++)
		if (s->jobs[i].pid == 0)
			break;
	if (i == s->njobs) {
		close(fd);
		spawner_answer(s, req.delivery, DELIVERY_TEMPFAIL, -1,
		    "spawner busy");
		return;
	}
	spawner_start_job(s, &s->jobs[i], &req, fd);
}

static void
spawner_start_job(struct spawner *s, struct spawn_job *j,
    const struct spawn_deliver *req, int fd)
{
	int	p[2];
	pid_t	pid;

	if (pipe2(p, O_CLOEXEC) == -1) {
		close(fd);
		spawner_answer(s, req->delivery, DELIVERY_TEMPFAIL, -1,
		    "spawner: pipe failed");
		return;
	}
	if ((pid = fork()) == -1) {
		close(fd);
		close(p[0]);
		close(p[1]);
		spawner_answer(s, req->delivery, DELIVERY_TEMPFAIL, -1,
		    "spawner: fork failed");
		return;
	}
	if (pid == 0) {
		if (dup2(fd, STDIN_FILENO) == -1 ||
		    dup2(p[1], STDOUT_FILENO) == -1 ||
		    dup2(p[1], STDERR_FILENO) == -1)
			_exit(EX_OSERR);
		closefrom(STDERR_FILENO + 1);
		child_run(s->conf, req);
	}
	close(fd);
	close(p[1]);
	(void)sock_nonblock(p[0], 1);
	memset(j, 0, sizeof(*j));
	j->pid = pid;
	j->delivery = req->delivery;
	j->errfd = p[0];
}

/* What the child wrote; kept up to SPAWN_REASON_READ octets. */
static void
spawner_drain(struct spawn_job *j)
{
	char	buf[512];
	ssize_t	n;
	size_t	room;

	while (j->errfd != -1) {
		n = read(j->errfd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(j->errfd);
			j->errfd = -1;
			return;
		}
		room = sizeof(j->out) - 1 - j->outlen;
		if ((size_t)n > room)
			n = room;
		memcpy(j->out + j->outlen, buf, n);
		j->outlen += n;
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
		for (i = 0; i < s->njobs; i++)
			if (s->jobs[i].pid == pid)
				spawner_finish(s, &s->jobs[i], status);
	}
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

/* The child has exited: its output (all written by now) and status. */
static void
spawner_finish(struct spawner *s, struct spawn_job *j, int status)
{
	enum delivery_result	 r;
	char			*p;
	int			 code = -1;

	spawner_drain(j);
	if (j->errfd != -1)
		close(j->errfd);
	j->out[j->outlen] = '\0';
	while (j->outlen > 0 && strchr(" \t\r\n", j->out[j->outlen - 1]))
		j->out[--j->outlen] = '\0';
	for (p = j->out; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	if (WIFEXITED(status)) {
		code = WEXITSTATUS(status);
		r = code == 0 ? DELIVERY_OK : code == EX_TEMPFAIL ?
		    DELIVERY_TEMPFAIL : DELIVERY_PERMFAIL;
		if (j->outlen == 0 && code != 0)
			snprintf(j->out, sizeof(j->out), "maildeliver exited %d",
			    code);
	} else {
		r = DELIVERY_TEMPFAIL;
		if (j->outlen == 0)
			snprintf(j->out, sizeof(j->out), "maildeliver killed "
			    "by signal %d", WIFSIGNALED(status) ?
			    WTERMSIG(status) : 0);
	}
	spawner_answer(s, j->delivery, r, code, j->out);
	memset(j, 0, sizeof(*j));
	j->errfd = -1;
}

/* In the child: one line on stderr (read back as the reason), exit. */
static __dead void
child_fail(int code, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vdprintf(STDERR_FILENO, fmt, ap);
	va_end(ap);
	dprintf(STDERR_FILENO, "\n");
	_exit(code);
}

/* The full address first, then its local part. */
static void
child_lookup(struct mailqueue_conf *conf, const char *rcpt,
    struct auth_user *u)
{
	struct authclient	*ac;
	enum auth_result	 res;
	char			 local[ADDR_PATH_MAX + 1];
	const char		*at;

	if ((ac = authclient_open(conf->authd_socket,
	    conf->authd_timeout * 1000)) == NULL)
		child_fail(EX_TEMPFAIL, "cannot reach authd: %s",
		    strerror(errno));
	res = authclient_lookup(ac, rcpt, u);
	if (res == AUTH_FAIL && (at = strrchr(rcpt, '@')) != NULL) {
		strlcpy(local, rcpt, sizeof(local));
		local[at - rcpt] = '\0';
		res = authclient_lookup(ac, local, u);
	}
	if (res == AUTH_FAIL)
		child_fail(EX_NOUSER, "no such user: %s", rcpt);
	if (res != AUTH_OK)
		child_fail(EX_TEMPFAIL, "authd: %s", authclient_reason(ac));
	authclient_close(ac);
}

/* The environment, from scratch: nothing of the spawner's own. */
static void
child_env(char **env, const struct auth_user *u,
    const struct spawn_deliver *req)
{
	int	n = 0;

	xasprintf(&env[n++], "HOME=%s", u->home);
	xasprintf(&env[n++], "USER=%s", u->name);
	xasprintf(&env[n++], "LOGNAME=%s", u->name);
	xasprintf(&env[n++], "SHELL=%s", _PATH_BSHELL);
	xasprintf(&env[n++], "PATH=%s", _PATH_STDPATH);
	xasprintf(&env[n++], "SENDER=%s", req->sender);
	xasprintf(&env[n++], "RECIPIENT=%s", req->rcpt);
	env[n] = NULL;
}

static __dead void
child_run(struct mailqueue_conf *conf, const struct spawn_deliver *req)
{
	struct auth_user	 u;
	char			*env[SPAWN_ENV_MAX + 1], maildir[AUTH_PATH_MAX + 16];
	char			 tmo[24];
	char			*argv[] = { "maildeliver", "-d", maildir, "-f",
				    (char *)req->sender, "-r",
				    (char *)req->rcpt, "-t", tmo, NULL };

	/* maildeliver gets default signals, as the spawner's mask: none. */
	daemon_signals_reset(child_signals, nitems(child_signals));
	alarm(conf->authd_timeout * 2 + 1);
	child_lookup(conf, req->rcpt, &u);
	/* Not root: maildeliver runs as the invoking user, silently. */
	if (privdrop_needed()) {
		if (u.uid == 0)
			child_fail(EX_NOPERM, "refusing to deliver as uid 0 "
			    "for %s", req->rcpt);
		if (privdrop_ids(u.uid, u.gid) == -1)
			child_fail(EX_TEMPFAIL, "cannot become uid %u",
			    (unsigned)u.uid);
	}
	if (u.maildir[0] != '\0')
		strlcpy(maildir, u.maildir, sizeof(maildir));
	else
		snprintf(maildir, sizeof(maildir), "%s/Maildir", u.home);
	if (chdir(u.home) == -1 && chdir("/") == -1)
		child_fail(EX_TEMPFAIL, "chdir: %s", strerror(errno));
	snprintf(tmo, sizeof(tmo), "%lld", conf->delivery_timeout);
	child_env(env, &u, req);
	alarm(conf->delivery_timeout + SPAWN_GRACE);
	execve(conf->maildeliver, argv, env);
	child_fail(EX_TEMPFAIL, "exec %s: %s", conf->maildeliver,
	    strerror(errno));
}
