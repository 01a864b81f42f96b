#!/bin/sh
# End-to-end tests of the SIP presence engine: starts tests/sip/psip-harness
# on free loopback ports with a temporary database, drives it with sipp
# scenarios (UDP and TCP) and the Net::SIP watcher (tests/sip/watcher.pl),
# restarts it to check that subscriptions survive. Exit 77 (skip) when sipp
# or Net::SIP is missing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
srcdir=${srcdir:-$here/../..}
sdir=$(cd "$srcdir/tests/sip" && pwd)
harness=${PSIP_HARNESS:-$(pwd)/tests/sip/psip-harness}
[ -x "$harness" ] || harness="$here/psip-harness"
command -v sipp >/dev/null 2>&1 || { echo "sipp not installed: skip"; exit 77; }
perl -MNet::SIP -e1 2>/dev/null || { echo "Net::SIP not installed: skip"; exit 77; }
[ -x "$harness" ] || { echo "psip-harness not built"; exit 99; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/psip-e2e.XXXXXX")
hpid=
cleanup() {
	[ -n "$hpid" ] && kill "$hpid" 2>/dev/null && wait "$hpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# a free port for UDP and TCP, then 10 more above it for the clients
free_port() {
	perl -MIO::Socket::INET -e '
	  for (1..200) {
	    my $p = 20000 + int(rand(30000));
	    my $ok = 1;
	    for my $q ($p .. $p + 10) {
	      for my $proto (qw(udp tcp)) {
	        my $s = IO::Socket::INET->new(Proto => $proto, LocalAddr => "127.0.0.1",
	          LocalPort => $q, ($proto eq "tcp" ? (Listen => 1, ReuseAddr => 0) : ()));
	        $ok = 0 unless $s;
	      }
	    }
	    if ($ok) { print $p; exit 0 }
	  }
	  exit 1'
}
port=$(free_port) || { echo "no free port"; exit 99; }
cport=$((port + 1))
db="$tmp/t.db"
fifo="$tmp/ctl"
mkfifo "$fifo"
fail=0
log() { printf '%s\n' "$*"; }

"$harness" provision --db "$db" alice@ims.example.com secret \
	sip:alice@ims.example.com tel:+15550001 >/dev/null 2>&1 &&
"$harness" provision --db "$db" bob@ims.example.com secret sip:bob@ims.example.com >/dev/null 2>&1 &&
"$harness" provision --db "$db" carol@ims.example.com - sip:carol@ims.example.com >/dev/null 2>&1 &&
"$harness" provision --db "$db" dave@ims.example.com - sip:dave@ims.example.com >/dev/null 2>&1 &&
"$harness" putdoc --db "$db" pres-rules sip:alice@ims.example.com \
	"$sdir/pres-rules-allow-bob.xml" >/dev/null 2>&1 || { log "provisioning failed"; exit 99; }

start() {
	"$harness" run --db "$db" --listen "sip:127.0.0.1:$port;transport=udp" \
		--listen "sip:127.0.0.1:$port;transport=tcp" --trusted 127.0.0.1 \
		--control "$fifo" -v >>"$tmp/harness.log" 2>&1 &
	hpid=$!
	i=0
	while ! grep -q '^ready' "$tmp/harness.log" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 50 ] || ! kill -0 "$hpid" 2>/dev/null; then
			log "harness did not start"; cat "$tmp/harness.log"; exit 99
		fi
		sleep 0.1
	done
	: >"$tmp/harness.ready"
}
stop() {
	kill "$hpid" 2>/dev/null
	wait "$hpid" 2>/dev/null
	hpid=
	sed -i 's/^ready$/(was ready)/' "$tmp/harness.log"
}

scenario() { # name transport
	name=$1; tr=$2
	if (cd "$tmp" && timeout 30 sipp -sf "$sdir/$name.xml" -m 1 -t "$tr" -i 127.0.0.1 \
		-p "$cport" "127.0.0.1:$port" -timeout 20 -nostdin -trace_err \
		>"$tmp/sipp-$name-$tr.out" 2>&1); then
		log "ok - sipp $name ($tr)"
	else
		log "not ok - sipp $name ($tr)"
		cat "$tmp"/*errors.log 2>/dev/null | head -40
		fail=1
	fi
	rm -f "$tmp"/*errors.log
}

start
scenario publish u1
scenario subscribe u1
scenario errors u1
scenario publish t1
scenario subscribe t1

perl "$sdir/watcher.pl" "$port" "$harness" "$db" "$fifo" $((port + 2)) flow || fail=1
perl "$sdir/watcher.pl" "$port" "$harness" "$db" "$fifo" $((port + 2)) digest || fail=1

# subscriptions survive a restart: dave's watcher gets a NOTIFY in its
# stored dialog with a higher CSeq
perl "$sdir/watcher.pl" "$port" "$harness" "$db" "$fifo" $((port + 2)) restart-a || fail=1
stop
perl "$sdir/watcher.pl" "$port" "$harness" "$db" "$fifo" $((port + 2)) restart-b \
	>"$tmp/restart-b.out" 2>&1 &
wpid=$!
sleep 1
start
wait $wpid || fail=1
cat "$tmp/restart-b.out"
stop

# TLS (sofia tport: agent.pem = key + certificate, cafile.pem): a
# self-signed certificate made now; OPTIONS over TLS answered 200. Leak
# checks are off for this instance: sofia-sip's TLS transport does not free
# its SSL_CTX when the agent is destroyed.
if command -v openssl >/dev/null 2>&1; then
	mkdir -p "$tmp/tls"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/tls/key.pem" \
		-out "$tmp/tls/cert.pem" -days 1 -subj "/CN=127.0.0.1" >/dev/null 2>&1
	cat "$tmp/tls/key.pem" "$tmp/tls/cert.pem" >"$tmp/tls/agent.pem"
	cp "$tmp/tls/cert.pem" "$tmp/tls/cafile.pem"
	ASAN_OPTIONS=detect_leaks=0 "$harness" run --db "$db" \
		--listen "sips:127.0.0.1:$((port + 9));transport=tls" --tls-dir "$tmp/tls" \
		>"$tmp/tls.log" 2>&1 &
	tpid=$!
	sleep 0.5
	reply=$( (printf 'OPTIONS sip:alice@ims.example.com SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bKtls1\r\nFrom: <sip:bob@ims.example.com>;tag=1\r\nTo: <sip:alice@ims.example.com>\r\nCall-ID: tls-1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n'; sleep 1) |
		timeout 5 openssl s_client -connect "127.0.0.1:$((port + 9))" -quiet 2>/dev/null | head -1)
	kill "$tpid" 2>/dev/null; wait "$tpid" 2>/dev/null
	case "$reply" in
	"SIP/2.0 200"*) log "ok - OPTIONS over TLS: 200" ;;
	*) log "not ok - OPTIONS over TLS: '$reply'"; cat "$tmp/tls.log"; fail=1 ;;
	esac
fi

# sanitizer builds: any report from the engine fails the test
if grep -q -E "Sanitizer|runtime error" "$tmp/harness.log"; then
	log "not ok - sanitizer report in the harness log"
	fail=1
fi

if [ $fail -ne 0 ]; then
	log "--- harness log"
	cat "$tmp/harness.log"
	exit 1
fi
exit 0
