/*
 * authtest: asks authd who a user is and, with a password, whether it is
 * right; prints the record.  Exit status: 0 yes, 67 no such user, 77
 * wrong password, 75 authd or its backend unavailable, 64 bad usage.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "authclient.h"
#include "compat.h"
#include "number.h"

#define AUTHTEST_SOCKET		"/var/run/authd.sock"
#define AUTHTEST_SERVICE	"login"
#define AUTHTEST_TIMEOUT	60	/* seconds: throttling holds replies */

static __dead void	usage(void);
static int	read_password(char *, size_t);
static void	print_user(const struct auth_user *);
static int	authtest(const char *, long long, const char *,
		    const char *, const char *);
static int	result_status(struct authclient *, enum auth_result,
		    const char *, const char *);

static __dead void
usage(void)
{
	fprintf(stderr, "usage: authtest [-f socket] [-s service] "
	    "[-t seconds] user [password | -]\n");
	exit(EX_USAGE);
}

/* "-" as the password: one line from standard input. */
static int
read_password(char *buf, size_t len)
{
	size_t	n;

	if (fgets(buf, len, stdin) == NULL)
		return -1;
	n = strcspn(buf, "\n");
	if (buf[n] != '\n' && !feof(stdin))
		return -1;
	buf[n] = '\0';
	return 0;
}

static void
print_user(const struct auth_user *u)
{
	printf("user: %s\n", u->name);
	printf("uid: %u\n", (unsigned)u->uid);
	printf("gid: %u\n", (unsigned)u->gid);
	printf("home: %s\n", u->home);
	printf("maildir: %s\n", u->maildir);
	printf("quota: %s\n", u->quota);
	printf("fullname: %s\n", u->fullname);
	printf("delivery: %s\n", u->delivery);
}

static int
result_status(struct authclient *ac, enum auth_result r, const char *user,
    const char *fail)
{
	if (r == AUTH_OK)
		return EX_OK;
	if (r == AUTH_FAIL) {
		fprintf(stderr, "authtest: %s: %s\n", user, fail);
		return strcmp(fail, "no such user") == 0 ? EX_NOUSER :
		    EX_NOPERM;
	}
	fprintf(stderr, "authtest: %s: temporary failure: %s\n", user,
	    authclient_reason(ac));
	return EX_TEMPFAIL;
}

static int
authtest(const char *path, long long secs, const char *service,
    const char *user, const char *pass)
{
	struct authclient	*ac;
	struct auth_user	 u;
	int			 rv;

	if ((ac = authclient_open(path, secs * 1000)) == NULL) {
		fprintf(stderr, "authtest: cannot reach authd at %s: %s\n",
		    path, strerror(errno));
		return EX_TEMPFAIL;
	}
	memset(&u, 0, sizeof(u));
	rv = result_status(ac, authclient_lookup(ac, user, &u), user,
	    "no such user");
	if (rv == EX_OK && pass != NULL)
		rv = result_status(ac, authclient_auth(ac, service, user,
		    pass, "", &u), user, "wrong password");
	if (rv == EX_OK)
		print_user(&u);
	authclient_close(ac);
	return rv;
}

int
main(int argc, char *argv[])
{
	const char		*path = AUTHTEST_SOCKET;
	const char		*service = AUTHTEST_SERVICE, *pass = NULL;
	char			 buf[AUTH_PASS_MAX + 2];
	long long		 secs = AUTHTEST_TIMEOUT;
	int			 ch, rv;

	while ((ch = getopt(argc, argv, "f:s:t:")) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
			break;
		case 's':
			service = optarg;
			break;
		case 't':
			if (parse_number(optarg, 1, 3600, &secs) == -1)
				usage();
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2)
		usage();
	if (argc == 2)
		pass = argv[1];
	if (pass != NULL && strcmp(pass, "-") == 0) {
		if (read_password(buf, sizeof(buf)) == -1) {
			fprintf(stderr, "authtest: cannot read a password\n");
			return EX_USAGE;
		}
		pass = buf;
	}
	rv = authtest(path, secs, service, argv[0], pass);
	explicit_bzero(buf, sizeof(buf));
	return rv;
}
