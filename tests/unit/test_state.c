/* test_state.c — state.c: the journal of editions, deliveries and
 * suppressions, and that every question it cannot answer comes back as an
 * error rather than a guess. Each test works on a fresh file in a
 * temporary directory; a second raw SQLite connection plays the part of
 * damage done behind nkdigest's back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state.h"
#include "subscribers.h"
#include "support.h"
#include "xalloc.h"

struct fixture {
	char dir[64];
	char *path;
	struct state *st;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/nkdigest-test-state.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->path = xasprintf("%s/state.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	state_close(f->st);
	char *cmd = xasprintf("rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f->path);
	free(f);
	return 0;
}

static void open_write(struct fixture *f)
{
	struct nk_err e = {0};
	assert_int_equal(state_open(f->path, STATE_WRITE, &f->st, &e), 0);
}

/* Runs sql on the file through a connection of the test's own. */
static void raw(const struct fixture *f, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
	sqlite3_close(db);
}

/* A few subscribers for an edition (the strings are borrowed). */
struct subs {
	struct subscriber v[8];
	size_t n;
};

static void add_sub(struct subs *l, const char *email, const char *tier)
{
	assert_true(l->n < 8);
	l->v[l->n] = (struct subscriber){ (char *)email, (char *)"", (char *)tier,
	                                  (int)l->n + 2 };
	l->n++;
}

static int64_t make_edition(struct fixture *f, const struct subs *subs)
{
	struct article_list arts;
	struct nk_err e = {0};
	int64_t id = 0;
	t_sample_articles(&arts);
	assert_int_equal(state_edition_begin(f->st, &arts, 1000, &id, &e), 0);
	for (size_t i = 0; i < subs->n; i++)
		assert_int_equal(state_edition_add(f->st, id, &subs->v[i], &e), 0);
	assert_int_equal(state_edition_commit(f->st, &e), 0);
	article_list_free(&arts);
	return id;
}

/* What a walk over round `round` of edition id gives: up to max
 * deliveries, copied into v (caller frees the strings with todo_free). */
static size_t todo_walk(struct state *st, int64_t id, int round, struct delivery *v,
                        size_t max)
{
	struct nk_err e = {0};
	struct state_todo *t;
	const struct delivery *d;
	size_t n = 0;
	assert_int_equal(state_todo_open(st, id, round, &t, &e), 0);
	while (state_todo_next(t, &d, &e) == 0 && d) {
		assert_true(n < max);
		v[n] = *d;
		v[n].email = xstrdup(d->email);
		v[n].name = xstrdup(d->name);
		v[n].tier = xstrdup(d->tier);
		n++;
	}
	assert_int_equal(e.code, 0);
	state_todo_close(t);
	return n;
}

static void todo_free(struct delivery *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].email);
		free(v[i].name);
		free(v[i].tier);
	}
}

static void an_edition_freezes_its_articles_and_lists_every_subscriber(void **state)
{
	struct fixture *f = *state;
	struct nk_err e = {0};
	struct subs subs = {0};
	open_write(f);
	add_sub(&subs, "a@x.org", "free");
	add_sub(&subs, "b@x.org", "pro");
	int64_t id = make_edition(f, &subs), next;
	assert_int_equal(id, 1);
	assert_int_equal(state_next_id(f->st, &next, &e), 0);
	assert_int_equal(next, 2);

	struct article_list back = {0}, want;
	time_t created;
	assert_int_equal(state_edition_articles(f->st, id, &back, &created, &e), 0);
	t_sample_articles(&want);
	assert_int_equal(created, 1000);
	assert_int_equal(back.n, want.n);
	for (size_t i = 0; i < back.n; i++) {
		assert_string_equal(back.v[i].key, want.v[i].key);
		assert_string_equal(back.v[i].url, want.v[i].url);
		assert_string_equal(back.v[i].tier, want.v[i].tier);
		assert_int_equal(back.v[i].published, want.v[i].published);
	}
	bool seen;
	assert_int_equal(state_seen(f->st, "s\td21", &seen, &e), 0);
	assert_true(seen);
	assert_int_equal(state_seen(f->st, "s\tnever", &seen, &e), 0);
	assert_false(seen);

	struct delivery todo[4];
	size_t n = todo_walk(f->st, id, 0, todo, 4);
	assert_int_equal(n, 2);
	assert_string_equal(todo[0].email, "a@x.org");
	assert_string_equal(todo[1].tier, "pro");
	assert_int_equal(todo[0].first_try, 0);
	todo_free(todo, n);
	article_list_free(&back);
	article_list_free(&want);
}

