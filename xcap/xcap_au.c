/*
 * xcap_au.c - the application usage table: AUIDs, MIME types, default
 * namespaces, schemas, uniqueness and constraint checks, and the generated
 * read-only documents (xcap-caps, the global rls-services index, the OMA
 * xcap-directory).
 */
#include "xcap/xcap_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>

#define NS_CP "urn:ietf:params:xml:ns:common-policy"
#define NS_PR "urn:ietf:params:xml:ns:pres-rules"
#define NS_OMA_CP "urn:oma:xml:xdm:common-policy"
#define NS_RL "urn:ietf:params:xml:ns:resource-lists"
#define NS_RLS "urn:ietf:params:xml:ns:rls-services"
#define NS_PIDF "urn:ietf:params:xml:ns:pidf"
#define NS_CAPS "urn:ietf:params:xml:ns:xcap-caps"
#define NS_DIR "urn:oma:xml:xdm:xcap-directory"

static int check_presrules(struct xcap *x, struct db *db, const struct xcap_uri *u,
    xmlDocPtr doc, struct xcap_err *err);
static int check_rlists(struct xcap *x, struct db *db, const struct xcap_uri *u,
    xmlDocPtr doc, struct xcap_err *err);
static int check_rls(struct xcap *x, struct db *db, const struct xcap_uri *u,
    xmlDocPtr doc, struct xcap_err *err);

static const char *const ns_caps[] = { NS_CAPS, NULL };
static const char *const ns_pr[] = { NS_CP, NS_PR, NULL };
static const char *const ns_oma_pr[] = { NS_CP, NS_PR, NS_OMA_CP, NULL };
static const char *const ns_rl[] = { NS_RL, NULL };
static const char *const ns_rls[] = { NS_RLS, NS_RL, NULL };
static const char *const ns_pidf[] = { NS_PIDF, NULL };
static const char *const ns_dir[] = { NS_DIR, NULL };

const struct xcap_au xcap_aus[] = {
	{ "xcap-caps", "application/xcap-caps+xml", NS_CAPS, NULL, NS_CAPS, "xcap-caps",
	  XCAP_AU_READONLY, "index", NULL, ns_caps, NULL },
	/* RFC 5025 section 9.4: the default namespace is the pres-rules one,
	 * although the document element is common-policy's <ruleset>. */
	{ "pres-rules", "application/auth-policy+xml", NS_PR, "pres-rules.xsd", NS_CP, "ruleset",
	  XCAP_AU_USERS, NULL, NULL, ns_pr, check_presrules },
	{ "org.openmobilealliance.pres-rules", "application/auth-policy+xml", NS_CP,
	  "oma-pres-rules.xsd", NS_CP, "ruleset",
	  XCAP_AU_USERS, NULL, NULL, ns_oma_pr, check_presrules },
	{ "resource-lists", "application/resource-lists+xml", NS_RL, "resource-lists.xsd",
	  NS_RL, "resource-lists", XCAP_AU_USERS, NULL, NULL, ns_rl, check_rlists },
	{ "rls-services", "application/rls-services+xml", NS_RLS, "rls-services.xsd",
	  NS_RLS, "rls-services", XCAP_AU_USERS, "index", NULL, ns_rls, check_rls },
	{ "pidf-manipulation", "application/pidf+xml", NS_PIDF, "pidf.xsd", NS_PIDF, "presence",
	  XCAP_AU_USERS, NULL, NULL, ns_pidf, NULL },
	{ "org.openmobilealliance.xcap-directory", "application/vnd.oma.xcap-directory+xml",
	  NS_DIR, NULL, NS_DIR, "xcap-directory",
	  XCAP_AU_READONLY, NULL, "directory.xml", ns_dir, NULL },
};
const size_t xcap_n_aus = PRES_ARRAY_LEN(xcap_aus);

const struct xcap_au *xcap_au_find(const char *auid)
{
	for (size_t i = 0; i < xcap_n_aus; i++)
		if (strcmp(xcap_aus[i].auid, auid) == 0)
			return &xcap_aus[i];
	return NULL;
}

const char *xcap_root_base(const struct xcap *x)
{
	return x->root_uri ? x->root_uri : x->root_path;
}

/* ---- schemas -------------------------------------------------------------- */

