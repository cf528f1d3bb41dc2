/* render.c — one edition, one tier: the template data and the rendering
 * (see render.h; the data is documented in templates/README.md). */
#include "render.h"
#include "buf.h"
#include "datetime.h"
#include "mime.h"
#include "utf8.h"
#include "wrap.h"
#include "xalloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const render_slots[SLOT_COUNT + 1] = {
	[SLOT_NAME] = "recipient.name",
	[SLOT_EMAIL] = "recipient.email",
	[SLOT_GREETING] = "greeting",
	[SLOT_UNSUBSCRIBE_URL] = "unsubscribe_url",
	[SLOT_PREFERENCES_URL] = "preferences_url",
	[SLOT_COUNT] = NULL,
};

/* Generated from templates/ by scripts/embed-templates. */
struct builtin_template { const char *name; const char *text; };
extern const struct builtin_template builtin_templates[];

#define TEMPLATE_MAX_BYTES (1024 * 1024)
/* Room kept in the HTML budget for each per-recipient value: a name of up
 * to 256 bytes, HTML-escaped and encoded, or an unsubscribe link. */
#define SLOT_RESERVE 512
/* The inbox preview shows about 90–140 characters after the subject. */
#define PREHEADER_MAX 140

/* ---- loading ---- */

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

/* Where partials come from: the same directory, then the built-in ones,
 * with the extension of the template that includes them. */
struct partials {
	const char *dir;
	const char *ext;
};

static int load_partial(const char *name, void *ud, char **text, char **origin,
                        struct nk_err *e)
{
	const struct partials *p = ud;
	char *file = xasprintf("%s.%s", name, p->ext);
	int rc = 0;
	*text = NULL;
	*origin = NULL;
	if (p->dir && (rc = read_override(p->dir, file, text, origin, e))) {
		free(*origin);
		*origin = NULL;
	} else if (!*text && builtin(file)) {
		free(*origin);
		*text = xstrdup(builtin(file));
		*origin = xstrdup(file);
	} else if (!*text) {
		free(*origin);
		*origin = NULL;
		rc = p->dir ? nk_fail(e, EX_CONFIG, "no partial '%s': no %s in %s and none "
		                      "built in", name, file, p->dir)
		            : nk_fail(e, EX_CONFIG, "no partial '%s': no %s built in", name, file);
	}
	free(file);
	return rc;
}

static struct tmpl *load_one(const char *dir, const char *name,
                             enum tmpl_escape esc, struct nk_err *e)
{
	char *text = NULL, *path = NULL;
	struct tmpl *t = NULL;
	struct partials p = { dir, strrchr(name, '.') + 1 };
	if (dir && read_override(dir, name, &text, &path, e)) {
		free(path);
		return NULL;
	}
	if (text)
		t = tmpl_compile_with(path, text, esc, load_partial, &p, e);
	else
		t = tmpl_compile_with(name, builtin(name), esc, load_partial, &p, e);
	free(text);
	free(path);
	return t;
}

