/*
 * psip_publish.c - PUBLISH for the presence event (RFC 3903): initial,
 * refresh, modify and remove; entity tags; expiry timers; reload at start.
 * The documents live in the database (db_pub_*); the engine keeps only one
 * expiry timer per entity tag.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>

#include "presence/presence.h"
#include "sip/psip_int.h"

static struct psip_pub **
pub_slot(struct psip *p, const char *etag)
{
	struct psip_pub **pp = &p->pub_hash[psip_hash(etag) % PSIP_HASH_SIZE];

	for (; *pp; pp = &(*pp)->hnext)
		if (strcmp((*pp)->etag, etag) == 0)
			break;
	return pp;
}

static void
pub_forget(struct psip *p, const char *etag)
{
	struct psip_pub **pp = pub_slot(p, etag), *pub = *pp;

	if (pub == NULL)
		return;
	*pp = pub->hnext;
	su_timer_destroy(pub->timer);
	free(pub);
	PSIP_STAT(p, publications, -1);
}

static void pub_expired(void *magic, su_timer_t *t, void *arg);

static int
pub_arm(struct psip *p, const char *etag, const char *presentity, int64_t expires)
{
	struct psip_pub **pp = pub_slot(p, etag), *pub = *pp;
	int64_t ms = (expires - pres_now()) * 1000;

	if (pub == NULL) {
		pub = calloc(1, sizeof(*pub));
		if (pub == NULL)
			return PRES_ENOMEM;
		pub->p = p;
		pres_strlcpy(pub->etag, etag, sizeof(pub->etag));
		pres_strlcpy(pub->presentity, presentity, sizeof(pub->presentity));
		pub->timer = su_timer_create(su_root_task(p->root), 0);
		if (pub->timer == NULL) {
			free(pub);
			return PRES_ENOMEM;
		}
		*pp = pub;
		PSIP_STAT(p, publications, 1);
	}
	if (ms < 0)
		ms = 0;
	su_timer_set_interval(pub->timer, pub_expired, pub, (su_duration_t)ms);
	return PRES_OK;
}

static void
pub_expired(void *magic, su_timer_t *t, void *arg)
{
	struct psip_pub *pub = arg;
	struct psip *p = pub->p;
	struct db_pub dp;
	char presentity[DB_URI_MAX], etag[DB_ETAG_MAX];

	(void)magic;
	(void)t;
	pres_strlcpy(presentity, pub->presentity, sizeof(presentity));
	pres_strlcpy(etag, pub->etag, sizeof(etag));
	memset(&dp, 0, sizeof(dp));
	if (db_pub_get(p->db, etag, &dp) == PRES_OK && dp.expires > pres_now()) {
		/* refreshed meanwhile (another node): wait again */
		pub_arm(p, etag, presentity, dp.expires);
		db_pub_clear(&dp);
		return;
	}
	db_pub_clear(&dp);
	log_debug("sip: publication %s of %s expired", etag, presentity);
	psip_db_batch(p);
	db_pub_delete(p->db, etag);
	pub_forget(p, etag);
	psip_presentity_changed(p, presentity);
}

static int
load_one(const struct db_pub *dp, void *arg)
{
	struct psip *p = arg;

	if (strcmp(dp->event, "presence") != 0)
		return 0;
	if (dp->expires <= pres_now()) {
		/* deleted by db_pub_expire below */
		return 0;
	}
	pub_arm(p, dp->etag, dp->presentity, dp->expires);
	return 0;
}

int
psip_pubs_load(struct psip *p)
{
	int n = 0, rc;

	psip_db_batch(p);
	rc = db_pub_expire(p->db, pres_now(), &n);
	if (rc != PRES_OK)
		return rc;
	if (n > 0)
		log_info("sip: %d publications expired while stopped", n);
	return db_pub_foreach_all(p->db, load_one, p);
}

void
psip_pubs_free(struct psip *p)
{
	size_t i;

	for (i = 0; i < PSIP_HASH_SIZE; i++) {
		struct psip_pub *pub, *next;
		for (pub = p->pub_hash[i]; pub; pub = next) {
			next = pub->hnext;
			su_timer_destroy(pub->timer);
			free(pub);
		}
		p->pub_hash[i] = NULL;
	}
}

static int
reply(nta_incoming_t *irq, int status, const char *phrase)
{
	nta_incoming_treply(irq, status, phrase, TAG_END());
	nta_incoming_destroy(irq);
	return 0;
}

