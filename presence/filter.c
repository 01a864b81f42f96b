/*
 * filter.c - event notification filters (RFC 4661 format, RFC 4660
 * semantics) for presence documents, with a deliberately small XPath subset.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "px.h"

#define URI_MAX 512
#define EXPR_MAX 2048

enum trig_kind { TR_CHANGED, TR_ADDED, TR_REMOVED };

struct f_expr {
	char *xp;                   /* rewritten libxml2 XPath */
};

struct f_cond {
	enum trig_kind kind;
	struct f_expr e;
	char *from, *to;            /* changed: optional */
};

struct f_trigger {
	struct f_cond *c;           /* AND-ed */
	size_t n;
};

struct f_filter {
	char *id;
	char *uri;                  /* normalized, or NULL */
	char *domain;               /* or NULL */
	int enabled;
	struct f_expr *inc, *exc;
	size_t n_inc, n_exc;
	struct f_trigger *trig;     /* OR-ed */
	size_t n_trig;
};

struct pres_filter {
	struct px_list ns;          /* "prefix uri" pairs */
	struct f_filter *f;
	size_t n;
};

/* ---- freeing ---------------------------------------------------------- */

static void filter_one_free(struct f_filter *f)
{
	size_t i, j;

	free(f->id);
	free(f->uri);
	free(f->domain);
	for (i = 0; i < f->n_inc; i++)
		free(f->inc[i].xp);
	for (i = 0; i < f->n_exc; i++)
		free(f->exc[i].xp);
	free(f->inc);
	free(f->exc);
	for (i = 0; i < f->n_trig; i++) {
		for (j = 0; j < f->trig[i].n; j++) {
			free(f->trig[i].c[j].e.xp);
			free(f->trig[i].c[j].from);
			free(f->trig[i].c[j].to);
		}
		free(f->trig[i].c);
	}
	free(f->trig);
}

void pres_filter_free(struct pres_filter *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->n; i++)
		filter_one_free(&f->f[i]);
	free(f->f);
	px_list_free(&f->ns);
	free(f);
}

/* ---- the XPath subset -------------------------------------------------- */

struct sbuf {
	char b[EXPR_MAX];
	size_t n;
	int over;
};

static void sput(struct sbuf *s, const char *p, size_t n)
{
	if (s->n + n >= sizeof(s->b)) {
		s->over = 1;
		return;
	}
	memcpy(s->b + s->n, p, n);
	s->n += n;
	s->b[s->n] = '\0';
}

static int ncname_char(int c, int first)
{
	if (isalpha(c) || c == '_' || c >= 0x80)
		return 1;
	return !first && (isdigit(c) || c == '-' || c == '.');
}

static int ns_bound(const struct pres_filter *fs, const char *prefix, size_t n)
{
	size_t i;

	for (i = 0; i < fs->ns.n; i++)
		if (strncmp(fs->ns.v[i], prefix, n) == 0 && fs->ns.v[i][n] == ' ')
			return 1;
	return 0;
}

/* name := '*' | NCName | prefix ':' NCName; emits the XPath for it. */
static int rw_name(const struct pres_filter *fs, const char **pp, struct sbuf *o,
    char *err, size_t errlen)
{
	const char *p = *pp, *s = p, *colon = NULL;

	if (*p == '*') {
		sput(o, "*", 1);
		*pp = p + 1;
		return PRES_OK;
	}
	if (!ncname_char((unsigned char)*p, 1)) {
		px_err(err, errlen, "filter: name expected at '%.20s'", p);
		return PRES_EINVAL;
	}
	while (ncname_char((unsigned char)*p, p == s) ||
	    (*p == ':' && !colon && ncname_char((unsigned char)p[1], 1))) {
		if (*p == ':')
			colon = p;
		p++;
	}
	if (*p == '(' || *p == ':') {
		px_err(err, errlen, "filter: functions and axes are not supported");
		return PRES_EINVAL;
	}
	if (colon) {
		if (!ns_bound(fs, s, (size_t)(colon - s))) {
			px_err(err, errlen, "filter: unbound prefix '%.*s'", (int)(colon - s), s);
			return PRES_EINVAL;
		}
		sput(o, s, (size_t)(p - s));
	} else {
		/* an unprefixed name matches the local name in any namespace */
		sput(o, "*[local-name()='", 16);
		sput(o, s, (size_t)(p - s));
		sput(o, "']", 2);
	}
	*pp = p;
	return PRES_OK;
}

