/*
 * psip_rls.c - resource list server (RFC 4662) for the "presence" event:
 * a SUBSCRIBE with "Supported: eventlist" to a <service> URI of any user's
 * rls-services document (RFC 4826) becomes one list subscription. The list
 * is expanded from the store (nested lists, entry-ref, external references
 * into this XCAP store; cycles cut, duplicates merged); every member that
 * is provisioned here is watched internally with the member's own
 * pres-rules applied to the list subscriber (psip_round_*). NOTIFYs are
 * multipart/related with an RLMI root part (full state first, partial
 * after, version +1 each), batched per list subscription within
 * rls_throttle_ms.
 *
 * Also the glue of every subscription extension (struct psip_ext): filters
 * (psip_filter.c) on presence and list subscriptions, and xcap-diff
 * subscriptions (psip_xcapdiff.c) fed by XCAP document changes.
 *
 * SIP thread only.
 */
#include "config.h"

#include "sip/psip_int.h"	/* first: it sets sofia's magic types */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>

#include "presence/presence.h"

#define RLS_MAX_DEPTH 16      /* nesting of lists and references */
#define RLS_MAX_REFS 64       /* entry-ref / external / resource-list per expansion */
#define RLS_MAX_MEMBERS 1000  /* members of one list */
#define RLS_MAX_DOCS 16       /* distinct documents read by one expansion */
#define RLS_VER_RESERVE 32    /* RLMI versions persisted as a reservation */

enum ext_kind {
	EXT_FILTER = 0,   /* plain presence subscription with a filter */
	EXT_LIST,         /* resource list subscription */
	EXT_XCAPDIFF,
};

struct rls_member {
	char uri[DB_URI_MAX];
	char name[128];
	char inst[17];
	int local;                 /* provisioned here */
	int changed;               /* goes into the next partial NOTIFY */
	struct psip_ext *x;
	struct rls_member *hnext;  /* index by uri */
};

struct psip_ext {
	enum ext_kind kind;
	struct psip *p;
	struct psip_sub *s;        /* set by psip_ext_attach() */
	int attached;
	/* filter (any kind but xcap-diff) */
	char *filter_xml;
	struct pres_filter *filter;
	char *last_body;           /* last unfiltered presence document sent */
	size_t last_len;
	/* list */
	struct psip_rls_list list;  /* expansion (members, deps) */
	struct rls_member **m;
	size_t n;
	unsigned version;          /* next RLMI version */
	unsigned version_reserved;
	int full;                  /* next NOTIFY carries full state */
	su_timer_t *timer;
	int timer_armed;
	int64_t last_ms;           /* when the last list NOTIFY was built */
	/* xcap-diff */
	struct psip_xd *xd;
	struct psip_ext *next;     /* in the state's lists / xds list */
};

struct rls_state {
	struct rls_member *mhash[PSIP_HASH_SIZE];
	struct psip_ext *lists;
	struct psip_ext *xds;
};

/* ==== list expansion (pure: documents come through a callback) ========== */

struct xctx {
	psip_doc_get_cb get;
	void *arg;
	struct psip_rls_list *out;
	struct {
		char *key;
		xmlDocPtr doc;    /* NULL: could not be read */
	} docs[RLS_MAX_DOCS];
	size_t n_docs;
	const char *stack[RLS_MAX_DEPTH];
	size_t depth;
	unsigned refs;
};

static int
is_el(xmlNodePtr n, const char *local)
{
	return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, local) == 0;
}

static void
add_dep(struct psip_rls_list *l, const char *xui)
{
	size_t i;

	for (i = 0; i < l->n_deps; i++)
		if (strcmp(l->deps[i], xui) == 0)
			return;
	if (l->n_deps < PRES_ARRAY_LEN(l->deps))
		pres_strlcpy(l->deps[l->n_deps++], xui, sizeof(l->deps[0]));
}

static void
child_text(xmlNodePtr n, const char *local, char *out, size_t size)
{
	xmlNodePtr c;

	for (c = n->children; c; c = c->next)
		if (is_el(c, local)) {
			xmlChar *t = xmlNodeGetContent(c);
			if (t) {
				pres_strlcpy(out, (const char *)t, size);
				xmlFree(t);
			}
			return;
		}
}

static int
add_member(struct xctx *c, const char *uri, const char *name)
{
	struct psip_rls_list *l = c->out;
	char norm[DB_URI_MAX];
	size_t i;

	if (uri == NULL || pres_uri_normalize(uri, norm, sizeof(norm)) != PRES_OK) {
		l->unresolved++;
		return PRES_OK;
	}
	for (i = 0; i < l->n; i++)
		if (strcmp(l->m[i].uri, norm) == 0) {
			l->dups++;
			if (l->m[i].name[0] == '\0' && name && *name)
				pres_strlcpy(l->m[i].name, name, sizeof(l->m[i].name));
			return PRES_OK;
		}
	if (l->n >= RLS_MAX_MEMBERS) {
		l->unresolved++;
		return PRES_OK;
	}
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		struct psip_rls_member *nm = realloc(l->m, nc * sizeof(*nm));
		if (nm == NULL)
			return PRES_ENOMEM;
		l->m = nm;
		l->cap = nc;
	}
	memset(&l->m[l->n], 0, sizeof(l->m[0]));
	pres_strlcpy(l->m[l->n].uri, norm, sizeof(l->m[0].uri));
	if (name)
		pres_strlcpy(l->m[l->n].name, name, sizeof(l->m[0].name));
	l->n++;
	return PRES_OK;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
