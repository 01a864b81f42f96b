/*
 * auth.h - presenced's authentication and authorization module.
 *
 * Three parts, usable on their own:
 *  - the HTTP Digest engine (RFC 7616, RFC 2617 compatible), shared by
 *    XCAP/Ut, the BSF and SIP: header parsing, stateless signed nonces,
 *    nonce-count replay protection, challenges and Authentication-Info;
 *    credentials come from a pluggable source (auth_cred_cb);
 *  - identity rules (TS 33.141 / TS 24.109): the identity set of an
 *    authenticated user, X-3GPP-Intended-Identity, XUI ownership;
 *  - a limiter of repeated authentication failures per source address.
 *
 * Thread safety: a `struct auth` and a `struct auth_rl` may be shared by any
 * number of threads (their mutable state is mutex-protected). Everything else
 * works on caller-owned structs.
 *
 * Secrets (passwords, HA1, nonce secret) are never logged and are wiped
 * with OPENSSL_cleanse once no longer needed.
 */
#ifndef PRES_AUTH_H
#define PRES_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "pres.h"

struct db;

/* ---- limits ------------------------------------------------------------ */

#define AUTH_NAME_MAX 256        /* username, realm, IMPI, IMPU (incl. NUL) */
#define AUTH_URI_MAX 2048        /* digest uri parameter = request-target */
#define AUTH_MAX_IMPUS 16        /* IMPUs in one identity set */
#define AUTH_MAX_REALMS 20       /* realms one engine offers (password +
                                  * GBA realm per NAF name, vhosts included) */
#define AUTH_MAX_CHALLENGES 16   /* realms x algorithms */
#define AUTH_CHALLENGE_MAX 512   /* one WWW-Authenticate value */
#define AUTH_INFO_MAX 512        /* one Authentication-Info value */
#define AUTH_HEADER_MAX 8192     /* longest Authorization value accepted */
#define AUTH_HASH_MAX 32         /* bytes of the largest digest (SHA-256) */

/* ---- algorithms and qop ------------------------------------------------ */

/** Digest algorithms (bit values, so a set is a mask). */
enum auth_alg {
	AUTH_ALG_MD5 = 0x1,
	AUTH_ALG_MD5_SESS = 0x2,
	AUTH_ALG_SHA256 = 0x4,
	AUTH_ALG_SHA256_SESS = 0x8,
};
#define AUTH_ALG_ALL 0xf

/** Quality of protection values (bit values). */
enum auth_qop {
	AUTH_QOP_NONE = 0,       /* RFC 2069 legacy: no qop parameter */
	AUTH_QOP_AUTH = 0x1,
	AUTH_QOP_AUTH_INT = 0x2,
};

/** "MD5", "MD5-sess", "SHA-256", "SHA-256-sess"; NULL for anything else. */
const char *auth_alg_name(int alg);
/** Case-insensitive inverse of auth_alg_name(); 0 if unknown. */
int auth_alg_from_name(const char *name);
/** Digest size in bytes of @p alg (16 or 32); 0 if unknown. */
size_t auth_alg_hash_len(int alg);

/* ---- identity ------------------------------------------------------------ */

/** How an identity was authenticated. */
enum auth_method {
	AUTH_METHOD_NONE = 0,
	AUTH_METHOD_DIGEST = 1,   /* provisioned password (HA1 in db) */
	AUTH_METHOD_GBA = 2,      /* Digest with Ks_NAF (see gba.h) */
	AUTH_METHOD_ASSERTED = 3, /* asserted by a trusted peer */
};

/**
 * An authenticated user: the private identity and its public identities
 * (IMPUs). A plain value, no pointers: copy it freely.
 */
