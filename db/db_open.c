/*
 * db_open.c - connection setup (pragmas), schema migrations, the
 * prepared-statement cache, transactions and SQLite error mapping.
 */
#include "db/db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Forward migrations, applied in order at open. migrations[i] takes the
 * schema from version i to version i+1. Never edit a released entry: append
 * a new one (docs/schema.md explains how).
 */
static const char *const migrations[] = {
	/* 1: core tables */
	"CREATE TABLE subscriber ("
	"  id INTEGER PRIMARY KEY,"
	"  impi TEXT NOT NULL UNIQUE,"
	"  k BLOB CHECK (k IS NULL OR length(k) = 16),"
	"  opc BLOB CHECK (opc IS NULL OR length(opc) = 16),"
	"  amf BLOB CHECK (amf IS NULL OR length(amf) = 2),"
	"  sqn INTEGER NOT NULL DEFAULT 0,"
	"  auth_not_before INTEGER NOT NULL DEFAULT 0,"
	"  has_password INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL"
	");"
	"CREATE TABLE impu ("
	"  id INTEGER PRIMARY KEY,"
	"  uri TEXT NOT NULL UNIQUE,"
	"  subscriber_id INTEGER NOT NULL REFERENCES subscriber(id) ON DELETE CASCADE,"
	"  position INTEGER NOT NULL,"
	"  UNIQUE (subscriber_id, position)"
	");"
	"CREATE TABLE digest_cred ("
	"  username TEXT NOT NULL,"
	"  realm TEXT NOT NULL,"
	"  ha1_md5 TEXT NOT NULL,"
	"  ha1_sha256 TEXT NOT NULL,"
	"  subscriber_id INTEGER NOT NULL REFERENCES subscriber(id) ON DELETE CASCADE,"
	"  PRIMARY KEY (username, realm)"
	");"
	"CREATE INDEX digest_cred_subscriber ON digest_cred(subscriber_id);"
	"CREATE TABLE xcap_doc ("
	"  id INTEGER PRIMARY KEY,"
	"  auid TEXT NOT NULL,"
	"  xui TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  content BLOB NOT NULL,"
	"  etag TEXT NOT NULL,"
	"  mtime INTEGER NOT NULL,"
	"  UNIQUE (auid, xui, name)"
	");"
	"CREATE TABLE publication ("
	"  etag TEXT PRIMARY KEY,"
	"  presentity TEXT NOT NULL,"
	"  event TEXT NOT NULL,"
	"  content_type TEXT NOT NULL,"
	"  body BLOB,"
	"  expires INTEGER NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  source TEXT NOT NULL DEFAULT ''"
	");"
	"CREATE INDEX publication_presentity ON publication(presentity, event, created);"
	"CREATE TABLE subscription ("
	"  id TEXT PRIMARY KEY,"
	"  presentity TEXT NOT NULL,"
	"  watcher TEXT NOT NULL,"
	"  event TEXT NOT NULL,"
	"  state TEXT NOT NULL,"
	"  reason TEXT NOT NULL DEFAULT '',"
	"  expires INTEGER NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  dialog BLOB,"
	"  extra BLOB"
	");"
	"CREATE INDEX subscription_presentity ON subscription(presentity, event);"
	"CREATE TABLE aka_challenge ("
	"  nonce TEXT PRIMARY KEY,"
	"  impi TEXT NOT NULL,"
	"  rand BLOB NOT NULL,"
	"  xres BLOB NOT NULL,"
	"  ck BLOB NOT NULL,"
	"  ik BLOB NOT NULL,"
	"  expires INTEGER NOT NULL"
	");"
	"CREATE TABLE gba_session ("
	"  btid TEXT PRIMARY KEY,"
	"  impi TEXT NOT NULL,"
	"  rand BLOB NOT NULL,"
	"  ks BLOB NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL"
	");",

	/* 2: expiry indexes; BSF state goes away with its subscriber */
	"CREATE INDEX publication_expires ON publication(expires);"
	"CREATE INDEX subscription_expires ON subscription(expires);"
	"CREATE INDEX aka_challenge_expires ON aka_challenge(expires);"
	"CREATE INDEX gba_session_expires ON gba_session(expires);"
	"CREATE INDEX gba_session_impi ON gba_session(impi);"
	"CREATE TRIGGER subscriber_delete_bsf AFTER DELETE ON subscriber BEGIN"
	"  DELETE FROM aka_challenge WHERE impi = OLD.impi;"
	"  DELETE FROM gba_session WHERE impi = OLD.impi;"
	"END;",
};

