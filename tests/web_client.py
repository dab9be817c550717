#!/usr/bin/env python3
# web_client.py - a small WebSocket and HTTP client for the web surface's
# tests (web-*.sh): OSC packets as binary WebSocket messages (python3-
# websocket), raw sockets for what a well-behaved client never sends.
# Usage: web_client.py PORT CHECK [ARGS...]; exit 0 pass, 1 fail (each
# failure printed with the check's name), 77 when python3-websocket is
# missing.  The checks are at the bottom; each says what it measures.
import json
import os
import socket
import struct
import sys
import time
import urllib.request
import urllib.error

from oscpack import bundle, osc, pad  # noqa: F401 (pad: used below)

try:
    import websocket
except ImportError:
    print("web_client.py: SKIP: python3-websocket is not installed")
    sys.exit(77)

PORT = int(sys.argv[1])
HOST = "127.0.0.1"
failed = 0


def bad(msg):
    global failed
    failed = 1
    print("web_client.py: FAIL: %s" % msg, flush=True)


# ---- OSC ----


def parse(b):
    """One OSC message -> (path, [args]); bundles -> list of those."""
    if b.startswith(b"#bundle\0"):
        out, off = [], 16
        while off + 4 <= len(b):
            n = struct.unpack(">i", b[off:off + 4])[0]
            out += parse(b[off + 4:off + 4 + n])
            off += 4 + n
        return out
    end = b.index(b"\0")
    path = b[:end].decode()
    off = (end + 4) & ~3
    if off >= len(b) or b[off:off + 1] != b",":
        return [(path, [])]
    tend = b.index(b"\0", off)
    tags = b[off + 1:tend].decode()
    off = (tend + 4) & ~3
    args = []
    for t in tags:
        if t == "i":
            args.append(struct.unpack(">i", b[off:off + 4])[0]); off += 4
        elif t == "f":
            args.append(struct.unpack(">f", b[off:off + 4])[0]); off += 4
        elif t == "h":
            args.append(struct.unpack(">q", b[off:off + 8])[0]); off += 8
        elif t == "d":
            args.append(struct.unpack(">d", b[off:off + 8])[0]); off += 8
        elif t in "sS":
            e = b.index(b"\0", off)
            args.append(b[off:e].decode()); off = (e + 4) & ~3
        elif t == "T":
            args.append(True)
        elif t == "F":
            args.append(False)
    return [(path, args)]


def ws(key=None, host=None, origin=None, path="/ws"):
    url = "ws://%s:%d%s" % (HOST, PORT, path) + ("?key=" + key if key else "")
    hdr = {}
    kw = {"timeout": 5}
    if host:
        kw["host"] = host
    if origin:
        kw["origin"] = origin
    return websocket.create_connection(url, **kw)


def send(c, pkt):
    c.send_binary(pkt)


def wait_for(c, pred, timeout=3.0):
    """Messages until pred((path, args)) holds; that message, or None."""
    end = time.time() + timeout
    while time.time() < end:
        c.settimeout(max(0.05, end - time.time()))
        try:
            op, data = c.recv_data()
        except websocket.WebSocketTimeoutException:
            break
        if op != websocket.ABNF.OPCODE_BINARY:
            continue
        for m in parse(data):
            if pred(m):
                return m
    return None


def query(c, path):
    send(c, osc(path))
    m = wait_for(c, lambda m: m[0] == path)
    return m[1][0] if m and m[1] else None


def http(path, host=None, origin=None, raw_path=False):
    """(status, body) of a GET; raw_path sends the path bytes unchanged."""
    s = socket.create_connection((HOST, PORT), timeout=5)
    req = "GET %s HTTP/1.1\r\nHost: %s\r\n" % (path, host or "%s:%d" % (HOST, PORT))
    if origin:
        req += "Origin: %s\r\n" % origin
    req += "Connection: close\r\n\r\n"
    s.sendall(req.encode())
    data = b""
    while True:
        try:
            b = s.recv(65536)
        except socket.timeout:
            break
        if not b:
            break
        data += b
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ")[1])
    except (IndexError, ValueError):
        status = 0
    if b"chunked" in head.lower():
        out, rest = b"", body
        while rest:
            line, _, rest = rest.partition(b"\r\n")
            n = int(line or b"0", 16)
            if n == 0:
                break
            out += rest[:n]
            rest = rest[n + 2:]
        body = out
    return status, body


