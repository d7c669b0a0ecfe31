/*
 * What both imapsd processes share: responses, the capability list of
 * the moment, the command loop over lib/imapcmd, and the commands valid
 * in every state (CAPABILITY, NOOP, LOGOUT, ID).
 */

#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapsd.h"
#include "iobuf.h"
#include "log.h"
#include "xmalloc.h"

static int	imap_cont(void *, size_t);
static void	imap_tagged(struct imap *, struct imapcmd *, const char *,
		    const char *, va_list) __attribute__((__format__(printf,
		    4, 0)));
static void	imap_dispatch(struct imap *, struct imapcmd *,
		    const struct imap_command *const *);

void
imap_log(struct imap *p, const char *fmt, ...)
{
	char	buf[LOG_LINE_MAX];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_info("imap session=%s %s", p->info->id, buf);
}

int
imap_flush(struct imap *p)
{
	if (iobuf_flush(p->io) == 0)
		return 0;
	if (p->state != IMAP_LOGOUT) {
		p->end = "write-failed";
		p->state = IMAP_LOGOUT;
	}
	return -1;
}

/* RFC 3501 7.5: "+" before each synchronizing literal, flushed. */
static int
imap_cont(void *arg, size_t n)
{
	struct imap	*p = arg;

	(void)n;
	iobuf_write(p->io, "+ Ready for literal data\r\n", 26);
	return imap_flush(p);
}

/* Reads commands with timeout seconds of patience each. */
void
imap_start(struct imap *p, long long timeout)
{
	struct imapcmd_limits	lim;

	imapcmd_limits_default(&lim);
	lim.line_max = p->conf->max_line;
	lim.literal_max = p->conf->max_literal;
	lim.append_max = p->conf->max_append;
	iobuf_set_timeout(p->io, (int)(timeout * 1000));
	if (p->reader != NULL)
		imapcmd_reader_free(p->reader);
	p->reader = imapcmd_reader_new(p->io, &lim, imap_cont, p);
}

void
imap_untagged(struct imap *p, const char *fmt, ...)
{
	va_list	ap;

	iobuf_write(p->io, "* ", 2);
	va_start(ap, fmt);
	iobuf_vprintf(p->io, fmt, ap);
	va_end(ap);
	iobuf_write(p->io, "\r\n", 2);
}

static void
imap_tagged(struct imap *p, struct imapcmd *c, const char *word,
    const char *fmt, va_list ap)
{
	iobuf_printf(p->io, "%s %s ", c != NULL && c->tag != NULL ?
	    c->tag : "*", word);
	iobuf_vprintf(p->io, fmt, ap);
	iobuf_write(p->io, "\r\n", 2);
}

int
imap_ok(struct imap *p, struct imapcmd *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	imap_tagged(p, c, "OK", fmt, ap);
	va_end(ap);
	return 0;
}

int
imap_no(struct imap *p, struct imapcmd *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	imap_tagged(p, c, "NO", fmt, ap);
	va_end(ap);
	return 0;
}

/* Counts against max_errors: past it the connection ends. */
int
imap_bad(struct imap *p, struct imapcmd *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	imap_tagged(p, c, "BAD", fmt, ap);
	va_end(ap);
	if (++p->errors >= p->conf->max_errors)
		imap_bye(p, "too many bad commands", "errors");
	return -1;
}

void
imap_bye(struct imap *p, const char *text, const char *why)
{
	imap_untagged(p, "BYE %s", text);
	p->end = why;
	p->state = IMAP_LOGOUT;
}

/*
 * Only what is complete is announced (RFC 3501 7.2.1).  Before login:
 * STARTTLS where it can start, AUTH=PLAIN or LOGINDISABLED as the
 * connection allows.
 */
const char *
imap_capability(const struct imap *p)
{
	static char	buf[256];

	strlcpy(buf, "IMAP4rev1 LITERAL+ ID", sizeof(buf));
	if (p->state != IMAP_NOTAUTH) {
		/* imap_mailbox.c, imap_list.c */
		strlcat(buf, " NAMESPACE CHILDREN SPECIAL-USE LIST-EXTENDED"
		    " LIST-STATUS", sizeof(buf));
		strlcat(buf, " UNSELECT", sizeof(buf));	/* imap_select.c */
		strlcat(buf, " IDLE ENABLE", sizeof(buf));	/* imap_idle.c */
		/* imap_store.c, imap_copy.c, imap_append.c */
		strlcat(buf, " UIDPLUS MOVE", sizeof(buf));
		return buf;
	}
	strlcat(buf, " SASL-IR", sizeof(buf));
	if (!p->is_tls && p->tls_server != NULL)
		strlcat(buf, " STARTTLS", sizeof(buf));
	if (p->is_tls || p->plaintext_ok)
		strlcat(buf, " AUTH=PLAIN", sizeof(buf));
	else
		strlcat(buf, " LOGINDISABLED", sizeof(buf));
	return buf;
}

