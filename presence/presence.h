/*
 * presence.h - presence documents and policies (pure: no network, no disk,
 * no database). Used by sip/ (PUBLISH/SUBSCRIBE/NOTIFY bodies) and xcap/.
 *
 * Conventions of this header:
 *  - Input documents are (pointer, length) pairs; they need not be
 *    NUL-terminated. Every XML parse uses libxml2 with XML_PARSE_NONET, no
 *    entity substitution, no DTD loading, and any document with a DOCTYPE
 *    is refused (PRES_EINVAL).
 *  - Output documents are returned through (char **out, size_t *out_len):
 *    *out is allocated with malloc(3), NUL-terminated (the NUL is not counted
 *    in *out_len), and OWNED BY THE CALLER, who releases it with free(3).
 *    On failure *out is set to NULL and *out_len to 0.
 *  - Functions return PRES_OK (0) or a negative enum pres_rc from pres.h.
 *  - No global state; every function is reentrant (libxml2 must have been
 *    initialised once per process with xmlInitParser(), which libxml2 also
 *    does lazily).
 */
#ifndef PRESENCE_H
#define PRESENCE_H

#include <stddef.h>
#include <stdint.h>

#include "pres.h"

/* ---- names ------------------------------------------------------------ */

#define PRES_NS_PIDF       "urn:ietf:params:xml:ns:pidf"
#define PRES_NS_DM         "urn:ietf:params:xml:ns:pidf:data-model"
#define PRES_NS_RPID       "urn:ietf:params:xml:ns:pidf:rpid"
#define PRES_NS_CP         "urn:ietf:params:xml:ns:common-policy"
#define PRES_NS_PR         "urn:ietf:params:xml:ns:pres-rules"
#define PRES_NS_OCP        "urn:oma:xml:xdm:common-policy"
#define PRES_NS_OPR        "urn:oma:xml:prs:pres-rules"
#define PRES_NS_WINFO      "urn:ietf:params:xml:ns:watcherinfo"
#define PRES_NS_RLMI       "urn:ietf:params:xml:ns:rlmi"
#define PRES_NS_XCAPDIFF   "urn:ietf:params:xml:ns:xcap-diff"
#define PRES_NS_FILTER     "urn:ietf:params:xml:ns:simple-filter"

#define PRES_MIME_PIDF     "application/pidf+xml"
#define PRES_MIME_WINFO    "application/watcherinfo+xml"
#define PRES_MIME_RLMI     "application/rlmi+xml"
#define PRES_MIME_XCAPDIFF "application/xcap-diff+xml"
#define PRES_MIME_FILTER   "application/simple-filter+xml"

/** Largest document any parser here accepts (bytes); larger → PRES_ETOOBIG. */
#define PRES_DOC_MAX (4u * 1024u * 1024u)

/* ---- 1. PIDF (RFC 3863, RFC 4479 data model, RFC 4480 RPID) ------------ */

/**
 * Validates a published PIDF document.
 *
 * Checks: well-formed, no DOCTYPE; root element `presence` in the PIDF
 * namespace; `entity` attribute present and, when @p presentity is not NULL,
 * equal to it after pres_uri_normalize() (a `pres:X` entity is compared as
 * `sip:X`); every `<tuple>` has a non-empty `id` and a `<status>` child;
 * `<basic>`, when present, is "open" or "closed"; `<dm:person>` and
 * `<dm:device>` have an `id`; the ids of tuples, persons and devices are
 * unique within the document (they share one xs:ID space).
 *
 * @param body        document bytes (borrowed)
 * @param len         length of @p body
 * @param presentity  the presentity URI the document is published for, or NULL
 * @param err         optional buffer for an English reason (may be NULL)
 * @param errlen      size of @p err
 * @return PRES_OK, PRES_EINVAL (malformed/not PIDF), PRES_EAUTH (entity
 *         differs from @p presentity), PRES_ETOOBIG, PRES_ENOMEM.
 */
int pres_pidf_check(const char *body, size_t len, const char *presentity,
    char *err, size_t errlen);

