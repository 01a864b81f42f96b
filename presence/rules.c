/*
 * rules.c - pres-rules (RFC 5025) on common-policy (RFC 4745) with the OMA
 * XDM common-policy extensions: parsing and evaluation for one watcher.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "tf.h"

#define URI_MAX 512

enum cond_kind {
	CK_IDENTITY, CK_SPHERE, CK_VALIDITY, CK_ANON, CK_OTHER, CK_EXTERNAL,
	CK_UNSUPPORTED,
};

struct pr_many {
	char *domain;               /* NULL: any domain */
	struct px_list ex_id;       /* <except id> (normalized when possible) */
	struct px_list ex_dom;      /* <except domain> */
};

struct pr_cond {
	enum cond_kind kind;
	struct px_list a;           /* identity: <one id>; sphere: values; external: anc */
	struct pr_many *many;       /* identity */
	size_t n_many;
	int64_t *iv;                /* validity: from,until pairs */
	size_t n_iv;
};

struct pr_rule {
	char *id;
	struct pr_cond *c;
	size_t n_c;
	int sub;                    /* -1: no <sub-handling> */
	struct pres_tf tf;
};

struct pres_rules {
	struct pr_rule *r;
	size_t n;
};

const struct tf_name tf_bool_names[] = {
	{ PRES_NS_PR, "provide-activities", TF_ACTIVITIES },
	{ PRES_NS_PR, "provide-class", TF_CLASS },
	{ PRES_NS_PR, "provide-deviceID", TF_DEVICEID },
	{ PRES_NS_PR, "provide-mood", TF_MOOD },
	{ PRES_NS_PR, "provide-place-is", TF_PLACE_IS },
	{ PRES_NS_PR, "provide-place-type", TF_PLACE_TYPE },
	{ PRES_NS_PR, "provide-privacy", TF_PRIVACY },
	{ PRES_NS_PR, "provide-relationship", TF_RELATIONSHIP },
	{ PRES_NS_PR, "provide-status-icon", TF_STATUS_ICON },
	{ PRES_NS_PR, "provide-sphere", TF_SPHERE },
	{ PRES_NS_PR, "provide-time-offset", TF_TIME_OFFSET },
	{ PRES_NS_PR, "provide-note", TF_NOTE },
	{ PRES_NS_OPR, "provide-willingness", TF_WILLINGNESS },
	{ PRES_NS_OPR, "provide-network-availability", TF_NET_AVAIL },
	{ PRES_NS_OPR, "provide-session-participation", TF_SESSION_PART },
	{ PRES_NS_OPR, "provide-registration-state", TF_REG_STATE },
	{ PRES_NS_OPR, "provide-barring-state", TF_BARRING_STATE },
};
const size_t tf_bool_count = PRES_ARRAY_LEN(tf_bool_names);

/* ---- transformation sets ---------------------------------------------- */

void tf_clear(struct pres_tf *t)
{
	size_t i;

	for (i = 0; i < TL_N; i++)
		px_list_free(&t->l[i]);
	t->flags = 0;
	t->user_input = PRES_UI_FALSE;
}

int tf_merge(struct pres_tf *dst, const struct pres_tf *src)
{
	size_t i, j;
	int rc;

	dst->flags |= src->flags;
	if (src->user_input > dst->user_input)
		dst->user_input = src->user_input;
	for (i = 0; i < TL_N; i++)
		for (j = 0; j < src->l[i].n; j++)
			if ((rc = px_list_add(&dst->l[i], src->l[i].v[j])) != PRES_OK)
				return rc;
	return PRES_OK;
}

/* ---- parsing ------------------------------------------------------------ */

static void cond_free(struct pr_cond *c)
{
	size_t i;

	px_list_free(&c->a);
	for (i = 0; i < c->n_many; i++) {
		free(c->many[i].domain);
		px_list_free(&c->many[i].ex_id);
		px_list_free(&c->many[i].ex_dom);
	}
	free(c->many);
	free(c->iv);
}

void pres_rules_free(struct pres_rules *r)
{
	size_t i, j;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		for (j = 0; j < r->r[i].n_c; j++)
			cond_free(&r->r[i].c[j]);
		free(r->r[i].c);
		free(r->r[i].id);
		tf_clear(&r->r[i].tf);
	}
	free(r->r);
	free(r);
}

