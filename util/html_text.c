/* html_text.c — HTML fragments to plain text with libxml2's HTML parser,
 * character references decoded on their own, text escaped for HTML
 * (see html_text.h). */
#include "html_text.h"
#include "buf.h"
#include "utf8.h"
#include "xalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#define REPLACEMENT 0xFFFD

/*
 * HTML5 reads &#128;–&#159; as Windows-1252, because that is what the pages
 * that use them meant (&#146; is an apostrophe, &#150; a dash). The five
 * unassigned slots stay C1 controls, which utf8_clean() drops.
 */
static const uint16_t cp1252[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

static void add_utf8(struct buf *b, unsigned long cp)
{
	char u[4];

	if (cp < 0x80) {
		buf_addc(b, (char)cp);
		return;
	}
	if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3F));
		buf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		buf_add(b, u, 3);
	} else {
		u[0] = (char)(0xF0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		buf_add(b, u, 4);
	}
}

/* ---- html_to_text ---------------------------------------------------- */

/* Elements whose content is never reader-visible text. "title" is here
 * because a full document pasted into a fragment loses its <head> and
 * libxml2 then leaves the title in the body. */
static const char *const skipped[] = {
	"script", "style", "head", "title", "template", "noscript", "iframe",
	"object", NULL
};

static const char *const blocks[] = {
	"address", "article", "aside", "blockquote", "caption", "dd",
	"details", "div", "dl", "dt", "fieldset", "figcaption", "figure",
	"footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
	"li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
	"tr", "ul", NULL
};

static int in_list(const char *const *list, const xmlChar *name)
{
	for (; *list; list++)
		if (xmlStrcasecmp(name, (const xmlChar *)*list) == 0)
			return 1;
	return 0;
}

/* Text being assembled: separators are held back until the next visible
 * character, so that nothing leads or trails and runs of them merge. */
struct text {
	struct buf out;
	int nl;         /* pending line breaks, 0–2 (2 is a blank line) */
	int sp;         /* pending space */
};

static void want_break(struct text *t, int nl)
{
	if (t->nl < nl)
		t->nl = nl;
}

/* Byte length of the white-space character at p (ASCII, NBSP or another
 * Unicode space), or 0. p points into valid UTF-8 from libxml2. */
static size_t space_len(const unsigned char *p)
{
	switch (p[0]) {
	case ' ': case '\t': case '\n': case '\v': case '\f': case '\r':
		return 1;
	case 0xC2:
		/* Not U+0085: here it came from &#133;, an ellipsis. */
		return p[1] == 0xA0 ? 2 : 0;
	case 0xE1:
		return p[1] == 0x9A && p[2] == 0x80 ? 3 : 0;
	case 0xE2:
		if (p[1] == 0x80 && ((p[2] >= 0x80 && p[2] <= 0x8A) ||
				     p[2] == 0xA8 || p[2] == 0xA9 || p[2] == 0xAF))
			return 3;
		return p[1] == 0x81 && p[2] == 0x9F ? 3 : 0;
	case 0xE3:
		return p[1] == 0x80 && p[2] == 0x80 ? 3 : 0;
	default:
		return 0;
	}
}

static void add_text(struct text *t, const unsigned char *s)
{
	while (*s) {
		size_t n = space_len(s);
		if (n) {
			t->sp = 1;
			s += n;
			continue;
		}
		if (t->out.len) {
			if (t->nl)
				buf_add(&t->out, "\n\n", (size_t)t->nl);
			else if (t->sp)
				buf_addc(&t->out, ' ');
		}
		t->nl = t->sp = 0;

		/* The input was cleaned before parsing, so a C1 control here
		 * came from a character reference: read it as HTML5 does. */
		if (s[0] == 0xC2 && s[1] >= 0x80 && s[1] <= 0x9F) {
			add_utf8(&t->out, cp1252[s[1] - 0x80]);
			s += 2;
		} else {
			buf_addc(&t->out, (char)*s++);
		}
	}
}

static void walk(struct text *t, xmlNode *root)
{
	xmlNode *n = root;

	/* Iterative, so that deeply nested junk cannot exhaust the stack. */
	while (n) {
		int descend = 0;

		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (n->content)
				add_text(t, n->content);
		} else if (n->type == XML_ELEMENT_NODE && n->name) {
			if (xmlStrcasecmp(n->name, (const xmlChar *)"br") == 0) {
				if (t->nl < 2)
					t->nl++;
			} else if (in_list(skipped, n->name)) {
				/* neither content nor separator */
			} else {
				if (in_list(blocks, n->name))
					want_break(t, 2);
				else if (xmlStrcasecmp(n->name, (const xmlChar *)"td") == 0 ||
					 xmlStrcasecmp(n->name, (const xmlChar *)"th") == 0)
					t->sp = 1;
				descend = n->children != NULL;
			}
		} else if (n->type == XML_DOCUMENT_NODE ||
			   n->type == XML_HTML_DOCUMENT_NODE) {
			descend = n->children != NULL;
		}

		if (descend) {
			n = n->children;
			continue;
		}
		/* Leave finished elements, closing blocks on the way up. */
		while (n && n != root && !n->next) {
			n = n->parent;
			if (n && n->type == XML_ELEMENT_NODE && n->name &&
			    in_list(blocks, n->name))
				want_break(t, 2);
		}
		if (!n || n == root)
			break;
		n = n->next;
	}
}

