/*
 * The pre-auth process: the AUTHORIZATION state as the daemon's user in
 * its chroot.  It holds TLS (implicit, or after STLS), takes USER/PASS
 * or AUTH PLAIN, asks the monitor (lib/login), and after a login relays
 * plaintext between the client and the session process.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tls.h>

#include "authproto.h"
#include "iobuf.h"
#include "log.h"
#include "login.h"
#include "pop3sd.h"
#include "sasl.h"
#include "xmalloc.h"

static __dead void	start_relay(struct pop3 *, int);

/* USER, PASS and AUTH need TLS or an address in plaintext_networks. */
static int
plaintext_refused(struct pop3 *p)
{
	if (p->is_tls || p->plaintext_ok)
		return 0;
	pop3_error(p, "[AUTH] plaintext authentication is not allowed "
	    "here; use STLS first");
	return 1;
}

int
pop3_user(struct pop3 *p, char *args)
{
	if (plaintext_refused(p))
		return -1;
	if (*args == '\0' || strlen(args) > AUTH_NAME_MAX) {
		pop3_error(p, "USER needs a name");
		return -1;
	}
	free(p->user);
	p->user = xstrdup(args);
	return pop3_reply(p, "send PASS");
}

/* Asks the monitor; does not return after a login. */
static int
do_login(struct pop3 *p, const char *user, const char *pass,
    const char *method)
{
	char			 ctx[64];
	enum login_result	 r;
	int			 fd;

	snprintf(ctx, sizeof(ctx), "tls=%s method=%s",
	    p->is_tls ? "yes" : "no", method);
	r = login_try("pop3", p->info, p->chan, user, pass, method, ctx,
	    strlen(ctx), &fd);
	if (r == LOGIN_OK)
		start_relay(p, fd);
	if (r == LOGIN_FAIL) {
		pop3_error(p, "[AUTH] invalid user name or password");
		return -1;
	}
	pop3_error(p, "[SYS/TEMP] authentication service unavailable, "
	    "try again later");
	if (r == LOGIN_ERROR) {
		p->end = "monitor-gone";
		pop3_enter_state(p, POP3_CLOSED);
	}
	return 0;
}

int
pop3_pass(struct pop3 *p, char *args)
{
	int	rv;

	if (plaintext_refused(p))
		return -1;
	if (p->user == NULL) {
		pop3_error(p, "USER first");
		return -1;
	}
	if (strlen(args) > AUTH_PASS_MAX) {
		explicit_bzero(args, strlen(args));
		pop3_error(p, "[AUTH] password too long");
		return -1;
	}
	rv = do_login(p, p->user, args, "user");
	explicit_bzero(args, strlen(args));
	free(p->user);
	p->user = NULL;
	return rv;
}

/* The client's response after "+ ": NULL when cancelled or broken. */
static char *
sasl_response(struct pop3 *p)
{
	char	*line;
	int	 rv;

	iobuf_write(p->io, "+ \r\n", 4);
	if (pop3_flush(p) == -1)
		return NULL;
	rv = login_sasl_line(p->io, p->conf->max_auth_line,
	    p->conf->max_line, &line, &p->end);
	if (rv == 0)
		return line;
	if (rv == -1)
		pop3_enter_state(p, POP3_CLOSED);
	return NULL;
}

static int
auth_plain(struct pop3 *p, char *initial)
{
	char	 user[AUTH_NAME_MAX + 1], pass[AUTH_PASS_MAX + 1];
	char	*resp = initial;
	int	 rv;

	if (resp == NULL && (resp = sasl_response(p)) == NULL) {
		if (p->state == POP3_CLOSED)
			return 0;
		pop3_error(p, "[AUTH] response too long or holding NUL");
		return -1;
	}
	if (strcmp(resp, "*") == 0) {
		pop3_error(p, "authentication cancelled");
		return -1;
	}
	if (sasl_plain_decode(resp, user, pass) == -1) {
		explicit_bzero(resp, strlen(resp));
		pop3_error(p, "[AUTH] malformed PLAIN response");
		return -1;
	}
	explicit_bzero(resp, strlen(resp));
	rv = do_login(p, user, pass, "plain");
	explicit_bzero(pass, sizeof(pass));
	return rv;
}

int
pop3_auth(struct pop3 *p, char *args)
{
	char	*argv[2];
	int	 argc;

	if (plaintext_refused(p))
		return -1;
	if ((argc = pop3_split(args, argv, 2)) == -1) {
		pop3_error(p, "AUTH takes a mechanism and a response");
		return -1;
	}
	if (argc == 0) {
		pop3_reply(p, "mechanisms follow");
		iobuf_printf(p->io, "PLAIN\r\n.\r\n");
		return 0;
	}
	if (strcasecmp(argv[0], "PLAIN") != 0) {
		pop3_error(p, "unsupported mechanism");
		return -1;
	}
	return auth_plain(p, argc == 2 ? argv[1] : NULL);
}

/* RFC 2595: nothing sent before the handshake survives it. */
int
pop3_stls(struct pop3 *p, char *args)
{
	if (*args != '\0') {
		pop3_error(p, "STLS takes no argument");
		return -1;
	}
	if (p->is_tls || p->tls_server == NULL) {
		pop3_error(p, "TLS is already active");
		return -1;
	}
	pop3_reply(p, "begin TLS negotiation");
	if (pop3_flush(p) == -1)
		return 0;
	if (login_starttls("pop3", p->info, p->tls_server, &p->tls, p->io,
	    (int)p->conf->login_timeout * 1000) == -1) {
		p->end = "tls-failed";
		pop3_enter_state(p, POP3_CLOSED);
		return 0;
	}
	p->is_tls = 1;
	free(p->user);
	p->user = NULL;
	return 0;
}

/* After the login: relay to the session until the end, then exit. */
static __dead void
start_relay(struct pop3 *p, int fd)
{
	free(p->user);
	p->user = NULL;
	login_relay_exit(p->io, p->fd, p->tls, fd, p->conf->timeout * 1000);
}

static void
greet(struct pop3 *p, struct pop3sd_ctx *x)
{
	if (login_greet_start("pop3", p->info, x->kind == LISTEN_POP3S ?
	    x->tls_server : NULL, &p->tls, p->io, p->plaintext_ok,
	    (int)p->conf->login_timeout * 1000) == -1) {
		p->end = "tls-failed";
		pop3_enter_state(p, POP3_CLOSED);
		return;
	}
	p->is_tls = p->tls != NULL;
	pop3_reply(p, "%s", x->conf->greeting);
	pop3_flush(p);
}

/* lib/login's pre-auth entry: privileges are dropped already. */
void
pop3_preauth(int client, int chan, const struct login_info *info,
    void *arg)
{
	struct pop3sd_ctx	*x = arg;
	struct pop3		 p;

	if (pledge("stdio recvfd", NULL) == -1)
		fatal("pledge");
	memset(&p, 0, sizeof(p));
	p.conf = x->conf;
	p.info = info;
	p.fd = client;
	p.chan = chan;
	p.state = POP3_AUTHORIZATION;
	p.tls_server = x->kind == LISTEN_POP3 ? x->tls_server : NULL;
	p.plaintext_ok = netmask_match(x->conf->common.nets,
	    x->conf->common.nnets, info->addr);
	p.io = iobuf_new(client, x->conf->max_line,
	    (int)x->conf->login_timeout * 1000);
	greet(&p, x);
	if (p.state != POP3_CLOSED)
		pop3_loop(&p);
	login_preauth_exit("pop3", info, "authorization", p.end, p.tls);
}