size_t pres_rules_count(const struct pres_rules *r)
{
	return r ? r->n : 0;
}

/* Adds an identity URI, normalized when it is a SIP/tel URI. */
static int add_uri(struct px_list *l, const char *id)
{
	char norm[URI_MAX];

	if (px_entity_norm(id, norm, sizeof(norm)) == PRES_OK)
		return px_list_add(l, norm);
	return px_list_add(l, id);
}

/* xs:dateTime → seconds since epoch. No zone: UTC. */

int px_parse_datetime(const char *s, int64_t *out)
{
	struct tm tm;
	int Y, M, D, h, m, sec, n = 0, off = 0;
	time_t t;
	const char *p;

	while (isspace((unsigned char)*s))
		s++;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &sec, &n) != 6 ||
	    n != 19)
		return PRES_EINVAL;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 24 || m > 59 || sec > 60 ||
	    h < 0 || m < 0 || sec < 0)
		return PRES_EINVAL;
	p = s + n;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return PRES_EINVAL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int zh, zm, k = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &zh, &zm, &k) != 2 || k != 5 ||
		    zh > 14 || zm > 59)
			return PRES_EINVAL;
		off = (zh * 60 + zm) * 60 * (*p == '-' ? -1 : 1);
		p += 1 + k;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p)
		return PRES_EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	t = timegm(&tm);
	*out = (int64_t)t - off;
	return PRES_OK;
}

static int parse_bool(const char *t, int *v)
{
	if (!strcmp(t, "true") || !strcmp(t, "1"))
		*v = 1;
	else if (!strcmp(t, "false") || !strcmp(t, "0"))
		*v = 0;
	else
		return PRES_EINVAL;
	return PRES_OK;
}

static int parse_identity(xmlNodePtr el, struct pr_cond *c, char *err, size_t errlen)
{
	xmlNodePtr x, e;
	int rc = PRES_OK;

	for (x = px_elem(el->children); x && rc == PRES_OK; x = px_elem(x->next)) {
		if (px_is(x, PRES_NS_CP, "one")) {
			char *id = px_attr(x, "id");
			if (!id || !id[0]) {
				px_err(err, errlen, "<one> without id");
				rc = PRES_EINVAL;
			} else {
				rc = add_uri(&c->a, id);
			}
			xmlFree(id);
		} else if (px_is(x, PRES_NS_CP, "many")) {
			struct pr_many *nm = realloc(c->many, (c->n_many + 1) * sizeof(*nm));
			struct pr_many *m;
			char *dom;

			if (!nm)
				return PRES_ENOMEM;
			c->many = nm;
			m = &c->many[c->n_many++];
			memset(m, 0, sizeof(*m));
			dom = px_attr(x, "domain");
			if (dom) {
				m->domain = strdup(dom);
				xmlFree(dom);
				if (!m->domain)
					return PRES_ENOMEM;
			}
			for (e = px_elem(x->children); e && rc == PRES_OK; e = px_elem(e->next)) {
				char *v;
				if (!px_is(e, PRES_NS_CP, "except"))
					continue;
				if ((v = px_attr(e, "id")) != NULL)
					rc = add_uri(&m->ex_id, v);
				xmlFree(v);
				if (rc == PRES_OK && (v = px_attr(e, "domain")) != NULL)
					rc = px_list_add(&m->ex_dom, v);
				xmlFree(v);
			}
		}
		/* other children: extensions of identity (RFC 4745 allows any
		 * other namespace); ignored */
	}
	return rc;
}

