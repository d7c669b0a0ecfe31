/*
 * authldaprc, in courier-authlib's format so that an existing file works
 * unchanged: one "KEY value" a line, the value being the rest of the line
 * (blanks inside kept, trailing blanks dropped), '#' lines and blank lines
 * skipped.  The key table below holds every default; authd.conf(5) lists
 * each key.  A courier key this backend does not implement is reported
 * (at "authd -n" and at start) and ignored; any other unknown key is an
 * error, so a typo never passes silently.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ldap.h>

#include "backend_ldap.h"
#include "compat.h"
#include "log.h"
#include "number.h"
#include "xmalloc.h"

#define RC_ATTR_MAX	64	/* octets of an attribute name */
#define RC_MSG_MAX	512	/* octets of one error message */

enum rc_type {
	RC_STRING,	/* text, empty for none */
	RC_SECRET,	/* text, masked when printed */
	RC_ATTR,	/* an attribute name, empty for none */
	RC_BOOL,	/* 0 or 1 */
	RC_NUMBER,	/* within [min, max] */
	RC_DEREF,	/* never, searching, finding, always */
	RC_ID,		/* a user or group name, or a number */
	RC_PATH,	/* an absolute path, empty for none */
	RC_FILTER,	/* an LDAP filter, empty for none */
	RC_UNSUPPORTED	/* reported, then ignored */
};

struct rc_key {
	const char	*name;
	enum rc_type	 type;
	size_t		 off;	/* into struct ldap_conf */
	long long	 min;
	long long	 max;
	const char	*dflt;	/* RC_UNSUPPORTED: why */
};

#define OFF(m)	offsetof(struct ldap_conf, m)

static const struct rc_key	rc_keys[] = {
	{ "LDAP_URI", RC_STRING, OFF(uri_list), 0, 0, "" },
	{ "LDAP_SERVER", RC_STRING, OFF(server), 0, 0, "" },
	{ "LDAP_PORT", RC_NUMBER, OFF(port), 1, 65535, "389" },
	{ "LDAP_PROTOCOL_VERSION", RC_NUMBER, OFF(version), 3, 3, "3" },
	{ "LDAP_BASEDN", RC_STRING, OFF(basedn), 0, 0, "" },
	{ "LDAP_BINDDN", RC_STRING, OFF(binddn), 0, 0, "" },
	{ "LDAP_BINDPW", RC_SECRET, OFF(bindpw), 0, 0, "" },
	{ "LDAP_INITBIND", RC_BOOL, OFF(initbind), 0, 1, "1" },
	{ "LDAP_AUTHBIND", RC_BOOL, OFF(authbind), 0, 1, "0" },
	{ "LDAP_TLS", RC_BOOL, OFF(tls), 0, 1, "0" },
	{ "LDAP_TLS_CACERT", RC_PATH, OFF(tls_cacert), 0, 0, "" },
	{ "LDAP_TIMEOUT", RC_NUMBER, OFF(timeout), 1, 60, "5" },
	{ "LDAP_BACKOFF_MAX", RC_NUMBER, OFF(backoff_max), 1, 300, "5" },
	{ "LDAP_CACHE_TTL", RC_NUMBER, OFF(cache_ttl), 0, 300, "0" },
	{ "LDAP_DEREF", RC_DEREF, OFF(deref), 0, 0, "never" },
	{ "LDAP_MAIL", RC_ATTR, OFF(mail), 0, 0, "mail" },
	{ "LDAP_FILTER", RC_FILTER, OFF(filter), 0, 0, "" },
	{ "LDAP_DOMAIN", RC_STRING, OFF(domain), 0, 0, "" },
	{ "LDAP_UID", RC_ATTR, OFF(uid_attr), 0, 0, "" },
	{ "LDAP_GID", RC_ATTR, OFF(gid_attr), 0, 0, "" },
	{ "LDAP_GLOB_UID", RC_ID, OFF(glob_uid), 0, 0, "" },
	{ "LDAP_GLOB_GID", RC_ID, OFF(glob_gid), 0, 0, "" },
	{ "LDAP_HOMEDIR", RC_ATTR, OFF(home_attr), 0, 0, "homeDirectory" },
	{ "LDAP_MAILROOT", RC_PATH, OFF(mailroot), 0, 0, "" },
	{ "LDAP_MAILDIR", RC_ATTR, OFF(maildir_attr), 0, 0, "" },
	{ "LDAP_MAILDIRQUOTA", RC_ATTR, OFF(quota_attr), 0, 0, "" },
	{ "LDAP_FULLNAME", RC_ATTR, OFF(fullname_attr), 0, 0, "" },
	{ "LDAP_DEFAULTDELIVERY", RC_ATTR, OFF(delivery_attr), 0, 0, "" },
	{ "LDAP_CRYPTPW", RC_ATTR, OFF(cryptpw_attr), 0, 0, "" },
	{ "LDAP_CLEARPW", RC_ATTR, OFF(clearpw_attr), 0, 0, "" },
	{ "LDAP_AUXOPTIONS", RC_UNSUPPORTED, 0, 0, 0,
	    "the authd record has no account options" },
	{ "LDAP_ENUMERATE_FILTER", RC_UNSUPPORTED, 0, 0, 0,
	    "authd does not enumerate accounts" },
	{ "LDAP_EMAILMAP", RC_UNSUPPORTED, 0, 0, 0,
	    "no e-mail handle lookup" },
	{ "LDAP_EMAILMAP_BASEDN", RC_UNSUPPORTED, 0, 0, 0,
	    "no e-mail handle lookup" },
	{ "LDAP_EMAILMAP_ATTRIBUTE", RC_UNSUPPORTED, 0, 0, 0,
	    "no e-mail handle lookup" },
	{ "LDAP_EMAILMAP_MAIL", RC_UNSUPPORTED, 0, 0, 0,
	    "no e-mail handle lookup" }
};

