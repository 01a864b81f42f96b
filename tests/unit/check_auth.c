/* check_auth.c - unit tests of auth/: Digest engine, identity rules, rate limit. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth/auth.h"
#include "db/db.h"

#define T0 1800000000LL

/* ---- RFC example values ------------------------------------------------ */

#define R7616_REALM "http-auth@example.org"
#define R7616_NONCE "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define R7616_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define R7616_OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"

static const char *pw_of(const char *s) { return s; }

START_TEST(test_rfc7616_md5)
{
	uint8_t ha1[AUTH_HASH_MAX];
	size_t n;
	char rsp[2 * AUTH_HASH_MAX + 1];
	const char *pw = pw_of("Circle of Life");

	ck_assert_int_eq(auth_digest_ha1(AUTH_ALG_MD5, "Mufasa", R7616_REALM,
	    (const uint8_t *)pw, strlen(pw), ha1, &n), PRES_OK);
	ck_assert_uint_eq(n, 16);
	ck_assert_int_eq(auth_digest_response(AUTH_ALG_MD5, ha1, n, R7616_NONCE, "00000001",
	    R7616_CNONCE, AUTH_QOP_AUTH, "GET", "/dir/index.html", NULL, 0, rsp), PRES_OK);
	ck_assert_str_eq(rsp, "8ca523f5e9506fed4657c9700eebdbec");
}
END_TEST

