/* state.c — the SQLite state file: editions, delivery journal, suppressions. */
#include "state.h"
#include "subscribers.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

struct state {
	sqlite3 *db;
	char *path;
	int lock_fd;               /* -1 unless STATE_WRITE */
	sqlite3_stmt *seen;        /* prepared once: asked for every article */
	sqlite3_stmt *record;      /* prepared once: run after every SMTP reply */
	sqlite3_stmt *suppressed;
	sqlite3_stmt *add;         /* between state_edition_begin and commit/abort */
	bool again_table;          /* temp.todo_again exists */
};

static const char *status_names[DELIVERY_NSTATUS] = {
	"pending", "sent", "deferred", "failed", "suppressed",
};

static const char *delivery_status_name(enum delivery_status s)
{
	return (unsigned)s < DELIVERY_NSTATUS ? status_names[s] : "?";
}

/* -1 for a status this version does not know (or NULL). */
static int status_from_name(const char *s)
{
	for (int i = 0; i < DELIVERY_NSTATUS; i++)
		if (s && !strcmp(s, status_names[i]))
			return i;
	return -1;
}

/* The exit code for what SQLite last reported (see state.h). */
static int db_code(sqlite3 *db)
{
	switch (sqlite3_errcode(db) & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return EX_TEMPFAIL;
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
		return EX_CANTCREAT;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_ERROR:      /* e.g. a table or column that is not there */
	case SQLITE_MISMATCH:
	case SQLITE_CONSTRAINT:
		return EX_DATAERR;
	case SQLITE_NOMEM:
		xalloc_die();
	default:
		return EX_IOERR;    /* SQLITE_FULL, SQLITE_IOERR, ... */
	}
}

static int db_fail(struct state *st, struct nk_err *e, const char *what)
{
	return nk_fail(e, db_code(st->db), "%s: %s: %s", st->path, what,
	               sqlite3_errmsg(st->db));
}

/* Version 1, the tables as first released. A new file gets these and then
 * every migration below, so that a new file and an upgraded one always
 * have the same tables; and the tables a version should have are known by
 * building them in memory (expected()). */
static const char schema_v1[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
	"CREATE TABLE IF NOT EXISTS editions("
	"  id INTEGER PRIMARY KEY,"
	"  created INTEGER NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'open',"      /* open | done */
	"  narticles INTEGER NOT NULL,"
	"  articles TEXT NOT NULL,"                   /* frozen JSON array */
	"  finished INTEGER);"
	"CREATE TABLE IF NOT EXISTS edition_articles("
	"  key TEXT PRIMARY KEY,"
	"  edition INTEGER NOT NULL REFERENCES editions(id));"
	"CREATE TABLE IF NOT EXISTS deliveries("
	"  edition INTEGER NOT NULL REFERENCES editions(id),"
	"  email TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  tier TEXT NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'pending',"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  first_try INTEGER,"
	"  last_try INTEGER,"
	"  code INTEGER,"
	"  reply TEXT,"
	"  PRIMARY KEY(edition, email));"
	"CREATE INDEX IF NOT EXISTS deliveries_status ON deliveries(edition, status);"
	"CREATE INDEX IF NOT EXISTS deliveries_email ON deliveries(email COLLATE NOCASE);"
	"CREATE TABLE IF NOT EXISTS suppressions("
	"  email TEXT PRIMARY KEY COLLATE NOCASE,"
	"  reason TEXT NOT NULL,"
	"  created INTEGER NOT NULL);"
	/* Hard bounces read back from the mailbox (`bounces`); key names the
	 * bounced message so a report read twice counts once. */
	"CREATE TABLE IF NOT EXISTS bounce_reports("
	"  email TEXT NOT NULL COLLATE NOCASE,"
	"  key TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  PRIMARY KEY(email, key));"
	/* When an address was last taken off the list: its bounces before
	 * then no longer count. */
	"CREATE TABLE IF NOT EXISTS resubscriptions("
	"  email TEXT PRIMARY KEY COLLATE NOCASE,"
	"  created INTEGER NOT NULL);"
	/* The last full answer of each HTTP source, for conditional GET. */
	"CREATE TABLE IF NOT EXISTS feed_cache("
	"  url TEXT PRIMARY KEY,"
	"  etag TEXT,"
	"  last_modified TEXT,"
	"  body BLOB NOT NULL,"
	"  fetched INTEGER NOT NULL);"
	/* When an item without a date was first seen (its article key). */
	"CREATE TABLE IF NOT EXISTS first_seen("
	"  key TEXT PRIMARY KEY,"
	"  seen INTEGER NOT NULL);";

/* Each later version, as the SQL that upgrades the one before. Append
 * only; a step runs in the same transaction as the rest of the upgrade. */
static const struct migration {
	int version;
	const char *sql;
} migrations[] = {
	/* 2: a delivery says whether it was a hard bounce. Before, every
	 * failed delivery counted, even a message refused for its content
	 * or given up after retry_for; only a 5xx to RCPT is kept as one. */
	{ 2, "ALTER TABLE deliveries ADD COLUMN bounce INTEGER NOT NULL DEFAULT 0;"
	     "UPDATE deliveries SET bounce = 1 WHERE status = 'failed'"
	     " AND code BETWEEN 500 AND 599 AND reply LIKE '%(after RCPT)';" },
};
#define SCHEMA_VERSION 2

/* An in-memory database with the tables of the given version. */
static sqlite3 *expected(int version)
{
	sqlite3 *db;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		xalloc_die();
	int r = sqlite3_exec(db, schema_v1, NULL, NULL, NULL);
	for (size_t i = 0; r == SQLITE_OK && i < sizeof migrations / sizeof *migrations; i++)
		if (migrations[i].version <= version)
			r = sqlite3_exec(db, migrations[i].sql, NULL, NULL, NULL);
	if (r != SQLITE_OK)
		abort();   /* our own SQL above is wrong: caught by every test */
	return db;
}

/* The schema version written in the file: 0 when the file holds no tables
 * at all (new or empty). */
static int file_version(struct state *st, int *version, struct nk_err *e)
{
	sqlite3_stmt *q;
	*version = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM main.sqlite_master", -1, &q,
	                       NULL) != SQLITE_OK)
		return nk_fail(e, db_code(st->db) == EX_TEMPFAIL ? EX_TEMPFAIL : EX_DATAERR,
		               "%s: not an nkdigest state file (%s)", st->path,
		               sqlite3_errmsg(st->db));
	int r = sqlite3_step(q);
	int objects = r == SQLITE_ROW ? sqlite3_column_int(q, 0) : -1;
	sqlite3_finalize(q);
	if (objects < 0)
		return nk_fail(e, db_code(st->db) == EX_TEMPFAIL ? EX_TEMPFAIL : EX_DATAERR,
		               "%s: not an nkdigest state file (%s)", st->path,
		               sqlite3_errmsg(st->db));
	if (objects == 0)
		return 0;
	const char *v = NULL;
	if (sqlite3_prepare_v2(st->db, "SELECT value FROM main.meta WHERE key = 'schema'",
	                       -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		v = (const char *)sqlite3_column_text(q, 0);
	char *end = NULL;
	long n = v ? strtol(v, &end, 10) : 0;
	bool ok = v && *v && !*end && n >= 1;
	sqlite3_finalize(q);
	if (!ok)
		return nk_fail(e, EX_DATAERR, "%s: not an nkdigest state file (it has tables "
		               "but no schema version)", st->path);
	if (n > SCHEMA_VERSION)
		return nk_fail(e, EX_DATAERR, "%s: written by a newer nkdigest (schema %ld; "
		               "this one knows up to %d)", st->path, n, SCHEMA_VERSION);
	*version = (int)n;
	return 0;
}

/* One column as PRAGMA table_info describes it. */
struct column { char name[64], type[32]; int notnull, pk; };

static int columns(sqlite3 *db, const char *table, struct column *v, int max)
{
	char *sql = sqlite3_mprintf("PRAGMA main.table_info(\"%w\")", table);
	sqlite3_stmt *q;
	int n = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
		sqlite3_free(sql);
		return -1;
	}
	int r;
	while ((r = sqlite3_step(q)) == SQLITE_ROW && n < max) {
		const char *name = (const char *)sqlite3_column_text(q, 1);
		const char *type = (const char *)sqlite3_column_text(q, 2);
		snprintf(v[n].name, sizeof v[n].name, "%s", name ? name : "");
		snprintf(v[n].type, sizeof v[n].type, "%s", type ? type : "");
		v[n].notnull = sqlite3_column_int(q, 3);
		v[n].pk = sqlite3_column_int(q, 5);
		n++;
	}
	sqlite3_finalize(q);
	sqlite3_free(sql);
	return r == SQLITE_DONE || r == SQLITE_ROW ? n : -1;
}

