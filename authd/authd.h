/*
 * authd: the authentication and user directory daemon.  One main process
 * runs a poll(2) loop over the listening socket, its clients and a pool of
 * worker processes; it owns every piece of state (clients, the throttle
 * table, the queues of pending requests).  Workers make the slow backend
 * calls, one request at a time.  See authd(8).
 */
#ifndef AUTHD_H
#define AUTHD_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>

#include "authproto.h"
#include "backend.h"
#include "config.h"
#include "throttle.h"

#define AUTHD_CONF		"/etc/buzon/authd.conf"
#define AUTHD_BACKLOG		128	/* listen(2) backlog */
#define AUTHD_RESPAWN_MS	1000	/* between restarts of a worker */
#define AUTHD_GROUPS_MAX	(BACKEND_CHAIN_MAX + 1)
#define AUTHD_PROMISES_MAX	256

struct authd_conf {
	char			*socket_path;
	long long		 socket_mode;
	char			*socket_group;
	char			*user;
	struct config_list	 allow;
	long long		 workers;
	long long		 max_clients;
	long long		 idle_timeout;		/* seconds */
	long long		 worker_timeout;	/* seconds */
	long long		 throttle_after;
	long long		 throttle_base;		/* seconds */
	long long		 throttle_max;		/* seconds */
	long long		 throttle_expire;	/* seconds */
	long long		 throttle_entries;
	struct backend_chain	 chain;
	/* Resolved at start-up from the names above. */
	uid_t			*allow_uids;
	size_t			 nallow;
	gid_t			 socket_gid;
};

struct client;

enum job_state {
	JOB_HELD,		/* throttled: in the held queue */
	JOB_READY,		/* in the ready queue */
	JOB_WORKER		/* sent to a worker */
};

/* One request on its way: held (throttled), ready, or in a worker. */
struct job {
	TAILQ_ENTRY(job)	 entry;
	enum job_state		 state;
	struct client		*client;	/* NULL once it left */
	struct authproto_msg	 req;
	long long		 arrived;	/* ms */
	long long		 release;	/* ms: held until then */
};
TAILQ_HEAD(jobq, job);

enum client_state {
	CLIENT_OPEN,		/* requests welcome */
	CLIENT_CLOSING,		/* an ERROR frame on its way, then close */
	CLIENT_LINGER		/* ERROR sent: drain input until EOF */
};

struct client {
	TAILQ_ENTRY(client)	 entry;
	int			 fd;
	unsigned long long	 id;
	uid_t			 uid;
	struct job		*job;		/* the request being answered */
	long long		 last;		/* ms of the last activity */
	enum client_state	 state;
	size_t			 inlen;
	size_t			 outlen;
	size_t			 outoff;
	uint8_t			 in[AUTHPROTO_BUF_MAX];
	uint8_t			 out[AUTHPROTO_BUF_MAX];
};
TAILQ_HEAD(clientq, client);

struct worker {
	pid_t			 pid;		/* -1: not running */
	int			 fd;
	struct job		*job;
	long long		 started;	/* ms the job was sent */
	long long		 spawned;	/* ms */
	long long		 respawn;	/* ms: restart not before */
};

struct authd {
	struct authd_conf	*conf;
	int			 listen_fd;
	struct clientq		 clients;
	struct clientq		 dead;		/* closed, freed after a turn */
	size_t			 nclients;
	unsigned long long	 next_id;
	struct worker		*workers;
	struct jobq		 ready;		/* for the next idle worker */
	struct jobq		 held;		/* throttled, by release time */
	struct throttle		*throttle;
};

/* authd.c */
void		 authd_request(struct authd *, struct client *,
		    struct authproto_msg *);
void		 authd_answer(struct authd *, struct job *,
		    struct authproto_msg *);

/* authd_conf.c */
int		 authd_conf_load(struct authd_conf *, const char *path);
int		 authd_conf_resolve(struct authd_conf *);
void		 authd_conf_print(struct authd_conf *, FILE *);
void		 authd_conf_free(struct authd_conf *);

/* authd_client.c */
void		 client_accept(struct authd *);
void		 client_read(struct authd *, struct client *);
void		 client_write(struct authd *, struct client *);
void		 client_send(struct authd *, struct client *,
		    struct authproto_msg *);
void		 client_error(struct authd *, struct client *, const char *);
void		 client_close(struct authd *, struct client *);
void		 client_timeouts(struct authd *, long long now);
long long	 client_next_timeout(struct authd *);

/* authd_worker.c */
void		 worker_start_all(struct authd *);
void		 worker_dispatch(struct authd *);
void		 worker_read(struct authd *, struct worker *);
void		 worker_timeouts(struct authd *, long long now);
long long	 worker_next_timeout(struct authd *);
void		 worker_stop_all(struct authd *);
void		 worker_hup_all(struct authd *);

#endif /* AUTHD_H */
