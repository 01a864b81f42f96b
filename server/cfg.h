/*
 * cfg.h - presenced configuration: parsed once (libconfuse) into an
 * immutable struct pres_cfg. Errors name the file, the line and the option.
 */
#ifndef PRES_CFG_H
#define PRES_CFG_H

#include <stddef.h>

#define CFG_MAX_LIST 16

struct cfg_vhost {
	char *name;          /* host name (SNI / Host) */
	char *cert_file;
	char *key_file;
};

/* One application server behind the Authentication Proxy (ap { as "name" { } }). */
struct cfg_ap_as {
	char *name;          /* AS host name the UE uses (SNI / Host); NAF FQDN at the AP */
	char *upstream;      /* https://host[:port][/prefix], or http://IP:port inside trust_domain */
	char *address;       /* optional: IP to connect to (upstream host kept for TLS) */
	char *ca_file;       /* CA verifying this AS (default ap.ca) */
	char *cert_file;     /* optional: this name's certificate at the AP (SNI) */
	char *key_file;
	int trusted;         /* AS inside the trust domain */
	int assert_identity; /* send X-3GPP-Asserted-Identity (trusted only) */
};

struct pres_cfg {
	char *file;                /* path the config was read from */
	char *home_domain;
	int log_level;
	int log_syslog;
	char *pidfile;
	char *db_path;

	struct {
		size_t n_listen;
		char *listen[CFG_MAX_LIST];   /* SIP URIs with transport params */
		char *tls_dir;                /* sofia-sip TLS dir (agent.pem, cafile.pem) */
		size_t n_trusted;
		char *trusted_peers[CFG_MAX_LIST];
		int untrusted_challenge;      /* 1 = challenge with digest, 0 = refuse */
		int min_expires, max_expires, default_expires;
		int notify_fail_terminate;
		int no_pres_rules;            /* no pres-rules document: 0 confirm, 1 block, 2 allow */
		int blocked_terminate;        /* blocked watcher: 0 = 403, 1 = 200 + NOTIFY terminated */
		int rls_throttle;             /* resource list NOTIFY batching window, ms */
		int enabled;
	} sip;

	struct {
		char *listen_addr;
		int port;
		char *fqdn;                   /* NAF FQDN, the host clients use */
		char *root;                   /* "/xcap-root" */
		int tls;                      /* 0 only for an AP on loopback */
		size_t max_body;
		char *cert_file, *key_file, *ca_file;
		size_t n_vhosts;
		struct cfg_vhost vhosts[CFG_MAX_LIST];
		char *schema_dir;
		int threads;
		int connection_limit;
		int connection_timeout;
	} xcap;

	struct {
		int require_encryption;
		char *priorities;             /* GnuTLS priority string (advanced) */
		int session_lifetime;         /* seconds, at most 86400 */
		int ticket_rotation;          /* seconds */
		int request_client_cert;
		char *client_ca_file;
	} tls;

	struct {
		int gba;                      /* GBA digest (B-TID / Ks_NAF) */
		int digest;                   /* provisioned-password digest */
		char *realm;
		int nonce_lifetime;
		int allow_impu_username;
		int max_auth_age;             /* seconds, 0 = unlimited */
		char *nonce_secret_file;      /* shared across nodes; random if unset */
		size_t n_ap_peers;
		char *ap_peers[CFG_MAX_LIST]; /* AP addresses trusted for X-3GPP-Asserted-Identity */
		int check_asserted_identity;
		int fail_limit, fail_window, fail_block;
		int ap_require_client_cert;   /* AP peers on TLS must show a verified client cert */
	} auth;

	struct {
		int enabled;
		char *listen_addr;
		int port;
		char *name;                   /* BSF FQDN: B-TID domain */
		char *realm;                  /* Ub digest realm */
		int key_lifetime;
	} bsf;

	struct {                              /* Authentication Proxy role (TS 33.141 5.1.4) */
		int enabled;
		char *listen_addr;
		int port;
		char *cert_file, *key_file;   /* default certificate (e.g. one with every AS name) */
		char *ca_file;                /* verifies AS certificates */
		char *client_cert_file, *client_key_file; /* the AP's client certificate to AS */
		char *source_address;         /* local address of upstream connections */
		size_t n_trust_domain;
		char *trust_domain[CFG_MAX_LIST]; /* plain-HTTP upstream allowed only to these */
		int threads, connection_limit, connection_timeout;
		size_t max_body, max_response;
		int upstream_connect_timeout; /* ms */
		int upstream_timeout;         /* ms */
		int upstream_max_inflight;    /* per AS */
		size_t n_as;
		struct cfg_ap_as as[CFG_MAX_LIST];
	} ap;
};

/**
 * Parses @p file. On error prints "file:line: message" lines through the
 * log and returns NULL. The result is immutable; free with pres_cfg_free().
 */
struct pres_cfg *pres_cfg_load(const char *file);
void pres_cfg_free(struct pres_cfg *c);

#endif
