#!/bin/sh
# Authentication Proxy (TS 33.141 5.1.4 / 6.1.3, TS 33.222): three real
# processes on loopback:
#   AS  - presenced (XCAP) that trusts the AP's address 127.0.0.2 (auth.ap_peers)
#         and wants its client certificate (auth.ap_require_client_cert);
#   AP  - presenced with ap { }: own BSF, own database, listener with two AS
#         names: xcap.ims.example.com -> the AS (trust domain, asserted identity)
#         and as2.ims.example.com -> AS2 (own certificate by SNI);
#   AS2 - a python http.server outside the trust domain that logs every
#         request's headers to a file.
# The UE is tools/gba-ue (and curl with the GBA keys gba-ue prints).
. "$(dirname "$0")/lib.sh"
PRES_SIP_ENABLED=false
PRES_TLS_SECTION="tls { session_lifetime = 86400 request_client_cert = true client_ca = \"$T/tls/ca.crt\" }"
PRES_AUTH_SECTION='auth { gba = true digest = true realm = "ims.example.com" ap_peers = {"127.0.0.2"} ap_require_client_cert = true }'
AP_PID=""; PY_PID=""
trap 'for p in $AP_PID $PY_PID; do kill -TERM $p 2>/dev/null; wait $p 2>/dev/null; done;
  if [ "$FAILS" -ne 0 ] && [ -f "$T/ap/ap.log" ]; then echo "--- AP log"; tail -30 "$T/ap/ap.log"; fi; cleanup' EXIT

# ---- the AS (lib.sh's presenced) -------------------------------------------
pres_config
pres_provision
pres_start
AS_PORT=$XCAP_PORT
AS_LOG=$T/presenced.log

# ---- AS2: header-dumping HTTP server ---------------------------------------
PY_PORT=$(free_port)
cat > "$T/as2.py" <<'PY'
import http.server, sys, time
log = open(sys.argv[2], "a")
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def any(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n) if n else b""
        log.write("REQUEST %s %s\n" % (self.command, self.path))
        for k, v in self.headers.items():
            log.write("%s: %s\n" % (k, v))
        log.write("\n"); log.flush()
        if self.path.startswith("/slow"):
            time.sleep(6)
        out = b"hello from as2\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Set-Cookie", "as2session=abc; Path=/")
        self.send_header("X-AS2", "yes")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    do_GET = do_PUT = do_POST = do_DELETE = any
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$T/as2.py" "$PY_PORT" "$T/as2.log" &
PY_PID=$!

# ---- the AP ------------------------------------------------------------------
mkdir -p "$T/ap"
AP_PORT=$(free_port); AP_BSF_PORT=$(free_port); AP_XCAP_PORT=$(free_port)
cat > "$T/ap/ap.conf" <<CONF
home_domain = "ims.example.com"
log_level = "debug"
database = "$T/ap/ap.db"
sip { enabled = false }
xcap {
  port = $AP_XCAP_PORT
  certificate = "$T/tls/xcap.crt"  key = "$T/tls/xcap.key"
  schema_dir = "$top_srcdir/xcap/schemas"
  threads = 1
}
auth { gba = true digest = false }
bsf { enabled = true listen = "127.0.0.1" port = $AP_BSF_PORT name = "bsf.ims.example.com" }
ap {
  enabled = true
  listen = "127.0.0.1"
  port = $AP_PORT
  certificate = "$T/tls/xcap.crt"
  key = "$T/tls/xcap.key"
  ca = "$T/tls/ca.crt"
  client_certificate = "$T/tls/client.crt"
  client_key = "$T/tls/client.key"
  source_address = "127.0.0.2"
  trust_domain = {"127.0.0.0/8"}
  threads = 4
  upstream_timeout = 2000
  as "xcap.ims.example.com" {
    upstream = "https://xcap.ims.example.com:$AS_PORT"
    address = "127.0.0.1"
    trusted = true
    assert_identity = true
  }
  as "as2.ims.example.com" {
    upstream = "http://127.0.0.1:$PY_PORT"
    trusted = false
    certificate = "$T/tls/multi.crt"
    key = "$T/tls/multi.key"
  }
}
CONF
"$PRESENCECTL" --db "$T/ap/ap.db" subscriber add --impi alice@ims.example.com \
  --impu sip:alice@ims.example.com --impu tel:+15550001 --k "$ALICE_K" --opc "$ALICE_OPC" >/dev/null
