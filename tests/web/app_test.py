"""app_test.py - the web app in headless chromium under Selenium
(browser.py) against tests/web/stub.py, which serves www/ and records what
the page sends.

First the app's OSC codec: the page imports tests/web/osc-test.js and runs
it on its own /osc.js (byte sequences of the OSC 1.0 specification,
malformed packets refused).  Then its faders under a real pointer.

The expected values come from the X32 law of the man page (browser.py's
x32_db) and the pixels really moved: channel 3 starts at -8.5 dB (0.5375);
a mouse drag up by a tenth of the fader's throw (rounded to whole pixels,
so 0.1 +- 0.5/throw) lands near -4.5 dB; the same drag with shift (fine) a
tenth of that more, near -4.1 dB; a double-click sets 0 dB; a one-finger
(touch pointer) drag on channel 4 (-12 dB = 0.475) by a tenth lands near
-7.0 dB.  Tolerance 0.05 dB: the page sends float32 dB.  Touch messages
(/ch/3/fader/touch 1 ... 0) frame each drag.

Usage: /usr/bin/python3 app_test.py BASE_URL; exit status 1 if a check
failed."""
import json
import os
import sys
import urllib.parse
import time
import urllib.request

from browser import Browser, cap_y, fader, tenth, until, x32_db, x32_norm

base = sys.argv[1]
failed = 0


def check(ok, what):
    global failed
    print(("ok: " if ok else "FAIL: ") + what, flush=True)
    if not ok:
        failed += 1


def received():
    with urllib.request.urlopen(base + "/stub/received", timeout=5) as r:
        return json.load(r)


def collect(done, ms=2000):
    """What the page sends from now until done(log) (or ms have passed):
    the stub's record, drained and gathered."""
    log = []

    def more():
        log.extend(received())
        return done(log)

    until(more, ms, 0.02)
    return log


def released(addr):
    """done() for collect: the page sent addr's touch 0 (a drag ended)."""
    return lambda log: [addr + "/touch", [0]] in log


def sent(log, addr):
    return [m[1] for m in log if m[0] == addr]


def last(v):
    return v[-1][0] if v else None


def near(x, want, tol=0.05):
    return x is not None and abs(x - want) <= tol


b = Browser()
try:
    b.size(1180, 820)
    b.go(base + "/#mixer")
    up = until(lambda: b.js("!!(window.jackmixd && jackmixd.conn.open && document.querySelectorAll('.strip.ch').length > 3 && "
                            "document.querySelectorAll('.strip.ch')[2].querySelector('.fader-read').textContent === '-8.5 dB')"), 8000, 0.1)
    check(up, "the page loads and connects to the stub")
    # the codec, in the page, on the osc.js the page itself loads
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "osc-test.js")) as f:
        mod = "data:text/javascript," + urllib.parse.quote(f.read())
    bad = b.js("Promise.all([import('/osc.js'), import(%s)]).then(([o, t]) => t.run(o))" % json.dumps(mod))
    for what in bad:
        print("  " + what.replace("\n", "\n  "))
    check(bad == [], "osc.js: the OSC 1.0 specification's bytes and malformed packets (%d failed)" % len(bad))
    # feedback: the daemon's value is what the strip shows
    read = b.js("document.querySelectorAll('.strip.ch')[2].querySelector('.fader-read').textContent")
    check(read == "-8.5 dB", "channel 3 shows the dumped -8.5 dB (shows %s)" % read)
    g = fader(b, ".strip.ch", 2)
    px, d = tenth(g)
    n0 = x32_norm(-8.5)
    received()
    b.drag(g["x"], cap_y(g, n0), px, settle=0)
    log = collect(released("/ch/3/fader"))
    v, want = last(sent(log, "/ch/3/fader/db")), x32_db(n0 + d)
    check(near(v, want), "drag by a tenth (%d px of %.1f): /ch/3/fader/db %s, want %.3f (-4.5 at exactly a tenth)" % (px, g["throw"], v, want))
    t = [a[0] for a in sent(log, "/ch/3/fader/touch")]
    check(t == [1, 0], "touch 1 then 0 around the drag (got %s)" % t)
    addrs = [m[0] for m in log]
    check("/ch/3/fader/touch" in addrs and "/ch/3/fader/db" in addrs and addrs.index("/ch/3/fader/touch") < addrs.index("/ch/3/fader/db"),
          "touch 1 precedes the first value")
    n1 = n0 + d
    b.drag(g["x"], cap_y(g, n1), px, shift=True, settle=0)
    n2 = n1 + d / 10
    v, want = last(sent(collect(released("/ch/3/fader")), "/ch/3/fader/db")), x32_db(n2)
    check(near(v, want), "fine drag (shift): %s, want %.3f (-4.1 at exactly a tenth)" % (v, want))
    b.double_click(g["x"], cap_y(g, n2), settle=0)
    v = last(sent(collect(lambda log: ["/ch/3/fader/db", [0]] in log), "/ch/3/fader/db"))
    check(v == 0, "double-click: 0 dB (got %s)" % v)
    # one finger on channel 4
    b.touch_screen(True)
    g4 = fader(b, ".strip.ch", 3)
    px4, d4 = tenth(g4)
    n4 = x32_norm(-12)
    b.drag(g4["x"], cap_y(g4, n4), px4, kind="touch", settle=0)
    v, want = last(sent(collect(released("/ch/4/fader")), "/ch/4/fader/db")), x32_db(n4 + d4)
    check(near(v, want), "touch drag by a tenth: %s, want %.3f (-7.0 at exactly a tenth)" % (v, want))
    ex = b.errors()
    check(not ex, "no exception in the page (%s)" % "; ".join(ex))
finally:
    b.close()
sys.exit(1 if failed else 0)
