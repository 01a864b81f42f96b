/*
 * psip_body.c - NOTIFY bodies and authorization decisions through presence/:
 * one "round" per presentity composes the presence document once (live
 * publications + pidf-manipulation), parses its pres-rules once, and builds
 * each distinct transformed body once (keyed by pres_decision_key()).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "presence/presence.h"
#include "sip/psip_int.h"

#define ROUND_CACHE 16

struct psip_round {
	struct psip *p;
	char presentity[DB_URI_MAX];
	struct db_subscriber owner;   /* the presentity's subscriber (impus) */
	int have_owner;
	struct pres_rules *rules;     /* NULL: no pres-rules document */
	char sphere[64];
	int have_sphere;
	char *doc;                    /* composed PIDF (lazily) */
	size_t doc_len;
	int composed;
	struct {
		char *key;
		char *body;
	} cache[ROUND_CACHE];
	size_t n_cache;
};

/* The pres-rules document of a presentity: under its own XUI or, failing
 * that, under another IMPU of the same subscriber; IETF or OMA AUID. */
static int
load_rules(struct psip_round *r)
{
	static const struct { const char *auid, *name; } where[] = {
		{ "pres-rules", "index" },
		{ "org.openmobilealliance.pres-rules", "index" },
		{ "org.openmobilealliance.pres-rules", "pres-rules" },
	};
	struct db_doc d;
	size_t i, k, nx = r->have_owner ? r->owner.n_impus : 0;
	char err[128];

	for (k = 0; k <= nx; k++) {
		const char *xui = k == 0 ? r->presentity : r->owner.impus[k - 1];
		if (k > 0 && strcmp(xui, r->presentity) == 0)
			continue;
		for (i = 0; i < PRES_ARRAY_LEN(where); i++) {
			memset(&d, 0, sizeof(d));
			if (db_doc_get(r->p->db, where[i].auid, xui, where[i].name, &d) != PRES_OK)
				continue;
			if (pres_rules_parse(d.content, d.len, &r->rules, err, sizeof(err)) != PRES_OK) {
				log_warnx("sip: pres-rules of %s unusable: %s", xui, err);
				r->rules = NULL;
			}
			db_doc_clear(&d);
			return PRES_OK;
		}
	}
	return PRES_ENOTFOUND;
}

struct pub_acc {
	struct pres_pub_in *in;
	char **bodies;
	size_t n, cap;
};

static int
pub_collect(const struct db_pub *dp, void *arg)
{
	struct pub_acc *a = arg;

	if (dp->body == NULL || dp->expires <= pres_now())
		return 0;
	if (a->n == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 4;
		struct pres_pub_in *ni = realloc(a->in, ncap * sizeof(*ni));
		char **nb;
		if (ni == NULL)
			return 1;
		a->in = ni;
		nb = realloc(a->bodies, ncap * sizeof(*nb));
		if (nb == NULL)
			return 1;
		a->bodies = nb;
		a->cap = ncap;
	}
	a->bodies[a->n] = malloc(dp->body_len + 1);
	if (a->bodies[a->n] == NULL)
		return 1;
	memcpy(a->bodies[a->n], dp->body, dp->body_len);
	a->bodies[a->n][dp->body_len] = '\0';
	a->in[a->n].body = a->bodies[a->n];
	a->in[a->n].len = dp->body_len;
	a->in[a->n].timestamp = dp->created;
	a->n++;
	return 0;
}

