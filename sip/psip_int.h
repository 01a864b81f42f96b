/*
 * psip_int.h - private structures and helpers of the SIP presence engine.
 * Not for use outside sip/ (the unit test includes it for the pure helpers).
 */
#ifndef PSIP_INT_H
#define PSIP_INT_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/socket.h>

/* sofia "magic" context types: everything is passed as void * and cast in
 * the callback, because one callback type serves several contexts. */
#define SU_ROOT_MAGIC_T void
#define SU_WAKEUP_ARG_T void
#define SU_TIMER_ARG_T void
#define NTA_AGENT_MAGIC_T void
#define NTA_LEG_MAGIC_T void
#define NTA_OUTGOING_MAGIC_T void
#define NTA_INCOMING_MAGIC_T void

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>

#include "pres.h"
#include "db/db.h"
#include "sip/psip.h"

#define PSIP_CT_PIDF "application/pidf+xml"
#define PSIP_CT_WINFO "application/watcherinfo+xml"
#define PSIP_CT_XCAPDIFF "application/xcap-diff+xml"
#define PSIP_ALLOW_EVENTS "presence, presence.winfo, xcap-diff"
#define PSIP_ALLOW "PUBLISH, SUBSCRIBE, NOTIFY, OPTIONS"

/* ---- pure helpers (psip_util.c, unit-tested) -------------------------- */

/** Event packages served. */
enum psip_event {
	PSIP_EV_UNKNOWN = 0,
	PSIP_EV_PRESENCE,
	PSIP_EV_WINFO,
	PSIP_EV_XCAPDIFF,             /* RFC 5875 (psip_xcapdiff.c) */
};
/** Maps an Event header type ("presence", "presence.winfo") to the enum. */
enum psip_event psip_event_kind(const char *type);
const char *psip_event_name(enum psip_event ev);

/** Subscription states (RFC 6665). */
enum psip_state {
	PSIP_ST_ACTIVE = 0,
	PSIP_ST_PENDING,
	PSIP_ST_TERMINATED,
};
const char *psip_state_name(enum psip_state st);
/** Parses "active|pending|terminated"; -1 if unknown. */
int psip_state_parse(const char *s);

/**
 * The Expires rule shared by PUBLISH and SUBSCRIBE. @p has_value: whether
 * the request carried Expires. Writes the granted value into @p out.
 * @return 0 when acceptable, 423 when the (non-zero) value is below @p min.
 * Values above @p max are lowered to @p max; a missing value gives @p def.
 */
int psip_expires_grant(int has_value, unsigned long value, unsigned min,
    unsigned max, unsigned def, unsigned *out);

/**
 * Formats a Subscription-State value into @p buf:
 * "active;expires=N", "pending;expires=N", "terminated;reason=R".
 * @return PRES_OK or PRES_ETOOBIG.
 */
int psip_substate_format(enum psip_state st, unsigned expires, const char *reason,
    char *buf, size_t size);

/** Trusted network: an address and a prefix length. */
struct psip_net {
	int family;          /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned prefix;
};
/** Parses "192.0.2.1", "192.0.2.0/24", "2001:db8::/32", "[::1]". */
int psip_net_parse(const char *s, struct psip_net *out);
/** 1 if @p sa (AF_INET/AF_INET6, v4-mapped v6 handled) is in one of @p nets. */
int psip_net_match(const struct psip_net *nets, size_t n, const struct sockaddr *sa);

/**
 * Dialog state of a subscription (notifier side), as stored in db_sub.dialog.
 * All strings owned (malloc'd); NULL allowed for route.
 */
struct psip_dialog {
	char *call_id;
	char *local;    /* our address with our tag: the To of the SUBSCRIBE */
	char *remote;   /* the watcher's address with its tag: From of the SUBSCRIBE */
	char *target;   /* remote target URI (Contact of the SUBSCRIBE) */
	char *route;    /* Record-Route of the SUBSCRIBE as received, comma-joined; NULL none */
	char *contact;  /* our Contact URI for this dialog */
	uint32_t local_cseq; /* next NOTIFY uses a CSeq above this */
};
/** Serializes @p d into a new malloc'd string (*@p out, caller frees). */
int psip_dialog_serialize(const struct psip_dialog *d, char **out);
/** Parses what psip_dialog_serialize() wrote; PRES_EINVAL when malformed
 *  (call_id, local, remote, target are required). Clear with psip_dialog_clear. */