static void recorded_replies_finish_the_edition(void **state)
{
	struct fixture *f = *state;
	struct nk_err e = {0};
	struct subs subs = {0};
	long count[DELIVERY_NSTATUS];
	bool done;
	open_write(f);
	add_sub(&subs, "a@x.org", "free");
	add_sub(&subs, "b@x.org", "free");
	int64_t id = make_edition(f, &subs);
	assert_int_equal(state_record(f->st, id, "a@x.org", DELIVERY_SENT, false, 250, "250 ok",
	                              2000, &e), 0);
	assert_int_equal(state_record(f->st, id, "b@x.org", DELIVERY_DEFERRED, false, 451,
	                              "451 later", 2000, &e), 0);
	assert_int_equal(state_edition_finish(f->st, id, 2001, &done, &e), 0);
	assert_false(done);   /* b is deferred */
	assert_int_equal(state_counts(f->st, id, count, &e), 0);
	assert_int_equal(count[DELIVERY_SENT], 1);
	assert_int_equal(count[DELIVERY_DEFERRED], 1);

	struct delivery todo[4];
	size_t n = todo_walk(f->st, id, 0, todo, 4);
	assert_int_equal(n, 1);
	assert_int_equal(todo[0].first_try, 2000);
	todo_free(todo, n);

	assert_int_equal(state_record(f->st, id, "b@x.org", DELIVERY_FAILED, true, 550, "550 no",
	                              3000, &e), 0);
	assert_int_equal(state_edition_finish(f->st, id, 3001, &done, &e), 0);
	assert_true(done);
	int bounces;
	assert_int_equal(state_bounces(f->st, "B@x.org", &bounces, &e), 0);
	assert_int_equal(bounces, 1);
}

static void suppressed_addresses_match_in_any_case(void **state)
{
	struct fixture *f = *state;
	struct nk_err e = {0};
	struct subs subs = {0};
	bool sup;
	open_write(f);
	assert_int_equal(state_suppress(f->st, "Gone@X.org", "unsubscribed", 5, &e), 0);
	assert_int_equal(state_suppressed(f->st, "gone@x.org", &sup, &e), 0);
	assert_true(sup);
	assert_int_equal(state_suppressed(f->st, "here@x.org", &sup, &e), 0);
	assert_false(sup);
	add_sub(&subs, "gone@x.org", "free");
	add_sub(&subs, "here@x.org", "free");
	int64_t id = make_edition(f, &subs);
	long count[DELIVERY_NSTATUS];
	assert_int_equal(state_counts(f->st, id, count, &e), 0);
	assert_int_equal(count[DELIVERY_SUPPRESSED], 1);
	assert_int_equal(count[DELIVERY_PENDING], 1);
}

/* A suppression list that cannot be read must not read as "not
 * suppressed": that would mail someone who asked not to be mailed. */
static void an_unreadable_suppression_list_is_an_error_not_a_no(void **state)
{
	struct fixture *f = *state;
	struct nk_err e = {0};
	bool sup = true;
	open_write(f);
	raw(f, "DROP TABLE suppressions");
	assert_int_equal(state_suppressed(f->st, "a@x.org", &sup, &e), EX_DATAERR);
	assert_non_null(strstr(e.msg, f->path));
	assert_non_null(strstr(e.msg, "suppression"));
	int n;
	raw(f, "DROP TABLE deliveries");
	assert_int_equal(state_bounces(f->st, "a@x.org", &n, &e), EX_DATAERR);
}