pct_decode(const char *in, size_t n, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int ch = (unsigned char)in[i];
		if (ch == '%') {
			int hi, lo;
			if (i + 2 >= n)
				return PRES_EINVAL;
			hi = hexval(in[i + 1]);
			lo = hexval(in[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return PRES_EINVAL;
			ch = hi * 16 + lo;
			i += 2;
		}
		if (o + 1 >= size)
			return PRES_ETOOBIG;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return PRES_OK;
}

int
psip_xcap_uri_split(const char *uri, char *root, size_t root_size, char *auid,
    size_t auid_size, char *xui, size_t xui_size, char *doc, size_t doc_size,
    char *sel, size_t sel_size)
{
	const char *u, *a, *x, *xe, *d, *de, *q, *sep;
	char raw[DB_URI_MAX];
	size_t len;

	if (uri == NULL)
		return PRES_EINVAL;
	len = strlen(uri);
	q = strchr(uri, '?');	/* namespace bindings of the selector: ignored */
	if (q)
		len = (size_t)(q - uri);
	u = strstr(uri, "/users/");
	if (u == NULL || (size_t)(u - uri) >= len)
		return PRES_EINVAL;
	for (a = u; a > uri && a[-1] != '/'; a--)
		;
	if (a == u)
		return PRES_EINVAL;
	/* root: everything before the AUID, without the trailing slash */
	if (pct_decode(uri, a > uri ? (size_t)(a - uri - 1) : 0, root, root_size) != PRES_OK)
		return PRES_EINVAL;
	if (pct_decode(a, (size_t)(u - a), auid, auid_size) != PRES_OK)
		return PRES_EINVAL;
	x = u + strlen("/users/");
	for (xe = x; (size_t)(xe - uri) < len && *xe != '/'; xe++)
		;
	if (xe == x || pct_decode(x, (size_t)(xe - x), raw, sizeof(raw)) != PRES_OK)
		return PRES_EINVAL;
	if (pres_uri_normalize(raw, xui, xui_size) != PRES_OK)
		pres_strlcpy(xui, raw, xui_size);
	d = (size_t)(xe - uri) < len ? xe + 1 : xe;
	sep = strstr(d, "/~~/");
	if (sep && (size_t)(sep - uri) < len) {
		de = sep;
		if (pct_decode(sep + 4, len - (size_t)(sep + 4 - uri), sel, sel_size) != PRES_OK)
			return PRES_EINVAL;
	} else {
		de = uri + len;
		if (sel_size)
			sel[0] = '\0';
	}
	if (pct_decode(d, de > d ? (size_t)(de - d) : 0, doc, doc_size) != PRES_OK)
		return PRES_EINVAL;
	return PRES_OK;
}

/* One step of a node selector: "[prefix:]name" or "*", then predicates
 * "[n]" and "[@attr="v"]" (single or double quotes). Returns the element
 * selected among the children of @p parent (or @p parent itself being the
 * document element, when @p first), NULL if none or several. */
static xmlNodePtr
select_step(xmlNodePtr start, int first, const char *step, size_t n)
{
	char name[128], attr[64], val[DB_URI_MAX];
	const char *p = step, *end = step + n, *colon;
	xmlNodePtr cand[64], c;
	size_t nc = 0, i, k;

	/* name */
	for (colon = p; colon < end && *colon != '['; colon++)
		;
	if ((size_t)(colon - p) >= sizeof(name) || colon == p)
		return NULL;
	memcpy(name, p, (size_t)(colon - p));
	name[colon - p] = '\0';
	p = colon;
	if (strchr(name, ':'))
		memmove(name, strchr(name, ':') + 1, strlen(strchr(name, ':') + 1) + 1);
	if (first) {
		if (strcmp(name, "*") == 0 || is_el(start, name))
			cand[nc++] = start;
	} else {
		for (c = start->children; c && nc < PRES_ARRAY_LEN(cand); c = c->next)
			if (c->type == XML_ELEMENT_NODE &&
			    (strcmp(name, "*") == 0 || is_el(c, name)))
				cand[nc++] = c;
	}
	while (p < end && *p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));
		if (close == NULL)
			return NULL;
		if (p[1] == '@') {
			const char *eq = memchr(p, '=', (size_t)(close - p));
			char qch;
			const char *vs, *ve;
			xmlNodePtr keep[64];
			size_t nk = 0;
			if (eq == NULL || (size_t)(eq - p - 2) >= sizeof(attr))
				return NULL;
			memcpy(attr, p + 2, (size_t)(eq - p - 2));
			attr[eq - p - 2] = '\0';
			qch = eq[1];
			if (qch != '"' && qch != '\'')
				return NULL;
			vs = eq + 2;
			ve = memchr(vs, qch, (size_t)(end - vs));
			if (ve == NULL || (size_t)(ve - vs) >= sizeof(val))
				return NULL;
			memcpy(val, vs, (size_t)(ve - vs));
			val[ve - vs] = '\0';
			close = memchr(ve, ']', (size_t)(end - ve));
			if (close == NULL)
				return NULL;
			for (i = 0; i < nc; i++) {
				xmlChar *v = xmlGetProp(cand[i], (const xmlChar *)attr);
				int match = v && (strcmp((const char *)v, val) == 0 ||
				    (strcmp(attr, "uri") == 0 && pres_uri_equal((const char *)v, val)));
				if (v)
					xmlFree(v);
				if (match)
					keep[nk++] = cand[i];
			}
			memcpy(cand, keep, nk * sizeof(cand[0]));
			nc = nk;
		} else {
			char num[16];
			long long pos;
			if ((size_t)(close - p - 1) >= sizeof(num))
				return NULL;
			memcpy(num, p + 1, (size_t)(close - p - 1));
			num[close - p - 1] = '\0';
			if (pres_parse_ll(num, 1, 64, &pos) != 0)
				return NULL;
			k = (size_t)pos;
			if (k > nc)
				return NULL;
			cand[0] = cand[k - 1];
			nc = 1;
		}
		p = close + 1;
	}
	return nc == 1 && p == end ? cand[0] : NULL;
}

static xmlNodePtr
select_node(xmlDocPtr d, const char *sel)
{
	xmlNodePtr cur = xmlDocGetRootElement(d);
	const char *p = sel, *q;
	int first = 1;

	if (cur == NULL)
		return NULL;
	if (sel == NULL || *sel == '\0')
		return cur;
	while (*p) {
		char quote = 0;
		int br = 0;
		for (q = p; *q; q++) {
			if (quote) {
				if (*q == quote)
					quote = 0;
			} else if (*q == '"' || *q == '\'')
				quote = *q;
			else if (*q == '[')
				br++;
			else if (*q == ']')
				br--;
			else if (*q == '/' && br == 0)
				break;
		}
		cur = select_step(cur, first, p, (size_t)(q - p));
		if (cur == NULL)
			return NULL;
		first = 0;
		p = *q ? q + 1 : q;
	}
	return cur;
}

