/*
 * xcap.c - the XCAP request handler: authorization of the XUI, GET/PUT/DELETE
 * of documents, elements and attributes, GET of namespace bindings, ETags and
 * conditional requests, compare-and-set writes with retry, change events.
 */
#include "xcap/xcap_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define CT_EL "application/xcap-el+xml"
#define CT_ATT "application/xcap-att+xml"
#define CT_NS "application/xcap-ns+xml"
#define CT_ERR "application/xcap-error+xml"
#define XCAP_RETRIES 5

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

struct xcap *xcap_new(const struct xcap_cfg *cfg)
{
	struct xcap *x;

	if (!cfg || !cfg->root_path || !cfg->schema_dir)
		return NULL;
	xmlInitParser();
	if (!(x = calloc(1, sizeof(*x))))
		return NULL;
	x->root_path = strdup(cfg->root_path);
	x->root_uri = dup_or_null(cfg->root_uri);
	x->schema_dir = strdup(cfg->schema_dir);
	x->home_domain = dup_or_null(cfg->home_domain);
	x->max_doc_size = cfg->max_doc_size ? cfg->max_doc_size : 1024 * 1024;
	if (!x->root_path || !x->schema_dir || (cfg->root_uri && !x->root_uri) ||
	    (cfg->home_domain && !x->home_domain)) {
		xcap_free(x);
		return NULL;
	}
	/* no trailing '/' on the root: "/" becomes "" (URIs are built as root + "/...") */
	for (size_t l = strlen(x->root_path); l > 0 && x->root_path[l - 1] == '/'; l--)
		x->root_path[l - 1] = '\0';
	if (x->root_uri)
		for (size_t l = strlen(x->root_uri); l > 1 && x->root_uri[l - 1] == '/'; l--)
			x->root_uri[l - 1] = '\0';
	if (xcap_au_load_schemas(x) != PRES_OK) {
		xcap_free(x);
		return NULL;
	}
	return x;
}

void xcap_free(struct xcap *x)
{
	if (!x)
		return;
	xcap_au_free_schemas(x);
	free(x->root_path);
	free(x->root_uri);
	free(x->schema_dir);
	free(x->home_domain);
	free(x);
}

void xcap_set_change_cb(struct xcap *x, xcap_change_cb cb, void *arg)
{
	x->cb = cb;
	x->cb_arg = arg;
}

void xcap_response_clear(struct xcap_response *rs)
{
	if (!rs)
		return;
	free(rs->body);
	memset(rs, 0, sizeof(*rs));
}

/* ---- response helpers ------------------------------------------------------ */

static void rs_body(struct xcap_response *rs, const char *ctype, char *body, size_t len)
{
	free(rs->body);
	rs->body = body;
	rs->body_len = body ? len : 0;
	snprintf(rs->content_type, sizeof(rs->content_type), "%s", body ? ctype : "");
}

static void rs_status(struct xcap_response *rs, int status)
{
	rs->status = status;
	rs_body(rs, "", NULL, 0);
	rs->etag[0] = '\0';
}

static void rs_etag(struct xcap_response *rs, const char *etag)
{
	snprintf(rs->etag, sizeof(rs->etag), "\"%s\"", etag);
}

static int rs_error(struct xcap_response *rs, const struct xcap_err *err)
{
	size_t len = 0;
	char *b = xcap_err_body(err, &len);
	rs_status(rs, b ? 409 : 500);
	rs_body(rs, CT_ERR, b, len);
	return b ? PRES_OK : PRES_ENOMEM;
}

static int rs_internal(struct xcap_response *rs, int rc)
{
	rs_status(rs, rc == PRES_ETOOBIG ? 413 : 500);
	return rc < 0 ? rc : PRES_EDB;
}

/* ---- ETags and conditions ----------------------------------------------------- */

static int new_etag(char out[DB_ETAG_MAX])
{
	uint8_t r[16];
	if (RAND_bytes(r, sizeof(r)) != 1)
		return PRES_EIO;
	pres_hex(r, sizeof(r), out);
	return PRES_OK;
}

