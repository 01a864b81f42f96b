/*
 * psip_xcapdiff.c - the "xcap-diff" event package (RFC 5875) with
 * application/xcap-diff+xml documents (RFC 5874).
 *
 * The SUBSCRIBE body (application/resource-lists+xml) lists XCAP URIs:
 * a document "<root>/<auid>/users/<xui>/<doc>", or a collection
 * "<root>/<auid>/users/<xui>/" (every document of that AUID for the user;
 * with the AUID org.openmobilealliance.xcap-directory: every AUID). Only
 * the documents' owner may subscribe (the subscriber's identity is one of
 * the IMPUs, or the IMPI, of the subscriber owning each XUI; else 403).
 * The first NOTIFY (and each refresh) lists every watched document with
 * its ETag (new-etag); each committed change then gives a NOTIFY with
 * previous-etag / new-etag. diff-processing: only "no-patching" is done;
 * "aggregate" and "xcap-patching" are answered as no-patching (RFC 5875
 * lets the notifier send ETags only).
 */
#include "config.h"

#include "sip/psip_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <sofia-sip/msg_header.h>

#include "presence/presence.h"

#define XD_MAX_WATCH 32
#define XD_DIRECTORY "org.openmobilealliance.xcap-directory"

struct xd_watch {
	char auid[64];            /* "*": every AUID */
	char xui[DB_URI_MAX];
	char doc[256];            /* "": every document */
};

struct xd_change {
	char sel[64 + DB_URI_MAX + 256 + 16];
	char old_etag[DB_ETAG_MAX], new_etag[DB_ETAG_MAX];
	struct xd_change *next;
};

struct psip_xd {
	char root[256];
	char proc[32];
	struct xd_watch w[XD_MAX_WATCH];
	size_t n;
	struct xd_change *q, **qt;
};

void
psip_xd_free(struct psip_xd *x)
{
	struct xd_change *c;

	if (x == NULL)
		return;
	while ((c = x->q) != NULL) {
		x->q = c->next;
		free(c);
	}
	free(x);
}

static int
add_watch(struct psip_xd *x, const char *uri)
{
	char root[256], auid[64], xui[DB_URI_MAX], doc[256], sel[16];
	struct xd_watch *w;

	if (psip_xcap_uri_split(uri, root, sizeof(root), auid, sizeof(auid), xui, sizeof(xui),
	    doc, sizeof(doc), sel, sizeof(sel)) != PRES_OK)
		return PRES_EINVAL;
	if (x->n == XD_MAX_WATCH)
		return PRES_ETOOBIG;
	if (x->root[0] == '\0')
		pres_strlcpy(x->root, root, sizeof(x->root));
	w = &x->w[x->n++];
	pres_strlcpy(w->auid, strcmp(auid, XD_DIRECTORY) == 0 && doc[0] == '\0' ? "*" : auid,
	    sizeof(w->auid));
	pres_strlcpy(w->xui, xui, sizeof(w->xui));
	pres_strlcpy(w->doc, doc, sizeof(w->doc));
	return PRES_OK;
}

/* Every <entry uri=".."> of a resource-lists document. */
static int
parse_list(struct psip_xd *x, const char *body, size_t len)
{
	xmlDocPtr d;
	xmlNodePtr n;
	int rc = PRES_OK;

	if (len > PRES_DOC_MAX)
		return PRES_ETOOBIG;
	d = xmlReadMemory(body, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (d == NULL || d->intSubset != NULL || xmlDocGetRootElement(d) == NULL) {
		xmlFreeDoc(d);
		return PRES_EINVAL;
	}
	n = xmlDocGetRootElement(d);
	while (n && rc == PRES_OK) {
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, "entry") == 0) {
			xmlChar *u = xmlGetProp(n, (const xmlChar *)"uri");
			rc = u ? add_watch(x, (const char *)u) : PRES_EINVAL;
			if (u)
				xmlFree(u);
		}
		/* depth-first walk */
		if (n->children && n->type == XML_ELEMENT_NODE)
			n = n->children;
		else {
			while (n && n->next == NULL)
				n = n->parent && n->parent->type == XML_ELEMENT_NODE ? n->parent : NULL;
			if (n)
				n = n->next;
		}
	}
	xmlFreeDoc(d);
	if (rc == PRES_OK && x->n == 0)
		rc = PRES_EINVAL;
	return rc;
}

