/* support.c — what several unit tests share (see support.h). Written
 * independently of the code under test: a decoder that shares the
 * encoder's mistakes would prove nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "datetime.h"
#include "support.h"
#include "xalloc.h"

int t_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;    /* the encoder writes upper case only */
}

static int b64val(char c)
{
	const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789+/";
	const char *p = c ? strchr(t, c) : NULL;
	return p ? (int)(p - t) : -1;
}

/* Appends the decoded bytes and returns true when tok[0..n) is an
 * encoded-word; fails the test when it looks like one but is malformed. */
bool t_decode_ew(const char *tok, size_t n, bool phrase, struct buf *out)
{
	if (n < 12 || strncmp(tok, "=?UTF-8?", 8) != 0 ||
	    tok[9] != '?' || strncmp(tok + n - 2, "?=", 2) != 0)
		return false;
	assert_true(n <= 75);
	const char *t = tok + 10;
	size_t tn = n - 12;
	if (tok[8] == 'Q') {
		for (size_t i = 0; i < tn; i++) {
			char c = t[i];
			if (c == '_') {
				buf_addc(out, ' ');
			} else if (c == '=') {
				assert_true(i + 2 < tn);
				int h = t_hexval(t[i + 1]), l = t_hexval(t[i + 2]);
				assert_true(h >= 0 && l >= 0);
				buf_addc(out, (char)(h << 4 | l));
				i += 2;
			} else {
				assert_true(c > 0x20 && c < 0x7f && c != '?');
				if (phrase)    /* RFC 2047 §5(3) */
					assert_non_null(strchr(
						"abcdefghijklmnopqrstuvwxyz"
						"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
						"0123456789!*+-/", c));
				buf_addc(out, c);
			}
		}
	} else {
		assert_int_equal(tok[8], 'B');
		assert_int_equal(tn % 4, 0);
		for (size_t i = 0; i < tn; i += 4) {
			int v[4];
			int pad = 0;
			for (int k = 0; k < 4; k++) {
				if (t[i + k] == '=') {
					v[k] = 0;
					pad++;
				} else {
					assert_int_equal(pad, 0);
					v[k] = b64val(t[i + k]);
					assert_true(v[k] >= 0);
				}
			}
			unsigned w = (unsigned)(v[0] << 18 | v[1] << 12 |
						v[2] << 6 | v[3]);
			char o[3] = { (char)(w >> 16), (char)(w >> 8), (char)w };
			buf_add(out, o, (size_t)(3 - pad));
		}
	}
	return true;
}

bool t_utf8_complete(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t k = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 :
			   c >= 0xc0 ? 2 : 0;
		if (k == 0 || i + k > n)
			return false;
		for (size_t j = 1; j < k; j++)
			if (((unsigned char)s[i + j] & 0xc0) != 0x80)
				return false;
		i += k;
	}
	return true;
}

/* Every token of the output: plain printable ASCII, single spaces between
 * tokens, none at either end, encoded-words of at most 75 characters that
 * each hold whole UTF-8 characters. */
