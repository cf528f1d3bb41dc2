/* feed_formats.h — what feed.c shares with the per-format parsers.
 * Internal to feed*.c; the rest of the program uses feed.h. */
#ifndef NK_FEED_FORMATS_H
#define NK_FEED_FORMATS_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "article.h"
#include "config.h"

struct feed_ctx {
	const struct source_conf *src;
	const char *origin;
	struct article_list *out;
	size_t items;      /* seen */
	size_t skipped;
};

enum feed_markup {
	MARKUP_TEXT,   /* plain text, but entity-encoded text is common: decode */
	MARKUP_HTML,   /* HTML: tags dropped, entities decoded */
};

/* Clean one-line text from untrusted raw: valid UTF-8, no controls, white
 * space collapsed, at most max_chars characters. NULL in, NULL out. Caller
 * frees. */
char *feed_text(const char *raw, enum feed_markup m, size_t max_chars);

/* The string value of j (numbers are written out, for ids); NULL otherwise.
 * Borrowed or caller-frees as documented at each use: this one returns a
 * new string the caller frees. */
char *feed_json_string(const cJSON *j);

/* Takes a, fills the missing pieces (key, tier, title from summary),
 * checks it and appends it to ctx->out, or logs why item number index is
 * skipped and frees it. */
void feed_item_add(struct feed_ctx *ctx, size_t index, struct article *a);

/* Appends s (taken over; NULL or "" is dropped) to a string vector unless
 * it already holds max. */
void feed_strv_add(char ***v, size_t *n, size_t max, char *s);

/* Calls parse for each element of items (with its index and ud), stopping
 * with a warning after FEED_MAX_ITEMS. */
typedef void (*feed_item_fn)(const cJSON *item, size_t index, struct feed_ctx *ctx,
                             const cJSON *ud);
void feed_each_item(const cJSON *items, struct feed_ctx *ctx, feed_item_fn parse,
                    const cJSON *ud);

bool feed_is_jsonfeed(const cJSON *root);
bool feed_is_wordpress(const cJSON *root);
void feed_jsonfeed_items(const cJSON *root, struct feed_ctx *ctx);
void feed_wordpress_items(const cJSON *root, struct feed_ctx *ctx);

#endif
