/* group.c — grouping an edition by local date and tier (see group.h). */
#include "group.h"
#include "datetime.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

static struct group_day *day_for(struct grouping *g, const char *key, time_t t)
{
	for (size_t i = 0; i < g->ndays; i++)
		if (!strcmp(g->days[i].key, key))
			return &g->days[i];
	g->days = xrealloc(g->days, (g->ndays + 1) * sizeof *g->days);
	struct group_day *d = &g->days[g->ndays++];
	memset(d, 0, sizeof *d);
	memcpy(d->key, key, sizeof d->key);
	d->first = t;
	return d;
}

static void add_to_section(struct group_day *d, int tier, const struct article *a)
{
	struct group_section *s = NULL;
	for (size_t i = 0; i < d->nsections && !s; i++)
		if (d->sections[i].tier == tier)
			s = &d->sections[i];
	if (!s) {
		d->sections = xrealloc(d->sections, (d->nsections + 1) * sizeof *d->sections);
		s = &d->sections[d->nsections++];
		memset(s, 0, sizeof *s);
		s->tier = tier;
	}
	s->v = xrealloc(s->v, (s->n + 1) * sizeof *s->v);
	s->v[s->n++] = a;
}

static int cmp_day(const void *pa, const void *pb)
{
	const struct group_day *a = pa, *b = pb;
	return -strcmp(a->key, b->key);   /* ISO dates sort as strings */
}

static int cmp_section(const void *pa, const void *pb)
{
	const struct group_section *a = pa, *b = pb;
	return (a->tier > b->tier) - (a->tier < b->tier);
}

void group_articles(const struct article_list *l, const struct tier_list *tiers,
                    struct grouping *g)
{
	memset(g, 0, sizeof *g);
	for (size_t i = 0; i < l->n; i++) {
		const struct article *a = &l->v[i];
		char key[11];
		dt_day_key(a->published, key);
		struct group_day *d = day_for(g, key, a->published);
		if (a->published > d->first)
			d->first = a->published;
		int tier = tier_index(tiers, a->tier);
		add_to_section(d, tier < 0 ? 0 : tier, a);
	}
	/* Articles arrive newest first, so days and their sections already
	 * hold articles in order; only days and sections need sorting. */
	if (g->ndays > 1)   /* qsort must not see the NULL of an empty edition */
		qsort(g->days, g->ndays, sizeof *g->days, cmp_day);
	for (size_t i = 0; i < g->ndays; i++)
		qsort(g->days[i].sections, g->days[i].nsections,
		      sizeof *g->days[i].sections, cmp_section);
}

void group_free(struct grouping *g)
{
	for (size_t i = 0; i < g->ndays; i++) {
		for (size_t s = 0; s < g->days[i].nsections; s++)
			free(g->days[i].sections[s].v);
		free(g->days[i].sections);
	}
	free(g->days);
	memset(g, 0, sizeof *g);
}
