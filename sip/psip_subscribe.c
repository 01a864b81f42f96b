/*
 * psip_subscribe.c - SUBSCRIBE/NOTIFY (RFC 6665) for "presence" (RFC 3856)
 * and "presence.winfo" (RFC 3857/3858): dialogs, expiry timers,
 * authorization by pres-rules, watcher information, persistence of every
 * subscription (dialog included) and reload at start.
 *
 * Dialogs are our own (struct psip_dialog, stored with the subscription),
 * not nta legs: a NOTIFY is built from them (request URI, Route, Call-ID,
 * From, To, CSeq) and sent with nta_outgoing_mcreate(); an in-dialog
 * SUBSCRIBE reaches the default leg and is matched here by its dialog id
 * (Call-ID and our tag) and the watcher's tag. Expiries are one binary heap
 * with one su_timer for the earliest (docs/sip.md "Scale").
 *
 * Invariants: one subscription per dialog; at most one NOTIFY in flight per
 * subscription (later changes set `dirty` and are sent when it completes);
 * a terminated subscription is freed once its last NOTIFY completes.
 */
#include "config.h"

#include "sip/psip_int.h"	/* first: it sets sofia's magic types */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>

#define CSEQ_RESERVE 64

static void sub_notify(struct psip_sub *s, struct psip_round *r);
static void winfo_changed(struct psip *p, struct psip_sub *changed);
static int on_dialog_request(struct psip_sub *s, nta_incoming_t *irq, const sip_t *sip);
static void heap_del(struct psip_sub *s);

/* The strings of @p s in one exact-size allocation. */
static int
sub_strings(struct psip_sub *s, const char *id, const char *presentity,
    const char *watcher, const char *event_id)
{
	size_t li = strlen(id) + 1, lp = strlen(presentity) + 1, lw = strlen(watcher) + 1;
	size_t le = strlen(event_id) + 1;
	char *b = malloc(li + lp + lw + le);

	if (b == NULL)
		return PRES_ENOMEM;
	memcpy(b, id, li);
	memcpy(b + li, presentity, lp);
	memcpy(b + li + lp, watcher, lw);
	memcpy(b + li + lp + lw, event_id, le);
	free(s->strs);
	s->strs = b;
	s->id = b;
	s->presentity = b + li;
	s->watcher = b + li + lp;
	s->event_id = b + li + lp + lw;
	return PRES_OK;
}

static struct psip_sub *
sub_find(struct psip *p, const char *id)
{
	struct psip_sub *s;

	for (s = p->sub_hash[psip_hash(id) % PSIP_SUB_HASH_SIZE]; s; s = s->hnext)
		if (strcmp(s->id, id) == 0)
			return s;
	return NULL;
}

/* ---- index ---------------------------------------------------------------- */

static void
sub_link(struct psip *p, struct psip_sub *s)
{
	uint32_t h = psip_hash(s->id) % PSIP_SUB_HASH_SIZE;

	s->hnext = p->sub_hash[h];
	p->sub_hash[h] = s;
	s->linked = 1;
	s->pres = psip_pres_get(p, s->presentity, 1);
	if (s->pres) {
		s->pnext = s->pres->subs;
		if (s->pnext)
			s->pnext->pprev = &s->pnext;
		s->pprev = &s->pres->subs;
		s->pres->subs = s;
		if (s->event == PSIP_EV_WINFO)
			s->pres->n_winfo++;
	}
	if (s->event == PSIP_EV_WINFO)
		PSIP_STAT(p, winfo_subscriptions, 1);
	else {
		PSIP_STAT(p, subscriptions, 1);
		if (s->state == PSIP_ST_PENDING)
			PSIP_STAT(p, pending_subscriptions, 1);
	}
}

/* Out of the presentity's list: no more NOTIFY rounds or winfo entries.
 * The subscription stays in the id hash until sub_free(). */
static void
sub_unlink_pres(struct psip_sub *s)
{
	if (s->pres && s->pprev) {
		*s->pprev = s->pnext;
		if (s->pnext)
			s->pnext->pprev = s->pprev;
		if (s->event == PSIP_EV_WINFO && s->pres->n_winfo > 0)
			s->pres->n_winfo--;
	}
	s->pres = NULL;
	s->pnext = NULL;
	s->pprev = NULL;
}

static void
set_state(struct psip_sub *s, enum psip_state st)
{
	if (s->event == PSIP_EV_PRESENCE && s->state != st) {
		if (s->state == PSIP_ST_PENDING)
			PSIP_STAT(s->p, pending_subscriptions, -1);
		if (st == PSIP_ST_PENDING)
			PSIP_STAT(s->p, pending_subscriptions, 1);
	}
	s->state = st;
}

static void
sub_free(struct psip_sub *s)
{
	struct psip *p = s->p;

	struct psip_sub **pp;

	sub_unlink_pres(s);
	heap_del(s);
	if (s->linked) {
		for (pp = &p->sub_hash[psip_hash(s->id) % PSIP_SUB_HASH_SIZE]; *pp;
		    pp = &(*pp)->hnext)
			if (*pp == s) {
				*pp = s->hnext;
				break;
			}
	} else {
		/* never counted */
		psip_ext_free(s);
		psip_dialog_clear(&s->dlg);
		free(s->strs);
		free(s);
		return;
	}
	if (s->event == PSIP_EV_WINFO)
		PSIP_STAT(p, winfo_subscriptions, -1);
	else {
		PSIP_STAT(p, subscriptions, -1);
		if (s->state == PSIP_ST_PENDING)
			PSIP_STAT(p, pending_subscriptions, -1);
	}
	if (s->orq)
		nta_outgoing_destroy(s->orq);
	psip_winfo_clear(s);
	psip_ext_free(s);
	psip_dialog_clear(&s->dlg);
	free(s->strs);
	free(s);
}

/* ---- persistence ------------------------------------------------------------ */

