#!/bin/sh
# XCAP end to end (RFC 4825, 4826, 4827, 5025, OMA XDM) against a running
# presenced over HTTPS with real clients: curl --digest for the operations,
# python3-requests for nonce reuse. Documents are in tests/data/it/.
# Covers: document life cycle for every user AUID, element/attribute/namespace
# selectors, conditional requests and a concurrent If-Match race, cross-user
# isolation for every AUID, refused bodies leave the stored document intact,
# digest challenges / wrong password / replay / nonce reuse, global documents.
. "$(dirname "$0")/lib.sh"
PRES_SIP_ENABLED=false
# GBA off: python-requests merges several WWW-Authenticate headers into one
# and would pick the GBA realm; password digest is what this test is about.
PRES_AUTH_SECTION='auth { gba = false digest = true realm = "ims.example.com" fail_limit = 100 }'
pres_config
pres_provision
pres_start
D="$top_srcdir/tests/data/it"
A="alice@ims.example.com:$ALICE_PW"
B="bob@ims.example.com:$BOB_PW"
R=$(XROOT)
ALICE=sip:alice@ims.example.com
BOB=sip:bob@ims.example.com
CT_EL=application/xcap-el+xml
CT_ATT=application/xcap-att+xml
CT_RL=application/resource-lists+xml
RL="$R/resource-lists/users/$ALICE/index"
FRIENDS='list%5B@name=%22friends%22%5D'
CAROL='entry%5B@uri=%22sip:carol@ims.example.com%22%5D'

# x USER METHOD URL [curl args...]: prints the final status; the headers of
# every response (401 then the answer) go to $T/h, the body to $T/b.
x() {
  _u=$1 _m=$2 _url=$3; shift 3
  : > "$T/b"
  xcurl --digest -u "$_u" -X "$_m" -D "$T/h" -o "$T/b" -w '%{http_code}' "$@" "$_url" || true
}
# put USER URL CONTENT-TYPE FILE [curl args...]
put() {
  _u=$1 _url=$2 _ct=$3 _f=$4; shift 4
  x "$_u" PUT "$_url" -H "Content-Type: $_ct" --data-binary "@$_f" "$@"
}
# hdr NAME [FILE]: the value of header NAME in the last response of $T/h (or FILE)
hdr() { grep -i "^$1:" "${2:-$T/h}" | tail -1 | cut -d' ' -f2- | tr -d '\r'; }
# Several requests in one curl process (fewer process starts on a loaded
# machine): "$(xc N)" expands to the per-transfer options of request N, whose
# headers go to $T/h.N, body to $T/b.N, status to line N of stdout.
xc() { printf "%s" "-sS --cacert $T/tls/ca.crt --resolve $XCAP_HOST:$XCAP_PORT:127.0.0.1 -D $T/h.$1 -o $T/b.$1 -w %{http_code}\\n --digest"; }
nth() { sed -n "$1p" "$T/st"; }
unchanged() { # URL ETAG FILE DESCRIPTION
  x "$A" GET "$1" >/dev/null
  expect_eq "$4: ETag unchanged" "$2" "$(hdr ETag)"
  expect_eq "$4: content unchanged" same "$(same_file "$3" "$T/b")"
}
same_file() { cmp -s "$1" "$2" && echo same || echo differs; }
T0=$(date +%s)
phase() { echo "# $1 ($(( $(date +%s) - T0 ))s)"; }
challenged() { grep -c ": challenged" "$T/presenced.log" || true; }

