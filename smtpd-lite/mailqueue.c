/*
 * mailqueue: start-up, the ppoll(2) loop of the main process, the
 * acceptor children (forked on demand, then reused: an idle one says so
 * on its ctl socket and gets the next connection's descriptor there) and
 * the signals.
 *
 * Start-up order: parse the configuration, resolve names, make the
 * queue directory, open the socket, fork the spawner (which stays root),
 * drop privileges to the queue user, pledge and unveil, clean the queue,
 * load every envelope, loop.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "daemon.h"
#include "log.h"
#include "mailqueue.h"
#include "privdrop.h"
#include "queueproto.h"
#include "sock.h"
#include "xmalloc.h"

#define MAILQUEUE_IDLE_MS	60000	/* longest ppoll(2) sleep */
#define MAILQUEUE_RESCAN_S	300	/* between scans of env/ */

/* An acceptor child; ctl hands it connections and hears "idle". */
struct acceptor {
	pid_t			 pid;		/* 0: a free slot */
	int			 ctl;		/* -1 once it said goodbye */
	int			 idle;
};

struct mailqueue {
	struct mailqueue_conf	*conf;
	int			 listen_fd;
	int			 notify[2];	/* [0] main, [1] acceptors */
	pid_t			 spawner;
	struct runner		*runner;
	struct acceptor		*acc;		/* max_clients slots */
	struct pollfd		*pfd;		/* 3 + max_clients */
};

static volatile sig_atomic_t	got_term, got_hup, got_chld;
/* Caught by the main loop; an acceptor child sets them back. */
static const int	loop_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };

static void	signal_handler(int);
static void	startup(struct mailqueue *, int);
static void	loop(struct mailqueue *);
static void	housekeeping(struct mailqueue *, time_t *);
static void	shutdown_all(struct mailqueue *);
static void	accept_one(struct mailqueue *);
static int	acceptor_reuse(struct mailqueue *, int);
static int	acceptor_fork(struct mailqueue *, int);
static void	acceptor_ctl(struct mailqueue *, struct acceptor *);
static void	refuse_client(int);
static void	notify_read(struct mailqueue *);
static void	reap(struct mailqueue *);

static void
signal_handler(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_term = 1;
}

int
main(int argc, char *argv[])
{
	struct mailqueue_conf	 conf;
	struct mailqueue	 q;
	struct daemon_opts	 o;

	daemon_options(argc, argv, "mailqueue", MAILQUEUE_CONF, &o);
	if (mailqueue_conf_load(&conf, o.conf) == -1 ||
	    mailqueue_conf_resolve(&conf, o.conf) == -1) {
		mailqueue_conf_free(&conf);
		return EX_CONFIG;
	}
	if (o.check) {
		if (o.verbose)
			mailqueue_conf_print(&conf, stdout);
		fprintf(stderr, "configuration OK\n");
		mailqueue_conf_free(&conf);
		return EX_OK;
	}
	memset(&q, 0, sizeof(q));
	q.conf = &conf;
	startup(&q, o.debug);
	loop(&q);
	shutdown_all(&q);
	mailqueue_conf_free(&conf);
	return EX_OK;
}

static void
startup(struct mailqueue *q, int debug)
{
	struct mailqueue_conf	*c = q->conf;
	int			 fd;

	umask(077);
	if (queue_dirs_setup(c) == -1)
		fatalx("queue directory %s unusable", c->queue_dir);
	if ((q->listen_fd = sock_listen_unix(c->socket_path, c->socket_mode,
	    (gid_t)-1, MAILQUEUE_BACKLOG)) == -1)
		fatal("listen on %s", c->socket_path);
	if (sock_nonblock(q->listen_fd, 1) == -1)
		fatal("socket");
	if (!debug && daemon(1, 0) == -1)
		fatal("daemon");
	q->spawner = spawner_start(c, &fd);
	if (privdrop(c->user, NULL, NULL) == -1)
		fatalx("privilege drop to %s failed", c->user);
	if (unveil(c->queue_dir, "rwc") == -1 ||
	    unveil(c->local_domains, "r") == -1 ||
	    unveil(c->socket_path, "c") == -1 || unveil(NULL, NULL) == -1)
		fatal("unveil");
	if (pledge("stdio rpath wpath cpath fattr proc getpw unix sendfd",
	    NULL) == -1)
		fatal("pledge");
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, q->notify) == -1)
		fatal("socketpair");
	if (sock_nonblock(q->notify[0], 1) == -1)
		fatal("socket");
	q->acc = xcalloc(c->max_clients, sizeof(*q->acc));
	q->pfd = xcalloc(c->max_clients + 3, sizeof(*q->pfd));
	queue_clean();
	q->runner = runner_new(c, fd);
	runner_load_all(q->runner);
	log_info("queue event=start socket=%s dir=%s uid=%u spawner=%ld",
	    c->socket_path, c->queue_dir, (unsigned)geteuid(),
	    (long)q->spawner);
}

