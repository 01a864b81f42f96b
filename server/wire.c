/*
 * wire.c - creates the modules in order and connects them:
 *   HTTPS listener (http.c) -> Ut security (auth/: digest with provisioned
 *   passwords or GBA keys, identity rules, rate limiting, AP trust) ->
 *   XCAP store (xcap/) -> change events -> SIP engine (sip/).
 *   The embedded BSF (auth/gba) gets its own HTTP listener.
 * Each HTTP worker thread has its own database connection and its own
 * cache of forced re-authentication times (thread key).
 */
#include "wire.h"
#include "http.h"
#include "pres.h"

#include "ap/ap.h"
#include "auth/auth.h"
#include "auth/gba.h"
#include "db/db.h"
#include "sip/psip.h"
#include "xcap/xcap.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

/* How long a worker thread believes a subscriber's auth_not_before, or the
 * subscriber behind an AP-asserted IMPU, without reading it again: a forced
 * re-authentication or a removal (presencectl, another process) takes
 * effect within this time. */
#define UT_REAUTH_CACHE_MS 1000
#define UT_REAUTH_CACHE_SLOTS 64
#define UT_ASSERTED_CACHE_SLOTS 8

#ifndef PRES_DATADIR
#define PRES_DATADIR "/usr/local/share/presenced"
#endif

struct wire {
	const struct pres_cfg *cfg;
	pthread_key_t db_key;
	struct auth *auth;
	struct auth_rl *rl;
	struct xcap *xcap;
	struct db *zn_db;          /* connection of the embedded Zn (its own mutex) */
	struct gba_zn *zn;
	struct gba_naf *naf;
	struct gba_bsf *bsf;
	struct psip *sip;
	struct http_srv *xcap_srv, *bsf_srv;
	_Atomic int64_t bsf_last_expire;   /* last purge of expired GBA state */
	char gba_realm[300];
	char xcap_root_uri[512];
	struct ut_site *xcap_site;    /* the XCAP server as a Ut site */
	struct ut_site *xcap_vsites;  /* [cfg->xcap.n_vhosts]: its SNI virtual hosts,
	                               * each a NAF name of its own (NAF_Id, realm) */
	/* Authentication Proxy role: one Ut site per AS host name */
	struct ap *ap;
	struct ut_site *ap_sites;     /* [ap_count(ap)] */
	struct http_srv *ap_srv;
};

/*
 * A Ut "site": what a UE authenticates against. The XCAP server is one; the
 * AP has one per AS host name, since it acts as the NAF of each AS name
 * (TS 33.222): realm 3GPP-bootstrapping@<AS host>, NAF_Id from that host.
 */
struct ut_site {
	const char *tag;          /* log prefix: "ut" or "ap" */
	struct auth *auth;        /* digest engine offering this site's realms */
	char fqdn[256];           /* NAF FQDN (the host name the UE uses) */
	char gba_realm[300];      /* "3GPP-bootstrapping@<fqdn>", "" without GBA */
	int accept_asserted;      /* trust X-3GPP-Asserted-Identity from auth.ap_peers */
	int owns_auth;            /* free auth with the site */
};

/* ---- helpers ------------------------------------------------------------ */

/* What each HTTP worker thread keeps (thread key db_key). */
struct wire_thread {
	struct db *db;            /* its database connection */
	struct auth_nbc *nbc;     /* its auth_not_before cache (NULL: none) */
	struct auth_idc *idc;     /* identities of asserted IMPUs (NULL: none) */
};

static void db_key_free(void *p)
{
	struct wire_thread *t = p;
	if (!t)
		return;
	db_close(t->db);
	auth_nbc_free(t->nbc);
	auth_idc_free(t->idc);
	free(t);
}

/* The calling thread's state, its database opened on first use. */
static struct wire_thread *thread_state(struct wire *w)
{
	struct wire_thread *t = pthread_getspecific(w->db_key);
	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	if (db_open(w->cfg->db_path, &t->db) != PRES_OK) {
		log_warnx("database %s: cannot open", w->cfg->db_path);
		free(t);
		return NULL;
	}
	t->nbc = auth_nbc_new(UT_REAUTH_CACHE_SLOTS, UT_REAUTH_CACHE_MS);
	t->idc = auth_idc_new(UT_ASSERTED_CACHE_SLOTS, UT_REAUTH_CACHE_MS);
	if (pthread_setspecific(w->db_key, t)) {
		db_key_free(t);
		return NULL;
	}
	return t;
}

/* The calling thread's database connection, opened on first use. */
static struct db *thread_db(struct wire *w)
{
	struct wire_thread *t = thread_state(w);
	return t ? t->db : NULL;
}

/* Milliseconds of a clock that never goes back (cache lifetimes). */
static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int readable(const char *what, const char *path)
{
	if (path && access(path, R_OK) == 0)
		return 1;
	log_errx("%s: cannot read %s", what, path ? path : "(unset)");
	return 0;
}

static const char *schema_dir(const struct pres_cfg *cfg)
{
	if (cfg->xcap.schema_dir)
		return cfg->xcap.schema_dir;
	if (access("xcap/schemas/pres-rules.xsd", R_OK) == 0)
		return "xcap/schemas";     /* running from the source tree */
	return PRES_DATADIR "/schemas";
}

static int has_token(const char *ua, const char *token)
{
	size_t tl = strlen(token);
	for (const char *p = ua ? strstr(ua, token) : NULL; p; p = strstr(p + 1, token)) {
		int start = p == ua || p[-1] == ' ' || p[-1] == ';' || p[-1] == '(' || p[-1] == '\t';
		char e = p[tl];
		if (start && (e == '\0' || e == ' ' || e == ';' || e == ')' || e == '/' || e == '\t'))
			return 1;
	}
	return 0;
}

/* ---- credential source: GBA keys or provisioned passwords -------------- */

struct cred_ctx {
	struct wire *w;
	const struct ut_site *site;
	struct db *db;
	struct auth_nbc *nbc;      /* the thread's auth_not_before cache, or NULL */
	struct gba_naf_conn gba;
	int gba_ok;
};