# ---- 1. document life cycle for every user AUID
phase "document life cycle for every user AUID"
lifecycle() { # AUID MIME V1 V2
  auid=$1 mime=$2 v1=$D/$3 v2=$D/$4
  u="$R/$auid/users/$ALICE/index"
  rm -f "$T"/h.* "$T"/b.*
  # shellcheck disable=SC2046
  curl $(xc 1) -u "$A" -X PUT -H "Content-Type: $mime" --data-binary "@$v1" "$u" \
    --next $(xc 2) -u "$A" "$u" \
    --next $(xc 3) -u "$A" -X PUT -H "Content-Type: $mime" --data-binary "@$v2" "$u" \
    --next $(xc 4) -u "$A" "$u" \
    --next $(xc 5) -u "$A" -X DELETE "$u" \
    --next $(xc 6) -u "$A" "$u" > "$T/st" || true
  e1=$(hdr ETag "$T/h.1"); e2=$(hdr ETag "$T/h.3")
  expect_eq "$auid: PUT new document -> 201" 201 "$(nth 1)"
  expect_match "$auid: 201 carries a strong ETag" '^"[^"]+"$' "$(printf '%s\n' "$e1" > "$T/e"; echo "$T/e")"
  expect_eq "$auid: GET -> 200" 200 "$(nth 2)"
  expect_eq "$auid: GET returns the stored bytes" same "$(same_file "$v1" "$T/b.2")"
  expect_eq "$auid: GET Content-Type" "$mime" "$(hdr Content-Type "$T/h.2")"
  expect_eq "$auid: GET ETag = PUT ETag" "$e1" "$(hdr ETag "$T/h.2")"
  expect_eq "$auid: PUT replacement -> 200" 200 "$(nth 3)"
  [ -n "$e2" ] && [ "$e2" != "$e1" ] && r=new || r="old/empty ($e1 / $e2)"
  expect_eq "$auid: replacement gets a new ETag" new "$r"
  expect_eq "$auid: GET returns the replacement" same "$(same_file "$v2" "$T/b.4")"
  expect_eq "$auid: DELETE -> 200" 200 "$(nth 5)"
  expect_eq "$auid: GET after DELETE -> 404" 404 "$(nth 6)"
}
lifecycle pres-rules application/auth-policy+xml pres-rules.xml pres-rules-v2.xml
lifecycle org.openmobilealliance.pres-rules application/auth-policy+xml oma-pres-rules.xml oma-pres-rules-v2.xml
lifecycle resource-lists $CT_RL resource-lists.xml resource-lists-v2.xml
lifecycle rls-services application/rls-services+xml rls-services.xml rls-services-v2.xml
lifecycle pidf-manipulation application/pidf+xml pidf.xml pidf-v2.xml

# ---- 2. element, attribute and namespace selectors
phase "element, attribute and namespace selectors"
put "$A" "$RL" $CT_RL "$D/resource-lists.xml" >/dev/null
EL="$RL/~~/resource-lists/$FRIENDS/$CAROL"
expect_eq "element PUT of a new <entry> -> 201" 201 "$(put "$A" "$EL" $CT_EL "$D/entry-carol.xml")"
e_el=$(hdr ETag)
expect_eq "element GET -> 200" 200 "$(x "$A" GET "$EL")"
expect_eq "element GET Content-Type" $CT_EL "$(hdr Content-Type)"
expect_eq "element GET returns the element as written" same "$(same_file "$D/entry-carol.xml" "$T/b")"
expect_eq "element GET carries the document ETag" "$e_el" "$(hdr ETag)"
x "$A" GET "$RL" >/dev/null
expect_match "whole document shows the new entry" '<entry uri="sip:carol@ims.example.com"><display-name>Carol</display-name></entry>' "$T/b"
cp "$T/b" "$T/withcarol"
expect_match "new entry was appended after the last <entry> of friends" 'tel:\+15550002"/><entry uri="sip:carol' "$T/withcarol"
expect_eq "element DELETE -> 200" 200 "$(x "$A" DELETE "$EL")"
expect_eq "element GET after DELETE -> 404" 404 "$(x "$A" GET "$EL")"
x "$A" GET "$RL" >/dev/null
expect_eq "document after element DELETE is the original again" same "$(same_file "$D/resource-lists.xml" "$T/b")"

ATT="$RL/~~/resource-lists/list%5B2%5D/@name"
expect_eq "attribute GET -> 200" 200 "$(x "$A" GET "$ATT")"
expect_eq "attribute GET Content-Type" $CT_ATT "$(hdr Content-Type)"
expect_eq "attribute GET value (no quotes)" work "$(cat "$T/b")"
expect_eq "attribute PUT (replace) -> 200" 200 "$(x "$A" PUT "$ATT" -H "Content-Type: $CT_ATT" --data-binary 'colleagues &amp; co')"
x "$A" GET "$ATT" >/dev/null
expect_eq "attribute GET returns the new value, XML-escaped" 'colleagues &amp; co' "$(cat "$T/b")"
x "$A" GET "$RL/~~/resource-lists/list%5B@name=%22colleagues%20&amp;%20co%22%5D" >/dev/null
expect_match "list selectable by its new name" '^<list name="colleagues &amp; co"/>$' "$T/b"
PIDF="$R/pidf-manipulation/users/$ALICE/index"
put "$A" "$PIDF" application/pidf+xml "$D/pidf.xml" >/dev/null
LANG_ATT="$PIDF/~~/presence/note/@xml:lang"
expect_eq "attribute PUT (create xml:lang) -> 201" 201 "$(x "$A" PUT "$LANG_ATT" -H "Content-Type: $CT_ATT" --data-binary 'fr')"
expect_eq "new attribute GET -> 200" 200 "$(x "$A" GET "$LANG_ATT")"
expect_eq "new attribute value" fr "$(cat "$T/b")"
expect_eq "new attribute Content-Type" $CT_ATT "$(hdr Content-Type)"
x "$A" GET "$PIDF" >/dev/null
expect_match "document shows the new attribute" '<note xml:lang="fr">Out of office</note>' "$T/b"
expect_eq "attribute DELETE -> 200" 200 "$(x "$A" DELETE "$LANG_ATT")"
expect_eq "attribute GET after DELETE -> 404" 404 "$(x "$A" GET "$LANG_ATT")"
expect_eq "attribute PUT with the element Content-Type -> 415" 415 "$(x "$A" PUT "$LANG_ATT" -H "Content-Type: $CT_EL" --data-binary 'fr')"

