/*
 * The mailqueue client used by smtpd-lite, sendmail(8) and mailq(1):
 * open the queue socket once (before a chroot), then submit any number
 * of messages over it.  Every read and write is bounded by the handle's
 * timeout.  A broken connection, a time-out or an ERROR answer is
 * QUEUE_TEMPFAIL: the caller answers "try again later", never "lost".
 */
#ifndef QUEUECLIENT_H
#define QUEUECLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "queueproto.h"

#define QUEUECLIENT_TIMEOUT	300000	/* ms; the commit includes fsyncs */

enum queue_result {
	QUEUE_OK,		/* committed; the id is set */
	QUEUE_FAIL,		/* refused for good (too big, ...) */
	QUEUE_TEMPFAIL		/* not queued; try again later */
};

struct queueclient;

/* NULL with errno when the socket cannot be reached. */
struct queueclient *queueclient_open(const char *path, int timeout_ms);
void		 queueclient_close(struct queueclient *);

/*
 * One message: begin, rcpt for each recipient, data any number of times
 * (buffered and sent in frames), then end.  begin, rcpt and data return
 * 0, or -1 when the connection failed: the message is lost to the
 * server, and end will answer QUEUE_TEMPFAIL.  sender "" is the null
 * path; flags are QP_F_*.
 */
int		 queueclient_begin(struct queueclient *, const char *sender,
		    uint64_t flags);
int		 queueclient_rcpt(struct queueclient *, const char *rcpt);
int		 queueclient_data(struct queueclient *, const void *, size_t);
/* Commits; on QUEUE_OK id (QUEUE_ID_MAX + 1 octets) holds the queue id. */
enum queue_result queueclient_end(struct queueclient *, char *id);
/* Drops the message being sent; the connection stays usable. */
int		 queueclient_abort(struct queueclient *);
/* Why the last call did not succeed. */
const char	*queueclient_reason(struct queueclient *);

/*
 * Lists the queue: cb_entry for each message, then cb_rcpt for each of
 * its recipients.  0, or -1 (see queueclient_reason()).
 */
struct queue_entry {
	char		 id[QUEUE_ID_MAX + 1];
	uint64_t	 created;
	uint64_t	 size;
	char		 sender[ADDR_PATH_MAX + 1];
	char		 reason[QUEUE_REASON_MAX + 1];
};
struct queue_entry_rcpt {
	char		 rcpt[ADDR_PATH_MAX + 1];
	char		 state[QUEUE_STATE_MAX + 1];
	char		 reason[QUEUE_REASON_MAX + 1];
};
int		 queueclient_list(struct queueclient *,
		    void (*cb_entry)(const struct queue_entry *, void *),
		    void (*cb_rcpt)(const struct queue_entry_rcpt *, void *),
		    void *arg);

#endif /* QUEUECLIENT_H */
