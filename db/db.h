/*
 * db.h - presenced's storage interface. The only module that speaks SQL.
 *
 * One `struct db` is one connection and belongs to one thread; open one per
 * thread (SQLite in WAL mode, busy_timeout set). Every function returns
 * PRES_OK or a negative enum pres_rc. Strings handed out are copies owned by
 * the caller's struct (free with the matching *_clear function); no SQLite
 * pointer leaves db/. A write that returned PRES_OK is committed and durable.
 * PRES_EAGAIN: the database stayed locked by another writer past the busy
 * timeout (5 s). Schema and behaviour: docs/schema.md.
 */
#ifndef PRES_DB_H
#define PRES_DB_H

#include <stddef.h>
#include <stdint.h>

#include "pres.h"

struct db;

#define DB_MAX_IMPUS 16
#define DB_URI_MAX 256
#define DB_ETAG_MAX 64
#define DB_ID_MAX 128

/** Opens (creating if needed) the database at @p path and applies pending
 *  schema migrations. @p path ":memory:" gives a private in-memory store. */
int db_open(const char *path, struct db **out);
void db_close(struct db *db);
/** Durability of this connection's commits. @p full 1 (the default after
 *  db_open): synchronous FULL, every commit is fsync'd and survives an OS
 *  crash. 0: synchronous NORMAL (WAL): commits survive a crash of the
 *  process but an OS crash or power loss may lose the last ones; no fsync
 *  per commit (for soft state such as SIP publications and subscriptions). */
int db_set_durable(struct db *db, int full);
/** Automatic WAL checkpoints of this connection: after a commit that leaves
 *  at least @p pages in the WAL (SQLite's default 1000); 0 turns them off,
 *  for a connection whose writer must not wait for a checkpoint's fsyncs
 *  while another connection runs db_checkpoint(). */
int db_set_autocheckpoint(struct db *db, int pages);
/** Passive WAL checkpoint: copies committed pages back into the database
 *  file without blocking readers or the writer. PRES_OK, or PRES_EDB. */
int db_checkpoint(struct db *db);
/** Schema version after migrations (PRAGMA user_version). */
int db_schema_version(struct db *db);
/** Latest schema version this build knows. */
int db_schema_latest(void);

/* ---- subscribers --------------------------------------------------- */

struct db_subscriber {
	int64_t id;
	char impi[DB_URI_MAX];
	size_t n_impus;
	char impus[DB_MAX_IMPUS][DB_URI_MAX]; /* impus[0] is the default IMPU */
	int has_password;
	int has_aka;
	uint8_t k[16];   /* secret: wipe after use */
	uint8_t opc[16]; /* secret */
	uint8_t amf[2];
	uint64_t sqn;    /* 48-bit SQN of the HE (embedded BSF) */
	int64_t auth_not_before; /* authentications older than this are void (forced re-auth) */
};

/** Adds a subscriber with its IMPUs (impus[0] default). PRES_EEXIST if the
 *  IMPI or any IMPU is already provisioned; nothing is written then.
 *  PRES_EINVAL if n_impus is not 1..DB_MAX_IMPUS or sqn >= 2^48. K/OPc/AMF
 *  are stored only if has_aka; has_password is ignored (db_digest_set()
 *  maintains it). */
int db_subscriber_add(struct db *db, const struct db_subscriber *s);
int db_subscriber_remove(struct db *db, const char *impi);
/** By IMPI. */
int db_subscriber_get(struct db *db, const char *impi, struct db_subscriber *out);
/** By one of its IMPUs (exact, normalized form). */
int db_subscriber_by_impu(struct db *db, const char *impu, struct db_subscriber *out);
/** Calls @p cb for each subscriber in IMPI order; a non-zero return stops. */
int db_subscriber_foreach(struct db *db,
    int (*cb)(const struct db_subscriber *s, void *arg), void *arg);
