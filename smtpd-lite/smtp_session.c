/*
 * One SMTP session (RFC 5321), in its own process.
 *
 * Start-up: open the authd and queue connections, drop to the configured
 * user in the chroot, pledge; only then is the first byte read.  The
 * protocol is the commands[] table (verb, the states it is allowed in,
 * its handler) and the state enum of smtpd.h; every state change goes
 * through smtp_enter_state().  Replies are buffered and flushed when no
 * more client input is waiting (RFC 2920 pipelining).
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <tls.h>

#include "address.h"
#include "authclient.h"
#include "compat.h"
#include "daemon.h"
#include "domains.h"
#include "iobuf.h"
#include "log.h"
#include "number.h"
#include "privdrop.h"
#include "queueclient.h"
#include "smtpd.h"
#include "xmalloc.h"

#define S_CONNECTED	(1 << SMTP_STATE_CONNECTED)
#define S_HELO		(1 << SMTP_STATE_HELO)
#define S_MAIL		(1 << SMTP_STATE_MAIL)
#define S_RCPT		(1 << SMTP_STATE_RCPT)
#define S_ANY		(S_CONNECTED | S_HELO | S_MAIL | S_RCPT)

struct smtp_command {
	const char	*verb;
	int		 states;	/* S_* where it is allowed */
	void		(*handler)(struct smtp_session *, char *);
};

static int	helo_start(struct smtp_session *, const char *, int);
static void	cmd_helo(struct smtp_session *, char *);
static void	cmd_ehlo(struct smtp_session *, char *);
static void	cmd_starttls(struct smtp_session *, char *);
static void	cmd_auth(struct smtp_session *, char *);
static void	cmd_mail(struct smtp_session *, char *);
static void	cmd_rcpt(struct smtp_session *, char *);
static void	cmd_data(struct smtp_session *, char *);
static void	cmd_rset(struct smtp_session *, char *);
static void	cmd_noop(struct smtp_session *, char *);
static void	cmd_quit(struct smtp_session *, char *);
static void	cmd_help(struct smtp_session *, char *);
static void	cmd_vrfy(struct smtp_session *, char *);

static const struct smtp_command commands[] = {
	{ "HELO",	S_ANY,		cmd_helo },
	{ "EHLO",	S_ANY,		cmd_ehlo },
	{ "STARTTLS",	S_HELO,		cmd_starttls },
	{ "AUTH",	S_HELO,		cmd_auth },
	{ "MAIL",	S_HELO,		cmd_mail },
	{ "RCPT",	S_MAIL | S_RCPT, cmd_rcpt },
	{ "DATA",	S_RCPT,		cmd_data },
	{ "RSET",	S_ANY,		cmd_rset },
	{ "NOOP",	S_ANY,		cmd_noop },
	{ "QUIT",	S_ANY,		cmd_quit },
	{ "HELP",	S_ANY,		cmd_help },
	{ "VRFY",	S_ANY,		cmd_vrfy }
};

static const char *const state_names[] = {
	"connected", "helo", "mail", "rcpt", "body", "quit"
};

static int	privdrop_needed_at_start;

static void	session_signals(void);
static __dead void session_exit(void);
static void	session_setup(struct smtp_session *, struct session_ctx *);
static void	session_loop(struct smtp_session *);
static void	session_line(struct smtp_session *, char *, size_t, int);
static void	session_end(struct smtp_session *);
static int	mail_params(struct smtp_session *, char *);
static int	rcpt_check(struct smtp_session *, struct mailaddr *);
static int	rcpt_local(struct smtp_session *, struct mailaddr *);

void
smtp_enter_state(struct smtp_session *s, enum smtp_state st)
{
	if (s->state != st)
		log_debug("smtp-in session=%s event=state from=%s to=%s",
		    s->id, state_names[s->state], state_names[st]);
	s->state = st;
}