# ---- checks ----
def check_api(dump_file):
    """/api/params lists exactly --dump-osc's parameters, helpers and
    commands with the same columns; /api/info has the shape."""
    st, body = http("/api/params")
    if st != 200:
        return bad("/api/params: status %d" % st)
    j = json.loads(body)
    params, helpers, cmds = [], [], []
    section = None
    for line in open(dump_file):
        line = line.rstrip("\n")
        if line.startswith("# path"):
            section = params; continue
        if line.startswith("# helper"):
            section = helpers; continue
        if line.startswith("# command"):
            section = cmds; continue
        if line.startswith("#") or section is None:
            continue
        section.append(line.split("\t"))
    if [p["path"] for p in j["params"]] != [r[0] for r in params]:
        bad("/api/params paths differ from --dump-osc")
    for p, r in zip(j["params"], params):
        if (p["npath"] or "-") != r[1] or p["type"] != r[2]:
            bad("%s: npath/type %s/%s against %s/%s" % (r[0], p["npath"], p["type"], r[1], r[2]))
        if p["type"] not in ("string",):
            lo, hi = r[4].split("..")
            if abs(p["min"] - float(lo)) > 1e-4 * max(1, abs(float(lo))) or \
               abs(p["max"] - float(hi)) > 1e-4 * max(1, abs(float(hi))):
                bad("%s: range %g..%g against %s" % (r[0], p["min"], p["max"], r[4]))
        if p["taper"] != r[5]:
            bad("%s: taper %s against %s" % (r[0], p["taper"], r[5]))
        if p["doc"] != r[7]:
            bad("%s: doc differs" % r[0])
        if r[0].count("<") != len(p["dims"]):
            bad("%s: dims %s" % (r[0], p["dims"]))
    if [h["path"] for h in j["helpers"]] != [r[0] for r in helpers]:
        bad("/api/params helpers differ from --dump-osc")
    if [(c["path"], c["args"] or "-") for c in j["commands"]] != [(r[0], r[1]) for r in cmds]:
        bad("/api/params commands differ from --dump-osc")
    st, body = http("/api/info")
    info = json.loads(body) if st == 200 else {}
    if info.get("channels") != 4 or info.get("buses") != 2 or info.get("role") != "engineer":
        bad("/api/info: %d %r" % (st, info))
    print("web_client.py: /api/params: %d params, %d helpers, %d commands; /api/info %r" %
          (len(j["params"]), len(j["helpers"]), len(j["commands"]), info))


def check_errors():
    """Every kind of bad OSC over WebSocket earns /error and changes
    nothing; a good set and a bundle work."""
    c = ws()
    send(c, osc("/ch/1/fader/db", -10.0))
    if query(c, "/ch/1/fader/db") != -10.0:
        bad("set over WebSocket did not take")
    cases = [
        ("unknown path", osc("/ch/1/nonsense", 1.0)),
        ("channel out of range", osc("/ch/99/fader/db", 0.0)),
        ("wrong type", osc("/ch/1/fader/db", "loud")),
        ("not a number", osc("/ch/1/fader/db", float("nan"))),
        ("too many arguments", osc("/ch/1/mute", 1, 2, 3)),
        ("bad command arguments", osc("/snapshot/save", 5)),
        ("a bundle's bad element", bundle(osc("/ch/1/nonsense", 1.0))),
    ]
    for name, pkt in cases:
        send(c, pkt)
        m = wait_for(c, lambda m: m[0] == "/error")
        if not m:
            bad("%s: no /error" % name)
    v = query(c, "/ch/1/fader/db")
    if v != -10.0:
        bad("a bad packet changed /ch/1/fader/db to %r" % v)
    # malformed bytes: not OSC at all (the core counts it; no change)
    send(c, b"\x01\x02\x03")
    send(c, bundle(osc("/ch/1/fader/db", -4.0), osc("/ch/2/fader/db", -5.0)))
    if query(c, "/ch/1/fader/db") != -4.0 or query(c, "/ch/2/fader/db") != -5.0:
        bad("bundle over WebSocket did not apply")
    c.close()


