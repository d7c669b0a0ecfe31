/*
 * What every buzon daemon does the same way before its own start-up:
 * the command line ("-d" foreground, "-f file", "-n" check the
 * configuration, "-v" verbose), the logging that follows from it, and
 * the signals of a ppoll(2) loop.
 *
 * A loop's signals are caught by one handler and stay blocked except
 * inside ppoll(2), which is given the mask daemon_signals() returns: a
 * signal that arrives between two turns is never lost.  SIGPIPE is
 * ignored; a failed write is an error return instead.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <signal.h>
#include <stddef.h>

struct daemon_opts {
	const char	*conf;		/* -f, else the default */
	int		 debug;		/* -d: foreground, log to stderr */
	int		 check;		/* -n: check the configuration only */
	int		 verbose;	/* -v */
};

/*
 * Parses "[-dnv] [-f file]" into opts, then starts logging as progname
 * (to stderr with -d or -n).  Anything else prints the usage line and
 * exits EX_USAGE.
 */
void	daemon_options(int argc, char *argv[], const char *progname,
	    const char *default_conf, struct daemon_opts *opts);
/*
 * Catches each of the n signals in sigs with handler, ignores SIGPIPE
 * and blocks the n signals.  *pollmask is the mask for ppoll(2): the
 * one before the call, without the n signals.
 */
void	daemon_signals(const int *sigs, size_t n, void (*handler)(int),
	    sigset_t *pollmask);
/*
 * In a child forked from such a loop: the n signals back to their
 * default action and no signal blocked.  Ignored signals stay ignored.
 */
void	daemon_signals_reset(const int *sigs, size_t n);
/* Milliseconds of the monotonic clock, for time-outs. */
long long daemon_now_ms(void);

#endif /* DAEMON_H */
