#!/bin/sh
# test_presencectl.sh - end-to-end test of presencectl on a temporary database.
# Run by `make check` from the build directory (PRESENCECTL overrides the binary).
set -u

PCTL=${PRESENCECTL:-./presencectl}
T=$(mktemp -d /tmp/test_presencectl.XXXXXX) || exit 99
trap 'rm -rf "$T"' EXIT INT TERM
DB="$T/p.db"
K=000102030405060708090a0b0c0d0e0f
OPC=f0e0d0c0b0a090807060504030201000
n=0

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { n=$((n + 1)); echo "ok $n - $*"; }

# run EXPECTED_RC ARGS...: runs presencectl, keeps stdout/stderr in $T/out, $T/err
run() {
	want=$1; shift
	"$PCTL" --db "$DB" "$@" >"$T/out" 2>"$T/err"
	got=$?
	[ "$got" -eq "$want" ] || {
		cat "$T/out" "$T/err" >&2
		fail "presencectl $* exited $got, expected $want"
	}
}

# ---- provisioning alice -----------------------------------------------------
run 1 subscriber list
grep -q "no database" "$T/err" || fail "list on a missing database must say so"
[ ! -e "$DB" ] || fail "a read command created the database"
ok "read commands do not create a database"

run 0 subscriber add --impi alice@ims.example.com --impu sip:alice@ims.example.com \
	--impu tel:+15550001 --k "$K" --opc "$OPC" --password secret
grep -q "added alice@ims.example.com" "$T/out" || fail "add output"
ok "subscriber add alice"

run 0 subscriber show --impi alice@ims.example.com
grep -qx "impu: sip:alice@ims.example.com (default)" "$T/out" || fail "default IMPU not shown"
grep -qx "impu: tel:+15550001" "$T/out" || fail "tel IMPU not shown"
grep -qx "password: yes" "$T/out" || fail "password flag"
grep -qx "aka: yes" "$T/out" || fail "aka flag"
grep -qx "sqn: 000000000000" "$T/out" || fail "sqn"
grep -qx "auth_not_before: never" "$T/out" || fail "auth_not_before"
if grep -qi -e secret -e "$K" -e "$OPC" "$T/out" "$T/err"; then
	fail "show leaks a secret"
fi
ok "subscriber show: both IMPUs, default marked, no secrets"

if grep -q secret "$DB" "$DB-wal" 2>/dev/null; then
	fail "the password is stored in clear"
fi
ok "the password is not stored"

if command -v sqlite3 >/dev/null 2>&1; then
	want=$(printf '%s' 'alice@ims.example.com:ims.example.com:secret' | md5sum | cut -d' ' -f1)
	got=$(sqlite3 "$DB" "SELECT ha1_md5 FROM digest_cred WHERE username = 'alice@ims.example.com' AND realm = 'ims.example.com'")
	[ "$want" = "$got" ] || fail "HA1 MD5 for the IMPI: $got != $want"
	want=$(printf '%s' 'alice:ims.example.com:secret' | sha256sum | cut -d' ' -f1)
	got=$(sqlite3 "$DB" "SELECT ha1_sha256 FROM digest_cred WHERE username = 'alice' AND realm = 'ims.example.com'")
	[ "$want" = "$got" ] || fail "HA1 SHA-256 for the IMPU user: $got != $want"
	[ "$(sqlite3 "$DB" 'SELECT count(*) FROM digest_cred')" = 2 ] || fail "digest cred count"
	[ "$(sqlite3 "$DB" 'SELECT hex(k) FROM subscriber')" = "$(echo "$K" | tr a-f A-F)" ] || fail "K"
	[ "$(sqlite3 "$DB" 'SELECT hex(amf) FROM subscriber')" = 8000 ] || fail "AMF default"
	ok "HA1 values (MD5, SHA-256) for IMPI and IMPU user, K and AMF stored"
fi

run 0 subscriber list
before=$(cat "$T/out")
[ "$before" = "alice@ims.example.com sip:alice@ims.example.com tel:+15550001" ] ||
	fail "list: $before"
ok "subscriber list"

# ---- refused requests write nothing ---------------------------------------------
expect_unchanged() {
	run 0 subscriber list
	[ "$(cat "$T/out")" = "$before" ] || fail "$1: the database changed"
}

run 2 subscriber add --impi bob@ims.example.com --impu sip:bob@ims.example.com \
	--k 0011 --opc "$OPC"
grep -q -- "--k must be exactly 32 hex digits" "$T/err" || fail "wrong-length --k message"
grep -q 0011 "$T/err" && fail "the --k value is echoed"
expect_unchanged "short --k"
ok "wrong-length --k refused, nothing written"

run 2 subscriber add --impi bob@ims.example.com --impu sip:bob@ims.example.com --k "$K"
grep -q -- "--k requires --opc" "$T/err" || fail "--k without --opc"
run 2 subscriber add --impi bob@ims.example.com --impu sip:bob@ims.example.com \
	--k "$K" --opc "$OPC" --amf 80000
grep -q -- "--amf" "$T/err" || fail "bad --amf"
expect_unchanged "--k/--opc/--amf"
ok "--k without --opc and bad --amf refused"

