/*
 * identity.c - identity rules of the Ut interface (TS 33.141 5.1.1, 6.1.3;
 * TS 24.109 B.3): the set of public identities an authenticated user may
 * act as, X-3GPP-Intended-Identity, and XUI ownership.
 *
 * No db/ dependency here (see cred_db.c), so users of these rules link
 * without the storage layer.
 */
#include "auth/auth.h"

#include <string.h>
#include <strings.h>

void auth_identity_init(struct auth_identity *id)
{
	if (id)
		memset(id, 0, sizeof(*id));
}

int auth_identity_add_impu(struct auth_identity *id, const char *uri)
{
	char n[AUTH_NAME_MAX];
	int rc;

	if (!id || !uri)
		return PRES_EINVAL;
	rc = pres_uri_normalize(uri, n, sizeof(n));
	if (rc)
		return rc == PRES_ETOOBIG ? PRES_ETOOBIG : PRES_EINVAL;
	for (size_t i = 0; i < id->n_impus; i++)
		if (strcmp(id->impus[i], n) == 0)
			return PRES_OK;
	if (id->n_impus >= AUTH_MAX_IMPUS)
		return PRES_ETOOBIG;
	memcpy(id->impus[id->n_impus++], n, strlen(n) + 1);
	return PRES_OK;
}

int auth_identity_has_impu(const struct auth_identity *id, const char *uri)
{
	char n[AUTH_NAME_MAX];

	if (!id || !uri || pres_uri_normalize(uri, n, sizeof(n)) != PRES_OK)
		return 0;
	for (size_t i = 0; i < id->n_impus && i < AUTH_MAX_IMPUS; i++)
		if (strcmp(id->impus[i], n) == 0)
			return 1;
	return 0;
}

int auth_may_access_xui(const struct auth_identity *id, const char *xui)
{
	return auth_identity_has_impu(id, xui);
}

int auth_identity_is_stale(const struct auth_identity *id, int64_t auth_not_before)
{
	if (!id)
		return 1;
	return auth_not_before > 0 && id->auth_time < auth_not_before;
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

int auth_intended_identity_parse(const char *value, char *out, size_t size)
{
	char buf[AUTH_NAME_MAX + 8];
	const char *s, *e;
	size_t o = 0;

	if (!value || !out || size == 0)
		return PRES_EINVAL;
	if (strnlen(value, AUTH_HEADER_MAX + 1) > AUTH_HEADER_MAX)
		return PRES_ETOOBIG;
	for (s = value; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return PRES_EINVAL;
	s = value;
	while (is_ows(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_ows(e[-1]))
		e--;
	if (s < e && *s == '"') {
		/* quoted-string: unescape, nothing may follow the closing quote */
		const char *p = s + 1;
		for (;;) {
			if (p >= e)
				return PRES_EINVAL;
			if (*p == '"')
				break;
			if (*p == '\\') {
				if (++p >= e)
					return PRES_EINVAL;
			}
			if (o + 1 >= sizeof(buf))
				return PRES_ETOOBIG;
			buf[o++] = *p++;
		}
		if (p + 1 != e)
			return PRES_EINVAL;
	} else {
		if ((size_t)(e - s) >= sizeof(buf))
			return PRES_ETOOBIG;
		memcpy(buf, s, (size_t)(e - s));
		o = (size_t)(e - s);
	}
	buf[o] = '\0';

	/* trim again, then strip one pair of <> */
	s = buf;
	while (is_ows(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_ows(e[-1]))
		e--;
	if (e > s && *s == '<') {
		if (e[-1] != '>')
			return PRES_EINVAL;
		s++;
		e--;
	}
	if (e <= s)
		return PRES_EINVAL;
	{
		char uri[AUTH_NAME_MAX + 8];
		size_t n = (size_t)(e - s);
		int has_scheme = (n >= 4 && (strncasecmp(s, "sip:", 4) == 0 ||
		    strncasecmp(s, "tel:", 4) == 0)) || (n >= 5 && strncasecmp(s, "sips:", 5) == 0);
		int rc;

		if (memchr(s, '<', n) || memchr(s, '>', n) || memchr(s, '"', n))
			return PRES_EINVAL;
		if (has_scheme) {
			if (n >= sizeof(uri))
				return PRES_ETOOBIG;
			memcpy(uri, s, n);
			uri[n] = '\0';
		} else {
			/* TS 24.109 example form "user@as1.home1.net" = sip:user@as1.home1.net */
			const char *at = memchr(s, '@', n);
			if (!at || memchr(s, ':', (size_t)(at - s)))
				return PRES_EINVAL;   /* another scheme, or user:password */
			if (n + 4 >= sizeof(uri))
				return PRES_ETOOBIG;
			memcpy(uri, "sip:", 4);
			memcpy(uri + 4, s, n);
			uri[n + 4] = '\0';
		}
		rc = pres_uri_normalize(uri, out, size);
		if (rc)
			return rc == PRES_ETOOBIG ? PRES_ETOOBIG : PRES_EINVAL;
	}
	return PRES_OK;
}

int auth_identity_select(const struct auth_identity *id, const char *intended,
    char *out, size_t size)
{
	char want[AUTH_NAME_MAX];
	const char *s = intended;
	int rc;

	if (!id || !out || size == 0)
		return PRES_EINVAL;
	while (s && is_ows(*s))
		s++;
	if (!s || *s == '\0') {
		if (id->n_impus == 0)
			return PRES_EAUTH;
		return pres_strlcpy(out, id->impus[0], size);
	}
	rc = auth_intended_identity_parse(s, want, sizeof(want));
	if (rc)
		return PRES_EINVAL;
	for (size_t i = 0; i < id->n_impus && i < AUTH_MAX_IMPUS; i++)
		if (strcmp(id->impus[i], want) == 0)
			return pres_strlcpy(out, id->impus[i], size);
	return PRES_EAUTH;
}
