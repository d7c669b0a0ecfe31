/*
 * The grammar of a command (RFC 3501 section 9): tag SP name *(SP arg),
 * an argument being an atom, a number, NIL, a quoted string, a literal,
 * a parenthesized list of arguments, or a fetch attribute with a
 * section.  Recursive descent over the current line; a literal hands
 * over to imapcmd_literal(), which reads it and moves the cursor to the
 * line after it.  Every failure is BAD with its reason, except where
 * imapcmd_literal says otherwise.
 */

#include <sys/types.h>

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "imapcmd.h"
#include "imapcmd_int.h"

static int	parse_tag(struct imapcmd_parse *);
static int	parse_name(struct imapcmd_parse *);
static int	parse_arg(struct imapcmd_parse *, size_t,
		    struct imapcmd_node **);
static int	parse_list(struct imapcmd_parse *, size_t,
		    struct imapcmd_node *);
static int	parse_quoted(struct imapcmd_parse *, struct imapcmd_node *);
static int	parse_bare(struct imapcmd_parse *, size_t,
		    struct imapcmd_node **);
static int	parse_section(struct imapcmd_parse *, size_t,
		    struct imapcmd_node *, size_t);
static int	parse_parts(struct imapcmd_parse *, struct imapcmd_section *);
static int	parse_sectext(struct imapcmd_parse *, size_t,
		    struct imapcmd_section *);
static int	parse_fields(struct imapcmd_parse *, size_t,
		    struct imapcmd_section *);
static int	parse_partial(struct imapcmd_parse *,
		    struct imapcmd_section *);
static int	bad_char(struct imapcmd_parse *, const char *);

#define AT_END(p)	((p)->pos >= (p)->len)
#define CUR(p)		((unsigned char)(p)->line[(p)->pos])
#define IS_DIGIT(c)	((c) >= '0' && (c) <= '9')

/* ATOM-CHAR: any CHAR but atom-specials (RFC 3501 section 9). */
static int
is_atom_char(int c)
{
	if (c <= 0x20 || c >= 0x7f)
		return 0;
	return strchr("(){%*\"\\]", c) == NULL;
}

/* ASTRING-CHAR: ATOM-CHAR or "]". */
int
imapcmd_is_astring_char(int c)
{
	return c == ']' || is_atom_char(c);
}

/* A tag is any ASTRING-CHAR but "+". */
static int
is_tag_char(int c)
{
	return c != '+' && imapcmd_is_astring_char(c);
}

/*
 * What an unquoted argument may hold past its first octet: ASTRING-CHARs
 * and the list wildcards of LIST patterns and the "*" of sequence sets.
 * A "\" may only start it (a flag).
 */
static int
is_bare_char(int c)
{
	return c == '%' || c == '*' || imapcmd_is_astring_char(c);
}

struct imapcmd_node *
imapcmd_node_new(struct imapcmd_parse *p, enum imapcmd_type type)
{
	struct imapcmd_node	*n;

	if (++p->nodes > p->lim->args_max) {
		(void)imapcmd_fail(p, IMAPCMD_BAD, "more than %zu arguments",
		    p->lim->args_max);
		return NULL;
	}
	n = imapcmd_calloc(p->cmd, sizeof(*n));
	n->type = type;
	n->str = "";
	return n;
}

int
imapcmd_parse_command(struct imapcmd_parse *p)
{
	struct imapcmd_node	**tail = &p->cmd->args;

	if (parse_tag(p) == -1 || parse_name(p) == -1)
		return -1;
	while (!AT_END(p)) {
		if (CUR(p) == ')')
			return imapcmd_fail(p, IMAPCMD_BAD,
			    "unbalanced parenthesis");
		if (CUR(p) != ' ')
			return bad_char(p, "after an argument");
		p->pos++;
		if (parse_arg(p, 0, tail) == -1)
			return -1;
		tail = &(*tail)->next;
		p->cmd->nargs++;
	}
	return 0;
}

static int
parse_tag(struct imapcmd_parse *p)
{
	size_t	start = p->pos;

	while (!AT_END(p) && is_tag_char(CUR(p)))
		p->pos++;
	if (p->pos > start && (AT_END(p) || CUR(p) == ' '))
		p->cmd->tag = imapcmd_strndup(p->cmd, p->line + start,
		    p->pos - start);
	if (imapcmd_check_line(p) == -1)
		return -1;
	if (p->len == 0)
		return imapcmd_fail(p, IMAPCMD_BAD, "empty command line");
	if (p->cmd->tag == NULL)
		return imapcmd_fail(p, IMAPCMD_BAD, p->pos == start ?
		    "missing or invalid tag" : "invalid character in tag");
	return 0;
}