struct auth_identity {
	char impi[AUTH_NAME_MAX];      /* private identity (IMPI) */
	char username[AUTH_NAME_MAX];  /* digest username used (IMPI, B-TID...) */
	size_t n_impus;
	char impus[AUTH_MAX_IMPUS][AUTH_NAME_MAX]; /* normalized (pres_uri_normalize);
	                                            * impus[0] is the default IMPU */
	int64_t auth_time;   /* when the authentication was established (s) */
	int64_t not_before;  /* authentications before this are void (0 = none) */
	int64_t expires;     /* credential valid until (e.g. Ks_NAF expiry);
	                      * 0 = no limit; past it the engine re-challenges */
	int method;          /* enum auth_method */
};

/** Empties @p id. */
void auth_identity_init(struct auth_identity *id);
/**
 * Normalizes @p uri (pres_uri_normalize) and appends it to the IMPU set
 * unless already present. The first IMPU added is the default one.
 * @return PRES_OK, PRES_EINVAL (not a SIP/tel URI), PRES_ETOOBIG (set full).
 */
int auth_identity_add_impu(struct auth_identity *id, const char *uri);
/**
 * Fills @p out from the subscriber @p impi in @p db (db_subscriber_get):
 * IMPI, IMPUs (normalized, default first), not_before. auth_time is left 0,
 * method AUTH_METHOD_NONE (the caller sets them).
 * @return PRES_OK, PRES_ENOTFOUND, PRES_EDB...
 */
int auth_identity_from_db(struct db *db, const char *impi, struct auth_identity *out);
/**
 * Parses an X-3GPP-Intended-Identity value: a quoted string or a bare
 * value, with or without <>, holding a SIP/SIPS/tel URI or the form
 * "user@host" (meaning sip:user@host). Writes the normalized URI.
 * @return PRES_OK, PRES_EINVAL (malformed), PRES_ETOOBIG.
 */
int auth_intended_identity_parse(const char *value, char *out, size_t size);
/**
 * Selects the public identity a request acts as (TS 24.109 / TS 33.141):
 * @p intended NULL or empty: the default IMPU; otherwise the parsed
 * X-3GPP-Intended-Identity, which must be in the identity's IMPU set.
 * @param out receives the normalized IMPU (AUTH_NAME_MAX is enough).
 * @return PRES_OK; PRES_EAUTH if the intended identity is not one of the
 *  user's IMPUs or the user has no IMPU (answer 403); PRES_EINVAL if the
 *  header is malformed (answer 400).
 */
int auth_identity_select(const struct auth_identity *id, const char *intended,
    char *out, size_t size);
/** 1 if @p uri (any form pres_uri_normalize accepts) is one of the IMPUs. */
int auth_identity_has_impu(const struct auth_identity *id, const char *uri);
/**
 * XCAP authorization: 1 only if the XUI @p xui (normalized) is one of the
 * identity's IMPUs, else 0 (also for NULL/malformed input).
 */
int auth_may_access_xui(const struct auth_identity *id, const char *xui);
/**
 * Forced re-authentication: 1 if the authentication of @p id happened
 * before @p auth_not_before (e.g. db_subscriber.auth_not_before), else 0.
 */
int auth_identity_is_stale(const struct auth_identity *id, int64_t auth_not_before);

/* ---- credential sources -------------------------------------------------- */

/**
 * A credential source: returns HA1 for (username, realm) as raw bytes.
 *
 * HA1 is always the non-session value H(username ":" realm ":" password) of
 * the hash of @p alg (MD5 for AUTH_ALG_MD5[_SESS], SHA-256 for
 * AUTH_ALG_SHA256[_SESS]); the engine applies "-sess" itself.
 *
 * @param arg      the cb_arg given to auth_digest_verify()
 * @param username digest username as sent (unquoted)
 * @param realm    realm as sent (one the engine offered)
 * @param alg      enum auth_alg
 * @param ha1      OUT: HA1 bytes (secret: the engine wipes it)
 * @param ha1_len  IN: size of @p ha1 (AUTH_HASH_MAX); OUT: bytes written
 *                 (must be auth_alg_hash_len(alg))
 * @param who      OUT: the identity (IMPI, IMPUs, not_before, optionally
 *                 auth_time and method); arrives initialized empty. If
 *                 impi is left empty the engine uses the username.
 * @return PRES_OK; PRES_ENOTFOUND for an unknown user or no credential
 *  for this algorithm (the engine challenges again: for GBA this is
 *  "bootstrapping required"); PRES_EAUTH if the user is known but not
 *  allowed this service (reason AUTH_R_FORBIDDEN, 403, no challenge); any
 *  other negative code aborts verification and is returned by
 *  auth_digest_verify() unchanged (e.g. PRES_EAGAIN while a Zn query is
 *  pending, PRES_EDB).
 */
