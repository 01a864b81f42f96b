/*
 * build.c - documents the server generates: watcherinfo (RFC 3858), RLMI
 * (RFC 4662), multipart/related (RFC 2387) and xcap-diff (RFC 5874).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "px.h"

const char PRES_XD_BODY_NOT_CHANGED[] = "<body-not-changed/>";

static xmlDocPtr new_doc(const char *ns, const char *name, xmlNodePtr *root)
{
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr r;
	xmlNsPtr n;

	if (!doc)
		return NULL;
	r = xmlNewDocNode(doc, NULL, (const xmlChar *)name, NULL);
	if (!r) {
		xmlFreeDoc(doc);
		return NULL;
	}
	xmlDocSetRootElement(doc, r);
	if (!(n = xmlNewNs(r, (const xmlChar *)ns, NULL))) {
		xmlFreeDoc(doc);
		return NULL;
	}
	xmlSetNs(r, n);
	*root = r;
	return doc;
}

static int set_attr(xmlNodePtr n, const char *name, const char *v)
{
	return xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)v) ? PRES_OK : PRES_ENOMEM;
}

static int set_attr_num(xmlNodePtr n, const char *name, long long v)
{
	char b[32];

	snprintf(b, sizeof(b), "%lld", v);
	return set_attr(n, name, b);
}

static int finish(xmlDocPtr doc, int rc, char **out, size_t *out_len)
{
	if (rc == PRES_OK)
		rc = px_dump(doc, out, out_len);
	xmlFreeDoc(doc);
	return rc;
}

/* ---- watcherinfo --------------------------------------------------------- */

int pres_winfo_build(const char *resource, const char *package,
    unsigned version, int full_state, const struct pres_winfo_watcher *w,
    size_t n, char **out, size_t *out_len)
{
	static const char *const st[] = { "pending", "active", "waiting", "terminated" };
	static const char *const ev[] = { "subscribe", "approved", "deactivated",
		"probation", "rejected", "timeout", "giveup", "noresource" };
	xmlDocPtr doc;
	xmlNodePtr root, list;
	size_t i;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (!resource || !package || (n && !w))
		return PRES_EINVAL;
	for (i = 0; i < n; i++)
		if (!w[i].id || !w[i].id[0] || !w[i].uri || !w[i].uri[0] ||
		    (unsigned)w[i].status >= PRES_ARRAY_LEN(st) ||
		    (unsigned)w[i].event >= PRES_ARRAY_LEN(ev))
			return PRES_EINVAL;
	if (!(doc = new_doc(PRES_NS_WINFO, "watcherinfo", &root)))
		return PRES_ENOMEM;
	rc = set_attr_num(root, "version", version);
	if (rc == PRES_OK)
		rc = set_attr(root, "state", full_state ? "full" : "partial");
	list = xmlNewChild(root, root->ns, (const xmlChar *)"watcher-list", NULL);
	if (!list)
		rc = PRES_ENOMEM;
	if (rc == PRES_OK)
		rc = set_attr(list, "resource", resource);
	if (rc == PRES_OK)
		rc = set_attr(list, "package", package);
	for (i = 0; i < n && rc == PRES_OK; i++) {
		/* xmlNewTextChild escapes the URI text */
		xmlNodePtr x = xmlNewTextChild(list, root->ns, (const xmlChar *)"watcher",
		    (const xmlChar *)w[i].uri);
		if (!x) {
			rc = PRES_ENOMEM;
			break;
		}
		rc = set_attr(x, "id", w[i].id);
		if (rc == PRES_OK)
			rc = set_attr(x, "status", st[w[i].status]);
		if (rc == PRES_OK)
			rc = set_attr(x, "event", ev[w[i].event]);
		if (rc == PRES_OK && w[i].display_name)
			rc = set_attr(x, "display-name", w[i].display_name);
		if (rc == PRES_OK && w[i].expiration >= 0)
			rc = set_attr_num(x, "expiration", w[i].expiration);
		if (rc == PRES_OK && w[i].duration_subscribed >= 0)
			rc = set_attr_num(x, "duration-subscribed", w[i].duration_subscribed);
	}
	return finish(doc, rc, out, out_len);
}

/* ---- RLMI ----------------------------------------------------------------- */