static void
shutdown_all(struct mailqueue *q)
{
	size_t	i;

	log_info("queue event=stop");
	for (i = 0; i < (size_t)q->conf->max_clients; i++) {
		if (q->acc[i].pid > 0)
			(void)kill(q->acc[i].pid, SIGTERM);
		if (q->acc[i].pid > 0 && q->acc[i].ctl != -1)
			close(q->acc[i].ctl);
	}
	close(q->listen_fd);
	close(q->notify[0]);
	close(q->notify[1]);
	/* The spawner exits when its socket closes. */
	close(runner_spawner_fd(q->runner));
	if (unlink(q->conf->socket_path) == -1)
		log_debug("queue event=stop unlink=%s error=\"%s\"",
		    q->conf->socket_path, strerror(errno));
	runner_free(q->runner);
	free(q->acc);
	free(q->pfd);
}

/* Signals noted by the handler, and the periodic scan of env/. */
static void
housekeeping(struct mailqueue *q, time_t *rescan)
{
	if (got_chld) {
		got_chld = 0;
		reap(q);
	}
	if (got_hup) {
		got_hup = 0;
		log_info("queue event=reload");
		(void)mailqueue_conf_domains(q->conf);
		runner_rescan(q->runner);
		runner_flush(q->runner);
	}
	if (time(NULL) >= *rescan) {
		runner_rescan(q->runner);
		*rescan = time(NULL) + MAILQUEUE_RESCAN_S;
	}
}

static void
loop(struct mailqueue *q)
{
	struct pollfd	*pfd = q->pfd;
	struct timespec	 ts;
	sigset_t	 pollmask;
	long long	 t;
	size_t		 i, n;
	time_t		 rescan = time(NULL) + MAILQUEUE_RESCAN_S;

	daemon_signals(loop_signals, nitems(loop_signals), signal_handler,
	    &pollmask);
	while (!got_term) {
		housekeeping(q, &rescan);
		runner_run(q->runner);
		pfd[0].fd = q->listen_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = q->notify[0];
		pfd[1].events = POLLIN;
		pfd[2].fd = runner_spawner_fd(q->runner);
		pfd[2].events = POLLIN |
		    (runner_blocked(q->runner) ? POLLOUT : 0);
		/* Every acceptor's ctl, in slot order; -1 is not polled. */
		n = (size_t)q->conf->max_clients;
		for (i = 0; i < n; i++) {
			pfd[3 + i].fd = q->acc[i].pid > 0 ? q->acc[i].ctl : -1;
			pfd[3 + i].events = POLLIN;
			pfd[3 + i].revents = 0;
		}
		t = runner_timeout(q->runner);
		if (t < 0 || t > MAILQUEUE_IDLE_MS)
			t = MAILQUEUE_IDLE_MS;
		ts.tv_sec = t / 1000;
		ts.tv_nsec = (t % 1000) * 1000000L;
		if (ppoll(pfd, 3 + n, &ts, &pollmask) == -1) {
			if (errno != EINTR)
				fatal("ppoll");
			continue;
		}
		if (pfd[2].revents & POLLOUT)
			runner_unblock(q->runner);
		if (pfd[2].revents & ~POLLOUT)
			runner_spawner_read(q->runner);
		if (pfd[1].revents != 0)
			notify_read(q);
		for (i = 0; i < n; i++)
			if (pfd[3 + i].revents != 0)
				acceptor_ctl(q, &q->acc[i]);
		if (pfd[0].revents != 0)
			accept_one(q);
	}
}

