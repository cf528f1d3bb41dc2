/* config.c — finding, reading and checking the configuration (see config.h). */
#include "config.h"
#include "address.h"
#include "url.h"
#include "mime.h"
#include "smtp.h"
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
#include <sys/prctl.h>
#include <sys/resource.h>
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

int config_parse_duration(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	long mul = 1;
	if (errno || end == s || v < 0 || (*end && end[1]))
		return -1;
	switch (*end) {
	case '\0': case 's': mul = 1; break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	default: return -1;
	}
	if (v > LONG_MAX / mul / 2)
		return -1;
	*out = v * mul;
	return 0;
}

static int parse_duration(const struct ini *ini, const struct ini_entry *en,
                          long *out, struct nk_err *e)
{
	if (config_parse_duration(en->value, out) != 0)
		return bad(e, ini, en, "expected a duration like 90s, 30m, 48h or 2d");
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

/* A URL in the config must be one libcurl reads as such, and must hold no
 * user name or password: they would be printed, logged, or (for links in
 * the digest) mailed to every subscriber. */
static int check_url(const struct ini *ini, const struct ini_entry *en, const char *instead,
                     struct nk_err *e)
{
	bool credentials = false;
	if (url_credentials(en->value, &credentials) != 0)
		return nk_fail(e, EX_CONFIG, "%s:%d: %s: not a URL with a host name", ini->path,
		               en->line, en->key);
	if (credentials)
		return nk_fail(e, EX_CONFIG, "%s:%d: %s: a user name or password does not go in "
		               "a URL; %s", ini->path, en->line, en->key, instead);
	return 0;
}

/* "90k" (KiB), "92160" (bytes) or "0" (no limit). */
static int parse_size(const struct ini *ini, const struct ini_entry *en, size_t min,
                      size_t *out, struct nk_err *e)
{
	char *end;
	errno = 0;
	long v = strtol(en->value, &end, 10);
	long mul = (*end == 'k' || *end == 'K') ? 1024 : 1;
	if (errno || end == en->value || v < 0 || (*end && mul == 1) ||
	    (*end && end[1]) || v > (64L << 20) / mul ||
	    (v != 0 && (size_t)(v * mul) < min)) {
		char what[96];
		snprintf(what, sizeof what, "expected a size like 90k or %zu bytes or more, "
		         "or 0 for no limit", min);
		return bad(e, ini, en, what);
	}
	*out = (size_t)(v * mul);
	return 0;
}

/* A language tag as HTML's lang takes it: "en", "ko", "en-GB", "zh-Hant". */
static bool is_lang(const char *s)
{
	size_t n = 0;
	while (isalpha((unsigned char)s[n]))
		n++;
	if (n < 2 || n > 3)
		return false;
	for (s += n; *s == '-';) {
		size_t k = 0;
		while (isalnum((unsigned char)s[1 + k]))
			k++;
		if (k < 1 || k > 8)
			return false;
		s += 1 + k;
	}
	return *s == '\0';
}

/* Query parameters to append to a URL: "utm_source=digest&utm_medium=email".
 * Printable ASCII without what would end the URL or an HTML attribute. */
static bool is_query(const char *s)
{
	if (!*s)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("\"'<>#\\` ", *p))
			return false;
	return true;
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

/* ---- unknown names: say which known one was probably meant ---- */

/* Edit distance (insert, delete, substitute, swap two neighbours), for
 * short names only. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 40 || lb > 40)
		return 99;
	size_t d[41][41];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

/* The known name closest to name (NULL-ended list), or NULL when none is
 * close enough to be a typo of it: at most 2 edits, and fewer than half
 * the name's length. */
static const char *closest(const char *name, const char *const *known)
{
	const char *best = NULL;
	size_t bestd = 3;
	for (size_t i = 0; known[i]; i++) {
		size_t d = distance(name, known[i]);
		if (d < bestd && 2 * d < strlen(name)) {
			best = known[i];
			bestd = d;
		}
	}
	return best;
}

/* "path:line: unknown key 'timezon' in [digest] (did you mean 'timezone'?)" */
static int unknown_key(const struct ini *ini, const struct ini_entry *en,
                       const char *where, const char *const *known, struct nk_err *e)
{
	const char *guess = closest(en->key, known);
	return nk_fail(e, EX_CONFIG, "%s:%d: unknown key '%s' in %s%s%s%s", ini->path,
	               en->line, en->key, where, guess ? " (did you mean '" : "",
	               guess ? guess : "", guess ? "'?)" : "");
}

/* The keys of each section, for unknown_key(). Keep them in step with the
 * branches of the *_key() functions below (tests/unit/test_config.c checks
 * that each one is accepted). */
static const char *const digest_keys[] = {
	"title", "timezone", "max_age", "max_articles", "tiers", "pro_teasers",
	"templates", "state", "text_width", "default_name", "lang", "subject_max",
	"preheader", "lead_tag", "site_url", "html_budget", "greeting",
	"greeting_anonymous", NULL,
};
static const char *const source_keys[] = {
	"url", "format", "tier", "ca_file", "tls_verify", "timeout", "max_bytes", "retries",
	"retry_wait", "retry_for", "required", NULL,
};
static const char *const tier_keys[] = {
	"label", "upgrade_url", "campaign", "benefit", "button", NULL,
};
static const char *const smtp_keys[] = {
	"url", "tls", "tls_verify", "ca_file", "user", "password_file",
	"oauth2_token_file", "auth", "from", "envelope_from", "helo", "connections",
	"rate", "timeout", "retries", "retry_wait", "retry_for", "bounce_limit", NULL,
};
static const char *const subscribers_keys[] = { "file", NULL };
static const char *const unsubscribe_keys[] = { "url", "mailto", "secret_file", NULL };
static const char *const footer_keys[] = {
	"organisation", "address", "reason", "preferences_url", NULL,
};
static const char *const archive_keys[] = { "dir", "url", "tier", "title", NULL };
static const char *const dkim_keys[] = { "selector", "domain", "key_file", NULL };
static const char *const sections[] = {
	"digest", "source", "tier", "smtp", "subscribers", "unsubscribe", "footer",
	"archive", "dkim", NULL,
};

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
		free(cfg->tiers.v[i].campaign);
		free(cfg->tiers.v[i].benefit);
		free(cfg->tiers.v[i].button);
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
	else if (!strcmp(k, "lang")) {
		if (!is_lang(v))
			return bad(e, ini, en, "expected a language tag like en, ko or en-GB");
		set_str(&cfg->lang, v);
	} else if (!strcmp(k, "subject_max"))
		return parse_int(ini, en, 20, 200, &cfg->subject_max, e);
	else if (!strcmp(k, "preheader"))
		set_str(&cfg->preheader, v);
	else if (!strcmp(k, "lead_tag"))
		set_str(&cfg->lead_tag, v);
	else if (!strcmp(k, "site_url")) {
		if (!is_url(v))
			return bad(e, ini, en, "expected an http:// or https:// URL");
		set_str(&cfg->site_url, v);
	} else if (!strcmp(k, "html_budget"))
		return parse_size(ini, en, 16 * 1024, &cfg->html_budget, e);
	else if (!strcmp(k, "greeting") || !strcmp(k, "greeting_anonymous")) {
		/* {{name}} only in the one that has a name to put there. */
		bool named = !strcmp(k, "greeting");
		const char *open = strstr(v, "{{"), *name = strstr(v, "{{name}}");
		if (named && (!name || open != name || strstr(name + 8, "{{")))
			return bad(e, ini, en, "expected text with {{name}} once, e.g. Hello {{name}},");
		if (!named && open)
			return bad(e, ini, en, "expected text without {{...}}, e.g. Hello,");
		set_str(named ? &cfg->greeting : &cfg->greeting_anonymous, v);
	} else
		return unknown_key(ini, en, "[digest]", digest_keys, e);
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

/* Known source keys are the fixed ones and "<tier>_when" for each tier. */
static int unknown_source_key(const struct config *cfg, const struct ini *ini,
                              const struct ini_entry *en, struct nk_err *e)
{
	size_t nfixed = sizeof source_keys / sizeof source_keys[0] - 1;
	const char **known = xcalloc(nfixed + cfg->tiers.n + 1, sizeof *known);
	char **when = xcalloc(cfg->tiers.n + 1, sizeof *when);
	for (size_t i = 0; i < nfixed; i++)
		known[i] = source_keys[i];
	for (size_t i = 0; i < cfg->tiers.n; i++)
		known[nfixed + i] = when[i] = xasprintf("%s_when", cfg->tiers.v[i].name);
	char where[300];
	snprintf(where, sizeof where, "[source \"%s\"]", en->name);
	int rc = unknown_key(ini, en, where, known, e);
	for (size_t i = 0; i < cfg->tiers.n; i++)
		free(when[i]);
	free(when);
	free(known);
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
		int rc = 0;
		char *u = strstr(v, "://") ? scheme_lower(v) : NULL;
		if (!*v)
			rc = bad(e, ini, en, "expected a URL, a file path or -");
		else if (u && !is_url(u) && strncmp(u, "file://", 7))
			rc = bad(e, ini, en, "only http://, https:// and file:// are supported");
		else if (u && is_url(u))
			rc = check_url(ini, en, "feeds are fetched without a login", e);
		/* A bad url still counts as given, so that it is not reported a
		 * second time as missing; the config is not used after an error. */
		free(s->url);
		s->url = u ? u : (rc || !strcmp(v, "-")) ? xstrdup(v) : resolve(cfg, v);
		return rc;
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
		return unknown_source_key(cfg, ini, en, e);
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
		if (check_url(ini, en, "it would be mailed to every subscriber", e))
			return e->code;
		set_str(&t->upgrade_url, en->value);
	} else if (!strcmp(en->key, "campaign")) {
		const char *q = en->value + strspn(en->value, "?&");
		if (!is_query(q))
			return bad(e, ini, en, "expected query parameters like "
			           "utm_source=digest&utm_medium=email");
		set_str(&t->campaign, q);
	} else if (!strcmp(en->key, "benefit"))
		set_str(&t->benefit, en->value);
	else if (!strcmp(en->key, "button"))
		set_str(&t->button, en->value);
	else {
		char where[300];
		snprintf(where, sizeof where, "[tier \"%s\"]", en->name);
		return unknown_key(ini, en, where, tier_keys, e);
	}
	return 0;
}

