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

int
main(int argc, char *argv[])
{
	struct imapsd_conf	 conf;
	struct imapsd_ctx	 ctx;
	struct login_conf	 lc;
	struct login_master_conf mc;
	struct daemon_opts	 o;

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
	memset(&ctx, 0, sizeof(ctx));
	memset(&lc, 0, sizeof(lc));
	memset(&mc, 0, sizeof(mc));
	ctx.conf = &conf;
	lc.service = "imap";
	lc.max_auth = (int)conf.max_errors;
	lc.preauth = imap_preauth;
	lc.session = imap_session;
	lc.arg = &ctx;
	mc.lc = &lc;
	mc.common = &conf.common;
	mc.plaintext_kind = LISTEN_IMAP;
	mc.busy = IMAPSD_BUSY;
	mc.kind = &ctx.kind;
	login_master_run(&mc, &ctx.tls_server, o.debug);
	imapsd_conf_free(&conf);
	return EX_OK;
}
