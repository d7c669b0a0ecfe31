/*
 * maildeliver: delivers one message from standard input into a Maildir
 * (or one of its Maildir++ folders) as the recipient, for a spawner or a
 * "| exec maildeliver" line in ~/.forward.  The exit status is the
 * interface: 0 delivered, 75 try again later, anything else permanent.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "compat.h"
#include "deliver.h"
#include "log.h"
#include "maildir.h"
#include "number.h"

#define MAILDELIVER_TIMEOUT	3600	/* seconds before giving up */
#define MAILDELIVER_TIMEOUT_MAX	86400	/* bound of -t */
#define MAILDELIVER_DEFAULT_DIR	"Maildir"	/* under $HOME */
#define MAILDELIVER_WHY_MAX	512	/* octets of a refusal reason */

static char	alarm_tmppath[PATH_MAX];	/* tmp/ file to remove */

static __dead void usage(void);
static void	on_alarm(int);
static void	alarm_block(int);
static int	parse_args(struct delivery *, int, char **);
static int	resolve(struct delivery *);
static int	default_recipient(struct delivery *);
static int	default_maildir(struct delivery *);
static int	open_maildir(struct maildir *, const char *);
static int	open_folder(struct maildir *, const char *, struct maildir *);
static int	check_owner(const struct maildir *);
static int	deliver(struct maildir *, const struct delivery *, int);

static __dead void
usage(void)
{
	fprintf(stderr, "usage: maildeliver [-d maildir] [-f sender] "
	    "[-m folder] [-r recipient] [-t seconds]\n"
	    "       maildeliver -S [-t seconds]\n");
	exit(EX_USAGE);
}

/* Async-signal-safe: the tmp/ file goes, nothing reached new/. */
static void
on_alarm(int sig)
{
	static const char	msg[] = "maildeliver: timed out\n";
	ssize_t			n;

	if (alarm_tmppath[0] != '\0')
		unlink(alarm_tmppath);
	n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)n;
	_exit(EX_TEMPFAIL);
}

