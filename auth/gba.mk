# auth/: GBA part (Milenage, KDF, BSF, Zn, NAF key cache, GUSS) and the GBA test UE.
# Sources go into auth/libauth.a, which auth/local.mk defines.
auth_libauth_a_SOURCES += auth/gba.h auth/milenage.c auth/kdf.c auth/gba_digest.c \
	auth/bsf.c auth/zn.c auth/naf.c auth/guss.c
auth_libauth_a_CFLAGS += $(XML2_CFLAGS) $(SQLITE_CFLAGS)

bin_PROGRAMS += tools/gba-ue
tools_gba_ue_SOURCES = tools/gba-ue.c
tools_gba_ue_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(CRYPTO_CFLAGS) $(XML2_CFLAGS)
# -lssl: SSL_get_current_cipher() on libcurl's OpenSSL handle (configure only
# checks libcrypto; see the report).
tools_gba_ue_LDADD = auth/libauth.a server/libbase.a $(CURL_LIBS) $(CRYPTO_LIBS) \
	$(XML2_LIBS) $(SSL_LIBS)

check_PROGRAMS += tests/unit/check_gba
TESTS += tests/unit/check_gba
tests_unit_check_gba_SOURCES = tests/unit/check_gba.c
tests_unit_check_gba_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(CRYPTO_CFLAGS) $(XML2_CFLAGS)
tests_unit_check_gba_LDADD = auth/libauth.a db/libdb.a server/libbase.a $(CHECK_LIBS) \
	$(CRYPTO_LIBS) $(XML2_LIBS) $(SQLITE_LIBS)
