/*
 * gba-ue - a GBA_ME test UE (TS 24.109): bootstraps with a BSF over Ub
 * (HTTP Digest AKAv1-MD5, Milenage in software as the USIM), derives
 * Ks_NAF for a NAF, prints B-TID / Ks_NAF, and can run one Ut request
 * authenticated with username = B-TID, password = base64(Ks_NAF).
 *
 *   gba-ue --impi alice@ims.example.com --k HEX --opc HEX --print \
 *          --cipher-suite http
 *   gba-ue --impi ... --k ... --opc ... --cacert var/tls/ca.pem \
 *          --resolve xcap.ims.example.com:8443:127.0.0.1 \
 *          --url https://xcap.ims.example.com:8443/xcap-root/pres-rules/users/sip:alice@ims.example.com/index
 *
 * Exit status: 0 success (2xx on Ut), 1 failure, 2 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "auth/gba.h"

#define UA "presenced-gba-ue/0.1 3gpp-gba"
#define MAX_BODY (1024 * 1024)

struct opts {
	const char *bsf, *bsf_host, *impi, *naf_fqdn, *cipher, *cacert;
	const char *method, *url, *data_file, *content_type, *intended;
	const char *url_host;   /* host of --url: a GBA realm must name it */
	uint8_t k[16], opc[16], amf[2];
	int have_k, have_opc, have_amf, print, verbose, have_sqn_ms;
	uint64_t sqn_ms;
	struct curl_slist *resolve;
};

struct buf {
	char *p;
	size_t n;
};

struct xfer {
	struct buf body;
	char www_auth[2048];
	char auth_info[1024];
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;
	char *q;

	if (b->n + n > MAX_BODY)
		return 0;
	q = realloc(b->p, b->n + n + 1);
	if (q == NULL)
		return 0;
	memcpy(q + b->n, ptr, n);
	b->p = q;
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name), l;

	if (n <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	line += nl + 1;
	n -= nl + 1;
	while (n > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		n--;
	}
	while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n' || line[n - 1] == ' '))
		n--;
	l = n < size - 1 ? n : size - 1;
	memcpy(out, line, l);
	out[l] = '\0';
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;

	header_value(ptr, n, "WWW-Authenticate", x->www_auth, sizeof(x->www_auth));
	header_value(ptr, n, "Authentication-Info", x->auth_info, sizeof(x->auth_info));
	return n;
}

static CURL *new_handle(const struct opts *o, const char *url)
{
	CURL *c = curl_easy_init();

	if (c == NULL)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_USERAGENT, UA);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (o->resolve != NULL)
		curl_easy_setopt(c, CURLOPT_RESOLVE, o->resolve);
	if (o->cacert != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
	if (o->verbose)
		curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	return c;
}

/* One GET to the BSF with an Authorization header; returns the status. */
static long bsf_get(const struct opts *o, const char *authz, struct xfer *x)
{
	struct curl_slist *h = NULL;
	char line[2300], host[300];
	CURL *c = new_handle(o, o->bsf);
	long status = -1;
	CURLcode cc;

	memset(x, 0, sizeof(*x));
	if (c == NULL)
		return -1;
	snprintf(line, sizeof(line), "Authorization: %s", authz);
	h = curl_slist_append(h, line);
	if (o->bsf_host != NULL && *o->bsf_host != '\0') {
		snprintf(host, sizeof(host), "Host: %s", o->bsf_host);
		h = curl_slist_append(h, host);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK)
		fprintf(stderr, "gba-ue: BSF request failed: %s\n", curl_easy_strerror(cc));
	else
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	OPENSSL_cleanse(line, sizeof(line));
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return status;
}

/* Path of a URL for the digest uri ("/" if none). */
static void url_path(const char *url, char *out, size_t size)
{
	CURLU *u = curl_url();
	char *p = NULL;

	pres_strlcpy(out, "/", size);
	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PATH, &p, 0) == CURLUE_OK && p != NULL && *p != '\0')
		pres_strlcpy(out, p, size);
	curl_free(p);
	curl_url_cleanup(u);
}

