/* collect.c — fetch + parse for every source (see collect.h). */
#include "collect.h"
#include "buf.h"
#include "feed.h"
#include "fetch.h"
#include "log.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads src into out. A failure of the state file sets *fatal: it is not
 * the source's fault and must stop the run. */
static int collect_one(const struct source_conf *src, struct state *st, time_t now,
                       struct article_list *out, struct source_report *rep,
                       bool *fatal, struct nk_err *e)
{
	struct feed_cache cache = {0};
	struct fetch_result res = {0};
	struct article_list got = {0};
	int rc = 0;
	*fatal = false;
	memset(rep, 0, sizeof *rep);
	rep->name = src->name;
	rep->url = src->url;

	if (st && (rc = state_feed_cache_get(st, src->url, &cache, e)))
		goto state_failed;
	struct fetch_prior prior = { cache.etag, cache.last_modified, cache.body, cache.len };
	rc = fetch_source(src, &prior, &res, e);
	rep->attempts = res.attempts;
	rep->unchanged = res.unchanged;
	if (!rc)
		rc = feed_parse(buf_str(&res.body), res.body.len, src, src->url, &got, e);
	if (rc) {
		rep->rc = rc;
		rep->error = xstrdup(e->msg);
		goto done;
	}
	/* Only a document that parsed is worth a 304 next time. */
	if (st && res.http && !res.unchanged) {
		struct feed_cache fresh = { res.etag, res.last_modified, res.body.s,
		                            res.body.len };
		if ((rc = state_feed_cache_put(st, src->url, &fresh, now, e)))
			goto state_failed;
	}
	if (st)
		rc = state_first_seen(st, &got, now, e);
	else
		for (size_t i = 0; i < got.n; i++)
			if (got.v[i].published == 0)
				got.v[i].published = now;
	if (rc)
		goto state_failed;
	rep->articles = got.n;
	for (size_t i = 0; i < got.n; i++)
		article_list_push(out, &got.v[i]);
	got.n = 0;
	goto done;
state_failed:
	*fatal = true;
done:
	article_list_free(&got);
	state_feed_cache_free(&cache);
	fetch_result_free(&res);
	return rc;
}

int collect_source(const struct source_conf *src, struct state *st, time_t now,
                   struct article_list *out, struct source_report *rep,
                   struct nk_err *e)
{
	bool fatal;
	return collect_one(src, st, now, out, rep, &fatal, e);
}

int collect_all(const struct config *cfg, struct state *st, const char *only_file,
                time_t now, struct article_list *out, struct collect_report *rep,
                struct nk_err *e)
{
	struct collect_report mine = {0};
	if (!rep)
		rep = &mine;
	memset(rep, 0, sizeof *rep);
	rep->v = xcalloc(cfg->nsources, sizeof *rep->v);

	if (only_file) {
		struct source_conf src = cfg->sources[0];
		src.url = (char *)only_file;   /* borrowed for this call only */
		bool fatal;
		int rc = collect_one(&src, st, now, out, &rep->v[rep->n++], &fatal, e);
		collect_report_free(&mine);
		return rc;
	}
	size_t failed = 0;
	int code = 0, rc = 0;
	for (size_t i = 0; i < cfg->nsources && !rc; i++) {
		const struct source_conf *src = &cfg->sources[i];
		struct source_report *r = &rep->v[rep->n++];
		bool fatal;
		size_t before = out->n;
		rc = collect_one(src, st, now, out, r, &fatal, e);
		if (!rc) {
			log_debug("source %s: %zu articles%s", src->name, out->n - before,
			          r->unchanged ? " (unchanged)" : "");
			continue;
		}
		if (fatal || cfg->nsources == 1)
			break;
		if (src->required) {
			size_t n = strlen(e->msg);
			snprintf(e->msg + n, sizeof e->msg - n, " (source %s is required: "
			         "nothing is sent without it)", src->name);
			break;
		}
		log_warn("source %s skipped: %s; its articles wait for the next edition",
		         src->name, e->msg);
		/* All failed alike: that code; else "unavailable". */
		code = failed++ == 0 || code == rc ? rc : EX_UNAVAILABLE;
		rc = 0;
	}
	if (!rc && failed == cfg->nsources)
		rc = nk_fail(e, code, "none of the %zu sources could be read (see the "
		             "warnings above); nothing is sent", cfg->nsources);
	collect_report_free(&mine);
	return rc;
}

void collect_report_free(struct collect_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		free(rep->v[i].error);
	free(rep->v);
	memset(rep, 0, sizeof *rep);
}
