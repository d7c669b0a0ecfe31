/*
 * Subscriptions in courier-imap's "courierimapsubscribed" of the Maildir
 * root: one name a line as courier's clients saw it, "INBOX" or
 * "INBOX.<folder in modified UTF-7>".  Rewritten whole (tmp + rename).
 */

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "maildir.h"
#include "mutf7.h"
#include "store_int.h"
#include "xmalloc.h"

#define SUBS_TMPFILE	"courierimapsubscribed.tmp"
#define SUBS_LINE_MAX	1024	/* octets of a line */

/* The store's UTF-8 name of a line, or NULL. */
static char *
line_name(const char *line)
{
	const char	*errstr;
	char		*name;

	if (store_name_is_inbox(line))
		return xstrdup("INBOX");
	/* courier's lines have "INBOX."; Dovecot's "subscriptions" none. */
	if (strncasecmp(line, "INBOX.", 6) == 0)
		line += 6;
	if ((name = mutf7_decode(line, strlen(line), &errstr)) == NULL)
		name = xstrdup(line);	/* courier 5 writes UTF-8 */
	if (store_name_valid(name) == -1) {
		free(name);
		return NULL;
	}
	return name;
}

int
store_subs(struct store *st, char ***names, size_t *n)
{
	char	 line[SUBS_LINE_MAX], *name;
	FILE	*fp;
	int	 fd, r;

	*names = NULL;
	*n = 0;
	if ((fd = openat(st->rootfd, STORE_SUBS_FILE, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return -1;
	}
	while ((r = maildir_read_line(fp, line, sizeof(line))) != 0 &&
	    *n < STORE_SUBS_MAX) {
		/* A line too long is not a name of ours. */
		if (r == -1)
			continue;
		line[strcspn(line, "\r")] = '\0';
		if (line[0] == '\0' || (name = line_name(line)) == NULL)
			continue;
		*names = xreallocarray(*names, *n + 1, sizeof(char *));
		(*names)[(*n)++] = name;
	}
	fclose(fp);
	return 0;
}

void
store_subs_free(char **names, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int
subs_write(struct store *st, char **names, size_t n)
{
	const char	*errstr;
	char		*enc;
	size_t		 i;
	FILE		*fp;
	int		 fd;

	if ((fd = openat(st->rootfd, SUBS_TMPFILE, O_WRONLY | O_CREAT |
	    O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600)) == -1)
		return -1;
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		goto fail;
	}
	for (i = 0; i < n; i++) {
		if (names[i] == NULL)
			continue;
		if (store_name_is_inbox(names[i])) {
			fprintf(fp, "INBOX\n");
			continue;
		}
		if ((enc = mutf7_encode(names[i], strlen(names[i]), &errstr)) ==
		    NULL)
			continue;
		fprintf(fp, "INBOX.%s\n", enc);
		free(enc);
	}
	if (fflush(fp) != 0 || ferror(fp) || fsync(fileno(fp)) == -1) {
		fclose(fp);
		goto fail;
	}
	if (fclose(fp) != 0 || renameat(st->rootfd, SUBS_TMPFILE, st->rootfd,
	    STORE_SUBS_FILE) == -1)
		goto fail;
	return 0;
fail:
	unlinkat(st->rootfd, SUBS_TMPFILE, 0);
	return -1;
}

int
store_subscribe(struct store *st, const char *name, int on)
{
	char	**names;
	size_t	  n, i;
	int	  found = 0, rv;

	if (store_name_valid(name) == -1)
		return -1;
	if (store_subs(st, &names, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(names[i], name) == 0 ||
		    (store_name_is_inbox(name) &&
		    store_name_is_inbox(names[i]))) {
			found = 1;
			if (!on) {
				free(names[i]);
				names[i] = NULL;
			}
		}
	}
	if (on == found) {
		store_subs_free(names, n);
		return 0;
	}
	if (on) {
		if (n >= STORE_SUBS_MAX) {
			store_subs_free(names, n);
			errno = ENOSPC;
			return -1;
		}
		names = xreallocarray(names, n + 1, sizeof(char *));
		names[n++] = xstrdup(store_name_is_inbox(name) ? "INBOX" :
		    name);
	}
	rv = subs_write(st, names, n);
	store_subs_free(names, n);
	return rv;
}
