/*
 * px.c - safe XML parsing and tree helpers shared by presence/.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "px.h"

void px_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* SAX hook: a DOCTYPE stops the parser at once (before any entity work). */
static void px_no_doctype(void *ctx, const xmlChar *name, const xmlChar *ext,
    const xmlChar *sys)
{
	xmlParserCtxtPtr ctxt = ctx;

	(void)name; (void)ext; (void)sys;
	ctxt->_private = (void *)1;
	xmlStopParser(ctxt);
}

xmlDocPtr px_parse(const char *buf, size_t len, char *err, size_t errlen, int *rc)
{
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	int dummy;

	if (!rc)
		rc = &dummy;
	if (!buf || len == 0) {
		px_err(err, errlen, "empty document");
		*rc = PRES_EINVAL;
		return NULL;
	}
	if (len > PRES_DOC_MAX || len > (size_t)INT32_MAX) {
		px_err(err, errlen, "document too large");
		*rc = PRES_ETOOBIG;
		return NULL;
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		*rc = PRES_ENOMEM;
		return NULL;
	}
	ctxt->sax->internalSubset = px_no_doctype;
	ctxt->sax->externalSubset = px_no_doctype;
	ctxt->_private = NULL;
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (ctxt->_private || (doc && (doc->intSubset || doc->extSubset))) {
		px_err(err, errlen, "DOCTYPE not allowed");
		xmlFreeDoc(doc);
		xmlFreeParserCtxt(ctxt);
		*rc = PRES_EINVAL;
		return NULL;
	}
	if (!doc || !ctxt->wellFormed || !xmlDocGetRootElement(doc)) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		char msg[160];

		pres_strlcpy(msg, e && e->message ? e->message : "not well-formed",
		    sizeof(msg));
		msg[strcspn(msg, "\n")] = '\0';
		px_err(err, errlen, "XML error line %d: %s", e ? e->line : 0, msg);
		xmlFreeDoc(doc);
		xmlFreeParserCtxt(ctxt);
		*rc = PRES_EINVAL;
		return NULL;
	}
	xmlFreeParserCtxt(ctxt);
	*rc = PRES_OK;
	return doc;
}

int px_dump(xmlDocPtr doc, char **out, size_t *out_len)
{
	xmlChar *mem = NULL;
	int size = 0;
	char *copy;

	*out = NULL;
	*out_len = 0;
	xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
	if (!mem || size <= 0) {
		xmlFree(mem);
		return PRES_ENOMEM;
	}
	copy = malloc((size_t)size + 1);
	if (!copy) {
		xmlFree(mem);
		return PRES_ENOMEM;
	}
	memcpy(copy, mem, (size_t)size);
	copy[size] = '\0';
	xmlFree(mem);
	*out = copy;
	*out_len = (size_t)size;
	return PRES_OK;
}

const char *px_href(const xmlNode *n)
{
	return n && n->ns && n->ns->href ? (const char *)n->ns->href : "";
}

int px_is(const xmlNode *n, const char *ns, const char *name)
{
	if (!n || n->type != XML_ELEMENT_NODE)
		return 0;
	if (name && strcmp((const char *)n->name, name) != 0)
		return 0;
	if (!ns)
		return n->ns == NULL;
	return strcmp(px_href(n), ns) == 0;
}

