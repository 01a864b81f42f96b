/*
 * http.c - libmicrohttpd front end with the Ut TLS policy.
 *
 * Session resumption: libmicrohttpd 0.9.75 does none by itself. When a
 * connection starts (MHD_CONNECTION_NOTIFY_STARTED, before the handshake) we
 * enable server session tickets with a process-wide master key and install a
 * shared session-ID cache; gnutls_db_set_cache_expiration bounds both.
 */
#include "http.h"
#include "pres.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ---- session-ID cache (TLS 1.2) --------------------------------------- */

#define SCACHE_SLOTS 4096

struct scache_ent {
	unsigned char key[64];
	unsigned key_len;
	unsigned char *data;
	unsigned data_len;
	int64_t expires;
};

struct scache {
	pthread_mutex_t mu;
	int lifetime;
	struct scache_ent ent[SCACHE_SLOTS];
};

static unsigned scache_slot(const unsigned char *k, unsigned n)
{
	unsigned h = 2166136261u;
	for (unsigned i = 0; i < n; i++)
		h = (h ^ k[i]) * 16777619u;
	return h % SCACHE_SLOTS;
}

static int scache_store(void *ptr, gnutls_datum_t key, gnutls_datum_t data)
{
	struct scache *c = ptr;
	if (key.size > sizeof(c->ent[0].key) || data.size > 64 * 1024)
		return -1;
	unsigned char *copy = malloc(data.size);
	if (!copy)
		return -1;
	memcpy(copy, data.data, data.size);
	pthread_mutex_lock(&c->mu);
	struct scache_ent *e = &c->ent[scache_slot(key.data, key.size)];
	if (e->data) {
		gnutls_memset(e->data, 0, e->data_len);
		free(e->data);
	}
	memcpy(e->key, key.data, key.size);
	e->key_len = key.size;
	e->data = copy;
	e->data_len = data.size;
	e->expires = pres_now() + c->lifetime;
	pthread_mutex_unlock(&c->mu);
	return 0;
}

static gnutls_datum_t scache_retrieve(void *ptr, gnutls_datum_t key)
{
	struct scache *c = ptr;
	gnutls_datum_t r = { NULL, 0 };
	if (key.size > sizeof(c->ent[0].key))
		return r;
	pthread_mutex_lock(&c->mu);
	struct scache_ent *e = &c->ent[scache_slot(key.data, key.size)];
	if (e->data && e->key_len == key.size && memcmp(e->key, key.data, key.size) == 0) {
		if (e->expires > pres_now()) {
			r.data = gnutls_malloc(e->data_len);
			if (r.data) {
				memcpy(r.data, e->data, e->data_len);
				r.size = e->data_len;
			}
		} else {
			gnutls_memset(e->data, 0, e->data_len);
			free(e->data);
			e->data = NULL;
		}
	}
	pthread_mutex_unlock(&c->mu);
	return r;
}

static int scache_remove(void *ptr, gnutls_datum_t key)
{
	struct scache *c = ptr;
	if (key.size > sizeof(c->ent[0].key))
		return -1;
	pthread_mutex_lock(&c->mu);
	struct scache_ent *e = &c->ent[scache_slot(key.data, key.size)];
	if (e->data && e->key_len == key.size && memcmp(e->key, key.data, key.size) == 0) {
		gnutls_memset(e->data, 0, e->data_len);
		free(e->data);
		e->data = NULL;
	}
	pthread_mutex_unlock(&c->mu);
	return 0;
}

/* Per-connection TLS context (the GnuTLS session pointer). */
struct conn_ctx {
	struct http_srv *srv;
	int hs_done;
	int ecdsa_ok;        /* the ClientHello allows an ECDSA server certificate */
	int cert_state;      /* client certificate: 0 not checked yet, 1 verified, -1 not */
	int fd;              /* the socket, when push_vec writes it; else -1 */
	char peer[INET6_ADDRSTRLEN];
};

/* ---- sending a small response as one TCP segment ---------------------- */

#define HTTP_ONE_SEGMENT 8192    /* body bytes; header + body stay below 16 KiB,
                                  * i.e. under two TLS records */

/*
 * libmicrohttpd writes a response's header and body with two
 * gnutls_record_send() calls: two TLS records, two sendmsg(), and on
 * TCP_NODELAY sockets two segments, each one a wake-up of the peer (and,
 * on loopback, a trip through the receive path). For a complete response
 * that fits in one segment, the header record leaves with MSG_MORE, so the
 * kernel sends it together with the body record that follows at once.
 * Which connection's next record is a header is per worker thread: the
 * handler queues the response and libmicrohttpd writes it from the same
 * thread. The flag never outlives that response (cleared by the first
 * record written, the completion callback and the connection's close), and
 * libmicrohttpd pushes (TCP_NODELAY) after the last byte of a response, so
 * nothing can stay held back.
 */
