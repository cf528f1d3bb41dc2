/* test_rfc2047.c — encoded-words (mail/rfc2047.c) and addresses
 * (mail/address.c), checked by decoding the output again as RFC 2047 says. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "buf.h"
#include "rfc2047.h"

/* ---- a small RFC 2047 decoder, independent of the encoder ---- */

static int hexval(char c)
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
static bool decode_ew(const char *tok, size_t n, bool phrase, struct buf *out)
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
				int h = hexval(t[i + 1]), l = hexval(t[i + 2]);
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

static bool utf8_complete(const char *s, size_t n)
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
static void check_shape(const char *enc, bool phrase)
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
		if (decode_ew(p, tn, phrase, &d))
			assert_true(utf8_complete(buf_str(&d), d.len));
		else
			assert_true(tn <= 75);
		buf_free(&d);
		p += tn + (e != NULL);
	}
}

/* Decodes an unstructured value: white space between two encoded-words is
 * dropped (RFC 2047 §6.2), all other white space kept. */
static char *decode_text(const char *v)
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
		bool ew = p > tok && decode_ew(tok, (size_t)(p - tok), false, &d);
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
static char *decode_phrase(const char *v)
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
			ew = decode_ew(tok, (size_t)(p - tok), true, &d);
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

static char *enc_text(const char *s)
{
	struct buf b = {0};
	rfc2047_encode_text(s, &b);
	return buf_detach(&b);
}

static char *enc_phrase(const char *s)
{
	struct buf b = {0};
	rfc2047_encode_phrase(s, &b);
	return buf_detach(&b);
}

static void round_trip_text(const char *s)
{
	char *e = enc_text(s);
	check_shape(e, false);
	char *d = decode_text(e);
	assert_string_equal(d, s);
	free(d);
	free(e);
}

static void round_trip_phrase(const char *s)
{
	char *e = enc_phrase(s);
	check_shape(e, true);
	char *d = decode_phrase(e);
	assert_string_equal(d, s);
	free(d);
	free(e);
}

/* ---- rfc2047_encode_text ---- */

static void test_text_ascii_unchanged(void **state)
{
	(void)state;
	const char *s[] = { "Weekly digest", "a", "Hi: (it's) \"quoted\" & more",
			    "Price $5 = cheap?" };
	for (size_t i = 0; i < sizeof s / sizeof *s; i++) {
		char *e = enc_text(s[i]);
		assert_string_equal(e, s[i]);
		free(e);
	}
	char *e = enc_text("");
	assert_string_equal(e, "");
	free(e);
}

static void test_text_appends(void **state)
{
	(void)state;
	struct buf b = {0};
	buf_adds(&b, "Subject: ");
	rfc2047_encode_text("Hello", &b);
	assert_string_equal(buf_str(&b), "Subject: Hello");
	buf_free(&b);
}

static void test_text_curly_quotes(void **state)
{
	(void)state;
	const char *s = "North Korea making \xe2\x80\x98progress\xe2\x80\x99 in "
			"COVID-19 fight but issues remain: Kim Jong Un";
	char *e = enc_text(s);
	/* only the word that needs it is encoded */
	assert_true(strncmp(e, "North Korea making =?UTF-8?", 27) == 0);
	assert_non_null(strstr(e, "?= in COVID-19 fight"));
	free(e);
	round_trip_text(s);
}

static void test_text_korean(void **state)
{
	(void)state;
	const char *s = "\xeb\xb6\x81\xed\x95\x9c, \xec\xbd\x94\xeb\xa1\x9c"
			"\xeb\x82\x98" "19 \xeb\x8c\x80\xec\x9d\x91 '\xec\xa7\x84"
			"\xec\xa0\x84' \xec\xa3\xbc\xec\x9e\xa5";
	char *e = enc_text(s);
	assert_true(strncmp(e, "=?UTF-8?B?", 10) == 0);   /* B is shorter */
	free(e);
	round_trip_text(s);
}

static void test_text_q_when_shorter(void **state)
{
	(void)state;
	char *e = enc_text("Z\xc3\xbcrich-based firm");
	assert_string_equal(e, "=?UTF-8?Q?Z=C3=BCrich-based?= firm");
	free(e);
}

static void test_text_long(void **state)
{
	(void)state;
	struct buf b = {0};
	while (b.len < 300)
		buf_adds(&b, "word ");
	buf_adds(&b, "end");
	char *e = enc_text(buf_str(&b));
	assert_string_equal(e, buf_str(&b));    /* folds at its spaces */
	free(e);
	/* long non-ASCII text: many encoded-words, none over 75 */
	buf_truncate(&b, 0);
	for (int i = 0; i < 60; i++)
		buf_adds(&b, "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 ");
	buf_adds(&b, "\xc3\xa9");
	round_trip_text(buf_str(&b));
	buf_free(&b);
}

