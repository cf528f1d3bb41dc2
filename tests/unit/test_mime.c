/* test_mime.c — mime_build() (mail/mime.c), checked on the raw bytes: CRLF
 * only, each header once, line lengths, and RFC 2047 / quoted-printable
 * decoded back to the input by the small decoders below. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "mime.h"
#include "support.h"
#include "xalloc.h"

/* ---- taking a message apart ---- */

struct part {
	char *head;     /* header lines, each ending CRLF */
	char *body;     /* still quoted-printable */
};

struct parsed {
	char *head;     /* the message's header lines */
	struct part part[2];
	int nparts;
};

/* The raw bytes: CRLF only, header lines of at most 78 characters with no
 * trailing white space, body lines of at most 76. */
static void check_wire(const char *raw, size_t len)
{
	assert_int_equal(strlen(raw), len);
	bool in_head = true;
	const char *line = raw;
	for (size_t i = 0; i < len; i++) {
		if (raw[i] == '\r') {
			assert_true(i + 1 < len && raw[i + 1] == '\n');
		} else if (raw[i] == '\n') {
			assert_true(i > 0 && raw[i - 1] == '\r');
			size_t n = (size_t)(raw + i - 1 - line);
			if (in_head && n == 0)
				in_head = false;
			if (in_head) {
				if (n > 78)
					fail_msg("header line of %zu: %.60s", n,
						 line);
				assert_true(line[n - 1] != ' ');
			} else if (n > 76) {
				fail_msg("body line of %zu: %.60s", n, line);
			}
			line = raw + i + 1;
		}
	}
	assert_true(len >= 2 && raw[len - 1] == '\n');
}

static int count_header(const char *head, const char *name)
{
	int n = 0;
	size_t nl = strlen(name);
	for (const char *p = head; *p;) {
		if (strncmp(p, name, nl) == 0 && p[nl] == ':')
			n++;
		p = strstr(p, "\r\n");
		if (!p)
			break;
		p += 2;
	}
	return n;
}

/* The unfolded value of the one header called name, or NULL. */
static char *header(const char *head, const char *name)
{
	int n = count_header(head, name);
	if (n == 0)
		return NULL;
	assert_int_equal(n, 1);
	size_t nl = strlen(name);
	const char *p = head;
	while (!(strncmp(p, name, nl) == 0 && p[nl] == ':'))
		p = strstr(p, "\r\n") + 2;
	p += nl + 1;
	if (*p == ' ')    /* an empty value has no space */
		p++;
	else if (strncmp(p, "\r\n ", 3) == 0)   /* folded after the colon */
		p += 3;
	else
		assert_true(strncmp(p, "\r\n", 2) == 0 && p[2] != ' ');
	struct buf v = {0};
	for (;;) {
		const char *e = strstr(p, "\r\n");
		buf_add(&v, p, (size_t)(e - p));
		p = e + 2;
		if (*p != ' ' && *p != '\t')
			break;
	}
	return buf_detach(&v);
}

static void parse(const char *raw, struct parsed *m)
{
	memset(m, 0, sizeof *m);
	const char *sep = strstr(raw, "\r\n\r\n");
	assert_non_null(sep);
	m->head = strndup(raw, (size_t)(sep + 2 - raw));
	char *ct = header(m->head, "Content-Type");
	assert_non_null(ct);
	assert_true(strncmp(ct, "multipart/alternative; boundary=\"=_", 35) == 0);
	char *boundary = strndup(ct + 33, strcspn(ct + 33, "\""));
	free(ct);

	struct buf delim = {0};
	buf_printf(&delim, "\r\n--%s", boundary);
	const char *body = sep + 2;    /* keeps the CRLF before the first */
	const char *p = strstr(body, buf_str(&delim));
	assert_true(p == body);
	for (;;) {
		p += delim.len;
		if (strcmp(p, "--\r\n") == 0)
			break;
		assert_true(strncmp(p, "\r\n", 2) == 0);
		p += 2;
		const char *next = strstr(p, buf_str(&delim));
		assert_non_null(next);
		assert_true(m->nparts < 2);
		const char *hend = strstr(p, "\r\n\r\n");
		assert_true(hend && hend <= next);
		struct part *pt = &m->part[m->nparts++];
		pt->head = strndup(p, (size_t)(hend + 2 - p));
		pt->body = strndup(hend + 4, (size_t)(next - hend - 4));
		p = next;
	}
	/* The boundary appears nowhere but in its delimiter lines. */
	int seen = 0;
	for (const char *q = strstr(raw, boundary); q;
	     q = strstr(q + 1, boundary))
		seen++;
	assert_int_equal(seen, 1 + m->nparts + 1);
	buf_free(&delim);
	free(boundary);
}

