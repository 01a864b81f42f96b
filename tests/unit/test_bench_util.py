#!/usr/bin/env python3
"""bench/sip/bench_util.py: the figures bench/sip/run.sh prints come from here.

window() reads throughput and CPU time from a sipp statistics file that grows
while it runs; fanpub() writes the fan-out publisher's sipp scenario. Both are
checked against inputs made here: a statistics file appended to at a known
rate, and the scenario's XML and SIP text.
"""
import contextlib
import io
import os
import sys
import tempfile
import threading
import time
import unittest
import xml.etree.ElementTree as ET

top = os.environ.get("top_srcdir") or os.path.join(os.path.dirname(__file__), "..", "..")
sys.path.insert(0, os.path.join(top, "bench", "sip"))
import bench_util  # noqa: E402

HEADER = "StartTime;CurrentTime;SuccessfulCall(P);SuccessfulCall(C);FailedCall(P);FailedCall(C)\n"


def run(fn, *args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fn(*args)
    return out.getvalue().split()


class Window(unittest.TestCase):
    def test_rate_and_cpu_of_the_window(self):
        """Rows every 0.1 s, 50 more successful calls each (500 calls/s)."""
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "x.stat")
            with open(path, "w") as f:
                f.write(HEADER)
            stop = threading.Event()

            def sipp():
                n = 0
                while not stop.is_set():
                    n += 50
                    with open(path, "a") as f:
                        f.write("t;t;50;%d;0;0\n" % n)
                    time.sleep(0.1)

            t = threading.Thread(target=sipp)
            t.start()
            try:
                rate, cpu, n, secs = run(bench_util.window, path, 0.3, 1.0, [str(os.getpid())])
            finally:
                stop.set()
                t.join()
        rate, cpu, n, secs = float(rate), float(cpu), int(n), float(secs)
        self.assertEqual(n % 50, 0, "the window's ends are taken on rows")
        self.assertGreaterEqual(secs, 0.9)
        self.assertAlmostEqual(rate, n / secs, delta=0.02 * rate)  # secs is printed to 0.01 s
        self.assertGreater(rate, 250)   # 500/s, with room for a loaded machine
        self.assertLess(rate, 750)
        self.assertGreaterEqual(cpu, 0)  # this process's CPU time per call

    def test_no_rows_no_division_by_zero(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "missing.stat")
            rate, cpu, n, _ = run(bench_util.window, path, 0, 0.1, [str(os.getpid())])
        self.assertEqual((rate, cpu, n), ("0", "0", "0"))

    def test_successful_reads_the_last_row(self):
        with tempfile.NamedTemporaryFile("w", suffix=".stat", delete=False) as f:
            f.write(HEADER + "t;t;5;5;0;0\nt;t;7;12;1;3\n")
        try:
            self.assertEqual(bench_util.successful(f.name), 12)
            self.assertEqual(run(bench_util.stat, f.name, "1", "3.5"), ["12", "3", "2.500"])
        finally:
            os.unlink(f.name)


class Fanpub(unittest.TestCase):
    def scenario(self, *args):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            bench_util.fanpub(*args)
        root = ET.fromstring(out.getvalue())
        return [s.text for s in root.iter("send")]

    def test_changes_then_removal(self):
        sends = self.scenario(3, 1, True)
        self.assertEqual(len(sends), 4)
        for i, msg in enumerate(sends[:3]):
            self.assertTrue(msg.lstrip().startswith("PUBLISH sip:fan@ims.example.com SIP/2.0\n"))
            self.assertIn("CSeq: %d PUBLISH\n" % (i + 1), msg)
            self.assertIn("Expires: 600\n", msg)
            self.assertIn("<note>round-%d</note>" % (i + 1), msg)
            self.assertIn("Content-Type: application/pidf+xml\nContent-Length: [len]\n\n<?xml", msg)
            # the first PUBLISH creates the publication, the next ones refresh it
            self.assertEqual("SIP-If-Match: [$etag]\n" in msg, i > 0)
        rm = sends[3]
        self.assertIn("CSeq: 4 PUBLISH\n", rm)
        self.assertIn("Expires: 0\nSIP-If-Match: [$etag]\nContent-Length: 0\n\n", rm)
        self.assertNotIn("Content-Type", rm)

    def test_warm_up_rounds_are_round_0(self):
        sends = self.scenario(2, 0)
        self.assertEqual(len(sends), 2)
        self.assertTrue(all("<note>round-0</note>" in m for m in sends))


class Ratio(unittest.TestCase):
    def test_ratio(self):
        self.assertEqual(run(bench_util.ratio, "19266", "8858"), ["2.17x"])
        self.assertEqual(run(bench_util.ratio, "0", "5"), ["n/a"])
        self.assertEqual(run(bench_util.ratio, "x", "5"), ["n/a"])


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    bad = len(result.failures) + len(result.errors)
    print("%d passed, %d failed" % (result.testsRun - bad, bad))
    sys.exit(1 if bad else 0)