int db_schema_latest(void)
{
	return (int)PRES_ARRAY_LEN(migrations);
}

int db_err(struct db *db, int sqlite_rc, const char *what)
{
	int prim = sqlite_rc & 0xff;
	log_warnx("db: %s: %s (%d)", what,
	    db && db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(sqlite_rc), sqlite_rc);
	switch (prim) {
	case SQLITE_CONSTRAINT:
		return PRES_EEXIST;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return PRES_EAGAIN;
	case SQLITE_NOMEM:
		return PRES_ENOMEM;
	default:
		return PRES_EDB;
	}
}

int db_exec(struct db *db, const char *sql)
{
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return db_err(db, rc, "exec");
	return PRES_OK;
}

/* ---- statement cache ---------------------------------------------------- */

sqlite3_stmt *db_stmt(struct db *db, const char *sql)
{
	size_t i;

	/* The SQL texts are string literals of db/: the pointer almost always
	 * identifies the statement; comparing texts is the fallback. */
	for (i = 0; i < db->n_cache && db->cache[i].sql != sql; i++)
		;
	if (i == db->n_cache)
		for (i = 0; i < db->n_cache && strcmp(db->cache[i].sql, sql) != 0; i++)
			;
	if (i < db->n_cache) {
		sqlite3_reset(db->cache[i].stmt);
		sqlite3_clear_bindings(db->cache[i].stmt);
		return db->cache[i].stmt;
	}
	if (db->n_cache == db->cap_cache) {
		size_t cap = db->cap_cache ? db->cap_cache * 2 : 32;
		struct db_stmt_slot *n = realloc(db->cache, cap * sizeof(*n));
		if (!n) {
			log_warnx("db: statement cache: out of memory");
			return NULL;
		}
		db->cache = n;
		db->cap_cache = cap;
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		db_err(db, rc, "prepare");
		return NULL;
	}
	db->cache[db->n_cache].sql = sql;
	db->cache[db->n_cache].stmt = st;
	db->n_cache++;
	return st;
}

void db_stmt_done(sqlite3_stmt *st)
{
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

sqlite3_stmt *db_stmt_fresh(struct db *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		db_err(db, rc, "prepare");
		return NULL;
	}
	return st;
}

/* ---- column and bind helpers ------------------------------------------ */

int db_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
	if (!s)
		return sqlite3_bind_null(st, idx);
	return sqlite3_bind_text(st, idx, s, -1, SQLITE_STATIC);
}

void db_col_text(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	pres_strlcpy(dst, t ? (const char *)t : "", size);
}

int db_col_blob(sqlite3_stmt *st, int col, uint8_t *dst, size_t n)
{
	const void *b = sqlite3_column_blob(st, col);
	if (sqlite3_column_bytes(st, col) != (int)n || (n && !b)) {
		memset(dst, 0, n);
		return PRES_EDB;
	}
	memcpy(dst, b, n);
	return PRES_OK;
}