static void content_etag(const char *content, size_t len, char out[DB_ETAG_MAX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (EVP_Digest(content, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < 16) {
		snprintf(out, DB_ETAG_MAX, "g%zu", len);
		return;
	}
	pres_hex(md, 16, out);
	out[0] = 'g'; /* never equal to a stored (random) ETag by construction of intent */
}

/*
 * Matches an If-Match / If-None-Match value against @p etag (unquoted).
 * Returns 1 on a match, 0 if none, -1 if malformed. *star is set for "*".
 * @p weak: weak comparison (W/ tags match too).
 */
static int etag_match(const char *hdr, const char *etag, int weak, int *star)
{
	const char *p = hdr;
	int match = 0, any = 0;

	*star = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '*') {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p)
			return -1;
		*star = 1;
		return 1;
	}
	while (*p) {
		int is_weak = 0;
		const char *s, *e;
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		if (p[0] == 'W' && p[1] == '/') {
			is_weak = 1;
			p += 2;
		}
		if (*p != '"')
			return -1;
		s = ++p;
		if (!(e = strchr(s, '"')))
			return -1;
		any = 1;
		if ((!is_weak || weak) && etag && (size_t)(e - s) == strlen(etag) &&
		    memcmp(s, etag, (size_t)(e - s)) == 0)
			match = 1;
		p = e + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && *p != ',')
			return -1;
	}
	return any ? match : -1;
}

/* 0 to go on, or the status (304, 412, 400) that the conditions give. */
static int check_cond(const struct xcap_request *rq, int exists, const char *etag, int is_get)
{
	int star, m;

	if (rq->if_match) {
		m = etag_match(rq->if_match, exists ? etag : NULL, 0, &star);
		if (m < 0)
			return 400;
		if (!exists || !m)
			return 412;
	}
	if (rq->if_none_match) {
		m = etag_match(rq->if_none_match, exists ? etag : NULL, 1, &star);
		if (m < 0)
			return 400;
		if (exists && m)
			return is_get ? 304 : 412;
	}
	return 0;
}

static int ctype_is(const char *hdr, const char *want)
{
	size_t n = strlen(want);
	if (!hdr)
		return 0;
	while (*hdr == ' ' || *hdr == '\t')
		hdr++;
	if (strncasecmp(hdr, want, n) != 0)
		return 0;
	hdr += n;
	while (*hdr == ' ' || *hdr == '\t')
		hdr++;
	return *hdr == '\0' || *hdr == ';';
}

/* ---- URIs for bodies ------------------------------------------------------------ */

/* The URI of the document, or of the first @p k steps of the node selector. */
static char *res_uri(const struct xcap *x, const struct xcap_uri *u, size_t k)
{
	const char *base = xcap_root_base(x);
	char *enc = NULL, *r;
	size_t n;

	if (k > 0 && !(enc = xcap_pct_encode(u->sel.text, u->sel.steps[k - 1].end)))
		return NULL;
	n = strlen(base) + strlen(u->raw_doc) + (enc ? strlen(enc) : 0) +
	    (u->raw_query ? strlen(u->raw_query) : 0) + 16;
	if ((r = malloc(n))) {
		if (k > 0)
			snprintf(r, n, "%s/%s/~~/%s%s%s", base, u->raw_doc, enc,
			    u->raw_query ? "?" : "", u->raw_query ? u->raw_query : "");
		else
			snprintf(r, n, "%s/%s", base, u->raw_doc);
	}
	free(enc);
	return r;
}

static char *home_uri(const struct xcap *x, const struct xcap_uri *u)
{
	char *exui = xcap_pct_encode(u->xui, strlen(u->xui)), *r;
	size_t n;
	if (!exui)
		return NULL;
	n = strlen(xcap_root_base(x)) + strlen(u->au->auid) + strlen(exui) + 16;
	if ((r = malloc(n)))
		snprintf(r, n, "%s/%s/users/%s/", xcap_root_base(x), u->au->auid, exui);
	free(exui);
	return r;
}

/* 409 <no-parent> with the closest existing ancestor of the first @p below steps. */
/* The namespace of a new attribute: a prefixed binding of @p href in scope
 * at @p el, else a new declaration on @p el with the request's prefix (or
 * "a"), numbered until the prefix is not in scope there: reusing a prefix
 * bound by an ancestor would rebind it for el's descendants once the
 * document is serialized. NULL on failure. */
