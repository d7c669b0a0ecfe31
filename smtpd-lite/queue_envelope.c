/*
 * Envelopes: the small text file env/<id> that says who sent a message,
 * to whom, and how far each recipient has got.  docs/queue.md has the
 * format; the parser takes that format and nothing else.
 *
 *	buzon-envelope 1
 *	id <id>
 *	created <seconds>
 *	size <octets>
 *	flags <number>
 *	uid <number>
 *	user <name>
 *	sender <address>
 *	rcpt <state> <tries> <next> <address>	(one or more)
 *	error <text>				(optional, after its rcpt)
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "mailqueue.h"
#include "number.h"
#include "xmalloc.h"

#define ENV_MAGIC		"buzon-envelope 1"
#define ENV_LINE_MAX		(ADDR_PATH_MAX + 64 + QUEUE_REASON_MAX)
#define ENV_HEAD_MAX		1024	/* octets before the first rcpt */
#define ENV_NUM_MAX		(1LL << 62)

static const char *const state_names[] = {
	[RCPT_PENDING] = "pending",
	[RCPT_DONE] = "done",
	[RCPT_FAILED] = "failed"
};

struct env_parse {
	struct envelope	*env;
	size_t		 max_rcpt;
	int		 line;		/* number of lines read */
	int		 error_ok;	/* an error line may follow */
	char		*why;
	size_t		 whylen;
};

static int	parse_line(struct env_parse *, char *);
static int	parse_head(struct env_parse *, char *);
static int	parse_rcpt(struct env_parse *, char *);
static int	parse_bracketed(const char *, char *, size_t);
static int	parse_word(char **, char *, size_t);
static char	*read_file(const char *, size_t, size_t *);

const char *
env_state_name(enum rcpt_state s)
{
	return state_names[s];
}

void
env_init(struct envelope *e)
{
	memset(e, 0, sizeof(*e));
}

void
env_free(struct envelope *e)
{
	size_t	i;

	for (i = 0; i < e->nrcpt; i++) {
		free(e->rcpt[i].addr);
		free(e->rcpt[i].error);
	}
	free(e->rcpt);
	e->rcpt = NULL;
	e->nrcpt = 0;
}

void
env_add_rcpt(struct envelope *e, const char *addr)
{
	struct env_rcpt	*r;

	e->rcpt = xreallocarray(e->rcpt, e->nrcpt + 1, sizeof(*e->rcpt));
	r = &e->rcpt[e->nrcpt++];
	memset(r, 0, sizeof(*r));
	r->addr = xstrdup(addr);
	r->state = RCPT_PENDING;
	r->error = xstrdup("");
}

/* Keeps printable ASCII only, at most QUEUE_REASON_MAX octets. */
void
env_set_error(struct env_rcpt *r, const char *text)
{
	size_t	i, n = strlen(text);
	char	*s;

	if (n > QUEUE_REASON_MAX)
		n = QUEUE_REASON_MAX;
	s = xmalloc(n + 1);
	for (i = 0; i < n; i++) {
		s[i] = text[i];
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			s[i] = ' ';
	}
	s[n] = '\0';
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
	free(r->error);
	r->error = s;
}

/* Letters and digits only, 1 to QUEUE_ID_MAX of them. */
int
env_valid_id(const char *id)
{
	size_t	i;

	for (i = 0; id[i] != '\0'; i++)
		if (i >= QUEUE_ID_MAX ||
		    !((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= 'a' && id[i] <= 'z')))
			return 0;
	return i > 0;
}

const char *
env_reason(const struct envelope *e)
{
	size_t	i;

	for (i = 0; i < e->nrcpt; i++)
		if (e->rcpt[i].state == RCPT_PENDING &&
		    e->rcpt[i].error[0] != '\0')
			return e->rcpt[i].error;
	return "";
}

