/* test_render.c — render.c: the data the templates see (lead, days,
 * locked blocks, links, counts), the subject's length, the HTML budget, and
 * that the documented data model (templates/README.md, render_schema)
 * covers every key the data can hold. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "buf.h"
#include "datetime.h"
#include "group.h"
#include "mime.h"
#include "render.h"
#include "support.h"
#include "xalloc.h"

static struct tier_conf tier_v[] = {
	{ .name = "free", .label = "News" },
	{ .name = "pro", .label = "NK PRO", .upgrade_url = "https://x.org/pro?next={{url}}#top",
	  .campaign = "utm_source=digest&utm_medium=email", .benefit = "All of it" },
};
static const struct tier_list tiers = { tier_v, 2 };

struct fixture {
	struct article_list l;
	struct grouping g;
	struct render_settings rs;
};

static void setup(struct fixture *f)
{
	dt_set_zone("Asia/Seoul");
	t_sample_articles(&f->l);
	article_list_sort(&f->l);
	group_articles(&f->l, &tiers, &f->g);
	f->rs = (struct render_settings){
		.title = "Digest", .tiers = &tiers, .text_width = 72, .lang = "en",
		.subject_max = 60, .site_url = "https://x.org/", .html_budget = 0,
		.archive_url = "https://x.org/digest/",
	};
}

static void teardown(struct fixture *f)
{
	group_free(&f->g);
	article_list_free(&f->l);
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);
	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

/* "title|title|…" of the articles in a list. */
static char *titles(const cJSON *arts)
{
	struct buf b = {0};
	const cJSON *a;
	cJSON_ArrayForEach(a, arts) {
		buf_adds(&b, b.len ? "|" : "");
		buf_adds(&b, str(a, "title"));
	}
	return b.s ? buf_detach(&b) : xstrdup("");
}

/* ---- the layout ---- */

static void lead_is_the_newest_readable_then_the_days(void **state)
{
	(void)state;
	struct fixture f;
	setup(&f);
	cJSON *d = render_data(&f.rs, &f.g, 7, 0, 1, false, SIZE_MAX, NULL);
	assert_string_equal(str(cJSON_GetObjectItem(d, "lead"), "title"), "d21");
	/* The 21st had only the lead: the days start on the 20th. */
	const cJSON *days = cJSON_GetObjectItem(d, "days");
	assert_int_equal(cJSON_GetArraySize(days), 3);
	assert_string_equal(str(cJSON_GetArrayItem(days, 0), "iso"), "2022-05-20");
	assert_int_equal(cJSON_GetObjectItem(d, "count")->valueint, 7);
	assert_int_equal(cJSON_GetObjectItem(d, "others")->valueint, 6);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(d, "locked")), 0);
	cJSON_Delete(d);

	/* The free tier's lead is the newest article it can read. */
	d = render_data(&f.rs, &f.g, 7, 0, 0, false, SIZE_MAX, NULL);
	assert_string_equal(str(cJSON_GetObjectItem(d, "lead"), "title"), "d21");
	cJSON_Delete(d);
	teardown(&f);
}

static void lead_tag_marks_the_lead(void **state)
{
	(void)state;
	struct fixture f;
	setup(&f);
	struct article *a = &f.l.v[4];   /* d19b, sorted newest first */
	assert_string_equal(a->id, "d19b");
	a->tags = xcalloc(1, sizeof *a->tags);
	a->tags[0] = xstrdup("Top Story");
	a->ntags = 1;
	f.rs.lead_tag = "top story";      /* tags compare without case */
	cJSON *d = render_data(&f.rs, &f.g, 7, 0, 1, false, SIZE_MAX, NULL);
	assert_string_equal(str(cJSON_GetObjectItem(d, "lead"), "title"), "d19b");
	cJSON_Delete(d);
	teardown(&f);
}