static int parse_conditions(xmlNodePtr el, struct pr_rule *r, char *err, size_t errlen)
{
	xmlNodePtr x, y;
	int rc = PRES_OK;

	for (x = px_elem(el->children); x && rc == PRES_OK; x = px_elem(x->next)) {
		struct pr_cond *nc = realloc(r->c, (r->n_c + 1) * sizeof(*nc));
		struct pr_cond *c;

		if (!nc)
			return PRES_ENOMEM;
		r->c = nc;
		c = &r->c[r->n_c++];
		memset(c, 0, sizeof(*c));
		if (px_is(x, PRES_NS_CP, "identity")) {
			c->kind = CK_IDENTITY;
			rc = parse_identity(x, c, err, errlen);
		} else if (px_is(x, PRES_NS_CP, "sphere")) {
			char *v = px_attr(x, "value"), *p, *q;
			c->kind = CK_SPHERE;
			if (!v) {
				px_err(err, errlen, "<sphere> without value");
				return PRES_EINVAL;
			}
			/* a space-separated list of sphere values */
			for (p = v; *p && rc == PRES_OK; p = q) {
				while (*p && isspace((unsigned char)*p))
					p++;
				for (q = p; *q && !isspace((unsigned char)*q); q++)
					;
				if (q == p)
					break;
				if (*q)
					*q++ = '\0';
				rc = px_list_add(&c->a, p);
			}
			xmlFree(v);
		} else if (px_is(x, PRES_NS_CP, "validity")) {
			int64_t from = 0;
			int have_from = 0;
			c->kind = CK_VALIDITY;
			for (y = px_elem(x->children); y && rc == PRES_OK; y = px_elem(y->next)) {
				char *t = px_text(y);
				int64_t v;
				if (!t)
					return PRES_ENOMEM;
				if (px_parse_datetime(t, &v) != PRES_OK) {
					px_err(err, errlen, "bad dateTime '%.40s'", t);
					free(t);
					return PRES_EINVAL;
				}
				free(t);
				if (px_is(y, PRES_NS_CP, "from") && !have_from) {
					from = v;
					have_from = 1;
				} else if (px_is(y, PRES_NS_CP, "until") && have_from) {
					int64_t *niv = realloc(c->iv, (c->n_iv + 2) * sizeof(*niv));
					if (!niv)
						return PRES_ENOMEM;
					c->iv = niv;
					c->iv[c->n_iv++] = from;
					c->iv[c->n_iv++] = v;
					have_from = 0;
				} else {
					px_err(err, errlen, "<validity> needs from/until pairs");
					return PRES_EINVAL;
				}
			}
			if (have_from) {
				px_err(err, errlen, "<from> without <until>");
				return PRES_EINVAL;
			}
		} else if (px_is(x, PRES_NS_OCP, "anonymous-request")) {
			c->kind = CK_ANON;
		} else if (px_is(x, PRES_NS_OCP, "other-identity")) {
			c->kind = CK_OTHER;
		} else if (px_is(x, PRES_NS_OCP, "external-list")) {
			c->kind = CK_EXTERNAL;
			for (y = px_elem(x->children); y && rc == PRES_OK; y = px_elem(y->next)) {
				char *anc;
				if (!px_is(y, PRES_NS_OCP, "entry"))
					continue;
				anc = px_attr(y, "anc");
				if (anc && anc[0])
					rc = px_list_add(&c->a, anc);
				xmlFree(anc);
			}
		} else {
			/* RFC 4745 §5: an unknown condition never matches */
			c->kind = CK_UNSUPPORTED;
		}
	}
	return rc;
}

static int parse_actions(xmlNodePtr el, struct pr_rule *r, char *err, size_t errlen)
{
	static const char *const names[] = { "block", "confirm", "polite-block", "allow" };
	xmlNodePtr x;

	for (x = px_elem(el->children); x; x = px_elem(x->next)) {
		char *t;
		size_t i;

		if (!px_is(x, PRES_NS_PR, "sub-handling"))
			continue;   /* other actions: not ours, ignored */
		if (!(t = px_text(x)))
			return PRES_ENOMEM;
		for (i = 0; i < PRES_ARRAY_LEN(names); i++)
			if (!strcmp(t, names[i]))
				break;
		if (i == PRES_ARRAY_LEN(names)) {
			px_err(err, errlen, "bad sub-handling '%.32s'", t);
			free(t);
			return PRES_EINVAL;
		}
		free(t);
		if ((int)i > r->sub)
			r->sub = (int)i;
	}
	return PRES_OK;
}

static int parse_provide_list(xmlNodePtr el, struct pres_tf *tf, unsigned all_flag,
    const char *all_name, const char *const *names, const enum tf_list *lists,
    size_t n)
{
	xmlNodePtr x;
	int rc = PRES_OK;

	for (x = px_elem(el->children); x && rc == PRES_OK; x = px_elem(x->next)) {
		size_t i;
		char *t;

		if (px_is(x, PRES_NS_PR, all_name)) {
			tf->flags |= all_flag;
			continue;
		}
		for (i = 0; i < n; i++)
			if (px_is(x, PRES_NS_PR, names[i]))
				break;
		if (i == n)
			continue;
		if (!(t = px_text(x)))
			return PRES_ENOMEM;
		if (t[0])
			rc = px_list_add(&tf->l[lists[i]], t);
		free(t);
	}
	return rc;
}

