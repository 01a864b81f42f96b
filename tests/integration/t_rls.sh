#!/bin/sh
# Resource list server (RFC 4662), filters (RFC 4660) and xcap-diff
# (RFC 5875) end to end: a real presenced, XCAP over HTTPS with digest
# (curl), SIP over UDP from a trusted peer (tests/integration/rls.pl with
# Net::SIP packets). Skipped (77) without Net::SIP.
. "$(dirname "$0")/lib.sh"
perl -MNet::SIP -e1 2>/dev/null || { echo "Net::SIP not installed: skip"; exit 77; }
# identities by P-Asserted-Identity from the test client on 127.0.0.1
PRES_SIP_EXTRA='trusted_peers = {"127.0.0.1"}'
pres_config
pres_provision
for u in carol dave; do
  "$PRESENCECTL" --db "$T/presenced.db" subscriber add --impi $u@ims.example.com \
    --impu sip:$u@ims.example.com --password $u-secret >/dev/null
done
pres_start
# rls.pl restarts presenced itself (PRES_PID, PRESENCED, CONF, LOG) to keep
# its sockets open across the restart; the new process id is in $T/newpid
SIP_PORT=$SIP_PORT XCAP_PORT=$XCAP_PORT XCAP_HOST=$XCAP_HOST CA="$T/tls/ca.crt" \
  XROOT=$(XROOT) TMP="$T" PRES_PID=$PID PRESENCED="$PRESENCED" CONF="$T/presenced.conf" \
  LOG="$T/presenced.log" perl "$top_srcdir/tests/integration/rls.pl" >"$T/rls.out" 2>&1 || true
cat "$T/rls.out"
if [ -s "$T/newpid" ]; then wait "$PID" 2>/dev/null || true; PID=$(cat "$T/newpid"); fi
CHECKS=$(grep -c -E '^(ok|FAIL) - ' "$T/rls.out" || true)
FAILS=$(grep -c '^FAIL - ' "$T/rls.out" || true)
[ "$CHECKS" -gt 0 ] || { CHECKS=1; FAILS=1; echo "FAIL - rls.pl ran no check"; }
check "presenced still running" kill -0 "$PID"
finish
