/* template.c — compiling Mustache-style templates and rendering them into
 * skeletons whose per-recipient slots are filled later (see template.h). */
#include "template.h"
#include "html_text.h"
#include "wrap.h"
#include "xalloc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Deep enough for any real digest template, shallow enough that rendering
 * (which recurses once per nesting level) can never exhaust the stack. */
#define MAX_DEPTH 64
/* Partials inside partials: enough for any layout, and the end of a
 * partial that includes itself. */
#define MAX_PARTIAL_DEPTH 8

enum node_kind {
	N_TEXT,
	N_VAR,
	N_SECTION,
	N_INVERTED,
};

struct node {
	enum node_kind kind;
	int line;
	int file;              /* index into tmpl.files: the file it came from */
	int raw;               /* N_VAR: copy the value unescaped */
	const char *text;      /* N_TEXT: points into that file's text */
	size_t len;
	char *name;            /* owned; the full dotted name */
	char *parts;           /* owned; name with each '.' made a NUL */
	int nparts;            /* 0 for ".", the current element */
	size_t end;            /* sections: index just past the last child */
};

/* The template and each partial it includes, in the order read. */
struct tmpl_file {
	char *name;            /* owned; for messages ("digest.html") */
	char *src;             /* owned copy of the text, N_TEXT nodes point in */
};

struct tmpl {
	char *name;            /* owned; the template's own name */
	struct tmpl_file *files;
	size_t nfiles;
	size_t files_cap;
	enum tmpl_escape esc;
	struct node *nodes;    /* a section's children follow it up to .end */
	size_t n;
	size_t cap;
};

/* A slot sits in the literal text at byte offset off; refs stay sorted by
 * offset, so filling is one pass over the text. */
struct slot_ref {
	size_t off;
	size_t index;
	int raw;
};

struct skel {
	struct buf text;       /* all literal text, slots cut out */
	struct slot_ref *refs;
	size_t nrefs;
	size_t cap;
	enum tmpl_escape esc;
	int wrap_width;        /* > 0: lines with slots are wrapped when filled */
	enum wrap_words wrap_words;
};

/* Copies s[0..n) into dst for quoting in a one-line message: control
 * characters become spaces, and a long text is cut (never inside a UTF-8
 * sequence) and ends in "...". */
static const char *snip(char *dst, size_t cap, const char *s, size_t n)
{
	size_t max = cap - 4;   /* room for "..." and the NUL */
	int cut = n > max;

	if (cut) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		dst[i] = c < 0x20 || c == 0x7F ? ' ' : (char)c;
	}
	if (cut) {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n] = '\0';
	return dst;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	       c == '\v' || c == '\f';
}

/* Finds pat (n bytes) in [p, end). Not strstr: sanitizers check the
 * whole rest of the string on every call, which makes long templates
 * quadratic under test. */
static const char *find(const char *p, const char *end, const char *pat, size_t n)
{
	while (p && (size_t)(end - p) >= n) {
		if (memcmp(p, pat, n) == 0)
			return p;
		p = memchr(p + 1, pat[0], (size_t)(end - p) - 1);
	}
	return NULL;
}

static size_t count_lines(const char *s, size_t from, size_t to)
{
	size_t n = 0;

	for (size_t i = from; i < to; i++)
		n += s[i] == '\n';
	return n;
}

static struct node *add_node(struct tmpl *t, enum node_kind kind, int file, int line)
{
	t->nodes = xgrow(t->nodes, &t->cap, t->n + 1, sizeof *t->nodes);
	struct node *nd = &t->nodes[t->n++];
	memset(nd, 0, sizeof *nd);
	nd->kind = kind;
	nd->file = file;
	nd->line = line;
	return nd;
}

static const char *file_name(const struct tmpl *t, int file)
{
	return t->files[file].name;
}

/* Checks the name s[0..n) and stores it in nd. Returns 0, or -1 after
 * filling e. */