"$PRESENCECTL" --db "$T/ap/ap.db" subscriber add --impi bob@ims.example.com \
  --impu sip:bob@ims.example.com --k "$BOB_K" --opc "$BOB_OPC" >/dev/null
# configuration refusals: plain HTTP outside the trust domain, no upstream
sed 's|upstream = "http://127.0.0.1:|upstream = "http://192.0.2.1:|' "$T/ap/ap.conf" > "$T/ap/bad1.conf"
"$PRESENCED" -f -c "$T/ap/bad1.conf" > "$T/ap/bad1.log" 2>&1 && r=0 || r=$?
expect_eq "plain-HTTP upstream outside ap.trust_domain: exit 78 (configuration)" "78" "$r"
expect_match "... saying why" "plain HTTP upstream only to an IP address inside ap.trust_domain" "$T/ap/bad1.log"
sed 's|upstream = "http://127.0.0.1:[0-9]*"||' "$T/ap/ap.conf" > "$T/ap/bad2.conf"
"$PRESENCED" -t -c "$T/ap/bad2.conf" > "$T/ap/bad2.log" 2>&1 && r=0 || r=$?
expect_eq "as { } without upstream: presenced -t fails (78)" "78" "$r"
expect_match "... naming the option" "option 'upstream': every as \\{ \\} needs an upstream URL" "$T/ap/bad2.log"

"$PRESENCED" -f -c "$T/ap/ap.conf" >"$T/ap/ap.log" 2>&1 &
AP_PID=$!
i=0
while ! grep -q "ready" "$T/ap/ap.log" 2>/dev/null; do
  i=$((i+1))
  if [ $i -gt 100 ] || ! kill -0 "$AP_PID" 2>/dev/null; then echo "AP did not start:"; cat "$T/ap/ap.log"; exit 1; fi
  sleep 0.1
done
i=0
until python3 -c "import socket; socket.create_connection(('127.0.0.1', $PY_PORT), 1)" 2>/dev/null; do
  i=$((i+1)); [ $i -gt 50 ] && { echo "AS2 did not start"; exit 1; }; sleep 0.1
done

H1=xcap.ims.example.com; H2=as2.ims.example.com
RES="--resolve $H1:$AP_PORT:127.0.0.1 --resolve $H2:$AP_PORT:127.0.0.1"
ue() { # ue IMPI K OPC [gba-ue options...]
  impi=$1 k=$2 opc=$3; shift 3
  "$GBA_UE" --bsf "http://127.0.0.1:$AP_BSF_PORT/" --impi "$impi" --k "$k" --opc "$opc" \
    --cacert "$T/tls/ca.crt" $RES "$@"
}
alice() { ue alice@ims.example.com "$ALICE_K" "$ALICE_OPC" "$@"; }
DOC=pres-rules/users/sip:alice@ims.example.com/index
URL1="https://$H1:$AP_PORT/xcap-root/$DOC"
as_count() { grep -c "asserted by AP" "$AS_LOG" || true; }

# ---- the UE manages its document through the AP --------------------------
check "gba-ue PUTs alice's pres-rules through the AP (bootstrapped at the AP's BSF)" \
  alice --method PUT --url "$URL1" --data-file "$top_srcdir/tests/data/xcap/rfc5025-pres-rules.xml" \
  --content-type application/auth-policy+xml
expect_match "the AS saw the default IMPU asserted by the AP from 127.0.0.2" \
  "ut: req=[0-9]+ peer=127.0.0.2 user=sip:alice@ims.example.com \(asserted by AP\).* PUT /xcap-root/$DOC: 201" "$AS_LOG"
