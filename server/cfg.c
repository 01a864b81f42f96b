/* cfg.c - configuration file parsing with libconfuse. */
#include "cfg.h"
#include "pres.h"

#include <arpa/inet.h>
#include <confuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cfg_opt_t sip_opts[] = {
	CFG_BOOL("enabled", cfg_true, CFGF_NONE),
	CFG_STR_LIST("listen", "{\"sip:127.0.0.1:5060;transport=udp\", \"sip:127.0.0.1:5060;transport=tcp\", \"sips:127.0.0.1:5061;transport=tls\"}", CFGF_NONE),
	CFG_STR("tls_dir", "var/tls/sip", CFGF_NONE),
	CFG_STR_LIST("trusted_peers", "{}", CFGF_NONE),
	CFG_STR("untrusted", "challenge", CFGF_NONE),
	CFG_INT("min_expires", 60, CFGF_NONE),
	CFG_INT("max_expires", 7200, CFGF_NONE),
	CFG_INT("default_expires", 3600, CFGF_NONE),
	CFG_STR("notify_failure", "terminate", CFGF_NONE),
	CFG_STR("no_pres_rules", "confirm", CFGF_NONE),
	CFG_STR("blocked", "reject", CFGF_NONE),
	CFG_INT("rls_throttle", 1000, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t vhost_opts[] = {
	CFG_STR("certificate", NULL, CFGF_NODEFAULT),
	CFG_STR("key", NULL, CFGF_NODEFAULT),
	CFG_END()
};

static cfg_opt_t xcap_opts[] = {
	CFG_STR("listen", "127.0.0.1", CFGF_NONE),
	CFG_INT("port", 8443, CFGF_NONE),
	CFG_STR("fqdn", "xcap.ims.example.com", CFGF_NONE),
	CFG_STR("root", "/xcap-root", CFGF_NONE),
	CFG_BOOL("tls", cfg_true, CFGF_NONE),
	CFG_INT("max_body", 1048576, CFGF_NONE),
	CFG_STR("certificate", "var/tls/xcap.crt", CFGF_NONE),
	CFG_STR("key", "var/tls/xcap.key", CFGF_NONE),
	CFG_STR("ca", "var/tls/ca.crt", CFGF_NONE),
	CFG_SEC("vhost", vhost_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_STR("schema_dir", NULL, CFGF_NODEFAULT),
	CFG_INT("threads", 4, CFGF_NONE),
	CFG_INT("connection_limit", 1024, CFGF_NONE),
	CFG_INT("connection_timeout", 60, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t tls_opts[] = {
	CFG_BOOL("require_encryption", cfg_true, CFGF_NONE),
	CFG_STR("priorities", NULL, CFGF_NODEFAULT),
	CFG_INT("session_lifetime", 86400, CFGF_NONE),
	CFG_INT("ticket_rotation", 3600, CFGF_NONE),
	CFG_BOOL("request_client_cert", cfg_false, CFGF_NONE),
	CFG_STR("client_ca", NULL, CFGF_NODEFAULT),
	CFG_END()
};

static cfg_opt_t auth_opts[] = {
	CFG_BOOL("gba", cfg_true, CFGF_NONE),
	CFG_BOOL("digest", cfg_true, CFGF_NONE),
	CFG_STR("realm", NULL, CFGF_NODEFAULT),
	CFG_INT("nonce_lifetime", 300, CFGF_NONE),
	CFG_BOOL("allow_impu_username", cfg_true, CFGF_NONE),
	CFG_INT("max_auth_age", 0, CFGF_NONE),
	CFG_STR("nonce_secret_file", NULL, CFGF_NODEFAULT),
	CFG_STR_LIST("ap_peers", "{}", CFGF_NONE),
	CFG_BOOL("check_asserted_identity", cfg_true, CFGF_NONE),
	CFG_INT("fail_limit", 10, CFGF_NONE),
	CFG_INT("fail_window", 60, CFGF_NONE),
	CFG_INT("fail_block", 60, CFGF_NONE),
	CFG_BOOL("ap_require_client_cert", cfg_false, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t bsf_opts[] = {
	CFG_BOOL("enabled", cfg_false, CFGF_NONE),
	CFG_STR("listen", "127.0.0.1", CFGF_NONE),
	CFG_INT("port", 8080, CFGF_NONE),
	CFG_STR("name", "bsf.ims.example.com", CFGF_NONE),
	CFG_STR("realm", NULL, CFGF_NODEFAULT),
	CFG_INT("key_lifetime", 3600, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t ap_as_opts[] = {
	CFG_STR("upstream", NULL, CFGF_NODEFAULT),
	CFG_STR("address", NULL, CFGF_NODEFAULT),
	CFG_STR("ca", NULL, CFGF_NODEFAULT),
	CFG_STR("certificate", NULL, CFGF_NODEFAULT),
	CFG_STR("key", NULL, CFGF_NODEFAULT),
	CFG_BOOL("trusted", cfg_true, CFGF_NONE),
	CFG_BOOL("assert_identity", cfg_true, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t ap_opts[] = {
	CFG_BOOL("enabled", cfg_false, CFGF_NONE),
	CFG_STR("listen", "127.0.0.1", CFGF_NONE),
	CFG_INT("port", 9443, CFGF_NONE),
	CFG_STR("certificate", "var/tls/multi.crt", CFGF_NONE),
	CFG_STR("key", "var/tls/multi.key", CFGF_NONE),
	CFG_STR("ca", "var/tls/ca.crt", CFGF_NONE),
	CFG_STR("client_certificate", NULL, CFGF_NODEFAULT),
	CFG_STR("client_key", NULL, CFGF_NODEFAULT),
	CFG_STR("source_address", NULL, CFGF_NODEFAULT),
	CFG_STR_LIST("trust_domain", "{\"127.0.0.0/8\", \"::1\"}", CFGF_NONE),
	CFG_INT("threads", 8, CFGF_NONE),
	CFG_INT("connection_limit", 1024, CFGF_NONE),
	CFG_INT("connection_timeout", 60, CFGF_NONE),
	CFG_INT("max_body", 1048576, CFGF_NONE),
	CFG_INT("max_response", 4194304, CFGF_NONE),
	CFG_INT("upstream_connect_timeout", 5000, CFGF_NONE),
	CFG_INT("upstream_timeout", 30000, CFGF_NONE),
	CFG_INT("upstream_max_inflight", 64, CFGF_NONE),
	CFG_SEC("as", ap_as_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_END()
};

static cfg_opt_t top_opts[] = {
	CFG_STR("home_domain", "ims.example.com", CFGF_NONE),
	CFG_STR("log_level", "info", CFGF_NONE),
	CFG_BOOL("syslog", cfg_false, CFGF_NONE),
	CFG_STR("pidfile", NULL, CFGF_NODEFAULT),
	CFG_STR("database", "var/presenced.db", CFGF_NONE),
	CFG_SEC("sip", sip_opts, CFGF_NONE),
	CFG_SEC("xcap", xcap_opts, CFGF_NONE),
	CFG_SEC("tls", tls_opts, CFGF_NONE),
	CFG_SEC("auth", auth_opts, CFGF_NONE),
	CFG_SEC("bsf", bsf_opts, CFGF_NONE),
	CFG_SEC("ap", ap_opts, CFGF_NONE),
	CFG_END()
};

/* The file being parsed, for error messages: libconfuse keeps the name
 * only on the root section. Parsing happens once, at startup. */
static const char *parsing_file;
static cfg_t *parsing_root;

static int cur_line(cfg_t *cfg)
{
	return cfg ? cfg->line : 0;
}

static void cfg_errfn(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_errx("%s:%d: %s%s%s", cfg && cfg->filename ? cfg->filename : parsing_file,
	    cur_line(cfg), cfg && cfg->name && strcmp(cfg->name, "root") ? cfg->name : "",
	    cfg && cfg->name && strcmp(cfg->name, "root") ? ": " : "", msg);
}

static char *dupstr(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Reports a semantic error against an option, with the file and line. */
static int bad(cfg_t *sec, const char *opt, const char *why)
{
	log_errx("%s: section '%s': option '%s': %s", parsing_file, sec->name, opt, why);
	return -1;
}

/* Value checks run while parsing (libconfuse validate callbacks), so that
 * the message carries the line of the offending option. */
enum vkind { V_RANGE, V_ENUM, V_ADDR, V_ADDRS, V_SIPURIS, V_PATH };
struct vrule {
	const char *sec, *opt;
	enum vkind kind;
	long lo, hi;
	const char *enums[5];
};
static int valid_addr(const char *s);
static const struct vrule vrules[] = {
	{ "root", "log_level", V_ENUM, 0, 0, { "error", "warning", "info", "debug" } },
	{ "sip", "listen", V_SIPURIS, 0, 0, { 0 } },
	{ "sip", "trusted_peers", V_ADDRS, 0, 0, { 0 } },
	{ "sip", "untrusted", V_ENUM, 0, 0, { "challenge", "refuse" } },
	{ "sip", "notify_failure", V_ENUM, 0, 0, { "terminate", "retry" } },
	{ "sip", "no_pres_rules", V_ENUM, 0, 0, { "confirm", "block", "allow" } },
	{ "sip", "blocked", V_ENUM, 0, 0, { "reject", "terminate" } },
	{ "sip", "min_expires", V_RANGE, 1, 86400, { 0 } },
	{ "sip", "max_expires", V_RANGE, 1, 604800, { 0 } },
	{ "sip", "default_expires", V_RANGE, 1, 604800, { 0 } },
	{ "sip", "rls_throttle", V_RANGE, 1, 60000, { 0 } },
	{ "xcap", "listen", V_ADDR, 0, 0, { 0 } },
	{ "xcap", "port", V_RANGE, 1, 65535, { 0 } },
	{ "xcap", "root", V_PATH, 0, 0, { 0 } },
	{ "xcap", "max_body", V_RANGE, 1024, 67108864, { 0 } },
	{ "xcap", "threads", V_RANGE, 1, 64, { 0 } },
	{ "xcap", "connection_limit", V_RANGE, 1, 100000, { 0 } },
	{ "xcap", "connection_timeout", V_RANGE, 1, 3600, { 0 } },
	{ "tls", "session_lifetime", V_RANGE, 0, 86400, { 0 } },
	{ "tls", "ticket_rotation", V_RANGE, 60, 86400, { 0 } },
	{ "auth", "nonce_lifetime", V_RANGE, 10, 86400, { 0 } },
	{ "auth", "max_auth_age", V_RANGE, 0, 2592000, { 0 } },
	{ "auth", "ap_peers", V_ADDRS, 0, 0, { 0 } },
	{ "auth", "fail_limit", V_RANGE, 1, 100000, { 0 } },
	{ "auth", "fail_window", V_RANGE, 1, 86400, { 0 } },
	{ "auth", "fail_block", V_RANGE, 1, 86400, { 0 } },
	{ "bsf", "listen", V_ADDR, 0, 0, { 0 } },
	{ "bsf", "port", V_RANGE, 1, 65535, { 0 } },
	{ "bsf", "key_lifetime", V_RANGE, 60, 604800, { 0 } },
	{ "ap", "listen", V_ADDR, 0, 0, { 0 } },
	{ "ap", "port", V_RANGE, 1, 65535, { 0 } },
	{ "ap", "trust_domain", V_ADDRS, 0, 0, { 0 } },
	{ "ap", "source_address", V_ADDR, 0, 0, { 0 } },
	{ "ap", "threads", V_RANGE, 1, 256, { 0 } },
	{ "ap", "connection_limit", V_RANGE, 1, 100000, { 0 } },
	{ "ap", "connection_timeout", V_RANGE, 1, 3600, { 0 } },
	{ "ap", "max_body", V_RANGE, 1024, 67108864, { 0 } },
	{ "ap", "max_response", V_RANGE, 1024, 268435456, { 0 } },
	{ "ap", "upstream_connect_timeout", V_RANGE, 100, 600000, { 0 } },
	{ "ap", "upstream_timeout", V_RANGE, 100, 3600000, { 0 } },
	{ "ap", "upstream_max_inflight", V_RANGE, 1, 100000, { 0 } },
};

static int validate_opt(cfg_t *cfg, cfg_opt_t *opt)
{
	for (size_t r = 0; r < PRES_ARRAY_LEN(vrules); r++) {
		const struct vrule *v = &vrules[r];
		if (strcmp(v->opt, opt->name) || strcmp(v->sec, cfg->name))
			continue;
		for (unsigned i = 0; i < cfg_opt_size(opt); i++) {
			switch (v->kind) {
			case V_RANGE: {
				long x = cfg_opt_getnint(opt, i);
				if (x < v->lo || x > v->hi) {
					cfg_error(cfg, "option '%s': %ld is out of range (%ld-%ld)",
					    opt->name, x, v->lo, v->hi);
					return -1;
				}
				break;
			}
			case V_ENUM: {
				const char *x = cfg_opt_getnstr(opt, i);
				int ok = 0;
				for (int e = 0; e < 5 && v->enums[e]; e++)
					ok |= x && !strcmp(x, v->enums[e]);
				if (!ok) {
					cfg_error(cfg, "option '%s': '%s' is not one of %s%s%s%s%s%s%s",
					    opt->name, x ? x : "", v->enums[0],
					    v->enums[1] ? ", " : "", v->enums[1] ? v->enums[1] : "",
					    v->enums[2] ? ", " : "", v->enums[2] ? v->enums[2] : "",
					    v->enums[3] ? ", " : "", v->enums[3] ? v->enums[3] : "");
					return -1;
				}
				break;
			}
			case V_ADDR:
			case V_ADDRS: {
				const char *x = cfg_opt_getnstr(opt, i);
				if (!x || !valid_addr(x) || (v->kind == V_ADDR && strchr(x, '/'))) {
					cfg_error(cfg, "option '%s': '%s' is not an IP address%s",
					    opt->name, x ? x : "", v->kind == V_ADDRS ? " or CIDR prefix" : "");
					return -1;
				}
				break;
			}
			case V_SIPURIS: {
				const char *x = cfg_opt_getnstr(opt, i);
				if (!x || (strncmp(x, "sip:", 4) && strncmp(x, "sips:", 5))) {
					cfg_error(cfg, "option '%s': '%s' is not a sip: or sips: URI",
					    opt->name, x ? x : "");
					return -1;
				}
				break;
			}
			case V_PATH: {
				const char *x = cfg_opt_getnstr(opt, i);
				size_t n = x ? strlen(x) : 0;
				if (!n || x[0] != '/' || (n > 1 && x[n - 1] == '/')) {
					cfg_error(cfg, "option '%s': must be an absolute path without a trailing slash",
					    opt->name);
					return -1;
				}
				break;
			}
			}
		}
	}
	return 0;
}

static int get_port(cfg_t *sec, const char *opt, int *out)
{
	long v = cfg_getint(sec, opt);
	if (v < 1 || v > 65535)
		return bad(sec, opt, "must be a port number 1-65535");
	*out = (int)v;
	return 0;
}

static int get_range(cfg_t *sec, const char *opt, long lo, long hi, int *out)
{
	long v = cfg_getint(sec, opt);
	if (v < lo || v > hi) {
		char why[96];
		snprintf(why, sizeof(why), "must be between %ld and %ld", lo, hi);
		return bad(sec, opt, why);
	}
	*out = (int)v;
	return 0;
}

static int get_list(cfg_t *sec, const char *opt, char **dst, size_t *n)
{
	unsigned cnt = cfg_size(sec, opt);
	if (cnt > CFG_MAX_LIST)
		return bad(sec, opt, "too many entries (at most 16)");
	for (unsigned i = 0; i < cnt; i++)
		dst[i] = dupstr(cfg_getnstr(sec, opt, i));
	*n = cnt;
	return 0;
}

static int valid_addr(const char *s)
{
	unsigned char buf[16];
	char tmp[64];
	const char *slash = strchr(s, '/');
	if (slash) {
		long long bits;
		size_t l = (size_t)(slash - s);
		if (l >= sizeof(tmp) || pres_parse_ll(slash + 1, 0, 128, &bits))
			return 0;
		memcpy(tmp, s, l);
		tmp[l] = '\0';
		s = tmp;
	}
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int check_addrs(cfg_t *sec, const char *opt, char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!valid_addr(list[i]))
			return bad(sec, opt, "entries must be IPv4/IPv6 addresses or CIDR prefixes");
	return 0;
}

/*
 * libconfuse 3.3 miscounts lines after comments (each one adds lines), so
 * error messages would point at the wrong line. We blank comments out
 * ourselves (outside quoted strings, keeping every newline) and hand the
 * buffer to cfg_parse_buf; the line numbers are then exact.
 */
static char *read_uncommented(const char *file)
{
	FILE *f = fopen(file, "rb");
	char *buf;
	long n;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || n > 4 * 1024 * 1024 ||
	    fseek(f, 0, SEEK_SET) || !(buf = malloc((size_t)n + 1))) {
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	for (char *p = buf; *p; p++) {
		if (*p == '"' || *p == '\'') {           /* skip a quoted string */
			char q = *p;
			for (p++; *p && *p != q; p++)
				if (*p == '\\' && p[1])
					p++;
			if (!*p)
				break;
		} else if (*p == '#' || (*p == '/' && p[1] == '/')) {
			while (*p && *p != '\n')
				*p++ = ' ';
			if (!*p)
				break;
		} else if (*p == '/' && p[1] == '*') {
			while (*p && !(*p == '*' && p[1] == '/')) {
				if (*p != '\n')
					*p = ' ';
				p++;
			}
			if (!*p)
				break;
			p[0] = p[1] = ' ';
			p++;
		}
	}
	return buf;
}

/* The ap { } section (Authentication Proxy role). */
static int load_ap(cfg_t *s, struct pres_cfg *c)
{
	long v;
	c->ap.enabled = cfg_getbool(s, "enabled");
	c->ap.listen_addr = dupstr(cfg_getstr(s, "listen"));
	if (!valid_addr(c->ap.listen_addr) || strchr(c->ap.listen_addr, '/'))
		return bad(s, "listen", "must be an IP address");
	if (get_port(s, "port", &c->ap.port))
		return -1;
	c->ap.cert_file = dupstr(cfg_getstr(s, "certificate"));
	c->ap.key_file = dupstr(cfg_getstr(s, "key"));
	c->ap.ca_file = dupstr(cfg_getstr(s, "ca"));
	c->ap.client_cert_file = dupstr(cfg_getstr(s, "client_certificate"));
	c->ap.client_key_file = dupstr(cfg_getstr(s, "client_key"));
	if ((c->ap.client_cert_file != NULL) != (c->ap.client_key_file != NULL))
		return bad(s, "client_certificate", "needs client_key too (and the other way round)");
	c->ap.source_address = dupstr(cfg_getstr(s, "source_address"));
	if (c->ap.source_address && (!valid_addr(c->ap.source_address) || strchr(c->ap.source_address, '/')))
		return bad(s, "source_address", "must be an IP address");
	if (get_list(s, "trust_domain", c->ap.trust_domain, &c->ap.n_trust_domain) ||
	    check_addrs(s, "trust_domain", c->ap.trust_domain, c->ap.n_trust_domain))
		return -1;
	if (get_range(s, "threads", 1, 256, &c->ap.threads) ||
	    get_range(s, "connection_limit", 1, 100000, &c->ap.connection_limit) ||
	    get_range(s, "connection_timeout", 1, 3600, &c->ap.connection_timeout) ||
	    get_range(s, "upstream_connect_timeout", 100, 600000, &c->ap.upstream_connect_timeout) ||
	    get_range(s, "upstream_timeout", 100, 3600000, &c->ap.upstream_timeout) ||
	    get_range(s, "upstream_max_inflight", 1, 100000, &c->ap.upstream_max_inflight))
		return -1;
	v = cfg_getint(s, "max_body");
	if (v < 1024 || v > 64L * 1024 * 1024)
		return bad(s, "max_body", "must be between 1024 and 67108864");
	c->ap.max_body = (size_t)v;
	v = cfg_getint(s, "max_response");
	if (v < 1024 || v > 256L * 1024 * 1024)
		return bad(s, "max_response", "must be between 1024 and 268435456");
	c->ap.max_response = (size_t)v;
	c->ap.n_as = cfg_size(s, "as");
	if (c->ap.n_as > CFG_MAX_LIST) {
		c->ap.n_as = 0;
		return bad(s, "as", "too many application servers (at most 16)");
	}
	for (size_t i = 0; i < c->ap.n_as; i++) {
		cfg_t *a = cfg_getnsec(s, "as", (unsigned)i);
		struct cfg_ap_as *as = &c->ap.as[i];
		as->name = dupstr(cfg_title(a));
		as->upstream = dupstr(cfg_getstr(a, "upstream"));
		as->address = dupstr(cfg_getstr(a, "address"));
		as->ca_file = dupstr(cfg_getstr(a, "ca"));
		as->cert_file = dupstr(cfg_getstr(a, "certificate"));
		as->key_file = dupstr(cfg_getstr(a, "key"));
		as->trusted = cfg_getbool(a, "trusted");
		as->assert_identity = cfg_getbool(a, "assert_identity") && as->trusted;
		if (!as->upstream)
			return bad(a, "upstream", "every as { } needs an upstream URL");
		if (strncmp(as->upstream, "https://", 8) && strncmp(as->upstream, "http://", 7))
			return bad(a, "upstream", "must start with https:// or http://");
		if ((as->cert_file != NULL) != (as->key_file != NULL))
			return bad(a, "certificate", "needs key too (and the other way round)");
		if (as->address && (!valid_addr(as->address) || strchr(as->address, '/')))
			return bad(a, "address", "must be an IP address");
	}
	if (c->ap.enabled && c->ap.n_as == 0)
		return bad(s, "as", "the AP needs at least one as \"host name\" { upstream = ... }");
	return 0;
}

struct pres_cfg *pres_cfg_load(const char *file)
{
	cfg_t *cfg = cfg_init(top_opts, CFGF_NONE);
	struct pres_cfg *c = NULL;
	cfg_t *s;
	int rc;

	if (!cfg)
		return NULL;
	cfg_set_error_function(cfg, cfg_errfn);
	for (size_t r = 0; r < PRES_ARRAY_LEN(vrules); r++) {
		char path[96];
		if (strcmp(vrules[r].sec, "root"))
			snprintf(path, sizeof(path), "%s|%s", vrules[r].sec, vrules[r].opt);
		else
			snprintf(path, sizeof(path), "%s", vrules[r].opt);
		cfg_set_validate_func(cfg, path, validate_opt);
	}
	parsing_file = file;
	parsing_root = cfg;
	char *text = read_uncommented(file);
	if (!text) {
		log_errx("%s: cannot read configuration file", file);
		goto fail;
	}
	rc = cfg_parse_buf(cfg, text);
	free(text);
	if (rc != CFG_SUCCESS)
		goto fail;

	c = calloc(1, sizeof(*c));
	if (!c)
		goto fail;
	c->file = strdup(file);
	c->home_domain = dupstr(cfg_getstr(cfg, "home_domain"));
	c->log_level = log_level_from_name(cfg_getstr(cfg, "log_level"));
	if (c->log_level < 0 && bad(cfg, "log_level", "must be error, warning, info or debug"))
		goto fail;
	c->log_syslog = cfg_getbool(cfg, "syslog");
	c->pidfile = dupstr(cfg_getstr(cfg, "pidfile"));
	c->db_path = dupstr(cfg_getstr(cfg, "database"));

	s = cfg_getsec(cfg, "sip");
	c->sip.enabled = cfg_getbool(s, "enabled");
	if (get_list(s, "listen", c->sip.listen, &c->sip.n_listen) ||
	    get_list(s, "trusted_peers", c->sip.trusted_peers, &c->sip.n_trusted) ||
	    check_addrs(s, "trusted_peers", c->sip.trusted_peers, c->sip.n_trusted))
		goto fail;
	for (size_t i = 0; i < c->sip.n_listen; i++)
		if (strncmp(c->sip.listen[i], "sip:", 4) && strncmp(c->sip.listen[i], "sips:", 5)) {
			bad(s, "listen", "entries must be sip: or sips: URIs");
			goto fail;
		}
	c->sip.tls_dir = dupstr(cfg_getstr(s, "tls_dir"));
	if (!strcmp(cfg_getstr(s, "untrusted"), "challenge"))
		c->sip.untrusted_challenge = 1;
	else if (strcmp(cfg_getstr(s, "untrusted"), "refuse")) {
		bad(s, "untrusted", "must be challenge or refuse");
		goto fail;
	}
	if (!strcmp(cfg_getstr(s, "notify_failure"), "terminate"))
		c->sip.notify_fail_terminate = 1;
	else if (strcmp(cfg_getstr(s, "notify_failure"), "retry")) {
		bad(s, "notify_failure", "must be terminate or retry");
		goto fail;
	}
	{
		const char *v = cfg_getstr(s, "no_pres_rules");
		c->sip.no_pres_rules = !strcmp(v, "block") ? 1 : !strcmp(v, "allow") ? 2 : 0;
		if (c->sip.no_pres_rules == 0 && strcmp(v, "confirm")) {
			bad(s, "no_pres_rules", "must be confirm, block or allow");
			goto fail;
		}
		v = cfg_getstr(s, "blocked");
		c->sip.blocked_terminate = !strcmp(v, "terminate");
		if (!c->sip.blocked_terminate && strcmp(v, "reject")) {
			bad(s, "blocked", "must be reject or terminate");
			goto fail;
		}
	}
	if (get_range(s, "min_expires", 1, 86400, &c->sip.min_expires) ||
	    get_range(s, "max_expires", 1, 7 * 86400, &c->sip.max_expires) ||
	    get_range(s, "default_expires", 1, 7 * 86400, &c->sip.default_expires) ||
	    get_range(s, "rls_throttle", 1, 60000, &c->sip.rls_throttle))
		goto fail;
	if (c->sip.min_expires > c->sip.max_expires) {
		bad(s, "min_expires", "must not exceed max_expires");
		goto fail;
	}

	s = cfg_getsec(cfg, "xcap");
	c->xcap.listen_addr = dupstr(cfg_getstr(s, "listen"));
	if (!valid_addr(c->xcap.listen_addr) && bad(s, "listen", "must be an IP address"))
		goto fail;
	if (get_port(s, "port", &c->xcap.port))
		goto fail;
	c->xcap.fqdn = dupstr(cfg_getstr(s, "fqdn"));
	c->xcap.root = dupstr(cfg_getstr(s, "root"));
	if (c->xcap.root[0] != '/' || (strlen(c->xcap.root) > 1 &&
	    c->xcap.root[strlen(c->xcap.root) - 1] == '/')) {
		bad(s, "root", "must be an absolute path without a trailing slash");
		goto fail;
	}
	c->xcap.tls = cfg_getbool(s, "tls");
	{
		long mb = cfg_getint(s, "max_body");
		if (mb < 1024 || mb > 64L * 1024 * 1024) {
			bad(s, "max_body", "must be between 1024 and 67108864");
			goto fail;
		}
		c->xcap.max_body = (size_t)mb;
	}
	c->xcap.cert_file = dupstr(cfg_getstr(s, "certificate"));
	c->xcap.key_file = dupstr(cfg_getstr(s, "key"));
	c->xcap.ca_file = dupstr(cfg_getstr(s, "ca"));
	c->xcap.schema_dir = dupstr(cfg_getstr(s, "schema_dir"));
	if (get_range(s, "threads", 1, 64, &c->xcap.threads) ||
	    get_range(s, "connection_limit", 1, 100000, &c->xcap.connection_limit) ||
	    get_range(s, "connection_timeout", 1, 3600, &c->xcap.connection_timeout))
		goto fail;
	c->xcap.n_vhosts = cfg_size(s, "vhost");
	if (c->xcap.n_vhosts > CFG_MAX_LIST) {
		bad(s, "vhost", "too many virtual hosts (at most 16)");
		goto fail;
	}
	for (size_t i = 0; i < c->xcap.n_vhosts; i++) {
		cfg_t *v = cfg_getnsec(s, "vhost", (unsigned)i);
		c->xcap.vhosts[i].name = dupstr(cfg_title(v));
		c->xcap.vhosts[i].cert_file = dupstr(cfg_getstr(v, "certificate"));
		c->xcap.vhosts[i].key_file = dupstr(cfg_getstr(v, "key"));
		if (!c->xcap.vhosts[i].cert_file || !c->xcap.vhosts[i].key_file) {
			bad(v, "certificate", "a vhost needs both certificate and key");
			goto fail;
		}
	}
	if (!c->xcap.tls && strcmp(c->xcap.listen_addr, "127.0.0.1") &&
	    strcmp(c->xcap.listen_addr, "::1")) {
		bad(s, "tls", "plain HTTP is only allowed on a loopback address");
		goto fail;
	}

	s = cfg_getsec(cfg, "tls");
	c->tls.require_encryption = cfg_getbool(s, "require_encryption");
	c->tls.priorities = dupstr(cfg_getstr(s, "priorities"));
	if (get_range(s, "session_lifetime", 0, 86400, &c->tls.session_lifetime) ||
	    get_range(s, "ticket_rotation", 60, 86400, &c->tls.ticket_rotation))
		goto fail;
	c->tls.request_client_cert = cfg_getbool(s, "request_client_cert");
	c->tls.client_ca_file = dupstr(cfg_getstr(s, "client_ca"));

	s = cfg_getsec(cfg, "auth");
	c->auth.gba = cfg_getbool(s, "gba");
	c->auth.digest = cfg_getbool(s, "digest");
	c->auth.realm = dupstr(cfg_getstr(s, "realm") ? cfg_getstr(s, "realm") : c->home_domain);
	if (get_range(s, "nonce_lifetime", 10, 86400, &c->auth.nonce_lifetime) ||
	    get_range(s, "max_auth_age", 0, 30 * 86400, &c->auth.max_auth_age) ||
	    get_range(s, "fail_limit", 1, 100000, &c->auth.fail_limit) ||
	    get_range(s, "fail_window", 1, 86400, &c->auth.fail_window) ||
	    get_range(s, "fail_block", 1, 86400, &c->auth.fail_block))
		goto fail;
	c->auth.allow_impu_username = cfg_getbool(s, "allow_impu_username");
	c->auth.nonce_secret_file = dupstr(cfg_getstr(s, "nonce_secret_file"));
	if (get_list(s, "ap_peers", c->auth.ap_peers, &c->auth.n_ap_peers) ||
	    check_addrs(s, "ap_peers", c->auth.ap_peers, c->auth.n_ap_peers))
		goto fail;
	c->auth.check_asserted_identity = cfg_getbool(s, "check_asserted_identity");
	c->auth.ap_require_client_cert = cfg_getbool(s, "ap_require_client_cert");
	if (c->auth.ap_require_client_cert &&
	    (!c->tls.request_client_cert || !c->tls.client_ca_file || !c->xcap.tls)) {
		bad(s, "ap_require_client_cert", "needs xcap.tls, tls.request_client_cert = true and tls.client_ca");
		goto fail;
	}
	if (!c->auth.gba && !c->auth.digest && c->auth.n_ap_peers == 0) {
		bad(s, "gba", "no authentication mode left: enable gba, digest or ap_peers");
		goto fail;
	}

	s = cfg_getsec(cfg, "bsf");
	c->bsf.enabled = cfg_getbool(s, "enabled");
	c->bsf.listen_addr = dupstr(cfg_getstr(s, "listen"));
	if (!valid_addr(c->bsf.listen_addr) && bad(s, "listen", "must be an IP address"))
		goto fail;
	if (get_port(s, "port", &c->bsf.port) ||
	    get_range(s, "key_lifetime", 60, 7 * 86400, &c->bsf.key_lifetime))
		goto fail;
	c->bsf.name = dupstr(cfg_getstr(s, "name"));
	c->bsf.realm = dupstr(cfg_getstr(s, "realm") ? cfg_getstr(s, "realm") : c->bsf.name);

	if (load_ap(cfg_getsec(cfg, "ap"), c))
		goto fail;

	parsing_root = NULL;
	cfg_free(cfg);
	return c;
fail:
	parsing_root = NULL;
	cfg_free(cfg);
	if (c)
		pres_cfg_free(c);
	return NULL;
}

void pres_cfg_free(struct pres_cfg *c)
{
	if (!c)
		return;
	free(c->file);
	free(c->home_domain);
	free(c->pidfile);
	free(c->db_path);
	for (size_t i = 0; i < c->sip.n_listen; i++)
		free(c->sip.listen[i]);
	for (size_t i = 0; i < c->sip.n_trusted; i++)
		free(c->sip.trusted_peers[i]);
	free(c->sip.tls_dir);
	free(c->xcap.listen_addr);
	free(c->xcap.fqdn);
	free(c->xcap.root);
	free(c->xcap.cert_file);
	free(c->xcap.key_file);
	free(c->xcap.ca_file);
	free(c->xcap.schema_dir);
	for (size_t i = 0; i < c->xcap.n_vhosts; i++) {
		free(c->xcap.vhosts[i].name);
		free(c->xcap.vhosts[i].cert_file);
		free(c->xcap.vhosts[i].key_file);
	}
	free(c->tls.priorities);
	free(c->tls.client_ca_file);
	free(c->auth.realm);
	free(c->auth.nonce_secret_file);
	for (size_t i = 0; i < c->auth.n_ap_peers; i++)
		free(c->auth.ap_peers[i]);
	free(c->bsf.listen_addr);
	free(c->bsf.name);
	free(c->bsf.realm);
	free(c->ap.listen_addr);
	free(c->ap.cert_file);
	free(c->ap.key_file);
	free(c->ap.ca_file);
	free(c->ap.client_cert_file);
	free(c->ap.client_key_file);
	free(c->ap.source_address);
	for (size_t i = 0; i < c->ap.n_trust_domain; i++)
		free(c->ap.trust_domain[i]);
	for (size_t i = 0; i < c->ap.n_as; i++) {
		free(c->ap.as[i].name);
		free(c->ap.as[i].upstream);
		free(c->ap.as[i].address);
		free(c->ap.as[i].ca_file);
		free(c->ap.as[i].cert_file);
		free(c->ap.as[i].key_file);
	}
	free(c);
}
