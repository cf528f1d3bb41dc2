/* utf8.c — validating, cleaning, flattening and shortening UTF-8 text
 * (see utf8.h). Everything here is plain byte work; no locale involved. */
#include "utf8.h"
#include "buf.h"
#include "xalloc.h"

#include <stdint.h>
#include <string.h>

#define REPLACEMENT "\xEF\xBF\xBD"      /* U+FFFD */
#define ELLIPSIS "\xE2\x80\xA6"         /* U+2026 */

/*
 * Decodes one character at s[0..n), n > 0. Returns its length in bytes and
 * stores the code point in *cp, or returns the length of the maximal invalid
 * subpart and stores -1. The subpart rule is the Unicode "best practice"
 * (Unicode 15, §3.9, U+FFFD substitution): the ranges below allow exactly the
 * well-formed sequences, so overlongs (C0 80, E0 80 80), surrogates
 * (ED A0 80) and values past U+10FFFF (F4 90 80 80) fail at their first or
 * second byte and every byte of them becomes its own U+FFFD, while a
 * truncated but otherwise valid prefix (E2 82 then end or a non-continuation
 * byte) becomes a single U+FFFD.
 */
static size_t decode(const unsigned char *s, size_t n, long *cp)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t need;
	long v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		v = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		v = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		*cp = -1;
		return 1;
	}

	size_t i;
	for (i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*cp = -1;
			return i;
		}
		v = (v << 6) | (s[i] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = v;
	return i;
}

/* The bidirectional embeddings, overrides and isolates (U+202A–U+202E,
 * U+2066–U+2069). In a title or a name they can make the text that follows
 * display reversed ("Trojan Source"), so that a link or an address reads as
 * something else: cleaned text never carries them. The marks U+200E/U+200F,
 * which only nudge neutral characters, stay. */
static int is_bidi_control(long cp)
{
	return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/* White space that text_oneline() folds into one ASCII space. */
static int is_space(long cp)
{
	switch (cp) {
	case ' ': case '\t': case '\n': case '\v': case '\f': case '\r':
	case 0x85: case 0xA0: case 0x1680:
	case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
		return 1;
	default:
		return cp >= 0x2000 && cp <= 0x200A;
	}
}

char *utf8_clean(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	struct buf b = {0};
	size_t i = 0;

	buf_add(&b, "", 0);     /* "" rather than NULL for empty input */
	while (i < len) {
		/* Runs of printable ASCII, most of any text, are copied whole. */
		size_t run = 0;
		while (i + run < len && p[i + run] >= 0x20 && p[i + run] < 0x7F)
			run++;
		if (run) {
			buf_add(&b, p + i, run);
			i += run;
			continue;
		}
		long cp;
		size_t n = decode(p + i, len - i, &cp);

		if (cp < 0) {
			buf_adds(&b, REPLACEMENT);
		} else if (cp == '\r') {
			buf_addc(&b, '\n');
			if (i + 1 < len && p[i + 1] == '\n')
				n++;
		} else if (cp == '\t' || cp == '\n' ||
			   (cp >= 0x20 && cp != 0x7F && !(cp >= 0x80 && cp <= 0x9F) &&
			    !is_bidi_control(cp))) {
			buf_add(&b, p + i, n);
		}
		i += n;
	}
	return buf_detach(&b);
}

bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		long cp;
		i += decode(p + i, len - i, &cp);
		if (cp < 0)
			return false;
	}
	return true;
}

char *text_oneline(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0;
	struct buf b = {0};
	int gap = 0;

	while (i < len) {
		if (p[i] > ' ' && p[i] < 0x7F) {
			/* A run of printable ASCII other than space: one copy. */
			size_t run = 1;
			while (i + run < len && p[i + run] > ' ' && p[i + run] < 0x7F)
				run++;
			if (gap && b.len)
				buf_addc(&b, ' ');
			gap = 0;
			buf_add(&b, p + i, run);
			i += run;
			continue;
		}
		long cp;
		size_t n = decode(p + i, len - i, &cp);

		if (is_space(cp)) {
			gap = 1;
		} else {
			/* Leading space is dropped by never emitting a gap
			 * into an empty buffer, trailing by never flushing. */
			if (gap && b.len)
				buf_addc(&b, ' ');
			gap = 0;
			buf_add(&b, p + i, n);
		}
		i += n;
	}
	return buf_detach(&b);
}

char *text_truncate(const char *s, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, count = 0;

	/* The "…" counts toward max_chars, so a caller's limit (a subject
	 * line, a preview) holds for the whole result. */
	size_t keep = max_chars ? max_chars - 1 : 0;
	size_t hard = 0;        /* byte offset after `keep` characters */
	size_t soft = 0;        /* end of the last word followed by a space */
	size_t word_end = 0;    /* end of the last non-space character */

	while (i < len) {
		long cp;
		size_t n = decode(p + i, len - i, &cp);

		if (count == keep)
			hard = i;
		/* A space at index keep still counts: the kept text then
		 * ends with a whole word. */
		if (count <= keep && is_space(cp))
			soft = word_end;
		else if (count < keep)
			word_end = i + n;
		count++;
		i += n;
	}
	if (count <= max_chars)
		return xstrndup(s, len);
	if (max_chars == 0)
		return xstrdup("");

	struct buf b = {0};
	buf_add(&b, s, soft ? soft : hard);
	buf_adds(&b, ELLIPSIS);
	return buf_detach(&b);
}

/* U+202A–U+202E and U+2066–U+2069: they reorder what follows on screen,
 * so "gpj.exe" can show as "exe.jpg". */
static bool bidi_control(long cp)
{
	return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

char *text_for_terminal(const char *s, size_t max)
{
	struct buf b = {0};
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		long cp;
		size_t len = decode((const unsigned char *)s + i, n - i, &cp);
		size_t add = cp < 0 ? 3 : len;
		if (b.len + add > max) {
			buf_adds(&b, ELLIPSIS);
			break;
		}
		if (cp < 0)
			buf_adds(&b, REPLACEMENT);
		else if (cp == '\t' || cp == '\n' || cp == '\r')
			buf_addc(&b, ' ');
		else if (cp >= 0x20 && cp != 0x7F && !(cp >= 0x80 && cp < 0xA0) &&
		         !bidi_control(cp))
			buf_add(&b, s + i, len);
		i += len;
	}
	if (!b.s)
		buf_adds(&b, "");
	return buf_detach(&b);
}
