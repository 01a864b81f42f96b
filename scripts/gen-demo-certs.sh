#!/bin/sh
# Generates the demo PKI under DIR (default var/tls) if it is not there yet:
#   ca.crt/ca.key            demo CA
#   xcap.crt/xcap.key        xcap.ims.example.com (the NAF FQDN), RSA
#   xcap-ec.crt/xcap-ec.key  the same names, ECDSA P-256
#   alt.crt/alt.key          xcap-alt.ims.example.com (a second virtual host, chosen by SNI)
#   multi.crt/multi.key      one certificate for several AS names (subjectAltName list)
#   client.crt/client.key    a client certificate (AP -> AS mutual TLS)
#   sip/agent.pem, sip/cafile.pem  sofia-sip TLS files for SIP over TLS
# Demo keys only: never use them in a real network.
set -eu
DIR=${1:-var/tls}
[ -f "$DIR/xcap.crt" ] && [ -f "$DIR/xcap-ec.crt" ] && [ -f "$DIR/sip/agent.pem" ] && exit 0
mkdir -p "$DIR/sip"
umask 077
cd "$DIR"
openssl req -x509 -newkey rsa:2048 -nodes -days 825 -sha256 -keyout ca.key -out ca.crt \
  -subj "/O=presenced demo/CN=presenced demo CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
issue() { # name cn san
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/O=presenced demo/CN=$2" 2>/dev/null
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 -sha256 \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
issue xcap xcap.ims.example.com "DNS:xcap.ims.example.com,DNS:localhost,IP:127.0.0.1"
# the same names with an ECDSA P-256 key: served to clients that accept ECDSA
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout xcap-ec.key -out xcap-ec.csr \
  -subj "/O=presenced demo/CN=xcap.ims.example.com" 2>/dev/null
printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' \
  "DNS:xcap.ims.example.com,DNS:localhost,IP:127.0.0.1" > xcap-ec.ext
openssl x509 -req -in xcap-ec.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 -sha256 \
  -extfile xcap-ec.ext -out xcap-ec.crt 2>/dev/null
rm -f xcap-ec.csr xcap-ec.ext
issue alt xcap-alt.ims.example.com "DNS:xcap-alt.ims.example.com"
issue multi as.ims.example.com "DNS:as.ims.example.com,DNS:as1.ims.example.com,DNS:as2.ims.example.com,DNS:xcap.ims.example.com"
issue bsf bsf.ims.example.com "DNS:bsf.ims.example.com,DNS:localhost,IP:127.0.0.1"
issue client ap.ims.example.com "DNS:ap.ims.example.com"
issue sip ims.example.com "DNS:ims.example.com,DNS:presence.ims.example.com,DNS:localhost,IP:127.0.0.1"
cat sip.key sip.crt > sip/agent.pem
cp ca.crt sip/cafile.pem
chmod 644 ./*.crt sip/cafile.pem
echo "demo certificates written to $DIR"
