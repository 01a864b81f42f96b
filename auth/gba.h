/*
 * gba.h - GBA (3GPP TS 33.220 / 24.109 / 29.109) for presenced's Ut security:
 * Milenage, the GBA key derivation, the embedded BSF (Ub request handler),
 * the Zn interface (NAF <-> BSF), GUSS/USS parsing, and the NAF key cache
 * that feeds the HTTP Digest engine with Ks_NAF-based credentials.
 *
 * Facts and test vectors: docs GBA.md. Secrets (K, OPc, RES, CK, IK, Ks,
 * Ks_NAF, HA1) are never logged and are wiped with OPENSSL_cleanse.
 * Every int function returns PRES_OK or a negative enum pres_rc.
 */
#ifndef PRES_GBA_H
#define PRES_GBA_H

#include <stddef.h>
#include <stdint.h>

#include "pres.h"

struct db;

/* ===== Milenage (TS 35.206) ========================================== */

#define GBA_RAND_LEN 16
#define GBA_AUTN_LEN 16
#define GBA_AUTS_LEN 14
#define GBA_RES_LEN 8
#define GBA_SQN_LEN 6
#define GBA_SQN_MAX 0xffffffffffffULL

/** OPc = OP xor E_K(OP). */
int gba_milenage_opc(const uint8_t k[16], const uint8_t op[16], uint8_t opc[16]);

/** TEMP = E_K(RAND xor OPc) (exposed for the unit tests). */
int gba_milenage_temp(const uint8_t k[16], const uint8_t opc[16],
    const uint8_t rand[16], uint8_t temp[16]);

/** f1 (MAC-A) and f1* (MAC-S); either output may be NULL. */
int gba_milenage_f1(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
    const uint8_t sqn[6], const uint8_t amf[2], uint8_t mac_a[8], uint8_t mac_s[8]);

/** f2 (RES), f3 (CK), f4 (IK), f5 (AK), f5* (AK*); any output may be NULL. */
int gba_milenage_f2345(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
    uint8_t res[8], uint8_t ck[16], uint8_t ik[16], uint8_t ak[6], uint8_t ak_star[6]);

/**
 * Network side: one authentication vector for @p sqn (48 bits).
 * AUTN = (SQN xor AK) || AMF || MAC-A. RES is 8 octets. Outputs are secrets
 * except @p autn.
 */
int gba_milenage_vector(const uint8_t k[16], const uint8_t opc[16], const uint8_t amf[2],
    uint64_t sqn, const uint8_t rand[16], uint8_t autn[16], uint8_t res[8],
    uint8_t ck[16], uint8_t ik[16]);

/**
 * USIM side: checks AUTN (MAC-A) and computes RES/CK/IK.
 * @param sqn_out  the SQN carried in AUTN (may be NULL).
 * @return PRES_OK; PRES_EAUTH if MAC-A is wrong (network authentication
 *         failure; outputs are wiped).
 */
int gba_milenage_check_autn(const uint8_t k[16], const uint8_t opc[16],
    const uint8_t rand[16], const uint8_t autn[16], uint64_t *sqn_out,
    uint8_t res[8], uint8_t ck[16], uint8_t ik[16]);

/** USIM side: AUTS = (SQN_MS xor AK*) || f1*(K, SQN_MS, RAND, AMF* = 0000). */
int gba_milenage_auts(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
    uint64_t sqn_ms, uint8_t auts[14]);

/**
 * Network side: verifies AUTS (resynchronisation) and recovers SQN_MS.
 * @return PRES_OK with *@p sqn_ms set; PRES_EAUTH if MAC-S is wrong.
 */
int gba_milenage_auts_verify(const uint8_t k[16], const uint8_t opc[16],
    const uint8_t rand[16], const uint8_t auts[14], uint64_t *sqn_ms);

/**
 * HE SQN management (TS 33.102 Annex C.1.1/C.3.2 with a 5-bit IND fixed to 0):
 * SQN = SEQ || IND; returns the SQN with SEQ + 1 (wraps at 48 bits).
 */
