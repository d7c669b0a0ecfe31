/*
 * sendmail(8) and mailq(1) for buzon: read a message on standard input
 * (or an SMTP dialogue with -bs), complete its header, and hand it to
 * mailqueue over the queue socket; or list the queue (-bp, or when
 * called as mailq).  The exit status follows sysexits(3): 75 when the
 * queue cannot take the message now.
 */

#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "compat.h"
#include "log.h"
#include "mailqueue.h"
#include "queueclient.h"
#include "xmalloc.h"

#define SM_CONF_ENV	"BUZON_MAILQUEUE_CONF"
#define SM_READ_MAX	65536		/* octets of one piece of a line */
#define SM_HEADER_MAX	(256 * 1024)	/* octets of the whole header */
#define SM_RCPT_MAX	10000		/* recipients of one message */
#define SM_NAME_MAX	256		/* octets of the -F full name */
#define SM_SMTP_LINE	4096		/* octets of an SMTP command line */

enum sm_mode {
	MODE_DELIVER,	/* -bm, the default */
	MODE_LIST,	/* -bp, mailq */
	MODE_SMTP	/* -bs */
};

/* Standard input, in pieces of at most SM_READ_MAX octets. */
struct reader {
	int	 fd;
	char	 buf[SM_READ_MAX];
	size_t	 off, len;
	int	 eof;
};

struct rcpts {
	char	**v;
	size_t	  n;
};

/* The header as read, one field per entry, CRLF-terminated lines. */
struct header {
	char	*text;
	size_t	 len, cap;
	int	 blank;		/* it ended with an empty line */
	char	*first;		/* a body line that ended it, or NULL */
	size_t	 firstlen;
	int	 firstdone;	/* that line was complete */
	int	 end;		/* input ended (EOF or ".") in the header */
};

struct sendmail {
	enum sm_mode		 mode;
	int			 tflag;
	int			 dotstop;	/* "." alone ends input */
	int			 smtp;		/* -bs: unstuff dots */
	char			 sender[ADDR_PATH_MAX + 1];
	int			 sender_set;
	char			 fullname[SM_NAME_MAX + 1];
	char			 login[64];
	char			 host[MAILQUEUE_HOST_MAX + 1];
	char			*socket_path;
	long long		 timeout_ms;
	struct rcpts		 rcpts;
	struct reader		 in;
	struct queueclient	*qc;
	char			 id[QUEUE_ID_MAX + 1];
	char			 reason[QUEUE_REASON_MAX + 1];
};

enum piece {
	PIECE_EOF,
	PIECE_LINE,	/* a whole line, its terminator removed */
	PIECE_PART	/* part of a longer line; more follows */
};