static void headings_only_on_days_with_two_sections_and_badges_elsewhere(void **state)
{
	(void)state;
	struct fixture f;
	setup(&f);
	cJSON *d = render_data(&f.rs, &f.g, 7, 0, 1, false, SIZE_MAX, NULL);
	const cJSON *days = cJSON_GetObjectItem(d, "days");
	const cJSON *d20 = cJSON_GetArrayItem(days, 0), *d19 = cJSON_GetArrayItem(days, 1);
	const cJSON *s20 = cJSON_GetObjectItem(d20, "sections");
	assert_int_equal(cJSON_GetArraySize(s20), 2);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(s20, 0), "heading")));
	/* Under its own heading a pro article needs no badge. */
	const cJSON *pro = cJSON_GetObjectItem(cJSON_GetArrayItem(s20, 1), "articles");
	assert_string_equal(str(cJSON_GetArrayItem(pro, 0), "badge"), "");
	const cJSON *s19 = cJSON_GetObjectItem(d19, "sections");
	assert_int_equal(cJSON_GetArraySize(s19), 1);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(s19, 0), "heading")));
	cJSON_Delete(d);

	/* Without the free articles of the 20th, its pro ones stand alone
	 * under the date and carry the badge instead. */
	for (size_t i = 0; i < f.l.n; i++)
		if (!strcmp(f.l.v[i].id, "d20a"))
			memcpy(f.l.v[i].tier, "pro", 4);
	group_free(&f.g);
	group_articles(&f.l, &tiers, &f.g);
	d = render_data(&f.rs, &f.g, 7, 0, 1, false, SIZE_MAX, NULL);
	s20 = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "days"), 0),
	                          "sections");
	assert_int_equal(cJSON_GetArraySize(s20), 1);
	pro = cJSON_GetObjectItem(cJSON_GetArrayItem(s20, 0), "articles");
	assert_string_equal(str(cJSON_GetArrayItem(pro, 0), "badge"), "NK PRO");
	cJSON_Delete(d);
	teardown(&f);
}

static void free_tier_gets_teasers_in_a_locked_block_with_upgrade_links(void **state)
{
	(void)state;
	struct fixture f;
	setup(&f);
	cJSON *d = render_data(&f.rs, &f.g, 7, 0, 0, false, SIZE_MAX, NULL);
	assert_int_equal(cJSON_GetObjectItem(d, "readable")->valueint, 5);
	assert_int_equal(cJSON_GetObjectItem(d, "teasers")->valueint, 2);
	const cJSON *locked = cJSON_GetObjectItem(d, "locked");
	assert_int_equal(cJSON_GetArraySize(locked), 1);
	const cJSON *blk = cJSON_GetArrayItem(locked, 0);
	char *t = titles(cJSON_GetObjectItem(blk, "articles"));
	assert_string_equal(t, "d20pro|d20pro2");
	free(t);
	const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(blk, "articles"), 0);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(a, "teaser")));
	assert_string_equal(str(a, "badge"), "NK PRO");
	assert_string_equal(str(a, "url"), "https://x.org/d20pro");
	/* The article rides along percent-encoded; the campaign goes into the
	 * query, before the fragment. */
	assert_string_equal(str(a, "link"), "https://x.org/pro?next=https%3A%2F%2Fx.org%2Fd20pro"
	                    "&utm_source=digest&utm_medium=email#top");
	assert_string_equal(str(blk, "upgrade_url"), "https://x.org/pro?next=https%3A%2F%2Fx.org"
	                    "%2F&utm_source=digest&utm_medium=email#top");
	assert_string_equal(str(blk, "benefit"), "All of it");
	/* No pro article is among the days. */
	const cJSON *day, *sec, *art;
	cJSON_ArrayForEach(day, cJSON_GetObjectItem(d, "days"))
		cJSON_ArrayForEach(sec, cJSON_GetObjectItem(day, "sections"))
			cJSON_ArrayForEach(art, cJSON_GetObjectItem(sec, "articles"))
				assert_true(cJSON_IsFalse(cJSON_GetObjectItem(art, "premium")));
	cJSON_Delete(d);

	/* Nothing the free tier can read: no lead, and "others" counts every
	 * teaser. */
	struct grouping pro_only = {0};
	struct article_list pl = {0};
	t_add_article(&pl, "p1", "2022-05-20T18:40:00+09:00", "pro");
	t_add_article(&pl, "p2", "2022-05-20T14:30:00+09:00", "pro");
	group_articles(&pl, &tiers, &pro_only);
	cJSON *po = render_data(&f.rs, &pro_only, 7, 0, 0, false, SIZE_MAX, NULL);
	assert_null(cJSON_GetObjectItem(po, "lead"));
	assert_int_equal(cJSON_GetObjectItem(po, "others")->valueint, 2);
	cJSON_Delete(po);
	group_free(&pro_only);
	article_list_free(&pl);

	f.rs.hide_teasers = true;
	d = render_data(&f.rs, &f.g, 7, 0, 0, false, SIZE_MAX, NULL);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(d, "locked")), 0);
	assert_int_equal(cJSON_GetObjectItem(d, "count")->valueint, 5);
	assert_non_null(cJSON_GetObjectItem(d, "upgrade"));
	cJSON_Delete(d);
	teardown(&f);
}

