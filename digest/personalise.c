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

int personal_keys_open(const struct config *cfg, struct state *st, const char *secret,
                       bool sign, struct personal_keys *k, struct nk_err *e)
{
	memset(k, 0, sizeof *k);
	if (secret) {
		unsub_key_derive(secret, &k->unsub);
		k->has_unsub = true;
	}
	int rc = st ? state_instance(st, k->instance, e) : 0;
	if (rc || !sign || !cfg->dkim_key_file)
		return rc;
	char *pem = NULL;
	rc = config_read_secret(cfg->dkim_key_file, NULL, true, "DKIM key ([dkim] key_file)",
	                        &pem, e);
	if (!rc && (rc = dkim_signer_new(cfg->dkim_domain, cfg->dkim_selector, pem, &k->dkim,
	                                 e))) {
		/* Name the file: the signer knows only the key's text. */
		char why[sizeof e->msg];
		snprintf(why, sizeof why, "%s", e->msg);
		rc = nk_fail(e, rc, "%s: %s", cfg->dkim_key_file, why);
	}
	config_free_secret(pem);
	return rc;
}

void personal_keys_close(struct personal_keys *k)
{
	unsub_key_wipe(&k->unsub);
	dkim_signer_free(k->dkim);
	memset(k, 0, sizeof *k);
}

/* "nkdigest.<instance>.<edition>.<16 hex of SHA-256(lower-cased
 * address)>@<sender domain>"; caller frees. */
