/* test_config.c — the INI reader and the configuration checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
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

static void formatting_footer_and_archive_keys_are_read(void **state)
{
	(void)state;
	struct config cfg;
	struct nk_err e = {0};
	int rc = load("[digest]\nlang = ko\nsubject_max = 50\npreheader = Today: the summit\n"
	              "lead_tag = Top story\nsite_url = https://x.org/\nhtml_budget = 60k\n"
	              "greeting = Dear {{name}},\ngreeting_anonymous = Dear reader,\n"
	              "[source \"nk\"]\nurl = f.json\n"
	              "[tier \"pro\"]\nupgrade_url = https://x.org/pro?next={{url}}\n"
	              "campaign = ?utm_source=digest&utm_medium=email\n"
	              "benefit = Every analysis, in full\nbutton = Join NK PRO\n"
	              "[footer]\norganisation = NK News\naddress = 1 Main St, Seoul\n"
	              "reason = You signed up at x.org.\npreferences_url = https://x.org/p?t={{token}}\n"
	              "[archive]\ndir = web\nurl = https://x.org/digest\ntier = free\n"
	              "title = Past digests\n", &cfg, &e);
	assert_int_equal(rc, 0);
	assert_string_equal(cfg.lang, "ko");
	assert_int_equal(cfg.subject_max, 50);
	assert_string_equal(cfg.preheader, "Today: the summit");
	assert_string_equal(cfg.lead_tag, "Top story");
	assert_string_equal(cfg.site_url, "https://x.org/");
	assert_int_equal(cfg.html_budget, 60 * 1024);
	assert_string_equal(cfg.greeting, "Dear {{name}},");
	assert_string_equal(cfg.greeting_anonymous, "Dear reader,");
	assert_string_equal(cfg.tiers.v[1].upgrade_url, "https://x.org/pro?next={{url}}");
	assert_string_equal(cfg.tiers.v[1].campaign, "utm_source=digest&utm_medium=email");
	assert_string_equal(cfg.tiers.v[1].benefit, "Every analysis, in full");
	assert_string_equal(cfg.tiers.v[1].button, "Join NK PRO");
	assert_string_equal(cfg.organisation, "NK News");
	assert_string_equal(cfg.postal_address, "1 Main St, Seoul");
	assert_string_equal(cfg.reason, "You signed up at x.org.");
	assert_string_equal(cfg.preferences_url, "https://x.org/p?t={{token}}");
	assert_string_equal(cfg.archive_dir, "/tmp/web");
	assert_string_equal(cfg.archive_url, "https://x.org/digest/");   /* ends in '/' */
	assert_string_equal(cfg.archive_tier, "free");
	assert_string_equal(cfg.archive_title, "Past digests");
	config_free(&cfg);

	/* The defaults. */
	assert_int_equal(load("[source \"nk\"]\nurl = f.json\n", &cfg, &e), 0);
	assert_string_equal(cfg.lang, "en");
	assert_int_equal(cfg.subject_max, 60);
	assert_int_equal(cfg.html_budget, 90 * 1024);
	assert_string_equal(cfg.default_name, "");
	assert_null(cfg.greeting);
	assert_null(cfg.archive_dir);
	assert_string_equal(cfg.archive_tier, "pro");   /* the highest tier */
	config_free(&cfg);
	assert_int_equal(load("[digest]\nhtml_budget = 0\n[source \"nk\"]\nurl = f.json\n",
	                      &cfg, &e), 0);
	assert_int_equal(cfg.html_budget, 0);
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
		{ "[smtp]\nurl = smtp://u:secret@mail.x.org:587\n",
		  ":2: url: a user name or password does not go in a URL; put the user in "
		  "[smtp] user" },
		{ "[source \"a\"]\nurl = https://u:secret@x.org/feed.json\n",
		  ":2: url: a user name or password does not go in a URL" },
		{ "[unsubscribe]\nurl = https://u@x.org/u?t={{token}}\n",
		  ":2: url: a user name or password does not go in a URL" },
		{ "[smtp]\nfrom = D <\"a b\"@x.org>\n", ":2: from: the address cannot go into SMTP" },
		{ "[smtp]\nenvelope_from = \"a b\"@x.org\n", ":2: envelope_from: the address cannot" },
		{ "[digest]\nlang = english!\n", ":2: lang: expected a language tag" },
		{ "[digest]\nlang = k\n", ":2: lang: expected a language tag" },
		{ "[digest]\nsubject_max = 5\n", ":2: subject_max: expected a whole number" },
		{ "[digest]\nhtml_budget = 2k\n", ":2: html_budget: expected a size" },
		{ "[digest]\nhtml_budget = lots\n", ":2: html_budget: expected a size" },
		{ "[digest]\nsite_url = www.x.org\n", ":2: site_url: expected an http" },
		{ "[digest]\ngreeting = Hello,\n", ":2: greeting: expected text with {{name}}" },
		{ "[digest]\ngreeting = Hi {{name}} {{email}}\n", ":2: greeting: expected" },
		{ "[digest]\ngreeting_anonymous = Hi {{name}}\n", ":2: greeting_anonymous:" },
		{ "[tier \"pro\"]\ncampaign = a b\n", ":2: campaign: expected query" },
		{ "[tier \"pro\"]\ncampaign = a=\"x\"\n", ":2: campaign: expected query" },
		{ "[footer]\nphone = 1\n", ":2: unknown key 'phone' in [footer]" },
		{ "[footer]\npreferences_url = x.org/p\n", ":2: preferences_url: expected" },
		{ "[archive]\nurl = https://x.org/?a\n", ":2: url: expected an http" },
		{ "[archive]\nformat = zip\n", ":2: unknown key 'format' in [archive]" },
		{ "[archive \"x\"]\ndir = d\n", ":2: [archive] takes no name" },
		{ "[source \"a\"]\nurl = f.json\n[archive]\ntier = gold\n",
		  "[archive] tier 'gold' is not listed" },
		{ "[dkim]\nselector = a b\n", ":2: selector: expected letters, digits" },
		{ "[dkim]\ndomain = x..org\n", ":2: domain: expected letters" },
		{ "[dkim]\nkeyfile = k\n", ":2: unknown key 'keyfile' in [dkim]" },
		{ "[dkim \"x\"]\nselector = s\n", ":2: [dkim] takes no name" },
		{ "[source \"a\"]\nurl = f.json\n[dkim]\nselector = s\n",
		  "[dkim] needs both selector and key_file" },
		{ "[source \"a\"]\nurl = f.json\n[dkim]\nselector = s\nkey_file = k\n",
		  "[dkim] needs domain (or [smtp] from" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&e, 0, sizeof e);
		assert_int_equal(load(cases[i].text, &cfg, &e), EX_CONFIG);
		if (!strstr(e.msg, cases[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, e.msg, cases[i].want);
		if (strstr(e.msg, "secret"))
			fail_msg("case %zu: the password is repeated: '%s'", i, e.msg);
	}
}

