/*
 * db_int.h - private to db/: the connection struct, the prepared-statement
 * cache, transaction helpers and SQLite error mapping. Nothing outside db/
 * includes this header, except the unit tests (which inspect pragmas and
 * build old schema versions through db_open_at()).
 */
#ifndef PRES_DB_INT_H
#define PRES_DB_INT_H

#include <sqlite3.h>

#include "db/db.h"

/** One cached prepared statement, keyed by its SQL text. */
struct db_stmt_slot {
	const char *sql;      /* borrowed: a string literal of db/ */
	sqlite3_stmt *stmt;   /* owned, finalized in db_close() */
};

struct db {
	sqlite3 *h;                  /* owned */
	struct db_stmt_slot *cache;  /* owned array of n_cache, capacity cap_cache */
	size_t n_cache, cap_cache;
	int in_tx;                   /* inside db_begin() .. db_commit()/db_rollback() */
};

/** Test hook: opens like db_open() but migrates only up to @p target
 *  (0 < target <= db_schema_latest()). */
int db_open_at(const char *path, int target, struct db **out);

/**
 * Returns the cached, reset statement for @p sql (preparing it on first use),
 * or NULL after logging. The statement stays owned by the cache; call
 * db_stmt_done() before returning from the function that used it.
 * Never use a cached statement across a user callback: see db_stmt_fresh().
 */
sqlite3_stmt *db_stmt(struct db *db, const char *sql);
/** Resets @p st and clears its bindings (so no bound pointer stays behind). */
void db_stmt_done(sqlite3_stmt *st);
/** Prepares an uncached statement (for iterations that call back the user,
 *  who may re-enter db/). Finalize with sqlite3_finalize(). */
sqlite3_stmt *db_stmt_fresh(struct db *db, const char *sql);

/** Maps an SQLite result code to enum pres_rc and logs the failure with
 *  @p what (never secrets). SQLITE_CONSTRAINT -> PRES_EEXIST,
 *  SQLITE_BUSY/LOCKED -> PRES_EAGAIN, others -> PRES_EDB. */
int db_err(struct db *db, int sqlite_rc, const char *what);

/**
 * Starts an atomic unit: BEGIN IMMEDIATE, or a SAVEPOINT when the caller
 * already holds a db_begin() transaction. Pair with db_tx_end().
 */
int db_tx_start(struct db *db);
/** Ends the unit started by db_tx_start(): commits if @p rc is PRES_OK,
 *  rolls back otherwise. Returns @p rc, or the commit failure. */
int db_tx_end(struct db *db, int rc);

/** Runs one statement without results (helper for DDL and pragmas). */
int db_exec(struct db *db, const char *sql);

/** Binds text, or NULL when @p s is NULL. SQLITE_STATIC: the caller's
 *  buffer must live until db_stmt_done(). */
int db_bind_text(sqlite3_stmt *st, int idx, const char *s);
/** Runs the one-row query @p sql with @p key bound to ?1 and hands the row
 *  to @p row (which copies it into @p out). PRES_ENOTFOUND without a row;
 *  errors are logged with @p what. */
int db_get_row(struct db *db, const char *sql, const char *key, const char *what,
    int (*row)(sqlite3_stmt *st, void *out), void *out);
/** Runs the write @p sql with @p key bound to ?1: PRES_OK when it changed a
 *  row, PRES_ENOTFOUND when none matched; errors are logged with @p what. */
int db_change_row(struct db *db, const char *sql, const char *key, const char *what);
/** Runs the delete @p sql with @p now bound to ?1 (the rows that expired
 *  before it); stores the number of rows deleted in @p n_out if not NULL.
 *  Errors are logged with @p what. */
int db_delete_expired(struct db *db, const char *sql, int64_t now, const char *what, int *n_out);
/** Copies column @p col as text into @p dst (size @p size); "" for NULL. */
void db_col_text(sqlite3_stmt *st, int col, char *dst, size_t size);
/** Copies a blob column into @p dst: exactly @p n bytes are required.
 *  Returns PRES_OK, or PRES_EDB if the stored length differs. */
int db_col_blob(sqlite3_stmt *st, int col, uint8_t *dst, size_t n);
/** malloc'd NUL-terminated copy of a text/blob column (NULL column -> NULL
 *  with *len_out 0 and PRES_OK). */
int db_col_dup(sqlite3_stmt *st, int col, char **out, size_t *len_out);

#endif
