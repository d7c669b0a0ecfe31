/*
 * Base64 of RFC 4648 section 4.  Decoding is strict: characters outside
 * the alphabet, misplaced or missing padding and non-zero pad bits are
 * errors.
 */
#ifndef BASE64_H
#define BASE64_H

#include <sys/types.h>
#include <stddef.h>

/* Length of the encoding of n bytes, without the NUL. */
size_t	base64_encoded_len(size_t n);
/* Writes a NUL-terminated encoding; returns its length or -1 if short. */
ssize_t	base64_encode(const void *src, size_t srclen, char *dst,
	    size_t dstsize);
/* The value of one character of the base64 alphabet, or -1. */
int	base64_value(int c);
/* Returns the decoded length, or -1 on bad input or a short buffer. */
ssize_t	base64_decode(const char *src, size_t srclen, void *dst,
	    size_t dstsize);

#endif /* BASE64_H */