static int smtp_key(struct config *cfg, const struct ini *ini,
                    const struct ini_entry *en, struct nk_err *e)
{
	const char *k = en->key, *v = en->value;
	if (!strcmp(k, "url")) {
		if (strncmp(v, "smtp://", 7) && strncmp(v, "smtps://", 8))
			return bad(e, ini, en, "expected smtp://host:port or smtps://host:port");
		if (check_url(ini, en, "put the user in [smtp] user and the password in "
		              "password_file (mode 0600) or $NKDIGEST_SMTP_PASSWORD", e))
			return e->code;
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
		if (!smtp_address_ok(cfg->from_addr))
			return bad(e, ini, en, "the address cannot go into SMTP's MAIL FROM as it "
			           "is (no spaces or quotes)");
		if (strlen(cfg->from_name) > MIME_MAX_NAME)
			return bad(e, ini, en, "the name is too long for a mail header");
	} else if (!strcmp(k, "envelope_from")) {
		char why[160];
		if (!address_valid(v, why, sizeof why))
			return bad(e, ini, en, why);
		if (!smtp_address_ok(v))
			return bad(e, ini, en, "the address cannot go into SMTP's MAIL FROM as it "
			           "is (no spaces or quotes)");
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
		return unknown_key(ini, en, "[smtp]", smtp_keys, e);
	return 0;
}

static int subscribers_key(struct config *cfg, const struct ini *ini,
                           const struct ini_entry *en, struct nk_err *e)
{
	if (strcmp(en->key, "file"))
		return unknown_key(ini, en, "[subscribers]", subscribers_keys, e);
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
		if (check_url(ini, en, "it would be mailed to every subscriber", e))
			return e->code;
		set_str(&cfg->unsub_url, v);
	} else if (!strcmp(k, "mailto")) {
		char why[160];
		if (!address_valid(v, why, sizeof why))
			return bad(e, ini, en, why);
		set_str(&cfg->unsub_mailto, v);
	} else if (!strcmp(k, "secret_file"))
		set_path(cfg, &cfg->unsub_secret_file, v);
	else
		return unknown_key(ini, en, "[unsubscribe]", unsubscribe_keys, e);
	return 0;
}

