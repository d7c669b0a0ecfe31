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

#include "authclient.h"
#include "compat.h"
#include "daemon.h"
#include "log.h"
#include "login.h"
#include "login_master.h"
#include "imapsd.h"

#define IMAPSD_BUSY		"* BYE [UNAVAILABLE] too many connections, " \
				"try again later\r\n"

struct master {
	struct imapsd_conf	*conf;
	struct imapsd_ctx	 ctx;
	struct login_conf	 lc;
	struct login_listen	 listen[IMAPSD_LISTEN_MAX];
	struct login_master_conf mc;
};

static void	tls_setup(struct master *);
static void	accepted(void *, int);

int
main(int argc, char *argv[])
{
	struct imapsd_conf	 conf;
	struct master		 m;
	struct daemon_opts	 o;
	struct login_master	*lm;
	size_t			 i;

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
	tls_setup(&m);
	for (i = 0; i < conf.nlisten; i++) {
		m.listen[i].addr = conf.listen[i].addr;
		m.listen[i].port = conf.listen[i].port;
		m.listen[i].kind = conf.listen[i].kind;
		m.listen[i].plaintext = conf.listen[i].kind == LISTEN_IMAP;
		m.listen[i].name = conf.listen[i].kind == LISTEN_IMAPS ?
		    "imaps" : "imap";
	}
	m.mc.lc = &m.lc;
	m.mc.listen = m.listen;
	m.mc.nlisten = conf.nlisten;
	m.mc.max_sessions = conf.max_sessions;
	m.mc.max_sessions_per_addr = conf.max_sessions_per_addr;
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

static void
tls_setup(struct master *m)
{
	struct tls_config	*cfg;

	if ((cfg = tls_config_new()) == NULL)
		fatalx("tls_config_new");
	if (tls_config_set_cert_file(cfg, m->conf->tls_cert) == -1 ||
	    tls_config_set_key_file(cfg, m->conf->tls_key) == -1)
		fatalx("tls: %s", tls_config_error(cfg));
	if ((m->ctx.tls_server = tls_server()) == NULL ||
	    tls_configure(m->ctx.tls_server, cfg) == -1)
		fatalx("tls: %s", m->ctx.tls_server ?
		    tls_error(m->ctx.tls_server) : "tls_server");
	tls_config_free(cfg);
	m->ctx.conf = m->conf;
	m->lc.service = "imap";
	m->lc.authd_socket = m->conf->authd_socket;
	m->lc.authd_timeout_ms = AUTHCLIENT_TIMEOUT;
	m->lc.user = m->conf->user;
	m->lc.chroot = m->conf->chroot;
	m->lc.max_auth = (int)m->conf->max_errors;
	m->lc.preauth = imap_preauth;
	m->lc.session = imap_session;
	m->lc.arg = &m->ctx;
}

/* The monitor and its processes learn which listener took the client. */
static void
accepted(void *arg, int kind)
{
	struct imapsd_ctx	*ctx = arg;

	ctx->kind = kind;
}