/* The whole file, NUL-terminated, refusing one longer than max. */
static char *
read_file(const char *path, size_t max, size_t *lenp)
{
	struct stat	 st;
	char		*buf = NULL;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	buf = xmalloc(st.st_size + 1);
	if (read(fd, buf, st.st_size) != st.st_size) {
		if (errno == 0)
			errno = EIO;
		goto fail;
	}
	buf[st.st_size] = '\0';
	*lenp = st.st_size;
	close(fd);
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

int
env_read(const char *path, struct envelope *e, size_t max_rcpt, char *why,
    size_t whylen)
{
	struct env_parse	 p;
	char			*buf, *line, *nl;
	size_t			 len, max;

	env_init(e);
	max = ENV_HEAD_MAX + (max_rcpt + 1) * 2 * (ENV_LINE_MAX + 1);
	if ((buf = read_file(path, max, &len)) == NULL) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	memset(&p, 0, sizeof(p));
	p.env = e;
	p.max_rcpt = max_rcpt;
	p.why = why;
	p.whylen = whylen;
	if (strlen(buf) != len) {
		snprintf(why, whylen, "NUL in file");
		goto fail;
	}
	for (line = buf; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL) {
			snprintf(why, whylen, "line %d: no newline", p.line + 1);
			goto fail;
		}
		*nl = '\0';
		p.line++;
		if ((size_t)(nl - line) > ENV_LINE_MAX) {
			snprintf(why, whylen, "line %d: too long", p.line);
			goto fail;
		}
		if (parse_line(&p, line) == -1)
			goto fail;
	}
	if (e->nrcpt == 0) {
		snprintf(why, whylen, "no recipient");
		goto fail;
	}
	free(buf);
	return 0;
fail:
	free(buf);
	env_free(e);
	return -1;
}

static int
parse_line(struct env_parse *p, char *line)
{
	size_t	i;

	for (i = 0; line[i] != '\0'; i++) {
		if ((unsigned char)line[i] < 0x20 ||
		    (unsigned char)line[i] > 0x7e) {
			snprintf(p->why, p->whylen, "line %d: control or "
			    "8-bit character", p->line);
			return -1;
		}
	}
	if (p->line == 1) {
		if (strcmp(line, ENV_MAGIC) == 0)
			return 0;
		snprintf(p->why, p->whylen, "not an envelope (version?)");
		return -1;
	}
	if (p->line <= 8)
		return parse_head(p, line);
	return parse_rcpt(p, line);
}

/* "<addr>" into out, brackets removed; 0 or -1. */
static int
parse_bracketed(const char *s, char *out, size_t outlen)
{
	size_t	n = strlen(s);

	if (n < 2 || s[0] != '<' || s[n - 1] != '>' || n - 2 >= outlen ||
	    memchr(s + 1, '>', n - 2) != NULL)
		return -1;
	memcpy(out, s + 1, n - 2);
	out[n - 2] = '\0';
	return 0;
}

static int
parse_head(struct env_parse *p, char *line)
{
	static const char *const keys[] = { "id", "created", "size",
	    "flags", "uid", "user", "sender" };
	struct envelope	*e = p->env;
	const char	*key = keys[p->line - 2];
	char		*v;
	size_t		 klen = strlen(key);
	long long	*num[] = { NULL, &e->created, &e->size, &e->flags,
			    &e->uid, NULL, NULL };
	int		 rv = 0;

	if (strncmp(line, key, klen) != 0 || line[klen] != ' ') {
		snprintf(p->why, p->whylen, "line %d: expected %s", p->line,
		    key);
		return -1;
	}
	v = line + klen + 1;
	if (num[p->line - 2] != NULL)
		rv = parse_number(v, 0, ENV_NUM_MAX, num[p->line - 2]);
	else if (strcmp(key, "id") == 0)
		rv = (env_valid_id(v) && strlcpy(e->id, v, sizeof(e->id)) <
		    sizeof(e->id)) ? 0 : -1;
	else if (strcmp(key, "user") == 0)
		rv = (v[0] != '\0' && strchr(v, ' ') == NULL && strlcpy(e->user,
		    v, sizeof(e->user)) < sizeof(e->user)) ? 0 : -1;
	else
		rv = parse_bracketed(v, e->sender, sizeof(e->sender));
	if (rv == -1)
		snprintf(p->why, p->whylen, "line %d: bad %s", p->line, key);
	return rv;
}

/* One space-separated word into buf; advances *sp past its space. */
static int
parse_word(char **sp, char *buf, size_t len)
{
	char	*s = *sp, *sp1;
	size_t	 n;

	if ((sp1 = strchr(s, ' ')) == NULL || sp1 == s)
		return -1;
	n = sp1 - s;
	if (n >= len)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*sp = sp1 + 1;
	return 0;
}

