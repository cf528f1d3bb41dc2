/* test_config.c — the INI reader and the configuration checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ini.h"
#include "xalloc.h"

static void sections_keys_and_lines(void **state)
{
	(void)state;
	struct ini ini;
	struct nk_err e = {0};
	const char *text = "; comment\n[digest]\ntitle = Daily  ; inline\n\n"
	                   "[source \"nk news\"]\nURL = https://x.org/feed.json#frag\n"
	                   "# another comment\nname = \"  spaced ; kept  \"\n";
	assert_int_equal(ini_parse("t.conf", text, &ini, &e), 0);
	assert_int_equal(ini.n, 3);
	assert_string_equal(ini.entries[0].section, "digest");
	assert_null(ini.entries[0].name);
	assert_string_equal(ini.entries[0].value, "Daily");
	assert_int_equal(ini.entries[0].line, 3);
	assert_string_equal(ini.entries[1].section, "source");
	assert_string_equal(ini.entries[1].name, "nk news");
	assert_string_equal(ini.entries[1].key, "url");   /* keys are lower-cased */
	assert_string_equal(ini.entries[1].value, "https://x.org/feed.json#frag");
	assert_int_equal(ini.entries[1].line, 6);
	assert_string_equal(ini.entries[2].value, "  spaced ; kept  ");
	ini_free(&ini);
	assert_int_equal(ini_parse("t.conf", "[smtp]\nfrom = \"Doe, J\" <j@x.org> ; me\n",
	                           &ini, &e), 0);
	assert_string_equal(ini.entries[0].value, "\"Doe, J\" <j@x.org>");
	ini_free(&ini);
}

static void long_lines_are_whole(void **state)
{
	(void)state;
	struct ini ini;
	struct nk_err e = {0};
	char *text = xmalloc(5000);
	strcpy(text, "[a]\nk = ");
	memset(text + 8, 'x', 4000);
	strcpy(text + 4008, "\n");
	assert_int_equal(ini_parse("t.conf", text, &ini, &e), 0);
	assert_int_equal(strlen(ini.entries[0].value), 4000);
	ini_free(&ini);
	free(text);
}

static void syntax_errors_name_the_line(void **state)
{
	(void)state;
	struct ini ini;
	struct nk_err e = {0};
	assert_int_equal(ini_parse("t.conf", "[a]\nk = v\nno equals here\n", &ini, &e),
	                 EX_CONFIG);
	assert_string_equal(e.msg, "t.conf:3: expected 'key = value'");
	assert_int_equal(ini_parse("t.conf", "[a\n", &ini, &e), EX_CONFIG);
	assert_non_null(strstr(e.msg, "t.conf:1:"));
	assert_int_equal(ini_parse("t.conf", "[a]\nk = v\n[b\"x\"]]\n", &ini, &e), EX_CONFIG);
	assert_non_null(strstr(e.msg, "t.conf:3:"));
	assert_int_equal(ini_parse("t.conf", "[source \"\"]\n", &ini, &e), EX_CONFIG);
}