static xmlDocPtr
load_doc(struct xctx *c, const char *xui, const char *name)
{
	char key[DB_URI_MAX + 300];
	struct db_doc dd;
	xmlDocPtr d = NULL;
	size_t i;

	snprintf(key, sizeof(key), "%s\n%s", xui, name);
	for (i = 0; i < c->n_docs; i++)
		if (strcmp(c->docs[i].key, key) == 0)
			return c->docs[i].doc;
	if (c->n_docs == RLS_MAX_DOCS)
		return NULL;
	memset(&dd, 0, sizeof(dd));
	if (c->get(c->arg, "resource-lists", xui, name, &dd) == PRES_OK) {
		d = xmlReadMemory(dd.content, (int)dd.len, NULL, NULL,
		    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		db_doc_clear(&dd);
		if (d && d->intSubset) {
			xmlFreeDoc(d);
			d = NULL;
		}
	}
	add_dep(c->out, xui);
	c->docs[c->n_docs].key = strdup(key);
	if (c->docs[c->n_docs].key == NULL) {
		xmlFreeDoc(d);
		return NULL;
	}
	c->docs[c->n_docs++].doc = d;
	return d;
}

static int expand_node(struct xctx *c, xmlNodePtr list);

/* entry-ref / external / <resource-list>: a reference into this store. */
static int
expand_ref(struct xctx *c, const char *ref, const char *name)
{
	char root[256], auid[64], xui[DB_URI_MAX], doc[256], sel[512];
	char key[DB_URI_MAX + 800];
	xmlDocPtr d;
	xmlNodePtr n;
	size_t i;
	int rc;

	if (ref == NULL || psip_xcap_uri_split(ref, root, sizeof(root), auid, sizeof(auid),
	    xui, sizeof(xui), doc, sizeof(doc), sel, sizeof(sel)) != PRES_OK ||
	    strcmp(auid, "resource-lists") != 0 || doc[0] == '\0') {
		c->out->unresolved++;
		return PRES_OK;
	}
	snprintf(key, sizeof(key), "%s\n%s\n%s", xui, doc, sel);
	for (i = 0; i < c->depth; i++)
		if (strcmp(c->stack[i], key) == 0) {
			c->out->cycles++;	/* cut here */
			return PRES_OK;
		}
	if (c->depth == RLS_MAX_DEPTH || c->refs >= RLS_MAX_REFS) {
		c->out->cycles++;
		return PRES_OK;
	}
	c->refs++;
	d = load_doc(c, xui, doc);
	n = d ? select_node(d, sel) : NULL;
	if (n == NULL) {
		c->out->unresolved++;
		return PRES_OK;
	}
	if (is_el(n, "entry")) {
		xmlChar *uri = xmlGetProp(n, (const xmlChar *)"uri");
		char dn[128] = "";
		if (name && *name)
			pres_strlcpy(dn, name, sizeof(dn));
		else
			child_text(n, "display-name", dn, sizeof(dn));
		rc = add_member(c, (const char *)uri, dn);
		if (uri)
			xmlFree(uri);
		return rc;
	}
	if (!is_el(n, "list") && !is_el(n, "resource-lists")) {
		c->out->unresolved++;
		return PRES_OK;
	}
	c->stack[c->depth++] = strdup(key);
	if (c->stack[c->depth - 1] == NULL) {
		c->depth--;
		return PRES_ENOMEM;
	}
	rc = expand_node(c, n);
	free((void *)c->stack[--c->depth]);
	return rc;
}

static int
expand_node(struct xctx *c, xmlNodePtr list)
{
	xmlNodePtr e;
	int rc = PRES_OK;

	if (c->depth >= RLS_MAX_DEPTH) {
		c->out->cycles++;
		return PRES_OK;
	}
	for (e = list->children; e && rc == PRES_OK; e = e->next) {
		if (e->type != XML_ELEMENT_NODE)
			continue;
		if (is_el(e, "entry")) {
			xmlChar *uri = xmlGetProp(e, (const xmlChar *)"uri");
			char dn[128] = "";
			child_text(e, "display-name", dn, sizeof(dn));
			rc = add_member(c, (const char *)uri, dn);
			if (uri)
				xmlFree(uri);
		} else if (is_el(e, "list") || is_el(e, "resource-lists")) {
			c->stack[c->depth++] = "";	/* nesting counts towards the depth */
			rc = expand_node(c, e);
			c->depth--;
		} else if (is_el(e, "entry-ref") || is_el(e, "external")) {
			xmlChar *r = xmlGetProp(e, (const xmlChar *)(is_el(e, "entry-ref") ?
			    "ref" : "anchor"));
			char dn[128] = "";
			child_text(e, "display-name", dn, sizeof(dn));
			rc = expand_ref(c, (const char *)r, is_el(e, "entry-ref") ? dn : NULL);
			if (r)
				xmlFree(r);
		}
	}
	return rc;
}

static int
service_has_presence(xmlNodePtr svc)
{
	xmlNodePtr c, k;

	for (c = svc->children; c; c = c->next)
		if (is_el(c, "packages")) {
			for (k = c->children; k; k = k->next)
				if (is_el(k, "package")) {
					xmlChar *t = xmlNodeGetContent(k);
					int yes = t && strcmp((const char *)t, "presence") == 0;
					if (t)
						xmlFree(t);
					if (yes)
						return 1;
				}
			return 0;
		}
	return 1;	/* no <packages>: every package the server supports */
}

int
psip_rls_expand(const char *rls_doc, size_t len, const char *service_uri,
    psip_doc_get_cb get, void *arg, struct psip_rls_list *out)
{
	struct xctx c;
	xmlDocPtr d;
	xmlNodePtr root, svc, k;
	size_t i;
	int rc = PRES_ENOTFOUND;

	if (rls_doc == NULL || service_uri == NULL || get == NULL || out == NULL)
		return PRES_EINVAL;
	if (len > PRES_DOC_MAX)
		return PRES_ETOOBIG;
	d = xmlReadMemory(rls_doc, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (d == NULL)
		return PRES_EINVAL;
	if (d->intSubset != NULL) {	/* no DTDs, no entities */
		xmlFreeDoc(d);
		return PRES_EINVAL;
	}
	root = xmlDocGetRootElement(d);
	memset(&c, 0, sizeof(c));
	c.get = get;
	c.arg = arg;
	c.out = out;
	for (svc = root ? root->children : NULL; svc; svc = svc->next) {
		xmlChar *u;
		int match;
		if (!is_el(svc, "service"))
			continue;
		u = xmlGetProp(svc, (const xmlChar *)"uri");
		match = u && (strcmp((const char *)u, service_uri) == 0 ||
		    pres_uri_equal((const char *)u, service_uri));
		if (u)
			xmlFree(u);
		if (!match)
			continue;
		if (!service_has_presence(svc))
			break;
		rc = PRES_OK;
		for (k = svc->children; k && rc == PRES_OK; k = k->next) {
			if (is_el(k, "resource-list")) {
				xmlChar *t = xmlNodeGetContent(k);
				rc = expand_ref(&c, (const char *)t, NULL);
				if (t)
					xmlFree(t);
			} else if (is_el(k, "list")) {
				xmlChar *nm = xmlGetProp(k, (const xmlChar *)"name");
				child_text(k, "display-name", out->name, sizeof(out->name));
				if (out->name[0] == '\0' && nm)
					pres_strlcpy(out->name, (const char *)nm, sizeof(out->name));
				if (nm)
					xmlFree(nm);
				rc = expand_node(&c, k);
			}
		}
		break;
	}
	for (i = 0; i < c.n_docs; i++) {
		free(c.docs[i].key);
		xmlFreeDoc(c.docs[i].doc);
	}
	xmlFreeDoc(d);
	return rc;
}

void
psip_rls_list_clear(struct psip_rls_list *l)
{
	if (l == NULL)
		return;
	free(l->m);
	memset(l, 0, sizeof(*l));
}

/* ==== the engine side ===================================================== */

static struct rls_state *
st_of(struct psip *p)
{
	return p->rls;
}

int
psip_rls_init(struct psip *p)
{
	p->rls = calloc(1, sizeof(struct rls_state));
	return p->rls ? PRES_OK : PRES_ENOMEM;
}

void
psip_rls_fini(struct psip *p)
{
	free(p->rls);
	p->rls = NULL;
}

static int
db_get_cb(void *arg, const char *auid, const char *xui, const char *name, struct db_doc *out)
{
	struct psip *p = arg;

	return db_doc_get(p->db, auid, xui, name, out);
}

struct svc_doc {
	char xui[DB_URI_MAX];
	char name[128];
};
struct svc_acc {
	struct svc_doc *d;
	size_t n, cap;
};

static int
svc_collect(const struct db_doc_info *di, void *arg)
{
	struct svc_acc *a = arg;

	if (a->n == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 16;
		struct svc_doc *nd = realloc(a->d, nc * sizeof(*nd));
		if (nd == NULL)
			return 1;
		a->d = nd;
		a->cap = nc;
	}
	pres_strlcpy(a->d[a->n].xui, di->xui, sizeof(a->d[0].xui));
	pres_strlcpy(a->d[a->n].name, di->name, sizeof(a->d[0].name));
	a->n++;
	return 0;
}

/* Looks the service up in every user's rls-services documents and expands
 * it. @p owner: the XUI of the document that defines it. */
static int
find_service(struct psip *p, const char *uri, char *owner, size_t owner_size,
    struct psip_rls_list *out)
{
	struct svc_acc a;
	size_t i;
	int rc = PRES_ENOTFOUND;

	memset(&a, 0, sizeof(a));
	memset(out, 0, sizeof(*out));
	if (db_doc_foreach(p->db, "rls-services", NULL, svc_collect, &a) != PRES_OK) {
		free(a.d);
		return PRES_EDB;
	}
	for (i = 0; i < a.n && rc == PRES_ENOTFOUND; i++) {
		struct db_doc dd;
		if (a.d[i].xui[0] == '\0')
			continue;	/* global index: generated */
		memset(&dd, 0, sizeof(dd));
		if (db_doc_get(p->db, "rls-services", a.d[i].xui, a.d[i].name, &dd) != PRES_OK)
			continue;
		if (strstr(dd.content, "service") != NULL) {
			psip_rls_list_clear(out);
			add_dep(out, a.d[i].xui);
			rc = psip_rls_expand(dd.content, dd.len, uri, db_get_cb, p, out);
			if (rc == PRES_EINVAL)
				rc = PRES_ENOTFOUND;
			if (rc == PRES_OK && owner)
				pres_strlcpy(owner, a.d[i].xui, owner_size);
		}
		db_doc_clear(&dd);
	}
	free(a.d);
	if (rc != PRES_OK)
		psip_rls_list_clear(out);
	return rc;
}

int
psip_rls_is_service(struct psip *p, const char *uri)
{
	struct psip_rls_list l;
	int rc = find_service(p, uri, NULL, 0, &l);

	psip_rls_list_clear(&l);
	return rc;
}

static int
owns(struct psip *p, const struct psip_who *who, const char *xui)
{
	struct db_subscriber s;
	size_t i;
	int ok = 0;

	if (who->anonymous)
		return 0;
	memset(&s, 0, sizeof(s));
	if (db_subscriber_by_impu(p->db, xui, &s) != PRES_OK)
		return who->uri[0] && pres_uri_equal(who->uri, xui);
	if (who->impi[0] && strcmp(who->impi, s.impi) == 0)
		ok = 1;
	for (i = 0; !ok && who->uri[0] && i < s.n_impus; i++)
		if (pres_uri_equal(who->uri, s.impus[i]))
			ok = 1;
	db_subscriber_wipe(&s);
	return ok;
}

int
psip_rls_owns(struct psip *p, const struct psip_who *who, const char *xui)
{
	return owns(p, who, xui);
}

static int
has_option(const sip_supported_t *k, const char *opt)
{
	size_t i;

	for (; k; k = k->k_next)
		for (i = 0; k->k_items && k->k_items[i]; i++)
			if (strcasecmp(k->k_items[i], opt) == 0)
				return 1;
	return 0;
}

static struct psip_ext *
ext_new(struct psip *p, enum ext_kind kind)
{
	struct psip_ext *x = calloc(1, sizeof(*x));

	if (x) {
		x->p = p;
		x->kind = kind;
		x->full = 1;
	}
	return x;
}

static void
ext_destroy(struct psip_ext *x)
{
	if (x == NULL)
		return;
	free(x->filter_xml);
	pres_filter_free(x->filter);
	free(x->last_body);
	psip_rls_list_clear(&x->list);
	free(x->m);
	if (x->timer)
		su_timer_destroy(x->timer);
	psip_xd_free(x->xd);
	free(x);
}

static int
answer(nta_incoming_t *irq, int status, const char *phrase)
{
	nta_incoming_treply(irq, status, phrase, TAG_END());
	nta_incoming_destroy(irq);
	return status;
}

int
psip_ext_admit(struct psip *p, nta_incoming_t *irq, const sip_t *sip,
    enum psip_event ev, const char *resource, const struct psip_who *who,
    struct psip_ext **ext, int *authorized)
{
	struct psip_ext *x = NULL;
	struct db_subscriber owner;
	char owner_xui[DB_URI_MAX];
	int status;

	*ext = NULL;
	*authorized = 0;
	if (ev == PSIP_EV_XCAPDIFF) {
		if ((x = ext_new(p, EXT_XCAPDIFF)) == NULL)
			return answer(irq, SIP_500_INTERNAL_SERVER_ERROR);
		status = psip_xd_admit(p, sip, resource, who, &x->xd);
		if (status != 0) {
			ext_destroy(x);
			if (status == 415) {
				nta_incoming_treply(irq, SIP_415_UNSUPPORTED_MEDIA,
				    SIPTAG_ACCEPT_STR("application/resource-lists+xml"), TAG_END());
				nta_incoming_destroy(irq);
				return status;
			}
			return answer(irq, status, status == 403 ? "Forbidden" :
			    status == 400 ? "Bad Request" : "Server Error");
		}
		*ext = x;
		*authorized = 1;
		return 0;
	}
	if (ev != PSIP_EV_PRESENCE)
		return 0;
	memset(&owner, 0, sizeof(owner));
	if (db_subscriber_by_impu(p->db, resource, &owner) != PRES_OK) {
		struct psip_rls_list l;
		if (find_service(p, resource, owner_xui, sizeof(owner_xui), &l) == PRES_OK) {
			if (!has_option(sip->sip_supported, "eventlist")) {
				psip_rls_list_clear(&l);
				nta_incoming_treply(irq, SIP_421_EXTENSION_REQUIRED,
				    SIPTAG_REQUIRE_STR("eventlist"), TAG_END());
				nta_incoming_destroy(irq);
				return 421;
			}
			if (!owns(p, who, owner_xui)) {
				log_info("sip: %s may not subscribe to list %s of %s",
				    who->anonymous ? "anonymous" : who->uri, resource, owner_xui);
				psip_rls_list_clear(&l);
				return answer(irq, SIP_403_FORBIDDEN);
			}
			if ((x = ext_new(p, EXT_LIST)) == NULL) {
				psip_rls_list_clear(&l);
				return answer(irq, SIP_500_INTERNAL_SERVER_ERROR);
			}
			x->list = l;
			*authorized = 1;
		}
	}
	db_subscriber_wipe(&owner);
	{
		char *xml = NULL;
		struct pres_filter *f = NULL;
		status = psip_filter_from_request(sip, &xml, &f);
		if (status != 0) {
			ext_destroy(x);
			*authorized = 0;
			if (status == 415) {
				nta_incoming_treply(irq, SIP_415_UNSUPPORTED_MEDIA,
				    SIPTAG_ACCEPT_STR(PRES_MIME_FILTER), TAG_END());
				nta_incoming_destroy(irq);
				return status;
			}
			return answer(irq, status, status == 488 ? "Not Acceptable Here" :
			    "Bad Request");
		}
		if (f) {
			if (x == NULL && (x = ext_new(p, EXT_FILTER)) == NULL) {
				free(xml);
				pres_filter_free(f);
				return answer(irq, SIP_500_INTERNAL_SERVER_ERROR);
			}
			x->filter = f;
			x->filter_xml = xml;
		}
	}
	*ext = x;
	return 0;
}

int
psip_ext_refresh(struct psip_sub *s, nta_incoming_t *irq, const sip_t *sip)
{
	struct psip_ext *x = s->ext;
	char *xml = NULL;
	struct pres_filter *f = NULL;
	int status;

	if (x)
		x->full = 1;	/* RFC 4662 / 5875: a refresh gets full state */
	if (s->event != PSIP_EV_PRESENCE)
		return 0;
	status = psip_filter_from_request(sip, &xml, &f);
	if (status != 0) {
		if (status == 415) {
			nta_incoming_treply(irq, SIP_415_UNSUPPORTED_MEDIA,
			    SIPTAG_ACCEPT_STR(PRES_MIME_FILTER), TAG_END());
			nta_incoming_destroy(irq);
			return status;
		}
		return answer(irq, status, status == 488 ? "Not Acceptable Here" : "Bad Request");
	}
	if (f == NULL)
		return 0;	/* no body: the filter in place stays */
	if (x == NULL) {
		if ((x = s->ext = ext_new(s->p, EXT_FILTER)) == NULL) {
			free(xml);
			pres_filter_free(f);
			return 0;
		}
		x->s = s;
		x->attached = 1;
	}
	free(x->filter_xml);
	pres_filter_free(x->filter);
	x->filter = f;
	x->filter_xml = xml;
	free(x->last_body);
	x->last_body = NULL;
	return 0;
}

/* instance id: stable per (list subscription, member) */
static void
inst_id(const char *sub_id, const char *uri, char out[17])
{
	uint32_t a = psip_hash(sub_id), b = psip_hash(uri);

	snprintf(out, 17, "%08x%08x", a, b);
}

static void
members_unlink(struct psip_ext *x)
{
	struct rls_state *st = st_of(x->p);
	size_t i;

	for (i = 0; i < x->n; i++) {
		struct rls_member *m = x->m[i], **pp;
		for (pp = &st->mhash[psip_hash(m->uri) % PSIP_HASH_SIZE]; *pp; pp = &(*pp)->hnext)
			if (*pp == m) {
				*pp = m->hnext;
				break;
			}
		free(m);
	}
	free(x->m);
	x->m = NULL;
	x->n = 0;
}

/* (Re)builds the member records of @p x from x->list; members already
 * present keep their record (and pending change). */
static int
members_build(struct psip_ext *x)
{
	struct rls_state *st = st_of(x->p);
	struct rls_member **nm = NULL, **old = x->m;
	size_t i, j, on = x->n;

	if (x->list.n && (nm = calloc(x->list.n, sizeof(*nm))) == NULL)
		return PRES_ENOMEM;
	for (i = 0; i < x->list.n; i++) {
		struct rls_member *m = NULL;
		struct db_subscriber sub;
		for (j = 0; j < on; j++)
			if (old[j] && strcmp(old[j]->uri, x->list.m[i].uri) == 0) {
				m = old[j];
				old[j] = NULL;
				break;
			}
		if (m == NULL) {
			uint32_t h;
			if ((m = calloc(1, sizeof(*m))) == NULL)
				break;
			pres_strlcpy(m->uri, x->list.m[i].uri, sizeof(m->uri));
			inst_id(x->s->id, m->uri, m->inst);
			m->x = x;
			m->changed = 1;
			memset(&sub, 0, sizeof(sub));
			m->local = db_subscriber_by_impu(x->p->db, m->uri, &sub) == PRES_OK;
			db_subscriber_wipe(&sub);
			h = psip_hash(m->uri) % PSIP_HASH_SIZE;
			m->hnext = st->mhash[h];
			st->mhash[h] = m;
		}
		pres_strlcpy(m->name, x->list.m[i].name, sizeof(m->name));
		nm[i] = m;
	}
	/* members gone from the list */
	x->m = old;
	x->n = on;
	{
		size_t k = 0;
		for (j = 0; j < on; j++)
			if (old[j])
				old[k++] = old[j];
		x->n = k;
		members_unlink(x);
	}
	x->m = nm;
	x->n = i;
	return PRES_OK;
}

void
psip_ext_attach(struct psip_sub *s)
{
	struct psip_ext *x = s->ext;
	struct rls_state *st = st_of(s->p);

	if (x == NULL || x->attached)
		return;
	x->s = s;
	x->attached = 1;
	if (x->kind == EXT_LIST) {
		members_build(x);
		x->next = st->lists;
		st->lists = x;
	} else if (x->kind == EXT_XCAPDIFF) {
		x->next = st->xds;
		st->xds = x;
	}
}

int
psip_ext_is_list(const struct psip_ext *x)
{
	return x != NULL && x->kind == EXT_LIST;
}

void
psip_ext_free(struct psip_sub *s)
{
	struct psip_ext *x = s->ext, **pp;
	struct rls_state *st = st_of(s->p);

	if (x == NULL)
		return;
	if (x->attached && st) {
		for (pp = x->kind == EXT_LIST ? &st->lists : &st->xds; *pp; pp = &(*pp)->next)
			if (*pp == x) {
				*pp = x->next;
				break;
			}
	}
	if (st)
		members_unlink(x);
	ext_destroy(x);
	s->ext = NULL;
}

static int64_t
now_ms(void)
{
	su_time_t t = su_now();

	return (int64_t)t.tv_sec * 1000 + (int64_t)t.tv_usec / 1000;
}

static void
throttle_fire(void *magic, su_timer_t *t, void *arg)
{
	struct psip_ext *x = arg;

	(void)magic;
	(void)t;
	x->timer_armed = 0;
	if (x->s)
		psip_sub_notify(x->s);
}

/* A member changed: NOTIFY now if the last one is older than the window,
 * else once the window has passed (changes meanwhile are batched). */
static void
schedule(struct psip_ext *x)
{
	int64_t wait;

	if (x->timer_armed || x->s == NULL || x->s->state != PSIP_ST_ACTIVE)
		return;
	wait = x->last_ms + (int64_t)x->p->rls_throttle_ms - now_ms();
	if (wait <= 0) {
		psip_sub_notify(x->s);
		return;
	}
	if (x->timer == NULL)
		x->timer = su_timer_create(su_root_task(x->p->root), 0);
	if (x->timer == NULL) {
		psip_sub_notify(x->s);
		return;
	}
	x->timer_armed = 1;
	su_timer_set_interval(x->timer, throttle_fire, x, (su_duration_t)wait);
}

void
psip_rls_member_changed(struct psip *p, const char *presentity, int reauth)
{
	struct rls_state *st = st_of(p);
	struct rls_member *m;

	(void)reauth;
	if (st == NULL)
		return;
	for (m = st->mhash[psip_hash(presentity) % PSIP_HASH_SIZE]; m; m = m->hnext) {
		if (strcmp(m->uri, presentity) != 0)
			continue;
		m->changed = 1;
		schedule(m->x);
	}
}

/* the filter (if any) applied to one presence document: malloc'd */
static char *
filtered(const struct psip_ext *x, const char *body, size_t *len)
{
	char *out = NULL;
	size_t ol = 0;

	if (x->filter == NULL) {
		*len = strlen(body);
		return strdup(body);
	}
	if (pres_filter_apply(x->filter, body, strlen(body), &out, &ol) != PRES_OK)
		return NULL;
	*len = ol;
	return out;
}

int
psip_rls_body(const char *list_uri, unsigned version, int full, const char *name,
    const struct psip_rls_part *r, size_t n, const char *domain, char **body, char **ctype)
{
	struct pres_rlmi_resource *res = NULL;
	struct pres_rlmi_instance *inst = NULL;
	struct pres_mime_part *parts = NULL;
	char (*cids)[64] = NULL;
	char *rlmi = NULL;
	char root_cid[64], boundary[48], tag[33];
	size_t rlmi_len = 0, out_len = 0, i, np = 1;
	int rc = PRES_ENOMEM;

	*body = *ctype = NULL;
	res = calloc(n + 1, sizeof(*res));
	inst = calloc(n + 1, sizeof(*inst));
	parts = calloc(n + 1, sizeof(*parts));
	cids = calloc(n + 1, sizeof(*cids));
	if (!res || !inst || !parts || !cids)
		goto done;
	for (i = 0; i < n; i++) {
		res[i].uri = r[i].uri;
		res[i].name = r[i].name && *r[i].name ? r[i].name : NULL;
		res[i].instances = &inst[i];
		res[i].n_instances = 1;
		inst[i].id = r[i].inst;
		inst[i].state = r[i].state;
		inst[i].reason = r[i].reason;
		if (r[i].body && r[i].state == PRES_RLMI_ACTIVE) {
			snprintf(cids[i], sizeof(cids[i]), "%s@%s", r[i].inst, domain);
			inst[i].cid = cids[i];
			parts[np].cid = cids[i];
			parts[np].content_type = PSIP_CT_PIDF;
			parts[np].body = r[i].body;
			parts[np].len = r[i].len;
			np++;
		}
	}
	if ((rc = pres_rlmi_build(list_uri, version, full, name, res, n, &rlmi, &rlmi_len)) != PRES_OK)
		goto done;
	snprintf(root_cid, sizeof(root_cid), "rlmi-%u@%s", version, domain);
	parts[0].cid = root_cid;
	parts[0].content_type = PRES_MIME_RLMI;
	parts[0].body = rlmi;
	parts[0].len = rlmi_len;
	if ((rc = psip_etag_new(tag, sizeof(tag))) != PRES_OK)
		goto done;
	snprintf(boundary, sizeof(boundary), "rls-%s", tag);
	rc = pres_multipart_build(boundary, root_cid, PRES_MIME_RLMI, parts, np, body, &out_len,
	    ctype);
done:
	free(cids);
	free(parts);
	free(inst);
	free(res);
	free(rlmi);
	return rc;
}

static int
list_body(struct psip_ext *x, struct psip_ext_body *b)
{
	struct psip_sub *s = x->s;
	struct psip_rls_part *parts = NULL;
	struct psip_round **rounds = NULL;
	char **owned = NULL;
	size_t i, k = 0;
	int full = x->full, rc = PRES_ENOMEM;

	if (x->n && ((parts = calloc(x->n, sizeof(*parts))) == NULL ||
	    (owned = calloc(x->n, sizeof(*owned))) == NULL ||
	    (rounds = calloc(x->n, sizeof(*rounds))) == NULL))
		goto done;
	for (i = 0; i < x->n; i++) {
		struct rls_member *m = x->m[i];
		struct psip_rls_part *pt = &parts[k];
		if (!full && !m->changed)
			continue;
		m->changed = 0;
		pt->uri = m->uri;
		pt->name = m->name;
		pt->inst = m->inst;
		if (!m->local) {
			pt->state = PRES_RLMI_TERMINATED;
			pt->reason = "noresource";
		} else {
			/* the engine's cached round of the member (one composition and
			 * rules evaluation per change, shared by every list) */
			struct psip_round *r = rounds[k] = psip_round_new(x->p, m->uri);
			enum psip_decision dec = r ? psip_round_decide(r, s->watcher, s->anonymous) :
			    PSIP_DEC_BLOCK;
			const char *body;
			switch (dec) {
			case PSIP_DEC_ALLOW:
			case PSIP_DEC_POLITE_BLOCK:
				pt->state = PRES_RLMI_ACTIVE;
				body = psip_round_body(r, s);
				if (body && (owned[k] = filtered(x, body, &pt->len)) != NULL)
					pt->body = owned[k];
				break;
			case PSIP_DEC_CONFIRM:
				pt->state = PRES_RLMI_PENDING;
				break;
			default:
				pt->state = PRES_RLMI_TERMINATED;
				pt->reason = "rejected";
				break;
			}
		}
		k++;
	}
	rc = psip_rls_body(s->presentity, x->version, full, x->list.name[0] ? x->list.name : NULL,
	    parts, k, x->p->home_domain, &b->body, &b->ctype);
	if (rc != PRES_OK)
		goto done;
	b->require = "eventlist";
	x->version++;
	x->full = 0;
	x->last_ms = now_ms();
	if (x->version >= x->version_reserved) {
		x->version_reserved = x->version + RLS_VER_RESERVE;
		psip_sub_store(s);
	}
done:
	for (i = 0; owned && i < x->n; i++) {
		free(owned[i]);
		psip_round_free(rounds[i]);
	}
	free(owned);
	free(rounds);
	free(parts);
	return rc;
}

int
psip_ext_notify_body(struct psip_sub *s, struct psip_round *r, struct psip_ext_body *b)
{
	struct psip_ext *x = s->ext;
	struct psip_round *own = NULL;
	const char *body;

	if (x == NULL)
		return 0;
	switch (x->kind) {
	case EXT_XCAPDIFF:
		if (s->state == PSIP_ST_ACTIVE) {
			b->body = psip_xd_body(s->p, x->xd, x->full);
			if (b->body) {
				b->ctype = strdup(PSIP_CT_XCAPDIFF);
				x->full = 0;
			}
		}
		return 1;
	case EXT_LIST:
		if (s->state == PSIP_ST_ACTIVE ||
		    (s->state == PSIP_ST_TERMINATED && strcmp(s->reason, "timeout") == 0)) {
			if (s->state == PSIP_ST_TERMINATED)
				x->full = 1;	/* fetch / unsubscribe: the whole list */
			list_body(x, b);
		}
		return 1;
	case EXT_FILTER:
		if (x->filter == NULL)
			return 0;
		if (!(s->state == PSIP_ST_ACTIVE ||
		    (s->state == PSIP_ST_TERMINATED && strcmp(s->reason, "timeout") == 0 &&
		    (s->decision == PSIP_DEC_ALLOW || s->decision == PSIP_DEC_POLITE_BLOCK))))
			return 1;
		if (r == NULL)
			r = own = psip_round_new(s->p, s->presentity);
		body = r ? psip_round_body(r, s) : NULL;
		if (body) {
			size_t len;
			b->body = filtered(x, body, &len);
			if (b->body)
				b->ctype = strdup(PSIP_CT_PIDF);
			free(x->last_body);
			x->last_len = strlen(body);
			x->last_body = strdup(body);
		}
		psip_round_free(own);
		return 1;
	}
	return 0;
}

int
psip_ext_wants(struct psip_sub *s, struct psip_round *r)
{
	struct psip_ext *x = s->ext;
	const char *body;

	if (x == NULL || x->kind != EXT_FILTER || x->filter == NULL || r == NULL)
		return 1;
	body = psip_round_body(r, s);
	if (body == NULL)
		return 1;
	return pres_filter_triggered(x->filter, x->last_body, x->last_len, body,
	    strlen(body)) != 0;
}

char *
psip_ext_save(const struct psip_ext *x)
{
	char *f64 = NULL, *xd = NULL, *out;
	size_t n;

	if (x->filter_xml && (f64 = psip_b64_encode(x->filter_xml, strlen(x->filter_xml))) == NULL)
		return NULL;
	if (x->kind == EXT_XCAPDIFF && (xd = psip_xd_save(x->xd)) == NULL) {
		free(f64);
		return NULL;
	}
	n = (f64 ? strlen(f64) : 0) + (xd ? strlen(xd) : 0) + 64;
	out = malloc(n);
	if (out)
		snprintf(out, n, "%s%s%s%s%s", f64 ? "filter=" : "", f64 ? f64 : "",
		    f64 ? "\n" : "", xd ? xd : "", "");
	if (out && x->kind == EXT_LIST) {
		size_t l = strlen(out);
		snprintf(out + l, n - l, "rls=1\nrlsver=%u\n", x->version_reserved);
	}
	free(f64);
	free(xd);
	return out;
}

int
psip_ext_load(struct psip_sub *s, const char *extra)
{
	struct psip *p = s->p;
	struct psip_ext *x = NULL;
	char v[32];
	long long ll;
	int rc;

	if (extra == NULL)
		return PRES_OK;
	if (s->event == PSIP_EV_XCAPDIFF) {
		if ((x = ext_new(p, EXT_XCAPDIFF)) == NULL)
			return PRES_ENOMEM;
		if ((rc = psip_xd_load(p, extra, &x->xd)) != PRES_OK) {
			ext_destroy(x);
			return rc;
		}
		s->ext = x;
		return PRES_OK;
	}
	if (psip_kv_get(extra, "rls", v, sizeof(v)) == PRES_OK && strcmp(v, "1") == 0) {
		if ((x = ext_new(p, EXT_LIST)) == NULL)
			return PRES_ENOMEM;
		if (find_service(p, s->presentity, NULL, 0, &x->list) != PRES_OK) {
			log_info("sip: list %s is gone", s->presentity);
			ext_destroy(x);
			return PRES_ENOTFOUND;
		}
		if (psip_kv_get(extra, "rlsver", v, sizeof(v)) == PRES_OK &&
		    pres_parse_ll(v, 0, 0x7fffffff, &ll) == 0)
			x->version = (unsigned)ll;
		x->version_reserved = x->version;	/* the next NOTIFY stores again */
	}
	{
		/* the filter: base64 of the filter document as received */
		size_t cap = strlen(extra) + 1;
		char *b64 = malloc(cap);
		if (b64 && psip_kv_get(extra, "filter", b64, cap) == PRES_OK) {
			size_t len = 0;
			char *xml = psip_b64_decode(b64, &len);
			struct pres_filter *f = NULL;
			char err[128];
			if (xml && pres_filter_parse(xml, len, &f, err, sizeof(err)) == PRES_OK) {
				if (x == NULL && (x = ext_new(p, EXT_FILTER)) == NULL) {
					free(xml);
					free(b64);
					pres_filter_free(f);
					return PRES_ENOMEM;
				}
				x->filter = f;
				x->filter_xml = xml;
			} else
				free(xml);
		}
		free(b64);
	}
	s->ext = x;
	return PRES_OK;
}

static int
depends_on(const struct psip_ext *x, const char *xui)
{
	size_t i;

	for (i = 0; i < x->list.n_deps; i++)
		if (strcmp(x->list.deps[i], xui) == 0)
			return 1;
	return 0;
}

static int
same_members(const struct psip_rls_list *a, const struct psip_rls_list *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->m[i].uri, b->m[i].uri) != 0 || strcmp(a->m[i].name, b->m[i].name) != 0)
			return 0;
	return 1;
}

