/* test_wrap.c — wrap.c: line breaking by columns and text widths. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "wrap.h"

static void check_wrap(const char *in, int width, const char *want)
{
	struct buf b = {0};
	wrap_line(in, strlen(in), width, WRAP_NORMAL, &b);
	assert_string_equal(buf_str(&b), want);
	buf_free(&b);
}

/* ---- wrap_line --------------------------------------------------------- */

static void wrap_english_at_20(void **state)
{
	(void)state;
	check_wrap("The quick brown fox jumps over the lazy dog and keeps running.", 20,
		   "The quick brown fox\njumps over the lazy\ndog and keeps\nrunning.");
}

static void wrap_keeps_indent(void **state)
{
	(void)state;
	/* The indent counts toward the width on every line. */
	check_wrap("  Indented text that needs to be wrapped somewhere.", 20,
		   "  Indented text that\n  needs to be\n  wrapped somewhere.");
}

static void wrap_no_trailing_spaces_at_breaks(void **state)
{
	(void)state;
	check_wrap("aaaa bbbb    cccc dddd   ", 10, "aaaa bbbb\ncccc dddd");
}

static void wrap_long_url_stays_whole(void **state)
{
	(void)state;
	check_wrap("See https://www.nknews.org/2022/05/north-korea-making-progress-"
		   "in-covid-19-fight/ for more", 20,
		   "See\nhttps://www.nknews.org/2022/05/north-korea-making-progress-"
		   "in-covid-19-fight/\nfor more");
}

static void wrap_long_first_word_no_empty_line(void **state)
{
	(void)state;
	check_wrap("https://www.nknews.org/pro/ more words", 10,
		   "https://www.nknews.org/pro/\nmore words");
	check_wrap("  https://www.nknews.org/pro/ more", 10,
		   "  https://www.nknews.org/pro/\n  more");
}

static void wrap_url_with_break_characters_not_split(void **state)
{
	(void)state;
	/* '/', '-', '?' and '=' are UAX #14 break opportunities elsewhere. */
	check_wrap("x https://a.example/b-c/d?e=f-g/h mailto:news-desk@example.org", 12,
		   "x\nhttps://a.example/b-c/d?e=f-g/h\nmailto:news-desk@example.org");
	check_wrap("well-known-and-hyphenated", 12, "well-known-\nand-\nhyphenated");
}

static void wrap_address_stays_whole(void **state)
{
	(void)state;
	check_wrap("This copy was sent to reader@example.invalid today", 30,
		   "This copy was sent to\nreader@example.invalid today");
	check_wrap("to jane-doe@mail.example.co.kr.", 12,
		   "to\njane-doe@mail.example.co.kr.");
}

