/*
 * The throttle table: a hash of keys to failure counts, plus a queue in
 * order of last failure, so that expiry and eviction take the oldest
 * first in constant time.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "throttle.h"
#include "xmalloc.h"

#define THROTTLE_BUCKETS	4096	/* hash chains */
#define THROTTLE_SHIFT_MAX	30	/* 2^k beyond this is always max */

struct throttle_entry {
	LIST_ENTRY(throttle_entry)	hash;
	TAILQ_ENTRY(throttle_entry)	age;	/* oldest failure first */
	long long			failures;
	long long			last;	/* ms of the last failure */
	char				key[];
};

LIST_HEAD(throttle_chain, throttle_entry);

struct throttle {
	struct throttle_conf		 conf;
	struct throttle_chain		*buckets;
	TAILQ_HEAD(, throttle_entry)	 age;
	size_t				 n;
	uint32_t			 seed;
};

static struct throttle_chain	*throttle_bucket(struct throttle *,
				    const char *);
static struct throttle_entry	*throttle_find(struct throttle *,
				    const char *);
static void			 throttle_remove(struct throttle *,
				    struct throttle_entry *);

struct throttle *
throttle_new(const struct throttle_conf *conf)
{
	struct throttle	*t;
	size_t		 i;

	t = xcalloc(1, sizeof(*t));
	t->conf = *conf;
	t->buckets = xreallocarray(NULL, THROTTLE_BUCKETS,
	    sizeof(*t->buckets));
	for (i = 0; i < THROTTLE_BUCKETS; i++)
		LIST_INIT(&t->buckets[i]);
	TAILQ_INIT(&t->age);
	t->seed = arc4random();
	return t;
}

void
throttle_free(struct throttle *t)
{
	struct throttle_entry	*e;

	if (t == NULL)
		return;
	while ((e = TAILQ_FIRST(&t->age)) != NULL)
		throttle_remove(t, e);
	free(t->buckets);
	free(t);
}

/* FNV-1a, seeded so that nobody can aim keys at one chain. */
static struct throttle_chain *
throttle_bucket(struct throttle *t, const char *key)
{
	uint32_t	h = 2166136261U ^ t->seed;

	for (; *key != '\0'; key++) {
		h ^= (unsigned char)*key;
		h *= 16777619U;
	}
	return &t->buckets[h % THROTTLE_BUCKETS];
}

static struct throttle_entry *
throttle_find(struct throttle *t, const char *key)
{
	struct throttle_entry	*e;

	LIST_FOREACH(e, throttle_bucket(t, key), hash)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

static void
throttle_remove(struct throttle *t, struct throttle_entry *e)
{
	LIST_REMOVE(e, hash);
	TAILQ_REMOVE(&t->age, e, age);
	free(e);
	t->n--;
}

long long
throttle_until(struct throttle *t, const char *key, long long now)
{
	struct throttle_entry	*e;
	long long		 k, delay;

	if ((e = throttle_find(t, key)) == NULL)
		return 0;
	if (now - e->last >= t->conf.expire_ms) {
		throttle_remove(t, e);
		return 0;
	}
	if (e->failures < t->conf.after)
		return 0;
	k = e->failures - t->conf.after;
	if (k > THROTTLE_SHIFT_MAX)
		delay = t->conf.max_ms;
	else
		delay = t->conf.base_ms * (1LL << k);
	if (delay > t->conf.max_ms)
		delay = t->conf.max_ms;
	return e->last + delay;
}

long long
throttle_fail(struct throttle *t, const char *key, long long now)
{
	struct throttle_entry	*e;
	size_t			 len;

	if ((e = throttle_find(t, key)) != NULL)
		TAILQ_REMOVE(&t->age, e, age);
	else {
		if (t->n > 0 && t->n >= (size_t)t->conf.entries)
			throttle_remove(t, TAILQ_FIRST(&t->age));
		len = strnlen(key, THROTTLE_KEY_MAX);
		e = xcalloc(1, sizeof(*e) + len + 1);
		memcpy(e->key, key, len);
		LIST_INSERT_HEAD(throttle_bucket(t, e->key), e, hash);
		t->n++;
	}
	e->failures++;
	e->last = now;
	TAILQ_INSERT_TAIL(&t->age, e, age);
	return e->failures;
}

void
throttle_clear(struct throttle *t, const char *key)
{
	struct throttle_entry	*e;

	if ((e = throttle_find(t, key)) != NULL)
		throttle_remove(t, e);
}

void
throttle_expire(struct throttle *t, long long now)
{
	struct throttle_entry	*e;

	while ((e = TAILQ_FIRST(&t->age)) != NULL &&
	    now - e->last >= t->conf.expire_ms)
		throttle_remove(t, e);
}

size_t
throttle_count(struct throttle *t)
{
	return t->n;
}