static int cred_cb(void *arg, const char *username, const char *realm, int alg,
    uint8_t *ha1, size_t *ha1_len, struct auth_identity *who)
{
	struct cred_ctx *cx = arg;
	struct wire *w = cx->w;
	int rc;

	if (cx->site->gba_realm[0] && strcmp(realm, cx->site->gba_realm) == 0) {
		if (!cx->gba_ok)
			return PRES_ENOTFOUND;
		rc = gba_naf_auth_cred_cb(&cx->gba, username, realm, alg, ha1, ha1_len, who);
		if (rc == PRES_OK) {
			/* forced re-authentication (presencectl subscriber reauth):
			 * keys bootstrapped before it are void: bootstrap again.
			 * The engine refuses with AUTH_R_REAUTH (401, GBA realm) once
			 * the response is verified: a UE that proves the old key is
			 * not counted as an authentication failure. The order's
			 * time is read at most every UT_REAUTH_CACHE_MS per thread. */
			int64_t now_ms = mono_ms(), nb = 0;
			int have = auth_nbc_get(cx->nbc, who->impi, now_ms, &nb);
			if (!have) {
				struct db_subscriber s;
				memset(&s, 0, sizeof(s));
				if (db_subscriber_get(cx->db, who->impi, &s) == PRES_OK) {
					nb = s.auth_not_before;
					have = 1;
					auth_nbc_put(cx->nbc, who->impi, nb, now_ms);
				}
				db_subscriber_wipe(&s);
				OPENSSL_cleanse(&s, sizeof(s));
			}
			if (have) {
				who->not_before = nb;
				if (nb && who->auth_time && who->auth_time < nb)
					gba_naf_forget(w->naf, username);
			}
		}
	} else {
		if (!w->cfg->auth.digest)
			return PRES_ENOTFOUND;
		struct auth_db_source src = { cx->db, w->cfg->auth.allow_impu_username };
		rc = auth_db_cred_cb(&src, username, realm, alg, ha1, ha1_len, who);
	}
	if (rc == PRES_OK && w->cfg->auth.max_auth_age > 0) {
		int64_t floor = pres_now() - w->cfg->auth.max_auth_age;
		if (who->not_before < floor)
			who->not_before = floor;
	}
	return rc;
}

/* Challenges: a UE announcing GBA (product token 3gpp-gba in User-Agent,
 * TS 24.109) gets the GBA realm; others the password realm, or the GBA
 * realm when password digest is off. Verification accepts any configured
 * realm whatever the User-Agent. */
static void add_challenges(struct wire *w, const struct ut_site *site,
    const struct http_req *rq, int stale, struct http_resp *rs)
{
	const char *ua = http_req_header(rq, "User-Agent");
	int gba_ua = has_token(ua, "3gpp-gba") || has_token(ua, "3gpp-gba-uicc");
	const char *realms[2];
	size_t n = 0;
	if (w->cfg->auth.digest && !(gba_ua && site->gba_realm[0]))
		realms[n++] = w->cfg->auth.realm;
	/* TS 24.109 5.2.4: the GBA realm goes to UEs that announce GBA; a
	 * client without the token would only be confused by a second realm
	 * (several clients merge WWW-Authenticate headers) */
	if (site->gba_realm[0] && (gba_ua || n == 0))
		realms[n++] = site->gba_realm;
	struct auth_challenges *ch = calloc(1, sizeof(*ch));
	if (!ch)
		return;
	for (size_t r = 0; r < n; r++) {
		if (auth_digest_challenge(site->auth, realms[r], stale, ch) != PRES_OK)
			continue;
		for (size_t i = 0; i < ch->n; i++)
			http_resp_header(rs, "WWW-Authenticate", ch->v[i]);
	}
	free(ch);
}

static void text_resp(struct http_resp *rs, int status, const char *msg)
{
	rs->status = status;
	http_resp_body(rs, "text/plain", msg, strlen(msg));
}

/* ---- Ut authentication (shared by the XCAP server and the AP) ---------- */

/* Is the peer an Authentication Proxy we trust for X-3GPP-Asserted-Identity?
 * Its address must be in auth.ap_peers; with auth.ap_require_client_cert a
 * TLS hop must also carry a client certificate that verifies against
 * tls.client_ca. */
static int trusted_ap_peer(struct wire *w, const struct http_req *rq, const char **why)
{
	const struct pres_cfg *cfg = w->cfg;
	*why = "from a peer outside the trust domain";
	if (!pres_addr_in(rq->peer, (const char *const *)cfg->auth.ap_peers, cfg->auth.n_ap_peers))
		return 0;
	if (cfg->auth.ap_require_client_cert && rq->tls && !rq->client_cert_verified) {
		*why = rq->client_cert ? "from an AP address whose client certificate does not verify" :
		    "from an AP address without a client certificate";
		return 0;
	}
	return 1;
}

/*
 * Authenticates a Ut request against @p site and selects the public
 * identity it acts as (TS 33.141 6.1.3). In order: the rate limiter; an
 * X-3GPP-Asserted-Identity from a trusted AP (sites that accept it); HTTP
 * Digest with GBA keys (B-TID / Ks_NAF for the site's NAF_Id) or provisioned
 * passwords; then X-3GPP-Intended-Identity, which must be one of the user's
 * IMPUs.
 * @param id      OUT: the authenticated identity
 * @param res     OUT: the digest result (for Authentication-Info); wipe it
 * @param chosen  OUT: the intended IMPU if the UE sent one, else the default IMPU
 * @param ident_log OUT: who, for log lines
 * @return PRES_OK, or a negative code once @p rs holds the answer (401 with
 *  challenges, 403, 400, 429, 5xx).
 */
static int ut_authenticate(struct wire *w, const struct ut_site *site, struct wire_thread *th,
    const struct http_req *rq, struct http_resp *rs, struct auth_identity *id,
    struct auth_result *res, char *chosen, size_t chosen_size, char *ident_log, size_t log_size)
{
	const struct pres_cfg *cfg = w->cfg;
	const char *tag = site->tag;
	int64_t now = pres_now();
	struct db *db = th->db;
	const char *why;

	pres_strlcpy(ident_log, "-", log_size);
	int blocked = auth_rl_blocked(w->rl, rq->peer, now);
	if (blocked > 0) {
		char ra[16];
		snprintf(ra, sizeof(ra), "%d", blocked);
		http_resp_header(rs, "Retry-After", ra);
		text_resp(rs, 429, "too many failed authentications\n");
		log_warnx("%s: req=%lu peer=%s %s %s: refused, source blocked after repeated "
		    "authentication failures (%ds left)", tag, rq->id, rq->peer, rq->method, rq->target, blocked);
		return PRES_EAUTH;
	}

