/* cmd_render.c — `nkdigest render`: the next edition, printed, nothing changed. */
#include "buf.h"
#include "cli.h"
#include "edition.h"
#include "log.h"
#include "personalise.h"
#include "render.h"
#include "state.h"
#include "xalloc.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char usage[] =
	"usage: nkdigest render [--stdout] [--format text|html|eml] [--tier TIER]\n"
	"                       [--out DIR] [--source FILE] [--to ADDR]\n"
	"\n"
	"Builds the next edition exactly as `send` would and prints it. Changes\n"
	"nothing: no state is written, nothing is sent.\n"
	"\n"
	"  --stdout         print to standard output (the default)\n"
	"  --format F       text (default), html, or eml: the whole MIME message\n"
	"  --tier TIER      which variant (default: the highest tier, which shows\n"
	"                   every article in full)\n"
	"  --out DIR        write TIER.txt, TIER.html and TIER.eml for every tier\n"
	"  --source FILE    read this feed file (or - for stdin) instead of the\n"
	"                   configured sources\n"
	"  --to ADDR        the preview recipient (default reader@example.invalid)\n";

enum format { FORMAT_TEXT, FORMAT_HTML, FORMAT_EML };

struct preview {
	const struct config *cfg;
	const struct edition *ed;   /* rendered */
	const struct personal_keys *keys;
	const char *to;
};

/* The message, or one of its parts, for the preview recipient: the same
 * personalise step that send uses, so the preview is what is sent. */
static int produce(const struct preview *p, int tier, enum format f, struct buf *out,
                   struct nk_err *e)
{
	struct recipient r = { p->to, "" };
	const struct variant *v = &p->ed->variants[tier];
	if (f == FORMAT_EML)
		return personalise_message(p->cfg, v, p->ed->id, time(NULL), &r, p->keys,
		                           out, e);
	personalise_part(p->cfg, v, f == FORMAT_TEXT ? PART_TEXT : PART_HTML, &r,
	                 p->keys, out);
	return 0;
}

static int write_file(const char *dir, const char *tier, const char *ext,
                      const struct buf *b, struct nk_err *e)
{
	char *path = xasprintf("%s/%s.%s", dir, tier, ext);
	FILE *f = fopen(path, "wb");
	int rc = 0;
	if (!f || fwrite(b->s ? b->s : "", 1, b->len, f) != b->len || fclose(f) != 0)
		rc = nk_fail(e, EX_CANTCREAT, "%s: %s", path, strerror(errno));
	else
		log_info("wrote %s", path);
	free(path);
	return rc;
}

static int write_all(const struct preview *p, const char *dir, struct nk_err *e)
{
	static const char *ext[] = { "txt", "html", "eml" };
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		return nk_fail(e, EX_CANTCREAT, "%s: %s", dir, strerror(errno));
	int rc = 0;
	for (size_t i = 0; i < p->ed->nvariants && !rc; i++)
		for (int f = FORMAT_TEXT; f <= FORMAT_EML && !rc; f++) {
			struct buf b = {0};
			rc = produce(p, (int)i, (enum format)f, &b, e);
			if (!rc)
				rc = write_file(dir, p->cfg->tiers.v[i].name, ext[f], &b, e);
			buf_free(&b);
		}
	return rc;
}

int cmd_render(int argc, char **argv, struct cli *g)
{
	static const struct option opts[] = {
		{ "stdout", no_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "tier", required_argument, NULL, 't' },
		{ "out", required_argument, NULL, 'o' },
		{ "source", required_argument, NULL, 'S' },
		{ "to", required_argument, NULL, 'T' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum format format = FORMAT_TEXT;
	const char *tier_name = NULL, *out_dir = NULL, *source = NULL;
	const char *to = "reader@example.invalid";
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': break;
		case 'f':
			if (!strcmp(optarg, "text"))
				format = FORMAT_TEXT;
			else if (!strcmp(optarg, "html"))
				format = FORMAT_HTML;
			else if (!strcmp(optarg, "eml"))
				format = FORMAT_EML;
			else
				return cli_usage_error("render", usage, "--format is text, html or eml");
			break;
		case 't': tier_name = optarg; break;
		case 'o': out_dir = optarg; break;
		case 'S': source = optarg; break;
		case 'T': to = optarg; break;
		case 'c': g->config_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return cli_bad_option("render", usage, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("render", usage, "unexpected argument '%s'", argv[optind]);

	struct nk_err e = {0};
	struct config cfg;
	struct templates t = {0};
	struct state *st = NULL;
	struct edition ed = {0};
	struct buf out = {0};
	char *secret = NULL;
	struct personal_keys keys = {0};
	int rc = cli_load_config(g, &cfg, &e);
	if (rc)
		return cli_fail(&e);

	int tier = (int)cfg.tiers.n - 1;
	if (tier_name && (tier = tier_index(&cfg.tiers, tier_name)) < 0) {
		rc = nk_fail(&e, EX_USAGE, "render: unknown tier '%s' (see [digest] tiers in %s)",
		             tier_name, cfg.path);
		goto done;
	}
	if ((rc = templates_load(cfg.templates, &t, &e)) ||
	    (rc = config_read_secret(cfg.unsub_secret_file, "NKDIGEST_UNSUBSCRIBE_SECRET",
	                             false, "unsubscribe secret", &secret, &e)) ||
	    (rc = state_open(cfg.state, STATE_READ, &st, &e)) ||
	    /* Previews are not DKIM-signed: that needs the key, and the
	     * signature's time differs from the real one anyway. */
	    (rc = personal_keys_open(&cfg, st, secret, false, &keys, &e)) ||
	    (rc = edition_next(&cfg, st, source, time(NULL), &ed, &e)))
		goto done;
	if (ed.articles.n == 0) {
		log_info("nothing new: no articles since the last edition");
		goto done;
	}
	if ((rc = edition_render(&ed, &cfg, &t, &e)))
		goto done;
	struct preview p = { &cfg, &ed, &keys, to };
	if (out_dir) {
		rc = write_all(&p, out_dir, &e);
		goto done;
	}
	if ((rc = produce(&p, tier, format, &out, &e)))
		goto done;
	fwrite(buf_str(&out), 1, out.len, stdout);
	if (fflush(stdout) != 0)
		rc = nk_fail(&e, EX_IOERR, "cannot write to standard output");
done:
	buf_free(&out);
	edition_free(&ed);
	state_close(st);
	templates_free(&t);
	config_free_secret(secret);
	personal_keys_close(&keys);
	config_free(&cfg);
	return rc ? cli_fail(&e) : 0;
}