static _Thread_local int more_fd = -1;

static ssize_t push_vec(gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt)
{
	int fd = (int)(intptr_t)ptr;
	int flags = MSG_NOSIGNAL;
	struct msghdr m;
	memset(&m, 0, sizeof(m));
	m.msg_iov = (struct iovec *)(uintptr_t)iov;   /* giovec_t has struct iovec's layout */
	m.msg_iovlen = (size_t)iovcnt;
	if (fd == more_fd) {
		flags |= MSG_MORE;
		more_fd = -1;
	}
	return sendmsg(fd, &m, flags);
}

/* ---- certificates (default + SNI virtual hosts) ----------------------- */

struct cert_ent {
	char *name;                 /* NULL for the default */
	gnutls_pcert_st pcert[8];
	unsigned n_pcert;
	gnutls_privkey_t key;
	int pk;                     /* gnutls_pk_algorithm_t of the key */
};

struct http_srv {
	struct http_srv_cfg cfg;
	http_handler_cb cb;
	void *arg;
	struct MHD_Daemon *d;
	char *cert_pem, *key_pem, *ca_pem;
	struct cert_ent certs[18];
	size_t n_certs;
	struct scache *cache;
	pthread_mutex_t tk_mu;
	gnutls_datum_t ticket_key[2];
	int tk_cur;
	int64_t tk_created;
	atomic_ulong next_id;
	int bound_port;
	uint16_t ok_suites[256];   /* IANA codes the priority string allows */
	size_t n_ok_suites;
	uint16_t ecdsa_suites[64]; /* of those, TLS 1.2 suites with ECDSA authentication */
	size_t n_ecdsa_suites;
};

/* The certificate callback of GnuTLS has no user pointer; libmicrohttpd
 * gives none either. The table is written once before the daemon starts
 * and read-only afterwards; several servers chain through this list. */
static struct http_srv *cert_servers[8];
static pthread_mutex_t cert_servers_mu = PTHREAD_MUTEX_INITIALIZER;

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < 1024 * 1024 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			if (len)
				*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

static int load_cert(struct cert_ent *ce, const char *name, const char *cert, const char *key)
{
	size_t cl, kl;
	char *cp = slurp(cert, &cl), *kp = slurp(key, &kl);
	int ok = -1;
	if (!cp || !kp) {
		log_errx("tls: cannot read %s", !cp ? cert : key);
		goto out;
	}
	gnutls_datum_t cd = { (unsigned char *)cp, (unsigned)cl };
	gnutls_datum_t kd = { (unsigned char *)kp, (unsigned)kl };
	ce->n_pcert = 8;
	if (gnutls_pcert_list_import_x509_raw(ce->pcert, &ce->n_pcert, &cd, GNUTLS_X509_FMT_PEM, 0) < 0) {
		log_errx("tls: %s is not a PEM certificate chain", cert);
		goto out;
	}
	if (gnutls_privkey_init(&ce->key) < 0 ||
	    gnutls_privkey_import_x509_raw(ce->key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0) < 0) {
		log_errx("tls: %s is not a PEM private key", key);
		goto out;
	}
	ce->name = name ? strdup(name) : NULL;
	ce->pk = gnutls_privkey_get_pk_algorithm(ce->key, NULL);
	ok = 0;
out:
	if (kp) {
		gnutls_memset(kp, 0, kl);
		free(kp);
	}
	free(cp);
	return ok;
}

