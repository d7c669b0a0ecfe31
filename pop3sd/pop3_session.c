/*
 * The POP3 protocol engine both processes run: the command table (verb,
 * states where it is allowed, handler), the one function that changes
 * state, the bounded line loop, replies, CAPA and QUIT.
 */

#include <sys/types.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iobuf.h"
#include "log.h"
#include "pop3sd.h"

#define AUTHZ	POP3_AUTHORIZATION
#define TRANS	POP3_TRANSACTION

static int	pop3_capa(struct pop3 *, char *);
static int	pop3_noop(struct pop3 *, char *);
static int	pop3_quit(struct pop3 *, char *);

static const struct pop3_command pop3_commands[] = {
	{ "CAPA", AUTHZ | TRANS, pop3_capa },
	{ "QUIT", AUTHZ | TRANS, pop3_quit },
	{ "USER", AUTHZ, pop3_user },
	{ "PASS", AUTHZ, pop3_pass },
	{ "AUTH", AUTHZ, pop3_auth },
	{ "STLS", AUTHZ, pop3_stls },
	{ "STAT", TRANS, pop3_stat },
	{ "LIST", TRANS, pop3_list },
	{ "RETR", TRANS, pop3_retr },
	{ "DELE", TRANS, pop3_dele },
	{ "NOOP", TRANS, pop3_noop },
	{ "RSET", TRANS, pop3_rset },
	{ "TOP", TRANS, pop3_top },
	{ "UIDL", TRANS, pop3_uidl }
};

static const char *
state_name(enum pop3_state s)
{
	switch (s) {
	case POP3_AUTHORIZATION:
		return "authorization";
	case POP3_TRANSACTION:
		return "transaction";
	case POP3_UPDATE:
		return "update";
	case POP3_CLOSED:
		return "closed";
	}
	return "unknown";
}

void
pop3_enter_state(struct pop3 *p, enum pop3_state s)
{
	log_debug("pop3 session=%s event=state from=%s to=%s", p->info->id,
	    state_name(p->state), state_name(s));
	p->state = s;
}