static void parsed_free(struct parsed *m)
{
	free(m->head);
	for (int i = 0; i < m->nparts; i++) {
		free(m->part[i].head);
		free(m->part[i].body);
	}
}

/* ---- building ---- */

static const char TEXT[] = "Hello\n\nFirst article\n";
static const char HTML[] = "<p>Hello</p>\n";

static struct mime_msg base(void)
{
	return (struct mime_msg){
		.from_name = "NK Digest",
		.from_addr = "news@example.org",
		.to_name = "Jane Doe",
		.to_addr = "reader@example.net",
		.subject = "Weekly digest",
		.message_id = "20240105.abc123@example.org",
		.date = 1704449000,     /* 2024-01-05 10:03:20 UTC */
		.list_id = "<digest.example.org>",
		.list_id_name = "NK Digest",
		.unsubscribe_url = "https://example.org/u?t=abc",
		.unsubscribe_mailto = "unsubscribe@example.org",
		.text = TEXT, .text_len = sizeof TEXT - 1,
		.html = HTML, .html_len = sizeof HTML - 1,
	};
}

static char *build(const struct mime_msg *m)
{
	struct buf b = {0};
	struct nk_err e = {0};
	int rc = mime_build(m, &b, &e);
	if (rc != 0)
		fail_msg("mime_build: %s", e.msg);
	assert_int_equal(e.code, 0);
	check_wire(buf_str(&b), b.len);
	return buf_detach(&b);
}

/* Expects EX_DATAERR with field in the message and nothing written. */
static void build_fails(const struct mime_msg *m, const char *field)
{
	struct buf b = {0};
	struct nk_err e = {0};
	int rc = mime_build(m, &b, &e);
	if (rc != EX_DATAERR)
		fail_msg("%s: expected EX_DATAERR, got %d", field, rc);
	assert_int_equal(e.code, EX_DATAERR);
	if (!strstr(e.msg, field))
		fail_msg("message \"%s\" does not name %s", e.msg, field);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

/* The body as it must decode: '\n' becomes CRLF. */
static void crlf(const char *s, size_t n, struct buf *b)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			buf_addc(b, '\r');
		buf_addc(b, s[i]);
	}
}

/* Which encoding each part of the last message checked had. */
static char last_cte[2][32];

static void check_part(const struct part *pt, const char *type,
		       const char *src, size_t n, int index)
{
	char *ct = header(pt->head, "Content-Type");
	char *want = NULL;
	assert_int_equal(asprintf(&want, "%s; charset=\"utf-8\"", type) > 0, 1);
	assert_string_equal(ct, want);
	char *cte = header(pt->head, "Content-Transfer-Encoding");
	assert_non_null(cte);
	snprintf(last_cte[index], sizeof last_cte[index], "%s", cte);
	struct buf got = {0}, exp = {0};
	if (strcmp(cte, "base64") == 0)
		t_decode_b64(pt->body, strlen(pt->body), &got);
	else if (strcmp(cte, "quoted-printable") == 0)
		t_decode_qp(pt->body, strlen(pt->body), &got);
	else
		fail_msg("unexpected Content-Transfer-Encoding: %s", cte);
	crlf(src, n, &exp);
	assert_int_equal(got.len, exp.len);
	assert_memory_equal(buf_str(&got), buf_str(&exp), got.len);
	/* no line may start with "From " or be a lone "." */
	for (const char *l = pt->body; l; l = strstr(l, "\r\n"), l = l ? l + 2 : l) {
		assert_true(strncmp(l, "From ", 5) != 0);
		assert_true(strncmp(l, ".\r\n", 3) != 0);
	}
	free(ct);
	free(want);
	free(cte);
	buf_free(&got);
	buf_free(&exp);
}

