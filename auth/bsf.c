/*
 * bsf.c - embedded BSF: the Ub request handler (TS 24.109 clause 4 and
 * Annex A, HTTP Digest AKAv1-MD5 per RFC 3310).
 *
 * The handler is pure: no sockets. The listener gives it the method,
 * request-URI, Authorization and User-Agent values and the body, and sends
 * back the status, headers and body it fills in. The Digest helpers it
 * uses (header parsing, RFC 2617 MD5 response) are in gba_digest.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "auth/gba.h"
#include "db/db.h"

static int is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* ===== BSF ============================================================ */

struct gba_bsf {
	struct gba_bsf_cfg cfg;
};

void gba_bsf_cfg_default(struct gba_bsf_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	pres_strlcpy(cfg->realm, "bsf.ims.example.com", sizeof(cfg->realm));
	pres_strlcpy(cfg->name, "bsf.ims.example.com", sizeof(cfg->name));
	cfg->key_lifetime = 3600;
	cfg->challenge_ttl = 60;
}

static int safe_quoted(const char *s)
{
	for (; *s != '\0'; s++)
		if (is_ctl((unsigned char)*s) || *s == '"' || *s == '\\')
			return 0;
	return 1;
}

struct gba_bsf *gba_bsf_new(const struct gba_bsf_cfg *cfg)
{
	struct gba_bsf *b;

	if (cfg == NULL || cfg->realm[0] == '\0' || cfg->name[0] == '\0' ||
	    !safe_quoted(cfg->realm) || !safe_quoted(cfg->name) ||
	    strchr(cfg->name, '@') != NULL ||
	    cfg->key_lifetime <= 0 || cfg->key_lifetime > 10 * 365 * 86400LL ||
	    cfg->challenge_ttl <= 0 || cfg->challenge_ttl > 3600)
		return NULL;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	b->cfg = *cfg;
	return b;
}

void gba_bsf_free(struct gba_bsf *bsf)
{
	free(bsf);
}

void gba_bsf_response_clear(struct gba_bsf_response *r)
{
	if (r == NULL)
		return;
	free(r->body);
	memset(r, 0, sizeof(*r));
}