static void
vreply(struct smtp_session *s, const char *fmt, va_list ap)
{
	char	buf[1024];
	int	n;

	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0 || (size_t)n >= sizeof(buf) - 2)
		n = strlcpy(buf, "451 4.3.0 Reply too long", sizeof(buf));
	log_debug("smtp-in session=%s event=reply text=\"%s\"", s->id, buf);
	buf[n++] = '\r';
	buf[n++] = '\n';
	(void)iobuf_write(s->io, buf, n);
}

void
smtp_reply(struct smtp_session *s, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vreply(s, fmt, ap);
	va_end(ap);
}

/* A reply to a client's mistake: it counts towards max_errors. */
void
smtp_error(struct smtp_session *s, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vreply(s, fmt, ap);
	va_end(ap);
	s->errors++;
}

int
smtp_flush(struct smtp_session *s)
{
	if (iobuf_flush(s->io) == -1) {
		if (s->end == NULL)
			s->end = "write-error";
		smtp_enter_state(s, SMTP_STATE_QUIT);
		return -1;
	}
	return 0;
}

/* Ends the session after the 421 (or other) reply already queued. */
void
smtp_close(struct smtp_session *s, const char *why)
{
	if (s->end == NULL)
		s->end = why;
	smtp_enter_state(s, SMTP_STATE_QUIT);
}

int
smtp_is_tls(struct smtp_session *s)
{
	return s->tls != NULL;
}

/* AUTH is offered over TLS, or in clear to auth_plaintext_networks. */
int
smtp_auth_allowed(struct smtp_session *s)
{
	if (s->ctx->kind == LISTEN_SUBMISSION && !smtp_is_tls(s))
		return 0;
	return smtp_is_tls(s) ||
	    netmask_match(s->conf->nets, s->conf->nnets, s->ctx->addr);
}

const char *
smtp_protocol(struct smtp_session *s)
{
	static const char *const names[2][2][2] = {
		{ { "SMTP", "SMTP" }, { "SMTP", "SMTP" } },
		{ { "ESMTP", "ESMTPA" }, { "ESMTPS", "ESMTPSA" } }
	};

	return names[s->esmtp != 0][smtp_is_tls(s)][s->user[0] != '\0'];
}

void
smtp_tx_reset(struct smtp_session *s)
{
	size_t	i;

	for (i = 0; i < s->tx.nrcpts; i++)
		free(s->tx.rcpts[i]);
	free(s->tx.rcpts);
	memset(&s->tx, 0, sizeof(s->tx));
}

/*
 * The master's loop signals back to their defaults, none blocked;
 * SIGPIPE stays ignored, as the master left it.
 */
static void
session_signals(void)
{
	const int	sigs[] = { SIGTERM, SIGINT, SIGCHLD };

	daemon_signals_reset(sigs, nitems(sigs));
}

/* Everything that needs a path happens here, before the chroot. */
static void
session_setup(struct smtp_session *s, struct session_ctx *ctx)
{
	struct smtpd_conf	*c = ctx->conf;
	uint64_t		 r;

	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->conf = c;
	arc4random_buf(&r, sizeof(r));
	snprintf(s->id, sizeof(s->id), "%016llx", (unsigned long long)r);
	log_procname("smtpd-lite-session");
	if ((s->auth = authclient_open(c->authd_socket,
	    AUTHCLIENT_TIMEOUT)) == NULL)
		log_warn("smtp-in session=%s event=authd_unreachable "
		    "socket=%s", s->id, c->authd_socket);
	if ((s->queue = queueclient_open(c->queue_socket,
	    QUEUECLIENT_TIMEOUT)) == NULL)
		log_warn("smtp-in session=%s event=queue_unreachable "
		    "socket=%s", s->id, c->queue_socket);
	privdrop_needed_at_start = privdrop_needed();
	if (privdrop(c->user, c->chroot, NULL) == -1)
		fatalx("smtp-in session=%s privilege drop to %s failed",
		    s->id, c->user);
	if (pledge("stdio", NULL) == -1)
		fatal("pledge");
	s->io = iobuf_new(ctx->fd, c->max_line, c->timeout * 1000);
	s->state = SMTP_STATE_CONNECTED;
}