static void check_message(const char *raw, const struct mime_msg *m)
{
	struct parsed p;
	parse(raw, &p);
	assert_int_equal(p.nparts, 2);
	check_part(&p.part[0], "text/plain", m->text ? m->text : "",
		   m->text_len, 0);
	check_part(&p.part[1], "text/html", m->html ? m->html : "",
		   m->html_len, 1);
	parsed_free(&p);
}

/* ---- tests ---- */

static void test_headers(void **state)
{
	(void)state;
	struct mime_msg m = base();
	char *raw = build(&m);
	struct parsed p;
	parse(raw, &p);
	struct { const char *name, *value; } h[] = {
		{ "Date", "Fri, 5 Jan 2024 10:03:20 +0000" },
		{ "From", "NK Digest <news@example.org>" },
		{ "To", "Jane Doe <reader@example.net>" },
		{ "Subject", "Weekly digest" },
		{ "Message-ID", "<20240105.abc123@example.org>" },
		{ "MIME-Version", "1.0" },
		{ "List-Id", "NK Digest <digest.example.org>" },
		{ "List-Unsubscribe", "<https://example.org/u?t=abc>, "
		  "<mailto:unsubscribe@example.org?subject=unsubscribe>" },
		{ "List-Unsubscribe-Post", "List-Unsubscribe=One-Click" },
		{ "Precedence", "bulk" },
		{ "Auto-Submitted", "auto-generated" },
		{ "X-Auto-Response-Suppress", "All" },
	};
	for (size_t i = 0; i < sizeof h / sizeof *h; i++) {
		char *v = header(p.head, h[i].name);
		if (!v)
			fail_msg("no %s header", h[i].name);
		assert_string_equal(v, h[i].value);
		free(v);
	}
	/* nothing else at the top: each header once, in this order */
	int lines = 0;
	for (const char *q = p.head; *q; q = strstr(q, "\r\n") + 2)
		lines += *q != ' ';
	assert_int_equal(lines, (int)(sizeof h / sizeof *h) + 1);
	assert_true(strncmp(raw, "Date: ", 6) == 0);
	/* Folded after the colon, one URL a line. */
	assert_non_null(strstr(p.head, "\r\nList-Unsubscribe:\r\n <https://example.org/u?t=abc>,"
			       "\r\n <mailto:unsubscribe@example.org?subject=unsubscribe>\r\n"));
	parsed_free(&p);
	check_message(raw, &m);
	free(raw);
}

/* The mailto's subject is escaped as RFC 6068 wants; a URL too long for a
 * line stays whole on a line of its own (RFC 2369: no white space inside
 * the brackets) and every other header line stays within 78. */
static void test_unsubscribe_token_and_long_url(void **state)
{
	(void)state;
	struct mime_msg m = base();
	char url[200];
	snprintf(url, sizeof url, "https://example.org/unsubscribe?t=v1.%0120d", 7);
	m.unsubscribe_url = url;
	m.unsubscribe_subject = "unsubscribe v1.Ab-_9&x=y%";
	struct buf b = {0};
	struct nk_err e = {0};
	assert_int_equal(mime_build(&m, &b, &e), 0);
	const char *raw = buf_str(&b);
	char *want = xasprintf("\r\nList-Unsubscribe:\r\n <%s>,\r\n <mailto:unsubscribe@"
			       "example.org?subject=unsubscribe%%20v1.Ab-_9%%26x%%3Dy%%25>\r\n",
			       url);
	assert_non_null(strstr(raw, want));
	free(want);
	const char *end = strstr(raw, "\r\n\r\n");
	for (const char *line = raw; line < end;) {
		const char *eol = strstr(line, "\r\n");
		size_t n = (size_t)(eol - line);
		if (n > 78 && !(line[0] == ' ' && line[1] == '<' &&
				!strncmp(line + 2, url, strlen(url))))
			fail_msg("header line of %zu: %.60s", n, line);
		line = eol + 2;
	}
	m.unsubscribe_subject = "unsubscribe\r\nBcc: x@y";
	buf_free(&b);
	build_fails(&m, "unsubscribe_subject");
}