/* New queue ids from the acceptors. */
static void
notify_read(struct mailqueue *q)
{
	char	buf[MAILQUEUE_NOTIFY_MAX + 1];
	ssize_t	n;

	char	*sp;

	/* "<id> <spares taken>" */
	while ((n = recv(q->notify[0], buf, MAILQUEUE_NOTIFY_MAX, 0)) > 0) {
		buf[n] = '\0';
		if ((sp = strchr(buf, ' ')) != NULL) {
			*sp++ = '\0';
			spare_used(strtonum(sp, 0, 1 << 20, NULL));
		}
		runner_add(q->runner, buf);
	}
}

/* Over max_clients: an ERROR frame instead of a child. */
static void
refuse_client(int fd)
{
	struct queueproto_msg	m;
	uint8_t			buf[QUEUEPROTO_HDR_LEN + 64];
	long			n;

	memset(&m, 0, sizeof(m));
	m.type = QP_ERROR;
	strlcpy(m.reason, "too many connections", sizeof(m.reason));
	if ((n = queueproto_encode(&m, buf, sizeof(buf))) > 0)
		(void)send(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
}

static void
accept_one(struct mailqueue *q)
{
	int	fd;

	if ((fd = accept4(q->listen_fd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("queue event=accept");
		return;
	}
	if (acceptor_reuse(q, fd) == -1 && acceptor_fork(q, fd) == -1) {
		refuse_client(fd);
		return;
	}
	close(fd);
}

/* Hands fd to an idle acceptor: 0, or -1 when none would take it. */
static int
acceptor_reuse(struct mailqueue *q, int fd)
{
	struct acceptor	*a;
	size_t		 i;

	for (i = 0; i < (size_t)q->conf->max_clients; i++) {
		a = &q->acc[i];
		if (a->pid <= 0 || a->ctl == -1 || !a->idle)
			continue;
		if (sock_send_fd(a->ctl, fd, "c", 1) == 0) {
			a->idle = 0;
			return 0;
		}
		/* It is leaving (idle too long, or gone): never again. */
		close(a->ctl);
		a->ctl = -1;
		a->idle = 0;
	}
	return -1;
}

/* A new acceptor for fd in a free slot: 0, or -1 (over max_clients). */
static int
acceptor_fork(struct mailqueue *q, int fd)
{
	struct acceptor	*a = NULL;
	size_t		 i;
	pid_t		 pid;
	int		 sv[2];

	for (i = 0; i < (size_t)q->conf->max_clients && a == NULL; i++)
		if (q->acc[i].pid == 0)
			a = &q->acc[i];
	if (a == NULL) {
		log_warnx("queue event=refused reason=\"too many connections\" "
		    "max_clients=%lld", q->conf->max_clients);
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1) {
		log_warn("queue event=socketpair");
		return -1;
	}
	if ((pid = fork()) == -1) {
		log_warn("queue event=fork");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		daemon_signals_reset(loop_signals, nitems(loop_signals));
		close(q->listen_fd);
		close(q->notify[0]);
		close(runner_spawner_fd(q->runner));
		close(sv[0]);
		for (i = 0; i < (size_t)q->conf->max_clients; i++)
			if (q->acc[i].pid > 0 && q->acc[i].ctl != -1)
				close(q->acc[i].ctl);
		accept_serve(q->conf, fd, q->notify[1], sv[1]);
	}
	close(sv[1]);
	a->pid = pid;
	a->ctl = sv[0];
	a->idle = 0;
	return 0;
}

/* "idle" from an acceptor, or its end. */
static void
acceptor_ctl(struct mailqueue *q, struct acceptor *a)
{
	ssize_t	n;
	char	c;

	if ((n = recv(a->ctl, &c, 1, MSG_DONTWAIT)) == 1) {
		a->idle = 1;
		return;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	close(a->ctl);
	a->ctl = -1;
	a->idle = 0;
}

static void
reap(struct mailqueue *q)
{
	pid_t	pid;
	size_t	i;
	int	status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == q->spawner)
			fatalx("queue event=spawner-exited status=%d", status);
		for (i = 0; i < (size_t)q->conf->max_clients; i++) {
			if (q->acc[i].pid != pid)
				continue;
			if (q->acc[i].ctl != -1)
				close(q->acc[i].ctl);
			q->acc[i].pid = 0;
			q->acc[i].ctl = -1;
			q->acc[i].idle = 0;
			break;
		}
		if (WIFSIGNALED(status))
			log_warnx("queue event=acceptor-killed pid=%ld "
			    "signal=%d", (long)pid, WTERMSIG(status));
	}
}