typedef int (*auth_cred_cb)(void *arg, const char *username, const char *realm,
    int alg, uint8_t *ha1, size_t *ha1_len, struct auth_identity *who);

/** Provisioned-password source over db/: cb_arg for auth_db_cred_cb. */
struct auth_db_source {
	struct db *db;            /* borrowed; one per thread (db.h) */
	int allow_impu_username;  /* accept a stored credential whose username
	                           * differs from the IMPI (e.g. an IMPU or its
	                           * user part); 0: the username must be the IMPI */
};

/**
 * auth_cred_cb over db_digest_get(): HA1 from the stored hex for MD5 or
 * SHA-256, identity from db_subscriber_get() (method AUTH_METHOD_DIGEST).
 * @p arg is a struct auth_db_source *.
 */
int auth_db_cred_cb(void *arg, const char *username, const char *realm, int alg,
    uint8_t *ha1, size_t *ha1_len, struct auth_identity *who);

/* ---- the Digest engine --------------------------------------------------- */

/** Engine configuration; everything is copied by auth_new(). */
struct auth_cfg {
	const char *realms[AUTH_MAX_REALMS]; /* realms offered, in order; at least one */
	size_t n_realms;
	const uint8_t *nonce_secret;  /* HMAC key of nonces/opaque; NULL = 32 random
	                               * bytes (then nonces are valid on this
	                               * engine only). Share it between nodes. */
	size_t nonce_secret_len;      /* 16..64 bytes when given */
	int nonce_lifetime;           /* seconds; 0 = 300 */
	unsigned algs;                /* enum auth_alg mask; 0 = SHA-256 | MD5 */
	unsigned qops;                /* enum auth_qop mask; 0 = auth-int | auth */
	int allow_no_qop;             /* accept RFC 2069 responses without qop */
	const char *domain;           /* optional "domain" challenge parameter */
	size_t nc_table_size;         /* nonces tracked for replay; 0 = 4096 */
};

struct auth;

/**
 * Creates an engine. @return NULL on bad configuration (no realm, realm too
 * long or containing '"' or '\\', short secret, unknown alg/qop bits) or
 * allocation failure. Free with auth_free().
 */
struct auth *auth_new(const struct auth_cfg *cfg);
/** Frees @p a (NULL allowed); wipes its secret. */
void auth_free(struct auth *a);

/** One request as seen by the engine; all fields borrowed for the call. */
struct auth_http_req {
	const char *method;        /* "GET", "PUT", "REGISTER"... */
	const char *uri;           /* request-target / Request-URI as received */
	const char *authorization; /* (Proxy-)Authorization value, or NULL */
	const uint8_t *body;       /* entity body (auth-int); may be NULL if 0 */
	size_t body_len;
};

/** Parsed Authorization parameters (unquoted, unescaped). */
struct auth_digest_params {
	char username[AUTH_NAME_MAX];
	char realm[AUTH_NAME_MAX];
	char nonce[128];
	char uri[AUTH_URI_MAX];
	char response[2 * AUTH_HASH_MAX + 1];
	char algorithm[32];
	char cnonce[128];
	char opaque[128];
	char qop[16];
	char nc[9];
	char userhash[8];
	char auts[64];             /* Digest AKA resync (RFC 3310), BSF only */
	unsigned seen;             /* AUTH_P_* bits of the parameters present */
};
#define AUTH_P_USERNAME 0x001
#define AUTH_P_REALM 0x002
#define AUTH_P_NONCE 0x004
#define AUTH_P_URI 0x008
#define AUTH_P_RESPONSE 0x010
#define AUTH_P_ALGORITHM 0x020
#define AUTH_P_CNONCE 0x040
#define AUTH_P_OPAQUE 0x080
#define AUTH_P_QOP 0x100
#define AUTH_P_NC 0x200
#define AUTH_P_USERHASH 0x400
#define AUTH_P_AUTS 0x800