int psip_dialog_parse(const char *s, struct psip_dialog *d);
void psip_dialog_clear(struct psip_dialog *d);

/** pres-rules decisions as the SIP layer applies them. */
enum psip_decision {
	PSIP_DEC_BLOCK = 0,
	PSIP_DEC_CONFIRM,
	PSIP_DEC_POLITE_BLOCK,
	PSIP_DEC_ALLOW,
};
/**
 * Maps a decision to what the subscriber sees (policy mapping):
 * *@p state and *@p reason (static string or NULL), and the SIP response
 * to the SUBSCRIBE (200 or 403).
 */
int psip_decision_apply(enum psip_decision d, enum psip_block_policy block_policy,
    enum psip_state *state, const char **reason);

/** SIP status for an internal result code. */
int psip_status_from_rc(int rc);

/** 1 if the Accept list (NULL = absent) admits @p type ("a/b"). */
int psip_accept_admits(const sip_accept_t *ac, const char *type);

/** Fresh random entity tag (hex, 32 chars + NUL) into @p buf (>= 33). */
int psip_etag_new(char *buf, size_t size);

/** Key/value "k=v\n" access into an extra string: value of @p key into @p out. */
int psip_kv_get(const char *s, const char *key, char *out, size_t size);

/* ---- engine state (SIP thread only unless said) ------------------------ */

struct psip_sub;
struct psip_pres;
struct psip_ext;	/* resource list / filter / xcap-diff state (psip_rls.c) */
struct psip_round;
struct pres_filter;

/** A live publication: its expiry timer. The document lives in the db. */
struct psip_pub {
	char etag[DB_ETAG_MAX];
	char presentity[DB_URI_MAX];
	su_timer_t *timer;
	struct psip *p;
	struct psip_pub *hnext;
};

/** A watcher change waiting to go out in a partial watcherinfo NOTIFY. */
struct psip_wchange {
	char id[17];
	char uri[DB_URI_MAX];
	int status;                   /* enum pres_winfo_status */
	char event[16];
	long duration, expiration;
	struct psip_wchange *next;
};

/** A subscription (presence or presence.winfo). Kept small: about 100,000
 *  of them stay in memory (docs/sip.md "Scale"). The strings id, presentity,
 *  watcher and event_id live in one exact-size allocation (strs, owned);
 *  the dialog in dlg; no nta leg (NOTIFYs are built from dlg, in-dialog
 *  SUBSCRIBEs are matched by id in the engine's hash); the expiry is an
 *  entry of the engine's timer heap (heap_idx). */
struct psip_sub {
	struct psip *p;
	char *strs;                   /* owned: the strings below */
	const char *id;               /* "<Call-ID>;<our tag>" */
	const char *presentity;       /* resource (normalized IMPU) */
	const char *watcher;          /* authenticated identity, normalized */
	const char *event_id;         /* Event id parameter, "" none */
	int64_t expires;              /* absolute */
	int64_t created;
	struct psip_sub *pnext;       /* in pres list */
	struct psip_sub **pprev;      /* in pres list: the pointer to this one (O(1) unlink) */
	struct psip_sub *hnext;       /* in id hash */
	struct psip_pres *pres;
	struct psip_ext *ext;         /* list, filter or xcap-diff state; NULL none (owned) */
	struct psip_wchange *wq, **wq_tail; /* changes not yet notified (owned) */
	nta_outgoing_t *orq;          /* NOTIFY in flight */
	struct psip_dialog dlg;
	uint32_t heap_idx;            /* position + 1 in the expiry heap; 0: not in it */
	uint32_t cseq;                /* CSeq of the last NOTIFY */
	uint32_t cseq_reserved;       /* local CSeq persisted as reserved up to here */
	uint32_t winfo_version;       /* next watcherinfo version (winfo subs) */
	uint8_t event;                /* enum psip_event */
	uint8_t state;                /* enum psip_state */
	uint8_t decision;             /* enum psip_decision: last pres-rules decision (presence) */
	uint8_t anonymous;            /* Privacy: id or anonymous From */
	uint8_t winfo_full;           /* next watcherinfo NOTIFY carries full state */
	uint8_t dirty;                /* another NOTIFY due when orq completes */
	uint8_t dead;                 /* terminated: freed when orq completes (2: final NOTIFY out) */
	uint8_t held;                 /* its 200 waits for a commit: NOTIFYs wait too */
	uint8_t linked;               /* in the id hash and counted */
	char reason[16];              /* Subscription-State reason when terminated */
	char winfo_event[16];         /* last watcherinfo event for this watcher */
};