__dead void
smtp_session_run(struct session_ctx *ctx)
{
	struct smtp_session	s;

	session_signals();
	session_setup(&s, ctx);
	log_info("smtp-in session=%s event=connect addr=%s listener=%s",
	    s.id, ctx->addr, smtpd_kind_name(ctx->kind));
	if (ctx->kind == LISTEN_SMTPS && smtp_tls_start(&s) == -1) {
		session_end(&s);
		session_exit();
	}
	smtp_reply(&s, "220 %s ESMTP smtpd-lite", s.conf->hostname);
	session_loop(&s);
	session_end(&s);
	session_exit();
}

/*
 * In the chroot there is no /proc, where the leak checker of a sanitizer
 * build looks at exit: skip the exit handlers there.  Everything is
 * freed and closed already.
 */
static __dead void
session_exit(void)
{
	if (privdrop_needed_at_start)
		_exit(0);
	exit(0);
}

static void
session_loop(struct smtp_session *s)
{
	enum iobuf_result	 r;
	char			*line;
	size_t			 len;
	int			 flags;

	while (s->state != SMTP_STATE_QUIT) {
		if (iobuf_pending(s->io) == 0 && smtp_flush(s) == -1)
			break;
		r = iobuf_getline(s->io, &line, &len, &flags);
		if (r == IOBUF_OK && (flags & IOBUF_PARTIAL))
			r = IOBUF_EOF;
		switch (r) {
		case IOBUF_OK:
			session_line(s, line, len, flags);
			break;
		case IOBUF_TOOLONG:
			smtp_error(s, "500 5.5.2 Line too long (over %lld "
			    "octets)", s->conf->max_line);
			break;
		case IOBUF_TIMEOUT:
			smtp_reply(s, "421 4.4.2 %s Timeout, closing "
			    "connection", s->conf->hostname);
			smtp_close(s, "timeout");
			break;
		case IOBUF_EOF:
			smtp_close(s, "eof");
			break;
		case IOBUF_ERROR:
			smtp_close(s, "read-error");
			break;
		}
		if (s->state != SMTP_STATE_QUIT &&
		    s->errors > s->conf->max_errors) {
			smtp_reply(s, "421 4.7.0 %s Too many errors, closing "
			    "connection", s->conf->hostname);
			smtp_close(s, "errors");
		}
	}
	(void)iobuf_flush(s->io);
}

/* One command line: checked, looked up in commands[], dispatched. */
static void
session_line(struct smtp_session *s, char *line, size_t len, int flags)
{
	char	*args;
	size_t	 i, vlen;

	if (flags & IOBUF_NUL) {
		smtp_error(s, "500 5.5.2 NUL octet in command");
		return;
	}
	if (flags & (IOBUF_BARELF | IOBUF_BARECR)) {
		smtp_error(s, "500 5.5.2 Bare CR or LF in command, use CRLF");
		return;
	}
	vlen = strcspn(line, " ");
	args = line[vlen] == ' ' ? line + vlen + 1 : line + vlen;
	for (i = 0; i < nitems(commands); i++)
		if (strlen(commands[i].verb) == vlen &&
		    strncasecmp(line, commands[i].verb, vlen) == 0)
			break;
	if (i == nitems(commands)) {
		smtp_error(s, "500 5.5.1 Command unrecognized");
		return;
	}
	if (!(commands[i].states & (1 << s->state))) {
		smtp_error(s, "503 5.5.1 Bad sequence of commands");
		return;
	}
	commands[i].handler(s, args);
}