static __dead void usage(void);
static __dead void sm_die(int, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
static void	sm_options(struct sendmail *, int, char **);
static void	sm_option_o(struct sendmail *, const char *);
static void	sm_set_sender(struct sendmail *, const char *);
static void	sm_conf(struct sendmail *);
static void	sm_identity(struct sendmail *);
static enum piece rd_piece(struct reader *, char **, size_t *);
static void	rcpt_add(struct rcpts *, const char *, size_t);
static void	rcpt_free(struct rcpts *);
static const char *skip_comment(const char *);
static void	addrlist_parse(const char *, struct rcpts *);
static int	hdr_read(struct sendmail *, struct header *);
static void	hdr_append(struct header *, const char *, size_t);
static int	hdr_is_field(const char *, size_t);
static void	hdr_fixup(struct sendmail *, struct header *);
static int	hdr_name_is(const char *, const char *);
static int	body_line(struct sendmail *, const char *, size_t, int *);
static int	sm_submit(struct sendmail *);
static int	sm_result(struct sendmail *, enum queue_result);
static int	sm_list(struct sendmail *);
static int	sm_smtp(struct sendmail *);

static __dead void
usage(void)
{
	fprintf(stderr, "usage: sendmail [-Ueimtv] [-B type] [-bm | -bp | -bs] "
	    "[-F name] [-f sender]\n\t[-N dsn] [-o option] [-R ret] "
	    "[-r sender] [-V envid] [recipient ...]\n"
	    "       mailq\n");
	exit(EX_USAGE);
}

static __dead void
sm_die(int code, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "sendmail: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

int
main(int argc, char *argv[])
{
	static struct sendmail	sm;
	const char		*prog;

	memset(&sm, 0, sizeof(sm));
	sm.in.fd = STDIN_FILENO;
	sm.dotstop = 1;
	prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (strcmp(prog, "mailq") == 0)
		sm.mode = MODE_LIST;
	log_init("sendmail", 1);
	log_setverbose(0);
	sm_options(&sm, argc, argv);
	sm_conf(&sm);
	sm_identity(&sm);
	if (sm.mode == MODE_LIST)
		return sm_list(&sm);
	if (sm.mode == MODE_SMTP)
		return sm_smtp(&sm);
	return sm_submit(&sm);
}

static void
sm_options(struct sendmail *sm, int argc, char *argv[])
{
	int	ch, i;

	while ((ch = getopt(argc, argv, "B:b:C:F:f:iL:mN:O:o:q:R:r:tUV:vX:e"))
	    != -1) {
		switch (ch) {
		case 'b':
			if (strcmp(optarg, "p") == 0)
				sm->mode = MODE_LIST;
			else if (strcmp(optarg, "s") == 0)
				sm->mode = MODE_SMTP;
			else if (strcmp(optarg, "m") != 0)
				sm_die(EX_USAGE, "-b%s is not supported", optarg);
			break;
		case 'F':
			if (strlcpy(sm->fullname, optarg, sizeof(sm->fullname)) >=
			    sizeof(sm->fullname))
				sm_die(EX_USAGE, "-F: name too long");
			break;
		case 'f':
		case 'r':
			sm_set_sender(sm, optarg);
			break;
		case 'i':
			sm->dotstop = 0;
			break;
		case 'o':
			sm_option_o(sm, optarg);
			break;
		case 'q':
			sm_die(EX_USAGE, "-q: the queue runs by itself; send "
			    "mailqueue SIGHUP to retry now");
		case 't':
			sm->tflag = 1;
			break;
		case 'B': case 'C': case 'L': case 'N': case 'O': case 'R':
		case 'V': case 'X': case 'e': case 'm': case 'U': case 'v':
			break;		/* accepted and ignored */
		default:
			usage();
		}
	}
	for (i = optind; i < argc; i++)
		addrlist_parse(argv[i], &sm->rcpts);
	if (sm->mode == MODE_LIST && argc > optind)
		usage();
}

/* -f or -r: one pair of angle brackets goes; "" and "<>" are null. */
static void
sm_set_sender(struct sendmail *sm, const char *s)
{
	size_t	n = strlen(s);

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(sm->sender))
		sm_die(EX_USAGE, "-f: address too long");
	memcpy(sm->sender, s, n);
	sm->sender[n] = '\0';
	sm->sender_set = 1;
}

/* -oi ends input at EOF only; the other -o options are ignored. */
static void
sm_option_o(struct sendmail *sm, const char *opt)
{
	if (strcmp(opt, "i") == 0)
		sm->dotstop = 0;
}

/* The socket path (and hostname) from mailqueue.conf. */
static void
sm_conf(struct sendmail *sm)
{
	struct mailqueue_conf	 conf;
	const char		*path;

	if ((path = getenv(SM_CONF_ENV)) == NULL || *path == '\0')
		path = MAILQUEUE_CONF;
	memset(&conf, 0, sizeof(conf));
	if (access(path, F_OK) == -1 && errno == ENOENT)
		path = "/dev/null";
	if (mailqueue_conf_load(&conf, path) == -1)
		sm_die(EX_CONFIG, "%s: bad configuration", path);
	sm->socket_path = xstrdup(conf.socket_path);
	sm->timeout_ms = QUEUECLIENT_TIMEOUT;
	if (conf.hostname != NULL)
		strlcpy(sm->host, conf.hostname, sizeof(sm->host));
	else if (gethostname(sm->host, sizeof(sm->host)) == -1)
		strlcpy(sm->host, "localhost", sizeof(sm->host));
	mailqueue_conf_free(&conf);
}

/* The login name and, unless -f gave one, the envelope sender. */
static void
sm_identity(struct sendmail *sm)
{
	struct passwd	*pw;

	if ((pw = getpwuid(getuid())) != NULL)
		strlcpy(sm->login, pw->pw_name, sizeof(sm->login));
	else
		snprintf(sm->login, sizeof(sm->login), "%u",
		    (unsigned)getuid());
	if (!sm->sender_set && (size_t)snprintf(sm->sender,
	    sizeof(sm->sender), "%s@%s", sm->login, sm->host) >=
	    sizeof(sm->sender))
		sm_die(EX_USAGE, "sender address too long");
}

/* The next line or piece of one; a CR before the LF goes too. */
static enum piece
rd_piece(struct reader *r, char **p, size_t *len)
{
	char	*nl;
	ssize_t	 n;

	for (;;) {
		if (r->len > r->off) {
			nl = memchr(r->buf + r->off, '\n', r->len - r->off);
			if (nl != NULL || r->eof ||
			    (r->off == 0 && r->len == sizeof(r->buf)))
				break;
		} else if (r->eof)
			return PIECE_EOF;
		if (r->off > 0) {
			memmove(r->buf, r->buf + r->off, r->len - r->off);
			r->len -= r->off;
			r->off = 0;
		}
		n = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			sm_die(EX_IOERR, "read: %s", strerror(errno));
		if (n == 0)
			r->eof = 1;
		r->len += n;
	}
	*p = r->buf + r->off;
	if (nl == NULL) {
		*len = r->len - r->off;
		r->off = r->len;
		return r->eof ? PIECE_LINE : PIECE_PART;
	}
	*len = nl - *p;
	r->off += *len + 1;
	if (*len > 0 && (*p)[*len - 1] == '\r')
		(*len)--;
	return PIECE_LINE;
}

static void
rcpt_add(struct rcpts *r, const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0)
		return;
	if (r->n >= SM_RCPT_MAX)
		sm_die(EX_DATAERR, "too many recipients");
	r->v = xreallocarray(r->v, r->n + 1, sizeof(*r->v));
	r->v[r->n++] = xstrndup(s, n);
}