static int set_name(struct tmpl *t, struct node *nd, const char *s, size_t n,
                    const char *tag, size_t taglen, struct nk_err *e)
{
	char q[64];

	if (n == 0) {
		nk_fail(e, EX_CONFIG, "%s:%d: empty tag name in '%s'", file_name(t, nd->file),
		        nd->line, snip(q, sizeof q, tag, taglen));
		return -1;
	}
	int ok = 1;
	for (size_t i = 0; i < n; i++) {
		if (is_space(s[i]) || s[i] == '{' || s[i] == '}')
			ok = 0;
		/* ".", but no empty part in "a..b", ".a" or "a." */
		if (s[i] == '.' && n > 1 &&
		    (i == 0 || i == n - 1 || s[i + 1] == '.'))
			ok = 0;
	}
	if (!ok) {
		nk_fail(e, EX_CONFIG, "%s:%d: invalid tag name '%s'", file_name(t, nd->file),
		        nd->line, snip(q, sizeof q, s, n));
		return -1;
	}
	nd->name = xstrndup(s, n);
	if (n == 1 && s[0] == '.')
		return 0;
	nd->parts = xstrndup(s, n);
	nd->nparts = 1;
	for (size_t i = 0; i < n; i++) {
		if (nd->parts[i] == '.') {
			nd->parts[i] = '\0';
			nd->nparts++;
		}
	}
	return 0;
}

/* The standalone-line rule: a section, close, comment or partial tag alone
 * on its line (white space aside) takes the whole line with it, so
 * templates can put their logic on lines of their own without leaving blank
 * lines behind. Returns 1 with *ls the start of the line and *next just
 * past its end. */
static int standalone(const char *s, size_t open, size_t close,
                      size_t *ls, size_t *next)
{
	size_t i = open, j = close;

	/* A tag earlier on the line ends in '}', so it fails this test. */
	while (i > 0 && is_blank(s[i - 1]))
		i--;
	if (i > 0 && s[i - 1] != '\n')
		return 0;
	while (is_blank(s[j]))
		j++;
	if (s[j] == '\r' && s[j + 1] == '\n')
		j++;
	if (s[j] == '\n')
		j++;
	else if (s[j] != '\0')
		return 0;
	*ls = i;
	*next = j;
	return 1;
}

/* One {{…}} tag found in the source, as offsets into it. */
struct tag {
	size_t open;    /* the first '{' */
	size_t end;     /* just past the last '}' */
	size_t cs, ce;  /* the name (or comment), white space trimmed */
	char sigil;     /* '#', '^', '/', '!', '&', '>', … or 0 for a variable */
	int triple;     /* {{{name}}} */
	int line;
};

/* Finds the end of the tag at s[tg->open] and fills in the rest of tg.
 * Returns 0, or -1 when the tag is not closed. */
static int scan_tag(const char *s, size_t len, struct tag *tg)
{
	size_t cs = tg->open + 2;

	tg->triple = s[cs] == '{';
	tg->sigil = 0;
	if (tg->triple)
		cs++;
	const char *cl = find(s + cs, s + len, "}}}", tg->triple ? 3 : 2);
	if (!cl)
		return -1;
	size_t ce = (size_t)(cl - s);
	tg->end = ce + (tg->triple ? 3 : 2);

	while (cs < ce && is_space(s[cs]))
		cs++;
	if (!tg->triple && cs < ce && strchr("!#^/&>=<$", s[cs])) {
		tg->sigil = s[cs++];
		while (cs < ce && is_space(s[cs]))
			cs++;
	}
	while (ce > cs && is_space(s[ce - 1]))
		ce--;
	tg->cs = cs;
	tg->ce = ce;
	/* Only a comment may span lines or hold "{{": anything else doing
	 * so is far more likely a forgotten "}}". */
	if (tg->sigil != '!' && (memchr(s + tg->open, '\n', tg->end - tg->open) ||
	                         find(s + tg->open + 2, s + tg->end, "{{", 2)))
		return -1;
	return 0;
}

struct compiler {
	struct tmpl *t;
	size_t open_at[MAX_DEPTH];   /* node index of each open section */
	int depth;
	int partial_depth;
	tmpl_partial_fn load;        /* may be NULL: no partials */
	void *ud;
	struct nk_err *e;
};

static int compile_file(struct compiler *c, int file);

/* Partial names are file names without a folder: a template directory
 * must not be able to read files outside itself. */
static int partial_name_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return 0;
	return n > 0;
}

/* {{> name}}: the partial's nodes go where the tag is, as if its text
 * stood there. */