static void teaser_links_to_the_article_when_upgrade_url_cannot_carry_it(void **state)
{
	(void)state;
	struct fixture f;
	setup(&f);
	tier_v[1].upgrade_url = "https://x.org/pro/";
	cJSON *d = render_data(&f.rs, &f.g, 7, 0, 0, false, SIZE_MAX, NULL);
	const cJSON *blk = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "locked"), 0);
	const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(blk, "articles"), 0);
	assert_string_equal(str(a, "link"), "https://x.org/d20pro");
	assert_string_equal(str(blk, "upgrade_url"),
	                    "https://x.org/pro/?utm_source=digest&utm_medium=email");
	cJSON_Delete(d);
	tier_v[1].upgrade_url = "https://x.org/pro?next={{url}}#top";
	teardown(&f);
}

static void counts_come_with_one_flags_and_limit_sets_more(void **state)
{
	(void)state;
	struct fixture f;
	setup(&f);
	size_t shown;
	cJSON *d = render_data(&f.rs, &f.g, 7, 0, 0, false, 3, &shown);
	assert_int_equal(shown, 3);
	const cJSON *more = cJSON_GetObjectItem(d, "more");
	assert_non_null(more);
	assert_int_equal(cJSON_GetObjectItem(more, "count")->valueint, 4);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(more, "count_one")));
	assert_string_equal(str(more, "url"), "https://x.org/digest/edition-7.html");
	/* The lead, then the newest day: what is cut is the end. */
	assert_non_null(cJSON_GetObjectItem(d, "lead"));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(d, "locked")), 0);
	cJSON_Delete(d);
	d = render_data(&f.rs, &f.g, 7, 0, 0, false, 6, &shown);
	more = cJSON_GetObjectItem(d, "more");
	assert_int_equal(cJSON_GetObjectItem(more, "count")->valueint, 1);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(more, "count_one")));
	const cJSON *blk = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "locked"), 0);
	assert_int_equal(cJSON_GetObjectItem(blk, "count")->valueint, 1);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(blk, "count_one")));
	cJSON_Delete(d);
	teardown(&f);
}

static void preheader_is_the_next_headlines_or_the_editors_line(void **state)
{
	(void)state;
	struct fixture f;
	setup(&f);
	cJSON *d = render_data(&f.rs, &f.g, 7, 0, 0, false, SIZE_MAX, NULL);
	assert_string_equal(str(d, "preheader"), "d20a · d19b · d19a · d18 · d20pro · d20pro2");
	cJSON_Delete(d);
	f.rs.preheader = "Today: the summit";
	d = render_data(&f.rs, &f.g, 7, 0, 0, false, SIZE_MAX, NULL);
	assert_string_equal(str(d, "preheader"), "Today: the summit");
	cJSON_Delete(d);
	teardown(&f);
}

/* ---- rendering ---- */

static char *filled(const struct skel *s)
{
	struct buf b = {0};
	skel_fill(s, NULL, &b);
	return buf_detach(&b);
}

