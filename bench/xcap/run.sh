#!/bin/sh
# bench/xcap/run.sh [SECONDS [THREADS]] - XCAP over HTTPS keep-alive, digest
# authenticated like real clients (one 401 per connection, then the nonce is
# reused with an increasing nc), against nginx serving a static file of the
# same size over TLS with the same certificate, measured with the same tool.
# Loopback only; presenced must be built (./scripts/build.sh build; set
# top_builddir to use another build directory). Takes ~3 x SECONDS + ~15 s.
# ROUNDS=3 (environment): the three measurements are interleaved in slices.
# Prints a table: rate and latency of presenced GET, presenced PUT, nginx GET,
# and the ratio presenced GET / nginx GET.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$HERE/../.." && pwd)
: "${top_builddir:=$top_srcdir/build}"
DUR=${1:-10}
N=${2:-4}
[ -x "$top_builddir/presenced" ] || { echo "no $top_builddir/presenced: run ./scripts/build.sh build first" >&2; exit 1; }
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "nginx missing: scripts/install-deps.sh --bench" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
. "$top_srcdir/tests/integration/lib.sh"     # $T, pres_config, pres_start, free_port, cleanup trap
NGINX_PID=""
bench_cleanup() {
  if [ -n "$NGINX_PID" ]; then kill -TERM "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; fi
  cleanup
}
trap bench_cleanup EXIT

LOAD="$T/xcapload"
cc -std=gnu11 -O2 -Wall -Wextra -o "$LOAD" "$HERE/xcapload.c" $(pkg-config --cflags --libs libcurl) -lpthread

# presenced as configured by the integration tests (2 HTTP threads, TLS,
# digest + GBA), without SIP, logging at info (one line per request).
PRES_SIP_ENABLED=false
pres_config
sed -i 's/^log_level = "debug"/log_level = "info"/' "$T/presenced.conf"
pres_provision
pres_start
DOC="$top_srcdir/tests/data/it/pres-rules.xml"
CT=application/auth-policy+xml
A="alice@ims.example.com:$ALICE_PW"
ROOT=$(XROOT)
GET_URL="$ROOT/pres-rules/users/sip:alice@ims.example.com/index"
st=$(xcurl --digest -u "$A" -X PUT -H "Content-Type: $CT" --data-binary "@$DOC" -o /dev/null -w '%{http_code}' "$GET_URL")
[ "$st" = 201 ] || { echo "setup PUT failed: $st" >&2; exit 1; }
CA="$T/tls/ca.crt"
RES="$XCAP_HOST:$XCAP_PORT:127.0.0.1"

# nginx: same certificate, same bytes, same content type, 2 workers like
# presenced's 2 HTTP threads, access log on like presenced's request log.
NGINX_PORT=$(free_port)
NG="$T/nginx"
mkdir -p "$NG/www/xcap-root" "$NG/logs"
cp "$DOC" "$NG/www/xcap-root/index"
cat > "$NG/nginx.conf" <<CONF
worker_processes 2;
$( [ "$(id -u)" = 0 ] && echo 'user root;' )
pid $NG/nginx.pid;
error_log $NG/logs/error.log;
events { worker_connections 1024; }
http {
  access_log $NG/logs/access.log;
  client_body_temp_path $NG/tmp-body;
  proxy_temp_path $NG/tmp-proxy;
  fastcgi_temp_path $NG/tmp-fcgi;
  uwsgi_temp_path $NG/tmp-uwsgi;
  scgi_temp_path $NG/tmp-scgi;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  server {
    listen 127.0.0.1:$NGINX_PORT ssl;
    server_name $XCAP_HOST;
    ssl_certificate $T/tls/xcap.crt;
    ssl_certificate_key $T/tls/xcap.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location /xcap-root/ { root $NG/www; default_type $CT; }
  }
}
CONF
"$NGINX" -p "$NG" -c "$NG/nginx.conf" -g 'daemon off;' 2>"$NG/logs/stderr" &
NGINX_PID=$!
NGINX_URL="https://$XCAP_HOST:$NGINX_PORT/xcap-root/index"
i=0
until curl -sS --cacert "$CA" --resolve "$XCAP_HOST:$NGINX_PORT:127.0.0.1" -o "$T/ng.out" "$NGINX_URL" 2>/dev/null; do
  i=$((i+1)); [ $i -lt 50 ] && kill -0 "$NGINX_PID" 2>/dev/null || { echo "nginx did not start:"; cat "$NG/logs/stderr" "$NG/logs/error.log"; exit 1; }
  sleep 0.1
done
cmp -s "$T/ng.out" "$DOC" || { echo "nginx serves other bytes" >&2; exit 1; }

