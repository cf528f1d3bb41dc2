/* mime.c — the digest as RFC 5322 + MIME bytes (see mime.h).
 *
 * A letter is made once per tier: the header fields every copy shares,
 * folded, and the text of both parts with every line that holds no
 * per-recipient value already encoded. A copy only writes its own fields
 * and encodes its own few lines. We write the bytes ourselves, not with
 * libetpan: its writer cannot leave holes, and we had already replaced
 * most of what it did (quoted-printable, From and To, Date, Message-ID,
 * the boundary, its folding) where it got them wrong. */
#include "mime.h"
#include "address.h"
#include "base64.h"
#include "rfc2047.h"
#include "utf8.h"
#include "xalloc.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest values accepted; each keeps its header line under the 998-octet
 * limit even where it cannot be folded. */
#define MAX_SUBJECT 1000
#define MAX_MSGID 250
#define MAX_LISTID 255
#define MAX_URL 900
#define QP_LINE 76
#define FOLD_AT 78

/* ---- validation ---- */

static bool absent(const char *s)
{
	return !s || !*s;
}

/* Control characters first: they are what could add a header. */
static int check_value(const char *field, const char *v, size_t max,
		       struct nk_err *e)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return nk_fail(e, EX_DATAERR, "%s holds control "
				       "character 0x%02X", field, *p);
	if (strlen(v) > max)
		return nk_fail(e, EX_DATAERR, "%s is longer than %zu bytes",
			       field, max);
	if (!utf8_valid(v, strlen(v)))
		return nk_fail(e, EX_DATAERR, "%s is not valid UTF-8", field);
	return 0;
}

static int check_addr(const char *field, const char *v, struct nk_err *e)
{
	char why[128];
	if (absent(v))
		return nk_fail(e, EX_DATAERR, "%s is missing", field);
	int rc = check_value(field, v, 254, e);
	if (rc)
		return rc;
	if (!address_valid(v, why, sizeof why))
		return nk_fail(e, EX_DATAERR, "%s: %s", field, why);
	return 0;
}

static bool printable_ascii(const char *s, const char *banned)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr(banned, *p))
			return false;
	return true;
}

static int check_msgid(const char *v, struct nk_err *e)
{
	if (absent(v))
		return nk_fail(e, EX_DATAERR, "message_id is missing");
	int rc = check_value("message_id", v, MAX_MSGID, e);
	if (rc)
		return rc;
	const char *at = strchr(v, '@');
	if (!printable_ascii(v, "<>") || !at || at == v || !at[1] ||
	    strchr(at + 1, '@'))
		return nk_fail(e, EX_DATAERR, "message_id must be printable "
			       "ASCII left@right without <>: \"%s\"", v);
	return 0;
}

/* RFC 2919: a dot-atom with at least one dot. Accepted with or without its
 * angle brackets; *id is set to the bare form, which the caller frees. */
static int check_list_id(const char *v, char **id, struct nk_err *e)
{
	int rc = check_value("list_id", v, MAX_LISTID, e);
	if (rc)
		return rc;
	size_t n = strlen(v);
	if (n >= 2 && v[0] == '<' && v[n - 1] == '>')
		*id = xstrndup(v + 1, n - 2);
	else
		*id = xstrdup(v);
	const char *s = *id;
	bool ok = *s && *s != '.' && s[strlen(s) - 1] != '.' &&
		  strchr(s, '.') && !strstr(s, "..");
	for (; ok && *s; s++)
		ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		     (*s >= '0' && *s <= '9') ||
		     strchr(".!#$%&'*+-/=?^_`{|}~", *s);
	if (!ok) {
		free(*id);
		*id = NULL;
		return nk_fail(e, EX_DATAERR, "list_id must look like "
			       "<label.example.org>: \"%s\"", v);
	}
	return 0;
}

