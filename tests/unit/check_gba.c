/* check_gba.c - unit tests of the GBA part of auth/ (auth/gba.h). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "pres.h"
#include "auth/auth.h"
#include "auth/gba.h"
#include "db/db.h"

#define T0 1800000000LL /* fixed test clock: 2027-01-15T08:00:00Z */

static void unhex(const char *h, uint8_t *out, size_t n)
{
	ck_assert_int_eq(pres_unhex(h, out, n), PRES_OK);
}

static void assert_hex(const uint8_t *b, size_t n, const char *want)
{
	char h[129];

	ck_assert_uint_lt(n, 65);
	pres_hex(b, n, h);
	ck_assert_str_eq(h, want);
}

/* ===== Milenage ===================================================== */

struct mset {
	const char *k, *rand, *sqn, *amf, *op, *opc, *f1, *f1s, *f2, *f3, *f4, *f5, *f5s, *autn;
};

/* TS 35.207 test sets 1-3 (GBA.md 5.2). */
static const struct mset msets[] = {
	{ "465b5ce8b199b49faa5f0a2ee238a6bc", "23553cbe9637a89d218ae64dae47bf35", "ff9bb4d0b607",
	  "b9b9", "cdc202d5123e20f62b6d676ac72cb318", "cd63cb71954a9f4e48a5994e37a02baf",
	  "4a9ffac354dfafb3", "01cfaf9ec4e871e9", "a54211d5e3ba50bf",
	  "b40ba9a3c58b2a05bbf0d987b21bf8cb", "f769bcd751044604127672711c6d3441", "aa689c648370",
	  "451e8beca43b", "55f328b43577b9b94a9ffac354dfafb3" },
	{ "0396eb317b6d1c36f19c1c84cd6ffd16", "c00d603103dcee52c4478119494202e8", "fd8eef40df7d",
	  "af17", "ff53bade17df5d4e793073ce9d7579fa", "53c15671c60a4b731c55b4a441c0bde2",
	  "5df5b31807e258b0", "a8c016e51ef4a343", "d3a628ed988620f0",
	  "58c433ff7a7082acd424220f2b67c556", "21a8c1f929702adb3e738488b9f5c5da", "c47783995f72",
	  "30f1197061c1", "39f96cd9800faf175df5b31807e258b0" },
	{ "fec86ba6eb707ed08905757b1bb44b8f", "9f7c8d021accf4db213ccff0c7f71a6a", "9d0277595ffc",
	  "725c", "dbc59adcb6f9a0ef735477b7fadf8374", "1006020f0a478bf6b699f15c062e42b3",
	  "9cabc3e99baf7281", "95814ba2b3044324", "8011c48c0c214ed2",
	  "5dbdbb2954e8f3cde665b046179a5098", "59a92d3b476a0443487055cf88b2307b", "33484dc2136b",
	  "deacdd848cc6", "ae4a3a9b4c97725c9cabc3e99baf7281" },
};

static uint64_t sqn_of(const char *hex)
{
	uint8_t b[6];
	uint64_t v = 0;

	unhex(hex, b, 6);
	for (int i = 0; i < 6; i++)
		v = (v << 8) | b[i];
	return v;
}

START_TEST(test_milenage_sets)
{
	const struct mset *m = &msets[_i];
	uint8_t k[16], rand[16], sqn[6], amf[2], op[16], opc[16];
	uint8_t mac_a[8], mac_s[8], res[8], ck[16], ik[16], ak[6], aks[6], autn[16];
	uint8_t res2[8], ck2[16], ik2[16];
	uint64_t sqn_out = 0;

	unhex(m->k, k, 16);
	unhex(m->rand, rand, 16);
	unhex(m->sqn, sqn, 6);
	unhex(m->amf, amf, 2);
	unhex(m->op, op, 16);
	ck_assert_int_eq(gba_milenage_opc(k, op, opc), PRES_OK);
	assert_hex(opc, 16, m->opc);
	ck_assert_int_eq(gba_milenage_f1(k, opc, rand, sqn, amf, mac_a, mac_s), PRES_OK);
	assert_hex(mac_a, 8, m->f1);
	assert_hex(mac_s, 8, m->f1s);
	ck_assert_int_eq(gba_milenage_f2345(k, opc, rand, res, ck, ik, ak, aks), PRES_OK);
	assert_hex(res, 8, m->f2);
	assert_hex(ck, 16, m->f3);
	assert_hex(ik, 16, m->f4);
	assert_hex(ak, 6, m->f5);
	assert_hex(aks, 6, m->f5s);
	ck_assert_int_eq(gba_milenage_vector(k, opc, amf, sqn_of(m->sqn), rand, autn, res, ck, ik),
	    PRES_OK);
	assert_hex(autn, 16, m->autn);
	assert_hex(res, 8, m->f2);
	/* USIM side accepts it and recovers SQN */
	ck_assert_int_eq(gba_milenage_check_autn(k, opc, rand, autn, &sqn_out, res2, ck2, ik2),
	    PRES_OK);
	ck_assert_uint_eq(sqn_out, sqn_of(m->sqn));
	ck_assert_mem_eq(res2, res, 8);
	ck_assert_mem_eq(ck2, ck, 16);
	ck_assert_mem_eq(ik2, ik, 16);
	/* a flipped MAC-A bit is a network authentication failure */
	autn[15] ^= 1;
	ck_assert_int_eq(gba_milenage_check_autn(k, opc, rand, autn, NULL, res2, ck2, ik2),
	    PRES_EAUTH);
	autn[15] ^= 1;
	autn[0] ^= 0x80; /* SQN changed: MAC-A no longer matches */
	ck_assert_int_eq(gba_milenage_check_autn(k, opc, rand, autn, NULL, res2, ck2, ik2),
	    PRES_EAUTH);
}
END_TEST

START_TEST(test_milenage_temp)
{
	uint8_t k[16], opc[16], rand[16], temp[16];

	unhex(msets[0].k, k, 16);
	unhex(msets[0].opc, opc, 16);
	unhex(msets[0].rand, rand, 16);
	ck_assert_int_eq(gba_milenage_temp(k, opc, rand, temp), PRES_OK);
	assert_hex(temp, 16, "9e2980c59739da67b136355e3cede6a2");
}
END_TEST

START_TEST(test_milenage_auts)
{
	uint8_t k[16], opc[16], rand[16], auts[14];
	char b64[32];
	uint64_t sqn_ms = 0;

	unhex(msets[0].k, k, 16);
	unhex(msets[0].opc, opc, 16);
	unhex(msets[0].rand, rand, 16);
	ck_assert_int_eq(gba_milenage_auts(k, opc, rand, 0xff9bb4d0b607ULL, auts), PRES_OK);
	assert_hex(auts, 14, "ba853f3c123ccf44e93596e355c6");
	ck_assert_int_eq(gba_b64_encode(auts, 14, b64, sizeof(b64)), PRES_OK);
	ck_assert_str_eq(b64, "uoU/PBI8z0TpNZbjVcY=");
	ck_assert_int_eq(gba_milenage_auts_verify(k, opc, rand, auts, &sqn_ms), PRES_OK);
	ck_assert_uint_eq(sqn_ms, 0xff9bb4d0b607ULL);
	auts[13] ^= 0x01;
	ck_assert_int_eq(gba_milenage_auts_verify(k, opc, rand, auts, &sqn_ms), PRES_EAUTH);
	ck_assert_int_eq(gba_milenage_auts(k, opc, rand, GBA_SQN_MAX + 1, auts), PRES_EINVAL);
}
END_TEST

