/*
 * db_gba.c - embedded BSF state: pending AKA challenges (Ub) and
 * bootstrapping sessions (B-TID -> IMPI, RAND, Ks). Secret columns (CK, IK,
 * Ks) are wiped from the caller's buffers; SQLite overwrites deleted rows
 * (PRAGMA secure_delete).
 */
#include "db/db_int.h"

#include <openssl/crypto.h>
#include <string.h>

static const char SQL_AKA_PUT[] =
	"INSERT INTO aka_challenge (nonce, impi, rand, xres, ck, ik, expires) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_AKA_GET[] =
	"SELECT nonce, impi, rand, xres, ck, ik, expires FROM aka_challenge WHERE nonce = ?1";
static const char SQL_AKA_DELETE[] = "DELETE FROM aka_challenge WHERE nonce = ?1";
static const char SQL_AKA_EXPIRE[] = "DELETE FROM aka_challenge WHERE expires <= ?1";
static const char SQL_GBA_PUT[] =
	"INSERT OR REPLACE INTO gba_session (btid, impi, rand, ks, created, expires) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_GBA_GET[] =
	"SELECT btid, impi, rand, ks, created, expires FROM gba_session WHERE btid = ?1";
static const char SQL_GBA_EXPIRE[] = "DELETE FROM gba_session WHERE expires <= ?1";

#define TERMINATED(f) (memchr((f), '\0', sizeof(f)) != NULL)

int db_aka_challenge_put(struct db *db, const struct db_aka_challenge *c)
{
	sqlite3_stmt *st;
	int rc;

	if (!db || !c || !c->nonce[0] || !TERMINATED(c->nonce) || !c->impi[0] ||
	    !TERMINATED(c->impi) || c->xres_len == 0 || c->xres_len > sizeof(c->xres))
		return PRES_EINVAL;
	if (!(st = db_stmt(db, SQL_AKA_PUT)))
		return PRES_EDB;
	db_bind_text(st, 1, c->nonce);
	db_bind_text(st, 2, c->impi);
	sqlite3_bind_blob(st, 3, c->rand, sizeof(c->rand), SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, c->xres, (int)c->xres_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, c->ck, sizeof(c->ck), SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, c->ik, sizeof(c->ik), SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, c->expires);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	if (rc != SQLITE_DONE)
		return db_err(db, rc, "aka challenge put");
	return PRES_OK;
}

/* Selects and deletes the challenge in the caller's transaction. A row that
 * is malformed or expired is deleted too (a challenge is used once) and
 * flagged through @p bad / out->expires. */
static int aka_take_locked(struct db *db, const char *nonce, struct db_aka_challenge *out,
    int *bad)
{
	sqlite3_stmt *st;
	int rc;

	if (!(st = db_stmt(db, SQL_AKA_GET)))
		return PRES_EDB;
	db_bind_text(st, 1, nonce);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int n = sqlite3_column_bytes(st, 3);
		db_col_text(st, 0, out->nonce, sizeof(out->nonce));
		db_col_text(st, 1, out->impi, sizeof(out->impi));
		out->expires = sqlite3_column_int64(st, 6);
		if (n < 1 || n > (int)sizeof(out->xres) ||
		    db_col_blob(st, 3, out->xres, (size_t)n) != PRES_OK ||
		    db_col_blob(st, 2, out->rand, sizeof(out->rand)) != PRES_OK ||
		    db_col_blob(st, 4, out->ck, sizeof(out->ck)) != PRES_OK ||
		    db_col_blob(st, 5, out->ik, sizeof(out->ik)) != PRES_OK) {
			log_warnx("db: malformed aka_challenge row");
			*bad = 1;
		} else {
			out->xres_len = (size_t)n;
		}
		rc = PRES_OK;
	} else if (rc == SQLITE_DONE) {
		rc = PRES_ENOTFOUND;
	} else {
		rc = db_err(db, rc, "aka challenge get");
	}
	db_stmt_done(st);
	if (rc != PRES_OK)
		return rc;

	if (!(st = db_stmt(db, SQL_AKA_DELETE)))
		return PRES_EDB;
	db_bind_text(st, 1, nonce);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	if (rc != SQLITE_DONE)
		return db_err(db, rc, "aka challenge delete");
	return PRES_OK;
}