/* Writes text to a temporary config file; caller unlinks and frees. */
static char *write_conf(const char *text)
{
	char *path = xstrdup("/tmp/nkdigest-test-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static int load(const char *text, struct config *cfg, struct nk_err *e)
{
	char *path = write_conf(text);
	int rc = config_load(path, cfg, e);
	unlink(path);
	free(path);
	return rc;
}

static void full_config_is_read(void **state)
{
	(void)state;
	struct config cfg;
	struct nk_err e = {0};
	int rc = load("[digest]\ntitle = NK\ntimezone = Asia/Seoul\nmax_age = 2d\n"
	              "tiers = free, pro, vip\nstate = s.db\n"
	              "[source \"nk\"]\nurl = feed.json\npro_when = tag:NK PRO, url:/pro/\n"
	              "vip_when = tag:VIP\n"
	              "[tier \"pro\"]\nlabel = NK PRO\nupgrade_url = https://x.org/pro\n"
	              "[smtp]\nurl = smtps://mail.x.org:465\nfrom = \"NK, News\" <d@x.org>\n"
	              "rate = 120/m\nconnections = 8\n", &cfg, &e);
	assert_int_equal(rc, 0);
	assert_string_equal(cfg.title, "NK");
	assert_int_equal(cfg.max_age, 2 * 86400);
	assert_int_equal(cfg.tiers.n, 3);
	assert_string_equal(cfg.tiers.v[1].label, "NK PRO");
	assert_string_equal(cfg.tiers.v[2].label, "vip");   /* label defaults to the name */
	assert_int_equal(cfg.nsources, 1);
	assert_string_equal(cfg.sources[0].url, "/tmp/feed.json");   /* relative to the file */
	assert_string_equal(cfg.state, "/tmp/s.db");
	assert_int_equal(cfg.sources[0].nrules, 3);
	assert_string_equal(cfg.sources[0].rules[2].tier, "vip");
	assert_string_equal(cfg.from_name, "NK, News");
	assert_string_equal(cfg.from_addr, "d@x.org");
	assert_string_equal(cfg.envelope_from, "d@x.org");
	assert_true(cfg.rate > 1.99 && cfg.rate < 2.01);
	assert_int_equal(cfg.connections, 8);
	assert_int_equal(tier_index(&cfg.tiers, "vip"), 2);
	assert_int_equal(tier_index(&cfg.tiers, "gold"), -1);
	config_free(&cfg);
}

static void source_rules_and_retries(void **state)
{
	(void)state;
	struct config cfg;
	struct nk_err e = {0};
	int rc = load("[source \"nk\"]\nurl = HTTPS://Example.org/feed.json\n"
	              "pro_when = category:NK PRO, category_id:42, field:/meta/a~1b=yes, url:/pro/\n"
	              "retries = 4\nretry_wait = 3s\nretry_for = 5m\nrequired = yes\n"
	              "[source \"other\"]\nurl = o.json\n", &cfg, &e);
	assert_int_equal(rc, 0);
	const struct source_conf *s = &cfg.sources[0];
	assert_string_equal(s->url, "https://Example.org/feed.json");
	assert_int_equal(s->nrules, 4);
	assert_int_equal(s->rules[0].kind, RULE_CATEGORY);
	assert_string_equal(s->rules[0].value, "NK PRO");
	assert_int_equal(s->rules[1].kind, RULE_CATEGORY_ID);
	assert_int_equal(s->rules[1].id, 42);
	assert_int_equal(s->rules[2].kind, RULE_FIELD);
	assert_string_equal(s->rules[2].value, "/meta/a~1b");
	assert_string_equal(s->rules[2].match, "yes");
	assert_int_equal(s->rules[2].line, 3);
	assert_int_equal(s->rules[3].kind, RULE_URL);
	assert_int_equal(s->retries, 4);
	assert_int_equal(s->retry_wait, 3);
	assert_int_equal(s->retry_for, 300);
	assert_true(s->required);
	/* The defaults: three tries within two minutes, not required. */
	s = &cfg.sources[1];
	assert_int_equal(s->retries, 2);
	assert_int_equal(s->retry_wait, 10);
	assert_int_equal(s->retry_for, 120);
	assert_false(s->required);
	config_free(&cfg);
}

static void mistakes_name_file_and_line(void **state)
{
	(void)state;
	struct config cfg;
	struct nk_err e = {0};
	const struct { const char *text, *want; } cases[] = {
		{ "[digest]\nmax_articels = 3\n", ":2: unknown key 'max_articels' in [digest]" },
		{ "[digest]\ntimezone = Mars/Base\n", ":2: timezone: unknown time zone" },
		{ "[digest]\nmax_age = soon\n", ":2: max_age: expected a duration" },
		{ "[digest]\n[smtp]\nrate = fast\n", ":3: rate: expected a rate" },
		{ "[smtp]\nfrom = not an address\n", ":2: from:" },
		{ "[smtp]\npassword = x\n", ":2: passwords do not go in the config" },
		{ "[tier \"gold\"]\nlabel = G\n", ":2: [tier \"gold\"] is not listed" },
		{ "[sauce]\nk = v\n", ":2: unknown section [sauce]" },
		{ "[source \"a\"]\nurl = ftp://x.org/f\n", ":2: url: only http://" },
		{ "[source \"a\"]\nurl = f.json\ntier = gold\n", "tier 'gold' is not listed" },
		{ "[source \"a\"]\nurl = f.json\ngold_when = tag:G\n", ":3: gold_when: 'gold' is not listed" },
		{ "[source \"a\"]\nurl = f.json\npro_when = tags:NK PRO\n",
		  ":3: pro_when: 'tags:NK PRO' is not a rule: rules are tag:NAME, url:TEXT, category:NAME" },
		{ "[source \"a\"]\nurl = f.json\npro_when = Tag:NK PRO\n", ":3: pro_when: 'Tag:NK PRO' is not a rule" },
		{ "[source \"a\"]\nurl = f.json\npro_when = category_id:twelve\n",
		  ":3: pro_when: category_id: needs a category number" },
		{ "[source \"a\"]\nurl = f.json\npro_when = category_id:-3\n", ":3: pro_when: category_id:" },
		{ "[source \"a\"]\nurl = f.json\npro_when = field:meta/paid=1\n",
		  ":3: pro_when: field: needs a JSON pointer and a value" },
		{ "[source \"a\"]\nurl = f.json\npro_when = field:/meta/paid\n", ":3: pro_when: field:" },
		{ "[source \"a\"]\nurl = f.json\npro_when = field:/a~2b=1\n", ":3: pro_when: field:" },
		{ "[source \"a\"]\nurl = f.json\npro_when = tag:\n", ":3: pro_when: empty rule" },
		{ "[source \"a\"]\nurl = f.json\nretries = many\n", ":3: retries: expected a whole number" },
		{ "[source \"a\"]\nurl = f.json\nretry_for = later\n", ":3: retry_for: expected a duration" },
		{ "[source \"a\"]\nurl = f.json\nrequired = maybe\n", ":3: required: expected yes or no" },
		{ "[digest]\ntitle = x\n", "no [source \"name\"] section" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&e, 0, sizeof e);
		assert_int_equal(load(cases[i].text, &cfg, &e), EX_CONFIG);
		if (!strstr(e.msg, cases[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, e.msg, cases[i].want);
	}
}

static void send_needs_smtp_sender_list_and_unsubscribe(void **state)
{
	(void)state;
	struct config cfg;
	struct nk_err e = {0};
	assert_int_equal(load("[source \"a\"]\nurl = f.json\n", &cfg, &e), 0);
	assert_int_equal(config_check_send(&cfg, &e), EX_CONFIG);
	assert_non_null(strstr(e.msg, "[smtp] url"));
	config_free(&cfg);
	assert_int_equal(load("[source \"a\"]\nurl = f.json\n[smtp]\nurl = smtp://h:587\n"
	                      "from = d@x.org\n[subscribers]\nfile = s.csv\n", &cfg, &e), 0);
	assert_int_equal(config_check_send(&cfg, &e), EX_CONFIG);
	assert_non_null(strstr(e.msg, "[unsubscribe]"));
	config_free(&cfg);
}

static void secrets_must_be_private(void **state)
{
	(void)state;
	struct nk_err e = {0};
	char *path = write_conf("s3cret\n"), *s = NULL;
	chmod(path, 0644);
	assert_int_equal(config_read_secret(path, NULL, true, "secret", &s, &e), EX_CONFIG);
	assert_non_null(strstr(e.msg, "chmod 600"));
	assert_null(strstr(e.msg, "s3cret"));
	chmod(path, 0600);
	assert_int_equal(config_read_secret(path, NULL, true, "secret", &s, &e), 0);
	assert_string_equal(s, "s3cret");   /* trailing newline dropped */
	free(s);
	unlink(path);
	free(path);
	setenv("NK_TEST_SECRET", "from-env", 1);
	assert_int_equal(config_read_secret(NULL, "NK_TEST_SECRET", true, "secret", &s, &e), 0);
	assert_string_equal(s, "from-env");
	free(s);
	unsetenv("NK_TEST_SECRET");
	assert_int_equal(config_read_secret(NULL, "NK_TEST_SECRET", true, "secret", &s, &e),
	                 EX_CONFIG);
	assert_int_equal(config_read_secret(NULL, "NK_TEST_SECRET", false, "secret", &s, &e), 0);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sections_keys_and_lines),
		cmocka_unit_test(long_lines_are_whole),
		cmocka_unit_test(syntax_errors_name_the_line),
		cmocka_unit_test(full_config_is_read),
		cmocka_unit_test(source_rules_and_retries),
		cmocka_unit_test(mistakes_name_file_and_line),
		cmocka_unit_test(send_needs_smtp_sender_list_and_unsubscribe),
		cmocka_unit_test(secrets_must_be_private),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
