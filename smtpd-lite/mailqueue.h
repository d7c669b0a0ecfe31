/*
 * mailqueue: the queue daemon.  One main process (the queue user) owns
 * the queue directory, accepts connections and runs the deliveries; each
 * connection is served by a forked acceptor child (also the queue user)
 * that commits messages itself; the spawner (root) starts maildeliver as
 * each local recipient.  See mailqueue(8) and docs/queue.md.
 */
#ifndef MAILQUEUE_H
#define MAILQUEUE_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "compat.h"
#include "config.h"
#include "queueproto.h"

#define MAILQUEUE_CONF		"/etc/buzon/mailqueue.conf"
#define MAILQUEUE_BACKLOG	512	/* listen(2) backlog */
#define MAILQUEUE_HOST_MAX	255	/* octets of the host name */
#define MAILQUEUE_USER_MAX	64	/* octets of a submitter's name */
#define QUEUE_DIR_TMP		"tmp"
#define QUEUE_DIR_MSG		"msg"
#define QUEUE_DIR_ENV		"env"
#define QUEUE_DIR_SPARE		"spare"
#define QUEUE_PATH_MAX		64	/* "env/<id>.new", relative */
#define MAILQUEUE_NOTIFY_MAX	64	/* octets of one notice to main */

struct domains;

struct mailqueue_conf {
	char			*queue_dir;
	char			*socket_path;
	long long		 socket_mode;
	char			*user;
	char			*authd_socket;
	char			*maildeliver;
	char			*local_domains;
	struct config_list	 trusted_users;
	char			*hostname;
	long long		 max_clients;
	long long		 acceptor_idle;
	long long		 timeout;
	long long		 max_message_size;
	long long		 max_recipients;
	long long		 delivery_concurrency;
	long long		 delivery_idle;
	long long		 delivery_timeout;
	long long		 authd_timeout;
	long long		 retry_min;
	long long		 retry_max;

	/* Resolved at start-up. */
	uid_t			 uid;		/* the queue user */
	gid_t			 gid;
	uid_t			*trusted_uids;
	size_t			 ntrusted;
	struct domains		*domains;
	char			 host[MAILQUEUE_HOST_MAX + 1];
};

/* queue_conf.c */
int	mailqueue_conf_load(struct mailqueue_conf *, const char *path);
int	mailqueue_conf_resolve(struct mailqueue_conf *, const char *path);
int	mailqueue_conf_domains(struct mailqueue_conf *);
void	mailqueue_conf_print(struct mailqueue_conf *, FILE *);
void	mailqueue_conf_free(struct mailqueue_conf *);

/* The state of one recipient in an envelope. */
enum rcpt_state {
	RCPT_PENDING,
	RCPT_DONE,
	RCPT_FAILED
};

struct env_rcpt {
	char			*addr;
	enum rcpt_state		 state;
	long long		 tries;
	long long		 next;		/* time(3) of the next attempt */
	char			*error;		/* last error, "" when none */
	int			 inflight;	/* runner only */
};

/* An envelope, as in env/<id>; docs/queue.md has the format. */
struct envelope {
	char			 id[QUEUE_ID_MAX + 1];
	long long		 created;
	long long		 size;
	long long		 flags;
	long long		 uid;
	char			 user[MAILQUEUE_USER_MAX + 1];
	char			 sender[ADDR_PATH_MAX + 1];
	struct env_rcpt		*rcpt;
	size_t			 nrcpt;
};

/* queue_envelope.c */
const char *env_state_name(enum rcpt_state);
void	env_init(struct envelope *);
void	env_free(struct envelope *);
void	env_add_rcpt(struct envelope *, const char *addr);
void	env_set_error(struct env_rcpt *, const char *);
int	env_valid_id(const char *);
/* Reads and strictly parses path; 0, or -1 with a reason in why. */
int	env_read(const char *path, struct envelope *, size_t max_rcpt,
	    char *why, size_t whylen);
/* Writes path (a new file), fsyncs and closes it; 0 or -1 with errno. */
int	env_write(const char *path, const struct envelope *);
/* Writes e into fd (open on path), fsyncs and closes it. */
int	env_write_fd(int fd, const char *path, const struct envelope *);
/* Write-new + rename over env/<id>. */
int	env_update(const struct envelope *);
/* For messages: the first pending recipient's last error, or "". */
const char *env_reason(const struct envelope *);

/* queue_commit.c: the acceptor's side of the commit protocol. */
struct commit {
	char		 id[QUEUE_ID_MAX + 1];
	int		 fd;		/* tmp/<id>.msg, -1 if none */
	long long	 size;
	int		 msgdir;	/* msg/ and env/, open for fsync */
	int		 envdir;
};

int	commit_init(struct commit *);
int	commit_open(struct commit *);
int	commit_write(struct commit *, const void *, size_t);
/* Body fsync, envelope, renames, directory fsyncs: the commit point. */
int	commit_finish(struct commit *, const struct envelope *);
void	commit_abort(struct commit *);
void	queue_new_id(char *id, size_t idsize);
void	queue_path(char *buf, size_t size, const char *dir, const char *id,
	    const char *suffix);
void	queue_rfc5322_date(time_t, char *buf, size_t size);

/* queue_spare.c: files of finished messages, reused for new ones. */
void	spare_clean(void);
int	spare_put(const char *path, const char *id, char kind);
void	spare_used(size_t);
int	spare_open(const char *path);
size_t	spare_taken_reset(void);

/* queue_scan.c: start-up. */
int	queue_dirs_setup(struct mailqueue_conf *);
void	queue_clean(void);

/*
 * queue_accept.c: an acceptor, forked by the main process.  It serves
 * fd, then each connection the main process hands it over ctl, one at a
 * time, until acceptor_idle passes without one.
 */
__dead void accept_serve(struct mailqueue_conf *, int fd, int notify_fd,
	    int ctl);

/* queue_runner.c: the scheduler of the main process. */
struct runner;
struct runner	*runner_new(struct mailqueue_conf *, int spawner_fd);
void		 runner_load_all(struct runner *);
void		 runner_rescan(struct runner *);
void		 runner_add(struct runner *, const char *id);
void		 runner_run(struct runner *);
void		 runner_spawner_read(struct runner *);
void		 runner_flush(struct runner *);
/* Milliseconds until the next due attempt, -1 when none. */
long long	 runner_timeout(struct runner *);
int		 runner_spawner_fd(struct runner *);
int		 runner_blocked(struct runner *);
void		 runner_unblock(struct runner *);
void		 runner_free(struct runner *);

/* spawner.c */
pid_t	spawner_start(struct mailqueue_conf *, int *fd);

#endif /* MAILQUEUE_H */
