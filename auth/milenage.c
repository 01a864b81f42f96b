/*
 * milenage.c - 3GPP Milenage (TS 35.206) on OpenSSL AES-128, and the AKA
 * pieces built on it: authentication vectors, AUTN check, AUTS.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth/gba.h"

/* One keyed AES-128-ECB encryptor for E_K. */
struct mil_ctx {
	EVP_CIPHER_CTX *c;
};

static int mil_init(struct mil_ctx *m, const uint8_t k[16])
{
	m->c = EVP_CIPHER_CTX_new();
	if (m->c == NULL)
		return PRES_ENOMEM;
	if (EVP_EncryptInit_ex(m->c, EVP_aes_128_ecb(), NULL, k, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(m->c, 0) != 1) {
		EVP_CIPHER_CTX_free(m->c);
		m->c = NULL;
		return PRES_EINVAL;
	}
	return PRES_OK;
}

static void mil_done(struct mil_ctx *m)
{
	EVP_CIPHER_CTX_free(m->c); /* clears the key schedule */
	m->c = NULL;
}

static int mil_enc(struct mil_ctx *m, const uint8_t in[16], uint8_t out[16])
{
	int len = 0;

	if (EVP_EncryptUpdate(m->c, out, &len, in, 16) != 1 || len != 16)
		return PRES_EINVAL;
	return PRES_OK;
}

/* out = in rotated left by r bits (r a multiple of 8). */
static void rot128(const uint8_t in[16], unsigned r, uint8_t out[16])
{
	unsigned bytes = r / 8;

	for (unsigned i = 0; i < 16; i++)
		out[i] = in[(i + bytes) % 16];
}

static void sqn_to_bytes(uint64_t sqn, uint8_t out[6])
{
	for (int i = 5; i >= 0; i--) {
		out[i] = (uint8_t)(sqn & 0xff);
		sqn >>= 8;
	}
}

static uint64_t sqn_from_bytes(const uint8_t in[6])
{
	uint64_t v = 0;

	for (int i = 0; i < 6; i++)
		v = (v << 8) | in[i];
	return v;
}

int gba_milenage_opc(const uint8_t k[16], const uint8_t op[16], uint8_t opc[16])
{
	struct mil_ctx m;
	uint8_t e[16];
	int rc;

	if ((rc = mil_init(&m, k)) != PRES_OK)
		return rc;
	rc = mil_enc(&m, op, e);
	mil_done(&m);
	if (rc != PRES_OK)
		return rc;
	for (int i = 0; i < 16; i++)
		opc[i] = op[i] ^ e[i];
	OPENSSL_cleanse(e, sizeof(e));
	return PRES_OK;
}

static int mil_temp(struct mil_ctx *m, const uint8_t opc[16], const uint8_t rand[16],
    uint8_t temp[16])
{
	uint8_t x[16];
	int rc;

	for (int i = 0; i < 16; i++)
		x[i] = rand[i] ^ opc[i];
	rc = mil_enc(m, x, temp);
	OPENSSL_cleanse(x, sizeof(x));
	return rc;
}

int gba_milenage_temp(const uint8_t k[16], const uint8_t opc[16],
    const uint8_t rand[16], uint8_t temp[16])
{
	struct mil_ctx m;
	int rc;

	if ((rc = mil_init(&m, k)) != PRES_OK)
		return rc;
	rc = mil_temp(&m, opc, rand, temp);
	mil_done(&m);
	return rc;
}

int gba_milenage_f1(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
    const uint8_t sqn[6], const uint8_t amf[2], uint8_t mac_a[8], uint8_t mac_s[8])
{
	struct mil_ctx m;
	uint8_t temp[16], in1[16], x[16], r[16], out[16];
	int rc;

	if ((rc = mil_init(&m, k)) != PRES_OK)
		return rc;
	if ((rc = mil_temp(&m, opc, rand, temp)) != PRES_OK)
		goto done;
	memcpy(in1, sqn, 6);
	memcpy(in1 + 6, amf, 2);
	memcpy(in1 + 8, sqn, 6);
	memcpy(in1 + 14, amf, 2);
	for (int i = 0; i < 16; i++)
		x[i] = in1[i] ^ opc[i];
	rot128(x, 64, r); /* r1 = 64, c1 = 0 */
	for (int i = 0; i < 16; i++)
		x[i] = temp[i] ^ r[i];
	if ((rc = mil_enc(&m, x, out)) != PRES_OK)
		goto done;
	for (int i = 0; i < 16; i++)
		out[i] ^= opc[i];
	if (mac_a != NULL)
		memcpy(mac_a, out, 8);
	if (mac_s != NULL)
		memcpy(mac_s, out + 8, 8);
done:
	mil_done(&m);
	OPENSSL_cleanse(temp, sizeof(temp));
	OPENSSL_cleanse(x, sizeof(x));
	OPENSSL_cleanse(r, sizeof(r));
	OPENSSL_cleanse(out, sizeof(out));
	return rc;
}

/* OUTi = E_K(rot(TEMP xor OPc, ri) xor ci) xor OPc, i = 2..5. */
static int mil_out(struct mil_ctx *m, const uint8_t opc[16], const uint8_t temp[16],
    unsigned r, uint8_t c, uint8_t out[16])
{
	uint8_t x[16], y[16];
	int rc;

	for (int i = 0; i < 16; i++)
		x[i] = temp[i] ^ opc[i];
	rot128(x, r, y);
	y[15] ^= c;
	rc = mil_enc(m, y, out);
	for (int i = 0; i < 16; i++)
		out[i] ^= opc[i];
	OPENSSL_cleanse(x, sizeof(x));
	OPENSSL_cleanse(y, sizeof(y));
	return rc;
}

int gba_milenage_f2345(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
    uint8_t res[8], uint8_t ck[16], uint8_t ik[16], uint8_t ak[6], uint8_t ak_star[6])
{
	struct mil_ctx m;
	uint8_t temp[16], out[16];
	int rc;

	if ((rc = mil_init(&m, k)) != PRES_OK)
		return rc;
	if ((rc = mil_temp(&m, opc, rand, temp)) != PRES_OK)
		goto done;
	if ((rc = mil_out(&m, opc, temp, 0, 1, out)) != PRES_OK)
		goto done;
	if (res != NULL)
		memcpy(res, out + 8, 8);
	if (ak != NULL)
		memcpy(ak, out, 6);
	if (ck != NULL) {
		if ((rc = mil_out(&m, opc, temp, 32, 2, out)) != PRES_OK)
			goto done;
		memcpy(ck, out, 16);
	}
	if (ik != NULL) {
		if ((rc = mil_out(&m, opc, temp, 64, 4, out)) != PRES_OK)
			goto done;
		memcpy(ik, out, 16);
	}
	if (ak_star != NULL) {
		if ((rc = mil_out(&m, opc, temp, 96, 8, out)) != PRES_OK)
			goto done;
		memcpy(ak_star, out, 6);
	}
done:
	mil_done(&m);
	OPENSSL_cleanse(temp, sizeof(temp));
	OPENSSL_cleanse(out, sizeof(out));
	return rc;
}

int gba_milenage_vector(const uint8_t k[16], const uint8_t opc[16], const uint8_t amf[2],
    uint64_t sqn, const uint8_t rand[16], uint8_t autn[16], uint8_t res[8],
    uint8_t ck[16], uint8_t ik[16])
{
	uint8_t sqnb[6], ak[6], mac_a[8];
	int rc;

	if (sqn > GBA_SQN_MAX)
		return PRES_EINVAL;
	sqn_to_bytes(sqn, sqnb);
	if ((rc = gba_milenage_f1(k, opc, rand, sqnb, amf, mac_a, NULL)) != PRES_OK)
		return rc;
	if ((rc = gba_milenage_f2345(k, opc, rand, res, ck, ik, ak, NULL)) != PRES_OK)
		return rc;
	for (int i = 0; i < 6; i++)
		autn[i] = sqnb[i] ^ ak[i];
	memcpy(autn + 6, amf, 2);
	memcpy(autn + 8, mac_a, 8);
	OPENSSL_cleanse(ak, sizeof(ak));
	return PRES_OK;
}

int gba_milenage_check_autn(const uint8_t k[16], const uint8_t opc[16],
    const uint8_t rand[16], const uint8_t autn[16], uint64_t *sqn_out,
    uint8_t res[8], uint8_t ck[16], uint8_t ik[16])
{
	uint8_t ak[6], sqnb[6], mac_a[8];
	int rc;

	if ((rc = gba_milenage_f2345(k, opc, rand, res, ck, ik, ak, NULL)) != PRES_OK)
		return rc;
	for (int i = 0; i < 6; i++)
		sqnb[i] = autn[i] ^ ak[i];
	OPENSSL_cleanse(ak, sizeof(ak));
	if ((rc = gba_milenage_f1(k, opc, rand, sqnb, autn + 6, mac_a, NULL)) != PRES_OK)
		goto fail;
	if (pres_ct_memcmp(mac_a, autn + 8, 8) != 0) {
		rc = PRES_EAUTH;
		goto fail;
	}
	if (sqn_out != NULL)
		*sqn_out = sqn_from_bytes(sqnb);
	return PRES_OK;
fail:
	if (res != NULL)
		OPENSSL_cleanse(res, 8);
	if (ck != NULL)
		OPENSSL_cleanse(ck, 16);
	if (ik != NULL)
		OPENSSL_cleanse(ik, 16);
	return rc;
}

static const uint8_t amf_star[2] = { 0, 0 };

int gba_milenage_auts(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
    uint64_t sqn_ms, uint8_t auts[14])
{
	uint8_t sqnb[6], ak_star[6];
	int rc;

	if (sqn_ms > GBA_SQN_MAX)
		return PRES_EINVAL;
	sqn_to_bytes(sqn_ms, sqnb);
	if ((rc = gba_milenage_f2345(k, opc, rand, NULL, NULL, NULL, NULL, ak_star)) != PRES_OK)
		return rc;
	if ((rc = gba_milenage_f1(k, opc, rand, sqnb, amf_star, NULL, auts + 6)) != PRES_OK)
		return rc;
	for (int i = 0; i < 6; i++)
		auts[i] = sqnb[i] ^ ak_star[i];
	OPENSSL_cleanse(ak_star, sizeof(ak_star));
	return PRES_OK;
}

int gba_milenage_auts_verify(const uint8_t k[16], const uint8_t opc[16],
    const uint8_t rand[16], const uint8_t auts[14], uint64_t *sqn_ms)
{
	uint8_t sqnb[6], ak_star[6], mac_s[8];
	int rc;

	if ((rc = gba_milenage_f2345(k, opc, rand, NULL, NULL, NULL, NULL, ak_star)) != PRES_OK)
		return rc;
	for (int i = 0; i < 6; i++)
		sqnb[i] = auts[i] ^ ak_star[i];
	OPENSSL_cleanse(ak_star, sizeof(ak_star));
	if ((rc = gba_milenage_f1(k, opc, rand, sqnb, amf_star, NULL, mac_s)) != PRES_OK)
		return rc;
	if (pres_ct_memcmp(mac_s, auts + 6, 8) != 0)
		return PRES_EAUTH;
	*sqn_ms = sqn_from_bytes(sqnb);
	return PRES_OK;
}

uint64_t gba_sqn_next(uint64_t sqn)
{
	uint64_t seq = (sqn & GBA_SQN_MAX) >> 5;

	return ((seq + 1) << 5) & GBA_SQN_MAX;
}
