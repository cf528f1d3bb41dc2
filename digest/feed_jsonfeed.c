/* feed_jsonfeed.c — JSON Feed 1.1 and 1.0 (https://jsonfeed.org/version/1.1). */
#include "feed.h"
#include "feed_formats.h"
#include "log.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const cJSON *get(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

static bool jsonfeed_version(const char *v)
{
	return v && (!strncmp(v, "https://jsonfeed.org/version/", 29) ||
	             !strncmp(v, "http://jsonfeed.org/version/", 28));
}

bool feed_is_jsonfeed(const cJSON *root)
{
	if (!cJSON_IsObject(root) || !cJSON_IsArray(get(root, "items")))
		return false;
	const cJSON *v = get(root, "version");
	if (v)
		return jsonfeed_version(cJSON_GetStringValue(v));
	/* Hand-written feeds sometimes forget "version"; readers take an
	 * "items" list beside a feed's own title or addresses all the same. */
	return cJSON_IsString(get(root, "title")) || cJSON_IsString(get(root, "feed_url")) ||
	       cJSON_IsString(get(root, "home_page_url"));
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

/* The first of the fields a, b that holds a non-empty string. */
static const char *first_string(const cJSON *item, const char *a, const char *b)
{
	const char *s = cJSON_GetStringValue(get(item, a));
	if (s && *s)
		return s;
	s = b ? cJSON_GetStringValue(get(item, b)) : NULL;
	return s && *s ? s : NULL;
}

/* feed is the whole document: its authors stand in for an item's. */
static void parse_item(const cJSON *item, size_t index, struct feed_ctx *ctx,
                       const cJSON *feed)
{
	struct article a = {0};
	if (!cJSON_IsObject(item)) {
		feed_item_skip(ctx, index, NULL, "not an object");
		return;
	}
	a.id = feed_json_id(get(item, "id"));
	if (a.id && (!*a.id || strlen(a.id) > FEED_MAX_URL)) {
		free(a.id);
		a.id = NULL;
	}
	const char *url = first_string(item, "url", "external_url");
	if (!url && a.id && (!strncasecmp(a.id, "https://", 8) || !strncasecmp(a.id, "http://", 7)))
		url = a.id;
	/* Readers take a relative link as relative to the site (or to the
	 * feed): "/2022/05/story/". */
	const char *base = first_string(feed, "home_page_url", "feed_url");
	a.url = url ? feed_url_resolve(base ? base : ctx->origin, url) : NULL;
	/* The specification says title and summary are plain text, but real
	 * feeds put HTML and entities there: read them as WordPress's. */
	a.title = feed_text(cJSON_GetStringValue(get(item, "title")), MARKUP_HTML,
	                    FEED_MAX_TITLE);
	const char *summary = first_string(item, "summary", NULL);
	if (summary)
		a.summary = feed_text(summary, MARKUP_HTML, FEED_MAX_SUMMARY);
	else if ((summary = first_string(item, "content_text", NULL)))
		a.summary = feed_text(summary, MARKUP_TEXT, FEED_MAX_EXCERPT);
	else
		a.summary = feed_text(first_string(item, "content_html", NULL), MARKUP_HTML,
		                      FEED_MAX_EXCERPT);

	add_authors(&a, item);
	if (a.nauthors == 0)
		add_authors(&a, feed);

	const cJSON *tags = get(item, "tags"), *it;
	if (cJSON_IsArray(tags))
		cJSON_ArrayForEach(it, tags)
			feed_strv_add(&a.tags, &a.ntags, FEED_MAX_TAGS,
			              feed_text(cJSON_GetStringValue(it), MARKUP_TEXT,
			                        FEED_MAX_AUTHOR));

	const char *field = first_string(item, "date_published", NULL) ? "date_published"
	                                                               : "date_modified";
	a.published = feed_date(ctx, index, a.id, field, first_string(item, field, NULL),
	                        false);
	feed_item_add(ctx, index, &a, item);
}

void feed_jsonfeed_items(const cJSON *root, struct feed_ctx *ctx)
{
	if (!get(root, "version"))
		log_warn("%s: no JSON Feed \"version\"; read as JSON Feed 1.1", ctx->origin);
	feed_each_item(get(root, "items"), ctx, parse_item, root);
}