/** Per-presentity index of its subscriptions. */
struct psip_pres {
	char uri[DB_URI_MAX];
	struct psip_sub *subs;        /* presence and winfo */
	unsigned n_winfo;             /* winfo subscriptions in subs: 0 spares the walk
	                               * of every watcher on each watcher change */
	struct psip_round *round;     /* cached documents and rules, or NULL */
	int reloaded;                 /* startup: already re-notified */
	struct psip_pres *hnext;
};

struct psip;
/** Called once the batch holding a request's writes is committed:
 *  @p rc is PRES_OK, or the commit failure (the batch was rolled back). */
typedef void psip_after_fn(struct psip *p, void *arg, int rc);
/** Work waiting for the commit of the write batch (psip_after_commit). */
struct psip_after {
	psip_after_fn *fn;
	void *arg;
	struct psip_after *next;
};

struct psip_docmsg {
	char *auid, *xui, *doc, *old_etag, *new_etag;
	struct psip_docmsg *next;
};

#define PSIP_HASH_SIZE 4096
/** Buckets of the subscription hash (by id): chains stay short at 100,000. */
#define PSIP_SUB_HASH_SIZE 65536
/** Presentities whose composed document, rules and bodies stay cached
 *  (first in, first out), and for how many seconds at most: every change
 *  (PUBLISH, expiry, XCAP document event) drops the cache at once; the age
 *  limit only bounds what out-of-band changes (e.g. new IMPUs) can miss. */
#define PSIP_ROUNDS_MAX 1024
#define PSIP_ROUND_TTL 30

struct psip {
	/* configuration: copies owned by the engine */
	char **listen;
	size_t n_listen;
	char *tls_dir;
	char *home_domain;
	char *realm;
	char *db_path;
	struct psip_net *trusted;
	size_t n_trusted;
	int untrusted_policy;
	unsigned digest_algs;
	unsigned min_expires, max_expires, default_expires;
	int notify_fail_policy;
	int block_policy;
	unsigned max_body;
	int sofia_log_level;
	int no_rules_policy;

	/* thread and mailbox */
	pthread_t thread;
	int wake[2];                  /* pipe: other threads -> SIP thread */
	pthread_mutex_t lock;         /* guards mq, stopping, stats */
	pthread_cond_t cond;
	struct psip_docmsg *mq_head, *mq_tail;
	int stopping;
	int started;                  /* 1 listening, -1 failed */
	struct psip_stats stats;

	/* SIP thread only */
	su_home_t home[1];
	su_root_t *root;
	nta_agent_t *agent;
	msg_mclass_t *mclass;         /* parser with P-Asserted-Identity etc. (malloc'd clone) */
	nta_leg_t *default_leg;
	su_wait_t wait[1];
	int wait_index;
	struct db *db;
	char contact[DB_URI_MAX + 32];  /* our Contact URI */
	struct psip_sub *sub_hash[PSIP_SUB_HASH_SIZE];
	/* subscription expiries: one binary min-heap on expires (psip_sub.heap_idx)
	 * and one su_timer for its top, instead of a timer per subscription */
	struct psip_sub **sub_heap;
	size_t n_sub_heap, cap_sub_heap;
	su_timer_t *sub_timer;
	int64_t sub_timer_at;         /* when sub_timer fires (0: not armed) */
	struct psip_pres *pres_hash[PSIP_HASH_SIZE];
	struct psip_pub *pub_hash[PSIP_HASH_SIZE];
	void *digest;                 /* digest engine context (psip_auth.c) */
	void *rls;                    /* lists, xcap-diff index (psip_rls.c) */
	unsigned rls_throttle_ms;     /* list NOTIFY batching window */
	su_timer_t *commit_timer;     /* ends the current write batch */
	struct psip_pres *round_ring[PSIP_ROUNDS_MAX]; /* cached rounds, FIFO */
	size_t round_next, n_rounds;
	int db_batch;                 /* a write transaction is open */
	struct psip_after *after, **after_tail; /* run after the batch's commit (owned) */