static int rw_literal(const char **pp, struct sbuf *o, char *err, size_t errlen)
{
	const char *p = *pp, *e;
	char q = *p;

	if (q != '\'' && q != '"') {
		px_err(err, errlen, "filter: quoted literal expected");
		return PRES_EINVAL;
	}
	e = strchr(p + 1, q);
	if (!e) {
		px_err(err, errlen, "filter: unterminated literal");
		return PRES_EINVAL;
	}
	sput(o, p, (size_t)(e - p + 1));
	*pp = e + 1;
	return PRES_OK;
}

/*
 * Supported: absolute location paths of child steps, each a name or '*'
 * with predicates [@attr='v'], [name='v'] or [n]; an optional final
 * attribute step /@name (triggers only).
 */
static int rewrite(const struct pres_filter *fs, const char *in, int allow_attr,
    char **out, char *err, size_t errlen)
{
	struct sbuf o = { .n = 0, .over = 0 };
	const char *p = in;
	int rc, steps = 0;

	o.b[0] = '\0';
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '/') {
		px_err(err, errlen, "filter: only absolute paths are supported");
		return PRES_EINVAL;
	}
	while (*p == '/') {
		p++;
		if (*p == '/') {
			px_err(err, errlen, "filter: '//' is not supported");
			return PRES_EINVAL;
		}
		sput(&o, "/", 1);
		if (*p == '@') {
			if (!allow_attr) {
				px_err(err, errlen, "filter: attribute selection not supported here");
				return PRES_EINVAL;
			}
			p++;
			if (!ncname_char((unsigned char)*p, 1)) {
				px_err(err, errlen, "filter: attribute name expected");
				return PRES_EINVAL;
			}
			sput(&o, "@", 1);
			{
				const char *s = p;
				while (ncname_char((unsigned char)*p, p == s))
					p++;
				sput(&o, s, (size_t)(p - s));
			}
			steps++;
			break;  /* must be last */
		}
		if ((rc = rw_name(fs, &p, &o, err, errlen)) != PRES_OK)
			return rc;
		steps++;
		while (*p == '[') {
			p++;
			sput(&o, "[", 1);
			if (isdigit((unsigned char)*p)) {
				const char *s = p;
				while (isdigit((unsigned char)*p))
					p++;
				sput(&o, s, (size_t)(p - s));
			} else {
				if (*p == '@') {
					const char *s = ++p;
					if (!ncname_char((unsigned char)*p, 1)) {
						px_err(err, errlen, "filter: attribute name expected");
						return PRES_EINVAL;
					}
					while (ncname_char((unsigned char)*p, p == s))
						p++;
					sput(&o, "@", 1);
					sput(&o, s, (size_t)(p - s));
				} else if ((rc = rw_name(fs, &p, &o, err, errlen)) != PRES_OK) {
					return rc;
				}
				if (*p != '=') {
					px_err(err, errlen, "filter: only [name='value'] predicates are supported");
					return PRES_EINVAL;
				}
				sput(&o, "=", 1);
				p++;
				if ((rc = rw_literal(&p, &o, err, errlen)) != PRES_OK)
					return rc;
			}
			if (*p != ']') {
				px_err(err, errlen, "filter: ']' expected");
				return PRES_EINVAL;
			}
			sput(&o, "]", 1);
			p++;
		}
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p || steps == 0) {
		px_err(err, errlen, "filter: unsupported expression at '%.20s'", p);
		return PRES_EINVAL;
	}
	if (o.over) {
		px_err(err, errlen, "filter: expression too long");
		return PRES_ETOOBIG;
	}
	*out = strdup(o.b);
	return *out ? PRES_OK : PRES_ENOMEM;
}

/* ---- parsing ------------------------------------------------------------- */

static int add_expr(struct f_expr **v, size_t *n, char *xp)
{
	struct f_expr *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv) {
		free(xp);
		return PRES_ENOMEM;
	}
	*v = nv;
	nv[(*n)++].xp = xp;
	return PRES_OK;
}

