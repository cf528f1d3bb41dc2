/* edition.c — the next or a recorded edition, rendered per tier (see edition.h). */
#include "edition.h"
#include "collect.h"
#include "select.h"
#include "subscribers.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

int edition_next(const struct config *cfg, struct state *st, const char *only_file,
                 time_t now, struct edition *out, struct nk_err *e)
{
	memset(out, 0, sizeof *out);
	out->created = now;
	struct article_list all = {0};
	struct select_rules rules = { cfg->max_age, cfg->max_articles };
	int rc = collect_all(cfg, st, only_file, now, &all, &out->sources, e);
	if (!rc)
		rc = select_new(&all, &rules, now, state_seen, st, &out->articles, e);
	if (!rc)
		rc = state_next_id(st, &out->id, e);
	article_list_free(&all);
	if (rc)
		edition_free(out);
	return rc;
}

int edition_load(struct state *st, int64_t id, struct edition *out, struct nk_err *e)
{
	memset(out, 0, sizeof *out);
	out->id = id;
	int rc = state_edition_articles(st, id, &out->articles, &out->created, e);
	if (rc)
		edition_free(out);
	return rc;
}

int edition_record(struct edition *ed, struct state *st, const struct config *cfg,
                   const struct shard *s, struct record_counts *n, struct nk_err *e)
{
	struct address_set *seen = NULL;
	struct subscriber_reader *rd = NULL;
	const struct subscriber *sub;
	int64_t id = 0;
	bool open = false;
	memset(n, 0, sizeof *n);
	int rc = state_address_set_open(&seen, e);
	if (!rc)
		rc = subscribers_open(cfg->subscribers, &cfg->tiers, seen, &rd, e);
	if (!rc)
		open = !(rc = state_edition_begin(st, &ed->articles, ed->created, &id, e));
	while (!rc && !(rc = subscribers_next(rd, &sub, e)) && sub)
		if (shard_has(s, sub->email) && !(rc = state_edition_add(st, id, sub, e)))
			n->recorded++;
	if (rd) {
		n->valid = subscribers_valid(rd);
		n->skipped = subscribers_skipped(rd);
	}
	if (open && (rc || n->recorded == 0))
		state_edition_abort(st);
	else if (open && !(rc = state_edition_commit(st, e)))
		ed->id = id;
	subscribers_close(rd);
	state_address_set_close(seen);
	return rc;
}

void edition_settings(const struct config *cfg, struct render_settings *rs)
{
	*rs = (struct render_settings){
		.title = cfg->title,
		.tiers = &cfg->tiers,
		.hide_teasers = cfg->teasers == TEASERS_HIDE,
		.text_width = cfg->text_width,
		.lang = cfg->lang,
		.subject_max = cfg->subject_max,
		.preheader = cfg->preheader,
		.lead_tag = cfg->lead_tag,
		.site_url = cfg->site_url,
		.html_budget = cfg->html_budget,
		.organisation = cfg->organisation,
		.postal_address = cfg->postal_address,
		.reason = cfg->reason,
		.preferences = cfg->preferences_url != NULL,
		.archive_url = cfg->archive_url,
	};
}

int edition_render(struct edition *ed, const struct config *cfg,
                   const struct templates *t, struct nk_err *e)
{
	struct render_settings rs;
	edition_settings(cfg, &rs);
	for (size_t i = 0; i < ed->nvariants; i++)
		variant_free(&ed->variants[i]);
	free(ed->variants);
	ed->variants = NULL;
	ed->nvariants = 0;
	group_free(&ed->groups);
	group_articles(&ed->articles, &cfg->tiers, &ed->groups);
	struct variant *v = xcalloc(cfg->tiers.n, sizeof *v);
	int rc = 0;
	for (size_t i = 0; i < cfg->tiers.n && !rc; i++)
		rc = render_variant(&rs, t, &ed->groups, ed->id, ed->created, (int)i, &v[i], e);
	if (rc) {
		for (size_t i = 0; i < cfg->tiers.n; i++)
			variant_free(&v[i]);
		free(v);
		return rc;
	}
	ed->variants = v;
	ed->nvariants = cfg->tiers.n;
	return 0;
}

void edition_free(struct edition *ed)
{
	for (size_t i = 0; i < ed->nvariants; i++)
		variant_free(&ed->variants[i]);
	free(ed->variants);
	group_free(&ed->groups);
	article_list_free(&ed->articles);
	collect_report_free(&ed->sources);
	memset(ed, 0, sizeof *ed);
}
