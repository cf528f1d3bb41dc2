/* state.h — what nkdigest remembers between runs (one SQLite file).
 *
 * Editions: the frozen article list of every digest, and which article
 * keys they carried (so an article is mailed once). Deliveries: one row per
 * (edition, recipient), pending → sent | deferred | failed, committed after
 * every SMTP reply — the journal that lets a crashed send resume without
 * losing or doubling mail. Suppressions: addresses never mailed again.
 * The only module that includes sqlite3.h.
 *
 * Every function that asks the file something returns 0 or an exit code
 * with e naming the file, never a guess: a query that fails must not read
 * as "not suppressed" or "nothing pending". The codes, from what SQLite
 * says: EX_TEMPFAIL when the file is busy (locked by another process past
 * the 10 s wait), EX_DATAERR when it is damaged or not ours, EX_CANTCREAT
 * when it cannot be written (read-only), EX_IOERR for a failed read or
 * write (a full disk). */
#ifndef NK_STATE_H
#define NK_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "article.h"
#include "err.h"

struct state;
struct subscriber;
struct address_set;

enum state_mode {
	STATE_READ,    /* never creates or changes anything; a missing file reads as empty */
	STATE_WRITE,   /* creates the file, and holds an exclusive lock until closed */
	STATE_SHARED,  /* creates the file and changes it, but takes no lock: for the
	                  suppression list, whose every change is one short
	                  transaction that is safe beside a running send (serve,
	                  unsubscribe, bounces); SQLite orders the writes */
};

enum delivery_status {
	DELIVERY_PENDING,
	DELIVERY_SENT,
	DELIVERY_DEFERRED,    /* 4xx, dropped connection, timeout: retried */
	DELIVERY_FAILED,      /* 5xx or retried for too long: not retried */
	DELIVERY_SUPPRESSED,  /* on the suppression list when it was its turn */
	DELIVERY_NSTATUS
};

/* One delivery still to do. */
struct delivery {
	char *email;
	char *name;
	char *tier;
	time_t first_try;    /* 0 when never tried */
	int64_t seq;         /* its place in the list (the journal's row) */
};

struct edition_summary {
	int64_t id;
	time_t created;
	time_t finished;        /* when it was marked done; 0 while open */
	time_t first_try;       /* its first and last SMTP attempt; 0 when none */
	time_t last_try;
	bool done;
	int narticles;
	long count[DELIVERY_NSTATUS];
};

/* Opens path. STATE_WRITE takes a lock beside it (path.lock): a second
 * writer gets EX_TEMPFAIL at once, naming the lock. Errors: EX_CANTCREAT
 * (cannot create the file or its lock), EX_IOERR (cannot open it),
 * EX_DATAERR (not an nkdigest state file, or one from a newer nkdigest),
 * EX_TEMPFAIL (locked). */
int state_open(const char *path, enum state_mode mode, struct state **out,
               struct nk_err *e);
void state_close(struct state *st);

/* How long a statement waits for another process's write lock before it
 * fails with EX_TEMPFAIL (default 10 s). serve waits less and queues
 * instead (suppress_queue.h). */
void state_busy_timeout(struct state *st, int ms);

/* Whether an earlier edition carried key (*seen). Shaped for select_new(),
 * so st is a void pointer. */
int state_seen(void *st, const char *key, bool *seen, struct nk_err *e);

/* Editions still delivering (open), oldest first; caller frees *ids. */
int state_open_editions(struct state *st, int64_t **ids, size_t *n, struct nk_err *e);

/* Recording a new edition, in one transaction that reads the subscriber
 * list as it goes: begin records the open edition, its articles (frozen)
 * and their keys and sets *id; add records a pending delivery for s
 * (suppressed when s is on the suppression list); commit makes it all
 * last. After a failure, or instead of commit, abort: nothing is recorded.
 * The file is locked for writing from begin to commit or abort. */
int state_edition_begin(struct state *st, const struct article_list *articles,
                        time_t now, int64_t *id, struct nk_err *e);
int state_edition_add(struct state *st, int64_t id, const struct subscriber *s,
                      struct nk_err *e);
int state_edition_commit(struct state *st, struct nk_err *e);
void state_edition_abort(struct state *st);