static void test_appends(void **state)
{
	(void)state;
	struct mime_msg m = base();
	struct buf b = {0};
	buf_adds(&b, "X");
	struct nk_err e = {0};
	assert_int_equal(mime_build(&m, &b, &e), 0);
	assert_true(strncmp(buf_str(&b), "XDate: ", 7) == 0);
	buf_free(&b);
}

static void test_dates(void **state)
{
	(void)state;
	struct { time_t t; const char *s; } c[] = {
		{ 0, "Thu, 1 Jan 1970 00:00:00 +0000" },
		{ 951782400, "Tue, 29 Feb 2000 00:00:00 +0000" },
		{ 1735689599, "Tue, 31 Dec 2024 23:59:59 +0000" },
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		struct mime_msg m = base();
		m.date = c[i].t;
		char *raw = build(&m);
		char *head = strndup(raw, (size_t)(strstr(raw, "\r\n\r\n") + 2 - raw));
		char *v = header(head, "Date");
		assert_string_equal(v, c[i].s);
		free(v);
		free(head);
		free(raw);
	}
}

static void test_subjects(void **state)
{
	(void)state;
	struct buf longs = {0};
	while (longs.len < 300)
		buf_adds(&longs, "digest ");
	buf_adds(&longs, "\xea\xb9\x80");
	const char *c[] = {
		"Weekly digest",
		"North Korea making \xe2\x80\x98progress\xe2\x80\x99 in COVID-19 "
		"fight but issues remain: Kim Jong Un",
		"\xeb\xb6\x81\xed\x95\x9c, \xec\xbd\x94\xeb\xa1\x9c\xeb\x82\x98"
		"19 \xeb\x8c\x80\xec\x9d\x91 '\xec\xa7\x84\xec\xa0\x84' "
		"\xec\xa3\xbc\xec\x9e\xa5",
		buf_str(&longs),
		"Price =?UTF-8?Q?x?= is not an encoded word",
		"  leading and trailing  ",
		"",
		"x",
		"a   b",
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		struct mime_msg m = base();
		m.subject = c[i];
		char *raw = build(&m);
		char *head = strndup(raw, (size_t)(strstr(raw, "\r\n\r\n") + 2 - raw));
		char *v = header(head, "Subject");
		char *d = t_decode_text(v);
		assert_string_equal(d, c[i]);
		free(d);
		free(v);
		free(head);
		free(raw);
	}
	buf_free(&longs);
}

