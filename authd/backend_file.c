/*
 * The "file" backend: a passwd-style file, one user a line,
 *
 *	user:hash:uid:gid:home:maildir:quota
 *
 * '#' starts a comment line; blank lines are skipped.  The file is read
 * whole into memory, sorted by name, and read again when its inode, size,
 * modification or change time changes (checked at every request).  A
 * file that is missing, unreadable or malformed makes every answer
 * TEMPFAIL until it is fixed: a broken file must never look like wrong
 * passwords.  The format has no place for a full name or a delivery
 * instruction: both are empty in the record.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "compat.h"
#include "log.h"
#include "number.h"
#include "xmalloc.h"

#define FILE_SIZE_MAX	(64 * 1024 * 1024)	/* octets of the file */
#define FILE_LINE_MAX	4096			/* octets of one line */
#define FILE_FIELDS	7

/* Costs a bcrypt(10) hash when the file holds no usable hash. */
#define FILE_DUMMY_HASH	\
	"$2b$10$HUHxazVLquDd196DJVQISeNmyAzcJIncVpceV1SMnbq./fpNuz5FO"

struct file_entry {
	const char	*name;
	const char	*hash;
	uid_t		 uid;
	gid_t		 gid;
	const char	*home;
	const char	*maildir;
	const char	*quota;
};

struct file_state {
	char			*path;
	int			 have_st;	/* st describes the last read */
	int			 good;		/* and it loaded */
	int			 missing;	/* stat failed, logged */
	struct stat		 st;		/* of the file last read */
	char			*buf;		/* its text; entries point in */
	struct file_entry	*e;
	size_t			 n;
	const char		*dummy;		/* hash for unknown users */
};

static int	file_init(struct backend *, int, char **, char *, size_t);
static enum backend_result file_auth(struct backend *, const char *,
		    const char *, const char *, struct auth_user *);
static enum backend_result file_lookup(struct backend *, const char *,
		    struct auth_user *);
static void	file_reopen(struct backend *);
static void	file_close(struct backend *);
static int	file_unveil(struct backend *);
static void	file_drop(struct file_state *);
static int	file_refresh(struct file_state *);
static int	file_load(struct file_state *, int, const struct stat *);
static int	file_parse(struct file_state *);
static int	file_entry_parse(char *, struct file_entry *, const char **);
static int	file_name_ok(const char *);
static int	file_entry_cmp(const void *, const void *);
static const struct file_entry *file_find(struct file_state *, const char *);
static int	file_record(const struct file_entry *, struct auth_user *);
static int	same_file(const struct stat *, const struct stat *);

const struct backend_ops backend_file_ops = {
	.name = "file",
	.minargs = 1,
	.maxargs = 1,
	.group = NULL,
	.promises = NULL,
	.unveil = file_unveil,
	.init = file_init,
	.auth = file_auth,
	.lookup = file_lookup,
	.reopen = file_reopen,
	.close = file_close
};

static int
file_init(struct backend *b, int argc, char **argv, char *err, size_t errlen)
{
	struct file_state	*fs;

	if (argv[0][0] != '/') {
		snprintf(err, errlen, "backend file: %s: not an absolute path",
		    argv[0]);
		return -1;
	}
	fs = xcalloc(1, sizeof(*fs));
	fs->path = xstrdup(argv[0]);
	fs->dummy = FILE_DUMMY_HASH;
	b->state = fs;
	return 0;
}

static int
file_unveil(struct backend *b)
{
	struct file_state	*fs = b->state;

	return unveil(fs->path, "r");
}

static void
file_drop(struct file_state *fs)
{
	free(fs->buf);
	free(fs->e);
	fs->buf = NULL;
	fs->e = NULL;
	fs->n = 0;
	fs->dummy = FILE_DUMMY_HASH;
}

static void
file_close(struct backend *b)
{
	struct file_state	*fs = b->state;

	file_drop(fs);
	free(fs->path);
	free(fs);
	b->state = NULL;
}