char *html_to_text(const char *html, size_t len)
{
	/*
	 * Clean first so that libxml2 sees valid UTF-8 and never falls back
	 * to guessing an encoding. The fragment is wrapped in <html><body>
	 * because libxml2 2.9 returns no document at all for empty or
	 * blank input and would otherwise invent a <p> around bare text.
	 */
	char *clean = utf8_clean(html, len);
	char *doc_text = xasprintf("<html><body>%s</body></html>", clean);
	free(clean);

	/* Idempotent and cheap; keeps libxml2's set-up inside this module. */
	xmlInitParser();
	htmlParserCtxtPtr ctxt = htmlNewParserCtxt();
	if (!ctxt)
		xalloc_die();   /* only fails when out of memory */
	htmlDocPtr doc = htmlCtxtReadMemory(ctxt, doc_text, (int)strlen(doc_text),
					    NULL, "UTF-8",
					    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
					    HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
					    HTML_PARSE_IGNORE_ENC);
	free(doc_text);

	struct text t = {0};
	if (doc) {
		walk(&t, (xmlNode *)doc);
		xmlFreeDoc(doc);
	}
	htmlFreeParserCtxt(ctxt);

	/* Character references may still have produced controls. */
	char *out = utf8_clean(buf_str(&t.out), t.out.len);
	buf_free(&t.out);
	return out;
}

/* ---- html_entities_decode -------------------------------------------- */

static int is_digit(int c, int hex)
{
	return (c >= '0' && c <= '9') ||
	       (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
}

static int digit_value(int c)
{
	if (c <= '9')
		return c - '0';
	return (c | 0x20) - 'a' + 10;
}

static int is_alnum(int c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/*
 * Decodes the reference at s (s[0] == '&') into out and returns its length,
 * or returns 0 when it is not a complete reference. The terminating ';' is
 * required: "AT&T;" is rare, "Q&A" and "&copy 2022" are not, and a missing
 * ';' is what "malformed" means here.
 */
static size_t decode_ref(const char *s, struct buf *out)
{
	size_t i = 1;

	if (s[i] == '#') {
		int hex = s[++i] == 'x' || s[i] == 'X';
		unsigned long cp = 0;
		size_t start;

		i += (size_t)hex;
		start = i;
		for (; is_digit((unsigned char)s[i], hex); i++)
			if (cp <= 0x10FFFF)     /* saturate, no overflow */
				cp = cp * (hex ? 16 : 10) + (unsigned long)digit_value(s[i]);
		if (i == start || s[i] != ';')
			return 0;
		if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			cp = REPLACEMENT;
		else if (cp >= 0x80 && cp <= 0x9F)
			cp = cp1252[cp - 0x80];
		add_utf8(out, cp);
		return i + 1;
	}

	/* The longest HTML name libxml2 knows is 8 characters. */
	char name[16];
	size_t n = 0;
	for (; is_alnum((unsigned char)s[i]); i++)
		if (n < sizeof(name) - 1)
			name[n++] = s[i];
		else
			return 0;
	if (n == 0 || s[i] != ';')
		return 0;
	name[n] = '\0';

	const htmlEntityDesc *e = htmlEntityLookup((const xmlChar *)name);
	if (!e)
		return 0;
	add_utf8(out, e->value);
	return i + 1;
}

char *html_entities_decode(const char *s)
{
	struct buf b = {0};

	buf_add(&b, "", 0);
	while (*s) {
		const char *amp = strchr(s, '&');
		if (!amp) {
			buf_adds(&b, s);
			break;
		}
		buf_add(&b, s, (size_t)(amp - s));
		size_t n = decode_ref(amp, &b);
		if (n) {
			s = amp + n;
		} else {
			buf_addc(&b, '&');
			s = amp + 1;
		}
	}
	return buf_detach(&b);
}

/* ---- html_escape ----------------------------------------------------- */

void html_escape(struct buf *out, const char *s, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		const char *rep;
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		buf_add(out, s + start, i - start);
		buf_adds(out, rep);
		start = i + 1;
	}
	buf_add(out, s + start, len - start);
}
