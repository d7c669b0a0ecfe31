/*
 * The pre-auth process: the not-authenticated state as the daemon's
 * user in its chroot.  It holds TLS (implicit, or after STARTTLS), takes
 * LOGIN or AUTHENTICATE PLAIN, asks the monitor (lib/login), and after
 * a login relays plaintext between the client and the session process,
 * which answers the login command itself: the tag travels in the login
 * context.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <tls.h>

#include "compat.h"
#include "imapsd.h"
#include "iobuf.h"
#include "log.h"
#include "login.h"
#include "sasl.h"

static int	imap_starttls(struct imap *, struct imapcmd *);
static int	imap_login(struct imap *, struct imapcmd *);
static int	imap_authenticate(struct imap *, struct imapcmd *);
static int	plaintext_refused(struct imap *, struct imapcmd *);
static int	do_login(struct imap *, struct imapcmd *, const char *,
		    const char *, const char *);
static char	*sasl_response(struct imap *);
static __dead void start_relay(struct imap *, int);
static void	greet(struct imap *, struct imapsd_ctx *);

static const struct imap_command preauth_commands[] = {
	{ "CAPABILITY", IMAP_NOTAUTH, imap_capability_cmd },
	{ "NOOP", IMAP_NOTAUTH, imap_noop },
	{ "LOGOUT", IMAP_NOTAUTH, imap_logout },
	{ "ID", IMAP_NOTAUTH, imap_id },
	{ "STARTTLS", IMAP_NOTAUTH, imap_starttls },
	{ "LOGIN", IMAP_NOTAUTH, imap_login },
	{ "AUTHENTICATE", IMAP_NOTAUTH, imap_authenticate },
	/* Valid after login: said so, rather than "unknown". */
	{ "SELECT", IMAP_AUTH, NULL }, { "EXAMINE", IMAP_AUTH, NULL },
	{ "CREATE", IMAP_AUTH, NULL }, { "DELETE", IMAP_AUTH, NULL },
	{ "RENAME", IMAP_AUTH, NULL }, { "SUBSCRIBE", IMAP_AUTH, NULL },
	{ "UNSUBSCRIBE", IMAP_AUTH, NULL }, { "LIST", IMAP_AUTH, NULL },
	{ "LSUB", IMAP_AUTH, NULL }, { "STATUS", IMAP_AUTH, NULL },
	{ "APPEND", IMAP_AUTH, NULL }, { "ENABLE", IMAP_AUTH, NULL },
	{ "NAMESPACE", IMAP_AUTH, NULL }, { "IDLE", IMAP_AUTH, NULL },
	{ "CHECK", IMAP_AUTH, NULL }, { "CLOSE", IMAP_AUTH, NULL },
	{ "UNSELECT", IMAP_AUTH, NULL }, { "EXPUNGE", IMAP_AUTH, NULL },
	{ "SEARCH", IMAP_AUTH, NULL }, { "FETCH", IMAP_AUTH, NULL },
	{ "STORE", IMAP_AUTH, NULL }, { "COPY", IMAP_AUTH, NULL },
	{ "MOVE", IMAP_AUTH, NULL }, { "UID", IMAP_AUTH, NULL },
	{ NULL, 0, NULL }
};

static imap_tables preauth_tables = { preauth_commands, NULL };

/* RFC 3501 6.2: with LOGINDISABLED, no password crosses in clear. */
static int
plaintext_refused(struct imap *p, struct imapcmd *c)
{
	if (p->is_tls || p->plaintext_ok)
		return 0;
	imap_no(p, c, "[PRIVACYREQUIRED] plaintext authentication is not "
	    "allowed here; use STARTTLS first");
	return 1;
}

/* RFC 3501 6.2.1: nothing sent before the handshake survives it. */
static int
imap_starttls(struct imap *p, struct imapcmd *c)
{
	if (c->nargs != 0)
		return imap_bad(p, c, "STARTTLS takes no argument");
	if (p->is_tls || p->tls_server == NULL)
		return imap_bad(p, c, "TLS is already active");
	imap_ok(p, c, "begin TLS negotiation now");
	if (imap_flush(p) == -1)
		return 0;
	if (login_starttls("imap", p->info, p->tls_server, &p->tls, p->io,
	    (int)p->conf->login_timeout * 1000) == -1) {
		p->end = "tls-failed";
		p->state = IMAP_LOGOUT;
		return 0;
	}
	p->is_tls = 1;
	return 0;
}

/* Asks the monitor; does not return after a login. */
static int
do_login(struct imap *p, struct imapcmd *c, const char *user,
    const char *pass, const char *method)
{
	char			 ctx[LOGIN_CTX_MAX];
	enum login_result	 r;
	int			 fd, n;

	/* The session answers with this tag: see imap_session.c. */
	n = snprintf(ctx, sizeof(ctx), "%d %s %s", p->is_tls, method,
	    c->tag);
	if (n < 0 || (size_t)n >= sizeof(ctx))
		return imap_bad(p, c, "tag too long");
	r = login_try("imap", p->info, p->chan, user, pass, method, ctx, n,
	    &fd);
	if (r == LOGIN_OK)
		start_relay(p, fd);
	if (r == LOGIN_FAIL)
		return imap_no(p, c, "[AUTHENTICATIONFAILED] invalid user "
		    "name or password");
	imap_no(p, c, "[UNAVAILABLE] authentication service unavailable, "
	    "try again later");
	if (r == LOGIN_ERROR) {
		p->end = "monitor-gone";
		p->state = IMAP_LOGOUT;
	}
	return 0;
}

