/*
 * psip.h - the SIP presence engine of presenced (IMS presence AS, 3GPP TS
 * 24.141): PUBLISH (RFC 3903), SUBSCRIBE/NOTIFY (RFC 6665, RFC 3856) for the
 * "presence" event and watcher information (RFC 3857/3858,
 * "presence.winfo"), on sofia-sip's transaction layer (nta).
 *
 * The engine runs in its own thread on one su_root loop and owns all
 * subscription and publication state; it opens its own database connection.
 * Other threads talk to it only through psip_doc_changed(), psip_stats()
 * and psip_stop(), which are thread-safe.
 *
 * Prefix psip_ (sofia-sip owns sip_, nta_, su_ ...).
 */
#ifndef PSIP_H
#define PSIP_H

#include <stddef.h>
#include <stdint.h>

struct psip;

/** What to do with a request whose sender is not a trusted peer. */
enum psip_untrusted_policy {
	PSIP_UNTRUSTED_CHALLENGE = 0, /* 401 + SIP Digest against provisioned HA1 */
	PSIP_UNTRUSTED_REFUSE = 1,    /* 403 */
};

/** What a NOTIFY failure does to its subscription. */
enum psip_notify_fail_policy {
	PSIP_NOTIFY_FAIL_TERMINATE = 0, /* 481, 408 and other 4xx-6xx except 491/503 end it */
	PSIP_NOTIFY_FAIL_481_ONLY = 1,  /* only 481 ends it; timeouts are tolerated */
};

/** How a watcher that the pres-rules "block" is answered. */
enum psip_block_policy {
	PSIP_BLOCK_403 = 0,        /* SUBSCRIBE answered 403 */
	PSIP_BLOCK_TERMINATE = 1,  /* 200, then NOTIFY terminated;reason=rejected */
};

/** What a presence SUBSCRIBE gets when the presentity has no pres-rules
 *  document at all (a document without a matching rule always blocks,
 *  RFC 4745 §10 / RFC 5025). */
enum psip_norules_policy {
	PSIP_NORULES_CONFIRM = 0,  /* pending until the presentity decides (RFC 3856 §6.6) */
	PSIP_NORULES_BLOCK = 1,    /* as if an empty ruleset existed */
	PSIP_NORULES_ALLOW = 2,    /* everything to everyone (labs, demos) */
};

/**
 * Engine configuration. Every pointer is borrowed for the duration of
 * psip_start() only: the engine copies what it keeps. Zero values take the
 * documented defaults (docs/sip.md).
 */
struct psip_cfg {
	/** Transports, e.g. "sip:127.0.0.1:5060;transport=udp",
	 *  "sip:127.0.0.1:5060;transport=tcp", "sips:127.0.0.1:5061;transport=tls",
	 *  "sip:[::1]:5060". At least one. */
	const char *const *listen_uris;
	size_t n_listen;
	/** Directory with agent.pem (key + certificate) and cafile.pem for
	 *  TLS transports (sofia tport convention). NULL: no TLS. */
	const char *tls_dir;
	/** Home domain, e.g. "ims.example.com" (informational; in Contact if no
	 *  listen host). */
	const char *home_domain;
	/** Trusted peers (P-CSCF/S-CSCF): IPv4/IPv6 addresses or CIDRs.
	 *  Requests from them are identified by P-Asserted-Identity. */
	const char *const *trusted_peers;
	size_t n_trusted;
	/** SQLite database path (the engine opens its own connection). */
	const char *db_path;
	/** enum psip_untrusted_policy. */
	int untrusted_policy;
	/** Digest realm for challenges (default: home_domain). */
	const char *digest_realm;
	/** Digest algorithms offered: mask of auth.h enum auth_alg
	 *  (0: SHA-256 and MD5, SHA-256 listed first as RFC 8760 asks; set
	 *  AUTH_ALG_MD5 alone for UAs that stop at the first challenge). */
	unsigned digest_algs;
	/** Subscription and publication Expires bounds in seconds
	 *  (defaults 60, 86400, 3600). */
	unsigned min_expires, max_expires, default_expires;
	/** enum psip_notify_fail_policy. */
	int notify_fail_policy;
	/** enum psip_block_policy. */
	int block_policy;
	/** Largest accepted PUBLISH body in bytes (default 65536). */
	unsigned max_body;
	/** sofia-sip log level 0..9 for tport/nta debugging (default 0). */
	int sofia_log_level;
	/** enum psip_norules_policy (default confirm). */
	int no_rules_policy;
	/** Resource list subscriptions (RFC 4662): changes of the members
	 *  within this window (milliseconds) go out in one NOTIFY per list
	 *  subscription (default 1000). */
	unsigned rls_throttle_ms;
};

/**
 * Starts the engine: creates the SIP thread with its su_root and nta agent,
 * binds every transport, opens the database, reloads stored publications
 * and subscriptions (and sends every surviving watcher a NOTIFY). Returns
 * when the engine listens.
 * @return the engine (free with psip_stop()), or NULL on failure (logged).
 */
struct psip *psip_start(const struct psip_cfg *cfg);

/** Stops the SIP thread and frees the engine. Stored state stays in the
 *  database for the next start. NULL is accepted. */
void psip_stop(struct psip *p);

/**
 * Thread-safe: tells the engine that an XCAP document changed (after the
 * commit). Strings are copied; any may be NULL except @p auid and @p xui.
 * For pres-rules, pidf-manipulation and resource-lists documents the
 * presentity's subscriptions are re-evaluated and notified.
 * @p doc is the document name below the XUI (e.g. "index").
 */
void psip_doc_changed(struct psip *p, const char *auid, const char *xui,
    const char *doc, const char *old_etag, const char *new_etag);

/** Counters, read atomically from any thread. */
struct psip_stats {
	uint64_t requests;           /* SIP requests received */
	uint64_t publishes_ok;       /* PUBLISH answered 2xx */
	uint64_t subscribes_ok;      /* SUBSCRIBE answered 2xx */
	uint64_t notifies_sent;
	uint64_t notifies_failed;    /* NOTIFY answered >= 300 or timed out */
	uint64_t publications;       /* live publications (with a timer) */
	uint64_t subscriptions;      /* live presence subscriptions */
	uint64_t winfo_subscriptions;/* live presence.winfo subscriptions */
	uint64_t pending_subscriptions; /* of which waiting for authorization */
};

/** Copies the current counters into @p out. PRES_OK or PRES_EINVAL. */
int psip_stats(struct psip *p, struct psip_stats *out);

#endif
