/* personalise.c — filling a variant for one subscriber (see personalise.h). */
#include "personalise.h"
#include "address.h"
#include "mime.h"
#include "unsubscribe.h"
#include "utf8.h"
#include "xalloc.h"

#include <ctype.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LONG_RUN "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

/* "nkdigest.<edition>.<16 hex of SHA-256(lower-cased address)>@<sender
 * domain>": the same for the same edition and recipient; caller frees. */
static char *message_id(const struct config *cfg, int64_t edition,
                       const char *email)
{
	char *lower = xstrdup(email);
	for (char *p = lower; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	unsigned char digest[32];
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, lower, strlen(lower), digest) != 0)
		abort();
	free(lower);
	char hex[17];
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	return xasprintf("nkdigest.%lld.%s@%s", (long long)edition, hex,
	                 address_domain(cfg->from_addr ? cfg->from_addr : "digest@localhost"));
}

/* Words after a comma that end a name rather than start a given name:
 * "Smith, Jr." is not "Jr. Smith". */
static bool name_suffix(const char *s)
{
	static const char *const suffixes[] = { "jr", "jr.", "sr", "sr.", "ii", "iii", "iv",
		"phd", "ph.d.", "md", "m.d.", "esq", "esq.", NULL };
	for (size_t i = 0; suffixes[i]; i++)
		if (!strcasecmp(s, suffixes[i]))
			return true;
	return false;
}

/* The name as it is said: a list's "Doe, Jane" (family name, comma, given
 * name) becomes "Jane Doe"; anything else stays as it is. Caller frees. */
static char *natural_name(const char *name)
{
	const char *comma = strchr(name, ',');
	if (!comma || strchr(comma + 1, ','))
		return xstrdup(name);
	const char *a = name, *b = comma, *c = comma + 1, *d = name + strlen(name);
	while (a < b && isspace((unsigned char)*a))
		a++;
	while (b > a && isspace((unsigned char)b[-1]))
		b--;
	while (c < d && isspace((unsigned char)*c))
		c++;
	while (d > c && isspace((unsigned char)d[-1]))
		d--;
	char *given = xstrndup(c, (size_t)(d - c));
	char *out = a == b || c == d || name_suffix(given)
	          ? xstrdup(name)
	          : xasprintf("%s %.*s", given, (int)(b - a), a);
	free(given);
	return out;
}

/* The greeting line for name ("" when there is none), in the config's
 * words or the language's. Caller frees. */
static char *greeting(const struct config *cfg, const char *name)
{
	bool ko = !strncasecmp(cfg->lang, "ko", 2) && (cfg->lang[2] == '\0' ||
	                                               cfg->lang[2] == '-');
	if (!*name)
		return xstrdup(cfg->greeting_anonymous ? cfg->greeting_anonymous
		               : ko ? "\xEC\x95\x88\xEB\x85\x95\xED\x95\x98\xEC\x84\xB8\xEC\x9A\x94."   /* 안녕하세요. */
		               : "Hello,");
	const char *words = cfg->greeting ? cfg->greeting
	                  : ko ? "{{name}}\xEB\x8B\x98, \xEC\x95\x88\xEB\x85\x95\xED\x95\x98"
	                         "\xEC\x84\xB8\xEC\x9A\x94."   /* {{name}}님, 안녕하세요. */
	                  : "Hello {{name}},";
	/* config.c made sure {{name}} is there, once. */
	const char *hole = strstr(words, "{{name}}");
	return xasprintf("%.*s%s%s", (int)(hole - words), words, name, hole + 8);
}

/* The slot values for r; the strings in *owned are the caller's to free. */
struct slots {
	const char *v[SLOT_COUNT];
	char *unsub;
	char *mailto;
	char *prefs;
	char *name;
	char *greeting;
};

