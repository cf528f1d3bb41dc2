/* test_rfc2047.c — encoded-words (mail/rfc2047.c), checked by decoding the
 * output again as RFC 2047 says. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rfc2047.h"
#include "support.h"

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
	t_check_encoded_shape(e, false);
	char *d = t_decode_text(e);
	assert_string_equal(d, s);
	free(d);
	free(e);
}

static void round_trip_phrase(const char *s)
{
	char *e = enc_phrase(s);
	t_check_encoded_shape(e, true);
	char *d = t_decode_phrase(e);
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
			if (!t_decode_ew(p, n, false, &d))
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
