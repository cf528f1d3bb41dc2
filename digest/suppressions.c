/* suppressions.c — the suppression list as CSV and as typed addresses
 * (see suppressions.h). */
#include "suppressions.h"
#include "address.h"
#include "csv.h"
#include "datetime.h"
#include "log.h"
#include "utf8.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_BYTES ((size_t)1 << 30)

/* A day of clock difference between machines is fine; more is a mistake. */
#define FUTURE_SLACK (24 * 3600)

static const char *const reasons[] = {
	SUPPRESS_UNSUBSCRIBE, SUPPRESS_COMPLAINT, SUPPRESS_BOUNCES,
};

/* The reason as nkdigest spells it ("Complaint" -> "complaint"), or NULL
 * when it is none of them. */
static const char *suppression_reason(const char *s)
{
	for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++)
		if (!strcasecmp(s, reasons[i]))
			return reasons[i];
	return NULL;
}

/* s made safe to print in a warning (valid UTF-8, one line); caller frees. */
static char *shown(const char *s)
{
	char *clean = utf8_clean(s, strnlen(s, 200));
	char *one = text_oneline(clean);
	free(clean);
	return one;
}

static bool listed(const struct suppression_list *l, const char *email)
{
	/* Files of suppressions are small next to subscriber lists; a scan
	 * per row keeps this simple. */
	for (size_t i = 0; i < l->n; i++)
		if (!strcasecmp(l->v[i].email, email))
			return true;
	return false;
}

/* Checks one entry; where names it ("file:line" or "argument"). Takes
 * ownership of email. */
static void add(struct suppression_list *out, const char *where, char *email,
                const char *reason, time_t when)
{
	char why[200];
	if (!*email) {
		log_warn("%s: no email address; skipped", where);
	} else if (!address_valid(email, why, sizeof why)) {
		char *s = shown(email);
		log_warn("%s: '%.80s' is not a valid address (%s); skipped", where, s, why);
		free(s);
	} else {
		address_normalize(email);
		if (listed(out, email)) {
			log_warn("%s: %s is listed twice; skipped", where, email);
		} else {
			out->v = xgrow(out->v, &out->cap, out->n + 1, sizeof *out->v);
			out->v[out->n++] = (struct suppression){ email, xstrdup(reason), when };
			return;
		}
	}
	free(email);
	out->skipped++;
}

void suppressions_add_address(struct suppression_list *out, const char *what,
                              const char *email, const char *reason, time_t now)
{
	add(out, what, csv_trimmed(email), reason, now);
}

static int read_all(const char *path, struct buf *b, struct nk_err *e)
{
	if (buf_read_file(b, path, MAX_BYTES) != 0)
		return nk_fail(e, errno == EFBIG ? EX_DATAERR : EX_NOINPUT, "%s: cannot read: %s",
		               path, strerror(errno));
	if (memchr(buf_str(b), '\0', b->len))
		return nk_fail(e, EX_DATAERR, "%s: not a text file (NUL byte)", path);
	return 0;
}

static const char *cell(const struct csv_row *r, int col)
{
	return col >= 0 && (size_t)col < r->n ? r->f[col] : "";
}

static void add_row(struct suppression_list *out, const char *path, const struct csv_row *r,
                    const int col[3], time_t now)
{
	char where[300];
	snprintf(where, sizeof where, "%s:%d", path, r->line);
	char *reason_s = csv_trimmed(cell(r, col[1])), *time_s = csv_trimmed(cell(r, col[2]));
	const char *reason = *reason_s ? suppression_reason(reason_s) : SUPPRESS_UNSUBSCRIBE;
	time_t when = now;
	if (!reason) {
		char *s = shown(reason_s);
		log_warn("%s: unknown reason '%.40s' (expected unsubscribe, complaint or "
		         "hard bounces); row skipped", where, s);
		free(s);
		out->skipped++;
	} else if (*time_s && (rfc3339_parse(time_s, false, &when, NULL) != 0 ||
	                       when > now + FUTURE_SLACK)) {
		char *s = shown(time_s);
		log_warn("%s: time '%.40s' is not an RFC 3339 time in the past (like "
		         "2024-05-01T07:30:00Z); row skipped", where, s);
		free(s);
		out->skipped++;
	} else {
		add(out, where, csv_trimmed(cell(r, col[0])), reason, when);
	}
	free(reason_s);
	free(time_s);
}