START_TEST(test_sqn_next)
{
	ck_assert_uint_eq(gba_sqn_next(0), 32);
	ck_assert_uint_eq(gba_sqn_next(32), 64);
	ck_assert_uint_eq(gba_sqn_next(33), 64); /* IND reset to 0, SEQ + 1 */
	ck_assert_uint_eq(gba_sqn_next(GBA_SQN_MAX), 0); /* wraps */
	ck_assert_uint_gt(gba_sqn_next(0xff9bb4d0b607ULL), 0xff9bb4d0b607ULL);
}
END_TEST

/* ===== KDF, NAF_Id, B-TID =========================================== */

static const char *KS_HEX = "b40ba9a3c58b2a05bbf0d987b21bf8cbf769bcd751044604127672711c6d3441";
static const char *IMPI1 = "user1_private@home1.net";

START_TEST(test_kdf_s_bytes)
{
	static const uint8_t gba_me[] = "gba-me";
	uint8_t rand[16], ua[5], s[256];
	struct gba_naf_id nid;
	struct gba_kdf_param p[4];
	size_t n = 0;
	char hex[513];

	unhex(msets[0].rand, rand, 16);
	gba_ua_id_http(ua);
	assert_hex(ua, 5, "0100000002");
	ck_assert_int_eq(gba_naf_id_make("naf1.home1.net", ua, &nid), PRES_OK);
	p[0] = (struct gba_kdf_param){ gba_me, 6 };
	p[1] = (struct gba_kdf_param){ rand, 16 };
	p[2] = (struct gba_kdf_param){ (const uint8_t *)IMPI1, strlen(IMPI1) };
	p[3] = (struct gba_kdf_param){ nid.b, nid.len };
	ck_assert_int_eq(gba_kdf_s(0x01, p, 4, s, sizeof(s), &n), PRES_OK);
	pres_hex(s, n, hex);
	ck_assert_str_eq(hex, "016762612d6d65000623553cbe9637a89d218ae64dae47bf35001075736572315f"
	    "7072697661746540686f6d65312e6e657400176e6166312e686f6d65312e6e6574010000000200"
	    "13");
	/* too small a buffer is refused, not truncated */
	ck_assert_int_eq(gba_kdf_s(0x01, p, 4, s, 20, &n), PRES_ETOOBIG);
}
END_TEST

START_TEST(test_ks_naf_vectors)
{
	uint8_t ks[32], rand[16], ua[5], out[32];
	struct gba_naf_id nid;
	char b64[48];

	unhex(KS_HEX, ks, 32);
	unhex(msets[0].rand, rand, 16);
	gba_ua_id_http(ua);
	ck_assert_int_eq(gba_naf_id_make("naf1.home1.net", ua, &nid), PRES_OK);
	ck_assert_int_eq(gba_ks_naf(ks, rand, IMPI1, &nid, out), PRES_OK);
	assert_hex(out, 32, "7c351b69c4910d2da5a312ad73ce3ac7be6f46165fdb9ffc3494d874aca8a501");
	ck_assert_int_eq(gba_b64_encode(out, 32, b64, sizeof(b64)), PRES_OK);
	ck_assert_str_eq(b64, "fDUbacSRDS2loxKtc846x75vRhZf25/8NJTYdKyopQE=");

	gba_ua_id_tls(0x002f, ua);
	assert_hex(ua, 5, "010001002f");
	ck_assert_int_eq(gba_naf_id_make("naf1.home1.net", ua, &nid), PRES_OK);
	ck_assert_uint_eq(nid.len, 14 + 5);
	ck_assert_int_eq(gba_ks_naf(ks, rand, IMPI1, &nid, out), PRES_OK);
	assert_hex(out, 32, "b84c7addb52b27169b4415b71d4001af2f39e42b264ed896b098ee3bf8d0725f");
	ck_assert_int_eq(gba_b64_encode(out, 32, b64, sizeof(b64)), PRES_OK);
	ck_assert_str_eq(b64, "uEx63bUrJxabRBW3HUABry855CsmTtiWsJjuO/jQcl8=");

	gba_ua_id_tls(0xc02f, ua);
	assert_hex(ua, 5, "010001c02f");
	ck_assert_int_eq(gba_naf_id_make("", ua, &nid), PRES_EINVAL);
}
END_TEST

START_TEST(test_btid_nonce)
{
	uint8_t rand[16], autn[16], ra[32], back[40];
	char btid[GBA_BTID_MAX], nonce[64];
	size_t n = 0;

	unhex(msets[0].rand, rand, 16);
	unhex(msets[0].autn, autn, 16);
	ck_assert_int_eq(gba_btid_make(rand, "bsf.home1.net", btid, sizeof(btid)), PRES_OK);
	ck_assert_str_eq(btid, "I1U8vpY3qJ0hiuZNrke/NQ==@bsf.home1.net");
	memcpy(ra, rand, 16);
	memcpy(ra + 16, autn, 16);
	ck_assert_int_eq(gba_b64_encode(ra, 32, nonce, sizeof(nonce)), PRES_OK);
	ck_assert_str_eq(nonce, "I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/6w1Tfr7M=");
	ck_assert_int_eq(gba_b64_decode(nonce, back, sizeof(back), &n), PRES_OK);
	ck_assert_uint_eq(n, 32);
	ck_assert_mem_eq(back, ra, 32);
	/* the real-trace nonce of GBA.md 1.1 */
	ck_assert_int_eq(gba_b64_decode("fve4iTWb1rTb297CzVSrpwx1bsNP9gAAiCivEWFj/Po=", back,
	    sizeof(back), &n), PRES_OK);
	assert_hex(back, 16, "7ef7b889359bd6b4dbdbdec2cd54aba7");
	ck_assert_int_eq(gba_b64_decode("uoU/PBI8z0TpNZbjVcY=", back, sizeof(back), &n), PRES_OK);
	ck_assert_uint_eq(n, 14);
	/* malformed base64 */
	ck_assert_int_eq(gba_b64_decode("abc", back, sizeof(back), &n), PRES_EINVAL);
	ck_assert_int_eq(gba_b64_decode("ab=c", back, sizeof(back), &n), PRES_EINVAL);
	ck_assert_int_eq(gba_b64_decode("ab c", back, sizeof(back), &n), PRES_EINVAL);
	ck_assert_int_eq(gba_b64_decode(nonce, back, 8, &n), PRES_ETOOBIG);
	ck_assert_int_eq(gba_btid_make(rand, "bsf.home1.net", btid, 20), PRES_ETOOBIG);
}
END_TEST

/* ===== Digest helpers =============================================== */

START_TEST(test_akav1_digest)
{
	uint8_t res[8];
	char r[33];

	unhex("a54211d5e3ba50bf", res, 8);
	ck_assert_int_eq(gba_digest_response(IMPI1, "bsf.home1.net", res, 8, "GET", "/",
	    "I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/6w1Tfr7M=", "00000001", "0a4f113b", "auth-int",
	    NULL, 0, r), PRES_OK);
	ck_assert_str_eq(r, "d47e4afd3245638428c815924bc5bc69");
	/* unknown qop refused */
	ck_assert_int_eq(gba_digest_response(IMPI1, "bsf.home1.net", res, 8, "GET", "/", "n",
	    "00000001", "c", "auth-conf", NULL, 0, r), PRES_EINVAL);
}
END_TEST

