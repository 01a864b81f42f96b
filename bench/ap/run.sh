#!/bin/sh
# bench/ap/run.sh - authenticated XCAP requests/s through the Authentication
# Proxy vs straight to the AS, measured in the same run on loopback.
#
#   bench/ap/run.sh [--shared|--pin] [--client ue|curl|both] [CLIENTS [REQUESTS_PER_CLIENT [ROUNDS]]]
#   (defaults: both topologies, both clients, 4 clients, 1000 (ue) / 300 (curl)
#   GETs, 3 rounds; about 2 minutes)
#
# Two presenced processes: the AS (XCAP, own BSF) and the AP (ap { }, own BSF)
# in front of it (AP->AS over TLS with the AP's client certificate, keep-alive).
# A UE = one client process with GBA keys from tools/gba-ue, doing REQUESTS
# authenticated GETs of a 1 KiB pres-rules document on one kept-alive TLS
# connection. CLIENTS of them run in parallel. Rounds alternate direct / via
# AP; the best round of each counts. Two clients:
#   ue   - bench/ut/getloop.c (libcurl, compiled here): answers the first 401
#          and then reuses the nonce with nc++ (HTTP Digest as a GBA UE does
#          it, TS 24.109): one round trip per GET;
#   curl - the curl tool with a URL list: curl answers a fresh 401 for every
#          URL, so every GET is 401 + authenticated retry on both paths
#          (through the AP the 401 comes from the AP).
# Also printed: CPU time per request of each presenced process (from
# /proc/PID/stat) and of the client processes, which does not depend on what
# else the machine runs.
# --pin: the deployment topology (the AP on a host of its own) on this
# machine: the AS and the clients are bound to CPU 0 on both paths, the AP to
# CPU 1. Direct and via-AP then give the AS and the UEs the same resources,
# and the ratio shows what the extra hop costs them; without --pin all three
# share both cores and the ratio is bounded by their summed CPU per request.
# Needs a build in build/ (./scripts/build.sh build). KEEP=1 keeps the temp dir.
set -eu
cd "$(dirname "$0")/../.."
top_srcdir=$(pwd)
B=${BUILD:-$top_srcdir/build}
KIND=both; PIN=both
while :; do
  case ${1:-} in
    --client) KIND=${2:?--client ue|curl|both}; shift 2 ;;
    --pin) PIN=1; shift ;;
    --shared) PIN=0; shift ;;
    *) break ;;
  esac
done
if [ $PIN = both ]; then   # default: both topologies, one after the other
  [ "$(nproc)" -ge 2 ] || exec sh "$0" --shared --client "$KIND" "$@"
  sh "$0" --shared --client "$KIND" "$@"
  exec sh "$0" --pin --client "$KIND" "$@"
fi
ON_AS=""; ON_AP=""
if [ $PIN = 1 ]; then
  [ "$(nproc)" -ge 2 ] || { echo "--pin needs 2 CPUs" >&2; exit 2; }
  ON_AS="taskset -c 0"; ON_AP="taskset -c 1"