int pres_rlmi_build(const char *uri, unsigned version, int full_state,
    const char *name, const struct pres_rlmi_resource *res, size_t n,
    char **out, size_t *out_len)
{
	static const char *const st[] = { "active", "pending", "terminated" };
	xmlDocPtr doc;
	xmlNodePtr root;
	size_t i, j;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (!uri || !uri[0] || (n && !res))
		return PRES_EINVAL;
	for (i = 0; i < n; i++) {
		if (!res[i].uri || !res[i].uri[0] || (res[i].n_instances && !res[i].instances))
			return PRES_EINVAL;
		for (j = 0; j < res[i].n_instances; j++)
			if (!res[i].instances[j].id || !res[i].instances[j].id[0] ||
			    (unsigned)res[i].instances[j].state >= PRES_ARRAY_LEN(st))
				return PRES_EINVAL;
	}
	if (!(doc = new_doc(PRES_NS_RLMI, "list", &root)))
		return PRES_ENOMEM;
	rc = set_attr(root, "uri", uri);
	if (rc == PRES_OK)
		rc = set_attr_num(root, "version", version);
	if (rc == PRES_OK)
		rc = set_attr(root, "fullState", full_state ? "true" : "false");
	if (rc == PRES_OK && name && !xmlNewTextChild(root, root->ns,
	    (const xmlChar *)"name", (const xmlChar *)name))
		rc = PRES_ENOMEM;
	for (i = 0; i < n && rc == PRES_OK; i++) {
		xmlNodePtr r = xmlNewChild(root, root->ns, (const xmlChar *)"resource", NULL);
		if (!r) {
			rc = PRES_ENOMEM;
			break;
		}
		rc = set_attr(r, "uri", res[i].uri);
		if (rc == PRES_OK && res[i].name && !xmlNewTextChild(r, root->ns,
		    (const xmlChar *)"name", (const xmlChar *)res[i].name))
			rc = PRES_ENOMEM;
		for (j = 0; j < res[i].n_instances && rc == PRES_OK; j++) {
			const struct pres_rlmi_instance *in = &res[i].instances[j];
			xmlNodePtr x = xmlNewChild(r, root->ns, (const xmlChar *)"instance", NULL);
			if (!x) {
				rc = PRES_ENOMEM;
				break;
			}
			rc = set_attr(x, "id", in->id);
			if (rc == PRES_OK)
				rc = set_attr(x, "state", st[in->state]);
			if (rc == PRES_OK && in->reason && in->state == PRES_RLMI_TERMINATED)
				rc = set_attr(x, "reason", in->reason);
			if (rc == PRES_OK && in->cid)
				rc = set_attr(x, "cid", in->cid);
		}
	}
	return finish(doc, rc, out, out_len);
}

/* ---- multipart/related ---------------------------------------------------- */

static int bchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || (c && strchr("'()+_,-./:=? ", c));
}

/* header-safe value: printable ASCII, no CR/LF */
static int hsafe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

static int cid_ok(const char *s)
{
	return s && s[0] && hsafe(s) && !strpbrk(s, "<>\" ");
}

static int mem_has(const char *hay, size_t hn, const char *needle, size_t nn)
{
	size_t i;

	if (nn == 0 || hn < nn)
		return 0;
	for (i = 0; i + nn <= hn; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, nn) == 0)
			return 1;
	return 0;
}

struct mbuf {
	char *p;
	size_t n, cap;
};

static int mput(struct mbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 512;
		char *np;
		while (nc < b->n + n + 1)
			nc *= 2;
		if (!(np = realloc(b->p, nc)))
			return PRES_ENOMEM;
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
	return PRES_OK;
}

static int mputs(struct mbuf *b, const char *s)
{
	return mput(b, s, strlen(s));
}

static int put_part(struct mbuf *b, const char *boundary, const struct pres_mime_part *p)
{
	int rc = PRES_OK;

	rc |= mputs(b, "--");
	rc |= mputs(b, boundary);
	rc |= mputs(b, "\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <");
	rc |= mputs(b, p->cid);
	rc |= mputs(b, ">\r\nContent-Type: ");
	rc |= mputs(b, p->content_type);
	rc |= mputs(b, "\r\n\r\n");
	if (p->len)
		rc |= mput(b, p->body, p->len);
	rc |= mputs(b, "\r\n");
	return rc ? PRES_ENOMEM : PRES_OK;
}

int pres_multipart_build(const char *boundary, const char *root_cid,
    const char *root_type, const struct pres_mime_part *parts, size_t n,
    char **out, size_t *out_len, char **ctype)
{
	struct mbuf b = { 0 };
	size_t i, bl, root = n;
	char delim[80];
	int rc = PRES_OK;

	*out = NULL;
	*out_len = 0;
	if (ctype)
		*ctype = NULL;
	if (!boundary || !root_cid || !root_type || !parts || n == 0)
		return PRES_EINVAL;
	bl = strlen(boundary);
	if (bl < 1 || bl > 70 || boundary[bl - 1] == ' ')
		return PRES_EINVAL;
	for (i = 0; i < bl; i++)
		if (!bchar((unsigned char)boundary[i]))
			return PRES_EINVAL;
	if (!cid_ok(root_cid) || !hsafe(root_type) || strchr(root_type, '"'))
		return PRES_EINVAL;
	snprintf(delim, sizeof(delim), "--%s", boundary);
	for (i = 0; i < n; i++) {
		if (!cid_ok(parts[i].cid) || !parts[i].content_type ||
		    !hsafe(parts[i].content_type) || (parts[i].len && !parts[i].body))
			return PRES_EINVAL;
		if (mem_has(parts[i].body, parts[i].len, delim, bl + 2))
			return PRES_ECONFLICT;
		if (!strcmp(parts[i].cid, root_cid) && root == n)
			root = i;
	}
	if (root == n)
		return PRES_EINVAL;
	rc = put_part(&b, boundary, &parts[root]);
	for (i = 0; i < n && rc == PRES_OK; i++)
		if (i != root)
			rc = put_part(&b, boundary, &parts[i]);
	if (rc == PRES_OK) {
		rc |= mputs(&b, delim);
		rc |= mputs(&b, "--\r\n");
		rc = rc ? PRES_ENOMEM : PRES_OK;
	}
	if (rc == PRES_OK && ctype) {
		size_t cl = strlen(root_type) + strlen(root_cid) + bl + 64;
		if (!(*ctype = malloc(cl)))
			rc = PRES_ENOMEM;
		else
			snprintf(*ctype, cl, "multipart/related;type=\"%s\";start=\"<%s>\";boundary=\"%s\"",
			    root_type, root_cid, boundary);
	}
	if (rc != PRES_OK) {
		free(b.p);
		return rc;
	}
	*out = b.p;
	*out_len = b.n;
	return PRES_OK;
}

