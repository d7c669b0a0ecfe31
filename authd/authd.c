/*
 * authd: start-up, the poll(2) loop, and the scheduling of requests
 * (throttle check, held and ready queues, answers and their log lines).
 *
 * Start-up order: parse the configuration, resolve names, open the
 * socket, drop privileges (keeping the groups the backends need), pledge,
 * start the workers, loop.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "authd.h"
#include "compat.h"
#include "daemon.h"
#include "log.h"
#include "privdrop.h"
#include "sock.h"
#include "xmalloc.h"

#define AUTHD_EXPIRE_MS	10000	/* throttle table sweep interval */

enum poll_kind {
	POLL_LISTEN,
	POLL_WORKER,
	POLL_CLIENT
};

struct poll_set {
	struct pollfd	*fds;
	enum poll_kind	*kind;
	void		**ptr;
	size_t		 n;
	size_t		 cap;
};

static volatile sig_atomic_t	got_term, got_hup;
/* Caught by the loop; SIGHUP reloads the backends in the workers. */
static const int	loop_signals[] = { SIGTERM, SIGINT, SIGHUP };

static void	signal_handler(int);
static void	startup(struct authd *, int);
static void	shutdown_all(struct authd *);
static void	loop(struct authd *);
static void	poll_build(struct authd *, struct poll_set *);
static void	poll_add(struct poll_set *, int, short, enum poll_kind,
		    void *);
static void	poll_handle(struct authd *, struct poll_set *);
static int	poll_timeout(struct authd *, long long);
static void	release_held(struct authd *, long long);
static void	hold(struct authd *, struct job *);
static void	throttle_keys(const struct authproto_msg *, char *, char *,
		    size_t);
static void	log_answer(struct job *, struct authproto_msg *, long long);

static void
signal_handler(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

int
main(int argc, char *argv[])
{
	struct authd_conf	 conf;
	struct authd		 d;
	struct daemon_opts	 o;

	daemon_options(argc, argv, "authd", AUTHD_CONF, &o);
	if (authd_conf_load(&conf, o.conf) == -1 ||
	    authd_conf_resolve(&conf) == -1) {
		authd_conf_free(&conf);
		return EX_CONFIG;
	}
	if (o.check) {
		if (o.verbose)
			authd_conf_print(&conf, stdout);
		fprintf(stderr, "configuration OK\n");
		authd_conf_free(&conf);
		return EX_OK;
	}
	memset(&d, 0, sizeof(d));
	d.conf = &conf;
	startup(&d, o.debug);
	loop(&d);
	shutdown_all(&d);
	authd_conf_free(&conf);
	return EX_OK;
}

static void
startup(struct authd *d, int debug)
{
	struct authd_conf	*c = d->conf;
	struct throttle_conf	 tc;
	const char		*groups[AUTHD_GROUPS_MAX];
	char			 promises[AUTHD_PROMISES_MAX];

	TAILQ_INIT(&d->clients);
	TAILQ_INIT(&d->dead);
	TAILQ_INIT(&d->ready);
	TAILQ_INIT(&d->held);
	if ((d->listen_fd = sock_listen_unix(c->socket_path, c->socket_mode,
	    c->socket_gid, AUTHD_BACKLOG)) == -1)
		fatal("listen on %s", c->socket_path);
	if (sock_nonblock(d->listen_fd, 1) == -1)
		fatal("socket");
	if (!debug && daemon(0, 0) == -1)
		fatal("daemon");
	backend_chain_groups(&c->chain, groups, nitems(groups));
	if (privdrop(c->user, NULL, groups) == -1)
		fatalx("privilege drop to %s failed", c->user);
	/* The socket is unlinked at exit; the workers inherit the rest. */
	if (unveil(c->socket_path, "c") == -1 ||
	    backend_chain_unveil(&c->chain) == -1 || unveil(NULL, NULL) == -1)
		fatal("unveil");
	backend_chain_promises(&c->chain, promises, sizeof(promises));
	if (strlcat(promises, " stdio rpath cpath unix proc",
	    sizeof(promises)) >= sizeof(promises) ||
	    pledge(promises, NULL) == -1)
		fatal("pledge");
	tc.after = c->throttle_after;
	tc.base_ms = c->throttle_base * 1000;
	tc.max_ms = c->throttle_max * 1000;
	tc.expire_ms = c->throttle_expire * 1000;
	tc.entries = c->throttle_entries;
	d->throttle = throttle_new(&tc);
	d->workers = xcalloc(c->workers, sizeof(*d->workers));
	worker_start_all(d);
	log_info("event=start socket=%s uid=%u workers=%lld backends=%zu",
	    c->socket_path, (unsigned)geteuid(), c->workers, c->chain.n);
}

static void
shutdown_all(struct authd *d)
{
	struct client	*c;
	struct job	*j;

	log_info("event=stop");
	while ((c = TAILQ_FIRST(&d->clients)) != NULL)
		client_close(d, c);
	while ((c = TAILQ_FIRST(&d->dead)) != NULL) {
		TAILQ_REMOVE(&d->dead, c, entry);
		free(c);
	}
	worker_stop_all(d);
	while ((j = TAILQ_FIRST(&d->ready)) != NULL) {
		TAILQ_REMOVE(&d->ready, j, entry);
		authproto_clear(&j->req);
		free(j);
	}
	close(d->listen_fd);
	if (unlink(d->conf->socket_path) == -1)
		log_debug("event=stop unlink=%s error=\"%s\"",
		    d->conf->socket_path, strerror(errno));
	throttle_free(d->throttle);
	free(d->workers);
}

static void
loop(struct authd *d)
{
	struct poll_set	 ps;
	struct client	*c;
	struct timespec	 ts;
	sigset_t	 pollmask;
	long long	 now, next_expire = 0;
	int		 timeout;

	memset(&ps, 0, sizeof(ps));
	daemon_signals(loop_signals, nitems(loop_signals), signal_handler,
	    &pollmask);
	while (!got_term) {
		if (got_hup) {
			got_hup = 0;
			log_info("event=reload");
			worker_hup_all(d);
		}
		now = daemon_now_ms();
		release_held(d, now);
		worker_dispatch(d);
		poll_build(d, &ps);
		timeout = poll_timeout(d, now);
		ts.tv_sec = timeout / 1000;
		ts.tv_nsec = (timeout % 1000) * 1000000L;
		if (ppoll(ps.fds, ps.n, &ts, &pollmask) == -1) {
			if (errno != EINTR)
				fatal("ppoll");
			continue;
		}
		poll_handle(d, &ps);
		now = daemon_now_ms();
		client_timeouts(d, now);
		worker_timeouts(d, now);
		if (now >= next_expire) {
			throttle_expire(d->throttle, now);
			next_expire = now + AUTHD_EXPIRE_MS;
		}
		while ((c = TAILQ_FIRST(&d->dead)) != NULL) {
			TAILQ_REMOVE(&d->dead, c, entry);
			free(c);
		}
	}
	free(ps.fds);
	free(ps.kind);
	free(ps.ptr);
}

static void
poll_add(struct poll_set *ps, int fd, short events, enum poll_kind kind,
    void *ptr)
{
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 64;
		ps->fds = xreallocarray(ps->fds, ps->cap, sizeof(*ps->fds));
		ps->kind = xreallocarray(ps->kind, ps->cap, sizeof(*ps->kind));
		ps->ptr = xreallocarray(ps->ptr, ps->cap, sizeof(*ps->ptr));
	}
	ps->fds[ps->n].fd = fd;
	ps->fds[ps->n].events = events;
	ps->fds[ps->n].revents = 0;
	ps->kind[ps->n] = kind;
	ps->ptr[ps->n] = ptr;
	ps->n++;
}

