/*
 * xcap_int.h - internals of xcap/ shared by its files (not for other modules).
 */
#ifndef PRES_XCAP_INT_H
#define PRES_XCAP_INT_H

#include <stddef.h>

#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "pres.h"
#include "db/db.h"
#include "xcap/xcap.h"

#define XCAP_MAX_STEPS 32
#define XCAP_MAX_NSB 16
#define XCAP_XUI_MAX DB_URI_MAX
#define XCAP_XML_NS "http://www.w3.org/XML/1998/namespace"
#define XCAP_ERR_NS "urn:ietf:params:xml:ns:xcap-error"

/* ---- application usages ------------------------------------------------ */

struct xcap_uri;
struct xcap_err;

enum {
	XCAP_AU_USERS = 1 << 0,     /* has users/<XUI>/ documents stored by clients */
	XCAP_AU_READONLY = 1 << 1,  /* no client writes at all (generated documents) */
};

struct xcap_au {
	const char *auid;
	const char *mime;
	const char *default_ns;
	const char *xsd;            /* file in schema_dir, NULL = no validation */
	const char *root_ns;        /* the document element that documents must have */
	const char *root_name;
	unsigned flags;
	const char *global_doc;     /* name of the generated global document or NULL */
	const char *user_doc;       /* for generated per-user documents (directory) */
	const char *const *ns_list; /* namespaces this usage brings (xcap-caps), NULL-ended */
	/* Uniqueness and constraint checks after schema validation: 0 = fine,
	 * 409 with @p err set, or a negative pres_rc. */
	int (*check)(struct xcap *x, struct db *db, const struct xcap_uri *u,
	    xmlDocPtr doc, struct xcap_err *err);
};

/** The table. */
extern const struct xcap_au xcap_aus[];
extern const size_t xcap_n_aus;
const struct xcap_au *xcap_au_find(const char *auid);

struct xcap {
	char *root_path;
	char *root_uri;
	char *schema_dir;
	char *home_domain;
	size_t max_doc_size;
	xmlSchemaPtr *schemas;      /* [xcap_n_aus] */
	xcap_change_cb cb;
	void *cb_arg;
	/* test hook only: called between the read and the compare-and-set of a
	 * write, to let a unit test simulate a concurrent writer */
	void (*race_hook)(void *arg);
	void *race_hook_arg;
};

/* ---- errors (RFC 4825 section 11) ------------------------------------ */

