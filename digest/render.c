/* render.c — one edition, one tier: the template data and the rendering. */
#include "render.h"
#include "buf.h"
#include "datetime.h"
#include "wrap.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const render_slots[SLOT_COUNT + 1] = {
	[SLOT_NAME] = "recipient.name",
	[SLOT_EMAIL] = "recipient.email",
	[SLOT_UNSUBSCRIBE_URL] = "unsubscribe_url",
	[SLOT_COUNT] = NULL,
};

/* Generated from templates/ by scripts/embed-templates. */
struct builtin_template { const char *name; const char *text; };
extern const struct builtin_template builtin_templates[];

#define TEMPLATE_MAX_BYTES (1024 * 1024)

static const char *builtin(const char *name)
{
	for (const struct builtin_template *b = builtin_templates; b->name; b++)
		if (!strcmp(b->name, name))
			return b->text;
	return NULL;
}

/* Reads dir/name when it exists; *text is NULL (and 0 returned) when it
 * does not. */
static int read_override(const char *dir, const char *name, char **text, char **path,
                         struct nk_err *e)
{
	*text = NULL;
	*path = xasprintf("%s/%s", dir, name);
	struct buf b = {0};
	int rc = 0;
	if (buf_read_file(&b, *path, TEMPLATE_MAX_BYTES) != 0) {
		if (errno == EFBIG)
			rc = nk_fail(e, EX_CONFIG, "%s: template larger than %d bytes", *path,
			             TEMPLATE_MAX_BYTES);
		else if (errno != ENOENT)
			rc = nk_fail(e, EX_NOINPUT, "%s: %s", *path, strerror(errno));
	} else if (memchr(buf_str(&b), '\0', b.len)) {
		rc = nk_fail(e, EX_CONFIG, "%s: not a text file", *path);
	} else {
		*text = buf_detach(&b);
	}
	buf_free(&b);
	return rc;
}

static struct tmpl *load_one(const char *dir, const char *name,
                             enum tmpl_escape esc, struct nk_err *e)
{
	char *text = NULL, *path = NULL;
	struct tmpl *t = NULL;
	if (dir && read_override(dir, name, &text, &path, e)) {
		free(path);
		return NULL;
	}
	if (text)
		t = tmpl_compile(path, text, esc, e);
	else
		t = tmpl_compile(name, builtin(name), esc, e);
	free(text);
	free(path);
	return t;
}

int templates_load(const char *dir, struct templates *t, struct nk_err *e)
{
	memset(t, 0, sizeof *t);
	if (!(t->subject = load_one(dir, "subject.txt", TMPL_ESCAPE_NONE, e)) ||
	    !(t->text = load_one(dir, "digest.txt", TMPL_ESCAPE_NONE, e)) ||
	    !(t->html = load_one(dir, "digest.html", TMPL_ESCAPE_HTML, e))) {
		templates_free(t);
		return e->code;
	}
	return 0;
}

void templates_free(struct templates *t)
{
	tmpl_free(t->subject);
	tmpl_free(t->text);
	tmpl_free(t->html);
	memset(t, 0, sizeof *t);
}

/* ---- the data model (documented for template authors in the README) ---- */

static char *underline(const char *s, char c)
{
	int w = text_width(s);
	char *u = xmalloc((size_t)(w > 0 ? w : 0) + 1);
	memset(u, c, (size_t)(w > 0 ? w : 0));
	u[w > 0 ? w : 0] = '\0';
	return u;
}

static void add_owned(cJSON *o, const char *name, char *s)
{
	cJSON_AddStringToObject(o, name, s);
	free(s);
}

static cJSON *article_json(const struct render_settings *rs, const struct article *a,
                           int atier, bool teaser)
{
	cJSON *j = cJSON_CreateObject();
	char when[64];
	cJSON_AddStringToObject(j, "title", a->title);
	cJSON_AddStringToObject(j, "summary", a->summary);
	add_owned(j, "authors", article_authors_text(a));
	dt_format(a->published, "%H:%M %Z", when, sizeof when);
	cJSON_AddStringToObject(j, "time", when);
	dt_format(a->published, "%Y-%m-%dT%H:%M:%S%z", when, sizeof when);
	cJSON_AddStringToObject(j, "datetime", when);
	cJSON_AddStringToObject(j, "url", a->url);
	cJSON_AddBoolToObject(j, "teaser", teaser);
	const struct tier_conf *t = &rs->tiers->v[atier];
	if (atier > 0)
		cJSON_AddStringToObject(j, "badge", t->label);
	if (teaser && t->upgrade_url)
		cJSON_AddStringToObject(j, "upgrade_url", t->upgrade_url);
	return j;
}

