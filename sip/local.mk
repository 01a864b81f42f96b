# sip/: the SIP presence engine (libsip.a) on sofia-sip nta; its unit tests
# and the end-to-end harness (tests/sip/).
noinst_LIBRARIES += sip/libsip.a
sip_libsip_a_SOURCES = sip/psip.h sip/psip_int.h sip/psip_util.c \
	sip/psip_agent.c sip/psip_auth.c sip/psip_publish.c \
	sip/psip_subscribe.c sip/psip_body.c sip/psip_rls.c sip/psip_filter.c \
	sip/psip_xcapdiff.c
sip_libsip_a_CFLAGS = $(AM_CFLAGS) $(SOFIA_CFLAGS) $(XML2_CFLAGS) $(CRYPTO_CFLAGS)

check_PROGRAMS += tests/unit/check_sip
TESTS += tests/unit/check_sip
tests_unit_check_sip_SOURCES = tests/unit/check_sip.c
tests_unit_check_sip_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SOFIA_CFLAGS)
tests_unit_check_sip_LDADD = sip/libsip.a server/libbase.a $(SOFIA_LIBS) \
	$(CRYPTO_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/check_rls
TESTS += tests/unit/check_rls
tests_unit_check_rls_SOURCES = tests/unit/check_rls.c
tests_unit_check_rls_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SOFIA_CFLAGS) $(XML2_CFLAGS)
tests_unit_check_rls_LDADD = sip/libsip.a presence/libpresence.a auth/libauth.a db/libdb.a server/libbase.a \
	$(SOFIA_LIBS) $(XML2_LIBS) $(SQLITE_LIBS) $(CRYPTO_LIBS) $(CHECK_LIBS) -lpthread

# End-to-end: tests/sip/run.sh starts psip-harness on loopback with a temp
# database and drives it with sipp scenarios and a Perl Net::SIP watcher.
check_PROGRAMS += tests/sip/psip-harness
tests_sip_psip_harness_SOURCES = tests/sip/psip-harness.c
tests_sip_psip_harness_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
tests_sip_psip_harness_LDADD = sip/libsip.a presence/libpresence.a auth/libauth.a db/libdb.a \
	server/libbase.a $(SOFIA_LIBS) $(XML2_LIBS) $(SQLITE_LIBS) $(CRYPTO_LIBS) -lpthread
TESTS += tests/sip/run.sh
EXTRA_DIST += tests/sip/run.sh tests/sip/watcher.pl tests/sip/errors.xml tests/sip/publish.xml \
	tests/sip/subscribe.xml tests/sip/dialog.xml tests/sip/pres-rules-allow-bob.xml

# Authorization decisions (default policy, external-list) on an in-memory db.
check_PROGRAMS += tests/unit/check_sip_policy
TESTS += tests/unit/check_sip_policy
tests_unit_check_sip_policy_SOURCES = tests/unit/check_sip_policy.c
tests_unit_check_sip_policy_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SOFIA_CFLAGS) $(XML2_CFLAGS)
tests_unit_check_sip_policy_LDADD = sip/libsip.a presence/libpresence.a auth/libauth.a db/libdb.a \
	server/libbase.a $(SOFIA_LIBS) $(XML2_LIBS) $(SQLITE_LIBS) $(CRYPTO_LIBS) $(CHECK_LIBS) -lpthread
