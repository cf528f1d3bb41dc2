/* test_template.c — the template engine: Mustache behaviour, compile
 * errors, per-recipient slots and line mapping (digest/template.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "template.h"

/* Compiles and renders tpl over json (NULL: no data) with no slots and
 * returns the filled text; caller frees. */
static char *render(const char *tpl, const char *json, enum tmpl_escape esc)
{
	struct nk_err e = {0};
	struct tmpl *t = tmpl_compile("t", tpl, esc, &e);
	if (!t)
		fail_msg("compile: %s", e.msg);
	cJSON *data = json ? cJSON_Parse(json) : NULL;
	if (json)
		assert_non_null(data);
	struct skel *s = tmpl_render(t, data, NULL, &e);
	if (!s)
		fail_msg("render: %s", e.msg);
	struct buf out = {0};
	skel_fill(s, NULL, &out);
	skel_free(s);
	cJSON_Delete(data);
	tmpl_free(t);
	return buf_detach(&out);
}

static void expect_esc(const char *tpl, const char *json, enum tmpl_escape esc,
                       const char *want)
{
	char *got = render(tpl, json, esc);
	assert_string_equal(got, want);
	free(got);
}

static void expect(const char *tpl, const char *json, const char *want)
{
	expect_esc(tpl, json, TMPL_ESCAPE_NONE, want);
}

static void expect_compile_error(const char *name, const char *tpl,
                                 const char *msg)
{
	struct nk_err e = {0};
	struct tmpl *t = tmpl_compile(name, tpl, TMPL_ESCAPE_HTML, &e);
	assert_null(t);
	assert_int_equal(e.code, EX_CONFIG);
	assert_string_equal(e.msg, msg);
}

/* Variables */

static void variable_is_html_escaped_in_html_context(void **state)
{
	(void)state;
	expect_esc("<p>{{v}}</p>", "{\"v\": \"<a href=\\\"x\\\">Tom & Jerry's</a>\"}",
	           TMPL_ESCAPE_HTML,
	           "<p>&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;</p>");
}

static void variable_is_copied_as_is_in_text_context(void **state)
{
	(void)state;
	expect("{{v}}", "{\"v\": \"<b>Tom & Jerry's \\\"show\\\"</b>\"}",
	       "<b>Tom & Jerry's \"show\"</b>");
}

static void triple_mustache_is_raw_in_html(void **state)
{
	(void)state;
	expect_esc("{{{v}}}", "{\"v\": \"<b>&amp;</b>\"}", TMPL_ESCAPE_HTML,
	           "<b>&amp;</b>");
}

static void ampersand_tag_is_raw_in_html(void **state)
{
	(void)state;
	expect_esc("{{&v}}", "{\"v\": \"<b>&amp;</b>\"}", TMPL_ESCAPE_HTML,
	           "<b>&amp;</b>");
}

static void white_space_inside_tags_is_allowed(void **state)
{
	(void)state;
	expect_esc("{{ v }}|{{{ v }}}|{{& v }}|{{# b }}yes{{/ b }}|{{^ n }}no{{/ n }}",
	           "{\"v\": \"<\", \"b\": true}", TMPL_ESCAPE_HTML,
	           "&lt;|<|<|yes|no");
}

static void missing_false_and_null_variables_print_nothing(void **state)
{
	(void)state;
	expect("[{{missing}}|{{f}}|{{n}}|{{a.b}}]", "{\"f\": false, \"n\": null}",
	       "[|||]");
}

static void numbers_print_as_integers_when_integral_else_g(void **state)
{
	(void)state;
	expect("{{a}} {{b}} {{c}} {{d}} {{e}} {{f}} {{g}} {{h}} {{t}}",
	       "{\"a\": 10, \"b\": -3, \"c\": 2.5, \"d\": 0, \"e\": 1e20,"
	       " \"f\": 0.000125, \"g\": 20260101, \"h\": 10.0, \"t\": true}",
	       "10 -3 2.5 0 1e+20 0.000125 20260101 10 true");
}

static void utf8_and_curly_quotes_pass_through_untouched(void **state)
{
	(void)state;
	const char *json = "{\"v\": \"\xe2\x80\x9cHello\xe2\x80\x9d \xe2\x80\x98x\xe2\x80\x99 "
	                   "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 \xe2\x80\x94 caf\xc3\xa9\"}";
	const char *want = "\xc2\xab \xe2\x80\x9cHello\xe2\x80\x9d \xe2\x80\x98x\xe2\x80\x99 "
	                   "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 \xe2\x80\x94 caf\xc3\xa9 \xc2\xbb";
	expect_esc("\xc2\xab {{v}} \xc2\xbb", json, TMPL_ESCAPE_HTML, want);
	expect_esc("\xc2\xab {{v}} \xc2\xbb", json, TMPL_ESCAPE_NONE, want);
}