#define MAX_COLUMNS 32

/* Checks that the file has the tables of `want` with exactly their
 * columns, types, NOT NULL and key constraints: a file written by other
 * means, or damaged, is refused here rather than misread later. A table
 * the file lacks altogether is an error, except for a reader, which gets
 * an empty temporary stand-in (the file is not changed; the next send
 * adds the table). */
static int validate(struct state *st, sqlite3 *want, bool reader, struct nk_err *e)
{
	sqlite3_stmt *q;
	int rc = 0;
	if (sqlite3_prepare_v2(want, "SELECT name, sql FROM sqlite_master WHERE type = "
	                       "'table' ORDER BY name", -1, &q, NULL) != SQLITE_OK)
		abort();
	while (!rc && sqlite3_step(q) == SQLITE_ROW) {
		const char *table = (const char *)sqlite3_column_text(q, 0);
		const char *sql = (const char *)sqlite3_column_text(q, 1);
		struct column have[MAX_COLUMNS], need[MAX_COLUMNS];
		int nn = columns(want, table, need, MAX_COLUMNS);
		int nh = columns(st->db, table, have, MAX_COLUMNS);
		if (nh < 0) {
			rc = nk_fail(e, db_code(st->db), "%s: cannot read table %s: %s", st->path,
			             table, sqlite3_errmsg(st->db));
			break;
		}
		if (nh == 0 && reader && !strncmp(sql, "CREATE TABLE ", 13)) {
			char *temp = sqlite3_mprintf("CREATE TEMP TABLE %s", sql + 13);
			if (sqlite3_exec(st->db, temp, NULL, NULL, NULL) != SQLITE_OK)
				rc = db_fail(st, e, "cannot stand in for a missing table");
			sqlite3_free(temp);
			continue;
		}
		if (nh == 0) {
			rc = nk_fail(e, EX_DATAERR, "%s: not an nkdigest state file: table %s "
			             "is missing", st->path, table);
			break;
		}
		for (int i = 0; !rc && i < nn; i++) {
			int j = 0;
			while (j < nh && strcmp(have[j].name, need[i].name))
				j++;
			if (j == nh)
				rc = nk_fail(e, EX_DATAERR, "%s: not an nkdigest state file: table %s "
				             "has no column %s", st->path, table, need[i].name);
			else if (strcasecmp(have[j].type, need[i].type) ||
			         have[j].notnull != need[i].notnull || have[j].pk != need[i].pk)
				rc = nk_fail(e, EX_DATAERR, "%s: not an nkdigest state file: column "
				             "%s.%s is \"%s%s%s\", expected \"%s%s%s\"", st->path,
				             table, need[i].name, have[j].type,
				             have[j].notnull ? " NOT NULL" : "",
				             have[j].pk ? " PRIMARY KEY" : "", need[i].type,
				             need[i].notnull ? " NOT NULL" : "",
				             need[i].pk ? " PRIMARY KEY" : "");
		}
		if (!rc && nh != nn)
			rc = nk_fail(e, EX_DATAERR, "%s: not an nkdigest state file: table %s has "
			             "%d columns, expected %d", st->path, table, nh, nn);
	}
	sqlite3_finalize(q);
	return rc;
}

static int exec(struct state *st, const char *sql, struct nk_err *e);

/* Brings a writable file to SCHEMA_VERSION in one transaction: a new file
 * gets every table, an older one its missing tables and the migrations
 * after its version. */
static int upgrade(struct state *st, int version, struct nk_err *e)
{
	int rc = exec(st, "BEGIN IMMEDIATE", e);
	if (rc)
		return rc;
	if (sqlite3_exec(st->db, schema_v1, NULL, NULL, NULL) != SQLITE_OK)
		rc = nk_fail(e, EX_DATAERR, "%s: not an nkdigest state file (%s)", st->path,
		             sqlite3_errmsg(st->db));
	for (size_t i = 0; !rc && i < sizeof migrations / sizeof *migrations; i++)
		if (migrations[i].version > version &&
		    sqlite3_exec(st->db, migrations[i].sql, NULL, NULL, NULL) != SQLITE_OK)
			rc = nk_fail(e, db_code(st->db), "%s: cannot upgrade to schema %d: %s",
			             st->path, migrations[i].version, sqlite3_errmsg(st->db));
	if (!rc && version < SCHEMA_VERSION) {
		char sql[96];
		snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO meta VALUES('schema', '%d')",
		         SCHEMA_VERSION);
		rc = exec(st, sql, e);
	}
	if (!rc)
		rc = exec(st, "COMMIT", e);
	if (rc)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	else if (version > 0 && version < SCHEMA_VERSION)
		log_info("%s: upgraded from schema %d to %d", st->path, version, SCHEMA_VERSION);
	return rc;
}