static xmlNsPtr att_ns_bind(xmlDocPtr doc, xmlNodePtr el, const char *href, const char *want)
{
	xmlNsPtr ns = xmlSearchNsByHref(doc, el, BAD_CAST href);
	const char *base = want && *want ? want : "a";
	size_t len = strlen(base) + 16;
	char *pfx;

	if (ns && ns->prefix)
		return ns;
	if (!(pfx = malloc(len)))
		return NULL;
	ns = NULL;
	for (unsigned i = 0; i < 1000 && !ns; i++) {
		if (i == 0)
			snprintf(pfx, len, "%s", base);
		else
			snprintf(pfx, len, "%s%u", base, i);
		if (!xmlSearchNs(doc, el, BAD_CAST pfx)) {
			ns = xmlNewNs(el, BAD_CAST href, BAD_CAST pfx);
			break;
		}
	}
	free(pfx);
	return ns;
}

/* An attribute name that XML Namespaces reserves for namespace declarations:
 * "xmlns" without namespace, or anything in the xmlns namespace. */
static int is_ns_decl(const char *name, const char *ns)
{
	if (ns)
		return strcmp(ns, "http://www.w3.org/2000/xmlns/") == 0;
	return strcmp(name, "xmlns") == 0;
}

static int no_parent(const struct xcap *x, const struct xcap_uri *u, xmlDocPtr doc,
    size_t below, struct xcap_err *err)
{
	size_t k = below;
	xmlNodePtr n;

	while (k > 0 && xcap_select(doc, u->sel.steps, k, &n) != 1)
		k--;
	xcap_err_set(err, "no-parent", NULL);
	free(err->ancestor);
	err->ancestor = res_uri(x, u, k);
	return 409;
}

/* ---- authorization ------------------------------------------------------------------ */

static int owns_xui(const struct xcap_request *rq, const struct xcap_uri *u)
{
	if (rq->is_admin)
		return 1;
	if (!u->xui_ok)
		return 0;
	for (size_t i = 0; i < rq->n_impus; i++) {
		char n[XCAP_XUI_MAX];
		if (!rq->impus[i])
			continue;
		if (pres_uri_normalize(rq->impus[i], n, sizeof(n)) == PRES_OK &&
		    strcmp(n, u->xui) == 0)
			return 1;
	}
	return 0;
}

/* ---- GET ------------------------------------------------------------------------------ */

struct cur_doc {
	int exists;
	char *content; /* owned */
	size_t len;
	char etag[DB_ETAG_MAX];
};

static void cur_clear(struct cur_doc *c)
{
	free(c->content);
	memset(c, 0, sizeof(*c));
}

static int load_doc(struct db *db, const struct xcap_uri *u, struct cur_doc *c)
{
	struct db_doc d;
	int rc = db_doc_get(db, u->au->auid, u->xui, u->doc, &d);

	memset(c, 0, sizeof(*c));
	if (rc == PRES_ENOTFOUND)
		return PRES_OK;
	if (rc != PRES_OK)
		return rc;
	c->exists = 1;
	c->content = d.content; /* take ownership */
	c->len = d.len;
	snprintf(c->etag, sizeof(c->etag), "%s", d.etag);
	d.content = NULL;
	db_doc_clear(&d);
	return PRES_OK;
}