/**
 * Extracts the presentity's current sphere (RFC 4480 `<rpid:sphere>` of
 * the first `<dm:person>` carrying one, or of the root) from a PIDF
 * document, for use as the @p sphere argument of pres_rules_eval().
 * Only the text form is returned (`<rpid:work/>` → "work", `<rpid:home/>` →
 * "home", text content otherwise), trimmed.
 *
 * @return PRES_OK, PRES_ENOTFOUND (no sphere), PRES_EINVAL, PRES_ETOOBIG
 *         (@p buf too small).
 */
int pres_pidf_sphere(const char *pidf, size_t len, char *buf, size_t size);

/* ---- 2. composition (RFC 3903, RFC 4479/4480) -------------------------- */

/** One live publication of a presentity (all fields borrowed). */
struct pres_pub_in {
	const char *body;     /**< PIDF document (already passed pres_pidf_check) */
	size_t len;           /**< length of body */
	int64_t timestamp;    /**< when it was (re)published; seconds since epoch */
};

/**
 * Composes the presentity's presence document.
 *
 * @p pubs are the live publications, oldest first (equal timestamps: array
 * order decides, later wins). Result: one PIDF with entity=@p presentity;
 * `<tuple>`s merged by id, `<dm:person>`s by id, `<dm:device>`s by id
 * (newer publication wins for equal id; elements with distinct ids are all
 * kept, in order of first appearance); root-level `<note>`s and other
 * root-level extension elements are kept from every publication (duplicates
 * by exact content dropped). The pidf-manipulation document @p manip
 * (RFC 4827; may be NULL) is applied last: its tuples/persons/devices
 * replace published ones with the same id, others are added; its notes are
 * added.
 *
 * With no publications and no manipulation document the result is the
 * neutral document (see pres_neutral()). A publication that fails to parse
 * is skipped (it was validated at PUBLISH time).
 *
 * @param out,out_len  result, owned by the caller (free(3))
 * @return PRES_OK, PRES_EINVAL (presentity invalid or manip malformed),
 *         PRES_ENOMEM.
 */
int pres_compose(const char *presentity, const struct pres_pub_in *pubs,
    size_t n, const char *manip, size_t manip_len, char **out,
    size_t *out_len);

/**
 * The neutral document: a PIDF with entity=@p presentity and a single tuple
 * (id "neutral") whose basic status is `closed`. Used when nothing is
 * published and for polite-block (RFC 5025 §3.2.1: the watcher must not be
 * able to tell polite-block from "offline").
 * @param out,out_len  result, owned by the caller (free(3))
 */
int pres_neutral(const char *presentity, char **out, size_t *out_len);

/* ---- 3. pres-rules (RFC 5025 on RFC 4745, OMA XDM common-policy) ------- */

/** sub-handling values (RFC 5025 §3.2.1); ordered: the max wins. */
enum pres_sub_handling {
	PRES_SUB_BLOCK = 0,
	PRES_SUB_CONFIRM = 1,
	PRES_SUB_POLITE_BLOCK = 2,
	PRES_SUB_ALLOW = 3,
};

/** provide-user-input values (RFC 5025 §3.3.x); ordered: the max wins. */
enum pres_user_input {
	PRES_UI_FALSE = 0,
	PRES_UI_BARE = 1,
	PRES_UI_THRESHOLDS = 2,
	PRES_UI_FULL = 3,
};

/** A parsed pres-rules document (opaque, immutable after parsing). */
struct pres_rules;

/**
 * Parses a pres-rules document (common-policy `<ruleset>` with pres-rules
 * and OMA extensions). Unknown conditions make their rule never match
 * (RFC 4745 §5: a rule with an unsupported condition is ignored);
 * unknown actions/transformations are ignored.
 *
 * @param rules  set to a new object, owned by the caller: pres_rules_free()
 * @param err,errlen  optional reason on failure (err may be NULL)
 * @return PRES_OK, PRES_EINVAL, PRES_ETOOBIG, PRES_ENOMEM.
 */
int pres_rules_parse(const char *xml, size_t len, struct pres_rules **rules,
    char *err, size_t errlen);

/** Frees a ruleset; NULL is fine. */
void pres_rules_free(struct pres_rules *r);

