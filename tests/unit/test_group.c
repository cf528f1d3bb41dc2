/* test_group.c — group.c: an edition's articles by local day, then tier. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "datetime.h"
#include "group.h"
#include "support.h"

static struct tier_conf tier_v[] = { { .name = "free", .label = "News" },
                                     { .name = "pro", .label = "NK PRO" } };
static const struct tier_list tiers = { tier_v, 2 };

static void groups_by_local_day_then_tier(void **state)
{
	(void)state;
	struct article_list l;
	struct grouping g;
	dt_set_zone("Asia/Seoul");
	t_sample_articles(&l);
	article_list_sort(&l);
	group_articles(&l, &tiers, &g);
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
	group_articles(&l, &tiers, &g);
	assert_string_equal(g.days[g.ndays - 1].key, "2022-05-17");
	group_free(&g);
	article_list_free(&l);
}

static void unknown_tier_goes_to_the_first_tier(void **state)
{
	(void)state;
	struct article_list l = {0};
	struct grouping g;
	dt_set_zone("UTC");
	t_add_article(&l, "x", "2022-05-21T10:00:00Z", "gold");
	group_articles(&l, &tiers, &g);
	assert_int_equal(g.ndays, 1);
	assert_int_equal(g.days[0].nsections, 1);
	assert_int_equal(g.days[0].sections[0].tier, 0);
	group_free(&g);
	article_list_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(groups_by_local_day_then_tier),
		cmocka_unit_test(unknown_tier_goes_to_the_first_tier),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
