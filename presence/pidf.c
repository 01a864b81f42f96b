/*
 * pidf.c - PIDF validation (RFC 3863 / RFC 4479 / RFC 4480), composition of
 * publications (RFC 3903) and the neutral document.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "px.h"

#define URI_MAX 512

/* ---- validation ------------------------------------------------------- */

static int pidf_check_doc(xmlDocPtr doc, const char *presentity, char *err,
    size_t errlen)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), c;
	struct px_list ids = { 0 };
	char *entity = NULL;
	char a[URI_MAX], b[URI_MAX];
	int rc = PRES_EINVAL;

	if (!px_is(root, PRES_NS_PIDF, "presence")) {
		px_err(err, errlen, "root element is not PIDF <presence>");
		return PRES_EINVAL;
	}
	entity = px_attr(root, "entity");
	if (!entity || !entity[0]) {
		px_err(err, errlen, "missing entity attribute");
		goto out;
	}
	if (px_entity_norm(entity, a, sizeof(a)) != PRES_OK) {
		px_err(err, errlen, "entity is not a sip/sips/tel/pres URI");
		goto out;
	}
	if (presentity) {
		if (px_entity_norm(presentity, b, sizeof(b)) != PRES_OK) {
			px_err(err, errlen, "invalid presentity URI");
			goto out;
		}
		if (strcmp(a, b) != 0) {
			px_err(err, errlen, "entity does not match the presentity");
			rc = PRES_EAUTH;
			goto out;
		}
	}
	for (c = px_elem(root->children); c; c = px_elem(c->next)) {
		int tuple = px_is(c, PRES_NS_PIDF, "tuple");
		int dmel = px_is(c, PRES_NS_DM, "person") || px_is(c, PRES_NS_DM, "device");
		char *id;

		if (!tuple && !dmel)
			continue;
		id = px_attr(c, "id");
		if (!id || !id[0]) {
			px_err(err, errlen, "<%s> without id", (const char *)c->name);
			xmlFree(id);
			goto out;
		}
		if (px_list_has(&ids, id)) {
			px_err(err, errlen, "duplicate id '%.64s'", id);
			xmlFree(id);
			goto out;
		}
		if (px_list_add(&ids, id) != PRES_OK) {
			xmlFree(id);
			rc = PRES_ENOMEM;
			goto out;
		}
		xmlFree(id);
		if (tuple) {
			xmlNodePtr st = px_child(c, PRES_NS_PIDF, "status");
			xmlNodePtr basic;

			if (!st) {
				px_err(err, errlen, "tuple without <status>");
				goto out;
			}
			basic = px_child(st, PRES_NS_PIDF, "basic");
			if (basic) {
				char *t = px_text(basic);
				int ok = t && (!strcmp(t, "open") || !strcmp(t, "closed"));
				free(t);
				if (!ok) {
					px_err(err, errlen, "<basic> must be open or closed");
					goto out;
				}
			}
		}
	}
	rc = PRES_OK;
out:
	xmlFree(entity);
	px_list_free(&ids);
	return rc;
}

int pres_pidf_check(const char *body, size_t len, const char *presentity,
    char *err, size_t errlen)
{
	xmlDocPtr doc;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	doc = px_parse(body, len, err, errlen, &rc);
	if (!doc)
		return rc;
	rc = pidf_check_doc(doc, presentity, err, errlen);
	xmlFreeDoc(doc);
	return rc;
}

int pres_pidf_sphere(const char *pidf, size_t len, char *buf, size_t size)
{
	xmlDocPtr doc;
	xmlNodePtr root, c, sp = NULL;
	int rc;

	doc = px_parse(pidf, len, NULL, 0, &rc);
	if (!doc)
		return rc;
	root = xmlDocGetRootElement(doc);
	if (!px_is(root, PRES_NS_PIDF, "presence")) {
		xmlFreeDoc(doc);
		return PRES_EINVAL;
	}
	for (c = px_elem(root->children); c && !sp; c = px_elem(c->next))
		if (px_is(c, PRES_NS_DM, "person"))
			sp = px_child(c, PRES_NS_RPID, "sphere");
	if (!sp)
		sp = px_child(root, PRES_NS_RPID, "sphere");
	if (!sp) {
		rc = PRES_ENOTFOUND;
	} else {
		xmlNodePtr e = px_elem(sp->children);
		if (e) {
			rc = pres_strlcpy(buf, (const char *)e->name, size);
		} else {
			char *t = px_text(sp);
			if (!t)
				rc = PRES_ENOMEM;
			else if (!t[0])
				rc = PRES_ENOTFOUND;
			else
				rc = pres_strlcpy(buf, t, size);
			free(t);
		}
	}
	xmlFreeDoc(doc);
	return rc;
}