static int
compose(struct psip_round *r)
{
	struct pub_acc a;
	struct db_doc manip;
	int have_manip, rc;
	size_t i;

	if (r->composed)
		return r->doc ? PRES_OK : PRES_EINVAL;
	r->composed = 1;
	memset(&a, 0, sizeof(a));
	db_pub_foreach(r->p->db, r->presentity, "presence", pub_collect, &a);
	memset(&manip, 0, sizeof(manip));
	have_manip = db_doc_get(r->p->db, "pidf-manipulation", r->presentity, "index",
	    &manip) == PRES_OK;
	rc = pres_compose(r->presentity, a.in, a.n, have_manip ? manip.content : NULL,
	    have_manip ? manip.len : 0, &r->doc, &r->doc_len);
	if (rc != PRES_OK && have_manip) {
		log_warnx("sip: pidf-manipulation of %s unusable, ignored", r->presentity);
		rc = pres_compose(r->presentity, a.in, a.n, NULL, 0, &r->doc, &r->doc_len);
	}
	if (have_manip)
		db_doc_clear(&manip);
	for (i = 0; i < a.n; i++)
		free(a.bodies[i]);
	free(a.bodies);
	free(a.in);
	if (rc != PRES_OK) {
		r->doc = NULL;
		log_warnx("sip: cannot compose presence of %s: %s", r->presentity,
		    pres_strerror(rc));
		return rc;
	}
	if (pres_pidf_sphere(r->doc, r->doc_len, r->sphere, sizeof(r->sphere)) == PRES_OK)
		r->have_sphere = 1;
	return PRES_OK;
}

struct psip_round *
psip_round_new(struct psip *p, const char *presentity)
{
	struct psip_round *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->p = p;
	pres_strlcpy(r->presentity, presentity, sizeof(r->presentity));
	r->have_owner = db_subscriber_by_impu(p->db, presentity, &r->owner) == PRES_OK;
	load_rules(r);
	return r;
}

void
psip_round_free(struct psip_round *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n_cache; i++) {
		free(r->cache[i].key);
		free(r->cache[i].body);
	}
	free(r->doc);
	pres_rules_free(r->rules);
	db_subscriber_wipe(&r->owner);
	free(r);
}

static int
is_owner(const struct psip_round *r, const char *watcher)
{
	size_t i;

	if (watcher == NULL || *watcher == '\0')
		return 0;
	if (strcmp(watcher, r->presentity) == 0)
		return 1;
	for (i = 0; r->have_owner && i < r->owner.n_impus; i++)
		if (pres_uri_equal(watcher, r->owner.impus[i]))
			return 1;
	return 0;
}

/* Evaluates the rules for one watcher into @p d (caller clears it). */
static enum psip_decision
decide(struct psip_round *r, const char *watcher, int anonymous, struct pres_decision *d)
{
	struct pres_watcher w;

	memset(d, 0, sizeof(*d));
	if (!anonymous && is_owner(r, watcher)) {
		pres_decision_allow_all(d);
		return PSIP_DEC_ALLOW;
	}
	/* the sphere condition needs the composed document */
	compose(r);
	memset(&w, 0, sizeof(w));
	w.uri = anonymous || watcher == NULL || *watcher == '\0' ? NULL : watcher;
	w.anonymous = anonymous;
	if (pres_rules_eval(r->rules, &w, pres_now(), r->have_sphere ? r->sphere : NULL,
	    NULL, NULL, d) != PRES_OK) {
		pres_decision_clear(d);
		return PSIP_DEC_BLOCK;
	}
	/* No matching rule (or no document): OMA Presence SIMPLE asks the
	 * presentity (confirm) rather than denying outright. */
	if (d->rules_matched == 0)
		return PSIP_DEC_CONFIRM;
	switch (d->sub_handling) {
	case PRES_SUB_ALLOW: return PSIP_DEC_ALLOW;
	case PRES_SUB_POLITE_BLOCK: return PSIP_DEC_POLITE_BLOCK;
	case PRES_SUB_CONFIRM: return PSIP_DEC_CONFIRM;
	default: return PSIP_DEC_BLOCK;
	}
}

enum psip_decision
psip_round_decide(struct psip_round *r, const char *watcher, int anonymous)
{
	struct pres_decision d;
	enum psip_decision dec = decide(r, watcher, anonymous, &d);

	pres_decision_clear(&d);
	return dec;
}