static void schema_parse_err(void *arg, xmlErrorPtr e)
{
	(void)arg;
	if (e && e->message)
		log_warnx("xcap: schema %s:%d: %s", e->file ? e->file : "?", e->line, e->message);
}

int xcap_au_load_schemas(struct xcap *x)
{
	if (!(x->schemas = calloc(xcap_n_aus, sizeof(*x->schemas))))
		return PRES_ENOMEM;
	for (size_t i = 0; i < xcap_n_aus; i++) {
		char path[1024];
		xmlSchemaParserCtxtPtr pc;
		if (!xcap_aus[i].xsd)
			continue;
		snprintf(path, sizeof(path), "%s/%s", x->schema_dir, xcap_aus[i].xsd);
		if (access(path, R_OK) != 0) {
			log_warn("xcap: schema %s", path);
			return PRES_EIO;
		}
		if (!(pc = xmlSchemaNewParserCtxt(path)))
			return PRES_ENOMEM;
		xmlSchemaSetParserStructuredErrors(pc, schema_parse_err, NULL);
		x->schemas[i] = xmlSchemaParse(pc);
		xmlSchemaFreeParserCtxt(pc);
		if (!x->schemas[i]) {
			log_warnx("xcap: cannot load schema %s", path);
			return PRES_EIO;
		}
	}
	return PRES_OK;
}

void xcap_au_free_schemas(struct xcap *x)
{
	if (!x->schemas)
		return;
	for (size_t i = 0; i < xcap_n_aus; i++)
		if (x->schemas[i])
			xmlSchemaFree(x->schemas[i]);
	free(x->schemas);
	x->schemas = NULL;
}

static void valid_err(void *arg, xmlErrorPtr e)
{
	struct xcap_err *err = arg;
	if (err->phrase[0] || !e || !e->message)
		return;
	snprintf(err->phrase, sizeof(err->phrase), "line %d: %s", e->line, e->message);
	size_t l = strlen(err->phrase);
	while (l && (err->phrase[l - 1] == '\n' || err->phrase[l - 1] == ' '))
		err->phrase[--l] = '\0';
}

int xcap_au_validate(struct xcap *x, const struct xcap_au *au, xmlDocPtr doc,
    struct xcap_err *err)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	xmlSchemaValidCtxtPtr vc;
	size_t idx = (size_t)(au - xcap_aus);
	int rc;

	if (!root || strcmp((const char *)root->name, au->root_name) != 0 || !root->ns ||
	    strcmp((const char *)root->ns->href, au->root_ns) != 0) {
		xcap_err_set(err, "schema-validation-error",
		    "the document element must be <%s> in namespace %s", au->root_name, au->root_ns);
		return 409;
	}
	if (!x->schemas || !x->schemas[idx])
		return 0;
	if (!(vc = xmlSchemaNewValidCtxt(x->schemas[idx])))
		return PRES_ENOMEM;
	err->phrase[0] = '\0';
	xmlSchemaSetValidStructuredErrors(vc, valid_err, err);
	rc = xmlSchemaValidateDoc(vc, doc);
	xmlSchemaFreeValidCtxt(vc);
	if (rc != 0) {
		char keep[sizeof(err->phrase)];
		memcpy(keep, err->phrase, sizeof(keep));
		xcap_err_set(err, "schema-validation-error", "%s", keep);
		return 409;
	}
	err->phrase[0] = '\0';
	return 0;
}

/* ---- helpers for checks ------------------------------------------------------ */

static int is_el(xmlNodePtr n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns && !strcmp((const char *)n->ns->href, ns) &&
	    !strcmp((const char *)n->name, name);
}

/* Compares two values as SIP/tel URIs when both are, else as strings. */
static int same_uri(const char *a, const char *b)
{
	char na[512], nb[512];
	if (pres_uri_normalize(a, na, sizeof(na)) == PRES_OK &&
	    pres_uri_normalize(b, nb, sizeof(nb)) == PRES_OK)
		return strcmp(na, nb) == 0;
	return strcmp(a, b) == 0;
}

struct strset {
	char **v;
	size_t n, cap;
};

static int strset_add(struct strset *s, const char *v)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? 2 * s->cap : 16;
		char **nv = realloc(s->v, nc * sizeof(*nv));
		if (!nv)
			return PRES_ENOMEM;
		s->v = nv;
		s->cap = nc;
	}
	if (!(s->v[s->n] = strdup(v)))
		return PRES_ENOMEM;
	s->n++;
	return PRES_OK;
}

