/*
 * SASL PLAIN (RFC 4616), shared by the daemons that take it: the
 * base64 response "authzid NUL authcid NUL passwd" decoded, with an
 * authzid allowed only when it names the authcid itself.
 */
#ifndef SASL_H
#define SASL_H

#include "authproto.h"

/*
 * Decodes b64 into user (AUTH_NAME_MAX + 1 octets) and pass
 * (AUTH_PASS_MAX + 1).  0, or -1 for a malformed response, an empty
 * one ("="), a NUL inside a field, or a field over its limit.
 */
int	sasl_plain_decode(const char *b64, char *user, char *pass);

#endif /* SASL_H */