def check_feedback(ctl):
    """A change over UDP reaches a WebSocket client; one over WebSocket
    reaches a UDP subscriber (jackmixctl get shows it)."""
    import subprocess
    c = ws()
    send(c, osc("/ping"))
    wait_for(c, lambda m: m[0] == "/pong")
    subprocess.run([ctl, "-p", os.environ["OSC_PORT"], "set", "/ch/3/fader/db", "-7"], check=True,
                   stdout=subprocess.DEVNULL)
    t0 = time.time()
    m = wait_for(c, lambda m: m[0] == "/ch/3/fader/db" and m[1] and abs(m[1][0] + 7) < 1e-4)
    if not m:
        bad("UDP change did not reach the WebSocket client")
    else:
        print("web_client.py: UDP -> WebSocket feedback in %.0f ms" % ((time.time() - t0) * 1000))
    send(c, osc("/ch/3/mute", 1))
    time.sleep(0.2)
    out = subprocess.run([ctl, "-p", os.environ["OSC_PORT"], "get", "/ch/3/mute"], capture_output=True,
                         text=True).stdout
    if "1" not in out:
        bad("WebSocket change not seen over UDP: %r" % out)
    c.close()


def check_many(n):
    """n clients at once: each gets its own /pong, and a change one makes
    reaches every other one."""
    cs = [ws() for _ in range(n)]
    for i, c in enumerate(cs):
        send(c, osc("/ping"))
    for i, c in enumerate(cs):
        if not wait_for(c, lambda m: m[0] == "/pong"):
            bad("client %d: no /pong" % i)
    send(cs[0], osc("/ch/4/fader/db", -12.5))
    got = sum(1 for c in cs[1:] if wait_for(c, lambda m: m[0] == "/ch/4/fader/db" and m[1] and
                                             abs(m[1][0] + 12.5) < 1e-4))
    if got != n - 1:
        bad("feedback reached %d of %d other clients" % (got, n - 1))
    print("web_client.py: %d clients: feedback reached %d others" % (n, got))
    if os.environ.get("HOLD_S"):
        time.sleep(float(os.environ["HOLD_S"]))
    for c in cs:
        c.close()


def check_limit():
    """At most 64 connections: the 65th is refused, one closed makes room."""
    cs = []
    for i in range(64):
        try:
            cs.append(ws())
        except Exception as e:
            return bad("connection %d refused: %s" % (i + 1, e))
    try:
        c = ws()
        send(c, osc("/ping"))
        if wait_for(c, lambda m: m[0] == "/pong", 1.0):
            bad("a 65th connection was served")
    except Exception:
        pass
    cs.pop().close()
    time.sleep(0.3)
    try:
        c = ws()
        send(c, osc("/ping"))
        if not wait_for(c, lambda m: m[0] == "/pong"):
            bad("no room after one closed")
        c.close()
    except Exception as e:
        bad("no room after one closed: %s" % e)
    for c in cs:
        c.close()


def refused_ws(**kw):
    try:
        c = ws(**kw)
    except Exception:
        return True
    try:
        send(c, osc("/ping"))
        return wait_for(c, lambda m: m[0] == "/pong", 1.0) is None
    except Exception:
        return True


