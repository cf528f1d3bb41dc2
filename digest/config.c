/* config.c — finding, reading and checking the configuration (see config.h). */
#include "config.h"
#include "address.h"
#include "buf.h"
#include "ini.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_MAX_BYTES (20u * 1024 * 1024)

/* ---- value parsers: each returns 0 or fills e with the entry's line ---- */

static int bad(struct nk_err *e, const struct ini *ini, const struct ini_entry *en,
               const char *what)
{
	return nk_fail(e, EX_CONFIG, "%s:%d: %s: %s (got '%s')", ini->path, en->line,
	               en->key, what, en->value);
}

static int parse_long(const struct ini *ini, const struct ini_entry *en, long min,
                      long max, long *out, struct nk_err *e)
{
	char *end;
	errno = 0;
	long v = strtol(en->value, &end, 10);
	if (errno || end == en->value || *end || v < min || v > max) {
		char what[96];
		snprintf(what, sizeof what, "expected a whole number from %ld to %ld", min, max);
		return bad(e, ini, en, what);
	}
	*out = v;
	return 0;
}

static int parse_int(const struct ini *ini, const struct ini_entry *en, int min,
                     int max, int *out, struct nk_err *e)
{
	long v;
	int rc = parse_long(ini, en, min, max, &v, e);
	if (!rc)
		*out = (int)v;
	return rc;
}

/* "90s", "30m", "48h", "2d", "0"; a bare number is seconds. */
static int parse_duration(const struct ini *ini, const struct ini_entry *en,
                          long *out, struct nk_err *e)
{
	char *end;
	errno = 0;
	long v = strtol(en->value, &end, 10);
	long mul = 1;
	if (errno || end == en->value || v < 0)
		return bad(e, ini, en, "expected a duration like 90s, 30m, 48h or 2d");
	switch (*end) {
	case '\0': case 's': mul = 1; break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	default:
		return bad(e, ini, en, "expected a duration like 90s, 30m, 48h or 2d");
	}
	if (*end && end[1])
		return bad(e, ini, en, "expected a duration like 90s, 30m, 48h or 2d");
	if (v > LONG_MAX / mul / 2)
		return bad(e, ini, en, "duration too long");
	*out = v * mul;
	return 0;
}

static int parse_bool(const struct ini *ini, const struct ini_entry *en, bool *out,
                      struct nk_err *e)
{
	const char *v = en->value;
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") ||
	    !strcasecmp(v, "on"))
		*out = true;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") ||
	         !strcasecmp(v, "off"))
		*out = false;
	else
		return bad(e, ini, en, "expected yes or no");
	return 0;
}

/* One of a fixed list of words; *out is its index in names (NULL-ended),
 * which each caller lists in the order of its enum. */
static int parse_choice(const struct ini *ini, const struct ini_entry *en,
                        const char *const *names, int *out, struct nk_err *e)
{
	char what[128] = "expected ";
	for (int i = 0; names[i]; i++) {
		if (!strcmp(en->value, names[i])) {
			*out = i;
			return 0;
		}
		snprintf(what + strlen(what), sizeof what - strlen(what), "%s%s",
		         i == 0 ? "" : names[i + 1] ? ", " : " or ", names[i]);
	}
	return bad(e, ini, en, what);
}

/* "50/s", "3000/m", "100000/h", "0" (no limit). */
static int parse_rate(const struct ini *ini, const struct ini_entry *en, double *out,
                      struct nk_err *e)
{
	char *end;
	errno = 0;
	double v = strtod(en->value, &end);
	if (errno || end == en->value || !isfinite(v) || v < 0)
		return bad(e, ini, en, "expected a rate like 50/s, 3000/m or 0 for no limit");
	if (*end == '\0' && v == 0) {
		*out = 0;
		return 0;
	}
	if (!strcmp(end, "/s"))
		*out = v;
	else if (!strcmp(end, "/m"))
		*out = v / 60;
	else if (!strcmp(end, "/h"))
		*out = v / 3600;
	else
		return bad(e, ini, en, "expected a rate like 50/s, 3000/m or 0 for no limit");
	return 0;
}