int suppressions_parse(const char *path, const char *text, size_t len, time_t now,
                       struct suppression_list *out, struct nk_err *e)
{
	memset(out, 0, sizeof *out);
	const char *p = text, *end = text + len;
	if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
		p += 3;
	if (memchr(p, '\0', (size_t)(end - p)))
		return nk_fail(e, EX_DATAERR, "%s: not a text file (NUL byte)", path);
	struct csv_row r = {0};
	int line = 1, got;
	while ((got = csv_next_row(&p, end, &line, &r)) == 1 && csv_row_blank(&r))
		;
	if (got == 0)
		return 0;
	int col[3] = { -1, -1, -1 };   /* email, reason, time */
	static const char *const names[3] = { "email", "reason", "time" };
	for (size_t i = 0; got == 1 && i < r.n; i++) {
		char *h = csv_trimmed(r.f[i]);
		for (int c = 0; c < 3; c++)
			if (!strcasecmp(h, names[c]) && col[c] < 0)
				col[c] = (int)i;
		free(h);
	}
	int rc = 0;
	if (got < 0)
		rc = nk_fail(e, EX_DATAERR, "%s:%d: quoted field never ends", path, r.line);
	else if (col[0] < 0)
		rc = nk_fail(e, EX_DATAERR, "%s:%d: the header row has no 'email' column "
		             "(expected: email,reason,time)", path, r.line);
	while (!rc && (got = csv_next_row(&p, end, &line, &r)) == 1)
		if (!csv_row_blank(&r))
			add_row(out, path, &r, col, now);
	if (!rc && got < 0)
		rc = nk_fail(e, EX_DATAERR, "%s:%d: quoted field never ends", path, r.line);
	csv_row_clear(&r);
	if (rc)
		suppression_list_free(out);
	return rc;
}

int suppressions_load(const char *path, time_t now, struct suppression_list *out,
                      struct nk_err *e)
{
	memset(out, 0, sizeof *out);
	struct buf b = {0};
	int rc = read_all(path, &b, e);
	if (!rc)
		rc = suppressions_parse(path, buf_str(&b), b.len, now, out, e);
	buf_free(&b);
	return rc;
}

int suppressions_load_addresses(const char *path, const char *reason, time_t now,
                                struct suppression_list *out, struct nk_err *e)
{
	memset(out, 0, sizeof *out);
	struct buf b = {0};
	int rc = read_all(path, &b, e);
	const char *p = buf_str(&b);
	for (int line = 1; !rc && *p; line++) {
		size_t n = strcspn(p, "\n");
		char *raw = xstrndup(p, n && p[n - 1] == '\r' ? n - 1 : n);
		char *l = csv_trimmed(raw);
		free(raw);
		if (*l && *l != '#') {
			char where[300];
			snprintf(where, sizeof where, "%s:%d", path, line);
			add(out, where, l, reason, now);
		} else {
			free(l);
		}
		p += n + (p[n] == '\n');
	}
	buf_free(&b);
	return rc;
}

void suppressions_write(struct buf *out, const struct suppression *v, size_t n)
{
	buf_adds(out, "email,reason,time\n");
	for (size_t i = 0; i < n; i++) {
		struct tm tm;
		char when[32] = "";
		if (gmtime_r(&v[i].created, &tm))
			strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		csv_field(out, v[i].email);
		buf_addc(out, ',');
		csv_field(out, v[i].reason);
		buf_addc(out, ',');
		buf_adds(out, when);
		buf_addc(out, '\n');
	}
}

void suppression_list_free(struct suppression_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		state_suppression_clear(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}
