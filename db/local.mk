# db/: storage interface (db.h) and its SQLite implementation (libdb.a).
noinst_LIBRARIES += db/libdb.a
db_libdb_a_SOURCES = db/db.h db/db_int.h db/db_open.c db/db_subscriber.c \
	db/db_xcap.c db/db_pub.c db/db_subs.c db/db_gba.c
db_libdb_a_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(CRYPTO_CFLAGS)

check_PROGRAMS += tests/unit/check_db
TESTS += tests/unit/check_db
tests_unit_check_db_SOURCES = tests/unit/check_db.c
tests_unit_check_db_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SQLITE_CFLAGS)
tests_unit_check_db_LDADD = db/libdb.a server/libbase.a $(SQLITE_LIBS) $(CRYPTO_LIBS) $(CHECK_LIBS)