static void
alarm_block(int block)
{
	sigset_t	set;

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

/* SIGALRM after seconds ends the process: EX_TEMPFAIL, no tmp/ file. */
void
deliver_arm(long long seconds)
{
	signal(SIGALRM, on_alarm);
	alarm(seconds);
}

int
deliver_set_sender(struct delivery *d, const char *s)
{
	if (deliver_addr_clean(s, d->sender_buf, sizeof(d->sender_buf)) == -1) {
		log_warnx("bad sender address");
		return -1;
	}
	d->sender = d->sender_buf;
	return 0;
}

int
deliver_set_recipient(struct delivery *d, const char *s)
{
	if (deliver_addr_clean(s, d->recipient, sizeof(d->recipient)) == -1 ||
	    d->recipient[0] == '\0') {
		log_warnx("bad recipient address");
		return -1;
	}
	return 0;
}

/* $USER or $LOGNAME (else the passwd name of our uid) @ this host. */
static int
default_recipient(struct delivery *d)
{
	char		 host[HOST_NAME_MAX + 1], rcpt[DELIVER_ADDR_MAX + 2];
	const char	*user;
	struct passwd	*pw;

	if ((user = getenv("USER")) == NULL || *user == '\0')
		user = getenv("LOGNAME");
	if ((user == NULL || *user == '\0') &&
	    (pw = getpwuid(geteuid())) != NULL)
		user = pw->pw_name;
	if (user == NULL || *user == '\0') {
		log_warnx("no recipient: set RECIPIENT, USER or use -r");
		return -1;
	}
	if (gethostname(host, sizeof(host)) == -1)
		strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	snprintf(rcpt, sizeof(rcpt), "%s@%s", user, host);
	return deliver_set_recipient(d, rcpt);
}

/* $HOME/Maildir; a missing $HOME is temporary (NFS not mounted). */
static int
default_maildir(struct delivery *d)
{
	const char	*home = getenv("HOME");
	int		 n;

	if (home == NULL || *home == '\0') {
		log_warnx("HOME is not set and no -d maildir given");
		return -1;
	}
	n = snprintf(d->home_maildir, sizeof(d->home_maildir), "%s/%s", home,
	    MAILDELIVER_DEFAULT_DIR);
	if (n < 0 || (size_t)n >= sizeof(d->home_maildir)) {
		log_warnx("HOME is too long");
		return -1;
	}
	d->maildir = d->home_maildir;
	return 0;
}

/* EX_OK, or the exit status of the refusal (logged). */
static int
parse_args(struct delivery *d, int argc, char **argv)
{
	int	ch;

	d->timeout = MAILDELIVER_TIMEOUT;
	while ((ch = getopt(argc, argv, "d:f:m:r:St:")) != -1) {
		switch (ch) {
		case 'S':
			d->serve = 1;
			break;
		case 'd':
			d->maildir = optarg;
			break;
		case 'f':
			d->opt_sender = optarg;
			break;
		case 'm':
			d->folder = optarg;
			break;
		case 'r':
			d->opt_recipient = optarg;
			break;
		case 't':
			if (parse_number(optarg, 1, MAILDELIVER_TIMEOUT_MAX,
			    &d->timeout) == -1) {
				log_warnx("bad -t seconds: want 1 to %d",
				    MAILDELIVER_TIMEOUT_MAX);
				return EX_USAGE;
			}
			break;
		default:
			usage();
		}
	}
	if (optind != argc || (d->serve && (d->maildir != NULL ||
	    d->opt_sender != NULL || d->folder != NULL ||
	    d->opt_recipient != NULL)))
		usage();
	if (d->folder != NULL && maildir_folder_valid(d->folder) == -1) {
		log_warnx("bad folder name: want .Name or .Parent.Child");
		return EX_USAGE;
	}
	return EX_OK;
}

/* Sender, recipient and Maildir from the options, else the environment. */
static int
resolve(struct delivery *d)
{
	const char	*sender = d->opt_sender, *rcpt = d->opt_recipient;

	if (sender == NULL)
		sender = getenv("SENDER");
	if (rcpt == NULL && (rcpt = getenv("RECIPIENT")) != NULL &&
	    *rcpt == '\0')
		rcpt = NULL;
	if ((sender != NULL && deliver_set_sender(d, sender) == -1) ||
	    (rcpt != NULL && deliver_set_recipient(d, rcpt) == -1))
		return EX_USAGE;
	if (rcpt == NULL && default_recipient(d) == -1)
		return EX_USAGE;
	if (d->maildir == NULL && default_maildir(d) == -1)
		return EX_TEMPFAIL;
	return EX_OK;
}

static int
check_owner(const struct maildir *md)
{
	char	why[MAILDELIVER_WHY_MAX];

	if (maildir_secure(md, geteuid(), why, sizeof(why)) == 0)
		return 0;
	log_warnx("%s: refusing to deliver: %s", md->path, why);
	return -1;
}

/* Opens path, making it when only its parent directory exists. */
static int
open_maildir(struct maildir *md, const char *path)
{
	char		copy[PATH_MAX], *parent;
	struct stat	st;

	if (maildir_open(md, path) == 0)
		return check_owner(md);
	if (errno != ENOENT || lstat(path, &st) == 0) {
		log_warn("%s: cannot open Maildir", path);
		return -1;
	}
	strlcpy(copy, path, sizeof(copy));
	parent = dirname(copy);
	if (stat(parent, &st) == -1 || !S_ISDIR(st.st_mode)) {
		log_warn("%s: no such directory (home not mounted?)", parent);
		return -1;
	}
	if (maildir_create(path) == -1 || maildir_open(md, path) == -1) {
		log_warn("%s: cannot create Maildir", path);
		return -1;
	}
	return check_owner(md);
}

/* Opens a Maildir++ folder of md, making it on demand. */
static int
open_folder(struct maildir *md, const char *folder, struct maildir *out)
{
	if (maildir_folder_open(md, folder, out) == -1) {
		if (errno != ENOENT) {
			log_warn("%s/%s: not a Maildir folder", md->path,
			    folder);
			return -1;
		}
		if (maildir_folder_create(md, folder) == -1 ||
		    maildir_folder_open(md, folder, out) == -1) {
			log_warn("%s/%s: cannot create folder", md->path,
			    folder);
			return -1;
		}
	}
	return check_owner(out);
}

/* The exit status: tmp/ file, copy, commit, with SIGALRM kept out of
 * the moments where the tmp/ path and new/ change. */
static int
deliver(struct maildir *md, const struct delivery *d, int fd)
{
	struct maildir_msg	m;
	enum deliver_status	st;

	alarm_block(1);
	if (maildir_msg_open(md, &m) == -1) {
		log_warn("%s/tmp: cannot create file", md->path);
		return EX_TEMPFAIL;
	}
	if (maildir_msg_tmppath(&m, alarm_tmppath, sizeof(alarm_tmppath)) == -1)
		alarm_tmppath[0] = '\0';
	alarm_block(0);
	st = deliver_copy(fd, &m, d->sender, d->recipient);
	alarm_block(1);
	if (st == DELIVER_OK && maildir_msg_commit(&m, NULL, NULL, 0) == -1) {
		log_warn("%s: cannot commit message", md->path);
		st = DELIVER_TEMPFAIL;
	}
	if (st != DELIVER_OK)
		maildir_msg_abort(&m);
	alarm_tmppath[0] = '\0';
	signal(SIGALRM, SIG_IGN);
	alarm(0);
	alarm_block(0);
	switch (st) {
	case DELIVER_OK:
		return EX_OK;
	case DELIVER_LOOP:
		return EX_DATAERR;
	default:
		return EX_TEMPFAIL;
	}
}

/* The message on fd into d's Maildir or folder: the exit status. */
int
deliver_run(const struct delivery *d, int fd)
{
	struct maildir	 md, folder, *target = &md;
	int		 rv = EX_TEMPFAIL;

	md.fd = folder.fd = -1;
	if (open_maildir(&md, d->maildir) == -1)
		goto done;
	if (d->folder != NULL) {
		if (open_folder(&md, d->folder, &folder) == -1)
			goto done;
		target = &folder;
	}
	rv = deliver(target, d, fd);
done:
	maildir_close(&folder);
	maildir_close(&md);
	return rv;
}

int
main(int argc, char *argv[])
{
	struct delivery	 d;
	int		 rv;

	memset(&d, 0, sizeof(d));
	log_init("maildeliver", 1);
	log_setverbose(0);
	if ((rv = parse_args(&d, argc, argv)) != EX_OK)
		return rv;
	if (d.serve)
		return deliver_serve(d.timeout);
	deliver_arm(d.timeout);
	if ((rv = resolve(&d)) != EX_OK)
		return rv;
	if (pledge("stdio rpath wpath cpath fattr", NULL) == -1) {
		log_warn("pledge");
		return EX_TEMPFAIL;
	}
	return deliver_run(&d, STDIN_FILENO);
}
