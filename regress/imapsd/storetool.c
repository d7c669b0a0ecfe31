/*
 * storetool: drives imapsd's store (imapsd/store.h) for the tests in
 * regress/imapsd/test_store.py.  Usage: storetool MAILDIR, then one
 * command a line on stdin; each answer ends with "ok" or "no <errno>".
 * Words are separated by one space; %XX in a word is the octet XX.
 * Sequence sets are "1,2,5"; flags are letters DFRST or "-".
 */

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "number.h"
#include "store.h"

#define TOOL_LINE_MAX	8192
#define TOOL_WORDS	16
#define TOOL_SEQS	1024

static struct store	 st;
static struct mbox	*mb;

static void
unescape(char *s)
{
	char	*w = s;

	for (; *s != '\0'; s++) {
		if (*s == '%' && hex_digit(s[1]) >= 0 && hex_digit(s[2]) >= 0) {
			*w++ = (char)(hex_digit(s[1]) << 4 | hex_digit(s[2]));
			s += 2;
		} else
			*w++ = *s;
	}
	*w = '\0';
}

static size_t
parse_seqs(char *s, uint32_t *v)
{
	char	*w, *save = NULL;
	size_t	 n = 0;

	for (w = strtok_r(s, ",", &save); w != NULL && n < TOOL_SEQS;
	    w = strtok_r(NULL, ",", &save))
		v[n++] = (uint32_t)strtoul(w, NULL, 10);
	return n;
}

static unsigned
parse_flags(const char *s)
{
	char	buf[64];

	snprintf(buf, sizeof(buf), "x:2,%s", s);
	return store_flags_parse(buf);
}

static void
print_changes(const struct store_changes *ch)
{
	size_t	i;

	for (i = 0; i < ch->nexpunged; i++)
		printf("expunged %" PRIu32 " %" PRIu32 "\n", ch->expunged[i],
		    ch->expunged_uid[i]);
	for (i = 0; i < ch->nchanged; i++)
		printf("changed %" PRIu32 "\n", ch->changed[i]);
	printf("added %zu exists %zu recent %zu keywords %d\n", ch->added,
	    ch->exists, ch->recent, ch->keywords);
}

static void
print_msgs(void)
{
	struct store_msg	*m;
	char			 let[16];
	size_t			 i, k;
	int			 any;

	for (i = 0; i < mb->n; i++) {
		m = &mb->msgs[i];
		store_flags_letters(m->flags, let, sizeof(let));
		printf("%zu %" PRIu32 " %s%s%s%s ", i + 1, m->uid, let,
		    m->flags & STORE_RECENT ? "r" : "",
		    m->flags & STORE_M_GONE ? "g" : "",
		    let[0] || (m->flags & (STORE_RECENT | STORE_M_GONE)) ? "" :
		    "-");
		for (any = 0, k = 0; k < mb->kw.n; k++)
			if (m->keywords & ((uint64_t)1 << k))
				printf("%s%s", any++ ? "," : "",
				    mb->kw.name[k]);
		printf("%s %s\n", any ? "" : "-", m->file);
	}
}

static int
cmd_list(void)
{
	struct store_list	l;
	const char		*sp;
	size_t			i;

	if (store_list(&st, &l) == -1)
		return -1;
	for (i = 0; i < l.n; i++) {
		sp = store_special_attr(l.f[i].special);
		printf("folder %s%s%s%s\n", l.f[i].name,
		    l.f[i].attrs & STORE_LIST_NOSELECT ? " \\Noselect" : "",
		    l.f[i].attrs & STORE_LIST_CHILDREN ? " \\HasChildren" :
		    " \\HasNoChildren", sp ? " " : "");
		if (sp)
			printf("special %s %s\n", l.f[i].name, sp);
	}
	store_list_free(&l);
	return 0;
}

static int
cmd_subs(void)
{
	char	**names;
	size_t	  n, i;

	if (store_subs(&st, &names, &n) == -1)
		return -1;
	for (i = 0; i < n; i++)
		printf("sub %s\n", names[i]);
	store_subs_free(names, n);
	return 0;
}

static int
cmd_select(const char *name, int ro)
{
	if (mb != NULL)
		store_mbox_close(mb);
	mb = NULL;
	if (store_mbox_open(&st, name, ro, &mb) == -1)
		return -1;
	printf("uidvalidity %" PRIu32 " uidnext %" PRIu32 " exists %zu "
	    "recent %zu\n", mb->uidvalidity, mb->uidnext, mb->n, mb->nrecent);
	return 0;
}

