/*
 * xcap_node.c - node selection and modification on libxml2 trees
 * (RFC 4825 sections 6.3, 7 and 8.2). The selector is evaluated here, step
 * by step, on the tree: user strings never reach XPath.
 */
#include "xcap/xcap_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

/* ---- errors -------------------------------------------------------------- */

void xcap_err_set(struct xcap_err *e, const char *tag, const char *fmt, ...)
{
	va_list ap;
	e->tag = tag;
	e->phrase[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(e->phrase, sizeof(e->phrase), fmt, ap);
		va_end(ap);
	}
}

void xcap_err_clear(struct xcap_err *e)
{
	free(e->ancestor);
	memset(e, 0, sizeof(*e));
}

static char *dup_xml_buf(const xmlChar *mem, int size, size_t *len)
{
	char *r;
	if (!mem || size < 0)
		return NULL;
	if ((r = malloc((size_t)size + 1))) {
		memcpy(r, mem, (size_t)size);
		r[size] = '\0';
		*len = (size_t)size;
	}
	return r;
}

char *xcap_doc_dump(xmlDocPtr doc, size_t *len)
{
	xmlChar *mem = NULL;
	int size = 0;
	char *r;

	xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
	r = dup_xml_buf(mem, size, len);
	xmlFree(mem);
	return r;
}

char *xcap_err_body(const struct xcap_err *e, size_t *len)
{
	xmlDocPtr d = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root, child;
	xmlNsPtr ns;
	char *r = NULL;

	if (!d)
		return NULL;
	root = xmlNewDocNode(d, NULL, BAD_CAST "xcap-error", NULL);
	if (!root)
		goto out;
	xmlDocSetRootElement(d, root);
	ns = xmlNewNs(root, BAD_CAST XCAP_ERR_NS, NULL);
	xmlSetNs(root, ns);
	child = xmlNewChild(root, ns, BAD_CAST e->tag, NULL);
	if (!child)
		goto out;
	if (e->phrase[0])
		xmlSetProp(child, BAD_CAST "phrase", BAD_CAST e->phrase);
	if (e->ancestor)
		xmlNewTextChild(child, ns, BAD_CAST "ancestor", BAD_CAST e->ancestor);
	if (e->field[0]) {
		xmlNodePtr ex = xmlNewChild(child, ns, BAD_CAST "exists", NULL);
		if (ex) {
			xmlSetProp(ex, BAD_CAST "field", BAD_CAST e->field);
			for (size_t i = 0; i < e->n_alt; i++)
				xmlNewTextChild(ex, ns, BAD_CAST "alt-value", BAD_CAST e->alt[i]);
		}
	}
	r = xcap_doc_dump(d, len);
out:
	xmlFreeDoc(d);
	return r;
}

/* ---- selection ------------------------------------------------------------ */

int xcap_name_match(xmlNodePtr el, const struct xcap_step *st)
{
	const char *href;

	if (el->type != XML_ELEMENT_NODE)
		return 0;
	if (strcmp(st->name, "*") == 0)
		return 1;
	if (strcmp((const char *)el->name, st->name) != 0)
		return 0;
	href = el->ns && el->ns->href ? (const char *)el->ns->href : NULL;
	if (href && !*href)
		href = NULL;
	if (!st->ns)
		return href == NULL;
	return href && strcmp(href, st->ns) == 0;
}

static int att_match(xmlNodePtr el, const struct xcap_step *st)
{
	xmlChar *v = xmlGetNsProp(el, BAD_CAST st->att_name, BAD_CAST st->att_ns);
	int ok = v && strcmp((const char *)v, st->att_value) == 0;
	xmlFree(v);
	return ok;
}

static void sel_rec(xmlNodePtr parent, const struct xcap_step *steps, size_t i, size_t n,
    size_t *count, xmlNodePtr *first)
{
	long pos = 0;

	for (xmlNodePtr c = parent->children; c && *count < 2; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || !xcap_name_match(c, &steps[i]))
			continue;
		pos++;
		if (steps[i].pos && pos != steps[i].pos)
			continue;
		if (steps[i].att_name && !att_match(c, &steps[i]))
			continue;
		if (i + 1 == n) {
			if (*count == 0)
				*first = c;
			(*count)++;
		} else {
			sel_rec(c, steps, i + 1, n, count, first);
		}
	}
}

size_t xcap_select(xmlDocPtr doc, const struct xcap_step *steps, size_t n, xmlNodePtr *first)
{
	size_t count = 0;
	*first = NULL;
	if (!doc || n == 0)
		return 0;
	sel_rec((xmlNodePtr)doc, steps, 0, n, &count, first);
	return count;
}