static void subject_is_cut_on_a_word_to_subject_max(void **state)
{
	(void)state;
	struct fixture f;
	setup(&f);
	free(f.l.v[0].title);   /* d21, the lead */
	f.l.v[0].title = xstrdup("North Korea making \xE2\x80\x98progress\xE2\x80\x99 in COVID-19 "
	                         "fight but issues remain: Kim Jong Un");
	struct templates t;
	struct nk_err e = {0};
	assert_int_equal(templates_load(NULL, &t, &e), 0);
	struct variant v;
	assert_int_equal(render_variant(&f.rs, &t, &f.g, 7, 0, 1, &v, &e), 0);
	char *s = filled(v.subject);
	assert_string_equal(s, "North Korea making \xE2\x80\x98progress\xE2\x80\x99 in COVID-19 "
	                       "fight but\xE2\x80\xA6 +6 more\n");
	free(s);
	/* The body keeps the headline whole. */
	char *html = filled(v.html);
	assert_non_null(strstr(html, "issues remain: Kim Jong Un</a>"));
	free(html);
	variant_free(&v);

	f.rs.subject_max = 40;
	assert_int_equal(render_variant(&f.rs, &t, &f.g, 7, 0, 1, &v, &e), 0);
	s = filled(v.subject);
	assert_string_equal(s, "North Korea making \xE2\x80\x98progress\xE2\x80\x99\xE2\x80\xA6 +6 more\n");
	free(s);
	variant_free(&v);
	templates_free(&t);
	teardown(&f);
}

static void html_keeps_to_the_budget_and_keeps_the_footer(void **state)
{
	(void)state;
	struct fixture f;
	setup(&f);
	/* 300 articles with long summaries: far over any budget. */
	article_list_free(&f.l);
	group_free(&f.g);
	for (int i = 0; i < 300; i++) {
		char id[32], when[40];
		snprintf(id, sizeof id, "a%03d", i);
		snprintf(when, sizeof when, "2022-05-%02dT%02d:%02d:00+09:00", 10 + i / 60,
		         (i / 3) % 24, i % 60);
		t_add_article(&f.l, id, when, i % 4 ? "free" : "pro");
		free(f.l.v[i].summary);
		f.l.v[i].summary = xstrdup("A summary long enough to weigh what a real dek weighs, "
		                           "about a hundred and twenty bytes of text, give or take.");
	}
	article_list_sort(&f.l);
	group_articles(&f.l, &tiers, &f.g);
	struct templates t;
	struct nk_err e = {0};
	assert_int_equal(templates_load(NULL, &t, &e), 0);
	for (size_t budget = 40 * 1024; budget <= 120 * 1024; budget += 40 * 1024) {
		f.rs.html_budget = budget;
		struct variant v;
		assert_int_equal(render_variant(&f.rs, &t, &f.g, 7, 0, 0, &v, &e), 0);
		assert_int_equal(v.articles, 300);
		assert_in_range(v.html_articles, 1, 299);
		char *html = filled(v.html);
		/* Within the budget as it travels, with room for every
		 * per-recipient value. */
		size_t sent = mime_part_size(html, strlen(html));
		assert_true(sent + skel_nslots(v.html) * 512 <= budget);
		assert_true(sent > strlen(html));   /* the encoding is counted */
		char more[64];
		snprintf(more, sizeof more, "%zu more articles on the site",
		         300 - v.html_articles);
		assert_non_null(strstr(html, more));
		assert_non_null(strstr(html, "Unsubscribe</a>"));
		assert_non_null(strstr(html, "</html>"));
		/* One more article would not have fitted: the most that fit. */
		cJSON *d = render_data(&f.rs, &f.g, 7, 0, 0, false, v.html_articles + 1, NULL);
		struct skel *s = tmpl_render(t.html, d, render_slots, &e);
		char *bigger = filled(s);
		assert_true(mime_part_size(bigger, strlen(bigger)) + skel_nslots(s) * 512 > budget);
		free(bigger);
		skel_free(s);
		cJSON_Delete(d);
		free(html);
		variant_free(&v);
	}
	templates_free(&t);
	teardown(&f);
}

/* ---- the documented data model ---- */

