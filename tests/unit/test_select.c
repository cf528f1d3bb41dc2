/* test_select.c — select.c: which collected articles a new edition takes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "datetime.h"
#include "select.h"
#include "support.h"
#include "xalloc.h"

static const struct select_rules any = { .max_age = 0, .max_articles = 60 };

static int seen_d21(void *ud, const char *key, bool *seen, struct nk_err *e)
{
	(void)ud;
	(void)e;
	*seen = !strcmp(key, "s\td21");
	return 0;
}

static void select_takes_unseen_newest_first(void **state)
{
	(void)state;
	struct article_list all, out = {0};
	t_sample_articles(&all);
	assert_int_equal(select_new(&all, &any, 0, seen_d21, NULL, &out, NULL), 0);
	assert_int_equal(out.n, 6);
	const char *want[] = { "d20pro", "d20a", "d20pro2", "d19b", "d19a", "d18" };
	for (size_t i = 0; i < out.n; i++)
		assert_string_equal(out.v[i].id, want[i]);
	assert_int_equal(all.n, 1);   /* the seen one stays behind */
	article_list_free(&all);
	article_list_free(&out);
}

static void select_caps_count_and_age(void **state)
{
	(void)state;
	struct article_list all, out = {0};
	struct select_rules r = any;
	time_t now;
	int off;
	rfc3339_parse("2022-05-21T12:00:00+09:00", false, &now, &off);
	r.max_age = 36 * 3600;   /* back to 2022-05-20T00:00+09:00 */
	t_sample_articles(&all);
	select_new(&all, &r, now, NULL, NULL, &out, NULL);
	assert_int_equal(out.n, 4);
	assert_string_equal(out.v[3].id, "d20pro2");
	article_list_free(&all);
	article_list_free(&out);

	r.max_age = 0;
	r.max_articles = 2;
	t_sample_articles(&all);
	select_new(&all, &r, now, NULL, NULL, &out, NULL);
	assert_int_equal(out.n, 2);
	assert_string_equal(out.v[0].id, "d21");
	assert_string_equal(out.v[1].id, "d20pro");
	article_list_free(&all);
	article_list_free(&out);
}

static void select_drops_repeated_keys_and_links(void **state)
{
	(void)state;
	struct article_list all = {0}, out = {0};
	t_add_article(&all, "a", "2022-05-21T10:00:00Z", "free");
	t_add_article(&all, "a", "2022-05-21T10:00:00Z", "free");   /* same key */
	t_add_article(&all, "b", "2022-05-21T09:00:00Z", "free");
	free(all.v[2].url);
	all.v[2].url = xstrdup("https://x.org/a");   /* same link, other id */
	select_new(&all, &any, 0, NULL, NULL, &out, NULL);
	assert_int_equal(out.n, 1);
	article_list_free(&all);
	article_list_free(&out);
}

static int seen_fails(void *ud, const char *key, bool *seen, struct nk_err *e)
{
	(void)key;
	(*(int *)ud)++;
	*seen = false;
	return nk_fail(e, EX_TEMPFAIL, "state.db: database is locked");
}

/* When the state file cannot say whether an article went out before, the
 * edition must not be guessed: nothing is chosen and the error comes back. */
static void select_stops_when_earlier_editions_cannot_be_read(void **state)
{
	(void)state;
	struct article_list all, out = {0};
	struct nk_err e = {0};
	int calls = 0;
	t_sample_articles(&all);
	assert_int_equal(select_new(&all, &any, 0, seen_fails, &calls, &out, &e), EX_TEMPFAIL);
	assert_string_equal(e.msg, "state.db: database is locked");
	assert_int_equal(out.n, 0);
	assert_int_equal(calls, 1);   /* stops at the first failure */
	assert_int_equal(all.n, 7);   /* nothing lost from the collection */
	article_list_free(&all);
	article_list_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(select_takes_unseen_newest_first),
		cmocka_unit_test(select_caps_count_and_age),
		cmocka_unit_test(select_drops_repeated_keys_and_links),
		cmocka_unit_test(select_stops_when_earlier_editions_cannot_be_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
