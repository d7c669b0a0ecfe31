/*
 * maildirmake: makes a Maildir, or a Maildir++ folder inside one.
 *
 *	maildirmake dir			dir/{tmp,new,cur}
 *	maildirmake -f Spam dir		dir/.Spam/{tmp,new,cur,maildirfolder}
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "compat.h"
#include "log.h"
#include "maildir.h"

static __dead void usage(void);
static int	make_maildir(const char *);
static int	make_folder(const char *, const char *);

static __dead void
usage(void)
{
	fprintf(stderr, "usage: maildirmake [-f folder] dir\n");
	exit(EX_USAGE);
}

static int
make_maildir(const char *dir)
{
	struct stat	st;

	if (lstat(dir, &st) == 0) {
		log_warnx("%s: already exists", dir);
		return EX_CANTCREAT;
	}
	if (maildir_create(dir) == -1) {
		log_warn("%s", dir);
		return EX_CANTCREAT;
	}
	return EX_OK;
}

/* folder with or without its leading dot: "Spam", ".Spam", "Lists.buzon". */
static int
make_folder(const char *dir, const char *name)
{
	char		folder[MAILDIR_FOLDER_MAX + 2];
	struct maildir	md;
	struct stat	st;
	int		rv = EX_CANTCREAT;

	if (snprintf(folder, sizeof(folder), "%s%s", name[0] == '.' ? "" :
	    ".", name) >= (int)sizeof(folder) ||
	    maildir_folder_valid(folder) == -1) {
		log_warnx("%s: bad folder name", name);
		return EX_USAGE;
	}
	if (maildir_open(&md, dir) == -1) {
		log_warn("%s: not a Maildir", dir);
		return EX_NOINPUT;
	}
	if (fstatat(md.fd, folder, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		log_warnx("%s/%s: already exists", dir, folder);
		goto done;
	}
	if (maildir_folder_create(&md, folder) == -1) {
		log_warn("%s/%s", dir, folder);
		goto done;
	}
	rv = EX_OK;
done:
	maildir_close(&md);
	return rv;
}

int
main(int argc, char *argv[])
{
	const char	*folder = NULL;
	int		 ch;

	log_init("maildirmake", 1);
	log_setverbose(0);
	while ((ch = getopt(argc, argv, "f:")) != -1) {
		switch (ch) {
		case 'f':
			folder = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage();
	if (pledge("stdio rpath wpath cpath fattr", NULL) == -1) {
		log_warn("pledge");
		return EX_OSERR;
	}
	if (folder != NULL)
		return make_folder(argv[0], folder);
	return make_maildir(argv[0]);
}
