/* cmd_serve.c — `nkdigest serve`: the one-click unsubscribe endpoint. */
#include "cli.h"
#include "log.h"
#include "serve.h"
#include "state.h"
#include "unsubscribe.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: nkdigest serve [--listen HOST:PORT] [--rate N]\n"
	"\n"
	"Answers the unsubscribe links of the digests over HTTP, for the site's\n"
	"web server to pass on (README: \"nkdigest serve\"). A POST with\n"
	"List-Unsubscribe=One-Click (RFC 8058; what mail providers send) puts the\n"
	"link's address on the suppression list; a GET shows a page with a button\n"
	"that does, and changes nothing itself. A bad token gets a 400 page.\n"
	"Runs beside send: an address unsubscribed mid-send is not mailed if the\n"
	"send has not reached it. Stops on SIGTERM or SIGINT.\n"
	"\n"
	"  --listen HOST:PORT  where to listen (default 127.0.0.1:8025; a numeric\n"
	"                      address, [::1]:8025 for IPv6; port 0 picks one)\n"
	"  --rate N            requests a second it answers, on average (default\n"
	"                      20; bursts of twice that); more get 429\n"
	"\n"
	"Exit status: 0 stopped by a signal, 64 usage, 69 cannot listen,\n"
	"78 configuration error.\n";

int cmd_serve(int argc, char **argv, struct cli *g)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "rate", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen = "127.0.0.1:8025";
	double rate = 20;
	char *end;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen = optarg; break;
		case 'r':
			rate = strtod(optarg, &end);
			if (*end || end == optarg || !(rate >= 0.1 && rate <= 100000))
				return cli_usage_error("serve", usage, "--rate needs a number of "
				                       "requests a second (0.1 to 100000)");
			break;
		case 'h': fputs(usage, stdout); return 0;
		default: return cli_bad_option("serve", usage, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("serve", usage, "unexpected argument '%s'", argv[optind]);

	struct nk_err e = {0};
	struct config cfg;
	struct state *st = NULL;
	struct serve *srv = NULL;
	struct unsub_key key = {0};
	char *secret = NULL;
	int rc = cli_load_config(g, &cfg, &e);
	if (rc)
		return cli_fail(&e);
	/* Signals are taken by sigwait below; block them before the server's
	 * thread starts so that it inherits the mask. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	if (!(rc = config_read_secret(cfg.unsub_secret_file, "NKDIGEST_UNSUBSCRIBE_SECRET", true,
	                              "unsubscribe secret ([unsubscribe] secret_file)",
	                              &secret, &e)))
		unsub_key_derive(secret, &key);
	config_free_secret(secret);
	if (!rc)
		rc = state_open(cfg.state, STATE_SHARED, &st, &e);
	unsigned port = 0;
	if (!rc) {
		/* Its one thread answers every request: wait a little for the
		 * write lock, then queue (suppress_queue.h). */
		state_busy_timeout(st, 2000);
		struct serve_params p = { .listen = listen, .title = cfg.title, .rate = rate,
		                          .burst = (int)(2 * rate + 1), .st = st,
		                          .state_path = cfg.state, .key = &key };
		rc = serve_start(&p, &srv, &port, &e);
	}
	if (!rc) {
		log_info("serving unsubscribe links on port %u (%s)", port, listen);
		int sig;
		sigwait(&stop, &sig);
		log_info("stopping (signal %d)", sig);
		serve_stop(srv);
	}
	unsub_key_wipe(&key);
	state_close(st);
	config_free(&cfg);
	return rc ? cli_fail(&e) : 0;
}
