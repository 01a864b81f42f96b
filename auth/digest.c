/*
 * digest.c - HTTP Digest engine (RFC 7616, RFC 2617 compatible) for
 * XCAP/Ut, the BSF and SIP.
 *
 * Nonces are stateless and signed, so any thread (or any node sharing the
 * secret) can verify them:
 *
 *   nonce  = base64( ts(8, big endian) || rand(8) || mac(20) )   (48 chars)
 *   mac    = HMAC-SHA-256(secret, ts || rand || realm)[0..19]
 *   opaque = base64( HMAC-SHA-256(secret, "opaque" 0x00 realm)[0..17] )
 *
 * The only state is the nonce-count table: for every nonce that has been
 * used successfully, the highest nc seen. It is bounded; when a probe window
 * is full the oldest entry is evicted and its timestamp becomes a floor:
 * nonces issued at or before the floor that are not in the table are
 * answered with stale=true (a new nonce), so eviction never lets a replay
 * through.
 */
#include "auth/auth.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#define NONCE_TS_LEN 8
#define NONCE_RAND_LEN 8
#define NONCE_KEY_LEN (NONCE_TS_LEN + NONCE_RAND_LEN)
#define NONCE_MAC_LEN 20
#define NONCE_RAW_LEN (NONCE_KEY_LEN + NONCE_MAC_LEN)  /* 36 */
#define NONCE_B64_LEN 48
#define OPAQUE_RAW_LEN 18
#define OPAQUE_B64_LEN 24
#define NONCE_FUTURE_SKEW 60   /* seconds a nonce may come from the future */
#define NC_PROBE 16
#define SECRET_MAX 64

struct nc_entry {
	uint8_t key[NONCE_KEY_LEN];
	int64_t ts;        /* issue time of the nonce */
	int64_t expires;   /* 0 = free slot */
	uint32_t max_nc;
};

struct auth {
	size_t n_realms;
	char realms[AUTH_MAX_REALMS][AUTH_NAME_MAX];
	char opaque[AUTH_MAX_REALMS][OPAQUE_B64_LEN + 1];
	uint8_t secret[SECRET_MAX];   /* secret */
	size_t secret_len;
	int lifetime;
	unsigned algs, qops;
	int allow_no_qop;
	char domain[AUTH_NAME_MAX];

	pthread_mutex_t lock;         /* protects nc, nc_floor */
	struct nc_entry *nc;          /* owned, nc_size entries */
	size_t nc_size;
	int64_t nc_floor;
};

/* ---- algorithms --------------------------------------------------------- */

static const struct {
	int alg;
	const char *name;
} alg_names[] = {
	/* challenge order: SHA-256 first, then MD5 */
	{ AUTH_ALG_SHA256, "SHA-256" },
	{ AUTH_ALG_SHA256_SESS, "SHA-256-sess" },
	{ AUTH_ALG_MD5, "MD5" },
	{ AUTH_ALG_MD5_SESS, "MD5-sess" },
};

const char *auth_alg_name(int alg)
{
	for (size_t i = 0; i < PRES_ARRAY_LEN(alg_names); i++)
		if (alg_names[i].alg == alg)
			return alg_names[i].name;
	return NULL;
}

int auth_alg_from_name(const char *name)
{
	if (!name)
		return 0;
	for (size_t i = 0; i < PRES_ARRAY_LEN(alg_names); i++)
		if (strcasecmp(alg_names[i].name, name) == 0)
			return alg_names[i].alg;
	return 0;
}

size_t auth_alg_hash_len(int alg)
{
	switch (alg) {
	case AUTH_ALG_MD5:
	case AUTH_ALG_MD5_SESS:
		return 16;
	case AUTH_ALG_SHA256:
	case AUTH_ALG_SHA256_SESS:
		return 32;
	default:
		return 0;
	}
}

static int alg_is_sess(int alg)
{
	return alg == AUTH_ALG_MD5_SESS || alg == AUTH_ALG_SHA256_SESS;
}

static const EVP_MD *alg_md(int alg)
{
	switch (alg) {
	case AUTH_ALG_MD5:
	case AUTH_ALG_MD5_SESS:
		return EVP_md5();
	case AUTH_ALG_SHA256:
	case AUTH_ALG_SHA256_SESS:
		return EVP_sha256();
	default:
		return NULL;
	}
}

static const char *qop_name(int qop)
{
	return qop == AUTH_QOP_AUTH_INT ? "auth-int" : "auth";
}

/* ---- hashing helpers ---------------------------------------------------- */

struct part {
	const void *p;
	size_t n;
};
#define PS(s) { (s), strlen(s) }
#define COLON { ":", 1 }

