/*
 * The "ldap" backend's own interfaces, shared by its files:
 *
 *	backend_ldap.c		the ops table, auth and lookup, the record
 *	backend_ldap_conf.c	the authldaprc file (courier-authlib's format)
 *	backend_ldap_conn.c	connections, deadlines, reconnect and backoff
 *	backend_ldap_filter.c	the login and its RFC 4515 escaping
 *	backend_ldap_pw.c	password schemes ({CRYPT}, {SSHA}, ...)
 *	backend_ldap_cache.c	the optional positive cache
 *
 * Each worker holds its own connections (the pool is one search and one
 * bind connection per worker), opened at its first request, never in the
 * main process.
 */
#ifndef BACKEND_LDAP_H
#define BACKEND_LDAP_H

#include <sys/types.h>

#include <stdio.h>

#include <ldap.h>

#include "authproto.h"
#include "backend.h"

#define LDAP_RC_DEFAULT		"/etc/buzon/authldaprc"
#define LDAP_RC_SIZE_MAX	(64 * 1024)	/* octets of authldaprc */
#define LDAP_RC_LINE_MAX	4096		/* octets of one line */
#define LDAP_LOGIN_MAX		AUTH_NAME_MAX	/* login, domain included */
/* "(&(" attr "=" login escaped "\xx" each ")" LDAP_FILTER ")" */
#define LDAP_FILTER_MAX		(3 * LDAP_LOGIN_MAX + 2 * LDAP_RC_LINE_MAX)
#define LDAP_PW_VALUES_MAX	8	/* password values checked per entry */
#define LDAP_PW_VALUE_MAX	512	/* octets of one password value */
#define LDAP_DN_MAX		1024	/* octets of an entry's DN */
#define LDAP_INCOMING_MAX	(256 * 1024)	/* octets of one LDAP PDU read */
#define LDAP_BACKOFF_MIN_MS	250	/* first wait after a failed connect */
#define LDAP_CACHE_SLOTS	1024	/* entries of the cache, per worker */

enum ldap_deref_mode {
	LDAP_DEREF_MODE_NEVER,
	LDAP_DEREF_MODE_SEARCHING,
	LDAP_DEREF_MODE_FINDING,
	LDAP_DEREF_MODE_ALWAYS
};

/* authldaprc, parsed.  Attribute names are NULL when not set. */
struct ldap_conf {
	char		*path;
	char		**raw;		/* each key's text, defaults applied */
	char		*uri;		/* what ldap_initialize() takes */
	char		*uri_list;	/* LDAP_URI as written */
	char		*server;	/* LDAP_SERVER as written */
	long long	 port;
	long long	 version;
	char		*basedn;
	char		*binddn;
	char		*bindpw;
	int		 initbind;
	int		 authbind;
	int		 tls;
	char		*tls_cacert;
	long long	 deref;
	long long	 timeout;	/* seconds, a whole request */
	long long	 backoff_max;	/* seconds */
	long long	 cache_ttl;	/* seconds; 0: no cache */
	char		*mail;
	char		*filter;	/* LDAP_FILTER, parenthesized */
	char		*domain;
	char		*uid_attr;
	char		*gid_attr;
	char		*glob_uid;	/* as written */
	char		*glob_gid;
	uid_t		 uid;		/* resolved LDAP_GLOB_UID */
	gid_t		 gid;
	char		*home_attr;
	char		*mailroot;
	char		*maildir_attr;
	char		*quota_attr;
	char		*fullname_attr;
	char		*delivery_attr;
	char		*cryptpw_attr;
	char		*clearpw_attr;
};

/* One connection of a worker's pool. */
struct ldap_conn {
	LDAP		*ld;
	int		 used;		/* served a request already */
};

/*
 * A worker's connections: "search" is bound as LDAP_BINDDN (or
 * anonymous), "bind" takes the users' binds of LDAP_AUTHBIND.  After a
 * failure no connection is tried before retry_at; the wait doubles from
 * LDAP_BACKOFF_MIN_MS up to LDAP_BACKOFF_MAX.
 */
