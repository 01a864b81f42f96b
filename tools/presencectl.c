/*
 * presencectl - provisioning and inspection of a presenced database:
 * subscribers (IMPI, IMPUs, digest password as HA1, AKA K/OPc) and XCAP
 * documents. Secrets given on the command line are wiped from argv at once
 * and never printed or logged.
 *
 * Exit status: 0 success, 1 runtime error (database, not found, duplicate),
 * 2 usage error. Nothing is written when an error is reported.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "pres.h"
#include "db/db.h"
#include "presence/presence.h"

#define EXIT_USAGE 2
#define PW_MAX 1024

struct ctl {
	const char *db_path;
	const char *realm;
	int verbose;
};

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: presencectl [--db PATH] [--realm REALM] [-v] COMMAND ...\n"
	    "\n"
	    "  subscriber add --impi IMPI --impu URI [--impu URI ...] [--default URI]\n"
	    "                 [--password PW | --password-file FILE]\n"
	    "                 [--k HEX32 --opc HEX32 [--amf HEX4] [--sqn HEX12]]\n"
	    "  subscriber remove --impi IMPI\n"
	    "  subscriber list\n"
	    "  subscriber show --impi IMPI\n"
	    "  subscriber reauth --impi IMPI\n"
	    "  subscriber password --impi IMPI (--password PW | --password-file FILE)\n"
	    "  doc list [--auid AUID] [--xui XUI | --global]\n"
	    "  doc get --auid AUID (--xui XUI | --global) --name NAME\n"
	    "  presentity show --impu URI [--document]\n"
	    "  watchers --impu URI\n"
	    "  subscriptions --watcher URI\n"
	    "\n"
	    "  --db PATH        database file (default var/presenced.db)\n"
	    "  --realm REALM    digest realm of the IMPI's credentials (default ims.example.com)\n"
	    "  -v, --verbose    also show storage warnings\n"
	    "  -h, --help       this help\n"
	    "  -V, --version    version\n"
	    "\n"
	    "IMPUs are sip:, sips: or tel: URIs, stored normalized; the first is the\n"
	    "default unless --default names another. Passwords are stored only as\n"
	    "HA1 digests (MD5 and SHA-256) for (IMPI, REALM) and for (user, host) of\n"
	    "each sip/sips IMPU. K and OPc are 16 bytes in hex; AMF defaults to 8000,\n"
	    "SQN to 000000000000.\n"
	    "presentity/watchers/subscriptions read the SIP state a running presenced\n"
	    "keeps in the database: live publications (--document: the composed PIDF\n"
	    "document, with pidf-manipulation, as watchers allowed everything see it),\n"
	    "and subscriptions with their state (tab-separated lines).\n"
	    "Exit status: 0 ok, 1 runtime error, 2 usage error.\n");
}

/* A usage error: one line naming the problem, then exit 2. */
static void __attribute__((format(printf, 1, 2), noreturn)) usage_err(const char *fmt, ...)
{
	va_list ap;
	fputs("presencectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see presencectl --help)\n", stderr);
	exit(EXIT_USAGE);
}

