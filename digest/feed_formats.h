/* feed_formats.h — what feed.c shares with the per-format parsers.
 * Internal to feed*.c; the rest of the program uses feed.h. */
#ifndef NK_FEED_FORMATS_H
#define NK_FEED_FORMATS_H

#include <stdbool.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "article.h"
#include "buf.h"
#include "config.h"

struct feed_ctx {
	const struct source_conf *src;
	const char *origin;
	enum feed_format format;   /* the one detected or named */
	struct article_list *out;
	size_t items;      /* seen */
	size_t skipped;
	struct buf why;    /* the first few reasons for skipping, for the error
	                      when no item is usable */
	size_t nwhy;
};

enum feed_markup {
	MARKUP_TEXT,   /* plain text, but entity-encoded text is common: decode */
	MARKUP_HTML,   /* HTML: tags dropped, entities decoded */
};

/* Clean one-line text from untrusted raw: valid UTF-8, no controls, white
 * space collapsed, at most max_chars characters. NULL in, NULL out. Caller
 * frees. */
char *feed_text(const char *raw, enum feed_markup m, size_t max_chars);

/* An item's id from j: a number written out, or a string made valid UTF-8
 * without control characters; NULL for anything else. Caller frees. */
char *feed_json_id(const cJSON *j);

/* Takes a (parsed from item, which the tier rules may look into), fills
 * the missing pieces (key, tier, title from summary), checks it and
 * appends it to ctx->out, or logs why item number index is skipped and
 * frees it. a->published 0 means the item has no usable date (see feed.h). */
void feed_item_add(struct feed_ctx *ctx, size_t index, struct article *a,
                   const cJSON *item);

/* Logs that item number index is skipped and why (why is printf-like),
 * and keeps the reason for the error when no item is usable. id may be
 * NULL. */
void feed_item_skip(struct feed_ctx *ctx, size_t index, const char *id,
                    const char *why, ...) __attribute__((format(printf, 4, 5)));

/* The date string s (from field, for messages) as UTC seconds, or 0 with a
 * warning naming the item (index, id or NULL) when it is not RFC 3339; 0
 * without one when s is NULL or empty. assume_utc: a date without an
 * offset is UTC (WordPress). */
time_t feed_date(struct feed_ctx *ctx, size_t index, const char *id, const char *field,
                 const char *s, bool assume_utc);

/* ref resolved against base (RFC 3986 §5, without removing "." and ".."
 * segments) when ref is relative and base an absolute http(s) URL; else a
 * copy of ref. Caller frees. */
char *feed_url_resolve(const char *base, const char *ref);

/* Appends s (taken over; NULL or "" is dropped) to a string vector unless
 * it already holds max. */
void feed_strv_add(char ***v, size_t *n, size_t max, char *s);

/* Calls parse for each element of items (with its index and ud), stopping
 * with a warning after FEED_MAX_ITEMS. */
typedef void (*feed_item_fn)(const cJSON *item, size_t index, struct feed_ctx *ctx,
                             const cJSON *ud);
void feed_each_item(const cJSON *items, struct feed_ctx *ctx, feed_item_fn parse,
                    const cJSON *ud);

/* Whether root looks like each format; feed_is_wordpress goes by the shape
 * of the posts (an "id" and a "link", "slug" or "type"), so a list whose
 * titles or dates were stripped is still recognised and its items judged
 * one by one. */
bool feed_is_jsonfeed(const cJSON *root);
bool feed_is_wordpress(const cJSON *root);
/* For the tier rules: whether a WordPress post is in the category called
 * name (its _embedded wp:term with taxonomy "category"; case ignored), or
 * lists category number id in "categories". */
bool feed_wordpress_in_category(const cJSON *post, const char *name);
bool feed_wordpress_has_category_id(const cJSON *post, long id);

void feed_jsonfeed_items(const cJSON *root, struct feed_ctx *ctx);
void feed_wordpress_items(const cJSON *root, struct feed_ctx *ctx);

#endif