const char *gba_bsf_response_header(const struct gba_bsf_response *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

static void add_header(struct gba_bsf_response *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_header(struct gba_bsf_response *r, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (r->n_headers >= GBA_BSF_MAX_HEADERS)
		return;
	pres_strlcpy(r->headers[r->n_headers].name, name, sizeof(r->headers[0].name));
	va_start(ap, fmt);
	vsnprintf(r->headers[r->n_headers].value, sizeof(r->headers[0].value), fmt, ap);
	va_end(ap);
	r->n_headers++;
}

static int set_text(struct gba_bsf_response *r, int status, const char *text)
{
	r->status = status;
	r->body = strdup(text);
	if (r->body == NULL)
		return PRES_ENOMEM;
	r->body_len = strlen(text);
	add_header(r, "Content-Type", "text/plain");
	return PRES_OK;
}

/* opaque: derived from the nonce so that it can be checked without storage. */
static void make_opaque(const char *nonce, char out[33])
{
	uint8_t md[32];
	unsigned int ml = 0;
	static const char label[] = "presenced-bsf-opaque";

	if (HMAC(EVP_sha256(), label, sizeof(label) - 1, (const uint8_t *)nonce,
	    strlen(nonce), md, &ml) == NULL)
		memset(md, 0, sizeof(md));
	pres_hex(md, 16, out);
}

static int challenge_401(struct gba_bsf *b, struct gba_bsf_response *r, const char *nonce)
{
	char opaque[33];

	make_opaque(nonce, opaque);
	r->status = 401;
	add_header(r, "WWW-Authenticate",
	    "Digest realm=\"%s\", nonce=\"%s\", qop=\"auth-int\", algorithm=AKAv1-MD5, "
	    "opaque=\"%s\"", b->cfg.realm, nonce, opaque);
	r->body = strdup("Unauthorized\n");
	if (r->body == NULL)
		return PRES_ENOMEM;
	r->body_len = strlen(r->body);
	add_header(r, "Content-Type", "text/plain");
	return PRES_OK;
}

/*
 * Issues a fresh AKA challenge for @p impi: next SQN, new RAND, one vector,
 * stored with the SQN update in one transaction. Unknown IMPIs (or no AKA
 * credentials) get a fake, unstored challenge of the same shape.
 */
static int new_challenge(struct gba_bsf *b, struct db *db, const char *impi,
    struct gba_bsf_response *r)
{
	struct db_subscriber s;
	struct db_aka_challenge c;
	uint8_t ra[32];
	char nonce[64];
	int rc, known;

	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	if (RAND_bytes(ra, sizeof(ra)) != 1)
		return PRES_EIO;
	if ((rc = db_begin(db)) != PRES_OK)
		return rc;
	rc = db_subscriber_get(db, impi, &s);
	known = rc == PRES_OK && s.has_aka;
	if (rc != PRES_OK && rc != PRES_ENOTFOUND) {
		db_rollback(db);
		goto out;
	}
	if (!known) {
		db_rollback(db);
		/* RAND||random AUTN: no stored state, no answer can match. */
		log_info("bsf: challenge for unknown or non-AKA IMPI (fake)");
		if ((rc = gba_b64_encode(ra, 32, nonce, sizeof(nonce))) == PRES_OK)
			rc = challenge_401(b, r, nonce);
		goto out;
	}
	uint64_t sqn = gba_sqn_next(s.sqn);
	uint8_t autn[16];

	memcpy(c.rand, ra, 16);
	rc = gba_milenage_vector(s.k, s.opc, s.amf, sqn, c.rand, autn, c.xres, c.ck, c.ik);
	if (rc == PRES_OK) {
		memcpy(ra + 16, autn, 16);
		c.xres_len = GBA_RES_LEN;
		rc = gba_b64_encode(ra, 32, c.nonce, sizeof(c.nonce));
	}
	if (rc == PRES_OK) {
		pres_strlcpy(c.impi, s.impi, sizeof(c.impi));
		c.expires = pres_now() + b->cfg.challenge_ttl;
		rc = db_subscriber_set_sqn(db, s.impi, sqn);
	}
	if (rc == PRES_OK)
		rc = db_aka_challenge_put(db, &c);
	if (rc == PRES_OK)
		rc = db_commit(db);
	if (rc != PRES_OK) {
		db_rollback(db);
		log_warnx("bsf: cannot store AKA challenge for %s: %s", s.impi, pres_strerror(rc));
		goto out;
	}
	log_debug("bsf: AKA challenge for %s", s.impi);
	rc = challenge_401(b, r, c.nonce);
out:
	db_subscriber_wipe(&s);
	OPENSSL_cleanse(&c, sizeof(c));
	OPENSSL_cleanse(ra, sizeof(ra));
	return rc;
}

static void fmt_utc(int64_t t, int http_date, char *out, size_t size)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL) {
		pres_strlcpy(out, "", size);
		return;
	}
	if (http_date)
		snprintf(out, size, "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[tm.tm_wday % 7],
		    tm.tm_mday, mo[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		    tm.tm_sec);
	else
		snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Successful AKA: create the bootstrapping session and the 200 response. */
static int bootstrap_ok(struct gba_bsf *b, struct db *db, const struct db_aka_challenge *c,
    const struct gba_digest_params *dp, struct gba_bsf_response *r)
{
	struct db_gba_session sess;
	char lifetime[96], expires[96], rspauth[33];
	const char *uri = gba_digest_get(dp, "uri");
	const char *nc = gba_digest_get(dp, "nc");
	const char *cnonce = gba_digest_get(dp, "cnonce");
	int64_t now = pres_now();
	int rc, n;

	memset(&sess, 0, sizeof(sess));
	if ((rc = gba_btid_make(c->rand, b->cfg.name, sess.btid, sizeof(sess.btid))) != PRES_OK)
		return rc;
	pres_strlcpy(sess.impi, c->impi, sizeof(sess.impi));
	memcpy(sess.rand, c->rand, 16);
	memcpy(sess.ks, c->ck, 16);
	memcpy(sess.ks + 16, c->ik, 16);
	sess.created = now;
	sess.expires = now + b->cfg.key_lifetime;
	rc = db_gba_session_put(db, &sess);
	OPENSSL_cleanse(sess.ks, sizeof(sess.ks));
	if (rc != PRES_OK) {
		log_warnx("bsf: cannot store bootstrapping session: %s", pres_strerror(rc));
		return rc;
	}
	fmt_utc(sess.expires, 0, lifetime, sizeof(lifetime));
	fmt_utc(sess.expires, 1, expires, sizeof(expires));

	size_t cap = strlen(sess.btid) + 256;
	r->body = malloc(cap);
	if (r->body == NULL)
		return PRES_ENOMEM;
	n = snprintf(r->body, cap, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>%s</btid>"
	    "<lifetime>%s</lifetime></BootstrappingInfo>\n", sess.btid, lifetime);
	if (n < 0 || (size_t)n >= cap)
		return PRES_ETOOBIG;
	r->body_len = (size_t)n;
	r->status = 200;
	rc = gba_digest_response(c->impi, b->cfg.realm, c->xres, c->xres_len, NULL, uri,
	    c->nonce, nc, cnonce, "auth-int", (const uint8_t *)r->body, r->body_len, rspauth);
	if (rc != PRES_OK)
		return rc;
	add_header(r, "Authentication-Info", "qop=auth-int, rspauth=\"%s\", cnonce=\"%s\", nc=%s",
	    rspauth, cnonce, nc);
	add_header(r, "Content-Type", "application/vnd.3gpp.bsf+xml");
	add_header(r, "Expires", "%s", expires);
	log_info("bsf: bootstrapped %s, B-TID %s, lifetime %lld s", c->impi, sess.btid,
	    (long long)b->cfg.key_lifetime);
	return PRES_OK;
}

/* Resynchronisation: verify AUTS, set the HE SQN to SQN_MS. */
static void resync(struct db *db, const struct db_aka_challenge *c, const char *auts_b64)
{
	struct db_subscriber s;
	uint8_t auts[GBA_AUTS_LEN + 2];
	size_t n = 0;
	uint64_t sqn_ms = 0;
	int rc;

	if (gba_b64_decode(auts_b64, auts, sizeof(auts), &n) != PRES_OK || n != GBA_AUTS_LEN) {
		log_info("bsf: %s: malformed AUTS", c->impi);
		return;
	}
	memset(&s, 0, sizeof(s));
	if ((rc = db_begin(db)) != PRES_OK)
		return;
	if (db_subscriber_get(db, c->impi, &s) != PRES_OK || !s.has_aka) {
		db_rollback(db);
		return;
	}
	rc = gba_milenage_auts_verify(s.k, s.opc, c->rand, auts, &sqn_ms);
	if (rc == PRES_OK)
		rc = db_subscriber_set_sqn(db, s.impi, sqn_ms);
	if (rc == PRES_OK)
		rc = db_commit(db);
	if (rc != PRES_OK) {
		db_rollback(db);
		log_info("bsf: %s: resynchronisation failed (%s)", c->impi, pres_strerror(rc));
	} else {
		log_info("bsf: %s: SQN resynchronised", c->impi);
	}
	db_subscriber_wipe(&s);
}

/* Checks one answer; on any failure the caller sends a fresh challenge. */
static int check_answer(struct gba_bsf *b, struct db *db, const struct gba_bsf_request *req,
    const struct gba_digest_params *dp, const char *username, struct gba_bsf_response *r)
{
	struct db_aka_challenge c;
	const char *nonce = gba_digest_get(dp, "nonce");
	const char *realm = gba_digest_get(dp, "realm");
	const char *uri = gba_digest_get(dp, "uri");
	const char *qop = gba_digest_get(dp, "qop");
	const char *nc = gba_digest_get(dp, "nc");
	const char *cnonce = gba_digest_get(dp, "cnonce");
	const char *resp = gba_digest_get(dp, "response");
	const char *opaque = gba_digest_get(dp, "opaque");
	const char *auts = gba_digest_get(dp, "auts");
	char expect[33], op[33];
	int rc;

	memset(&c, 0, sizeof(c));
	rc = db_aka_challenge_take(db, nonce, &c);
	if (rc == PRES_ENOTFOUND) {
		log_info("bsf: %s: unknown or used nonce", username);
		return PRES_EAUTH;
	}
	if (rc != PRES_OK)
		return rc;
	rc = PRES_EAUTH;
	if (strcmp(c.impi, username) != 0) {
		log_info("bsf: %s: nonce issued to another IMPI", username);
		goto out;
	}
	if (c.expires <= pres_now()) {
		log_info("bsf: %s: challenge expired", username);
		goto out;
	}
	if (realm == NULL || strcmp(realm, b->cfg.realm) != 0 || uri == NULL ||
	    strcmp(uri, req->uri) != 0 || qop == NULL || strcasecmp(qop, "auth-int") != 0 ||
	    nc == NULL || cnonce == NULL || resp == NULL || strlen(resp) != 32) {
		log_info("bsf: %s: digest parameters do not match the challenge", username);
		goto out;
	}
	if (opaque != NULL) {
		make_opaque(c.nonce, op);
		if (strcmp(opaque, op) != 0) {
			log_info("bsf: %s: opaque mismatch", username);
			goto out;
		}
	}
	if (auts != NULL) {
		/* RFC 3310 3.4: response computed with an empty password. */
		if (gba_digest_response(username, realm, NULL, 0, req->method, uri, c.nonce, nc,
		    cnonce, qop, req->body, req->body_len, expect) != PRES_OK ||
		    pres_ct_memcmp(expect, resp, 32) != 0) {
			log_info("bsf: %s: bad digest on resynchronisation request", username);
			goto out;
		}
		resync(db, &c, auts);
		goto out; /* fresh challenge follows */
	}
	if (gba_digest_response(username, realm, c.xres, c.xres_len, req->method, uri, c.nonce,
	    nc, cnonce, qop, req->body, req->body_len, expect) != PRES_OK) {
		goto out;
	}
	if (pres_ct_memcmp(expect, resp, 32) != 0) {
		log_info("bsf: %s: AKA authentication failed (wrong response)", username);
		goto out;
	}
	rc = bootstrap_ok(b, db, &c, dp, r);
	if (rc == PRES_EAUTH)
		rc = PRES_EDB;
out:
	OPENSSL_cleanse(expect, sizeof(expect));
	OPENSSL_cleanse(&c, sizeof(c));
	return rc;
}

int gba_bsf_handle(struct gba_bsf *b, struct db *db, const struct gba_bsf_request *req,
    struct gba_bsf_response *resp)
{
	struct gba_digest_params *dp = NULL;
	const char *username, *nonce, *response, *alg;
	int rc;

	memset(resp, 0, sizeof(*resp));
	if (b == NULL || db == NULL || req == NULL || req->method == NULL || req->uri == NULL) {
		set_text(resp, 500, "Internal Server Error\n");
		return PRES_EINVAL;
	}
	add_header(resp, "Server", "presenced-bsf");
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0) {
		add_header(resp, "Allow", "GET, POST");
		return set_text(resp, 405, "Method Not Allowed\n");
	}
	if (req->authorization == NULL)
		return set_text(resp, 400, "Authorization with the IMPI is required\n");
	dp = malloc(sizeof(*dp));
	if (dp == NULL) {
		set_text(resp, 500, "Internal Server Error\n");
		return PRES_ENOMEM;
	}
	if (gba_digest_parse(req->authorization, dp) != PRES_OK ||
	    (username = gba_digest_get(dp, "username")) == NULL || *username == '\0' ||
	    strlen(username) >= DB_URI_MAX || !safe_quoted(username)) {
		rc = set_text(resp, 400, "Malformed Authorization\n");
		goto out;
	}
	alg = gba_digest_get(dp, "algorithm");
	nonce = gba_digest_get(dp, "nonce");
	response = gba_digest_get(dp, "response");
	if (nonce == NULL || *nonce == '\0' || response == NULL || *response == '\0') {
		rc = new_challenge(b, db, username, resp);
	} else if (alg == NULL || strcasecmp(alg, "AKAv1-MD5") != 0) {
		rc = set_text(resp, 400, "Unsupported digest algorithm\n");
		goto out;
	} else {
		const char *cn = gba_digest_get(dp, "cnonce");
		const char *nc = gba_digest_get(dp, "nc");

		/* Values echoed in Authentication-Info must be harmless. */
		if ((cn != NULL && (strlen(cn) > 128 || !safe_quoted(cn))) ||
		    (nc != NULL && (strlen(nc) != 8 || strspn(nc, "0123456789abcdefABCDEF") != 8)) ||
		    strlen(nonce) >= sizeof(((struct db_aka_challenge *)0)->nonce)) {
			rc = set_text(resp, 400, "Malformed Authorization\n");
			goto out;
		}
		rc = check_answer(b, db, req, dp, username, resp);
		if (rc == PRES_EAUTH) {
			gba_bsf_response_clear(resp);
			add_header(resp, "Server", "presenced-bsf");
			rc = new_challenge(b, db, username, resp);
		}
	}
	if (rc != PRES_OK) {
		gba_bsf_response_clear(resp);
		set_text(resp, 500, "Internal Server Error\n");
	}
out:
	if (dp != NULL) {
		OPENSSL_cleanse(dp, sizeof(*dp));
		free(dp);
	}
	return rc;
}
