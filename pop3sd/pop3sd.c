/*
 * pop3sd: start-up and the master's loop.  The master stays root: it
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
#include "log.h"
#include "login.h"
#include "login_master.h"
#include "pop3sd.h"

#define POP3SD_BUSY		"-ERR [SYS/TEMP] too many connections, " \
				"try again later\r\n"

int
main(int argc, char *argv[])
{
	struct pop3sd_conf	 conf;
	struct pop3sd_ctx	 ctx;
	struct login_conf	 lc;
	struct login_master_conf mc;
	struct daemon_opts	 o;

	daemon_options(argc, argv, "pop3sd", POP3SD_CONF, &o);
	if (pop3sd_conf_load(&conf, o.conf) == -1) {
		pop3sd_conf_free(&conf);
		return EX_CONFIG;
	}
	if (o.check) {
		if (o.verbose)
			pop3sd_conf_print(&conf, stdout);
		fprintf(stderr, "configuration OK\n");
		pop3sd_conf_free(&conf);
		return EX_OK;
	}
	memset(&ctx, 0, sizeof(ctx));
	memset(&lc, 0, sizeof(lc));
	memset(&mc, 0, sizeof(mc));
	ctx.conf = &conf;
	lc.service = "pop3";
	lc.max_auth = (int)conf.max_errors;
	lc.preauth = pop3_preauth;
	lc.session = pop3_session;
	lc.arg = &ctx;
	mc.lc = &lc;
	mc.common = &conf.common;
	mc.plaintext_kind = LISTEN_POP3;
	mc.busy = POP3SD_BUSY;
	mc.kind = &ctx.kind;
	login_master_run(&mc, &ctx.tls_server, o.debug);
	pop3sd_conf_free(&conf);
	return EX_OK;
}
