/* test_utf8.c — utf8.c: cleaning untrusted text, validation, one-line and
 * truncated forms. Expected strings are exact bytes; U+FFFD is written
 * "\xEF\xBF\xBD". */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define FFFD "\xEF\xBF\xBD"

/* Runs utf8_clean over in[0..len) and compares the result with want. */
static void check_clean(const char *in, size_t len, const char *want)
{
	char *got = utf8_clean(in, len);
	assert_string_equal(got, want);
	free(got);
}

/* ---- utf8_clean -------------------------------------------------------- */

static void clean_keeps_valid_text(void **state)
{
	(void)state;
	const char *s = "Kim \xEA\xB9\x80\xEC\xA0\x95\xEC\x9D\x80 \xE2\x80\x98ok\xE2\x80\x99 "
			"\xF0\x9F\x98\x80";
	check_clean(s, strlen(s), s);
}

static void clean_empty_is_empty_string(void **state)
{
	(void)state;
	check_clean("", 0, "");
}

static void clean_replaces_stray_bytes(void **state)
{
	(void)state;
	/* A lone continuation byte and bytes that never occur in UTF-8. */
	check_clean("a\x80" "b\xFF" "c\xFE" "d", 7, "a" FFFD "b" FFFD "c" FFFD "d");
}

static void clean_truncated_sequence_is_one_replacement(void **state)
{
	(void)state;
	check_clean("a\xE2\x82", 3, "a" FFFD);
	check_clean("\xE2\x82z", 3, FFFD "z");
	check_clean("\xF0\x9F\x98!", 4, FFFD "!");
}

static void clean_overlong_is_one_replacement_per_byte(void **state)
{
	(void)state;
	check_clean("\xC0\x80", 2, FFFD FFFD);
	check_clean("\xC1\xBF", 2, FFFD FFFD);
	check_clean("\xE0\x80\x80", 3, FFFD FFFD FFFD);
	check_clean("\xF0\x80\x80\x80", 4, FFFD FFFD FFFD FFFD);
}

static void clean_surrogate_is_replaced(void **state)
{
	(void)state;
	check_clean("x\xED\xA0\x80y", 5, "x" FFFD FFFD FFFD "y");
	/* The last code point before the surrogates stays. */
	check_clean("\xED\x9F\xBF", 3, "\xED\x9F\xBF");
}