/* H(parts[0] || parts[1] || ...) in lower-case hex into out (2*len+1). */
static int hash_hex(int alg, const struct part *parts, size_t n, char *out)
{
	const EVP_MD *md = alg_md(alg);
	EVP_MD_CTX *ctx;
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	int ok;

	if (!md)
		return PRES_EINVAL;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return PRES_ENOMEM;
	ok = EVP_DigestInit_ex(ctx, md, NULL);
	for (size_t i = 0; ok && i < n; i++)
		if (parts[i].n)
			ok = EVP_DigestUpdate(ctx, parts[i].p, parts[i].n);
	if (ok)
		ok = EVP_DigestFinal_ex(ctx, d, &dl);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return PRES_ENOMEM;
	pres_hex(d, dl, out);
	OPENSSL_cleanse(d, sizeof(d));
	return PRES_OK;
}

int auth_digest_ha1(int alg, const char *username, const char *realm,
    const uint8_t *password, size_t password_len, uint8_t *out, size_t *out_len)
{
	const EVP_MD *md = alg_md(alg);
	EVP_MD_CTX *ctx;
	unsigned int dl = 0;
	int ok;

	if (!md || !username || !realm || (!password && password_len) || !out || !out_len)
		return PRES_EINVAL;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return PRES_ENOMEM;
	ok = EVP_DigestInit_ex(ctx, md, NULL) &&
	    EVP_DigestUpdate(ctx, username, strlen(username)) &&
	    EVP_DigestUpdate(ctx, ":", 1) &&
	    EVP_DigestUpdate(ctx, realm, strlen(realm)) &&
	    EVP_DigestUpdate(ctx, ":", 1) &&
	    (password_len == 0 || EVP_DigestUpdate(ctx, password, password_len)) &&
	    EVP_DigestFinal_ex(ctx, out, &dl);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return PRES_ENOMEM;
	*out_len = dl;
	return PRES_OK;
}

/* Session HA1 in hex: hex(ha1), or for -sess hex(H(hex(ha1):nonce:cnonce)). */
static int session_ha1_hex(int alg, const uint8_t *ha1, size_t ha1_len,
    const char *nonce, const char *cnonce, char *out)
{
	char inner[2 * AUTH_HASH_MAX + 1];
	int rc = PRES_OK;

	if (ha1_len != auth_alg_hash_len(alg) || ha1_len == 0)
		return PRES_EINVAL;
	pres_hex(ha1, ha1_len, inner);
	if (!alg_is_sess(alg)) {
		memcpy(out, inner, 2 * ha1_len + 1);
	} else {
		struct part p[] = { PS(inner), COLON, PS(nonce), COLON, PS(cnonce) };
		rc = hash_hex(alg, p, PRES_ARRAY_LEN(p), out);
	}
	OPENSSL_cleanse(inner, sizeof(inner));
	return rc;
}

/* KD(session HA1, ...) with HA2 from method/uri/body. */
static int kd_hex(int alg, const char *ha1_hex, const char *nonce, const char *nc,
    const char *cnonce, int qop, const char *method, const char *uri,
    const uint8_t *body, size_t body_len, char *out)
{
	char ha2[2 * AUTH_HASH_MAX + 1], hbody[2 * AUTH_HASH_MAX + 1];
	int rc;

	if (qop == AUTH_QOP_AUTH_INT) {
		struct part pb[] = { { body, body ? body_len : 0 } };
		rc = hash_hex(alg, pb, 1, hbody);
		if (rc)
			return rc;
		struct part p2[] = { PS(method), COLON, PS(uri), COLON, PS(hbody) };
		rc = hash_hex(alg, p2, PRES_ARRAY_LEN(p2), ha2);
	} else {
		struct part p2[] = { PS(method), COLON, PS(uri) };
		rc = hash_hex(alg, p2, PRES_ARRAY_LEN(p2), ha2);
	}
	if (rc)
		return rc;
	if (qop == AUTH_QOP_NONE) {
		struct part p[] = { PS(ha1_hex), COLON, PS(nonce), COLON, PS(ha2) };
		return hash_hex(alg, p, PRES_ARRAY_LEN(p), out);
	}
	const char *qs = qop_name(qop);
	struct part p[] = { PS(ha1_hex), COLON, PS(nonce), COLON, PS(nc), COLON,
		PS(cnonce), COLON, PS(qs), COLON, PS(ha2) };
	return hash_hex(alg, p, PRES_ARRAY_LEN(p), out);
}

int auth_digest_response(int alg, const uint8_t *ha1, size_t ha1_len,
    const char *nonce, const char *nc, const char *cnonce, int qop,
    const char *method, const char *uri, const uint8_t *body, size_t body_len,
    char *out)
{
	char sess[2 * AUTH_HASH_MAX + 1];
	int rc;

	if (!ha1 || !nonce || !method || !uri || !out)
		return PRES_EINVAL;
	if (qop != AUTH_QOP_NONE && qop != AUTH_QOP_AUTH && qop != AUTH_QOP_AUTH_INT)
		return PRES_EINVAL;
	if (qop != AUTH_QOP_NONE && (!nc || !cnonce))
		return PRES_EINVAL;
	if (alg_is_sess(alg) && !cnonce)
		return PRES_EINVAL;
	rc = session_ha1_hex(alg, ha1, ha1_len, nonce, cnonce ? cnonce : "", sess);
	if (rc == PRES_OK)
		rc = kd_hex(alg, sess, nonce, nc ? nc : "", cnonce ? cnonce : "", qop,
		    method, uri, body, body_len, out);
	OPENSSL_cleanse(sess, sizeof(sess));
	return rc;
}