run 2 subscriber add --impi bob@ims.example.com --impu http://bob.example.com
grep -q -- "--impu 'http://bob.example.com' is not a valid" "$T/err" || fail "bad URI message"
run 2 subscriber add --impi bob@ims.example.com --impu "sip:bo b@ims.example.com"
run 2 subscriber add --impi bob --impu sip:bob@ims.example.com
grep -q -- "--impi" "$T/err" || fail "bad IMPI message"
run 2 subscriber add --impi bob@ims.example.com --impu sip:bob@ims.example.com \
	--default sip:carol@ims.example.com
grep -q -- "--default" "$T/err" || fail "bad --default message"
expect_unchanged "malformed URI"
ok "malformed URI, IMPI and --default refused"

run 1 subscriber add --impi alice@ims.example.com --impu sip:alice2@ims.example.com
grep -q -- "--impi alice@ims.example.com: subscriber already exists" "$T/err" ||
	fail "duplicate IMPI message"
run 1 subscriber add --impi bob@ims.example.com --impu sip:bob@ims.example.com \
	--impu tel:+1-555-0001 --password pw
grep -q -- "--impu tel:+15550001: already provisioned for alice@ims.example.com" "$T/err" ||
	fail "duplicate IMPU message"
expect_unchanged "duplicates"
run 1 subscriber show --impi bob@ims.example.com
ok "duplicate IMPI and IMPU refused, nothing written"

# ---- bob: --default, password file, reauth, password, remove ------------------------
printf 'bobpw\n' >"$T/pw"
run 0 subscriber add --impi bob@ims.example.com --impu sip:bob@ims.example.com \
	--impu TEL:+1-555-0002 --default tel:+15550002 --password-file "$T/pw"
run 0 subscriber show --impi bob@ims.example.com
grep -qx "impu: tel:+15550002 (default)" "$T/out" || fail "--default not applied"
grep -qx "impu: sip:bob@ims.example.com" "$T/out" || fail "second IMPU"
grep -qx "aka: no" "$T/out" || fail "bob has no AKA"
ok "--default and --password-file"

run 0 subscriber reauth --impi bob@ims.example.com
grep -q "authenticate again" "$T/out" || fail "reauth output"
run 0 subscriber show --impi bob@ims.example.com
grep -q "auth_not_before: 20" "$T/out" || fail "auth_not_before not set"
run 1 subscriber reauth --impi nobody@ims.example.com
ok "subscriber reauth"

if command -v sqlite3 >/dev/null 2>&1; then
	old=$(sqlite3 "$DB" "SELECT ha1_md5 FROM digest_cred WHERE username = 'bob'")
fi
run 0 subscriber password --impi bob@ims.example.com --password newpw
if command -v sqlite3 >/dev/null 2>&1; then
	new=$(sqlite3 "$DB" "SELECT ha1_md5 FROM digest_cred WHERE username = 'bob'")
	want=$(printf '%s' 'bob:ims.example.com:newpw' | md5sum | cut -d' ' -f1)
	[ "$new" = "$want" ] && [ "$new" != "$old" ] || fail "password not replaced"
fi
run 2 subscriber password --impi bob@ims.example.com
ok "subscriber password"

run 0 subscriber remove --impi bob@ims.example.com
run 1 subscriber remove --impi bob@ims.example.com
expect_unchanged "remove"
ok "subscriber remove"

# ---- documents ---------------------------------------------------------------------
run 0 doc list
[ -s "$T/out" ] && fail "doc list on an empty store"
run 1 doc get --auid pres-rules --xui sip:alice@ims.example.com --name index
run 2 doc get --auid pres-rules --name index
if command -v sqlite3 >/dev/null 2>&1; then
	sqlite3 "$DB" "INSERT INTO xcap_doc (auid, xui, name, content, etag, mtime) VALUES
	  ('pres-rules', 'sip:alice@ims.example.com', 'index', CAST('<ruleset/>' AS BLOB), 'e1', 1800000000),
	  ('xcap-caps', '', 'index', CAST('<caps/>' AS BLOB), 'e2', 1800000000)"
	run 0 doc get --auid pres-rules --xui sip:alice@ims.example.com --name index
	[ "$(cat "$T/out")" = "<ruleset/>" ] || fail "doc get content"
	run 0 doc get --auid xcap-caps --global --name index
	[ "$(cat "$T/out")" = "<caps/>" ] || fail "doc get --global"
	run 0 doc get --auid xcap-caps --xui "" --name index
	[ "$(cat "$T/out")" = "<caps/>" ] || fail "doc get --xui ''"
	run 0 doc list
	[ "$(wc -l <"$T/out")" -eq 2 ] || fail "doc list count"
	grep -q "^pres-rules	sip:alice@ims.example.com	index	e1	10	2027-01-15T08:00:00Z$" \
		"$T/out" || fail "doc list line: $(cat "$T/out")"
	run 0 doc list --auid xcap-caps
	grep -q "^xcap-caps	(global)	index	e2	7	" "$T/out" || fail "doc list --auid"
	run 0 doc list --global
	[ "$(wc -l <"$T/out")" -eq 1 ] || fail "doc list --global"
	ok "doc list and doc get"
fi

# ---- usage ------------------------------------------------------------------------------
run 0 --help
grep -q "subscriber add" "$T/out" || fail "--help"
run 0 -V
grep -q "presencectl" "$T/out" || fail "-V"
run 2 frobnicate
run 2 subscriber
run 2 subscriber list --impi x@y
run 2 subscriber add --impi x@y --impu
ok "help, version and usage errors"

echo "all $n presencectl tests passed"
exit 0