static int strset_has(const struct strset *s, const char *v, int as_uri)
{
	for (size_t i = 0; i < s->n; i++)
		if (as_uri ? same_uri(s->v[i], v) : !strcmp(s->v[i], v))
			return 1;
	return 0;
}

static void strset_free(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Fills err with a uniqueness failure for attribute @p att of @p el, with up
 * to XCAP_MAX_ALT suggestions not in @p taken (and not equal to the value). */
static int uniq_fail(struct xcap_err *err, xmlNodePtr el, const char *att,
    const char *default_ns, const struct strset *taken, int as_uri)
{
	xmlAttrPtr a = xmlHasProp(el, BAD_CAST att);
	xmlChar *v = xmlGetProp(el, BAD_CAST att);
	const char *val = v ? (const char *)v : "";

	xcap_err_set(err, "uniqueness-failure", NULL);
	if (a)
		xcap_node_path((xmlNodePtr)a, default_ns, err->field, sizeof(err->field));
	err->n_alt = 0;
	for (int k = 1; k < 1000 && err->n_alt < 1; k++) {
		char cand[256];
		const char *at = as_uri ? strchr(val, '@') : NULL;
		if (at)
			snprintf(cand, sizeof(cand), "%.*s-%d%s", (int)(at - val), val, k, at);
		else
			snprintf(cand, sizeof(cand), "%s-%d", val, k);
		if (!strset_has(taken, cand, as_uri))
			snprintf(err->alt[err->n_alt++], sizeof(err->alt[0]), "%s", cand);
	}
	xmlFree(v);
	return 409;
}

/* ---- pres-rules (RFC 4745 / RFC 5025): rule ids unique ------------------- */

static int check_presrules(struct xcap *x, struct db *db, const struct xcap_uri *u,
    xmlDocPtr doc, struct xcap_err *err)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	struct strset ids = { 0 };
	int rc = 0;
	(void)x; (void)db;

	for (xmlNodePtr r = root->children; r && !rc; r = r->next) {
		xmlChar *id;
		if (!is_el(r, NS_CP, "rule"))
			continue;
		if (!(id = xmlGetProp(r, BAD_CAST "id")))
			continue;
		if (strset_has(&ids, (const char *)id, 0))
			rc = uniq_fail(err, r, "id", u->au->default_ns, &ids, 0);
		else if (strset_add(&ids, (const char *)id))
			rc = PRES_ENOMEM;
		xmlFree(id);
	}
	strset_free(&ids);
	return rc;
}

/* ---- resource-lists (RFC 4826 section 3.4) --------------------------------- */

/* Relative path reference (RFC 3986): no scheme, no authority, no leading '/'. */
static int is_relative_path(const char *s)
{
	const char *colon = strchr(s, ':'), *slash = strchr(s, '/');
	if (!*s || s[0] == '/')
		return 0;
	if (colon && (!slash || colon < slash))
		return 0; /* has a scheme */
	return 1;
}

static int is_http_uri(const char *s)
{
	return !strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8);
}

