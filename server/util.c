/* util.c - small helpers of the base layer. */
#include "pres.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *pres_strerror(int rc)
{
	switch (rc) {
	case PRES_OK: return "success";
	case PRES_ENOMEM: return "out of memory";
	case PRES_EINVAL: return "invalid input";
	case PRES_ENOTFOUND: return "not found";
	case PRES_ECONFLICT: return "conflict";
	case PRES_EAUTH: return "not authorized";
	case PRES_EDB: return "storage error";
	case PRES_EAGAIN: return "try again";
	case PRES_EEXIST: return "already exists";
	case PRES_EPRECOND: return "precondition failed";
	case PRES_ETOOBIG: return "too large";
	case PRES_EIO: return "I/O error";
	default: return "unknown error";
	}
}

int pres_ct_memcmp(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d != 0;
}

int pres_ct_streq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return 0;
	return pres_ct_memcmp(a, b, la) == 0;
}

int pres_parse_ll(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;
	if (!s || !*s)
		return PRES_EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return PRES_EINVAL;
	*out = v;
	return PRES_OK;
}

void pres_hex(const uint8_t *in, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int pres_unhex(const char *hex, uint8_t *out, size_t n)
{
	if (!hex || strlen(hex) != 2 * n)
		return PRES_EINVAL;
	for (size_t i = 0; i < n; i++) {
		int h = hexval(hex[2 * i]), l = hexval(hex[2 * i + 1]);
		if (h < 0 || l < 0)
			return PRES_EINVAL;
		out[i] = (uint8_t)(h << 4 | l);
	}
	return PRES_OK;
}

static int64_t clock_fixed;

void pres_clock_set(int64_t fixed_now) { clock_fixed = fixed_now; }

int64_t pres_now(void)
{
	if (clock_fixed)
		return clock_fixed;
	return (int64_t)time(NULL);
}

int64_t pres_now_ms(void)
{
	struct timespec ts;
	if (clock_fixed)
		return clock_fixed * 1000;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int pres_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);
	if (size == 0)
		return PRES_ETOOBIG;
	if (n >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return PRES_ETOOBIG;
	}
	memcpy(dst, src, n + 1);
	return PRES_OK;
}

#include <ctype.h>

int pres_uri_normalize(const char *in, char *out, size_t size)
{
	const char *s = in, *e;
	size_t o = 0;
	int tel;

	if (!in || size < 8)
		return PRES_EINVAL;
	while (*s == ' ' || *s == '\t')
		s++;
	if (strchr(s, '<')) {            /* name-addr: take what is inside <> */
		s = strchr(s, '<') + 1;
		e = strchr(s, '>');
		if (!e)
			return PRES_EINVAL;
	} else {
		e = s + strlen(s);
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
	}
	if ((size_t)(e - s) >= 5 && strncasecmp(s, "sips:", 5) == 0) {
		memcpy(out, "sips:", 5); o = 5; s += 5; tel = 0;
	} else if ((size_t)(e - s) >= 4 && strncasecmp(s, "sip:", 4) == 0) {
		memcpy(out, "sip:", 4); o = 4; s += 4; tel = 0;
	} else if ((size_t)(e - s) >= 4 && strncasecmp(s, "tel:", 4) == 0) {
		memcpy(out, "tel:", 4); o = 4; s += 4; tel = 1;
	} else {
		return PRES_EINVAL;
	}
	if (tel) {
		int digits = 0;
		for (; s < e && *s != ';' && *s != '?'; s++) {
			if (strchr("-.()", *s))
				continue;
			if (!(isdigit((unsigned char)*s) || (*s == '+' && digits == 0) ||
			    strchr("*#abcdefABCDEF", *s)))
				return PRES_EINVAL;
			digits++;
			if (o + 1 >= size)
				return PRES_ETOOBIG;
			out[o++] = (char)tolower((unsigned char)*s);
		}
		if (digits == 0 || (digits == 1 && out[o - 1] == '+'))
			return PRES_EINVAL;
	} else {
		const char *at = NULL, *p;
		for (p = s; p < e && *p != ';' && *p != '?'; p++)
			if (*p == '@')
				at = p;
		const char *hend = p;
		const char *host = at ? at + 1 : s;
		if (host >= hend)
			return PRES_EINVAL;
		if (at) {
			if (at == s)
				return PRES_EINVAL;
			for (p = s; p < at; p++) {   /* user part: case-sensitive */
				if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == '"')
					return PRES_EINVAL;
				if (o + 1 >= size)
					return PRES_ETOOBIG;
				out[o++] = *p;
			}
			if (o + 1 >= size)
				return PRES_ETOOBIG;
			out[o++] = '@';
		}
		for (p = host; p < hend; p++) {
			if (!(isalnum((unsigned char)*p) || strchr(".-:[]_", *p)))
				return PRES_EINVAL;
			if (o + 1 >= size)
				return PRES_ETOOBIG;
			out[o++] = (char)tolower((unsigned char)*p);
		}
	}
	out[o] = '\0';
	return PRES_OK;
}

int pres_addr_in(const char *addr, const char *const *list, size_t n)
{
	unsigned char a[16], b[16];
	int fa = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(fa, addr, a) != 1)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char net[64];
		long long bits = fa == AF_INET ? 32 : 128;
		const char *slash = strchr(list[i], '/');
		size_t l = slash ? (size_t)(slash - list[i]) : strlen(list[i]);
		if (l >= sizeof(net))
			continue;
		memcpy(net, list[i], l);
		net[l] = '\0';
		if (inet_pton(fa, net, b) != 1)
			continue;
		if (slash && pres_parse_ll(slash + 1, 0, fa == AF_INET ? 32 : 128, &bits))
			continue;
		size_t full = (size_t)bits / 8;
		unsigned rest = (unsigned)bits % 8;
		if (memcmp(a, b, full))
			continue;
		if (rest && ((a[full] ^ b[full]) & (0xff00 >> rest) & 0xff))
			continue;
		return 1;
	}
	return 0;
}

int pres_uri_equal(const char *a, const char *b)
{
	char na[512], nb[512];
	if (pres_uri_normalize(a, na, sizeof(na)) || pres_uri_normalize(b, nb, sizeof(nb)))
		return 0;
	return strcmp(na, nb) == 0;
}
