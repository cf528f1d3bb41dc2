/* state.c — the SQLite state file: editions, delivery journal, suppressions. */
#include "state.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define SCHEMA_VERSION 1

struct state {
	sqlite3 *db;
	char *path;
	int lock_fd;               /* -1 unless STATE_WRITE */
	sqlite3_stmt *seen;        /* prepared once: asked for every article */
	sqlite3_stmt *record;      /* prepared once: run after every SMTP reply */
	sqlite3_stmt *suppressed;
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

static const char schema[] =
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

static int check_version(struct state *st, bool writable, struct nk_err *e)
{
	sqlite3_stmt *q;
	int version = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key='schema'", -1,
	                       &q, NULL) != SQLITE_OK)
		return nk_fail(e, EX_DATAERR, "%s: not an nkdigest state file (%s)", st->path,
		               sqlite3_errmsg(st->db));
	if (sqlite3_step(q) == SQLITE_ROW)
		version = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	if (version > SCHEMA_VERSION)
		return nk_fail(e, EX_DATAERR, "%s: written by a newer nkdigest (schema %d)",
		               st->path, version);
	if (version == 0 && writable &&
	    sqlite3_exec(st->db, "INSERT INTO meta VALUES('schema', '1')", NULL, NULL,
	                 NULL) != SQLITE_OK)
		return db_fail(st, e, "cannot initialise");
	return 0;
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
	int rc = 0;
	if (mode == STATE_WRITE) {
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
			rc = nk_fail(e, EX_SOFTWARE, "cannot open an in-memory database");
		mode = STATE_WRITE;   /* for the schema below; nothing reaches disk */
	}
	if (!rc) {
		sqlite3_busy_timeout(st->db, 10000);
		/* WAL: readers (status) never block the sender. synchronous=NORMAL
		 * in WAL survives a crash of the process; after a power cut the last
		 * few commits can be lost, which can only cause a repeat of those
		 * few messages, never a lost one. */
		if (mode == STATE_WRITE &&
		    sqlite3_exec(st->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
		                 "PRAGMA foreign_keys=ON;", NULL, NULL, NULL) != SQLITE_OK)
			rc = db_fail(st, e, "cannot set up");
		else if (mode == STATE_WRITE &&
		         sqlite3_exec(st->db, schema, NULL, NULL, NULL) != SQLITE_OK)
			rc = nk_fail(e, EX_DATAERR, "%s: not an nkdigest state file (%s)", path,
			             sqlite3_errmsg(st->db));
	}
	if (!rc)
		rc = check_version(st, mode == STATE_WRITE, e);
	if (!rc)
		rc = prepare(st, "SELECT 1 FROM edition_articles WHERE key = ?", &st->seen, e);
	if (!rc)
		rc = prepare(st, "UPDATE deliveries SET status = ?3, attempts = attempts + 1,"
		             " first_try = coalesce(first_try, ?4), last_try = ?4, code = ?5,"
		             " reply = ?6 WHERE edition = ?1 AND email = ?2", &st->record, e);
	if (!rc)
		rc = prepare(st, "SELECT 1 FROM suppressions WHERE email = ?", &st->suppressed, e);
	if (rc) {
		state_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void state_close(struct state *st)
{
	if (!st)
		return;
	sqlite3_finalize(st->seen);
	sqlite3_finalize(st->record);
	sqlite3_finalize(st->suppressed);
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

int state_edition_create(struct state *st, const struct article_list *articles,
                         const struct subscriber_list *subs, time_t now,
                         int64_t *id, struct nk_err *e)
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
	q = NULL;
	if (!rc)
		rc = prepare(st, "INSERT INTO deliveries(edition, email, name, tier, status)"
		             " VALUES(?,?,?,?,?)", &q, e);
	for (size_t i = 0; !rc && i < subs->n; i++) {
		const struct subscriber *s = &subs->v[i];
		bool sup;
		if ((rc = state_suppressed(st, s->email, &sup, e)))
			break;
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, *id);
		sqlite3_bind_text(q, 2, s->email, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, s->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, s->tier, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, sup ? "suppressed" : "pending", -1, SQLITE_STATIC);
		if (sqlite3_step(q) != SQLITE_DONE)
			rc = db_fail(st, e, "cannot record the recipients");
	}
	sqlite3_finalize(q);
	free(json);
	if (!rc)
		rc = exec(st, "COMMIT", e);
	if (rc)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
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

int state_todo(struct state *st, int64_t id, struct delivery **v, size_t *n,
               struct nk_err *e)
{
	sqlite3_stmt *q;
	size_t cap = 0;
	*v = NULL;
	*n = 0;
	if (prepare(st, "SELECT email, name, tier, coalesce(first_try, 0)"
	            " FROM deliveries WHERE edition = ? AND status IN ('pending', 'deferred')"
	            " ORDER BY rowid", &q, e))
		return e->code;
	sqlite3_bind_int64(q, 1, id);
	int r;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		*v = xgrow(*v, &cap, *n + 1, sizeof **v);
		struct delivery *d = &(*v)[(*n)++];
		d->email = col_dup(q, 0);
		d->name = col_dup(q, 1);
		d->tier = col_dup(q, 2);
		d->first_try = (time_t)sqlite3_column_int64(q, 3);
	}
	sqlite3_finalize(q);
	if (r != SQLITE_DONE) {
		state_deliveries_free(*v, *n);
		*v = NULL;
		*n = 0;
		return db_fail(st, e, "cannot read the delivery journal");
	}
	return 0;
}

void state_deliveries_free(struct delivery *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].email);
		free(v[i].name);
		free(v[i].tier);
	}
	free(v);
}

int state_record(struct state *st, int64_t id, const char *email,
                 enum delivery_status status, int code, const char *reply,
                 time_t now, struct nk_err *e)
{
	sqlite3_stmt *q = st->record;
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
	sqlite3_stmt *q;
	if (prepare(st, "INSERT OR IGNORE INTO suppressions(email, reason, created)"
	            " VALUES(?,?,?)", &q, e))
		return e->code;
	sqlite3_bind_text(q, 1, email, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)now);
	int r = sqlite3_step(q);
	sqlite3_finalize(q);
	return r == SQLITE_DONE ? 0 : db_fail(st, e, "cannot record a suppression");
}

int state_bounces(struct state *st, const char *email, int *n, struct nk_err *e)
{
	sqlite3_stmt *q;
	if (prepare(st, "SELECT count(*) FROM deliveries WHERE email = ? COLLATE NOCASE"
	            " AND status = 'failed'", &q, e))
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
	            " sum(d.status = 'suppressed')"
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
