/* feed_jsonfeed.c — JSON Feed 1.1 and 1.0 (https://jsonfeed.org/version/1.1). */
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

bool feed_is_jsonfeed(const cJSON *root)
{
	const cJSON *v = get(root, "version");
	return cJSON_IsObject(root) && cJSON_IsArray(get(root, "items")) &&
	       cJSON_IsString(v) &&
	       (!strncmp(v->valuestring, "https://jsonfeed.org/version/1", 30) ||
	        !strncmp(v->valuestring, "http://jsonfeed.org/version/1", 29));
}

/* 1.1 has "authors": [{name}], 1.0 had "author": {name}. */
static void add_authors(struct article *a, const cJSON *obj)
{
	const cJSON *list = get(obj, "authors"), *one = get(obj, "author"), *it;
	if (cJSON_IsArray(list)) {
		cJSON_ArrayForEach(it, list)
			feed_strv_add(&a->authors, &a->nauthors, FEED_MAX_AUTHORS,
			              feed_text(cJSON_GetStringValue(get(it, "name")),
			                        MARKUP_TEXT, FEED_MAX_AUTHOR));
	}
	if (a->nauthors == 0 && cJSON_IsObject(one))
		feed_strv_add(&a->authors, &a->nauthors, FEED_MAX_AUTHORS,
		              feed_text(cJSON_GetStringValue(get(one, "name")),
		                        MARKUP_TEXT, FEED_MAX_AUTHOR));
}

static const char *first_string(const cJSON *item, const char *a, const char *b)
{
	const char *s = cJSON_GetStringValue(get(item, a));
	return s && *s ? s : b ? cJSON_GetStringValue(get(item, b)) : NULL;
}

/* feed is the whole document: its authors stand in for an item's. */
static void parse_item(const cJSON *item, size_t index, struct feed_ctx *ctx,
                       const cJSON *feed)
{
	struct article a = {0};
	if (!cJSON_IsObject(item)) {
		log_warn("%s: item %zu is not an object; skipped", ctx->origin, index + 1);
		ctx->skipped++;
		return;
	}
	a.id = feed_json_string(get(item, "id"));
	if (a.id && (!*a.id || strlen(a.id) > FEED_MAX_URL)) {
		free(a.id);
		a.id = NULL;
	}
	const char *url = first_string(item, "url", "external_url");
	if (!url && a.id && (!strncmp(a.id, "https://", 8) || !strncmp(a.id, "http://", 7)))
		url = a.id;
	a.url = url ? xstrdup(url) : NULL;
	a.title = feed_text(cJSON_GetStringValue(get(item, "title")), MARKUP_TEXT,
	                    FEED_MAX_TITLE);

	const char *summary = cJSON_GetStringValue(get(item, "summary"));
	if (summary && *summary)
		a.summary = feed_text(summary, MARKUP_TEXT, FEED_MAX_SUMMARY);
	else if ((summary = first_string(item, "content_text", NULL)))
		a.summary = feed_text(summary, MARKUP_TEXT, FEED_MAX_EXCERPT);
	else
		a.summary = feed_text(cJSON_GetStringValue(get(item, "content_html")),
		                      MARKUP_HTML, FEED_MAX_EXCERPT);

	add_authors(&a, item);
	if (a.nauthors == 0)
		add_authors(&a, feed);

	const cJSON *tags = get(item, "tags"), *it;
	if (cJSON_IsArray(tags))
		cJSON_ArrayForEach(it, tags)
			feed_strv_add(&a.tags, &a.ntags, FEED_MAX_TAGS,
			              feed_text(cJSON_GetStringValue(it), MARKUP_TEXT,
			                        FEED_MAX_AUTHOR));

	const char *date = first_string(item, "date_published", "date_modified");
	if (date && rfc3339_parse(date, false, &a.published, NULL) != 0) {
		log_warn("%s: item %zu: date '%.40s' is not RFC 3339", ctx->origin,
		         index + 1, date);
		a.published = 0;
	}
	feed_item_add(ctx, index, &a);
}

void feed_jsonfeed_items(const cJSON *root, struct feed_ctx *ctx)
{
	feed_each_item(get(root, "items"), ctx, parse_item, root);
}
