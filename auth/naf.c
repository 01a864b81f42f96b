/*
 * naf.c - the NAF side of GBA: a bounded, thread-safe cache of Ks_NAF per
 * (B-TID, NAF_Id) filled through Zn, and the digest credential callback
 * that turns a B-TID into HA1 = H(B-TID ":" realm ":" base64(Ks_NAF)).
 *
 * Entries end at the key expiry time given by the BSF; the oldest entry is
 * evicted when the cache is full; keys are wiped when an entry goes.
 * The cache holds only what the BSF said: a deployment with several nodes
 * shares nothing here, each node asks Zn on its first use of a B-TID.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth/auth.h"
#include "auth/gba.h"

#define NAF_REALM_PREFIX "3GPP-bootstrapping@"

struct naf_entry {
	struct naf_entry *hnext;          /* hash chain */
	struct naf_entry *older, *newer;  /* insertion order */
	uint64_t hash;
	char *btid;                       /* owned */
	struct gba_naf_id naf_id;
	uint8_t ks_naf[32];               /* secret */
	int64_t expires;
	int64_t created;                  /* bootstrapping time (BSF) */
	char impi[GBA_URI_MAX];
	size_t n_impus;
	char **impus;                     /* owned, n_impus strings */
};

struct gba_naf {
	struct gba_naf_cfg cfg;
	struct gba_zn *zn;                /* borrowed */
	pthread_mutex_t lock;
	struct naf_entry **buckets;
	size_t n_buckets;                 /* power of two */
	size_t count;
	struct naf_entry *oldest, *newest;
};

void gba_naf_cfg_default(struct gba_naf_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->gsid = GBA_GSID_PRESENCE;
	cfg->max_entries = 10000;
}

/* FNV-1a over B-TID and NAF_Id: only spreads entries, not a security boundary
 * (chains are bounded by the cache size). */
static uint64_t key_hash(const char *btid, const struct gba_naf_id *nid)
{
	uint64_t h = 1469598103934665603ULL;

	for (const char *p = btid; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (size_t i = 0; i < nid->len; i++)
		h = (h ^ nid->b[i]) * 1099511628211ULL;
	return h;
}

struct gba_naf *gba_naf_new(const struct gba_naf_cfg *cfg, struct gba_zn *zn)
{
	struct gba_naf *n;
	size_t nb = 64;

	if (cfg == NULL || zn == NULL || cfg->max_entries == 0 || cfg->max_entries > 10000000)
		return NULL;
	while (nb < cfg->max_entries)
		nb <<= 1;
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return NULL;
	n->buckets = calloc(nb, sizeof(*n->buckets));
	if (n->buckets == NULL || pthread_mutex_init(&n->lock, NULL) != 0) {
		free(n->buckets);
		free(n);
		return NULL;
	}
	n->cfg = *cfg;
	n->zn = zn;
	n->n_buckets = nb;
	return n;
}

static void entry_free(struct naf_entry *e)
{
	OPENSSL_cleanse(e->ks_naf, sizeof(e->ks_naf));
	for (size_t i = 0; i < e->n_impus; i++)
		free(e->impus[i]);
	free(e->impus);
	free(e->btid);
	free(e);
}

/* Unlinks @p e from its chain and the order list; caller holds the lock. */
static void entry_unlink(struct gba_naf *n, struct naf_entry *e)
{
	struct naf_entry **pp = &n->buckets[e->hash & (n->n_buckets - 1)];

	while (*pp != NULL && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp == e)
		*pp = e->hnext;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		n->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		n->newest = e->older;
	n->count--;
}

void gba_naf_free(struct gba_naf *n)
{
	if (n == NULL)
		return;
	while (n->oldest != NULL) {
		struct naf_entry *e = n->oldest;

		entry_unlink(n, e);
		entry_free(e);
	}
	pthread_mutex_destroy(&n->lock);
	free(n->buckets);
	free(n);
}

static struct naf_entry *find(struct gba_naf *n, uint64_t h, const char *btid,
    const struct gba_naf_id *nid)
{
	for (struct naf_entry *e = n->buckets[h & (n->n_buckets - 1)]; e != NULL; e = e->hnext)
		if (e->hash == h && e->naf_id.len == nid->len &&
		    memcmp(e->naf_id.b, nid->b, nid->len) == 0 && strcmp(e->btid, btid) == 0)
			return e;
	return NULL;
}

static void copy_out(const struct naf_entry *e, struct gba_naf_key *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->ks_naf, e->ks_naf, 32);
	out->expires = e->expires;
	out->created = e->created;
	pres_strlcpy(out->impi, e->impi, sizeof(out->impi));
	for (size_t i = 0; i < e->n_impus && i < GBA_UIDS_MAX; i++)
		pres_strlcpy(out->impus[out->n_impus++], e->impus[i], GBA_URI_MAX);
}

