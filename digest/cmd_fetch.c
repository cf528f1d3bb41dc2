/* cmd_fetch.c — `nkdigest fetch`: what the next edition would carry. */
#include "cli.h"
#include "datetime.h"
#include "edition.h"
#include "state.h"

#include <getopt.h>
#include <stdio.h>
#include <time.h>

static const char usage[] =
	"usage: nkdigest fetch [--source FILE]\n"
	"\n"
	"Fetches every source and lists the articles the next edition would\n"
	"carry, newest first, with their tier; says for each source how many\n"
	"usable items it had, whether it was unchanged since the copy the last\n"
	"send kept in the state file (HTTP 304), and whether it failed and was\n"
	"skipped. Changes nothing.\n"
	"\n"
	"  --source FILE   read this feed file (or - for stdin) instead\n";

int cmd_fetch(int argc, char **argv, struct cli *g)
{
	static const struct option opts[] = {
		{ "source", required_argument, NULL, 'S' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *source = NULL;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'S': source = optarg; break;
		case 'c': g->config_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return cli_bad_option("fetch", usage, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("fetch", usage, "unexpected argument '%s'", argv[optind]);

	struct nk_err e = {0};
	struct config cfg;
	struct state *st = NULL;
	struct edition ed = {0};
	int rc = cli_load_config(g, &cfg, &e);
	if (rc)
		return cli_fail(&e);
	rc = state_open(cfg.state, STATE_READ, &st, &e);
	if (!rc)
		rc = edition_next(&cfg, st, source, time(NULL), &ed, &e);
	for (size_t i = 0; !rc && i < ed.sources.n; i++) {
		const struct source_report *r = &ed.sources.v[i];
		if (r->rc)
			printf("source %s: skipped (%s)\n", r->name, r->error);
		else
			printf("source %s: %zu usable item%s%s%s\n", r->name, r->articles,
			       r->articles == 1 ? "" : "s",
			       r->unchanged ? ", unchanged since the last send (HTTP 304)" : "",
			       r->attempts > 1 ? ", after retrying" : "");
	}
	const struct article_list *chosen = &ed.articles;
	for (size_t i = 0; !rc && i < chosen->n; i++) {
		const struct article *a = &chosen->v[i];
		char when[64];
		dt_format(a->published, "%Y-%m-%d %H:%M %Z", when, sizeof when);
		printf("%s  %-6s  %s\n         %s\n", when, a->tier, a->title, a->url);
	}
	if (!rc)
		printf("%zu new article%s for the next edition\n", chosen->n,
		       chosen->n == 1 ? "" : "s");
	edition_free(&ed);
	state_close(st);
	config_free(&cfg);
	return rc ? cli_fail(&e) : 0;
}
