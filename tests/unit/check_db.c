/* check_db.c - unit tests of the storage module (db/) on real SQLite files. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db/db_int.h"

static char tmpdir[64];
static char dbpath[128];

static void setup(void)
{
	pres_strlcpy(tmpdir, "/tmp/check_db.XXXXXX", sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(dbpath, sizeof(dbpath), "%s/t.db", tmpdir);
	pres_clock_set(0);
}

static void teardown(void)
{
	char p[192];
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < PRES_ARRAY_LEN(sfx); i++) {
		snprintf(p, sizeof(p), "%s%s", dbpath, sfx[i]);
		unlink(p);
	}
	rmdir(tmpdir);
}

static struct db *open_db(void)
{
	struct db *db = NULL;
	ck_assert_int_eq(db_open(dbpath, &db), PRES_OK);
	ck_assert_ptr_nonnull(db);
	return db;
}

/* Runs a one-value query on the raw handle (tests only). */
static long long q_int(struct db *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(db->h, sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	long long v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void q_text(struct db *db, const char *sql, char *out, size_t n)
{
	sqlite3_stmt *st = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(db->h, sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	pres_strlcpy(out, (const char *)sqlite3_column_text(st, 0), n);
	sqlite3_finalize(st);
}

static void make_sub(struct db_subscriber *s, const char *impi, const char *impu0,
    const char *impu1)
{
	memset(s, 0, sizeof(*s));
	pres_strlcpy(s->impi, impi, sizeof(s->impi));
	pres_strlcpy(s->impus[0], impu0, DB_URI_MAX);
	s->n_impus = 1;
	if (impu1) {
		pres_strlcpy(s->impus[1], impu1, DB_URI_MAX);
		s->n_impus = 2;
	}
}

/* ---- open, pragmas, migrations ------------------------------------------ */

START_TEST(test_open_pragmas)
{
	struct db *db = open_db();
	char mode[16];
	ck_assert_int_ge(db_schema_latest(), 2);
	ck_assert_int_eq(db_schema_version(db), db_schema_latest());
	q_text(db, "PRAGMA journal_mode", mode, sizeof(mode));
	ck_assert_str_eq(mode, "wal");
	ck_assert_int_eq(q_int(db, "PRAGMA synchronous"), 2); /* FULL */
	ck_assert_int_eq(q_int(db, "PRAGMA foreign_keys"), 1);
	ck_assert_int_eq(q_int(db, "PRAGMA busy_timeout"), 5000);
	ck_assert_int_eq(q_int(db, "PRAGMA secure_delete"), 1);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
	    "name IN ('subscriber','impu','digest_cred','xcap_doc','publication',"
	    "'subscription','aka_challenge','gba_session')"), 8);
	db_close(db);

	struct db *m = NULL;
	ck_assert_int_eq(db_open(":memory:", &m), PRES_OK);
	ck_assert_int_eq(db_schema_version(m), db_schema_latest());
	db_close(m);
	ck_assert_int_eq(db_open("/nonexistent-dir/x/y.db", &m), PRES_EDB);
	ck_assert_ptr_null(m);
}
END_TEST

START_TEST(test_reopen_idempotent)
{
	struct db *db = open_db();
	struct db_subscriber s;
	make_sub(&s, "alice@ims.example.com", "sip:alice@ims.example.com", NULL);
	ck_assert_int_eq(db_subscriber_add(db, &s), PRES_OK);
	long long n_objs = q_int(db, "SELECT count(*) FROM sqlite_master");
	db_close(db);
	for (int i = 0; i < 2; i++) {
		db = open_db();
		ck_assert_int_eq(db_schema_version(db), db_schema_latest());
		ck_assert_int_eq(q_int(db, "SELECT count(*) FROM sqlite_master"), n_objs);
		ck_assert_int_eq(db_subscriber_get(db, "alice@ims.example.com", &s), PRES_OK);
		db_subscriber_wipe(&s);
		db_close(db);
	}
}
END_TEST

START_TEST(test_migrate_from_previous)
{
	int latest = db_schema_latest();
	struct db *db = NULL;
	ck_assert_int_eq(db_open_at(dbpath, latest - 1, &db), PRES_OK);
	ck_assert_int_eq(db_schema_version(db), latest - 1);
	/* version 2 adds the expiry indexes and the BSF cleanup trigger */
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM sqlite_master WHERE name = "
	    "'publication_expires'"), 0);
	ck_assert_int_eq(db_doc_put(db, "pres-rules", "sip:a@x", "index", "<a/>", 4, NULL, "e1"),
	    PRES_OK);
	db_close(db);

	db = open_db();
	ck_assert_int_eq(db_schema_version(db), latest);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM sqlite_master WHERE name = "
	    "'publication_expires'"), 1);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"), 1);
	struct db_doc d;
	ck_assert_int_eq(db_doc_get(db, "pres-rules", "sip:a@x", "index", &d), PRES_OK);
	ck_assert_str_eq(d.etag, "e1");
	db_doc_clear(&d);

	/* a database from a newer build is refused, not downgraded */
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", latest + 1);
	ck_assert_int_eq(db_exec(db, sql), PRES_OK);
	db_close(db);
	db = NULL;
	ck_assert_int_eq(db_open(dbpath, &db), PRES_EDB);
	ck_assert_ptr_null(db);
	ck_assert_int_eq(db_open_at(dbpath, 0, &db), PRES_EINVAL);
}
END_TEST

/* ---- subscribers ----------------------------------------------------------- */

static int collect_impi(const struct db_subscriber *s, void *arg)
{
	char *buf = arg;
	size_t n = strlen(buf);
	snprintf(buf + n, 512 - n, "%s%s/%zu", n ? "," : "", s->impi, s->n_impus);
	return 0;
}

static int stop_first(const struct db_subscriber *s, void *arg)
{
	(*(int *)arg)++;
	return 1;
}

/* The callback re-enters db/ on the same connection. */
static int reenter(const struct db_subscriber *s, void *arg)
{
	struct db *db = arg;
	struct db_subscriber t;
	ck_assert_int_eq(db_subscriber_by_impu(db, s->impus[0], &t), PRES_OK);
	ck_assert_str_eq(t.impi, s->impi);
	db_subscriber_wipe(&t);
	return 0;
}

