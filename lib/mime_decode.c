/*
 * Decoding for SEARCH: charsets to UTF-8 with iconv(3), RFC 2047 encoded
 * words, and a streaming transfer-encoding + charset decoder whose
 * memory is its struct plus two stack buffers, whatever the body size.
 * Decoding is lenient: a bad octet becomes U+FFFD or passes through,
 * since SEARCH should find what a reader would see, not judge the input.
 */

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "mime.h"
#include "number.h"
#include "xmalloc.h"

#define DEC_CHUNK	4096
#define DEC_CARRY	16		/* longest incomplete multibyte input */
#define REPLACEMENT	"\xef\xbf\xbd"	/* U+FFFD */

enum cte { CTE_IDENTITY, CTE_QP, CTE_BASE64 };

struct mime_decoder {
	enum cte	 cte;
	iconv_t		 cd;		/* (iconv_t)-1: octets pass through */
	int		 qstate;	/* quoted-printable after '=' */
	char		 qhi;
	unsigned int	 bits;		/* base64 accumulator */
	int		 nbits;
	char		 carry[DEC_CARRY];
	size_t		 ncarry;
};

typedef void (*dec_out)(void *, const char *, size_t);

static iconv_t	 charset_open(const char *);
static size_t	 qp_step(struct mime_decoder *, const char *, size_t, char *);
static size_t	 b64_step(struct mime_decoder *, const char *, size_t, char *);
static void	 conv_feed(struct mime_decoder *, const char *, size_t,
		    dec_out, void *);
static void	 buf_out(void *, const char *, size_t);
static size_t	 word_decode(const char *, size_t, int, char *);
static void	 flush_words(struct mime_buf *, struct mime_buf *,
		    const char *);
static int	 word_parse(const char *, const char *, const char **,
		    char *, size_t, int *, const char **, size_t *);

/*
 * An iconv descriptor to UTF-8, or (iconv_t)-1 for pass-through: UTF-8
 * and US-ASCII need no conversion (8-bit octets in "US-ASCII" text are
 * most often UTF-8), and an unknown charset is searched as raw octets.
 * A RFC 2231 language suffix ("utf-8*en") is dropped.
 */
static iconv_t
charset_open(const char *charset)
{
	char	cs[64];
	size_t	n;

	if (charset == NULL)
		return (iconv_t)-1;
	n = strcspn(charset, "*");
	if (n == 0 || n >= sizeof(cs))
		return (iconv_t)-1;
	memcpy(cs, charset, n);
	cs[n] = '\0';
	if (strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "utf8") == 0 ||
	    strcasecmp(cs, "us-ascii") == 0 || strcasecmp(cs, "ascii") == 0)
		return (iconv_t)-1;
	return iconv_open("UTF-8", cs);
}

static void
buf_out(void *arg, const char *p, size_t n)
{
	mime_buf_add(arg, p, n);
}

/* Charset conversion of one piece, with a carry for split sequences. */
static void
conv_feed(struct mime_decoder *d, const char *p, size_t n, dec_out out,
    void *arg)
{
	char	 in[DEC_CARRY + DEC_CHUNK], obuf[4 * DEC_CHUNK], *ip, *op;
	size_t	 il, ol, take;

	if (d->cd == (iconv_t)-1) {
		out(arg, p, n);
		return;
	}
	while (n > 0 || d->ncarry > 0) {
		take = n < DEC_CHUNK ? n : DEC_CHUNK;
		memcpy(in, d->carry, d->ncarry);
		memcpy(in + d->ncarry, p, take);
		il = d->ncarry + take;
		p += take;
		n -= take;
		d->ncarry = 0;
		ip = in;
		while (il > 0) {
			op = obuf;
			ol = sizeof(obuf);
			if (iconv(d->cd, &ip, &il, &op, &ol) != (size_t)-1 ||
			    errno == E2BIG) {
				out(arg, obuf, op - obuf);
				continue;
			}
			out(arg, obuf, op - obuf);
			if (errno == EINVAL && il < DEC_CARRY) {
				memcpy(d->carry, ip, il);
				d->ncarry = il;
				break;
			}
			/* EILSEQ, or an over-long incomplete sequence. */
			out(arg, REPLACEMENT, 3);
			ip++;
			il--;
		}
		if (n == 0)
			break;
	}
}

