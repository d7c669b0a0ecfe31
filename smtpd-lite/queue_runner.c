/*
 * The runner, in mailqueue's main process: every queued message is held
 * in memory with its envelope, on one of three lists:
 *
 *	ready	has a recipient due now; dispatched in arrival order
 *	active	every due recipient is being delivered; waits for results
 *	wait	nothing due; the earliest next attempt wakes the list
 *
 * Local recipients go to the spawner (at most delivery_concurrency at
 * once); others stay pending with "no remote transport yet".  Results
 * are written to the envelope (write-new + rename) once the message has
 * nothing in flight; a message whose every recipient is done or failed
 * is removed, envelope first.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "domains.h"
#include "log.h"
#include "mailqueue.h"
#include "sock.h"
#include "spawner.h"
#include "xmalloc.h"

#define RUNNER_REMOTE_REASON	"no remote transport yet"
#define RUNNER_HASH_SIZE	16384	/* buckets of the known-id set */

enum qmsg_list {
	LIST_READY,
	LIST_ACTIVE,
	LIST_WAIT
};

struct qmsg {
	TAILQ_ENTRY(qmsg)	 entry;
	enum qmsg_list		 list;
	struct envelope		 env;
	int			 inflight;
	int			 dirty;
};
TAILQ_HEAD(qmsgq, qmsg);

/* Every id loaded (or refused as a bad envelope): no message twice. */
struct idnode {
	struct idnode		*next;
	char			 id[QUEUE_ID_MAX + 1];
};

struct delivery {
	uint64_t		 id;	/* 0: free slot */
	struct qmsg		*m;
	size_t			 rcpt;
};

struct runner {
	struct mailqueue_conf	*conf;
	int			 spawner;
	struct qmsgq		 ready, active, wait;
	long long		 wait_next;	/* LLONG_MAX: nothing waits */
	struct delivery		*slots;
	size_t			 nslots;
	size_t			 busy;
	uint64_t		 last_delivery;
	int			 blocked;	/* spawner socket full */
	struct idnode		**known;
};

static struct idnode **id_slot(struct runner *, const char *);
static int	id_known(struct runner *, const char *);
static void	id_add(struct runner *, const char *);
static void	id_del(struct runner *, const char *);
static void	list_put(struct runner *, struct qmsg *, enum qmsg_list);
static size_t	scan_env(struct runner *);
static void	list_take(struct runner *, struct qmsg *);
static long long msg_next(const struct qmsg *);
static int	rcpt_is_local(struct runner *, const char *);
static long long backoff(struct runner *, long long tries);
static int	dispatch(struct runner *, struct qmsg *, long long);
static int	deliver(struct runner *, struct qmsg *, size_t);
static void	defer(struct runner *, struct qmsg *, size_t, long long,
		    const char *);
static void	settle(struct runner *, struct qmsg *, long long);
static void	msg_remove(struct runner *, struct qmsg *);
static void	wake_due(struct runner *, long long);
static void	result(struct runner *, const struct spawn_result *);
static void	log_delivery(struct qmsg *, size_t, const char *, int,
		    const char *);

struct runner *
runner_new(struct mailqueue_conf *conf, int spawner_fd)
{
	struct runner	*r;

	r = xcalloc(1, sizeof(*r));
	r->conf = conf;
	r->spawner = spawner_fd;
	TAILQ_INIT(&r->ready);
	TAILQ_INIT(&r->active);
	TAILQ_INIT(&r->wait);
	r->wait_next = LLONG_MAX;
	r->nslots = conf->delivery_concurrency;
	r->slots = xcalloc(r->nslots, sizeof(*r->slots));
	r->known = xcalloc(RUNNER_HASH_SIZE, sizeof(*r->known));
	if (sock_nonblock(spawner_fd, 1) == -1)
		fatal("spawner socket");
	return r;
}

int
runner_spawner_fd(struct runner *r)
{
	return r->spawner;
}

