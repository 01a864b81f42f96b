/* stub.c - placeholder implementations (replaced module by module). */
#include <stdlib.h>
#include "presence.h"

#define NOOUT do { if (out) *out = NULL; if (out_len) *out_len = 0; } while (0)

const char PRES_XD_BODY_NOT_CHANGED[] = "";

int pres_pidf_check(const char *body, size_t len, const char *presentity, char *err, size_t errlen) { return PRES_EINVAL; }
int pres_pidf_sphere(const char *pidf, size_t len, char *buf, size_t size) { return PRES_EINVAL; }
int pres_compose(const char *presentity, const struct pres_pub_in *pubs, size_t n, const char *manip, size_t manip_len, char **out, size_t *out_len) { NOOUT; return PRES_EINVAL; }
int pres_neutral(const char *presentity, char **out, size_t *out_len) { NOOUT; return PRES_EINVAL; }
int pres_rules_parse(const char *xml, size_t len, struct pres_rules **rules, char *err, size_t errlen) { *rules = NULL; return PRES_EINVAL; }
void pres_rules_free(struct pres_rules *r) { }
size_t pres_rules_count(const struct pres_rules *r) { return 0; }
int pres_rules_eval(const struct pres_rules *r, const struct pres_watcher *w, int64_t now, const char *sphere, pres_list_member_cb is_member, void *arg, struct pres_decision *o) { o->sub_handling = PRES_SUB_BLOCK; o->rules_matched = 0; o->tf = NULL; return PRES_EINVAL; }
int pres_decision_allow_all(struct pres_decision *o) { o->tf = NULL; return PRES_EINVAL; }
void pres_decision_clear(struct pres_decision *d) { }
int pres_decision_key(const struct pres_decision *d, char *buf, size_t len) { return PRES_EINVAL; }
char *pres_decision_key_dup(const struct pres_decision *d) { return NULL; }
int pres_transform(const struct pres_decision *d, const char *pidf, size_t len, char **out, size_t *out_len) { NOOUT; return PRES_EINVAL; }
int pres_winfo_build(const char *resource, const char *package, unsigned version, int full_state, const struct pres_winfo_watcher *w, size_t n, char **out, size_t *out_len) { NOOUT; return PRES_EINVAL; }
int pres_rlmi_build(const char *uri, unsigned version, int full_state, const char *name, const struct pres_rlmi_resource *res, size_t n, char **out, size_t *out_len) { NOOUT; return PRES_EINVAL; }
int pres_multipart_build(const char *boundary, const char *root_cid, const char *root_type, const struct pres_mime_part *parts, size_t n, char **out, size_t *out_len, char **ctype) { NOOUT; if (ctype) *ctype = NULL; return PRES_EINVAL; }
int pres_xcapdiff_build(const char *xcap_root, const struct pres_xcapdiff_entry *e, size_t n, char **out, size_t *out_len) { NOOUT; return PRES_EINVAL; }
int pres_filter_parse(const char *xml, size_t len, struct pres_filter **f, char *err, size_t errlen) { *f = NULL; return PRES_EINVAL; }
void pres_filter_free(struct pres_filter *f) { }
int pres_filter_apply(const struct pres_filter *f, const char *pidf, size_t len, char **out, size_t *out_len) { NOOUT; return PRES_EINVAL; }
int pres_filter_triggered(const struct pres_filter *f, const char *old_pidf, size_t old_len, const char *new_pidf, size_t new_len) { return PRES_EINVAL; }