static bool is_url(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

/* A copy of url with its scheme in lower case ("HTTPS://" is "https://"). */
static char *scheme_lower(const char *url)
{
	char *u = xstrdup(url);
	for (char *p = u; *p && *p != ':'; p++)
		*p = (char)tolower((unsigned char)*p);
	return u;
}

/* A path in the config is relative to the config file's directory. */
static char *resolve(const struct config *cfg, const char *path)
{
	if (path[0] == '/')
		return xstrdup(path);
	return xasprintf("%s/%s", cfg->dir, path);
}

static void set_str(char **slot, const char *v)
{
	free(*slot);
	*slot = xstrdup(v);
}

static void set_path(const struct config *cfg, char **slot, const char *v)
{
	free(*slot);
	*slot = v[0] ? resolve(cfg, v) : NULL;
}

/* Splits "a, b ,c" into trimmed non-empty items; caller frees each and the
 * array. */
static char **split_list(const char *s, size_t *n)
{
	char **items = NULL;
	size_t cap = 0;
	*n = 0;
	const char *p = s;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *a = p, *b = p + len;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (b > a) {
			items = xgrow(items, &cap, *n + 1, sizeof *items);
			items[(*n)++] = xstrndup(a, (size_t)(b - a));
		}
		p += len + (comma ? 1 : 0);
	}
	return items;
}