uint64_t gba_sqn_next(uint64_t sqn);

/* ===== Key derivation (TS 33.220 Annex B, Annex H) =================== */

/** One KDF input parameter Pi (Li = len, 2 octets big-endian). */
struct gba_kdf_param {
	const uint8_t *p;
	size_t len; /* at most 65535 */
};

/**
 * Builds S = FC || P0 || L0 || ... || Pn || Ln into @p s (capacity @p cap).
 * @return PRES_OK with *@p s_len; PRES_ETOOBIG / PRES_EINVAL.
 */
int gba_kdf_s(uint8_t fc, const struct gba_kdf_param *params, size_t n,
    uint8_t *s, size_t cap, size_t *s_len);

/** Generic KDF: out = HMAC-SHA-256(key, S). */
int gba_kdf(const uint8_t *key, size_t key_len, uint8_t fc,
    const struct gba_kdf_param *params, size_t n, uint8_t out[32]);

#define GBA_UA_ID_LEN 5
#define GBA_FQDN_MAX 255
#define GBA_NAF_ID_MAX (GBA_FQDN_MAX + GBA_UA_ID_LEN)

/** NAF_Id = NAF FQDN (UTF-8) || Ua security protocol identifier (5 octets). */
struct gba_naf_id {
	uint8_t b[GBA_NAF_ID_MAX];
	size_t len;
};

/** Ua id for HTTP Digest inside server-authenticated TLS (TS 33.222 5.3):
 *  01 00 01 yy zz, yy zz = the negotiated TLS cipher suite. */
void gba_ua_id_tls(uint16_t cipher_suite, uint8_t out[GBA_UA_ID_LEN]);
/** Ua id for HTTP Digest without TLS (TS 24.109): 01 00 00 00 02. */
void gba_ua_id_http(uint8_t out[GBA_UA_ID_LEN]);
/** Builds a NAF_Id. PRES_EINVAL if @p fqdn is empty or too long. */
int gba_naf_id_make(const char *fqdn, const uint8_t ua_id[GBA_UA_ID_LEN],
    struct gba_naf_id *out);

/** Ks_NAF = KDF(Ks, 0x01, "gba-me", RAND, IMPI, NAF_Id). */
int gba_ks_naf(const uint8_t ks[32], const uint8_t rand[16], const char *impi,
    const struct gba_naf_id *naf_id, uint8_t out[32]);

#define GBA_BTID_MAX 256
/** B-TID = base64(RAND) "@" BSF server name. */
int gba_btid_make(const uint8_t rand[16], const char *bsf_name, char *out, size_t size);

/** Standard base64 (with padding) of @p n bytes into @p out (NUL-terminated). */
int gba_b64_encode(const uint8_t *in, size_t n, char *out, size_t size);
/** Decodes standard base64 (padding required); *@p n_out = decoded length. */
int gba_b64_decode(const char *in, uint8_t *out, size_t cap, size_t *n_out);

/* ===== Digest AKA helpers (RFC 3310 / 4169 / 2617), MD5 only ===========
 * For Ub only (the BSF and the test UE). Hashing is done by the Digest
 * engine (auth_digest_ha1/auth_digest_response in auth/auth.h); the parser
 * also reads challenges, which auth_digest_parse() does not. */

#define GBA_DIGEST_PARAMS_MAX 16
/** Parsed "Digest k=v, k="v"" header value; pointers into @p buf. */
struct gba_digest_params {
	char buf[2048];
	size_t n;
	struct { const char *name, *value; } p[GBA_DIGEST_PARAMS_MAX];
};
/** Parses a Digest challenge or credentials header value. */
int gba_digest_parse(const char *header, struct gba_digest_params *out);
/** Value of parameter @p name (case-insensitive), or NULL. Borrowed. */
const char *gba_digest_get(const struct gba_digest_params *p, const char *name);

