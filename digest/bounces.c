/* bounces.c — bounces, complaints and mailto unsubscribes read from a
 * mailbox and applied to the suppression list (see bounces.h). */
#include "bounces.h"
#include "address.h"
#include "buf.h"
#include "dsn.h"
#include "log.h"
#include "utf8.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_MESSAGE ((size_t)16 << 20)
#define MAX_MBOX ((size_t)1 << 30)

/* One report line: tabs and line ends in a value become spaces. */
static void report(struct bounce_run *r, const char *name, const char *rcpt,
                   const char *status, const char *verdict, const char *note)
{
	if (!r->report)
		return;
	const char *v[] = { name, rcpt, status, verdict, note };
	for (size_t i = 0; i < 5; i++) {
		char *clean = utf8_clean(v[i], strnlen(v[i], 300));
		for (char *p = clean; *p; p++)
			if (*p == '\t' || *p == '\n' || *p == '\r')
				*p = ' ';
		fprintf(r->report, "%s%s", clean, i < 4 ? "\t" : "\n");
		free(clean);
	}
}

void bounces_report_header(FILE *f)
{
	fputs("message\trecipient\tstatus\tverdict\tnote\n", f);
}

/* The report's key for the bounced message: its Message-ID, else the
 * report's own, else a hash of the report's bytes. Caller frees. */
static char *bounce_key(const struct dsn_message *m, const char *msg, size_t len)
{
	if (*m->original_id)
		return xasprintf("<%s>", m->original_id);
	if (*m->message_id)
		return xasprintf("report <%s>", m->message_id);
	/* FNV-1a: only to tell reports apart, not for secrecy. */
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)msg[i]) * 0x100000001b3ULL;
	return xasprintf("fnv1a %016llx", (unsigned long long)h);
}

/* Puts email on the list for reason, unless a dry run; counts it. */
static int suppress(struct bounce_run *r, const char *email, const char *reason,
                    const char **note, struct nk_err *e)
{
	bool added = false;
	if (r->dry_run) {
		*note = "dry run: nothing changed";
		return 0;
	}
	int rc = state_suppress_new(r->st, email, reason, r->now, &added, e);
	if (!rc && added) {
		r->suppressed++;
		log_info("%s: suppressed (%s)", email, reason);
	}
	*note = rc ? "" : added ? "suppressed" : "already suppressed";
	return rc;
}

static int mailed(struct bounce_run *r, const char *email, bool *yes, struct nk_err *e)
{
	return state_mailed(r->st, email, yes, e);
}

static int hard_bounce(struct bounce_run *r, const char *email, const char *key,
                       const char *status, const char **note, struct nk_err *e)
{
	bool ours, added = false;
	int rc = mailed(r, email, &ours, e), n = 0;
	if (rc)
		return rc;
	if (!ours) {
		*note = "never mailed by nkdigest: nothing changed";
		return 0;
	}
	if (r->dry_run) {
		*note = "dry run: nothing changed";
		return 0;
	}
	if ((rc = state_bounce_report(r->st, email, key, *status ? status : "5.0.0", r->now,
	                              &added, e)) ||
	    (rc = state_bounces(r->st, email, &n, e)))
		return rc;
	*note = added ? "bounce recorded" : "bounce already recorded";
	if (added && n >= r->cfg->bounce_limit) {
		log_info("%s: %d hard bounces", email, n);
		return suppress(r, email, SUPPRESS_BOUNCES, note, e);
	}
	return 0;
}

/* A token in s: "v1." and base64url. Tries each candidate. */
static char *token_in(const struct unsub_key *k, const char *s)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	int tries = 0;
	for (const char *p = strstr(s, "v1."); p && tries < 8; p = strstr(p + 3, "v1.")) {
		size_t n = 3 + strspn(p + 3, b64);
		if (n < 40 || n > UNSUB_TOKEN_MAX || (p > s && strchr(b64, p[-1])))
			continue;
		tries++;
		char *t = xstrndup(p, n), *email = NULL;
		struct nk_err te = {0};
		int rc = unsubscribe_token_open(k, t, &email, &te);
		free(t);
		if (!rc)
			return email;
	}
	return NULL;
}

/* Mail to the unsubscribe address with a valid token; *email the
 * address it names (caller frees) or NULL. */