int
psip_xd_admit(struct psip *p, const sip_t *sip, const char *resource,
    const struct psip_who *who, struct psip_xd **out)
{
	struct psip_xd *x;
	size_t i;
	int rc;

	(void)resource;
	*out = NULL;
	if (sip->sip_payload == NULL || sip->sip_payload->pl_len == 0)
		return 400;
	if (sip->sip_content_type == NULL || sip->sip_content_type->c_type == NULL ||
	    strcasecmp(sip->sip_content_type->c_type, "application/resource-lists+xml") != 0)
		return 415;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return 500;
	x->qt = &x->q;
	pres_strlcpy(x->proc, "no-patching", sizeof(x->proc));
	if (sip->sip_event && sip->sip_event->o_params) {
		const char *v = msg_params_find(sip->sip_event->o_params, "diff-processing=");
		if (v && strcasecmp(v, "no-patching") != 0)
			log_debug("sip: xcap-diff diff-processing=%s handled as no-patching", v);
	}
	rc = parse_list(x, sip->sip_payload->pl_data, sip->sip_payload->pl_len);
	if (rc != PRES_OK) {
		psip_xd_free(x);
		return 400;
	}
	for (i = 0; i < x->n; i++)
		if (!psip_rls_owns(p, who, x->w[i].xui)) {
			log_info("sip: xcap-diff: %s may not watch documents of %s",
			    who->anonymous ? "anonymous" : who->uri, x->w[i].xui);
			psip_xd_free(x);
			return 403;
		}
	*out = x;
	return 0;
}

char *
psip_xd_save(const struct psip_xd *x)
{
	size_t cap = 64 + sizeof(x->root) + x->n * sizeof(x->w[0]) + 16, i, n = 0;
	char *plain = malloc(cap), *b64, *out;

	if (plain == NULL)
		return NULL;
	plain[0] = '\0';
	for (i = 0; i < x->n; i++) {
		int w = snprintf(plain + n, cap - n, "%s\t%s\t%s\n", x->w[i].auid, x->w[i].xui,
		    x->w[i].doc);
		if (w < 0 || (size_t)w >= cap - n)
			break;
		n += (size_t)w;
	}
	b64 = psip_b64_encode(plain, n);
	free(plain);
	if (b64 == NULL)
		return NULL;
	cap = strlen(b64) + sizeof(x->root) + 64;
	out = malloc(cap);
	if (out)
		snprintf(out, cap, "xdroot=%s\nxdw=%s\n", x->root, b64);
	free(b64);
	return out;
}

int
psip_xd_load(struct psip *p, const char *extra, struct psip_xd **out)
{
	struct psip_xd *x;
	size_t cap = strlen(extra) + 1, len = 0;
	char *b64 = malloc(cap), *plain = NULL, *line, *nl;

	(void)p;
	*out = NULL;
	if (b64 == NULL || (x = calloc(1, sizeof(*x))) == NULL) {
		free(b64);
		return PRES_ENOMEM;
	}
	x->qt = &x->q;
	pres_strlcpy(x->proc, "no-patching", sizeof(x->proc));
	psip_kv_get(extra, "xdroot", x->root, sizeof(x->root));
	if (psip_kv_get(extra, "xdw", b64, cap) != PRES_OK ||
	    (plain = psip_b64_decode(b64, &len)) == NULL) {
		free(b64);
		psip_xd_free(x);
		return PRES_EINVAL;
	}
	free(b64);
	for (line = plain; *line && x->n < XD_MAX_WATCH; line = nl + 1) {
		char *t1, *t2;
		nl = strchr(line, '\n');
		if (nl == NULL)
			break;
		*nl = '\0';
		t1 = strchr(line, '\t');
		t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (t2 == NULL)
			continue;
		*t1 = *t2 = '\0';
		pres_strlcpy(x->w[x->n].auid, line, sizeof(x->w[0].auid));
		pres_strlcpy(x->w[x->n].xui, t1 + 1, sizeof(x->w[0].xui));
		pres_strlcpy(x->w[x->n].doc, t2 + 1, sizeof(x->w[0].doc));
		x->n++;
	}
	free(plain);
	if (x->n == 0) {
		psip_xd_free(x);
		return PRES_EINVAL;
	}
	*out = x;
	return PRES_OK;
}