/* The command name: an atom, upper-cased; APPEND sets the literal rules. */
static int
parse_name(struct imapcmd_parse *p)
{
	size_t	 start, i;
	char	*name;

	if (!AT_END(p))
		p->pos++;
	if (AT_END(p))
		return imapcmd_fail(p, IMAPCMD_BAD, "missing command name");
	start = p->pos;
	while (!AT_END(p) && is_atom_char(CUR(p)))
		p->pos++;
	if (p->pos == start || (!AT_END(p) && CUR(p) != ' '))
		return imapcmd_fail(p, IMAPCMD_BAD, "invalid command name");
	name = imapcmd_strndup(p->cmd, p->line + start, p->pos - start);
	for (i = 0; name[i] != '\0'; i++)
		if (name[i] >= 'a' && name[i] <= 'z')
			name[i] -= 'a' - 'A';
	p->cmd->name = name;
	if (strcmp(name, "APPEND") == 0) {
		p->bulk = 1;
		p->litmax = p->lim->append_max;
	}
	return 0;
}

static int
parse_arg(struct imapcmd_parse *p, size_t depth, struct imapcmd_node **np)
{
	struct imapcmd_node	*n;

	if (AT_END(p))
		return imapcmd_fail(p, IMAPCMD_BAD, "missing argument");
	switch (CUR(p)) {
	case '(':
		if ((n = *np = imapcmd_node_new(p, IMAPCMD_LIST)) == NULL)
			return -1;
		return parse_list(p, depth, n);
	case '"':
		if ((n = *np = imapcmd_node_new(p, IMAPCMD_QUOTED)) == NULL)
			return -1;
		return parse_quoted(p, n);
	case '{':
		if ((n = *np = imapcmd_node_new(p, IMAPCMD_LITERAL)) == NULL)
			return -1;
		return imapcmd_literal(p, n);
	case ')':
		return imapcmd_fail(p, IMAPCMD_BAD, "unbalanced parenthesis");
	case ' ':
		return imapcmd_fail(p, IMAPCMD_BAD, "extra space");
	default:
		return parse_bare(p, depth, np);
	}
}

/* "(" [arg *(SP arg)] ")", at most depth_max deep. */
static int
parse_list(struct imapcmd_parse *p, size_t depth, struct imapcmd_node *n)
{
	struct imapcmd_node	**tail = &n->child;

	if (depth + 1 > p->lim->depth_max)
		return imapcmd_fail(p, IMAPCMD_BAD,
		    "parentheses nested over %zu deep", p->lim->depth_max);
	p->pos++;
	if (!AT_END(p) && CUR(p) == ')') {
		p->pos++;
		return 0;
	}
	for (;;) {
		if (parse_arg(p, depth + 1, tail) == -1)
			return -1;
		tail = &(*tail)->next;
		n->nchild++;
		if (AT_END(p))
			return imapcmd_fail(p, IMAPCMD_BAD,
			    "unbalanced parenthesis");
		if (CUR(p) == ')') {
			p->pos++;
			return 0;
		}
		if (CUR(p) != ' ')
			return bad_char(p, "in a list");
		p->pos++;
	}
}

/*
 * DQUOTE *QUOTED-CHAR DQUOTE: 7-bit, only \" and \\ escaped.  Checked
 * and measured first, so that each string costs its own length only.
 */
static int
parse_quoted(struct imapcmd_parse *p, struct imapcmd_node *n)
{
	size_t	i, olen = 0;
	int	c;

	for (i = p->pos + 1; i < p->len && p->line[i] != '"'; i++, olen++) {
		c = (unsigned char)p->line[i];
		if (c >= 0x80)
			return imapcmd_fail(p, IMAPCMD_BAD,
			    "8-bit octet in a quoted string");
		if (c == '\0' || c == '\r')
			return imapcmd_fail(p, IMAPCMD_BAD,
			    "NUL or CR in a quoted string");
		if (c != '\\')
			continue;
		if (++i == p->len)
			break;
		if (p->line[i] != '"' && p->line[i] != '\\')
			return imapcmd_fail(p, IMAPCMD_BAD,
			    "invalid escape in a quoted string");
	}
	if (i >= p->len)
		return imapcmd_fail(p, IMAPCMD_BAD,
		    "unterminated quoted string");
	n->str = imapcmd_alloc(p->cmd, olen + 1);
	n->len = olen;
	for (olen = 0, i = p->pos + 1; p->line[i] != '"'; i++) {
		if (p->line[i] == '\\')
			i++;
		n->str[olen++] = p->line[i];
	}
	n->str[olen] = '\0';
	p->pos = i + 1;
	return 0;
}

