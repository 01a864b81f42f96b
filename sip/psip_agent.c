/*
 * psip_agent.c - the SIP thread: su_root loop, nta agent and transports,
 * request dispatch by method, the mailbox other threads post to, counters.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/url.h>

#include "sip/psip_int.h"

/* exported by libsofia-sip-ua but declared in no public header */
extern su_log_t nta_log[];
extern su_log_t tport_log[];

uint32_t
psip_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

void
psip_stat_add(struct psip *p, size_t offset, int64_t delta)
{
	uint64_t *v;

	pthread_mutex_lock(&p->lock);
	v = (uint64_t *)(void *)((char *)&p->stats + offset);
	*v += (uint64_t)delta;
	pthread_mutex_unlock(&p->lock);
}

int
psip_stats(struct psip *p, struct psip_stats *out)
{
	if (p == NULL || out == NULL)
		return PRES_EINVAL;
	pthread_mutex_lock(&p->lock);
	*out = p->stats;
	pthread_mutex_unlock(&p->lock);
	return PRES_OK;
}

struct psip_pres *
psip_pres_get(struct psip *p, const char *uri, int create)
{
	uint32_t h = psip_hash(uri) % PSIP_HASH_SIZE;
	struct psip_pres *pr;

	for (pr = p->pres_hash[h]; pr; pr = pr->hnext)
		if (strcmp(pr->uri, uri) == 0)
			return pr;
	if (!create)
		return NULL;
	pr = calloc(1, sizeof(*pr));
	if (pr == NULL)
		return NULL;
	pres_strlcpy(pr->uri, uri, sizeof(pr->uri));
	pr->hnext = p->pres_hash[h];
	p->pres_hash[h] = pr;
	return pr;
}

/* ---- group commit ----------------------------------------------------------- */

int
psip_db_flush(struct psip *p)
{
	struct psip_after *a, *list;
	int rc = PRES_OK;

	if (p->db_batch) {
		p->db_batch = 0;
		if (p->commit_timer)
			su_timer_reset(p->commit_timer);
		if ((rc = db_commit(p->db)) != PRES_OK) {
			log_warnx("sip: commit of the SIP state failed (%s): last changes lost",
			    pres_strerror(rc));
			db_rollback(p->db);
		} else if (p->ckpt_running) {
			pthread_mutex_lock(&p->ckpt_lock);
			p->ckpt_due = 1;
			pthread_cond_signal(&p->ckpt_cond);
			pthread_mutex_unlock(&p->ckpt_lock);
		}
	}
	/* the callbacks may write again (a new batch) and queue more work:
	 * that waits for the next commit */
	list = p->after;
	p->after = NULL;
	p->after_tail = &p->after;
	while ((a = list) != NULL) {
		list = a->next;
		a->fn(p, a->arg, rc);
		free(a);
	}
	return rc;
}

void
psip_after_commit(struct psip *p, psip_after_fn *fn, void *arg)
{
	struct psip_after *a;

	if (!p->db_batch) {
		fn(p, arg, PRES_OK);
		return;
	}
	a = malloc(sizeof(*a));
	if (a == NULL) {
		fn(p, arg, psip_db_flush(p));
		return;
	}
	a->fn = fn;
	a->arg = arg;
	a->next = NULL;
	if (p->after_tail == NULL)
		p->after_tail = &p->after;
	*p->after_tail = a;
	p->after_tail = &a->next;
}

static void
commit_due(void *magic, su_timer_t *t, void *arg)
{
	(void)magic;
	(void)t;
	psip_db_flush(arg);
}

void
psip_db_batch(struct psip *p)
{
	if (p->db_batch || p->db == NULL)
		return;
	if (db_begin(p->db) != PRES_OK)
		return;		/* the write then commits by itself */
	p->db_batch = 1;
	if (p->commit_timer == NULL ||
	    su_timer_set_interval(p->commit_timer, commit_due, p, PSIP_COMMIT_MS) < 0)
		psip_db_flush(p);
}