static int
sub_save(struct psip_sub *s)
{
	struct db_sub ds;
	char extra[256], *xextra = NULL, *xall = NULL;
	int rc;

	memset(&ds, 0, sizeof(ds));
	pres_strlcpy(ds.id, s->id, sizeof(ds.id));
	pres_strlcpy(ds.presentity, s->presentity, sizeof(ds.presentity));
	pres_strlcpy(ds.watcher, s->watcher, sizeof(ds.watcher));
	pres_strlcpy(ds.event, psip_event_name((enum psip_event)s->event), sizeof(ds.event));
	pres_strlcpy(ds.state, psip_state_name((enum psip_state)s->state), sizeof(ds.state));
	pres_strlcpy(ds.reason, s->reason, sizeof(ds.reason));
	ds.expires = s->expires;
	ds.created = s->created;
	s->dlg.local_cseq = s->cseq_reserved;
	if ((rc = psip_dialog_serialize(&s->dlg, &ds.dialog)) != PRES_OK)
		return rc;
	snprintf(extra, sizeof(extra), "anon=%d\nevid=%s\nwinfo_event=%s\nwinfo_version=%u\n",
	    s->anonymous, s->event_id, s->winfo_event, (unsigned)s->winfo_version);
	ds.extra = extra;
	if (s->ext && (xextra = psip_ext_save(s->ext)) != NULL) {
		size_t n = strlen(extra) + strlen(xextra) + 1;
		if ((xall = malloc(n)) != NULL) {
			snprintf(xall, n, "%s%s", extra, xextra);
			ds.extra = xall;
		}
	}
	psip_db_batch(s->p);
	rc = db_sub_put(s->p->db, &ds);
	free(xextra);
	free(xall);
	free(ds.dialog);
	if (rc != PRES_OK)
		log_warnx("sip: cannot store subscription %s: %s", s->id, pres_strerror(rc));
	return rc;
}

/* ---- timers --------------------------------------------------------------- */

/* Expiries: a binary min-heap of subscriptions on `expires` (heap_idx is
 * the position + 1) and one su_timer armed for the top. O(log n) per
 * change, no allocation per subscription, and a single timer in sofia's
 * queue whatever the number of subscriptions. */

static void sub_terminate(struct psip_sub *s, const char *reason, int notify);

static void
heap_put(struct psip *p, size_t i, struct psip_sub *s)
{
	p->sub_heap[i] = s;
	s->heap_idx = (uint32_t)(i + 1);
}

static void
heap_up(struct psip *p, size_t i)
{
	struct psip_sub *s = p->sub_heap[i];

	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (p->sub_heap[up]->expires <= s->expires)
			break;
		heap_put(p, i, p->sub_heap[up]);
		i = up;
	}
	heap_put(p, i, s);
}

static void
heap_down(struct psip *p, size_t i)
{
	struct psip_sub *s = p->sub_heap[i];
	size_t n = p->n_sub_heap;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && p->sub_heap[c + 1]->expires < p->sub_heap[c]->expires)
			c++;
		if (s->expires <= p->sub_heap[c]->expires)
			break;
		heap_put(p, i, p->sub_heap[c]);
		i = c;
	}
	heap_put(p, i, s);
}

static void
heap_del(struct psip_sub *s)
{
	struct psip *p = s->p;
	struct psip_sub *last;
	size_t i;

	if (s->heap_idx == 0)
		return;
	i = s->heap_idx - 1;
	s->heap_idx = 0;
	p->n_sub_heap--;
	if (i == p->n_sub_heap)
		return;
	last = p->sub_heap[p->n_sub_heap];
	heap_put(p, i, last);
	heap_up(p, i);
	heap_down(p, last->heap_idx - 1);
}

static void heap_fire(void *magic, su_timer_t *t, void *arg);

/* Arms the engine's timer for the earliest expiry (if that changed). */
static void
heap_timer(struct psip *p)
{
	int64_t at, now, ms;

	if (p->n_sub_heap == 0 || p->root == NULL) {
		if (p->sub_timer && p->sub_timer_at)
			su_timer_reset(p->sub_timer);
		p->sub_timer_at = 0;
		return;
	}
	at = p->sub_heap[0]->expires;
	if (p->sub_timer_at && p->sub_timer_at <= at)
		return;	/* fires no later than needed: heap_fire re-arms */
	if (p->sub_timer == NULL &&
	    (p->sub_timer = su_timer_create(su_root_task(p->root), 0)) == NULL) {
		log_warnx("sip: cannot create the subscription timer");
		return;
	}
	now = pres_now();
	ms = at > now ? (at - now) * 1000 : 0;
	if (su_timer_set_interval(p->sub_timer, heap_fire, p, (su_duration_t)ms) == 0)
		p->sub_timer_at = at;
}

static void
heap_fire(void *magic, su_timer_t *t, void *arg)
{
	struct psip *p = arg;
	int64_t now = pres_now();

	(void)magic;
	(void)t;
	p->sub_timer_at = 0;
	while (p->n_sub_heap > 0 && p->sub_heap[0]->expires <= now) {
		struct psip_sub *s = p->sub_heap[0];
		heap_del(s);
		if (s->state == PSIP_ST_TERMINATED)
			continue;
		log_debug("sip: subscription %s expired", s->id);
		sub_terminate(s, "timeout", 1);
	}
	heap_timer(p);
}

/* (Re)schedules the expiry of @p s at s->expires. */
static int
sub_arm(struct psip_sub *s)
{
	struct psip *p = s->p;

	if (s->heap_idx == 0) {
		if (p->n_sub_heap == p->cap_sub_heap) {
			size_t ncap = p->cap_sub_heap ? p->cap_sub_heap * 2 : 1024;
			struct psip_sub **nh = realloc(p->sub_heap, ncap * sizeof(*nh));
			if (nh == NULL)
				return PRES_ENOMEM;
			p->sub_heap = nh;
			p->cap_sub_heap = ncap;
		}
		heap_put(p, p->n_sub_heap++, s);
		heap_up(p, s->heap_idx - 1);
	} else {
		size_t i = s->heap_idx - 1;
		heap_up(p, i);
		heap_down(p, s->heap_idx - 1);
	}
	heap_timer(p);
	return PRES_OK;
}

/* ---- NOTIFY ----------------------------------------------------------------- */

static int
notify_fail_ends(const struct psip *p, int status)
{
	if (status == 481)
		return 1;
	if (p->notify_fail_policy == PSIP_NOTIFY_FAIL_481_ONLY)
		return 0;
	/* RFC 6665 §4.2.2: 481 ends it; a timeout or a rejection also does,
	 * except answers that only ask to retry later */
	return status >= 300 && status != 491 && status != 503 && status != 423;
}

