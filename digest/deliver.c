/* deliver.c — the delivery loop over the journal (see deliver.h). */
#include "deliver.h"
#include "log.h"
#include "personalise.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct job {
	struct delivery *d;
	struct buf msg;
	bool busy;
};

struct run {
	const struct config *cfg;
	struct state *st;
	int64_t id;
	const struct variant *variants;   /* the edition's, one per configured tier */
	const struct personal_keys *keys;
	struct smtp_pool *pool;
	struct job *jobs;              /* one per connection */
	struct deliver_stats *stats;
	struct delivery **retry;       /* deferred in this run, for the next round */
	size_t nretry, retry_cap;
	double next_at;                /* rate limit: earliest next hand-over */
	int fatal;                     /* exit code once the server is unusable */
	char fatal_msg[400];
	double progress_at;
	size_t done, total;
};

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void progress(struct run *r, bool final)
{
	if (!isatty(STDERR_FILENO) || log_get_level() < LOG_NORMAL)
		return;
	double t = now_mono();
	if (!final && t < r->progress_at)
		return;
	r->progress_at = t + 0.5;
	fprintf(stderr, "\rnkdigest: edition %lld: %zu/%zu handled%s", (long long)r->id,
	        r->done, r->total, final ? "\n" : "");
}

static int record(struct run *r, struct delivery *d, enum delivery_status s, int code,
                  const char *reply, struct nk_err *e)
{
	return state_record(r->st, r->id, d->email, s, code, reply, time(NULL), e);
}

/* Turns one SMTP outcome into a journal entry. */
static int settle(struct run *r, struct job *j, const struct smtp_result *res,
                  struct nk_err *e)
{
	struct delivery *d = j->d;
	int rc = 0;
	time_t now = time(NULL);
	switch (res->outcome) {
	case SMTP_SENT:
		rc = record(r, d, DELIVERY_SENT, res->code, res->reply, e);
		r->stats->sent_now++;
		break;
	case SMTP_TEMP:
		if (d->first_try && now - d->first_try > r->cfg->retry_for) {
			log_warn("%s: giving up after %ld hours of temporary failures: %s",
			         d->email, r->cfg->retry_for / 3600, res->reply);
			rc = record(r, d, DELIVERY_FAILED, res->code, res->reply, e);
			break;
		}
		log_warn("%s: deferred: %s", d->email, res->reply);
		rc = record(r, d, DELIVERY_DEFERRED, res->code, res->reply, e);
		if (!d->first_try)
			d->first_try = now;
		r->retry = xgrow(r->retry, &r->retry_cap, r->nretry + 1, sizeof *r->retry);
		r->retry[r->nretry++] = d;
		break;
	case SMTP_PERM:
		log_warn("%s: failed: %s", d->email, res->reply);
		int bounces = 0;
		rc = record(r, d, DELIVERY_FAILED, res->code, res->reply, e);
		if (!rc)
			rc = state_bounces(r->st, d->email, &bounces, e);
		if (!rc && bounces >= r->cfg->bounce_limit) {
			log_info("%s: suppressed after %d hard bounces", d->email,
			         r->cfg->bounce_limit);
			rc = state_suppress(r->st, d->email, "hard bounces", now, e);
		}
		break;
	case SMTP_FATAL:
		/* Nothing is recorded: the recipient stays pending. */
		if (!r->fatal) {
			r->fatal = res->exit_code ? res->exit_code : EX_UNAVAILABLE;
			snprintf(r->fatal_msg, sizeof r->fatal_msg, "%s: %s",
			         r->cfg->smtp_url, res->reply);
		}
		break;
	}
	if (res->outcome != SMTP_FATAL)
		r->done++;
	j->busy = false;
	buf_truncate(&j->msg, 0);
	return rc;
}

static int drain(struct run *r, long timeout_ms, struct nk_err *e)
{
	struct smtp_result res[16];
	size_t n = smtp_pool_wait(r->pool, timeout_ms, res, 16);
	for (size_t i = 0; i < n; i++) {
		int rc = settle(r, res[i].tag, &res[i], e);
		if (rc)
			return rc;
	}
	progress(r, false);
	return 0;
}

static struct job *idle_job(struct run *r)
{
	for (int i = 0; i < r->cfg->connections; i++)
		if (!r->jobs[i].busy)
			return &r->jobs[i];
	return NULL;
}

/* Waits, still collecting results, until the rate limit allows another
 * hand-over. */
static int pace(struct run *r, struct nk_err *e)
{
	if (r->cfg->rate <= 0)
		return 0;
	for (;;) {
		double t = now_mono(), wait = r->next_at - t;
		if (wait <= 0) {
			r->next_at = (r->next_at > t - 1 ? r->next_at : t) + 1.0 / r->cfg->rate;
			return 0;
		}
		if (smtp_pool_active(r->pool)) {
			int rc = drain(r, (long)(wait * 1000) + 1, e);
			if (rc)
				return rc;
		} else {
			usleep((useconds_t)(wait * 1e6));
		}
	}
}