enum psip_decision
psip_body_decide(struct psip *p, const char *presentity, const char *watcher,
    int anonymous, char *tkey, size_t tkey_size)
{
	struct psip_round *r = psip_round_new(p, presentity);
	struct pres_decision d;
	enum psip_decision dec;

	if (r == NULL)
		return PSIP_DEC_BLOCK;
	dec = decide(r, watcher, anonymous, &d);
	if (tkey && tkey_size && pres_decision_key(&d, tkey, tkey_size) != PRES_OK)
		tkey[0] = '\0';
	pres_decision_clear(&d);
	psip_round_free(r);
	return dec;
}

const char *
psip_round_body(struct psip_round *r, const struct psip_sub *s)
{
	struct pres_decision d;
	enum psip_decision dec;
	char *key = NULL, *body = NULL;
	size_t i, len = 0;
	int rc;

	dec = decide(r, s->watcher, s->anonymous, &d);
	if (dec == PSIP_DEC_BLOCK || dec == PSIP_DEC_CONFIRM) {
		pres_decision_clear(&d);
		return NULL;
	}
	if (compose(r) != PRES_OK) {
		pres_decision_clear(&d);
		return NULL;
	}
	key = pres_decision_key_dup(&d);
	if (key != NULL)
		for (i = 0; i < r->n_cache; i++)
			if (strcmp(r->cache[i].key, key) == 0) {
				free(key);
				pres_decision_clear(&d);
				return r->cache[i].body;
			}
	if (dec == PSIP_DEC_POLITE_BLOCK)
		rc = pres_neutral(r->presentity, &body, &len);
	else
		rc = pres_transform(&d, r->doc, r->doc_len, &body, &len);
	pres_decision_clear(&d);
	if (rc != PRES_OK) {
		free(key);
		return NULL;
	}
	if (key == NULL || r->n_cache == ROUND_CACHE) {
		/* not cacheable: keep it alive until the round ends anyway */
		if (r->n_cache == ROUND_CACHE) {
			free(r->cache[0].key);
			free(r->cache[0].body);
			memmove(&r->cache[0], &r->cache[1], (ROUND_CACHE - 1) * sizeof(r->cache[0]));
			r->n_cache--;
		}
		if (key == NULL)
			key = strdup("");
		if (key == NULL) {
			free(body);
			return NULL;
		}
	}
	r->cache[r->n_cache].key = key;
	r->cache[r->n_cache].body = body;
	r->n_cache++;
	return body;
}

static void
short_id(const char *id, char out[17])
{
	uint32_t a = psip_hash(id), b = 0;
	const char *s;

	for (s = id; *s; s++)
		b = b * 31u + (uint8_t)*s;
	snprintf(out, 17, "%08x%08x", a, b);
}

static enum pres_winfo_event
winfo_event(const char *s)
{
	static const struct { const char *n; enum pres_winfo_event e; } map[] = {
		{ "subscribe", PRES_WINFO_EV_SUBSCRIBE },
		{ "approved", PRES_WINFO_EV_APPROVED },
		{ "deactivated", PRES_WINFO_EV_DEACTIVATED },
		{ "probation", PRES_WINFO_EV_PROBATION },
		{ "rejected", PRES_WINFO_EV_REJECTED },
		{ "timeout", PRES_WINFO_EV_TIMEOUT },
		{ "giveup", PRES_WINFO_EV_GIVEUP },
		{ "noresource", PRES_WINFO_EV_NORESOURCE },
	};
	size_t i;

	for (i = 0; i < PRES_ARRAY_LEN(map); i++)
		if (strcmp(s, map[i].n) == 0)
			return map[i].e;
	return PRES_WINFO_EV_SUBSCRIBE;
}

