#!/bin/sh
# Daemon life cycle: pidfile, SIGHUP keeps serving, SIGTERM stops cleanly
# with exit 0 and removes the pidfile; a port in use gives exit code 69.
. "$(dirname "$0")/lib.sh"
PRES_SIP_ENABLED=false
pres_config
pres_start
expect_eq "pidfile holds the process id" "$PID" "$(cat "$T/presenced.pid")"
kill -HUP "$PID"; sleep 0.3
check "still serving after SIGHUP" kill -0 "$PID"
expect_match "SIGHUP logged" "SIGHUP: logs reopened" "$T/presenced.log"
# a second instance on the same ports fails with EX_UNAVAILABLE
sed "s|$T/presenced.pid|$T/second.pid|" "$T/presenced.conf" > "$T/second.conf"
"$PRESENCED" -f -c "$T/second.conf" >"$T/second.log" 2>&1 && rc=0 || rc=$?
expect_eq "port in use: exit code 69" 69 "$rc"
kill -TERM "$PID"; wait "$PID" && rc=0 || rc=$?; PID=""
expect_eq "SIGTERM: exit code 0" 0 "$rc"
check "pidfile removed on clean stop" test ! -e "$T/presenced.pid"
expect_match "shutdown logged" "SIGTERM: shutting down" "$T/presenced.log"
finish