void
pop3_log(struct pop3 *p, const char *fmt, ...)
{
	char	buf[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_info("pop3 session=%s %s", p->info->id, buf);
}

static int
vreply(struct pop3 *p, const char *status, const char *fmt, va_list ap)
{
	char	buf[POP3_RESP_MAX - 2];
	int	n, m;

	n = snprintf(buf, sizeof(buf), "%s", status);
	m = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (m < 0)
		m = 0;
	if ((size_t)(n + m) >= sizeof(buf))
		m = sizeof(buf) - 1 - n;
	p->bytes_out += n + m + 2;
	if (iobuf_write(p->io, buf, n + m) == -1 ||
	    iobuf_write(p->io, "\r\n", 2) == -1)
		return -1;
	return 0;
}

/* "+OK <text>", at most POP3_RESP_MAX octets with its CRLF. */
int
pop3_reply(struct pop3 *p, const char *fmt, ...)
{
	va_list	ap;
	int	rv;

	va_start(ap, fmt);
	rv = vreply(p, "+OK ", fmt, ap);
	va_end(ap);
	return rv;
}

/* "-ERR <text>"; the caller decides whether it counts as an error. */
int
pop3_error(struct pop3 *p, const char *fmt, ...)
{
	va_list	ap;
	int	rv;

	va_start(ap, fmt);
	rv = vreply(p, "-ERR ", fmt, ap);
	va_end(ap);
	return rv;
}

int
pop3_flush(struct pop3 *p)
{
	if (iobuf_flush(p->io) == -1) {
		if (p->end == NULL)
			p->end = "write-failed";
		pop3_enter_state(p, POP3_CLOSED);
		return -1;
	}
	return 0;
}

/* Splits args at spaces into at most max words; -1 when there are more. */
int
pop3_split(char *args, char **argv, int max)
{
	char	*save = NULL, *w;
	int	 n = 0;

	for (w = strtok_r(args, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		if (n == max)
			return -1;
		argv[n++] = w;
	}
	return n;
}

static int
pop3_capa(struct pop3 *p, char *args)
{
	int	plain = p->is_tls || p->plaintext_ok;

	if (*args != '\0') {
		pop3_error(p, "CAPA takes no argument");
		return -1;
	}
	pop3_reply(p, "Capability list follows");
	iobuf_printf(p->io, "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
	    "PIPELINING\r\n");
	if (p->state == POP3_AUTHORIZATION && plain)
		iobuf_printf(p->io, "USER\r\nSASL PLAIN\r\n");
	if (p->state == POP3_AUTHORIZATION && !p->is_tls &&
	    p->tls_server != NULL)
		iobuf_printf(p->io, "STLS\r\n");
	if (p->state == POP3_TRANSACTION)
		iobuf_printf(p->io, "EXPIRE NEVER\r\nLOGIN-DELAY 0\r\n");
	iobuf_printf(p->io, "IMPLEMENTATION buzon\r\n.\r\n");
	return 0;
}

static int
pop3_noop(struct pop3 *p, char *args)
{
	if (*args != '\0') {
		pop3_error(p, "NOOP takes no argument");
		return -1;
	}
	return pop3_reply(p, "noop");
}

static int
pop3_quit(struct pop3 *p, char *args)
{
	if (*args != '\0') {
		pop3_error(p, "QUIT takes no argument");
		return -1;
	}
	p->end = "quit";
	if (p->state == POP3_TRANSACTION) {
		pop3_enter_state(p, POP3_UPDATE);
		pop3_update(p);		/* replies itself */
	} else
		pop3_reply(p, "bye");
	pop3_enter_state(p, POP3_CLOSED);
	return 0;
}

static const struct pop3_command *
lookup(const char *verb)
{
	size_t	i;

	for (i = 0; i < nitems(pop3_commands); i++)
		if (strcasecmp(pop3_commands[i].verb, verb) == 0)
			return &pop3_commands[i];
	return NULL;
}

/* One command line; a handler's -1 counts as a protocol error. */
static void
dispatch(struct pop3 *p, char *line)
{
	const struct pop3_command	*c;
	char				*args, vis[LOG_VIS_MAX];
	int				 r;

	if ((args = strchr(line, ' ')) != NULL)
		*args++ = '\0';
	else
		args = line + strlen(line);
	if ((c = lookup(line)) == NULL) {
		log_debug("pop3 session=%s event=unknown-command verb=%s",
		    p->info->id, log_vis(vis, sizeof(vis), line,
		    strlen(line)));
		pop3_error(p, "unknown command");
		r = -1;
	} else if ((c->states & p->state) == 0) {
		pop3_error(p, "%s not allowed in the %s state", c->verb,
		    state_name(p->state));
		r = -1;
	} else
		r = c->fn(p, args);
	if (r == -1)
		p->errors++;
}

/* A line that is no command: too long, NUL, bare CR; 0 to go on. */
static int
bad_line(struct pop3 *p, enum iobuf_result r, int flags)
{
	if (r == IOBUF_TOOLONG)
		pop3_error(p, "line too long (limit %lld octets)",
		    p->conf->max_line);
	else if (flags & IOBUF_NUL)
		pop3_error(p, "NUL in command line");
	else if (flags & IOBUF_BARECR)
		pop3_error(p, "bare CR in command line");
	else
		return 0;
	p->errors++;
	return 1;
}

static void
loop_end(struct pop3 *p, enum iobuf_result r)
{
	if (r == IOBUF_TIMEOUT) {
		pop3_error(p, "autologout: idle for too long");
		pop3_flush(p);
		p->end = "timeout";
	} else
		p->end = r == IOBUF_EOF ? "dropped" : "read-error";
	pop3_enter_state(p, POP3_CLOSED);
}

void
pop3_loop(struct pop3 *p)
{
	enum iobuf_result	 r;
	char			*line;
	size_t			 len;
	int			 flags = 0;

	while (p->state != POP3_CLOSED) {
		if (iobuf_pending(p->io) == 0 && pop3_flush(p) == -1)
			break;
		r = iobuf_getline(p->io, &line, &len, &flags);
		if (r == IOBUF_OK && (flags & IOBUF_PARTIAL))
			r = IOBUF_EOF;	/* no command without its line end */
		if (r != IOBUF_OK && r != IOBUF_TOOLONG) {
			loop_end(p, r);
			break;
		}
		if (!bad_line(p, r, flags))
			dispatch(p, line);
		if (p->errors >= p->conf->max_errors &&
		    p->state != POP3_CLOSED) {
			pop3_error(p, "too many errors");
			p->end = "errors";
			pop3_enter_state(p, POP3_CLOSED);
		}
	}
	pop3_flush(p);
}
