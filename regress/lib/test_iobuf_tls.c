/*
 * The line reader over libtls: a TLS server and client in two processes
 * over a socketpair, each reading with an iobuf.  Lines, the hard limit and
 * the timeout must behave as over a plain descriptor.  The certificate is
 * made for the test with openssl(1).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <signal.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tls.h>

#include "iobuf.h"
#include "unit.h"

static char	certfile[256], keyfile[256];

static int
make_cert(void)
{
	const char	*tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char		 cmd[1024];

	snprintf(certfile, sizeof(certfile), "%s/tls-%d.crt", tmp, getpid());
	snprintf(keyfile, sizeof(keyfile), "%s/tls-%d.key", tmp, getpid());
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec -pkeyopt "
	    "ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost "
	    "-keyout %s -out %s >/dev/null 2>&1", keyfile, certfile);
	return system(cmd) == 0 ? 0 : -1;
}

/* The server side: answers what each read returned. */
static int
server(int fd)
{
	struct tls_config	*cfg = tls_config_new();
	struct tls		*srv = tls_server(), *c = NULL;
	struct iobuf		*b;
	enum iobuf_result	 r;
	char			*line;
	size_t			 len;
	int			 fl, i;

	if (tls_config_set_keypair_file(cfg, certfile, keyfile) == -1 ||
	    tls_configure(srv, cfg) == -1 ||
	    tls_accept_socket(srv, &c, fd) == -1)
		return 2;
	b = iobuf_new(fd, 32, 300);
	iobuf_set_tls(b, c);
	for (i = 0; i < 4; i++) {
		r = iobuf_getline(b, &line, &len, &fl);
		if (r == IOBUF_OK)
			iobuf_printf(b, "LINE %zu %d %s\r\n", len, fl, line);
		else
			iobuf_printf(b, "RESULT %d\r\n", r);
		if (iobuf_flush(b) == -1)
			return 3;
	}
	iobuf_free(b);
	tls_close(c);
	tls_free(c);
	tls_free(srv);
	tls_config_free(cfg);
	return 0;
}

static void
expect(struct iobuf *b, const char *want)
{
	char	*line;
	size_t	 len;
	int	 fl;

	CHECK(iobuf_getline(b, &line, &len, &fl) == IOBUF_OK);
	CHECK_STR(line, want);
}

static void
client(int fd)
{
	struct tls_config	*cfg = tls_config_new();
	struct tls		*c = tls_client();
	struct iobuf		*b;
	char			 big[100];

	tls_config_insecure_noverifycert(cfg);
	tls_config_insecure_noverifyname(cfg);
	CHECK(tls_configure(c, cfg) == 0);
	CHECK(tls_connect_socket(c, fd, "localhost") == 0);
	b = iobuf_new(fd, 128, 5000);
	iobuf_set_tls(b, c);
	iobuf_printf(b, "EHLO tls\r\nbare\n");
	memset(big, 'x', sizeof(big));
	iobuf_write(b, big, sizeof(big));
	iobuf_printf(b, "\r\n");
	CHECK(iobuf_flush(b) == 0);
	expect(b, "LINE 8 1 EHLO tls");
	expect(b, "LINE 4 2 bare");
	expect(b, "RESULT 3");		/* IOBUF_TOOLONG */
	expect(b, "RESULT 2");		/* IOBUF_TIMEOUT: we sent nothing */
	iobuf_free(b);
	tls_close(c);
	tls_free(c);
	tls_config_free(cfg);
}

int
main(void)
{
	int	sv[2], status;
	pid_t	pid;

	/* libtls writes with write(2): a peer gone away is EPIPE, not death. */
	signal(SIGPIPE, SIG_IGN);
	CHECK(make_cert() == 0);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return 2;
	if ((pid = fork()) == 0) {
		close(sv[1]);
		status = server(sv[0]);
		if (status != 0)
			fprintf(stderr, "server: %d\n", status);
		_exit(status);
	}
	close(sv[0]);
	client(sv[1]);
	close(sv[1]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0);
	unlink(certfile);
	unlink(keyfile);
	return unit_done();
}