static int check_url(const char *v, struct nk_err *e)
{
	int rc = check_value("unsubscribe_url", v, MAX_URL, e);
	if (rc)
		return rc;
	size_t scheme = strncasecmp(v, "https://", 8) == 0 ? 8 :
			strncasecmp(v, "http://", 7) == 0 ? 7 : 0;
	if (!scheme || !v[scheme] || !printable_ascii(v, "<>\"\\"))
		return nk_fail(e, EX_DATAERR, "unsubscribe_url must be an "
			       "http(s) URL without spaces or <>: \"%s\"", v);
	return 0;
}

/* What every copy shares (mime_letter_new). */
static int check_common(const struct mime_msg *m, bool subject, struct nk_err *e)
{
	int rc;
	if ((rc = check_addr("from_addr", m->from_addr, e)))
		return rc;
	if (!absent(m->unsubscribe_mailto) &&
	    (rc = check_addr("unsubscribe_mailto", m->unsubscribe_mailto, e)))
		return rc;
	if (!absent(m->from_name) &&
	    (rc = check_value("from_name", m->from_name, MIME_MAX_NAME, e)))
		return rc;
	if (!absent(m->list_id_name) &&
	    (rc = check_value("list_id_name", m->list_id_name, MIME_MAX_NAME, e)))
		return rc;
	if (subject && !m->subject)
		return nk_fail(e, EX_DATAERR, "subject is missing");
	if (subject && (rc = check_value("subject", m->subject, MAX_SUBJECT, e)))
		return rc;
	return 0;
}

/* What is each copy's own (mime_letter_write). */
static int check_copy(const struct mime_copy *c, bool subject, struct nk_err *e)
{
	int rc;
	if ((rc = check_addr("to_addr", c->to_addr, e)))
		return rc;
	if (!absent(c->to_name) &&
	    (rc = check_value("to_name", c->to_name, MIME_MAX_NAME, e)))
		return rc;
	if (subject && !c->subject)
		return nk_fail(e, EX_DATAERR, "subject is missing");
	if (subject && (rc = check_value("subject", c->subject, MAX_SUBJECT, e)))
		return rc;
	if ((rc = check_msgid(c->message_id, e)))
		return rc;
	if (!absent(c->unsubscribe_url) && (rc = check_url(c->unsubscribe_url, e)))
		return rc;
	if (c->unsubscribe_subject &&
	    (rc = check_value("unsubscribe_subject", c->unsubscribe_subject,
			      MIME_MAX_NAME * 2, e)))
		return rc;
	return 0;
}

/* ---- encoding ---- */

/* Bytes quoted-printable may carry as they are (RFC 2045 §6.7(2)): printable
 * ASCII except '='. Space and tab are decided by position. */
static bool qp_safe(unsigned char c)
{
	return c >= 33 && c <= 126 && c != '=';
}

/* Whether p[j] may be written as it is at output column col of a line of
 * len bytes. A space or tab ending a line is encoded (RFC 2045 §6.7(3));
 * so are "From " and "." starting a line, which mbox writers and SMTP
 * servers would otherwise alter (libcurl dot-stuffs too, but an encoded '.'
 * costs nothing). */
static bool qp_plain(const char *p, size_t len, size_t j, size_t col)
{
	unsigned char c = (unsigned char)p[j];
	if (c == ' ' || c == '\t')
		return j + 1 < len;
	if (!qp_safe(c))
		return false;
	if (col == 0 && (c == '.' || (len - j >= 5 && !memcmp(p + j, "From ", 5))))
		return false;
	return true;
}

/* One line (no line end) as quoted-printable output lines of at most 76
 * characters, soft breaks ("=" CRLF) between them. Staged in a local array:
 * this runs for every byte of every message. */
static void qp_line(const char *p, size_t len, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	char line[QP_LINE + 4];
	size_t col = 0;
	for (size_t j = 0; j < len; j++) {
		bool eol = j + 1 == len;
		bool plain = qp_plain(p, len, j, col);
		/* Room for the '=' of a soft break unless the line ends here. */
		if (col + (plain ? 1 : 3) > (eol ? QP_LINE : QP_LINE - 1)) {
			buf_add(out, line, col);
			buf_add(out, "=\r\n", 3);
			col = 0;
			plain = qp_plain(p, len, j, col);
		}
		unsigned char c = (unsigned char)p[j];
		if (plain) {
			line[col++] = (char)c;
		} else {
			line[col++] = '=';
			line[col++] = hex[c >> 4];
			line[col++] = hex[c & 15];
		}
	}
	buf_add(out, line, col);
}