fi
case $KIND in ue|curl|both) ;; *) echo "--client ue|curl|both" >&2; exit 2;; esac
CLIENTS=${1:-4}; REQS_ARG=${2:-}; ROUNDS=${3:-3}
T=$(mktemp -d /tmp/presenced-bench-ap.XXXXXX)
PIDS=""
trap 'for p in $PIDS; do kill -TERM $p 2>/dev/null; wait $p 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT INT TERM
port() { python3 -c 'import socket
s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
"$top_srcdir/scripts/gen-demo-certs.sh" "$T/tls" >/dev/null
cc -O2 -o "$T/getloop" "$top_srcdir/bench/ut/getloop.c" $(pkg-config --cflags --libs libcurl)
K=465b5ce8b199b49faa5f0a2ee238a6bc; OPC=cd63cb71954a9f4e48a5994e37a02baf
AS_PORT=$(port); AS_BSF=$(port); AP_PORT=$(port); AP_BSF=$(port); AP_XCAP=$(port)

common() { # $1 = dir, $2 = xcap port, $3 = bsf port
  cat <<CONF
home_domain = "ims.example.com"
log_level = "warning"
database = "$1/db"
sip { enabled = false }
xcap { port = $2 certificate = "$T/tls/xcap.crt" key = "$T/tls/xcap.key"
       schema_dir = "$top_srcdir/xcap/schemas" threads = 4 }
bsf { enabled = true port = $3 name = "bsf.ims.example.com" }
CONF
}
mkdir -p "$T/as" "$T/ap"
{ common "$T/as" "$AS_PORT" "$AS_BSF"
  echo "tls { request_client_cert = true client_ca = \"$T/tls/ca.crt\" }"
  echo 'auth { gba = true digest = false ap_peers = {"127.0.0.2"} ap_require_client_cert = true }'
} > "$T/as/conf"
{ common "$T/ap" "$AP_XCAP" "$AP_BSF"
  echo 'auth { gba = true digest = false }'
  cat <<CONF
ap { enabled = true port = $AP_PORT threads = 8
     certificate = "$T/tls/xcap.crt" key = "$T/tls/xcap.key" ca = "$T/tls/ca.crt"
     client_certificate = "$T/tls/client.crt" client_key = "$T/tls/client.key"
     source_address = "127.0.0.2"
     as "xcap.ims.example.com" { upstream = "https://xcap.ims.example.com:$AS_PORT" address = "127.0.0.1" } }
CONF
} > "$T/ap/conf"
for d in as ap; do
  "$B/presencectl" --db "$T/$d/db" subscriber add --impi alice@ims.example.com \
    --impu sip:alice@ims.example.com --k $K --opc $OPC >/dev/null
  if [ $d = as ]; then on=$ON_AS; else on=$ON_AP; fi
  $on "$B/presenced" -f -c "$T/$d/conf" > "$T/$d/log" 2>&1 &
  PIDS="$PIDS $!"
  [ $d = as ] && AS_PID=$! || AP_PID=$!
done
cpu() { # CPU ticks (user+system) used so far by process $1
  awk '{print $14 + $15}' "/proc/$1/stat"; }
TCK=$(getconf CLK_TCK)
for p in $AS_PORT $AP_PORT; do   # log_level warning: no "ready" line; wait for the ports
  i=0; until python3 -c "import socket; socket.create_connection(('127.0.0.1', $p), 1)" 2>/dev/null; do
    i=$((i+1)); [ $i -gt 100 ] && { echo "presenced did not start"; cat "$T"/*/log; exit 1; }; sleep 0.1; done
done

H=xcap.ims.example.com
DOC=xcap-root/pres-rules/users/sip:alice@ims.example.com/index
keys() { # $1 = bsf port, $2 = port of the NAF (AS or AP) -> "B-TID:Ks_NAF"
  "$B/tools/gba-ue" --bsf "http://127.0.0.1:$1/" --impi alice@ims.example.com --k $K --opc $OPC \
    --cacert "$T/tls/ca.crt" --resolve "$H:$2:127.0.0.1" --print --url "https://$H:$2/$DOC" \
    2>/dev/null > "$T/k" || true
  echo "$(sed -n 's/^BTID=//p' "$T/k"):$(sed -n 's/^KSNAF=//p' "$T/k")"
}
KD=$(keys "$AS_BSF" "$AS_PORT"); KA=$(keys "$AP_BSF" "$AP_PORT")
# the document (1 KiB pres-rules), written straight to the AS
curl -sS --fail --cacert "$T/tls/ca.crt" --resolve "$H:$AS_PORT:127.0.0.1" --digest -u "$KD" -A "bench 3gpp-gba" \
  -X PUT -H 'Content-Type: application/auth-policy+xml' --data-binary @"$top_srcdir/tests/data/xcap/rfc5025-pres-rules.xml" \
  -o /dev/null "https://$H:$AS_PORT/$DOC"

# one round: CLIENTS client processes x REQS GETs ($CL = ue or curl);
# prints "requests/s ok_count AS-CPU-us/req AP-CPU-us/req clients-CPU-us/req"
children_cpu() { # user+system seconds of this shell's finished children
  times > "$T/times"    # the builtin in this shell: its children are the clients
  awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { v = $i; sub(/s$/, "", v);
    split(v, a, "m"); s += a[1] * 60 + a[2] } print s }' "$T/times"; }
round() { # $1 = port, $2 = keys
  i=0; pids=""
  if [ "$CL" = curl ]; then
    while [ $i -lt "$CLIENTS" ]; do
      r=0; : > "$T/cfg.$i"
      while [ $r -lt "$REQS" ]; do echo "url = \"https://$H:$1/$DOC\"" >> "$T/cfg.$i"; echo 'output = "/dev/null"' >> "$T/cfg.$i"; r=$((r+1)); done
      i=$((i+1))
    done
  fi
  u=${2%%:*}; pw=${2#*:}
  children_cpu > "$T/c0"; c0cl=$(cat "$T/c0")
  c0as=$(cpu "$AS_PID"); c0ap=$(cpu "$AP_PID")
  t0=$(date +%s.%N)
  i=0
  while [ $i -lt "$CLIENTS" ]; do
    if [ "$CL" = curl ]; then
      $ON_AS curl -s --cacert "$T/tls/ca.crt" --resolve "$H:$1:127.0.0.1" --digest -u "$2" -A "bench 3gpp-gba" \
        -w '%{http_code}\n' -K "$T/cfg.$i" > "$T/codes.$i" &
    else
      $ON_AS "$T/getloop" "https://$H:$1/$DOC" "$u" "$pw" 120 "$T/tls/ca.crt" "$H:$1:127.0.0.1" "bench 3gpp-gba" \
        "$REQS" > "$T/codes.$i" &
    fi
    pids="$pids $!"; i=$((i+1))
  done
  for p in $pids; do wait "$p" || true; done
  t1=$(date +%s.%N)
  c1as=$(cpu "$AS_PID"); c1ap=$(cpu "$AP_PID")
  children_cpu > "$T/c1"; c1cl=$(cat "$T/c1")
  if [ "$CL" = curl ]; then
    ok=$(cat "$T"/codes.* | grep -c '^200$' || true)
  else
    ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' "$T"/codes.* | awk '{ s += $1 } END { print s + 0 }')
  fi
  python3 -c "print('%.0f %d %.0f %.0f %.0f' % ($ok / ($t1 - $t0), $ok,
    1e6 * ($c1as - $c0as) / $TCK / max($ok, 1), 1e6 * ($c1ap - $c0ap) / $TCK / max($ok, 1),
    1e6 * ($c1cl - $c0cl) / max($ok, 1)))"
}
run() { # $1 = ue or curl: warm-up, ROUNDS rounds, best of each path, ratio
  CL=$1
  if [ -n "$REQS_ARG" ]; then REQS=$REQS_ARG; elif [ "$CL" = curl ]; then REQS=300; else REQS=1000; fi
  if [ "$CL" = curl ]; then what="curl tool: 401 + authenticated retry per GET"
  else what="UE-like client: nonce reused with nc++, one round trip per GET"; fi
  if [ $PIN = 1 ]; then echo "bench/ap --pin: AS and clients on CPU 0, AP on CPU 1 (the AP on its own host)"
  else echo "bench/ap --shared: AS, AP and clients share all CPUs (ratio bounded by their summed CPU per request)"; fi
  echo "bench/ap [$CL] $CLIENTS clients x $REQS authenticated GETs per round, $ROUNDS rounds each ($what; loopback, TLS both hops)"
  round "$AS_PORT" "$KD" >/dev/null; round "$AP_PORT" "$KA" >/dev/null    # warm-up
  best_d=0; best_a=0; n=1
  while [ $n -le "$ROUNDS" ]; do
    set -- $(round "$AS_PORT" "$KD"); d=$1; dok=$2; das=$3; dcl=$5
    set -- $(round "$AP_PORT" "$KA"); a=$1; aok=$2; aas=$3; aap=$4; acl=$5
    echo "round $n: direct $d req/s ($dok ok; CPU us/req: AS $das, clients $dcl) | via AP $a req/s ($aok ok; CPU us/req: AS $aas, AP $aap, clients $acl)"
    [ "$d" -gt "$best_d" ] && best_d=$d
    [ "$a" -gt "$best_a" ] && best_a=$a
    n=$((n+1))
  done
  python3 - "$best_d" "$best_a" "$CL" <<'PY'
import sys
d, a = float(sys.argv[1]), float(sys.argv[2])
print("[%s] best: direct %.0f req/s, via AP %.0f req/s" % (sys.argv[3], d, a))
print("[%s] ratio via AP / direct = %.2f (AP cost %.0f%%; goal: at most 30%%)" % (sys.argv[3], a / d, 100 * (1 - a / d)))
PY
}
case $KIND in
  both) run ue; run curl ;;
  *) run "$KIND" ;;
esac
