/* cmd_status.c — `nkdigest status`: the last editions and their deliveries,
 * or the addresses whose mail failed, is deferred or is suppressed; as a
 * table or as JSON for monitoring. Everything it prints from the state
 * file (replies, reasons, addresses) is cleaned for the terminal first. */
#include "cli.h"
#include "datetime.h"
#include "shard.h"
#include "state.h"
#include "utf8.h"
#include "xalloc.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: nkdigest status [--last N] [--shard K/N] [--json]\n"
	"       nkdigest status --addresses failed|deferred|suppressed [--edition N]\n"
	"                       [--shard K/N] [--json]\n"
	"\n"
	"Lists the last editions (default 10), newest first: when each was\n"
	"created, how many articles of each tier it carried, how many deliveries\n"
	"are sent, deferred, failed, suppressed and still pending, and the time\n"
	"from its first to its last delivery attempt. Changes nothing.\n"
	"\n"
	"  --last N       how many editions\n"
	"  --addresses KIND\n"
	"                 list the addresses whose delivery failed or is deferred\n"
	"                 (newest edition first), with the server's last code and\n"
	"                 reply; or the suppression list, with why and the last\n"
	"                 reply\n"
	"  --edition N    only the addresses of edition N\n"
	"  --shard K/N    the state file of shard K of N (see send --shard)\n"
	"  --json         one JSON document on stdout, for monitoring\n";

/* Untrusted text from the state file (server replies, reasons) as one
 * clean line of UTF-8. Caller frees. */
static char *clean(const char *s)
{
	char *c = utf8_clean(s, strlen(s));
	char *line = text_oneline(c);
	free(c);
	return line;
}

static void iso_utc(time_t t, char out[32])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void add_time(cJSON *o, const char *key, time_t t)
{
	char iso[32];
	if (!t) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	iso_utc(t, iso);
	cJSON_AddStringToObject(o, key, iso);
}

static void add_shard(cJSON *o, const struct shard *s)
{
	char k[32];
	snprintf(k, sizeof k, "%u/%u", s->k, s->n);
	if (s->n)
		cJSON_AddStringToObject(o, "shard", k);
	else
		cJSON_AddNullToObject(o, "shard");
}

/* "4m12s", "1h02m", "2d03h"; "-" when it has not started. */
static void took(const struct edition_summary *s, char out[32])
{
	if (!s->first_try) {
		snprintf(out, 32, "-");
		return;
	}
	long t = s->last_try > s->first_try ? (long)(s->last_try - s->first_try) : 0;
	if (t < 3600)
		snprintf(out, 32, "%ldm%02lds", t / 60, t % 60);
	else if (t < 86400)
		snprintf(out, 32, "%ldh%02ldm", t / 3600, t / 60 % 60);
	else
		snprintf(out, 32, "%ldd%02ldh", t / 86400, t / 3600 % 24);
}

/* How many of edition id's articles each configured tier has (count[i] for
 * cfg->tiers.v[i]); *other counts tiers no longer configured. */
static int tier_counts(struct state *st, const struct config *cfg, int64_t id,
                       long *count, long *other, struct nk_err *e)
{
	struct article_list l = {0};
	time_t created;
	int rc = state_edition_articles(st, id, &l, &created, e);
	memset(count, 0, cfg->tiers.n * sizeof *count);
	*other = 0;
	for (size_t i = 0; !rc && i < l.n; i++) {
		int t = tier_index(&cfg->tiers, l.v[i].tier);
		if (t < 0)
			(*other)++;
		else
			count[t]++;
	}
	article_list_free(&l);
	return rc;
}

static const char *const status_keys[DELIVERY_NSTATUS] = {
	"pending", "sent", "deferred", "failed", "suppressed",
};

