/* subscribers.h — the operator's subscriber list (CSV: email,name,tier).
 *
 * A header row names the columns (any order, extra columns ignored; only
 * "email" is required). Fields may be quoted as in RFC 4180. nkdigest only
 * reads this file; what it learns (unsubscribes, bounces) lives in the
 * state database. */
#ifndef NK_SUBSCRIBERS_H
#define NK_SUBSCRIBERS_H

#include <stddef.h>

#include "err.h"
#include "tier.h"

struct subscriber {
	char *email;   /* valid (address_valid), domain lower-cased */
	char *name;    /* one line of clean UTF-8; may be "" */
	char *tier;    /* a configured tier; an empty cell means the first tier */
};

struct subscriber_list {
	struct subscriber *v;
	size_t n;
	size_t cap;
	size_t skipped;   /* rows reported and left out */
};

/* Reads path. A row with a bad address, an unknown tier or a repeated
 * address is reported (file:line and why) and skipped; the others load.
 * Returns 0; EX_NOINPUT when the file cannot be read; EX_DATAERR when the
 * header has no email column, a quoted field never ends, or the file is
 * not UTF-8 text. */
int subscribers_load(const char *path, const struct tier_list *tiers,
                     struct subscriber_list *out, struct nk_err *e);

/* Parses CSV text as if read from path (for tests). */
int subscribers_parse(const char *path, const char *text, size_t len,
                      const struct tier_list *tiers, struct subscriber_list *out,
                      struct nk_err *e);

void subscribers_free(struct subscriber_list *l);

#endif