static void test_text_long_word_split(void **state)
{
	(void)state;
	char s[201];
	memset(s, 'x', 200);
	s[200] = '\0';
	char *e = enc_text(s);
	assert_non_null(strstr(e, "?= =?UTF-8?"));
	free(e);
	round_trip_text(s);
	/* the first word must fit after "Subject: " */
	char t[80];
	memset(t, 'y', 63);
	strcpy(t + 63, " z");
	e = enc_text(t);
	assert_true(strncmp(e, "=?UTF-8?", 8) == 0);
	assert_true(strchr(e, ' ') - e <= 62);
	free(e);
	round_trip_text(t);
	t[62] = '\0';
	e = enc_text(t);
	assert_string_equal(e, t);
	free(e);
}

static void test_text_not_an_encoded_word(void **state)
{
	(void)state;
	const char *s[] = { "Price =?UTF-8?Q?x?= not encoded", "a=?b", "=?",
			    "=?utf-8?q?hi?=" };
	for (size_t i = 0; i < sizeof s / sizeof *s; i++) {
		char *e = enc_text(s[i]);
		/* a "=?" outside our encoded-words could start a bogus one */
		for (const char *p = e; *p;) {
			size_t n = strcspn(p, " ");
			struct buf d = {0};
			if (!decode_ew(p, n, false, &d))
				assert_null(memmem(p, n, "=?", 2));
			buf_free(&d);
			p += n + (p[n] == ' ');
		}
		free(e);
		round_trip_text(s[i]);
	}
}

static void test_text_spaces(void **state)
{
	(void)state;
	const char *s[] = { "  leading and trailing  ", " x", "x ", "a  b",
			    " ", "  ", " a ", "a   b    c",
			    "Kim \xea\xb9\x80 Jong", "\xea\xb9\x80 \xea\xb9\x80",
			    "x \xea\xb9\x80  y", "\xc3\xa9 ", " \xc3\xa9", "a\tb" };
	for (size_t i = 0; i < sizeof s / sizeof *s; i++)
		round_trip_text(s[i]);
}

static void test_text_never_splits_utf8(void **state)
{
	(void)state;
	/* 4-byte characters with Q-ish padding at every offset */
	for (int pad = 0; pad < 8; pad++) {
		struct buf b = {0};
		for (int i = 0; i < pad; i++)
			buf_addc(&b, 'a');
		for (int i = 0; i < 40; i++)
			buf_adds(&b, "\xf0\x9f\x98\x80\xc3\xa9");
		round_trip_text(buf_str(&b));    /* check_shape tests UTF-8 */
		round_trip_phrase(buf_str(&b));
		buf_free(&b);
	}
}

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static void test_text_phrase_fuzz(void **state)
{
	(void)state;
	static const char *pieces[] = { "a", "Kim", " ", "  ", "=?", "?=", "_",
		"\"", "\\", ",", "(", ")", "\xc3\xa9", "\xea\xb9\x80",
		"\xe2\x80\x98", "\xf0\x9f\x98\x80", "=", "?", ".", "xxxxxxxxxx",
		"<", ">", "@", ":", "'", "~" };
	const size_t np = sizeof pieces / sizeof *pieces;
	for (int iter = 0; iter < 3000; iter++) {
		struct buf b = {0};
		int n = (int)(rnd() % 30);
		for (int i = 0; i < n; i++)
			buf_adds(&b, pieces[rnd() % np]);
		if (b.len == 0) {
			buf_free(&b);
			continue;
		}
		round_trip_text(buf_str(&b));
		/* phrases are never longer than mime_build allows */
		if (b.len <= 256)
			round_trip_phrase(buf_str(&b));
		buf_free(&b);
	}
}

/* ---- rfc2047_encode_phrase ---- */