int db_col_dup(sqlite3_stmt *st, int col, char **out, size_t *len_out)
{
	*out = NULL;
	if (len_out)
		*len_out = 0;
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return PRES_OK;
	const void *b = sqlite3_column_blob(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	char *p = malloc(n + 1);
	if (!p)
		return PRES_ENOMEM;
	if (n)
		memcpy(p, b, n);
	p[n] = '\0';
	*out = p;
	if (len_out)
		*len_out = n;
	return PRES_OK;
}

/* ---- transactions -------------------------------------------------------- */

static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";
static const char SQL_SAVEPOINT[] = "SAVEPOINT db_unit";
static const char SQL_RELEASE[] = "RELEASE db_unit";
static const char SQL_ROLLBACK_TO[] = "ROLLBACK TO db_unit";

/* Transaction control through the statement cache: sqlite3_exec() would
 * parse (and allocate a parser for) the text at every call. */
static int tx_exec(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	int rc;

	if (!st)
		return db_exec(db, sql);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_err(db, rc, "exec");
	return PRES_OK;
}

int db_tx_start(struct db *db)
{
	return tx_exec(db, db->in_tx ? SQL_SAVEPOINT : SQL_BEGIN);
}

int db_tx_end(struct db *db, int rc)
{
	if (db->in_tx) {
		if (rc == PRES_OK)
			return tx_exec(db, SQL_RELEASE);
		tx_exec(db, SQL_ROLLBACK_TO);
		tx_exec(db, SQL_RELEASE);
		return rc;
	}
	if (rc == PRES_OK) {
		int crc = tx_exec(db, SQL_COMMIT);
		if (crc != PRES_OK) {
			if (!sqlite3_get_autocommit(db->h))
				tx_exec(db, SQL_ROLLBACK);
			return crc;
		}
		return PRES_OK;
	}
	if (!sqlite3_get_autocommit(db->h))
		tx_exec(db, SQL_ROLLBACK);
	return rc;
}

int db_begin(struct db *db)
{
	if (db->in_tx) {
		log_warnx("db: db_begin inside a transaction");
		return PRES_EINVAL;
	}
	int rc = tx_exec(db, SQL_BEGIN);
	if (rc == PRES_OK)
		db->in_tx = 1;
	return rc;
}

int db_commit(struct db *db)
{
	if (!db->in_tx)
		return PRES_EINVAL;
	int rc = tx_exec(db, SQL_COMMIT);
	if (rc != PRES_OK) {
		/* a failed COMMIT may leave the transaction open: undo it */
		if (!sqlite3_get_autocommit(db->h))
			tx_exec(db, SQL_ROLLBACK);
	}
	db->in_tx = 0;
	return rc;
}

int db_rollback(struct db *db)
{
	if (!db->in_tx)
		return PRES_EINVAL;
	db->in_tx = 0;
	if (sqlite3_get_autocommit(db->h))
		return PRES_OK; /* SQLite already rolled back (e.g. after an I/O error) */
	return tx_exec(db, SQL_ROLLBACK);
}

/* ---- open / migrate / close --------------------------------------------- */

static int get_user_version(struct db *db, int *v)
{
	sqlite3_stmt *st = db_stmt_fresh(db, "PRAGMA user_version");
	if (!st)
		return PRES_EDB;
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = db_err(db, rc, "read user_version");
		sqlite3_finalize(st);
		return rc;
	}
	*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return PRES_OK;
}

static int migrate(struct db *db, int target)
{
	int v = 0, rc;
	char sql[64];

	/* Read the version inside the write transaction, so that two processes
	 * opening a fresh file at once cannot both run migration 1. */
	if ((rc = db_exec(db, "BEGIN IMMEDIATE")) != PRES_OK)
		return rc;
	if ((rc = get_user_version(db, &v)) != PRES_OK)
		goto fail;
	if (v > db_schema_latest()) {
		log_warnx("db: schema version %d is newer than this build (%d)", v,
		    db_schema_latest());
		rc = PRES_EDB;
		goto fail;
	}
	for (; v < target; v++) {
		if ((rc = db_exec(db, migrations[v])) != PRES_OK) {
			log_warnx("db: migration to schema version %d failed", v + 1);
			goto fail;
		}
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if ((rc = db_exec(db, sql)) != PRES_OK)
			goto fail;
		log_info("db: schema migrated to version %d", v + 1);
	}
	return db_exec(db, "COMMIT");
fail:
	db_exec(db, "ROLLBACK");
	return rc;
}

