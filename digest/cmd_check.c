/* cmd_check.c — `nkdigest check`: is everything in place for `send`? */
#include "cli.h"
#include "collect.h"
#include "edition.h"
#include "render.h"
#include "smtp.h"
#include "state.h"
#include "subscribers.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
	"usage: nkdigest check [--offline]\n"
	"\n"
	"Checks the config, the templates, the secrets, the subscriber list and\n"
	"the state file; then fetches every source and connects to the SMTP\n"
	"server (greeting, TLS, login) without sending. Changes nothing.\n"
	"\n"
	"  --offline   skip the network checks\n";

struct tally {
	int first;   /* exit code of the first failure */
};

static void line(struct tally *t, int rc, const char *what, const struct nk_err *e)
{
	if (rc) {
		printf("FAIL  %s: %s\n", what, e->msg);
		if (!t->first)
			t->first = rc;
	} else {
		printf("ok    %s\n", what);
	}
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
	edition_free(&empty);
	templates_free(&tp);
	line(t, rc, cfg->templates ? cfg->templates : "templates (built-in)", &e);
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
	config_free_secret(s);
	line(t, rc, "secrets", &e);
}

static void check_subscribers(const struct config *cfg, struct tally *t)
{
	struct nk_err e = {0};
	struct subscriber_list l;
	if (!cfg->subscribers) {
		printf("--    subscribers: no [subscribers] file (needed by send)\n");
		return;
	}
	int rc = subscribers_load(cfg->subscribers, &cfg->tiers, &l, &e);
	char what[512];
	if (!rc) {
		snprintf(what, sizeof what, "subscribers %s: %zu valid, %zu skipped",
		         cfg->subscribers, l.n, l.skipped);
		if (l.n == 0)
			rc = nk_fail(&e, EX_DATAERR, "no valid subscribers");
		subscribers_free(&l);
	} else {
		snprintf(what, sizeof what, "subscribers %s", cfg->subscribers);
	}
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
		snprintf(what, sizeof what, "source %s (%s): %zu usable items%s%s", src->name,
		         src->url, l.n, r.unchanged ? ", unchanged since the last send "
		         "(HTTP 304)" : "", r.attempts > 1 ? ", after retrying" : "");
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
	struct tally t = {0};
	int rc = cli_load_config(g, &cfg, &e);
	if (rc)
		return cli_fail(&e);
	printf("ok    config %s\n", cfg.path);
	check_templates(&cfg, &t);
	check_secrets(&cfg, &t);
	check_subscribers(&cfg, &t);
	struct state *st = NULL;
	rc = state_open(cfg.state, STATE_READ, &st, &e);
	line(&t, rc, "state file", &e);
	if (!offline) {
		check_sources(&cfg, st, &t);
		check_smtp(&cfg, &t);
	}
	state_close(st);
	config_free(&cfg);
	return t.first;
}
