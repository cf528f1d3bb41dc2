/* feed.c — parsing a feed document: JSON, format detection, item checks. */
#include "feed.h"
#include "datetime.h"
#include "feed_formats.h"
#include "feed_json.h"
#include "html_text.h"
#include "log.h"
#include "utf8.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Reasons kept for the error when no item is usable; the rest are counted. */
#define FEED_MAX_REASONS 8

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

char *feed_json_id(const cJSON *j)
{
	if (cJSON_IsNumber(j))
		return xasprintf("%.0f", j->valuedouble);
	if (!cJSON_IsString(j) || !j->valuestring)
		return NULL;
	/* Ids end up in keys, logs and terminals: valid UTF-8 on one line.
	 * An id that already is stays byte for byte the same, so that the
	 * keys of earlier editions still match. */
	char *id = utf8_clean(j->valuestring, strlen(j->valuestring));
	for (char *p = id; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	return id;
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

/* ---- tier rules ---- */

/* The value at JSON pointer ptr (RFC 6901, checked by the config) in j,
 * or NULL. */
static const cJSON *json_at(const cJSON *j, const char *ptr)
{
	while (j && *ptr == '/') {
		const char *end = strchr(ptr + 1, '/');
		size_t n = end ? (size_t)(end - ptr - 1) : strlen(ptr + 1);
		char *seg = xmalloc(n + 1), *w = seg;
		for (const char *p = ptr + 1; p < ptr + 1 + n; p++) {
			if (*p == '~' && (p[1] == '0' || p[1] == '1'))
				*w++ = *++p == '0' ? '~' : '/';
			else
				*w++ = *p;
		}
		*w = '\0';
		if (cJSON_IsObject(j)) {
			j = cJSON_GetObjectItemCaseSensitive(j, seg);
		} else if (cJSON_IsArray(j)) {
			/* An index: digits, no leading zero (RFC 6901 §4). */
			bool digits = *seg && (seg[0] != '0' || !seg[1]);
			for (const char *p = seg; *p && digits; p++)
				digits = isdigit((unsigned char)*p);
			j = digits && strlen(seg) < 9 ? cJSON_GetArrayItem(j, atoi(seg)) : NULL;
		} else {
			j = NULL;
		}
		free(seg);
		ptr += n + 1;
	}
	return j;
}

/* Whether j equals the configured text want; in an array, any element. */
static bool json_equals(const cJSON *j, const char *want, bool in_array)
{
	if (cJSON_IsString(j))
		return !strcmp(j->valuestring, want);
	if (cJSON_IsNumber(j)) {
		char *end;
		double v = strtod(want, &end);
		return *want && !*end && v == j->valuedouble;
	}
	if (cJSON_IsBool(j))
		return !strcmp(want, cJSON_IsTrue(j) ? "true" : "false");
	if (cJSON_IsNull(j))
		return !strcmp(want, "null");
	if (cJSON_IsArray(j) && !in_array) {
		const cJSON *it;
		cJSON_ArrayForEach(it, j)
			if (json_equals(it, want, true))
				return true;
	}
	return false;
}

static bool has_tag(const struct article *a, const char *name)
{
	for (size_t t = 0; t < a->ntags; t++)
		if (!strcasecmp(a->tags[t], name))
			return true;
	return false;
}

static bool rule_matches(const struct tier_rule *r, const struct article *a,
                         const cJSON *item, enum feed_format f)
{
	switch (r->kind) {
	case RULE_TAG:
		return has_tag(a, r->value);
	case RULE_URL:
		return strstr(a->url, r->value) != NULL;
	case RULE_CATEGORY:
		return f == FEED_WORDPRESS ? feed_wordpress_in_category(item, r->value)
		                           : has_tag(a, r->value);
	case RULE_CATEGORY_ID:
		return f == FEED_WORDPRESS && feed_wordpress_has_category_id(item, r->id);
	case RULE_FIELD:
		return json_equals(json_at(item, r->value), r->match, false);
	}
	return false;
}

/* Sets a->tier from the source's rules (first match) or its default tier. */
static void assign_tier(struct article *a, const struct feed_ctx *ctx, const cJSON *item)
{
	const struct source_conf *src = ctx->src;
	const char *tier = src->tier;
	for (size_t r = 0; r < src->nrules; r++)
		if (rule_matches(&src->rules[r], a, item, ctx->format)) {
			tier = src->rules[r].tier;
			break;
		}
	free(a->tier);
	a->tier = xstrdup(tier);
}

/* ---- items ---- */

/* Readers accept links with space around them, an upper-case scheme or
 * host ("HTTPS://Example.org/a") and non-ASCII paths ("/wiki/북한"): so do
 * we, and store them in the usual form, the path percent-encoded (RFC 3987
 * §3.1) so that every link is ASCII. NULL when raw is not an http(s) URL
 * or its host is not valid UTF-8. */
static char *url_normalise(const char *raw)
{
	while (*raw == ' ' || *raw == '\t' || *raw == '\n' || *raw == '\r')
		raw++;
	size_t n = strlen(raw);
	while (n && (raw[n - 1] == ' ' || raw[n - 1] == '\t' || raw[n - 1] == '\n' ||
	             raw[n - 1] == '\r'))
		n--;
	size_t scheme = !strncasecmp(raw, "https://", 8) ? 8
	              : !strncasecmp(raw, "http://", 7) ? 7 : 0;
	if (!scheme || n > FEED_MAX_URL)
		return NULL;
	char *u = xstrndup(raw, n);
	/* The host, after any user@, up to the path, query or fragment. */
	size_t host = scheme, end = scheme;
	while (u[end] && !strchr("/?#", u[end]))
		if (u[end++] == '@')
			host = end;
	for (size_t i = 0; i < end; i++)
		if (i < scheme || i >= host)
			u[i] = (char)tolower((unsigned char)u[i]);
	if (!utf8_valid(u, end)) {
		free(u);
		return NULL;
	}
	size_t wide = 0;
	for (size_t i = end; u[i]; i++)
		wide += (unsigned char)u[i] >= 0x80;
	if (!wide)
		return u;
	struct buf b = {0};
	buf_add(&b, u, end);
	for (size_t i = end; u[i]; i++)
		if ((unsigned char)u[i] >= 0x80)
			buf_printf(&b, "%%%02X", (unsigned char)u[i]);
		else
			buf_addc(&b, u[i]);
	free(u);
	if (b.len > FEED_MAX_URL) {
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* The length of the "scheme:" that opens u, or 0 (RFC 3986 §3.1). */
static size_t scheme_len(const char *u)
{
	if (!isalpha((unsigned char)u[0]))
		return 0;
	size_t i = 1;
	while (isalnum((unsigned char)u[i]) || u[i] == '+' || u[i] == '-' || u[i] == '.')
		i++;
	return u[i] == ':' ? i + 1 : 0;
}

char *feed_url_resolve(const char *base, const char *ref)
{
	while (*ref == ' ' || *ref == '\t' || *ref == '\n' || *ref == '\r')
		ref++;
	size_t bs = base ? scheme_len(base) : 0;
	if (scheme_len(ref) || !bs || strncmp(base + bs, "//", 2) ||
	    (strncasecmp(base, "http:", 5) && strncasecmp(base, "https:", 6)))
		return xstrdup(ref);
	if (!strncmp(ref, "//", 2))
		return xasprintf("%.*s%s", (int)bs, base, ref);
	/* base = scheme "//" authority path [?query] [#fragment] */
	size_t auth_end = bs + 2 + strcspn(base + bs + 2, "/?#");
	size_t path_end = auth_end + strcspn(base + auth_end, "?#");
	if (ref[0] == '/')
		return xasprintf("%.*s%s", (int)auth_end, base, ref);
	if (ref[0] == '#')
		return xasprintf("%.*s%s", (int)(path_end + strcspn(base + path_end, "#")),
		                 base, ref);
	if (ref[0] == '?')
		return xasprintf("%.*s%s", (int)path_end, base, ref);
	size_t dir = path_end;
	while (dir > auth_end && base[dir - 1] != '/')
		dir--;
	return xasprintf("%.*s%s%s", (int)dir, base, dir == auth_end ? "/" : "", ref);
}

static bool url_ok(const char *u)
{
	for (const unsigned char *p = (const unsigned char *)u; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '"' || *p == '<' || *p == '>')
			return false;
	return u[strcspn(u, ":") + 3] != '\0';   /* more than "https://" */
}

void feed_item_skip(struct feed_ctx *ctx, size_t index, const char *id,
                    const char *why, ...)
{
	char reason[300];
	va_list ap;
	va_start(ap, why);
	vsnprintf(reason, sizeof reason, why, ap);
	va_end(ap);
	char item[160];
	snprintf(item, sizeof item, "item %zu%s%.60s%s", index + 1, id ? " (id " : "",
	         id ? id : "", id ? ")" : "");
	log_warn("%s: %s: %s; skipped", ctx->origin, item, reason);
	ctx->skipped++;
	if (ctx->nwhy++ < FEED_MAX_REASONS)
		buf_printf(&ctx->why, "%s%s: %s", ctx->why.len ? "; " : "", item, reason);
}

void feed_item_add(struct feed_ctx *ctx, size_t index, struct article *a,
                   const cJSON *item)
{
	bool wp = ctx->format == FEED_WORDPRESS;
	const char *why = NULL;
	char *url = a->url ? url_normalise(a->url) : NULL;
	if (!a->url)
		why = wp ? "no link (\"link\")" : "no link (url)";
	else if (!url || !url_ok(url))
		why = "link is not a plain http(s) URL";
	free(a->url);
	a->url = url;
	if (!why && (!a->title || !*a->title)) {
		/* Title-less posts (microblogs, status updates) get their
		 * summary's opening as a title. */
		free(a->title);
		a->title = a->summary && *a->summary ? text_truncate(a->summary, 80) : NULL;
		if (!a->title)
			why = wp ? "no title (title.rendered) and no excerpt or content to make "
			           "one from"
			         : "no title and no text to make one from";
	}
	if (!why && a->summary && !strcmp(a->summary, a->title)) {
		/* A dek that only repeats the title says nothing. */
		free(a->summary);
		a->summary = NULL;
	}
	if (why) {
		feed_item_skip(ctx, index, a->id, "%s", why);
		article_free(a);
		return;
	}
	if (!a->id)
		a->id = xstrdup(a->url);
	if (!a->summary)
		a->summary = xstrdup("");
	a->source = xstrdup(ctx->src->name);
	a->key = xasprintf("%s\t%s", ctx->src->name, a->id);
	assign_tier(a, ctx, item);
	article_list_push(ctx->out, a);
}

time_t feed_date(struct feed_ctx *ctx, size_t index, const char *id, const char *field,
                 const char *s, bool assume_utc)
{
	time_t t = 0;
	if (!s || !*s)
		return 0;
	if (rfc3339_parse(s, assume_utc, &t, NULL) == 0 && t != 0)
		return t;
	log_warn("%s: item %zu%s%.60s%s: date '%.40s' is not RFC 3339 (%s); using the "
	         "time it was first seen", ctx->origin, index + 1, id ? " (id " : "",
	         id ? id : "", id ? ")" : "", s, field);
	return 0;
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

/* ---- the document ---- */

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

static bool blank(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* What a document that is markup, not JSON, probably is: an error or
 * login page served with status 200, or an RSS/Atom feed. */
static int not_json_markup(const char *p, size_t len, const char *origin,
                           struct nk_err *e)
{
	char head[513];
	size_t n = len < 512 ? len : 512;
	memcpy(head, p, n);
	head[n] = '\0';
	for (char *q = head; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	if (strstr(head, "<rss") || strstr(head, "<feed") || strstr(head, "<rdf"))
		return nk_fail(e, EX_DATAERR, "%s: an RSS or Atom (XML) feed, not JSON: "
		               "nkdigest reads JSON Feed and WordPress posts (wp-json/wp/v2/posts)",
		               origin);
	return nk_fail(e, EX_DATAERR, "%s: not a feed but an %s page (an error or "
	               "login page, or the wrong URL)", origin,
	               strstr(head, "<html") || strstr(head, "<!doctype html") ? "HTML"
	                                                                     : "HTML or XML");
}

/* The message for a JSON document that is neither format. */
static int neither(const cJSON *root, const char *origin, struct nk_err *e)
{
	const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "code"));
	const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "message"));
	if (code && msg) {
		/* {"code": "rest_forbidden", "message": …}: a WordPress REST error. */
		char *c = feed_text(code, MARKUP_TEXT, 60), *m = feed_text(msg, MARKUP_HTML, 200);
		nk_fail(e, EX_DATAERR, "%s: not a feed but an error from the server: %s: %s",
		        origin, c, m);
		free(c);
		free(m);
		return EX_DATAERR;
	}
	return nk_fail(e, EX_DATAERR, "%s: neither a JSON Feed (no \"version\" and "
	               "\"items\") nor a WordPress posts array", origin);
}

static int parse_json(const char *data, size_t len, const char *origin, cJSON **root,
                      struct nk_err *e)
{
	const char *end = NULL;
	*root = cJSON_ParseWithLengthOpts(data, len, &end, 0);
	if (!*root) {
		int line, col;
		if (!end || end < data || end > data + len)
			end = data + len;
		position(data, end, &line, &col);
		return nk_fail(e, EX_DATAERR, "%s: not valid JSON: parse error at line %d, "
		               "column %d", origin, line, col);
	}
	/* Only white space may follow the document. */
	for (const char *p = end; p < data + len; p++)
		if (!blank(*p)) {
			int line, col;
			position(data, p, &line, &col);
			cJSON_Delete(*root);
			*root = NULL;
			return nk_fail(e, EX_DATAERR, "%s: not valid JSON: unexpected text "
			               "after the document at line %d, column %d",
			               origin, line, col);
		}
	return 0;
}

int feed_parse(const char *data, size_t len, const struct source_conf *src,
               const char *origin, struct article_list *out, struct nk_err *e)
{
	/* A byte order mark is not JSON, but editors and some servers add it. */
	if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
		data += 3;
		len -= 3;
	}
	size_t lead = 0;
	while (lead < len && blank(data[lead]))
		lead++;
	if (lead == len)
		return nk_fail(e, EX_DATAERR, "%s: empty document, not a feed", origin);
	if (data[lead] == '<')
		return not_json_markup(data + lead, len - lead, origin, e);

	struct buf fixed = {0};
	size_t repairs = feed_json_repair(data, len, &fixed);
	if (repairs) {
		log_warn("%s: %zu broken escape%s in JSON strings (such as half an emoji, "
		         "\"\\ud83d\") replaced with U+FFFD", origin, repairs,
		         repairs == 1 ? "" : "s");
		data = fixed.s;
		len = fixed.len;
	}
	cJSON *root;
	int rc = parse_json(data, len, origin, &root, e);
	buf_free(&fixed);
	if (rc)
		return rc;

	enum feed_format f = src->format;
	if (f == FEED_AUTO)
		f = feed_is_jsonfeed(root) ? FEED_JSONFEED
		  : feed_is_wordpress(root) ? FEED_WORDPRESS : FEED_AUTO;
	if (f == FEED_AUTO)
		rc = neither(root, origin, e);
	else if (f == FEED_JSONFEED && !feed_is_jsonfeed(root))
		rc = nk_fail(e, EX_DATAERR, "%s: not a JSON Feed (needs \"version\": "
		             "\"https://jsonfeed.org/version/1.1\" and an \"items\" array)",
		             origin);
	else if (f == FEED_WORDPRESS && !cJSON_IsArray(root))
		rc = nk_fail(e, EX_DATAERR, "%s: not a WordPress posts array", origin);
	if (rc) {
		cJSON_Delete(root);
		return rc;
	}

	size_t before = out->n;
	struct feed_ctx ctx = { .src = src, .origin = origin, .format = f, .out = out };
	if (f == FEED_JSONFEED)
		feed_jsonfeed_items(root, &ctx);
	else
		feed_wordpress_items(root, &ctx);
	cJSON_Delete(root);
	if (ctx.items > 0 && out->n == before)
		rc = nk_fail(e, EX_DATAERR, "%s: none of its %zu items is usable: %s%s", origin,
		             ctx.items, buf_str(&ctx.why),
		             ctx.nwhy > FEED_MAX_REASONS ? "; and more (see the warnings)" : "");
	else
		log_debug("%s: %zu items, %zu usable, %zu skipped", origin, ctx.items,
		          out->n - before, ctx.skipped);
	buf_free(&ctx.why);
	return rc;
}