/**
 * Parses a Digest credentials value ("Digest username=..., ..."): tokens or
 * quoted strings with backslash escapes, any order, unknown parameters
 * ignored. Does not check semantics beyond syntax, except that username,
 * realm, nonce, uri and response must be present.
 * @return PRES_OK; PRES_ENOTFOUND if the scheme is not Digest; PRES_EINVAL
 *  (syntax, duplicate or missing mandatory parameter, control characters);
 *  PRES_ETOOBIG (value longer than AUTH_HEADER_MAX or a field's buffer).
 */
int auth_digest_parse(const char *value, struct auth_digest_params *out);

/** Why a request was (not) authenticated. */
enum auth_reason {
	AUTH_R_OK = 0,
	AUTH_R_MISSING,      /* no Authorization, not the Digest scheme, or an
	                      * empty nonce (initial request, TS 24.109) */
	AUTH_R_MALFORMED,    /* header unparsable or inconsistent (nc without qop...) */
	AUTH_R_REALM,        /* realm not offered */
	AUTH_R_ALGORITHM,    /* algorithm not offered */
	AUTH_R_QOP,          /* qop not offered (or missing while required) */
	AUTH_R_OPAQUE,       /* opaque missing or not ours */
	AUTH_R_NONCE,        /* nonce not issued by us (bad signature/format) */
	AUTH_R_URI,          /* uri parameter does not match the request-target */
	AUTH_R_USERHASH,     /* userhash=true (not offered) */
	AUTH_R_UNKNOWN_USER, /* credential source does not know the user */
	AUTH_R_BAD_RESPONSE, /* wrong password / response */
	AUTH_R_STALE,        /* correct response, nonce expired: stale=true */
	AUTH_R_REPLAY,       /* nonce-count not above the highest seen: stale=true */
	AUTH_R_REAUTH,       /* authentication older than a forced re-auth, or
	                      * the credential expired (GBA: bootstrap again) */
	AUTH_R_FORBIDDEN,    /* source: known user, service not allowed (403) */
	AUTH_R_ERROR,        /* internal error (see the return code) */
};
/** Static text for logs, e.g. "bad response". */
const char *auth_reason_str(int reason);
/**
 * Suggested HTTP/SIP status for a reason: 200 (OK), 400 (malformed,
 * uri mismatch), 403 (forbidden), 401 (everything needing a challenge),
 * 500 (error). With 400/401 send every challenge in auth_result.challenges
 * (SIP: 407 with Proxy-Authenticate where the server acts as a proxy).
 */
int auth_reason_status(int reason);

/**
 * 1 if @p reason should count against the source in the rate limiter
 * (wrong credentials, forged or foreign parameters); 0 for the normal
 * challenge flow (missing credentials, stale nonce, nc replay answered with
 * stale=true, forced re-auth, qop not offered) and for OK/ERROR.
 */
int auth_reason_is_failure(int reason);

/** Challenge header values (WWW-Authenticate / Proxy-Authenticate). */
struct auth_challenges {
	size_t n;
	char v[AUTH_MAX_CHALLENGES][AUTH_CHALLENGE_MAX];
};

/**
 * Outcome of auth_digest_verify(). About 16 KiB: allocate it with the
 * request (arena/heap), not on a small stack. Holds the session HA1 after a
 * success: wipe with auth_result_wipe() when the response has been built.
 */
