/* collect.h — fetching and parsing every configured source.
 *
 * Sources are read one after the other. One that fails (still after its
 * retries) is skipped with a warning: its articles are not lost, they wait
 * for the next edition, since selection only remembers what an edition
 * carried. The run stops only when every source fails, or one marked
 * required = yes does. The state file supplies and keeps what makes
 * repeated runs agree: each HTTP source's last answer (for conditional
 * GET) and when an undated item was first seen. */
#ifndef NK_COLLECT_H
#define NK_COLLECT_H

#include <stdbool.h>
#include <time.h>

#include "article.h"
#include "config.h"
#include "err.h"
#include "state.h"

/* How one source went, for `fetch` and `check` to show. */
struct source_report {
	const char *name;    /* borrowed from the configuration */
	const char *url;
	int rc;              /* 0, or the exit code of its failure */
	char *error;         /* its message when rc != 0 */
	bool unchanged;      /* 304 Not Modified: the stored copy was read */
	int attempts;
	size_t articles;     /* usable items */
};

struct collect_report {
	struct source_report *v;
	size_t n;
};

/* Appends the articles of every source in cfg to out — or, when
 * only_file is not NULL, of that one file (or "-") read as the first
 * source. st (may be NULL: no cache, undated items dated now) is read for
 * cached answers and first-seen times and, unless opened STATE_READ,
 * updated. rep (may be NULL) receives one entry per source tried; free it
 * with collect_report_free(). Errors: a single or required source's own
 * (EX_UNAVAILABLE, EX_NOINPUT, EX_DATAERR, see fetch_source() and
 * feed_parse()); when several sources all fail, their common code or
 * EX_UNAVAILABLE; and those of the state file (see state.h). */
int collect_all(const struct config *cfg, struct state *st, const char *only_file,
                time_t now, struct article_list *out, struct collect_report *rep,
                struct nk_err *e);

/* One source, as collect_all reads it, without the skipping: returns its
 * failure (also kept in *rep). */
int collect_source(const struct source_conf *src, struct state *st, time_t now,
                   struct article_list *out, struct source_report *rep,
                   struct nk_err *e);

void collect_report_free(struct collect_report *rep);

#endif