alice --method GET --url "$URL1" > "$T/got.xml" 2>"$T/ue.err" || true
expect_match "GET through the AP returns the document" "sub-handling" "$T/got.xml"
expect_match "the AP logs user, AS and asserted identity" \
  "ap: req=[0-9]+ peer=127.0.0.1 user=alice@ims.example.com \(GBA\) host=$H1 asserted=sip:alice@ims.example.com GET" "$T/ap/ap.log"

# ---- preferred identity (TS 33.141 6.1.3) ---------------------------------
check "Intended-Identity = own second IMPU is accepted" alice --method GET --url "$URL1" --intended-identity tel:+15550001
expect_match "... and asserted as that IMPU" "peer=127.0.0.2 user=tel:\+15550001 \(asserted by AP\)" "$AS_LOG"
before=$(as_count)
alice --method GET --url "$URL1" --intended-identity sip:bob@ims.example.com >/dev/null 2>"$T/ue.err" || true
expect_match "Intended-Identity = someone else's IMPU: 403 at the AP" "HTTP 403" "$T/ue.err"
expect_eq "... and nothing reached the AS" "$before" "$(as_count)"
expect_match "... logged by the AP" "X-3GPP-Intended-Identity .*sip:bob@ims.example.com.* is not among the user's public identities: 403" "$T/ap/ap.log"

# ---- GBA keys for curl (NAF = each AS name, TLS suite of the AP) ----------
alice --print --url "https://$H1:$AP_PORT/xcap-root/$DOC" > "$T/k1" 2>/dev/null || true
alice --print --url "https://$H2:$AP_PORT/" > "$T/k2" 2>/dev/null || true
K1=$(sed -n 's/^BTID=//p' "$T/k1"):$(sed -n 's/^KSNAF=//p' "$T/k1")
K2=$(sed -n 's/^BTID=//p' "$T/k2"):$(sed -n 's/^KSNAF=//p' "$T/k2")
ac() { curl -sS --cacert "$T/tls/ca.crt" $RES -A "ue 3gpp-gba" "$@"; }

# ---- a UE-forged X-3GPP-Asserted-Identity never reaches an AS -------------
ac --digest -u "$K1" -H 'X-3GPP-Asserted-Identity: "sip:bob@ims.example.com"' \
  -o /dev/null -w '%{http_code}\n' "https://$H1:$AP_PORT/xcap-root/pres-rules/users/sip:bob@ims.example.com/index" > "$T/o"
expect_nomatch "forged assertion of bob: the AS never sees bob asserted" "user=sip:bob@ims.example.com \(asserted by AP\)" "$AS_LOG"
expect_match "... the AP asserted alice (her default IMPU) instead" \
  "user=sip:alice@ims.example.com \(asserted by AP\).* GET /xcap-root/pres-rules/users/sip:bob@ims.example.com/index: 403" "$AS_LOG"
expect_match "... the AP logs that it ignored the UE's assertion" "X-3GPP-Asserted-Identity ignored: sent to the AP by the UE" "$T/ap/ap.log"

# ---- AS2 outside the trust domain: no identity, cookies both ways ---------
ac --digest -u "$K2" -H 'X-3GPP-Asserted-Identity: "sip:bob@ims.example.com"' \
  -H 'X-3GPP-Intended-Identity: "tel:+15550001"' -H 'Cookie: ue=1' -H 'Connection: keep-alive, X-Hop' -H 'X-Hop: 1' \
  -D "$T/h2" -o "$T/b2" "https://$H2:$AP_PORT/page?q=1"