START_TEST(test_digest_rfc2617_example)
{
	/* RFC 2617 3.5: Mufasa / Circle Of Life, qop=auth */
	char r[33];

	ck_assert_int_eq(gba_digest_response("Mufasa", "testrealm@host.com",
	    (const uint8_t *)"Circle Of Life", 14, "GET", "/dir/index.html",
	    "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b", "auth", NULL, 0, r),
	    PRES_OK);
	ck_assert_str_eq(r, "6629fae49393a05397450978507c4ef1");
}
END_TEST

START_TEST(test_akav2_password)
{
	uint8_t res[8], ck[16], ik[16];
	char pw[32];

	unhex("a54211d5e3ba50bf", res, 8);
	unhex(msets[0].f3, ck, 16);
	unhex(msets[0].f4, ik, 16);
	ck_assert_int_eq(gba_akav2_password(res, 8, ik, ck, pw, sizeof(pw)), PRES_OK);
	ck_assert_str_eq(pw, "shzt3q8CWaZnCAWqs3WmEQ==");
}
END_TEST

START_TEST(test_digest_parse)
{
	struct gba_digest_params p;

	ck_assert_int_eq(gba_digest_parse("Digest username=\"a\\\"b\", realm=\"r, x\","
	    "nonce=\"\", qop=auth-int ,nc=00000001, algorithm=AKAv1-MD5", &p), PRES_OK);
	ck_assert_uint_eq(p.n, 6);
	ck_assert_str_eq(gba_digest_get(&p, "USERNAME"), "a\"b");
	ck_assert_str_eq(gba_digest_get(&p, "realm"), "r, x");
	ck_assert_str_eq(gba_digest_get(&p, "nonce"), "");
	ck_assert_str_eq(gba_digest_get(&p, "qop"), "auth-int");
	ck_assert_str_eq(gba_digest_get(&p, "algorithm"), "AKAv1-MD5");
	ck_assert_ptr_null(gba_digest_get(&p, "cnonce"));
	ck_assert_int_eq(gba_digest_parse("Basic abc", &p), PRES_EINVAL);
	ck_assert_int_eq(gba_digest_parse("Digest username=\"open", &p), PRES_EINVAL);
	ck_assert_int_eq(gba_digest_parse("Digest username", &p), PRES_EINVAL);
	ck_assert_int_eq(gba_digest_parse("Digest a=\"x\ny\"", &p), PRES_EINVAL);
	ck_assert_int_eq(gba_digest_parse("Digest a=b c=d", &p), PRES_EINVAL);
}
END_TEST

/* ===== BSF end to end (in-memory db) ================================ */

static struct db *g_db;
static struct gba_bsf *g_bsf;
static uint8_t g_k[16], g_opc[16];
static const char *ALICE = "alice@ims.example.com";

static void bsf_setup(void)
{
	struct db_subscriber s;
	struct gba_bsf_cfg cfg;

	pres_clock_set(T0);
	ck_assert_int_eq(db_open(":memory:", &g_db), PRES_OK);
	memset(&s, 0, sizeof(s));
	pres_strlcpy(s.impi, ALICE, sizeof(s.impi));
	s.n_impus = 2;
	pres_strlcpy(s.impus[0], "sip:alice@ims.example.com", DB_URI_MAX);
	pres_strlcpy(s.impus[1], "tel:+15550001", DB_URI_MAX);
	s.has_aka = 1;
	unhex(msets[0].k, g_k, 16);
	unhex(msets[0].opc, g_opc, 16);
	memcpy(s.k, g_k, 16);
	memcpy(s.opc, g_opc, 16);
	s.amf[0] = 0x80;
	s.sqn = 0;
	ck_assert_int_eq(db_subscriber_add(g_db, &s), PRES_OK);
	gba_bsf_cfg_default(&cfg);
	g_bsf = gba_bsf_new(&cfg);
	ck_assert_ptr_nonnull(g_bsf);
}

static void bsf_teardown(void)
{
	gba_bsf_free(g_bsf);
	db_close(g_db);
	pres_clock_set(0);
}

static void ub_get(const char *authz, struct gba_bsf_response *r)
{
	struct gba_bsf_request q = { "GET", "/", authz, "test 3gpp-gba", NULL, 0 };

	gba_bsf_handle(g_bsf, g_db, &q, r);
}

/* UE side of one AKA round: parses the 401, runs Milenage, builds the answer. */
struct ue_state {
	char nonce[64], opaque[64], cnonce[16], authz[1024];
	uint8_t rand[16], res[8], ck[16], ik[16];
	uint64_t sqn;
};

static void ue_answer(const struct gba_bsf_response *r, const char *impi, const uint8_t *k,
    const uint8_t *opc, int64_t sqn_ms, struct ue_state *u)
{
	struct gba_digest_params p;
	const char *www = gba_bsf_response_header(r, "WWW-Authenticate");
	uint8_t nb[40];
	size_t n = 0;
	char resp[33], auts_b64[32] = "";

	ck_assert_int_eq(r->status, 401);
	ck_assert_ptr_nonnull(www);
	ck_assert_int_eq(gba_digest_parse(www, &p), PRES_OK);
	ck_assert_str_eq(gba_digest_get(&p, "realm"), "bsf.ims.example.com");
	ck_assert_str_eq(gba_digest_get(&p, "qop"), "auth-int");
	ck_assert_str_eq(gba_digest_get(&p, "algorithm"), "AKAv1-MD5");
	ck_assert_ptr_nonnull(gba_digest_get(&p, "opaque"));
	pres_strlcpy(u->nonce, gba_digest_get(&p, "nonce"), sizeof(u->nonce));
	pres_strlcpy(u->opaque, gba_digest_get(&p, "opaque"), sizeof(u->opaque));
	ck_assert_uint_eq(strlen(u->nonce), 44);
	ck_assert_int_eq(gba_b64_decode(u->nonce, nb, sizeof(nb), &n), PRES_OK);
	ck_assert_uint_eq(n, 32);
	memcpy(u->rand, nb, 16);
	pres_strlcpy(u->cnonce, "0a4f113b", sizeof(u->cnonce));
	ck_assert_int_eq(gba_milenage_check_autn(k, opc, nb, nb + 16, &u->sqn, u->res, u->ck,
	    u->ik), PRES_OK);
	if (sqn_ms >= 0 && u->sqn <= (uint64_t)sqn_ms) {
		uint8_t auts[14];

		ck_assert_int_eq(gba_milenage_auts(k, opc, nb, (uint64_t)sqn_ms, auts), PRES_OK);
		ck_assert_int_eq(gba_b64_encode(auts, 14, auts_b64, sizeof(auts_b64)), PRES_OK);
		ck_assert_int_eq(gba_digest_response(impi, "bsf.ims.example.com", NULL, 0, "GET",
		    "/", u->nonce, "00000001", u->cnonce, "auth-int", NULL, 0, resp), PRES_OK);
		snprintf(u->authz, sizeof(u->authz), "Digest username=\"%s\", "
		    "realm=\"bsf.ims.example.com\", nonce=\"%s\", uri=\"/\", qop=auth-int, "
		    "nc=00000001, cnonce=\"%s\", response=\"%s\", opaque=\"%s\", "
		    "algorithm=AKAv1-MD5, auts=\"%s\"", impi, u->nonce, u->cnonce, resp, u->opaque,
		    auts_b64);
		return;
	}
	ck_assert_int_eq(gba_digest_response(impi, "bsf.ims.example.com", u->res, 8, "GET", "/",
	    u->nonce, "00000001", u->cnonce, "auth-int", NULL, 0, resp), PRES_OK);
	snprintf(u->authz, sizeof(u->authz), "Digest username=\"%s\", realm=\"bsf.ims.example.com\", "
	    "nonce=\"%s\", uri=\"/\", qop=auth-int, nc=00000001, cnonce=\"%s\", response=\"%s\", "
	    "opaque=\"%s\", algorithm=AKAv1-MD5", impi, u->nonce, u->cnonce, resp, u->opaque);
}

