#!/bin/sh
# Ut TLS policy (TS 33.141 5.1.2-5.1.3, TS 33.222 5.3) against a running presenced,
# checked with openssl s_client: versions, cipher strength, fatal alerts,
# resumption by session ID and ticket, lifetime, SNI certificates.
. "$(dirname "$0")/lib.sh"
PRES_TLS_SECTION='tls { session_lifetime = 4 ticket_rotation = 60 }'
PRES_SIP_ENABLED=false
pres_config
pres_start
S="127.0.0.1:$XCAP_PORT"
sc() { (sleep 0.3; echo) | timeout 10 openssl s_client -connect "$S" -servername xcap.ims.example.com -CAfile "$T/tls/ca.crt" "$@" 2>&1 || true; }
# -sess_out: TLS 1.3 tickets arrive after the handshake: keep the connection
# open long enough on a loaded machine
sc_out() { (sleep 1.5; echo) | timeout 10 openssl s_client -connect "$S" -servername xcap.ims.example.com -CAfile "$T/tls/ca.crt" "$@" 2>&1 || true; }

sc -tls1_2 > "$T/o"; expect_match "TLS 1.2 handshake with a verified certificate" "Verify return code: 0 \(ok\)" "$T/o"
expect_match "TLS 1.2 negotiates an AEAD suite first" "Cipher is ECDHE-RSA-AES(128|256)-GCM" "$T/o"
sc -tls1_3 > "$T/o"; expect_match "TLS 1.3 handshake" "New, TLSv1.3" "$T/o"

sc -cipher 'NULL:@SECLEVEL=0' -tls1_2 > "$T/o"
expect_match "NULL-encryption only: fatal handshake_failure alert" "alert handshake failure|alert number 40" "$T/o"
sc -cipher 'EXP:LOW:DES:RC4:3DES:@SECLEVEL=0' -tls1_2 > "$T/o"
expect_nomatch "export/low/DES/RC4/3DES only: no session" "^New, TLSv1.2, Cipher is [A-Z]" "$T/o"
sc -cipher 'aNULL:@SECLEVEL=0' -tls1_2 > "$T/o"
expect_match "anonymous suites only: fatal alert" "alert handshake failure|alert number 40" "$T/o"
sc -tls1 -cipher 'DEFAULT:@SECLEVEL=0' > "$T/o"
expect_match "TLS 1.0 refused with protocol_version alert" "alert protocol version|alert number 70" "$T/o"
sc -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' > "$T/o"
expect_match "TLS 1.1 refused with protocol_version alert" "alert protocol version|alert number 70" "$T/o"
expect_match "refusals are logged with the peer" "peer=127.0.0.1: TLS handshake refused" "$T/presenced.log"

sc -tls1_2 -reconnect > "$T/o"
expect_match "TLS 1.2 -reconnect resumes (ticket)" "^Reused, TLSv1.2" "$T/o"
sc -tls1_2 -no_ticket -reconnect > "$T/o"
expect_match "TLS 1.2 session-ID resumption (-no_ticket)" "^Reused, TLSv1.2" "$T/o"
sc_out -tls1_3 -sess_out "$T/s13" > "$T/o"
sc -tls1_3 -sess_in "$T/s13" > "$T/o"
expect_match "TLS 1.3 resumption with -sess_out/-sess_in" "^Reused, TLSv1.3" "$T/o"
sc_out -tls1_2 -sess_out "$T/s12" > "$T/o"
sc -tls1_2 -sess_in "$T/s12" > "$T/o"
expect_match "TLS 1.2 resumption with -sess_out/-sess_in" "^Reused, TLSv1.2" "$T/o"
sc_out -tls1_2 -no_ticket -sess_out "$T/sid" > "$T/o"
sc_out -tls1_3 -sess_out "$T/s13b" > "$T/o"
sleep 6
sc -tls1_2 -no_ticket -sess_in "$T/sid" > "$T/o"
expect_match "session ID past the configured lifetime: full handshake" "^New, TLSv1.2" "$T/o"
sc -tls1_2 -sess_in "$T/s12" > "$T/o"
expect_match "TLS 1.2 ticket past the lifetime: full handshake" "^New, TLSv1.2" "$T/o"
sc -tls1_3 -sess_in "$T/s13b" > "$T/o"
expect_match "TLS 1.3 ticket past the lifetime: full handshake" "^New, TLSv1.3" "$T/o"

echo | timeout 10 openssl s_client -connect "$S" -servername xcap-alt.ims.example.com -CAfile "$T/tls/ca.crt" > "$T/o" 2>&1 || true
expect_match "SNI xcap-alt.ims.example.com gets its own certificate" "subject=.*CN ?= ?xcap-alt.ims.example.com" "$T/o"
expect_match "SNI certificate verifies" "Verify return code: 0 \(ok\)" "$T/o"
sc > "$T/o"
expect_match "SNI xcap.ims.example.com gets the default certificate" "subject=.*CN ?= ?xcap.ims.example.com" "$T/o"
finish