static void test_display_names(void **state)
{
	(void)state;
	const char *c[] = {
		"Jane Doe", "Kim \"Jay\" O'Neil", "\xea\xb9\x80\xec\xa0\x95\xec\x9d\x80",
		"M\xc3\xbcller, J\xc3\xb6rg", "=?UTF-8?Q?evil?=", "a\\b",
		"Kim \xea\xb9\x80 Jay", " lead", "Dr. John Q. Public, Esq., "
		"Department of Redundancy Department, Example Org",
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		struct mime_msg m = base();
		m.from_name = c[i];
		m.to_name = c[i];
		char *raw = build(&m);
		char *head = strndup(raw, (size_t)(strstr(raw, "\r\n\r\n") + 2 - raw));
		const char *hn[] = { "From", "To" };
		const char *addr[] = { " <news@example.org>", " <reader@example.net>" };
		for (int k = 0; k < 2; k++) {
			char *v = header(head, hn[k]);
			size_t vl = strlen(v), al = strlen(addr[k]);
			assert_true(vl > al && strcmp(v + vl - al, addr[k]) == 0);
			v[vl - al] = '\0';
			char *d = t_decode_phrase(v);
			assert_string_equal(d, c[i]);
			free(d);
			free(v);
		}
		free(head);
		free(raw);
	}
	/* no name: the bare address */
	struct mime_msg m = base();
	m.from_name = NULL;
	m.to_name = "";
	char *raw = build(&m);
	assert_non_null(strstr(raw, "\r\nFrom: news@example.org\r\n"));
	assert_non_null(strstr(raw, "\r\nTo: reader@example.net\r\n"));
	free(raw);
}

static void test_unsubscribe_variants(void **state)
{
	(void)state;
	struct {
		const char *url, *mailto, *lu;
		bool post;
	} c[] = {
		{ "https://example.org/u", NULL, "<https://example.org/u>", true },
		{ "http://example.org/u", NULL, "<http://example.org/u>", false },
		{ NULL, "u@example.org",
		  "<mailto:u@example.org?subject=unsubscribe>", false },
		{ "", "", NULL, false },
		{ NULL, NULL, NULL, false },
		{ NULL, "\"odd one\"@example.org",
		  "<mailto:%22odd%20one%22@example.org?subject=unsubscribe>",
		  false },
		{ NULL, "a&b=c@example.org",
		  "<mailto:a%26b%3Dc@example.org?subject=unsubscribe>", false },
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		struct mime_msg m = base();
		m.unsubscribe_url = c[i].url;
		m.unsubscribe_mailto = c[i].mailto;
		char *raw = build(&m);
		struct parsed p;
		parse(raw, &p);
		char *lu = header(p.head, "List-Unsubscribe");
		if (c[i].lu)
			assert_string_equal(lu, c[i].lu);
		else
			assert_null(lu);
		assert_int_equal(count_header(p.head, "List-Unsubscribe-Post"),
				 c[i].post);
		free(lu);
		parsed_free(&p);
		free(raw);
	}
}

static void test_list_id(void **state)
{
	(void)state;
	struct { const char *id, *name, *want; } c[] = {
		{ "<digest.example.org>", NULL, "<digest.example.org>" },
		{ "digest.example.org", "", "<digest.example.org>" },
		{ "digest.example.org", "Kim \"Jay\" list",
		  "\"Kim \\\"Jay\\\" list\" <digest.example.org>" },
		{ "digest.example.org", "\xeb\xb6\x81\xed\x95\x9c",
		  "=?UTF-8?B?67aB7ZWc?= <digest.example.org>" },
		{ NULL, "Ignored", NULL },
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		struct mime_msg m = base();
		m.list_id = c[i].id;
		m.list_id_name = c[i].name;
		char *raw = build(&m);
		struct parsed p;
		parse(raw, &p);
		char *v = header(p.head, "List-Id");
		if (c[i].want)
			assert_string_equal(v, c[i].want);
		else
			assert_null(v);
		free(v);
		parsed_free(&p);
		free(raw);
	}
}

