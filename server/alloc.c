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
 * transaction for Timer J (32 s) with its request and response, about 10 KB,
 * so its heap follows the request rate of the last 32 s: it grows by that
 * much per request under rising load and frees as much as it takes in a
 * steady state.
 * - thp: huge pages (the kernel's madvise mode of transparent huge pages) for
 *   the heap, one page fault per 2 MiB of growth instead of one per 4 KiB; on
 *   a virtual machine those faults were a quarter of a PUBLISH's CPU time.
 * - no decay: freed pages stay with the process for the next transactions
 *   (as glibc's malloc keeps what it frees below the top of its heaps). With
 *   jemalloc's default 10 s decay, the steady state purged and faulted pages
 *   back in all the time, each purge a TLB shootdown across CPUs.
 * Measurements: bench/sip/README.md.
 */
const char *malloc_conf = "thp:always,metadata_thp:always,dirty_decay_ms:-1,muzzy_decay_ms:-1";

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