#define RC_NKEYS	nitems(rc_keys)

static const char *const	deref_names[] = {
	"never", "searching", "finding", "always"
};

struct rc_reader {
	const char	*path;
	int		 line;		/* 0: about the whole file */
	int		 errors;
	int		 keyline[RC_NKEYS];	/* where each key was */
};

static void	rc_error(struct rc_reader *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
static char	*rc_read(const char *, char *, size_t);
static int	rc_parse(struct ldap_conf *, struct rc_reader *, char *);
static void	rc_line(struct ldap_conf *, struct rc_reader *, char *);
static const struct rc_key *rc_find(const char *);
static int	rc_convert(struct ldap_conf *, const struct rc_key *,
		    const char *, const char **);
static int	rc_attr_ok(const char *);
static void	rc_check(struct ldap_conf *, struct rc_reader *);
static void	rc_uris(struct ldap_conf *, struct rc_reader *);
static int	rc_uri_ok(const char *, int, const char **);
static void	rc_ids(struct ldap_conf *, struct rc_reader *);

static void
rc_error(struct rc_reader *r, const char *fmt, ...)
{
	char	msg[RC_MSG_MAX];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->line > 0)
		log_warnx("%s:%d: %s", r->path, r->line, msg);
	else
		log_warnx("%s: %s", r->path, msg);
	r->errors++;
}

/* The whole file as a string, or NULL with err filled. */
static char *
rc_read(const char *path, char *err, size_t errlen)
{
	struct stat	 st;
	char		*buf = NULL;
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "backend ldap: %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > LDAP_RC_SIZE_MAX) {
		snprintf(err, errlen, "backend ldap: %s: not a regular file "
		    "of at most %d octets", path, LDAP_RC_SIZE_MAX);
		goto fail;
	}
	buf = xmalloc(st.st_size + 1);
	while (off < (size_t)st.st_size &&
	    (n = read(fd, buf + off, st.st_size - off)) > 0)
		off += n;
	buf[off] = '\0';
	if (off != (size_t)st.st_size || memchr(buf, '\0', off) != NULL) {
		snprintf(err, errlen, "backend ldap: %s: short read or NUL "
		    "octet", path);
		goto fail;
	}
	if (st.st_mode & S_IROTH)
		log_warnx("%s: readable by every user; it may hold "
		    "LDAP_BINDPW", path);
	close(fd);
	return buf;