/*
 * An atom, a number or NIL; or, when it reads BODY[ or BODY.PEEK[, a
 * fetch attribute with its section.
 */
static int
parse_bare(struct imapcmd_parse *p, size_t depth, struct imapcmd_node **np)
{
	struct imapcmd_node	*n;
	size_t			 start = p->pos, i, len;
	const char		*s = p->line + start;
	int			 digits;

	if (CUR(p) == '\\')
		p->pos++;
	while (!AT_END(p) && is_bare_char(CUR(p))) {
		len = p->pos - start;
		if (CUR(p) == '[' && ((len == 4 &&
		    strncasecmp(s, "BODY", 4) == 0) || (len == 9 &&
		    strncasecmp(s, "BODY.PEEK", 9) == 0))) {
			if ((n = *np = imapcmd_node_new(p,
			    IMAPCMD_FETCHATT)) == NULL)
				return -1;
			return parse_section(p, depth, n, start);
		}
		p->pos++;
	}
	if (!AT_END(p) && CUR(p) != ' ' && CUR(p) != ')')
		return bad_char(p, "in an atom");
	if ((len = p->pos - start) == 0 || (len == 1 && *s == '\\'))
		return bad_char(p, "in an atom");
	for (digits = 1, i = 0; i < len; i++)
		if (!IS_DIGIT(s[i]))
			digits = 0;
	if ((n = *np = imapcmd_node_new(p, digits ? IMAPCMD_NUMBER :
	    IMAPCMD_ATOM)) == NULL)
		return -1;
	if (len == 3 && strncasecmp(s, "NIL", 3) == 0)
		n->type = IMAPCMD_NIL;
	n->str = imapcmd_strndup(p->cmd, s, len);
	n->len = len;
	return 0;
}

/*
 * section = "[" [section-spec] "]", then an optional "<" number "."
 * nz-number ">".  n->str keeps the text as sent when it is all on one
 * line (so that a mailbox named body[1] still reads as an astring).
 */
static int
parse_section(struct imapcmd_parse *p, size_t depth, struct imapcmd_node *n,
    size_t start)
{
	struct imapcmd_section	*sec;
	size_t			 text = p->text;

	sec = n->sec = imapcmd_calloc(p->cmd, sizeof(*sec));
	sec->peek = p->pos - start == 9;
	p->pos++;
	if (parse_parts(p, sec) == -1 || parse_sectext(p, depth, sec) == -1)
		return -1;
	if (AT_END(p) || CUR(p) != ']')
		return imapcmd_fail(p, IMAPCMD_BAD, "unbalanced brackets");
	p->pos++;
	if (!AT_END(p) && CUR(p) == '<' && parse_partial(p, sec) == -1)
		return -1;
	if (!AT_END(p) && CUR(p) != ' ' && CUR(p) != ')')
		return bad_char(p, "after a section");
	if (p->text == text) {
		n->str = imapcmd_strndup(p->cmd, p->line + start,
		    p->pos - start);
		n->len = p->pos - start;
	}
	return 0;
}

/* section-part = nz-number *("." nz-number), then "." or "]". */
static int
parse_parts(struct imapcmd_parse *p, struct imapcmd_section *sec)
{
	uint32_t	part[IMAPCMD_PARTS_MAX];
	uint64_t	v;
	size_t		start;

	while (!AT_END(p) && IS_DIGIT(CUR(p))) {
		start = p->pos;
		while (!AT_END(p) && IS_DIGIT(CUR(p)))
			p->pos++;
		if (p->line[start] == '0' || imapcmd_parse_u64(p->line +
		    start, p->pos - start, UINT32_MAX, &v) == -1)
			return imapcmd_fail(p, IMAPCMD_BAD,
			    "invalid section part number");
		if (sec->nparts == IMAPCMD_PARTS_MAX)
			return imapcmd_fail(p, IMAPCMD_BAD,
			    "section over %d parts deep", IMAPCMD_PARTS_MAX);
		part[sec->nparts++] = v;
		if (AT_END(p) || CUR(p) != '.')
			break;
		p->pos++;
		if (AT_END(p) || !IS_DIGIT(CUR(p)))
			break;
	}
	if (sec->nparts > 0) {
		sec->part = imapcmd_alloc(p->cmd,
		    sec->nparts * sizeof(*sec->part));
		memcpy(sec->part, part, sec->nparts * sizeof(*sec->part));
	}
	return 0;
}

