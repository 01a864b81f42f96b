# presence/: pure document and policy logic (PIDF, composition, pres-rules,
# watcherinfo, RLMI, xcap-diff, filters). Depends on libxml2 and server/ base.
noinst_LIBRARIES += presence/libpresence.a
presence_libpresence_a_SOURCES = presence/presence.h presence/stub.c
presence_libpresence_a_CFLAGS = $(AM_CFLAGS) $(XML2_CFLAGS)
