/*
 * Throttling of failed logins, per key ("user" or "addr" plus its value).
 * The first "after" failures are free; each one after that delays the
 * key's next request by base * 2^k ms (k = failures beyond the free ones,
 * minus one), at most max ms after the last failure.  A key forgets its
 * failures "expire" ms after the last one.  The table holds at most
 * "entries" keys; when full, the key with the oldest failure goes.
 */
#ifndef THROTTLE_H
#define THROTTLE_H

#include <stddef.h>

#define THROTTLE_KEY_MAX	300	/* octets of "kind:value" */

struct throttle_conf {
	long long	after;		/* free failures */
	long long	base_ms;
	long long	max_ms;
	long long	expire_ms;
	long long	entries;
};

struct throttle;

struct throttle	*throttle_new(const struct throttle_conf *);
void		 throttle_free(struct throttle *);
/* The time (ms, monotonic) before which key's next request must wait. */
long long	 throttle_until(struct throttle *, const char *key,
		    long long now);
/* Records a failure; returns the key's failure count. */
long long	 throttle_fail(struct throttle *, const char *key,
		    long long now);
void		 throttle_clear(struct throttle *, const char *key);
/* Forgets keys whose last failure is older than expire. */
void		 throttle_expire(struct throttle *, long long now);
size_t		 throttle_count(struct throttle *);

#endif /* THROTTLE_H */
