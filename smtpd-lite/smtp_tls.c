/*
 * TLS for a session: implicit on smtps listeners, after STARTTLS
 * (RFC 3207) elsewhere.  The master configured the server context with
 * the key pair before any fork; here the session only accepts on its
 * socket and runs the handshake within tls_timeout.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <tls.h>

#include "iobuf.h"
#include "log.h"
#include "smtpd.h"

/* 0, or -1 after a log line (the connection is then useless). */
int
smtp_tls_start(struct smtp_session *s)
{
	if (tls_accept_socket(s->ctx->tls_server, &s->tls, s->ctx->fd) == -1) {
		log_warnx("smtp-in session=%s event=tls result=fail "
		    "error=\"%s\"", s->id, tls_error(s->ctx->tls_server));
		s->tls = NULL;
		return -1;
	}
	iobuf_set_tls(s->io, s->tls);
	if (iobuf_handshake(s->io, (int)s->conf->tls_timeout * 1000) == -1) {
		log_info("smtp-in session=%s event=tls result=fail "
		    "error=\"%s\"", s->id, errno == ETIMEDOUT ? "timeout" :
		    tls_error(s->tls) ? tls_error(s->tls) : "handshake");
		return -1;
	}
	log_info("smtp-in session=%s event=tls result=ok version=%s "
	    "cipher=%s", s->id, smtp_tls_version(s), smtp_tls_cipher(s));
	return 0;
}

const char *
smtp_tls_version(struct smtp_session *s)
{
	const char	*v;

	if (s->tls == NULL || (v = tls_conn_version(s->tls)) == NULL)
		return "-";
	return v;
}

const char *
smtp_tls_cipher(struct smtp_session *s)
{
	const char	*v;

	if (s->tls == NULL || (v = tls_conn_cipher(s->tls)) == NULL)
		return "-";
	return v;
}
