/*
 * The master of a mail access daemon: listeners, limits, one monitor per
 * connection, the slots that count connections, the stop.  See
 * login_master.h.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tls.h>

#include "authclient.h"
#include "compat.h"
#include "daemon.h"
#include "log.h"
#include "login_master.h"
#include "privdrop.h"
#include "sock.h"
#include "xmalloc.h"

#define REAP_STEP_MS	50
#define REAP_STEPS	100	/* 5 s for the processes at stop */

struct listener {
	int				 fd;
	int				 port;
	const struct login_listen_line	*l;
};

/* One connection: its process group and the read end of its slot. */
struct child {
	pid_t	pgid;
	int	slot;
	char	addr[AUTH_ADDR_MAX + 1];
};

struct login_master {
	struct login_master_conf *conf;
	void			(*child_init)(void *);	/* the daemon's */
	struct listener		 ls[LOGIN_MASTER_SOCKS_MAX];
	size_t			 nls;
	struct child		*children;
	size_t			 nchildren;
	struct pollfd		*pfd;		/* listeners, then slots */
};

static volatile sig_atomic_t	got_term, got_chld;
/* Caught by the master's loop; SIGHUP only wakes it. */
static const int	loop_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
static struct login_master	*the_master;	/* for child_init */

static void	signal_handler(int);
static struct tls *master_tls(const struct login_conf_common *);
static struct login_master *master_listen(struct login_master_conf *);
static void	master_loop(struct login_master *);
static int	listen_ai(struct login_master *,
		    const struct login_listen_line *, struct addrinfo *);
static void	child_init(void *);
static void	accept_one(struct login_master *, struct listener *);
static void	refuse(struct login_master *, struct listener *, int,
		    const char *, const char *);
static size_t	count_addr(struct login_master *, const char *);
static void	slots_closed(struct login_master *, struct pollfd *);
static void	reap(void);
static void	reap_all(void);

static void
signal_handler(int sig)
{
	if (sig == SIGCHLD)
		got_chld = 1;
	else if (sig != SIGHUP)
		got_term = 1;
}

static int
listen_ai(struct login_master *m, const struct login_listen_line *l,
    struct addrinfo *ai)
{
	struct listener	*s;
	int		 fd;

	if (m->nls == LOGIN_MASTER_SOCKS_MAX)
		fatalx("listen: too many sockets");
	if ((fd = sock_listen_tcp(ai, LOGIN_MASTER_BACKLOG)) == -1)
		return -1;
	s = &m->ls[m->nls++];
	s->fd = fd;
	s->port = (int)strtonum(l->port, 1, 65535, NULL);
	s->l = l;
	return 0;
}

static struct tls *
master_tls(const struct login_conf_common *cc)
{
	struct tls_config	*cfg;
	struct tls		*tls;

	if ((cfg = tls_config_new()) == NULL)
		fatalx("tls_config_new");
	if (tls_config_set_cert_file(cfg, cc->tls_cert) == -1 ||
	    tls_config_set_key_file(cfg, cc->tls_key) == -1)
		fatalx("tls: %s", tls_config_error(cfg));
	if ((tls = tls_server()) == NULL || tls_configure(tls, cfg) == -1)
		fatalx("tls: %s", tls ? tls_error(tls) : "tls_server");
	tls_config_free(cfg);
	return tls;
}

static struct login_master *
master_listen(struct login_master_conf *c)
{
	const struct login_conf_common	*cc = c->common;
	struct login_master		*m;
	struct addrinfo			 hints, *res, *ai;
	size_t				 i;
	int				 e;

	m = xcalloc(1, sizeof(*m));
	m->conf = c;
	for (i = 0; i < cc->nlisten; i++) {
		const struct login_listen_line *l = &cc->listen[i];

		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
		if ((e = getaddrinfo(strcmp(l->addr, "*") == 0 ? NULL :
		    l->addr, l->port, &hints, &res)) != 0)
			fatalx("listen %s %s: %s", l->addr, l->port,
			    gai_strerror(e));
		for (ai = res; ai != NULL; ai = ai->ai_next)
			if (listen_ai(m, l, ai) == -1)
				fatal("listen %s %s", l->addr, l->port);
		freeaddrinfo(res);
		log_info("event=listen addr=%s port=%s kind=%s", l->addr,
		    l->port, cc->kinds[l->kind]);
	}
	m->children = xcalloc(cc->max_sessions, sizeof(*m->children));
	m->pfd = xcalloc(cc->max_sessions + m->nls, sizeof(*m->pfd));
	if (login_reaper() == -1)
		log_warn("event=reaper");
	c->lc->authd_socket = cc->authd_socket;
	c->lc->authd_timeout_ms = AUTHCLIENT_TIMEOUT;
	c->lc->user = cc->user;
	c->lc->chroot = cc->chroot;
	if (privdrop_prepare(cc->user) == -1)
		fatalx("user %s: no such user", cc->user);
	m->child_init = c->lc->child_init;
	c->lc->child_init = child_init;
	the_master = m;
	return m;
}

void
login_master_run(struct login_master_conf *c, struct tls **tls, int debug)
{
	struct login_master	*m;

	*tls = master_tls(c->common);
	m = master_listen(c);
	if (!debug && daemon(0, 0) == -1)
		fatal("daemon");
	master_loop(m);
	tls_free(*tls);
	*tls = NULL;
}

