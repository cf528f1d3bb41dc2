/* cmd_unsubscribe.c — the operator's hand on the suppression list:
 * `nkdigest unsubscribe`, `resubscribe` and `suppressions list|export|import`.
 * Each change is one short transaction on the state file without the send
 * lock (STATE_SHARED), so it works while a send runs and stops mail to an
 * address the send has not reached yet. */
#include "cli.h"
#include "datetime.h"
#include "log.h"
#include "state.h"
#include "suppressions.h"
#include "unsubscribe.h"
#include "xalloc.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char unsubscribe_usage[] =
	"usage: nkdigest unsubscribe [--token TOKEN]... [--file FILE] [ADDRESS...]\n"
	"\n"
	"Puts addresses on the suppression list (reason \"unsubscribe\"): no send\n"
	"mails them again. Works while a send runs: an address it has not yet\n"
	"handed to the server is not mailed. The subscriber list is not changed.\n"
	"\n"
	"  --token TOKEN  the address an unsubscribe link's token names (needs the\n"
	"                 [unsubscribe] secret); may be given more than once\n"
	"  --file FILE    addresses one a line (- for standard input); blank lines\n"
	"                 and lines starting with # are skipped\n"
	"\n"
	"Exit status: 0 done, 65 some input was bad (reported with its line; the\n"
	"rest were added), 64 usage, 78 configuration error.\n";

static const char resubscribe_usage[] =
	"usage: nkdigest resubscribe [--force] ADDRESS...\n"
	"\n"
	"Takes addresses off the suppression list that an unsubscribe put there\n"
	"(a link, one-click, the mailto address or `nkdigest unsubscribe`), so\n"
	"the next send mails them again. Do it only when the reader asked.\n"
	"\n"
	"An address suppressed for a complaint (the reader reported a digest as\n"
	"spam) or for hard bounces (the address did not exist) stays on the list\n"
	"unless --force is given: lift those only on the reader's own request or\n"
	"once the address works again. Its bounce count then starts from zero.\n"
	"\n"
	"  --force   also lift complaint and hard-bounce suppressions\n"
	"\n"
	"Exit status: 0 done, 65 an address was refused or is not valid, 64 usage,\n"
	"78 configuration error.\n";

static const char suppressions_usage[] =
	"usage: nkdigest suppressions list | export | import FILE\n"
	"\n"
	"The suppression list: addresses no send mails, each with a reason\n"
	"(unsubscribe, complaint, hard bounces) and the time it was added.\n"
	"\n"
	"  list          print it, oldest first\n"
	"  export        write it as CSV (email,reason,time; times in UTC, RFC 3339)\n"
	"                to standard output\n"
	"  import FILE   add the addresses of a CSV file like export's (- for\n"
	"                standard input; reason and time may be left out:\n"
	"                unsubscribe, now). An address already on the list keeps\n"
	"                its reason and time. A bad row is reported with its line\n"
	"                and left out; the good ones go in as one change.\n"
	"\n"
	"Exit status: 0 done, 65 some rows were bad, 66 FILE missing, 64 usage,\n"
	"78 configuration error.\n";

static void say_when(time_t t, char *out, size_t n)
{
	dt_format(t, "%Y-%m-%d %H:%M %Z", out, n);
}

/* Adds every entry of l in one transaction; prints what happened to each. */
static int add_all(struct state *st, const struct suppression_list *l, struct nk_err *e)
{
	bool *had = xcalloc(l->n, sizeof *had);
	int rc = 0;
	for (size_t i = 0; !rc && i < l->n; i++) {
		struct suppression s;
		rc = state_suppression(st, l->v[i].email, &s, &had[i], e);
		if (!rc && had[i]) {
			char when[64];
			say_when(s.created, when, sizeof when);
			printf("already     %s  (%s since %s)\n", l->v[i].email, s.reason, when);
		}
		state_suppression_clear(&s);
	}
	size_t added = 0;
	if (!rc)
		rc = state_suppress_all(st, l->v, l->n, &added, e);
	for (size_t i = 0; !rc && i < l->n; i++)
		if (!had[i])
			printf("suppressed  %s  (%s)\n", l->v[i].email, l->v[i].reason);
	if (!rc)
		log_info("%zu address(es) added to the suppression list, %zu already on it",
		         added, l->n - added);
	free(had);
	return rc;
}

