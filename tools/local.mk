# tools/: presencectl (provisioning and inspection of the database).
bin_PROGRAMS += presencectl
presencectl_SOURCES = tools/presencectl.c
presencectl_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS) $(XML2_CFLAGS)
presencectl_LDADD = presence/libpresence.a db/libdb.a server/libbase.a $(XML2_LIBS) $(SQLITE_LIBS) $(CRYPTO_LIBS)

TESTS += tests/unit/test_presencectl.sh
EXTRA_DIST += tests/unit/test_presencectl.sh