/* The frozen articles of edition id (appended to out, in the order they
 * were chosen) and its creation time. EX_DATAERR when the edition is
 * missing or its articles are damaged. */
int state_edition_articles(struct state *st, int64_t id, struct article_list *out,
                           time_t *created, struct nk_err *e);

/* A walk over the deliveries of one edition still to do, in list order,
 * that reads the journal a few rows at a time: memory stays the same
 * whatever the length of the list, and the walk may journal replies (and
 * commit them) as it goes. Round 0 walks every pending and deferred
 * delivery of edition id; round k > 0 those that state_todo_again() put
 * back for round k in this run. */
struct state_todo;
int state_todo_open(struct state *st, int64_t id, int round, struct state_todo **out,
                    struct nk_err *e);
/* The next delivery in *d (owned by the walk, valid until the next call),
 * or *d = NULL at the end. */
int state_todo_next(struct state_todo *t, const struct delivery **d, struct nk_err *e);
void state_todo_close(struct state_todo *t);
/* Puts d (of edition id) back for round `round` of this run: kept beside
 * the file, in a temporary table of this connection, never in the file. */
int state_todo_again(struct state *st, int64_t id, const struct delivery *d, int round,
                     struct nk_err *e);

/* Journals one SMTP outcome (committed before returning). bounce marks a
 * hard bounce: the address itself is bad (see state_bounces). code and
 * reply are the server's (0 / NULL when there was none). */
int state_record(struct state *st, int64_t id, const char *email,
                 enum delivery_status status, bool bounce, int code,
                 const char *reply, time_t now, struct nk_err *e);

/* Marks edition id done when nothing is pending or deferred; *done says
 * whether it is. */
int state_edition_finish(struct state *st, int64_t id, time_t now, bool *done,
                         struct nk_err *e);

/* How many deliveries of edition id are in each status. EX_DATAERR when a
 * row holds a status nkdigest does not know. */
int state_counts(struct state *st, int64_t id, long count[DELIVERY_NSTATUS],
                 struct nk_err *e);

/* The id the next edition will get (for previews). */
int state_next_id(struct state *st, int64_t *id, struct nk_err *e);

/* Whether email is on the suppression list (compared case-insensitively). */
int state_suppressed(struct state *st, const char *email, bool *suppressed,
                     struct nk_err *e);
int state_suppress(struct state *st, const char *email, const char *reason,
                   time_t now, struct nk_err *e);
/* Hard bounces recorded for email since it was last resubscribed (if
 * ever): deliveries that failed because the address itself is bad (never
 * those that failed for the message, the connection or a time limit) and
 * hard bounce reports read back from the mailbox (state_bounce_report). */
int state_bounces(struct state *st, const char *email, int *n, struct nk_err *e);

/* ---- the suppression list, for the operator, `serve` and `bounces` ---- */

/* The reasons nkdigest writes; import accepts these only. */
#define SUPPRESS_UNSUBSCRIBE "unsubscribe"
#define SUPPRESS_COMPLAINT "complaint"
#define SUPPRESS_BOUNCES "hard bounces"

struct suppression {
	char *email;
	char *reason;
	time_t created;
};

/* Like state_suppress; *added says whether the address was new to the
 * list (an address already on it keeps its first reason and time). */
int state_suppress_new(struct state *st, const char *email, const char *reason,
                       time_t when, bool *added, struct nk_err *e);

/* Adds v[0..n) in one transaction (all or none); *added counts the new
 * ones. */
int state_suppress_all(struct state *st, const struct suppression *v, size_t n,
                       size_t *added, struct nk_err *e);

/* email's entry (*found false when it has none); release s with
 * state_suppression_clear(). */
int state_suppression(struct state *st, const char *email, struct suppression *s,
                      bool *found, struct nk_err *e);
void state_suppression_clear(struct suppression *s);

/* Takes email off the list and restarts its bounce count (the bounces
 * before now no longer count toward bounce_limit). *removed says whether
 * it was on the list. */
int state_unsuppress(struct state *st, const char *email, time_t now, bool *removed,
                     struct nk_err *e);

/* The whole list, oldest first; caller frees with state_suppressions_free. */
int state_suppressions(struct state *st, struct suppression **v, size_t *n,
                       struct nk_err *e);
void state_suppressions_free(struct suppression *v, size_t n);