static int do_get(struct xcap *x, struct db *db, const struct xcap_request *rq,
    const struct xcap_uri *u, int generated, struct xcap_response *rs)
{
	struct cur_doc c = { 0 };
	xmlDocPtr doc = NULL;
	struct xcap_err err = { 0 };
	char *body = NULL;
	const char *ctype = u->au->mime;
	size_t blen = 0;
	int rc = PRES_OK, st;

	if (generated) {
		rc = xcap_au_generate(x, db, u, &c.content, &c.len);
		if (rc == PRES_OK) {
			c.exists = 1;
			content_etag(c.content, c.len, c.etag);
		} else if (rc == PRES_ENOTFOUND) {
			rc = PRES_OK;
		}
	} else {
		rc = load_doc(db, u, &c);
	}
	if (rc != PRES_OK) {
		rs_internal(rs, rc);
		goto out;
	}
	if (!c.exists) {
		rs_status(rs, 404);
		goto out;
	}
	if (!u->has_sel) {
		body = c.content;
		blen = c.len;
		c.content = NULL;
	} else {
		xmlNodePtr el;
		if (!(doc = xcap_parse_doc(c.content, c.len, &err))) {
			rc = rs_internal(rs, PRES_EINVAL);
			goto out;
		}
		if (xcap_select(doc, u->sel.steps, u->sel.n, &el) != 1) {
			rs_status(rs, 404);
			goto out;
		}
		if (u->sel.term == XCAP_TERM_NONE) {
			body = xcap_node_dump(el, &blen);
			ctype = CT_EL;
		} else if (u->sel.term == XCAP_TERM_NS) {
			body = xcap_ns_body(el, &blen);
			ctype = CT_NS;
		} else {
			xmlChar *v = xmlGetNsProp(el, BAD_CAST u->sel.att_name, BAD_CAST u->sel.att_ns);
			if (!v) {
				rs_status(rs, 404);
				goto out;
			}
			body = xcap_att_encode((const char *)v);
			blen = body ? strlen(body) : 0;
			xmlFree(v);
			ctype = CT_ATT;
		}
		if (!body) {
			rc = rs_internal(rs, PRES_ENOMEM);
			goto out;
		}
	}
	st = check_cond(rq, 1, c.etag, 1);
	if (st) {
		rs_status(rs, st);
		if (st == 304)
			rs_etag(rs, c.etag);
		goto out;
	}
	rs_status(rs, 200);
	rs_body(rs, ctype, body, blen);
	body = NULL;
	rs_etag(rs, c.etag);
out:
	free(body);
	xmlFreeDoc(doc);
	xcap_err_clear(&err);
	cur_clear(&c);
	return rc;
}

/* ---- modifications --------------------------------------------------------------------- */

/* Serializes @p doc, re-parses the result, validates it (schema, uniqueness,
 * constraints). On 0, *out is the new content. */
static int finish_doc(struct xcap *x, struct db *db, const struct xcap_uri *u, xmlDocPtr doc,
    char **out, size_t *out_len, struct xcap_err *err)
{
	size_t len = 0;
	char *s = xcap_doc_dump(doc, &len);
	xmlDocPtr re;
	int st;

	if (!s)
		return PRES_ENOMEM;
	if (!(re = xcap_parse_doc(s, len, err))) {
		/* the change produced something that is not namespace-well-formed */
		free(s);
		xcap_err_set(err, "not-xml-frag", "the result is not namespace-well-formed");
		return 409;
	}
	st = xcap_au_validate(x, u->au, re, err);
	if (st == 0 && u->au->check)
		st = u->au->check(x, db, u, re, err);
	xmlFreeDoc(re);
	if (st != 0) {
		free(s);
		return st;
	}
	*out = s;
	*out_len = len;
	return 0;
}

/* Replaces the document element by the element in @p body. */
static int replace_root(xmlDocPtr doc, const char *body, size_t len, xmlNodePtr *newel,
    struct xcap_err *err)
{
	xmlDocPtr tmp = xcap_parse_doc(body, len, err);
	xmlNodePtr cp, old;

	if (!tmp) {
		if (err->tag && strcmp(err->tag, "not-utf-8") != 0)
			xcap_err_set(err, "not-xml-frag", "%s", err->phrase);
		return 409;
	}
	cp = xmlDocCopyNode(xmlDocGetRootElement(tmp), doc, 1);
	xmlFreeDoc(tmp);
	if (!cp)
		return PRES_ENOMEM;
	old = xmlDocSetRootElement(doc, cp);
	xmlFreeNode(old);
	xmlReconciliateNs(doc, cp);
	*newel = cp;
	return 0;
}

/*
 * Computes the new content of a PUT. Returns 0 (with *out, *created), 409
 * (err set), another HTTP status, or a negative pres_rc.
 */
