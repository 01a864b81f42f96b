/*
 * check_ap.c - unit tests of ap/ (the AP's forwarding half): header rules,
 * configuration checks, virtual-host lookup, and real forwarding to a tiny
 * HTTP server on loopback run by a thread of this test (what the AS
 * receives, what comes back, 502/504/503 and size limits).
 */
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ap/ap.h"
#include "pres.h"

/* ---- header rules ------------------------------------------------------ */

START_TEST(test_hop_by_hop)
{
	ck_assert_int_eq(ap_header_is_hop_by_hop("Connection"), 1);
	ck_assert_int_eq(ap_header_is_hop_by_hop("keep-alive"), 1);
	ck_assert_int_eq(ap_header_is_hop_by_hop("Transfer-Encoding"), 1);
	ck_assert_int_eq(ap_header_is_hop_by_hop("TE"), 1);
	ck_assert_int_eq(ap_header_is_hop_by_hop("Upgrade"), 1);
	ck_assert_int_eq(ap_header_is_hop_by_hop("Proxy-Authorization"), 1);
	ck_assert_int_eq(ap_header_is_hop_by_hop("proxy-authenticate"), 1);
	ck_assert_int_eq(ap_header_is_hop_by_hop("Cookie"), 0);
	ck_assert_int_eq(ap_header_is_hop_by_hop("Set-Cookie"), 0);
	ck_assert_int_eq(ap_header_is_hop_by_hop("Content-Type"), 0);
}
END_TEST

START_TEST(test_forwardable)
{
	ck_assert_int_eq(ap_header_forwardable("Cookie", NULL), 1);
	ck_assert_int_eq(ap_header_forwardable("If-Match", NULL), 1);
	ck_assert_int_eq(ap_header_forwardable("User-Agent", NULL), 1);
	ck_assert_int_eq(ap_header_forwardable("Authorization", NULL), 0);
	ck_assert_int_eq(ap_header_forwardable("x-3gpp-asserted-identity", NULL), 0);
	ck_assert_int_eq(ap_header_forwardable("X-3GPP-Intended-Identity", NULL), 0);
	ck_assert_int_eq(ap_header_forwardable("Host", NULL), 0);
	ck_assert_int_eq(ap_header_forwardable("Content-Length", NULL), 0);
	ck_assert_int_eq(ap_header_forwardable("Expect", NULL), 0);
	ck_assert_int_eq(ap_header_forwardable("Keep-Alive", NULL), 0);
	/* headers named by Connection are hop-by-hop too (RFC 9110 7.6.1) */
	ck_assert_int_eq(ap_header_forwardable("X-Foo", "close, x-foo"), 0);
	ck_assert_int_eq(ap_header_forwardable("X-Foo-Bar", "close, x-foo"), 1);
	ck_assert_int_eq(ap_header_forwardable("", NULL), 0);
}
END_TEST

START_TEST(test_addr_in)
{
	const char *l[] = { "10.0.0.0/8", "127.0.0.2", "fd00::/8" };
	ck_assert_int_eq(pres_addr_in("10.1.2.3", l, 3), 1);
	ck_assert_int_eq(pres_addr_in("11.1.2.3", l, 3), 0);
	ck_assert_int_eq(pres_addr_in("127.0.0.2", l, 3), 1);
	ck_assert_int_eq(pres_addr_in("127.0.0.1", l, 3), 0);
	ck_assert_int_eq(pres_addr_in("fd12::1", l, 3), 1);
	ck_assert_int_eq(pres_addr_in("fe80::1", l, 3), 0);
	ck_assert_int_eq(pres_addr_in("not-an-ip", l, 3), 0);
}
END_TEST

/* ---- configuration ----------------------------------------------------- */

static const char *const trust_lo[] = { "127.0.0.0/8" };

static struct ap *make(const struct ap_as_cfg *as, size_t n, char *err, size_t esz)
{
	struct ap_cfg c = { .as = as, .n_as = n, .trust_domain = trust_lo, .n_trust_domain = 1,
	    .connect_timeout_ms = 1000, .timeout_ms = 400, .max_response = 4096, .max_inflight = 4 };
	return ap_new(&c, err, esz);
}

