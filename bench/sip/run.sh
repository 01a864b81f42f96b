#!/bin/bash
# bench/sip/run.sh - SIP presence load: presenced against Kamailio 5.6's
# presence modules, same sipp scenarios, same machine, same run, loopback
# only, bounded in time (about 2-3 minutes).
#
#   bench/sip/run.sh [--quick] [--no-kamailio]
#
# Scenarios (UDP, sipp closed loop with a bounded number of calls in flight):
#  publish    PUBLISH initial + remove per call (2 transactions), 50 presentities
#  subscribe  SUBSCRIBE -> 200 + NOTIFY, unsubscribe -> 200 + NOTIFY (4 tx)
#  fanout     one presentity, 1,000 watchers; each of 5 PUBLISHes must reach
#             every watcher: NOTIFYs per second from the first to the last
#  memory     RSS (presenced) / PSS summed over processes (Kamailio) before
#             and after as many held subscriptions as fit in about a minute
#             (at most 100,000)
# Prints each figure for both servers and the ratio presenced / Kamailio
# (for memory: Kamailio / presenced, so > 1 means presenced is better).
#
# Needs: a built presenced (build/ or $top_builddir), sipp, python3,
# sqlite3, and for the baseline kamailio + kamailio-presence-modules +
# kamailio-sqlite-modules (scripts/install-deps.sh --bench).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
: "${top_builddir:=$top_srcdir/build}"
export top_srcdir top_builddir

QUICK=0; KAM=1
for a in "$@"; do
  case $a in
    --quick) QUICK=1 ;;
    --no-kamailio) KAM=0 ;;
    *) echo "usage: $0 [--quick] [--no-kamailio]" >&2; exit 2 ;;
  esac
done
command -v sipp >/dev/null || { echo "sipp is not installed" >&2; exit 1; }
[ -x "$top_builddir/presenced" ] || { echo "build presenced first (scripts/build.sh)" >&2; exit 1; }
if [ $KAM = 1 ] && ! command -v kamailio >/dev/null; then
  echo "kamailio not installed (scripts/install-deps.sh --bench): presenced only"; KAM=0
fi
KMOD=/usr/lib/x86_64-linux-gnu/kamailio/modules
[ -d "$KMOD" ] || KMOD=$(dirname "$(find /usr/lib -name presence.so -path '*kamailio*' 2>/dev/null | head -1)")

N_PRES=50           # presentities for publish/subscribe
PUB_CALLS=10000     # 20,000 PUBLISH transactions
SUB_CALLS=5000      # 20,000 transactions (10,000 SUBSCRIBE + 10,000 NOTIFY)
FAN=1000            # watchers of the fan-out presentity
ROUNDS=5
HOLD_MAX=100000     # held subscriptions for the memory figure
HOLD_SECS=60        # ... or as many as fit in this time
INFLIGHT=200        # sipp calls in flight
if [ $QUICK = 1 ]; then PUB_CALLS=2000; SUB_CALLS=1000; HOLD_MAX=10000; HOLD_SECS=15; fi

# presenced on free loopback ports (the integration-test helpers)
. "$top_srcdir/tests/integration/lib.sh"
KPID=""; KDB=""
bench_cleanup() {
  [ -n "$KDB" ] && rm -rf "$KDB"
  if [ -n "$KPID" ] && kill -0 "$KPID" 2>/dev/null; then kill -TERM "$KPID"; wait "$KPID" 2>/dev/null || true; fi
  if [ -n "${BENCH_KEEP:-}" ]; then
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; fi
    echo "kept $T"; return
  fi
  FAILS=0; cleanup
}
trap bench_cleanup EXIT
OUT="$T/out"; mkdir -p "$OUT"
SIPP_PORT=$(free_port)

# users: user0..user99 and fan (sipp injection file: user;note)
{ echo SEQUENTIAL; i=0; while [ $i -lt $N_PRES ]; do echo "user$i;seed-$i"; i=$((i+1)); done; } >"$T/users.csv"

