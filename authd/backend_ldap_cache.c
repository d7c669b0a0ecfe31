/*
 * The positive cache of a worker (LDAP_CACHE_TTL): entries found for a
 * login, kept LDAP_CACHE_TTL seconds in a direct-mapped table of
 * LDAP_CACHE_SLOTS slots, a newer entry replacing an older one in its
 * slot.  An entry keeps the DN, the record and hashed password values;
 * cleartext values are dropped before an entry goes in (see
 * backend_ldap.c), so no password is ever kept in clear.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend_ldap.h"
#include "compat.h"
#include "xmalloc.h"

static size_t	cache_slot(const char *);

/* FNV-1a; the table is per worker and holds only found users. */
static size_t
cache_slot(const char *login)
{
	uint32_t	h = 2166136261U;

	for (; *login != '\0'; login++) {
		h ^= (unsigned char)*login;
		h *= 16777619U;
	}
	return h % LDAP_CACHE_SLOTS;
}

void
ldap_entry_free(struct ldap_entry *e)
{
	size_t	i;

	if (e == NULL)
		return;
	for (i = 0; i < e->npw; i++)
		freezero_str(e->pw[i]);
	free(e->dn);
	explicit_bzero(e, sizeof(*e));
	free(e);
}

struct ldap_entry *
ldap_cache_get(struct ldap_cache *c, const char *login, long long now)
{
	struct ldap_entry	*e;
	size_t			 i;

	if (c == NULL)
		return NULL;
	i = cache_slot(login);
	if ((e = c->slot[i]) == NULL || strcmp(e->login, login) != 0)
		return NULL;
	if (now >= e->expires) {
		ldap_entry_free(e);
		c->slot[i] = NULL;
		return NULL;
	}
	return e;
}

void
ldap_cache_put(struct ldap_cache *c, struct ldap_entry *e)
{
	size_t	i = cache_slot(e->login);

	if (c->slot[i] != e)
		ldap_entry_free(c->slot[i]);
	c->slot[i] = e;
}

void
ldap_cache_drop(struct ldap_cache *c, const char *login)
{
	size_t	i;

	if (c == NULL)
		return;
	i = cache_slot(login);
	if (c->slot[i] != NULL && strcmp(c->slot[i]->login, login) == 0) {
		ldap_entry_free(c->slot[i]);
		c->slot[i] = NULL;
	}
}

void
ldap_cache_clear(struct ldap_cache *c)
{
	size_t	i;

	if (c == NULL)
		return;
	for (i = 0; i < LDAP_CACHE_SLOTS; i++) {
		ldap_entry_free(c->slot[i]);
		c->slot[i] = NULL;
	}
}
