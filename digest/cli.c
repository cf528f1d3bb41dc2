/* cli.c — the wiring the commands share (see cli.h). */
#include "cli.h"
#include "collect.h"
#include "datetime.h"
#include "select.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int cli_fail(const struct nk_err *e)
{
	fprintf(stderr, "nkdigest: %s\n", e->msg);
	return e->code ? e->code : EX_SOFTWARE;
}

int cli_usage_error(const char *command, const char *usage, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "nkdigest: %s: ", command);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n\n%s", usage);
	return EX_USAGE;
}

int cli_bad_option(const char *command, const char *usage, int c, char **argv)
{
	const char *opt = argv[optind - 1];
	if (c == ':')
		return cli_usage_error(command, usage, "option '%s' needs a value", opt);
	return cli_usage_error(command, usage, "unknown option '%s'", opt);
}

int cli_load_config(const struct cli *g, struct config *cfg, struct nk_err *e)
{
	char *path = config_find(g->config_path, e);
	if (!path)
		return e->code;
	int rc = config_load(path, cfg, e);
	free(path);
	if (!rc)
		dt_set_zone(cfg->timezone);
	return rc;
}

int cli_next_edition(const struct config *cfg, struct state *st, const char *only_file,
                     time_t now, struct article_list *chosen, struct nk_err *e)
{
	struct article_list all = {0};
	int rc = collect_all(cfg, only_file, &all, e);
	if (!rc)
		select_new(&all, cfg, now, state_seen, st, chosen);
	article_list_free(&all);
	return rc;
}