static void
rcpt_free(struct rcpts *r)
{
	size_t	i;

	for (i = 0; i < r->n; i++)
		free(r->v[i]);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

/* Past a comment "( ... )", nested, with quoted pairs; s is at '('. */
static const char *
skip_comment(const char *s)
{
	int	depth;

	for (depth = 1, s++; *s != '\0' && depth > 0; s++) {
		if (*s == '\\' && s[1] != '\0')
			s++;
		else
			depth += (*s == '(') - (*s == ')');
	}
	return s;
}

/*
 * An address list of RFC 5322 section 3.4: mailboxes "addr-spec" or
 * "display name <addr-spec>", groups "name: ...;", comments and quoted
 * strings.  Each addr-spec found is added.
 */
static void
addrlist_parse(const char *s, struct rcpts *out)
{
	char	word[ADDR_PATH_MAX + 1], angle[ADDR_PATH_MAX + 1];
	size_t	wn = 0, an = 0;
	int	inangle = 0, hasangle = 0, quoted = 0;
	char	*dst;

	for (;; s++) {
		dst = inangle ? angle : word;
		if (quoted) {
			if (*s == '\0')
				break;
			if (*s == '\\' && s[1] != '\0')
				s++;
			else if (*s == '"')
				quoted = 0;
		} else if (*s == '"')
			quoted = 1;
		else if (*s == '(') {
			s = skip_comment(s) - 1;
			continue;
		} else if (*s == '<' && !inangle) {
			inangle = hasangle = 1;
			an = 0;
			continue;
		} else if (*s == '>' && inangle) {
			inangle = 0;
			continue;
		} else if (*s == ':' && !inangle) {
			wn = 0;		/* a group's display name */
			continue;
		} else if (*s == ',' || *s == ';' || *s == '\0') {
			if (inangle && *s != '\0')
				goto keep;
			if (hasangle)
				rcpt_add(out, angle, an);
			else
				rcpt_add(out, word, wn);
			wn = an = 0;
			inangle = hasangle = 0;
			if (*s == '\0')
				break;
			continue;
		} else if (isspace((unsigned char)*s))
			continue;
keep:
		if (inangle && an < ADDR_PATH_MAX)
			dst[an++] = *s;
		else if (!inangle && wn < ADDR_PATH_MAX)
			dst[wn++] = *s;
	}
}

static void
hdr_append(struct header *h, const char *s, size_t n)
{
	if (h->len + n + 2 > SM_HEADER_MAX)
		sm_die(EX_DATAERR, "message header too long");
	if (h->len + n + 3 > h->cap) {
		h->cap = h->len + n + 3 > h->cap * 2 ? h->len + n + 3 :
		    h->cap * 2;
		h->text = xreallocarray(h->text, h->cap, 1);
	}
	memcpy(h->text + h->len, s, n);
	h->len += n;
	h->text[h->len] = '\0';
}

/* "Name:" with a name of printable characters, no space. */
static int
hdr_is_field(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n && s[i] != ':'; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] > '~')
			return 0;
	return i > 0 && i < n;
}

