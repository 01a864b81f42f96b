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
	} auth;

	struct {
		int enabled;
		char *listen_addr;
		int port;
		char *name;                   /* BSF FQDN: B-TID domain */
		char *realm;                  /* Ub digest realm */
		int key_lifetime;
	} bsf;
};

/**
 * Parses @p file. On error prints "file:line: message" lines through the
 * log and returns NULL. The result is immutable; free with pres_cfg_free().
 */
struct pres_cfg *pres_cfg_load(const char *file);
void pres_cfg_free(struct pres_cfg *c);

#endif
