/* rfc2047.c — RFC 2047 encoded-words for Subject and display names (see
 * rfc2047.h). The output is shaped for libetpan's header writer. */
#include "rfc2047.h"
#include "base64.h"
#include "xalloc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* An encoded-word is at most 75 characters (RFC 2047 §2); 12 of them are
 * "=?UTF-8?Q?" and "?=". A plain word longer than WORD_MAX could not be
 * folded onto a 78-character line, so it is encoded (and so split) too.
 * The first word is kept to FIRST_MAX: libetpan's header writer folds before
 * a header's first word when it would pass column 72, leaving "Subject: "
 * alone on its line and a value that starts with white space (which Python's
 * parser keeps); 62 characters fit after names up to "Subject: ". */
#define EW_MAX 75
#define WORD_MAX 75
#define FIRST_MAX 62
#define OVERHEAD 12

enum mode { TEXT, PHRASE };

struct word {
	const char *s;
	size_t n;
	bool enc;
};

static bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static bool is_atext(unsigned char c)
{
	return is_alnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* Which bytes Q encoding may leave alone: RFC 2047 §5(1) for unstructured
 * text, the much shorter §5(3) list inside a phrase. */
static bool q_literal(unsigned char c, enum mode mode)
{
	if (mode == PHRASE)
		return is_alnum(c) || (c && strchr("!*+-/", c));
	return c > 0x20 && c < 0x7f && c != '=' && c != '?' && c != '_';
}

/* Length of the UTF-8 sequence at p, or 1 for a byte that starts none, so
 * that invalid input is still encoded byte by byte instead of misread. */
static size_t char_len(const unsigned char *p, size_t left)
{
	size_t n = p[0] < 0x80 ? 1 : p[0] < 0xc0 ? 1 : p[0] < 0xe0 ? 2 :
		   p[0] < 0xf0 ? 3 : p[0] < 0xf8 ? 4 : 1;
	if (n > left)
		return 1;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 1;
	return n;
}

static size_t q_len(const unsigned char *p, size_t n, enum mode mode)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += p[i] == ' ' || q_literal(p[i], mode) ? 1 : 3;
	return len;
}

static void q_put(const unsigned char *p, size_t n, enum mode mode,
		  struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		if (p[i] == ' ') {
			buf_addc(out, '_');
		} else if (q_literal(p[i], mode)) {
			buf_addc(out, (char)p[i]);
		} else {
			char e[3] = { '=', hex[p[i] >> 4], hex[p[i] & 15] };
			buf_add(out, e, 3);
		}
	}
}

static size_t b_len(size_t bytes)
{
	return (bytes + 2) / 3 * 4;
}

/* Encodes s[0..n) as encoded-words separated by single spaces, cutting only
 * between whole UTF-8 characters. Appends to out unless it is NULL; returns
 * the length appended either way, so the caller can compare Q with B. */
static size_t encode_run(const char *s, size_t n, enum mode mode, bool b,
			 size_t first_max, struct buf *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t total = 0;
	size_t i = 0;
	while (i < n) {
		size_t start = i;
		size_t plen = 0;
		size_t max = (start ? EW_MAX : first_max) - OVERHEAD;
		while (i < n) {
			size_t cl = char_len(u + i, n - i);
			size_t next = b ? b_len(i + cl - start)
					: plen + q_len(u + i, cl, mode);
			if (next > max && i > start)
				break;
			plen = next;
			i += cl;
		}
		if (total)
			total++;
		total += OVERHEAD + plen;
		if (out) {
			if (start)
				buf_addc(out, ' ');
			buf_adds(out, b ? "=?UTF-8?B?" : "=?UTF-8?Q?");
			if (b)
				base64_encode(out, u + start, i - start, BASE64_STD);
			else
				q_put(u + start, i - start, mode, out);
			buf_adds(out, "?=");
		}
	}
	return total;
}

/* True when w could be mistaken for, or break, something else if written as
 * it is: empty words stand for extra spaces, which a header writer or
 * reader may squeeze; "=?" could start an encoded-word. */
