/*
 * psip_util.c - pure helpers of the SIP engine: no I/O, no engine state.
 * Expires rules, Subscription-State, trusted networks, dialog serialization,
 * decision mapping.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "sip/psip_int.h"

enum psip_event
psip_event_kind(const char *type)
{
	if (type == NULL)
		return PSIP_EV_UNKNOWN;
	if (strcasecmp(type, "presence") == 0)
		return PSIP_EV_PRESENCE;
	if (strcasecmp(type, "presence.winfo") == 0)
		return PSIP_EV_WINFO;
	if (strcasecmp(type, "xcap-diff") == 0)
		return PSIP_EV_XCAPDIFF;
	return PSIP_EV_UNKNOWN;
}

const char *
psip_event_name(enum psip_event ev)
{
	switch (ev) {
	case PSIP_EV_PRESENCE: return "presence";
	case PSIP_EV_WINFO: return "presence.winfo";
	case PSIP_EV_XCAPDIFF: return "xcap-diff";
	default: return "";
	}
}

const char *
psip_state_name(enum psip_state st)
{
	switch (st) {
	case PSIP_ST_ACTIVE: return "active";
	case PSIP_ST_PENDING: return "pending";
	default: return "terminated";
	}
}

int
psip_state_parse(const char *s)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "active") == 0)
		return PSIP_ST_ACTIVE;
	if (strcmp(s, "pending") == 0)
		return PSIP_ST_PENDING;
	if (strcmp(s, "terminated") == 0)
		return PSIP_ST_TERMINATED;
	return -1;
}

int
psip_expires_grant(int has_value, unsigned long value, unsigned min,
    unsigned max, unsigned def, unsigned *out)
{
	if (!has_value) {
		*out = def;
		return 0;
	}
	if (value == 0) {
		*out = 0;
		return 0;
	}
	if (value < min) {
		*out = min;
		return 423;
	}
	*out = value > max ? max : (unsigned)value;
	return 0;
}

int
psip_substate_format(enum psip_state st, unsigned expires, const char *reason,
    char *buf, size_t size)
{
	int n;

	if (st == PSIP_ST_TERMINATED)
		n = snprintf(buf, size, "terminated;reason=%s",
		    reason && *reason ? reason : "noresource");
	else
		n = snprintf(buf, size, "%s;expires=%u", psip_state_name(st), expires);
	if (n < 0 || (size_t)n >= size)
		return PRES_ETOOBIG;
	return PRES_OK;
}

int
psip_net_parse(const char *s, struct psip_net *out)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *slash;
	size_t hl;
	long long prefix = -1;

	if (s == NULL || out == NULL)
		return PRES_EINVAL;
	memset(out, 0, sizeof(*out));
	slash = strchr(s, '/');
	hl = slash ? (size_t)(slash - s) : strlen(s);
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host))
		return PRES_EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, out->addr) == 1) {
		out->family = AF_INET;
		out->prefix = 32;
	} else if (inet_pton(AF_INET6, host, out->addr) == 1) {
		out->family = AF_INET6;
		out->prefix = 128;
	} else
		return PRES_EINVAL;
	if (slash) {
		if (pres_parse_ll(slash + 1, 0, out->prefix, &prefix) != 0)
			return PRES_EINVAL;
		out->prefix = (unsigned)prefix;
	}
	return PRES_OK;
}

static int
prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full) != 0)
		return 0;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		if ((a[full] & mask) != (b[full] & mask))
			return 0;
	}
	return 1;
}

int
psip_net_match(const struct psip_net *nets, size_t n, const struct sockaddr *sa)
{
	uint8_t a[16];
	int family;
	size_t i;

	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		memcpy(a, &sin->sin_addr, 4);
		family = AF_INET;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			memcpy(a, sin6->sin6_addr.s6_addr + 12, 4);
			family = AF_INET;
		} else {
			memcpy(a, &sin6->sin6_addr, 16);
			family = AF_INET6;
		}
	} else
		return 0;
	for (i = 0; i < n; i++)
		if (nets[i].family == family && prefix_eq(nets[i].addr, a, nets[i].prefix))
			return 1;
	return 0;
}

/* ---- dialog serialization ---------------------------------------------
 * One "key=value" per line; values are header values, which never hold CR
 * or LF once parsed, so no escaping is needed; we refuse them anyway. */

