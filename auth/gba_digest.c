/*
 * gba_digest.c - minimal HTTP Digest helpers for Ub (the embedded BSF and
 * the test UE): Digest header parsing, the RFC 2617 MD5 response with a
 * raw-octet password (RES for AKAv1-MD5, RFC 3310) and qop=auth-int, and
 * the AKAv2 password (RFC 4169).
 *
 * The hashing is the Digest engine's (auth_digest_ha1/auth_digest_response);
 * what stays here is the MD5-only convenience form with a raw-octet password
 * and a parser that also reads challenges (WWW-Authenticate), which
 * auth_digest_parse() does not. Kept apart from bsf.c so that the UE links
 * them without the db layer.
 */
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/auth.h"
#include "auth/gba.h"

static int is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

int gba_digest_parse(const char *header, struct gba_digest_params *out)
{
	const char *s = header;
	char *w;
	size_t left;

	if (header == NULL || out == NULL)
		return PRES_EINVAL;
	memset(out, 0, sizeof(*out));
	while (*s == ' ' || *s == '\t')
		s++;
	if (strncasecmp(s, "Digest", 6) != 0 || (s[6] != ' ' && s[6] != '\t'))
		return PRES_EINVAL;
	s += 6;
	w = out->buf;
	left = sizeof(out->buf);
	for (;;) {
		const char *name;
		size_t nl;

		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (*s == '\0')
			break;
		if (out->n >= GBA_DIGEST_PARAMS_MAX)
			return PRES_ETOOBIG;
		/* name */
		name = s;
		while (*s != '\0' && *s != '=' && *s != ' ' && *s != '\t' && *s != ',') {
			if (is_ctl((unsigned char)*s) || *s == '"')
				return PRES_EINVAL;
			s++;
		}
		nl = (size_t)(s - name);
		while (*s == ' ' || *s == '\t')
			s++;
		if (nl == 0 || *s != '=')
			return PRES_EINVAL;
		s++;
		while (*s == ' ' || *s == '\t')
			s++;
		if (left < nl + 1)
			return PRES_ETOOBIG;
		memcpy(w, name, nl);
		w[nl] = '\0';
		out->p[out->n].name = w;
		w += nl + 1;
		left -= nl + 1;
		/* value */
		out->p[out->n].value = w;
		if (*s == '"') {
			s++;
			for (;;) {
				char c = *s;

				if (c == '\0' || is_ctl((unsigned char)c))
					return PRES_EINVAL;
				if (c == '"') {
					s++;
					break;
				}
				if (c == '\\') {
					s++;
					c = *s;
					if (c == '\0' || is_ctl((unsigned char)c))
						return PRES_EINVAL;
				}
				if (left < 2)
					return PRES_ETOOBIG;
				*w++ = c;
				left--;
				s++;
			}
		} else {
			while (*s != '\0' && *s != ',' && *s != ' ' && *s != '\t') {
				if (is_ctl((unsigned char)*s) || *s == '"')
					return PRES_EINVAL;
				if (left < 2)
					return PRES_ETOOBIG;
				*w++ = *s++;
				left--;
			}
		}
		*w++ = '\0';
		left--;
		out->n++;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s != '\0' && *s != ',')
			return PRES_EINVAL;
	}
	return PRES_OK;
}

const char *gba_digest_get(const struct gba_digest_params *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcasecmp(p->p[i].name, name) == 0)
			return p->p[i].value;
	return NULL;
}

int gba_digest_response(const char *username, const char *realm,
    const uint8_t *password, size_t password_len,
    const char *method, const char *uri, const char *nonce, const char *nc,
    const char *cnonce, const char *qop, const uint8_t *body, size_t body_len,
    char out[33])
{
	uint8_t ha1[AUTH_HASH_MAX];
	size_t ha1_len = sizeof(ha1);
	char hex[2 * AUTH_HASH_MAX + 1];
	int q, rc;

	if (username == NULL || realm == NULL || uri == NULL || nonce == NULL ||
	    out == NULL || (password_len > 0 && password == NULL))
		return PRES_EINVAL;
	if (qop == NULL)
		q = AUTH_QOP_NONE;
	else if (strcasecmp(qop, "auth") == 0)
		q = AUTH_QOP_AUTH;
	else if (strcasecmp(qop, "auth-int") == 0)
		q = AUTH_QOP_AUTH_INT;
	else
		return PRES_EINVAL;
	if (q != AUTH_QOP_NONE && (nc == NULL || cnonce == NULL))
		return PRES_EINVAL;
	/* the engine's primitives take a non-NULL password / body pointer */
	rc = auth_digest_ha1(AUTH_ALG_MD5, username, realm,
	    password != NULL ? password : (const uint8_t *)"", password_len, ha1, &ha1_len);
	if (rc == PRES_OK)
		rc = auth_digest_response(AUTH_ALG_MD5, ha1, ha1_len, nonce,
		    nc != NULL ? nc : "", cnonce != NULL ? cnonce : "", q,
		    method != NULL ? method : "", uri, body != NULL ? body : (const uint8_t *)"",
		    body != NULL ? body_len : 0, hex);
	if (rc == PRES_OK)
		rc = pres_strlcpy(out, hex, 33);
	OPENSSL_cleanse(ha1, sizeof(ha1));
	return rc;
}

int gba_akav2_password(const uint8_t *res, size_t res_len, const uint8_t ik[16],
    const uint8_t ck[16], char *out, size_t size)
{
	static const char label[] = "http-digest-akav2-password";
	uint8_t key[16 + 16 + 16], md[16];
	unsigned int ml = 0;
	int rc;

	if (res == NULL || res_len == 0 || res_len > 16 || ik == NULL || ck == NULL)
		return PRES_EINVAL;
	memcpy(key, res, res_len);
	memcpy(key + res_len, ik, 16);
	memcpy(key + res_len + 16, ck, 16);
	if (HMAC(EVP_md5(), key, (int)(res_len + 32), (const uint8_t *)label,
	    sizeof(label) - 1, md, &ml) == NULL || ml != 16)
		rc = PRES_EINVAL;
	else
		rc = gba_b64_encode(md, 16, out, size);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(md, sizeof(md));
	return rc;
}