static int add_partial(struct compiler *c, int file, const struct tag *tg)
{
	struct tmpl *t = c->t;
	const char *s = t->files[file].src, *name = s + tg->cs;
	size_t n = tg->ce - tg->cs;
	char q[64];

	if (!partial_name_ok(name, n)) {
		nk_fail(c->e, EX_CONFIG, "%s:%d: a partial's name is letters, digits, '-' "
		        "and '_': '%s'", file_name(t, file), tg->line,
		        snip(q, sizeof q, s + tg->open, tg->end - tg->open));
		return -1;
	}
	if (!c->load) {
		nk_fail(c->e, EX_CONFIG, "%s:%d: partials are not available here: '%s'",
		        file_name(t, file), tg->line,
		        snip(q, sizeof q, s + tg->open, tg->end - tg->open));
		return -1;
	}
	if (c->partial_depth == MAX_PARTIAL_DEPTH) {
		nk_fail(c->e, EX_CONFIG, "%s:%d: partials nested more than %d deep (does "
		        "one include itself?)", file_name(t, file), tg->line,
		        MAX_PARTIAL_DEPTH);
		return -1;
	}
	char *pname = xstrndup(name, n), *text = NULL, *origin = NULL;
	struct nk_err le = {0};
	int rc = c->load(pname, c->ud, &text, &origin, &le);
	free(pname);
	if (rc) {
		nk_fail(c->e, le.code, "%s:%d: %s", file_name(t, file), tg->line, le.msg);
		return -1;
	}
	t->files = xgrow(t->files, &t->files_cap, t->nfiles + 1, sizeof *t->files);
	int pf = (int)t->nfiles++;
	t->files[pf].name = origin;
	t->files[pf].src = text;
	c->partial_depth++;
	rc = compile_file(c, pf);
	c->partial_depth--;
	return rc;
}

/* Adds what the tag stands for to the template. base is the section depth
 * at which this file started: a file closes only what it opened. Returns 0,
 * or -1 after filling c->e. */
static int add_tag(struct compiler *c, int file, int base, const struct tag *tg)
{
	struct tmpl *t = c->t;
	const char *s = t->files[file].src, *name = s + tg->cs;
	const char *fname = file_name(t, file);
	size_t n = tg->ce - tg->cs, taglen = tg->end - tg->open;
	struct node *nd;
	char q[64], q2[64];

	switch (tg->sigil) {
	case '!':
		return 0;
	case '>':
		return add_partial(c, file, tg);
	case '=':
		nk_fail(c->e, EX_CONFIG,
		        "%s:%d: changing delimiters is not supported: '%s'",
		        fname, tg->line, snip(q, sizeof q, s + tg->open, taglen));
		return -1;
	case '<':
	case '$':
		nk_fail(c->e, EX_CONFIG,
		        "%s:%d: template inheritance is not supported: '%s'",
		        fname, tg->line, snip(q, sizeof q, s + tg->open, taglen));
		return -1;
	case '#':
	case '^':
		if (c->depth == MAX_DEPTH) {
			nk_fail(c->e, EX_CONFIG,
			        "%s:%d: sections nested more than %d deep",
			        fname, tg->line, MAX_DEPTH);
			return -1;
		}
		nd = add_node(t, tg->sigil == '#' ? N_SECTION : N_INVERTED, file, tg->line);
		if (set_name(t, nd, name, n, s + tg->open, taglen, c->e))
			return -1;
		c->open_at[c->depth++] = t->n - 1;
		return 0;
	case '/':
		if (n == 0) {
			nk_fail(c->e, EX_CONFIG, "%s:%d: empty tag name in '%s'",
			        fname, tg->line, snip(q, sizeof q, s + tg->open, taglen));
			return -1;
		}
		if (c->depth == base) {
			nk_fail(c->e, EX_CONFIG, "%s:%d: '%s' closes no open section",
			        fname, tg->line, snip(q, sizeof q, s + tg->open, taglen));
			return -1;
		}
		nd = &t->nodes[c->open_at[c->depth - 1]];
		if (strlen(nd->name) != n || memcmp(nd->name, name, n)) {
			nk_fail(c->e, EX_CONFIG,
			        "%s:%d: section '%s' opened on line %d is closed by '%s'",
			        fname, tg->line,
			        snip(q, sizeof q, nd->name, strlen(nd->name)), nd->line,
			        snip(q2, sizeof q2, name, n));
			return -1;
		}
		nd->end = t->n;
		c->depth--;
		return 0;
	default:
		nd = add_node(t, N_VAR, file, tg->line);
		nd->raw = tg->triple || tg->sigil == '&';
		return set_name(t, nd, name, n, s + tg->open, taglen, c->e);
	}
}