fail:
	close(fd);
	freezero_str(buf);
	return NULL;
}

static const struct rc_key *
rc_find(const char *name)
{
	size_t	i;

	for (i = 0; i < RC_NKEYS; i++)
		if (strcmp(rc_keys[i].name, name) == 0)
			return &rc_keys[i];
	return NULL;
}

/* Splits the file into lines; raw[] gets each key's text. */
static int
rc_parse(struct ldap_conf *c, struct rc_reader *r, char *buf)
{
	char	*line, *next;

	for (line = buf; *line != '\0'; line = next) {
		r->line++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (strlen(line) >= LDAP_RC_LINE_MAX) {
			rc_error(r, "line longer than %d octets",
			    LDAP_RC_LINE_MAX - 1);
			continue;
		}
		rc_line(c, r, line);
	}
	r->line = 0;
	return r->errors ? -1 : 0;
}

static void
rc_line(struct ldap_conf *c, struct rc_reader *r, char *line)
{
	const struct rc_key	*k;
	char			*val, *end;

	line += strspn(line, " \t");
	end = line + strlen(line);
	while (end > line && strchr(" \t\r", end[-1]) != NULL)
		*--end = '\0';
	if (line[0] == '#' || line[0] == '\0')
		return;
	val = line + strcspn(line, " \t");
	if (*val != '\0')
		*val++ = '\0';
	val += strspn(val, " \t");
	if ((k = rc_find(line)) == NULL) {
		rc_error(r, "unknown key %s", line);
		return;
	}
	if (k->type == RC_UNSUPPORTED) {
		log_warnx("%s:%d: %s: unsupported, ignored: %s", r->path,
		    r->line, k->name, k->dflt);
		return;
	}
	if (c->raw[k - rc_keys] != NULL) {
		rc_error(r, "%s given twice", k->name);
		return;
	}
	c->raw[k - rc_keys] = xstrdup(val);
	r->keyline[k - rc_keys] = r->line;
}

static int
rc_attr_ok(const char *s)
{
	size_t	len = strlen(s);

	return len > 0 && len <= RC_ATTR_MAX &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-.;") == len;
}

/* One key's text into its field; -1 with a static reason. */
static int
rc_convert(struct ldap_conf *c, const struct rc_key *k, const char *val,
    const char **why)
{
	void		*p = (char *)c + k->off;
	long long	 n;
	size_t		 i;

	switch (k->type) {
	case RC_NUMBER:
	case RC_BOOL:
		*why = k->type == RC_BOOL ? "not 0 or 1" : "out of range";
		if (parse_number(val, k->min, k->max, &n) == -1)
			return -1;
		if (k->type == RC_BOOL)
			*(int *)p = n;
		else
			*(long long *)p = n;
		return 0;
	case RC_DEREF:
		*why = "not never, searching, finding or always";
		for (i = 0; i < nitems(deref_names); i++)
			if (strcasecmp(val, deref_names[i]) == 0)
				break;
		if (i == nitems(deref_names))
			return -1;
		*(long long *)p = i;
		return 0;
	case RC_ATTR:
		*why = "not an attribute name";
		if (val[0] != '\0' && !rc_attr_ok(val))
			return -1;
		break;
	case RC_PATH:
		*why = "not an absolute path";
		if (val[0] != '\0' && val[0] != '/')
			return -1;
		break;
	case RC_FILTER:
		*why = "parentheses do not balance";
		if (val[0] == '\0')
			break;
		if (val[0] == '(') {
			if (!ldap_filter_balanced(val))
				return -1;
			break;
		}
		/* courier takes "attr=value" without parentheses too */
		xasprintf((char **)p, "(%s)", val);
		if (!ldap_filter_balanced(*(char **)p))
			return -1;
		return 0;
	default:
		break;
	}
	*(char **)p = val[0] != '\0' ? xstrdup(val) : NULL;
	return 0;
}