	/* 1. Asserted identity from a trusted Authentication Proxy */
	const char *asserted = http_req_header(rq, "X-3GPP-Asserted-Identity");
	if (asserted && site->accept_asserted && trusted_ap_peer(w, rq, &why)) {
		char impu[AUTH_NAME_MAX];
		struct db_subscriber s;
		if (auth_intended_identity_parse(asserted, impu, sizeof(impu)) != PRES_OK) {
			text_resp(rs, 400, "malformed X-3GPP-Asserted-Identity\n");
			log_warnx("%s: req=%lu peer=%s (AP): malformed X-3GPP-Asserted-Identity", tag, rq->id, rq->peer);
			return PRES_EINVAL;
		}
		auth_identity_init(id);
		memset(&s, 0, sizeof(s));
		int64_t now_ms = mono_ms();
		if (cfg->auth.check_asserted_identity && auth_idc_get(th->idc, impu, now_ms, id)) {
			/* provisioned, read less than UT_REAUTH_CACHE_MS ago */
		} else if (cfg->auth.check_asserted_identity) {
			if (db_subscriber_by_impu(db, impu, &s) != PRES_OK) {
				db_subscriber_wipe(&s);
				text_resp(rs, 403, "asserted identity is not provisioned\n");
				log_warnx("%s: req=%lu peer=%s (AP): asserted identity %s is not a provisioned IMPU: 403",
				    tag, rq->id, rq->peer, impu);
				return PRES_EAUTH;
			}
			auth_identity_add_impu(id, impu);   /* the asserted one first */
			for (size_t i = 0; i < s.n_impus; i++)
				auth_identity_add_impu(id, s.impus[i]);
			pres_strlcpy(id->impi, s.impi, sizeof(id->impi));
			db_subscriber_wipe(&s);
			auth_idc_put(th->idc, impu, id, now_ms);
		} else {
			auth_identity_add_impu(id, impu);
		}
		id->method = AUTH_METHOD_ASSERTED;
		res->reason = AUTH_R_MISSING;     /* no digest: no Authentication-Info */
		snprintf(ident_log, log_size, "%s (asserted by AP)", impu);
	} else {
		if (asserted)
			log_info("%s: req=%lu peer=%s: X-3GPP-Asserted-Identity ignored: %s", tag, rq->id, rq->peer,
			    site->accept_asserted ? why : "sent to the AP by the UE");
		/* 2. HTTP Digest: GBA (B-TID/Ks_NAF) or provisioned password */
		struct cred_ctx cx = { .w = w, .site = site, .db = db, .nbc = th->nbc };
		if (w->naf && site->gba_realm[0]) {
			uint8_t ua[GBA_UA_ID_LEN];
			if (rq->tls)
				gba_ua_id_tls((uint16_t)rq->cipher_suite, ua);
			else
				gba_ua_id_http(ua);
			cx.gba.naf = w->naf;
			cx.gba_ok = gba_naf_id_make(site->fqdn, ua, &cx.gba.naf_id) == PRES_OK &&
			    (!rq->tls || rq->cipher_suite != 0);
		}
		struct auth_http_req ar = {
			.method = rq->method, .uri = rq->target,
			.authorization = http_req_header(rq, "Authorization"),
			.body = (const uint8_t *)rq->body, .body_len = rq->body_len,
		};
		int rc = auth_digest_verify(site->auth, &ar, cred_cb, &cx, res);
		if (rc == PRES_EAUTH) {
			int status = auth_reason_status(res->reason);
			if (auth_reason_is_failure(res->reason) && auth_rl_fail(w->rl, rq->peer, now))
				log_warnx("%s: peer=%s blocked for %ds after repeated authentication failures",
				    tag, rq->peer, cfg->auth.fail_block);
			if (status == 401)
				add_challenges(w, site, rq, res->reason == AUTH_R_STALE || res->reason == AUTH_R_REPLAY, rs);
			text_resp(rs, status, status == 401 ? "authentication required\n" :
			    status == 403 ? "forbidden\n" : "bad authorization header\n");
			if (res->reason == AUTH_R_MISSING)
				log_debug("%s: req=%lu peer=%s %s %s: challenged", tag, rq->id, rq->peer, rq->method, rq->target);
			else
				log_info("%s: req=%lu peer=%s %s %s: authentication refused (%s): %d",
				    tag, rq->id, rq->peer, rq->method, rq->target, auth_reason_str(res->reason), status);
			return PRES_EAUTH;
		}
		if (rc != PRES_OK) {
			text_resp(rs, rc == PRES_EAGAIN ? 503 : 500, "authentication backend failure\n");
			log_warnx("%s: req=%lu peer=%s: credential lookup failed: %s", tag, rq->id, rq->peer, pres_strerror(rc));
			return rc;
		}
		auth_rl_success(w->rl, rq->peer, now);
		*id = res->who;
		snprintf(ident_log, log_size, "%s%s", id->impi, id->method == AUTH_METHOD_GBA ? " (GBA)" : "");
	}

	/* 3. Preferred public identity (TS 33.141 6.1.3) */
	const char *intended = http_req_header(rq, "X-3GPP-Intended-Identity");
	int rc = auth_identity_select(id, intended, chosen, chosen_size);
	if (rc == PRES_EINVAL) {
		text_resp(rs, 400, "malformed X-3GPP-Intended-Identity\n");
		log_warnx("%s: req=%lu peer=%s user=%s: malformed X-3GPP-Intended-Identity", tag, rq->id, rq->peer, ident_log);
		return rc;
	}
	if (rc != PRES_OK) {
		text_resp(rs, 403, "intended identity is not one of yours\n");
		log_warnx("%s: req=%lu peer=%s user=%s: X-3GPP-Intended-Identity %s is not among the "
		    "user's public identities: 403", tag, rq->id, rq->peer, ident_log, intended ? intended : "-");
		return PRES_EAUTH;
	}
	return PRES_OK;
}