# namespaces of new attributes (two bugs fixed in xcap/put_compute)
RLNS="$R/resource-lists/users/$ALICE/ns"
put "$A" "$RLNS" $CT_RL "$D/resource-lists-ns.xml" >/dev/null
EXT='entry/a:ext?xmlns(a=urn:example:other)'
expect_eq "attribute PUT in a new namespace whose prefix an ancestor binds -> 201" 201 "$(x "$A" PUT "$RLNS/~~/resource-lists/list%5B1%5D/@a:foo?xmlns(a=urn:example:z)" -H "Content-Type: $CT_ATT" --data-binary 'v')"
expect_eq "the new attribute is selectable in its namespace" 200 "$(x "$A" GET "$RLNS/~~/resource-lists/list%5B1%5D/@z:foo?xmlns(z=urn:example:z)")"
expect_eq "descendants keep their namespace (no prefix rebinding)" 200 "$(x "$A" GET "$RLNS/~~/resource-lists/list%5B1%5D/$EXT")"
x "$A" GET "$RLNS" >/dev/null; e=$(hdr ETag); cp "$T/b" "$T/ns.before"
expect_eq "attribute PUT of @xmlns (a namespace declaration) -> 409" 409 "$(x "$A" PUT "$RLNS/~~/resource-lists/list%5B1%5D/@xmlns" -H "Content-Type: $CT_ATT" --data-binary 'urn:example:evil')"
expect_match "@xmlns PUT: <cannot-insert>" '<cannot-insert' "$T/b"
unchanged "$RLNS" "$e" "$T/ns.before" "after the @xmlns PUT"

NS="$RL/~~/resource-lists/list%5B1%5D/namespace::*"
expect_eq "namespace::* GET -> 200" 200 "$(x "$A" GET "$NS")"
expect_eq "namespace::* Content-Type" application/xcap-ns+xml "$(hdr Content-Type)"
expect_match "namespace::* lists the default namespace" '^<list xmlns="urn:ietf:params:xml:ns:resource-lists"/>$' "$T/b"
expect_eq "namespace::* PUT -> 405" 405 "$(x "$A" PUT "$NS" -H "Content-Type: $CT_EL" --data-binary '<x/>')"
expect_eq "namespace::* 405 Allow: GET" GET "$(hdr Allow)"

PR="$R/pres-rules/users/$ALICE/index"
put "$A" "$PR" application/auth-policy+xml "$D/pres-rules.xml" >/dev/null
PRSEL="$PR/~~/cp:ruleset/cp:rule%5B@id=%22a%22%5D/cp:actions/sub-handling?xmlns(cp=urn:ietf:params:xml:ns:common-policy)"
expect_eq "pres-rules: element GET with an xmlns() query binding -> 200" 200 "$(x "$A" GET "$PRSEL")"
expect_match "pres-rules: <sub-handling> selected (pres-rules is the default namespace)" '^<pr:sub-handling>allow</pr:sub-handling>$' "$T/b"

# ---- 3. conditional requests and a concurrent If-Match race
phase "conditional requests and a concurrent If-Match race"
x "$A" GET "$RL" >/dev/null
E=$(hdr ETag)
expect_eq "GET If-None-Match: current ETag -> 304" 304 "$(x "$A" GET "$RL" -H "If-None-Match: $E")"
expect_eq "304 carries the ETag" "$E" "$(hdr ETag)"
[ -s "$T/b" ] && r=body || r=empty
expect_eq "304 has no body" empty "$r"
expect_eq "GET If-None-Match: other ETag -> 200" 200 "$(x "$A" GET "$RL" -H 'If-None-Match: "0000"')"
expect_eq "PUT If-None-Match: * on an existing document -> 412" 412 "$(put "$A" "$RL" $CT_RL "$D/race-a.xml" -H 'If-None-Match: *')"
expect_eq "DELETE If-Match: stale ETag -> 412" 412 "$(x "$A" DELETE "$RL" -H 'If-Match: "0000"')"
for c in a b; do
  xcurl --digest -u "$A" -X PUT -H "Content-Type: $CT_RL" -H "If-Match: $E" --data-binary "@$D/race-$c.xml" \
    -D "$T/h.$c" -o /dev/null -w '%{http_code}' "$RL" > "$T/st.$c" 2>&1 &
  eval "pid_$c=\$!"