expect_match "AS2 page through the AP" "hello from as2" "$T/b2"
expect_match "AS2 got the request path and query" "^REQUEST GET /page\?q=1" "$T/as2.log"
expect_nomatch "AS2 (outside the trust domain) never sees an identity header" "X-3GPP|alice|bob|15550001" "$T/as2.log"
expect_nomatch "AS2 never sees the UE's Authorization" "^Authorization:" "$T/as2.log"
expect_match "the UE's cookie reaches AS2" "^Cookie: ue=1" "$T/as2.log"
expect_nomatch "hop-by-hop headers (Connection and the ones it names) stay at the AP" "^X-Hop|^Connection: keep-alive, X-Hop" "$T/as2.log"
expect_match "AS2's Set-Cookie reaches the UE" "^Set-Cookie: as2session=abc" "$T/h2"
expect_match "AS2's own headers reach the UE" "^X-AS2: yes" "$T/h2"
expect_match "the UE gets Authentication-Info from the AP" "^Authentication-Info: " "$T/h2"
before=$(grep -c '^REQUEST' "$T/as2.log")
ac -o /dev/null -D "$T/h3" "https://$H2:$AP_PORT/"
expect_match "the AP challenges for AS2 with realm 3GPP-bootstrapping@as2..." \
  'WWW-Authenticate: Digest realm="3GPP-bootstrapping@as2.ims.example.com"' "$T/h3"
expect_eq "an unauthenticated request never reaches AS2" "$before" "$(grep -c '^REQUEST' "$T/as2.log")"

# ---- two AS names on one AP address: certificates by SNI ------------------
sc() { echo | timeout 10 openssl s_client -connect "127.0.0.1:$AP_PORT" -servername "$1" -CAfile "$T/tls/ca.crt" 2>&1 || true; }
sc $H1 > "$T/o"; expect_match "SNI $H1: its own certificate" "subject=.*CN ?= ?xcap.ims.example.com" "$T/o"
expect_match "... verifies" "Verify return code: 0 \(ok\)" "$T/o"
sc $H2 > "$T/o"; expect_match "SNI $H2: the multi-name certificate" "subject=.*CN ?= ?as.ims.example.com" "$T/o"
expect_match "... verifies" "Verify return code: 0 \(ok\)" "$T/o"
code=$(ac -o /dev/null -w '%{http_code}' -H "Host: $H1" "https://$H2:$AP_PORT/")
expect_eq "SNI of one AS with the Host of another: 421" "421" "$code"
code=$(ac -o /dev/null -w '%{http_code}' --resolve "other.ims.example.com:$AP_PORT:127.0.0.1" -k "https://other.ims.example.com:$AP_PORT/")
expect_eq "unknown AS host name: 404" "404" "$code"

# ---- parallel sessions of one UE to both AS --------------------------------
pids=""
for n in 1 2 3; do
  ac --digest -u "$K1" -o /dev/null -w '%{http_code}\n' "$URL1" > "$T/par1.$n" & pids="$pids $!"
  ac --digest -u "$K2" -o /dev/null -w '%{http_code}\n' "https://$H2:$AP_PORT/p$n" > "$T/par2.$n" & pids="$pids $!"
done
for p in $pids; do wait "$p" || true; done
expect_eq "6 parallel requests to two AS through the AP: all 200" "200 200 200 200 200 200" "$(cat "$T"/par1.* "$T"/par2.* | tr '\n' ' ' | sed 's/ $//')"

# ---- HEAD (no body follows the header: nothing may wait for one) -----------
r=$(ac --digest -u "$K1" -I --max-time 5 -o /dev/null -w '%{http_code}' "$URL1" || true)
expect_eq "HEAD through the AP: 200, at once" "200" "$r"

# ---- the AS itself: assertions only from the AP, with its client certificate
xc() { curl -sS --cacert "$T/tls/ca.crt" --resolve "$H1:$AS_PORT:127.0.0.1" -o /dev/null -w '%{http_code}' \
  -H 'X-3GPP-Asserted-Identity: "sip:alice@ims.example.com"' "$@" "https://$H1:$AS_PORT/xcap-root/$DOC"; }
expect_eq "forged assertion straight to the AS from 127.0.0.1: challenged (401)" "401" "$(xc)"
expect_match "... and logged as untrusted" "X-3GPP-Asserted-Identity ignored: from a peer outside the trust domain" "$AS_LOG"
expect_eq "from the AP's address but without the AP's client certificate: 401" "401" "$(xc --interface 127.0.0.2)"
expect_match "... logged" "ignored: from an AP address without a client certificate" "$AS_LOG"
expect_eq "from the AP's address with the AP's client certificate: trusted (200)" "200" \
  "$(xc --interface 127.0.0.2 --cert "$T/tls/client.crt" --key "$T/tls/client.key")"