START_TEST(test_config_checks)
{
	char err[256];
	struct ap *ap;
	struct ap_as_cfg bad_scheme = { .name = "as.example.com", .upstream = "ftp://127.0.0.1/" };
	ck_assert_ptr_null(make(&bad_scheme, 1, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "https://"));
	/* plain HTTP only to an address inside the trust domain */
	struct ap_as_cfg plain_out = { .name = "as.example.com", .upstream = "http://192.0.2.1:80" };
	ck_assert_ptr_null(make(&plain_out, 1, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "trust_domain"));
	struct ap_as_cfg plain_name = { .name = "as.example.com", .upstream = "http://as.example.com:80" };
	ck_assert_ptr_null(make(&plain_name, 1, err, sizeof(err)));
	/* identity only to an AS inside the trust domain */
	struct ap_as_cfg leak = { .name = "as.example.com", .upstream = "https://as.example.com",
	    .trusted = 0, .assert_identity = 1 };
	ck_assert_ptr_null(make(&leak, 1, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "assert_identity"));
	struct ap_as_cfg dup[2] = {
		{ .name = "as.example.com", .upstream = "https://a.example.com" },
		{ .name = "AS.example.com", .upstream = "https://b.example.com" },
	};
	ck_assert_ptr_null(make(dup, 2, err, sizeof(err)));
	struct ap_as_cfg badaddr = { .name = "as.example.com", .upstream = "https://a.example.com",
	    .address = "somewhere" };
	ck_assert_ptr_null(make(&badaddr, 1, err, sizeof(err)));

	struct ap_as_cfg good[2] = {
		{ .name = "as1.example.com", .upstream = "https://a.example.com:8443/prefix/",
		  .address = "127.0.0.1", .trusted = 1, .assert_identity = 1 },
		{ .name = "as2.example.com", .upstream = "http://127.0.0.5:8080" },
	};
	ap = make(good, 2, err, sizeof(err));
	ck_assert_msg(ap != NULL, "%s", err);
	ck_assert_int_eq(ap_count(ap), 2);
	ck_assert_int_eq(ap_lookup(ap, "as1.example.com"), 0);
	ck_assert_int_eq(ap_lookup(ap, "AS1.Example.com:8443"), 0);
	ck_assert_int_eq(ap_lookup(ap, "as2.example.com."), 1);
	ck_assert_int_eq(ap_lookup(ap, "as3.example.com"), -1);
	ck_assert_int_eq(ap_lookup(ap, "[::1]:80"), -1);
	ck_assert_int_eq(ap_lookup(ap, NULL), -1);
	ck_assert_str_eq(ap_as_name(ap, 1), "as2.example.com");
	ck_assert_int_eq(ap_as_gets_identity(ap, 0), 1);
	ck_assert_int_eq(ap_as_gets_identity(ap, 1), 0);
	ap_free(ap);
}
END_TEST

/* ---- a tiny upstream server ------------------------------------------- */

struct fake_as {
	int fd, port;
	pthread_t th;
	char req[8192];        /* last request received (head + body) */
	size_t req_len;
	const char *resp;      /* canned response */
	int delay_ms;          /* before answering */
	int requests;
	int stop;
};

static void *fake_run(void *arg)
{
	struct fake_as *f = arg;
	for (;;) {
		int c = accept(f->fd, NULL, NULL);
		if (c < 0 || f->stop) {
			if (c >= 0)
				close(c);
			return NULL;
		}
		size_t n = 0;
		ssize_t r;
		char *end = NULL;
		long clen = 0;
		while (n < sizeof(f->req) - 1 && (r = read(c, f->req + n, sizeof(f->req) - 1 - n)) > 0) {
			n += (size_t)r;
			f->req[n] = '\0';
			if (!end && (end = strstr(f->req, "\r\n\r\n"))) {
				char *cl = strcasestr(f->req, "\r\nContent-Length:");
				if (cl && cl < end)
					clen = strtol(cl + 17, NULL, 10);
			}
			if (end && n >= (size_t)(end + 4 - f->req) + (size_t)clen)
				break;
		}
		f->req_len = n;
		f->requests++;
		if (f->delay_ms)
			usleep((useconds_t)f->delay_ms * 1000);
		if (write(c, f->resp, strlen(f->resp)) < 0) {
			/* the client gave up (timeout test) */
		}
		close(c);
	}
}

static void fake_start(struct fake_as *f, const char *resp, int delay_ms)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	memset(f, 0, sizeof(*f));
	f->resp = resp;
	f->delay_ms = delay_ms;
	f->fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(f->fd, 0);
	ck_assert_int_eq(bind(f->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(f->fd, 8), 0);
	ck_assert_int_eq(getsockname(f->fd, (struct sockaddr *)&a, &al), 0);
	f->port = ntohs(a.sin_port);
	ck_assert_int_eq(pthread_create(&f->th, NULL, fake_run, f), 0);
}

static void fake_stop(struct fake_as *f)
{
	f->stop = 1;
	shutdown(f->fd, SHUT_RDWR);
	/* wake accept() */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	    .sin_port = htons((uint16_t)f->port) };
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		/* already closed */
	}
	close(s);
	pthread_join(f->th, NULL);
	close(f->fd);
}