/* ---- header parser ------------------------------------------------------ */

static int is_tchar(int c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const struct {
	const char *name;
	size_t off, size;
	unsigned bit;
} param_fields[] = {
#define F(n, b) { #n, offsetof(struct auth_digest_params, n), \
	sizeof(((struct auth_digest_params *)0)->n), b }
	F(username, AUTH_P_USERNAME),
	F(realm, AUTH_P_REALM),
	F(nonce, AUTH_P_NONCE),
	F(uri, AUTH_P_URI),
	F(response, AUTH_P_RESPONSE),
	F(algorithm, AUTH_P_ALGORITHM),
	F(cnonce, AUTH_P_CNONCE),
	F(opaque, AUTH_P_OPAQUE),
	F(qop, AUTH_P_QOP),
	F(nc, AUTH_P_NC),
	F(userhash, AUTH_P_USERHASH),
	F(auts, AUTH_P_AUTS),
#undef F
};

#define MANDATORY (AUTH_P_USERNAME | AUTH_P_REALM | AUTH_P_NONCE | AUTH_P_URI | AUTH_P_RESPONSE)

int auth_digest_parse(const char *value, struct auth_digest_params *out)
{
	const unsigned char *p, *end;
	size_t len;

	if (!out)
		return PRES_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!value)
		return PRES_EINVAL;
	len = strnlen(value, AUTH_HEADER_MAX + 1);
	if (len > AUTH_HEADER_MAX)
		return PRES_ETOOBIG;
	p = (const unsigned char *)value;
	end = p + len;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	const unsigned char *scheme = p;
	while (p < end && is_tchar(*p))
		p++;
	if (p == scheme)
		return PRES_EINVAL;
	if (p - scheme != 6 || strncasecmp((const char *)scheme, "Digest", 6) != 0)
		return PRES_ENOTFOUND;
	if (p < end && *p != ' ')
		return PRES_EINVAL;         /* 1*SP must follow the scheme */

	for (;;) {
		const unsigned char *name;
		size_t name_len;
		char *dst = NULL;
		size_t dst_size = 0, o = 0;
		unsigned bit = 0;
		int too_long = 0;

		/* OWS and empty list elements */
		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		if (p == end)
			break;
		name = p;
		while (p < end && is_tchar(*p))
			p++;
		name_len = (size_t)(p - name);
		if (name_len == 0)
			return PRES_EINVAL;
		for (size_t i = 0; i < PRES_ARRAY_LEN(param_fields); i++) {
			if (strlen(param_fields[i].name) == name_len &&
			    strncasecmp(param_fields[i].name, (const char *)name, name_len) == 0) {
				bit = param_fields[i].bit;
				dst = (char *)out + param_fields[i].off;
				dst_size = param_fields[i].size;
				break;
			}
		}
		if (bit && (out->seen & bit))
			return PRES_EINVAL;        /* duplicate */
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end || *p != '=')
			return PRES_EINVAL;
		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end)
			return PRES_EINVAL;
		if (*p == '"') {
			p++;
			for (;;) {
				unsigned c;
				if (p == end)
					return PRES_EINVAL;   /* unterminated */
				c = *p++;
				if (c == '"')
					break;
				if (c == '\\') {
					if (p == end)
						return PRES_EINVAL;
					c = *p++;
					if (c < 0x20 && c != '\t')
						return PRES_EINVAL;
				}
				if ((c < 0x20 && c != '\t') || c == 0x7f)
					return PRES_EINVAL;
				if (dst) {
					if (o + 1 >= dst_size)
						too_long = 1;
					else
						dst[o++] = (char)c;
				}
			}
		} else {
			const unsigned char *t = p;
			while (p < end && is_tchar(*p)) {
				if (dst) {
					if (o + 1 >= dst_size)
						too_long = 1;
					else
						dst[o++] = (char)*p;
				}
				p++;
			}
			if (p == t)
				return PRES_EINVAL;
		}
		if (too_long)
			return PRES_ETOOBIG;
		if (dst) {
			dst[o] = '\0';
			out->seen |= bit;
		}
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p != ',')
			return PRES_EINVAL;
	}
	if ((out->seen & MANDATORY) != MANDATORY)
		return PRES_EINVAL;
	return PRES_OK;
}

/* ---- engine ------------------------------------------------------------- */

static int realm_ok(const char *r)
{
	size_t n = 0;
	for (; r[n]; n++) {
		unsigned char c = (unsigned char)r[n];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			return 0;
	}
	return n > 0 && n < AUTH_NAME_MAX;
}