static int parse_transformations(xmlNodePtr el, struct pres_tf *tf, char *err,
    size_t errlen)
{
	static const char *const svc_n[] = { "service-uri", "service-uri-scheme", "occurrence-id", "class" };
	static const enum tf_list svc_l[] = { TL_SVC_URI, TL_SVC_SCHEME, TL_SVC_OCC, TL_SVC_CLASS };
	static const char *const per_n[] = { "occurrence-id", "class" };
	static const enum tf_list per_l[] = { TL_PERSON_OCC, TL_PERSON_CLASS };
	static const char *const dev_n[] = { "deviceID", "occurrence-id", "class" };
	static const enum tf_list dev_l[] = { TL_DEV_ID, TL_DEV_OCC, TL_DEV_CLASS };
	static const char *const ui_n[] = { "false", "bare", "thresholds", "full" };
	xmlNodePtr x;
	int rc = PRES_OK;

	for (x = px_elem(el->children); x && rc == PRES_OK; x = px_elem(x->next)) {
		size_t i;
		char *t;
		int b;

		if (px_is(x, PRES_NS_PR, "provide-services")) {
			rc = parse_provide_list(x, tf, TF_ALL_SERVICES, "all-services",
			    svc_n, svc_l, PRES_ARRAY_LEN(svc_n));
			continue;
		}
		if (px_is(x, PRES_NS_PR, "provide-persons")) {
			rc = parse_provide_list(x, tf, TF_ALL_PERSONS, "all-persons",
			    per_n, per_l, PRES_ARRAY_LEN(per_n));
			continue;
		}
		if (px_is(x, PRES_NS_PR, "provide-devices")) {
			rc = parse_provide_list(x, tf, TF_ALL_DEVICES, "all-devices",
			    dev_n, dev_l, PRES_ARRAY_LEN(dev_n));
			continue;
		}
		if (px_is(x, PRES_NS_PR, "provide-all-attributes")) {
			tf->flags |= TF_ALL_ATTRIBUTES;
			continue;
		}
		if (px_is(x, PRES_NS_PR, "provide-user-input")) {
			if (!(t = px_text(x)))
				return PRES_ENOMEM;
			for (i = 0; i < PRES_ARRAY_LEN(ui_n); i++)
				if (!strcmp(t, ui_n[i]))
					break;
			if (i == PRES_ARRAY_LEN(ui_n)) {
				px_err(err, errlen, "bad provide-user-input '%.32s'", t);
				free(t);
				return PRES_EINVAL;
			}
			free(t);
			if ((int)i > tf->user_input)
				tf->user_input = (int)i;
			continue;
		}
		if (px_is(x, PRES_NS_PR, "provide-unknown-attribute")) {
			char *ns = px_attr(x, "ns"), *name = px_attr(x, "name");
			char pair[1024];

			t = px_text(x);
			if (!t || !ns || !name || parse_bool(t, &b) != PRES_OK) {
				px_err(err, errlen, "bad provide-unknown-attribute");
				rc = t ? PRES_EINVAL : PRES_ENOMEM;
			} else if (b) {
				if (snprintf(pair, sizeof(pair), "%s %s", ns, name) >= (int)sizeof(pair))
					rc = PRES_ETOOBIG;
				else
					rc = px_list_add(&tf->l[TL_UNKNOWN], pair);
			}
			free(t);
			xmlFree(ns);
			xmlFree(name);
			continue;
		}
		for (i = 0; i < tf_bool_count; i++)
			if (px_is(x, tf_bool_names[i].ns, tf_bool_names[i].name))
				break;
		if (i == tf_bool_count)
			continue;   /* unknown transformation: ignored (RFC 4745 §10) */
		if (!(t = px_text(x)))
			return PRES_ENOMEM;
		if (parse_bool(t, &b) != PRES_OK) {
			px_err(err, errlen, "<%s> is not a boolean", (const char *)x->name);
			free(t);
			return PRES_EINVAL;
		}
		free(t);
		if (b)
			tf->flags |= tf_bool_names[i].flag;
	}
	return rc;
}

