/* html_text.h — HTML to plain text and back again.
 *
 * Feeds carry HTML (WordPress excerpts, JSON Feed content_html) and even
 * entity-encoded "plain text" titles; digests need plain text for the text
 * part and escaped text for the HTML part. */
#ifndef NK_HTML_TEXT_H
#define NK_HTML_TEXT_H

#include <stddef.h>

#include "buf.h"

/* Returns the text of an HTML fragment: tags dropped, entities decoded,
 * the contents of script, style, head, template, noscript, iframe, object
 * elements and comments dropped; block elements (p, div, li, h1–h6,
 * blockquote, tr, …) separated by a blank line, <br> as a line break, other
 * white space collapsed; no leading or trailing white space. Parsed with
 * libxml2's forgiving HTML parser, no network access. The result is valid
 * UTF-8 (see utf8_clean). Caller frees. */
char *html_to_text(const char *html, size_t len);

/* Decodes character references (&amp; &#8217; &#x2019; &nbsp; and every
 * named HTML entity) and leaves everything else — including '<' — alone.
 * For feed fields that are plain text but were entity-encoded anyway.
 * Unknown or malformed references stay as they are. Caller frees. */
char *html_entities_decode(const char *s);

/* Appends s[0..len) to out with & < > " ' escaped, safe inside element
 * content and in single- or double-quoted attribute values. */
void html_escape(struct buf *out, const char *s, size_t len);

#endif