static void wrap_korean_by_columns(void **state)
{
	(void)state;
	/* "North Korea says it is making progress in its COVID-19 fight,
	 * Kim Jong Un said": 30 syllables, 60+ columns. */
	const char *in = "\xEB\xB6\x81\xED\x95\x9C\xEC\x9D\xB4 \xEC\xBD\x94\xEB\xA1\x9C"
			 "\xEB\x82\x98" "19 \xEB\xB0\xA9\xEC\x97\xAD\xEC\x97\x90\xEC\x84\x9C "
			 "\xEC\xA7\x84\xEC\xA0\x84\xEC\x9D\x84 \xEB\xB3\xB4\xEC\x9D\xB4"
			 "\xEA\xB3\xA0 \xEC\x9E\x88\xEB\x8B\xA4\xEA\xB3\xA0 \xEA\xB9\x80"
			 "\xEC\xA0\x95\xEC\x9D\x80 \xEC\x9C\x84\xEC\x9B\x90\xEC\x9E\xA5"
			 "\xEC\x9D\xB4 \xEB\xA7\x90\xED\x96\x88\xEB\x8B\xA4";
	struct buf b = {0};
	wrap_line(in, strlen(in), 20, WRAP_NORMAL, &b);
	char *out = buf_detach(&b);

	int lines = 0;
	for (char *save = NULL, *l = strtok_r(out, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(l);
		assert_true(n > 0);
		assert_true(l[0] != ' ' && l[n - 1] != ' ');
		assert_in_range(text_width(l), 1, 20);
		lines++;
	}
	assert_true(lines >= 3);
	free(out);
}

static void wrap_korean_loses_only_spaces(void **state)
{
	(void)state;
	const char *in = "\xEA\xB9\x80\xEC\xA0\x95\xEC\x9D\x80 \xEC\x9C\x84\xEC\x9B\x90"
			 "\xEC\x9E\xA5\xEC\x9D\xB4 \xEB\xA7\x90\xED\x96\x88\xEB\x8B\xA4 "
			 "\xEB\xB6\x81\xED\x95\x9C\xEC\x9D\xB4";
	struct buf b = {0};
	wrap_line(in, strlen(in), 10, WRAP_NORMAL, &b);

	/* Taking out every '\n' and ' ' from both sides must match: a break
	 * may replace a space or sit between syllables, nothing else. */
	struct buf x = {0}, y = {0};
	for (const char *p = in; *p; p++)
		if (*p != ' ')
			buf_addc(&x, *p);
	for (const char *p = buf_str(&b); *p; p++)
		if (*p != ' ' && *p != '\n')
			buf_addc(&y, *p);
	assert_string_equal(buf_str(&x), buf_str(&y));
	assert_non_null(strchr(buf_str(&b), '\n'));
	buf_free(&b);
	buf_free(&x);
	buf_free(&y);
}

static void wrap_curly_quotes_stay_with_word(void **state)
{
	(void)state;
	check_wrap("North Korea making \xE2\x80\x98progress\xE2\x80\x99 in COVID-19 fight", 20,
		   "North Korea making\n\xE2\x80\x98progress\xE2\x80\x99 in\nCOVID-19 fight");
}

static void wrap_short_line_unchanged(void **state)
{
	(void)state;
	check_wrap("  short line  ", 20, "  short line  ");
	check_wrap("exactly twenty cols.", 20, "exactly twenty cols.");
}

static void wrap_empty_appends_nothing(void **state)
{
	(void)state;
	struct buf b = {0};
	buf_adds(&b, "keep");
	wrap_line("", 0, 20, WRAP_NORMAL, &b);
	assert_string_equal(buf_str(&b), "keep");
	wrap_line(" one two", 8, 4, WRAP_NORMAL, &b);
	assert_string_equal(buf_str(&b), "keep one\n two");
	buf_free(&b);
}

/* ---- WRAP_KEEP_ALL ---------------------------------------------------- */

/* "김정은 위원장이 말했다 북한이": four words of three or four syllables. */
static const char KO[] = "\xEA\xB9\x80\xEC\xA0\x95\xEC\x9D\x80 \xEC\x9C\x84\xEC\x9B\x90"
			 "\xEC\x9E\xA5\xEC\x9D\xB4 \xEB\xA7\x90\xED\x96\x88\xEB\x8B\xA4 "
			 "\xEB\xB6\x81\xED\x95\x9C\xEC\x9D\xB4";

static char *wrap_ko(const char *in, int width, enum wrap_words words)
{
	struct buf b = {0};
	wrap_line(in, strlen(in), width, words, &b);
	return buf_detach(&b);
}

static void keep_all_breaks_korean_only_at_spaces(void **state)
{
	(void)state;
	/* At 10 columns (five syllables) UAX #14 alone splits 위원장이 and
	 * 말했다 across lines; keep-all moves whole words instead. */
	char *normal = wrap_ko(KO, 10, WRAP_NORMAL);
	char *keep = wrap_ko(KO, 10, WRAP_KEEP_ALL);
	assert_string_equal(keep, "\xEA\xB9\x80\xEC\xA0\x95\xEC\x9D\x80\n"
			    "\xEC\x9C\x84\xEC\x9B\x90\xEC\x9E\xA5\xEC\x9D\xB4\n"
			    "\xEB\xA7\x90\xED\x96\x88\xEB\x8B\xA4\n"
			    "\xEB\xB6\x81\xED\x95\x9C\xEC\x9D\xB4");
	assert_string_not_equal(normal, keep);
	/* Every line of the keep-all result is a whole word of the input. */
	for (char *save = NULL, *l = strtok_r(keep, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(l);
		const char *at = strstr(KO, l);
		assert_non_null(at);
		assert_true(at == KO || at[-1] == ' ');
		assert_true(at[n] == ' ' || at[n] == '\0');
	}
	free(normal);
	free(keep);
}

static void keep_all_word_wider_than_line_stays_whole(void **state)
{
	(void)state;
	/* 위원장이 is 8 columns: at width 4 it overflows rather than splits. */
	char *keep = wrap_ko(KO, 4, WRAP_KEEP_ALL);
	assert_string_equal(keep, "\xEA\xB9\x80\xEC\xA0\x95\xEC\x9D\x80\n"
			    "\xEC\x9C\x84\xEC\x9B\x90\xEC\x9E\xA5\xEC\x9D\xB4\n"
			    "\xEB\xA7\x90\xED\x96\x88\xEB\x8B\xA4\n"
			    "\xEB\xB6\x81\xED\x95\x9C\xEC\x9D\xB4");
	free(keep);
}

static void keep_all_leaves_latin_and_punctuation_breaks(void **state)
{
	(void)state;
	struct buf b = {0};
	const char *in = "The quick brown fox jumps over the lazy dog and keeps running.";
	wrap_line(in, strlen(in), 20, WRAP_KEEP_ALL, &b);
	assert_string_equal(buf_str(&b),
			    "The quick brown fox\njumps over the lazy\ndog and keeps\nrunning.");
	buf_free(&b);
	/* After a hyphen a break is still allowed, as in CSS. */
	check_wrap("well-known-and-hyphenated", 12, "well-known-\nand-\nhyphenated");
	wrap_line("well-known-and-hyphenated", 25, 12, WRAP_KEEP_ALL, &b);
	assert_string_equal(buf_str(&b), "well-known-\nand-\nhyphenated");
	buf_free(&b);
}

/* ---- text_width -------------------------------------------------------- */

static void width_counts_columns(void **state)
{
	(void)state;
	assert_int_equal(text_width(""), 0);
	assert_int_equal(text_width("abc"), 3);
	assert_int_equal(text_width("\xEA\xB9\x80\xEC\xA0\x95\xEC\x9D\x80"), 6);
	assert_int_equal(text_width("\xE2\x80\x98x\xE2\x80\x99"), 3);
	assert_int_equal(text_width("e\xCC\x81"), 1);        /* combining acute */
	assert_int_equal(text_width("\xE4\xB8\xAD\xE6\x96\x87"), 4);
	assert_int_equal(text_width("ab\tc"), 9);            /* tab stops of 8 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wrap_english_at_20),
		cmocka_unit_test(wrap_keeps_indent),
		cmocka_unit_test(wrap_no_trailing_spaces_at_breaks),
		cmocka_unit_test(wrap_long_url_stays_whole),
		cmocka_unit_test(wrap_long_first_word_no_empty_line),
		cmocka_unit_test(wrap_url_with_break_characters_not_split),
		cmocka_unit_test(wrap_address_stays_whole),
		cmocka_unit_test(wrap_korean_by_columns),
		cmocka_unit_test(wrap_korean_loses_only_spaces),
		cmocka_unit_test(wrap_curly_quotes_stay_with_word),
		cmocka_unit_test(wrap_short_line_unchanged),
		cmocka_unit_test(wrap_empty_appends_nothing),
		cmocka_unit_test(keep_all_breaks_korean_only_at_spaces),
		cmocka_unit_test(keep_all_word_wider_than_line_stays_whole),
		cmocka_unit_test(keep_all_leaves_latin_and_punctuation_breaks),
		cmocka_unit_test(width_counts_columns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
