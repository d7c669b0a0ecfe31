/*
 * authd's workers: pre-forked processes that make the backend calls, one
 * request at a time.  Main and worker talk over a SOCK_SEQPACKET
 * socketpair in authd's own frames (one frame, one packet): a request
 * goes down, an OK, FAIL or TEMPFAIL comes back.  A worker that dies,
 * answers nonsense or overruns worker_timeout is replaced, and its
 * request is answered TEMPFAIL.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authd.h"
#include "compat.h"
#include "daemon.h"
#include "log.h"
#include "sock.h"
#include "xmalloc.h"

#define WORKER_STOP_MS		2000	/* grace at shutdown before SIGKILL */
#define WORKER_STOP_POLL_MS	10

static volatile sig_atomic_t	worker_got_hup;

static void	worker_spawn(struct authd *, struct worker *);
static void	worker_child_setup(struct authd *, int);
static __dead void worker_main(struct authd *, int);
static int	worker_handle(struct backend_chain *, const uint8_t *, size_t,
		    uint8_t *, size_t);
static void	worker_answer(struct backend_chain *, struct authproto_msg *,
		    struct authproto_msg *);
static void	worker_died(struct authd *, struct worker *, const char *);
static void	worker_hup(int);
static void	worker_reap(struct worker *, const char *);

void
worker_start_all(struct authd *d)
{
	long long	i;

	for (i = 0; i < d->conf->workers; i++) {
		d->workers[i].pid = -1;
		d->workers[i].fd = -1;
		worker_spawn(d, &d->workers[i]);
	}
}

static void
worker_spawn(struct authd *d, struct worker *w)
{
	int	sv[2];
	pid_t	pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("event=worker error=socketpair");
		w->respawn = daemon_now_ms() + AUTHD_RESPAWN_MS;
		return;
	}
	if ((pid = fork()) == -1) {
		log_warn("event=worker error=fork");
		close(sv[0]);
		close(sv[1]);
		w->respawn = daemon_now_ms() + AUTHD_RESPAWN_MS;
		return;
	}
	if (pid == 0) {
		close(sv[0]);
		worker_child_setup(d, sv[1]);
		worker_main(d, sv[1]);
	}
	close(sv[1]);
	if (sock_nonblock(sv[0], 1) == -1)
		log_warn("event=worker error=nonblock");
	w->pid = pid;
	w->fd = sv[0];
	w->job = NULL;
	w->spawned = daemon_now_ms();
	log_debug("event=worker pid=%ld status=started", (long)pid);
}

/* The child keeps none of main's descriptors, signals or queues. */
static void
worker_child_setup(struct authd *d, int fd)
{
	struct client		*c;
	struct sigaction	 sa;
	sigset_t		 none;
	char			 promises[AUTHD_PROMISES_MAX];
	long long		 i;

	close(d->listen_fd);
	TAILQ_FOREACH(c, &d->clients, entry)
		close(c->fd);
	for (i = 0; i < d->conf->workers; i++)
		if (d->workers[i].pid != -1 && d->workers[i].fd != fd)
			close(d->workers[i].fd);
	log_procname("authd-worker");
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = worker_hup;
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	backend_chain_promises(&d->conf->chain, promises, sizeof(promises));
	if (strlcat(promises, " stdio rpath", sizeof(promises)) >=
	    sizeof(promises) || pledge(promises, NULL) == -1)
		fatal("pledge");
}

static void
worker_hup(int sig)
{
	worker_got_hup = 1;
}