static int cert_cb(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
    unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
	char name[256];
	size_t nlen = sizeof(name);
	unsigned type;
	int have_sni = gnutls_server_name_get(session, name, &nlen, &type, 0) == 0 &&
	    type == GNUTLS_NAME_DNS;
	struct conn_ctx *cc = gnutls_session_get_ptr(session);
	struct http_srv *s = NULL;
	struct cert_ent *pick = NULL;

	(void)req_ca_dn; (void)nreqs;
	pthread_mutex_lock(&cert_servers_mu);
	for (size_t i = 0; cc && i < PRES_ARRAY_LEN(cert_servers); i++)
		if (cert_servers[i] && cert_servers[i] == cc->srv)
			s = cc->srv;
	pthread_mutex_unlock(&cert_servers_mu);
	if (!s || s->n_certs == 0)
		return -1;
	/* the entries for this name (SNI, else the default ones, name NULL);
	 * among them an ECDSA certificate when the client accepts one (far
	 * cheaper handshakes), else one whose key type it accepts */
	int named = 0;
	for (size_t i = 0; have_sni && i < s->n_certs; i++)
		if (s->certs[i].name && strcasecmp(s->certs[i].name, name) == 0)
			named = 1;
	int best = -1;
	for (size_t i = 0; i < s->n_certs; i++) {
		struct cert_ent *c = &s->certs[i];
		if (named ? !(c->name && strcasecmp(c->name, name) == 0) : c->name != NULL)
			continue;
		/* GnuTLS passes no pk_algos to a server; the ClientHello hook
		 * found out whether this client can take an ECDSA certificate */
		int ok = c->pk != GNUTLS_PK_ECDSA || (cc && cc->ecdsa_ok);
		(void)pk_algos; (void)pk_algos_length;
		int score = ok ? (c->pk == GNUTLS_PK_ECDSA ? 3 : 2) : 0;
		if (score > best) {
			best = score;
			pick = c;
		}
	}
	if (!pick)
		pick = &s->certs[0];
	*pcert = pick->pcert;
	*pcert_length = pick->n_pcert;
	*pkey = pick->key;
	return 0;
}

/* ---- TLS policy ----------------------------------------------------- */

/* Key exchange groups, X25519 first: with %SERVER_PRECEDENCE GnuTLS picks
 * its first group the client supports and, if the client sent no key share
 * for it, answers a TLS 1.3 ClientHello with a HelloRetryRequest (one more
 * round trip and key generation). Common clients (OpenSSL, curl, BoringSSL)
 * send an X25519 share first; P-256 stays next for the others. */
#define HTTP_TLS_GROUPS "-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:" \
	"+GROUP-SECP521R1:+GROUP-X448:+GROUP-FFDHE2048:+GROUP-FFDHE3072:"

const char *http_tls_priorities(int require_encryption)
{
	/* TLS 1.2/1.3 only; AES-GCM/CCM, ChaCha20-Poly1305 and AES-CBC with
	 * >= 128-bit keys; never NULL, export, anonymous, RC4, 3DES or DES. */
	if (require_encryption)
		return "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"
		    "-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:"
		    "+AES-128-CCM:+AES-256-CCM:+AES-128-CBC:+AES-256-CBC:"
		    "-KX-ALL:+ECDHE-RSA:+ECDHE-ECDSA:+DHE-RSA:+RSA:" HTTP_TLS_GROUPS
		    "%SERVER_PRECEDENCE";
	/* integrity-only suites allowed (operator choice, TS 33.141 7.x) */
	return "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"
	    "-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:"
	    "+AES-128-CCM:+AES-256-CCM:+AES-128-CBC:+AES-256-CBC:+NULL:"
	    "-KX-ALL:+ECDHE-RSA:+ECDHE-ECDSA:+DHE-RSA:+RSA:" HTTP_TLS_GROUPS
	    "%SERVER_PRECEDENCE";
}

static void ticket_key_current(struct http_srv *s, gnutls_datum_t *out)
{
	pthread_mutex_lock(&s->tk_mu);
	int64_t now = pres_now();
	if (!s->ticket_key[s->tk_cur].data || now - s->tk_created >= s->cfg.ticket_rotation) {
		int next = s->ticket_key[s->tk_cur].data ? 1 - s->tk_cur : s->tk_cur;
		/* the key two rotations old is dropped; live sessions hold their own copy */
		if (s->ticket_key[next].data)
			gnutls_free(s->ticket_key[next].data);
		s->ticket_key[next].data = NULL;
		if (gnutls_session_ticket_key_generate(&s->ticket_key[next]) == 0) {
			s->tk_cur = next;
			s->tk_created = now;
			log_debug("%s: session ticket key rotated", s->cfg.name);
		}
	}
	*out = s->ticket_key[s->tk_cur];
	pthread_mutex_unlock(&s->tk_mu);
}

static int hello_hook(gnutls_session_t ts, unsigned htype, unsigned when, unsigned incoming,
    const gnutls_datum_t *msg);

/* One hook for all messages (GnuTLS keeps one per session). */
static int hs_any(gnutls_session_t ts, unsigned htype, unsigned when, unsigned incoming,
    const gnutls_datum_t *msg)
{
	struct conn_ctx *cc = gnutls_session_get_ptr(ts);
	if (htype == GNUTLS_HANDSHAKE_CLIENT_HELLO && incoming && when == GNUTLS_HOOK_PRE)
		return hello_hook(ts, htype, when, incoming, msg);
	if (cc && htype == GNUTLS_HANDSHAKE_FINISHED && when == GNUTLS_HOOK_POST)
		cc->hs_done = 1;
	return 0;
}