/* Quoted-printable with CRLF line ends ("\n" and "\r\n" both end a line).
 * Each line is encoded on its own, so the encoding of a text is the
 * encodings of its lines put together: what lets a letter encode its
 * shared lines once. */
static void qp_encode(const char *s, size_t n, struct buf *out)
{
	size_t i = 0;
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - s) : n;
		size_t e = end > i && nl && s[end - 1] == '\r' ? end - 1 : end;
		qp_line(s + i, e - i, out);
		if (nl)
			buf_add(out, "\r\n", 2);
		i = nl ? end + 1 : n;
	}
}

/* ---- quoted-printable or base64 ----
 *
 * Quoted-printable keeps mostly-ASCII text readable and small, but spends
 * three bytes on every byte above 127: a Korean digest grows to nearly
 * three times its size, where base64 costs a third more whatever the text.
 * Each part takes whichever of the two is shorter; quoted-printable when
 * they tie. */

#define B64_LINE_BYTES 57   /* 76 characters of base64 per line */

/* Bytes of s[0..n) in canonical form (RFC 2045 §6.8: lines end in CRLF). */
static size_t canonical_len(const char *s, size_t n)
{
	size_t len = n;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			len++;
	return len;
}

/* Size of the base64 of len bytes in 76-character lines, CRLF between. */
static size_t b64_size(size_t len)
{
	size_t chars = (len + 2) / 3 * 4;
	size_t lines = (chars + 75) / 76;
	return chars + (lines ? lines - 1 : 0) * 2;
}

/* Base64 of the canonical form of s[0..n) in 76-character lines, CRLF
 * between them and none after the last (the delimiter brings its own). */
static void b64_encode(const char *s, size_t n, struct buf *out)
{
	struct buf canon = {0};
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			buf_addc(&canon, '\r');
		buf_addc(&canon, s[i]);
	}
	for (size_t i = 0; i < canon.len; i += B64_LINE_BYTES) {
		size_t k = canon.len - i < B64_LINE_BYTES ? canon.len - i : B64_LINE_BYTES;
		if (i)
			buf_add(out, "\r\n", 2);
		base64_encode(out, canon.s + i, k, BASE64_STD);
	}
	buf_free(&canon);
}

size_t mime_part_size(const char *body, size_t n)
{
	struct buf qp = {0};
	qp_encode(body, n, &qp);
	size_t size = qp.len, b64 = b64_size(canonical_len(body, n));
	buf_free(&qp);
	return b64 < size ? b64 : size;
}

/* "name <addr>", or the bare address when there is no name. */
static void mailbox(const char *name, const char *addr, struct buf *b)
{
	if (!absent(name)) {
		rfc2047_encode_phrase(name, b);
		buf_adds(b, " <");
		buf_adds(b, addr);
		buf_addc(b, '>');
	} else {
		buf_adds(b, addr);
	}
}

/* RFC 6068: s in a mailto: URI with what URIs reserve escaped, and more in
 * a header value ("?" "&" "=" "%"). */
static void mailto_escape(const char *s, const char *keep, struct buf *out)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(keep, *p))
			buf_addc(out, (char)*p);
		else
			buf_printf(out, "%%%02X", *p);
	}
}

/* FNV-1a: only to vary the boundary between messages, not for secrecy. */
static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *u = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ u[i]) * 0x100000001b3ULL;
	return h;
}

/* The whole message must be CRLF lines of at most 998 octets: the last
 * guard between data and the SMTP stream. */
static bool wire_ok(const char *s, size_t n)
{
	size_t line = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r') {
			if (i + 1 >= n || s[i + 1] != '\n')
				return false;
			i++;
			line = 0;
		} else if (s[i] == '\n' || ++line > 998) {
			return false;
		}
	}
	return true;
}

/* ---- header fields ---- */