xmlNodePtr px_elem(xmlNodePtr n)
{
	while (n && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

xmlNodePtr px_child(const xmlNode *n, const char *ns, const char *name)
{
	xmlNodePtr c;

	for (c = px_elem(n->children); c; c = px_elem(c->next))
		if (px_is(c, ns, name))
			return c;
	return NULL;
}

char *px_text(const xmlNode *n)
{
	xmlChar *t = xmlNodeGetContent(n);
	const char *s, *e;
	char *r;

	if (!t)
		return strdup("");
	s = (const char *)t;
	while (*s && isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	r = strndup(s, (size_t)(e - s));
	xmlFree(t);
	return r;
}

char *px_attr(const xmlNode *n, const char *name)
{
	return (char *)xmlGetNoNsProp(n, (const xmlChar *)name);
}

/* Finds or declares, on @p elem, a namespace for @p href usable by an
 * element (prefix may be NULL) or an attribute (needs a prefix). */
static xmlNsPtr px_bind(xmlNodePtr elem, const xmlChar *href,
    const xmlChar *prefix, int for_attr)
{
	xmlNsPtr ns;
	char gen[24];
	int i;

	ns = xmlSearchNsByHref(elem->doc, elem, href);
	if (ns && (!for_attr || ns->prefix))
		return ns;
	if (for_attr && !prefix)
		prefix = (const xmlChar *)"ns";
	if (prefix && xmlSearchNs(elem->doc, elem, prefix) == NULL)
		return xmlNewNs(elem, href, prefix);
	if (!prefix && !for_attr && xmlSearchNs(elem->doc, elem, NULL) == NULL)
		return xmlNewNs(elem, href, NULL);
	for (i = 1; i < 1000; i++) {
		snprintf(gen, sizeof(gen), "ns%d", i);
		if (xmlSearchNs(elem->doc, elem, (const xmlChar *)gen) == NULL)
			return xmlNewNs(elem, href, (const xmlChar *)gen);
	}
	return NULL;
}

xmlNodePtr px_copy(xmlNodePtr parent, const xmlNode *src)
{
	xmlNodePtr n, c;
	xmlAttrPtr a;
	xmlNsPtr d;

	n = xmlNewDocNode(parent->doc, NULL, src->name, NULL);
	if (!n)
		return NULL;
	xmlAddChild(parent, n);
	/* keep the source's own declarations (the prefixes its author chose);
	 * shadowing an outer binding is legal and px_bind() respects it */
	for (d = src->nsDef; d; d = d->next) {
		xmlNsPtr inscope;

		if (!d->href || d->href[0] == '\0')
			continue;
		inscope = xmlSearchNs(n->doc, n, d->prefix);
		if (inscope && xmlStrEqual(inscope->href, d->href))
			continue;
		if (!xmlNewNs(n, d->href, d->prefix))
			return NULL;
	}
	if (src->ns && src->ns->href && src->ns->href[0]) {
		xmlNsPtr ns = px_bind(n, src->ns->href, src->ns->prefix, 0);
		if (!ns)
			return NULL;
		xmlSetNs(n, ns);
	} else {
		xmlNsPtr def = xmlSearchNs(n->doc, n, NULL);
		/* unqualified element under a default namespace: undeclare it */
		if (def && def->href && def->href[0] &&
		    !xmlNewNs(n, (const xmlChar *)"", NULL))
			return NULL;
		xmlSetNs(n, NULL);
	}
	for (a = src->properties; a; a = a->next) {
		xmlChar *v = xmlNodeListGetString(src->doc, a->children, 1);
		xmlAttrPtr na;

		if (a->ns && a->ns->href) {
			xmlNsPtr ns = px_bind(n, a->ns->href, a->ns->prefix, 1);
			na = ns ? xmlNewNsProp(n, ns, a->name, v ? v : (const xmlChar *)"") : NULL;
		} else {
			na = xmlNewProp(n, a->name, v ? v : (const xmlChar *)"");
		}
		xmlFree(v);
		if (!na)
			return NULL;
	}
	for (c = src->children; c; c = c->next) {
		if (c->type == XML_ELEMENT_NODE) {
			if (!px_copy(n, c))
				return NULL;
		} else if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			xmlNodePtr t = xmlNewDocText(n->doc, c->content);
			if (!t)
				return NULL;
			xmlAddChild(n, t);
		}
	}
	return n;
}

int px_entity_norm(const char *in, char *out, size_t size)
{
	char tmp[1024];

	if (!in)
		return PRES_EINVAL;
	while (*in == ' ' || *in == '\t')
		in++;
	if (strncasecmp(in, "pres:", 5) == 0) {
		if (snprintf(tmp, sizeof(tmp), "sip:%s", in + 5) >= (int)sizeof(tmp))
			return PRES_ETOOBIG;
		return pres_uri_normalize(tmp, out, size);
	}
	return pres_uri_normalize(in, out, size);
}

void px_strip_misc(xmlNodePtr n)
{
	xmlNodePtr c, next;

	for (c = n->children; c; c = next) {
		next = c->next;
		if (c->type == XML_COMMENT_NODE || c->type == XML_PI_NODE) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		} else if (c->type == XML_ELEMENT_NODE) {
			px_strip_misc(c);
		}
	}
}

void px_hoist_ns(xmlNodePtr dst_root, const xmlNode *src_root)
{
	const xmlNs *d;

	for (d = src_root->nsDef; d; d = d->next) {
		xmlNsPtr cur;

		if (!d->prefix || !d->href || !d->href[0])
			continue;
		cur = xmlSearchNs(dst_root->doc, dst_root, d->prefix);
		if (cur)
			continue;   /* same prefix already bound (maybe elsewhere) */
		if (xmlSearchNsByHref(dst_root->doc, dst_root, d->href))
			continue;   /* URI already has a prefix */
		xmlNewNs(dst_root, d->href, d->prefix);
	}
}

xmlDocPtr px_pidf_new(const char *entity, xmlNodePtr *root)
{
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr r;
	xmlNsPtr ns;

	if (!doc)
		return NULL;
	r = xmlNewDocNode(doc, NULL, (const xmlChar *)"presence", NULL);
	if (!r) {
		xmlFreeDoc(doc);
		return NULL;
	}
	xmlDocSetRootElement(doc, r);
	ns = xmlNewNs(r, (const xmlChar *)PRES_NS_PIDF, NULL);
	if (!ns || !xmlNewProp(r, (const xmlChar *)"entity", (const xmlChar *)entity)) {
		xmlFreeDoc(doc);
		return NULL;
	}
	xmlSetNs(r, ns);
	*root = r;
	return doc;
}

/* ---- string lists ---- */

int px_list_has(const struct px_list *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

int px_list_has_ci(const struct px_list *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

int px_list_add(struct px_list *l, const char *s)
{
	char **nv, *c;

	if (px_list_has(l, s))
		return PRES_OK;
	c = strdup(s);
	if (!c)
		return PRES_ENOMEM;
	nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
	if (!nv) {
		free(c);
		return PRES_ENOMEM;
	}
	nv[l->n++] = c;
	l->v = nv;
	return PRES_OK;
}

void px_list_free(struct px_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int px_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void px_list_sort(struct px_list *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), px_cmp);
}