static const char *first_authz(const char *impi, char *buf, size_t size)
{
	snprintf(buf, size, "Digest username=\"%s\", realm=\"bsf.ims.example.com\", nonce=\"\", "
	    "uri=\"/\", response=\"\"", impi);
	return buf;
}

/* Full bootstrap for alice; returns the B-TID and the UE's Ks. */
static void bootstrap_alice(char *btid, size_t size, struct ue_state *u)
{
	struct gba_bsf_response r;
	char a[512];

	ub_get(first_authz(ALICE, a, sizeof(a)), &r);
	ue_answer(&r, ALICE, g_k, g_opc, -1, u);
	gba_bsf_response_clear(&r);
	ub_get(u->authz, &r);
	ck_assert_int_eq(r.status, 200);
	{
		const char *b = strstr(r.body, "<btid>");
		const char *e = b ? strstr(b, "</btid>") : NULL;

		ck_assert_ptr_nonnull(e);
		ck_assert_uint_lt((size_t)(e - b - 6), size);
		memcpy(btid, b + 6, (size_t)(e - b - 6));
		btid[e - b - 6] = '\0';
	}
	gba_bsf_response_clear(&r);
}

START_TEST(test_bsf_bootstrap)
{
	struct gba_bsf_response r;
	struct ue_state u;
	struct db_subscriber s;
	struct db_gba_session sess;
	struct gba_digest_params ai;
	char a[512], want_btid[GBA_BTID_MAX], rsp[33], full[600];

	ub_get(first_authz(ALICE, a, sizeof(a)), &r);
	ck_assert_str_eq(gba_bsf_response_header(&r, "Server"), "presenced-bsf");
	ue_answer(&r, ALICE, g_k, g_opc, -1, &u);
	gba_bsf_response_clear(&r);
	ck_assert_uint_eq(u.sqn, 32); /* SEQ 1, IND 0 */
	ck_assert_int_eq(db_subscriber_get(g_db, ALICE, &s), PRES_OK);
	ck_assert_uint_eq(s.sqn, 32);
	db_subscriber_wipe(&s);

	ub_get(u.authz, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(gba_bsf_response_header(&r, "Content-Type"),
	    "application/vnd.3gpp.bsf+xml");
	ck_assert_str_eq(gba_bsf_response_header(&r, "Expires"), "Fri, 15 Jan 2027 09:00:00 GMT");
	ck_assert_int_eq(gba_btid_make(u.rand, "bsf.ims.example.com", want_btid,
	    sizeof(want_btid)), PRES_OK);
	snprintf(a, sizeof(a), "<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>%s</btid>"
	    "<lifetime>2027-01-15T09:00:00Z</lifetime></BootstrappingInfo>", want_btid);
	ck_assert_ptr_nonnull(strstr(r.body, a));
	/* rspauth proves the BSF knew XRES; computed over the response body */
	snprintf(full, sizeof(full), "Digest %s", gba_bsf_response_header(&r,
	    "Authentication-Info"));
	ck_assert_int_eq(gba_digest_parse(full, &ai), PRES_OK);
	ck_assert_str_eq(gba_digest_get(&ai, "qop"), "auth-int");
	ck_assert_str_eq(gba_digest_get(&ai, "cnonce"), "0a4f113b");
	ck_assert_str_eq(gba_digest_get(&ai, "nc"), "00000001");
	ck_assert_int_eq(gba_digest_response(ALICE, "bsf.ims.example.com", u.res, 8, NULL, "/",
	    u.nonce, "00000001", "0a4f113b", "auth-int", (const uint8_t *)r.body, r.body_len,
	    rsp), PRES_OK);
	ck_assert_str_eq(gba_digest_get(&ai, "rspauth"), rsp);
	gba_bsf_response_clear(&r);

	/* the session: Ks = CK || IK, lifetime 3600 s */
	ck_assert_int_eq(db_gba_session_get(g_db, want_btid, &sess), PRES_OK);
	ck_assert_str_eq(sess.impi, ALICE);
	ck_assert_mem_eq(sess.ks, u.ck, 16);
	ck_assert_mem_eq(sess.ks + 16, u.ik, 16);
	ck_assert_mem_eq(sess.rand, u.rand, 16);
	ck_assert_int_eq(sess.created, T0);
	ck_assert_int_eq(sess.expires, T0 + 3600);

	/* replaying the same answer: the challenge was used, a fresh 401 comes */
	ub_get(u.authz, &r);
	ck_assert_int_eq(r.status, 401);
	gba_bsf_response_clear(&r);
}
END_TEST

START_TEST(test_bsf_wrong_response)
{
	struct gba_bsf_response r;
	struct ue_state u;
	char a[512], *p;
	int64_t n_before;
	struct db_subscriber s;

	ub_get(first_authz(ALICE, a, sizeof(a)), &r);
	ue_answer(&r, ALICE, g_k, g_opc, -1, &u);
	gba_bsf_response_clear(&r);
	p = strstr(u.authz, "response=\"");
	ck_assert_ptr_nonnull(p);
	p[10] = p[10] == '0' ? '1' : '0';
	ub_get(u.authz, &r);
	ck_assert_int_eq(r.status, 401);
	ck_assert_ptr_nonnull(gba_bsf_response_header(&r, "WWW-Authenticate"));
	ck_assert_ptr_null(strstr(gba_bsf_response_header(&r, "WWW-Authenticate"), u.nonce));
	gba_bsf_response_clear(&r);
	/* a fresh vector was made (SQN advanced again) */
	ck_assert_int_eq(db_subscriber_get(g_db, ALICE, &s), PRES_OK);
	n_before = (int64_t)s.sqn;
	ck_assert_int_eq(n_before, 64);
	db_subscriber_wipe(&s);
	/* wrong uri also fails */
	ub_get(first_authz(ALICE, a, sizeof(a)), &r);
	ue_answer(&r, ALICE, g_k, g_opc, -1, &u);
	gba_bsf_response_clear(&r);
	{
		struct gba_bsf_request q = { "GET", "/other", u.authz, NULL, NULL, 0 };

		gba_bsf_handle(g_bsf, g_db, &q, &r);
	}
	ck_assert_int_eq(r.status, 401);
	gba_bsf_response_clear(&r);
}
END_TEST

START_TEST(test_bsf_expired_challenge)
{
	struct gba_bsf_response r;
	struct ue_state u;
	char a[512];

	ub_get(first_authz(ALICE, a, sizeof(a)), &r);
	ue_answer(&r, ALICE, g_k, g_opc, -1, &u);
	gba_bsf_response_clear(&r);
	pres_clock_set(T0 + 61);
	ub_get(u.authz, &r);
	ck_assert_int_eq(r.status, 401);
	gba_bsf_response_clear(&r);
}
END_TEST

START_TEST(test_bsf_unknown_impi)
{
	struct gba_bsf_response r, r2;
	struct gba_digest_params p;
	char a[512];
	const char *www;

	ub_get(first_authz("mallory@ims.example.com", a, sizeof(a)), &r);
	ck_assert_int_eq(r.status, 401); /* same shape as a real challenge */
	www = gba_bsf_response_header(&r, "WWW-Authenticate");
	ck_assert_ptr_nonnull(www);
	ck_assert_int_eq(gba_digest_parse(www, &p), PRES_OK);
	ck_assert_uint_eq(strlen(gba_digest_get(&p, "nonce")), 44);
	ck_assert_str_eq(gba_digest_get(&p, "algorithm"), "AKAv1-MD5");
	ub_get(first_authz(ALICE, a, sizeof(a)), &r2);
	ck_assert_int_eq(r2.status, r.status);
	ck_assert_uint_eq(r2.n_headers, r.n_headers);
	gba_bsf_response_clear(&r2);
	/* answering the fake challenge (with any key) never succeeds */
	{
		struct ue_state u;
		uint8_t k[16], opc[16];

		unhex(msets[1].k, k, 16);
		unhex(msets[1].opc, opc, 16);
		memset(&u, 0, sizeof(u));
		/* the fake AUTN does not verify for any USIM: build the answer by hand */
		snprintf(u.authz, sizeof(u.authz), "Digest username=\"mallory@ims.example.com\", "
		    "realm=\"bsf.ims.example.com\", nonce=\"%s\", uri=\"/\", qop=auth-int, "
		    "nc=00000001, cnonce=\"abc\", response=\"00000000000000000000000000000000\", "
		    "algorithm=AKAv1-MD5", gba_digest_get(&p, "nonce"));
		ub_get(u.authz, &r2);
		ck_assert_int_eq(r2.status, 401);
		gba_bsf_response_clear(&r2);
		(void)k;
		(void)opc;
	}
	gba_bsf_response_clear(&r);
}
END_TEST

START_TEST(test_bsf_resync)
{
	struct gba_bsf_response r;
	struct ue_state u;
	struct db_subscriber s;
	char a[512];
	const int64_t sqn_ms = 0x000000100000LL; /* USIM is ahead of the HE */

	ub_get(first_authz(ALICE, a, sizeof(a)), &r);
	ue_answer(&r, ALICE, g_k, g_opc, sqn_ms, &u);
	gba_bsf_response_clear(&r);
	ck_assert_ptr_nonnull(strstr(u.authz, "auts="));
	ub_get(u.authz, &r);
	ck_assert_int_eq(r.status, 401);
	ck_assert_int_eq(db_subscriber_get(g_db, ALICE, &s), PRES_OK);
	/* HE SQN set from SQN_MS, then the fresh vector used the next one */
	ck_assert_uint_eq(s.sqn, gba_sqn_next((uint64_t)sqn_ms));
	db_subscriber_wipe(&s);
	ue_answer(&r, ALICE, g_k, g_opc, sqn_ms, &u);
	ck_assert_uint_gt(u.sqn, (uint64_t)sqn_ms);
	ck_assert_ptr_null(strstr(u.authz, "auts="));
	gba_bsf_response_clear(&r);
	ub_get(u.authz, &r);
	ck_assert_int_eq(r.status, 200);
	gba_bsf_response_clear(&r);

	/* a forged AUTS (bad MAC-S) leaves the SQN alone */
	ub_get(first_authz(ALICE, a, sizeof(a)), &r);
	ue_answer(&r, ALICE, g_k, g_opc, 0x7fffffffffffLL, &u);
	gba_bsf_response_clear(&r);
	{
		char *p = strstr(u.authz, "auts=\"");
		ck_assert_ptr_nonnull(p);
		p[8] = p[8] == 'A' ? 'B' : 'A';
	}
	ck_assert_int_eq(db_subscriber_get(g_db, ALICE, &s), PRES_OK);
	{
		uint64_t before = s.sqn;

		db_subscriber_wipe(&s);
		ub_get(u.authz, &r);
		ck_assert_int_eq(r.status, 401);
		gba_bsf_response_clear(&r);
		ck_assert_int_eq(db_subscriber_get(g_db, ALICE, &s), PRES_OK);
		ck_assert_uint_eq(s.sqn, gba_sqn_next(before)); /* only the new vector */
		db_subscriber_wipe(&s);
	}
}
END_TEST

START_TEST(test_bsf_bad_requests)
{
	struct gba_bsf_response r;
	struct gba_bsf_request q = { "PUT", "/", "Digest username=\"x\"", NULL, NULL, 0 };

	gba_bsf_handle(g_bsf, g_db, &q, &r);
	ck_assert_int_eq(r.status, 405);
	gba_bsf_response_clear(&r);
	q.method = "GET";
	q.authorization = NULL;
	gba_bsf_handle(g_bsf, g_db, &q, &r);
	ck_assert_int_eq(r.status, 400);
	gba_bsf_response_clear(&r);
	q.authorization = "Digest realm=\"x\"";
	gba_bsf_handle(g_bsf, g_db, &q, &r);
	ck_assert_int_eq(r.status, 400);
	gba_bsf_response_clear(&r);
	q.authorization = "Digest username=\"unterminated";
	gba_bsf_handle(g_bsf, g_db, &q, &r);
	ck_assert_int_eq(r.status, 400);
	gba_bsf_response_clear(&r);
	q.authorization = "Digest username=\"alice@ims.example.com\", nonce=\"abc\", "
	    "response=\"0123\", algorithm=MD5";
	gba_bsf_handle(g_bsf, g_db, &q, &r);
	ck_assert_int_eq(r.status, 400);
	gba_bsf_response_clear(&r);
	q.authorization = "Digest username=\"alice@ims.example.com\", nonce=\"abc\", "
	    "response=\"0123\", algorithm=AKAv1-MD5, cnonce=\"a\\\"b\", nc=00000001";
	gba_bsf_handle(g_bsf, g_db, &q, &r);
	ck_assert_int_eq(r.status, 400);
	gba_bsf_response_clear(&r);
	/* bad config is refused */
	{
		struct gba_bsf_cfg c;

		gba_bsf_cfg_default(&c);
		pres_strlcpy(c.realm, "a\"b", sizeof(c.realm));
		ck_assert_ptr_null(gba_bsf_new(&c));
		gba_bsf_cfg_default(&c);
		c.key_lifetime = 0;
		ck_assert_ptr_null(gba_bsf_new(&c));
	}
}
END_TEST

/* ===== Zn (embedded) and the NAF ===================================== */

static void xcap_naf_id(struct gba_naf_id *nid, uint16_t suite)
{
	uint8_t ua[5];

	if (suite == 0)
		gba_ua_id_http(ua);
	else
		gba_ua_id_tls(suite, ua);
	ck_assert_int_eq(gba_naf_id_make("xcap.ims.example.com", ua, nid), PRES_OK);
}

START_TEST(test_zn_embedded)
{
	struct ue_state u;
	struct gba_zn *zn;
	struct gba_zn_answer ans;
	struct gba_naf_id nid;
	uint8_t ks[32], want[32];
	char btid[GBA_BTID_MAX];

	bootstrap_alice(btid, sizeof(btid), &u);
	zn = gba_zn_embedded_new(g_db);
	ck_assert_ptr_nonnull(zn);
	xcap_naf_id(&nid, 0xc02f);
	ck_assert_int_eq(gba_zn_request(zn, btid, &nid, GBA_GSID_PRESENCE, &ans), PRES_OK);
	ck_assert_int_eq(ans.result, GBA_ZN_OK);
	memcpy(ks, u.ck, 16);
	memcpy(ks + 16, u.ik, 16);
	ck_assert_int_eq(gba_ks_naf(ks, u.rand, ALICE, &nid, want), PRES_OK);
	ck_assert_mem_eq(ans.ks_naf, want, 32);
	ck_assert_str_eq(ans.impi, ALICE);
	ck_assert_int_eq(ans.key_expiry, T0 + 3600);
	ck_assert_uint_eq(ans.uss.n, 1);
	ck_assert_uint_eq(ans.uss.uss[0].gsid, GBA_GSID_PRESENCE);
	ck_assert_uint_eq(ans.uss.uss[0].n_uids, 2);
	ck_assert_str_eq(ans.uss.uss[0].uids[0], "sip:alice@ims.example.com");
	ck_assert_str_eq(ans.uss.uss[0].uids[1], "tel:+15550001");

	/* unknown B-TID -> 5403 semantics */
	ck_assert_int_eq(gba_zn_request(zn, "AAAAAAAAAAAAAAAAAAAAAA==@bsf.ims.example.com", &nid,
	    GBA_GSID_PRESENCE, &ans), PRES_OK);
	ck_assert_int_eq(ans.result, GBA_ZN_BTID_INVALID);
	/* forced re-authentication voids older sessions */
	ck_assert_int_eq(db_subscriber_set_auth_not_before(g_db, ALICE, T0 + 1), PRES_OK);
	ck_assert_int_eq(gba_zn_request(zn, btid, &nid, GBA_GSID_PRESENCE, &ans), PRES_OK);
	ck_assert_int_eq(ans.result, GBA_ZN_BTID_INVALID);
	ck_assert_int_eq(db_subscriber_set_auth_not_before(g_db, ALICE, 0), PRES_OK);
	/* expired session */
	pres_clock_set(T0 + 3600);
	ck_assert_int_eq(gba_zn_request(zn, btid, &nid, GBA_GSID_PRESENCE, &ans), PRES_OK);
	ck_assert_int_eq(ans.result, GBA_ZN_BTID_INVALID);
	gba_zn_free(zn);
}
END_TEST

static void ha1_md5(const char *user, const char *realm, const char *pw, char out[33])
{
	uint8_t md[16];
	unsigned int ml = 0;
	char in[512];

	snprintf(in, sizeof(in), "%s:%s:%s", user, realm, pw);
	ck_assert_int_eq(EVP_Digest(in, strlen(in), md, &ml, EVP_md5(), NULL), 1);
	pres_hex(md, 16, out);
}

START_TEST(test_naf_digest_cred)
{
	struct ue_state u;
	struct gba_zn *zn;
	struct gba_naf_cfg cfg;
	struct gba_naf_conn conn;
	struct gba_naf_cred cred;
	uint8_t ks[32], ks_naf[32];
	char btid[GBA_BTID_MAX], realm[300], pw[48], want[33];

	bootstrap_alice(btid, sizeof(btid), &u);
	zn = gba_zn_embedded_new(g_db);
	gba_naf_cfg_default(&cfg);
	conn.naf = gba_naf_new(&cfg, zn);
	ck_assert_ptr_nonnull(conn.naf);
	xcap_naf_id(&conn.naf_id, 0x1301);
	ck_assert_int_eq(gba_naf_realm("xcap.ims.example.com", realm, sizeof(realm)), PRES_OK);
	ck_assert_str_eq(realm, "3GPP-bootstrapping@xcap.ims.example.com");

	ck_assert_int_eq(gba_naf_digest_cred(&conn, btid, realm, &cred), PRES_OK);
	ck_assert_int_eq(cred.status, GBA_NAF_OK);
	/* UE side: Ks_NAF from its own CK/IK, password = base64(Ks_NAF) */
	memcpy(ks, u.ck, 16);
	memcpy(ks + 16, u.ik, 16);
	ck_assert_int_eq(gba_ks_naf(ks, u.rand, ALICE, &conn.naf_id, ks_naf), PRES_OK);
	ck_assert_int_eq(gba_b64_encode(ks_naf, 32, pw, sizeof(pw)), PRES_OK);
	ha1_md5(btid, realm, pw, want);
	ck_assert_str_eq(cred.ha1_md5, want);
	ck_assert_uint_eq(strlen(cred.ha1_sha256), 64);
	ck_assert_str_eq(cred.impi, ALICE);
	ck_assert_uint_eq(cred.n_impus, 2);
	ck_assert_str_eq(cred.impus[0], "sip:alice@ims.example.com");
	ck_assert_int_eq(cred.expires, T0 + 3600);
	ck_assert_uint_eq(gba_naf_cache_size(conn.naf), 1);

	/* a UE that used another cipher suite derives another key: HA1 differs */
	{
		struct gba_naf_id other;

		xcap_naf_id(&other, 0x002f);
		ck_assert_int_eq(gba_ks_naf(ks, u.rand, ALICE, &other, ks_naf), PRES_OK);
		ck_assert_int_eq(gba_b64_encode(ks_naf, 32, pw, sizeof(pw)), PRES_OK);
		ha1_md5(btid, realm, pw, want);
		ck_assert_str_ne(cred.ha1_md5, want);
	}
	gba_naf_cred_wipe(&cred);

	/* realm naming another NAF, or not a B-TID: bootstrap again */
	ck_assert_int_eq(gba_naf_digest_cred(&conn, btid,
	    "3GPP-bootstrapping@other.example.com", &cred), PRES_OK);
	ck_assert_int_eq(cred.status, GBA_NAF_BOOTSTRAP);
	ck_assert_int_eq(gba_naf_digest_cred(&conn, "alice", realm, &cred), PRES_OK);
	ck_assert_int_eq(cred.status, GBA_NAF_BOOTSTRAP);
	ck_assert_int_eq(gba_naf_digest_cred(&conn, "bogus==@bsf.ims.example.com", realm, &cred),
	    PRES_OK);
	ck_assert_int_eq(cred.status, GBA_NAF_BOOTSTRAP);

	/* at key expiry the cached entry ends and Zn says the B-TID is invalid */
	pres_clock_set(T0 + 3600);
	ck_assert_int_eq(gba_naf_digest_cred(&conn, btid, realm, &cred), PRES_OK);
	ck_assert_int_eq(cred.status, GBA_NAF_BOOTSTRAP);
	ck_assert_uint_eq(gba_naf_cache_size(conn.naf), 0);
	gba_naf_free(conn.naf);
	gba_zn_free(zn);
}
END_TEST

/* A scripted Zn for cache tests. */
struct fake_zn {
	int calls;
	enum gba_zn_result result;
	int64_t expiry;
	int no_uss;
	int fail;
};

static int fake_request(void *impl, const char *btid, const struct gba_naf_id *nid,
    unsigned long gsid, struct gba_zn_answer *ans)
{
	struct fake_zn *f = impl;

	f->calls++;
	if (f->fail)
		return PRES_EIO;
	ans->result = f->result;
	memset(ans->ks_naf, (int)(btid[0]), 32);
	ans->key_expiry = f->expiry;
	pres_strlcpy(ans->impi, "bob@ims.example.com", sizeof(ans->impi));
	if (!f->no_uss) {
		ans->uss.n = 1;
		ans->uss.uss[0].gsid = gsid;
		ans->uss.uss[0].n_uids = 1;
		pres_strlcpy(ans->uss.uss[0].uids[0], "sip:bob@ims.example.com", GBA_URI_MAX);
	}
	(void)nid;
	return PRES_OK;
}

static const struct gba_zn_ops fake_ops = { "fake", fake_request, NULL };

START_TEST(test_naf_cache_bounds_and_results)
{
	struct fake_zn f = { 0, GBA_ZN_OK, T0 + 100, 0, 0 };
	struct gba_zn zn = { &fake_ops, &f };
	struct gba_naf_cfg cfg;
	struct gba_naf *naf;
	struct gba_naf_id nid;
	struct gba_naf_key key;
	enum gba_naf_status st;
	char btid[32];

	pres_clock_set(T0);
	gba_naf_cfg_default(&cfg);
	cfg.max_entries = 3;
	naf = gba_naf_new(&cfg, &zn);
	ck_assert_ptr_nonnull(naf);
	xcap_naf_id(&nid, 0);
	for (int i = 0; i < 5; i++) {
		snprintf(btid, sizeof(btid), "%c@bsf", 'a' + i);
		ck_assert_int_eq(gba_naf_lookup(naf, btid, &nid, &st, &key), PRES_OK);
		ck_assert_int_eq(st, GBA_NAF_OK);
		ck_assert_uint_eq(key.ks_naf[0], (uint8_t)('a' + i));
		ck_assert_str_eq(key.impus[0], "sip:bob@ims.example.com");
		gba_naf_key_wipe(&key);
	}
	ck_assert_int_eq(f.calls, 5);
	ck_assert_uint_eq(gba_naf_cache_size(naf), 3); /* bounded */
	/* newest entries are cached, the oldest were evicted */
	ck_assert_int_eq(gba_naf_lookup(naf, "e@bsf", &nid, &st, &key), PRES_OK);
	ck_assert_int_eq(f.calls, 5);
	ck_assert_int_eq(gba_naf_lookup(naf, "a@bsf", &nid, &st, &key), PRES_OK);
	ck_assert_int_eq(f.calls, 6);
	ck_assert_uint_eq(gba_naf_cache_size(naf), 3);
	/* same B-TID for another NAF_Id is another entry */
	{
		struct gba_naf_id tls;

		xcap_naf_id(&tls, 0x002f);
		ck_assert_int_eq(gba_naf_lookup(naf, "a@bsf", &tls, &st, &key), PRES_OK);
		ck_assert_int_eq(f.calls, 7);
	}
	gba_naf_forget(naf, "a@bsf");
	ck_assert_uint_eq(gba_naf_cache_size(naf), 1);
	/* expiry ends entries */
	pres_clock_set(T0 + 100);
	f.expiry = T0 + 50; /* the BSF now hands out an already expired key */
	ck_assert_int_eq(gba_naf_lookup(naf, "e@bsf", &nid, &st, &key), PRES_OK);
	ck_assert_int_eq(st, GBA_NAF_BOOTSTRAP);
	ck_assert_uint_eq(gba_naf_cache_size(naf), 0);
	/* Zn results map to NAF statuses */
	f.expiry = T0 + 1000;
	f.result = GBA_ZN_BTID_INVALID;
	ck_assert_int_eq(gba_naf_lookup(naf, "x@bsf", &nid, &st, &key), PRES_OK);
	ck_assert_int_eq(st, GBA_NAF_BOOTSTRAP);
	f.result = GBA_ZN_NOT_AUTHORIZED;
	ck_assert_int_eq(gba_naf_lookup(naf, "x@bsf", &nid, &st, &key), PRES_OK);
	ck_assert_int_eq(st, GBA_NAF_FORBIDDEN);
	f.result = GBA_ZN_OK;
	f.no_uss = 1; /* no USS for presence: not authorized */
	ck_assert_int_eq(gba_naf_lookup(naf, "x@bsf", &nid, &st, &key), PRES_OK);
	ck_assert_int_eq(st, GBA_NAF_FORBIDDEN);
	f.no_uss = 0;
	f.fail = 1;
	ck_assert_int_eq(gba_naf_lookup(naf, "x@bsf", &nid, &st, &key), PRES_OK);
	ck_assert_int_eq(st, GBA_NAF_ERROR);
	ck_assert_uint_eq(gba_naf_cache_size(naf), 0);
	gba_naf_free(naf);
}
END_TEST

/* The NAF plugged into the Digest engine through gba_naf_auth_cred_cb. */
static int engine_verify(struct auth *a, struct gba_naf_conn *conn, const char *btid,
    const char *password, const char *method, const char *uri, const char *body,
    struct auth_result *res, int *rc_out)
{
	struct auth_challenges ch;
	struct gba_digest_params p;
	char resp[33], authz[1024];
	const char *realm = "3GPP-bootstrapping@xcap.ims.example.com";

	ck_assert_int_eq(auth_digest_challenge(a, NULL, 0, &ch), PRES_OK);
	ck_assert_uint_ge(ch.n, 1);
	ck_assert_int_eq(gba_digest_parse(ch.v[0], &p), PRES_OK);
	ck_assert_str_eq(gba_digest_get(&p, "realm"), realm);
	ck_assert_int_eq(gba_digest_response(btid, realm, (const uint8_t *)password,
	    strlen(password), method, uri, gba_digest_get(&p, "nonce"), "00000001", "c0ffee",
	    "auth-int", (const uint8_t *)body, strlen(body), resp), PRES_OK);
	snprintf(authz, sizeof(authz), "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
	    "uri=\"%s\", qop=auth-int, nc=00000001, cnonce=\"c0ffee\", response=\"%s\", "
	    "opaque=\"%s\", algorithm=MD5", btid, realm, gba_digest_get(&p, "nonce"), uri, resp,
	    gba_digest_get(&p, "opaque"));
	{
		struct auth_http_req rq = { method, uri, authz, (const uint8_t *)body, strlen(body) };

		*rc_out = auth_digest_verify(a, &rq, gba_naf_auth_cred_cb, conn, res);
	}
	return res->reason;
}

START_TEST(test_naf_with_digest_engine)
{
	struct ue_state u;
	struct gba_zn *zn;
	struct gba_naf_cfg ncfg;
	struct gba_naf_conn conn;
	struct auth_cfg acfg;
	struct auth *a;
	struct auth_result *res = calloc(1, sizeof(*res));
	uint8_t ks[32], ks_naf[32];
	char btid[GBA_BTID_MAX], pw[48];
	const char *body = "<ruleset/>";
	int rc = 0;

	ck_assert_ptr_nonnull(res);
	bootstrap_alice(btid, sizeof(btid), &u);
	zn = gba_zn_embedded_new(g_db);
	gba_naf_cfg_default(&ncfg);
	conn.naf = gba_naf_new(&ncfg, zn);
	xcap_naf_id(&conn.naf_id, 0xc02f);
	memset(&acfg, 0, sizeof(acfg));
	acfg.realms[0] = "3GPP-bootstrapping@xcap.ims.example.com";
	acfg.n_realms = 1;
	acfg.algs = AUTH_ALG_MD5;
	a = auth_new(&acfg);
	ck_assert_ptr_nonnull(a);

	/* UE: Ks_NAF for this NAF_Id (cipher suite c02f) */
	memcpy(ks, u.ck, 16);
	memcpy(ks + 16, u.ik, 16);
	ck_assert_int_eq(gba_ks_naf(ks, u.rand, ALICE, &conn.naf_id, ks_naf), PRES_OK);
	ck_assert_int_eq(gba_b64_encode(ks_naf, 32, pw, sizeof(pw)), PRES_OK);

	ck_assert_int_eq(engine_verify(a, &conn, btid, pw, "PUT", "/xcap-root/x", body, res, &rc),
	    AUTH_R_OK);
	ck_assert_int_eq(rc, PRES_OK);
	ck_assert_str_eq(res->who.impi, ALICE);
	ck_assert_str_eq(res->who.username, btid);
	ck_assert_int_eq(res->who.method, AUTH_METHOD_GBA);
	ck_assert_int_eq(res->who.auth_time, T0);
	ck_assert_uint_eq(res->who.n_impus, 2);
	ck_assert_str_eq(res->who.impus[0], "sip:alice@ims.example.com");
	auth_result_wipe(res);

	/* key derived for another cipher suite: wrong password -> 401 */
	{
		struct gba_naf_id other;
		char pw2[48];

		xcap_naf_id(&other, 0x002f);
		ck_assert_int_eq(gba_ks_naf(ks, u.rand, ALICE, &other, ks_naf), PRES_OK);
		ck_assert_int_eq(gba_b64_encode(ks_naf, 32, pw2, sizeof(pw2)), PRES_OK);
		ck_assert_int_eq(engine_verify(a, &conn, btid, pw2, "GET", "/x", "", res, &rc),
		    AUTH_R_BAD_RESPONSE);
		ck_assert_int_eq(auth_reason_status(res->reason), 401);
		auth_result_wipe(res);
	}
	/* unknown B-TID: challenge again (bootstrap) */
	ck_assert_int_eq(engine_verify(a, &conn, "AAAAAAAAAAAAAAAAAAAAAA==@bsf.ims.example.com", pw,
	    "GET", "/x", "", res, &rc), AUTH_R_UNKNOWN_USER);
	ck_assert_int_eq(auth_reason_status(res->reason), 401);
	auth_result_wipe(res);
	/* key expired: the cache entry ends, the UE must bootstrap again */
	pres_clock_set(T0 + 3600);
	ck_assert_int_eq(engine_verify(a, &conn, btid, pw, "GET", "/x", "", res, &rc),
	    AUTH_R_UNKNOWN_USER);
	auth_result_wipe(res);
	pres_clock_set(T0);

	/* not authorized (5402) aborts with PRES_EAUTH: 403 */
	{
		struct fake_zn f = { 0, GBA_ZN_NOT_AUTHORIZED, T0 + 100, 0, 0 };
		struct gba_zn fz = { &fake_ops, &f };
		struct gba_naf_conn c2;

		c2.naf = gba_naf_new(&ncfg, &fz);
		c2.naf_id = conn.naf_id;
		engine_verify(a, &c2, "x@bsf", pw, "GET", "/x", "", res, &rc);
		ck_assert_int_eq(rc, PRES_EAUTH);
		auth_result_wipe(res);
		gba_naf_free(c2.naf);
	}
	auth_free(a);
	gba_naf_free(conn.naf);
	gba_zn_free(zn);
	free(res);
}
END_TEST

/* ===== GUSS ========================================================= */

START_TEST(test_guss_parse)
{
	static const char guss[] =
	    "<?xml version=\"1.0\"?>\n"
	    "<guss xmlns=\"urn:3gpp:gba:GBAGUSSSchema-R9:2010-02\" "
	    "xmlns:x=\"urn:example:other\" id=\"alice@ims.example.com\">\n"
	    " <bsfInfo><lifeTime>86400</lifeTime><x:vendor>1</x:vendor></bsfInfo>\n"
	    " <ussList>\n"
	    "  <uss id=\"1\" type=\"1\" nafGroup=\"pki\"><uids><uid>sip:a@x</uid></uids></uss>\n"
	    "  <uss id=\"2\" type=\"3\" nafGroup=\"presence\">\n"
	    "   <uids><uid> sip:alice@ims.example.com </uid><x:uid>sip:evil@x</x:uid>"
	    "<uid>tel:+15550001</uid></uids>\n"
	    "   <flags><flag>1</flag></flags><unknown/>\n"
	    "  </uss>\n"
	    " </ussList>\n"
	    " <Extension><foo/></Extension>\n"
	    "</guss>\n";
	static const char list[] =
	    "<ussList xmlns=\"urn:3gpp:gba:GBAGUSSSchema-R9:2010-02\">"
	    "<uss type=\"3\"><uids><uid>sip:bob@ims.example.com</uid></uids></uss></ussList>";
	struct gba_uss_list l;
	const struct gba_uss *u;

	ck_assert_int_eq(gba_guss_parse(guss, strlen(guss), &l), PRES_OK);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_uint_eq(l.uss[0].gsid, 1);
	ck_assert_str_eq(l.uss[0].naf_group, "pki");
	u = gba_uss_find(&l, GBA_GSID_PRESENCE);
	ck_assert_ptr_nonnull(u);
	ck_assert_str_eq(u->id, "2");
	ck_assert_str_eq(u->naf_group, "presence");
	ck_assert_uint_eq(u->n_uids, 2); /* foreign-namespace uid ignored */
	ck_assert_str_eq(u->uids[0], "sip:alice@ims.example.com");
	ck_assert_str_eq(u->uids[1], "tel:+15550001");
	ck_assert_ptr_null(gba_uss_find(&l, 4));

	ck_assert_int_eq(gba_guss_parse(list, strlen(list), &l), PRES_OK);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.uss[0].uids[0], "sip:bob@ims.example.com");

	ck_assert_int_eq(gba_guss_parse("<ussList", 8, &l), PRES_EINVAL);
	ck_assert_int_eq(gba_guss_parse("<other/>", 8, &l), PRES_EINVAL);
	{
		static const char bad[] = "<ussList><uss type=\"x\"/></ussList>";
		static const char wrongns[] = "<ussList xmlns=\"urn:x\"><uss type=\"3\"/></ussList>";

		ck_assert_int_eq(gba_guss_parse(bad, strlen(bad), &l), PRES_EINVAL);
		ck_assert_int_eq(gba_guss_parse(wrongns, strlen(wrongns), &l), PRES_EINVAL);
	}
	/* an external entity is not loaded (no network, no file) */
	{
		static const char xxe[] =
		    "<!DOCTYPE ussList [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
		    "<ussList><uss type=\"3\"><uids><uid>&e;</uid></uids></uss></ussList>";

		ck_assert_int_eq(gba_guss_parse(xxe, strlen(xxe), &l), PRES_OK);
		ck_assert_uint_eq(l.n, 1);
		ck_assert_uint_eq(l.uss[0].n_uids, 0);
	}
}
END_TEST

