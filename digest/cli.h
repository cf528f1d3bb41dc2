/* cli.h — what main and the command files (cmd_*.c) share.
 *
 * Each command parses its own options and returns an exit code; only main
 * exits. The helpers here are the wiring every command repeats: find and
 * load the configuration, read the SMTP login. */
#ifndef NK_CLI_H
#define NK_CLI_H

#include "config.h"
#include "err.h"
#include "smtp.h"
#include "state.h"

struct cli {
	const char *config_path;   /* -c FILE, or NULL to search */
};

int cmd_render(int argc, char **argv, struct cli *g);
int cmd_send(int argc, char **argv, struct cli *g);
int cmd_fetch(int argc, char **argv, struct cli *g);
int cmd_check(int argc, char **argv, struct cli *g);
int cmd_status(int argc, char **argv, struct cli *g);
int cmd_archive(int argc, char **argv, struct cli *g);
int cmd_unsubscribe(int argc, char **argv, struct cli *g);
int cmd_resubscribe(int argc, char **argv, struct cli *g);
int cmd_suppressions(int argc, char **argv, struct cli *g);
int cmd_serve(int argc, char **argv, struct cli *g);
int cmd_bounces(int argc, char **argv, struct cli *g);

/* one when n is 1, else many: "1 article", "2 articles". */
const char *cli_plural(long n, const char *one, const char *many);

/* Logs e as an error line ("nkdigest: error: message") and returns its code. */
int cli_fail(const struct nk_err *e);

/* Logs "nkdigest: error: <command>: <what>", prints the command's usage on stderr;
 * returns EX_USAGE. */
int cli_usage_error(const char *command, const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The same for what getopt_long just refused (c is its return value). */
int cli_bad_option(const char *command, const char *usage, int c, char **argv);

/* Finds and loads the configuration and makes its time zone current.
 * Errors: EX_CONFIG (see config_find and config_load). */
int cli_load_config(const struct cli *g, struct config *cfg, struct nk_err *e);

/* Opens the state file to change the suppression list beside a send
 * (STATE_SHARED) and first moves in what serve queued while it was busy
 * (suppress_queue.h), so that the change comes after them. Errors: those
 * of state_open and suppress_queue_apply. */
int cli_open_list(const struct config *cfg, struct state **st, struct nk_err *e);

/* The SMTP settings of cfg with the login secret read (password or OAuth 2
 * token, from its 0600 file or the environment) and the EHLO name chosen.
 * Release with cli_smtp_done(), which wipes the secret, also after a
 * failure. Errors: EX_CONFIG (see config_read_secret). */
struct cli_smtp {
	struct smtp_params p;
	char *secret;
	char helo[256];
};
int cli_smtp_open(const struct config *cfg, struct cli_smtp *s, struct nk_err *e);
void cli_smtp_done(struct cli_smtp *s);

#endif
