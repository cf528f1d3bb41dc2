/* suppressions.h — the suppression list as a CSV file and as addresses
 * typed by the operator (`nkdigest unsubscribe`, `suppressions
 * export|import`).
 *
 * The CSV has a header row naming its columns: email (required), reason
 * and time (optional, in any order; other columns are ignored). A reason
 * is one of those nkdigest writes (unsubscribe, complaint, hard bounces;
 * default unsubscribe); a time is RFC 3339 (export writes UTC,
 * "2024-05-01T07:30:00Z"; default: now). */
#ifndef NK_SUPPRESSIONS_H
#define NK_SUPPRESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "state.h"

struct suppression_list {
	struct suppression *v;   /* owned; free with suppression_list_free() */
	size_t n, cap;
	size_t skipped;          /* rows reported (file:line and why) and left out */
};

/* Reads the CSV at path ("-": standard input). A row with a bad address,
 * reason or time, or an address already in the file, is reported with its
 * line and skipped. EX_NOINPUT when the file cannot be read; EX_DATAERR
 * when it is not text, has no email column or a quoted field never ends. */
int suppressions_load(const char *path, time_t now, struct suppression_list *out,
                      struct nk_err *e);
/* The same on text[0..len), named path in what it reports. */
int suppressions_parse(const char *path, const char *text, size_t len, time_t now,
                       struct suppression_list *out, struct nk_err *e);

/* Reads addresses one a line (blank lines and lines starting with '#'
 * skipped) from path ("-": standard input) into out with reason; bad
 * lines are reported and skipped as above. */
int suppressions_load_addresses(const char *path, const char *reason, time_t now,
                                struct suppression_list *out, struct nk_err *e);

/* Checks one address given on the command line (what, e.g. "argument",
 * names it in the warning); adds it to out or reports it and counts it
 * skipped. */
void suppressions_add_address(struct suppression_list *out, const char *what,
                              const char *email, const char *reason, time_t now);

/* Appends v as CSV, header row first, times in UTC. */
void suppressions_write(struct buf *out, const struct suppression *v, size_t n);

void suppression_list_free(struct suppression_list *l);

#endif
