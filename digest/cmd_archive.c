/* cmd_archive.c — `nkdigest archive`: the web archive of the editions sent. */
#include "archive.h"
#include "cli.h"
#include "edition.h"
#include "log.h"
#include "render.h"
#include "state.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char usage[] =
	"usage: nkdigest archive [--out DIR] [--next [--source FILE]]\n"
	"\n"
	"Writes the web archive: a page per edition sent (edition-N.html, the\n"
	"[archive] tier, nothing personal in it), index.html and feed.json (a\n"
	"JSON Feed of the editions). The pages are self-contained: serve the\n"
	"directory as it is. `send` does this by itself when [archive] dir is\n"
	"set. Changes nothing in the state file.\n"
	"\n"
	"  --out DIR      write here (default: [archive] dir)\n"
	"  --next         add the next edition, not yet sent, as the newest: the\n"
	"                 archive as it will be after the next send\n"
	"  --source FILE  with --next: read this feed file (or - for stdin)\n"
	"                 instead of the configured sources\n";

int cmd_archive(int argc, char **argv, struct cli *g)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "next", no_argument, NULL, 'n' },
		{ "source", required_argument, NULL, 'S' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out_dir = NULL, *source = NULL;
	bool next = false;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out_dir = optarg; break;
		case 'n': next = true; break;
		case 'S': source = optarg; break;
		case 'c': g->config_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return cli_bad_option("archive", usage, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("archive", usage, "unexpected argument '%s'", argv[optind]);
	if (source && !next)
		return cli_usage_error("archive", usage, "--source only goes with --next");

	struct nk_err e = {0};
	struct config cfg;
	struct templates t = {0};
	struct state *st = NULL;
	struct edition ed = {0};
	struct archive_result res;
	int rc = cli_load_config(g, &cfg, &e);
	if (rc)
		return cli_fail(&e);
	const char *dir = out_dir ? out_dir : cfg.archive_dir;
	if (!dir) {
		config_free(&cfg);
		return cli_usage_error("archive", usage, "no --out DIR and no [archive] dir in the "
		                       "config");
	}
	if (!(rc = templates_load(cfg.templates, &t, &e)) &&
	    !(rc = state_open(cfg.state, STATE_READ, &st, &e)) &&
	    (!next || !(rc = edition_next(&cfg, st, source, time(NULL), &ed, &e))) &&
	    !(rc = archive_write(&cfg, st, &t, next ? &ed : NULL, dir, &res, &e)))
		log_info("archive %s: %zu %s, index.html and feed.json", dir, res.pages,
		         cli_plural((long)res.pages, "edition page", "edition pages"));
	edition_free(&ed);
	state_close(st);
	templates_free(&t);
	config_free(&cfg);
	return rc ? cli_fail(&e) : 0;
}