START_TEST(test_rfc7616_sha256)
{
	uint8_t ha1[AUTH_HASH_MAX];
	size_t n;
	char rsp[2 * AUTH_HASH_MAX + 1];
	const char *pw = "Circle of Life";

	ck_assert_int_eq(auth_digest_ha1(AUTH_ALG_SHA256, "Mufasa", R7616_REALM,
	    (const uint8_t *)pw, strlen(pw), ha1, &n), PRES_OK);
	ck_assert_uint_eq(n, 32);
	ck_assert_int_eq(auth_digest_response(AUTH_ALG_SHA256, ha1, n, R7616_NONCE, "00000001",
	    R7616_CNONCE, AUTH_QOP_AUTH, "GET", "/dir/index.html", NULL, 0, rsp), PRES_OK);
	ck_assert_str_eq(rsp, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}
END_TEST

/* The RFC 7616 3.9.1 Authorization header, parsed, gives back the response. */
START_TEST(test_rfc7616_parse_and_recompute)
{
	struct auth_digest_params p;
	uint8_t ha1[AUTH_HASH_MAX];
	size_t n;
	char rsp[2 * AUTH_HASH_MAX + 1];
	const char *h =
	    "Digest username=\"Mufasa\",\r\n"
	    "realm=\"http-auth@example.org\",\t uri=\"/dir/index.html\", algorithm=SHA-256,"
	    " nonce=\"" R7616_NONCE "\", nc=00000001, cnonce=\"" R7616_CNONCE "\", qop=auth,"
	    " response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\","
	    " opaque=\"" R7616_OPAQUE "\"";

	/* a CR LF (obs-fold) inside is refused: header values arrive unfolded */
	ck_assert_int_eq(auth_digest_parse(h, &p), PRES_EINVAL);
	h = "Digest username=\"Mufasa\", "
	    "realm=\"http-auth@example.org\",\t uri=\"/dir/index.html\", algorithm=SHA-256,"
	    " nonce=\"" R7616_NONCE "\", nc=00000001, cnonce=\"" R7616_CNONCE "\", qop=auth,"
	    " response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\","
	    " opaque=\"" R7616_OPAQUE "\"";
	ck_assert_int_eq(auth_digest_parse(h, &p), PRES_OK);
	ck_assert_str_eq(p.username, "Mufasa");
	ck_assert_str_eq(p.realm, R7616_REALM);
	ck_assert_str_eq(p.uri, "/dir/index.html");
	ck_assert_str_eq(p.algorithm, "SHA-256");
	ck_assert_str_eq(p.nonce, R7616_NONCE);
	ck_assert_str_eq(p.nc, "00000001");
	ck_assert_str_eq(p.cnonce, R7616_CNONCE);
	ck_assert_str_eq(p.qop, "auth");
	ck_assert_str_eq(p.opaque, R7616_OPAQUE);
	ck_assert_uint_eq(p.seen & AUTH_P_USERHASH, 0);
	ck_assert_int_eq(auth_alg_from_name(p.algorithm), AUTH_ALG_SHA256);
	ck_assert_int_eq(auth_digest_ha1(AUTH_ALG_SHA256, p.username, p.realm,
	    (const uint8_t *)"Circle of Life", 14, ha1, &n), PRES_OK);
	ck_assert_int_eq(auth_digest_response(AUTH_ALG_SHA256, ha1, n, p.nonce, p.nc,
	    p.cnonce, AUTH_QOP_AUTH, "GET", p.uri, NULL, 0, rsp), PRES_OK);
	ck_assert_str_eq(rsp, p.response);
}
END_TEST

START_TEST(test_rfc2617_example)
{
	uint8_t ha1[AUTH_HASH_MAX];
	size_t n;
	char rsp[2 * AUTH_HASH_MAX + 1];
	const char *pw = "Circle Of Life";

	ck_assert_int_eq(auth_digest_ha1(AUTH_ALG_MD5, "Mufasa", "testrealm@host.com",
	    (const uint8_t *)pw, strlen(pw), ha1, &n), PRES_OK);
	ck_assert_int_eq(auth_digest_response(AUTH_ALG_MD5, ha1, n,
	    "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b", AUTH_QOP_AUTH,
	    "GET", "/dir/index.html", NULL, 0, rsp), PRES_OK);
	ck_assert_str_eq(rsp, "6629fae49393a05397450978507c4ef1");
}
END_TEST

/* GBA.md 1.5: AKAv1-MD5 with password = RES (raw octets), qop=auth-int, empty body. */
static const uint8_t gba_res[8] = { 0xa5, 0x42, 0x11, 0xd5, 0xe3, 0xba, 0x50, 0xbf };

START_TEST(test_gba_auth_int_example)
{
	uint8_t ha1[AUTH_HASH_MAX];
	size_t n;
	char rsp[2 * AUTH_HASH_MAX + 1], hex[2 * AUTH_HASH_MAX + 1];

	ck_assert_int_eq(auth_digest_ha1(AUTH_ALG_MD5, "user1_private@home1.net", "bsf.home1.net",
	    gba_res, sizeof(gba_res), ha1, &n), PRES_OK);
	pres_hex(ha1, n, hex);
	ck_assert_str_eq(hex, "308bb02714388e6e939e4649f5ec4fb0");
	ck_assert_int_eq(auth_digest_response(AUTH_ALG_MD5, ha1, n,
	    "I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/6w1Tfr7M=", "00000001", "0a4f113b",
	    AUTH_QOP_AUTH_INT, "GET", "/", (const uint8_t *)"", 0, rsp), PRES_OK);
	ck_assert_str_eq(rsp, "d47e4afd3245638428c815924bc5bc69");
	/* NULL body with length 0 is the same empty body */
	ck_assert_int_eq(auth_digest_response(AUTH_ALG_MD5, ha1, n,
	    "I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/6w1Tfr7M=", "00000001", "0a4f113b",
	    AUTH_QOP_AUTH_INT, "GET", "/", NULL, 0, rsp), PRES_OK);
	ck_assert_str_eq(rsp, "d47e4afd3245638428c815924bc5bc69");
}
END_TEST

/* ---- parser ------------------------------------------------------------ */

#define BASE_FIELDS "username=\"u\", realm=\"r\", nonce=\"n\", uri=\"/\", response=\"00\""

START_TEST(test_parse_escapes_and_order)
{
	struct auth_digest_params p;

	ck_assert_int_eq(auth_digest_parse(
	    "digest  response=\"ab\" ,, uri = \"/a b\", foo=bar, x=\"y,\\\"z\", "
	    "nonce=\"n\", realm=\"re\\\\alm\", username=\"Mu\\\"fa\\sa\",", &p), PRES_OK);
	ck_assert_str_eq(p.username, "Mu\"fasa");
	ck_assert_str_eq(p.realm, "re\\alm");
	ck_assert_str_eq(p.uri, "/a b");
	ck_assert_str_eq(p.response, "ab");
	ck_assert_uint_eq(p.seen, AUTH_P_USERNAME | AUTH_P_REALM | AUTH_P_NONCE | AUTH_P_URI |
	    AUTH_P_RESPONSE);
	/* quoted tokens for algorithm/qop are tolerated; names case-insensitive */
	ck_assert_int_eq(auth_digest_parse("Digest " BASE_FIELDS ", QOP=\"auth\", "
	    "Algorithm=\"MD5\", NC=00000002, cnonce=\"c\", auts=\"QUJD\"", &p), PRES_OK);
	ck_assert_str_eq(p.qop, "auth");
	ck_assert_str_eq(p.algorithm, "MD5");
	ck_assert_str_eq(p.nc, "00000002");
	ck_assert_str_eq(p.auts, "QUJD");
	/* empty quoted values (BSF first request) parse */
	ck_assert_int_eq(auth_digest_parse("Digest username=\"u\", realm=\"r\", nonce=\"\", "
	    "uri=\"/\", response=\"\"", &p), PRES_OK);
	ck_assert_str_eq(p.nonce, "");
}
END_TEST

START_TEST(test_parse_refusals)
{
	struct auth_digest_params p;
	char big[AUTH_HEADER_MAX + 100], name[400];

	ck_assert_int_eq(auth_digest_parse(NULL, &p), PRES_EINVAL);
	ck_assert_int_eq(auth_digest_parse("", &p), PRES_EINVAL);
	ck_assert_int_eq(auth_digest_parse("Digest", &p), PRES_EINVAL);
	ck_assert_int_eq(auth_digest_parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", &p), PRES_ENOTFOUND);
	ck_assert_int_eq(auth_digest_parse("Digestx " BASE_FIELDS, &p), PRES_ENOTFOUND);
	ck_assert_int_eq(auth_digest_parse("Digest " BASE_FIELDS, &p), PRES_OK);
	/* missing mandatory */
	ck_assert_int_eq(auth_digest_parse("Digest realm=\"r\", nonce=\"n\", uri=\"/\", "
	    "response=\"00\"", &p), PRES_EINVAL);
	ck_assert_int_eq(auth_digest_parse("Digest username=\"u\", realm=\"r\", nonce=\"n\", "
	    "uri=\"/\"", &p), PRES_EINVAL);
	/* duplicates, also with different case */
	ck_assert_int_eq(auth_digest_parse("Digest " BASE_FIELDS ", realm=\"r\"", &p), PRES_EINVAL);
	ck_assert_int_eq(auth_digest_parse("Digest " BASE_FIELDS ", Username=\"v\"", &p), PRES_EINVAL);
	/* but an unknown parameter may repeat */
	ck_assert_int_eq(auth_digest_parse("Digest " BASE_FIELDS ", x=1, x=2", &p), PRES_OK);
	/* syntax */
	ck_assert_int_eq(auth_digest_parse("Digest " BASE_FIELDS ", qop", &p), PRES_EINVAL);
	ck_assert_int_eq(auth_digest_parse("Digest " BASE_FIELDS ", qop=", &p), PRES_EINVAL);
	ck_assert_int_eq(auth_digest_parse("Digest " BASE_FIELDS ", x=\"abc", &p), PRES_EINVAL);
	ck_assert_int_eq(auth_digest_parse("Digest " BASE_FIELDS ", x=\"abc\\", &p), PRES_EINVAL);
	ck_assert_int_eq(auth_digest_parse("Digest " BASE_FIELDS ", x=\"a\"b", &p), PRES_EINVAL);
	ck_assert_int_eq(auth_digest_parse("Digest " BASE_FIELDS " qop=auth", &p), PRES_EINVAL);
	ck_assert_int_eq(auth_digest_parse("Digest " BASE_FIELDS ", =x", &p), PRES_EINVAL);
	ck_assert_int_eq(auth_digest_parse("Digest " BASE_FIELDS ", x=a/b", &p), PRES_EINVAL);
	ck_assert_int_eq(auth_digest_parse("Digest " BASE_FIELDS ", x=\"a\nb\"", &p), PRES_EINVAL);
	ck_assert_int_eq(auth_digest_parse("Digest " BASE_FIELDS ", x=\"a\\\rb\"", &p), PRES_EINVAL);
	ck_assert_int_eq(auth_digest_parse("Digest " BASE_FIELDS ", x=\"a\x7f\"", &p), PRES_EINVAL);
	ck_assert_int_eq(auth_digest_parse("Digest\t" BASE_FIELDS, &p), PRES_EINVAL);
	/* oversized: whole header, then one field */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "Digest " BASE_FIELDS ", x=\"", strlen("Digest " BASE_FIELDS ", x=\""));
	ck_assert_int_eq(auth_digest_parse(big, &p), PRES_ETOOBIG);
	memset(name, 'u', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(big, sizeof(big), "Digest username=\"%s\", realm=\"r\", nonce=\"n\", uri=\"/\", "
	    "response=\"00\"", name);
	ck_assert_int_eq(auth_digest_parse(big, &p), PRES_ETOOBIG);
	snprintf(big, sizeof(big), "Digest " BASE_FIELDS ", nc=000000001");
	ck_assert_int_eq(auth_digest_parse(big, &p), PRES_ETOOBIG);
	/* a long unknown parameter is skipped, within the header limit */
	snprintf(big, sizeof(big), "Digest " BASE_FIELDS ", junk=\"%s\"", name);
	ck_assert_int_eq(auth_digest_parse(big, &p), PRES_OK);
}
END_TEST

/* ---- engine helpers ---------------------------------------------------- */

struct pw_source {
	const char *user;
	const uint8_t *pw;
	size_t pw_len;
	const char *impu;
	int64_t not_before;
	int64_t expires;
	int rc;              /* forced return code if non-zero */
	int calls;
};

static int pw_cb(void *arg, const char *username, const char *realm, int alg,
    uint8_t *ha1, size_t *ha1_len, struct auth_identity *who)
{
	struct pw_source *s = arg;
	s->calls++;
	if (s->rc)
		return s->rc;
	if (strcmp(username, s->user) != 0)
		return PRES_ENOTFOUND;
	ck_assert_uint_ge(*ha1_len, auth_alg_hash_len(alg));
	if (s->impu)
		ck_assert_int_eq(auth_identity_add_impu(who, s->impu), PRES_OK);
	who->not_before = s->not_before;
	who->expires = s->expires;
	return auth_digest_ha1(alg, username, realm, s->pw, s->pw_len, ha1, ha1_len);
}

/* Value of param="..." in a challenge (no escapes in what we emit). */
static void ch_param(const char *ch, const char *param, char *out, size_t size)
{
	char pat[64];
	const char *s, *e;
	snprintf(pat, sizeof(pat), "%s=\"", param);
	s = strstr(ch, pat);
	ck_assert_ptr_nonnull(s);
	s += strlen(pat);
	e = strchr(s, '"');
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_lt((size_t)(e - s), size);
	memcpy(out, s, (size_t)(e - s));
	out[e - s] = '\0';
}

struct client {
	const char *user, *realm;
	const uint8_t *pw;
	size_t pw_len;
	int alg, qop;
	char nonce[128], opaque[128];
};

/* Takes nonce/opaque from the challenge offering c->alg for c->realm. */
static void client_take(struct client *c, const struct auth_challenges *ch)
{
	char want[128];
	snprintf(want, sizeof(want), "algorithm=%s,", auth_alg_name(c->alg));
	for (size_t i = 0; i < ch->n; i++) {
		char realm[AUTH_NAME_MAX];
		ch_param(ch->v[i], "realm", realm, sizeof(realm));
		if (strstr(ch->v[i], want) && strcmp(realm, c->realm) == 0) {
			ch_param(ch->v[i], "nonce", c->nonce, sizeof(c->nonce));
			ch_param(ch->v[i], "opaque", c->opaque, sizeof(c->opaque));
			return;
		}
	}
	ck_abort_msg("no challenge for %s", want);
}

static void client_auth(const struct client *c, const char *method, const char *uri,
    uint32_t nc, const void *body, size_t blen, char *out, size_t size)
{
	uint8_t ha1[AUTH_HASH_MAX];
	size_t n;
	char rsp[2 * AUTH_HASH_MAX + 1], ncs[9];

	snprintf(ncs, sizeof(ncs), "%08x", nc);
	ck_assert_int_eq(auth_digest_ha1(c->alg, c->user, c->realm, c->pw, c->pw_len, ha1, &n),
	    PRES_OK);
	ck_assert_int_eq(auth_digest_response(c->alg, ha1, n, c->nonce, ncs, "0a4f113b", c->qop,
	    method, uri, body, blen, rsp), PRES_OK);
	if (c->qop == AUTH_QOP_NONE)
		snprintf(out, size, "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
		    "response=\"%s\", algorithm=%s, opaque=\"%s\"", c->user, c->realm, c->nonce,
		    uri, rsp, auth_alg_name(c->alg), c->opaque);
	else
		snprintf(out, size, "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
		    "response=\"%s\", algorithm=%s, opaque=\"%s\", qop=%s, nc=%s, cnonce=\"0a4f113b\"",
		    c->user, c->realm, c->nonce, uri, rsp, auth_alg_name(c->alg), c->opaque,
		    c->qop == AUTH_QOP_AUTH_INT ? "auth-int" : "auth", ncs);
}

static struct auth *mk_auth(unsigned algs, int allow_no_qop, size_t nc_size)
{
	static const uint8_t secret[32] = "0123456789abcdef0123456789abcdef";
	struct auth_cfg cfg = { 0 };
	cfg.realms[0] = "xcap.example.com";
	cfg.realms[1] = "3GPP-bootstrapping@xcap.example.com";
	cfg.n_realms = 2;
	cfg.nonce_secret = secret;
	cfg.nonce_secret_len = sizeof(secret);
	cfg.algs = algs;
	cfg.allow_no_qop = allow_no_qop;
	cfg.nc_table_size = nc_size;
	cfg.domain = "/";
	return auth_new(&cfg);
}

static struct pw_source alice_src = {
	.user = "alice@ims.example.com", .pw = (const uint8_t *)"secret", .pw_len = 6,
	.impu = "sip:alice@ims.example.com",
};

static struct client alice(int alg, int qop)
{
	struct client c = { .user = "alice@ims.example.com", .realm = "xcap.example.com",
		.pw = (const uint8_t *)"secret", .pw_len = 6, .alg = alg, .qop = qop };
	return c;
}

/* Runs one request; returns auth_digest_verify's code. */
static int run(struct auth *a, struct pw_source *src, const char *method, const char *uri,
    const char *hdr, const void *body, size_t blen, struct auth_result *res)
{
	struct auth_http_req rq = { .method = method, .uri = uri, .authorization = hdr,
		.body = body, .body_len = blen };
	return auth_digest_verify(a, &rq, pw_cb, src, res);
}

static struct auth_result res;   /* large: keep off the stack */
static struct auth_challenges chs;

/* Replaces the first @p from in @p h by @p to (in place, h has room). */
static void edit(char *h, size_t size, const char *from, const char *to)
{
	char tmp[4096];
	char *at = strstr(h, from);
	ck_assert_ptr_nonnull(at);
	snprintf(tmp, sizeof(tmp), "%s", at + strlen(from));
	snprintf(at, size - (size_t)(at - h), "%s%s", to, tmp);
}

static void append(char *h, size_t size, const char *s)
{
	size_t n = strlen(h);
	snprintf(h + n, size - n, "%s", s);
}

/* ---- engine ------------------------------------------------------------ */

START_TEST(test_cfg_refused)
{
	struct auth_cfg cfg = { 0 };
	ck_assert_ptr_null(auth_new(&cfg));
	cfg.realms[0] = "bad\"realm";
	cfg.n_realms = 1;
	ck_assert_ptr_null(auth_new(&cfg));
	cfg.realms[0] = "ok";
	cfg.nonce_secret = (const uint8_t *)"short";
	cfg.nonce_secret_len = 5;
	ck_assert_ptr_null(auth_new(&cfg));
	cfg.nonce_secret = NULL;
	cfg.algs = 0x40;
	ck_assert_ptr_null(auth_new(&cfg));
	cfg.algs = 0;
	struct auth *a = auth_new(&cfg);   /* random secret */
	ck_assert_ptr_nonnull(a);
	auth_free(a);
	auth_free(NULL);

	ck_assert_str_eq(auth_alg_name(AUTH_ALG_SHA256_SESS), "SHA-256-sess");
	ck_assert_ptr_null(auth_alg_name(0x10));
	ck_assert_int_eq(auth_alg_from_name("md5-SESS"), AUTH_ALG_MD5_SESS);
	ck_assert_int_eq(auth_alg_from_name("AKAv1-MD5"), 0);
	ck_assert_int_eq(auth_alg_from_name(NULL), 0);
	ck_assert_uint_eq(auth_alg_hash_len(AUTH_ALG_MD5), 16);
	ck_assert_uint_eq(auth_alg_hash_len(AUTH_ALG_SHA256), 32);
	ck_assert_uint_eq(auth_alg_hash_len(3), 0);
	ck_assert_str_eq(auth_reason_str(AUTH_R_REPLAY), "nonce count replayed");
	ck_assert_str_eq(auth_reason_str(AUTH_R_FORBIDDEN), "service not allowed");
	ck_assert_str_eq(auth_reason_str(99), "unknown");
	ck_assert_int_eq(auth_reason_status(AUTH_R_ERROR), 500);
	ck_assert_int_eq(auth_reason_status(AUTH_R_OK), 200);
}
END_TEST

START_TEST(test_challenge_missing)
{
	struct auth *a = mk_auth(0, 0, 0);
	char nonce[128], nonce2[128];

	pres_clock_set(T0);
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", NULL, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_MISSING);
	ck_assert_int_eq(auth_reason_status(res.reason), 401);
	ck_assert_uint_eq(res.challenges.n, 4);    /* 2 realms x (SHA-256, MD5) */
	ck_assert_ptr_nonnull(strstr(res.challenges.v[0], "Digest realm=\"xcap.example.com\", "
	    "qop=\"auth-int,auth\", algorithm=SHA-256, nonce=\""));
	ck_assert_ptr_nonnull(strstr(res.challenges.v[1], "algorithm=MD5,"));
	ck_assert_ptr_nonnull(strstr(res.challenges.v[2],
	    "realm=\"3GPP-bootstrapping@xcap.example.com\""));
	ck_assert_ptr_nonnull(strstr(res.challenges.v[0], ", domain=\"/\""));
	ck_assert_ptr_null(strstr(res.challenges.v[0], "stale"));
	/* same nonce within a realm, different across realms */
	ch_param(res.challenges.v[0], "nonce", nonce, sizeof(nonce));
	ch_param(res.challenges.v[1], "nonce", nonce2, sizeof(nonce2));
	ck_assert_str_eq(nonce, nonce2);
	ck_assert_uint_eq(strlen(nonce), 48);
	ch_param(res.challenges.v[2], "nonce", nonce2, sizeof(nonce2));
	ck_assert_str_ne(nonce, nonce2);
	/* empty header, empty nonce (UE's first request) and Basic are "missing" too */
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", " ", NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_MISSING);
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", "Digest username=\"alice@ims.example.com\", "
	    "realm=\"xcap.example.com\", nonce=\"\", uri=\"/x\", response=\"\"", NULL, 0, &res),
	    PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_MISSING);
	ck_assert_int_eq(auth_reason_is_failure(res.reason), 0);
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", "Basic YTpi", NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_MISSING);
	/* malformed: 400 with challenges */
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", "Digest username=", NULL, 0, &res),
	    PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_MALFORMED);
	ck_assert_int_eq(auth_reason_status(res.reason), 400);
	ck_assert_uint_eq(res.challenges.n, 4);
	/* one realm only */
	struct auth_challenges ch;
	ck_assert_int_eq(auth_digest_challenge(a, "3GPP-bootstrapping@xcap.example.com", 1, &ch),
	    PRES_OK);
	ck_assert_uint_eq(ch.n, 2);
	ck_assert_ptr_nonnull(strstr(ch.v[0], ", stale=true"));
	ck_assert_int_eq(auth_digest_challenge(a, "other", 0, &ch), PRES_EINVAL);
	auth_free(a);
	pres_clock_set(0);
}
END_TEST

