/*
 * authd backends.  A backend is a table of functions (struct backend_ops)
 * plus one file; authd.conf names backends in "backend" lines and the
 * chain asks them in order.  Adding one (LDAP) means one new file and one
 * line in the table of backend.c.
 *
 * Chain rule: the first OK wins; otherwise a TEMPFAIL from any backend
 * makes the answer TEMPFAIL; otherwise FAIL.  Every auth call of a backend
 * costs one password hash, for a user it knows or not, so that an unknown
 * user takes as long as a wrong password.
 */
#ifndef BACKEND_H
#define BACKEND_H

#include <stddef.h>
#include <stdio.h>

#include "authproto.h"

#define BACKEND_CHAIN_MAX	8	/* backends in one chain */
#define BACKEND_ARGS_MAX	8	/* words after "backend name" */

enum backend_result {
	BACKEND_OK,
	BACKEND_FAIL,		/* no such user, or a wrong password */
	BACKEND_TEMPFAIL	/* cannot tell now */
};

struct backend;

struct backend_ops {
	const char	*name;
	int		 minargs;	/* words after the name */
	int		 maxargs;
	/* A supplementary group the workers must keep, or NULL. */
	const char	*group;
	/* pledge(2) promises the workers need beyond "stdio rpath". */
	const char	*promises;
	/* unveil(2) what the workers read or run; -1 on failure. */
	int		(*unveil)(struct backend *);
	/* At configuration time: check the arguments, set up state. */
	int		(*init)(struct backend *, int argc, char **argv,
			    char *err, size_t errlen);
	enum backend_result (*auth)(struct backend *, const char *service,
			    const char *user, const char *pass,
			    struct auth_user *);
	enum backend_result (*lookup)(struct backend *, const char *user,
			    struct auth_user *);
	/* Optional: drop cached state (SIGHUP). */
	void		(*reopen)(struct backend *);
	void		(*close)(struct backend *);
	/* Optional: settings of its own for "authd -nv", "# " lines. */
	void		(*print)(struct backend *, FILE *);
};

struct backend {
	const struct backend_ops *ops;
	void			*state;
	int			 argc;
	char			*argv[BACKEND_ARGS_MAX];
};

struct backend_chain {
	struct backend	*b[BACKEND_CHAIN_MAX];
	size_t		 n;
};

/* "backend name args...": adds one backend.  0, or -1 with err filled. */
int	backend_chain_add(struct backend_chain *, int argc, char **argv,
	    char *err, size_t errlen);
void	backend_chain_print(struct backend_chain *, FILE *);
void	backend_chain_reopen(struct backend_chain *);
void	backend_chain_free(struct backend_chain *);
/* Groups (at most n - 1, NULL-terminated) and promises the chain needs. */
void	backend_chain_groups(struct backend_chain *, const char **, size_t n);
void	backend_chain_promises(struct backend_chain *, char *, size_t);
int	backend_chain_unveil(struct backend_chain *);

enum backend_result backend_chain_auth(struct backend_chain *,
		    const char *service, const char *user, const char *pass,
		    struct auth_user *);
enum backend_result backend_chain_lookup(struct backend_chain *,
		    const char *user, struct auth_user *);

/*
 * For backends: checks pass against a crypt(3) hash in constant time.
 * 1 right, 0 wrong, -1 the hash is not one crypt(3) knows.
 */
int	backend_checkpass(const char *pass, const char *hash);
/* "home/Maildir" into the record when its maildir is empty. */
int	backend_default_maildir(struct auth_user *);

extern const struct backend_ops backend_file_ops;
extern const struct backend_ops backend_passwd_ops;
extern const struct backend_ops backend_ldap_ops;

#endif /* BACKEND_H */