static int
imap_login(struct imap *p, struct imapcmd *c)
{
	const char	*user, *pass;
	size_t		 ulen, plen;

	if (c->nargs != 2 ||
	    imapcmd_astring(c->args, &user, &ulen) == -1 ||
	    imapcmd_astring(c->args->next, &pass, &plen) == -1)
		return imap_bad(p, c, "LOGIN takes a user name and a "
		    "password");
	if (plaintext_refused(p, c))
		return 0;
	if (ulen == 0 || ulen > AUTH_NAME_MAX || plen > AUTH_PASS_MAX)
		return imap_no(p, c, "[AUTHENTICATIONFAILED] invalid user "
		    "name or password");
	return do_login(p, c, user, pass, "login");
}

/* The client's response after "+ ": NULL when broken (p says why). */
static char *
sasl_response(struct imap *p)
{
	char	*line;
	int	 rv;

	iobuf_write(p->io, "+ \r\n", 4);
	if (imap_flush(p) == -1)
		return NULL;
	rv = login_sasl_line(p->io, p->conf->max_auth_line,
	    p->conf->max_line, &line, &p->end);
	if (rv == 0)
		return line;
	if (rv == -1)
		p->state = IMAP_LOGOUT;
	return NULL;
}

/* RFC 3501 6.2.2 with SASL-IR (RFC 4959); PLAIN only (RFC 4616). */
static int
imap_authenticate(struct imap *p, struct imapcmd *c)
{
	char		 user[AUTH_NAME_MAX + 1], pass[AUTH_PASS_MAX + 1];
	char		*resp;
	const char	*ir = NULL;
	size_t		 len;
	int		 rv;

	if (c->nargs < 1 || c->nargs > 2 || c->args->type != IMAPCMD_ATOM ||
	    (c->nargs == 2 && c->args->next->type != IMAPCMD_ATOM))
		return imap_bad(p, c, "AUTHENTICATE takes a mechanism and "
		    "an initial response");
	if (strcasecmp(c->args->str, "PLAIN") != 0)
		return imap_no(p, c, "unsupported mechanism");
	if (plaintext_refused(p, c))
		return 0;
	if (c->nargs == 2)
		ir = c->args->next->str;
	if (ir != NULL)
		resp = (char *)ir;
	else if ((resp = sasl_response(p)) == NULL) {
		if (p->state == IMAP_LOGOUT)
			return 0;
		return imap_bad(p, c, "response too long or holding NUL");
	}
	len = strlen(resp);
	if (strcmp(resp, "*") == 0)
		return imap_bad(p, c, "authentication cancelled");
	rv = sasl_plain_decode(resp, user, pass);
	explicit_bzero(resp, len);
	if (rv == -1)
		return imap_bad(p, c, "malformed PLAIN response");
	rv = do_login(p, c, user, pass, "plain");
	explicit_bzero(pass, sizeof(pass));
	return rv;
}

/* After the login: relay to the session until the end, then exit. */
static __dead void
start_relay(struct imap *p, int fd)
{
	imapcmd_reader_free(p->reader);
	p->reader = NULL;
	login_relay_exit(p->io, p->fd, p->tls, fd, p->conf->timeout * 1000);
}

static void
greet(struct imap *p, struct imapsd_ctx *x)
{
	if (login_greet_start("imap", p->info, x->kind == LISTEN_IMAPS ?
	    x->tls_server : NULL, &p->tls, p->io, p->plaintext_ok,
	    (int)p->conf->login_timeout * 1000) == -1) {
		p->end = "tls-failed";
		p->state = IMAP_LOGOUT;
		return;
	}
	p->is_tls = p->tls != NULL;
	imap_untagged(p, "OK [CAPABILITY %s] buzon imapsd ready",
	    imap_capability(p));
	imap_flush(p);
}

/* lib/login's pre-auth entry: privileges are dropped already. */
void
imap_preauth(int client, int chan, const struct login_info *info,
    void *arg)
{
	struct imapsd_ctx	*x = arg;
	struct imap		 p;

	if (pledge("stdio recvfd", NULL) == -1)
		fatal("pledge");
	memset(&p, 0, sizeof(p));
	p.conf = x->conf;
	p.info = info;
	p.fd = client;
	p.chan = chan;
	p.state = IMAP_NOTAUTH;
	p.tls_server = x->kind == LISTEN_IMAP ? x->tls_server : NULL;
	p.plaintext_ok = netmask_match(x->conf->common.nets,
	    x->conf->common.nnets, info->addr);
	p.io = iobuf_new(client, x->conf->max_line,
	    (int)x->conf->login_timeout * 1000);
	imap_start(&p, x->conf->login_timeout);
	greet(&p, x);
	if (p.state != IMAP_LOGOUT)
		imap_loop(&p, preauth_tables);
	login_preauth_exit("imap", info, "not-authenticated", p.end, p.tls);
}
