/*
 * The acceptor: a forked child (the queue user) serving one connection
 * to the queue socket at a time, reused for the next one the main
 * process hands over, so that a connection costs no fork.  It reads
 * frames (queueproto.h), runs them through a dispatch table of verb,
 * allowed states and handler, commits each message itself
 * (queue_commit.c) and tells the main process the new queue id over the
 * notification socket.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "compat.h"
#include "log.h"
#include "mailqueue.h"
#include "queueproto.h"
#include "sock.h"

enum acc_state {
	ACC_IDLE,	/* between messages */
	ACC_MAIL,	/* MAIL seen, no recipient yet */
	ACC_RCPT,	/* recipients coming */
	ACC_DATA	/* body coming */
};

#define S(st)	(1U << (st))

struct acc {
	struct mailqueue_conf	*conf;
	int			 fd;
	int			 notify;
	pid_t			 main_pid;	/* the process that forked us */
	int			 timeout_ms;
	uid_t			 uid;
	int			 trusted;
	char			 user[MAILQUEUE_USER_MAX + 1];
	enum acc_state		 state;
	struct commit		 commit;
	struct envelope		 env;
	long long		 received;	/* client octets of the body */
	enum queueproto_type	 refuse;	/* 0, QP_FAIL or QP_TEMPFAIL */
	char			 reason[QUEUE_REASON_MAX + 1];
	uint8_t			 buf[QUEUEPROTO_HDR_LEN +
				    QUEUEPROTO_FRAME_MAX];
};

struct acc_cmd {
	enum queueproto_type	 type;
	unsigned int		 states;
	void			(*handler)(struct acc *,
				    const struct queueproto_msg *);
};

static void	acc_mail(struct acc *, const struct queueproto_msg *);
static void	acc_rcpt(struct acc *, const struct queueproto_msg *);
static void	acc_data(struct acc *, const struct queueproto_msg *);
static void	acc_end(struct acc *, const struct queueproto_msg *);
static void	acc_abort(struct acc *, const struct queueproto_msg *);
static void	acc_list(struct acc *, const struct queueproto_msg *);

static const struct acc_cmd acc_cmds[] = {
	{ QP_MAIL, S(ACC_IDLE), acc_mail },
	{ QP_RCPT, S(ACC_MAIL) | S(ACC_RCPT), acc_rcpt },
	{ QP_DATA, S(ACC_RCPT) | S(ACC_DATA), acc_data },
	{ QP_END, S(ACC_RCPT) | S(ACC_DATA), acc_end },
	{ QP_ABORT, S(ACC_IDLE) | S(ACC_MAIL) | S(ACC_RCPT) | S(ACC_DATA),
	    acc_abort },
	{ QP_LIST, S(ACC_IDLE), acc_list }
};

static const char *const acc_state_names[] = {
	"idle", "mail", "rcpt", "data"
};

static void	acc_enter_state(struct acc *, enum acc_state);
static void	acc_send(struct acc *, const struct queueproto_msg *);
static void	acc_answer(struct acc *, enum queueproto_type, const char *);
static __dead void acc_error(struct acc *, const char *);
static void	acc_refuse(struct acc *, enum queueproto_type, const char *);
static void	acc_reset(struct acc *);
static int	acc_read_frame(struct acc *, struct queueproto_msg *);
static void	acc_peer(struct acc *);
static int	acc_valid_rcpt(const char *);
static void	acc_list_one(struct acc *, const char *);
static void	acc_conn(struct acc *, int);
static int	acc_next(int, int);

static void
acc_enter_state(struct acc *a, enum acc_state st)
{
	if (a->state != st)
		log_debug("queue conn=%ld event=state from=%s to=%s",
		    (long)getpid(), acc_state_names[a->state],
		    acc_state_names[st]);
	a->state = st;
}

static void
acc_send(struct acc *a, const struct queueproto_msg *m)
{
	uint8_t	out[QUEUEPROTO_HDR_LEN + 2048];
	long	n;

	if ((n = queueproto_encode(m, out, sizeof(out))) == -1)
		fatalx("queue conn=%ld event=encode type=%s", (long)getpid(),
		    queueproto_type_name(m->type));
	if (sock_write_full(a->fd, out, n, a->timeout_ms) == -1) {
		log_warn("queue conn=%ld event=write-failed", (long)getpid());
		acc_reset(a);
		_exit(0);
	}
}