static void template_text_is_copied_at_compile(void **state)
{
	(void)state;
	struct nk_err e = {0};
	char src[] = "Hello {{v}}!";
	struct tmpl *t = tmpl_compile("t", src, TMPL_ESCAPE_NONE, &e);
	assert_non_null(t);
	memset(src, 'X', sizeof src - 1);
	cJSON *data = cJSON_Parse("{\"v\": \"you\"}");
	struct skel *s = tmpl_render(t, data, NULL, &e);
	assert_non_null(s);
	struct buf out = {0};
	skel_fill(s, NULL, &out);
	assert_string_equal(buf_str(&out), "Hello you!");
	buf_free(&out);
	skel_free(s);
	cJSON_Delete(data);
	tmpl_free(t);
}

/* Sections */

static void section_over_list_renders_once_per_element_with_element_pushed(void **state)
{
	(void)state;
	expect("{{#items}}[{{name}}]{{/items}}",
	       "{\"items\": [{\"name\": \"a\"}, {\"name\": \"b\"}, {\"name\": \"c\"}]}",
	       "[a][b][c]");
}

static void dot_is_the_current_element(void **state)
{
	(void)state;
	expect("{{#tags}}<{{.}}>{{/tags}}", "{\"tags\": [\"x\", 2, true]}",
	       "<x><2><true>");
	expect_esc("{{#tags}}{{.}}{{/tags}}", "{\"tags\": [\"a&b\"]}",
	           TMPL_ESCAPE_HTML, "a&amp;b");
}

static void section_over_object_renders_once_with_it_pushed(void **state)
{
	(void)state;
	expect("{{#site}}{{title}} ({{url}}){{/site}}",
	       "{\"site\": {\"title\": \"NK News\", \"url\": \"https://x\"}}",
	       "NK News (https://x)");
	expect("{{#o}}in{{/o}}", "{\"o\": {}}", "in");
}

static void section_over_truthy_scalar_renders_once_without_pushing(void **state)
{
	(void)state;
	expect("{{#b}}{{name}}{{/b}}|{{#s}}{{name}}{{/s}}|{{#n}}{{name}}{{/n}}",
	       "{\"b\": true, \"s\": \"yes\", \"n\": 3, \"name\": \"outer\"}",
	       "outer|outer|outer");
}

static void section_is_skipped_for_falsy_values(void **state)
{
	(void)state;
	expect("[{{#f}}F{{/f}}{{#n}}N{{/n}}{{#m}}M{{/m}}{{#s}}S{{/s}}"
	       "{{#a}}A{{/a}}{{#z}}Z{{/z}}]",
	       "{\"f\": false, \"n\": null, \"s\": \"\", \"a\": [], \"z\": 0}",
	       "[]");
}

static void inverted_section_renders_for_missing_empty_and_false(void **state)
{
	(void)state;
	expect("{{^f}}F{{/f}}{{^n}}N{{/n}}{{^m}}M{{/m}}{{^s}}S{{/s}}"
	       "{{^a}}A{{/a}}{{^z}}Z{{/z}}",
	       "{\"f\": false, \"n\": null, \"s\": \"\", \"a\": [], \"z\": 0}",
	       "FNMSAZ");
}

static void inverted_section_is_skipped_for_truthy_values(void **state)
{
	(void)state;
	expect("[{{^t}}T{{/t}}{{^s}}S{{/s}}{{^a}}A{{/a}}{{^o}}O{{/o}}{{^x}}X{{/x}}]",
	       "{\"t\": true, \"s\": \"x\", \"a\": [1], \"o\": {}, \"x\": 1.5}",
	       "[]");
}

static void nested_sections_render_inner_lists_per_outer_element(void **state)
{
	(void)state;
	expect("{{#days}}{{date}}:{{#items}} {{t}}{{/items}};{{/days}}",
	       "{\"days\": [{\"date\": \"Mon\", \"items\": [{\"t\": \"a\"}, {\"t\": \"b\"}]},"
	       " {\"date\": \"Tue\", \"items\": [{\"t\": \"c\"}]}]}",
	       "Mon: a b;Tue: c;");
}

/* Names */

static void dotted_names_descend_into_objects(void **state)
{
	(void)state;
	expect("{{a.b.c}}|{{a.x.c}}|{{a.b.c.d}}",
	       "{\"a\": {\"b\": {\"c\": \"deep\"}}}", "deep||");
	expect("{{#a.b}}{{c}}{{/a.b}}", "{\"a\": {\"b\": {\"c\": \"in\"}}}", "in");
}

static void names_resolve_through_the_context_stack_innermost_first(void **state)
{
	(void)state;
	expect("{{#items}}{{name}}/{{site}},{{/items}}",
	       "{\"name\": \"outer\", \"site\": \"S\","
	       " \"items\": [{\"name\": \"inner\"}, {\"other\": 1}]}",
	       "inner/S,outer/S,");
}

