/*
 * psip_auth.c - who sent a SIP request (TS 24.141 §5.3, TS 24.229):
 * from a trusted peer (P-CSCF/S-CSCF) the P-Asserted-Identity; from anyone
 * else SIP Digest against the provisioned credentials (auth/ engine) or a
 * refusal, per configuration.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tagarg.h>

#include "sip/psip_int.h"

#include "auth/auth.h"

int
psip_auth_init(struct psip *p)
{
	struct auth_cfg cfg;

	if (p->untrusted_policy != PSIP_UNTRUSTED_CHALLENGE)
		return PRES_OK;
	memset(&cfg, 0, sizeof(cfg));
	cfg.realms[0] = p->realm;
	cfg.n_realms = 1;
	cfg.qops = AUTH_QOP_AUTH;
	cfg.algs = p->digest_algs ? p->digest_algs : (AUTH_ALG_SHA256 | AUTH_ALG_MD5);
	cfg.allow_no_qop = 1;	/* RFC 2069 style answers still seen from SIP UAs */
	p->digest = auth_new(&cfg);
	if (p->digest == NULL) {
		log_warnx("sip: cannot create the digest engine for realm %s", p->realm);
		return PRES_EINVAL;
	}
	return PRES_OK;
}

void
psip_auth_fini(struct psip *p)
{
	auth_free(p->digest);
	p->digest = NULL;
}

static int
from_trusted(struct psip *p, nta_incoming_t *irq)
{
	msg_t *msg;
	su_addrinfo_t *ai;
	int ok = 0;

	if (p->n_trusted == 0)
		return 0;
	msg = nta_incoming_getrequest(irq);
	if (msg == NULL)
		return 0;
	ai = msg_addrinfo(msg);
	if (ai && ai->ai_addr)
		ok = psip_net_match(p->trusted, p->n_trusted, ai->ai_addr);
	msg_destroy(msg);
	return ok;
}

static int
url_normalized(const url_t *u, char *out, size_t size)
{
	char buf[DB_URI_MAX * 2];

	if (u == NULL)
		return PRES_EINVAL;
	if (url_e(buf, sizeof(buf), u) < 0 || strlen(buf) >= sizeof(buf) - 1)
		return PRES_ETOOBIG;
	return pres_uri_normalize(buf, out, size);
}

static int
is_anonymous_from(const sip_t *sip)
{
	const url_t *u = sip->sip_from ? sip->sip_from->a_url : NULL;

	return u && u->url_host && strcasecmp(u->url_host, "anonymous.invalid") == 0;
}

static int
privacy_id(const sip_t *sip)
{
	const sip_privacy_t *pv = sip->sip_privacy;
	size_t i;

	if (pv == NULL || pv->priv_values == NULL)
		return 0;
	for (i = 0; pv->priv_values[i]; i++)
		if (strcasecmp(pv->priv_values[i], "id") == 0 ||
		    strcasecmp(pv->priv_values[i], "user") == 0)
			return 1;
	return 0;
}

/* P-Asserted-Identity: the SIP URI if present, else the tel URI. */
static int
asserted_identity(const sip_t *sip, char *out, size_t size)
{
	const sip_p_asserted_identity_t *pai = sip_p_asserted_identity(sip);
	const sip_p_asserted_identity_t *pick = NULL;

	for (; pai; pai = pai->paid_next) {
		if (pai->paid_url->url_type == url_sip || pai->paid_url->url_type == url_sips) {
			pick = pai;
			break;
		}
		if (pick == NULL)
			pick = pai;
	}
	if (pick == NULL)
		return PRES_ENOTFOUND;
	return url_normalized(pick->paid_url, out, size);
}

