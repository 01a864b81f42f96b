/*
 * nbcache.c - small per-thread caches, so that an authenticated request
 * does not read the database every time (see auth.h): subscribers' forced
 * re-authentication times (auth_not_before) and the identities behind
 * IMPUs asserted by an Authentication Proxy.
 *
 * Both are one structure: fixed slots of (key, time read, value copied in
 * and out), no lock (one cache per thread); an entry lives at most the configured
 * lifetime, and the oldest entry makes room for a new one.
 */
#include "auth/auth.h"

#include <stdlib.h>
#include <string.h>

struct ttl_ent {
	char key[AUTH_NAME_MAX];     /* "" = free */
	int64_t fetched_ms;
};

struct ttl_cache {
	size_t n, vsize;
	int64_t ttl_ms;
	struct ttl_ent *ent;         /* n keys */
	unsigned char *val;          /* n values of vsize bytes (copied in and out) */
};

static struct ttl_cache *ttl_new(size_t slots, size_t max_slots, size_t vsize, int64_t ttl_ms)
{
	if (slots == 0 || slots > max_slots || ttl_ms <= 0)
		return NULL;
	struct ttl_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->n = slots;
	c->vsize = vsize;
	c->ttl_ms = ttl_ms;
	c->ent = calloc(slots, sizeof(c->ent[0]));
	c->val = calloc(slots, vsize);
	if (!c->ent || !c->val) {
		free(c->ent);
		free(c->val);
		free(c);
		return NULL;
	}
	return c;
}

static void ttl_free(struct ttl_cache *c)
{
	if (c) {
		free(c->ent);
		free(c->val);
	}
	free(c);
}

/* Index of @p key's entry, or c->n. */
static size_t ttl_find(const struct ttl_cache *c, const char *key)
{
	size_t i;
	for (i = 0; i < c->n; i++)
		if (c->ent[i].key[0] && strcmp(c->ent[i].key, key) == 0)
			break;
	return i;
}

/* Copies @p key's value into @p out if it was read less than the lifetime
 * before @p now_ms: 1, else 0. */
static int ttl_get(const struct ttl_cache *c, const char *key, int64_t now_ms, void *out)
{
	size_t i = ttl_find(c, key);
	if (i == c->n)
		return 0;
	/* expired, or the clock went back: ask the database again */
	if (now_ms < c->ent[i].fetched_ms || now_ms - c->ent[i].fetched_ms >= c->ttl_ms) {
		c->ent[i].key[0] = '\0';
		return 0;
	}
	memcpy(out, c->val + i * c->vsize, c->vsize);
	return 1;
}

static void ttl_put(struct ttl_cache *c, const char *key, const void *val, int64_t now_ms)
{
	if (!*key || strlen(key) >= AUTH_NAME_MAX)
		return;
	size_t i = ttl_find(c, key);
	if (i == c->n) {
		i = 0;
		for (size_t j = 0; j < c->n; j++) {
			if (!c->ent[j].key[0]) {
				i = j;
				break;
			}
			if (c->ent[j].fetched_ms < c->ent[i].fetched_ms)
				i = j;
		}
		memcpy(c->ent[i].key, key, strlen(key) + 1);
	}
	memcpy(c->val + i * c->vsize, val, c->vsize);
	c->ent[i].fetched_ms = now_ms;
}

static void ttl_forget(struct ttl_cache *c, const char *key)
{
	size_t i = ttl_find(c, key);
	if (i < c->n)
		c->ent[i].key[0] = '\0';
}

/* ---- forced re-authentication times, by IMPI ----------------------------- */

struct auth_nbc {
	struct ttl_cache *c;
};

struct auth_nbc *auth_nbc_new(size_t slots, int64_t ttl_ms)
{
	struct auth_nbc *n = calloc(1, sizeof(*n));
	if (n && !(n->c = ttl_new(slots, 4096, sizeof(int64_t), ttl_ms))) {
		free(n);
		n = NULL;
	}
	return n;
}

void auth_nbc_free(struct auth_nbc *n)
{
	if (n)
		ttl_free(n->c);
	free(n);
}

int auth_nbc_get(struct auth_nbc *n, const char *impi, int64_t now_ms, int64_t *not_before)
{
	return n && impi && not_before && ttl_get(n->c, impi, now_ms, not_before);
}

void auth_nbc_put(struct auth_nbc *n, const char *impi, int64_t not_before, int64_t now_ms)
{
	if (n && impi)
		ttl_put(n->c, impi, &not_before, now_ms);
}

void auth_nbc_forget(struct auth_nbc *n, const char *impi)
{
	if (n && impi)
		ttl_forget(n->c, impi);
}

/* ---- identities of asserted IMPUs ---------------------------------------- */

struct auth_idc {
	struct ttl_cache *c;
};

struct auth_idc *auth_idc_new(size_t slots, int64_t ttl_ms)
{
	struct auth_idc *d = calloc(1, sizeof(*d));
	if (d && !(d->c = ttl_new(slots, 256, sizeof(struct auth_identity), ttl_ms))) {
		free(d);
		d = NULL;
	}
	return d;
}

void auth_idc_free(struct auth_idc *d)
{
	if (d)
		ttl_free(d->c);
	free(d);
}

int auth_idc_get(struct auth_idc *d, const char *key, int64_t now_ms, struct auth_identity *out)
{
	return d && key && out && ttl_get(d->c, key, now_ms, out);
}

void auth_idc_put(struct auth_idc *d, const char *key, const struct auth_identity *id, int64_t now_ms)
{
	if (d && key && id)
		ttl_put(d->c, key, id, now_ms);
}