int
imap_capability_cmd(struct imap *p, struct imapcmd *c)
{
	if (c->nargs != 0)
		return imap_bad(p, c, "CAPABILITY takes no argument");
	imap_untagged(p, "CAPABILITY %s", imap_capability(p));
	return imap_ok(p, c, "CAPABILITY completed");
}

int
imap_noop(struct imap *p, struct imapcmd *c)
{
	if (c->nargs != 0)
		return imap_bad(p, c, "NOOP takes no argument");
	imap_select_update(p, 0);	/* RFC 3501 6.1.2 */
	return imap_ok(p, c, "NOOP completed");
}

int
imap_logout(struct imap *p, struct imapcmd *c)
{
	if (c->nargs != 0)
		return imap_bad(p, c, "LOGOUT takes no argument");
	imap_untagged(p, "BYE logging out");
	imap_ok(p, c, "LOGOUT completed");
	p->end = "logout";
	p->state = IMAP_LOGOUT;
	return 0;
}

/* RFC 2971: the client's list is checked and logged, ours is short. */
int
imap_id(struct imap *p, struct imapcmd *c)
{
	struct imapcmd_node	*n;
	const char		*s;
	char			 vis[LOG_VIS_MAX], name[LOG_VIS_MAX];
	size_t			 len, i = 0;

	if (c->nargs != 1)
		return imap_bad(p, c, "ID takes one argument");
	if (c->args->type == IMAPCMD_LIST) {
		if (c->args->nchild % 2 != 0 ||
		    c->args->nchild > 2 * IMAP_ID_PAIRS_MAX)
			return imap_bad(p, c, "ID takes up to 30 field-value "
			    "pairs");
		for (n = c->args->child; n != NULL; n = n->next, i++) {
			if (n->type == IMAPCMD_NIL && i % 2 == 1)
				continue;
			if (imapcmd_string(n, &s, &len) == -1 ||
			    len > IMAP_ID_FIELD_MAX)
				return imap_bad(p, c, "ID fields are strings "
				    "of at most 1024 octets");
			if (i % 2 == 0)
				log_vis(name, sizeof(name), s, len);
			else if (strcasecmp(name, "name") == 0 ||
			    strcasecmp(name, "version") == 0)
				imap_log(p, "event=id %s=%s", name,
				    log_vis(vis, sizeof(vis), s, len));
		}
	} else if (c->args->type != IMAPCMD_NIL)
		return imap_bad(p, c, "ID takes a list or NIL");
	imap_untagged(p, "ID (\"name\" \"buzon imapsd\" \"vendor\" "
	    "\"buzon\")");
	return imap_ok(p, c, "ID completed");
}

static void
imap_dispatch(struct imap *p, struct imapcmd *c,
    const struct imap_command *const *tables)
{
	const struct imap_command	*t;

	for (; *tables != NULL; tables++) {
		for (t = *tables; t->name != NULL; t++) {
			if (strcmp(t->name, c->name) != 0)
				continue;
			if (!(t->states & p->state) || t->fn == NULL) {
				imap_bad(p, c, "%s is not valid %s", c->name,
				    p->state == IMAP_NOTAUTH ?
				    "before login" : "in this state");
				return;
			}
			t->fn(p, c);
			return;
		}
	}
	imap_bad(p, c, "unknown command");
}

/* Reads, answers and flushes command after command until LOGOUT. */
void
imap_loop(struct imap *p, const struct imap_command *const *tables)
{
	struct imapcmd		*c;
	enum imapcmd_result	 r;

	while (p->state != IMAP_LOGOUT) {
		r = imapcmd_read(p->reader, &c);
		switch (r) {
		case IMAPCMD_OK:
			imap_dispatch(p, c, tables);
			break;
		case IMAPCMD_BAD:
			imap_bad(p, c, "%s", c->reason);
			break;
		case IMAPCMD_NO:
			imap_no(p, c, "[TOOBIG] %s", c->reason);
			break;
		case IMAPCMD_CLOSE:
			imap_bye(p, c->reason, "protocol-error");
			break;
		case IMAPCMD_TIMEOUT:
			imap_bye(p, "autologout; idle for too long",
			    "timeout");
			break;
		case IMAPCMD_EOF:
			p->end = "dropped";
			p->state = IMAP_LOGOUT;
			break;
		case IMAPCMD_ERROR:
			p->end = "read-error";
			p->state = IMAP_LOGOUT;
			break;
		}
		imapcmd_free(c);
		imap_flush(p);
	}
}
