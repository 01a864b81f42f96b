#!/bin/sh
# A 2xx to PUBLISH or SUBSCRIBE only for a committed change: the engine
# commits in 5 ms groups and answers once the group is committed
# (docs/sip.md, "Database writes"). The client here SIGKILLs presenced the
# moment the 200 arrives (microseconds later, well inside the 5 ms window)
# and, after a restart, the publication or subscription must be there.
. "$(dirname "$0")/lib.sh"

PRES_SIP_EXTRA='trusted_peers = {"127.0.0.1"}
  no_pres_rules = "allow"'
pres_config
sed -i 's/^log_level = "debug"/log_level = "info"/' "$T/presenced.conf"
pres_provision

# one request over UDP; on its 200, SIGKILL; prints the SIP-ETag (PUBLISH)
# or the To tag (SUBSCRIBE)
cat >"$T/req.py" <<'PY'
import os, re, signal, socket, sys, uuid
method, port, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
lp = s.getsockname()[1]
cid = uuid.uuid4().hex
body = ('<?xml version="1.0" encoding="UTF-8"?>\r\n<presence xmlns="urn:ietf:params:xml:ns:pidf" '
        'entity="sip:alice@ims.example.com"><tuple id="t"><status><basic>open</basic></status>'
        '</tuple></presence>\r\n')
uri = "sip:alice@ims.example.com"
frm = "sip:bob@ims.example.com" if method == "SUBSCRIBE" else uri
h = ["%s %s SIP/2.0" % (method, uri),
     "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s" % (lp, cid[:16]),
     "From: <%s>;tag=%s" % (frm, cid[:8]), "To: <%s>" % uri, "Call-ID: %s" % cid,
     "CSeq: 1 %s" % method, "Max-Forwards: 70", "P-Asserted-Identity: <%s>" % frm,
     "Event: presence", "Expires: 600"]
if method == "PUBLISH":
    h += ["Content-Type: application/pidf+xml", "Content-Length: %d" % len(body)]
    msg = "\r\n".join(h) + "\r\n\r\n" + body
else:
    h += ["Contact: <sip:bob@127.0.0.1:%d>" % lp, "Accept: application/pidf+xml",
          "Content-Length: 0"]
    msg = "\r\n".join(h) + "\r\n\r\n"
s.settimeout(5)
s.sendto(msg.encode(), ("127.0.0.1", port))
while True:
    data = s.recv(65535).decode(errors="replace")
    if data.startswith("SIP/2.0 ") and ("Call-ID: %s" % cid) in data:
        code = int(data.split()[1])
        if code >= 200:
            break
if code == 200:
    os.kill(pid, signal.SIGKILL)
if method == "PUBLISH":
    m = re.search(r"^SIP-ETag:\s*(\S+)", data, re.M | re.I)
else:
    m = re.search(r"^To:.*;tag=([^;>\s]+)", data, re.M)
print(code, m.group(1) if m else "-")
PY

for n in 1 2 3; do
  pres_start
  read -r code etag <<EOF
$(python3 "$T/req.py" PUBLISH "$SIP_PORT" "$PID")
EOF
  wait "$PID" 2>/dev/null || true; PID=""
  expect_eq "PUBLISH $n: 200, then SIGKILL" 200 "$code"
  "$PRESENCECTL" --db "$T/presenced.db" presentity show --impu sip:alice@ims.example.com \
    >"$T/show.out" 2>&1 || true
  expect_match "PUBLISH $n: the answered publication survived the SIGKILL" "$etag" "$T/show.out"

  pres_start
  read -r code tag <<EOF
$(python3 "$T/req.py" SUBSCRIBE "$SIP_PORT" "$PID")
EOF
  wait "$PID" 2>/dev/null || true; PID=""
  expect_eq "SUBSCRIBE $n: 200, then SIGKILL" 200 "$code"
  "$PRESENCECTL" --db "$T/presenced.db" watchers --impu sip:alice@ims.example.com \
    >"$T/watchers.out" 2>&1 || true
  expect_match "SUBSCRIBE $n: the answered subscription survived the SIGKILL" ";$tag" "$T/watchers.out"
done
finish
