/* subscribers.c — reading the subscriber CSV (see subscribers.h). */
#include "subscribers.h"
#include "address.h"
#include "mime.h"
#include "smtp.h"
#include "buf.h"
#include "log.h"
#include "utf8.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_FIELDS 64
#define SUBSCRIBERS_MAX_BYTES ((size_t)4 << 30)
#define MAX_FIELD 1024

struct row {
	char *f[MAX_FIELDS];
	size_t n;
	int line;        /* line the row starts on */
};

static void row_clear(struct row *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->f[i]);
	r->n = 0;
}

/* Reads one RFC 4180 record starting at *p; advances *p and *line.
 * Returns 1 for a record, 0 at the end, -1 on an unterminated quote. */
static int next_row(const char **p, const char *end, int *line, struct row *r)
{
	if (*p >= end)
		return 0;
	r->line = *line;
	struct buf field = {0};
	const char *s = *p;
	for (;;) {
		bool quoted = s < end && *s == '"';
		if (quoted) {
			s++;
			for (;;) {
				if (s >= end) {
					buf_free(&field);
					return -1;
				}
				if (*s == '"') {
					if (s + 1 < end && s[1] == '"') {
						buf_addc(&field, '"');
						s += 2;
						continue;
					}
					s++;
					break;
				}
				if (*s == '\n')
					(*line)++;
				buf_addc(&field, *s++);
			}
		}
		/* Unquoted part (or what follows a closing quote, kept as is). */
		while (s < end && *s != ',' && *s != '\n' && *s != '\r')
			buf_addc(&field, *s++);
		if (r->n < MAX_FIELDS)
			r->f[r->n++] = buf_detach(&field);
		else
			buf_free(&field);
		if (s < end && *s == ',') {
			s++;
			continue;
		}
		if (s < end && *s == '\r')
			s++;
		if (s < end && *s == '\n')
			s++;
		(*line)++;
		break;
	}
	*p = s;
	return 1;
}

static char *trimmed(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return xstrndup(s, n);
}

static bool row_blank(const struct row *r)
{
	for (size_t i = 0; i < r->n; i++)
		for (const char *p = r->f[i]; *p; p++)
			if (!isspace((unsigned char)*p))
				return false;
	return true;
}

/* A set of the addresses seen so far, so that a list of a million rows is
 * checked for repeats in linear time. Open addressing over indexes into the
 * list (+1, so 0 means empty). */
struct seen {
	size_t *slot;
	size_t cap;     /* a power of two, kept at least twice the count */
};

static size_t hash_ci(const char *s)
{
	size_t h = 1469598103934665603u;   /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)tolower((unsigned char)*s)) * 1099511628211u;
	return h;
}

static void seen_grow(struct seen *st, const struct subscriber_list *l)
{
	free(st->slot);
	st->cap = st->cap ? st->cap * 2 : 64;
	st->slot = xcalloc(st->cap, sizeof *st->slot);
	for (size_t i = 0; i < l->n; i++) {
		size_t h = hash_ci(l->v[i].email) & (st->cap - 1);
		while (st->slot[h])
			h = (h + 1) & (st->cap - 1);
		st->slot[h] = i + 1;
	}
}

/* True when email is already listed. Addresses compare case-insensitively:
 * the local part is case-sensitive by the letter of RFC 5321, but two rows
 * that differ only in case are the same person and must get one copy. */
static bool seen_has(const struct seen *st, const struct subscriber_list *l,
                     const char *email)
{
	if (!st->cap)
		return false;
	for (size_t h = hash_ci(email) & (st->cap - 1); st->slot[h]; h = (h + 1) & (st->cap - 1))
		if (!strcasecmp(l->v[st->slot[h] - 1].email, email))
			return true;
	return false;
}

/* Call after appending to l. */
static void seen_add(struct seen *st, const struct subscriber_list *l)
{
	if (l->n * 2 > st->cap) {
		seen_grow(st, l);
		return;
	}
	size_t h = hash_ci(l->v[l->n - 1].email) & (st->cap - 1);
	while (st->slot[h])
		h = (h + 1) & (st->cap - 1);
	st->slot[h] = l->n;
}

