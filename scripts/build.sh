#!/bin/sh
# Builds presenced out of tree: scripts/build.sh [DIR [configure args...]]
# DIR defaults to build/. The source tree itself is never configured.
set -eu
cd "$(dirname "$0")/.."
DIR=${1:-build}
[ $# -gt 0 ] && shift
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
  autoreconf -fi
fi
mkdir -p "$DIR"
cd "$DIR"
[ -f Makefile ] || ../configure "$@"
make -j"$(nproc)"