static int url_host(const char *url, char *out, size_t size, int *is_https)
{
	CURLU *u = curl_url();
	char *h = NULL, *s = NULL;
	int rc = PRES_EINVAL;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &s, 0) == CURLUE_OK) {
		rc = pres_strlcpy(out, h, size);
		*is_https = strcasecmp(s, "https") == 0;
	}
	curl_free(h);
	curl_free(s);
	curl_url_cleanup(u);
	return rc;
}

static void xml_text(const char *xml, size_t len, const char *name, char *out, size_t size)
{
	xmlDoc *d = xmlReadMemory(xml, (int)len, "bsf.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNode *r;

	out[0] = '\0';
	if (d == NULL)
		return;
	r = xmlDocGetRootElement(d);
	if (r != NULL && xmlStrcmp(r->name, (const xmlChar *)"BootstrappingInfo") == 0) {
		for (xmlNode *c = r->children; c != NULL; c = c->next) {
			if (c->type == XML_ELEMENT_NODE &&
			    xmlStrcmp(c->name, (const xmlChar *)name) == 0) {
				xmlChar *t = xmlNodeGetContent(c);

				if (t != NULL)
					pres_strlcpy(out, (const char *)t, size);
				xmlFree(t);
				break;
			}
		}
	}
	xmlFreeDoc(d);
}

struct boot {
	char btid[GBA_BTID_MAX];
	char lifetime[64];
	uint8_t rand[16];
	uint8_t ks[32]; /* secret */
};

/* Ub: runs the AKA digest exchange; fills @p b. */
static int bootstrap(const struct opts *o, struct boot *b)
{
	struct xfer x;
	struct gba_digest_params dp;
	char authz[2048], uri[512], cnonce[17], resp[33], auts_b64[32];
	const char *realm, *nonce, *opaque;
	uint8_t nb[64], res[8], ck[16], ik[16], cn[8];
	size_t nl = 0;
	uint64_t sqn = 0;
	long st;
	int round, rc = PRES_EAUTH;

	url_path(o->bsf, uri, sizeof(uri));
	snprintf(authz, sizeof(authz), "Digest username=\"%s\", realm=\"%s\", nonce=\"\", "
	    "uri=\"%s\", response=\"\"", o->impi, o->bsf_host ? o->bsf_host : "", uri);
	st = bsf_get(o, authz, &x);
	for (round = 0; round < 3; round++) {
		if (st != 401 || gba_digest_parse(x.www_auth, &dp) != PRES_OK) {
			fprintf(stderr, "gba-ue: expected a Digest 401 from the BSF, got %ld\n", st);
			goto out;
		}
		free(x.body.p);
		x.body.p = NULL;
		realm = gba_digest_get(&dp, "realm");
		nonce = gba_digest_get(&dp, "nonce");
		opaque = gba_digest_get(&dp, "opaque");
		if (realm == NULL || nonce == NULL ||
		    gba_digest_get(&dp, "algorithm") == NULL ||
		    strcasecmp(gba_digest_get(&dp, "algorithm"), "AKAv1-MD5") != 0 ||
		    gba_b64_decode(nonce, nb, sizeof(nb), &nl) != PRES_OK || nl < 32) {
			fprintf(stderr, "gba-ue: not an AKAv1-MD5 challenge\n");
			goto out;
		}
		memcpy(b->rand, nb, 16);
		if (gba_milenage_check_autn(o->k, o->opc, nb, nb + 16, &sqn, res, ck, ik) != PRES_OK) {
			fprintf(stderr, "gba-ue: AUTN check failed (network authentication failure)\n");
			goto out;
		}
		if (o->have_amf && memcmp(nb + 22, o->amf, 2) != 0)
			fprintf(stderr, "gba-ue: note: AMF in AUTN differs from --amf\n");
		if (RAND_bytes(cn, sizeof(cn)) != 1)
			goto out;
		pres_hex(cn, sizeof(cn), cnonce);
		if (o->have_sqn_ms && sqn <= o->sqn_ms) {
			uint8_t auts[14];

			fprintf(stderr, "gba-ue: SQN %llu not fresh (USIM at %llu): sending AUTS\n",
			    (unsigned long long)sqn, (unsigned long long)o->sqn_ms);
			if (gba_milenage_auts(o->k, o->opc, nb, o->sqn_ms, auts) != PRES_OK ||
			    gba_b64_encode(auts, 14, auts_b64, sizeof(auts_b64)) != PRES_OK ||
			    gba_digest_response(o->impi, realm, NULL, 0, "GET", uri, nonce,
			    "00000001", cnonce, "auth-int", NULL, 0, resp) != PRES_OK)
				goto out;
			snprintf(authz, sizeof(authz), "Digest username=\"%s\", realm=\"%s\", "
			    "nonce=\"%s\", uri=\"%s\", qop=auth-int, nc=00000001, cnonce=\"%s\", "
			    "response=\"%s\", opaque=\"%s\", algorithm=AKAv1-MD5, auts=\"%s\"",
			    o->impi, realm, nonce, uri, cnonce, resp, opaque ? opaque : "", auts_b64);
			st = bsf_get(o, authz, &x);
			continue;
		}
		if (gba_digest_response(o->impi, realm, res, sizeof(res), "GET", uri, nonce,
		    "00000001", cnonce, "auth-int", NULL, 0, resp) != PRES_OK)
			goto out;
		snprintf(authz, sizeof(authz), "Digest username=\"%s\", realm=\"%s\", "
		    "nonce=\"%s\", uri=\"%s\", qop=auth-int, nc=00000001, cnonce=\"%s\", "
		    "response=\"%s\"%s%s%s, algorithm=AKAv1-MD5", o->impi, realm, nonce, uri,
		    cnonce, resp, opaque ? ", opaque=\"" : "", opaque ? opaque : "",
		    opaque ? "\"" : "");
		st = bsf_get(o, authz, &x);
		if (st != 200) {
			fprintf(stderr, "gba-ue: BSF answered %ld to the AKA response\n", st);
			goto out;
		}
		/* Check rspauth: the BSF knew RES too (mutual authentication). */
		{
			struct gba_digest_params ai;
			char full[1100], want[33];
			const char *rsp;

			snprintf(full, sizeof(full), "Digest %s", x.auth_info);
			if (gba_digest_parse(full, &ai) != PRES_OK ||
			    (rsp = gba_digest_get(&ai, "rspauth")) == NULL ||
			    gba_digest_response(o->impi, realm, res, sizeof(res), NULL, uri, nonce,
			    "00000001", cnonce, "auth-int", (const uint8_t *)x.body.p, x.body.n,
			    want) != PRES_OK || strcmp(want, rsp) != 0) {
				fprintf(stderr, "gba-ue: BSF rspauth missing or wrong\n");
				goto out;
			}
		}
		xml_text(x.body.p ? x.body.p : "", x.body.n, "btid", b->btid, sizeof(b->btid));
		xml_text(x.body.p ? x.body.p : "", x.body.n, "lifetime", b->lifetime,
		    sizeof(b->lifetime));
		if (b->btid[0] == '\0') {
			fprintf(stderr, "gba-ue: no <btid> in the BSF answer\n");
			goto out;
		}
		memcpy(b->ks, ck, 16);
		memcpy(b->ks + 16, ik, 16);
		rc = PRES_OK;
		goto out;
	}
	fprintf(stderr, "gba-ue: too many resynchronisation rounds\n");
out:
	free(x.body.p);
	OPENSSL_cleanse(res, sizeof(res));
	OPENSSL_cleanse(ck, sizeof(ck));
	OPENSSL_cleanse(ik, sizeof(ik));
	OPENSSL_cleanse(authz, sizeof(authz));
	return rc;
}

/* Reads the negotiated TLS cipher suite of @p c; valid only during a
 * transfer (libcurl keeps the SSL pointer only while the connection is in
 * use), so it is called from the header callback. */
static int current_suite(CURL *c, uint16_t *suite)
{
	const struct curl_tlssessioninfo *ti = NULL;
	const SSL_CIPHER *ciph;

	if (curl_easy_getinfo(c, CURLINFO_TLS_SSL_PTR, &ti) != CURLE_OK || ti == NULL ||
	    ti->backend != CURLSSLBACKEND_OPENSSL || ti->internals == NULL)
		return PRES_ENOTFOUND;
	ciph = SSL_get_current_cipher((SSL *)ti->internals);
	if (ciph == NULL)
		return PRES_ENOTFOUND;
	*suite = SSL_CIPHER_get_protocol_id(ciph);
	return PRES_OK;
}

struct suite_probe {
	CURL *c;
	int have;
	uint16_t suite;
	const char *host;        /* the host we connected to (TLS server name) */
	int realm_bad;           /* a GBA realm named another host: refused */
	char realm_seen[300];    /* that realm's FQDN, for the message */
};

/*
 * TS 33.222 §5.3 (step 4): before answering a GBA challenge, the UE checks
 * that the FQDN in the realm "3GPP-bootstrapping@FQDN" is the host it is
 * talking to; otherwise a server could make it answer with the Ks_NAF of
 * another NAF. A realm value may offer several ';'-separated names; only
 * the GBA_ME one ("3GPP-bootstrapping@") is ours. Returns 1 when a GBA_ME
 * realm is offered and none of its FQDNs is @p host.
 */
static int realm_names_other_host(const char *line, size_t n, const char *host,
    char *seen, size_t seen_size)
{
	static const char pfx[] = "3GPP-bootstrapping@";
	char v[1024];
	const char *r = NULL;
	size_t i, len;
	int offered = 0, match = 0;

	if (n < 17 || strncasecmp(line, "WWW-Authenticate:", 17) != 0)
		return 0;
	for (i = 17; i + 7 <= n; i++) {
		if (strncasecmp(line + i, "realm=\"", 7) == 0 &&
		    (line[i - 1] == ' ' || line[i - 1] == ',' || line[i - 1] == '\t')) {
			r = line + i + 7;
			break;
		}
	}
	if (r == NULL)
		return 0;
	for (len = 0; r + len < line + n && r[len] != '"'; len++)
		;
	if (len >= sizeof(v))
		len = sizeof(v) - 1;
	memcpy(v, r, len);
	v[len] = '\0';
	for (char *item = v, *next; item != NULL; item = next) {
		next = strchr(item, ';');
		if (next != NULL)
			*next++ = '\0';
		if (strncmp(item, pfx, sizeof(pfx) - 1) != 0)
			continue;
		offered = 1;
		if (strcasecmp(item + sizeof(pfx) - 1, host) == 0)
			match = 1;
		else
			pres_strlcpy(seen, item + sizeof(pfx) - 1, seen_size);
	}
	return offered && !match;
}

static size_t on_probe_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct suite_probe *p = arg;

	if (!p->have && current_suite(p->c, &p->suite) == PRES_OK)
		p->have = 1;
	if (p->host != NULL && realm_names_other_host(ptr, size * nmemb, p->host,
	    p->realm_seen, sizeof(p->realm_seen))) {
		p->realm_bad = 1;
		return 0;   /* abort the transfer: nothing is answered */
	}
	return size * nmemb;
}