/** Number of rules in the set (for diagnostics and tests). */
size_t pres_rules_count(const struct pres_rules *r);

/** The watcher as the SIP side knows it (all fields borrowed). */
struct pres_watcher {
	const char *uri;      /**< authenticated identity (P-Asserted-Identity), or NULL */
	int anonymous;        /**< non-zero: Privacy: id/user or anonymous From */
	const char *domain;   /**< authenticated domain, or NULL: taken from uri */
};

/**
 * Resolves an OMA `<external-list><entry anc="..."/>`: is @p watcher_uri a
 * member of the resource list at @p anc (an XCAP URI, possibly with a node
 * selector)? Returns 1 member, 0 not, negative enum pres_rc on failure (the
 * condition then does not match).
 */
typedef int (*pres_list_member_cb)(const char *anc, const char *watcher_uri,
    void *arg);

/** Transformation set of a decision (opaque). */
struct pres_tf;

/** Result of evaluating a ruleset for one watcher. */
struct pres_decision {
	enum pres_sub_handling sub_handling;
	unsigned rules_matched;   /**< how many rules matched (0: default deny) */
	struct pres_tf *tf;       /**< owned; release with pres_decision_clear() */
};

/**
 * Evaluates @p r for watcher @p w at time @p now (seconds since epoch)
 * (RFC 4745 §10 combination: sub-handling is the maximum over matching
 * rules; boolean transformations are OR-ed, sets are united, user-input
 * takes the maximum). No matching rule → sub-handling block and no
 * transformations (RFC 4745 §10/§13: empty permissions deny everything).
 *
 * @param r         ruleset; NULL is treated as an empty ruleset
 * @param sphere    the presentity's current sphere (pres_pidf_sphere()) or
 *                  NULL (then no `<sphere>` condition matches)
 * @param is_member resolver for `<external-list>`; NULL → never a member
 * @param out       filled in; the caller releases it with
 *                  pres_decision_clear() (also after a failure)
 * @return PRES_OK, PRES_EINVAL, PRES_ENOMEM.
 */
int pres_rules_eval(const struct pres_rules *r, const struct pres_watcher *w,
    int64_t now, const char *sphere, pres_list_member_cb is_member, void *arg,
    struct pres_decision *out);

/**
 * Fills @p out with "allow, everything provided" (a presentity watching
 * itself, or an operator default). Release with pres_decision_clear().
 */
int pres_decision_allow_all(struct pres_decision *out);

/** Frees what a decision owns and zeroes it. Safe on a zeroed struct. */
void pres_decision_clear(struct pres_decision *d);

/**
 * Canonical text of the decision (sub-handling and the sorted
 * transformation set): two decisions with equal keys produce equal
 * pres_transform() output for the same input. Used to build one NOTIFY body
 * per distinct (document version, key).
 * @return PRES_OK, PRES_ETOOBIG (buffer too small; 512 bytes cover decisions
 *         without long service-uri/deviceID lists).
 */
int pres_decision_key(const struct pres_decision *d, char *buf, size_t len);

/** Same as pres_decision_key() into a malloc'd string (caller frees), or NULL. */
char *pres_decision_key_dup(const struct pres_decision *d);

/**
 * Applies the decision's transformations to a composed PIDF (RFC 5025 §3.3):
 * keeps only the tuples/persons/devices and the attributes the decision
 * provides. sub-handling polite-block yields the neutral document for the
 * document's entity. block and confirm: PRES_EAUTH (nothing may be sent).
 *
 * @param out,out_len  result, owned by the caller (free(3))
 * @return PRES_OK, PRES_EAUTH, PRES_EINVAL, PRES_ENOMEM.
 */
int pres_transform(const struct pres_decision *d, const char *pidf, size_t len,
    char **out, size_t *out_len);

/* ---- 4. watcher information (RFC 3857, RFC 3858) ----------------------- */

enum pres_winfo_status {
	PRES_WINFO_PENDING = 0,
	PRES_WINFO_ACTIVE,
	PRES_WINFO_WAITING,
	PRES_WINFO_TERMINATED,
};

