# auth/: GBA part (Milenage, KDF, BSF, Zn, NAF key cache, GUSS) and the GBA test UE.
# Builds auth/libgba.a for now; the lead may fold these sources into
# auth/libauth.a (auth_libauth_a_SOURCES += ...) once auth/local.mk defines it.
noinst_LIBRARIES += auth/libgba.a
auth_libgba_a_SOURCES = auth/gba.h auth/milenage.c auth/kdf.c auth/bsf.c auth/zn.c \
	auth/naf.c auth/guss.c auth/gba_digest.c
auth_libgba_a_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS) $(XML2_CFLAGS) $(SQLITE_CFLAGS)

bin_PROGRAMS += tools/gba-ue
tools_gba_ue_SOURCES = tools/gba-ue.c
tools_gba_ue_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(CRYPTO_CFLAGS) $(XML2_CFLAGS)
tools_gba_ue_LDADD = auth/libgba.a server/libbase.a $(CURL_LIBS) $(CRYPTO_LIBS) \
	$(XML2_LIBS) -lssl

check_PROGRAMS += tests/unit/check_gba
TESTS += tests/unit/check_gba
tests_unit_check_gba_SOURCES = tests/unit/check_gba.c
tests_unit_check_gba_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(CRYPTO_CFLAGS) $(XML2_CFLAGS)
tests_unit_check_gba_LDADD = auth/libgba.a db/libdb.a server/libbase.a $(CHECK_LIBS) \
	$(CRYPTO_LIBS) $(XML2_LIBS) $(SQLITE_LIBS)