/* A PUBLISH whose change waits for the commit of its write batch. */
struct pub_reply {
	nta_incoming_t *irq;
	int changed;                  /* the document changed: NOTIFY the watchers */
	char etag[DB_ETAG_MAX];       /* "" for a removal */
	char expires[16];
	char presentity[DB_URI_MAX];
};

static void
pub_answer(struct psip *p, const struct pub_reply *r, int rc)
{
	if (rc != PRES_OK) {
		reply(r->irq, 500, "Storage failure");
		return;
	}
	nta_incoming_treply(r->irq, SIP_200_OK,
	    TAG_IF(r->etag[0], SIPTAG_ETAG_STR(r->etag)),
	    SIPTAG_EXPIRES_STR(r->expires), TAG_END());
	nta_incoming_destroy(r->irq);
	PSIP_STAT(p, publishes_ok, 1);
	if (r->changed)
		psip_presentity_changed(p, r->presentity);
}

static void
pub_committed(struct psip *p, void *arg, int rc)
{
	pub_answer(p, arg, rc);
	free(arg);
}

/* Answers 200 once the change is committed (a 2xx only for a committed
 * change); the watchers are told after the answer. */
static int
reply_committed(struct psip *p, nta_incoming_t *irq, const char *etag, unsigned expires,
    const char *presentity, int changed)
{
	struct pub_reply tmp, *r = malloc(sizeof(*r));

	if (r == NULL)
		r = &tmp;	/* out of memory: commit and answer now */
	r->irq = irq;
	r->changed = changed;
	pres_strlcpy(r->etag, etag ? etag : "", sizeof(r->etag));
	snprintf(r->expires, sizeof(r->expires), "%u", expires);
	pres_strlcpy(r->presentity, presentity, sizeof(r->presentity));
	if (r == &tmp)
		pub_answer(p, r, psip_db_flush(p));
	else
		psip_after_commit(p, pub_committed, r);
	return 0;
}

/* May @p who publish for @p sub's identities? */
static int
may_publish(const struct psip_who *who, const struct db_subscriber *sub)
{
	size_t i;

	if (who->impi[0] && strcmp(who->impi, sub->impi) == 0)
		return 1;
	if (who->uri[0] == '\0')
		return 0;
	for (i = 0; i < sub->n_impus; i++)
		if (pres_uri_equal(who->uri, sub->impus[i]))
			return 1;
	return 0;
}