static int mac(const struct auth *a, const void *d1, size_t n1, const char *s,
    size_t slen_with_nul, uint8_t *out, size_t outlen)
{
	uint8_t buf[NONCE_KEY_LEN + 8 + AUTH_NAME_MAX];
	uint8_t m[EVP_MAX_MD_SIZE];
	unsigned int ml = 0;
	size_t sl = slen_with_nul;

	if (n1 + sl > sizeof(buf))
		return PRES_EINVAL;
	memcpy(buf, d1, n1);
	memcpy(buf + n1, s, sl);
	if (!HMAC(EVP_sha256(), a->secret, (int)a->secret_len, buf, n1 + sl, m, &ml) ||
	    ml < outlen)
		return PRES_ENOMEM;
	memcpy(out, m, outlen);
	OPENSSL_cleanse(m, sizeof(m));
	return PRES_OK;
}

static void put_be64(uint8_t *b, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

static uint64_t get_be64(const uint8_t *b)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static int make_nonce(const struct auth *a, size_t ri, int64_t now, char *out)
{
	uint8_t raw[NONCE_RAW_LEN];
	int rc;

	put_be64(raw, (uint64_t)now);
	if (RAND_bytes(raw + NONCE_TS_LEN, NONCE_RAND_LEN) != 1)
		return PRES_EIO;
	rc = mac(a, raw, NONCE_KEY_LEN, a->realms[ri], strlen(a->realms[ri]),
	    raw + NONCE_KEY_LEN, NONCE_MAC_LEN);
	if (rc)
		return rc;
	EVP_EncodeBlock((unsigned char *)out, raw, NONCE_RAW_LEN);
	return PRES_OK;
}

/* Checks format and signature of @p nonce for realm index @p ri; gives the
 * issue time and the table key. PRES_EAUTH if not ours. */
static int check_nonce(const struct auth *a, size_t ri, const char *nonce,
    int64_t now, int64_t *ts, uint8_t *key)
{
	uint8_t raw[NONCE_RAW_LEN + 3], m[NONCE_MAC_LEN];

	if (strlen(nonce) != NONCE_B64_LEN)
		return PRES_EAUTH;
	for (size_t i = 0; i < NONCE_B64_LEN; i++)
		if (!isalnum((unsigned char)nonce[i]) && nonce[i] != '+' && nonce[i] != '/')
			return PRES_EAUTH;
	if (EVP_DecodeBlock(raw, (const unsigned char *)nonce, NONCE_B64_LEN) != NONCE_RAW_LEN)
		return PRES_EAUTH;
	if (mac(a, raw, NONCE_KEY_LEN, a->realms[ri], strlen(a->realms[ri]), m, sizeof(m)))
		return PRES_EAUTH;
	if (pres_ct_memcmp(m, raw + NONCE_KEY_LEN, NONCE_MAC_LEN) != 0)
		return PRES_EAUTH;
	uint64_t t = get_be64(raw);
	if (t > (uint64_t)INT64_MAX || (int64_t)t > now + NONCE_FUTURE_SKEW)
		return PRES_EAUTH;
	*ts = (int64_t)t;
	memcpy(key, raw, NONCE_KEY_LEN);
	return PRES_OK;
}

struct auth *auth_new(const struct auth_cfg *cfg)
{
	struct auth *a;

	if (!cfg || cfg->n_realms == 0 || cfg->n_realms > AUTH_MAX_REALMS)
		return NULL;
	if (cfg->algs & ~(unsigned)AUTH_ALG_ALL)
		return NULL;
	if (cfg->qops & ~(unsigned)(AUTH_QOP_AUTH | AUTH_QOP_AUTH_INT))
		return NULL;
	if (cfg->nonce_secret && (cfg->nonce_secret_len < 16 || cfg->nonce_secret_len > SECRET_MAX))
		return NULL;
	if (cfg->nonce_lifetime < 0 || (cfg->domain && !realm_ok(cfg->domain)))
		return NULL;
	for (size_t i = 0; i < cfg->n_realms; i++)
		if (!cfg->realms[i] || !realm_ok(cfg->realms[i]))
			return NULL;

	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->n_realms = cfg->n_realms;
	for (size_t i = 0; i < cfg->n_realms; i++)
		pres_strlcpy(a->realms[i], cfg->realms[i], sizeof(a->realms[i]));
	if (cfg->nonce_secret) {
		memcpy(a->secret, cfg->nonce_secret, cfg->nonce_secret_len);
		a->secret_len = cfg->nonce_secret_len;
	} else {
		a->secret_len = 32;
		if (RAND_bytes(a->secret, 32) != 1)
			goto fail;
	}
	a->lifetime = cfg->nonce_lifetime ? cfg->nonce_lifetime : 300;
	a->algs = cfg->algs ? cfg->algs : (AUTH_ALG_SHA256 | AUTH_ALG_MD5);
	a->qops = cfg->qops ? cfg->qops : (AUTH_QOP_AUTH | AUTH_QOP_AUTH_INT);
	a->allow_no_qop = cfg->allow_no_qop;
	if (cfg->domain)
		pres_strlcpy(a->domain, cfg->domain, sizeof(a->domain));
	for (size_t i = 0; i < a->n_realms; i++) {
		uint8_t o[OPAQUE_RAW_LEN];
		/* "opaque" plus its NUL separates this MAC's domain from nonces' */
		char lab[7 + AUTH_NAME_MAX];
		size_t rl = strlen(a->realms[i]);
		memcpy(lab, "opaque", 7);
		memcpy(lab + 7, a->realms[i], rl);
		if (mac(a, lab, 7 + rl, "", 0, o, sizeof(o)))
			goto fail;
		EVP_EncodeBlock((unsigned char *)a->opaque[i], o, OPAQUE_RAW_LEN);
	}
	a->nc_size = cfg->nc_table_size ? cfg->nc_table_size : 4096;
	if (a->nc_size < NC_PROBE)
		a->nc_size = NC_PROBE;
	a->nc = calloc(a->nc_size, sizeof(*a->nc));
	if (!a->nc)
		goto fail;
	if (pthread_mutex_init(&a->lock, NULL) != 0) {
		free(a->nc);
		goto fail;
	}
	return a;
fail:
	OPENSSL_cleanse(a->secret, sizeof(a->secret));
	free(a);
	return NULL;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	pthread_mutex_destroy(&a->lock);
	free(a->nc);
	OPENSSL_cleanse(a->secret, sizeof(a->secret));
	free(a);
}

static int realm_index(const struct auth *a, const char *realm)
{
	for (size_t i = 0; i < a->n_realms; i++)
		if (strcmp(a->realms[i], realm) == 0)
			return (int)i;
	return -1;
}

enum { NC_OK, NC_REPLAY, NC_EVICTED };

/* Records nc for the nonce @p key; see the file comment for the floor. */
static int nc_check(struct auth *a, const uint8_t *key, int64_t ts, uint32_t nc,
    int64_t now)
{
	uint64_t h = get_be64(key + NONCE_TS_LEN);   /* the random half */
	size_t base = (size_t)(h % a->nc_size);
	struct nc_entry *freee = NULL, *oldest = NULL;
	int rc = NC_OK;

	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < NC_PROBE; i++) {
		struct nc_entry *e = &a->nc[(base + i) % a->nc_size];
		if (e->expires == 0 || e->expires < now) {
			if (!freee)
				freee = e;
			continue;
		}
		if (memcmp(e->key, key, NONCE_KEY_LEN) == 0) {
			if (nc <= e->max_nc)
				rc = NC_REPLAY;
			else
				e->max_nc = nc;
			goto out;
		}
		if (!oldest || e->ts < oldest->ts)
			oldest = e;
	}
	if (ts <= a->nc_floor) {
		rc = NC_EVICTED;
		goto out;
	}
	if (!freee) {
		if (oldest->ts > a->nc_floor)
			a->nc_floor = oldest->ts;
		freee = oldest;
		if (ts <= a->nc_floor) {
			rc = NC_EVICTED;
			goto out;
		}
	}
	memcpy(freee->key, key, NONCE_KEY_LEN);
	freee->ts = ts;
	freee->expires = ts + a->lifetime;
	freee->max_nc = nc;
out:
	pthread_mutex_unlock(&a->lock);
	return rc;
}

