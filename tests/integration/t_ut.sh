#!/bin/sh
# Ut security end to end (TS 33.141 via TS 33.220 / 33.222 / 24.109) against a
# running presenced with the embedded BSF, driven by real clients: the test
# UE (tools/gba-ue), curl --digest with the B-TID / Ks_NAF it prints,
# openssl s_client (resumed TLS sessions) and Authorization headers computed
# here (python3 hashlib) for replays and wrong AKA responses.
. "$(dirname "$0")/lib.sh"
PRES_SIP_ENABLED=false
# request_client_cert: every check below runs with a CertificateRequest that
# the clients (which have no certificate) ignore (TS 33.141 6.1.4).
PRES_TLS_SECTION='tls { session_lifetime = 86400 request_client_cert = true }'
PRES_AUTH_SECTION='auth { gba = true digest = true realm = "ims.example.com"
  fail_limit = 3 fail_window = 60 fail_block = 20 ap_peers = { "127.0.0.5" } }'
pres_config
pres_provision
pres_start

GREALM=3GPP-bootstrapping@xcap.ims.example.com
BASE="https://$XCAP_HOST:$XCAP_PORT"
XR=$(XROOT)
ALICE=sip:alice@ims.example.com
BOB=sip:bob@ims.example.com
A_RULES=/xcap-root/pres-rules/users/$ALICE/index
DATA="$top_srcdir/tests/data/xcap"
PR_CT=application/auth-policy+xml

ue() { "$GBA_UE" --bsf "http://127.0.0.1:$BSF_PORT/" --cacert "$T/tls/ca.crt" \
  --resolve "$XCAP_HOST:$XCAP_PORT:127.0.0.1" "$@"; }
ue_alice() { ue --impi alice@ims.example.com --k "$ALICE_K" --opc "$ALICE_OPC" "$@"; }
ue_bob() { ue --impi bob@ims.example.com --k "$BOB_K" --opc "$BOB_OPC" "$@"; }
field() { sed -n "s/^$1=//p" "$2"; }   # field NAME FILE (gba-ue --print output)
# gcurl USER PASS [curl args]: HTTP Digest as a GBA UE; prints the status code,
# headers in $T/h, body in $T/b
gcurl() {
  u=$1; p=$2; shift 2
  xcurl --digest -u "$u:$p" -A "x 3gpp-gba" -D "$T/h" -o "$T/b" -w '%{http_code}' "$@"
}
expect_re() { printf '%s\n' "$3" > "$T/re"; expect_match "$1" "$2" "$T/re"; }
etag() { sed -n 's/^[Ee][Tt]ag: *\([^[:space:]]*\).*/\1/p' "$1"; }

# the system interpreter: a version manager's shim costs ~0.5 s per call
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
cat > "$T/dg.py" <<'PY'
import hashlib, sys
# dg.py ALG USER PASSWORD REALM METHOD URI NONCE OPAQUE QOP NC CNONCE [BODYFILE]
# ALG MD5, SHA-256 or AKAv1-MD5 (then PASSWORD is RES in hex, used as raw octets)
alg, user, pw, realm, method, uri, nonce, opaque, qop, nc, cnonce = sys.argv[1:12]
body = open(sys.argv[12], 'rb').read() if len(sys.argv) > 12 else b''
H = hashlib.sha256 if alg == 'SHA-256' else hashlib.md5
pwb = bytes.fromhex(pw) if alg == 'AKAv1-MD5' else pw.encode()
ha1 = H(user.encode() + b':' + realm.encode() + b':' + pwb).hexdigest()
a2 = method + ':' + uri
if qop == 'auth-int':
    a2 += ':' + H(body).hexdigest()
ha2 = H(a2.encode()).hexdigest()
resp = H(':'.join([ha1, nonce, nc, cnonce, qop, ha2]).encode()).hexdigest()
print('Digest username="%s", realm="%s", nonce="%s", uri="%s", qop=%s, nc=%s, '
      'cnonce="%s", response="%s", opaque="%s", algorithm=%s'
      % (user, realm, nonce, uri, qop, nc, cnonce, resp, opaque, alg))