static void slots_fill(const struct config *cfg, const struct recipient *r,
                       const char *secret, struct slots *s)
{
	s->unsub = cfg->unsub_url ? unsubscribe_url(cfg->unsub_url, secret, r->email) : NULL;
	/* Templates that print the link get the mailto when there is no URL. */
	s->mailto = !s->unsub && cfg->unsub_mailto
	          ? xasprintf("mailto:%s?subject=unsubscribe", cfg->unsub_mailto) : NULL;
	/* The same {{token}} and {{email}} as the unsubscribe link. */
	s->prefs = cfg->preferences_url ? unsubscribe_url(cfg->preferences_url, secret, r->email)
	                                : NULL;
	s->name = natural_name(r->name && *r->name ? r->name : cfg->default_name);
	s->greeting = greeting(cfg, s->name);
	s->v[SLOT_NAME] = s->name;
	s->v[SLOT_EMAIL] = r->email;
	s->v[SLOT_GREETING] = s->greeting;
	/* Only previews get here without either: send refuses such a config. */
	s->v[SLOT_UNSUBSCRIBE_URL] = s->unsub ? s->unsub : s->mailto ? s->mailto
	                           : "(no [unsubscribe] url in the config)";
	s->v[SLOT_PREFERENCES_URL] = s->prefs;
}

static void slots_free(struct slots *s)
{
	free(s->unsub);
	free(s->mailto);
	free(s->prefs);
	free(s->name);
	free(s->greeting);
}

void personalise_part(const struct config *cfg, const struct variant *v,
                      enum personal_part part, const struct recipient *r,
                      const char *secret, struct buf *out)
{
	struct slots s;
	slots_fill(cfg, r, secret, &s);
	const struct skel *k = part == PART_SUBJECT ? v->subject
	                     : part == PART_TEXT ? v->text : v->html;
	skel_fill(k, s.v, out);
	slots_free(&s);
}

int personalise_message(const struct config *cfg, const struct variant *v,
                        int64_t edition, time_t now, const struct recipient *r,
                        const char *secret, struct buf *out, struct nk_err *e)
{
	struct slots s;
	slots_fill(cfg, r, secret, &s);
	struct buf subject = {0}, text = {0}, html = {0};
	skel_fill(v->subject, s.v, &subject);
	skel_fill(v->text, s.v, &text);
	skel_fill(v->html, s.v, &html);
	/* A subject is one line whatever the template did. */
	char *subject_line = text_oneline(buf_str(&subject));
	char *msgid = message_id(cfg, edition, r->email);
	const char *from = cfg->from_addr ? cfg->from_addr : "digest@localhost";
	/* RFC 2919: "<local-part>.<domain>" of the sender names the list. */
	char *list_id = xasprintf("%.*s.%s", (int)strcspn(from, "@"), from,
	                          address_domain(from));
	struct mime_msg m = {
		.from_name = cfg->from_name,
		.from_addr = from,
		.to_name = r->name,
		.to_addr = r->email,
		.subject = subject_line,
		.message_id = msgid,
		.date = now,
		.list_id = list_id,
		.list_id_name = cfg->title,
		.unsubscribe_url = s.unsub,
		.unsubscribe_mailto = cfg->unsub_mailto,
		.text = buf_str(&text),
		.text_len = text.len,
		.html = buf_str(&html),
		.html_len = html.len,
	};
	int rc = mime_build(&m, out, e);
	slots_free(&s);
	free(subject_line);
	free(msgid);
	free(list_id);
	buf_free(&subject);
	buf_free(&text);
	buf_free(&html);
	return rc;
}

int personalise_check(const struct config *cfg, const struct variant *v, size_t n,
                      int64_t edition, const char *secret, struct nk_err *e)
{
	/* 64 + 1 + 189 = 254 characters: the longest address that is valid. */
	char addr[255], name[MIME_MAX_NAME + 1];
	snprintf(addr, sizeof addr, "%.64s@%.61s.%.61s.%.61s.org", LONG_RUN, LONG_RUN,
	         LONG_RUN, LONG_RUN);
	memset(name, 'n', MIME_MAX_NAME);
	name[MIME_MAX_NAME] = '\0';
	struct recipient r = { addr, name };
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		struct buf msg = {0};
		struct nk_err me = {0};
		if (personalise_message(cfg, &v[i], edition, time(NULL), &r, secret, &msg, &me))
			rc = nk_fail(e, EX_CONFIG, "%s: the %s digest cannot be mailed to anyone: "
			             "%s (check [smtp] from and the [unsubscribe] url)", cfg->path,
			             cfg->tiers.v[i].name, me.msg);
		buf_free(&msg);
	}
	return rc;
}
