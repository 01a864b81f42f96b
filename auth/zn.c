/*
 * zn.c - the Zn interface (NAF -> BSF, TS 29.109) and its embedded
 * implementation, which answers from the embedded BSF's sessions in the
 * local database. A remote implementation (Diameter BIR/BIA, or the
 * web-services binding) plugs in as another struct gba_zn_ops.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth/gba.h"
#include "db/db.h"

int gba_zn_request(struct gba_zn *zn, const char *btid, const struct gba_naf_id *naf_id,
    unsigned long gsid, struct gba_zn_answer *ans)
{
	int rc;

	if (zn == NULL || zn->ops == NULL || zn->ops->request == NULL || btid == NULL ||
	    naf_id == NULL || ans == NULL)
		return PRES_EINVAL;
	memset(ans, 0, sizeof(*ans));
	rc = zn->ops->request(zn->impl, btid, naf_id, gsid, ans);
	if (rc != PRES_OK) {
		gba_zn_answer_wipe(ans);
		ans->result = GBA_ZN_ERROR;
		return PRES_OK;
	}
	if (ans->result != GBA_ZN_OK)
		gba_zn_answer_wipe(ans);
	return PRES_OK;
}

void gba_zn_free(struct gba_zn *zn)
{
	if (zn == NULL)
		return;
	if (zn->ops != NULL && zn->ops->free != NULL)
		zn->ops->free(zn->impl);
	free(zn);
}

void gba_zn_answer_wipe(struct gba_zn_answer *ans)
{
	if (ans != NULL)
		OPENSSL_cleanse(ans->ks_naf, sizeof(ans->ks_naf));
}

/* ---- embedded implementation ------------------------------------------ */

struct zn_embedded {
	pthread_mutex_t lock;
	struct db *db; /* borrowed, used only under lock */
};

static int zn_emb_request(void *impl, const char *btid, const struct gba_naf_id *naf_id,
    unsigned long gsid, struct gba_zn_answer *ans)
{
	struct zn_embedded *z = impl;
	struct db_gba_session sess;
	struct db_subscriber sub;
	int64_t now = pres_now();
	int rc;

	memset(&sess, 0, sizeof(sess));
	memset(&sub, 0, sizeof(sub));
	pthread_mutex_lock(&z->lock);
	rc = db_gba_session_get(z->db, btid, &sess);
	if (rc == PRES_OK)
		rc = db_subscriber_get(z->db, sess.impi, &sub);
	pthread_mutex_unlock(&z->lock);
	OPENSSL_cleanse(sub.k, sizeof(sub.k)); /* K/OPc are not needed here */
	OPENSSL_cleanse(sub.opc, sizeof(sub.opc));

	if (rc == PRES_ENOTFOUND) {
		/* unknown B-TID, or its subscriber was removed */
		ans->result = GBA_ZN_BTID_INVALID;
		rc = PRES_OK;
		goto out;
	}
	if (rc != PRES_OK)
		goto out;
	if (sess.expires <= now || sess.created < sub.auth_not_before) {
		ans->result = GBA_ZN_BTID_INVALID;
		goto out;
	}
	if (sub.n_impus == 0) {
		ans->result = GBA_ZN_NOT_AUTHORIZED;
		goto out;
	}
	rc = gba_ks_naf(sess.ks, sess.rand, sess.impi, naf_id, ans->ks_naf);
	if (rc != PRES_OK)
		goto out;
	ans->result = GBA_ZN_OK;
	ans->key_expiry = sess.expires;
	ans->created = sess.created;
	pres_strlcpy(ans->impi, sess.impi, sizeof(ans->impi));
	/* GUSS: one USS for the requested service with all the IMPUs. */
	ans->uss.n = 1;
	struct gba_uss *u = &ans->uss.uss[0];
	pres_strlcpy(u->id, "1", sizeof(u->id));
	u->gsid = gsid;
	u->naf_group[0] = '\0';
	for (size_t i = 0; i < sub.n_impus && i < GBA_UIDS_MAX; i++)
		pres_strlcpy(u->uids[u->n_uids++], sub.impus[i], GBA_URI_MAX);
out:
	OPENSSL_cleanse(sess.ks, sizeof(sess.ks));
	return rc;
}

static void zn_emb_free(void *impl)
{
	struct zn_embedded *z = impl;

	if (z == NULL)
		return;
	pthread_mutex_destroy(&z->lock);
	free(z);
}

static const struct gba_zn_ops zn_embedded_ops = {
	.name = "embedded",
	.request = zn_emb_request,
	.free = zn_emb_free,
};

struct gba_zn *gba_zn_embedded_new(struct db *db)
{
	struct gba_zn *zn;
	struct zn_embedded *z;

	if (db == NULL)
		return NULL;
	zn = calloc(1, sizeof(*zn));
	z = calloc(1, sizeof(*z));
	if (zn == NULL || z == NULL || pthread_mutex_init(&z->lock, NULL) != 0) {
		free(zn);
		free(z);
		return NULL;
	}
	z->db = db;
	zn->ops = &zn_embedded_ops;
	zn->impl = z;
	return zn;
}
