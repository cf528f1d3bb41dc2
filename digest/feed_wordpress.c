/* feed_wordpress.c — the WordPress REST API v2 posts array (wp/v2/posts).
 *
 * Titles and excerpts come as rendered HTML; authors and terms only when the
 * request had ?_embed (then under "_embedded"). */
#include "datetime.h"
#include "feed.h"
#include "feed_formats.h"
#include "log.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

static const cJSON *get(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

static const char *rendered(const cJSON *item, const char *field)
{
	return cJSON_GetStringValue(get(get(item, field), "rendered"));
}

bool feed_is_wordpress(const cJSON *root)
{
	if (!cJSON_IsArray(root))
		return false;
	const cJSON *first = cJSON_GetArrayItem(root, 0);
	if (!first)
		return true;   /* an empty posts list is still a posts list */
	return cJSON_IsObject(first) && cJSON_IsObject(get(first, "title")) &&
	       (get(first, "date_gmt") || get(first, "link"));
}

static void add_terms(struct article *a, const cJSON *embedded)
{
	/* "wp:term" is a list of taxonomies, each a list of terms. */
	const cJSON *tax, *term;
	cJSON_ArrayForEach(tax, get(embedded, "wp:term")) {
		if (!cJSON_IsArray(tax))
			continue;
		cJSON_ArrayForEach(term, tax)
			feed_strv_add(&a->tags, &a->ntags, FEED_MAX_TAGS,
			              feed_text(cJSON_GetStringValue(get(term, "name")),
			                        MARKUP_TEXT, FEED_MAX_AUTHOR));
	}
}

static void parse_date(struct article *a, const cJSON *item, size_t index,
                       struct feed_ctx *ctx)
{
	const char *gmt = cJSON_GetStringValue(get(item, "date_gmt"));
	const char *local = cJSON_GetStringValue(get(item, "date"));
	if (gmt && rfc3339_parse(gmt, true, &a->published, NULL) == 0)
		return;
	if (local && rfc3339_parse(local, true, &a->published, NULL) == 0) {
		log_warn("%s: item %zu: no date_gmt; taking date '%s' as UTC", ctx->origin,
		         index + 1, local);
		return;
	}
	a->published = 0;
}

static void parse_item(const cJSON *item, size_t index, struct feed_ctx *ctx,
                       const cJSON *unused)
{
	(void)unused;
	struct article a = {0};
	if (!cJSON_IsObject(item)) {
		log_warn("%s: item %zu is not an object; skipped", ctx->origin, index + 1);
		ctx->skipped++;
		return;
	}
	const char *status = cJSON_GetStringValue(get(item, "status"));
	if (status && strcmp(status, "publish")) {
		log_warn("%s: item %zu has status '%.20s', not 'publish'; skipped",
		         ctx->origin, index + 1, status);
		ctx->skipped++;
		return;
	}
	a.id = feed_json_string(get(item, "id"));
	const char *link = cJSON_GetStringValue(get(item, "link"));
	a.url = link ? xstrdup(link) : NULL;
	a.title = feed_text(rendered(item, "title"), MARKUP_HTML, FEED_MAX_TITLE);
	const char *excerpt = rendered(item, "excerpt");
	if (excerpt && *excerpt)
		a.summary = feed_text(excerpt, MARKUP_HTML, FEED_MAX_SUMMARY);
	else
		a.summary = feed_text(rendered(item, "content"), MARKUP_HTML, FEED_MAX_EXCERPT);

	const cJSON *embedded = get(item, "_embedded"), *au;
	cJSON_ArrayForEach(au, get(embedded, "author"))
		feed_strv_add(&a.authors, &a.nauthors, FEED_MAX_AUTHORS,
		              feed_text(cJSON_GetStringValue(get(au, "name")), MARKUP_TEXT,
		                        FEED_MAX_AUTHOR));
	add_terms(&a, embedded);
	parse_date(&a, item, index, ctx);
	feed_item_add(ctx, index, &a);
}

void feed_wordpress_items(const cJSON *root, struct feed_ctx *ctx)
{
	feed_each_item(root, ctx, parse_item, NULL);
}