START_TEST(test_subscriber_crud)
{
	struct db *db = open_db();
	struct db_subscriber s, g;

	make_sub(&s, "alice@ims.example.com", "sip:alice@ims.example.com", "tel:+15550001");
	s.has_aka = 1;
	for (int i = 0; i < 16; i++) {
		s.k[i] = (uint8_t)i;
		s.opc[i] = (uint8_t)(0xf0 + i);
	}
	s.amf[0] = 0x80;
	s.sqn = 0x123456789aULL;
	ck_assert_int_eq(db_subscriber_add(db, &s), PRES_OK);
	make_sub(&s, "bob@ims.example.com", "sip:bob@ims.example.com", NULL);
	ck_assert_int_eq(db_subscriber_add(db, &s), PRES_OK);

	ck_assert_int_eq(db_subscriber_get(db, "alice@ims.example.com", &g), PRES_OK);
	ck_assert_str_eq(g.impi, "alice@ims.example.com");
	ck_assert_uint_eq(g.n_impus, 2);
	ck_assert_str_eq(g.impus[0], "sip:alice@ims.example.com");
	ck_assert_str_eq(g.impus[1], "tel:+15550001");
	ck_assert_int_eq(g.has_aka, 1);
	ck_assert_int_eq(g.has_password, 0);
	ck_assert_uint_eq(g.k[15], 15);
	ck_assert_uint_eq(g.opc[0], 0xf0);
	ck_assert_uint_eq(g.amf[0], 0x80);
	ck_assert_uint_eq(g.amf[1], 0);
	ck_assert(g.sqn == 0x123456789aULL);
	ck_assert_int_eq(g.auth_not_before, 0);
	db_subscriber_wipe(&g);
	ck_assert_uint_eq(g.k[15], 0);

	ck_assert_int_eq(db_subscriber_by_impu(db, "tel:+15550001", &g), PRES_OK);
	ck_assert_str_eq(g.impi, "alice@ims.example.com");
	ck_assert_int_eq(db_subscriber_get(db, "bob@ims.example.com", &g), PRES_OK);
	ck_assert_int_eq(g.has_aka, 0);
	ck_assert_int_eq(db_subscriber_by_impu(db, "sip:carol@ims.example.com", &g),
	    PRES_ENOTFOUND);
	ck_assert_int_eq(db_subscriber_get(db, "carol@ims.example.com", &g), PRES_ENOTFOUND);

	ck_assert_int_eq(db_subscriber_set_sqn(db, "alice@ims.example.com", 0xffffffffffffULL),
	    PRES_OK);
	ck_assert_int_eq(db_subscriber_set_sqn(db, "alice@ims.example.com", 1ULL << 48),
	    PRES_EINVAL);
	ck_assert_int_eq(db_subscriber_set_sqn(db, "nobody@x", 1), PRES_ENOTFOUND);
	ck_assert_int_eq(db_subscriber_set_auth_not_before(db, "alice@ims.example.com",
	    1700000000), PRES_OK);
	ck_assert_int_eq(db_subscriber_set_auth_not_before(db, "nobody@x", 1), PRES_ENOTFOUND);
	ck_assert_int_eq(db_subscriber_get(db, "alice@ims.example.com", &g), PRES_OK);
	ck_assert(g.sqn == 0xffffffffffffULL);
	ck_assert_int_eq(g.auth_not_before, 1700000000);
	db_subscriber_wipe(&g);

	char list[512] = "";
	ck_assert_int_eq(db_subscriber_foreach(db, collect_impi, list), PRES_OK);
	ck_assert_str_eq(list, "alice@ims.example.com/2,bob@ims.example.com/1");
	int calls = 0;
	ck_assert_int_eq(db_subscriber_foreach(db, stop_first, &calls), PRES_OK);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(db_subscriber_foreach(db, reenter, db), PRES_OK);

	ck_assert_int_eq(db_subscriber_remove(db, "alice@ims.example.com"), PRES_OK);
	ck_assert_int_eq(db_subscriber_remove(db, "alice@ims.example.com"), PRES_ENOTFOUND);
	ck_assert_int_eq(db_subscriber_by_impu(db, "tel:+15550001", &g), PRES_ENOTFOUND);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM impu"), 1);
	list[0] = '\0';
	ck_assert_int_eq(db_subscriber_foreach(db, collect_impi, list), PRES_OK);
	ck_assert_str_eq(list, "bob@ims.example.com/1");
	db_close(db);
}
END_TEST

START_TEST(test_subscriber_duplicates)
{
	struct db *db = open_db();
	struct db_subscriber s, g;

	make_sub(&s, "alice@ims.example.com", "sip:alice@ims.example.com", "tel:+15550001");
	ck_assert_int_eq(db_subscriber_add(db, &s), PRES_OK);
	long long subs = q_int(db, "SELECT count(*) FROM subscriber");
	long long impus = q_int(db, "SELECT count(*) FROM impu");

	/* same IMPI */
	make_sub(&s, "alice@ims.example.com", "sip:alice2@ims.example.com", NULL);
	ck_assert_int_eq(db_subscriber_add(db, &s), PRES_EEXIST);
	/* new IMPI, but its second IMPU is taken: nothing of bob is written */
	make_sub(&s, "bob@ims.example.com", "sip:bob@ims.example.com", "tel:+15550001");
	ck_assert_int_eq(db_subscriber_add(db, &s), PRES_EEXIST);
	ck_assert_int_eq(db_subscriber_get(db, "bob@ims.example.com", &g), PRES_ENOTFOUND);
	ck_assert_int_eq(db_subscriber_by_impu(db, "sip:bob@ims.example.com", &g),
	    PRES_ENOTFOUND);
	/* the same IMPU twice in one request */
	make_sub(&s, "carol@ims.example.com", "sip:carol@ims.example.com",
	    "sip:carol@ims.example.com");
	ck_assert_int_eq(db_subscriber_add(db, &s), PRES_EEXIST);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM subscriber"), subs);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM impu"), impus);

	/* malformed requests */
	make_sub(&s, "dave@ims.example.com", "sip:dave@ims.example.com", NULL);
	s.n_impus = 0;
	ck_assert_int_eq(db_subscriber_add(db, &s), PRES_EINVAL);
	s.n_impus = DB_MAX_IMPUS + 1;
	ck_assert_int_eq(db_subscriber_add(db, &s), PRES_EINVAL);
	s.n_impus = 1;
	s.impi[0] = '\0';
	ck_assert_int_eq(db_subscriber_add(db, &s), PRES_EINVAL);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM subscriber"), subs);

	/* the same duplicate inside an explicit transaction: only it is undone */
	ck_assert_int_eq(db_begin(db), PRES_OK);
	ck_assert_int_eq(db_begin(db), PRES_EINVAL);
	make_sub(&s, "erin@ims.example.com", "sip:erin@ims.example.com", NULL);
	ck_assert_int_eq(db_subscriber_add(db, &s), PRES_OK);
	make_sub(&s, "frank@ims.example.com", "sip:frank@ims.example.com", "tel:+15550001");
	ck_assert_int_eq(db_subscriber_add(db, &s), PRES_EEXIST);
	ck_assert_int_eq(db_commit(db), PRES_OK);
	ck_assert_int_eq(db_subscriber_get(db, "erin@ims.example.com", &g), PRES_OK);
	ck_assert_int_eq(db_subscriber_by_impu(db, "sip:frank@ims.example.com", &g),
	    PRES_ENOTFOUND);
	db_close(db);
}
END_TEST