static void test_phrase_forms(void **state)
{
	(void)state;
	struct { const char *in, *out; } c[] = {
		{ "Jane Doe", "Jane Doe" },
		{ "NK-News!", "NK-News!" },
		{ "Kim \"Jay\" O'Neil", "\"Kim \\\"Jay\\\" O'Neil\"" },
		{ "a,b", "\"a,b\"" },
		{ "back\\slash", "\"back\\\\slash\"" },
		{ "Dr. Who", "\"Dr. Who\"" },
		{ "\xea\xb9\x80\xec\xa0\x95\xec\x9d\x80",
		  "=?UTF-8?B?6rmA7KCV7J2A?=" },
		{ "M\xc3\xbcller, J\xc3\xb6rg",
		  "=?UTF-8?B?TcO8bGxlciwgSsO2cmc=?=" },
		{ "Kim \xea\xb9\x80", "Kim =?UTF-8?B?6rmA?=" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		char *e = enc_phrase(c[i].in);
		assert_string_equal(e, c[i].out);
		free(e);
		if (*c[i].in)
			round_trip_phrase(c[i].in);
	}
}

static void test_phrase_round_trip(void **state)
{
	(void)state;
	const char *s[] = { "=?UTF-8?Q?evil?=", " lead", "trail ", "x  y",
		"J\xc3\xb6rg (Editor) <boss>", "Dr. \xea\xb9\x80",
		"\xea\xb9\x80\xec\xa0\x95\xec\x9d\x80 \xea\xb9\x80\xec\xa0\x95"
		"\xec\x9d\x80 \xea\xb9\x80\xec\xa0\x95\xec\x9d\x80 \xea\xb9\x80"
		"\xec\xa0\x95\xec\x9d\x80 \xea\xb9\x80\xec\xa0\x95\xec\x9d\x80",
		"Dr. John Q. Public, Esq., Department of Redundancy Department",
		"a_b=c?d", "\"", "\\" };
	for (size_t i = 0; i < sizeof s / sizeof *s; i++)
		round_trip_phrase(s[i]);
}

/* ---- address.c ---- */

static void test_address_valid(void **state)
{
	(void)state;
	const char *ok[] = { "a@example.org", "user@localhost",
		"first.last+tag@sub.example.co.uk", "\"john doe\"@example.org",
		"\"a@b\"@example.org", "\"q\\\"x\"@example.org",
		"a@[127.0.0.1]", "a@[IPv6:2001:db8::1]", "x@a-b.c9",
		"!#$%&'*+-/=?^_`{|}~@example.org" };
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		char why[128] = "";
		if (!address_valid(ok[i], why, sizeof why))
			fail_msg("%s: %s", ok[i], why);
	}
}

static void test_address_invalid(void **state)
{
	(void)state;
	char local65[80], label64[100], long255[300];
	memset(local65, 'l', 65);
	strcpy(local65 + 65, "@x.org");
	strcpy(label64, "a@");
	memset(label64 + 2, 'd', 64);
	strcpy(label64 + 66, ".org");
	strcpy(long255, "a@");
	for (int i = 0; i < 63; i++)
		strcat(long255, "abc.");
	strcat(long255, "org");
	struct { const char *addr, *why; } c[] = {
		{ "", "empty" },
		{ "noat", "'@'" },
		{ "@example.org", "empty local" },
		{ "a@", "empty domain" },
		{ "a..b@x.org", ".." },
		{ ".a@x.org", "'.'" },
		{ "a.@x.org", "'.'" },
		{ "a@-x.org", "'-'" },
		{ "a@x-.org", "'-'" },
		{ "a@x..org", "empty label" },
		{ "a@x.org.", "empty label" },
		{ "a@x_y.org", "'_'" },
		{ local65, "64" },
		{ label64, "63" },
		{ long255, "254" },
		{ "j\xc3\xb6rg@x.org", "SMTPUTF8" },
		{ "a@b\xc3\xa9.org", "SMTPUTF8" },
		{ "a b@x.org", "' '" },
		{ "a@b.org>\r\nRCPT TO:<x@y>", "control" },
		{ "a@b.org\n", "control" },
		{ "\"a  b\"@x.org", "two spaces" },
		{ "\"a\\ b\"@x.org", "backslash" },
		{ "\"\"@x.org", "empty quoted" },
		{ "\"abc@x.org", "unterminated" },
		{ "\"a\"b@x.org", "'@'" },
		{ "a@[1.2.3]", "literal" },
		{ "a@[300.1.1.1]", "literal" },
		{ "a@[IPv6:zz::1]", "literal" },
		{ "a@b@c.org", "'@'" },
		{ "<a@b.org>", "'<'" },
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		char why[128] = "";
		if (address_valid(c[i].addr, why, sizeof why))
			fail_msg("accepted %s", c[i].addr);
		if (!strstr(why, c[i].why))
			fail_msg("%s: reason \"%s\" lacks \"%s\"", c[i].addr,
				 why, c[i].why);
	}
	assert_false(address_valid(NULL, NULL, 0));
	char tiny[4];
	assert_false(address_valid("x", tiny, sizeof tiny));
	assert_int_equal(strlen(tiny), 3);
}