struct auth_result {
	int reason;                   /* enum auth_reason */
	struct auth_identity who;     /* valid when reason == AUTH_R_OK */
	struct auth_challenges challenges; /* filled unless OK/ERROR */
	char auth_info[AUTH_INFO_MAX];/* OK with qop=auth or no qop: the
	                               * Authentication-Info value ("" = send
	                               * none); "" for auth-int, whose rspauth
	                               * covers the response body: call
	                               * auth_digest_auth_info() */
	struct {                      /* private: state for Authentication-Info */
		int alg, qop;
		char ha1_hex[2 * AUTH_HASH_MAX + 1]; /* secret (session HA1) */
		char realm[AUTH_NAME_MAX];
		char nonce[128];
		char cnonce[128];
		char nc[9];
		char uri[AUTH_URI_MAX];
		int next_nonce;       /* nonce past half its life: send nextnonce */
	} st;
};

/** Wipes the secret state in @p res (call once done with it). */
void auth_result_wipe(struct auth_result *res);

/**
 * Verifies one request.
 *
 * Order of checks: scheme and syntax, realm, algorithm, qop, opaque, nonce
 * signature, uri, credentials (@p cb), response (constant time), nonce
 * expiry (stale), forced re-authentication and credential expiry,
 * nonce-count (replay). The nc
 * of a nonce is recorded only after a correct response.
 *
 * @param a       engine
 * @param rq      the request (borrowed)
 * @param cb      credential source, @p cb_arg its argument
 * @param res     OUT: reason; identity on success; challenges otherwise
 * @return PRES_OK: authenticated (res->who, res->auth_info);
 *  PRES_EAUTH: not authenticated, answer auth_reason_status(res->reason)
 *  with res->challenges (none for AUTH_R_FORBIDDEN); other negative:
 *  internal error or the credential source's own code (e.g. PRES_EAGAIN,
 *  PRES_EDB), res->reason AUTH_R_ERROR, no challenge made.
 */
int auth_digest_verify(struct auth *a, const struct auth_http_req *rq,
    auth_cred_cb cb, void *cb_arg, struct auth_result *res);

/**
 * Builds fresh challenges: for @p realm (NULL = every configured realm, in
 * order), one value per offered algorithm, SHA-256 first then SHA-256-sess,
 * MD5, MD5-sess; each with a new nonce, opaque, qop list and @p stale.
 * @return PRES_OK, PRES_EINVAL (unknown realm), PRES_ETOOBIG.
 */
int auth_digest_challenge(struct auth *a, const char *realm, int stale,
    struct auth_challenges *out);

/**
 * Authentication-Info value after success: qop, rspauth, cnonce, nc and,
 * when the nonce is past half its lifetime, nextnonce (so that clients
 * move to a new nonce before the old one goes stale). For qop=auth-int
 * @p body/@p body_len is the response body (the rspauth covers it).
 * Without qop and with a young nonce the value is "" (send no header).
 * @return PRES_OK, PRES_EINVAL (res not successful), PRES_ETOOBIG.
 */
int auth_digest_auth_info(struct auth *a, const struct auth_result *res,
    const uint8_t *body, size_t body_len, char *out, size_t size);

/* ---- Digest computations (also for clients, the BSF and tests) ----------- */

/**
 * HA1 = H(username ":" realm ":" password) for the hash of @p alg.
 * @param out  OUT: auth_alg_hash_len(alg) bytes; @p out_len receives it.
 */
int auth_digest_ha1(int alg, const char *username, const char *realm,
    const uint8_t *password, size_t password_len, uint8_t *out, size_t *out_len);

/**
 * The response value (lower-case hex) of RFC 7616 / RFC 2617.
 * @param ha1      H(username:realm:password), raw bytes (non-session)
 * @param qop      AUTH_QOP_AUTH, AUTH_QOP_AUTH_INT or AUTH_QOP_NONE
 *                 (then @p nc / @p cnonce are unused)
 * @param method   "GET" ... ("" for rspauth)
 * @param out      OUT: hex, at least 2 * AUTH_HASH_MAX + 1 bytes
 * @return PRES_OK or PRES_EINVAL.
 */