/* 16 random hex digits. */
static void random_hex(char out[STATE_INSTANCE_LEN + 1])
{
	unsigned char r[STATE_INSTANCE_LEN / 2];
	size_t got = 0;
	while (got < sizeof r) {
		ssize_t n = getrandom(r + got, sizeof r - got, 0);
		if (n < 0 && errno != EINTR)
			abort();   /* Linux >= 3.17 always has it */
		if (n > 0)
			got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof r; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

/* Gives a writable file its instance id once; the first writer wins. */
static int make_instance(struct state *st, struct nk_err *e)
{
	char id[STATE_INSTANCE_LEN + 1];
	random_hex(id);
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, "INSERT OR IGNORE INTO meta VALUES('instance', ?)",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_fail(st, e, "cannot prepare a query");
	sqlite3_bind_text(q, 1, id, -1, SQLITE_TRANSIENT);
	int r = sqlite3_step(q);
	sqlite3_finalize(q);
	return r == SQLITE_DONE ? 0 : db_fail(st, e, "cannot initialise");
}

static int take_lock(struct state *st, struct nk_err *e)
{
	char *lock = xasprintf("%s.lock", st->path);
	st->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	int rc = 0;
	if (st->lock_fd < 0)
		rc = nk_fail(e, EX_CANTCREAT, "%s: %s", lock, strerror(errno));
	else if (flock(st->lock_fd, LOCK_EX | LOCK_NB) != 0)
		rc = nk_fail(e, EX_TEMPFAIL, "another nkdigest send is running (%s is "
		             "locked); try again when it has finished", lock);
	free(lock);
	return rc;
}

static int prepare(struct state *st, const char *sql, sqlite3_stmt **q, struct nk_err *e)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, q, NULL) != SQLITE_OK)
		return db_fail(st, e, "cannot prepare a query");
	return 0;
}

int state_open(const char *path, enum state_mode mode, struct state **out,
               struct nk_err *e)
{
	struct state *st = xcalloc(1, sizeof *st);
	st->path = xstrdup(path);
	st->lock_fd = -1;
	*out = NULL;
	int rc = 0, version = 0;
	bool reader = mode == STATE_READ;
	if (!reader) {
		/* Only a send holds the lock; serve, unsubscribe and bounces
		 * write beside it (STATE_SHARED), between its commits. */
		if (mode == STATE_WRITE)
			rc = take_lock(st, e);
		if (!rc && sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
		                           SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
			rc = nk_fail(e, EX_CANTCREAT, "%s: %s", path,
			             st->db ? sqlite3_errmsg(st->db) : "cannot open");
	} else if (access(path, F_OK) == 0) {
		if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
			rc = nk_fail(e, EX_IOERR, "%s: %s", path,
			             st->db ? sqlite3_errmsg(st->db) : "cannot open");
	} else {
		/* Nothing sent yet: an empty database in memory answers every
		 * question the way a fresh file would, and leaves no file. */
		if (sqlite3_open(":memory:", &st->db) != SQLITE_OK)
			xalloc_die();
		reader = false;   /* for the tables below; nothing reaches disk */
	}
	if (!rc) {
		sqlite3_busy_timeout(st->db, 10000);
		/* WAL: readers (status) never block the sender. synchronous=NORMAL
		 * in WAL survives a crash of the process; after a power cut the last
		 * few commits can be lost, which can only cause a repeat of those
		 * few messages, never a lost one. */
		if (!reader &&
		    sqlite3_exec(st->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
		                 "PRAGMA foreign_keys=ON;", NULL, NULL, NULL) != SQLITE_OK)
			rc = nk_fail(e, db_code(st->db) == EX_TEMPFAIL ? EX_TEMPFAIL : EX_DATAERR,
			             "%s: not an nkdigest state file (%s)", path,
			             sqlite3_errmsg(st->db));
	}
	if (!rc)
		rc = file_version(st, &version, e);
	if (!rc && !reader)
		rc = upgrade(st, version, e);
	if (!rc) {
		/* A reader checks the file against the version it says it is; a
		 * writer has just brought it to the current one. */
		sqlite3 *want = expected(reader && version ? version : SCHEMA_VERSION);
		rc = validate(st, want, reader, e);
		sqlite3_close(want);
	}
	if (!rc && !reader)
		rc = make_instance(st, e);
	if (!rc)
		rc = prepare(st, "SELECT 1 FROM edition_articles WHERE key = ?", &st->seen, e);
	if (!rc && !reader)
		rc = prepare(st, "UPDATE deliveries SET status = ?3, attempts = attempts + 1,"
		             " first_try = coalesce(first_try, ?4), last_try = ?4, code = ?5,"
		             " reply = ?6, bounce = ?7 WHERE edition = ?1 AND email = ?2",
		             &st->record, e);
	if (!rc)
		rc = prepare(st, "SELECT 1 FROM suppressions WHERE email = ?", &st->suppressed, e);
	if (rc) {
		state_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void state_busy_timeout(struct state *st, int ms)
{
	sqlite3_busy_timeout(st->db, ms);
}

void state_close(struct state *st)
{
	if (!st)
		return;
	sqlite3_finalize(st->seen);
	sqlite3_finalize(st->record);
	sqlite3_finalize(st->suppressed);
	sqlite3_finalize(st->add);
	sqlite3_close(st->db);
	if (st->lock_fd >= 0)
		close(st->lock_fd);   /* releases the flock */
	free(st->path);
	free(st);
}

/* Runs a prepared "SELECT 1 … WHERE x = ?1" for value: *found says
 * whether it matched a row. */
static int exists(struct state *st, sqlite3_stmt *q, const char *value, bool *found,
                  const char *what, struct nk_err *e)
{
	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, value, -1, SQLITE_STATIC);
	int r = sqlite3_step(q);
	*found = r == SQLITE_ROW;
	int rc = r == SQLITE_ROW || r == SQLITE_DONE ? 0 : db_fail(st, e, what);
	sqlite3_reset(q);
	return rc;
}

int state_seen(void *ud, const char *key, bool *seen, struct nk_err *e)
{
	struct state *st = ud;
	return exists(st, st->seen, key, seen, "cannot look up earlier editions", e);
}

int state_open_editions(struct state *st, int64_t **ids, size_t *n, struct nk_err *e)
{
	sqlite3_stmt *q;
	*ids = NULL;
	*n = 0;
	size_t cap = 0;
	if (prepare(st, "SELECT id FROM editions WHERE status = 'open' ORDER BY id", &q, e))
		return e->code;
	int r;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		*ids = xgrow(*ids, &cap, *n + 1, sizeof **ids);
		(*ids)[(*n)++] = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	if (r != SQLITE_DONE) {
		free(*ids);
		*ids = NULL;
		return db_fail(st, e, "cannot list editions");
	}
	return 0;
}

static int exec(struct state *st, const char *sql, struct nk_err *e)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(st, e, sql);
	return 0;
}

int state_edition_begin(struct state *st, const struct article_list *articles,
                        time_t now, int64_t *id, struct nk_err *e)
{
	char *json = article_list_freeze(articles);
	sqlite3_stmt *q = NULL;
	int rc = exec(st, "BEGIN IMMEDIATE", e);
	if (rc) {
		free(json);
		return rc;
	}
	rc = prepare(st, "INSERT INTO editions(created, narticles, articles) VALUES(?,?,?)",
	             &q, e);
	if (!rc) {
		sqlite3_bind_int64(q, 1, (sqlite3_int64)now);
		sqlite3_bind_int(q, 2, (int)articles->n);
		sqlite3_bind_text(q, 3, json, -1, SQLITE_STATIC);
		if (sqlite3_step(q) != SQLITE_DONE)
			rc = db_fail(st, e, "cannot record the edition");
		*id = sqlite3_last_insert_rowid(st->db);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (!rc)
		rc = prepare(st, "INSERT INTO edition_articles(key, edition) VALUES(?,?)", &q, e);
	for (size_t i = 0; !rc && i < articles->n; i++) {
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, articles->v[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, *id);
		if (sqlite3_step(q) != SQLITE_DONE)
			rc = db_fail(st, e, "cannot record the edition's articles");
	}
	sqlite3_finalize(q);
	free(json);
	/* One statement for each subscriber, the suppression list asked in
	 * the same step. */
	if (!rc)
		rc = prepare(st, "INSERT INTO deliveries(edition, email, name, tier, status)"
		             " VALUES(?1, ?2, ?3, ?4, CASE WHEN EXISTS (SELECT 1 FROM suppressions"
		             " WHERE email = ?2) THEN 'suppressed' ELSE 'pending' END)", &st->add, e);
	if (rc)
		state_edition_abort(st);
	return rc;
}

int state_edition_add(struct state *st, int64_t id, const struct subscriber *s,
                      struct nk_err *e)
{
	sqlite3_stmt *q = st->add;
	if (!q)
		return nk_fail(e, EX_SOFTWARE, "%s: no edition is being recorded", st->path);
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_text(q, 2, s->email, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, s->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, s->tier, -1, SQLITE_STATIC);
	int r = sqlite3_step(q);
	sqlite3_reset(q);
	return r == SQLITE_DONE ? 0 : db_fail(st, e, "cannot record the recipients");
}

int state_edition_commit(struct state *st, struct nk_err *e)
{
	sqlite3_finalize(st->add);
	st->add = NULL;
	int rc = exec(st, "COMMIT", e);
	if (rc)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

void state_edition_abort(struct state *st)
{
	sqlite3_finalize(st->add);
	st->add = NULL;
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int state_edition_articles(struct state *st, int64_t id, struct article_list *out,
                           time_t *created, struct nk_err *e)
{
	sqlite3_stmt *q;
	if (prepare(st, "SELECT created, articles FROM editions WHERE id = ?", &q, e))
		return e->code;
	sqlite3_bind_int64(q, 1, id);
	int rc = 0;
	int r = sqlite3_step(q);
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		rc = db_fail(st, e, "cannot read an edition");
	} else if (r == SQLITE_DONE) {
		rc = nk_fail(e, EX_DATAERR, "%s: edition %lld is missing", st->path,
		             (long long)id);
	} else {
		*created = (time_t)sqlite3_column_int64(q, 0);
		if (article_list_thaw((const char *)sqlite3_column_text(q, 1), out) != 0)
			rc = nk_fail(e, EX_DATAERR, "%s: edition %lld: its frozen articles "
			             "are damaged", st->path, (long long)id);
	}
	sqlite3_finalize(q);
	return rc;
}

static char *col_dup(sqlite3_stmt *q, int col)
{
	const unsigned char *s = sqlite3_column_text(q, col);
	return xstrdup(s ? (const char *)s : "");
}

/* Rows read from the journal at a time. */
#define TODO_BATCH 256

struct state_todo {
	struct state *st;
	int64_t id;
	int round;
	sqlite3_stmt *q;       /* reset between batches: never open across a commit */
	int64_t after, last;   /* the rows (after, last] are still to read */
	struct delivery v[TODO_BATCH];
	size_t n, i;           /* the batch in v, and the next one to give out */
	bool end;              /* no batch after this one */
};

/* The rounds after the first: (edition, round, row) of each delivery put
 * back, in this connection's temporary database. */
static int again_table(struct state *st, struct nk_err *e)
{
	if (st->again_table)
		return 0;
	int rc = exec(st, "CREATE TEMP TABLE IF NOT EXISTS todo_again("
	              "edition INTEGER NOT NULL, round INTEGER NOT NULL, seq INTEGER NOT NULL,"
	              " PRIMARY KEY(edition, round, seq)) WITHOUT ROWID", e);
	st->again_table = rc == 0;
	return rc;
}

static void todo_clear(struct state_todo *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].email);
		free(t->v[i].name);
		free(t->v[i].tier);
	}
	t->n = t->i = 0;
}