static int editions_json(struct state *st, const struct config *cfg,
                         const struct shard *shard, const struct edition_summary *v,
                         size_t n, struct nk_err *e)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "state", cfg->state);
	add_shard(root, shard);
	cJSON *eds = cJSON_AddArrayToObject(root, "editions");
	long *count = xcalloc(cfg->tiers.n + 1, sizeof *count), other;
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		if ((rc = tier_counts(st, cfg, v[i].id, count, &other, e)))
			break;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToArray(eds, o);
		cJSON_AddNumberToObject(o, "id", (double)v[i].id);
		add_shard(o, shard);
		add_time(o, "created", v[i].created);
		cJSON_AddStringToObject(o, "status", v[i].done ? "done" : "open");
		add_time(o, "finished", v[i].finished);
		cJSON_AddNumberToObject(o, "articles", v[i].narticles);
		cJSON *by = cJSON_AddObjectToObject(o, "articles_by_tier");
		for (size_t t = 0; t < cfg->tiers.n; t++)
			cJSON_AddNumberToObject(by, cfg->tiers.v[t].name, (double)count[t]);
		if (other)
			cJSON_AddNumberToObject(by, "other", (double)other);
		cJSON *d = cJSON_AddObjectToObject(o, "deliveries");
		for (int s = 0; s < DELIVERY_NSTATUS; s++)
			cJSON_AddNumberToObject(d, status_keys[s], (double)v[i].count[s]);
		add_time(o, "first_try", v[i].first_try);
		add_time(o, "last_try", v[i].last_try);
		if (v[i].first_try)
			cJSON_AddNumberToObject(o, "seconds", (double)(v[i].last_try - v[i].first_try));
		else
			cJSON_AddNullToObject(o, "seconds");
	}
	free(count);
	if (!rc) {
		char *text = cJSON_Print(root);
		if (!text)
			xalloc_die();
		puts(text);
		free(text);
	}
	cJSON_Delete(root);
	return rc;
}

static int editions_table(struct state *st, const struct config *cfg,
                          const struct shard *shard, const struct edition_summary *v,
                          size_t n, struct nk_err *e)
{
	if (shard->n)
		printf("shard %u/%u (%s)\n", shard->k, shard->n, cfg->state);
	if (n == 0) {
		printf("no editions yet (%s)\n", cfg->state);
		return 0;
	}
	long *count = xcalloc(cfg->tiers.n + 1, sizeof *count), other;
	/* The tier columns are as wide as their names (at least 4). */
	printf("%-8s %-21s %-5s %8s", "edition", "created", "state", "articles");
	for (size_t t = 0; t < cfg->tiers.n; t++)
		printf(" %4s", cfg->tiers.v[t].name);
	printf(" %7s %8s %6s %10s %7s %6s\n", "sent", "deferred", "failed", "suppressed",
	       "pending", "took");
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		if ((rc = tier_counts(st, cfg, v[i].id, count, &other, e)))
			break;
		char when[64], dur[32];
		dt_format(v[i].created, "%Y-%m-%d %H:%M %Z", when, sizeof when);
		took(&v[i], dur);
		printf("%-8lld %-21s %-5s %8d", (long long)v[i].id, when,
		       v[i].done ? "done" : "open", v[i].narticles);
		for (size_t t = 0; t < cfg->tiers.n; t++)
			printf(" %*ld", strlen(cfg->tiers.v[t].name) > 4
			       ? (int)strlen(cfg->tiers.v[t].name) : 4, count[t]);
		printf(" %7ld %8ld %6ld %10ld %7ld %6s\n", v[i].count[DELIVERY_SENT],
		       v[i].count[DELIVERY_DEFERRED], v[i].count[DELIVERY_FAILED],
		       v[i].count[DELIVERY_SUPPRESSED], v[i].count[DELIVERY_PENDING], dur);
	}
	free(count);
	return rc;
}

struct listing {
	bool json;
	enum delivery_status which;
	cJSON *array;     /* --json */
	long n;
};

static int list_one(const struct address_row *r, void *ud)
{
	struct listing *l = ud;
	char *email = clean(r->email), *reply = clean(r->reply), *reason = clean(r->reason);
	char when[64] = "-";
	if (r->when)
		dt_format(r->when, "%Y-%m-%d %H:%M %Z", when, sizeof when);
	if (l->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToArray(l->array, o);
		cJSON_AddStringToObject(o, "email", email);
		if (r->edition)
			cJSON_AddNumberToObject(o, "edition", (double)r->edition);
		else
			cJSON_AddNullToObject(o, "edition");
		if (r->code)
			cJSON_AddNumberToObject(o, "code", r->code);
		else
			cJSON_AddNullToObject(o, "code");
		cJSON_AddStringToObject(o, "reply", reply);
		add_time(o, "time", r->when);
		if (l->which == DELIVERY_SUPPRESSED)
			cJSON_AddStringToObject(o, "reason", reason);
	} else {
		char code[16] = "-", ed[24] = "-";
		if (r->code)
			snprintf(code, sizeof code, "%d", r->code);
		if (r->edition)
			snprintf(ed, sizeof ed, "%lld", (long long)r->edition);
		if (l->which == DELIVERY_SUPPRESSED)
			printf("%-40s %-21s %-16s %7s %4s  %s\n", email, when, reason, ed, code, reply);
		else
			printf("%-40s %7s %-21s %4s  %s\n", email, ed, when, code, reply);
	}
	l->n++;
	free(email);
	free(reply);
	free(reason);
	return 0;
}