/*
 * Looks at the ClientHello before GnuTLS negotiates. libmicrohttpd drops a
 * failed handshake without an alert; a client that offers nothing our policy
 * accepts (only NULL/export/anonymous/<128-bit suites, or TLS < 1.2) gets a
 * fatal alert from here, and the event is logged with the peer.
 */
static int hello_hook(gnutls_session_t ts, unsigned htype, unsigned when, unsigned incoming,
    const gnutls_datum_t *msg)
{
	struct conn_ctx *cc = gnutls_session_get_ptr(ts);
	const unsigned char *p = msg->data, *end = msg->data + msg->size;
	int v12 = 0, v13 = 0, suite_ok = 0, sig_ecdsa = 0, suite_ecdsa = 0;
	(void)htype; (void)when; (void)incoming;

	if (!cc || msg->size < 38)
		return 0;
	unsigned legacy = (unsigned)p[0] << 8 | p[1];
	v12 = legacy >= 0x0303;
	p += 34;
	if (p >= end || p + 1 + p[0] > end)
		return 0;
	p += 1 + p[0];                                   /* session id */
	if (p + 2 > end)
		return 0;
	unsigned slen = (unsigned)p[0] << 8 | p[1];
	const unsigned char *suites = p + 2;
	if (suites + slen > end)
		return 0;
	p = suites + slen;
	if (p >= end || p + 1 + p[0] > end)
		return 0;
	p += 1 + p[0];                                   /* compression methods */
	if (p + 2 <= end) {                              /* extensions */
		unsigned elen = (unsigned)p[0] << 8 | p[1];
		const unsigned char *e = p + 2, *eend = e + elen;
		if (eend > end)
			eend = end;
		while (e + 4 <= eend) {
			unsigned type = (unsigned)e[0] << 8 | e[1], len = (unsigned)e[2] << 8 | e[3];
			if (e + 4 + len > eend)
				break;
			if (type == 13 && len >= 2) {            /* signature_algorithms */
				for (unsigned i = 2; i + 1 < len; i += 2)
					sig_ecdsa |= e[4 + i + 1] == 0x03;   /* ecdsa_* schemes */
			}
			if (type == 43 && len >= 1) {            /* supported_versions */
				v12 = 0;
				for (unsigned i = 1; i + 1 < len && i + 1 <= e[4]; i += 2) {
					unsigned ver = (unsigned)e[4 + i] << 8 | e[5 + i];
					v12 |= ver == 0x0303;
					v13 |= ver == 0x0304;
				}
			}
			e += 4 + len;
		}
	}
	for (unsigned i = 0; i + 1 < slen; i += 2) {
		uint16_t code = (uint16_t)(suites[i] << 8 | suites[i + 1]);
		int is13 = (code >> 8) == 0x13;
		if ((is13 && !v13) || (!is13 && !v12))
			continue;
		for (size_t j = 0; j < cc->srv->n_ok_suites; j++)
			if (cc->srv->ok_suites[j] == code)
				suite_ok = 1;
		for (size_t j = 0; !is13 && j < cc->srv->n_ecdsa_suites; j++)
			if (cc->srv->ecdsa_suites[j] == code)
				suite_ecdsa = 1;
	}
	/* TLS 1.3: the signature schemes decide; TLS 1.2: also an ECDSA suite */
	cc->ecdsa_ok = sig_ecdsa && (v13 || suite_ecdsa);
	if (suite_ok)
		return 0;
	int proto = !v12 && !v13;
	log_warnx("%s: peer=%s: TLS handshake refused: %s", cc->srv->cfg.name, cc->peer,
	    proto ? "client offers no TLS 1.2 or 1.3" :
	    "client offers no cipher suite with encryption, integrity and >=128-bit keys");
	gnutls_alert_send(ts, GNUTLS_AL_FATAL,
	    proto ? GNUTLS_A_PROTOCOL_VERSION : GNUTLS_A_HANDSHAKE_FAILURE);
	cc->hs_done = 1;   /* already reported */
	return GNUTLS_E_NO_CIPHER_SUITES;
}

static void ok_suites_init(struct http_srv *s, const char *prio)
{
	gnutls_priority_t pc;
	unsigned idx, sidx;
	if (gnutls_priority_init(&pc, prio, NULL) < 0)
		return;
	for (idx = 0; s->n_ok_suites < PRES_ARRAY_LEN(s->ok_suites); idx++) {
		int r = gnutls_priority_get_cipher_suite_index(pc, idx, &sidx);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (r < 0)
			continue;
		unsigned char id[2];
		gnutls_kx_algorithm_t kx;
		if (gnutls_cipher_suite_info(sidx, id, &kx, NULL, NULL, NULL)) {
			s->ok_suites[s->n_ok_suites++] = (uint16_t)(id[0] << 8 | id[1]);
			if (kx == GNUTLS_KX_ECDHE_ECDSA && s->n_ecdsa_suites < PRES_ARRAY_LEN(s->ecdsa_suites))
				s->ecdsa_suites[s->n_ecdsa_suites++] = (uint16_t)(id[0] << 8 | id[1]);
		}
	}
	gnutls_priority_deinit(pc);
}