/* Is line a "." that ends the input (or, in -bs, the DATA)? */
static int
is_dot_end(struct sendmail *sm, const char *s, size_t n)
{
	return sm->dotstop && n == 1 && s[0] == '.';
}

/* Reads the header up to its empty line, a body line, or the end. */
static int
hdr_read(struct sendmail *sm, struct header *h)
{
	enum piece	 pc;
	char		*s;
	size_t		 n;
	int		 cont = 0;	/* inside a long line */

	for (;;) {
		pc = rd_piece(&sm->in, &s, &n);
		if (pc == PIECE_EOF || (!cont && pc == PIECE_LINE &&
		    is_dot_end(sm, s, n))) {
			h->end = 1;
			return 0;
		}
		if (!cont && sm->smtp && n > 0 && *s == '.') {
			s++;	/* -bs: dot-unstuffing */
			n--;
		}
		if (!cont && pc == PIECE_LINE && n == 0) {
			h->blank = 1;
			return 0;
		}
		if (!cont && !hdr_is_field(s, n) && !((*s == ' ' ||
		    *s == '\t') && h->len > 0)) {
			h->first = xstrndup(s, n);
			h->firstlen = n;
			h->firstdone = pc == PIECE_LINE;
			return 0;
		}
		hdr_append(h, s, n);
		if (pc == PIECE_LINE)
			hdr_append(h, "\r\n", 2);
		cont = pc == PIECE_PART;
	}
}

/* Case-insensitive "name:" at the start of a field. */
static int
hdr_name_is(const char *field, const char *name)
{
	size_t	n = strlen(name);

	return strncasecmp(field, name, n) == 0 && field[n] == ':';
}

/* Next field of the header: [*p, returned end). */
static const char *
hdr_next(const char *p)
{
	const char	*e = p;

	while ((e = strstr(e, "\r\n")) != NULL) {
		e += 2;
		if (*e != ' ' && *e != '\t')
			return e;
	}
	return p + strlen(p);
}

/* -t recipients, Bcc: removed, From:, Date: and Message-ID: added. */
static void
hdr_fixup(struct sendmail *sm, struct header *h)
{
	struct header	 out;
	const char	*p, *e;
	char		*field, date[64], line[1024];
	int		 from = 0, dated = 0, msgid = 0;

	memset(&out, 0, sizeof(out));
	hdr_append(&out, "", 0);
	for (p = h->text ? h->text : ""; *p != '\0'; p = e) {
		e = hdr_next(p);
		field = xstrndup(p, e - p);
		from |= hdr_name_is(field, "From");
		dated |= hdr_name_is(field, "Date");
		msgid |= hdr_name_is(field, "Message-ID");
		if (sm->tflag && (hdr_name_is(field, "To") ||
		    hdr_name_is(field, "Cc") || hdr_name_is(field, "Bcc")))
			addrlist_parse(strchr(field, ':') + 1, &sm->rcpts);
		if (!hdr_name_is(field, "Bcc"))
			hdr_append(&out, field, e - p);
		free(field);
	}
	if (!from) {
		if (sm->fullname[0] != '\0')
			snprintf(line, sizeof(line), "From: \"%s\" <%s>\r\n",
			    sm->fullname, sm->sender);
		else
			snprintf(line, sizeof(line), "From: %s\r\n",
			    sm->sender[0] ? sm->sender : "MAILER-DAEMON");
		hdr_append(&out, line, strlen(line));
	}
	if (!dated) {
		queue_rfc5322_date(time(NULL), date, sizeof(date));
		snprintf(line, sizeof(line), "Date: %s\r\n", date);
		hdr_append(&out, line, strlen(line));
	}
	if (!msgid) {
		snprintf(line, sizeof(line), "Message-ID: <%lld.%08x@%s>\r\n",
		    (long long)time(NULL), arc4random(), sm->host);
		hdr_append(&out, line, strlen(line));
	}
	free(h->text);
	h->text = out.text;
	h->len = out.len;
}