static void dotted_name_does_not_fall_back_past_its_first_part(void **state)
{
	(void)state;
	/* a.b is found on the inner context, so b.c is looked up only there,
	 * not in the outer b that does have a c. */
	expect("{{#a}}[{{b.c}}]{{/a}}",
	       "{\"a\": {\"b\": {}}, \"b\": {\"c\": \"ERROR\"}}", "[]");
	expect("{{#a}}[{{b.c}}]{{/a}}",
	       "{\"a\": {\"x\": 1}, \"b\": {\"c\": \"outer\"}}", "[outer]");
}

static void names_are_case_sensitive(void **state)
{
	(void)state;
	expect("{{Name}}|{{name}}", "{\"name\": \"x\"}", "|x");
}

/* Standalone lines and comments */

static void standalone_section_lines_leave_no_trace(void **state)
{
	(void)state;
	expect("Items:\n"
	       "{{#items}}\n"
	       "  - {{.}}\n"
	       "  {{/items}}\n"
	       "\t{{^items}}  \n"
	       "none\n"
	       "{{/items}}\n"
	       "End\n",
	       "{\"items\": [\"a\", \"b\"]}",
	       "Items:\n  - a\n  - b\nEnd\n");
}

static void standalone_tags_work_with_crlf_and_at_both_ends(void **state)
{
	(void)state;
	expect("{{#b}}\r\nx\r\n{{/b}}\r\ny\r\n", "{\"b\": true}", "x\r\ny\r\n");
	expect("a\n  {{#b}}\nx\n  {{/b}}", "{\"b\": true}", "a\nx\n");
}

static void tags_sharing_a_line_are_not_standalone(void **state)
{
	(void)state;
	expect(" {{#b}}YES{{/b}}\n", "{\"b\": true}", " YES\n");
	expect("{{#b}}{{/b}}\n", "{\"b\": true}", "\n");
	expect("{{v}} {{#b}}\nx\n{{/b}}", "{\"b\": true, \"v\": 1}", "1 \nx\n");
	expect("{{#b}}\nx\n{{/b}} {{v}}\n", "{\"b\": true, \"v\": 1}", "x\n 1\n");
}

static void variable_alone_on_a_line_keeps_the_line(void **state)
{
	(void)state;
	expect("a\n  {{missing}}\nb\n", "{}", "a\n  \nb\n");
}

static void comments_are_dropped(void **state)
{
	(void)state;
	expect("12{{! a comment }}34", NULL, "1234");
	expect("a\n  {{! standalone }}\nb\n", NULL, "a\nb\n");
	expect("a\n{{!\n  several\n  lines\n}}\nb\n", NULL, "a\nb\n");
	expect("a {{!x}} b\n", NULL, "a  b\n");
}

/* Compile errors */

static void unclosed_tag_is_an_error_naming_its_line(void **state)
{
	(void)state;
	expect_compile_error("t.txt", "ok\nhi {{name\nbye {{x}}\n",
	                     "t.txt:2: unclosed tag '{{name'");
	expect_compile_error("t.txt", "a\n\n{{{raw}}\n", "t.txt:3: unclosed tag '{{{raw}}'");
	expect_compile_error("t.txt", "a\n{{! never ends\n\n", "t.txt:2: unclosed tag '{{! never ends'");
}

static void section_never_closed_is_an_error_naming_where_it_opened(void **state)
{
	(void)state;
	expect_compile_error("t.html", "a\n{{#dates}}\nx\ny\n",
	                     "t.html:4: section 'dates' opened on line 2 is never closed");
}

static void mismatched_close_tag_is_an_error(void **state)
{
	(void)state;
	expect_compile_error("digest.html", "{{#dates}}\n\n{{/date}}\n",
	                     "digest.html:3: section 'dates' opened on line 1 is closed by 'date'");
	expect_compile_error("digest.html", "{{#a}}{{#b}}\n{{/a}}{{/b}}",
	                     "digest.html:2: section 'b' opened on line 1 is closed by 'a'");
}

static void close_tag_without_open_section_is_an_error(void **state)
{
	(void)state;
	expect_compile_error("t", "x\n{{/items}}\n", "t:2: '{{/items}}' closes no open section");
}

static void empty_tag_name_is_an_error(void **state)
{
	(void)state;
	expect_compile_error("t", "{{}}", "t:1: empty tag name in '{{}}'");
	expect_compile_error("t", "a\n{{ }}", "t:2: empty tag name in '{{ }}'");
	expect_compile_error("t", "{{{ }}}", "t:1: empty tag name in '{{{ }}}'");
	expect_compile_error("t", "{{#}}{{/}}", "t:1: empty tag name in '{{#}}'");
	expect_compile_error("t", "{{#a}}{{/}}", "t:1: empty tag name in '{{/}}'");
	expect_compile_error("t", "{{&}}", "t:1: empty tag name in '{{&}}'");
}

static void invalid_tag_names_are_errors(void **state)
{
	(void)state;
	expect_compile_error("t", "{{a b}}", "t:1: invalid tag name 'a b'");
	expect_compile_error("t", "\n{{a..b}}", "t:2: invalid tag name 'a..b'");
	expect_compile_error("t", "{{#.a}}{{/.a}}", "t:1: invalid tag name '.a'");
	expect_compile_error("t", "{{a.}}", "t:1: invalid tag name 'a.'");
}