static void free_list(char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

static bool zone_exists(const char *zone)
{
	if (!*zone || zone[0] == '/' || strstr(zone, ".."))
		return false;
	const char *dir = getenv("TZDIR");
	char *path = xasprintf("%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone);
	struct stat st;
	bool ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	return ok;
}

/* ---- sections ---- */

static struct tier_conf *find_tier(struct config *cfg, const char *name)
{
	int i = tier_index(&cfg->tiers, name);
	return i < 0 ? NULL : &cfg->tiers.v[i];
}

static void free_tiers(struct config *cfg)
{
	for (size_t i = 0; i < cfg->tiers.n; i++) {
		free(cfg->tiers.v[i].name);
		free(cfg->tiers.v[i].label);
		free(cfg->tiers.v[i].upgrade_url);
	}
	free(cfg->tiers.v);
	cfg->tiers.v = NULL;
	cfg->tiers.n = 0;
}

static int set_tiers(struct config *cfg, const struct ini *ini,
                     const struct ini_entry *en, struct nk_err *e)
{
	size_t n;
	char **names = split_list(en->value, &n);
	int rc = 0;
	if (n == 0)
		rc = bad(e, ini, en, "expected at least one tier name");
	for (size_t i = 0; i < n && !rc; i++) {
		for (const char *p = names[i]; *p && !rc; p++)
			if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
				rc = bad(e, ini, en, "tier names are letters, digits, '-' and '_'");
		for (size_t j = 0; j < i && !rc; j++)
			if (!strcmp(names[i], names[j]))
				rc = bad(e, ini, en, "tier listed twice");
	}
	if (rc) {
		free_list(names, n);
		return rc;
	}
	free_tiers(cfg);
	cfg->tiers.v = xcalloc(n, sizeof *cfg->tiers.v);
	cfg->tiers.n = n;
	for (size_t i = 0; i < n; i++)
		cfg->tiers.v[i].name = names[i];
	free(names);
	return 0;
}

static int digest_key(struct config *cfg, const struct ini *ini,
                      const struct ini_entry *en, struct nk_err *e)
{
	const char *k = en->key, *v = en->value;
	long l;
	if (!strcmp(k, "title"))
		set_str(&cfg->title, v);
	else if (!strcmp(k, "timezone")) {
		if (!zone_exists(v))
			return bad(e, ini, en, "unknown time zone (expected an IANA name like Asia/Seoul)");
		set_str(&cfg->timezone, v);
	} else if (!strcmp(k, "max_age"))
		return parse_duration(ini, en, &cfg->max_age, e);
	else if (!strcmp(k, "max_articles"))
		return parse_int(ini, en, 1, 100000, &cfg->max_articles, e);
	else if (!strcmp(k, "tiers"))
		return set_tiers(cfg, ini, en, e);
	else if (!strcmp(k, "pro_teasers")) {
		static const char *const names[] = { "show", "hide", NULL };
		int i;
		if (parse_choice(ini, en, names, &i, e))
			return e->code;
		cfg->teasers = (enum teasers)i;
	} else if (!strcmp(k, "templates"))
		set_path(cfg, &cfg->templates, v);
	else if (!strcmp(k, "state")) {
		if (!*v)
			return bad(e, ini, en, "expected a file path");
		set_path(cfg, &cfg->state, v);
	} else if (!strcmp(k, "text_width")) {
		if (parse_long(ini, en, 40, 998, &l, e))
			return e->code;
		cfg->text_width = (int)l;
	} else if (!strcmp(k, "default_name"))
		set_str(&cfg->default_name, v);
	else
		return nk_fail(e, EX_CONFIG, "%s:%d: unknown key '%s' in [digest]",
		               ini->path, en->line, k);
	return 0;
}

static struct source_conf *source_for(struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nsources; i++)
		if (!strcmp(cfg->sources[i].name, name))
			return &cfg->sources[i];
	cfg->sources = xrealloc(cfg->sources, (cfg->nsources + 1) * sizeof *cfg->sources);
	struct source_conf *s = &cfg->sources[cfg->nsources++];
	memset(s, 0, sizeof *s);
	s->name = xstrdup(name);
	s->format = FEED_AUTO;
	s->tls_verify = true;
	s->timeout = 30;
	s->max_bytes = DEFAULT_MAX_BYTES;
	s->retries = 2;
	s->retry_wait = 10;
	s->retry_for = 120;
	return s;
}

/* Whether s is an RFC 6901 JSON pointer: "" or "/" segments, with "~"
 * only as "~0" or "~1". */
static bool json_pointer_ok(const char *s)
{
	if (*s && *s != '/')
		return false;
	for (; *s; s++)
		if (*s == '~' && s[1] != '0' && s[1] != '1')
			return false;
	return true;
}

static const char rule_kinds[] =
	"rules are tag:NAME, url:TEXT, category:NAME, category_id:N or "
	"field:/json/pointer=VALUE, separated by commas";

/* One rule of a "<tier>_when" list; fills *r (its strings are new). */
static int parse_rule(const char *item, const char *tier, const struct ini *ini,
                      const struct ini_entry *en, struct tier_rule *r, struct nk_err *e)
{
	static const struct { const char *prefix; enum rule_kind kind; } kinds[] = {
		{ "tag:", RULE_TAG }, { "url:", RULE_URL }, { "category:", RULE_CATEGORY },
		{ "category_id:", RULE_CATEGORY_ID }, { "field:", RULE_FIELD },
	};
	const char *val = NULL;
	memset(r, 0, sizeof *r);
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0] && !val; k++)
		if (!strncmp(item, kinds[k].prefix, strlen(kinds[k].prefix))) {
			r->kind = kinds[k].kind;
			val = item + strlen(kinds[k].prefix);
		}
	if (!val) {
		char what[300];
		snprintf(what, sizeof what, "'%.60s' is not a rule: %s", item, rule_kinds);
		return bad(e, ini, en, what);
	}
	while (isspace((unsigned char)*val))
		val++;
	if (!*val)
		return bad(e, ini, en, "empty rule");
	if (r->kind == RULE_CATEGORY_ID) {
		char *end;
		errno = 0;
		long id = strtol(val, &end, 10);
		if (errno || end == val || *end || id < 0 || !isdigit((unsigned char)*val))
			return bad(e, ini, en, "category_id: needs a category number, "
			           "such as category_id:42");
		r->id = id;
	}
	if (r->kind == RULE_FIELD) {
		const char *eq = strchr(val, '=');
		char *ptr = eq ? xstrndup(val, (size_t)(eq - val)) : NULL;
		bool ok = ptr && *ptr == '/' && json_pointer_ok(ptr);
		if (!ok) {
			free(ptr);
			return bad(e, ini, en, "field: needs a JSON pointer and a value, such as "
			           "field:/meta/paywall=true (a '~' in the pointer only as ~0 "
			           "or ~1)");
		}
		r->value = ptr;
		r->match = xstrdup(eq + 1);
	} else {
		r->value = xstrdup(val);
	}
	r->tier = xstrdup(tier);
	r->line = en->line;
	return 0;
}

