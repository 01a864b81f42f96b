/*
 * db_subscriber.c - subscribers (IMPI, AKA credentials, SQN), their IMPUs,
 * and HTTP Digest credentials (HA1 only; passwords are never stored).
 */
#include "db/db_int.h"

#include <openssl/crypto.h>
#include <string.h>

#define SUB_COLS "s.id, s.impi, s.k, s.opc, s.amf, s.sqn, s.auth_not_before, s.has_password"

/* Single lookups read the subscriber and its IMPUs with one statement (one
 * row per IMPU, the subscriber's columns repeated): one read transaction,
 * one consistent snapshot, instead of two. */
static const char SQL_SUB_BY_IMPI[] =
	"SELECT " SUB_COLS ", i.uri FROM subscriber s "
	"LEFT JOIN impu i ON i.subscriber_id = s.id "
	"WHERE s.impi = ?1 ORDER BY i.position";
static const char SQL_SUB_BY_IMPU[] =
	"SELECT " SUB_COLS ", i.uri FROM impu u JOIN subscriber s ON s.id = u.subscriber_id "
	"LEFT JOIN impu i ON i.subscriber_id = s.id "
	"WHERE u.uri = ?1 ORDER BY i.position";
static const char SQL_SUB_ALL[] =
	"SELECT " SUB_COLS " FROM subscriber s ORDER BY s.impi";
static const char SQL_IMPUS[] =
	"SELECT uri FROM impu WHERE subscriber_id = ?1 ORDER BY position";
static const char SQL_SUB_INSERT[] =
	"INSERT INTO subscriber (impi, k, opc, amf, sqn, auth_not_before, has_password, created) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)";
static const char SQL_IMPU_INSERT[] =
	"INSERT INTO impu (uri, subscriber_id, position) VALUES (?1, ?2, ?3)";
static const char SQL_SUB_DELETE[] = "DELETE FROM subscriber WHERE impi = ?1";
static const char SQL_SUB_SET_SQN[] = "UPDATE subscriber SET sqn = ?2 WHERE impi = ?1";
static const char SQL_SUB_SET_ANB[] =
	"UPDATE subscriber SET auth_not_before = ?2 WHERE impi = ?1";
static const char SQL_SUB_ID[] = "SELECT id FROM subscriber WHERE impi = ?1";
static const char SQL_DIGEST_CLEAR[] = "DELETE FROM digest_cred WHERE subscriber_id = ?1";
static const char SQL_DIGEST_INSERT[] =
	"INSERT INTO digest_cred (username, realm, ha1_md5, ha1_sha256, subscriber_id) "
	"VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_SUB_SET_PW[] = "UPDATE subscriber SET has_password = ?2 WHERE id = ?1";
static const char SQL_DIGEST_GET[] =
	"SELECT d.username, d.realm, d.ha1_md5, d.ha1_sha256, s.impi "
	"FROM digest_cred d JOIN subscriber s ON s.id = d.subscriber_id "
	"WHERE d.username = ?1 AND d.realm = ?2";

void db_subscriber_wipe(struct db_subscriber *s)
{
	if (s)
		OPENSSL_cleanse(s, sizeof(*s));
}

/* Fills @p out from a row of SUB_COLS (not the IMPUs). */
static int row_to_sub(sqlite3_stmt *st, struct db_subscriber *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(st, 0);
	db_col_text(st, 1, out->impi, sizeof(out->impi));
	if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
		if (db_col_blob(st, 2, out->k, sizeof(out->k)) != PRES_OK ||
		    db_col_blob(st, 3, out->opc, sizeof(out->opc)) != PRES_OK ||
		    db_col_blob(st, 4, out->amf, sizeof(out->amf)) != PRES_OK) {
			db_subscriber_wipe(out);
			log_warnx("db: subscriber row has malformed AKA credentials");
			return PRES_EDB;
		}
		out->has_aka = 1;
	}
	out->sqn = (uint64_t)sqlite3_column_int64(st, 5);
	out->auth_not_before = sqlite3_column_int64(st, 6);
	out->has_password = sqlite3_column_int(st, 7) != 0;
	return PRES_OK;
}

static int load_impus(struct db *db, struct db_subscriber *out)
{
	sqlite3_stmt *st = db_stmt(db, SQL_IMPUS);
	int rc;
	if (!st)
		return PRES_EDB;
	sqlite3_bind_int64(st, 1, out->id);
	out->n_impus = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->n_impus == DB_MAX_IMPUS)
			break;
		db_col_text(st, 0, out->impus[out->n_impus], DB_URI_MAX);
		out->n_impus++;
	}
	rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? PRES_OK : db_err(db, rc, "load impus");
	db_stmt_done(st);
	return rc;
}

/* Runs a one-subscriber query (SUB_COLS then the IMPU column, one row per
 * IMPU in position order) bound with @p key. */