/* Checks the children of one <resource-lists> or <list>, then recurses. */
static int check_list_children(xmlNodePtr parent, const char *default_ns, struct xcap_err *err)
{
	struct strset names = { 0 }, uris = { 0 }, refs = { 0 }, anchors = { 0 };
	int rc = 0;

	for (xmlNodePtr c = parent->children; c && !rc; c = c->next) {
		xmlChar *v = NULL;
		if (is_el(c, NS_RL, "list")) {
			if ((v = xmlGetProp(c, BAD_CAST "name"))) {
				if (strset_has(&names, (const char *)v, 0))
					rc = uniq_fail(err, c, "name", default_ns, &names, 0);
				else if (strset_add(&names, (const char *)v))
					rc = PRES_ENOMEM;
			}
			if (!rc)
				rc = check_list_children(c, default_ns, err);
		} else if (is_el(c, NS_RL, "entry")) {
			if ((v = xmlGetProp(c, BAD_CAST "uri"))) {
				if (strset_has(&uris, (const char *)v, 1))
					rc = uniq_fail(err, c, "uri", default_ns, &uris, 1);
				else if (strset_add(&uris, (const char *)v))
					rc = PRES_ENOMEM;
			}
		} else if (is_el(c, NS_RL, "entry-ref")) {
			if ((v = xmlGetProp(c, BAD_CAST "ref"))) {
				if (!is_relative_path((const char *)v)) {
					xcap_err_set(err, "constraint-failure",
					    "entry-ref must be a relative path reference to this server's XCAP root");
					rc = 409;
				} else if (strset_has(&refs, (const char *)v, 0)) {
					rc = uniq_fail(err, c, "ref", default_ns, &refs, 0);
				} else if (strset_add(&refs, (const char *)v)) {
					rc = PRES_ENOMEM;
				}
			}
		} else if (is_el(c, NS_RL, "external")) {
			if ((v = xmlGetProp(c, BAD_CAST "anchor"))) {
				if (!is_http_uri((const char *)v)) {
					xcap_err_set(err, "constraint-failure",
					    "external anchor must be an absolute HTTP URI");
					rc = 409;
				} else if (strset_has(&anchors, (const char *)v, 0)) {
					rc = uniq_fail(err, c, "anchor", default_ns, &anchors, 0);
				} else if (strset_add(&anchors, (const char *)v)) {
					rc = PRES_ENOMEM;
				}
			}
		}
		xmlFree(v);
	}
	strset_free(&names);
	strset_free(&uris);
	strset_free(&refs);
	strset_free(&anchors);
	return rc;
}

static int check_rlists(struct xcap *x, struct db *db, const struct xcap_uri *u,
    xmlDocPtr doc, struct xcap_err *err)
{
	(void)x; (void)db;
	return check_list_children(xmlDocGetRootElement(doc), u->au->default_ns, err);
}

/* ---- rls-services (RFC 4826 section 4.4) ------------------------------------- */

struct doc_key {
	char xui[DB_URI_MAX];
	char name[512];
};

struct key_list {
	struct doc_key *v;
	size_t n, cap;
	const char *skip_xui, *skip_name;
	int oom;
};

static int collect_keys(const struct db_doc_info *d, void *arg)
{
	struct key_list *k = arg;
	if (!d->xui[0])
		return 0; /* global documents are generated, never stored */
	if (k->skip_xui && !strcmp(d->xui, k->skip_xui) && !strcmp(d->name, k->skip_name))
		return 0;
	if (k->n == k->cap) {
		size_t nc = k->cap ? 2 * k->cap : 16;
		struct doc_key *nv = realloc(k->v, nc * sizeof(*nv));
		if (!nv) {
			k->oom = 1;
			return 1;
		}
		k->v = nv;
		k->cap = nc;
	}
	snprintf(k->v[k->n].xui, sizeof(k->v[0].xui), "%s", d->xui);
	snprintf(k->v[k->n].name, sizeof(k->v[0].name), "%s", d->name);
	k->n++;
	return 0;
}

/* Calls @p fn for every stored rls-services document except (skip_xui,
 * skip_name), parsed. */
static int foreach_rls_doc(struct db *db, const char *skip_xui, const char *skip_name,
    int (*fn)(xmlDocPtr d, void *arg), void *arg)
{
	struct key_list k = { .skip_xui = skip_xui, .skip_name = skip_name };
	int rc = db_doc_foreach(db, "rls-services", NULL, collect_keys, &k);

	if (rc == PRES_OK && k.oom)
		rc = PRES_ENOMEM;
	for (size_t i = 0; rc == PRES_OK && i < k.n; i++) {
		struct db_doc d;
		struct xcap_err e = { 0 };
		xmlDocPtr pd;
		if (db_doc_get(db, "rls-services", k.v[i].xui, k.v[i].name, &d) != PRES_OK)
			continue; /* deleted meanwhile */
		pd = xcap_parse_doc(d.content, d.len, &e);
		db_doc_clear(&d);
		xcap_err_clear(&e);
		if (!pd)
			continue;
		rc = fn(pd, arg);
		xmlFreeDoc(pd);
	}
	free(k.v);
	return rc;
}