/** Embedded BSF: stores a new SEQ value (after AKA vector generation / resync). */
int db_subscriber_set_sqn(struct db *db, const char *impi, uint64_t sqn);
/** Forces re-authentication: authentications before @p when are void. */
int db_subscriber_set_auth_not_before(struct db *db, const char *impi, int64_t when);
/** Wipes secrets in @p s. */
void db_subscriber_wipe(struct db_subscriber *s);

/* Digest credentials: HA1 values per (username, realm); the password itself
 * is never stored. */
struct db_digest_cred {
	char username[DB_URI_MAX];
	char realm[DB_URI_MAX];
	char ha1_md5[33];     /* hex MD5(username:realm:password) */
	char ha1_sha256[65];  /* hex SHA-256(username:realm:password) */
};
/** Replaces all digest credentials of @p impi with @p creds[0..n) (n = 0
 *  clears them). PRES_ENOTFOUND: no such subscriber; PRES_EEXIST: a
 *  (username, realm) belongs to another subscriber (nothing written). */
int db_digest_set(struct db *db, const char *impi, const struct db_digest_cred *creds, size_t n);
/** Looks up by (username, realm); fills @p impi_out (DB_URI_MAX). */
int db_digest_get(struct db *db, const char *username, const char *realm,
    struct db_digest_cred *out, char *impi_out);

/* ---- XCAP documents ---------------------------------------------- */

struct db_doc {
	char *content;      /* owned, NUL-terminated, malloc'd */
	size_t len;
	char etag[DB_ETAG_MAX];
	int64_t mtime;
};
void db_doc_clear(struct db_doc *d);

/** @p xui is "" for global documents. @p name is the document path
 *  below the XUI (e.g. "index"). PRES_ENOTFOUND if absent. */
int db_doc_get(struct db *db, const char *auid, const char *xui, const char *name,
    struct db_doc *out);
/**
 * Stores a document atomically with an ETag compare-and-set:
 * @p expect_etag NULL: unconditional; "" : the document must not exist;
 * otherwise the stored ETag must equal it. On mismatch PRES_EPRECOND and
 * nothing is written. @p new_etag is stored with the content.
 */
int db_doc_put(struct db *db, const char *auid, const char *xui, const char *name,
    const char *content, size_t len, const char *expect_etag, const char *new_etag);
/** Deletes, with the same @p expect_etag rule (NULL = unconditional).
 *  PRES_ENOTFOUND if absent. */
int db_doc_delete(struct db *db, const char *auid, const char *xui, const char *name,
    const char *expect_etag);
struct db_doc_info {
	const char *auid, *xui, *name, *etag; /* borrowed for the callback only */
	int64_t mtime;
	size_t len;
};
/** Lists documents; @p auid / @p xui NULL = any. Ordered by auid, xui, name. */
int db_doc_foreach(struct db *db, const char *auid, const char *xui,
    int (*cb)(const struct db_doc_info *d, void *arg), void *arg);

/* ---- presence publications (RFC 3903) ------------------------------- */

struct db_pub {
	char etag[DB_ETAG_MAX];
	char presentity[DB_URI_MAX];
	char event[32];
	char content_type[64];
	char *body;          /* owned, malloc'd; may be NULL */
	size_t body_len;
	int64_t expires;     /* absolute, seconds since epoch */
	int64_t created;
	char source[DB_URI_MAX]; /* transport/connection tag, "" if none */
};
void db_pub_clear(struct db_pub *p);
/** Inserts or replaces the publication with this ETag. created 0 = now. */
int db_pub_put(struct db *db, const struct db_pub *p);
/** Replaces publication @p old_etag by @p p (new ETag) atomically;
 *  PRES_ENOTFOUND if @p old_etag is unknown. */
