/*
 * Inside lib/imapcmd: the state of one imapcmd_read(), shared by the
 * reader (imapcmd.c: lines, literals, resync) and the grammar
 * (imapcmd_parse.c).  Not for use outside lib/imapcmd*.c.
 */
#ifndef IMAPCMD_INT_H
#define IMAPCMD_INT_H

#include "imapcmd.h"

struct imapcmd_parse {
	struct imapcmd_reader	*r;
	const struct imapcmd_limits *lim;
	struct imapcmd		*cmd;
	char			*line;		/* current line, NUL-ended */
	size_t			 len, pos;
	int			 lineflags;	/* IOBUF_* of the line */
	size_t			 text;		/* command text so far */
	size_t			 nlit;		/* literals so far */
	size_t			 litoctets;	/* their octets */
	size_t			 litmax;	/* literal_max or append_max */
	int			 bulk;		/* APPEND: NUL allowed */
	int			 after_literal;	/* its next line is unread */
	size_t			 nodes;
	enum imapcmd_result	 res;
};

/* imapcmd.c */
void	*imapcmd_alloc(struct imapcmd *, size_t);
void	*imapcmd_calloc(struct imapcmd *, size_t);
char	*imapcmd_strndup(struct imapcmd *, const char *, size_t);
int	 imapcmd_fail(struct imapcmd_parse *, enum imapcmd_result,
	    const char *, ...) __attribute__((__format__(printf, 3, 4)));
int	 imapcmd_check_line(struct imapcmd_parse *);
int	 imapcmd_literal(struct imapcmd_parse *, struct imapcmd_node *);

/* imapcmd_parse.c */
int	 imapcmd_parse_command(struct imapcmd_parse *);
struct imapcmd_node *imapcmd_node_new(struct imapcmd_parse *,
	    enum imapcmd_type);
int	 imapcmd_is_astring_char(int);

#endif /* IMAPCMD_INT_H */