/* Authentication-Info after a digest success (rspauth covers the body for auth-int). */
static void add_auth_info(const struct ut_site *site, const struct auth_identity *id,
    const struct auth_result *res, struct http_resp *rs)
{
	if (id->method == AUTH_METHOD_ASSERTED || res->reason != AUTH_R_OK)
		return;
	char info[AUTH_INFO_MAX];
	if (auth_digest_auth_info(site->auth, res, (const uint8_t *)rs->body,
	    rs->body ? rs->body_len : 0, info, sizeof(info)) == PRES_OK && info[0])
		http_resp_header(rs, "Authentication-Info", info);
}

/* ---- the Ut / XCAP handler --------------------------------------------- */

/* The site of the NAF name the UE addressed: the virtual host its TLS
 * server name selects, else the XCAP server's own name. */
static const struct ut_site *xcap_site_for(const struct wire *w, const struct http_req *rq)
{
	for (size_t i = 0; rq->sni && i < w->cfg->xcap.n_vhosts; i++)
		if (strcasecmp(rq->sni, w->xcap_vsites[i].fqdn) == 0)
			return &w->xcap_vsites[i];
	return w->xcap_site;
}

static void xcap_handler(void *arg, const struct http_req *rq, struct http_resp *rs)
{
	struct wire *w = arg;
	struct wire_thread *th = thread_state(w);
	struct db *db = th ? th->db : NULL;
	struct auth_result *res = NULL;
	struct auth_identity *id = NULL;
	char ident_log[300];
	char chosen[AUTH_NAME_MAX];
	const char *impus[AUTH_MAX_IMPUS];
	size_t n_impus = 0;

	if (!db) {
		text_resp(rs, 503, "storage unavailable\n");
		return;
	}
	res = calloc(1, sizeof(*res));
	id = calloc(1, sizeof(*id));
	if (!res || !id) {
		text_resp(rs, 500, "out of memory\n");
		goto out;
	}
	const struct ut_site *site = xcap_site_for(w, rq);
	if (ut_authenticate(w, site, th, rq, rs, id, res, chosen, sizeof(chosen),
	    ident_log, sizeof(ident_log)) != PRES_OK)
		goto out;
	const char *intended = http_req_header(rq, "X-3GPP-Intended-Identity");
	if (intended) {
		impus[n_impus++] = chosen;
	} else {
		for (size_t i = 0; i < id->n_impus; i++)
			impus[n_impus++] = id->impus[i];
	}

	/* The XCAP operation (authorization of the XUI inside) */
	struct xcap_request xr = {
		.method = strcmp(rq->method, "HEAD") ? rq->method : "GET",
		.target = rq->target,
		.content_type = http_req_header(rq, "Content-Type"),
		.body = rq->body, .body_len = rq->body_len,
		.if_match = http_req_header(rq, "If-Match"),
		.if_none_match = http_req_header(rq, "If-None-Match"),
		.impus = impus, .n_impus = n_impus,
	};
	struct xcap_response xs;
	memset(&xs, 0, sizeof(xs));
	xcap_handle(w->xcap, db, &xr, &xs);
	rs->status = xs.status;
	if (xs.body)
		http_resp_body(rs, xs.content_type, xs.body, xs.body_len);
	else if (xs.content_type[0])
		pres_strlcpy(rs->content_type, xs.content_type, sizeof(rs->content_type));
	if (xs.etag[0])
		http_resp_header(rs, "ETag", xs.etag);
	if (xs.allow[0])
		http_resp_header(rs, "Allow", xs.allow);
	if (xs.status == 503) {
		/* every compare-and-set attempt met a concurrent writer */
		http_resp_header(rs, "Retry-After", "1");
		log_warnx("ut: req=%lu peer=%s %s %s: document kept changing under this write, "
		    "503 (nothing written)", rq->id, rq->peer, rq->method, rq->target);
	}
	add_auth_info(site, id, res, rs);
	log_info("ut: req=%lu peer=%s user=%s as=%s %s %s: %d", rq->id, rq->peer, ident_log,
	    intended ? chosen : "*", rq->method, rq->target, xs.status);
	xcap_response_clear(&xs);
out:
	if (res) {
		auth_result_wipe(res);
		free(res);
	}
	if (id) {
		OPENSSL_cleanse(id, sizeof(*id));
		free(id);
	}
}

/* ---- Authentication Proxy (TS 33.141 5.1.4 / 6.1.3, TS 33.222) ---------- */

#define AP_MAX_REQ_HEADERS 100

struct hdr_list {
	struct ap_header h[AP_MAX_REQ_HEADERS];
	size_t n;
	int overflow;
};

static int collect_header(void *arg, const char *name, const char *value)
{
	struct hdr_list *l = arg;
	if (l->n >= AP_MAX_REQ_HEADERS) {
		l->overflow = 1;
		return 1;
	}
	l->h[l->n].name = name;
	l->h[l->n].value = value;
	l->n++;
	return 0;
}

/* The AS a request is for: the Host header names it (virtual host); over
 * TLS the SNI must name the same host (else 421: the UE's TLS session was
 * set up for another name, and so was its GBA key). */
static int ap_pick(struct wire *w, const struct http_req *rq, struct http_resp *rs)
{
	const char *host = http_req_header(rq, "Host");
	int idx = ap_lookup(w->ap, host);
	if (idx < 0) {
		text_resp(rs, 404, "no such application server here\n");
		log_info("ap: req=%lu peer=%s %s %s: unknown host %s: 404", rq->id, rq->peer, rq->method,
		    rq->target, host ? host : "(none)");
		return -1;
	}
	if (rq->sni && ap_lookup(w->ap, rq->sni) != idx) {
		text_resp(rs, 421, "TLS server name and Host do not match\n");
		log_warnx("ap: req=%lu peer=%s: SNI %s but Host %s: 421", rq->id, rq->peer, rq->sni, host);
		return -1;
	}
	return idx;
}

