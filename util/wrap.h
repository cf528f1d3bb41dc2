/* wrap.h — breaking plain text into lines a mail reader shows well.
 *
 * Breaks follow Unicode's line breaking rules (UAX #14, via libunistring),
 * so Korean, Chinese and Japanese text wraps too, and widths count columns
 * (a Hangul syllable is two). Links and addresses are never broken. Korean is written
 * with spaces between words, and a break inside a word reads as a typo:
 * WRAP_KEEP_ALL breaks it only where CSS `word-break: keep-all` would. */
#ifndef NK_WRAP_H
#define NK_WRAP_H

#include <stddef.h>

#include "buf.h"

enum wrap_words {
	WRAP_NORMAL,     /* every UAX #14 opportunity, also between two syllables */
	WRAP_KEEP_ALL,   /* never between two letters or digits: Hangul breaks
	                    at spaces (and after punctuation) only */
};

/* Appends line[0..len) (one line, no '\n') to out, broken into lines of at
 * most width columns where possible. Continuation lines start with the same
 * leading white space as the line itself. A word wider than the line (a long
 * URL) stays whole on a line of its own. Trailing spaces are never left at a
 * break. Lines are separated by '\n'; no '\n' after the last one. */
void wrap_line(const char *line, size_t len, int width, enum wrap_words words,
               struct buf *out);

/* Columns s takes on a terminal (East Asian wide characters count 2). */
int text_width(const char *s);

#endif