START_TEST(test_transactions)
{
	struct db *db = open_db();
	struct db_subscriber s, g;
	struct db_doc d;

	ck_assert_int_eq(db_commit(db), PRES_EINVAL);
	ck_assert_int_eq(db_rollback(db), PRES_EINVAL);
	ck_assert_int_eq(db_begin(db), PRES_OK);
	make_sub(&s, "alice@ims.example.com", "sip:alice@ims.example.com", NULL);
	ck_assert_int_eq(db_subscriber_add(db, &s), PRES_OK);
	ck_assert_int_eq(db_doc_put(db, "pres-rules", "sip:alice@ims.example.com", "index",
	    "<r/>", 4, "", "e1"), PRES_OK);
	ck_assert_int_eq(db_rollback(db), PRES_OK);
	ck_assert_int_eq(db_subscriber_get(db, "alice@ims.example.com", &g), PRES_ENOTFOUND);
	ck_assert_int_eq(db_doc_get(db, "pres-rules", "sip:alice@ims.example.com", "index", &d),
	    PRES_ENOTFOUND);

	ck_assert_int_eq(db_begin(db), PRES_OK);
	ck_assert_int_eq(db_subscriber_add(db, &s), PRES_OK);
	ck_assert_int_eq(db_doc_put(db, "pres-rules", "sip:alice@ims.example.com", "index",
	    "<r/>", 4, "", "e1"), PRES_OK);
	ck_assert_int_eq(db_commit(db), PRES_OK);
	db_close(db);
	db = open_db();
	ck_assert_int_eq(db_subscriber_get(db, "alice@ims.example.com", &g), PRES_OK);
	ck_assert_int_eq(db_doc_get(db, "pres-rules", "sip:alice@ims.example.com", "index", &d),
	    PRES_OK);
	db_doc_clear(&d);
	/* closing with an open transaction rolls it back */
	ck_assert_int_eq(db_begin(db), PRES_OK);
	ck_assert_int_eq(db_subscriber_remove(db, "alice@ims.example.com"), PRES_OK);
	db_close(db);
	db = open_db();
	ck_assert_int_eq(db_subscriber_get(db, "alice@ims.example.com", &g), PRES_OK);
	db_close(db);
}
END_TEST

/* ---- digest credentials ----------------------------------------------------- */

static void make_cred(struct db_digest_cred *c, const char *user, const char *realm, char fill)
{
	memset(c, 0, sizeof(*c));
	pres_strlcpy(c->username, user, sizeof(c->username));
	pres_strlcpy(c->realm, realm, sizeof(c->realm));
	memset(c->ha1_md5, fill, 32);
	memset(c->ha1_sha256, fill, 64);
}