static void dkim_domain_defaults_to_the_senders(void **state)
{
	(void)state;
	struct config cfg;
	struct nk_err e = {0};
	assert_int_equal(load("[source \"a\"]\nurl = f.json\n[smtp]\nfrom = N <d@news.x.org>\n"
	                      "[dkim]\nselector = s2024\nkey_file = dkim.key\n", &cfg, &e), 0);
	assert_string_equal(cfg.dkim_domain, "news.x.org");
	assert_string_equal(cfg.dkim_selector, "s2024");
	assert_non_null(strstr(cfg.dkim_key_file, "/dkim.key"));   /* beside the config */
	config_free(&cfg);
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

static int load_all(const char *text, struct config *cfg, struct config_errors *errs)
{
	char *path = write_conf(text);
	int rc = config_load_all(path, cfg, errs);
	unlink(path);
	free(path);
	return rc;
}

static void unknown_names_get_a_suggestion(void **state)
{
	(void)state;
	struct config cfg;
	struct nk_err e = {0};
	assert_int_equal(load("[digest]\ntimezon = Asia/Seoul\n", &cfg, &e), EX_CONFIG);
	assert_non_null(strstr(e.msg, ":2: unknown key 'timezon' in [digest] "
	                              "(did you mean 'timezone'?)"));
	assert_int_equal(load("[smtp]\nconections = 3\n", &cfg, &e), EX_CONFIG);
	assert_non_null(strstr(e.msg, "(did you mean 'connections'?)"));
	/* a swap of two letters is one mistake */
	assert_int_equal(load("[smtp]\nrate = 1/s\nfrom = a@x.org\nrtae = 1/s\n", &cfg, &e),
	                 EX_CONFIG);
	assert_non_null(strstr(e.msg, ":4: unknown key 'rtae' in [smtp] (did you mean 'rate'?)"));
	/* <tier>_when rules are known keys of a source, tier by tier */
	assert_int_equal(load("[digest]\ntiers = free, vip\n[source \"s\"]\nurl = f.json\n"
	                      "vip_wen = tag:x\n", &cfg, &e), EX_CONFIG);
	assert_non_null(strstr(e.msg, "unknown key 'vip_wen' in [source \"s\"] "
	                              "(did you mean 'vip_when'?)"));
	assert_int_equal(load("[smpt]\nurl = smtp://x\n", &cfg, &e), EX_CONFIG);
	assert_non_null(strstr(e.msg, "unknown section [smpt] (did you mean [smtp]?)"));
	/* nothing close: no guess */
	assert_int_equal(load("[digest]\ncolour = red\n", &cfg, &e), EX_CONFIG);
	assert_non_null(strstr(e.msg, "unknown key 'colour' in [digest]"));
	assert_null(strstr(e.msg, "did you mean"));
	assert_int_equal(load("[digest]\nab = 1\n", &cfg, &e), EX_CONFIG);
	assert_null(strstr(e.msg, "did you mean"));
}

static void every_error_is_kept(void **state)
{
	(void)state;
	struct config cfg;
	struct config_errors errs;
	const char *text = "[digest]\ntimezon = UTC\nmax_articles = lots\n"
	                   "[smpt]\nurl = x\nuser = y\n"
	                   "[source \"a\"]\nurl = ftp://x\ntier = gold\n"
	                   "[smtp]\nconnections = 999\n"
	                   "[source \"b\"]\nformat = rss\n";
	assert_int_equal(load_all(text, &cfg, &errs), EX_CONFIG);
	const char *want[] = {
		":2: unknown key 'timezon'",
		":3: max_articles: expected a whole number",
		":5: unknown section [smpt]",       /* once, not once per key */
		":8: url: only http://",
		":11: connections: expected a whole number from 1 to 64",
		":13: format: expected auto, jsonfeed or wordpress",
		"[source \"a\"] tier 'gold' is not listed",
		"[source \"b\"] has no url",
	};
	assert_int_equal(errs.n, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < errs.n; i++) {
		if (!strstr(errs.v[i].msg, want[i]))
			fail_msg("error %zu: '%s' lacks '%s'", i, errs.v[i].msg, want[i]);
		assert_int_equal(errs.v[i].code, EX_CONFIG);
	}
	config_errors_free(&errs);
	/* config_load gives the first and says how many more */
	struct nk_err e = {0};
	assert_int_equal(load(text, &cfg, &e), EX_CONFIG);
	assert_non_null(strstr(e.msg, "unknown key 'timezon'"));
	assert_non_null(strstr(e.msg, "(and 7 more errors: 'nkdigest check' lists them all)"));
	/* a good file: no errors, a usable config */
	assert_int_equal(load_all("[source \"a\"]\nurl = f.json\n", &cfg, &errs), 0);
	assert_int_equal(errs.n, 0);
	assert_int_equal(cfg.nsources, 1);
	config_errors_free(&errs);
	config_free(&cfg);
}

/* The suggestion lists name only keys the loader really takes. */
static void known_keys_are_accepted(void **state)
{
	(void)state;
	const char *const *secs = config_known_keys(NULL);
	assert_non_null(secs);
	size_t checked = 0;
	for (size_t i = 0; secs[i]; i++) {
		const char *const *keys = config_known_keys(secs[i]);
		assert_non_null(keys);
		bool named = !strcmp(secs[i], "source") || !strcmp(secs[i], "tier");
		for (size_t k = 0; keys[k]; k++) {
			char text[256];
			snprintf(text, sizeof text, "[%s%s]\n%s = 1\n", secs[i],
			         named ? " \"free\"" : "", keys[k]);
			struct config cfg;
			struct config_errors errs;
			if (load_all(text, &cfg, &errs) == 0)
				config_free(&cfg);
			for (size_t j = 0; j < errs.n; j++)
				if (strstr(errs.v[j].msg, "unknown key") || strstr(errs.v[j].msg, "unknown section"))
					fail_msg("[%s] %s: %s", secs[i], keys[k], errs.v[j].msg);
			config_errors_free(&errs);
			checked++;
		}
	}
	assert_true(checked > 30);
	assert_null(config_known_keys("nosuch"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sections_keys_and_lines),
		cmocka_unit_test(long_lines_are_whole),
		cmocka_unit_test(syntax_errors_name_the_line),
		cmocka_unit_test(full_config_is_read),
		cmocka_unit_test(formatting_footer_and_archive_keys_are_read),
		cmocka_unit_test(source_rules_and_retries),
		cmocka_unit_test(mistakes_name_file_and_line),
		cmocka_unit_test(dkim_domain_defaults_to_the_senders),
		cmocka_unit_test(send_needs_smtp_sender_list_and_unsubscribe),
		cmocka_unit_test(secrets_must_be_private),
		cmocka_unit_test(unknown_names_get_a_suggestion),
		cmocka_unit_test(every_error_is_kept),
		cmocka_unit_test(known_keys_are_accepted),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