static int add_rules(struct source_conf *s, const char *tier, const struct ini *ini,
                     const struct ini_entry *en, struct nk_err *e)
{
	size_t n;
	char **items = split_list(en->value, &n);
	int rc = n ? 0 : bad(e, ini, en, "empty rule");
	for (size_t i = 0; i < n && !rc; i++) {
		struct tier_rule r;
		if ((rc = parse_rule(items[i], tier, ini, en, &r, e)))
			break;
		s->rules = xrealloc(s->rules, (s->nrules + 1) * sizeof *s->rules);
		s->rules[s->nrules++] = r;
	}
	free_list(items, n);
	return rc;
}

static int source_key(struct config *cfg, const struct ini *ini,
                      const struct ini_entry *en, struct nk_err *e)
{
	if (!en->name)
		return nk_fail(e, EX_CONFIG, "%s:%d: [source] needs a name: [source \"site\"]",
		               ini->path, en->line);
	struct source_conf *s = source_for(cfg, en->name);
	const char *k = en->key, *v = en->value;
	long l;
	if (!strcmp(k, "url")) {
		free(s->url);
		s->url = NULL;
		if (!*v)
			return bad(e, ini, en, "expected a URL, a file path or -");
		char *u = strstr(v, "://") ? scheme_lower(v) : NULL;
		if (u && !is_url(u) && strncmp(u, "file://", 7)) {
			free(u);
			return bad(e, ini, en, "only http://, https:// and file:// are supported");
		}
		s->url = u ? u : !strcmp(v, "-") ? xstrdup(v) : resolve(cfg, v);
	} else if (!strcmp(k, "format")) {
		static const char *const names[] = { "auto", "jsonfeed", "wordpress", NULL };
		int i;
		if (parse_choice(ini, en, names, &i, e))
			return e->code;
		s->format = (enum feed_format)i;
	} else if (!strcmp(k, "tier"))
		set_str(&s->tier, v);
	else if (!strcmp(k, "ca_file"))
		set_path(cfg, &s->ca_file, v);
	else if (!strcmp(k, "tls_verify"))
		return parse_bool(ini, en, &s->tls_verify, e);
	else if (!strcmp(k, "timeout"))
		return parse_duration(ini, en, &s->timeout, e);
	else if (!strcmp(k, "max_bytes")) {
		if (parse_long(ini, en, 1024, 1L << 30, &l, e))
			return e->code;
		s->max_bytes = (size_t)l;
	} else if (!strcmp(k, "retries"))
		return parse_int(ini, en, 0, 10, &s->retries, e);
	else if (!strcmp(k, "retry_wait"))
		return parse_duration(ini, en, &s->retry_wait, e);
	else if (!strcmp(k, "retry_for"))
		return parse_duration(ini, en, &s->retry_for, e);
	else if (!strcmp(k, "required"))
		return parse_bool(ini, en, &s->required, e);
	else if (strlen(k) > 5 && !strcmp(k + strlen(k) - 5, "_when")) {
		/* "<tier>_when": the tier is checked once all tiers are known. */
		char *tier = xstrndup(k, strlen(k) - 5);
		int rc = add_rules(s, tier, ini, en, e);
		free(tier);
		return rc;
	} else
		return nk_fail(e, EX_CONFIG, "%s:%d: unknown key '%s' in [source \"%s\"]",
		               ini->path, en->line, k, en->name);
	return 0;
}