static int put_compute(struct xcap *x, struct db *db, const struct xcap_request *rq,
    const struct xcap_uri *u, const struct cur_doc *c, char **out, size_t *out_len,
    int *created, struct xcap_err *err)
{
	xmlDocPtr doc;
	int st = 0;

	*created = 0;
	if (!u->has_sel) {
		if (!(doc = xcap_parse_doc(rq->body ? rq->body : "", rq->body_len, err)))
			return 409;
		st = xcap_au_validate(x, u->au, doc, err);
		if (st == 0 && u->au->check)
			st = u->au->check(x, db, u, doc, err);
		xmlFreeDoc(doc);
		if (st)
			return st;
		if (!(*out = malloc(rq->body_len + 1)))
			return PRES_ENOMEM;
		if (rq->body_len)
			memcpy(*out, rq->body, rq->body_len);
		(*out)[rq->body_len] = '\0';
		*out_len = rq->body_len;
		*created = !c->exists;
		return 0;
	}
	if (!c->exists) {
		xcap_err_set(err, "no-parent", NULL);
		free(err->ancestor);
		err->ancestor = home_uri(x, u);
		return 409;
	}
	if (!(doc = xcap_parse_doc(c->content, c->len, err)))
		return PRES_EINVAL;
	if (u->sel.term == XCAP_TERM_NONE) {
		xmlNodePtr el, parent, nel = NULL, chk;
		size_t n = xcap_select(doc, u->sel.steps, u->sel.n, &el);
		if (n > 1) {
			st = 404;
		} else if (n == 1 && el->parent == (xmlNodePtr)doc) {
			st = replace_root(doc, rq->body ? rq->body : "", rq->body_len, &nel, err);
		} else if (n == 1) {
			if (!(nel = xcap_parse_frag(el->parent, rq->body ? rq->body : "", rq->body_len, err)))
				st = 409;
			else {
				xmlReplaceNode(el, nel);
				xmlFreeNode(el);
			}
		} else if (u->sel.n == 1) {
			xcap_err_set(err, "cannot-insert", "a document has exactly one document element");
			st = 409;
		} else if (xcap_select(doc, u->sel.steps, u->sel.n - 1, &parent) != 1) {
			st = no_parent(x, u, doc, u->sel.n - 1, err);
		} else if (!(nel = xcap_parse_frag(parent, rq->body ? rq->body : "", rq->body_len, err))) {
			st = 409;
		} else if (xcap_insert(parent, &u->sel.steps[u->sel.n - 1], nel) != 0) {
			xmlFreeNode(nel);
			xcap_err_set(err, "cannot-insert", "no position satisfies the node selector");
			st = 409;
		} else {
			*created = 1;
		}
		/* idempotency: the same URI must now select the new element */
		if (st == 0 && (xcap_select(doc, u->sel.steps, u->sel.n, &chk) != 1 || chk != nel)) {
			xcap_err_set(err, "cannot-insert",
			    "the request URI would not select the new element");
			st = 409;
		}
	} else { /* attribute */
		xmlNodePtr el, chk;
		xmlNsPtr ns = NULL;
		char *val = xcap_att_decode(rq->body ? rq->body : "", rq->body_len);
		size_t n = xcap_select(doc, u->sel.steps, u->sel.n, &el);
		if (!val) {
			xcap_err_set(err, "not-xml-att-value", NULL);
			st = 409;
		} else if (n > 1) {
			st = 404;
		} else if (n == 0) {
			st = no_parent(x, u, doc, u->sel.n, err);
		} else {
			if (u->sel.att_ns)
				ns = att_ns_bind(doc, el, u->sel.att_ns, u->sel.att_prefix);
			if (u->sel.att_ns && !ns) {
				xcap_err_set(err, "cannot-insert", "cannot bind the attribute's namespace");
				st = 409;
			} else if (is_ns_decl(u->sel.att_name, u->sel.att_ns)) {
				/* serialized, "xmlns" would become a namespace declaration
				 * (moving the element into another namespace) that no
				 * attribute selector selects */
				xcap_err_set(err, "cannot-insert", "a namespace declaration is not an attribute");
				st = 409;
			} else {
				*created = !xmlHasNsProp(el, BAD_CAST u->sel.att_name, BAD_CAST u->sel.att_ns);
				if (!xmlSetNsProp(el, ns, BAD_CAST u->sel.att_name, BAD_CAST val))
					st = PRES_ENOMEM;
				else if (xcap_select(doc, u->sel.steps, u->sel.n, &chk) != 1 || chk != el) {
					xcap_err_set(err, "cannot-insert",
					    "the request URI would not select the new attribute");
					st = 409;
				}
			}
		}
		free(val);
	}
	if (st == 0)
		st = finish_doc(x, db, u, doc, out, out_len, err);
	xmlFreeDoc(doc);
	return st;
}

