/* render.h — building the digest of one edition for one tier.
 *
 * Rendering happens once per tier variant: the articles a subscriber of
 * that tier sees in full, the higher-tier ones as teasers (or not at all),
 * a lead story, then the rest by date and tier, through the subject, text
 * and HTML templates. What differs per subscriber is left open as slots
 * (see template.h), which personalise fills in. The same data, without
 * anything personal, makes the web archive's page of an edition.
 *
 * The data the templates see is documented, key by key, in
 * templates/README.md; render_schema() is the same list for `check`. */
#ifndef NK_RENDER_H
#define NK_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"
#include "group.h"
#include "template.h"
#include "tier.h"

/* The per-recipient values every template may use, in slot order. */
enum render_slot {
	SLOT_NAME,              /* recipient.name: "Jane Doe" */
	SLOT_EMAIL,             /* recipient.email */
	SLOT_GREETING,          /* greeting: "Hello Jane Doe," or "Hello," */
	SLOT_UNSUBSCRIBE_URL,   /* unsubscribe_url */
	SLOT_PREFERENCES_URL,   /* preferences_url */
	SLOT_COUNT
};
extern const char *const render_slots[SLOT_COUNT + 1];

struct templates {
	struct tmpl *subject;   /* subject.txt */
	struct tmpl *text;      /* digest.txt */
	struct tmpl *html;      /* digest.html: the mail and the archive's pages */
	struct tmpl *index;     /* archive.html: the archive's index page */
};

/* Loads the templates: each from dir (may be NULL) when that directory has
 * the file, else the built-in one; the same for the partials they include
 * ({{> name}} is name.txt in a .txt template, name.html in an .html one).
 * Errors: EX_CONFIG naming file and line on a template error, a missing
 * partial, or a file that is too large or not text; EX_NOINPUT when a file
 * there exists but cannot be read. */
int templates_load(const char *dir, struct templates *t, struct nk_err *e);
void templates_free(struct templates *t);

/* The settings rendering uses, from [digest], [tier], [footer] and
 * [archive]; all borrowed, strings may be NULL unless said otherwise. */
struct render_settings {
	const char *title;            /* not NULL */
	const struct tier_list *tiers;
	bool hide_teasers;            /* pro_teasers = hide: higher tiers left out */
	int text_width;               /* the plain-text part is wrapped to this */
	const char *lang;             /* not NULL: "en", "ko", … */
	int subject_max;              /* characters, "…" included; 0 = no limit */
	const char *preheader;        /* NULL: the headlines after the lead */
	const char *lead_tag;         /* articles with this tag lead the digest */
	const char *site_url;
	size_t html_budget;           /* bytes of the encoded HTML part; 0 = no limit */
	const char *organisation;
	const char *postal_address;
	const char *reason;
	bool preferences;             /* a preferences link (the URL is a slot) */
	const char *archive_url;      /* ends in '/'; view-online links go there */
};

struct variant {
	struct skel *subject;
	struct skel *text;      /* wrapped to text_width, slot lines when filled */
	struct skel *html;      /* within html_budget, the footer always kept */
	size_t html_articles;   /* how many articles the HTML shows */
	size_t articles;        /* how many the variant has (lead and teasers too) */
};

/* Renders edition id (created at `created`) for tier (an index into
 * rs->tiers). g is borrowed. A variant can be empty when every article is
 * above the tier and teasers are hidden. When the HTML part would be
 * larger than rs->html_budget as it travels (transfer-encoded, see
 * mime_part_size, with room for the per-recipient values), it shows as
 * many articles as fit and says how many more there are. Errors:
 * EX_CONFIG when a template uses a per-recipient value as a section (see
 * template.h). */
int render_variant(const struct render_settings *rs, const struct templates *t,
                   const struct grouping *g, int64_t id, time_t created, int tier,
                   struct variant *out, struct nk_err *e);
void variant_free(struct variant *v);

/* The archive's page of edition id for tier: digest.html with `archive`
 * set, every article, and no per-recipient value (each slot prints
 * nothing), appended to out. Errors: as render_variant(). */
int render_page(const struct render_settings *rs, const struct templates *t,
                const struct grouping *g, int64_t id, time_t created, int tier,
                struct buf *out, struct nk_err *e);

/* "edition-42.html": the file name of edition id's page in the archive. */
void render_page_name(int64_t id, char *out, size_t size);

/* The data the templates see for tier, as render_variant builds it with at
 * most limit articles (SIZE_MAX: all) and, with page, as render_page does
 * (for tests and the archive). *shown (may be NULL) is how many articles it
 * holds. Caller frees with cJSON_Delete(). */
cJSON *render_data(const struct render_settings *rs, const struct grouping *g,
                   int64_t id, time_t created, int tier, bool page, size_t limit,
                   size_t *shown);

/* An example of the data with every key subject.txt, digest.txt and
 * digest.html can use, each list holding one element: what `check`
 * compares the templates' names with. Caller frees with cJSON_Delete(). */
cJSON *render_schema(void);

/* Strict mode for those three: reports every name that the data never
 * has (see tmpl_lint). Returns how many there are. */
int templates_lint(const struct templates *t, tmpl_report_fn report, void *ud);

#endif