/* POLLOUT is wanted on the spawner's socket until it drains. */
int
runner_blocked(struct runner *r)
{
	return r->blocked;
}

void
runner_unblock(struct runner *r)
{
	r->blocked = 0;
}

/* The link that points at id's node, or at the NULL ending its chain. */
static struct idnode **
id_slot(struct runner *r, const char *id)
{
	struct idnode	**np;
	uint32_t	  h = 2166136261U;
	const char	 *p;

	for (p = id; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619U;
	for (np = &r->known[h % RUNNER_HASH_SIZE]; *np != NULL;
	    np = &(*np)->next)
		if (strcmp((*np)->id, id) == 0)
			break;
	return np;
}

static int
id_known(struct runner *r, const char *id)
{
	return *id_slot(r, id) != NULL;
}

static void
id_add(struct runner *r, const char *id)
{
	struct idnode	**np = id_slot(r, id);

	if (*np != NULL)
		return;
	*np = xcalloc(1, sizeof(**np));
	strlcpy((*np)->id, id, sizeof((*np)->id));
}

static void
id_del(struct runner *r, const char *id)
{
	struct idnode	**np = id_slot(r, id), *n;

	if ((n = *np) == NULL)
		return;
	*np = n->next;
	free(n);
}

static struct qmsgq *
list_head(struct runner *r, enum qmsg_list l)
{
	return l == LIST_READY ? &r->ready : l == LIST_ACTIVE ? &r->active :
	    &r->wait;
}

static void
list_put(struct runner *r, struct qmsg *m, enum qmsg_list l)
{
	long long	next;

	m->list = l;
	TAILQ_INSERT_TAIL(list_head(r, l), m, entry);
	if (l == LIST_WAIT && (next = msg_next(m)) < r->wait_next)
		r->wait_next = next;
}

static void
list_take(struct runner *r, struct qmsg *m)
{
	TAILQ_REMOVE(list_head(r, m->list), m, entry);
}

/* The earliest attempt due among recipients not in flight. */
static long long
msg_next(const struct qmsg *m)
{
	long long	next = LLONG_MAX;
	size_t		i;

	for (i = 0; i < m->env.nrcpt; i++)
		if (m->env.rcpt[i].state == RCPT_PENDING &&
		    !m->env.rcpt[i].inflight && m->env.rcpt[i].next < next)
			next = m->env.rcpt[i].next;
	return next;
}

/* No domain, or a domain of local_domains. */
static int
rcpt_is_local(struct runner *r, const char *rcpt)
{
	const char	*at = strrchr(rcpt, '@');

	return at == NULL || domains_match(r->conf->domains, at + 1);
}

/* retry_min doubled for each further try, at most retry_max. */
static long long
backoff(struct runner *r, long long tries)
{
	long long	d = r->conf->retry_min;

	while (--tries > 0 && d < r->conf->retry_max)
		d *= 2;
	return d < r->conf->retry_max ? d : r->conf->retry_max;
}

void
runner_add(struct runner *r, const char *id)
{
	struct qmsg	*m;
	char		 path[QUEUE_PATH_MAX], why[128];

	if (!env_valid_id(id)) {
		log_warnx("queue event=notify-bad-id");
		return;
	}
	if (id_known(r, id))
		return;
	m = xcalloc(1, sizeof(*m));
	queue_path(path, sizeof(path), QUEUE_DIR_ENV, id, "");
	if (env_read(path, &m->env, r->conf->max_recipients, why,
	    sizeof(why)) == 0 && strcmp(m->env.id, id) != 0) {
		env_free(&m->env);
		strlcpy(why, "id does not match the file name", sizeof(why));
		m->env.nrcpt = 0;
	}
	if (m->env.nrcpt == 0) {
		log_warnx("queue id=%s event=bad-envelope reason=\"%s\"", id,
		    why);
		id_add(r, id);		/* logged once */
		free(m);
		return;
	}
	queue_path(path, sizeof(path), QUEUE_DIR_MSG, id, "");
	if (access(path, F_OK) == -1) {
		log_warn("queue id=%s event=no-body", id);
		queue_path(path, sizeof(path), QUEUE_DIR_ENV, id, "");
		(void)unlink(path);
		env_free(&m->env);
		free(m);
		return;
	}
	id_add(r, id);
	list_put(r, m, LIST_READY);
}

/* Envelopes not known yet: all at start-up; later, a safety net. */
static size_t
scan_env(struct runner *r)
{
	struct dirent	*de;
	DIR		*d;
	size_t		 n = 0;

	if ((d = opendir(QUEUE_DIR_ENV)) == NULL) {
		log_warn("queue event=scan");
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (!env_valid_id(de->d_name) || id_known(r, de->d_name))
			continue;
		runner_add(r, de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

void
runner_load_all(struct runner *r)
{
	log_info("queue event=load messages=%zu", scan_env(r));
}

/*
 * An acceptor of an earlier instance that outlived it (a crash of the
 * main process alone) may commit after this one has started; its notice
 * went nowhere.  The periodic scan finds such messages.
 */
void
runner_rescan(struct runner *r)
{
	size_t	n;

	if ((n = scan_env(r)) > 0)
		log_info("queue event=rescan found=%zu", n);
}

/* Moves waiting messages that are due to the ready list. */
static void
wake_due(struct runner *r, long long now)
{
	struct qmsg	*m, *tmp;
	long long	 next;

	r->wait_next = LLONG_MAX;
	TAILQ_FOREACH_SAFE(m, &r->wait, entry, tmp) {
		next = msg_next(m);
		if (next <= now) {
			list_take(r, m);
			list_put(r, m, LIST_READY);
		} else if (next < r->wait_next)
			r->wait_next = next;
	}
}

void
runner_run(struct runner *r)
{
	struct qmsg	*m;
	long long	 now = time(NULL);

	if (now >= r->wait_next)
		wake_due(r, now);
	while ((m = TAILQ_FIRST(&r->ready)) != NULL) {
		if (dispatch(r, m, now) == -1)
			break;		/* every slot busy */
		list_take(r, m);
		settle(r, m, now);
	}
}

/* Starts every due recipient; -1 when out of delivery slots. */
static int
dispatch(struct runner *r, struct qmsg *m, long long now)
{
	struct env_rcpt	*rc;
	size_t		 i;
	int		 n;

	for (i = 0; i < m->env.nrcpt; i++) {
		rc = &m->env.rcpt[i];
		if (rc->state != RCPT_PENDING || rc->inflight || rc->next > now)
			continue;
		if (!rcpt_is_local(r, rc->addr)) {
			defer(r, m, i, now, RUNNER_REMOTE_REASON);
			log_delivery(m, i, "deferred", 0, rc->error);
			continue;
		}
		if (r->busy == r->nslots || r->blocked)
			return -1;
		if ((n = deliver(r, m, i)) == -2)
			return -1;
		if (n == -1) {
			defer(r, m, i, now, "cannot open the queued body");
			log_delivery(m, i, "deferred", 0, rc->error);
		}
	}
	return 0;
}

static void
defer(struct runner *r, struct qmsg *m, size_t i, long long now,
    const char *why)
{
	struct env_rcpt	*rc = &m->env.rcpt[i];

	rc->tries++;
	rc->next = now + backoff(r, rc->tries);
	env_set_error(rc, why);
	m->dirty = 1;
}

/*
 * Hands one recipient to the spawner with the body's descriptor: 0, -1
 * when the body cannot be opened, -2 when the socket is full (nothing
 * changed; the main loop waits for POLLOUT).
 */
static int
deliver(struct runner *r, struct qmsg *m, size_t i)
{
	struct spawn_deliver	 req;
	struct delivery		*d = NULL;
	char			 path[QUEUE_PATH_MAX];
	size_t			 s;
	int			 fd;

	for (s = 0; s < r->nslots && d == NULL; s++)
		if (r->slots[s].id == 0)
			d = &r->slots[s];
	queue_path(path, sizeof(path), QUEUE_DIR_MSG, m->env.id, "");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("queue id=%s event=open-body", m->env.id);
		return -1;
	}
	memset(&req, 0, sizeof(req));
	req.version = SPAWN_VERSION;
	req.type = SPAWN_DELIVER;
	req.delivery = ++r->last_delivery;
	strlcpy(req.id, m->env.id, sizeof(req.id));
	strlcpy(req.rcpt, m->env.rcpt[i].addr, sizeof(req.rcpt));
	strlcpy(req.sender, m->env.sender, sizeof(req.sender));
	if (sock_send_fd(r->spawner, fd, &req, sizeof(req)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
			fatal("queue event=spawner-send");
		/* The spawner is behind: wait until its socket drains. */
		close(fd);
		r->blocked = 1;
		return -2;
	}
	close(fd);
	d->id = req.delivery;
	d->m = m;
	d->rcpt = i;
	r->busy++;
	m->inflight++;
	m->env.rcpt[i].inflight = 1;
	return 0;
}

/* A message with nothing more to start now: removed, or put aside. */
static void
settle(struct runner *r, struct qmsg *m, long long now)
{
	size_t	i;

	if (m->inflight > 0) {
		list_put(r, m, LIST_ACTIVE);
		return;
	}
	for (i = 0; i < m->env.nrcpt; i++)
		if (m->env.rcpt[i].state == RCPT_PENDING)
			break;
	if (i == m->env.nrcpt) {
		msg_remove(r, m);
		return;
	}
	if (m->dirty) {
		if (env_update(&m->env) == -1)
			log_warn("queue id=%s event=envelope-update",
			    m->env.id);
		m->dirty = 0;
	}
	if (msg_next(m) <= now)
		list_put(r, m, LIST_READY);
	else
		list_put(r, m, LIST_WAIT);
}

/* Envelope first: a body without one is garbage that start-up removes. */
static void
msg_remove(struct runner *r, struct qmsg *m)
{
	char	path[QUEUE_PATH_MAX];
	size_t	i;
	int	done = 0, failed = 0;

	for (i = 0; i < m->env.nrcpt; i++) {
		if (m->env.rcpt[i].state == RCPT_DONE)
			done++;
		else
			failed++;
	}
	queue_path(path, sizeof(path), QUEUE_DIR_ENV, m->env.id, "");
	if (spare_put(path, m->env.id, 'e') == -1)
		log_warn("queue id=%s event=unlink path=%s", m->env.id, path);
	queue_path(path, sizeof(path), QUEUE_DIR_MSG, m->env.id, "");
	if (spare_put(path, m->env.id, 'm') == -1)
		log_warn("queue id=%s event=unlink path=%s", m->env.id, path);
	log_info("queue id=%s event=removed delivered=%d failed=%d",
	    m->env.id, done, failed);
	id_del(r, m->env.id);
	env_free(&m->env);
	free(m);
}

static void
log_delivery(struct qmsg *m, size_t i, const char *res, int status,
    const char *reason)
{
	char	to[LOG_VIS_MAX], why[LOG_VIS_MAX];
	size_t	n;

	/* The reason is printable already; only '"' and '\' need care. */
	for (n = 0; reason[n] != '\0' && n < sizeof(why) - 1; n++)
		why[n] = (reason[n] == '"' || reason[n] == '\\') ? '\'' :
		    reason[n];
	why[n] = '\0';
	log_info("queue id=%s event=delivery to=<%s> result=%s status=%d "
	    "reason=\"%s\"", m->env.id, log_vis(to, sizeof(to),
	    m->env.rcpt[i].addr, strlen(m->env.rcpt[i].addr)), res, status,
	    why);
}

static void
result(struct runner *r, const struct spawn_result *res)
{
	struct delivery	*d = NULL;
	struct env_rcpt	*rc;
	struct qmsg	*m;
	size_t		 s;
	long long	 now = time(NULL);

	for (s = 0; s < r->nslots && d == NULL; s++)
		if (r->slots[s].id == res->delivery)
			d = &r->slots[s];
	if (d == NULL || res->delivery == 0)
		fatalx("queue event=spawner-result reason=\"unknown delivery\"");
	m = d->m;
	rc = &m->env.rcpt[d->rcpt];
	d->id = 0;
	r->busy--;
	m->inflight--;
	rc->inflight = 0;
	m->dirty = 1;
	if (res->result == DELIVERY_OK) {
		rc->tries++;
		rc->state = RCPT_DONE;
		env_set_error(rc, "");
		log_delivery(m, d->rcpt, "delivered", res->status, "");
	} else if (res->result == DELIVERY_PERMFAIL) {
		rc->tries++;
		rc->state = RCPT_FAILED;
		env_set_error(rc, res->reason);
		log_delivery(m, d->rcpt, "failed", res->status, rc->error);
	} else {
		defer(r, m, d->rcpt, now, res->reason);
		log_delivery(m, d->rcpt, "deferred", res->status, rc->error);
	}
	if (m->inflight == 0 && m->list == LIST_ACTIVE) {
		list_take(r, m);
		settle(r, m, now);
	}
}

/* Every result the spawner has sent; its death is fatal. */
void
runner_spawner_read(struct runner *r)
{
	struct spawn_result	res;
	ssize_t			n;
	int			fd;

	for (;;) {
		n = sock_recv_fd(r->spawner, &fd, &res, sizeof(res));
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1)
			fatal("queue event=spawner-read");
		if (n == 0)
			fatalx("queue event=spawner-exited");
		if (fd != -1)
			close(fd);
		if ((size_t)n != sizeof(res) || res.version != SPAWN_VERSION ||
		    res.type != SPAWN_RESULT || res.result < DELIVERY_OK ||
		    res.result > DELIVERY_PERMFAIL ||
		    memchr(res.reason, '\0', sizeof(res.reason)) == NULL)
			fatalx("queue event=spawner-read reason=\"malformed "
			    "message\"");
		result(r, &res);
	}
}

/* SIGHUP: every pending recipient is due now. */
void
runner_flush(struct runner *r)
{
	struct qmsg	*m;
	size_t		 i;

	TAILQ_FOREACH(m, &r->wait, entry)
		for (i = 0; i < m->env.nrcpt; i++)
			m->env.rcpt[i].next = 0;
	r->wait_next = 0;
}

long long
runner_timeout(struct runner *r)
{
	long long	now = time(NULL);

	if (!TAILQ_EMPTY(&r->ready) && r->busy < r->nslots && !r->blocked)
		return 0;
	if (r->wait_next == LLONG_MAX)
		return -1;
	if (r->wait_next <= now)
		return 0;
	return (r->wait_next - now) * 1000;
}

void
runner_free(struct runner *r)
{
	struct qmsgq	*heads[] = { &r->ready, &r->active, &r->wait };
	struct qmsg	*m;
	struct idnode	*n;
	size_t		 i;

	for (i = 0; i < nitems(heads); i++) {
		while ((m = TAILQ_FIRST(heads[i])) != NULL) {
			TAILQ_REMOVE(heads[i], m, entry);
			env_free(&m->env);
			free(m);
		}
	}
	for (i = 0; i < RUNNER_HASH_SIZE; i++) {
		while ((n = r->known[i]) != NULL) {
			r->known[i] = n->next;
			free(n);
		}
	}
	free(r->known);
	free(r->slots);
	free(r);
}
