/* base64.h — Base64 (RFC 4648), for encoded-words and unsubscribe tokens. */
#ifndef NK_BASE64_H
#define NK_BASE64_H

#include <stddef.h>

#include "buf.h"

enum base64_alphabet {
	BASE64_STD,   /* A–Z a–z 0–9 + / with '=' padding (RFC 2047 "B") */
	BASE64_URL,   /* A–Z a–z 0–9 - _ without padding (safe in a URL) */
};

/* Appends the encoding of p[0..n) to out. */
void base64_encode(struct buf *out, const void *p, size_t n, enum base64_alphabet a);

/* Decodes s[0..n) in the URL alphabet, without padding, into out (room for
 * n * 3 / 4 bytes). Returns the number of bytes written, or -1 when s holds
 * anything else: another character, padding, a length no encoder makes
 * (n % 4 == 1) or unused bits that are not zero, so that each byte string
 * has exactly one accepted encoding (tokens must not be malleable). */
long base64url_decode(const char *s, size_t n, unsigned char *out);

#endif