static int collect_service_uris(xmlDocPtr d, void *arg)
{
	struct strset *s = arg;
	xmlNodePtr root = xmlDocGetRootElement(d);
	for (xmlNodePtr c = root ? root->children : NULL; c; c = c->next) {
		xmlChar *v;
		if (!is_el(c, NS_RLS, "service") || !(v = xmlGetProp(c, BAD_CAST "uri")))
			continue;
		int rc = strset_add(s, (const char *)v);
		xmlFree(v);
		if (rc)
			return rc;
	}
	return PRES_OK;
}

static int check_rls(struct xcap *x, struct db *db, const struct xcap_uri *u,
    xmlDocPtr doc, struct xcap_err *err)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	struct strset mine = { 0 }, others = { 0 }, all = { 0 };
	int rc;
	(void)x;

	rc = foreach_rls_doc(db, u->xui, u->doc, collect_service_uris, &others);
	for (size_t i = 0; rc == PRES_OK && i < others.n; i++)
		rc = strset_add(&all, others.v[i]);
	if (rc == PRES_OK)
		rc = collect_service_uris(doc, &all);
	for (xmlNodePtr c = root->children; c && rc == PRES_OK; c = c->next) {
		xmlChar *v;
		if (!is_el(c, NS_RLS, "service"))
			continue;
		for (xmlNodePtr l = c->children; l && rc == PRES_OK; l = l->next)
			if (is_el(l, NS_RLS, "list"))
				rc = check_list_children(l, u->au->default_ns, err);
		if (rc != PRES_OK || !(v = xmlGetProp(c, BAD_CAST "uri")))
			continue;
		if (strset_has(&mine, (const char *)v, 1) || strset_has(&others, (const char *)v, 1))
			rc = uniq_fail(err, c, "uri", u->au->default_ns, &all, 1);
		else if (strset_add(&mine, (const char *)v))
			rc = PRES_ENOMEM;
		xmlFree(v);
	}
	strset_free(&mine);
	strset_free(&others);
	strset_free(&all);
	return rc;
}

/* ---- generated documents ------------------------------------------------- */

static int gen_caps(char **content, size_t *len)
{
	xmlDocPtr d = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root, auids, nss;
	xmlNsPtr ns;
	struct strset seen = { 0 };
	int rc = PRES_ENOMEM;

	if (!d)
		return PRES_ENOMEM;
	root = xmlNewDocNode(d, NULL, BAD_CAST "xcap-caps", NULL);
	xmlDocSetRootElement(d, root);
	ns = xmlNewNs(root, BAD_CAST NS_CAPS, NULL);
	xmlSetNs(root, ns);
	auids = xmlNewChild(root, ns, BAD_CAST "auids", NULL);
	for (size_t i = 0; i < xcap_n_aus; i++)
		xmlNewTextChild(auids, ns, BAD_CAST "auid", BAD_CAST xcap_aus[i].auid);
	nss = xmlNewChild(root, ns, BAD_CAST "namespaces", NULL);
	for (size_t i = 0; i < xcap_n_aus; i++) {
		for (size_t k = 0; xcap_aus[i].ns_list[k]; k++) {
			const char *n = xcap_aus[i].ns_list[k];
			if (strset_has(&seen, n, 0))
				continue;
			if (strset_add(&seen, n))
				goto out;
			xmlNewTextChild(nss, ns, BAD_CAST "namespace", BAD_CAST n);
		}
	}
	*content = xcap_doc_dump(d, len);
	rc = *content ? PRES_OK : PRES_ENOMEM;
out:
	strset_free(&seen);
	xmlFreeDoc(d);
	return rc;
}

struct rls_agg {
	xmlDocPtr out;
	xmlNodePtr root;
};

static int add_services(xmlDocPtr d, void *arg)
{
	struct rls_agg *a = arg;
	xmlNodePtr root = xmlDocGetRootElement(d);
	for (xmlNodePtr c = root ? root->children : NULL; c; c = c->next) {
		xmlNodePtr cp;
		if (!is_el(c, NS_RLS, "service"))
			continue;
		if (!(cp = xmlDocCopyNode(c, a->out, 1)))
			return PRES_ENOMEM;
		xmlAddChild(a->root, cp);
		xmlReconciliateNs(a->out, cp);
	}
	return PRES_OK;
}