static int
cmd_status(const char *name)
{
	struct store_status	s;

	if (store_status(&st, name, &s) == -1)
		return -1;
	printf("status messages %" PRIu32 " recent %" PRIu32 " unseen %"
	    PRIu32 " uidnext %" PRIu32 " uidvalidity %" PRIu32 "\n",
	    s.messages, s.recent, s.unseen, s.uidnext, s.uidvalidity);
	return 0;
}

static int
cmd_store(char **w, int nw)
{
	uint32_t	seqs[TOOL_SEQS];
	uint64_t	kw = 0;
	size_t		n = parse_seqs(w[1], seqs);
	enum store_op	op = STORE_OP_SET;
	char		*k, *save = NULL;
	int		 idx;

	if (w[2][0] == '+')
		op = STORE_OP_ADD;
	else if (w[2][0] == '-')
		op = STORE_OP_REMOVE;
	for (k = nw > 4 ? strtok_r(w[4], ",", &save) : NULL; k != NULL;
	    k = strtok_r(NULL, ",", &save)) {
		if ((idx = store_keyword_index(mb, k, 1)) == -1)
			return -1;
		kw |= (uint64_t)1 << idx;
	}
	return store_flags(mb, seqs, n, op, parse_flags(w[3]), kw);
}

static int
cmd_copy(char **w, int move)
{
	struct store_changes	ch;
	uint32_t		seqs[TOOL_SEQS], uids[TOOL_SEQS], uidv = 0;
	size_t			n = parse_seqs(w[1], seqs), i;
	int			rv;

	if (move)
		rv = store_move(mb, seqs, n, w[2], &uidv, uids, &ch);
	else
		rv = store_copy(mb, seqs, n, w[2], &uidv, uids);
	printf("copyuid %" PRIu32 " ", uidv);
	for (i = 0; i < n; i++)
		printf("%s%" PRIu32, i ? "," : "", uids[i]);
	printf("\n");
	if (move) {
		print_changes(&ch);
		store_changes_free(&ch);
	}
	return rv;
}

/* append FOLDER FLAGS IDATE FILE [kw,kw] */
static int
cmd_append(char **w, int nw)
{
	struct store_append	*a;
	const char		*kws[16];
	char			 buf[4096], *k, *save = NULL;
	uint32_t		 uidv, uid;
	size_t			 nkw = 0;
	ssize_t			 r;
	int			 fd;

	for (k = nw > 5 ? strtok_r(w[5], ",", &save) : NULL; k != NULL &&
	    nkw < 16; k = strtok_r(NULL, ",", &save))
		kws[nkw++] = k;
	if ((fd = open(w[4], O_RDONLY)) == -1)
		return -1;
	if (store_append_begin(&st, w[1], &a) == -1) {
		close(fd);
		return -1;
	}
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		store_append_write(a, buf, r);
	close(fd);
	if (store_append_commit(a, parse_flags(w[2]), kws, nkw,
	    (time_t)strtoll(w[3], NULL, 10), &uidv, &uid) == -1)
		return -1;
	printf("appenduid %" PRIu32 " %" PRIu32 "\n", uidv, uid);
	return 0;
}

