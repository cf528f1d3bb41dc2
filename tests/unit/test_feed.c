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
	{ .tier = "pro", .kind = RULE_TAG, .value = "NK PRO" },
	{ .tier = "pro", .kind = RULE_URL, .value = "/pro/" },
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
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].id, "ok");
	/* No date is no reason to drop an item: collect dates it when it was
	 * first seen. */
	assert_string_equal(l.v[1].id, "nodate");
	assert_int_equal(l.v[1].published, 0);
	assert_int_equal(log_warnings() - before, 3);
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
	assert_non_null(strstr(e.msg, "none of its 1 items is usable: item 1: no link (url)"));
	article_list_free(&l);
	/* Markup where JSON was expected says what it probably is. */
	assert_int_equal(parse("\n<!DOCTYPE html><html><body>Error 502</body></html>", &l, &e),
	                 EX_DATAERR);
	assert_non_null(strstr(e.msg, "test: not a feed but an HTML page"));
	assert_int_equal(parse("<?xml version=\"1.0\"?><rss version=\"2.0\"></rss>", &l, &e),
	                 EX_DATAERR);
	assert_non_null(strstr(e.msg, "an RSS or Atom (XML) feed, not JSON"));
	assert_int_equal(parse("  \n", &l, &e), EX_DATAERR);
	assert_non_null(strstr(e.msg, "empty document"));
	assert_int_equal(parse("{\"code\": \"rest_forbidden\", \"message\": \"Sorry, you are "
	                       "not allowed\", \"data\": {\"status\": 401}}", &l, &e), EX_DATAERR);
	assert_non_null(strstr(e.msg, "an error from the server: rest_forbidden: Sorry"));
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