static struct ap *ap_for(int port, int trusted, int assert_identity)
{
	static char url[2][64];
	static struct ap_as_cfg as[2];
	char err[256];
	snprintf(url[0], sizeof(url[0]), "http://127.0.0.1:%d/base/", port);
	as[0] = (struct ap_as_cfg){ .name = "as.example.com", .upstream = url[0],
	    .trusted = trusted, .assert_identity = assert_identity };
	struct ap *ap = make(as, 1, err, sizeof(err));
	ck_assert_msg(ap != NULL, "%s", err);
	return ap;
}

static const char *RESP_OK =
    "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nSet-Cookie: s=1; Path=/\r\n"
    "Set-Cookie: t=2\r\nConnection: close\r\nKeep-Alive: timeout=5\r\nX-AS: yes\r\n"
    "Content-Length: 8\r\n\r\n<a>b</a>";

static const struct ap_header UE_HEADERS[] = {
	{ "User-Agent", "ue 3gpp-gba" },
	{ "Cookie", "s=1; t=2" },
	{ "Authorization", "Digest username=\"btid\", response=\"x\"" },
	{ "X-3GPP-Asserted-Identity", "\"sip:forged@example.com\"" },
	{ "X-3GPP-Intended-Identity", "\"sip:alice@example.com\"" },
	{ "Connection", "keep-alive, X-Hop" },
	{ "X-Hop", "1" },
	{ "Proxy-Authorization", "Basic Zm9v" },
	{ "TE", "trailers" },
	{ "Content-Type", "application/xml" },
	{ "If-Match", "\"e1\"" },
};

START_TEST(test_forward_trusted)
{
	struct fake_as f;
	struct ap_response r;
	fake_start(&f, RESP_OK, 0);
	struct ap *ap = ap_for(f.port, 1, 1);
	struct ap_request rq = { .method = "PUT", .target = "/xcap-root/doc?x=1",
	    .headers = UE_HEADERS, .n_headers = PRES_ARRAY_LEN(UE_HEADERS),
	    .body = "<doc/>", .body_len = 6, .asserted_identity = "sip:alice@example.com" };
	ck_assert_int_eq(ap_forward(ap, 0, &rq, &r), PRES_OK);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.upstream_failed, 0);
	/* what the AS got */
	ck_assert_msg(strncmp(f.req, "PUT /base/xcap-root/doc?x=1 HTTP/1.1\r\n", 38) == 0, "%s", f.req);
	ck_assert_ptr_nonnull(strstr(f.req, "\r\nX-3GPP-Asserted-Identity: \"sip:alice@example.com\"\r\n"));
	ck_assert_ptr_null(strstr(f.req, "forged"));
	ck_assert_ptr_null(strcasestr(f.req, "Intended-Identity"));
	ck_assert_ptr_null(strcasestr(f.req, "Authorization"));
	ck_assert_ptr_null(strcasestr(f.req, "X-Hop"));
	ck_assert_ptr_null(strcasestr(f.req, "\r\nTE:"));
	ck_assert_ptr_null(strcasestr(f.req, "Expect:"));
	ck_assert_ptr_nonnull(strstr(f.req, "\r\nCookie: s=1; t=2\r\n"));
	ck_assert_ptr_nonnull(strstr(f.req, "\r\nUser-Agent: ue 3gpp-gba\r\n"));
	ck_assert_ptr_nonnull(strstr(f.req, "\r\nIf-Match: \"e1\"\r\n"));
	ck_assert_ptr_nonnull(strstr(f.req, "\r\nContent-Length: 6\r\n"));
	ck_assert_ptr_nonnull(strstr(f.req, "\r\n\r\n<doc/>"));
	ck_assert_ptr_null(strstr(f.req, "Accept:"));
	/* what comes back */
	ck_assert_str_eq(r.content_type, "application/xml");
	ck_assert_int_eq(r.body_len, 8);
	ck_assert_str_eq(r.body, "<a>b</a>");
	int cookies = 0, xas = 0;
	for (size_t i = 0; i < r.n_headers; i++) {
		ck_assert_msg(strcasecmp(r.hname[i], "Connection") && strcasecmp(r.hname[i], "Keep-Alive") &&
		    strcasecmp(r.hname[i], "Content-Length"), "%s passed", r.hname[i]);
		cookies += strcasecmp(r.hname[i], "Set-Cookie") == 0;
		xas += strcmp(r.hname[i], "X-AS") == 0 && strcmp(r.hvalue[i], "yes") == 0;
	}
	ck_assert_int_eq(cookies, 2);
	ck_assert_int_eq(xas, 1);
	ap_response_clear(&r);
	ap_free(ap);
	fake_stop(&f);
}
END_TEST

