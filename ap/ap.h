/*
 * ap.h - the forwarding half of the Authentication Proxy (TS 33.141 5.1.4 /
 * 6.1.3, TS 33.222 clause 6): a reverse proxy from AS host names (virtual
 * hosts) to their upstream URLs, over libcurl.
 *
 * The AP's other half, the GBA authentication of the UE and the choice of
 * the asserted identity, lives in server/wire.c (the same code path as the
 * XCAP server). This module only forwards: it removes the headers the UE
 * must not send to an AS (X-3GPP-Asserted-Identity, X-3GPP-Intended-
 * Identity, Authorization, hop-by-hop headers), inserts the asserted
 * identity for an AS in the trust domain that wants it, bounds time, size
 * and concurrency, and maps upstream failures to 502/504.
 *
 * Threads: ap_forward() may be called from any number of threads at once.
 * Each thread keeps its own libcurl easy handle per AS (thread-specific
 * data), so upstream connections are kept alive and never shared between
 * concurrent requests. The calls block the calling thread (a libmicrohttpd
 * worker) for at most the configured upstream timeout.
 */
#ifndef PRES_AP_H
#define PRES_AP_H

#include <stddef.h>

#define AP_MAX_AS 16
#define AP_MAX_RESP_HEADERS 64
#define AP_ASSERTED "X-3GPP-Asserted-Identity"
#define AP_INTENDED "X-3GPP-Intended-Identity"

/** One application server behind the AP; strings borrowed by ap_new(). */
struct ap_as_cfg {
	const char *name;            /* AS host name the UE uses (SNI / Host) */
	const char *upstream;        /* "https://host[:port][/prefix]" or "http://IP:port[/prefix]" */
	const char *address;         /* optional IP to connect to instead of resolving
	                              * the upstream host (the name stays for TLS) */
	int trusted;                 /* AS inside the operator's trust domain */
	int assert_identity;         /* send X-3GPP-Asserted-Identity (needs trusted) */
	const char *ca_file;         /* CA bundle verifying the AS (NULL: ap_cfg.ca_file) */
};

/** AP forwarding configuration; strings borrowed by ap_new() (copied). */
struct ap_cfg {
	const struct ap_as_cfg *as;
	size_t n_as;                 /* 1..AP_MAX_AS */
	const char *const *trust_domain; /* addresses / CIDR prefixes: plain HTTP upstream */
	size_t n_trust_domain;       /* is allowed only to these */
	const char *ca_file;         /* default CA bundle for AS certificates (NULL: system) */
	const char *client_cert_file, *client_key_file; /* the AP's TLS client certificate */
	const char *source_address;  /* local IP of upstream connections, or NULL */
	long connect_timeout_ms;     /* 0 = 5000 */
	long timeout_ms;             /* whole upstream exchange; 0 = 30000 */
	size_t max_response;         /* response body bound; 0 = 4 MiB */
	int max_inflight;            /* concurrent requests per AS; 0 = 64 */
};

struct ap;

/**
 * Validates @p cfg and creates the forwarder (calls curl_global_init).
 * Refused: unknown scheme, malformed URL, plain HTTP to a host that is not
 * an IP literal inside the trust domain, assert_identity on an AS outside
 * the trust domain, duplicate names.
 * @param err  OUT: why it was refused (for the log)
 * @return the forwarder (free with ap_free()) or NULL.
 */
struct ap *ap_new(const struct ap_cfg *cfg, char *err, size_t errsize);
/** Frees @p ap (NULL allowed). Call after every thread using it stopped. */
void ap_free(struct ap *ap);

/**
 * The AS configured for @p host (a Host header value or SNI name; a ":port"
 * suffix and a trailing dot are ignored, case-insensitive).
 * @return its index, or -1.
 */
int ap_lookup(const struct ap *ap, const char *host);
/** Number of AS. */
size_t ap_count(const struct ap *ap);
/** Configured host name of AS @p idx (borrowed). */
const char *ap_as_name(const struct ap *ap, int idx);
/** 1 if AS @p idx receives the asserted identity (trusted and enabled). */
int ap_as_gets_identity(const struct ap *ap, int idx);

struct ap_header { const char *name, *value; };

/** A request to forward; everything borrowed for the call. */
struct ap_request {
	const char *method;
	const char *target;              /* request-target as received (path?query) */
	const struct ap_header *headers; /* the UE's headers, in order */
	size_t n_headers;
	const char *body;
	size_t body_len;
	const char *asserted_identity;   /* IMPU to assert, or NULL (never sent to
	                                  * an AS outside the trust domain) */
};

/** The answer; owned by the caller, release with ap_response_clear(). */
struct ap_response {
	int status;                       /* upstream status, or 502/503/504 */
	int upstream_failed;              /* 1: status made by the AP (see error) */
	char error[160];                  /* why, for the log */
	char content_type[128];
	size_t n_headers;                 /* end-to-end headers of the upstream answer */
	char *hname[AP_MAX_RESP_HEADERS];
	char *hvalue[AP_MAX_RESP_HEADERS];
	char *body;                       /* malloc'd, NUL-terminated, or NULL */
	size_t body_len;
	long elapsed_ms;
};

/**
 * Forwards @p rq to AS @p idx and fills @p out. Always fills a status:
 * the upstream one, or 502 (connect/TLS/protocol failure, response too
 * large), 504 (timeout), 503 (too many requests in flight to this AS).
 * @return PRES_OK if the AS answered, PRES_EIO / PRES_EAGAIN otherwise,
 *  PRES_EINVAL for a bad index or request.
 */
int ap_forward(struct ap *ap, int idx, const struct ap_request *rq, struct ap_response *out);
/** Frees what @p r holds and empties it. */
void ap_response_clear(struct ap_response *r);

/** 1 if @p name is a hop-by-hop header (RFC 9110 7.6.1; Proxy-*, Keep-Alive, TE...). */
int ap_header_is_hop_by_hop(const char *name);
/**
 * 1 if the UE's header @p name goes to the AS: not hop-by-hop, not named
 * in the request's Connection header (@p connection, may be NULL), not
 * Host/Content-Length/Expect (libcurl writes them), and not one of
 * Authorization, X-3GPP-Asserted-Identity, X-3GPP-Intended-Identity.
 */
int ap_header_forwardable(const char *name, const char *connection);
/**
 * 1 if @p addr (IPv4/IPv6 literal) is in @p list (addresses or CIDR
 * prefixes), else 0.
 */

#endif