static int addresses(struct state *st, const struct config *cfg, const struct shard *shard,
                     enum delivery_status which, int64_t edition, bool json,
                     struct nk_err *e)
{
	struct listing l = { json, which, NULL, 0 };
	cJSON *root = NULL;
	if (json) {
		root = cJSON_CreateObject();
		cJSON_AddStringToObject(root, "state", cfg->state);
		add_shard(root, shard);
		cJSON_AddStringToObject(root, "addresses_of", status_keys[which]);
		if (edition)
			cJSON_AddNumberToObject(root, "edition", (double)edition);
		else
			cJSON_AddNullToObject(root, "edition");
		l.array = cJSON_AddArrayToObject(root, "addresses");
	} else {
		if (shard->n)
			printf("shard %u/%u (%s)\n", shard->k, shard->n, cfg->state);
		if (which == DELIVERY_SUPPRESSED)
			printf("%-40s %-21s %-16s %7s %4s  %s\n", "address", "since", "reason",
			       "edition", "code", "last reply");
		else
			printf("%-40s %7s %-21s %4s  %s\n", "address", "edition", "last try",
			       "code", "reply");
	}
	int rc = state_addresses(st, which, edition, list_one, &l, e);
	if (!rc && json) {
		char *text = cJSON_Print(root);
		if (!text)
			xalloc_die();
		puts(text);
		free(text);
	} else if (!rc && l.n == 0) {
		printf("(none)\n");
	}
	cJSON_Delete(root);
	return rc;
}

int cmd_status(int argc, char **argv, struct cli *g)
{
	static const struct option opts[] = {
		{ "last", required_argument, NULL, 'n' },
		{ "addresses", required_argument, NULL, 'a' },
		{ "edition", required_argument, NULL, 'e' },
		{ "shard", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long last = 10;
	long long edition = 0;
	int which = -1;
	bool json = false;
	struct shard shard = {0};
	char *end;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			last = strtol(optarg, &end, 10);
			if (*end || end == optarg || last < 1 || last > 100000)
				return cli_usage_error("status", usage, "--last needs a whole number above 0");
			break;
		case 'a':
			if (!strcmp(optarg, "failed"))
				which = DELIVERY_FAILED;
			else if (!strcmp(optarg, "deferred"))
				which = DELIVERY_DEFERRED;
			else if (!strcmp(optarg, "suppressed"))
				which = DELIVERY_SUPPRESSED;
			else
				return cli_usage_error("status", usage, "--addresses '%s': expected "
				                       "failed, deferred or suppressed", optarg);
			break;
		case 'e':
			edition = strtoll(optarg, &end, 10);
			if (*end || end == optarg || edition < 1)
				return cli_usage_error("status", usage,
				                       "--edition needs an edition number above 0");
			break;
		case 's':
			if (shard_parse(optarg, &shard) != 0)
				return cli_usage_error("status", usage, "--shard '%s': expected K/N with "
				                       "1 <= K <= N <= %d", optarg, SHARD_MAX);
			break;
		case 'j': json = true; break;
		case 'c': g->config_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return cli_bad_option("status", usage, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("status", usage, "unexpected argument '%s'", argv[optind]);
	if (edition && which < 0)
		return cli_usage_error("status", usage, "--edition only goes with --addresses");

	struct nk_err e = {0};
	struct config cfg;
	struct state *st = NULL;
	struct edition_summary *v = NULL;
	size_t n = 0;
	int rc = cli_load_config(g, &cfg, &e);
	if (rc)
		return cli_fail(&e);
	if (shard.n) {
		char *path = shard_state_path(cfg.state, &shard);
		free(cfg.state);
		cfg.state = path;
	}
	rc = state_open(cfg.state, STATE_READ, &st, &e);
	if (!rc && which >= 0)
		rc = addresses(st, &cfg, &shard, (enum delivery_status)which, edition, json, &e);
	else if (!rc) {
		rc = state_summaries(st, (size_t)last, &v, &n, &e);
		if (!rc)
			rc = json ? editions_json(st, &cfg, &shard, v, n, &e)
			          : editions_table(st, &cfg, &shard, v, n, &e);
	}
	free(v);
	state_close(st);
	config_free(&cfg);
	return rc ? cli_fail(&e) : 0;
}
