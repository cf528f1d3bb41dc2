/* archive.h — the web archive of the editions sent: a static page per
 * edition, an index page and a JSON Feed of the editions.
 *
 * Pages show one tier ([archive] tier, the highest by default) and no
 * per-recipient value at all: no name, no address, no unsubscribe link.
 * They are self-contained (no scripts, no remote styles, fonts or
 * images), every feed value escaped, so the directory can be served as it
 * is; "view online" links in the mail point at the page of their edition. */
#ifndef NK_ARCHIVE_H
#define NK_ARCHIVE_H

#include <stddef.h>

#include "config.h"
#include "edition.h"
#include "err.h"
#include "render.h"
#include "state.h"

struct archive_result {
	size_t pages;       /* edition pages written */
};

/* Writes edition-<id>.html for every edition recorded in st, index.html
 * and feed.json into dir (created if missing, one level), each replaced
 * whole (written aside, then renamed), so a reader never sees half a
 * page. next (may be NULL), an edition not yet recorded, is added as the
 * newest: a preview of the archive after the next send. Errors: those of
 * the state file (state.h) and of rendering (render.h); EX_CANTCREAT when
 * dir or a file in it cannot be written, naming it. */
int archive_write(const struct config *cfg, struct state *st, const struct templates *t,
                  const struct edition *next, const char *dir,
                  struct archive_result *res, struct nk_err *e);

/* An example of the index page's data with every key archive.html can use
 * (see render_schema). Caller frees with cJSON_Delete(). */
cJSON *archive_schema(void);

#endif