/* Prints why a transfer stopped on a realm for another host. */
static void realm_refused(const struct suite_probe *p)
{
	fprintf(stderr, "gba-ue: the server's GBA realm names 3GPP-bootstrapping@%s, but this "
	    "connection is to %s: not answered (TS 33.222 5.3)\n", p->realm_seen, p->host);
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * nmemb;
}

/* TLS cipher suite the NAF negotiates with us: one unauthenticated request
 * (the NAF answers 401); the Ut request then runs on a new connection with
 * the same TLS settings, and on_probe_header checks it got the same suite. */
static int probe_suite(const struct opts *o, uint16_t *suite)
{
	struct suite_probe p = { 0 };
	CURLcode cc;
	int rc = PRES_EIO;

	p.c = new_handle(o, o->url);
	if (p.c == NULL)
		return PRES_ENOMEM;
	p.host = o->url_host;
	curl_easy_setopt(p.c, CURLOPT_HEADERFUNCTION, on_probe_header);
	curl_easy_setopt(p.c, CURLOPT_HEADERDATA, &p);
	curl_easy_setopt(p.c, CURLOPT_WRITEFUNCTION, discard);
	cc = curl_easy_perform(p.c);
	if (p.realm_bad)
		realm_refused(&p);
	else if (cc != CURLE_OK)
		fprintf(stderr, "gba-ue: request to the NAF failed: %s\n", curl_easy_strerror(cc));
	else if (!p.have)
		fprintf(stderr, "gba-ue: cannot read the TLS cipher suite (libcurl not on "
		    "OpenSSL?): use --cipher-suite HEX4\n");
	else {
		*suite = p.suite;
		rc = PRES_OK;
	}
	curl_easy_cleanup(p.c);
	return rc;
}