static int footer_key(struct config *cfg, const struct ini *ini,
                      const struct ini_entry *en, struct nk_err *e)
{
	const char *k = en->key, *v = en->value;
	if (!strcmp(k, "organisation") || !strcmp(k, "organization"))
		set_str(&cfg->organisation, v);
	else if (!strcmp(k, "address"))
		set_str(&cfg->postal_address, v);
	else if (!strcmp(k, "reason"))
		set_str(&cfg->reason, v);
	else if (!strcmp(k, "preferences_url")) {
		if (!is_url(v))
			return bad(e, ini, en, "expected an http:// or https:// URL");
		set_str(&cfg->preferences_url, v);
	} else
		return unknown_key(ini, en, "[footer]", footer_keys, e);
	return 0;
}

static int archive_key(struct config *cfg, const struct ini *ini,
                       const struct ini_entry *en, struct nk_err *e)
{
	const char *k = en->key, *v = en->value;
	if (!strcmp(k, "dir")) {
		if (!*v)
			return bad(e, ini, en, "expected a directory");
		set_path(cfg, &cfg->archive_dir, v);
	} else if (!strcmp(k, "url")) {
		if (!is_url(v) || strpbrk(v, "?#\"<> "))
			return bad(e, ini, en, "expected an http:// or https:// URL without ? or #");
		free(cfg->archive_url);
		/* Page names are appended to it. */
		size_t n = strlen(v);
		cfg->archive_url = n && v[n - 1] == '/' ? xstrdup(v) : xasprintf("%s/", v);
	} else if (!strcmp(k, "tier"))
		set_str(&cfg->archive_tier, v);
	else if (!strcmp(k, "title"))
		set_str(&cfg->archive_title, v);
	else
		return unknown_key(ini, en, "[archive]", archive_keys, e);
	return 0;
}