static void roundtrip(int alg, int qop)
{
	struct auth *a = mk_auth(AUTH_ALG_ALL, 0, 0);
	struct client c = alice(alg, qop);
	char hdr[2048], rsp[2 * AUTH_HASH_MAX + 1], want[128], ha1hex[80];
	uint8_t ha1[AUTH_HASH_MAX];
	size_t n;
	const char *body = "<doc/>";

	pres_clock_set(T0);
	ck_assert_int_eq(run(a, &alice_src, "PUT", "/x/y", NULL, NULL, 0, &res), PRES_EAUTH);
	ck_assert_uint_eq(res.challenges.n, 8);
	ck_assert_ptr_nonnull(strstr(res.challenges.v[0], "algorithm=SHA-256,"));
	ck_assert_ptr_nonnull(strstr(res.challenges.v[1], "algorithm=SHA-256-sess,"));
	ck_assert_ptr_nonnull(strstr(res.challenges.v[2], "algorithm=MD5,"));
	ck_assert_ptr_nonnull(strstr(res.challenges.v[3], "algorithm=MD5-sess,"));
	client_take(&c, &res.challenges);
	client_auth(&c, "PUT", "/x/y", 1, body, strlen(body), hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &alice_src, "PUT", "/x/y", hdr, body, strlen(body), &res), PRES_OK);
	ck_assert_int_eq(res.reason, AUTH_R_OK);
	ck_assert_str_eq(res.who.impi, "alice@ims.example.com");
	ck_assert_str_eq(res.who.username, "alice@ims.example.com");
	ck_assert_uint_eq(res.who.n_impus, 1);
	ck_assert_str_eq(res.who.impus[0], "sip:alice@ims.example.com");
	ck_assert_int_eq(res.who.auth_time, T0);
	ck_assert_int_eq(res.who.method, AUTH_METHOD_DIGEST);

	/* rspauth = response with an empty method (and the response body for auth-int) */
	ck_assert_int_eq(auth_digest_ha1(alg, c.user, c.realm, c.pw, c.pw_len, ha1, &n), PRES_OK);
	const char *rbody = "<ok/>";
	ck_assert_int_eq(auth_digest_response(alg, ha1, n, c.nonce, "00000001", "0a4f113b", qop,
	    "", "/x/y", (const uint8_t *)rbody, strlen(rbody), rsp), PRES_OK);
	snprintf(want, sizeof(want), "rspauth=\"%s\"", rsp);
	if (qop == AUTH_QOP_AUTH) {
		ck_assert_ptr_nonnull(strstr(res.auth_info, want));
		ck_assert_ptr_nonnull(strstr(res.auth_info, "qop=auth, "));
	} else {
		ck_assert_str_eq(res.auth_info, "");
		char info[AUTH_INFO_MAX];
		ck_assert_int_eq(auth_digest_auth_info(a, &res, (const uint8_t *)rbody,
		    strlen(rbody), info, sizeof(info)), PRES_OK);
		ck_assert_ptr_nonnull(strstr(info, want));
		ck_assert_ptr_nonnull(strstr(info, "qop=auth-int, "));
		ck_assert_ptr_nonnull(strstr(info, "cnonce=\"0a4f113b\", nc=00000001"));
		ck_assert_ptr_null(strstr(info, "nextnonce"));
	}
	pres_hex(ha1, n, ha1hex);
	ck_assert_int_ne(res.st.ha1_hex[0], 0);
	auth_result_wipe(&res);
	for (size_t i = 0; i < sizeof(res.st); i++)
		ck_assert_int_eq(((const uint8_t *)&res.st)[i], 0);

	/* body changed in transit: auth-int refuses, auth does not care */
	client_auth(&c, "PUT", "/x/y", 2, body, strlen(body), hdr, sizeof(hdr));
	int rc = run(a, &alice_src, "PUT", "/x/y", hdr, "<evil/>", 7, &res);
	if (qop == AUTH_QOP_AUTH_INT) {
		ck_assert_int_eq(rc, PRES_EAUTH);
		ck_assert_int_eq(res.reason, AUTH_R_BAD_RESPONSE);
	} else {
		ck_assert_int_eq(rc, PRES_OK);
	}
	/* wrong password */
	c.pw = (const uint8_t *)"guess";
	c.pw_len = 5;
	client_auth(&c, "PUT", "/x/y", 3, body, strlen(body), hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &alice_src, "PUT", "/x/y", hdr, body, strlen(body), &res),
	    PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_BAD_RESPONSE);
	ck_assert_ptr_null(strstr(res.challenges.v[0], "stale"));
	ck_assert_int_eq(auth_reason_is_failure(res.reason), 1);
	auth_free(a);
	pres_clock_set(0);
}

