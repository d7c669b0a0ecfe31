/*
 * A worker's LDAP connections: opened at the first request that needs
 * them, kept across requests, dropped after any error below the LDAP
 * layer (server gone, timeout, garbage), and opened again with backoff.
 *
 * Every request has one deadline, LDAP_TIMEOUT after it started; each
 * step (connect, StartTLS, bind, search) gets what is left of it as both
 * its network and its operation timeout.  So a directory that is down or
 * stopped answers TEMPFAIL within LDAP_TIMEOUT, never FAIL, and during
 * the backoff at once.
 */

#include <sys/types.h>
#include <sys/time.h>

#include <string.h>
#include <time.h>

#include <lber.h>
#include <ldap.h>

#include "backend_ldap.h"
#include "compat.h"
#include "daemon.h"
#include "log.h"

static int	conn_timeouts(LDAP *, long long, struct timeval *);
static int	conn_open(struct ldap_pool *, struct ldap_conn *, int,
		    long long, int *);
static void	conn_close(struct ldap_conn *);
static int	conn_options(const struct ldap_conf *, LDAP *);
static struct ldap_conn *pool_conn(struct ldap_pool *, struct ldap_conn *,
		    int, long long);
static void	pool_failed(struct ldap_pool *, const char *, int);
static void	pool_good(struct ldap_pool *);

/* What is left until deadline, as both timeouts of ld; -1 when none. */
static int
conn_timeouts(LDAP *ld, long long deadline, struct timeval *tv)
{
	long long	left = deadline - daemon_now_ms();

	if (left <= 0)
		return -1;
	tv->tv_sec = left / 1000;
	tv->tv_usec = (left % 1000) * 1000;
	if (ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, tv) !=
	    LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, tv) != LDAP_OPT_SUCCESS)
		return -1;
	return 0;
}

static int
conn_options(const struct ldap_conf *c, LDAP *ld)
{
	static const int	derefs[] = { LDAP_DEREF_NEVER,
	    LDAP_DEREF_SEARCHING, LDAP_DEREF_FINDING, LDAP_DEREF_ALWAYS };
	int			version = LDAP_VERSION3;
	int			deref = derefs[c->deref];

	/* Referrals would be followed anonymously to any server: never. */
	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) !=
	    LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) !=
	    LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_ON) !=
	    LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_DEREF, &deref) != LDAP_OPT_SUCCESS)
		return -1;
	return 0;
}

static void
conn_close(struct ldap_conn *c)
{
	if (c->ld != NULL)
		ldap_unbind_ext(c->ld, NULL, NULL);
	c->ld = NULL;
	c->used = 0;
}

/*
 * A new connection; as the search connection it binds as LDAP_BINDDN
 * (LDAP_INITBIND).  0, or -1 with the LDAP result code in *rcp.
 */
static int
conn_open(struct ldap_pool *p, struct ldap_conn *c, int service,
    long long deadline, int *rcp)
{
	const struct ldap_conf	*cf = p->conf;
	struct berval		 cred;
	struct timeval		 tv;
	Sockbuf			*sb;
	ber_len_t		 max = LDAP_INCOMING_MAX;
	int			 rc;

	if ((rc = ldap_initialize(&c->ld, cf->uri)) != LDAP_SUCCESS) {
		c->ld = NULL;
		goto fail;
	}
	rc = LDAP_LOCAL_ERROR;
	if (conn_options(cf, c->ld) == -1)
		goto fail;
	/* No answer of the directory is read beyond this size. */
	if (ldap_get_option(c->ld, LDAP_OPT_SOCKBUF, &sb) !=
	    LDAP_OPT_SUCCESS ||
	    ber_sockbuf_ctrl(sb, LBER_SB_OPT_SET_MAX_INCOMING, &max) != 1)
		goto fail;
	rc = LDAP_TIMEOUT;
	if (conn_timeouts(c->ld, deadline, &tv) == -1)
		goto fail;
	if (cf->tls && (rc = ldap_start_tls_s(c->ld, NULL, NULL)) !=
	    LDAP_SUCCESS)
		goto fail;
	if (service && cf->initbind && cf->binddn != NULL) {
		cred.bv_val = cf->bindpw != NULL ? cf->bindpw : "";
		cred.bv_len = strlen(cred.bv_val);
		if (conn_timeouts(c->ld, deadline, &tv) == -1) {
			rc = LDAP_TIMEOUT;
			goto fail;
		}
		if ((rc = ldap_sasl_bind_s(c->ld, cf->binddn,
		    LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL)) !=
		    LDAP_SUCCESS)
			goto fail;
	}
	return 0;
fail:
	*rcp = rc;
	conn_close(c);
	return -1;
}

