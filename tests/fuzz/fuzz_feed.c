/* fuzz_feed.c — feed_parse (escape repair, JSON, both formats, every kind
 * of tier rule) on any bytes: no crash, and every article it returns keeps
 * the promises of article.h. */
#include "fuzz.h"

#include "feed.h"
#include "log.h"
#include "utf8.h"

static struct tier_rule rules[] = {
	{ .tier = "pro", .kind = RULE_TAG, .value = "NK PRO" },
	{ .tier = "pro", .kind = RULE_URL, .value = "/pro/" },
	{ .tier = "pro", .kind = RULE_CATEGORY, .value = "Premium" },
	{ .tier = "pro", .kind = RULE_CATEGORY_ID, .value = "7", .id = 7 },
	{ .tier = "pro", .kind = RULE_FIELD, .value = "/meta/paid~1flag/0", .match = "true" },
	{ .tier = "pro", .kind = RULE_FIELD, .value = "/tags", .match = "x" },
};

static void check_text(const char *s)
{
	FUZZ_CHECK(s != NULL);
	FUZZ_CHECK(utf8_valid(s, strlen(s)));
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		FUZZ_CHECK(*p >= 0x20 && *p != 0x7f);
}

static void run(const uint8_t *data, size_t size, enum feed_format f)
{
	struct source_conf src = {
		.name = "fuzz", .url = "fuzz", .format = f, .tier = "free",
		.rules = rules, .nrules = sizeof rules / sizeof rules[0],
	};
	struct article_list l = {0};
	struct nk_err e = {0};
	int rc = feed_parse((const char *)data, size, &src, "fuzz", &l, &e);
	FUZZ_CHECK(rc == 0 || rc == EX_DATAERR);
	FUZZ_CHECK(rc == 0 || l.n == 0);
	for (size_t i = 0; i < l.n; i++) {
		const struct article *a = &l.v[i];
		check_text(a->title);
		FUZZ_CHECK(*a->title);
		check_text(a->summary);
		check_text(a->id);
		FUZZ_CHECK(!strncmp(a->url, "https://", 8) || !strncmp(a->url, "http://", 7));
		for (size_t j = 0; j < a->nauthors; j++)
			check_text(a->authors[j]);
		FUZZ_CHECK(!strcmp(a->tier, "free") || !strcmp(a->tier, "pro"));
	}
	article_list_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_set_level(LOG_QUIET);
	run(data, size, FEED_AUTO);
	run(data, size, FEED_WORDPRESS);
	return 0;
}
