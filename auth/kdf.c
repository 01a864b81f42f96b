/*
 * kdf.c - GBA key derivation (TS 33.220 Annex B), NAF_Id / Ua security
 * protocol identifiers (Annex H), B-TID, base64 helpers.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/gba.h"

int gba_kdf_s(uint8_t fc, const struct gba_kdf_param *params, size_t n,
    uint8_t *s, size_t cap, size_t *s_len)
{
	size_t off = 0;

	if (s == NULL || s_len == NULL || (n > 0 && params == NULL))
		return PRES_EINVAL;
	if (cap < 1)
		return PRES_ETOOBIG;
	s[off++] = fc;
	for (size_t i = 0; i < n; i++) {
		size_t l = params[i].len;

		if (l > 0xffff || (l > 0 && params[i].p == NULL))
			return PRES_EINVAL;
		if (cap - off < l + 2)
			return PRES_ETOOBIG;
		if (l > 0)
			memcpy(s + off, params[i].p, l);
		off += l;
		s[off++] = (uint8_t)(l >> 8);
		s[off++] = (uint8_t)(l & 0xff);
	}
	*s_len = off;
	return PRES_OK;
}

int gba_kdf(const uint8_t *key, size_t key_len, uint8_t fc,
    const struct gba_kdf_param *params, size_t n, uint8_t out[32])
{
	uint8_t s[1024];
	size_t s_len = 0;
	unsigned int md_len = 0;
	int rc;

	if (key == NULL || key_len == 0 || key_len > 1024)
		return PRES_EINVAL;
	if ((rc = gba_kdf_s(fc, params, n, s, sizeof(s), &s_len)) != PRES_OK)
		return rc;
	if (HMAC(EVP_sha256(), key, (int)key_len, s, s_len, out, &md_len) == NULL ||
	    md_len != 32)
		rc = PRES_EINVAL;
	OPENSSL_cleanse(s, s_len);
	return rc;
}

void gba_ua_id_tls(uint16_t cipher_suite, uint8_t out[GBA_UA_ID_LEN])
{
	out[0] = 0x01;
	out[1] = 0x00;
	out[2] = 0x01;
	out[3] = (uint8_t)(cipher_suite >> 8);
	out[4] = (uint8_t)(cipher_suite & 0xff);
}

void gba_ua_id_http(uint8_t out[GBA_UA_ID_LEN])
{
	static const uint8_t id[GBA_UA_ID_LEN] = { 0x01, 0x00, 0x00, 0x00, 0x02 };

	memcpy(out, id, GBA_UA_ID_LEN);
}

int gba_naf_id_make(const char *fqdn, const uint8_t ua_id[GBA_UA_ID_LEN],
    struct gba_naf_id *out)
{
	size_t l;

	if (fqdn == NULL || ua_id == NULL || out == NULL)
		return PRES_EINVAL;
	l = strlen(fqdn);
	if (l == 0 || l > GBA_FQDN_MAX)
		return PRES_EINVAL;
	memcpy(out->b, fqdn, l);
	memcpy(out->b + l, ua_id, GBA_UA_ID_LEN);
	out->len = l + GBA_UA_ID_LEN;
	return PRES_OK;
}

int gba_ks_naf(const uint8_t ks[32], const uint8_t rand[16], const char *impi,
    const struct gba_naf_id *naf_id, uint8_t out[32])
{
	static const uint8_t gba_me[] = { 'g', 'b', 'a', '-', 'm', 'e' };
	struct gba_kdf_param p[4];

	if (ks == NULL || rand == NULL || impi == NULL || naf_id == NULL ||
	    naf_id->len <= GBA_UA_ID_LEN || naf_id->len > GBA_NAF_ID_MAX)
		return PRES_EINVAL;
	p[0].p = gba_me;
	p[0].len = sizeof(gba_me);
	p[1].p = rand;
	p[1].len = GBA_RAND_LEN;
	p[2].p = (const uint8_t *)impi;
	p[2].len = strlen(impi);
	p[3].p = naf_id->b;
	p[3].len = naf_id->len;
	return gba_kdf(ks, 32, 0x01, p, 4, out);
}

int gba_b64_encode(const uint8_t *in, size_t n, char *out, size_t size)
{
	size_t need = 4 * ((n + 2) / 3) + 1;

	if (out == NULL || (n > 0 && in == NULL) || n > 0x3fffffff)
		return PRES_EINVAL;
	if (size < need)
		return PRES_ETOOBIG;
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return PRES_OK;
}

int gba_b64_decode(const char *in, uint8_t *out, size_t cap, size_t *n_out)
{
	size_t l, pad = 0, n;
	uint8_t tmp[768];
	int r;

	if (in == NULL || out == NULL || n_out == NULL)
		return PRES_EINVAL;
	l = strlen(in);
	if (l == 0 || l % 4 != 0 || l > 1024)
		return PRES_EINVAL;
	for (size_t i = 0; i < l; i++) {
		char c = in[i];
		int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/';

		if (c == '=' && i >= l - 2) {
			pad++;
			continue;
		}
		if (!ok || pad > 0)
			return PRES_EINVAL;
	}
	r = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)l);
	if (r < 0 || (size_t)r < pad)
		return PRES_EINVAL;
	n = (size_t)r - pad; /* EVP_DecodeBlock counts padding as zero octets */
	if (n > cap) {
		OPENSSL_cleanse(tmp, sizeof(tmp));
		return PRES_ETOOBIG;
	}
	memcpy(out, tmp, n);
	OPENSSL_cleanse(tmp, sizeof(tmp));
	*n_out = n;
	return PRES_OK;
}

int gba_btid_make(const uint8_t rand[16], const char *bsf_name, char *out, size_t size)
{
	char b64[25];
	int n, rc;

	if (rand == NULL || bsf_name == NULL || *bsf_name == '\0' || out == NULL)
		return PRES_EINVAL;
	if ((rc = gba_b64_encode(rand, GBA_RAND_LEN, b64, sizeof(b64))) != PRES_OK)
		return rc;
	n = snprintf(out, size, "%s@%s", b64, bsf_name);
	if (n < 0 || (size_t)n >= size)
		return PRES_ETOOBIG;
	return PRES_OK;
}
