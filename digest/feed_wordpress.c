/* feed_wordpress.c — the WordPress REST API v2 posts array (wp/v2/posts).
 *
 * Titles and excerpts come as rendered HTML; authors and terms only when the
 * request had ?_embed (then under "_embedded"). A request with ?_fields=…
 * strips whatever it does not name, so nothing but the shape of a post can
 * be relied on to recognise one. */
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

static const char *rendered(const cJSON *item, const char *field)
{
	const cJSON *f = get(item, field);
	/* "title": "…" (a plugin's flattened form) as well as {"rendered": "…"}. */
	return cJSON_IsString(f) ? f->valuestring : cJSON_GetStringValue(get(f, "rendered"));
}

bool feed_is_wordpress(const cJSON *root)
{
	if (!cJSON_IsArray(root))
		return false;
	const cJSON *first = cJSON_GetArrayItem(root, 0);
	if (!first)
		return true;   /* an empty posts list is still a posts list */
	/* Every post has an id and a link, slug and type; a list cut down with
	 * ?_fields keeps at least one of those for us to link to. */
	return cJSON_IsObject(first) && get(first, "id") &&
	       (get(first, "link") || get(first, "slug") || get(first, "type"));
}

/* _embedded "wp:term" is a list of taxonomies, each a list of terms. */
static const cJSON *taxonomies(const cJSON *post)
{
	return get(get(post, "_embedded"), "wp:term");
}

bool feed_wordpress_in_category(const cJSON *post, const char *name)
{
	const cJSON *tax, *term;
	cJSON_ArrayForEach(tax, taxonomies(post)) {
		if (!cJSON_IsArray(tax))
			continue;
		cJSON_ArrayForEach(term, tax) {
			const char *t = cJSON_GetStringValue(get(term, "taxonomy"));
			if (!t || strcmp(t, "category"))
				continue;
			char *n = feed_text(cJSON_GetStringValue(get(term, "name")), MARKUP_TEXT,
			                    FEED_MAX_AUTHOR);
			bool hit = n && !strcasecmp(n, name);
			free(n);
			if (hit)
				return true;
		}
	}
	return false;
}

bool feed_wordpress_has_category_id(const cJSON *post, long id)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, get(post, "categories"))
		if (cJSON_IsNumber(c) && c->valuedouble == (double)id)
			return true;
	return false;
}

/* Every term (categories, tags, custom taxonomies) becomes a tag. */
static void add_terms(struct article *a, const cJSON *post)
{
	const cJSON *tax, *term;
	cJSON_ArrayForEach(tax, taxonomies(post)) {
		if (!cJSON_IsArray(tax))
			continue;
		cJSON_ArrayForEach(term, tax)
			feed_strv_add(&a->tags, &a->ntags, FEED_MAX_TAGS,
			              feed_text(cJSON_GetStringValue(get(term, "name")),
			                        MARKUP_TEXT, FEED_MAX_AUTHOR));
	}
}

static time_t parse_date(const cJSON *item, size_t index, const char *id,
                         struct feed_ctx *ctx)
{
	const char *gmt = cJSON_GetStringValue(get(item, "date_gmt"));
	const char *local = cJSON_GetStringValue(get(item, "date"));
	time_t t = 0;
	if (gmt && *gmt && (t = feed_date(ctx, index, id, "date_gmt", gmt, true)))
		return t;
	if (local && *local && (t = feed_date(ctx, index, id, "date", local, true))) {
		log_warn("%s: item %zu: no date_gmt; taking date '%.40s' as UTC", ctx->origin,
		         index + 1, local);
		return t;
	}
	return 0;
}

static void parse_item(const cJSON *item, size_t index, struct feed_ctx *ctx,
                       const cJSON *unused)
{
	(void)unused;
	struct article a = {0};
	if (!cJSON_IsObject(item)) {
		feed_item_skip(ctx, index, NULL, "not an object");
		return;
	}
	a.id = feed_json_id(get(item, "id"));
	const char *status = cJSON_GetStringValue(get(item, "status"));
	if (status && strcmp(status, "publish")) {
		feed_item_skip(ctx, index, a.id, "status '%.20s', not 'publish'", status);
		free(a.id);
		return;
	}
	const char *link = cJSON_GetStringValue(get(item, "link"));
	a.url = link ? xstrdup(link) : NULL;
	a.title = feed_text(rendered(item, "title"), MARKUP_HTML, FEED_MAX_TITLE);
	const char *excerpt = rendered(item, "excerpt");
	if (excerpt && *excerpt)
		a.summary = feed_text(excerpt, MARKUP_HTML, FEED_MAX_SUMMARY);
	else
		a.summary = feed_text(rendered(item, "content"), MARKUP_HTML, FEED_MAX_EXCERPT);

	const cJSON *au;
	cJSON_ArrayForEach(au, get(get(item, "_embedded"), "author"))
		feed_strv_add(&a.authors, &a.nauthors, FEED_MAX_AUTHORS,
		              feed_text(cJSON_GetStringValue(get(au, "name")), MARKUP_TEXT,
		                        FEED_MAX_AUTHOR));
	add_terms(&a, item);
	a.published = parse_date(item, index, a.id, ctx);
	feed_item_add(ctx, index, &a, item);
}

void feed_wordpress_items(const cJSON *root, struct feed_ctx *ctx)
{
	feed_each_item(root, ctx, parse_item, NULL);
}
