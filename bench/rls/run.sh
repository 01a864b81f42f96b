#!/bin/sh
# bench/rls/run.sh - resource list subscriptions (RFC 4662) against plain
# presence subscriptions, same presenced, same run, loopback only.
#
#   bench/rls/run.sh [MEMBERS LIST_SUBS PLAIN_WATCHERS RATE SECS]
#   defaults:         100     1000      100            20   15
#
# One list of MEMBERS members; LIST_SUBS list subscriptions (all by the
# owner, as the default policy requires); then PLAIN_WATCHERS x MEMBERS
# plain presence subscriptions (100 x 100 = 10,000 by default: the full
# 1,000 x 100 = 100,000 does not fit a 2-core machine in a 2-minute run).
# In each phase the members publish RATE changes per second for SECS
# seconds. Reported per phase: NOTIFYs/s, member updates delivered per
# second (resources carried by the NOTIFYs), server CPU per NOTIFY and per
# update (/proc/PID/stat), and the list phase as ratios to the plain one.
# Needs a build (./scripts/build.sh build) and perl. Takes ~1-2 minutes.
set -eu
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
top_builddir=${top_builddir:-$top_srcdir/build}
MEMBERS=${1:-100}; LIST_SUBS=${2:-1000}; PLAIN=${3:-100}; RATE=${4:-20}; SECS=${5:-15}
THROTTLE_MS=1000
. "$top_srcdir/tests/integration/lib.sh"
PRES_SIP_EXTRA="trusted_peers = {\"127.0.0.1\"} no_pres_rules = \"allow\" rls_throttle = $THROTTLE_MS"
pres_config
sed -i 's/^log_level = "debug"/log_level = "info"/' "$T/presenced.conf"
pres_provision
i=0
while [ $i -lt "$MEMBERS" ]; do
  "$PRESENCECTL" --db "$T/presenced.db" subscriber add --impi m$i@ims.example.com \
    --impu sip:m$i@ims.example.com >/dev/null
  i=$((i+1))
done
pres_start
# alice's list over XCAP
entries=$(i=0; while [ $i -lt "$MEMBERS" ]; do printf '<entry uri="sip:m%d@ims.example.com"/>' $i; i=$((i+1)); done)
printf '<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="bench">%s</list></resource-lists>\n' "$entries" >"$T/rl.xml"
cat >"$T/rls.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<rls-services xmlns="urn:ietf:params:xml:ns:rls-services"><service uri="sip:bench-list@ims.example.com"><resource-list>$(XROOT)/resource-lists/users/sip:alice@ims.example.com/index/~~/resource-lists/list%5b@name=%22bench%22%5d</resource-list><packages><package>presence</package></packages></service></rls-services>
XML
for d in "resource-lists rl" "rls-services rls"; do
  set -- $d
  code=$(xcurl --digest -u alice@ims.example.com:$ALICE_PW -o /dev/null -w '%{http_code}' -X PUT \
    -H "Content-Type: application/$1+xml" --data-binary @"$T/$2.xml" \
    "$(XROOT)/$1/users/sip:alice@ims.example.com/index")
  [ "$code" = 201 ] || { echo "XCAP PUT $1: $code"; exit 1; }
done
echo "presenced pid $PID; $MEMBERS members, $LIST_SUBS list subscriptions, $PLAIN x $MEMBERS plain subscriptions, $RATE publishes/s for ${SECS}s"
perl "$top_srcdir/bench/rls/load.pl" "$SIP_PORT" "$PID" "$MEMBERS" "$LIST_SUBS" "$PLAIN" \
  "$RATE" "$SECS" "$(echo "$THROTTLE_MS" | awk '{print $1/1000}')" | tee "$T/result"
HZ=$(getconf CLK_TCK)
awk -v hz="$HZ" '
/^result/ {
  for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
  p = v["phase"]
  ns[p] = v["notifies"] / v["secs"]; us[p] = v["updates"] / v["secs"]
  cpu = v["cpu_ticks"] / hz
  cn[p] = v["notifies"] ? cpu / v["notifies"] * 1e6 : 0
  cu[p] = v["updates"] ? cpu / v["updates"] * 1e6 : 0
  cs[p] = cpu / v["secs"] * 100
  printf "%-6s subs=%-6d NOTIFY/s=%-8.0f updates/s=%-8.0f CPU=%5.1f%%  us/NOTIFY=%-7.1f us/update=%-6.1f avg bytes/NOTIFY=%.0f\n", \
    p, v["subs"], ns[p], us[p], cs[p], cn[p], cu[p], v["notifies"] ? v["bytes"] / v["notifies"] : 0
}
END {
  if (ns["plain"] > 0 && cu["plain"] > 0)
    printf "ratios list/plain: NOTIFY/s %.2f, updates/s %.2f, CPU per update %.2f, CPU per NOTIFY %.2f\n", \
      ns["list"] / ns["plain"], us["list"] / us["plain"], cu["list"] / cu["plain"], cn["list"] / cn["plain"]
}' "$T/result"