static void jsonfeed_html_and_fallbacks(void **state)
{
	(void)state;
	struct article_list l;
	struct nk_err e = {0};
	const char *text =
		"\xEF\xBB\xBF{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": ["
		" {\"id\": \"a\", \"url\": \"https://x.org/a\", \"title\": \"Kim &amp; <b>Yoon</b>\","
		"  \"summary\": \"<p>Talks <i>resume</i></p>\", \"date_published\": \"2022-05-21T10:12:00Z\"},"
		" {\"id\": \"b\", \"external_url\": \"https://elsewhere.org/b\", \"title\": \"B\","
		"  \"content_html\": \"<p>First paragraph of a long story</p><p>and more words here</p>\"},"
		" {\"id\": \"c\", \"url\": \"  HTTPS://User@X.ORG/Path/C?Q=A  \", \"title\": \"3 < 5\"},"
		" {\"id\": \"d\", \"url\": \"https://ko.x.org/wiki/\uBD81\uD55C?q=\xff\", \"title\": \"D\"},"
		" {\"id\": \"e\", \"url\": \"https://x\xff.org/\", \"title\": \"E\"}"
		"]}";
	src.format = FEED_AUTO;
	assert_int_equal(parse(text, &l, &e), 0);
	assert_int_equal(l.n, 4);   /* not e: its host is not UTF-8 */
	assert_string_equal(l.v[0].title, "Kim & Yoon");
	assert_string_equal(l.v[0].summary, "Talks resume");
	assert_string_equal(l.v[1].url, "https://elsewhere.org/b");
	assert_string_equal(l.v[1].summary,
	                    "First paragraph of a long story and more words here");
	assert_int_equal(l.v[1].published, 0);
	/* Scheme and host lower-cased, the rest kept; a user name stays. */
	assert_string_equal(l.v[2].url, "https://User@x.org/Path/C?Q=A");
	assert_string_equal(l.v[2].title, "3 < 5");
	/* A non-ASCII path is percent-encoded, byte by byte. */
	assert_string_equal(l.v[3].url, "https://ko.x.org/wiki/%EB%B6%81%ED%95%9C?q=%FF");
	article_list_free(&l);

	/* A summary cut from the full text ends at a word, with "…". */
	struct buf long_text = {0};
	buf_adds(&long_text, "{\"version\": \"https://jsonfeed.org/version/1\", \"items\": ["
	                     "{\"url\": \"https://x.org/l\", \"title\": \"L\", \"content_text\": \"");
	for (int i = 0; i < 100; i++)
		buf_adds(&long_text, "wordy ");
	buf_adds(&long_text, "\"}]}");
	assert_int_equal(parse(buf_str(&long_text), &l, &e), 0);
	size_t n = strlen(l.v[0].summary);
	assert_true(n > 3 && n < FEED_MAX_EXCERPT * 2);
	assert_string_equal(l.v[0].summary + n - strlen("wordy\u2026"), "wordy\u2026");
	article_list_free(&l);
	buf_free(&long_text);

	/* No "version", but an items list beside a feed title: a JSON Feed. */
	assert_int_equal(parse("{\"title\": \"T\", \"items\": [{\"url\": \"https://x.org/v\","
	                       " \"title\": \"V\"}]}", &l, &e), 0);
	assert_int_equal(l.n, 1);
	article_list_free(&l);
}

static void relative_links_are_resolved_against_the_site(void **state)
{
	(void)state;
	struct article_list l;
	struct nk_err e = {0};
	const char *text =
		"{\"version\": \"https://jsonfeed.org/version/1.1\", \"home_page_url\": "
		"\"https://x.org/blog/index.html?p=1\", \"items\": ["
		" {\"url\": \"/2022/05/a/\", \"title\": \"A\"},"
		" {\"url\": \"b.html\", \"title\": \"B\"},"
		" {\"url\": \"//cdn.x.org/c\", \"title\": \"C\"},"
		" {\"url\": \"?p=4\", \"title\": \"D\"},"
		" {\"url\": \"mailto:x@x.org\", \"title\": \"E\"}]}";
	assert_int_equal(parse(text, &l, &e), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[0].url, "https://x.org/2022/05/a/");
	assert_string_equal(l.v[1].url, "https://x.org/blog/b.html");
	assert_string_equal(l.v[2].url, "https://cdn.x.org/c");
	assert_string_equal(l.v[3].url, "https://x.org/blog/index.html?p=4");
	article_list_free(&l);
	/* Without a site address, a relative link cannot be used. */
	assert_int_equal(parse("{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": ["
	                       "{\"url\": \"/a\", \"title\": \"A\"}]}", &l, &e), EX_DATAERR);
	assert_non_null(strstr(e.msg, "link is not a plain http(s) URL"));
}

static void broken_escapes_become_replacement_characters(void **state)
{
	(void)state;
	struct article_list l;
	struct nk_err e = {0};
	const char *text =
		"{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": ["
		" {\"url\": \"https://x.org/1\", \"title\": \"Cut emoji \\ud83d\"},"
		" {\"url\": \"https://x.org/2\", \"title\": \"Bad \\x41 and \\u12G4 end\"},"
		" {\"url\": \"https://x.org/3\", \"title\": \"Whole \\ud83d\\ude00\"}]}";
	assert_int_equal(parse(text, &l, &e), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].title, "Cut emoji \uFFFD");
	assert_string_equal(l.v[1].title, "Bad \uFFFD41 and \uFFFDG4 end");
	assert_string_equal(l.v[2].title, "Whole \U0001F600");
	article_list_free(&l);
}

static void wordpress_is_known_by_its_shape(void **state)
{
	(void)state;
	struct article_list l;
	struct nk_err e = {0};
	/* ?_fields=id,link,slug: no title, no date, no excerpt. */
	assert_int_equal(parse("[{\"id\": 5, \"link\": \"https://x.org/5\", \"slug\": \"five\"},"
	                       " {\"id\": 6, \"slug\": \"six\"}]", &l, &e), EX_DATAERR);
	assert_non_null(strstr(e.msg, "none of its 2 items is usable: "
	                              "item 1 (id 5): no title (title.rendered)"));
	assert_non_null(strstr(e.msg, "item 2 (id 6): no link (\"link\")"));
	assert_null(strstr(e.msg, "neither"));
	/* Without a date the post is kept, to be dated when first seen. */
	assert_int_equal(parse("[{\"id\": 7, \"type\": \"post\", \"link\": \"https://x.org/7\","
	                       " \"title\": {\"rendered\": \"Seven\"}}]", &l, &e), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].published, 0);
	article_list_free(&l);
}

static void tier_rules_of_every_kind(void **state)
{
	(void)state;
	struct tier_rule r[] = {
		{ .tier = "pro", .kind = RULE_CATEGORY, .value = "Premium" },
		{ .tier = "pro", .kind = RULE_CATEGORY_ID, .value = "42", .id = 42 },
		{ .tier = "pro", .kind = RULE_FIELD, .value = "/meta/access~1level", .match = "paid" },
		{ .tier = "pro", .kind = RULE_FIELD, .value = "/_nk/flags", .match = "true" },
	};
	struct source_conf s = src;
	s.rules = r;
	s.nrules = 4;
	struct article_list l = {0};
	struct nk_err e = {0};
	const char *wp = "["
		"{\"id\": 1, \"link\": \"https://x.org/1\", \"title\": {\"rendered\": \"Cat\"},"
		" \"_embedded\": {\"wp:term\": [[{\"taxonomy\": \"category\", \"name\": \"PREMIUM\"}]]}},"
		"{\"id\": 2, \"link\": \"https://x.org/2\", \"title\": {\"rendered\": \"Tag only\"},"
		" \"_embedded\": {\"wp:term\": [[], [{\"taxonomy\": \"post_tag\", \"name\": \"Premium\"}]]}},"
		"{\"id\": 3, \"link\": \"https://x.org/3\", \"title\": {\"rendered\": \"Id\"},"
		" \"categories\": [7, 42]},"
		"{\"id\": 4, \"link\": \"https://x.org/4\", \"title\": {\"rendered\": \"Field\"},"
		" \"meta\": {\"access/level\": \"paid\"}},"
		"{\"id\": 5, \"link\": \"https://x.org/5\", \"title\": {\"rendered\": \"Array\"},"
		" \"_nk\": {\"flags\": [false, true]}},"
		"{\"id\": 6, \"link\": \"https://x.org/6\", \"title\": {\"rendered\": \"Free\"},"
		" \"categories\": [4], \"meta\": {\"access/level\": \"open\"}, \"_nk\": {\"flags\": false}}]";
	assert_int_equal(feed_parse(wp, strlen(wp), &s, "wp", &l, &e), 0);
	assert_int_equal(l.n, 6);
	const char *want[] = { "pro", "free", "pro", "pro", "pro", "free" };
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(l.v[i].tier, want[i]);
	article_list_free(&l);
	/* In a JSON Feed, category: means a tag; category_id: never matches. */
	const char *jf = "{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": ["
		"{\"url\": \"https://x.org/a\", \"title\": \"A\", \"tags\": [\"premium\"]},"
		"{\"url\": \"https://x.org/b\", \"title\": \"B\", \"tags\": [42]}]}";
	assert_int_equal(feed_parse(jf, strlen(jf), &s, "jf", &l, &e), 0);
	assert_string_equal(l.v[0].tier, "pro");
	assert_string_equal(l.v[1].tier, "free");
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
		cmocka_unit_test(jsonfeed_html_and_fallbacks),
		cmocka_unit_test(relative_links_are_resolved_against_the_site),
		cmocka_unit_test(broken_escapes_become_replacement_characters),
		cmocka_unit_test(wordpress_is_known_by_its_shape),
		cmocka_unit_test(tier_rules_of_every_kind),
	};
	return cmocka_run_group_tests_name("feed", tests, NULL, NULL);
}
