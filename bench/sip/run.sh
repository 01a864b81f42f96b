#!/bin/bash
# bench/sip/run.sh - SIP presence load: presenced against Kamailio 5.6's
# presence modules with the same sipp scenarios, in the same run, on
# loopback only, bounded in time (about 13 minutes; --quick: about 4).
#
#   bench/sip/run.sh [--quick] [--no-kamailio] [--only PHASE[,PHASE...]]
#
# --only: run only these phases (publish, subscribe, fanout, memory).
# BENCH_PERF=DIR: record a perf profile of presenced during each of its
# phases (DIR/<phase>.data, perf record -e cpu-clock -g;
# BENCH_PERF_CG="--call-graph dwarf" for call graphs through libc).
#
# Both servers run side by side; each phase loads one, then the other.
# Scenarios (UDP; sipp closed loop, at most 200 calls in flight):
#  publish    per call an initial PUBLISH and its removal (2 transactions),
#             50 presentities
#  subscribe  per call SUBSCRIBE -> 200 + NOTIFY (with the document), then
#             unsubscribe -> 200 + NOTIFY terminated (4 transactions)
#             (publish and subscribe: calls keep coming for WARM + WINDOW
#             = 38 + 12 s; the figures are those of the last 12 s, a steady
#             state after Timer J; --quick: 4 + 4 s)
#  fanout     one presentity with 1,000 watchers; after 3 warm-up changes,
#             5 presence changes 1.5 s apart: NOTIFYs per second from the
#             first to the last NOTIFY of a change (NOTIFYs / sum of spans)
#  memory     RSS (presenced) or shared memory in use (Kamailio, kamcmd)
#             sampled while subscriptions that stay arrive at 1,000/s (at
#             most 200 in flight) up to 100,000 (180 s at most): bytes per
#             held subscription
# For each: throughput and server CPU time per transaction (the CPU figure
# is steadier on a shared machine), then the ratios presenced / Kamailio.
#
# Needs a built presenced (build/ or $top_builddir), sipp, python3, sqlite3;
# for the baseline kamailio, kamailio-presence-modules and
# kamailio-sqlite-modules (scripts/install-deps.sh --bench).
# KAM_CHILDREN (default 4): Kamailio UDP worker processes. KAM_LOCK=0: no
# cfgutils lock around Kamailio's presence functions (its SQLite writes then
# fail under concurrency). KAM_EXTRA: more lines for kamailio.cfg.
# PHASES (default "publish subscribe fanout memory"): the phases to run
# (as --only).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
: "${top_builddir:=$top_srcdir/build}"
export top_srcdir top_builddir
U="python3 $here/bench_util.py"

QUICK=0; KAM=1
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1 ;;
    --no-kamailio) KAM=0 ;;
    --only) PHASES=$(echo "${2:?--only needs a list of phases}" | tr , ' '); shift ;;
    *) echo "usage: $0 [--quick] [--no-kamailio] [--only PHASE[,PHASE...]]" >&2; exit 2 ;;
  esac
  shift
