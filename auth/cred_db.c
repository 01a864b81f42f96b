/*
 * cred_db.c - the provisioned-password credential source and identity
 * lookup over db/. Kept apart from digest.c and identity.c so that code
 * using only the engine does not pull in the storage layer.
 */
#include "auth/auth.h"
#include "db/db.h"

#include <string.h>

#include <openssl/crypto.h>

int auth_identity_from_db(struct db *db, const char *impi, struct auth_identity *out)
{
	struct db_subscriber s;
	int rc;

	if (!db || !impi || !out)
		return PRES_EINVAL;
	auth_identity_init(out);
	memset(&s, 0, sizeof(s));
	rc = db_subscriber_get(db, impi, &s);
	if (rc) {
		db_subscriber_wipe(&s);
		return rc;
	}
	rc = pres_strlcpy(out->impi, s.impi, sizeof(out->impi));
	for (size_t i = 0; rc == PRES_OK && i < s.n_impus && i < DB_MAX_IMPUS; i++) {
		int r = auth_identity_add_impu(out, s.impus[i]);
		if (r == PRES_EINVAL)
			log_warnx("auth: subscriber %s: ignoring malformed IMPU", s.impi);
		else
			rc = r;
	}
	out->not_before = s.auth_not_before;
	db_subscriber_wipe(&s);
	OPENSSL_cleanse(&s, sizeof(s));
	if (rc)
		auth_identity_init(out);
	return rc;
}

int auth_db_cred_cb(void *arg, const char *username, const char *realm, int alg,
    uint8_t *ha1, size_t *ha1_len, struct auth_identity *who)
{
	struct auth_db_source *src = arg;
	struct db_digest_cred cred;
	char impi[DB_URI_MAX];
	const char *hex;
	size_t hl = auth_alg_hash_len(alg);
	int rc;

	if (!src || !src->db || !username || !realm || !ha1 || !ha1_len || !who ||
	    hl == 0 || *ha1_len < hl)
		return PRES_EINVAL;
	memset(&cred, 0, sizeof(cred));
	impi[0] = '\0';
	rc = db_digest_get(src->db, username, realm, &cred, impi);
	if (rc)
		goto out;
	if (!src->allow_impu_username && strcmp(username, impi) != 0) {
		rc = PRES_ENOTFOUND;
		goto out;
	}
	hex = hl == 16 ? cred.ha1_md5 : cred.ha1_sha256;
	if (hex[0] == '\0') {
		rc = PRES_ENOTFOUND;     /* no credential for this hash */
		goto out;
	}
	if (pres_unhex(hex, ha1, hl) != PRES_OK) {
		log_warnx("auth: stored digest credential of %s is malformed", impi);
		rc = PRES_ENOTFOUND;
		goto out;
	}
	*ha1_len = hl;
	rc = auth_identity_from_db(src->db, impi, who);
	if (rc == PRES_ENOTFOUND) {
		/* credential without subscriber: identity is the IMPI alone */
		auth_identity_init(who);
		rc = pres_strlcpy(who->impi, impi, sizeof(who->impi));
	}
	if (rc == PRES_OK)
		who->method = AUTH_METHOD_DIGEST;
	else
		OPENSSL_cleanse(ha1, hl);
out:
	OPENSSL_cleanse(&cred, sizeof(cred));
	return rc;
}