done
wait "$pid_a" "$pid_b"   # not a bare wait: presenced is a child too
sa=$(cat "$T/st.a"); sb=$(cat "$T/st.b")
expect_eq "race: exactly one If-Match PUT wins, the other gets 412" "200 412" "$(printf '%s\n%s\n' "$sa" "$sb" | sort | tr '\n' ' ' | sed 's/ $//')"
win=a; [ "$sb" = 200 ] && win=b
x "$A" GET "$RL" >/dev/null
expect_eq "race: the stored document is the winner's" same "$(same_file "$D/race-$win.xml" "$T/b")"
expect_eq "race: the stored ETag is the winner's" "$(grep -i '^etag:' "$T/h.$win" | tail -1 | cut -d' ' -f2- | tr -d '\r')" "$(hdr ETag)"
put "$A" "$RL" $CT_RL "$D/resource-lists.xml" >/dev/null
# unconditional writers in parallel: each is retried on the new version, none is lost
pids=""
for i in 1 2 3 4 5 6 7 8; do
  x_u="$RL/~~/resource-lists/list%5B@name=%22work%22%5D/entry%5B@uri=%22sip:u$i@ims.example.com%22%5D"
  xcurl --digest -u "$A" -X PUT -H "Content-Type: $CT_EL" --data-binary "<entry uri=\"sip:u$i@ims.example.com\"/>" \
    -o /dev/null -w '%{http_code}\n' "$x_u" > "$T/par.$i" 2>&1 &
  pids="$pids $!"
done
wait $pids
expect_eq "8 parallel element PUTs without If-Match -> 8 x 201" 8 "$(cat "$T"/par.* | grep -c '^201$' || true)"
x "$A" GET "$RL" >/dev/null
expect_eq "no update lost: all 8 entries in the document" 8 "$(grep -o 'sip:u[1-8]@ims.example.com' "$T/b" | sort -u | wc -l | tr -d ' ')"
put "$A" "$RL" $CT_RL "$D/resource-lists.xml" >/dev/null

# ---- 4. refused bodies: right error, stored document unchanged
phase "refused bodies: right error, stored document unchanged"
x "$A" GET "$RL" >/dev/null
E=$(hdr ETag); cp "$T/b" "$T/rl.before"
bad() { # DESCRIPTION EXPECTED-STATUS ERROR-ELEMENT-REGEX URL CT FILE
  expect_eq "$1 -> $2" "$2" "$(put "$A" "$4" "$5" "$6")"
  if [ -n "$3" ]; then
    expect_eq "$1: xcap-error Content-Type" application/xcap-error+xml "$(hdr Content-Type)"
    expect_match "$1: error element" "$3" "$T/b"
    expect_match "$1: xcap-error namespace" 'xmlns="urn:ietf:params:xml:ns:xcap-error"' "$T/b"
  fi
}
bad "not well-formed" 409 '<not-well-formed' "$RL" $CT_RL "$D/not-well-formed.xml"
bad "schema-invalid" 409 '<schema-validation-error' "$RL" $CT_RL "$D/schema-invalid.xml"
bad "wrong Content-Type" 415 "" "$RL" application/xml "$D/resource-lists-v2.xml"
bad "pidf Content-Type on resource-lists" 415 "" "$RL" application/pidf+xml "$D/resource-lists-v2.xml"
bad "non-UTF-8 (Latin-1 byte)" 409 '<not-utf-8' "$RL" $CT_RL "$D/latin1.xml"
bad "DOCTYPE with an external entity (XXE)" 409 '<not-well-formed' "$RL" $CT_RL "$D/xxe.xml"
expect_nomatch "XXE: nothing of /etc/passwd in the answer" 'root:' "$T/b"
{ sed '$d' "$D/resource-lists.xml"; head -c 66000 /dev/zero | tr '\0' ' '; echo '</resource-lists>'; } > "$T/big.xml"
bad "body over max_body (65536)" 413 "" "$RL" $CT_RL "$T/big.xml"
bad "element PUT: two elements" 409 '<not-xml-frag' "$RL/~~/resource-lists/$FRIENDS/$CAROL" $CT_EL "$D/resource-lists.xml"
unchanged "$RL" "$E" "$T/rl.before" "after the refused PUTs"

