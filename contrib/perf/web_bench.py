#!/usr/bin/env python3
"""web_bench.py - the web surface's benchmark (not a test: nothing in make
check runs it; README "Performance" has its figures).

On a jackd of its own (jackd -n jmx-webbench-PID -d dummy, 48 kHz, 256
frames) it starts the daemon with CHANNELS mono channels and --http, then:
  1. idle window (no client): CPU of each of the daemon's threads
     (/proc/PID/task/*/schedstat, as jt_mon.py), xruns in jackd's log;
  2. the page's first load on loopback: GET /, the files it names, and
     /api/params, on fresh connections (median of 5);
  3. CLIENTS WebSocket clients (jt_wsload: /meters 1, /subscribe all,
     reading everything) for SECONDS: CPU of the threads other than the
     audio thread (jmx-rt), xruns against the idle window of the same
     length, RSS every 5 s;
  4. with the clients still on: the delay from a level change at an
     input (jmx_tone's output connected to in_1, from silence) to the
     first meter of /ch/1 above -40 dBFS reaching a WebSocket client;
  5. a client that stops reading beside a live one: the live one's round
     trip (a fader set and a query -> the reply with the new value), before
     and beside the stalled one, and whether the stalled one is closed.
Prints a summary and one JSON line (--out FILE appends it).

  python3 contrib/perf/web_bench.py [--seconds 120] [--clients 50] [--channels 128]

The 10-minute figure is the same script with --seconds 600.  Build first:
make, make -C tests check TESTS= (jmx_tone), make -C contrib/perf.  It stops
only what it started, by PID.
"""
import argparse
import sys
import os as _os

sys.path.insert(0, _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "..", "..", "tests"))
from oscpack import messages, osc, pad  # noqa: E402,F401 (the one OSC encoder of the scripts)
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import jt_mon  # noqa: E402  (task_times, per_thread)

try:
    import websocket
except ImportError:
    sys.exit("web_bench.py: needs python3-websocket")

jack = ctypes.CDLL("libjack.so.0")
jack.jack_client_open.restype = ctypes.c_void_p
jack.jack_client_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
jack.jack_connect.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
jack.jack_disconnect.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
jack.jack_client_close.argtypes = [ctypes.c_void_p]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p




def first_float(pkt, path):
    """The first float argument of the message of packet pkt (a message, or
    a bundle: the meters of a tick) whose address is path."""
    p = pad(path.encode())
    b = next((m for m in messages(pkt) if m.startswith(p)), None)
    if b is None:
        return None
    off = len(p)
    if b[off:off + 1] != b"," or b[off + 1:off + 2] != b"f":
        return None
    tend = b.index(b"\0", off)
    off = (tend + 4) & ~3
    return struct.unpack(">f", b[off:off + 4])[0]


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def xruns(log):
    with open(log, errors="replace") as f:
        return sum(1 for line in f if "XRun" in line or "xrun" in line)


