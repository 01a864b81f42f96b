/*
 * psip-harness - runs the SIP presence engine alone, for end-to-end tests.
 *
 *   psip-harness run --db PATH --listen URI [--listen URI...] [--trusted CIDR...]
 *       [--tls-dir DIR] [--policy challenge|refuse] [--block 403|terminate]
 *       [--min N] [--max N] [--default N] [--realm R] [--control FIFO]
 *       [--digest-md5] [-v]
 *     runs until SIGTERM/SIGINT. With --control, each line "changed AUID XUI"
 *     read from FIFO calls psip_doc_changed().
 *   psip-harness provision --db PATH IMPI PASSWORD|- IMPU [IMPU...]
 *     adds a subscriber (and its digest credential for realm --realm).
 *   psip-harness putdoc --db PATH AUID XUI FILE
 *     stores FILE as document "index" of AUID/XUI.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "pres.h"
#include "db/db.h"
#include "sip/psip.h"

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int
usage(void)
{
	fprintf(stderr, "usage: psip-harness run|provision|putdoc --db PATH ... (see source)\n");
	return 2;
}

static unsigned
num(const char *s)
{
	long long v;

	if (pres_parse_ll(s, 0, 1000000000LL, &v) != 0) {
		fprintf(stderr, "bad number %s\n", s);
		exit(2);
	}
	return (unsigned)v;
}

static void
hex_digest(const EVP_MD *md, const char *a, const char *b, const char *c, char *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	EVP_DigestInit_ex(ctx, md, NULL);
	EVP_DigestUpdate(ctx, a, strlen(a));
	EVP_DigestUpdate(ctx, ":", 1);
	EVP_DigestUpdate(ctx, b, strlen(b));
	EVP_DigestUpdate(ctx, ":", 1);
	EVP_DigestUpdate(ctx, c, strlen(c));
	EVP_DigestFinal_ex(ctx, h, &n);
	EVP_MD_CTX_free(ctx);
	pres_hex(h, n, out);
}

static int
provision(const char *dbp, const char *realm, int argc, char **argv)
{
	struct db *db;
	struct db_subscriber s;
	struct db_digest_cred c;
	int i, rc;

	if (argc < 3)
		return usage();
	memset(&s, 0, sizeof(s));
	pres_strlcpy(s.impi, argv[0], sizeof(s.impi));
	for (i = 2; i < argc && s.n_impus < DB_MAX_IMPUS; i++)
		if (pres_uri_normalize(argv[i], s.impus[s.n_impus++], DB_URI_MAX) != 0) {
			fprintf(stderr, "bad IMPU %s\n", argv[i]);
			return 1;
		}
	s.has_password = strcmp(argv[1], "-") != 0;
	if ((rc = db_open(dbp, &db)) != PRES_OK) {
		fprintf(stderr, "db_open: %s\n", pres_strerror(rc));
		return 1;
	}
	rc = db_subscriber_add(db, &s);
	if (rc == PRES_OK && s.has_password) {
		memset(&c, 0, sizeof(c));
		pres_strlcpy(c.username, s.impi, sizeof(c.username));
		pres_strlcpy(c.realm, realm, sizeof(c.realm));
		hex_digest(EVP_md5(), c.username, realm, argv[1], c.ha1_md5);
		hex_digest(EVP_sha256(), c.username, realm, argv[1], c.ha1_sha256);
		rc = db_digest_set(db, s.impi, &c, 1);
	}
	db_close(db);
	if (rc != PRES_OK) {
		fprintf(stderr, "provision: %s\n", pres_strerror(rc));
		return 1;
	}
	return 0;
}

static int
putdoc(const char *dbp, int argc, char **argv)
{
	struct db *db;
	char *buf = NULL, etag[40], xui[DB_URI_MAX];
	size_t len = 0;
	FILE *f;
	int rc;

	if (argc != 3)
		return usage();
	if (pres_uri_normalize(argv[1], xui, sizeof(xui)) != 0)
		return usage();
	f = fopen(argv[2], "rb");
	if (f == NULL) {
		perror(argv[2]);
		return 1;
	}
	buf = malloc(1 << 20);
	if (buf)
		len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	if (buf == NULL)
		return 1;
	buf[len] = '\0';
	snprintf(etag, sizeof(etag), "h%lld", (long long)pres_now_ms());
	if ((rc = db_open(dbp, &db)) == PRES_OK) {
		rc = db_doc_put(db, argv[0], xui, "index", buf, len, NULL, etag);
		db_close(db);
	}
	free(buf);
	if (rc != PRES_OK) {
		fprintf(stderr, "putdoc: %s\n", pres_strerror(rc));
		return 1;
	}
	return 0;
}

static void
control_line(struct psip *p, char *line)
{
	char auid[128], xui[256];

	if (sscanf(line, "changed %127s %255s", auid, xui) == 2)
		psip_doc_changed(p, auid, xui, "index", NULL, NULL);
}

int
main(int argc, char **argv)
{
	const char *listen[8], *trusted[8], *dbp = NULL, *control = NULL, *realm = NULL;
	struct psip_cfg cfg;
	struct psip *p;
	struct sigaction sa;
	struct psip_stats st;
	int i, cfd = -1, verbose = 0;
	char cbuf[1024];
	size_t clen = 0;

	if (argc < 2)
		return usage();
	memset(&cfg, 0, sizeof(cfg));
	cfg.listen_uris = listen;
	cfg.trusted_peers = trusted;
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];
#define ARG() (i + 1 < argc ? argv[++i] : (exit(usage()), ""))
		if (strcmp(a, "--db") == 0)
			dbp = ARG();
		else if (strcmp(a, "--listen") == 0 && cfg.n_listen < 8)
			listen[cfg.n_listen++] = ARG();
		else if (strcmp(a, "--trusted") == 0 && cfg.n_trusted < 8)
			trusted[cfg.n_trusted++] = ARG();
		else if (strcmp(a, "--tls-dir") == 0)
			cfg.tls_dir = ARG();
		else if (strcmp(a, "--realm") == 0)
			realm = ARG();
		else if (strcmp(a, "--policy") == 0)
			cfg.untrusted_policy = strcmp(ARG(), "refuse") == 0 ?
			    PSIP_UNTRUSTED_REFUSE : PSIP_UNTRUSTED_CHALLENGE;
		else if (strcmp(a, "--block") == 0)
			cfg.block_policy = strcmp(ARG(), "terminate") == 0 ?
			    PSIP_BLOCK_TERMINATE : PSIP_BLOCK_403;
		else if (strcmp(a, "--min") == 0)
			cfg.min_expires = num(ARG());
		else if (strcmp(a, "--max") == 0)
			cfg.max_expires = num(ARG());
		else if (strcmp(a, "--default") == 0)
			cfg.default_expires = num(ARG());
		else if (strcmp(a, "--digest-md5") == 0)
			cfg.digest_algs = 1;	/* AUTH_ALG_MD5 */
		else if (strcmp(a, "--control") == 0)
			control = ARG();
		else if (strcmp(a, "-v") == 0)
			verbose++;
		else
			break;