static void partials_without_a_loader_are_an_error(void **state)
{
	(void)state;
	expect_compile_error("t", "a\nb\n{{> footer}}\n",
	                     "t:3: partials are not available here: '{{> footer}}'");
}

/* Partials for the tests: name -> text; "fail" fails as a loader may. */
static const char *const partials[][2] = {
	{ "item", "<li>{{title}}</li>\n" },
	{ "list", "<ul>\n{{#items}}\n{{> item}}\n{{/items}}\n</ul>\n" },
	{ "broken", "ok\n{{#open}}\nnever closed\n" },
	{ "closer", "{{/items}}\n" },
	{ "unknown", "line 1\n{{nosuch}}\n" },
	{ "self", "again {{> self}}" },
	{ NULL, NULL },
};

static int load_partial(const char *name, void *ud, char **text, char **origin,
                        struct nk_err *e)
{
	int *calls = ud;
	(*calls)++;
	for (size_t i = 0; partials[i][0]; i++)
		if (strcmp(partials[i][0], name) == 0) {
			*text = strdup(partials[i][1]);
			*origin = NULL;
			assert_true(asprintf(origin, "%s.html", name) > 0);
			return 0;
		}
	return nk_fail(e, EX_CONFIG, "no partial '%s'", name);
}

static char *render_with_partials(const char *tpl, const char *json)
{
	struct nk_err e = {0};
	int calls = 0;
	struct tmpl *t = tmpl_compile_with("main.html", tpl, TMPL_ESCAPE_HTML,
	                                   load_partial, &calls, &e);
	if (!t)
		fail_msg("compile: %s", e.msg);
	cJSON *data = cJSON_Parse(json);
	struct skel *s = tmpl_render(t, data, NULL, &e);
	assert_non_null(s);
	struct buf out = {0};
	skel_fill(s, NULL, &out);
	skel_free(s);
	cJSON_Delete(data);
	tmpl_free(t);
	return buf_detach(&out);
}

static void partials_render_in_place_and_nest(void **state)
{
	(void)state;
	char *out = render_with_partials("<h1>{{title}}</h1>\n{{> list}}\nend\n",
	                                 "{\"title\": \"A & B\", \"items\": "
	                                 "[{\"title\": \"one\"}, {\"title\": \"<two>\"}]}");
	/* Standalone partial lines leave no blank line; the partial sees the
	 * element its section pushed, and escaping is the template's. */
	assert_string_equal(out, "<h1>A &amp; B</h1>\n<ul>\n<li>one</li>\n"
	                         "<li>&lt;two&gt;</li>\n</ul>\nend\n");
	free(out);
}

static void expect_partial_error(const char *tpl, const char *msg)
{
	struct nk_err e = {0};
	int calls = 0;
	struct tmpl *t = tmpl_compile_with("main.html", tpl, TMPL_ESCAPE_HTML,
	                                   load_partial, &calls, &e);
	assert_null(t);
	assert_int_equal(e.code, EX_CONFIG);
	assert_string_equal(e.msg, msg);
}

static void partial_errors_name_the_file_and_line(void **state)
{
	(void)state;
	expect_partial_error("a\n{{> missing}}\n", "main.html:2: no partial 'missing'");
	expect_partial_error("a\n\n{{> broken}}\n",
	                     "broken.html:3: section 'open' opened on line 2 is never closed");
	expect_partial_error("{{#items}}\n{{> closer}}\n",
	                     "closer.html:1: '{{/items}}' closes no open section");
	expect_partial_error("{{> ../etc/passwd}}",
	                     "main.html:1: a partial's name is letters, digits, '-' and '_': "
	                     "'{{> ../etc/passwd}}'");
	expect_partial_error("x {{> self}}",
	                     "self.html:1: partials nested more than 8 deep (does one "
	                     "include itself?)");
}

/* ---- strict mode ---- */

static const char *const lint_slots[] = { "recipient.name", "unsubscribe_url", NULL };

struct reports {
	struct buf all;   /* "file:line: what 'name'\n" for each */
};

static void collect(void *ud, const char *file, int line, const char *what,
                    const char *name)
{
	struct reports *r = ud;
	buf_printf(&r->all, "%s:%d: %s '%s'\n", file, line, what, name);
}

static const char SCHEMA[] =
	"{\"title\": \"\", \"lead\": {\"title\": \"\", \"url\": \"\"},"
	" \"days\": [{\"date\": \"\", \"articles\": [{\"title\": \"\", \"teaser\": false}]}],"
	" \"more\": {\"count\": 1}}";

static char *lint(const char *tpl, int *found)
{
	struct nk_err e = {0};
	int calls = 0;
	struct tmpl *t = tmpl_compile_with("main.html", tpl, TMPL_ESCAPE_HTML,
	                                   load_partial, &calls, &e);
	if (!t)
		fail_msg("compile: %s", e.msg);
	cJSON *schema = cJSON_Parse(SCHEMA);
	struct reports r = {0};
	*found = tmpl_lint(t, schema, lint_slots, collect, &r);
	cJSON_Delete(schema);
	tmpl_free(t);
	return r.all.s ? buf_detach(&r.all) : strdup("");
}

