/*
 * alloc.h - which malloc serves presenced, and how it is tuned.
 *
 * Built with jemalloc (the default; configure --without-jemalloc, and every
 * sanitizer build, use the C library's malloc instead), presenced asks it to
 * back its heap with transparent huge pages: see docs/architecture.md ("Memory allocator").
 */
#ifndef PRES_ALLOC_H
#define PRES_ALLOC_H

#include <stddef.h>

/* Writes a one-line description of the allocator in use into buf (at most
 * len bytes, NUL-terminated), e.g. "jemalloc 5.3.0-0-g54eaed1d (thp always)"
 * or "C library malloc". Returns 0 if the allocator is the one this binary
 * was built for, -1 if not (a jemalloc build whose malloc() calls do not
 * reach jemalloc). */
int pres_alloc_describe(char *buf, size_t len);

#endif
