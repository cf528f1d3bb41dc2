/* cmd_send.c — `nkdigest send`: finish what is unfinished, then deliver the
 * next edition to every subscriber. */
#include "address.h"
#include "archive.h"
#include "buf.h"
#include "cli.h"
#include "deliver.h"
#include "edition.h"
#include "log.h"
#include "personalise.h"
#include "render.h"
#include "shard.h"
#include "smtp.h"
#include "state.h"
#include "subscribers.h"
#include "xalloc.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
	"usage: nkdigest send [--dry-run] [--to ADDR [--tier TIER]] [--limit N]\n"
	"                     [--shard K/N] [--min-interval DURATION]\n"
	"\n"
	"Delivers the next edition: first the rest of any unfinished edition,\n"
	"then the new articles to every subscriber. Every server reply is\n"
	"journalled in the state file, so an interrupted send resumes where it\n"
	"stopped and never mails anyone twice.\n"
	"\n"
	"  --dry-run     build every message and list the recipients; send and\n"
	"                record nothing\n"
	"  --to ADDR     send one test copy of the next edition to ADDR only;\n"
	"                record nothing\n"
	"  --tier TIER   the variant --to sends (default: the highest tier)\n"
	"  --limit N     hand over at most N messages in this run; the rest stay\n"
	"                pending for the next run (exit 75)\n"
	"  --shard K/N   deliver only to the subscribers in shard K of N (by a\n"
	"                hash of the address, see nkdigest(1)), with a state file\n"
	"                of its own (state.db becomes state.K-of-N.db)\n"
	"  --min-interval DURATION\n"
	"                start a new edition only when the last one is at least\n"
	"                this old (e.g. 20h); a run before that only finishes\n"
	"                unfinished editions, so a retry never mails twice a day\n"
	"\n"
	"With [archive] dir set, the web archive is brought up to date after\n"
	"the deliveries (see `nkdigest archive`).\n"
	"\n"
	"Exit status: 0 all delivered (or nothing new), 75 some deferred or left\n"
	"pending, 69 source or SMTP server unavailable or refusing the message,\n"
	"65 bad feed, list or state file, 70 a message could not be built,\n"
	"73/74 state file cannot be created/written, 78 configuration error.\n";

struct send_ctx {
	struct config cfg;
	struct shard shard;      /* n == 0: the whole list */
	struct templates t;
	struct state *st;
	struct personal_keys keys;   /* unsubscribe tokens, Message-IDs, DKIM */
	struct cli_smtp smtp;
};

static int prepare(struct send_ctx *x, struct cli *g, enum state_mode mode,
                   struct nk_err *e)
{
	int rc;
	if ((rc = cli_load_config(g, &x->cfg, e)))
		return rc;
	if (x->shard.n) {
		char *path = shard_state_path(x->cfg.state, &x->shard);
		free(x->cfg.state);
		x->cfg.state = path;
	}
	bool token = x->cfg.unsub_url && strstr(x->cfg.unsub_url, "{{token}}");
	char *secret = NULL;
	if ((rc = config_check_send(&x->cfg, e)) ||
	    (rc = templates_load(x->cfg.templates, &x->t, e)) ||
	    (rc = cli_smtp_open(&x->cfg, &x->smtp, e)) ||
	    (rc = config_read_secret(x->cfg.unsub_secret_file, "NKDIGEST_UNSUBSCRIBE_SECRET",
	                             token, "unsubscribe secret ([unsubscribe] secret_file)",
	                             &secret, e)) ||
	    (rc = state_open(x->cfg.state, mode, &x->st, e)))
		goto done;
	rc = personal_keys_open(&x->cfg, x->st, secret, true, &x->keys, e);
done:
	config_free_secret(secret);
	return rc;
}

static void finish(struct send_ctx *x)
{
	state_close(x->st);
	templates_free(&x->t);
	cli_smtp_done(&x->smtp);
	personal_keys_close(&x->keys);
	config_free(&x->cfg);
}

static void report(const struct send_ctx *x, int64_t id, const struct deliver_stats *s)
{
	char name[64];
	shard_edition_name(id, &x->shard, name, sizeof name);
	log_info("edition %s: %ld sent, %ld deferred, %ld failed, %ld suppressed, "
	         "%ld pending", name, s->count[DELIVERY_SENT],
	         s->count[DELIVERY_DEFERRED], s->count[DELIVERY_FAILED],
	         s->count[DELIVERY_SUPPRESSED], s->count[DELIVERY_PENDING]);
}

