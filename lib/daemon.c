/*
 * The command line, logging and signals every daemon sets up alike.
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "daemon.h"
#include "log.h"

static __dead void	usage(const char *);
static void		signals_set(const int *, size_t, void (*)(int));

static __dead void
usage(const char *progname)
{
	fprintf(stderr, "usage: %s [-dnv] [-f file]\n", progname);
	exit(EX_USAGE);
}

void
daemon_options(int argc, char *argv[], const char *progname,
    const char *default_conf, struct daemon_opts *opts)
{
	int	ch;

	memset(opts, 0, sizeof(*opts));
	opts->conf = default_conf;
	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd':
			opts->debug = 1;
			break;
		case 'f':
			opts->conf = optarg;
			break;
		case 'n':
			opts->check = 1;
			break;
		case 'v':
			opts->verbose = 1;
			break;
		default:
			usage(progname);
		}
	}
	if (optind != argc)
		usage(progname);
	log_init(progname, opts->debug || opts->check);
	log_setverbose(opts->verbose);
}

static void
signals_set(const int *sigs, size_t n, void (*handler)(int))
{
	struct sigaction	sa;
	size_t			i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = handler;
	for (i = 0; i < n; i++)
		sigaction(sigs[i], &sa, NULL);
}

void
daemon_signals(const int *sigs, size_t n, void (*handler)(int),
    sigset_t *pollmask)
{
	const int	pipe_sig[] = { SIGPIPE };
	sigset_t	block;
	size_t		i;

	signals_set(sigs, n, handler);
	signals_set(pipe_sig, nitems(pipe_sig), SIG_IGN);
	sigemptyset(&block);
	for (i = 0; i < n; i++)
		sigaddset(&block, sigs[i]);
	sigprocmask(SIG_BLOCK, &block, pollmask);
	for (i = 0; i < n; i++)
		sigdelset(pollmask, sigs[i]);
}

void
daemon_signals_reset(const int *sigs, size_t n)
{
	sigset_t	none;

	signals_set(sigs, n, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

long long
daemon_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
