/* wire.h - creates the modules in order, connects their events, stops them. */
#ifndef PRES_WIRE_H
#define PRES_WIRE_H

#include "cfg.h"

struct wire;

/** Semantic checks that need the file system (certificates, schemas). 0 = OK. */
int wire_check(const struct pres_cfg *cfg);
/** Starts everything; returns 0 or a sysexits code (and logs why). */
int wire_start(const struct pres_cfg *cfg, struct wire **out);
/** Stops in reverse order; in-flight requests finish; database closed. */
void wire_stop(struct wire *w);

#endif