static void lint_accepts_every_known_name(void **state)
{
	(void)state;
	int n;
	/* Names from outer contexts, dotted names, '.', slots, inverted
	 * sections over known names and a known scalar as a section. */
	char *got = lint("{{title}} {{lead.title}}{{#lead}}{{url}}{{/lead}}\n"
	                 "{{#days}}{{date}}{{#articles}}{{title}}{{^teaser}}{{date}}{{/teaser}}"
	                 "{{#teaser}}{{title}}{{/teaser}}{{/articles}}{{/days}}\n"
	                 "{{recipient.name}} {{{unsubscribe_url}}} {{#more}}{{count}}{{/more}}"
	                 "{{^more}}none{{/more}}{{#title}}{{.}}{{/title}}\n", &n);
	assert_string_equal(got, "");
	assert_int_equal(n, 0);
	free(got);
}

static void lint_reports_unknown_names_with_file_and_line(void **state)
{
	(void)state;
	int n;
	char *got = lint("{{title}}\n{{unknownvar}}\n{{#days}}\n{{#articles}}{{titel}}"
	                 "{{/articles}}\n{{/days}}\n{{#extras}}{{whatever}}{{/extras}}\n"
	                 "{{lead.nosuch}}{{#recipient.name}}x{{/recipient.name}}\n{{> unknown}}\n",
	                 &n);
	assert_string_equal(got,
	                    "main.html:2: unknown variable 'unknownvar'\n"
	                    "main.html:4: unknown variable 'titel'\n"
	                    "main.html:6: unknown section 'extras'\n"
	                    "main.html:7: unknown variable 'lead.nosuch'\n"
	                    "main.html:7: per-recipient value used as a section 'recipient.name'\n"
	                    "unknown.html:2: unknown variable 'nosuch'\n");
	assert_int_equal(n, 6);
	free(got);
}

static void lint_does_not_find_names_of_a_list_element_outside_it(void **state)
{
	(void)state;
	int n;
	/* "articles" belongs to a day: unknown at the top level. */
	char *got = lint("{{#articles}}{{title}}{{/articles}}", &n);
	assert_string_equal(got, "main.html:1: unknown section 'articles'\n");
	assert_int_equal(n, 1);
	free(got);
}

static void template_inheritance_is_an_error(void **state)
{
	(void)state;
	expect_compile_error("t", "{{<base}}{{/base}}",
	                     "t:1: template inheritance is not supported: '{{<base}}'");
	expect_compile_error("t", "\n{{$block}}x{{/block}}",
	                     "t:2: template inheritance is not supported: '{{$block}}'");
}

static void delimiter_changes_are_an_error(void **state)
{
	(void)state;
	expect_compile_error("t", "a\n{{=<% %>=}}\n",
	                     "t:2: changing delimiters is not supported: '{{=<% %>=}}'");
}

static void nesting_deeper_than_64_is_an_error(void **state)
{
	(void)state;
	struct buf b = {0};
	for (int i = 0; i < 64; i++)
		buf_adds(&b, "{{#a}}\n");
	for (int i = 0; i < 64; i++)
		buf_adds(&b, "{{/a}}\n");
	/* 64 levels are fine and render (the innermost true pushes nothing). */
	struct buf data = {0};
	for (int i = 0; i < 63; i++)
		buf_adds(&data, "{\"a\": ");
	buf_adds(&data, "{\"a\": true}");
	for (int i = 0; i < 63; i++)
		buf_adds(&data, "}");
	char *got = render(buf_str(&b), buf_str(&data), TMPL_ESCAPE_NONE);
	assert_string_equal(got, "");
	free(got);
	buf_free(&data);

	buf_free(&b);
	for (int i = 0; i < 65; i++)
		buf_adds(&b, "{{#a}}\n");
	expect_compile_error("t", buf_str(&b), "t:65: sections nested more than 64 deep");
	buf_free(&b);
}

static void long_tags_are_cut_in_messages(void **state)
{
	(void)state;
	struct nk_err e = {0};
	struct buf b = {0};
	buf_adds(&b, "{{");
	for (int i = 0; i < 300; i++)
		buf_adds(&b, "\xed\x95\x9c");
	assert_null(tmpl_compile("t", buf_str(&b), TMPL_ESCAPE_NONE, &e));
	assert_true(strlen(e.msg) < 100);
	assert_non_null(strstr(e.msg, "t:1: unclosed tag '{{"));
	assert_non_null(strstr(e.msg, "\xed\x95\x9c...'"));
	buf_free(&b);
}

/* Slots */

static const char *const slots[] = { "recipient.name", "unsubscribe_url", NULL };

