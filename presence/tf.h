/*
 * tf.h - the transformation set of a pres-rules decision (private).
 */
#ifndef PRESENCE_TF_H
#define PRESENCE_TF_H

#include "px.h"

/* boolean permissions; combined with OR (RFC 4745 §10.1) */
enum {
	TF_ALL_SERVICES     = 1u << 0,
	TF_ALL_PERSONS      = 1u << 1,
	TF_ALL_DEVICES      = 1u << 2,
	TF_ALL_ATTRIBUTES   = 1u << 3,
	TF_ACTIVITIES       = 1u << 4,
	TF_CLASS            = 1u << 5,
	TF_DEVICEID         = 1u << 6,
	TF_MOOD             = 1u << 7,
	TF_PLACE_IS         = 1u << 8,
	TF_PLACE_TYPE       = 1u << 9,
	TF_PRIVACY          = 1u << 10,
	TF_RELATIONSHIP     = 1u << 11,
	TF_STATUS_ICON      = 1u << 12,
	TF_SPHERE           = 1u << 13,
	TF_TIME_OFFSET      = 1u << 14,
	TF_NOTE             = 1u << 15,
	/* OMA Presence SIMPLE extensions (urn:oma:xml:prs:pres-rules) */
	TF_WILLINGNESS      = 1u << 16,
	TF_NET_AVAIL        = 1u << 17,
	TF_SESSION_PART     = 1u << 18,
	TF_REG_STATE        = 1u << 19,
	TF_BARRING_STATE    = 1u << 20,
};

enum tf_list {
	TL_SVC_URI, TL_SVC_SCHEME, TL_SVC_OCC, TL_SVC_CLASS,
	TL_PERSON_OCC, TL_PERSON_CLASS,
	TL_DEV_ID, TL_DEV_OCC, TL_DEV_CLASS,
	TL_UNKNOWN,          /* "ns name" pairs (provide-unknown-attribute) */
	TL_N
};

struct pres_tf {
	unsigned flags;
	int user_input;                 /* enum pres_user_input */
	struct px_list l[TL_N];         /* sets, combined by union */
};

/** Unites @p src into @p dst (RFC 4745 §10 combination). */
int tf_merge(struct pres_tf *dst, const struct pres_tf *src);
void tf_clear(struct pres_tf *t);

/** Boolean-permission element names (pres-rules ns) and their flags. */
struct tf_name {
	const char *ns;
	const char *name;
	unsigned flag;
};
extern const struct tf_name tf_bool_names[];
extern const size_t tf_bool_count;

#endif
