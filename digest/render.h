/* render.h — building the digest of one edition for one tier.
 *
 * Rendering happens once per tier variant: the articles a subscriber of
 * that tier sees in full, the higher-tier ones as teasers (or not at all),
 * grouped by date and tier, through the subject, text and HTML templates.
 * What differs per subscriber is left open as slots (see template.h), which
 * personalise fills in. */
#ifndef NK_RENDER_H
#define NK_RENDER_H

#include <stdint.h>
#include <time.h>

#include "article.h"
#include "config.h"
#include "err.h"
#include "group.h"
#include "template.h"

/* The per-recipient values every template may use, in slot order. */
enum render_slot { SLOT_NAME, SLOT_EMAIL, SLOT_UNSUBSCRIBE_URL, SLOT_COUNT };
extern const char *const render_slots[SLOT_COUNT + 1];

struct templates {
	struct tmpl *subject;   /* subject.txt */
	struct tmpl *text;      /* digest.txt */
	struct tmpl *html;      /* digest.html */
};

/* Loads the three templates: each from cfg->templates when that directory
 * has the file, else the built-in one. EX_CONFIG naming file and line on a
 * template error; EX_NOINPUT when a file there cannot be read. */
int templates_load(const struct config *cfg, struct templates *t, struct nk_err *e);
void templates_free(struct templates *t);

struct variant {
	int tier;               /* index into cfg->tiers */
	size_t shown;           /* articles in full */
	size_t teasers;         /* articles as teasers */
	struct skel *subject;
	struct skel *text;      /* already wrapped to cfg->text_width */
	struct skel *html;
};

/* Renders edition id (created at `created`) for tier. articles and g are
 * borrowed. A variant can be empty (shown + teasers == 0) when every
 * article is above the tier and teasers are hidden. */
int render_variant(const struct config *cfg, const struct templates *t,
                   const struct grouping *g, int64_t id, time_t created, int tier,
                   struct variant *out, struct nk_err *e);
void variant_free(struct variant *v);

#endif