static void
poll_build(struct authd *d, struct poll_set *ps)
{
	struct client	*c;
	long long	 i;
	short		 ev;

	ps->n = 0;
	for (i = 0; i < d->conf->workers; i++)
		if (d->workers[i].pid != -1)
			poll_add(ps, d->workers[i].fd, POLLIN, POLL_WORKER,
			    &d->workers[i]);
	TAILQ_FOREACH(c, &d->clients, entry) {
		if (c->outoff < c->outlen)
			ev = POLLOUT;
		else if ((c->job == NULL && c->state == CLIENT_OPEN) ||
		    c->state == CLIENT_LINGER)
			ev = POLLIN;
		else
			ev = 0;
		poll_add(ps, c->fd, ev, POLL_CLIENT, c);
	}
	/* Last: closed connections leave before new ones count. */
	poll_add(ps, d->listen_fd, POLLIN, POLL_LISTEN, NULL);
}

static void
poll_handle(struct authd *d, struct poll_set *ps)
{
	struct client	*c;
	struct worker	*w;
	size_t		 i;
	short		 re;

	for (i = 0; i < ps->n; i++) {
		if ((re = ps->fds[i].revents) == 0)
			continue;
		switch (ps->kind[i]) {
		case POLL_LISTEN:
			client_accept(d);
			break;
		case POLL_WORKER:
			w = ps->ptr[i];
			if (w->pid != -1 && w->fd == ps->fds[i].fd)
				worker_read(d, w);
			break;
		case POLL_CLIENT:
			c = ps->ptr[i];
			if (c->fd == -1)
				break;		/* closed during this turn */
			if (re & POLLOUT)
				client_write(d, c);
			else if (re & POLLIN)
				client_read(d, c);
			else if (re & (POLLHUP | POLLERR | POLLNVAL))
				client_close(d, c);
			break;
		}
	}
}

/* Until the next held release, client time-out or worker event. */
static int
poll_timeout(struct authd *d, long long now)
{
	struct job	*j;
	long long	 next = now + AUTHD_EXPIRE_MS, t;

	if ((j = TAILQ_FIRST(&d->held)) != NULL && j->release < next)
		next = j->release;
	if ((t = client_next_timeout(d)) != -1 && t < next)
		next = t;
	if ((t = worker_next_timeout(d)) != -1 && t < next)
		next = t;
	return next <= now ? 0 : (int)(next - now);
}