static void add_row(const char *path, const struct row *r, int col_email,
                    int col_name, int col_tier, const struct tier_list *tiers,
                    struct subscriber_list *out, struct seen *seen)
{
	char why[200];
	const char *raw_email = (size_t)col_email < r->n ? r->f[col_email] : "";
	char *email = trimmed(raw_email);
	char *name = NULL, *tier = NULL;
	if (!*email) {
		log_warn("%s:%d: no email address; row skipped", path, r->line);
		goto skip;
	}
	if (!address_valid(email, why, sizeof why)) {
		/* Print only safe bytes of the bad value. */
		char *shown = utf8_clean(email, strlen(email));
		char *one = text_oneline(shown);
		log_warn("%s:%d: '%.80s' is not a valid address (%s); row skipped", path,
		         r->line, one, why);
		free(shown);
		free(one);
		goto skip;
	}
	if (!smtp_address_ok(email)) {
		/* Valid by RFC 5322 (a quoted local part with a space) but not
		 * something SMTP can carry as it is. */
		log_warn("%s:%d: '%.80s' cannot be used in SMTP as it is; row skipped", path,
		         r->line, email);
		goto skip;
	}
	address_normalize(email);
	if (seen_has(seen, out, email)) {
		log_warn("%s:%d: %s is listed twice; this row skipped", path, r->line, email);
		goto skip;
	}
	tier = col_tier >= 0 && (size_t)col_tier < r->n ? trimmed(r->f[col_tier]) : xstrdup("");
	if (!*tier) {
		free(tier);
		tier = xstrdup(tiers->v[0].name);
	}
	if (tier_index(tiers, tier) < 0) {
		char *shown = utf8_clean(tier, strlen(tier));
		log_warn("%s:%d: %s: unknown tier '%.40s'; row skipped", path, r->line, email,
		         shown);
		free(shown);
		goto skip;
	}
	const char *raw_name = col_name >= 0 && (size_t)col_name < r->n ? r->f[col_name] : "";
	char *clean = utf8_clean(raw_name, strnlen(raw_name, MAX_FIELD));
	name = text_oneline(clean);
	free(clean);
	if (strlen(name) > MIME_MAX_NAME) {
		log_warn("%s:%d: %s: the name is longer than %d bytes, too long for a mail "
		         "header; row skipped", path, r->line, email, MIME_MAX_NAME);
		goto skip;
	}
	out->v = xgrow(out->v, &out->cap, out->n + 1, sizeof *out->v);
	out->v[out->n++] = (struct subscriber){ email, name, tier };
	seen_add(seen, out);
	return;
skip:
	out->skipped++;
	free(email);
	free(name);
	free(tier);
}

int subscribers_parse(const char *path, const char *text, size_t len,
                      const struct tier_list *tiers, struct subscriber_list *out,
                      struct nk_err *e)
{
	memset(out, 0, sizeof *out);
	const char *p = text, *end = text + len;
	if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
		p += 3;
	if (memchr(p, '\0', (size_t)(end - p)))
		return nk_fail(e, EX_DATAERR, "%s: not a text file (NUL byte)", path);

	int line = 1, col_email = -1, col_name = -1, col_tier = -1, rc = 0;
	struct row r = {0};
	int got;
	/* The header is the first non-blank row. */
	while ((got = next_row(&p, end, &line, &r)) == 1 && row_blank(&r))
		row_clear(&r);
	if (got == 0)
		return 0;   /* an empty list is not an error here */
	if (got < 0) {
		row_clear(&r);
		return nk_fail(e, EX_DATAERR, "%s:%d: quoted field never ends", path, r.line);
	}
	for (size_t i = 0; i < r.n; i++) {
		char *h = trimmed(r.f[i]);
		if (!strcasecmp(h, "email") && col_email < 0)
			col_email = (int)i;
		else if (!strcasecmp(h, "name") && col_name < 0)
			col_name = (int)i;
		else if (!strcasecmp(h, "tier") && col_tier < 0)
			col_tier = (int)i;
		free(h);
	}
	int header_line = r.line;
	row_clear(&r);
	if (col_email < 0)
		return nk_fail(e, EX_DATAERR, "%s:%d: the header row has no 'email' column "
		               "(expected: email,name,tier)", path, header_line);

	struct seen seen = {0};
	while ((got = next_row(&p, end, &line, &r)) == 1) {
		if (!row_blank(&r))
			add_row(path, &r, col_email, col_name, col_tier, tiers, out, &seen);
		row_clear(&r);
	}
	free(seen.slot);
	if (got < 0) {
		row_clear(&r);
		rc = nk_fail(e, EX_DATAERR, "%s:%d: quoted field never ends", path, r.line);
		subscribers_free(out);
	}
	return rc;
}

int subscribers_load(const char *path, const struct tier_list *tiers,
                     struct subscriber_list *out, struct nk_err *e)
{
	memset(out, 0, sizeof *out);
	struct buf b = {0};
	int rc;
	if (buf_read_file(&b, path, SUBSCRIBERS_MAX_BYTES) != 0)
		rc = nk_fail(e, errno == EFBIG ? EX_DATAERR : EX_NOINPUT,
		             "%s: cannot read subscriber list: %s", path, strerror(errno));
	else
		rc = subscribers_parse(path, buf_str(&b), b.len, tiers, out, e);
	buf_free(&b);
	return rc;
}

void subscribers_free(struct subscriber_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].email);
		free(l->v[i].name);
		free(l->v[i].tier);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}