static void peer_addr(struct MHD_Connection *c, char *out, size_t size)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	pres_strlcpy(out, "?", size);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)size);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)size);
	}
}

static void notify_conn(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct http_srv *s = cls;
	const union MHD_ConnectionInfo *ci;

	if (!s->cfg.tls)
		return;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return;
	gnutls_session_t ts = (gnutls_session_t)ci->tls_session;
	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		struct conn_ctx *cc = *socket_context;
		if (!cc)
			return;
		if (cc->fd >= 0 && more_fd == cc->fd)
			more_fd = -1;
		if (!cc->hs_done) {
			/* libmicrohttpd closes without an alert; tell the client why */
			gnutls_alert_send(ts, GNUTLS_AL_FATAL, GNUTLS_A_HANDSHAKE_FAILURE);
			log_warnx("%s: peer=%s: TLS handshake failed: no acceptable protocol version "
			    "or cipher suite (policy: TLS 1.2/1.3, >=128-bit encryption), or aborted",
			    s->cfg.name, cc->peer);
		}
		gnutls_session_set_ptr(ts, NULL);
		free(cc);
		*socket_context = NULL;
		return;
	}
	/* The TLS 1.3 server flight leaves GnuTLS in several writes; with
	 * Nagle on, the later ones wait for the client's (delayed) ACK. */
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	int fd = ci ? ci->connect_fd : -1;
	if (fd >= 0) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	struct conn_ctx *cc = calloc(1, sizeof(*cc));
	if (!cc)
		return;
	cc->fd = -1;
	/* our writer (sendmsg, optionally MSG_MORE) only where GnuTLS writes
	 * to this very socket with its own default writer */
	if (fd >= 0 && gnutls_transport_get_int(ts) == fd) {
		gnutls_transport_set_vec_push_function(ts, push_vec);
		cc->fd = fd;
	}
	cc->srv = s;
	peer_addr(c, cc->peer, sizeof(cc->peer));
	*socket_context = cc;
	gnutls_session_set_ptr(ts, cc);
	gnutls_handshake_set_hook_function(ts, GNUTLS_HANDSHAKE_ANY, GNUTLS_HOOK_BOTH, hs_any);
	if (s->cfg.request_client_cert)
		gnutls_certificate_server_set_request(ts, GNUTLS_CERT_REQUEST);
	if (s->cfg.session_lifetime > 0) {
		gnutls_datum_t key;
		ticket_key_current(s, &key);
		if (key.data)
			gnutls_session_ticket_enable_server(ts, &key);
		gnutls_db_set_retrieve_function(ts, scache_retrieve);
		gnutls_db_set_store_function(ts, scache_store);
		gnutls_db_set_remove_function(ts, scache_remove);
		gnutls_db_set_ptr(ts, s->cache);
		gnutls_db_set_cache_expiration(ts, s->cfg.session_lifetime);
	}
}

/* ---- requests --------------------------------------------------------- */

struct req_state {
	char *target;        /* raw URI from the URI log callback */
	char *body;
	size_t len, cap;
	int too_big;
	int started;         /* headers seen; the body (if any) follows */
};

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct req_state *st = calloc(1, sizeof(*st));
	(void)cls; (void)c;
	if (st)
		st->target = strdup(uri ? uri : "/");
	return st;
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req_state *st = *req_cls;
	(void)cls; (void)c; (void)toe;
	more_fd = -1;
	if (!st)
		return;
	free(st->target);
	free(st->body);
	free(st);
	*req_cls = NULL;
}

const char *http_req_header(const struct http_req *rq, const char *name)
{
	return MHD_lookup_connection_value((struct MHD_Connection *)rq->conn, MHD_HEADER_KIND, name);
}

struct hdr_iter {
	int (*cb)(void *, const char *, const char *);
	void *arg;
	int n;
};

static enum MHD_Result hdr_visit(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct hdr_iter *it = cls;
	(void)kind;
	it->n++;
	return it->cb(it->arg, key, value ? value : "") ? MHD_NO : MHD_YES;
}