static void add_text(struct tmpl *t, int file, size_t from, size_t to, int line)
{
	if (to > from) {
		struct node *nd = add_node(t, N_TEXT, file, line);
		nd->text = t->files[file].src + from;
		nd->len = to - from;
	}
}

/* Compiles files[file] into nodes appended to the template. */
static int compile_file(struct compiler *c, int file)
{
	struct tmpl *t = c->t;
	size_t pos = 0;
	int line = 1, base = c->depth;
	char q[64];

	/* t->files may move when a partial is added: index it afresh. */
	size_t len = strlen(t->files[file].src);
	for (;;) {
		const char *s = t->files[file].src;
		const char *hit = find(s + pos, s + len, "{{", 2);
		if (!hit) {
			add_text(t, file, pos, len, line);
			line += (int)count_lines(s, pos, len);
			break;
		}
		struct tag tg = { .open = (size_t)(hit - s) };
		tg.line = line + (int)count_lines(s, pos, tg.open);
		if (scan_tag(s, len, &tg)) {
			nk_fail(c->e, EX_CONFIG, "%s:%d: unclosed tag '%s'", file_name(t, file),
			        tg.line, snip(q, sizeof q, hit, strcspn(hit, "\n")));
			return -1;
		}

		size_t text_end = tg.open, next = tg.end, ls;
		if (tg.sigil && strchr("!#^/>", tg.sigil) &&
		    standalone(s, tg.open, tg.end, &ls, &next))
			text_end = ls;
		add_text(t, file, pos, text_end, line);
		line = tg.line + (int)count_lines(s, tg.open, next);
		pos = next;
		if (add_tag(c, file, base, &tg))
			return -1;
	}

	if (c->depth > base) {
		const struct node *sec = &t->nodes[c->open_at[c->depth - 1]];
		const char *s = t->files[file].src;
		/* The last line, not the empty one after a final newline. */
		int last = line - (len > 0 && s[len - 1] == '\n');
		nk_fail(c->e, EX_CONFIG,
		        "%s:%d: section '%s' opened on line %d is never closed",
		        file_name(t, file), last,
		        snip(q, sizeof q, sec->name, strlen(sec->name)), sec->line);
		return -1;
	}
	return 0;
}

struct tmpl *tmpl_compile_with(const char *name, const char *text, enum tmpl_escape esc,
                               tmpl_partial_fn load, void *ud, struct nk_err *e)
{
	struct tmpl *t = xcalloc(1, sizeof *t);
	struct compiler c = { .t = t, .load = load, .ud = ud, .e = e };

	t->name = xstrdup(name ? name : "template");
	t->esc = esc;
	t->files = xgrow(NULL, &t->files_cap, 1, sizeof *t->files);
	t->files[0].name = xstrdup(t->name);
	t->files[0].src = xstrdup(text ? text : "");
	t->nfiles = 1;
	if (compile_file(&c, 0)) {
		tmpl_free(t);
		return NULL;
	}
	return t;
}

struct tmpl *tmpl_compile(const char *name, const char *text,
                          enum tmpl_escape esc, struct nk_err *e)
{
	return tmpl_compile_with(name, text, esc, NULL, NULL, e);
}

const char *tmpl_name(const struct tmpl *t)
{
	return t->name;
}

void tmpl_free(struct tmpl *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->nodes[i].name);
		free(t->nodes[i].parts);
	}
	for (size_t i = 0; i < t->nfiles; i++) {
		free(t->files[i].name);
		free(t->files[i].src);
	}
	free(t->files);
	free(t->nodes);
	free(t->name);
	free(t);
}

struct render {
	const struct tmpl *t;
	const char *const *slots;
	struct skel *sk;
	const cJSON *stack[MAX_DEPTH + 1];  /* [0] is the data, [top] innermost */
	int top;
	struct nk_err *e;
};

/* Returns the slot index of name, or -1. */
static long find_slot(const char *const *slots, const char *name)
{
	if (!slots)
		return -1;
	for (long i = 0; slots[i]; i++)
		if (strcmp(slots[i], name) == 0)
			return i;
	return -1;
}