START_TEST(test_roundtrip_sha256_auth) { roundtrip(AUTH_ALG_SHA256, AUTH_QOP_AUTH); }
END_TEST
START_TEST(test_roundtrip_sha256_auth_int) { roundtrip(AUTH_ALG_SHA256, AUTH_QOP_AUTH_INT); }
END_TEST
START_TEST(test_roundtrip_md5_auth) { roundtrip(AUTH_ALG_MD5, AUTH_QOP_AUTH); }
END_TEST
START_TEST(test_roundtrip_md5_sess_auth_int) { roundtrip(AUTH_ALG_MD5_SESS, AUTH_QOP_AUTH_INT); }
END_TEST
START_TEST(test_roundtrip_sha256_sess) { roundtrip(AUTH_ALG_SHA256_SESS, AUTH_QOP_AUTH); }
END_TEST

/* GBA.md 1.5 identities through the engine with a raw-password source. */
START_TEST(test_engine_gba_example_source)
{
	struct auth_cfg cfg = { 0 };
	struct pw_source src = { .user = "user1_private@home1.net", .pw = gba_res,
		.pw_len = sizeof(gba_res) };
	struct client c = { .user = "user1_private@home1.net", .realm = "bsf.home1.net",
		.pw = gba_res, .pw_len = sizeof(gba_res), .alg = AUTH_ALG_MD5,
		.qop = AUTH_QOP_AUTH_INT };
	char hdr[2048];
	struct auth *a;

	cfg.realms[0] = "bsf.home1.net";
	cfg.n_realms = 1;
	cfg.algs = AUTH_ALG_MD5;
	cfg.qops = AUTH_QOP_AUTH_INT;
	a = auth_new(&cfg);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(auth_digest_challenge(a, NULL, 0, &res.challenges), PRES_OK);
	ck_assert_uint_eq(res.challenges.n, 1);
	ck_assert_ptr_nonnull(strstr(res.challenges.v[0], "qop=\"auth-int\", algorithm=MD5,"));
	client_take(&c, &res.challenges);
	client_auth(&c, "GET", "/", 1, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &src, "GET", "/", hdr, NULL, 0, &res), PRES_OK);
	ck_assert_str_eq(res.who.impi, "user1_private@home1.net");
	ck_assert_uint_eq(res.who.n_impus, 0);
	/* qop=auth not offered here */
	c.qop = AUTH_QOP_AUTH;
	client_auth(&c, "GET", "/", 2, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &src, "GET", "/", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_QOP);
	auth_free(a);
}
END_TEST