/* Hands d to the pool, or settles it at once when it must not be sent. */
static int hand_over(struct run *r, struct delivery *d, struct nk_err *e)
{
	bool suppressed;
	int rc = state_suppressed(r->st, d->email, &suppressed, e);
	if (rc)
		return rc;
	if (suppressed) {
		r->done++;
		return state_record(r->st, r->id, d->email, DELIVERY_SUPPRESSED, 0,
		                    "on the suppression list", time(NULL), e);
	}
	int tier = tier_index(&r->cfg->tiers, d->tier);
	if (tier < 0) {
		log_warn("%s: tier '%s' is no longer configured; using '%s'", d->email,
		         d->tier, r->cfg->tiers.v[0].name);
		tier = 0;
	}
	while (!smtp_pool_has_room(r->pool))
		if ((rc = drain(r, 1000, e)))
			return rc;
	if ((rc = pace(r, e)))
		return rc;
	if (r->fatal)
		return 0;
	struct job *j = idle_job(r);
	struct recipient rcpt = { d->email, d->name };
	struct nk_err me = {0};
	if (personalise_message(r->cfg, &r->variants[tier], r->id, time(NULL), &rcpt,
	                        r->keys, &j->msg, &me)) {
		/* The data cannot make a safe message (it was checked at the
		 * edge, so this is rare): record why, never send it. */
		log_warn("%s: %s; not sent", d->email, me.msg);
		r->done++;
		return state_record(r->st, r->id, d->email, DELIVERY_FAILED, 0, me.msg,
		                    time(NULL), e);
	}
	j->busy = true;
	j->d = d;
	smtp_submit(r->pool, r->cfg->envelope_from, d->email, j->msg.s, j->msg.len, j);
	return 0;
}

static int round_over(struct run *r, struct delivery **list, size_t n,
                      const struct deliver_opts *o, struct nk_err *e)
{
	int rc = 0;
	for (size_t i = 0; i < n && !rc && !r->fatal; i++) {
		if (o->limit > 0 && *o->budget <= 0)
			break;
		rc = hand_over(r, list[i], e);
		if (o->limit > 0)
			(*o->budget)--;
	}
	while (!rc && smtp_pool_active(r->pool))
		rc = drain(r, 1000, e);
	return rc;
}

int deliver_edition(const struct config *cfg, struct state *st, const struct edition *ed,
                    const struct smtp_params *sp, const struct personal_keys *keys,
                    const struct deliver_opts *o, struct deliver_stats *stats,
                    struct nk_err *e)
{
	struct delivery *todo = NULL;
	size_t ntodo = 0;
	int64_t id = ed->id;
	struct run r = { .cfg = cfg, .st = st, .id = id, .variants = ed->variants,
	                 .keys = keys, .stats = stats };
	memset(stats, 0, sizeof *stats);

	int rc = state_todo(st, id, &todo, &ntodo, e);
	r.total = ntodo;
	if (!rc && ntodo > 0)
		rc = smtp_pool_new(sp, cfg->connections, &r.pool, e);
	if (!rc && ntodo > 0) {
		r.jobs = xcalloc((size_t)cfg->connections, sizeof *r.jobs);
		struct delivery **list = xmalloc(ntodo * sizeof *list);
		for (size_t i = 0; i < ntodo; i++)
			list[i] = &todo[i];
		rc = round_over(&r, list, ntodo, o, e);
		free(list);
		/* Deferred in this run: a few more rounds, waiting longer each
		 * time, before leaving them to the next run. */
		long wait = cfg->retry_wait;
		for (int round = 0; !rc && !r.fatal && round < cfg->retries && r.nretry; round++) {
			struct delivery **again = r.retry;
			size_t nagain = r.nretry;
			r.retry = NULL;
			r.nretry = r.retry_cap = 0;
			log_info("edition %lld: retrying %zu deferred in %lds", (long long)id,
			         nagain, wait);
			r.total += nagain;
			if (wait > 0)
				sleep((unsigned)wait);
			wait *= 2;
			struct deliver_opts unlimited = { 0, NULL };
			rc = round_over(&r, again, nagain, o->limit > 0 ? o : &unlimited, e);
			free(again);
		}
		progress(&r, true);
	}
	if (!rc) {
		bool done;
		rc = state_edition_finish(st, id, time(NULL), &done, e);
	}
	if (!rc)
		rc = state_counts(st, id, stats->count, e);
	if (!rc && r.fatal)
		rc = nk_fail(e, r.fatal, "%s", r.fatal_msg);

	for (int i = 0; r.jobs && i < cfg->connections; i++)
		buf_free(&r.jobs[i].msg);
	free(r.jobs);
	free(r.retry);
	smtp_pool_free(r.pool);
	state_deliveries_free(todo, ntodo);
	return rc;
}
