/* cmd_status.c — `nkdigest status`: the last editions and their deliveries. */
#include "cli.h"
#include "datetime.h"
#include "state.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char usage[] =
	"usage: nkdigest status [--last N]\n"
	"\n"
	"Lists the last editions (default 10), newest first, with how many\n"
	"deliveries are sent, deferred, failed, suppressed and still pending.\n"
	"Changes nothing.\n";

int cmd_status(int argc, char **argv, struct cli *g)
{
	static const struct option opts[] = {
		{ "last", required_argument, NULL, 'n' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long last = 10;
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
		case 'c': g->config_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return cli_bad_option("status", usage, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("status", usage, "unexpected argument '%s'", argv[optind]);

	struct nk_err e = {0};
	struct config cfg;
	struct state *st = NULL;
	struct edition_summary *v = NULL;
	size_t n = 0;
	int rc = cli_load_config(g, &cfg, &e);
	if (rc)
		return cli_fail(&e);
	rc = state_open(cfg.state, STATE_READ, &st, &e);
	if (!rc)
		rc = state_summaries(st, (size_t)last, &v, &n, &e);
	if (!rc && n == 0)
		printf("no editions yet (%s)\n", cfg.state);
	if (!rc && n > 0)
		printf("%-8s %-22s %-5s %8s %6s %8s %6s %10s %7s\n", "edition", "created",
		       "state", "articles", "sent", "deferred", "failed", "suppressed",
		       "pending");
	for (size_t i = 0; !rc && i < n; i++) {
		char when[64];
		dt_format(v[i].created, "%Y-%m-%d %H:%M %Z", when, sizeof when);
		printf("%-8lld %-22s %-5s %8d %6ld %8ld %6ld %10ld %7ld\n",
		       (long long)v[i].id, when, v[i].done ? "done" : "open", v[i].narticles,
		       v[i].count[DELIVERY_SENT], v[i].count[DELIVERY_DEFERRED],
		       v[i].count[DELIVERY_FAILED], v[i].count[DELIVERY_SUPPRESSED],
		       v[i].count[DELIVERY_PENDING]);
	}
	free(v);
	state_close(st);
	config_free(&cfg);
	return rc ? cli_fail(&e) : 0;
}
