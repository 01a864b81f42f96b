/*
 * guss.c - GBA User Security Settings (TS 29.109 Annex A): parses a `guss`
 * (Zh) or `ussList` (Zn) document into the USS list. Tolerant: elements in
 * other namespaces and unknown children are ignored.
 */
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "auth/gba.h"

/* Our element: right local name, and the GUSS namespace or none. */
static int is_el(const xmlNode *n, const char *name)
{
	if (n->type != XML_ELEMENT_NODE || xmlStrcmp(n->name, (const xmlChar *)name) != 0)
		return 0;
	return n->ns == NULL || n->ns->href == NULL ||
	    xmlStrcmp(n->ns->href, (const xmlChar *)GBA_GUSS_NS) == 0;
}

static void copy_trim(const xmlChar *in, char *out, size_t size)
{
	const char *s = (const char *)in;
	size_t l;

	if (s == NULL) {
		out[0] = '\0';
		return;
	}
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	l = strlen(s);
	while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r' ||
	    s[l - 1] == '\n'))
		l--;
	if (l >= size)
		l = size - 1; /* caller checks lengths before copying */
	memcpy(out, s, l);
	out[l] = '\0';
}

static int parse_uss(const xmlNode *n, struct gba_uss *u)
{
	xmlChar *a;
	long long v = 0;
	int rc = PRES_OK;

	memset(u, 0, sizeof(*u));
	a = xmlGetProp(n, (const xmlChar *)"id");
	if (a != NULL && strlen((const char *)a) < sizeof(u->id))
		copy_trim(a, u->id, sizeof(u->id));
	xmlFree(a);
	a = xmlGetProp(n, (const xmlChar *)"nafGroup");
	if (a != NULL && strlen((const char *)a) < sizeof(u->naf_group))
		copy_trim(a, u->naf_group, sizeof(u->naf_group));
	xmlFree(a);
	a = xmlGetProp(n, (const xmlChar *)"type");
	if (a == NULL || pres_parse_ll((const char *)a, 0, 0xffffffffLL, &v) != PRES_OK)
		rc = PRES_EINVAL;
	else
		u->gsid = (unsigned long)v;
	xmlFree(a);
	if (rc != PRES_OK)
		return rc;
	for (const xmlNode *c = n->children; c != NULL; c = c->next) {
		if (!is_el(c, "uids"))
			continue;
		for (const xmlNode *d = c->children; d != NULL; d = d->next) {
			xmlChar *t;

			if (!is_el(d, "uid"))
				continue;
			if (u->n_uids >= GBA_UIDS_MAX) {
				log_warnx("guss: more than %d uids in a USS, extra dropped",
				    GBA_UIDS_MAX);
				break;
			}
			t = xmlNodeGetContent(d);
			if (t != NULL && strlen((const char *)t) < GBA_URI_MAX) {
				copy_trim(t, u->uids[u->n_uids], GBA_URI_MAX);
				if (u->uids[u->n_uids][0] != '\0')
					u->n_uids++;
			} else {
				log_warnx("guss: uid too long, dropped");
			}
			xmlFree(t);
		}
	}
	return PRES_OK;
}

static int parse_list(const xmlNode *list, struct gba_uss_list *out)
{
	for (const xmlNode *c = list->children; c != NULL; c = c->next) {
		if (!is_el(c, "uss"))
			continue;
		if (out->n >= GBA_USS_MAX) {
			log_warnx("guss: more than %d USSs, extra dropped", GBA_USS_MAX);
			break;
		}
		if (parse_uss(c, &out->uss[out->n]) != PRES_OK)
			return PRES_EINVAL;
		out->n++;
	}
	return PRES_OK;
}

int gba_guss_parse(const char *xml, size_t len, struct gba_uss_list *out)
{
	xmlDoc *doc;
	const xmlNode *root;
	int rc = PRES_EINVAL;

	if (xml == NULL || out == NULL || len == 0 || len > 1024 * 1024)
		return PRES_EINVAL;
	memset(out, 0, sizeof(*out));
	doc = xmlReadMemory(xml, (int)len, "guss.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL)
		return PRES_EINVAL;
	root = xmlDocGetRootElement(doc);
	if (root == NULL)
		goto out;
	if (is_el(root, "ussList")) {
		rc = parse_list(root, out);
	} else if (is_el(root, "guss")) {
		rc = PRES_OK;
		for (const xmlNode *c = root->children; c != NULL && rc == PRES_OK; c = c->next)
			if (is_el(c, "ussList"))
				rc = parse_list(c, out);
	}
out:
	if (rc != PRES_OK)
		memset(out, 0, sizeof(*out));
	xmlFreeDoc(doc);
	return rc;
}

const struct gba_uss *gba_uss_find(const struct gba_uss_list *l, unsigned long gsid)
{
	for (size_t i = 0; l != NULL && i < l->n; i++)
		if (l->uss[i].gsid == gsid)
			return &l->uss[i];
	return NULL;
}