static int
notify_response(void *magic, nta_outgoing_t *orq, const sip_t *sip)
{
	struct psip_sub *s = magic;
	struct psip *p = s->p;
	int status = nta_outgoing_status(orq);

	(void)sip;
	if (status < 200)
		return 0;
	nta_outgoing_destroy(orq);
	s->orq = NULL;
	if (status >= 300) {
		PSIP_STAT(p, notifies_failed, 1);
		if (s->state != PSIP_ST_TERMINATED && notify_fail_ends(p, status)) {
			log_info("sip: NOTIFY for %s answered %d: subscription ends", s->id, status);
			s->dirty = 0;
			sub_terminate(s, status == 481 ? "noresource" : "giveup", 0);
			return 0;
		}
	}
	if (s->dirty && (s->state != PSIP_ST_TERMINATED || s->dead == 1)) {
		s->dirty = 0;
		sub_notify(s, NULL);
		return 0;
	}
	if (s->state == PSIP_ST_TERMINATED)
		sub_free(s);
	return 0;
}

/*
 * A NOTIFY in the dialog of @p s (RFC 3261 §12.2.1.1): request URI and
 * Route from the remote target and the route set (loose or strict
 * routing), Call-ID, From (our address and tag), To (the watcher's),
 * CSeq @p cseq, Event @p ev, Subscription-State @p ss, our Contact, and
 * the body (@p ctype, @p body, NULL none) with Require @p require (NULL
 * none). The message is parsed from the dialog's strings here: nothing of
 * it stays in memory between NOTIFYs.
 */
static nta_outgoing_t *
notify_create(struct psip_sub *s, uint32_t cseq, const char *ev, const char *ss,
    const char *ctype, const char *body, const char *require)
{
	struct psip *p = s->p;
	msg_t *msg = nta_msg_create(p->agent, 0);
	sip_t *sip = sip_object(msg);
	su_home_t *home = msg_home(msg);
	sip_route_t *route = NULL;
	url_t *ruri;
	const url_string_t *route_url = NULL;
	nta_outgoing_t *orq = NULL;

	if (msg == NULL)
		return NULL;
	ruri = url_hdup(home, URL_STRING_MAKE(s->dlg.target)->us_url);
	if (ruri == NULL)
		goto fail;
	if (s->dlg.route) {
		/* the Record-Route of the SUBSCRIBE, in its order */
		route = sip_route_make(home, s->dlg.route);
		if (route == NULL)
			goto fail;
		if (url_has_param(route->r_url, "lr")) {
			route_url = (const url_string_t *)route->r_url;
		} else {
			/* strict router: it becomes the request URI, the remote
			 * target the last Route */
			sip_route_t *t = sip_route_create(home, ruri, NULL), **last;
			url_t *first = route->r_url;
			if (t == NULL)
				goto fail;
			route = route->r_next;
			for (last = &route; *last; last = &(*last)->r_next)
				;
			*last = t;
			ruri = url_hdup(home, first);
			if (ruri == NULL)
				goto fail;
			url_strip_transport(ruri);
		}
	}
	if (sip_add_tl(msg, sip,
	    SIPTAG_REQUEST(sip_request_create(home, SIP_METHOD_NOTIFY,
	        (url_string_t *)ruri, NULL)),
	    TAG_IF(route != NULL, SIPTAG_ROUTE(route)),
	    SIPTAG_CALL_ID_STR(s->dlg.call_id),
	    SIPTAG_FROM_STR(s->dlg.local),
	    SIPTAG_TO_STR(s->dlg.remote),
	    SIPTAG_CSEQ(sip_cseq_create(home, cseq, SIP_METHOD_NOTIFY)),
	    SIPTAG_EVENT_STR(ev),
	    SIPTAG_SUBSCRIPTION_STATE_STR(ss),
	    SIPTAG_CONTACT_STR(s->dlg.contact ? s->dlg.contact : p->contact),
	    TAG_IF(body != NULL, SIPTAG_CONTENT_TYPE_STR(ctype)),
	    TAG_IF(body != NULL, SIPTAG_PAYLOAD_STR(body)),
	    TAG_IF(require != NULL, SIPTAG_REQUIRE_STR(require)),
	    TAG_END()) < 0 || sip->sip_request == NULL || sip->sip_cseq == NULL ||
	    sip->sip_from == NULL || sip->sip_to == NULL || sip->sip_call_id == NULL)
		goto fail;
	orq = nta_outgoing_mcreate(p->agent, notify_response, s, route_url, msg, TAG_END());
	if (orq == NULL)
		goto fail;
	return orq;
fail:
	msg_destroy(msg);
	return NULL;
}

/* Sends the NOTIFY that reflects the current state (or queues it). */
static void
sub_notify(struct psip_sub *s, struct psip_round *round)
{
	struct psip *p = s->p;
	char ss[96], ev[96], *owned = NULL;
	const char *body = NULL, *ctype = NULL;
	struct psip_ext_body xb = { NULL, NULL, NULL };
	struct psip_round *own = NULL;
	int64_t now = pres_now();
	unsigned left = s->expires > now ? (unsigned)(s->expires - now) : 0;
	uint32_t cseq;

	if (s->orq || s->held) {
		s->dirty = 1;
		return;
	}
	if (s->dlg.call_id == NULL)
		return;
	if (s->ext && psip_ext_notify_body(s, round, &xb)) {
		body = xb.body;
		ctype = xb.ctype;
	} else if (s->event == PSIP_EV_WINFO) {
		if (s->state == PSIP_ST_ACTIVE) {
			int full = s->winfo_full || s->wq == NULL;
			owned = psip_body_winfo(p, s, full);
			if (owned && full)
				s->winfo_full = 0;
			body = owned;
			ctype = PSIP_CT_WINFO;
		}
	} else if (s->state == PSIP_ST_ACTIVE ||
	    (s->state == PSIP_ST_TERMINATED && strcmp(s->reason, "timeout") == 0 &&
	    (s->decision == PSIP_DEC_ALLOW || s->decision == PSIP_DEC_POLITE_BLOCK))) {
		if (round == NULL)
			round = own = psip_round_new(p, s->presentity);
		if (round)
			body = psip_round_body(round, s);
		if (body)
			ctype = PSIP_CT_PIDF;
	}
	psip_substate_format((enum psip_state)s->state, left, s->reason, ss, sizeof(ss));
	if (s->event_id[0])
		snprintf(ev, sizeof(ev), "%s;id=%s", psip_event_name((enum psip_event)s->event),
		    s->event_id);
	else
		pres_strlcpy(ev, psip_event_name((enum psip_event)s->event), sizeof(ev));
	cseq = s->cseq + 1;
	s->orq = notify_create(s, cseq, ev, ss, ctype, body, xb.require);
	psip_round_free(own);
	free(owned);
	free(xb.body);
	free(xb.ctype);
	if (s->state == PSIP_ST_TERMINATED)
		s->dead = 2;	/* the final NOTIFY is out */
	if (s->orq == NULL) {
		log_warnx("sip: cannot send NOTIFY for %s", s->id);
		PSIP_STAT(p, notifies_failed, 1);
		if (s->state == PSIP_ST_TERMINATED)
			sub_free(s);
		return;
	}
	PSIP_STAT(p, notifies_sent, 1);
	s->cseq = cseq;
	if (s->state != PSIP_ST_TERMINATED && cseq + 1 >= s->cseq_reserved) {
		s->cseq_reserved = cseq + CSEQ_RESERVE;
		sub_save(s);
	}
}