/* Records a hard bounce for email read from a bounce message. key names
 * the bounce (the bounced message's Message-ID, else the report's own), so
 * the same report read twice counts once: *added says whether it was new.
 * status is the enhanced status code ("5.1.1"). */
int state_bounce_report(struct state *st, const char *email, const char *key,
                        const char *status, time_t now, bool *added, struct nk_err *e);

/* Whether any edition ever had a delivery to email (*mailed). */
int state_mailed(struct state *st, const char *email, bool *mailed, struct nk_err *e);

/* This state file's instance id: 16 random hex digits made when the file
 * was created, the same ever after, so Message-IDs from two state files
 * (two machines, or a fresh file) never collide. A read-only open of a
 * file without one (none existed before nkdigest wrote them) gets a
 * random id that is not kept. */
#define STATE_INSTANCE_LEN 16
int state_instance(struct state *st, char id[STATE_INSTANCE_LEN + 1], struct nk_err *e);

/* The newest editions, newest first, at most max; caller frees *v.
 * EX_DATAERR when an edition has no status. */
int state_summaries(struct state *st, size_t max, struct edition_summary **v,
                    size_t *n, struct nk_err *e);

/* One address for `status --addresses`; the strings are borrowed for the
 * callback only. */
struct address_row {
	int64_t edition;        /* the delivery's edition; 0 when there is none */
	const char *email;
	int code;               /* the server's last reply code; 0 when none */
	const char *reply;      /* its text as journalled; "" when none */
	time_t when;            /* the last attempt, or when it was suppressed */
	const char *reason;     /* suppressed: why (e.g. "bounces"); else "" */
};

/* Calls each for every address whose delivery is `which` (DELIVERY_FAILED
 * or DELIVERY_DEFERRED) in edition (0: in every edition, newest first),
 * with the server's last reply. For DELIVERY_SUPPRESSED and edition 0, the
 * suppression list, newest first, each with the last reply any delivery to
 * it got; for an edition, the deliveries suppressed in it. A non-zero
 * return from each stops the walk and is returned. */
int state_addresses(struct state *st, enum delivery_status which, int64_t edition,
                    int (*each)(const struct address_row *row, void *ud), void *ud,
                    struct nk_err *e);
/* A source's last full answer over HTTP, kept for conditional GET. */
struct feed_cache {
	char *etag;            /* the server's validators; either may be NULL */
	char *last_modified;
	char *body;            /* the document as received (decoded); NUL-ended */
	size_t len;
};

/* The stored answer for url; *c is zeroed when there is none (also in a
 * file from an older nkdigest opened STATE_READ). Release with
 * state_feed_cache_free(). */
int state_feed_cache_get(struct state *st, const char *url, struct feed_cache *c,
                         struct nk_err *e);
/* Stores c (borrowed) as url's answer, replacing the old one; forgets url
 * when c has no body or no validator. Does nothing when st was opened
 * STATE_READ. */
int state_feed_cache_put(struct state *st, const char *url, const struct feed_cache *c,
                         time_t now, struct nk_err *e);
void state_feed_cache_free(struct feed_cache *c);

/* ---- a set of addresses, to find repeats in a list too long to hold ---- */

/* A private temporary database on disk (not the state file; removed when
 * closed), with a small page cache: a set of any size takes the same
 * memory. Addresses compare case-insensitively (ASCII): the local part is
 * case-sensitive by the letter of RFC 5321, but two rows that differ only
 * in case are the same person and must get one copy. Errors: EX_CANTCREAT
 * when no temporary file can be made, EX_IOERR when it cannot be written
 * (a full disk). */
int state_address_set_open(struct address_set **out, struct nk_err *e);
/* Adds email; *repeated says whether it was in the set already. */
int state_address_set_add(struct address_set *s, const char *email, bool *repeated,
                          struct nk_err *e);
/* Takes email out again. */
int state_address_set_forget(struct address_set *s, const char *email, struct nk_err *e);
void state_address_set_close(struct address_set *s);

/* Gives every article of l with published == 0 (its feed has no date for
 * it) the time an earlier run first saw its key, or now when none did; now
 * is recorded unless st was opened STATE_READ, so that the item keeps that
 * time: it is new once, in the next edition, and never again. */
int state_first_seen(struct state *st, struct article_list *l, time_t now,
                     struct nk_err *e);

#endif
