/*
 * APPEND (RFC 3501 6.3.11) with UIDPLUS's APPENDUID (RFC 4315 3):
 * mailbox, optional flag list, optional date-time, and the message as
 * a literal the reader has already taken in whole (within max_append).
 */

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "imapsd.h"
#include "mime.h"
#include "store.h"

#define APPEND_DATE_LEN	26	/* "dd-Mon-yyyy hh:mm:ss +zzzz" */

static int	append_date(const struct imapcmd_node *, time_t *);
static int	append_flags(const struct imapcmd_node *, unsigned *,
		    const char **, size_t *);
static int	append_store(struct imap *, struct imapcmd *, const char *,
		    const struct imapcmd_node *, unsigned, const char **,
		    size_t, time_t);

/*
 * RFC 3501 date-time: DQUOTE date-day-fixed "-" date-month "-"
 * date-year SP time SP zone DQUOTE, the day " 7" or "07".  lib/mime's
 * RFC 5322 parser does the arithmetic once the form is checked.
 */
static int
append_date(const struct imapcmd_node *n, time_t *t)
{
	static const char	 form[] = "dd-Mmm-dddd dd:dd:dd Sdddd";
	struct mime_date	 d;
	char			 buf[APPEND_DATE_LEN + 1];
	size_t			 i;
	int			 mday;

	if (n->type != IMAPCMD_QUOTED || n->len != APPEND_DATE_LEN)
		return -1;
	for (i = 0; i < APPEND_DATE_LEN; i++) {
		switch (form[i]) {
		case 'd':
			if ((n->str[i] < '0' || n->str[i] > '9') &&
			    !(i == 0 && n->str[i] == ' '))
				return -1;
			break;
		case 'M':
		case 'm':
			if (!((n->str[i] >= 'a' && n->str[i] <= 'z') ||
			    (n->str[i] >= 'A' && n->str[i] <= 'Z')))
				return -1;
			break;
		case 'S':
			if (n->str[i] != '+' && n->str[i] != '-')
				return -1;
			break;
		default:
			if (n->str[i] != form[i])
				return -1;
		}
	}
	memcpy(buf, n->str, sizeof(buf));
	buf[2] = buf[6] = ' ';
	/* Both day octets are digits (or a leading space) by now. */
	mday = (buf[0] == ' ' ? 0 : buf[0] - '0') * 10 + (buf[1] - '0');
	if (mime_date_parse(buf[0] == ' ' ? buf + 1 : buf, &d) == -1 ||
	    d.mday != mday || d.hour > 23 || d.min > 59 || d.sec > 60 ||
	    d.zone / 60 > 23 || d.zone / 60 < -23)
		return -1;
	*t = d.utc;
	return 0;
}

/* The flag list: system flags in *flags, keyword names in kw. */
static int
append_flags(const struct imapcmd_node *list, unsigned *flags,
    const char **kw, size_t *nkw)
{
	const struct imapcmd_node	*n;
	unsigned			 bit;
	size_t				 i;

	*flags = 0;
	*nkw = 0;
	for (n = list->child; n != NULL; n = n->next) {
		switch (imap_write_flag(n, &bit)) {
		case -1:
			return -1;
		case 1:
			*flags |= bit;
			break;
		default:
			for (i = 0; i < *nkw; i++)
				if (strcasecmp(kw[i], n->str) == 0)
					break;
			if (i == *nkw && *nkw < STORE_KEYWORDS_MAX)
				kw[(*nkw)++] = n->str;
		}
	}
	return 0;
}

/* Into the folder: OK [APPENDUID], or the failure as NO. */
static int
append_store(struct imap *p, struct imapcmd *c, const char *name,
    const struct imapcmd_node *msg, unsigned flags, const char **kw,
    size_t nkw, time_t idate)
{
	struct store_append	*a;
	uint32_t		 uidvalidity, uid;

	if (store_append_begin(p->store, name, &a) == -1) {
		if (errno == ENOENT)
			return imap_no(p, c, "[TRYCREATE] Mailbox doesn't "
			    "exist");
		return imap_mailbox_fail(p, c, "APPEND");
	}
	if (store_append_write(a, msg->str, msg->len) == -1) {
		store_append_abort(a);
		return imap_mailbox_fail(p, c, "APPEND");
	}
	if (store_append_commit(a, flags, kw, nkw, idate, &uidvalidity,
	    &uid) == -1)
		return imap_mailbox_fail(p, c, "APPEND");
	imap_log(p, "event=append folder=%s uid=%u size=%zu", name, uid,
	    msg->len);
	imap_select_update(p, 0);
	return imap_ok(p, c, "[APPENDUID %u %u] Append completed.",
	    uidvalidity, uid);
}

int
imap_append(struct imap *p, struct imapcmd *c)
{
	const struct imapcmd_node	*n, *msg = NULL;
	const char			*kw[STORE_KEYWORDS_MAX], *wire, *why;
	unsigned			 flags = 0;
	size_t				 nkw = 0;
	time_t				 idate = (time_t)-1;
	char				*name;
	int				 rv;

	if (c->nargs < 2 || c->nargs > 4)
		return imap_bad(p, c, "APPEND takes a mailbox, optional flags "
		    "and date-time, and a message literal");
	for (n = c->args->next; n != NULL; n = n->next) {
		if (n->next == NULL)
			msg = n;
		else if (n->type == IMAPCMD_LIST && n == c->args->next) {
			if (append_flags(n, &flags, kw, &nkw) == -1)
				return imap_bad(p, c, "APPEND: invalid flag "
				    "list");
		} else if (append_date(n, &idate) == -1)
			return imap_bad(p, c, "APPEND: invalid date-time");
	}
	if (msg->type != IMAPCMD_LITERAL)
		return imap_bad(p, c, "APPEND: the message must be a literal");
	if (imapcmd_mailbox(c->args, '.', &wire) == -1)
		return imap_bad(p, c, "APPEND: the mailbox name is not an "
		    "astring");
	if ((name = imap_mailbox_name(p, c->args, &why)) == NULL)
		return imap_no(p, c, "[CANNOT] APPEND: %s", why);
	if (msg->len == 0)
		rv = imap_no(p, c, "Can't save a zero byte message.");
	else if (msg->flags & IMAPCMD_NODE_NUL)
		/* Literals are CHAR8 (RFC 3501 9); FETCH could not give it back. */
		rv = imap_no(p, c, "APPEND: the message holds a NUL octet");
	else
		rv = append_store(p, c, name, msg, flags, kw, nkw, idate);
	free(name);
	return rv;
}