static char *mailto_request(const struct bounce_run *r, const struct dsn_message *m)
{
	const char *to = r->cfg->unsub_mailto;
	if (!to || !r->key)
		return NULL;
	bool addressed = false;
	for (size_t i = 0; i < m->nto; i++)
		addressed |= !strcasecmp(m->to[i], to);
	if (!addressed)
		return NULL;
	char *email = token_in(r->key, m->subject);
	return email ? email : token_in(r->key, m->text);
}

static bool complaint_type(const char *t)
{
	return !*t || !strcmp(t, "abuse") || !strcmp(t, "fraud") || !strcmp(t, "other");
}

int bounces_message(struct bounce_run *r, const char *name, const char *msg, size_t len,
                    struct nk_err *e)
{
	struct dsn_message m;
	struct nk_err pe = {0};
	r->messages++;
	if (len > MAX_MESSAGE || dsn_parse(msg, len, &m, &pe)) {
		r->ignored++;
		report(r, name, "", "", "ignored", len > MAX_MESSAGE ? "larger than 16 MiB" : pe.msg);
		return 0;
	}
	int rc = 0;
	const char *note = "";
	char *email = NULL;
	if (m.kind == DSN_COMPLAINT) {
		bool opt_out = !strcmp(m.feedback_type, "opt-out");
		if (!m.nrcpts || (!opt_out && !complaint_type(m.feedback_type))) {
			r->ignored++;
			report(r, name, m.nrcpts ? m.rcpts[0].address : "", "", "ignored",
			       m.nrcpts ? m.feedback_type : "complaint names no recipient");
		}
		for (size_t i = 0; !rc && i < m.nrcpts && (opt_out || complaint_type(m.feedback_type));
		     i++) {
			const char *a = m.rcpts[i].address;
			char why[160];
			bool ours = false;
			if (!address_valid(a, why, sizeof why)) {
				note = "not a valid address";
			} else if (!(rc = mailed(r, a, &ours, e)) && !ours) {
				note = "never mailed by nkdigest: nothing changed";
			} else if (!rc) {
				rc = suppress(r, a, opt_out ? SUPPRESS_UNSUBSCRIBE : SUPPRESS_COMPLAINT,
				              &note, e);
			}
			if (opt_out)
				r->unsubscribes++;
			else
				r->complaints++;
			if (!rc)
				report(r, name, a, "", opt_out ? "unsubscribe" : "complaint", note);
		}
	} else if (m.kind == DSN_REPORT || m.kind == DSN_TEXT) {
		char *key = bounce_key(&m, msg, len);
		if (!m.nrcpts) {
			r->ignored++;
			report(r, name, "", "", "ignored", "a bounce that names no recipient");
		}
		for (size_t i = 0; !rc && i < m.nrcpts; i++) {
			const struct dsn_rcpt *d = &m.rcpts[i];
			enum dsn_verdict v = dsn_classify(d);
			char why[160];
			note = d->diagnostic;
			if (v == DSN_HARD && !address_valid(d->address, why, sizeof why))
				v = DSN_SOFT;   /* nothing to count it against */
			if (v == DSN_HARD) {
				r->hard++;
				rc = hard_bounce(r, d->address, key, d->status, &note, e);
			} else if (v == DSN_SOFT) {
				r->soft++;
			} else {
				r->ignored++;
			}
			if (!rc)
				report(r, name, d->address, d->status, v == DSN_HARD ? "hard"
				       : v == DSN_SOFT ? "soft" : "ignored", note);
		}
		free(key);
	} else if ((email = mailto_request(r, &m))) {
		r->unsubscribes++;
		rc = suppress(r, email, SUPPRESS_UNSUBSCRIBE, &note, e);
		if (!rc)
			report(r, name, email, "", "unsubscribe", note);
	} else {
		r->ignored++;
		report(r, name, "", "", "ignored", m.kind == DSN_AUTOREPLY ? "auto-reply"
		       : "not a bounce, complaint or unsubscribe");
	}
	free(email);
	dsn_message_free(&m);
	return rc;
}

/* ---- Maildir ---- */

/* Whether a cur/ name's info ("…:2,FRS") has the Seen flag. */
static bool seen(const char *name)
{
	const char *info = strstr(name, ":2,");
	return info && strchr(info + 3, 'S');
}

/* cur/ name with the Seen flag added, flags kept in ASCII order as the
 * Maildir convention wants. Caller frees. */