/* One piece of the body; *done is set at the end of input. */
static int
body_line(struct sendmail *sm, const char *s, size_t n, int *lineend)
{
	if (queueclient_data(sm->qc, s, n) == -1)
		return -1;
	if (*lineend)
		return queueclient_data(sm->qc, "\r\n", 2);
	return 0;
}

/* Begin, recipients, header, body, end. */
static int
sm_send(struct sendmail *sm, struct header *h)
{
	enum piece	 pc;
	char		*s;
	size_t		 i, n;
	int		 start = 1, lineend;

	if (queueclient_begin(sm->qc, sm->sender, 0) == -1)
		return -1;
	for (i = 0; i < sm->rcpts.n; i++)
		if (queueclient_rcpt(sm->qc, sm->rcpts.v[i]) == -1)
			return -1;
	if (queueclient_data(sm->qc, h->text, h->len) == -1 ||
	    queueclient_data(sm->qc, "\r\n", 2) == -1)
		return -1;
	if (h->first != NULL && body_line(sm, h->first, h->firstlen,
	    &h->firstdone) == -1)
		return -1;
	if (h->first != NULL)
		start = h->firstdone;
	while (!h->end && (pc = rd_piece(&sm->in, &s, &n)) != PIECE_EOF) {
		if (start && pc == PIECE_LINE && is_dot_end(sm, s, n))
			break;
		if (start && sm->smtp && n > 0 && s[0] == '.') {
			s++;
			n--;
		}
		lineend = pc == PIECE_LINE;
		if (body_line(sm, s, n, &lineend) == -1)
			return -1;
		start = lineend;
	}
	return 0;
}

static int
sm_result(struct sendmail *sm, enum queue_result r)
{
	switch (r) {
	case QUEUE_OK:
		return EX_OK;
	case QUEUE_FAIL:
		strlcpy(sm->reason, queueclient_reason(sm->qc),
		    sizeof(sm->reason));
		return EX_DATAERR;
	default:
		strlcpy(sm->reason, queueclient_reason(sm->qc),
		    sizeof(sm->reason));
		if (sm->reason[0] == '\0')
			strlcpy(sm->reason, "queue unavailable",
			    sizeof(sm->reason));
		return EX_TEMPFAIL;
	}
}

/* The message on standard input: header, then a streamed body. */
static int
sm_submit(struct sendmail *sm)
{
	struct header	h;
	int		rv;

	memset(&h, 0, sizeof(h));
	hdr_read(sm, &h);
	hdr_fixup(sm, &h);
	if (sm->rcpts.n == 0)
		sm_die(EX_USAGE, "no recipients");
	if ((sm->qc = queueclient_open(sm->socket_path,
	    sm->timeout_ms)) == NULL)
		sm_die(EX_TEMPFAIL, "cannot reach the mail queue at %s: %s",
		    sm->socket_path, strerror(errno));
	if (sm_send(sm, &h) == -1)
		rv = sm_result(sm, QUEUE_TEMPFAIL);
	else
		rv = sm_result(sm, queueclient_end(sm->qc, sm->id));
	queueclient_close(sm->qc);
	free(h.text);
	free(h.first);
	rcpt_free(&sm->rcpts);
	if (rv != EX_OK)
		sm_die(rv, "message not queued: %s", sm->reason);
	return EX_OK;
}

/* mailq: one block per message. */
struct list_state {
	time_t	now;
	size_t	n;
};

static void
list_age(long long secs, char *buf, size_t len)
{
	if (secs < 0)
		secs = 0;
	if (secs < 120)
		snprintf(buf, len, "%llds", secs);
	else if (secs < 2 * 3600)
		snprintf(buf, len, "%lldm", secs / 60);
	else if (secs < 2 * 86400)
		snprintf(buf, len, "%lldh", secs / 3600);
	else
		snprintf(buf, len, "%lldd", secs / 86400);
}

static void
list_entry(const struct queue_entry *e, void *arg)
{
	struct list_state	*ls = arg;
	char			 age[32];

	if (ls->n++ == 0)
		printf("%-24s %10s %6s  %s\n", "Queue ID", "Size", "Age",
		    "Sender");
	else
		printf("\n");
	list_age(ls->now - (long long)e->created, age, sizeof(age));
	printf("%-24s %10llu %6s  <%s>\n", e->id, (unsigned long long)e->size,
	    age, e->sender);
}

