/* deliver.c — the delivery loop over the journal (see deliver.h). */
#include "deliver.h"
#include "log.h"
#include "personalise.h"
#include "suppress_queue.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* When to stop a run instead of working through the whole list against a
 * server that will not take the mail: this many message-level rejections
 * in a row (a content filter refuses the digest for everybody), or this
 * many connection failures in a row (a server that accepts connections
 * and never answers would otherwise cost subscribers × timeout), with no
 * message accepted in between. What is left stays pending. */
#define MESSAGE_REJECTIONS_STOP 5
#define CONNECTION_FAILURES_STOP 3

struct job {
	struct delivery d;   /* a copy of the journal's row, owned while busy */
	struct buf msg;
	bool busy;
};

struct run {
	const struct config *cfg;
	struct state *st;
	int64_t id;
	struct personal_letter **letters; /* one per configured tier, made once */
	struct smtp_pool *pool;
	struct job *jobs;              /* one per message the pool holds */
	size_t njobs;
	struct deliver_stats *stats;
	int round;                     /* 0, then each retry round of this run */
	size_t nretry;                 /* put back for the next round */
	double next_at;                /* rate limit: earliest next hand-over */
	int fatal;                     /* exit code once the run must stop */
	char fatal_msg[400];
	int rejections_in_a_row;       /* message-level, since the last success */
	int conn_failures_in_a_row;    /* connection-level, since the last success */
	size_t unbuilt;                /* messages we could not build: left pending */
	double progress_at;
	size_t done, total;
};

static void job_clear(struct job *j)
{
	free(j->d.email);
	free(j->d.name);
	free(j->d.tier);
	memset(&j->d, 0, sizeof j->d);
}

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

static int record(struct run *r, struct delivery *d, enum delivery_status s, bool bounce,
                  int code, const char *reply, struct nk_err *e)
{
	return state_record(r->st, r->id, d->email, s, bounce, code, reply, time(NULL), e);
}

/* Ends the run (the first reason wins): nothing more is handed over. */
static void stop(struct run *r, int code, const char *why)
{
	if (r->fatal)
		return;
	r->fatal = code;
	snprintf(r->fatal_msg, sizeof r->fatal_msg, "%s: %s", r->cfg->smtp_url, why);
}

/* Deferred for later (this run's extra rounds, then later runs), or given
 * up after retry_for: never a bounce either way. */
static int defer(struct run *r, struct delivery *d, const struct smtp_result *res,
                 time_t now, struct nk_err *e)
{
	if (d->first_try && now - d->first_try > r->cfg->retry_for) {
		long hours = r->cfg->retry_for / 3600;
		log_warn("%s: giving up after %ld hour%s of temporary failures: %s",
		         d->email, hours, hours == 1 ? "" : "s", res->reply);
		return record(r, d, DELIVERY_FAILED, false, res->code, res->reply, e);
	}
	log_warn("%s: deferred: %s", d->email, res->reply);
	int rc = record(r, d, DELIVERY_DEFERRED, false, res->code, res->reply, e);
	/* The next round reads it back from the journal, with its first try. */
	if (!rc && r->round < r->cfg->retries &&
	    !(rc = state_todo_again(r->st, r->id, d, r->round + 1, e)))
		r->nretry++;
	return rc;
}

/* Turns one SMTP outcome into a journal entry, and stops the run when the
 * outcomes say the server will not take the mail at all. */
