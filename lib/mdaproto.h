/*
 * The protocol between the spawner and a maildeliver it keeps running
 * as one recipient ("maildeliver -S"), over a SOCK_SEQPACKET socket on
 * maildeliver's standard input: one fixed-size structure per packet,
 * built by the same source tree on both sides.  Each MDA_DELIVER carries
 * the message body's descriptor (read-only, at offset 0) and gets exactly
 * one MDA_RESULT.  The receiver checks length, version, type and that
 * every text field is NUL-terminated inside its array; anything else
 * ends the receiving process.  EOF on the socket tells maildeliver to
 * exit.
 */
#ifndef MDAPROTO_H
#define MDAPROTO_H

#include <stdint.h>

#include "address.h"
#include "authproto.h"
#include "queueproto.h"

#define MDA_VERSION	1

enum mda_type {
	MDA_DELIVER = 1,
	MDA_RESULT = 2
};

struct mda_deliver {
	uint32_t	version;
	uint32_t	type;
	uint64_t	delivery;		/* the spawner's delivery id */
	char		sender[ADDR_PATH_MAX + 1];	/* "" the null path */
	char		rcpt[ADDR_PATH_MAX + 1];
	char		maildir[AUTH_PATH_MAX + 1];
};

struct mda_result {
	uint32_t	version;
	uint32_t	type;
	uint64_t	delivery;
	int32_t		status;			/* a sysexits(3) code */
	char		reason[QUEUE_REASON_MAX + 1];	/* "" when delivered */
};

#endif /* MDAPROTO_H */
