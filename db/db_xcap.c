/*
 * db_xcap.c - XCAP documents keyed by (auid, xui, name), with an ETag
 * compare-and-set on every write.
 */
#include "db/db_int.h"

#include <stdlib.h>
#include <string.h>

static const char SQL_DOC_GET[] =
	"SELECT content, etag, mtime FROM xcap_doc WHERE auid = ?1 AND xui = ?2 AND name = ?3";
static const char SQL_DOC_ETAG[] =
	"SELECT etag FROM xcap_doc WHERE auid = ?1 AND xui = ?2 AND name = ?3";
static const char SQL_DOC_UPSERT[] =
	"INSERT INTO xcap_doc (auid, xui, name, content, etag, mtime) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
	"ON CONFLICT (auid, xui, name) DO UPDATE SET "
	"content = excluded.content, etag = excluded.etag, mtime = excluded.mtime";
static const char SQL_DOC_DELETE[] =
	"DELETE FROM xcap_doc WHERE auid = ?1 AND xui = ?2 AND name = ?3";
static const char SQL_DOC_LIST[] =
	"SELECT auid, xui, name, etag, mtime, length(content) FROM xcap_doc "
	"WHERE (?1 IS NULL OR auid = ?1) AND (?2 IS NULL OR xui = ?2) "
	"ORDER BY auid, xui, name";

void db_doc_clear(struct db_doc *d)
{
	if (!d)
		return;
	free(d->content);
	memset(d, 0, sizeof(*d));
}

static void bind_key(sqlite3_stmt *st, const char *auid, const char *xui, const char *name)
{
	db_bind_text(st, 1, auid);
	db_bind_text(st, 2, xui);
	db_bind_text(st, 3, name);
}

int db_doc_get(struct db *db, const char *auid, const char *xui, const char *name,
    struct db_doc *out)
{
	sqlite3_stmt *st;
	int rc;

	if (!db || !auid || !xui || !name || !out)
		return PRES_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!(st = db_stmt(db, SQL_DOC_GET)))
		return PRES_EDB;
	bind_key(st, auid, xui, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rc = db_col_dup(st, 0, &out->content, &out->len);
		if (rc == PRES_OK && !out->content) /* NOT NULL column; be safe */
			rc = (out->content = calloc(1, 1)) ? PRES_OK : PRES_ENOMEM;
		db_col_text(st, 1, out->etag, sizeof(out->etag));
		out->mtime = sqlite3_column_int64(st, 2);
	} else if (rc == SQLITE_DONE) {
		rc = PRES_ENOTFOUND;
	} else {
		rc = db_err(db, rc, "doc get");
	}
	db_stmt_done(st);
	if (rc != PRES_OK)
		db_doc_clear(out);
	return rc;
}

/*
 * Checks @p expect_etag against the stored document, inside the caller's
 * transaction. Sets *exists. PRES_EPRECOND on mismatch.
 */
static int doc_check(struct db *db, const char *auid, const char *xui, const char *name,
    const char *expect_etag, int *exists)
{
	char etag[DB_ETAG_MAX];
	sqlite3_stmt *st;
	int rc;

	if (!(st = db_stmt(db, SQL_DOC_ETAG)))
		return PRES_EDB;
	bind_key(st, auid, xui, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		db_col_text(st, 0, etag, sizeof(etag));
		*exists = 1;
		rc = PRES_OK;
	} else if (rc == SQLITE_DONE) {
		*exists = 0;
		rc = PRES_OK;
	} else {
		rc = db_err(db, rc, "doc etag");
	}
	db_stmt_done(st);
	if (rc != PRES_OK || !expect_etag)
		return rc;
	if (expect_etag[0] == '\0')
		return *exists ? PRES_EPRECOND : PRES_OK;
	if (!*exists || strcmp(etag, expect_etag) != 0)
		return PRES_EPRECOND;
	return PRES_OK;
}

