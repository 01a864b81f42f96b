/* wire.c - module wiring (temporary: HTTP listeners only). */
#include "wire.h"
#include "http.h"
#include "pres.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

struct wire {
	const struct pres_cfg *cfg;
	struct http_srv *xcap_srv;
};

static int readable(const char *what, const char *path)
{
	if (path && access(path, R_OK) == 0)
		return 1;
	log_errx("%s: cannot read %s", what, path ? path : "(unset)");
	return 0;
}

int wire_check(const struct pres_cfg *cfg)
{
	int ok = 1;
	if (cfg->xcap.tls) {
		ok &= readable("xcap.certificate", cfg->xcap.cert_file);
		ok &= readable("xcap.key", cfg->xcap.key_file);
		for (size_t i = 0; i < cfg->xcap.n_vhosts; i++) {
			ok &= readable("xcap.vhost certificate", cfg->xcap.vhosts[i].cert_file);
			ok &= readable("xcap.vhost key", cfg->xcap.vhosts[i].key_file);
		}
	}
	return ok ? 0 : -1;
}

static void xcap_handler(void *arg, const struct http_req *rq, struct http_resp *rs)
{
	(void)arg;
	log_info("xcap: req=%lu peer=%s %s %s suite=%04x tls1.%d resumed=%d", rq->id, rq->peer,
	    rq->method, rq->target, rq->cipher_suite, rq->tls_version - 10, rq->resumed);
	rs->status = 503;
	http_resp_body(rs, "text/plain", "not wired\n", 10);
}

int wire_start(const struct pres_cfg *cfg, struct wire **out)
{
	struct wire *w = calloc(1, sizeof(*w));
	struct http_vhost_cfg vh[CFG_MAX_LIST];
	if (!w)
		return EX_OSERR;
	w->cfg = cfg;
	for (size_t i = 0; i < cfg->xcap.n_vhosts; i++) {
		vh[i].name = cfg->xcap.vhosts[i].name;
		vh[i].cert_file = cfg->xcap.vhosts[i].cert_file;
		vh[i].key_file = cfg->xcap.vhosts[i].key_file;
	}
	struct http_srv_cfg hc = {
		.name = "xcap", .addr = cfg->xcap.listen_addr, .port = cfg->xcap.port,
		.tls = cfg->xcap.tls, .cert_file = cfg->xcap.cert_file, .key_file = cfg->xcap.key_file,
		.vhosts = vh, .n_vhosts = cfg->xcap.n_vhosts,
		.require_encryption = cfg->tls.require_encryption, .priorities = cfg->tls.priorities,
		.session_lifetime = cfg->tls.session_lifetime, .ticket_rotation = cfg->tls.ticket_rotation,
		.request_client_cert = cfg->tls.request_client_cert, .client_ca_file = cfg->tls.client_ca_file,
		.threads = cfg->xcap.threads, .connection_limit = cfg->xcap.connection_limit,
		.connection_timeout = cfg->xcap.connection_timeout, .max_body = cfg->xcap.max_body,
	};
	w->xcap_srv = http_start(&hc, xcap_handler, w);
	if (!w->xcap_srv) {
		free(w);
		return EX_UNAVAILABLE;
	}
	*out = w;
	return 0;
}

void wire_stop(struct wire *w)
{
	if (!w)
		return;
	http_stop(w->xcap_srv);
	free(w);
}