int state_todo_open(struct state *st, int64_t id, int round, struct state_todo **out,
                    struct nk_err *e)
{
	struct state_todo *t = xcalloc(1, sizeof *t);
	t->st = st;
	t->id = id;
	t->round = round;
	t->last = INT64_MAX;
	int rc = 0;
	*out = NULL;
	if (round == 0) {
		/* The edition's rows lie together (one transaction wrote them):
		 * its first and last row bound the walk, which then goes by row
		 * number, so that a list of any length is read with no sort and
		 * no row is read twice even as the walk changes their status.
		 * The + keeps SQLite from walking an index of edition and status
		 * instead, which would give the rows out of order. */
		sqlite3_stmt *q;
		if (!(rc = prepare(st, "SELECT min(rowid), max(rowid) FROM deliveries"
		                   " WHERE edition = ?", &q, e))) {
			sqlite3_bind_int64(q, 1, id);
			if (sqlite3_step(q) != SQLITE_ROW)
				rc = db_fail(st, e, "cannot read the delivery journal");
			else if (sqlite3_column_type(q, 0) == SQLITE_NULL)
				t->end = true;
			else {
				t->after = sqlite3_column_int64(q, 0) - 1;
				t->last = sqlite3_column_int64(q, 1);
			}
			sqlite3_finalize(q);
		}
		if (!rc)
			rc = prepare(st, "SELECT rowid, email, name, tier, coalesce(first_try, 0)"
			             " FROM deliveries WHERE rowid > ?1 AND rowid <= ?2"
			             " AND +edition = ?3 AND +status IN ('pending', 'deferred')"
			             " ORDER BY rowid LIMIT ?4", &t->q, e);
	} else {
		rc = again_table(st, e);
		if (!rc)
			rc = prepare(st, "SELECT d.rowid, d.email, d.name, d.tier,"
			             " coalesce(d.first_try, 0) FROM temp.todo_again a"
			             " JOIN deliveries d ON d.rowid = a.seq"
			             " WHERE a.edition = ?3 AND a.round = ?5 AND a.seq > ?1"
			             " AND a.seq <= ?2 AND d.status IN ('pending', 'deferred')"
			             " ORDER BY a.seq LIMIT ?4", &t->q, e);
	}
	if (rc) {
		state_todo_close(t);
		return rc;
	}
	*out = t;
	return 0;
}