static int delete_compute(struct xcap *x, struct db *db, const struct xcap_uri *u,
    const struct cur_doc *c, char **out, size_t *out_len, struct xcap_err *err)
{
	xmlDocPtr doc = xcap_parse_doc(c->content, c->len, err);
	xmlNodePtr el, chk;
	int st = 0;

	if (!doc)
		return PRES_EINVAL;
	if (xcap_select(doc, u->sel.steps, u->sel.n, &el) != 1) {
		st = 404;
	} else if (u->sel.term == XCAP_TERM_NONE) {
		if (el->parent == (xmlNodePtr)doc) {
			xcap_err_set(err, "cannot-delete",
			    "the document element cannot be deleted; delete the document");
			st = 409;
		} else {
			xmlUnlinkNode(el);
			xmlFreeNode(el);
			if (xcap_select(doc, u->sel.steps, u->sel.n, &chk) != 0) {
				xcap_err_set(err, "cannot-delete",
				    "the request URI would still select an element");
				st = 409;
			}
		}
	} else {
		xmlAttrPtr a = xmlHasNsProp(el, BAD_CAST u->sel.att_name, BAD_CAST u->sel.att_ns);
		if (!a) {
			st = 404;
		} else {
			xmlRemoveProp(a);
			if (xcap_select(doc, u->sel.steps, u->sel.n, &chk) == 1 &&
			    xmlHasNsProp(chk, BAD_CAST u->sel.att_name, BAD_CAST u->sel.att_ns)) {
				xcap_err_set(err, "cannot-delete",
				    "the request URI would still select an attribute");
				st = 409;
			}
		}
	}
	if (st == 0)
		st = finish_doc(x, db, u, doc, out, out_len, err);
	xmlFreeDoc(doc);
	return st;
}

static void notify(struct xcap *x, const struct xcap_uri *u, const char *old_etag,
    const char *new_etag, const char *content, size_t len)
{
	struct xcap_change ev = {
		.auid = u->au->auid, .xui = u->xui, .doc_name = u->doc,
		.old_etag = old_etag, .new_etag = new_etag,
		.new_content = content, .new_len = len,
	};
	if (x->cb)
		x->cb(&ev, x->cb_arg);
}

/* Runs one PUT or DELETE with compare-and-set and retries. */
static int do_write(struct xcap *x, struct db *db, const struct xcap_request *rq,
    const struct xcap_uri *u, int is_put, struct xcap_response *rs)
{
	int serialize = u->au->check && !strcmp(u->au->auid, "rls-services");
	int rc = PRES_OK;

	if (is_put) {
		const char *want = !u->has_sel ? u->au->mime :
		    u->sel.term == XCAP_TERM_ATTR ? CT_ATT : CT_EL;
		if (!ctype_is(rq->content_type, want)) {
			rs_status(rs, 415);
			return PRES_OK;
		}
		if (rq->body_len > x->max_doc_size) {
			rs_status(rs, 413);
			return PRES_OK;
		}
	}
	for (int attempt = 0; attempt < XCAP_RETRIES; attempt++) {
		struct cur_doc c;
		struct xcap_err err = { 0 };
		char *out = NULL, etag[DB_ETAG_MAX];
		size_t out_len = 0;
		int st, created = 0, in_tx = 0;

		if (serialize) {
			if ((rc = db_begin(db)) != PRES_OK)
				return rs_internal(rs, rc);
			in_tx = 1;
		}
		if ((rc = load_doc(db, u, &c)) != PRES_OK) {
			if (in_tx)
				db_rollback(db);
			return rs_internal(rs, rc);
		}
		st = check_cond(rq, c.exists, c.etag, 0);
		if (!st && !is_put && !c.exists)
			st = 404;
		if (!st) {
			if (is_put)
				st = put_compute(x, db, rq, u, &c, &out, &out_len, &created, &err);
			else if (u->has_sel)
				st = delete_compute(x, db, u, &c, &out, &out_len, &err);
		}
		if (st == 0 && out && out_len > x->max_doc_size)
			st = 413;
		if (st == 0 && (rc = new_etag(etag)) != PRES_OK)
			st = rc;
		if (st == 0 && x->race_hook)
			x->race_hook(x->race_hook_arg);
		if (st == 0) {
			if (out)
				rc = db_doc_put(db, u->au->auid, u->xui, u->doc, out, out_len,
				    c.exists ? c.etag : "", etag);
			else
				rc = db_doc_delete(db, u->au->auid, u->xui, u->doc, c.etag);
			if (rc == PRES_OK && in_tx)
				rc = db_commit(db);
			else if (in_tx)
				db_rollback(db);
			in_tx = 0;
			if (rc == PRES_EPRECOND || rc == PRES_ENOTFOUND) {
				/* a concurrent writer came in between */
				int conditional = rq->if_match || rq->if_none_match;
				free(out);
				cur_clear(&c);
				xcap_err_clear(&err);
				if (conditional) {
					rs_status(rs, 412);
					return PRES_OK;
				}
				continue;
			}
			if (rc != PRES_OK) {
				st = rc;
			} else {
				rs_status(rs, is_put && created ? 201 : 200);
				if (out)
					rs_etag(rs, etag);
				notify(x, u, c.exists ? c.etag : "", out ? etag : "", out, out_len);
			}
		}
		if (in_tx)
			db_rollback(db);
		if (st == 409)
			rc = rs_error(rs, &err);
		else if (st > 0)
			rs_status(rs, st);
		else if (st < 0)
			rc = rs_internal(rs, st);
		else
			rc = PRES_OK;
		free(out);
		cur_clear(&c);
		xcap_err_clear(&err);
		return rc;
	}
	rs_status(rs, 503);
	return PRES_EAGAIN;
}