static const char *const reason_text[] = {
	[AUTH_R_OK] = "ok",
	[AUTH_R_MISSING] = "no digest credentials",
	[AUTH_R_MALFORMED] = "malformed credentials",
	[AUTH_R_REALM] = "realm not offered",
	[AUTH_R_ALGORITHM] = "algorithm not offered",
	[AUTH_R_QOP] = "qop not offered",
	[AUTH_R_OPAQUE] = "opaque mismatch",
	[AUTH_R_NONCE] = "nonce not issued here",
	[AUTH_R_URI] = "uri does not match request",
	[AUTH_R_USERHASH] = "userhash not supported",
	[AUTH_R_UNKNOWN_USER] = "unknown user",
	[AUTH_R_BAD_RESPONSE] = "bad response",
	[AUTH_R_STALE] = "stale nonce",
	[AUTH_R_REPLAY] = "nonce count replayed",
	[AUTH_R_REAUTH] = "re-authentication forced",
	[AUTH_R_ERROR] = "internal error",
};

const char *auth_reason_str(int reason)
{
	if (reason < 0 || (size_t)reason >= PRES_ARRAY_LEN(reason_text))
		return "unknown";
	return reason_text[reason];
}

int auth_reason_status(int reason)
{
	switch (reason) {
	case AUTH_R_OK:
		return 200;
	case AUTH_R_MALFORMED:
	case AUTH_R_URI:
		return 400;
	case AUTH_R_ERROR:
		return 500;
	default:
		return 401;
	}
}