/* ---- WAL checkpoints ------------------------------------------------------ */

/* The checkpoint thread: after commits, a passive checkpoint on its own
 * connection, at most one per PSIP_CKPT_MS. A checkpoint fsyncs the WAL
 * and the database file; done by the committing SIP thread (SQLite's
 * automatic checkpoint) it stalled every request behind it. */
static void *
ckpt_main(void *arg)
{
	struct psip *p = arg;
	struct timespec until;

	pthread_mutex_lock(&p->ckpt_lock);
	while (!p->ckpt_stop) {
		if (!p->ckpt_due) {
			pthread_cond_wait(&p->ckpt_cond, &p->ckpt_lock);
			continue;
		}
		p->ckpt_due = 0;
		pthread_mutex_unlock(&p->ckpt_lock);
		if (db_checkpoint(p->ckpt_db) != PRES_OK)
			log_debug("sip: WAL checkpoint failed");
		pthread_mutex_lock(&p->ckpt_lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)PSIP_CKPT_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		while (!p->ckpt_stop &&
		    pthread_cond_timedwait(&p->ckpt_cond, &p->ckpt_lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&p->ckpt_lock);
	return NULL;
}

/* Without the thread, the SIP connection keeps checkpointing by itself. */
static void
ckpt_start(struct psip *p)
{
	if (db_open(p->db_path, &p->ckpt_db) != PRES_OK) {
		p->ckpt_db = NULL;
		return;
	}
	pthread_mutex_init(&p->ckpt_lock, NULL);
	pthread_cond_init(&p->ckpt_cond, NULL);
	if (pthread_create(&p->ckpt_thread, NULL, ckpt_main, p) != 0) {
		pthread_mutex_destroy(&p->ckpt_lock);
		pthread_cond_destroy(&p->ckpt_cond);
		db_close(p->ckpt_db);
		p->ckpt_db = NULL;
		return;
	}
	p->ckpt_running = 1;
	if (db_set_autocheckpoint(p->db, 0) != PRES_OK)
		log_warnx("sip: automatic WAL checkpoints stay on the SIP thread");
}

static void
ckpt_stop(struct psip *p)
{
	if (!p->ckpt_running)
		return;
	pthread_mutex_lock(&p->ckpt_lock);
	p->ckpt_stop = 1;
	pthread_cond_signal(&p->ckpt_cond);
	pthread_mutex_unlock(&p->ckpt_lock);
	pthread_join(p->ckpt_thread, NULL);
	p->ckpt_running = 0;
	db_checkpoint(p->ckpt_db);
	db_close(p->ckpt_db);
	p->ckpt_db = NULL;
	pthread_mutex_destroy(&p->ckpt_lock);
	pthread_cond_destroy(&p->ckpt_cond);
}

/* ---- mailbox ------------------------------------------------------------ */

static void
docmsg_free(struct psip_docmsg *m)
{
	if (m == NULL)
		return;
	free(m->auid);
	free(m->xui);
	free(m->doc);
	free(m->old_etag);
	free(m->new_etag);
	free(m);
}

static char *
dup0(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void
wake(struct psip *p)
{
	char c = 1;
	ssize_t n;

	do
		n = write(p->wake[1], &c, 1);
	while (n < 0 && errno == EINTR);
	/* EAGAIN: the pipe is full, so the thread will wake anyway */
}

void
psip_doc_changed(struct psip *p, const char *auid, const char *xui,
    const char *doc, const char *old_etag, const char *new_etag)
{
	struct psip_docmsg *m;

	if (p == NULL || auid == NULL || xui == NULL)
		return;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return;
	m->auid = strdup(auid);
	m->xui = strdup(xui);
	m->doc = dup0(doc);
	m->old_etag = dup0(old_etag);
	m->new_etag = dup0(new_etag);
	if (!m->auid || !m->xui || (doc && !m->doc) || (old_etag && !m->old_etag) ||
	    (new_etag && !m->new_etag)) {
		log_warnx("sip: out of memory queueing a document change");
		docmsg_free(m);
		return;
	}
	pthread_mutex_lock(&p->lock);
	if (p->mq_tail)
		p->mq_tail->next = m;
	else
		p->mq_head = m;
	p->mq_tail = m;
	pthread_mutex_unlock(&p->lock);
	wake(p);
}

static int
auid_matters(const char *auid)
{
	return strcmp(auid, "pres-rules") == 0 ||
	    strcmp(auid, "org.openmobilealliance.pres-rules") == 0 ||
	    strcmp(auid, "pidf-manipulation") == 0 ||
	    strcmp(auid, "resource-lists") == 0;
}

/* A document of @p xui changed: every IMPU of the subscriber that owns the
 * XUI shares the policy (pres-rules may be stored under any of them). */
static void
handle_doc_change(struct psip *p, const struct psip_docmsg *m)
{
	struct db_subscriber s;
	char xui[DB_URI_MAX];
	size_t i;
	int pidf = strcmp(m->auid, "pidf-manipulation") == 0;

	/* xcap-diff watchers, resource list subscriptions (psip_rls.c) */
	psip_ext_doc_changed(p, m->auid, m->xui, m->doc, m->old_etag, m->new_etag);
	if (!auid_matters(m->auid))
		return;
	if (pres_uri_normalize(m->xui, xui, sizeof(xui)) != 0)
		return;
	log_debug("sip: %s document of %s changed", m->auid, xui);
	memset(&s, 0, sizeof(s));
	if (db_subscriber_by_impu(p->db, xui, &s) != PRES_OK) {
		s.n_impus = 1;
		pres_strlcpy(s.impus[0], xui, sizeof(s.impus[0]));
	}
	for (i = 0; i < s.n_impus; i++) {
		if (pidf)
			psip_presentity_changed(p, s.impus[i]);
		else
			psip_presentity_reauthorize(p, s.impus[i]);
	}
	db_subscriber_wipe(&s);
}

static int
on_wake(void *magic, su_wait_t *w, void *arg)
{
	struct psip *p = arg;
	char buf[64];
	struct psip_docmsg *list, *m;
	int stop;

	(void)magic;
	(void)w;
	while (read(p->wake[0], buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&p->lock);
	list = p->mq_head;
	p->mq_head = p->mq_tail = NULL;
	stop = p->stopping;
	pthread_mutex_unlock(&p->lock);
	while ((m = list) != NULL) {
		list = m->next;
		if (!stop)
			handle_doc_change(p, m);
		docmsg_free(m);
	}
	if (stop)
		su_root_break(p->root);
	return 0;
}

/* ---- dispatch ------------------------------------------------------------ */

static int
on_stray(void *magic, nta_agent_t *agent, msg_t *msg, sip_t *sip)
{
	(void)magic;
	(void)sip;
	nta_msg_discard(agent, msg);
	return 0;
}

/* Out-of-dialog requests (and in-dialog ones whose dialog is unknown). */
static int
on_request(void *magic, nta_leg_t *leg, nta_incoming_t *irq, const sip_t *sip)
{
	struct psip *p = magic;

	(void)leg;
	PSIP_STAT(p, requests, 1);
	switch (sip->sip_request->rq_method) {
	case sip_method_publish:
		return psip_publish(p, irq, sip);
	case sip_method_subscribe:
		/* in-dialog ones too: psip_subscribe() matches the dialog (481
		 * for one it does not know, RFC 6665 §4.2.1.2) */
		return psip_subscribe(p, irq, sip);
	case sip_method_options:
		nta_incoming_treply(irq, SIP_200_OK,
		    SIPTAG_ALLOW_STR(PSIP_ALLOW),
		    SIPTAG_ALLOW_EVENTS_STR(PSIP_ALLOW_EVENTS),
		    SIPTAG_ACCEPT_STR(PSIP_CT_PIDF ", " PSIP_CT_WINFO ", " PSIP_CT_XCAPDIFF
		    ", multipart/related, application/rlmi+xml"),
		    SIPTAG_SUPPORTED_STR("eventlist"), TAG_END());
		nta_incoming_destroy(irq);
		return 0;
	case sip_method_ack:
		return 0;
	case sip_method_notify:
		if (sip->sip_to && sip->sip_to->a_tag)
			return 481;
		return 405;
	default:
		nta_incoming_treply(irq, SIP_405_METHOD_NOT_ALLOWED,
		    SIPTAG_ALLOW_STR(PSIP_ALLOW), TAG_END());
		nta_incoming_destroy(irq);
		return 0;
	}
}

/* ---- thread ------------------------------------------------------------- */

static void
sofia_log(void *stream, char const *fmt, va_list ap)
{
	(void)stream;
	log_vlog(LOG_LVL_DEBUG, fmt, ap);
}

static int
make_contact(struct psip *p)
{
	url_t *u = url_hdup(p->home, (url_t const *)URL_STRING_MAKE(p->listen[0])->us_url);
	const char *host;

	if (u == NULL)
		return PRES_EINVAL;
	host = u->url_host && *u->url_host ? u->url_host : p->home_domain;
	if (host == NULL)
		return PRES_EINVAL;
	/* The first transport is the one NOTIFYs are sent from; the Contact
	 * names it (URI parameters kept, so transport=tcp survives). */
	snprintf(p->contact, sizeof(p->contact), "%s:%s%s%s%s%s",
	    u->url_type == url_sips ? "sips" : "sip", host,
	    u->url_port ? ":" : "", u->url_port ? u->url_port : "",
	    u->url_params ? ";" : "", u->url_params ? u->url_params : "");
	return PRES_OK;
}

static int
engine_open(struct psip *p)
{
	size_t i;
	const char *cert = p->tls_dir;

	p->root = su_root_create(NULL);
	if (p->root == NULL) {
		log_warnx("sip: su_root_create failed");
		return PRES_ENOMEM;
	}
	/* a private clone of the default parser, extended with the headers
	 * of sip_extra.h (P-Asserted-Identity...); freed after the agent */
	p->mclass = sip_extend_mclass(NULL);
	if (p->mclass == NULL)
		return PRES_ENOMEM;
	p->agent = nta_agent_create(p->root, URL_STRING_MAKE(p->listen[0]),
	    on_stray, p,
	    NTATAG_MCLASS(p->mclass),
	    NTATAG_UA(0),
	    NTATAG_TIMEOUT_408(1),
	    NTATAG_UDP_MTU(65535),
	    NTATAG_TAG_3261(1),
	    /* room for a burst of answers: a fan-out sends a NOTIFY to every
	     * watcher at once and their 200s arrive together (the kernel caps
	     * it at net.core.rmem_max) */
	    TPTAG_UDP_RMEM(4 << 20),
	    TAG_IF(cert != NULL, TPTAG_CERTIFICATE(cert)),
	    TAG_END());
	if (p->agent == NULL) {
		log_warnx("sip: cannot listen on %s", p->listen[0]);
		return PRES_EIO;
	}
	for (i = 1; i < p->n_listen; i++) {
		if (nta_agent_add_tport(p->agent, URL_STRING_MAKE(p->listen[i]),
		    TAG_IF(cert != NULL, TPTAG_CERTIFICATE(cert)), TAG_END()) < 0) {
			log_warnx("sip: cannot listen on %s", p->listen[i]);
			return PRES_EIO;
		}
	}
	p->default_leg = nta_leg_tcreate(p->agent, on_request, p,
	    NTATAG_NO_DIALOG(1), TAG_END());
	if (p->default_leg == NULL)
		return PRES_ENOMEM;
	if (make_contact(p) != 0)
		return PRES_EINVAL;

	if (su_wait_create(p->wait, p->wake[0], SU_WAIT_IN) < 0)
		return PRES_EIO;
	p->wait_index = su_root_register(p->root, p->wait, on_wake, p, 0);
	if (p->wait_index <= 0)
		return PRES_EIO;

	p->commit_timer = su_timer_create(su_root_task(p->root), 0);
	if (p->commit_timer == NULL)
		return PRES_ENOMEM;
	if (db_open(p->db_path, &p->db) != PRES_OK) {
		log_warnx("sip: cannot open database %s", p->db_path);
		return PRES_EDB;
	}
	/* publications and subscriptions are soft state: a commit survives a
	 * crash of the process, without an fsync per SIP transaction */
	if (db_set_durable(p->db, 0) != PRES_OK)
		log_warnx("sip: cannot relax database durability: every commit is synced");
	ckpt_start(p);
	if (psip_auth_init(p) != PRES_OK)
		return PRES_EINVAL;
	if (psip_rls_init(p) != PRES_OK)
		return PRES_ENOMEM;
	if (psip_pubs_load(p) != PRES_OK)
		log_warnx("sip: could not reload every publication");
	if (psip_subs_load(p) != PRES_OK)
		log_warnx("sip: could not reload every subscription");
	psip_db_flush(p);
	for (i = 0; i < p->n_listen; i++)
		log_info("sip: listening on %s", p->listen[i]);
	return PRES_OK;
}

static void
engine_close(struct psip *p)
{
	if (p->db)
		psip_db_flush(p);
	if (p->commit_timer)
		su_timer_destroy(p->commit_timer);
	p->commit_timer = NULL;
	psip_subs_free(p);
	psip_rls_fini(p);
	psip_pubs_free(p);
	if (p->default_leg)
		nta_leg_destroy(p->default_leg);
	p->default_leg = NULL;
	if (p->agent)
		nta_agent_destroy(p->agent);
	p->agent = NULL;
	free(p->mclass);	/* msg_mclass_clone() allocates with malloc */
	p->mclass = NULL;
	if (p->root) {
		if (p->wait_index > 0)
			su_root_deregister(p->root, p->wait_index);
		su_root_destroy(p->root);
	}
	p->root = NULL;
	psip_auth_fini(p);
	ckpt_stop(p);
	if (p->db)
		db_close(p->db);
	p->db = NULL;
}

static void *
thread_main(void *arg)
{
	struct psip *p = arg;
	int rc;

	su_init();
	su_home_init(p->home);
	su_log_redirect(NULL, sofia_log, NULL);
	su_log_redirect(nta_log, sofia_log, NULL);
	su_log_redirect(tport_log, sofia_log, NULL);
	su_log_set_level(NULL, (unsigned)p->sofia_log_level);
	su_log_set_level(nta_log, (unsigned)p->sofia_log_level);
	su_log_set_level(tport_log, (unsigned)p->sofia_log_level);
	rc = engine_open(p);
	pthread_mutex_lock(&p->lock);
	p->started = rc == PRES_OK ? 1 : -1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	if (rc == PRES_OK)
		su_root_run(p->root);
	engine_close(p);
	su_home_deinit(p->home);
	su_deinit();
	return NULL;
}

static void
cfg_free(struct psip *p)
{
	size_t i;

	for (i = 0; p->listen && i < p->n_listen; i++)
		free(p->listen[i]);
	free(p->listen);
	free(p->tls_dir);
	free(p->home_domain);
	free(p->realm);
	free(p->db_path);
	free(p->trusted);
}

static int
cfg_copy(struct psip *p, const struct psip_cfg *cfg)
{
	size_t i;

	if (cfg->n_listen == 0 || cfg->listen_uris == NULL || cfg->db_path == NULL) {
		log_warnx("sip: configuration needs listen URIs and a database");
		return PRES_EINVAL;
	}
	p->listen = calloc(cfg->n_listen, sizeof(*p->listen));
	if (p->listen == NULL)
		return PRES_ENOMEM;
	p->n_listen = cfg->n_listen;
	for (i = 0; i < cfg->n_listen; i++)
		if ((p->listen[i] = strdup(cfg->listen_uris[i])) == NULL)
			return PRES_ENOMEM;
	if (cfg->n_trusted) {
		p->trusted = calloc(cfg->n_trusted, sizeof(*p->trusted));
		if (p->trusted == NULL)
			return PRES_ENOMEM;
		for (i = 0; i < cfg->n_trusted; i++)
			if (psip_net_parse(cfg->trusted_peers[i], &p->trusted[i]) != 0) {
				log_warnx("sip: bad trusted peer '%s'", cfg->trusted_peers[i]);
				return PRES_EINVAL;
			}
		p->n_trusted = cfg->n_trusted;
	}
	p->tls_dir = dup0(cfg->tls_dir);
	p->home_domain = strdup(cfg->home_domain ? cfg->home_domain : "localhost");
	p->realm = strdup(cfg->digest_realm ? cfg->digest_realm : p->home_domain ? p->home_domain : "localhost");
	p->db_path = strdup(cfg->db_path);
	if ((cfg->tls_dir && !p->tls_dir) || !p->home_domain || !p->realm || !p->db_path)
		return PRES_ENOMEM;
	p->untrusted_policy = cfg->untrusted_policy;
	p->digest_algs = cfg->digest_algs;
	p->min_expires = cfg->min_expires ? cfg->min_expires : 60;
	p->max_expires = cfg->max_expires ? cfg->max_expires : 86400;
	p->default_expires = cfg->default_expires ? cfg->default_expires : 3600;
	if (p->max_expires < p->min_expires || p->default_expires < p->min_expires ||
	    p->default_expires > p->max_expires) {
		log_warnx("sip: expires bounds must satisfy min <= default <= max");
		return PRES_EINVAL;
	}
	p->notify_fail_policy = cfg->notify_fail_policy;
	p->block_policy = cfg->block_policy;
	p->max_body = cfg->max_body ? cfg->max_body : 65536;
	p->rls_throttle_ms = cfg->rls_throttle_ms ? cfg->rls_throttle_ms : 1000;
	p->sofia_log_level = cfg->sofia_log_level;
	p->no_rules_policy = cfg->no_rules_policy;
	return PRES_OK;
}

struct psip *
psip_start(const struct psip_cfg *cfg)
{
	struct psip *p;
	int started;

	if (cfg == NULL)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->wake[0] = p->wake[1] = -1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (cfg_copy(p, cfg) != PRES_OK)
		goto fail;
#ifndef HAVE_JEMALLOC
	/* glibc's malloc (sanitizer and --without-jemalloc builds; jemalloc is
	 * tuned in server/alloc.c): every SIP message costs a few short-lived
	 * buffers of up to 64 KiB: keep freed memory at the top of the heap
	 * instead of giving it back to the kernel after each message
	 * (grow/shrink = 2 mprotect per message; process-wide setting, bounded
	 * by these few MiB). */
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
	mallopt(M_TOP_PAD, 1 << 20);
#endif
	if (pipe2(p->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
		log_warn("sip: pipe");
		goto fail;
	}
	if (pthread_create(&p->thread, NULL, thread_main, p) != 0) {
		log_warnx("sip: cannot create the SIP thread");
		goto fail;
	}
	pthread_mutex_lock(&p->lock);
	while (p->started == 0)
		pthread_cond_wait(&p->cond, &p->lock);
	started = p->started;
	pthread_mutex_unlock(&p->lock);
	if (started < 0) {
		pthread_join(p->thread, NULL);
		goto fail;
	}
	return p;
fail:
	if (p->wake[0] >= 0)
		close(p->wake[0]);
	if (p->wake[1] >= 0)
		close(p->wake[1]);
	cfg_free(p);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
	return NULL;
}

void
psip_stop(struct psip *p)
{
	struct psip_docmsg *m;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_mutex_unlock(&p->lock);
	wake(p);
	pthread_join(p->thread, NULL);
	while ((m = p->mq_head) != NULL) {
		p->mq_head = m->next;
		docmsg_free(m);
	}
	close(p->wake[0]);
	close(p->wake[1]);
	cfg_free(p);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
}
