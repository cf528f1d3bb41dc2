/* subscribers.h — the operator's subscriber list (CSV: email,name,tier).
 *
 * A header row names the columns (any order, extra columns ignored; only
 * "email" is required). Fields may be quoted as in RFC 4180. nkdigest only
 * reads this file; what it learns (unsubscribes, bounces) lives in the
 * state database.
 *
 * The list is read row by row, never held whole: a reader yields one valid
 * subscriber at a time, so a list of a million rows takes the memory of
 * one. Repeated addresses are found through an address set (state.h), a
 * temporary database on disk, instead of a table in memory. */
#ifndef NK_SUBSCRIBERS_H
#define NK_SUBSCRIBERS_H

#include <stddef.h>

#include "err.h"
#include "tier.h"

struct address_set;

struct subscriber {
	char *email;   /* valid (address_valid), domain lower-cased */
	char *name;    /* one line of clean UTF-8; may be "" */
	char *tier;    /* a configured tier; an empty cell means the first tier */
	int line;      /* the line of the list its row starts on */
};

struct subscriber_reader;

/* Opens path and reads its header row. seen (borrowed, for this reader
 * alone) remembers the addresses given out, so that a repeat is reported
 * and skipped. An empty file is a list with no rows. Returns 0;
 * EX_NOINPUT when the file cannot be read; EX_DATAERR when the header has
 * no email column, or for the errors of subscribers_next(); the address
 * set's codes (see state.h). */
int subscribers_open(const char *path, const struct tier_list *tiers,
                     struct address_set *seen, struct subscriber_reader **out,
                     struct nk_err *e);

/* The same over CSV text (borrowed until subscribers_close), as if read
 * from path: for tests and the fuzzer. */
int subscribers_open_text(const char *path, const char *text, size_t len,
                          const struct tier_list *tiers, struct address_set *seen,
                          struct subscriber_reader **out, struct nk_err *e);

/* The next valid subscriber in *s (owned by the reader, valid until the
 * next call), or *s = NULL at the end. A row with a bad address, an
 * unknown tier, a name too long for a header or an address already given
 * out is reported (file:line and why) and skipped. Returns 0; EX_DATAERR
 * when a quoted field never ends, a row is longer than 1 MiB, or the file
 * is not text (a NUL byte); EX_NOINPUT when reading fails; the address
 * set's codes. After an error the reader yields nothing more. */
int subscribers_next(struct subscriber_reader *r, const struct subscriber **s,
                     struct nk_err *e);

/* Rows given out, and rows reported and skipped, so far. */
size_t subscribers_valid(const struct subscriber_reader *r);
size_t subscribers_skipped(const struct subscriber_reader *r);

void subscribers_close(struct subscriber_reader *r);

#endif