static int gen_rls_index(struct db *db, char **content, size_t *len)
{
	struct rls_agg a;
	int rc;

	if (!(a.out = xmlNewDoc(BAD_CAST "1.0")))
		return PRES_ENOMEM;
	a.root = xmlNewDocNode(a.out, NULL, BAD_CAST "rls-services", NULL);
	xmlDocSetRootElement(a.out, a.root);
	xmlSetNs(a.root, xmlNewNs(a.root, BAD_CAST NS_RLS, NULL));
	xmlNewNs(a.root, BAD_CAST NS_RL, BAD_CAST "rl");
	rc = foreach_rls_doc(db, NULL, NULL, add_services, &a);
	if (rc == PRES_OK) {
		*content = xcap_doc_dump(a.out, len);
		rc = *content ? PRES_OK : PRES_ENOMEM;
	}
	xmlFreeDoc(a.out);
	return rc;
}

struct dir_ctx {
	const struct xcap *x;
	const char *auid;
	xmlNodePtr folder;
	xmlNsPtr ns;
	int rc;
};

static int dir_entry(const struct db_doc_info *d, void *arg)
{
	struct dir_ctx *c = arg;
	char uri[2048], when[40], size[32];
	char *exui = xcap_pct_encode(d->xui, strlen(d->xui));
	char *ename = xcap_pct_encode(d->name, strlen(d->name));
	time_t t = (time_t)d->mtime;
	struct tm tm;
	xmlNodePtr e;

	if (!exui || !ename) {
		free(exui);
		free(ename);
		c->rc = PRES_ENOMEM;
		return 1;
	}
	snprintf(uri, sizeof(uri), "%s/%s/users/%s/%s", xcap_root_base(c->x), c->auid, exui, ename);
	free(exui);
	free(ename);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(size, sizeof(size), "%zu", d->len);
	e = xmlNewChild(c->folder, c->ns, BAD_CAST "entry", NULL);
	if (!e) {
		c->rc = PRES_ENOMEM;
		return 1;
	}
	xmlSetProp(e, BAD_CAST "uri", BAD_CAST uri);
	xmlSetProp(e, BAD_CAST "etag", BAD_CAST d->etag);
	xmlSetProp(e, BAD_CAST "last-modified", BAD_CAST when);
	xmlSetProp(e, BAD_CAST "size", BAD_CAST size);
	return 0;
}

static int gen_directory(const struct xcap *x, struct db *db, const char *xui,
    char **content, size_t *len)
{
	xmlDocPtr d = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root;
	struct dir_ctx c = { .x = x };
	int rc = PRES_OK;

	if (!d)
		return PRES_ENOMEM;
	root = xmlNewDocNode(d, NULL, BAD_CAST "xcap-directory", NULL);
	xmlDocSetRootElement(d, root);
	c.ns = xmlNewNs(root, BAD_CAST NS_DIR, NULL);
	xmlSetNs(root, c.ns);
	for (size_t i = 0; i < xcap_n_aus && rc == PRES_OK; i++) {
		if (!(xcap_aus[i].flags & XCAP_AU_USERS))
			continue;
		c.auid = xcap_aus[i].auid;
		c.folder = xmlNewChild(root, c.ns, BAD_CAST "folder", NULL);
		if (!c.folder) {
			rc = PRES_ENOMEM;
			break;
		}
		xmlSetProp(c.folder, BAD_CAST "auid", BAD_CAST c.auid);
		rc = db_doc_foreach(db, c.auid, xui, dir_entry, &c);
		if (rc == PRES_OK)
			rc = c.rc;
	}
	if (rc == PRES_OK) {
		*content = xcap_doc_dump(d, len);
		rc = *content ? PRES_OK : PRES_ENOMEM;
	}
	xmlFreeDoc(d);
	return rc;
}

int xcap_au_generate(struct xcap *x, struct db *db, const struct xcap_uri *u,
    char **content, size_t *len)
{
	const struct xcap_au *au = u->au;

	*content = NULL;
	*len = 0;
	if (u->global) {
		if (!au->global_doc || strcmp(u->doc, au->global_doc) != 0)
			return PRES_ENOTFOUND;
		if (!strcmp(au->auid, "xcap-caps"))
			return gen_caps(content, len);
		if (!strcmp(au->auid, "rls-services"))
			return gen_rls_index(db, content, len);
		return PRES_ENOTFOUND;
	}
	if (au->user_doc && !strcmp(u->doc, au->user_doc))
		return gen_directory(x, db, u->xui, content, len);
	return PRES_ENOTFOUND;
}