START_TEST(test_digest_creds)
{
	struct db *db = open_db();
	struct db_subscriber s, g;
	struct db_digest_cred c[2], out;
	char impi[DB_URI_MAX];

	make_sub(&s, "alice@ims.example.com", "sip:alice@ims.example.com", NULL);
	ck_assert_int_eq(db_subscriber_add(db, &s), PRES_OK);
	make_sub(&s, "bob@ims.example.com", "sip:bob@ims.example.com", NULL);
	ck_assert_int_eq(db_subscriber_add(db, &s), PRES_OK);

	make_cred(&c[0], "alice@ims.example.com", "ims.example.com", 'a');
	make_cred(&c[1], "alice", "ims.example.com", 'b');
	ck_assert_int_eq(db_digest_set(db, "alice@ims.example.com", c, 2), PRES_OK);
	ck_assert_int_eq(db_digest_get(db, "alice", "ims.example.com", &out, impi), PRES_OK);
	ck_assert_str_eq(impi, "alice@ims.example.com");
	ck_assert_str_eq(out.username, "alice");
	ck_assert_str_eq(out.ha1_md5, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	ck_assert_uint_eq(strlen(out.ha1_sha256), 64);
	ck_assert_int_eq(db_digest_get(db, "alice", "other.realm", &out, NULL), PRES_ENOTFOUND);
	ck_assert_int_eq(db_subscriber_get(db, "alice@ims.example.com", &g), PRES_OK);
	ck_assert_int_eq(g.has_password, 1);

	/* replace: the old pair is gone */
	make_cred(&c[0], "alice@ims.example.com", "ims.example.com", 'c');
	ck_assert_int_eq(db_digest_set(db, "alice@ims.example.com", c, 1), PRES_OK);
	ck_assert_int_eq(db_digest_get(db, "alice", "ims.example.com", &out, NULL),
	    PRES_ENOTFOUND);
	ck_assert_int_eq(db_digest_get(db, "alice@ims.example.com", "ims.example.com", &out,
	    impi), PRES_OK);
	ck_assert_str_eq(out.ha1_md5, "cccccccccccccccccccccccccccccccc");

	/* bob may not take alice's (username, realm); bob's creds stay as they were */
	make_cred(&c[0], "bob", "ims.example.com", 'd');
	ck_assert_int_eq(db_digest_set(db, "bob@ims.example.com", c, 1), PRES_OK);
	make_cred(&c[0], "bob2", "ims.example.com", 'e');
	make_cred(&c[1], "alice@ims.example.com", "ims.example.com", 'e');
	ck_assert_int_eq(db_digest_set(db, "bob@ims.example.com", c, 2), PRES_EEXIST);
	ck_assert_int_eq(db_digest_get(db, "bob", "ims.example.com", &out, impi), PRES_OK);
	ck_assert_str_eq(impi, "bob@ims.example.com");
	ck_assert_int_eq(db_digest_get(db, "bob2", "ims.example.com", &out, NULL),
	    PRES_ENOTFOUND);

	/* validation and unknown subscribers */
	make_cred(&c[0], "x", "r", 'f');
	c[0].ha1_md5[3] = 'z';
	ck_assert_int_eq(db_digest_set(db, "bob@ims.example.com", c, 1), PRES_EINVAL);
	make_cred(&c[0], "x", "r", 'f');
	ck_assert_int_eq(db_digest_set(db, "nobody@x", c, 1), PRES_ENOTFOUND);

	/* clearing drops has_password; removing a subscriber drops its creds */
	ck_assert_int_eq(db_digest_set(db, "alice@ims.example.com", NULL, 0), PRES_OK);
	ck_assert_int_eq(db_subscriber_get(db, "alice@ims.example.com", &g), PRES_OK);
	ck_assert_int_eq(g.has_password, 0);
	ck_assert_int_eq(db_subscriber_remove(db, "bob@ims.example.com"), PRES_OK);
	ck_assert_int_eq(db_digest_get(db, "bob", "ims.example.com", &out, NULL), PRES_ENOTFOUND);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM digest_cred"), 0);
	db_close(db);
}
END_TEST

/* ---- XCAP documents ------------------------------------------------------------ */

static const char A[] = "pres-rules", X[] = "sip:alice@ims.example.com", N[] = "index";

static void expect_doc(struct db *db, const char *content, const char *etag)
{
	struct db_doc d;
	ck_assert_int_eq(db_doc_get(db, A, X, N, &d), PRES_OK);
	ck_assert_str_eq(d.content, content);
	ck_assert_uint_eq(d.len, strlen(content));
	ck_assert_str_eq(d.etag, etag);
	db_doc_clear(&d);
	ck_assert_ptr_null(d.content);
}

START_TEST(test_doc_put_get_delete)
{
	struct db *db = open_db();
	struct db_doc d;

	pres_clock_set(1800000000);
	/* "" = must not exist */
	ck_assert_int_eq(db_doc_put(db, A, X, N, "<v1/>", 5, "", "e1"), PRES_OK);
	expect_doc(db, "<v1/>", "e1");
	ck_assert_int_eq(db_doc_get(db, A, X, N, &d), PRES_OK);
	ck_assert_int_eq(d.mtime, 1800000000);
	db_doc_clear(&d);
	ck_assert_int_eq(db_doc_put(db, A, X, N, "<v2/>", 5, "", "e2"), PRES_EPRECOND);
	expect_doc(db, "<v1/>", "e1");
	/* ETag must match */
	ck_assert_int_eq(db_doc_put(db, A, X, N, "<v2/>", 5, "nope", "e2"), PRES_EPRECOND);
	expect_doc(db, "<v1/>", "e1");
	ck_assert_int_eq(db_doc_put(db, A, X, N, "<v2/>", 5, "e1", "e2"), PRES_OK);
	expect_doc(db, "<v2/>", "e2");
	/* NULL = unconditional */
	ck_assert_int_eq(db_doc_put(db, A, X, N, "<v3/>", 5, NULL, "e3"), PRES_OK);
	expect_doc(db, "<v3/>", "e3");
	/* an If-Match on an absent document fails and creates nothing */
	ck_assert_int_eq(db_doc_put(db, A, X, "other", "<o/>", 4, "e3", "e4"), PRES_EPRECOND);
	ck_assert_int_eq(db_doc_get(db, A, X, "other", &d), PRES_ENOTFOUND);
	ck_assert_ptr_null(d.content);
	/* unconditional create of a new document */
	ck_assert_int_eq(db_doc_put(db, A, X, "other", "<o/>", 4, NULL, "e4"), PRES_OK);

	/* binary-safe and empty content */
	static const char bin[] = { 'a', 0, 'b', (char)0xff };
	ck_assert_int_eq(db_doc_put(db, A, X, "bin", bin, sizeof(bin), NULL, "eb"), PRES_OK);
	ck_assert_int_eq(db_doc_get(db, A, X, "bin", &d), PRES_OK);
	ck_assert_uint_eq(d.len, 4);
	ck_assert_mem_eq(d.content, bin, 4);
	ck_assert_int_eq(d.content[4], '\0');
	db_doc_clear(&d);
	ck_assert_int_eq(db_doc_put(db, A, X, "empty", NULL, 0, NULL, "ee"), PRES_OK);
	ck_assert_int_eq(db_doc_get(db, A, X, "empty", &d), PRES_OK);
	ck_assert_uint_eq(d.len, 0);
	ck_assert_str_eq(d.content, "");
	db_doc_clear(&d);

	/* argument checks */
	ck_assert_int_eq(db_doc_put(db, A, X, N, "x", 1, NULL, ""), PRES_EINVAL);
	ck_assert_int_eq(db_doc_put(db, A, X, N, NULL, 1, NULL, "e"), PRES_EINVAL);
	char longtag[DB_ETAG_MAX + 1];
	memset(longtag, 'x', DB_ETAG_MAX);
	longtag[DB_ETAG_MAX] = '\0';
	ck_assert_int_eq(db_doc_put(db, A, X, N, "x", 1, NULL, longtag), PRES_EINVAL);
	expect_doc(db, "<v3/>", "e3");

	/* delete: the same three modes */
	ck_assert_int_eq(db_doc_delete(db, A, X, N, "e1"), PRES_EPRECOND);
	ck_assert_int_eq(db_doc_delete(db, A, X, N, ""), PRES_EPRECOND);
	expect_doc(db, "<v3/>", "e3");
	ck_assert_int_eq(db_doc_delete(db, A, X, N, "e3"), PRES_OK);
	ck_assert_int_eq(db_doc_get(db, A, X, N, &d), PRES_ENOTFOUND);
	ck_assert_int_eq(db_doc_delete(db, A, X, N, NULL), PRES_ENOTFOUND);
	ck_assert_int_eq(db_doc_delete(db, A, X, N, "e3"), PRES_ENOTFOUND);
	ck_assert_int_eq(db_doc_delete(db, A, X, "other", NULL), PRES_OK);
	ck_assert_int_eq(db_doc_get(db, A, X, "other", &d), PRES_ENOTFOUND);
	db_close(db);
}
END_TEST

START_TEST(test_doc_cas_two_connections)
{
	struct db *a = open_db(), *b = open_db();
	struct db_doc d;

	ck_assert_int_eq(db_doc_put(a, A, X, N, "<v1/>", 5, "", "e1"), PRES_OK);
	/* both read e1 */
	ck_assert_int_eq(db_doc_get(b, A, X, N, &d), PRES_OK);
	ck_assert_str_eq(d.etag, "e1");
	db_doc_clear(&d);
	ck_assert_int_eq(db_doc_put(a, A, X, N, "<a/>", 4, "e1", "ea"), PRES_OK);
	ck_assert_int_eq(db_doc_put(b, A, X, N, "<b/>", 4, "e1", "eb"), PRES_EPRECOND);
	ck_assert_int_eq(db_doc_get(b, A, X, N, &d), PRES_OK);
	ck_assert_str_eq(d.content, "<a/>");
	ck_assert_str_eq(d.etag, "ea");
	db_doc_clear(&d);
	/* both try to create a new document: one wins */
	ck_assert_int_eq(db_doc_put(b, A, X, "n2", "<b/>", 4, "", "nb"), PRES_OK);
	ck_assert_int_eq(db_doc_put(a, A, X, "n2", "<a/>", 4, "", "na"), PRES_EPRECOND);
	db_close(a);
	db_close(b);

	/* a real race: several processes compare-and-set from the same ETag */
	enum { RACERS = 4 };
	pid_t pid[RACERS];
	int go[2];
	ck_assert_int_eq(pipe(go), 0);
	for (int i = 0; i < RACERS; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0) {
			struct db *c = NULL;
			char tag[16], body[16], x;
			close(go[1]);
			if (db_open(dbpath, &c) != PRES_OK)
				_exit(3);
			snprintf(tag, sizeof(tag), "race%d", i);
			snprintf(body, sizeof(body), "<r%d/>", i);
			if (read(go[0], &x, 1) < 0)   /* wait until all are ready */
				_exit(4);
			int rc = db_doc_put(c, A, X, N, body, strlen(body), "ea", tag);
			db_close(c);
			_exit(rc == PRES_OK ? 0 : rc == PRES_EPRECOND ? 1 : 2);
		}
	}
	close(go[0]);
	close(go[1]); /* EOF releases all racers at once */
	int won = 0, lost = 0;
	for (int i = 0; i < RACERS; i++) {
		int st;
		ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
		ck_assert(WIFEXITED(st));
		if (WEXITSTATUS(st) == 0)
			won++;
		else if (WEXITSTATUS(st) == 1)
			lost++;
	}
	ck_assert_int_eq(won, 1);
	ck_assert_int_eq(lost, RACERS - 1);
	a = open_db();
	ck_assert_int_eq(db_doc_get(a, A, X, N, &d), PRES_OK);
	ck_assert_int_eq(strncmp(d.etag, "race", 4), 0);
	char body[16];
	snprintf(body, sizeof(body), "<r%c/>", d.etag[4]);
	ck_assert_str_eq(d.content, body);
	db_doc_clear(&d);
	db_close(a);
}
END_TEST