int pres_rules_parse(const char *xml, size_t len, struct pres_rules **rules,
    char *err, size_t errlen)
{
	struct pres_rules *rs;
	xmlDocPtr doc;
	xmlNodePtr root, x, y;
	int rc;

	*rules = NULL;
	if (err && errlen)
		err[0] = '\0';
	doc = px_parse(xml, len, err, errlen, &rc);
	if (!doc)
		return rc;
	root = xmlDocGetRootElement(doc);
	if (!px_is(root, PRES_NS_CP, "ruleset")) {
		px_err(err, errlen, "root is not common-policy <ruleset>");
		xmlFreeDoc(doc);
		return PRES_EINVAL;
	}
	rs = calloc(1, sizeof(*rs));
	if (!rs) {
		xmlFreeDoc(doc);
		return PRES_ENOMEM;
	}
	rc = PRES_OK;
	for (x = px_elem(root->children); x && rc == PRES_OK; x = px_elem(x->next)) {
		struct pr_rule *nr, *r;
		char *id;
		size_t i;

		if (!px_is(x, PRES_NS_CP, "rule"))
			continue;
		id = px_attr(x, "id");
		if (!id || !id[0]) {
			px_err(err, errlen, "<rule> without id");
			xmlFree(id);
			rc = PRES_EINVAL;
			break;
		}
		for (i = 0; i < rs->n; i++)
			if (!strcmp(rs->r[i].id, id))
				break;
		if (i < rs->n) {
			px_err(err, errlen, "duplicate rule id '%.64s'", id);
			xmlFree(id);
			rc = PRES_EINVAL;
			break;
		}
		nr = realloc(rs->r, (rs->n + 1) * sizeof(*nr));
		if (!nr) {
			xmlFree(id);
			rc = PRES_ENOMEM;
			break;
		}
		rs->r = nr;
		r = &rs->r[rs->n++];
		memset(r, 0, sizeof(*r));
		r->sub = -1;
		r->id = strdup(id);
		xmlFree(id);
		if (!r->id) {
			rc = PRES_ENOMEM;
			break;
		}
		for (y = px_elem(x->children); y && rc == PRES_OK; y = px_elem(y->next)) {
			if (px_is(y, PRES_NS_CP, "conditions"))
				rc = parse_conditions(y, r, err, errlen);
			else if (px_is(y, PRES_NS_CP, "actions"))
				rc = parse_actions(y, r, err, errlen);
			else if (px_is(y, PRES_NS_CP, "transformations"))
				rc = parse_transformations(y, &r->tf, err, errlen);
		}
	}
	xmlFreeDoc(doc);
	if (rc != PRES_OK) {
		pres_rules_free(rs);
		return rc;
	}
	*rules = rs;
	return PRES_OK;
}

/* ---- evaluation --------------------------------------------------------- */

struct wctx {
	int known;                  /* authenticated, not anonymous */
	int anonymous;
	char uri[URI_MAX];          /* normalized */
	char domain[256];
};

static int identity_match(const struct pr_cond *c, const struct wctx *w)
{
	size_t i;

	if (!w->known)
		return 0;
	if (px_list_has(&c->a, w->uri))
		return 1;
	for (i = 0; i < c->n_many; i++) {
		const struct pr_many *m = &c->many[i];
		if (m->domain && (!w->domain[0] || strcasecmp(m->domain, w->domain)))
			continue;
		if (px_list_has(&m->ex_id, w->uri))
			continue;
		if (w->domain[0] && px_list_has_ci(&m->ex_dom, w->domain))
			continue;
		return 1;
	}
	return 0;
}

static int external_match(const struct pr_cond *c, const struct wctx *w,
    pres_list_member_cb is_member, void *arg)
{
	size_t i;

	if (!w->known || !is_member)
		return 0;
	for (i = 0; i < c->a.n; i++)
		if (is_member(c->a.v[i], w->uri, arg) == 1)
			return 1;
	return 0;
}

static int validity_match(const struct pr_cond *c, int64_t now)
{
	size_t i;

	for (i = 0; i + 1 < c->n_iv; i += 2)
		if (now >= c->iv[i] && now < c->iv[i + 1])
			return 1;
	return 0;
}

int pres_rules_eval(const struct pres_rules *r, const struct pres_watcher *w,
    int64_t now, const char *sphere, pres_list_member_cb is_member, void *arg,
    struct pres_decision *out)
{
	struct wctx wc;
	size_t i, j, k, total = 0;
	signed char *res = NULL;
	int any_id = 0, rc = PRES_OK;
	int best = -1;

