#!/bin/sh
# bench/ut/run.sh - Ut (XCAP over HTTPS) performance of presenced, each figure
# against a baseline measured in the same run, on loopback:
#   1. TLS handshakes/s (full and resumed, TLS 1.2 and 1.3) with openssl s_time
#      against presenced's Ut port and against openssl s_server -www on the
#      same certificate and key (another port); same suite and group on both.
#   2. authenticated GETs/s over one keep-alive connection with GBA digest
#      (B-TID / Ks_NAF from the embedded BSF, nonce reused with nc++) against
#      the same loop with password digest (what GBA costs on top).
# Samples of both sides are interleaved (ROUNDS rounds, the order alternating)
# so that load from other processes hits both alike.
#
#   bench/ut/run.sh [SECONDS]      SECONDS per sample (default 2); ROUNDS=3
#   KEY=ecdsa bench/ut/run.sh      both servers on an ECDSA P-256 certificate
#                                  (default: the demo RSA-2048 certificate)
#   top_builddir=/path/to/build bench/ut/run.sh
# Takes about 10 * SECONDS * ROUNDS + 30 seconds (~1.5 min by default).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
: "${top_builddir:=$top_srcdir/build}"
SECS=${1:-2}
ROUNDS=${ROUNDS:-3}
. "$top_srcdir/tests/integration/lib.sh"
for b in "$PRESENCED" "$PRESENCECTL" "$GBA_UE"; do
  [ -x "$b" ] || { echo "missing $b: build first (scripts/build.sh build)"; exit 1; }
done
for c in openssl cc pkg-config awk; do
  command -v $c >/dev/null || { echo "missing $c"; exit 1; }
done

SPID=""
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; cleanup' EXIT
cc -O2 -o "$T/getloop" "$here/getloop.c" $(pkg-config --cflags --libs libcurl)

PRES_SIP_ENABLED=false
pres_config
sed -i 's/^log_level = "debug"/log_level = "info"/' "$T/presenced.conf"
# one certificate on both servers: drop presenced's ECDSA twin (the demo PKI
# makes one) so that the comparison is like for like
sed -i '/^  ec_certificate = /d; /^  ec_key = /d' "$T/presenced.conf"
CRT=$T/tls/xcap.crt; KEYF=$T/tls/xcap.key
if [ "${KEY:-rsa}" = ecdsa ]; then
  CRT=$T/tls/xcap-ec.crt; KEYF=$T/tls/xcap-ec.key
  sed -i "s|certificate = \"$T/tls/xcap.crt\"|certificate = \"$CRT\"|; s|key = \"$T/tls/xcap.key\"|key = \"$KEYF\"|" \
    "$T/presenced.conf"
  C12=ECDHE-ECDSA-AES128-GCM-SHA256
else
  C12=ECDHE-RSA-AES128-GCM-SHA256
fi
pres_provision
pres_start
SPORT=$(free_port)
openssl s_server -accept "127.0.0.1:$SPORT" -cert "$CRT" -key "$KEYF" \
  -www -quiet > "$T/s_server.log" 2>&1 &
SPID=$!
i=0
until echo | openssl s_client -connect "127.0.0.1:$SPORT" > /dev/null 2>&1; do
  i=$((i+1)); [ $i -lt 50 ] || { echo "openssl s_server did not start"; exit 1; }; sleep 0.1
done

C13=TLS_AES_128_GCM_SHA256
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # clock ticks
tick=$(getconf CLK_TCK)
now() { date +%s.%N; }

echo "$("$PRESENCED" -V 2>/dev/null | head -1 || echo presenced) | $(openssl version) | $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "certificate: ${KEY:-rsa} $(openssl x509 -in "$CRT" -noout -text | sed -n 's/.*Public-Key: (\(.*\))/\1/p' | head -1); $C12 (TLS 1.2), $C13 (TLS 1.3), group X25519"
echo "samples: $ROUNDS rounds x $SECS s per figure and server, interleaved"
echo
# resumption must really happen on both servers (else -reuse measures full handshakes)
for port in "$XCAP_PORT" "$SPORT"; do
  for v in 1_2 1_3; do
    (sleep 0.3; echo) | openssl s_client -connect "127.0.0.1:$port" -tls$v -sess_out "$T/sess" > /dev/null 2>&1 || true
    (sleep 0.3; echo) | openssl s_client -connect "127.0.0.1:$port" -tls$v -sess_in "$T/sess" > "$T/o" 2>&1 || true
    grep -q "^Reused" "$T/o" || echo "warning: port $port TLS ${v#1_}: no session resumption"
  done
done