# server-side 401 count: requests seen (req ids) minus authenticated ones
srv_counts() { # prints "requests challenges" seen by presenced so far
  awk '/ ut: req=/ { split($0, a, "req="); split(a[2], b, " "); if (b[1] + 0 > max) max = b[1] + 0;
       if ($0 ~ / user=/) ok++ } END { printf "%d %d\n", max, max - ok }' "$T/presenced.log"
}
LAT="$T/lat"; mkdir -p "$LAT"
run() { # NAME ROUND SECONDS xcapload-args...
  name=$1 round=$2 secs=$3; shift 3
  "$LOAD" -n "$N" -t "$secs" -c "$CA" -o "$LAT/$name.$round" "$@" > "$T/$name.$round.out"
  echo "   $name round $round: $(cat "$T/$name.$round.out")" >&2
}
# sum of key over a test's rounds
tot() { cat "$T/$1".*.out | tr ' ' '\n' | sed -n "s/^$2=//p" | awk '{ s += $1 } END { print s + 0 }'; }
rate() { awk -v r="$(tot "$1" requests)" -v e="$(tot "$1" elapsed)" 'BEGIN { printf "%.1f", (e > 0 ? r / e : 0) }'; }
pct() { # TEST PERCENT: latency percentile in ms over every round
  cat "$LAT/$1".* | sort -n | awk -v p="$2" '{ v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit }
    i = int(NR * p / 100) + 1; if (i > NR) i = NR; printf "%.3f", v[i] / 1000 }'
}

# The machine is shared: background load drifts, so the three measurements
# are interleaved in ROUNDS slices instead of run one after the other; the
# ratio is computed over the sums, and its spread across rounds is shown.
ROUNDS=${ROUNDS:-3}
SLICE=$(awk -v d="$DUR" -v r="$ROUNDS" 'BEGIN { printf "%.2f", d / r }')
echo "== $ROUNDS rounds x (presenced GET, nginx GET, presenced PUT), ${SLICE}s each, $N connections" >&2
set -- $(srv_counts); r0=$1; c0=$2; rg=0; cg=0; rp=0; cp=0
k=1
while [ $k -le "$ROUNDS" ]; do
  set -- $(srv_counts); a0=$1; b0=$2
  run pres_get $k "$SLICE" -U "$GET_URL" -u "$A" -r "$RES"
  set -- $(srv_counts); rg=$((rg + $1 - a0)); cg=$((cg + $2 - b0))
  run nginx_get $k "$SLICE" -U "$NGINX_URL" -r "$XCAP_HOST:$NGINX_PORT:127.0.0.1"
  set -- $(srv_counts); a0=$1; b0=$2
  run pres_put $k "$SLICE" -U "$ROOT/pres-rules/users/sip:alice@ims.example.com/bench{i}" -m PUT -f "$DOC" -T "$CT" -u "$A" -r "$RES"
  set -- $(srv_counts); rp=$((rp + $1 - a0)); cp=$((cp + $2 - b0))
  k=$((k + 1))
done

echo
echo "digest on the server side (presenced log): GET $rg requests, $cg answered 401 ($(tot pres_get connections) connections);" \
     "PUT $rp requests, $cp answered 401 ($(tot pres_put connections) connections)"
echo
printf '%-36s %10s %9s %9s %7s\n' "test (${N} conns, ${DUR}s, $(wc -c < "$DOC") B doc)" "req/s" "p50 ms" "p99 ms" "errors"
for t in pres_get pres_put nginx_get; do
  case $t in
    pres_get) label="presenced GET (digest, keep-alive)";;
    pres_put) label="presenced PUT (digest, keep-alive)";;
    nginx_get) label="nginx GET static (no auth)";;
  esac
  printf '%-36s %10s %9s %9s %7s\n' "$label" "$(rate $t)" "$(pct $t 50)" "$(pct $t 99)" "$(tot $t errors)"
done
ratio=$(awk -v a="$(rate pres_get)" -v b="$(rate nginx_get)" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
spread=$(k=1; while [ $k -le "$ROUNDS" ]; do
  awk -v a="$(sed -n 's/.*rate=\([0-9.]*\).*/\1/p' "$T/pres_get.$k.out")" \
      -v b="$(sed -n 's/.*rate=\([0-9.]*\).*/\1/p' "$T/nginx_get.$k.out")" 'BEGIN { printf "%.2f ", (b > 0 ? a / b : 0) }'
  k=$((k + 1)); done)
echo
echo "ratio presenced GET / nginx GET: $ratio (goal >= 0.5; per round: ${spread% })"