static void ap_handler(void *arg, const struct http_req *rq, struct http_resp *rs)
{
	struct wire *w = arg;
	struct wire_thread *th = thread_state(w);
	struct db *db = th ? th->db : NULL;
	struct auth_result *res = NULL;
	struct auth_identity *id = NULL;
	struct hdr_list *hl = NULL;
	struct ap_response ar;
	char ident_log[300];
	char chosen[AUTH_NAME_MAX];

	memset(&ar, 0, sizeof(ar));
	int idx = ap_pick(w, rq, rs);
	if (idx < 0)
		return;
	const struct ut_site *site = &w->ap_sites[idx];
	if (!db) {
		text_resp(rs, 503, "storage unavailable\n");
		return;
	}
	res = calloc(1, sizeof(*res));
	id = calloc(1, sizeof(*id));
	hl = calloc(1, sizeof(*hl));
	if (!res || !id || !hl) {
		text_resp(rs, 500, "out of memory\n");
		goto out;
	}
	/* the same authentication as the XCAP server, with this AS as the NAF;
	 * an intended identity that is not the user's ends here (403): nothing
	 * is forwarded */
	if (ut_authenticate(w, site, th, rq, rs, id, res, chosen, sizeof(chosen),
	    ident_log, sizeof(ident_log)) != PRES_OK)
		goto out;
	http_req_headers(rq, collect_header, hl);
	if (hl->overflow) {
		text_resp(rs, 431, "too many request headers\n");
		log_warnx("ap: req=%lu peer=%s: more than %d request headers: 431", rq->id, rq->peer, AP_MAX_REQ_HEADERS);
		goto out;
	}
	int gets_id = ap_as_gets_identity(w->ap, idx);
	struct ap_request fr = {
		.method = rq->method, .target = rq->target,
		.headers = hl->h, .n_headers = hl->n,
		.body = rq->body, .body_len = rq->body_len,
		.asserted_identity = gets_id ? chosen : NULL,
	};
	ap_forward(w->ap, idx, &fr, &ar);
	rs->status = ar.status;
	if (ar.upstream_failed) {
		text_resp(rs, ar.status, ar.status == 504 ? "application server timeout\n" :
		    ar.status == 503 ? "application server busy\n" : "application server unavailable\n");
		log_warnx("ap: req=%lu peer=%s user=%s host=%s %s %s: %s: %d", rq->id, rq->peer, ident_log,
		    site->fqdn, rq->method, rq->target, ar.error, ar.status);
	} else {
		if (ar.body)
			http_resp_body(rs, ar.content_type, ar.body, ar.body_len);
		else if (ar.content_type[0])
			pres_strlcpy(rs->content_type, ar.content_type, sizeof(rs->content_type));
		for (size_t i = 0; i < ar.n_headers; i++)
			if (http_resp_header(rs, ar.hname[i], ar.hvalue[i]) != PRES_OK) {
				log_warnx("ap: req=%lu: response header %s and later ones dropped (limit %d)",
				    rq->id, ar.hname[i], HTTP_MAX_RESP_HEADERS);
				break;
			}
		log_info("ap: req=%lu peer=%s user=%s host=%s asserted=%s %s %s: %d (%ld ms upstream)",
		    rq->id, rq->peer, ident_log, site->fqdn, gets_id ? chosen : "-", rq->method,
		    rq->target, ar.status, ar.elapsed_ms);
	}
	add_auth_info(site, id, res, rs);
out:
	ap_response_clear(&ar);
	free(hl);
	if (res) {
		auth_result_wipe(res);
		free(res);
	}
	if (id) {
		OPENSSL_cleanse(id, sizeof(*id));
		free(id);
	}
}

/* ---- embedded BSF (Ub) -------------------------------------------------- */

static void bsf_handler(void *arg, const struct http_req *rq, struct http_resp *rs)
{
	struct wire *w = arg;
	struct db *db = thread_db(w);
	struct gba_bsf_response br;
	int64_t now = pres_now();
	memset(&br, 0, sizeof(br));
	if (!db) {
		text_resp(rs, 503, "storage unavailable\n");
		return;
	}
	/* every first request of a known IMPI spends an AKA vector (SQN): the
	 * same failure limiter as Ut guards the BSF */
	int blocked = auth_rl_blocked(w->rl, rq->peer, now);
	if (blocked > 0) {
		char ra[16];
		snprintf(ra, sizeof(ra), "%d", blocked);
		http_resp_header(rs, "Retry-After", ra);
		text_resp(rs, 429, "too many failed authentications\n");
		log_warnx("bsf: req=%lu peer=%s: refused, source blocked after repeated "
		    "authentication failures (%ds left)", rq->id, rq->peer, blocked);
		return;
	}
	int64_t last = w->bsf_last_expire;
	if (now - last >= 60) {
		w->bsf_last_expire = now;
		db_gba_expire(db, now);
	}
	struct gba_bsf_request bq = {
		.method = rq->method, .uri = rq->target,
		.authorization = http_req_header(rq, "Authorization"),
		.user_agent = http_req_header(rq, "User-Agent"),
		.body = (const uint8_t *)rq->body, .body_len = rq->body_len,
	};
	gba_bsf_handle(w->bsf, db, &bq, &br);
	rs->status = br.status;
	if (br.status == 401 && bq.authorization && !strstr(bq.authorization, "nonce=\"\"")) {
		if (auth_rl_fail(w->rl, rq->peer, now))
			log_warnx("bsf: peer=%s blocked for %ds after repeated authentication failures",
			    rq->peer, w->cfg->auth.fail_block);
	} else if (br.status == 200) {
		auth_rl_success(w->rl, rq->peer, now);
	}
	const char *ct = gba_bsf_response_header(&br, "Content-Type");
	if (br.body)
		http_resp_body(rs, ct ? ct : "application/octet-stream", br.body, br.body_len);
	for (size_t i = 0; i < br.n_headers; i++)
		if (strcasecmp(br.headers[i].name, "Content-Type"))
			http_resp_header(rs, br.headers[i].name, br.headers[i].value);
	log_info("bsf: req=%lu peer=%s %s %s: %d", rq->id, rq->peer, rq->method, rq->target, br.status);
	gba_bsf_response_clear(&br);
}

/* ---- XCAP change events -> SIP engine ----------------------------------- */

static void on_doc_changed(const struct xcap_change *ev, void *arg)
{
	struct wire *w = arg;
	log_debug("xcap: %s/%s/%s changed %s -> %s", ev->auid, ev->xui, ev->doc_name,
	    ev->old_etag, ev->new_etag);
	if (w->sip)
		psip_doc_changed(w->sip, ev->auid, ev->xui, ev->doc_name, ev->old_etag, ev->new_etag);
}