static int open_key(const struct config *cfg, struct unsub_key *k, struct nk_err *e)
{
	char *secret = NULL;
	int rc = config_read_secret(cfg->unsub_secret_file, "NKDIGEST_UNSUBSCRIBE_SECRET",
	                            true, "unsubscribe secret ([unsubscribe] secret_file)",
	                            &secret, e);
	if (!rc)
		unsub_key_derive(secret, k);
	config_free_secret(secret);
	return rc;
}

int cmd_unsubscribe(int argc, char **argv, struct cli *g)
{
	static const struct option opts[] = {
		{ "token", required_argument, NULL, 't' },
		{ "file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char **tokens = xcalloc((size_t)argc, sizeof *tokens);
	size_t ntokens = 0;
	const char *file = NULL;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 't': tokens[ntokens++] = optarg; break;
		case 'f':
			if (file) {
				free(tokens);
				return cli_usage_error("unsubscribe", unsubscribe_usage,
				                       "--file may be given once");
			}
			file = optarg;
			break;
		case 'h': free(tokens); fputs(unsubscribe_usage, stdout); return 0;
		default: free(tokens); return cli_bad_option("unsubscribe", unsubscribe_usage, c, argv);
		}
	}
	if (optind >= argc && !ntokens && !file) {
		free(tokens);
		return cli_usage_error("unsubscribe", unsubscribe_usage,
		                       "no address, --token or --file given");
	}

	struct nk_err e = {0};
	struct config cfg;
	struct state *st = NULL;
	struct suppression_list l = {0};
	time_t now = time(NULL);
	int rc = cli_load_config(g, &cfg, &e);
	if (rc) {
		free(tokens);
		return cli_fail(&e);
	}
	if (file)
		rc = suppressions_load_addresses(file, SUPPRESS_UNSUBSCRIBE, now, &l, &e);
	for (int i = optind; !rc && i < argc; i++)
		suppressions_add_address(&l, "argument", argv[i], SUPPRESS_UNSUBSCRIBE, now);
	struct unsub_key key;
	if (!rc && ntokens)
		rc = open_key(&cfg, &key, &e);
	for (size_t i = 0; !rc && i < ntokens; i++) {
		char *email = NULL;
		struct nk_err te = {0};
		if (unsubscribe_token_open(&key, tokens[i], &email, &te)) {
			log_warn("--token %.24s...: %s; skipped", tokens[i], te.msg);
			l.skipped++;
		} else {
			suppressions_add_address(&l, "--token", email, SUPPRESS_UNSUBSCRIBE, now);
		}
		free(email);
	}
	if (!rc && ntokens)
		unsub_key_wipe(&key);
	if (!rc && l.n)
		rc = cli_open_list(&cfg, &st, &e);
	if (!rc && l.n)
		rc = add_all(st, &l, &e);
	if (!rc && l.skipped)
		rc = nk_fail(&e, EX_DATAERR, "unsubscribe: %zu address(es) skipped (see above)",
		             l.skipped);
	state_close(st);
	suppression_list_free(&l);
	config_free(&cfg);
	free(tokens);
	return rc ? cli_fail(&e) : 0;
}