	if (!out)
		return PRES_EINVAL;
	memset(out, 0, sizeof(*out));
	out->sub_handling = PRES_SUB_BLOCK;
	if (!w)
		return PRES_EINVAL;
	out->tf = calloc(1, sizeof(*out->tf));
	if (!out->tf)
		return PRES_ENOMEM;
	if (!r || r->n == 0)
		return PRES_OK;

	memset(&wc, 0, sizeof(wc));
	wc.anonymous = w->anonymous || !w->uri;
	if (!wc.anonymous) {
		if (px_entity_norm(w->uri, wc.uri, sizeof(wc.uri)) == PRES_OK) {
			wc.known = 1;
		} else {
			wc.anonymous = 1;   /* unusable identity: anonymous */
		}
	}
	if (wc.known) {
		const char *at = strchr(wc.uri, '@');
		if (w->domain && w->domain[0])
			pres_strlcpy(wc.domain, w->domain, sizeof(wc.domain));
		else if (at)
			pres_strlcpy(wc.domain, at + 1, sizeof(wc.domain));
	}

	for (i = 0; i < r->n; i++)
		total += r->r[i].n_c;
	res = calloc(total ? total : 1, 1);
	if (!res)
		return PRES_ENOMEM;
	/* pass 1: identity-type conditions; they also decide other-identity
	 * (OMA: matches when the watcher matches no identity, external-list
	 * or anonymous-request condition of any rule) */
	for (i = 0, k = 0; i < r->n; i++) {
		for (j = 0; j < r->r[i].n_c; j++, k++) {
			const struct pr_cond *c = &r->r[i].c[j];
			switch (c->kind) {
			case CK_IDENTITY:
				res[k] = (signed char)identity_match(c, &wc);
				break;
			case CK_EXTERNAL:
				res[k] = (signed char)external_match(c, &wc, is_member, arg);
				break;
			case CK_ANON:
				res[k] = (signed char)wc.anonymous;
				break;
			default:
				continue;
			}
			any_id |= res[k];
		}
	}
	/* pass 2: a rule matches when all its conditions hold (RFC 4745 §10) */
	for (i = 0, k = 0; i < r->n; i++) {
		const struct pr_rule *ru = &r->r[i];
		int match = 1;

		for (j = 0; j < ru->n_c; j++, k++) {
			const struct pr_cond *c = &ru->c[j];
			int m = 0;

			switch (c->kind) {
			case CK_IDENTITY:
			case CK_EXTERNAL:
			case CK_ANON:
				m = res[k];
				break;
			case CK_OTHER:
				m = !any_id;
				break;
			case CK_SPHERE:
				m = sphere && px_list_has_ci(&c->a, sphere);
				break;
			case CK_VALIDITY:
				m = validity_match(c, now);
				break;
			case CK_UNSUPPORTED:
				m = 0;
				break;
			}
			if (!m)
				match = 0;
		}
		if (!match)
			continue;
		out->rules_matched++;
		if (ru->sub > best)
			best = ru->sub;
		if ((rc = tf_merge(out->tf, &ru->tf)) != PRES_OK)
			break;
	}
	free(res);
	/* no sub-handling in any matching rule: the permission is absent,
	 * which is block (RFC 5025 §3.2.1, RFC 4745 §10) */
	out->sub_handling = best < 0 ? PRES_SUB_BLOCK : (enum pres_sub_handling)best;
	return rc;
}

int pres_decision_allow_all(struct pres_decision *out)
{
	memset(out, 0, sizeof(*out));
	out->tf = calloc(1, sizeof(*out->tf));
	if (!out->tf)
		return PRES_ENOMEM;
	out->sub_handling = PRES_SUB_ALLOW;
	out->rules_matched = 1;
	out->tf->flags = TF_ALL_SERVICES | TF_ALL_PERSONS | TF_ALL_DEVICES |
	    TF_ALL_ATTRIBUTES;
	out->tf->user_input = PRES_UI_FULL;
	return PRES_OK;
}

void pres_decision_clear(struct pres_decision *d)
{
	if (!d)
		return;
	if (d->tf) {
		tf_clear(d->tf);
		free(d->tf);
	}
	memset(d, 0, sizeof(*d));
}
