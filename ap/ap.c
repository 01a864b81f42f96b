/*
 * ap.c - Authentication Proxy forwarding over libcurl (see ap.h).
 *
 * One easy handle per (thread, AS) on one multi handle per thread: libcurl
 * keeps the upstream connections alive between requests in the thread's
 * connection cache, so a worker thread talks to each AS over its own
 * connection and two parallel requests never share one. The handle is
 * configured once (TLS verification, client certificate, limits,
 * callbacks); a request sets only what differs: URL, headers, method, body.
 * The thread runs the transfer with its own poll() and tells libcurl which
 * socket is ready (multi_socket API): fewer system calls than
 * curl_easy_perform(), which checks every socket itself.
 */
#include "ap.h"
#include "pres.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

struct ap_as {
	char *name;
	char *base;                  /* upstream URL without a trailing slash */
	char *ca_file;
	struct curl_slist *resolve;  /* "host:port:address" or NULL */
	int https;
	int trusted, assert_identity;
	atomic_int inflight;
};

struct ap {
	struct ap_as as[AP_MAX_AS];
	size_t n_as;
	char *client_cert, *client_key, *interface;
	long connect_timeout_ms, timeout_ms;
	size_t max_response;
	int max_inflight;
	pthread_key_t key;
	int key_ok;
};

#define AP_MAX_SOCKS 4
#define AP_MIN(a, b) ((a) < (b) ? (a) : (b))

/* The calling thread's handles, one per AS, and the multi handle that runs
 * them: one transfer at a time, driven by our own poll() (multi_socket
 * API), so that libcurl is told which socket is readable instead of
 * checking each one itself. */
struct ap_thread {
	size_t n;
	CURL *h[AP_MAX_AS];
	CURLM *m;
	struct { curl_socket_t fd; int what; } sock[AP_MAX_SOCKS];  /* libcurl's wishes */
	int64_t deadline_ms;     /* libcurl's timer, absolute; -1: none */
};

static void thread_free(void *p)
{
	struct ap_thread *t = p;
	for (size_t i = 0; t && i < t->n; i++)
		if (t->h[i]) {
			if (t->m)
				curl_multi_remove_handle(t->m, t->h[i]);
			curl_easy_cleanup(t->h[i]);
		}
	if (t && t->m)
		curl_multi_cleanup(t->m);
	free(t);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct ap_thread *t = arg;
	(void)e;
	(void)sockp;
	size_t free_slot = AP_MAX_SOCKS;
	for (size_t i = 0; i < AP_MAX_SOCKS; i++) {
		if (t->sock[i].fd == fd) {
			if (what == CURL_POLL_REMOVE)
				t->sock[i].fd = CURL_SOCKET_BAD;
			else
				t->sock[i].what = what;
			return 0;
		}
		if (t->sock[i].fd == CURL_SOCKET_BAD && free_slot == AP_MAX_SOCKS)
			free_slot = i;
	}
	if (what == CURL_POLL_REMOVE)
		return 0;
	if (free_slot == AP_MAX_SOCKS)
		return -1;           /* more sockets than one transfer uses: fail it */
	t->sock[free_slot].fd = fd;
	t->sock[free_slot].what = what;
	return 0;
}

static int on_timer(CURLM *m, long timeout_ms, void *arg)
{
	struct ap_thread *t = arg;
	(void)m;
	t->deadline_ms = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
	return 0;
}

/* Runs the transfer of @p c to completion on the thread's multi handle
 * (the caller removes @p c from it afterwards).
 * libcurl enforces CURLOPT_TIMEOUT_MS / CONNECTTIMEOUT_MS through its
 * timer; @p limit_ms is a last resort bound on the loop itself. */