/* Mustache lookup: the first part is searched from the innermost context
 * outwards, the rest only below what it found. */
static const cJSON *lookup(const struct render *r, const struct node *nd)
{
	if (nd->nparts == 0)
		return r->stack[r->top];

	const char *p = nd->parts;
	const cJSON *v = NULL;
	for (int i = r->top; i >= 0 && !v; i--)
		if (cJSON_IsObject(r->stack[i]))
			v = cJSON_GetObjectItemCaseSensitive(r->stack[i], p);
	for (int k = 1; k < nd->nparts && v; k++) {
		p += strlen(p) + 1;
		v = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, p) : NULL;
	}
	return v;
}

static int truthy(const cJSON *v)
{
	if (!v || cJSON_IsFalse(v) || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsString(v))
		return v->valuestring && v->valuestring[0];
	if (cJSON_IsNumber(v))
		return v->valuedouble != 0;
	if (cJSON_IsArray(v))
		return v->child != NULL;
	return 1;
}

static void print_value(struct buf *out, const cJSON *v, int escape)
{
	if (cJSON_IsString(v) && v->valuestring) {
		size_t n = strlen(v->valuestring);
		if (escape)
			html_escape(out, v->valuestring, n);
		else
			buf_add(out, v->valuestring, n);
	} else if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		/* Within ±2^53 every integral double converts exactly. */
		if (d >= -9007199254740992.0 && d <= 9007199254740992.0 &&
		    d == (double)(long long)d)
			buf_printf(out, "%lld", (long long)d);
		else
			buf_printf(out, "%g", d);
	} else if (cJSON_IsTrue(v)) {
		buf_adds(out, "true");
	}
}

static int render_range(struct render *r, size_t from, size_t to);

/* Renders nodes [from, to) with ctx as the innermost context. The stack
 * cannot overflow: compiling limits nesting to MAX_DEPTH. */
static int render_in(struct render *r, const cJSON *ctx, size_t from, size_t to)
{
	r->stack[++r->top] = ctx;
	int rc = render_range(r, from, to);
	r->top--;
	return rc;
}

static int render_range(struct render *r, size_t from, size_t to)
{
	const struct tmpl *t = r->t;
	struct skel *sk = r->sk;

	for (size_t i = from; i < to; i++) {
		const struct node *nd = &t->nodes[i];
		const cJSON *v;
		long slot;

		switch (nd->kind) {
		case N_TEXT:
			buf_add(&sk->text, nd->text, nd->len);
			break;
		case N_VAR:
			slot = find_slot(r->slots, nd->name);
			if (slot >= 0) {
				sk->refs = xgrow(sk->refs, &sk->cap, sk->nrefs + 1,
				                 sizeof *sk->refs);
				sk->refs[sk->nrefs++] = (struct slot_ref){
					.off = sk->text.len,
					.index = (size_t)slot,
					.raw = nd->raw,
				};
				break;
			}
			print_value(&sk->text, lookup(r, nd),
			            t->esc == TMPL_ESCAPE_HTML && !nd->raw);
			break;
		case N_SECTION:
		case N_INVERTED:
			if (find_slot(r->slots, nd->name) >= 0) {
				nk_fail(r->e, EX_CONFIG,
				        "%s:%d: '%s' is filled per recipient and cannot be a section",
				        file_name(t, nd->file), nd->line, nd->name);
				return -1;
			}
			v = lookup(r, nd);
			if (nd->kind == N_INVERTED) {
				if (!truthy(v) && render_range(r, i + 1, nd->end))
					return -1;
			} else if (!truthy(v)) {
				;
			} else if (cJSON_IsArray(v)) {
				for (const cJSON *el = v->child; el; el = el->next)
					if (render_in(r, el, i + 1, nd->end))
						return -1;
			} else if (cJSON_IsObject(v)) {
				if (render_in(r, v, i + 1, nd->end))
					return -1;
			} else if (render_range(r, i + 1, nd->end)) {
				return -1;
			}
			i = nd->end - 1;
			break;
		}
	}
	return 0;
}

struct skel *tmpl_render(const struct tmpl *t, const cJSON *data,
                         const char *const *slots, struct nk_err *e)
{
	struct render r = {
		.t = t,
		.slots = slots,
		.sk = xcalloc(1, sizeof *r.sk),
		.top = 0,
		.e = e,
	};

	r.stack[0] = data;
	r.sk->esc = t->esc;
	if (render_range(&r, 0, t->n)) {
		skel_free(r.sk);
		return NULL;
	}
	return r.sk;
}

