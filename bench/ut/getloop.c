/*
 * getloop.c - bench helper (compiled by bench/ut/run.sh, not by automake):
 * authenticated XCAP GETs on one keep-alive HTTPS connection with libcurl's
 * HTTP Digest for a fixed time. libcurl answers the first 401 and then keeps
 * the nonce, sending the next requests with an increasing nonce-count, so
 * in the steady state each GET is one round trip.
 *
 *   getloop URL USER PASSWORD SECONDS CAFILE RESOLVE USER_AGENT [MAX_REQUESTS]
 *
 * Stops after SECONDS, or after MAX_REQUESTS requests when given (SECONDS
 * is then a time bound only).
 * Prints "requests=N seconds=S rate=R challenges=C errors=E connections=K ok=O"
 * (ok = requests answered 200).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

struct counts {
	long challenges;
};

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct counts *c = arg;
	size_t len = size * n;
	if (len > 12 && memcmp(p, "HTTP/1.1 401", 12) == 0)
		c->challenges++;
	return len;
}

static size_t sink(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct counts c = { 0 };
	struct curl_slist *res = NULL;
	long requests = 0, errors = 0, conns = 0, ok = 0, max = 0;
	double t0, t, secs;
	CURL *h;

	if (argc != 8 && argc != 9) {
		fprintf(stderr, "usage: getloop URL USER PASSWORD SECONDS CAFILE RESOLVE USER_AGENT [MAX_REQUESTS]\n");
		return 2;
	}
	secs = strtod(argv[4], NULL);
	if (argc == 9)
		max = strtol(argv[8], NULL, 10);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	h = curl_easy_init();
	if (h == NULL)
		return 1;
	res = curl_slist_append(res, argv[6]);
	curl_easy_setopt(h, CURLOPT_URL, argv[1]);
	curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_DIGEST);
	curl_easy_setopt(h, CURLOPT_USERNAME, argv[2]);
	curl_easy_setopt(h, CURLOPT_PASSWORD, argv[3]);
	curl_easy_setopt(h, CURLOPT_CAINFO, argv[5]);
	curl_easy_setopt(h, CURLOPT_RESOLVE, res);
	curl_easy_setopt(h, CURLOPT_USERAGENT, argv[7]);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &c);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	t0 = now();
	do {
		long code = 0, nc = 0;
		if (curl_easy_perform(h) != CURLE_OK)
			errors++;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &nc);
		conns += nc;
		if (code != 200)
			errors++;
		else
			ok++;
		requests++;
		t = now() - t0;
	} while (t < secs && (max <= 0 || requests < max));
	printf("requests=%ld seconds=%.3f rate=%.1f challenges=%ld errors=%ld connections=%ld ok=%ld\n",
	    requests, t, requests / t, c.challenges, errors, conns, ok);
	curl_easy_cleanup(h);
	curl_slist_free_all(res);
	curl_global_cleanup();
	return errors ? 1 : 0;
}