/* Appends "Name: value" CRLF, folded at the value's spaces so that lines
 * stay within 78 characters where a word allows (RFC 5322 §2.2.3); a word
 * longer than that stays whole on its own line. Every value written here
 * has single spaces (encoded words, a one-line subject, a mailbox), and no
 * CR or LF (checked before). */
static void field(struct buf *out, const char *name, const char *value)
{
	buf_adds(out, name);
	buf_addc(out, ':');
	size_t col = strlen(name) + 1;
	for (const char *p = value; *p;) {
		size_t n = strcspn(p, " ");
		if (col + 1 + n > FOLD_AT && p != value) {
			buf_adds(out, "\r\n ");
			col = 1;
		} else {
			buf_addc(out, ' ');
			col++;
		}
		buf_add(out, p, n);
		col += n;
		p += n;
		p += strspn(p, " ");
	}
	buf_adds(out, "\r\n");
}

/* RFC 5322 §3.3, in UTC, with English names whatever the locale. */
static int date_field(time_t t, struct buf *out, struct nk_err *e)
{
	static const char days[][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	if (!gmtime_r(&t, &tm) || tm.tm_year < 0 || tm.tm_year > 9999 - 1900)
		return nk_fail(e, EX_DATAERR, "date out of range");
	buf_printf(out, "Date: %s, %d %s %d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday],
		   tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
		   tm.tm_min, tm.tm_sec);
	return 0;
}

/* ---- letters ---- */

/* A run of a part: its bytes are in the part's `data` at off, already
 * quoted-printable (or raw, for a base64 part); a dynamic run is the
 * copy's, given to mime_letter_write. */
struct run {
	bool dynamic;
	size_t off, len;
};

struct part {
	bool base64;
	struct buf head;        /* delimiter and the part's own header */
	struct buf data;
	struct run *runs;
	size_t nruns, ndynamic;
};

struct mime_letter {
	char boundary[32];
	bool own_subject;       /* every copy brings its subject */
	char *mailto;           /* the unsubscribe address, or NULL */
	struct buf from, subject, list_id, tail;
	struct part text, html;
};

static void part_make(struct part *pt, const char *type, const struct mime_body *b,
		      const char *boundary)
{
	/* QP or base64 by the size of the whole text, values left out. */
	struct buf raw = {0}, qp = {0};
	for (size_t i = 0; i < b->n; i++)
		buf_add(&raw, b->runs[i].text, b->runs[i].len);
	qp_encode(buf_str(&raw), raw.len, &qp);
	pt->base64 = b64_size(canonical_len(buf_str(&raw), raw.len)) < qp.len;
	buf_free(&raw);
	buf_free(&qp);

	buf_printf(&pt->head, "--%s\r\nContent-Type: %s; charset=\"utf-8\"\r\n"
		   "Content-Transfer-Encoding: %s\r\n\r\n", boundary, type,
		   pt->base64 ? "base64" : "quoted-printable");
	pt->runs = xcalloc(b->n ? b->n : 1, sizeof *pt->runs);
	pt->nruns = b->n;
	for (size_t i = 0; i < b->n; i++) {
		struct run *r = &pt->runs[i];
		r->dynamic = b->runs[i].dynamic;
		r->off = pt->data.len;
		if (r->dynamic)
			pt->ndynamic++;
		else if (pt->base64)
			buf_add(&pt->data, b->runs[i].text, b->runs[i].len);
		else
			qp_encode(b->runs[i].text, b->runs[i].len, &pt->data);
		r->len = pt->data.len - r->off;
	}
}

static void part_free(struct part *pt)
{
	buf_free(&pt->head);
	buf_free(&pt->data);
	free(pt->runs);
}

int mime_letter_new(const struct mime_msg *m, const struct mime_body *text,
		    const struct mime_body *html, struct mime_letter **out,
		    struct nk_err *e)
{
	*out = NULL;
	bool own_subject = !m->subject;
	int rc = check_common(m, !own_subject, e);
	if (rc)
		return rc;
	char *list_id = NULL;
	if (!absent(m->list_id) && (rc = check_list_id(m->list_id, &list_id, e)))
		return rc;

	struct mime_letter *l = xcalloc(1, sizeof *l);
	l->own_subject = own_subject;
	l->mailto = absent(m->unsubscribe_mailto) ? NULL : xstrdup(m->unsubscribe_mailto);
	/* The boundary starts with "=_", which neither quoted-printable nor
	 * base64 text can hold, so it needs no secrecy; the hash only varies it
	 * between editions and tiers. */
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < text->n; i++)
		h = fnv1a(h, text->runs[i].text, text->runs[i].len);
	h = fnv1a(h, m->from_addr, strlen(m->from_addr));
	snprintf(l->boundary, sizeof l->boundary, "=_nkdigest_%016llx", (unsigned long long)h);

	struct buf b = {0};
	mailbox(m->from_name, m->from_addr, &b);
	field(&l->from, "From", buf_str(&b));
	buf_truncate(&b, 0);
	if (!own_subject) {
		rfc2047_encode_text(m->subject, &b);
		field(&l->subject, "Subject", buf_str(&b));
		buf_truncate(&b, 0);
	}
	if (list_id) {
		if (!absent(m->list_id_name)) {
			rfc2047_encode_phrase(m->list_id_name, &b);
			buf_addc(&b, ' ');
		}
		buf_printf(&b, "<%s>", list_id);
		field(&l->list_id, "List-Id", buf_str(&b));
		free(list_id);
	}
	buf_free(&b);
	/* Bulk mail that wants no out-of-office replies: the traditional
	 * marker, RFC 3834's, and Microsoft Exchange's. */
	buf_printf(&l->tail, "Precedence: bulk\r\nAuto-Submitted: auto-generated\r\n"
		   "X-Auto-Response-Suppress: All\r\nMIME-Version: 1.0\r\n"
		   "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n",
		   l->boundary);
	part_make(&l->text, "text/plain", text, l->boundary);
	part_make(&l->html, "text/html", html, l->boundary);

	/* The shared bytes are checked here once; a copy checks its own. */
	bool ok = wire_ok(buf_str(&l->from), l->from.len) &&
		  wire_ok(buf_str(&l->subject), l->subject.len) &&
		  wire_ok(buf_str(&l->list_id), l->list_id.len) &&
		  (l->text.base64 || wire_ok(buf_str(&l->text.data), l->text.data.len)) &&
		  (l->html.base64 || wire_ok(buf_str(&l->html.data), l->html.data.len));
	if (!ok) {
		mime_letter_free(l);
		return nk_fail(e, EX_SOFTWARE, "message has a bare CR or LF or an over-long "
			       "line");
	}
	*out = l;
	return 0;
}

