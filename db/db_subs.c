/*
 * db_subs.c - SIP event subscriptions (RFC 6665), keyed by a dialog-unique id.
 */
#include "db/db_int.h"

#include <stdlib.h>
#include <string.h>

#define SUB_COLS "id, presentity, watcher, event, state, reason, expires, created, dialog, extra"

static const char SQL_SUBS_PUT[] =
	"INSERT OR REPLACE INTO subscription (" SUB_COLS ") "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char SQL_SUBS_GET[] = "SELECT " SUB_COLS " FROM subscription WHERE id = ?1";
static const char SQL_SUBS_DELETE[] = "DELETE FROM subscription WHERE id = ?1";
static const char SQL_SUBS_LIST[] =
	"SELECT " SUB_COLS " FROM subscription "
	"WHERE (?1 IS NULL OR presentity = ?1) AND (?2 IS NULL OR event = ?2) "
	"ORDER BY created, rowid";
static const char SQL_SUBS_EXPIRE[] = "DELETE FROM subscription WHERE expires <= ?1";

void db_sub_clear(struct db_sub *s)
{
	if (!s)
		return;
	free(s->dialog);
	free(s->extra);
	memset(s, 0, sizeof(*s));
}

#define TERMINATED(f) (memchr((f), '\0', sizeof(f)) != NULL)

int db_sub_put(struct db *db, const struct db_sub *s)
{
	sqlite3_stmt *st;
	int rc;

	if (!db || !s || !s->id[0] || !TERMINATED(s->id) || !s->presentity[0] ||
	    !TERMINATED(s->presentity) || !TERMINATED(s->watcher) || !s->event[0] ||
	    !TERMINATED(s->event) || !TERMINATED(s->state) || !TERMINATED(s->reason))
		return PRES_EINVAL;
	if (!(st = db_stmt(db, SQL_SUBS_PUT)))
		return PRES_EDB;
	db_bind_text(st, 1, s->id);
	db_bind_text(st, 2, s->presentity);
	db_bind_text(st, 3, s->watcher);
	db_bind_text(st, 4, s->event);
	db_bind_text(st, 5, s->state);
	db_bind_text(st, 6, s->reason);
	sqlite3_bind_int64(st, 7, s->expires);
	sqlite3_bind_int64(st, 8, s->created ? s->created : pres_now());
	db_bind_text(st, 9, s->dialog);
	db_bind_text(st, 10, s->extra);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	if (rc != SQLITE_DONE)
		return db_err(db, rc, "sub put");
	return PRES_OK;
}

static int row_to_sub(sqlite3_stmt *st, struct db_sub *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	db_col_text(st, 0, out->id, sizeof(out->id));
	db_col_text(st, 1, out->presentity, sizeof(out->presentity));
	db_col_text(st, 2, out->watcher, sizeof(out->watcher));
	db_col_text(st, 3, out->event, sizeof(out->event));
	db_col_text(st, 4, out->state, sizeof(out->state));
	db_col_text(st, 5, out->reason, sizeof(out->reason));
	out->expires = sqlite3_column_int64(st, 6);
	out->created = sqlite3_column_int64(st, 7);
	if ((rc = db_col_dup(st, 8, &out->dialog, NULL)) != PRES_OK)
		return rc;
	return db_col_dup(st, 9, &out->extra, NULL);
}

static int sub_row(sqlite3_stmt *st, void *out)
{
	return row_to_sub(st, out);
}

int db_sub_get(struct db *db, const char *id, struct db_sub *out)
{
	int rc;

	if (!db || !id || !out)
		return PRES_EINVAL;
	memset(out, 0, sizeof(*out));
	rc = db_get_row(db, SQL_SUBS_GET, id, "sub get", sub_row, out);
	if (rc != PRES_OK)
		db_sub_clear(out);
	return rc;
}

int db_sub_delete(struct db *db, const char *id)
{
	if (!db || !id)
		return PRES_EINVAL;
	return db_change_row(db, SQL_SUBS_DELETE, id, "sub delete");
}

int db_sub_foreach(struct db *db, const char *presentity, const char *event,
    int (*cb)(const struct db_sub *s, void *arg), void *arg)
{
	struct db_sub s;
	sqlite3_stmt *st;
	int rc;

	if (!db || !cb)
		return PRES_EINVAL;
	if (!(st = db_stmt_fresh(db, SQL_SUBS_LIST)))
		return PRES_EDB;
	if (presentity)
		sqlite3_bind_text(st, 1, presentity, -1, SQLITE_TRANSIENT);
	if (event)
		sqlite3_bind_text(st, 2, event, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = row_to_sub(st, &s)) != PRES_OK) {
			db_sub_clear(&s);
			break;
		}
		int stop = cb(&s, arg);
		db_sub_clear(&s);
		if (stop) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc == SQLITE_DONE)
		rc = PRES_OK;
	else if (rc > 0)
		rc = db_err(db, rc, "sub foreach");
	sqlite3_finalize(st);
	return rc;
}

int db_sub_expire(struct db *db, int64_t now, int *n_out)
{
	if (n_out)
		*n_out = 0;
	if (!db)
		return PRES_EINVAL;
	return db_delete_expired(db, SQL_SUBS_EXPIRE, now, "sub expire", n_out);
}
