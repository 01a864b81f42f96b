/*
 * psip_body.c - NOTIFY bodies and authorization decisions through presence/:
 * one "round" per presentity composes the presence document once (live
 * publications + pidf-manipulation), parses its pres-rules once, and builds
 * each distinct transformed body once (keyed by pres_decision_key()).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "presence/presence.h"
#include "sip/psip_int.h"

#define ROUND_CACHE 16
#define LIST_CACHE 8          /* resource-lists documents parsed per round */
#define LIST_DEPTH 4          /* external/entry-ref indirections followed */
#define NS_RL "urn:ietf:params:xml:ns:resource-lists"

struct psip_round {
	struct psip *p;
	char presentity[DB_URI_MAX];
	char **impus;                 /* the IMPUs of the presentity's subscriber */
	size_t n_impus;
	int refs;                     /* users + 1 while cached in its psip_pres */
	int64_t born;                 /* pres_now() at creation */
	struct psip_pres *pres;       /* caching presentity, NULL if not cached */
	struct pres_rules *rules;     /* NULL: none, or unusable */
	int have_rules_doc;           /* a pres-rules document exists */
	struct {
		char *key;                /* "xui\nname" */
		xmlDocPtr doc;            /* NULL: absent or unusable */
	} lists[LIST_CACHE];
	size_t n_lists;
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
	size_t i, k, nx = r->n_impus;
	char err[128];