static void test_rejects_control_characters(void **state)
{
	(void)state;
	static const char *bad[] = { "Hi\r\nBcc: x@evil", "a\nb", "a\rb",
				     "tab\there", "del\x7f", "esc\x1b[0m" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct mime_msg m = base();
		m.subject = bad[i];
		build_fails(&m, "subject");
		m = base();
		m.from_name = bad[i];
		build_fails(&m, "from_name");
		m = base();
		m.to_name = bad[i];
		build_fails(&m, "to_name");
		m = base();
		m.list_id_name = bad[i];
		build_fails(&m, "list_id_name");
		m = base();
		m.list_id = bad[i];
		build_fails(&m, "list_id");
		m = base();
		m.message_id = bad[i];
		build_fails(&m, "message_id");
	}
	struct mime_msg m = base();
	m.to_addr = "a@b.org>\r\nRCPT TO:<x@y>";
	build_fails(&m, "to_addr");
	m = base();
	m.from_addr = "news@example.org\r\nBcc: x@evil.org";
	build_fails(&m, "from_addr");
	m = base();
	m.unsubscribe_url = "https://example.org/u\r\nBcc: x@evil.org";
	build_fails(&m, "unsubscribe_url");
	m = base();
	m.unsubscribe_mailto = "u@example.org\n";
	build_fails(&m, "unsubscribe_mailto");
	m = base();
	m.message_id = "a@b\r\nBcc: x@y";
	build_fails(&m, "message_id");
}

static void test_rejects_bad_values(void **state)
{
	(void)state;
	struct mime_msg m;
	const char *bad_addr[] = { "", "noat", "j\xc3\xb6rg@example.org",
				   "a@b..org", "<a@b.org>", "a b@c.org" };
	for (size_t i = 0; i < sizeof bad_addr / sizeof *bad_addr; i++) {
		m = base();
		m.from_addr = bad_addr[i];
		build_fails(&m, "from_addr");
		m = base();
		m.to_addr = bad_addr[i];
		build_fails(&m, "to_addr");
	}
	m = base();
	m.to_addr = NULL;
	build_fails(&m, "to_addr");
	m = base();
	m.unsubscribe_mailto = "not an address";
	build_fails(&m, "unsubscribe_mailto");

	const char *bad_id[] = { "", "noat", "a@b@c", "<a@b>", "a b@c", "@b",
				 "a@", "a@b>", "\xc3\xa9@b" };
	for (size_t i = 0; i < sizeof bad_id / sizeof *bad_id; i++) {
		m = base();
		m.message_id = bad_id[i];
		build_fails(&m, "message_id");
	}
	m = base();
	m.message_id = NULL;
	build_fails(&m, "message_id");

	const char *bad_url[] = { "javascript:alert(1)", "ftp://x.org/",
				  "https://", "https://x.org/a b",
				  "https://x.org/<x>", "mailto:a@b.org",
				  "https://x.org/\xc3\xa9", "//x.org" };
	for (size_t i = 0; i < sizeof bad_url / sizeof *bad_url; i++) {
		m = base();
		m.unsubscribe_url = bad_url[i];
		build_fails(&m, "unsubscribe_url");
	}

	const char *bad_list[] = { "nodot", "<a..b>", "a b.org", ".a.org",
				   "<a.org", "\xc3\xa9.org" };
	for (size_t i = 0; i < sizeof bad_list / sizeof *bad_list; i++) {
		m = base();
		m.list_id = bad_list[i];
		build_fails(&m, "list_id");
	}

	/* lengths: 1000 bytes of subject is fine, 1001 is not */
	char subj[1002];
	memset(subj, 'a', sizeof subj - 1);
	subj[1001] = '\0';
	m = base();
	m.subject = subj;
	build_fails(&m, "subject");
	subj[1000] = '\0';
	char *raw = build(&m);
	free(raw);
	for (int i = 0; i < 1000; i += 10)    /* and folds when it can */
		subj[i] = ' ';
	subj[0] = 'a';
	raw = build(&m);
	free(raw);

	char name[300];
	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	m = base();
	m.from_name = name;
	build_fails(&m, "from_name");

	char url[1000] = "https://example.org/";
	memset(url + 20, 'u', sizeof url - 21);
	url[sizeof url - 1] = '\0';
	m = base();
	m.unsubscribe_url = url;
	build_fails(&m, "unsubscribe_url");

	m = base();
	m.subject = "bad \xc3 utf-8";
	build_fails(&m, "subject");
	m = base();
	m.to_name = "overlong \xc0\xaf";
	build_fails(&m, "to_name");
	m = base();
	m.subject = "surrogate \xed\xa0\x80";
	build_fails(&m, "subject");
	m = base();
	m.subject = NULL;
	build_fails(&m, "subject");
	m = base();
	m.date = (time_t)400000000000LL;    /* year > 9999 */
	build_fails(&m, "date");
}