static int read_file(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;

	if (f == NULL) {
		perror(path);
		return PRES_EIO;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (on_body(chunk, 1, n, b) != n) {
			fclose(f);
			return PRES_ETOOBIG;
		}
	}
	fclose(f);
	return PRES_OK;
}

/* Ut: one request authenticated by libcurl's Digest with B-TID/base64(Ks_NAF). */
static int ut_request(const struct opts *o, const char *btid, const char *password,
    int check_suite, uint16_t suite)
{
	struct suite_probe p = { 0 };
	struct curl_slist *h = NULL;
	struct buf data = { 0 }, body = { 0 };
	char line[600];
	CURL *c = new_handle(o, o->url);
	long st = 0;
	CURLcode cc;
	int rc = PRES_EIO;

	if (c == NULL)
		return PRES_ENOMEM;
	if (o->data_file != NULL && read_file(o->data_file, &data) != PRES_OK)
		goto out;
	curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_DIGEST);
	curl_easy_setopt(c, CURLOPT_USERNAME, btid);
	curl_easy_setopt(c, CURLOPT_PASSWORD, password);
	if (strcmp(o->method, "GET") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, o->method);
	if (o->data_file != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, data.p ? data.p : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)data.n);
	}
	if (o->content_type != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", o->content_type);
		h = curl_slist_append(h, line);
	}
	if (o->intended != NULL) {
		snprintf(line, sizeof(line), "X-3GPP-Intended-Identity: \"%s\"", o->intended);
		h = curl_slist_append(h, line);
	}
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	p.c = c;
	p.host = o->url_host;
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_probe_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &p);
	cc = curl_easy_perform(c);
	if (p.realm_bad) {
		realm_refused(&p);
		goto out;
	}
	if (cc != CURLE_OK) {
		fprintf(stderr, "gba-ue: Ut request failed: %s\n", curl_easy_strerror(cc));
		goto out;
	}
	if (check_suite && p.have && p.suite != suite)
		fprintf(stderr, "gba-ue: warning: Ut connection negotiated suite %04x, key was "
		    "derived for %04x\n", p.suite, suite);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	fprintf(stderr, "gba-ue: Ut %s -> HTTP %ld\n", o->method, st);
	if (body.n > 0)
		fwrite(body.p, 1, body.n, stdout);
	rc = st >= 200 && st < 300 ? PRES_OK : PRES_EAUTH;