static void
acc_answer(struct acc *a, enum queueproto_type type, const char *text)
{
	struct queueproto_msg	m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	if (type == QP_OK)
		strlcpy(m.id, text, sizeof(m.id));
	else
		strlcpy(m.reason, text, sizeof(m.reason));
	acc_send(a, &m);
}

/* A malformed or out-of-order frame: ERROR, a log line, the end. */
static __dead void
acc_error(struct acc *a, const char *why)
{
	log_warnx("queue conn=%ld event=protocol-error uid=%u reason=\"%s\"",
	    (long)getpid(), (unsigned)a->uid, why);
	acc_reset(a);
	acc_answer(a, QP_ERROR, why);
	shutdown(a->fd, SHUT_WR);
	_exit(0);
}

/* The message will be refused at END; the first reason wins. */
static void
acc_refuse(struct acc *a, enum queueproto_type type, const char *why)
{
	if (a->refuse == 0) {
		a->refuse = type;
		strlcpy(a->reason, why, sizeof(a->reason));
	}
	commit_abort(&a->commit);
}

static void
acc_reset(struct acc *a)
{
	commit_abort(&a->commit);
	env_free(&a->env);
	env_init(&a->env);
	a->refuse = 0;
	a->reason[0] = '\0';
	a->received = 0;
	acc_enter_state(a, ACC_IDLE);
}

/* 1 with a frame, 0 at a clean end of input; fatal otherwise. */
static int
acc_read_frame(struct acc *a, struct queueproto_msg *m)
{
	enum queueproto_type	 type;
	const char		*why;
	long			 len;

	if (sock_read_full(a->fd, a->buf, QUEUEPROTO_HDR_LEN,
	    a->timeout_ms) == -1) {
		if (errno == EPIPE)
			return 0;
		if (errno == ETIMEDOUT)
			acc_error(a, "timeout");
		log_warn("queue conn=%ld event=read-failed", (long)getpid());
		acc_reset(a);
		_exit(0);
	}
	if ((len = queueproto_header(a->buf, &type, &why)) == -1)
		acc_error(a, why);
	if (len > 0 && sock_read_full(a->fd, a->buf + QUEUEPROTO_HDR_LEN, len,
	    a->timeout_ms) == -1)
		acc_error(a, errno == ETIMEDOUT ? "timeout" : "frame cut short");
	if (queueproto_decode(type, a->buf + QUEUEPROTO_HDR_LEN, len, m,
	    &why) == -1)
		acc_error(a, why);
	return 1;
}

/* Who is on the other end, and is their Received: line trusted? */
static void
acc_peer(struct acc *a)
{
	struct passwd	*pw;
	gid_t		 gid;
	size_t		 i;

	if (sock_peer_cred(a->fd, &a->uid, &gid) == -1)
		fatal("queue conn=%ld event=peer-cred", (long)getpid());
	a->trusted = a->uid == 0 || a->uid == geteuid();
	for (i = 0; i < a->conf->ntrusted; i++)
		if (a->conf->trusted_uids[i] == a->uid)
			a->trusted = 1;
	if ((pw = getpwuid(a->uid)) != NULL && pw->pw_name[0] != '\0' &&
	    strlen(pw->pw_name) <= MAILQUEUE_USER_MAX &&
	    strpbrk(pw->pw_name, " \t\r\n") == NULL)
		strlcpy(a->user, pw->pw_name, sizeof(a->user));
	else
		snprintf(a->user, sizeof(a->user), "%u", (unsigned)a->uid);
	endpwent();
}

/* One connection, to its end; the descriptor is closed. */
static void
acc_conn(struct acc *a, int fd)
{
	struct queueproto_msg	 m;
	size_t			 i;

	a->fd = fd;
	acc_peer(a);
	while (acc_read_frame(a, &m)) {
		for (i = 0; i < nitems(acc_cmds); i++)
			if (acc_cmds[i].type == m.type)
				break;
		if (i == nitems(acc_cmds))
			acc_error(a, "unexpected frame type");
		if ((acc_cmds[i].states & S(a->state)) == 0)
			acc_error(a, "frame out of order");
		acc_cmds[i].handler(a, &m);
	}
	acc_reset(a);
	close(fd);
	a->fd = -1;
}

/*
 * Tells the main process this acceptor is idle and waits for the next
 * connection it hands over.  After idle_ms with none, reading is
 * shut down first, so that the main process can no longer hand one
 * over, and one already on its way is still served.  Returns the new
 * descriptor, or -1 to exit.
 */
