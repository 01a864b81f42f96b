#!/bin/sh
# presenced -t: the shipped configuration is valid; errors name file, line and option.
. "$(dirname "$0")/lib.sh"
cd "$top_srcdir"
"$top_srcdir/scripts/gen-demo-certs.sh" "$T/tls" >/dev/null
sed "s|var/tls/|$T/tls/|g" etc/presenced.conf > "$T/ok.conf"
check "presenced -t accepts etc/presenced.conf" "$PRESENCED" -t -c "$T/ok.conf"
sed 's/^  port = 8443/  prot = 8443/' "$T/ok.conf" > "$T/typo.conf"
line=$(grep -n 'prot = 8443' "$T/typo.conf" | cut -d: -f1)
if "$PRESENCED" -t -c "$T/typo.conf" >"$T/out" 2>&1; then fail "misspelled option refused"; else ok "misspelled option refused"; fi
expect_match "error names file and line of the misspelled option" "typo.conf:$line: xcap: no such option 'prot'" "$T/out"
sed 's/^  port = 8443/  port = 70000/' "$T/ok.conf" > "$T/range.conf"
if "$PRESENCED" -t -c "$T/range.conf" >"$T/out" 2>&1; then fail "out-of-range port refused"; else ok "out-of-range port refused"; fi
expect_match "range error names the line and option" "range.conf:$line: xcap: option 'port': 70000 is out of range" "$T/out"
sed 's/session_lifetime = 86400/session_lifetime = 90000/' "$T/ok.conf" > "$T/life.conf"
if "$PRESENCED" -t -c "$T/life.conf" >"$T/out" 2>&1; then fail "TLS session lifetime above 24 h refused"; else ok "TLS session lifetime above 24 h refused"; fi
sed 's|^  listen = "127.0.0.1"\n  port = 8443|x|; s|^  tls = true|  tls = false|' "$T/ok.conf" | sed '0,/^  listen = "127.0.0.1"/s//  listen = "192.0.2.1"/' > "$T/plain.conf"
if "$PRESENCED" -t -c "$T/plain.conf" >"$T/out" 2>&1; then fail "plain HTTP off loopback refused"; else ok "plain HTTP off loopback refused"; fi
"$PRESENCED" -t -c "$T/missing.conf" >"$T/out" 2>&1 && rc=0 || rc=$?
expect_eq "missing file: configuration exit code 78" 78 "$rc"
"$PRESENCED" -x >"$T/out" 2>&1 && rc=0 || rc=$?
expect_eq "bad command line: usage exit code 64" 64 "$rc"
"$PRESENCED" -V >"$T/out" 2>&1
expect_match "-V prints the version" "^presenced [0-9]" "$T/out"
# The allocator the build chose serves malloc(), tuned as docs/architecture.md ("Memory allocator") says.
if grep -q '^#define HAVE_JEMALLOC 1' "$top_builddir/config.h"; then
  # jemalloc keeps opt.thp "always" where the kernel reports its THP mode; where it
  # cannot read one (a container without that /sys file) it says "not supported"
  if grep -Eq '^(\[always\] madvise never|always \[madvise\] never|always madvise \[never\])$' \
      /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then thp="always"; else thp="(always|not supported)"; fi
  expect_match "-V: malloc is jemalloc, transparent huge pages $thp" "[(]malloc: jemalloc [0-9.]* [(]thp $thp[)][)]$" "$T/out"
else
  expect_match "-V: malloc is the C library's (sanitizer or --without-jemalloc build)" "[(]malloc: C library malloc[)]$" "$T/out"
fi
finish