static int
challenge(struct psip *p, nta_incoming_t *irq, int stale)
{
	struct auth_challenges ch;
	const char *v[4] = { NULL, NULL, NULL, NULL };
	size_t i;

	if (auth_digest_challenge(p->digest, p->realm, stale, &ch) != PRES_OK) {
		nta_incoming_treply(irq, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
		return 500;
	}
	for (i = 0; i < ch.n && i < 4; i++)
		v[i] = ch.v[i];
	nta_incoming_treply(irq, SIP_401_UNAUTHORIZED,
	    TAG_IF(v[0], SIPTAG_WWW_AUTHENTICATE_STR(v[0])),
	    TAG_IF(v[1], SIPTAG_WWW_AUTHENTICATE_STR(v[1])),
	    TAG_IF(v[2], SIPTAG_WWW_AUTHENTICATE_STR(v[2])),
	    TAG_IF(v[3], SIPTAG_WWW_AUTHENTICATE_STR(v[3])),
	    TAG_END());
	return 401;
}

/* The Authorization value rebuilt from its parsed parameters (sofia's own
 * encoder drops parameters past a fixed count). */
static char *
authz_value(su_home_t *home, const sip_authorization_t *au)
{
	size_t i, len, n = 0;
	char *out;

	if (au->au_scheme == NULL)
		return NULL;
	len = strlen(au->au_scheme) + 2;
	for (i = 0; au->au_params && au->au_params[i]; i++)
		len += strlen(au->au_params[i]) + 2;
	out = su_alloc(home, len);
	if (out == NULL)
		return NULL;
	n = (size_t)snprintf(out, len, "%s ", au->au_scheme);
	for (i = 0; au->au_params && au->au_params[i] && n < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%s", i ? ", " : "", au->au_params[i]);
	return out;
}

static int
digest_identify(struct psip *p, nta_incoming_t *irq, const sip_t *sip,
    struct psip_who *who)
{
	struct auth_http_req rq;
	struct auth_result res;
	struct auth_db_source src;
	su_home_t home[1] = { SU_HOME_INIT(home) };
	char *authz = NULL, *ruri;
	char from[DB_URI_MAX];
	int rc, status;

	if (sip->sip_authorization == NULL)
		return challenge(p, irq, 0);
	authz = authz_value(home, sip->sip_authorization);
	ruri = url_as_string(home, sip->sip_request->rq_url);
	if (authz == NULL || ruri == NULL) {
		su_home_deinit(home);
		nta_incoming_treply(irq, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
		return 500;
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = sip->sip_request->rq_method_name;
	rq.uri = ruri;
	rq.authorization = authz;
	if (sip->sip_payload) {
		rq.body = (const uint8_t *)sip->sip_payload->pl_data;
		rq.body_len = sip->sip_payload->pl_len;
	}
	src.db = p->db;
	src.allow_impu_username = 1;
	memset(&res, 0, sizeof(res));
	rc = auth_digest_verify(p->digest, &rq, auth_db_cred_cb, &src, &res);
	su_home_deinit(home);
	if (rc == PRES_OK) {
		/* acts as its From identity when that is one of its IMPUs */
		if (url_normalized(sip->sip_from->a_url, from, sizeof(from)) == 0 &&
		    auth_identity_has_impu(&res.who, from))
			pres_strlcpy(who->uri, from, sizeof(who->uri));
		else if (res.who.n_impus > 0)
			pres_strlcpy(who->uri, res.who.impus[0], sizeof(who->uri));
		else {
			auth_result_wipe(&res);
			nta_incoming_treply(irq, SIP_403_FORBIDDEN, TAG_END());
			return 403;
		}
		pres_strlcpy(who->impi, res.who.impi, sizeof(who->impi));
		auth_result_wipe(&res);
		return 0;
	}
	if (rc == PRES_EAUTH) {
		status = auth_reason_status(res.reason);
		log_info("sip: digest for %s failed: %s", rq.method, auth_reason_str(res.reason));
		auth_result_wipe(&res);
		if (status == 401)
			return challenge(p, irq, res.reason == AUTH_R_STALE || res.reason == AUTH_R_REPLAY);
		if (status == 400) {
			nta_incoming_treply(irq, SIP_400_BAD_REQUEST, TAG_END());
			return 400;
		}
	}
	auth_result_wipe(&res);
	nta_incoming_treply(irq, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
	return 500;
}

int
psip_identify(struct psip *p, nta_incoming_t *irq, const sip_t *sip, struct psip_who *who)
{
	memset(who, 0, sizeof(*who));
	who->anonymous = is_anonymous_from(sip);
	if (from_trusted(p, irq)) {
		who->trusted = 1;
		if (asserted_identity(sip, who->uri, sizeof(who->uri)) != PRES_OK &&
		    url_normalized(sip->sip_from ? sip->sip_from->a_url : NULL,
		    who->uri, sizeof(who->uri)) != PRES_OK) {
			if (!who->anonymous) {
				nta_incoming_treply(irq, SIP_400_BAD_REQUEST, TAG_END());
				return 400;
			}
		}
		if (privacy_id(sip))
			who->anonymous = 1;
		return 0;
	}
	/* not trusted: P-Asserted-Identity is ignored (RFC 3325 §5) */
	if (p->untrusted_policy == PSIP_UNTRUSTED_CHALLENGE && p->digest) {
		int st = digest_identify(p, irq, sip, who);
		if (st == 0 && privacy_id(sip))
			who->anonymous = 1;
		return st;
	}
	nta_incoming_treply(irq, SIP_403_FORBIDDEN, TAG_END());
	return 403;
}
