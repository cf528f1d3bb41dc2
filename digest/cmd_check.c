/* cmd_check.c — `nkdigest check`: is everything in place for `send`? */
#include "archive.h"
#include "cli.h"
#include "collect.h"
#include "datetime.h"
#include "edition.h"
#include "personalise.h"
#include "render.h"
#include "smtp.h"
#include "state.h"
#include "subscribers.h"
#include "utf8.h"
#include "xalloc.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage: nkdigest check [--offline]\n"
	"\n"
	"Checks the config (listing every mistake in it), the settings send\n"
	"needs, the templates, the secrets, the subscriber list and the state\n"
	"file; then fetches every source and connects to the SMTP server\n"
	"(greeting, TLS, login) without sending. Changes nothing. Exits with the\n"
	"code of the first failure, 0 when send would find nothing wrong.\n"
	"Templates are checked strictly: a variable or section the data never\n"
	"has (a typo that would print nothing) fails, naming file and line.\n"
	"\n"
	"  --offline   skip the network checks (the rules send applies to the SMTP\n"
	"              settings are still checked)\n";

struct tally {
	int first;   /* exit code of the first failure */
};

static void line(struct tally *t, int rc, const char *what, const struct nk_err *e)
{
	if (rc) {
		/* The message can quote the input (a config value, a server's
		 * reply): no control characters on the terminal. */
		char *msg = text_for_terminal(e->msg, sizeof e->msg);
		printf("FAIL  %s%s%s\n", what ? what : "", what ? ": " : "", msg);
		free(msg);
		if (!t->first)
			t->first = rc;
	} else {
		printf("ok    %s\n", what ? what : "");
	}
}

/* Strict mode: each name no data ever has is a line of its own. */
static void report_name(void *ud, const char *file, int line, const char *what,
                        const char *name)
{
	struct tally *t = ud;
	printf("FAIL  template %s:%d: %s '%s'\n", file, line, what, name);
	if (!t->first)
		t->first = EX_CONFIG;
}

static void check_templates(const struct config *cfg, struct tally *t)
{
	struct templates tp;
	struct nk_err e = {0};
	int rc = templates_load(cfg->templates, &tp, &e);
	/* A trial render of an empty edition catches what compiling cannot (a
	 * section over a per-recipient value). */
	struct edition empty = { .id = 1 };
	if (!rc)
		rc = edition_render(&empty, cfg, &tp, &e);
	int unknown = 0;
	if (!rc) {
		cJSON *schema = archive_schema();
		unknown = templates_lint(&tp, report_name, t) +
		          tmpl_lint(tp.index, schema, NULL, report_name, t);
		cJSON_Delete(schema);
	}
	templates_free(&tp);
	if (!unknown)   /* else each said already which */
		line(t, rc, cfg->templates ? cfg->templates : "templates (built-in)", &e);
	/* Then a message of every tier, as send builds them before the first
	 * one goes out; the secret's value does not change what can fail. */
	if (!rc && !unknown) {
		struct personal_keys k;
		rc = personal_keys_open(cfg, NULL, "any secret", false, &k, &e);
		if (!rc)
			rc = personalise_check(cfg, empty.variants, empty.nvariants, empty.id, &k,
			                       &e);
		personal_keys_close(&k);
		line(t, rc, "messages (every tier, the longest address and name)", &e);
	}
	edition_free(&empty);
}

static void check_secrets(const struct config *cfg, struct tally *t)
{
	struct nk_err e = {0};
	char *s = NULL;
	struct cli_smtp smtp;
	bool token = cfg->unsub_url && strstr(cfg->unsub_url, "{{token}}");
	int rc = cli_smtp_open(cfg, &smtp, &e);
	cli_smtp_done(&smtp);
	if (!rc)
		rc = config_read_secret(cfg->unsub_secret_file, "NKDIGEST_UNSUBSCRIBE_SECRET",
		                        token, "unsubscribe secret", &s, &e);
	/* The DKIM key, loaded and tried as send would. */
	struct personal_keys k = {0};
	if (!rc)
		rc = personal_keys_open(cfg, NULL, s, true, &k, &e);
	personal_keys_close(&k);
	config_free_secret(s);
	line(t, rc, "secrets", &e);
}

/* The rules send applies before it sends: what it needs configured, and
 * the SMTP settings as the transport checks them (tls = none only for a
 * server on this machine), without connecting. */
static void check_send_rules(const struct config *cfg, struct tally *t)
{
	struct nk_err e = {0};
	int rc = config_check_send(cfg, &e);
	line(t, rc, "settings send needs", &e);
	if (rc || !cfg->smtp_url)
		return;
	/* The secrets are checked on their own line below. */
	struct smtp_params p = {
		.url = cfg->smtp_url, .helo = "localhost", .tls = cfg->tls == SMTP_TLS_REQUIRED,
		.verify = cfg->tls_verify, .ca_file = cfg->smtp_ca_file,
		.timeout = cfg->smtp_timeout,
	};
	struct smtp_pool *pool = NULL;
	rc = smtp_pool_new(&p, 1, &pool, &e);
	smtp_pool_free(pool);
	char what[600];
	snprintf(what, sizeof what, "smtp settings %s", cfg->smtp_url);
	line(t, rc, what, &e);
}