int http_req_headers(const struct http_req *rq,
    int (*cb)(void *arg, const char *name, const char *value), void *arg)
{
	struct hdr_iter it = { cb, arg, 0 };
	MHD_get_connection_values((struct MHD_Connection *)rq->conn, MHD_HEADER_KIND, hdr_visit, &it);
	return it.n;
}

int http_resp_header(struct http_resp *rs, const char *name, const char *value)
{
	if (rs->n_headers >= HTTP_MAX_RESP_HEADERS)
		return PRES_ETOOBIG;
	rs->hname[rs->n_headers] = strdup(name);
	rs->hvalue[rs->n_headers] = strdup(value);
	if (!rs->hname[rs->n_headers] || !rs->hvalue[rs->n_headers]) {
		free(rs->hname[rs->n_headers]);
		free(rs->hvalue[rs->n_headers]);
		return PRES_ENOMEM;
	}
	rs->n_headers++;
	return PRES_OK;
}

int http_resp_body(struct http_resp *rs, const char *ctype, const char *body, size_t len)
{
	free(rs->body);
	rs->body = malloc(len + 1);
	if (!rs->body)
		return PRES_ENOMEM;
	memcpy(rs->body, body, len);
	rs->body[len] = '\0';
	rs->body_len = len;
	pres_strlcpy(rs->content_type, ctype ? ctype : "", sizeof(rs->content_type));
	return PRES_OK;
}

static void resp_clear(struct http_resp *rs)
{
	free(rs->body);
	for (size_t i = 0; i < rs->n_headers; i++) {
		free(rs->hname[i]);
		free(rs->hvalue[i]);
	}
}

/* IANA code of the negotiated cipher suite: needed for the GBA NAF_Id. */
static unsigned suite_code(gnutls_session_t ts)
{
	gnutls_cipher_algorithm_t ca = gnutls_cipher_get(ts);
	gnutls_mac_algorithm_t ma = gnutls_mac_get(ts);
	gnutls_kx_algorithm_t ka = gnutls_kx_get(ts);
	int tls13 = gnutls_protocol_get_version(ts) == GNUTLS_TLS1_3;
	gnutls_mac_algorithm_t prf = (gnutls_mac_algorithm_t)gnutls_prf_hash_get(ts);
	unsigned char id[2];
	gnutls_kx_algorithm_t k;
	gnutls_cipher_algorithm_t cc;
	gnutls_mac_algorithm_t m;
	gnutls_protocol_t minv;

	for (size_t i = 0; gnutls_cipher_suite_info(i, id, &k, &cc, &m, &minv) != NULL; i++) {
		if (cc != ca)
			continue;
		if (tls13) {
			if (minv == GNUTLS_TLS1_3 && (m == prf || m == ma))
				return (unsigned)id[0] << 8 | id[1];
		} else if (minv != GNUTLS_TLS1_3 && k == ka && m == ma) {
			return (unsigned)id[0] << 8 | id[1];
		}
	}
	return 0;
}

