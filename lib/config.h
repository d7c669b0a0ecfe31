/*
 * The configuration parser shared by every program.
 *
 *	# comment
 *	keyword arg "quoted arg with \"escapes\"" ...
 *	include "other.conf"
 *
 * A program describes its keywords in a table; each entry names the type
 * and where in the program's own config structure the value goes, with
 * its bounds and its default.  The defaults live in that table only, so
 * "-n -v" can print the whole effective configuration.  Errors are logged
 * as "file:line: message"; parsing goes on to report them all.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>
#include <stdio.h>

#define CONFIG_LINE_MAX		4096	/* octets of one line */
#define CONFIG_ARGS_MAX		64	/* words on one line */
#define CONFIG_INCLUDE_DEPTH	8
#define CONFIG_ERR_MAX		256

enum config_type {
	CONF_STRING,	/* char *, one argument */
	CONF_NUMBER,	/* long long within [min, max] */
	CONF_SIZE,	/* long long bytes, K/M/G suffixes, at most max */
	CONF_DURATION,	/* long long seconds, s/m/h/d suffixes, in [min, max] */
	CONF_BOOL,	/* int, yes or no */
	CONF_MODE,	/* long long, octal file mode */
	CONF_LIST,	/* struct config_list, every line appends its words */
	CONF_FUNC	/* the entry's own parse and print functions */
};

struct config_list {
	char	**v;
	size_t	  n;
};

struct config_keyword {
	const char	*name;
	enum config_type type;
	size_t		 offset;	/* into the program's structure */
	long long	 min;
	long long	 max;		/* CONF_FUNC: 1 one line, 0 any */
	const char	*dflt;		/* NULL: no default */
	/* CONF_FUNC only: argv[0] is the keyword; fill err, return -1 to refuse. */
	int		(*parse)(void *conf, int argc, char **argv, char *err,
			    size_t errlen);
	void		(*print)(void *conf, FILE *);	/* whole lines */
};

/* Applies every default of the table.  0 or -1 (a bad default). */
int	config_defaults(const struct config_keyword *, size_t n, void *conf);
/* Parses path into conf; 0, or -1 after logging every error. */
int	config_load(const char *path, const struct config_keyword *,
	    size_t n, void *conf);
/* Prints every keyword with its value, one per line, in table order. */
void	config_print(const struct config_keyword *, size_t n, void *conf,
	    FILE *);
/* Frees what the table's strings and lists hold. */
void	config_free(const struct config_keyword *, size_t n, void *conf);

/*
 * Checks a "listen ADDR PORT KIND" line for a CONF_FUNC keyword: four
 * words, a port from 1 to 65535, KIND one of the n kinds.  Returns the
 * index of KIND, or -1 with a message in err (usage when the word count
 * is wrong).  ADDR is for the caller's getaddrinfo(3) to judge.
 */
int	config_listen(int argc, char **argv, const char *const *kinds,
	    size_t n, const char *usage, char *err, size_t errlen);

/*
 * Splits one line into words (quotes, escapes, comments).  Returns the
 * number of words, or -1 with a message in err.  Words point into line.
 */
int	config_split(char *line, char **argv, int maxargs, char *err,
	    size_t errlen);

#endif /* CONFIG_H */