static void
session_end(struct smtp_session *s)
{
	char	user[LOG_VIS_MAX];

	log_vis(user, sizeof(user), s->user, strlen(s->user));
	log_info("smtp-in session=%s event=close addr=%s tls=%s cipher=%s "
	    "user=%s result=%s messages=%u rejected=%u errors=%d", s->id,
	    s->ctx->addr, smtp_tls_version(s), smtp_tls_cipher(s),
	    s->user[0] ? user : "-", s->end ? s->end : "quit", s->messages,
	    s->rejected, s->errors);
	smtp_tx_reset(s);
	iobuf_free(s->io);
	if (s->tls != NULL) {
		(void)tls_close(s->tls);
		tls_free(s->tls);
	}
	close(s->ctx->fd);
	authclient_close(s->auth);
	queueclient_close(s->queue);
}

/*
 * HELO and EHLO alike: the argument is one word of printable ASCII; a
 * good one resets the transaction and is greeted, first line of the
 * EHLO answer or the whole HELO one.  -1 after a 501.
 */
static int
helo_start(struct smtp_session *s, const char *arg, int esmtp)
{
	size_t	i, n = strlen(arg);

	for (i = 0; i < n; i++)
		if (!isgraph((unsigned char)arg[i]))
			break;
	if (n == 0 || n > SMTPD_HOSTNAME_MAX || i < n) {
		smtp_error(s, "501 5.5.4 Syntax: %s hostname",
		    esmtp ? "EHLO" : "HELO");
		return -1;
	}
	strlcpy(s->helo, arg, sizeof(s->helo));
	smtp_tx_reset(s);
	s->esmtp = esmtp;
	smtp_enter_state(s, SMTP_STATE_HELO);
	smtp_reply(s, "250%c%s Hello %s [%s]", esmtp ? '-' : ' ',
	    s->conf->hostname, s->helo, s->ctx->addr);
	return 0;
}

static void
cmd_helo(struct smtp_session *s, char *args)
{
	(void)helo_start(s, args, 0);
}

static void
cmd_ehlo(struct smtp_session *s, char *args)
{
	if (helo_start(s, args, 1) == -1)
		return;
	smtp_reply(s, "250-8BITMIME");
	smtp_reply(s, "250-ENHANCEDSTATUSCODES");
	smtp_reply(s, "250-SIZE %lld", s->conf->max_message_size);
	if (!smtp_is_tls(s) && s->ctx->tls_server != NULL)
		smtp_reply(s, "250-STARTTLS");
	if (smtp_auth_allowed(s) && s->user[0] == '\0')
		smtp_reply(s, "250-AUTH PLAIN LOGIN");
	smtp_reply(s, "250-PIPELINING");
	smtp_reply(s, "250 HELP");
}

static void
cmd_starttls(struct smtp_session *s, char *args)
{
	if (*args != '\0') {
		smtp_error(s, "501 5.5.4 Syntax: STARTTLS");
		return;
	}
	if (smtp_is_tls(s)) {
		smtp_error(s, "503 5.5.1 TLS already active");
		return;
	}
	if (s->ctx->tls_server == NULL) {
		smtp_error(s, "454 4.7.0 TLS not available");
		return;
	}
	smtp_reply(s, "220 2.0.0 Ready to start TLS");
	if (smtp_flush(s) == -1)
		return;
	/* Nothing the client sent in clear survives (RFC 3207 4.2). */
	iobuf_discard(s->io);
	if (smtp_tls_start(s) == -1) {
		smtp_close(s, "tls-failed");
		return;
	}
	/* RFC 3207 4.2: forget everything the client said before. */
	smtp_tx_reset(s);
	s->helo[0] = '\0';
	s->esmtp = 0;
	s->user[0] = '\0';
	smtp_enter_state(s, SMTP_STATE_CONNECTED);
}

static void
cmd_auth(struct smtp_session *s, char *args)
{
	smtp_auth(s, args);
}

/* MAIL may go on only over TLS with AUTH on submission. */
static int
mail_allowed(struct smtp_session *s)
{
	if (s->ctx->kind != LISTEN_SUBMISSION)
		return 1;
	if (!smtp_is_tls(s)) {
		smtp_error(s, "530 5.7.0 Must issue a STARTTLS command first");
		return 0;
	}
	if (s->user[0] == '\0') {
		smtp_error(s, "530 5.7.0 Authentication required");
		return 0;
	}
	return 1;
}