static struct naf_entry *entry_new(const char *btid, const struct gba_naf_id *nid,
    const struct gba_zn_answer *a, const struct gba_uss *uss)
{
	struct naf_entry *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->btid = strdup(btid);
	e->impus = calloc(uss->n_uids > 0 ? uss->n_uids : 1, sizeof(char *));
	if (e->btid == NULL || e->impus == NULL)
		goto fail;
	for (size_t i = 0; i < uss->n_uids; i++) {
		if ((e->impus[i] = strdup(uss->uids[i])) == NULL)
			goto fail;
		e->n_impus++;
	}
	e->naf_id = *nid;
	memcpy(e->ks_naf, a->ks_naf, 32);
	e->expires = a->key_expiry;
	e->created = a->created;
	pres_strlcpy(e->impi, a->impi, sizeof(e->impi));
	e->hash = key_hash(btid, nid);
	return e;
fail:
	entry_free(e);
	return NULL;
}

static void insert(struct gba_naf *n, struct naf_entry *e)
{
	struct naf_entry *old;
	size_t b = e->hash & (n->n_buckets - 1);

	pthread_mutex_lock(&n->lock);
	if ((old = find(n, e->hash, e->btid, &e->naf_id)) != NULL) {
		entry_unlink(n, old);
		entry_free(old);
	}
	while (n->count >= n->cfg.max_entries && n->oldest != NULL) {
		old = n->oldest;
		entry_unlink(n, old);
		entry_free(old);
	}
	e->hnext = n->buckets[b];
	n->buckets[b] = e;
	e->older = n->newest;
	e->newer = NULL;
	if (n->newest != NULL)
		n->newest->newer = e;
	else
		n->oldest = e;
	n->newest = e;
	n->count++;
	pthread_mutex_unlock(&n->lock);
}

int gba_naf_lookup(struct gba_naf *n, const char *btid, const struct gba_naf_id *nid,
    enum gba_naf_status *status, struct gba_naf_key *out)
{
	struct gba_zn_answer *a;
	struct naf_entry *e;
	const struct gba_uss *uss;
	uint64_t h;
	int64_t now = pres_now();
	int rc;

	if (n == NULL || btid == NULL || nid == NULL || status == NULL || out == NULL ||
	    *btid == '\0' || strlen(btid) >= GBA_BTID_MAX || nid->len == 0)
		return PRES_EINVAL;
	*status = GBA_NAF_ERROR;
	h = key_hash(btid, nid);
	pthread_mutex_lock(&n->lock);
	e = find(n, h, btid, nid);
	if (e != NULL && e->expires > now) {
		copy_out(e, out);
		pthread_mutex_unlock(&n->lock);
		*status = GBA_NAF_OK;
		return PRES_OK;
	}
	if (e != NULL) { /* key expired: forget it and ask the BSF again */
		entry_unlink(n, e);
		entry_free(e);
	}
	pthread_mutex_unlock(&n->lock);

	a = malloc(sizeof(*a));
	if (a == NULL)
		return PRES_ENOMEM;
	rc = gba_zn_request(n->zn, btid, nid, n->cfg.gsid, a);
	if (rc != PRES_OK)
		goto out;
	switch (a->result) {
	case GBA_ZN_OK:
		break;
	case GBA_ZN_BTID_INVALID:
		*status = GBA_NAF_BOOTSTRAP;
		goto out;
	case GBA_ZN_NOT_AUTHORIZED:
		*status = GBA_NAF_FORBIDDEN;
		goto out;
	default:
		log_warnx("naf: Zn request failed");
		*status = GBA_NAF_ERROR;
		goto out;
	}
	if (a->key_expiry <= now) {
		*status = GBA_NAF_BOOTSTRAP;
		goto out;
	}
	uss = gba_uss_find(&a->uss, n->cfg.gsid);
	if (uss == NULL || uss->n_uids == 0) {
		log_info("naf: %s has no USS for service %lu", a->impi, n->cfg.gsid);
		*status = GBA_NAF_FORBIDDEN;
		goto out;
	}
	e = entry_new(btid, nid, a, uss);
	if (e == NULL) {
		rc = PRES_ENOMEM;
		goto out;
	}
	copy_out(e, out);
	insert(n, e);
	*status = GBA_NAF_OK;
out:
	gba_zn_answer_wipe(a);
	free(a);
	return rc;
}

