#!/usr/bin/env python3
"""Helpers of bench/sip/run.sh (standard library only).

  bench_util.py cpu PID...            CPU seconds (user+system) of the processes
  bench_util.py mem rss|pss PID...    VmRSS of the processes, or their PSS, in KiB
  bench_util.py mem shm SOCKET        Kamailio's shared memory in use (kamcmd core.shmmem), KiB
  bench_util.py stat FILE T0 T1       "<ok calls> <failed calls> <seconds>" from a sipp -stf file
  bench_util.py fanout FAN LOG...     "<NOTIFY/s> <ms per change> <NOTIFYs seen> <watchers>
                                      <changes counted> <spans>" from the watchers' sipp logs
                                      ("round-N <clock_tick ms>" lines; round-0 skipped)
  bench_util.py fanpub ROUNDS [FIRST [remove]]
                                      the fan-out publisher's sipp scenario on stdout
  bench_util.py slope FILE TMIN       "<bytes/subscription steady> <gross> <subs in window>"
                                      from "t count KiB" samples (least squares over t >= TMIN)
  bench_util.py count FILE            successful calls so far in a sipp -stf file
  bench_util.py window FILE START LEN PID...
                                      "<calls/s> <CPU us/call> <calls> <seconds>" of a sipp run
                                      in progress, from START s after the call for LEN s
  bench_util.py holdfail STAT ERRORS  why calls failed: sipp counters and error messages
  bench_util.py udpdrops              UDP datagrams dropped on full receive buffers (machine-wide)
  bench_util.py ratio A B             A/B as "1.23x", or n/a
"""
import collections
import os
import re
import subprocess
import sys
import time