#define XCAP_MAX_ALT 3
struct xcap_err {
	const char *tag;            /* child of <xcap-error>, static; NULL = none */
	char phrase[256];
	char *ancestor;             /* owned: <no-parent><ancestor> */
	char field[512];            /* <uniqueness-failure><exists field=...> */
	char alt[XCAP_MAX_ALT][256];
	size_t n_alt;
};
void xcap_err_set(struct xcap_err *e, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void xcap_err_clear(struct xcap_err *e);
/** Serializes an application/xcap-error+xml body (malloc'd) or NULL. */
char *xcap_err_body(const struct xcap_err *e, size_t *len);

/* ---- URIs and node selectors (xcap_uri.c) ------------------------------- */

struct xcap_nsb {
	char *prefix;
	char *uri;
};

struct xcap_step {
	char *name;                 /* local name, or "*" */
	const char *ns;             /* namespace URI (borrowed) or NULL */
	long pos;                   /* position predicate, 0 = none */
	char *att_name;             /* attribute test, NULL = none */
	const char *att_ns;
	char *att_value;            /* decoded value */
	size_t end;                 /* offset in xcap_sel.text just after the step */
};

enum xcap_term { XCAP_TERM_NONE = 0, XCAP_TERM_ATTR, XCAP_TERM_NS };

struct xcap_sel {
	struct xcap_step steps[XCAP_MAX_STEPS];
	size_t n;
	enum xcap_term term;
	char *att_name;             /* XCAP_TERM_ATTR */
	char *att_prefix;           /* prefix as written, NULL if none */
	const char *att_ns;
	char *text;                 /* the decoded node selector */
};

struct xcap_uri {
	const struct xcap_au *au;
	int global;
	int xui_ok;                 /* the XUI is a valid SIP/tel URI */
	char xui[XCAP_XUI_MAX];     /* normalized XUI ("" for global) */
	char *doc;                  /* decoded document path */
	char *raw_doc;              /* raw path from the AUID to the end of the document */
	char *raw_query;            /* raw query, NULL if none */
	int has_sel;
	struct xcap_nsb nsb[XCAP_MAX_NSB];
	size_t n_nsb;
	struct xcap_sel sel;
};

/**
 * Parses @p target below @p root_path. Returns 0, 400 (malformed) or 404
 * (not below the root, unknown AUID or tree). @p u is filled in either case;
 * release with xcap_uri_free.
 */
int xcap_uri_parse(const char *root_path, const char *target, struct xcap_uri *u);
void xcap_uri_free(struct xcap_uri *u);
/** Parses a decoded node selector with namespace bindings; 0 or 400. The
 *  unprefixed element namespace is @p default_ns. */
int xcap_sel_parse(const char *text, const char *default_ns, const struct xcap_nsb *nsb,
    size_t n_nsb, struct xcap_sel *s);
void xcap_sel_free(struct xcap_sel *s);
/** Percent-decodes @p len bytes; NULL on a bad escape, a NUL or invalid UTF-8. */
char *xcap_pct_decode(const char *s, size_t len);
/** Percent-encodes for a URI path (keeps unreserved, sub-delims, ':', '@', '/'). */
char *xcap_pct_encode(const char *s, size_t len);
/** 1 if @p s[0..len) is valid UTF-8. */
int xcap_utf8_valid(const char *s, size_t len);

/* ---- trees (xcap_node.c) ---------------------------------------------- */

/** Evaluates steps[0..n) from the document root; returns the number of
 *  matches (stops counting at 2); *first = the first match. */
size_t xcap_select(xmlDocPtr doc, const struct xcap_step *steps, size_t n, xmlNodePtr *first);
/** 1 if element @p el passes the name test of @p st. */
int xcap_name_match(xmlNodePtr el, const struct xcap_step *st);
/** Inserts @p el as a child of @p parent by RFC 4825 rules for the last step
 *  @p st. 0, or -1 if no position fits (cannot-insert). */
int xcap_insert(xmlNodePtr parent, const struct xcap_step *st, xmlNodePtr el);
/** Parses a document: no network, no entities, no DTD (a DOCTYPE is
 *  refused). NULL with @p err set (not-utf-8, not-well-formed). */
xmlDocPtr xcap_parse_doc(const char *buf, size_t len, struct xcap_err *err);
/** Parses exactly one element in the namespace context of @p ctx; the
 *  element is not linked. NULL with @p err set (not-xml-frag, ...). */
xmlNodePtr xcap_parse_frag(xmlNodePtr ctx, const char *buf, size_t len, struct xcap_err *err);
/** Decodes an attribute value body (AttValue without quotes); NULL if invalid. */
char *xcap_att_decode(const char *buf, size_t len);
/** Escapes an attribute value for an application/xcap-att+xml body. */
char *xcap_att_encode(const char *value);
/** Serializes an element as in the document (no added declarations). */
char *xcap_node_dump(xmlNodePtr el, size_t *len);
/** application/xcap-ns+xml body for element @p el. */
char *xcap_ns_body(xmlNodePtr el, size_t *len);
/** Serializes a whole document (UTF-8, with declaration). */
char *xcap_doc_dump(xmlDocPtr doc, size_t *len);
/** Node selector of @p n (element or attribute) relative to the document,
 *  used in <exists field=...>. Writes into @p out. */
void xcap_node_path(xmlNodePtr n, const char *default_ns, char *out, size_t size);

/* ---- application usage helpers (xcap_au.c) ------------------------------- */

/** Generates a read-only document (xcap-caps index, rls-services global
 *  index, xcap-directory). PRES_ENOTFOUND if @p u names none. */
int xcap_au_generate(struct xcap *x, struct db *db, const struct xcap_uri *u,
    char **content, size_t *len);
/** Schema-validates @p doc with the AUID's schema: 0 or 409 (err set). */
int xcap_au_validate(struct xcap *x, const struct xcap_au *au, xmlDocPtr doc,
    struct xcap_err *err);
/** Loads every schema; PRES_OK or an error (logged). */
int xcap_au_load_schemas(struct xcap *x);
void xcap_au_free_schemas(struct xcap *x);
/** Writes the absolute (or root-relative) URI of the XCAP root into @p out. */
const char *xcap_root_base(const struct xcap *x);

#endif