now() { date +%s.%N; }
# CPU seconds (user+system) of a process and its children threads/processes
cpu_of() { # pid...
  python3 - "$@" <<'EOF'
import os, sys
tck = os.sysconf("SC_CLK_TCK"); tot = 0
for p in sys.argv[1:]:
    try:
        f = open("/proc/%s/stat" % p).read().rsplit(")", 1)[1].split()
        tot += int(f[11]) + int(f[12])
    except OSError:
        pass
print("%.2f" % (tot / tck))
EOF
}
# memory in KiB: RSS of one process, or PSS summed over several
mem_of() { # rss|pss pid...
  kind=$1; shift
  python3 - "$kind" "$@" <<'EOF'
import sys
kind, tot = sys.argv[1], 0
for p in sys.argv[2:]:
    try:
        if kind == "rss":
            for l in open("/proc/%s/status" % p):
                if l.startswith("VmRSS:"): tot += int(l.split()[1])
        else:
            for l in open("/proc/%s/smaps_rollup" % p):
                if l.startswith("Pss:"): tot += int(l.split()[1])
    except OSError:
        pass
print(tot)
EOF
}
kam_pids() { echo "$KPID" $(ps -o pid= --ppid "$KPID" 2>/dev/null); }
srv_pids() { if [ "$1" = presenced ]; then echo "$PID"; else kam_pids; fi; }

