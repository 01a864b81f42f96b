/*
 * xcapload.c - a small closed-loop HTTP(S) load generator on libcurl, used by
 * bench/xcap/run.sh. N threads, each with its own easy handle (one keep-alive
 * connection), send requests back to back for T seconds and record the
 * latency of every request. With -u the handle authenticates with HTTP
 * Digest the way real clients do: the first request is challenged (401), the
 * following ones reuse the nonce with an increasing nc (libcurl keeps the
 * digest state on the handle).
 *
 * Build: cc -O2 -o xcapload xcapload.c $(pkg-config --cflags --libs libcurl) -lpthread
 * Usage: xcapload -U URL [-m GET|PUT] [-f body-file] [-T content-type]
 *                 [-u user:password] [-c ca-file] [-r host:port:addr]
 *                 [-n threads] [-t seconds] [-o latency-file]
 * "{i}" in URL is replaced by the thread number (one document per thread).
 * Output (one line, key=value): requests, rate (requests/s of 2xx answers),
 * p50/p99/max latency in ms, errors (non-2xx final answers or transport
 * errors), challenges (401 answers seen, including the ones libcurl retried),
 * connections (new TCP+TLS connections). -o also writes the latency of every
 * successful request, in microseconds, one per line (to merge several runs).
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct opts {
	const char *url, *method, *body_file, *ctype, *userpwd, *ca, *resolve, *lat_file;
	int threads;
	double seconds;
	char *body;
	long body_len;
};

struct worker {
	const struct opts *o;
	int index;
	pthread_t tid;
	double deadline;
	double *lat;          /* seconds per successful request */
	size_t n_lat, cap_lat;
	long errors, challenges, connections, last_status;
	char url[2048];
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t discard(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

/* Counts every "HTTP/1.1 401" status line, also the ones libcurl answers itself. */
static size_t on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct worker *w = arg;
	size_t len = sz * n;
	if (len > 12 && strncmp(p, "HTTP/", 5) == 0) {
		const char *sp = memchr(p, ' ', len);
		if (sp && (size_t)(sp - p) + 4 <= len && strncmp(sp + 1, "401", 3) == 0)
			w->challenges++;
	}
	return len;
}

static int push_lat(struct worker *w, double v)
{
	if (w->n_lat == w->cap_lat) {
		size_t cap = w->cap_lat ? w->cap_lat * 2 : 4096;
		double *p = realloc(w->lat, cap * sizeof(*p));
		if (!p)
			return -1;
		w->lat = p;
		w->cap_lat = cap;
	}
	w->lat[w->n_lat++] = v;
	return 0;
}

static void expand_url(const char *tmpl, int index, char *out, size_t out_len)
{
	const char *ph = strstr(tmpl, "{i}");
	if (!ph) {
		snprintf(out, out_len, "%s", tmpl);
		return;
	}
	snprintf(out, out_len, "%.*s%d%s", (int)(ph - tmpl), tmpl, index, ph + 3);
}

static void *run(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->o;
	struct curl_slist *hdrs = NULL, *res = NULL;
	CURL *h = curl_easy_init();
	if (!h) {
		w->errors++;
		return NULL;
	}
	expand_url(o->url, w->index, w->url, sizeof(w->url));
	curl_easy_setopt(h, CURLOPT_URL, w->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, w);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	if (o->ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, o->ca);
	if (o->resolve) {
		res = curl_slist_append(NULL, o->resolve);
		curl_easy_setopt(h, CURLOPT_RESOLVE, res);
	}
	if (o->userpwd) {
		curl_easy_setopt(h, CURLOPT_USERPWD, o->userpwd);
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_DIGEST);
	}
	if (strcmp(o->method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, o->method);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, o->body ? o->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, o->body ? o->body_len : 0L);
	}
	if (o->ctype) {
		char ct[256];
		snprintf(ct, sizeof(ct), "Content-Type: %s", o->ctype);
		hdrs = curl_slist_append(hdrs, ct);
	}
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

	while (now_s() < w->deadline) {
		double t0 = now_s();
		CURLcode rc = curl_easy_perform(h);
		double dt = now_s() - t0;
		long status = 0, conns = 0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &conns);
		w->connections += conns;
		w->last_status = status;
		if (rc != CURLE_OK || status < 200 || status > 299) {
			w->errors++;
			if (w->errors > 1000)
				break;
			continue;
		}
		if (push_lat(w, dt))
			break;
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	curl_slist_free_all(res);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int read_file(const char *path, char **out, long *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t cap = 4096, n = 0;
	char *b = malloc(cap);
	while (b) {
		size_t r = fread(b + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
		if (n == cap) {
			char *nb = realloc(b, cap *= 2);
			if (!nb)
				free(b);
			b = nb;
		}
	}
	fclose(f);
	if (!b)
		return -1;
	*out = b;
	*len = (long)n;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: xcapload -U URL [-m GET|PUT] [-f body-file] [-T content-type] "
	    "[-u user:password] [-c ca-file] [-r host:port:addr] [-n threads] [-t seconds] "
	    "[-o latency-file]\n");
	exit(64);
}

