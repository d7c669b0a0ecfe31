/*
 * imapsd: the IMAP server.  The master (imapsd.c) listens and forks one
 * monitor per connection through lib/login_master and lib/login; the
 * pre-auth process (imap_preauth.c) speaks the not-authenticated state
 * as the daemon's user in a chroot; the session process
 * (imap_session.c) speaks the authenticated and selected states as the
 * mail user.  imap_io.c holds what both write and the command loop.
 * See imapsd(8).
 */
#ifndef IMAPSD_H
#define IMAPSD_H

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>

#include "authproto.h"
#include "compat.h"
#include "config.h"
#include "imapcmd.h"
#include "login.h"
#include "login_conf.h"

#define IMAPSD_CONF		"/etc/buzon/imapsd.conf"
#define IMAP_ID_PAIRS_MAX	30	/* RFC 2971 */
#define IMAP_ID_FIELD_MAX	1024	/* RFC 2971: octets of an ID string */

enum imap_listen_kind {
	LISTEN_IMAP,		/* 143, STARTTLS */
	LISTEN_IMAPS		/* 993, implicit TLS */
};

struct imapsd_conf {
	struct login_conf_common common;	/* first: see login_conf.h */
	long long		 max_line;
	long long		 max_literal;
	long long		 max_append;
	long long		 max_auth_line;
	long long		 login_timeout;		/* seconds */
	long long		 timeout;		/* seconds */
	long long		 max_errors;
	long long		 max_sessions_per_user;
	const char		*ns_prefix;	/* namespace: "INBOX." or "" */
};

enum imap_state {
	IMAP_NOTAUTH = 0x01,	/* pre-auth process */
	IMAP_AUTH = 0x02,	/* session process */
	IMAP_SELECTED = 0x04,	/* session process, a mailbox selected */
	IMAP_LOGOUT = 0x08	/* the loop ends */
};

struct iobuf;
struct mbox;
struct store;
struct tls;

/* One connection, as either process sees it. */
struct imap {
	const struct imapsd_conf *conf;
	const struct login_info	*info;
	enum imap_state		 state;
	struct iobuf		*io;
	struct imapcmd_reader	*reader;
	struct tls		*tls;		/* pre-auth only */
	struct tls		*tls_server;	/* pre-auth: for STARTTLS */
	int			 fd;
	int			 chan;		/* pre-auth: to the monitor */
	int			 plaintext_ok;	/* address in plaintext_networks */
	int			 is_tls;
	int			 errors;	/* BAD answers so far */
	const char		*end;		/* why the session ended */
	/* session */
	const struct auth_user	*auth;
	struct store		*store;		/* the user's Maildir++ tree */
	struct mbox		*mbox;		/* selected, or NULL */
	int			 readonly;	/* EXAMINE */
	int			 slotfd;	/* the user's session slot, locked */
	uint32_t		 exists;	/* EXISTS as the client knows it */
	uint32_t		 recent;	/* RECENT as last sent */
};

/* A command handler: answers the command itself; 0, or -1 for BAD. */
typedef int	(*imap_handler)(struct imap *, struct imapcmd *);

struct imap_command {
	const char	*name;
	int		 states;	/* where the command is allowed */
	imap_handler	 fn;
};

/* A process's commands: tables ended by { NULL, 0, NULL }. */
typedef const struct imap_command *const imap_tables[];

/* imapsd_conf.c */
int		 imapsd_conf_load(struct imapsd_conf *, const char *path);
void		 imapsd_conf_print(struct imapsd_conf *, FILE *);
void		 imapsd_conf_free(struct imapsd_conf *);