static cJSON *build_data(const struct render_settings *rs, const struct grouping *g,
                         int64_t id, time_t created, int tier)
{
	const struct tier_conf *tiers = rs->tiers->v;
	size_t shown = 0, teasers = 0;
	cJSON *root = cJSON_CreateObject();
	cJSON *days = cJSON_CreateArray();
	const char *lead = NULL;
	char text[128];
	for (size_t d = 0; d < g->ndays; d++) {
		const struct group_day *gd = &g->days[d];
		cJSON *sections = cJSON_CreateArray();
		for (size_t s = 0; s < gd->nsections; s++) {
			const struct group_section *gs = &gd->sections[s];
			bool teaser = gs->tier > tier;
			if (teaser && rs->hide_teasers)
				continue;
			cJSON *arts = cJSON_CreateArray();
			for (size_t i = 0; i < gs->n; i++) {
				cJSON_AddItemToArray(arts, article_json(rs, gs->v[i], gs->tier,
				                                        teaser));
				if (!lead)
					lead = gs->v[i]->title;
			}
			if (teaser)
				teasers += gs->n;
			else
				shown += gs->n;
			cJSON *sec = cJSON_CreateObject();
			cJSON_AddStringToObject(sec, "label", tiers[gs->tier].label);
			cJSON_AddStringToObject(sec, "tier", tiers[gs->tier].name);
			add_owned(sec, "underline", underline(tiers[gs->tier].label, '-'));
			cJSON_AddBoolToObject(sec, "teasers", teaser);
			cJSON_AddBoolToObject(sec, "premium", gs->tier > 0);
			cJSON_AddNumberToObject(sec, "count", (double)gs->n);
			cJSON_AddItemToObject(sec, "articles", arts);
			cJSON_AddItemToArray(sections, sec);
		}
		if (cJSON_GetArraySize(sections) == 0) {
			cJSON_Delete(sections);
			continue;
		}
		cJSON *day = cJSON_CreateObject();
		dt_format(gd->first, "%A, %-d %B %Y", text, sizeof text);
		cJSON_AddStringToObject(day, "date", text);
		add_owned(day, "underline", underline(text, '='));
		cJSON_AddStringToObject(day, "iso", gd->key);
		cJSON_AddItemToObject(day, "sections", sections);
		cJSON_AddItemToArray(days, day);
	}

	cJSON_AddStringToObject(root, "title", rs->title);
	cJSON_AddNumberToObject(root, "edition", (double)id);
	dt_format(created, "%A, %-d %B %Y", text, sizeof text);
	cJSON_AddStringToObject(root, "date", text);
	dt_format(created, "%-d %b %Y", text, sizeof text);
	cJSON_AddStringToObject(root, "date_short", text);
	cJSON *t = cJSON_AddObjectToObject(root, "tier");
	cJSON_AddStringToObject(t, "name", tiers[tier].name);
	cJSON_AddStringToObject(t, "label", tiers[tier].label);
	cJSON_AddNumberToObject(root, "count", (double)(shown + teasers));
	cJSON_AddNumberToObject(root, "shown", (double)shown);
	cJSON_AddNumberToObject(root, "teasers", (double)teasers);
	cJSON_AddStringToObject(root, "lead", lead ? lead : "");
	/* The next tier up, for an upgrade line in the footer. */
	if ((size_t)tier + 1 < rs->tiers->n && tiers[tier + 1].upgrade_url) {
		cJSON *up = cJSON_AddObjectToObject(root, "upgrade");
		cJSON_AddStringToObject(up, "label", tiers[tier + 1].label);
		cJSON_AddStringToObject(up, "url", tiers[tier + 1].upgrade_url);
	}
	cJSON_AddItemToObject(root, "days", days);
	return root;
}

static void wrap_cb(const char *line, size_t len, struct buf *out, void *ud)
{
	wrap_line(line, len, *(const int *)ud, WRAP_NORMAL, out);
}

int render_variant(const struct render_settings *rs, const struct templates *t,
                   const struct grouping *g, int64_t id, time_t created, int tier,
                   struct variant *out, struct nk_err *e)
{
	memset(out, 0, sizeof *out);
	cJSON *data = build_data(rs, g, id, created, tier);
	out->subject = tmpl_render(t->subject, data, render_slots, e);
	if (out->subject)
		out->text = tmpl_render(t->text, data, render_slots, e);
	if (out->text)
		out->html = tmpl_render(t->html, data, render_slots, e);
	cJSON_Delete(data);
	if (!out->html) {
		variant_free(out);
		return e->code;
	}
	skel_map_lines(out->text, wrap_cb, (void *)&rs->text_width);
	return 0;
}

void variant_free(struct variant *v)
{
	skel_free(v->subject);
	skel_free(v->text);
	skel_free(v->html);
	memset(v, 0, sizeof *v);
}
