/* config.h — nkdigest's configuration: where it is found, what it holds.
 *
 * The file is INI (see ini.h and the README's configuration section). Every
 * value is checked while loading, so a typo is reported with file and line
 * before anything is fetched or sent. Relative paths in the file resolve
 * against the file's own directory. */
#ifndef NK_CONFIG_H
#define NK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "tier.h"

enum feed_format { FEED_AUTO, FEED_JSONFEED, FEED_WORDPRESS };
enum teasers { TEASERS_SHOW, TEASERS_HIDE };
enum smtp_tls { SMTP_TLS_REQUIRED, SMTP_TLS_NONE };
enum smtp_auth { SMTP_AUTH_PASSWORD, SMTP_AUTH_XOAUTH2 };

/* A rule that gives an item `tier` (`<tier>_when = …` in [source]):
 *   tag:NAME          a JSON Feed tag or any WordPress term (case ignored)
 *   url:TEXT          the link contains TEXT
 *   category:NAME     a WordPress category (_embedded wp:term with taxonomy
 *                     "category") or a JSON Feed tag (case ignored)
 *   category_id:N     WordPress "categories" holds N (no ?_embed needed)
 *   field:/PTR=VALUE  the item's value at JSON pointer PTR (RFC 6901) is
 *                     VALUE (a string, number, true/false/null; in an
 *                     array, any element) */
enum rule_kind { RULE_TAG, RULE_URL, RULE_CATEGORY, RULE_CATEGORY_ID, RULE_FIELD };
struct tier_rule {
	char *tier;
	enum rule_kind kind;
	char *value;             /* NAME, TEXT, N, or the pointer of field: */
	char *match;             /* field: only: the VALUE to compare with */
	long id;                 /* category_id: only: N */
	int line;                /* in the config file, for messages */
};

struct source_conf {
	char *name;              /* the quoted part of [source "name"] */
	char *url;               /* http(s)://, file://, a path (resolved), or "-" */
	enum feed_format format;
	char *tier;              /* default tier of the source's items */
	struct tier_rule *rules; /* checked in order; first match wins */
	size_t nrules;
	char *ca_file;           /* extra CA bundle for https; may be NULL */
	bool tls_verify;
	long timeout;            /* seconds for one attempt at fetching */
	size_t max_bytes;        /* larger feeds (decoded) are refused */
	int retries;             /* extra attempts after a temporary failure */
	long retry_wait;         /* seconds before the first retry; doubles */
	long retry_for;          /* no retry starts later than this after the first */
	bool required;           /* its failure stops the run instead of skipping it */
};

struct config {
	char *path;              /* the file read */
	char *dir;               /* its directory */

	/* [digest] */
	char *title;
	char *timezone;          /* IANA name, checked to exist */
	long max_age;            /* seconds; 0 = no limit */
	int max_articles;
	struct tier_list tiers;  /* render order, lowest (free) first */
	enum teasers teasers;    /* pro_teasers */
	char *templates;         /* directory overriding built-in templates, or NULL */
	char *state;             /* SQLite file */
	int text_width;          /* plain-text wrap column */
	char *default_name;      /* greeting name for subscribers without one ("") */
	char *lang;              /* BCP 47 tag of the digest's language: "en", "ko" */
	int subject_max;         /* subject length in characters, "…" included */
	char *preheader;         /* the inbox preview line; NULL: the next headlines */
	char *lead_tag;          /* a feed tag that marks the lead story; may be NULL */
	char *site_url;          /* the site's home page; may be NULL */
	size_t html_budget;      /* bytes of HTML part at most; 0 = no limit */
	char *greeting;          /* "Hello {{name}},"; NULL: the language's */
	char *greeting_anonymous;/* for subscribers without a name: "Hello," */

	struct source_conf *sources;
	size_t nsources;