/* Appends the skeleton's text[from, to) with the slots in it filled; *r is
 * the first slot at or after from and is moved past those used. */
static void fill_range(const struct skel *s, const char *const *values, size_t from,
                       size_t to, size_t *r, struct buf *out)
{
	const char *text = buf_str(&s->text);
	size_t pos = from;

	for (; *r < s->nrefs && s->refs[*r].off <= to; (*r)++) {
		const struct slot_ref *ref = &s->refs[*r];
		buf_add(out, text + pos, ref->off - pos);
		pos = ref->off;
		const char *v = values ? values[ref->index] : NULL;
		if (!v)
			continue;
		if (s->esc == TMPL_ESCAPE_HTML && !ref->raw)
			html_escape(out, v, strlen(v));
		else
			buf_adds(out, v);
	}
	buf_add(out, text + pos, to - pos);
}

void skel_fill(const struct skel *s, const char *const *values, struct buf *out)
{
	size_t r = 0;

	if (s->wrap_width <= 0) {
		fill_range(s, values, 0, s->text.len, &r, out);
		return;
	}
	/* Each line that holds a slot is filled first and wrapped after, so
	 * a long name wraps like any other text. */
	const char *text = buf_str(&s->text);
	size_t pos = 0;
	struct buf line = {0};
	while (r < s->nrefs) {
		size_t off = s->refs[r].off, ls = off, le;
		while (ls > pos && text[ls - 1] != '\n')
			ls--;
		const char *nl = memchr(text + off, '\n', s->text.len - off);
		le = nl ? (size_t)(nl - text) : s->text.len;
		buf_add(out, text + pos, ls - pos);
		buf_truncate(&line, 0);
		fill_range(s, values, ls, le, &r, &line);
		wrap_line(buf_str(&line), line.len, s->wrap_width, s->wrap_words, out);
		pos = le;
	}
	buf_add(out, text + pos, s->text.len - pos);
	buf_free(&line);
}

void skel_map_lines(struct skel *s,
                    void (*fn)(const char *line, size_t len, struct buf *out, void *ud),
                    void *ud)
{
	const char *text = buf_str(&s->text);
	size_t len = s->text.len, a = 0, r = 0;
	struct buf nt = {0};

	/* Slot offsets stay sorted, so the slots of a line are the next ones
	 * whose offset is at most the line's end. */
	for (;;) {
		const char *nl = memchr(text + a, '\n', len - a);
		size_t end = nl ? (size_t)(nl - text) : len;

		/* Text ending in '\n' has no further line unless a slot
		 * follows it. */
		if (!nl && a == len && r == s->nrefs)
			break;
		if (r < s->nrefs && s->refs[r].off <= end) {
			size_t base = nt.len;
			buf_add(&nt, text + a, end - a);
			for (; r < s->nrefs && s->refs[r].off <= end; r++)
				s->refs[r].off = s->refs[r].off - a + base;
		} else {
			fn(text + a, end - a, &nt, ud);
		}
		if (!nl)
			break;
		buf_addc(&nt, '\n');
		a = end + 1;
	}
	buf_free(&s->text);
	s->text = nt;
}

static void wrap_cb(const char *line, size_t len, struct buf *out, void *ud)
{
	const struct skel *s = ud;
	wrap_line(line, len, s->wrap_width, s->wrap_words, out);
}

void skel_wrap(struct skel *s, int width, enum wrap_words words)
{
	if (width <= 0)
		return;
	s->wrap_width = width;
	s->wrap_words = words;
	skel_map_lines(s, wrap_cb, s);
}

size_t skel_nslots(const struct skel *s)
{
	return s->nrefs;
}

/* ---- checking names against a schema ---- */

struct lint {
	const struct tmpl *t;
	const char *const *slots;
	const cJSON *stack[MAX_DEPTH + 1];
	int top;
	tmpl_report_fn report;
	void *ud;
	int found;
};

static const cJSON *lint_lookup(const struct lint *l, const struct node *nd)
{
	/* The same search as rendering: a struct render with the same stack. */
	struct render r = { .top = l->top };
	memcpy(r.stack, l->stack, sizeof r.stack);
	return lookup(&r, nd);
}

