/* edition.h — one digest: its articles, their grouping, one rendering per tier.
 *
 * Every command that shows or sends a digest goes through here, so that
 * `render` shows exactly what `send` sends: they differ only in where the
 * messages go (standard output, files, a count, the SMTP server). An
 * edition is either the next one, collected and chosen now and not yet
 * recorded (edition_next), or one recorded in the state file, possibly
 * unfinished (edition_load). */
#ifndef NK_EDITION_H
#define NK_EDITION_H

#include <stdint.h>
#include <time.h>

#include "article.h"
#include "collect.h"
#include "config.h"
#include "err.h"
#include "group.h"
#include "render.h"
#include "shard.h"
#include "state.h"

struct edition {
	int64_t id;                    /* in the state file, or the id it would get */
	time_t created;
	struct article_list articles;  /* the frozen choice, newest first */
	struct grouping groups;        /* by day, then tier; borrows articles */
	struct variant *variants;      /* one per configured tier once rendered */
	size_t nvariants;
	struct collect_report sources; /* edition_next: how each source went */
};

/* Collects every source (or only that file, see collect.h) and chooses the
 * next edition's articles: those no earlier edition in st carried (st may
 * be read-only; a writable one also keeps the feed cache and first-seen
 * times up to date). out->articles.n == 0 means nothing new. Errors: those
 * of collect_all() and of the state file (see state.h). */
int edition_next(const struct config *cfg, struct state *st, const char *only_file,
                 time_t now, struct edition *out, struct nk_err *e);

/* Edition id as the state file froze it (see state_edition_articles). */
int edition_load(struct state *st, int64_t id, struct edition *out, struct nk_err *e);

/* What edition_record() read from the subscriber list. */
struct record_counts {
	size_t valid;      /* valid rows in the list */
	size_t skipped;    /* rows reported and skipped */
	size_t recorded;   /* deliveries recorded: the valid rows in the shard */
};

/* Records the next edition in st, in one transaction, with a delivery for
 * every valid subscriber of cfg's list in shard s (pending, or suppressed;
 * see state_edition_begin), reading the list row by row as it goes; sets
 * ed->id to the id it got. When no row is valid, or none is in the shard,
 * nothing is recorded (n says which). Errors: those of subscribers_open()
 * and subscribers_next(), and of the state file (see state.h); nothing is
 * recorded then either. */
int edition_record(struct edition *ed, struct state *st, const struct config *cfg,
                   const struct shard *s, struct record_counts *n, struct nk_err *e);

/* The render settings cfg gives (all borrowed from cfg). */
void edition_settings(const struct config *cfg, struct render_settings *rs);

/* Groups the articles and renders every tier's variant from t. Errors:
 * those of render_variant(). */
int edition_render(struct edition *ed, const struct config *cfg,
                   const struct templates *t, struct nk_err *e);

void edition_free(struct edition *ed);

#endif
