/* mime.c — the digest as RFC 5322 + MIME bytes (see mime.h).
 * libetpan builds and writes the message; around it we check every header
 * value, do the RFC 2047 and transfer encoding, and pick Date, Message-ID
 * and the boundary, where libetpan gets each of them wrong. */
#include "mime.h"
#include "address.h"
#include "base64.h"
#include "rfc2047.h"
#include "utf8.h"
#include "xalloc.h"

#include <libetpan/clist.h>
#include <libetpan/mailimf_types.h>
#include <libetpan/mailimf_types_helper.h>
#include <libetpan/mailmime_types.h>
#include <libetpan/mailmime_types_helper.h>
#include <libetpan/mailmime_write_mem.h>
#include <libetpan/mmapstring.h>

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

/* libetpan reports allocation failure by returning NULL or an error code;
 * like xalloc we give up, the only other failures being our own bugs. */
static void *need(void *p)
{
	if (!p)
		xalloc_die();
	return p;
}

static void must(int r)
{
	if (r != MAILIMF_NO_ERROR)
		need(NULL);
}

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

static int check_msg(const struct mime_msg *m, struct nk_err *e)
{
	int rc;
	if ((rc = check_addr("from_addr", m->from_addr, e)) ||
	    (rc = check_addr("to_addr", m->to_addr, e)))
		return rc;
	if (!absent(m->unsubscribe_mailto) &&
	    (rc = check_addr("unsubscribe_mailto", m->unsubscribe_mailto, e)))
		return rc;
	if (!absent(m->from_name) &&
	    (rc = check_value("from_name", m->from_name, MIME_MAX_NAME, e)))
		return rc;
	if (!absent(m->to_name) &&
	    (rc = check_value("to_name", m->to_name, MIME_MAX_NAME, e)))
		return rc;
	if (!absent(m->list_id_name) &&
	    (rc = check_value("list_id_name", m->list_id_name, MIME_MAX_NAME, e)))
		return rc;
	if (!m->subject)
		return nk_fail(e, EX_DATAERR, "subject is missing");
	if ((rc = check_value("subject", m->subject, MAX_SUBJECT, e)) ||
	    (rc = check_msgid(m->message_id, e)))
		return rc;
	if (!absent(m->unsubscribe_url) &&
	    (rc = check_url(m->unsubscribe_url, e)))
		return rc;
	if (m->unsubscribe_subject &&
	    (rc = check_value("unsubscribe_subject", m->unsubscribe_subject,
			      MIME_MAX_NAME * 2, e)))
		return rc;
	if ((!m->text && m->text_len) || (!m->html && m->html_len))
		return nk_fail(e, EX_SOFTWARE, "mime_build: body is NULL");
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
 * libetpan's own encoder writes a line's trailing space twice (literally and
 * then as "=20"), changing the text, so the part is handed over encoded. */
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

/* One part's body, encoded, and how. */
struct encoded {
	struct buf body;
	int mechanism;   /* MAILMIME_MECHANISM_QUOTED_PRINTABLE or _BASE64 */
};

static void encode_part(const char *s, size_t n, struct encoded *enc)
{
	memset(enc, 0, sizeof *enc);
	qp_encode(s, n, &enc->body);
	enc->mechanism = MAILMIME_MECHANISM_QUOTED_PRINTABLE;
	if (b64_size(canonical_len(s, n)) < enc->body.len) {
		buf_free(&enc->body);
		b64_encode(s, n, &enc->body);
		enc->mechanism = MAILMIME_MECHANISM_BASE64;
	}
}

size_t mime_part_size(const char *body, size_t n)
{
	struct encoded enc;
	encode_part(body, n, &enc);
	size_t size = enc.body.len;
	buf_free(&enc.body);
	return size;
}

/* "name <addr>", or the bare address when there is no name. */
static char *mailbox(const char *name, const char *addr)
{
	struct buf b = {0};
	if (!absent(name)) {
		rfc2047_encode_phrase(name, &b);
		buf_adds(&b, " <");
		buf_adds(&b, addr);
		buf_addc(&b, '>');
	} else {
		buf_adds(&b, addr);
	}
	return buf_detach(&b);
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

/* ---- libetpan ---- */

/* Adds a header libetpan writes as given, folding only at spaces. Takes
 * copies: libetpan frees both strings with the fields. */
static void add_custom(struct mailimf_fields *f, const char *name,
		       const char *value)
{
	struct mailimf_field *fld =
		need(mailimf_field_new_custom(xstrdup(name), xstrdup(value)));
	must(mailimf_fields_add(f, fld));
}

static struct mailimf_fields *header_fields(const struct mime_msg *m,
					    const struct tm *tm,
					    const char *list_id)
{
	struct mailimf_fields *f = need(mailimf_fields_new_empty());
	struct buf b = {0};
	char *s;

	/* Written by libetpan as "%+05i" of the zone we give: 0 is "+0000".
	 * mailimf_fields_add_data() adds one field per call here so the
	 * headers come out in the order added; it takes over the date and
	 * the strings. */
	must(mailimf_fields_add_data(f, need(mailimf_date_time_new(
		tm->tm_mday, tm->tm_mon + 1, tm->tm_year + 1900, tm->tm_hour,
		tm->tm_min, tm->tm_sec, 0)), NULL, NULL, NULL, NULL, NULL,
		NULL, NULL, NULL, NULL, NULL));

	/* From and To go in as prepared text: libetpan's mailbox writer puts
	 * quotes around any display name that is not plain atoms (breaking our
	 * encoded-words and quoted strings) and copies CR/LF straight in. */
	s = mailbox(m->from_name, m->from_addr);
	add_custom(f, "From", s);
	free(s);
	s = mailbox(m->to_name, m->to_addr);
	add_custom(f, "To", s);
	free(s);

	rfc2047_encode_text(m->subject, &b);
	must(mailimf_fields_add_data(f, NULL, NULL, NULL, NULL, NULL, NULL,
		NULL, NULL, NULL, NULL, buf_detach(&b)));
	must(mailimf_fields_add_data(f, NULL, NULL, NULL, NULL, NULL, NULL,
		NULL, xstrdup(m->message_id), NULL, NULL, NULL));

	if (list_id) {
		if (!absent(m->list_id_name)) {
			rfc2047_encode_phrase(m->list_id_name, &b);
			buf_addc(&b, ' ');
		}
		buf_printf(&b, "<%s>", list_id);
		add_custom(f, "List-Id", buf_str(&b));
		buf_free(&b);
	}

	return f;
}

/* The fields libetpan would fold its own way (or not at all), written
 * here as finished lines; mime_build() puts them before MIME-Version.
 * List-Unsubscribe (RFC 2369) is folded after the colon and after each
 * comma, never inside a URL's brackets. */
static void bulk_fields(const struct mime_msg *m, struct buf *out)
{
	bool url = !absent(m->unsubscribe_url), mailto = !absent(m->unsubscribe_mailto);
	if (url || mailto) {
		buf_adds(out, "List-Unsubscribe:");
		if (url)
			buf_printf(out, "\r\n <%s>%s", m->unsubscribe_url,
				   mailto ? "," : "");
		if (mailto) {
			buf_adds(out, "\r\n <mailto:");
			mailto_escape(m->unsubscribe_mailto, "-._~!$'()*+,;:@", out);
			buf_adds(out, "?subject=");
			mailto_escape(m->unsubscribe_subject ? m->unsubscribe_subject
				      : "unsubscribe", "-._~!$'()*+,;:@", out);
			buf_addc(out, '>');
		}
		buf_adds(out, "\r\n");
	}
	/* RFC 8058 one-click applies to an https URI only. */
	if (url && strncasecmp(m->unsubscribe_url, "https://", 8) == 0)
		buf_adds(out, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
	/* Bulk mail that wants no out-of-office replies: the traditional
	 * marker, RFC 3834's, and Microsoft Exchange's. */
	buf_adds(out, "Precedence: bulk\r\n"
		 "Auto-Submitted: auto-generated\r\n"
		 "X-Auto-Response-Suppress: All\r\n");
}

/* A text part holding enc, already encoded: enc is borrowed and must
 * outlive the write. */
static struct mailmime *text_part(const char *type, const struct encoded *enc)
{
	struct mailmime_content *ct = need(mailmime_content_new_with_str(type));
	if (!ct->ct_parameters)
		ct->ct_parameters = need(clist_new());
	/* Unlike the other constructors this one copies its arguments. */
	struct mailmime_parameter *cs =
		need(mailmime_param_new_with_data("charset", "utf-8"));
	must(clist_append(ct->ct_parameters, cs));
	struct mailmime_fields *mf = need(mailmime_fields_new_encoding(enc->mechanism));
	struct mailmime *part = need(mailmime_new_empty(ct, mf));
	part->mm_data.mm_single = need(mailmime_data_new_data(
		enc->mechanism, 1, buf_str(&enc->body), enc->body.len));
	return part;
}

/* libetpan's boundary is time, unseeded random() and pid: predictable, so
 * a feed could plant it in a body. Ours starts with "=_", which can never
 * occur in quoted-printable or base64 text, so it needs no secrecy. */
static void set_boundary(struct mailmime *mp, const struct mime_msg *m)
{
	uint64_t h = fnv1a(0xcbf29ce484222325ULL, m->message_id,
			   strlen(m->message_id));
	h = fnv1a(h, &m->date, sizeof m->date);
	char *value = xasprintf("=_nkdigest_%016llx", (unsigned long long)h);
	for (clistiter *it = clist_begin(mp->mm_content_type->ct_parameters);
	     it; it = clist_next(it)) {
		struct mailmime_parameter *p = clist_content(it);
		if (strcasecmp(p->pa_name, "boundary") == 0) {
			free(p->pa_value);
			p->pa_value = value;
			return;
		}
	}
	/* mailmime_multiple_new always sets a boundary parameter. */
	free(value);
	abort();
}

static bool field_name_only(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return n > 0;
}

/* libetpan folds before a field's first word when that word would pass
 * column 72 ("List-Unsubscribe: " CRLF " <https://...>") and writes
 * "Subject: " for an empty value. Both leave a line ending in white space,
 * and the fold makes the value start with some, which unstructured fields
 * keep. So such a fold is joined back and such a space dropped. */
static void copy_fixed(const char *s, size_t n, struct buf *out)
{
	const char *sep = memmem(s, n, "\r\n\r\n", 4);
	const char *hend = sep ? sep + 2 : s + n;
	const char *p = s;
	bool field_start = true;
	while (p < hend) {
		const char *eol = memmem(p, (size_t)(hend - p), "\r\n", 2);
		if (!eol)
			break;
		size_t len = (size_t)(eol - p);
		bool bare = field_start && len >= 2 && p[len - 2] == ':' &&
			    p[len - 1] == ' ' && field_name_only(p, len - 2);
		field_start = true;
		if (bare && eol + 2 < hend && eol[2] == ' ') {
			buf_add(out, p, len);
			p = eol + 3;
			field_start = false;
		} else if (bare) {
			buf_add(out, p, len - 1);
			buf_add(out, "\r\n", 2);
			p = eol + 2;
		} else {
			buf_add(out, p, len + 2);
			p = eol + 2;
		}
	}
	buf_add(out, p, (size_t)(s + n - p));
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

int mime_build(const struct mime_msg *m, struct buf *out, struct nk_err *e)
{
	int rc = check_msg(m, e);
	if (rc)
		return rc;
	struct tm tm;
	if (!gmtime_r(&m->date, &tm) || tm.tm_year < 0 ||
	    tm.tm_year > 9999 - 1900)
		return nk_fail(e, EX_DATAERR, "date out of range");
	char *list_id = NULL;
	if (!absent(m->list_id) &&
	    (rc = check_list_id(m->list_id, &list_id, e)))
		return rc;

	struct encoded text, html;
	encode_part(m->text ? m->text : "", m->text_len, &text);
	encode_part(m->html ? m->html : "", m->html_len, &html);

	/* mailmime_new_message_data() adds MIME-Version: 1.0, written once
	 * after the fields. Each mailmime_smart_add_part() hands the part to
	 * its parent, so freeing msg frees the whole tree and the fields. */
	struct mailmime *msg = need(mailmime_new_message_data(NULL));
	mailmime_set_imf_fields(msg, header_fields(m, &tm, list_id));
	free(list_id);
	struct mailmime *alt =
		need(mailmime_multiple_new("multipart/alternative"));
	set_boundary(alt, m);
	must(mailmime_smart_add_part(alt, text_part("text/plain", &text)));
	must(mailmime_smart_add_part(alt, text_part("text/html", &html)));
	must(mailmime_smart_add_part(msg, alt));

	MMAPString *s = need(mmap_string_new(""));
	struct buf fixed = {0}, bulk = {0};
	bulk_fields(m, &bulk);
	int col = 0;
	int r = mailmime_write_mem(s, &col, msg);
	/* libetpan writes MIME-Version right after our fields. */
	const char *mv = r == MAILIMF_NO_ERROR ? strstr(s->str, "\r\nMIME-Version: ") : NULL;
	if (mv) {
		size_t at = (size_t)(mv + 2 - s->str);
		copy_fixed(s->str, at, &fixed);
		buf_add(&fixed, bulk.s, bulk.len);
		copy_fixed(s->str + at, s->len - at, &fixed);
	} else if (r == MAILIMF_NO_ERROR) {
		r = MAILIMF_ERROR_INVAL;
	}
	if (r != MAILIMF_NO_ERROR)
		rc = nk_fail(e, EX_SOFTWARE, "libetpan could not write the "
			     "message (error %d)", r);
	else if (!wire_ok(buf_str(&fixed), fixed.len))
		rc = nk_fail(e, EX_SOFTWARE, "message has a bare CR or LF or "
			     "an over-long line");
	else
		buf_add(out, fixed.s, fixed.len);
	mmap_string_free(s);
	mailmime_free(msg);
	buf_free(&fixed);
	buf_free(&bulk);
	buf_free(&text.body);
	buf_free(&html.body);
	return rc;
}