	/* [smtp] */
	char *smtp_url;
	enum smtp_tls tls;
	bool tls_verify;
	char *smtp_ca_file;
	char *smtp_user;
	enum smtp_auth auth;     /* how smtp_user logs in */
	char *password_file;
	char *oauth2_token_file; /* auth = xoauth2: a bearer token */
	char *from_name;         /* parsed from [smtp] from = "Name <addr>" */
	char *from_addr;
	char *envelope_from;     /* MAIL FROM; defaults to from_addr */
	char *helo;              /* EHLO name; NULL = this host's name */
	int connections;
	double rate;             /* messages per second; 0 = no limit */
	long smtp_timeout;       /* seconds per message */
	int retries;             /* extra rounds for deferred mail in one run */
	long retry_wait;         /* seconds before the first extra round; doubles */
	long retry_for;          /* deferred mail older than this becomes failed */
	int bounce_limit;        /* hard bounces before an address is suppressed */

	/* [subscribers] */
	char *subscribers;

	/* [unsubscribe] */
	char *unsub_url;         /* may contain {{token}} and {{email}} */
	char *unsub_mailto;
	char *unsub_secret_file;

	/* [footer]: what the law and the reader expect under every digest */
	char *organisation;      /* who sends it */
	char *postal_address;    /* CAN-SPAM: a valid physical postal address */
	char *reason;            /* why the reader gets it; NULL: the template's */
	char *preferences_url;   /* may contain {{token}} and {{email}} */

	/* [archive]: the web pages of past editions */
	char *archive_dir;       /* written after every send when set */
	char *archive_url;       /* where archive_dir is served, ending in '/' */
	char *archive_tier;      /* the tier the pages show (default: the highest) */
	char *archive_title;     /* the index page's title; NULL: "<title>: archive" */
	/* [dkim]: all three set, or none (no signing) */
	char *dkim_selector;
	char *dkim_domain;       /* defaults to the From address's domain */
	char *dkim_key_file;     /* PEM private key, RSA or Ed25519, mode 0600 */
};

/* Picks the config file: explicit (from -c) if not NULL, else
 * $NKDIGEST_CONFIG, $XDG_CONFIG_HOME/nkdigest/nkdigest.conf (or
 * ~/.config/…), /etc/nkdigest/nkdigest.conf. Returns a path the caller
 * frees, or NULL with EX_CONFIG in e listing what was tried. */
char *config_find(const char *explicit_path, struct nk_err *e);

/* Reads and checks path into cfg. Returns 0 or EX_CONFIG with
 * "path:line: what" in e: the first error, saying how many more there
 * are. On error cfg is left empty. */
int config_load(const char *path, struct config *cfg, struct nk_err *e);

/* Every error config_load_all found, in the order of the file. */
struct config_errors {
	struct nk_err *v;
	size_t n;
};

/* Like config_load, but goes on after an error and keeps each one (an
 * unknown key names the known one it is probably a typo of). Returns 0
 * with errs empty, or the first error's code (EX_CONFIG) with every error
 * in errs and cfg left empty. Release errs with config_errors_free(), also
 * after success. */
int config_load_all(const char *path, struct config *cfg, struct config_errors *errs);
void config_errors_free(struct config_errors *errs);

/* The keys section accepts (NULL-ended; [source] also takes "<tier>_when"),
 * or with section NULL the section names; NULL for an unknown section.
 * Static storage. */
const char *const *config_known_keys(const char *section);

/* What `send` needs beyond `render`: an SMTP server, a sender, a
 * subscriber list and a way to unsubscribe. EX_CONFIG naming the missing
 * key. */
int config_check_send(const struct config *cfg, struct nk_err *e);

/* Reads a secret from a file that must not be readable by group or others
 * (like ssh's keys) or, when path is NULL, from the environment variable
 * env. Trailing newlines are dropped. Returns 0 and a string the caller
 * wipes (explicit_bzero) and frees; EX_CONFIG when the file is missing, too
 * open or empty; EX_CONFIG when neither is set and required. *out is NULL
 * when nothing is configured and !required. Release with
 * config_free_secret(). */
int config_read_secret(const char *path, const char *env, bool required,
                       const char *what, char **out, struct nk_err *e);
/* Wipes and frees what config_read_secret gave (NULL is fine). */
void config_free_secret(char *secret);

/* "90s", "30m", "48h", "2d" or "0" (a bare number is seconds) into
 * seconds: 0, or -1 when s is none of these. */
int config_parse_duration(const char *s, long *out);

void config_free(struct config *cfg);

#endif