/* Ends a subscription: db row removed, watchers of winfo told, final
 * NOTIFY (if @p notify) and freed when that completes. */
static void
sub_terminate(struct psip_sub *s, const char *reason, int notify)
{
	struct psip *p = s->p;

	set_state(s, PSIP_ST_TERMINATED);
	pres_strlcpy(s->reason, reason, sizeof(s->reason));
	s->dead = 1;
	heap_del(s);
	psip_db_batch(p);
	db_sub_delete(p->db, s->id);
	if (s->event == PSIP_EV_PRESENCE) {
		pres_strlcpy(s->winfo_event, reason, sizeof(s->winfo_event));
		winfo_changed(p, s);
	}
	/* out of the indexes now: a new SUBSCRIBE cannot find it */
	sub_unlink_pres(s);
	if (notify)
		sub_notify(s, NULL);
	else if (s->orq == NULL)
		sub_free(s);
}

/* A presence watcher changed: partial-state NOTIFY to every winfo watcher
 * (queued while one of theirs is in flight). */
static void
winfo_changed(struct psip *p, struct psip_sub *changed)
{
	struct psip_pres *pr = changed->pres ? changed->pres :
	    psip_pres_get(p, changed->presentity, 0);
	struct psip_sub *w, *next;

	if (pr == NULL || pr->n_winfo == 0)
		return;
	for (w = pr->subs; w; w = next) {
		next = w->pnext;
		if (w->event != PSIP_EV_WINFO || w->state != PSIP_ST_ACTIVE || w->dlg.call_id == NULL)
			continue;
		if (psip_winfo_queue(w, changed) != PRES_OK)
			w->winfo_full = 1;
		sub_notify(w, NULL);
	}
}

/* ---- dialogs ---------------------------------------------------------------- */

static char *
hdr_str(su_home_t *home, const void *h)
{
	char *s = h ? sip_header_as_string(home, (const sip_header_t *)h) : NULL;
	char *r = s ? strdup(s) : NULL;

	return r;
}

/* Record-Route as received, comma-joined (NULL when absent). */
static char *
route_str(su_home_t *home, const sip_record_route_t *rr)
{
	char *out = NULL;
	size_t len = 0;

	for (; rr; rr = rr->r_next) {
		char *one = sip_header_as_string(home, (const sip_header_t *)rr);
		size_t ol;
		char *n;
		if (one == NULL)
			continue;
		ol = strlen(one);
		n = realloc(out, len + ol + 2);
		if (n == NULL) {
			free(out);
			return NULL;
		}
		out = n;
		if (len)
			out[len++] = ',';
		memcpy(out + len, one, ol + 1);
		len += ol;
	}
	return out;
}

/* Checks a stored dialog (reload): our tag, the watcher's address, the
 * remote target and the route set must parse, as every NOTIFY parses them. */
static int
dialog_check(const struct psip_dialog *d)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sip_from_t *local = sip_from_make(home, d->local);
	sip_to_t *remote = sip_to_make(home, d->remote);
	url_t *target = url_hdup(home, URL_STRING_MAKE(d->target)->us_url);
	sip_route_t *rr = d->route ? sip_route_make(home, d->route) : NULL;
	int rc = PRES_OK;

	if (!local || !local->a_tag || !remote || !target || target->url_type == url_any ||
	    (d->route && !rr))
		rc = PRES_EINVAL;
	su_home_deinit(home);
	return rc;
}

/* "<Call-ID>;<our tag>" (the Call-ID cut so that it fits DB_ID_MAX). */
static void
dialog_id(char *buf, size_t size, const char *call_id, const char *tag)
{
	snprintf(buf, size, "%.*s;%s", (int)(size - strlen(tag) - 2), call_id, tag);
}

/* Our Contact for a dialog: the listening transport the SUBSCRIBE came in
 * on, so that the watcher's requests come back over the same protocol. */
static char *
dialog_contact(struct psip *p, nta_incoming_t *irq)
{
	tport_t *tp = nta_incoming_transport(p->agent, irq, NULL);
	tport_t *pri = tp ? (tport_is_primary(tp) ? tp : tport_parent(tp)) : NULL;
	const tp_name_t *n = pri ? tport_name(pri) : NULL;
	char buf[DB_URI_MAX + 32];
	int v6, tls;

	if (n == NULL || n->tpn_host == NULL || n->tpn_port == NULL || n->tpn_proto == NULL ||
	    strcmp(n->tpn_host, "*") == 0) {
		if (tp)
			tport_unref(tp);
		return strdup(p->contact);
	}
	v6 = strchr(n->tpn_host, ':') != NULL && n->tpn_host[0] != '[';
	tls = strcasecmp(n->tpn_proto, "tls") == 0;
	snprintf(buf, sizeof(buf), "%s:%s%s%s:%s;transport=%s", tls ? "sips" : "sip",
	    v6 ? "[" : "", n->tpn_host, v6 ? "]" : "", n->tpn_port, n->tpn_proto);
	tport_unref(tp);
	return strdup(buf);
}

/* Creates the dialog for a new SUBSCRIBE (to-tag chosen here): the
 * strings of s->dlg and the id into @p id (DB_ID_MAX). */