static CURLcode run_transfer(struct ap_thread *t, CURL *c, int64_t limit_ms)
{
	CURLcode result = CURLE_OK;
	int running = 0, done = 0;
	int64_t give_up = mono_ms() + limit_ms;

	if (curl_multi_add_handle(t->m, c) != CURLM_OK)
		return CURLE_OUT_OF_MEMORY;
	if (curl_multi_socket_action(t->m, CURL_SOCKET_TIMEOUT, 0, &running) != CURLM_OK)
		running = 0;
	while (running) {
		struct pollfd pf[AP_MAX_SOCKS];
		nfds_t n = 0;
		int64_t now = mono_ms();
		if (now >= give_up) {
			result = CURLE_OPERATION_TIMEDOUT;
			done = 1;
			break;
		}
		int64_t wait = give_up - now;
		if (t->deadline_ms >= 0)
			wait = t->deadline_ms <= now ? 0 : AP_MIN(wait, t->deadline_ms - now);
		for (size_t i = 0; i < AP_MAX_SOCKS; i++) {
			if (t->sock[i].fd == CURL_SOCKET_BAD)
				continue;
			pf[n].fd = t->sock[i].fd;
			pf[n].events = (short)(((t->sock[i].what & CURL_POLL_IN) ? POLLIN : 0) |
			    ((t->sock[i].what & CURL_POLL_OUT) ? POLLOUT : 0));
			pf[n].revents = 0;
			n++;
		}
		int r = poll(pf, n, (int)AP_MIN(wait, 1000));
		if (r < 0 && errno != EINTR) {
			result = CURLE_RECV_ERROR;
			done = 1;
			break;
		}
		CURLMcode mc = CURLM_OK;
		if (r > 0) {
			for (nfds_t i = 0; i < n && mc == CURLM_OK; i++) {
				int ev = 0;
				if (pf[i].revents & (POLLIN | POLLHUP))
					ev |= CURL_CSELECT_IN;
				if (pf[i].revents & POLLOUT)
					ev |= CURL_CSELECT_OUT;
				if (pf[i].revents & (POLLERR | POLLNVAL))
					ev |= CURL_CSELECT_ERR;
				if (ev)
					mc = curl_multi_socket_action(t->m, pf[i].fd, ev, &running);
			}
		}
		if (mc == CURLM_OK && running && t->deadline_ms >= 0 && mono_ms() >= t->deadline_ms) {
			t->deadline_ms = -1;
			mc = curl_multi_socket_action(t->m, CURL_SOCKET_TIMEOUT, 0, &running);
		}
		if (mc != CURLM_OK) {
			result = CURLE_SEND_ERROR;
			done = 1;
			break;
		}
	}
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(t->m, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == c && !done) {
			result = msg->data.result;
			done = 1;
		}
	if (!done)
		result = CURLE_RECV_ERROR;   /* stopped without a result: treat as failed */
	return result;                   /* @p c stays on the multi handle: the caller removes it */
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* ---- helpers (public for the unit tests) ------------------------------- */


int ap_header_is_hop_by_hop(const char *name)
{
	static const char *const hop[] = {
		"Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Trailer", "Upgrade",
		"Proxy-Connection",
	};
	if (!name)
		return 1;
	if (strncasecmp(name, "Proxy-", 6) == 0)
		return 1;
	for (size_t i = 0; i < PRES_ARRAY_LEN(hop); i++)
		if (strcasecmp(name, hop[i]) == 0)
			return 1;
	return 0;
}

/* 1 if @p name is one of the comma-separated tokens of @p list. */
static int in_token_list(const char *list, const char *name)
{
	size_t nl = strlen(name);
	const char *p = list;
	while (p && *p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *e = p;
		while (*e && *e != ',' && *e != ' ' && *e != '\t')
			e++;
		if ((size_t)(e - p) == nl && nl && strncasecmp(p, name, nl) == 0)
			return 1;
		p = e;
	}
	return 0;
}

int ap_header_forwardable(const char *name, const char *connection)
{
	static const char *const never[] = {
		"Host", "Content-Length", "Expect", "Authorization", AP_ASSERTED, AP_INTENDED,
	};
	if (!name || !*name || ap_header_is_hop_by_hop(name))
		return 0;
	for (size_t i = 0; i < PRES_ARRAY_LEN(never); i++)
		if (strcasecmp(name, never[i]) == 0)
			return 0;
	if (connection && in_token_list(connection, name))
		return 0;
	return 1;
}

/* ---- construction ------------------------------------------------------ */

static int set_err(char *err, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int set_err(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return -1;
}

static int is_ip(const char *s)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int as_init(struct ap *ap, struct ap_as *as, const struct ap_as_cfg *c,
    const struct ap_cfg *cfg, char *err, size_t esz)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = -1;

	if (!c->name || !*c->name || strlen(c->name) > 253 || strpbrk(c->name, ":/ \t"))
		return set_err(err, esz, "ap: AS '%s': not a host name", c->name ? c->name : "");
	if (!c->upstream)
		return set_err(err, esz, "ap: AS '%s': no upstream URL", c->name);
	if (!u)
		return set_err(err, esz, "ap: out of memory");
	if (curl_url_set(u, CURLUPART_URL, c->upstream, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		set_err(err, esz, "ap: AS '%s': upstream '%s' is not a URL", c->name, c->upstream);
		goto out;
	}
	if (strcasecmp(scheme, "https") && strcasecmp(scheme, "http")) {
		set_err(err, esz, "ap: AS '%s': upstream '%s' must be https:// or http://", c->name, c->upstream);
		goto out;
	}
	as->https = strcasecmp(scheme, "https") == 0;
	if (strchr(c->upstream + strlen(scheme) + 3, '?') || strchr(c->upstream, '#')) {
		set_err(err, esz, "ap: AS '%s': upstream '%s' must not carry a query or fragment", c->name, c->upstream);
		goto out;
	}
	/* the address actually dialled */
	char hostbuf[256];
	pres_strlcpy(hostbuf, host, sizeof(hostbuf));
	if (hostbuf[0] == '[') {                       /* [v6] */
		size_t l = strlen(hostbuf);
		memmove(hostbuf, hostbuf + 1, l);
		if (l > 1 && hostbuf[l - 2] == ']')
			hostbuf[l - 2] = '\0';
	}
	const char *dial = c->address ? c->address : hostbuf;
	if (c->address && !is_ip(c->address)) {
		set_err(err, esz, "ap: AS '%s': address '%s' is not an IP address", c->name, c->address);
		goto out;
	}
	if (!as->https && (!is_ip(dial) ||
	    !pres_addr_in(dial, cfg->trust_domain, cfg->n_trust_domain))) {
		set_err(err, esz, "ap: AS '%s': plain HTTP upstream only to an IP address inside "
		    "ap.trust_domain (%s is not); use https://", c->name, dial);
		goto out;
	}
	if (c->assert_identity && !c->trusted) {
		set_err(err, esz, "ap: AS '%s': assert_identity needs trusted = true (an AS outside "
		    "the trust domain never receives the identity)", c->name);
		goto out;
	}
	if (c->address) {
		char line[400];
		snprintf(line, sizeof(line), "%s:%s:%s%s%s", host, port,
		    strchr(c->address, ':') ? "[" : "", c->address, strchr(c->address, ':') ? "]" : "");
		as->resolve = curl_slist_append(NULL, line);
		if (!as->resolve)
			goto out;
	}
	size_t bl = strlen(c->upstream);
	as->base = strdup(c->upstream);
	as->name = strdup(c->name);
	if (!as->base || !as->name)
		goto out;
	while (bl > 0 && as->base[bl - 1] == '/')
		as->base[--bl] = '\0';
	const char *ca = c->ca_file ? c->ca_file : cfg->ca_file;
	as->ca_file = dup_or_null(ca);
	if (ca && !as->ca_file)
		goto out;
	as->trusted = c->trusted;
	as->assert_identity = c->assert_identity && c->trusted;
	atomic_init(&as->inflight, 0);
	(void)ap;
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

struct ap *ap_new(const struct ap_cfg *cfg, char *err, size_t errsize)
{
	struct ap *ap;

	if (err && errsize)
		err[0] = '\0';
	if (!cfg || cfg->n_as == 0 || cfg->n_as > AP_MAX_AS) {
		snprintf(err, errsize, "ap: between 1 and %d AS needed", AP_MAX_AS);
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errsize, "ap: libcurl initialisation failed");
		return NULL;
	}
	ap = calloc(1, sizeof(*ap));
	if (!ap) {
		curl_global_cleanup();
		snprintf(err, errsize, "ap: out of memory");
		return NULL;
	}
	for (size_t i = 0; i < cfg->n_as; i++) {
		for (size_t j = 0; j < i; j++)
			if (cfg->as[i].name && cfg->as[j].name && strcasecmp(cfg->as[i].name, cfg->as[j].name) == 0) {
				snprintf(err, errsize, "ap: AS '%s' configured twice", cfg->as[i].name);
				goto fail;
			}
		if (as_init(ap, &ap->as[i], &cfg->as[i], cfg, err, errsize))
			goto fail;
		ap->n_as++;
	}
	if ((cfg->client_cert_file != NULL) != (cfg->client_key_file != NULL)) {
		snprintf(err, errsize, "ap: a client certificate needs both certificate and key");
		goto fail;
	}
	ap->client_cert = dup_or_null(cfg->client_cert_file);
	ap->client_key = dup_or_null(cfg->client_key_file);
	if (cfg->source_address) {
		if (!is_ip(cfg->source_address)) {
			snprintf(err, errsize, "ap: source_address '%s' is not an IP address", cfg->source_address);
			goto fail;
		}
		char buf[80];
		snprintf(buf, sizeof(buf), "host!%s", cfg->source_address);
		ap->interface = strdup(buf);
	}
	ap->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 5000;
	ap->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000;
	ap->max_response = cfg->max_response ? cfg->max_response : 4u * 1024 * 1024;
	ap->max_inflight = cfg->max_inflight > 0 ? cfg->max_inflight : 64;
	if (pthread_key_create(&ap->key, thread_free)) {
		snprintf(err, errsize, "ap: cannot create thread key");
		goto fail;
	}
	ap->key_ok = 1;
	return ap;
fail:
	ap_free(ap);
	return NULL;
}

void ap_free(struct ap *ap)
{
	if (!ap)
		return;
	if (ap->key_ok) {
		/* the calling thread may hold handles too (tests) */
		struct ap_thread *t = pthread_getspecific(ap->key);
		if (t) {
			pthread_setspecific(ap->key, NULL);
			thread_free(t);
		}
		pthread_key_delete(ap->key);
	}
	for (size_t i = 0; i < AP_MAX_AS; i++) {
		free(ap->as[i].name);
		free(ap->as[i].base);
		free(ap->as[i].ca_file);
		curl_slist_free_all(ap->as[i].resolve);
	}
	free(ap->client_cert);
	free(ap->client_key);
	free(ap->interface);
	free(ap);
	curl_global_cleanup();
}

int ap_lookup(const struct ap *ap, const char *host)
{
	char h[256];
	size_t l;
	if (!ap || !host)
		return -1;
	while (*host == ' ')
		host++;
	if (pres_strlcpy(h, host, sizeof(h)) != PRES_OK)
		return -1;
	if (h[0] == '[')
		return -1;               /* IPv6 literal: never an AS name */
	char *colon = strchr(h, ':');
	if (colon)
		*colon = '\0';
	l = strlen(h);
	while (l && (h[l - 1] == '.' || h[l - 1] == ' '))
		h[--l] = '\0';
	for (size_t i = 0; i < ap->n_as; i++)
		if (strcasecmp(ap->as[i].name, h) == 0)
			return (int)i;
	return -1;
}

size_t ap_count(const struct ap *ap) { return ap ? ap->n_as : 0; }

const char *ap_as_name(const struct ap *ap, int idx)
{
	return ap && idx >= 0 && (size_t)idx < ap->n_as ? ap->as[idx].name : NULL;
}

int ap_as_gets_identity(const struct ap *ap, int idx)
{
	return ap && idx >= 0 && (size_t)idx < ap->n_as && ap->as[idx].assert_identity;
}

/* ---- forwarding -------------------------------------------------------- */

struct xfer {
	struct ap_response *out;
	size_t max;
	int too_big;
	int too_many_headers;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	struct ap_response *r = x->out;
	size_t n = size * nmemb;
	if (r->body_len + n > x->max) {
		x->too_big = 1;
		return 0;
	}
	char *nb = realloc(r->body, r->body_len + n + 1);
	if (!nb)
		return 0;
	memcpy(nb + r->body_len, ptr, n);
	r->body = nb;
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return n;
}

static void headers_clear(struct ap_response *r)
{
	for (size_t i = 0; i < r->n_headers; i++) {
		free(r->hname[i]);
		free(r->hvalue[i]);
		r->hname[i] = r->hvalue[i] = NULL;
	}
	r->n_headers = 0;
	r->content_type[0] = '\0';
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	struct ap_response *r = x->out;
	size_t n = size * nmemb;

	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		headers_clear(r);        /* a new response (after 1xx): start over */
		return n;
	}
	const char *colon = memchr(ptr, ':', n);
	if (!colon || colon == ptr)
		return n;                /* end of headers or a folded line */
	size_t nl = (size_t)(colon - ptr);
	const char *v = colon + 1, *e = ptr + n;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	char name[128];
	if (nl >= sizeof(name))
		return n;
	memcpy(name, ptr, nl);
	name[nl] = '\0';
	if (ap_header_is_hop_by_hop(name) || strcasecmp(name, "Content-Length") == 0)
		return n;
	if (strcasecmp(name, "Content-Type") == 0) {
		size_t vl = (size_t)(e - v);
		if (vl >= sizeof(r->content_type))
			vl = sizeof(r->content_type) - 1;
		memcpy(r->content_type, v, vl);
		r->content_type[vl] = '\0';
		return n;
	}
	if (r->n_headers >= AP_MAX_RESP_HEADERS) {
		x->too_many_headers = 1;
		return n;
	}
	r->hname[r->n_headers] = strdup(name);
	r->hvalue[r->n_headers] = strndup(v, (size_t)(e - v));
	if (!r->hname[r->n_headers] || !r->hvalue[r->n_headers]) {
		free(r->hname[r->n_headers]);
		free(r->hvalue[r->n_headers]);
		return 0;
	}
	r->n_headers++;
	return n;
}

/* The options of a handle that are the same for every request to @p as. */
static int handle_setup(struct ap *ap, const struct ap_as *as, CURL *c)
{
	CURLcode e = CURLE_OK;
#define SET(opt, val) do { if (e == CURLE_OK) e = curl_easy_setopt(c, opt, val); } while (0)
	SET(CURLOPT_PATH_AS_IS, 1L);
	SET(CURLOPT_PROTOCOLS_STR, as->https ? "https" : "http");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_PROXY, "");   /* never via an http_proxy from the environment */
	SET(CURLOPT_CONNECTTIMEOUT_MS, ap->connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, ap->timeout_ms);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	if (as->resolve)
		SET(CURLOPT_RESOLVE, as->resolve);
	if (ap->interface)
		SET(CURLOPT_INTERFACE, ap->interface);
	if (as->https) {
		SET(CURLOPT_SSL_VERIFYPEER, 1L);
		SET(CURLOPT_SSL_VERIFYHOST, 2L);
		SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
		if (as->ca_file)
			SET(CURLOPT_CAINFO, as->ca_file);
		if (ap->client_cert) {
			SET(CURLOPT_SSLCERT, ap->client_cert);
			SET(CURLOPT_SSLKEY, ap->client_key);
		}
	}
#undef SET
	return e == CURLE_OK ? 0 : -1;
}

