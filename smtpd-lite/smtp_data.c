/*
 * DATA: the message body, streamed to mailqueue as it arrives, with our
 * Received: header in front (RFC 5321 4.4), sent with QP_F_RECEIVED.
 *
 * Input discipline: the data ends only at CRLF "." CRLF, where the "."
 * line follows a line that ended in CRLF; a bare CR or LF anywhere, a
 * NUL, a line over max_data_line or a message over max_message_size
 * stops the forwarding (the queue drops what it got) but the data is
 * still read to its real end, so the cost stays bounded and nothing
 * that follows is ever taken for a command.  Then a 5xx.  The client
 * hears 250 only once mailqueue has committed the message.
 */

#include <sys/types.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "address.h"
#include "iobuf.h"
#include "log.h"
#include "queueclient.h"
#include "smtpd.h"

static int	data_begin(struct smtp_session *);
static int	data_read(struct smtp_session *);
static void	data_line(struct smtp_session *, char *, size_t, int);
static void	data_stop(struct smtp_session *, int);
static void	data_finish(struct smtp_session *);
static void	data_refuse(struct smtp_session *);
static void	data_commit(struct smtp_session *);
static void	data_done(struct smtp_session *);
static int	received(struct smtp_session *, char *, size_t);

void
smtp_data(struct smtp_session *s)
{
	if (s->queue == NULL || data_begin(s) == -1) {
		if (s->queue != NULL)
			(void)queueclient_abort(s->queue);
		smtp_reply(s, "451 4.3.0 Queue unavailable, try again later");
		smtp_tx_reset(s);
		smtp_enter_state(s, SMTP_STATE_HELO);
		return;
	}
	smtp_reply(s, "354 End data with <CR><LF>.<CR><LF>");
	if (smtp_flush(s) == -1) {
		(void)queueclient_abort(s->queue);
		return;
	}
	smtp_enter_state(s, SMTP_STATE_BODY);
	iobuf_set_maxline(s->io, SMTPD_DATA_HARDLINE);
	iobuf_set_timeout(s->io, s->conf->data_timeout * 1000);
	if (data_read(s) == 0)
		data_finish(s);
	else
		(void)queueclient_abort(s->queue);
	iobuf_set_maxline(s->io, s->conf->max_line);
	iobuf_set_timeout(s->io, s->conf->timeout * 1000);
}

/* The envelope and our Received: header go out before the 354. */
static int
data_begin(struct smtp_session *s)
{
	char		hdr[SMTPD_RECEIVED_MAX];
	uint64_t	flags = QP_F_RECEIVED;
	size_t		i;
	int		n;

	if (s->tx.body8bit)
		flags |= QP_F_8BITMIME;
	s->txcount++;
	if ((n = received(s, hdr, sizeof(hdr))) == -1)
		return -1;
	if (queueclient_begin(s->queue, s->tx.sender, flags) == -1)
		goto fail;
	for (i = 0; i < s->tx.nrcpts; i++)
		if (queueclient_rcpt(s->queue, s->tx.rcpts[i]) == -1)
			goto fail;
	if (queueclient_data(s->queue, hdr, n) == -1)
		goto fail;
	return 0;
fail:
	log_warnx("smtp-in session=%s event=queue result=tempfail "
	    "reason=\"%s\"", s->id, queueclient_reason(s->queue));
	return -1;
}

/* 0 at the end of the data; -1 when the session is over. */
static int
data_read(struct smtp_session *s)
{
	enum iobuf_result	 r;
	char			*line;
	size_t			 len;
	int			 flags, prev_crlf = 1;

	for (;;) {
		r = iobuf_getline(s->io, &line, &len, &flags);
		if (r == IOBUF_TOOLONG) {
			/* Its end is unknown: refuse, but never hang. */
			data_stop(s, SMTP_DATA_LONGLINE);
			prev_crlf = 1;
			continue;
		}
		if (r == IOBUF_TIMEOUT) {
			smtp_reply(s, "421 4.4.2 %s Timeout, closing "
			    "connection", s->conf->hostname);
			smtp_close(s, "data-timeout");
			return -1;
		}
		if (r != IOBUF_OK || (flags & IOBUF_PARTIAL)) {
			smtp_close(s, r == IOBUF_ERROR ? "read-error" : "eof");
			return -1;
		}
		if (prev_crlf && (flags & IOBUF_CRLF) && len == 1 &&
		    line[0] == '.')
			return 0;
		prev_crlf = (flags & IOBUF_CRLF) != 0;
		data_line(s, line, len, flags);
	}
}

static void
data_line(struct smtp_session *s, char *line, size_t len, int flags)
{
	if (flags & IOBUF_NUL)
		data_stop(s, SMTP_DATA_NUL);
	if (flags & (IOBUF_BARELF | IOBUF_BARECR))
		data_stop(s, SMTP_DATA_BARE);
	if ((long long)len + 2 > s->conf->max_data_line)
		data_stop(s, SMTP_DATA_LONGLINE);
	if (len > 0 && line[0] == '.') {	/* dot-stuffing */
		line++;
		len--;
	}
	s->tx.size += len + 2;
	if (s->tx.size > s->conf->max_message_size)
		data_stop(s, SMTP_DATA_TOOBIG);
	if (s->tx.flags != 0)
		return;
	if (queueclient_data(s->queue, line, len) == -1 ||
	    queueclient_data(s->queue, "\r\n", 2) == -1)
		s->tx.flags |= SMTP_DATA_QUEUEFAIL;
}