static int parse_what(struct pres_filter *fs, struct f_filter *f, xmlNodePtr w,
    char *err, size_t errlen)
{
	xmlNodePtr x;
	int rc = PRES_OK;

	for (x = px_elem(w->children); x && rc == PRES_OK; x = px_elem(x->next)) {
		int inc = px_is(x, PRES_NS_FILTER, "include");
		char *type, *t, *xp = NULL;

		if (!inc && !px_is(x, PRES_NS_FILTER, "exclude")) {
			px_err(err, errlen, "filter: unknown <%s> in <what>", (const char *)x->name);
			return PRES_EINVAL;
		}
		type = px_attr(x, "type");
		if (type && strcmp(type, "xpath") != 0) {
			px_err(err, errlen, "filter: type '%.20s' not supported", type);
			xmlFree(type);
			return PRES_EINVAL;
		}
		xmlFree(type);
		if (!(t = px_text(x)))
			return PRES_ENOMEM;
		rc = rewrite(fs, t, 0, &xp, err, errlen);
		free(t);
		if (rc == PRES_OK)
			rc = inc ? add_expr(&f->inc, &f->n_inc, xp) : add_expr(&f->exc, &f->n_exc, xp);
	}
	return rc;
}

static int parse_trigger(struct pres_filter *fs, struct f_filter *f, xmlNodePtr tg,
    char *err, size_t errlen)
{
	struct f_trigger *nt = realloc(f->trig, (f->n_trig + 1) * sizeof(*nt));
	struct f_trigger *t;
	xmlNodePtr x;
	int rc = PRES_OK;

	if (!nt)
		return PRES_ENOMEM;
	f->trig = nt;
	t = &f->trig[f->n_trig++];
	memset(t, 0, sizeof(*t));
	for (x = px_elem(tg->children); x && rc == PRES_OK; x = px_elem(x->next)) {
		struct f_cond *nc, *c;
		char *txt, *by;

		nc = realloc(t->c, (t->n + 1) * sizeof(*nc));
		if (!nc)
			return PRES_ENOMEM;
		t->c = nc;
		c = &t->c[t->n];
		memset(c, 0, sizeof(*c));
		if (px_is(x, PRES_NS_FILTER, "changed"))
			c->kind = TR_CHANGED;
		else if (px_is(x, PRES_NS_FILTER, "added"))
			c->kind = TR_ADDED;
		else if (px_is(x, PRES_NS_FILTER, "removed"))
			c->kind = TR_REMOVED;
		else {
			px_err(err, errlen, "filter: unknown trigger <%s>", (const char *)x->name);
			return PRES_EINVAL;
		}
		t->n++;
		if ((by = px_attr(x, "by")) != NULL) {
			xmlFree(by);
			px_err(err, errlen, "filter: 'by' is not supported");
			return PRES_EINVAL;
		}
		if (c->kind == TR_CHANGED) {
			char *v;
			if ((v = px_attr(x, "from")) != NULL) {
				c->from = strdup(v);
				xmlFree(v);
				if (!c->from)
					return PRES_ENOMEM;
			}
			if ((v = px_attr(x, "to")) != NULL) {
				c->to = strdup(v);
				xmlFree(v);
				if (!c->to)
					return PRES_ENOMEM;
			}
		}
		if (!(txt = px_text(x)))
			return PRES_ENOMEM;
		rc = rewrite(fs, txt, 1, &c->e.xp, err, errlen);
		free(txt);
	}
	return rc;
}