# the other conflict reports and request errors, on the same document
bad "element PUT: attribute value with '<'" 409 '<not-xml-att-value' "$RL/~~/resource-lists/$FRIENDS/@name" $CT_ATT "$D/att-lt.txt"
bad "element PUT under a missing list" 409 '<no-parent><ancestor>https://[^<]*/index/~~/resource-lists</ancestor>' "$RL/~~/resource-lists/list%5B@name=%22nope%22%5D/entry" $CT_EL "$D/entry-carol.xml"
bad "element PUT the URI would not select" 409 '<cannot-insert' "$RL/~~/resource-lists/$FRIENDS/entry%5B@uri=%22sip:zed@ims.example.com%22%5D" $CT_EL "$D/entry-carol.xml"
bad "entry-ref with an absolute URI" 409 '<constraint-failure' "$RL/~~/resource-lists/$FRIENDS/entry-ref" $CT_EL "$D/entry-ref-abs.xml"
bad "same entry URI twice in a list (host case differs)" 409 '<uniqueness-failure><exists field="[^"]*@uri"><alt-value>' "$RL/~~/resource-lists/$FRIENDS/entry%5B3%5D" $CT_EL "$D/entry-bob.xml"
bad "external with a relative anchor" 409 '<constraint-failure' "$RL/~~/resource-lists/$FRIENDS/external" $CT_EL "$D/external-rel.xml"
bad "list name used by a sibling list" 409 '<uniqueness-failure><exists field="[^"]*@name"><alt-value>friends-1</alt-value>' "$RL/~~/resource-lists/list%5B3%5D" $CT_EL "$D/list-friends.xml"
bad "element body not UTF-8" 409 '<not-utf-8' "$RL/~~/resource-lists/$FRIENDS/entry%5B3%5D" $CT_EL "$D/entry-latin1.xml"
expect_eq "DELETE of the document element -> 409" 409 "$(x "$A" DELETE "$RL/~~/resource-lists")"
expect_match "DELETE of the document element: <cannot-delete>" '<cannot-delete' "$T/b"
expect_eq "DELETE entry[1] while entry[2] exists -> 409" 409 "$(x "$A" DELETE "$RL/~~/resource-lists/$FRIENDS/entry%5B1%5D")"
expect_match "DELETE entry[1]: <cannot-delete>" '<cannot-delete' "$T/b"
expect_eq "malformed node selector -> 400" 400 "$(x "$A" GET "$RL/~~/resource-lists/list%5B")"
expect_eq "malformed If-Match -> 400" 400 "$(x "$A" GET "$RL" -H 'If-Match: garbage')"
expect_eq "selector selecting several elements -> 404" 404 "$(x "$A" GET "$RL/~~/resource-lists/$FRIENDS/entry")"
expect_eq "unknown AUID -> 404" 404 "$(x "$A" GET "$R/no-such-auid/users/$ALICE/index")"
expect_eq "PUT to a non-generated global document -> 403" 403 "$(put "$A" "$R/resource-lists/global/index" $CT_RL "$D/resource-lists.xml")"
unchanged "$RL" "$E" "$T/rl.before" "after the refused element operations"
# 413 also when the body is small but the resulting document is too big
BIG="$R/resource-lists/users/$ALICE/big"
{ printf '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="big"><display-name>'
  head -c 40000 /dev/zero | tr '\0' x; printf '</display-name></list></resource-lists>'; } > "$T/big40k.xml"
{ printf '<list name="big2"><display-name>'; head -c 30000 /dev/zero | tr '\0' y; printf '</display-name></list>'; } > "$T/el30k.xml"
expect_eq "40 kB document -> 201" 201 "$(put "$A" "$BIG" $CT_RL "$T/big40k.xml")"
E2=$(hdr ETag)
bad "30 kB element making the document exceed max_body" 413 "" "$BIG/~~/resource-lists/list%5B@name=%22big2%22%5D" $CT_EL "$T/el30k.xml"
unchanged "$BIG" "$E2" "$T/big40k.xml" "after the 413 element PUT"