/* ---- neutral document -------------------------------------------------- */

static int add_closed_tuple(xmlNodePtr root, const char *id)
{
	xmlNsPtr ns = root->ns;
	xmlNodePtr t, st;

	t = xmlNewChild(root, ns, (const xmlChar *)"tuple", NULL);
	if (!t || !xmlNewProp(t, (const xmlChar *)"id", (const xmlChar *)id))
		return PRES_ENOMEM;
	st = xmlNewChild(t, ns, (const xmlChar *)"status", NULL);
	if (!st || !xmlNewChild(st, ns, (const xmlChar *)"basic",
	    (const xmlChar *)"closed"))
		return PRES_ENOMEM;
	return PRES_OK;
}

int pres_neutral(const char *presentity, char **out, size_t *out_len)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (!presentity || !presentity[0])
		return PRES_EINVAL;
	doc = px_pidf_new(presentity, &root);
	if (!doc)
		return PRES_ENOMEM;
	rc = add_closed_tuple(root, "neutral");
	if (rc == PRES_OK)
		rc = px_dump(doc, out, out_len);
	xmlFreeDoc(doc);
	return rc;
}

/* ---- composition ------------------------------------------------------- */

enum slot_kind { SLOT_TUPLE, SLOT_NOTE, SLOT_PERSON, SLOT_DEVICE, SLOT_OTHER, SLOT_N };

struct slot {
	char *key;           /* id (tuple/person/device) or serialization */
	xmlNodePtr node;     /* borrowed from one of the parsed documents */
};

struct slots {
	struct slot *v;
	size_t n;
};

static char *node_key(xmlNodePtr n)
{
	xmlBufferPtr b = xmlBufferCreate();
	char *k;

	if (!b)
		return NULL;
	if (n->ns && n->ns->href) {
		xmlBufferCat(b, n->ns->href);
		xmlBufferCat(b, (const xmlChar *)" ");
	}
	xmlNodeDump(b, n->doc, n, 0, 0);
	k = strdup((const char *)xmlBufferContent(b));
	xmlBufferFree(b);
	return k;
}

/* Puts @p n into @p s under @p key: replaces an equal key (newer wins,
 * position of first appearance kept) or appends. Takes ownership of key. */
static int slots_put(struct slots *s, char *key, xmlNodePtr n)
{
	struct slot *nv;
	size_t i;

	if (!key)
		return PRES_ENOMEM;
	for (i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].key, key) == 0) {
			s->v[i].node = n;
			free(key);
			return PRES_OK;
		}
	}
	nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
	if (!nv) {
		free(key);
		return PRES_ENOMEM;
	}
	s->v = nv;
	s->v[s->n].key = key;
	s->v[s->n].node = n;
	s->n++;
	return PRES_OK;
}

static int collect(struct slots *sl, xmlDocPtr doc)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), c;
	int rc = PRES_OK;

	for (c = px_elem(root->children); c && rc == PRES_OK; c = px_elem(c->next)) {
		enum slot_kind k;
		char *key;

		if (px_is(c, PRES_NS_PIDF, "tuple"))
			k = SLOT_TUPLE;
		else if (px_is(c, PRES_NS_PIDF, "note"))
			k = SLOT_NOTE;
		else if (px_is(c, PRES_NS_DM, "person"))
			k = SLOT_PERSON;
		else if (px_is(c, PRES_NS_DM, "device"))
			k = SLOT_DEVICE;
		else if (c->ns && !px_is(c, PRES_NS_PIDF, NULL))
			k = SLOT_OTHER;
		else
			continue;   /* unknown PIDF-namespace or unqualified: invalid */
		if (k == SLOT_TUPLE || k == SLOT_PERSON || k == SLOT_DEVICE) {
			char *id = px_attr(c, "id");
			if (!id || !id[0]) {
				xmlFree(id);
				continue;
			}
			key = strdup(id);
			xmlFree(id);
		} else {
			key = node_key(c);
		}
		rc = slots_put(&sl[k], key, c);
	}
	return rc;
}