static int
dialog_create(struct psip_sub *s, nta_incoming_t *irq, const sip_t *sip, char *id)
{
	struct psip *p = s->p;
	su_home_t home[1] = { SU_HOME_INIT(home) };
	const char *tag;
	char *to;
	size_t n;
	int rc = PRES_ENOMEM;

	tag = nta_agent_newtag(home, "%s", p->agent);
	if (tag == NULL || nta_incoming_tag(irq, tag) == NULL)
		goto done;
	s->cseq = 0;
	s->cseq_reserved = CSEQ_RESERVE;

	s->dlg.call_id = strdup(sip->sip_call_id->i_id);
	to = sip_header_as_string(home, (const sip_header_t *)sip->sip_to);
	if (to) {
		n = strlen(to) + strlen(tag) + 6;
		s->dlg.local = malloc(n);
		if (s->dlg.local)
			snprintf(s->dlg.local, n, "%s;tag=%s", to, tag);
	}
	s->dlg.remote = hdr_str(home, sip->sip_from);
	s->dlg.target = url_as_string(home, sip->sip_contact->m_url) ?
	    strdup(url_as_string(home, sip->sip_contact->m_url)) : NULL;
	s->dlg.route = route_str(home, sip->sip_record_route);
	s->dlg.contact = dialog_contact(p, irq);
	if (!s->dlg.call_id || !s->dlg.local || !s->dlg.remote || !s->dlg.target ||
	    !s->dlg.contact || (sip->sip_record_route && !s->dlg.route))
		goto done;
	dialog_id(id, DB_ID_MAX, sip->sip_call_id->i_id, tag);
	rc = PRES_OK;
done:
	su_home_deinit(home);
	return rc;
}

/* 1 if @p sip (a request in the dialog of @p s) comes from the watcher's
 * side of it: its From tag is the tag of the dialog's remote address. */
static int
dialog_remote_matches(const struct psip_sub *s, const sip_t *sip)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sip_from_t *remote = sip_from_make(home, s->dlg.remote);
	const char *want = remote ? remote->a_tag : NULL;
	const char *got = sip->sip_from ? sip->sip_from->a_tag : NULL;
	int ok = (want == NULL && got == NULL) ||
	    (want != NULL && got != NULL && strcasecmp(want, got) == 0);

	su_home_deinit(home);
	return ok;
}

/* ---- requests ------------------------------------------------------------ */

static int
answer(nta_incoming_t *irq, int status, const char *phrase)
{
	nta_incoming_treply(irq, status, phrase, TAG_END());
	nta_incoming_destroy(irq);
	return 0;
}

static int
check_event_accept(nta_incoming_t *irq, const sip_t *sip, enum psip_event *ev)
{
	const char *type;

	*ev = sip->sip_event ? psip_event_kind(sip->sip_event->o_type) : PSIP_EV_UNKNOWN;
	if (*ev == PSIP_EV_UNKNOWN) {
		nta_incoming_treply(irq, SIP_489_BAD_EVENT,
		    SIPTAG_ALLOW_EVENTS_STR(PSIP_ALLOW_EVENTS), TAG_END());
		nta_incoming_destroy(irq);
		return 489;
	}
	type = *ev == PSIP_EV_WINFO ? PSIP_CT_WINFO :
	    *ev == PSIP_EV_XCAPDIFF ? PSIP_CT_XCAPDIFF : PSIP_CT_PIDF;
	if (!psip_accept_admits(sip->sip_accept, type) &&
	    /* a list subscriber (RFC 4662) may accept only multipart/related + RLMI */
	    !(*ev == PSIP_EV_PRESENCE && psip_accept_admits(sip->sip_accept, "multipart/related"))) {
		nta_incoming_treply(irq, SIP_406_NOT_ACCEPTABLE,
		    SIPTAG_ACCEPT_STR(type), TAG_END());
		nta_incoming_destroy(irq);
		return 406;
	}
	return 0;
}

static int
check_expires(struct psip *p, nta_incoming_t *irq, const sip_t *sip, unsigned *expires)
{
	char minbuf[16];

	if (psip_expires_grant(sip->sip_expires != NULL,
	    sip->sip_expires ? sip->sip_expires->ex_delta : 0,
	    p->min_expires, p->max_expires, p->default_expires, expires) == 423) {
		snprintf(minbuf, sizeof(minbuf), "%u", p->min_expires);
		nta_incoming_treply(irq, SIP_423_INTERVAL_TOO_BRIEF,
		    SIPTAG_MIN_EXPIRES_STR(minbuf), TAG_END());
		nta_incoming_destroy(irq);
		return 423;
	}
	return 0;
}

static int
is_owner(struct psip *p, const struct psip_who *who, const char *presentity)
{
	struct db_subscriber s;
	size_t i;
	int ok = 0;

	memset(&s, 0, sizeof(s));
	if (db_subscriber_by_impu(p->db, presentity, &s) != PRES_OK)
		return 0;
	if (who->impi[0] && strcmp(who->impi, s.impi) == 0)
		ok = 1;
	for (i = 0; !ok && who->uri[0] && i < s.n_impus; i++)
		if (pres_uri_equal(who->uri, s.impus[i]))
			ok = 1;
	db_subscriber_wipe(&s);
	return ok;
}

static void
reply_200(struct psip_sub *s, nta_incoming_t *irq, unsigned expires)
{
	char expbuf[16];

	snprintf(expbuf, sizeof(expbuf), "%u", expires);
	nta_incoming_treply(irq, SIP_200_OK, SIPTAG_EXPIRES_STR(expbuf),
	    SIPTAG_CONTACT_STR(s->dlg.contact ? s->dlg.contact : s->p->contact), TAG_END());
	nta_incoming_destroy(irq);
}

/* A SUBSCRIBE whose 200 waits for the commit of its change (a 2xx only for
 * a committed subscription). Meanwhile the subscription is held: NOTIFYs
 * for it wait (s->dirty) so that none goes out before the 200. */
enum held_kind { HELD_NEW, HELD_REFRESH, HELD_END };
struct held_reply {
	nta_incoming_t *irq;
	enum held_kind kind;
	unsigned expires;
	char id[DB_ID_MAX];           /* looked up again: it may end meanwhile */
};

