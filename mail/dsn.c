/* dsn.c — bounces, complaints and auto-replies taken apart (see dsn.h).
 * libetpan finds the MIME parts and undoes their transfer encoding; the
 * header-like blocks inside them (delivery-status, feedback-report,
 * returned headers) are read here, as is the text of bounces that have no
 * machine-readable part. */
#include "dsn.h"
#include "buf.h"
#include "xalloc.h"

#include <cjson/cJSON.h>
#include <libetpan/clist.h>
#include <libetpan/mailmime.h>
#include <libetpan/mailmime_content.h>
#include <libetpan/mailmime_types.h>
#include <libetpan/mmapstring.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_TEXT 8192
#define MAX_DIAG 500
#define MAX_RCPTS 100

/* ---- small text helpers ---- */

/* Case-insensitive search for needle in s[0..n). */
static const char *find_ci(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; k <= n && i <= n - k; i++)
		if (!strncasecmp(s + i, needle, k))
			return s + i;
	return NULL;
}

static bool has(const char *s, const char *needle)
{
	return find_ci(s, strlen(s), needle) != NULL;
}

static char *trim_dup(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* s with runs of white space (line ends too) made one space, trimmed,
 * and cut to max bytes; caller frees. */
static char *one_line(const char *s, size_t n, size_t max)
{
	struct buf b = {0};
	bool space = false;
	for (size_t i = 0; i < n && b.len < max; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isspace(c) || c < 0x20 || c == 0x7f) {
			space = b.len > 0;
			continue;
		}
		if (space)
			buf_addc(&b, ' ');
		space = false;
		buf_addc(&b, (char)c);
	}
	return buf_detach(&b);
}

/* The first "d.d.d" enhanced status code (RFC 3463) in s, into out. */
static bool find_status(const char *s, char out[16])
{
	for (const char *p = s; *p; p++) {
		if (!strchr("245", *p) || p[1] != '.' || (p > s && (isalnum((unsigned char)p[-1]) ||
		                                                    p[-1] == '.')))
			continue;
		const char *q = p + 2;
		size_t a = strspn(q, "0123456789");
		if (a < 1 || a > 3 || q[a] != '.')
			continue;
		size_t b = strspn(q + a + 1, "0123456789");
		const char *end = q + a + 1 + b;
		if (b < 1 || b > 3 || isalnum((unsigned char)*end) || (*end == '.' &&
		                                                      isdigit((unsigned char)end[1])))
			continue;
		snprintf(out, 16, "%.*s", (int)(end - p), p);
		return true;
	}
	return false;
}

/* The first SMTP reply code (a 2xx, 4xx or 5xx number standing alone). */
static int find_reply(const char *s)
{
	for (const char *p = s; *p; p++)
		if (strchr("245", *p) && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
		    (p == s || (!isalnum((unsigned char)p[-1]) && p[-1] != '.')) &&
		    !isalnum((unsigned char)p[3]) && p[3] != '.')
			return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	return 0;
}

/* ---- header-like blocks: "Name: value" lines, folded lines joined ---- */

struct field {
	char *name;
	char *value;
};

struct fields {
	struct field *v;
	size_t n, cap;
};

/* Reads fields from s[0..n) up to the first blank line; returns where
 * reading stopped (after the blank line). */
static const char *fields_read(const char *s, size_t n, struct fields *f)
{
	const char *p = s, *end = s + n;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *next = eol ? eol + 1 : end;
		size_t len = (size_t)((eol ? eol : end) - p);
		if (len && p[len - 1] == '\r')
			len--;
		if (len == 0)
			return next;
		if ((*p == ' ' || *p == '\t') && f->n) {
			struct field *last = &f->v[f->n - 1];
			char *joined = xasprintf("%s %.*s", last->value, (int)len, p);
			free(last->value);
			last->value = joined;
		} else {
			const char *colon = memchr(p, ':', len);
			if (colon && colon > p) {
				f->v = xgrow(f->v, &f->cap, f->n + 1, sizeof *f->v);
				f->v[f->n++] = (struct field){ trim_dup(p, (size_t)(colon - p)),
				                               xstrndup(colon + 1, len - (size_t)(colon + 1 - p)) };
			}
		}
		p = next;
	}
	return end;
}

static const char *fields_get(const struct fields *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcasecmp(f->v[i].name, name))
			return f->v[i].value;
	return NULL;
}

static void fields_free(struct fields *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].value);
	}
	free(f->v);
	memset(f, 0, sizeof *f);
}

/* ---- addresses ---- */