static enum MHD_Result send_resp(struct MHD_Connection *c, struct http_resp *rs)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(rs->body_len,
	    rs->body ? rs->body : (void *)"", MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;
	if (!r)
		return MHD_NO;
	if (rs->content_type[0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rs->content_type);
	for (size_t i = 0; i < rs->n_headers; i++)
		MHD_add_response_header(r, rs->hname[i], rs->hvalue[i]);
	ret = MHD_queue_response(c, (unsigned)rs->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data, size_t *upload_size,
    void **req_cls)
{
	struct http_srv *s = cls;
	struct req_state *st = *req_cls;
	(void)url; (void)version;

	if (!st)
		return MHD_NO;
	if (!st->started) {
		/* first call: headers only; answer once the whole body is in */
		st->started = 1;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!st->too_big) {
			if (st->len + *upload_size > s->cfg.max_body) {
				st->too_big = 1;
			} else {
				if (st->len + *upload_size + 1 > st->cap) {
					size_t nc = (st->len + *upload_size + 1) * 2;
					if (nc > s->cfg.max_body + 1)
						nc = s->cfg.max_body + 1;
					char *nb = realloc(st->body, nc);
					if (!nb)
						return MHD_NO;
					st->body = nb;
					st->cap = nc;
				}
				memcpy(st->body + st->len, upload_data, *upload_size);
				st->len += *upload_size;
				st->body[st->len] = '\0';
			}
		}
		*upload_size = 0;
		return MHD_YES;
	}

	struct http_req rq = { 0 };
	struct http_resp rs = { 0 };
	char peer[INET6_ADDRSTRLEN] = "?";
	char sni[256] = "";
	const union MHD_ConnectionInfo *ci;

	peer_addr(c, peer, sizeof(peer));
	rq.method = method;
	rq.target = st->target;
	rq.body = st->body ? st->body : "";
	rq.body_len = st->len;
	rq.peer = peer;
	rq.conn = c;
	rq.id = atomic_fetch_add(&s->next_id, 1) + 1;
	if (s->cfg.tls) {
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		if (ci && ci->tls_session) {
			gnutls_session_t ts = (gnutls_session_t)ci->tls_session;
			size_t nlen = sizeof(sni);
			unsigned type;
			rq.tls = 1;
			rq.cipher_suite = suite_code(ts);
			rq.tls_version = gnutls_protocol_get_version(ts) == GNUTLS_TLS1_3 ? 13 : 12;
			rq.resumed = gnutls_session_is_resumed(ts) != 0;
			if (gnutls_server_name_get(ts, sni, &nlen, &type, 0) == 0 && type == GNUTLS_NAME_DNS)
				rq.sni = sni;
			unsigned ncerts = 0;
			rq.client_cert = gnutls_certificate_get_peers(ts, &ncerts) != NULL && ncerts > 0;
			/* against the trust list of tls.client_ca (HTTPS_MEM_TRUST);
			 * once per connection: the certificate cannot change on it */
			struct conn_ctx *cc = gnutls_session_get_ptr(ts);
			if (rq.client_cert && s->ca_pem && cc && cc->cert_state == 0) {
				unsigned vstatus = 0;
				cc->cert_state = gnutls_certificate_verify_peers2(ts, &vstatus) == 0 &&
				    vstatus == 0 ? 1 : -1;
			}
			rq.client_cert_verified = rq.client_cert && cc && cc->cert_state == 1;
		}
	}
	if (st->too_big) {
		log_warnx("%s: req=%lu peer=%s %s: body over %zu bytes refused (413)",
		    s->cfg.name, rq.id, peer, method, s->cfg.max_body);
		rs.status = 413;
		http_resp_body(&rs, "text/plain", "request body too large\n", 23);
	} else {
		s->cb(s->arg, &rq, &rs);
		if (!rs.status)
			rs.status = 500;
	}
	/* header and body in one segment (see push_vec): a small complete
	 * response whose body is sent (not to HEAD, not with 1xx/204/304), on
	 * a connection whose writer is ours */
	struct conn_ctx *wc = NULL;
	if (rq.tls && rs.body_len > 0 && rs.body_len <= HTTP_ONE_SEGMENT && strcmp(method, "HEAD") != 0 &&
	    rs.status >= 200 && rs.status != 204 && rs.status != 304) {
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		wc = ci && ci->tls_session ? gnutls_session_get_ptr((gnutls_session_t)ci->tls_session) : NULL;
	}
	enum MHD_Result ret = send_resp(c, &rs);
	if (ret == MHD_YES && wc && wc->fd >= 0)
		more_fd = wc->fd;
	resp_clear(&rs);
	return ret;
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	struct http_srv *s = cls;
	char buf[512];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	size_t n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	/* TLS handshake failures (e.g. a client offering only weak suites) land here */
	log_debug("%s: %s", s->cfg.name, buf);
}

struct http_srv *http_start(const struct http_srv_cfg *cfg, http_handler_cb cb, void *arg)
{
	struct http_srv *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	socklen_t slen;
	struct MHD_OptionItem opts[24];
	size_t no = 0;

	if (!s)
		return NULL;
	s->cfg = *cfg;
	s->cb = cb;
	s->arg = arg;
	pthread_mutex_init(&s->tk_mu, NULL);
	memset(&ss, 0, sizeof(ss));
	if (strchr(cfg->addr, ':')) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)cfg->port);
		if (inet_pton(AF_INET6, cfg->addr, &a6->sin6_addr) != 1)
			goto bad_addr;
		slen = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)cfg->port);
		if (inet_pton(AF_INET, cfg->addr, &a4->sin_addr) != 1)
			goto bad_addr;
		slen = sizeof(*a4);
	}
	(void)slen;

	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	/* TLS: poll(), not epoll. In epoll mode libmicrohttpd 0.9.75 busy-polls
	 * a connection whose TLS handshake waits for the client (GnuTLS reads
	 * the socket itself, the daemon never sees EAGAIN): about 3/4 of a core
	 * per handshake in flight, for a whole round trip of a mobile client. */
	flags |= cfg->tls ? MHD_USE_POLL : MHD_USE_EPOLL;
	if (strchr(cfg->addr, ':'))
		flags |= MHD_USE_IPv6;
	opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &ss };
	opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)uri_log, s };
	opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, s };
	opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, NULL };
	opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, cfg->connection_limit, NULL };
	opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout, NULL };
	if (cfg->tls) {
		flags |= MHD_USE_TLS;
		s->cert_pem = slurp(cfg->cert_file, NULL);
		s->key_pem = slurp(cfg->key_file, NULL);
		if (!s->cert_pem || !s->key_pem) {
			log_errx("%s: cannot read certificate %s or key %s", cfg->name,
			    cfg->cert_file, cfg->key_file);
			goto fail;
		}
		if (load_cert(&s->certs[0], NULL, cfg->cert_file, cfg->key_file))
			goto fail;
		s->n_certs = 1;
		if (cfg->cert2_file && cfg->key2_file) {
			if (load_cert(&s->certs[1], NULL, cfg->cert2_file, cfg->key2_file))
				goto fail;
			s->n_certs = 2;
		}
		for (size_t i = 0; i < cfg->n_vhosts && i < 16; i++) {
			if (load_cert(&s->certs[s->n_certs], cfg->vhosts[i].name,
			    cfg->vhosts[i].cert_file, cfg->vhosts[i].key_file))
				goto fail;
			s->n_certs++;
		}
		opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)cert_cb };
		ok_suites_init(s, cfg->priorities ? cfg->priorities : http_tls_priorities(cfg->require_encryption));
		opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
		    (void *)(cfg->priorities ? cfg->priorities : http_tls_priorities(cfg->require_encryption)) };
		if (cfg->request_client_cert && cfg->client_ca_file) {
			s->ca_pem = slurp(cfg->client_ca_file, NULL);
			if (!s->ca_pem) {
				log_errx("%s: cannot read client CA %s", cfg->name, cfg->client_ca_file);
				goto fail;
			}
			opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, s->ca_pem };
		}
		opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)notify_conn, s };
		if (cfg->session_lifetime > 0) {
			s->cache = calloc(1, sizeof(*s->cache));
			if (!s->cache)
				goto fail;
			pthread_mutex_init(&s->cache->mu, NULL);
			s->cache->lifetime = cfg->session_lifetime;
		}
	}
	opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	pthread_mutex_lock(&cert_servers_mu);
	for (size_t i = 0; i < PRES_ARRAY_LEN(cert_servers); i++)
		if (!cert_servers[i]) {
			cert_servers[i] = s;
			break;
		}
	pthread_mutex_unlock(&cert_servers_mu);

	s->d = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, s,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s,
	    MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!s->d) {
		log_errx("%s: cannot listen on %s port %d (in use, or TLS setup failed)",
		    cfg->name, cfg->addr, cfg->port);
		goto fail;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->bound_port = di ? di->port : cfg->port;
	log_info("%s: listening on %s%s:%d%s", cfg->name, strchr(cfg->addr, ':') ? "[" : "",
	    cfg->addr, s->bound_port, cfg->tls ? " (TLS)" : "");
	return s;
bad_addr:
	log_errx("%s: bad listen address %s", cfg->name, cfg->addr);
fail:
	http_stop(s);
	return NULL;
}

