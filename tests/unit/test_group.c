/* test_group.c — choosing an edition's articles and grouping them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "datetime.h"
#include "group.h"
#include "select.h"
#include "xalloc.h"

static struct tier_conf tiers[] = { { "free", "News", NULL }, { "pro", "NK PRO", NULL } };

static struct config cfg = {
	.tiers = tiers, .ntiers = 2, .max_articles = 60, .max_age = 0,
};

static void add(struct article_list *l, const char *id, const char *when, const char *tier)
{
	struct article a = {0};
	int off;
	assert_int_equal(rfc3339_parse(when, false, &a.published, &off), 0);
	a.offset_min = off;
	a.id = xstrdup(id);
	a.key = xasprintf("s\t%s", id);
	a.url = xasprintf("https://x.org/%s", id);
	a.title = xstrdup(id);
	a.summary = xstrdup("");
	a.tier = xstrdup(tier);
	a.source = xstrdup("s");
	article_list_push(l, &a);
}

static void sample(struct article_list *l)
{
	memset(l, 0, sizeof *l);
	/* Deliberately out of order. */
	add(l, "d19a", "2022-05-19T09:30:00+09:00", "free");
	add(l, "d21", "2022-05-21T10:12:00+09:00", "free");
	add(l, "d20pro", "2022-05-20T18:40:00+09:00", "pro");
	add(l, "d20a", "2022-05-20T16:05:00+09:00", "free");
	add(l, "d20pro2", "2022-05-20T14:30:00+09:00", "pro");
	add(l, "d19b", "2022-05-19T19:45:00+09:00", "free");
	/* 23:30 UTC on the 17th is the 18th in Seoul. */
	add(l, "d18", "2022-05-17T23:30:00Z", "free");
}

static bool seen_d21(void *ud, const char *key)
{
	(void)ud;
	return !strcmp(key, "s\td21");
}

static void select_takes_unseen_newest_first(void **state)
{
	(void)state;
	struct article_list all, out = {0};
	sample(&all);
	select_new(&all, &cfg, 0, seen_d21, NULL, &out);
	assert_int_equal(out.n, 6);
	const char *want[] = { "d20pro", "d20a", "d20pro2", "d19b", "d19a", "d18" };
	for (size_t i = 0; i < out.n; i++)
		assert_string_equal(out.v[i].id, want[i]);
	assert_int_equal(all.n, 1);   /* the seen one stays behind */
	article_list_free(&all);
	article_list_free(&out);
}

static void select_caps_and_ages(void **state)
{
	(void)state;
	struct article_list all, out = {0};
	struct config c = cfg;
	time_t now;
	int off;
	rfc3339_parse("2022-05-21T12:00:00+09:00", false, &now, &off);
	c.max_age = 36 * 3600;   /* back to 2022-05-20T00:00+09:00 */
	sample(&all);
	select_new(&all, &c, now, NULL, NULL, &out);
	assert_int_equal(out.n, 4);
	assert_string_equal(out.v[3].id, "d20pro2");
	article_list_free(&all);
	article_list_free(&out);

	c.max_age = 0;
	c.max_articles = 2;
	sample(&all);
	select_new(&all, &c, now, NULL, NULL, &out);
	assert_int_equal(out.n, 2);
	assert_string_equal(out.v[0].id, "d21");
	assert_string_equal(out.v[1].id, "d20pro");
	article_list_free(&all);
	article_list_free(&out);
}

static void select_drops_repeats(void **state)
{
	(void)state;
	struct article_list all = {0}, out = {0};
	add(&all, "a", "2022-05-21T10:00:00Z", "free");
	add(&all, "a", "2022-05-21T10:00:00Z", "free");   /* same key */
	add(&all, "b", "2022-05-21T09:00:00Z", "free");
	free(all.v[2].url);
	all.v[2].url = xstrdup("https://x.org/a");   /* same link, other id */
	select_new(&all, &cfg, 0, NULL, NULL, &out);
	assert_int_equal(out.n, 1);
	article_list_free(&all);
	article_list_free(&out);
}

static void groups_by_local_day_then_tier(void **state)
{
	(void)state;
	struct article_list all, out = {0};
	struct grouping g;
	dt_set_zone("Asia/Seoul");
	sample(&all);
	select_new(&all, &cfg, 0, NULL, NULL, &out);
	group_articles(&out, &cfg, &g);
	assert_int_equal(g.ndays, 4);
	assert_string_equal(g.days[0].key, "2022-05-21");
	assert_string_equal(g.days[1].key, "2022-05-20");
	assert_string_equal(g.days[2].key, "2022-05-19");
	assert_string_equal(g.days[3].key, "2022-05-18");
	/* 20 May: News first, then NK PRO, each newest first. */
	const struct group_day *d = &g.days[1];
	assert_int_equal(d->nsections, 2);
	assert_int_equal(d->sections[0].tier, 0);
	assert_int_equal(d->sections[0].n, 1);
	assert_string_equal(d->sections[0].v[0]->id, "d20a");
	assert_int_equal(d->sections[1].tier, 1);
	assert_string_equal(d->sections[1].v[0]->id, "d20pro");
	assert_string_equal(d->sections[1].v[1]->id, "d20pro2");
	assert_int_equal(g.days[2].nsections, 1);
	assert_string_equal(g.days[2].sections[0].v[0]->id, "d19b");
	group_free(&g);

	/* In UTC the 18th's article moves to the 17th. */
	dt_set_zone("UTC");
	group_articles(&out, &cfg, &g);
	assert_string_equal(g.days[g.ndays - 1].key, "2022-05-17");
	group_free(&g);
	article_list_free(&all);
	article_list_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(select_takes_unseen_newest_first),
		cmocka_unit_test(select_caps_and_ages),
		cmocka_unit_test(select_drops_repeats),
		cmocka_unit_test(groups_by_local_day_then_tier),
	};
	return cmocka_run_group_tests_name("group", tests, NULL, NULL);
}
