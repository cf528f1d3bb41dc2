/* render.h — building the digest of one edition for one tier.
 *
 * Rendering happens once per tier variant: the articles a subscriber of
 * that tier sees in full, the higher-tier ones as teasers (or not at all),
 * grouped by date and tier, through the subject, text and HTML templates.
 * What differs per subscriber is left open as slots (see template.h), which
 * personalise fills in. */
#ifndef NK_RENDER_H
#define NK_RENDER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "err.h"
#include "group.h"
#include "template.h"
#include "tier.h"

/* The per-recipient values every template may use, in slot order. */
enum render_slot { SLOT_NAME, SLOT_EMAIL, SLOT_UNSUBSCRIBE_URL, SLOT_COUNT };
extern const char *const render_slots[SLOT_COUNT + 1];

struct templates {
	struct tmpl *subject;   /* subject.txt */
	struct tmpl *text;      /* digest.txt */
	struct tmpl *html;      /* digest.html */
};

/* Loads the three templates: each from dir (may be NULL) when that
 * directory has the file, else the built-in one. Errors: EX_CONFIG naming
 * file and line on a template error or a file that is too large or not
 * text; EX_NOINPUT when a file there exists but cannot be read. */
int templates_load(const char *dir, struct templates *t, struct nk_err *e);
void templates_free(struct templates *t);

/* The [digest] and [tier] settings rendering uses; all borrowed. */
struct render_settings {
	const char *title;
	const struct tier_list *tiers;
	bool hide_teasers;      /* pro_teasers = hide: higher tiers left out */
	int text_width;         /* the plain-text part is wrapped to this */
};

struct variant {
	struct skel *subject;
	struct skel *text;      /* already wrapped to text_width */
	struct skel *html;
};

/* Renders edition id (created at `created`) for tier (an index into
 * rs->tiers). g is borrowed. A variant can be empty when every article is
 * above the tier and teasers are hidden. Errors: EX_CONFIG when a template
 * uses a per-recipient value as a section (see template.h). */
int render_variant(const struct render_settings *rs, const struct templates *t,
                   const struct grouping *g, int64_t id, time_t created, int tier,
                   struct variant *out, struct nk_err *e);
void variant_free(struct variant *v);

#endif
