/* cmd_bounces.c — `nkdigest bounces`: bounces, complaints and mailto
 * unsubscribes read from a mailbox. */
#include "bounces.h"
#include "buf.h"
#include "cli.h"
#include "log.h"
#include "state.h"
#include "unsubscribe.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
	"usage: nkdigest bounces (--maildir DIR | --mbox FILE | -) [--dry-run]\n"
	"                        [--report FILE|-]\n"
	"\n"
	"Reads the mail that comes back and updates the suppression list:\n"
	"  hard bounce (the address is bad): counts toward [smtp] bounce_limit,\n"
	"      like a 5xx reply to RCPT; the address is suppressed at the limit\n"
	"  soft bounce (mailbox full, spam or policy rejection, expired...):\n"
	"      reported only; it never suppresses\n"
	"  complaint (a feedback-loop report, RFC 5965): suppressed at once\n"
	"  mail to [unsubscribe] mailto carrying a subscriber's token: suppressed\n"
	"  auto-replies and anything else: ignored\n"
	"When in doubt a bounce is soft. Reports about addresses nkdigest never\n"
	"mailed change nothing.\n"
	"\n"
	"  --maildir DIR   a Maildir: reads new/ and unread cur/ messages, and\n"
	"                  marks each one read (moves it to cur/ with the S flag),\n"
	"                  so the next run does not count it again\n"
	"  --mbox FILE     an mbox file (left as it is; a hard bounce read twice\n"
	"                  still counts once)\n"
	"  -               one message on standard input, for an MTA's pipe:\n"
	"                  bounces: \"|nkdigest bounces -\"\n"
	"  --dry-run       change nothing (state file and mailbox)\n"
	"  --report FILE   one tab-separated line per message (per recipient of a\n"
	"                  report naming several): message, recipient, status code,\n"
	"                  verdict (hard, soft, complaint, unsubscribe, ignored), note;\n"
	"                  - for standard output\n"
	"\n"
	"Exit status: 0 done, 64 usage, 66 mailbox missing, 75 state file busy\n"
	"(an MTA retries the message later), 78 configuration error.\n";

int cmd_bounces(int argc, char **argv, struct cli *g)
{
	static const struct option opts[] = {
		{ "maildir", required_argument, NULL, 'm' },
		{ "mbox", required_argument, NULL, 'b' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "report", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *maildir = NULL, *mbox = NULL, *report = NULL;
	bool dry = false;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': maildir = optarg; break;
		case 'b': mbox = optarg; break;
		case 'n': dry = true; break;
		case 'r': report = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return cli_bad_option("bounces", usage, c, argv);
		}
	}
	bool stdin_ = optind < argc && !strcmp(argv[optind], "-");
	if (optind + stdin_ < argc)
		return cli_usage_error("bounces", usage, "unexpected argument '%s'",
		                       argv[optind + stdin_]);
	if ((maildir != NULL) + (mbox != NULL) + stdin_ != 1)
		return cli_usage_error("bounces", usage, "give one of --maildir DIR, --mbox FILE "
		                       "and -");

	struct nk_err e = {0};
	struct config cfg;
	struct state *st = NULL;
	struct unsub_key key;
	bool have_key = false;
	char *secret = NULL;
	FILE *out = NULL;
	int rc = cli_load_config(g, &cfg, &e);
	if (rc)
		return cli_fail(&e);
	/* Without the secret, mailto requests cannot be checked; the rest
	 * still works. */
	if (!(rc = config_read_secret(cfg.unsub_secret_file, "NKDIGEST_UNSUBSCRIBE_SECRET",
	                              false, "unsubscribe secret ([unsubscribe] secret_file)",
	                              &secret, &e)) && secret) {
		unsub_key_derive(secret, &key);
		have_key = true;
	}
	config_free_secret(secret);
	if (!rc && report) {
		out = !strcmp(report, "-") ? stdout : fopen(report, "w");
		if (!out)
			rc = nk_fail(&e, EX_CANTCREAT, "%s: %s", report, strerror(errno));
		else
			bounces_report_header(out);
	}
	if (!rc)
		rc = dry ? state_open(cfg.state, STATE_READ, &st, &e) : cli_open_list(&cfg, &st, &e);
	struct bounce_run r = { .cfg = &cfg, .st = st, .key = have_key ? &key : NULL,
	                        .dry_run = dry, .report = out, .now = time(NULL) };
	if (!rc && maildir) {
		rc = bounces_maildir(&r, maildir, &e);
	} else if (!rc && mbox) {
		rc = bounces_mbox(&r, mbox, &e);
	} else if (!rc) {
		struct buf b = {0};
		if (buf_read_file(&b, "-", (size_t)16 << 20) != 0 && errno != EFBIG)
			rc = nk_fail(&e, EX_IOERR, "standard input: %s", strerror(errno));
		else
			rc = bounces_message(&r, "-", buf_str(&b), b.len, &e);
		buf_free(&b);
	}
	if (!rc || r.messages)
		log_info("%ld message(s): %ld hard, %ld soft, %ld complaint(s), %ld unsubscribe(s), "
		         "%ld ignored; %ld address(es) suppressed%s", r.messages, r.hard, r.soft,
		         r.complaints, r.unsubscribes, r.ignored, r.suppressed,
		         dry ? " (dry run: nothing changed)" : "");
	if (out && out != stdout && fclose(out) != 0 && !rc)
		rc = nk_fail(&e, EX_IOERR, "%s: %s", report, strerror(errno));
	if (out == stdout && fflush(stdout) != 0 && !rc)
		rc = nk_fail(&e, EX_IOERR, "cannot write to standard output");
	if (have_key)
		unsub_key_wipe(&key);
	state_close(st);
	config_free(&cfg);
	return rc ? cli_fail(&e) : 0;
}