void gba_naf_key_wipe(struct gba_naf_key *k)
{
	if (k != NULL)
		OPENSSL_cleanse(k->ks_naf, sizeof(k->ks_naf));
}

void gba_naf_forget(struct gba_naf *n, const char *btid)
{
	if (n == NULL || btid == NULL)
		return;
	pthread_mutex_lock(&n->lock);
	for (struct naf_entry *e = n->oldest, *next; e != NULL; e = next) {
		next = e->newer;
		if (strcmp(e->btid, btid) == 0) {
			entry_unlink(n, e);
			entry_free(e);
		}
	}
	pthread_mutex_unlock(&n->lock);
}

size_t gba_naf_cache_size(struct gba_naf *n)
{
	size_t c;

	if (n == NULL)
		return 0;
	pthread_mutex_lock(&n->lock);
	c = n->count;
	pthread_mutex_unlock(&n->lock);
	return c;
}

int gba_naf_realm(const char *naf_fqdn, char *out, size_t size)
{
	int n;

	if (naf_fqdn == NULL || *naf_fqdn == '\0' || out == NULL)
		return PRES_EINVAL;
	n = snprintf(out, size, NAF_REALM_PREFIX "%s", naf_fqdn);
	if (n < 0 || (size_t)n >= size)
		return PRES_ETOOBIG;
	return PRES_OK;
}

static int ha1_hex(const EVP_MD *md, const char *user, const char *realm, const char *pw,
    char *out)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	int ok;

	if (c == NULL)
		return PRES_ENOMEM;
	ok = EVP_DigestInit_ex(c, md, NULL) == 1 &&
	    EVP_DigestUpdate(c, user, strlen(user)) == 1 &&
	    EVP_DigestUpdate(c, ":", 1) == 1 &&
	    EVP_DigestUpdate(c, realm, strlen(realm)) == 1 &&
	    EVP_DigestUpdate(c, ":", 1) == 1 &&
	    EVP_DigestUpdate(c, pw, strlen(pw)) == 1 &&
	    EVP_DigestFinal_ex(c, d, &dl) == 1;
	EVP_MD_CTX_free(c);
	if (!ok)
		return PRES_EINVAL;
	pres_hex(d, dl, out);
	OPENSSL_cleanse(d, sizeof(d));
	return PRES_OK;
}

/*
 * Common part of both credential callbacks: checks realm and username and
 * looks the key up. Returns the status; GBA_NAF_OK fills @p key and the
 * password base64(Ks_NAF) in @p pw (48 bytes; secret).
 */
static enum gba_naf_status naf_cred(struct gba_naf_conn *conn, const char *username,
    const char *realm, struct gba_naf_key *key, char *pw, size_t pw_size)
{
	enum gba_naf_status st = GBA_NAF_ERROR;
	size_t plen = sizeof(NAF_REALM_PREFIX) - 1, flen;

	flen = conn->naf_id.len - GBA_UA_ID_LEN;
	/* The realm must name this NAF: "3GPP-bootstrapping@<FQDN of NAF_Id>". */
	if (strlen(realm) != plen + flen || strncmp(realm, NAF_REALM_PREFIX, plen) != 0 ||
	    strncasecmp(realm + plen, (const char *)conn->naf_id.b, flen) != 0)
		return GBA_NAF_BOOTSTRAP;
	if (strchr(username, '@') == NULL || strlen(username) >= GBA_BTID_MAX)
		return GBA_NAF_BOOTSTRAP;
	if (gba_naf_lookup(conn->naf, username, &conn->naf_id, &st, key) != PRES_OK)
		return GBA_NAF_ERROR;
	if (st != GBA_NAF_OK)
		return st;
	if (gba_b64_encode(key->ks_naf, 32, pw, pw_size) != PRES_OK) {
		gba_naf_key_wipe(key);
		return GBA_NAF_ERROR;
	}
	return GBA_NAF_OK;
}

static int conn_ok(const struct gba_naf_conn *conn)
{
	return conn != NULL && conn->naf != NULL && conn->naf_id.len > GBA_UA_ID_LEN &&
	    conn->naf_id.len <= GBA_NAF_ID_MAX;
}

int gba_naf_digest_cred(void *arg, const char *username, const char *realm,
    struct gba_naf_cred *out)
{
	struct gba_naf_conn *conn = arg;
	struct gba_naf_key *key;
	char pw[48];
	int rc = PRES_OK;

