/*
 * Sequence sets (RFC 3501 section 9: sequence-set).  Parsed as sent,
 * with "*" kept as 0 since the maximum it stands for changes as mail
 * comes and goes; resolved against a maximum into sorted, merged ranges
 * when a handler asks about members, and again when the maximum changes.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imapcmd.h"
#include "xmalloc.h"

struct imapcmd_seqset {
	struct imapcmd_range	*range;		/* as sent, 0 for "*" */
	size_t			 n;
	uint32_t		 highest;	/* largest number sent */
	int			 star;
	struct imapcmd_range	*res;		/* resolved for resmax */
	size_t			 nres;
	uint32_t		 resmax;
	int			 resolved;
};

static int	seqnum(const char *, size_t, size_t *, uint32_t *,
		    const char **);
static int	seqrange(struct imapcmd_seqset *, const char *, size_t,
		    size_t *, const char **);
static void	resolve(struct imapcmd_seqset *, uint32_t);

/* seq-number = nz-number / "*" */
static int
seqnum(const char *s, size_t len, size_t *i, uint32_t *v,
    const char **errstr)
{
	size_t		start = *i;
	uint64_t	u;

	if (start < len && s[start] == '*') {
		(*i)++;
		*v = 0;
		return 0;
	}
	while (*i < len && s[*i] >= '0' && s[*i] <= '9')
		(*i)++;
	if (*i == start) {
		*errstr = "invalid sequence set";
		return -1;
	}
	if (s[start] == '0') {
		*errstr = "0 or a leading 0 in a sequence set";
		return -1;
	}
	if (imapcmd_parse_u64(s + start, *i - start, UINT32_MAX, &u) == -1) {
		*errstr = "number over 4294967295 in a sequence set";
		return -1;
	}
	*v = u;
	return 0;
}

/* seq-number [":" seq-number] into r, noting the highest and any "*". */
static int
seqrange(struct imapcmd_seqset *set, const char *s, size_t len, size_t *i,
    const char **errstr)
{
	struct imapcmd_range	*r = &set->range[set->n++];

	if (seqnum(s, len, i, &r->first, errstr) == -1)
		return -1;
	r->last = r->first;
	if (*i < len && s[*i] == ':') {
		(*i)++;
		if (seqnum(s, len, i, &r->last, errstr) == -1)
			return -1;
	}
	set->star |= r->first == 0 || r->last == 0;
	if (r->first > set->highest)
		set->highest = r->first;
	if (r->last > set->highest)
		set->highest = r->last;
	return 0;
}

struct imapcmd_seqset *
imapcmd_seqset_parse(const char *s, size_t len, size_t maxranges,
    const char **errstr)
{
	struct imapcmd_seqset	*set;
	size_t			 i, n = 1;

	if (len == 0) {
		*errstr = "empty sequence set";
		return NULL;
	}
	for (i = 0; i < len; i++)
		if (s[i] == ',')
			n++;
	if (n > maxranges) {
		*errstr = "too many ranges in a sequence set";
		return NULL;
	}
	set = xcalloc(1, sizeof(*set));
	set->range = xreallocarray(NULL, n, sizeof(*set->range));
	set->res = xreallocarray(NULL, n, sizeof(*set->res));
	for (i = 0;;) {
		if (seqrange(set, s, len, &i, errstr) == -1)
			break;
		if (i == len)
			return set;
		if (s[i++] != ',') {
			*errstr = "invalid sequence set";
			break;
		}
	}
	imapcmd_seqset_free(set);
	return NULL;
}

void
imapcmd_seqset_free(struct imapcmd_seqset *set)
{
	if (set == NULL)
		return;
	free(set->range);
	free(set->res);
	free(set);
}

size_t
imapcmd_seqset_nranges(const struct imapcmd_seqset *set)
{
	return set->n;
}

const struct imapcmd_range *
imapcmd_seqset_range(const struct imapcmd_seqset *set, size_t i)
{
	return i < set->n ? &set->range[i] : NULL;
}

uint32_t
imapcmd_seqset_highest(const struct imapcmd_seqset *set)
{
	return set->highest;
}

int
imapcmd_seqset_has_star(const struct imapcmd_seqset *set)
{
	return set->star;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct imapcmd_range	*x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* "*" is max, n:m is m:n, members within 1..max; sorted and merged. */
static void
resolve(struct imapcmd_seqset *set, uint32_t max)
{
	struct imapcmd_range	*o;
	uint32_t		 a, b;
	size_t			 i, k;

	if (set->resolved && set->resmax == max)
		return;
	for (set->nres = 0, i = 0; i < set->n; i++) {
		a = set->range[i].first ? set->range[i].first : max;
		b = set->range[i].last ? set->range[i].last : max;
		o = &set->res[set->nres];
		o->first = a < b ? a : b;
		o->last = a < b ? b : a;
		if (o->first == 0)
			o->first = 1;
		if (o->last > max)
			o->last = max;
		if (o->first <= o->last)
			set->nres++;
	}
	qsort(set->res, set->nres, sizeof(*set->res), range_cmp);
	for (k = 0, i = 1; i < set->nres; i++) {
		if (set->res[k].last == UINT32_MAX ||
		    set->res[i].first <= set->res[k].last + 1) {
			if (set->res[i].last > set->res[k].last)
				set->res[k].last = set->res[i].last;
		} else
			set->res[++k] = set->res[i];
	}
	if (set->nres > 0)
		set->nres = k + 1;
	set->resmax = max;
	set->resolved = 1;
}

/* Index of the first resolved range ending at or after n, or nres. */
static size_t
find(const struct imapcmd_seqset *set, uint32_t n)
{
	size_t	lo = 0, hi = set->nres, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (set->res[mid].last < n)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
imapcmd_seqset_contains(struct imapcmd_seqset *set, uint32_t max, uint32_t n)
{
	size_t	i;

	resolve(set, max);
	i = find(set, n);
	return i < set->nres && set->res[i].first <= n;
}

int
imapcmd_seqset_next(struct imapcmd_seqset *set, uint32_t max, uint32_t *n)
{
	size_t	i;

	resolve(set, max);
	if (*n == UINT32_MAX || (i = find(set, *n + 1)) == set->nres)
		return 0;
	*n = set->res[i].first > *n + 1 ? set->res[i].first : *n + 1;
	return 1;
}

uint64_t
imapcmd_seqset_count(struct imapcmd_seqset *set, uint32_t max)
{
	uint64_t	c = 0;
	size_t		i;

	resolve(set, max);
	for (i = 0; i < set->nres; i++)
		c += (uint64_t)set->res[i].last - set->res[i].first + 1;
	return c;
}