static struct skel *render_slots(const char *tpl, const char *json,
                                 enum tmpl_escape esc)
{
	struct nk_err e = {0};
	struct tmpl *t = tmpl_compile("t", tpl, esc, &e);
	if (!t)
		fail_msg("compile: %s", e.msg);
	cJSON *data = cJSON_Parse(json);
	struct skel *s = tmpl_render(t, data, slots, &e);
	if (!s)
		fail_msg("render: %s", e.msg);
	cJSON_Delete(data);
	tmpl_free(t);
	return s;
}

static void fill_and_check(const struct skel *s, const char *const *values,
                           const char *want)
{
	struct buf out = {0};
	skel_fill(s, values, &out);
	assert_string_equal(buf_str(&out), want);
	buf_free(&out);
}

static void one_skeleton_fills_with_different_values(void **state)
{
	(void)state;
	/* The data has a recipient.name too: a slot must not be looked up. */
	struct skel *s = render_slots(
		"Hi {{recipient.name}}, {{title}}\nLeave: {{unsubscribe_url}}\n",
		"{\"title\": \"News\", \"recipient\": {\"name\": \"DATA\"}}",
		TMPL_ESCAPE_NONE);
	assert_true(skel_has_slots(s));
	const char *ann[] = { "Ann", "https://u/1", NULL };
	const char *bob[] = { "Bob", "https://u/2", NULL };
	fill_and_check(s, ann, "Hi Ann, News\nLeave: https://u/1\n");
	fill_and_check(s, bob, "Hi Bob, News\nLeave: https://u/2\n");
	fill_and_check(s, ann, "Hi Ann, News\nLeave: https://u/1\n");
	skel_free(s);
}

static void slot_is_escaped_unless_raw_in_html(void **state)
{
	(void)state;
	struct skel *s = render_slots("<b>{{recipient.name}}</b>|{{{recipient.name}}}|{{& recipient.name}}",
	                              "{}", TMPL_ESCAPE_HTML);
	const char *v[] = { "Tom & <Jerry>", NULL };
	fill_and_check(s, v, "<b>Tom &amp; &lt;Jerry&gt;</b>|Tom & <Jerry>|Tom & <Jerry>");
	skel_free(s);
}

static void slot_is_not_escaped_in_text(void **state)
{
	(void)state;
	struct skel *s = render_slots("{{ recipient.name }}", "{}", TMPL_ESCAPE_NONE);
	const char *v[] = { "Tom & <Jerry>", NULL };
	fill_and_check(s, v, "Tom & <Jerry>");
	skel_free(s);
}

static void null_slot_value_prints_nothing(void **state)
{
	(void)state;
	struct skel *s = render_slots("[{{recipient.name}}|{{unsubscribe_url}}]", "{}",
	                              TMPL_ESCAPE_HTML);
	const char *v[] = { NULL, "u" };
	fill_and_check(s, v, "[|u]");
	fill_and_check(s, NULL, "[|]");
	skel_free(s);
}

static void slots_inside_sections_repeat_with_the_section(void **state)
{
	(void)state;
	struct skel *s = render_slots("{{#items}}{{.}}:{{unsubscribe_url}} {{/items}}",
	                              "{\"items\": [1, 2]}", TMPL_ESCAPE_NONE);
	const char *v[] = { "n", "U" };
	fill_and_check(s, v, "1:U 2:U ");
	skel_free(s);
}

static void skeleton_without_slot_names_has_no_slots(void **state)
{
	(void)state;
	struct skel *s = render_slots("{{recipient}} {{unsubscribe}} {{name}}",
	                              "{\"name\": \"x\"}", TMPL_ESCAPE_NONE);
	assert_false(skel_has_slots(s));
	fill_and_check(s, NULL, "  x");
	skel_free(s);
}

static void section_over_a_slot_is_a_render_error(void **state)
{
	(void)state;
	const char *tpls[] = {
		"a\n\n{{#recipient.name}}x{{/recipient.name}}",
		"a\n\n{{^recipient.name}}x{{/recipient.name}}",
	};
	for (size_t i = 0; i < 2; i++) {
		struct nk_err e = {0};
		struct tmpl *t = tmpl_compile("digest.txt", tpls[i], TMPL_ESCAPE_NONE, &e);
		assert_non_null(t);
		assert_null(tmpl_render(t, NULL, slots, &e));
		assert_int_equal(e.code, EX_CONFIG);
		assert_string_equal(e.msg, "digest.txt:3: 'recipient.name' is filled "
		                    "per recipient and cannot be a section");
		tmpl_free(t);
	}
}

/* skel_map_lines */

struct calls {
	int n;
	struct buf seen;   /* every line passed, each followed by '|' */
};

/* Wraps each line in <> and upper-cases it, recording what it was given. */
static void mark_line(const char *line, size_t len, struct buf *out, void *ud)
{
	struct calls *c = ud;
	c->n++;
	buf_add(&c->seen, line, len);
	buf_addc(&c->seen, '|');
	buf_addc(out, '<');
	for (size_t i = 0; i < len; i++)
		buf_addc(out, (char)toupper((unsigned char)line[i]));
	buf_addc(out, '>');
}

