/*
 * maildeliver: copying one message from a descriptor into an open
 * Maildir tmp/ file, with Return-Path and Delivered-To added on top and
 * the Delivered-To loop check.  Memory is bounded: the body is streamed,
 * header lines are inspected up to DELIVER_LINE_MAX octets.
 */
#ifndef DELIVER_H
#define DELIVER_H

#include <limits.h>
#include <stddef.h>

#define DELIVER_LINE_MAX	1024	/* octets of a header line inspected */
#define DELIVER_BUF_SIZE	65536	/* octets read from the input at once */
#define DELIVER_ADDR_MAX	256	/* octets of an address (RFC 5321) */

struct maildir_msg;

/* One delivery: what the options, the environment or the spawner say. */
struct delivery {
	const char	*maildir;	/* -d, else $HOME/Maildir */
	const char	*folder;	/* -m, NULL for the INBOX */
	const char	*opt_sender;	/* -f */
	const char	*opt_recipient;	/* -r */
	const char	*sender;	/* NULL: unknown */
	long long	 timeout;
	int		 serve;		/* -S */
	char		 sender_buf[DELIVER_ADDR_MAX + 1];
	char		 recipient[DELIVER_ADDR_MAX + 1];
	char		 home_maildir[PATH_MAX];
};

enum deliver_status {
	DELIVER_OK,		/* all written to tmp/: commit it */
	DELIVER_TEMPFAIL,	/* read or write error: try again later */
	DELIVER_LOOP		/* carries our own Delivered-To: permanent */
};

/*
 * Copies an address given by an option or the environment into out
 * (DELIVER_ADDR_MAX + 1 octets) without one pair of enclosing angle
 * brackets.  Refuses control characters and overlong addresses: -1.
 */
int	deliver_addr_clean(const char *in, char *out, size_t outsize);

/*
 * Copies the message on fd into m.  sender NULL means unknown: the
 * address of a leading mbox "From " line, else the null path.  The
 * "From " line itself is never copied.
 */
enum deliver_status deliver_copy(int fd, struct maildir_msg *m,
		    const char *sender, const char *recipient);

/* maildeliver.c */
void	deliver_arm(long long seconds);
int	deliver_set_sender(struct delivery *, const char *);
int	deliver_set_recipient(struct delivery *, const char *);
int	deliver_run(const struct delivery *, int fd);

/* deliver_serve.c: maildeliver -S, for the spawner. */
int	deliver_serve(long long timeout);

#endif /* DELIVER_H */