char *
mime_charset_utf8(const char *charset, const char *p, size_t n)
{
	struct mime_decoder	d;
	struct mime_buf		b;

	memset(&d, 0, sizeof(d));
	d.cte = CTE_IDENTITY;
	d.cd = charset_open(charset);
	mime_buf_init(&b);
	mime_buf_add(&b, "", 0);
	conv_feed(&d, p, n, buf_out, &b);
	if (d.ncarry > 0)
		mime_buf_add(&b, REPLACEMENT, 3);
	if (d.cd != (iconv_t)-1)
		iconv_close(d.cd);
	return b.data;
}

struct mime_decoder *
mime_decoder_new(const char *cte, const char *charset)
{
	struct mime_decoder	*d;

	d = xcalloc(1, sizeof(*d));
	d->cte = CTE_IDENTITY;
	if (cte != NULL && strcasecmp(cte, "quoted-printable") == 0)
		d->cte = CTE_QP;
	else if (cte != NULL && strcasecmp(cte, "base64") == 0)
		d->cte = CTE_BASE64;
	d->cd = charset_open(charset);
	return d;
}

/*
 * Quoted-printable, one state machine so "=" and "=4" may end a piece:
 * state 1 after '=', 2 after '=' and one hex digit, 3 after "=\r".
 */
static size_t
qp_step(struct mime_decoder *d, const char *p, size_t n, char *o)
{
	size_t	i, k = 0;
	int	c, h;

	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		switch (d->qstate) {
		case 0:
			if (c == '=')
				d->qstate = 1;
			else
				o[k++] = (char)c;
			break;
		case 1:
			if (c == '\n')
				d->qstate = 0;
			else if (c == '\r')
				d->qstate = 3;
			else if (hex_digit(c) >= 0) {
				d->qhi = (char)c;
				d->qstate = 2;
			} else if (c != ' ' && c != '\t') {
				o[k++] = '=';
				o[k++] = (char)c;
				d->qstate = 0;
			}
			break;
		case 2:
			if ((h = hex_digit(c)) >= 0)
				o[k++] = (char)(hex_digit(d->qhi) * 16 + h);
			else {
				o[k++] = '=';
				o[k++] = d->qhi;
				o[k++] = (char)c;
			}
			d->qstate = 0;
			break;
		default:
			d->qstate = 0;
			if (c != '\n')
				i--;
			break;
		}
	}
	return k;
}

/* Base64, skipping anything outside the alphabet (line ends, junk). */
static size_t
b64_step(struct mime_decoder *d, const char *p, size_t n, char *o)
{
	size_t	i, k = 0;
	int	v;

	for (i = 0; i < n; i++) {
		if ((v = base64_value((unsigned char)p[i])) < 0)
			continue;
		d->bits = (d->bits << 6) | (unsigned int)v;
		d->nbits += 6;
		if (d->nbits >= 8) {
			d->nbits -= 8;
			o[k++] = (char)((d->bits >> d->nbits) & 0xff);
		}
	}
	return k;
}

void
mime_decoder_feed(struct mime_decoder *d, const char *p, size_t n,
    dec_out out, void *arg)
{
	char	tmp[3 * DEC_CHUNK];
	size_t	take, k;

	if (d->cte == CTE_IDENTITY) {
		conv_feed(d, p, n, out, arg);
		return;
	}
	while (n > 0) {
		take = n < DEC_CHUNK ? n : DEC_CHUNK;
		if (d->cte == CTE_QP)
			k = qp_step(d, p, take, tmp);
		else
			k = b64_step(d, p, take, tmp);
		conv_feed(d, tmp, k, out, arg);
		p += take;
		n -= take;
	}
}

void
mime_decoder_end(struct mime_decoder *d, dec_out out, void *arg)
{
	if (d->cte == CTE_QP && d->qstate == 2) {
		char t[2] = { '=', d->qhi };

		conv_feed(d, t, 2, out, arg);
	}
	if (d->ncarry > 0)
		out(arg, REPLACEMENT, 3);
	d->ncarry = 0;
	d->qstate = 0;
	d->nbits = 0;
}