static void an_unknown_delivery_status_is_an_error(void **state)
{
	struct fixture *f = *state;
	struct nk_err e = {0};
	struct subs subs = {0};
	long count[DELIVERY_NSTATUS];
	open_write(f);
	add_sub(&subs, "a@x.org", "free");
	int64_t id = make_edition(f, &subs);
	raw(f, "UPDATE deliveries SET status = 'lost'");
	assert_int_equal(state_counts(f->st, id, count, &e), EX_DATAERR);
	assert_non_null(strstr(e.msg, "'lost'"));
}

static void damaged_frozen_articles_are_reported(void **state)
{
	struct fixture *f = *state;
	struct nk_err e = {0};
	struct subs subs = {0};
	struct article_list l = {0};
	time_t created;
	open_write(f);
	add_sub(&subs, "a@x.org", "free");
	int64_t id = make_edition(f, &subs);
	raw(f, "UPDATE editions SET articles = '[{\"key\": 1}]'");
	assert_int_equal(state_edition_articles(f->st, id, &l, &created, &e), EX_DATAERR);
	assert_int_equal(l.n, 0);
	assert_int_equal(state_edition_articles(f->st, 99, &l, &created, &e), EX_DATAERR);
	assert_non_null(strstr(e.msg, "edition 99 is missing"));
}

/* A file written by other means may lack a NOT NULL constraint, and so
 * hold rows nkdigest never writes: it is refused when opened, by readers
 * and writers alike, naming the column, instead of misread later. */
static void a_file_with_another_schema_is_refused_when_opened(void **state)
{
	struct fixture *f = *state;
	struct nk_err e = {0};
	open_write(f);
	state_close(f->st);
	f->st = NULL;
	raw(f, "ALTER TABLE editions RENAME TO old;"
	       "CREATE TABLE editions(id INTEGER PRIMARY KEY, created INTEGER NOT NULL,"
	       " status TEXT, narticles INTEGER NOT NULL, articles TEXT NOT NULL,"
	       " finished INTEGER);"
	       "INSERT INTO editions VALUES(1, 0, NULL, 0, '[]', NULL);");
	assert_int_equal(state_open(f->path, STATE_READ, &f->st, &e), EX_DATAERR);
	assert_non_null(strstr(e.msg, "column editions.status is \"TEXT\", expected "
	                              "\"TEXT NOT NULL\""));
	assert_int_equal(state_open(f->path, STATE_WRITE, &f->st, &e), EX_DATAERR);
	assert_null(f->st);
}

/* The first file format had no bounce flag: opening it for writing adds
 * it in one go, counting as bounces only the 5xx replies to RCPT. */