int auth_reason_is_failure(int reason)
{
	switch (reason) {
	case AUTH_R_MALFORMED:
	case AUTH_R_REALM:
	case AUTH_R_ALGORITHM:
	case AUTH_R_OPAQUE:
	case AUTH_R_NONCE:
	case AUTH_R_URI:
	case AUTH_R_USERHASH:
	case AUTH_R_UNKNOWN_USER:
	case AUTH_R_BAD_RESPONSE:
		return 1;
	default:
		return 0;
	}
}

void auth_result_wipe(struct auth_result *res)
{
	if (res)
		OPENSSL_cleanse(&res->st, sizeof(res->st));
}

int auth_digest_challenge(struct auth *a, const char *realm, int stale,
    struct auth_challenges *out)
{
	const char *qop;

	if (!a || !out)
		return PRES_EINVAL;
	out->n = 0;
	if ((a->qops & (AUTH_QOP_AUTH | AUTH_QOP_AUTH_INT)) == (AUTH_QOP_AUTH | AUTH_QOP_AUTH_INT))
		qop = "auth-int,auth";
	else if (a->qops & AUTH_QOP_AUTH_INT)
		qop = "auth-int";
	else
		qop = "auth";
	for (size_t ri = 0; ri < a->n_realms; ri++) {
		char nonce[NONCE_B64_LEN + 1];
		int rc;

		if (realm && strcmp(realm, a->realms[ri]) != 0)
			continue;
		rc = make_nonce(a, ri, pres_now(), nonce);
		if (rc)
			return rc;
		for (size_t k = 0; k < PRES_ARRAY_LEN(alg_names); k++) {
			int n;
			if (!(a->algs & (unsigned)alg_names[k].alg))
				continue;
			if (out->n >= AUTH_MAX_CHALLENGES)
				return PRES_ETOOBIG;
			n = snprintf(out->v[out->n], AUTH_CHALLENGE_MAX,
			    "Digest realm=\"%s\", qop=\"%s\", algorithm=%s, nonce=\"%s\", "
			    "opaque=\"%s\"%s%s%s%s",
			    a->realms[ri], qop, alg_names[k].name, nonce, a->opaque[ri],
			    a->domain[0] ? ", domain=\"" : "", a->domain,
			    a->domain[0] ? "\"" : "", stale ? ", stale=true" : "");
			if (n < 0 || n >= AUTH_CHALLENGE_MAX)
				return PRES_ETOOBIG;
			out->n++;
		}
	}
	if (out->n == 0)
		return PRES_EINVAL;
	return PRES_OK;
}

/* Appends s as a quoted-string (escaping '"' and '\'). */
static int append_quoted(char *out, size_t size, size_t *o, const char *s)
{
	if (*o + 1 >= size)
		return PRES_ETOOBIG;
	out[(*o)++] = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '\\') {
			if (*o + 1 >= size)
				return PRES_ETOOBIG;
			out[(*o)++] = '\\';
		}
		if (*o + 1 >= size)
			return PRES_ETOOBIG;
		out[(*o)++] = *s;
	}
	if (*o + 1 >= size)
		return PRES_ETOOBIG;
	out[(*o)++] = '"';
	out[*o] = '\0';
	return PRES_OK;
}

static int append_str(char *out, size_t size, size_t *o, const char *s)
{
	size_t n = strlen(s);
	if (*o + n >= size)
		return PRES_ETOOBIG;
	memcpy(out + *o, s, n + 1);
	*o += n;
	return PRES_OK;
}

int auth_digest_auth_info(struct auth *a, const struct auth_result *res,
    const uint8_t *body, size_t body_len, char *out, size_t size)
{
	size_t o = 0;
	int rc = PRES_OK;

	if (!a || !res || !out || size == 0 || res->reason != AUTH_R_OK || !res->st.alg)
		return PRES_EINVAL;
	out[0] = '\0';
	if (res->st.qop != AUTH_QOP_NONE) {
		char rsp[2 * AUTH_HASH_MAX + 1];
		rc = kd_hex(res->st.alg, res->st.ha1_hex, res->st.nonce, res->st.nc,
		    res->st.cnonce, res->st.qop, "", res->st.uri, body, body_len, rsp);
		if (rc)
			return rc;
		if ((rc = append_str(out, size, &o, "qop=")) ||
		    (rc = append_str(out, size, &o, qop_name(res->st.qop))) ||
		    (rc = append_str(out, size, &o, ", rspauth=\"")) ||
		    (rc = append_str(out, size, &o, rsp)) ||
		    (rc = append_str(out, size, &o, "\", cnonce=")) ||
		    (rc = append_quoted(out, size, &o, res->st.cnonce)) ||
		    (rc = append_str(out, size, &o, ", nc=")) ||
		    (rc = append_str(out, size, &o, res->st.nc)))
			return rc;
	}
	if (res->st.next_nonce) {
		char nonce[NONCE_B64_LEN + 1];
		int ri = realm_index(a, res->st.realm);
		if (ri < 0)
			return PRES_EINVAL;
		rc = make_nonce(a, (size_t)ri, pres_now(), nonce);
		if (rc)
			return rc;
		if ((o && (rc = append_str(out, size, &o, ", "))) ||
		    (rc = append_str(out, size, &o, "nextnonce=\"")) ||
		    (rc = append_str(out, size, &o, nonce)) ||
		    (rc = append_str(out, size, &o, "\"")))
			return rc;
	}
	return PRES_OK;
}

