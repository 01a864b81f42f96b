/*
 * transform.c - applies a pres-rules decision to a composed PIDF document
 * (RFC 5025 §3.3) and gives decisions a canonical key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tf.h"

enum ctx { CTX_ROOT, CTX_TUPLE, CTX_STATUS, CTX_PERSON, CTX_DEVICE };

static const struct tf_name rpid_attrs[] = {
	{ PRES_NS_RPID, "activities", TF_ACTIVITIES },
	{ PRES_NS_RPID, "class", TF_CLASS },
	{ PRES_NS_RPID, "mood", TF_MOOD },
	{ PRES_NS_RPID, "place-is", TF_PLACE_IS },
	{ PRES_NS_RPID, "place-type", TF_PLACE_TYPE },
	{ PRES_NS_RPID, "privacy", TF_PRIVACY },
	{ PRES_NS_RPID, "relationship", TF_RELATIONSHIP },
	{ PRES_NS_RPID, "status-icon", TF_STATUS_ICON },
	{ PRES_NS_RPID, "sphere", TF_SPHERE },
	{ PRES_NS_RPID, "time-offset", TF_TIME_OFFSET },
	{ PX_NS_OMA_PIDF, "willingness", TF_WILLINGNESS },
	{ PX_NS_OMA_PIDF, "network-availability", TF_NET_AVAIL },
	{ PX_NS_OMA_PIDF, "session-participation", TF_SESSION_PART },
	{ PX_NS_OMA_PIDF, "registration-state", TF_REG_STATE },
	{ PX_NS_OMA_PIDF, "barring-state", TF_BARRING_STATE },
};

static int child_text_in(xmlNodePtr n, const char *ns, const char *name,
    const struct px_list *l)
{
	xmlNodePtr c;
	int hit = 0;

	if (l->n == 0)
		return 0;
	for (c = px_elem(n->children); c && !hit; c = px_elem(c->next)) {
		char *t;
		if (!px_is(c, ns, name))
			continue;
		if ((t = px_text(c)) != NULL) {
			hit = px_list_has(l, t);
			free(t);
		}
	}
	return hit;
}

static int attr_in(xmlNodePtr n, const char *attr, const struct px_list *l)
{
	char *v;
	int hit;

	if (l->n == 0)
		return 0;
	v = px_attr(n, attr);
	hit = v && px_list_has(l, v);
	xmlFree(v);
	return hit;
}

static int service_provided(xmlNodePtr t, const struct pres_tf *tf)
{
	xmlNodePtr c;
	size_t i;

	if (tf->flags & TF_ALL_SERVICES)
		return 1;
	if (attr_in(t, "id", &tf->l[TL_SVC_OCC]) ||
	    child_text_in(t, PRES_NS_RPID, "class", &tf->l[TL_SVC_CLASS]))
		return 1;
	/* the service URI of a tuple is its <contact> (RFC 4479 §3.1) */
	c = px_child(t, PRES_NS_PIDF, "contact");
	if (c && (tf->l[TL_SVC_URI].n || tf->l[TL_SVC_SCHEME].n)) {
		char *u = px_text(c);
		const char *colon = u ? strchr(u, ':') : NULL;
		int hit = 0;

		for (i = 0; u && i < tf->l[TL_SVC_URI].n && !hit; i++)
			hit = !strcmp(u, tf->l[TL_SVC_URI].v[i]) ||
			    pres_uri_equal(u, tf->l[TL_SVC_URI].v[i]);
		for (i = 0; colon && i < tf->l[TL_SVC_SCHEME].n && !hit; i++) {
			const char *s = tf->l[TL_SVC_SCHEME].v[i];
			hit = strlen(s) == (size_t)(colon - u) &&
			    strncasecmp(u, s, (size_t)(colon - u)) == 0;
		}
		free(u);
		return hit;
	}
	return 0;
}