/* ---- xcap-diff ------------------------------------------------------------ */

/* Parses @p frag inside a wrapper element (default namespace @p ns or
 * none) and copies its element children under @p parent. */
static int copy_fragment(xmlNodePtr parent, const char *ns, const char *frag,
    size_t len)
{
	struct mbuf b = { 0 };
	xmlDocPtr d;
	xmlNodePtr c;
	int rc;

	rc = mputs(&b, "<w");
	if (rc == PRES_OK && ns) {
		rc |= mputs(&b, " xmlns=\"");
		rc |= mputs(&b, ns);
		rc |= mputs(&b, "\"");
	}
	rc |= mputs(&b, ">");
	rc |= mput(&b, frag, len);
	rc |= mputs(&b, "</w>");
	if (rc) {
		free(b.p);
		return PRES_ENOMEM;
	}
	d = px_parse(b.p, b.n, NULL, 0, &rc);
	free(b.p);
	if (!d)
		return rc;
	for (c = xmlDocGetRootElement(d)->children; c && rc == PRES_OK; c = c->next) {
		if (c->type == XML_ELEMENT_NODE) {
			if (!px_copy(parent, c))
				rc = PRES_ENOMEM;
		} else if (c->type == XML_TEXT_NODE && !xmlIsBlankNode(c)) {
			rc = PRES_EINVAL;   /* loose text is not a patch */
		}
	}
	xmlFreeDoc(d);
	return rc;
}

int pres_xcapdiff_build(const char *xcap_root,
    const struct pres_xcapdiff_entry *e, size_t n, char **out,
    size_t *out_len)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	size_t i;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (!xcap_root || !xcap_root[0] || (n && !e))
		return PRES_EINVAL;
	for (i = 0; i < n; i++)
		if (!e[i].sel || !e[i].sel[0] || (unsigned)e[i].kind > PRES_XD_ATTRIBUTE)
			return PRES_EINVAL;
	if (!(doc = new_doc(PRES_NS_XCAPDIFF, "xcap-diff", &root)))
		return PRES_ENOMEM;
	rc = set_attr(root, "xcap-root", xcap_root);
	for (i = 0; i < n && rc == PRES_OK; i++) {
		static const char *const names[] = { "document", "element", "attribute" };
		xmlNodePtr x;

		if (e[i].kind == PRES_XD_ATTRIBUTE && e[i].exists && e[i].content)
			x = xmlNewTextChild(root, root->ns, (const xmlChar *)names[e[i].kind],
			    (const xmlChar *)e[i].content);
		else
			x = xmlNewChild(root, root->ns, (const xmlChar *)names[e[i].kind], NULL);
		if (!x) {
			rc = PRES_ENOMEM;
			break;
		}
		rc = set_attr(x, "sel", e[i].sel);
		if (e[i].kind == PRES_XD_DOCUMENT) {
			if (rc == PRES_OK && e[i].previous_etag)
				rc = set_attr(x, "previous-etag", e[i].previous_etag);
			if (rc == PRES_OK && e[i].new_etag)
				rc = set_attr(x, "new-etag", e[i].new_etag);
			if (rc == PRES_OK && e[i].content == PRES_XD_BODY_NOT_CHANGED) {
				if (!xmlNewChild(x, root->ns, (const xmlChar *)"body-not-changed", NULL))
					rc = PRES_ENOMEM;
			} else if (rc == PRES_OK && e[i].content && e[i].content_len) {
				rc = copy_fragment(x, PRES_NS_XCAPDIFF, e[i].content,
				    e[i].content_len);
			}
		} else if (!e[i].exists) {
			if (rc == PRES_OK)
				rc = set_attr(x, "exists", "0");
		} else if (e[i].kind == PRES_XD_ELEMENT && rc == PRES_OK &&
		    e[i].content && e[i].content_len) {
			rc = copy_fragment(x, NULL, e[i].content, e[i].content_len);
		}
	}
	return finish(doc, rc, out, out_len);
}