int db_pub_replace(struct db *db, const char *old_etag, const struct db_pub *p);
int db_pub_get(struct db *db, const char *etag, struct db_pub *out);
int db_pub_delete(struct db *db, const char *etag);
/** Live publications (expires > pres_now()) of a presentity for @p event,
 *  oldest (created) first. The callback may call db_* on this connection. */
int db_pub_foreach(struct db *db, const char *presentity, const char *event,
    int (*cb)(const struct db_pub *p, void *arg), void *arg);
/** All publications (any presentity, expired ones included), for startup. */
int db_pub_foreach_all(struct db *db, int (*cb)(const struct db_pub *p, void *arg), void *arg);
/** Deletes publications with expires <= @p now; returns count via @p n_out. */
int db_pub_expire(struct db *db, int64_t now, int *n_out);

/* ---- subscriptions (RFC 6665) ---------------------------------------- */

struct db_sub {
	char id[DB_ID_MAX];          /* unique: e.g. Call-ID;to-tag;event;id */
	char presentity[DB_URI_MAX]; /* resource URI subscribed to */
	char watcher[DB_URI_MAX];    /* authenticated watcher identity */
	char event[32];
	char state[16];              /* active | pending | terminated */
	char reason[32];
	int64_t expires;
	int64_t created;
	char *dialog;                /* owned: opaque serialized dialog state of sip/ */
	char *extra;                 /* owned: opaque, e.g. filter or accept list; may be NULL */
};
void db_sub_clear(struct db_sub *s);
/** Inserts or replaces the subscription with this id. created 0 = now. */
int db_sub_put(struct db *db, const struct db_sub *s);
int db_sub_get(struct db *db, const char *id, struct db_sub *out);
int db_sub_delete(struct db *db, const char *id);
/** @p presentity / @p event NULL = any. */
int db_sub_foreach(struct db *db, const char *presentity, const char *event,
    int (*cb)(const struct db_sub *s, void *arg), void *arg);
int db_sub_expire(struct db *db, int64_t now, int *n_out);

/* ---- embedded BSF state (Ub challenges, bootstrapping sessions) ------- */

/** An AKA challenge sent in a 401 on Ub, waiting for the UE's answer. */
struct db_aka_challenge {
	char nonce[128];          /* the digest nonce (base64 RAND||AUTN) */
	char impi[DB_URI_MAX];
	uint8_t rand[16];
	uint8_t xres[16];
	size_t xres_len;
	uint8_t ck[16], ik[16];   /* secrets */
	int64_t expires;
};
int db_aka_challenge_put(struct db *db, const struct db_aka_challenge *c);
/** Gets and deletes in one step (a challenge is answered once). An expired
 *  challenge is deleted and reported as PRES_ENOTFOUND. Wipe @p out after use. */
int db_aka_challenge_take(struct db *db, const char *nonce, struct db_aka_challenge *out);

/** A bootstrapping session: what the BSF knows of a B-TID (Zn answers from it). */
struct db_gba_session {
	char btid[DB_URI_MAX];
	char impi[DB_URI_MAX];
	uint8_t rand[16];
	uint8_t ks[32];           /* secret: Ks = CK||IK */
	int64_t created;
	int64_t expires;
};
/** Inserts or replaces the session of this B-TID. created 0 = now. */
int db_gba_session_put(struct db *db, const struct db_gba_session *s);
/** PRES_ENOTFOUND if unknown or expired (expires <= pres_now()). Wipe @p out
 *  (Ks) after use. */
int db_gba_session_get(struct db *db, const char *btid, struct db_gba_session *out);
/** Deletes expired challenges and sessions. */
int db_gba_expire(struct db *db, int64_t now);

/* ---- transactions --------------------------------------------------- */
/** Explicit transaction around several calls (BEGIN IMMEDIATE). Functions
 *  that are atomic on their own use a SAVEPOINT inside it, so a failed call
 *  undoes only itself. No nesting: a second db_begin() is PRES_EINVAL.
 *  db_close() rolls back an open transaction. */
int db_begin(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);

#endif
