/*
 * Modified UTF-7, the form of IMAP mailbox names (RFC 3501 section
 * 5.1.3), to and from UTF-8.  Strict both ways: a name decodes only when
 * encoding it back gives the same octets, so that one folder has one
 * name on the wire; and neither way lets NUL or another control
 * character (C0, DEL, C1) through, since the names go on to name files.
 */
#ifndef MUTF7_H
#define MUTF7_H

#include <stddef.h>

/*
 * Both return a NUL-terminated string to free(), or NULL with *errstr
 * saying what was wrong with the input.
 */
char	*mutf7_decode(const char *mutf7, size_t len, const char **errstr);
char	*mutf7_encode(const char *utf8, size_t len, const char **errstr);

#endif /* MUTF7_H */