static int person_provided(xmlNodePtr p, const struct pres_tf *tf)
{
	return (tf->flags & TF_ALL_PERSONS) ||
	    attr_in(p, "id", &tf->l[TL_PERSON_OCC]) ||
	    child_text_in(p, PRES_NS_RPID, "class", &tf->l[TL_PERSON_CLASS]);
}

static int device_provided(xmlNodePtr d, const struct pres_tf *tf)
{
	return (tf->flags & TF_ALL_DEVICES) ||
	    attr_in(d, "id", &tf->l[TL_DEV_OCC]) ||
	    child_text_in(d, PRES_NS_DM, "deviceID", &tf->l[TL_DEV_ID]) ||
	    child_text_in(d, PRES_NS_RPID, "class", &tf->l[TL_DEV_CLASS]);
}

static int unknown_allowed(xmlNodePtr c, const struct pres_tf *tf)
{
	char pair[1024];

	if (snprintf(pair, sizeof(pair), "%s %s", px_href(c),
	    (const char *)c->name) >= (int)sizeof(pair))
		return 0;
	return px_list_has(&tf->l[TL_UNKNOWN], pair);
}

/* Is child element @p c of a @p ctx element an attribute the watcher may see? */
static int attr_allowed(xmlNodePtr c, enum ctx ctx, const struct pres_tf *tf)
{
	size_t i;

	if (tf->flags & TF_ALL_ATTRIBUTES)
		return 1;
	if (px_is(c, PRES_NS_PIDF, NULL)) {
		/* the status/basic, contact and timestamp of a provided
		 * service are part of the service itself */
		if (!strcmp((const char *)c->name, "note"))
			return (tf->flags & TF_NOTE) != 0;
		return ctx != CTX_ROOT;
	}
	if (px_is(c, PRES_NS_DM, NULL)) {
		if (!strcmp((const char *)c->name, "deviceID"))
			return ctx == CTX_DEVICE || (tf->flags & TF_DEVICEID);
		if (!strcmp((const char *)c->name, "timestamp"))
			return 1;
		if (!strcmp((const char *)c->name, "note"))
			return (tf->flags & TF_NOTE) != 0;
		return unknown_allowed(c, tf);
	}
	if (px_is(c, PRES_NS_RPID, "user-input"))
		return tf->user_input > PRES_UI_FALSE;
	if (px_is(c, PX_NS_OMA_PIDF, "service-description") && ctx == CTX_TUPLE)
		return 1;   /* names the service, like <contact> */
	for (i = 0; i < PRES_ARRAY_LEN(rpid_attrs); i++)
		if (px_is(c, rpid_attrs[i].ns, rpid_attrs[i].name))
			return (tf->flags & rpid_attrs[i].flag) != 0;
	return unknown_allowed(c, tf);
}

static void strip(xmlNodePtr el, enum ctx ctx, const struct pres_tf *tf)
{
	xmlNodePtr c, next;
	int ui = (tf->flags & TF_ALL_ATTRIBUTES) ? PRES_UI_FULL : tf->user_input;

	for (c = px_elem(el->children); c; c = next) {
		next = px_elem(c->next);
		if (!attr_allowed(c, ctx, tf)) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
			continue;
		}
		if (px_is(c, PRES_NS_PIDF, "status") && ctx == CTX_TUPLE)
			strip(c, CTX_STATUS, tf);
		if (px_is(c, PRES_NS_RPID, "user-input")) {
			if (ui < PRES_UI_THRESHOLDS)
				xmlUnsetProp(c, (const xmlChar *)"idle-threshold");
			if (ui < PRES_UI_FULL)
				xmlUnsetProp(c, (const xmlChar *)"last-input");
		}
	}
}

