/*
 * The "ldap" backend: courier-authlib's authldap, for authd.
 *
 *	backend ldap [/etc/buzon/authldaprc]
 *
 * A request searches LDAP_BASEDN for (&(LDAP_MAIL=login)LDAP_FILTER),
 * the login escaped per RFC 4515 and LDAP_DOMAIN appended to one without
 * "@".  No entry, or more than one, is a FAIL (the second logged).  The
 * password is then checked by a bind as the entry's DN (LDAP_AUTHBIND 1)
 * or against its LDAP_CRYPTPW / LDAP_CLEARPW values here.  The DN is used
 * as the directory returned it, never built from the login.
 *
 * A directory that is down, slow or answers an error gives TEMPFAIL,
 * never FAIL, so a client is told "try again later", not "wrong
 * password"; so does an entry whose record is unusable (logged), such as
 * one with a control character in a value the record takes.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldap.h>

#include "backend.h"
#include "backend_ldap.h"
#include "compat.h"
#include "daemon.h"
#include "log.h"
#include "number.h"
#include "xmalloc.h"

/* Costs a bcrypt(10) hash until the directory showed a hash of its own. */
#define LDAP_DUMMY_HASH	\
	"{CRYPT}$2b$10$HUHxazVLquDd196DJVQISeNmyAzcJIncVpceV1SMnbq./fpNuz5FO"
#define LDAP_ATTRS_MAX	11	/* attributes a search asks for, + NULL */

struct ldap_state {
	struct ldap_conf	 conf;
	struct ldap_pool	 pool;
	struct ldap_cache	*cache;		/* NULL: LDAP_CACHE_TTL 0 */
	char			*dummy;		/* checked for unknown users */
	char			*attrs[LDAP_ATTRS_MAX];
};

static int	ldapb_init(struct backend *, int, char **, char *, size_t);
static enum backend_result ldapb_auth(struct backend *, const char *,
		    const char *, const char *, struct auth_user *);
static enum backend_result ldapb_lookup(struct backend *, const char *,
		    struct auth_user *);
static void	ldapb_reopen(struct backend *);
static void	ldapb_close(struct backend *);
static int	ldapb_unveil(struct backend *);
static void	ldapb_print(struct backend *, FILE *);
static void	ldapb_attrs(struct ldap_state *);
static int	ldapb_login(struct ldap_state *, const char *, char *);
static enum backend_result ldapb_find(struct ldap_state *, const char *,
		    long long, struct ldap_entry **);
static enum backend_result entry_read(struct ldap_state *, LDAP *,
		    LDAPMessage *, const char *, struct ldap_entry **);
static int	entry_text_ok(const char *, size_t);
static int	entry_value(LDAP *, LDAPMessage *, const char *, char *,
		    size_t);
static void	entry_name(LDAP *, LDAPMessage *, const char *, const char *,
		    char *, size_t);
static int	entry_id(LDAP *, LDAPMessage *, const char *, long long,
		    long long *);
static int	entry_paths(const struct ldap_conf *, LDAP *, LDAPMessage *,
		    struct auth_user *);
static int	entry_record(struct ldap_state *, LDAP *, LDAPMessage *,
		    struct ldap_entry *, const char **);
static void	entry_passwords(LDAP *, LDAPMessage *, const char *, int,
		    struct ldap_entry *);
static enum backend_result entry_auth(struct ldap_state *,
		    struct ldap_entry *, const char *, long long);
static enum backend_result entry_compare(struct ldap_state *,
		    struct ldap_entry *, const char *);
static void	ldapb_keep(struct ldap_state *, struct ldap_entry *);

const struct backend_ops backend_ldap_ops = {
	.name = "ldap",
	.minargs = 0,
	.maxargs = 1,
	.group = NULL,
	.promises = "inet dns unix",
	.unveil = ldapb_unveil,
	.init = ldapb_init,
	.auth = ldapb_auth,
	.lookup = ldapb_lookup,
	.reopen = ldapb_reopen,
	.close = ldapb_close,
	.print = ldapb_print
};