int db_aka_challenge_take(struct db *db, const char *nonce, struct db_aka_challenge *out)
{
	int bad = 0, rc;

	if (!db || !nonce || !out)
		return PRES_EINVAL;
	memset(out, 0, sizeof(*out));
	if ((rc = db_tx_start(db)) != PRES_OK)
		return rc;
	rc = db_tx_end(db, aka_take_locked(db, nonce, out, &bad));
	if (rc == PRES_OK && bad)
		rc = PRES_EDB;
	else if (rc == PRES_OK && out->expires <= pres_now())
		rc = PRES_ENOTFOUND; /* too late: deleted, and unknown to the caller */
	if (rc != PRES_OK)
		OPENSSL_cleanse(out, sizeof(*out));
	return rc;
}

int db_gba_session_put(struct db *db, const struct db_gba_session *s)
{
	sqlite3_stmt *st;
	int rc;

	if (!db || !s || !s->btid[0] || !TERMINATED(s->btid) || !s->impi[0] ||
	    !TERMINATED(s->impi))
		return PRES_EINVAL;
	if (!(st = db_stmt(db, SQL_GBA_PUT)))
		return PRES_EDB;
	db_bind_text(st, 1, s->btid);
	db_bind_text(st, 2, s->impi);
	sqlite3_bind_blob(st, 3, s->rand, sizeof(s->rand), SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, s->ks, sizeof(s->ks), SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, s->created ? s->created : pres_now());
	sqlite3_bind_int64(st, 6, s->expires);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	if (rc != SQLITE_DONE)
		return db_err(db, rc, "gba session put");
	return PRES_OK;
}

int db_gba_session_get(struct db *db, const char *btid, struct db_gba_session *out)
{
	sqlite3_stmt *st;
	int rc;

	if (!db || !btid || !out)
		return PRES_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!(st = db_stmt(db, SQL_GBA_GET)))
		return PRES_EDB;
	db_bind_text(st, 1, btid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		db_col_text(st, 0, out->btid, sizeof(out->btid));
		db_col_text(st, 1, out->impi, sizeof(out->impi));
		out->created = sqlite3_column_int64(st, 4);
		out->expires = sqlite3_column_int64(st, 5);
		if (db_col_blob(st, 2, out->rand, sizeof(out->rand)) != PRES_OK ||
		    db_col_blob(st, 3, out->ks, sizeof(out->ks)) != PRES_OK) {
			log_warnx("db: malformed gba_session row");
			rc = PRES_EDB;
		} else if (out->expires <= pres_now()) {
			rc = PRES_ENOTFOUND; /* an expired B-TID is unknown */
		} else {
			rc = PRES_OK;
		}
	} else if (rc == SQLITE_DONE) {
		rc = PRES_ENOTFOUND;
	} else {
		rc = db_err(db, rc, "gba session get");
	}
	db_stmt_done(st);
	if (rc != PRES_OK)
		OPENSSL_cleanse(out, sizeof(*out));
	return rc;
}

int db_gba_expire(struct db *db, int64_t now)
{
	int rc;

	if (!db)
		return PRES_EINVAL;
	if ((rc = db_tx_start(db)) != PRES_OK)
		return rc;
	rc = db_delete_expired(db, SQL_AKA_EXPIRE, now, "aka challenge expire", NULL);
	if (rc == PRES_OK)
		rc = db_delete_expired(db, SQL_GBA_EXPIRE, now, "gba session expire", NULL);
	return db_tx_end(db, rc);
}
