/* rfc2047.h — non-ASCII text in mail headers (RFC 2047 encoded-words).
 *
 * libetpan writes header values as it is given them, so anything that is
 * not plain printable ASCII must be encoded here first. */
#ifndef NK_RFC2047_H
#define NK_RFC2047_H

#include <stddef.h>

#include "buf.h"

/* Appends an unstructured header value (Subject) for utf8 (valid UTF-8, one
 * line). Printable ASCII passes unchanged; otherwise the words that need it
 * become "=?UTF-8?Q?…?=" or "=?UTF-8?B?…?=" encoded-words (whichever is
 * shorter), each at most 75 characters, never splitting a UTF-8 sequence,
 * separated by single spaces so the header can be folded there. */
void rfc2047_encode_text(const char *utf8, struct buf *out);

/* Appends a display name (the phrase before <addr>): printable ASCII made
 * only of atoms and spaces passes unchanged, other ASCII becomes a quoted
 * string with " and \ escaped, non-ASCII becomes encoded-words restricted to
 * the characters RFC 2047 §5(3) allows in a phrase. */
void rfc2047_encode_phrase(const char *utf8, struct buf *out);

#endif