	/* WAL checkpoints in a thread of their own (psip_agent.c): the SIP
	 * thread's connection never waits for a checkpoint's fsyncs */
	pthread_t ckpt_thread;
	pthread_mutex_t ckpt_lock;    /* guards ckpt_due, ckpt_stop */
	pthread_cond_t ckpt_cond;
	struct db *ckpt_db;           /* the checkpoint thread's connection */
	int ckpt_due, ckpt_stop, ckpt_running;
};

/* psip_agent.c */
/** Group commit: call before every database write. Opens a transaction
 *  (if none is open) that psip_db_flush() commits PSIP_COMMIT_MS later, so
 *  that one commit (and one WAL write of each page) covers every change of
 *  that window. Without a transaction the write commits by itself.
 *  Writes that a SIP request asked for (PUBLISH, SUBSCRIBE) are answered
 *  through psip_after_commit(): their 2xx waits for the commit of the
 *  batch, so an answered change survives a crash of the process (the
 *  engine's connection runs synchronous=NORMAL: soft state, no fsync per
 *  transaction; power loss may lose the last moments), and one commit
 *  covers every request of the window. */
#define PSIP_COMMIT_MS 5
/** At most one WAL checkpoint per this many ms (after commits only). */
#define PSIP_CKPT_MS 500
void psip_db_batch(struct psip *p);
/** Commits the open write batch now (no-op without one), then runs the
 *  psip_after_commit() callbacks in the order they were queued.
 *  @return the commit's result (PRES_OK without a batch). */
int psip_db_flush(struct psip *p);
/** Runs @p fn(p, @p arg, rc) after the commit of the open write batch, or
 *  right away (rc PRES_OK) when no batch is open (the writes committed by
 *  themselves). @p arg stays owned by the caller (usually freed by @p fn).
 *  Out of memory: @p fn runs right away after a flush. */
void psip_after_commit(struct psip *p, psip_after_fn *fn, void *arg);
uint32_t psip_hash(const char *s);
void psip_stat_add(struct psip *p, size_t offset, int64_t delta);
#define PSIP_STAT(p, field, d) psip_stat_add((p), offsetof(struct psip_stats, field), (d))
struct psip_pres *psip_pres_get(struct psip *p, const char *uri, int create);

/* psip_auth.c: who sent the request. */
struct psip_who {
	char uri[DB_URI_MAX];     /* normalized identity ("" if anonymous and unknown) */
	char impi[DB_URI_MAX];    /* digest: the authenticated IMPI; else "" */
	int anonymous;
	int trusted;              /* came from a trusted peer */
};
/**
 * Identifies the sender. @return 0 with @p who filled; or a SIP status
 * (>= 400) already answered on @p irq (e.g. 401 challenge); the caller
 * then only destroys irq.
 */
int psip_identify(struct psip *p, nta_incoming_t *irq, const sip_t *sip, struct psip_who *who);
int psip_auth_init(struct psip *p);
void psip_auth_fini(struct psip *p);

/* psip_publish.c */
int psip_publish(struct psip *p, nta_incoming_t *irq, const sip_t *sip);
int psip_pubs_load(struct psip *p);
void psip_pubs_free(struct psip *p);

/* psip_subscribe.c */
int psip_subscribe(struct psip *p, nta_incoming_t *irq, const sip_t *sip);
int psip_subs_load(struct psip *p);
void psip_subs_free(struct psip *p);
/** The presentity's presence changed: NOTIFY every presence watcher. */
void psip_presentity_changed(struct psip *p, const char *presentity);
/** Re-evaluates pres-rules for every presence watcher of @p presentity. */
void psip_presentity_reauthorize(struct psip *p, const char *presentity);

