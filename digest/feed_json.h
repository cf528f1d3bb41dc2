/* feed_json.h — repairing string escapes that would make a whole feed
 * unreadable, before the JSON parser sees it.
 *
 * cJSON refuses a document over one lone UTF-16 surrogate ("\ud83d", an
 * emoji cut in half by a length limit) or an unknown escape ("\x41"), and
 * silently cuts a string at "\u0000" or at a "\u" without four hex digits.
 * One bad title would cost every other item; feed readers show U+FFFD
 * instead, and so do we. */
#ifndef NK_FEED_JSON_H
#define NK_FEED_JSON_H

#include <stddef.h>

#include "buf.h"

/* Scans the JSON text data[0..len) and, inside strings only, replaces with
 * "\ufffd" each: high surrogate escape not followed by a low one, low
 * surrogate escape without a high one before it, "\u0000", "\u" followed by
 * fewer than four hex digits, and backslash followed by anything other than
 * " \ / b f n r t u. Returns the number of replacements. When it is 0, out
 * is untouched and data can be parsed as it is; otherwise out receives the
 * repaired text (appended). Anything else, syntax errors included, is
 * copied unchanged for the parser to report. */
size_t feed_json_repair(const char *data, size_t len, struct buf *out);

#endif
