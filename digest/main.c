/* main.c — nkdigest's entry point: global options, then one command. */
#include "cli.h"
#include "log.h"
#include "version.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

static const char usage[] =
	"usage: nkdigest [-c FILE] [-v | -q] [--log-format FORMAT] COMMAND [OPTIONS]\n"
	"       nkdigest --help | --version\n"
	"\n"
	"Turns a news site's feed into a daily email digest, one personalised\n"
	"copy per subscriber, grouped by date and subscription tier.\n"
	"\n"
	"Commands:\n"
	"  render        build the next edition and print it; changes nothing\n"
	"  send          deliver the next edition (after finishing an unfinished one)\n"
	"  fetch         fetch the sources and list what the next edition would carry\n"
	"  check         check the config, templates and subscriber list\n"
	"  status        show the last editions and their deliveries\n"
	"  archive       write the web archive: a page per edition, an index, a feed\n"
	"  unsubscribe   put addresses on the suppression list\n"
	"  resubscribe   take an unsubscribed address off it again\n"
	"  suppressions  list, export or import the suppression list (CSV)\n"
	"  serve         answer one-click unsubscribe links over HTTP\n"
	"  bounces       read bounces, complaints and mailto unsubscribes from a mailbox\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE  config file (default: $NKDIGEST_CONFIG,\n"
	"                     $XDG_CONFIG_HOME/nkdigest/nkdigest.conf,\n"
	"                     /etc/nkdigest/nkdigest.conf)\n"
	"  -v, --verbose      say more\n"
	"  -q, --quiet        only warnings and errors\n"
	"  --log-format F     how lines on stderr look: plain, timestamp (ISO 8601,\n"
	"                     UTC), systemd (<3> priority prefixes for journald) or\n"
	"                     auto (the default: systemd under journald, plain on a\n"
	"                     terminal, else timestamp)\n"
	"  -h, --help         this text ('nkdigest COMMAND --help' for a command)\n"
	"  -V, --version      print the version\n"
	"\n"
	"Exit status: 0 done (also \"nothing new\"), 64 usage, 65 bad data,\n"
	"66 missing input, 69 source or server unavailable, 70 internal error,\n"
	"73 state file cannot be created, 74 state file read or write error,\n"
	"75 deliveries deferred or another send running (run again later),\n"
	"78 configuration error.\n";

static const struct {
	const char *name;
	int (*run)(int, char **, struct cli *);
} commands[] = {
	{ "render", cmd_render },
	{ "send", cmd_send },
	{ "fetch", cmd_fetch },
	{ "check", cmd_check },
	{ "status", cmd_status },
	{ "archive", cmd_archive },
	{ "unsubscribe", cmd_unsubscribe },
	{ "resubscribe", cmd_resubscribe },
	{ "suppressions", cmd_suppressions },
	{ "serve", cmd_serve },
	{ "bounces", cmd_bounces },
};

/* Logs what is wrong, then the usage, and returns EX_USAGE. */
static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	log_error("%s", what);
	fprintf(stderr, "\n%s", usage);
	return EX_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "log-format", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli g = {0};
	int c;
	opterr = 0;
	/* '+': stop at the command name; its options are its own. */
	while ((c = getopt_long(argc, argv, "+:c:vqhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': g.config_path = optarg; break;
		case 'v': log_set_level(LOG_VERBOSE); break;
		case 'q': log_set_level(LOG_QUIET); break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': printf("nkdigest %s\n", NKDIGEST_VERSION); return 0;
		case 'L':
			if (log_set_format(optarg) != 0)
				return usage_error("--log-format '%s': expected auto, plain, "
				                   "timestamp or systemd", optarg);
			break;
		case ':':
			return usage_error("option %s needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("no command given");
	const char *name = argv[optind];
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(commands[i].name, name)) {
			/* The command sees argv from its own name on. */
			optind++;
			int cargc = argc - optind + 1;
			char **cargv = argv + optind - 1;
			optind = 0;   /* 0: glibc fully resets getopt for the command */
			return commands[i].run(cargc, cargv, &g);
		}
	return usage_error("unknown command '%s'", name);
}