int main(int argc, char **argv)
{
	struct opts o = { .method = "GET", .threads = 4, .seconds = 10 };
	int c;
	while ((c = getopt(argc, argv, "U:m:f:T:u:c:r:n:t:o:")) != -1) {
		char *end;
		switch (c) {
		case 'U': o.url = optarg; break;
		case 'm': o.method = optarg; break;
		case 'f': o.body_file = optarg; break;
		case 'T': o.ctype = optarg; break;
		case 'u': o.userpwd = optarg; break;
		case 'c': o.ca = optarg; break;
		case 'r': o.resolve = optarg; break;
		case 'o': o.lat_file = optarg; break;
		case 'n':
			errno = 0;
			o.threads = (int)strtol(optarg, &end, 10);
			if (errno || *end || o.threads < 1 || o.threads > 1024)
				usage();
			break;
		case 't':
			o.seconds = strtod(optarg, &end);
			if (*end || o.seconds <= 0 || o.seconds > 3600)
				usage();
			break;
		default: usage();
		}
	}
	if (!o.url)
		usage();
	if (o.body_file && read_file(o.body_file, &o.body, &o.body_len)) {
		perror(o.body_file);
		return 66;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return 70;
	struct worker *w = calloc((size_t)o.threads, sizeof(*w));
	if (!w)
		return 71;
	double start = now_s(), deadline = start + o.seconds;
	for (int i = 0; i < o.threads; i++) {
		w[i].o = &o;
		w[i].index = i;
		w[i].deadline = deadline;
		if (pthread_create(&w[i].tid, NULL, run, &w[i])) {
			fprintf(stderr, "pthread_create failed\n");
			return 71;
		}
	}
	size_t total = 0;
	long errors = 0, challenges = 0, conns = 0, last_status = 0;
	for (int i = 0; i < o.threads; i++) {
		pthread_join(w[i].tid, NULL);
		total += w[i].n_lat;
		errors += w[i].errors;
		challenges += w[i].challenges;
		conns += w[i].connections;
		if (w[i].errors)
			last_status = w[i].last_status;
	}
	double elapsed = now_s() - start;
	double *all = malloc((total ? total : 1) * sizeof(*all));
	if (!all)
		return 71;
	size_t k = 0;
	for (int i = 0; i < o.threads; i++) {
		memcpy(all + k, w[i].lat, w[i].n_lat * sizeof(*all));
		k += w[i].n_lat;
		free(w[i].lat);
	}
	qsort(all, total, sizeof(*all), cmp_double);
	if (o.lat_file) {
		FILE *lf = fopen(o.lat_file, "w");
		if (!lf) {
			perror(o.lat_file);
			return 73;
		}
		for (size_t i = 0; i < total; i++)
			fprintf(lf, "%.0f\n", all[i] * 1e6);
		if (fclose(lf)) {
			perror(o.lat_file);
			return 74;
		}
	}
	double p50 = total ? all[total / 2] : 0, p99 = total ? all[(total * 99) / 100] : 0;
	double max = total ? all[total - 1] : 0;
	printf("requests=%zu rate=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%ld "
	    "challenges=%ld connections=%ld elapsed=%.2f last_error_status=%ld\n",
	    total, (double)total / elapsed, p50 * 1e3, p99 * 1e3, max * 1e3, errors,
	    challenges, conns, elapsed, last_status);
	free(all);
	free(w);
	free(o.body);
	curl_global_cleanup();
	return errors && !total ? 1 : 0;
}