/* Every key of data is in schema (list elements against its example). */
static void check_keys(const cJSON *data, const cJSON *schema, const char *path)
{
	if (cJSON_IsArray(data)) {
		assert_true(cJSON_IsArray(schema));
		const cJSON *el;
		cJSON_ArrayForEach(el, data)
			check_keys(el, schema->child, path);
		return;
	}
	if (!cJSON_IsObject(data))
		return;
	assert_true(cJSON_IsObject(schema));
	const cJSON *kv;
	cJSON_ArrayForEach(kv, data) {
		const cJSON *s = cJSON_GetObjectItem(schema, kv->string);
		if (!s)
			fail_msg("%s.%s is in the data but not in render_schema()", path, kv->string);
		char sub[256];
		snprintf(sub, sizeof sub, "%s.%s", path, kv->string);
		check_keys(kv, s, sub);
	}
}

static void data_holds_only_schema_keys(void **state)
{
	(void)state;
	struct fixture f;
	setup(&f);
	cJSON *schema = render_schema();
	f.rs.organisation = "Org";
	f.rs.preferences = true;
	for (int tier = 0; tier < 2; tier++)
		for (int page = 0; page < 2; page++)
			for (size_t limit = 2; limit <= 7; limit += 5) {
				cJSON *d = render_data(&f.rs, &f.g, 7, 0, tier, page, limit, NULL);
				check_keys(d, schema, "data");
				cJSON_Delete(d);
			}
	cJSON_Delete(schema);
	teardown(&f);
}

/* Every key of schema appears as `key` in the README. */
static void check_documented(const cJSON *schema, const char *readme)
{
	const cJSON *kv;
	cJSON_ArrayForEach(kv, schema) {
		char quoted[96];
		snprintf(quoted, sizeof quoted, "`%s`", kv->string);
		if (!strstr(readme, quoted))
			fail_msg("%s is not documented in templates/README.md", quoted);
		if (cJSON_IsObject(kv))
			check_documented(kv, readme);
		else if (cJSON_IsArray(kv) && kv->child)
			check_documented(kv->child, readme);
	}
}

static void readme_documents_every_variable(void **state)
{
	(void)state;
	struct buf b = {0};
	if (buf_read_file(&b, "templates/README.md", 1 << 20) != 0)
		fail_msg("templates/README.md: cannot read it (run from the top folder)");
	cJSON *schema = render_schema();
	check_documented(schema, buf_str(&b));
	cJSON_Delete(schema);
	schema = archive_schema();
	check_documented(schema, buf_str(&b));
	cJSON_Delete(schema);
	for (int i = 0; render_slots[i]; i++) {
		char quoted[96];
		snprintf(quoted, sizeof quoted, "`%s`", render_slots[i]);
		assert_non_null(strstr(buf_str(&b), quoted));
	}
	buf_free(&b);
}

static void built_in_templates_pass_the_strict_check(void **state)
{
	(void)state;
	struct templates t;
	struct nk_err e = {0};
	assert_int_equal(templates_load(NULL, &t, &e), 0);
	assert_int_equal(templates_lint(&t, NULL, NULL), 0);
	cJSON *schema = archive_schema();
	assert_int_equal(tmpl_lint(t.index, schema, NULL, NULL, NULL), 0);
	cJSON_Delete(schema);
	templates_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lead_is_the_newest_readable_then_the_days),
		cmocka_unit_test(lead_tag_marks_the_lead),
		cmocka_unit_test(headings_only_on_days_with_two_sections_and_badges_elsewhere),
		cmocka_unit_test(free_tier_gets_teasers_in_a_locked_block_with_upgrade_links),
		cmocka_unit_test(teaser_links_to_the_article_when_upgrade_url_cannot_carry_it),
		cmocka_unit_test(counts_come_with_one_flags_and_limit_sets_more),
		cmocka_unit_test(preheader_is_the_next_headlines_or_the_editors_line),
		cmocka_unit_test(subject_is_cut_on_a_word_to_subject_max),
		cmocka_unit_test(html_keeps_to_the_budget_and_keeps_the_footer),
		cmocka_unit_test(data_holds_only_schema_keys),
		cmocka_unit_test(readme_documents_every_variable),
		cmocka_unit_test(built_in_templates_pass_the_strict_check),
	};
	return cmocka_run_group_tests_name("render", tests, NULL, NULL);
}