PY
# shape of a WWW-Authenticate value: parameter names and value lengths
cat > "$T/shape.py" <<'PY'
import re, sys
for line in sys.stdin:
    if line.lower().startswith('www-authenticate:'):
        print(' '.join('%s:%d' % (k, len(v or w)) for k, v, w in
              re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', line.split(':', 1)[1])))
PY
dg() { "$PY" "$T/dg.py" "$@"; }
# challenge PATH ALG: NONCE and OPAQUE of the GBA challenge for ALG
challenge() {
  xcurl -A "x 3gpp-gba" -D "$T/ch" -o /dev/null "$BASE$1"
  line=$(grep -i "^WWW-Authenticate:.*realm=\"$GREALM\".*algorithm=$2," "$T/ch" | head -1)
  NONCE=$(echo "$line" | sed -n 's/.* nonce="\([^"]*\)".*/\1/p')
  OPAQUE=$(echo "$line" | sed -n 's/.*opaque="\([^"]*\)".*/\1/p')
}
# sreq REQFILE OUTFILE s_client-args: one raw HTTPS exchange with openssl s_client
sreq() {
  f=$1; o=$2; shift 2
  timeout 10 openssl s_client -connect "127.0.0.1:$XCAP_PORT" -servername "$XCAP_HOST" \
    -CAfile "$T/tls/ca.crt" -ign_eof "$@" < "$f" > "$o" 2>&1 || true
}
rawget() { # rawget PATH AUTHORIZATION > file
  printf 'GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: t_ut 3gpp-gba\r\nAuthorization: %s\r\nConnection: close\r\n\r\n' \
    "$1" "$XCAP_HOST" "$2"
}

# ---- 1. GBA bootstrapping + Ut with the test UE, then with curl --digest
ue_alice --method PUT --url "$BASE$A_RULES" --data-file "$DATA/rfc5025-pres-rules.xml" \
  --content-type "$PR_CT" > "$T/o" 2> "$T/e" || true
expect_match "gba-ue bootstraps (Ub) and PUTs alice's pres-rules (201)" "Ut PUT -> HTTP 201" "$T/e"
SUITE=$(sed -n 's/.*negotiated TLS cipher suite \([0-9a-f]*\).*/\1/p' "$T/e" | head -1)
expect_re "the UE derived Ks_NAF for the negotiated cipher suite" "^[0-9a-f]{4}$" "$SUITE"
expect_match "the Ut request was authenticated with GBA" "user=alice@ims.example.com \(GBA\) as=\* PUT $A_RULES: 201" "$T/presenced.log"
ue_alice --url "$BASE$A_RULES" --print > "$T/o" 2> "$T/e" || true
expect_match "gba-ue GETs alice's pres-rules (200)" "Ut GET -> HTTP 200" "$T/e"
expect_match "the GET returns the stored document" "<cr:ruleset" "$T/o"
BTID=$(field BTID "$T/o"); KSNAF=$(field KSNAF "$T/o")
expect_re "B-TID = base64(RAND)@BSF name" "^[A-Za-z0-9+/]{22}==@bsf\.ims\.example\.com$" "$BTID"
expect_eq "Ks_NAF is 32 octets in base64" 44 "${#KSNAF}"

st=$(gcurl "$BTID" "$KSNAF" "$BASE$A_RULES"); E1=$(etag "$T/h")
expect_eq "curl --digest with B-TID / Ks_NAF: GET 200" 200 "$st"
expect_re "... with an ETag" '^"[0-9a-f]+"$' "$E1"
expect_match "... and Authentication-Info (rspauth)" "^Authentication-Info: .*rspauth=" "$T/h"
st=$(gcurl "$BTID" "$KSNAF" -X PUT -H "Content-Type: $PR_CT" -H "If-Match: $E1" \
  --data-binary "@$DATA/oma-pres-rules.xml" "$BASE$A_RULES"); E2=$(etag "$T/h")
expect_eq "curl --digest conditional PUT (If-Match) 200" 200 "$st"
st=$(gcurl "$BTID" "$KSNAF" "$BASE$A_RULES")
expect_eq "GET after the PUT: 200" 200 "$st"
expect_eq "GET returns the new ETag" "$E2" "$(etag "$T/h")"
[ "$E1" != "$E2" ] && ok "the ETag changed with the content" || fail "the ETag changed with the content"
st=$(xcurl -o /dev/null -w '%{http_code}' "$BASE$A_RULES")
expect_eq "no credentials: 401" 401 "$st"
xcurl -A "presenced-test 3gpp-gba" -D "$T/h" -o /dev/null "$BASE$A_RULES"
expect_match "a GBA UE is challenged with the GBA realm" "^WWW-Authenticate: Digest realm=\"$GREALM\"" "$T/h"
expect_nomatch "... and only with it" "^WWW-Authenticate: Digest realm=\"ims.example.com\"" "$T/h"

# ---- 2. X-3GPP-Intended-Identity
TEL_RULES=/xcap-root/pres-rules/users/tel:+15550001/index
st=$(gcurl "$BTID" "$KSNAF" -X PUT -H "Content-Type: $PR_CT" -H 'X-3GPP-Intended-Identity: "tel:+15550001"' \
  --data-binary "@$DATA/rfc5025-pres-rules.xml" "$BASE$TEL_RULES")
expect_eq "intended identity tel:+15550001 (alice's 2nd IMPU): PUT on the tel XUI 201" 201 "$st"
st=$(gcurl "$BTID" "$KSNAF" -H 'X-3GPP-Intended-Identity: "tel:+15550001"' "$BASE$TEL_RULES")
expect_eq "intended identity tel:+15550001: GET on the tel XUI 200" 200 "$st"
st=$(gcurl "$BTID" "$KSNAF" -H "X-3GPP-Intended-Identity: $ALICE" "$BASE$TEL_RULES")
expect_eq "intended identity sip:alice (unquoted) limits access to that IMPU: tel XUI 403" 403 "$st"
st=$(gcurl "$BTID" "$KSNAF" -H "X-3GPP-Intended-Identity: \"$BOB\"" "$BASE$A_RULES")
expect_eq "intended identity = bob's IMPU: 403" 403 "$st"
expect_match "... logged" "X-3GPP-Intended-Identity \"$BOB\" is not among the user's public identities: 403" "$T/presenced.log"

# ---- 3. alice's B-TID against bob's documents: 403 for every auid
ue_bob --method PUT --url "$XR/pres-rules/users/$BOB/index" --data-file "$DATA/rfc5025-pres-rules.xml" \
  --content-type "$PR_CT" > "$T/o" 2> "$T/e" || true
expect_match "bob bootstraps and stores his pres-rules" "Ut PUT -> HTTP 201" "$T/e"
ue_bob --method PUT --url "$XR/resource-lists/users/$BOB/index" --data-file "$DATA/rfc4826-resource-lists.xml" \
  --content-type application/resource-lists+xml > "$T/o" 2> "$T/e" || true
expect_match "bob stores his resource-lists" "Ut PUT -> HTTP 201" "$T/e"
for d in pres-rules/users/$BOB/index org.openmobilealliance.pres-rules/users/$BOB/index \
    resource-lists/users/$BOB/index rls-services/users/$BOB/index pidf-manipulation/users/$BOB/index \
    org.openmobilealliance.xcap-directory/users/$BOB/directory.xml; do
  st=$(gcurl "$BTID" "$KSNAF" "$XR/$d")
  expect_eq "alice GET bob's ${d%%/*}: 403" 403 "$st"
  expect_nomatch "... no document data" "<(cr:ruleset|ruleset|resource-lists|rls-services|presence|xcap-directory)" "$T/b"
done
st=$(gcurl "$BTID" "$KSNAF" -X PUT -H "Content-Type: $PR_CT" --data-binary "@$DATA/oma-pres-rules.xml" \
  "$XR/pres-rules/users/$BOB/index")
expect_eq "alice PUT bob's pres-rules: 403" 403 "$st"
st=$(gcurl "$BTID" "$KSNAF" -X DELETE "$XR/resource-lists/users/$BOB/index")
expect_eq "alice DELETE bob's resource-lists: 403" 403 "$st"
ue_bob --url "$XR/resource-lists/users/$BOB/index" > "$T/o" 2> "$T/e" || true
expect_match "bob's resource-lists are still there" "<list name=\"friends\"" "$T/o"

# ---- 4. wrong keys, replays, expiry, cipher suite binding
WRONG=$(printf 'not-the-key-not-the-key-not-the' | base64)
st=$(gcurl "$BTID" "$WRONG" "$BASE$A_RULES")
expect_eq "wrong Ks_NAF: 401" 401 "$st"
expect_match "... challenged again with the GBA realm" "^WWW-Authenticate: Digest realm=\"$GREALM\"" "$T/h"
expect_match "... logged as a bad response" "authentication refused \(bad response\): 401" "$T/presenced.log"
st=$(gcurl "$BTID" "$KSNAF" "$BASE$A_RULES")
expect_eq "the right Ks_NAF still works (resets the failure count)" 200 "$st"

challenge "$A_RULES" MD5
AZ=$(dg MD5 "$BTID" "$KSNAF" "$GREALM" GET "$A_RULES" "$NONCE" "$OPAQUE" auth 00000001 0a4f113b)
st=$(xcurl -H "Authorization: $AZ" -D "$T/h" -o /dev/null -w '%{http_code}' "$BASE$A_RULES")
expect_eq "hand-made Authorization (MD5, nc=00000001): 200" 200 "$st"
st=$(xcurl -H "Authorization: $AZ" -D "$T/h" -o "$T/b" -w '%{http_code}' "$BASE$A_RULES")
expect_eq "the same nonce-count again (replay): 401" 401 "$st"
expect_match "... with stale=true" "^WWW-Authenticate: .*stale=true" "$T/h"
expect_nomatch "... and no document" "ruleset" "$T/b"
AZ=$(dg MD5 "$BTID" "$KSNAF" "$GREALM" GET "$A_RULES" "$NONCE" "$OPAQUE" auth 00000002 0a4f113b)
st=$(xcurl -H "Authorization: $AZ" -o /dev/null -w '%{http_code}' "$BASE$A_RULES")
expect_eq "next nonce-count (00000002) on the same nonce: 200" 200 "$st"
AZ=$(dg SHA-256 "$BTID" "$KSNAF" "$GREALM" PUT "$A_RULES" "$NONCE" "$OPAQUE" auth-int 00000003 0a4f113b "$DATA/rfc5025-pres-rules.xml")
st=$(xcurl -X PUT -H "Authorization: $AZ" -H "Content-Type: $PR_CT" --data-binary "@$DATA/rfc5025-pres-rules.xml" \
  -D "$T/h" -o /dev/null -w '%{http_code}' "$BASE$A_RULES")
expect_eq "qop=auth-int (SHA-256) PUT with the body it covers: 200" 200 "$st"
expect_match "... Authentication-Info with qop=auth-int" "^Authentication-Info: .*qop=auth-int" "$T/h"
AZ=$(dg SHA-256 "$BTID" "$KSNAF" "$GREALM" PUT "$A_RULES" "$NONCE" "$OPAQUE" auth-int 00000004 0a4f113b "$DATA/rfc5025-pres-rules.xml")
st=$(xcurl -X PUT -H "Authorization: $AZ" -H "Content-Type: $PR_CT" --data-binary "@$DATA/oma-pres-rules.xml" \
  -o /dev/null -w '%{http_code}' "$BASE$A_RULES")
expect_eq "qop=auth-int over another body than the one sent: 401" 401 "$st"

ue_alice --cipher-suite "$SUITE" --print > "$T/o" 2> "$T/e" || true
XB=$(field BTID "$T/o"); XK=$(field KSNAF "$T/o")
n=$(sqlite3 "$T/presenced.db" ".timeout 5000" \
  "UPDATE gba_session SET expires = strftime('%s','now') - 5 WHERE btid = '$XB'; SELECT changes();")
expect_eq "test setup: the fresh B-TID's session expired in the BSF database" 1 "$n"
st=$(gcurl "$XB" "$XK" "$BASE$A_RULES")
expect_eq "expired B-TID: 401" 401 "$st"
expect_match "... with the GBA realm (bootstrap again)" "^WWW-Authenticate: Digest realm=\"$GREALM\"" "$T/h"
expect_nomatch "... and no document" "ruleset" "$T/b"
ue_alice --url "$BASE$A_RULES" > "$T/o" 2> "$T/e" || true
expect_match "after bootstrapping again: 200" "Ut GET -> HTTP 200" "$T/e"

ue_alice --cipher-suite 002f --url "$BASE$A_RULES" > "$T/o" 2> "$T/e" || true
expect_match "Ks_NAF derived for suite 002f on a connection with suite $SUITE: 401" "Ut GET -> HTTP 401" "$T/e"
expect_match "... (the UE saw the mismatch)" "negotiated suite $SUITE, key was derived for 002f" "$T/e"
ue_alice --cipher-suite http --print > "$T/o" 2> "$T/e" || true
st=$(gcurl "$(field BTID "$T/o")" "$(field KSNAF "$T/o")" "$BASE$A_RULES")
expect_eq "Ks_NAF derived for plain HTTP (Ua id 01 00 00 00 02) over TLS: 401" 401 "$st"
st=$(gcurl "$BTID" "$KSNAF" "$BASE$A_RULES")
expect_eq "the right Ks_NAF still works" 200 "$st"

# NAF_Id = FQDN || 01 00 01 yy zz with the suite each connection negotiates
CAPS=/xcap-root/xcap-caps/global/index
challenge "$CAPS" MD5
i=1
for cs in 1.3:TLS_AES_256_GCM_SHA384:1302 1.3:TLS_CHACHA20_POLY1305_SHA256:1303 \
    1.2:ECDHE-RSA-AES256-GCM-SHA384:c030 1.2:ECDHE-RSA-CHACHA20-POLY1305:cca8 \
    1.2:ECDHE-RSA-AES128-SHA:c013 1.2:AES128-GCM-SHA256:009c; do
  v=${cs%%:*}; name=${cs#*:}; name=${name%:*}; code=${cs##*:}
  ue_alice --cipher-suite "$code" --print > "$T/o" 2> "$T/e" || true
  rawget "$CAPS" "$(dg MD5 "$(field BTID "$T/o")" "$(field KSNAF "$T/o")" "$GREALM" GET "$CAPS" "$NONCE" "$OPAQUE" auth "0000000$i" beef)" > "$T/req"
  i=$((i+1))
  if [ "$v" = 1.3 ]; then sreq "$T/req" "$T/o1" -tls1_3 -ciphersuites "$name"
  else sreq "$T/req" "$T/o1" -tls1_2 -cipher "$name"; fi
  if grep -q "Cipher is $name" "$T/o1" && grep -q "^HTTP/1.1 200" "$T/o1"; then ok "Ks_NAF for suite $code ($name, TLS $v): 200"
  else fail "Ks_NAF for suite $code ($name, TLS $v): 200"; grep -E "Cipher is|^HTTP" "$T/o1" | sed 's/^/    /'; fi
done

# NAF_Id carries the NAF name the UE used: the SNI virtual host has its own
ALT=xcap-alt.ims.example.com
curl -sS --cacert "$T/tls/ca.crt" --resolve "$ALT:$XCAP_PORT:127.0.0.1" -A "x 3gpp-gba" -D "$T/h" -o /dev/null \
  "https://$ALT:$XCAP_PORT$A_RULES"
expect_match "virtual host $ALT: GBA realm with its own name" "^WWW-Authenticate: Digest realm=\"3GPP-bootstrapping@$ALT\"" "$T/h"
ue_alice --resolve "$ALT:$XCAP_PORT:127.0.0.1" --url "https://$ALT:$XCAP_PORT$A_RULES" --print > "$T/o" 2> "$T/e" || true
expect_match "virtual host $ALT: GBA with NAF_Id = $ALT || Ua id: 200" "Ut GET -> HTTP 200" "$T/e"
st=$(curl -sS --cacert "$T/tls/ca.crt" --resolve "$ALT:$XCAP_PORT:127.0.0.1" --digest -u "$BTID:$KSNAF" \
  -A "x 3gpp-gba" -o /dev/null -w '%{http_code}' "https://$ALT:$XCAP_PORT$A_RULES")
expect_eq "virtual host $ALT: a Ks_NAF derived for $XCAP_HOST does not work there: 401" 401 "$st"

# TLS 1.3 with the usual X25519 key share: no HelloRetryRequest round trip
(sleep 0.3; echo) | timeout 10 openssl s_client -connect "127.0.0.1:$XCAP_PORT" -servername "$XCAP_HOST" \
  -CAfile "$T/tls/ca.crt" -tls1_3 -msg > "$T/o" 2>&1 || true
expect_eq "TLS 1.3: one ServerHello (no HelloRetryRequest for an X25519 key share)" 1 "$(grep -c '<<< .*ServerHello' "$T/o")"
expect_match "... X25519 negotiated" "^Server Temp Key: X25519" "$T/o"

# a slow client in the middle of the handshake must not make a worker spin
cat > "$T/slow.py" <<'PY'
import socket, ssl, sys, time
port, pid, ver = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def cpu():
    f = open('/proc/%s/stat' % pid).read().rsplit(')', 1)[1].split()
    return int(f[11]) + int(f[12])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
v = ssl.TLSVersion.TLSv1_3 if ver == '1.3' else ssl.TLSVersion.TLSv1_2
ctx.minimum_version = ctx.maximum_version = v
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
obj = ctx.wrap_bio(inc, out, server_hostname='xcap.ims.example.com')
s = socket.create_connection(('127.0.0.1', port))
try:
    obj.do_handshake()
except ssl.SSLWantReadError:
    pass
s.sendall(out.read())       # ClientHello
time.sleep(0.3)
s.recv(65536)               # the server's flight; our answer is late
c0 = cpu(); time.sleep(1); c1 = cpu()
print((c1 - c0) * 1000 // int(sys.argv[4]))
PY
tck=$(getconf CLK_TCK)
for v in 1.2 1.3; do
  ms=$("$PY" "$T/slow.py" "$XCAP_PORT" "$PID" $v "$tck" 2>&1 || echo 9999)
  expect_re "TLS $v handshake waiting 1 s for the client: server CPU ${ms} ms (< 150, no busy polling)" '^([0-9]|[0-9][0-9]|1[0-4][0-9])$' "$ms"
done

# ---- 4b. Authentication Proxy (TS 33.222 clause 6): X-3GPP-Asserted-Identity
st=$(xcurl --interface 127.0.0.5 -H "X-3GPP-Asserted-Identity: \"$ALICE\"" -o "$T/b" -w '%{http_code}' "$BASE$A_RULES")
expect_eq "asserted identity from the trusted AP (127.0.0.5): 200 without digest" 200 "$st"
expect_match "... the document" "ruleset" "$T/b"
st=$(xcurl --interface 127.0.0.5 -H "X-3GPP-Asserted-Identity: \"$ALICE\"" -o /dev/null -w '%{http_code}' "$XR/pres-rules/users/$BOB/index")
expect_eq "AP-asserted alice on bob's document: 403" 403 "$st"
st=$(xcurl --interface 127.0.0.5 -H 'X-3GPP-Asserted-Identity: "sip:mallory@ims.example.com"' -o /dev/null -w '%{http_code}' "$BASE$A_RULES")
expect_eq "AP-asserted identity that is not provisioned: 403" 403 "$st"
st=$(xcurl -H "X-3GPP-Asserted-Identity: \"$ALICE\"" -o /dev/null -w '%{http_code}' "$BASE$A_RULES")
expect_eq "asserted identity from a peer outside the trust domain: ignored, 401" 401 "$st"
expect_match "... logged" "X-3GPP-Asserted-Identity ignored: from a peer outside the trust domain" "$T/presenced.log"

# ---- 5. forced re-authentication, seen on resumed TLS sessions
for v in 1.2 1.3; do
  if [ $v = 1.2 ]; then sc="-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256"; cs=c02f; name=ECDHE-RSA-AES128-GCM-SHA256
  else sc="-tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256"; cs=1301; name=TLS_AES_128_GCM_SHA256; fi
  ue_alice --cipher-suite $cs --print > "$T/o" 2> "$T/e" || true
  RB=$(field BTID "$T/o"); RK=$(field KSNAF "$T/o")
  challenge "$A_RULES" MD5
  rawget "$A_RULES" "$(dg MD5 "$RB" "$RK" "$GREALM" GET "$A_RULES" "$NONCE" "$OPAQUE" auth 00000001 c0ffee)" > "$T/req1"
  rawget "$A_RULES" "$(dg MD5 "$RB" "$RK" "$GREALM" GET "$A_RULES" "$NONCE" "$OPAQUE" auth 00000002 c0ffee)" > "$T/req2"
  rawget "$A_RULES" "$(dg MD5 "$RB" "$RK" "$GREALM" GET "$A_RULES" "$NONCE" "$OPAQUE" auth 00000003 c0ffee)" > "$T/req3"
  # shellcheck disable=SC2086
  sreq "$T/req1" "$T/o1" $sc -sess_out "$T/sess$v"
  expect_match "TLS $v: new session ($name), no client certificate" "^New, TLSv$v, Cipher is $name" "$T/o1"
  if [ $v = 1.2 ]; then cr="^Client Certificate Types:"; else cr="^Requested Signature Algorithms:"; fi
  expect_match "TLS $v: the server asked for a client certificate" "$cr" "$T/o1"
  expect_match "TLS $v: GBA digest on it: 200" "^HTTP/1.1 200 OK" "$T/o1"
  # shellcheck disable=SC2086
  sreq "$T/req2" "$T/o2" $sc -sess_in "$T/sess$v"
  expect_match "TLS $v: the session resumes" "^Reused, TLSv$v, Cipher is $name" "$T/o2"
  expect_match "TLS $v: resumed session, same key: 200" "^HTTP/1.1 200 OK" "$T/o2"
  sleep 1
  "$PRESENCECTL" --db "$T/presenced.db" subscriber reauth --impi alice@ims.example.com > "$T/o" 2>&1
  expect_match "presencectl subscriber reauth" "must authenticate again" "$T/o"
  # shellcheck disable=SC2086
  sreq "$T/req3" "$T/o3" $sc -sess_in "$T/sess$v"
  expect_match "TLS $v: resumed again after the re-auth order" "^Reused, TLSv$v" "$T/o3"
  expect_match "TLS $v: old credentials after a forced re-auth: 401" "^HTTP/1.1 401" "$T/o3"
  expect_match "... with the GBA realm" "^WWW-Authenticate: Digest realm=\"$GREALM\"" "$T/o3"
  expect_nomatch "... and no document data" "ruleset|ETag" "$T/o3"
  ue_alice --url "$BASE$A_RULES" > "$T/o" 2> "$T/e" || true
  expect_match "TLS $v: bootstrapped again: 200" "Ut GET -> HTTP 200" "$T/e"
done
expect_match "forced re-authentication is logged as such" "authentication refused \(re-authentication required\): 401" "$T/presenced.log"

# ---- 6. rate limiting of repeated failures (another source address)
ue_alice --url "$BASE$A_RULES" --print > "$T/o" 2> "$T/e" || true
BTID=$(field BTID "$T/o"); KSNAF=$(field KSNAF "$T/o")
expect_match "alice bootstraps again" "Ut GET -> HTTP 200" "$T/e"
codes=""
for i in 1 2 3 4 5 6; do
  codes="$codes $(gcurl "$BTID" "$WRONG" --interface 127.0.0.9 "$BASE$A_RULES")"
  cp "$T/h" "$T/h$i"
done
expect_eq "failures from 127.0.0.9: 401 until more than fail_limit (3), then 429" " 401 401 401 401 429 429" "$codes"
expect_match "... 429 carries Retry-After" "^Retry-After: [0-9]+" "$T/h6"
expect_match "... the block is logged" "ut: peer=127.0.0.9 blocked for 20s" "$T/presenced.log"
expect_match "... refusals during the block are logged" "peer=127.0.0.9 .*refused, source blocked" "$T/presenced.log"
st=$(gcurl "$BTID" "$KSNAF" --interface 127.0.0.9 "$BASE$A_RULES")
expect_eq "the right key from the blocked source: still 429" 429 "$st"
st=$(gcurl "$BTID" "$KSNAF" "$BASE$A_RULES")
expect_eq "another source is not blocked: 200" 200 "$st"

# ---- 7. the BSF (Ub)
bsf_get() { # bsf_get AUTHORIZATION OUT
  curl -sS -H "Host: bsf.ims.example.com" -H "Authorization: $1" -A "x 3gpp-gba-tmpi" \
    -D "$2" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$BSF_PORT/"
}
init() { echo "Digest username=\"$1\", realm=\"bsf.ims.example.com\", nonce=\"\", uri=\"/\", response=\"\""; }
st=$(bsf_get "$(init alice@ims.example.com)" "$T/ba")
expect_eq "BSF: alice's first request: 401" 401 "$st"
st=$(bsf_get "$(init nobody@ims.example.com)" "$T/bn")
expect_eq "BSF: unknown IMPI: 401 as well" 401 "$st"
"$PY" "$T/shape.py" < "$T/ba" > "$T/sa"; "$PY" "$T/shape.py" < "$T/bn" > "$T/sn"
expect_match "BSF: alice's challenge is AKAv1-MD5 with a 32-octet nonce" "nonce:44 .*algorithm:9" "$T/sa"
expect_eq "BSF: the unknown IMPI's challenge has the same shape (no enumeration)" "$(cat "$T/sa")" "$(cat "$T/sn")"
expect_eq "BSF: same headers for both" "$(grep -v -i -e '^date:' -e '^www-auth' "$T/ba")" "$(grep -v -i -e '^date:' -e '^www-auth' "$T/bn")"
line=$(grep -i '^WWW-Authenticate' "$T/ba")
N1=$(echo "$line" | sed -n 's/.* nonce="\([^"]*\)".*/\1/p'); O1=$(echo "$line" | sed -n 's/.*opaque="\([^"]*\)".*/\1/p')
st=$(bsf_get "$(dg AKAv1-MD5 alice@ims.example.com 0000000000000000 bsf.ims.example.com GET / "$N1" "$O1" auth-int 00000001 1234abcd)" "$T/bw")
expect_eq "BSF: wrong RES: 401" 401 "$st"
N2=$(sed -n 's/.* nonce="\([^"]*\)".*/\1/p' "$T/bw")
[ -n "$N2" ] && [ "$N2" != "$N1" ] && ok "BSF: ... with a fresh challenge" || fail "BSF: ... with a fresh challenge ($N1 / $N2)"
expect_nomatch "BSF: ... and no B-TID" "Authentication-Info" "$T/bw"
ue_alice --sqn-ms 1000000 --cipher-suite http --print > "$T/o" 2> "$T/e" && r=0 || r=1
expect_match "BSF: a USIM ahead of the HSS answers with AUTS" "sending AUTS" "$T/e"
expect_eq "BSF: after resynchronisation the bootstrap succeeds" 0 "$r"
expect_match "BSF: ... with a B-TID" "^BTID=.+@bsf.ims.example.com$" "$T/o"
ue_alice --sqn-ms 1000000 --cipher-suite http --print > "$T/o" 2> "$T/e" && r=0 || r=1
expect_nomatch "BSF: the next bootstrap needs no AUTS (SQN resynchronised)" "sending AUTS" "$T/e"
expect_eq "BSF: ... and succeeds" 0 "$r"

# ---- 7b. the UE answers a GBA challenge only for the host it talks to
# (TS 33.222 5.3): a server whose realm names another NAF gets no answer
ROGUE_PORT=$(free_port)
cat > "$T/rogue.py" <<'PYEOF'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(sys.argv[2], "a") as f:
            f.write("Authorization: %s\n" % self.headers.get("Authorization", "-"))
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Digest realm="3GPP-bootstrapping@as9.other.example.net", '
                         'nonce="bm9uY2U=", qop="auth", algorithm=MD5')
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PYEOF
: > "$T/rogue.log"
python3 "$T/rogue.py" "$ROGUE_PORT" "$T/rogue.log" &
ROGUE_PID=$!
i=0; until python3 -c "import socket; socket.create_connection(('127.0.0.1', $ROGUE_PORT), 1)" 2>/dev/null; do
  i=$((i+1)); [ $i -gt 50 ] && break; sleep 0.1; done
"$GBA_UE" --bsf "http://127.0.0.1:$BSF_PORT/" --impi alice@ims.example.com --k "$ALICE_K" --opc "$ALICE_OPC" \
  --cipher-suite http --resolve "$XCAP_HOST:$ROGUE_PORT:127.0.0.1" \
  --url "http://$XCAP_HOST:$ROGUE_PORT/xcap-root/xcap-caps/global/index" > "$T/o" 2> "$T/e" && r=0 || r=1
expect_eq "gba-ue: a GBA realm naming another host is not answered (exit 1)" 1 "$r"
expect_match "... and says why" "realm names 3GPP-bootstrapping@as9.other.example.net" "$T/e"
expect_nomatch "... the server never got an Authorization header" "Authorization: Digest" "$T/rogue.log"
expect_match "... it did get the request" "Authorization: -" "$T/rogue.log"
kill "$ROGUE_PID" 2>/dev/null; wait "$ROGUE_PID" 2>/dev/null || true

# ---- 8. no secret in the log (it is at debug level)
leak=0
for secret in "$KSNAF" "$XK" "$RK" "$ALICE_K" "$ALICE_OPC" "$BOB_K"; do
  grep -qiF -- "$secret" "$T/presenced.log" && leak=1
done
expect_eq "no Ks_NAF, K or OPc in the debug log" 0 "$leak"
pres_stop
expect_nomatch "clean stop, no sanitizer report (--enable-sanitizers builds)" \
  "runtime error|ERROR: AddressSanitizer|ERROR: LeakSanitizer" "$T/presenced.log"
finish
