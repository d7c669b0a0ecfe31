/*
 * maildeliver -S: one process delivers message after message for one
 * recipient user, as the spawner asks over the socket on its standard
 * input (mdaproto.h), so that a busy
 * mailbox costs one fork and exec per process lifetime rather than per
 * message.  Each delivery is the same code path as a single run, with
 * its own time limit: a delivery that times out ends the process with
 * EX_TEMPFAIL and the spawner reports it.  The warning that would have
 * been the single run's last line on stderr is the result's reason.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "compat.h"
#include "deliver.h"
#include "log.h"
#include "mdaproto.h"
#include "sock.h"

static int	serve_one(const struct mda_deliver *, int, long long);

static int
serve_one(const struct mda_deliver *req, int fd, long long timeout)
{
	struct delivery	d;

	memset(&d, 0, sizeof(d));
	d.timeout = timeout;
	d.maildir = req->maildir;
	if (deliver_set_sender(&d, req->sender) == -1 ||
	    deliver_set_recipient(&d, req->rcpt) == -1)
		return EX_USAGE;
	/* For what a later ~/.forward pipe runs. */
	if (setenv("SENDER", d.sender, 1) == -1 ||
	    setenv("RECIPIENT", d.recipient, 1) == -1) {
		log_warn("setenv");
		return EX_TEMPFAIL;
	}
	deliver_arm(timeout);
	return deliver_run(&d, fd);
}

int
deliver_serve(long long timeout)
{
	struct mda_deliver	 req;
	struct mda_result	 res;
	uint8_t			 buf[sizeof(req) + 1];
	ssize_t			 n;
	int			 fd;

	if (pledge("stdio rpath wpath cpath fattr recvfd", NULL) == -1) {
		log_warn("pledge");
		return EX_TEMPFAIL;
	}
	for (;;) {
		n = sock_recv_fd(STDIN_FILENO, &fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0)
			return EX_OK;
		if (n == -1) {
			log_warn("serve: read");
			return EX_OSERR;
		}
		memcpy(&req, buf, (size_t)n < sizeof(req) ? (size_t)n :
		    sizeof(req));
		if ((size_t)n != sizeof(req) || req.version != MDA_VERSION ||
		    req.type != MDA_DELIVER || fd == -1 ||
		    memchr(req.sender, '\0', sizeof(req.sender)) == NULL ||
		    memchr(req.rcpt, '\0', sizeof(req.rcpt)) == NULL ||
		    memchr(req.maildir, '\0', sizeof(req.maildir)) == NULL ||
		    req.maildir[0] != '/') {
			log_warnx("serve: malformed request");
			return EX_SOFTWARE;
		}
		memset(&res, 0, sizeof(res));
		res.version = MDA_VERSION;
		res.type = MDA_RESULT;
		res.delivery = req.delivery;
		log_capture(res.reason, sizeof(res.reason));
		res.status = serve_one(&req, fd, timeout);
		log_capture(NULL, 0);
		close(fd);
		if (sock_send_fd(STDIN_FILENO, -1, &res, sizeof(res)) == -1) {
			log_warn("serve: write");
			return EX_OSERR;
		}
	}
}