static void test_parse_mailbox(void **state)
{
	(void)state;
	struct { const char *in, *name, *addr; } c[] = {
		{ "Name <a@b.org>", "Name", "a@b.org" },
		{ "\"Quoted, Name\" <a@b.org>", "Quoted, Name", "a@b.org" },
		{ "<a@b.org>", "", "a@b.org" },
		{ "a@b.org", "", "a@b.org" },
		{ "  Jane  Doe   <a@b.org>  ", "Jane  Doe", "a@b.org" },
		{ "\t a@b.org \t", "", "a@b.org" },
		{ "\"Kim \\\"Jay\\\" O'Neil\" <k@b.org>", "Kim \"Jay\" O'Neil",
		  "k@b.org" },
		{ "M\xc3\xbcller, J\xc3\xb6rg <j@b.org>", "M\xc3\xbcller, J\xc3\xb6rg",
		  "j@b.org" },
		{ "\"\" <a@b.org>", "", "a@b.org" },
		{ "X <\"a>b\"@x.org>", "X", "\"a>b\"@x.org" },
		{ "\"a <b>\"<c@d.org>", "a <b>", "c@d.org" },
		{ "Kim \"Jay\" O'Neil <k@b.org>", "Kim \"Jay\" O'Neil", "k@b.org" },
		{ "\"Quoted\" trailing <a@b.org>", "\"Quoted\" trailing",
		  "a@b.org" },
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		char *name, *addr, why[128] = "";
		if (address_parse_mailbox(c[i].in, &name, &addr, why,
					  sizeof why) != 0)
			fail_msg("%s: %s", c[i].in, why);
		assert_string_equal(name, c[i].name);
		assert_string_equal(addr, c[i].addr);
		free(name);
		free(addr);
	}
}

static void test_parse_mailbox_errors(void **state)
{
	(void)state;
	struct { const char *in, *why; } c[] = {
		{ "Name <a@b.org> junk", "garbage after '>'" },
		{ "Name <a@b.org", "missing '>'" },
		{ "Name a@b.org>", "'" },
		{ "<>", "empty" },
		{ "Name <bad>", "'@'" },
		{ "\"unterminated <a@b.org>", "unterminated" },
		{ "Evil\r\nBcc: x@y <a@b.org>", "control" },
		{ "a@b.org>\r\nRCPT TO:<x@y>", "control" },
		{ "a@b.org> RCPT TO:<x@y>", "'>' before '<'" },
		{ "\"Q\" x> <a@b.org>", "'>' before" },
		{ "", "empty" },
		{ "   ", "empty" },
		{ "Name <j\xc3\xb6rg@b.org>", "SMTPUTF8" },
		{ "Jane\tDoe <a@b.org>", "tab" },
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		char *name = (char *)"x", *addr = (char *)"x", why[128] = "";
		if (address_parse_mailbox(c[i].in, &name, &addr, why,
					  sizeof why) == 0)
			fail_msg("accepted %s", c[i].in);
		assert_null(name);
		assert_null(addr);
		if (!strstr(why, c[i].why))
			fail_msg("%s: reason \"%s\" lacks \"%s\"", c[i].in, why,
				 c[i].why);
	}
}

static void test_domain_normalize(void **state)
{
	(void)state;
	assert_string_equal(address_domain("a@b.org"), "b.org");
	assert_string_equal(address_domain("noat"), "");
	assert_string_equal(address_domain("\"x@y\"@Z.org"), "Z.org");
	char a[] = "John.Doe@Example.ORG";
	address_normalize(a);
	assert_string_equal(a, "John.Doe@example.org");
	char b[] = "\"Q@X\"@Sub.EXAMPLE.org";
	address_normalize(b);
	assert_string_equal(b, "\"Q@X\"@sub.example.org");
	char c[] = "NOAT";
	address_normalize(c);
	assert_string_equal(c, "NOAT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_ascii_unchanged),
		cmocka_unit_test(test_text_appends),
		cmocka_unit_test(test_text_curly_quotes),
		cmocka_unit_test(test_text_korean),
		cmocka_unit_test(test_text_q_when_shorter),
		cmocka_unit_test(test_text_long),
		cmocka_unit_test(test_text_long_word_split),
		cmocka_unit_test(test_text_not_an_encoded_word),
		cmocka_unit_test(test_text_spaces),
		cmocka_unit_test(test_text_never_splits_utf8),
		cmocka_unit_test(test_text_phrase_fuzz),
		cmocka_unit_test(test_phrase_forms),
		cmocka_unit_test(test_phrase_round_trip),
		cmocka_unit_test(test_address_valid),
		cmocka_unit_test(test_address_invalid),
		cmocka_unit_test(test_parse_mailbox),
		cmocka_unit_test(test_parse_mailbox_errors),
		cmocka_unit_test(test_domain_normalize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