static int collect_doc(const struct db_doc_info *d, void *arg)
{
	char *buf = arg;
	size_t n = strlen(buf);
	snprintf(buf + n, 1024 - n, "%s%s|%s|%s|%s|%zu", n ? "," : "", d->auid, d->xui, d->name,
	    d->etag, d->len);
	return 0;
}

static int count_stop2(const struct db_doc_info *d, void *arg)
{
	return ++*(int *)arg == 2;
}

START_TEST(test_doc_foreach)
{
	struct db *db = open_db();
	char buf[1024] = "";
	int n = 0;

	ck_assert_int_eq(db_doc_put(db, "resource-lists", "sip:b@x", "index", "12", 2, NULL, "4"),
	    PRES_OK);
	ck_assert_int_eq(db_doc_put(db, "pres-rules", "sip:b@x", "index", "1", 1, NULL, "3"),
	    PRES_OK);
	ck_assert_int_eq(db_doc_put(db, "pres-rules", "sip:a@x", "z", "123", 3, NULL, "2"),
	    PRES_OK);
	ck_assert_int_eq(db_doc_put(db, "pres-rules", "sip:a@x", "index", "", 0, NULL, "1"),
	    PRES_OK);
	ck_assert_int_eq(db_doc_put(db, "xcap-caps", "", "index", "caps", 4, NULL, "5"), PRES_OK);

	ck_assert_int_eq(db_doc_foreach(db, NULL, NULL, collect_doc, buf), PRES_OK);
	ck_assert_str_eq(buf, "pres-rules|sip:a@x|index|1|0,pres-rules|sip:a@x|z|2|3,"
	    "pres-rules|sip:b@x|index|3|1,resource-lists|sip:b@x|index|4|2,"
	    "xcap-caps||index|5|4");
	buf[0] = '\0';
	ck_assert_int_eq(db_doc_foreach(db, "pres-rules", NULL, collect_doc, buf), PRES_OK);
	ck_assert_str_eq(buf, "pres-rules|sip:a@x|index|1|0,pres-rules|sip:a@x|z|2|3,"
	    "pres-rules|sip:b@x|index|3|1");
	buf[0] = '\0';
	ck_assert_int_eq(db_doc_foreach(db, NULL, "sip:b@x", collect_doc, buf), PRES_OK);
	ck_assert_str_eq(buf, "pres-rules|sip:b@x|index|3|1,resource-lists|sip:b@x|index|4|2");
	buf[0] = '\0';
	ck_assert_int_eq(db_doc_foreach(db, NULL, "", collect_doc, buf), PRES_OK);
	ck_assert_str_eq(buf, "xcap-caps||index|5|4");
	buf[0] = '\0';
	ck_assert_int_eq(db_doc_foreach(db, "nope", NULL, collect_doc, buf), PRES_OK);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(db_doc_foreach(db, NULL, NULL, count_stop2, &n), PRES_OK);
	ck_assert_int_eq(n, 2);
	db_close(db);
}
END_TEST

/* ---- publications ------------------------------------------------------------- */

static void make_pub(struct db_pub *p, const char *etag, const char *presentity,
    const char *body, int64_t created, int64_t expires)
{
	memset(p, 0, sizeof(*p));
	pres_strlcpy(p->etag, etag, sizeof(p->etag));
	pres_strlcpy(p->presentity, presentity, sizeof(p->presentity));
	pres_strlcpy(p->event, "presence", sizeof(p->event));
	pres_strlcpy(p->content_type, "application/pidf+xml", sizeof(p->content_type));
	p->body = (char *)body;
	p->body_len = body ? strlen(body) : 0;
	p->created = created;
	p->expires = expires;
}