# rls-services: service URI unique across users
RLS_BOB="$R/rls-services/users/$BOB/index"
RLS="$R/rls-services/users/$ALICE/index"
expect_eq "bob creates his rls-services" 201 "$(put "$B" "$RLS_BOB" application/rls-services+xml "$D/bob-rls-services.xml")"
put "$A" "$RLS" application/rls-services+xml "$D/rls-services.xml" >/dev/null
x "$A" GET "$RLS" >/dev/null; E=$(hdr ETag); cp "$T/b" "$T/rls.before"
bad "rls-services service URI used by bob" 409 '<uniqueness-failure' "$RLS" application/rls-services+xml "$D/alice-rls-taken.xml"
expect_match "uniqueness-failure names the field" '<exists field="rls-services/service(\[1\])?/@uri">' "$T/b"
expect_match "uniqueness-failure suggests a free URI" '<alt-value>sip:bob-buddies-1@ims.example.com</alt-value>' "$T/b"
unchanged "$RLS" "$E" "$T/rls.before" "alice's rls-services after the uniqueness failure"

# the same service URI claimed by alice and bob at the same moment
for i in 1 2; do
  printf '<rls-services xmlns="urn:ietf:params:xml:ns:rls-services"><service uri="sip:race%d@ims.example.com"><list/><packages><package>presence</package></packages></service></rls-services>' $i > "$T/race.xml"
  put "$A" "$R/rls-services/users/$ALICE/race$i" application/rls-services+xml "$T/race.xml" > "$T/st.a" &
  pid_a=$!
  put "$B" "$R/rls-services/users/$BOB/race$i" application/rls-services+xml "$T/race.xml" > "$T/st.b" 2>&1 &
  pid_b=$!
  wait "$pid_a" "$pid_b"
  expect_eq "rls-services race $i: one 201, one 409 <uniqueness-failure>" "201 409" "$(printf '%s\n%s\n' "$(cat "$T/st.a")" "$(cat "$T/st.b")" | sort | tr '\n' ' ' | sed 's/ $//')"
done
x "$A" GET "$R/rls-services/global/index" >/dev/null
expect_eq "rls-services races: each URI once in the global index" "1 1" "$(grep -o 'uri="sip:race1@' "$T/b" | wc -l | tr -d ' ') $(grep -o 'uri="sip:race2@' "$T/b" | wc -l | tr -d ' ')"

# ---- 5. cross-user isolation for every AUID
phase "cross-user isolation for every AUID"
put "$B" "$R/pres-rules/users/$BOB/index" application/auth-policy+xml "$D/pres-rules.xml" >/dev/null
put "$B" "$R/org.openmobilealliance.pres-rules/users/$BOB/index" application/auth-policy+xml "$D/oma-pres-rules.xml" >/dev/null
put "$B" "$R/resource-lists/users/$BOB/index" $CT_RL "$D/resource-lists.xml" >/dev/null
put "$B" "$R/pidf-manipulation/users/$BOB/index" application/pidf+xml "$D/pidf.xml" >/dev/null
for auid in pres-rules org.openmobilealliance.pres-rules resource-lists rls-services pidf-manipulation \
    org.openmobilealliance.xcap-directory; do
  doc=index; [ $auid = org.openmobilealliance.xcap-directory ] && doc=directory.xml
  u="$R/$auid/users/$BOB/$doc"
  miss="$R/$auid/users/$BOB/no-such-doc"
  expect_eq "$auid: bob's document exists (setup)" 200 "$(x "$B" GET "$u")"
  be=$(hdr ETag); cp "$T/b" "$T/bob.before"
  rm -f "$T"/h.* "$T"/b.*
  # shellcheck disable=SC2046
  curl $(xc 1) -u "$A" "$u" --next $(xc 2) -u "$A" "$miss" \
    --next $(xc 3) -u "$A" -X PUT -H "Content-Type: $CT_RL" --data-binary "@$D/resource-lists.xml" "$u" \
    --next $(xc 4) -u "$A" -X PUT -H "Content-Type: $CT_RL" --data-binary "@$D/resource-lists.xml" "$miss" \
    --next $(xc 5) -u "$A" -X DELETE "$u" \
    --next $(xc 6) -u "$A" "$u/~~/*" \
    --next $(xc 7) -u "$B" "$u" > "$T/st" || true
  expect_eq "$auid: alice GET bob's existing document -> 403" 403 "$(nth 1)"
  expect_eq "$auid: alice GET bob's missing document -> 403" 403 "$(nth 2)"
  expect_eq "$auid: existing and missing look the same (body)" same "$(same_file "$T/b.1" "$T/b.2")"
  expect_eq "$auid: existing and missing look the same (headers)" \
    "$(hdr ETag "$T/h.1")|$(hdr Content-Type "$T/h.1")" "$(hdr ETag "$T/h.2")|$(hdr Content-Type "$T/h.2")"
  expect_eq "$auid: no ETag leaked" "" "$(hdr ETag "$T/h.1")"
  expect_eq "$auid: alice PUT on bob's document -> 403" 403 "$(nth 3)"
  expect_eq "$auid: alice PUT on bob's missing document -> 403" 403 "$(nth 4)"
  expect_eq "$auid: alice DELETE of bob's document -> 403" 403 "$(nth 5)"
  expect_eq "$auid: alice element GET in bob's document -> 403" 403 "$(nth 6)"
  expect_eq "$auid: bob's document unchanged (ETag)" "$be" "$(hdr ETag "$T/h.7")"
  expect_eq "$auid: bob's document unchanged (content)" same "$(same_file "$T/bob.before" "$T/b.7")"