/* Renders ed and builds its most demanding message for every tier: what
 * fails here would fail for every subscriber, so nothing is sent (or
 * recorded, for a new edition). */
static int render_checked(struct send_ctx *x, struct edition *ed, struct nk_err *e)
{
	int rc = edition_render(ed, &x->cfg, &x->t, e);
	if (!rc)
		rc = personalise_check(&x->cfg, ed->variants, ed->nvariants, ed->id, &x->keys, e);
	return rc;
}

/* Delivers ed (recorded and rendered); folds its outcome into *worst (the
 * exit code). */
static int deliver_one(struct send_ctx *x, struct edition *ed, const struct deliver_opts *o,
                       int *worst, struct nk_err *e)
{
	struct deliver_stats s;
	int rc = deliver_edition(&x->cfg, x->st, ed, &x->smtp.p, &x->keys, o, &s, e);
	if (rc)
		return rc;
	report(x, ed->id, &s);
	if (s.count[DELIVERY_DEFERRED] || s.count[DELIVERY_PENDING])
		*worst = EX_TEMPFAIL;
	return 0;
}

/* The next edition, rendered, for --dry-run and --to. */
static int next_rendered(struct send_ctx *x, struct edition *ed, struct nk_err *e)
{
	int rc = edition_next(&x->cfg, x->st, NULL, time(NULL), ed, e);
	if (!rc && ed->articles.n > 0)
		rc = render_checked(x, ed, e);
	return rc;
}

/* One line per subscriber the next edition would go to, the list read row
 * by row; standard output is fully buffered unless it is a terminal. */
static int list_recipients(struct send_ctx *x, const struct edition *ed,
                           struct personal_letter **letters, long *would, struct nk_err *e)
{
	struct address_set *seen = NULL;
	struct subscriber_reader *rd = NULL;
	const struct subscriber *s;
	struct buf msg = {0};
	time_t now = time(NULL);
	int rc = state_address_set_open(&seen, e);
	if (!rc)
		rc = subscribers_open(x->cfg.subscribers, &x->cfg.tiers, seen, &rd, e);
	while (!rc && !(rc = subscribers_next(rd, &s, e)) && s) {
		if (!shard_has(&x->shard, s->email))
			continue;
		bool suppressed;
		if ((rc = state_suppressed(x->st, s->email, &suppressed, e)))
			break;
		if (suppressed) {
			printf("suppressed  %s\n", s->email);
			continue;
		}
		struct recipient r = { s->email, s->name };
		int tier = tier_index(&x->cfg.tiers, s->tier);
		buf_truncate(&msg, 0);
		rc = personal_letter_write(letters[tier], ed->id, now, &r, &msg, e);
		if (!rc)
			printf("would send  %s  %s  %zu bytes\n", s->email, s->tier, msg.len);
		(*would)++;
	}
	buf_free(&msg);
	subscribers_close(rd);
	state_address_set_close(seen);
	return rc;
}

static int dry_run(struct send_ctx *x, struct nk_err *e)
{
	struct edition ed = {0};
	int64_t *open = NULL;
	size_t nopen = 0;
	int rc = state_open_editions(x->st, &open, &nopen, e);
	if (!rc && nopen)
		log_info("%zu unfinished %s would be resumed first", nopen,
		         cli_plural((long)nopen, "edition", "editions"));
	if (!rc)
		rc = next_rendered(x, &ed, e);
	if (!rc && ed.articles.n == 0)
		log_info("nothing new: no articles since the last edition");
	long would = 0;
	/* One letter per tier, as send makes them. */
	struct personal_letter **letters = xcalloc(ed.nvariants ? ed.nvariants : 1,
	                                           sizeof *letters);
	for (size_t i = 0; !rc && i < ed.nvariants; i++)
		rc = personal_letter_new(&x->cfg, &ed.variants[i], &x->keys, &letters[i], e);
	if (!rc && ed.articles.n > 0)
		rc = list_recipients(x, &ed, letters, &would, e);
	fflush(stdout);
	if (!rc && ed.articles.n > 0)
		log_info("dry run: %zu %s, %ld %s, nothing sent", ed.articles.n,
		         cli_plural((long)ed.articles.n, "article", "articles"), would,
		         cli_plural(would, "message", "messages"));
	for (size_t i = 0; i < ed.nvariants; i++)
		personal_letter_free(letters[i]);
	free(letters);
	free(open);
	edition_free(&ed);
	return rc;
}

