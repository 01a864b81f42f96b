/*
 * ratelimit.c - limits repeated authentication failures per source address.
 *
 * Fixed window per source: more than max_failures failures within `window`
 * seconds block the source for `block_time` seconds. Sources live in a
 * bounded open-addressing table (probe window RL_PROBE); when a window is
 * full the least recently seen unblocked entry is evicted (blocked entries
 * only if nothing else is left). The hash is seeded at random so that a
 * peer cannot aim many addresses at one probe window in advance.
 */
#include "auth/auth.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#define RL_PROBE 8
#define RL_KEY_MAX 64     /* IPv6 text is at most 45 chars */

struct rl_entry {
	char src[RL_KEY_MAX];   /* "" = free */
	int64_t window_start;
	int64_t last_seen;
	int64_t blocked_until;
	int failures;
};

struct auth_rl {
	pthread_mutex_t lock;
	struct rl_entry *tab;   /* owned, size entries */
	size_t size;
	uint64_t seed;
	int max_failures, window, block_time;
};

struct auth_rl *auth_rl_new(const struct auth_rl_cfg *cfg)
{
	struct auth_rl *rl = calloc(1, sizeof(*rl));

	if (!rl)
		return NULL;
	rl->size = cfg && cfg->table_size ? cfg->table_size : 4096;
	if (rl->size < RL_PROBE)
		rl->size = RL_PROBE;
	rl->max_failures = cfg && cfg->max_failures > 0 ? cfg->max_failures : 10;
	rl->window = cfg && cfg->window > 0 ? cfg->window : 60;
	rl->block_time = cfg && cfg->block_time > 0 ? cfg->block_time : 60;
	if (RAND_bytes((unsigned char *)&rl->seed, sizeof(rl->seed)) != 1)
		rl->seed = 0x9e3779b97f4a7c15ULL;
	rl->tab = calloc(rl->size, sizeof(*rl->tab));
	if (!rl->tab || pthread_mutex_init(&rl->lock, NULL) != 0) {
		free(rl->tab);
		free(rl);
		return NULL;
	}
	return rl;
}

void auth_rl_free(struct auth_rl *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl->tab);
	free(rl);
}

static uint64_t rl_hash(const struct auth_rl *rl, const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ rl->seed;   /* seeded FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 29;
	return h;
}

/* An entry that no longer carries information. */
static int rl_idle(const struct auth_rl *rl, const struct rl_entry *e, int64_t now)
{
	return e->src[0] == '\0' ||
	    (e->blocked_until <= now && e->window_start + rl->window <= now);
}

/* Finds @p src; with @p create, makes room for it. Lock held. */
static struct rl_entry *rl_find(struct auth_rl *rl, const char *src, int64_t now, int create)
{
	size_t base = (size_t)(rl_hash(rl, src) % rl->size);
	struct rl_entry *idle = NULL, *lru = NULL, *lru_blocked = NULL, *e;

	for (size_t i = 0; i < RL_PROBE; i++) {
		e = &rl->tab[(base + i) % rl->size];
		if (e->src[0] && strcmp(e->src, src) == 0)
			return e;
		if (rl_idle(rl, e, now)) {
			if (!idle)
				idle = e;
		} else if (e->blocked_until > now) {
			if (!lru_blocked || e->last_seen < lru_blocked->last_seen)
				lru_blocked = e;
		} else if (!lru || e->last_seen < lru->last_seen) {
			lru = e;
		}
	}
	if (!create)
		return NULL;
	e = idle ? idle : lru ? lru : lru_blocked;
	memset(e, 0, sizeof(*e));
	pres_strlcpy(e->src, src, sizeof(e->src));
	e->window_start = now;
	e->last_seen = now;
	return e;
}

int auth_rl_blocked(struct auth_rl *rl, const char *src, int64_t now)
{
	struct rl_entry *e;
	int64_t left = 0;

	if (!rl || !src)
		return 0;
	pthread_mutex_lock(&rl->lock);
	e = rl_find(rl, src, now, 0);
	if (e && e->blocked_until > now)
		left = e->blocked_until - now;
	pthread_mutex_unlock(&rl->lock);
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

int auth_rl_fail(struct auth_rl *rl, const char *src, int64_t now)
{
	struct rl_entry *e;
	int blocked = 0;

	if (!rl || !src || !*src)
		return 0;
	pthread_mutex_lock(&rl->lock);
	e = rl_find(rl, src, now, 1);
	e->last_seen = now;
	if (e->blocked_until > now) {
		blocked = 1;
	} else {
		if (e->window_start + rl->window <= now) {
			e->window_start = now;
			e->failures = 0;
		}
		if (++e->failures > rl->max_failures) {
			e->blocked_until = now + rl->block_time;
			e->failures = 0;
			e->window_start = e->blocked_until;
			blocked = 1;
		}
	}
	pthread_mutex_unlock(&rl->lock);
	return blocked;
}

void auth_rl_success(struct auth_rl *rl, const char *src, int64_t now)
{
	struct rl_entry *e;

	if (!rl || !src)
		return;
	pthread_mutex_lock(&rl->lock);
	e = rl_find(rl, src, now, 0);
	if (e && e->blocked_until <= now)
		memset(e, 0, sizeof(*e));
	pthread_mutex_unlock(&rl->lock);
}