class Bench:
    def __init__(self, a):
        self.a = a
        self.tmp = tempfile.mkdtemp(prefix="jmx-webbench.")
        self.procs = []
        self.res = {"clients": a.clients, "channels": a.channels, "seconds": a.seconds}

    def start(self, args, log, env=None):
        p = subprocess.Popen(args, stdout=open(log, "w"), stderr=subprocess.STDOUT, env=env)
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def up(self):
        a = self.a
        server = "jmx-webbench-%d" % os.getpid()
        os.environ["JACK_DEFAULT_SERVER"] = server
        os.environ["JACK_NO_AUDIO_RESERVATION"] = "1"
        self.jlog = os.path.join(self.tmp, "jackd.log")
        self.start(["jackd", "-n", server, "-d", "dummy", "-r", "48000", "-p", str(a.period)], self.jlog)
        st = ctypes.c_int(0)
        for _ in range(100):
            self.jc = jack.jack_client_open(b"webbench-ctl", 1, ctypes.byref(st))
            if self.jc:
                break
            time.sleep(0.1)
        if not self.jc:
            raise RuntimeError("jackd did not start")
        self.hport, oport = free_port(), free_port()
        env = dict(os.environ, XDG_STATE_HOME=os.path.join(self.tmp, "state"))
        self.dlog = os.path.join(self.tmp, "daemon.log")
        self.d = self.start([a.daemon, "-n", "webbench", "-c", str(a.channels), "-b", "2", "-p", str(oport),
                             "--feedback-port", "0", "--http", str(self.hport),
                             "--record-dir", os.path.join(self.tmp, "rec")], self.dlog, env)
        for _ in range(150):
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/api/info" % self.hport, timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the daemon's web surface did not answer; see " + self.dlog)
        self.tone = self.start([a.tone, "-n", "webbench-tone", "-c", "1", "-a", "-12"],
                               os.path.join(self.tmp, "tone.log"))
        time.sleep(1)

    def window(self, seconds, key, rss_every=5.0):
        """CPU of the threads, xruns and RSS over one window."""
        pid = self.d.pid
        t0, x0, w0 = jt_mon.task_times(pid), xruns(self.jlog), time.time()
        rss = [(0.0, rss_kb(pid))]
        while time.time() - w0 < seconds:
            time.sleep(min(rss_every, seconds - (time.time() - w0)))
            rss.append((round(time.time() - w0, 1), rss_kb(pid)))
        t1, x1, wall = jt_mon.task_times(pid), xruns(self.jlog), time.time() - w0
        th = jt_mon.per_thread(t0, t1, wall)
        other = sum(t["pct_core"] for t in th if not t["rt"] and t["name"] != "jmx-rt")
        self.res[key] = {
            "other_threads_pct": round(other, 2),
            "threads": {("%s%s" % (t["name"], " (RT)" if t["rt"] else "")): t["pct_core"] for t in th},
            "xruns": x1 - x0,
            "rss_kb_first": rss[0][1], "rss_kb_last": rss[-1][1], "rss_kb_max": max(r[1] for r in rss),
            "rss_kb": rss,
        }

    def page_load(self):
        base = "http://127.0.0.1:%d" % self.hport
        times, nbytes = [], 0
        for _ in range(5):
            t0 = time.time()
            html = urllib.request.urlopen(base + "/", timeout=5).read()
            refs = re.findall(rb'(?:src|href)="([^":#?]+)"', html)
            n = len(html)
            for r in refs:
                r = r.decode()
                n += len(urllib.request.urlopen(base + "/" + r.lstrip("/"), timeout=5).read())
            n += len(urllib.request.urlopen(base + "/api/params", timeout=5).read())
            times.append(time.time() - t0)
            nbytes = n
        self.res["page_load_ms"] = round(statistics.median(times) * 1000, 1)
        self.res["page_load_files"] = 2 + len(refs)
        self.res["page_load_bytes"] = nbytes

    def ws(self, **kw):
        """A client; the handshake's time is kept (a busy web thread shows
        there first)."""
        t0 = time.time()
        c = websocket.create_connection("ws://127.0.0.1:%d/ws" % self.hport, timeout=30, **kw)
        self.res.setdefault("ws_connect_ms", []).append(round((time.time() - t0) * 1000, 1))
        c.settimeout(5)
        return c

    def meter_latency(self, reps=10):
        c = self.ws()
        c.send_binary(osc("/meters", 1))
        src, dst = b"webbench-tone:out_1", b"webbench:in_1"

        def level(timeout):
            """Messages until the /ch/1/meter arrives: (time, dBFS)."""
            end = time.time() + timeout
            while time.time() < end:
                c.settimeout(max(0.05, end - time.time()))
                try:
                    op, b = c.recv_data()
                except websocket.WebSocketTimeoutException:
                    return None
                v = first_float(b, "/ch/1/meter")
                if v is not None:
                    return time.time(), v
            return None

        lat = []
        for _ in range(reps):
            jack.jack_disconnect(self.jc, src, dst)
            quiet = 0
            end = time.time() + 5
            while quiet < 5 and time.time() < end:  # 250 ms of silence metered
                m = level(1)
                quiet = quiet + 1 if m and m[1] < -60 else 0
            t0 = time.time()
            jack.jack_connect(self.jc, src, dst)
            t1 = time.time()
            while True:
                m = level(2)
                if m is None:
                    break
                if m[1] > -40:
                    lat.append((m[0] - t1, t1 - t0))
                    break
        jack.jack_disconnect(self.jc, src, dst)
        c.close()
        d = sorted(x[0] * 1000 for x in lat)
        self.res["meter_latency_ms"] = {"n": len(d), "median": round(statistics.median(d), 1) if d else None,
                                        "max": round(max(d), 1) if d else None,
                                        "connect_call_ms": round(max(x[1] for x in lat) * 1000, 1) if lat else None}

    def round_trips(self, c, n=30):
        rt = []
        for i in range(n):
            v = -float(i % 50) - 0.5
            t0 = time.time()
            # the sender is not sent its own change back: set, then query
            c.send_binary(osc("/ch/2/fader/db", v))
            c.send_binary(osc("/ch/2/fader/db"))
            end = t0 + 2
            while time.time() < end:
                c.settimeout(max(0.05, end - time.time()))
                try:
                    op, b = c.recv_data()
                except websocket.WebSocketTimeoutException:
                    break
                got = first_float(b, "/ch/2/fader/db")
                if got is not None and abs(got - v) < 1e-3:
                    rt.append(time.time() - t0)
                    break
        rt.sort()
        return {"n": len(rt), "median_ms": round(statistics.median(rt) * 1000, 2) if rt else None,
                "p99_ms": round(rt[int(0.99 * (len(rt) - 1))] * 1000, 2) if rt else None,
                "max_ms": round(rt[-1] * 1000, 2) if rt else None}

    def stall(self):
        live = self.ws()
        before = self.round_trips(live)
        st = self.ws(sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)])
        st.send_binary(osc("/meters", 1))
        st.send_binary(osc("/subscribe", 0, 3600, "all"))
        time.sleep(2)
        beside = self.round_trips(live)
        # the stalled client's queue is bounded: the daemon closes it
        closed, end = False, time.time() + 20
        while time.time() < end and not closed:
            with open(self.dlog, errors="replace") as f:
                closed = "does not read what it is sent" in f.read()
            time.sleep(0.5)
        self.res["stall"] = {"live_before": before, "live_beside_stalled": beside, "stalled_closed": closed}
        st.close()
        live.close()

    def say(self, what):
        print("web_bench: %s" % what, file=sys.stderr, flush=True)

    def step(self, what, fn, key):
        """One step; its figures printed as soon as it ends."""
        self.say(what)
        fn()
        self.say("  %s: %s" % (key, json.dumps(self.res.get(key))))

    def run(self):
        a = self.a
        self.say("starting jackd and the daemon in " + self.tmp)
        self.up()
        time.sleep(2)
        self.step("idle window, %.0f s" % a.idle, lambda: self.window(a.idle, "idle"), "idle")
        self.step("page load", self.page_load, "page_load_ms")
        load = subprocess.Popen([a.wsload, str(self.hport), str(a.clients), str(a.seconds + 600)],
                                stdout=subprocess.PIPE, text=True)
        self.procs.append(load)
        line = load.stdout.readline()
        if not line.startswith("connected="):
            raise RuntimeError("jt_wsload: " + line)
        time.sleep(3)
        self.step("%d clients, window of %.0f s" % (a.clients, a.seconds), lambda: self.window(a.seconds, "load"),
                  "load")
        self.step("meter latency", self.meter_latency, "meter_latency_ms")
        self.step("stalled reader", self.stall, "stall")
        load.send_signal(signal.SIGTERM)
        self.res["wsload"] = load.stdout.read().strip()
        load.wait()
        with open(self.dlog, errors="replace") as f:
            self.res["daemon_warnings"] = [l.strip() for l in f if "warning" in l or "error" in l][:10]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=120, help="load window (600 for the 10-minute run)")
    ap.add_argument("--idle", type=float, default=20, help="idle window")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--channels", type=int, default=128)
    ap.add_argument("--period", type=int, default=256)
    ap.add_argument("--daemon", default=os.environ.get("JACKMIXD", os.path.join(ROOT, "src/jackmixd")))
    ap.add_argument("--tone", default=os.path.join(ROOT, "tests/jmx_tone"))
    ap.add_argument("--wsload", default=os.path.join(HERE, "jt_wsload"))
    ap.add_argument("--out", help="append the JSON line here")
    a = ap.parse_args()
    b = Bench(a)

    def on_term(sig, frame):
        raise SystemExit("web_bench.py: stopped by signal %d" % sig)
    signal.signal(signal.SIGTERM, on_term)
    try:
        b.run()
    except Exception:
        print(json.dumps(b.res))
        raise
    finally:
        if getattr(b, "jc", None):
            jack.jack_client_close(b.jc)
        b.stop_all()
    r = b.res
    idle_x = r["idle"]["xruns"] * a.seconds / a.idle
    print("web_bench: %d clients, %d channels, %.0f s" % (a.clients, a.channels, a.seconds))
    print("  threads other than the audio thread: idle %.2f %%, loaded %.2f %% of one core" %
          (r["idle"]["other_threads_pct"], r["load"]["other_threads_pct"]))
    print("  per thread (loaded): %s" % r["load"]["threads"])
    print("  xruns: %d loaded in %.0f s; idle %d in %.0f s (%.1f scaled)" %
          (r["load"]["xruns"], a.seconds, r["idle"]["xruns"], a.idle, idle_x))
    print("  RSS: %d kB at the start, %d kB at the end, %d kB max" %
          (r["load"]["rss_kb_first"], r["load"]["rss_kb_last"], r["load"]["rss_kb_max"]))
    print("  page first load: %.1f ms (%d files, %d bytes)" %
          (r["page_load_ms"], r["page_load_files"], r["page_load_bytes"]))
    print("  level change -> meter at a WebSocket client: %s" % r["meter_latency_ms"])
    print("  stalled reader: %s" % r["stall"])
    print("  jt_wsload: %s" % r["wsload"])
    line = json.dumps(r)
    print(line)
    if a.out:
        with open(a.out, "a") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    main()