static void
list_rcpt(const struct queue_entry_rcpt *r, void *arg)
{
	printf("    %-8s <%s>", r->state, r->rcpt);
	if (r->reason[0] != '\0')
		printf(" (%s)", r->reason);
	printf("\n");
}

static int
sm_list(struct sendmail *sm)
{
	struct list_state	ls;

	memset(&ls, 0, sizeof(ls));
	ls.now = time(NULL);
	if ((sm->qc = queueclient_open(sm->socket_path,
	    sm->timeout_ms)) == NULL)
		sm_die(EX_TEMPFAIL, "cannot reach the mail queue at %s: %s",
		    sm->socket_path, strerror(errno));
	if (queueclient_list(sm->qc, list_entry, list_rcpt, &ls) == -1)
		sm_die(EX_TEMPFAIL, "cannot list the queue: %s",
		    queueclient_reason(sm->qc));
	queueclient_close(sm->qc);
	if (ls.n == 0)
		printf("Mail queue is empty\n");
	else
		printf("\n-- %zu message%s in the queue\n", ls.n,
		    ls.n == 1 ? "" : "s");
	return EX_OK;
}

/* -bs: an SMTP dialogue on standard input and output. */
enum smtp_state {
	SMTP_INIT,	/* no transaction */
	SMTP_MAIL,	/* MAIL accepted */
	SMTP_RCPT	/* at least one RCPT accepted */
};

struct smtp_cmd {
	const char	*verb;
	unsigned int	 states;
	void		(*handler)(struct sendmail *, enum smtp_state *,
			    const char *);
};