static void
fill_watcher(const struct psip_sub *s, struct pres_winfo_watcher *w, char id[17])
{
	int64_t now = pres_now();

	short_id(s->id, id);
	w->id = id;
	w->uri = s->anonymous || s->watcher[0] == '\0' ?
	    "sip:anonymous@anonymous.invalid" : s->watcher;
	w->display_name = NULL;
	w->status = s->state == PSIP_ST_ACTIVE ? PRES_WINFO_ACTIVE :
	    s->state == PSIP_ST_PENDING ? PRES_WINFO_PENDING : PRES_WINFO_TERMINATED;
	w->event = winfo_event(s->winfo_event[0] ? s->winfo_event : "subscribe");
	w->duration_subscribed = (long)(now - s->created);
	w->expiration = s->state == PSIP_ST_TERMINATED ? -1 :
	    (long)(s->expires > now ? s->expires - now : 0);
}

int
psip_winfo_queue(struct psip_sub *w, const struct psip_sub *changed)
{
	struct psip_wchange *c = calloc(1, sizeof(*c)), *o;
	struct pres_winfo_watcher pw;

	if (c == NULL)
		return PRES_ENOMEM;
	fill_watcher(changed, &pw, c->id);
	pres_strlcpy(c->uri, pw.uri, sizeof(c->uri));
	c->status = (int)pw.status;
	pres_strlcpy(c->event, changed->winfo_event[0] ? changed->winfo_event : "subscribe",
	    sizeof(c->event));
	c->duration = pw.duration_subscribed;
	c->expiration = pw.expiration;
	/* a newer change of the same watcher replaces the queued one */
	for (o = w->wq; o; o = o->next)
		if (strcmp(o->id, c->id) == 0) {
			c->next = o->next;
			*o = *c;
			free(c);
			return PRES_OK;
		}
	if (w->wq == NULL)
		w->wq_tail = &w->wq;
	*w->wq_tail = c;
	w->wq_tail = &c->next;
	return PRES_OK;
}

void
psip_winfo_clear(struct psip_sub *w)
{
	struct psip_wchange *c;

	while ((c = w->wq) != NULL) {
		w->wq = c->next;
		free(c);
	}
	w->wq_tail = &w->wq;
}

char *
psip_body_winfo(struct psip *p, struct psip_sub *wsub, int full)
{
	struct psip_pres *pr = wsub->pres;
	struct pres_winfo_watcher *w = NULL;
	char (*ids)[17] = NULL;
	const struct psip_sub *s;
	const struct psip_wchange *c;
	size_t n = 0, cap = 0;
	char *out = NULL;
	size_t out_len = 0;

	(void)p;
	if (full) {
		for (s = pr ? pr->subs : NULL; s; s = s->pnext)
			if (s->event == PSIP_EV_PRESENCE && s->state != PSIP_ST_TERMINATED)
				cap++;
	} else
		for (c = wsub->wq; c; c = c->next)
			cap++;
	if (cap) {
		w = calloc(cap, sizeof(*w));
		ids = calloc(cap, sizeof(*ids));
		if (w == NULL || ids == NULL)
			goto done;
	}
	if (full) {
		for (s = pr ? pr->subs : NULL; s && n < cap; s = s->pnext)
			if (s->event == PSIP_EV_PRESENCE && s->state != PSIP_ST_TERMINATED) {
				fill_watcher(s, &w[n], ids[n]);
				n++;
			}
	} else
		for (c = wsub->wq; c && n < cap; c = c->next, n++) {
			w[n].id = c->id;
			w[n].uri = c->uri;
			w[n].status = (enum pres_winfo_status)c->status;
			w[n].event = winfo_event(c->event);
			w[n].duration_subscribed = c->duration;
			w[n].expiration = c->expiration;
		}
	if (pres_winfo_build(wsub->presentity, "presence", wsub->winfo_version, full,
	    w, n, &out, &out_len) != PRES_OK)
		out = NULL;
	else {
		wsub->winfo_version++;
		psip_winfo_clear(wsub);
	}
done:
	free(w);
	free(ids);
	return out;
}