/* Answers the held SUBSCRIBE @p h once its change committed (or failed). */
static void
held_answer(struct psip *p, const struct held_reply *h, int rc)
{
	struct psip_sub *s = sub_find(p, h->id);

	if (s == NULL) {
		/* ended meanwhile (a NOTIFY failed): the request itself was done */
		if (rc == PRES_OK)
			answer(h->irq, SIP_200_OK);
		else
			answer(h->irq, 500, "Storage failure");
		return;
	}
	s->held = 0;
	if (rc != PRES_OK) {
		answer(h->irq, 500, "Storage failure");
		if (h->kind == HELD_NEW) {
			s->dirty = 0;
			sub_terminate(s, "noresource", 0);
			return;
		}
	} else
		reply_200(s, h->irq, h->expires);
	if (s->dirty || h->kind == HELD_NEW || h->kind == HELD_REFRESH) {
		s->dirty = 0;
		sub_notify(s, NULL);
	}
	if (h->kind == HELD_NEW && s->event == PSIP_EV_PRESENCE && s->state != PSIP_ST_TERMINATED)
		winfo_changed(p, s);
}

static void
held_committed(struct psip *p, void *arg, int rc)
{
	held_answer(p, arg, rc);
	free(arg);
}

/* Holds @p s and queues its 200 until the batch with its change commits. */
static void
reply_200_committed(struct psip_sub *s, nta_incoming_t *irq, unsigned expires,
    enum held_kind kind)
{
	struct held_reply tmp, *h = malloc(sizeof(*h));

	if (h == NULL)
		h = &tmp;	/* out of memory: commit and answer now */
	h->irq = irq;
	h->kind = kind;
	h->expires = expires;
	pres_strlcpy(h->id, s->id, sizeof(h->id));
	s->held = 1;
	if (h == &tmp)
		held_answer(s->p, h, psip_db_flush(s->p));
	else
		psip_after_commit(s->p, held_committed, h);
}

int
psip_subscribe(struct psip *p, nta_incoming_t *irq, const sip_t *sip)
{
	char ruri[DB_URI_MAX * 2], presentity[DB_URI_MAX];
	enum psip_event ev;
	enum psip_state st;
	enum psip_decision dec = PSIP_DEC_ALLOW;
	const char *reason = NULL;
	struct psip_who who;
	struct db_subscriber owner;
	struct psip_sub *s;
	struct psip_ext *ext = NULL;
	unsigned expires;
	int status, rc, authorized = 0;
	char id[DB_ID_MAX];

	if (sip->sip_to && sip->sip_to->a_tag) {
		/* in a dialog: ours (refresh, unsubscribe), or unknown (RFC 6665
		 * §4.2.1.2: 481) */
		dialog_id(id, sizeof(id), sip->sip_call_id->i_id, sip->sip_to->a_tag);
		s = sub_find(p, id);
		if (s == NULL || !dialog_remote_matches(s, sip))
			return answer(irq, SIP_481_NO_TRANSACTION);
		return on_dialog_request(s, irq, sip);
	}

	/* ---- checks ---- */
	if (check_event_accept(irq, sip, &ev) || check_expires(p, irq, sip, &expires))
		return 0;
	if (url_e(ruri, sizeof(ruri), sip->sip_request->rq_url) < 0 ||
	    pres_uri_normalize(ruri, presentity, sizeof(presentity)) != PRES_OK)
		return answer(irq, SIP_416_UNSUPPORTED_URI);
	if (sip->sip_contact == NULL || sip->sip_contact->m_url->url_type == url_any)
		return answer(irq, 400, "Missing Contact");
	psip_db_batch(p);	/* the reads share the write batch's transaction */
	memset(&owner, 0, sizeof(owner));
	rc = db_subscriber_by_impu(p->db, presentity, &owner);
	db_subscriber_wipe(&owner);
	if (rc == PRES_ENOTFOUND && ev == PSIP_EV_PRESENCE)
		rc = psip_rls_is_service(p, presentity);	/* RFC 4662 list */
	if (rc == PRES_ENOTFOUND)
		return answer(irq, SIP_404_NOT_FOUND);
	if (rc != PRES_OK)
		return answer(irq, SIP_500_INTERNAL_SERVER_ERROR);
	if (psip_identify(p, irq, sip, &who) != 0) {
		nta_incoming_destroy(irq);
		return 0;
	}

	if (psip_ext_admit(p, irq, sip, ev, presentity, &who, &ext, &authorized) != 0)
		return 0;

	/* ---- authorization ---- */
	if (authorized) {
		st = PSIP_ST_ACTIVE;
	} else if (ev == PSIP_EV_WINFO || ev == PSIP_EV_XCAPDIFF) {
		if (who.anonymous || !is_owner(p, &who, presentity))
			return answer(irq, SIP_403_FORBIDDEN);
		st = PSIP_ST_ACTIVE;
	} else {
		dec = psip_body_decide(p, presentity, who.uri, who.anonymous, NULL, 0);
		status = psip_decision_apply(dec, p->block_policy, &st, &reason);
		if (status == 403) {
			log_info("sip: %s blocked from %s", who.anonymous ? "anonymous" : who.uri,
			    presentity);
			s = calloc(1, sizeof(*s));
			if (s) {	/* frees ext */
				s->ext = ext;
				s->p = p;
				sub_free(s);
			}
			return answer(irq, SIP_403_FORBIDDEN);
		}
	}

	/* ---- act ---- */
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		struct psip_sub tmp;
		memset(&tmp, 0, sizeof(tmp));
		tmp.p = p;
		tmp.ext = ext;
		psip_ext_free(&tmp);
		return answer(irq, SIP_500_INTERNAL_SERVER_ERROR);
	}
	s->p = p;
	s->ext = ext;
	s->anonymous = who.anonymous;
	s->event = ev;
	s->state = st;
	s->decision = dec;
	s->winfo_full = 1;
	s->created = pres_now();
	s->expires = s->created + expires;
	pres_strlcpy(s->winfo_event, st == PSIP_ST_TERMINATED ? "rejected" : "subscribe",
	    sizeof(s->winfo_event));
	if (dialog_create(s, irq, sip, id) != PRES_OK ||
	    sub_strings(s, id, presentity, who.uri,
	    sip->sip_event->o_id ? sip->sip_event->o_id : "") != PRES_OK) {
		sub_free(s);
		return answer(irq, SIP_500_INTERNAL_SERVER_ERROR);
	}
	sub_link(p, s);
	psip_ext_attach(s);
	PSIP_STAT(p, subscribes_ok, 1);
	if (log_level() >= LOG_LVL_DEBUG)
		log_debug("sip: %s subscription %s of %s to %s: %s", psip_event_name(ev), s->id,
		    who.anonymous ? "anonymous" : who.uri, presentity, psip_state_name(st));
	if (expires == 0 || st == PSIP_ST_TERMINATED)
		reply_200(s, irq, expires);	/* nothing stored */

	if (expires == 0) {
		/* fetch (RFC 6665 §4.4.3): one NOTIFY with the state, then gone */
		set_state(s, PSIP_ST_TERMINATED);
		pres_strlcpy(s->reason, st == PSIP_ST_TERMINATED ? "rejected" : "timeout",
		    sizeof(s->reason));
		if (st == PSIP_ST_PENDING)
			s->decision = PSIP_DEC_CONFIRM;
		s->dead = 1;
		sub_unlink_pres(s);
		sub_notify(s, NULL);
		return 0;
	}
	if (st == PSIP_ST_TERMINATED) {
		pres_strlcpy(s->reason, reason ? reason : "rejected", sizeof(s->reason));
		s->dead = 1;
		sub_unlink_pres(s);
		sub_notify(s, NULL);
		return 0;
	}
	sub_save(s);
	sub_arm(s);
	/* 200 after the commit, then the first NOTIFY and winfo */
	reply_200_committed(s, irq, expires, HELD_NEW);
	return 0;
}

