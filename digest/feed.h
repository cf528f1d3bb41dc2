/* feed.h — turning a fetched feed document into articles.
 *
 * Formats: JSON Feed 1.1 and 1.0, and the WordPress REST API v2 posts array
 * (wp/v2/posts, with or without ?_embed), detected automatically unless the
 * source names one. A bad item is skipped with a warning naming the feed and
 * the item; a bad document is an error and yields nothing. */
#ifndef NK_FEED_H
#define NK_FEED_H

#include <stddef.h>

#include "article.h"
#include "config.h"
#include "err.h"

/* Limits on untrusted input; longer text is cut with "…". */
#define FEED_MAX_ITEMS     10000
#define FEED_MAX_TITLE     300    /* characters */
#define FEED_MAX_SUMMARY   600    /* a summary the feed gives */
#define FEED_MAX_EXCERPT   280    /* a summary cut from the full text */
#define FEED_MAX_AUTHOR    120
#define FEED_MAX_AUTHORS   12
#define FEED_MAX_TAGS      50
#define FEED_MAX_URL       2048   /* bytes */

/* Parses data[0..len) fetched from origin (a URL or path, for messages)
 * for source src, appending usable items to out with their tier assigned.
 * Broken string escapes are repaired first (see feed_json.h). An item
 * without a usable date gets published = 0: collect_all gives it the time
 * nkdigest first saw it. Returns 0 (even when items were skipped), or
 * EX_DATAERR when the document is empty, markup (an HTML error page, an
 * RSS feed), not JSON (the message gives line and column), not the
 * expected format, or has items but none usable (the message gives the
 * first reasons). */
int feed_parse(const char *data, size_t len, const struct source_conf *src,
               const char *origin, struct article_list *out, struct nk_err *e);

#endif