/* RFC 6376 §3.1: a selector is dot-separated labels; so is a domain. */
static bool dkim_labels(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 253 || s[0] == '.' || s[n - 1] == '.' || strstr(s, ".."))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	              "0123456789-_.") == n;
}

static int dkim_key(struct config *cfg, const struct ini *ini, const struct ini_entry *en,
                    struct nk_err *e)
{
	const char *k = en->key, *v = en->value;
	if (!strcmp(k, "selector") || !strcmp(k, "domain")) {
		if (!dkim_labels(v))
			return bad(e, ini, en, "expected letters, digits, '-', '_' and dots");
		set_str(!strcmp(k, "selector") ? &cfg->dkim_selector : &cfg->dkim_domain, v);
	} else if (!strcmp(k, "key_file")) {
		set_path(cfg, &cfg->dkim_key_file, v);
	} else {
		return unknown_key(ini, en, "[dkim]", dkim_keys, e);
	}
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
	cfg->default_name = xstrdup("");
	cfg->lang = xstrdup("en");
	cfg->subject_max = 60;
	cfg->html_budget = 90 * 1024;
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

/* Appends a copy of *e to errs and clears e for the next check. */
static void keep(struct config_errors *errs, struct nk_err *e)
{
	errs->v = xrealloc(errs->v, (errs->n + 1) * sizeof *errs->v);
	errs->v[errs->n++] = *e;
	memset(e, 0, sizeof *e);
}

/* Checks that need the whole file: names used before they were declared. */
static void check_whole(struct config *cfg, struct config_errors *errs)
{
	struct nk_err e = {0};
	if (cfg->nsources == 0) {
		nk_fail(&e, EX_CONFIG, "%s: no [source \"name\"] section with a url", cfg->path);
		keep(errs, &e);
	}
	for (size_t i = 0; i < cfg->tiers.n; i++)
		if (!cfg->tiers.v[i].label)
			cfg->tiers.v[i].label = xstrdup(cfg->tiers.v[i].name);
	for (size_t i = 0; i < cfg->nsources; i++) {
		struct source_conf *s = &cfg->sources[i];
		if (!s->url) {
			nk_fail(&e, EX_CONFIG, "%s: [source \"%s\"] has no url", cfg->path, s->name);
			keep(errs, &e);
		}
		if (!s->tier)
			s->tier = xstrdup(cfg->tiers.v[0].name);
		if (tier_index(&cfg->tiers, s->tier) < 0) {
			nk_fail(&e, EX_CONFIG,
			        "%s: [source \"%s\"] tier '%s' is not listed in [digest] tiers",
			        cfg->path, s->name, s->tier);
			keep(errs, &e);
		}
		for (size_t r = 0; r < s->nrules; r++)
			if (tier_index(&cfg->tiers, s->rules[r].tier) < 0) {
				nk_fail(&e, EX_CONFIG,
				        "%s:%d: %s_when: '%s' is not listed in [digest] tiers",
				        cfg->path, s->rules[r].line, s->rules[r].tier,
				        s->rules[r].tier);
				keep(errs, &e);
			}
	}
	if (cfg->archive_tier && tier_index(&cfg->tiers, cfg->archive_tier) < 0) {
		nk_fail(&e, EX_CONFIG, "%s: [archive] tier '%s' is not listed in [digest] tiers",
		        cfg->path, cfg->archive_tier);
		keep(errs, &e);
	} else if (!cfg->archive_tier)
		cfg->archive_tier = xstrdup(cfg->tiers.v[cfg->tiers.n - 1].name);
	if (!cfg->state)
		cfg->state = resolve(cfg, "nkdigest-state.db");
	if (cfg->from_addr && !cfg->envelope_from)
		cfg->envelope_from = xstrdup(cfg->from_addr);
	if (cfg->dkim_selector || cfg->dkim_domain || cfg->dkim_key_file) {
		if (!cfg->dkim_selector || !cfg->dkim_key_file) {
			nk_fail(&e, EX_CONFIG, "%s: [dkim] needs both selector and key_file",
			        cfg->path);
			keep(errs, &e);
		} else if (!cfg->dkim_domain && !cfg->from_addr) {
			nk_fail(&e, EX_CONFIG, "%s: [dkim] needs domain (or [smtp] from to take "
			        "it from)", cfg->path);
			keep(errs, &e);
		} else if (!cfg->dkim_domain) {
			cfg->dkim_domain = xstrdup(address_domain(cfg->from_addr));
		}
	}
}

const char *const *config_known_keys(const char *section)
{
	static const struct { const char *name; const char *const *keys; } all[] = {
		{ "digest", digest_keys }, { "source", source_keys }, { "tier", tier_keys },
		{ "smtp", smtp_keys }, { "subscribers", subscribers_keys },
		{ "unsubscribe", unsubscribe_keys }, { "footer", footer_keys },
		{ "archive", archive_keys }, { "dkim", dkim_keys }, { NULL, sections },
	};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (section ? all[i].name && !strcmp(section, all[i].name) : !all[i].name)
			return all[i].keys;
	return NULL;
}

static bool known_section(const char *s)
{
	for (size_t i = 0; sections[i]; i++)
		if (!strcmp(s, sections[i]))
			return true;
	return false;
}

static int entry(struct config *cfg, const struct ini *ini, const struct ini_entry *en,
                 struct nk_err *e)
{
	const char *s = en->section;
	if ((!strcmp(s, "digest") || !strcmp(s, "smtp") || !strcmp(s, "subscribers") ||
	     !strcmp(s, "unsubscribe") || !strcmp(s, "footer") || !strcmp(s, "archive") ||
	     !strcmp(s, "dkim")) && en->name)
		return nk_fail(e, EX_CONFIG, "%s:%d: [%s] takes no name", ini->path, en->line, s);
	if (!strcmp(s, "digest"))
		return strcmp(en->key, "tiers") ? digest_key(cfg, ini, en, e) : 0;
	if (!strcmp(s, "source"))
		return source_key(cfg, ini, en, e);
	if (!strcmp(s, "tier"))
		return tier_key(cfg, ini, en, e);
	if (!strcmp(s, "smtp"))
		return smtp_key(cfg, ini, en, e);
	if (!strcmp(s, "subscribers"))
		return subscribers_key(cfg, ini, en, e);
	if (!strcmp(s, "unsubscribe"))
		return unsubscribe_key(cfg, ini, en, e);
	if (!strcmp(s, "footer"))
		return footer_key(cfg, ini, en, e);
	if (!strcmp(s, "archive"))
		return archive_key(cfg, ini, en, e);
	if (!strcmp(s, "dkim"))
		return dkim_key(cfg, ini, en, e);
	if (!*s)
		return nk_fail(e, EX_CONFIG, "%s:%d: key '%s' outside any [section]", ini->path,
		               en->line, en->key);
	const char *guess = closest(s, sections);
	return nk_fail(e, EX_CONFIG, "%s:%d: unknown section [%s]%s%s%s", ini->path, en->line,
	               s, guess ? " (did you mean [" : "", guess ? guess : "",
	               guess ? "]?)" : "");
}

int config_load_all(const char *path, struct config *cfg, struct config_errors *errs)
{
	memset(cfg, 0, sizeof *cfg);
	memset(errs, 0, sizeof *errs);
	struct nk_err e = {0};
	struct ini ini;
	if (ini_load(path, &ini, &e)) {
		keep(errs, &e);
		return errs->v[0].code;
	}
	cfg->path = xstrdup(path);
	const char *slash = strrchr(path, '/');
	cfg->dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path))
	                 : xstrdup(".");
	defaults(cfg);

	/* tiers must be known before [tier "x"] sections, wherever they stand. */
	for (size_t i = 0; i < ini.n; i++)
		if (!strcmp(ini.entries[i].section, "digest") &&
		    !strcmp(ini.entries[i].key, "tiers") &&
		    set_tiers(cfg, &ini, &ini.entries[i], &e))
			keep(errs, &e);
	/* Every entry is checked, whatever failed before it: `check` lists
	 * all the mistakes at once; an unknown section is one mistake, however
	 * many keys it has. */
	const char *bad_section = NULL;
	for (size_t i = 0; i < ini.n; i++) {
		const struct ini_entry *en = &ini.entries[i];
		if (bad_section && !strcmp(en->section, bad_section))
			continue;
		if (!entry(cfg, &ini, en, &e))
			continue;
		if (*en->section && !known_section(en->section))
			bad_section = en->section;
		keep(errs, &e);
	}
	ini_free(&ini);
	check_whole(cfg, errs);
	if (errs->n) {
		config_free(cfg);
		return errs->v[0].code;
	}
	return 0;
}