static int settle(struct run *r, struct job *j, const struct smtp_result *res,
                  struct nk_err *e)
{
	struct delivery *d = &j->d;
	int rc = 0, bounces = 0;
	char why[360];
	time_t now = time(NULL);
	switch (res->outcome) {
	case SMTP_SENT:
		log_debug("%s: sent: %s", d->email, res->reply);
		rc = record(r, d, DELIVERY_SENT, false, res->code, res->reply, e);
		r->stats->sent_now++;
		r->rejections_in_a_row = r->conn_failures_in_a_row = 0;
		break;
	case SMTP_RCPT_TEMP:
		rc = defer(r, d, res, now, e);
		break;
	case SMTP_RCPT_PERM:
		log_warn("%s: failed: %s", d->email, res->reply);
		rc = record(r, d, DELIVERY_FAILED, res->hard, res->code, res->reply, e);
		if (!rc && res->hard)
			rc = state_bounces(r->st, d->email, &bounces, e);
		if (!rc && res->hard && bounces >= r->cfg->bounce_limit) {
			log_info("%s: suppressed after %d hard bounce%s", d->email,
			         r->cfg->bounce_limit, r->cfg->bounce_limit == 1 ? "" : "s");
			rc = state_suppress(r->st, d->email, "hard bounces", now, e);
		}
		break;
	case SMTP_MSG_TEMP:
	case SMTP_MSG_PERM:
		/* About the message, not the recipient: deferred, so that
		 * everybody still gets it once the cause is fixed. */
		rc = defer(r, d, res, now, e);
		if (++r->rejections_in_a_row >= MESSAGE_REJECTIONS_STOP) {
			snprintf(why, sizeof why, "the server refused the message itself %d "
			         "times in a row, last with \"%.200s\"; the rest stay pending "
			         "and nobody counts as a bounce", r->rejections_in_a_row, res->reply);
			stop(r, EX_UNAVAILABLE, why);
		}
		break;
	case SMTP_CONN:
		rc = defer(r, d, res, now, e);
		if (++r->conn_failures_in_a_row >= CONNECTION_FAILURES_STOP) {
			snprintf(why, sizeof why, "%d connections in a row failed, last with "
			         "\"%.200s\"; stopping here, the rest stay pending",
			         r->conn_failures_in_a_row, res->reply);
			stop(r, r->stats->sent_now ? EX_TEMPFAIL : EX_UNAVAILABLE, why);
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
	job_clear(j);
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
	for (size_t i = 0; i < r->njobs; i++)
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

/* Hands d (borrowed: the job takes a copy) to the pool, or settles it at
 * once when it must not be sent. */
static int hand_over(struct run *r, const struct delivery *d, struct nk_err *e)
{
	int rc;
	while (!smtp_pool_has_room(r->pool))
		if ((rc = drain(r, 1000, e)))
			return rc;
	if ((rc = pace(r, e)))
		return rc;
	if (r->fatal)
		return 0;
	/* Asked at the last moment: an unsubscribe committed or queued while
	 * this run goes on (nkdigest serve) still stops the message. */
	bool suppressed;
	if ((rc = suppress_queue_apply(r->st, r->cfg->state, NULL, e)) ||
	    (rc = state_suppressed(r->st, d->email, &suppressed, e)))
		return rc;
	if (suppressed) {
		log_debug("%s: suppressed, not sent", d->email);
		r->done++;
		return state_record(r->st, r->id, d->email, DELIVERY_SUPPRESSED, false, 0,
		                    "on the suppression list", time(NULL), e);
	}
	int tier = tier_index(&r->cfg->tiers, d->tier);
	if (tier < 0) {
		log_warn("%s: tier '%s' is no longer configured; using '%s'", d->email,
		         d->tier, r->cfg->tiers.v[0].name);
		tier = 0;
	}
	struct job *j = idle_job(r);
	struct recipient rcpt = { d->email, d->name };
	struct nk_err me = {0};
	if (personal_letter_write(r->letters[tier], r->id, time(NULL), &rcpt, &j->msg, &me)) {
		/* Our own failure, not the recipient's: nothing is recorded, the
		 * delivery stays pending and the run ends with an error. The
		 * checks before the first message make this rare. */
		log_warn("%s: cannot build the message (%s); left pending", d->email, me.msg);
		r->unbuilt++;
		buf_truncate(&j->msg, 0);
		return 0;
	}
	j->busy = true;
	j->d = (struct delivery){ xstrdup(d->email), xstrdup(d->name), xstrdup(d->tier),
	                          d->first_try, d->seq };
	smtp_submit(r->pool, r->cfg->envelope_from, j->d.email, j->msg.s, j->msg.len, j);
	return 0;
}

/* One pass over round r->round's deliveries, read from the journal as
 * they are handed over. */
static int round_over(struct run *r, const struct deliver_opts *o, struct nk_err *e)
{
	struct state_todo *todo;
	const struct delivery *d;
	int rc = state_todo_open(r->st, r->id, r->round, &todo, e);
	while (!rc && !r->fatal && !(rc = state_todo_next(todo, &d, e)) && d) {
		if (o->limit > 0 && *o->budget <= 0)
			break;
		rc = hand_over(r, d, e);
		if (o->limit > 0)
			(*o->budget)--;
	}
	while (!rc && smtp_pool_active(r->pool))
		rc = drain(r, 1000, e);
	state_todo_close(todo);
	return rc;
}

int deliver_edition(const struct config *cfg, struct state *st, const struct edition *ed,
                    const struct smtp_params *sp, const struct personal_keys *keys,
                    const struct deliver_opts *o, struct deliver_stats *stats,
                    struct nk_err *e)
{
	int64_t id = ed->id;
	struct run r = { .cfg = cfg, .st = st, .id = id,
	                 .stats = stats };
	memset(stats, 0, sizeof *stats);

	long count[DELIVERY_NSTATUS];
	int rc = state_counts(st, id, count, e);
	size_t ntodo = rc ? 0 : (size_t)(count[DELIVERY_PENDING] + count[DELIVERY_DEFERRED]);
	r.total = ntodo;
	if (!rc && ntodo > 0) {
		r.letters = xcalloc(ed->nvariants, sizeof *r.letters);
		for (size_t i = 0; i < ed->nvariants && !rc; i++)
			rc = personal_letter_new(cfg, &ed->variants[i], keys, &r.letters[i], e);
	}
	if (!rc && ntodo > 0)
		rc = smtp_pool_new(sp, cfg->connections, &r.pool, e);
	if (!rc && ntodo > 0) {
		r.njobs = smtp_pool_capacity(r.pool);
		r.jobs = xcalloc(r.njobs, sizeof *r.jobs);
		rc = round_over(&r, o, e);
		/* Deferred in this run: a few more rounds, waiting longer each
		 * time, before leaving them to the next run. */
		long wait = cfg->retry_wait;
		for (int round = 1; !rc && !r.fatal && round <= cfg->retries && r.nretry; round++) {
			size_t nagain = r.nretry;
			r.nretry = 0;
			r.round = round;
			log_info("edition %lld: retrying %zu deferred in %lds", (long long)id,
			         nagain, wait);
			r.total += nagain;
			if (wait > 0)
				sleep((unsigned)wait);
			wait *= 2;
			struct deliver_opts unlimited = { 0, NULL };
			rc = round_over(&r, o->limit > 0 ? o : &unlimited, e);
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
	if (!rc && r.unbuilt)
		rc = nk_fail(e, EX_SOFTWARE, "edition %lld: %zu message%s could not be built "
		             "(see the warnings above) and stay pending; this is a bug in "
		             "nkdigest, not the recipients' doing", (long long)id, r.unbuilt,
		             r.unbuilt == 1 ? "" : "s");

	for (size_t i = 0; r.jobs && i < r.njobs; i++) {
		buf_free(&r.jobs[i].msg);
		job_clear(&r.jobs[i]);
	}
	free(r.jobs);
	smtp_pool_free(r.pool);
	for (size_t i = 0; r.letters && i < ed->nvariants; i++)
		personal_letter_free(r.letters[i]);
	free(r.letters);
	return rc;
}