/* Reads the next batch into t->v. */
static int todo_fill(struct state_todo *t, struct nk_err *e)
{
	sqlite3_stmt *q = t->q;
	todo_clear(t);
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, t->after);
	sqlite3_bind_int64(q, 2, t->last);
	sqlite3_bind_int64(q, 3, t->id);
	sqlite3_bind_int(q, 4, TODO_BATCH);
	if (t->round > 0)
		sqlite3_bind_int(q, 5, t->round);
	int r = SQLITE_DONE;
	while (t->n < TODO_BATCH && (r = sqlite3_step(q)) == SQLITE_ROW) {
		struct delivery *d = &t->v[t->n++];
		d->seq = sqlite3_column_int64(q, 0);
		d->email = col_dup(q, 1);
		d->name = col_dup(q, 2);
		d->tier = col_dup(q, 3);
		d->first_try = (time_t)sqlite3_column_int64(q, 4);
		t->after = d->seq;
	}
	if (t->n < TODO_BATCH)
		t->end = true;
	sqlite3_reset(q);
	if (r != SQLITE_DONE && r != SQLITE_ROW) {
		todo_clear(t);
		t->end = true;
		return db_fail(t->st, e, "cannot read the delivery journal");
	}
	return 0;
}

int state_todo_next(struct state_todo *t, const struct delivery **d, struct nk_err *e)
{
	*d = NULL;
	if (t->i == t->n && !t->end) {
		int rc = todo_fill(t, e);
		if (rc)
			return rc;
	}
	if (t->i < t->n)
		*d = &t->v[t->i++];
	return 0;
}

void state_todo_close(struct state_todo *t)
{
	if (!t)
		return;
	todo_clear(t);
	sqlite3_finalize(t->q);
	/* What this round put back for it is done with. */
	if (t->round > 0 && t->st->again_table) {
		char sql[128];
		snprintf(sql, sizeof sql, "DELETE FROM temp.todo_again WHERE edition = %lld"
		         " AND round = %d", (long long)t->id, t->round);
		sqlite3_exec(t->st->db, sql, NULL, NULL, NULL);
	}
	free(t);
}

int state_todo_again(struct state *st, int64_t id, const struct delivery *d, int round,
                     struct nk_err *e)
{
	sqlite3_stmt *q;
	int rc = again_table(st, e);
	if (!rc)
		rc = prepare(st, "INSERT OR IGNORE INTO temp.todo_again VALUES(?, ?, ?)", &q, e);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int(q, 2, round);
	sqlite3_bind_int64(q, 3, d->seq);
	int r = sqlite3_step(q);
	sqlite3_finalize(q);
	return r == SQLITE_DONE ? 0 : db_fail(st, e, "cannot keep a delivery for the next round");
}

int state_record(struct state *st, int64_t id, const char *email,
                 enum delivery_status status, bool bounce, int code,
                 const char *reply, time_t now, struct nk_err *e)
{
	sqlite3_stmt *q = st->record;
	if (!q)
		return nk_fail(e, EX_SOFTWARE, "%s: opened read-only", st->path);
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_text(q, 2, email, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, delivery_status_name(status), -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)now);
	if (code)
		sqlite3_bind_int(q, 5, code);
	else
		sqlite3_bind_null(q, 5);
	if (reply)
		sqlite3_bind_text(q, 6, reply, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 6);
	sqlite3_bind_int(q, 7, bounce);
	/* Outside an explicit transaction each UPDATE commits by itself. */
	int r = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (r != SQLITE_DONE)
		return db_fail(st, e, "cannot journal a delivery");
	return 0;
}

int state_edition_finish(struct state *st, int64_t id, time_t now, bool *done,
                         struct nk_err *e)
{
	sqlite3_stmt *q;
	if (prepare(st, "UPDATE editions SET status = 'done', finished = ?2 WHERE id = ?1"
	            " AND NOT EXISTS (SELECT 1 FROM deliveries WHERE edition = ?1"
	            " AND status IN ('pending', 'deferred'))", &q, e))
		return e->code;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)now);
	int r = sqlite3_step(q);
	sqlite3_finalize(q);
	if (r != SQLITE_DONE)
		return db_fail(st, e, "cannot close the edition");
	*done = sqlite3_changes(st->db) > 0;
	return 0;
}

int state_counts(struct state *st, int64_t id, long count[DELIVERY_NSTATUS],
                 struct nk_err *e)
{
	sqlite3_stmt *q;
	for (int i = 0; i < DELIVERY_NSTATUS; i++)
		count[i] = 0;
	if (prepare(st, "SELECT status, count(*) FROM deliveries WHERE edition = ?"
	            " GROUP BY status", &q, e))
		return e->code;
	sqlite3_bind_int64(q, 1, id);
	int r = SQLITE_DONE, rc = 0;
	while (!rc && (r = sqlite3_step(q)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 0);
		int s = status_from_name(name);
		if (s < 0)
			rc = nk_fail(e, EX_DATAERR, "%s: edition %lld: unknown delivery status "
			             "'%.40s'", st->path, (long long)id, name ? name : "(null)");
		else
			count[s] = sqlite3_column_int64(q, 1);
	}
	if (!rc && r != SQLITE_DONE)
		rc = db_fail(st, e, "cannot count deliveries");
	sqlite3_finalize(q);
	return rc;
}

int state_next_id(struct state *st, int64_t *id, struct nk_err *e)
{
	sqlite3_stmt *q;
	if (prepare(st, "SELECT coalesce(max(id), 0) + 1 FROM editions", &q, e))
		return e->code;
	int rc = 0;
	if (sqlite3_step(q) == SQLITE_ROW)
		*id = sqlite3_column_int64(q, 0);
	else
		rc = db_fail(st, e, "cannot read the last edition");
	sqlite3_finalize(q);
	return rc;
}

int state_suppressed(struct state *st, const char *email, bool *suppressed,
                     struct nk_err *e)
{
	return exists(st, st->suppressed, email, suppressed,
	              "cannot read the suppression list", e);
}

int state_suppress(struct state *st, const char *email, const char *reason,
                   time_t now, struct nk_err *e)
{
	return state_suppress_new(st, email, reason, now, NULL, e);
}

int state_suppress_new(struct state *st, const char *email, const char *reason,
                       time_t when, bool *added, struct nk_err *e)
{
	sqlite3_stmt *q;
	if (prepare(st, "INSERT OR IGNORE INTO suppressions(email, reason, created)"
	            " VALUES(?,?,?)", &q, e))
		return e->code;
	sqlite3_bind_text(q, 1, email, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)when);
	int r = sqlite3_step(q);
	sqlite3_finalize(q);
	if (r != SQLITE_DONE)
		return db_fail(st, e, "cannot record a suppression");
	if (added)
		*added = sqlite3_changes(st->db) > 0;
	return 0;
}

