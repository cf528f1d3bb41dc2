/* subscribers.c — reading the subscriber CSV row by row (see subscribers.h). */
#include "subscribers.h"
#include "address.h"
#include "mime.h"
#include "smtp.h"
#include "state.h"
#include "buf.h"
#include "csv.h"
#include "log.h"
#include "utf8.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The reader holds a window of the file: at least one whole row, read in
 * chunks. A row may be at most ROW_MAX bytes: real rows are short, and a
 * quote that never closes must not pull the whole file into memory. */
#define CHUNK ((size_t)64 << 10)
#define ROW_MAX ((size_t)1 << 20)
#define MAX_FIELD 1024

struct subscriber_reader {
	char *path;
	const struct tier_list *tiers;
	struct address_set *seen;
	FILE *f;             /* NULL for text, and once the file is read */
	char *own;           /* the window's storage when reading a file */
	const char *buf;     /* the window: bytes [pos, len) are not read yet */
	size_t pos, len, cap;
	bool eof;            /* nothing follows the window */
	bool done;           /* the end, or an error, was reached */
	int line;            /* the line at buf + pos */
	int col_email, col_name, col_tier;
	struct csv_row row;
	struct subscriber cur;
	size_t valid, skipped;
};

/* Appends the next chunk of the file to the window, keeping what is not
 * read yet. */