static int tier_key(struct config *cfg, const struct ini *ini,
                    const struct ini_entry *en, struct nk_err *e)
{
	if (!en->name)
		return nk_fail(e, EX_CONFIG, "%s:%d: [tier] needs a name: [tier \"pro\"]",
		               ini->path, en->line);
	struct tier_conf *t = find_tier(cfg, en->name);
	if (!t)
		return nk_fail(e, EX_CONFIG,
		               "%s:%d: [tier \"%s\"] is not listed in [digest] tiers",
		               ini->path, en->line, en->name);
	if (!strcmp(en->key, "label"))
		set_str(&t->label, en->value);
	else if (!strcmp(en->key, "upgrade_url")) {
		if (!is_url(en->value))
			return bad(e, ini, en, "expected an http:// or https:// URL");
		set_str(&t->upgrade_url, en->value);
	} else
		return nk_fail(e, EX_CONFIG, "%s:%d: unknown key '%s' in [tier \"%s\"]",
		               ini->path, en->line, en->key, en->name);
	return 0;
}

static int smtp_key(struct config *cfg, const struct ini *ini,
                    const struct ini_entry *en, struct nk_err *e)
{
	const char *k = en->key, *v = en->value;
	if (!strcmp(k, "url")) {
		if (strncmp(v, "smtp://", 7) && strncmp(v, "smtps://", 8))
			return bad(e, ini, en, "expected smtp://host:port or smtps://host:port");
		set_str(&cfg->smtp_url, v);
	} else if (!strcmp(k, "tls")) {
		static const char *const names[] = { "required", "none", NULL };
		int i;
		if (parse_choice(ini, en, names, &i, e))
			return e->code;
		cfg->tls = (enum smtp_tls)i;
	} else if (!strcmp(k, "tls_verify"))
		return parse_bool(ini, en, &cfg->tls_verify, e);
	else if (!strcmp(k, "ca_file"))
		set_path(cfg, &cfg->smtp_ca_file, v);
	else if (!strcmp(k, "user"))
		set_str(&cfg->smtp_user, v);
	else if (!strcmp(k, "password")) {
		return nk_fail(e, EX_CONFIG,
		               "%s:%d: passwords do not go in the config: use password_file "
		               "(mode 0600) or $NKDIGEST_SMTP_PASSWORD", ini->path, en->line);
	} else if (!strcmp(k, "password_file"))
		set_path(cfg, &cfg->password_file, v);
	else if (!strcmp(k, "oauth2_token_file"))
		set_path(cfg, &cfg->oauth2_token_file, v);
	else if (!strcmp(k, "auth")) {
		static const char *const names[] = { "password", "xoauth2", NULL };
		int i;
		if (parse_choice(ini, en, names, &i, e))
			return e->code;
		cfg->auth = (enum smtp_auth)i;
	} else if (!strcmp(k, "from")) {
		char why[160];
		free(cfg->from_name);
		free(cfg->from_addr);
		cfg->from_name = cfg->from_addr = NULL;
		if (address_parse_mailbox(v, &cfg->from_name, &cfg->from_addr, why, sizeof why))
			return bad(e, ini, en, why);
	} else if (!strcmp(k, "envelope_from")) {
		char why[160];
		if (!address_valid(v, why, sizeof why))
			return bad(e, ini, en, why);
		set_str(&cfg->envelope_from, v);
	} else if (!strcmp(k, "helo")) {
		for (const char *p = v; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
				return bad(e, ini, en, "expected a host name");
		set_str(&cfg->helo, v);
	} else if (!strcmp(k, "connections"))
		return parse_int(ini, en, 1, 64, &cfg->connections, e);
	else if (!strcmp(k, "rate"))
		return parse_rate(ini, en, &cfg->rate, e);
	else if (!strcmp(k, "timeout"))
		return parse_duration(ini, en, &cfg->smtp_timeout, e);
	else if (!strcmp(k, "retries"))
		return parse_int(ini, en, 0, 10, &cfg->retries, e);
	else if (!strcmp(k, "retry_wait"))
		return parse_duration(ini, en, &cfg->retry_wait, e);
	else if (!strcmp(k, "retry_for"))
		return parse_duration(ini, en, &cfg->retry_for, e);
	else if (!strcmp(k, "bounce_limit"))
		return parse_int(ini, en, 1, 1000, &cfg->bounce_limit, e);
	else
		return nk_fail(e, EX_CONFIG, "%s:%d: unknown key '%s' in [smtp]",
		               ini->path, en->line, k);
	return 0;
}

static int subscribers_key(struct config *cfg, const struct ini *ini,
                           const struct ini_entry *en, struct nk_err *e)
{
	if (strcmp(en->key, "file"))
		return nk_fail(e, EX_CONFIG, "%s:%d: unknown key '%s' in [subscribers]",
		               ini->path, en->line, en->key);
	set_path(cfg, &cfg->subscribers, en->value);
	return 0;
}

static int unsubscribe_key(struct config *cfg, const struct ini *ini,
                           const struct ini_entry *en, struct nk_err *e)
{
	const char *k = en->key, *v = en->value;
	if (!strcmp(k, "url")) {
		if (!is_url(v))
			return bad(e, ini, en, "expected an http:// or https:// URL");
		set_str(&cfg->unsub_url, v);
	} else if (!strcmp(k, "mailto")) {
		char why[160];
		if (!address_valid(v, why, sizeof why))
			return bad(e, ini, en, why);
		set_str(&cfg->unsub_mailto, v);
	} else if (!strcmp(k, "secret_file"))
		set_path(cfg, &cfg->unsub_secret_file, v);
	else
		return nk_fail(e, EX_CONFIG, "%s:%d: unknown key '%s' in [unsubscribe]",
		               ini->path, en->line, k);
	return 0;
}

/* ---- loading ---- */

static void defaults(struct config *cfg)
{
	cfg->title = xstrdup("Daily Digest");
	cfg->timezone = xstrdup("UTC");
	cfg->max_age = 48 * 3600;
	cfg->max_articles = 60;
	cfg->teasers = TEASERS_SHOW;
	cfg->text_width = 72;
	cfg->default_name = xstrdup("reader");
	cfg->tls = SMTP_TLS_REQUIRED;
	cfg->tls_verify = true;
	cfg->connections = 4;
	cfg->rate = 0;
	cfg->smtp_timeout = 60;
	cfg->retries = 2;
	cfg->retry_wait = 30;
	cfg->retry_for = 3 * 86400;
	cfg->bounce_limit = 2;
	cfg->tiers.v = xcalloc(2, sizeof *cfg->tiers.v);
	cfg->tiers.v[0].name = xstrdup("free");
	cfg->tiers.v[1].name = xstrdup("pro");
	cfg->tiers.n = 2;
}

/* Checks that need the whole file: names used before they were declared. */
static int check_whole(struct config *cfg, struct nk_err *e)
{
	if (cfg->nsources == 0)
		return nk_fail(e, EX_CONFIG, "%s: no [source \"name\"] section with a url",
		               cfg->path);
	for (size_t i = 0; i < cfg->tiers.n; i++)
		if (!cfg->tiers.v[i].label)
			cfg->tiers.v[i].label = xstrdup(cfg->tiers.v[i].name);
	for (size_t i = 0; i < cfg->nsources; i++) {
		struct source_conf *s = &cfg->sources[i];
		if (!s->url)
			return nk_fail(e, EX_CONFIG, "%s: [source \"%s\"] has no url", cfg->path,
			               s->name);
		if (!s->tier)
			s->tier = xstrdup(cfg->tiers.v[0].name);
		if (tier_index(&cfg->tiers, s->tier) < 0)
			return nk_fail(e, EX_CONFIG,
			               "%s: [source \"%s\"] tier '%s' is not listed in [digest] tiers",
			               cfg->path, s->name, s->tier);
		for (size_t r = 0; r < s->nrules; r++)
			if (tier_index(&cfg->tiers, s->rules[r].tier) < 0)
				return nk_fail(e, EX_CONFIG,
				               "%s:%d: %s_when: '%s' is not listed in [digest] tiers",
				               cfg->path, s->rules[r].line, s->rules[r].tier,
				               s->rules[r].tier);
	}
	if (!cfg->state)
		cfg->state = resolve(cfg, "nkdigest-state.db");
	if (cfg->from_addr && !cfg->envelope_from)
		cfg->envelope_from = xstrdup(cfg->from_addr);
	return 0;
}

int config_load(const char *path, struct config *cfg, struct nk_err *e)
{
	memset(cfg, 0, sizeof *cfg);
	struct ini ini;
	int rc = ini_load(path, &ini, e);
	if (rc)
		return rc;
	cfg->path = xstrdup(path);
	const char *slash = strrchr(path, '/');
	cfg->dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path))
	                 : xstrdup(".");
	defaults(cfg);

	/* tiers must be known before [tier "x"] sections, wherever they stand. */
	for (size_t i = 0; i < ini.n && !rc; i++)
		if (!strcmp(ini.entries[i].section, "digest") &&
		    !strcmp(ini.entries[i].key, "tiers"))
			rc = set_tiers(cfg, &ini, &ini.entries[i], e);

	for (size_t i = 0; i < ini.n && !rc; i++) {
		const struct ini_entry *en = &ini.entries[i];
		const char *s = en->section;
		if ((!strcmp(s, "digest") || !strcmp(s, "smtp") || !strcmp(s, "subscribers") ||
		     !strcmp(s, "unsubscribe")) && en->name)
			rc = nk_fail(e, EX_CONFIG, "%s:%d: [%s] takes no name", ini.path,
			             en->line, s);
		else if (!strcmp(s, "digest"))
			rc = strcmp(en->key, "tiers") ? digest_key(cfg, &ini, en, e) : 0;
		else if (!strcmp(s, "source"))
			rc = source_key(cfg, &ini, en, e);
		else if (!strcmp(s, "tier"))
			rc = tier_key(cfg, &ini, en, e);
		else if (!strcmp(s, "smtp"))
			rc = smtp_key(cfg, &ini, en, e);
		else if (!strcmp(s, "subscribers"))
			rc = subscribers_key(cfg, &ini, en, e);
		else if (!strcmp(s, "unsubscribe"))
			rc = unsubscribe_key(cfg, &ini, en, e);
		else if (!*s)
			rc = nk_fail(e, EX_CONFIG, "%s:%d: key '%s' outside any [section]",
			             ini.path, en->line, en->key);
		else
			rc = nk_fail(e, EX_CONFIG, "%s:%d: unknown section [%s]", ini.path,
			             en->line, s);
	}
	ini_free(&ini);
	if (!rc)
		rc = check_whole(cfg, e);
	if (rc)
		config_free(cfg);
	return rc;
}