static int
put_line(char **buf, size_t *len, size_t *cap, const char *key, const char *val)
{
	size_t need;
	int n;

	if (val == NULL)
		return PRES_OK;
	if (strpbrk(val, "\r\n") != NULL)
		return PRES_EINVAL;
	need = strlen(key) + strlen(val) + 3;
	if (*len + need >= *cap) {
		size_t ncap = (*cap + need) * 2;
		char *nb = realloc(*buf, ncap);
		if (nb == NULL)
			return PRES_ENOMEM;
		*buf = nb;
		*cap = ncap;
	}
	n = snprintf(*buf + *len, *cap - *len, "%s=%s\n", key, val);
	if (n < 0)
		return PRES_EINVAL;
	*len += (size_t)n;
	return PRES_OK;
}

int
psip_dialog_serialize(const struct psip_dialog *d, char **out)
{
	char *buf = NULL, seq[16];
	size_t len = 0, cap = 0;
	int rc;

	*out = NULL;
	if (!d->call_id || !d->local || !d->remote || !d->target)
		return PRES_EINVAL;
	snprintf(seq, sizeof(seq), "%u", (unsigned)d->local_cseq);
	if ((rc = put_line(&buf, &len, &cap, "v", "1")) != 0 ||
	    (rc = put_line(&buf, &len, &cap, "call-id", d->call_id)) != 0 ||
	    (rc = put_line(&buf, &len, &cap, "local", d->local)) != 0 ||
	    (rc = put_line(&buf, &len, &cap, "remote", d->remote)) != 0 ||
	    (rc = put_line(&buf, &len, &cap, "target", d->target)) != 0 ||
	    (rc = put_line(&buf, &len, &cap, "route", d->route)) != 0 ||
	    (rc = put_line(&buf, &len, &cap, "contact", d->contact)) != 0 ||
	    (rc = put_line(&buf, &len, &cap, "cseq", seq)) != 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	return PRES_OK;
}

void
psip_dialog_clear(struct psip_dialog *d)
{
	free(d->call_id);
	free(d->local);
	free(d->remote);
	free(d->target);
	free(d->route);
	free(d->contact);
	memset(d, 0, sizeof(*d));
}

int
psip_dialog_parse(const char *s, struct psip_dialog *d)
{
	const char *line, *eol, *eq;
	int version = 0;

	memset(d, 0, sizeof(*d));
	if (s == NULL)
		return PRES_EINVAL;
	for (line = s; *line; line = eol + 1) {
		char **slot = NULL;
		size_t klen, vlen;
		char *val;

		eol = strchr(line, '\n');
		if (eol == NULL)
			eol = line + strlen(line);
		eq = memchr(line, '=', (size_t)(eol - line));
		if (eq == NULL)
			goto bad;
		klen = (size_t)(eq - line);
		vlen = (size_t)(eol - eq - 1);
#define KEY(k) (klen == sizeof(k) - 1 && memcmp(line, k, klen) == 0)
		if (KEY("v")) {
			if (vlen != 1 || eq[1] != '1')
				goto bad;
			version = 1;
		} else if (KEY("call-id"))
			slot = &d->call_id;
		else if (KEY("local"))
			slot = &d->local;
		else if (KEY("remote"))
			slot = &d->remote;
		else if (KEY("target"))
			slot = &d->target;
		else if (KEY("route"))
			slot = &d->route;
		else if (KEY("contact"))
			slot = &d->contact;
		else if (KEY("cseq")) {
			char num[16];
			long long v;
			if (vlen == 0 || vlen >= sizeof(num))
				goto bad;
			memcpy(num, eq + 1, vlen);
			num[vlen] = '\0';
			if (pres_parse_ll(num, 0, 0xffffffffLL, &v) != 0)
				goto bad;
			d->local_cseq = (uint32_t)v;
		}
		/* unknown keys are ignored: newer writers may add some */
#undef KEY
		if (slot) {
			if (*slot != NULL || vlen == 0)
				goto bad;
			val = strndup(eq + 1, vlen);
			if (val == NULL) {
				psip_dialog_clear(d);
				return PRES_ENOMEM;
			}
			*slot = val;
		}
		if (*eol == '\0')
			break;
	}
	if (version != 1 || !d->call_id || !d->local || !d->remote || !d->target)
		goto bad;
	return PRES_OK;
bad:
	psip_dialog_clear(d);
	return PRES_EINVAL;
}

int
psip_decision_apply(enum psip_decision d, enum psip_block_policy block_policy,
    enum psip_state *state, const char **reason)
{
	*reason = NULL;
	switch (d) {
	case PSIP_DEC_ALLOW:
	case PSIP_DEC_POLITE_BLOCK:
		*state = PSIP_ST_ACTIVE;
		return 200;
	case PSIP_DEC_CONFIRM:
		*state = PSIP_ST_PENDING;
		return 200;
	case PSIP_DEC_BLOCK:
	default:
		*state = PSIP_ST_TERMINATED;
		*reason = "rejected";
		return block_policy == PSIP_BLOCK_TERMINATE ? 200 : 403;
	}
}

int
psip_status_from_rc(int rc)
{
	switch (rc) {
	case PRES_OK: return 200;
	case PRES_EINVAL: return 400;
	case PRES_ENOTFOUND: return 404;
	case PRES_EAUTH: return 403;
	case PRES_EPRECOND: return 412;
	case PRES_ETOOBIG: return 413;
	case PRES_EAGAIN: return 503;
	case PRES_ECONFLICT: return 409;
	default: return 500;
	}
}

int
psip_accept_admits(const sip_accept_t *ac, const char *type)
{
	size_t tl;
	const char *slash;

	if (ac == NULL)
		return 1;
	slash = strchr(type, '/');
	tl = slash ? (size_t)(slash - type) : strlen(type);
	for (; ac; ac = ac->ac_next) {
		const char *t = ac->ac_type;
		if (t == NULL)
			continue;
		if (strcmp(t, "*/*") == 0 || strcasecmp(t, type) == 0)
			return 1;
		if (slash && strlen(t) == tl + 2 && strncasecmp(t, type, tl) == 0 &&
		    t[tl] == '/' && t[tl + 1] == '*')
			return 1;
	}
	return 0;
}

int
psip_etag_new(char *buf, size_t size)
{
	uint8_t rnd[16];

	if (size < 2 * sizeof(rnd) + 1)
		return PRES_ETOOBIG;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return PRES_EIO;
	pres_hex(rnd, sizeof(rnd), buf);
	return PRES_OK;
}

int
psip_kv_get(const char *s, const char *key, char *out, size_t size)
{
	size_t kl = strlen(key);
	const char *line, *eol;

	if (s == NULL)
		return PRES_ENOTFOUND;
	for (line = s; *line; line = *eol ? eol + 1 : eol) {
		eol = strchr(line, '\n');
		if (eol == NULL)
			eol = line + strlen(line);
		if ((size_t)(eol - line) > kl && memcmp(line, key, kl) == 0 && line[kl] == '=') {
			size_t vl = (size_t)(eol - line - kl - 1);
			if (vl >= size)
				return PRES_ETOOBIG;
			memcpy(out, line + kl + 1, vl);
			out[vl] = '\0';
			return PRES_OK;
		}
	}
	return PRES_ENOTFOUND;
}
