# presence/: pure document and policy logic (PIDF, composition, pres-rules,
# watcherinfo, RLMI, xcap-diff, filters). Depends on libxml2 and server/ base.
noinst_LIBRARIES += presence/libpresence.a
presence_libpresence_a_SOURCES = presence/presence.h presence/px.h presence/tf.h \
	presence/px.c presence/pidf.c presence/rules.c presence/transform.c \
	presence/build.c presence/filter.c
presence_libpresence_a_CFLAGS = $(AM_CFLAGS) $(XML2_CFLAGS)

check_PROGRAMS += tests/unit/check_presence
TESTS += tests/unit/check_presence
tests_unit_check_presence_SOURCES = tests/unit/check_presence.c
tests_unit_check_presence_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(XML2_CFLAGS) \
	-DPRES_TEST_DATA='"$(abs_top_srcdir)/tests/data/presence"'
tests_unit_check_presence_LDADD = presence/libpresence.a server/libbase.a \
	$(XML2_LIBS) $(CHECK_LIBS)