void mime_letter_free(struct mime_letter *l)
{
	if (!l)
		return;
	free(l->mailto);
	buf_free(&l->from);
	buf_free(&l->subject);
	buf_free(&l->list_id);
	buf_free(&l->tail);
	part_free(&l->text);
	part_free(&l->html);
	free(l);
}

/* List-Unsubscribe (RFC 2369), folded after the colon and after each comma,
 * never inside a URL's brackets; List-Unsubscribe-Post (RFC 8058) for an
 * https URI only. */
static void unsubscribe_fields(const struct mime_letter *l, const struct mime_copy *c,
			       struct buf *out)
{
	bool url = !absent(c->unsubscribe_url);
	if (!url && !l->mailto)
		return;
	buf_adds(out, "List-Unsubscribe:");
	if (url)
		buf_printf(out, "\r\n <%s>%s", c->unsubscribe_url, l->mailto ? "," : "");
	if (l->mailto) {
		buf_adds(out, "\r\n <mailto:");
		mailto_escape(l->mailto, "-._~!$'()*+,;:@", out);
		buf_adds(out, "?subject=");
		mailto_escape(c->unsubscribe_subject ? c->unsubscribe_subject : "unsubscribe",
			      "-._~!$'()*+,;:@", out);
		buf_addc(out, '>');
	}
	buf_adds(out, "\r\n");
	if (url && strncasecmp(c->unsubscribe_url, "https://", 8) == 0)
		buf_adds(out, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
}

static int part_write(const struct part *pt, const struct buf *dyn, size_t ndyn,
		      struct buf *out, struct nk_err *e)
{
	if (ndyn != pt->ndynamic)
		return nk_fail(e, EX_SOFTWARE, "mime_letter_write: %zu lines given for %zu "
			       "holes", ndyn, pt->ndynamic);
	buf_add(out, pt->head.s, pt->head.len);
	const char *data = buf_str(&pt->data);
	size_t d = 0;
	if (!pt->base64) {
		for (size_t i = 0; i < pt->nruns; i++) {
			const struct run *r = &pt->runs[i];
			if (r->dynamic)
				qp_encode(buf_str(&dyn[d]), dyn[d].len, out), d++;
			else
				buf_add(out, data + r->off, r->len);
		}
	} else {
		/* Base64 has no lines of its own: the whole part is encoded. */
		struct buf raw = {0};
		for (size_t i = 0; i < pt->nruns; i++) {
			const struct run *r = &pt->runs[i];
			if (r->dynamic)
				buf_add(&raw, dyn[d].s, dyn[d].len), d++;
			else
				buf_add(&raw, data + r->off, r->len);
		}
		b64_encode(buf_str(&raw), raw.len, out);
		buf_free(&raw);
	}
	buf_adds(out, "\r\n");
	return 0;
}

int mime_letter_write(const struct mime_letter *l, const struct mime_copy *c,
		      struct buf *out, struct nk_err *e)
{
	int rc = check_copy(c, l->own_subject, e);
	if (rc)
		return rc;
	size_t start = out->len;
	if ((rc = date_field(c->date, out, e)))
		return rc;
	buf_add(out, l->from.s, l->from.len);
	struct buf b = {0};
	mailbox(c->to_name, c->to_addr, &b);
	field(out, "To", buf_str(&b));
	if (l->own_subject) {
		buf_truncate(&b, 0);
		rfc2047_encode_text(c->subject, &b);
		field(out, "Subject", buf_str(&b));
	} else {
		buf_add(out, l->subject.s, l->subject.len);
	}
	buf_free(&b);
	buf_printf(out, "Message-ID: <%s>\r\n", c->message_id);
	buf_add(out, l->list_id.s, l->list_id.len);
	unsubscribe_fields(l, c, out);
	if (!wire_ok(out->s + start, out->len - start)) {
		buf_truncate(out, start);
		return nk_fail(e, EX_SOFTWARE, "message has a bare CR or LF or an over-long "
			       "line");
	}
	buf_add(out, l->tail.s, l->tail.len);
	if ((rc = part_write(&l->text, c->text, c->ntext, out, e)) ||
	    (rc = part_write(&l->html, c->html, c->nhtml, out, e))) {
		buf_truncate(out, start);
		return rc;
	}
	buf_printf(out, "--%s--\r\n", l->boundary);
	return 0;
}

int mime_build(const struct mime_msg *m, struct buf *out, struct nk_err *e)
{
	if ((!m->text && m->text_len) || (!m->html && m->html_len))
		return nk_fail(e, EX_SOFTWARE, "mime_build: body is NULL");
	struct mime_run tr = { m->text ? m->text : "", m->text_len, false };
	struct mime_run hr = { m->html ? m->html : "", m->html_len, false };
	struct mime_body text = { &tr, 1 }, html = { &hr, 1 };
	struct mime_letter *l;
	/* Every copy's own fields are checked first, as before the letter. */
	struct mime_copy c = {
		.to_name = m->to_name,
		.to_addr = m->to_addr,
		.message_id = m->message_id,
		.date = m->date,
		.unsubscribe_url = m->unsubscribe_url,
		.unsubscribe_subject = m->unsubscribe_subject,
	};
	int rc = check_copy(&c, false, e);
	if (!rc)
		rc = mime_letter_new(m, &text, &html, &l, e);
	if (!rc) {
		rc = mime_letter_write(l, &c, out, e);
		mime_letter_free(l);
	}
	return rc;
}