/* The connection, opened when needed; NULL during the backoff. */
static struct ldap_conn *
pool_conn(struct ldap_pool *p, struct ldap_conn *c, int service,
    long long deadline)
{
	int	rc;

	if (c->ld != NULL)
		return c;
	if (daemon_now_ms() < p->retry_at) {
		log_debug("event=backend backend=ldap status=backoff "
		    "wait_ms=%lld", p->retry_at - daemon_now_ms());
		return NULL;
	}
	if (conn_open(p, c, service, deadline, &rc) == -1) {
		pool_failed(p, service ? "connect" : "connect-bind", rc);
		return NULL;
	}
	return c;
}

/* Logged once when the directory goes away, once when it is back. */
static void
pool_failed(struct ldap_pool *p, const char *op, int rc)
{
	long long	max = p->conf->backoff_max * 1000;

	p->backoff = p->backoff == 0 ? LDAP_BACKOFF_MIN_MS : p->backoff * 2;
	if (p->backoff > max)
		p->backoff = max;
	p->retry_at = daemon_now_ms() + p->backoff;
	if (!p->down)
		log_warnx("event=backend backend=ldap status=down op=%s "
		    "error=\"%s\" retry_ms=%lld", op, ldap_err2string(rc),
		    p->backoff);
	else
		log_debug("event=backend backend=ldap status=down op=%s "
		    "error=\"%s\" retry_ms=%lld", op, ldap_err2string(rc),
		    p->backoff);
	p->down = 1;
}

static void
pool_good(struct ldap_pool *p)
{
	if (p->down)
		log_info("event=backend backend=ldap status=up");
	p->down = 0;
	p->backoff = 0;
	p->retry_at = 0;
}

enum backend_result
ldap_pool_search(struct ldap_pool *p, const char *filter, char **attrs,
    long long deadline, LDAP **ld, LDAPMessage **res, int *more)
{
	struct ldap_conn	*c = &p->search;
	struct timeval		 tv;
	int			 rc = LDAP_TIMEOUT, reused, tries;

	*res = NULL;
	for (tries = 0; tries < 2; tries++) {
		if (pool_conn(p, c, 1, deadline) == NULL)
			return BACKEND_TEMPFAIL;
		reused = c->used;
		rc = LDAP_TIMEOUT;
		if (conn_timeouts(c->ld, deadline, &tv) == 0)
			rc = ldap_search_ext_s(c->ld, p->conf->basedn,
			    LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL, NULL,
			    &tv, 2, res);
		if (rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED) {
			c->used = 1;
			pool_good(p);
			*more = rc == LDAP_SIZELIMIT_EXCEEDED;
			*ld = c->ld;
			return BACKEND_OK;
		}
		if (*res != NULL)
			ldap_msgfree(*res);
		*res = NULL;
		/* The server answered, or the filter is bad: no reconnect. */
		if (rc > 0 || rc == LDAP_FILTER_ERROR) {
			log_warnx("event=backend backend=ldap op=search "
			    "error=\"%s\"", ldap_err2string(rc));
			return BACKEND_TEMPFAIL;
		}
		conn_close(c);
		/* Only a connection that worked before gets a second try. */
		if (!reused || rc == LDAP_TIMEOUT)
			break;
	}
	pool_failed(p, "search", rc);
	return BACKEND_TEMPFAIL;
}

enum backend_result
ldap_pool_bind(struct ldap_pool *p, const char *dn, const char *pass,
    long long deadline)
{
	struct ldap_conn	*c = &p->bind;
	struct berval		 cred;
	struct timeval		 tv;
	int			 rc = LDAP_TIMEOUT, reused, tries;

	cred.bv_val = (char *)pass;
	cred.bv_len = strlen(pass);
	for (tries = 0; tries < 2; tries++) {
		if (pool_conn(p, c, 0, deadline) == NULL)
			return BACKEND_TEMPFAIL;
		reused = c->used;
		rc = LDAP_TIMEOUT;
		if (conn_timeouts(c->ld, deadline, &tv) == 0)
			rc = ldap_sasl_bind_s(c->ld, dn, LDAP_SASL_SIMPLE,
			    &cred, NULL, NULL, NULL);
		switch (rc) {
		case LDAP_SUCCESS:
			c->used = 1;
			pool_good(p);
			return BACKEND_OK;
		case LDAP_INVALID_CREDENTIALS:
		case LDAP_INAPPROPRIATE_AUTH:
			c->used = 1;
			pool_good(p);
			return BACKEND_FAIL;
		default:
			break;
		}
		if (rc > 0) {
			log_warnx("event=backend backend=ldap op=bind "
			    "error=\"%s\"", ldap_err2string(rc));
			return BACKEND_TEMPFAIL;
		}
		conn_close(c);
		if (!reused || rc == LDAP_TIMEOUT)
			break;
	}
	pool_failed(p, "bind", rc);
	return BACKEND_TEMPFAIL;
}

void
ldap_pool_close(struct ldap_pool *p)
{
	conn_close(&p->search);
	conn_close(&p->bind);
	p->retry_at = 0;
	p->backoff = 0;
	p->down = 0;
}