static void
release_held(struct authd *d, long long now)
{
	struct job	*j;

	while ((j = TAILQ_FIRST(&d->held)) != NULL && j->release <= now) {
		TAILQ_REMOVE(&d->held, j, entry);
		j->state = JOB_READY;
		TAILQ_INSERT_TAIL(&d->ready, j, entry);
	}
}

/* Into the held queue, which stays sorted by release time. */
static void
hold(struct authd *d, struct job *j)
{
	struct job	*k;

	j->state = JOB_HELD;
	TAILQ_FOREACH_REVERSE(k, &d->held, jobq, entry)
		if (k->release <= j->release)
			break;
	if (k == NULL)
		TAILQ_INSERT_HEAD(&d->held, j, entry);
	else
		TAILQ_INSERT_AFTER(&d->held, k, j, entry);
}

static void
throttle_keys(const struct authproto_msg *m, char *ukey, char *akey,
    size_t len)
{
	snprintf(ukey, len, "user:%s", m->user);
	if (m->addr[0] != '\0')
		snprintf(akey, len, "addr:%s", m->addr);
	else
		akey[0] = '\0';
}

/* A whole request from a client: throttled or queued for a worker. */
void
authd_request(struct authd *d, struct client *c, struct authproto_msg *m)
{
	char		 ukey[THROTTLE_KEY_MAX], akey[THROTTLE_KEY_MAX];
	char		 user[LOG_VIS_MAX], addr[LOG_VIS_MAX];
	struct job	*j;
	long long	 now = daemon_now_ms(), u, a;

	j = xcalloc(1, sizeof(*j));
	j->client = c;
	j->req = *m;
	j->arrived = now;
	c->job = j;
	u = a = 0;
	if (m->type == AUTHPROTO_AUTH) {
		throttle_keys(m, ukey, akey, sizeof(ukey));
		u = throttle_until(d->throttle, ukey, now);
		a = akey[0] ? throttle_until(d->throttle, akey, now) : 0;
	}
	if (u > now || a > now) {
		j->release = u > a ? u : a;
		log_info("client=%llu event=throttle user=%s addr=%s key=%s "
		    "delay_ms=%lld", c->id,
		    log_vis(user, sizeof(user), m->user, strlen(m->user)),
		    log_vis(addr, sizeof(addr), m->addr, strlen(m->addr)),
		    u >= a ? "user" : "addr", j->release - now);
		hold(d, j);
	} else {
		j->state = JOB_READY;
		TAILQ_INSERT_TAIL(&d->ready, j, entry);
	}
	worker_dispatch(d);
}

static void
log_answer(struct job *j, struct authproto_msg *ans, long long failures)
{
	const struct authproto_msg	*m = &j->req;
	char				 user[LOG_VIS_MAX], addr[LOG_VIS_MAX];
	char				 svc[LOG_VIS_MAX];
	const char			*res;
	unsigned long long		 id = j->client ? j->client->id : 0;

	res = ans->type == AUTHPROTO_OK ? "ok" :
	    ans->type == AUTHPROTO_FAIL ? "fail" : "tempfail";
	log_vis(user, sizeof(user), m->user, strlen(m->user));
	if (m->type == AUTHPROTO_LOOKUP) {
		log_debug("client=%llu event=lookup user=%s result=%s ms=%lld",
		    id, user, res, daemon_now_ms() - j->arrived);
		return;
	}
	log_info("client=%llu event=auth service=%s user=%s addr=%s "
	    "result=%s failures=%lld ms=%lld", id,
	    log_vis(svc, sizeof(svc), m->service, strlen(m->service)), user,
	    log_vis(addr, sizeof(addr), m->addr, strlen(m->addr)), res,
	    failures, daemon_now_ms() - j->arrived);
}

/* A worker's answer (or a tempfail for a dead worker) to job. */
void
authd_answer(struct authd *d, struct job *j, struct authproto_msg *ans)
{
	char		 ukey[THROTTLE_KEY_MAX], akey[THROTTLE_KEY_MAX];
	long long	 now = daemon_now_ms(), failures = 0, n;

	if (j->req.type == AUTHPROTO_AUTH) {
		throttle_keys(&j->req, ukey, akey, sizeof(ukey));
		if (ans->type == AUTHPROTO_OK)
			throttle_clear(d->throttle, ukey);
		else if (ans->type == AUTHPROTO_FAIL) {
			failures = throttle_fail(d->throttle, ukey, now);
			if (akey[0] != '\0' && (n = throttle_fail(d->throttle,
			    akey, now)) > failures)
				failures = n;
		}
	}
	log_answer(j, ans, failures);
	if (j->client != NULL) {
		j->client->job = NULL;
		j->client->last = now;
		client_send(d, j->client, ans);
	}
	authproto_clear(&j->req);
	free(j);
}
