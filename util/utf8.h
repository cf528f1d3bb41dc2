/* utf8.h — making untrusted text safe to pass on.
 *
 * Feed text can hold anything. Everything nkdigest shows or mails goes
 * through utf8_clean() first, so later stages may assume valid UTF-8 with no
 * control characters other than '\n' and '\t'. */
#ifndef NK_UTF8_H
#define NK_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Returns a copy of s[0..len) as valid UTF-8: every invalid, overlong,
 * surrogate or out-of-range sequence becomes U+FFFD; NUL, C0 controls other
 * than '\t' and '\n' (and "\r\n" / lone '\r' become '\n'), DEL and the C1
 * controls U+0080–U+009F are dropped, and so are the bidirectional
 * embedding, override and isolate controls U+202A–U+202E and U+2066–U+2069
 * (they can make text display in an order other than it is stored).
 * Caller frees. */
char *utf8_clean(const char *s, size_t len);

/* True when s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t len);

/* Returns a copy with every run of white space (ASCII space, tab, newline,
 * U+00A0 and other Unicode spaces) collapsed to one ASCII space and no
 * leading or trailing space. Input must be valid UTF-8. Caller frees. */
char *text_oneline(const char *s);

/* Returns a copy of at most max_chars characters (code points), cut at the
 * last space before the limit when there is one and ended with "…" when
 * anything was cut. Input must be valid UTF-8. Caller frees. */
char *text_truncate(const char *s, size_t max_chars);

/* A copy of s fit to print on a terminal or into a log, as one line:
 * control characters (C0, DEL and C1, which is what escape sequences are
 * made of) and bidirectional controls dropped, tabs and line breaks as
 * spaces, invalid UTF-8 as U+FFFD, at most max bytes before a final "…".
 * For anything that came from a feed, a server or a file. Caller frees. */
char *text_for_terminal(const char *s, size_t max);

#endif
