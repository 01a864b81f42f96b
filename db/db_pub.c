/*
 * db_pub.c - presence publications (RFC 3903): one row per entity-tag.
 */
#include "db/db_int.h"

#include <stdlib.h>
#include <string.h>

#define PUB_COLS "etag, presentity, event, content_type, body, expires, created, source"

static const char SQL_PUB_PUT[] =
	"INSERT OR REPLACE INTO publication (" PUB_COLS ") "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_PUB_GET[] = "SELECT " PUB_COLS " FROM publication WHERE etag = ?1";
static const char SQL_PUB_DELETE[] = "DELETE FROM publication WHERE etag = ?1";
static const char SQL_PUB_LIVE[] =
	"SELECT " PUB_COLS " FROM publication "
	"WHERE presentity = ?1 AND event = ?2 AND expires > ?3 ORDER BY created, rowid";
static const char SQL_PUB_ALL[] =
	"SELECT " PUB_COLS " FROM publication ORDER BY created, rowid";
static const char SQL_PUB_EXPIRE[] = "DELETE FROM publication WHERE expires <= ?1";

void db_pub_clear(struct db_pub *p)
{
	if (!p)
		return;
	free(p->body);
	memset(p, 0, sizeof(*p));
}

static int pub_valid(const struct db_pub *p)
{
	return p && p->etag[0] && memchr(p->etag, '\0', sizeof(p->etag)) &&
	    p->presentity[0] && memchr(p->presentity, '\0', sizeof(p->presentity)) &&
	    p->event[0] && memchr(p->event, '\0', sizeof(p->event)) &&
	    memchr(p->content_type, '\0', sizeof(p->content_type)) &&
	    memchr(p->source, '\0', sizeof(p->source)) &&
	    (p->body || p->body_len == 0);
}

static int pub_insert(struct db *db, const struct db_pub *p)
{
	sqlite3_stmt *st;
	int rc;

	if (!(st = db_stmt(db, SQL_PUB_PUT)))
		return PRES_EDB;
	db_bind_text(st, 1, p->etag);
	db_bind_text(st, 2, p->presentity);
	db_bind_text(st, 3, p->event);
	db_bind_text(st, 4, p->content_type);
	if (p->body)
		sqlite3_bind_blob64(st, 5, p->body, (sqlite3_uint64)p->body_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, p->expires);
	sqlite3_bind_int64(st, 7, p->created ? p->created : pres_now());
	db_bind_text(st, 8, p->source);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	if (rc != SQLITE_DONE)
		return db_err(db, rc, "pub put");
	return PRES_OK;
}

static int row_to_pub(sqlite3_stmt *st, struct db_pub *out)
{
	memset(out, 0, sizeof(*out));
	db_col_text(st, 0, out->etag, sizeof(out->etag));
	db_col_text(st, 1, out->presentity, sizeof(out->presentity));
	db_col_text(st, 2, out->event, sizeof(out->event));
	db_col_text(st, 3, out->content_type, sizeof(out->content_type));
	int rc = db_col_dup(st, 4, &out->body, &out->body_len);
	out->expires = sqlite3_column_int64(st, 5);
	out->created = sqlite3_column_int64(st, 6);
	db_col_text(st, 7, out->source, sizeof(out->source));
	return rc;
}

int db_pub_put(struct db *db, const struct db_pub *p)
{
	if (!db || !pub_valid(p))
		return PRES_EINVAL;
	return pub_insert(db, p);
}

static int pub_delete(struct db *db, const char *etag)
{
	return db_change_row(db, SQL_PUB_DELETE, etag, "pub delete");
}

int db_pub_replace(struct db *db, const char *old_etag, const struct db_pub *p)
{
	int rc;

	if (!db || !old_etag || !pub_valid(p))
		return PRES_EINVAL;
	if ((rc = db_tx_start(db)) != PRES_OK)
		return rc;
	rc = pub_delete(db, old_etag);
	if (rc == PRES_OK)
		rc = pub_insert(db, p);
	return db_tx_end(db, rc);
}

static int pub_row(sqlite3_stmt *st, void *out)
{
	return row_to_pub(st, out);
}

int db_pub_get(struct db *db, const char *etag, struct db_pub *out)
{
	int rc;

	if (!db || !etag || !out)
		return PRES_EINVAL;
	memset(out, 0, sizeof(*out));
	rc = db_get_row(db, SQL_PUB_GET, etag, "pub get", pub_row, out);
	if (rc != PRES_OK)
		db_pub_clear(out);
	return rc;
}

int db_pub_delete(struct db *db, const char *etag)
{
	if (!db || !etag)
		return PRES_EINVAL;
	return pub_delete(db, etag);
}

/* Iterates a fresh statement; each row is copied out before the callback. */
static int pub_iterate(struct db *db, sqlite3_stmt *st,
    int (*cb)(const struct db_pub *p, void *arg), void *arg)
{
	struct db_pub p;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = row_to_pub(st, &p)) != PRES_OK) {
			db_pub_clear(&p);
			break;
		}
		int stop = cb(&p, arg);
		db_pub_clear(&p);
		if (stop) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc == SQLITE_DONE)
		rc = PRES_OK;
	else if (rc > 0)
		rc = db_err(db, rc, "pub foreach");
	sqlite3_finalize(st);
	return rc;
}

int db_pub_foreach(struct db *db, const char *presentity, const char *event,
    int (*cb)(const struct db_pub *p, void *arg), void *arg)
{
	sqlite3_stmt *st;

	if (!db || !presentity || !event || !cb)
		return PRES_EINVAL;
	if (!(st = db_stmt_fresh(db, SQL_PUB_LIVE)))
		return PRES_EDB;
	sqlite3_bind_text(st, 1, presentity, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, event, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, pres_now());
	return pub_iterate(db, st, cb, arg);
}

int db_pub_foreach_all(struct db *db, int (*cb)(const struct db_pub *p, void *arg), void *arg)
{
	sqlite3_stmt *st;

	if (!db || !cb)
		return PRES_EINVAL;
	if (!(st = db_stmt_fresh(db, SQL_PUB_ALL)))
		return PRES_EDB;
	return pub_iterate(db, st, cb, arg);
}

int db_pub_expire(struct db *db, int64_t now, int *n_out)
{
	if (n_out)
		*n_out = 0;
	if (!db)
		return PRES_EINVAL;
	return db_delete_expired(db, SQL_PUB_EXPIRE, now, "pub expire", n_out);
}