def cpu_seconds(pids):
    tck = os.sysconf("SC_CLK_TCK")
    tot = 0
    for p in pids:
        try:
            with open("/proc/%s/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            tot += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return tot / tck


def cpu(pids):
    print("%.2f" % cpu_seconds(pids))


def shm(sock):
    """Kamailio's shared memory in use (real_used, KiB) through kamcmd."""
    try:
        out = subprocess.run(["kamcmd", "-s", sock, "core.shmmem"], capture_output=True,
                             text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    for line in out.splitlines():
        p = line.replace(":", " ").split()
        if len(p) == 2 and p[0] == "real_used":
            return int(p[1]) // 1024
    return 0


def mem(kind, pids):
    if kind == "shm":
        print(shm(pids[0]) if pids else 0)
        return
    tot = 0
    for p in pids:
        try:
            if kind == "rss":
                with open("/proc/%s/status" % p) as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            tot += int(line.split()[1])
            else:
                with open("/proc/%s/smaps_rollup" % p) as f:
                    for line in f:
                        if line.startswith("Pss:"):
                            tot += int(line.split()[1])
        except OSError:
            pass
    print(tot)


def stat(path, t0, t1):
    try:
        with open(path) as f:
            rows = [l.rstrip("\n").split(";") for l in f if l.strip()]
        h, last = rows[0], rows[-1]
        ok = int(last[h.index("SuccessfulCall(C)")])
        bad = int(last[h.index("FailedCall(C)")])
    except (OSError, IndexError, ValueError):
        ok, bad = 0, 0
    print(ok, bad, "%.3f" % (float(t1) - float(t0)))


def fanout(fan, logs):
    """Per change (round-N): NOTIFYs seen and the span from the first to the
    last; a change counts when at least 90 % of the subscribed watchers saw it
    (the most NOTIFYs seen for any change: watchers whose SUBSCRIBE failed
    get none, so the server's figure is not judged against ones it refused).
    Prints "<NOTIFY/s> <ms per change> <NOTIFYs seen> <watchers> <changes counted>",
    NOTIFY/s being the NOTIFYs of the counted changes over the sum of their
    spans (ms), then the spans (ms) one by one."""
    t = collections.defaultdict(list)
    for path in logs:
        try:
            with open(path, errors="replace") as f:
                for line in f:
                    p = line.split()
                    if len(p) >= 2 and p[0].startswith("round-") and p[0] != "round-0":
                        try:
                            t[p[0]].append(int(p[1]))
                        except ValueError:
                            pass
        except OSError:
            pass
    n = sum(len(v) for v in t.values())
    watchers = max([len(v) for v in t.values()] or [0])
    rounds = [v for v in t.values() if len(v) >= max(watchers * 0.9, 1)]
    if not rounds or watchers < fan * 0.5:
        print(0, 0, n, watchers, len(rounds), "-")
        return
    spans = [max(v) - min(v) + 1 for v in rounds]
    print("%.0f" % (sum(len(v) for v in rounds) / (sum(spans) / 1000.0)),
          "%.1f" % (sum(spans) / len(spans)), n, watchers, len(rounds),
          ",".join(str(x) for x in spans))


FANPUB_BODY = ('<?xml version="1.0" encoding="UTF-8"?>\n'
               '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:fan@ims.example.com">'
               '<tuple id="t"><status><basic>open</basic></status><note>round-%d</note></tuple></presence>\n')


def fanpub_msg(cseq, expires, etag, body):
    """One PUBLISH of sip:fan for sipp: SIP-If-Match [$etag] when etag, the
    PIDF body when body is not None."""
    return ("PUBLISH sip:fan@ims.example.com SIP/2.0\n"
            "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n"
            "From: <sip:fan@ims.example.com>;tag=[call_number]\n"
            "To: <sip:fan@ims.example.com>\n"
            "Call-ID: [call_id]\n"
            "CSeq: %d PUBLISH\n"
            "Max-Forwards: 70\n"
            "P-Asserted-Identity: <sip:fan@ims.example.com>\n"
            "Event: presence\n"
            "Expires: %d\n" % (cseq, expires)
            + ("SIP-If-Match: [$etag]\n" if etag else "")
            + ("Content-Type: application/pidf+xml\nContent-Length: [len]\n\n" + body
               if body is not None else "Content-Length: 0\n\n"))


def fanpub(rounds, first=1, remove=False):
    """Changes first..first+rounds-1 of sip:fan (one publication, refreshed
    with SIP-If-Match), 1.5 s apart; first 0: ROUNDS warm-up changes, all
    round-0 (the figures skip them); with remove, the publication is removed
    at the end."""
    print('<?xml version="1.0" encoding="ISO-8859-1" ?>')
    print('<!-- generated by bench_util.py: %d presence changes of sip:fan, 1.5 s apart -->' % rounds)
    print('<scenario name="fanout-publisher">')
    for i, r in enumerate([0] * rounds if first == 0 else range(first, first + rounds)):
        print('<send retrans="500"><![CDATA[\n' + fanpub_msg(i + 1, 600, i > 0, FANPUB_BODY % r)
              + ']]></send>')
        print('<recv response="200"><action><ereg regexp="[^ \\t\\r\\n]+" search_in="hdr" '
              'header="SIP-ETag:" check_it="true" assign_to="etag"/></action></recv>')
        print('<pause milliseconds="1500"/>')
    if remove:
        print('<send retrans="500"><![CDATA[\n' + fanpub_msg(rounds + 1, 0, True, None) + ']]></send>')
        print('<recv response="200"/>')
        print('<pause milliseconds="1500"/>')
    print('</scenario>')


def slope(path, tmin):
    """Samples "t count KiB": bytes per subscription over the samples taken at
    t >= tmin (least squares), and the gross figure (last - first)."""
    pts = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) >= 3:
                pts.append((float(p[0]), int(p[1]), int(p[2])))
    if len(pts) < 2:
        print(0, 0, 0)
        return
    gross = (pts[-1][2] - pts[0][2]) * 1024.0 / max(pts[-1][1] - pts[0][1], 1)
    late = [q for q in pts if q[0] >= tmin]
    if len(late) < 3 or late[-1][1] - late[0][1] < 100:
        late = pts[len(pts) // 2:]
    n = len(late)
    mx = sum(q[1] for q in late) / n
    my = sum(q[2] for q in late) / n
    sxx = sum((q[1] - mx) ** 2 for q in late)
    sxy = sum((q[1] - mx) * (q[2] - my) for q in late)
    b = sxy / sxx * 1024.0 if sxx > 0 else 0
    print("%.0f" % b, "%.0f" % gross, late[-1][1] - late[0][1])


def udpdrops():
    """Datagrams the kernel dropped for a full socket receive buffer
    (Udp RcvbufErrors of /proc/net/snmp, all sockets of the machine)."""
    try:
        with open("/proc/net/snmp") as f:
            rows = [l.split() for l in f if l.startswith("Udp:")]
        print(int(rows[1][rows[0].index("RcvbufErrors")]))
    except (OSError, IndexError, ValueError):
        print(0)


def holdfail(stat_path, err_path):
    """Why hold calls failed: the sipp failure counters and the most common
    messages of its error file, one line."""
    parts = []
    try:
        with open(stat_path) as f:
            rows = [l.rstrip("\n").split(";") for l in f if l.strip()]
        h, last = rows[0], rows[-1]
        for i, k in enumerate(h):
            if k.startswith("Failed") and k.endswith("(C)") and k != "FailedCall(C)":
                try:
                    v = int(last[i])
                except ValueError:
                    continue
                if v:
                    parts.append("%s %d" % (k[6:-3], v))
        for k in ("Retransmissions(C)", "OutOfCallMsgs(C)", "DeadCallMsgs(C)"):
            if k in h and int(last[h.index(k)] or 0):
                parts.append("%s %s" % (k[:-3], last[h.index(k)]))
    except (OSError, IndexError, ValueError):
        pass
    kinds = collections.Counter()
    try:
        with open(err_path, errors="replace") as f:
            for line in f:
                m = re.search(r"\d+\.\d+: (.*)", line)
                if not m:
                    continue
                msg = re.sub(r"[0-9]+(-[0-9]+@[0-9.]+)?", "N", m.group(1))[:70]
                kinds[msg] += 1
    except OSError:
        pass
    top = "; ".join("%dx %s" % (n, k) for k, n in kinds.most_common(3))
    print("   %-9s %-10s failures: %s%s" % ("", "", ", ".join(parts) or "none",
                                            (" | sipp errors: " + top) if top else ""))


def successful(path):
    """Successful calls so far in a sipp -stf file (0 if none yet)."""
    try:
        with open(path) as f:
            rows = [l.rstrip("\n").split(";") for l in f if l.strip()]
        h, last = rows[0], rows[-1]
        return int(last[h.index("SuccessfulCall(C)")])
    except (OSError, IndexError, ValueError):
        return 0


def count(path):
    print(successful(path))


def window(path, start, length, pids):
    """Steady-state figures of a sipp run in progress: from START s after this
    call (made when sipp starts) for LENGTH s. sipp appends a row to its -stf
    file every second (-fd 1); each end of the window is taken right after a
    row appears, so that the successful calls of that row and the servers' CPU
    time read then belong to the same moment (within the 2 ms polling step).
    Prints "<calls/s> <server CPU us per call> <calls in the window> <seconds>"."""
    t_begin = time.monotonic()

    def sample_after(t):
        while time.monotonic() - t_begin < t:
            time.sleep(0.05)
        try:
            size0 = os.path.getsize(path)
        except OSError:
            size0 = -1
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            try:
                if os.path.getsize(path) != size0:
                    break
            except OSError:
                pass
            time.sleep(0.002)
        time.sleep(0.002)  # the rest of the row
        return time.monotonic(), cpu_seconds(pids), successful(path)

    t0, c0, n0 = sample_after(start)
    t1, c1, n1 = sample_after(start + length)
    n = n1 - n0
    print("%.0f %.0f %d %.2f" % (n / (t1 - t0), 1e6 * (c1 - c0) / n if n > 0 else 0, n, t1 - t0))


def ratio(a, b):
    try:
        a, b = float(a), float(b)
    except ValueError:
        print("n/a")
        return
    print("%.2fx" % (a / b) if a > 0 and b > 0 else "n/a")


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "cpu":
        cpu(argv[2:])
    elif cmd == "mem":
        mem(argv[2], argv[3:])
    elif cmd == "stat":
        stat(argv[2], argv[3], argv[4])
    elif cmd == "fanout":
        fanout(int(argv[2]), argv[3:])
    elif cmd == "fanpub":
        fanpub(int(argv[2]), int(argv[3]) if len(argv) > 3 else 1,
               len(argv) > 4 and argv[4] == "remove")
    elif cmd == "slope":
        slope(argv[2], float(argv[3]))
    elif cmd == "udpdrops":
        udpdrops()
    elif cmd == "holdfail":
        holdfail(argv[2], argv[3])
    elif cmd == "count":
        count(argv[2])
    elif cmd == "window":
        window(argv[2], float(argv[3]), float(argv[4]), argv[5:])
    elif cmd == "ratio":
        ratio(argv[2], argv[3])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