static int collect_pub(const struct db_pub *p, void *arg)
{
	char *buf = arg;
	size_t n = strlen(buf);
	snprintf(buf + n, 512 - n, "%s%s=%s", n ? "," : "", p->etag, p->body ? p->body : "-");
	return 0;
}

START_TEST(test_publications)
{
	struct db *db = open_db();
	struct db_pub p, g;
	char buf[512] = "";
	int n;
	static const char AL[] = "sip:alice@ims.example.com";

	pres_clock_set(1000);
	make_pub(&p, "p2", AL, "<two/>", 200, 2000);
	ck_assert_int_eq(db_pub_put(db, &p), PRES_OK);
	make_pub(&p, "p1", AL, "<one/>", 100, 1500);
	pres_strlcpy(p.source, "tcp:10.0.0.1:5060", sizeof(p.source));
	ck_assert_int_eq(db_pub_put(db, &p), PRES_OK);
	make_pub(&p, "p3", AL, NULL, 300, 900); /* already expired at 1000 */
	ck_assert_int_eq(db_pub_put(db, &p), PRES_OK);
	make_pub(&p, "q1", "sip:bob@ims.example.com", "<bob/>", 50, 5000);
	ck_assert_int_eq(db_pub_put(db, &p), PRES_OK);

	ck_assert_int_eq(db_pub_get(db, "p1", &g), PRES_OK);
	ck_assert_str_eq(g.presentity, AL);
	ck_assert_str_eq(g.event, "presence");
	ck_assert_str_eq(g.content_type, "application/pidf+xml");
	ck_assert_str_eq(g.body, "<one/>");
	ck_assert_uint_eq(g.body_len, 6);
	ck_assert_int_eq(g.expires, 1500);
	ck_assert_int_eq(g.created, 100);
	ck_assert_str_eq(g.source, "tcp:10.0.0.1:5060");
	db_pub_clear(&g);
	ck_assert_int_eq(db_pub_get(db, "p3", &g), PRES_OK);
	ck_assert_ptr_null(g.body);
	db_pub_clear(&g);
	ck_assert_int_eq(db_pub_get(db, "zz", &g), PRES_ENOTFOUND);

	/* live, oldest first; p3 has expired */
	ck_assert_int_eq(db_pub_foreach(db, AL, "presence", collect_pub, buf), PRES_OK);
	ck_assert_str_eq(buf, "p1=<one/>,p2=<two/>");
	buf[0] = '\0';
	ck_assert_int_eq(db_pub_foreach(db, AL, "dialog", collect_pub, buf), PRES_OK);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(db_pub_foreach_all(db, collect_pub, buf), PRES_OK);
	ck_assert_str_eq(buf, "q1=<bob/>,p1=<one/>,p2=<two/>,p3=-");

	/* put with the same ETag replaces */
	make_pub(&p, "p2", AL, "<two-b/>", 200, 2500);
	ck_assert_int_eq(db_pub_put(db, &p), PRES_OK);
	ck_assert_int_eq(db_pub_get(db, "p2", &g), PRES_OK);
	ck_assert_str_eq(g.body, "<two-b/>");
	ck_assert_int_eq(g.expires, 2500);
	db_pub_clear(&g);

	/* refresh/modify: the old ETag goes, the new one comes, atomically */
	make_pub(&p, "p1b", AL, "<one-b/>", 100, 3000);
	ck_assert_int_eq(db_pub_replace(db, "p1", &p), PRES_OK);
	ck_assert_int_eq(db_pub_get(db, "p1", &g), PRES_ENOTFOUND);
	ck_assert_int_eq(db_pub_get(db, "p1b", &g), PRES_OK);
	ck_assert_str_eq(g.body, "<one-b/>");
	db_pub_clear(&g);
	make_pub(&p, "p9", AL, "<x/>", 100, 3000);
	ck_assert_int_eq(db_pub_replace(db, "p1", &p), PRES_ENOTFOUND);
	ck_assert_int_eq(db_pub_get(db, "p9", &g), PRES_ENOTFOUND);

	/* expiry */
	ck_assert_int_eq(db_pub_expire(db, 2500, &n), PRES_OK);
	ck_assert_int_eq(n, 2); /* p3 (900) and p2 (2500) */
	ck_assert_int_eq(db_pub_get(db, "p2", &g), PRES_ENOTFOUND);
	ck_assert_int_eq(db_pub_expire(db, 2500, NULL), PRES_OK);
	ck_assert_int_eq(db_pub_delete(db, "q1"), PRES_OK);
	ck_assert_int_eq(db_pub_delete(db, "q1"), PRES_ENOTFOUND);
	buf[0] = '\0';
	ck_assert_int_eq(db_pub_foreach_all(db, collect_pub, buf), PRES_OK);
	ck_assert_str_eq(buf, "p1b=<one-b/>");

	make_pub(&p, "", AL, "x", 1, 2);
	ck_assert_int_eq(db_pub_put(db, &p), PRES_EINVAL);
	db_close(db);
}
END_TEST

/* ---- subscriptions ------------------------------------------------------------ */

static void make_subn(struct db_sub *s, const char *id, const char *presentity,
    const char *event, int64_t created, int64_t expires)
{
	memset(s, 0, sizeof(*s));
	pres_strlcpy(s->id, id, sizeof(s->id));
	pres_strlcpy(s->presentity, presentity, sizeof(s->presentity));
	pres_strlcpy(s->watcher, "sip:bob@ims.example.com", sizeof(s->watcher));
	pres_strlcpy(s->event, event, sizeof(s->event));
	pres_strlcpy(s->state, "active", sizeof(s->state));
	s->created = created;
	s->expires = expires;
	s->dialog = (char *)"dialog-state";
}

static int collect_sub(const struct db_sub *s, void *arg)
{
	char *buf = arg;
	size_t n = strlen(buf);
	snprintf(buf + n, 512 - n, "%s%s", n ? "," : "", s->id);
	return 0;
}

