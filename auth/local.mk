# auth/: rules for this module (owned by the module's maintainer).
# libauth.a: Digest engine, identity rules, failure rate limiting (and the GBA
# part, whose sources auth/gba.mk appends with auth_libauth_a_SOURCES +=).
noinst_LIBRARIES += auth/libauth.a
auth_libauth_a_SOURCES = auth/auth.h auth/digest.c auth/identity.c \
	auth/ratelimit.c auth/cred_db.c auth/nbcache.c
auth_libauth_a_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)

# check_auth does not link db/libdb.a: it provides its own db_digest_get /
# db_subscriber_get fakes to test the password source in isolation.
check_PROGRAMS += tests/unit/check_auth
TESTS += tests/unit/check_auth
tests_unit_check_auth_SOURCES = tests/unit/check_auth.c
tests_unit_check_auth_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(CRYPTO_CFLAGS)
tests_unit_check_auth_LDADD = auth/libauth.a server/libbase.a $(CRYPTO_LIBS) $(CHECK_LIBS)