static void
file_reopen(struct backend *b)
{
	struct file_state	*fs = b->state;

	fs->have_st = 0;
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	    a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	    a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Makes the table match the file.  0, or -1 when it cannot. */
static int
file_refresh(struct file_state *fs)
{
	struct stat	st;
	int		fd, rv;

	if (stat(fs->path, &st) == -1) {
		if (!fs->missing++)
			log_warn("event=backend backend=file path=%s",
			    fs->path);
		file_drop(fs);
		fs->have_st = fs->good = 0;
		return -1;
	}
	fs->missing = 0;
	if (fs->have_st && same_file(&st, &fs->st))
		return fs->good ? 0 : -1;
	file_drop(fs);
	fs->have_st = fs->good = 0;
	if ((fd = open(fs->path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("event=backend backend=file path=%s", fs->path);
		fs->st = st;	/* not again until it changes */
		fs->have_st = 1;
		return -1;
	}
	rv = file_load(fs, fd, &st);
	close(fd);
	return rv;
}

static int
file_load(struct file_state *fs, int fd, const struct stat *st)
{
	struct stat	fst;
	ssize_t		n;
	size_t		off = 0;

	if (fstat(fd, &fst) == -1 || !S_ISREG(fst.st_mode) ||
	    fst.st_size > FILE_SIZE_MAX) {
		log_warnx("event=backend backend=file path=%s "
		    "error=\"not a regular file under %d octets\"", fs->path,
		    FILE_SIZE_MAX);
		goto fail;
	}
	fs->buf = xmalloc(fst.st_size + 1);
	while (off < (size_t)fst.st_size &&
	    (n = read(fd, fs->buf + off, fst.st_size - off)) > 0)
		off += n;
	fs->buf[off] = '\0';
	if (off != (size_t)fst.st_size || memchr(fs->buf, '\0', off) != NULL) {
		log_warnx("event=backend backend=file path=%s "
		    "error=\"short read or NUL byte\"", fs->path);
		goto fail;
	}
	if (file_parse(fs) == -1)
		goto fail;
	fs->st = fst;
	fs->have_st = fs->good = 1;
	log_debug("event=backend backend=file path=%s users=%zu", fs->path,
	    fs->n);
	return 0;
fail:
	/* Remember the bad version so that it is not parsed again. */
	file_drop(fs);
	fs->st = *st;
	fs->have_st = 1;
	return -1;
}

static int
file_parse(struct file_state *fs)
{
	char		*line, *next;
	const char	*why;
	size_t		 cap = 0, i;
	int		 lineno = 0;

	fs->dummy = NULL;
	for (line = fs->buf; *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (fs->n == cap) {
			cap = cap ? cap * 2 : 16;
			fs->e = xreallocarray(fs->e, cap, sizeof(*fs->e));
		}
		if (file_entry_parse(line, &fs->e[fs->n], &why) == -1)
			goto bad;
		if (fs->e[fs->n].hash[0] == '$' && fs->dummy == NULL)
			fs->dummy = fs->e[fs->n].hash;
		fs->n++;
	}
	if (fs->dummy == NULL)
		fs->dummy = FILE_DUMMY_HASH;
	qsort(fs->e, fs->n, sizeof(*fs->e), file_entry_cmp);
	for (i = 1; i < fs->n; i++)
		if (strcmp(fs->e[i - 1].name, fs->e[i].name) == 0) {
			log_warnx("event=backend backend=file path=%s "
			    "error=\"user %s listed twice\"", fs->path,
			    fs->e[i].name);
			return -1;
		}
	return 0;
bad:
	fs->dummy = FILE_DUMMY_HASH;
	log_warnx("event=backend backend=file path=%s line=%d error=\"%s\"",
	    fs->path, lineno, why);
	return -1;
}

/* 1 to AUTH_NAME_MAX octets, no blanks or control characters. */
static int
file_name_ok(const char *name)
{
	size_t	i, len = strlen(name);

	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] <= ' ' ||
		    (unsigned char)name[i] == 0x7f)
			return 0;
	return len > 0 && len <= AUTH_NAME_MAX;
}

/* Splits one line in place into its seven fields. */
static int
file_entry_parse(char *line, struct file_entry *e, const char **why)
{
	char		*f[FILE_FIELDS];
	long long	 n;
	size_t		 i;

	if (strlen(line) >= FILE_LINE_MAX) {
		*why = "line too long";
		return -1;
	}
	for (i = 0; i < FILE_FIELDS; i++)
		if ((f[i] = strsep(&line, ":")) == NULL)
			break;
	if (i != FILE_FIELDS || line != NULL) {
		*why = "not seven fields";
		return -1;
	}
	memset(e, 0, sizeof(*e));
	e->name = f[0];
	e->hash = f[1];
	e->home = f[4];
	e->maildir = f[5];
	e->quota = f[6];
	*why = "bad user name";
	if (!file_name_ok(e->name))
		return -1;
	*why = "empty hash";
	if (e->hash[0] == '\0')
		return -1;
	*why = "bad uid or gid";
	if (parse_number(f[2], 0, UINT32_MAX - 1, &n) == -1)
		return -1;
	e->uid = n;
	if (parse_number(f[3], 0, UINT32_MAX - 1, &n) == -1)
		return -1;
	e->gid = n;
	*why = "home not an absolute path, or too long";
	if (e->home[0] != '/' ||
	    strlen(e->home) + strlen(e->maildir) + 1 > AUTH_PATH_MAX)
		return -1;
	*why = "bad quota";
	if (strlen(e->quota) > AUTH_QUOTA_MAX ||
	    strspn(e->quota, "0123456789SC,") != strlen(e->quota))
		return -1;
	return 0;
}

static int
file_entry_cmp(const void *a, const void *b)
{
	const struct file_entry	*x = a, *y = b;

	return strcmp(x->name, y->name);
}

static const struct file_entry *
file_find(struct file_state *fs, const char *user)
{
	struct file_entry	key;

	if (fs->n == 0)
		return NULL;
	memset(&key, 0, sizeof(key));
	key.name = user;
	return bsearch(&key, fs->e, fs->n, sizeof(*fs->e), file_entry_cmp);
}

/* An empty maildir is home/Maildir; a relative one is under home. */
static int
file_record(const struct file_entry *e, struct auth_user *u)
{
	int	n = 0;

	strlcpy(u->name, e->name, sizeof(u->name));
	u->uid = e->uid;
	u->gid = e->gid;
	strlcpy(u->home, e->home, sizeof(u->home));
	strlcpy(u->quota, e->quota, sizeof(u->quota));
	u->fullname[0] = '\0';
	u->delivery[0] = '\0';
	if (e->maildir[0] == '/')
		strlcpy(u->maildir, e->maildir, sizeof(u->maildir));
	else if (e->maildir[0] != '\0')
		n = snprintf(u->maildir, sizeof(u->maildir), "%s/%s", e->home,
		    e->maildir);
	if (n < 0 || (size_t)n >= sizeof(u->maildir))
		return -1;
	return backend_default_maildir(u);
}

static enum backend_result
file_auth(struct backend *b, const char *service, const char *user,
    const char *pass, struct auth_user *u)
{
	struct file_state	*fs = b->state;
	const struct file_entry	*e;
	int			 ok;

	if (file_refresh(fs) == -1)
		return BACKEND_TEMPFAIL;
	e = file_find(fs, user);
	ok = backend_checkpass(pass, e != NULL ? e->hash : fs->dummy);
	if (ok == -1) {
		/* A locked ("*", "!") or unknown hash costs a hash too. */
		if (e != NULL && e->hash[0] == '$')
			log_warnx("event=backend backend=file user=%s "
			    "error=\"hash scheme unknown to crypt(3)\"",
			    e->name);
		(void)backend_checkpass(pass, fs->dummy);
	}
	if (e == NULL || ok != 1)
		return BACKEND_FAIL;
	return file_record(e, u) == 0 ? BACKEND_OK : BACKEND_TEMPFAIL;
}

static enum backend_result
file_lookup(struct backend *b, const char *user, struct auth_user *u)
{
	struct file_state	*fs = b->state;
	const struct file_entry	*e;

	if (file_refresh(fs) == -1)
		return BACKEND_TEMPFAIL;
	if ((e = file_find(fs, user)) == NULL)
		return BACKEND_FAIL;
	return file_record(e, u) == 0 ? BACKEND_OK : BACKEND_TEMPFAIL;
}
