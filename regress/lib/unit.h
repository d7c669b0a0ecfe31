/*
 * A minimal harness for the unit tests of lib: CHECK records a pass or a
 * failure with its line; unit_done() prints "N passed, N failed" and
 * returns the exit status.  regress/test_unit.py runs every program.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"

static int unit_pass, unit_fail;

#define CHECK(cond) do {						\
	if (cond)							\
		unit_pass++;						\
	else {								\
		unit_fail++;						\
		fprintf(stderr, "%s:%d: FAIL: %s\n", __FILE__, __LINE__,\
		    #cond);						\
	}								\
} while (0)

#define CHECK_STR(got, want) do {					\
	const char *g_ = (got), *w_ = (want);				\
	if (g_ != NULL && strcmp(g_, w_) == 0)				\
		unit_pass++;						\
	else {								\
		unit_fail++;						\
		fprintf(stderr, "%s:%d: FAIL: got \"%s\", want \"%s\"\n",\
		    __FILE__, __LINE__, g_ ? g_ : "(null)", w_);	\
	}								\
} while (0)

static inline int
unit_done(void)
{
	printf("%d passed, %d failed\n", unit_pass, unit_fail);
	return unit_fail == 0 ? 0 : 1;
}

/* A whole file, NUL-terminated, its length in *len; exits when missing. */
static inline char *
unit_slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*p;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	if (n < 0 || (p = malloc(n + 1)) == NULL) {
		perror(path);
		exit(1);
	}
	*len = fread(p, 1, n, f);
	p[*len] = '\0';
	fclose(f);
	return p;
}

/* A copy of p with CR LF for each LF, NUL-terminated. */
static inline char *
unit_crlf(const char *p, size_t len, size_t *outlen)
{
	char	*o;
	size_t	 i, n = 0;

	if ((o = malloc(2 * len + 1)) == NULL) {
		perror("malloc");
		exit(1);
	}
	for (i = 0; i < len; i++) {
		if (p[i] == '\n')
			o[n++] = '\r';
		o[n++] = p[i];
	}
	o[n] = '\0';
	*outlen = n;
	return o;
}

#endif /* UNIT_H */