/* A SUBSCRIBE inside a subscription dialog: refresh and unsubscribe. */
static int
on_dialog_request(struct psip_sub *s, nta_incoming_t *irq, const sip_t *sip)
{
	struct psip *p = s->p;
	enum psip_event ev;
	struct psip_who who;
	unsigned expires;

	if (s->state == PSIP_ST_TERMINATED)
		return answer(irq, SIP_481_NO_TRANSACTION);
	if (check_event_accept(irq, sip, &ev) || check_expires(p, irq, sip, &expires))
		return 0;
	if (ev != s->event)
		return answer(irq, SIP_481_NO_TRANSACTION);	/* one subscription per dialog */
	if (psip_identify(p, irq, sip, &who) != 0) {
		nta_incoming_destroy(irq);
		return 0;
	}
	if (strcmp(who.uri, s->watcher) != 0 && !(who.anonymous && s->anonymous))
		return answer(irq, SIP_403_FORBIDDEN);
	if (psip_ext_refresh(s, irq, sip) != 0)
		return 0;
	if (sip->sip_contact && sip->sip_contact->m_url->url_type != url_any) {
		/* target refresh (RFC 6665 §4.1.2.1) */
		su_home_t home[1] = { SU_HOME_INIT(home) };
		char *t = url_as_string(home, sip->sip_contact->m_url);
		if (t && strcmp(t, s->dlg.target) != 0) {
			char *nt = strdup(t);
			if (nt) {
				free(s->dlg.target);
				s->dlg.target = nt;
			}
		}
		su_home_deinit(home);
	}
	PSIP_STAT(p, subscribes_ok, 1);
	if (expires == 0) {
		/* removal committed, then 200, then the final NOTIFY */
		s->held = 1;
		sub_terminate(s, "timeout", 1);
		reply_200_committed(s, irq, 0, HELD_END);
		return 0;
	}
	s->expires = pres_now() + expires;
	s->winfo_full = 1;
	sub_save(s);
	sub_arm(s);
	reply_200_committed(s, irq, expires, HELD_REFRESH);
	return 0;
}

/* ---- changes from elsewhere ---------------------------------------------- */

void
psip_presentity_changed(struct psip *p, const char *presentity)
{
	struct psip_pres *pr = psip_pres_get(p, presentity, 0);
	struct psip_round *r;
	struct psip_sub *s, *next;

	psip_round_invalidate(p, presentity);
	psip_rls_member_changed(p, presentity, 0);	/* after: lists get the new round */
	if (pr == NULL)
		return;
	r = psip_round_new(p, presentity);
	for (s = pr->subs; s; s = next) {
		next = s->pnext;
		if (s->event == PSIP_EV_PRESENCE && s->state == PSIP_ST_ACTIVE &&
		    psip_ext_wants(s, r))
			sub_notify(s, r);
	}
	psip_round_free(r);
}

static void reauthorize(struct psip *p, const char *presentity, int notify_all);

void
psip_presentity_reauthorize(struct psip *p, const char *presentity)
{
	psip_round_invalidate(p, presentity);
	psip_rls_member_changed(p, presentity, 1);
	reauthorize(p, presentity, 0);
}

/* @p notify_all: every watcher gets a NOTIFY (after a restart). */
static void
reauthorize(struct psip *p, const char *presentity, int notify_all)
{
	struct psip_pres *pr = psip_pres_get(p, presentity, 0);
	struct psip_round *r;
	struct psip_sub *s, *next;

	psip_round_invalidate(p, presentity);
	if (pr == NULL)
		return;
	r = psip_round_new(p, presentity);
	if (r == NULL)
		return;
	for (s = pr->subs; s; s = next) {
		enum psip_decision dec;
		enum psip_state st;
		const char *reason;
		int changed = 0;

		next = s->pnext;
		if (s->event != PSIP_EV_PRESENCE || s->state == PSIP_ST_TERMINATED ||
		    psip_ext_is_list(s->ext))
			continue;
		dec = psip_round_decide(r, s->watcher, s->anonymous);
		psip_decision_apply(dec, p->block_policy, &st, &reason);
		s->decision = dec;
		if (st == PSIP_ST_TERMINATED) {
			log_info("sip: %s now blocked from %s", s->watcher, presentity);
			sub_terminate(s, "rejected", 1);
			continue;
		}
		if (st == PSIP_ST_ACTIVE && s->state == PSIP_ST_PENDING) {
			set_state(s, PSIP_ST_ACTIVE);
			changed = 1;
			pres_strlcpy(s->winfo_event, "approved", sizeof(s->winfo_event));
			sub_save(s);
			winfo_changed(p, s);
		} else if (st == PSIP_ST_PENDING && s->state == PSIP_ST_ACTIVE) {
			set_state(s, PSIP_ST_PENDING);
			changed = 1;
			pres_strlcpy(s->winfo_event, "deactivated", sizeof(s->winfo_event));
			sub_save(s);
			winfo_changed(p, s);
		}
		/* an active watcher's transformation may have changed too: it
		 * always gets the current document; a still-pending one only
		 * when its state changed */
		if (s->state == PSIP_ST_ACTIVE || changed || notify_all)
			sub_notify(s, r);
	}
	psip_round_free(r);
}

/* ---- startup and shutdown --------------------------------------------------- */

