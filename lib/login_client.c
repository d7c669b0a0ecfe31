/*
 * What the pre-auth processes of pop3sd and imapsd share around their
 * protocols' words for the same steps: the first log line and implicit
 * TLS, the STARTTLS/STLS handshake, the line answering a SASL
 * challenge, the question to the monitor and the process's last log
 * line.  Log lines carry "service session=id" as every line of the
 * connection does.
 */

#include <sys/types.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <tls.h>

#include "compat.h"
#include "iobuf.h"
#include "log.h"
#include "login.h"

int
login_greet_start(const char *service, const struct login_info *info,
    struct tls *implicit, struct tls **tls, struct iobuf *io,
    int plaintext_ok, int timeout_ms)
{
	char	vis[LOG_VIS_MAX];

	log_info("%s session=%s event=connect addr=%s port=%d local_port=%d "
	    "tls=%s plaintext_ok=%s", service, info->id, log_vis(vis,
	    sizeof(vis), info->addr, strlen(info->addr)), info->port,
	    info->local_port, implicit != NULL ? "yes" : "no",
	    plaintext_ok ? "yes" : "no");
	if (implicit == NULL)
		return 0;
	return login_starttls(service, info, implicit, tls, io, timeout_ms);
}

int
login_starttls(const char *service, const struct login_info *info,
    struct tls *server, struct tls **tls, struct iobuf *io, int timeout_ms)
{
	const char	*err;

	/* RFC 2595 and RFC 3501 6.2.1: nothing read before it survives. */
	iobuf_discard(io);
	if (tls_accept_socket(server, tls, iobuf_fd(io)) == -1) {
		log_info("%s session=%s event=tls-failed error=\"%s\"",
		    service, info->id, tls_error(server));
		return -1;
	}
	iobuf_set_tls(io, *tls);
	if (iobuf_handshake(io, timeout_ms) == 0)
		return 0;
	err = errno == ETIMEDOUT ? "timeout" : tls_error(*tls);
	log_info("%s session=%s event=tls-failed error=\"%s\"", service,
	    info->id, err != NULL ? err : "handshake");
	return -1;
}

int
login_sasl_line(struct iobuf *io, size_t max, size_t restore, char **line,
    const char **end)
{
	enum iobuf_result	 r;
	size_t			 len;
	int			 flags;

	iobuf_set_maxline(io, max);
	r = iobuf_getline(io, line, &len, &flags);
	iobuf_set_maxline(io, restore);
	if (r == IOBUF_OK && !(flags & (IOBUF_NUL | IOBUF_PARTIAL)))
		return 0;
	if (r == IOBUF_OK || r == IOBUF_TOOLONG)
		return 1;
	*end = r == IOBUF_TIMEOUT ? "timeout" : "dropped";
	return -1;
}

enum login_result
login_try(const char *service, const struct login_info *info, int chan,
    const char *user, const char *pass, const char *method, const void *ctx,
    size_t ctxlen, int *fd)
{
	char			 vis[LOG_VIS_MAX];
	enum login_result	 r;

	r = login_auth(chan, user, pass, ctx, ctxlen, fd, NULL, 0);
	if (r != LOGIN_OK)
		log_info("%s session=%s event=login-failed user=%s method=%s "
		    "result=%s", service, info->id, log_vis(vis, sizeof(vis),
		    user, strlen(user)), method, r == LOGIN_FAIL ? "fail" :
		    "tempfail");
	return r;
}

void
login_preauth_exit(const char *service, const struct login_info *info,
    const char *state, const char *end, struct tls *tls)
{
	log_info("%s session=%s event=disconnect state=%s result=%s",
	    service, info->id, state, end != NULL ? end : "closed");
	if (tls != NULL)
		tls_close(tls);
	_exit(0);
}