def check_access(engineer, musician1):
    """Host, Origin and key: refused where they must be, served where not."""
    me = "%s:%d" % (HOST, PORT)
    if refused_ws():
        bad("plain loopback WebSocket refused")
    if not refused_ws(host="evil.example:%d" % PORT):
        bad("a DNS-rebinding Host was served")
    if not refused_ws(origin="http://evil.example"):
        bad("another site's Origin was served")
    if refused_ws(origin="http://" + me):
        bad("the page's own Origin was refused")
    if not refused_ws(key="0" * 32):
        bad("a wrong key was served")
    if refused_ws(key=engineer):
        bad("the engineer key was refused")
    if refused_ws(key=musician1):
        bad("a musician key was refused")
    for h in ("evil.example", "127.0.0.1.evil.example", "localhost.evil"):
        st, _ = http("/api/info", host=h)
        if st != 403:
            bad("HTTP Host %s: status %d, not 403" % (h, st))
    st, _ = http("/api/info", origin="http://evil.example")
    if st != 403:
        bad("HTTP Origin of another site: status %d" % st)
    for h in ("localhost:%d" % PORT, me, "[::1]:%d" % PORT):
        st, _ = http("/api/info", host=h)
        if st != 200:
            bad("HTTP Host %s: status %d" % (h, st))


def check_traversal():
    """Nothing outside the app and record directories, however named."""
    st, index = http("/")
    if st != 200 or b"<" not in index:
        bad("/ not served: %d" % st)
    for p in ("/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2f..%2fetc%2fpasswd",
              "/%252e%252e/etc/passwd", "/takes/..%2f..%2fetc%2fpasswd", "/takes/../../etc/passwd",
              "/takes/%2e%2e", "/.hidden", "/escape.html", "/escape/passwd", "/takes/escape.wav",
              "/takes/link.wav", "//etc/passwd", "/takes//etc/passwd", "/www/../etc/passwd",
              "/index.html%00.png", "/api/../../etc/passwd"):
        st, body = http(p)
        # the library may fold a name back into the app ("/takes/.."
        # is "/"): the app's index is all that may come back
        if b"root:" in body or (st == 200 and body != index):
            bad("%s served (%d)" % (p, st))
    st, body = http("/takes/ok.wav")
    if st != 200 or body != b"RIFF-test":
        bad("/takes/ok.wav: %d %r" % (st, body[:20]))
    st, body = http("/takes/")
    names = [t["name"] for t in json.loads(body)] if st == 200 else None
    if names != ["ok.wav"]:
        bad("/takes/ lists %r" % names)


def check_oversize():
    """A message over the bound closes the connection (1009); others go on."""
    c = ws()
    other = ws()
    try:
        send(c, osc("/ch/1/name", "x" * 70000))
        r = wait_for(c, lambda m: m[0] == "/pong", 1.0)
        send(c, osc("/ping"))
        if wait_for(c, lambda m: m[0] == "/pong", 1.0):
            bad("connection still served after an oversized message")
    except Exception:
        pass
    send(other, osc("/ping"))
    if not wait_for(other, lambda m: m[0] == "/pong"):
        bad("another client suffered from the oversized message")
    # a frame that only announces a huge length (raw socket)
    s = socket.create_connection((HOST, PORT), timeout=5)
    s.sendall(("GET /ws HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" %
               (HOST, PORT)).encode())
    resp = s.recv(4096)
    if b"101" not in resp.split(b"\r\n")[0]:
        bad("raw upgrade refused: %r" % resp[:60])
    s.sendall(b"\x82\xff" + struct.pack(">Q", 1 << 40) + b"\0\0\0\0" + b"A" * 1000)
    t0 = time.time()
    closed = False
    while time.time() - t0 < 3:
        try:
            b = s.recv(4096)
        except (socket.timeout, ConnectionResetError):
            closed = True
            break
        if not b:
            closed = True
            break
    if not closed:
        bad("a frame announcing 1 TiB did not close the connection")
    s.close()
    c.close()
    other.close()


