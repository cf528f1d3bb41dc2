/* select.c — choosing the articles of a new edition (see select.h). */
#include "select.h"

#include <string.h>

static bool already_chosen(const struct article_list *out, const struct article *a)
{
	/* Editions hold tens of articles: a linear scan is cheaper than a set. */
	for (size_t i = 0; i < out->n; i++)
		if (!strcmp(out->v[i].key, a->key) || !strcmp(out->v[i].url, a->url))
			return true;
	return false;
}

int select_new(struct article_list *all, const struct select_rules *rules, time_t now,
               select_seen_fn seen, void *ud, struct article_list *out, struct nk_err *e)
{
	article_list_sort(all);
	size_t keep = 0;
	int rc = 0;
	for (size_t i = 0; i < all->n; i++) {
		struct article *a = &all->v[i];
		bool take = !rc && out->n < (size_t)rules->max_articles &&
		            (rules->max_age == 0 || a->published >= now - rules->max_age) &&
		            !already_chosen(out, a);
		bool old = false;
		if (take && seen && (rc = seen(ud, a->key, &old, e)) != 0)
			take = false;
		if (take && !old)
			article_list_push(out, a);
		else
			all->v[keep++] = *a;
	}
	all->n = keep;
	if (rc)
		article_list_free(out);
	return rc;
}
