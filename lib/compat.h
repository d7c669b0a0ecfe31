/*
 * Portability: the one place where OpenBSD and Linux differ.  On Linux,
 * libbsd's overlay (selected by the build flags) supplies strlcpy,
 * strtonum, getpeereid, setproctitle and friends; pledge(2) and unveil(2)
 * become no-ops.
 */
#ifndef COMPAT_H
#define COMPAT_H

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif

#ifndef __OpenBSD__
static inline int
pledge(const char *promises, const char *execpromises)
{
	(void)promises;
	(void)execpromises;
	return 0;
}

static inline int
unveil(const char *path, const char *permissions)
{
	(void)path;
	(void)permissions;
	return 0;
}
#endif

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#endif /* COMPAT_H */