static bool addr_char(unsigned char c)
{
	return isalnum(c) || strchr(".!#$%&'*+-/=?^_`{|}~", c);
}

/* The first address in s (in <> if there are any); caller frees; NULL
 * when none. */
static char *first_address(const char *s)
{
	const char *lt = strchr(s, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	if (lt && gt && memchr(lt, '@', (size_t)(gt - lt))) {
		char *a = trim_dup(lt + 1, (size_t)(gt - lt - 1));
		if (*a && !strchr(a, ' '))
			return a;
		free(a);
	}
	const char *at = strchr(s, '@');
	while (at) {
		const char *b = at, *e = at + 1;
		while (b > s && addr_char((unsigned char)b[-1]))
			b--;
		while (*e && (isalnum((unsigned char)*e) || *e == '.' || *e == '-'))
			e++;
		while (e > at + 1 && e[-1] == '.')
			e--;
		if (b < at && e > at + 1 && memchr(at, '.', (size_t)(e - at)))
			return xstrndup(b, (size_t)(e - b));
		at = strchr(at + 1, '@');
	}
	return NULL;
}

/* Every address in s, appended to *v. */
static void all_addresses(const char *s, char ***v, size_t *n, size_t *cap)
{
	const char *p = s;
	while (p && *p && *n < MAX_RCPTS) {
		const char *comma = strchr(p, ',');
		char *part = comma ? xstrndup(p, (size_t)(comma - p)) : xstrdup(p);
		char *a = first_address(part);
		if (a) {
			*v = xgrow(*v, cap, *n + 1, sizeof **v);
			(*v)[(*n)++] = a;
		}
		free(part);
		p = comma ? comma + 1 : NULL;
	}
}

/* "rfc822; user@example.org" -> "user@example.org". */
static char *typed_address(const char *v)
{
	const char *semi = strchr(v, ';');
	char *a = first_address(semi ? semi + 1 : v);
	return a;
}

/* ---- walking the MIME tree ---- */

struct walk {
	struct buf text;          /* first text/plain part, decoded */
	bool have_text;
	struct buf status;        /* message/delivery-status parts */
	struct buf feedback;      /* message/feedback-report */
	bool report_dsn, report_arf;   /* multipart/report's report-type */
	struct buf original;      /* returned headers (or message), first found */
	bool have_original;
};

static void type_name(const struct mailmime_content *ct, char *out, size_t n)
{
	const char *type = "application";
	if (!ct || !ct->ct_type) {
		snprintf(out, n, "text/plain");
		return;
	}
	if (ct->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
		const struct mailmime_discrete_type *d = ct->ct_type->tp_data.tp_discrete_type;
		switch (d->dt_type) {
		case MAILMIME_DISCRETE_TYPE_TEXT: type = "text"; break;
		case MAILMIME_DISCRETE_TYPE_IMAGE: type = "image"; break;
		case MAILMIME_DISCRETE_TYPE_AUDIO: type = "audio"; break;
		case MAILMIME_DISCRETE_TYPE_VIDEO: type = "video"; break;
		case MAILMIME_DISCRETE_TYPE_EXTENSION:
			type = d->dt_extension ? d->dt_extension : "x";
			break;
		default: break;
		}
	} else {
		const struct mailmime_composite_type *c = ct->ct_type->tp_data.tp_composite_type;
		type = c->ct_type == MAILMIME_COMPOSITE_TYPE_MESSAGE ? "message"
		     : c->ct_type == MAILMIME_COMPOSITE_TYPE_MULTIPART ? "multipart"
		     : c->ct_token ? c->ct_token : "x";
	}
	snprintf(out, n, "%s/%s", type, ct->ct_subtype ? ct->ct_subtype : "");
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
}

static const char *param(const struct mailmime_content *ct, const char *name)
{
	if (!ct || !ct->ct_parameters)
		return NULL;
	for (clistiter *it = clist_begin(ct->ct_parameters); it; it = clist_next(it)) {
		const struct mailmime_parameter *p = clist_content(it);
		if (p->pa_name && !strcasecmp(p->pa_name, name))
			return p->pa_value;
	}
	return NULL;
}

/* Appends the decoded body of a single part to out. */
static void decoded(const struct mailmime_data *d, struct buf *out)
{
	if (!d || d->dt_type != MAILMIME_DATA_TEXT)
		return;
	const char *s = d->dt_data.dt_text.dt_data;
	size_t n = d->dt_data.dt_text.dt_length;
	if (!d->dt_encoded || d->dt_encoding == MAILMIME_MECHANISM_7BIT ||
	    d->dt_encoding == MAILMIME_MECHANISM_8BIT ||
	    d->dt_encoding == MAILMIME_MECHANISM_BINARY) {
		buf_add(out, s, n);
		return;
	}
	size_t idx = 0, len = 0;
	char *r = NULL;
	if (mailmime_part_parse(s, n, &idx, d->dt_encoding, &r, &len) == MAILIMF_NO_ERROR && r) {
		buf_add(out, r, len);
		mmap_string_unref(r);
	} else {
		buf_add(out, s, n);   /* undecodable: the raw text is better than nothing */
	}
}

static void walk(const struct mailmime *m, struct walk *w, int depth)
{
	if (!m || depth > 20)
		return;
	char type[128];
	type_name(m->mm_content_type, type, sizeof type);
	switch (m->mm_type) {
	case MAILMIME_MULTIPLE:
		if (!strcmp(type, "multipart/report")) {
			const char *rt = param(m->mm_content_type, "report-type");
			if (rt && !strcasecmp(rt, "delivery-status"))
				w->report_dsn = true;
			if (rt && !strcasecmp(rt, "feedback-report"))
				w->report_arf = true;
		}
		for (clistiter *it = clist_begin(m->mm_data.mm_multipart.mm_mp_list); it;
		     it = clist_next(it))
			walk(clist_content(it), w, depth + 1);
		break;
	case MAILMIME_MESSAGE:
		if (depth == 0) {
			walk(m->mm_data.mm_message.mm_msg_mime, w, 1);
		} else if (!w->have_original) {
			/* A returned or reported message: its headers are
			 * what matters; its text is not ours to read. */
			decoded(m->mm_body, &w->original);
			w->have_original = true;
		}
		break;
	case MAILMIME_SINGLE:
		if (!strcmp(type, "message/delivery-status") ||
		    !strcmp(type, "message/global-delivery-status")) {
			decoded(m->mm_data.mm_single, &w->status);
			buf_adds(&w->status, "\n\n");
		} else if (!strcmp(type, "message/feedback-report")) {
			decoded(m->mm_data.mm_single, &w->feedback);
		} else if ((!strcmp(type, "text/rfc822-headers") ||
		            !strcmp(type, "text/rfc822-header") ||
		            !strcmp(type, "message/rfc822-headers") ||
		            !strcmp(type, "message/rfc822")) && !w->have_original) {
			decoded(m->mm_data.mm_single, &w->original);
			w->have_original = true;
		} else if (!strcmp(type, "text/plain") && !w->have_text) {
			decoded(m->mm_data.mm_single, &w->text);
			w->have_text = true;
		}
		break;
	default:
		break;
	}
}

/* ---- what the parts say ---- */

static void add_rcpt(struct dsn_message *out, char *address, const char *action,
                     const char *status, const char *diag)
{
	if (out->nrcpts >= MAX_RCPTS) {
		free(address);
		return;
	}
	size_t cap = out->nrcpts;
	out->rcpts = xgrow(out->rcpts, &cap, out->nrcpts + 1, sizeof *out->rcpts);
	struct dsn_rcpt *r = &out->rcpts[out->nrcpts++];
	*r = (struct dsn_rcpt){0};
	char code[16] = "";
	if (status)
		find_status(status, code);
	r->address = address;
	r->action = action ? trim_dup(action, strcspn(action, "(;")) : xstrdup("");
	for (char *p = r->action; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	r->status = xstrdup(code);
	r->diagnostic = diag ? one_line(diag, strlen(diag), MAX_DIAG) : xstrdup("");
	const char *d = strchr(r->diagnostic, ';');
	/* "smtp; 550 5.1.1 ...": the code after the type. */
	r->reply = find_reply(d ? d + 1 : r->diagnostic);
}

/* RFC 3464 §2.3: per-recipient groups after the per-message one. */
static void read_status(const struct buf *status, struct dsn_message *out)
{
	const char *p = buf_str(status), *end = p + status->len;
	while (p < end) {
		while (p < end && (*p == '\r' || *p == '\n'))
			p++;
		if (p >= end)
			break;
		struct fields f = {0};
		p = fields_read(p, (size_t)(end - p), &f);
		const char *orig = fields_get(&f, "Original-Recipient");
		const char *final = fields_get(&f, "Final-Recipient");
		char *a = orig ? typed_address(orig) : NULL;
		if (!a && final)
			a = typed_address(final);
		/* A recipient without an address gives nothing to act on. */
		if (a)
			add_rcpt(out, a, fields_get(&f, "Action"), fields_get(&f, "Status"),
			         fields_get(&f, "Diagnostic-Code"));
		fields_free(&f);
	}
}

/* A report whose parts libetpan could not separate (a broken boundary):
 * its delivery-status fields from the paragraph that holds the first
 * Final-Recipient line to the end. */
static void status_in_text(const struct buf *raw, struct buf *status)
{
	const char *s = buf_str(raw), *p = s;
	while ((p = find_ci(p, raw->len - (size_t)(p - s), "Final-Recipient:"))) {
		if (p == s || p[-1] == '\n')
			break;
		p++;
	}
	if (!p)
		return;
	const char *start = p;
	/* Back to the paragraph's first line (Reporting-MTA, ...). */
	while (start > s) {
		const char *q = start - 1;   /* the '\n' ending the previous line */
		const char *b = q;
		while (b > s && b[-1] != '\n')
			b--;
		if (q - b <= 1)   /* blank ("" or "\r") */
			break;
		start = b;
	}
	buf_add(status, start, raw->len - (size_t)(start - s));
}

static const char *json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Amazon SES notifications by mail: a JSON body (RFC 8259) saying
 * "Bounce" or "Complaint", with the recipients, their status and the
 * remote server's reply. Long lines may come wrapped ("\n " inserted),
 * which is undone first. Returns whether text was one. */
static bool read_ses(const char *text, size_t n, struct dsn_message *out)
{
	while (n && isspace((unsigned char)*text))
		text++, n--;
	if (!n || *text != '{')
		return false;
	struct buf j = {0};
	for (size_t i = 0; i < n; i++) {
		if (text[i] == '\r')
			continue;
		if (text[i] == '\n') {
			if (i + 1 < n && text[i + 1] == ' ')
				i++;
			continue;
		}
		buf_addc(&j, text[i]);
	}
	cJSON *root = cJSON_ParseWithLength(buf_str(&j), j.len);
	buf_free(&j);
	/* Through SNS the notification is a string inside an envelope. */
	const char *inner = root ? json_str(root, "Message") : NULL;
	if (inner) {
		cJSON *m = cJSON_Parse(inner);
		cJSON_Delete(root);
		root = m;
	}
	const char *type = root ? json_str(root, "notificationType") : NULL;
	if (!type)
		type = root ? json_str(root, "eventType") : NULL;
	bool bounce = type && !strcmp(type, "Bounce"), complaint = type && !strcmp(type, "Complaint");
	const cJSON *b = bounce ? cJSON_GetObjectItemCaseSensitive(root, "bounce")
	               : complaint ? cJSON_GetObjectItemCaseSensitive(root, "complaint") : NULL;
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(b, bounce ? "bouncedRecipients"
	                                                     : "complainedRecipients");
	if (!cJSON_IsArray(list)) {
		cJSON_Delete(root);
		return false;
	}
	out->kind = bounce ? DSN_REPORT : DSN_COMPLAINT;
	const char *btype = json_str(b, "bounceType");
	const char *ftype = json_str(b, "complaintFeedbackType");
	if (complaint) {
		free(out->feedback_type);
		out->feedback_type = xstrdup(ftype ? ftype : "abuse");
	}
	const cJSON *r;
	cJSON_ArrayForEach(r, list) {
		const char *addr = json_str(r, "emailAddress");
		char *a = addr ? first_address(addr) : NULL;
		if (!a)
			continue;
		if (complaint) {
			add_rcpt(out, a, NULL, NULL, NULL);
			continue;
		}
		const char *action = json_str(r, "action"), *status = json_str(r, "status");
		const char *diag = json_str(r, "diagnosticCode");
		add_rcpt(out, a, action ? action : "failed", status, diag);
		/* SES itself says whether it is final: only "Permanent" is. */
		if (!btype || strcmp(btype, "Permanent"))
			out->rcpts[out->nrcpts - 1].contradicted = true;
	}
	cJSON_Delete(root);
	return true;
}

/* Where the notification text of a plain-text bounce stops and the
 * returned message starts. */
static size_t notice_length(const char *s, size_t n)
{
	static const char *const marks[] = {
		"------ This is a copy of the message",
		"--- Below this line is a copy of the message",
		"----- Original message -----",
		"------ Original message ------",
		"----- Unsent message follows -----",
		"Content-Type: message/rfc822",
		"\nReturn-Path:",
		"\nReceived: ",
	};
	size_t cut = n;
	for (size_t i = 0; i < sizeof marks / sizeof *marks; i++) {
		const char *m = find_ci(s, n, marks[i]);
		if (m && (size_t)(m - s) < cut)
			cut = (size_t)(m - s);
	}
	return cut;
}

/* The words after addr in the notice, up to the next blank line or the
 * next recipient: "SMTP error from remote mail server after RCPT TO:...:
 * 550 5.1.1 ...". Caller frees. */
static char *words_about(const char *notice, size_t n, const char *addr)
{
	const char *at = find_ci(notice, n, addr);
	if (!at)
		return NULL;
	const char *p = at + strlen(addr), *end = notice + n;
	if (p < end && *p == '>')
		p++;
	const char *stop = p;
	while (stop < end) {
		const char *eol = memchr(stop, '\n', (size_t)(end - stop));
		if (!eol)
			stop = end;
		else if (stop != p && (eol == stop || (eol == stop + 1 && *stop == '\r')))
			break;   /* a blank line */
		else
			stop = eol + 1;
		if ((size_t)(stop - p) > 4 * MAX_DIAG)
			break;
	}
	/* "  other@x.org" on a line of its own starts the next recipient. */
	char *s = xstrndup(p, (size_t)(stop - p));
	return s;
}

static bool from_mailer(const struct fields *top)
{
	const char *from = fields_get(top, "From");
	return from && (has(from, "mailer-daemon") || has(from, "postmaster") ||
	                has(from, "mail delivery") || has(from, "mail system"));
}

static bool bounce_subject(const char *subject)
{
	static const char *const words[] = {
		"undeliver", "delivery status notification", "mail delivery failed",
		"returned mail", "failure notice", "delivery failure", "delivery has failed",
		"could not be delivered", "non remis", "nondeliverable", "delayed",
		"mail failure", "not delivered", "delivery problem",
	};
	if (!strncasecmp(subject, "fw", 2) || !strncasecmp(subject, "re:", 3))
		return false;   /* a person passing one on */
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (has(subject, words[i]))
			return true;
	return false;
}

/* Bounces without a delivery-status part: the failed addresses from
 * X-Failed-Recipients (Exim) or from "<addr>:" lines of the notice
 * (Postfix, qmail, sendmail), each with the words that follow it. */
static void read_text_bounce(const struct fields *top, const struct buf *text,
                             struct dsn_message *out)
{
	const char *s = buf_str(text);
	size_t n = notice_length(s, text->len);
	char **addrs = NULL;
	size_t na = 0, cap = 0;
	const char *failed = fields_get(top, "X-Failed-Recipients");
	if (failed) {
		all_addresses(failed, &addrs, &na, &cap);
	} else {
		/* Lines that start with an address in angle brackets
		 * (Postfix, qmail, sendmail), or indented lines that are
		 * nothing but an address (Exim). */
		for (const char *p = s; p < s + n;) {
			const char *eol = memchr(p, '\n', (size_t)(s + n - p));
			size_t len = (size_t)((eol ? eol : s + n) - p);
			char *line = trim_dup(p, len);
			size_t ll = strlen(line);
			char *gt = line[0] == '<' ? strchr(line, '>') : NULL;
			char *a = NULL;
			if (gt && memchr(line, '@', (size_t)(gt - line)))
				a = xstrndup(line + 1, (size_t)(gt - line - 1));
			else if (len > ll && (*p == ' ' || *p == '\t') && strchr(line, '@') &&
			         !strpbrk(line, " \t<>()\"") && strchr(strchr(line, '@'), '.'))
				a = xstrdup(line);
			if (a && !strchr(a, ' ') && na < MAX_RCPTS) {
				addrs = xgrow(addrs, &cap, na + 1, sizeof *addrs);
				addrs[na++] = a;
			} else {
				free(a);
			}
			free(line);
			p = eol ? eol + 1 : s + n;
		}
	}
	/* "has not yet been delivered", "Delayed Mail": a warning, not a failure. */
	const char *subject = fields_get(top, "Subject");
	bool delayed = find_ci(s, n, "not yet been delivered") || find_ci(s, n, "still being retried") ||
	               find_ci(s, n, "will be retried") || (subject && (has(subject, "delayed") ||
	                                                           has(subject, "warning")));
	for (size_t i = 0; i < na; i++) {
		bool dup = false;
		for (size_t j = 0; j < out->nrcpts; j++)
			dup |= !strcasecmp(out->rcpts[j].address, addrs[i]);
		char *words = dup ? NULL : words_about(s, n, addrs[i]);
		if (words) {
			char code[16] = "";
			find_status(words, code);
			add_rcpt(out, xstrdup(addrs[i]), delayed ? "delayed" : "failed", code, words);
		}
		free(words);
		free(addrs[i]);
	}
	free(addrs);
}

static bool auto_reply(const struct fields *top, const char *subject)
{
	const char *as = fields_get(top, "Auto-Submitted");
	const char *prec = fields_get(top, "Precedence");
	if (as && !has(as, "no"))
		return true;
	if (fields_get(top, "X-Autoreply") || fields_get(top, "X-Autorespond") ||
	    fields_get(top, "X-Autoresponse"))
		return true;
	if (prec && (has(prec, "auto_reply") || has(prec, "junk") || has(prec, "bulk")))
		return true;
	static const char *const words[] = { "out of office", "out of the office",
	                                     "automatic reply", "auto reply", "autoreply",
	                                     "auto-reply", "vacation", "away from" };
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (has(subject, words[i]))
			return true;
	return false;
}

static char *bare_id(const char *v)
{
	if (!v)
		return xstrdup("");
	char *a = trim_dup(v, strlen(v));
	char *lt = strchr(a, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	char *id = lt && gt ? xstrndup(lt + 1, (size_t)(gt - lt - 1)) : xstrdup(a);
	free(a);
	return id;
}

/* ---- the verdict ---- */

/* Words that say a failure is about something other than the address:
 * the mailbox is full or switched off, the message or its sender was
 * refused, or it may work later. Any of them makes a failure soft. */
static const char *const soft_words[] = {
	"full", "quota", "exceed", "storage", "over limit", "spam", "junk", "blacklist",
	"black list", "blocklist", "block list", "blocked", "dnsbl", "rbl", "spamhaus",
	"spamcop", "barracuda", "reputation", "policy", "policies", "denied", "prohibited",
	"not permitted", "not allowed", "relay", "authenticat", "spf", "dkim", "dmarc",
	"reverse dns", "ptr", "helo", "tls", "rate limit", "ratelimit", "too many",
	"frequency", "throttl", "temporar", "try again", "try later", "timed out",
	"timeout", "greylist", "graylist", "virus", "malware", "content", "message size",
	"too large", "too big", "size limit", "inactive", "disabled", "suspend",
	"deactivat", "locked", "frozen", "expired", "dormant", "on hold", "unsolicited",
	"security", "encrypt", "loop", "refused", "connect", "filter", "sender",
	/* said of the sender or the message, not of the recipient */
	"after mail from", "in reply to mail from", "after data", "end of data",
	"sending data", "after sending",
};

/* The same for the report's text for people, where boilerplate must not
 * count ("Check for typos ... and try again" follows every Gmail bounce):
 * only what plainly describes a softer failure. */
static const char *const notice_words[] = {
	"mailbox full", "mailbox is full", "quota", "disk space", "not enough space",
	"storage", "spam", "blocked", "blacklist", "block list", "policy", "suspend",
	"disabled", "inactive",
};

/* Words that say the address does not exist; they count only beside an
 * address status code from the remote server (5.1.x) or 5.5.0: a bare
 * "550 User unknown" is what some providers answer to senders their
 * readers filter out. */
static const char *const unknown_words[] = {
	"user unknown", "unknown user", "no such user", "no such recipient", "no such mailbox",
	"no such address", "no such account", "mailbox not found", "mailbox does not exist",
	"mailbox unknown", "unknown mailbox", "recipient unknown", "unknown recipient",
	"invalid recipient", "recipient invalid", "invalid mailbox", "address unknown",
	"unknown address", "does not exist", "doesn't exist", "user not found",
	"recipient not found", "address not found", "account not found",
	"not a valid mailbox", "unrouteable address", "unroutable address",
	"unknown or illegal alias", "no mailbox here", "address rejected",
	"mailbox has moved", "user has moved", "address has moved",
};

/* A domain that does not exist, beside 5.4.4 (unable to route). */
static const char *const no_domain_words[] = {
	"host or domain name not found", "domain not found", "no such domain",
	"unknown domain", "invalid domain", "domain does not exist", "nxdomain",
};

/* Big providers' own words for an address that does not exist, clear
 * without a code. */
static const char *const provider_words[] = {
	"this user doesn't have a yahoo.com account",
};

static bool any(const char *s, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (has(s, words[i]))
			return true;
	return false;
}

#define ANY(s, words) any(s, words, sizeof words / sizeof *words)

/* LF or CRLF in; CRLF out, as libetpan's parser expects. */
static void crlf(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			buf_addc(out, '\r');
		buf_addc(out, s[i]);
	}
}

int dsn_parse(const char *msg, size_t len, struct dsn_message *out, struct nk_err *e)
{
	memset(out, 0, sizeof *out);
	/* An mbox's "From " line is no header. */
	if (len >= 5 && !memcmp(msg, "From ", 5)) {
		const char *nl = memchr(msg, '\n', len);
		size_t skip = nl ? (size_t)(nl + 1 - msg) : len;
		msg += skip;
		len -= skip;
	}
	struct fields top = {0};
	fields_read(msg, len, &top);
	if (top.n == 0)
		return nk_fail(e, EX_DATAERR, "not a mail message (no header)");
	struct buf raw = {0};
	crlf(msg, len, &raw);
	struct mailmime *mime = NULL;
	size_t idx = 0;
	struct walk w = {0};
	if (mailmime_parse(buf_str(&raw), raw.len, &idx, &mime) == MAILIMF_NO_ERROR && mime)
		walk(mime, &w, 0);

	out->message_id = bare_id(fields_get(&top, "Message-ID"));
	const char *subject = fields_get(&top, "Subject");
	out->subject = trim_dup(subject ? subject : "", subject ? strlen(subject) : 0);
	size_t cap = 0;
	static const char *const to_fields[] = { "To", "Cc", "Delivered-To", "X-Original-To",
	                                         "Envelope-To" };
	for (size_t i = 0; i < top.n; i++)
		for (size_t k = 0; k < sizeof to_fields / sizeof *to_fields; k++)
			if (!strcasecmp(top.v[i].name, to_fields[k]))
				all_addresses(top.v[i].value, &out->to, &out->nto, &cap);
	/* The text with LF line ends, whatever came in. */
	struct buf t = {0};
	for (size_t i = 0; i < w.text.len && t.len < MAX_TEXT; i++)
		if (w.text.s[i] != '\r')
			buf_addc(&t, w.text.s[i]);
	out->text = buf_detach(&t);
	out->feedback_type = xstrdup("");

	struct fields orig = {0};
	if (w.have_original)
		fields_read(buf_str(&w.original), w.original.len, &orig);

	if (w.report_arf || w.feedback.len) {
		out->kind = DSN_COMPLAINT;
		struct fields f = {0};
		fields_read(buf_str(&w.feedback), w.feedback.len, &f);
		const char *type = fields_get(&f, "Feedback-Type");
		free(out->feedback_type);
		out->feedback_type = trim_dup(type ? type : "", type ? strlen(type) : 0);
		for (char *p = out->feedback_type; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		/* Who complained: Original-Rcpt-To (or an opt-out's
		 * Removal-Recipient), else the reported message's To
		 * (providers redact it sometimes). */
		const char *rcpt = fields_get(&f, "Original-Rcpt-To");
		if (!rcpt)
			rcpt = fields_get(&f, "Removal-Recipient");
		char *a = rcpt ? first_address(rcpt) : NULL;
		const char *to = fields_get(&orig, "To");
		if (!a && to)
			a = first_address(to);
		if (a)
			add_rcpt(out, a, NULL, NULL, NULL);
		fields_free(&f);
	} else if (w.report_dsn || w.status.len) {
		out->kind = DSN_REPORT;
		if (!w.status.len)
			status_in_text(&raw, &w.status);
		read_status(&w.status, out);
	} else if (read_ses(buf_str(&w.text), w.text.len, out)) {
		;   /* kind and recipients set */
	} else if (fields_get(&top, "X-Failed-Recipients") ||
	           (from_mailer(&top) && bounce_subject(out->subject))) {
		/* Bounces in words. With no text/plain part the body is the
		 * text (libetpan found nothing it could call one). */
		read_text_bounce(&top, w.have_text ? &w.text : &raw, out);
		out->kind = DSN_TEXT;
	} else if (auto_reply(&top, out->subject)) {
		out->kind = DSN_AUTOREPLY;
	}
	const char *oid = fields_get(&orig, "Message-ID");
	out->original_id = bare_id(oid);
	/* The report's words for people can contradict its codes ("550 5.1.1
	 * User unknown" under "Not enough disk space"): then nothing in it
	 * is hard. */
	if ((out->kind == DSN_REPORT || out->kind == DSN_TEXT) &&
	    ANY(out->text, notice_words))
		for (size_t i = 0; i < out->nrcpts; i++)
			out->rcpts[i].contradicted = true;
	fields_free(&orig);
	fields_free(&top);
	if (mime)
		mailmime_free(mime);
	buf_free(&raw);
	buf_free(&w.text);
	buf_free(&w.status);
	buf_free(&w.feedback);
	buf_free(&w.original);
	return 0;
}

void dsn_message_free(struct dsn_message *m)
{
	free(m->message_id);
	free(m->original_id);
	free(m->subject);
	for (size_t i = 0; i < m->nto; i++)
		free(m->to[i]);
	free(m->to);
	free(m->text);
	for (size_t i = 0; i < m->nrcpts; i++) {
		free(m->rcpts[i].address);
		free(m->rcpts[i].action);
		free(m->rcpts[i].status);
		free(m->rcpts[i].diagnostic);
	}
	free(m->rcpts);
	free(m->feedback_type);
	memset(m, 0, sizeof *m);
}

/* "5.1.1", "5.1.2", "5.1.6", "5.1.10": RFC 3463's bad destination mailbox
 * and system, mailbox moved, and RFC 7505's domain that takes no mail. */
static bool hard_code(const char *c)
{
	return !strcmp(c, "5.1.1") || !strcmp(c, "5.1.2") || !strcmp(c, "5.1.6") ||
	       !strcmp(c, "5.1.10");
}

/* Mailbox status (x.2), mail system (x.3), content (x.6) and policy
 * (x.7) codes, and the sender's address (x.1.7, x.1.8): about something
 * other than the recipient's address. */
static bool other_subject(const char *c)
{
	if (!*c || c[1] != '.')
		return false;
	return (strchr("2367", c[2]) && c[3] == '.') || !strcmp(c + 1, ".1.7") ||
	       !strcmp(c + 1, ".1.8");
}

/* diag with every address blanked, so that an address such as
 * "no-such-user@..." or "spam@..." says nothing. Caller frees. */
static char *without_addresses(const char *diag)
{
	char *s = xstrdup(diag);
	for (char *at = strchr(s, '@'); at; at = strchr(at + 1, '@')) {
		char *b = at, *e = at + 1;
		while (b > s && !isspace((unsigned char)b[-1]) && b[-1] != '<' && b[-1] != '(')
			b--;
		while (*e && !isspace((unsigned char)*e) && *e != '>' && *e != ')')
			e++;
		memset(b, '_', (size_t)(e - b));
		at = e - 1;
	}
	return s;
}

enum dsn_verdict dsn_classify(const struct dsn_rcpt *r)
{
	if (!strncmp(r->action, "delivered", 9) || !strncmp(r->action, "relayed", 7) ||
	    !strncmp(r->action, "expanded", 8))
		return DSN_NONE;
	if (!strncmp(r->action, "delayed", 7))
		return DSN_SOFT;
	/* "smtp; 550 5.1.1 ...": the type, then what the remote server said,
	 * whose own code may be more specific than the report's Status. */
	const char *d = r->diagnostic, *semi = strchr(d, ';');
	char type[16] = "";
	if (semi && semi - d < (ptrdiff_t)sizeof type && !memchr(d, ' ', (size_t)(semi - d)))
		snprintf(type, sizeof type, "%.*s", (int)(semi - d), d);
	const char *words = semi && *type ? semi + 1 : d;
	char said[16] = "";
	find_status(words, said);
	char cls = r->status[0] ? r->status[0] : said[0] ? said[0]
	         : r->reply ? (char)('0' + r->reply / 100) : '?';
	if (cls == '2')
		return DSN_NONE;
	if (cls != '5' || (said[0] && said[0] != '5') || (r->reply && r->reply / 100 != 5))
		return DSN_SOFT;
	if (r->contradicted || other_subject(r->status) || other_subject(said))
		return DSN_SOFT;
	/* A local delivery program's failure (x-unix; procmail: ...) is
	 * about that machine, not the address. */
	if (*type && strcasecmp(type, "smtp") && strcasecmp(type, "x-postfix"))
		return DSN_SOFT;
	char *text = without_addresses(words);
	enum dsn_verdict v = DSN_SOFT;
	if (ANY(text, soft_words))
		v = DSN_SOFT;
	else if (hard_code(r->status) || hard_code(said))
		v = DSN_HARD;
	else if ((!strcmp(r->status, "5.4.4") || !strcmp(said, "5.4.4")) &&
	         ANY(text, no_domain_words))
		v = DSN_HARD;
	else if ((!strncmp(said, "5.1.", 4) || !strcmp(said, "5.5.0")) && ANY(text, unknown_words))
		v = DSN_HARD;
	else if (ANY(text, provider_words))
		v = DSN_HARD;
	free(text);
	return v;
}
