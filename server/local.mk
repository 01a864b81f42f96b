# server/: base layer (libbase.a: logging, result codes, helpers) and the
# daemon itself (main, config, wiring).
noinst_LIBRARIES += server/libbase.a
server_libbase_a_SOURCES = server/pres.h server/log.c server/util.c

sbin_PROGRAMS += presenced
presenced_SOURCES = server/main.c server/cfg.c server/cfg.h server/http.c server/http.h \
	server/wire.c server/wire.h server/alloc.c server/alloc.h
presenced_CFLAGS = $(AM_CFLAGS) $(SOFIA_CFLAGS) $(MHD_CFLAGS) $(GNUTLS_CFLAGS) \
	$(XML2_CFLAGS) $(CONFUSE_CFLAGS) $(CURL_CFLAGS) $(CRYPTO_CFLAGS) $(JEMALLOC_CFLAGS)
presenced_LDADD = ap/libap.a xcap/libxcap.a sip/libsip.a presence/libpresence.a auth/libauth.a \
	db/libdb.a server/libbase.a $(SOFIA_LIBS) $(MHD_LIBS) $(GNUTLS_LIBS) $(XML2_LIBS) \
	$(SQLITE_LIBS) $(CRYPTO_LIBS) $(CONFUSE_LIBS) $(CURL_LIBS) $(JEMALLOC_LIBS) -lpthread

check_PROGRAMS += tests/unit/check_base
TESTS += tests/unit/check_base
tests_unit_check_base_SOURCES = tests/unit/check_base.c
tests_unit_check_base_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_base_LDADD = server/libbase.a $(CHECK_LIBS)