static int fill(struct subscriber_reader *r, struct nk_err *e)
{
	if (r->pos) {
		memmove(r->own, r->own + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	if (r->cap - r->len < CHUNK) {
		r->cap = r->cap ? r->cap * 2 : 2 * CHUNK;
		r->own = xrealloc(r->own, r->cap);
		r->buf = r->own;
	}
	size_t n = fread(r->own + r->len, 1, r->cap - r->len, r->f);
	if (n == 0) {
		int err = ferror(r->f) ? (errno ? errno : EIO) : 0;
		if (r->f != stdin)
			fclose(r->f);
		r->f = NULL;
		r->eof = true;
		if (err) {
			r->done = true;
			return nk_fail(e, EX_NOINPUT, "%s: cannot read subscriber list: %s", r->path,
			               strerror(err));
		}
		return 0;
	}
	if (memchr(r->own + r->len, '\0', n)) {
		r->done = true;
		return nk_fail(e, EX_DATAERR, "%s: not a text file (NUL byte)", r->path);
	}
	r->len += n;
	return 0;
}

/* The next record into r->row: 1, or 0 at the end. A record is taken only
 * when it ends inside the window (or the file ends): one cut off by the
 * window's end is read again once the window holds more. */
static int next_record(struct subscriber_reader *r, int *got, struct nk_err *e)
{
	for (;;) {
		const char *p = r->buf + r->pos, *end = r->buf + r->len;
		int line = r->line;
		*got = csv_next_row(&p, end, &line, &r->row);
		if (r->eof || (*got == 1 && p < end)) {
			if (*got < 0) {
				r->done = true;
				return nk_fail(e, EX_DATAERR, "%s:%d: quoted field never ends", r->path,
				               r->row.line);
			}
			r->pos = (size_t)(p - r->buf);
			r->line = line;
			return 0;
		}
		if (r->len - r->pos > ROW_MAX) {
			r->done = true;
			return nk_fail(e, EX_DATAERR, "%s:%d: a row longer than %zu KiB (a quote "
			               "that never closes?)", r->path, r->line, ROW_MAX >> 10);
		}
		int rc = fill(r, e);
		if (rc)
			return rc;
	}
}

/* Checks the row in r->row and makes it r->cur: 0 with *ok saying whether
 * the row is valid (a bad one is reported and counted), or the address
 * set's error. */
static int take_row(struct subscriber_reader *r, bool *ok, struct nk_err *e)
{
	const struct csv_row *row = &r->row;
	const char *path = r->path;
	char why[200];
	*ok = false;
	const char *raw_email = (size_t)r->col_email < row->n ? row->f[r->col_email] : "";
	char *email = csv_trimmed(raw_email);
	char *name = NULL, *tier = NULL;
	bool repeated, added = false;
	int rc = 0;
	if (!*email) {
		log_warn("%s:%d: no email address; row skipped", path, row->line);
		goto skip;
	}
	if (!address_valid(email, why, sizeof why)) {
		/* Print only safe bytes of the bad value. */
		char *shown = utf8_clean(email, strlen(email));
		char *one = text_oneline(shown);
		log_warn("%s:%d: '%.80s' is not a valid address (%s); row skipped", path,
		         row->line, one, why);
		free(shown);
		free(one);
		goto skip;
	}
	if (!smtp_address_ok(email)) {
		/* Valid by RFC 5322 (a quoted local part with a space) but not
		 * something SMTP can carry as it is. */
		log_warn("%s:%d: '%.80s' cannot be used in SMTP as it is; row skipped", path,
		         row->line, email);
		goto skip;
	}
	address_normalize(email);
	/* Remembered here, and forgotten again below when the row turns out
	 * bad otherwise, so that a later good row of the same address counts. */
	if ((rc = state_address_set_add(r->seen, email, &repeated, e)))
		goto skip;
	if (repeated) {
		log_warn("%s:%d: %s is listed twice; this row skipped", path, row->line, email);
		goto skip;
	}
	added = true;
	tier = r->col_tier >= 0 && (size_t)r->col_tier < row->n ? csv_trimmed(row->f[r->col_tier])
	                                                         : xstrdup("");
	if (!*tier) {
		free(tier);
		tier = xstrdup(r->tiers->v[0].name);
	}
	if (tier_index(r->tiers, tier) < 0) {
		char *shown = utf8_clean(tier, strlen(tier));
		log_warn("%s:%d: %s: unknown tier '%.40s'; row skipped", path, row->line, email,
		         shown);
		free(shown);
		goto skip;
	}
	const char *raw_name = r->col_name >= 0 && (size_t)r->col_name < row->n
	                       ? row->f[r->col_name] : "";
	char *clean = utf8_clean(raw_name, strnlen(raw_name, MAX_FIELD));
	name = text_oneline(clean);
	free(clean);
	if (strlen(name) > MIME_MAX_NAME) {
		log_warn("%s:%d: %s: the name is longer than %d bytes, too long for a mail "
		         "header; row skipped", path, row->line, email, MIME_MAX_NAME);
		goto skip;
	}
	r->cur = (struct subscriber){ email, name, tier, row->line };
	r->valid++;
	*ok = true;
	return 0;
skip:
	if (added)
		rc = state_address_set_forget(r->seen, email, e);
	if (!rc)
		r->skipped++;
	free(email);
	free(name);
	free(tier);
	return rc;
}

static void clear_current(struct subscriber_reader *r)
{
	free(r->cur.email);
	free(r->cur.name);
	free(r->cur.tier);
	memset(&r->cur, 0, sizeof r->cur);
}

int subscribers_next(struct subscriber_reader *r, const struct subscriber **s,
                     struct nk_err *e)
{
	*s = NULL;
	clear_current(r);
	int got, rc = 0;
	bool ok = false;
	while (!r->done && !ok) {
		if ((rc = next_record(r, &got, e)))
			break;
		if (got == 0)
			r->done = true;
		else if (!csv_row_blank(&r->row) && (rc = take_row(r, &ok, e)))
			break;
	}
	csv_row_clear(&r->row);
	if (rc) {
		r->done = true;
		return rc;
	}
	if (ok)
		*s = &r->cur;
	return 0;
}

/* Reads the header: the first non-blank row. */
static int read_header(struct subscriber_reader *r, struct nk_err *e)
{
	int got, rc;
	do
		rc = next_record(r, &got, e);
	while (!rc && got == 1 && csv_row_blank(&r->row));
	if (rc || got == 0) {
		r->done = true;   /* an empty list is not an error here */
		csv_row_clear(&r->row);
		return rc;
	}
	r->col_email = r->col_name = r->col_tier = -1;
	for (size_t i = 0; i < r->row.n; i++) {
		char *h = csv_trimmed(r->row.f[i]);
		if (!strcasecmp(h, "email") && r->col_email < 0)
			r->col_email = (int)i;
		else if (!strcasecmp(h, "name") && r->col_name < 0)
			r->col_name = (int)i;
		else if (!strcasecmp(h, "tier") && r->col_tier < 0)
			r->col_tier = (int)i;
		free(h);
	}
	int header_line = r->row.line;
	csv_row_clear(&r->row);
	if (r->col_email < 0) {
		r->done = true;
		return nk_fail(e, EX_DATAERR, "%s:%d: the header row has no 'email' column "
		               "(expected: email,name,tier)", r->path, header_line);
	}
	return 0;
}

static struct subscriber_reader *reader_new(const char *path, const struct tier_list *tiers,
                                            struct address_set *seen)
{
	struct subscriber_reader *r = xcalloc(1, sizeof *r);
	r->path = xstrdup(path);
	r->tiers = tiers;
	r->seen = seen;
	r->line = 1;
	return r;
}

/* Skips a byte order mark, then reads the header. */
static int start(struct subscriber_reader *r, struct subscriber_reader **out,
                 struct nk_err *e)
{
	if (r->len - r->pos >= 3 && !memcmp(r->buf + r->pos, "\xEF\xBB\xBF", 3))
		r->pos += 3;
	int rc = read_header(r, e);
	if (rc) {
		subscribers_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

int subscribers_open(const char *path, const struct tier_list *tiers,
                     struct address_set *seen, struct subscriber_reader **out,
                     struct nk_err *e)
{
	*out = NULL;
	struct subscriber_reader *r = reader_new(path, tiers, seen);
	r->f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	int rc = 0;
	if (!r->f)
		rc = nk_fail(e, EX_NOINPUT, "%s: cannot read subscriber list: %s", path,
		             strerror(errno));
	/* Enough for the byte order mark to be whole. */
	while (!rc && !r->eof && r->len < 3)
		rc = fill(r, e);
	if (rc) {
		subscribers_close(r);
		return rc;
	}
	return start(r, out, e);
}

int subscribers_open_text(const char *path, const char *text, size_t len,
                          const struct tier_list *tiers, struct address_set *seen,
                          struct subscriber_reader **out, struct nk_err *e)
{
	*out = NULL;
	if (memchr(text, '\0', len))
		return nk_fail(e, EX_DATAERR, "%s: not a text file (NUL byte)", path);
	struct subscriber_reader *r = reader_new(path, tiers, seen);
	r->buf = text;
	r->len = len;
	r->eof = true;
	return start(r, out, e);
}

size_t subscribers_valid(const struct subscriber_reader *r)
{
	return r->valid;
}

size_t subscribers_skipped(const struct subscriber_reader *r)
{
	return r->skipped;
}

void subscribers_close(struct subscriber_reader *r)
{
	if (!r)
		return;
	if (r->f && r->f != stdin)
		fclose(r->f);
	clear_current(r);
	csv_row_clear(&r->row);
	free(r->own);
	free(r->path);
	free(r);
}