void t_check_encoded_shape(const char *enc, bool phrase)
{
	size_t n = strlen(enc);
	if (n == 0)
		return;
	assert_true(enc[0] != ' ' && enc[n - 1] != ' ');
	assert_null(strstr(enc, "  "));
	for (const char *p = enc; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
	if (phrase && enc[0] == '"')
		return;
	for (const char *p = enc; *p;) {
		const char *e = strchr(p, ' ');
		size_t tn = e ? (size_t)(e - p) : strlen(p);
		struct buf d = {0};
		if (t_decode_ew(p, tn, phrase, &d))
			assert_true(t_utf8_complete(buf_str(&d), d.len));
		else
			assert_true(tn <= 75);
		buf_free(&d);
		p += tn + (e != NULL);
	}
}

/* Decodes an unstructured value: white space between two encoded-words is
 * dropped (RFC 2047 §6.2), all other white space kept. */
char *t_decode_text(const char *v)
{
	struct buf out = {0};
	bool prev_ew = false;
	const char *p = v;
	while (*p) {
		const char *ws = p;
		while (*p == ' ')
			p++;
		const char *tok = p;
		while (*p && *p != ' ')
			p++;
		struct buf d = {0};
		bool ew = p > tok && t_decode_ew(tok, (size_t)(p - tok), false, &d);
		if (!(ew && prev_ew))
			buf_add(&out, ws, (size_t)(tok - ws));
		if (ew)
			buf_add(&out, d.s, d.len);
		else
			buf_add(&out, tok, (size_t)(p - tok));
		buf_free(&d);
		prev_ew = ew;
	}
	return buf_detach(&out);
}

static bool is_atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* Decodes a phrase: atoms, quoted strings and encoded-words. */
char *t_decode_phrase(const char *v)
{
	struct buf out = {0};
	bool prev_ew = false, first = true;
	const char *p = v;
	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		struct buf d = {0};
		bool ew = false;
		if (*p == '"') {
			for (p++; *p != '"'; p++) {
				assert_true(*p != '\0');
				if (*p == '\\')
					p++;
				buf_addc(&d, *p);
			}
			p++;
		} else {
			const char *tok = p;
			while (*p && *p != ' ')
				p++;
			ew = t_decode_ew(tok, (size_t)(p - tok), true, &d);
			if (!ew) {
				for (const char *q = tok; q < p; q++)
					assert_true(is_atext(*q));
				buf_add(&d, tok, (size_t)(p - tok));
			}
		}
		if (!first && !(ew && prev_ew))
			buf_addc(&out, ' ');
		buf_add(&out, d.s, d.len);
		buf_free(&d);
		prev_ew = ew;
		first = false;
	}
	return buf_detach(&out);
}

void t_decode_qp(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '=') {
			buf_addc(out, s[i]);
			continue;
		}
		assert_true(i + 2 < n);
		if (s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 2;
			continue;
		}
		int h = t_hexval(s[i + 1]), l = t_hexval(s[i + 2]);
		assert_true(h >= 0 && l >= 0);
		buf_addc(out, (char)(h << 4 | l));
		i += 2;
	}
}

void t_decode_b64(const char *s, size_t n, struct buf *out)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned acc = 0;
	int bits = 0, pad = 0;
	size_t col = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r') {
			assert_true(i + 1 < n && s[i + 1] == '\n');
			assert_int_equal(col, 76);   /* only the last line is shorter */
			i++;
			col = 0;
			continue;
		}
		col++;
		assert_true(col <= 76);
		if (s[i] == '=') {
			pad++;
			continue;
		}
		assert_int_equal(pad, 0);        /* padding only at the very end */
		const char *at = strchr(alphabet, s[i]);
		assert_true(s[i] && at);
		acc = acc << 6 | (unsigned)(at - alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(out, (char)(acc >> bits & 0xFF));
		}
	}
	assert_true(pad <= 2);
	assert_int_equal((col + 0) % 4, 0);
}

void t_add_article(struct article_list *l, const char *id, const char *when,
                   const char *tier)
{
	struct article a = {0};
	assert_int_equal(rfc3339_parse(when, false, &a.published, NULL), 0);
	a.id = xstrdup(id);
	a.key = xasprintf("s\t%s", id);
	a.url = xasprintf("https://x.org/%s", id);
	a.title = xstrdup(id);
	a.summary = xstrdup("");
	a.tier = xstrdup(tier);
	a.source = xstrdup("s");
	article_list_push(l, &a);
}

void t_sample_articles(struct article_list *l)
{
	memset(l, 0, sizeof *l);
	/* Deliberately out of order. */
	t_add_article(l, "d19a", "2022-05-19T09:30:00+09:00", "free");
	t_add_article(l, "d21", "2022-05-21T10:12:00+09:00", "free");
	t_add_article(l, "d20pro", "2022-05-20T18:40:00+09:00", "pro");
	t_add_article(l, "d20a", "2022-05-20T16:05:00+09:00", "free");
	t_add_article(l, "d20pro2", "2022-05-20T14:30:00+09:00", "pro");
	t_add_article(l, "d19b", "2022-05-19T19:45:00+09:00", "free");
	/* 23:30 UTC on the 17th is the 18th in Seoul. */
	t_add_article(l, "d18", "2022-05-17T23:30:00Z", "free");
}
