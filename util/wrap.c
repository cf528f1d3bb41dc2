/* wrap.c — greedy line wrapping on UAX #14 break opportunities with
 * terminal column widths, both from libunistring (see wrap.h). */
#include "wrap.h"
#include "buf.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unictype.h>
#include <unilbrk.h>
#include <unistr.h>
#include <uniwidth.h>

#define TAB_STOP 8

/* The column after s[0..n) when it starts at col. Tabs move to the next tab
 * stop, other control characters take no room; invalid bytes show as one
 * U+FFFD each. */
static int advance(int col, const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0;

	while (i < n) {
		/* Printable ASCII, most of any text, is one column. */
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			col++;
			i++;
			continue;
		}
		ucs4_t uc;
		i += (size_t)u8_mbtouc(&uc, p + i, n - i);
		if (uc == '\t') {
			col += TAB_STOP - col % TAB_STOP;
		} else {
			int w = uc_width(uc, "UTF-8");
			if (w > 0)
				col += w;
		}
	}
	return col;
}

int text_width(const char *s)
{
	return advance(0, s, strlen(s));
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Links must stay clickable, so no break anywhere inside one: from the
 * scheme up to the next white space. The same for a bare address
 * (a word with an '@'), which mail readers link too. */
static void protect_links(const char *s, size_t n, char *brk)
{
	static const char *const schemes[] = { "http://", "https://", "mailto:" };

	for (size_t i = 0; i < n; i++) {
		char c = (char)(s[i] | 0x20);
		if (c != 'h' && c != 'm')
			continue;   /* no scheme starts here: skip the comparisons */
		for (size_t k = 0; k < sizeof(schemes) / sizeof(*schemes); k++) {
			size_t sl = strlen(schemes[k]);
			if (n - i < sl || strncasecmp(s + i, schemes[k], sl) != 0)
				continue;
			size_t j = i + 1;
			for (; j < n && !is_blank(s[j]); j++)
				brk[j] = UC_BREAK_PROHIBITED;
			i = j;
			break;
		}
	}
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && !is_blank(s[j]))
			j++;
		if (memchr(s + i, '@', j - i))
			for (size_t k = i + 1; k < j; k++)
				brk[k] = UC_BREAK_PROHIBITED;
		while (j < n && is_blank(s[j]))
			j++;
		i = j;
	}
}

/* CSS word-break: keep-all: the break opportunities UAX #14 finds between
 * two letters or digits (between every pair of Hangul syllables or CJK
 * ideographs, where Latin letters have none anyway) are taken away. Breaks
 * after a space or a punctuation mark stay. */
static void keep_words(const char *s, size_t n, char *brk)
{
	const uint8_t *p = (const uint8_t *)s;
	ucs4_t prev = 0;

	for (size_t i = 0; i < n;) {
		ucs4_t uc;
		int k = u8_mbtouc(&uc, p + i, n - i);
		if (i > 0 && brk[i] == UC_BREAK_POSSIBLE && uc_is_alnum(prev) &&
		    uc_is_alnum(uc))
			brk[i] = UC_BREAK_PROHIBITED;
		prev = uc;
		i += (size_t)k;
	}
}

/*
 * Wraps one line without '\n'. Each stretch between two break opportunities
 * is a word plus the blanks after it (UAX #14 breaks after spaces); blanks
 * are held back and only written when another word follows on the same
 * line, which is what keeps them off the end of a broken line.
 */
static void wrap_one(const char *line, size_t len, int width, enum wrap_words words,
                     struct buf *out)
{
	/* width <= 0 means no limit. */
	if (width <= 0 || advance(0, line, len) <= width) {
		buf_add(out, line, len);
		return;
	}

	size_t ilen = 0;
	while (ilen < len && is_blank(line[ilen]))
		ilen++;
	if (ilen == len)
		return;         /* blanks only: nothing worth keeping */
	int iw = advance(0, line, ilen);

	const char *body = line + ilen;
	size_t n = len - ilen;
	char *brk = xmalloc(n);
	u8_possible_linebreaks((const uint8_t *)body, n, "UTF-8", brk);
	if (words == WRAP_KEEP_ALL)
		keep_words(body, n, brk);
	protect_links(body, n, brk);

	buf_add(out, line, ilen);
	int col = iw;
	int has_word = 0;
	size_t pend = 0, pend_len = 0;  /* held-back blanks, offsets in body */

	size_t start = 0;
	while (start < n) {
		size_t end = start + 1;
		while (end < n && brk[end] != UC_BREAK_POSSIBLE)
			end++;
		size_t wend = end;
		while (wend > start && is_blank(body[wend - 1]))
			wend--;

		if (wend > start) {
			int c = advance(col, body + pend, pend_len);
			c = advance(c, body + start, wend - start);
			if (has_word && c > width) {
				buf_addc(out, '\n');
				buf_add(out, line, ilen);
				col = advance(iw, body + start, wend - start);
			} else {
				buf_add(out, body + pend, pend_len);
				col = c;
			}
			buf_add(out, body + start, wend - start);
			has_word = 1;
			pend = wend;
			pend_len = end - wend;
		} else {
			/* Blanks only: they continue the held-back run. */
			pend_len += end - start;
		}
		start = end;
	}
	free(brk);
}

void wrap_line(const char *line, size_t len, int width, enum wrap_words words,
               struct buf *out)
{
	/* The contract is one line; should a '\n' slip in anyway, each part
	 * is wrapped on its own rather than measured as one. */
	const char *nl;
	while ((nl = memchr(line, '\n', len)) != NULL) {
		wrap_one(line, (size_t)(nl - line), width, words, out);
		buf_addc(out, '\n');
		len -= (size_t)(nl - line) + 1;
		line = nl + 1;
	}
	wrap_one(line, len, width, words, out);
}