static int
ldapb_init(struct backend *b, int argc, char **argv, char *err,
    size_t errlen)
{
	struct ldap_state	*ls;
	const char		*path = argc > 0 ? argv[0] : LDAP_RC_DEFAULT;

	if (path[0] != '/') {
		snprintf(err, errlen, "backend ldap: %s: not an absolute path",
		    path);
		return -1;
	}
	ls = xcalloc(1, sizeof(*ls));
	if (ldap_conf_load(&ls->conf, path, err, errlen) == -1)
		goto fail;
	/* Global, before any connection exists; the workers inherit it. */
	if (ls->conf.tls_cacert != NULL &&
	    ldap_set_option(NULL, LDAP_OPT_X_TLS_CACERTFILE,
	    ls->conf.tls_cacert) != LDAP_OPT_SUCCESS) {
		snprintf(err, errlen, "backend ldap: LDAP_TLS_CACERT %s: "
		    "refused by libldap", ls->conf.tls_cacert);
		goto fail;
	}
	ls->pool.conf = &ls->conf;
	if (ls->conf.cache_ttl > 0)
		ls->cache = xcalloc(1, sizeof(*ls->cache));
	ls->dummy = xstrdup(LDAP_DUMMY_HASH);
	ldapb_attrs(ls);
	b->state = ls;
	return 0;
fail:
	ldap_conf_free(&ls->conf);
	free(ls);
	return -1;
}

/* What a search asks for: no password attribute with LDAP_AUTHBIND. */
static void
ldapb_attrs(struct ldap_state *ls)
{
	const struct ldap_conf	*c = &ls->conf;
	char			*want[] = { c->mail, c->uid_attr, c->gid_attr,
	    c->home_attr, c->maildir_attr, c->quota_attr, c->fullname_attr,
	    c->delivery_attr, c->authbind ? NULL : c->cryptpw_attr,
	    c->authbind ? NULL : c->clearpw_attr };
	size_t			 i, n = 0;

	_Static_assert(nitems(want) < LDAP_ATTRS_MAX, "LDAP_ATTRS_MAX");
	for (i = 0; i < nitems(want); i++)
		if (want[i] != NULL)
			ls->attrs[n++] = want[i];
	ls->attrs[n] = NULL;
}

static void
ldapb_close(struct backend *b)
{
	struct ldap_state	*ls = b->state;

	ldap_pool_close(&ls->pool);
	ldap_cache_clear(ls->cache);
	free(ls->cache);
	free(ls->dummy);
	ldap_conf_free(&ls->conf);
	free(ls);
	b->state = NULL;
}

/* SIGHUP: new connections, an empty cache. */
static void
ldapb_reopen(struct backend *b)
{
	struct ldap_state	*ls = b->state;

	ldap_pool_close(&ls->pool);
	ldap_cache_clear(ls->cache);
}

static void
ldapb_print(struct backend *b, FILE *fp)
{
	struct ldap_state	*ls = b->state;

	ldap_conf_print(&ls->conf, fp);
}

/* Name service, TLS certificates, libldap's own files, ldapi sockets. */
static int
ldapb_unveil(struct backend *b)
{
	static const char *const	 ro[] = { "/etc/resolv.conf",
	    "/etc/hosts", "/etc/ssl", "/etc/openldap", "/etc/ldap" };
	struct ldap_state		*ls = b->state;
	LDAPURLDesc			*lud;
	char				*list, *s, *w;
	size_t				 i;
	int				 rv = 0;

	for (i = 0; i < nitems(ro); i++)
		if (unveil(ro[i], "r") == -1 && errno != ENOENT)
			return -1;
	if (ls->conf.tls_cacert != NULL &&
	    unveil(ls->conf.tls_cacert, "r") == -1)
		return -1;
	list = xstrdup(ls->conf.uri);
	for (s = list; rv == 0 && (w = strsep(&s, " ")) != NULL; ) {
		if (ldap_url_parse(w, &lud) != LDAP_URL_SUCCESS)
			continue;
		if (strcasecmp(lud->lud_scheme, "ldapi") == 0 &&
		    lud->lud_host != NULL && lud->lud_host[0] == '/')
			rv = unveil(lud->lud_host, "rw");
		ldap_free_urldesc(lud);
	}
	free(list);
	return rv;
}

/* The login, checked before any LDAP traffic; 0 or -1. */
static int
ldapb_login(struct ldap_state *ls, const char *user, char *login)
{
	char	vis[LOG_VIS_MAX];

	if (ldap_login_make(user, strlen(user), ls->conf.domain, login,
	    LDAP_LOGIN_MAX + 1) == -1) {
		log_debug("event=backend backend=ldap user=%s "
		    "error=\"login refused: empty or too long\"",
		    log_vis(vis, sizeof(vis), user, strlen(user)));
		return -1;
	}
	return 0;
}

