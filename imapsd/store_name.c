/*
 * Folder names: what may reach the disk, and the directory a name is.
 * Names are UTF-8 in the store and modified UTF-7 on disk (docs/store.md
 * says why); nothing here trusts a name it did not check.
 */

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "maildir.h"
#include "mutf7.h"
#include "store_int.h"

static const struct {
	const char		*name;
	enum store_special	 special;
} special_names[] = {
	{ "Sent", STORE_SPECIAL_SENT },
	{ "Trash", STORE_SPECIAL_TRASH },
	{ "Drafts", STORE_SPECIAL_DRAFTS },
	{ "Junk", STORE_SPECIAL_JUNK },
	{ "Spam", STORE_SPECIAL_JUNK },
	{ "Archive", STORE_SPECIAL_ARCHIVE },
};

int
store_name_is_inbox(const char *name)
{
	return strcasecmp(name, "INBOX") == 0;
}

/* The first level of name is "INBOX" in any case, with more after it. */
static int
under_inbox(const char *name)
{
	return strncasecmp(name, "INBOX.", 6) == 0;
}

/* Levels, each non-empty, no '/', no control octet; -1 when broken. */
static int
name_levels(const char *name)
{
	const unsigned char	*p = (const unsigned char *)name;
	int			 levels = 1, len = 0;

	for (; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '/')
			return -1;
		if (*p == '.') {
			if (len == 0)
				return -1;
			levels++;
			len = 0;
		} else
			len++;
	}
	return len == 0 ? -1 : levels;
}

int
store_name_valid(const char *name)
{
	char	dir[STORE_DIRNAME_MAX];
	size_t	len = strlen(name);
	int	levels;

	if (store_name_is_inbox(name))
		return 0;
	if (len == 0 || len > STORE_NAME_MAX || under_inbox(name) ||
	    (levels = name_levels(name)) == -1 || levels > STORE_DEPTH_MAX ||
	    store_dirname(name, dir, sizeof(dir)) == -1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/*
 * ".<modified UTF-7>" of a checked name ("." for INBOX).  The encoder
 * refuses what is not UTF-8 and every control character (C1 too).
 */
int
store_dirname(const char *name, char *buf, size_t size)
{
	const char	*errstr;
	char		*enc;
	int		 n;

	if (store_name_is_inbox(name))
		return strlcpy(buf, ".", size) < size ? 0 : -1;
	if ((enc = mutf7_encode(name, strlen(name), &errstr)) == NULL) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(buf, size, ".%s", enc);
	free(enc);
	if (n < 0 || (size_t)n >= size || maildir_folder_valid(buf) == -1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* The same in UTF-8, courier-imap 5's form after --convutf8. */
int
store_dirname_utf8(const char *name, char *buf, size_t size)
{
	int	n = snprintf(buf, size, ".%s", name);

	if (n < 0 || (size_t)n >= size || maildir_folder_valid(buf) == -1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* The UTF-8 name of a ".x" directory, or NULL when it is none of ours. */
char *
store_name_from_dir(const char *dir)
{
	const unsigned char	*p;
	const char		*errstr;
	char			*name;
	int			 eight = 0;

	if (dir[0] != '.' || maildir_folder_valid(dir) == -1)
		return NULL;
	if ((name = mutf7_decode(dir + 1, strlen(dir + 1), &errstr)) != NULL) {
		if (store_name_valid(name) == 0 && !store_name_is_inbox(name))
			return name;
		free(name);
		return NULL;
	}
	for (p = (const unsigned char *)dir + 1; *p != '\0'; p++)
		eight |= *p >= 0x80;
	/* Only an 8-bit name can be courier 5's UTF-8 (ASCII is mUTF-7). */
	if (!eight || (name = strdup(dir + 1)) == NULL)
		return NULL;
	if (store_name_valid(name) == 0 && !store_name_is_inbox(name))
		return name;
	free(name);
	return NULL;
}

/* The folder's directory, opened; ENOENT when it is not there. */
int
store_folder_fd(struct store *st, const char *name)
{
	char	dir[STORE_DIRNAME_MAX];
	int	fd;

	if (store_name_valid(name) == -1 ||
	    store_dirname(name, dir, sizeof(dir)) == -1)
		return -1;
	fd = openat(st->rootfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 && errno == ENOENT &&
	    store_dirname_utf8(name, dir, sizeof(dir)) == 0)
		fd = openat(st->rootfd, dir, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

enum store_special
store_special_use(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(special_names) / sizeof(special_names[0]); i++)
		if (strcasecmp(name, special_names[i].name) == 0)
			return special_names[i].special;
	return STORE_SPECIAL_NONE;
}

const char *
store_special_attr(enum store_special s)
{
	switch (s) {
	case STORE_SPECIAL_SENT:
		return "\\Sent";
	case STORE_SPECIAL_TRASH:
		return "\\Trash";
	case STORE_SPECIAL_DRAFTS:
		return "\\Drafts";
	case STORE_SPECIAL_JUNK:
		return "\\Junk";
	case STORE_SPECIAL_ARCHIVE:
		return "\\Archive";
	default:
		return NULL;
	}
}