/* LDAP_URI or LDAP_SERVER into the URI list ldap_initialize() takes. */
static void
rc_uris(struct ldap_conf *c, struct rc_reader *r)
{
	char		*list, *w, *s, *u;
	const char	*why;
	size_t		 len = 0;

	if ((c->uri_list == NULL) == (c->server == NULL)) {
		rc_error(r, "give one of LDAP_URI and LDAP_SERVER");
		return;
	}
	list = xstrdup(c->uri_list != NULL ? c->uri_list : c->server);
	c->uri = xcalloc(1, 1);
	for (s = list; (w = strsep(&s, ", \t")) != NULL; ) {
		if (*w == '\0')
			continue;
		if (c->uri_list != NULL || strstr(w, "://") != NULL)
			u = xstrdup(w);
		else if (strchr(w, ':') != NULL)	/* IPv6 address */
			xasprintf(&u, "ldap://[%s]:%lld", w, c->port);
		else
			xasprintf(&u, "ldap://%s:%lld", w, c->port);
		if (rc_uri_ok(u, c->tls, &why) == -1)
			rc_error(r, "%s: %s", u, why);
		len += strlen(u) + 1;
		c->uri = xreallocarray(c->uri, len + 1, 1);
		if (c->uri[0] != '\0')
			strlcat(c->uri, " ", len + 1);
		strlcat(c->uri, u, len + 1);
		free(u);
	}
	free(list);
	if (c->uri[0] == '\0')
		rc_error(r, "no server in LDAP_URI or LDAP_SERVER");
}

static int
rc_uri_ok(const char *u, int tls, const char **why)
{
	LDAPURLDesc	*lud;
	int		 rv = 0;

	*why = "not an LDAP URI";
	if (ldap_url_parse(u, &lud) != LDAP_URL_SUCCESS)
		return -1;
	if (strcasecmp(lud->lud_scheme, "ldap") != 0 &&
	    strcasecmp(lud->lud_scheme, "ldaps") != 0 &&
	    strcasecmp(lud->lud_scheme, "ldapi") != 0) {
		*why = "scheme is not ldap, ldaps or ldapi";
		rv = -1;
	} else if (tls && strcasecmp(lud->lud_scheme, "ldaps") == 0) {
		*why = "LDAP_TLS (StartTLS) with ldaps://, which is TLS "
		    "already";
		rv = -1;
	} else if (lud->lud_dn != NULL && lud->lud_dn[0] != '\0') {
		*why = "a server URI holds no DN; use LDAP_BASEDN";
		rv = -1;
	}
	ldap_free_urldesc(lud);
	return rv;
}

/* LDAP_GLOB_UID and LDAP_GLOB_GID: names resolved now, as root. */
static void
rc_ids(struct ldap_conf *c, struct rc_reader *r)
{
	struct passwd	*pw;
	struct group	*gr;
	long long	 n;

	if (c->glob_uid != NULL) {
		if (parse_number(c->glob_uid, 1, UINT32_MAX - 1, &n) == 0)
			c->uid = n;
		else if ((pw = getpwnam(c->glob_uid)) != NULL &&
		    pw->pw_uid != 0)
			c->uid = pw->pw_uid;
		else
			rc_error(r, "LDAP_GLOB_UID: no such user %s, or "
			    "uid 0", c->glob_uid);
	}
	if (c->glob_gid != NULL) {
		if (parse_number(c->glob_gid, 1, UINT32_MAX - 1, &n) == 0)
			c->gid = n;
		else if ((gr = getgrnam(c->glob_gid)) != NULL &&
		    gr->gr_gid != 0)
			c->gid = gr->gr_gid;
		else
			rc_error(r, "LDAP_GLOB_GID: no such group %s, or "
			    "gid 0", c->glob_gid);
	}
}

