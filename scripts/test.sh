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
else
  DIR=build
  ./scripts/build.sh "$DIR"
fi
cd "$DIR"
if ! make -j"$(nproc)" check; then
  for f in $(find . -name '*.log' -newer Makefile); do echo "=== $f"; tail -50 "$f"; done
  exit 1
fi