static __dead void
worker_main(struct authd *d, int fd)
{
	uint8_t		in[AUTHPROTO_BUF_MAX], out[AUTHPROTO_BUF_MAX];
	ssize_t		n;
	int		len;

	for (;;) {
		n = recv(fd, in, sizeof(in), 0);
		if (worker_got_hup) {
			worker_got_hup = 0;
			backend_chain_reopen(&d->conf->chain);
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len = worker_handle(&d->conf->chain, in, n, out, sizeof(out));
		explicit_bzero(in, sizeof(in));
		if (len == -1 || send(fd, out, len, MSG_NOSIGNAL) != len)
			break;
	}
	explicit_bzero(in, sizeof(in));
	close(fd);
	exit(0);
}

/* One request packet to one answer frame; -1 on a malformed packet. */
static int
worker_handle(struct backend_chain *chain, const uint8_t *in, size_t n,
    uint8_t *out, size_t outsize)
{
	struct authproto_msg	 req, ans;
	enum authproto_type	 type;
	const char		*why;
	int			 len;

	if (n < AUTHPROTO_HDR_LEN ||
	    (len = authproto_header(in, &type, &why)) == -1 ||
	    (size_t)len != n - AUTHPROTO_HDR_LEN ||
	    (type != AUTHPROTO_AUTH && type != AUTHPROTO_LOOKUP) ||
	    authproto_decode(type, in + AUTHPROTO_HDR_LEN, len, &req,
	    &why) == -1) {
		log_warnx("event=worker error=\"malformed request from main\"");
		return -1;
	}
	worker_answer(chain, &req, &ans);
	len = authproto_encode(&ans, out, outsize);
	authproto_clear(&req);
	authproto_clear(&ans);
	return len;
}

static void
worker_answer(struct backend_chain *chain, struct authproto_msg *req,
    struct authproto_msg *ans)
{
	enum backend_result	r;

	memset(ans, 0, sizeof(*ans));
	if (req->type == AUTHPROTO_LOOKUP)
		r = backend_chain_lookup(chain, req->user, &ans->rec);
	else if (req->password[0] == '\0')
		r = BACKEND_FAIL;	/* an empty password never fits */
	else
		r = backend_chain_auth(chain, req->service, req->user,
		    req->password, &ans->rec);
	switch (r) {
	case BACKEND_OK:
		ans->type = AUTHPROTO_OK;
		break;
	case BACKEND_FAIL:
		ans->type = AUTHPROTO_FAIL;
		strlcpy(ans->reason, req->type == AUTHPROTO_LOOKUP ?
		    "no such user" : "wrong user or password",
		    sizeof(ans->reason));
		break;
	case BACKEND_TEMPFAIL:
		ans->type = AUTHPROTO_TEMPFAIL;
		strlcpy(ans->reason, "backend unavailable",
		    sizeof(ans->reason));
		break;
	}
}

/* Hands ready jobs to idle workers; restarts dead workers when due. */
void
worker_dispatch(struct authd *d)
{
	uint8_t		 buf[AUTHPROTO_BUF_MAX];
	struct worker	*w;
	struct job	*j;
	long long	 i, now = daemon_now_ms();
	int		 len;

	for (i = 0; i < d->conf->workers; i++) {
		w = &d->workers[i];
		if (w->pid == -1 && now >= w->respawn)
			worker_spawn(d, w);
		if (w->pid == -1 || w->job != NULL ||
		    (j = TAILQ_FIRST(&d->ready)) == NULL)
			continue;
		TAILQ_REMOVE(&d->ready, j, entry);
		j->state = JOB_WORKER;
		w->job = j;
		w->started = now;
		len = authproto_encode(&j->req, buf, sizeof(buf));
		if (len == -1 || send(w->fd, buf, len, MSG_NOSIGNAL) != len)
			worker_died(d, w, "send failed");
		explicit_bzero(buf, sizeof(buf));
	}
}

/* An answer from a worker. */
void
worker_read(struct authd *d, struct worker *w)
{
	uint8_t			 buf[AUTHPROTO_BUF_MAX];
	struct authproto_msg	 ans;
	struct job		*j;
	enum authproto_type	 type;
	const char		*why = "bad answer";
	ssize_t			 n;
	int			 len;

	if ((n = recv(w->fd, buf, sizeof(buf), 0)) == -1 &&
	    (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		worker_died(d, w, "exited");
		return;
	}
	if (w->job == NULL || (size_t)n < AUTHPROTO_HDR_LEN ||
	    (len = authproto_header(buf, &type, &why)) == -1 ||
	    (size_t)len != (size_t)n - AUTHPROTO_HDR_LEN ||
	    (type != AUTHPROTO_OK && type != AUTHPROTO_FAIL &&
	    type != AUTHPROTO_TEMPFAIL) ||
	    authproto_decode(type, buf + AUTHPROTO_HDR_LEN, len, &ans,
	    &why) == -1) {
		log_warnx("event=worker pid=%ld error=\"%s\"", (long)w->pid,
		    why);
		worker_died(d, w, "malformed answer");
		return;
	}
	j = w->job;
	w->job = NULL;
	authd_answer(d, j, &ans);
	authproto_clear(&ans);
}

static void
worker_reap(struct worker *w, const char *why)
{
	int	status;

	while (waitpid(w->pid, &status, 0) == -1 && errno == EINTR)
		;
	if (WIFSIGNALED(status))
		log_warnx("event=worker pid=%ld status=killed signal=%d "
		    "reason=\"%s\"", (long)w->pid, WTERMSIG(status), why);
	else
		log_warnx("event=worker pid=%ld status=exited code=%d "
		    "reason=\"%s\"", (long)w->pid, WEXITSTATUS(status), why);
}

/* Ends a worker, answers its job TEMPFAIL, schedules its restart. */
static void
worker_died(struct authd *d, struct worker *w, const char *why)
{
	struct authproto_msg	 ans;
	struct job		*j;
	long long		 now = daemon_now_ms();

	kill(w->pid, SIGKILL);
	close(w->fd);
	worker_reap(w, why);
	w->pid = -1;
	w->fd = -1;
	w->respawn = now - w->spawned < AUTHD_RESPAWN_MS ?
	    w->spawned + AUTHD_RESPAWN_MS : now;
	if ((j = w->job) != NULL) {
		w->job = NULL;
		memset(&ans, 0, sizeof(ans));
		ans.type = AUTHPROTO_TEMPFAIL;
		strlcpy(ans.reason, "worker failed", sizeof(ans.reason));
		authd_answer(d, j, &ans);
	}
}

void
worker_timeouts(struct authd *d, long long now)
{
	struct worker	*w;
	long long	 i;

	for (i = 0; i < d->conf->workers; i++) {
		w = &d->workers[i];
		if (w->pid != -1 && w->job != NULL &&
		    now - w->started >= d->conf->worker_timeout * 1000) {
			log_warnx("event=worker_timeout pid=%ld", (long)w->pid);
			worker_died(d, w, "worker_timeout");
		}
	}
}

long long
worker_next_timeout(struct authd *d)
{
	struct worker	*w;
	long long	 i, t, next = -1;

	for (i = 0; i < d->conf->workers; i++) {
		w = &d->workers[i];
		if (w->pid == -1)
			t = w->respawn;
		else if (w->job != NULL)
			t = w->started + d->conf->worker_timeout * 1000;
		else
			continue;
		if (next == -1 || t < next)
			next = t;
	}
	return next;
}

void
worker_hup_all(struct authd *d)
{
	long long	i;

	for (i = 0; i < d->conf->workers; i++)
		if (d->workers[i].pid != -1)
			kill(d->workers[i].pid, SIGHUP);
}

/* Closing its socket ends a worker; SIGKILL after a grace period. */
void
worker_stop_all(struct authd *d)
{
	struct worker	*w;
	long long	 i, deadline = daemon_now_ms() + WORKER_STOP_MS;
	int		 status, left;

	for (i = 0; i < d->conf->workers; i++)
		if (d->workers[i].pid != -1)
			close(d->workers[i].fd);
	do {
		left = 0;
		for (i = 0; i < d->conf->workers; i++) {
			w = &d->workers[i];
			if (w->pid == -1)
				continue;
			if (waitpid(w->pid, &status, WNOHANG) == w->pid) {
				w->pid = -1;
				if (w->job != NULL) {
					authproto_clear(&w->job->req);
					free(w->job);
					w->job = NULL;
				}
			} else {
				if (daemon_now_ms() >= deadline)
					kill(w->pid, SIGKILL);
				left++;
			}
		}
		if (left > 0)
			usleep(WORKER_STOP_POLL_MS * 1000);
	} while (left > 0);
}