static long long file_size(const char *sfx)
{
	char p[160];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s", dbpath, sfx);
	return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

/* A writer without automatic checkpoints, another connection checkpoints
 * (the SIP engine's checkpoint thread); transaction statements are cached. */
START_TEST(test_checkpoint_elsewhere)
{
	struct db *w = open_db(), *c = open_db();
	struct db_pub p, g;
	char etag[32], body[2048];
	long long db0, wal;
	int i;

	ck_assert_int_eq(db_set_autocheckpoint(w, -1), PRES_EINVAL);
	ck_assert_int_eq(db_set_autocheckpoint(w, 0), PRES_OK);
	ck_assert_int_eq(db_set_durable(w, 0), PRES_OK);	/* fast test: no fsync per commit */
	ck_assert_int_eq(db_checkpoint(c), PRES_OK);
	db0 = file_size("");
	memset(body, 'x', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	pres_clock_set(1000);
	/* 1,500 commits of a 2 KB row each: more than SQLite's automatic
	 * checkpoint threshold (1,000 pages), none done by the writer */
	for (i = 0; i < 1500; i++) {
		snprintf(etag, sizeof(etag), "e%d", i);
		make_pub(&p, etag, "sip:alice@ims.example.com", body, 100, 5000);
		ck_assert_int_eq(db_begin(w), PRES_OK);
		ck_assert_int_eq(db_pub_put(w, &p), PRES_OK);
		ck_assert_int_eq(db_commit(w), PRES_OK);
	}
	wal = file_size("-wal");
	ck_assert_int_gt(wal, 1000LL * 4096);
	ck_assert_int_eq(file_size(""), db0);	/* nothing copied back yet */
	ck_assert_int_eq(db_checkpoint(c), PRES_OK);
	ck_assert_int_gt(file_size(""), db0 + 1500LL * 2048);
	/* the rows are in the database file: a fresh connection reads them
	 * after the others are gone */
	db_close(w);
	db_close(c);
	w = open_db();
	ck_assert_int_eq(db_pub_get(w, "e1499", &g), PRES_OK);
	ck_assert_uint_eq(g.body_len, sizeof(body) - 1);
	db_pub_clear(&g);
	db_close(w);
	pres_clock_set(0);
}
END_TEST

START_TEST(test_subscriptions)
{
	struct db *db = open_db();
	struct db_sub s, g;
	char buf[512] = "";
	int n;
	static const char AL[] = "sip:alice@ims.example.com";

	make_subn(&s, "s2", AL, "presence", 20, 1000);
	ck_assert_int_eq(db_sub_put(db, &s), PRES_OK);
	make_subn(&s, "s1", AL, "presence", 10, 2000);
	s.extra = (char *)"accept=application/pidf+xml";
	pres_strlcpy(s.state, "pending", sizeof(s.state));
	ck_assert_int_eq(db_sub_put(db, &s), PRES_OK);
	make_subn(&s, "s3", AL, "presence.winfo", 30, 3000);
	ck_assert_int_eq(db_sub_put(db, &s), PRES_OK);
	make_subn(&s, "s4", "sip:carol@ims.example.com", "presence", 40, 4000);
	ck_assert_int_eq(db_sub_put(db, &s), PRES_OK);

	ck_assert_int_eq(db_sub_get(db, "s1", &g), PRES_OK);
	ck_assert_str_eq(g.presentity, AL);
	ck_assert_str_eq(g.watcher, "sip:bob@ims.example.com");
	ck_assert_str_eq(g.state, "pending");
	ck_assert_str_eq(g.reason, "");
	ck_assert_str_eq(g.dialog, "dialog-state");
	ck_assert_str_eq(g.extra, "accept=application/pidf+xml");
	ck_assert_int_eq(g.created, 10);
	ck_assert_int_eq(g.expires, 2000);
	db_sub_clear(&g);
	ck_assert_int_eq(db_sub_get(db, "s2", &g), PRES_OK);
	ck_assert_ptr_null(g.extra);
	db_sub_clear(&g);
	ck_assert_int_eq(db_sub_get(db, "nope", &g), PRES_ENOTFOUND);

	ck_assert_int_eq(db_sub_foreach(db, AL, "presence", collect_sub, buf), PRES_OK);
	ck_assert_str_eq(buf, "s1,s2");
	buf[0] = '\0';
	ck_assert_int_eq(db_sub_foreach(db, AL, NULL, collect_sub, buf), PRES_OK);
	ck_assert_str_eq(buf, "s1,s2,s3");
	buf[0] = '\0';
	ck_assert_int_eq(db_sub_foreach(db, NULL, "presence", collect_sub, buf), PRES_OK);
	ck_assert_str_eq(buf, "s1,s2,s4");
	buf[0] = '\0';
	ck_assert_int_eq(db_sub_foreach(db, NULL, NULL, collect_sub, buf), PRES_OK);
	ck_assert_str_eq(buf, "s1,s2,s3,s4");

	/* update in place (state change) */
	make_subn(&s, "s2", AL, "presence", 20, 1000);
	pres_strlcpy(s.state, "terminated", sizeof(s.state));
	pres_strlcpy(s.reason, "rejected", sizeof(s.reason));
	ck_assert_int_eq(db_sub_put(db, &s), PRES_OK);
	ck_assert_int_eq(db_sub_get(db, "s2", &g), PRES_OK);
	ck_assert_str_eq(g.state, "terminated");
	ck_assert_str_eq(g.reason, "rejected");
	db_sub_clear(&g);

	ck_assert_int_eq(db_sub_expire(db, 2000, &n), PRES_OK);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(db_sub_delete(db, "s3"), PRES_OK);
	ck_assert_int_eq(db_sub_delete(db, "s3"), PRES_ENOTFOUND);
	buf[0] = '\0';
	ck_assert_int_eq(db_sub_foreach(db, NULL, NULL, collect_sub, buf), PRES_OK);
	ck_assert_str_eq(buf, "s4");
	db_close(db);
}
END_TEST

/* ---- embedded BSF state ---------------------------------------------------------- */

START_TEST(test_aka_challenge_take_once)
{
	struct db *db = open_db();
	struct db_aka_challenge c, o;

	pres_clock_set(5000);
	memset(&c, 0, sizeof(c));
	pres_strlcpy(c.nonce, "cmFuZGF1dG4=", sizeof(c.nonce));
	pres_strlcpy(c.impi, "alice@ims.example.com", sizeof(c.impi));
	memset(c.rand, 0x11, 16);
	memset(c.xres, 0x22, 8);
	c.xres_len = 8;
	memset(c.ck, 0x33, 16);
	memset(c.ik, 0x44, 16);
	c.expires = 5030;
	ck_assert_int_eq(db_aka_challenge_put(db, &c), PRES_OK);
	ck_assert_int_eq(db_aka_challenge_put(db, &c), PRES_EEXIST);

	ck_assert_int_eq(db_aka_challenge_take(db, "cmFuZGF1dG4=", &o), PRES_OK);
	ck_assert_str_eq(o.impi, "alice@ims.example.com");
	ck_assert_uint_eq(o.xres_len, 8);
	ck_assert_mem_eq(o.xres, c.xres, 8);
	ck_assert_mem_eq(o.rand, c.rand, 16);
	ck_assert_mem_eq(o.ck, c.ck, 16);
	ck_assert_mem_eq(o.ik, c.ik, 16);
	ck_assert_int_eq(o.expires, 5030);
	/* answered once */
	ck_assert_int_eq(db_aka_challenge_take(db, "cmFuZGF1dG4=", &o), PRES_ENOTFOUND);
	ck_assert_uint_eq(o.ck[0], 0);

	/* an expired challenge is gone too, and its row deleted */
	c.expires = 4999;
	pres_strlcpy(c.nonce, "old", sizeof(c.nonce));
	ck_assert_int_eq(db_aka_challenge_put(db, &c), PRES_OK);
	ck_assert_int_eq(db_aka_challenge_take(db, "old", &o), PRES_ENOTFOUND);
	ck_assert_uint_eq(o.ck[0], 0);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM aka_challenge"), 0);

	c.xres_len = 17;
	ck_assert_int_eq(db_aka_challenge_put(db, &c), PRES_EINVAL);

	/* db_gba_expire removes stale challenges */
	c.xres_len = 4;
	c.expires = 6000;
	pres_strlcpy(c.nonce, "n2", sizeof(c.nonce));
	ck_assert_int_eq(db_aka_challenge_put(db, &c), PRES_OK);
	ck_assert_int_eq(db_gba_expire(db, 6000), PRES_OK);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM aka_challenge"), 0);
	db_close(db);
}
END_TEST

START_TEST(test_gba_sessions)
{
	struct db *db = open_db();
	struct db_gba_session s, g;
	struct db_subscriber sub;

	pres_clock_set(10000);
	make_sub(&sub, "alice@ims.example.com", "sip:alice@ims.example.com", NULL);
	ck_assert_int_eq(db_subscriber_add(db, &sub), PRES_OK);
	memset(&s, 0, sizeof(s));
	pres_strlcpy(s.btid, "cmFuZA==@bsf.ims.example.com", sizeof(s.btid));
	pres_strlcpy(s.impi, "alice@ims.example.com", sizeof(s.impi));
	memset(s.rand, 0x5a, 16);
	for (int i = 0; i < 32; i++)
		s.ks[i] = (uint8_t)i;
	s.expires = 13600;
	ck_assert_int_eq(db_gba_session_put(db, &s), PRES_OK);

	ck_assert_int_eq(db_gba_session_get(db, s.btid, &g), PRES_OK);
	ck_assert_str_eq(g.impi, "alice@ims.example.com");
	ck_assert_mem_eq(g.ks, s.ks, 32);
	ck_assert_mem_eq(g.rand, s.rand, 16);
	ck_assert_int_eq(g.created, 10000);
	ck_assert_int_eq(g.expires, 13600);
	ck_assert_int_eq(db_gba_session_get(db, "other@bsf", &g), PRES_ENOTFOUND);

	/* re-bootstrapping with the same B-TID replaces */
	s.ks[0] = 0xee;
	s.created = 11000;
	ck_assert_int_eq(db_gba_session_put(db, &s), PRES_OK);
	ck_assert_int_eq(db_gba_session_get(db, s.btid, &g), PRES_OK);
	ck_assert_uint_eq(g.ks[0], 0xee);
	ck_assert_int_eq(g.created, 11000);

	/* past its lifetime the B-TID is unknown, then purged */
	pres_clock_set(13600);
	ck_assert_int_eq(db_gba_session_get(db, s.btid, &g), PRES_ENOTFOUND);
	ck_assert_uint_eq(g.ks[0], 0);
	ck_assert_int_eq(db_gba_expire(db, 13600), PRES_OK);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM gba_session"), 0);

	/* removing the subscriber removes its sessions */
	pres_clock_set(10000);
	ck_assert_int_eq(db_gba_session_put(db, &s), PRES_OK);
	ck_assert_int_eq(db_subscriber_remove(db, "alice@ims.example.com"), PRES_OK);
	ck_assert_int_eq(db_gba_session_get(db, s.btid, &g), PRES_ENOTFOUND);
	db_close(db);
}
END_TEST

/* ---- durability --------------------------------------------------------------------- */

START_TEST(test_durability_sigkill)
{
	int fd[2];
	pid_t pid;
	char ok = 0;

	ck_assert_int_eq(pipe(fd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct db *c = NULL;
		close(fd[0]);
		char r = 'f';
		if (db_open(dbpath, &c) == PRES_OK &&
		    db_doc_put(c, A, X, N, "<durable/>", 10, "", "d1") == PRES_OK)
			r = 'y';
		if (write(fd[1], &r, 1) != 1)
			_exit(1);
		for (;;)            /* keep the connection open until SIGKILL */
			pause();
	}
	close(fd[1]);
	ck_assert_int_eq(read(fd[0], &ok, 1), 1);
	ck_assert_int_eq(ok, 'y');
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	close(fd[0]);

	struct db *db = open_db();
	expect_doc(db, "<durable/>", "d1");
	db_close(db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_open_pragmas);
	tcase_add_test(tc, test_reopen_idempotent);
	tcase_add_test(tc, test_migrate_from_previous);
	tcase_add_test(tc, test_subscriber_crud);
	tcase_add_test(tc, test_subscriber_duplicates);
	tcase_add_test(tc, test_transactions);
	tcase_add_test(tc, test_digest_creds);
	tcase_add_test(tc, test_doc_put_get_delete);
	tcase_add_test(tc, test_doc_cas_two_connections);
	tcase_add_test(tc, test_doc_foreach);
	tcase_add_test(tc, test_publications);
	tcase_add_test(tc, test_subscriptions);
	tcase_add_test(tc, test_checkpoint_elsewhere);
	tcase_add_test(tc, test_aka_challenge_take_once);
	tcase_add_test(tc, test_gba_sessions);
	tcase_add_test(tc, test_durability_sigkill);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