int http_port(const struct http_srv *s) { return s->bound_port; }

void http_stop(struct http_srv *s)
{
	if (!s)
		return;
	if (s->d)
		MHD_stop_daemon(s->d);
	pthread_mutex_lock(&cert_servers_mu);
	for (size_t i = 0; i < PRES_ARRAY_LEN(cert_servers); i++)
		if (cert_servers[i] == s)
			cert_servers[i] = NULL;
	pthread_mutex_unlock(&cert_servers_mu);
	for (size_t i = 0; i < s->n_certs; i++) {
		for (unsigned j = 0; j < s->certs[i].n_pcert; j++)
			gnutls_pcert_deinit(&s->certs[i].pcert[j]);
		gnutls_privkey_deinit(s->certs[i].key);
		free(s->certs[i].name);
	}
	if (s->cache) {
		for (size_t i = 0; i < SCACHE_SLOTS; i++)
			if (s->cache->ent[i].data) {
				gnutls_memset(s->cache->ent[i].data, 0, s->cache->ent[i].data_len);
				free(s->cache->ent[i].data);
			}
		free(s->cache);
	}
	for (int i = 0; i < 2; i++)
		if (s->ticket_key[i].data) {
			gnutls_memset(s->ticket_key[i].data, 0, s->ticket_key[i].size);
			gnutls_free(s->ticket_key[i].data);
		}
	if (s->key_pem) {
		gnutls_memset(s->key_pem, 0, strlen(s->key_pem));
		free(s->key_pem);
	}
	free(s->cert_pem);
	free(s->ca_pem);
	free(s);
}