/* In the monitor: no listener, default signals, no slot of others. */
static void
child_init(void *arg)
{
	struct login_master	*m = the_master;
	size_t			 i;

	for (i = 0; i < m->nls; i++)
		close(m->ls[i].fd);
	daemon_signals_reset(loop_signals, nitems(loop_signals));
	for (i = 0; i < m->nchildren; i++)
		close(m->children[i].slot);
	free(m->children);
	free(m->pfd);
	m->children = NULL;
	m->pfd = NULL;
	if (m->child_init != NULL)
		m->child_init(arg);
}

static void
master_loop(struct login_master *m)
{
	sigset_t	pollmask;
	size_t		i, n;

	daemon_signals(loop_signals, nitems(loop_signals), signal_handler,
	    &pollmask);
	log_info("event=start listeners=%zu uid=%u max_sessions=%lld",
	    m->nls, (unsigned)geteuid(), m->conf->common->max_sessions);
	while (!got_term) {
		for (i = 0; i < m->nls; i++) {
			m->pfd[i].fd = m->ls[i].fd;
			m->pfd[i].events = POLLIN;
		}
		for (i = 0; i < m->nchildren; i++) {
			m->pfd[m->nls + i].fd = m->children[i].slot;
			m->pfd[m->nls + i].events = POLLIN;
		}
		n = m->nls + m->nchildren;
		for (i = 0; i < n; i++)
			m->pfd[i].revents = 0;
		if (ppoll(m->pfd, n, NULL, &pollmask) == -1 && errno != EINTR)
			fatal("ppoll");
		if (got_chld) {
			got_chld = 0;
			reap();
		}
		slots_closed(m, m->pfd + m->nls);
		for (i = 0; i < m->nls && !got_term; i++)
			if (m->pfd[i].revents & POLLIN)
				accept_one(m, &m->ls[i]);
	}
	log_info("event=stop sessions=%zu", m->nchildren);
	for (i = 0; i < m->nchildren; i++) {
		kill(-m->children[i].pgid, SIGTERM);
		close(m->children[i].slot);
	}
	reap_all();
	for (i = 0; i < m->nls; i++)
		close(m->ls[i].fd);
	free(m->children);
	free(m->pfd);
	free(m);
	the_master = NULL;
}

/* At stop: waits a little for what was told to end, so none is left. */
static void
reap_all(void)
{
	struct timespec	ts = { 0, REAP_STEP_MS * 1000000L };
	pid_t		r;
	int		i;

	for (i = 0; i < REAP_STEPS; i++) {
		while ((r = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		if (r == -1 && errno == ECHILD)
			return;
		nanosleep(&ts, NULL);
	}
}

/* Monitors, and on Linux the orphans of the connections. */
static void
reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* A slot at EOF: every process of that connection is gone. */
static void
slots_closed(struct login_master *m, struct pollfd *pfd)
{
	size_t	i, n = m->nchildren;

	for (i = n; i-- > 0; ) {
		if (pfd[i].revents == 0)
			continue;
		close(m->children[i].slot);
		m->children[i] = m->children[--m->nchildren];
	}
}

static size_t
count_addr(struct login_master *m, const char *addr)
{
	size_t	i, n = 0;

	for (i = 0; i < m->nchildren; i++)
		if (strcmp(m->children[i].addr, addr) == 0)
			n++;
	return n;
}

/* Over a limit: a plain client hears why (no parsing), TLS just closes. */
static void
refuse(struct login_master *m, struct listener *l, int fd, const char *addr,
    const char *why)
{
	log_info("event=refused addr=%s reason=%s", addr, why);
	if (l->l->kind == m->conf->plaintext_kind)
		(void)send(fd, m->conf->busy, strlen(m->conf->busy),
		    MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
}

static void
accept_one(struct login_master *m, struct listener *l)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	char			 addr[AUTH_ADDR_MAX + 1];
	pid_t			 pid;
	int			 fd, slot;

	if ((fd = accept4(l->fd, (struct sockaddr *)&ss, &len,
	    SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("event=accept");
		return;
	}
	if (login_addr((struct sockaddr *)&ss, len, addr, sizeof(addr),
	    NULL) == -1)
		strlcpy(addr, "unknown", sizeof(addr));
	if (m->nchildren >= (size_t)m->conf->common->max_sessions) {
		refuse(m, l, fd, addr, "max_sessions");
		return;
	}
	if (count_addr(m, addr) >=
	    (size_t)m->conf->common->max_sessions_per_addr) {
		refuse(m, l, fd, addr, "max_sessions_per_addr");
		return;
	}
	*m->conf->kind = l->l->kind;
	if ((pid = login_spawn(m->conf->lc, fd, (struct sockaddr *)&ss, len,
	    l->port, &slot)) == -1) {
		log_warn("event=fork");
		close(fd);
		return;
	}
	close(fd);
	m->children[m->nchildren].pgid = pid;
	m->children[m->nchildren].slot = slot;
	strlcpy(m->children[m->nchildren].addr, addr,
	    sizeof(m->children[0].addr));
	m->nchildren++;
}
