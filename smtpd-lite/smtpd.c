/*
 * smtpd-lite: start-up and the master process.
 *
 * The master runs as root and stays tiny: it parses the configuration,
 * loads the certificate, binds the listeners, then loops accepting
 * connections and forking one session process for each.  It never reads
 * a byte from a client; the only thing it writes to one is a fixed 421
 * when a session limit is reached.  It reaps its children and counts
 * them per client address.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <tls.h>

#include "compat.h"
#include "daemon.h"
#include "log.h"
#include "privdrop.h"
#include "smtpd.h"
#include "sock.h"
#include "xmalloc.h"

#define MASTER_BUSY_REPLY	"421 4.7.0 Too many connections, try " \
				"again later\r\n"

struct child {
	pid_t	pid;		/* 0: free slot */
	char	addr[SMTPD_ADDR_MAX];
};

struct master {
	struct smtpd_conf	*conf;
	struct tls_config	*tls_config;
	struct tls		*tls;
	struct child		*children;
	long long		 nchildren;
};

static volatile sig_atomic_t	got_term, got_chld;
/* Caught by the master's loop; SIGHUP is ignored (nothing to reload). */
static const int	loop_signals[] = { SIGTERM, SIGINT, SIGCHLD };

static void	signal_handler(int);
static int	tls_setup(struct master *);
static void	master_free(struct master *);
static int	listener_open(struct listener *, int);
static void	listeners_open(struct smtpd_conf *);
static void	master_loop(struct master *);
static void	master_accept(struct master *, struct listener *);
static void	master_refuse(int, enum listener_kind, const char *,
		    const char *);
static long long	count_addr(struct master *, const char *);
static void	spawn(struct master *, struct listener *, int,
		    struct sockaddr_storage *);
static void	reap(struct master *);
static void	sockaddr_text(struct sockaddr_storage *, char *, size_t);

static void
signal_handler(int sig)
{
	if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_term = 1;
}

int
main(int argc, char *argv[])
{
	struct smtpd_conf	 conf;
	struct master		 m;
	struct daemon_opts	 o;

	daemon_options(argc, argv, "smtpd-lite", SMTPD_CONF, &o);
	memset(&m, 0, sizeof(m));
	m.conf = &conf;
	if (smtpd_conf_load(&conf, o.conf) == -1 ||
	    smtpd_conf_resolve(&conf) == -1 || tls_setup(&m) == -1) {
		master_free(&m);
		return EX_CONFIG;
	}
	if (o.check) {
		if (o.verbose)
			smtpd_conf_print(&conf, stdout);
		fprintf(stderr, "configuration OK\n");
		master_free(&m);
		return EX_OK;
	}
	listeners_open(&conf);
	if (privdrop_prepare(conf.user) == -1)
		return EX_CONFIG;
	if (!o.debug && daemon(0, 0) == -1)
		fatal("daemon");
	m.children = xcalloc(conf.max_sessions, sizeof(*m.children));
	log_info("event=start listeners=%zu hostname=%s max_sessions=%lld",
	    conf.nlisteners, conf.hostname, conf.max_sessions);
	master_loop(&m);
	log_info("event=stop sessions=%lld", m.nchildren);
	master_free(&m);
	return EX_OK;
}

/*
 * The key pair is read here, as root (and with -n); sessions inherit
 * the context.  0, or -1 after a log line.
 */
static int
tls_setup(struct master *m)
{
	struct smtpd_conf	*c = m->conf;

	if (c->tls_cert[0] == '\0')
		return 0;
	if ((m->tls_config = tls_config_new()) == NULL)
		fatal("tls_config_new");
	if (tls_config_set_keypair_file(m->tls_config, c->tls_cert,
	    c->tls_key) == -1) {
		log_warnx("tls_cert %s, tls_key %s: %s", c->tls_cert,
		    c->tls_key, tls_config_error(m->tls_config));
		return -1;
	}
	if ((m->tls = tls_server()) == NULL)
		fatal("tls_server");
	if (tls_configure(m->tls, m->tls_config) == -1) {
		log_warnx("tls: %s", tls_error(m->tls));
		return -1;
	}
	return 0;
}

static void
master_free(struct master *m)
{
	free(m->children);
	tls_free(m->tls);
	tls_config_free(m->tls_config);
	smtpd_conf_free(m->conf);
}

static int
listener_open(struct listener *l, int backlog)
{
	struct addrinfo	 hints, *res;
	int		 e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if ((e = getaddrinfo(l->addr, l->port, &hints, &res)) != 0) {
		log_warnx("listen %s %s: %s", l->addr, l->port,
		    gai_strerror(e));
		return -1;
	}
	if ((l->fd = sock_listen_tcp(res, backlog)) == -1)
		log_warn("listen %s %s", l->addr, l->port);
	freeaddrinfo(res);
	return l->fd == -1 ? -1 : 0;
}

static void
listeners_open(struct smtpd_conf *c)
{
	size_t	i;

	for (i = 0; i < c->nlisteners; i++) {
		if (listener_open(&c->listeners[i], c->backlog) == -1)
			fatalx("cannot listen on %s port %s",
			    c->listeners[i].addr, c->listeners[i].port);
		log_debug("event=listen addr=%s port=%s kind=%s",
		    c->listeners[i].addr, c->listeners[i].port,
		    smtpd_kind_name(c->listeners[i].kind));
	}
}