	if (!conn_ok(conn) || username == NULL || realm == NULL || out == NULL)
		return PRES_EINVAL;
	memset(out, 0, sizeof(*out));
	key = malloc(sizeof(*key));
	if (key == NULL) {
		out->status = GBA_NAF_ERROR;
		return PRES_OK;
	}
	out->status = naf_cred(conn, username, realm, key, pw, sizeof(pw));
	if (out->status != GBA_NAF_OK)
		goto out;
	rc = ha1_hex(EVP_md5(), username, realm, pw, out->ha1_md5);
	if (rc == PRES_OK)
		rc = ha1_hex(EVP_sha256(), username, realm, pw, out->ha1_sha256);
	if (rc != PRES_OK) {
		gba_naf_cred_wipe(out);
		out->status = GBA_NAF_ERROR;
		goto out;
	}
	out->expires = key->expires;
	pres_strlcpy(out->impi, key->impi, sizeof(out->impi));
	out->n_impus = key->n_impus;
	memcpy(out->impus, key->impus, sizeof(out->impus));
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	gba_naf_key_wipe(key);
	free(key);
	return PRES_OK; /* failures are reported in out->status */
}

int gba_naf_auth_cred_cb(void *arg, const char *username, const char *realm, int alg,
    uint8_t *ha1, size_t *ha1_len, struct auth_identity *who)
{
	struct gba_naf_conn *conn = arg;
	struct gba_naf_key *key;
	enum gba_naf_status st;
	const EVP_MD *md;
	char pw[48];
	int rc;

	if (!conn_ok(conn) || username == NULL || realm == NULL || ha1 == NULL ||
	    ha1_len == NULL || who == NULL)
		return PRES_EINVAL;
	if (alg == AUTH_ALG_MD5 || alg == AUTH_ALG_MD5_SESS)
		md = EVP_md5();
	else if (alg == AUTH_ALG_SHA256 || alg == AUTH_ALG_SHA256_SESS)
		md = EVP_sha256();
	else
		return PRES_ENOTFOUND;
	if (*ha1_len < (size_t)EVP_MD_get_size(md))
		return PRES_EINVAL;
	key = malloc(sizeof(*key));
	if (key == NULL)
		return PRES_ENOMEM;
	st = naf_cred(conn, username, realm, key, pw, sizeof(pw));
	switch (st) {
	case GBA_NAF_OK:
		break;
	case GBA_NAF_BOOTSTRAP:
		rc = PRES_ENOTFOUND; /* challenge again: the UE bootstraps */
		goto out_nokey;
	case GBA_NAF_FORBIDDEN:
		rc = PRES_EAUTH;     /* 403 */
		goto out_nokey;
	default:
		rc = PRES_EIO;       /* Zn failure: 500/503 */
		goto out_nokey;
	}
	{
		EVP_MD_CTX *c = EVP_MD_CTX_new();
		unsigned int dl = 0;
		int ok = c != NULL && EVP_DigestInit_ex(c, md, NULL) == 1 &&
		    EVP_DigestUpdate(c, username, strlen(username)) == 1 &&
		    EVP_DigestUpdate(c, ":", 1) == 1 &&
		    EVP_DigestUpdate(c, realm, strlen(realm)) == 1 &&
		    EVP_DigestUpdate(c, ":", 1) == 1 &&
		    EVP_DigestUpdate(c, pw, strlen(pw)) == 1 &&
		    EVP_DigestFinal_ex(c, ha1, &dl) == 1;

		EVP_MD_CTX_free(c);
		if (!ok) {
			rc = PRES_EIO;
			goto out;
		}
		*ha1_len = dl;
	}
	pres_strlcpy(who->impi, key->impi, sizeof(who->impi));
	pres_strlcpy(who->username, username, sizeof(who->username));
	for (size_t i = 0; i < key->n_impus; i++)
		if (auth_identity_add_impu(who, key->impus[i]) != PRES_OK)
			log_warnx("naf: %s: USS uid not usable as IMPU, ignored", key->impi);
	who->auth_time = key->created;
	who->method = AUTH_METHOD_GBA;
	rc = PRES_OK;
out:
	gba_naf_key_wipe(key);
out_nokey:
	OPENSSL_cleanse(pw, sizeof(pw));
	free(key);
	return rc;
}

void gba_naf_cred_wipe(struct gba_naf_cred *c)
{
	if (c == NULL)
		return;
	OPENSSL_cleanse(c->ha1_md5, sizeof(c->ha1_md5));
	OPENSSL_cleanse(c->ha1_sha256, sizeof(c->ha1_sha256));
}