done
expect_eq "alice with X-3GPP-Intended-Identity: bob -> 403" 403 "$(x "$A" GET "$R/pres-rules/users/$BOB/index" -H "X-3GPP-Intended-Identity: \"$BOB\"")"
# alice's second IMPU
TEL="$R/pres-rules/users/tel:+15550001/index"
expect_eq "alice PUT under her tel: XUI -> 201" 201 "$(put "$A" "$TEL" application/auth-policy+xml "$D/pres-rules.xml")"
expect_eq "alice GET under her tel: XUI (percent-encoded) -> 200" 200 "$(x "$A" GET "$R/pres-rules/users/tel%3A%2B15550001/index")"
expect_eq "tel: document content" same "$(same_file "$D/pres-rules.xml" "$T/b")"
expect_eq "intended identity tel:+15550001, tel: XUI -> 200" 200 "$(x "$A" GET "$TEL" -H 'X-3GPP-Intended-Identity: "tel:+15550001"')"
expect_eq "intended identity tel:+15550001, sip: XUI -> 403" 403 "$(x "$A" GET "$PR" -H 'X-3GPP-Intended-Identity: "tel:+15550001"')"
expect_eq "bob cannot read alice's tel: XUI -> 403" 403 "$(x "$B" GET "$TEL")"

# ---- 6. authentication
phase "authentication"
st=$(xcurl -D "$T/h" -o "$T/b" -w '%{http_code}' "$RL" || true)
expect_eq "no credentials -> 401" 401 "$st"
expect_match "401 offers Digest SHA-256" '^WWW-Authenticate: Digest realm="ims.example.com".*algorithm=SHA-256' "$T/h"
expect_match "401 offers Digest MD5" '^WWW-Authenticate: Digest realm="ims.example.com".*algorithm=MD5' "$T/h"
expect_match "challenge has qop=auth" 'qop="[^"]*auth' "$T/h"
expect_nomatch "401 reveals no document" 'resource-lists' "$T/b"
expect_eq "wrong password -> 401" 401 "$(x "alice@ims.example.com:wrong" GET "$RL")"
expect_eq "wrong password of an existing user on a missing doc -> 401" 401 "$(x "alice@ims.example.com:wrong" GET "$R/pres-rules/users/$ALICE/nope")"
expect_eq "unknown user -> 401" 401 "$(x "mallory@ims.example.com:x" GET "$RL")"
# replay: the very same Authorization header (same nonce and nc) a second time
xcurl -v --digest -u "$A" -o /dev/null "$RL" 2> "$T/v" || true
auth=$(grep -i '^> Authorization: Digest' "$T/v" | tail -1 | sed 's/^> //' | tr -d '\r')
expect_match "curl sent a Digest Authorization with nc" 'nc=00000001' "$(printf '%s\n' "$auth" > "$T/a"; echo "$T/a")"
expect_eq "replayed Authorization (same nonce and nc) -> 401" 401 "$(xcurl -H "$auth" -D "$T/h" -o /dev/null -w '%{http_code}' "$RL" || true)"
expect_match "replay answered with stale=true" 'stale=(true|TRUE)' "$T/h"
# curl --digest with several URLs in one invocation
n0=$(challenged)
xcurl --digest -u "$A" -o /dev/null -o /dev/null -o /dev/null -w '%{http_code}\n' "$RL" "$PR" "$PIDF" > "$T/st" || true
expect_eq "curl --digest, 3 URLs in one invocation -> 200 200 200" "200 200 200" "$(tr '\n' ' ' < "$T/st" | sed 's/ $//')"
n1=$(challenged)
# curl 7.88 starts each URL of the command line on a fresh easy handle, so
# each one is challenged; a client that keeps its digest state does not:
echo "# curl CLI, 3 URLs: $((n1 - n0)) challenge(s)"
cat > "$T/reuse.py" <<'PY'
import sys, requests
from requests.auth import HTTPDigestAuth
url, ca, user, pw = sys.argv[1:5]
s = requests.Session()
s.verify = ca
s.auth = HTTPDigestAuth(user, pw)
for i in range(6):
    r = s.get(url, verify=ca)  # REQUESTS_CA_BUNDLE would override s.verify
    print(r.status_code, r.headers.get("Authentication-Info", "-"))