int pres_transform(const struct pres_decision *d, const char *pidf, size_t len,
    char **out, size_t *out_len)
{
	xmlDocPtr doc;
	xmlNodePtr root, c, next;
	const struct pres_tf *tf;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (!d || !d->tf)
		return PRES_EINVAL;
	tf = d->tf;
	if (d->sub_handling != PRES_SUB_ALLOW && d->sub_handling != PRES_SUB_POLITE_BLOCK)
		return PRES_EAUTH;
	doc = px_parse(pidf, len, NULL, 0, &rc);
	if (!doc)
		return rc;
	root = xmlDocGetRootElement(doc);
	if (!px_is(root, PRES_NS_PIDF, "presence")) {
		xmlFreeDoc(doc);
		return PRES_EINVAL;
	}
	px_strip_misc((xmlNodePtr)doc);
	if (d->sub_handling == PRES_SUB_POLITE_BLOCK) {
		char *entity = px_attr(root, "entity");
		rc = entity ? pres_neutral(entity, out, out_len) : PRES_EINVAL;
		xmlFree(entity);
		xmlFreeDoc(doc);
		return rc;
	}
	for (c = px_elem(root->children); c; c = next) {
		int keep;
		enum ctx ctx = CTX_ROOT;

		next = px_elem(c->next);
		if (px_is(c, PRES_NS_PIDF, "tuple")) {
			keep = service_provided(c, tf);
			ctx = CTX_TUPLE;
		} else if (px_is(c, PRES_NS_DM, "person")) {
			keep = person_provided(c, tf);
			ctx = CTX_PERSON;
		} else if (px_is(c, PRES_NS_DM, "device")) {
			keep = device_provided(c, tf);
			ctx = CTX_DEVICE;
		} else {
			keep = attr_allowed(c, CTX_ROOT, tf);
		}
		if (!keep) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		} else if (ctx != CTX_ROOT) {
			strip(c, ctx, tf);
		}
	}
	rc = px_dump(doc, out, out_len);
	xmlFreeDoc(doc);
	return rc;
}

/* ---- canonical key ------------------------------------------------------ */

struct kbuf {
	char *p;
	size_t n, cap;
	int oom;
};

static void kput(struct kbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t nc = (b->cap ? b->cap * 2 : 128);
		char *np;
		while (nc < b->n + n + 1)
			nc *= 2;
		np = realloc(b->p, nc);
		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void kputs(struct kbuf *b, const char *s)
{
	kput(b, s, strlen(s));
}

/* escapes the separators so that distinct sets give distinct keys */
static void kput_esc(struct kbuf *b, const char *s)
{
	char e[4];

	for (; *s; s++) {
		if (*s == '%' || *s == ';' || *s == ',' || *s == '=') {
			snprintf(e, sizeof(e), "%%%02X", (unsigned char)*s);
			kput(b, e, 3);
		} else {
			kput(b, s, 1);
		}
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *pres_decision_key_dup(const struct pres_decision *d)
{
	struct kbuf b = { 0 };
	char tmp[64];
	size_t i, j;

	if (!d)
		return NULL;
	snprintf(tmp, sizeof(tmp), "s=%d", (int)d->sub_handling);
	kputs(&b, tmp);
	if (d->sub_handling == PRES_SUB_ALLOW && d->tf) {
		snprintf(tmp, sizeof(tmp), ";f=%x;u=%d", d->tf->flags, d->tf->user_input);
		kputs(&b, tmp);
		for (i = 0; i < TL_N; i++) {
			const struct px_list *l = &d->tf->l[i];
			char **sorted;

			if (l->n == 0)
				continue;
			sorted = malloc(l->n * sizeof(*sorted));
			if (!sorted) {
				free(b.p);
				return NULL;
			}
			memcpy(sorted, l->v, l->n * sizeof(*sorted));
			qsort(sorted, l->n, sizeof(*sorted), cmp_str);
			snprintf(tmp, sizeof(tmp), ";%zu=", i);
			kputs(&b, tmp);
			for (j = 0; j < l->n; j++) {
				if (j)
					kputs(&b, ",");
				kput_esc(&b, sorted[j]);
			}
			free(sorted);
		}
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

int pres_decision_key(const struct pres_decision *d, char *buf, size_t len)
{
	char *k = pres_decision_key_dup(d);
	int rc;

	if (!k)
		return d ? PRES_ENOMEM : PRES_EINVAL;
	rc = pres_strlcpy(buf, k, len);
	free(k);
	return rc;
}