int state_bounces(struct state *st, const char *email, int *n, struct nk_err *e)
{
	sqlite3_stmt *q;
	/* Since the last resubscription (if any): the journal's hard bounces
	 * and the hard bounce reports read back from the mailbox. */
	if (prepare(st, "SELECT (SELECT count(*) FROM deliveries WHERE email = ?1 COLLATE NOCASE"
	            " AND bounce = 1 AND coalesce(last_try, 0) >= coalesce("
	            "(SELECT created FROM resubscriptions WHERE email = ?1), 0))"
	            " + (SELECT count(*) FROM bounce_reports WHERE email = ?1"
	            " AND created >= coalesce("
	            "(SELECT created FROM resubscriptions WHERE email = ?1), 0))", &q, e))
		return e->code;
	sqlite3_bind_text(q, 1, email, -1, SQLITE_STATIC);
	int rc = 0;
	if (sqlite3_step(q) == SQLITE_ROW)
		*n = sqlite3_column_int(q, 0);
	else
		rc = db_fail(st, e, "cannot count bounces");
	sqlite3_finalize(q);
	return rc;
}

int state_summaries(struct state *st, size_t max, struct edition_summary **v,
                    size_t *n, struct nk_err *e)
{
	sqlite3_stmt *q;
	*v = xcalloc(max ? max : 1, sizeof **v);
	*n = 0;
	if (prepare(st, "SELECT e.id, e.created, e.status, e.narticles,"
	            " sum(d.status = 'pending'), sum(d.status = 'sent'),"
	            " sum(d.status = 'deferred'), sum(d.status = 'failed'),"
	            " sum(d.status = 'suppressed'), coalesce(e.finished, 0),"
	            " coalesce(min(d.first_try), 0), coalesce(max(d.last_try), 0),"
	            " sum(d.status NOT IN ('pending', 'sent', 'deferred', 'failed', 'suppressed'))"
	            " FROM editions e LEFT JOIN deliveries d ON d.edition = e.id"
	            " GROUP BY e.id ORDER BY e.id DESC LIMIT ?", &q, e)) {
		free(*v);
		*v = NULL;
		return e->code;
	}
	sqlite3_bind_int64(q, 1, (sqlite3_int64)max);
	int r = SQLITE_DONE, rc = 0;
	while (!rc && *n < max && (r = sqlite3_step(q)) == SQLITE_ROW) {
		struct edition_summary *s = &(*v)[(*n)++];
		const char *status = (const char *)sqlite3_column_text(q, 2);
		s->id = sqlite3_column_int64(q, 0);
		s->created = (time_t)sqlite3_column_int64(q, 1);
		if (!status || (strcmp(status, "done") && strcmp(status, "open")))
			rc = nk_fail(e, EX_DATAERR, "%s: edition %lld has status '%.40s', "
			             "expected open or done", st->path, (long long)s->id,
			             status ? status : "(null)");
		s->done = status && !strcmp(status, "done");
		s->narticles = sqlite3_column_int(q, 3);
		for (int i = 0; i < DELIVERY_NSTATUS; i++)
			s->count[i] = sqlite3_column_int64(q, 4 + i);
		s->finished = (time_t)sqlite3_column_int64(q, 9);
		s->first_try = (time_t)sqlite3_column_int64(q, 10);
		s->last_try = (time_t)sqlite3_column_int64(q, 11);
		if (!rc && sqlite3_column_int64(q, 12) > 0)
			rc = nk_fail(e, EX_DATAERR, "%s: edition %lld: %lld deliveries have an "
			             "unknown delivery status", st->path, (long long)s->id,
			             (long long)sqlite3_column_int64(q, 12));
	}
	if (!rc && r != SQLITE_ROW && r != SQLITE_DONE)
		rc = db_fail(st, e, "cannot list editions");
	sqlite3_finalize(q);
	if (rc) {
		free(*v);
		*v = NULL;
		*n = 0;
	}
	return rc;
}

static const char *col_text(sqlite3_stmt *q, int col)
{
	const unsigned char *s = sqlite3_column_text(q, col);
	return s ? (const char *)s : "";
}

int state_addresses(struct state *st, enum delivery_status which, int64_t edition,
                    int (*each)(const struct address_row *row, void *ud), void *ud,
                    struct nk_err *e)
{
	/* The newest reply any delivery to an address got (for suppressions). */
#define LAST_REPLY(col, who) "(SELECT d2." col " FROM deliveries d2 WHERE d2.email = " who \
	" COLLATE NOCASE AND d2.code IS NOT NULL ORDER BY d2.last_try DESC LIMIT 1)"
	const char *sql;
	if (which == DELIVERY_FAILED || which == DELIVERY_DEFERRED)
		sql = "SELECT edition, email, coalesce(code, 0), coalesce(reply, ''),"
		      " coalesce(last_try, 0), '' FROM deliveries WHERE status = ?1"
		      " AND (?2 = 0 OR edition = ?2) ORDER BY edition DESC, rowid";
	else if (which == DELIVERY_SUPPRESSED && edition == 0)
		sql = "SELECT coalesce(" LAST_REPLY("edition", "s.email") ", 0), s.email,"
		      " coalesce(" LAST_REPLY("code", "s.email") ", 0),"
		      " coalesce(" LAST_REPLY("reply", "s.email") ", ''),"
		      " s.created, s.reason FROM suppressions s WHERE ?1 = ?1 AND ?2 = 0"
		      " ORDER BY s.created DESC, s.email";
	else if (which == DELIVERY_SUPPRESSED)
		sql = "SELECT d.edition, d.email, coalesce(" LAST_REPLY("code", "d.email") ", 0),"
		      " coalesce(" LAST_REPLY("reply", "d.email") ", ''), coalesce(s.created, 0),"
		      " coalesce(s.reason, '') FROM deliveries d"
		      " LEFT JOIN suppressions s ON s.email = d.email"
		      " WHERE d.status = ?1 AND d.edition = ?2 ORDER BY d.rowid";
	else
		return nk_fail(e, EX_SOFTWARE, "state_addresses: status %d", (int)which);
#undef LAST_REPLY
	sqlite3_stmt *q;
	if (prepare(st, sql, &q, e))
		return e->code;
	sqlite3_bind_text(q, 1, delivery_status_name(which), -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, edition);
	int r = SQLITE_DONE, rc = 0;
	while (!rc && (r = sqlite3_step(q)) == SQLITE_ROW) {
		struct address_row row = {
			.edition = sqlite3_column_int64(q, 0),
			.email = col_text(q, 1),
			.code = sqlite3_column_int(q, 2),
			.reply = col_text(q, 3),
			.when = (time_t)sqlite3_column_int64(q, 4),
			.reason = col_text(q, 5),
		};
		rc = each(&row, ud);
	}
	if (!rc && r != SQLITE_DONE)
		rc = db_fail(st, e, "cannot list addresses");
	sqlite3_finalize(q);
	return rc;
}

