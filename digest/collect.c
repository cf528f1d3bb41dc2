/* collect.c — fetch + parse for every source (see collect.h). */
#include "collect.h"
#include "buf.h"
#include "feed.h"
#include "fetch.h"
#include "log.h"

#include <string.h>

static int collect_one(const struct source_conf *src, struct article_list *out,
                       struct nk_err *e)
{
	struct buf doc = {0};
	int rc = fetch_source(src, &doc, e);
	if (!rc)
		rc = feed_parse(buf_str(&doc), doc.len, src, src->url, out, e);
	buf_free(&doc);
	return rc;
}

int collect_all(const struct config *cfg, const char *only_file,
                struct article_list *out, struct nk_err *e)
{
	if (only_file) {
		struct source_conf src = cfg->sources[0];
		src.url = (char *)only_file;   /* borrowed for this call only */
		return collect_one(&src, out, e);
	}
	for (size_t i = 0; i < cfg->nsources; i++) {
		size_t before = out->n;
		int rc = collect_one(&cfg->sources[i], out, e);
		if (rc)
			return rc;
		log_debug("source %s: %zu articles", cfg->sources[i].name, out->n - before);
	}
	return 0;
}
