/*
 * RFC 5322 3.3 date-time, with the obsolete forms of 4.3 that real mail
 * still carries: optional day of week, two- and three-digit years,
 * missing seconds, named zones, comments.  SENTBEFORE/SENTON/SENTSINCE
 * compare the date as written (RFC 3501 ignores time and zone), so the
 * fields are returned as written next to the UTC time.
 */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mime.h"

const char *const mime_months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

static const struct {
	const char	*name;
	int		 minutes;
} zones[] = {
	{ "ut", 0 }, { "gmt", 0 }, { "z", 0 },
	{ "edt", -4 * 60 }, { "est", -5 * 60 }, { "cdt", -5 * 60 },
	{ "cst", -6 * 60 }, { "mdt", -6 * 60 }, { "mst", -7 * 60 },
	{ "pdt", -7 * 60 }, { "pst", -8 * 60 },
};

static const char *skip(const char *);
static int	number(const char **, int, int *);
static int	zone(const char *, int *);
static time_t	days_utc(int, int, int);

/* Skips white space, commas and comments. */
static const char *
skip(const char *p)
{
	int	depth;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' ||
		    *p == ',')
			p++;
		if (*p != '(')
			return p;
		for (depth = 0; *p != '\0'; p++) {
			if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0) {
				p++;
				break;
			}
		}
	}
}

/* At most max digits (at least one) as a number. */
static int
number(const char **pp, int max, int *v)
{
	const char	*p = *pp;
	int		 n = 0;

	*v = 0;
	while (isdigit((unsigned char)*p) && n < max) {
		*v = *v * 10 + (*p++ - '0');
		n++;
	}
	if (n == 0 || isdigit((unsigned char)*p))
		return -1;
	*pp = p;
	return n;
}

static int
zone(const char *p, int *minutes)
{
	size_t	i, n;
	int	v, sign;

	*minutes = 0;
	p = skip(p);
	if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (number(&p, 4, &v) != 4 || v % 100 > 59)
			return -1;
		*minutes = sign * (v / 100 * 60 + v % 100);
		return 0;
	}
	for (n = 0; isalpha((unsigned char)p[n]); n++)
		;
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		if (strlen(zones[i].name) == n &&
		    strncasecmp(p, zones[i].name, n) == 0) {
			*minutes = zones[i].minutes;
			return 0;
		}
	/* RFC 5322 4.3: other (military) zones are taken as +0000. */
	return 0;
}

/* Days since 1970-01-01 (proleptic Gregorian), no timegm(3) needed. */
static time_t
days_utc(int y, int m, int d)
{
	y -= m <= 2;
	return (time_t)(365 * (long long)y + y / 4 - y / 100 + y / 400 +
	    (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1 - 719468);
}

int
mime_month(const char *p)
{
	int	i;

	for (i = 0; i < 12; i++)
		if (strncasecmp(p, mime_months[i], 3) == 0)
			return i + 1;
	return 0;
}

int
mime_date_parse(const char *s, struct mime_date *d)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	const char	*p = skip(s);
	int		 n;

	memset(d, 0, sizeof(d[0]));
	if (isalpha((unsigned char)*p)) {
		while (isalpha((unsigned char)*p))
			p++;
		p = skip(p);
	}
	if (number(&p, 2, &d->mday) < 1)
		return -1;
	p = skip(p);
	if ((d->mon = mime_month(p)) == 0)
		return -1;
	while (isalpha((unsigned char)*p))
		p++;
	p = skip(p);
	if ((n = number(&p, 4, &d->year)) < 2)
		return -1;
	if (n == 2)
		d->year += d->year < 50 ? 2000 : 1900;
	else if (n == 3)
		d->year += 1900;
	p = skip(p);
	if (number(&p, 2, &d->hour) < 1 || *p++ != ':' ||
	    number(&p, 2, &d->min) < 1)
		return -1;
	if (*p == ':' && (p++, number(&p, 2, &d->sec)) < 1)
		return -1;
	if (d->mday < 1 || d->mday > mdays[d->mon - 1] || d->hour > 23 ||
	    d->min > 59 || d->sec > 60 || zone(p, &d->zone) == -1)
		return -1;
	d->utc = days_utc(d->year, d->mon, d->mday) * 86400 +
	    d->hour * 3600 + d->min * 60 + d->sec - d->zone * 60;
	return 0;
}

int
mime_msg_date(const struct mime_msg *m, struct mime_date *d)
{
	char	*v;
	int	 r;

	if ((v = mime_field_get(m, &m->parts[0], "date")) == NULL) {
		memset(d, 0, sizeof(*d));
		return -1;
	}
	r = mime_date_parse(v, d);
	free(v);
	return r;
}