START_TEST(test_refusal_reasons)
{
	struct auth *a = mk_auth(0, 0, 0);
	struct client c = alice(AUTH_ALG_SHA256, AUTH_QOP_AUTH);
	struct pw_source src = alice_src;
	char hdr[2048];

	pres_clock_set(T0);
	ck_assert_int_eq(auth_digest_challenge(a, NULL, 0, &res.challenges), PRES_OK);
	client_take(&c, &res.challenges);

	/* uri mismatch: 400 */
	client_auth(&c, "GET", "/other", 1, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_URI);
	ck_assert_int_eq(auth_reason_status(res.reason), 400);

	/* realm not offered */
	struct client c2 = c;
	c2.realm = "evil.example.com";
	client_auth(&c2, "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_REALM);

	/* nonce of realm 1 used with realm 2: not ours for that realm */
	c2 = c;
	c2.realm = "3GPP-bootstrapping@xcap.example.com";
	{
		struct client tmp = c2;
		client_take(&tmp, &res.challenges);
		memcpy(c2.opaque, tmp.opaque, sizeof(c2.opaque));
	}
	client_auth(&c2, "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_NONCE);

	/* opaque wrong / missing */
	c2 = c;
	memcpy(c2.opaque, "AAAA", 5);
	client_auth(&c2, "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_OPAQUE);
	client_auth(&c, "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
	*strstr(hdr, ", opaque=") = '\0';
	append(hdr, sizeof(hdr), ", qop=auth, nc=00000001, cnonce=\"0a4f113b\"");
	ck_assert_int_eq(run(a, &src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_OPAQUE);

	/* algorithm not offered (engine offers SHA-256 and MD5 only) */
	c2 = c;
	c2.alg = AUTH_ALG_MD5_SESS;
	client_auth(&c2, "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_ALGORITHM);

	/* no qop while legacy mode is off */
	c2 = c;
	c2.qop = AUTH_QOP_NONE;
	client_auth(&c2, "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_QOP);

	/* qop without nc */
	client_auth(&c, "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
	*strstr(hdr, ", nc=") = '\0';
	ck_assert_int_eq(run(a, &src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_MALFORMED);

	/* userhash=true not offered */
	client_auth(&c, "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
	append(hdr, sizeof(hdr), ", userhash=true");
	ck_assert_int_eq(run(a, &src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_USERHASH);

	/* response of the wrong length (an MD5 response labelled SHA-256) */
	c2 = c;
	c2.alg = AUTH_ALG_MD5;
	client_auth(&c2, "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
	edit(hdr, sizeof(hdr), "algorithm=MD5,", "algorithm=SHA-256,");
	ck_assert_int_eq(run(a, &src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_MALFORMED);

	/* unknown user */
	c2 = c;
	c2.user = "mallory@ims.example.com";
	client_auth(&c2, "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_UNKNOWN_USER);
	ck_assert_str_eq(res.who.impi, "");

	/* credential source says "try later": passed through, no challenge */
	src.rc = PRES_EAGAIN;
	client_auth(&c, "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAGAIN);
	ck_assert_int_eq(res.reason, AUTH_R_ERROR);
	ck_assert_uint_eq(res.challenges.n, 0);
	src.rc = 0;

	/* known but not allowed: 403 without a challenge */
	src.rc = PRES_EAUTH;
	ck_assert_int_eq(run(a, &src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_FORBIDDEN);
	ck_assert_int_eq(auth_reason_status(res.reason), 403);
	ck_assert_uint_eq(res.challenges.n, 0);
	src.rc = 0;

	/* credential expired (e.g. Ks_NAF lifetime): re-challenge, not stale */
	src.expires = T0 - 1;
	ck_assert_int_eq(run(a, &src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_REAUTH);
	ck_assert_ptr_null(strstr(res.challenges.v[0], "stale"));
	src.expires = T0 + 3600;

	/* none of the above consumed nc 1: the right request still passes */
	ck_assert_int_eq(run(a, &src, "GET", "/x", hdr, NULL, 0, &res), PRES_OK);

	/* forced re-authentication after the nonce was issued */
	src.not_before = T0 + 5;
	pres_clock_set(T0 + 10);
	client_auth(&c, "GET", "/x", 2, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_REAUTH);
	ck_assert_ptr_null(strstr(res.challenges.v[0], "stale"));
	client_take(&c, &res.challenges);           /* a nonce issued after not_before */
	client_auth(&c, "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &src, "GET", "/x", hdr, NULL, 0, &res), PRES_OK);
	auth_free(a);
	pres_clock_set(0);
}
END_TEST

START_TEST(test_nonce_tamper_and_foreign)
{
	struct auth *a = mk_auth(0, 0, 0), *b;
	struct client c = alice(AUTH_ALG_SHA256, AUTH_QOP_AUTH);
	struct auth_cfg cfg = { 0 };
	uint8_t raw[40];
	char hdr[2048];

	pres_clock_set(T0);
	ck_assert_int_eq(auth_digest_challenge(a, "xcap.example.com", 0, &res.challenges), PRES_OK);
	client_take(&c, &res.challenges);

	/* flip each of a few bits of the decoded nonce: always refused */
	for (int bit = 0; bit < 36 * 8; bit += 37) {
		struct client t = c;
		ck_assert_int_eq(EVP_DecodeBlock(raw, (const unsigned char *)c.nonce, 48), 36);
		raw[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		EVP_EncodeBlock((unsigned char *)t.nonce, raw, 36);
		client_auth(&t, "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
		ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
		ck_assert_int_eq(res.reason, AUTH_R_NONCE);
	}
	/* truncated / garbage */
	struct client t = c;
	t.nonce[47] = '\0';
	client_auth(&t, "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_NONCE);
	t = c;
	t.nonce[10] = '*';
	client_auth(&t, "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_NONCE);

	/* an engine with another secret does not accept it */
	cfg.realms[0] = "xcap.example.com";
	cfg.n_realms = 1;
	b = auth_new(&cfg);
	ck_assert_ptr_nonnull(b);
	client_auth(&c, "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(b, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_ne(res.reason, AUTH_R_OK);
	auth_free(b);
	/* one sharing the secret (another node) does */
	b = mk_auth(0, 0, 0);
	ck_assert_int_eq(run(b, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_OK);
	auth_free(b);
	/* a nonce from the future (beyond skew) is refused */
	pres_clock_set(T0 - 3600);
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_NONCE);
	auth_free(a);
	pres_clock_set(0);
}
END_TEST

START_TEST(test_nonce_expiry_stale)
{
	struct auth *a = mk_auth(0, 0, 0);
	struct client c = alice(AUTH_ALG_MD5, AUTH_QOP_AUTH);
	char hdr[2048];

	pres_clock_set(T0);
	ck_assert_int_eq(auth_digest_challenge(a, NULL, 0, &res.challenges), PRES_OK);
	client_take(&c, &res.challenges);
	pres_clock_set(T0 + 100);   /* young: no nextnonce */
	client_auth(&c, "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_OK);
	ck_assert_ptr_null(strstr(res.auth_info, "nextnonce"));
	pres_clock_set(T0 + 200);   /* past half of 300 s: nextnonce offered */
	client_auth(&c, "GET", "/x", 2, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_OK);
	ck_assert_ptr_nonnull(strstr(res.auth_info, ", nextnonce=\""));
	pres_clock_set(T0 + 300);   /* still valid at exactly the lifetime */
	client_auth(&c, "GET", "/x", 3, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_OK);
	pres_clock_set(T0 + 301);
	client_auth(&c, "GET", "/x", 4, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_STALE);
	ck_assert_int_eq(auth_reason_status(res.reason), 401);
	ck_assert_ptr_nonnull(strstr(res.challenges.v[0], ", stale=true"));
	ck_assert_int_eq(auth_reason_is_failure(res.reason), 0);
	/* expired and wrong password: not stale, a plain failure */
	c.pw = (const uint8_t *)"nope";
	c.pw_len = 4;
	client_auth(&c, "GET", "/x", 5, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_BAD_RESPONSE);
	ck_assert_ptr_null(strstr(res.challenges.v[0], "stale"));
	auth_free(a);
	pres_clock_set(0);
}
END_TEST

START_TEST(test_nonce_count_replay)
{
	struct auth *a = mk_auth(0, 0, 0);
	struct client c = alice(AUTH_ALG_SHA256, AUTH_QOP_AUTH);
	char hdr1[2048], hdr[2048];

	pres_clock_set(T0);
	ck_assert_int_eq(auth_digest_challenge(a, NULL, 0, &res.challenges), PRES_OK);
	client_take(&c, &res.challenges);
	client_auth(&c, "GET", "/x", 1, NULL, 0, hdr1, sizeof(hdr1));
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr1, NULL, 0, &res), PRES_OK);
	/* the very same request again: replay */
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr1, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_REPLAY);
	ck_assert_ptr_nonnull(strstr(res.challenges.v[0], ", stale=true"));
	/* increasing nc on the same nonce: accepted, gaps allowed */
	client_auth(&c, "GET", "/x", 2, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_OK);
	client_auth(&c, "GET", "/x", 5, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_OK);
	client_auth(&c, "GET", "/x", 3, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_REPLAY);
	client_auth(&c, "GET", "/x", 0, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_REPLAY);
	auth_free(a);
	pres_clock_set(0);
}
END_TEST

START_TEST(test_legacy_no_qop)
{
	struct auth *a = mk_auth(0, 1, 0);
	struct client c = alice(AUTH_ALG_MD5, AUTH_QOP_NONE);
	char hdr[2048];

	pres_clock_set(T0);
	ck_assert_int_eq(auth_digest_challenge(a, NULL, 0, &res.challenges), PRES_OK);
	client_take(&c, &res.challenges);
	client_auth(&c, "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_OK);
	ck_assert_str_eq(res.auth_info, "");        /* no rspauth without qop */
	/* without nc, a nonce is good for one request */
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_REPLAY);
	/* -sess needs a cnonce, hence qop */
	c.alg = AUTH_ALG_MD5_SESS;
	auth_free(a);
	a = mk_auth(AUTH_ALG_MD5_SESS, 1, 0);
	ck_assert_int_eq(auth_digest_challenge(a, NULL, 0, &res.challenges), PRES_OK);
	client_take(&c, &res.challenges);
	snprintf(hdr, sizeof(hdr), "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"/x\", "
	    "response=\"00000000000000000000000000000000\", algorithm=MD5-sess, opaque=\"%s\"",
	    c.user, c.realm, c.nonce, c.opaque);
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_MALFORMED);
	auth_free(a);
	pres_clock_set(0);
}
END_TEST

/* A full table evicts; an evicted nonce is then stale, never replayable. */
START_TEST(test_nonce_table_eviction)
{
	struct auth *a = mk_auth(0, 0, 16);   /* one probe window */
	struct client cs[20];
	char hdr[2048];

	for (int i = 0; i < 20; i++) {
		pres_clock_set(T0 + i);
		cs[i] = alice(AUTH_ALG_SHA256, AUTH_QOP_AUTH);
		ck_assert_int_eq(auth_digest_challenge(a, "xcap.example.com", 0, &res.challenges),
		    PRES_OK);
		client_take(&cs[i], &res.challenges);
		client_auth(&cs[i], "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
		ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_OK);
	}
	/* the first four were evicted: replaying them is refused (stale) */
	for (int i = 0; i < 4; i++) {
		client_auth(&cs[i], "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
		ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
		ck_assert_int_eq(res.reason, AUTH_R_STALE);
	}
	/* the recent ones are still tracked */
	client_auth(&cs[19], "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_REPLAY);
	client_auth(&cs[19], "GET", "/x", 2, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_OK);
	/* after expiry the slots are reusable */
	pres_clock_set(T0 + 1000);
	struct client c = alice(AUTH_ALG_SHA256, AUTH_QOP_AUTH);
	ck_assert_int_eq(auth_digest_challenge(a, "xcap.example.com", 0, &res.challenges), PRES_OK);
	client_take(&c, &res.challenges);
	client_auth(&c, "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run(a, &alice_src, "GET", "/x", hdr, NULL, 0, &res), PRES_OK);
	auth_free(a);
	pres_clock_set(0);
}
END_TEST


/* Deterministic mutation fuzzing of the parser and the engine: no crash, no
 * sanitizer report, only documented results, never a false success. */
START_TEST(test_fuzz_mutations)
{
	static const char alphabet[] = "\"\\,= \t=aZ09/+-\x01\x7f\xff";
	struct auth *a = mk_auth(AUTH_ALG_ALL, 1, 64);
	struct client c = alice(AUTH_ALG_SHA256, AUTH_QOP_AUTH_INT);
	struct auth_digest_params p;
	char good[2048], hdr[2048];
	uint32_t seed = 12345;
	int ok = 0;

	pres_clock_set(T0);
	ck_assert_int_eq(auth_digest_challenge(a, NULL, 0, &chs), PRES_OK);
	client_take(&c, &chs);
	client_auth(&c, "GET", "/x", 1, NULL, 0, good, sizeof(good));
	for (int it = 0; it < 4000; it++) {
		size_t len = strlen(good);
		memcpy(hdr, good, len + 1);
		int edits = 1 + (int)((seed >> 8) % 4);
		for (int k = 0; k < edits; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t pos = (seed >> 4) % len;
			seed = seed * 1103515245u + 12345u;
			switch ((seed >> 16) % 4) {
			case 0:   /* replace with a special character */
				hdr[pos] = alphabet[(seed >> 3) % (sizeof(alphabet) - 1)];
				break;
			case 1:   /* flip a bit */
				hdr[pos] = (char)(hdr[pos] ^ (1 << ((seed >> 5) % 7)));
				if (!hdr[pos])
					hdr[pos] = 'x';
				break;
			case 2:   /* truncate */
				hdr[pos] = '\0';
				len = pos ? pos : 1;
				break;
			default:  /* delete one character */
				memmove(hdr + pos, hdr + pos + 1, len - pos);
				len = len > 1 ? len - 1 : 1;
				break;
			}
			if (!hdr[0]) {
				hdr[0] = 'D';
				hdr[1] = '\0';
			}
			len = strlen(hdr);
		}
		int rc = auth_digest_parse(hdr, &p);
		ck_assert(rc == PRES_OK || rc == PRES_EINVAL || rc == PRES_ENOTFOUND ||
		    rc == PRES_ETOOBIG);
		rc = run(a, &alice_src, "GET", "/x", hdr, NULL, 0, &res);
		ck_assert(rc == PRES_OK || rc == PRES_EAUTH);
		if (rc == PRES_OK) {
			/* only harmless edits (case, whitespace, unknown params) pass */
			ck_assert_str_eq(res.who.impi, "alice@ims.example.com");
			ok++;
		} else {
			ck_assert_uint_gt(res.challenges.n, 0);
		}
	}
	/* nonce-count: at most one success per distinct nc, and only nc=1 exists */
	ck_assert_int_le(ok, 1);
	auth_free(a);
	pres_clock_set(0);
}
END_TEST

/* ---- identity ---------------------------------------------------------- */

static void mk_identity(struct auth_identity *id)
{
	auth_identity_init(id);
	pres_strlcpy(id->impi, "alice@ims.example.com", sizeof(id->impi));
	ck_assert_int_eq(auth_identity_add_impu(id, "sip:alice@IMS.Example.com;transport=tcp"),
	    PRES_OK);
	ck_assert_int_eq(auth_identity_add_impu(id, "<tel:+1-555-0001>"), PRES_OK);
	ck_assert_int_eq(auth_identity_add_impu(id, "sip:alice@ims.example.com"), PRES_OK);
	ck_assert_int_eq(auth_identity_add_impu(id, "sip:user@as1.home1.net"), PRES_OK);
	ck_assert_int_eq(auth_identity_add_impu(id, "alice"), PRES_EINVAL);
}

START_TEST(test_identity_set)
{
	struct auth_identity id;
	mk_identity(&id);
	ck_assert_uint_eq(id.n_impus, 3);
	ck_assert_str_eq(id.impus[0], "sip:alice@ims.example.com");
	ck_assert_str_eq(id.impus[1], "tel:+15550001");
	ck_assert_str_eq(id.impus[2], "sip:user@as1.home1.net");
	for (int i = 0; i < 40; i++) {
		char u[64];
		snprintf(u, sizeof(u), "sip:u%d@x.org", i);
		int rc = auth_identity_add_impu(&id, u);
		ck_assert_int_eq(rc, i < AUTH_MAX_IMPUS - 3 ? PRES_OK : PRES_ETOOBIG);
	}
}
END_TEST

START_TEST(test_intended_identity_forms)
{
	char out[AUTH_NAME_MAX];
	ck_assert_int_eq(auth_intended_identity_parse("\"user@as1.home1.net\"", out, sizeof(out)),
	    PRES_OK);
	ck_assert_str_eq(out, "sip:user@as1.home1.net");
	ck_assert_int_eq(auth_intended_identity_parse(" user@AS1.home1.net ", out, sizeof(out)),
	    PRES_OK);
	ck_assert_str_eq(out, "sip:user@as1.home1.net");
	ck_assert_int_eq(auth_intended_identity_parse("sip:alice@ims.example.com", out, sizeof(out)),
	    PRES_OK);
	ck_assert_str_eq(out, "sip:alice@ims.example.com");
	ck_assert_int_eq(auth_intended_identity_parse("<sip:alice@ims.example.com>", out,
	    sizeof(out)), PRES_OK);
	ck_assert_str_eq(out, "sip:alice@ims.example.com");
	ck_assert_int_eq(auth_intended_identity_parse("\"<tel:+1-555-0001>\"", out, sizeof(out)),
	    PRES_OK);
	ck_assert_str_eq(out, "tel:+15550001");
	ck_assert_int_eq(auth_intended_identity_parse("\"sip:a\\\"b@x\"", out, sizeof(out)),
	    PRES_EINVAL);
	ck_assert_int_eq(auth_intended_identity_parse("\"user@as1.home1.net", out, sizeof(out)),
	    PRES_EINVAL);
	ck_assert_int_eq(auth_intended_identity_parse("\"a@b\" x", out, sizeof(out)), PRES_EINVAL);
	ck_assert_int_eq(auth_intended_identity_parse("alice", out, sizeof(out)), PRES_EINVAL);
	ck_assert_int_eq(auth_intended_identity_parse("http://x@y", out, sizeof(out)), PRES_EINVAL);
	ck_assert_int_eq(auth_intended_identity_parse("<sip:a@b", out, sizeof(out)), PRES_EINVAL);
	ck_assert_int_eq(auth_intended_identity_parse("\"\"", out, sizeof(out)), PRES_EINVAL);
	ck_assert_int_eq(auth_intended_identity_parse("sip:a@b\r\nX: y", out, sizeof(out)),
	    PRES_EINVAL);
}
END_TEST

START_TEST(test_identity_select)
{
	struct auth_identity id, empty;
	char out[AUTH_NAME_MAX];
	mk_identity(&id);
	ck_assert_int_eq(auth_identity_select(&id, NULL, out, sizeof(out)), PRES_OK);
	ck_assert_str_eq(out, "sip:alice@ims.example.com");
	ck_assert_int_eq(auth_identity_select(&id, "  ", out, sizeof(out)), PRES_OK);
	ck_assert_str_eq(out, "sip:alice@ims.example.com");
	ck_assert_int_eq(auth_identity_select(&id, "\"user@as1.home1.net\"", out, sizeof(out)),
	    PRES_OK);
	ck_assert_str_eq(out, "sip:user@as1.home1.net");
	ck_assert_int_eq(auth_identity_select(&id, "tel:+15550001", out, sizeof(out)), PRES_OK);
	ck_assert_str_eq(out, "tel:+15550001");
	ck_assert_int_eq(auth_identity_select(&id, "\"bob@ims.example.com\"", out, sizeof(out)),
	    PRES_EAUTH);
	ck_assert_int_eq(auth_identity_select(&id, "sip:Alice@ims.example.com", out, sizeof(out)),
	    PRES_EAUTH);   /* user part is case-sensitive */
	ck_assert_int_eq(auth_identity_select(&id, "\"broken", out, sizeof(out)), PRES_EINVAL);
	auth_identity_init(&empty);
	ck_assert_int_eq(auth_identity_select(&empty, NULL, out, sizeof(out)), PRES_EAUTH);
}
END_TEST

START_TEST(test_xui_access_and_stale)
{
	struct auth_identity id;
	mk_identity(&id);
	ck_assert_int_eq(auth_may_access_xui(&id, "sip:alice@ims.example.com"), 1);
	ck_assert_int_eq(auth_may_access_xui(&id, "sip:alice@IMS.EXAMPLE.COM"), 1);
	ck_assert_int_eq(auth_may_access_xui(&id, "tel:+15550001"), 1);
	ck_assert_int_eq(auth_may_access_xui(&id, "sip:bob@ims.example.com"), 0);
	ck_assert_int_eq(auth_may_access_xui(&id, "alice@ims.example.com"), 0);
	ck_assert_int_eq(auth_may_access_xui(&id, ""), 0);
	ck_assert_int_eq(auth_may_access_xui(&id, NULL), 0);
	ck_assert_int_eq(auth_may_access_xui(NULL, "sip:alice@ims.example.com"), 0);
	id.auth_time = 1000;
	ck_assert_int_eq(auth_identity_is_stale(&id, 0), 0);
	ck_assert_int_eq(auth_identity_is_stale(&id, 1000), 0);
	ck_assert_int_eq(auth_identity_is_stale(&id, 1001), 1);
}
END_TEST

/* ---- password source over (fake) db ------------------------------------ */

struct db { int dummy; };
static struct db fake_db;
static int fake_db_fail;

int db_digest_get(struct db *db, const char *username, const char *realm,
    struct db_digest_cred *out, char *impi_out)
{
	static const char *const users[] = { "alice@ims.example.com", "alice" };
	uint8_t h[32];
	size_t n;

	ck_assert_ptr_eq(db, &fake_db);
	if (fake_db_fail)
		return PRES_EDB;
	if (strcmp(realm, "xcap.example.com") != 0)
		return PRES_ENOTFOUND;
	for (size_t i = 0; i < PRES_ARRAY_LEN(users); i++) {
		if (strcmp(users[i], username) != 0)
			continue;
		memset(out, 0, sizeof(*out));
		pres_strlcpy(out->username, username, sizeof(out->username));
		pres_strlcpy(out->realm, realm, sizeof(out->realm));
		auth_digest_ha1(AUTH_ALG_MD5, username, realm, (const uint8_t *)"secret", 6, h, &n);
		pres_hex(h, n, out->ha1_md5);
		if (i == 0) {   /* only the IMPI has a SHA-256 credential */
			auth_digest_ha1(AUTH_ALG_SHA256, username, realm,
			    (const uint8_t *)"secret", 6, h, &n);
			pres_hex(h, n, out->ha1_sha256);
		}
		pres_strlcpy(impi_out, "alice@ims.example.com", DB_URI_MAX);
		return PRES_OK;
	}
	return PRES_ENOTFOUND;
}

int db_subscriber_get(struct db *db, const char *impi, struct db_subscriber *out)
{
	ck_assert_ptr_eq(db, &fake_db);
	if (strcmp(impi, "alice@ims.example.com") != 0)
		return PRES_ENOTFOUND;
	memset(out, 0, sizeof(*out));
	pres_strlcpy(out->impi, impi, sizeof(out->impi));
	out->n_impus = 2;
	pres_strlcpy(out->impus[0], "sip:alice@ims.example.com", DB_URI_MAX);
	pres_strlcpy(out->impus[1], "tel:+15550001", DB_URI_MAX);
	memset(out->k, 0x11, sizeof(out->k));
	out->auth_not_before = 0;
	return PRES_OK;
}

void db_subscriber_wipe(struct db_subscriber *s)
{
	memset(s->k, 0, sizeof(s->k));
	memset(s->opc, 0, sizeof(s->opc));
}

static int run_db(struct auth *a, struct auth_db_source *src, const char *hdr)
{
	struct auth_http_req rq = { .method = "GET", .uri = "/x", .authorization = hdr };
	return auth_digest_verify(a, &rq, auth_db_cred_cb, src, &res);
}

START_TEST(test_db_source)
{
	struct auth *a = mk_auth(0, 0, 0);
	struct auth_db_source src = { .db = &fake_db, .allow_impu_username = 0 };
	struct client c = alice(AUTH_ALG_SHA256, AUTH_QOP_AUTH);
	struct auth_identity id;
	char hdr[2048];

	pres_clock_set(T0);
	ck_assert_int_eq(auth_identity_from_db(&fake_db, "alice@ims.example.com", &id), PRES_OK);
	ck_assert_str_eq(id.impi, "alice@ims.example.com");
	ck_assert_uint_eq(id.n_impus, 2);
	ck_assert_str_eq(id.impus[1], "tel:+15550001");
	ck_assert_int_eq(auth_identity_from_db(&fake_db, "nobody", &id), PRES_ENOTFOUND);

	ck_assert_int_eq(auth_digest_challenge(a, NULL, 0, &chs), PRES_OK);
	client_take(&c, &chs);
	client_auth(&c, "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run_db(a, &src, hdr), PRES_OK);
	ck_assert_str_eq(res.who.impi, "alice@ims.example.com");
	ck_assert_uint_eq(res.who.n_impus, 2);
	ck_assert_int_eq(auth_may_access_xui(&res.who, "tel:+15550001"), 1);

	/* "alice" (an IMPU user part) has only an MD5 credential and needs the flag */
	c.user = "alice";
	c.alg = AUTH_ALG_MD5;
	ck_assert_int_eq(auth_digest_challenge(a, NULL, 0, &chs), PRES_OK);
	client_take(&c, &chs);
	client_auth(&c, "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run_db(a, &src, hdr), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_UNKNOWN_USER);
	src.allow_impu_username = 1;
	ck_assert_int_eq(run_db(a, &src, hdr), PRES_OK);
	ck_assert_str_eq(res.who.impi, "alice@ims.example.com");
	ck_assert_str_eq(res.who.username, "alice");
	c.alg = AUTH_ALG_SHA256;
	client_take(&c, &chs);
	client_auth(&c, "GET", "/x", 1, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run_db(a, &src, hdr), PRES_EAUTH);
	ck_assert_int_eq(res.reason, AUTH_R_UNKNOWN_USER);

	/* storage failure is an error, not a challenge */
	fake_db_fail = 1;
	client_auth(&c, "GET", "/x", 2, NULL, 0, hdr, sizeof(hdr));
	ck_assert_int_eq(run_db(a, &src, hdr), PRES_EDB);
	ck_assert_int_eq(res.reason, AUTH_R_ERROR);
	fake_db_fail = 0;
	auth_free(a);
	pres_clock_set(0);
}
END_TEST

/* ---- rate limit -------------------------------------------------------- */

START_TEST(test_ratelimit_basic)
{
	struct auth_rl *rl = auth_rl_new(NULL);
	ck_assert_ptr_nonnull(rl);
	for (int i = 0; i < 10; i++) {
		ck_assert_int_eq(auth_rl_blocked(rl, "192.0.2.1", T0 + i), 0);
		ck_assert_int_eq(auth_rl_fail(rl, "192.0.2.1", T0 + i), 0);
	}
	ck_assert_int_eq(auth_rl_fail(rl, "192.0.2.1", T0 + 10), 1);   /* the 11th */
	ck_assert_int_eq(auth_rl_blocked(rl, "192.0.2.1", T0 + 10), 60);
	ck_assert_int_eq(auth_rl_blocked(rl, "192.0.2.1", T0 + 69), 1);
	ck_assert_int_eq(auth_rl_blocked(rl, "192.0.2.2", T0 + 10), 0); /* others unaffected */
	auth_rl_success(rl, "192.0.2.1", T0 + 20);                      /* no early release */
	ck_assert_int_gt(auth_rl_blocked(rl, "192.0.2.1", T0 + 20), 0);
	ck_assert_int_eq(auth_rl_blocked(rl, "192.0.2.1", T0 + 70), 0);
	/* a fresh window after the block */
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(auth_rl_fail(rl, "192.0.2.1", T0 + 70), 0);
	/* success forgets the count */
	auth_rl_success(rl, "192.0.2.1", T0 + 71);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(auth_rl_fail(rl, "192.0.2.1", T0 + 72), 0);
	ck_assert_int_eq(auth_rl_blocked(rl, "192.0.2.1", T0 + 72), 0);
	/* failures spread over windows never block */
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(auth_rl_fail(rl, "2001:db8::1", T0 + 100 + i * 7), 0);
	auth_rl_free(rl);
	auth_rl_free(NULL);
}
END_TEST

START_TEST(test_ratelimit_bounded)
{
	struct auth_rl_cfg cfg = { .table_size = 32, .max_failures = 2, .window = 10,
		.block_time = 30 };
	struct auth_rl *rl = auth_rl_new(&cfg);
	char ip[64];

	ck_assert_int_eq(auth_rl_fail(rl, "198.51.100.7", T0), 0);
	ck_assert_int_eq(auth_rl_fail(rl, "198.51.100.7", T0), 0);
	ck_assert_int_eq(auth_rl_fail(rl, "198.51.100.7", T0), 1);
	/* many other sources: the table stays bounded and keeps working */
	for (int i = 0; i < 1000; i++) {
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 256, i % 256);
		auth_rl_fail(rl, ip, T0 + 1);
	}
	/* blocked entries are evicted last, so the block holds */
	ck_assert_int_eq(auth_rl_blocked(rl, "198.51.100.7", T0 + 2), 28);
	auth_rl_free(rl);
}
END_TEST

struct rl_thread_arg {
	struct auth_rl *rl;
	int id;
	int blocked;
};

static void *rl_thread(void *p)
{
	struct rl_thread_arg *t = p;
	char ip[64];
	for (int i = 0; i < 2000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.0.%d", t->id, i % 50);
		t->blocked += auth_rl_fail(t->rl, ip, T0);
		(void)auth_rl_blocked(t->rl, ip, T0);
	}
	return NULL;
}

START_TEST(test_ratelimit_threads)
{
	struct auth_rl *rl = auth_rl_new(NULL);
	pthread_t th[4];
	struct rl_thread_arg args[4];
	for (int i = 0; i < 4; i++) {
		args[i] = (struct rl_thread_arg){ .rl = rl, .id = i };
		ck_assert_int_eq(pthread_create(&th[i], NULL, rl_thread, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		/* each of 50 addresses failed 40 times: blocked from the 11th on */
		ck_assert_int_eq(args[i].blocked, 50 * 30);
	}
	auth_rl_free(rl);
}
END_TEST

/* ---- auth_not_before cache (forced re-authentication) ---------------- */

START_TEST(test_nbc_lifetime)
{
	struct auth_nbc *c = auth_nbc_new(4, 1000);
	int64_t nb = -1;
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(auth_nbc_get(c, "alice@ims.example.com", 5000, &nb), 0);
	auth_nbc_put(c, "alice@ims.example.com", 1700000000, 5000);
	ck_assert_int_eq(auth_nbc_get(c, "alice@ims.example.com", 5000, &nb), 1);
	ck_assert_int_eq(nb, 1700000000);
	ck_assert_int_eq(auth_nbc_get(c, "alice@ims.example.com", 5999, &nb), 1);
	ck_assert_int_eq(auth_nbc_get(c, "bob@ims.example.com", 5500, &nb), 0);
	/* at the lifetime: read the database again (a reauth order given in
	 * another process is seen after at most the lifetime) */
	ck_assert_int_eq(auth_nbc_get(c, "alice@ims.example.com", 6000, &nb), 0);
	ck_assert_int_eq(auth_nbc_get(c, "alice@ims.example.com", 5100, &nb), 0);  /* dropped */
	/* a new value replaces the old one */
	auth_nbc_put(c, "alice@ims.example.com", 0, 7000);
	auth_nbc_put(c, "alice@ims.example.com", 1700000100, 7001);
	ck_assert_int_eq(auth_nbc_get(c, "alice@ims.example.com", 7002, &nb), 1);
	ck_assert_int_eq(nb, 1700000100);
	/* a clock that went back never extends an entry */
	ck_assert_int_eq(auth_nbc_get(c, "alice@ims.example.com", 6000, &nb), 0);
	/* forget */
	auth_nbc_put(c, "alice@ims.example.com", 5, 8000);
	auth_nbc_forget(c, "alice@ims.example.com");
	ck_assert_int_eq(auth_nbc_get(c, "alice@ims.example.com", 8000, &nb), 0);
	auth_nbc_free(c);
	ck_assert_ptr_null(auth_nbc_new(0, 1000));
	ck_assert_ptr_null(auth_nbc_new(4, 0));
	auth_nbc_free(NULL);
}
END_TEST

START_TEST(test_nbc_bounded)
{
	struct auth_nbc *c = auth_nbc_new(3, 1000);
	int64_t nb;
	char impi[64];
	ck_assert_ptr_nonnull(c);
	for (int i = 0; i < 10; i++) {
		snprintf(impi, sizeof(impi), "u%d@ims.example.com", i);
		auth_nbc_put(c, impi, i, 100 + i);
	}
	/* three slots: the three newest stay, the oldest went */
	int found = 0;
	for (int i = 0; i < 10; i++) {
		snprintf(impi, sizeof(impi), "u%d@ims.example.com", i);
		if (auth_nbc_get(c, impi, 200, &nb)) {
			ck_assert_int_ge(i, 7);
			ck_assert_int_eq(nb, i);
			found++;
		}
	}
	ck_assert_int_eq(found, 3);
	/* names that do not fit are not stored (and never match a prefix) */
	char big[AUTH_NAME_MAX + 10];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	auth_nbc_put(c, big, 1, 300);
	ck_assert_int_eq(auth_nbc_get(c, big, 300, &nb), 0);
	auth_nbc_put(c, "", 1, 300);
	ck_assert_int_eq(auth_nbc_get(c, "", 300, &nb), 0);
	auth_nbc_free(c);
}
END_TEST

START_TEST(test_idc)
{
	struct auth_idc *c = auth_idc_new(2, 1000);
	struct auth_identity id, got;
	ck_assert_ptr_nonnull(c);
	auth_identity_init(&id);
	ck_assert_int_eq(auth_identity_add_impu(&id, "tel:+15550001"), PRES_OK);
	ck_assert_int_eq(auth_identity_add_impu(&id, "sip:alice@ims.example.com"), PRES_OK);
	pres_strlcpy(id.impi, "alice@ims.example.com", sizeof(id.impi));
	ck_assert_int_eq(auth_idc_get(c, "tel:+15550001", 100, &got), 0);
	auth_idc_put(c, "tel:+15550001", &id, 100);
	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(auth_idc_get(c, "tel:+15550001", 1099, &got), 1);
	ck_assert_str_eq(got.impi, "alice@ims.example.com");
	ck_assert_uint_eq(got.n_impus, 2);
	ck_assert_str_eq(got.impus[0], "tel:+15550001");   /* the asserted IMPU first */
	ck_assert_int_eq(auth_idc_get(c, "sip:alice@ims.example.com", 500, &got), 0);
	ck_assert_int_eq(auth_idc_get(c, "tel:+15550001", 1100, &got), 0);  /* lifetime over */
	ck_assert_int_eq(auth_idc_get(c, "tel:+15550001", 200, &got), 0);   /* and dropped */
	/* two slots: a third key evicts the oldest */
	auth_idc_put(c, "a", &id, 10);
	auth_idc_put(c, "b", &id, 20);
	auth_idc_put(c, "c", &id, 30);
	ck_assert_int_eq(auth_idc_get(c, "a", 40, &got), 0);
	ck_assert_int_eq(auth_idc_get(c, "b", 40, &got), 1);
	ck_assert_int_eq(auth_idc_get(c, "c", 40, &got), 1);
	auth_idc_free(c);
	ck_assert_ptr_null(auth_idc_new(0, 1));
	auth_idc_free(NULL);
}
END_TEST

static Suite *auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("vectors");
	tcase_add_test(tc, test_rfc7616_md5);
	tcase_add_test(tc, test_rfc7616_sha256);
	tcase_add_test(tc, test_rfc7616_parse_and_recompute);
	tcase_add_test(tc, test_rfc2617_example);
	tcase_add_test(tc, test_gba_auth_int_example);
	suite_add_tcase(s, tc);

	tc = tcase_create("parser");
	tcase_add_test(tc, test_parse_escapes_and_order);
	tcase_add_test(tc, test_parse_refusals);
	suite_add_tcase(s, tc);

	tc = tcase_create("engine");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_cfg_refused);
	tcase_add_test(tc, test_challenge_missing);
	tcase_add_test(tc, test_roundtrip_sha256_auth);
	tcase_add_test(tc, test_roundtrip_sha256_auth_int);
	tcase_add_test(tc, test_roundtrip_md5_auth);
	tcase_add_test(tc, test_roundtrip_md5_sess_auth_int);
	tcase_add_test(tc, test_roundtrip_sha256_sess);
	tcase_add_test(tc, test_engine_gba_example_source);
	tcase_add_test(tc, test_refusal_reasons);
	tcase_add_test(tc, test_nonce_tamper_and_foreign);
	tcase_add_test(tc, test_nonce_expiry_stale);
	tcase_add_test(tc, test_nonce_count_replay);
	tcase_add_test(tc, test_legacy_no_qop);
	tcase_add_test(tc, test_nonce_table_eviction);
	tcase_add_test(tc, test_db_source);
	suite_add_tcase(s, tc);

	/* the machine is shared and sanitizers slow this down: generous limit */
	tc = tcase_create("fuzz");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fuzz_mutations);
	suite_add_tcase(s, tc);

	tc = tcase_create("identity");
	tcase_add_test(tc, test_identity_set);
	tcase_add_test(tc, test_intended_identity_forms);
	tcase_add_test(tc, test_identity_select);
	tcase_add_test(tc, test_xui_access_and_stale);
	suite_add_tcase(s, tc);

	tc = tcase_create("ratelimit");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_ratelimit_basic);
	tcase_add_test(tc, test_ratelimit_bounded);
	tcase_add_test(tc, test_ratelimit_threads);
	suite_add_tcase(s, tc);

	tc = tcase_create("nbcache");
	tcase_add_test(tc, test_nbc_lifetime);
	tcase_add_test(tc, test_nbc_bounded);
	tcase_add_test(tc, test_idc);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(auth_suite());
	int failed;
	log_init(0, "check_auth", LOG_LVL_WARN);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