int templates_load(const char *dir, struct templates *t, struct nk_err *e)
{
	memset(t, 0, sizeof *t);
	if (!(t->subject = load_one(dir, "subject.txt", TMPL_ESCAPE_NONE, e)) ||
	    !(t->text = load_one(dir, "digest.txt", TMPL_ESCAPE_NONE, e)) ||
	    !(t->html = load_one(dir, "digest.html", TMPL_ESCAPE_HTML, e)) ||
	    !(t->index = load_one(dir, "archive.html", TMPL_ESCAPE_HTML, e))) {
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
	tmpl_free(t->index);
	memset(t, 0, sizeof *t);
}

void render_page_name(int64_t id, char *out, size_t size)
{
	snprintf(out, size, "edition-%lld.html", (long long)id);
}

/* ---- links ---- */

/* The tier's upgrade link: {{url}} replaced by url (percent-encoded; ""
 * when NULL) and the campaign parameters added to the query, before any
 * fragment. Caller frees. */
static char *upgrade_link(const struct tier_conf *t, const char *url)
{
	struct buf b = {0};
	const char *u = t->upgrade_url, *hole = strstr(u, "{{url}}");
	if (hole) {
		buf_add(&b, u, (size_t)(hole - u));
		if (url)
			buf_add_percent_encoded(&b, url);
		buf_adds(&b, hole + 7);
	} else {
		buf_adds(&b, u);
	}
	if (t->campaign) {
		char *whole = buf_detach(&b);
		size_t base = strcspn(whole, "#");
		buf_add(&b, whole, base);
		buf_addc(&b, memchr(whole, '?', base) ? '&' : '?');
		buf_adds(&b, t->campaign);
		buf_adds(&b, whole + base);
		free(whole);
	}
	return buf_detach(&b);
}

/* ---- the data model (templates/README.md) ---- */

static char *underline(const char *s, char c)
{
	int w = text_width(s);
	size_t n = (size_t)(w > 0 ? w : 0);
	char *u = xmalloc(n + 1);
	memset(u, c, n);
	u[n] = '\0';
	return u;
}

static void add_owned(cJSON *o, const char *name, char *s)
{
	cJSON_AddStringToObject(o, name, s);
	free(s);
}

/* count and, for templates that spell plurals, count_one (exactly one). */
static void add_count(cJSON *o, const char *name, size_t n)
{
	char one[64];
	cJSON_AddNumberToObject(o, name, (double)n);
	snprintf(one, sizeof one, "%s_one", name);
	cJSON_AddBoolToObject(o, one, n == 1);
}

static bool has_tag(const struct article *a, const char *tag)
{
	for (size_t i = 0; tag && i < a->ntags; i++)
		if (!strcasecmp(a->tags[i], tag))
			return true;
	return false;
}

/* What goes where in one tier's digest, before anything is cut. */
struct layout {
	const struct article *lead;
	int lead_tier;
	size_t readable;   /* articles in full, the lead included */
	size_t teasers;
	size_t total;      /* readable + teasers: what the digest shows */
};

/* The lead story: the newest article the tier reads in full, or the newest
 * one carrying lead_tag when there is such an article. */
static void plan(const struct render_settings *rs, const struct grouping *g, int tier,
                 struct layout *l)
{
	memset(l, 0, sizeof *l);
	const struct article *newest = NULL, *marked = NULL;
	int newest_tier = 0, marked_tier = 0;
	for (size_t d = 0; d < g->ndays; d++)
		for (size_t s = 0; s < g->days[d].nsections; s++) {
			const struct group_section *gs = &g->days[d].sections[s];
			if (gs->tier > tier) {
				if (!rs->hide_teasers)
					l->teasers += gs->n;
				continue;
			}
			l->readable += gs->n;
			for (size_t i = 0; i < gs->n; i++) {
				const struct article *a = gs->v[i];
				if (!newest || a->published > newest->published) {
					newest = a;
					newest_tier = gs->tier;
				}
				if (has_tag(a, rs->lead_tag) &&
				    (!marked || a->published > marked->published)) {
					marked = a;
					marked_tier = gs->tier;
				}
			}
		}
	l->lead = marked ? marked : newest;
	l->lead_tier = marked ? marked_tier : newest_tier;
	l->total = l->readable + l->teasers;
}

/* Articles are handed out in display order until the limit is reached. */
struct budget {
	size_t left;
	size_t shown;
};

static bool take(struct budget *b)
{
	if (b->left == 0)
		return false;
	b->left--;
	b->shown++;
	return true;
}

static cJSON *article_json(const struct render_settings *rs, const struct article *a,
                           int atier, bool teaser, bool lead, bool marked)
{
	cJSON *j = cJSON_CreateObject();
	char when[64];
	const struct tier_conf *t = &rs->tiers->v[atier];
	cJSON_AddStringToObject(j, "title", a->title);
	cJSON_AddStringToObject(j, "summary", a->summary ? a->summary : "");
	add_owned(j, "authors", article_authors_text(a));
	dt_format(a->published, "%H:%M %Z", when, sizeof when);
	cJSON_AddStringToObject(j, "time", when);
	dt_format(a->published, "%A, %-d %B %Y", when, sizeof when);
	cJSON_AddStringToObject(j, "date", when);
	dt_format(a->published, "%-d %b", when, sizeof when);
	cJSON_AddStringToObject(j, "date_short", when);
	dt_format(a->published, "%Y-%m-%dT%H:%M:%S%z", when, sizeof when);
	cJSON_AddStringToObject(j, "datetime", when);
	cJSON_AddStringToObject(j, "url", a->url);
	/* A teaser links to the upgrade page when that page can take the
	 * article along; otherwise to the article, whose page sells itself. */
	if (teaser && t->upgrade_url && strstr(t->upgrade_url, "{{url}}"))
		add_owned(j, "link", upgrade_link(t, a->url));
	else
		cJSON_AddStringToObject(j, "link", a->url);
	cJSON_AddBoolToObject(j, "teaser", teaser);
	cJSON_AddBoolToObject(j, "premium", atier > 0);
	cJSON_AddBoolToObject(j, "lead", lead);
	cJSON_AddStringToObject(j, "badge", marked ? t->label : "");
	return j;
}

/* The days, the lead left out; sections keep a heading only where a day
 * has more than one (one free section needs no "News" under each date),
 * and premium articles not under their own heading carry a badge. */
static cJSON *days_json(const struct render_settings *rs, const struct grouping *g,
                        int tier, const struct layout *l, struct budget *b)
{
	const struct tier_conf *tiers = rs->tiers->v;
	cJSON *days = cJSON_CreateArray();
	char text[128];
	for (size_t d = 0; d < g->ndays; d++) {
		const struct group_day *gd = &g->days[d];
		size_t nsec = 0;
		for (size_t s = 0; s < gd->nsections; s++) {
			const struct group_section *gs = &gd->sections[s];
			if (gs->tier <= tier && !(gs->n == 1 && gs->v[0] == l->lead))
				nsec++;
		}
		cJSON *sections = cJSON_CreateArray();
		for (size_t s = 0; s < gd->nsections; s++) {
			const struct group_section *gs = &gd->sections[s];
			if (gs->tier > tier)
				continue;
			cJSON *arts = cJSON_CreateArray();
			for (size_t i = 0; i < gs->n; i++)
				if (gs->v[i] != l->lead && take(b))
					cJSON_AddItemToArray(arts, article_json(rs, gs->v[i], gs->tier,
					                     false, false, gs->tier > 0 && nsec < 2));
			if (cJSON_GetArraySize(arts) == 0) {
				cJSON_Delete(arts);
				continue;
			}
			cJSON *sec = cJSON_CreateObject();
			cJSON_AddStringToObject(sec, "label", tiers[gs->tier].label);
			cJSON_AddStringToObject(sec, "tier", tiers[gs->tier].name);
			add_owned(sec, "underline", underline(tiers[gs->tier].label, '-'));
			cJSON_AddBoolToObject(sec, "heading", nsec > 1);
			cJSON_AddBoolToObject(sec, "premium", gs->tier > 0);
			add_count(sec, "count", (size_t)cJSON_GetArraySize(arts));
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
	return days;
}

/* The upgrade call of tier t: where to, why, and the button's words. */
static void add_upgrade(cJSON *o, const char *url_key, const struct tier_conf *t,
                        const char *site_url)
{
	add_owned(o, url_key, upgrade_link(t, site_url));
	cJSON_AddStringToObject(o, "benefit", t->benefit ? t->benefit : "");
	cJSON_AddStringToObject(o, "button", t->button ? t->button : "");
}

/* One block per higher tier: its teasers, newest day first, then one
 * upgrade call. */
static cJSON *locked_json(const struct render_settings *rs, const struct grouping *g,
                          int tier, struct budget *b)
{
	cJSON *locked = cJSON_CreateArray();
	for (size_t k = (size_t)tier + 1; !rs->hide_teasers && k < rs->tiers->n; k++) {
		const struct tier_conf *tc = &rs->tiers->v[k];
		cJSON *arts = cJSON_CreateArray();
		for (size_t d = 0; d < g->ndays; d++)
			for (size_t s = 0; s < g->days[d].nsections; s++) {
				const struct group_section *gs = &g->days[d].sections[s];
				for (size_t i = 0; gs->tier == (int)k && i < gs->n; i++)
					if (take(b))
						cJSON_AddItemToArray(arts, article_json(rs, gs->v[i],
						                     (int)k, true, false, true));
			}
		if (cJSON_GetArraySize(arts) == 0) {
			cJSON_Delete(arts);
			continue;
		}
		cJSON *blk = cJSON_CreateObject();
		cJSON_AddStringToObject(blk, "label", tc->label);
		cJSON_AddStringToObject(blk, "tier", tc->name);
		add_owned(blk, "underline", underline(tc->label, '='));
		add_count(blk, "count", (size_t)cJSON_GetArraySize(arts));
		cJSON_AddItemToObject(blk, "articles", arts);
		if (tc->upgrade_url)
			add_upgrade(blk, "upgrade_url", tc, rs->site_url);
		else {
			cJSON_AddStringToObject(blk, "upgrade_url", "");
			cJSON_AddStringToObject(blk, "benefit", tc->benefit ? tc->benefit : "");
			cJSON_AddStringToObject(blk, "button", tc->button ? tc->button : "");
		}
		cJSON_AddItemToArray(locked, blk);
	}
	return locked;
}

/* The editor's line, else the headlines after the lead, so that the inbox
 * shows something the subject does not already say. Caller frees. */
static char *preheader(const struct render_settings *rs, const cJSON *root,
                       const char *date)
{
	if (rs->preheader && *rs->preheader)
		return xstrdup(rs->preheader);
	struct buf b = {0};
	const cJSON *day, *sec, *art, *blk;
	cJSON_ArrayForEach(day, cJSON_GetObjectItem(root, "days"))
		cJSON_ArrayForEach(sec, cJSON_GetObjectItem(day, "sections"))
			cJSON_ArrayForEach(art, cJSON_GetObjectItem(sec, "articles")) {
				if (b.len > PREHEADER_MAX)
					break;
				buf_adds(&b, b.len ? " · " : "");
				buf_adds(&b, cJSON_GetObjectItem(art, "title")->valuestring);
			}
	cJSON_ArrayForEach(blk, cJSON_GetObjectItem(root, "locked"))
		cJSON_ArrayForEach(art, cJSON_GetObjectItem(blk, "articles")) {
			if (b.len > PREHEADER_MAX)
				break;
			buf_adds(&b, b.len ? " · " : "");
			buf_adds(&b, cJSON_GetObjectItem(art, "title")->valuestring);
		}
	if (b.len == 0)
		buf_printf(&b, "%s · %s", rs->title, date);
	char *cut = text_truncate(buf_str(&b), PREHEADER_MAX);
	buf_free(&b);
	return cut;
}

cJSON *render_data(const struct render_settings *rs, const struct grouping *g,
                   int64_t id, time_t created, int tier, bool page, size_t limit,
                   size_t *shown)
{
	const struct tier_conf *tiers = rs->tiers->v;
	struct layout l;
	struct budget b = { limit, 0 };
	char text[128], date[128];
	plan(rs, g, tier, &l);

	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "title", rs->title);
	cJSON_AddStringToObject(root, "lang", rs->lang);
	cJSON_AddBoolToObject(root, "keep_all", !strncasecmp(rs->lang, "ko", 2) &&
	                      (rs->lang[2] == '\0' || rs->lang[2] == '-'));
	cJSON_AddNumberToObject(root, "edition", (double)id);
	dt_format(created, "%A, %-d %B %Y", date, sizeof date);
	cJSON_AddStringToObject(root, "date", date);
	dt_format(created, "%-d %b %Y", text, sizeof text);
	cJSON_AddStringToObject(root, "date_short", text);
	dt_format(created, "%Y-%m-%d", text, sizeof text);
	cJSON_AddStringToObject(root, "iso_date", text);
	cJSON *t = cJSON_AddObjectToObject(root, "tier");
	cJSON_AddStringToObject(t, "name", tiers[tier].name);
	cJSON_AddStringToObject(t, "label", tiers[tier].label);
	add_count(root, "count", l.total);
	add_count(root, "readable", l.readable);
	add_count(root, "teasers", l.teasers);
	cJSON_AddNumberToObject(root, "others", (double)(l.total - (l.lead ? 1 : 0)));

	if (l.lead && take(&b))
		cJSON_AddItemToObject(root, "lead", article_json(rs, l.lead, l.lead_tier, false,
		                      true, l.lead_tier > 0));
	cJSON_AddItemToObject(root, "days", days_json(rs, g, tier, &l, &b));
	cJSON_AddItemToObject(root, "locked", locked_json(rs, g, tier, &b));
	add_owned(root, "preheader", preheader(rs, root, date));

	/* The next tier up, for an upgrade line where there are no teasers. */
	if ((size_t)tier + 1 < rs->tiers->n && tiers[tier + 1].upgrade_url) {
		cJSON *up = cJSON_AddObjectToObject(root, "upgrade");
		cJSON_AddStringToObject(up, "label", tiers[tier + 1].label);
		add_upgrade(up, "url", &tiers[tier + 1], rs->site_url);
	}

	char name[64];
	render_page_name(id, name, sizeof name);
	char *online = rs->archive_url ? xasprintf("%s%s", rs->archive_url, name) : NULL;
	if (b.shown < l.total) {
		cJSON *more = cJSON_AddObjectToObject(root, "more");
		add_count(more, "count", l.total - b.shown);
		cJSON_AddStringToObject(more, "url", online ? online : rs->site_url ? rs->site_url
		                                                                    : "");
	}
	cJSON_AddStringToObject(root, "view_online_url", online && !page ? online : "");
	cJSON_AddStringToObject(root, "site_url", rs->site_url ? rs->site_url : "");
	free(online);
	cJSON *f = cJSON_AddObjectToObject(root, "footer");
	cJSON_AddStringToObject(f, "organisation", rs->organisation ? rs->organisation : "");
	cJSON_AddStringToObject(f, "address", rs->postal_address ? rs->postal_address : "");
	cJSON_AddStringToObject(f, "reason", rs->reason ? rs->reason : "");
	cJSON_AddBoolToObject(f, "preferences", rs->preferences);
	if (page)
		cJSON_AddStringToObject(cJSON_AddObjectToObject(root, "archive"), "index_url",
		                        "index.html");
	if (shown)
		*shown = b.shown;
	return root;
}

/* Every key render_data can produce, each list with one element, in the
 * order of templates/README.md. A unit test checks that the data never
 * holds a key missing here and that the README documents each. */
static const char schema_json[] =
	"{\"title\": \"\", \"lang\": \"en\", \"keep_all\": false, \"edition\": 1,"
	" \"date\": \"\", \"date_short\": \"\", \"iso_date\": \"\","
	" \"tier\": {\"name\": \"\", \"label\": \"\"},"
	" \"count\": 1, \"count_one\": true, \"readable\": 1, \"readable_one\": true,"
	" \"teasers\": 1, \"teasers_one\": true, \"others\": 1, \"preheader\": \"\","
	" \"lead\": @ARTICLE@,"
	" \"days\": [{\"date\": \"\", \"iso\": \"\", \"underline\": \"\", \"sections\": ["
	"   {\"label\": \"\", \"tier\": \"\", \"underline\": \"\", \"heading\": true,"
	"    \"premium\": false, \"count\": 1, \"count_one\": true, \"articles\": [@ARTICLE@]}]}],"
	" \"locked\": [{\"label\": \"\", \"tier\": \"\", \"underline\": \"\", \"count\": 1,"
	"   \"count_one\": true, \"articles\": [@ARTICLE@], \"upgrade_url\": \"\","
	"   \"benefit\": \"\", \"button\": \"\"}],"
	" \"upgrade\": {\"label\": \"\", \"url\": \"\", \"benefit\": \"\", \"button\": \"\"},"
	" \"more\": {\"count\": 1, \"count_one\": true, \"url\": \"\"},"
	" \"view_online_url\": \"\", \"site_url\": \"\","
	" \"footer\": {\"organisation\": \"\", \"address\": \"\", \"reason\": \"\","
	"   \"preferences\": true},"
	" \"archive\": {\"index_url\": \"\"}}";
static const char schema_article[] =
	"{\"title\": \"\", \"summary\": \"\", \"authors\": \"\", \"time\": \"\", \"date\": \"\","
	" \"date_short\": \"\", \"datetime\": \"\", \"url\": \"\", \"link\": \"\","
	" \"teaser\": false, \"premium\": false, \"lead\": false, \"badge\": \"\"}";

cJSON *render_schema(void)
{
	struct buf b = {0};
	for (const char *p = schema_json; *p;) {
		if (!strncmp(p, "@ARTICLE@", 9)) {
			buf_adds(&b, schema_article);
			p += 9;
		} else {
			buf_addc(&b, *p++);
		}
	}
	cJSON *s = cJSON_Parse(buf_str(&b));
	buf_free(&b);
	if (!s)
		abort();   /* the text above is not JSON: a bug of ours */
	return s;
}

/* A digest template written before the lead story and the locked blocks
 * existed would lose those articles without a word: a template that lists
 * the days must show the other two as well ("lead": the lead story,
 * "locked": the teasers). */
static int lint_lost(const struct tmpl *t, tmpl_report_fn report, void *ud)
{
	static const char *const places[] = { "lead", "locked", NULL };
	int n = 0;
	if (!tmpl_uses(t, "days"))
		return 0;
	for (size_t i = 0; places[i]; i++)
		if (!tmpl_uses(t, places[i])) {
			n++;
			if (report)
				report(ud, tmpl_name(t), 1, "lists the days but never shows",
				       places[i]);
		}
	return n;
}

int templates_lint(const struct templates *t, tmpl_report_fn report, void *ud)
{
	cJSON *schema = render_schema();
	int n = tmpl_lint(t->subject, schema, render_slots, report, ud) +
	        tmpl_lint(t->text, schema, render_slots, report, ud) +
	        tmpl_lint(t->html, schema, render_slots, report, ud) +
	        lint_lost(t->text, report, ud) + lint_lost(t->html, report, ud);
	cJSON_Delete(schema);
	return n;
}

/* ---- rendering ---- */

static size_t chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* The subject as the inbox shows it: one line, slots empty. Caller frees. */
static char *subject_line(const struct skel *s)
{
	struct buf b = {0};
	skel_fill(s, NULL, &b);
	char *line = text_oneline(buf_str(&b));
	buf_free(&b);
	return line;
}

/* Renders the subject; when it is longer than subject_max characters,
 * shortens the lead's headline (on a word boundary, with "…") until the
 * whole line fits: whatever else the subject template says stays whole. */
static struct skel *render_subject(const struct render_settings *rs, const struct tmpl *t,
                                   cJSON *data, struct nk_err *e)
{
	struct skel *s = tmpl_render(t, data, render_slots, e);
	cJSON *lead = cJSON_GetObjectItem(data, "lead");
	const cJSON *title = cJSON_GetObjectItem(lead, "title");
	if (!s || rs->subject_max <= 0 || !cJSON_IsString(title))
		return s;
	char *full = xstrdup(title->valuestring);
	size_t keep = chars(full), prev = SIZE_MAX;
	for (;;) {
		char *line = subject_line(s);
		size_t n = chars(line);
		free(line);
		/* Done when it fits, or when cutting the headline did not make
		 * it shorter (a subject template without the headline). */
		if (n <= (size_t)rs->subject_max || keep <= 1 || n >= prev)
			break;
		prev = n;
		/* At least one character less each round, so it ends. */
		size_t over = n - (size_t)rs->subject_max;
		keep = over < keep ? keep - over : 1;
		char *cut = text_truncate(full, keep);
		cJSON_ReplaceItemInObject(lead, "title", cJSON_CreateString(cut));
		free(cut);
		skel_free(s);
		if (!(s = tmpl_render(t, data, render_slots, e)))
			break;
	}
	/* The body shows the headline whole. */
	cJSON_ReplaceItemInObject(lead, "title", cJSON_CreateString(full));
	free(full);
	return s;
}

/* The HTML part's size as it travels, quoted-printable or base64 (what
 * Gmail's clipping counts), with room for the per-recipient values. */
static size_t html_size(const struct skel *s)
{
	struct buf b = {0};
	skel_fill(s, NULL, &b);
	size_t n = mime_part_size(buf_str(&b), b.len);
	buf_free(&b);
	return n + skel_nslots(s) * SLOT_RESERVE;
}

/* The HTML part within the budget: all articles when they fit, else the
 * most that fit (found by halving), with "N more" and the footer. */
static struct skel *render_html(const struct render_settings *rs, const struct tmpl *t,
                                const struct grouping *g, int64_t id, time_t created,
                                int tier, const cJSON *full, size_t total, size_t *shown,
                                struct nk_err *e)
{
	struct skel *s = tmpl_render(t, full, render_slots, e);
	*shown = total;
	if (!s || rs->html_budget == 0 || html_size(s) <= rs->html_budget)
		return s;
	skel_free(s);
	/* Invariant: lo articles fit (0 fit by definition: the footer is
	 * always kept, budget or not), hi do not. */
	size_t lo = 0, hi = total;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		cJSON *d = render_data(rs, g, id, created, tier, false, mid, NULL);
		s = tmpl_render(t, d, render_slots, e);
		cJSON_Delete(d);
		if (!s)
			return NULL;
		if (html_size(s) <= rs->html_budget)
			lo = mid;
		else
			hi = mid;
		skel_free(s);
	}
	cJSON *d = render_data(rs, g, id, created, tier, false, lo, shown);
	s = tmpl_render(t, d, render_slots, e);
	cJSON_Delete(d);
	return s;
}

int render_variant(const struct render_settings *rs, const struct templates *t,
                   const struct grouping *g, int64_t id, time_t created, int tier,
                   struct variant *out, struct nk_err *e)
{
	memset(out, 0, sizeof *out);
	size_t total;
	cJSON *data = render_data(rs, g, id, created, tier, false, SIZE_MAX, &total);
	out->articles = total;
	out->subject = render_subject(rs, t->subject, data, e);
	if (out->subject)
		out->text = tmpl_render(t->text, data, render_slots, e);
	if (out->text)
		out->html = render_html(rs, t->html, g, id, created, tier, data, total,
		                        &out->html_articles, e);
	bool keep_all = cJSON_IsTrue(cJSON_GetObjectItem(data, "keep_all"));
	cJSON_Delete(data);
	if (!out->html) {
		variant_free(out);
		return e->code;
	}
	skel_wrap(out->text, rs->text_width, keep_all ? WRAP_KEEP_ALL : WRAP_NORMAL);
	return 0;
}

void variant_free(struct variant *v)
{
	skel_free(v->subject);
	skel_free(v->text);
	skel_free(v->html);
	memset(v, 0, sizeof *v);
}

int render_page(const struct render_settings *rs, const struct templates *t,
                const struct grouping *g, int64_t id, time_t created, int tier,
                struct buf *out, struct nk_err *e)
{
	cJSON *data = render_data(rs, g, id, created, tier, true, SIZE_MAX, NULL);
	struct skel *s = tmpl_render(t->html, data, render_slots, e);
	cJSON_Delete(data);
	if (!s)
		return e->code;
	skel_fill(s, NULL, out);   /* nobody's name, address or link */
	skel_free(s);
	return 0;
}
