/* csv.h — reading and writing RFC 4180 records.
 *
 * Fields may be quoted ("a, b" and "say ""hi"""); a quoted field may span
 * lines. Lines end in LF or CRLF. */
#ifndef NK_CSV_H
#define NK_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define CSV_MAX_FIELDS 64

struct csv_row {
	char *f[CSV_MAX_FIELDS];   /* owned; fields past the 64th are dropped */
	size_t n;
	int line;                  /* the line the record starts on */
};

/* Reads the record starting at *p (before end) into r (cleared first);
 * advances *p and *line. Returns 1 for a record, 0 at the end, -1 when a
 * quoted field never ends. */
int csv_next_row(const char **p, const char *end, int *line, struct csv_row *r);
void csv_row_clear(struct csv_row *r);

/* A copy of field s without the spaces and tabs around it (what a
 * hand-edited list puts after its commas); caller frees. */
char *csv_trimmed(const char *s);

/* Whether every field is empty or white space. */
bool csv_row_blank(const struct csv_row *r);

/* Appends s as one field, quoted when it holds a comma, a quote, a line
 * end or leading or trailing white space. */
void csv_field(struct buf *out, const char *s);

#endif
