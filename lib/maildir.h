/*
 * Maildir and Maildir++ folders, after D. J. Bernstein's maildir(5)
 * (https://cr.yp.to/proto/maildir.html) and the Maildir++ folder layout
 * of Courier (folders are ".Name" or ".Parent.Child" subdirectories that
 * hold their own tmp/ new/ cur/ and an empty "maildirfolder" file).
 *
 * Writing a message: maildir_msg_open() makes a unique file in tmp/,
 * the caller writes it, maildir_msg_commit() fsyncs it, links it (or
 * renames it where the filesystem has no hard links) into new/ or cur/
 * as "<unique>,S=<size>" and fsyncs that directory.  maildir_msg_abort()
 * removes the tmp/ file.  Nothing half-written ever appears in new/ or
 * cur/.
 *
 * Every call returns 0, or -1 with errno set.
 */
#ifndef MAILDIR_H
#define MAILDIR_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MAILDIR_MODE		0700	/* of the directories we make */
#define MAILDIR_FILE_MODE	0600	/* of messages and maildirfolder */
#define MAILDIR_NAME_MAX	255	/* octets of one file name */
#define MAILDIR_HOST_MAX	128	/* octets of the escaped host part */
#define MAILDIR_FOLDER_MAX	200	/* octets of a folder name, with dot */
#define MAILDIR_FLAGS_MAX	26	/* info flags after ":2," */
#define MAILDIR_FOLDER_MARK	"maildirfolder"

struct maildir {
	int	 fd;			/* the directory itself, -1 if closed */
	char	 path[PATH_MAX];
};

struct maildir_msg {
	struct maildir	*md;
	int		 fd;		/* the tmp/ file, -1 if closed */
	off_t		 size;		/* octets written so far */
	char		 uniq[MAILDIR_NAME_MAX + 1];	/* "" when none */
};

/*
 * Makes path and its tmp/ new/ cur/ with MAILDIR_MODE.  The parent must
 * exist; what already exists is kept.
 */
int	maildir_create(const char *path);
/* Opens an existing Maildir: path must hold tmp/, new/ and cur/. */
int	maildir_open(struct maildir *, const char *path);
void	maildir_close(struct maildir *);

/*
 * Checks that the Maildir and its tmp/ new/ cur/ are directories owned by
 * uid and writable by nobody else, and that every directory above it is
 * owned by root or uid and is not group or world writable unless sticky.
 * On -1 (EPERM, or the errno of a failed stat) why holds a reason.
 */
int	maildir_secure(const struct maildir *, uid_t uid, char *why,
	    size_t whylen);

/*
 * A Maildir++ folder name: ".Name" or ".Parent.Child".  Refused (EINVAL):
 * no leading dot, an empty component (".", "..", ".a..b", ".a."), '/',
 * control characters, more than MAILDIR_FOLDER_MAX octets.
 */
int	maildir_folder_valid(const char *folder);
/*
 * Makes the folder inside md (its tmp/ new/ cur/, then the maildirfolder
 * file); what already exists is kept.
 */
int	maildir_folder_create(struct maildir *md, const char *folder);
/* Opens the folder of md as a Maildir of its own. */
int	maildir_folder_open(struct maildir *md, const char *folder,
	    struct maildir *out);

/*
 * A unique base name "<sec>.M<usec>P<pid>Q<n>R<random hex>.<host>" with
 * '/' and ':' (and any non-graphic octet) of the host escaped as \ooo.
 */
int	maildir_uniq(char *buf, size_t bufsize);
/*
 * The size of a message file with CR LF line ends and a last line end:
 * what POP3 RETR and IMAP RFC822.SIZE count.
 */
int	maildir_vsize(int dirfd, const char *path, uint64_t *vsize);
/*
 * One line of a Maildir's small state files (uid list, keywords,
 * subscriptions) into buf without its LF: 1, 0 at the end, -1 with
 * errno EINVAL for a line of size octets or more with its LF, the rest
 * of it skipped.
 */
int	maildir_read_line(FILE *fp, char *buf, size_t size);
/* Escapes a host name for a file name as above. */
int	maildir_host_escape(const char *host, char *buf, size_t bufsize);

int	maildir_msg_open(struct maildir *, struct maildir_msg *);
/* Writes all of buf, retrying short writes and EINTR. */
int	maildir_msg_write(struct maildir_msg *, const void *buf, size_t len);
/*
 * Makes the message visible: into new/ when flags is NULL, else into
 * cur/ with ":2,<flags>".  name, when not NULL, gets "new/<file>" or
 * "cur/<file>".  On failure the tmp/ file is removed and nothing is left
 * in new/ or cur/.
 */
int	maildir_msg_commit(struct maildir_msg *, const char *flags,
	    char *name, size_t namesize);
/* Removes the tmp/ file; harmless when there is none. */
void	maildir_msg_abort(struct maildir_msg *);
/* "<maildir>/tmp/<uniq>" for the caller's alarm handler. */
int	maildir_msg_tmppath(const struct maildir_msg *, char *buf,
	    size_t bufsize);

#endif /* MAILDIR_H */
