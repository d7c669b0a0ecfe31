/*
 * pop3sd: start-up and the master's loop.  The master stays root: it
 * binds the listeners, loads the certificate, accepts, enforces the
 * session limits and forks one monitor per connection (lib/login); it
 * never reads a byte from a client.
 *
 * Start-up order: parse the configuration, load the certificate, bind
 * the listeners, detach, loop.
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
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <tls.h>

#include "authclient.h"
#include "compat.h"
#include "daemon.h"
#include "log.h"
#include "login.h"
#include "pop3sd.h"
#include "privdrop.h"
#include "sock.h"
#include "xmalloc.h"

#define POP3SD_SOCKS_MAX	(POP3SD_LISTEN_MAX * 4)
#define POP3SD_REAP_STEP_MS	50
#define POP3SD_REAP_STEPS	100	/* 5 s for the processes at stop */
#define POP3SD_BUSY		"-ERR [SYS/TEMP] too many connections, " \
				"try again later\r\n"

struct listener {
	int			 fd;
	int			 port;
	enum pop3_listen_kind	 kind;
};

/* One connection: its process group and the read end of its slot. */
struct child {
	pid_t	pgid;
	int	slot;
	char	addr[AUTH_ADDR_MAX + 1];
};

struct master {
	struct pop3sd_conf	*conf;
	struct pop3sd_ctx	 ctx;
	struct login_conf	 lc;
	struct listener		 ls[POP3SD_SOCKS_MAX];
	size_t			 nls;
	struct child		*children;
	size_t			 nchildren;
	struct pollfd		*pfd;		/* listeners, then slots */
};

static volatile sig_atomic_t	got_term, got_chld;
/* Caught by the master's loop; SIGHUP only wakes it. */
static const int	loop_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
static struct master		*the_master;	/* for child_init */

static void	signal_handler(int);
static void	tls_setup(struct master *);
static void	listen_all(struct master *);
static void	loop(struct master *);
static void	accept_one(struct master *, struct listener *);
static void	reap(void);
static void	reap_all(void);
static void	slots_closed(struct master *, struct pollfd *);
static void	child_init(void *);

static void
signal_handler(int sig)
{
	if (sig == SIGCHLD)
		got_chld = 1;
	else if (sig != SIGHUP)
		got_term = 1;
}

int
main(int argc, char *argv[])
{
	struct pop3sd_conf	 conf;
	struct master		 m;
	struct daemon_opts	 o;

	daemon_options(argc, argv, "pop3sd", POP3SD_CONF, &o);
	if (pop3sd_conf_load(&conf, o.conf) == -1) {
		pop3sd_conf_free(&conf);
		return EX_CONFIG;
	}
	if (o.check) {
		if (o.verbose)
			pop3sd_conf_print(&conf, stdout);
		fprintf(stderr, "configuration OK\n");
		pop3sd_conf_free(&conf);
		return EX_OK;
	}
	memset(&m, 0, sizeof(m));
	m.conf = &conf;
	the_master = &m;
	tls_setup(&m);
	listen_all(&m);
	if (!o.debug && daemon(0, 0) == -1)
		fatal("daemon");
	loop(&m);
	pop3sd_conf_free(&conf);
	return EX_OK;
}

static void
tls_setup(struct master *m)
{
	struct tls_config	*cfg;

	if ((cfg = tls_config_new()) == NULL)
		fatalx("tls_config_new");
	if (tls_config_set_cert_file(cfg, m->conf->tls_cert) == -1 ||
	    tls_config_set_key_file(cfg, m->conf->tls_key) == -1)
		fatalx("tls: %s", tls_config_error(cfg));
	if ((m->ctx.tls_server = tls_server()) == NULL ||
	    tls_configure(m->ctx.tls_server, cfg) == -1)
		fatalx("tls: %s", m->ctx.tls_server ?
		    tls_error(m->ctx.tls_server) : "tls_server");
	tls_config_free(cfg);
	m->ctx.conf = m->conf;
	m->lc.service = "pop3";
	m->lc.authd_socket = m->conf->authd_socket;
	m->lc.authd_timeout_ms = AUTHCLIENT_TIMEOUT;
	m->lc.user = m->conf->user;
	m->lc.chroot = m->conf->chroot;
	m->lc.max_auth = (int)m->conf->max_errors;
	m->lc.child_init = child_init;
	m->lc.preauth = pop3_preauth;
	m->lc.session = pop3_session;
	m->lc.arg = &m->ctx;
}

