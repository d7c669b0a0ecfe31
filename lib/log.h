/*
 * Logging: syslog facility mail, or stderr with full detail when the
 * program runs in the foreground (-d).  A line is a session or queue id,
 * an event, then key=value pairs.  log_warn and fatal append strerror(errno);
 * log_warnx and fatalx do not.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <stddef.h>

#include "compat.h"

#define LOG_VIS_MAX	256	/* client text kept in one log field */
#define LOG_LINE_MAX	2048	/* octets of one line on stderr, cut beyond */

void	log_init(const char *progname, int foreground);
void	log_setverbose(int verbose);
int	log_getverbose(void);
void	log_procname(const char *name);
void	log_capture(char *buf, size_t bufsize);
void	log_info(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((__format__(printf, 1, 2)));
__dead void fatal(const char *, ...) __attribute__((__format__(printf, 1, 2)));
__dead void fatalx(const char *, ...) __attribute__((__format__(printf, 1, 2)));

/*
 * Escapes untrusted bytes for a log line: printable ASCII except space,
 * backslash and '"' is kept, the rest becomes \ooo.  Always NUL-terminates;
 * a cut result ends in "...".  Returns dst.
 */
char	*log_vis(char *dst, size_t dstsize, const void *src, size_t srclen);

#endif /* LOG_H */
