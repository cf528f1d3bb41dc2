/* test_html_text.c — html_text.c: HTML to text, entity decoding, escaping. */
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

#define FFFD "\xEF\xBF\xBD"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
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
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	/* libxml2 keeps global state for the process; free it for valgrind. */
	xmlCleanupParser();
	return rc;
}