static char *message_id(const struct config *cfg, const char *instance, int64_t edition,
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
	return xasprintf("nkdigest.%s.%lld.%s@%s", instance, (long long)edition, hex,
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
	char *subject;    /* of the mailto: "unsubscribe <token>", or NULL */
};

static void slots_fill(const struct config *cfg, const struct recipient *r,
                       const struct personal_keys *k, struct slots *s)
{
	/* One token for the link, the preferences link and the mailto, which
	 * carries it too so that `nkdigest bounces` can act on the request;
	 * without a key the mailto is a plain "unsubscribe". */
	char *token = k && k->has_unsub ? unsubscribe_token(&k->unsub, r->email) : NULL;
	s->unsub = cfg->unsub_url ? unsubscribe_url(cfg->unsub_url, token, r->email) : NULL;
	/* The same {{token}} and {{email}} as the unsubscribe link. */
	s->prefs = cfg->preferences_url ? unsubscribe_url(cfg->preferences_url, token, r->email)
	                                : NULL;
	s->subject = cfg->unsub_mailto && token ? xasprintf("unsubscribe %s", token) : NULL;
	/* Templates that print the link get the mailto when there is no URL
	 * (a token needs no escaping: base64url and a dot). */
	s->mailto = NULL;
	if (!s->unsub && cfg->unsub_mailto)
		s->mailto = token ? xasprintf("mailto:%s?subject=unsubscribe%%20%s",
		                              cfg->unsub_mailto, token)
		                  : xasprintf("mailto:%s?subject=unsubscribe", cfg->unsub_mailto);
	free(token);
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
	free(s->subject);
}

void personalise_part(const struct config *cfg, const struct variant *v,
                      enum personal_part part, const struct recipient *r,
                      const struct personal_keys *k, struct buf *out)
{
	struct slots s;
	slots_fill(cfg, r, k, &s);
	const struct skel *sk = part == PART_SUBJECT ? v->subject
	                      : part == PART_TEXT ? v->text : v->html;
	skel_fill(sk, s.v, out);
	slots_free(&s);
}

struct personal_letter {
	const struct config *cfg;
	const struct variant *v;
	const struct personal_keys *k;
	struct mime_letter *mime;
	struct skel_run *text_runs, *html_runs;
	size_t ntext, nhtml;           /* runs */
	size_t text_dyn, html_dyn;     /* of which dynamic */
};

/* The runs of sk as the MIME layer takes them; *runs for the caller to
 * free, *ndyn how many are dynamic. */
static struct mime_run *mime_runs(const struct skel *sk, struct skel_run **runs,
                                  size_t *n, size_t *ndyn)
{
	*n = skel_runs(sk, runs);
	*ndyn = 0;
	struct mime_run *m = xcalloc(*n ? *n : 1, sizeof *m);
	const char *text = skel_text(sk);
	for (size_t i = 0; i < *n; i++) {
		m[i] = (struct mime_run){ text + (*runs)[i].off, (*runs)[i].len,
		                          (*runs)[i].dynamic };
		*ndyn += (*runs)[i].dynamic;
	}
	return m;
}

int personal_letter_new(const struct config *cfg, const struct variant *v,
                        const struct personal_keys *k, struct personal_letter **out,
                        struct nk_err *e)
{
	struct personal_letter *pl = xcalloc(1, sizeof *pl);
	pl->cfg = cfg;
	pl->v = v;
	pl->k = k;
	struct mime_run *tr = mime_runs(v->text, &pl->text_runs, &pl->ntext, &pl->text_dyn);
	struct mime_run *hr = mime_runs(v->html, &pl->html_runs, &pl->nhtml, &pl->html_dyn);
	struct mime_body text = { tr, pl->ntext }, html = { hr, pl->nhtml };
	/* A subject without per-recipient values is the letter's; else each
	 * copy fills its own. A subject is one line whatever the template did. */
	char *subject = NULL;
	if (!skel_has_slots(v->subject)) {
		struct buf b = {0};
		skel_fill(v->subject, NULL, &b);
		subject = text_oneline(buf_str(&b));
		buf_free(&b);
	}
	const char *from = cfg->from_addr ? cfg->from_addr : "digest@localhost";
	/* RFC 2919: "<local-part>.<domain>" of the sender names the list. */
	char *list_id = xasprintf("%.*s.%s", (int)strcspn(from, "@"), from,
	                          address_domain(from));
	struct mime_msg m = {
		.from_name = cfg->from_name,
		.from_addr = from,
		.subject = subject,
		.list_id = list_id,
		.list_id_name = cfg->title,
		.unsubscribe_mailto = cfg->unsub_mailto,
	};
	int rc = mime_letter_new(&m, &text, &html, &pl->mime, e);
	free(subject);
	free(list_id);
	free(tr);
	free(hr);
	if (rc) {
		personal_letter_free(pl);
		return rc;
	}
	*out = pl;
	return 0;
}

void personal_letter_free(struct personal_letter *pl)
{
	if (!pl)
		return;
	mime_letter_free(pl->mime);
	free(pl->text_runs);
	free(pl->html_runs);
	free(pl);
}

/* The dynamic runs of sk filled for one copy, into a fresh array. */
static struct buf *fill_runs(const struct skel *sk, const struct skel_run *runs, size_t n,
                             size_t ndyn, const char *const *values)
{
	struct buf *d = xcalloc(ndyn ? ndyn : 1, sizeof *d);
	for (size_t i = 0, j = 0; i < n; i++)
		if (runs[i].dynamic)
			skel_fill_run(sk, &runs[i], values, &d[j++]);
	return d;
}

static void free_runs(struct buf *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_free(&d[i]);
	free(d);
}

int personal_letter_write(const struct personal_letter *pl, int64_t edition, time_t now,
                          const struct recipient *r, struct buf *out, struct nk_err *e)
{
	const struct config *cfg = pl->cfg;
	const struct variant *v = pl->v;
	struct slots s;
	slots_fill(cfg, r, pl->k, &s);
	char *subject = NULL;
	if (skel_has_slots(v->subject)) {
		struct buf b = {0};
		skel_fill(v->subject, s.v, &b);
		subject = text_oneline(buf_str(&b));
		buf_free(&b);
	}
	struct buf *text = fill_runs(v->text, pl->text_runs, pl->ntext, pl->text_dyn, s.v);
	struct buf *html = fill_runs(v->html, pl->html_runs, pl->nhtml, pl->html_dyn, s.v);
	char *msgid = message_id(cfg, pl->k->instance, edition, r->email);
	struct mime_copy c = {
		.to_name = r->name,
		.to_addr = r->email,
		.subject = subject,
		.message_id = msgid,
		.date = now,
		.unsubscribe_url = s.unsub,
		.unsubscribe_subject = s.subject,
		.text = text,
		.ntext = pl->text_dyn,
		.html = html,
		.nhtml = pl->html_dyn,
	};
	/* Signed apart from out, which may already hold other bytes; the
	 * signature goes in front of the message it signs. */
	struct buf msg = {0};
	int rc = mime_letter_write(pl->mime, &c, pl->k->dkim ? &msg : out, e);
	if (!rc && pl->k->dkim) {
		rc = dkim_sign_message(pl->k->dkim, msg.s, msg.len, out, e);
		if (!rc)
			buf_add(out, msg.s, msg.len);
	}
	buf_free(&msg);
	free_runs(text, pl->text_dyn);
	free_runs(html, pl->html_dyn);
	free(msgid);
	free(subject);
	slots_free(&s);
	return rc;
}

int personalise_message(const struct config *cfg, const struct variant *v,
                        int64_t edition, time_t now, const struct recipient *r,
                        const struct personal_keys *k, struct buf *out, struct nk_err *e)
{
	struct personal_letter *pl;
	int rc = personal_letter_new(cfg, v, k, &pl, e);
	if (!rc) {
		rc = personal_letter_write(pl, edition, now, r, out, e);
		personal_letter_free(pl);
	}
	return rc;
}

int personalise_check(const struct config *cfg, const struct variant *v, size_t n,
                      int64_t edition, const struct personal_keys *k, struct nk_err *e)
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
		if (personalise_message(cfg, &v[i], edition, time(NULL), &r, k, &msg, &me))
			rc = nk_fail(e, EX_CONFIG, "%s: the %s digest cannot be mailed to anyone: "
			             "%s (check [smtp] from and the [unsubscribe] url)", cfg->path,
			             cfg->tiers.v[i].name, me.msg);
		buf_free(&msg);
	}
	return rc;
}