/* ---- life cycle --------------------------------------------------------- */

int wire_check(const struct pres_cfg *cfg)
{
	int ok = 1;
	if (cfg->xcap.tls) {
		ok &= readable("xcap.certificate", cfg->xcap.cert_file);
		ok &= readable("xcap.key", cfg->xcap.key_file);
		if (cfg->xcap.ec_cert_file) {
			ok &= readable("xcap.ec_certificate", cfg->xcap.ec_cert_file);
			ok &= readable("xcap.ec_key", cfg->xcap.ec_key_file);
		}
		for (size_t i = 0; i < cfg->xcap.n_vhosts; i++) {
			ok &= readable("xcap.vhost certificate", cfg->xcap.vhosts[i].cert_file);
			ok &= readable("xcap.vhost key", cfg->xcap.vhosts[i].key_file);
		}
	}
	if (cfg->tls.request_client_cert && cfg->tls.client_ca_file)
		ok &= readable("tls.client_ca", cfg->tls.client_ca_file);
	if (cfg->ap.enabled) {
		ok &= readable("ap.certificate", cfg->ap.cert_file);
		ok &= readable("ap.key", cfg->ap.key_file);
		if (cfg->ap.ca_file)
			ok &= readable("ap.ca", cfg->ap.ca_file);
		if (cfg->ap.client_cert_file) {
			ok &= readable("ap.client_certificate", cfg->ap.client_cert_file);
			ok &= readable("ap.client_key", cfg->ap.client_key_file);
		}
		for (size_t i = 0; i < cfg->ap.n_as; i++) {
			if (cfg->ap.as[i].cert_file) {
				ok &= readable("ap.as certificate", cfg->ap.as[i].cert_file);
				ok &= readable("ap.as key", cfg->ap.as[i].key_file);
			}
			if (cfg->ap.as[i].ca_file)
				ok &= readable("ap.as ca", cfg->ap.as[i].ca_file);
		}
	}
	char xsd[1024];
	snprintf(xsd, sizeof(xsd), "%s/pres-rules.xsd", schema_dir(cfg));
	ok &= readable("xcap.schema_dir", xsd);
	return ok ? 0 : -1;
}

static int load_secret(const char *file, uint8_t *buf, size_t *len)
{
	FILE *f = fopen(file, "rb");
	if (!f) {
		log_errx("auth.nonce_secret_file: cannot read %s", file);
		return -1;
	}
	size_t n = fread(buf, 1, 64, f);
	fclose(f);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n < 16) {
		log_errx("auth.nonce_secret_file: %s must hold at least 16 bytes", file);
		return -1;
	}
	*len = n;
	return 0;
}

/*
 * The AP role: the forwarder (ap/) and one Ut site per AS host name, each
 * with its own digest engine offering 3GPP-bootstrapping@<AS host> (and the
 * password realm when auth.digest is on); @p base carries the shared
 * settings (nonce secret, lifetime) of the XCAP engine.
 */
static int ap_sites_new(struct wire *w, const struct auth_cfg *base)
{
	const struct pres_cfg *cfg = w->cfg;
	struct ap_as_cfg as[CFG_MAX_LIST];
	char err[512];

	for (size_t i = 0; i < cfg->ap.n_as; i++) {
		const struct cfg_ap_as *c = &cfg->ap.as[i];
		as[i] = (struct ap_as_cfg){ .name = c->name, .upstream = c->upstream,
		    .address = c->address, .trusted = c->trusted,
		    .assert_identity = c->assert_identity, .ca_file = c->ca_file };
	}
	struct ap_cfg apc = {
		.as = as, .n_as = cfg->ap.n_as,
		.trust_domain = (const char *const *)cfg->ap.trust_domain,
		.n_trust_domain = cfg->ap.n_trust_domain,
		.ca_file = cfg->ap.ca_file,
		.client_cert_file = cfg->ap.client_cert_file, .client_key_file = cfg->ap.client_key_file,
		.source_address = cfg->ap.source_address,
		.connect_timeout_ms = cfg->ap.upstream_connect_timeout,
		.timeout_ms = cfg->ap.upstream_timeout,
		.max_response = cfg->ap.max_response,
		.max_inflight = cfg->ap.upstream_max_inflight,
	};
	w->ap = ap_new(&apc, err, sizeof(err));
	if (!w->ap) {
		log_errx("%s", err);
		return -1;
	}
	w->ap_sites = calloc(ap_count(w->ap), sizeof(*w->ap_sites));
	if (!w->ap_sites)
		return -1;
	for (size_t i = 0; i < ap_count(w->ap); i++) {
		struct ut_site *st = &w->ap_sites[i];
		struct auth_cfg ac = *base;
		st->tag = "ap";
		st->accept_asserted = 0;   /* the AP asserts; it never believes a UE's assertion */
		pres_strlcpy(st->fqdn, ap_as_name(w->ap, (int)i), sizeof(st->fqdn));
		if (gba_naf_realm(st->fqdn, st->gba_realm, sizeof(st->gba_realm)) != PRES_OK) {
			log_errx("ap: AS '%s': host name too long for a GBA realm", st->fqdn);
			return -1;
		}
		ac.n_realms = 0;
		if (cfg->auth.digest)
			ac.realms[ac.n_realms++] = cfg->auth.realm;
		ac.realms[ac.n_realms++] = st->gba_realm;
		st->auth = auth_new(&ac);
		st->owns_auth = 1;
		if (!st->auth) {
			log_errx("ap: AS '%s': cannot create the digest engine", st->fqdn);
			return -1;
		}
		log_info("ap: %s -> %s (%s%s), GBA realm %s", st->fqdn, cfg->ap.as[i].upstream,
		    cfg->ap.as[i].trusted ? "trust domain" : "outside the trust domain",
		    ap_as_gets_identity(w->ap, (int)i) ? ", asserted identity" : ", no identity",
		    st->gba_realm);
	}
	return 0;
}

/* The AP's listener: TLS, its own port, a certificate per AS name (SNI) or
 * one certificate carrying every name. */
