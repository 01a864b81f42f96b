#!/bin/sh
# The whole test suite: installs packages, builds, runs every unit suite and
# the integration tests (a real presenced on free loopback ports, driven by
# curl, openssl s_client, sipp and Net::SIP).
#   scripts/test.sh               normal build in build/
#   scripts/test.sh --sanitizers  ASan+UBSan build in build-san/
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh >/dev/null
if [ "${1:-}" = "--sanitizers" ]; then
  DIR=build-san
  ./scripts/build.sh "$DIR" --enable-sanitizers
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  export CK_DEFAULT_TIMEOUT=120   # instrumented code is several times slower
else
  DIR=build
  ./scripts/build.sh "$DIR"
  # Check's 4 s default is too tight for the longest suites on a loaded
  # 2-core machine; a hang still fails, after 30 s
  export CK_DEFAULT_TIMEOUT="${CK_DEFAULT_TIMEOUT:-30}"
fi
cd "$DIR"
rc=0
make -j"$(nproc)" check || rc=$?
# one closing line over every check of every suite ("N passed, N failed")
passed=0; failed=0
for f in $(find tests -name '*.log' ! -name test-suite.log); do
  p=$(grep -Eo '^[0-9]+ passed, [0-9]+ failed' "$f" | tail -1 | cut -d' ' -f1)
  q=$(grep -Eo '^[0-9]+ passed, [0-9]+ failed' "$f" | tail -1 | cut -d' ' -f3)
  if [ -z "$p" ]; then   # Check suites: "100%: Checks: 15, Failures: 0, Errors: 0"
    line=$(grep -Eo 'Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$f" | tail -1)
    if [ -n "$line" ]; then
      set -- $(echo "$line" | tr -c '0-9\n' ' ')
      p=$(($1-$2-$3)); q=$(($2+$3))
    elif grep -q '^:test-result: PASS' "${f%.log}.trs" 2>/dev/null; then p=1; q=0
    else p=0; q=1; fi
  fi
  passed=$((passed+p)); failed=$((failed+q))
done
if [ "$rc" -ne 0 ]; then
  for f in $(grep -l '^:test-result: \(FAIL\|ERROR\)' $(find tests -name '*.trs')); do
    echo "=== ${f%.trs}.log"; tail -60 "${f%.trs}.log"; done
  [ "$failed" -gt 0 ] || failed=1
fi
echo "$passed passed, $failed failed"
exit "$rc"
