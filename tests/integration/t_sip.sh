#!/bin/sh
# SIP presence against the real daemon: sipp scenarios of tests/sip
# (publish/refresh/modify/remove, subscribe/notify/refresh/unsubscribe,
# 412/423/489/415/400/403/404/406/481) over UDP and TCP; the Net::SIP flow
# of t_sip_ua.pl (NOTIFY within 1 s of a PUBLISH, blocked watcher gets
# nothing, confirm -> pending -> active the moment an XCAP PUT allows it,
# watcher info, fetch, OMA external-list, presencectl views); publications
# and subscriptions survive SIGTERM + restart and SIGKILL + restart (every
# surviving watcher gets a NOTIFY in its dialog); SIP digest from an
# untrusted address; OPTIONS over TLS. Skips (77) without sipp or Net::SIP.
. "$(dirname "$0")/lib.sh"
command -v sipp >/dev/null 2>&1 || { echo "sipp not installed: skip"; exit 77; }
perl -MNet::SIP -e1 2>/dev/null || { echo "Net::SIP not installed: skip"; exit 77; }
UA="$top_srcdir/tests/integration/t_sip_ua.pl"
SCEN="$top_srcdir/tests/sip"

PRES_SIP_EXTRA='trusted_peers = {"127.0.0.1"}'
pres_config
pres_provision
for u in carol dave; do
  "$PRESENCECTL" --db "$T/presenced.db" subscriber add --impi $u@ims.example.com \
    --impu sip:$u@ims.example.com >/dev/null
done
pres_start

# 13 consecutive free UDP ports for the user agents, one for sipp
BASE=$(python3 -c 'import socket, random
for _ in range(200):
    b = random.randint(20000, 60000); socks = []
    try:
        for p in range(b, b + 14):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", p)); socks.append(s)
            t = socket.socket(); t.bind(("127.0.0.1", p)); socks.append(t)
        print(b); break
    except OSError:
        pass
    finally:
        for s in socks: s.close()')
SIPP_PORT=$((BASE + 13))

# XCAP PUT of one of alice's documents with her digest credentials
cat >"$T/put.sh" <<EOF
#!/bin/sh
case \$1 in
  pres-rules) ct=application/auth-policy+xml ;;
  resource-lists) ct=application/resource-lists+xml ;;
esac
exec curl -sS -f -o /dev/null --cacert "$T/tls/ca.crt" --resolve "$XCAP_HOST:$XCAP_PORT:127.0.0.1" \
  --digest -u "alice@ims.example.com:$ALICE_PW" -X PUT -H "Content-Type: \$ct" \
  --data-binary @"\$2" "https://$XCAP_HOST:$XCAP_PORT/xcap-root/\$1/users/sip:alice@ims.example.com/index"
EOF
chmod +x "$T/put.sh"
export PUT_RULES="$T/put.sh" CTL="$PRESENCECTL --db $T/presenced.db"

# runs the UA in MODE; its "ok - "/"FAIL - " lines count as checks here
report() {
  while IFS= read -r l; do
    case $l in
      "ok - "*) ok "${l#ok - }" ;;
      "FAIL - "*) fail "${l#FAIL - }" ;;
      listening) ;;
      *) echo "    $l" ;;
    esac
  done <"$1"
}
ua() {
  perl "$UA" "$1" "$SIP_PORT" "$BASE" "$T" >"$T/ua-$1.out" 2>&1 && rc=0 || rc=$?
  report "$T/ua-$1.out"
  return $rc
}
wait_listening() { # the UA's sockets are bound before the daemon restarts
  i=0
  while ! grep -q '^listening' "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
}

# alice's rules for the sipp scenarios: bob allowed, mallory blocked
cat >"$T/rules0.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns="urn:ietf:params:xml:ns:pres-rules" xmlns:cr="urn:ietf:params:xml:ns:common-policy">
  <cr:rule id="allow-bob">
    <cr:conditions><cr:identity><cr:one id="sip:bob@ims.example.com"/></cr:identity></cr:conditions>
    <cr:actions><sub-handling>allow</sub-handling></cr:actions>
    <cr:transformations><provide-services><all-services/></provide-services><provide-persons><all-persons/></provide-persons><provide-devices><all-devices/></provide-devices><provide-all-attributes/></cr:transformations>
  </cr:rule>
  <cr:rule id="block-mallory">
    <cr:conditions><cr:identity><cr:one id="sip:mallory@ims.example.com"/></cr:identity></cr:conditions>
    <cr:actions><sub-handling>block</sub-handling></cr:actions>
  </cr:rule>