/* Nothing more goes to the queue; the first reason drops the message. */
static void
data_stop(struct smtp_session *s, int why)
{
	if (s->tx.flags == 0)
		(void)queueclient_abort(s->queue);
	s->tx.flags |= why;
}

/* A message marked at its end: one refusal. */
static void
data_refuse(struct smtp_session *s)
{
	int		 f = s->tx.flags;
	const char	*why;

	if (f & SMTP_DATA_NUL) {
		why = "nul";
		smtp_error(s, "550 5.6.0 Message contains NUL octets");
	} else if (f & SMTP_DATA_BARE) {
		why = "bare-cr-lf";
		smtp_error(s, "550 5.6.2 Bare CR or LF in message, lines "
		    "must end with CRLF (RFC 5321 2.3.8)");
	} else if (f & SMTP_DATA_LONGLINE) {
		why = "long-line";
		smtp_error(s, "550 5.6.0 Message has a line over %lld octets",
		    s->conf->max_data_line);
	} else {
		why = "too-big";
		smtp_reply(s, "552 5.3.4 Message size exceeds fixed limit of "
		    "%lld octets", s->conf->max_message_size);
	}
	log_info("smtp-in session=%s event=reject size=%lld reason=%s",
	    s->id, s->tx.size, why);
	s->rejected++;
}

/* The queue's answer decides; 250 only for a committed message. */
static void
data_commit(struct smtp_session *s)
{
	char			id[QUEUE_ID_MAX + 1], vis[LOG_VIS_MAX];
	enum queue_result	r;

	r = queueclient_end(s->queue, id);
	log_vis(vis, sizeof(vis), queueclient_reason(s->queue),
	    strlen(queueclient_reason(s->queue)));
	if (r == QUEUE_OK) {
		smtp_reply(s, "250 2.0.0 Ok: queued as %s", id);
		s->messages++;
		log_vis(vis, sizeof(vis), s->tx.sender, strlen(s->tx.sender));
		log_info("smtp-in session=%s event=message queue_id=%s "
		    "size=%lld from=<%s> rcpts=%zu", s->id, id, s->tx.size,
		    vis, s->tx.nrcpts);
	} else if (r == QUEUE_FAIL) {
		smtp_reply(s, "554 5.3.0 Transaction failed: %s", vis);
		s->rejected++;
		log_info("smtp-in session=%s event=reject reason=queue "
		    "error=\"%s\"", s->id, vis);
	} else {
		smtp_reply(s, "451 4.3.0 Queue error, try again later");
		s->rejected++;
		log_warnx("smtp-in session=%s event=queue result=tempfail "
		    "reason=\"%s\"", s->id, vis);
	}
}

static void
data_finish(struct smtp_session *s)
{
	if (s->tx.flags & ~SMTP_DATA_QUEUEFAIL)
		data_refuse(s);
	else
		data_commit(s);	/* a failed queue answers TEMPFAIL */
	data_done(s);
}

static void
data_done(struct smtp_session *s)
{
	smtp_tx_reset(s);
	smtp_enter_state(s, SMTP_STATE_HELO);
}

/*
 * Received: from HELO ([ADDR]) by HOST (smtpd-lite) with PROTO
 * (TLS and AUTH comments) id SESSION.N for <rcpt>; DATE
 * The queue id is known only after the commit: the id is the session's.
 */
static int
received(struct smtp_session *s, char *buf, size_t len)
{
	char		 date[64], lit[SMTPD_ADDR_MAX + 8], user[LOG_VIS_MAX];
	char		 tls[160] = "", au[LOG_VIS_MAX + 32] = "";
	char		 rcpt[ADDR_PATH_MAX + 16] = "";
	const char	*helo;
	struct tm	 tm;
	time_t		 now = time(NULL);
	int		 n;

	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z",
	    localtime_r(&now, &tm));
	snprintf(lit, sizeof(lit), "[%s%s]",
	    strchr(s->ctx->addr, ':') ? "IPv6:" : "", s->ctx->addr);
	helo = s->helo[0] != '\0' && smtpd_valid_domain(s->helo) ?
	    s->helo : lit;
	if (s->tls != NULL)
		snprintf(tls, sizeof(tls), "\r\n\t(version=%s cipher=%s)",
		    smtp_tls_version(s), smtp_tls_cipher(s));
	if (s->user[0] != '\0')
		snprintf(au, sizeof(au), "\r\n\t(authenticated user %s)",
		    log_vis(user, sizeof(user), s->user, strlen(s->user)));
	if (s->tx.nrcpts == 1)
		snprintf(rcpt, sizeof(rcpt), "\r\n\tfor <%s>",
		    s->tx.rcpts[0]);
	n = snprintf(buf, len, "Received: from %s (%s)\r\n\tby %s "
	    "(smtpd-lite) with %s%s%s\r\n\tid %s.%u%s;\r\n\t%s\r\n", helo, lit,
	    s->conf->hostname, smtp_protocol(s), tls, au, s->id, s->txcount,
	    rcpt, date);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return n;
}