static void test_qp_body(void **state)
{
	(void)state;
	static const char text[] =
		"trailing space \n"
		"trailing tab\t\n"
		"two spaces  \n"
		"equals = sign and =3D lookalike\n"
		"From the start of a line\n"
		".\n"
		".leading dot\n"
		"\n"
		"caf\xc3\xa9 \xea\xb9\x80\xec\xa0\x95\xec\x9d\x80 \xf0\x9f\x98\x80\n"
		"windows line\r\n"
		"bare\rcarriage return\n"
		"nul \0 byte\n"
		"ends without newline ";
	struct mime_msg m = base();
	m.text = text;
	m.text_len = sizeof text - 1;
	char *raw = build(&m);
	check_message(raw, &m);
	assert_non_null(strstr(raw, "\r\n=46rom the start"));
	assert_non_null(strstr(raw, "\r\n=2E\r\n"));
	assert_non_null(strstr(raw, "trailing space=20\r\n"));
	assert_non_null(strstr(raw, "trailing tab=09\r\n"));
	assert_non_null(strstr(raw, "two spaces =20\r\n"));
	assert_non_null(strstr(raw, "equals =3D sign and =3D3D lookalike"));
	free(raw);
}

static void test_qp_long_lines(void **state)
{
	(void)state;
	struct buf t = {0};
	for (int i = 0; i < 300; i++)
		buf_addc(&t, 'a');
	buf_addc(&t, '\n');
	for (int i = 0; i < 100; i++)
		buf_adds(&t, "\xea\xb9\x80");
	buf_addc(&t, '\n');
	/* "From " and spaces where soft breaks land */
	for (int i = 0; i < 20; i++)
		buf_adds(&t, "From x ");
	buf_adds(&t, "\n");
	for (int len = 70; len < 80; len++) {
		for (int i = 0; i < len; i++)
			buf_addc(&t, i == len - 1 ? ' ' : 'b');
		buf_addc(&t, '\n');
	}
	struct mime_msg m = base();
	m.text = m.html = buf_str(&t);
	m.text_len = m.html_len = t.len;
	char *raw = build(&m);
	check_message(raw, &m);
	free(raw);
	buf_free(&t);
}

static void test_empty_bodies(void **state)
{
	(void)state;
	struct mime_msg m = base();
	m.text = "";
	m.text_len = 0;
	m.html = NULL;
	m.html_len = 0;
	char *raw = build(&m);
	check_message(raw, &m);
	free(raw);
}

static uint32_t rnd_state = 2024;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static void test_qp_fuzz(void **state)
{
	(void)state;
	static const char *pieces[] = { "a", "word ", " ", "\t", "\n", "\r\n",
		"\r", "=", ".", "From ", "\xc3\xa9", "\xea\xb9\x80", "--",
		"--=_nkdigest_", "xxxxxxxxxxxxxxxxxxxx", "=?UTF-8?Q?x?=", "\x01" };
	const size_t np = sizeof pieces / sizeof *pieces;
	for (int iter = 0; iter < 400; iter++) {
		struct buf t = {0}, h = {0};
		int n = (int)(rnd() % 60);
		for (int i = 0; i < n; i++) {
			buf_adds(&t, pieces[rnd() % np]);
			buf_adds(&h, pieces[rnd() % np]);
		}
		struct mime_msg m = base();
		m.text = buf_str(&t);
		m.text_len = t.len;
		m.html = buf_str(&h);
		m.html_len = h.len;
		char *raw = build(&m);
		check_message(raw, &m);
		free(raw);
		buf_free(&t);
		buf_free(&h);
	}
}

/* The size of each encoding, counted here apart from the encoder: QP by
 * decoding what it wrote, base64 from the canonical length. */