static int ap_listen(struct wire *w)
{
	const struct pres_cfg *cfg = w->cfg;
	struct http_vhost_cfg vh[CFG_MAX_LIST];
	size_t nv = 0;
	for (size_t i = 0; i < cfg->ap.n_as; i++)
		if (cfg->ap.as[i].cert_file) {
			vh[nv].name = cfg->ap.as[i].name;
			vh[nv].cert_file = cfg->ap.as[i].cert_file;
			vh[nv].key_file = cfg->ap.as[i].key_file;
			nv++;
		}
	struct http_srv_cfg hc = {
		.name = "ap", .addr = cfg->ap.listen_addr, .port = cfg->ap.port,
		.tls = 1, .cert_file = cfg->ap.cert_file, .key_file = cfg->ap.key_file,
		.vhosts = vh, .n_vhosts = nv,
		.require_encryption = cfg->tls.require_encryption, .priorities = cfg->tls.priorities,
		.session_lifetime = cfg->tls.session_lifetime, .ticket_rotation = cfg->tls.ticket_rotation,
		.threads = cfg->ap.threads, .connection_limit = cfg->ap.connection_limit,
		.connection_timeout = cfg->ap.connection_timeout, .max_body = cfg->ap.max_body,
	};
	w->ap_srv = http_start(&hc, ap_handler, w);
	return w->ap_srv ? 0 : -1;
}