	for (k = 0; k <= nx; k++) {
		const char *xui = k == 0 ? r->presentity : r->impus[k - 1];
		if (k > 0 && strcmp(xui, r->presentity) == 0)
			continue;
		for (i = 0; i < PRES_ARRAY_LEN(where); i++) {
			memset(&d, 0, sizeof(d));
			if (db_doc_get(r->p->db, where[i].auid, xui, where[i].name, &d) != PRES_OK)
				continue;
			r->have_rules_doc = 1;
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

static void
round_destroy(struct psip_round *r)
{
	size_t i;

	for (i = 0; i < r->n_cache; i++) {
		free(r->cache[i].key);
		free(r->cache[i].body);
	}
	free(r->doc);
	for (i = 0; i < r->n_lists; i++) {
		free(r->lists[i].key);
		if (r->lists[i].doc)
			xmlFreeDoc(r->lists[i].doc);
	}
	pres_rules_free(r->rules);
	for (i = 0; i < r->n_impus; i++)
		free(r->impus[i]);
	free(r->impus);
	free(r);
}

void
psip_round_free(struct psip_round *r)
{
	if (r != NULL && --r->refs == 0)
		round_destroy(r);
}

void
psip_round_invalidate(struct psip *p, const char *presentity)
{
	struct psip_pres *pr = psip_pres_get(p, presentity, 0);
	struct psip_round *r;

	if (pr == NULL || (r = pr->round) == NULL)
		return;
	pr->round = NULL;
	r->pres = NULL;
	p->n_rounds--;
	psip_round_free(r);
}

/* Keeps @p r in its presentity's entry (FIFO-bounded by PSIP_ROUNDS_MAX). */
static void
round_cache(struct psip *p, struct psip_round *r)
{
	struct psip_pres *pr = psip_pres_get(p, r->presentity, 1), *old;

	if (pr == NULL)
		return;
	if (pr->round)
		psip_round_invalidate(p, pr->uri);
	old = p->round_ring[p->round_next];
	if (old && old->round)
		psip_round_invalidate(p, old->uri);
	p->round_ring[p->round_next] = pr;
	p->round_next = (p->round_next + 1) % PSIP_ROUNDS_MAX;
	pr->round = r;
	r->pres = pr;
	r->refs++;
	p->n_rounds++;
}

struct psip_round *
psip_round_new(struct psip *p, const char *presentity)
{
	struct psip_pres *pr = psip_pres_get(p, presentity, 0);
	struct psip_round *r;
	struct db_subscriber owner;
	size_t i;

	if (pr && pr->round) {
		if (pres_now() - pr->round->born < PSIP_ROUND_TTL) {
			pr->round->refs++;
			return pr->round;
		}
		psip_round_invalidate(p, presentity);
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->p = p;
	r->refs = 1;
	r->born = pres_now();
	pres_strlcpy(r->presentity, presentity, sizeof(r->presentity));
	memset(&owner, 0, sizeof(owner));
	if (db_subscriber_by_impu(p->db, presentity, &owner) == PRES_OK && owner.n_impus) {
		r->impus = calloc(owner.n_impus, sizeof(*r->impus));
		for (i = 0; r->impus && i < owner.n_impus; i++)
			if ((r->impus[r->n_impus] = strdup(owner.impus[i])) != NULL)
				r->n_impus++;
	}
	db_subscriber_wipe(&owner);
	load_rules(r);
	round_cache(p, r);
	return r;
}

int
psip_round_owns(const struct psip_round *r, const char *uri)
{
	size_t i;

	if (uri == NULL || *uri == '\0')
		return 0;
	if (pres_uri_equal(uri, r->presentity))
		return 1;
	for (i = 0; i < r->n_impus; i++)
		if (pres_uri_equal(uri, r->impus[i]))
			return 1;
	return 0;
}

/* ---- OMA <external-list>: membership in a resource list ----------------- */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* %XX-decodes @p s into a new string (NULL on bad escapes or NUL bytes). */
static char *
pct_decode(const char *s)
{
	size_t n = strlen(s), i, o = 0;
	char *out = malloc(n + 1);

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi, lo;
			if (i + 2 >= n)
				goto bad;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				goto bad;
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

/* The parsed resource-lists document @p name of @p xui (cached per round);
 * NULL when absent or unusable. */
static xmlDocPtr
list_doc(struct psip_round *r, const char *xui, const char *name)
{
	char key[2 * DB_URI_MAX + 2];
	struct db_doc d;
	xmlDocPtr doc = NULL;
	size_t i;

	snprintf(key, sizeof(key), "%s\n%s", xui, name);
	for (i = 0; i < r->n_lists; i++)
		if (strcmp(r->lists[i].key, key) == 0)
			return r->lists[i].doc;
	memset(&d, 0, sizeof(d));
	if (db_doc_get(r->p->db, "resource-lists", xui, name, &d) == PRES_OK) {
		if (d.len <= PRES_DOC_MAX)
			doc = xmlReadMemory(d.content, (int)d.len, NULL, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		if (doc && (doc->intSubset || xmlDocGetRootElement(doc) == NULL)) {
			xmlFreeDoc(doc);	/* no DOCTYPE in our documents */
			doc = NULL;
		}
		if (doc == NULL)
			log_warnx("sip: resource-lists %s of %s unusable", name, xui);
		db_doc_clear(&d);
	}
	if (r->n_lists == LIST_CACHE) {
		/* nodes of cached documents may be in use: never evict */
		log_warnx("sip: more than %d resource-lists documents in one evaluation of %s",
		    LIST_CACHE, r->presentity);
		if (doc)
			xmlFreeDoc(doc);
		return NULL;
	}
	r->lists[r->n_lists].key = strdup(key);
	if (r->lists[r->n_lists].key == NULL) {
		if (doc)
			xmlFreeDoc(doc);
		return NULL;
	}
	r->lists[r->n_lists].doc = doc;
	r->n_lists++;
	return doc;
}

static int
is_rl(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	    strcmp((const char *)n->ns->href, NS_RL) == 0 &&
	    strcmp((const char *)n->name, name) == 0;
}

/* One step of an XCAP node selector (RFC 4825 §6.3) restricted to what
 * resource-lists references use: [prefix:]name followed by predicates
 * [@attr="v"] / [@attr='v'] / [n]. Unprefixed names are in the
 * resource-lists namespace; a prefixed name matches by local name.
 * Moves *@p cur to the first matching child of *@p cur (or the root when
 * @p root). Returns 0 when found, -1 otherwise. */
static int
sel_step(const char *step, size_t len, xmlNodePtr *cur, int root)
{
	char name[64];
	const char *p = step, *end = step + len, *colon;
	size_t nl;
	int prefixed;
	xmlNodePtr c, first;
	long want, count = 0;

	nl = strcspn(p, "[");
	if (nl > len)
		nl = len;
	colon = memchr(p, ':', nl);
	prefixed = colon != NULL;
	if (colon) {
		nl -= (size_t)(colon + 1 - p);
		p = colon + 1;
	}
	if (nl == 0 || nl >= sizeof(name))
		return -1;
	memcpy(name, p, nl);
	name[nl] = '\0';
	p += nl;
	first = root ? (*cur) : (*cur)->children;
	for (c = first; c; c = root ? NULL : c->next) {
		const char *q = p;
		int ok;

		if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, name) != 0)
			continue;
		if (!prefixed && !is_rl(c, name))
			continue;
		ok = 1;
		want = 0;
		while (ok && q < end && *q == '[') {
			const char *close = memchr(q, ']', (size_t)(end - q));
			if (close == NULL)
				return -1;
			if (q[1] == '@') {
				/* [@attr="v"] */
				const char *eq = memchr(q, '=', (size_t)(close - q));
				char an[64], av[DB_URI_MAX];
				size_t al, vl;
				xmlChar *v;
				if (eq == NULL || (eq[1] != '"' && eq[1] != '\'') || close[-1] != eq[1])
					return -1;
				al = (size_t)(eq - q - 2);
				vl = (size_t)(close - 1 - (eq + 2));
				if (al == 0 || al >= sizeof(an) || close - 1 < eq + 2 || vl >= sizeof(av))
					return -1;
				memcpy(an, q + 2, al);
				an[al] = '\0';
				memcpy(av, eq + 2, vl);
				av[vl] = '\0';
				v = xmlGetProp(c, (const xmlChar *)an);
				ok = v && strcmp((const char *)v, av) == 0;
				xmlFree(v);
			} else {
				/* [n]: the n-th element that matched so far */
				long long n;
				char num[16];
				size_t l = (size_t)(close - q - 1);
				if (l == 0 || l >= sizeof(num))
					return -1;
				memcpy(num, q + 1, l);
				num[l] = '\0';
				if (pres_parse_ll(num, 1, 1000000, &n) != 0)
					return -1;
				want = (long)n;
			}
			q = close + 1;
		}
		if (q != end)
			return -1;
		if (!ok)
			continue;
		/* a position counts the elements the other predicates kept */
		if (want && ++count != want)
			continue;
		*cur = c;
		return 0;
	}
	return -1;
}

/* Resolves an XCAP URI (absolute, or relative to the XCAP root as in
 * <entry-ref ref>) of an element of a resource-lists document of the
 * presentity's subscriber. NULL when it does not resolve. */
static xmlNodePtr
list_resolve(struct psip_round *r, const char *ref)
{
	static const char users[] = "resource-lists/users/";
	char *s = pct_decode(ref), *xui_raw, *name, *sel, *slash;
	char xui[DB_URI_MAX];
	xmlDocPtr doc;
	xmlNodePtr cur = NULL;
	int root = 1;

	if (s == NULL)
		return NULL;
	xui_raw = strstr(s, "/resource-lists/users/");
	if (xui_raw)
		xui_raw += 1 + sizeof(users) - 1;
	else if (strncmp(s, users, sizeof(users) - 1) == 0)
		xui_raw = s + sizeof(users) - 1;
	else
		goto out;
	slash = strchr(xui_raw, '/');
	if (slash == NULL)
		goto out;
	*slash = '\0';
	name = slash + 1;
	sel = strstr(name, "/~~/");
	if (sel) {
		*sel = '\0';
		sel += 4;
	}
	if (*name == '\0' || pres_uri_normalize(xui_raw, xui, sizeof(xui)) != PRES_OK)
		goto out;
	/* only the presentity's own lists: a rule cannot probe other users' */
	if (!psip_round_owns(r, xui)) {
		log_debug("sip: external-list %s is not a list of %s: ignored", ref, r->presentity);
		goto out;
	}
	doc = list_doc(r, xui, name);
	if (doc == NULL)
		goto out;
	cur = xmlDocGetRootElement(doc);
	if (sel == NULL || *sel == '\0')
		goto out;	/* the whole document */
	while (cur && *sel) {
		size_t len = 0;
		int quote = 0;
		while (sel[len] && (quote || sel[len] != '/')) {
			if (sel[len] == '"' || sel[len] == '\'')
				quote = quote == sel[len] ? 0 : quote ? quote : sel[len];
			len++;
		}
		if (sel_step(sel, len, &cur, root) != 0)
			cur = NULL;
		root = 0;
		sel += len;
		if (*sel == '/')
			sel++;
	}
out:
	free(s);
	return cur;
}

static int list_has(struct psip_round *r, xmlNodePtr el, const char *watcher, int depth);

static int
entry_is(xmlNodePtr el, const char *watcher)
{
	xmlChar *uri = xmlGetProp(el, (const xmlChar *)"uri");
	int m = uri && pres_uri_equal((const char *)uri, watcher);

	xmlFree(uri);
	return m;
}

/* 1 if @p watcher is an entry of @p el (an <entry>, a <list> or the
 * <resource-lists> root), following nested lists, <external anchor> and
 * <entry-ref ref> up to LIST_DEPTH indirections. */
static int
list_has(struct psip_round *r, xmlNodePtr el, const char *watcher, int depth)
{
	xmlNodePtr c, t;
	xmlChar *a;
	int m = 0;

	if (el == NULL || depth > LIST_DEPTH)
		return 0;
	if (is_rl(el, "entry"))
		return entry_is(el, watcher);
	for (c = el->children; c && !m; c = c->next) {
		if (is_rl(c, "entry"))
			m = entry_is(c, watcher);
		else if (is_rl(c, "list"))
			m = list_has(r, c, watcher, depth);
		else if (is_rl(c, "external") || is_rl(c, "entry-ref")) {
			a = xmlGetProp(c, (const xmlChar *)(is_rl(c, "external") ? "anchor" : "ref"));
			t = a ? list_resolve(r, (const char *)a) : NULL;
			xmlFree(a);
			m = list_has(r, t, watcher, depth + 1);
		}
	}
	return m;
}

/* pres_list_member_cb for pres_rules_eval(). */
static int
list_member(const char *anc, const char *watcher, void *arg)
{
	struct psip_round *r = arg;
	xmlNodePtr el;

	if (anc == NULL || watcher == NULL)
		return 0;
	el = list_resolve(r, anc);
	if (el == NULL) {
		log_debug("sip: external-list %s of %s does not resolve", anc, r->presentity);
		return 0;
	}
	return list_has(r, el, watcher, 0);
}

/* Evaluates the rules for one watcher into @p d (caller clears it). */
static enum psip_decision
decide(struct psip_round *r, const char *watcher, int anonymous, struct pres_decision *d)
{
	struct pres_watcher w;

	memset(d, 0, sizeof(*d));
	if (!anonymous && psip_round_owns(r, watcher)) {
		pres_decision_allow_all(d);
		return PSIP_DEC_ALLOW;
	}
	if (!r->have_rules_doc) {
		/* RFC 3856 §6.6: without any policy the server may wait for the
		 * presentity's decision (shown to it in watcher info) */
		switch (r->p->no_rules_policy) {
		case PSIP_NORULES_BLOCK:
			return PSIP_DEC_BLOCK;
		case PSIP_NORULES_ALLOW:
			pres_decision_allow_all(d);
			return PSIP_DEC_ALLOW;
		default:
			return PSIP_DEC_CONFIRM;
		}
	}
	/* the sphere condition needs the composed document */
	compose(r);
	memset(&w, 0, sizeof(w));
	w.uri = anonymous || watcher == NULL || *watcher == '\0' ? NULL : watcher;
	w.anonymous = anonymous;
	if (pres_rules_eval(r->rules, &w, pres_now(), r->have_sphere ? r->sphere : NULL,
	    list_member, r, d) != PRES_OK) {
		pres_decision_clear(d);
		return PSIP_DEC_BLOCK;
	}
	/* a document exists but no rule matches: no permission at all
	 * (RFC 4745 §10, RFC 5025 §3.2.1 default block) */
	if (d->rules_matched == 0)
		return PSIP_DEC_BLOCK;
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