int db_open_at(const char *path, int target, struct db **out)
{
	struct db *db;
	int rc;

	*out = NULL;
	if (!path || target < 1 || target > db_schema_latest())
		return PRES_EINVAL;
	db = calloc(1, sizeof(*db));
	if (!db)
		return PRES_ENOMEM;
	rc = sqlite3_open_v2(path, &db->h,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_warnx("db: cannot open %s: %s", path,
		    db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		rc = PRES_EDB;
		goto fail;
	}
	sqlite3_extended_result_codes(db->h, 1);
	if ((rc = sqlite3_busy_timeout(db->h, 5000)) != SQLITE_OK) {
		rc = db_err(db, rc, "busy_timeout");
		goto fail;
	}
	/* journal_mode answers with a row; for ":memory:" it stays "memory". */
	if ((rc = db_exec(db, "PRAGMA journal_mode = WAL")) != PRES_OK ||
	    (rc = db_exec(db, "PRAGMA synchronous = FULL")) != PRES_OK ||
	    (rc = db_exec(db, "PRAGMA foreign_keys = ON")) != PRES_OK ||
	    (rc = db_exec(db, "PRAGMA secure_delete = ON")) != PRES_OK)
		goto fail;
	if ((rc = migrate(db, target)) != PRES_OK)
		goto fail;
	*out = db;
	return PRES_OK;
fail:
	db_close(db);
	return rc;
}

int db_set_durable(struct db *db, int full)
{
	if (!db)
		return PRES_EINVAL;
	return db_exec(db, full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
}

int db_set_autocheckpoint(struct db *db, int pages)
{
	if (!db || pages < 0)
		return PRES_EINVAL;
	if (sqlite3_wal_autocheckpoint(db->h, pages) != SQLITE_OK)
		return db_err(db, sqlite3_errcode(db->h), "wal_autocheckpoint");
	return PRES_OK;
}

int db_checkpoint(struct db *db)
{
	int rc;

	if (!db)
		return PRES_EINVAL;
	rc = sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY)
		return db_err(db, rc, "checkpoint");
	return PRES_OK;
}

int db_open(const char *path, struct db **out)
{
	return db_open_at(path, db_schema_latest(), out);
}

int db_schema_version(struct db *db)
{
	int v = -1;
	if (get_user_version(db, &v) != PRES_OK)
		return PRES_EDB;
	return v;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	if (db->in_tx && db->h && !sqlite3_get_autocommit(db->h))
		db_exec(db, "ROLLBACK");
	for (size_t i = 0; i < db->n_cache; i++)
		sqlite3_finalize(db->cache[i].stmt);
	free(db->cache);
	if (db->h)
		sqlite3_close_v2(db->h);
	free(db);
}

int db_get_row(struct db *db, const char *sql, const char *key, const char *what,
    int (*row)(sqlite3_stmt *st, void *out), void *out)
{
	sqlite3_stmt *st;
	int rc;

	if (!(st = db_stmt(db, sql)))
		return PRES_EDB;
	db_bind_text(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = row(st, out);
	else if (rc == SQLITE_DONE)
		rc = PRES_ENOTFOUND;
	else
		rc = db_err(db, rc, what);
	db_stmt_done(st);
	return rc;
}

int db_delete_expired(struct db *db, const char *sql, int64_t now, const char *what, int *n_out)
{
	sqlite3_stmt *st;
	int rc;

	if (n_out)
		*n_out = 0;
	if (!(st = db_stmt(db, sql)))
		return PRES_EDB;
	sqlite3_bind_int64(st, 1, now);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	if (rc != SQLITE_DONE)
		return db_err(db, rc, what);
	if (n_out)
		*n_out = sqlite3_changes(db->h);
	return PRES_OK;
}

int db_change_row(struct db *db, const char *sql, const char *key, const char *what)
{
	sqlite3_stmt *st;
	int rc;

	if (!(st = db_stmt(db, sql)))
		return PRES_EDB;
	db_bind_text(st, 1, key);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	if (rc != SQLITE_DONE)
		return db_err(db, rc, what);
	return sqlite3_changes(db->h) > 0 ? PRES_OK : PRES_ENOTFOUND;
}
