/*
 * Unit tests of lib/daemon: the options, and the signal set-up of a
 * ppoll(2) loop (blocked outside the wait, delivered inside it) and its
 * reset in a child.
 */

#include <sys/types.h>

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "unit.h"

static volatile sig_atomic_t	caught;

static void	handler(int);
static void	test_options(void);
static void	test_signals(void);

static void
handler(int sig)
{
	caught = sig;
}

static void
test_options(void)
{
	char			*none[] = { "prog", NULL };
	char			*all[] = { "prog", "-dnv", "-f", "x.conf", NULL };
	struct daemon_opts	 o;

	optind = 1;
	daemon_options(1, none, "prog", "/etc/prog.conf", &o);
	CHECK_STR(o.conf, "/etc/prog.conf");
	CHECK(o.debug == 0 && o.check == 0 && o.verbose == 0);
	optind = 1;
	daemon_options(4, all, "prog", "/etc/prog.conf", &o);
	CHECK_STR(o.conf, "x.conf");
	CHECK(o.debug == 1 && o.check == 1 && o.verbose == 1);
}

static void
test_signals(void)
{
	const int		sigs[] = { SIGUSR1, SIGUSR2 };
	struct sigaction	sa;
	sigset_t		pollmask, now;

	daemon_signals(sigs, nitems(sigs), handler, &pollmask);
	CHECK(sigismember(&pollmask, SIGUSR1) == 0);
	CHECK(sigismember(&pollmask, SIGUSR2) == 0);
	sigprocmask(SIG_BLOCK, NULL, &now);
	CHECK(sigismember(&now, SIGUSR1) == 1);
	CHECK(sigismember(&now, SIGUSR2) == 1);
	sigaction(SIGPIPE, NULL, &sa);
	CHECK(sa.sa_handler == SIG_IGN);
	/* Blocked: raised now, delivered only while waiting. */
	raise(SIGUSR2);
	CHECK(caught == 0);
	sigsuspend(&pollmask);
	CHECK(caught == SIGUSR2);

	daemon_signals_reset(sigs, nitems(sigs));
	sigprocmask(SIG_BLOCK, NULL, &now);
	CHECK(sigismember(&now, SIGUSR1) == 0);
	sigaction(SIGUSR1, NULL, &sa);
	CHECK(sa.sa_handler == SIG_DFL);
	sigaction(SIGPIPE, NULL, &sa);
	CHECK(sa.sa_handler == SIG_IGN);
}

int
main(void)
{
	test_options();
	test_signals();
	return unit_done();
}