static int sub_lookup(struct db *db, const char *sql, const char *key,
    struct db_subscriber *out)
{
	sqlite3_stmt *st;
	int rc;

	if (!db || !key || !out)
		return PRES_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!(st = db_stmt(db, sql)))
		return PRES_EDB;
	db_bind_text(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = PRES_ENOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		rc = db_err(db, rc, "subscriber lookup");
		goto out;
	}
	if ((rc = row_to_sub(st, out)) != PRES_OK)
		goto out;
	do {
		if (sqlite3_column_type(st, 8) == SQLITE_NULL || out->n_impus == DB_MAX_IMPUS)
			continue;        /* no IMPU (LEFT JOIN) / over the bound, as before */
		db_col_text(st, 8, out->impus[out->n_impus], DB_URI_MAX);
		out->n_impus++;
	} while ((rc = sqlite3_step(st)) == SQLITE_ROW);
	rc = rc == SQLITE_DONE ? PRES_OK : db_err(db, rc, "subscriber lookup");
	if (rc != PRES_OK)
		db_subscriber_wipe(out);
out:
	db_stmt_done(st);
	return rc;
}

int db_subscriber_get(struct db *db, const char *impi, struct db_subscriber *out)
{
	return sub_lookup(db, SQL_SUB_BY_IMPI, impi, out);
}

int db_subscriber_by_impu(struct db *db, const char *impu, struct db_subscriber *out)
{
	return sub_lookup(db, SQL_SUB_BY_IMPU, impu, out);
}

int db_subscriber_foreach(struct db *db,
    int (*cb)(const struct db_subscriber *s, void *arg), void *arg)
{
	struct db_subscriber s;
	sqlite3_stmt *st;
	int rc;

	if (!db || !cb)
		return PRES_EINVAL;
	if (!(st = db_stmt_fresh(db, SQL_SUB_ALL)))
		return PRES_EDB;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = row_to_sub(st, &s)) != PRES_OK ||
		    (rc = load_impus(db, &s)) != PRES_OK)
			break;
		int stop = cb(&s, arg);
		db_subscriber_wipe(&s);
		if (stop) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc == SQLITE_DONE)
		rc = PRES_OK;
	else if (rc > 0)
		rc = db_err(db, rc, "subscriber foreach");
	db_subscriber_wipe(&s);
	sqlite3_finalize(st);
	return rc;
}

static int sub_insert(struct db *db, const struct db_subscriber *s)
{
	sqlite3_stmt *st = db_stmt(db, SQL_SUB_INSERT);
	int64_t id;
	int rc;

	if (!st)
		return PRES_EDB;
	db_bind_text(st, 1, s->impi);
	if (s->has_aka) {
		sqlite3_bind_blob(st, 2, s->k, sizeof(s->k), SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, s->opc, sizeof(s->opc), SQLITE_STATIC);
		sqlite3_bind_blob(st, 4, s->amf, sizeof(s->amf), SQLITE_STATIC);
	}
	sqlite3_bind_int64(st, 5, (sqlite3_int64)s->sqn);
	sqlite3_bind_int64(st, 6, s->auth_not_before);
	sqlite3_bind_int64(st, 7, pres_now());
	rc = sqlite3_step(st);
	db_stmt_done(st);
	if (rc != SQLITE_DONE)
		return db_err(db, rc, "subscriber insert");
	id = sqlite3_last_insert_rowid(db->h);

	if (!(st = db_stmt(db, SQL_IMPU_INSERT)))
		return PRES_EDB;
	for (size_t i = 0; i < s->n_impus; i++) {
		sqlite3_reset(st);
		db_bind_text(st, 1, s->impus[i]);
		sqlite3_bind_int64(st, 2, id);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)i);
		rc = sqlite3_step(st);
		if (rc != SQLITE_DONE) {
			db_stmt_done(st);
			return db_err(db, rc, "impu insert");
		}
	}
	db_stmt_done(st);
	return PRES_OK;
}

int db_subscriber_add(struct db *db, const struct db_subscriber *s)
{
	int rc;

	if (!db || !s || !s->impi[0] || s->n_impus < 1 || s->n_impus > DB_MAX_IMPUS ||
	    !memchr(s->impi, '\0', sizeof(s->impi)) || s->sqn > 0xffffffffffffULL)
		return PRES_EINVAL;
	for (size_t i = 0; i < s->n_impus; i++)
		if (!s->impus[i][0] || !memchr(s->impus[i], '\0', DB_URI_MAX))
			return PRES_EINVAL;
	if ((rc = db_tx_start(db)) != PRES_OK)
		return rc;
	return db_tx_end(db, sub_insert(db, s));
}

/* Runs a one-statement write bound with (?1 text, ?2 int64); ENOTFOUND if
 * no row changed. */