int config_check_send(const struct config *cfg, struct nk_err *e)
{
	if (!cfg->smtp_url)
		return nk_fail(e, EX_CONFIG, "%s: [smtp] url is not set", cfg->path);
	if (!cfg->from_addr)
		return nk_fail(e, EX_CONFIG, "%s: [smtp] from is not set", cfg->path);
	if (!cfg->subscribers)
		return nk_fail(e, EX_CONFIG, "%s: [subscribers] file is not set", cfg->path);
	if (!cfg->unsub_url && !cfg->unsub_mailto)
		return nk_fail(e, EX_CONFIG,
		               "%s: [unsubscribe] needs url or mailto: every digest must "
		               "carry a way to unsubscribe", cfg->path);
	if (cfg->auth == SMTP_AUTH_XOAUTH2 && !cfg->smtp_user)
		return nk_fail(e, EX_CONFIG, "%s: [smtp] auth = xoauth2 needs user", cfg->path);
	if (cfg->smtp_user && cfg->auth == SMTP_AUTH_PASSWORD && !cfg->password_file &&
	    !getenv("NKDIGEST_SMTP_PASSWORD"))
		return nk_fail(e, EX_CONFIG,
		               "%s: [smtp] user is set but neither password_file nor "
		               "$NKDIGEST_SMTP_PASSWORD", cfg->path);
	if (cfg->auth == SMTP_AUTH_XOAUTH2 && !cfg->oauth2_token_file &&
	    !getenv("NKDIGEST_SMTP_OAUTH2_TOKEN"))
		return nk_fail(e, EX_CONFIG,
		               "%s: [smtp] auth = xoauth2 but neither oauth2_token_file nor "
		               "$NKDIGEST_SMTP_OAUTH2_TOKEN", cfg->path);
	return 0;
}