static CURL *thread_handle(struct ap *ap, int idx)
{
	struct ap_thread *t = pthread_getspecific(ap->key);
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return NULL;
		t->n = ap->n_as;
		t->deadline_ms = -1;
		for (size_t i = 0; i < AP_MAX_SOCKS; i++)
			t->sock[i].fd = CURL_SOCKET_BAD;
		t->m = curl_multi_init();
		if (!t->m || pthread_setspecific(ap->key, t)) {
			if (t->m)
				curl_multi_cleanup(t->m);
			free(t);
			return NULL;
		}
		/* the connection cache is the multi handle's: one per AS */
		curl_multi_setopt(t->m, CURLMOPT_MAXCONNECTS, (long)ap->n_as);
		curl_multi_setopt(t->m, CURLMOPT_SOCKETFUNCTION, on_socket);
		curl_multi_setopt(t->m, CURLMOPT_SOCKETDATA, t);
		curl_multi_setopt(t->m, CURLMOPT_TIMERFUNCTION, on_timer);
		curl_multi_setopt(t->m, CURLMOPT_TIMERDATA, t);
	}
	if (!t->h[idx]) {
		CURL *c = curl_easy_init();
		if (!c)
			return NULL;
		if (handle_setup(ap, &ap->as[idx], c)) {
			curl_easy_cleanup(c);
			return NULL;
		}
		t->h[idx] = c;
	}
	return t->h[idx];
}