static int
watches(const struct psip_xd *x, const char *auid, const char *xui, const char *doc)
{
	size_t i;

	for (i = 0; i < x->n; i++) {
		const struct xd_watch *w = &x->w[i];
		if ((strcmp(w->auid, "*") == 0 || strcmp(w->auid, auid) == 0) &&
		    strcmp(w->xui, xui) == 0 &&
		    (w->doc[0] == '\0' || (doc && strcmp(w->doc, doc) == 0)))
			return 1;
	}
	return 0;
}

int
psip_xd_change(struct psip_xd *x, const char *auid, const char *xui,
    const char *doc, const char *old_etag, const char *new_etag)
{
	char sel[sizeof(((struct xd_change *)0)->sel)];
	struct xd_change *c;

	if (x == NULL || doc == NULL || !watches(x, auid, xui, doc))
		return 0;
	snprintf(sel, sizeof(sel), "%s/users/%s/%s", auid, xui, doc);
	for (c = x->q; c; c = c->next)
		if (strcmp(c->sel, sel) == 0) {
			/* a later change of the same document: one entry from the
			 * first previous ETag to the last new one */
			pres_strlcpy(c->new_etag, new_etag ? new_etag : "", sizeof(c->new_etag));
			return 1;
		}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return 0;
	pres_strlcpy(c->sel, sel, sizeof(c->sel));
	pres_strlcpy(c->old_etag, old_etag ? old_etag : "", sizeof(c->old_etag));
	pres_strlcpy(c->new_etag, new_etag ? new_etag : "", sizeof(c->new_etag));
	*x->qt = c;
	x->qt = &c->next;
	return 1;
}

struct doc_acc {
	const struct psip_xd *x;
	struct xd_change *list, **tail;
	size_t n;
};

static int
doc_collect(const struct db_doc_info *d, void *arg)
{
	struct doc_acc *a = arg;
	struct xd_change *c;

	if (!watches(a->x, d->auid, d->xui, d->name) || a->n >= 10000)
		return 0;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return 1;
	snprintf(c->sel, sizeof(c->sel), "%s/users/%s/%s", d->auid, d->xui, d->name);
	pres_strlcpy(c->new_etag, d->etag ? d->etag : "", sizeof(c->new_etag));
	*a->tail = c;
	a->tail = &c->next;
	a->n++;
	return 0;
}

char *
psip_xd_body(struct psip *p, struct psip_xd *x, int full)
{
	struct xd_change *list, *c;
	struct pres_xcapdiff_entry *e = NULL;
	char *out = NULL;
	size_t n = 0, i, len = 0;

	if (x == NULL)
		return NULL;
	if (full) {
		struct doc_acc a;
		memset(&a, 0, sizeof(a));
		a.x = x;
		a.tail = &a.list;
		for (i = 0; i < x->n; i++)
			db_doc_foreach(p->db, strcmp(x->w[i].auid, "*") == 0 ? NULL : x->w[i].auid,
			    x->w[i].xui, doc_collect, &a);
		/* a document matched by two watches is listed once */
		list = a.list;
		/* pending changes are covered by the full state */
		while ((c = x->q) != NULL) {
			x->q = c->next;
			free(c);
		}
	} else {
		list = x->q;
	}
	x->q = NULL;
	x->qt = &x->q;
	for (c = list; c; c = c->next)
		n++;
	if (n && (e = calloc(n, sizeof(*e))) == NULL)
		goto done;
	n = 0;
	for (c = list; c; c = c->next) {
		struct xd_change *d;
		int dup = 0;
		for (d = list; d != c; d = d->next)
			if (strcmp(d->sel, c->sel) == 0)
				dup = 1;
		if (dup)
			continue;
		e[n].kind = PRES_XD_DOCUMENT;
		e[n].sel = c->sel;
		e[n].previous_etag = c->old_etag[0] ? c->old_etag : NULL;
		e[n].new_etag = c->new_etag[0] ? c->new_etag : NULL;
		n++;
	}
	if (pres_xcapdiff_build(x->root[0] ? x->root : "/", e, n, &out, &len) != PRES_OK)
		out = NULL;
done:
	free(e);
	while ((c = list) != NULL) {
		list = c->next;
		free(c);
	}
	return out;
}