enum pres_winfo_event {
	PRES_WINFO_EV_SUBSCRIBE = 0,
	PRES_WINFO_EV_APPROVED,
	PRES_WINFO_EV_DEACTIVATED,
	PRES_WINFO_EV_PROBATION,
	PRES_WINFO_EV_REJECTED,
	PRES_WINFO_EV_TIMEOUT,
	PRES_WINFO_EV_GIVEUP,
	PRES_WINFO_EV_NORESOURCE,
};

/** One watcher (fields borrowed). */
struct pres_winfo_watcher {
	const char *id;            /**< required: stable id of the subscription */
	const char *uri;           /**< required: watcher URI (element text) */
	const char *display_name;  /**< or NULL */
	enum pres_winfo_status status;
	enum pres_winfo_event event;
	long duration_subscribed;  /**< seconds; < 0: omitted */
	long expiration;           /**< seconds; < 0: omitted */
};

/**
 * Builds a watcherinfo document (one `<watcher-list>` for @p resource and
 * @p package, e.g. "presence"). @p full_state selects state="full" or
 * "partial" (partial: @p w lists only the watchers that changed).
 * @param out,out_len  result, owned by the caller (free(3))
 */
int pres_winfo_build(const char *resource, const char *package,
    unsigned version, int full_state, const struct pres_winfo_watcher *w,
    size_t n, char **out, size_t *out_len);

/* ---- 5. RLMI and multipart/related (RFC 4662, RFC 2387) ---------------- */

enum pres_rlmi_state {
	PRES_RLMI_ACTIVE = 0,
	PRES_RLMI_PENDING,
	PRES_RLMI_TERMINATED,
};

/** One back-end subscription instance of a list resource (fields borrowed). */
struct pres_rlmi_instance {
	const char *id;            /**< required */
	enum pres_rlmi_state state;
	const char *reason;        /**< terminated only (e.g. "rejected"), or NULL */
	const char *cid;           /**< Content-ID of the body part (no <>), or NULL */
};

/** One resource of the list (fields borrowed). */
struct pres_rlmi_resource {
	const char *uri;                           /**< required */
	const char *name;                          /**< display name or NULL */
	const struct pres_rlmi_instance *instances;
	size_t n_instances;
};

/**
 * Builds an RLMI document: `<list uri version fullState>` with an optional
 * `<name>` and one `<resource>` per entry.
 * @param out,out_len  result, owned by the caller (free(3))
 */
int pres_rlmi_build(const char *uri, unsigned version, int full_state,
    const char *name, const struct pres_rlmi_resource *res, size_t n,
    char **out, size_t *out_len);

/** One body part (fields borrowed). */
struct pres_mime_part {
	const char *cid;           /**< Content-ID without <> (required) */
	const char *content_type;  /**< full Content-Type value (required) */
	const char *body;
	size_t len;
};

/**
 * Builds a multipart/related body (RFC 2387) with CRLF line ends. The root
 * part is the one whose cid equals @p root_cid (it is emitted first).
 * @param boundary      1..70 chars of RFC 2046 bchars (not ending in space)
 * @param root_type     type= parameter, e.g. PRES_MIME_RLMI
 * @param out,out_len   body, owned by the caller (free(3))
 * @param ctype         if not NULL: set to the malloc'd Content-Type value
 *                      `multipart/related;type="...";start="<cid>";boundary="..."`
 *                      (caller frees)
 * @return PRES_OK, PRES_EINVAL (bad boundary/cid, no root part),
 *         PRES_ECONFLICT (boundary occurs in a part), PRES_ENOMEM.
 */
int pres_multipart_build(const char *boundary, const char *root_cid,
    const char *root_type, const struct pres_mime_part *parts, size_t n,
    char **out, size_t *out_len, char **ctype);

/* ---- 6. xcap-diff (RFC 5874) ------------------------------------------ */

enum pres_xcapdiff_kind {
	PRES_XD_DOCUMENT = 0,   /**< <document sel previous-etag new-etag> */
	PRES_XD_ELEMENT,        /**< <element sel [exists="0"]>content</element> */
	PRES_XD_ATTRIBUTE,      /**< <attribute sel [exists="0"]>value</attribute> */
};