/* Appends "Name: value" (libcurl syntax "Name;" for an empty value). */
static struct curl_slist *add_header(struct curl_slist *l, const char *name, const char *value, int *bad)
{
	size_t need = strlen(name) + strlen(value) + 4;
	char *line = malloc(need);
	struct curl_slist *nl;
	if (!line) {
		*bad = 1;
		return l;
	}
	if (*value)
		snprintf(line, need, "%s: %s", name, value);
	else
		snprintf(line, need, "%s;", name);
	nl = curl_slist_append(l, line);
	free(line);
	if (!nl) {
		*bad = 1;
		return l;
	}
	return nl;
}

static int upstream_error(struct ap_response *out, int status, const char *why, const char *detail)
{
	out->status = status;
	out->upstream_failed = 1;
	snprintf(out->error, sizeof(out->error), "%s%s%s", why, detail ? ": " : "", detail ? detail : "");
	return status == 503 ? PRES_EAGAIN : PRES_EIO;
}

int ap_forward(struct ap *ap, int idx, const struct ap_request *rq, struct ap_response *out)
{
	struct curl_slist *hl = NULL;
	struct xfer x = { 0 };
	int bad = 0, rc, has_ct = 0, has_accept = 0;
	const char *connection = NULL;
	char *url = NULL;
	CURL *c;

	memset(out, 0, sizeof(*out));
	if (!ap || idx < 0 || (size_t)idx >= ap->n_as || !rq || !rq->method || !rq->target ||
	    rq->target[0] != '/') {
		out->status = 400;
		return PRES_EINVAL;
	}
	struct ap_as *as = &ap->as[idx];
	if (atomic_fetch_add(&as->inflight, 1) >= ap->max_inflight) {
		atomic_fetch_sub(&as->inflight, 1);
		return upstream_error(out, 503, "too many requests in flight to this AS", NULL);
	}
	int64_t t0 = pres_now_ms();
	c = thread_handle(ap, idx);
	if (!c) {
		rc = upstream_error(out, 502, "no upstream handle", NULL);
		goto done;
	}
	size_t ul = strlen(as->base) + strlen(rq->target) + 1;
	url = malloc(ul);
	if (!url) {
		rc = upstream_error(out, 502, "out of memory", NULL);
		goto done;
	}
	snprintf(url, ul, "%s%s", as->base, rq->target);

	for (size_t i = 0; i < rq->n_headers; i++)
		if (rq->headers[i].name && strcasecmp(rq->headers[i].name, "Connection") == 0)
			connection = rq->headers[i].value;
	for (size_t i = 0; i < rq->n_headers; i++) {
		const struct ap_header *h = &rq->headers[i];
		if (!h->name || !h->value || !ap_header_forwardable(h->name, connection))
			continue;
		has_ct |= strcasecmp(h->name, "Content-Type") == 0;
		has_accept |= strcasecmp(h->name, "Accept") == 0;
		hl = add_header(hl, h->name, h->value, &bad);
	}
	/* libcurl adds its own defaults otherwise: the AS sees the UE's headers only */
	if (!has_accept)
		hl = curl_slist_append(hl, "Accept:");
	if (!has_ct)
		hl = curl_slist_append(hl, "Content-Type:");
	hl = curl_slist_append(hl, "Expect:");
	if (rq->asserted_identity && as->assert_identity) {
		char q[300];
		snprintf(q, sizeof(q), "\"%s\"", rq->asserted_identity);
		hl = add_header(hl, AP_ASSERTED, q, &bad);
	}
	if (bad || !hl) {
		rc = upstream_error(out, 502, "out of memory", NULL);
		goto done;
	}

	x.out = out;
	x.max = ap->max_response;
	/* what differs between requests; every method option is set each time
	 * so that nothing of the previous request carries over */
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, (char *)NULL);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, (char *)NULL);
	curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);          /* GET, NOBODY and UPLOAD off */
	if (strcmp(rq->method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(rq->method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
		if (rq->body_len || strcmp(rq->method, "PUT") == 0 || strcmp(rq->method, "POST") == 0) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
		}
	}

	struct ap_thread *th = pthread_getspecific(ap->key);
	CURLcode cc = run_transfer(th, c, ap->connect_timeout_ms + ap->timeout_ms + 1000);
	if (cc == CURLE_OK) {
		long st = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
		if (st < 100 || st > 599) {
			rc = upstream_error(out, 502, "bad status from the AS", NULL);
		} else {
			out->status = (int)st;
			rc = PRES_OK;
		}
	} else if (x.too_big) {
		rc = upstream_error(out, 502, "response body over the limit", NULL);
	} else if (cc == CURLE_OPERATION_TIMEDOUT) {
		rc = upstream_error(out, 504, "upstream timeout", curl_easy_strerror(cc));
	} else {
		rc = upstream_error(out, 502, "upstream failure", curl_easy_strerror(cc));
	}
	/* no pointer into this call's buffers stays in the kept handle */
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, (char *)NULL);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, (void *)NULL);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, (void *)NULL);
	if (rc != PRES_OK) {
		/* a broken connection must not be reused: the connection stays in
		 * the thread's cache, so end it (the next request's liveness
		 * check then sees it closed and dials again) */
		curl_socket_t fd = CURL_SOCKET_BAD;
		if (curl_easy_getinfo(c, CURLINFO_ACTIVESOCKET, &fd) == CURLE_OK && fd != CURL_SOCKET_BAD)
			shutdown(fd, SHUT_RDWR);
	}
	curl_multi_remove_handle(th->m, c);
	if (rc != PRES_OK) {
		/* nothing of a failed exchange goes to the UE */
		headers_clear(out);
		free(out->body);
		out->body = NULL;
		out->body_len = 0;
		curl_easy_cleanup(c);
		th->h[idx] = NULL;
	}
	if (x.too_many_headers)
		log_warnx("ap: %s: more than %d response headers, the rest dropped", as->name, AP_MAX_RESP_HEADERS);
done:
	out->elapsed_ms = (long)(pres_now_ms() - t0);
	atomic_fetch_sub(&as->inflight, 1);
	curl_slist_free_all(hl);
	free(url);
	return rc;
}

void ap_response_clear(struct ap_response *r)
{
	if (!r)
		return;
	headers_clear(r);
	free(r->body);
	memset(r, 0, sizeof(*r));
}