/* send opens the state file for writing and creates its -wal, -shm and
 * .lock files beside it: the directory must be writable, by whoever runs
 * check (run it as the user send runs as). */
static void check_state_writable(const struct config *cfg, struct tally *t)
{
	struct nk_err e = {0};
	char *dir = xstrdup(cfg->state);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		strcpy(dir, ".");
	int rc = 0;
	if (access(dir, W_OK | X_OK) != 0)
		rc = nk_fail(&e, errno == ENOENT ? EX_CANTCREAT : EX_NOPERM,
		             "%s: directory %s: %s (send creates the state file, its -wal "
		             "and .lock files there)", cfg->state, dir, strerror(errno));
	else if (access(cfg->state, F_OK) == 0 && access(cfg->state, W_OK) != 0)
		rc = nk_fail(&e, EX_NOPERM, "%s: %s", cfg->state, strerror(errno));
	free(dir);
	char what[600];
	snprintf(what, sizeof what, "state file %s: writable", cfg->state);
	line(t, rc, rc ? "state file" : what, &e);
}

/* Reads the whole list as send would, row by row, reporting each bad row. */
static void check_subscribers(const struct config *cfg, struct tally *t)
{
	struct nk_err e = {0};
	if (!cfg->subscribers) {
		printf("--    subscribers: no [subscribers] file (needed by send)\n");
		return;
	}
	struct address_set *seen = NULL;
	struct subscriber_reader *rd = NULL;
	const struct subscriber *s;
	int rc = state_address_set_open(&seen, &e);
	if (!rc)
		rc = subscribers_open(cfg->subscribers, &cfg->tiers, seen, &rd, &e);
	while (!rc && !(rc = subscribers_next(rd, &s, &e)) && s)
		;
	char what[512];
	if (!rc) {
		snprintf(what, sizeof what, "subscribers %s: %zu valid, %zu skipped",
		         cfg->subscribers, subscribers_valid(rd), subscribers_skipped(rd));
		if (subscribers_valid(rd) == 0)
			rc = nk_fail(&e, EX_DATAERR, "no valid subscribers");
	} else {
		snprintf(what, sizeof what, "subscribers %s", cfg->subscribers);
	}
	subscribers_close(rd);
	state_address_set_close(seen);
	line(t, rc, what, &e);
}

static void check_sources(const struct config *cfg, struct state *st, struct tally *t)
{
	for (size_t i = 0; i < cfg->nsources; i++) {
		struct nk_err e = {0};
		struct article_list l = {0};
		struct source_report r;
		const struct source_conf *src = &cfg->sources[i];
		int rc = collect_source(src, st, time(NULL), &l, &r, &e);
		char what[700];
		snprintf(what, sizeof what, "source %s (%s): %zu usable %s%s%s", src->name,
		         src->url, l.n, cli_plural((long)l.n, "item", "items"),
		         r.unchanged ? ", unchanged since the last send (HTTP 304)" : "",
		         r.attempts > 1 ? ", after retrying" : "");
		line(t, rc, rc ? src->name : what, &e);
		free(r.error);
		article_list_free(&l);
	}
}

static void check_smtp(const struct config *cfg, struct tally *t)
{
	struct nk_err e = {0};
	struct cli_smtp smtp;
	if (!cfg->smtp_url) {
		printf("--    smtp: no [smtp] url (needed by send)\n");
		return;
	}
	int rc = cli_smtp_open(cfg, &smtp, &e);
	if (!rc)
		rc = smtp_probe(&smtp.p, &e);
	char what[600];
	snprintf(what, sizeof what, "smtp %s: connected%s%s", cfg->smtp_url,
	         !smtp.p.tls ? ", without TLS" : smtp.p.verify ? ", TLS verified"
	                                          : ", TLS NOT verified",
	         cfg->smtp_user ? ", logged in" : "");
	cli_smtp_done(&smtp);
	line(t, rc, rc ? "smtp" : what, &e);
}

int cmd_check(int argc, char **argv, struct cli *g)
{
	static const struct option opts[] = {
		{ "offline", no_argument, NULL, 'o' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool offline = false;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': offline = true; break;
		case 'c': g->config_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return cli_bad_option("check", usage, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("check", usage, "unexpected argument '%s'", argv[optind]);

	struct nk_err e = {0};
	struct config cfg;
	struct config_errors errs;
	struct tally t = {0};
	char *path = config_find(g->config_path, &e);
	if (!path)
		return cli_fail(&e);
	int rc = config_load_all(path, &cfg, &errs);
	for (size_t i = 0; i < errs.n; i++)
		line(&t, errs.v[i].code, NULL, &errs.v[i]);   /* names file:line */
	config_errors_free(&errs);
	free(path);
	if (rc)
		return t.first;
	dt_set_zone(cfg.timezone);
	printf("ok    config %s\n", cfg.path);
	check_send_rules(&cfg, &t);
	check_templates(&cfg, &t);
	check_secrets(&cfg, &t);
	check_subscribers(&cfg, &t);
	struct state *st = NULL;
	rc = state_open(cfg.state, STATE_READ, &st, &e);
	line(&t, rc, "state file readable", &e);
	check_state_writable(&cfg, &t);
	if (!offline) {
		check_sources(&cfg, st, &t);
		check_smtp(&cfg, &t);
	}
	state_close(st);
	config_free(&cfg);
	return t.first;
}