int pres_compose(const char *presentity, const struct pres_pub_in *pubs,
    size_t n, const char *manip, size_t manip_len, char **out,
    size_t *out_len)
{
	struct slots sl[SLOT_N];
	xmlDocPtr *docs = NULL, odoc = NULL, mdoc = NULL;
	xmlNodePtr root;
	char norm[URI_MAX];
	size_t i, j, ndocs = 0;
	int rc;

	*out = NULL;
	*out_len = 0;
	memset(sl, 0, sizeof(sl));
	if (!presentity || px_entity_norm(presentity, norm, sizeof(norm)) != PRES_OK)
		return PRES_EINVAL;
	if (n > 0 && !pubs)
		return PRES_EINVAL;
	if (manip && manip_len) {
		mdoc = px_parse(manip, manip_len, NULL, 0, &rc);
		if (!mdoc)
			return rc;
		if (!px_is(xmlDocGetRootElement(mdoc), PRES_NS_PIDF, "presence")) {
			xmlFreeDoc(mdoc);
			return PRES_EINVAL;
		}
	}
	if (n > 0) {
		docs = calloc(n, sizeof(*docs));
		if (!docs) {
			rc = PRES_ENOMEM;
			goto out;
		}
	}
	/* oldest first; stable on equal timestamps (array order) */
	for (i = 0; i < n; i++) {
		int prc;
		xmlDocPtr d = px_parse(pubs[i].body, pubs[i].len, NULL, 0, &prc);

		if (!d)
			continue;
		if (!px_is(xmlDocGetRootElement(d), PRES_NS_PIDF, "presence")) {
			xmlFreeDoc(d);
			continue;
		}
		/* insertion by timestamp keeps callers honest about order */
		for (j = ndocs; j > 0; j--) {
			size_t pj = (size_t)(uintptr_t)docs[j - 1]->_private;
			if (pubs[pj].timestamp <= pubs[i].timestamp)
				break;
			docs[j] = docs[j - 1];
		}
		d->_private = (void *)(uintptr_t)i;
		docs[j] = d;
		ndocs++;
	}
	for (i = 0; i < ndocs; i++)
		if ((rc = collect(sl, docs[i])) != PRES_OK)
			goto out;
	if (mdoc && (rc = collect(sl, mdoc)) != PRES_OK)
		goto out;

	odoc = px_pidf_new(presentity, &root);
	if (!odoc) {
		rc = PRES_ENOMEM;
		goto out;
	}
	for (i = 0; i < ndocs; i++)
		px_hoist_ns(root, xmlDocGetRootElement(docs[ndocs - 1 - i]));
	if (mdoc)
		px_hoist_ns(root, xmlDocGetRootElement(mdoc));
	if (sl[SLOT_TUPLE].n + sl[SLOT_PERSON].n + sl[SLOT_DEVICE].n +
	    sl[SLOT_NOTE].n + sl[SLOT_OTHER].n == 0) {
		rc = add_closed_tuple(root, "neutral");
	} else {
		static const enum slot_kind order[] = {
			SLOT_TUPLE, SLOT_NOTE, SLOT_PERSON, SLOT_DEVICE, SLOT_OTHER
		};
		rc = PRES_OK;
		for (i = 0; i < PRES_ARRAY_LEN(order) && rc == PRES_OK; i++)
			for (j = 0; j < sl[order[i]].n && rc == PRES_OK; j++)
				if (!px_copy(root, sl[order[i]].v[j].node))
					rc = PRES_ENOMEM;
	}
	if (rc == PRES_OK)
		rc = px_dump(odoc, out, out_len);
out:
	for (i = 0; i < SLOT_N; i++) {
		for (j = 0; j < sl[i].n; j++)
			free(sl[i].v[j].key);
		free(sl[i].v);
	}
	for (i = 0; i < ndocs; i++)
		xmlFreeDoc(docs[i]);
	free(docs);
	xmlFreeDoc(mdoc);
	xmlFreeDoc(odoc);
	return rc;
}