int pres_filter_parse(const char *xml, size_t len, struct pres_filter **out,
    char *err, size_t errlen)
{
	struct pres_filter *fs;
	xmlDocPtr doc;
	xmlNodePtr root, x, y;
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	doc = px_parse(xml, len, err, errlen, &rc);
	if (!doc)
		return rc;
	root = xmlDocGetRootElement(doc);
	if (!px_is(root, PRES_NS_FILTER, "filter-set")) {
		px_err(err, errlen, "root is not <filter-set>");
		xmlFreeDoc(doc);
		return PRES_EINVAL;
	}
	if (!(fs = calloc(1, sizeof(*fs)))) {
		xmlFreeDoc(doc);
		return PRES_ENOMEM;
	}
	rc = PRES_OK;
	/* bindings first: they may follow nothing but must precede use */
	for (x = px_elem(root->children); x && rc == PRES_OK; x = px_elem(x->next)) {
		if (!px_is(x, PRES_NS_FILTER, "ns-bindings"))
			continue;
		for (y = px_elem(x->children); y && rc == PRES_OK; y = px_elem(y->next)) {
			char *pfx, *urn, pair[1024];
			if (!px_is(y, PRES_NS_FILTER, "ns-binding"))
				continue;
			pfx = px_attr(y, "prefix");
			urn = px_attr(y, "urn");
			if (!pfx || !urn || !pfx[0] || strchr(pfx, ' ') ||
			    snprintf(pair, sizeof(pair), "%s %s", pfx, urn) >= (int)sizeof(pair)) {
				px_err(err, errlen, "filter: bad <ns-binding>");
				rc = PRES_EINVAL;
			} else {
				rc = px_list_add(&fs->ns, pair);
			}
			xmlFree(pfx);
			xmlFree(urn);
		}
	}
	for (x = px_elem(root->children); x && rc == PRES_OK; x = px_elem(x->next)) {
		struct f_filter *nf, *f;
		char *v;

		if (!px_is(x, PRES_NS_FILTER, "filter"))
			continue;
		nf = realloc(fs->f, (fs->n + 1) * sizeof(*nf));
		if (!nf) {
			rc = PRES_ENOMEM;
			break;
		}
		fs->f = nf;
		f = &fs->f[fs->n++];
		memset(f, 0, sizeof(*f));
		f->enabled = 1;
		v = px_attr(x, "id");
		if (!v || !v[0]) {
			xmlFree(v);
			px_err(err, errlen, "filter: <filter> without id");
			rc = PRES_EINVAL;
			break;
		}
		f->id = strdup(v);
		xmlFree(v);
		if ((v = px_attr(x, "uri")) != NULL) {
			char norm[URI_MAX];
			f->uri = strdup(px_entity_norm(v, norm, sizeof(norm)) == PRES_OK ? norm : v);
			xmlFree(v);
		}
		if ((v = px_attr(x, "domain")) != NULL) {
			f->domain = strdup(v);
			xmlFree(v);
		}
		if ((v = px_attr(x, "enabled")) != NULL) {
			f->enabled = !(strcmp(v, "false") == 0 || strcmp(v, "0") == 0);
			xmlFree(v);
		}
		if ((v = px_attr(x, "remove")) != NULL) {
			/* removal of an earlier filter: the SIP side replaces the
			 * whole set, so a removed filter simply does not apply */
			if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
				f->enabled = 0;
			xmlFree(v);
		}
		for (y = px_elem(x->children); y && rc == PRES_OK; y = px_elem(y->next)) {
			if (px_is(y, PRES_NS_FILTER, "what"))
				rc = parse_what(fs, f, y, err, errlen);
			else if (px_is(y, PRES_NS_FILTER, "trigger"))
				rc = parse_trigger(fs, f, y, err, errlen);
			else {
				px_err(err, errlen, "filter: <%s> not supported", (const char *)y->name);
				rc = PRES_EINVAL;
			}
		}
	}
	xmlFreeDoc(doc);
	if (rc != PRES_OK) {
		pres_filter_free(fs);
		return rc;
	}
	*out = fs;
	return PRES_OK;
}

/* ---- evaluation ----------------------------------------------------------- */

static int applies(const struct f_filter *f, const char *entity)
{
	char norm[URI_MAX];
	const char *at;

	if (!f->enabled)
		return 0;
	if (!f->uri && !f->domain)
		return 1;
	if (!entity || px_entity_norm(entity, norm, sizeof(norm)) != PRES_OK)
		return 0;
	if (f->uri && strcmp(f->uri, norm) == 0)
		return 1;
	at = strchr(norm, '@');
	return f->domain && at && strcasecmp(at + 1, f->domain) == 0;
}

static xmlXPathObjectPtr run(const struct pres_filter *fs, xmlDocPtr doc, const char *xp)
{
	xmlXPathContextPtr c = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o;
	size_t i;

	if (!c)
		return NULL;
	for (i = 0; i < fs->ns.n; i++) {
		const char *sp = strchr(fs->ns.v[i], ' ');
		char pfx[128];
		size_t pl = (size_t)(sp - fs->ns.v[i]);

		if (pl >= sizeof(pfx))
			continue;
		memcpy(pfx, fs->ns.v[i], pl);
		pfx[pl] = '\0';
		xmlXPathRegisterNs(c, (const xmlChar *)pfx, (const xmlChar *)(sp + 1));
	}
	o = xmlXPathEvalExpression((const xmlChar *)xp, c);
	xmlXPathFreeContext(c);
	return o;
}