done
command -v sipp >/dev/null || { echo "sipp is not installed" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is not installed" >&2; exit 1; }
[ -x "$top_builddir/presenced" ] || { echo "build presenced first (scripts/build.sh)" >&2; exit 1; }
if [ $KAM = 1 ] && ! command -v kamailio >/dev/null; then
  echo "kamailio not installed (scripts/install-deps.sh --bench): presenced only"; KAM=0
fi
KMOD=/usr/lib/x86_64-linux-gnu/kamailio/modules
[ -d "$KMOD" ] || KMOD=$(dirname "$(find /usr/lib -name presence.so -path '*kamailio*' 2>/dev/null | head -1)")

N_PRES=50           # presentities for publish/subscribe
WARM=38             # s of publish/subscribe load before the measured window: Timer J + 6
WINDOW=12           # s of the measured window
FAN=1000            # watchers of the fan-out presentity
ROUNDS=5            # presence changes of the fan-out presentity
HOLD_MAX=100000     # held subscriptions for the memory figure
HOLD_SECS=180       # ... or as many as fit in this time
: "${HOLD_RATE:=1000}"  # new subscriptions per second (HOLD_RATE in the environment)
INFLIGHT=200        # sipp calls in flight
: "${PHASES:=publish subscribe fanout memory}"
if [ $QUICK = 1 ]; then WARM=4; WINDOW=4; ROUNDS=3; HOLD_MAX=20000; HOLD_SECS=40; HOLD_RATE=1000; fi

# presenced on free loopback ports through the integration-test helpers
. "$top_srcdir/tests/integration/lib.sh"
KPID=""; KDB=""; KCTL=""
bench_cleanup() {
  if [ -n "$KPID" ] && kill -0 "$KPID" 2>/dev/null; then kill -TERM "$KPID"; wait "$KPID" 2>/dev/null || true; fi
  [ -z "$KDB" ] || rm -rf "$KDB"
  if [ -n "${BENCH_KEEP:-}" ]; then
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; fi
    echo "kept $T"; return
  fi
  FAILS=0; cleanup
}
trap bench_cleanup EXIT
OUT="$T/out"; mkdir -p "$OUT"
SIPP_PORT=$(free_port)
SIPP_CP=$(free_port)   # sipp control socket
FANPUB_PORT=$(free_port)
{ echo SEQUENTIAL; i=0; while [ $i -lt $N_PRES ]; do echo "user$i;seed-$i"; i=$((i+1)); done; } >"$T/users.csv"

now() { date +%s.%N; }
srv_pids() { if [ "$1" = presenced ]; then echo "$PID"; else echo "$KPID" $(ps -o pid= --ppid "$KPID" 2>/dev/null); fi; }
srv_port() { if [ "$1" = presenced ]; then echo "$SIP_PORT"; else echo "$KPORT"; fi; }

# sipp closed loop; prints "<successful calls> <failed calls> <seconds>"
run_sipp() { # tag port scenario calls [extra sipp args]
  tag=$1 port=$2 scen=$3 calls=$4; shift 4
  t0=$(now)
  (cd "$T" && timeout 120 sipp -sf "$here/$scen" -inf "$T/users.csv" -i 127.0.0.1 -p "$SIPP_PORT" \
     -t u1 -aa -buff_size 4194304 -r 100000 -l "$INFLIGHT" -m "$calls" -nostdin -trace_stat -stf "$OUT/$tag.stat" \
     -fd 1 -recv_timeout 5000 -timeout "${SIPP_TIMEOUT:-90}" -max_recv_loops 5000 -max_sched_loops 5000 "$@" \
     "127.0.0.1:$port" >"$OUT/$tag.sipp" 2>&1) || true
  $U stat "$OUT/$tag.stat" "$t0" "$(now)"
}

declare -A R
SERVERS="presenced"

# publish, subscribe: sipp keeps the calls coming for WARM + WINDOW s; throughput and
# CPU per transaction are those of the last WINDOW s (bench_util.py window), when
# the server is in a steady state: presenced keeps each completed UDP server
# transaction for Timer J (32 s, RFC 3261 17.2.2), Kamailio for its wait timer
# (5 s), and from then on each server frees as many as it creates. The whole run's
# successful and failed calls are printed too.
phase_calls() { # phase scenario transactions-per-call unit
  phase=$1 scen=$2 tpc=$3 unit=$4
  for name in $SERVERS; do
    rm -f "$OUT/$name-$phase.stat"
    $U window "$OUT/$name-$phase.stat" "$WARM" "$WINDOW" $(srv_pids "$name") >"$OUT/$name-$phase.win" &
    wpid=$!
    perf_start "$name" "$phase" "$WARM" "$WINDOW"
    # after the window, sipp's control socket gets "q": no new calls, those in
    # flight end normally (no subscription is left behind for the next phases)
    (sleep $((WARM + WINDOW + 2)); echo q >"/dev/udp/127.0.0.1/$SIPP_CP") &
    qpid=$!
    read -r ok bad secs < <(SIPP_TIMEOUT=$((WARM + WINDOW + 30)) run_sipp "$name-$phase" \
      "$(srv_port "$name")" "$scen" 100000000 -cp "$SIPP_CP")
    wait "$wpid" "$qpid" || true
    perf_stop
    read -r rate cpu n wsecs <"$OUT/$name-$phase.win" || { rate=0 cpu=0 n=0 wsecs=0; }
    R[$name.$phase]=$(python3 -c "print('%.0f' % ($tpc*$rate))")
    R[$name.$phase.cpu]=$(python3 -c "print('%.0f' % ($cpu/$tpc))")
    printf '   %-9s %-10s %7d calls ok, %4d failed in %4.0f s; last %4.1f s: %7s %s/s, server CPU %s us/transaction\n' \
      "$phase" "$name" "$ok" "$bad" "$secs" "$wsecs" "${R[$name.$phase]}" "$unit" "${R[$name.$phase.cpu]}"
  done
}

# BENCH_PERF=DIR: perf record of presenced during each phase (DIR/<phase>.data)
perfpid=""
perf_start() { # server phase [delay length]: the whole phase, or LENGTH s after DELAY s
  perfpid=""
  if [ -n "${BENCH_PERF:-}" ] && [ "$1" = presenced ]; then
    mkdir -p "$BENCH_PERF"
    if [ $# -ge 4 ]; then
      (sleep "$3"; exec perf record -q -e cpu-clock -F 2000 ${BENCH_PERF_CG:--g} -p "$PID" \
        -o "$BENCH_PERF/$2.data" -- sleep "$4") >/dev/null 2>&1 &
    else
      perf record -q -e cpu-clock -F 2000 ${BENCH_PERF_CG:--g} -p "$PID" -o "$BENCH_PERF/$2.data" >/dev/null 2>&1 &
    fi
    perfpid=$!; sleep 0.5
  fi
  return 0
}

perf_stop() {
  [ -z "$perfpid" ] || { kill -INT "$perfpid" 2>/dev/null; wait "$perfpid" 2>/dev/null || true; }
  perfpid=""
}

phase_fanout() {
  $U fanpub 3 0 remove >"$T/fanwarm.xml"
  $U fanpub "$ROUNDS" >"$T/fanpub.xml"
  for name in $SERVERS; do
    port=$(srv_port "$name")
    rm -f "$T"/fanout-watch_*_logs.log
    (cd "$T" && timeout 120 sipp -sf "$here/fanout-watch.xml" -i 127.0.0.1 -p "$SIPP_PORT" -t u1 -aa -buff_size 4194304 \
       -r 1000 -l "$FAN" -m "$FAN" -recv_timeout 30000 -nostdin -trace_logs \
       -log_file "$OUT/$name-fanout.log" -trace_stat -stf "$OUT/$name-fanout.stat" -fd 1 \
       "127.0.0.1:$port" >"$OUT/$name-fanout.sipp" 2>&1) &
    wpid=$!
    sleep 3
    # warm-up: 3 changes (round-0) and the removal, not counted: the first
    # fan-outs grow the server's heap (or touch its shared memory pages),
    # as many transactions live as during the measured changes
    (cd "$T" && timeout 60 sipp -sf "$T/fanwarm.xml" -i 127.0.0.1 -p "$FANPUB_PORT" -t u1 -m 1 \
       -nostdin "127.0.0.1:$port" >"$OUT/$name-fanwarm.sipp" 2>&1) || echo "   fan-out warm-up failed ($name)"
    perf_start "$name" fanout
    d0=$($U udpdrops)
    c0=$($U cpu $(srv_pids "$name"))
    (cd "$T" && timeout 60 sipp -sf "$T/fanpub.xml" -i 127.0.0.1 -p "$FANPUB_PORT" -t u1 -m 1 \
       -nostdin "127.0.0.1:$port" >"$OUT/$name-fanpub.sipp" 2>&1) || echo "   fan-out publisher failed ($name)"
    c1=$($U cpu $(srv_pids "$name"))
    d1=$($U udpdrops)
    perf_stop
    wait $wpid || true
    read -r rate ms n nw nr spans < <($U fanout "$FAN" "$OUT/$name-fanout.log")
    R[$name.fanout]=$rate
    R[$name.fanout.cpu]=$(python3 -c "print('%.0f' % (1e6*($c1-$c0)/max($n,1)))")
    printf '   %-9s %-10s %d watchers (%d subscribed) x %d changes: %d NOTIFYs seen, %d changes counted, %.1f ms per change (%s): %7s NOTIFY/s, server CPU %s us/NOTIFY\n' \
      fanout "$name" "$FAN" "$nw" "$ROUNDS" "$n" "$nr" "$ms" "$spans" "$rate" "${R[$name.fanout.cpu]}"
    printf '   %-9s %-10s UDP datagrams dropped on full receive buffers meanwhile (machine-wide): %d\n' \
      "" "" "$((d1 - d0))"
  done
}

# Memory: subscriptions that stay arrive at HOLD_RATE per second until
# HOLD_MAX are held (or HOLD_SECS pass), at most INFLIGHT calls in flight
# (with 5,000 a server that fell behind got a storm of retransmissions and
# never caught up); the server's memory is sampled every second. presenced: RSS. Kamailio: its shared memory in use
# (`kamcmd core.shmmem`, real_used: where its presence module keeps
# subscriptions and tm its transactions), because its PSS does not grow with
# subscriptions once the shared memory pages have been touched by earlier
# transactions (the allocator reuses them: the PSS slope came out negative);
# its PSS is printed too. Transactions stay in memory for a while after they
# complete (sofia nta: 32 s for a non-INVITE server transaction over UDP,
# Timer J), so the figure is the slope of memory against held subscriptions
# once that is in a steady state (samples after 35 s); the gross figure at
# the end (memory growth / subscriptions held, transactions included) is
# printed too.
phase_memory() {
  for name in $SERVERS; do
    if [ "$name" = presenced ]; then kind=rss; memarg="$(srv_pids "$name")"; else kind=shm; memarg=$KCTL; fi
    port=$(srv_port "$name")
    sleep 1
    : >"$OUT/$name-mem.samples"
    d0=$($U udpdrops)
    t0=$(now)
    (cd "$T" && timeout $((HOLD_SECS + 30)) sipp -sf "$here/hold.xml" -inf "$T/users.csv" -i 127.0.0.1 \
       -p "$SIPP_PORT" -t u1 -aa -buff_size 4194304 -r "$HOLD_RATE" -l "$INFLIGHT" -m "$HOLD_MAX" -nostdin -trace_stat \
       -stf "$OUT/$name-hold.stat" -fd 1 -recv_timeout 10000 -timeout "$HOLD_SECS" -trace_err \
       -error_file "$OUT/$name-hold.errors" "127.0.0.1:$port" >"$OUT/$name-hold.sipp" 2>&1) &
    hpid=$!
    perf_start "$name" memory
    while kill -0 "$hpid" 2>/dev/null; do
      echo "$(python3 -c "print('%.1f' % ($(now) - $t0))") $($U count "$OUT/$name-hold.stat") $($U mem "$kind" $memarg)" \
        >>"$OUT/$name-mem.samples"
      sleep 1
    done
    wait "$hpid" || true
    perf_stop
    read -r ok bad secs < <($U stat "$OUT/$name-hold.stat" "$t0" "$(now)")
    echo "$(python3 -c "print('%.1f' % ($(now) - $t0))") $ok $($U mem "$kind" $memarg)" >>"$OUT/$name-mem.samples"
    read -r per gross nwin < <($U slope "$OUT/$name-mem.samples" 35)
    R[$name.mem]=$per
    printf '   %-9s %-10s %d subscriptions held (%d failed) in %.0f s: %s bytes per subscription (steady state, over %d), %s gross at %d (%s)\n' \
      memory "$name" "$ok" "$bad" "$secs" "$per" "$nwin" "$gross" "$ok" "$(echo "$kind" | tr a-z A-Z)"
    if [ "$name" = kamailio ]; then
      printf '   %-9s %-10s PSS (all processes) %s KiB at the end\n' "" "" "$($U mem pss $(srv_pids "$name"))"
    else
      printf '   %-9s %-10s subscriptions in its database at the end: %s\n' "" "" \
        "$(sqlite3 "$T/presenced.db" 'select count(*) from subscription' 2>/dev/null)"
    fi
    $U holdfail "$OUT/$name-hold.stat" "$OUT/$name-hold.errors"
    printf '   %-9s %-10s UDP datagrams dropped on full receive buffers meanwhile (machine-wide): %d\n' \
      "" "" "$(($($U udpdrops) - d0))"
  done
}

# ---- presenced: trusted loopback peer (P-Asserted-Identity), every watcher
# allowed when there are no pres-rules (as Kamailio's force_active below)
PRES_SIP_EXTRA='trusted_peers = {"127.0.0.1"}
  no_pres_rules = "allow"
  max_expires = 3600'
pres_config
sed -i 's/^log_level = "debug"/log_level = "info"/' "$T/presenced.conf"
pres_provision
i=0
while [ $i -lt $N_PRES ]; do
  "$PRESENCECTL" --db "$T/presenced.db" subscriber add --impi "user$i@ims.example.com" \
    --impu "sip:user$i@ims.example.com" >/dev/null
  i=$((i+1))
done
"$PRESENCECTL" --db "$T/presenced.db" subscriber add --impi fan@ims.example.com \
  --impu sip:fan@ims.example.com >/dev/null
pres_start

# ---- Kamailio 5.6: presence + presence_xml + db_sqlite (the baseline)
if [ $KAM = 1 ]; then
  KPORT=$(free_port)
  mkdir -p "$T/kam"
  # Kamailio's configuration, its best case that answers every request
  # (bench/sip/README.md, "Kamailio baseline"):
  # - its SQLite database on tmpfs: db_sqlite cannot relax fsync
  #   (synchronous FULL), this spares it every fsync; WAL journal;
  # - db_sqlite sets no busy timeout: two processes writing at once make one
  #   fail at once ("database is locked", an error to the UA; 45% of PUBLISHes
  #   with 2 workers). SQLite has one writer at a time anyway, so the
  #   presence functions run under a cfgutils lock: the workers still
  #   receive, parse and answer in parallel, and nothing fails (KAM_LOCK=0:
  #   without the lock);
  # - presentity (publications) in SQLite (publ_cache 1, the default), as
  #   presenced stores them: publ_cache 2 would keep them in memory only,
  #   lost at a restart (KAM_EXTRA='modparam("presence", "publ_cache", 2)'
  #   to see it);
  # - subscriptions in memory, written back by timer (subs_db_mode 1, the
  #   default): less durable than presenced, which commits each one before
  #   its 200; in Kamailio's favour.
  KDB=$(mktemp -d /dev/shm/psip-bench-kam.XXXXXX)
  { echo "PRAGMA journal_mode = WAL;"; cat /usr/share/kamailio/db_sqlite/standard-create.sql \
      /usr/share/kamailio/db_sqlite/presence-create.sql; } | sqlite3 "$KDB/kam.db" >/dev/null
  KLOCK=""; KUNLOCK=""; KLOADLOCK=""
  if [ "${KAM_LOCK:-1}" != 0 ]; then
    KLOCK='lock("pres");'; KUNLOCK='unlock("pres");'
    KLOADLOCK='loadmodule "cfgutils.so"
modparam("cfgutils", "lock_set_size", 4)'
  fi
  cat >"$T/kam/kamailio.cfg" <<EOF
#!KAMAILIO
# minimal presence server: PUBLISH and SUBSCRIBE handled by the presence
# module, PIDF by presence_xml (force_active: every watcher allowed), state in
# SQLite (subs_db_mode 1: subscriptions cached in memory, written back by timer)
debug=0
log_stderror=yes
children=${KAM_CHILDREN:-4}
# the same room for bursts as presenced (4 MiB receive buffer)
maxbuffer=4194304
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
$KLOADLOCK
loadmodule "ctl.so"
modparam("ctl", "binrpc", "unix:$T/kam/ctl.sock")
modparam("presence", "db_url", "sqlite://$KDB/kam.db")
modparam("presence", "server_address", "sip:127.0.0.1:$KPORT")
modparam("presence", "max_expires", 3600)
modparam("presence_xml", "db_url", "sqlite://$KDB/kam.db")
modparam("presence_xml", "force_active", 1)
${KAM_EXTRA:-}
request_route {
	if (is_method("PUBLISH")) { $KLOCK handle_publish(); $KUNLOCK exit; }
	if (is_method("SUBSCRIBE")) { $KLOCK handle_subscribe(); $KUNLOCK exit; }
	if (is_method("ACK")) { exit; }
	sl_send_reply("405", "Method Not Allowed");
}
EOF
  KCTL="unix:$T/kam/ctl.sock"   # kamcmd: shared memory statistics (memory phase)
  kamailio -f "$T/kam/kamailio.cfg" -DD -E -m 1024 -M 16 >"$T/kam/kamailio.log" 2>&1 &
  KPID=$!
  i=0
  while [ -z "$(ps -o pid= --ppid "$KPID" 2>/dev/null)" ]; do
    i=$((i+1)); [ $i -gt 50 ] && { echo "kamailio did not start"; cat "$T/kam/kamailio.log"; exit 1; }
    sleep 0.1
  done
  sleep 1
  SERVERS="presenced kamailio"
fi

echo "presenced $(git -C "$top_srcdir" describe --always --dirty 2>/dev/null || echo '?') vs" \
  "$([ $KAM = 1 ] && echo "Kamailio $(kamailio -v 2>/dev/null | head -1 | awk '{print $3}') (children=${KAM_CHILDREN:-4}, lock=${KAM_LOCK:-1})" || echo "no baseline");" \
  "$(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at start"
# one long-lived publication per presentity: NOTIFYs carry a document on both
for name in $SERVERS; do
  read -r ok bad secs < <(run_sipp "$name-seed" "$(srv_port "$name")" seed.xml "$N_PRES")
  [ "$bad" = 0 ] && [ "$ok" = "$N_PRES" ] || echo "   seed ($name): $ok ok, $bad failed"
done

want() { case " $PHASES " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
want publish && phase_calls publish publish.xml 2 PUBLISH
want subscribe && phase_calls subscribe subscribe.xml 4 tx
want fanout && phase_fanout
want memory && phase_memory

if [ $KAM = 1 ]; then
  echo "== presenced / Kamailio (goal >= 2)"
  for k in publish subscribe fanout; do
    want "$k" || continue
    printf '   %-10s throughput %7s / %7s = %s    CPU per transaction: %s / %s us = %s less\n' "$k" \
      "${R[presenced.$k]}" "${R[kamailio.$k]}" "$($U ratio "${R[presenced.$k]}" "${R[kamailio.$k]}")" \
      "${R[presenced.$k.cpu]}" "${R[kamailio.$k.cpu]}" "$($U ratio "${R[kamailio.$k.cpu]}" "${R[presenced.$k.cpu]}")"
  done
  want memory && printf '   %-10s %s / %s bytes per held subscription = %s less\n' memory \
    "${R[presenced.mem]}" "${R[kamailio.mem]}" "$($U ratio "${R[kamailio.mem]}" "${R[presenced.mem]}")"
fi
if [ $KAM = 1 ]; then
  n=$(grep -c "ERROR" "$T/kam/kamailio.log" || true)
  [ "$n" = 0 ] || echo "   kamailio: $n ERROR lines in its log ($(grep -c 'database is locked' "$T/kam/kamailio.log" || true) 'database is locked')"
fi
grep -Eq "Sanitizer|runtime error" "$T/presenced.log" && echo "WARNING: sanitizer report in the presenced log"
exit 0