static size_t b64_len(const char *s, size_t n)
{
	size_t canon = n;
	for (size_t i = 0; i < n; i++)
		canon += s[i] == '\n' && (i == 0 || s[i - 1] != '\r');
	size_t chars = (canon + 2) / 3 * 4;
	return chars + (chars ? (chars - 1) / 76 * 2 : 0);
}

static void test_encoding_choice(void **state)
{
	(void)state;
	/* Korean prose: 3 bytes per syllable, 9 in quoted-printable. */
	struct buf ko = {0}, en = {0};
	for (int i = 0; i < 200; i++)
		buf_adds(&ko, i % 5 == 4 ? "\xEB\x8B\xA4.\n" : "\xEA\xB9\x80\xEC\xA0\x95 ");
	for (int i = 0; i < 200; i++)
		buf_adds(&en, i % 9 == 8 ? "caf\xC3\xA9.\n" : "North Korea ");
	struct mime_msg m = base();
	m.text = buf_str(&ko);
	m.text_len = ko.len;
	m.html = buf_str(&en);
	m.html_len = en.len;
	char *raw = build(&m);
	check_message(raw, &m);
	assert_string_equal(last_cte[0], "base64");
	assert_string_equal(last_cte[1], "quoted-printable");
	free(raw);

	/* Exactly the shorter one, on both sides of the point where they
	 * cross: 20 lines of 10 two-byte units, `accents` of them "\xC3\xA9"
	 * (6 characters in quoted-printable), the rest "ab" (2). The lines
	 * stay under 76 characters, so quoted-printable has no soft breaks
	 * and its length is known here. */
	for (int accents = 0; accents <= 10; accents++) {
		struct buf t = {0};
		for (int line = 0; line < 20; line++) {
			if (line)
				buf_addc(&t, '\n');
			for (int i = 0; i < 10; i++)
				buf_adds(&t, i < accents ? "\xC3\xA9" : "ab");
		}
		size_t qplen = 20 * (size_t)(6 * accents + 2 * (10 - accents)) + 19 * 2;
		size_t b64 = b64_len(buf_str(&t), t.len);
		m = base();
		m.text = buf_str(&t);
		m.text_len = t.len;
		raw = build(&m);
		check_message(raw, &m);
		struct parsed p;
		parse(raw, &p);
		assert_string_equal(last_cte[0], b64 < qplen ? "base64" : "quoted-printable");
		assert_int_equal(strlen(p.part[0].body), b64 < qplen ? b64 : qplen);
		parsed_free(&p);
		free(raw);
		buf_free(&t);
	}
	buf_free(&ko);
	buf_free(&en);
}

static void test_boundary_in_body(void **state)
{
	(void)state;
	struct mime_msg m = base();
	char *raw = build(&m);
	const char *b = strstr(raw, "boundary=\"") + 10;
	char *line = NULL;
	assert_true(asprintf(&line, "x\n--%.*s\n--%.*s--\n", (int)strcspn(b, "\""),
			     b, (int)strcspn(b, "\""), b) > 0);
	m.text = m.html = line;
	m.text_len = m.html_len = strlen(line);
	char *raw2 = build(&m);
	check_message(raw2, &m);    /* parse() counts the boundary's uses */
	free(raw2);
	free(line);
	free(raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_subjects),
		cmocka_unit_test(test_display_names),
		cmocka_unit_test(test_unsubscribe_variants),
		cmocka_unit_test(test_unsubscribe_token_and_long_url),
		cmocka_unit_test(test_list_id),
		cmocka_unit_test(test_rejects_control_characters),
		cmocka_unit_test(test_rejects_bad_values),
		cmocka_unit_test(test_qp_body),
		cmocka_unit_test(test_qp_long_lines),
		cmocka_unit_test(test_empty_bodies),
		cmocka_unit_test(test_qp_fuzz),
		cmocka_unit_test(test_encoding_choice),
		cmocka_unit_test(test_boundary_in_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
