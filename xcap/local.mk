# xcap/: the XCAP document store (RFC 4825) and its application usages.
noinst_LIBRARIES += xcap/libxcap.a
xcap_libxcap_a_SOURCES = xcap/xcap.h xcap/xcap_int.h xcap/xcap.c xcap/xcap_uri.c \
	xcap/xcap_node.c xcap/xcap_au.c
xcap_libxcap_a_CFLAGS = $(AM_CFLAGS) $(XML2_CFLAGS) $(CRYPTO_CFLAGS)

schemasdir = $(pkgdatadir)/schemas
dist_schemas_DATA = xcap/schemas/common-policy.xsd xcap/schemas/pres-rules.xsd \
	xcap/schemas/oma-pres-rules.xsd xcap/schemas/resource-lists.xsd \
	xcap/schemas/rls-services.xsd xcap/schemas/pidf.xsd xcap/schemas/xcap-error.xsd

check_PROGRAMS += tests/unit/check_xcap
TESTS += tests/unit/check_xcap
tests_unit_check_xcap_SOURCES = tests/unit/check_xcap.c
tests_unit_check_xcap_CPPFLAGS = $(AM_CPPFLAGS) -DXCAP_SCHEMA_DIR='"$(srcdir)/xcap/schemas"' \
	-DXCAP_TEST_DATA='"$(srcdir)/tests/data/xcap"'
tests_unit_check_xcap_CFLAGS = $(AM_CFLAGS) $(XML2_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_xcap_LDADD = xcap/libxcap.a db/libdb.a server/libbase.a $(XML2_LIBS) \
	$(SQLITE_LIBS) $(CRYPTO_LIBS) $(CHECK_LIBS)
