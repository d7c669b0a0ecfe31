/*
 * The internal protocol between mailqueue and its spawner, over a
 * SOCK_SEQPACKET socket pair: one message per packet, a fixed-size
 * structure of the same binary on both sides.  The receiver checks the
 * packet's length, version and type, and that every text field is
 * NUL-terminated inside its array; anything else is fatal to the
 * receiving side (the spawner exits, mailqueue exits and is restarted).
 *
 * mailqueue -> spawner: SPAWN_DELIVER, with the message body's open
 * descriptor attached (read-only, at offset 0).
 * spawner -> mailqueue: SPAWN_RESULT for each SPAWN_DELIVER, in any order.
 */
#ifndef SPAWNER_H
#define SPAWNER_H

#include <stdint.h>

#include "address.h"
#include "queueproto.h"

#define SPAWN_VERSION		1
#define SPAWN_REASON_READ	1024	/* octets of a child's stderr kept */

enum spawn_type {
	SPAWN_DELIVER = 1,
	SPAWN_RESULT = 2
};

/* The outcome of one delivery attempt. */
enum delivery_result {
	DELIVERY_OK = 1,	/* delivered */
	DELIVERY_TEMPFAIL = 2,	/* retry later */
	DELIVERY_PERMFAIL = 3	/* give up on this recipient */
};

struct spawn_deliver {
	uint32_t	version;
	uint32_t	type;
	uint64_t	delivery;		/* mailqueue's delivery id */
	char		id[QUEUE_ID_MAX + 1];	/* queue id, for log lines */
	char		rcpt[ADDR_PATH_MAX + 1];
	char		sender[ADDR_PATH_MAX + 1];
};

struct spawn_result {
	uint32_t	version;
	uint32_t	type;
	uint64_t	delivery;
	uint32_t	result;			/* enum delivery_result */
	int32_t		status;			/* exit status, -1 killed */
	char		reason[QUEUE_REASON_MAX + 1];
};

#endif /* SPAWNER_H */
