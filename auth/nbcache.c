/*
 * nbcache.c - small per-thread caches, so that an authenticated request
 * does not read the database every time (see auth.h): subscribers' forced
 * re-authentication times (auth_not_before) and the identities behind
 * IMPUs asserted by an Authentication Proxy.
 *
 * Fixed slots, no lock (one cache per thread), entries live at most the
 * configured lifetime; the oldest entry makes room for a new one.
 */
#include "auth/auth.h"

#include <stdlib.h>
#include <string.h>

struct nbc_ent {
	char impi[AUTH_NAME_MAX];    /* "" = free */
	int64_t not_before;
	int64_t fetched_ms;
};

struct auth_nbc {
	size_t n;
	int64_t ttl_ms;
	struct nbc_ent ent[];
};

struct auth_nbc *auth_nbc_new(size_t slots, int64_t ttl_ms)
{
	if (slots == 0 || slots > 4096 || ttl_ms <= 0)
		return NULL;
	struct auth_nbc *c = calloc(1, sizeof(*c) + slots * sizeof(c->ent[0]));
	if (!c)
		return NULL;
	c->n = slots;
	c->ttl_ms = ttl_ms;
	return c;
}

void auth_nbc_free(struct auth_nbc *c)
{
	free(c);
}

static struct nbc_ent *find(struct auth_nbc *c, const char *impi)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->ent[i].impi[0] && strcmp(c->ent[i].impi, impi) == 0)
			return &c->ent[i];
	return NULL;
}

int auth_nbc_get(struct auth_nbc *c, const char *impi, int64_t now_ms, int64_t *not_before)
{
	if (!c || !impi || !not_before)
		return 0;
	struct nbc_ent *e = find(c, impi);
	if (!e)
		return 0;
	/* expired, or the clock went back: ask the database again */
	if (now_ms < e->fetched_ms || now_ms - e->fetched_ms >= c->ttl_ms) {
		e->impi[0] = '\0';
		return 0;
	}
	*not_before = e->not_before;
	return 1;
}

void auth_nbc_put(struct auth_nbc *c, const char *impi, int64_t not_before, int64_t now_ms)
{
	if (!c || !impi || !*impi || strlen(impi) >= AUTH_NAME_MAX)
		return;
	struct nbc_ent *e = find(c, impi);
	if (!e) {
		e = &c->ent[0];
		for (size_t i = 0; i < c->n; i++) {
			if (!c->ent[i].impi[0]) {
				e = &c->ent[i];
				break;
			}
			if (c->ent[i].fetched_ms < e->fetched_ms)
				e = &c->ent[i];
		}
		memcpy(e->impi, impi, strlen(impi) + 1);
	}
	e->not_before = not_before;
	e->fetched_ms = now_ms;
}

void auth_nbc_forget(struct auth_nbc *c, const char *impi)
{
	struct nbc_ent *e = c && impi ? find(c, impi) : NULL;
	if (e)
		e->impi[0] = '\0';
}

/* ---- identities of asserted IMPUs ---------------------------------------- */

struct idc_ent {
	char key[AUTH_NAME_MAX];     /* "" = free */
	int64_t fetched_ms;
	struct auth_identity id;
};

struct auth_idc {
	size_t n;
	int64_t ttl_ms;
	struct idc_ent ent[];
};

struct auth_idc *auth_idc_new(size_t slots, int64_t ttl_ms)
{
	if (slots == 0 || slots > 256 || ttl_ms <= 0)
		return NULL;
	struct auth_idc *c = calloc(1, sizeof(*c) + slots * sizeof(c->ent[0]));
	if (!c)
		return NULL;
	c->n = slots;
	c->ttl_ms = ttl_ms;
	return c;
}

void auth_idc_free(struct auth_idc *c)
{
	free(c);
}

static struct idc_ent *idc_find(struct auth_idc *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->ent[i].key[0] && strcmp(c->ent[i].key, key) == 0)
			return &c->ent[i];
	return NULL;
}

int auth_idc_get(struct auth_idc *c, const char *key, int64_t now_ms, struct auth_identity *out)
{
	if (!c || !key || !out)
		return 0;
	struct idc_ent *e = idc_find(c, key);
	if (!e)
		return 0;
	if (now_ms < e->fetched_ms || now_ms - e->fetched_ms >= c->ttl_ms) {
		e->key[0] = '\0';
		return 0;
	}
	*out = e->id;
	return 1;
}

void auth_idc_put(struct auth_idc *c, const char *key, const struct auth_identity *id, int64_t now_ms)
{
	if (!c || !key || !*key || !id || strlen(key) >= AUTH_NAME_MAX)
		return;
	struct idc_ent *e = idc_find(c, key);
	if (!e) {
		e = &c->ent[0];
		for (size_t i = 0; i < c->n; i++) {
			if (!c->ent[i].key[0]) {
				e = &c->ent[i];
				break;
			}
			if (c->ent[i].fetched_ms < e->fetched_ms)
				e = &c->ent[i];
		}
		memcpy(e->key, key, strlen(key) + 1);
	}
	e->id = *id;
	e->fetched_ms = now_ms;
}