/* A runtime error message (the caller returns 1). */
static int __attribute__((format(printf, 1, 2))) run_err(const char *fmt, ...)
{
	va_list ap;
	fputs("presencectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* ---- validation helpers ------------------------------------------------------ */

/** IMPI: user@domain, printable, no spaces or quotes, domain of host chars. */
static int impi_valid(const char *s)
{
	const char *at = strrchr(s, '@');
	if (!at || at == s || !at[1] || strlen(s) >= DB_URI_MAX)
		return 0;
	for (const char *p = s; p < at; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || strchr("\"<>@", *p))
			return 0;
	if (at[1] == '.' || at[1] == '-')
		return 0;
	for (const char *p = at + 1; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			return 0;
	return 1;
}

static int realm_valid(const char *s)
{
	if (!*s || strlen(s) >= DB_URI_MAX)
		return 0;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < ' ' || *p == '"' || *p == '\\' || (unsigned char)*p == 0x7f)
			return 0;
	return 1;
}

static int hex_exact(const char *s, size_t digits)
{
	if (strlen(s) != digits)
		return 0;
	for (size_t i = 0; i < digits; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Copies a secret option value and wipes it from argv (and so from ps). */
static char *take_secret(char *arg)
{
	char *copy = strdup(arg);
	if (!copy) {
		fputs("presencectl: out of memory\n", stderr);
		exit(1);
	}
	OPENSSL_cleanse(arg, strlen(arg));
	return copy;
}

static void free_secret(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

/* Reads the password: the file's first line, without its line end. */
static char *read_password_file(const char *path)
{
	char buf[PW_MAX + 2];
	FILE *f = fopen(path, "r");
	if (!f)
		usage_err("--password-file %s: %s", path, strerror(errno));
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	int err = ferror(f);
	fclose(f);
	if (err)
		usage_err("--password-file %s: read error", path);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (strlen(buf) > PW_MAX) {
		OPENSSL_cleanse(buf, sizeof(buf));
		usage_err("--password-file %s: password longer than %d bytes", path, PW_MAX);
	}
	char *pw = strdup(buf);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (!pw) {
		fputs("presencectl: out of memory\n", stderr);
		exit(1);
	}
	return pw;
}

static void check_password(const char *pw, const char *opt)
{
	if (!*pw)
		usage_err("%s: the password is empty", opt);
	if (strlen(pw) > PW_MAX)
		usage_err("%s: password longer than %d bytes", opt, PW_MAX);
	for (const char *p = pw; *p; p++)
		if ((unsigned char)*p < ' ')
			usage_err("%s: the password contains a control character", opt);
}

/* ---- digest credentials -------------------------------------------------------- */

/* hex H(username:realm:password) with @p md into @p out (2*md_size+1). */
static int ha1(const EVP_MD *md, const char *user, const char *realm, const char *pw,
    char *out)
{
	char in[2 * DB_URI_MAX + PW_MAX + 8];
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	int n = snprintf(in, sizeof(in), "%s:%s:%s", user, realm, pw);
	int ok = n > 0 && (size_t)n < sizeof(in) &&
	    EVP_Digest(in, (size_t)n, dig, &dlen, md, NULL) == 1;
	OPENSSL_cleanse(in, sizeof(in));
	if (ok)
		pres_hex(dig, dlen, out);
	OPENSSL_cleanse(dig, sizeof(dig));
	return ok ? PRES_OK : PRES_EINVAL;
}

/* Splits a normalized sip:/sips: URI into user and realm (host without port).
 * 0 if the URI has no user part or is not sip/sips. */
static int sip_user_host(const char *uri, char *user, char *host)
{
	const char *s;
	if (strncmp(uri, "sip:", 4) == 0)
		s = uri + 4;
	else if (strncmp(uri, "sips:", 5) == 0)
		s = uri + 5;
	else
		return 0;
	const char *at = strrchr(s, '@');
	if (!at || at == s || (size_t)(at - s) >= DB_URI_MAX)
		return 0;
	memcpy(user, s, (size_t)(at - s));
	user[at - s] = '\0';
	pres_strlcpy(host, at + 1, DB_URI_MAX);
	if (host[0] == '[') {
		char *rb = strchr(host, ']');
		if (rb)
			rb[1] = '\0';
	} else {
		host[strcspn(host, ":")] = '\0';
	}
	return host[0] != '\0';
}

/* Builds the HA1 set for @p s: (IMPI, realm) and (user, host) of each
 * sip/sips IMPU, without duplicates. Returns the count, or -1. */
static int build_creds(const struct db_subscriber *s, const char *realm, const char *pw,
    struct db_digest_cred *creds)
{
	char user[DB_URI_MAX], host[DB_URI_MAX];
	int n = 0;

	for (size_t i = 0; i <= s->n_impus; i++) {
		if (i == 0) {
			pres_strlcpy(user, s->impi, sizeof(user));
			pres_strlcpy(host, realm, sizeof(host));
		} else if (!sip_user_host(s->impus[i - 1], user, host)) {
			continue;
		}
		int dup = 0;
		for (int j = 0; j < n; j++)
			if (strcmp(creds[j].username, user) == 0 && strcmp(creds[j].realm, host) == 0)
				dup = 1;
		if (dup)
			continue;
		struct db_digest_cred *c = &creds[n];
		memset(c, 0, sizeof(*c));
		pres_strlcpy(c->username, user, sizeof(c->username));
		pres_strlcpy(c->realm, host, sizeof(c->realm));
		if (ha1(EVP_md5(), user, host, pw, c->ha1_md5) != PRES_OK ||
		    ha1(EVP_sha256(), user, host, pw, c->ha1_sha256) != PRES_OK)
			return -1;
		n++;
	}
	return n;
}

/* ---- option parsing ---------------------------------------------------------------- */

enum {
	O_DB = 256, O_REALM, O_IMPI, O_IMPU, O_DEFAULT, O_PASSWORD, O_PASSWORD_FILE, O_K, O_OPC,
	O_AMF, O_SQN, O_AUID, O_XUI, O_GLOBAL, O_NAME, O_WATCHER, O_DOCUMENT,
};

static const struct option long_opts[] = {
	{ "db", required_argument, NULL, O_DB },
	{ "realm", required_argument, NULL, O_REALM },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "impi", required_argument, NULL, O_IMPI },
	{ "impu", required_argument, NULL, O_IMPU },
	{ "default", required_argument, NULL, O_DEFAULT },
	{ "password", required_argument, NULL, O_PASSWORD },
	{ "password-file", required_argument, NULL, O_PASSWORD_FILE },
	{ "k", required_argument, NULL, O_K },
	{ "opc", required_argument, NULL, O_OPC },
	{ "amf", required_argument, NULL, O_AMF },
	{ "sqn", required_argument, NULL, O_SQN },
	{ "auid", required_argument, NULL, O_AUID },
	{ "xui", required_argument, NULL, O_XUI },
	{ "global", no_argument, NULL, O_GLOBAL },
	{ "name", required_argument, NULL, O_NAME },
	{ "watcher", required_argument, NULL, O_WATCHER },
	{ "document", no_argument, NULL, O_DOCUMENT },
	{ NULL, 0, NULL, 0 },
};

/* Everything a command may be given; each command checks what it accepts. */
struct args {
	const char *impi;
	const char *impus[DB_MAX_IMPUS];
	size_t n_impus;
	const char *dflt;
	char *password;          /* owned secret copy */
	const char *password_file;
	char *k, *opc;           /* owned secret copies */
	const char *amf, *sqn;
	const char *auid, *xui, *name;
	const char *watcher;
	int global;
	int document;
	unsigned seen;           /* bit per option (O_x - O_DB) */
};

static void args_free(struct args *a)
{
	free_secret(a->password);
	free_secret(a->k);
	free_secret(a->opc);
}

static const char *opt_name(int o)
{
	for (const struct option *p = long_opts; p->name; p++)
		if (p->val == o)
			return p->name;
	return "?";
}

/* Parses options of a command; @p allowed lists the options it accepts. */
static void parse_opts(struct ctl *ctl, struct args *a, int argc, char **argv,
    const int *allowed, const char *cmd)
{
	int c;

	optind = 0; /* full re-initialization (GNU getopt) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'v': ctl->verbose = 1; continue;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("presencectl (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION); exit(0);
		case O_DB: ctl->db_path = optarg; continue;
		case O_REALM: ctl->realm = optarg; continue;
		case ':': usage_err("%s: option %s needs a value", cmd, argv[optind - 1]);
		case '?': usage_err("%s: unknown option %s", cmd, argv[optind - 1]);
		default: break;
		}
		int ok = 0;
		for (const int *p = allowed; *p; p++)
			if (*p == c)
				ok = 1;
		if (!ok)
			usage_err("%s does not take --%s", cmd, opt_name(c));
		if (c != O_IMPU && (a->seen & (1u << (c - O_DB))))
			usage_err("--%s given twice", opt_name(c));
		a->seen |= 1u << (c - O_DB);
		switch (c) {
		case O_IMPI: a->impi = optarg; break;
		case O_IMPU:
			if (a->n_impus == DB_MAX_IMPUS)
				usage_err("--impu: at most %d IMPUs", DB_MAX_IMPUS);
			a->impus[a->n_impus++] = optarg;
			break;
		case O_DEFAULT: a->dflt = optarg; break;
		case O_PASSWORD: a->password = take_secret(optarg); break;
		case O_PASSWORD_FILE: a->password_file = optarg; break;
		case O_K: a->k = take_secret(optarg); break;
		case O_OPC: a->opc = take_secret(optarg); break;
		case O_AMF: a->amf = optarg; break;
		case O_SQN: a->sqn = optarg; break;
		case O_AUID: a->auid = optarg; break;
		case O_XUI: a->xui = optarg; break;
		case O_GLOBAL: a->global = 1; break;
		case O_NAME: a->name = optarg; break;
		case O_WATCHER: a->watcher = optarg; break;
		case O_DOCUMENT: a->document = 1; break;
		default: break;
		}
	}
	if (optind < argc)
		usage_err("%s: unexpected argument '%s'", cmd, argv[optind]);
	if (!realm_valid(ctl->realm))
		usage_err("--realm '%s' is not a valid digest realm", ctl->realm);
	/* storage warnings (never secrets) only with -v */
	log_init(0, "presencectl", ctl->verbose ? LOG_LVL_WARN : LOG_LVL_ERR);
}

static void need_impi(const struct args *a)
{
	if (!a->impi)
		usage_err("--impi is required");
	if (!impi_valid(a->impi))
		usage_err("--impi '%s' is not of the form user@domain", a->impi);
}

/* Password from --password or --password-file; NULL if neither (caller
 * decides whether it is required). Owned by the caller. */
static char *get_password(struct args *a)
{
	char *pw;
	if (a->password && a->password_file)
		usage_err("--password and --password-file exclude each other");
	if (a->password) {
		check_password(a->password, "--password");
		pw = a->password;
		a->password = NULL;
		return pw;
	}
	if (a->password_file) {
		pw = read_password_file(a->password_file);
		check_password(pw, "--password-file");
		return pw;
	}
	return NULL;
}

/* Opens the database. Only @p create lets a missing file be created (by
 * commands that write); readers must not leave an empty database behind a
 * mistyped --db. */
static struct db *open_db_mode(const struct ctl *ctl, int create)
{
	struct db *db = NULL;
	struct stat sb;
	if (stat(ctl->db_path, &sb) != 0) {
		if (!create) {
			run_err("no database at %s (see --db)", ctl->db_path);
			return NULL;
		}
		char dir[4096];
		pres_strlcpy(dir, ctl->db_path, sizeof(dir));
		char *slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = '\0';
			/* the default var/ of a fresh checkout: create one level */
			if (stat(dir, &sb) != 0 && mkdir(dir, 0750) != 0) {
				run_err("cannot create database %s: cannot create directory %s: %s",
				    ctl->db_path, dir, strerror(errno));
				return NULL;
			}
			if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
				run_err("cannot create database %s: %s is not a directory",
				    ctl->db_path, dir);
				return NULL;
			}
		}
	}
	int rc = db_open(ctl->db_path, &db);
	if (rc != PRES_OK) {
		run_err("cannot open database %s: %s", ctl->db_path, pres_strerror(rc));
		return NULL;
	}
	return db;
}

static struct db *open_db(const struct ctl *ctl) { return open_db_mode(ctl, 0); }

static void fmt_time(int64_t t, char *buf, size_t n)
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (t <= 0) {
		pres_strlcpy(buf, "never", n);
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- subscriber commands -------------------------------------------------------- */

/* After PRES_EEXIST: names what is already provisioned (read-only). */
static void explain_exists(const struct ctl *ctl, const struct db_subscriber *s)
{
	struct db_subscriber o;
	struct db *db = NULL;

	if (db_open(ctl->db_path, &db) != PRES_OK) {
		run_err("subscriber %s not added: already provisioned", s->impi);
		return;
	}
	if (db_subscriber_get(db, s->impi, &o) == PRES_OK) {
		run_err("--impi %s: subscriber already exists; nothing written", s->impi);
		goto out;
	}
	for (size_t i = 0; i < s->n_impus; i++) {
		if (db_subscriber_by_impu(db, s->impus[i], &o) == PRES_OK) {
			run_err("--impu %s: already provisioned for %s; nothing written",
			    s->impus[i], o.impi);
			goto out;
		}
	}
	run_err("subscriber %s not added: one of its digest user names is already "
	    "provisioned for another subscriber; nothing written", s->impi);
out:
	db_subscriber_wipe(&o);
	db_close(db);
}

static int cmd_sub_add(struct ctl *ctl, int argc, char **argv)
{
	static const int allowed[] = { O_IMPI, O_IMPU, O_DEFAULT, O_PASSWORD, O_PASSWORD_FILE,
		O_K, O_OPC, O_AMF, O_SQN, 0 };
	struct args a = { 0 };
	struct db_subscriber s;
	struct db_digest_cred creds[DB_MAX_IMPUS + 1];
	char norm[DB_MAX_IMPUS][DB_URI_MAX];
	char *pw = NULL;
	int ncreds = 0, rc, ret = 1;

	memset(&s, 0, sizeof(s));
	parse_opts(ctl, &a, argc, argv, allowed, "subscriber add");
	need_impi(&a);
	if (a.n_impus == 0)
		usage_err("--impu is required (at least one)");
	for (size_t i = 0; i < a.n_impus; i++) {
		rc = pres_uri_normalize(a.impus[i], norm[i], sizeof(norm[i]));
		if (rc != PRES_OK)
			usage_err("--impu '%s' is not a valid sip:, sips: or tel: URI", a.impus[i]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(norm[i], norm[j]) == 0)
				usage_err("--impu '%s' is given twice", norm[i]);
	}
	size_t dflt = 0;
	if (a.dflt) {
		char nd[DB_URI_MAX];
		if (pres_uri_normalize(a.dflt, nd, sizeof(nd)) != PRES_OK)
			usage_err("--default '%s' is not a valid sip:, sips: or tel: URI", a.dflt);
		for (dflt = 0; dflt < a.n_impus; dflt++)
			if (strcmp(nd, norm[dflt]) == 0)
				break;
		if (dflt == a.n_impus)
			usage_err("--default '%s' is not one of the --impu values", a.dflt);
	}
	if (a.k && !a.opc)
		usage_err("--k requires --opc");
	if (a.opc && !a.k)
		usage_err("--opc requires --k");
	if (!a.k && (a.amf || a.sqn))
		usage_err("--%s requires --k and --opc", a.amf ? "amf" : "sqn");
	if (a.k && !hex_exact(a.k, 32))
		usage_err("--k must be exactly 32 hex digits (128 bits)");
	if (a.opc && !hex_exact(a.opc, 32))
		usage_err("--opc must be exactly 32 hex digits (128 bits)");
	if (a.amf && !hex_exact(a.amf, 4))
		usage_err("--amf must be exactly 4 hex digits");
	if (a.sqn && !hex_exact(a.sqn, 12))
		usage_err("--sqn must be exactly 12 hex digits (48 bits)");
	pw = get_password(&a);

	/* everything is valid: build the record */
	pres_strlcpy(s.impi, a.impi, sizeof(s.impi));
	s.n_impus = a.n_impus;
	pres_strlcpy(s.impus[0], norm[dflt], DB_URI_MAX);
	for (size_t i = 0, o = 1; i < a.n_impus; i++)
		if (i != dflt)
			pres_strlcpy(s.impus[o++], norm[i], DB_URI_MAX);
	if (a.k) {
		uint8_t sqn[6] = { 0 };
		s.has_aka = 1;
		pres_unhex(a.k, s.k, 16);
		pres_unhex(a.opc, s.opc, 16);
		pres_unhex(a.amf ? a.amf : "8000", s.amf, 2);
		if (a.sqn)
			pres_unhex(a.sqn, sqn, 6);
		for (int i = 0; i < 6; i++)
			s.sqn = s.sqn << 8 | sqn[i];
	}
	if (pw && (ncreds = build_creds(&s, ctl->realm, pw, creds)) < 0) {
		run_err("cannot compute digest credentials");
		goto out;
	}

	struct db *db = open_db_mode(ctl, 1);
	if (!db)
		goto out;
	if ((rc = db_begin(db)) == PRES_OK) {
		rc = db_subscriber_add(db, &s);
		if (rc == PRES_OK && pw)
			rc = db_digest_set(db, s.impi, creds, (size_t)ncreds);
		if (rc == PRES_OK)
			rc = db_commit(db);
		else
			db_rollback(db);
	}
	db_close(db);
	if (rc == PRES_EEXIST) {
		explain_exists(ctl, &s);
		goto out;
	}
	if (rc != PRES_OK) {
		run_err("subscriber %s not added: %s", s.impi, pres_strerror(rc));
		goto out;
	}
	printf("added %s: %zu IMPU%s, default %s, password %s, AKA %s\n", s.impi, s.n_impus,
	    s.n_impus == 1 ? "" : "s", s.impus[0], pw ? "yes" : "no", s.has_aka ? "yes" : "no");
	ret = 0;
out:
	OPENSSL_cleanse(creds, sizeof(creds));
	db_subscriber_wipe(&s);
	free_secret(pw);
	args_free(&a);
	return ret;
}

static int cmd_sub_remove(struct ctl *ctl, int argc, char **argv)
{
	static const int allowed[] = { O_IMPI, 0 };
	struct args a = { 0 };
	parse_opts(ctl, &a, argc, argv, allowed, "subscriber remove");
	need_impi(&a);
	struct db *db = open_db(ctl);
	if (!db)
		return 1;
	int rc = db_subscriber_remove(db, a.impi);
	db_close(db);
	if (rc == PRES_ENOTFOUND)
		return run_err("no subscriber %s", a.impi);
	if (rc != PRES_OK)
		return run_err("cannot remove %s: %s", a.impi, pres_strerror(rc));
	printf("removed %s\n", a.impi);
	return 0;
}

static int print_sub_line(const struct db_subscriber *s, void *arg)
{
	fputs(s->impi, stdout);
	for (size_t i = 0; i < s->n_impus; i++)
		printf(" %s", s->impus[i]);
	putchar('\n');
	return 0;
}

static int cmd_sub_list(struct ctl *ctl, int argc, char **argv)
{
	static const int allowed[] = { 0 };
	struct args a = { 0 };
	parse_opts(ctl, &a, argc, argv, allowed, "subscriber list");
	struct db *db = open_db(ctl);
	if (!db)
		return 1;
	int rc = db_subscriber_foreach(db, print_sub_line, NULL);
	db_close(db);
	if (rc != PRES_OK)
		return run_err("cannot list subscribers: %s", pres_strerror(rc));
	return 0;
}

static int cmd_sub_show(struct ctl *ctl, int argc, char **argv)
{
	static const int allowed[] = { O_IMPI, 0 };
	struct args a = { 0 };
	struct db_subscriber s;
	char when[32];

	parse_opts(ctl, &a, argc, argv, allowed, "subscriber show");
	need_impi(&a);
	struct db *db = open_db(ctl);
	if (!db)
		return 1;
	int rc = db_subscriber_get(db, a.impi, &s);
	db_close(db);
	if (rc == PRES_ENOTFOUND)
		return run_err("no subscriber %s", a.impi);
	if (rc != PRES_OK)
		return run_err("cannot read %s: %s", a.impi, pres_strerror(rc));
	printf("impi: %s\n", s.impi);
	for (size_t i = 0; i < s.n_impus; i++)
		printf("impu: %s%s\n", s.impus[i], i == 0 ? " (default)" : "");
	printf("password: %s\n", s.has_password ? "yes" : "no");
	printf("aka: %s\n", s.has_aka ? "yes" : "no");
	if (s.has_aka)
		printf("sqn: %012llx\n", (unsigned long long)s.sqn);
	fmt_time(s.auth_not_before, when, sizeof(when));
	printf("auth_not_before: %s\n", when);
	db_subscriber_wipe(&s);
	return 0;
}

static int cmd_sub_reauth(struct ctl *ctl, int argc, char **argv)
{
	static const int allowed[] = { O_IMPI, 0 };
	struct args a = { 0 };
	char when[32];

	parse_opts(ctl, &a, argc, argv, allowed, "subscriber reauth");
	need_impi(&a);
	struct db *db = open_db(ctl);
	if (!db)
		return 1;
	int64_t now = pres_now();
	int rc = db_subscriber_set_auth_not_before(db, a.impi, now);
	db_close(db);
	if (rc == PRES_ENOTFOUND)
		return run_err("no subscriber %s", a.impi);
	if (rc != PRES_OK)
		return run_err("cannot update %s: %s", a.impi, pres_strerror(rc));
	fmt_time(now, when, sizeof(when));
	printf("%s: authentications before %s are void; the subscriber must authenticate again\n",
	    a.impi, when);
	return 0;
}

static int cmd_sub_password(struct ctl *ctl, int argc, char **argv)
{
	static const int allowed[] = { O_IMPI, O_PASSWORD, O_PASSWORD_FILE, 0 };
	struct args a = { 0 };
	struct db_subscriber s;
	struct db_digest_cred creds[DB_MAX_IMPUS + 1];
	int ret = 1, rc, n;

	memset(&s, 0, sizeof(s));
	parse_opts(ctl, &a, argc, argv, allowed, "subscriber password");
	need_impi(&a);
	char *pw = get_password(&a);
	if (!pw)
		usage_err("--password or --password-file is required");
	struct db *db = open_db(ctl);
	if (!db)
		goto out;
	if ((rc = db_begin(db)) == PRES_OK) {
		rc = db_subscriber_get(db, a.impi, &s);
		if (rc == PRES_OK) {
			n = build_creds(&s, ctl->realm, pw, creds);
			rc = n < 0 ? PRES_EINVAL : db_digest_set(db, s.impi, creds, (size_t)n);
		}
		if (rc == PRES_OK)
			rc = db_commit(db);
		else
			db_rollback(db);
	}
	db_close(db);
	if (rc == PRES_ENOTFOUND)
		run_err("no subscriber %s", a.impi);
	else if (rc == PRES_EEXIST)
		run_err("password of %s not set: a digest user name is provisioned for another "
		    "subscriber", a.impi);
	else if (rc != PRES_OK)
		run_err("password of %s not set: %s", a.impi, pres_strerror(rc));
	else {
		printf("password of %s replaced\n", a.impi);
		ret = 0;
	}
out:
	OPENSSL_cleanse(creds, sizeof(creds));
	db_subscriber_wipe(&s);
	free_secret(pw);
	args_free(&a);
	return ret;
}

/* ---- doc commands ---------------------------------------------------------------- */

static int print_doc_line(const struct db_doc_info *d, void *arg)
{
	char when[32];
	fmt_time(d->mtime, when, sizeof(when));
	printf("%s\t%s\t%s\t%s\t%zu\t%s\n", d->auid, d->xui[0] ? d->xui : "(global)", d->name,
	    d->etag, d->len, when);
	return 0;
}

static int cmd_doc_list(struct ctl *ctl, int argc, char **argv)
{
	static const int allowed[] = { O_AUID, O_XUI, O_GLOBAL, 0 };
	struct args a = { 0 };
	parse_opts(ctl, &a, argc, argv, allowed, "doc list");
	if (a.global && a.xui)
		usage_err("--xui and --global exclude each other");
	struct db *db = open_db(ctl);
	if (!db)
		return 1;
	int rc = db_doc_foreach(db, a.auid, a.global ? "" : a.xui, print_doc_line, NULL);
	db_close(db);
	if (rc != PRES_OK)
		return run_err("cannot list documents: %s", pres_strerror(rc));
	return 0;
}

static int cmd_doc_get(struct ctl *ctl, int argc, char **argv)
{
	static const int allowed[] = { O_AUID, O_XUI, O_GLOBAL, O_NAME, 0 };
	struct args a = { 0 };
	struct db_doc d;

	parse_opts(ctl, &a, argc, argv, allowed, "doc get");
	if (!a.auid)
		usage_err("--auid is required");
	if (!a.name)
		usage_err("--name is required");
	if (a.global && a.xui)
		usage_err("--xui and --global exclude each other");
	if (!a.global && !a.xui)
		usage_err("--xui (or --global) is required");
	const char *xui = a.global ? "" : a.xui;
	struct db *db = open_db(ctl);
	if (!db)
		return 1;
	int rc = db_doc_get(db, a.auid, xui, a.name, &d);
	db_close(db);
	if (rc == PRES_ENOTFOUND)
		return run_err("no document %s/%s/%s", a.auid, xui[0] ? xui : "(global)", a.name);
	if (rc != PRES_OK)
		return run_err("cannot read document: %s", pres_strerror(rc));
	int ok = fwrite(d.content, 1, d.len, stdout) == d.len && fflush(stdout) == 0;
	db_doc_clear(&d);
	if (!ok)
		return run_err("write to stdout failed: %s", strerror(errno));
	return 0;
}

/* ---- SIP state (publications, subscriptions) ------------------------------------ */

/* Normalizes a URI option or exits with a usage error. */
static void need_uri(const char *v, const char *opt, char *out)
{
	if (!v)
		usage_err("--%s is required", opt);
	if (pres_uri_normalize(v, out, DB_URI_MAX) != PRES_OK)
		usage_err("--%s '%s' is not a sip:, sips: or tel: URI", opt, v);
}

static void fmt_left(int64_t expires, char *buf, size_t n)
{
	int64_t left = expires - pres_now();
	if (left > 0)
		snprintf(buf, n, "%llds", (long long)left);
	else
		pres_strlcpy(buf, "expired", n);
}

struct pub_list {
	struct pres_pub_in *in;
	char **bodies;
	size_t n, cap;
	int print;
};

static int pub_cb(const struct db_pub *dp, void *arg)
{
	struct pub_list *l = arg;
	char when[32], left[32];

	if (l->print) {
		fmt_time(dp->created, when, sizeof(when));
		fmt_left(dp->expires, left, sizeof(left));
		printf("publication: etag=%s expires_in=%s changed=%s type=%s bytes=%zu%s%s\n",
		    dp->etag, left, when, dp->content_type, dp->body_len,
		    dp->source[0] ? " source=" : "", dp->source);
	}
	if (dp->body == NULL)
		return 0;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? 2 * l->cap : 8;
		struct pres_pub_in *ni = realloc(l->in, ncap * sizeof(*ni));
		if (!ni)
			return 1;
		l->in = ni;
		char **nb = realloc(l->bodies, ncap * sizeof(*nb));
		if (!nb)
			return 1;
		l->bodies = nb;
		l->cap = ncap;
	}
	l->bodies[l->n] = malloc(dp->body_len + 1);
	if (!l->bodies[l->n])
		return 1;
	memcpy(l->bodies[l->n], dp->body, dp->body_len);
	l->bodies[l->n][dp->body_len] = '\0';
	l->in[l->n].body = l->bodies[l->n];
	l->in[l->n].len = dp->body_len;
	l->in[l->n].timestamp = dp->created;
	l->n++;
	return 0;
}

static void pub_list_free(struct pub_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->bodies[i]);
	free(l->bodies);
	free(l->in);
}

struct sub_count {
	unsigned active, pending, winfo;
};

static int count_cb(const struct db_sub *s, void *arg)
{
	struct sub_count *c = arg;
	if (s->expires <= pres_now())
		return 0;
	if (strcmp(s->event, "presence") != 0)
		c->winfo++;
	else if (strcmp(s->state, "pending") == 0)
		c->pending++;
	else if (strcmp(s->state, "active") == 0)
		c->active++;
	return 0;
}

static int cmd_presentity_show(struct ctl *ctl, int argc, char **argv)
{
	static const int allowed[] = { O_IMPU, O_DOCUMENT, 0 };
	struct args a = { 0 };
	char impu[DB_URI_MAX];
	struct db_subscriber owner;
	struct pub_list l = { 0 };
	struct sub_count c = { 0 };
	struct db_doc manip;
	int ret = 1, rc, have_manip;

	parse_opts(ctl, &a, argc, argv, allowed, "presentity show");
	if (a.n_impus != 1)
		usage_err("exactly one --impu is required");
	need_uri(a.impus[0], "impu", impu);
	struct db *db = open_db(ctl);
	if (!db)
		return 1;
	memset(&owner, 0, sizeof(owner));
	memset(&manip, 0, sizeof(manip));
	rc = db_subscriber_by_impu(db, impu, &owner);
	if (rc == PRES_ENOTFOUND) {
		run_err("no presentity %s (not an IMPU of any subscriber)", impu);
		goto out;
	}
	if (rc != PRES_OK) {
		run_err("cannot read %s: %s", impu, pres_strerror(rc));
		goto out;
	}
	if (!a.document) {
		printf("presentity: %s\nsubscriber: %s\n", impu, owner.impi);
		fflush(stdout);
	}
	l.print = !a.document;
	rc = db_pub_foreach(db, impu, "presence", pub_cb, &l);
	if (rc != PRES_OK) {
		run_err("cannot read publications of %s: %s", impu, pres_strerror(rc));
		goto out;
	}
	have_manip = db_doc_get(db, "pidf-manipulation", impu, "index", &manip) == PRES_OK;
	if (!a.document) {
		rc = db_sub_foreach(db, impu, NULL, count_cb, &c);
		if (rc != PRES_OK) {
			run_err("cannot read subscriptions of %s: %s", impu, pres_strerror(rc));
			goto out;
		}
		printf("publications: %zu\npidf-manipulation: %s\n", l.n, have_manip ? "yes" : "no");
		printf("watchers: %u active, %u pending; watcher-info subscriptions: %u\n",
		    c.active, c.pending, c.winfo);
		ret = 0;
		goto out;
	}
	char *doc = NULL;
	size_t len = 0;
	rc = pres_compose(impu, l.in, l.n, have_manip ? manip.content : NULL,
	    have_manip ? manip.len : 0, &doc, &len);
	if (rc != PRES_OK && have_manip) {
		fprintf(stderr, "presencectl: pidf-manipulation of %s unusable: ignored\n", impu);
		rc = pres_compose(impu, l.in, l.n, NULL, 0, &doc, &len);
	}
	if (rc != PRES_OK) {
		run_err("cannot compose the presence of %s: %s", impu, pres_strerror(rc));
		goto out;
	}
	ret = fwrite(doc, 1, len, stdout) == len && fputc('\n', stdout) != EOF ? 0 : 1;
	free(doc);
out:
	db_doc_clear(&manip);
	pub_list_free(&l);
	db_subscriber_wipe(&owner);
	db_close(db);
	return ret;
}

struct sub_print {
	const char *watcher;  /* filter (normalized), or NULL */
	int by_watcher;       /* print the presentity column instead of the watcher */
	unsigned n;
};

static int sub_print_cb(const struct db_sub *s, void *arg)
{
	struct sub_print *sp = arg;
	char left[32], since[32], anon[8] = "";
	const char *state = s->state;
	char st[64];

	if (sp->watcher && !pres_uri_equal(sp->watcher, s->watcher))
		return 0;
	if (s->extra && strstr(s->extra, "anon=1"))
		pres_strlcpy(anon, "1", sizeof(anon));
	fmt_left(s->expires, left, sizeof(left));
	fmt_time(s->created, since, sizeof(since));
	if (s->reason[0]) {
		snprintf(st, sizeof(st), "%s;reason=%s", s->state, s->reason);
		state = st;
	}
	printf("%s\t%s\t%s\texpires_in=%s\tsince=%s\tid=%s\n",
	    sp->by_watcher ? s->presentity : anon[0] || !s->watcher[0] ? "(anonymous)" : s->watcher,
	    s->event, state, left, since, s->id);
	sp->n++;
	return 0;
}

static int cmd_watchers(struct ctl *ctl, int argc, char **argv)
{
	static const int allowed[] = { O_IMPU, 0 };
	struct args a = { 0 };
	char impu[DB_URI_MAX];
	struct sub_print sp = { 0 };

	parse_opts(ctl, &a, argc, argv, allowed, "watchers");
	if (a.n_impus != 1)
		usage_err("exactly one --impu is required");
	need_uri(a.impus[0], "impu", impu);
	struct db *db = open_db(ctl);
	if (!db)
		return 1;
	int rc = db_sub_foreach(db, impu, NULL, sub_print_cb, &sp);
	db_close(db);
	if (rc != PRES_OK)
		return run_err("cannot read subscriptions: %s", pres_strerror(rc));
	return 0;
}

static int cmd_subscriptions(struct ctl *ctl, int argc, char **argv)
{
	static const int allowed[] = { O_WATCHER, 0 };
	struct args a = { 0 };
	char uri[DB_URI_MAX];
	struct sub_print sp = { 0 };

	parse_opts(ctl, &a, argc, argv, allowed, "subscriptions");
	need_uri(a.watcher, "watcher", uri);
	sp.watcher = uri;
	sp.by_watcher = 1;
	struct db *db = open_db(ctl);
	if (!db)
		return 1;
	int rc = db_sub_foreach(db, NULL, NULL, sub_print_cb, &sp);
	db_close(db);
	if (rc != PRES_OK)
		return run_err("cannot read subscriptions: %s", pres_strerror(rc));
	return 0;
}

/* ---- main ---------------------------------------------------------------------- */

struct cmd {
	const char *group, *name;
	int (*fn)(struct ctl *, int, char **);
};

static const struct cmd cmds[] = {
	{ "subscriber", "add", cmd_sub_add },
	{ "subscriber", "remove", cmd_sub_remove },
	{ "subscriber", "list", cmd_sub_list },
	{ "subscriber", "show", cmd_sub_show },
	{ "subscriber", "reauth", cmd_sub_reauth },
	{ "subscriber", "password", cmd_sub_password },
	{ "doc", "list", cmd_doc_list },
	{ "doc", "get", cmd_doc_get },
	{ "presentity", "show", cmd_presentity_show },
	{ "watchers", NULL, cmd_watchers },
	{ "subscriptions", NULL, cmd_subscriptions },
};

int main(int argc, char **argv)
{
	struct ctl ctl = { .db_path = "var/presenced.db", .realm = "ims.example.com" };
	static const struct option global_opts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "realm", required_argument, NULL, O_REALM },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	/* "+": stop at the command word; its own options are parsed later */
	while ((c = getopt_long(argc, argv, "+:vhV", global_opts, NULL)) != -1) {
		switch (c) {
		case 'v': ctl.verbose = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("presencectl (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION); return 0;
		case O_DB: ctl.db_path = optarg; break;
		case O_REALM: ctl.realm = optarg; break;
		case ':': usage_err("option %s needs a value", argv[optind - 1]);
		default: usage_err("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		usage_err("a command is required");
	const char *group = argv[optind];
	/* one-word commands */
	for (size_t i = 0; i < PRES_ARRAY_LEN(cmds); i++) {
		if (cmds[i].name == NULL && strcmp(cmds[i].group, group) == 0) {
			int rc = cmds[i].fn(&ctl, argc - optind, argv + optind);
			if (fflush(stdout) != 0)
				return 1;
			return rc;
		}
	}
	if (strcmp(group, "subscriber") != 0 && strcmp(group, "doc") != 0 &&
	    strcmp(group, "presentity") != 0)
		usage_err("unknown command '%s'", group);
	if (optind + 1 >= argc)
		usage_err("'%s' needs a subcommand", group);
	const char *name = argv[optind + 1];
	for (size_t i = 0; i < PRES_ARRAY_LEN(cmds); i++) {
		if (cmds[i].name && strcmp(cmds[i].group, group) == 0 &&
		    strcmp(cmds[i].name, name) == 0) {
			/* hand the command its own argv, argv[0] being its name */
			int sub_argc = argc - optind - 1;
			char **sub_argv = argv + optind + 1;
			int rc = cmds[i].fn(&ctl, sub_argc, sub_argv);
			if (fflush(stdout) != 0)
				return 1;
			return rc;
		}
	}
	usage_err("unknown subcommand '%s %s'", group, name);
}