char *config_find(const char *explicit_path, struct nk_err *e)
{
	if (explicit_path)
		return xstrdup(explicit_path);
	const char *env = getenv("NKDIGEST_CONFIG");
	if (env && *env)
		return xstrdup(env);
	struct buf tried = {0};
	char *path;
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (xdg && *xdg)
		path = xasprintf("%s/nkdigest/nkdigest.conf", xdg);
	else if (home && *home)
		path = xasprintf("%s/.config/nkdigest/nkdigest.conf", home);
	else
		path = NULL;
	if (path) {
		if (access(path, F_OK) == 0) {
			buf_free(&tried);
			return path;
		}
		buf_printf(&tried, "%s, ", path);
		free(path);
	}
	path = xstrdup("/etc/nkdigest/nkdigest.conf");
	if (access(path, F_OK) == 0) {
		buf_free(&tried);
		return path;
	}
	nk_fail(e, EX_CONFIG, "no config file: tried $NKDIGEST_CONFIG, %s%s (use -c FILE)",
	        buf_str(&tried), path);
	free(path);
	buf_free(&tried);
	return NULL;
}

int config_read_secret(const char *path, const char *env, bool required,
                       const char *what, char **out, struct nk_err *e)
{
	*out = NULL;
	if (!path) {
		const char *v = env ? getenv(env) : NULL;
		if (v && *v) {
			*out = xstrdup(v);
			return 0;
		}
		if (required)
			return nk_fail(e, EX_CONFIG, "%s: not configured (set a file in the "
			               "config or $%s)", what, env ? env : "?");
		return 0;
	}
	FILE *f = fopen(path, "r");
	if (!f)
		return nk_fail(e, EX_CONFIG, "%s: %s: %s", what, path, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) || (st.st_mode & 077)) {
		fclose(f);
		return nk_fail(e, EX_CONFIG,
		               "%s: %s is readable by others (mode %03o): chmod 600 it",
		               what, path, (unsigned)(st.st_mode & 0777));
	}
	char chunk[4096];
	size_t n = fread(chunk, 1, sizeof chunk - 1, f);
	fclose(f);
	chunk[n] = '\0';
	while (n && (chunk[n - 1] == '\n' || chunk[n - 1] == '\r'))
		chunk[--n] = '\0';
	if (n == 0 || strlen(chunk) != n) {
		explicit_bzero(chunk, sizeof chunk);
		return nk_fail(e, EX_CONFIG, "%s: %s is empty or not text", what, path);
	}
	*out = xstrdup(chunk);
	explicit_bzero(chunk, sizeof chunk);
	return 0;
}

void config_free_secret(char *secret)
{
	if (secret) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
}

void config_free(struct config *cfg)
{
	free(cfg->path);
	free(cfg->dir);
	free(cfg->title);
	free(cfg->timezone);
	free_tiers(cfg);
	free(cfg->templates);
	free(cfg->state);
	free(cfg->default_name);
	for (size_t i = 0; i < cfg->nsources; i++) {
		struct source_conf *s = &cfg->sources[i];
		free(s->name);
		free(s->url);
		free(s->tier);
		free(s->ca_file);
		for (size_t r = 0; r < s->nrules; r++) {
			free(s->rules[r].tier);
			free(s->rules[r].value);
			free(s->rules[r].match);
		}
		free(s->rules);
	}
	free(cfg->sources);
	free(cfg->smtp_url);
	free(cfg->smtp_ca_file);
	free(cfg->smtp_user);
	free(cfg->password_file);
	free(cfg->oauth2_token_file);
	free(cfg->from_name);
	free(cfg->from_addr);
	free(cfg->envelope_from);
	free(cfg->helo);
	free(cfg->subscribers);
	free(cfg->unsub_url);
	free(cfg->unsub_mailto);
	free(cfg->unsub_secret_file);
	memset(cfg, 0, sizeof *cfg);
}
