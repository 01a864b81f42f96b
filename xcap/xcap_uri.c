/*
 * xcap_uri.c - strict XCAP URI parsing (RFC 4825 section 6): XCAP root,
 * AUID, users/<XUI> or global, document path, node selector after "/~~/",
 * and namespace bindings in the query (xmlns() XPointer parts).
 */
#include "xcap/xcap_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int xcap_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];
		size_t n;
		unsigned cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1; cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2; cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3; cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + n >= len)
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

static int hexv(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

char *xcap_pct_decode(const char *s, size_t len)
{
	char *out = malloc(len + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%') {
			int h, l;
			if (i + 2 >= len) {
				free(out);
				return NULL;
			}
			h = hexv((unsigned char)s[i + 1]);
			l = hexv((unsigned char)s[i + 2]);
			if (h < 0 || l < 0 || (h == 0 && l == 0)) {
				free(out);
				return NULL;
			}
			out[o++] = (char)(h << 4 | l);
			i += 2;
		} else if (s[i] == '\0') {
			free(out);
			return NULL;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	if (!xcap_utf8_valid(out, o)) {
		free(out);
		return NULL;
	}
	return out;
}

char *xcap_pct_encode(const char *s, size_t len)
{
	static const char keep[] = "-._~!$&'()*+,;=:@/";
	static const char hx[] = "0123456789ABCDEF";
	char *out = malloc(3 * len + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalnum(c) || (c && strchr(keep, c))) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hx[c >> 4];
			out[o++] = hx[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

/* ---- node selectors ----------------------------------------------------- */

static int ncname_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static int ncname_char(unsigned char c)
{
	return ncname_start(c) || isdigit(c) || c == '-' || c == '.';
}

/* Reads an NCName at *p; returns a malloc'd copy or NULL. */
static char *read_ncname(const char **p)
{
	const char *s = *p, *e = s;
	char *r;
	if (!ncname_start((unsigned char)*e))
		return NULL;
	while (ncname_char((unsigned char)*e))
		e++;
	if (!(r = strndup(s, (size_t)(e - s))))
		return NULL;
	*p = e;
	return r;
}

/* Reads a QName: *prefix is NULL when there is none. 0 or -1. */
static int read_qname(const char **p, char **prefix, char **local)
{
	char *a = read_ncname(p), *b;
	*prefix = *local = NULL;
	if (!a)
		return -1;
	if (**p == ':') {
		(*p)++;
		if (!(b = read_ncname(p))) {
			free(a);
			return -1;
		}
		*prefix = a;
		*local = b;
		return 0;
	}
	*local = a;
	return 0;
}

static const char *ns_lookup(const char *prefix, const struct xcap_nsb *nsb, size_t n)
{
	if (strcmp(prefix, "xml") == 0)
		return XCAP_XML_NS;
	for (size_t i = 0; i < n; i++)
		if (strcmp(nsb[i].prefix, prefix) == 0)
			return nsb[i].uri;
	return NULL;
}

/* Decodes the XML references in an AttValue body; NULL if malformed. */
static char *decode_refs(const char *s, size_t len)
{
	char *out = malloc(len * 1 + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '<') {
			free(out);
			return NULL;
		}
		if (s[i] != '&') {
			out[o++] = s[i];
			continue;
		}
		const char *semi = memchr(s + i, ';', len - i);
		size_t n = semi ? (size_t)(semi - (s + i)) + 1 : 0;
		const char *ent = s + i;
		if (!semi)
			goto bad;
		if (n == 4 && !memcmp(ent, "&lt;", 4)) out[o++] = '<';
		else if (n == 4 && !memcmp(ent, "&gt;", 4)) out[o++] = '>';
		else if (n == 5 && !memcmp(ent, "&amp;", 5)) out[o++] = '&';
		else if (n == 6 && !memcmp(ent, "&quot;", 6)) out[o++] = '"';
		else if (n == 6 && !memcmp(ent, "&apos;", 6)) out[o++] = '\'';
		else if (n >= 4 && ent[1] == '#') {
			unsigned long cp = 0;
			size_t k = 2;
			int hex = ent[2] == 'x';
			if (hex)
				k++;
			if (k >= n - 1)
				goto bad;
			for (; k < n - 1; k++) {
				int v = hex ? hexv((unsigned char)ent[k]) :
				    (isdigit((unsigned char)ent[k]) ? ent[k] - '0' : -1);
				if (v < 0 || cp > 0x10ffff)
					goto bad;
				cp = cp * (hex ? 16 : 10) + (unsigned long)v;
			}
			if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
				goto bad;
			/* the reference is at least as long as its UTF-8 encoding */
			if (cp < 0x80) {
				out[o++] = (char)cp;
			} else if (cp < 0x800) {
				out[o++] = (char)(0xc0 | cp >> 6);
				out[o++] = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				out[o++] = (char)(0xe0 | cp >> 12);
				out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				out[o++] = (char)(0x80 | (cp & 0x3f));
			} else {
				out[o++] = (char)(0xf0 | cp >> 18);
				out[o++] = (char)(0x80 | ((cp >> 12) & 0x3f));
				out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				out[o++] = (char)(0x80 | (cp & 0x3f));
			}
		} else {
			goto bad;
		}
		i += n - 1;
	}
	out[o] = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

char *xcap_att_decode(const char *buf, size_t len)
{
	if (memchr(buf, '"', len) || memchr(buf, '\0', len) || !xcap_utf8_valid(buf, len))
		return NULL;
	return decode_refs(buf, len);
}

void xcap_sel_free(struct xcap_sel *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->steps[i].name);
		free(s->steps[i].att_name);
		free(s->steps[i].att_value);
	}
	free(s->att_name);
	free(s->att_prefix);
	free(s->text);
	memset(s, 0, sizeof(*s));
}

/* Parses one step at *p (up to '/' or the end). 0 or 400. */
static int parse_step(const char **p, const char *default_ns, const struct xcap_nsb *nsb,
    size_t n_nsb, struct xcap_step *st)
{
	char *prefix = NULL, *local = NULL;
	const char *s = *p;

	if (*s == '*') {
		st->name = strdup("*");
		st->ns = NULL;
		s++;
	} else {
		if (read_qname(&s, &prefix, &local))
			return 400;
		st->name = local;
		if (prefix) {
			st->ns = ns_lookup(prefix, nsb, n_nsb);
			free(prefix);
			if (!st->ns)
				return 400;
		} else {
			st->ns = default_ns;
		}
	}
	if (!st->name)
		return 400;
	if (*s == '[' && isdigit((unsigned char)s[1])) {
		long long v = 0;
		s++;
		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (*s - '0');
			if (v > 1000000000LL)
				return 400;
			s++;
		}
		if (*s++ != ']' || v < 1)
			return 400;
		st->pos = (long)v;
	}
	if (s[0] == '[' && s[1] == '@') {
		char quote;
		const char *vs;
		s += 2;
		if (read_qname(&s, &prefix, &local))
			return 400;
		st->att_name = local;
		if (prefix) {
			st->att_ns = ns_lookup(prefix, nsb, n_nsb);
			free(prefix);
			if (!st->att_ns)
				return 400;
		}
		if (*s++ != '=')
			return 400;
		quote = *s++;
		if (quote != '"' && quote != '\'')
			return 400;
		vs = s;
		while (*s && *s != quote)
			s++;
		if (*s != quote)
			return 400;
		if (!(st->att_value = decode_refs(vs, (size_t)(s - vs))))
			return 400;
		s++;
		if (*s++ != ']')
			return 400;
	}
	if (*s && *s != '/')
		return 400;
	*p = s;
	return 0;
}

int xcap_sel_parse(const char *text, const char *default_ns, const struct xcap_nsb *nsb,
    size_t n_nsb, struct xcap_sel *s)
{
	const char *p;
	int rc;

	memset(s, 0, sizeof(*s));
	if (!(s->text = strdup(text)))
		return 500;
	p = s->text;
	if (*p == '\0' || *p == '/')
		return 400;
	for (;;) {
		if (*p == '@') {
			char *prefix = NULL, *local = NULL;
			if (s->n == 0)
				return 400;
			p++;
			if (read_qname(&p, &prefix, &local) || *p) {
				free(prefix);
				free(local);
				return 400;
			}
			s->att_name = local;
			s->att_prefix = prefix;
			if (prefix && !(s->att_ns = ns_lookup(prefix, nsb, n_nsb)))
				return 400;
			s->term = XCAP_TERM_ATTR;
			return 0;
		}
		if (strcmp(p, "namespace::*") == 0) {
			if (s->n == 0)
				return 400;
			s->term = XCAP_TERM_NS;
			return 0;
		}
		if (s->n >= XCAP_MAX_STEPS)
			return 400;
		rc = parse_step(&p, default_ns, nsb, n_nsb, &s->steps[s->n]);
		s->n++;
		if (rc)
			return rc;
		s->steps[s->n - 1].end = (size_t)(p - s->text);
		if (*p == '\0')
			return 0;
		p++; /* '/' */
		if (*p == '\0')
			return 400;
	}
}

/* ---- namespace bindings: xmlns(p=uri)xmlns(q=uri) ----------------------- */

static int parse_query(const char *q, struct xcap_uri *u)
{
	const char *p = q;

	while (*p) {
		const char *eq, *close;
		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		if (strncmp(p, "xmlns(", 6) != 0)
			return 400;
		p += 6;
		while (*p == ' ')
			p++;
		eq = strchr(p, '=');
		close = strchr(p, ')');
		if (!eq || !close || eq > close || u->n_nsb >= XCAP_MAX_NSB)
			return 400;
		{
			const char *pe = eq;
			while (pe > p && pe[-1] == ' ')
				pe--;
			char *prefix = strndup(p, (size_t)(pe - p));
			const char *us = eq + 1;
			while (*us == ' ')
				us++;
			const char *ue = close;
			while (ue > us && ue[-1] == ' ')
				ue--;
			char *uri = strndup(us, (size_t)(ue - us));
			const char *t = prefix;
			char *chk = prefix ? read_ncname(&t) : NULL;
			int bad = !prefix || !uri || !chk || *t || !*uri;
			free(chk);
			if (bad) {
				free(prefix);
				free(uri);
				return 400;
			}
			u->nsb[u->n_nsb].prefix = prefix;
			u->nsb[u->n_nsb].uri = uri;
			u->n_nsb++;
		}
		p = close + 1;
	}
	return 0;
}

/* ---- the URI -------------------------------------------------------------- */

void xcap_uri_free(struct xcap_uri *u)
{
	free(u->doc);
	free(u->raw_doc);
	free(u->raw_query);
	for (size_t i = 0; i < u->n_nsb; i++) {
		free(u->nsb[i].prefix);
		free(u->nsb[i].uri);
	}
	xcap_sel_free(&u->sel);
	memset(u, 0, sizeof(*u));
}

/* Decoded next segment of [*p, end) up to '/'; NULL on error. */
static char *next_seg(const char **p, const char *end, int *bad)
{
	const char *s = *p, *e = s;
	char *r;
	while (e < end && *e != '/')
		e++;
	r = xcap_pct_decode(s, (size_t)(e - s));
	if (!r)
		*bad = 1;
	*p = e < end ? e + 1 : e;
	return r;
}

int xcap_uri_parse(const char *root_path, const char *target, struct xcap_uri *u)
{
	const char *t = target, *path_end, *q, *sel, *p, *docstart;
	size_t rl = strlen(root_path);
	char *seg = NULL, *docraw = NULL;
	int bad = 0, rc;

	memset(u, 0, sizeof(*u));
	if (!t || !*t)
		return 400;
	if (!strncasecmp(t, "http://", 7) || !strncasecmp(t, "https://", 8)) {
		t = strstr(t, "//") + 2;
		t = strchr(t, '/');
		if (!t)
			return 404;
	}
	if (strchr(t, '#'))
		return 400;
	for (p = t; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return 400;
	q = strchr(t, '?');
	path_end = q ? q : t + strlen(t);
	while (rl > 0 && root_path[rl - 1] == '/')
		rl--;
	if ((size_t)(path_end - t) <= rl + 1 || strncmp(t, root_path, rl) != 0 || t[rl] != '/')
		return 404;
	p = t + rl + 1;
	/* split at the first "/~~/" of the raw path */
	sel = NULL;
	for (const char *s = p; s + 3 <= path_end; s++) {
		if (s[0] == '/' && s[1] == '~' && s[2] == '~' && (s + 3 == path_end || s[3] == '/')) {
			sel = s;
			break;
		}
	}
	const char *doc_end = sel ? sel : path_end;

	/* AUID */
	seg = next_seg(&p, doc_end, &bad);
	if (bad)
		return 400;
	u->au = xcap_au_find(seg);
	free(seg);
	if (!u->au)
		return 404;
	seg = next_seg(&p, doc_end, &bad);
	if (bad)
		return 400;
	if (strcmp(seg, "global") == 0) {
		u->global = 1;
	} else if (strcmp(seg, "users") == 0) {
		free(seg);
		seg = next_seg(&p, doc_end, &bad);
		if (bad)
			return 400;
		if (!*seg) {
			free(seg);
			return 404;
		}
		if (pres_uri_normalize(seg, u->xui, sizeof(u->xui)) == PRES_OK) {
			u->xui_ok = 1;
		} else {
			u->xui_ok = 0;
			if (pres_strlcpy(u->xui, seg, sizeof(u->xui)) != PRES_OK) {
				free(seg);
				return 400;
			}
		}
	} else {
		free(seg);
		return 404;
	}
	free(seg);
	seg = NULL;
	/* document path: one or more non-empty segments */
	docstart = p;
	if (docstart >= doc_end)
		return 404;
	{
		size_t cap = (size_t)(doc_end - docstart) + 1, o = 0;
		if (!(u->doc = malloc(cap)))
			return 500;
		while (p < doc_end) {
			seg = next_seg(&p, doc_end, &bad);
			if (bad)
				return 400;
			if (!*seg || strchr(seg, '/') || !strcmp(seg, ".") || !strcmp(seg, "..")) {
				int empty = !*seg;
				free(seg);
				return empty ? 404 : 400;
			}
			if (o)
				u->doc[o++] = '/';
			memcpy(u->doc + o, seg, strlen(seg));
			o += strlen(seg);
			free(seg);
			seg = NULL;
		}
		u->doc[o] = '\0';
		if (doc_end[-1] == '/')
			return 404;
	}
	docraw = strndup(t + rl + 1, (size_t)(doc_end - (t + rl + 1)));
	if (!docraw)
		return 500;
	u->raw_doc = docraw;
	if (q) {
		if (!(u->raw_query = strdup(q + 1)))
			return 500;
		char *dq = xcap_pct_decode(q + 1, strlen(q + 1));
		if (!dq)
			return 400;
		rc = parse_query(dq, u);
		free(dq);
		if (rc)
			return rc;
	}
	if (sel) {
		const char *ss = sel + 4;
		char *dsel;
		if (ss > path_end || ss == path_end)
			return 400;
		if (!(dsel = xcap_pct_decode(ss, (size_t)(path_end - ss))))
			return 400;
		u->has_sel = 1;
		rc = xcap_sel_parse(dsel, u->au->default_ns, u->nsb, u->n_nsb, &u->sel);
		free(dsel);
		if (rc)
			return rc;
	}
	return 0;
}