static void lint_problem(struct lint *l, const struct node *nd, const char *what)
{
	l->found++;
	if (l->report)
		l->report(l->ud, file_name(l->t, nd->file), nd->line, what, nd->name);
}

static void lint_range(struct lint *l, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		const struct node *nd = &l->t->nodes[i];
		const cJSON *v;

		switch (nd->kind) {
		case N_TEXT:
			break;
		case N_VAR:
			if (find_slot(l->slots, nd->name) < 0 && !lint_lookup(l, nd))
				lint_problem(l, nd, "unknown variable");
			break;
		case N_SECTION:
		case N_INVERTED:
			if (find_slot(l->slots, nd->name) >= 0) {
				lint_problem(l, nd, "per-recipient value used as a section");
			} else if (!(v = lint_lookup(l, nd))) {
				lint_problem(l, nd, "unknown section");
			} else if (nd->kind == N_SECTION && (cJSON_IsArray(v) || cJSON_IsObject(v))) {
				/* A list's schema is its one example element. */
				const cJSON *ctx = cJSON_IsArray(v) ? v->child : v;
				if (ctx) {
					l->stack[++l->top] = ctx;
					lint_range(l, i + 1, nd->end);
					l->top--;
				}
			} else {
				lint_range(l, i + 1, nd->end);
			}
			i = nd->end - 1;
			break;
		}
	}
}

bool tmpl_uses(const struct tmpl *t, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < t->n; i++) {
		const char *v = t->nodes[i].name;
		if (v && !strncmp(v, name, n) && (v[n] == '\0' || v[n] == '.'))
			return true;
	}
	return false;
}

int tmpl_lint(const struct tmpl *t, const cJSON *schema, const char *const *slots,
              tmpl_report_fn report, void *ud)
{
	struct lint l = { .t = t, .slots = slots, .report = report, .ud = ud };
	l.stack[0] = schema;
	lint_range(&l, 0, t->n);
	return l.found;
}

size_t skel_runs(const struct skel *s, struct skel_run **out)
{
	const char *text = buf_str(&s->text);
	size_t len = s->text.len, pos = 0, n = 0, cap = 0, r = 0;
	struct skel_run *v = NULL;
	while (r < s->nrefs) {
		size_t off = s->refs[r].off, ls = off;
		while (ls > pos && text[ls - 1] != '\n')
			ls--;
		const char *nl = memchr(text + off, '\n', len - off);
		size_t eol = nl ? (size_t)(nl - text) : len;   /* where its '\n' is */
		size_t le = nl ? eol + 1 : len;
		size_t first = r;
		/* As in skel_fill: a slot just before the '\n' is the line's. */
		while (r < s->nrefs && s->refs[r].off <= eol)
			r++;
		v = xgrow(v, &cap, n + 2, sizeof *v);
		if (ls > pos)
			v[n++] = (struct skel_run){ pos, ls - pos, false, 0, 0 };
		v[n++] = (struct skel_run){ ls, le - ls, true, first, r - first };
		pos = le;
	}
	if (pos < len) {
		v = xgrow(v, &cap, n + 1, sizeof *v);
		v[n++] = (struct skel_run){ pos, len - pos, false, 0, 0 };
	}
	*out = v;
	return n;
}

const char *skel_text(const struct skel *s)
{
	return buf_str(&s->text);
}

void skel_fill_run(const struct skel *s, const struct skel_run *run,
                   const char *const *values, struct buf *out)
{
	size_t r = run->ref;
	const char *text = buf_str(&s->text);
	bool nl = run->len && text[run->off + run->len - 1] == '\n';
	size_t end = run->off + run->len - (nl ? 1 : 0);
	if (s->wrap_width <= 0) {
		fill_range(s, values, run->off, end, &r, out);
	} else {
		struct buf line = {0};
		fill_range(s, values, run->off, end, &r, &line);
		wrap_line(buf_str(&line), line.len, s->wrap_width, s->wrap_words, out);
		buf_free(&line);
	}
	if (nl)
		buf_addc(out, '\n');
}

int skel_has_slots(const struct skel *s)
{
	return s->nrefs > 0;
}

void skel_free(struct skel *s)
{
	if (!s)
		return;
	buf_free(&s->text);
	free(s->refs);
	free(s);
}
