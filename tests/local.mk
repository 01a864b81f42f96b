# tests/: integration tests (unit tests are registered in each module's local.mk).
# Each t_*.sh starts a real presenced on free loopback ports and drives it
# with real clients. They print "N passed, N failed".
AM_TESTS_ENVIRONMENT = top_srcdir='$(abs_top_srcdir)'; top_builddir='$(abs_top_builddir)'; \
	export top_srcdir top_builddir;
INTEGRATION_TESTS = tests/integration/t_config.sh tests/integration/t_lifecycle.sh \
	tests/integration/t_tls.sh tests/integration/t_ap.sh \
	tests/integration/t_xcap.sh tests/integration/t_ut.sh \
	tests/integration/t_sip.sh tests/integration/t_rls.sh \
	tests/integration/t_sip_commit.sh
EXTRA_DIST += tests/integration/t_sip_ua.pl tests/integration/rls.pl
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS)
# the helpers behind bench/sip's figures
TESTS += tests/unit/test_bench_util.py
EXTRA_DIST += tests/unit/test_bench_util.py bench/sip/bench_util.py