/* ---- entry point ------------------------------------------------------------------ */

int xcap_handle(struct xcap *x, struct db *db, const struct xcap_request *rq,
    struct xcap_response *rs)
{
	struct xcap_uri u;
	int st, rc = PRES_OK, is_get, is_put, is_del, generated = 0;

	memset(rs, 0, sizeof(*rs));
	if (!x || !rq || !rq->method || !rq->target) {
		rs->status = 500;
		return PRES_EINVAL;
	}
	is_get = !strcmp(rq->method, "GET");
	is_put = !strcmp(rq->method, "PUT");
	is_del = !strcmp(rq->method, "DELETE");
	st = xcap_uri_parse(x->root_path, rq->target, &u);
	if (st) {
		rs_status(rs, st == 500 ? 500 : st);
		goto out;
	}
	/* who may touch what */
	if (u.global) {
		generated = u.au->global_doc && !strcmp(u.doc, u.au->global_doc);
		if (!is_get) {
			rs_status(rs, generated || !(is_put || is_del) ? 405 : 403);
			if (rs->status == 405)
				snprintf(rs->allow, sizeof(rs->allow), "%s", generated ? "GET" : "GET, PUT, DELETE");
			goto out;
		}
		if (!generated) {
			rs_status(rs, 404);
			goto out;
		}
	} else {
		if (!owns_xui(rq, &u)) {
			rs_status(rs, 403);
			goto out;
		}
		if (u.au->flags & XCAP_AU_READONLY) {
			generated = u.au->user_doc && !strcmp(u.doc, u.au->user_doc);
			if (!is_get) {
				rs_status(rs, 405);
				snprintf(rs->allow, sizeof(rs->allow), "GET");
				goto out;
			}
			if (!generated) {
				rs_status(rs, 404);
				goto out;
			}
		}
	}
	if (!is_get && !is_put && !is_del) {
		rs_status(rs, 405);
		snprintf(rs->allow, sizeof(rs->allow), "%s",
		    u.has_sel && u.sel.term == XCAP_TERM_NS ? "GET" : "GET, PUT, DELETE");
		goto out;
	}
	if (!is_get && u.has_sel && u.sel.term == XCAP_TERM_NS) {
		rs_status(rs, 405);
		snprintf(rs->allow, sizeof(rs->allow), "GET");
		goto out;
	}
	if (is_get)
		rc = do_get(x, db, rq, &u, generated, rs);
	else
		rc = do_write(x, db, rq, &u, is_put, rs);
out:
	xcap_uri_free(&u);
	return rc;
}