static enum backend_result
ldapb_find(struct ldap_state *ls, const char *login, long long deadline,
    struct ldap_entry **ep)
{
	char			 filter[LDAP_FILTER_MAX], vis[LOG_VIS_MAX];
	LDAPMessage		*res;
	LDAP			*ld;
	enum backend_result	 r;
	int			 n, more;

	*ep = NULL;
	if (ldap_filter_build(ls->conf.mail, login, ls->conf.filter, filter,
	    sizeof(filter)) == -1)
		return BACKEND_FAIL;
	r = ldap_pool_search(&ls->pool, filter, ls->attrs, deadline, &ld,
	    &res, &more);
	if (r != BACKEND_OK)
		return r;
	if ((n = ldap_count_entries(ld, res)) > 1 || more) {
		log_warnx("event=backend backend=ldap user=%s "
		    "error=\"more than one entry matches; refused\"",
		    log_vis(vis, sizeof(vis), login, strlen(login)));
		r = BACKEND_FAIL;
	} else if (n == 1)
		r = entry_read(ls, ld, ldap_first_entry(ld, res), login, ep);
	else
		r = n == 0 ? BACKEND_FAIL : BACKEND_TEMPFAIL;
	ldap_msgfree(res);
	return r;
}

/* 1 when the len octets at s hold no control character (NUL included). */
static int
entry_text_ok(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < ' ' || (unsigned char)s[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * The first value of attr: 1, 0 when absent, -1 when too long or holding
 * a control character, which never reaches the record.
 */
static int
entry_value(LDAP *ld, LDAPMessage *m, const char *attr, char *dst,
    size_t dstsize)
{
	struct berval	**v;
	int		  rv = 0;

	dst[0] = '\0';
	if (attr == NULL || (v = ldap_get_values_len(ld, m, attr)) == NULL)
		return 0;
	if (v[0] != NULL) {
		rv = -1;
		if (v[0]->bv_len < dstsize &&
		    entry_text_ok(v[0]->bv_val, v[0]->bv_len)) {
			memcpy(dst, v[0]->bv_val, v[0]->bv_len);
			dst[v[0]->bv_len] = '\0';
			rv = 1;
		}
	}
	ldap_value_free_len(v);
	return rv;
}

/* The mail value the login matched, as the directory spells it. */
static void
entry_name(LDAP *ld, LDAPMessage *m, const char *attr, const char *login,
    char *dst, size_t dstsize)
{
	struct berval	**v;
	size_t		  i, len = strlen(login);

	strlcpy(dst, login, dstsize);
	if ((v = ldap_get_values_len(ld, m, attr)) == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		if (v[i]->bv_len == len &&
		    strncasecmp(v[i]->bv_val, login, len) == 0) {
			memcpy(dst, v[i]->bv_val, len);
			break;
		}
	ldap_value_free_len(v);
}

/* The entry's own id, else the global one; 0 is never accepted. */
static int
entry_id(LDAP *ld, LDAPMessage *m, const char *attr, long long glob,
    long long *id)
{
	char	num[16];
	int	r;

	if ((r = entry_value(ld, m, attr, num, sizeof(num))) == -1)
		return -1;
	if (r == 0) {
		*id = glob;
		return glob > 0 ? 0 : -1;
	}
	return parse_number(num, 1, UINT32_MAX - 1, id);
}

/* Home (under LDAP_MAILROOT when relative), then the maildir. */
static int
entry_paths(const struct ldap_conf *c, LDAP *ld, LDAPMessage *m,
    struct auth_user *u)
{
	char	buf[AUTH_PATH_MAX + 1];
	int	n = 0, r;

	if (entry_value(ld, m, c->home_attr, buf, sizeof(buf)) != 1 ||
	    buf[0] == '\0')
		return -1;
	if (buf[0] == '/')
		strlcpy(u->home, buf, sizeof(u->home));
	else if (c->mailroot != NULL)
		n = snprintf(u->home, sizeof(u->home), "%s/%s", c->mailroot,
		    buf);
	else
		return -1;
	if (n < 0 || (size_t)n >= sizeof(u->home))
		return -1;
	if ((r = entry_value(ld, m, c->maildir_attr, buf, sizeof(buf))) == -1)
		return -1;
	if (r == 1 && buf[0] == '/')
		strlcpy(u->maildir, buf, sizeof(u->maildir));
	else if (r == 1 && buf[0] != '\0')
		n = snprintf(u->maildir, sizeof(u->maildir), "%s/%s", u->home,
		    buf);
	if (n < 0 || (size_t)n >= sizeof(u->maildir))
		return -1;
	return backend_default_maildir(u);
}

static int
entry_record(struct ldap_state *ls, LDAP *ld, LDAPMessage *m,
    struct ldap_entry *e, const char **why)
{
	const struct ldap_conf	*c = &ls->conf;
	struct auth_user	*u = &e->rec;
	long long		 id;

	entry_name(ld, m, c->mail, e->login, u->name, sizeof(u->name));
	*why = "no usable uid (LDAP_UID, LDAP_GLOB_UID; 0 is refused)";
	if (entry_id(ld, m, c->uid_attr, c->glob_uid ? c->uid : 0, &id) == -1)
		return -1;
	u->uid = id;
	*why = "no usable gid (LDAP_GID, LDAP_GLOB_GID; 0 is refused)";
	if (entry_id(ld, m, c->gid_attr, c->glob_gid ? c->gid : 0, &id) == -1)
		return -1;
	u->gid = id;
	*why = "no usable home or maildir (LDAP_HOMEDIR, LDAP_MAILROOT, "
	    "LDAP_MAILDIR)";
	if (entry_paths(c, ld, m, u) == -1)
		return -1;
	*why = "bad quota (LDAP_MAILDIRQUOTA)";
	if (entry_value(ld, m, c->quota_attr, u->quota,
	    sizeof(u->quota)) == -1 ||
	    strspn(u->quota, "0123456789SC,") != strlen(u->quota))
		return -1;
	*why = "bad full name (LDAP_FULLNAME): too long, or a control "
	    "character";
	if (entry_value(ld, m, c->fullname_attr, u->fullname,
	    sizeof(u->fullname)) == -1)
		return -1;
	*why = "bad delivery instruction (LDAP_DEFAULTDELIVERY): too long, "
	    "or a control character";
	return entry_value(ld, m, c->delivery_attr, u->delivery,
	    sizeof(u->delivery)) == -1 ? -1 : 0;
}

/* Up to LDAP_PW_VALUES_MAX values of attr; the berval copies zeroed. */
static void
entry_passwords(LDAP *ld, LDAPMessage *m, const char *attr, int bare_clear,
    struct ldap_entry *e)
{
	struct berval	**v;
	size_t		  i;

	if (attr == NULL || (v = ldap_get_values_len(ld, m, attr)) == NULL)
		return;
	for (i = 0; v[i] != NULL; i++) {
		if (e->npw < LDAP_PW_VALUES_MAX && v[i]->bv_len > 0 &&
		    v[i]->bv_len <= LDAP_PW_VALUE_MAX &&
		    memchr(v[i]->bv_val, '\0', v[i]->bv_len) == NULL) {
			e->pw[e->npw] = xstrndup(v[i]->bv_val, v[i]->bv_len);
			e->bare_clear[e->npw] = bare_clear;
			if (ldap_pw_is_clear(e->pw[e->npw], bare_clear))
				e->clear = 1;
			e->npw++;
		}
		explicit_bzero(v[i]->bv_val, v[i]->bv_len);
	}
	ldap_value_free_len(v);
}

static enum backend_result
entry_read(struct ldap_state *ls, LDAP *ld, LDAPMessage *m,
    const char *login, struct ldap_entry **ep)
{
	struct ldap_entry	*e;
	char			*dn, vis[LOG_VIS_MAX];
	const char		*why = "entry without a DN, or one too long";

	e = xcalloc(1, sizeof(*e));
	strlcpy(e->login, login, sizeof(e->login));
	if (m == NULL || (dn = ldap_get_dn(ld, m)) == NULL)
		goto bad;
	if (strlen(dn) <= LDAP_DN_MAX)
		e->dn = xstrdup(dn);
	ldap_memfree(dn);
	if (e->dn == NULL || entry_record(ls, ld, m, e, &why) == -1)
		goto bad;
	if (!ls->conf.authbind) {
		entry_passwords(ld, m, ls->conf.cryptpw_attr, 0, e);
		entry_passwords(ld, m, ls->conf.clearpw_attr, 1, e);
	}
	*ep = e;
	return BACKEND_OK;
bad:
	log_warnx("event=backend backend=ldap user=%s dn=\"%s\" error=\"%s\"",
	    log_vis(vis, sizeof(vis), login, strlen(login)),
	    e->dn != NULL ? e->dn : "", why);
	ldap_entry_free(e);
	return BACKEND_TEMPFAIL;
}

/* Every value is checked; a hash seen becomes the unknown users' cost. */
static enum backend_result
entry_compare(struct ldap_state *ls, struct ldap_entry *e, const char *pass)
{
	enum ldap_pw_result	r;
	char			vis[LOG_VIS_MAX];
	size_t			i;
	int			ok = 0, checked = 0;

	for (i = 0; i < e->npw; i++) {
		r = ldap_pw_check(pass, e->pw[i], e->bare_clear[i]);
		if (r == LDAP_PW_UNKNOWN) {
			log_warnx("event=backend backend=ldap user=%s "
			    "error=\"password scheme not supported\"",
			    log_vis(vis, sizeof(vis), e->login,
			    strlen(e->login)));
			continue;
		}
		checked = 1;
		ok |= r == LDAP_PW_RIGHT;
		if (!ldap_pw_is_clear(e->pw[i], e->bare_clear[i]) &&
		    strcmp(ls->dummy, e->pw[i]) != 0) {
			free(ls->dummy);
			ls->dummy = xstrdup(e->pw[i]);
		}
	}
	if (!checked)
		(void)ldap_pw_check(pass, ls->dummy, 0);
	return ok ? BACKEND_OK : BACKEND_FAIL;
}

static enum backend_result
entry_auth(struct ldap_state *ls, struct ldap_entry *e, const char *pass,
    long long deadline)
{
	if (ls->conf.authbind)
		return ldap_pool_bind(&ls->pool, e->dn, pass, deadline);
	return entry_compare(ls, e, pass);
}

/* Into the cache without cleartext values, or freed. */
static void
ldapb_keep(struct ldap_state *ls, struct ldap_entry *e)
{
	size_t	i;

	if (ls->cache == NULL) {
		ldap_entry_free(e);
		return;
	}
	if (e->clear) {
		for (i = 0; i < e->npw; i++)
			freezero_str(e->pw[i]);
		e->npw = 0;
	}
	e->expires = daemon_now_ms() + ls->conf.cache_ttl * 1000;
	ldap_cache_put(ls->cache, e);
}

static enum backend_result
ldapb_auth(struct backend *b, const char *service, const char *user,
    const char *pass, struct auth_user *u)
{
	struct ldap_state	*ls = b->state;
	struct ldap_entry	*e;
	char			 login[LDAP_LOGIN_MAX + 1];
	long long		 deadline;
	enum backend_result	 r;

	if (ldapb_login(ls, user, login) == -1 || pass[0] == '\0')
		return BACKEND_FAIL;
	deadline = daemon_now_ms() + ls->conf.timeout * 1000;
	e = ldap_cache_get(ls->cache, login, daemon_now_ms());
	/* Cleartext values were not kept: such an entry is asked again. */
	if (e != NULL && (ls->conf.authbind || !e->clear)) {
		if ((r = entry_auth(ls, e, pass, deadline)) == BACKEND_OK) {
			*u = e->rec;
			return r;
		}
		/* Maybe stale (a new password, a moved entry): ask again. */
		ldap_cache_drop(ls->cache, login);
		if (r == BACKEND_TEMPFAIL)
			return r;
	}
	if ((r = ldapb_find(ls, login, deadline, &e)) != BACKEND_OK) {
		if (r == BACKEND_FAIL && !ls->conf.authbind)
			(void)ldap_pw_check(pass, ls->dummy, 0);
		return r;
	}
	if ((r = entry_auth(ls, e, pass, deadline)) == BACKEND_OK) {
		*u = e->rec;
		ldapb_keep(ls, e);
	} else
		ldap_entry_free(e);
	return r;
}

static enum backend_result
ldapb_lookup(struct backend *b, const char *user, struct auth_user *u)
{
	struct ldap_state	*ls = b->state;
	struct ldap_entry	*e;
	char			 login[LDAP_LOGIN_MAX + 1];
	enum backend_result	 r;

	if (ldapb_login(ls, user, login) == -1)
		return BACKEND_FAIL;
	if ((e = ldap_cache_get(ls->cache, login, daemon_now_ms())) != NULL) {
		*u = e->rec;
		return BACKEND_OK;
	}
	r = ldapb_find(ls, login, daemon_now_ms() + ls->conf.timeout * 1000,
	    &e);
	if (r == BACKEND_OK) {
		*u = e->rec;
		ldapb_keep(ls, e);
	}
	return r;
}