static void clean_beyond_10ffff_is_replaced(void **state)
{
	(void)state;
	check_clean("\xF4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD);
	check_clean("\xF5\x80\x80\x80", 4, FFFD FFFD FFFD FFFD);
	check_clean("\xF4\x8F\xBF\xBF", 4, "\xF4\x8F\xBF\xBF");
}

static void clean_drops_controls_keeps_tab_newline(void **state)
{
	(void)state;
	check_clean("a\0b\x01" "c\x1B" "d\x7F" "e\tf\ng", 13, "abcde\tf\ng");
}

static void clean_normalises_line_ends(void **state)
{
	(void)state;
	check_clean("a\r\nb\rc\n\rd\r", 10, "a\nb\nc\n\nd\n");
}

static void clean_drops_c1_controls(void **state)
{
	(void)state;
	/* U+0080 and U+009F go, U+00A0 (NBSP) right after them stays. */
	check_clean("a\xC2\x80" "b\xC2\x9F" "c\xC2\xA0" "d", 10, "abc\xC2\xA0" "d");
}

static void clean_drops_bidi_controls(void **state)
{
	(void)state;
	/* U+202A..U+202E and U+2066..U+2069 go; their neighbours U+2029,
	 * U+202F, U+2065 and U+206A, and the marks U+200E/U+200F, stay. */
	check_clean("a\xE2\x80\xAA" "b\xE2\x80\xAE" "c\xE2\x81\xA6" "d\xE2\x81\xA9" "e",
	            17, "abcde");
	check_clean("\xE2\x80\xA9\xE2\x80\xAF\xE2\x81\xA5\xE2\x81\xAA\xE2\x80\x8E\xE2\x80\x8F",
	            18, "\xE2\x80\xA9\xE2\x80\xAF\xE2\x81\xA5\xE2\x81\xAA\xE2\x80\x8E\xE2\x80\x8F");
	/* "Trojan Source": an override that would show "gpj.exe" as "exe.jpg". */
	check_clean("invoice\xE2\x80\xAEgpj.exe", 18, "invoicegpj.exe");
}

/* ---- utf8_valid -------------------------------------------------------- */

static void valid_accepts_and_rejects(void **state)
{
	(void)state;
	assert_true(utf8_valid("", 0));
	assert_true(utf8_valid("caf\xC3\xA9 \xF0\x9F\x98\x80", 10));
	assert_false(utf8_valid("caf\xC3", 4));
	assert_false(utf8_valid("\xC0\x80", 2));
	assert_false(utf8_valid("\xED\xA0\x80", 3));
	assert_false(utf8_valid("\xF4\x90\x80\x80", 4));
}

/* ---- text_oneline ------------------------------------------------------ */

static void oneline_collapses_ascii_space(void **state)
{
	(void)state;
	char *s = text_oneline("  North\tKorea \n\n making  progress \r\n");
	assert_string_equal(s, "North Korea making progress");
	free(s);
}

static void oneline_collapses_unicode_spaces(void **state)
{
	(void)state;
	/* NBSP, ideographic space, thin space, line separator. */
	char *s = text_oneline("\xC2\xA0" "a\xC2\xA0\xC2\xA0" "b\xE3\x80\x80" "c"
			       "\xE2\x80\x89" "d\xE2\x80\xA8" "e\xE3\x80\x80");
	assert_string_equal(s, "a b c d e");
	free(s);
}

static void oneline_empty_and_blank(void **state)
{
	(void)state;
	char *s = text_oneline("");
	assert_string_equal(s, "");
	free(s);
	s = text_oneline(" \t\xC2\xA0\n");
	assert_string_equal(s, "");
	free(s);
}

/* ---- text_truncate ----------------------------------------------------- */

static void truncate_cuts_at_word_boundary(void **state)
{
	(void)state;
	char *s = text_truncate("North Korea making progress", 16);
	assert_string_equal(s, "North Korea\xE2\x80\xA6");
	free(s);
}

static void truncate_limit_on_space_keeps_last_word(void **state)
{
	(void)state;
	/* The 12th character is the space after "making": 11 kept + "…". */
	char *s = text_truncate("North Korea making progress", 12);
	assert_string_equal(s, "North Korea\xE2\x80\xA6");
	free(s);
}

static void truncate_counts_code_points(void **state)
{
	(void)state;
	/* Six Hangul syllables (18 bytes), no space: a hard cut after four
	 * characters plus "…", never inside a sequence. */
	char *s = text_truncate("\xEB\xB6\x81\xED\x95\x9C\xEC\x9D\xB4\xEC\xBD\x94"
				"\xEB\xA1\x9C\xEB\x82\x98", 5);
	assert_string_equal(s, "\xEB\xB6\x81\xED\x95\x9C\xEC\x9D\xB4\xEC\xBD\x94"
			       "\xE2\x80\xA6");
	assert_true(utf8_valid(s, strlen(s)));
	free(s);
}

static void truncate_multibyte_at_word_boundary(void **state)
{
	(void)state;
	char *s = text_truncate("caf\xC3\xA9 cr\xC3\xA8me br\xC3\xBBl\xC3\xA9", 12);
	assert_string_equal(s, "caf\xC3\xA9 cr\xC3\xA8me\xE2\x80\xA6");
	free(s);
}

static void truncate_no_cut_when_short_enough(void **state)
{
	(void)state;
	/* Exactly max_chars code points: unchanged, no "…". */
	char *s = text_truncate("caf\xC3\xA9 ok", 7);
	assert_string_equal(s, "caf\xC3\xA9 ok");
	free(s);
}

static void truncate_tiny_limits(void **state)
{
	(void)state;
	char *s = text_truncate("abc", 1);
	assert_string_equal(s, "\xE2\x80\xA6");
	free(s);
	s = text_truncate("abc", 0);
	assert_string_equal(s, "");
	free(s);
}

/* ---- text_for_terminal ------------------------------------------------ */

static void terminal_text_drops_escapes_and_joins_lines(void **state)
{
	(void)state;
	char *t = text_for_terminal("evil\n\x1b[2Jnkdigest: forged\r\tline\x7f\xc2\x9b" "1m", 100);
	assert_string_equal(t, "evil [2Jnkdigest: forged  line1m");
	free(t);
}

static void terminal_text_drops_bidi_controls_and_repairs_utf8(void **state)
{
	(void)state;
	/* U+202E RIGHT-TO-LEFT OVERRIDE, U+2066 LEFT-TO-RIGHT ISOLATE */
	char *t = text_for_terminal("a\xe2\x80\xaegpj.exe\xe2\x81\xa6\xff", 100);
	assert_string_equal(t, "agpj.exe" FFFD);
	free(t);
}

static void terminal_text_is_capped_on_a_character(void **state)
{
	(void)state;
	char *t = text_for_terminal("\xed\x95\x9c\xea\xb8\x80\xea\xb8\x80", 7);   /* 한글글 */
	assert_string_equal(t, "\xed\x95\x9c\xea\xb8\x80\xe2\x80\xa6");
	free(t);
	t = text_for_terminal("", 7);
	assert_string_equal(t, "");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clean_keeps_valid_text),
		cmocka_unit_test(clean_empty_is_empty_string),
		cmocka_unit_test(clean_replaces_stray_bytes),
		cmocka_unit_test(clean_truncated_sequence_is_one_replacement),
		cmocka_unit_test(clean_overlong_is_one_replacement_per_byte),
		cmocka_unit_test(clean_surrogate_is_replaced),
		cmocka_unit_test(clean_beyond_10ffff_is_replaced),
		cmocka_unit_test(clean_drops_controls_keeps_tab_newline),
		cmocka_unit_test(clean_normalises_line_ends),
		cmocka_unit_test(clean_drops_c1_controls),
		cmocka_unit_test(clean_drops_bidi_controls),
		cmocka_unit_test(valid_accepts_and_rejects),
		cmocka_unit_test(terminal_text_drops_escapes_and_joins_lines),
		cmocka_unit_test(terminal_text_drops_bidi_controls_and_repairs_utf8),
		cmocka_unit_test(terminal_text_is_capped_on_a_character),
		cmocka_unit_test(oneline_collapses_ascii_space),
		cmocka_unit_test(oneline_collapses_unicode_spaces),
		cmocka_unit_test(oneline_empty_and_blank),
		cmocka_unit_test(truncate_cuts_at_word_boundary),
		cmocka_unit_test(truncate_limit_on_space_keeps_last_word),
		cmocka_unit_test(truncate_counts_code_points),
		cmocka_unit_test(truncate_multibyte_at_word_boundary),
		cmocka_unit_test(truncate_no_cut_when_short_enough),
		cmocka_unit_test(truncate_tiny_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
