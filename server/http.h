/*
 * http.h - presenced's HTTP(S) front end on libmicrohttpd (GnuTLS inside):
 * listeners for Ut/XCAP (TLS), the embedded BSF (Ub) and the AP role. Owns
 * the TLS policy of TS 33.141 / TS 33.222: >=128-bit AEAD/CBC suites, TLS 1.2
 * and 1.3 only, session resumption by session ID and by ticket with a
 * bounded lifetime, SNI certificates, optional client-certificate request.
 */
#ifndef PRES_HTTP_H
#define PRES_HTTP_H

#include <stddef.h>

struct http_srv;

#define HTTP_MAX_RESP_HEADERS 40   /* the AP passes an AS's headers through */

/** One request as the handler sees it; everything borrowed until the handler returns. */
struct http_req {
	const char *method;
	const char *target;      /* raw request-target, percent-encoded, with query */
	const char *body;        /* complete body (NUL-terminated copy), may be "" */
	size_t body_len;
	const char *peer;        /* client IP address */
	int tls;                 /* 1 if received over TLS */
	unsigned cipher_suite;   /* IANA code of the negotiated suite (0x1301, 0xC02F...) */
	int tls_version;         /* 12 or 13 */
	int resumed;             /* TLS session was resumed */
	const char *sni;         /* server name the client asked for, or NULL */
	int client_cert;         /* client presented a certificate */
	int client_cert_verified; /* ...and it verifies against tls.client_ca */
	void *conn;              /* libmicrohttpd connection (for http_req_header) */
	unsigned long id;        /* request id for log lines */
};

/** A request header value (case-insensitive name) or NULL. Borrowed. */
const char *http_req_header(const struct http_req *rq, const char *name);

/**
 * Calls @p cb for every request header, in order (repeated names included).
 * @p cb returns 0 to go on, non-zero to stop. Returns the headers visited.
 */
int http_req_headers(const struct http_req *rq,
    int (*cb)(void *arg, const char *name, const char *value), void *arg);

/** The handler's answer; set status, and optionally body/headers (owned, freed by http/). */
struct http_resp {
	int status;
	char *body;                 /* malloc'd or NULL */
	size_t body_len;
	char content_type[128];
	size_t n_headers;
	char *hname[HTTP_MAX_RESP_HEADERS]; /* malloc'd */
	char *hvalue[HTTP_MAX_RESP_HEADERS];
};
/** Adds a response header (copied). Returns 0 or PRES_ETOOBIG/ENOMEM. */
int http_resp_header(struct http_resp *rs, const char *name, const char *value);
/** Sets a body (copied) and its Content-Type. */
int http_resp_body(struct http_resp *rs, const char *ctype, const char *body, size_t len);

typedef void (*http_handler_cb)(void *arg, const struct http_req *rq, struct http_resp *rs);

struct http_vhost_cfg { const char *name, *cert_file, *key_file; };

struct http_srv_cfg {
	const char *name;              /* for log lines: "xcap", "bsf", "ap" */
	const char *addr;
	int port;
	int tls;
	const char *cert_file, *key_file;  /* default certificate */
	const struct http_vhost_cfg *vhosts; size_t n_vhosts;
	int require_encryption;
	const char *priorities;        /* override, or NULL for the built-in policy */
	int session_lifetime;          /* seconds, 0 disables resumption */
	int ticket_rotation;           /* seconds */
	int request_client_cert;
	const char *client_ca_file;
	int threads;
	int connection_limit;
	int connection_timeout;
	size_t max_body;
};

/** Starts a listener. NULL on failure (logged). */
struct http_srv *http_start(const struct http_srv_cfg *cfg, http_handler_cb cb, void *arg);
/** Stops accepting, finishes in-flight requests, frees. */
void http_stop(struct http_srv *s);
/** The port actually bound (useful with port 0). */
int http_port(const struct http_srv *s);
/** The GnuTLS priority string the built-in policy uses. */
const char *http_tls_priorities(int require_encryption);

#endif