void config_errors_free(struct config_errors *errs)
{
	free(errs->v);
	errs->v = NULL;
	errs->n = 0;
}

int config_load(const char *path, struct config *cfg, struct nk_err *e)
{
	struct config_errors errs;
	int rc = config_load_all(path, cfg, &errs);
	if (rc) {
		*e = errs.v[0];
		if (errs.n > 1) {
			size_t len = strlen(e->msg);
			snprintf(e->msg + len, sizeof e->msg - len, " (and %zu more error%s: "
			         "'nkdigest check' lists them all)", errs.n - 1,
			         errs.n > 2 ? "s" : "");
		}
	}
	config_errors_free(&errs);
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

/* From the first secret on, a crash must not leave it in a core file:
 * no core dumps, and no other process of ours may read our memory. */
static void no_core_dumps(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	struct rlimit none = { 0, 0 };
	setrlimit(RLIMIT_CORE, &none);
#ifndef __SANITIZE_ADDRESS__
	/* LeakSanitizer stops the process with ptrace at exit, which a
	 * process that is not dumpable refuses unless run by root. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

int config_read_secret(const char *path, const char *env, bool required,
                       const char *what, char **out, struct nk_err *e)
{
	*out = NULL;
	no_core_dumps();
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
	free(cfg->lang);
	free(cfg->preheader);
	free(cfg->lead_tag);
	free(cfg->site_url);
	free(cfg->greeting);
	free(cfg->greeting_anonymous);
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
	free(cfg->organisation);
	free(cfg->postal_address);
	free(cfg->reason);
	free(cfg->preferences_url);
	free(cfg->archive_dir);
	free(cfg->archive_url);
	free(cfg->archive_tier);
	free(cfg->archive_title);
	free(cfg->dkim_selector);
	free(cfg->dkim_domain);
	free(cfg->dkim_key_file);
	memset(cfg, 0, sizeof *cfg);
}
