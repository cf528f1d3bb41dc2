/* test_text.c — unit tests for the text utilities: utf8.c, html_text.c and
 * wrap.c. Expected strings are exact bytes; U+FFFD is written "\xEF\xBF\xBD". */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "buf.h"
#include "html_text.h"
#include "utf8.h"
#include "wrap.h"

#define FFFD "\xEF\xBF\xBD"

/* Runs utf8_clean over in[0..len) and compares the result with want. */
static void check_clean(const char *in, size_t len, const char *want)
{
	char *got = utf8_clean(in, len);
	assert_string_equal(got, want);
	free(got);
}

static void check_html(const char *in, const char *want)
{
	char *got = html_to_text(in, strlen(in));
	assert_string_equal(got, want);
	free(got);
}

static void check_decode(const char *in, const char *want)
{
	char *got = html_entities_decode(in);
	assert_string_equal(got, want);
	free(got);
}

static void check_wrap(const char *in, int width, const char *want)
{
	struct buf b = {0};
	wrap_line(in, strlen(in), width, &b);
	assert_string_equal(buf_str(&b), want);
	buf_free(&b);
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

/* ---- html_to_text ------------------------------------------------------ */

static void html_wordpress_excerpt(void **state)
{
	(void)state;
	check_html("<p>Authorities report almost 220,000 new suspected virus cases "
		   "&#8230; <a class=\"more-link\" href=\"https://www.nknews.org/2022/"
		   "05/x/\">Continue reading</a></p>\n",
		   "Authorities report almost 220,000 new suspected virus cases "
		   "\xE2\x80\xA6 Continue reading");
}

static void html_wordpress_title(void **state)
{
	(void)state;
	check_html("North Korea making &#8216;progress&#8217; in COVID-19 fight",
		   "North Korea making \xE2\x80\x98progress\xE2\x80\x99 in COVID-19 fight");
}

static void html_drops_script_style_comments(void **state)
{
	(void)state;
	check_html("<style>p { color: red }</style><p>Hello</p>"
		   "<script>if (a < b && c) alert('x');</script>"
		   "<p>wor<!-- hidden -->ld</p>",
		   "Hello\n\nworld");
}

static void html_drops_other_hidden_elements(void **state)
{
	(void)state;
	check_html("<noscript>ns</noscript><template>tpl</template>"
		   "<iframe src=\"x\">if</iframe><object>obj</object>shown",
		   "shown");
	/* A whole document: head and title gone, body kept. */
	check_html("<!DOCTYPE html><html><head><title>T</title></head>"
		   "<body><p>Body</p></body></html>", "Body");
}

static void html_paragraphs_and_breaks(void **state)
{
	(void)state;
	check_html("<p>one</p><p>two<br>three<br/><br>four</p>\n<div>five</div>six",
		   "one\n\ntwo\nthree\n\nfour\n\nfive\n\nsix");
}

static void html_lists_and_headings(void **state)
{
	(void)state;
	check_html("<h2>Title</h2><ul><li>a</li><li>b</li></ul>end",
		   "Title\n\na\n\nb\n\nend");
}

static void html_inline_elements_collapse_space(void **state)
{
	(void)state;
	check_html("<p>  Kim   <b>Jong</b>\n<i>Un</i>\t said </p>",
		   "Kim Jong Un said");
}

static void html_plain_text(void **state)
{
	(void)state;
	check_html("Just plain text,\n  nothing   else.", "Just plain text, nothing else.");
}

static void html_empty_and_blank(void **state)
{
	(void)state;
	check_html("", "");
	check_html(" \n\t ", "");
	check_html("<p></p><br>", "");
}

static void html_unclosed_tags(void **state)
{
	(void)state;
	check_html("<p>unclosed <b>bold <i>italic", "unclosed bold italic");
	check_html("<div><p>a<p>b", "a\n\nb");
	check_html("</p></div>stray end tags", "stray end tags");
}

static void html_less_than_in_text(void **state)
{
	(void)state;
	/* libxml2 (like browsers) keeps '<' that cannot start a tag; "a<b"
	 * would open a <b> element, which is also what browsers do. */
	check_html("a < b and 1<2", "a < b and 1<2");
	check_html("AT&T & co", "AT&T & co");
}

static void html_nbsp_becomes_space(void **state)
{
	(void)state;
	check_html("a&nbsp;b &nbsp; c\xC2\xA0\xC2\xA0" "d", "a b c d");
}

static void html_entities_in_text(void **state)
{
	(void)state;
	check_html("&amp;amp; &#038; &#x2019; &eacute; &#146;",
		   "&amp; & \xE2\x80\x99 \xC3\xA9 \xE2\x80\x99");
}

static void html_output_is_valid_utf8(void **state)
{
	(void)state;
	/* Bad bytes and control references never reach the output; &#x81;
	 * has no Windows-1252 meaning and stays the C1 control it is. */
	check_html("<p>a\xFF" "b\x01" "c&#1;d&#x7f;e&#x81;f</p>", "a" FFFD "bcdef");
}

static void html_ignores_meta_charset(void **state)
{
	(void)state;
	check_html("<meta charset=\"iso-8859-1\"><p>caf\xC3\xA9</p>", "caf\xC3\xA9");
}

/* ---- html_entities_decode ---------------------------------------------- */

static void decode_numeric(void **state)
{
	(void)state;
	check_decode("&#8217;&#x2019;&#X2019;&#038;&#65;", "\xE2\x80\x99\xE2\x80\x99"
		     "\xE2\x80\x99&A");
	check_decode("&#128512;", "\xF0\x9F\x98\x80");
}

static void decode_named(void **state)
{
	(void)state;
	check_decode("&amp;&lt;&gt;&quot;&apos;&nbsp;&hellip;&rsquo;&eacute;&Eacute;",
		     "&<>\"'\xC2\xA0\xE2\x80\xA6\xE2\x80\x99\xC3\xA9\xC3\x89");
}

static void decode_once_only(void **state)
{
	(void)state;
	check_decode("&amp;amp; &amp;#8217;", "&amp; &#8217;");
}

static void decode_invalid_code_points(void **state)
{
	(void)state;
	check_decode("&#0;|&#xD800;|&#xDFFF;|&#x110000;|&#99999999999999999999;",
		     FFFD "|" FFFD "|" FFFD "|" FFFD "|" FFFD);
}

static void decode_windows_1252_range(void **state)
{
	(void)state;
	/* As HTML5: &#150; is an en dash, &#146; a right single quote. */
	check_decode("&#150;&#146;", "\xE2\x80\x93\xE2\x80\x99");
}

static void decode_keeps_unknown_and_malformed(void **state)
{
	(void)state;
	check_decode("&bogus; &#; &#x; &#12 &amp Q&A a & b &; &#xZZ; end&",
		     "&bogus; &#; &#x; &#12 &amp Q&A a & b &; &#xZZ; end&");
}

static void decode_leaves_tags_alone(void **state)
{
	(void)state;
	check_decode("<p>a &lt; b</p>", "<p>a < b</p>");
	check_decode("", "");
}

/* ---- html_escape ------------------------------------------------------- */

static void escape_special_characters(void **state)
{
	(void)state;
	struct buf b = {0};
	buf_adds(&b, "x:");
	const char *s = "<a href=\"x\">Tom & Jerry's</a> \xE2\x80\x99";
	html_escape(&b, s, strlen(s));
	assert_string_equal(buf_str(&b), "x:&lt;a href=&quot;x&quot;&gt;Tom &amp; "
			    "Jerry&#39;s&lt;/a&gt; \xE2\x80\x99");
	buf_free(&b);
}

static void escape_respects_length(void **state)
{
	(void)state;
	struct buf b = {0};
	html_escape(&b, "a&b<c", 3);
	assert_string_equal(buf_str(&b), "a&amp;b");
	html_escape(&b, "", 0);
	assert_string_equal(buf_str(&b), "a&amp;b");
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
	wrap_line(in, strlen(in), 20, &b);
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
	wrap_line(in, strlen(in), 10, &b);

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
	wrap_line("", 0, 20, &b);
	assert_string_equal(buf_str(&b), "keep");
	wrap_line(" one two", 8, 4, &b);
	assert_string_equal(buf_str(&b), "keep one\n two");
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
		cmocka_unit_test(valid_accepts_and_rejects),
		cmocka_unit_test(oneline_collapses_ascii_space),
		cmocka_unit_test(oneline_collapses_unicode_spaces),
		cmocka_unit_test(oneline_empty_and_blank),
		cmocka_unit_test(truncate_cuts_at_word_boundary),
		cmocka_unit_test(truncate_limit_on_space_keeps_last_word),
		cmocka_unit_test(truncate_counts_code_points),
		cmocka_unit_test(truncate_multibyte_at_word_boundary),
		cmocka_unit_test(truncate_no_cut_when_short_enough),
		cmocka_unit_test(truncate_tiny_limits),
		cmocka_unit_test(html_wordpress_excerpt),
		cmocka_unit_test(html_wordpress_title),
		cmocka_unit_test(html_drops_script_style_comments),
		cmocka_unit_test(html_drops_other_hidden_elements),
		cmocka_unit_test(html_paragraphs_and_breaks),
		cmocka_unit_test(html_lists_and_headings),
		cmocka_unit_test(html_inline_elements_collapse_space),
		cmocka_unit_test(html_plain_text),
		cmocka_unit_test(html_empty_and_blank),
		cmocka_unit_test(html_unclosed_tags),
		cmocka_unit_test(html_less_than_in_text),
		cmocka_unit_test(html_nbsp_becomes_space),
		cmocka_unit_test(html_entities_in_text),
		cmocka_unit_test(html_output_is_valid_utf8),
		cmocka_unit_test(html_ignores_meta_charset),
		cmocka_unit_test(decode_numeric),
		cmocka_unit_test(decode_named),
		cmocka_unit_test(decode_once_only),
		cmocka_unit_test(decode_invalid_code_points),
		cmocka_unit_test(decode_windows_1252_range),
		cmocka_unit_test(decode_keeps_unknown_and_malformed),
		cmocka_unit_test(decode_leaves_tags_alone),
		cmocka_unit_test(escape_special_characters),
		cmocka_unit_test(escape_respects_length),
		cmocka_unit_test(wrap_english_at_20),
		cmocka_unit_test(wrap_keeps_indent),
		cmocka_unit_test(wrap_no_trailing_spaces_at_breaks),
		cmocka_unit_test(wrap_long_url_stays_whole),
		cmocka_unit_test(wrap_long_first_word_no_empty_line),
		cmocka_unit_test(wrap_url_with_break_characters_not_split),
		cmocka_unit_test(wrap_korean_by_columns),
		cmocka_unit_test(wrap_korean_loses_only_spaces),
		cmocka_unit_test(wrap_curly_quotes_stay_with_word),
		cmocka_unit_test(wrap_short_line_unchanged),
		cmocka_unit_test(wrap_empty_appends_nothing),
		cmocka_unit_test(width_counts_columns),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	/* libxml2 keeps global state for the process; free it for valgrind. */
	xmlCleanupParser();
	return rc;
}
