/* select.h — which collected articles go into the next edition. */
#ifndef NK_SELECT_H
#define NK_SELECT_H

#include <stdbool.h>
#include <time.h>

#include "article.h"
#include "config.h"

/* Answers whether an article key was carried by an earlier edition. */
typedef bool (*select_seen_fn)(void *ud, const char *key);

/* Moves from all into out the articles for a new edition: not carried by
 * an earlier edition (seen), not a repeat of one already chosen (same key
 * or same link), published within cfg->max_age of now (0 = any age),
 * newest first, at most cfg->max_articles. What is not chosen stays in
 * all. */
void select_new(struct article_list *all, const struct config *cfg, time_t now,
                select_seen_fn seen, void *ud, struct article_list *out);

#endif