/* A keyword after "MAIL" or "RCPT": "FROM:" then optional blanks. */
static char *
path_start(char *args, const char *kw)
{
	size_t	n = strlen(kw);

	if (strncasecmp(args, kw, n) != 0)
		return NULL;
	args += n;
	while (*args == ' ')
		args++;
	return args;
}

static void
cmd_mail(struct smtp_session *s, char *args)
{
	struct mailaddr	 a;
	const char	*end;
	char		*p;

	if (!mail_allowed(s))
		return;
	if ((p = path_start(args, "FROM:")) == NULL ||
	    addr_parse_path(p, &a, &end) == -1 ||
	    (*end != '\0' && *end != ' ')) {
		smtp_error(s, "501 5.1.7 Syntax: MAIL FROM:<address>");
		return;
	}
	if (mail_params(s, (char *)end) == -1)
		return;
	if (s->queue == NULL) {
		smtp_reply(s, "451 4.3.0 Queue unavailable, try again later");
		return;
	}
	addr_format(&a, s->tx.sender, sizeof(s->tx.sender));
	smtp_enter_state(s, SMTP_STATE_MAIL);
	smtp_reply(s, "250 2.1.0 Ok");
}

/* SIZE=, BODY= and AUTH= (RFC 1870, 6152, 4954); 0 or -1 (replied). */
static int
mail_param(struct smtp_session *s, char *kw)
{
	long long	 size;
	char		*val;

	if ((val = strchr(kw, '=')) != NULL)
		*val++ = '\0';
	if (strcasecmp(kw, "SIZE") == 0 && val != NULL) {
		if (parse_number(val, 0, 9999999999999LL, &size) == -1) {
			smtp_error(s, "501 5.5.4 Bad SIZE value");
			return -1;
		}
		if (size > s->conf->max_message_size) {
			smtp_error(s, "552 5.3.4 Message size exceeds fixed "
			    "limit of %lld octets", s->conf->max_message_size);
			return -1;
		}
		return 0;
	}
	if (strcasecmp(kw, "BODY") == 0 && val != NULL &&
	    (strcasecmp(val, "7BIT") == 0 ||
	    strcasecmp(val, "8BITMIME") == 0)) {
		s->tx.body8bit = strcasecmp(val, "8BITMIME") == 0;
		return 0;
	}
	if (strcasecmp(kw, "AUTH") == 0 && val != NULL && *val != '\0')
		return 0;	/* RFC 4954 5: accepted, not trusted */
	smtp_error(s, "555 5.5.4 Unsupported MAIL parameter");
	return -1;
}

static int
mail_params(struct smtp_session *s, char *p)
{
	char	*kw;

	if (*p != '\0' && !s->esmtp) {
		smtp_error(s, "555 5.5.4 MAIL parameters need EHLO");
		return -1;
	}
	while ((kw = strsep(&p, " ")) != NULL) {
		if (*kw == '\0')
			continue;
		if (mail_param(s, kw) == -1)
			return -1;
	}
	return 0;
}

static void
rcpt_add(struct smtp_session *s, const char *rcpt)
{
	s->tx.rcpts = xreallocarray(s->tx.rcpts, s->tx.nrcpts + 1,
	    sizeof(*s->tx.rcpts));
	s->tx.rcpts[s->tx.nrcpts++] = xstrdup(rcpt);
	smtp_enter_state(s, SMTP_STATE_RCPT);
	smtp_reply(s, "250 2.1.5 Ok");
}