struct load_ctx {
	struct psip *p;
	struct psip_sub **list;
	size_t n, cap;
};

static int
load_one(const struct db_sub *ds, void *arg)
{
	struct load_ctx *c = arg;
	struct psip_sub *s;
	char v[64];
	long long ll;
	int st;

	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		struct psip_sub **nl = realloc(c->list, ncap * sizeof(*nl));
		if (nl == NULL)
			return 1;
		c->list = nl;
		c->cap = ncap;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return 1;
	s->p = c->p;
	s->event = psip_event_kind(ds->event);
	st = psip_state_parse(ds->state);
	s->expires = ds->expires;
	s->created = ds->created;
	pres_strlcpy(s->reason, ds->reason, sizeof(s->reason));
	if (psip_kv_get(ds->extra, "evid", v, sizeof(v)) != PRES_OK)
		v[0] = '\0';
	if (sub_strings(s, ds->id, ds->presentity, ds->watcher, v) != PRES_OK) {
		free(s);
		return 1;
	}
	if (s->event == PSIP_EV_UNKNOWN || st < 0 || st == PSIP_ST_TERMINATED ||
	    psip_dialog_parse(ds->dialog, &s->dlg) != PRES_OK) {
		log_warnx("sip: stored subscription %s unusable, dropped", ds->id);
		psip_db_batch(c->p);
		db_sub_delete(c->p->db, ds->id);
		psip_dialog_clear(&s->dlg);
		free(s->strs);
		free(s);
		return 0;
	}
	s->state = (enum psip_state)st;
	s->cseq_reserved = s->dlg.local_cseq;
	s->cseq = s->dlg.local_cseq;	/* every stored CSeq was a reservation */
	s->winfo_full = 1;
	if (psip_kv_get(ds->extra, "anon", v, sizeof(v)) == PRES_OK)
		s->anonymous = strcmp(v, "1") == 0;
	psip_kv_get(ds->extra, "winfo_event", s->winfo_event, sizeof(s->winfo_event));
	if (psip_kv_get(ds->extra, "winfo_version", v, sizeof(v)) == PRES_OK &&
	    pres_parse_ll(v, 0, 0xffffffffLL, &ll) == 0)
		s->winfo_version = (uint32_t)ll;
	s->decision = s->state == PSIP_ST_ACTIVE ? PSIP_DEC_ALLOW : PSIP_DEC_CONFIRM;
	if (psip_ext_load(s, ds->extra) != PRES_OK) {
		log_warnx("sip: extension state of subscription %s unusable, dropped", ds->id);
		psip_db_batch(c->p);
		db_sub_delete(c->p->db, ds->id);
		psip_ext_free(s);
		psip_dialog_clear(&s->dlg);
		free(s->strs);
		free(s);
		return 0;
	}
	if (dialog_check(&s->dlg) != PRES_OK) {
		psip_ext_free(s);
		log_warnx("sip: dialog of subscription %s unusable, dropped", ds->id);
		psip_db_batch(c->p);
		db_sub_delete(c->p->db, ds->id);
		psip_dialog_clear(&s->dlg);
		free(s->strs);
		free(s);
		return 0;
	}
	c->list[c->n++] = s;
	return 0;
}

int
psip_subs_load(struct psip *p)
{
	struct load_ctx c;
	size_t i;
	int n = 0, rc;

	psip_db_batch(p);
	rc = db_sub_expire(p->db, pres_now(), &n);
	if (rc != PRES_OK)
		return rc;
	memset(&c, 0, sizeof(c));
	c.p = p;
	rc = db_sub_foreach(p->db, NULL, NULL, load_one, &c);
	/* every stored CSeq was a reservation: move the reservation on */
	for (i = 0; i < c.n; i++) {
		struct psip_sub *s = c.list[i];
		s->cseq_reserved += CSEQ_RESERVE;
		sub_link(p, s);
		psip_ext_attach(s);
		sub_save(s);
		sub_arm(s);
	}
	/* then tell every surviving watcher the current state: presence
	 * subscriptions re-evaluated, winfo ones with a full state */
	for (i = 0; i < c.n; i++) {
		struct psip_sub *s = c.list[i];
		if (s->event == PSIP_EV_PRESENCE && !psip_ext_is_list(s->ext))
			continue;
		sub_notify(s, NULL);
	}
	for (i = 0; i < c.n; i++) {
		struct psip_sub *s = c.list[i];
		/* once per presentity: reauthorize NOTIFYs all its watchers */
		if (s->event == PSIP_EV_PRESENCE && !psip_ext_is_list(s->ext) &&
		    s->pres && !s->pres->reloaded) {
			s->pres->reloaded = 1;
			reauthorize(p, s->presentity, 1);
		}
	}
	if (c.n)
		log_info("sip: %zu subscriptions reloaded (%d expired while stopped)", c.n, n);
	free(c.list);
	return rc;
}

void
psip_subs_free(struct psip *p)
{
	size_t i;

	for (i = 0; i < PSIP_SUB_HASH_SIZE; i++) {
		while (p->sub_hash[i])
			sub_free(p->sub_hash[i]);
	}
	if (p->sub_timer)
		su_timer_destroy(p->sub_timer);
	p->sub_timer = NULL;
	p->sub_timer_at = 0;
	free(p->sub_heap);
	p->sub_heap = NULL;
	p->n_sub_heap = p->cap_sub_heap = 0;
	for (i = 0; i < PSIP_HASH_SIZE; i++) {
		struct psip_pres *pr, *next;
		for (pr = p->pres_hash[i]; pr; pr = next) {
			next = pr->hnext;
			if (pr->round)
				psip_round_invalidate(p, pr->uri);
			free(pr);
		}
		p->pres_hash[i] = NULL;
	}
	memset(p->round_ring, 0, sizeof(p->round_ring));
	p->round_next = 0;
}

/* ---- entry points for psip_rls.c / psip_xcapdiff.c ------------------------ */

void
psip_sub_notify(struct psip_sub *s)
{
	if (s->state != PSIP_ST_TERMINATED)
		sub_notify(s, NULL);
}

void
psip_sub_end(struct psip_sub *s, const char *reason)
{
	if (s->state != PSIP_ST_TERMINATED)
		sub_terminate(s, reason, 1);
}

void
psip_sub_store(struct psip_sub *s)
{
	if (s->state != PSIP_ST_TERMINATED)
		sub_save(s);
}