/* imap_io.c */
void		 imap_start(struct imap *, long long timeout);
void		 imap_loop(struct imap *, const struct imap_command *const *);
int		 imap_flush(struct imap *);
void		 imap_untagged(struct imap *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
int		 imap_ok(struct imap *, struct imapcmd *, const char *, ...)
		    __attribute__((__format__(printf, 3, 4)));
int		 imap_no(struct imap *, struct imapcmd *, const char *, ...)
		    __attribute__((__format__(printf, 3, 4)));
int		 imap_bad(struct imap *, struct imapcmd *, const char *, ...)
		    __attribute__((__format__(printf, 3, 4)));
void		 imap_bye(struct imap *, const char *, const char *);
const char	*imap_capability(const struct imap *);
void		 imap_log(struct imap *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
int		 imap_capability_cmd(struct imap *, struct imapcmd *);
int		 imap_noop(struct imap *, struct imapcmd *);
int		 imap_logout(struct imap *, struct imapcmd *);
int		 imap_id(struct imap *, struct imapcmd *);

/* imap_mailbox.c: folder commands of the authenticated state */
extern const struct imap_command imap_mailbox_commands[];
/*
 * A mailbox argument as the store's UTF-8 name (to free): namespace
 * prefix stripped, modified UTF-7 decoded, store_name_valid() passed;
 * NULL with *why for a NO [CANNOT].
 */
char		*imap_mailbox_name(struct imap *, struct imapcmd_node *,
		    const char **why);
/* The store's name as the client sees it, a quoted string or literal. */
int		 imap_mailbox_put(struct imap *, struct imapcmd_buf *,
		    const char *name);
/* A failed store call as NO with its RFC 5530 code (from errno). */
int		 imap_mailbox_fail(struct imap *, struct imapcmd *,
		    const char *what);
/*
 * STATUS items (RFC 3501 6.3.10) as STATUS and LIST RETURN (STATUS
 * (...)) (RFC 5819) take them: 1 to IMAP_STATUS_ITEMS names, kept in
 * the order asked for; -1 when the list is bad.
 */
#define IMAP_STATUS_ITEMS	5
struct imap_status_items {
	int	item[IMAP_STATUS_ITEMS];
	size_t	n;
};
struct store_status;
int		 imap_status_items(struct imapcmd_node *,
		    struct imap_status_items *);
/* The selected folder as this session sees it, others from the store. */
int		 imap_status_get(struct imap *, const char *name,
		    struct store_status *);
/* "* STATUS name (item value ...)" */
void		 imap_status_send(struct imap *, const char *name,
		    const struct imap_status_items *,
		    const struct store_status *);
/* imap_list.c: LIST (RFC 3501, 5258, 5819) and LSUB for the table above */
int		 imap_list(struct imap *, struct imapcmd *);
int		 imap_lsub(struct imap *, struct imapcmd *);
/* What imap_listx.c's extended LIST shares with them. */
struct store_list;
int		 imap_list_extended(struct imap *, struct imapcmd *);
int		 imap_list_arg(struct imapcmd_node *, const char **);
char		*imap_list_pattern(const char *ref, const char *pat);
int		 imap_list_match(const char *pat, const char *name);
char		*imap_list_wire_name(struct imap *, const char *name);
int		 imap_list_attrs(struct imap *, const struct store_list *,
		    size_t);
int		 imap_list_subscribed(char **subs, size_t n, const char *name);
/* "* " and a response built in a buffer (it may hold literals). */
void		 imap_untagged_buf(struct imap *, const struct imapcmd_buf *);

/* imap_select.c: the selected state */
extern const struct imap_command imap_select_commands[];
#define IMAP_UPDATE_UID	0x100	/* imap_select_update: a UID command */
/*
 * Syncs p->mbox and sends EXPUNGE, EXISTS, RECENT and FETCH FLAGS as
 * RFC 3501 7.4 asks; flags STORE_SYNC_NOEXPUNGE (FETCH, STORE, SEARCH)
 * and IMAP_UPDATE_UID.  Call it before the tagged answer of every
 * command in the selected state.
 */
int		 imap_select_update(struct imap *, int flags);
void		 imap_select_msgflags(struct imap *, uint32_t seq,
		    struct imapcmd_buf *);
uint8_t		*imap_set_marks(const struct mbox *, struct imapcmd_seqset *,
		    int uid);
/* imap_fetch.c: FETCH, and UID FETCH (uid 1) with its arguments */
int		 imap_fetch(struct imap *, struct imapcmd *);
int		 imap_fetch_run(struct imap *, struct imapcmd *,
		    struct imapcmd_node *args, size_t nargs, int uid);

/* The store cache's slots (STORE_CACHE_SLOTS) as imapsd uses them. */
#define IMAP_SLOT_ENVELOPE	0
#define IMAP_SLOT_BODYSTRUCTURE	1
#define IMAP_SLOT_BODY		2
#define IMAP_SLOT_SEARCH	3	/* header fields SEARCH reads often */

/* imap_search.c: SEARCH, and UID SEARCH through imap_search_run() */
extern const struct imap_command imap_search_commands[];
int		 imap_search_run(struct imap *, struct imapcmd *,
		    struct imapcmd_node *, int uid);

/* imap_idle.c: IDLE (RFC 2177) and ENABLE (RFC 5161) */
#define IMAP_IDLE_LINE_MAX	64	/* octets of the line that ends IDLE */
#define IMAP_IDLE_POLL_MS	1000	/* rescans without a change notice */
extern const struct imap_command imap_idle_commands[];

/*
 * imap_store.c, imap_copy.c, imap_append.c: the commands that change
 * mail (STORE, EXPUNGE, COPY, MOVE, APPEND; UIDPLUS, RFC 4315), and the
 * UID forms imap_uid() passes on.
 */
extern const struct imap_command imap_write_commands[];
int		 imap_store_run(struct imap *, struct imapcmd *,
		    struct imapcmd_node *, size_t nargs, int uid);
int		 imap_expunge_run(struct imap *, struct imapcmd *,
		    struct imapcmd_node *, size_t nargs, int uid);
int		 imap_copy_run(struct imap *, struct imapcmd *,
		    struct imapcmd_node *, size_t nargs, int uid, int move);
int		 imap_copy(struct imap *, struct imapcmd *);
int		 imap_move(struct imap *, struct imapcmd *);
int		 imap_append(struct imap *, struct imapcmd *);
int		 imap_write_flag(const struct imapcmd_node *, unsigned *);
int		 imap_write_seqs(struct imap *, struct imapcmd *,
		    struct imapcmd_node *, int uid, uint32_t **, size_t *);
int		 imap_write_gone(const struct imap *, const uint32_t *, size_t);
struct store_changes;
void		 imap_write_expunged(struct imap *,
		    const struct store_changes *);

/* imap_preauth.c: the not-authenticated state */
__dead void	 imap_preauth(int client, int chan, const struct login_info *,
		    void *arg);

/* imap_session.c: the authenticated and selected states */
__dead void	 imap_session(int fd, const struct auth_user *,
		    const struct login_info *, const void *ctx, size_t ctxlen,
		    void *arg);

/* imapsd.c: what the master hands to the processes it forks */
struct imapsd_ctx {
	struct imapsd_conf	*conf;
	struct tls		*tls_server;
	int			 kind;		/* imap_listen_kind of its listener */
};

#endif /* IMAPSD_H */