static int update_one(struct db *db, const char *sql, const char *key, int64_t v,
    const char *what)
{
	sqlite3_stmt *st;
	int rc;

	if (!db || !key)
		return PRES_EINVAL;
	if (!(st = db_stmt(db, sql)))
		return PRES_EDB;
	db_bind_text(st, 1, key);
	sqlite3_bind_int64(st, 2, v);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	if (rc != SQLITE_DONE)
		return db_err(db, rc, what);
	return sqlite3_changes(db->h) > 0 ? PRES_OK : PRES_ENOTFOUND;
}

int db_subscriber_remove(struct db *db, const char *impi)
{
	if (!db || !impi)
		return PRES_EINVAL;
	return db_change_row(db, SQL_SUB_DELETE, impi, "subscriber delete");
}

int db_subscriber_set_sqn(struct db *db, const char *impi, uint64_t sqn)
{
	if (sqn > 0xffffffffffffULL)
		return PRES_EINVAL;
	return update_one(db, SQL_SUB_SET_SQN, impi, (int64_t)sqn, "set sqn");
}

int db_subscriber_set_auth_not_before(struct db *db, const char *impi, int64_t when)
{
	return update_one(db, SQL_SUB_SET_ANB, impi, when, "set auth_not_before");
}

/* ---- digest credentials -------------------------------------------------- */

static int digest_set_locked(struct db *db, const char *impi,
    const struct db_digest_cred *creds, size_t n)
{
	sqlite3_stmt *st;
	int64_t id;
	int rc;

	if (!(st = db_stmt(db, SQL_SUB_ID)))
		return PRES_EDB;
	db_bind_text(st, 1, impi);
	rc = sqlite3_step(st);
	id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	db_stmt_done(st);
	if (rc == SQLITE_DONE)
		return PRES_ENOTFOUND;
	if (rc != SQLITE_ROW)
		return db_err(db, rc, "digest subscriber");

	if (!(st = db_stmt(db, SQL_DIGEST_CLEAR)))
		return PRES_EDB;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	if (rc != SQLITE_DONE)
		return db_err(db, rc, "digest clear");

	if (!(st = db_stmt(db, SQL_DIGEST_INSERT)))
		return PRES_EDB;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(st);
		db_bind_text(st, 1, creds[i].username);
		db_bind_text(st, 2, creds[i].realm);
		db_bind_text(st, 3, creds[i].ha1_md5);
		db_bind_text(st, 4, creds[i].ha1_sha256);
		sqlite3_bind_int64(st, 5, id);
		rc = sqlite3_step(st);
		if (rc != SQLITE_DONE) {
			db_stmt_done(st);
			return db_err(db, rc, "digest insert");
		}
	}
	db_stmt_done(st);

	if (!(st = db_stmt(db, SQL_SUB_SET_PW)))
		return PRES_EDB;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, n > 0);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	if (rc != SQLITE_DONE)
		return db_err(db, rc, "set has_password");
	return PRES_OK;
}

static int hexlen_ok(const char *h, size_t size, size_t want)
{
	size_t n = strnlen(h, size);
	if (n != want)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdefABCDEF", h[i]))
			return 0;
	return 1;
}

int db_digest_set(struct db *db, const char *impi, const struct db_digest_cred *creds, size_t n)
{
	int rc;

	if (!db || !impi || (n && !creds))
		return PRES_EINVAL;
	for (size_t i = 0; i < n; i++) {
		const struct db_digest_cred *c = &creds[i];
		if (!memchr(c->username, '\0', sizeof(c->username)) || !c->username[0] ||
		    !memchr(c->realm, '\0', sizeof(c->realm)) ||
		    !hexlen_ok(c->ha1_md5, sizeof(c->ha1_md5), 32) ||
		    !hexlen_ok(c->ha1_sha256, sizeof(c->ha1_sha256), 64))
			return PRES_EINVAL;
	}
	if ((rc = db_tx_start(db)) != PRES_OK)
		return rc;
	return db_tx_end(db, digest_set_locked(db, impi, creds, n));
}

int db_digest_get(struct db *db, const char *username, const char *realm,
    struct db_digest_cred *out, char *impi_out)
{
	sqlite3_stmt *st;
	int rc;

	if (!db || !username || !realm || !out)
		return PRES_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!(st = db_stmt(db, SQL_DIGEST_GET)))
		return PRES_EDB;
	db_bind_text(st, 1, username);
	db_bind_text(st, 2, realm);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		db_col_text(st, 0, out->username, sizeof(out->username));
		db_col_text(st, 1, out->realm, sizeof(out->realm));
		db_col_text(st, 2, out->ha1_md5, sizeof(out->ha1_md5));
		db_col_text(st, 3, out->ha1_sha256, sizeof(out->ha1_sha256));
		if (impi_out)
			db_col_text(st, 4, impi_out, DB_URI_MAX);
		rc = PRES_OK;
	} else if (rc == SQLITE_DONE) {
		rc = PRES_ENOTFOUND;
	} else {
		rc = db_err(db, rc, "digest get");
	}
	db_stmt_done(st);
	return rc;
}
