# ap/: the Authentication Proxy's forwarding half (libcurl reverse proxy).
# The authentication half is in server/wire.c (shared with the XCAP server).
noinst_LIBRARIES += ap/libap.a
ap_libap_a_SOURCES = ap/ap.h ap/ap.c
ap_libap_a_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS)

check_PROGRAMS += tests/unit/check_ap
TESTS += tests/unit/check_ap
tests_unit_check_ap_SOURCES = tests/unit/check_ap.c
tests_unit_check_ap_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(CURL_CFLAGS)
tests_unit_check_ap_LDADD = ap/libap.a server/libbase.a $(CURL_LIBS) $(CHECK_LIBS) -lpthread
