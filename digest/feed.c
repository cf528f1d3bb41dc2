/* feed.c — parsing a feed document: JSON, format detection, item checks. */
#include "feed.h"
#include "feed_formats.h"
#include "html_text.h"
#include "log.h"
#include "utf8.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *feed_text(const char *raw, enum feed_markup m, size_t max_chars)
{
	if (!raw)
		return NULL;
	char *clean = utf8_clean(raw, strlen(raw));
	char *text = m == MARKUP_HTML ? html_to_text(clean, strlen(clean))
	                              : html_entities_decode(clean);
	free(clean);
	/* Decoding can produce controls again (&#1;): clean once more. */
	clean = utf8_clean(text, strlen(text));
	free(text);
	char *line = text_oneline(clean);
	free(clean);
	char *cut = text_truncate(line, max_chars);
	free(line);
	return cut;
}

char *feed_json_string(const cJSON *j)
{
	if (cJSON_IsString(j) && j->valuestring)
		return xstrdup(j->valuestring);
	if (cJSON_IsNumber(j))
		return xasprintf("%.0f", j->valuedouble);
	return NULL;
}

void feed_strv_add(char ***v, size_t *n, size_t max, char *s)
{
	if (!s || !*s || *n >= max) {
		free(s);
		return;
	}
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = s;
}

/* Sets a->tier from src's rules (first match) or src's default tier. */
static void assign_tier(struct article *a, const struct source_conf *src)
{
	free(a->tier);
	a->tier = NULL;
	for (size_t r = 0; r < src->nrules && !a->tier; r++) {
		const struct tier_rule *rule = &src->rules[r];
		if (rule->kind == RULE_URL && a->url && strstr(a->url, rule->value))
			a->tier = xstrdup(rule->tier);
		for (size_t t = 0; rule->kind == RULE_TAG && t < a->ntags && !a->tier; t++)
			if (!strcasecmp(a->tags[t], rule->value))
				a->tier = xstrdup(rule->tier);
	}
	if (!a->tier)
		a->tier = xstrdup(src->tier);
}


static bool url_ok(const char *u)
{
	if (strncmp(u, "https://", 8) && strncmp(u, "http://", 7))
		return false;
	if (strlen(u) > FEED_MAX_URL)
		return false;
	for (const unsigned char *p = (const unsigned char *)u; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '"' || *p == '<' || *p == '>')
			return false;
	return true;
}

void feed_item_add(struct feed_ctx *ctx, size_t index, struct article *a)
{
	const char *why = NULL;
	if (!a->url)
		why = "no link (url)";
	else if (!url_ok(a->url))
		why = "link is not a plain http(s) URL";
	else if (!a->published)
		why = "no usable date (date_published/date_modified or date_gmt)";
	if (!why && (!a->title || !*a->title)) {
		/* Title-less posts (microblogs, status updates) get their
		 * summary's opening as a title. */
		free(a->title);
		a->title = a->summary && *a->summary ? text_truncate(a->summary, 80) : NULL;
		if (!a->title)
			why = "no title and no text to make one from";
	}
	if (!why && a->summary && !strcmp(a->summary, a->title)) {
		/* A dek that only repeats the title says nothing. */
		free(a->summary);
		a->summary = NULL;
	}
	if (why) {
		log_warn("%s: item %zu%s%s%s: %s; skipped", ctx->origin, index + 1,
		         a->id ? " (id " : "", a->id ? a->id : "", a->id ? ")" : "", why);
		ctx->skipped++;
		article_free(a);
		return;
	}
	if (!a->id)
		a->id = xstrdup(a->url);
	if (!a->summary)
		a->summary = xstrdup("");
	a->source = xstrdup(ctx->src->name);
	a->key = xasprintf("%s\t%s", ctx->src->name, a->id);
	assign_tier(a, ctx->src);
	article_list_push(ctx->out, a);
}

void feed_each_item(const cJSON *items, struct feed_ctx *ctx, feed_item_fn parse,
                    const cJSON *ud)
{
	const cJSON *item;
	size_t i = 0;
	cJSON_ArrayForEach(item, items) {
		if (i == FEED_MAX_ITEMS) {
			log_warn("%s: more than %d items; the rest are ignored", ctx->origin,
			         FEED_MAX_ITEMS);
			break;
		}
		ctx->items++;
		parse(item, i++, ctx, ud);
	}
}

/* Line and column of a parse error, for the message. */
static void position(const char *data, const char *at, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (const char *p = data; p < at; p++) {
		if (*p == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

int feed_parse(const char *data, size_t len, const struct source_conf *src,
               const char *origin, struct article_list *out, struct nk_err *e)
{
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(data, len, &end, 0);
	if (!root) {
		int line, col;
		if (!end || end < data || end > data + len)
			end = data + len;
		position(data, end, &line, &col);
		return nk_fail(e, EX_DATAERR, "%s: not valid JSON: parse error at line %d, "
		               "column %d", origin, line, col);
	}
	/* Only white space may follow the document. */
	for (const char *p = end; p < data + len; p++)
		if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') {
			int line, col;
			position(data, p, &line, &col);
			cJSON_Delete(root);
			return nk_fail(e, EX_DATAERR, "%s: not valid JSON: unexpected text "
			               "after the document at line %d, column %d",
			               origin, line, col);
		}

	enum feed_format f = src->format;
	if (f == FEED_AUTO)
		f = feed_is_jsonfeed(root) ? FEED_JSONFEED
		  : feed_is_wordpress(root) ? FEED_WORDPRESS : FEED_AUTO;
	int rc = 0;
	if (f == FEED_AUTO)
		rc = nk_fail(e, EX_DATAERR, "%s: neither a JSON Feed (no \"version\" and "
		             "\"items\") nor a WordPress posts array", origin);
	else if (f == FEED_JSONFEED && !feed_is_jsonfeed(root))
		rc = nk_fail(e, EX_DATAERR, "%s: not a JSON Feed (needs \"version\": "
		             "\"https://jsonfeed.org/version/1.1\" and an \"items\" array)",
		             origin);
	else if (f == FEED_WORDPRESS && !feed_is_wordpress(root))
		rc = nk_fail(e, EX_DATAERR, "%s: not a WordPress posts array", origin);
	if (rc) {
		cJSON_Delete(root);
		return rc;
	}

	size_t before = out->n;
	struct feed_ctx ctx = { .src = src, .origin = origin, .out = out };
	if (f == FEED_JSONFEED)
		feed_jsonfeed_items(root, &ctx);
	else
		feed_wordpress_items(root, &ctx);
	cJSON_Delete(root);
	if (ctx.items > 0 && out->n == before)
		return nk_fail(e, EX_DATAERR, "%s: none of its %zu items is usable", origin,
		               ctx.items);
	log_debug("%s: %zu items, %zu usable, %zu skipped", origin, ctx.items,
	          out->n - before, ctx.skipped);
	return 0;
}