/* section-msgtext, or MIME after a part; nothing before "]". */
static int
parse_sectext(struct imapcmd_parse *p, size_t depth,
    struct imapcmd_section *sec)
{
	static const struct {
		const char		*word;
		enum imapcmd_sectext	 text;
	} words[] = {
		{ "HEADER", IMAPCMD_SEC_HEADER },
		{ "HEADER.FIELDS", IMAPCMD_SEC_FIELDS },
		{ "HEADER.FIELDS.NOT", IMAPCMD_SEC_FIELDS_NOT },
		{ "TEXT", IMAPCMD_SEC_TEXT },
		{ "MIME", IMAPCMD_SEC_MIME },
	};
	size_t	start = p->pos, len, i;
	int	after_dot = sec->nparts > 0 && p->line[p->pos - 1] == '.';

	if (!after_dot && (AT_END(p) || CUR(p) == ']'))
		return 0;
	if (sec->nparts > 0 && !after_dot)
		return bad_char(p, "in a section");
	while (!AT_END(p) && CUR(p) != ' ' && CUR(p) != ']')
		p->pos++;
	len = p->pos - start;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i].word) == len &&
		    strncasecmp(p->line + start, words[i].word, len) == 0)
			break;
	if (i == sizeof(words) / sizeof(words[0]))
		return imapcmd_fail(p, IMAPCMD_BAD, "unknown section text");
	sec->text = words[i].text;
	if (sec->text == IMAPCMD_SEC_MIME && sec->nparts == 0)
		return imapcmd_fail(p, IMAPCMD_BAD, "MIME needs a part number");
	if (sec->text == IMAPCMD_SEC_FIELDS ||
	    sec->text == IMAPCMD_SEC_FIELDS_NOT)
		return parse_fields(p, depth, sec);
	return 0;
}

/* SP "(" header-fld-name *(SP header-fld-name) ")", names as astrings. */
static int
parse_fields(struct imapcmd_parse *p, size_t depth,
    struct imapcmd_section *sec)
{
	struct imapcmd_node	**tail = &sec->fields;
	struct imapcmd_node	 list;
	const char		*s;
	size_t			 len, i;

	if (AT_END(p) || CUR(p) != ' ' || p->pos + 1 >= p->len ||
	    p->line[p->pos + 1] != '(')
		return imapcmd_fail(p, IMAPCMD_BAD,
		    "HEADER.FIELDS needs a list of names");
	p->pos++;
	memset(&list, 0, sizeof(list));
	if (parse_list(p, depth, &list) == -1)
		return -1;
	if (list.nchild == 0)
		return imapcmd_fail(p, IMAPCMD_BAD, "empty header list");
	for (*tail = list.child; *tail != NULL; tail = &(*tail)->next) {
		if (imapcmd_astring(*tail, &s, &len) == -1 || len == 0)
			return imapcmd_fail(p, IMAPCMD_BAD,
			    "invalid header field name");
		/* RFC 5322 ftext: printable ASCII but ":". */
		for (i = 0; i < len; i++)
			if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == ':')
				return imapcmd_fail(p, IMAPCMD_BAD,
				    "invalid header field name");
		sec->nfields++;
	}
	return 0;
}

/* "<" number "." nz-number ">", each within 32 bits. */
static int
parse_partial(struct imapcmd_parse *p, struct imapcmd_section *sec)
{
	uint64_t	v[2];
	size_t		start;
	int		i;

	p->pos++;
	for (i = 0; i < 2; i++) {
		start = p->pos;
		while (!AT_END(p) && IS_DIGIT(CUR(p)))
			p->pos++;
		if (imapcmd_parse_u64(p->line + start, p->pos - start,
		    UINT32_MAX, &v[i]) == -1 || AT_END(p) ||
		    CUR(p) != (i == 0 ? '.' : '>'))
			return imapcmd_fail(p, IMAPCMD_BAD, "invalid partial");
		p->pos++;
	}
	if (v[1] == 0 || p->line[start] == '0')
		return imapcmd_fail(p, IMAPCMD_BAD, "invalid partial length");
	sec->partial = 1;
	sec->origin = v[0];
	sec->length = v[1];
	return 0;
}

/* BAD naming the kind of octet found where it does not belong. */
static int
bad_char(struct imapcmd_parse *p, const char *where)
{
	int	c = AT_END(p) ? ' ' : CUR(p);

	if (c >= 0x80)
		return imapcmd_fail(p, IMAPCMD_BAD, "8-bit octet %s", where);
	if (c < 0x20 || c == 0x7f)
		return imapcmd_fail(p, IMAPCMD_BAD, "control octet %s", where);
	return imapcmd_fail(p, IMAPCMD_BAD, "unexpected '%c' %s", c, where);
}