int xcap_insert(xmlNodePtr parent, const struct xcap_step *st, xmlNodePtr el)
{
	xmlNodePtr first = NULL, last_match = NULL, last_el = NULL, nth = NULL;
	long count = 0;

	for (xmlNodePtr c = parent->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		last_el = c;
		if (!xcap_name_match(c, st))
			continue;
		count++;
		if (!first)
			first = c;
		last_match = c;
		if (st->pos > 1 && count == st->pos - 1)
			nth = c;
	}
	if (st->pos > 1) {
		if (!nth)
			return -1;
		return xmlAddNextSibling(nth, el) ? 0 : -1;
	}
	if (st->pos == 1 && first)
		return xmlAddPrevSibling(first, el) ? 0 : -1;
	if (last_match)
		return xmlAddNextSibling(last_match, el) ? 0 : -1;
	if (last_el)
		return xmlAddNextSibling(last_el, el) ? 0 : -1;
	return xmlAddChild(parent, el) ? 0 : -1;
}

/* ---- parsing -------------------------------------------------------------- */

#define XCAP_PARSE_OPTS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

static void reject_dtd(void *ctx, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
	xmlParserCtxtPtr c = ctx;
	(void)name; (void)eid; (void)sid;
	c->_private = (void *)1;
	xmlStopParser(c);
}

/* 1 if the XML declaration names an encoding other than UTF-8. */
static int declares_other_encoding(const char *buf, size_t len)
{
	const char *end, *enc;
	if (len < 5 || memcmp(buf, "<?xml", 5) != 0)
		return 0;
	end = memchr(buf, '>', len);
	if (!end)
		return 0;
	for (enc = buf; enc + 8 < end; enc++) {
		if (memcmp(enc, "encoding", 8) == 0) {
			const char *v = enc + 8;
			while (v < end && (*v == ' ' || *v == '='))
				v++;
			if (v < end && (*v == '"' || *v == '\''))
				v++;
			return !(end - v >= 5 && (strncasecmp(v, "utf-8", 5) == 0) &&
			    (v[5] == '"' || v[5] == '\''));
		}
	}
	return 0;
}

/* 1 if some element or attribute in the list has an unbound prefix. */
static int has_unbound_prefix(xmlNodePtr n)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!n->ns && strchr((const char *)n->name, ':'))
			return 1;
		for (xmlAttrPtr a = n->properties; a; a = a->next)
			if (!a->ns && strchr((const char *)a->name, ':'))
				return 1;
		if (has_unbound_prefix(n->children))
			return 1;
	}
	return 0;
}

xmlDocPtr xcap_parse_doc(const char *buf, size_t len, struct xcap_err *err)
{
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	int ok;

	if (!xcap_utf8_valid(buf, len) || declares_other_encoding(buf, len) ||
	    memchr(buf, '\0', len)) {
		xcap_err_set(err, "not-utf-8", NULL);
		return NULL;
	}
	if (len > 0x7fffffff || !(ctxt = xmlNewParserCtxt())) {
		xcap_err_set(err, "not-well-formed", NULL);
		return NULL;
	}
	ctxt->sax->internalSubset = reject_dtd;
	ctxt->sax->externalSubset = reject_dtd;
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, NULL, "UTF-8", XCAP_PARSE_OPTS);
	ok = doc && ctxt->wellFormed && ctxt->nsWellFormed && !ctxt->_private &&
	    !doc->intSubset && !doc->extSubset && xmlDocGetRootElement(doc);
	if (!ok) {
		if (ctxt->_private)
			xcap_err_set(err, "not-well-formed", "DOCTYPE is not allowed");
		else if (ctxt->lastError.message)
			xcap_err_set(err, "not-well-formed", "line %d: %.200s", ctxt->lastError.line,
			    ctxt->lastError.message);
		else
			xcap_err_set(err, "not-well-formed", NULL);
		/* drop libxml2's trailing newline */
		size_t pl = strlen(err->phrase);
		if (pl && err->phrase[pl - 1] == '\n')
			err->phrase[pl - 1] = '\0';
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
}

xmlNodePtr xcap_parse_frag(xmlNodePtr ctx, const char *buf, size_t len, struct xcap_err *err)
{
	xmlNodePtr lst = NULL, el = NULL;
	xmlParserErrors perr;

	if (!xcap_utf8_valid(buf, len) || memchr(buf, '\0', len)) {
		xcap_err_set(err, "not-utf-8", NULL);
		return NULL;
	}
	if (len == 0 || len > 0x7fffffff) {
		xcap_err_set(err, "not-xml-frag", "empty body");
		return NULL;
	}
	perr = xmlParseInNodeContext(ctx, buf, (int)len, XCAP_PARSE_OPTS, &lst);
	if (perr != XML_ERR_OK) {
		xmlFreeNodeList(lst);
		xcap_err_set(err, "not-xml-frag", "not a well-formed XML element");
		return NULL;
	}
	for (xmlNodePtr n = lst; n; n = n->next) {
		if (n->type == XML_ELEMENT_NODE) {
			if (el) {
				el = NULL;
				break;
			}
			el = n;
		} else if (n->type == XML_TEXT_NODE && xmlIsBlankNode(n)) {
			continue;
		} else {
			el = NULL;
			break;
		}
	}
	if (!el || has_unbound_prefix(el)) {
		xmlFreeNodeList(lst);
		xcap_err_set(err, "not-xml-frag", "the body must be exactly one element");
		return NULL;
	}
	{
		xmlNodePtr rest = (lst == el) ? el->next : lst;
		xmlUnlinkNode(el);
		el->parent = NULL;
		el->prev = el->next = NULL;
		xmlFreeNodeList(rest); /* blank text around the element */
	}
	return el;
}