PY
n0=$(challenged)
RL_IP="https://127.0.0.1:$XCAP_PORT/xcap-root/resource-lists/users/$ALICE/index"
# (the demo certificate also names IP 127.0.0.1)
python3 "$T/reuse.py" "$RL_IP" "$T/tls/ca.crt" alice@ims.example.com "$ALICE_PW" > "$T/py" 2>&1 || true
n1=$(challenged)
expect_eq "python-requests digest session: 6 GETs -> 200" 6 "$(grep -c '^200 ' "$T/py" || true)"
expect_eq "python-requests digest session: one 401 for 6 requests (nonce reuse)" 1 "$((n1 - n0))"
expect_match "nc increases on the reused nonce (Authentication-Info nc=00000006)" 'nc=00000006' "$T/py"

# ---- 7. global documents
phase "global documents"
expect_eq "xcap-caps GET -> 200" 200 "$(x "$A" GET "$R/xcap-caps/global/index")"
expect_eq "xcap-caps Content-Type" application/xcap-caps+xml "$(hdr Content-Type)"
for auid in xcap-caps pres-rules org.openmobilealliance.pres-rules resource-lists rls-services \
    pidf-manipulation org.openmobilealliance.xcap-directory; do
  expect_match "xcap-caps lists $auid" "<auid>$auid</auid>" "$T/b"
done
expect_eq "xcap-caps PUT -> 405" 405 "$(x "$A" PUT "$R/xcap-caps/global/index" -H 'Content-Type: application/xcap-caps+xml' --data-binary '<x/>')"
DIR="$R/org.openmobilealliance.xcap-directory/users/$ALICE/directory.xml"
x "$A" GET "$RL" >/dev/null; erl=$(hdr ETag | tr -d '"')
x "$A" GET "$PR" >/dev/null; epr=$(hdr ETag | tr -d '"')
expect_eq "xcap-directory GET -> 200" 200 "$(x "$A" GET "$DIR")"
expect_eq "xcap-directory Content-Type" application/vnd.oma.xcap-directory+xml "$(hdr Content-Type)"
expect_match "xcap-directory: resource-lists folder" '<folder auid="resource-lists">' "$T/b"
expect_match "xcap-directory: resource-lists doc with its current ETag" "<entry uri=\"$RL\" etag=\"$erl\"" "$T/b"
expect_match "xcap-directory: pres-rules doc with its current ETag" "<entry uri=\"$R/pres-rules/users/$ALICE/index\" etag=\"$epr\"" "$T/b"
expect_nomatch "xcap-directory: no bob documents" 'sip:bob@' "$T/b"
expect_eq "xcap-directory PUT -> 405" 405 "$(x "$A" PUT "$DIR" -H 'Content-Type: application/vnd.oma.xcap-directory+xml' --data-binary '<x/>')"
G="$R/rls-services/global/index"
expect_eq "global rls-services index GET -> 200" 200 "$(x "$A" GET "$G")"
expect_match "global index has alice's service" 'uri="sip:alice-friends@ims.example.com"' "$T/b"
expect_match "global index has bob's service" 'uri="sip:bob-buddies@ims.example.com"' "$T/b"
expect_eq "global rls-services index PUT -> 405" 405 "$(put "$A" "$G" application/rls-services+xml "$D/rls-services.xml")"
expect_eq "global rls-services 405 Allow" GET "$(hdr Allow)"
expect_eq "global rls-services index DELETE -> 405" 405 "$(x "$A" DELETE "$G")"
expect_eq "POST -> 405" 405 "$(x "$A" POST "$RL" -H "Content-Type: $CT_RL" --data-binary @"$D/resource-lists.xml")"
expect_eq "POST 405 Allow" "GET, PUT, DELETE" "$(hdr Allow)"
phase done
# a sanitizer build reports to presenced's stderr (leaks at exit)
pres_stop
expect_nomatch "no sanitizer report in presenced's log" 'Sanitizer|runtime error:' "$T/presenced.log"
expect_match "presenced stopped cleanly" ' stopped$' "$T/presenced.log"
finish
