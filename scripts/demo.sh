#!/bin/sh
# The embedded default, from a fresh Debian 12 checkout to a running server:
# installs packages, builds, creates var/ (demo database with alice and bob,
# demo certificates) and runs presenced in the foreground on loopback.
# Stop it with Ctrl-C.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh build
mkdir -p var
./scripts/gen-demo-certs.sh var/tls
DB=var/presenced.db
# Demo credentials (K/OPc are TS 35.207 test sets 1 and 3: public test data, not secrets).
ALICE_PW=alice-demo-password
BOB_PW=bob-demo-password
ALICE_K=465b5ce8b199b49faa5f0a2ee238a6bc ALICE_OPC=cd63cb71954a9f4e48a5994e37a02baf
BOB_K=fec86ba6eb707ed08905757b1bb44b8f BOB_OPC=1006020f0a478bf6b699f15c062e42b3
if ! build/presencectl --db "$DB" subscriber show --impi alice@ims.example.com >/dev/null 2>&1; then
  build/presencectl --db "$DB" subscriber add --impi alice@ims.example.com \
    --impu sip:alice@ims.example.com --impu tel:+15550001 \
    --k "$ALICE_K" --opc "$ALICE_OPC" --password "$ALICE_PW"
fi
if ! build/presencectl --db "$DB" subscriber show --impi bob@ims.example.com >/dev/null 2>&1; then
  build/presencectl --db "$DB" subscriber add --impi bob@ims.example.com \
    --impu sip:bob@ims.example.com \
    --k "$BOB_K" --opc "$BOB_OPC" --password "$BOB_PW"
fi
cat <<MSG

presenced demo (embedded default)
  SIP        udp/tcp 127.0.0.1:5060, tls 127.0.0.1:5061, home domain ims.example.com
  XCAP / Ut  https://xcap.ims.example.com:8443/xcap-root/  (on 127.0.0.1:8443, CA var/tls/ca.crt)
  BSF (Ub)   http://bsf.ims.example.com:8080/  (on 127.0.0.1:8080)
  database   $DB

  demo subscribers (demo credentials, printed on purpose):
    alice@ims.example.com  IMPUs sip:alice@ims.example.com (default), tel:+15550001
                           password $ALICE_PW  K $ALICE_K  OPc $ALICE_OPC
    bob@ims.example.com    IMPU  sip:bob@ims.example.com
                           password $BOB_PW  K $BOB_K  OPc $BOB_OPC

  try:  curl --digest -u alice@ims.example.com:$ALICE_PW --cacert var/tls/ca.crt \\
          --resolve xcap.ims.example.com:8443:127.0.0.1 \\
          https://xcap.ims.example.com:8443/xcap-root/xcap-caps/global/index
  GBA:  build/tools/gba-ue --impi alice@ims.example.com --k $ALICE_K --opc $ALICE_OPC \\
          --resolve xcap.ims.example.com:8443:127.0.0.1 --cacert var/tls/ca.crt --print \\
          --url https://xcap.ims.example.com:8443/xcap-root/xcap-caps/global/index
        (bootstraps on the BSF, prints BTID/KSNAF; then: curl -A "x 3gpp-gba" --digest -u "\$BTID:\$KSNAF" ...)

MSG
exec build/presenced -f -c etc/presenced.conf