static void	smtp_reply(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
static void	smtp_helo(struct sendmail *, enum smtp_state *, const char *);
static void	smtp_mail(struct sendmail *, enum smtp_state *, const char *);
static void	smtp_rcpt(struct sendmail *, enum smtp_state *, const char *);
static void	smtp_data(struct sendmail *, enum smtp_state *, const char *);
static void	smtp_rset(struct sendmail *, enum smtp_state *, const char *);
static void	smtp_noop(struct sendmail *, enum smtp_state *, const char *);
static void	smtp_vrfy(struct sendmail *, enum smtp_state *, const char *);

#define ST(s)	(1U << (s))
#define ST_ANY	(ST(SMTP_INIT) | ST(SMTP_MAIL) | ST(SMTP_RCPT))

static const struct smtp_cmd smtp_cmds[] = {
	{ "HELO", ST_ANY, smtp_helo },
	{ "EHLO", ST_ANY, smtp_helo },
	{ "MAIL", ST(SMTP_INIT), smtp_mail },
	{ "RCPT", ST(SMTP_MAIL) | ST(SMTP_RCPT), smtp_rcpt },
	{ "DATA", ST(SMTP_RCPT), smtp_data },
	{ "RSET", ST_ANY, smtp_rset },
	{ "NOOP", ST_ANY, smtp_noop },
	{ "VRFY", ST_ANY, smtp_vrfy }
};

static void
smtp_reply(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\r\n");
	fflush(stdout);
}

static void
smtp_helo(struct sendmail *sm, enum smtp_state *st, const char *arg)
{
	rcpt_free(&sm->rcpts);
	*st = SMTP_INIT;
	smtp_reply("250-%s Hello %s", sm->host, sm->login);
	smtp_reply("250-8BITMIME");
	smtp_reply("250 PIPELINING");
}

/* "<path>" after "FROM:" or "TO:", parameters ignored. */
static int
smtp_path(const char *arg, const char *kw, char *out, size_t outlen)
{
	const char	*s, *e;
	size_t		 n = strlen(kw);

	if (strncasecmp(arg, kw, n) != 0)
		return -1;
	for (s = arg + n; *s == ' '; s++)
		;
	if (*s != '<' || (e = strchr(s, '>')) == NULL)
		return -1;
	if ((size_t)(e - s - 1) >= outlen)
		return -1;
	memcpy(out, s + 1, e - s - 1);
	out[e - s - 1] = '\0';
	return 0;
}

static void
smtp_mail(struct sendmail *sm, enum smtp_state *st, const char *arg)
{
	char	path[ADDR_PATH_MAX + 1];

	if (smtp_path(arg, "FROM:", path, sizeof(path)) == -1) {
		smtp_reply("501 5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	strlcpy(sm->sender, path, sizeof(sm->sender));
	*st = SMTP_MAIL;
	smtp_reply("250 2.1.0 Ok");
}

static void
smtp_rcpt(struct sendmail *sm, enum smtp_state *st, const char *arg)
{
	char	path[ADDR_PATH_MAX + 1];

	if (smtp_path(arg, "TO:", path, sizeof(path)) == -1 ||
	    path[0] == '\0') {
		smtp_reply("501 5.5.4 Syntax: RCPT TO:<address>");
		return;
	}
	if (sm->rcpts.n >= SM_RCPT_MAX) {
		smtp_reply("452 4.5.3 Too many recipients");
		return;
	}
	rcpt_add(&sm->rcpts, path, strlen(path));
	*st = SMTP_RCPT;
	smtp_reply("250 2.1.5 Ok");
}

static void
smtp_data(struct sendmail *sm, enum smtp_state *st, const char *arg)
{
	struct header	h;
	int		rv;

	smtp_reply("354 End data with <CR><LF>.<CR><LF>");
	memset(&h, 0, sizeof(h));
	sm->dotstop = 1;
	hdr_read(sm, &h);
	hdr_fixup(sm, &h);
	if (sm->qc == NULL)
		sm->qc = queueclient_open(sm->socket_path, sm->timeout_ms);
	if (sm->qc == NULL)
		rv = EX_TEMPFAIL;
	else if (sm_send(sm, &h) == -1)
		rv = sm_result(sm, QUEUE_TEMPFAIL);
	else
		rv = sm_result(sm, queueclient_end(sm->qc, sm->id));
	if (rv == EX_OK)
		smtp_reply("250 2.0.0 Ok: queued as %s", sm->id);
	else if (rv == EX_DATAERR)
		smtp_reply("554 5.3.4 %s", sm->reason);
	else
		smtp_reply("451 4.3.0 Queue unavailable, try again later");
	free(h.text);
	free(h.first);
	rcpt_free(&sm->rcpts);
	*st = SMTP_INIT;
}

static void
smtp_rset(struct sendmail *sm, enum smtp_state *st, const char *arg)
{
	rcpt_free(&sm->rcpts);
	*st = SMTP_INIT;
	smtp_reply("250 2.0.0 Ok");
}

static void
smtp_noop(struct sendmail *sm, enum smtp_state *st, const char *arg)
{
	smtp_reply("250 2.0.0 Ok");
}

static void
smtp_vrfy(struct sendmail *sm, enum smtp_state *st, const char *arg)
{
	smtp_reply("252 2.1.5 Cannot verify, send some mail");
}

/* One command line: the table says which state allows which verb. */
static int
smtp_command(struct sendmail *sm, enum smtp_state *st, char *line)
{
	size_t	i, n = strcspn(line, " ");

	if (n == 4 && strncasecmp(line, "QUIT", 4) == 0) {
		smtp_reply("221 2.0.0 Bye");
		return 0;
	}
	for (i = 0; i < nitems(smtp_cmds); i++) {
		if (n != strlen(smtp_cmds[i].verb) ||
		    strncasecmp(line, smtp_cmds[i].verb, n) != 0)
			continue;
		if ((smtp_cmds[i].states & ST(*st)) == 0)
			smtp_reply("503 5.5.1 Bad sequence of commands");
		else
			smtp_cmds[i].handler(sm, st, line[n] ? line + n + 1 :
			    line + n);
		return 1;
	}
	smtp_reply("500 5.5.2 Command not recognized");
	return 1;
}

static int
sm_smtp(struct sendmail *sm)
{
	enum smtp_state	 st = SMTP_INIT;
	enum piece	 pc;
	char		*s, line[SM_SMTP_LINE + 1];
	size_t		 n;
	int		 toolong = 0;

	sm->smtp = 1;
	smtp_reply("220 %s ESMTP buzon sendmail", sm->host);
	while ((pc = rd_piece(&sm->in, &s, &n)) != PIECE_EOF) {
		if (pc == PIECE_PART || toolong || n > SM_SMTP_LINE) {
			toolong = pc == PIECE_PART;
			if (!toolong)
				smtp_reply("500 5.5.2 Line too long");
			continue;
		}
		memcpy(line, s, n);
		line[n] = '\0';
		if (!smtp_command(sm, &st, line))
			break;
	}
	queueclient_close(sm->qc);
	rcpt_free(&sm->rcpts);
	free(sm->socket_path);
	return EX_OK;
}