def check_slowheader(limit_s):
    """Headers sent a byte at a time are cut off within the time-out; a
    client that sends nothing at all too."""
    for what, trickle in (("slow headers", True), ("silent", False)):
        s = socket.create_connection((HOST, PORT), timeout=limit_s + 5)
        t0 = time.time()
        req = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 1000
        closed = None
        i = 0
        while time.time() - t0 < limit_s + 4:
            try:
                if trickle and i < len(req):
                    s.sendall(req[i:i + 1])
                    i += 1
                s.settimeout(0.5)
                b = s.recv(100)
                if not b:
                    closed = time.time() - t0
                    break
            except socket.timeout:
                continue
            except (ConnectionResetError, BrokenPipeError):
                closed = time.time() - t0
                break
        s.close()
        if closed is None:
            bad("%s: still open after %.1f s" % (what, limit_s + 4))
        else:
            print("web_client.py: %s: dropped after %.1f s" % (what, closed))


def check_musician(musician1, engineer):
    """A musician key of bus 1 sets bus 1's sends only; a forged message
    for bus 2, a fader, a command or a bundle hiding one gets /error and
    changes nothing; queries work."""
    m = ws(key=musician1)
    e = ws(key=engineer)
    send(m, osc("/ch/1/send/1/level/db", -6.0))
    if query(e, "/ch/1/send/1/level/db") != -6.0:
        bad("musician could not set its own bus's send")
    send(m, osc("/ch/1/send/1/pre", 1))
    if query(e, "/ch/1/send/1/pre") not in (1, 1.0, True):
        bad("musician could not set its own bus's send pre")
    before2 = query(e, "/ch/1/send/2/level/db")
    beforef = query(e, "/ch/1/fader/db")
    forged = [
        ("another bus's send", osc("/ch/1/send/2/level/db", 0.0)),
        ("another bus's send, normalised", osc("/ch/1/send/2/level", 0.75)),
        ("a channel fader", osc("/ch/1/fader/db", -30.0)),
        ("a toggle", osc("/ch/1/mute/toggle")),
        ("a command", osc("/snapshot/save", "x")),
        ("a bundle hiding one", bundle(osc("/ch/2/send/1/level/db", -1.0), osc("/ch/1/send/2/level/db", 5.0))),
        ("a record start", osc("/record/start")),
        ("a master fade", osc("/master/fade", 1.0)),
    ]
    for name, pkt in forged:
        send(m, pkt)
        if not wait_for(m, lambda x: x[0] == "/error"):
            bad("musician: %s: no /error" % name)
    time.sleep(0.2)
    if query(e, "/ch/1/send/2/level/db") != before2:
        bad("musician changed bus 2's send")
    if query(e, "/ch/1/fader/db") != beforef:
        bad("musician changed a fader")
    if query(e, "/ch/2/send/1/level/db") == -1.0:
        bad("a bundle with a forged element was partly applied")
    if query(m, "/ch/1/fader/db") != beforef:
        bad("musician cannot query")
    m.close()
    e.close()