int wire_start(const struct pres_cfg *cfg, struct wire **out)
{
	struct wire *w = calloc(1, sizeof(*w));
	struct http_vhost_cfg vh[CFG_MAX_LIST];
	uint8_t secret[64];
	size_t secret_len = 0;
	int rc = EX_SOFTWARE;
	struct db *probe = NULL;

	if (!w)
		return EX_OSERR;
	w->cfg = cfg;
	if (pthread_key_create(&w->db_key, db_key_free)) {
		free(w);
		return EX_OSERR;
	}
	if (wire_check(cfg)) {
		rc = EX_CONFIG;
		goto fail;
	}
	/* the database: created and migrated here, before any thread uses it */
	if (db_open(cfg->db_path, &probe) != PRES_OK) {
		log_errx("database %s: cannot open or migrate", cfg->db_path);
		rc = EX_CANTCREAT;
		goto fail;
	}
	log_info("database %s: schema version %d", cfg->db_path, db_schema_version(probe));
	db_close(probe);

	/* XCAP store */
	snprintf(w->xcap_root_uri, sizeof(w->xcap_root_uri), "%s://%s:%d%s",
	    cfg->xcap.tls ? "https" : "http", cfg->xcap.fqdn, cfg->xcap.port, cfg->xcap.root);
	struct xcap_cfg xc = {
		.root_path = cfg->xcap.root, .root_uri = w->xcap_root_uri,
		.schema_dir = schema_dir(cfg), .max_doc_size = cfg->xcap.max_body,
		.home_domain = cfg->home_domain,
	};
	w->xcap = xcap_new(&xc);
	if (!w->xcap) {
		log_errx("xcap: cannot load the schemas from %s", xc.schema_dir);
		rc = EX_CONFIG;
		goto fail;
	}
	xcap_set_change_cb(w->xcap, on_doc_changed, w);

	/* Ut security */
	struct auth_cfg ac;
	memset(&ac, 0, sizeof(ac));
	if (cfg->auth.digest)
		ac.realms[ac.n_realms++] = cfg->auth.realm;
	if (cfg->auth.gba) {
		gba_naf_realm(cfg->xcap.fqdn, w->gba_realm, sizeof(w->gba_realm));
		ac.realms[ac.n_realms++] = w->gba_realm;
	}
	/* each SNI virtual host is a NAF name of its own (TS 33.220: the
	 * NAF_Id carries the FQDN the UE used): own GBA realm, same engine */
	w->xcap_vsites = calloc(cfg->xcap.n_vhosts + 1, sizeof(*w->xcap_vsites));
	for (size_t i = 0; w->xcap_vsites && i < cfg->xcap.n_vhosts; i++) {
		struct ut_site *st = &w->xcap_vsites[i];
		st->tag = "ut";
		st->accept_asserted = 1;
		pres_strlcpy(st->fqdn, cfg->xcap.vhosts[i].name, sizeof(st->fqdn));
		if (!cfg->auth.gba || !cfg->xcap.tls)
			continue;
		if (ac.n_realms >= AUTH_MAX_REALMS ||
		    gba_naf_realm(st->fqdn, st->gba_realm, sizeof(st->gba_realm)) != PRES_OK) {
			log_warnx("gba: no GBA realm for virtual host %s", st->fqdn);
			st->gba_realm[0] = '\0';
			continue;
		}
		ac.realms[ac.n_realms++] = st->gba_realm;
	}
	if (ac.n_realms == 0)
		ac.realms[ac.n_realms++] = cfg->auth.realm;   /* AP-only: never succeeds */
	if (cfg->auth.nonce_secret_file) {
		if (load_secret(cfg->auth.nonce_secret_file, secret, &secret_len)) {
			rc = EX_CONFIG;
			goto fail;
		}
		ac.nonce_secret = secret;
		ac.nonce_secret_len = secret_len;
	}
	ac.nonce_lifetime = cfg->auth.nonce_lifetime;
	ac.domain = "/";
	w->auth = auth_new(&ac);
	for (size_t i = 0; w->xcap_vsites && i < cfg->xcap.n_vhosts; i++)
		w->xcap_vsites[i].auth = w->auth;
	w->xcap_site = calloc(1, sizeof(*w->xcap_site));
	if (w->xcap_site) {
		w->xcap_site->tag = "ut";
		w->xcap_site->auth = w->auth;
		w->xcap_site->accept_asserted = 1;
		pres_strlcpy(w->xcap_site->fqdn, cfg->xcap.fqdn, sizeof(w->xcap_site->fqdn));
		pres_strlcpy(w->xcap_site->gba_realm, w->gba_realm, sizeof(w->xcap_site->gba_realm));
	}
	if (cfg->ap.enabled && ap_sites_new(w, &ac)) {
		OPENSSL_cleanse(secret, sizeof(secret));
		rc = EX_CONFIG;
		goto fail;
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	struct auth_rl_cfg rlc = { 0, cfg->auth.fail_limit, cfg->auth.fail_window, cfg->auth.fail_block };
	w->rl = auth_rl_new(&rlc);
	if (!w->auth || !w->rl || !w->xcap_site || !w->xcap_vsites) {
		log_errx("auth: cannot create the digest engine");
		goto fail;
	}
	if (cfg->auth.gba || cfg->ap.enabled) {
		struct gba_naf_cfg nc;
		gba_naf_cfg_default(&nc);
		if (db_open(cfg->db_path, &w->zn_db) != PRES_OK ||
		    !(w->zn = gba_zn_embedded_new(w->zn_db)) || !(w->naf = gba_naf_new(&nc, w->zn))) {
			log_errx("gba: cannot start the NAF (Zn)");
			goto fail;
		}
	}
	if (cfg->bsf.enabled) {
		struct gba_bsf_cfg bc;
		gba_bsf_cfg_default(&bc);
		pres_strlcpy(bc.realm, cfg->bsf.realm, sizeof(bc.realm));
		pres_strlcpy(bc.name, cfg->bsf.name, sizeof(bc.name));
		bc.key_lifetime = cfg->bsf.key_lifetime;
		w->bsf = gba_bsf_new(&bc);
		if (!w->bsf) {
			log_errx("bsf: bad configuration");
			goto fail;
		}
	}

	/* SIP engine */
	if (cfg->sip.enabled) {
		struct psip_cfg pc;
		memset(&pc, 0, sizeof(pc));
		pc.listen_uris = (const char *const *)cfg->sip.listen;
		pc.n_listen = cfg->sip.n_listen;
		pc.tls_dir = cfg->sip.tls_dir;
		pc.home_domain = cfg->home_domain;
		pc.trusted_peers = (const char *const *)cfg->sip.trusted_peers;
		pc.n_trusted = cfg->sip.n_trusted;
		pc.db_path = cfg->db_path;
		pc.untrusted_policy = cfg->sip.untrusted_challenge ? PSIP_UNTRUSTED_CHALLENGE : PSIP_UNTRUSTED_REFUSE;
		pc.digest_realm = cfg->auth.realm;
		pc.min_expires = (unsigned)cfg->sip.min_expires;
		pc.max_expires = (unsigned)cfg->sip.max_expires;
		pc.default_expires = (unsigned)cfg->sip.default_expires;
		pc.notify_fail_policy = cfg->sip.notify_fail_terminate ? PSIP_NOTIFY_FAIL_TERMINATE : PSIP_NOTIFY_FAIL_481_ONLY;
		pc.no_rules_policy = cfg->sip.no_pres_rules;
		pc.rls_throttle_ms = (unsigned)cfg->sip.rls_throttle;
		pc.block_policy = cfg->sip.blocked_terminate ? PSIP_BLOCK_TERMINATE : PSIP_BLOCK_403;
		w->sip = psip_start(&pc);
		if (!w->sip) {
			log_errx("sip: cannot start (ports in use, or TLS files missing in %s)", cfg->sip.tls_dir);
			rc = EX_UNAVAILABLE;
			goto fail;
		}
	}

	/* listeners last: requests only arrive once everything is in place */
	for (size_t i = 0; i < cfg->xcap.n_vhosts; i++) {
		vh[i].name = cfg->xcap.vhosts[i].name;
		vh[i].cert_file = cfg->xcap.vhosts[i].cert_file;
		vh[i].key_file = cfg->xcap.vhosts[i].key_file;
	}
	struct http_srv_cfg hc = {
		.name = "xcap", .addr = cfg->xcap.listen_addr, .port = cfg->xcap.port,
		.tls = cfg->xcap.tls, .cert_file = cfg->xcap.cert_file, .key_file = cfg->xcap.key_file,
		.cert2_file = cfg->xcap.ec_cert_file, .key2_file = cfg->xcap.ec_key_file,
		.vhosts = vh, .n_vhosts = cfg->xcap.n_vhosts,
		.require_encryption = cfg->tls.require_encryption, .priorities = cfg->tls.priorities,
		.session_lifetime = cfg->tls.session_lifetime, .ticket_rotation = cfg->tls.ticket_rotation,
		.request_client_cert = cfg->tls.request_client_cert, .client_ca_file = cfg->tls.client_ca_file,
		.threads = cfg->xcap.threads, .connection_limit = cfg->xcap.connection_limit,
		.connection_timeout = cfg->xcap.connection_timeout, .max_body = cfg->xcap.max_body,
	};
	w->xcap_srv = http_start(&hc, xcap_handler, w);
	if (!w->xcap_srv) {
		rc = EX_UNAVAILABLE;
		goto fail;
	}
	if (w->bsf) {
		struct http_srv_cfg bcfg = {
			.name = "bsf", .addr = cfg->bsf.listen_addr, .port = cfg->bsf.port, .tls = 0,
			.threads = 2, .connection_limit = 256, .connection_timeout = 30, .max_body = 16384,
		};
		w->bsf_srv = http_start(&bcfg, bsf_handler, w);
		if (!w->bsf_srv) {
			rc = EX_UNAVAILABLE;
			goto fail;
		}
	}
	if (cfg->ap.enabled && ap_listen(w)) {
		rc = EX_UNAVAILABLE;
		goto fail;
	}
	*out = w;
	return 0;
fail:
	wire_stop(w);
	return rc;
}

void wire_stop(struct wire *w)
{
	if (!w)
		return;
	/* stop intake first; in-flight HTTP requests finish inside http_stop */
	http_stop(w->ap_srv);
	http_stop(w->bsf_srv);
	http_stop(w->xcap_srv);
	psip_stop(w->sip);
	gba_bsf_free(w->bsf);
	gba_naf_free(w->naf);
	gba_zn_free(w->zn);
	db_close(w->zn_db);
	for (size_t i = 0; w->ap_sites && i < ap_count(w->ap); i++)
		if (w->ap_sites[i].owns_auth)
			auth_free(w->ap_sites[i].auth);
	free(w->ap_sites);
	ap_free(w->ap);
	free(w->xcap_site);
	free(w->xcap_vsites);
	auth_rl_free(w->rl);
	auth_free(w->auth);
	xcap_free(w->xcap);
	struct wire_thread *t = pthread_getspecific(w->db_key);
	if (t) {
		pthread_setspecific(w->db_key, NULL);
		db_key_free(t);
	}
	pthread_key_delete(w->db_key);
	free(w);
}