static void a_version_1_file_is_upgraded(void **state)
{
	struct fixture *f = *state;
	struct nk_err e = {0};
	struct subs subs = {0};
	open_write(f);
	add_sub(&subs, "a@x.org", "free");
	add_sub(&subs, "b@x.org", "free");
	int64_t id = make_edition(f, &subs);
	state_close(f->st);
	f->st = NULL;
	raw(f, "ALTER TABLE deliveries DROP COLUMN bounce;"
	       "UPDATE meta SET value = '1' WHERE key = 'schema';"
	       "UPDATE deliveries SET status = 'failed', code = 550,"
	       " reply = '550 5.1.1 unknown (after RCPT)' WHERE email = 'a@x.org';"
	       "UPDATE deliveries SET status = 'failed', code = 554,"
	       " reply = '554 5.7.1 content rejected (after DATA)' WHERE email = 'b@x.org';");
	/* A reader takes it as it is and changes nothing. */
	assert_int_equal(state_open(f->path, STATE_READ, &f->st, &e), 0);
	long count[DELIVERY_NSTATUS];
	assert_int_equal(state_counts(f->st, id, count, &e), 0);
	assert_int_equal(count[DELIVERY_FAILED], 2);
	state_close(f->st);
	open_write(f);
	int n;
	assert_int_equal(state_bounces(f->st, "a@x.org", &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(state_bounces(f->st, "b@x.org", &n, &e), 0);
	assert_int_equal(n, 0);
}

static void a_file_from_a_newer_nkdigest_is_refused(void **state)
{
	struct fixture *f = *state;
	struct nk_err e = {0};
	open_write(f);
	raw(f, "UPDATE meta SET value = '99' WHERE key = 'schema'");
	state_close(f->st);
	f->st = NULL;
	assert_int_equal(state_open(f->path, STATE_READ, &f->st, &e), EX_DATAERR);
	assert_non_null(strstr(e.msg, "newer nkdigest (schema 99"));
}

static void reading_a_missing_file_creates_nothing(void **state)
{
	struct fixture *f = *state;
	struct nk_err e = {0};
	int64_t next;
	bool sup;
	assert_int_equal(state_open(f->path, STATE_READ, &f->st, &e), 0);
	assert_int_equal(state_next_id(f->st, &next, &e), 0);
	assert_int_equal(next, 1);
	assert_int_equal(state_suppressed(f->st, "a@x.org", &sup, &e), 0);
	assert_false(sup);
	assert_int_not_equal(access(f->path, F_OK), 0);
}

static void a_second_writer_is_turned_away(void **state)
{
	struct fixture *f = *state;
	struct nk_err e = {0};
	struct state *other = NULL;
	open_write(f);
	assert_int_equal(state_open(f->path, STATE_WRITE, &other, &e), EX_TEMPFAIL);
	assert_null(other);
	assert_non_null(strstr(e.msg, "another nkdigest send is running"));
}

static void a_file_that_is_not_ours_is_refused(void **state)
{
	struct fixture *f = *state;
	struct nk_err e = {0};
	FILE *fp = fopen(f->path, "w");
	assert_non_null(fp);
	fputs("this is not a database, just text that is long enough to look like one"
	      " to nobody at all", fp);
	fclose(fp);
	assert_int_equal(state_open(f->path, STATE_READ, &f->st, &e), EX_DATAERR);
	assert_non_null(strstr(e.msg, f->path));
}

/* The shared mode writes beside a running send (which holds the lock),
 * and what it writes is what the sender reads next. */
static void a_shared_open_works_beside_the_sender(void **state)
{
	struct fixture *f = *state;
	struct nk_err e = {0};
	struct state *other = NULL;
	bool sup, added;
	open_write(f);
	assert_int_equal(state_open(f->path, STATE_SHARED, &other, &e), 0);
	assert_int_equal(state_suppress_new(other, "late@x.org", SUPPRESS_UNSUBSCRIBE, 7,
	                                    &added, &e), 0);
	assert_true(added);
	assert_int_equal(state_suppress_new(other, "LATE@x.org", SUPPRESS_COMPLAINT, 8,
	                                    &added, &e), 0);
	assert_false(added);   /* already there: its first reason stays */
	assert_int_equal(state_suppressed(f->st, "late@x.org", &sup, &e), 0);
	assert_true(sup);
	struct suppression s;
	bool found;
	assert_int_equal(state_suppression(f->st, "late@X.org", &s, &found, &e), 0);
	assert_true(found);
	assert_string_equal(s.reason, SUPPRESS_UNSUBSCRIBE);
	assert_int_equal(s.created, 7);
	state_suppression_clear(&s);
	state_close(other);
	/* Still no second sender. */
	assert_int_equal(state_open(f->path, STATE_WRITE, &other, &e), EX_TEMPFAIL);
}

static void the_instance_id_is_made_once_and_kept(void **state)
{
	struct fixture *f = *state;
	struct nk_err e = {0};
	char a[STATE_INSTANCE_LEN + 1], b[STATE_INSTANCE_LEN + 1];
	assert_int_equal(state_open(f->path, STATE_SHARED, &f->st, &e), 0);
	assert_int_equal(state_instance(f->st, a, &e), 0);
	assert_int_equal(strlen(a), STATE_INSTANCE_LEN);
	assert_int_equal(strspn(a, "0123456789abcdef"), STATE_INSTANCE_LEN);
	state_close(f->st);
	open_write(f);
	assert_int_equal(state_instance(f->st, b, &e), 0);
	assert_string_equal(a, b);
	state_close(f->st);
	assert_int_equal(state_open(f->path, STATE_READ, &f->st, &e), 0);
	assert_int_equal(state_instance(f->st, b, &e), 0);
	assert_string_equal(a, b);
	/* Another file, another id. */
	state_close(f->st);
	f->st = NULL;
	char *other = xasprintf("%s/other.db", f->dir);
	struct state *st2;
	assert_int_equal(state_open(other, STATE_WRITE, &st2, &e), 0);
	assert_int_equal(state_instance(st2, b, &e), 0);
	assert_string_not_equal(a, b);
	state_close(st2);
	free(other);
	/* Damage is reported, not used. */
	raw(f, "UPDATE meta SET value = 'x''; DROP' WHERE key = 'instance'");
	open_write(f);
	assert_int_equal(state_instance(f->st, b, &e), EX_DATAERR);
}

/* Bounce reports count like failed deliveries, once per bounced message,
 * and a resubscription starts the count again. */
static void bounce_reports_count_once_and_restart_on_resubscribe(void **state)
{
	struct fixture *f = *state;
	struct nk_err e = {0};
	struct subs subs = {0};
	bool added, removed;
	int n;
	open_write(f);
	add_sub(&subs, "b@x.org", "free");
	int64_t id = make_edition(f, &subs);
	assert_int_equal(state_record(f->st, id, "b@x.org", DELIVERY_FAILED, true, 550,
	                              "550 no", 100, &e), 0);
	assert_int_equal(state_bounce_report(f->st, "B@x.org", "<m1@x>", "5.1.1", 200,
	                                     &added, &e), 0);
	assert_true(added);
	assert_int_equal(state_bounce_report(f->st, "b@x.org", "<m1@x>", "5.1.1", 201,
	                                     &added, &e), 0);
	assert_false(added);
	assert_int_equal(state_bounces(f->st, "b@x.org", &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(state_suppress(f->st, "b@x.org", SUPPRESS_BOUNCES, 300, &e), 0);
	assert_int_equal(state_unsuppress(f->st, "B@X.org", 400, &removed, &e), 0);
	assert_true(removed);
	assert_int_equal(state_bounces(f->st, "b@x.org", &n, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(state_bounce_report(f->st, "b@x.org", "<m2@x>", "5.1.1", 500,
	                                     &added, &e), 0);
	assert_int_equal(state_bounces(f->st, "b@x.org", &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(state_unsuppress(f->st, "never@x.org", 600, &removed, &e), 0);
	assert_false(removed);
}

static void the_list_comes_back_whole_and_imports_are_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	struct nk_err e = {0};
	size_t added;
	open_write(f);
	assert_int_equal(state_suppress(f->st, "old@x.org", SUPPRESS_COMPLAINT, 10, &e), 0);
	struct suppression in[] = {
		{ "new@x.org", SUPPRESS_UNSUBSCRIBE, 20 },
		{ "OLD@x.org", SUPPRESS_UNSUBSCRIBE, 30 },
		{ "b@x.org", SUPPRESS_BOUNCES, 5 },
	};
	assert_int_equal(state_suppress_all(f->st, in, 3, &added, &e), 0);
	assert_int_equal(added, 2);
	struct suppression *v;
	size_t n;
	assert_int_equal(state_suppressions(f->st, &v, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].email, "b@x.org");     /* oldest first */
	assert_string_equal(v[1].email, "old@x.org");
	assert_string_equal(v[1].reason, SUPPRESS_COMPLAINT);
	assert_string_equal(v[2].email, "new@x.org");
	assert_int_equal(v[2].created, 20);
	state_suppressions_free(v, n);
	/* A failure half-way leaves nothing of the import behind. */
	raw(f, "CREATE TRIGGER no_z BEFORE INSERT ON suppressions WHEN new.email = 'z@x.org'"
	    " BEGIN SELECT RAISE(ABORT, 'refused'); END");
	struct suppression bad[] = {
		{ "y@x.org", SUPPRESS_UNSUBSCRIBE, 40 },
		{ "z@x.org", SUPPRESS_UNSUBSCRIBE, 41 },
	};
	assert_int_not_equal(state_suppress_all(f->st, bad, 2, &added, &e), 0);
	assert_int_equal(added, 0);
	bool sup;
	assert_int_equal(state_suppressed(f->st, "y@x.org", &sup, &e), 0);
	assert_false(sup);
}

static void the_feed_cache_keeps_one_answer_per_url(void **state)
{
	struct fixture *f = *state;
	struct nk_err e = {0};
	struct feed_cache c;
	open_write(f);
	assert_int_equal(state_feed_cache_get(f->st, "https://x.org/f", &c, &e), 0);
	assert_null(c.body);
	struct feed_cache put = { "\"v1\"", NULL, "{\"a\":\0}", 7 };
	assert_int_equal(state_feed_cache_put(f->st, "https://x.org/f", &put, 100, &e), 0);
	put = (struct feed_cache){ "\"v2\"", "Sat, 21 May 2022 01:00:00 GMT", "[2]", 3 };
	assert_int_equal(state_feed_cache_put(f->st, "https://x.org/f", &put, 200, &e), 0);
	assert_int_equal(state_feed_cache_get(f->st, "https://x.org/f", &c, &e), 0);
	assert_string_equal(c.etag, "\"v2\"");
	assert_string_equal(c.last_modified, "Sat, 21 May 2022 01:00:00 GMT");
	assert_int_equal(c.len, 3);
	assert_memory_equal(c.body, "[2]", 3);
	state_feed_cache_free(&c);
	/* An answer without validators cannot be asked about: forgotten. */
	put = (struct feed_cache){ NULL, NULL, "[3]", 3 };
	assert_int_equal(state_feed_cache_put(f->st, "https://x.org/f", &put, 300, &e), 0);
	assert_int_equal(state_feed_cache_get(f->st, "https://x.org/f", &c, &e), 0);
	assert_null(c.body);
	/* Binary bodies survive whole. */
	put = (struct feed_cache){ "e", NULL, "a\0b", 3 };
	assert_int_equal(state_feed_cache_put(f->st, "https://x.org/g", &put, 300, &e), 0);
	assert_int_equal(state_feed_cache_get(f->st, "https://x.org/g", &c, &e), 0);
	assert_int_equal(c.len, 3);
	assert_memory_equal(c.body, "a\0b", 3);
	state_feed_cache_free(&c);
}

static void undated_items_keep_the_time_first_seen(void **state)
{
	struct fixture *f = *state;
	struct nk_err e = {0};
	struct article_list l = {0};
	open_write(f);
	t_add_article(&l, "dated", "2022-05-21T10:00:00+09:00", "free");
	t_add_article(&l, "undated", "2022-05-21T10:00:00+09:00", "free");
	time_t dated = l.v[0].published;
	l.v[1].published = 0;
	assert_int_equal(state_first_seen(f->st, &l, 5000, &e), 0);
	assert_int_equal(l.v[0].published, dated);
	assert_int_equal(l.v[1].published, 5000);
	/* A day later the same item still has the first time. */
	l.v[1].published = 0;
	assert_int_equal(state_first_seen(f->st, &l, 5000 + 86400, &e), 0);
	assert_int_equal(l.v[1].published, 5000);
	state_close(f->st);

	/* A read-only look records nothing new but sees what was recorded. */
	assert_int_equal(state_open(f->path, STATE_READ, &f->st, &e), 0);
	t_add_article(&l, "other", "2022-05-21T10:00:00+09:00", "free");
	l.v[1].published = l.v[2].published = 0;
	assert_int_equal(state_first_seen(f->st, &l, 9000, &e), 0);
	assert_int_equal(l.v[1].published, 5000);
	assert_int_equal(l.v[2].published, 9000);
	state_close(f->st);
	f->st = NULL;
	open_write(f);
	l.v[2].published = 0;
	assert_int_equal(state_first_seen(f->st, &l, 12000, &e), 0);
	assert_int_equal(l.v[2].published, 12000);
	article_list_free(&l);
}

static void an_older_file_read_only_has_nothing_cached(void **state)
{
	struct fixture *f = *state;
	struct nk_err e = {0};
	struct feed_cache c;
	struct article_list l = {0};
	open_write(f);
	state_close(f->st);
	f->st = NULL;
	raw(f, "DROP TABLE feed_cache; DROP TABLE first_seen;");
	assert_int_equal(state_open(f->path, STATE_READ, &f->st, &e), 0);
	assert_int_equal(state_feed_cache_get(f->st, "https://x.org/f", &c, &e), 0);
	assert_null(c.body);
	t_add_article(&l, "undated", "2022-05-21T10:00:00+09:00", "free");
	l.v[0].published = 0;
	assert_int_equal(state_first_seen(f->st, &l, 777, &e), 0);
	assert_int_equal(l.v[0].published, 777);
	article_list_free(&l);
}

/* An edition of n subscribers reader0..reader(n-1)@x.org, recorded row by
 * row as send records it. */
static int64_t make_big_edition(struct fixture *f, int n)
{
	struct article_list arts;
	struct nk_err e = {0};
	int64_t id = 0;
	char email[64];
	static int made;
	t_sample_articles(&arts);
	/* An article goes into one edition only: each gets keys of its own. */
	made++;
	for (size_t i = 0; i < arts.n; i++) {
		char *key = xasprintf("%s#%d", arts.v[i].key, made);
		free(arts.v[i].key);
		arts.v[i].key = key;
	}
	assert_int_equal(state_edition_begin(f->st, &arts, 1000, &id, &e), 0);
	for (int i = 0; i < n; i++) {
		snprintf(email, sizeof email, "reader%d@x.org", i);
		struct subscriber s = { email, (char *)"", (char *)"free", i + 2 };
		assert_int_equal(state_edition_add(f->st, id, &s, &e), 0);
	}
	assert_int_equal(state_edition_commit(f->st, &e), 0);
	article_list_free(&arts);
	return id;
}

/* The walk reads the journal a batch at a time while the replies are
 * journalled: each delivery comes once, in list order, only its
 * edition's, and a retry round has exactly what was put back for it. */
static void a_walk_gives_each_delivery_once_in_order_as_replies_are_journalled(void **state)
{
	struct fixture *f = *state;
	struct nk_err e = {0};
	enum { N = 1000 };   /* several batches */
	open_write(f);
	int64_t other = make_big_edition(f, 10);
	int64_t id = make_big_edition(f, N);
	int64_t later = make_big_edition(f, 10);
	assert_int_equal(state_record(f->st, id, "reader5@x.org", DELIVERY_SENT, false, 250,
	                              "250 ok", 1500, &e), 0);
	assert_int_equal(state_record(f->st, id, "reader6@x.org", DELIVERY_DEFERRED, false, 451,
	                              "451 later", 1500, &e), 0);

	struct state_todo *t;
	const struct delivery *d;
	int want = 0, given = 0, put_back = 0;
	assert_int_equal(state_todo_open(f->st, id, 0, &t, &e), 0);
	while (state_todo_next(t, &d, &e) == 0 && d) {
		if (want == 5)
			want++;   /* sent before the walk */
		char email[64];
		snprintf(email, sizeof email, "reader%d@x.org", want);
		assert_string_equal(d->email, email);
		assert_int_equal(d->first_try, want == 6 ? 1500 : 0);
		/* Every third is deferred again and put back for round 1. */
		bool again = want % 3 == 0;
		assert_int_equal(state_record(f->st, id, d->email, again ? DELIVERY_DEFERRED
		                              : DELIVERY_SENT, false, again ? 451 : 250, "r",
		                              2000, &e), 0);
		if (again) {
			assert_int_equal(state_todo_again(f->st, id, d, 1, &e), 0);
			put_back++;
		}
		want++;
		given++;
	}
	assert_int_equal(e.code, 0);
	state_todo_close(t);
	assert_int_equal(given, N - 1);

	/* Round 1: those put back, in order, with their first try. */
	assert_int_equal(state_todo_open(f->st, id, 1, &t, &e), 0);
	int round1 = 0, prev = -1;
	while (state_todo_next(t, &d, &e) == 0 && d) {
		int i = atoi(d->email + strlen("reader"));
		assert_true(i % 3 == 0 && i > prev);
		assert_int_equal(d->first_try, i == 6 ? 1500 : 2000);
		prev = i;
		round1++;
	}
	state_todo_close(t);
	assert_int_equal(round1, put_back);
	/* Round 2 has nothing put back; the other editions were not touched. */
	struct delivery v[16];
	assert_int_equal(todo_walk(f->st, id, 2, v, 16), 0);
	assert_int_equal(todo_walk(f->st, other, 0, v, 16), 10);
	todo_free(v, 10);
	assert_int_equal(todo_walk(f->st, later, 0, v, 16), 10);
	todo_free(v, 10);
	/* An edition with no deliveries walks to the end at once. */
	assert_int_equal(todo_walk(f->st, 99, 0, v, 16), 0);
}

/* An edition being recorded that is abandoned (no valid subscriber, or a
 * failure half-way) leaves nothing behind: its articles stay new. */
static void an_abandoned_edition_records_nothing(void **state)
{
	struct fixture *f = *state;
	struct nk_err e = {0};
	struct article_list arts;
	int64_t id, next;
	bool seen;
	open_write(f);
	t_sample_articles(&arts);
	assert_int_equal(state_edition_begin(f->st, &arts, 1000, &id, &e), 0);
	struct subscriber s = { (char *)"a@x.org", (char *)"", (char *)"free", 2 };
	assert_int_equal(state_edition_add(f->st, id, &s, &e), 0);
	/* The same address twice is refused by the journal itself. */
	assert_int_equal(state_edition_add(f->st, id, &s, &e), EX_DATAERR);
	state_edition_abort(f->st);
	article_list_free(&arts);
	assert_int_equal(state_next_id(f->st, &next, &e), 0);
	assert_int_equal(next, 1);
	assert_int_equal(state_seen(f->st, "s\td21", &seen, &e), 0);
	assert_false(seen);
	assert_int_equal(state_edition_add(f->st, id, &s, &e), EX_SOFTWARE);
}

static void the_address_set_finds_repeats_in_any_case(void **state)
{
	(void)state;
	struct nk_err e = {0};
	struct address_set *set;
	bool repeated;
	assert_int_equal(state_address_set_open(&set, &e), 0);
	assert_int_equal(state_address_set_add(set, "Jane@x.org", &repeated, &e), 0);
	assert_false(repeated);
	assert_int_equal(state_address_set_add(set, "jane@X.ORG", &repeated, &e), 0);
	assert_true(repeated);
	assert_int_equal(state_address_set_add(set, "john@x.org", &repeated, &e), 0);
	assert_false(repeated);
	assert_int_equal(state_address_set_forget(set, "JANE@x.org", &e), 0);
	assert_int_equal(state_address_set_add(set, "jane@x.org", &repeated, &e), 0);
	assert_false(repeated);
	/* Many more than its page cache holds. */
	char email[64];
	for (int i = 0; i < 200000; i++) {
		snprintf(email, sizeof email, "reader%d@example.org", i);
		assert_int_equal(state_address_set_add(set, email, &repeated, &e), 0);
		assert_false(repeated);
	}
	assert_int_equal(state_address_set_add(set, "READER4711@example.org", &repeated, &e), 0);
	assert_true(repeated);
	state_address_set_close(set);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(an_edition_freezes_its_articles_and_lists_every_subscriber),
		T(recorded_replies_finish_the_edition),
		T(suppressed_addresses_match_in_any_case),
		T(an_unreadable_suppression_list_is_an_error_not_a_no),
		T(an_unknown_delivery_status_is_an_error),
		T(damaged_frozen_articles_are_reported),
		T(a_file_with_another_schema_is_refused_when_opened),
		T(a_version_1_file_is_upgraded),
		T(a_file_from_a_newer_nkdigest_is_refused),
		T(reading_a_missing_file_creates_nothing),
		T(a_second_writer_is_turned_away),
		T(a_file_that_is_not_ours_is_refused),
		T(a_shared_open_works_beside_the_sender),
		T(the_instance_id_is_made_once_and_kept),
		T(bounce_reports_count_once_and_restart_on_resubscribe),
		T(the_list_comes_back_whole_and_imports_are_all_or_nothing),
		T(the_feed_cache_keeps_one_answer_per_url),
		T(undated_items_keep_the_time_first_seen),
		T(an_older_file_read_only_has_nothing_cached),
		T(a_walk_gives_each_delivery_once_in_order_as_replies_are_journalled),
		T(an_abandoned_edition_records_nothing),
		T(the_address_set_finds_repeats_in_any_case),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