int auth_digest_response(int alg, const uint8_t *ha1, size_t ha1_len,
    const char *nonce, const char *nc, const char *cnonce, int qop,
    const char *method, const char *uri, const uint8_t *body, size_t body_len,
    char *out);

/* ---- failure rate limiting ----------------------------------------------- */

struct auth_rl_cfg {
	size_t table_size;   /* sources tracked; 0 = 4096 */
	int max_failures;    /* failures allowed per window; 0 = 10 */
	int window;          /* seconds; 0 = 60 */
	int block_time;      /* seconds blocked after too many; 0 = 60 */
};

struct auth_rl;

/** @p cfg NULL = defaults. NULL on allocation failure. */
struct auth_rl *auth_rl_new(const struct auth_rl_cfg *cfg);
void auth_rl_free(struct auth_rl *rl);
/**
 * @return 0 if @p src (an IP address string) may try to authenticate,
 * otherwise the seconds it stays blocked (>= 1; usable as Retry-After).
 */
int auth_rl_blocked(struct auth_rl *rl, const char *src, int64_t now);
/** Records a failure of @p src; @return 1 if @p src is now blocked, else 0. */
int auth_rl_fail(struct auth_rl *rl, const char *src, int64_t now);
/** Records a success: forgets @p src's failures (not an active block). */
void auth_rl_success(struct auth_rl *rl, const char *src, int64_t now);

/* ---- per-thread caches: forced re-authentication times, asserted IDs --- */

/**
 * A cache of subscribers' auth_not_before (the time of the last forced
 * re-authentication order, `presencectl subscriber reauth`), keyed by IMPI,
 * so that an authenticated request need not read the subscriber row. An
 * entry is used for at most @p ttl_ms after it was read: an order given in
 * another process (presencectl writes the database) takes effect within
 * that time. Not thread-safe: one cache per thread.
 */
struct auth_nbc;

/** @p slots entries (1..4096), lifetime @p ttl_ms (> 0). NULL on bad
 *  arguments or allocation failure. Free with auth_nbc_free(). */
struct auth_nbc *auth_nbc_new(size_t slots, int64_t ttl_ms);
void auth_nbc_free(struct auth_nbc *c);
/** 1 and *not_before if @p impi has an entry read less than the lifetime
 *  before @p now_ms; else 0 (the caller reads the database and puts). */
int auth_nbc_get(struct auth_nbc *c, const char *impi, int64_t now_ms, int64_t *not_before);
/** Stores the value read at @p now_ms (evicts the oldest entry if full). */
void auth_nbc_put(struct auth_nbc *c, const char *impi, int64_t not_before, int64_t now_ms);
/** Drops @p impi's entry (e.g. when this process learns of a change). */
void auth_nbc_forget(struct auth_nbc *c, const char *impi);

/**
 * The same kind of cache for the identities behind asserted IMPUs (an AS
 * behind an Authentication Proxy checks that X-3GPP-Asserted-Identity is a
 * provisioned IMPU and acts with that subscriber's IMPUs): key = the
 * asserted IMPU, value = the identity built from the subscriber row. Only
 * found identities are stored; a removed subscriber is refused after at
 * most @p ttl_ms. One cache per thread.
 */
struct auth_idc;

/** @p slots entries (1..256), lifetime @p ttl_ms (> 0); NULL on error. */
struct auth_idc *auth_idc_new(size_t slots, int64_t ttl_ms);
void auth_idc_free(struct auth_idc *c);
/** 1 and a copy in *out if @p key was stored less than the lifetime before
 *  @p now_ms; else 0. */
int auth_idc_get(struct auth_idc *c, const char *key, int64_t now_ms, struct auth_identity *out);
/** Stores a copy of @p id under @p key, read at @p now_ms. */
void auth_idc_put(struct auth_idc *c, const char *key, const struct auth_identity *id, int64_t now_ms);

/* ---- GBA (see gba.h) ---- */
#ifdef PRES_HAVE_GBA_H
#include "auth/gba.h"
#endif

#endif