START_TEST(test_forward_untrusted_gets_no_identity)
{
	struct fake_as f;
	struct ap_response r;
	fake_start(&f, RESP_OK, 0);
	struct ap *ap = ap_for(f.port, 0, 0);
	struct ap_request rq = { .method = "GET", .target = "/page",
	    .headers = UE_HEADERS, .n_headers = PRES_ARRAY_LEN(UE_HEADERS),
	    .asserted_identity = "sip:alice@example.com" };
	ck_assert_int_eq(ap_forward(ap, 0, &rq, &r), PRES_OK);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_null(strcasestr(f.req, "X-3GPP"));
	ck_assert_ptr_null(strstr(f.req, "alice"));
	ck_assert_msg(strncmp(f.req, "GET /base/page HTTP/1.1\r\n", 25) == 0, "%s", f.req);
	ap_response_clear(&r);
	ap_free(ap);
	fake_stop(&f);
}
END_TEST

START_TEST(test_forward_failures)
{
	struct fake_as f;
	struct ap_response r;
	struct ap_request rq = { .method = "GET", .target = "/x" };

	/* slow AS: 504 after the timeout (400 ms), not after its 1.5 s */
	fake_start(&f, RESP_OK, 1500);
	struct ap *ap = ap_for(f.port, 1, 1);
	ck_assert_int_eq(ap_forward(ap, 0, &rq, &r), PRES_EIO);
	ck_assert_int_eq(r.status, 504);
	ck_assert_int_eq(r.upstream_failed, 1);
	ck_assert_int_lt(r.elapsed_ms, 1400);
	ck_assert_ptr_null(r.body);
	ap_response_clear(&r);
	ap_free(ap);
	fake_stop(&f);

	/* response over max_response (4096): 502 */
	static char big[8192];
	int hl = snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nContent-Length: 6000\r\n\r\n");
	memset(big + hl, 'x', 6000);
	big[hl + 6000] = '\0';
	fake_start(&f, big, 0);
	ap = ap_for(f.port, 1, 1);
	ck_assert_int_eq(ap_forward(ap, 0, &rq, &r), PRES_EIO);
	ck_assert_int_eq(r.status, 502);
	ck_assert_ptr_nonnull(strstr(r.error, "limit"));
	ap_response_clear(&r);
	int port = f.port;
	ap_free(ap);
	fake_stop(&f);

	/* dead AS (nobody listening any more): 502 */
	ap = ap_for(port, 1, 1);
	ck_assert_int_eq(ap_forward(ap, 0, &rq, &r), PRES_EIO);
	ck_assert_int_eq(r.status, 502);
	ap_response_clear(&r);

	/* bad index / target */
	ck_assert_int_eq(ap_forward(ap, 3, &rq, &r), PRES_EINVAL);
	struct ap_request bad = { .method = "GET", .target = "http://elsewhere/" };
	ck_assert_int_eq(ap_forward(ap, 0, &bad, &r), PRES_EINVAL);
	ap_free(ap);
}
END_TEST

/* concurrency bound: the fifth parallel request to one AS gets 503 */
struct par { struct ap *ap; int status; };
static void *par_run(void *arg)
{
	struct par *p = arg;
	struct ap_response r;
	struct ap_request rq = { .method = "GET", .target = "/x" };
	ap_forward(p->ap, 0, &rq, &r);
	p->status = r.status;
	ap_response_clear(&r);
	return NULL;
}

START_TEST(test_inflight_limit)
{
	struct fake_as f;
	struct par p[6];
	pthread_t th[6];
	fake_start(&f, RESP_OK, 300);   /* serial server: requests pile up */
	struct ap *ap = ap_for(f.port, 1, 1);
	for (int i = 0; i < 6; i++) {
		p[i].ap = ap;
		p[i].status = 0;
		ck_assert_int_eq(pthread_create(&th[i], NULL, par_run, &p[i]), 0);
	}
	int busy = 0;
	for (int i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		busy += p[i].status == 503;
	}
	ck_assert_int_ge(busy, 2);   /* max_inflight = 4 */
	ap_free(ap);
	fake_stop(&f);
}
END_TEST

static Suite *ap_suite(void)
{
	Suite *s = suite_create("ap");
	TCase *t = tcase_create("rules");
	tcase_add_test(t, test_hop_by_hop);
	tcase_add_test(t, test_forwardable);
	tcase_add_test(t, test_addr_in);
	tcase_add_test(t, test_config_checks);
	suite_add_tcase(s, t);
	t = tcase_create("forward");
	tcase_set_timeout(t, 30);
	tcase_add_test(t, test_forward_trusted);
	tcase_add_test(t, test_forward_untrusted_gets_no_identity);
	tcase_add_test(t, test_forward_failures);
	tcase_add_test(t, test_inflight_limit);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ap_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
