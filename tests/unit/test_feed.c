/* test_feed.c — JSON Feed and WordPress parsing into articles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "feed.h"
#include "log.h"

static struct tier_rule rules[] = {
	{ "pro", RULE_TAG, "NK PRO" },
	{ "pro", RULE_URL, "/pro/" },
};

static struct source_conf src = {
	.name = "nk", .url = "test", .format = FEED_AUTO, .tier = "free",
	.rules = rules, .nrules = 2, .tls_verify = true,
};

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	struct buf b = {0};
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	*len = b.len;
	return buf_detach(&b);
}

static int parse(const char *text, struct article_list *l, struct nk_err *e)
{
	memset(l, 0, sizeof *l);
	return feed_parse(text, strlen(text), &src, "test", l, e);
}

static void jsonfeed_sample(void **state)
{
	(void)state;
	size_t len;
	char *text = slurp("tests/data/nknews-jsonfeed.json", &len);
	struct article_list l = {0};
	struct nk_err e = {0};
	assert_int_equal(feed_parse(text, len, &src, "test", &l, &e), 0);
	assert_int_equal(l.n, 10);
	const struct article *a = &l.v[0];
	assert_string_equal(a->title,
		"North Korea making \u2018progress\u2019 in COVID-19 fight but issues remain: Kim Jong Un");
	assert_string_equal(a->url, "https://www.nknews.org/2022/05/north-korea-making-progress-in-covid-19-fight-but-issues-remain-kim-jong-un/");
	assert_int_equal(a->nauthors, 1);
	assert_string_equal(a->authors[0], "Colin Zwirko");
	assert_int_equal(a->published, 1653095520);
	assert_string_equal(a->tier, "free");
	assert_string_equal(a->key, "nk\thttps://www.nknews.org/?p=945000");
	assert_string_equal(l.v[1].tier, "pro");
	size_t pro = 0;
	for (size_t i = 0; i < l.n; i++)
		pro += !strcmp(l.v[i].tier, "pro");
	assert_int_equal(pro, 2);
	article_list_free(&l);
	free(text);
}

static void wordpress_sample_matches_jsonfeed(void **state)
{
	(void)state;
	size_t len1, len2;
	char *jf = slurp("tests/data/nknews-jsonfeed.json", &len1);
	char *wp = slurp("tests/data/nknews-wp-posts.json", &len2);
	struct article_list a = {0}, b = {0};
	struct nk_err e = {0};
	assert_int_equal(feed_parse(jf, len1, &src, "jf", &a, &e), 0);
	assert_int_equal(feed_parse(wp, len2, &src, "wp", &b, &e), 0);
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		assert_string_equal(a.v[i].title, b.v[i].title);   /* &#8216; decoded */
		assert_string_equal(a.v[i].summary, b.v[i].summary);   /* <p> dropped */
		assert_string_equal(a.v[i].url, b.v[i].url);
		assert_string_equal(a.v[i].authors[0], b.v[i].authors[0]);
		assert_int_equal(a.v[i].published, b.v[i].published);
		assert_string_equal(a.v[i].tier, b.v[i].tier);
	}
	article_list_free(&a);
	article_list_free(&b);
	free(jf);
	free(wp);
}

static void jsonfeed_1_0_and_fallbacks(void **state)
{
	(void)state;
	struct article_list l;
	struct nk_err e = {0};
	const char *text =
		"{\"version\": \"http://jsonfeed.org/version/1\", \"author\": {\"name\": \"Feed Author\"},"
		" \"items\": ["
		"  {\"id\": 7, \"url\": \"https://x.org/1\", \"title\": \"&#8216;Jokes&#8217; &amp; more\","
		"   \"author\": {\"name\": \"Item Author\"}, \"content_html\": \"<p>Body <b>text</b></p>\","
		"   \"date_published\": \"2022-05-21T10:12:00-07:00\"},"
		"  {\"id\": \"b\", \"url\": \"https://x.org/pro/2\", \"content_text\": \"A status post with no title at all\","
		"   \"date_modified\": \"2022-05-21T10:12:00.000Z\"}"
		"]}";
	assert_int_equal(parse(text, &l, &e), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].id, "7");
	assert_string_equal(l.v[0].title, "\u2018Jokes\u2019 & more");
	assert_string_equal(l.v[0].authors[0], "Item Author");
	assert_string_equal(l.v[0].summary, "Body text");
	/* No title: the summary's opening stands in; feed author fills in. */
	assert_string_equal(l.v[1].title, "A status post with no title at all");
	assert_string_equal(l.v[1].authors[0], "Feed Author");
	assert_string_equal(l.v[1].tier, "pro");   /* url rule */
	article_list_free(&l);
}

