/* cli.c — the wiring the commands share (see cli.h). */
#include "cli.h"
#include "datetime.h"
#include "log.h"
#include "suppress_queue.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *cli_plural(long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

int cli_fail(const struct nk_err *e)
{
	log_error("%s", e->msg);
	return e->code ? e->code : EX_SOFTWARE;
}

int cli_usage_error(const char *command, const char *usage, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	log_error("%s: %s", command, what);
	fprintf(stderr, "\n%s", usage);
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

int cli_smtp_open(const struct config *cfg, struct cli_smtp *s, struct nk_err *e)
{
	memset(s, 0, sizeof *s);
	bool oauth = cfg->auth == SMTP_AUTH_XOAUTH2;
	int rc = oauth
	       ? config_read_secret(cfg->oauth2_token_file, "NKDIGEST_SMTP_OAUTH2_TOKEN", true,
	                            "SMTP OAuth 2 token", &s->secret, e)
	       : config_read_secret(cfg->password_file, "NKDIGEST_SMTP_PASSWORD",
	                            cfg->smtp_user != NULL, "SMTP password", &s->secret, e);
	if (rc)
		return rc;
	if (cfg->helo)
		snprintf(s->helo, sizeof s->helo, "%s", cfg->helo);
	else if (gethostname(s->helo, sizeof s->helo - 1) != 0 || !s->helo[0])
		snprintf(s->helo, sizeof s->helo, "localhost");
	s->p = (struct smtp_params){
		.url = cfg->smtp_url,
		.helo = s->helo,
		.tls = cfg->tls == SMTP_TLS_REQUIRED,
		.verify = cfg->tls_verify,
		.ca_file = cfg->smtp_ca_file,
		.user = cfg->smtp_user,
		.password = oauth ? NULL : s->secret,
		.bearer = oauth ? s->secret : NULL,
		.timeout = cfg->smtp_timeout,
	};
	return 0;
}

void cli_smtp_done(struct cli_smtp *s)
{
	config_free_secret(s->secret);
	memset(s, 0, sizeof *s);
}

int cli_open_list(const struct config *cfg, struct state **st, struct nk_err *e)
{
	int rc = state_open(cfg->state, STATE_SHARED, st, e);
	if (!rc && (rc = suppress_queue_apply(*st, cfg->state, NULL, e))) {
		state_close(*st);
		*st = NULL;
	}
	return rc;
}