static int doc_put_locked(struct db *db, const char *auid, const char *xui, const char *name,
    const char *content, size_t len, const char *expect_etag, const char *new_etag)
{
	sqlite3_stmt *st;
	int exists, rc;

	if ((rc = doc_check(db, auid, xui, name, expect_etag, &exists)) != PRES_OK)
		return rc;
	if (!(st = db_stmt(db, SQL_DOC_UPSERT)))
		return PRES_EDB;
	bind_key(st, auid, xui, name);
	if (len == 0)
		sqlite3_bind_zeroblob(st, 4, 0);
	else
		sqlite3_bind_blob64(st, 4, content, (sqlite3_uint64)len, SQLITE_STATIC);
	db_bind_text(st, 5, new_etag);
	sqlite3_bind_int64(st, 6, pres_now());
	rc = sqlite3_step(st);
	db_stmt_done(st);
	if (rc != SQLITE_DONE)
		return db_err(db, rc, "doc put");
	return PRES_OK;
}

int db_doc_put(struct db *db, const char *auid, const char *xui, const char *name,
    const char *content, size_t len, const char *expect_etag, const char *new_etag)
{
	int rc;

	if (!db || !auid || !*auid || !xui || !name || !*name || (len && !content) ||
	    !new_etag || !*new_etag || strlen(new_etag) >= DB_ETAG_MAX)
		return PRES_EINVAL;
	if (len >= (size_t)sqlite3_limit(db->h, SQLITE_LIMIT_LENGTH, -1))
		return PRES_ETOOBIG;
	/* One write transaction: the ETag check and the write are one atomic
	 * compare-and-set, even against other connections and processes. */
	if ((rc = db_tx_start(db)) != PRES_OK)
		return rc;
	return db_tx_end(db, doc_put_locked(db, auid, xui, name, content, len,
	    expect_etag, new_etag));
}

static int doc_delete_locked(struct db *db, const char *auid, const char *xui,
    const char *name, const char *expect_etag)
{
	sqlite3_stmt *st;
	int exists, rc;

	rc = doc_check(db, auid, xui, name, expect_etag, &exists);
	if (rc == PRES_OK && !exists)
		return PRES_ENOTFOUND;
	if (rc == PRES_EPRECOND && !exists && expect_etag && *expect_etag)
		return PRES_ENOTFOUND; /* nothing to delete: not-found wins */
	if (rc != PRES_OK)
		return rc;
	if (!(st = db_stmt(db, SQL_DOC_DELETE)))
		return PRES_EDB;
	bind_key(st, auid, xui, name);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	if (rc != SQLITE_DONE)
		return db_err(db, rc, "doc delete");
	return PRES_OK;
}

int db_doc_delete(struct db *db, const char *auid, const char *xui, const char *name,
    const char *expect_etag)
{
	int rc;

	if (!db || !auid || !xui || !name)
		return PRES_EINVAL;
	if ((rc = db_tx_start(db)) != PRES_OK)
		return rc;
	return db_tx_end(db, doc_delete_locked(db, auid, xui, name, expect_etag));
}

int db_doc_foreach(struct db *db, const char *auid, const char *xui,
    int (*cb)(const struct db_doc_info *d, void *arg), void *arg)
{
	char a[DB_URI_MAX], x[DB_URI_MAX], n[1024], e[DB_ETAG_MAX];
	struct db_doc_info info;
	sqlite3_stmt *st;
	int rc;

	if (!db || !cb)
		return PRES_EINVAL;
	if (!(st = db_stmt_fresh(db, SQL_DOC_LIST)))
		return PRES_EDB;
	db_bind_text(st, 1, auid);
	db_bind_text(st, 2, xui);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* copies: the callback may re-enter db/ on this connection */
		db_col_text(st, 0, a, sizeof(a));
		db_col_text(st, 1, x, sizeof(x));
		db_col_text(st, 2, n, sizeof(n));
		db_col_text(st, 3, e, sizeof(e));
		info.auid = a;
		info.xui = x;
		info.name = n;
		info.etag = e;
		info.mtime = sqlite3_column_int64(st, 4);
		info.len = (size_t)sqlite3_column_int64(st, 5);
		if (cb(&info, arg)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	rc = rc == SQLITE_DONE ? PRES_OK : db_err(db, rc, "doc foreach");
	sqlite3_finalize(st);
	return rc;
}