struct ldap_pool {
	const struct ldap_conf	*conf;
	struct ldap_conn	 search;
	struct ldap_conn	 bind;
	long long		 retry_at;	/* ms, monotonic */
	long long		 backoff;	/* ms */
	int			 down;		/* "status=down" logged */
};

/* A user's entry as found: DN, record and (compare mode) passwords. */
struct ldap_entry {
	char			 login[LDAP_LOGIN_MAX + 1];
	char			*dn;
	struct auth_user	 rec;
	char			*pw[LDAP_PW_VALUES_MAX];
	int			 bare_clear[LDAP_PW_VALUES_MAX];
	size_t			 npw;
	int			 clear;		/* had cleartext values */
	long long		 expires;	/* ms, in the cache */
};

struct ldap_cache {
	struct ldap_entry	*slot[LDAP_CACHE_SLOTS];
};

/* backend_ldap_conf.c */
int	ldap_conf_load(struct ldap_conf *, const char *path, char *err,
	    size_t errlen);
void	ldap_conf_print(const struct ldap_conf *, FILE *);
void	ldap_conf_free(struct ldap_conf *);

/* backend_ldap_conn.c */
/*
 * Searches LDAP_BASEDN (subtree) for filter, asking at most two entries.
 * OK with *res to free with ldap_msgfree() and *ld to read it with
 * (*more set when the server had more entries than that), or TEMPFAIL.
 * A connection that served before and fails is opened again once.
 */
enum backend_result ldap_pool_search(struct ldap_pool *, const char *filter,
		    char **attrs, long long deadline, LDAP **ld,
		    LDAPMessage **res, int *more);
/* A simple bind as dn: OK, FAIL (wrong password) or TEMPFAIL. */
enum backend_result ldap_pool_bind(struct ldap_pool *, const char *dn,
		    const char *pass, long long deadline);
void		ldap_pool_close(struct ldap_pool *);

/* backend_ldap_cache.c */
struct ldap_entry *ldap_cache_get(struct ldap_cache *, const char *login,
		    long long now);
/* Takes e (and frees the entry it replaces). */
void		ldap_cache_put(struct ldap_cache *, struct ldap_entry *e);
void		ldap_cache_drop(struct ldap_cache *, const char *login);
void		ldap_cache_clear(struct ldap_cache *);
/* Zeroes the passwords, frees e. */
void		ldap_entry_free(struct ldap_entry *e);

/* backend_ldap_filter.c */
/*
 * The login to search for: user as given, with "@" domain appended when
 * it has no "@" and domain is not empty.  0, or -1 when user is empty,
 * holds a NUL within len, or the result is over LDAP_LOGIN_MAX.
 */
int	ldap_login_make(const char *user, size_t len, const char *domain,
	    char *dst, size_t dstsize);
/*
 * Escapes len octets per RFC 4515: '*', '(', ')', '\' and every octet
 * outside printable ASCII become "\xx".  NUL is refused.  Returns the
 * length written (dst is terminated), or -1 on NUL or a short dst.
 */
ssize_t	ldap_filter_escape(const char *src, size_t len, char *dst,
	    size_t dstsize);
/* "(&(attr=login)extra)", or "(attr=login)" without extra; 0 or -1. */
int	ldap_filter_build(const char *attr, const char *login,
	    const char *extra, char *dst, size_t dstsize);
/* 1 when a filter's parentheses balance (escapes skipped), else 0. */
int	ldap_filter_balanced(const char *);

/* backend_ldap_pw.c */
enum ldap_pw_result {
	LDAP_PW_UNKNOWN = -1,	/* a scheme this backend does not check */
	LDAP_PW_WRONG = 0,
	LDAP_PW_RIGHT = 1
};
/*
 * Checks pass against one stored value, "{SCHEME}data" (scheme names
 * case-insensitive).  A value without a scheme is cleartext when
 * bare_clear (it came from LDAP_CLEARPW), a crypt(3) hash otherwise.
 * The comparison takes the same time wherever the first difference is.
 */
enum ldap_pw_result ldap_pw_check(const char *pass, const char *value,
	    int bare_clear);
/* 1 when the value is cleartext, which must never be cached. */
int	ldap_pw_is_clear(const char *value, int bare_clear);

#endif /* BACKEND_LDAP_H */
