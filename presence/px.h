/*
 * px.h - private helpers of presence/: safe libxml2 parsing, namespace-aware
 * copying, serialization, small string lists. Not part of the public API.
 */
#ifndef PRESENCE_PX_H
#define PRESENCE_PX_H

#include <stddef.h>
#include <libxml/tree.h>

#include "presence.h"

#define PX_NS_OMA_PIDF "urn:oma:xml:prs:pidf:oma-pres"

/**
 * Parses @p len bytes safely: no network, no entity substitution, no DTD
 * loading; a document with a DOCTYPE is refused. Returns the document
 * (caller frees with xmlFreeDoc) or NULL with *rc set (PRES_EINVAL,
 * PRES_ETOOBIG, PRES_ENOMEM) and a reason in @p err (may be NULL).
 */
xmlDocPtr px_parse(const char *buf, size_t len, char *err, size_t errlen, int *rc);

/** Serializes @p doc (UTF-8, indented) into a malloc'd NUL-terminated buffer. */
int px_dump(xmlDocPtr doc, char **out, size_t *out_len);

/** 1 if @p n is an element named @p name in namespace @p ns (NULL: no namespace). */
int px_is(const xmlNode *n, const char *ns, const char *name);

/** Namespace URI of an element or "" . */
const char *px_href(const xmlNode *n);

/** First child element of @p n with that namespace and name, or NULL. */
xmlNodePtr px_child(const xmlNode *n, const char *ns, const char *name);

/** Next element sibling (including @p n itself when @p self), or NULL. */
xmlNodePtr px_elem(xmlNodePtr n);

/** Trimmed text content of @p n, malloc'd (caller frees with free()); NULL on ENOMEM. */
char *px_text(const xmlNode *n);

/** Attribute value (no namespace) malloc'd by libxml2 (xmlFree) or NULL. */
char *px_attr(const xmlNode *n, const char *name);

/**
 * Deep-copies element @p src (from any document) as the last child of
 * @p parent, binding namespaces by URI in the destination (declaring them
 * where needed). Returns the copy or NULL on ENOMEM.
 */
xmlNodePtr px_copy(xmlNodePtr parent, const xmlNode *src);

/** Writes a formatted reason into err (if err && errlen). */
void px_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * Normalizes a presentity/entity URI: "pres:" is read as "sip:", then
 * pres_uri_normalize().
 */
int px_entity_norm(const char *in, char *out, size_t size);

/** Removes comments and processing instructions below @p n (they must
 * not leak to watchers). Use on the document node for top-level ones. */
void px_strip_misc(xmlNodePtr n);

/** Declares on @p dst_root the prefixed namespaces of @p src_root whose
 * prefix and URI are both still free there (keeps copies compact). */
void px_hoist_ns(xmlNodePtr dst_root, const xmlNode *src_root);

/** Creates a document with root <presence xmlns=PIDF entity=...>. */
xmlDocPtr px_pidf_new(const char *entity, xmlNodePtr *root);

/** xs:dateTime (with optional fraction and zone; none = UTC) → epoch seconds. */
int px_parse_datetime(const char *s, int64_t *out);

/* ---- string lists ---- */
struct px_list {
	char **v;
	size_t n;
};
/** Appends a copy of s (once: duplicates ignored). */
int px_list_add(struct px_list *l, const char *s);
int px_list_has(const struct px_list *l, const char *s);
/** Case-insensitive lookup. */
int px_list_has_ci(const struct px_list *l, const char *s);
void px_list_free(struct px_list *l);
void px_list_sort(struct px_list *l);

#endif
