/* select.h — which collected articles go into the next edition. */
#ifndef NK_SELECT_H
#define NK_SELECT_H

#include <stdbool.h>
#include <time.h>

#include "article.h"
#include "err.h"

/* The [digest] settings selection uses. */
struct select_rules {
	long max_age;       /* seconds; 0 = any age */
	int max_articles;   /* at least 1 */
};

/* Answers whether an article key was carried by an earlier edition: 0 with
 * *seen set, or an exit code with e filled when it cannot tell. */
typedef int (*select_seen_fn)(void *ud, const char *key, bool *seen, struct nk_err *e);

/* Moves from all into out the articles for a new edition: not carried by
 * an earlier edition (seen; may be NULL), not a repeat of one already
 * chosen (same key or same link), published within rules->max_age of now,
 * newest first, at most rules->max_articles. What is not chosen stays in
 * all. Returns 0, or the code seen returned (out is then emptied). */
int select_new(struct article_list *all, const struct select_rules *rules, time_t now,
               select_seen_fn seen, void *ud, struct article_list *out, struct nk_err *e);

#endif