static bool needs_encoding(const struct word *w, size_t max, enum mode mode)
{
	if (w->n == 0 || w->n > max)
		return true;
	for (size_t i = 0; i < w->n; i++) {
		unsigned char c = (unsigned char)w->s[i];
		if (c <= 0x20 || c >= 0x7f)
			return true;
		if (c == '=' && i + 1 < w->n && w->s[i + 1] == '?')
			return true;
		if (mode == PHRASE && !is_atext(c))
			return true;
	}
	return false;
}

static struct word *split_words(const char *s, size_t *count)
{
	size_t n = 1;
	for (const char *p = s; *p; p++)
		n += *p == ' ';
	struct word *w = xcalloc(n, sizeof *w);
	size_t k = 0;
	const char *start = s;
	for (const char *p = s;; p++) {
		if (*p == ' ' || *p == '\0') {
			w[k].s = start;
			w[k].n = (size_t)(p - start);
			k++;
			start = p + 1;
			if (*p == '\0')
				break;
		}
	}
	*count = n;
	return w;
}

/* Plain words are copied; each maximal run of words that need encoding
 * becomes encoded-words that include the spaces inside the run. Decoders drop
 * the white space between adjacent encoded-words but keep it between an
 * encoded-word and plain text, so every original space survives: inside a
 * run it is encoded, next to a plain word it is the separator. */
static void encode_words(const char *s, enum mode mode, struct buf *out)
{
	size_t nw;
	struct word *w = split_words(s, &nw);
	for (size_t i = 0; i < nw; i++)
		w[i].enc = needs_encoding(&w[i], i ? WORD_MAX : FIRST_MAX, mode);
	/* A lone empty word between plain ones would be an encoded-word with
	 * nothing in it: take a neighbour in with it instead. */
	for (size_t i = 0; i < nw; i++) {
		if (!w[i].enc || w[i].n || (i > 0 && w[i - 1].enc) ||
		    (i + 1 < nw && w[i + 1].enc))
			continue;
		if (i > 0)
			w[i - 1].enc = true;
		else if (i + 1 < nw)
			w[i + 1].enc = true;
	}

	for (size_t i = 0; i < nw;) {
		if (i > 0)
			buf_addc(out, ' ');
		if (!w[i].enc) {
			buf_add(out, w[i].s, w[i].n);
			i++;
			continue;
		}
		size_t j = i;
		while (j + 1 < nw && w[j + 1].enc)
			j++;
		const char *run = w[i].s;
		size_t n = (size_t)(w[j].s + w[j].n - run);
		size_t first = i ? EW_MAX : FIRST_MAX;
		bool b = encode_run(run, n, mode, true, first, NULL) <
			 encode_run(run, n, mode, false, first, NULL);
		encode_run(run, n, mode, b, first, out);
		i = j + 1;
	}
	free(w);
}

void rfc2047_encode_text(const char *utf8, struct buf *out)
{
	if (*utf8)
		encode_words(utf8, TEXT, out);
}

/* A quoted string keeps its spaces only if each word of it still fits a
 * folded line once escaped; otherwise encoded-words are used. */
static bool quotable(const struct word *w, size_t nw)
{
	for (size_t i = 0; i < nw; i++) {
		size_t max = i ? WORD_MAX : FIRST_MAX;
		if (needs_encoding(&w[i], max, TEXT))
			return false;
		size_t len = 2 + w[i].n;
		for (size_t k = 0; k < w[i].n; k++)
			len += w[i].s[k] == '"' || w[i].s[k] == '\\';
		if (len > max)
			return false;
	}
	return true;
}

void rfc2047_encode_phrase(const char *utf8, struct buf *out)
{
	if (!*utf8)
		return;
	size_t nw;
	struct word *w = split_words(utf8, &nw);
	bool atoms = true;
	for (size_t i = 0; i < nw && atoms; i++)
		atoms = !needs_encoding(&w[i], i ? WORD_MAX : FIRST_MAX, PHRASE);
	bool quote = !atoms && quotable(w, nw);
	free(w);

	if (atoms) {
		buf_adds(out, utf8);
	} else if (quote) {
		buf_addc(out, '"');
		for (const char *p = utf8; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_addc(out, '\\');
			buf_addc(out, *p);
		}
		buf_addc(out, '"');
	} else {
		encode_words(utf8, PHRASE, out);
	}
}