static void bad_items_are_skipped(void **state)
{
	(void)state;
	struct article_list l;
	struct nk_err e = {0};
	unsigned before = log_warnings();
	const char *text =
		"{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": ["
		" {\"id\": \"ok\", \"url\": \"https://x.org/ok\", \"title\": \"Ok\","
		"  \"date_published\": \"2022-05-21T10:12:00Z\"},"
		" {\"id\": \"nodate\", \"url\": \"https://x.org/a\", \"title\": \"A\"},"
		" {\"id\": \"js\", \"url\": \"javascript:alert(1)\", \"title\": \"B\","
		"  \"date_published\": \"2022-05-21T10:12:00Z\"},"
		" {\"id\": \"sp\", \"url\": \"https://x.org/a b\", \"title\": \"C\","
		"  \"date_published\": \"2022-05-21T10:12:00Z\"},"
		" 42]}";
	assert_int_equal(parse(text, &l, &e), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].id, "ok");
	assert_int_equal(log_warnings() - before, 4);
	article_list_free(&l);
}

static void text_is_cleaned_and_limited(void **state)
{
	(void)state;
	struct article_list l;
	struct nk_err e = {0};
	char *text = malloc(8000);
	strcpy(text, "{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": [{"
	             "\"url\": \"https://x.org/1\", \"date_published\": \"2022-05-21T10:12:00Z\","
	             "\"title\": \"Bell\\u0007 and\\nnew\\tline \\u00a0 spaces\", \"summary\": \"");
	for (int i = 0; i < 1000; i++)
		strcat(text, "word ");
	strcat(text, "\"}]}");
	assert_int_equal(parse(text, &l, &e), 0);
	assert_string_equal(l.v[0].title, "Bell and new line spaces");
	assert_string_equal(l.v[0].id, "https://x.org/1");   /* id defaults to the link */
	size_t chars = 0;
	for (const unsigned char *p = (const unsigned char *)l.v[0].summary; *p; p++)
		chars += (*p & 0xC0) != 0x80;
	assert_true(chars <= FEED_MAX_SUMMARY);
	assert_non_null(strstr(l.v[0].summary, "\u2026"));
	article_list_free(&l);
	free(text);
}

static void bad_documents_are_errors(void **state)
{
	(void)state;
	struct article_list l;
	struct nk_err e = {0};
	assert_int_equal(parse("{\"version\": \"https://jsonfeed.org/version/1.1\",\n \"items\": [,]}",
	                       &l, &e), EX_DATAERR);
	assert_non_null(strstr(e.msg, "test: not valid JSON: parse error at line 2, column"));
	assert_int_equal(parse("{\"a\": 1} trailing", &l, &e), EX_DATAERR);
	assert_non_null(strstr(e.msg, "unexpected text after the document at line 1, column 10"));
	assert_int_equal(parse("{\"title\": \"x\"}", &l, &e), EX_DATAERR);
	assert_non_null(strstr(e.msg, "neither a JSON Feed"));
	assert_int_equal(parse("{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": ["
	                       "{\"title\": \"no link\"}]}", &l, &e), EX_DATAERR);
	assert_non_null(strstr(e.msg, "none of its 1 items is usable"));
	article_list_free(&l);
	/* An empty feed is fine: nothing new. */
	assert_int_equal(parse("{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": []}",
	                       &l, &e), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(parse("[]", &l, &e), 0);
}

static void named_format_must_match(void **state)
{
	(void)state;
	struct article_list l;
	struct nk_err e = {0};
	src.format = FEED_WORDPRESS;
	assert_int_equal(parse("{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": []}",
	                       &l, &e), EX_DATAERR);
	assert_non_null(strstr(e.msg, "not a WordPress posts array"));
	src.format = FEED_AUTO;
}

static void wordpress_drafts_and_missing_gmt(void **state)
{
	(void)state;
	struct article_list l;
	struct nk_err e = {0};
	const char *text = "["
		"{\"id\": 1, \"status\": \"draft\", \"link\": \"https://x.org/1\", \"title\": {\"rendered\": \"D\"},"
		" \"date_gmt\": \"2022-05-21T01:00:00\"},"
		"{\"id\": 2, \"link\": \"https://x.org/2\", \"title\": {\"rendered\": \"Fish &amp; Chips\"},"
		" \"excerpt\": {\"rendered\": \"<p>One &#8230; <a href=\\\"/more\\\">Continue reading</a></p>\\n\"},"
		" \"date\": \"2022-05-21T10:00:00\"}]";
	assert_int_equal(parse(text, &l, &e), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].id, "2");
	assert_string_equal(l.v[0].title, "Fish & Chips");
	assert_string_equal(l.v[0].summary, "One \u2026 Continue reading");
	assert_int_equal(l.v[0].published, 1653127200);   /* "date" taken as UTC */
	article_list_free(&l);
}

int main(void)
{
	log_set_level(LOG_QUIET);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(jsonfeed_sample),
		cmocka_unit_test(wordpress_sample_matches_jsonfeed),
		cmocka_unit_test(jsonfeed_1_0_and_fallbacks),
		cmocka_unit_test(bad_items_are_skipped),
		cmocka_unit_test(text_is_cleaned_and_limited),
		cmocka_unit_test(bad_documents_are_errors),
		cmocka_unit_test(named_format_must_match),
		cmocka_unit_test(wordpress_drafts_and_missing_gmt),
	};
	return cmocka_run_group_tests_name("feed", tests, NULL, NULL);
}