# sipp closed loop; prints "<successful calls> <failed calls> <seconds>"
run_sipp() { # tag port scenario calls [extra sipp args]
  tag=$1 port=$2 scen=$3 calls=$4; shift 4
  rm -f "$T"/*_.csv "$T"/*.log 2>/dev/null || true
  t0=$(now)
  (cd "$T" && timeout 300 sipp -sf "$here/$scen" -inf "$T/users.csv" -i 127.0.0.1 -p "$SIPP_PORT" \
     -t u1 -aa -r 100000 -l "$INFLIGHT" -m "$calls" -nostdin -trace_stat -stf "$OUT/$tag.stat" \
     -fd 1 -timeout 200 -max_recv_loops 5000 -max_sched_loops 5000 "$@" "127.0.0.1:$port" \
     >"$OUT/$tag.sipp" 2>&1) || true
  t1=$(now)
  python3 - "$OUT/$tag.stat" "$t0" "$t1" <<'EOF'
import sys
rows = [l.rstrip("\n").split(";") for l in open(sys.argv[1]) if l.strip()]
h, last = rows[0], rows[-1]
ok = int(last[h.index("SuccessfulCall(C)")]); bad = int(last[h.index("FailedCall(C)")])
print(ok, bad, "%.3f" % (float(sys.argv[3]) - float(sys.argv[2])))
EOF
}

declare -A R
bench_server() { # name port
  name=$1 port=$2
  echo "== $name"
  # seed: one long-lived publication per presentity
  read -r ok bad secs < <(run_sipp "$name-seed" "$port" seed.xml "$N_PRES")
  [ "$bad" = 0 ] || echo "   seed: $bad failed"

  c0=$(cpu_of $(srv_pids "$name"))
  read -r ok bad secs < <(run_sipp "$name-publish" "$port" publish.xml "$PUB_CALLS")
  c1=$(cpu_of $(srv_pids "$name"))
  R[$name.publish]=$(python3 -c "print('%.0f' % (2*$ok/$secs))")
  printf '   publish:   %6d calls ok, %d failed, %.2f s: %s PUBLISH/s (server CPU %.2f s)\n' \
    "$ok" "$bad" "$secs" "${R[$name.publish]}" "$(python3 -c "print($c1-$c0)")"

  c0=$(cpu_of $(srv_pids "$name"))
  read -r ok bad secs < <(run_sipp "$name-subscribe" "$port" subscribe.xml "$SUB_CALLS")
  c1=$(cpu_of $(srv_pids "$name"))
  R[$name.subscribe]=$(python3 -c "print('%.0f' % ($ok/$secs))")
  R[$name.subscribe_tx]=$(python3 -c "print('%.0f' % (4*$ok/$secs))")
  printf '   subscribe: %6d calls ok, %d failed, %.2f s: %s SUBSCRIBE+NOTIFY cycles/s, %s tx/s (server CPU %.2f s)\n' \
    "$ok" "$bad" "$secs" "${R[$name.subscribe]}" "${R[$name.subscribe_tx]}" "$(python3 -c "print($c1-$c0)")"

  # fan-out: FAN watchers on sip:fan, then ROUNDS publications 1 s apart
  rm -f "$T"/fanout-watch_*_logs.log
  cp "$here/fanout-watch.xml" "$T/"
  (cd "$T" && timeout 120 sipp -sf "$T/fanout-watch.xml" -i 127.0.0.1 -p "$SIPP_PORT" -t u1 -aa \
     -r 1000 -l "$FAN" -m "$FAN" -key idle 4000 -nostdin -trace_logs -trace_stat \
     -stf "$OUT/$name-fanout.stat" -fd 1 "127.0.0.1:$port" >"$OUT/$name-fanout.sipp" 2>&1) &
  wpid=$!
  sleep 3
  python3 - "$ROUNDS" >"$T/fanpub.xml" <<'EOF'
import sys
n = int(sys.argv[1])
hdr = """PUBLISH sip:fan@ims.example.com SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:fan@ims.example.com>;tag=[call_number]
To: <sip:fan@ims.example.com>
Call-ID: [call_id]
CSeq: %d PUBLISH
Max-Forwards: 70
P-Asserted-Identity: <sip:fan@ims.example.com>
Event: presence
Expires: 600
%sContent-Type: application/pidf+xml
Content-Length: [len]

<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:fan@ims.example.com"><tuple id="t"><status><basic>open</basic></status><note>round-%d</note></tuple></presence>
"""
print('<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="fanout-publisher">')
for r in range(1, n + 1):
    im = "SIP-If-Match: [$etag]\n" if r > 1 else ""
    print('<send retrans="500"><![CDATA[\n' + hdr % (r, im, r) + ']]></send>')
    print('<recv response="200"><action><ereg regexp="[^ \\t\\r\\n]+" search_in="hdr" header="SIP-ETag:" check_it="true" assign_to="etag"/></action></recv>')
    print('<pause milliseconds="1000"/>')
print('</scenario>')
EOF
  (cd "$T" && timeout 60 sipp -sf "$T/fanpub.xml" -i 127.0.0.1 -p "$(free_port)" -t u1 -m 1 \
     -nostdin "127.0.0.1:$port" >"$OUT/$name-fanpub.sipp" 2>&1) || echo "   fan-out publisher failed"
  wait $wpid || true
  read -r fan_rate fan_ms fan_n < <(python3 - "$FAN" "$ROUNDS" "$T"/fanout-watch_*_logs.log <<'EOF'
import sys, collections
fan, rounds = int(sys.argv[1]), int(sys.argv[2])
t = collections.defaultdict(list)
for f in sys.argv[3:]:
    for l in open(f):
        p = l.split()
        if len(p) >= 2 and p[0].startswith("round-"):
            try: t[p[0]].append(int(p[1]))
            except ValueError: pass
spans, n = [], 0
for r, v in t.items():
    n += len(v)
    spans.append(max(v) - min(v) + 1)
if not spans:
    print(0, 0, 0); sys.exit()
ms = sum(spans) / len(spans)
print("%.0f" % (fan / ms * 1000.0), "%.1f" % ms, n)
EOF
)
  R[$name.fanout]=$fan_rate
  printf '   fan-out:   %d watchers, %d rounds, %d NOTIFYs logged (of %d): %.1f ms per round, %s NOTIFY/s\n' \
    "$FAN" "$ROUNDS" "$fan_n" "$((FAN * ROUNDS))" "$fan_ms" "$fan_rate"

  # memory per held subscription
  sleep 1
  m0=$(mem_of "$([ "$name" = presenced ] && echo rss || echo pss)" $(srv_pids "$name"))
  read -r ok bad secs < <(run_sipp "$name-hold" "$port" hold.xml "$HOLD_MAX" -timeout "$HOLD_SECS")
  sleep 1
  m1=$(mem_of "$([ "$name" = presenced ] && echo rss || echo pss)" $(srv_pids "$name"))
  R[$name.hold]=$ok
  R[$name.mem]=$(python3 -c "print('%.0f' % (($m1-$m0)*1024/max($ok,1)))")
  printf '   memory:    %d subscriptions held (%d failed) in %.1f s; %s %d -> %d KiB: %s bytes per subscription\n' \
    "$ok" "$bad" "$secs" "$([ "$name" = presenced ] && echo RSS || echo PSS)" "$m0" "$m1" "${R[$name.mem]}"
}

# ---- presenced
PRES_SIP_EXTRA='trusted_peers = {"127.0.0.1"}
  no_pres_rules = "allow"
  max_expires = 3600'
pres_config
sed -i 's/^log_level = "debug"/log_level = "info"/' "$T/presenced.conf"
pres_provision
i=0
while [ $i -lt $N_PRES ]; do
  echo "user$i"; i=$((i+1))
done | while read -r u; do
  "$PRESENCECTL" --db "$T/presenced.db" subscriber add --impi "$u@ims.example.com" \
    --impu "sip:$u@ims.example.com" >/dev/null
done
"$PRESENCECTL" --db "$T/presenced.db" subscriber add --impi fan@ims.example.com \
  --impu sip:fan@ims.example.com >/dev/null
pres_start
bench_server presenced "$SIP_PORT"
pres_stop

# ---- Kamailio 5.6 presence + presence_xml + db_sqlite (the baseline)
if [ $KAM = 1 ]; then
  KPORT=$(free_port)
  mkdir -p "$T/kam"
  # Kamailio's database on tmpfs: its db_sqlite cannot relax fsync
  # (synchronous FULL), so this spares it every fsync: the baseline's best case
  KDB=$(mktemp -d /dev/shm/psip-bench-kam.XXXXXX)
  { echo "PRAGMA journal_mode = WAL;"; cat /usr/share/kamailio/db_sqlite/standard-create.sql \
      /usr/share/kamailio/db_sqlite/presence-create.sql; } | sqlite3 "$KDB/kam.db" >/dev/null
  cat >"$T/kam/kamailio.cfg" <<EOF
#!KAMAILIO
# minimal presence server: PUBLISH/SUBSCRIBE handled by the presence module,
# PIDF by presence_xml (force_active: every watcher allowed, as
# no_pres_rules = "allow" on the presenced side), state in SQLite
debug=0
log_stderror=yes
children=${KAM_CHILDREN:-2}
listen=udp:127.0.0.1:$KPORT
disable_tcp=yes
mpath="$KMOD/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "db_sqlite.so"
loadmodule "presence.so"
loadmodule "presence_xml.so"
modparam("presence", "db_url", "sqlite://$KDB/kam.db")
modparam("presence", "server_address", "sip:127.0.0.1:$KPORT")
modparam("presence", "max_expires", 3600)
modparam("presence_xml", "db_url", "sqlite://$KDB/kam.db")
modparam("presence_xml", "force_active", 1)
request_route {
	if (is_method("PUBLISH")) { handle_publish(); exit; }
	if (is_method("SUBSCRIBE")) { handle_subscribe(); exit; }
	if (is_method("ACK")) { exit; }
	sl_send_reply("405", "Method Not Allowed");
}
EOF
  kamailio -f "$T/kam/kamailio.cfg" -DD -E -m 1024 -M 16 >"$T/kam/kamailio.log" 2>&1 &
  KPID=$!
  i=0
  until [ -n "$(ps -o pid= --ppid "$KPID" 2>/dev/null)" ] && sleep 0.5; do
    i=$((i+1)); [ $i -gt 50 ] && { echo "kamailio did not start"; cat "$T/kam/kamailio.log"; exit 1; }
    sleep 0.1
  done
  echo "   (kamailio $(kamailio -v 2>/dev/null | head -1 | awk '{print $3}'), children=${KAM_CHILDREN:-2})"
  bench_server kamailio "$KPORT"
  kill -TERM "$KPID"; wait "$KPID" 2>/dev/null || true; KPID=""

  echo "== presenced / Kamailio (goal >= 2)"
  for k in publish subscribe fanout; do
    printf '   %-10s %8s / %8s = %s\n' "$k" "${R[presenced.$k]}" "${R[kamailio.$k]}" \
      "$(python3 -c "a,b=float('${R[presenced.$k]}' or 0),float('${R[kamailio.$k]}' or 0); print('%.2fx' % (a/b) if b else 'n/a')")"
  done
  printf '   %-10s %8s / %8s bytes per subscription (Kamailio / presenced = %s)\n' memory \
    "${R[presenced.mem]}" "${R[kamailio.mem]}" \
    "$(python3 -c "a,b=float('${R[presenced.mem]}' or 0),float('${R[kamailio.mem]}' or 0); print('%.2fx' % (b/a) if a>0 else 'n/a')")"
fi