int
psip_publish(struct psip *p, nta_incoming_t *irq, const sip_t *sip)
{
	char presentity[DB_URI_MAX], ruri[DB_URI_MAX * 2], minbuf[16];
	char etag[DB_ETAG_MAX], err[128];
	const char *body = NULL;
	size_t body_len = 0;
	unsigned expires;
	struct psip_who who;
	struct db_subscriber subr;
	struct db_pub old, np;
	int st, rc, have_old = 0;

	/* ---- checks, no side effects ---- */
	if (sip->sip_event == NULL ||
	    psip_event_kind(sip->sip_event->o_type) != PSIP_EV_PRESENCE) {
		nta_incoming_treply(irq, SIP_489_BAD_EVENT,
		    SIPTAG_ALLOW_EVENTS_STR("presence"), TAG_END());
		nta_incoming_destroy(irq);
		return 0;
	}
	if (url_e(ruri, sizeof(ruri), sip->sip_request->rq_url) < 0 ||
	    pres_uri_normalize(ruri, presentity, sizeof(presentity)) != PRES_OK)
		return reply(irq, SIP_416_UNSUPPORTED_URI);
	if (sip->sip_payload && sip->sip_payload->pl_len > 0) {
		body = sip->sip_payload->pl_data;
		body_len = sip->sip_payload->pl_len;
		if (body_len > p->max_body)
			return reply(irq, SIP_413_REQUEST_TOO_LARGE);
		if (sip->sip_content_type == NULL || sip->sip_content_type->c_type == NULL ||
		    strcasecmp(sip->sip_content_type->c_type, PSIP_CT_PIDF) != 0) {
			nta_incoming_treply(irq, SIP_415_UNSUPPORTED_MEDIA,
			    SIPTAG_ACCEPT_STR(PSIP_CT_PIDF), TAG_END());
			nta_incoming_destroy(irq);
			return 0;
		}
	}
	st = psip_expires_grant(sip->sip_expires != NULL,
	    sip->sip_expires ? sip->sip_expires->ex_delta : 0,
	    p->min_expires, p->max_expires, p->default_expires, &expires);
	if (st == 423) {
		snprintf(minbuf, sizeof(minbuf), "%u", p->min_expires);
		nta_incoming_treply(irq, SIP_423_INTERVAL_TOO_BRIEF,
		    SIPTAG_MIN_EXPIRES_STR(minbuf), TAG_END());
		nta_incoming_destroy(irq);
		return 0;
	}
	if (sip->sip_if_match == NULL && body == NULL)
		return reply(irq, 400, "Initial PUBLISH needs a body");
	if (sip->sip_if_match == NULL && expires == 0)
		return reply(irq, 400, "Expires 0 without SIP-If-Match");

	/* ---- who, and may they ---- */
	if ((st = psip_identify(p, irq, sip, &who)) != 0) {
		nta_incoming_destroy(irq);
		return 0;
	}
	/* the reads below then share the write batch's transaction (no
	 * transaction, and no file locking, of their own) */
	psip_db_batch(p);
	memset(&subr, 0, sizeof(subr));
	rc = db_subscriber_by_impu(p->db, presentity, &subr);
	if (rc == PRES_ENOTFOUND)
		return reply(irq, SIP_404_NOT_FOUND);
	if (rc != PRES_OK)
		return reply(irq, SIP_500_INTERNAL_SERVER_ERROR);
	st = may_publish(&who, &subr);
	db_subscriber_wipe(&subr);
	if (!st) {
		log_info("sip: %s may not publish for %s", who.uri[0] ? who.uri : "anonymous",
		    presentity);
		return reply(irq, SIP_403_FORBIDDEN);
	}
	if (body && (rc = pres_pidf_check(body, body_len, presentity, err, sizeof(err))) != PRES_OK) {
		log_info("sip: PUBLISH for %s: bad PIDF: %s", presentity, err);
		return reply(irq, 400, rc == PRES_EAUTH ? "Entity does not match" : "Bad PIDF document");
	}
	memset(&old, 0, sizeof(old));
	if (sip->sip_if_match) {
		const char *m = sip->sip_if_match->g_value;
		if (m == NULL || db_pub_get(p->db, m, &old) != PRES_OK) {
			db_pub_clear(&old);
			return reply(irq, SIP_412_PRECONDITION_FAILED);
		}
		have_old = 1;
		if (strcmp(old.presentity, presentity) != 0 || old.expires <= pres_now() ||
		    strcmp(old.event, "presence") != 0) {
			db_pub_clear(&old);
			return reply(irq, SIP_412_PRECONDITION_FAILED);
		}
	}

	/* ---- act ---- */
	if (have_old && expires == 0) {
		psip_db_batch(p);
		rc = db_pub_delete(p->db, old.etag);
		pub_forget(p, old.etag);
		db_pub_clear(&old);
		if (rc != PRES_OK)
			return reply(irq, SIP_500_INTERNAL_SERVER_ERROR);
		return reply_committed(p, irq, NULL, 0, presentity, 1);
	}
	if (psip_etag_new(etag, sizeof(etag)) != PRES_OK) {
		db_pub_clear(&old);
		return reply(irq, SIP_500_INTERNAL_SERVER_ERROR);
	}
	memset(&np, 0, sizeof(np));
	pres_strlcpy(np.etag, etag, sizeof(np.etag));
	pres_strlcpy(np.presentity, presentity, sizeof(np.presentity));
	pres_strlcpy(np.event, "presence", sizeof(np.event));
	pres_strlcpy(np.content_type, PSIP_CT_PIDF, sizeof(np.content_type));
	np.expires = pres_now() + expires;
	np.created = body || !have_old ? pres_now() : old.created;
	if (body) {
		np.body = (char *)(uintptr_t)body;	/* borrowed for the write only */
		np.body_len = body_len;
	} else {
		np.body = old.body;
		np.body_len = old.body_len;
	}
	psip_db_batch(p);
	rc = have_old ? db_pub_replace(p->db, old.etag, &np) : db_pub_put(p->db, &np);
	if (rc != PRES_OK) {
		db_pub_clear(&old);
		return reply(irq, rc == PRES_ENOTFOUND ? 412 : 500,
		    rc == PRES_ENOTFOUND ? "Conditional Request Failed" : "Storage failure");
	}
	if (have_old)
		pub_forget(p, old.etag);
	db_pub_clear(&old);
	pub_arm(p, etag, presentity, np.expires);
	return reply_committed(p, irq, etag, expires, presentity, body != NULL);
}