# sample NAME PID PORT ARGS...: one s_time run; appends "n wall cpu" to $T/NAME
sample() {
  name=$1; pid=$2; port=$3; shift 3
  c0=$(cpu "$pid"); t0=$(now)
  n=$(openssl s_time -connect "127.0.0.1:$port" -time "$SECS" "$@" 2>&1 |
      sed -n 's/^\([0-9]*\) connections in [0-9]* real seconds.*/\1/p')
  t1=$(now); c1=$(cpu "$pid")
  echo "${n:-0} $t0 $t1 $c0 $c1" >> "$T/$name"
}
r=1
while [ $r -le "$ROUNDS" ]; do
  for f in "12new -tls1_2 -cipher $C12 -new" "12reuse -tls1_2 -cipher $C12 -reuse" \
      "13new -tls1_3 -ciphersuites $C13 -new" "13reuse -tls1_3 -ciphersuites $C13 -reuse -www /"; do
    set -- $f; key=$1; shift
    if [ $((r % 2)) = 1 ]; then
      sample "p$key" "$PID" "$XCAP_PORT" "$@"; sample "o$key" "$SPID" "$SPORT" "$@"
    else
      sample "o$key" "$SPID" "$SPORT" "$@"; sample "p$key" "$PID" "$XCAP_PORT" "$@"
    fi
  done
  r=$((r+1))
done
# rate FILE -> "conns/s cpu-ms-per-conn"
rate() {
  awk -v tick="$tick" '{ n += $1; w += $3 - $2; c += $5 - $4 }
    END { if (w > 0 && n > 0) printf "%.0f %.2f", n / w, c * 1000 / tick / n; else print "0 0" }' "$1"
}
printf '%-34s %12s %12s %7s   %s\n' "TLS handshakes (openssl s_time)" "presenced/s" "s_server/s" "ratio" "server CPU ms/handshake (presenced / s_server)"
ok_all=1
for key in 12new 12reuse 13new 13reuse; do
  case $key in
    12new) label="TLS 1.2 full (-new)";; 12reuse) label="TLS 1.2 resumed (-reuse)";;
    13new) label="TLS 1.3 full (-new)";; 13reuse) label="TLS 1.3 resumed (-reuse -www /)";;
  esac
  set -- $(rate "$T/p$key") $(rate "$T/o$key")
  ratio=$(awk -v a="$1" -v b="$3" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
  printf '%-34s %12s %12s %7s   %s / %s\n' "$label" "$1" "$3" "$ratio" "$2" "$4"
  awk -v x="$ratio" 'BEGIN { exit !(x + 0 >= 0.8) }' || ok_all=0
done
[ $ok_all = 1 ] && echo "goal (ratio >= 0.80 on every handshake figure): met" ||
  echo "goal (ratio >= 0.80 on every handshake figure): NOT met"

# ---- authenticated GETs
DOC="https://$XCAP_HOST:$XCAP_PORT/xcap-root/pres-rules/users/sip:alice@ims.example.com/index"
RES="$XCAP_HOST:$XCAP_PORT:127.0.0.1"
"$GBA_UE" --bsf "http://127.0.0.1:$BSF_PORT/" --impi alice@ims.example.com --k "$ALICE_K" --opc "$ALICE_OPC" \
  --cacert "$T/tls/ca.crt" --resolve "$RES" --method PUT --url "$DOC" \
  --data-file "$top_srcdir/tests/data/xcap/rfc5025-pres-rules.xml" --content-type application/auth-policy+xml \
  --print > "$T/ue" 2> "$T/ue.err" || { echo "GBA bootstrap / PUT failed:"; cat "$T/ue.err"; exit 1; }
BTID=$(sed -n 's/^BTID=//p' "$T/ue"); KSNAF=$(sed -n 's/^KSNAF=//p' "$T/ue")
gets() { # gets NAME USER PASS UA
  "$T/getloop" "$DOC" "$2" "$3" "$SECS" "$T/tls/ca.crt" "$RES" "$4" > "$T/g" ||
    { echo "GET loop failed: $(cat "$T/g")"; exit 1; }
  cat "$T/g" >> "$T/$1"
}
r=1
while [ $r -le "$ROUNDS" ]; do
  if [ $((r % 2)) = 1 ]; then
    gets gba "$BTID" "$KSNAF" "bench 3gpp-gba"; gets pw alice@ims.example.com "$ALICE_PW" bench
  else
    gets pw alice@ims.example.com "$ALICE_PW" bench; gets gba "$BTID" "$KSNAF" "bench 3gpp-gba"
  fi
  r=$((r+1))
done
getrate() {
  sed 's/[a-z]*=//g' "$1" | awk '{ n += $1; s += $2; ch += $4 } END { printf "%.0f %d", n / s, ch }'
}
set -- $(getrate "$T/gba") $(getrate "$T/pw")
echo
printf '%-34s %12s   %s\n' "Authenticated GETs (1 connection)" "GETs/s" "401s seen"
printf '%-34s %12s   %s\n' "GBA digest (B-TID / Ks_NAF)" "$1" "$2"
printf '%-34s %12s   %s\n' "password digest (baseline)" "$3" "$4"
printf '%-34s %12s\n' "ratio GBA / password" "$(awk -v a="$1" -v b="$3" 'BEGIN { printf "%.2f", a / b }')"