static void map_lines_rewrites_lines_without_slots_only(void **state)
{
	(void)state;
	struct skel *s = render_slots("Hi {{recipient.name}}!\nnews {{v}}\n\nbye {{unsubscribe_url}}\nend",
	                              "{\"v\": \"today\"}", TMPL_ESCAPE_NONE);
	struct calls c = {0};
	skel_map_lines(s, mark_line, &c);
	assert_int_equal(c.n, 3);
	assert_string_equal(buf_str(&c.seen), "news today||end|");
	const char *v[] = { "ann", "u" };
	fill_and_check(s, v, "Hi ann!\n<NEWS TODAY>\n<>\nbye u\n<END>");
	buf_free(&c.seen);
	skel_free(s);
}

static void map_lines_passes_a_line_of_several_segments_whole(void **state)
{
	(void)state;
	struct skel *s = render_slots("{{#items}}{{.}}, {{/items}}and {{last}}\n{{recipient.name}}\n",
	                              "{\"items\": [\"a\", \"b\"], \"last\": \"c\"}",
	                              TMPL_ESCAPE_NONE);
	struct calls c = {0};
	skel_map_lines(s, mark_line, &c);
	assert_int_equal(c.n, 1);
	assert_string_equal(buf_str(&c.seen), "a, b, and c|");
	const char *v[] = { "x", NULL };
	fill_and_check(s, v, "<A, B, AND C>\nx\n");
	buf_free(&c.seen);
	skel_free(s);
}

static void map_lines_keeps_slots_at_line_edges_in_place(void **state)
{
	(void)state;
	struct skel *s = render_slots("one\n{{recipient.name}}\ntwo{{unsubscribe_url}}\nthree\n",
	                              "{}", TMPL_ESCAPE_NONE);
	struct calls c = {0};
	skel_map_lines(s, mark_line, &c);
	assert_string_equal(buf_str(&c.seen), "one|three|");
	const char *v[] = { "N", "U" };
	fill_and_check(s, v, "<ONE>\nN\ntwoU\n<THREE>\n");
	buf_free(&c.seen);
	skel_free(s);

	s = render_slots("a\n{{recipient.name}}", "{}", TMPL_ESCAPE_NONE);
	skel_map_lines(s, mark_line, &c);
	fill_and_check(s, v, "<A>\nN");
	buf_free(&c.seen);
	skel_free(s);
}

/* Breaks a line at every space, as wrapping does. */
static void split_words(const char *line, size_t len, struct buf *out, void *ud)
{
	(void)ud;
	for (size_t i = 0; i < len; i++)
		buf_addc(out, line[i] == ' ' ? '\n' : line[i]);
}

static void map_lines_may_add_lines_without_moving_slots(void **state)
{
	(void)state;
	struct skel *s = render_slots("aa bb\n{{recipient.name}} {{unsubscribe_url}}\ntail x\n",
	                              "{}", TMPL_ESCAPE_NONE);
	skel_map_lines(s, split_words, NULL);
	const char *v[] = { "N", "U" };
	fill_and_check(s, v, "aa\nbb\nN U\ntail\nx\n");
	/* The lines it added are lines of their own from then on. */
	struct calls c = {0};
	skel_map_lines(s, mark_line, &c);
	assert_string_equal(buf_str(&c.seen), "aa|bb|tail|x|");
	fill_and_check(s, v, "<AA>\n<BB>\nN U\n<TAIL>\n<X>\n");
	buf_free(&c.seen);
	skel_free(s);
}

static void wrap_fills_slot_lines_before_wrapping_them(void **state)
{
	(void)state;
	struct skel *s = render_slots("Hello {{recipient.name}}, here is the news of the day.\n"
	                              "a line without any slot that is long enough to wrap\n"
	                              "Leave: {{unsubscribe_url}}\n", "{}", TMPL_ESCAPE_NONE);
	skel_wrap(s, 20, WRAP_NORMAL);
	/* A long name wraps with its line; a short one leaves it short. */
	const char *v[] = { "Maximilian Alexander Featherstonehaugh", "https://x.example/u?t=abc" };
	fill_and_check(s, v, "Hello Maximilian\nAlexander\nFeatherstonehaugh,\n"
	                     "here is the news of\nthe day.\n"
	                     "a line without any\nslot that is long\nenough to wrap\n"
	                     "Leave:\nhttps://x.example/u?t=abc\n");
	const char *w[] = { "Jo", "u" };
	fill_and_check(s, w, "Hello Jo, here is\nthe news of the day.\n"
	                     "a line without any\nslot that is long\nenough to wrap\n"
	                     "Leave: u\n");
	skel_free(s);
}

static void wrap_handles_several_slots_and_the_last_line(void **state)
{
	(void)state;
	struct skel *s = render_slots("{{recipient.name}} and {{recipient.name}} again\nx\n"
	                              "{{unsubscribe_url}}", "{}", TMPL_ESCAPE_NONE);
	skel_wrap(s, 10, WRAP_NORMAL);
	const char *v[] = { "Anne", "https://u.example/" };
	fill_and_check(s, v, "Anne and\nAnne again\nx\nhttps://u.example/");
	/* Empty values leave the line's own blanks, which become its indent. */
	fill_and_check(s, NULL, " and\n again\nx\n");
	skel_free(s);
}

