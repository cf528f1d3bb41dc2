/* fuzz_template.c — the template engine: any text either compiles or is
 * refused with a message, and what compiles renders over digest-shaped
 * data (with per-recipient slots) without a crash; HTML-escaped output
 * never carries the data's markup. */
#include "fuzz.h"

#include <ctype.h>

#include "buf.h"
#include "template.h"

static const char data_json[] =
	"{\"title\": \"<b>T</b>\", \"count\": 3, \"flag\": true, \"none\": null,"
	" \"days\": [{\"date\": \"21 May\", \"sections\": [{\"label\": \"News\","
	"   \"articles\": [{\"title\": \"A & B\", \"url\": \"https://x.org/?a=1&b=2\"},"
	"                  {\"title\": \"C\", \"teaser\": true}]}]}],"
	" \"tier\": {\"name\": \"free\", \"label\": \"News\"}, \"empty\": []}";
static const char *const slots[] = { "recipient.name", "recipient.email",
                                      "unsubscribe_url", NULL };
static const char *const values[] = { "Kim <Min-jun>", "k@x.org", NULL };

/* Whether text may hold a raw tag ({{{name}}}, {{&name}}, with any white
 * space inside the braces), which prints data unescaped on purpose. */
static int raw_possible(const char *text)
{
	for (const char *p = strstr(text, "{{"); p; p = strstr(p + 1, "{{")) {
		const char *q = p + 2;
		while (isspace((unsigned char)*q))   /* as the engine skips it */
			q++;
		if (*q == '{' || *q == '&')
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cJSON *model;
	if (!model)
		model = cJSON_Parse(data_json);
	char *text = fuzz_cstr(data, size);
	for (int esc = TMPL_ESCAPE_NONE; esc <= TMPL_ESCAPE_HTML; esc++) {
		struct nk_err e = {0};
		struct tmpl *t = tmpl_compile("fuzz", text, (enum tmpl_escape)esc, &e);
		if (!t) {
			FUZZ_CHECK(e.code == EX_CONFIG && e.msg[0]);
			continue;
		}
		struct skel *s = tmpl_render(t, model, slots, &e);
		if (s) {
			struct buf out = {0};
			skel_fill(s, values, &out);
			if (esc == TMPL_ESCAPE_HTML && !strchr(text, '<') && !raw_possible(text))
				FUZZ_CHECK(!strchr(buf_str(&out), '<'));
			buf_free(&out);
			skel_free(s);
		} else {
			FUZZ_CHECK(e.code == EX_CONFIG && e.msg[0]);
		}
		tmpl_free(t);
	}
	free(text);
	return 0;
}