/* psip_subscribe.c: entry points for the extensions below */
/** Sends (or queues behind the one in flight) the NOTIFY of @p s. */
void psip_sub_notify(struct psip_sub *s);
/** Ends @p s with a final NOTIFY terminated;reason=@p reason. */
void psip_sub_end(struct psip_sub *s, const char *reason);
/** Stores @p s again (after its extension state changed). */
void psip_sub_store(struct psip_sub *s);

/* psip_rls.c, psip_filter.c, psip_xcapdiff.c: resource lists (RFC 4662),
 * filters (RFC 4660/4661), xcap-diff (RFC 5875). Hooks called by
 * psip_subscribe.c / psip_agent.c. */
int psip_rls_init(struct psip *p);
void psip_rls_fini(struct psip *p);
/** PRES_OK if @p uri is a resource list service of some rls-services doc. */
int psip_rls_is_service(struct psip *p, const char *uri);
/**
 * Extension checks of a new SUBSCRIBE (after identity): list service
 * (421/403), xcap-diff (body, ownership: 403/415/400), filter body
 * (415/400/488). @return 0: go on (*@p ext set or NULL; *@p authorized 1
 * when the extension already authorized the subscriber); > 0: answered
 * with that status (irq destroyed).
 */
int psip_ext_admit(struct psip *p, nta_incoming_t *irq, const sip_t *sip,
    enum psip_event ev, const char *resource, const struct psip_who *who,
    struct psip_ext **ext, int *authorized);
/** A refresh SUBSCRIBE in the dialog (new filter?): 0 go on; > 0 answered. */
int psip_ext_refresh(struct psip_sub *s, nta_incoming_t *irq, const sip_t *sip);
/** Called once @p s is linked (and stored): starts list members etc. */
void psip_ext_attach(struct psip_sub *s);
/** 1 if the subscription is a resource list subscription. */
int psip_ext_is_list(const struct psip_ext *x);
/** NOTIFY body of an extension subscription. */
struct psip_ext_body {
	char *body;          /* malloc'd or NULL */
	char *ctype;         /* malloc'd or NULL */
	const char *require; /* static or NULL ("eventlist") */
};
/** @return 1 if the extension produced the body (maybe none), 0: default. */
int psip_ext_notify_body(struct psip_sub *s, struct psip_round *r, struct psip_ext_body *b);
/** 1 if a presence change should be notified to @p s (filter triggers). */
int psip_ext_wants(struct psip_sub *s, struct psip_round *r);
/** "k=v\n" lines to store in db_sub.extra (malloc'd, NULL none). */
char *psip_ext_save(const struct psip_ext *x);
/** Restores the extension of a reloaded subscription from its extra. */
int psip_ext_load(struct psip_sub *s, const char *extra);
void psip_ext_free(struct psip_sub *s);
/** A presentity's presence (or, @p reauth, its rules) changed. */
void psip_rls_member_changed(struct psip *p, const char *presentity, int reauth);
/** An XCAP document changed (SIP thread). */
void psip_ext_doc_changed(struct psip *p, const char *auid, const char *xui,
    const char *doc, const char *old_etag, const char *new_etag);

/* list expansion (pure, unit-tested) */
struct psip_rls_member {
	char uri[DB_URI_MAX];
	char name[128];
};
struct psip_rls_list {
	struct psip_rls_member *m;   /* malloc'd */
	size_t n, cap;
	char name[128];              /* display name of the list/service */
	char deps[8][DB_URI_MAX];    /* XUIs whose documents were read */
	size_t n_deps;
	unsigned cycles, dups, unresolved;
};
/** Fetches a stored document: PRES_OK with *@p out filled (db_doc_clear). */
typedef int (*psip_doc_get_cb)(void *arg, const char *auid, const char *xui,
    const char *name, struct db_doc *out);
/**
 * Expands service @p service_uri of an rls-services document into its
 * members (nested lists, entry-ref, external references into this store;
 * cycles cut, duplicates merged). PRES_ENOTFOUND: no such presence
 * service in the document. Clear @p out with psip_rls_list_clear().
 */
int psip_rls_expand(const char *rls_doc, size_t len, const char *service_uri,
    psip_doc_get_cb get, void *arg, struct psip_rls_list *out);
void psip_rls_list_clear(struct psip_rls_list *l);
/** One resource of a list NOTIFY (fields borrowed). state: enum
 *  pres_rlmi_state; body: the member's presence document (active only). */