int state_suppress_all(struct state *st, const struct suppression *v, size_t n,
                       size_t *added, struct nk_err *e)
{
	*added = 0;
	int rc = exec(st, "BEGIN IMMEDIATE", e);
	for (size_t i = 0; !rc && i < n; i++) {
		bool one;
		rc = state_suppress_new(st, v[i].email, v[i].reason, v[i].created, &one, e);
		*added += one;
	}
	if (!rc)
		rc = exec(st, "COMMIT", e);
	if (rc) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		*added = 0;
	}
	return rc;
}

static void suppression_from_row(sqlite3_stmt *q, struct suppression *s)
{
	s->email = col_dup(q, 0);
	s->reason = col_dup(q, 1);
	s->created = (time_t)sqlite3_column_int64(q, 2);
}

int state_suppression(struct state *st, const char *email, struct suppression *s,
                      bool *found, struct nk_err *e)
{
	sqlite3_stmt *q;
	*s = (struct suppression){0};
	*found = false;
	if (prepare(st, "SELECT email, reason, created FROM suppressions WHERE email = ?",
	            &q, e))
		return e->code;
	sqlite3_bind_text(q, 1, email, -1, SQLITE_STATIC);
	int r = sqlite3_step(q);
	if (r == SQLITE_ROW) {
		suppression_from_row(q, s);
		*found = true;
	}
	sqlite3_finalize(q);
	return r == SQLITE_ROW || r == SQLITE_DONE ? 0
	       : db_fail(st, e, "cannot read the suppression list");
}

void state_suppression_clear(struct suppression *s)
{
	free(s->email);
	free(s->reason);
	*s = (struct suppression){0};
}

int state_unsuppress(struct state *st, const char *email, time_t now, bool *removed,
                     struct nk_err *e)
{
	sqlite3_stmt *q = NULL;
	*removed = false;
	int rc = exec(st, "BEGIN IMMEDIATE", e);
	if (!rc)
		rc = prepare(st, "DELETE FROM suppressions WHERE email = ?", &q, e);
	if (!rc) {
		sqlite3_bind_text(q, 1, email, -1, SQLITE_STATIC);
		if (sqlite3_step(q) != SQLITE_DONE)
			rc = db_fail(st, e, "cannot change the suppression list");
		*removed = sqlite3_changes(st->db) > 0;
	}
	sqlite3_finalize(q);
	q = NULL;
	if (!rc && *removed)
		rc = prepare(st, "INSERT OR REPLACE INTO resubscriptions(email, created)"
		             " VALUES(?,?)", &q, e);
	if (!rc && q) {
		sqlite3_bind_text(q, 1, email, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, (sqlite3_int64)now);
		if (sqlite3_step(q) != SQLITE_DONE)
			rc = db_fail(st, e, "cannot record a resubscription");
	}
	sqlite3_finalize(q);
	if (!rc)
		rc = exec(st, "COMMIT", e);
	if (rc) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		*removed = false;
	}
	return rc;
}

int state_suppressions(struct state *st, struct suppression **v, size_t *n,
                       struct nk_err *e)
{
	sqlite3_stmt *q;
	size_t cap = 0;
	*v = NULL;
	*n = 0;
	if (prepare(st, "SELECT email, reason, created FROM suppressions"
	            " ORDER BY created, email", &q, e))
		return e->code;
	int r;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		*v = xgrow(*v, &cap, *n + 1, sizeof **v);
		suppression_from_row(q, &(*v)[(*n)++]);
	}
	sqlite3_finalize(q);
	if (r != SQLITE_DONE) {
		state_suppressions_free(*v, *n);
		*v = NULL;
		*n = 0;
		return db_fail(st, e, "cannot read the suppression list");
	}
	return 0;
}

void state_suppressions_free(struct suppression *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		state_suppression_clear(&v[i]);
	free(v);
}

int state_bounce_report(struct state *st, const char *email, const char *key,
                        const char *status, time_t now, bool *added, struct nk_err *e)
{
	sqlite3_stmt *q;
	if (prepare(st, "INSERT OR IGNORE INTO bounce_reports(email, key, status, created)"
	            " VALUES(?,?,?,?)", &q, e))
		return e->code;
	sqlite3_bind_text(q, 1, email, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)now);
	int r = sqlite3_step(q);
	sqlite3_finalize(q);
	if (r != SQLITE_DONE)
		return db_fail(st, e, "cannot record a bounce");
	*added = sqlite3_changes(st->db) > 0;
	return 0;
}

int state_instance(struct state *st, char id[STATE_INSTANCE_LEN + 1], struct nk_err *e)
{
	sqlite3_stmt *q;
	if (prepare(st, "SELECT value FROM meta WHERE key = 'instance'", &q, e))
		return e->code;
	int r = sqlite3_step(q);
	const char *v = r == SQLITE_ROW ? (const char *)sqlite3_column_text(q, 0) : NULL;
	int rc = 0;
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = db_fail(st, e, "cannot read the instance id");
	else if (!v)
		random_hex(id);   /* read-only and from before instance ids */
	else if (strlen(v) != STATE_INSTANCE_LEN || strspn(v, "0123456789abcdef") !=
	         STATE_INSTANCE_LEN)
		rc = nk_fail(e, EX_DATAERR, "%s: damaged instance id '%.40s'", st->path, v);
	else
		memcpy(id, v, STATE_INSTANCE_LEN + 1);
	sqlite3_finalize(q);
	return rc;
}

int state_mailed(struct state *st, const char *email, bool *mailed, struct nk_err *e)
{
	sqlite3_stmt *q;
	if (prepare(st, "SELECT 1 FROM deliveries WHERE email = ? COLLATE NOCASE LIMIT 1", &q, e))
		return e->code;
	sqlite3_bind_text(q, 1, email, -1, SQLITE_STATIC);
	int r = sqlite3_step(q);
	sqlite3_finalize(q);
	*mailed = r == SQLITE_ROW;
	return r == SQLITE_ROW || r == SQLITE_DONE ? 0 : db_fail(st, e, "cannot read the journal");
}

/* ---- feed cache and first-seen times ---- */

/* Whether writes are to be skipped: the file was opened STATE_READ. */
static bool read_only(const struct state *st)
{
	return sqlite3_db_readonly(st->db, "main") == 1;
}

/* A file written by an nkdigest from before these tables, opened read-only
 * (so they could not be added): it simply has nothing cached. */
static bool table_missing(const struct state *st)
{
	return read_only(st) && strstr(sqlite3_errmsg(st->db), "no such table") != NULL;
}