static int
cmd_cat(uint32_t seq, const char *out)
{
	char	buf[4096];
	ssize_t	r;
	int	fd, ofd;

	if ((fd = store_msg_open(mb, seq)) == -1)
		return -1;
	if ((ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1) {
		close(fd);
		return -1;
	}
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		if (write(ofd, buf, r) != r)
			r = -1;
	close(fd);
	close(ofd);
	return r == 0 ? 0 : -1;
}

static int
cmd_info(uint32_t seq)
{
	uint64_t	size;
	time_t		idate;

	if (store_msg_size(mb, seq, &size) == -1 ||
	    store_msg_idate(mb, seq, &idate) == -1)
		return -1;
	printf("size %" PRIu64 " idate %lld\n", size, (long long)idate);
	return 0;
}

static int
cmd_mbox(char **w, int nw)
{
	struct store_changes	ch;
	uint32_t		seqs[TOOL_SEQS];
	const char		*data;
	size_t			n, len;
	int			rv;

	if (strcmp(w[0], "msgs") == 0) {
		print_msgs();
		return 0;
	}
	if (strcmp(w[0], "sync") == 0 || strcmp(w[0], "expunge") == 0) {
		if (w[0][0] == 's')
			rv = store_mbox_sync(mb, nw > 1 ?
			    STORE_SYNC_NOEXPUNGE : 0, &ch);
		else {
			n = nw > 1 ? parse_seqs(w[1], seqs) : 0;
			rv = store_expunge(mb, nw > 1 ? seqs : NULL, n, &ch);
		}
		if (rv == 0)
			print_changes(&ch);
		store_changes_free(&ch);
		return rv;
	}
	if (strcmp(w[0], "store") == 0 && nw >= 4)
		return cmd_store(w, nw);
	if ((strcmp(w[0], "copy") == 0 || strcmp(w[0], "move") == 0) &&
	    nw == 3)
		return cmd_copy(w, w[0][0] == 'm');
	if (strcmp(w[0], "cat") == 0 && nw == 3)
		return cmd_cat(strtoul(w[1], NULL, 10), w[2]);
	if (strcmp(w[0], "info") == 0 && nw == 2)
		return cmd_info(strtoul(w[1], NULL, 10));
	if (strcmp(w[0], "cput") == 0 && nw == 4)
		return store_cache_put(mb, strtoul(w[1], NULL, 10),
		    strtoul(w[2], NULL, 10), w[3], strlen(w[3]));
	if (strcmp(w[0], "cget") == 0 && nw == 3) {
		if (store_cache_get(mb, strtoul(w[1], NULL, 10),
		    strtoul(w[2], NULL, 10), &data, &len) == -1)
			return -1;
		printf("blob %.*s\n", (int)len, data);
		return 0;
	}
	if (strcmp(w[0], "cwrite") == 0)
		return store_cache_write(mb);
	errno = EINVAL;
	return -1;
}

static int
run(char **w, int nw)
{
	if (strcmp(w[0], "list") == 0)
		return cmd_list();
	if (strcmp(w[0], "valid") == 0 && nw == 2)
		return store_name_valid(w[1]);
	if (strcmp(w[0], "create") == 0 && nw == 2)
		return store_create(&st, w[1]);
	if (strcmp(w[0], "delete") == 0 && nw == 2)
		return store_delete(&st, w[1]);
	if (strcmp(w[0], "rename") == 0 && nw == 3)
		return store_rename(&st, w[1], w[2]);
	if (strcmp(w[0], "subs") == 0)
		return cmd_subs();
	if ((strcmp(w[0], "sub") == 0 || strcmp(w[0], "unsub") == 0) &&
	    nw == 2)
		return store_subscribe(&st, w[1], w[0][0] == 's');
	if ((strcmp(w[0], "select") == 0 || strcmp(w[0], "examine") == 0) &&
	    nw == 2)
		return cmd_select(w[1], w[0][0] == 'e');
	if (strcmp(w[0], "status") == 0 && nw == 2)
		return cmd_status(w[1]);
	if (strcmp(w[0], "append") == 0 && nw >= 5)
		return cmd_append(w, nw);
	if (strcmp(w[0], "close") == 0) {
		store_mbox_close(mb);
		mb = NULL;
		return 0;
	}
	if (mb == NULL) {
		errno = EINVAL;
		return -1;
	}
	return cmd_mbox(w, nw);
}

int
main(int argc, char *argv[])
{
	char	 line[TOOL_LINE_MAX], *w[TOOL_WORDS], *save;
	int	 nw;

	if (argc != 2) {
		fprintf(stderr, "usage: storetool maildir\n");
		return 2;
	}
	log_init("storetool", 1);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (store_open(&st, argv[1]) == -1) {
		printf("no %s\n", strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		save = NULL;
		for (nw = 0, w[0] = strtok_r(line, " ", &save);
		    w[nw] != NULL && nw < TOOL_WORDS - 1;
		    w[++nw] = strtok_r(NULL, " ", &save))
			unescape(w[nw]);
		if (nw == 0)
			continue;
		errno = 0;
		if (run(w, nw) == 0)
			printf("ok\n");
		else
			printf("no %s\n", strerror(errno));
	}
	store_mbox_close(mb);
	store_close(&st);
	return 0;
}