/**
 * RFC 2617 request digest with MD5 (algorithm MD5 or AKAv1-MD5), hex into
 * @p out (33 bytes). @p password is raw octets (RES for AKAv1).
 * @p qop NULL / "auth" / "auth-int"; with auth-int, @p body is hashed.
 * @p method NULL gives the rspauth form (empty method).
 */
int gba_digest_response(const char *username, const char *realm,
    const uint8_t *password, size_t password_len,
    const char *method, const char *uri, const char *nonce, const char *nc,
    const char *cnonce, const char *qop, const uint8_t *body, size_t body_len,
    char out[33]);

/** AKAv2-MD5 password (RFC 4169): base64(HMAC-MD5(RES||IK||CK, "http-digest-akav2-password")). */
int gba_akav2_password(const uint8_t *res, size_t res_len, const uint8_t ik[16],
    const uint8_t ck[16], char *out, size_t size);

/* ===== Embedded BSF: Ub request handler (TS 24.109 clause 4) ========== */

struct gba_bsf_cfg {
	char realm[GBA_FQDN_MAX + 1];   /* digest realm, e.g. "bsf.ims.example.com" */
	char name[GBA_FQDN_MAX + 1];    /* BSF server name in B-TIDs (often = realm) */
	int64_t key_lifetime;           /* Ks lifetime in seconds, default 3600 */
	int64_t challenge_ttl;          /* AKA challenge lifetime, default 60 */
};
/** Fills the defaults (realm/name "bsf.ims.example.com", 3600 s, 60 s). */
void gba_bsf_cfg_default(struct gba_bsf_cfg *cfg);

#define GBA_BSF_MAX_HEADERS 6
struct gba_bsf_request {
	const char *method;        /* "GET" */
	const char *uri;           /* request-URI, e.g. "/" */
	const char *authorization; /* Authorization header value or NULL */
	const char *user_agent;    /* may be NULL */
	const uint8_t *body;       /* may be NULL */
	size_t body_len;
};
struct gba_bsf_response {
	int status;                /* HTTP status */
	size_t n_headers;
	struct { char name[32]; char value[512]; } headers[GBA_BSF_MAX_HEADERS];
	char *body;                /* owned (malloc), may be NULL; freed by _clear */
	size_t body_len;
};
void gba_bsf_response_clear(struct gba_bsf_response *r);
/** Value of header @p name in @p r or NULL (borrowed). */
const char *gba_bsf_response_header(const struct gba_bsf_response *r, const char *name);

struct gba_bsf;
/** Creates a BSF handler with a copy of @p cfg; NULL on bad config. */
struct gba_bsf *gba_bsf_new(const struct gba_bsf_cfg *cfg);
void gba_bsf_free(struct gba_bsf *bsf);

/**
 * Handles one Ub request. Stateless apart from @p db (the calling thread's
 * connection): safe to call from several threads with their own connections.
 * Always fills @p resp (status 200/400/401/403/405/500); the caller sends it
 * and then calls gba_bsf_response_clear().
 * Unknown IMPI (or no AKA credentials): a 401 with a fake challenge that no
 * answer can pass, identical in shape to a real one (no user enumeration).
 * @return PRES_OK when a response was produced, PRES_EDB etc. when the
 *         response is a 500.
 */
int gba_bsf_handle(struct gba_bsf *bsf, struct db *db, const struct gba_bsf_request *req,
    struct gba_bsf_response *resp);

/* ===== GUSS / USS (TS 29.109 Annex A) ================================= */

#define GBA_GUSS_NS "urn:3gpp:gba:GBAGUSSSchema-R9:2010-02"
/** GAA service type of the presence service (TS 29.109 Annex B; assumed 3,
 *  not verified against the spec text). */
#define GBA_GSID_PRESENCE 3
#define GBA_USS_MAX 8
#define GBA_UIDS_MAX 16
#define GBA_URI_MAX 256

struct gba_uss {
	char id[64];
	unsigned long gsid;           /* uss/@type */
	char naf_group[64];           /* uss/@nafGroup, "" if absent */
	size_t n_uids;
	char uids[GBA_UIDS_MAX][GBA_URI_MAX];
};
struct gba_uss_list {
	size_t n;
	struct gba_uss uss[GBA_USS_MAX];
};

