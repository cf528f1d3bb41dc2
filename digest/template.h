/* template.h — a small Mustache-style template engine.
 *
 * Supported: {{name}} (escaped for the template's context), {{{name}}} and
 * {{&name}} (raw), {{#name}}…{{/name}} (list: once per element; object: once
 * with it pushed; truthy scalar: once), {{^name}}…{{/name}} (when missing,
 * false, null, "" or an empty list), {{! comment}}, dotted names (a.b.c),
 * {{.}} for the current element, partials ({{> name}}: another file's
 * text, compiled in where the tag stands; see tmpl_compile_with), and
 * Mustache's "standalone line" rule: a line holding only a section, close,
 * comment or partial tag and white space leaves no trace in the output.
 * Names resolve through the context stack from the innermost element
 * outwards. Delimiter changes and inheritance are not supported and are
 * reported as errors.
 *
 * Rendering is done once per tier variant; per-recipient values (name,
 * unsubscribe link) stay open as numbered slots in a `struct skel`, which
 * skel_fill() completes cheaply for every recipient. */
#ifndef NK_TEMPLATE_H
#define NK_TEMPLATE_H

#include <stdbool.h>
#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"
#include "wrap.h"

enum tmpl_escape {
	TMPL_ESCAPE_NONE,   /* plain text and subjects: values copied as they are */
	TMPL_ESCAPE_HTML,   /* HTML: & < > " ' escaped in {{name}} and in slots */
};

struct tmpl;   /* a compiled template */
struct skel;   /* a rendered template with open per-recipient slots */

/* Compiles text. name is used in error messages ("digest.html:12: …").
 * On a syntax error returns NULL and fills e (EX_CONFIG) with the name, the
 * line number and what is wrong. text is copied; caller frees the result
 * with tmpl_free(). */
struct tmpl *tmpl_compile(const char *name, const char *text,
                          enum tmpl_escape esc, struct nk_err *e);

/* Finds partial `name` (letters, digits, '-', '_': never a path) for
 * {{> name}}. Returns 0 with *text and *origin (its name in messages, e.g.
 * "templates/article.html") both for the caller to free; or an EX_* code
 * after filling e (EX_CONFIG: no such partial). */
typedef int (*tmpl_partial_fn)(const char *name, void *ud, char **text, char **origin,
                               struct nk_err *e);

/* tmpl_compile with partials found by load (NULL: a partial is an error).
 * Partials may include partials, 8 deep; a section opened in a file must
 * be closed in the same file. Errors name the file and line they are in. */
struct tmpl *tmpl_compile_with(const char *name, const char *text, enum tmpl_escape esc,
                               tmpl_partial_fn load, void *ud, struct nk_err *e);
/* The name given to tmpl_compile; borrowed. */
const char *tmpl_name(const struct tmpl *t);
void tmpl_free(struct tmpl *t);

/* Strict mode: checks every name t uses against schema, an example of the
 * data with every key that can ever be there (each list holding one
 * example element), resolved as rendering would. report (may be NULL) is
 * called for each name schema does not know, with the file and line, what
 * is wrong ("unknown variable", "unknown section", "per-recipient value
 * used as a section") and the name. Returns how many were found. */
/* True when t (a partial included) names name or something below it
 * (name.x) in any tag. */
bool tmpl_uses(const struct tmpl *t, const char *name);

typedef void (*tmpl_report_fn)(void *ud, const char *file, int line, const char *what,
                               const char *name);
int tmpl_lint(const struct tmpl *t, const cJSON *schema, const char *const *slots,
              tmpl_report_fn report, void *ud);

/* Renders t with data (borrowed). slots is a NULL-terminated list of full
 * dotted names (e.g. "recipient.name") that are not looked up in data: each
 * {{…}} or {{{…}}} of such a name becomes slot i (its index in slots) in the
 * result; a section over a slot name is an error (EX_CONFIG). slots may be
 * NULL. Strings print as they are, integers without a fraction, other
 * numbers with %g, true as "true"; false, null and missing names print
 * nothing. Returns NULL and fills e on error; caller frees with skel_free(). */
struct skel *tmpl_render(const struct tmpl *t, const cJSON *data,
                         const char *const *slots, struct nk_err *e);

/* Appends the skeleton to out with slot i replaced by values[i] (escaped as
 * the template's context demands; a NULL value prints nothing). After
 * skel_wrap, each line holding a slot is wrapped once it is filled. */
void skel_fill(const struct skel *s, const char *const *values, struct buf *out);

/* Rewrites every line that holds no slot: fn appends its replacement for
 * the line (without the line's '\n') to out. Used to wrap plain text. */
void skel_map_lines(struct skel *s,
                    void (*fn)(const char *line, size_t len, struct buf *out, void *ud),
                    void *ud);

/* Wraps the text to width columns (see wrap.h): the lines without slots
 * now, the lines with slots in skel_fill once the values are in, so that a
 * long name cannot make an over-long line. width <= 0 does nothing. */
void skel_wrap(struct skel *s, int width, enum wrap_words words);

/* The skeleton in runs of whole lines, for writing it many times over:
 * a static run holds no slot; a dynamic run is one line that holds at
 * least one (slots ref .. ref + nrefs - 1), with its '\n' when it has one. */
struct skel_run {
	size_t off, len;   /* in skel_text() */
	bool dynamic;
	size_t ref, nrefs;
};
/* Sets *runs (caller frees) and returns how many there are. The runs
 * together are the whole text, in order. */
size_t skel_runs(const struct skel *s, struct skel_run **runs);
/* The literal text, slots cut out; borrowed. */
const char *skel_text(const struct skel *s);
/* Appends dynamic run run of s filled as skel_fill() fills it (escaped
 * and, after skel_wrap, wrapped). */
void skel_fill_run(const struct skel *s, const struct skel_run *run,
                   const char *const *values, struct buf *out);

/* True when the skeleton has at least one slot (for tests and checks). */
int skel_has_slots(const struct skel *s);
/* How many slots. */
size_t skel_nslots(const struct skel *s);
void skel_free(struct skel *s);

#endif