static int test_copy(struct send_ctx *x, const char *to, const char *tier_name,
                     struct nk_err *e)
{
	int tier = (int)x->cfg.tiers.n - 1;
	if (tier_name && (tier = tier_index(&x->cfg.tiers, tier_name)) < 0)
		return nk_fail(e, EX_USAGE, "send: unknown tier '%s'", tier_name);
	char why[160];
	if (!address_valid(to, why, sizeof why))
		return nk_fail(e, EX_USAGE, "send: --to '%s': %s", to, why);
	struct edition ed = {0};
	struct buf msg = {0};
	struct smtp_pool *pool = NULL;
	int rc = next_rendered(x, &ed, e);
	if (!rc && ed.articles.n == 0)
		log_info("nothing new: no articles since the last edition; no test copy sent");
	if (!rc && ed.articles.n > 0) {
		struct recipient r = { to, "" };
		rc = personalise_message(&x->cfg, &ed.variants[tier], ed.id, time(NULL), &r,
		                         &x->keys, &msg, e);
	}
	if (!rc && ed.articles.n > 0)
		rc = smtp_pool_new(&x->smtp.p, 1, &pool, e);
	if (!rc && ed.articles.n > 0) {
		struct smtp_result res;
		smtp_submit(pool, x->cfg.envelope_from, to, msg.s, msg.len, NULL);
		while (smtp_pool_wait(pool, 1000, &res, 1) == 0)
			;
		if (res.outcome == SMTP_SENT)
			log_info("test copy (%s) sent to %s: %s", x->cfg.tiers.v[tier].name, to,
			         res.reply);
		else
			rc = nk_fail(e, res.outcome == SMTP_RCPT_TEMP || res.outcome == SMTP_MSG_TEMP ||
			             res.outcome == SMTP_CONN ? EX_TEMPFAIL
			             : res.exit_code ? res.exit_code : EX_UNAVAILABLE,
			             "%s: test copy to %s not sent: %s", x->cfg.smtp_url, to,
			             res.reply);
	}
	smtp_pool_free(pool);
	buf_free(&msg);
	edition_free(&ed);
	return rc;
}

/* Whether the newest edition is younger than min_interval (seconds; 0:
 * never): then this run starts no new one. */
static int too_soon(struct send_ctx *x, long min_interval, bool *soon, struct nk_err *e)
{
	struct edition_summary *v = NULL;
	size_t n = 0;
	*soon = false;
	if (min_interval <= 0)
		return 0;
	int rc = state_summaries(x->st, 1, &v, &n, e);
	time_t now = time(NULL);
	if (!rc && n && now - v[0].created < min_interval) {
		char name[64];
		shard_edition_name(v[0].id, &x->shard, name, sizeof name);
		long ago = (long)(now - v[0].created);
		log_info("edition %s was started %ldh%02ldm ago, less than --min-interval: "
		         "no new edition in this run", name, ago / 3600, ago / 60 % 60);
		*soon = true;
	}
	free(v);
	return rc;
}