out:
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(data.p);
	free(body.p);
	return rc;
}

static void usage(void)
{
	fprintf(stderr,
	    "usage: gba-ue --impi IMPI --k HEX32 (--opc HEX32 | --op HEX32) [options]\n"
	    "  --bsf URL               BSF (default http://127.0.0.1:8080/)\n"
	    "  --bsf-host HOST         Host header / realm hint (default bsf.ims.example.com)\n"
	    "  --amf HEX4              expected AMF (only compared)\n"
	    "  --sqn-ms N              USIM's highest SQN: older SQNs trigger AUTS (resync)\n"
	    "  --naf-fqdn FQDN         NAF name (default: host of --url, else xcap.ims.example.com)\n"
	    "  --cipher-suite S        auto (from the TLS connection to --url), http, or HEX4\n"
	    "  --resolve H:P:ADDR      like curl --resolve (repeatable)\n"
	    "  --cacert FILE           CA bundle for HTTPS\n"
	    "  --print                 print BTID=..., KSNAF=... (base64), LIFETIME=...\n"
	    "  --method M --url URL [--data-file F] [--content-type T] [--intended-identity URI]\n"
	    "                          one Ut request with Digest (B-TID / base64(Ks_NAF))\n"
	    "  --verbose\n");
}

static int parse_hex_opt(const char *v, uint8_t *out, size_t n, const char *name)
{
	if (pres_unhex(v, out, n) != PRES_OK) {
		fprintf(stderr, "gba-ue: %s needs %zu hex digits\n", name, 2 * n);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "bsf", required_argument, NULL, 'b' },
		{ "bsf-host", required_argument, NULL, 'H' },
		{ "impi", required_argument, NULL, 'i' },
		{ "k", required_argument, NULL, 'k' },
		{ "opc", required_argument, NULL, 'o' },
		{ "op", required_argument, NULL, 'O' },
		{ "amf", required_argument, NULL, 'a' },
		{ "sqn-ms", required_argument, NULL, 'q' },
		{ "naf-fqdn", required_argument, NULL, 'n' },
		{ "cipher-suite", required_argument, NULL, 'c' },
		{ "resolve", required_argument, NULL, 'r' },
		{ "cacert", required_argument, NULL, 'C' },
		{ "print", no_argument, NULL, 'p' },
		{ "method", required_argument, NULL, 'm' },
		{ "url", required_argument, NULL, 'u' },
		{ "data-file", required_argument, NULL, 'd' },
		{ "content-type", required_argument, NULL, 't' },
		{ "intended-identity", required_argument, NULL, 'I' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o;
	struct boot b;
	struct gba_naf_id nid;
	uint8_t ua[GBA_UA_ID_LEN], op[16], ks_naf[32];
	char fqdn[GBA_FQDN_MAX + 1], urlhost[GBA_FQDN_MAX + 1], pw[48];
	int ch, have_op = 0, is_https = 0, ret = 1, have_suite = 0;
	uint16_t suite = 0;
	long long ll;

	memset(&o, 0, sizeof(o));
	memset(&b, 0, sizeof(b));
	memset(op, 0, sizeof(op));
	o.bsf = "http://127.0.0.1:8080/";
	o.bsf_host = "bsf.ims.example.com";
	o.cipher = "auto";
	o.method = "GET";
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'b': o.bsf = optarg; break;
		case 'H': o.bsf_host = optarg; break;
		case 'i': o.impi = optarg; break;
		case 'k': if (parse_hex_opt(optarg, o.k, 16, "--k")) return 2; o.have_k = 1; break;
		case 'o': if (parse_hex_opt(optarg, o.opc, 16, "--opc")) return 2; o.have_opc = 1; break;
		case 'O': if (parse_hex_opt(optarg, op, 16, "--op")) return 2; have_op = 1; break;
		case 'a': if (parse_hex_opt(optarg, o.amf, 2, "--amf")) return 2; o.have_amf = 1; break;
		case 'q':
			if (pres_parse_ll(optarg, 0, (long long)GBA_SQN_MAX, &ll) != PRES_OK) {
				fprintf(stderr, "gba-ue: bad --sqn-ms\n");
				return 2;
			}
			o.sqn_ms = (uint64_t)ll;
			o.have_sqn_ms = 1;
			break;
		case 'n': o.naf_fqdn = optarg; break;
		case 'c': o.cipher = optarg; break;
		case 'r': o.resolve = curl_slist_append(o.resolve, optarg); break;
		case 'C': o.cacert = optarg; break;
		case 'p': o.print = 1; break;
		case 'm': o.method = optarg; break;
		case 'u': o.url = optarg; break;
		case 'd': o.data_file = optarg; break;
		case 't': o.content_type = optarg; break;
		case 'I': o.intended = optarg; break;
		case 'v': o.verbose = 1; break;
		default: usage(); return 2;
		}
	}
	if (o.impi == NULL || !o.have_k || (!o.have_opc && !have_op) || optind != argc) {
		usage();
		return 2;
	}
	if (strcmp(o.method, "GET") != 0 && strcmp(o.method, "PUT") != 0 &&
	    strcmp(o.method, "DELETE") != 0) {
		fprintf(stderr, "gba-ue: --method is GET, PUT or DELETE\n");
		return 2;
	}
	if (!o.have_opc && gba_milenage_opc(o.k, op, o.opc) != PRES_OK)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);

	/* NAF_Id: FQDN || Ua security protocol id */
	if (o.naf_fqdn != NULL)
		pres_strlcpy(fqdn, o.naf_fqdn, sizeof(fqdn));
	else if (o.url != NULL && url_host(o.url, fqdn, sizeof(fqdn), &is_https) == PRES_OK)
		;
	else
		pres_strlcpy(fqdn, "xcap.ims.example.com", sizeof(fqdn));
	if (o.url != NULL && url_host(o.url, urlhost, sizeof(urlhost), &is_https) != PRES_OK) {
		fprintf(stderr, "gba-ue: bad --url\n");
		goto out;
	}
	o.url_host = urlhost;
	if (strcasecmp(o.cipher, "http") == 0) {
		gba_ua_id_http(ua);
	} else if (strcasecmp(o.cipher, "auto") == 0) {
		if (o.url == NULL) {
			fprintf(stderr, "gba-ue: --cipher-suite auto needs --url "
			    "(or give http / HEX4)\n");
			goto out;
		}
		if (!is_https) {
			gba_ua_id_http(ua);
		} else {
			if (probe_suite(&o, &suite) != PRES_OK)
				goto out;
			fprintf(stderr, "gba-ue: negotiated TLS cipher suite %04x\n", suite);
			gba_ua_id_tls(suite, ua);
			have_suite = 1;
		}
	} else {
		uint8_t s[2];

		if (pres_unhex(o.cipher, s, 2) != PRES_OK) {
			fprintf(stderr, "gba-ue: --cipher-suite is auto, http or 4 hex digits\n");
			goto out;
		}
		suite = (uint16_t)(s[0] << 8 | s[1]);
		have_suite = 1;
		gba_ua_id_tls(suite, ua);
	}
	if (gba_naf_id_make(fqdn, ua, &nid) != PRES_OK) {
		fprintf(stderr, "gba-ue: bad NAF FQDN\n");
		goto out;
	}

	if (bootstrap(&o, &b) != PRES_OK)
		goto out;
	if (gba_ks_naf(b.ks, b.rand, o.impi, &nid, ks_naf) != PRES_OK ||
	    gba_b64_encode(ks_naf, 32, pw, sizeof(pw)) != PRES_OK)
		goto out;
	if (o.print) {
		printf("BTID=%s\nKSNAF=%s\nLIFETIME=%s\nNAF_FQDN=%s\n", b.btid, pw, b.lifetime,
		    fqdn);
		fflush(stdout);
	}
	ret = 0;
	if (o.url != NULL && ut_request(&o, b.btid, pw, have_suite, suite) != PRES_OK)
		ret = 1;
out:
	OPENSSL_cleanse(&b, sizeof(b));
	OPENSSL_cleanse(ks_naf, sizeof(ks_naf));
	OPENSSL_cleanse(pw, sizeof(pw));
	OPENSSL_cleanse(o.k, sizeof(o.k));
	OPENSSL_cleanse(o.opc, sizeof(o.opc));
	OPENSSL_cleanse(op, sizeof(op));
	curl_slist_free_all(o.resolve);
	curl_global_cleanup();
	return ret;
}