#define MARK_SHELL ((void *)1)
#define MARK_ALL ((void *)2)

static void clear_marks(xmlNodePtr n)
{
	for (; n; n = n->next) {
		n->_private = NULL;
		if (n->type == XML_ELEMENT_NODE)
			clear_marks(n->children);
	}
}

static void prune(xmlNodePtr el)
{
	xmlNodePtr c, next;

	for (c = el->children; c; c = next) {
		next = c->next;
		if (c->type == XML_ELEMENT_NODE && c->_private == MARK_ALL)
			continue;
		if (c->type == XML_ELEMENT_NODE && c->_private == MARK_SHELL) {
			prune(c);
			continue;
		}
		xmlUnlinkNode(c);
		xmlFreeNode(c);
	}
}

static int filter_doc(const struct pres_filter *fs, xmlDocPtr doc)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	char *entity = px_attr(root, "entity");
	size_t i, j;
	int k, any_inc = 0;

	clear_marks(root);
	/* includes (united over applicable filters) */
	for (i = 0; i < fs->n; i++) {
		const struct f_filter *f = &fs->f[i];
		if (!applies(f, entity))
			continue;
		for (j = 0; j < f->n_inc; j++) {
			xmlXPathObjectPtr o = run(fs, doc, f->inc[j].xp);
			any_inc = 1;
			if (!o)
				continue;
			for (k = 0; o->nodesetval && k < o->nodesetval->nodeNr; k++) {
				xmlNodePtr n = o->nodesetval->nodeTab[k], a;
				if (n->type != XML_ELEMENT_NODE)
					continue;
				n->_private = MARK_ALL;
				for (a = n->parent; a && a->type == XML_ELEMENT_NODE; a = a->parent)
					if (a->_private != MARK_ALL)
						a->_private = MARK_SHELL;
			}
			xmlXPathFreeObject(o);
		}
	}
	if (any_inc) {
		if (root->_private != MARK_ALL)
			prune(root);
	}
	/* then excludes */
	for (i = 0; i < fs->n; i++) {
		const struct f_filter *f = &fs->f[i];
		if (!applies(f, entity))
			continue;
		for (j = 0; j < f->n_exc; j++) {
			xmlXPathObjectPtr o = run(fs, doc, f->exc[j].xp);
			if (!o)
				continue;
			for (k = 0; o->nodesetval && k < o->nodesetval->nodeNr; k++) {
				xmlNodePtr n = o->nodesetval->nodeTab[k];
				if (n->type != XML_ELEMENT_NODE || n == root)
					continue;
				/* unlink now, free after the node set is done */
				xmlUnlinkNode(n);
			}
			for (k = 0; o->nodesetval && k < o->nodesetval->nodeNr; k++) {
				xmlNodePtr n = o->nodesetval->nodeTab[k];
				if (n->type == XML_ELEMENT_NODE && n != root && !n->parent)
					xmlFreeNode(n);
			}
			xmlXPathFreeObject(o);
		}
	}
	clear_marks(root);
	xmlFree(entity);
	return PRES_OK;
}

int pres_filter_apply(const struct pres_filter *f, const char *pidf,
    size_t len, char **out, size_t *out_len)
{
	xmlDocPtr doc;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (!f)
		return PRES_EINVAL;
	doc = px_parse(pidf, len, NULL, 0, &rc);
	if (!doc)
		return rc;
	px_strip_misc((xmlNodePtr)doc);
	rc = filter_doc(f, doc);
	if (rc == PRES_OK)
		rc = px_dump(doc, out, out_len);
	xmlFreeDoc(doc);
	return rc;
}

/* Values of the nodes an expression selects: their string values, sorted. */
static int values(const struct pres_filter *fs, xmlDocPtr doc, const char *xp,
    struct px_list *ids, struct px_list *all)
{
	xmlXPathObjectPtr o;
	int k, rc = PRES_OK;