static void map_lines_on_empty_skeleton_calls_nothing(void **state)
{
	(void)state;
	struct skel *s = render_slots("{{#none}}x{{/none}}", "{}", TMPL_ESCAPE_NONE);
	struct calls c = {0};
	skel_map_lines(s, mark_line, &c);
	assert_int_equal(c.n, 0);
	fill_and_check(s, NULL, "");
	skel_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(variable_is_html_escaped_in_html_context),
		cmocka_unit_test(variable_is_copied_as_is_in_text_context),
		cmocka_unit_test(triple_mustache_is_raw_in_html),
		cmocka_unit_test(ampersand_tag_is_raw_in_html),
		cmocka_unit_test(white_space_inside_tags_is_allowed),
		cmocka_unit_test(missing_false_and_null_variables_print_nothing),
		cmocka_unit_test(numbers_print_as_integers_when_integral_else_g),
		cmocka_unit_test(utf8_and_curly_quotes_pass_through_untouched),
		cmocka_unit_test(template_text_is_copied_at_compile),
		cmocka_unit_test(section_over_list_renders_once_per_element_with_element_pushed),
		cmocka_unit_test(dot_is_the_current_element),
		cmocka_unit_test(section_over_object_renders_once_with_it_pushed),
		cmocka_unit_test(section_over_truthy_scalar_renders_once_without_pushing),
		cmocka_unit_test(section_is_skipped_for_falsy_values),
		cmocka_unit_test(inverted_section_renders_for_missing_empty_and_false),
		cmocka_unit_test(inverted_section_is_skipped_for_truthy_values),
		cmocka_unit_test(nested_sections_render_inner_lists_per_outer_element),
		cmocka_unit_test(dotted_names_descend_into_objects),
		cmocka_unit_test(names_resolve_through_the_context_stack_innermost_first),
		cmocka_unit_test(dotted_name_does_not_fall_back_past_its_first_part),
		cmocka_unit_test(names_are_case_sensitive),
		cmocka_unit_test(standalone_section_lines_leave_no_trace),
		cmocka_unit_test(standalone_tags_work_with_crlf_and_at_both_ends),
		cmocka_unit_test(tags_sharing_a_line_are_not_standalone),
		cmocka_unit_test(variable_alone_on_a_line_keeps_the_line),
		cmocka_unit_test(comments_are_dropped),
		cmocka_unit_test(unclosed_tag_is_an_error_naming_its_line),
		cmocka_unit_test(section_never_closed_is_an_error_naming_where_it_opened),
		cmocka_unit_test(mismatched_close_tag_is_an_error),
		cmocka_unit_test(close_tag_without_open_section_is_an_error),
		cmocka_unit_test(empty_tag_name_is_an_error),
		cmocka_unit_test(invalid_tag_names_are_errors),
		cmocka_unit_test(partials_without_a_loader_are_an_error),
		cmocka_unit_test(partials_render_in_place_and_nest),
		cmocka_unit_test(partial_errors_name_the_file_and_line),
		cmocka_unit_test(lint_accepts_every_known_name),
		cmocka_unit_test(lint_reports_unknown_names_with_file_and_line),
		cmocka_unit_test(lint_does_not_find_names_of_a_list_element_outside_it),
		cmocka_unit_test(template_inheritance_is_an_error),
		cmocka_unit_test(delimiter_changes_are_an_error),
		cmocka_unit_test(nesting_deeper_than_64_is_an_error),
		cmocka_unit_test(long_tags_are_cut_in_messages),
		cmocka_unit_test(one_skeleton_fills_with_different_values),
		cmocka_unit_test(slot_is_escaped_unless_raw_in_html),
		cmocka_unit_test(slot_is_not_escaped_in_text),
		cmocka_unit_test(null_slot_value_prints_nothing),
		cmocka_unit_test(slots_inside_sections_repeat_with_the_section),
		cmocka_unit_test(skeleton_without_slot_names_has_no_slots),
		cmocka_unit_test(section_over_a_slot_is_a_render_error),
		cmocka_unit_test(map_lines_rewrites_lines_without_slots_only),
		cmocka_unit_test(map_lines_passes_a_line_of_several_segments_whole),
		cmocka_unit_test(map_lines_keeps_slots_at_line_edges_in_place),
		cmocka_unit_test(map_lines_may_add_lines_without_moving_slots),
		cmocka_unit_test(map_lines_on_empty_skeleton_calls_nothing),
		cmocka_unit_test(wrap_fills_slot_lines_before_wrapping_them),
		cmocka_unit_test(wrap_handles_several_slots_and_the_last_line),
	};
	return cmocka_run_group_tests_name("template", tests, NULL, NULL);
}