#undef ARG
	}
	if (dbp == NULL)
		return usage();
	if (realm == NULL)
		realm = "ims.example.com";
	if (strcmp(argv[1], "provision") == 0)
		return provision(dbp, realm, argc - i, argv + i);
	if (strcmp(argv[1], "putdoc") == 0)
		return putdoc(dbp, argc - i, argv + i);
	if (strcmp(argv[1], "run") != 0 || cfg.n_listen == 0)
		return usage();

	log_init(0, "psip-harness", verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	cfg.db_path = dbp;
	cfg.home_domain = "ims.example.com";
	cfg.digest_realm = realm;
	cfg.sofia_log_level = verbose > 1 ? 5 : 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	p = psip_start(&cfg);
	if (p == NULL) {
		fprintf(stderr, "psip-harness: engine did not start\n");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	if (control && (cfd = open(control, O_RDWR | O_NONBLOCK)) < 0)
		perror(control);
	while (!stop_flag) {
		struct pollfd pfd = { .fd = cfd, .events = POLLIN };
		int n = poll(&pfd, cfd >= 0 ? 1 : 0, 500);
		if (n > 0 && (pfd.revents & POLLIN)) {
			ssize_t r = read(cfd, cbuf + clen, sizeof(cbuf) - 1 - clen);
			char *nl;
			if (r > 0) {
				clen += (size_t)r;
				cbuf[clen] = '\0';
				while ((nl = strchr(cbuf, '\n')) != NULL) {
					size_t used = (size_t)(nl + 1 - cbuf);
					*nl = '\0';
					control_line(p, cbuf);
					memmove(cbuf, cbuf + used, clen - used + 1);
					clen -= used;
				}
				if (clen == sizeof(cbuf) - 1)
					clen = 0;
			}
		}
	}
	psip_stats(p, &st);
	fprintf(stderr, "psip-harness: stopping: %llu requests, %llu notifies, %llu subscriptions, "
	    "%llu publications\n", (unsigned long long)st.requests,
	    (unsigned long long)st.notifies_sent, (unsigned long long)st.subscriptions,
	    (unsigned long long)st.publications);
	psip_stop(p);
	if (cfd >= 0)
		close(cfd);
	return 0;
}