/**
 * Parses a `guss` (Zh) or `ussList` (Zn) document. Elements of other
 * namespaces or unknown names are ignored; extra USSs / uids beyond the
 * limits are dropped with a warning. No network, no entities.
 * @return PRES_OK; PRES_EINVAL for malformed XML or a wrong root.
 */
int gba_guss_parse(const char *xml, size_t len, struct gba_uss_list *out);
/** First USS of service type @p gsid, or NULL. Borrowed from @p l. */
const struct gba_uss *gba_uss_find(const struct gba_uss_list *l, unsigned long gsid);

/* ===== Zn (NAF -> BSF, TS 29.109) ===================================== */

enum gba_zn_result {
	GBA_ZN_OK = 0,
	GBA_ZN_BTID_INVALID,    /* 5403: unknown/expired B-TID, UE must bootstrap */
	GBA_ZN_NOT_AUTHORIZED,  /* 5402: NAF or user not authorized */
	GBA_ZN_ERROR,           /* transport / BSF failure: try later (500/503) */
};

struct gba_zn_answer {
	enum gba_zn_result result;
	uint8_t ks_naf[32];            /* secret: ME-Key-Material */
	int64_t key_expiry;            /* Key-ExpiryTime, seconds since epoch */
	int64_t created;               /* BootstrapInfoCreationTime */
	char impi[GBA_URI_MAX];
	struct gba_uss_list uss;       /* USSs for this NAF (GBA-UserSecSettings) */
};

/** Operations of one Zn implementation (embedded now; Diameter / web
 *  services later). request must be thread-safe. */
struct gba_zn_ops {
	const char *name;
	/** Bootstrapping-Info-Request. Returns PRES_OK with @p ans->result set;
	 *  a negative rc is treated as GBA_ZN_ERROR. */
	int (*request)(void *impl, const char *btid, const struct gba_naf_id *naf_id,
	    unsigned long gsid, struct gba_zn_answer *ans);
	void (*free)(void *impl);
};
struct gba_zn {
	const struct gba_zn_ops *ops;
	void *impl;
};
/** Calls zn->ops->request and normalises the result. */
int gba_zn_request(struct gba_zn *zn, const char *btid, const struct gba_naf_id *naf_id,
    unsigned long gsid, struct gba_zn_answer *ans);
/** Frees the implementation and @p zn. */
void gba_zn_free(struct gba_zn *zn);
/** Wipes the key in @p ans. */
void gba_zn_answer_wipe(struct gba_zn_answer *ans);

/**
 * Embedded Zn: answers from the embedded BSF's sessions in @p db. @p db is
 * borrowed and used only under this object's mutex: give it a connection
 * that no other thread uses at the same time. The USS is built from the
 * subscriber's IMPUs (one USS, type @p gsid requested, all IMPUs).
 * Sessions created before the subscriber's auth_not_before are invalid.
 */
struct gba_zn *gba_zn_embedded_new(struct db *db);

/* ===== NAF: Ks_NAF cache and digest credentials ======================= */

struct gba_naf_cfg {
	unsigned long gsid;       /* GAA service id sent on Zn, default GBA_GSID_PRESENCE */
	size_t max_entries;       /* cache bound, default 10000 */
};
void gba_naf_cfg_default(struct gba_naf_cfg *cfg);

struct gba_naf;
/** Creates the NAF cache using @p zn (borrowed; must outlive the NAF). */
struct gba_naf *gba_naf_new(const struct gba_naf_cfg *cfg, struct gba_zn *zn);
void gba_naf_free(struct gba_naf *naf);

enum gba_naf_status {
	GBA_NAF_OK = 0,
	GBA_NAF_BOOTSTRAP,   /* unknown/expired B-TID: 401 with the GBA realm */
	GBA_NAF_FORBIDDEN,   /* not authorized for this service: 403 */
	GBA_NAF_ERROR,       /* Zn failure: 500/503 */
};