static int
parse_rcpt(struct env_parse *p, char *line)
{
	struct envelope	*e = p->env;
	struct env_rcpt	*r;
	char		 state[QUEUE_STATE_MAX + 1], tries[24], next[24];
	char		 addr[ADDR_PATH_MAX + 1], *s;
	size_t		 i;

	if (strncmp(line, "error ", 6) == 0 && p->error_ok) {
		p->error_ok = 0;
		env_set_error(&e->rcpt[e->nrcpt - 1], line + 6);
		if (strcmp(e->rcpt[e->nrcpt - 1].error, line + 6) == 0)
			return 0;
		goto bad;
	}
	if (strncmp(line, "rcpt ", 5) != 0 || e->nrcpt >= p->max_rcpt)
		goto bad;
	s = line + 5;
	if (parse_word(&s, state, sizeof(state)) == -1 ||
	    parse_word(&s, tries, sizeof(tries)) == -1 ||
	    parse_word(&s, next, sizeof(next)) == -1 ||
	    parse_bracketed(s, addr, sizeof(addr)) == -1 || addr[0] == '\0')
		goto bad;
	env_add_rcpt(e, addr);
	r = &e->rcpt[e->nrcpt - 1];
	for (i = 0; i < nitems(state_names); i++)
		if (strcmp(state, state_names[i]) == 0)
			break;
	if (i == nitems(state_names) ||
	    parse_number(tries, 0, ENV_NUM_MAX, &r->tries) == -1 ||
	    parse_number(next, 0, ENV_NUM_MAX, &r->next) == -1)
		goto bad;
	r->state = i;
	p->error_ok = 1;
	return 0;
bad:
	snprintf(p->why, p->whylen, "line %d: bad recipient line", p->line);
	return -1;
}

/* The text of an envelope; NULL-free, caller frees. */
static char *
env_format(const struct envelope *e, size_t *lenp)
{
	char	*buf, *p;
	size_t	 size, i;
	int	 n;

	size = ENV_HEAD_MAX + e->nrcpt * 2 * (ENV_LINE_MAX + 1);
	p = buf = xmalloc(size);
	n = snprintf(p, size, "%s\nid %s\ncreated %lld\nsize %lld\n"
	    "flags %lld\nuid %lld\nuser %s\nsender <%s>\n", ENV_MAGIC, e->id,
	    e->created, e->size, e->flags, e->uid, e->user, e->sender);
	p += n;
	for (i = 0; i < e->nrcpt; i++) {
		n = snprintf(p, size - (p - buf), "rcpt %s %lld %lld <%s>\n",
		    state_names[e->rcpt[i].state], e->rcpt[i].tries,
		    e->rcpt[i].next, e->rcpt[i].addr);
		p += n;
		if (e->rcpt[i].error[0] != '\0') {
			n = snprintf(p, size - (p - buf), "error %s\n",
			    e->rcpt[i].error);
			p += n;
		}
	}
	*lenp = p - buf;
	return buf;
}

int
env_write(const char *path, const struct envelope *e)
{
	int	fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		return -1;
	return env_write_fd(fd, path, e);
}

int
env_write_fd(int fd, const char *path, const struct envelope *e)
{
	char	*buf;
	size_t	 len;
	int	 saved;

	buf = env_format(e, &len);
	if (write(fd, buf, len) != (ssize_t)len ||
	    ftruncate(fd, len) == -1 || fsync(fd) == -1) {
		saved = errno ? errno : EIO;
		close(fd);
		unlink(path);
		free(buf);
		errno = saved;
		return -1;
	}
	free(buf);
	return close(fd);
}

int
env_update(const struct envelope *e)
{
	char	tmp[QUEUE_PATH_MAX], dst[QUEUE_PATH_MAX];

	queue_path(tmp, sizeof(tmp), QUEUE_DIR_TMP, e->id, ".upd");
	queue_path(dst, sizeof(dst), QUEUE_DIR_ENV, e->id, "");
	(void)unlink(tmp);
	if (env_write(tmp, e) == -1)
		return -1;
	if (rename(tmp, dst) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}