void
psip_ext_doc_changed(struct psip *p, const char *auid, const char *xui,
    const char *doc, const char *old_etag, const char *new_etag)
{
	struct rls_state *st = st_of(p);
	struct psip_ext *x, *next;
	char nxui[DB_URI_MAX];

	if (st == NULL)
		return;
	if (pres_uri_normalize(xui, nxui, sizeof(nxui)) != PRES_OK)
		pres_strlcpy(nxui, xui, sizeof(nxui));
	for (x = st->xds; x; x = next) {
		next = x->next;
		if (x->s && x->s->state == PSIP_ST_ACTIVE &&
		    psip_xd_change(x->xd, auid, nxui, doc, old_etag, new_etag))
			psip_sub_notify(x->s);
	}
	if (strcmp(auid, "resource-lists") != 0 && strcmp(auid, "rls-services") != 0)
		return;
	for (x = st->lists; x; x = next) {
		struct psip_rls_list nl;
		next = x->next;
		if (x->s == NULL || x->s->state != PSIP_ST_ACTIVE)
			continue;
		if (strcmp(auid, "resource-lists") == 0 && !depends_on(x, nxui))
			continue;
		if (find_service(p, x->s->presentity, NULL, 0, &nl) != PRES_OK) {
			log_info("sip: list %s removed: subscription %s ends", x->s->presentity,
			    x->s->id);
			psip_sub_end(x->s, "noresource");
			continue;
		}
		if (same_members(&x->list, &nl)) {
			/* documents read may differ (deps): keep the new list */
			psip_rls_list_clear(&x->list);
			x->list = nl;
			continue;
		}
		psip_rls_list_clear(&x->list);
		x->list = nl;
		members_build(x);
		x->full = 1;	/* the membership changed: full state */
		log_debug("sip: list %s re-expanded: %zu members", x->s->presentity, x->n);
		schedule(x);
	}
}