static void
master_loop(struct master *m)
{
	struct pollfd	pfd[SMTPD_LISTEN_MAX];
	sigset_t	pollmask;
	size_t		i, n = m->conf->nlisteners;

	daemon_signals(loop_signals, nitems(loop_signals), signal_handler,
	    &pollmask);
	signal(SIGHUP, SIG_IGN);
	while (!got_term) {
		/*
		 * Every turn: ppoll(2) that finds a listener ready returns
		 * without delivering a pending SIGCHLD, so under a steady
		 * stream of connections the signal alone would never come.
		 */
		got_chld = 0;
		reap(m);
		for (i = 0; i < n; i++) {
			pfd[i].fd = m->conf->listeners[i].fd;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (ppoll(pfd, n, NULL, &pollmask) == -1) {
			if (errno != EINTR)
				fatal("ppoll");
			continue;
		}
		for (i = 0; i < n; i++)
			if (pfd[i].revents & POLLIN)
				master_accept(m, &m->conf->listeners[i]);
	}
	for (i = 0; i < n; i++)
		close(m->conf->listeners[i].fd);
	for (i = 0; i < (size_t)m->conf->max_sessions; i++)
		if (m->children[i].pid > 0)
			kill(m->children[i].pid, SIGTERM);
}

static void
sockaddr_text(struct sockaddr_storage *ss, char *buf, size_t len)
{
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in	 v4;

	if (ss->ss_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		memset(&v4, 0, sizeof(v4));
		memcpy(&v4.sin_addr, &sin6->sin6_addr.s6_addr[12], 4);
		sin = &v4;
		ss->ss_family = AF_INET;
	}
	if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &sin6->sin6_addr, buf, len);
	else if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &sin->sin_addr, buf, len);
	else
		strlcpy(buf, "unknown", len);
}

static long long
count_addr(struct master *m, const char *addr)
{
	long long	i, n = 0;

	for (i = 0; i < m->conf->max_sessions; i++)
		if (m->children[i].pid > 0 &&
		    strcmp(m->children[i].addr, addr) == 0)
			n++;
	return n;
}

static void
master_accept(struct master *m, struct listener *l)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	char			 addr[SMTPD_ADDR_MAX];
	int			 fd;

	if ((fd = accept4(l->fd, (struct sockaddr *)&ss, &sslen,
	    SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("accept");
		return;
	}
	sockaddr_text(&ss, addr, sizeof(addr));
	reap(m);	/* sessions that ended since the last turn */
	if (m->nchildren >= m->conf->max_sessions) {
		master_refuse(fd, l->kind, addr, "max_sessions");
		return;
	}
	if (count_addr(m, addr) >= m->conf->max_sessions_per_addr) {
		master_refuse(fd, l->kind, addr, "max_sessions_per_addr");
		return;
	}
	spawn(m, l, fd, &ss);
}

/* A fixed answer, written without waiting; nothing is read. */
static void
master_refuse(int fd, enum listener_kind kind, const char *addr,
    const char *limit)
{
	log_info("event=refused addr=%s limit=%s", addr, limit);
	if (kind != LISTEN_SMTPS)
		(void)send(fd, MASTER_BUSY_REPLY, strlen(MASTER_BUSY_REPLY),
		    MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
}

static void
spawn(struct master *m, struct listener *l, int fd,
    struct sockaddr_storage *ss)
{
	struct session_ctx	 ctx;
	struct child		*slot = NULL;
	long long		 i;
	pid_t			 pid;

	for (i = 0; i < m->conf->max_sessions && slot == NULL; i++)
		if (m->children[i].pid == 0)
			slot = &m->children[i];
	memset(&ctx, 0, sizeof(ctx));
	ctx.conf = m->conf;
	ctx.tls_server = m->tls;
	ctx.kind = l->kind;
	ctx.fd = fd;
	ctx.family = ss->ss_family;
	sockaddr_text(ss, ctx.addr, sizeof(ctx.addr));
	if ((pid = fork()) == -1) {
		log_warn("fork");
		close(fd);
		return;
	}
	if (pid == 0) {
		for (i = 0; i < (long long)m->conf->nlisteners; i++)
			close(m->conf->listeners[i].fd);
		free(m->children);
		smtp_session_run(&ctx);
	}
	close(fd);
	slot->pid = pid;
	strlcpy(slot->addr, ctx.addr, sizeof(slot->addr));
	m->nchildren++;
}

static void
reap(struct master *m)
{
	long long	i;
	pid_t		pid;
	int		status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < m->conf->max_sessions; i++) {
			if (m->children[i].pid != pid)
				continue;
			m->children[i].pid = 0;
			m->nchildren--;
			break;
		}
		if (WIFSIGNALED(status))
			log_warnx("event=session_died pid=%ld signal=%d",
			    (long)pid, WTERMSIG(status));
		else if (WEXITSTATUS(status) != 0)
			log_debug("event=session_exit pid=%ld status=%d",
			    (long)pid, WEXITSTATUS(status));
	}
}