int state_feed_cache_get(struct state *st, const char *url, struct feed_cache *c,
                         struct nk_err *e)
{
	sqlite3_stmt *q;
	memset(c, 0, sizeof *c);
	if (sqlite3_prepare_v2(st->db, "SELECT etag, last_modified, body FROM feed_cache"
	                       " WHERE url = ?", -1, &q, NULL) != SQLITE_OK)
		return table_missing(st) ? 0 : db_fail(st, e, "cannot read the feed cache");
	sqlite3_bind_text(q, 1, url, -1, SQLITE_STATIC);
	int r = sqlite3_step(q), rc = 0;
	if (r == SQLITE_ROW) {
		c->etag = col_dup(q, 0);
		c->last_modified = col_dup(q, 1);
		c->len = (size_t)sqlite3_column_bytes(q, 2);
		c->body = xmalloc(c->len + 1);
		if (c->len)
			memcpy(c->body, sqlite3_column_blob(q, 2), c->len);
		c->body[c->len] = '\0';
	} else if (r != SQLITE_DONE) {
		rc = db_fail(st, e, "cannot read the feed cache");
	}
	sqlite3_finalize(q);
	return rc;
}

int state_feed_cache_put(struct state *st, const char *url, const struct feed_cache *c,
                         time_t now, struct nk_err *e)
{
	if (read_only(st))
		return 0;
	sqlite3_stmt *q;
	bool keep = c->body && (c->etag || c->last_modified);
	if (prepare(st, keep ? "INSERT OR REPLACE INTO feed_cache VALUES(?1, ?2, ?3, ?4, ?5)"
	                     : "DELETE FROM feed_cache WHERE url = ?1", &q, e))
		return e->code;
	sqlite3_bind_text(q, 1, url, -1, SQLITE_STATIC);
	if (keep) {
		sqlite3_bind_text(q, 2, c->etag, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, c->last_modified, -1, SQLITE_STATIC);
		sqlite3_bind_blob64(q, 4, c->body, c->len, SQLITE_STATIC);
		sqlite3_bind_int64(q, 5, (sqlite3_int64)now);
	}
	int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : db_fail(st, e, "cannot store the feed cache");
	sqlite3_finalize(q);
	return rc;
}

void state_feed_cache_free(struct feed_cache *c)
{
	free(c->etag);
	free(c->last_modified);
	free(c->body);
	memset(c, 0, sizeof *c);
}

int state_first_seen(struct state *st, struct article_list *l, time_t now,
                     struct nk_err *e)
{
	size_t undated = 0;
	for (size_t i = 0; i < l->n; i++)
		undated += l->v[i].published == 0;
	if (!undated)
		return 0;
	bool write = !read_only(st);
	sqlite3_stmt *get = NULL, *put = NULL;
	int rc = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT seen FROM first_seen WHERE key = ?", -1, &get,
	                       NULL) != SQLITE_OK) {
		if (!table_missing(st))
			return db_fail(st, e, "cannot read first-seen times");
		get = NULL;   /* nothing was ever recorded: every item is new */
	}
	/* One transaction: a feed may hold thousands of undated items. */
	if (write && !(rc = exec(st, "BEGIN IMMEDIATE", e)))
		rc = prepare(st, "INSERT OR IGNORE INTO first_seen VALUES(?1, ?2)", &put, e);
	for (size_t i = 0; i < l->n && !rc; i++) {
		struct article *a = &l->v[i];
		if (a->published != 0)
			continue;
		a->published = now;
		if (get) {
			sqlite3_reset(get);
			sqlite3_bind_text(get, 1, a->key, -1, SQLITE_STATIC);
			int r = sqlite3_step(get);
			if (r == SQLITE_ROW) {
				a->published = (time_t)sqlite3_column_int64(get, 0);
				continue;
			}
			if (r != SQLITE_DONE) {
				rc = db_fail(st, e, "cannot read first-seen times");
				break;
			}
		}
		if (put) {
			sqlite3_reset(put);
			sqlite3_bind_text(put, 1, a->key, -1, SQLITE_STATIC);
			sqlite3_bind_int64(put, 2, (sqlite3_int64)now);
			if (sqlite3_step(put) != SQLITE_DONE)
				rc = db_fail(st, e, "cannot record first-seen times");
		}
	}
	sqlite3_finalize(get);
	sqlite3_finalize(put);
	if (write && !rc)
		rc = exec(st, "COMMIT", e);
	else if (write)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* ---- the address set ---- */

struct address_set {
	sqlite3 *db;
	sqlite3_stmt *add, *forget;
};

static int set_fail(struct address_set *s, struct nk_err *e, const char *what)
{
	int code = db_code(s->db);
	return nk_fail(e, code == EX_DATAERR ? EX_IOERR : code,
	               "temporary address set (in $TMPDIR or /var/tmp): %s: %s", what,
	               sqlite3_errmsg(s->db));
}

int state_address_set_open(struct address_set **out, struct nk_err *e)
{
	struct address_set *s = xcalloc(1, sizeof *s);
	*out = NULL;
	int rc = 0;
	/* "": a private file that SQLite removes when it is closed, and
	 * touches only once the cache is full. Nothing of it needs to
	 * survive a crash: no journal, no sync, one transaction throughout. */
	if (sqlite3_open_v2("", &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)
	    != SQLITE_OK)
		rc = nk_fail(e, EX_CANTCREAT, "temporary address set: %s",
		             s->db ? sqlite3_errmsg(s->db) : "cannot open");
	else if (sqlite3_exec(s->db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
	                      "PRAGMA cache_size = -2048;"
	                      "CREATE TABLE seen(email TEXT PRIMARY KEY COLLATE NOCASE)"
	                      " WITHOUT ROWID; BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		rc = set_fail(s, e, "cannot create");
	else if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO seen VALUES(?)", -1,
	                            &s->add, NULL) != SQLITE_OK ||
	         sqlite3_prepare_v2(s->db, "DELETE FROM seen WHERE email = ?", -1,
	                            &s->forget, NULL) != SQLITE_OK)
		rc = set_fail(s, e, "cannot prepare a query");
	if (rc) {
		state_address_set_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

static int set_step(struct address_set *s, sqlite3_stmt *q, const char *email,
                    struct nk_err *e)
{
	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, email, -1, SQLITE_STATIC);
	int r = sqlite3_step(q);
	sqlite3_reset(q);
	return r == SQLITE_DONE ? 0 : set_fail(s, e, "cannot write");
}

int state_address_set_add(struct address_set *s, const char *email, bool *repeated,
                          struct nk_err *e)
{
	int rc = set_step(s, s->add, email, e);
	*repeated = !rc && sqlite3_changes(s->db) == 0;
	return rc;
}

int state_address_set_forget(struct address_set *s, const char *email, struct nk_err *e)
{
	return set_step(s, s->forget, email, e);
}

void state_address_set_close(struct address_set *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->add);
	sqlite3_finalize(s->forget);
	sqlite3_close(s->db);
	free(s);
}
