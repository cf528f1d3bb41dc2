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

void select_new(struct article_list *all, const struct config *cfg, time_t now,
                select_seen_fn seen, void *ud, struct article_list *out)
{
	article_list_sort(all);
	size_t keep = 0;
	for (size_t i = 0; i < all->n; i++) {
		struct article *a = &all->v[i];
		bool take = out->n < (size_t)cfg->max_articles &&
		            (cfg->max_age == 0 || a->published >= now - cfg->max_age) &&
		            !(seen && seen(ud, a->key)) && !already_chosen(out, a);
		if (take)
			article_list_push(out, a);
		else
			all->v[keep++] = *a;
	}
	all->n = keep;
}