static char *seen_name(const char *name)
{
	const char *info = strstr(name, ":2,");
	size_t base = info ? (size_t)(info - name) : strlen(name);
	const char *flags = info ? info + 3 : "";
	struct buf b = {0};
	buf_add(&b, name, base);
	buf_adds(&b, ":2,");
	bool put = false;
	for (const char *f = flags; *f; f++) {
		if (!put && *f > 'S') {
			buf_addc(&b, 'S');
			put = true;
		}
		buf_addc(&b, *f);
	}
	if (!put)
		buf_addc(&b, 'S');
	return buf_detach(&b);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir/sub to read, sorted (delivery order for most MTAs). */
static int list(const char *dir, const char *sub, char ***names, size_t *n, struct nk_err *e)
{
	char *path = xasprintf("%s/%s", dir, sub);
	DIR *d = opendir(path);
	*names = NULL;
	*n = 0;
	size_t cap = 0;
	if (!d) {
		int rc = nk_fail(e, EX_NOINPUT, "%s: %s (not a Maildir?)", path, strerror(errno));
		free(path);
		return rc;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || (!strcmp(sub, "cur") && seen(de->d_name)))
			continue;
		*names = xgrow(*names, &cap, *n + 1, sizeof **names);
		(*names)[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	free(path);
	if (*n)
		qsort(*names, *n, sizeof **names, by_name);
	return 0;
}

int bounces_maildir(struct bounce_run *r, const char *dir, struct nk_err *e)
{
	static const char *const subs[] = { "new", "cur" };
	int rc = 0;
	for (size_t s = 0; !rc && s < 2; s++) {
		char **names;
		size_t n;
		if ((rc = list(dir, subs[s], &names, &n, e)))
			break;
		for (size_t i = 0; i < n; i++) {
			char *path = xasprintf("%s/%s/%s", dir, subs[s], names[i]);
			struct buf b = {0};
			if (!rc && buf_read_file(&b, path, MAX_MESSAGE + 1) != 0 && errno != EFBIG) {
				/* Gone meanwhile (another reader) or unreadable: skip. */
				log_warn("%s: %s; skipped", path, strerror(errno));
			} else if (!rc && !(rc = bounces_message(r, path, buf_str(&b), b.len, e)) &&
			           !r->dry_run) {
				char *seen_as = seen_name(names[i]);
				char *to = xasprintf("%s/cur/%s", dir, seen_as);
				if (rename(path, to) != 0)
					log_warn("%s: cannot mark it read (%s): the next run reads it "
					         "again", path, strerror(errno));
				free(to);
				free(seen_as);
			}
			buf_free(&b);
			free(path);
			free(names[i]);
		}
		free(names);
	}
	return rc;
}

/* ---- mbox ---- */

/* Appends one mbox line, mboxrd-unescaped (">From " loses a '>'). */
static void mbox_line(struct buf *m, const char *l, size_t n)
{
	size_t gt = strspn(l, ">");
	if (gt && gt < n && n - gt >= 5 && !strncmp(l + gt, "From ", 5)) {
		l++;
		n--;
	}
	buf_add(m, l, n);
}

int bounces_mbox(struct bounce_run *r, const char *path, struct nk_err *e)
{
	struct buf b = {0};
	if (buf_read_file(&b, path, MAX_MBOX) != 0) {
		int rc = nk_fail(e, errno == EFBIG ? EX_DATAERR : EX_NOINPUT, "%s: %s", path,
		                 strerror(errno));
		buf_free(&b);
		return rc;
	}
	const char *p = buf_str(&b), *end = p + b.len;
	if (b.len && strncmp(p, "From ", 5)) {
		buf_free(&b);
		return nk_fail(e, EX_DATAERR, "%s:1: not an mbox (it must start with a \"From \" "
		               "line)", path);
	}
	/* A message starts at a "From " line at the top or after a blank line. */
	struct buf m = {0};
	int rc = 0, line = 1, from_line = 0;
	bool blank = true;
	for (; !rc && p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl + 1 : end) - p);
		if (blank && n >= 5 && !strncmp(p, "From ", 5)) {
			if (from_line) {
				char *name = xasprintf("%s:%d", path, from_line);
				rc = bounces_message(r, name, buf_str(&m), m.len, e);
				free(name);
			}
			from_line = line;
			buf_truncate(&m, 0);
		} else {
			mbox_line(&m, p, n);
		}
		blank = n == 1 || (n == 2 && p[0] == '\r');
		p += n;
	}
	if (!rc && from_line) {
		char *name = xasprintf("%s:%d", path, from_line);
		rc = bounces_message(r, name, buf_str(&m), m.len, e);
		free(name);
	}
	buf_free(&m);
	buf_free(&b);
	return rc;
}
