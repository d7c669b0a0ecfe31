/* Base64 against the vectors of RFC 4648 section 10, and strictness. */

#include <string.h>

#include "base64.h"
#include "unit.h"

static const char *vectors[][2] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static const char *bad[] = {
	"Zg=", "Zg", "Z===", "Zm9v!mFy", "Zm 9", "Zh==", "Zm9=", "=Zm9",
	"Zg==Zg==", "Zm9vYmF\n",
};

int
main(void)
{
	char		out[64];
	unsigned char	bin[64], all[256];
	size_t		i;
	ssize_t		n;

	for (i = 0; i < nitems(vectors); i++) {
		n = base64_encode(vectors[i][0], strlen(vectors[i][0]), out,
		    sizeof(out));
		CHECK(n == (ssize_t)strlen(vectors[i][1]));
		CHECK_STR(out, vectors[i][1]);
		n = base64_decode(vectors[i][1], strlen(vectors[i][1]), bin,
		    sizeof(bin));
		CHECK(n == (ssize_t)strlen(vectors[i][0]) &&
		    memcmp(bin, vectors[i][0], n) == 0);
	}
	for (i = 0; i < nitems(bad); i++)
		CHECK(base64_decode(bad[i], strlen(bad[i]), bin,
		    sizeof(bin)) == -1);
	/* Binary round trip, NUL bytes included. */
	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)i;
	{
		char		enc[400];
		unsigned char	dec[256];

		n = base64_encode(all, sizeof(all), enc, sizeof(enc));
		CHECK(n == (ssize_t)base64_encoded_len(sizeof(all)));
		CHECK(base64_decode(enc, n, dec, sizeof(dec)) == 256 &&
		    memcmp(dec, all, 256) == 0);
		/* Short output buffers are refused, not overrun. */
		CHECK(base64_encode(all, 3, enc, 4) == -1);
		CHECK(base64_decode(enc, n, dec, 255) == -1);
	}
	return unit_done();
}
