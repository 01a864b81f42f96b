/*
 * xcap.h - the XCAP document store (RFC 4825) as a pure request handler.
 *
 * The HTTPS server (server/, libmicrohttpd) authenticates the caller, then
 * hands one request to xcap_handle() together with the caller's identity
 * (its normalized IMPUs). xcap/ parses the request-target, checks that the
 * caller owns the XUI, selects nodes, validates, stores through db/ with an
 * ETag compare-and-set, and fills a response. No sockets, no threads of its
 * own: one `struct xcap` is shared read-only by every HTTP thread; each thread
 * passes its own `struct db` connection.
 *
 * Application usages: xcap-caps, pres-rules, org.openmobilealliance.pres-rules,
 * resource-lists, rls-services, pidf-manipulation,
 * org.openmobilealliance.xcap-directory (see docs/xcap.md).
 */
#ifndef PRES_XCAP_H
#define PRES_XCAP_H

#include <stddef.h>

struct db;
struct xcap;

struct xcap_cfg {
	const char *root_path;   /* path of the XCAP root, e.g. "/xcap-root", or "/" */
	const char *root_uri;    /* absolute XCAP root URI for URIs that xcap/ writes into
	                          * bodies (xcap-directory, <ancestor>), e.g.
	                          * "https://xcap.ims.example.com:8443/xcap-root";
	                          * NULL: root_path is used (origin-form URIs) */
	const char *schema_dir;  /* directory with the XSDs (PRES_DATADIR "/schemas") */
	size_t max_doc_size;     /* bytes; 0 = 1 MiB. Request bodies and resulting
	                          * documents above it get 413 */
	const char *home_domain; /* e.g. "ims.example.com" (informational, may be NULL) */
};

/**
 * Creates the store: copies @p cfg, loads and compiles every XSD once.
 * @return the store (free with xcap_free), or NULL if a schema is missing or
 *         invalid (logged). Thread-safe for xcap_handle() after creation.
 */
struct xcap *xcap_new(const struct xcap_cfg *cfg);
void xcap_free(struct xcap *x);

/** One HTTP request. Every pointer is borrowed for the duration of the call. */
struct xcap_request {
	const char *method;        /* "GET", "PUT", "DELETE", ... */
	const char *target;        /* raw request-target (path [?query]), still
	                            * percent-encoded; absolute-form is accepted */
	const char *content_type;  /* raw Content-Type header value or NULL */
	const char *body;          /* request body (not NUL-terminated) or NULL */
	size_t body_len;
	const char *if_match;      /* raw header values or NULL */
	const char *if_none_match;
	const char *const *impus;  /* the caller's IMPUs, normalized; the caller
	                            * has checked X-3GPP-Intended-Identity already */
	size_t n_impus;
	int is_admin;              /* may read and write every user's documents */
};

/** One HTTP response, filled by xcap_handle(). */
struct xcap_response {
	int status;              /* HTTP status code */
	char content_type[128];  /* "" when there is no body */
	char *body;              /* owned (malloc'd), NULL if none; free with
	                          * xcap_response_clear() */
	size_t body_len;
	char etag[80];           /* quoted ETag header value, or "" for none */
	char allow[64];          /* Allow header value for 405, else "" */
};

/**
 * Handles one XCAP request. @p db is the calling thread's connection.
 * Always fills @p rs (status 500 on internal failure); @p rs must be zeroed
 * or cleared before the call.
 * @return PRES_OK, or a negative enum pres_rc for internal failures (storage,
 *         memory) for logging; the response is filled in either case.
 */
int xcap_handle(struct xcap *x, struct db *db, const struct xcap_request *rq,
    struct xcap_response *rs);
/** Frees the body and zeroes @p rs. */
void xcap_response_clear(struct xcap_response *rs);

/** A committed document change. Everything is borrowed for the callback only. */
struct xcap_change {
	const char *auid;
	const char *xui;          /* normalized XUI */
	const char *doc_name;     /* document path below the XUI, e.g. "index" */
	const char *old_etag;     /* unquoted; "" if the document was created */
	const char *new_etag;     /* unquoted; "" if the document was deleted */
	const char *new_content;  /* NULL if deleted */
	size_t new_len;
};

typedef void (*xcap_change_cb)(const struct xcap_change *ev, void *arg);

/**
 * Sets the function called (in the thread of xcap_handle, after the commit)
 * for every document change. Set it before serving requests; NULL disables.
 */
void xcap_set_change_cb(struct xcap *x, xcap_change_cb cb, void *arg);

#endif