static int parse_nc(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	if (strlen(s) != 8)
		return PRES_EINVAL;
	for (int i = 0; i < 8; i++) {
		int c = (unsigned char)s[i], d;
		if (c >= '0' && c <= '9') d = c - '0';
		else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
		else return PRES_EINVAL;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return PRES_OK;
}

/* Sets the refusal reason and builds challenges. */
static int refuse(struct auth *a, struct auth_result *res, int reason, int stale,
    const char *user)
{
	int rc;

	res->reason = reason;
	log_debug("digest: refused (%s)%s%s", auth_reason_str(reason),
	    user ? " user " : "", user ? user : "");
	rc = auth_digest_challenge(a, NULL, stale, &res->challenges);
	if (rc) {
		res->reason = AUTH_R_ERROR;
		res->challenges.n = 0;
		return rc;
	}
	return PRES_EAUTH;
}

int auth_digest_verify(struct auth *a, const struct auth_http_req *rq,
    auth_cred_cb cb, void *cb_arg, struct auth_result *res)
{
	struct auth_digest_params *p;
	uint8_t key[NONCE_KEY_LEN], ha1[AUTH_HASH_MAX], want[AUTH_HASH_MAX], got[AUTH_HASH_MAX];
	char expect[2 * AUTH_HASH_MAX + 1];
	size_t ha1_len = sizeof(ha1), hl;
	int64_t now = pres_now(), ts = 0;
	int rc, ri, alg, qop, stale;
	uint32_t nc = 1;

	if (!res)
		return PRES_EINVAL;
	memset(res, 0, sizeof(*res));
	res->reason = AUTH_R_ERROR;
	if (!a || !rq || !rq->method || !rq->uri || !cb)
		return PRES_EINVAL;
	if (!rq->authorization || rq->authorization[strspn(rq->authorization, " \t")] == '\0')
		return refuse(a, res, AUTH_R_MISSING, 0, NULL);

	p = malloc(sizeof(*p));
	if (!p)
		return PRES_ENOMEM;
	rc = auth_digest_parse(rq->authorization, p);
	if (rc == PRES_ENOTFOUND) {
		rc = refuse(a, res, AUTH_R_MISSING, 0, NULL);
		goto done;
	}
	if (rc) {
		rc = refuse(a, res, AUTH_R_MALFORMED, 0, NULL);
		goto done;
	}
	if (p->nonce[0] == '\0') {
		/* initial request with empty nonce/response (TS 24.109 style) */
		rc = refuse(a, res, AUTH_R_MISSING, 0, NULL);
		goto done;
	}
	ri = realm_index(a, p->realm);
	if (ri < 0) {
		rc = refuse(a, res, AUTH_R_REALM, 0, p->username);
		goto done;
	}
	alg = (p->seen & AUTH_P_ALGORITHM) ? auth_alg_from_name(p->algorithm) : AUTH_ALG_MD5;
	if (!alg || !(a->algs & (unsigned)alg)) {
		rc = refuse(a, res, AUTH_R_ALGORITHM, 0, p->username);
		goto done;
	}
	hl = auth_alg_hash_len(alg);
	if (p->seen & AUTH_P_QOP) {
		if (strcasecmp(p->qop, "auth") == 0)
			qop = AUTH_QOP_AUTH;
		else if (strcasecmp(p->qop, "auth-int") == 0)
			qop = AUTH_QOP_AUTH_INT;
		else
			qop = -1;
		if (qop < 0 || !(a->qops & (unsigned)qop)) {
			rc = refuse(a, res, AUTH_R_QOP, 0, p->username);
			goto done;
		}
		if ((p->seen & (AUTH_P_CNONCE | AUTH_P_NC)) != (AUTH_P_CNONCE | AUTH_P_NC) ||
		    parse_nc(p->nc, &nc) != PRES_OK) {
			rc = refuse(a, res, AUTH_R_MALFORMED, 0, p->username);
			goto done;
		}
	} else {
		qop = AUTH_QOP_NONE;
		if (!a->allow_no_qop) {
			rc = refuse(a, res, AUTH_R_QOP, 0, p->username);
			goto done;
		}
		if ((p->seen & (AUTH_P_CNONCE | AUTH_P_NC)) || alg_is_sess(alg)) {
			rc = refuse(a, res, AUTH_R_MALFORMED, 0, p->username);
			goto done;
		}
	}
	if ((p->seen & AUTH_P_USERHASH) && strcasecmp(p->userhash, "false") != 0) {
		rc = refuse(a, res, AUTH_R_USERHASH, 0, p->username);
		goto done;
	}
	if (!(p->seen & AUTH_P_OPAQUE) || strcmp(p->opaque, a->opaque[ri]) != 0) {
		rc = refuse(a, res, AUTH_R_OPAQUE, 0, p->username);
		goto done;
	}
	if (check_nonce(a, (size_t)ri, p->nonce, now, &ts, key) != PRES_OK) {
		rc = refuse(a, res, AUTH_R_NONCE, 0, p->username);
		goto done;
	}
	if (strcmp(p->uri, rq->uri) != 0) {
		rc = refuse(a, res, AUTH_R_URI, 0, p->username);
		goto done;
	}
	if (strlen(p->response) != 2 * hl || pres_unhex(p->response, got, hl) != PRES_OK) {
		rc = refuse(a, res, AUTH_R_MALFORMED, 0, p->username);
		goto done;
	}

	auth_identity_init(&res->who);
	rc = cb(cb_arg, p->username, p->realm, alg, ha1, &ha1_len, &res->who);
	if (rc == PRES_ENOTFOUND) {
		auth_identity_init(&res->who);
		rc = refuse(a, res, AUTH_R_UNKNOWN_USER, 0, p->username);
		goto done;
	}
	if (rc) {
		auth_identity_init(&res->who);
		res->reason = AUTH_R_ERROR;
		goto done;
	}
	if (ha1_len != hl) {
		auth_identity_init(&res->who);
		res->reason = AUTH_R_ERROR;
		rc = PRES_EINVAL;
		goto done;
	}
	rc = session_ha1_hex(alg, ha1, hl, p->nonce, p->cnonce, res->st.ha1_hex);
	if (rc == PRES_OK)
		rc = kd_hex(alg, res->st.ha1_hex, p->nonce, p->nc, p->cnonce, qop,
		    rq->method, rq->uri, rq->body, rq->body_len, expect);
	if (rc == PRES_OK)
		rc = pres_unhex(expect, want, hl);
	if (rc) {
		auth_identity_init(&res->who);
		OPENSSL_cleanse(&res->st, sizeof(res->st));
		res->reason = AUTH_R_ERROR;
		goto done;
	}
	if (pres_ct_memcmp(want, got, hl) != 0) {
		auth_identity_init(&res->who);
		OPENSSL_cleanse(&res->st, sizeof(res->st));
		rc = refuse(a, res, AUTH_R_BAD_RESPONSE, 0, p->username);
		goto done;
	}

	/* The response is right: from here on, refusals say stale=true. */
	if (now > ts + a->lifetime) {
		auth_identity_init(&res->who);
		OPENSSL_cleanse(&res->st, sizeof(res->st));
		rc = refuse(a, res, AUTH_R_STALE, 1, p->username);
		goto done;
	}
	if (res->who.impi[0] == '\0')
		pres_strlcpy(res->who.impi, p->username, sizeof(res->who.impi));
	pres_strlcpy(res->who.username, p->username, sizeof(res->who.username));
	if (res->who.auth_time == 0)
		res->who.auth_time = ts;
	if (res->who.method == AUTH_METHOD_NONE)
		res->who.method = AUTH_METHOD_DIGEST;
	if (auth_identity_is_stale(&res->who, res->who.not_before)) {
		auth_identity_init(&res->who);
		OPENSSL_cleanse(&res->st, sizeof(res->st));
		rc = refuse(a, res, AUTH_R_REAUTH, 0, p->username);
		goto done;
	}
	stale = nc_check(a, key, ts, nc, now);
	if (stale != NC_OK) {
		auth_identity_init(&res->who);
		OPENSSL_cleanse(&res->st, sizeof(res->st));
		rc = refuse(a, res, stale == NC_REPLAY ? AUTH_R_REPLAY : AUTH_R_STALE, 1,
		    p->username);
		goto done;
	}

	res->reason = AUTH_R_OK;
	res->st.alg = alg;
	res->st.qop = qop;
	pres_strlcpy(res->st.realm, p->realm, sizeof(res->st.realm));
	pres_strlcpy(res->st.nonce, p->nonce, sizeof(res->st.nonce));
	pres_strlcpy(res->st.cnonce, p->cnonce, sizeof(res->st.cnonce));
	pres_strlcpy(res->st.nc, p->nc, sizeof(res->st.nc));
	pres_strlcpy(res->st.uri, p->uri, sizeof(res->st.uri));
	res->st.next_nonce = (now - ts) > a->lifetime / 2;
	if (qop != AUTH_QOP_AUTH_INT) {
		rc = auth_digest_auth_info(a, res, NULL, 0, res->auth_info, sizeof(res->auth_info));
		if (rc) {
			auth_identity_init(&res->who);
			OPENSSL_cleanse(&res->st, sizeof(res->st));
			res->reason = AUTH_R_ERROR;
			goto done;
		}
	}
	rc = PRES_OK;
done:
	OPENSSL_cleanse(ha1, sizeof(ha1));
	OPENSSL_cleanse(want, sizeof(want));
	OPENSSL_cleanse(expect, sizeof(expect));
	OPENSSL_cleanse(p, sizeof(*p));   /* holds the response value */
	free(p);
	return rc;
}