def check_stall():
    """A client that stops reading: the others still get feedback at once,
    and the stalled one is closed (its queue is bounded)."""
    stalled = ws()
    send(stalled, osc("/meters", 1))
    stalled.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    live = ws()
    send(live, osc("/ping"))
    wait_for(live, lambda m: m[0] == "/pong")
    trips = []
    for i in range(300):
        v = -float(i % 60) - 0.5
        t0 = time.time()
        send(live, osc("/ch/1/fader/db", v))
        if not wait_for(live, lambda m: m[0] == "/ch/1/fader/db" and m[1] and abs(m[1][0] - v) < 1e-4, 2.0):
            bad("live client: change %d not fed back" % i)
            break
        trips.append(time.time() - t0)
        send(live, osc("/dump"))
    trips.sort()
    median = trips[len(trips) // 2] if trips else 0.0
    worst = trips[-1] if trips else 0.0
    print("web_client.py: live client beside a stalled one: round trip median %.0f ms, worst %.0f ms"
          % (median * 1000, worst * 1000))
    # a client held up behind the stalled one would wait for most changes;
    # a loaded machine can delay a few (every one within 2 s, above), so
    # the median is held to a few coalescing intervals (34 ms each)
    if median > 0.15:
        bad("the live client waited %.0f ms (median)" % (median * 1000))
    stalled.close()
    live.close()


def check_info_name(name):
    """/api/info is JSON whatever the client name holds (quote,
    backslash): the name comes back as it is."""
    st, body = http("/api/info")
    try:
        info = json.loads(body)
    except ValueError as ex:
        return bad("/api/info is not JSON (%s): %r" % (ex, body[:200]))
    if st != 200 or info.get("name") != name:
        bad("/api/info name %r, not %r" % (info.get("name"), name))
    print("web_client.py: /api/info name %r" % info.get("name"))


def takes():
    st, body = http("/takes/")
    if st != 200:
        bad("/takes/: status %d" % st)
        return []
    return [t["name"] for t in json.loads(body)]


def check_takes(take, nstems):
    """While a take is written, /takes/ neither lists nor serves its master
    or any of its nstems stem files (NAME.chNN.wav); once stopped, all of
    them are listed and served."""
    files = ["%s.wav" % take] + ["%s.ch%02d.wav" % (take, i + 1) for i in range(nstems)]
    c = ws()
    send(c, osc("/record/start", take))
    # every file exists on disk as soon as the record dir shows the master
    rec = os.environ["REC_DIR"]
    end = time.time() + 5
    while time.time() < end and not all(os.path.exists(os.path.join(rec, f)) for f in files):
        time.sleep(0.01)
    if not all(os.path.exists(os.path.join(rec, f)) for f in files):
        bad("the take's files did not appear: %r" % sorted(os.listdir(rec)))
    # at once (no tick of the control thread to wait for) and a while on
    for t in (0.0, 1.5):
        time.sleep(t)
        listed = [f for f in files if f in takes()]
        if listed:
            bad("%.1f s into the take /takes/ lists %r" % (t, listed))
        for f in files:
            st, body = http("/takes/" + f)
            if st != 404:
                bad("%.1f s into the take /takes/%s: %d (%d bytes)" % (t, f, st, len(body)))
    send(c, osc("/record/stop"))
    if not wait_for(c, lambda m: m[0] == "/record/status" and m[1] and m[1][0] == 0, 10):
        bad("no /record/status after /record/stop")
    time.sleep(0.3)
    missing = [f for f in files if f not in takes()]
    if missing:
        bad("after the take /takes/ does not list %r" % missing)
    for f in files:
        st, body = http("/takes/" + f)
        if st != 200 or body[:4] != b"RIFF":
            bad("after the take /takes/%s: %d %r" % (f, st, body[:4]))
    c.close()
    print("web_client.py: a take of %d files hidden while written, served after" % len(files))


checks = {
    "info": lambda: check_info_name(sys.argv[3]),
    "takes": lambda: check_takes(sys.argv[3], int(sys.argv[4])),
    "api": lambda: check_api(sys.argv[3]),
    "errors": check_errors,
    "feedback": lambda: check_feedback(sys.argv[3]),
    "many": lambda: check_many(int(sys.argv[3])),
    "limit": check_limit,
    "access": lambda: check_access(sys.argv[3], sys.argv[4]),
    "traversal": check_traversal,
    "oversize": check_oversize,
    "slowheader": lambda: check_slowheader(float(sys.argv[3])),
    "musician": lambda: check_musician(sys.argv[3], sys.argv[4]),
    "stall": check_stall,
}
try:
    checks[sys.argv[2]]()
except Exception as ex:  # a crash of the client is a failure, with its cause
    import traceback
    traceback.print_exc()
    bad("%s: %s" % (sys.argv[2], ex))
sys.exit(failed)