/** Identity and key material for one (B-TID, NAF_Id). */
struct gba_naf_key {
	uint8_t ks_naf[32];        /* secret */
	int64_t expires;
	int64_t created;           /* bootstrapping time, 0 if the BSF did not say */
	char impi[GBA_URI_MAX];
	size_t n_impus;
	char impus[GBA_UIDS_MAX][GBA_URI_MAX];  /* from the presence USS */
};
/**
 * Looks up (cache, else Zn) the key for @p btid at @p naf_id.
 * @return PRES_OK with *@p status; GBA_NAF_OK fills @p out (wipe it with
 *         gba_naf_key_wipe()).
 */
int gba_naf_lookup(struct gba_naf *naf, const char *btid, const struct gba_naf_id *naf_id,
    enum gba_naf_status *status, struct gba_naf_key *out);
void gba_naf_key_wipe(struct gba_naf_key *k);
/** Drops every cached entry of @p btid (e.g. after a 5403). */
void gba_naf_forget(struct gba_naf *naf, const char *btid);
/** Number of live cache entries (tests, stats). */
size_t gba_naf_cache_size(struct gba_naf *naf);

/** Realm for GBA_ME digest on Ua: "3GPP-bootstrapping@<fqdn>". */
int gba_naf_realm(const char *naf_fqdn, char *out, size_t size);

/** Per-connection argument for the digest credential callback: the NAF
 *  cache and the NAF_Id of this connection (FQDN + Ua id with the cipher
 *  suite negotiated on this TLS connection, or 01 00 00 00 02 on HTTP). */
struct gba_naf_conn {
	struct gba_naf *naf;
	struct gba_naf_id naf_id;
};

/** What the digest engine needs for one GBA username. */
struct gba_naf_cred {
	enum gba_naf_status status;
	char ha1_md5[33];          /* secret: hex MD5(B-TID:realm:base64(Ks_NAF)) */
	char ha1_sha256[65];       /* secret: hex SHA-256(...) */
	int64_t expires;           /* key expiry: the digest session must end then */
	char impi[GBA_URI_MAX];
	size_t n_impus;
	char impus[GBA_UIDS_MAX][GBA_URI_MAX];
};

/**
 * Digest credential callback for the HTTP Digest engine.
 * @param arg      struct gba_naf_conn * of this connection.
 * @param username B-TID from the Authorization header.
 * @param realm    realm from the Authorization header; must be
 *                 "3GPP-bootstrapping@<FQDN of the NAF_Id>" (else BOOTSTRAP).
 * @return PRES_OK with @p out->status set (wipe @p out after use with
 *         gba_naf_cred_wipe()); PRES_EINVAL for bad arguments.
 */
int gba_naf_digest_cred(void *arg, const char *username, const char *realm,
    struct gba_naf_cred *out);
void gba_naf_cred_wipe(struct gba_naf_cred *c);

struct auth_identity;
/**
 * The same as an auth_cred_cb for auth_digest_verify() (auth/auth.h):
 * @p arg is the connection's struct gba_naf_conn *. HA1 (raw, MD5 or
 * SHA-256 per @p alg) = H(B-TID ":" realm ":" base64(Ks_NAF)); @p who gets
 * IMPI, username = B-TID, the presence USS uids as IMPUs, auth_time = the
 * bootstrapping time, method AUTH_METHOD_GBA.
 * @return PRES_OK; PRES_ENOTFOUND when the UE must bootstrap (again):
 *  realm not this NAF's, username not a B-TID, B-TID unknown/expired (5403),
 *  key expired; the engine answers 401 with the GBA realm.
 *  PRES_EAUTH: not authorized (5402, no USS for presence): answer 403.
 *  PRES_EIO: Zn failure: answer 500/503. PRES_EINVAL: bad arguments.
 */
int gba_naf_auth_cred_cb(void *arg, const char *username, const char *realm, int alg,
    uint8_t *ha1, size_t *ha1_len, struct auth_identity *who);

#endif
