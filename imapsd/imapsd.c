/*
 * imapsd: start-up and the master's loop.  The master stays root: it
 * binds the listeners, loads the certificate, accepts, enforces the
 * session limits and forks one monitor per connection (lib/login); it
 * never reads a byte from a client.
 *
 * Start-up order: parse the configuration, load the certificate, bind
 * the listeners, detach, loop (lib/login_master).
 */

#include <sys/types.h>

#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <tls.h>

#include "compat.h"
#include "daemon.h"
#include "imapsd.h"
#include "log.h"
#include "login.h"
#include "login_master.h"

#define IMAPSD_BUSY		"* BYE [UNAVAILABLE] too many connections, " \
				"try again later\r\n"

struct master {
	struct imapsd_conf	*conf;
	struct imapsd_ctx	 ctx;
	struct login_conf	 lc;
	struct login_master_conf mc;
};

static void	accepted(void *, int);

int
main(int argc, char *argv[])
{
	struct imapsd_conf	 conf;
	struct master		 m;
	struct daemon_opts	 o;
	struct login_master	*lm;

	daemon_options(argc, argv, "imapsd", IMAPSD_CONF, &o);
	if (imapsd_conf_load(&conf, o.conf) == -1) {
		imapsd_conf_free(&conf);
		return EX_CONFIG;
	}
	if (o.check) {
		if (o.verbose)
			imapsd_conf_print(&conf, stdout);
		fprintf(stderr, "configuration OK\n");
		imapsd_conf_free(&conf);
		return EX_OK;
	}
	memset(&m, 0, sizeof(m));
	m.conf = &conf;
	m.ctx.conf = &conf;
	m.ctx.tls_server = login_master_tls(&conf.common);
	m.lc.service = "imap";
	m.lc.max_auth = (int)conf.max_errors;
	m.lc.preauth = imap_preauth;
	m.lc.session = imap_session;
	m.lc.arg = &m.ctx;
	m.mc.lc = &m.lc;
	m.mc.common = &conf.common;
	m.mc.plaintext_kind = LISTEN_IMAP;
	m.mc.busy = IMAPSD_BUSY;
	m.mc.accepted = accepted;
	m.mc.arg = &m.ctx;
	lm = login_master_listen(&m.mc);
	if (!o.debug && daemon(0, 0) == -1)
		fatal("daemon");
	login_master_loop(lm);
	tls_free(m.ctx.tls_server);
	imapsd_conf_free(&conf);
	return EX_OK;
}

/* The monitor and its processes learn which listener took the client. */
static void
accepted(void *arg, int kind)
{
	struct imapsd_ctx	*ctx = arg;

	ctx->kind = kind;
}