static int
acc_next(int ctl, int idle_ms)
{
	struct pollfd	pfd;
	char		c;
	int		fd;

	if (send(ctl, "i", 1, MSG_NOSIGNAL) != 1)
		return -1;
	pfd.fd = ctl;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, idle_ms) == 0)
		(void)shutdown(ctl, SHUT_RD);
	if (sock_recv_fd(ctl, &fd, &c, 1) <= 0)
		return -1;
	return fd;
}

__dead void
accept_serve(struct mailqueue_conf *conf, int fd, int notify_fd, int ctl)
{
	static struct acc	 a;

	memset(&a, 0, sizeof(a));
	a.conf = conf;
	a.notify = notify_fd;
	a.main_pid = getppid();
	a.timeout_ms = conf->timeout * 1000;
	env_init(&a.env);
	log_procname("mailqueue-accept");
	if (commit_init(&a.commit) == -1)
		fatal("queue event=open-dirs");
	while (fd != -1) {
		acc_conn(&a, fd);
		fd = acc_next(ctl, conf->acceptor_idle * 1000);
	}
	_exit(0);
}

static void
acc_mail(struct acc *a, const struct queueproto_msg *m)
{
	struct mailaddr	 addr;
	char		 hdr[1024], date[64];
	int		 n;

	acc_enter_state(a, ACC_MAIL);
	a->env.flags = m->flags & (QP_F_RECEIVED | QP_F_8BITMIME);
	a->env.uid = a->uid;
	strlcpy(a->env.user, a->user, sizeof(a->env.user));
	if (m->sender[0] != '\0' && addr_parse(m->sender, &addr) == -1) {
		acc_refuse(a, QP_FAIL, "bad sender address");
		return;
	}
	strlcpy(a->env.sender, m->sender, sizeof(a->env.sender));
	if (commit_open(&a->commit) == -1) {
		log_warn("queue event=tmpfile");
		acc_refuse(a, QP_TEMPFAIL, "cannot create queue file");
		return;
	}
	strlcpy(a->env.id, a->commit.id, sizeof(a->env.id));
	if (a->trusted && (m->flags & QP_F_RECEIVED))
		return;
	queue_rfc5322_date(time(NULL), date, sizeof(date));
	n = snprintf(hdr, sizeof(hdr), "Received: (from %s uid %u) by %s "
	    "(buzon mailqueue) id %s; %s\r\n", a->user, (unsigned)a->uid,
	    a->conf->host, a->env.id, date);
	if (n < 0 || (size_t)n >= sizeof(hdr) ||
	    commit_write(&a->commit, hdr, n) == -1)
		acc_refuse(a, QP_TEMPFAIL, "cannot write queue file");
}

/* "local@domain", or a bare local part for this host. */
static int
acc_valid_rcpt(const char *rcpt)
{
	struct mailaddr	 addr;
	char		 buf[ADDR_PATH_MAX + 16];

	if (strchr(rcpt, '@') != NULL)
		return addr_parse(rcpt, &addr);
	if (snprintf(buf, sizeof(buf), "%s@localhost", rcpt) >=
	    (int)sizeof(buf))
		return -1;
	return addr_parse(buf, &addr);
}

static void
acc_rcpt(struct acc *a, const struct queueproto_msg *m)
{
	char	 why[64];
	size_t	 i;

	acc_enter_state(a, ACC_RCPT);
	if (a->refuse)
		return;
	if (acc_valid_rcpt(m->rcpt) == -1) {
		acc_refuse(a, QP_FAIL, "bad recipient address");
		return;
	}
	for (i = 0; i < a->env.nrcpt; i++)
		if (strcasecmp(a->env.rcpt[i].addr, m->rcpt) == 0)
			return;		/* the same recipient twice */
	if (a->env.nrcpt >= (size_t)a->conf->max_recipients) {
		snprintf(why, sizeof(why), "too many recipients (at most %lld)",
		    a->conf->max_recipients);
		acc_refuse(a, QP_FAIL, why);
		return;
	}
	env_add_rcpt(&a->env, m->rcpt);
}

static void
acc_data(struct acc *a, const struct queueproto_msg *m)
{
	char	why[64];

	acc_enter_state(a, ACC_DATA);
	if (a->refuse)
		return;
	if ((long long)m->datalen > a->conf->max_message_size - a->received) {
		snprintf(why, sizeof(why), "message too big (at most %lld "
		    "octets)", a->conf->max_message_size);
		acc_refuse(a, QP_FAIL, why);
		return;
	}
	a->received += m->datalen;
	if (commit_write(&a->commit, m->data, m->datalen) == -1) {
		log_warn("queue id=%s event=write", a->env.id);
		acc_refuse(a, QP_TEMPFAIL, "cannot write queue file");
	}
}

