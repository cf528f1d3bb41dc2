/* group.h — an edition's articles by local date, then by tier.
 *
 * Dates are calendar days in the configured zone, newest first; inside a day
 * the sections follow the configured tier order and articles stay newest
 * first. Empty sections and days do not appear. */
#ifndef NK_GROUP_H
#define NK_GROUP_H

#include <stddef.h>

#include "article.h"
#include "tier.h"

struct group_section {
	int tier;                   /* index into the tier list */
	const struct article **v;   /* borrowed from the article list */
	size_t n;
};

struct group_day {
	char key[11];               /* "2022-05-21" */
	time_t first;               /* the newest article's time, for formatting */
	struct group_section *sections;
	size_t nsections;
};

struct grouping {
	struct group_day *days;
	size_t ndays;
};

/* Groups l (newest first, as select leaves it; borrowed and must outlive
 * g) in the configured zone (see datetime.h). Articles of tiers not in
 * tiers go to the first tier. */
void group_articles(const struct article_list *l, const struct tier_list *tiers,
                    struct grouping *g);
void group_free(struct grouping *g);

#endif