static int send_all(struct send_ctx *x, long limit, long min_interval, struct nk_err *e)
{
	int worst = 0, rc;
	long budget = limit;
	struct deliver_opts o = { limit, &budget };
	int64_t *open = NULL;
	size_t nopen = 0;
	if ((rc = state_open_editions(x->st, &open, &nopen, e)))
		return rc;
	for (size_t i = 0; i < nopen && !rc; i++) {
		struct edition ed;
		char name[64];
		shard_edition_name(open[i], &x->shard, name, sizeof name);
		log_info("resuming edition %s", name);
		rc = edition_load(x->st, open[i], &ed, e);
		if (!rc)
			rc = render_checked(x, &ed, e);
		if (!rc)
			rc = deliver_one(x, &ed, &o, &worst, e);
		edition_free(&ed);
	}
	free(open);
	if (rc)
		return rc;

	struct edition ed = {0};
	bool soon;
	if ((rc = too_soon(x, min_interval, &soon, e)) || soon)
		return rc ? rc : worst;
	rc = edition_next(&x->cfg, x->st, NULL, time(NULL), &ed, e);
	if (!rc && ed.articles.n == 0) {
		if (nopen == 0)
			log_info("nothing new: no articles since the last edition");
		goto done;
	}
	/* What would fail for everybody is found before anything is
	 * recorded; then the list is read and recorded row by row. */
	if (!rc)
		rc = render_checked(x, &ed, e);
	struct record_counts n;
	if (!rc)
		rc = edition_record(&ed, x->st, &x->cfg, &x->shard, &n, e);
	if (!rc && n.valid == 0)
		rc = nk_fail(e, EX_DATAERR, "%s: no valid subscribers%s; nothing sent",
		             x->cfg.subscribers, n.skipped ? " (see the warnings above)" : "");
	if (!rc && n.recorded == 0) {
		log_info("shard %u/%u: none of the %zu subscribers is in this shard; "
		         "nothing to send", x->shard.k, x->shard.n, n.valid);
		goto done;
	}
	if (!rc) {
		char name[64];
		shard_edition_name(ed.id, &x->shard, name, sizeof name);
		log_info("edition %s: %zu %s for %zu %s", name, ed.articles.n,
		         cli_plural((long)ed.articles.n, "article", "articles"), n.recorded,
		         cli_plural((long)n.recorded, "subscriber", "subscribers"));
		rc = deliver_one(x, &ed, &o, &worst, e);
	}
done:
	edition_free(&ed);
	return rc ? rc : worst;
}

int cmd_send(int argc, char **argv, struct cli *g)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "to", required_argument, NULL, 'T' },
		{ "tier", required_argument, NULL, 't' },
		{ "limit", required_argument, NULL, 'l' },
		{ "shard", required_argument, NULL, 's' },
		{ "min-interval", required_argument, NULL, 'm' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool dry = false;
	const char *to = NULL, *tier = NULL;
	long limit = 0, min_interval = 0;
	struct shard shard = {0};
	char *end;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:hn", opts, NULL)) != -1) {
		switch (c) {
		case 'n': dry = true; break;
		case 'T': to = optarg; break;
		case 't': tier = optarg; break;
		case 'l':
			limit = strtol(optarg, &end, 10);
			if (*end || end == optarg || limit < 1)
				return cli_usage_error("send", usage, "--limit needs a whole number above 0");
			break;
		case 's':
			if (shard_parse(optarg, &shard) != 0)
				return cli_usage_error("send", usage, "--shard '%s': expected K/N with "
				                       "1 <= K <= N <= %d", optarg, SHARD_MAX);
			break;
		case 'm':
			if (config_parse_duration(optarg, &min_interval) != 0)
				return cli_usage_error("send", usage, "--min-interval '%s': expected a "
				                       "duration like 20h", optarg);
			break;
		case 'c': g->config_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return cli_bad_option("send", usage, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("send", usage, "unexpected argument '%s'", argv[optind]);
	if (dry && to)
		return cli_usage_error("send", usage, "--dry-run and --to do not go together");
	if (tier && !to)
		return cli_usage_error("send", usage, "--tier only goes with --to");
	if (to && shard.n)
		return cli_usage_error("send", usage, "--shard and --to do not go together");

	struct nk_err e = {0};
	struct send_ctx x = { .shard = shard };
	int rc = prepare(&x, g, dry || to ? STATE_READ : STATE_WRITE, &e);
	if (!rc)
		rc = dry ? dry_run(&x, &e) : to ? test_copy(&x, to, tier, &e)
		         : send_all(&x, limit, min_interval, &e);
	/* The mail is out (or deferred): the archive failing to update is
	 * said, but does not make the send look failed. */
	if ((rc == 0 || (rc == EX_TEMPFAIL && !e.code)) && !dry && !to && x.cfg.archive_dir) {
		struct nk_err ae = {0};
		struct archive_result res;
		if (archive_write(&x.cfg, x.st, &x.t, NULL, x.cfg.archive_dir, &res, &ae))
			log_warn("archive not updated: %s", ae.msg);
		else
			log_info("archive %s: %zu %s", x.cfg.archive_dir, res.pages,
			         cli_plural((long)res.pages, "edition page", "edition pages"));
	}
	finish(&x);
	if (rc == EX_TEMPFAIL && !e.code) {
		log_info("some deliveries are deferred or pending: run send again later");
		return rc;
	}
	return rc ? cli_fail(&e) : 0;
}