/* What the keys mean together. */
static void
rc_check(struct ldap_conf *c, struct rc_reader *r)
{
	rc_uris(c, r);
	rc_ids(c, r);
	if (c->basedn == NULL)
		rc_error(r, "LDAP_BASEDN is needed");
	if (c->uid_attr == NULL && c->glob_uid == NULL)
		rc_error(r, "LDAP_UID or LDAP_GLOB_UID is needed");
	if (c->gid_attr == NULL && c->glob_gid == NULL)
		rc_error(r, "LDAP_GID or LDAP_GLOB_GID is needed");
	if (c->home_attr == NULL)
		rc_error(r, "LDAP_HOMEDIR is needed");
	if (c->mail == NULL)
		rc_error(r, "LDAP_MAIL is needed");
	if (!c->authbind && c->cryptpw_attr == NULL &&
	    c->clearpw_attr == NULL)
		rc_error(r, "without LDAP_AUTHBIND 1, LDAP_CRYPTPW or "
		    "LDAP_CLEARPW is needed");
	if (c->bindpw != NULL && c->binddn == NULL)
		rc_error(r, "LDAP_BINDPW without LDAP_BINDDN");
	if (c->tls_cacert != NULL && access(c->tls_cacert, R_OK) == -1)
		rc_error(r, "LDAP_TLS_CACERT %s: %s", c->tls_cacert,
		    strerror(errno));
}

int
ldap_conf_load(struct ldap_conf *c, const char *path, char *err,
    size_t errlen)
{
	struct rc_reader	 r;
	const char		*why;
	char			*buf;
	size_t			 i;

	memset(c, 0, sizeof(*c));
	memset(&r, 0, sizeof(r));
	c->path = xstrdup(path);
	c->raw = xcalloc(RC_NKEYS, sizeof(*c->raw));
	r.path = c->path;
	if ((buf = rc_read(path, err, errlen)) == NULL)
		return -1;
	rc_parse(c, &r, buf);
	freezero_str(buf);
	for (i = 0; i < RC_NKEYS; i++) {
		if (rc_keys[i].type == RC_UNSUPPORTED)
			continue;
		if (c->raw[i] == NULL)
			c->raw[i] = xstrdup(rc_keys[i].dflt);
		r.line = r.keyline[i];
		if (rc_convert(c, &rc_keys[i], c->raw[i], &why) == -1)
			rc_error(&r, "%s %s: %s", rc_keys[i].name, c->raw[i],
			    why);
	}
	r.line = 0;
	if (r.errors == 0)
		rc_check(c, &r);
	if (r.errors > 0) {
		snprintf(err, errlen, "backend ldap: %s: %d error%s", path,
		    r.errors, r.errors > 1 ? "s" : "");
		return -1;
	}
	return 0;
}

/* For "authd -nv": every key with its value, defaults included. */
void
ldap_conf_print(const struct ldap_conf *c, FILE *fp)
{
	size_t	i;

	for (i = 0; i < RC_NKEYS; i++) {
		if (rc_keys[i].type == RC_UNSUPPORTED)
			continue;
		if (c->raw[i] == NULL || c->raw[i][0] == '\0')
			fprintf(fp, "# %s\n", rc_keys[i].name);
		else
			fprintf(fp, "# %s %s\n", rc_keys[i].name,
			    rc_keys[i].type == RC_SECRET ? "********" :
			    c->raw[i]);
	}
}

void
ldap_conf_free(struct ldap_conf *c)
{
	size_t	i;

	if (c->raw != NULL) {
		for (i = 0; i < RC_NKEYS; i++) {
			if (rc_keys[i].type == RC_STRING ||
			    rc_keys[i].type == RC_SECRET ||
			    rc_keys[i].type == RC_ATTR ||
			    rc_keys[i].type == RC_ID ||
			    rc_keys[i].type == RC_PATH ||
			    rc_keys[i].type == RC_FILTER)
				freezero_str(*(char **)((char *)c +
				    rc_keys[i].off));
			freezero_str(c->raw[i]);
		}
		free(c->raw);
	}
	free(c->uri);
	free(c->path);
	memset(c, 0, sizeof(*c));
}
