/* collect.h — fetching and parsing every configured source. */
#ifndef NK_COLLECT_H
#define NK_COLLECT_H

#include "article.h"
#include "config.h"
#include "err.h"

/* Appends the articles of every source in cfg to out — or, when
 * only_file is not NULL, of that one file (or "-") read as the first
 * source. One failing source fails the whole collection (nothing is
 * half-sent): the error names its URL or path. Errors: those of
 * fetch_source() (EX_UNAVAILABLE, EX_NOINPUT, EX_DATAERR) and of
 * feed_parse() (EX_DATAERR). */
int collect_all(const struct config *cfg, const char *only_file,
                struct article_list *out, struct nk_err *e);

#endif
