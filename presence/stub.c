/* stub.c - placeholder for the filter functions (replaced by filter.c). */
#include <stdlib.h>
#include "presence.h"

int pres_filter_parse(const char *xml, size_t len, struct pres_filter **f, char *err, size_t errlen) { *f = NULL; return PRES_EINVAL; }
void pres_filter_free(struct pres_filter *f) { }
int pres_filter_apply(const struct pres_filter *f, const char *pidf, size_t len, char **out, size_t *out_len) { *out = NULL; *out_len = 0; return PRES_EINVAL; }
int pres_filter_triggered(const struct pres_filter *f, const char *old_pidf, size_t old_len, const char *new_pidf, size_t new_len) { return PRES_EINVAL; }