int cmd_resubscribe(int argc, char **argv, struct cli *g)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool force = false;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': force = true; break;
		case 'h': fputs(resubscribe_usage, stdout); return 0;
		default: return cli_bad_option("resubscribe", resubscribe_usage, c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("resubscribe", resubscribe_usage, "no address given");

	struct nk_err e = {0};
	struct config cfg;
	struct state *st = NULL;
	struct suppression_list l = {0};
	time_t now = time(NULL);
	size_t refused = 0;
	int rc = cli_load_config(g, &cfg, &e);
	if (rc)
		return cli_fail(&e);
	for (int i = optind; i < argc; i++)
		suppressions_add_address(&l, "argument", argv[i], SUPPRESS_UNSUBSCRIBE, now);
	if (l.n)
		rc = cli_open_list(&cfg, &st, &e);
	for (size_t i = 0; !rc && i < l.n; i++) {
		const char *email = l.v[i].email;
		struct suppression s;
		bool found, removed = false;
		if ((rc = state_suppression(st, email, &s, &found, &e)))
			break;
		char when[64] = "";
		if (found)
			say_when(s.created, when, sizeof when);
		if (!found) {
			printf("not listed  %s\n", email);
		} else if (strcmp(s.reason, SUPPRESS_UNSUBSCRIBE) && !force) {
			log_warn("%s: suppressed for %s since %s; not lifted (add --force if "
			         "the reader asked for it)", email, s.reason, when);
			refused++;
		} else if (!(rc = state_unsuppress(st, email, now, &removed, &e)) && removed) {
			printf("resubscribed  %s  (was %s since %s)\n", email, s.reason, when);
		}
		state_suppression_clear(&s);
	}
	if (!rc && (refused || l.skipped))
		rc = nk_fail(&e, EX_DATAERR, "resubscribe: %zu address(es) refused, %zu not "
		             "valid", refused, l.skipped);
	state_close(st);
	suppression_list_free(&l);
	config_free(&cfg);
	return rc ? cli_fail(&e) : 0;
}

static int list(struct state *st, bool csv, const char *path, struct nk_err *e)
{
	struct suppression *v;
	size_t n;
	int rc = state_suppressions(st, &v, &n, e);
	if (rc)
		return rc;
	if (csv) {
		struct buf b = {0};
		suppressions_write(&b, v, n);
		fwrite(buf_str(&b), 1, b.len, stdout);
		buf_free(&b);
	} else if (n == 0) {
		printf("the suppression list is empty (%s)\n", path);
	} else {
		printf("%-40s %-13s %s\n", "email", "reason", "since");
		for (size_t i = 0; i < n; i++) {
			char when[64];
			say_when(v[i].created, when, sizeof when);
			printf("%-40s %-13s %s\n", v[i].email, v[i].reason, when);
		}
	}
	state_suppressions_free(v, n);
	if (fflush(stdout) != 0)
		rc = nk_fail(e, EX_IOERR, "cannot write to standard output");
	return rc;
}

int cmd_suppressions(int argc, char **argv, struct cli *g)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': fputs(suppressions_usage, stdout); return 0;
		default: return cli_bad_option("suppressions", suppressions_usage, c, argv);
		}
	}
	const char *what = optind < argc ? argv[optind] : NULL;
	int want = what && !strcmp(what, "import") ? 2 : 1;
	if (!what)
		return cli_usage_error("suppressions", suppressions_usage, "no action given");
	if (strcmp(what, "list") && strcmp(what, "export") && strcmp(what, "import"))
		return cli_usage_error("suppressions", suppressions_usage,
		                       "unknown action '%s'", what);
	if (argc - optind != want && want == 2)
		return cli_usage_error("suppressions", suppressions_usage, "import needs one FILE");
	if (argc - optind != want)
		return cli_usage_error("suppressions", suppressions_usage,
		                       "%s takes no argument", what);

	struct nk_err e = {0};
	struct config cfg;
	struct state *st = NULL;
	struct suppression_list l = {0};
	int rc = cli_load_config(g, &cfg, &e);
	if (rc)
		return cli_fail(&e);
	if (want == 1) {
		rc = state_open(cfg.state, STATE_READ, &st, &e);
		if (!rc)
			rc = list(st, !strcmp(what, "export"), cfg.state, &e);
	} else {
		rc = suppressions_load(argv[optind + 1], time(NULL), &l, &e);
		if (!rc && l.n)
			rc = cli_open_list(&cfg, &st, &e);
		if (!rc && l.n)
			rc = add_all(st, &l, &e);
		if (!rc && l.skipped)
			rc = nk_fail(&e, EX_DATAERR, "%s: %zu row(s) skipped (see above)",
			             argv[optind + 1], l.skipped);
	}
	state_close(st);
	suppression_list_free(&l);
	config_free(&cfg);
	return rc ? cli_fail(&e) : 0;
}