</cr:ruleset>
EOF
check "XCAP PUT of alice's pres-rules (digest)" "$T/put.sh" pres-rules "$T/rules0.xml"

# the test configuration has min_expires = 10 (the harness: 60)
mkdir "$T/scen"
cp "$SCEN/publish.xml" "$SCEN/subscribe.xml" "$SCEN/dialog.xml" "$T/scen/"
sed 's/regexp="60" search_in="hdr" header="Min-Expires:"/regexp="^ *10$" search_in="hdr" header="Min-Expires:"/' \
  "$SCEN/errors.xml" >"$T/scen/errors.xml"
scenario() { # name transport
  if (cd "$T" && timeout 30 sipp -sf "$T/scen/$1.xml" -m 1 -t "$2" -i 127.0.0.1 -p "$SIPP_PORT" \
      "127.0.0.1:$SIP_PORT" -timeout 20 -nostdin -trace_err >"$T/sipp-$1-$2.out" 2>&1); then
    ok "sipp $1 ($2)"
  else
    fail "sipp $1 ($2)"; cat "$T"/*errors.log 2>/dev/null | head -30
  fi
  rm -f "$T"/*errors.log
}
scenario publish u1
scenario subscribe u1
scenario dialog u1
scenario errors u1
scenario publish t1
scenario subscribe t1

ua flow || fail "Net::SIP flow ran to its end"

"$PRESENCECTL" --db "$T/presenced.db" presentity show --impu sip:alice@ims.example.com >"$T/show.out" 2>&1
expect_match "presencectl presentity show: one live publication" "^publications: 1$" "$T/show.out"
expect_match "presencectl presentity show: 2 active watchers" "^watchers: 2 active, 0 pending" "$T/show.out"
"$PRESENCECTL" --db "$T/presenced.db" presentity show --impu sip:alice@ims.example.com --document \
  >"$T/doc.out" 2>&1
expect_match "presencectl presentity show --document: composed PIDF with the note" \
  '<note>restart-note</note>' "$T/doc.out"
check "composed document is well-formed XML" xmllint --noout "$T/doc.out"

# restart with SIGTERM: both watchers get a NOTIFY in their stored dialogs,
# bob's with the publication that lived on
pres_stop
perl "$UA" survive "$SIP_PORT" "$BASE" "$T" >"$T/survive1.out" 2>&1 &
wpid=$!
wait_listening "$T/survive1.out"
pres_start
wait $wpid && rc=0 || rc=$?
report "$T/survive1.out"
expect_eq "SIGTERM + restart: every watcher notified" 0 "$rc"

# restart after SIGKILL: the same
kill -KILL "$PID"; wait "$PID" 2>/dev/null || true; PID=""
perl "$UA" survive "$SIP_PORT" "$BASE" "$T" >"$T/survive2.out" 2>&1 &
wpid=$!
wait_listening "$T/survive2.out"
pres_start
wait $wpid && rc=0 || rc=$?
report "$T/survive2.out"
expect_eq "SIGKILL + restart: every watcher notified" 0 "$rc"
"$PRESENCECTL" --db "$T/presenced.db" presentity show --impu sip:alice@ims.example.com >"$T/show2.out" 2>&1
expect_match "publication still live after two restarts" "^publications: 1$" "$T/show2.out"

ua finish || fail "unsubscribe after the restarts"
"$PRESENCECTL" --db "$T/presenced.db" watchers --impu sip:alice@ims.example.com >"$T/w3.out" 2>&1
expect_eq "no watcher left after unsubscribing" "" "$(cat "$T/w3.out")"

ua digest || fail "SIP digest"

# TLS transport: OPTIONS answered 200
reply=$( (printf 'OPTIONS sip:alice@ims.example.com SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bKtls1\r\nFrom: <sip:bob@ims.example.com>;tag=1\r\nTo: <sip:alice@ims.example.com>\r\nCall-ID: tls-1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n'; sleep 1) |
  timeout 5 openssl s_client -connect "127.0.0.1:$SIPS_PORT" -CAfile "$T/tls/ca.crt" -quiet 2>/dev/null | head -1)
case "$reply" in
  "SIP/2.0 200"*) ok "OPTIONS over TLS: 200" ;;
  *) fail "OPTIONS over TLS: '$reply'" ;;
esac

if grep -Eq "Sanitizer|runtime error" "$T/presenced.log"; then fail "sanitizer report in the log"; fi
finish