/* ---- output --------------------------------------------------------------- */

char *xcap_att_encode(const char *v)
{
	size_t n = 0, o = 0;
	char *r;
	for (const char *p = v; *p; p++)
		n += (*p == '&') ? 5 : (*p == '<' || *p == '>') ? 4 : (*p == '"') ? 6 : 1;
	if (!(r = malloc(n + 1)))
		return NULL;
	for (const char *p = v; *p; p++) {
		const char *rep = NULL;
		switch (*p) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		default: r[o++] = *p; continue;
		}
		memcpy(r + o, rep, strlen(rep));
		o += strlen(rep);
	}
	r[o] = '\0';
	return r;
}

char *xcap_node_dump(xmlNodePtr el, size_t *len)
{
	xmlBufferPtr b = xmlBufferCreate();
	char *r = NULL;
	if (!b)
		return NULL;
	if (xmlNodeDump(b, el->doc, el, 0, 0) >= 0)
		r = dup_xml_buf(xmlBufferContent(b), xmlBufferLength(b), len);
	xmlBufferFree(b);
	return r;
}

char *xcap_ns_body(xmlNodePtr el, size_t *len)
{
	xmlNsPtr *list = xmlGetNsList(el->doc, el);
	xmlBufferPtr b = xmlBufferCreate();
	char *r = NULL;

	if (!b) {
		xmlFree(list);
		return NULL;
	}
	xmlBufferCCat(b, "<");
	if (el->ns && el->ns->prefix) {
		xmlBufferCat(b, el->ns->prefix);
		xmlBufferCCat(b, ":");
	}
	xmlBufferCat(b, el->name);
	for (size_t i = 0; list && list[i]; i++) {
		char *v = xcap_att_encode((const char *)list[i]->href);
		if (!v)
			continue;
		xmlBufferCCat(b, " xmlns");
		if (list[i]->prefix) {
			xmlBufferCCat(b, ":");
			xmlBufferCat(b, list[i]->prefix);
		}
		xmlBufferCCat(b, "=\"");
		xmlBufferCCat(b, v);
		xmlBufferCCat(b, "\"");
		free(v);
	}
	xmlBufferCCat(b, "/>");
	r = dup_xml_buf(xmlBufferContent(b), xmlBufferLength(b), len);
	xmlBufferFree(b);
	xmlFree(list);
	return r;
}

static void qname_of(xmlNodePtr n, xmlNsPtr ns, const char *default_ns, char *out, size_t size)
{
	const char *href = ns ? (const char *)ns->href : NULL;
	if (n->type == XML_ELEMENT_NODE && href && default_ns && strcmp(href, default_ns) == 0)
		snprintf(out, size, "%s", n->name);
	else if (ns && ns->prefix)
		snprintf(out, size, "%s:%s", ns->prefix, n->name);
	else
		snprintf(out, size, "%s", n->name);
}

void xcap_node_path(xmlNodePtr n, const char *default_ns, char *out, size_t size)
{
	char buf[1024] = "", seg[256], tmp[1024];
	xmlNodePtr el = n;

	out[0] = '\0';
	if (n->type == XML_ATTRIBUTE_NODE) {
		char q[200];
		qname_of(n, ((xmlAttrPtr)n)->ns, default_ns, q, sizeof(q));
		snprintf(buf, sizeof(buf), "@%s", q);
		el = n->parent;
	}
	for (; el && el->type == XML_ELEMENT_NODE; el = el->parent) {
		long pos = 0, total = 0;
		struct xcap_step st = { .name = (char *)el->name,
		    .ns = el->ns ? (const char *)el->ns->href : NULL };
		for (xmlNodePtr c = el->parent ? el->parent->children : NULL; c; c = c->next) {
			if (!xcap_name_match(c, &st))
				continue;
			total++;
			if (c == el)
				pos = total;
		}
		qname_of(el, el->ns, default_ns, seg, sizeof(seg) - 16);
		if (total > 1) {
			size_t l = strlen(seg);
			snprintf(seg + l, sizeof(seg) - l, "[%ld]", pos);
		}
		if (buf[0])
			snprintf(tmp, sizeof(tmp), "%s/%s", seg, buf);
		else
			snprintf(tmp, sizeof(tmp), "%s", seg);
		memcpy(buf, tmp, sizeof(buf));
	}
	snprintf(out, size, "%s", buf);
}