# ---- slow and dead AS ------------------------------------------------------
code=$(ac --digest -u "$K2" -o /dev/null -w '%{http_code}' "https://$H2:$AP_PORT/slow")
expect_eq "slow AS2 (6 s, upstream_timeout 2 s): 504" "504" "$code"
kill -TERM "$PY_PID"; wait "$PY_PID" 2>/dev/null || true; PY_PID=""
code=$(ac --digest -u "$K2" -o /dev/null -w '%{http_code}' "https://$H2:$AP_PORT/")
expect_eq "AS2 down: 502" "502" "$code"
code=$(ac --digest -u "$K1" -o /dev/null -w '%{http_code}' "$URL1")
expect_eq "... while the other AS still answers through the AP (200)" "200" "$code"
expect_match "the AP logs the upstream failure" "host=$H2 GET /: upstream failure.*: 502" "$T/ap/ap.log"

# ---- forced re-authentication at the AP (presencectl subscriber reauth) ----
# Each AP worker keeps a subscriber's auth_not_before for at most 1 s
# (UT_REAUTH_CACHE_MS): the order is seen once that has passed.
code=$(ac --digest -u "$K1" -o /dev/null -w '%{http_code}' "$URL1")
expect_eq "before the re-authentication order: the key works through the AP (200)" "200" "$code"
sleep 1.2
"$PRESENCECTL" --db "$T/ap/ap.db" subscriber reauth --impi alice@ims.example.com > "$T/o" 2>&1
expect_match "presencectl subscriber reauth on the AP's database" "must authenticate again" "$T/o"
before=$(as_count)
ac --digest -u "$K1" -o /dev/null -D "$T/h4" -w '%{http_code}\n' "$URL1" > "$T/o4"
expect_eq "old key after the order: 401 at the AP" "401" "$(tail -1 "$T/o4")"
expect_match "... with the GBA realm of the AS name" "WWW-Authenticate: Digest realm=\"3GPP-bootstrapping@$H1\"" "$T/h4"
expect_eq "... and nothing reached the AS" "$before" "$(as_count)"
expect_match "... logged as a forced re-authentication" "ap: req=[0-9]+ .*authentication refused \(re-authentication required\): 401" "$T/ap/ap.log"
sleep 1.2
code=$(ac --digest -u "$K1" -o /dev/null -w '%{http_code}' "$URL1")
expect_eq "the old key stays refused (also once the per-thread cache entry was read again)" "401" "$code"
check "alice bootstraps again and reads her document through the AP" alice --method GET --url "$URL1"

# ---- the AS forgets a removed subscriber's asserted IMPU -------------------
# (the AS keeps the subscriber behind an asserted IMPU for at most 1 s)
check "asserted alice is served by the AS" alice --method GET --url "$URL1"
"$PRESENCECTL" --db "$T/presenced.db" subscriber remove --impi alice@ims.example.com > "$T/o" 2>&1
sleep 1.2
alice --method GET --url "$URL1" > /dev/null 2> "$T/ue.err" || true
expect_match "alice removed from the AS: the asserted IMPU is refused (403)" "HTTP 403" "$T/ue.err"
expect_match "... logged by the AS" "asserted identity sip:alice@ims.example.com is not a provisioned IMPU: 403" "$AS_LOG"

# ---- clean stop (sanitizer builds report leaks and errors at exit) -------
kill -TERM "$AP_PID"; wait "$AP_PID" 2>/dev/null && r=0 || r=$?; AP_PID=""
expect_eq "the AP stops cleanly on SIGTERM" "0" "$r"
pres_stop
expect_nomatch "no sanitizer report from the AP" "Sanitizer|runtime error" "$T/ap/ap.log"
expect_nomatch "no sanitizer report from the AS" "Sanitizer|runtime error" "$AS_LOG"
finish