struct psip_rls_part {
	const char *uri, *name, *inst;
	int state;
	const char *reason;
	const char *body;
	size_t len;
};
/**
 * Builds a list NOTIFY body: multipart/related (random boundary) whose root
 * part is the RLMI document (list @p list_uri, @p version, full or partial
 * state) and one application/pidf+xml part per active resource with a body
 * (Content-ID "<inst>@<domain>"). *@p body and *@p ctype are malloc'd
 * (caller frees).
 */
int psip_rls_body(const char *list_uri, unsigned version, int full, const char *name,
    const struct psip_rls_part *r, size_t n, const char *domain, char **body, char **ctype);
/** Splits an XCAP URI ".../<auid>/users/<xui>/<doc>[/~~/<sel>]" (absolute
 *  or relative): decoded parts into the buffers (doc/sel may be ""). */
int psip_xcap_uri_split(const char *uri, char *root, size_t root_size, char *auid,
    size_t auid_size, char *xui, size_t xui_size, char *doc, size_t doc_size,
    char *sel, size_t sel_size);

/* psip_xcapdiff.c */
struct psip_xd;
int psip_xd_admit(struct psip *p, const sip_t *sip, const char *resource,
    const struct psip_who *who, struct psip_xd **out);
void psip_xd_free(struct psip_xd *x);
char *psip_xd_save(const struct psip_xd *x);
int psip_xd_load(struct psip *p, const char *extra, struct psip_xd **out);
/** Queues a change when @p x watches the document; 1 if queued. */
int psip_xd_change(struct psip_xd *x, const char *auid, const char *xui,
    const char *doc, const char *old_etag, const char *new_etag);
/** Body: full state (every watched document) or the queued changes. */
char *psip_xd_body(struct psip *p, struct psip_xd *x, int full);

/** 1 if @p who is the subscriber owning @p xui (one of its IMPUs or its IMPI). */
int psip_rls_owns(struct psip *p, const struct psip_who *who, const char *xui);

/* psip_filter.c */
/** Base64 (no newlines) of @p len bytes: malloc'd, NULL on failure. */
char *psip_b64_encode(const char *in, size_t len);
/** Decodes base64 into a malloc'd NUL-terminated buffer; NULL if invalid. */
char *psip_b64_decode(const char *in, size_t *len);
/** Filter from a SUBSCRIBE body: 0 (none or *@p out set) or SIP status. */
int psip_filter_from_request(const sip_t *sip, char **xml_out, struct pres_filter **out);

/* psip_body.c: documents through presence/ */
/** pres-rules decision for a watcher of a presentity. */
enum psip_decision psip_body_decide(struct psip *p, const char *presentity,
    const char *watcher, int anonymous, char *tkey, size_t tkey_size);
/** Round: the presentity's composed document, its pres-rules and its
 *  bodies per transformation, cached in its psip_pres between changes.
 *  psip_round_new() returns a reference (cached or new), psip_round_free()
 *  drops it. */
struct psip_round;
struct psip_round *psip_round_new(struct psip *p, const char *presentity);
void psip_round_free(struct psip_round *r);
/** The presentity's presence, rules or lists changed: drops its cache. */
void psip_round_invalidate(struct psip *p, const char *presentity);
/** 1 if @p uri is the round's presentity or another IMPU of its subscriber. */
int psip_round_owns(const struct psip_round *r, const char *uri);
/** pres-rules decision for a watcher within a round. */
enum psip_decision psip_round_decide(struct psip_round *r, const char *watcher, int anonymous);
/** Body for a watcher; borrowed until psip_round_free. NULL = no body. */
const char *psip_round_body(struct psip_round *r, const struct psip_sub *s);
/** Queues a snapshot of presence subscription @p changed on winfo
 *  subscription @p w for the next partial NOTIFY. */
int psip_winfo_queue(struct psip_sub *w, const struct psip_sub *changed);
/** Drops the queued changes of @p w. */
void psip_winfo_clear(struct psip_sub *w);
/** Watcherinfo document for a winfo subscription: full state, or partial
 *  with the queued changes (consumed). malloc'd (caller frees); NULL on error. */
char *psip_body_winfo(struct psip *p, struct psip_sub *w, int full);

#endif