void
mime_decoder_free(struct mime_decoder *d)
{
	if (d == NULL)
		return;
	if (d->cd != (iconv_t)-1)
		iconv_close(d->cd);
	free(d);
}

/* The octets of an encoded word's text; o holds at least n octets. */
static size_t
word_decode(const char *p, size_t n, int enc, char *o)
{
	struct mime_decoder	d;
	size_t			i, k = 0;
	int			hi, lo;

	if (enc == 'b') {
		memset(&d, 0, sizeof(d));
		return b64_step(&d, p, n, o);
	}
	for (i = 0; i < n; i++) {
		if (p[i] == '_')
			o[k++] = ' ';
		else if (p[i] == '=' && i + 2 < n &&
		    (hi = hex_digit((unsigned char)p[i + 1])) >= 0 &&
		    (lo = hex_digit((unsigned char)p[i + 2])) >= 0) {
			o[k++] = (char)(hi * 16 + lo);
			i += 2;
		} else
			o[k++] = p[i];
	}
	return k;
}

/*
 * "=?charset?B?text?=" at p: its charset into cs, encoding, text range
 * and end.  1 when p starts a well-formed word, else 0.
 */
static int
word_parse(const char *p, const char *end, const char **wend, char *cs,
    size_t cssize, int *enc, const char **text, size_t *tlen)
{
	const char	*q, *t;

	if (end - p < 8 || p[0] != '=' || p[1] != '?')
		return 0;
	for (q = p + 2; q < end && *q != '?' && *q > ' '; q++)
		;
	if (q >= end || *q != '?' || q == p + 2 ||
	    (size_t)(q - p - 2) >= cssize)
		return 0;
	memcpy(cs, p + 2, q - p - 2);
	cs[q - p - 2] = '\0';
	if (end - q < 4 || q[2] != '?')
		return 0;
	*enc = tolower((unsigned char)q[1]);
	if (*enc != 'b' && *enc != 'q')
		return 0;
	for (t = q + 3; t + 1 < end && !(t[0] == '?' && t[1] == '='); t++)
		if (*t == ' ' || *t == '\t')
			return 0;
	if (t + 1 >= end)
		return 0;
	*text = q + 3;
	*tlen = t - (q + 3);
	*wend = t + 2;
	return 1;
}

/* Converts the octets of the pending words and appends them. */
static void
flush_words(struct mime_buf *out, struct mime_buf *oct, const char *cs)
{
	char	*conv;

	if (oct->len == 0)
		return;
	conv = mime_charset_utf8(cs, oct->data, oct->len);
	mime_buf_addstr(out, conv);
	free(conv);
	oct->len = 0;
}

/*
 * RFC 2047 6.2: white space between two encoded words is dropped.
 * Adjacent words in one charset are joined before conversion, since
 * some mailers split a multibyte character across two words.
 */
char *
mime_decode_words(const char *s, size_t n)
{
	struct mime_buf	 out, oct;
	const char	*p = s, *end = s + n, *wend, *text, *ws;
	char		 cs[64], prevcs[64] = "", *tmp;
	size_t		 tlen;
	int		 enc, prevword = 0;

	mime_buf_init(&out);
	mime_buf_init(&oct);
	mime_buf_add(&out, "", 0);
	while (p < end) {
		for (ws = p; ws < end && (*ws == ' ' || *ws == '\t'); ws++)
			;
		if (word_parse(ws, end, &wend, cs, sizeof(cs), &enc, &text,
		    &tlen)) {
			if (!prevword || strcasecmp(cs, prevcs) != 0) {
				flush_words(&out, &oct, prevcs);
				if (!prevword)
					mime_buf_add(&out, p, ws - p);
			}
			tmp = xmalloc(tlen + 1);
			mime_buf_add(&oct, tmp, word_decode(text, tlen, enc,
			    tmp));
			free(tmp);
			strlcpy(prevcs, cs, sizeof(prevcs));
			prevword = 1;
			p = wend;
			continue;
		}
		flush_words(&out, &oct, prevcs);
		prevword = 0;
		mime_buf_add(&out, p, ws > p ? (size_t)(ws - p) : 1);
		p = ws > p ? ws : p + 1;
	}
	flush_words(&out, &oct, prevcs);
	mime_buf_free(&oct);
	return out.data;
}