static Suite *gba_suite(void)
{
	Suite *s = suite_create("gba");
	TCase *tc = tcase_create("crypto");
	TCase *tb = tcase_create("bsf");

	tcase_add_loop_test(tc, test_milenage_sets, 0, (int)PRES_ARRAY_LEN(msets));
	tcase_add_test(tc, test_milenage_temp);
	tcase_add_test(tc, test_milenage_auts);
	tcase_add_test(tc, test_sqn_next);
	tcase_add_test(tc, test_kdf_s_bytes);
	tcase_add_test(tc, test_ks_naf_vectors);
	tcase_add_test(tc, test_btid_nonce);
	tcase_add_test(tc, test_akav1_digest);
	tcase_add_test(tc, test_digest_rfc2617_example);
	tcase_add_test(tc, test_akav2_password);
	tcase_add_test(tc, test_digest_parse);
	tcase_add_test(tc, test_naf_cache_bounds_and_results);
	tcase_add_test(tc, test_guss_parse);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tb, bsf_setup, bsf_teardown);
	tcase_add_test(tb, test_bsf_bootstrap);
	tcase_add_test(tb, test_bsf_wrong_response);
	tcase_add_test(tb, test_bsf_expired_challenge);
	tcase_add_test(tb, test_bsf_unknown_impi);
	tcase_add_test(tb, test_bsf_resync);
	tcase_add_test(tb, test_bsf_bad_requests);
	tcase_add_test(tb, test_zn_embedded);
	tcase_add_test(tb, test_naf_digest_cred);
	tcase_add_test(tb, test_naf_with_digest_engine);
	suite_add_tcase(s, tb);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(gba_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
