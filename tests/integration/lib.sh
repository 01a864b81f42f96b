# lib.sh - shared helpers of the integration tests. Sourced by tests/integration/t_*.sh.
# Starts a real presenced on free loopback ports with a temporary database,
# configuration and demo PKI; everything lives in $T and is removed at exit.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
PRESENCED="$top_builddir/presenced"
PRESENCECTL="$top_builddir/presencectl"
GBA_UE="$top_builddir/tools/gba-ue"
T=$(mktemp -d /tmp/presenced-it.XXXXXX)
PID=""
FAILS=0
CHECKS=0
ALICE_PW=alice-secret
BOB_PW=bob-secret
ALICE_K=465b5ce8b199b49faa5f0a2ee238a6bc; ALICE_OPC=cd63cb71954a9f4e48a5994e37a02baf
BOB_K=fec86ba6eb707ed08905757b1bb44b8f; BOB_OPC=1006020f0a478bf6b699f15c062e42b3

cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; fi
  if [ "$FAILS" -ne 0 ] && [ -f "$T/presenced.log" ]; then echo "--- presenced log"; tail -40 "$T/presenced.log"; fi
  rm -rf "$T"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket
s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

ok() { CHECKS=$((CHECKS+1)); echo "ok - $1"; }
fail() { CHECKS=$((CHECKS+1)); FAILS=$((FAILS+1)); echo "FAIL - $1"; }
check() { # check "description" command...
  desc=$1; shift
  if "$@" >"$T/check.out" 2>&1; then ok "$desc"; else fail "$desc"; sed 's/^/    /' "$T/check.out" | tail -15; fi
}
expect_eq() { # expect_eq "description" expected actual
  if [ "$2" = "$3" ]; then ok "$1"; else fail "$1 (expected '$2', got '$3')"; fi
}
expect_match() { # expect_match "description" regex file
  if grep -Eq -- "$2" "$3"; then ok "$1"; else fail "$1 (no /$2/ in $3)"; sed 's/^/    /' "$3" | tail -15; fi
}
expect_nomatch() {
  if grep -Eq -- "$2" "$3"; then fail "$1 (/$2/ found in $3)"; sed 's/^/    /' "$3" | tail -15; else ok "$1"; fi
}
finish() {
  echo "$((CHECKS-FAILS)) passed, $FAILS failed"
  [ "$FAILS" -eq 0 ]
}

# Writes $T/presenced.conf. Extra config text (e.g. a tls { } override) may be
# passed as $1 and replaces the default section of the same name.
# PRES_SIP_EXTRA: more options inside sip { } (e.g. trusted_peers).
pres_config() {
  XCAP_PORT=$(free_port); BSF_PORT=$(free_port); SIP_PORT=$(free_port); SIPS_PORT=$(free_port)
  [ -d "$T/tls" ] || "$top_srcdir/scripts/gen-demo-certs.sh" "$T/tls" >/dev/null
  TLS_SECTION=${PRES_TLS_SECTION:-'tls { session_lifetime = 86400 }'}
  AUTH_SECTION=${PRES_AUTH_SECTION:-'auth { gba = true digest = true realm = "ims.example.com" }'}
  SIP_ENABLED=${PRES_SIP_ENABLED:-true}
  cat > "$T/presenced.conf" <<CONF
home_domain = "ims.example.com"
log_level = "debug"
pidfile = "$T/presenced.pid"
database = "$T/presenced.db"
sip {
  enabled = $SIP_ENABLED
  listen = {"sip:127.0.0.1:$SIP_PORT;transport=udp", "sip:127.0.0.1:$SIP_PORT;transport=tcp",
            "sips:127.0.0.1:$SIPS_PORT;transport=tls"}
  tls_dir = "$T/tls/sip"
  min_expires = 10
  ${PRES_SIP_EXTRA:-}
}
xcap {
  listen = "127.0.0.1"
  port = $XCAP_PORT
  fqdn = "xcap.ims.example.com"
  certificate = "$T/tls/xcap.crt"
  key = "$T/tls/xcap.key"
  ec_certificate = "$T/tls/xcap-ec.crt"
  ec_key = "$T/tls/xcap-ec.key"
  ca = "$T/tls/ca.crt"
  schema_dir = "$top_srcdir/xcap/schemas"
  vhost "xcap-alt.ims.example.com" { certificate = "$T/tls/alt.crt" key = "$T/tls/alt.key" }
  max_body = 65536
  threads = 2
}
$TLS_SECTION
$AUTH_SECTION
bsf { enabled = true listen = "127.0.0.1" port = $BSF_PORT name = "bsf.ims.example.com" key_lifetime = ${PRES_KEY_LIFETIME:-3600} }
CONF
}

pres_provision() {
  "$PRESENCECTL" --db "$T/presenced.db" subscriber add --impi alice@ims.example.com \
    --impu sip:alice@ims.example.com --impu tel:+15550001 --k "$ALICE_K" --opc "$ALICE_OPC" \
    --password "$ALICE_PW" >/dev/null
  "$PRESENCECTL" --db "$T/presenced.db" subscriber add --impi bob@ims.example.com \
    --impu sip:bob@ims.example.com --k "$BOB_K" --opc "$BOB_OPC" --password "$BOB_PW" >/dev/null
}

pres_start() {
  "$PRESENCED" -f -c "$T/presenced.conf" >"$T/presenced.log" 2>&1 &
  PID=$!
  i=0
  while ! grep -q "ready" "$T/presenced.log" 2>/dev/null; do
    i=$((i+1))
    if [ $i -gt 100 ] || ! kill -0 "$PID" 2>/dev/null; then
      echo "presenced did not start:"; cat "$T/presenced.log"; kill -TERM "$PID" 2>/dev/null || true; PID=""; exit 1
    fi
    sleep 0.1
  done
}

pres_stop() {
  if [ -n "$PID" ]; then kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""; fi
}

XCAP_HOST=xcap.ims.example.com
xcurl() { # curl against the XCAP server with the demo CA and name resolution
  curl -sS --cacert "$T/tls/ca.crt" --resolve "$XCAP_HOST:$XCAP_PORT:127.0.0.1" "$@"
}
XROOT() { echo "https://$XCAP_HOST:$XCAP_PORT/xcap-root"; }
