/*
 * One log module for every program: syslog facility mail, or stderr with
 * debug detail when running in the foreground.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int	log_foreground;
static int	log_verbose;
static char	log_name[32] = "buzon";
static char	*log_cap;	/* log_capture(): warnings go here */
static size_t	 log_capsize;

static void	vlog(int, const char *, va_list)
		    __attribute__((__format__(printf, 2, 0)));
static void	vlog_errno(int, int, const char *, va_list)
		    __attribute__((__format__(printf, 3, 0)));

void
log_init(const char *progname, int foreground)
{
	strlcpy(log_name, progname, sizeof(log_name));
	log_foreground = foreground;
	if (foreground)
		log_verbose = 1;
	else
		openlog(log_name, LOG_PID | LOG_NDELAY, LOG_MAIL);
	tzset();
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int
log_getverbose(void)
{
	return log_verbose;
}

/* Names a child process in its lines: "authd-worker", "smtpd-session". */
void
log_procname(const char *name)
{
	strlcpy(log_name, name, sizeof(log_name));
	if (!log_foreground) {
		closelog();
		openlog(log_name, LOG_PID | LOG_NDELAY, LOG_MAIL);
	}
}

/*
 * Warnings into buf (the last one wins) instead of the log, for a
 * process that answers them as a reason; fatal errors are still logged.
 */
void
log_capture(char *buf, size_t bufsize)
{
	log_cap = bufsize > 0 ? buf : NULL;
	log_capsize = bufsize;
	if (log_cap != NULL)
		log_cap[0] = '\0';
}

/* One write(2) per line, so lines of processes sharing stderr never mix. */
static void
log_stderr(const char *msg, const char *err)
{
	char	line[LOG_LINE_MAX];
	int	n;

	n = snprintf(line, sizeof(line), "%s: %s%s%s\n", log_name, msg,
	    err != NULL ? ": " : "", err != NULL ? err : "");
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	/* Nowhere to report a failed write of the log itself. */
	if (write(STDERR_FILENO, line, n) != n)
		return;
}

static void
vlog(int pri, const char *fmt, va_list ap)
{
	char	buf[LOG_LINE_MAX];
	int	saved = errno;

	if (log_cap != NULL && pri >= LOG_ERR && pri <= LOG_WARNING) {
		vsnprintf(log_cap, log_capsize, fmt, ap);
		errno = saved;
		return;
	}
	if (log_foreground) {
		vsnprintf(buf, sizeof(buf), fmt, ap);
		log_stderr(buf, NULL);
	} else
		vsyslog(pri, fmt, ap);
	errno = saved;
}

static void
vlog_errno(int pri, int err, const char *fmt, va_list ap)
{
	char	buf[LOG_LINE_MAX];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_cap != NULL && pri >= LOG_ERR && pri <= LOG_WARNING)
		snprintf(log_cap, log_capsize, "%s: %s", buf, strerror(err));
	else if (log_foreground)
		log_stderr(buf, strerror(err));
	else
		syslog(pri, "%s: %s", buf, strerror(err));
	errno = err;
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	err = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_WARNING, err, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	err = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_CRIT, err, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

char *
log_vis(char *dst, size_t dstsize, const void *src, size_t srclen)
{
	const unsigned char	*s = src;
	size_t			 i, o = 0;
	int			 cut = 0;

	if (dstsize == 0)
		return dst;
	for (i = 0; i < srclen; i++) {
		unsigned char	c = s[i];
		size_t		need = (c > ' ' && c < 0x7f && c != '\\' &&
			    c != '"') ? 1 : 4;

		if (o + need + 4 > dstsize) {
			cut = 1;
			break;
		}
		if (need == 1)
			dst[o++] = c;
		else
			o += snprintf(dst + o, dstsize - o, "\\%03o", c);
	}
	if (cut && dstsize > 4) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o < dstsize ? o : dstsize - 1] = '\0';
	return dst;
}