/** One entry of an xcap-diff document (fields borrowed). */
struct pres_xcapdiff_entry {
	enum pres_xcapdiff_kind kind;
	const char *sel;           /**< document selector, relative to xcap root
	                                (document) or full node selector path */
	const char *previous_etag; /**< document: NULL when created */
	const char *new_etag;      /**< document: NULL when removed */
	const char *content;       /**< document: patch operations (XML fragment
	                                of RFC 5261 <add>/<replace>/<remove>
	                                elements), or NULL: none, or the special
	                                value PRES_XD_BODY_NOT_CHANGED;
	                                element: XML of the element; attribute:
	                                the value (text) */
	size_t content_len;
	int exists;                /**< element/attribute: 0 → exists="0" */
};

/** Marker for pres_xcapdiff_entry.content: emit <body-not-changed/>. */
extern const char PRES_XD_BODY_NOT_CHANGED[];

/**
 * Builds `<xcap-diff xcap-root="...">` with one child per entry. Patch and
 * element fragments are parsed (same safe options) and copied in.
 * @param out,out_len  result, owned by the caller (free(3))
 * @return PRES_OK, PRES_EINVAL (bad fragment), PRES_ENOMEM.
 */
int pres_xcapdiff_build(const char *xcap_root,
    const struct pres_xcapdiff_entry *e, size_t n, char **out,
    size_t *out_len);

/* ---- 7. event notification filters (RFC 4660, RFC 4661) ---------------- */

/** A parsed filter-set (opaque). */
struct pres_filter;

/**
 * Parses an RFC 4661 filter-set. Supported: `<ns-bindings>`; `<filter>`
 * with id, uri/domain, enabled, remove (remove="true": the filter does not
 * apply; the caller replaces the whole set on each SUBSCRIBE with a body);
 * `<what>` with `<include>`/`<exclude>` of type "xpath" restricted to
 * absolute location paths of child steps: `/prefix:name` (prefix from
 * `<ns-bindings>`), `/name` (unprefixed: that local name in any
 * namespace), `*` steps, with predicates `[@attr='v']`, `[name='v']`, `[n]`;
 * triggers may end in an attribute step `/@name`. `<trigger>`s are OR-ed,
 * the `<changed>` (optional from/to), `<added>`, `<removed>` inside one
 * `<trigger>` are AND-ed. Anything else (type="namespace", `by=`, `//`,
 * axes, functions, relative paths) → PRES_EINVAL with a reason in @p err
 * (the SIP side answers per RFC 4660).
 *
 * @param f  set to a new filter set, owned by the caller: pres_filter_free()
 */
int pres_filter_parse(const char *xml, size_t len, struct pres_filter **f,
    char *err, size_t errlen);

/** Frees a filter set; NULL is fine. */
void pres_filter_free(struct pres_filter *f);

/**
 * Applies the `<what>` part of the filters that apply to the document's
 * entity (filters are united): with includes, only the selected elements
 * with their whole content, and their ancestors as empty shells (with
 * their attributes), are kept; excludes then remove selected elements.
 * The root element and its entity always remain. Comments and processing
 * instructions are dropped.
 * @param out,out_len  result, owned by the caller (free(3))
 */
int pres_filter_apply(const struct pres_filter *f, const char *pidf,
    size_t len, char **out, size_t *out_len);

/**
 * Evaluates the triggers: 1 if a NOTIFY is due for the change from
 * @p old_pidf to @p new_pidf, 0 if not, negative enum pres_rc on error
 * (bad @p new_pidf). When no applicable filter has a trigger: 1 if the
 * filtered views (pres_filter_apply()) of the two documents differ.
 * `<changed>` compares the string values of the selected nodes;
 * `<added>`/`<removed>` compare the selected nodes by their `id`
 * attribute (else by string value). @p old_pidf may be NULL (first
 * notification: 1); an unparsable old document also gives 1.
 */
int pres_filter_triggered(const struct pres_filter *f, const char *old_pidf,
    size_t old_len, const char *new_pidf, size_t new_len);

#endif
