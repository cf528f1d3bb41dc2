/* archive.c — the web archive's pages, index and JSON Feed (see archive.h).
 * The pages are digest.html in archive mode (render_page); the index is
 * archive.html over the data built here; the feed is JSON Feed 1.1, built
 * with cJSON (which template.h brings, as for render.c). */
#include "archive.h"
#include "buf.h"
#include "group.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* More than 27 years of daily digests; state_summaries takes a bound. */
#define MAX_EDITIONS 10000

/* Writes b to dir/name through a temporary file and rename(2): a reader
 * (or the web server) sees the old file or the new one, never a part. */
static int write_whole(const char *dir, const char *name, const struct buf *b,
                       struct nk_err *e)
{
	char *path = xasprintf("%s/%s", dir, name);
	char *tmp = xasprintf("%s/.%s.tmp", dir, name);
	FILE *f = fopen(tmp, "wb");
	int rc = 0;
	if (!f || fwrite(b->s ? b->s : "", 1, b->len, f) != b->len || fflush(f) != 0 ||
	    fsync(fileno(f)) != 0) {
		rc = nk_fail(e, EX_CANTCREAT, "%s: %s", tmp, strerror(errno));
		if (f)
			fclose(f);
		unlink(tmp);
	} else if (fclose(f) != 0 || rename(tmp, path) != 0) {
		rc = nk_fail(e, EX_CANTCREAT, "%s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(path);
	free(tmp);
	return rc;
}

/* What the index and the feed say of one edition. */
struct entry {
	int64_t id;
	time_t created;
	char page[64];       /* edition-<id>.html */
	char *headline;      /* the lead's title, or the digest's title and date */
	char *also;          /* the headlines after it */
	size_t count;
	cJSON *data;         /* the page's data, for the feed's text */
};

static void entry_free(struct entry *en)
{
	free(en->headline);
	free(en->also);
	cJSON_Delete(en->data);
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* Renders and writes one edition's page and fills en. */
static int write_page(const struct render_settings *rs, const struct templates *t,
                      const struct edition *ed, int tier, const char *dir,
                      struct entry *en, struct nk_err *e)
{
	struct grouping g = {0};
	struct buf page = {0};
	group_articles(&ed->articles, rs->tiers, &g);
	memset(en, 0, sizeof *en);
	en->id = ed->id;
	en->created = ed->created;
	render_page_name(ed->id, en->page, sizeof en->page);
	en->data = render_data(rs, &g, ed->id, ed->created, tier, true, SIZE_MAX, &en->count);
	const cJSON *lead = cJSON_GetObjectItem(en->data, "lead");
	en->headline = lead ? xstrdup(str(lead, "title"))
	                    : xasprintf("%s, %s", rs->title, str(en->data, "date"));
	/* Without a lead the preheader is the title and date again. */
	en->also = xstrdup(lead && en->count > 1 ? str(en->data, "preheader") : "");
	int rc = render_page(rs, t, &g, ed->id, ed->created, tier, &page, e);
	if (!rc)
		rc = write_whole(dir, en->page, &page, e);
	buf_free(&page);
	group_free(&g);
	return rc;
}

static void rfc3339_utc(time_t t, char *out, size_t n)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static cJSON *index_data(const struct config *cfg, const struct render_settings *rs,
                         const struct entry *v, size_t n)
{
	cJSON *root = cJSON_CreateObject();
	char when[64];
	cJSON_AddStringToObject(root, "title", cfg->title);
	if (cfg->archive_title)
		cJSON_AddStringToObject(root, "archive_title", cfg->archive_title);
	else {
		char *t = xasprintf("%s: archive", cfg->title);
		cJSON_AddStringToObject(root, "archive_title", t);
		free(t);
	}
	cJSON_AddStringToObject(root, "lang", rs->lang);
	cJSON_AddBoolToObject(root, "keep_all", !strncasecmp(rs->lang, "ko", 2) &&
	                      (rs->lang[2] == '\0' || rs->lang[2] == '-'));
	cJSON_AddNumberToObject(root, "count", (double)n);
	cJSON_AddBoolToObject(root, "count_one", n == 1);
	cJSON_AddStringToObject(root, "feed_url", "feed.json");
	cJSON_AddStringToObject(root, "site_url", rs->site_url ? rs->site_url : "");
	cJSON *eds = cJSON_AddArrayToObject(root, "editions");
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "edition", (double)v[i].id);
		cJSON_AddStringToObject(o, "page", v[i].page);
		cJSON_AddStringToObject(o, "date", str(v[i].data, "date"));
		cJSON_AddStringToObject(o, "iso", str(v[i].data, "iso_date"));
		rfc3339_utc(v[i].created, when, sizeof when);
		cJSON_AddStringToObject(o, "datetime", when);
		cJSON_AddStringToObject(o, "headline", v[i].headline);
		cJSON_AddStringToObject(o, "also", v[i].also);
		cJSON_AddNumberToObject(o, "count", (double)v[i].count);
		cJSON_AddBoolToObject(o, "count_one", v[i].count == 1);
		cJSON_AddItemToArray(eds, o);
	}
	cJSON *f = cJSON_AddObjectToObject(root, "footer");
	cJSON_AddStringToObject(f, "organisation", rs->organisation ? rs->organisation : "");
	cJSON_AddStringToObject(f, "address", rs->postal_address ? rs->postal_address : "");
	return root;
}

cJSON *archive_schema(void)
{
	cJSON *s = cJSON_Parse(
		"{\"title\": \"\", \"archive_title\": \"\", \"lang\": \"en\", \"keep_all\": false,"
		" \"count\": 1, \"count_one\": true, \"feed_url\": \"\", \"site_url\": \"\","
		" \"editions\": [{\"edition\": 1, \"page\": \"\", \"date\": \"\", \"iso\": \"\","
		"   \"datetime\": \"\", \"headline\": \"\", \"also\": \"\", \"count\": 1,"
		"   \"count_one\": true}],"
		" \"footer\": {\"organisation\": \"\", \"address\": \"\"}}");
	if (!s)
		abort();   /* the text above is not JSON: a bug of ours */
	return s;
}

/* The articles of one edition's page, as the feed item's text. */
static void add_article_lines(struct buf *b, const cJSON *a)
{
	buf_printf(b, "%s\n%s\n\n", str(a, "title"), str(a, "url"));
}

static char *item_text(const cJSON *data)
{
	struct buf b = {0};
	const cJSON *day, *sec, *art, *blk;
	if (cJSON_GetObjectItem(data, "lead"))
		add_article_lines(&b, cJSON_GetObjectItem(data, "lead"));
	cJSON_ArrayForEach(day, cJSON_GetObjectItem(data, "days"))
		cJSON_ArrayForEach(sec, cJSON_GetObjectItem(day, "sections"))
			cJSON_ArrayForEach(art, cJSON_GetObjectItem(sec, "articles"))
				add_article_lines(&b, art);
	cJSON_ArrayForEach(blk, cJSON_GetObjectItem(data, "locked"))
		cJSON_ArrayForEach(art, cJSON_GetObjectItem(blk, "articles"))
			add_article_lines(&b, art);
	if (b.len >= 2)
		buf_truncate(&b, b.len - 2);   /* no blank line at the end */
	return buf_detach(&b);
}

/* JSON Feed 1.1 (https://jsonfeed.org/version/1.1): one item per edition.
 * Links are absolute when [archive] url says where the pages are. */
static char *feed_json(const struct config *cfg, const cJSON *index, const struct entry *v,
                       size_t n)
{
	cJSON *f = cJSON_CreateObject();
	const char *base = cfg->archive_url ? cfg->archive_url : "";
	char when[64], *s;
	cJSON_AddStringToObject(f, "version", "https://jsonfeed.org/version/1.1");
	cJSON_AddStringToObject(f, "title", str(index, "archive_title"));
	if (cfg->archive_url) {
		s = xasprintf("%sindex.html", base);
		cJSON_AddStringToObject(f, "home_page_url", s);
		free(s);
		s = xasprintf("%sfeed.json", base);
		cJSON_AddStringToObject(f, "feed_url", s);
		free(s);
	}
	cJSON_AddStringToObject(f, "language", cfg->lang);
	cJSON *items = cJSON_AddArrayToObject(f, "items");
	for (size_t i = 0; i < n; i++) {
		cJSON *it = cJSON_CreateObject();
		s = xasprintf("%s%s", base, v[i].page);
		cJSON_AddStringToObject(it, "id", s);
		cJSON_AddStringToObject(it, "url", s);
		free(s);
		cJSON_AddStringToObject(it, "title", v[i].headline);
		if (*v[i].also)
			cJSON_AddStringToObject(it, "summary", v[i].also);
		s = item_text(v[i].data);
		cJSON_AddStringToObject(it, "content_text", s);
		free(s);
		rfc3339_utc(v[i].created, when, sizeof when);
		cJSON_AddStringToObject(it, "date_published", when);
		cJSON_AddItemToArray(items, it);
	}
	s = cJSON_Print(f);
	cJSON_Delete(f);
	if (!s)
		xalloc_die();
	return s;
}

int archive_write(const struct config *cfg, struct state *st, const struct templates *t,
                  const struct edition *next, const char *dir,
                  struct archive_result *res, struct nk_err *e)
{
	struct render_settings rs;
	edition_settings(cfg, &rs);
	rs.preheader = NULL;   /* the index lists each edition's own headlines */
	int tier = tier_index(&cfg->tiers, cfg->archive_tier);
	struct edition_summary *sum = NULL;
	size_t nsum = 0, n = 0;
	struct entry *v = NULL;
	memset(res, 0, sizeof *res);

	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return nk_fail(e, EX_CANTCREAT, "%s: %s", dir, strerror(errno));
	int rc = state_summaries(st, MAX_EDITIONS, &sum, &nsum, e);
	if (!rc)
		v = xcalloc(nsum + 1, sizeof *v);
	if (!rc && next && next->articles.n > 0)
		rc = write_page(&rs, t, next, tier, dir, &v[n++], e);
	for (size_t i = 0; !rc && i < nsum; i++) {
		struct edition ed;
		if ((rc = edition_load(st, sum[i].id, &ed, e)))
			break;
		rc = write_page(&rs, t, &ed, tier, dir, &v[n++], e);
		edition_free(&ed);
	}
	if (!rc && nsum == MAX_EDITIONS)
		log_warn("%s: only the newest %d editions are in the archive", dir, MAX_EDITIONS);

	cJSON *index = rc ? NULL : index_data(cfg, &rs, v, n);
	if (index) {
		struct nk_err le = {0};
		struct skel *s = tmpl_render(t->index, index, NULL, &le);
		struct buf b = {0};
		if (!s) {
			rc = nk_fail(e, le.code, "%s", le.msg);
		} else {
			skel_fill(s, NULL, &b);
			rc = write_whole(dir, "index.html", &b, e);
		}
		skel_free(s);
		buf_free(&b);
	}
	if (!rc) {
		char *json = feed_json(cfg, index, v, n);
		struct buf b = { json, strlen(json), strlen(json) + 1 };
		rc = write_whole(dir, "feed.json", &b, e);
		free(json);
	}
	cJSON_Delete(index);
	res->pages = rc ? 0 : n;
	for (size_t i = 0; i < n; i++)
		entry_free(&v[i]);
	free(v);
	free(sum);
	return rc;
}