	if (!doc)
		return PRES_OK;
	if (!(o = run(fs, doc, xp)))
		return PRES_EINVAL;
	for (k = 0; o->nodesetval && k < o->nodesetval->nodeNr && rc == PRES_OK; k++) {
		xmlNodePtr n = o->nodesetval->nodeTab[k];
		xmlChar *s = xmlXPathCastNodeToString(n);
		char *id = n->type == XML_ELEMENT_NODE ? px_attr(n, "id") : NULL;
		char key[1100];

		if (!s) {
			xmlFree(id);
			rc = PRES_ENOMEM;
			break;
		}
		/* identity of a node for added/removed: its id, else its value */
		snprintf(key, sizeof(key), "%s", id ? id : (const char *)s);
		rc = px_list_add(ids, key);
		if (rc == PRES_OK) {
			/* keep duplicates apart for "changed" */
			snprintf(key, sizeof(key), "%06d %s", k, (const char *)s);
			rc = px_list_add(all, key);
		}
		xmlFree(s);
		xmlFree(id);
	}
	xmlXPathFreeObject(o);
	return rc;
}

static int has_value(const struct px_list *all, const char *v)
{
	size_t i;

	for (i = 0; i < all->n; i++)
		if (strcmp(all->v[i] + 7, v) == 0)
			return 1;
	return 0;
}

static int lists_equal(const struct px_list *a, const struct px_list *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return 0;
	return 1;
}

static int subset(const struct px_list *a, const struct px_list *b)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (!px_list_has(b, a->v[i]))
			return 0;
	return 1;
}

static int cond_holds(const struct pres_filter *fs, const struct f_cond *c,
    xmlDocPtr od, xmlDocPtr nd)
{
	struct px_list oid = { 0 }, oall = { 0 }, nid = { 0 }, nall = { 0 };
	int r = 0;

	if (values(fs, od, c->e.xp, &oid, &oall) != PRES_OK ||
	    values(fs, nd, c->e.xp, &nid, &nall) != PRES_OK) {
		r = 1;  /* cannot tell: notify rather than miss a change */
		goto out;
	}
	switch (c->kind) {
	case TR_CHANGED:
		r = !lists_equal(&oall, &nall);
		if (r && c->from)
			r = has_value(&oall, c->from);
		if (r && c->to)
			r = has_value(&nall, c->to);
		break;
	case TR_ADDED:
		r = !subset(&nid, &oid);
		break;
	case TR_REMOVED:
		r = !subset(&oid, &nid);
		break;
	}
out:
	px_list_free(&oid);
	px_list_free(&oall);
	px_list_free(&nid);
	px_list_free(&nall);
	return r;
}

int pres_filter_triggered(const struct pres_filter *f, const char *old_pidf,
    size_t old_len, const char *new_pidf, size_t new_len)
{
	xmlDocPtr od = NULL, nd;
	char *entity;
	size_t i, j, k;
	int rc, any_trig = 0, hit = 0;

	if (!f)
		return PRES_EINVAL;
	nd = px_parse(new_pidf, new_len, NULL, 0, &rc);
	if (!nd)
		return rc;
	if (!old_pidf) {
		xmlFreeDoc(nd);
		return 1;
	}
	od = px_parse(old_pidf, old_len, NULL, 0, &rc);
	if (!od) {
		xmlFreeDoc(nd);
		return 1;   /* no usable previous state: notify */
	}
	entity = px_attr(xmlDocGetRootElement(nd), "entity");
	for (i = 0; i < f->n && !hit; i++) {
		const struct f_filter *fl = &f->f[i];
		if (!applies(fl, entity))
			continue;
		for (j = 0; j < fl->n_trig && !hit; j++) {
			int all = 1;
			any_trig = 1;
			for (k = 0; k < fl->trig[j].n && all; k++)
				all = cond_holds(f, &fl->trig[j].c[k], od, nd);
			hit = all;
		}
	}
	xmlFree(entity);
	if (!any_trig) {
		/* no triggers: notify when what the watcher sees changed */
		char *a = NULL, *b = NULL;
		size_t al = 0, bl = 0;

		px_strip_misc((xmlNodePtr)od);
		px_strip_misc((xmlNodePtr)nd);
		rc = filter_doc(f, od);
		if (rc == PRES_OK)
			rc = filter_doc(f, nd);
		if (rc == PRES_OK)
			rc = px_dump(od, &a, &al);
		if (rc == PRES_OK)
			rc = px_dump(nd, &b, &bl);
		hit = rc != PRES_OK || al != bl || memcmp(a, b, al) != 0;
		free(a);
		free(b);
	}
	xmlFreeDoc(od);
	xmlFreeDoc(nd);
	return hit ? 1 : 0;
}