static int
listen_ai(struct master *m, const struct pop3_listen *l, struct addrinfo *ai)
{
	struct listener	*s;
	int		 fd;

	if (m->nls == POP3SD_SOCKS_MAX)
		fatalx("listen: too many sockets");
	if ((fd = sock_listen_tcp(ai, POP3SD_BACKLOG)) == -1)
		return -1;
	s = &m->ls[m->nls++];
	s->fd = fd;
	s->port = (int)strtonum(l->port, 1, 65535, NULL);
	s->kind = l->kind;
	return 0;
}

static void
listen_all(struct master *m)
{
	struct addrinfo	 hints, *res, *ai;
	size_t		 i;
	int		 e;

	for (i = 0; i < m->conf->nlisten; i++) {
		const struct pop3_listen *l = &m->conf->listen[i];

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
		    l->port, l->kind == LISTEN_POP3S ? "pop3s" : "pop3");
	}
	m->children = xcalloc(m->conf->max_sessions, sizeof(*m->children));
	m->pfd = xcalloc(m->conf->max_sessions + m->nls, sizeof(*m->pfd));
	if (login_reaper() == -1)
		log_warn("event=reaper");
	if (privdrop_prepare(m->conf->user) == -1)
		fatalx("user %s: no such user", m->conf->user);
}

/* In the monitor: no listener, default signals, its own process group. */
static void
child_init(void *arg)
{
	struct master	*m = the_master;
	size_t		 i;

	(void)arg;
	for (i = 0; i < m->nls; i++)
		close(m->ls[i].fd);
	daemon_signals_reset(loop_signals, nitems(loop_signals));
	for (i = 0; i < m->nchildren; i++)
		close(m->children[i].slot);
	free(m->children);
	free(m->pfd);
	m->children = NULL;
	m->pfd = NULL;
}

static void
loop(struct master *m)
{
	sigset_t	pollmask;
	size_t		i, n;

	daemon_signals(loop_signals, nitems(loop_signals), signal_handler,
	    &pollmask);
	log_info("event=start listeners=%zu uid=%u max_sessions=%lld",
	    m->nls, (unsigned)geteuid(), m->conf->max_sessions);
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
	tls_free(m->ctx.tls_server);
}

/* At stop: waits a little for what was told to end, so none is left. */
static void
reap_all(void)
{
	struct timespec	ts = { 0, POP3SD_REAP_STEP_MS * 1000000L };
	pid_t		r;
	int		i;

	for (i = 0; i < POP3SD_REAP_STEPS; i++) {
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
slots_closed(struct master *m, struct pollfd *pfd)
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
count_addr(struct master *m, const char *addr)
{
	size_t	i, n = 0;

	for (i = 0; i < m->nchildren; i++)
		if (strcmp(m->children[i].addr, addr) == 0)
			n++;
	return n;
}

/* Over a limit: a plain client hears why (no parsing), TLS just closes. */
static void
refuse(struct listener *l, int fd, const char *addr, const char *why)
{
	log_info("event=refused addr=%s reason=%s", addr, why);
	if (l->kind == LISTEN_POP3)
		(void)send(fd, POP3SD_BUSY, sizeof(POP3SD_BUSY) - 1,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
}

static void
accept_one(struct master *m, struct listener *l)
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
	if (m->nchildren >= (size_t)m->conf->max_sessions) {
		refuse(l, fd, addr, "max_sessions");
		return;
	}
	if (count_addr(m, addr) >= (size_t)m->conf->max_sessions_per_addr) {
		refuse(l, fd, addr, "max_sessions_per_addr");
		return;
	}
	m->ctx.kind = l->kind;
	if ((pid = login_spawn(&m->lc, fd, (struct sockaddr *)&ss, len,
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
