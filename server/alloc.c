/*
 * alloc.c - the allocator's build-time settings and its self-description.
 */
#include "config.h"
#include "alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_JEMALLOC
#include <jemalloc/jemalloc.h>

/*
 * Read by jemalloc when the process starts (MALLOC_CONF in the environment
 * still overrides it). The SIP engine keeps every completed UDP server
 * transaction for Timer J (32 s) and so grows its heap by about 10 KB per
 * request under load; with 4 KiB pages each page of that growth costs a page
 * fault, which on a virtual machine made up a quarter of a PUBLISH's CPU time.
 * Huge pages (madvise mode of the kernel's transparent huge pages) take one
 * fault per 2 MiB. Measurements: bench/sip/README.md.
 */
const char *malloc_conf = "thp:always,metadata_thp:always";

int pres_alloc_describe(char *buf, size_t len)
{
	const char *version = "?", *thp = "?";
	size_t sz = sizeof(const char *);
	uint64_t before = 0, after = 0;
	size_t usz = sizeof(uint64_t);

	mallctl("version", &version, &sz, NULL, 0);
	sz = sizeof(const char *);
	mallctl("opt.thp", &thp, &sz, NULL, 0);
	/* Does a plain malloc() from this file reach jemalloc? Its per-thread
	 * counter of allocated bytes says so. */
	mallctl("thread.allocated", &before, &usz, NULL, 0);
	void *volatile probe = malloc(4096);
	usz = sizeof(uint64_t);
	mallctl("thread.allocated", &after, &usz, NULL, 0);
	free(probe);
	/* "5.3.0-0-g54eaed1d..." -> "5.3.0" */
	snprintf(buf, len, "jemalloc %.*s (thp %s)", (int)strcspn(version, "-"), version, thp);
	return after > before ? 0 : -1;
}
#else
int pres_alloc_describe(char *buf, size_t len)
{
	snprintf(buf, len, "C library malloc");
	return 0;
}
#endif