static void
acc_end(struct acc *a, const struct queueproto_msg *m)
{
	char	sender[LOG_VIS_MAX];
	char	note[MAILQUEUE_NOTIFY_MAX];
	int	n;

	if (a->refuse) {
		log_info("queue conn=%ld event=refused uid=%u result=%s "
		    "reason=\"%s\"", (long)getpid(), (unsigned)a->uid,
		    a->refuse == QP_FAIL ? "fail" : "tempfail", a->reason);
		acc_answer(a, a->refuse, a->reason);
		acc_reset(a);
		return;
	}
	/*
	 * A main process that died (and maybe restarted) would never hear
	 * of this message until its next scan: refuse it, and go.
	 */
	if (getppid() != a->main_pid) {
		log_warnx("queue conn=%ld event=orphaned result=tempfail",
		    (long)getpid());
		acc_answer(a, QP_TEMPFAIL, "queue restarting");
		acc_reset(a);
		_exit(0);
	}
	a->env.created = time(NULL);
	a->env.size = a->commit.size;
	if (commit_finish(&a->commit, &a->env) == -1) {
		log_warn("queue id=%s event=commit-failed", a->env.id);
		acc_answer(a, QP_TEMPFAIL, "cannot commit message");
		acc_reset(a);
		return;
	}
	log_info("queue id=%s event=accepted size=%lld from=<%s> nrcpt=%zu "
	    "uid=%u", a->env.id, a->env.size, log_vis(sender, sizeof(sender),
	    a->env.sender, strlen(a->env.sender)), a->env.nrcpt,
	    (unsigned)a->uid);
	/* Committed: a lost notice only delays the message to a restart. */
	n = snprintf(note, sizeof(note), "%s %zu", a->env.id,
	    spare_taken_reset());
	if (n < 0 || (size_t)n >= sizeof(note) ||
	    send(a->notify, note, n, MSG_NOSIGNAL) == -1)
		log_warn("queue id=%s event=notify", a->env.id);
	acc_answer(a, QP_OK, a->env.id);
	acc_reset(a);
}

static void
acc_abort(struct acc *a, const struct queueproto_msg *m)
{
	acc_reset(a);
}

static void
acc_list_one(struct acc *a, const char *id)
{
	struct queueproto_msg	 m;
	struct envelope		 e;
	char			 path[QUEUE_PATH_MAX], why[128];
	size_t			 i;

	queue_path(path, sizeof(path), QUEUE_DIR_ENV, id, "");
	if (env_read(path, &e, a->conf->max_recipients, why,
	    sizeof(why)) == -1)
		return;		/* removed meanwhile, or logged by the runner */
	if (strcmp(e.id, id) != 0) {
		env_free(&e);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = QP_ENTRY;
	strlcpy(m.id, e.id, sizeof(m.id));
	m.created = e.created;
	m.size = e.size;
	strlcpy(m.sender, e.sender, sizeof(m.sender));
	strlcpy(m.reason, env_reason(&e), sizeof(m.reason));
	acc_send(a, &m);
	for (i = 0; i < e.nrcpt; i++) {
		memset(&m, 0, sizeof(m));
		m.type = QP_ENTRY_RCPT;
		strlcpy(m.rcpt, e.rcpt[i].addr, sizeof(m.rcpt));
		strlcpy(m.state, env_state_name(e.rcpt[i].state),
		    sizeof(m.state));
		strlcpy(m.reason, e.rcpt[i].error, sizeof(m.reason));
		acc_send(a, &m);
	}
	env_free(&e);
}

static void
acc_list(struct acc *a, const struct queueproto_msg *m)
{
	struct queueproto_msg	 end;
	struct dirent		*de;
	DIR			*dir;

	if ((dir = opendir(QUEUE_DIR_ENV)) == NULL) {
		log_warn("queue event=list");
		acc_error(a, "cannot read the queue");
	}
	while ((de = readdir(dir)) != NULL)
		if (env_valid_id(de->d_name))
			acc_list_one(a, de->d_name);
	closedir(dir);
	memset(&end, 0, sizeof(end));
	end.type = QP_LISTEND;
	acc_send(a, &end);
}