static void
cmd_rcpt(struct smtp_session *s, char *args)
{
	struct mailaddr	 a;
	const char	*end;
	char		*p, rcpt[ADDR_PATH_MAX + 1];

	if ((p = path_start(args, "TO:")) == NULL) {
		smtp_error(s, "501 5.1.3 Syntax: RCPT TO:<address>");
		return;
	}
	if ((long long)s->tx.nrcpts >= s->conf->max_recipients) {
		smtp_error(s, "452 4.5.3 Too many recipients");
		return;
	}
	if (strncasecmp(p, "<postmaster>", 12) == 0 &&
	    (p[12] == '\0' || p[12] == ' ')) {
		/* RFC 5321 4.5.1: always accepted, for the local host. */
		snprintf(rcpt, sizeof(rcpt), "postmaster@%s",
		    s->conf->hostname);
		rcpt_add(s, rcpt);
		return;
	}
	if (addr_parse_path(p, &a, &end) == -1 || a.local[0] == '\0' ||
	    a.domain[0] == '\0' || (*end != '\0' && *end != ' ')) {
		smtp_error(s, "501 5.1.3 Syntax: RCPT TO:<address>");
		return;
	}
	if (*end != '\0') {
		smtp_error(s, "555 5.5.4 Unsupported RCPT parameter");
		return;
	}
	if (rcpt_check(s, &a) == -1)
		return;
	addr_format(&a, rcpt, sizeof(rcpt));
	rcpt_add(s, rcpt);
}

/* 0: take it; -1: refused (replied). */
static int
rcpt_check(struct smtp_session *s, struct mailaddr *a)
{
	if (domains_match(s->conf->domains, a->domain))
		return rcpt_local(s, a);
	if (s->user[0] != '\0')
		return 0;
	smtp_error(s, "554 5.7.1 Relay access denied");
	return -1;
}

/* authd knows the full address, or else the local part. */
static int
rcpt_local(struct smtp_session *s, struct mailaddr *a)
{
	struct auth_user	u;
	enum auth_result	r = AUTH_TEMPFAIL;
	char			full[ADDR_PATH_MAX + 1];

	addr_format(a, full, sizeof(full));
	if (s->auth != NULL &&
	    (r = authclient_lookup(s->auth, full, &u)) == AUTH_FAIL)
		r = authclient_lookup(s->auth, a->local, &u);
	if (r == AUTH_OK)
		return 0;
	if (r == AUTH_FAIL) {
		smtp_error(s, "550 5.1.1 <%s>: Recipient address rejected: "
		    "User unknown", full);
		return -1;
	}
	log_warnx("smtp-in session=%s event=lookup result=tempfail "
	    "reason=\"%s\"", s->id, s->auth ? authclient_reason(s->auth) :
	    "authd unreachable");
	smtp_reply(s, "451 4.3.0 Recipient lookup failed, try again later");
	return -1;
}

static void
cmd_data(struct smtp_session *s, char *args)
{
	if (*args != '\0') {
		smtp_error(s, "501 5.5.4 Syntax: DATA");
		return;
	}
	smtp_data(s);
}

static void
cmd_rset(struct smtp_session *s, char *args)
{
	smtp_tx_reset(s);
	if (s->state != SMTP_STATE_CONNECTED)
		smtp_enter_state(s, SMTP_STATE_HELO);
	smtp_reply(s, "250 2.0.0 Ok");
}

static void
cmd_noop(struct smtp_session *s, char *args)
{
	smtp_reply(s, "250 2.0.0 Ok");
}

static void
cmd_quit(struct smtp_session *s, char *args)
{
	smtp_reply(s, "221 2.0.0 %s Bye", s->conf->hostname);
	smtp_close(s, "quit");
}

static void
cmd_help(struct smtp_session *s, char *args)
{
	smtp_reply(s, "214-2.0.0 Commands: HELO EHLO STARTTLS AUTH MAIL "
	    "RCPT DATA");
	smtp_reply(s, "214-2.0.0 RSET NOOP QUIT HELP VRFY");
	smtp_reply(s, "214 2.0.0 End of HELP info");
}

static void
cmd_vrfy(struct smtp_session *s, char *args)
{
	if (*args == '\0') {
		smtp_error(s, "501 5.5.4 Syntax: VRFY address");
		return;
	}
	smtp_reply(s, "252 2.5.0 Cannot VRFY user, but will accept message "
	    "and attempt delivery");
}
