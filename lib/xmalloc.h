/*
 * Allocation that cannot fail: the wrappers end the process with a clear
 * message instead of returning NULL.  Sizes are checked for overflow.
 */
#ifndef XMALLOC_H
#define XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((__format__(printf, 2, 3)));
/* Zeroes then frees a secret of known length; NULL is fine. */
void	 freezero_str(char *);

#endif /* XMALLOC_H */
